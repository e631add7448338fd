#include "config.h"

#include "tests.h"

/* placeholder until the auth tests are written */
void t_auth_register(void)
{
}
