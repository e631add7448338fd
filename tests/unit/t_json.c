#include "config.h"

#include "tests.h"

/* placeholder until the json tests are written */
void t_json_register(void)
{
}
