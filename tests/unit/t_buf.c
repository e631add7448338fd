#include "config.h"

#include "tests.h"

/* placeholder until the buf tests are written */
void t_buf_register(void)
{
}
