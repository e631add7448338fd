/* Movies: the create, PATCH and scene bodies of API.md checked field by field (every bad
 * field named, as for videos), a movie's cost and length, and rows → API objects. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_assemble.h"
#include "vg_json.h"
#include "vg_movie.h"
#include "vg_plan.h"
#include "vg_str.h"
#include "vg_style.h"
#include "vg_video.h"

#define SCENE_PROMPT_MAX      2000
#define TRANSITION_NAME_MAX   32
#define BUDGET_MAX_USD        1000000.0
#define DEFAULT_STYLE         "cinematic"
#define DEFAULT_PRESET        "short-film"
#define DEFAULT_SCENE_SECONDS 8

static const char *const create_fields[] = {"title",
                                            "concept",
                                            "script",
                                            "scenes",
                                            "style",
                                            "preset",
                                            "scene_count",
                                            "scene_duration_seconds",
                                            "aspect_ratio",
                                            "resolution",
                                            "provider",
                                            "model",
                                            "continuity",
                                            "characters",
                                            "character_image_ids",
                                            "transition",
                                            "transition_seconds",
                                            "soundtrack_id",
                                            "soundtrack_volume",
                                            "title_card",
                                            "budget_usd",
                                            "webhook_url",
                                            "planner",
                                            NULL};

static const char *const patch_fields[] = {
    "title",      "style",      "transition",          "transition_seconds",
    "budget_usd", "title_card", "soundtrack_id",       "soundtrack_volume",
    "continuity", "characters", "character_image_ids", "webhook_url",
    NULL};

static const char *const scene_fields[] = {"prompt",  "duration_seconds", "title", "camera",
                                           "caption", "transition",       NULL};
static const char *const scene_fields_pos[] = {"prompt",  "duration_seconds", "title",    "camera",
                                               "caption", "transition",       "position", NULL};

int vg_movie_max_scenes(const struct vg_conf *c)
{
	int n = c ? c->limits_max_scenes_per_movie : VG_MOVIE_MAX_SCENES;

	return n > 0 && n < VG_MOVIE_MAX_SCENES ? n : VG_MOVIE_MAX_SCENES;
}

/* A field over limits.max_scenes_per_movie: its field error, also as the detail (which
 * would otherwise only point at errors[]; other field errors stay listed). */
