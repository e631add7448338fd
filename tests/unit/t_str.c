/* Strict parsers and string helpers. */
#include "config.h"

#include <string.h>

#include "tests.h"
#include "vg_str.h"

static void test_u64(void)
{
	uint64_t v;
	int64_t s;

	CU_ASSERT_TRUE(vg_str_u64("0", 10, &v) && v == 0);
	CU_ASSERT_TRUE(vg_str_u64("4294967295", UINT32_MAX, &v) && v == UINT32_MAX);
	CU_ASSERT_FALSE(vg_str_u64("4294967296", UINT32_MAX, &v));
	CU_ASSERT_FALSE(vg_str_u64("", 10, &v));
	CU_ASSERT_FALSE(vg_str_u64("-1", 10, &v));
	CU_ASSERT_FALSE(vg_str_u64("+1", 10, &v));
	CU_ASSERT_FALSE(vg_str_u64(" 1", 10, &v));
	CU_ASSERT_FALSE(vg_str_u64("1x", 10, &v));
	CU_ASSERT_FALSE(vg_str_u64("18446744073709551616", UINT64_MAX, &v));
	CU_ASSERT_TRUE(vg_str_u64("18446744073709551615", UINT64_MAX, &v) && v == UINT64_MAX);
	CU_ASSERT_TRUE(vg_str_i64("-5", -10, 10, &s) && s == -5);
	CU_ASSERT_FALSE(vg_str_i64("-11", -10, 10, &s));
	CU_ASSERT_TRUE(vg_str_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &s) &&
	               s == INT64_MIN);
}

static void test_utf8(void)
{
	CU_ASSERT_TRUE(vg_str_utf8_valid("h\xc3\xa9llo", 6));
	CU_ASSERT_EQUAL(vg_str_utf8_len("h\xc3\xa9llo", 6), 5);
	CU_ASSERT_FALSE(vg_str_utf8_valid("\xc3", 1));             /* truncated */
	CU_ASSERT_FALSE(vg_str_utf8_valid("\xc0\xaf", 2));         /* overlong */
	CU_ASSERT_FALSE(vg_str_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	CU_ASSERT_FALSE(vg_str_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CU_ASSERT_TRUE(vg_str_utf8_valid("\xf0\x9f\x8e\xac", 4));  /* clapper board */
}

static void test_uuid_hex_pct(void)
{
	char out[64];
	size_t n;

	CU_ASSERT_TRUE(vg_str_is_uuid("0b7f6c9e-1d2a-4c1e-9f00-0123456789ab"));
	CU_ASSERT_FALSE(vg_str_is_uuid("0B7F6C9E-1D2A-4C1E-9F00-0123456789AB"));
	CU_ASSERT_FALSE(vg_str_is_uuid("0b7f6c9e1d2a4c1e9f000123456789ab"));
	CU_ASSERT_FALSE(vg_str_is_uuid("1' OR '1'='1"));
	vg_str_hex((const unsigned char *)"\x01\xab", 2, out);
	CU_ASSERT_STRING_EQUAL(out, "01ab");
	CU_ASSERT_TRUE(vg_str_pct_decode("a%20b%2F", 8, out, &n));
	CU_ASSERT_STRING_EQUAL(out, "a b/");
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_FALSE(vg_str_pct_decode("%00", 3, out, &n));
	CU_ASSERT_FALSE(vg_str_pct_decode("%2", 2, out, &n));
	CU_ASSERT_FALSE(vg_str_pct_decode("%", 1, out, &n));
	CU_ASSERT_FALSE(vg_str_pct_decode("%g0", 3, out, &n));
	CU_ASSERT_EQUAL(vg_strlcpy(out, "abcdef", 4), 6);
	CU_ASSERT_STRING_EQUAL(out, "abc");
	const char *t = vg_str_trim("  hi there \n", &n);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(strncmp(t, "hi there", n), 0);
}

void t_str_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"integers", test_u64},
	    {"utf-8", test_utf8},
	    {"uuid, hex, percent-decoding, copy, trim", test_uuid_hex_pct},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("str", tests);
}
