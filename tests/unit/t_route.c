/* Router: matches, captures, 404 for unknown or malformed paths, 405 with Allow. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fcgi_route.h"
#include "handlers.h"
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

static void test_movie_routes(void)
{
	static const char mid[] = "0b7f6c9e-1d2a-4c1e-9f00-0123456789ab";
	static const char sid[] = "1c8e7dae-2e3b-4d2f-8a11-123456789abc";
	static const struct {
		const char *method, *suffix, *pattern;
		vg_handler_fn fn;
		enum vg_rate_class rate;
	} cases[] = {
	    {"POST", "", "/api/v1/movies", h_movies_create, VG_RATE_CREATE},
	    {"GET", "", "/api/v1/movies", h_movies_list, VG_RATE_READ},
	    {"GET", "/M", "/api/v1/movies/{id}", h_movies_get, VG_RATE_READ},
	    {"PATCH", "/M", "/api/v1/movies/{id}", h_movies_patch, VG_RATE_READ},
	    {"DELETE", "/M", "/api/v1/movies/{id}", h_movies_delete, VG_RATE_READ},
	    {"POST", "/M/scenes", "/api/v1/movies/{id}/scenes", h_scenes_add, VG_RATE_READ},
	    {"POST", "/M/scenes/reorder", "/api/v1/movies/{id}/scenes/reorder", h_scenes_reorder,
	     VG_RATE_READ},
	    {"PATCH", "/M/scenes/S", "/api/v1/movies/{id}/scenes/{scene_id}", h_scenes_patch,
	     VG_RATE_READ},
	    {"DELETE", "/M/scenes/S", "/api/v1/movies/{id}/scenes/{scene_id}", h_scenes_delete,
	     VG_RATE_READ},
	    {"POST", "/M/scenes/S/regenerate", "/api/v1/movies/{id}/scenes/{scene_id}/regenerate",
	     h_scenes_regenerate, VG_RATE_CREATE},
	    {"POST", "/M/render", "/api/v1/movies/{id}/render", h_movies_render, VG_RATE_CREATE},
	    {"POST", "/M/cancel", "/api/v1/movies/{id}/cancel", h_movies_cancel, VG_RATE_READ},
	    {"GET", "/M/content", "/api/v1/movies/{id}/content", h_movies_content, VG_RATE_READ},
	    {"HEAD", "/M/poster", "/api/v1/movies/{id}/poster", h_movies_poster, VG_RATE_READ},
	    {"GET", "/M/contact-sheet", "/api/v1/movies/{id}/contact-sheet", h_movies_contact_sheet,
	     VG_RATE_READ},
	    {"GET", "/M/hls/index.m3u8", "/api/v1/movies/{id}/hls/{name}", h_movies_hls,
	     VG_RATE_READ},
	    {"GET", "/M/hls/seg_003.ts", "/api/v1/movies/{id}/hls/{name}", h_movies_hls,
	     VG_RATE_READ},
	    {"GET", "/M/subtitles.vtt", "/api/v1/movies/{id}/subtitles.vtt", h_movies_subtitles,
	     VG_RATE_READ},
	};
	struct vg_req r;
	char allow[128], path[256];
	int status;

	arena = vg_arena_create(4096);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* /M → the movie id, /S → the scene id */
		const char *s = cases[i].suffix;
		size_t o = (size_t)snprintf(path, sizeof path, "/api/v1/movies");
		for (; *s; s++)
			o += (size_t)snprintf(path + o, sizeof path - o, "%s",
			                      *s == 'M'   ? mid
			                      : *s == 'S' ? sid
			                                  : (char[]){*s, 0});
		const struct vg_route *rt = lookup(&r, cases[i].method, path, &status, allow);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
		CU_ASSERT_EQUAL(status, 200);
		CU_ASSERT_STRING_EQUAL(rt->pattern, cases[i].pattern);
		CU_ASSERT_PTR_EQUAL(rt->fn, cases[i].fn);
		CU_ASSERT_EQUAL(rt->rate, cases[i].rate);
		CU_ASSERT_EQUAL(rt->auth, VG_AUTH_USER);
		if (strstr(cases[i].suffix, "M"))
			CU_ASSERT_STRING_EQUAL(r.params[0], mid);
		if (strstr(cases[i].suffix, "S"))
			CU_ASSERT_STRING_EQUAL(r.params[1], sid);
	}
	/* the hls segment name is captured */
	CU_ASSERT_PTR_NOT_NULL(
	    lookup(&r, "GET", "/api/v1/movies/m/hls/seg_003.ts", &status, allow));
	CU_ASSERT_EQUAL(r.nparams, 2);
	CU_ASSERT_STRING_EQUAL(r.params[1], "seg_003.ts");
	/* "reorder" is a literal segment: it never reaches the scene handlers as a scene id */
	CU_ASSERT_PTR_NULL(lookup(&r, "PATCH", "/api/v1/movies/m/scenes/reorder", &status, allow));
	CU_ASSERT_EQUAL(status, 405);
	CU_ASSERT_STRING_EQUAL(allow, "POST, OPTIONS");
	CU_ASSERT_PTR_NULL(lookup(&r, "DELETE", "/api/v1/movies/m/scenes/reorder", &status, allow));
	CU_ASSERT_EQUAL(status, 405);
	/* but another word there is a scene id */
	const struct vg_route *rt =
	    lookup(&r, "PATCH", "/api/v1/movies/m/scenes/x", &status, allow);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
	CU_ASSERT_PTR_EQUAL(rt->fn, h_scenes_patch);
	CU_ASSERT_PTR_NULL(lookup(&r, "POST", "/api/v1/movies/m/scenes/x", &status, allow));
	CU_ASSERT_EQUAL(status, 405);
	CU_ASSERT_STRING_EQUAL(allow, "PATCH, DELETE, OPTIONS");
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/movies/m/scenes", &status, allow));
	CU_ASSERT_EQUAL(status, 405);
	CU_ASSERT_STRING_EQUAL(allow, "POST, OPTIONS");
	CU_ASSERT_PTR_NULL(lookup(&r, "PUT", "/api/v1/movies/m", &status, allow));
	CU_ASSERT_EQUAL(status, 405);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, PATCH, DELETE, OPTIONS");
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/movies/m/hls", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NULL(lookup(&r, "GET", "/api/v1/movies/m/hls/a/b", &status, allow));
	CU_ASSERT_EQUAL(status, 404);
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
	    {"movie routes", test_movie_routes},
	    {"table is sane", test_table_is_sane},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("route", tests);
}