static void over_scene_limit(struct vg_err *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void over_scene_limit(struct vg_err *err, const char *field, const char *fmt, ...)
{
	char msg[sizeof err->fields[0].message];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	vg_err_field(err, field, "%s", msg);
	vg_err_set(err, VG_EINVAL, NULL, "%s %s", field, msg);
}

/* ---- small readers */

/* Absent and JSON null are the same for optional fields. */
static bool present(const json_t *body, const char *key)
{
	const json_t *v = json_object_get(body, key);

	return v && !json_is_null(v);
}

/* The key appears, null or not (PATCH: null clears). */
static bool named(const json_t *body, const char *key)
{
	return json_object_get(body, key) != NULL;
}

static bool in_list(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

static bool has_field_error(const struct vg_err *err, const char *field)
{
	for (int i = 0; i < err->nfields; i++)
		if (strcmp(err->fields[i].field, field) == 0)
			return true;
	return false;
}

/* One error per field: a later check of a field already refused says nothing new. */
static void field_once(struct vg_err *err, const char *field, const char *msg)
{
	if (!has_field_error(err, field))
		vg_err_field(err, field, "%s", msg);
}

static bool is_allowed_duration(long long d)
{
	return d == 4 || d == 6 || d == 8;
}

/* A JSON number in [min, max] (lower bound exclusive when above_min). */
static bool read_number(const json_t *body, const char *key, double min, double max, bool above_min,
                        const char *hint, double *out, struct vg_err *err)
{
	const json_t *v = json_object_get(body, key);
	double d;

	if (!v || json_is_null(v))
		return false;
	d = json_is_number(v) ? json_number_value(v) : NAN;
	if (!json_is_number(v) || isnan(d) || d > max || d < min || (above_min && d <= min)) {
		vg_err_field(err, key, "%s", hint);
		return false;
	}
	*out = d;
	return true;
}

static const char *read_style(struct vg_arena *a, const json_t *body, struct vg_err *err)
{
	const char *s;
	const struct vg_style *st;

	if (!vg_json_str(a, body, "style", 1, 64, &s, err))
		return NULL;
	if ((st = vg_style_find(s)))
		return st->id;
	vg_err_field(err, "style", "\"%.40s\" is not a style: use an id from GET /api/v1/styles",
	             s);
	return NULL;
}

static const char *read_transition(struct vg_arena *a, const json_t *body, struct vg_err *err)
{
	const char *s;

	if (!vg_json_str(a, body, "transition", 1, TRANSITION_NAME_MAX, &s, err))
		return NULL;
	if (vg_assemble_transition_valid(s))
		return s;
	vg_err_field(err, "transition",
	             "\"%.40s\" is not a transition: use cut, fade, dissolve, wipeleft, slideright "
	             "or another ffmpeg xfade transition",
	             s);
	return NULL;
}

/* A trimmed string element of an array, named field in errors. */
static const char *array_str(struct vg_arena *a, const json_t *v, const char *field, size_t max_len,
                             struct vg_err *err)
{
	const char *s, *t;
	size_t n, tn, chars;

	if (!json_is_string(v)) {
		vg_err_field(err, field, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (memchr(s, '\0', n)) {
		vg_err_field(err, field, "must not contain NUL characters");
		return NULL;
	}
	t = vg_str_trim(s, &tn);
	chars = vg_str_utf8_len(t, tn);
	if (chars < 1 || chars > max_len) {
		vg_err_field(err, field, "must be 1 to %zu characters", max_len);
		return NULL;
	}
	return vg_arena_strndup(a, t, tn);
}

/* characters: descriptions added to every scene prompt. */
static void read_characters(struct vg_arena *a, const json_t *body, struct vg_movie_req *out,
                            struct vg_err *err)
{
	const json_t *arr = json_object_get(body, "characters"), *v;
	size_t i;

	out->n_characters = 0;
	if (!arr || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		vg_err_field(err, "characters",
		             "must be an array of up to %d character descriptions (strings)",
		             VG_MOVIE_MAX_CHARACTERS);
		return;
	}
	if (json_array_size(arr) > VG_MOVIE_MAX_CHARACTERS) {
		vg_err_field(err, "characters",
		             "at most %d characters are allowed; this request has %zu",
		             VG_MOVIE_MAX_CHARACTERS, json_array_size(arr));
		return;
	}
	json_array_foreach(arr, i, v)
	{
		char field[64];
		const char *s;

		snprintf(field, sizeof field, "characters[%zu]", i);
		if ((s = array_str(a, v, field, VG_MOVIE_CHARACTER_MAX, err)))
			out->characters[out->n_characters++] = s;
	}
}

/* character_image_ids: files used as reference images of every scene. */
static void read_character_images(struct vg_arena *a, const json_t *body, struct vg_movie_req *out,
                                  struct vg_err *err)
{
	const json_t *arr = json_object_get(body, "character_image_ids"), *v;
	size_t i;

	out->n_character_images = 0;
	if (!arr || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		vg_err_field(err, "character_image_ids",
		             "must be an array of up to %d file ids from POST /api/v1/files",
		             VG_MOVIE_MAX_CHARACTERS);
		return;
	}
	if (json_array_size(arr) > VG_MOVIE_MAX_CHARACTERS) {
		vg_err_field(err, "character_image_ids",
		             "at most %d character images are allowed; this request has %zu",
		             VG_MOVIE_MAX_CHARACTERS, json_array_size(arr));
		return;
	}
	json_array_foreach(arr, i, v)
	{
		char field[64];
		/* bodies may carry NUL inside strings: only a whole-string UUID counts */
		const char *id = json_is_string(v) && json_string_length(v) == 36
		                     ? vg_video_uuid(a, json_string_value(v))
		                     : NULL;

		snprintf(field, sizeof field, "character_image_ids[%zu]", i);
		if (!id) {
			vg_err_field(err, field,
			             "must be a file id (a UUID) returned by POST /api/v1/files");
			continue;
		}
		for (int j = 0; j < out->n_character_images && id; j++)
			if (strcmp(out->character_image_ids[j], id) == 0) {
				vg_err_field(
				    err, field,
				    "repeats an earlier character image; list each file once");
				id = NULL;
			}
		if (id)
			out->character_image_ids[out->n_character_images++] = id;
	}
}

static void read_title(struct vg_arena *a, const json_t *body, struct vg_movie_req *out,
                       struct vg_err *err)
{
	const char *s;

	if (!present(body, "title"))
		vg_err_field(err, "title", "is required: name the movie in 1 to %d characters",
		             VG_MOVIE_TITLE_MAX);
	else if (vg_json_str(a, body, "title", 1, VG_MOVIE_TITLE_MAX, &s, err))
		out->title = s;
}

/* ---- the model's judgement */

/* The table entry of a provider's model, enabled or not (NULL when unknown). */
static const struct vg_model *movie_model(const struct vg_conf *c, const char *provider,
                                          const char *model)
{
	bool enabled;
	const struct vg_provider_models *pm;

	if (!c || !provider || !model)
		return NULL;
	pm = vg_video_provider_models(c, provider, &enabled);
	return pm ? vg_model_find(pm, model) : NULL;
}

static void check_continuity(const struct vg_model *m, struct vg_err *err)
{
	char msg[192];

	if (m->in_image)
		return;
	snprintf(msg, sizeof msg,
	         "%.60s cannot start a scene from the last frame of the one before: set continuity "
	         "to false or choose another model",
	         m->id);
	field_once(err, "continuity", msg);
}

/* The model's limits for takes of d seconds of the movie mv: duration errors go to
 * duration_field; with whole, the format and the character images too, renamed to the
 * movie's fields. */
static void model_check(const struct vg_model *m, const struct vg_movie_req *mv, int d, bool whole,
                        const char *duration_field, struct vg_err *err)
{
	struct vg_model_req r = {
	    .duration_seconds = d,
	    .aspect_ratio = mv->aspect_ratio,
	    .resolution = mv->resolution,
	    .n_reference_images = mv->n_character_images,
	};
	struct vg_err merr;

	vg_err_clear(&merr);
	vg_model_check(m, &r, &merr);
	for (int i = 0; i < merr.nfields; i++) {
		const struct vg_field_err *f = &merr.fields[i];

		if (strcmp(f->field, "duration_seconds") == 0)
			field_once(err, duration_field, f->message);
		else if (!whole)
			continue;
		else if (strcmp(f->field, "reference_image_ids") == 0)
			field_once(err, "character_image_ids", f->message);
		else
			field_once(err, f->field, f->message);
	}
	if (whole && mv->continuity)
		check_continuity(m, err);
}

/* A scene's own duration: the API's 4/6/8, then the model's. */
static void check_scene_duration(const struct vg_conf *c, const struct vg_movie_req *movie,
                                 long long d, struct vg_err *err)
{
	const struct vg_model *m;

	if (!is_allowed_duration(d)) {
		vg_err_field(err, "duration_seconds", "must be one of 4, 6, 8");
		return;
	}
	if (movie && (m = movie_model(c, movie->provider, movie->model)))
		model_check(m, movie, (int)d, false, "duration_seconds", err);
}

/* ---- scenes */

/* PATCH: title, camera, caption: null clears, "" too. */
static void read_opt_text(struct vg_arena *a, const json_t *body, const char *key, size_t max,
                          bool *has, const char **out, struct vg_err *err)
{
	const char *s;

	if (!named(body, key))
		return;
	*has = true;
	*out = NULL;
	if (vg_json_str(a, body, key, 0, max, &s, err) && *s)
		*out = s;
}

static void scene_prompt(struct vg_arena *a, const json_t *body, bool patch,
                         struct vg_scene_req *out, struct vg_err *err)
{
	const char *s;

	if (patch && !named(body, "prompt"))
		return;
	if (!present(body, "prompt")) {
		vg_err_field(err, "prompt", "%s: describe the scene in 1 to %d characters",
		             patch ? "cannot be null" : "is required", SCENE_PROMPT_MAX);
		return;
	}
	out->has_prompt = true;
	if (vg_json_str(a, body, "prompt", 1, SCENE_PROMPT_MAX, &s, err))
		out->prompt = s;
}

static void scene_duration(const json_t *body, const struct vg_conf *c,
                           const struct vg_movie_req *movie, struct vg_scene_req *out,
                           struct vg_err *err)
{
	long long n;

	if (!named(body, "duration_seconds"))
		return;
	out->has_duration = true;
	if (!present(body, "duration_seconds")) {
		vg_err_field(err, "duration_seconds", "must be one of 4, 6, 8 (not null)");
		return;
	}
	if (!vg_json_int(body, "duration_seconds", LLONG_MIN, LLONG_MAX, &n, err))
		return;
	check_scene_duration(c, movie, n, err);
	if (!has_field_error(err, "duration_seconds"))
		out->duration_seconds = (int)n;
}

static void scene_transition(struct vg_arena *a, const json_t *body, struct vg_scene_req *out,
                             struct vg_err *err)
{
	if (!named(body, "transition"))
		return;
	out->has_transition = true;
	out->transition = read_transition(a, body, err);
}

static void scene_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                        const struct vg_movie_req *movie, bool patch, bool allow_position,
                        struct vg_scene_req *out, struct vg_err *err)
{
	long long n;

	vg_json_reject_unknown(body, allow_position ? scene_fields_pos : scene_fields, err);
	scene_prompt(a, body, patch, out, err);
	read_opt_text(a, body, "title", VG_SCENE_TITLE_MAX, &out->has_title, &out->title, err);
	read_opt_text(a, body, "camera", VG_SCENE_CAMERA_MAX, &out->has_camera, &out->camera, err);
	read_opt_text(a, body, "caption", VG_SCENE_CAPTION_MAX, &out->has_caption, &out->caption,
	              err);
	scene_transition(a, body, out, err);
	scene_duration(body, c, movie, out, err);
	if (allow_position && vg_json_int(body, "position", 1, VG_MOVIE_MAX_SCENES, &n, err))
		out->position = (int)n;
	if (patch && err->rc == VG_OK &&
	    !(out->has_prompt || out->has_title || out->has_camera || out->has_caption ||
	      out->has_transition || out->has_duration))
		vg_err_set(
		    err, VG_EINVAL, NULL,
		    "nothing to change: give at least one of prompt, duration_seconds, title, "
		    "camera, caption or transition");
}

int vg_scene_req_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                       const struct vg_movie_req *movie, bool patch, bool allow_position,
                       struct vg_scene_req *out, struct vg_err *err)
{
	vg_err_clear(err);
	memset(out, 0, sizeof *out);
	if (vg_json_require_object(body, err) != VG_OK)
		return err->rc;
	scene_parse(a, body, c, movie, patch, allow_position, out, err);
	return err->rc;
}

/* Hand-written scenes: each checked as a scene body, its errors named "scenes[i].field". */
static void read_scenes(struct vg_arena *a, const json_t *arr, const struct vg_conf *c,
                        struct vg_movie_req *out, struct vg_err *err)
{
	const json_t *v;
	size_t i;
	int max = vg_movie_max_scenes(c);

	if (!json_is_array(arr) || json_array_size(arr) < 1) {
		vg_err_field(err, "scenes",
		             "must be an array of 1 to %d scenes such as {\"prompt\": \"...\"}",
		             max);
		return;
	}
	if (json_array_size(arr) > (size_t)max) {
		over_scene_limit(
		    err, "scenes",
		    "has %zu scenes; a movie has at most %d (limits.max_scenes_per_movie): "
		    "send fewer and add the rest to another movie",
		    json_array_size(arr), max);
		return;
	}
	json_array_foreach(arr, i, v)
	{
		struct vg_err sub;
		char field[160];
		struct vg_scene_req *s = &out->scenes[out->n_scenes++];

		vg_err_clear(&sub);
		memset(s, 0, sizeof *s);
		if (!json_is_object(v)) {
			snprintf(field, sizeof field, "scenes[%zu]", i);
			vg_err_field(err, field, "must be an object such as {\"prompt\": \"...\"}");
			continue;
		}
		scene_parse(a, v, c, out, false, false, s, &sub);
		for (int k = 0; k < sub.nfields; k++) {
			snprintf(field, sizeof field, "scenes[%zu].%s", i, sub.fields[k].field);
			vg_err_field(err, field, "%s", sub.fields[k].message);
		}
	}
}

/* ---- create */

static void set_defaults(struct vg_movie_req *out)
{
	memset(out, 0, sizeof *out);
	out->style = DEFAULT_STYLE;
	out->scene_duration_seconds = DEFAULT_SCENE_SECONDS;
	out->continuity = true;
	out->transition = "cut";
	out->transition_seconds = 1.0;
	out->soundtrack_volume = 0.35;
}

static void read_budget(const json_t *body, struct vg_movie_req *out, struct vg_err *err)
{
	double d;

	if (!read_number(body, "budget_usd", 0, BUDGET_MAX_USD, true,
	                 "must be a number of USD above 0 (at most 1000000)", &d, err))
		return;
	out->has_budget = true;
	out->budget_usd = d;
}

/* The settings create and PATCH share; each reads only what the body names. */
static void read_settings(struct vg_arena *a, const struct vg_conf *c, const json_t *body,
                          struct vg_movie_req *out, struct vg_err *err)
{
	const char *s;
	double d;

	if ((s = read_style(a, body, err)))
		out->style = s;
	if ((s = read_transition(a, body, err)))
		out->transition = s;
	if (read_number(body, "transition_seconds", 0.5, 2.0, false,
	                "must be a number of seconds from 0.5 to 2", &d, err))
		out->transition_seconds = d;
	vg_json_bool(body, "continuity", &out->continuity, err);
	if (named(body, "characters"))
		read_characters(a, body, out, err);
	if (named(body, "character_image_ids"))
		read_character_images(a, body, out, err);
	if (present(body, "soundtrack_id"))
		out->soundtrack_id = vg_video_read_file_id(a, body, "soundtrack_id", err);
	if (read_number(body, "soundtrack_volume", 0, 2.0, false,
	                "must be a number from 0 (silent) to 2 (twice as loud)", &d, err))
		out->soundtrack_volume = d;
	vg_json_bool(body, "title_card", &out->title_card, err);
	read_budget(body, out, err);
	if (present(body, "webhook_url"))
		out->webhook_url = vg_video_read_webhook_url(a, c, body, err);
}

static bool gemini_ready(const struct vg_conf *c)
{
	return c->providers_gemini_enabled && c->providers_gemini_api_key &&
	       *c->providers_gemini_api_key;
}

/* movies.planner with auto resolved. */
static const char *config_planner(const struct vg_conf *c)
{
	const char *p = c->movies_planner ? c->movies_planner : "auto";

	if (strcmp(p, "local") == 0)
		return "local";
	if (strcmp(p, "gemini") == 0)
		return "gemini";
	return gemini_ready(c) ? "gemini" : "local";
}

/* Exactly one of concept, script, scenes; returns the one given (NULL: none or several). */
static const char *read_source(struct vg_arena *a, const json_t *body, struct vg_movie_req *out,
                               struct vg_err *err)
{
	static const char *const keys[] = {"concept", "script", "scenes"};
	const char *first = NULL, *s;
	int n = 0;

	for (int i = 0; i < 3; i++) {
		if (!present(body, keys[i]))
			continue;
		if (n++ == 0)
			first = keys[i];
		else
			vg_err_field(
			    err, keys[i],
			    "cannot be combined with %s: give only one of concept, script or "
			    "scenes",
			    first);
	}
	if (n == 0) {
		vg_err_field(
		    err, "concept",
		    "is required unless script or scenes is given: give one of concept (the "
		    "planner writes the scenes), script or scenes (written by hand)");
		return NULL;
	}
	if (vg_json_str(a, body, "concept", 1, VG_MOVIE_CONCEPT_MAX, &s, err))
	out->concept = s;
	if (vg_json_str(a, body, "script", 1, VG_MOVIE_SCRIPT_MAX, &s, err))
		out->script = s;
	return n == 1 ? first : NULL;
}

/* preset and scene_count: planned scenes get a count in the preset's range; hand-written
 * scenes are their own count. */
static void read_count(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                       const char *source, struct vg_movie_req *out, struct vg_err *err)
{
	bool hand = source && strcmp(source, "scenes") == 0;
	const char *s = NULL;
	long long n = 0;
	const struct vg_preset *p;
	int count, max = vg_movie_max_scenes(c);

	if (vg_json_str(a, body, "preset", 1, 32, &s, err))
		out->preset = (p = vg_preset_find(s)) ? p->id : s;
	else if (!hand && !present(body, "preset") && !present(body, "scene_count"))
		out->preset = DEFAULT_PRESET; /* a count alone is 1..50, as API.md says */
	if (!vg_json_int(body, "scene_count", 1, VG_MOVIE_MAX_SCENES, &n, err) &&
	    has_field_error(err, "scene_count"))
		return;
	if (n > max) {
		over_scene_limit(
		    err, "scene_count",
		    "is %lld; a movie has at most %d scenes (limits.max_scenes_per_movie): "
		    "ask for fewer",
		    n, max);
		return;
	}
	if (hand) {
		if (out->preset)
			vg_plan_scene_count(out->preset, 0, err); /* the id only */
		if (n && n != out->n_scenes)
			vg_err_field(
			    err, "scene_count",
			    "is the number of scenes when scenes are given (%d here): drop "
			    "scene_count",
			    out->n_scenes);
		out->scene_count = out->n_scenes;
		return;
	}
	if (out->preset && has_field_error(err, "preset"))
		return;
	count = vg_plan_scene_count(out->preset, (int)n, err);
	out->scene_count = count > 0 ? count : 0;
	/* n is within the limit: this is the count of a preset, given or the default */
	if (count > max && present(body, "preset"))
		over_scene_limit(
		    err, "preset",
		    "plans at least %d scenes but a movie has at most %d "
		    "(limits.max_scenes_per_movie): choose a preset with fewer scenes, or "
		    "drop it and give scene_count",
		    count, max);
	else if (count > max)
		over_scene_limit(err, "scene_count",
		                 "defaults to %d scenes (the %s preset) but a movie has at most %d "
		                 "(limits.max_scenes_per_movie): give scene_count from 1 to %d",
		                 count, out->preset, max, max);
}

static void read_scene_duration(const json_t *body, struct vg_movie_req *out, struct vg_err *err)
{
	long long n;

	if (!vg_json_int(body, "scene_duration_seconds", LLONG_MIN, LLONG_MAX, &n, err))
		return;
	if (is_allowed_duration(n))
		out->scene_duration_seconds = (int)n;
	else
		vg_err_field(err, "scene_duration_seconds", "must be one of 4, 6, 8");
}

/* Who writes the scenes: "hand" for scenes; else the body's planner ("local" splits a
 * script or outlines a concept without an LLM even where Gemini is configured), else the
 * config's choice. */
static void check_planner(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                          const char *source, struct vg_movie_req *out, struct vg_err *err)
{
	const char *asked = NULL;

	if (vg_json_str(a, body, "planner", 1, 16, &asked, err) && strcmp(asked, "local") != 0 &&
	    strcmp(asked, "gemini") != 0) {
		vg_err_field(err, "planner", "must be local or gemini");
		asked = NULL;
	}
	if (source && strcmp(source, "scenes") == 0) {
		out->planner = "hand";
		if (asked)
			vg_err_field(err, "planner",
			             "plans a concept or script: drop it when scenes are given");
		return;
	}
	out->planner = asked ? asked : config_planner(c);
	if (source && strcmp(out->planner, "gemini") == 0 && !gemini_ready(c))
		vg_err_field(err, asked ? "planner" : source,
		             "the gemini planner is not configured (providers.gemini is not "
		             "enabled with an api_key): use planner local or give scenes instead");
}

/* The local planner's split of a script is deterministic: a script it cannot split (fewer
 * words than scenes) is refused now rather than failing the movie later. */
static void check_local_split(const struct vg_movie_req *out, struct vg_err *err)
{
	struct vg_plan plan = {0};
	struct vg_err split;

	if (err->rc != VG_OK || !out->script || strcmp(out->planner, "local") != 0)
		return;
	vg_err_clear(&split);
	if (vg_plan_from_script(out->script, out->scene_count, out->scene_duration_seconds, &plan,
	                        &split) != VG_OK) {
		for (int i = 0; i < split.nfields; i++)
			vg_err_field(err, split.fields[i].field, "%s", split.fields[i].message);
		if (split.nfields == 0)
			vg_err_field(err, "script", "%s", split.msg);
	}
	vg_plan_free(&plan);
}

int vg_movie_req_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                       struct vg_movie_req *out, struct vg_err *err)
{
	const struct vg_model *m;
	const char *source;

	vg_err_clear(err);
	set_defaults(out);
	if (vg_json_require_object(body, err) != VG_OK)
		return err->rc;
	vg_json_reject_unknown(body, create_fields, err);

	read_title(a, body, out, err);
	source = read_source(a, body, out, err);
	read_settings(a, c, body, out, err);
	read_scene_duration(body, out, err);
	vg_video_read_format(a, body, &out->aspect_ratio, &out->resolution, err);
	m = vg_video_provider_model(a, body, c, &out->provider, &out->model, err);
	if (source && strcmp(source, "scenes") == 0)
		read_scenes(a, json_object_get(body, "scenes"), c, out, err);
	read_count(a, body, c, source, out, err);
	if (m)
		model_check(m, out, out->scene_duration_seconds, true, "scene_duration_seconds",
		            err);
	for (int i = 0; i < out->n_scenes; i++)
		if (!out->scenes[i].duration_seconds)
			out->scenes[i].duration_seconds = out->scene_duration_seconds;
	check_planner(a, body, c, source, out, err);
	check_local_split(out, err);
	return err->rc;
}

/* ---- PATCH */

static void patch_reject(const json_t *body, struct vg_err *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)body, key, v)
	{
		if (in_list(patch_fields, key))
			continue;
		if (strcmp(key, "scenes") == 0)
			vg_err_field(err, key,
			             "cannot be changed here: use POST, PATCH and DELETE "
			             "/api/v1/movies/{id}/scenes");
		else if (in_list(create_fields, key))
			vg_err_field(
			    err, key,
			    "cannot be changed after the movie is created: create a new movie");
		else
			vg_err_field(err, key, "unknown field: remove it");
	}
}

