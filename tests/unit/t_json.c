/* JSON: body parsing under limits (UTF-8, duplicates, depth, string and array sizes), the typed
 * field readers with their field errors, unknown fields, serialisation. */
#include "config.h"

#include <string.h>

#include "tests.h"
#include "vg_json.h"
#include "vg_str.h"

static struct vg_arena *a;
static struct vg_err err;

static void fresh(void)
{
	if (!a)
		a = vg_arena_create(4096);
	vg_arena_reset(a);
	vg_err_clear(&err);
}

static json_t *parse_limited(const char *s, int depth, int max_string, int max_array)
{
	const struct vg_json_limits lim = {depth, max_string, max_array};

	return vg_json_parse(a, s, strlen(s), &lim, &err);
}

static json_t *parse(const char *s, int depth)
{
	return parse_limited(s, depth, 0, 0);
}

static json_t *obj(const char *s)
{
	json_t *v = parse(s, 32);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	return v;
}

static bool has_field_error(const char *field, const char *message)
{
	for (int i = 0; i < err.nfields; i++)
		if (strcmp(err.fields[i].field, field) == 0 &&
		    strstr(err.fields[i].message, message))
			return true;
	return false;
}

static void test_parse_valid(void)
{
	fresh();
	json_t *v = parse(" {\"a\": [1, 2, {\"b\": null}], \"c\": \"\xc3\xa9\"} ", 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(err.rc, VG_OK);
	CU_ASSERT_EQUAL(vg_json_require_object(v, &err), VG_OK);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(v, "a")), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "c")), "\xc3\xa9");
	/* Not NUL-terminated input: only len bytes are read. */
	const char body[] = "{\"x\":1}garbage";
	const struct vg_json_limits lim = {32, 100, 100};
	CU_ASSERT_PTR_NOT_NULL(vg_json_parse(a, body, 7, &lim, &err));
}

static void test_parse_invalid(void)
{
	fresh();
	CU_ASSERT_PTR_NULL(parse("{\"a\": 1,\n \"b\": }", 32));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not valid JSON"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "line 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "column"));

	fresh();
	CU_ASSERT_PTR_NULL(parse("", 32));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "empty"));

	fresh();
	CU_ASSERT_PTR_NULL(parse(" \n ", 32));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);

	fresh();
	CU_ASSERT_PTR_NULL(parse("{\"a\": 1} {\"b\": 2}", 32));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);

	fresh();
	CU_ASSERT_PTR_NULL(parse("{\"a\": 99999999999999999999999}", 32));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
}

static void test_parse_duplicate_keys(void)
{
	fresh();
	CU_ASSERT_PTR_NULL(parse("{\"prompt\": \"a\", \"prompt\": \"b\"}", 32));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "duplicate"));
	/* The same key in two different objects is fine. */
	fresh();
	CU_ASSERT_PTR_NOT_NULL(parse("{\"a\": {\"k\": 1}, \"b\": {\"k\": 2}}", 32));
}

static void test_parse_bad_utf8(void)
{
	static const char *const bad[] = {
	    "{\"a\": \"\xff\"}",         /* not UTF-8 at all */
	    "{\"a\": \"\xc3\"}",         /* truncated sequence */
	    "{\"a\": \"\xc0\xaf\"}",     /* overlong */
	    "{\"a\": \"\xed\xa0\x80\"}", /* surrogate */
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fresh();
		CU_ASSERT_PTR_NULL(parse(bad[i], 32));
		CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
		CU_ASSERT_STRING_EQUAL(err.msg, "the body is not valid UTF-8");
	}
}

