#include "config.h"

#include "tests.h"

/* placeholder until the arena tests are written */
void t_arena_register(void)
{
}