/* Fields that may not be null in a PATCH (null clears only budget, soundtrack, lists and
 * the webhook). */
static void patch_nulls(const json_t *body, struct vg_err *err)
{
	static const char *const not_null[] = {"title",      "style",
	                                       "transition", "transition_seconds",
	                                       "title_card", "soundtrack_volume",
	                                       "continuity", NULL};

	for (const char *const *k = not_null; *k; k++)
		if (named(body, *k) && !present(body, *k))
			vg_err_field(err, *k,
			             "cannot be null: give a value or leave the field out");
}

static void patch_model_check(const struct vg_conf *c, const struct vg_movie_req *cur,
                              struct vg_movie_patch *out, struct vg_err *err)
{
	const struct vg_model *m = cur ? movie_model(c, cur->provider, cur->model) : NULL;

	if (!m)
		return;
	if (out->has_continuity && out->v.continuity)
		check_continuity(m, err);
	if (out->has_character_images && out->v.n_character_images > 0) {
		struct vg_model_req r = {
		    .duration_seconds = cur->scene_duration_seconds,
		    .n_reference_images = out->v.n_character_images,
		};
		struct vg_err merr;

		vg_err_clear(&merr);
		vg_model_check(m, &r, &merr);
		for (int i = 0; i < merr.nfields; i++)
			if (strcmp(merr.fields[i].field, "reference_image_ids") == 0)
				field_once(err, "character_image_ids", merr.fields[i].message);
	}
}