static void test_parse_depth(void)
{
	fresh();
	CU_ASSERT_PTR_NOT_NULL(parse("{\"a\": {\"b\": {\"c\": 1}}}", 3));
	fresh();
	CU_ASSERT_PTR_NULL(parse("{\"a\": {\"b\": {\"c\": {}}}}", 3));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "deeper than 3"));
	fresh();
	CU_ASSERT_PTR_NOT_NULL(parse("[[[1]], [2]]", 3));
	fresh();
	CU_ASSERT_PTR_NULL(parse("[1, [[[2]]]]", 3));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);

	/* Deeper than jansson's own cap: still a 400, never a crash. */
	char deep[6001];
	memset(deep, '[', 3000);
	memset(deep + 3000, ']', 3000);
	deep[6000] = '\0';
	fresh();
	CU_ASSERT_PTR_NULL(parse(deep, 32));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
}

/* A string of n 'x' as a JSON string literal, in the arena. */
static const char *long_string(size_t n)
{
	char *s = vg_arena_alloc(a, n + 3);

	s[0] = '"';
	memset(s + 1, 'x', n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	return s;
}

static void test_parse_string_limit(void)
{
	fresh();
	/* exactly at the limit passes; bytes, not characters, count */
	CU_ASSERT_PTR_NOT_NULL(
	    parse_limited("{\"a\": \"xxxx\", \"b\": \"\xc3\xa9\xc3\xa9\"}", 8, 4, 0));
	CU_ASSERT_EQUAL(err.rc, VG_OK);

	fresh();
	const char *body = vg_arena_printf(
	    a, "{\"title\": \"ok\", \"scenes\": [{\"prompt\": \"a\"}, {\"prompt\": %s}]}",
	    long_string(300));
	CU_ASSERT_PTR_NULL(parse_limited(body, 8, 256, 0));
	CU_ASSERT_EQUAL(err.rc, VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 1);
	CU_ASSERT_TRUE(has_field_error("scenes[1].prompt", "is 300 bytes"));
	CU_ASSERT_TRUE(has_field_error("scenes[1].prompt", "limits.max_json_string_bytes"));
	/* the detail names the value and the key too */
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "scenes[1].prompt is 300 bytes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "at most 256 bytes"));

	/* an object key counts like a string: its own path names it */
	fresh();
	body = vg_arena_printf(a, "{\"a\": {%s: 1}}", long_string(260));
	CU_ASSERT_PTR_NULL(parse_limited(body, 8, 256, 0));
	CU_ASSERT_EQUAL(err.rc, VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].message, "is a key of 260 bytes"));
	CU_ASSERT_EQUAL(strncmp(err.fields[0].field, "a.xxxx", 6), 0);
	/* a long key is shortened in the path, and says so */
	CU_ASSERT(strlen(err.fields[0].field) < 40);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].field, "x\xe2\x80\xa6"));

	/* a top-level string is "(body)"; several values: every one named */
	fresh();
	CU_ASSERT_PTR_NULL(parse_limited(long_string(257), 8, 256, 0));
	CU_ASSERT_TRUE(has_field_error("(body)", "is 257 bytes"));
	fresh();
	body = vg_arena_printf(a, "{\"a\": %s, \"b\": [%s]}", long_string(257), long_string(258));
	CU_ASSERT_PTR_NULL(parse_limited(body, 8, 256, 0));
	CU_ASSERT_EQUAL(err.nfields, 2);
	CU_ASSERT_TRUE(has_field_error("a", "is 257 bytes"));
	CU_ASSERT_TRUE(has_field_error("b[0]", "is 258 bytes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "and 1 more"));

	/* more than errors[] can hold: the detail still counts them all */
	fresh();
	const char *many = "";
	for (int i = 0; i < 40; i++)
		many = vg_arena_printf(a, "%s%s%s", many, i ? ", " : "", long_string(257));
	CU_ASSERT_PTR_NULL(parse_limited(vg_arena_printf(a, "[%s]", many), 8, 256, 0));
	CU_ASSERT_EQUAL(err.nfields, VG_ERR_MAX_FIELDS);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "and 39 more"));
	/* no limits at all */
	fresh();
	CU_ASSERT_PTR_NOT_NULL(vg_json_parse(a, "[[[\"x\"]]]", 9, NULL, &err));
}

