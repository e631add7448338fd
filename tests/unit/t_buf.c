/* Capped buffer: the cap holds for every append, and nothing overflows. */
#include "config.h"

#include "tests.h"
#include "vg_buf.h"
#include "vg_err.h"

static void test_buf_cap(void)
{
	struct vg_buf b;

	vg_buf_init(&b, 10);
	CU_ASSERT_STRING_EQUAL(vg_buf_str(&b), "");
	CU_ASSERT_EQUAL(vg_buf_puts(&b, "hello"), VG_OK);
	CU_ASSERT_EQUAL(vg_buf_printf(&b, "%d", 12345), VG_OK);
	CU_ASSERT_EQUAL(b.len, 10);
	CU_ASSERT_EQUAL(vg_buf_puts(&b, "!"), VG_ETOOBIG);
	CU_ASSERT_STRING_EQUAL(vg_buf_str(&b), "hello12345");
	CU_ASSERT_EQUAL(vg_buf_printf(&b, "%s", "x"), VG_ETOOBIG);
	vg_buf_reset(&b);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_EQUAL(vg_buf_append(&b, "\0ab", 3), VG_OK);
	CU_ASSERT_EQUAL(b.len, 3);
	CU_ASSERT_EQUAL(vg_buf_append(&b, "x", (size_t)-1), VG_ETOOBIG); /* no overflow */
	vg_buf_free(&b);
}

void t_buf_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"cap is enforced", test_buf_cap},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("buf", tests);
}