int vg_movie_patch_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                         const struct vg_movie_req *cur, struct vg_movie_patch *out,
                         struct vg_err *err)
{
	const char *s;
	struct vg_movie_req *v = &out->v;

	vg_err_clear(err);
	memset(out, 0, sizeof *out);
	/* out->v starts as the current settings so the model checks see the result */
	if (cur)
		*v = *cur;
	else
		set_defaults(v);
	if (vg_json_require_object(body, err) != VG_OK)
		return err->rc;
	patch_reject(body, err);
	patch_nulls(body, err);

	out->has_title = named(body, "title");
	if (vg_json_str(a, body, "title", 1, VG_MOVIE_TITLE_MAX, &s, err))
		v->title = s;
	out->has_style = named(body, "style");
	out->has_transition = named(body, "transition");
	out->has_transition_seconds = named(body, "transition_seconds");
	out->has_budget_field = named(body, "budget_usd");
	out->has_title_card = named(body, "title_card");
	out->has_soundtrack = named(body, "soundtrack_id");
	out->has_soundtrack_volume = named(body, "soundtrack_volume");
	out->has_continuity = named(body, "continuity");
	out->has_characters = named(body, "characters");
	out->has_character_images = named(body, "character_image_ids");
	out->has_webhook_url = named(body, "webhook_url");
	if (out->has_budget_field) {
		v->has_budget = false;
		v->budget_usd = 0;
	}
	if (out->has_soundtrack)
		v->soundtrack_id = NULL;
	if (out->has_webhook_url)
		v->webhook_url = NULL;
	read_settings(a, c, body, v, err);
	patch_model_check(c, cur, out, err);
	return err->rc;
}

