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

/* Pieces of the checks above, shared with the movie checks (vg_movie.c) so both give the
 * same defaults and messages. */
/* provider (default providers.default, must be enabled), then model (default the
 * provider's): the model's entry of the table, or NULL after a field error. */
const struct vg_model *vg_video_provider_model(struct vg_arena *a, const json_t *body,
                                               const struct vg_conf *c, const char **provider,
                                               const char **model, struct vg_err *err);
/* The model table of a provider name ("local", "gemini", "vertex"), NULL for another name;
 * *enabled says whether the config enables it. */
const struct vg_provider_models *vg_video_provider_models(const struct vg_conf *c, const char *name,
                                                          bool *enabled);
/* aspect_ratio ("16:9" default) and resolution ("720p" default) of body. */
void vg_video_read_format(struct vg_arena *a, const json_t *body, const char **aspect_ratio,
                          const char **resolution, struct vg_err *err);
/* The lower-cased copy of s when it is a UUID, else NULL. */
const char *vg_video_uuid(struct vg_arena *a, const char *s);
/* body[key] as a file id (lower-cased UUID); NULL when absent or after a field error. */
const char *vg_video_read_file_id(struct vg_arena *a, const json_t *body, const char *key,
                                  struct vg_err *err);
/* NULL when url is an acceptable webhook target under c->webhooks_allow_networks, else
 * what is wrong with it (may be arena text). */
const char *vg_video_webhook_problem(struct vg_arena *a, const struct vg_conf *c, const char *url);
/* body's webhook_url when present and acceptable; NULL otherwise (a field error when bad). */
const char *vg_video_read_webhook_url(struct vg_arena *a, const struct vg_conf *c,
                                      const json_t *body, struct vg_err *err);

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
	"v.spent_cost_usd::float8 AS spent_cost_usd, v.movie_id, v.scene_id"

/* The API video object of row `row` (new reference; caller owns it). */
json_t *vg_video_to_json(const PGresult *r, int row);

#endif
