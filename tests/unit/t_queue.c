#include "config.h"

#include "tests.h"

/* placeholder until the queue tests are written */
void t_queue_register(void)
{
}
