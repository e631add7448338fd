/* POST /api/v1/videos: the body through vg_req_json (UTF-8, JSON, the limits.* of the
 * config) and vg_video_req_parse, as h_videos_create runs them.  An accepted body must
 * hold what API.md promises, or the handler would insert a row the runner cannot use. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vg_str.h"
#include "vg_video.h"

static bool one_of(const char *s, const char *a, const char *b)
{
	return s && (strcmp(s, a) == 0 || strcmp(s, b) == 0);
}

static bool sane(const struct vg_video_req *v)
{
	size_t n = v->prompt ? strlen(v->prompt) : 0;

	return n > 0 && vg_str_utf8_len(v->prompt, n) <= 2000 && v->duration_seconds > 0 &&
	       one_of(v->aspect_ratio, "16:9", "9:16") && one_of(v->resolution, "720p", "1080p") &&
	       v->provider && v->model && v->n_reference_images >= 0 &&
	       v->n_reference_images <= 3 && (!v->last_frame_id || v->image_id) &&
	       v->estimated_cost_usd >= 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_arena *a = vg_arena_create(4096);
	struct vg_req r;
	struct vg_err err;
	struct vg_video_req v;
	json_t *body;
	int rc;

	vg_err_clear(&err);
	fuzz_req(&r, a, "application/json", vg_arena_strndup(a, (const char *)data, size), size);
	if ((body = vg_req_json(&r, &err)) == NULL)
		rc = err.rc;
	else
		rc = vg_video_req_parse(a, body, r.conf, &v, &err);
	if (rc != err.rc || (rc == VG_OK ? !sane(&v) : rc != VG_EBADREQ && rc != VG_EINVAL))
		abort();
	if (rc != VG_OK)
		fuzz_check_problem(&r, &err);
	fuzz_check_tight(r.body, size);
	vg_arena_destroy(a);
	return 0;
}
