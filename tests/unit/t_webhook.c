#include "tests.h"

void t_webhook_register(void)
{
}