static void test_parse_array_limit(void)
{
	fresh();
	CU_ASSERT_PTR_NOT_NULL(parse_limited("{\"ids\": [1, 2, 3]}", 8, 0, 3));
	fresh();
	CU_ASSERT_PTR_NULL(parse_limited("{\"x\": {\"ids\": [1, 2, 3, 4]}}", 8, 0, 3));
	CU_ASSERT_EQUAL(err.rc, VG_EINVAL);
	CU_ASSERT_TRUE(has_field_error("x.ids", "has 4 items"));
	CU_ASSERT_TRUE(has_field_error("x.ids", "limits.max_json_array_items"));
	fresh();
	CU_ASSERT_PTR_NULL(parse_limited("[[1], [1, 2, 3, 4, 5]]", 8, 0, 3));
	CU_ASSERT_TRUE(has_field_error("[1]", "has 5 items"));
	fresh();
	CU_ASSERT_PTR_NULL(parse_limited("[1, 2, 3, 4]", 8, 0, 3));
	CU_ASSERT_TRUE(has_field_error("(body)", "has 4 items"));
}

/* Too deep is a 400 even when the same body also has values over a limit. */
static void test_parse_depth_before_sizes(void)
{
	fresh();
	const char *body =
	    vg_arena_printf(a, "{\"a\": %s, \"b\": {\"c\": {\"d\": {}}}}", long_string(300));
	CU_ASSERT_PTR_NULL(parse_limited(body, 3, 256, 0));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	CU_ASSERT_EQUAL(err.nfields, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "limits.max_json_depth"));
}

/* A path is cut at a character boundary, never inside a UTF-8 sequence. */
static void test_parse_path_utf8(void)
{
	fresh();
	/* keys of 20 two-byte characters (one with an 'x' first): each is cut, the path too */
	const char *k =
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	const char *body =
	    vg_arena_printf(a, "{\"x%s\": {\"%s\": {\"%s\": %s}}}", k, k, k, long_string(300));
	CU_ASSERT_PTR_NULL(parse_limited(body, 8, 256, 0));
	CU_ASSERT_EQUAL_FATAL(err.nfields, 1);
	const char *f = err.fields[0].field;
	CU_ASSERT(strlen(f) < sizeof err.fields[0].field);
	CU_ASSERT_TRUE(vg_str_utf8_valid(f, strlen(f)));
	CU_ASSERT_TRUE(strlen(f) > 60); /* it used the room it has */
}

