/* Error records: HTTP mapping, field errors, truncation. */
#include "config.h"

#include <string.h>

#include "tests.h"
#include "vg_err.h"

static void test_mapping(void)
{
	CU_ASSERT_EQUAL(vg_err_http_status(VG_EBADREQ), 400);
	CU_ASSERT_EQUAL(vg_err_http_status(VG_EAUTH), 401);
	CU_ASSERT_EQUAL(vg_err_http_status(VG_ENOTFOUND), 404);
	CU_ASSERT_EQUAL(vg_err_http_status(VG_EINVAL), 422);
	CU_ASSERT_EQUAL(vg_err_http_status(VG_ERATE), 429);
	CU_ASSERT_EQUAL(vg_err_http_status(VG_EUNAVAIL), 503);
	CU_ASSERT_EQUAL(vg_err_http_status(VG_EINTERNAL), 500);
	CU_ASSERT_EQUAL(vg_err_http_status(-999), 500);
	CU_ASSERT_STRING_EQUAL(vg_err_title(VG_EINVAL), "Unprocessable Content");
}

static void test_fields(void)
{
	struct vg_err e;
	char long_msg[1024];

	vg_err_clear(&e);
	CU_ASSERT_EQUAL(vg_err_field(&e, "duration_seconds", "must be one of %s", "4, 6, 8"),
	                VG_EINVAL);
	vg_err_field(&e, "prompt", "is required");
	CU_ASSERT_EQUAL(e.rc, VG_EINVAL);
	CU_ASSERT_EQUAL(e.nfields, 2);
	CU_ASSERT_STRING_EQUAL(e.fields[0].message, "must be one of 4, 6, 8");
	CU_ASSERT_STRING_EQUAL(e.code, "validation_failed");
	for (int i = 0; i < 100; i++)
		vg_err_field(&e, "x", "y");
	CU_ASSERT_EQUAL(e.nfields, VG_ERR_MAX_FIELDS);
	memset(long_msg, 'a', sizeof long_msg - 1);
	long_msg[sizeof long_msg - 1] = '\0';
	vg_err_set(&e, VG_EAUTH, NULL, "%s", long_msg);
	CU_ASSERT_EQUAL(strlen(e.msg), sizeof e.msg - 1);
	CU_ASSERT_STRING_EQUAL(e.code, "unauthorized");
}

void t_err_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"rc to HTTP status", test_mapping},
	    {"field errors and truncation", test_fields},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("err", tests);
}
