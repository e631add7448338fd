/* The router: "METHOD PATH" (no space: GET and the whole input as the path) through
 * vg_route_lookup, with an Allow buffer of the size the responder uses and with a tiny one.
 * A match must be a route of the table with its captures; a miss 404 or 405. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi_route.h"
#include "fuzz.h"

static void check(struct vg_arena *a, const char *method, const char *path, size_t allow_size)
{
	char allow[128];
	struct vg_req r;
	int status = 0;
	const struct vg_route *rt;

	memset(&r, 0, sizeof r);
	r.a = a;
	memset(allow, 'x', sizeof allow);
	rt = vg_route_lookup(&r, method, path, &status, allow, allow_size);
	if (rt) {
		if (status != 200 || !(rt->methods & vg_route_method_bit(method)) ||
		    r.nparams < 0 || r.nparams > VG_MAX_PATH_PARAMS || !r.route_pattern)
			abort();
		for (int i = 0; i < r.nparams; i++)
			if (!r.params[i] || !*r.params[i])
				abort(); /* a capture is never empty */
	} else if (status != 404 && status != 405) {
		abort();
	} else if (memchr(allow, '\0', allow_size) == NULL) {
		abort(); /* the Allow header must stay a string */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_arena *a = vg_arena_create(4096);
	char *s = fuzz_str(data, size), *path = fuzz_cut(s, ' ');
	const char *method = path ? s : "GET";

	if (!path)
		path = s;
	check(a, method, path, 128);
	check(a, method, path, 6);
	free(s);
	vg_arena_destroy(a);
	return 0;
}