/* ---- cost and length */

double vg_movie_scene_price(const struct vg_conf *c, const char *provider, const char *model,
                            const char *resolution, int duration_seconds)
{
	const struct vg_model *m;
	struct vg_model_req r = {.duration_seconds = duration_seconds, .resolution = resolution};

	if (!provider || strcmp(provider, "local") == 0 || duration_seconds <= 0)
		return 0.0;
	if (!(m = movie_model(c, provider, model)))
		return 0.0;
	return vg_model_price(m, &r);
}

static bool is_cut(const char *t)
{
	return !t || !*t || strcmp(t, "cut") == 0;
}

double vg_movie_frames_s(double seconds)
{
	long long frames = llround(seconds * VG_MOVIE_FPS);

	return (double)(frames > 0 ? frames : 1) / VG_MOVIE_FPS;
}

double vg_movie_total_duration(const int *durations, const char *const *transitions, int n,
                               const char *movie_transition, double transition_seconds,
                               bool title_card)
{
	double total = 0;

	transition_seconds = vg_movie_frames_s(transition_seconds);
	if (n <= 0)
		return 0.0;
	for (int i = 0; i < n; i++) {
		const char *t = transitions && transitions[i] ? transitions[i] : movie_transition;

		total += durations[i];
		if (i < n - 1 && !is_cut(t))
			total -= transition_seconds;
	}
	if (title_card) {
		total += VG_MOVIE_TITLE_CARD_S;
		if (!is_cut(movie_transition))
			total -= transition_seconds;
	}
	return total;
}

