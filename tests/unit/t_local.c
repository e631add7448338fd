#include "config.h"

#include "tests.h"

/* placeholder until the local tests are written */
void t_local_register(void)
{
}
