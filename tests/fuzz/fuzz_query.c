/* Query strings (QUERY_STRING as the web server passes it): every parameter name the
 * handlers read through vg_req_query, the paging readers of the list endpoints, and the
 * time parameters of the admin lists. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vg_str.h"

static const char *const names[] = {
    "action",   "cursor",  "disabled", "format", "kind",  "limit",  "model",     "period",
    "provider", "q",       "role",     "since",  "state", "status", "target_id", "target_type",
    "until",    "user_id", "",         "a b",    "é",     NULL};

static const char *const statuses[] = {"queued", "running",   "succeeded",
                                       "failed", "cancelled", NULL};

static void pages(struct vg_req *r)
{
	struct vg_err err;
	const char *status = NULL, *cursor = NULL;
	uint64_t limit = 0;

	vg_err_clear(&err);
	if (vg_req_page_query(r, statuses, &status, &limit, &cursor, &err) != VG_OK)
		fuzz_check_problem(r, &err);
	else if (limit < 1 || limit > 100 || (cursor && !vg_str_is_uuid(cursor)))
		abort();
	vg_err_clear(&err);
	if (vg_req_page_limits(r, &limit, &cursor, &err) != VG_OK)
		fuzz_check_problem(r, &err);
	else if (limit < 1 || limit > 100)
		abort();
}

static void times(struct vg_req *r)
{
	static const char *const which[] = {"since", "until"};

	for (size_t i = 0; i < 2; i++) {
		bool bad = false;
		const char *v = vg_req_query(r, which[i], &bad);
		struct vg_err err;
		int64_t t;

		vg_err_clear(&err);
		if (bad)
			continue;
		if (vg_req_time_param(r, which[i], &v, &err) != VG_OK)
			fuzz_check_problem(r, &err);
		else if (v && !vg_str_i64(v, INT64_MIN, INT64_MAX, &t))
			abort(); /* the handlers put this into SQL as epoch seconds */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_arena *a = vg_arena_create(4096);
	struct vg_req r;

	fuzz_req(&r, a, NULL, NULL, 0);
	r.method = "GET";
	r.query = vg_arena_strndup(a, (const char *)data, size);
	for (size_t i = 0; names[i]; i++) {
		bool bad = false;
		const char *v = vg_req_query(&r, names[i], &bad);

		if ((bad && v) || (v && !vg_str_utf8_valid(v, strlen(v))))
			abort(); /* a value comes back only when it is whole and UTF-8 */
	}
	pages(&r);
	times(&r);
	vg_arena_destroy(a);
	return 0;
}
