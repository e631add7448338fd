/* vg_multipart (being written). */
#include "config.h"

#include "tests.h"

void t_multipart_register(void)
{
	static const CU_TestInfo tests[] = {
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("multipart", tests);
}