/* ---- rows */

/* Text of a column, NULL for SQL NULL or a column the SELECT lacks. */
static const char *col(const PGresult *r, int row, const char *name)
{
	int f = r ? PQfnumber(r, name) : -1;

	if (f < 0 || row < 0 || row >= PQntuples(r) || PQgetisnull(r, row, f))
		return NULL;
	return PQgetvalue(r, row, f);
}

static long long col_ll(const PGresult *r, int row, const char *name, long long dflt)
{
	int64_t v;
	const char *s = col(r, row, name);

	return s && vg_str_i64(s, INT64_MIN, INT64_MAX, &v) ? (long long)v : dflt;
}

static double col_d(const PGresult *r, int row, const char *name, double dflt)
{
	const char *s = col(r, row, name);
	char *end;
	double d = s ? strtod(s, &end) : 0.0;

	return s && end != s && !*end ? d : dflt;
}

static bool col_bool(const PGresult *r, int row, const char *name)
{
	return vg_str_eq(col(r, row, name), "t");
}

static const char *col_dup(struct vg_arena *a, const PGresult *r, int row, const char *name)
{
	const char *s = col(r, row, name);

	return s ? vg_arena_strdup(a, s) : NULL;
}

/* A JSON array of strings (array_to_json of text[] or uuid[]) into at most max entries. */
static int col_strings(struct vg_arena *a, const PGresult *r, int row, const char *name,
                       const char **out, int max)
{
	const char *s = col(r, row, name);
	json_t *arr = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL, *v;
	size_t i;
	int n = 0;

	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && n < max)
			out[n++] = vg_arena_strdup(a, json_string_value(v));
	}
	json_decref(arr);
	return n;
}

