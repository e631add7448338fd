/* Runs every CUnit suite; exit status 1 when any test failed (make check reads it). */
#include "config.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests.h"

void vg_test_suite(const char *name, const CU_TestInfo *tests)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);

	if (!s) {
		fprintf(stderr, "cannot add suite %s: %s\n", name, CU_get_error_msg());
		exit(2);
	}
	for (const CU_TestInfo *t = tests; t->pName; t++)
		if (!CU_add_test(s, t->pName, t->pTestFunc)) {
			fprintf(stderr, "cannot add test %s: %s\n", t->pName, CU_get_error_msg());
			exit(2);
		}
}

int main(int argc, char **argv)
{
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
#define X(name) t_##name##_register();
	VG_TEST_SUITES(X)
#undef X
	CU_basic_set_mode(argc > 1 ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	unsigned ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (ran == 0) {
		fprintf(stderr, "no unit test ran\n");
		return 1;
	}
	return failed ? 1 : 0;
}
