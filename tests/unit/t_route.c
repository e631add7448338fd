/* Router: matches, captures, 404 for unknown or malformed paths, 405 with Allow. */
#include "config.h"

#include <string.h>

#include "fcgi_route.h"
#include "tests.h"

static struct vg_arena *arena;

static const struct vg_route *lookup(struct vg_req *r, const char *method, const char *path,
                                     int *status, char *allow)
{
	memset(r, 0, sizeof *r);
	r->a = arena;
	return vg_route_lookup(r, method, path, status, allow, 128);
}

static void test_match_and_capture(void)
{
	struct vg_req r;
	char allow[128];
	int status;
	const struct vg_route *rt;

	arena = vg_arena_create(4096);
	rt = lookup(&r, "GET", "/api/v1/videos/0b7f6c9e-1d2a-4c1e-9f00-0123456789ab", &status,
	            allow);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	CU_ASSERT_EQUAL(status, 200);
	CU_ASSERT_STRING_EQUAL(rt->pattern, "/api/v1/videos/{id}");
	CU_ASSERT_EQUAL(r.nparams, 1);
	CU_ASSERT_STRING_EQUAL(r.params[0], "0b7f6c9e-1d2a-4c1e-9f00-0123456789ab");
	rt = lookup(&r, "HEAD", "/api/v1/videos", &status, allow);
	CU_ASSERT_PTR_NOT_NULL(rt);
	rt = lookup(&r, "POST", "/api/v1/videos/abc/cancel", &status, allow);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	CU_ASSERT_STRING_EQUAL(r.params[0], "abc");
	/* %2F stays inside its segment: no route has that many segments */
	rt = lookup(&r, "GET", "/api/v1/videos/a%2Fb", &status, allow);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	CU_ASSERT_STRING_EQUAL(r.params[0], "a/b");
	vg_arena_destroy(arena);
}

static void test_not_found(void)
{
	struct vg_req r;
	char allow[128];
	int status;

	arena = vg_arena_create(4096);
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/nothing", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/videos/", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/videos/x/y/z", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/videos/%00", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/videos/%ff", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/videos/%zz", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "relative", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(
	    lookup(&r, "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	vg_arena_destroy(arena);
}

static void test_method_not_allowed(void)
{
	struct vg_req r;
	char allow[128];
	int status;

	arena = vg_arena_create(4096);
	CU_ASSERT_PTR_NULL(lookup(&r, "PUT", "/api/v1/videos", &status, allow));
	CU_ASSERT_EQUAL(status, 405);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, POST, OPTIONS");
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/videos/1/cancel", &status, allow));
	CU_ASSERT_EQUAL(status, 405);
	CU_ASSERT_STRING_EQUAL(allow, "POST, OPTIONS");
	CU_ASSERT_PTR_NULL(lookup(&r, "BREW", "/healthz", &status, allow));
	CU_ASSERT_EQUAL(status, 405);
	vg_arena_destroy(arena);
}

static void test_table_is_sane(void)
{
	size_t n;
	const struct vg_route *t = vg_route_table(&n);

	CU_ASSERT_TRUE(n > 10);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL(t[i].fn);
		CU_ASSERT_EQUAL(t[i].pattern[0], '/');
		/* no two routes claim the same method on the same pattern */
		for (size_t j = i + 1; j < n; j++)
			CU_ASSERT_FALSE(strcmp(t[i].pattern, t[j].pattern) == 0 &&
			                (t[i].methods & t[j].methods));
	}
}

void t_route_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"match and capture", test_match_and_capture},
	    {"404 for unknown and malformed paths", test_not_found},
	    {"405 with Allow", test_method_not_allowed},
	    {"table is sane", test_table_is_sane},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("route", tests);
}
