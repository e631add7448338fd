#include "config.h"

#include "tests.h"

/* placeholder until the err tests are written */
void t_err_register(void)
{
}
