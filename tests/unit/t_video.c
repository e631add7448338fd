#include "config.h"

#include "tests.h"

/* placeholder until the video tests are written */
void t_video_register(void)
{
}
