/* Videos: validation of POST /api/v1/videos bodies and the mapping of rows to the API's
 * video object.  Written once here so the API and the runner agree. */
#ifndef VG_VIDEO_H
#define VG_VIDEO_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_err.h"

struct vg_video_req {
	const char *prompt; /* trimmed, 1–2000 code points */
	const char *negative_prompt;
	const char *style;
	int duration_seconds;
	const char *aspect_ratio;
	const char *resolution;
	bool has_seed;
	uint32_t seed;
	const char *image_id;
	const char *last_frame_id;
	const char *reference_image_ids[3];
	int n_reference_images;
	const char *provider;
	const char *model;
	const char *webhook_url;
	bool enhance_prompt;       /* the Gemini text client rewrites the prompt first */
	double estimated_cost_usd; /* the model's price for this request */
};

/* Validates every field of a create body against API.md, the enabled providers and the
 * chosen model's capabilities (vg_model_check); adds a field error for each bad field (422),
 * 400 when body is not an object.  Fills defaults and the estimated cost. */
int vg_video_req_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                       struct vg_video_req *out, struct vg_err *err);

/* The SELECT list that vg_video_to_json expects, for "SELECT " VG_VIDEO_COLUMNS " FROM videos v".
 */
#define VG_VIDEO_COLUMNS                                                                           \
	"v.id, v.status, v.progress, v.stage, v.prompt, v.negative_prompt, v.style, "              \
	"v.duration_seconds, v.aspect_ratio, v.resolution, v.seed, v.image_id, v.last_frame_id, "  \
	"array_to_json(v.reference_image_ids) AS reference_image_ids, v.provider, v.model, "       \
	"v.webhook_url, v.attempts, v.error::text AS error, v.result::text AS result, "            \
	"v.estimated_cost_usd::float8 AS estimated_cost_usd, vg_rfc3339(v.created_at) AS "         \
	"created_at, vg_rfc3339(v.started_at) AS started_at, vg_rfc3339(v.finished_at) AS "        \
	"finished_at, v.user_id, v.enhance_prompt, v.enhanced_prompt, "                            \
	"v.spent_cost_usd::float8 AS spent_cost_usd"

/* The API video object of row `row` (new reference; caller owns it). */
json_t *vg_video_to_json(const PGresult *r, int row);

#endif