void vg_movie_req_from_row(struct vg_arena *a, const PGresult *r, int row, struct vg_movie_req *out)
{
	memset(out, 0, sizeof *out);
	out->title = col_dup(a, r, row, "title");
	out->concept = col_dup(a, r, row, "concept");
	out->script = col_dup(a, r, row, "script");
	out->style = col_dup(a, r, row, "style");
	out->preset = col_dup(a, r, row, "preset");
	out->scene_count = (int)col_ll(r, row, "scene_count", 0);
	out->scene_duration_seconds =
	    (int)col_ll(r, row, "scene_duration_seconds", DEFAULT_SCENE_SECONDS);
	out->aspect_ratio = col_dup(a, r, row, "aspect_ratio");
	out->resolution = col_dup(a, r, row, "resolution");
	out->provider = col_dup(a, r, row, "provider");
	out->model = col_dup(a, r, row, "model");
	out->continuity = col_bool(r, row, "continuity");
	out->n_characters =
	    col_strings(a, r, row, "characters", out->characters, VG_MOVIE_MAX_CHARACTERS);
	out->n_character_images = col_strings(a, r, row, "character_image_ids",
	                                      out->character_image_ids, VG_MOVIE_MAX_CHARACTERS);
	out->transition = col_dup(a, r, row, "transition");
	if (!out->transition)
		out->transition = "cut";
	out->transition_seconds = col_d(r, row, "transition_seconds", 1.0);
	out->soundtrack_id = col_dup(a, r, row, "soundtrack_id");
	out->soundtrack_volume = col_d(r, row, "soundtrack_volume", 0.35);
	out->title_card = col_bool(r, row, "title_card");
	out->has_budget = col(r, row, "budget_usd") != NULL;
	out->budget_usd = col_d(r, row, "budget_usd", 0.0);
	out->webhook_url = col_dup(a, r, row, "webhook_url");
	out->planner = col_dup(a, r, row, "planner");
}

/* ---- API objects */

static void set(json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) != 0)
		vg_oom(64);
}

static json_t *jstr(const PGresult *r, int row, const char *name)
{
	return vg_json_str_or_null(col(r, row, name));
}

static json_t *jint(const PGresult *r, int row, const char *name)
{
	const char *s = col(r, row, name);
	int64_t v;

	return s && vg_str_i64(s, INT64_MIN, INT64_MAX, &v) ? json_integer(v) : json_null();
}

/* A json/jsonb column sent as text; dflt (new reference) when NULL or unreadable. */
static json_t *jjson(const PGresult *r, int row, const char *name, json_t *dflt)
{
	const char *s = col(r, row, name);
	json_t *v = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;

	if (!v)
		return dflt;
	json_decref(dflt);
	return v;
}

static double round_to(double x, double scale)
{
	return round(x * scale) / scale;
}

json_t *vg_scene_to_json(const PGresult *r, int row)
{
	json_t *o = json_object();

	if (!o)
		vg_oom(64);
	set(o, "id", jstr(r, row, "id"));
	set(o, "position", jint(r, row, "position"));
	set(o, "title", jstr(r, row, "title"));
	set(o, "prompt", jstr(r, row, "prompt"));
	set(o, "duration_seconds", jint(r, row, "duration_seconds"));
	set(o, "camera", jstr(r, row, "camera"));
	set(o, "caption", jstr(r, row, "caption"));
	set(o, "transition", jstr(r, row, "transition"));
	set(o, "status", jstr(r, row, "status"));
	set(o, "stale", json_boolean(col_bool(r, row, "stale")));
	set(o, "progress", json_integer(col_ll(r, row, "progress", 0)));
	set(o, "video_id", jstr(r, row, "video_id"));
	set(o, "error", jjson(r, row, "error", json_null()));
	return o;
}

/* What the movie's numbers derive from its scenes (or, before planning, its plan). */
struct movie_sums {
	int n;
	double duration;
	double estimate;
	double weighted_progress; /* Σ progress × duration / Σ duration, 0–100 */
};

static void movie_sums(const struct vg_conf *c, const PGresult *m, int row, const PGresult *scenes,
                       struct movie_sums *out)
{
	const char *provider = col(m, row, "provider"), *model = col(m, row, "model");
	const char *resolution = col(m, row, "resolution"), *transition = col(m, row, "transition");
	double ts = col_d(m, row, "transition_seconds", 1.0), pd = 0, sd = 0;
	bool card = col_bool(m, row, "title_card");
	int n = scenes ? PQntuples(scenes) : 0, *d;
	const char **t;

	memset(out, 0, sizeof *out);
	if (n == 0) {
		int planned = (int)col_ll(m, row, "scene_count", 0);
		int dur = (int)col_ll(m, row, "scene_duration_seconds", DEFAULT_SCENE_SECONDS);

		n = planned > 0 && planned <= VG_MOVIE_MAX_SCENES ? planned : 0;
		out->n = n;
		d = calloc((size_t)n + 1, sizeof *d);
		if (!d)
			vg_oom((size_t)n * sizeof *d);
		for (int i = 0; i < n; i++)
			d[i] = dur;
		out->duration = vg_movie_total_duration(d, NULL, n, transition, ts, card);
		out->estimate = n * vg_movie_scene_price(c, provider, model, resolution, dur);
		free(d);
		return;
	}
	out->n = n;
	d = calloc((size_t)n, sizeof *d);
	t = calloc((size_t)n, sizeof *t);
	if (!d || !t)
		vg_oom((size_t)n * (sizeof *d + sizeof *t));
	for (int i = 0; i < n; i++) {
		d[i] = (int)col_ll(scenes, i, "duration_seconds", 0);
		t[i] = col(scenes, i, "transition");
		out->estimate += vg_movie_scene_price(c, provider, model, resolution, d[i]);
		pd += (double)col_ll(scenes, i, "progress", 0) * d[i];
		sd += d[i];
	}
	out->duration = vg_movie_total_duration(d, t, n, transition, ts, card);
	out->weighted_progress = sd > 0 ? pd / sd : 0;
	free(d);
	free(t);
}

