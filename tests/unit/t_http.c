/* vg_http (being written). */
#include "config.h"

#include "tests.h"

void t_http_register(void)
{
	static const CU_TestInfo tests[] = {
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("http", tests);
}
