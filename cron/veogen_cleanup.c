/* PLACEHOLDER */
#include "cron_common.h"
int main(void)
{
	return 70;
}
