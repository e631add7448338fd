#include "config.h"

#include "tests.h"

/* placeholder until the storage tests are written */
void t_storage_register(void)
{
}
