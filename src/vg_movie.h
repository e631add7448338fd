/* Movies: validation of the movie and scene bodies of API.md (create, PATCH, add/edit
 * scene), their cost and length, and the mapping of rows to the API's movie and scene
 * objects.  Written once here so the API and the runner agree. */
#ifndef VG_MOVIE_H
#define VG_MOVIE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_err.h"

#define VG_MOVIE_TITLE_MAX      200   /* code points */
#define VG_MOVIE_CONCEPT_MAX    4000  /* code points */
#define VG_MOVIE_SCRIPT_MAX     20000 /* code points */
#define VG_MOVIE_MAX_SCENES     50
#define VG_MOVIE_MAX_CHARACTERS 3   /* character_image_ids, and characters (descriptions) */
#define VG_MOVIE_CHARACTER_MAX  300 /* code points of one character description */
#define VG_SCENE_TITLE_MAX      200
#define VG_SCENE_CAMERA_MAX     200
#define VG_SCENE_CAPTION_MAX    200
#define VG_MOVIE_TITLE_CARD_S   3.0 /* seconds of the optional title card */
#define VG_MOVIE_FPS            24  /* films are assembled at this frame rate */

/* limits.max_scenes_per_movie (1..VG_MOVIE_MAX_SCENES; VG_MOVIE_MAX_SCENES when c is NULL):
 * creating a movie with more is a 422, adding a scene to a full one a 409. */
int vg_movie_max_scenes(const struct vg_conf *c);

/* seconds rounded to whole frames of the film (at least one): how long a transition really
 * lasts, so the length the API shows is the length of the film. */
double vg_movie_frames_s(double seconds);

/* One scene as a request gives it (hand-written scenes, POST …/scenes, PATCH …/scenes/x).
 * NULL / 0 = not given. */
struct vg_scene_req {
	const char *prompt; /* trimmed, 1–2000 code points */
	const char *title;
	const char *camera;
	const char *caption;
	const char *transition; /* vg_assemble_transition_valid */
	int duration_seconds;   /* 0 = the movie's scene_duration_seconds */
	int position;           /* POST …/scenes only: 1..n+1, 0 = at the end */
	/* PATCH: which fields the body named (a null clears title/camera/caption/transition) */
	bool has_prompt, has_title, has_camera, has_caption, has_transition, has_duration;
};

struct vg_movie_req {
	const char *title;
	const char *concept; /* exactly one of concept, script, scenes */
	const char *script;
	struct vg_scene_req scenes[VG_MOVIE_MAX_SCENES];
	int n_scenes;
	const char *style; /* default "cinematic" */
	const char *preset;
	int scene_count; /* planned scenes: hand-written count, or vg_plan_scene_count */
	int scene_duration_seconds;
	const char *aspect_ratio;
	const char *resolution;
	const char *provider;
	const char *model;
	bool continuity;
	const char *characters[VG_MOVIE_MAX_CHARACTERS]; /* descriptions for every prompt */
	int n_characters;
	const char *character_image_ids[VG_MOVIE_MAX_CHARACTERS];
	int n_character_images;
	const char *transition;    /* default "cut" */
	double transition_seconds; /* 0.5–2, default 1 */
	const char *soundtrack_id;
	double soundtrack_volume; /* 0–2, default 0.35 */
	bool title_card;
	bool has_budget;
	double budget_usd; /* > 0 */
	const char *webhook_url;
	const char *planner; /* "hand" when scenes were given, else the config's choice */
};

/* Validates a create body against API.md and the enabled providers/models (every scene's
 * duration against the model, continuity needing a first-frame input, character images as
 * reference images — a 422 naming the model and field when the model cannot); every bad
 * field gets a field error ("scenes[2].duration_seconds"); 400 when body is not an object.
 * Fills defaults.  Does not check that file ids exist (the handler does). */
int vg_movie_req_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                       struct vg_movie_req *out, struct vg_err *err);

/* Validates a PATCH body: only title, style, transition, transition_seconds, budget_usd
 * (null clears it), title_card, soundtrack_id (null clears), soundtrack_volume, continuity,
 * characters, character_image_ids, webhook_url may appear; a field not allowed or unknown is a
 * 422 naming it.  cur = the movie's current settings (from the row) for the model checks.
 * out->has_* say which were given; out is otherwise like vg_movie_req. */
