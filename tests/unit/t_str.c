#include "config.h"

#include "tests.h"

/* placeholder until the str tests are written */
void t_str_register(void)
{
}