static int movie_progress(const char *status, const struct movie_sums *s, long long assembly)
{
	if (!status || strcmp(status, "planning") == 0 || strcmp(status, "draft") == 0)
		return 0;
	if (strcmp(status, "succeeded") == 0)
		return 100;
	if (strcmp(status, "assembling") == 0)
		return 90 + (int)(assembly < 0 ? 0 : assembly > 100 ? 10 : assembly / 10);
	/* rendering, failed, cancelled: how far the takes got */
	return (int)(0.9 * (s->weighted_progress > 100 ? 100 : s->weighted_progress));
}

static json_t *movie_links(const char *id, bool has_output)
{
	json_t *l = json_object();

	if (!l)
		vg_oom(64);
	set(l, "self", json_sprintf("/api/v1/movies/%s", id));
	if (has_output) {
		set(l, "content", json_sprintf("/api/v1/movies/%s/content", id));
		set(l, "webm", json_sprintf("/api/v1/movies/%s/content?format=webm", id));
		set(l, "hls", json_sprintf("/api/v1/movies/%s/hls/index.m3u8", id));
		set(l, "poster", json_sprintf("/api/v1/movies/%s/poster", id));
		set(l, "contact_sheet", json_sprintf("/api/v1/movies/%s/contact-sheet", id));
		set(l, "subtitles", json_sprintf("/api/v1/movies/%s/subtitles.vtt", id));
	}
	return l;
}

static json_t *scenes_json(const PGresult *scenes)
{
	json_t *arr = json_array();
	int n = scenes ? PQntuples(scenes) : 0;

	if (!arr)
		vg_oom(64);
	for (int i = 0; i < n; i++)
		if (json_array_append_new(arr, vg_scene_to_json(scenes, i)) != 0)
			vg_oom(64);
	return arr;
}

static json_t *money(double usd)
{
	return json_real(round_to(usd, 1e4));
}

/* The settings of the movie object, straight from the row. */
static void movie_settings(json_t *o, const PGresult *m, int row)
{
	set(o, "style", jstr(m, row, "style"));
	set(o, "preset", jstr(m, row, "preset"));
	set(o, "continuity", json_boolean(col_bool(m, row, "continuity")));
	set(o, "transition", jstr(m, row, "transition"));
	set(o, "transition_seconds",
	    json_real(round_to(col_d(m, row, "transition_seconds", 1), 1e2)));
	set(o, "scene_duration_seconds", jint(m, row, "scene_duration_seconds"));
	set(o, "aspect_ratio", jstr(m, row, "aspect_ratio"));
	set(o, "resolution", jstr(m, row, "resolution"));
	set(o, "provider", jstr(m, row, "provider"));
	set(o, "model", jstr(m, row, "model"));
	set(o, "planner", jstr(m, row, "planner"));
	set(o, "outline_only", json_boolean(col_bool(m, row, "outline_only")));
	set(o, "characters", jjson(m, row, "characters", json_array()));
	set(o, "character_image_ids", jjson(m, row, "character_image_ids", json_array()));
	set(o, "soundtrack_id", jstr(m, row, "soundtrack_id"));
	set(o, "soundtrack_volume",
	    json_real(round_to(col_d(m, row, "soundtrack_volume", 0.35), 1e2)));
	set(o, "title_card", json_boolean(col_bool(m, row, "title_card")));
	set(o, "webhook_url", jstr(m, row, "webhook_url"));
	set(o, "concept", jstr(m, row, "concept"));
	set(o, "script", jstr(m, row, "script"));
}

json_t *vg_movie_to_json(const struct vg_conf *c, const PGresult *m, int row,
                         const PGresult *scenes)
{
	json_t *o = json_object();
	const char *id = col(m, row, "id"), *status = col(m, row, "status");
	struct movie_sums sums;

	if (!o)
		vg_oom(64);
	movie_sums(c, m, row, scenes, &sums);
	set(o, "id", vg_json_str_or_null(id));
	set(o, "title", jstr(m, row, "title"));
	set(o, "status", vg_json_str_or_null(status));
	set(o, "progress",
	    json_integer(movie_progress(status, &sums, col_ll(m, row, "assembly_progress", 0))));
	set(o, "stage", jstr(m, row, "stage"));
	movie_settings(o, m, row);
	set(o, "scene_count",
	    json_integer(scenes && PQntuples(scenes) > 0 ? PQntuples(scenes)
	                                                 : col_ll(m, row, "scene_count", 0)));
	set(o, "total_duration_seconds", json_real(round_to(sums.duration, 1e3)));
	set(o, "estimated_cost_usd", money(sums.estimate));
	set(o, "spent_cost_usd", money(col_d(m, row, "spent_cost_usd", 0)));
	set(o, "budget_usd",
	    col(m, row, "budget_usd") ? money(col_d(m, row, "budget_usd", 0)) : json_null());
	set(o, "scenes", scenes_json(scenes));
	set(o, "error", jjson(m, row, "error", json_null()));
	set(o, "result", jjson(m, row, "result", json_null()));
	set(o, "created_at", vg_json_time(col(m, row, "created_at")));
	set(o, "updated_at", vg_json_time(col(m, row, "updated_at")));
	set(o, "started_at", vg_json_time(col(m, row, "started_at")));
	set(o, "finished_at", vg_json_time(col(m, row, "finished_at")));
	set(o, "links", movie_links(id ? id : "", col(m, row, "output_dir") != NULL));
	return o;
}