struct vg_movie_patch {
	struct vg_movie_req v;
	bool has_title, has_style, has_transition, has_transition_seconds, has_budget_field,
	    has_title_card, has_soundtrack, has_soundtrack_volume, has_continuity, has_characters,
	    has_character_images, has_webhook_url;
};
int vg_movie_patch_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                         const struct vg_movie_req *cur, struct vg_movie_patch *out,
                         struct vg_err *err);

/* Validates one scene body.  patch = PATCH semantics (every field optional, at least one);
 * otherwise prompt is required.  allow_position for POST …/scenes.  movie = the movie's
 * settings (provider/model/continuity/character images) for the model check of the duration;
 * first = the scene will be at position 1 (no continuity image). */
int vg_scene_req_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                       const struct vg_movie_req *movie, bool patch, bool allow_position,
                       struct vg_scene_req *out, struct vg_err *err);

/* The movie's settings from a row selected with VG_MOVIE_COLUMNS (strings in arena a), for
 * the patch and scene checks and the runner. */
void vg_movie_req_from_row(struct vg_arena *a, const PGresult *r, int row,
                           struct vg_movie_req *out);

/* USD for one take of duration_seconds of the movie's model and resolution (0 for local, or
 * when the model is no longer configured). */
double vg_movie_scene_price(const struct vg_conf *c, const char *provider, const char *model,
                            const char *resolution, int duration_seconds);

/* The film's length: Σ durations, minus transition_seconds (in whole frames) for every join that is
 * not a cut (a scene's own transition, else the movie's, is the join AFTER that scene), plus the
 * title card (it joins scene 1 the same way).  transitions[i] may be NULL. */
double vg_movie_total_duration(const int *durations, const char *const *transitions, int n,
                               const char *movie_transition, double transition_seconds,
                               bool title_card);

/* The SELECT list vg_movie_to_json and vg_movie_req_from_row expect, for
 * "SELECT " VG_MOVIE_COLUMNS " FROM movies m". */
#define VG_MOVIE_COLUMNS                                                                           \
	"m.id, m.user_id, m.title, m.status, m.stage, m.assembly_progress, m.concept, m.script, "  \
	"m.planner, m.outline_only, m.style, m.preset, m.scene_count, m.scene_duration_seconds, "  \
	"m.aspect_ratio, m.resolution, m.provider, m.model, m.continuity, "                        \
	"array_to_json(m.characters) AS characters, "                                              \
	"array_to_json(m.character_image_ids) AS character_image_ids, m.transition, "              \
	"m.transition_seconds::float8 AS transition_seconds, m.soundtrack_id, "                    \
	"m.soundtrack_volume::float8 AS soundtrack_volume, m.title_card, "                         \
	"m.budget_usd::float8 AS budget_usd, m.webhook_url, m.job_id, m.error::text AS error, "    \
	"m.result::text AS result, m.output_dir, "                                                 \
	"(SELECT coalesce(sum(v.spent_cost_usd), 0)::float8 FROM videos v WHERE v.movie_id = "     \
	"m.id) AS spent_cost_usd, vg_rfc3339(m.created_at) AS created_at, "                        \
	"vg_rfc3339(m.updated_at) AS updated_at, vg_rfc3339(m.started_at) AS started_at, "         \
	"vg_rfc3339(m.finished_at) AS finished_at"

/* The SELECT list of a scene, for "SELECT " VG_SCENE_COLUMNS " FROM scene_state s WHERE
 * s.movie_id = $1 ORDER BY s.position". */
#define VG_SCENE_COLUMNS                                                                           \
	"s.id, s.movie_id, s.position, s.title, s.prompt, s.duration_seconds, s.camera, "          \
	"s.caption, s.transition, s.video_id, s.stale, s.status, s.progress, s.error::text AS "    \
	"error"

/* The API scene object of row `row` (new reference). */
json_t *vg_scene_to_json(const PGresult *r, int row);

/* The API movie object (new reference): movie row `row` of m, its scenes (every row of
 * scenes, in position order), with progress, total_duration_seconds, estimated_cost_usd
 * (Σ vg_movie_scene_price over the scenes) and links derived here.  Progress: planning/draft
 * 0, rendering = 90 × Σ(progress × duration)/Σ duration over the scenes, assembling = 90 +
 * assembly_progress/10, succeeded 100, failed/cancelled: as rendering. */
json_t *vg_movie_to_json(const struct vg_conf *c, const PGresult *m, int row,
                         const PGresult *scenes);

#endif