static void test_require_object(void)
{
	fresh();
	json_t *v = parse("[1, 2]", 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(vg_json_require_object(v, &err), VG_EBADREQ);
	CU_ASSERT_STRING_EQUAL(err.msg, "the body must be a JSON object");
	fresh();
	v = parse("42", 32);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(vg_json_require_object(v, &err), VG_EBADREQ);
	CU_ASSERT_EQUAL(vg_json_require_object(NULL, &err), VG_EBADREQ);
}

static void test_str_reader(void)
{
	const char *s = NULL;

	fresh();
	json_t *v = obj("{\"p\": \"  a cat  \", \"n\": 4, \"z\": null, \"e\": \"   \", "
	                "\"nul\": \"a\\u0000b\", \"acc\": \"\xc3\xa9\xc3\xa9\xc3\xa9\", "
	                "\"acc4\": \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\", \"arr\": [\"x\"]}");
	CU_ASSERT_TRUE(vg_json_str(a, v, "p", 1, 2000, &s, &err));
	CU_ASSERT_STRING_EQUAL(s, "a cat");
	CU_ASSERT_EQUAL(err.rc, VG_OK);

	/* Absent and null: false with no error. */
	CU_ASSERT_FALSE(vg_json_str(a, v, "missing", 1, 10, &s, &err));
	CU_ASSERT_FALSE(vg_json_str(a, v, "z", 1, 10, &s, &err));
	CU_ASSERT_EQUAL(err.rc, VG_OK);
	CU_ASSERT_EQUAL(err.nfields, 0);

	/* Lengths are code points, after trimming. */
	CU_ASSERT_TRUE(vg_json_str(a, v, "acc", 1, 3, &s, &err));
	CU_ASSERT_EQUAL(err.rc, VG_OK);

	CU_ASSERT_FALSE(vg_json_str(a, v, "n", 1, 10, &s, &err));
	CU_ASSERT_FALSE(vg_json_str(a, v, "arr", 1, 10, &s, &err));
	CU_ASSERT_FALSE(vg_json_str(a, v, "e", 1, 2000, &s, &err));
	CU_ASSERT_FALSE(vg_json_str(a, v, "nul", 1, 10, &s, &err));
	CU_ASSERT_FALSE(vg_json_str(a, v, "acc4", 1, 3, &s, &err));
	CU_ASSERT_FALSE(vg_json_str(a, v, "p", 0, 2, &s, &err));
	CU_ASSERT_EQUAL(err.rc, VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 6);
	CU_ASSERT_TRUE(has_field_error("n", "must be a string"));
	CU_ASSERT_TRUE(has_field_error("arr", "must be a string"));
	CU_ASSERT_TRUE(has_field_error("e", "must be 1 to 2000 characters"));
	CU_ASSERT_TRUE(has_field_error("nul", "must not contain NUL"));
	CU_ASSERT_TRUE(has_field_error("acc4", "must be 1 to 3 characters"));
	CU_ASSERT_TRUE(has_field_error("p", "must be at most 2 characters"));

	/* A reader never touches *out on failure. */
	s = "unchanged";
	CU_ASSERT_FALSE(vg_json_str(a, v, "n", 1, 10, &s, &err));
	CU_ASSERT_STRING_EQUAL(s, "unchanged");
}

static void test_int_reader(void)
{
	long long n = -1;

	fresh();
	json_t *v = obj("{\"d\": 8, \"f\": 4.0, \"s\": \"4\", \"big\": 4294967296, \"neg\": -1, "
	                "\"t\": true, \"z\": null}");
	CU_ASSERT_TRUE(vg_json_int(v, "d", 4, 8, &n, &err));
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_TRUE(vg_json_int(v, "neg", -5, 5, &n, &err));
	CU_ASSERT_EQUAL(n, -1);
	CU_ASSERT_FALSE(vg_json_int(v, "missing", 0, 1, &n, &err));
	CU_ASSERT_FALSE(vg_json_int(v, "z", 0, 1, &n, &err));
	CU_ASSERT_EQUAL(err.rc, VG_OK);

	CU_ASSERT_FALSE(vg_json_int(v, "f", 0, 10, &n, &err));
	CU_ASSERT_FALSE(vg_json_int(v, "s", 0, 10, &n, &err));
	CU_ASSERT_FALSE(vg_json_int(v, "t", 0, 10, &n, &err));
	CU_ASSERT_FALSE(vg_json_int(v, "big", 0, 4294967295LL, &n, &err));
	CU_ASSERT_EQUAL(err.rc, VG_EINVAL);
	CU_ASSERT_TRUE(has_field_error("f", "must be an integer"));
	CU_ASSERT_TRUE(has_field_error("s", "must be an integer"));
	CU_ASSERT_TRUE(has_field_error("t", "must be an integer"));
	CU_ASSERT_TRUE(has_field_error("big", "must be between 0 and 4294967295"));
	CU_ASSERT_EQUAL(n, -1);
}

static void test_bool_reader(void)
{
	bool b = false;

	fresh();
	json_t *v = obj("{\"yes\": true, \"no\": false, \"s\": \"true\", \"i\": 1}");
	CU_ASSERT_TRUE(vg_json_bool(v, "yes", &b, &err));
	CU_ASSERT_TRUE(b);
	CU_ASSERT_TRUE(vg_json_bool(v, "no", &b, &err));
	CU_ASSERT_FALSE(b);
	CU_ASSERT_FALSE(vg_json_bool(v, "missing", &b, &err));
	CU_ASSERT_EQUAL(err.rc, VG_OK);
	CU_ASSERT_FALSE(vg_json_bool(v, "s", &b, &err));
	CU_ASSERT_FALSE(vg_json_bool(v, "i", &b, &err));
	CU_ASSERT_TRUE(has_field_error("s", "must be true or false"));
	CU_ASSERT_TRUE(has_field_error("i", "must be true or false"));
}

static void test_reject_unknown(void)
{
	static const char *const allowed[] = {"prompt", "seed", NULL};

	fresh();
	json_t *v = obj("{\"prompt\": \"x\", \"promt\": \"y\", \"seed\": 1, \"colour\": 2}");
	CU_ASSERT_EQUAL(vg_json_reject_unknown(v, allowed, &err), VG_EINVAL);
	CU_ASSERT_EQUAL(err.rc, VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 2);
	CU_ASSERT_TRUE(has_field_error("promt", "unknown field: remove it"));
	CU_ASSERT_TRUE(has_field_error("colour", "unknown field: remove it"));

	fresh();
	v = obj("{\"prompt\": \"x\"}");
	CU_ASSERT_EQUAL(vg_json_reject_unknown(v, allowed, &err), VG_OK);
	CU_ASSERT_EQUAL(err.nfields, 0);
}

static void test_dump_and_builders(void)
{
	fresh();
	json_t *v = vg_json_own(a, json_object());
	json_object_set_new(v, "b", json_real(0.1));
	json_object_set_new(v, "a", vg_json_str_or_null("\xc3\xa9"));
	json_object_set_new(v, "n", vg_json_str_or_null(NULL));
	json_object_set_new(v, "t", vg_json_time("2026-11-24T10:00:00Z"));
	json_object_set_new(v, "u", vg_json_time(NULL));
	char *s = vg_json_dump(a, v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(
	    s,
	    "{\"b\":0.1,\"a\":\"\xc3\xa9\",\"n\":null,\"t\":\"2026-11-24T10:00:00Z\",\"u\":null}");
	CU_ASSERT_STRING_EQUAL(vg_json_dump(a, vg_json_own(a, json_integer(7))), "7");
	/* Invalid UTF-8 from a caller becomes null, not a crash or invalid JSON. */
	json_t *bad = vg_json_own(a, vg_json_str_or_null("\xff"));
	CU_ASSERT_TRUE(json_is_null(bad));
}

static void test_arena_owns_values(void)
{
	fresh();
	json_t *v = obj("{\"a\": [1, 2, 3]}");
	json_t *kept = json_incref(json_object_get(v, "a"));
	CU_ASSERT_EQUAL(kept->refcount, 2);
	vg_arena_reset(a); /* drops the document's reference */
	CU_ASSERT_EQUAL(kept->refcount, 1);
	json_decref(kept);
	vg_arena_destroy(a);
	a = NULL;
}

void t_json_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"parse valid", test_parse_valid},
	    {"parse invalid", test_parse_invalid},
	    {"parse duplicate keys", test_parse_duplicate_keys},
	    {"parse bad utf-8", test_parse_bad_utf8},
	    {"parse depth", test_parse_depth},
	    {"parse string limit", test_parse_string_limit},
	    {"parse array limit", test_parse_array_limit},
	    {"parse depth before sizes", test_parse_depth_before_sizes},
	    {"parse path utf-8", test_parse_path_utf8},
	    {"require object", test_require_object},
	    {"string reader", test_str_reader},
	    {"integer reader", test_int_reader},
	    {"boolean reader", test_bool_reader},
	    {"reject unknown fields", test_reject_unknown},
	    {"dump and builders", test_dump_and_builders},
	    {"arena owns values", test_arena_owns_values},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("json", tests);
}
