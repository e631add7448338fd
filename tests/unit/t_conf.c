#include "config.h"

#include "tests.h"

/* placeholder until the conf tests are written */
void t_conf_register(void)
{
}
