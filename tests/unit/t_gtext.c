/* vg_gtext (being written). */
#include "config.h"

#include "tests.h"

void t_gtext_register(void)
{
	static const CU_TestInfo tests[] = {
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("gtext", tests);
}
