#include "config.h"

#include "tests.h"

/* placeholder until the route tests are written */
void t_route_register(void)
{
}
