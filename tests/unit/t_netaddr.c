#include "tests.h"

void t_netaddr_register(void)
{
}
