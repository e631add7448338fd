/* Movies: the create, PATCH and scene bodies (defaults, every bad field named, the model's
 * limits, the planner choice), the film's length and price, and rows → API objects (rows
 * built by hand with libpq's result constructors, so no database is needed). */
#include "config.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"
#include "vg_assemble.h"
#include "vg_movie.h"
#include "vg_plan.h"

#define U1 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e01"
#define U2 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e02"
#define U3 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e03"
#define U4 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e04"
#define U5 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e05"
#define U6 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e06"

#define FAST "veo-3.1-fast-generate-preview"
#define LITE "veo-3.1-lite-generate-preview"

static struct vg_conf defaults;
static bool have_defaults;

static struct vg_conf test_conf(void)
{
	if (!have_defaults) {
		vg_conf_defaults(&defaults);
		have_defaults = true;
	}
	return defaults; /* a shallow copy: tests change flags, never the tables */
}

/* Gemini on, with a key. */
static struct vg_conf gemini_conf(void)
{
	struct vg_conf c = test_conf();

	c.providers_gemini_enabled = true;
	c.providers_gemini_api_key = (char *)"k";
	return c;
}

/* A Gemini model table with one narrow model: 4 or 8 s, no first frame, one reference
 * image at most. */
static struct vg_model narrow_model = {
    .id = (char *)"veo-narrow",
    .durations = {4, 8},
    .n_durations = 2,
    .res_720p = true,
    .res_1080p = true,
    .ar_16_9 = true,
    .ar_9_16 = true,
    .in_image = false,
    .in_last_frame = false,
    .max_reference_images = 1,
    .price_per_second = 0.5,
};

static struct vg_conf narrow_conf(void)
{
	struct vg_conf c = gemini_conf();

	c.gemini_models.models = &narrow_model;
	c.gemini_models.n = 1;
	c.gemini_models.default_model = narrow_model.id;
	return c;
}

static struct vg_arena *arena;
static struct vg_movie_req req;
static struct vg_movie_patch patch;
static struct vg_scene_req scene;
static struct vg_err err;

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *body = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	if (!body) {
		fprintf(stderr, "\nbad test JSON %s: %s\n", text, jerr.text);
		CU_FAIL_FATAL("test body is not JSON");
	}
	if (!arena)
		arena = vg_arena_create(4096);
	vg_arena_reset(arena);
	return body;
}

static int parse_with(const struct vg_conf *c, const char *text)
{
	json_t *body = load(text);
	int rc = vg_movie_req_parse(arena, body, c, &req, &err);

	json_decref(body);
	return rc;
}

static int parse(const char *text)
{
	struct vg_conf c = test_conf();

	return parse_with(&c, text);
}

static int patch_with(const struct vg_conf *c, const struct vg_movie_req *cur, const char *text)
{
	json_t *body = load(text);
	int rc = vg_movie_patch_parse(arena, body, c, cur, &patch, &err);

	json_decref(body);
	return rc;
}

static int scene_with(const struct vg_conf *c, const struct vg_movie_req *movie, bool is_patch,
                      bool allow_position, const char *text)
{
	json_t *body = load(text);
	int rc = vg_scene_req_parse(arena, body, c, movie, is_patch, allow_position, &scene, &err);

	json_decref(body);
	return rc;
}

static const struct vg_field_err *field_err(const char *field)
{
	for (int i = 0; i < err.nfields; i++)
		if (strcmp(err.fields[i].field, field) == 0)
			return &err.fields[i];
	return NULL;
}

static void dump_err(const char *text)
{
	fprintf(stderr, "\nbody %s: rc %d %s", text, err.rc, err.msg);
	for (int i = 0; i < err.nfields; i++)
		fprintf(stderr, " [%s: %s]", err.fields[i].field, err.fields[i].message);
	fprintf(stderr, "\n");
}

/* err (after a parse of text) names field, with msg_part in its message when given. */
static void check_field(int rc, const char *text, const char *field, const char *msg_part)
{
	const struct vg_field_err *f = field_err(field);

	if (rc != VG_EINVAL || !f) {
		dump_err(text);
		fprintf(stderr, "expected an error on %s\n", field);
		CU_FAIL("a bad field was accepted");
		return;
	}
	if (msg_part && !strstr(f->message, msg_part)) {
		fprintf(stderr, "\n%s: \"%s\" lacks \"%s\"\n", field, f->message, msg_part);
		CU_FAIL("the field error does not say what to do");
	}
}

static void expect_field_with(const struct vg_conf *c, const char *text, const char *field,
                              const char *msg_part)
{
	check_field(parse_with(c, text), text, field, msg_part);
}

static void expect_field(const char *text, const char *field, const char *msg_part)
{
	check_field(parse(text), text, field, msg_part);
}

static void expect_ok_with(const struct vg_conf *c, const char *text)
{
	if (parse_with(c, text) != VG_OK) {
		dump_err(text);
		CU_FAIL("a valid body was refused");
	}
}

static void expect_ok(const char *text)
{
	struct vg_conf c = test_conf();

	expect_ok_with(&c, text);
}

/* Bodies are built in their own arena: parsing resets the request arena. */
static struct vg_arena *scratch_arena;

static struct vg_arena *scratch(void)
{
	if (!scratch_arena)
		scratch_arena = vg_arena_create(4096);
	return scratch_arena;
}

static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = vg_arena_alloc(scratch(), u * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

/* {"title": "T", "concept": "c", <extra>} */
static char *concept_body(const char *extra)
{
	return vg_arena_printf(scratch(), "{\"title\":\"T\",\"concept\":\"a fox\"%s%s}",
	                       *extra ? "," : "", extra);
}

/* {"title": "T", "scenes": [<scenes>], <extra>} */
static char *scenes_body(const char *scenes, const char *extra)
{
	return vg_arena_printf(scratch(), "{\"title\":\"T\",\"scenes\":[%s]%s%s}", scenes,
	                       *extra ? "," : "", extra);
}

/* ---- create: defaults and good bodies */

static void test_defaults(void)
{
	expect_ok("{\"title\":\"  The Fox \",\"concept\":\" a fox in the snow \"}");
	CU_ASSERT_STRING_EQUAL(req.title, "The Fox");
	CU_ASSERT_STRING_EQUAL(req.concept, "a fox in the snow");
	CU_ASSERT_PTR_NULL(req.script);
	CU_ASSERT_EQUAL(req.n_scenes, 0);
	CU_ASSERT_STRING_EQUAL(req.style, "cinematic");
	CU_ASSERT_STRING_EQUAL(req.preset, "short-film");
	CU_ASSERT_EQUAL(req.scene_count, 5);
	CU_ASSERT_EQUAL(req.scene_duration_seconds, 8);
	CU_ASSERT_STRING_EQUAL(req.aspect_ratio, "16:9");
	CU_ASSERT_STRING_EQUAL(req.resolution, "720p");
	CU_ASSERT_STRING_EQUAL(req.provider, "local");
	CU_ASSERT_STRING_EQUAL(req.model, "veogen-preview-1");
	CU_ASSERT_TRUE(req.continuity);
	CU_ASSERT_EQUAL(req.n_characters, 0);
	CU_ASSERT_EQUAL(req.n_character_images, 0);
	CU_ASSERT_STRING_EQUAL(req.transition, "cut");
	CU_ASSERT_DOUBLE_EQUAL(req.transition_seconds, 1.0, 1e-12);
	CU_ASSERT_PTR_NULL(req.soundtrack_id);
	CU_ASSERT_DOUBLE_EQUAL(req.soundtrack_volume, 0.35, 1e-12);
	CU_ASSERT_FALSE(req.title_card);
	CU_ASSERT_FALSE(req.has_budget);
	CU_ASSERT_PTR_NULL(req.webhook_url);
	CU_ASSERT_STRING_EQUAL(req.planner, "local");

	expect_ok("{\"title\":\"T\",\"script\":\"It rains. A fox runs.\"}");
	CU_ASSERT_STRING_EQUAL(req.script, "It rains. A fox runs.");
	CU_ASSERT_PTR_NULL(req.concept);
	CU_ASSERT_STRING_EQUAL(req.preset, "short-film");
	CU_ASSERT_EQUAL(req.scene_count, 5);
	CU_ASSERT_STRING_EQUAL(req.planner, "local");
}

static void test_every_field_valid(void)
{
	struct vg_conf c = gemini_conf();

	expect_ok_with(&c,
	               "{\"title\":\"Fox\",\"concept\":\"a fox\",\"style\":\"anime\","
	               "\"preset\":\"commercial\",\"scene_count\":4,"
	               "\"scene_duration_seconds\":8,\"aspect_ratio\":\"9:16\","
	               "\"resolution\":\"1080p\",\"provider\":\"gemini\",\"model\":\"" FAST "\","
	               "\"continuity\":false,\"characters\":[\" a red fox \",\"an owl\"],"
	               "\"character_image_ids\":[\"" U1 "\",\"0B7E3A52-1C1D-4D7E-9F3A-"
	               "8A2B6C4D5E02\"],\"transition\":\"dissolve\","
	               "\"transition_seconds\":0.5,\"soundtrack_id\":\"" U3 "\","
	               "\"soundtrack_volume\":2,\"title_card\":true,\"budget_usd\":12.5,"
	               "\"webhook_url\":\"https://hooks.example/m\"}");
	CU_ASSERT_STRING_EQUAL(req.style, "anime");
	CU_ASSERT_STRING_EQUAL(req.preset, "commercial");
	CU_ASSERT_EQUAL(req.scene_count, 4);
	CU_ASSERT_STRING_EQUAL(req.aspect_ratio, "9:16");
	CU_ASSERT_STRING_EQUAL(req.resolution, "1080p");
	CU_ASSERT_STRING_EQUAL(req.provider, "gemini");
	CU_ASSERT_STRING_EQUAL(req.model, FAST);
	CU_ASSERT_FALSE(req.continuity);
	CU_ASSERT_EQUAL_FATAL(req.n_characters, 2);
	CU_ASSERT_STRING_EQUAL(req.characters[0], "a red fox");
	CU_ASSERT_STRING_EQUAL(req.characters[1], "an owl");
	CU_ASSERT_EQUAL_FATAL(req.n_character_images, 2);
	CU_ASSERT_STRING_EQUAL(req.character_image_ids[0], U1);
	CU_ASSERT_STRING_EQUAL(req.character_image_ids[1], U2); /* lower-cased */
	CU_ASSERT_STRING_EQUAL(req.transition, "dissolve");
	CU_ASSERT_DOUBLE_EQUAL(req.transition_seconds, 0.5, 1e-12);
	CU_ASSERT_STRING_EQUAL(req.soundtrack_id, U3);
	CU_ASSERT_DOUBLE_EQUAL(req.soundtrack_volume, 2.0, 1e-12);
	CU_ASSERT_TRUE(req.title_card);
	CU_ASSERT_TRUE(req.has_budget);
	CU_ASSERT_DOUBLE_EQUAL(req.budget_usd, 12.5, 1e-12);
	CU_ASSERT_STRING_EQUAL(req.webhook_url, "https://hooks.example/m");
	CU_ASSERT_STRING_EQUAL(req.planner, "gemini");

	/* nulls are "not given" */
	expect_ok("{\"title\":\"T\",\"concept\":\"c\",\"script\":null,\"scenes\":null,"
	          "\"style\":null,\"budget_usd\":null,\"characters\":null,\"webhook_url\":null}");
	CU_ASSERT_STRING_EQUAL(req.style, "cinematic");
	CU_ASSERT_FALSE(req.has_budget);
}

static void test_hand_scenes(void)
{
	expect_ok(scenes_body("{\"prompt\":\"  a fox wakes \"},"
	                      "{\"prompt\":\"it runs\",\"duration_seconds\":4,\"title\":\"Run\","
	                      "\"camera\":\"tracking shot\",\"caption\":\"Off it goes\","
	                      "\"transition\":\"fade\"},"
	                      "{\"prompt\":\"it sleeps\",\"title\":\"\",\"transition\":null}",
	                      "\"scene_duration_seconds\":6"));
	CU_ASSERT_STRING_EQUAL(req.planner, "hand");
	CU_ASSERT_PTR_NULL(req.preset);
	CU_ASSERT_EQUAL(req.scene_count, 3);
	CU_ASSERT_EQUAL_FATAL(req.n_scenes, 3);
	CU_ASSERT_STRING_EQUAL(req.scenes[0].prompt, "a fox wakes");
	CU_ASSERT_EQUAL(req.scenes[0].duration_seconds, 6); /* the movie's */
	CU_ASSERT_PTR_NULL(req.scenes[0].title);
	CU_ASSERT_PTR_NULL(req.scenes[0].transition);
	CU_ASSERT_EQUAL(req.scenes[1].duration_seconds, 4);
	CU_ASSERT_STRING_EQUAL(req.scenes[1].title, "Run");
	CU_ASSERT_STRING_EQUAL(req.scenes[1].camera, "tracking shot");
	CU_ASSERT_STRING_EQUAL(req.scenes[1].caption, "Off it goes");
	CU_ASSERT_STRING_EQUAL(req.scenes[1].transition, "fade");
	CU_ASSERT_PTR_NULL(req.scenes[2].title); /* "" is no title */
	CU_ASSERT_PTR_NULL(req.scenes[2].transition);

	/* a preset may come along (checked), scene_count only when it is the count */
	expect_ok(scenes_body("{\"prompt\":\"a\"},{\"prompt\":\"b\"}",
	                      "\"preset\":\"feature\",\"scene_count\":2"));
	CU_ASSERT_STRING_EQUAL(req.preset, "feature");
	CU_ASSERT_EQUAL(req.scene_count, 2);
	expect_field(scenes_body("{\"prompt\":\"a\"}", "\"preset\":\"epic\""), "preset",
	             "commercial, short-film");
	expect_field(scenes_body("{\"prompt\":\"a\"}", "\"scene_count\":3"), "scene_count",
	             "drop scene_count");

	/* fifty scenes fit, fifty-one do not */
	{
		char *fifty = repeat("{\"prompt\":\"x\"},", 50);

		fifty[strlen(fifty) - 1] = '\0';
		expect_ok(scenes_body(fifty, ""));
		CU_ASSERT_EQUAL(req.n_scenes, 50);
		CU_ASSERT_EQUAL(req.scene_count, 50);
		expect_field(
		    scenes_body(vg_arena_printf(scratch(), "%s,{\"prompt\":\"y\"}", fifty), ""),
		    "scenes", "at most 50 (limits.max_scenes_per_movie)");
	}
}

/* limits.max_scenes_per_movie below 50: hand-written scenes, scene_count and a preset's own
 * count are refused past it, each naming the field and the key. */
static void test_scene_limit(void)
{
	struct vg_conf c = test_conf();
	char *three = repeat("{\"prompt\":\"x\"},", 3);

	CU_ASSERT_EQUAL(vg_movie_max_scenes(&c), 50);
	CU_ASSERT_EQUAL(vg_movie_max_scenes(NULL), VG_MOVIE_MAX_SCENES);
	c.limits_max_scenes_per_movie = 3;
	CU_ASSERT_EQUAL(vg_movie_max_scenes(&c), 3);
	three[strlen(three) - 1] = '\0';
	expect_ok_with(&c, scenes_body(three, ""));
	CU_ASSERT_EQUAL(req.n_scenes, 3);
	expect_field_with(
	    &c, scenes_body(vg_arena_printf(scratch(), "%s,{\"prompt\":\"y\"}", three), ""),
	    "scenes", "has 4 scenes; a movie has at most 3 (limits.max_scenes_per_movie)");
	/* the detail names the limit too, not only errors[] */
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "scenes has 4 scenes"));

	expect_ok_with(&c, concept_body("\"scene_count\":3"));
	CU_ASSERT_EQUAL(req.scene_count, 3);
	expect_field_with(&c, concept_body("\"scene_count\":4"), "scene_count",
	                  "is 4; a movie has at most 3 scenes (limits.max_scenes_per_movie)");
	CU_ASSERT_EQUAL(err.nfields, 1);
	/* commercial plans 3 to 5: its low end fits, 4 does not */
	expect_ok_with(&c, concept_body("\"preset\":\"commercial\""));
	CU_ASSERT_EQUAL(req.scene_count, 3);
	expect_field_with(&c, concept_body("\"preset\":\"commercial\",\"scene_count\":4"),
	                  "scene_count", "limits.max_scenes_per_movie");
	/* a preset whose least is over the limit, given or the default (short-film: 5) */
	expect_field_with(&c, concept_body("\"preset\":\"feature\""), "preset",
	                  "plans at least 20 scenes but a movie has at most 3");
	CU_ASSERT_EQUAL(err.nfields, 1);
	expect_field_with(&c, concept_body(""), "scene_count",
	                  "defaults to 5 scenes (the short-film preset)");
	CU_ASSERT_EQUAL(err.nfields, 1);
}

/* ---- create: bad fields */

static void test_title(void)
{
	expect_field("{\"concept\":\"c\"}", "title", "is required");
	expect_field("{\"title\":null,\"concept\":\"c\"}", "title", "is required");
	expect_field("{\"title\":\"   \",\"concept\":\"c\"}", "title", "1 to 200");
	expect_field("{\"title\":7,\"concept\":\"c\"}", "title", "string");
	expect_field(
	    vg_arena_printf(scratch(), "{\"title\":\"%s\",\"concept\":\"c\"}", repeat("a", 201)),
	    "title", "1 to 200");
	expect_ok(vg_arena_printf(scratch(), "{\"title\":\"%s\",\"concept\":\"c\"}",
	                          repeat("\xC3\xA9", 200))); /* code points, not bytes */
}

static void test_concept_script_length(void)
{
	expect_ok(
	    vg_arena_printf(scratch(), "{\"title\":\"T\",\"concept\":\"%s\"}", repeat("a", 4000)));
	expect_field(
	    vg_arena_printf(scratch(), "{\"title\":\"T\",\"concept\":\"%s\"}", repeat("a", 4001)),
	    "concept", "4000");
	expect_field("{\"title\":\"T\",\"concept\":\"  \"}", "concept", NULL);
	expect_field("{\"title\":\"T\",\"concept\":[]}", "concept", "string");
	expect_ok(
	    vg_arena_printf(scratch(), "{\"title\":\"T\",\"script\":\"%s\"}", repeat("a ", 10000)));
	expect_field(
	    vg_arena_printf(scratch(), "{\"title\":\"T\",\"script\":\"%s\"}", repeat("ab", 10001)),
	    "script", "20000");
}

static void test_exactly_one_source(void)
{
	expect_field("{\"title\":\"T\"}", "concept", "one of concept");
	expect_field("{\"title\":\"T\",\"concept\":null,\"script\":null}", "concept",
	             "one of concept");
	expect_field("{\"title\":\"T\",\"concept\":\"c\",\"script\":\"s\"}", "script",
	             "only one of concept, script or scenes");
	CU_ASSERT_PTR_NULL(field_err("concept"));
	expect_field("{\"title\":\"T\",\"concept\":\"c\",\"scenes\":[{\"prompt\":\"p\"}]}",
	             "scenes", "cannot be combined with concept");
	expect_field("{\"title\":\"T\",\"script\":\"c\",\"scenes\":[{\"prompt\":\"p\"}]}", "scenes",
	             "cannot be combined with script");
	expect_ok("{\"title\":\"T\",\"concept\":null,\"script\":\"one two three four five\"}");
}

static void test_scene_fields(void)
{
	expect_field(scenes_body("", ""), "scenes", "1 to 50");
	expect_field("{\"title\":\"T\",\"scenes\":{\"prompt\":\"p\"}}", "scenes", "array");
	expect_field(scenes_body("{\"prompt\":\"a\"},{\"prompt\":\"b\"},7", ""), "scenes[2]",
	             "object");
	expect_field(scenes_body("{\"prompt\":\"a\"},{\"prompt\":\"b\"},{\"title\":\"c\"}", ""),
	             "scenes[2].prompt", "is required");
	expect_field(scenes_body("{\"prompt\":\"a\"},{\"prompt\":\"b\"},"
	                         "{\"prompt\":\"c\",\"duration_seconds\":5}",
	                         ""),
	             "scenes[2].duration_seconds", "4, 6, 8");
	CU_ASSERT_EQUAL(err.nfields, 1);
	expect_field(scenes_body("{\"prompt\":\"a\",\"duration_seconds\":\"8\"}", ""),
	             "scenes[0].duration_seconds", "integer");
	expect_field(
	    scenes_body(vg_arena_printf(scratch(), "{\"prompt\":\"%s\"}", repeat("p", 2001)), ""),
	    "scenes[0].prompt", "2000");
	expect_field(scenes_body("{\"prompt\":\"   \"}", ""), "scenes[0].prompt", NULL);
	expect_field(scenes_body(vg_arena_printf(scratch(), "{\"prompt\":\"p\",\"title\":\"%s\"}",
	                                         repeat("t", 201)),
	                         ""),
	             "scenes[0].title", "200");
	expect_field(scenes_body(vg_arena_printf(scratch(), "{\"prompt\":\"p\",\"camera\":\"%s\"}",
	                                         repeat("t", 201)),
	                         ""),
	             "scenes[0].camera", "200");
	expect_field(scenes_body(vg_arena_printf(scratch(), "{\"prompt\":\"p\",\"caption\":\"%s\"}",
	                                         repeat("t", 201)),
	                         ""),
	             "scenes[0].caption", "200");
	expect_field(scenes_body("{\"prompt\":\"p\",\"transition\":\"spin\"}", ""),
	             "scenes[0].transition", "not a transition");
	expect_field(scenes_body("{\"prompt\":\"p\",\"position\":1}", ""), "scenes[0].position",
	             "unknown field");
	expect_field(scenes_body("{\"prompt\":\"p\",\"mood\":\"dark\"}", ""), "scenes[0].mood",
	             "unknown field");

	/* every bad scene is named, with the movie's other errors */
	CU_ASSERT_EQUAL(parse(scenes_body("{\"prompt\":\"\"},{\"prompt\":\"ok\"},"
	                                  "{\"prompt\":\"p\",\"duration_seconds\":7}",
	                                  "\"style\":\"nope\"")),
	                VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 3);
	CU_ASSERT_PTR_NOT_NULL(field_err("scenes[0].prompt"));
	CU_ASSERT_PTR_NOT_NULL(field_err("scenes[2].duration_seconds"));
	CU_ASSERT_PTR_NOT_NULL(field_err("style"));
}

static void test_settings_fields(void)
{
	expect_field(concept_body("\"style\":\"noir\""), "style", "GET /api/v1/styles");
	expect_field(concept_body("\"style\":3"), "style", "string");
	expect_field(concept_body("\"scene_duration_seconds\":5"), "scene_duration_seconds",
	             "4, 6, 8");
	expect_field(concept_body("\"scene_duration_seconds\":8.0"), "scene_duration_seconds",
	             "integer");
	expect_ok(concept_body("\"scene_duration_seconds\":4"));
	CU_ASSERT_EQUAL(req.scene_duration_seconds, 4);
	expect_field(concept_body("\"aspect_ratio\":\"4:3\""), "aspect_ratio", "\"16:9\"");
	expect_field(concept_body("\"resolution\":\"4k\""), "resolution", "\"720p\"");
	expect_field(concept_body("\"provider\":\"gemini\""), "provider",
	             "provider gemini is not enabled on this server");
	expect_field(concept_body("\"provider\":\"sora\""), "provider", "local");
	expect_field(concept_body("\"model\":\"veo-9\""), "model", "veogen-preview-1");
	expect_field(concept_body("\"continuity\":\"yes\""), "continuity", "true or false");
	expect_field(concept_body("\"title_card\":1"), "title_card", "true or false");

	expect_field(concept_body("\"characters\":\"a fox\""), "characters", "array");
	expect_field(concept_body("\"characters\":[\"a\",\"b\",\"c\",\"d\"]"), "characters",
	             "at most 3");
	expect_field(concept_body(vg_arena_printf(scratch(), "\"characters\":[\"a\",\"%s\"]",
	                                          repeat("c", 301))),
	             "characters[1]", "1 to 300");
	expect_field(concept_body("\"characters\":[\"a\",5]"), "characters[1]", "string");
	expect_field(concept_body("\"characters\":[\" \"]"), "characters[0]", "1 to 300");
	expect_ok(
	    concept_body(vg_arena_printf(scratch(), "\"characters\":[\"%s\"]", repeat("c", 300))));
	CU_ASSERT_EQUAL(req.n_characters, 1);

	expect_field(concept_body("\"character_image_ids\":\"" U1 "\""), "character_image_ids",
	             "array");
	expect_field(
	    concept_body("\"character_image_ids\":[\"" U1 "\",\"" U2 "\",\"" U3 "\",\"" U4 "\"]"),
	    "character_image_ids", "at most 3");
	expect_field(concept_body("\"character_image_ids\":[\"" U1 "\",\"nope\"]"),
	             "character_image_ids[1]", "POST /api/v1/files");
	expect_field(concept_body("\"character_image_ids\":[\"" U1 "\",\"" U1 "\"]"),
	             "character_image_ids[1]", "repeats");

	expect_field(concept_body("\"transition\":\"spin\""), "transition", "not a transition");
	expect_field(concept_body("\"transition\":\"\""), "transition", NULL);
	expect_field(concept_body("\"transition_seconds\":0.4"), "transition_seconds", "0.5 to 2");
	expect_field(concept_body("\"transition_seconds\":2.01"), "transition_seconds", "0.5 to 2");
	expect_field(concept_body("\"transition_seconds\":\"1\""), "transition_seconds", NULL);
	expect_ok(concept_body("\"transition_seconds\":2"));
	CU_ASSERT_DOUBLE_EQUAL(req.transition_seconds, 2.0, 1e-12);

	expect_field(concept_body("\"soundtrack_id\":\"song.mp3\""), "soundtrack_id",
	             "POST /api/v1/files");
	expect_field(concept_body("\"soundtrack_volume\":-0.1"), "soundtrack_volume", "0");
	expect_field(concept_body("\"soundtrack_volume\":2.5"), "soundtrack_volume", "2");
	expect_ok(concept_body("\"soundtrack_volume\":0"));
	CU_ASSERT_DOUBLE_EQUAL(req.soundtrack_volume, 0.0, 1e-12);

	expect_field(concept_body("\"budget_usd\":0"), "budget_usd", "above 0");
	expect_field(concept_body("\"budget_usd\":-1"), "budget_usd", "above 0");
	expect_field(concept_body("\"budget_usd\":\"5\""), "budget_usd", NULL);
	expect_field(concept_body("\"budget_usd\":1e12"), "budget_usd", NULL);
	expect_ok(concept_body("\"budget_usd\":3"));
	CU_ASSERT_TRUE(req.has_budget);
	CU_ASSERT_DOUBLE_EQUAL(req.budget_usd, 3.0, 1e-12);

	expect_field(concept_body("\"webhook_url\":\"ftp://x\""), "webhook_url", "https://");
	expect_field(concept_body("\"webhook_url\":\"http://example.com/h\""), "webhook_url",
	             "loopback");
	/* loopback only when webhooks.allow_networks allows it (not by default) */
	expect_field(concept_body("\"webhook_url\":\"http://127.0.0.1:9/h\""), "webhook_url",
	             "webhooks.allow_networks");
	expect_ok(concept_body("\"webhook_url\":\"https://hooks.example/h\""));
	CU_ASSERT_STRING_EQUAL(req.webhook_url, "https://hooks.example/h");
}

static void test_unknown_and_many(void)
{
	expect_field(concept_body("\"prompt\":\"p\""), "prompt", "unknown field");
	CU_ASSERT_EQUAL(parse("{\"concept\":\"c\",\"script\":\"s\",\"style\":\"x\",\"extra\":1,"
	                      "\"budget_usd\":0,\"transition\":\"spin\",\"scene_count\":0,"
	                      "\"webhook_url\":\"ftp://x\"}"),
	                VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 8);
	CU_ASSERT_PTR_NOT_NULL(field_err("extra"));
	CU_ASSERT_PTR_NOT_NULL(field_err("title"));
	CU_ASSERT_PTR_NOT_NULL(field_err("script"));
	CU_ASSERT_PTR_NOT_NULL(field_err("style"));
	CU_ASSERT_PTR_NOT_NULL(field_err("budget_usd"));
	CU_ASSERT_PTR_NOT_NULL(field_err("transition"));
	CU_ASSERT_PTR_NOT_NULL(field_err("scene_count"));
	CU_ASSERT_PTR_NOT_NULL(field_err("webhook_url"));
	CU_ASSERT_EQUAL(vg_err_http_status(err.rc), 422);
}

static void test_body_not_object(void)
{
	static const char *const bodies[] = {"[]", "\"movie\"", "3", "null", "true"};

	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		CU_ASSERT_EQUAL(parse(bodies[i]), VG_EBADREQ);
		CU_ASSERT_EQUAL(err.nfields, 0);
		CU_ASSERT_EQUAL(vg_err_http_status(err.rc), 400);
	}
}

/* ---- presets and counts agree with the planner's table */

static void test_preset_count(void)
{
	static const char *const presets[] = {"commercial", "short-film", "music-video", "story",
	                                      "feature"};

	for (size_t i = 0; i < sizeof presets / sizeof *presets; i++) {
		const struct vg_preset *p = vg_preset_find(presets[i]);
		struct vg_err perr;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		expect_ok(concept_body(vg_arena_printf(scratch(), "\"preset\":\"%s\"", p->id)));
		CU_ASSERT_STRING_EQUAL(req.preset, p->id);
		CU_ASSERT_EQUAL(req.scene_count, p->low);
		vg_err_clear(&perr);
		CU_ASSERT_EQUAL(req.scene_count, vg_plan_scene_count(p->id, 0, &perr));

		expect_ok(concept_body(vg_arena_printf(
		    scratch(), "\"preset\":\"%s\",\"scene_count\":%d", p->id, p->high)));
		CU_ASSERT_EQUAL(req.scene_count, p->high);
		expect_field(
		    concept_body(vg_arena_printf(scratch(), "\"preset\":\"%s\",\"scene_count\":%d",
		                                 p->id, p->high + 1)),
		    "scene_count", p->high + 1 > 50 ? "1 and 50" : p->id);
		if (p->low > 1)
			expect_field(concept_body(vg_arena_printf(
			                 scratch(), "\"preset\":\"%s\",\"scene_count\":%d", p->id,
			                 p->low - 1)),
			             "scene_count", "must be");
	}
	expect_field(concept_body("\"preset\":\"epic\""), "preset", "commercial, short-film");
	expect_field(concept_body("\"preset\":\"epic\",\"scene_count\":3"), "preset", NULL);
	CU_ASSERT_EQUAL(err.nfields, 1);

	/* a count without a preset is 1..50 (API.md: the range applies when a preset is given) */
	expect_ok(concept_body("\"scene_count\":20"));
	CU_ASSERT_EQUAL(req.scene_count, 20);
	CU_ASSERT_PTR_NULL(req.preset);
	expect_ok(concept_body("\"scene_count\":1"));
	CU_ASSERT_EQUAL(req.scene_count, 1);
	expect_field(concept_body("\"scene_count\":0"), "scene_count", "1 and 50");
	expect_field(concept_body("\"scene_count\":51"), "scene_count", "1 and 50");
	expect_field(concept_body("\"scene_count\":\"5\""), "scene_count", "integer");
}

/* ---- the model's limits */

static void test_model_limits(void)
{
	struct vg_conf g = gemini_conf(), n = narrow_conf();

	/* lite takes no reference images: character images say so */
	expect_field_with(&g,
	                  concept_body("\"provider\":\"gemini\",\"model\":\"" LITE "\","
	                               "\"character_image_ids\":[\"" U1 "\"]"),
	                  "character_image_ids", LITE " does not take reference images");
	/* 1080p only at 8 s, for the movie's duration and each scene's */
	expect_field_with(&g,
	                  concept_body("\"provider\":\"gemini\",\"resolution\":\"1080p\","
	                               "\"scene_duration_seconds\":6"),
	                  "scene_duration_seconds", "only 8 s long");
	CU_ASSERT_EQUAL(err.nfields, 1);
	expect_field_with(
	    &g,
	    scenes_body("{\"prompt\":\"a\"},{\"prompt\":\"b\",\"duration_seconds\":4}",
	                "\"provider\":\"gemini\",\"resolution\":\"1080p\""),
	    "scenes[1].duration_seconds", "only 8 s long");
	CU_ASSERT_EQUAL(err.nfields, 1);
	/* reference images only in 8 s takes */
	expect_field_with(&g,
	                  concept_body("\"provider\":\"gemini\",\"scene_duration_seconds\":6,"
	                               "\"character_image_ids\":[\"" U1 "\"]"),
	                  "scene_duration_seconds", "reference images");
	expect_ok_with(&g, concept_body("\"provider\":\"gemini\",\"character_image_ids\":[\"" U1
	                                "\",\"" U2 "\",\"" U3 "\"]"));

	/* the narrow model: no first frame, so no continuity */
	expect_field_with(&n, concept_body("\"provider\":\"gemini\""), "continuity",
	                  "veo-narrow cannot start a scene from the last frame");
	CU_ASSERT_EQUAL(err.nfields, 1);
	expect_field_with(&n, concept_body("\"provider\":\"gemini\",\"continuity\":true"),
	                  "continuity", "set continuity to false");
	expect_ok_with(&n, concept_body("\"provider\":\"gemini\",\"continuity\":false"));
	CU_ASSERT_STRING_EQUAL(req.model, "veo-narrow");
	expect_field_with(&n,
	                  concept_body("\"provider\":\"gemini\",\"continuity\":false,"
	                               "\"scene_duration_seconds\":6"),
	                  "scene_duration_seconds", "veo-narrow makes 4 or 8 s clips");
	expect_field_with(&n,
	                  scenes_body("{\"prompt\":\"a\",\"duration_seconds\":6}",
	                              "\"provider\":\"gemini\",\"continuity\":false"),
	                  "scenes[0].duration_seconds", "veo-narrow makes 4 or 8 s clips");
	expect_field_with(&n,
	                  concept_body("\"provider\":\"gemini\",\"continuity\":false,"
	                               "\"character_image_ids\":[\"" U1 "\",\"" U2 "\"]"),
	                  "character_image_ids", "at most 1 reference images");
	expect_ok_with(&n, concept_body("\"provider\":\"gemini\",\"continuity\":false,"
	                                "\"character_image_ids\":[\"" U1 "\"]"));
}

/* ---- the planner */

static void test_planner(void)
{
	struct vg_conf c = test_conf(), g = gemini_conf(), nokey = gemini_conf();

	c.movies_planner = (char *)"auto";
	expect_ok_with(&c, concept_body(""));
	CU_ASSERT_STRING_EQUAL(req.planner, "local");
	g.movies_planner = (char *)"auto";
	expect_ok_with(&g, concept_body(""));
	CU_ASSERT_STRING_EQUAL(req.planner, "gemini");
	nokey.movies_planner = (char *)"auto";
	nokey.providers_gemini_api_key = (char *)"";
	expect_ok_with(&nokey, concept_body(""));
	CU_ASSERT_STRING_EQUAL(req.planner, "local");

	g.movies_planner = (char *)"local";
	expect_ok_with(&g, concept_body(""));
	CU_ASSERT_STRING_EQUAL(req.planner, "local");

	g.movies_planner = (char *)"gemini";
	expect_ok_with(&g, "{\"title\":\"T\",\"script\":\"s\"}");
	CU_ASSERT_STRING_EQUAL(req.planner, "gemini");

	c.movies_planner = (char *)"gemini";
	expect_field_with(&c, concept_body(""), "concept", "gemini planner is not configured");
	CU_ASSERT_EQUAL(err.nfields, 1);
	expect_field_with(&c, "{\"title\":\"T\",\"script\":\"s\"}", "script",
	                  "gemini planner is not configured");
	/* hand-written scenes need no planner */
	expect_ok_with(&c, scenes_body("{\"prompt\":\"p\"}", ""));
	CU_ASSERT_STRING_EQUAL(req.planner, "hand");

	/* the body's planner wins over the config, and is checked */
	g.movies_planner = (char *)"gemini";
	expect_ok_with(&g, concept_body("\"planner\":\"local\""));
	CU_ASSERT_STRING_EQUAL(req.planner, "local");
	expect_field_with(&g, concept_body("\"planner\":\"llm\""), "planner",
	                  "must be local or gemini");
	c.movies_planner = (char *)"local";
	expect_field_with(&c, concept_body("\"planner\":\"gemini\""), "planner",
	                  "gemini planner is not configured");
	expect_field_with(&c, scenes_body("{\"prompt\":\"p\"}", "\"planner\":\"local\""), "planner",
	                  "drop it when scenes are given");
}

/* ---- transitions: exactly the assembler's names */

static void test_transitions(void)
{
	static const char *const names[] = {"cut",  "fade", "dissolve",  "wipeleft",   "slideright",
	                                    "spin", "FADE", "fadeblack", "circleopen", "xfade"};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		bool valid = vg_assemble_transition_valid(names[i]);
		int rc = parse(
		    concept_body(vg_arena_printf(scratch(), "\"transition\":\"%s\"", names[i])));

		CU_ASSERT_EQUAL(rc, valid ? VG_OK : VG_EINVAL);
		if (valid)
			CU_ASSERT_STRING_EQUAL(req.transition, names[i]);
		rc = parse(scenes_body(vg_arena_printf(scratch(),
		                                       "{\"prompt\":\"p\",\"transition\":\"%s\"}",
		                                       names[i]),
		                       ""));
		CU_ASSERT_EQUAL(rc, valid ? VG_OK : VG_EINVAL);
		if (!valid)
			CU_ASSERT_PTR_NOT_NULL(field_err("scenes[0].transition"));
	}
	CU_ASSERT_TRUE(vg_assemble_transition_valid("fade"));
	CU_ASSERT_FALSE(vg_assemble_transition_valid("spin"));
}

/* ---- PATCH */

static struct vg_movie_req current(const char *provider, const char *model)
{
	struct vg_movie_req cur;

	memset(&cur, 0, sizeof cur);
	cur.title = "Old";
	cur.style = "cinematic";
	cur.preset = "short-film";
	cur.scene_count = 5;
	cur.scene_duration_seconds = 8;
	cur.aspect_ratio = "16:9";
	cur.resolution = "720p";
	cur.provider = provider;
	cur.model = model;
	cur.continuity = false;
	cur.transition = "cut";
	cur.transition_seconds = 1;
	cur.soundtrack_id = U3;
	cur.soundtrack_volume = 0.35;
	cur.has_budget = true;
	cur.budget_usd = 9;
	cur.webhook_url = "https://h.example/x";
	cur.planner = "local";
	return cur;
}

static void test_patch(void)
{
	struct vg_conf c = test_conf(), n = narrow_conf();
	struct vg_movie_req cur = current("local", "veogen-preview-1");

	CU_ASSERT_EQUAL(patch_with(&c, &cur, "{}"), VG_OK);
	CU_ASSERT_FALSE(patch.has_title || patch.has_style || patch.has_budget_field ||
	                patch.has_soundtrack || patch.has_continuity || patch.has_webhook_url);
	CU_ASSERT_STRING_EQUAL(patch.v.title, "Old"); /* the current settings carry over */
	CU_ASSERT_TRUE(patch.v.has_budget);

	CU_ASSERT_EQUAL(
	    patch_with(&c, &cur,
	               "{\"title\":\" New \",\"style\":\"anime\",\"transition\":\"fade\","
	               "\"transition_seconds\":1.5,\"title_card\":true,"
	               "\"soundtrack_volume\":1,\"continuity\":true,"
	               "\"characters\":[\"a fox\"],\"character_image_ids\":[\"" U1
	               "\"],\"budget_usd\":20,\"soundtrack_id\":\"" U4 "\","
	               "\"webhook_url\":\"https://h.example/y\"}"),
	    VG_OK);
	CU_ASSERT_TRUE(patch.has_title && patch.has_style && patch.has_transition &&
	               patch.has_transition_seconds && patch.has_title_card &&
	               patch.has_soundtrack_volume && patch.has_continuity &&
	               patch.has_characters && patch.has_character_images &&
	               patch.has_budget_field && patch.has_soundtrack && patch.has_webhook_url);
	CU_ASSERT_STRING_EQUAL(patch.v.title, "New");
	CU_ASSERT_STRING_EQUAL(patch.v.style, "anime");
	CU_ASSERT_STRING_EQUAL(patch.v.transition, "fade");
	CU_ASSERT_DOUBLE_EQUAL(patch.v.transition_seconds, 1.5, 1e-12);
	CU_ASSERT_TRUE(patch.v.title_card);
	CU_ASSERT_TRUE(patch.v.continuity);
	CU_ASSERT_EQUAL(patch.v.n_characters, 1);
	CU_ASSERT_EQUAL(patch.v.n_character_images, 1);
	CU_ASSERT_DOUBLE_EQUAL(patch.v.budget_usd, 20, 1e-12);
	CU_ASSERT_STRING_EQUAL(patch.v.soundtrack_id, U4);
	CU_ASSERT_STRING_EQUAL(patch.v.webhook_url, "https://h.example/y");

	/* null clears the budget, the soundtrack, the webhook and the lists */
	CU_ASSERT_EQUAL(patch_with(&c, &cur,
	                           "{\"budget_usd\":null,\"soundtrack_id\":null,"
	                           "\"webhook_url\":null,\"characters\":null}"),
	                VG_OK);
	CU_ASSERT_TRUE(patch.has_budget_field);
	CU_ASSERT_FALSE(patch.v.has_budget);
	CU_ASSERT_TRUE(patch.has_soundtrack);
	CU_ASSERT_PTR_NULL(patch.v.soundtrack_id);
	CU_ASSERT_TRUE(patch.has_webhook_url);
	CU_ASSERT_PTR_NULL(patch.v.webhook_url);
	CU_ASSERT_TRUE(patch.has_characters);
	CU_ASSERT_EQUAL(patch.v.n_characters, 0);

	/* unknown, or fixed at creation: 422 naming it */
	check_field(patch_with(&c, &cur, "{\"colour\":\"red\"}"), "colour", "colour",
	            "unknown field");
	check_field(patch_with(&c, &cur, "{\"concept\":\"c\",\"provider\":\"local\"}"), "concept",
	            "concept", "cannot be changed");
	CU_ASSERT_PTR_NOT_NULL(field_err("provider"));
	check_field(patch_with(&c, &cur, "{\"scenes\":[]}"), "scenes", "scenes",
	            "/api/v1/movies/{id}/scenes");
	check_field(patch_with(&c, &cur, "{\"title\":null}"), "title", "title", "cannot be null");
	check_field(patch_with(&c, &cur, "{\"title\":\"\"}"), "title", "title", "1 to 200");
	check_field(patch_with(&c, &cur, "{\"continuity\":null}"), "continuity", "continuity",
	            "cannot be null");
	check_field(patch_with(&c, &cur, "{\"budget_usd\":-2}"), "budget_usd", "budget_usd",
	            "above 0");
	check_field(patch_with(&c, &cur, "{\"transition\":\"spin\"}"), "transition", "transition",
	            "not a transition");
	CU_ASSERT_EQUAL(patch_with(&c, &cur, "[1]"), VG_EBADREQ);

	/* the movie's model judges continuity and character images */
	cur = current("gemini", "veo-narrow");
	check_field(patch_with(&n, &cur, "{\"continuity\":true}"), "continuity", "continuity",
	            "veo-narrow");
	CU_ASSERT_EQUAL(patch_with(&n, &cur, "{\"continuity\":false}"), VG_OK);
	check_field(patch_with(&n, &cur, "{\"character_image_ids\":[\"" U1 "\",\"" U2 "\"]}"),
	            "character_image_ids", "character_image_ids", "at most 1");
	CU_ASSERT_EQUAL(patch_with(&n, &cur, "{\"character_image_ids\":[\"" U1 "\"]}"), VG_OK);
	CU_ASSERT_STRING_EQUAL(patch.v.character_image_ids[0], U1);
}

/* ---- scene bodies */

static void test_scene_parse(void)
{
	struct vg_conf c = test_conf(), n = narrow_conf();
	struct vg_movie_req movie = current("local", "veogen-preview-1");
	struct vg_movie_req narrow = current("gemini", "veo-narrow");

	/* add */
	CU_ASSERT_EQUAL(scene_with(&c, &movie, false, true,
	                           "{\"prompt\":\" p \",\"position\":2,\"duration_seconds\":6,"
	                           "\"camera\":\"dolly\"}"),
	                VG_OK);
	CU_ASSERT_STRING_EQUAL(scene.prompt, "p");
	CU_ASSERT_EQUAL(scene.position, 2);
	CU_ASSERT_EQUAL(scene.duration_seconds, 6);
	CU_ASSERT_STRING_EQUAL(scene.camera, "dolly");
	CU_ASSERT_EQUAL(scene_with(&c, &movie, false, true, "{\"prompt\":\"p\"}"), VG_OK);
	CU_ASSERT_EQUAL(scene.position, 0);
	CU_ASSERT_EQUAL(scene.duration_seconds, 0); /* the movie's */
	check_field(scene_with(&c, &movie, false, true, "{\"title\":\"t\"}"), "", "prompt",
	            "is required");
	check_field(scene_with(&c, &movie, false, true, "{\"prompt\":\"p\",\"position\":0}"), "",
	            "position", "between 1 and 50");
	check_field(scene_with(&c, &movie, false, false, "{\"prompt\":\"p\",\"position\":1}"), "",
	            "position", "unknown field");
	check_field(
	    scene_with(&c, &movie, false, true, "{\"prompt\":\"p\",\"duration_seconds\":7}"), "",
	    "duration_seconds", "4, 6, 8");
	check_field(
	    scene_with(&n, &narrow, false, true, "{\"prompt\":\"p\",\"duration_seconds\":6}"), "",
	    "duration_seconds", "veo-narrow");
	CU_ASSERT_EQUAL(
	    scene_with(&n, &narrow, false, true, "{\"prompt\":\"p\",\"duration_seconds\":4}"),
	    VG_OK);
	CU_ASSERT_EQUAL(scene_with(&c, &movie, false, true, "[]"), VG_EBADREQ);
	CU_ASSERT_EQUAL(scene_with(&c, &movie, true, false, "\"x\""), VG_EBADREQ);

	/* edit */
	CU_ASSERT_EQUAL(scene_with(&c, &movie, true, false, "{}"), VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "at least one of prompt"));
	CU_ASSERT_EQUAL(vg_err_http_status(err.rc), 422);
	CU_ASSERT_EQUAL(scene_with(&c, &movie, true, false, "{\"title\":null,\"caption\":\"c\"}"),
	                VG_OK);
	CU_ASSERT_TRUE(scene.has_title);
	CU_ASSERT_PTR_NULL(scene.title);
	CU_ASSERT_TRUE(scene.has_caption);
	CU_ASSERT_STRING_EQUAL(scene.caption, "c");
	CU_ASSERT_FALSE(scene.has_prompt || scene.has_camera || scene.has_transition ||
	                scene.has_duration);
	CU_ASSERT_EQUAL(scene_with(&c, &movie, true, false, "{\"transition\":null}"), VG_OK);
	CU_ASSERT_TRUE(scene.has_transition);
	CU_ASSERT_PTR_NULL(scene.transition);
	CU_ASSERT_EQUAL(scene_with(&c, &movie, true, false, "{\"duration_seconds\":4}"), VG_OK);
	CU_ASSERT_TRUE(scene.has_duration);
	CU_ASSERT_EQUAL(scene.duration_seconds, 4);
	CU_ASSERT_EQUAL(scene_with(&c, &movie, true, false, "{\"prompt\":\"new\"}"), VG_OK);
	CU_ASSERT_TRUE(scene.has_prompt);
	CU_ASSERT_STRING_EQUAL(scene.prompt, "new");
	check_field(scene_with(&c, &movie, true, false, "{\"prompt\":null}"), "", "prompt",
	            "cannot be null");
	check_field(scene_with(&c, &movie, true, false, "{\"duration_seconds\":null}"), "",
	            "duration_seconds", "4, 6, 8");
	check_field(scene_with(&c, &movie, true, false, "{\"position\":2}"), "", "position",
	            "unknown field");
	check_field(scene_with(&c, &movie, true, false, "{\"transition\":\"spin\"}"), "",
	            "transition", "not a transition");
}

/* ---- length and price */

static void test_total_duration(void)
{
	static const int d3[] = {8, 8, 8};
	static const int d2[] = {8, 4};
	static const char *const own[] = {"fade", NULL, "dissolve"};
	static const char *const cuts[] = {"cut", "cut", NULL};

	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, NULL, 3, "cut", 1, false), 24, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, NULL, 3, NULL, 1, false), 24, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, NULL, 3, "fade", 1, false), 22, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, NULL, 3, "fade", 0.5, false), 23, 1e-9);
	/* a scene's own transition is the join after it; the last scene's joins nothing */
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, own, 3, "cut", 1, false), 23, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, own, 3, "wipeleft", 1, false), 22, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, cuts, 3, "fade", 1, false), 24, 1e-9);
	/* the title card joins scene 1 with the movie's transition */
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, NULL, 3, "cut", 1, true), 27, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d3, NULL, 3, "fade", 1, true), 24, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d2, NULL, 2, "fade", 0.5, true), 14, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d2, NULL, 1, "fade", 2, false), 8, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_total_duration(d2, NULL, 0, "fade", 1, true), 0, 1e-9);
}

static void test_scene_price(void)
{
	struct vg_conf c = gemini_conf(), n = narrow_conf();

	CU_ASSERT_DOUBLE_EQUAL(vg_movie_scene_price(&c, "local", "veogen-preview-1", "720p", 8),
	                       0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_scene_price(&c, "gemini", FAST, "720p", 8), 0.80, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_scene_price(&c, "gemini", FAST, "1080p", 8), 0.96, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_scene_price(&c, "gemini", FAST, "720p", 4), 0.40, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_scene_price(&c, "gemini", LITE, "720p", 6), 0.30, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(
	    vg_movie_scene_price(&c, "vertex", "veo-3.1-generate-001", "720p", 8), 3.20, 1e-9);
	/* a model no longer configured costs nothing we know of */
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_scene_price(&c, "gemini", "veo-2.0", "720p", 8), 0.0,
	                       1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_scene_price(&c, "sora", "x", "720p", 8), 0.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(vg_movie_scene_price(&n, "gemini", "veo-narrow", "720p", 4), 2.0,
	                       1e-9);
}

/* ---- rows (built by hand: libpq can make a result without a server) */

static const char *const movie_cols[] = {"id",
                                         "user_id",
                                         "title",
                                         "status",
                                         "stage",
                                         "assembly_progress",
                                         "concept",
                                         "script",
                                         "planner",
                                         "outline_only",
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
                                         "job_id",
                                         "error",
                                         "result",
                                         "output_dir",
                                         "spent_cost_usd",
                                         "created_at",
                                         "updated_at",
                                         "started_at",
                                         "finished_at"};
#define MOVIE_NCOLS ((int)(sizeof movie_cols / sizeof *movie_cols))

static const char *const scene_cols[] = {
    "id",      "movie_id",   "position", "title", "prompt", "duration_seconds", "camera",
    "caption", "transition", "video_id", "stale", "status", "progress",         "error"};
#define SCENE_NCOLS ((int)(sizeof scene_cols / sizeof *scene_cols))

/* A tuples result with the given columns and rows (values[row * ncols + col], NULL = SQL
 * NULL). */
static PGresult *make_result(const char *const *cols, int ncols, const char *const *values,
                             int nrows)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc *att = calloc((size_t)ncols, sizeof *att);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(att);
	for (int i = 0; i < ncols; i++) {
		att[i].name = (char *)cols[i];
		att[i].typid = 25; /* text */
		att[i].typlen = -1;
		att[i].atttypmod = -1;
	}
	CU_ASSERT_FATAL(PQsetResultAttrs(r, ncols, att));
	free(att);
	for (int row = 0; row < nrows; row++)
		for (int i = 0; i < ncols; i++) {
			const char *v = values[row * ncols + i];

			CU_ASSERT_FATAL(PQsetvalue(r, row, i, (char *)v, v ? (int)strlen(v) : -1));
		}
	return r;
}

/* The movie row of the object tests; status, assembly_progress, output_dir overridable. */
static PGresult *movie_row(const char *status, const char *assembly, const char *output_dir)
{
	const char *v[] = {U1,
	                   U6,
	                   "Fox",
	                   status,
	                   "rendering scenes",
	                   assembly,
	                   NULL,
	                   NULL,
	                   "hand",
	                   "f",
	                   "cinematic",
	                   NULL,
	                   "2",
	                   "8",
	                   "16:9",
	                   "720p",
	                   "gemini",
	                   FAST,
	                   "t",
	                   "[\"a red fox\"]",
	                   "[\"" U2 "\"]",
	                   "fade",
	                   "0.5",
	                   U3,
	                   "0.35",
	                   "t",
	                   "10.5",
	                   NULL,
	                   U4,
	                   NULL,
	                   NULL,
	                   output_dir,
	                   "0.80004",
	                   "2026-11-24T10:00:00Z",
	                   "2026-11-24T10:05:00Z",
	                   "2026-11-24T10:01:00Z",
	                   NULL};

	CU_ASSERT_EQUAL_FATAL((int)(sizeof v / sizeof *v), MOVIE_NCOLS);
	return make_result(movie_cols, MOVIE_NCOLS, v, 1);
}

static PGresult *scene_rows(void)
{
	const char *v[] = {U4, U1, "1", "Dawn", "a fox wakes", "8", "pan", NULL, NULL, U5, "f",
	                   "succeeded", "100", NULL,
	                   /* second scene: running, half done */
	                   U5, U1, "2", NULL, "it runs", "4", NULL, "Off it goes", "cut", U6, "f",
	                   "running", "50", NULL};

	CU_ASSERT_EQUAL_FATAL((int)(sizeof v / sizeof *v), 2 * SCENE_NCOLS);
	return make_result(scene_cols, SCENE_NCOLS, v, 2);
}

static void expect_json(json_t *o, const char *want_text)
{
	json_error_t jerr;
	json_t *want = json_loads(want_text, 0, &jerr);

	if (!want)
		fprintf(stderr, "\nbad expected JSON: %s\n", jerr.text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	if (!json_equal(o, want)) {
		char *got = json_dumps(o, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);

		fprintf(stderr, "\ngot  %s\nwant %s\n", got, w);
		free(got);
		free(w);
		CU_FAIL("object differs");
	}
	json_decref(want);
}

static void test_to_json(void)
{
	struct vg_conf c = gemini_conf();
	PGresult *m = movie_row("rendering", "0", NULL), *s = scene_rows();
	json_t *o = vg_movie_to_json(&c, m, 0, s);

	/* progress: 0.9 × (100×8 + 50×4) / 12 = 75; length: 8 + 4 − 0.5 (fade after scene 1)
	 * + 3 (title card) − 0.5 (its fade); cost: 0.8 + 0.4 */
	expect_json(o, "{\"id\":\"" U1 "\",\"title\":\"Fox\",\"status\":\"rendering\","
	               "\"progress\":75,\"stage\":\"rendering scenes\",\"style\":\"cinematic\","
	               "\"preset\":null,\"continuity\":true,\"transition\":\"fade\","
	               "\"transition_seconds\":0.5,\"scene_count\":2,"
	               "\"scene_duration_seconds\":8,\"total_duration_seconds\":14.0,"
	               "\"estimated_cost_usd\":1.2,\"spent_cost_usd\":0.8,\"budget_usd\":10.5,"
	               "\"aspect_ratio\":\"16:9\",\"resolution\":\"720p\",\"provider\":\"gemini\","
	               "\"model\":\"" FAST "\",\"planner\":\"hand\",\"outline_only\":false,"
	               "\"characters\":[\"a red fox\"],\"character_image_ids\":[\"" U2 "\"],"
	               "\"soundtrack_id\":\"" U3 "\",\"soundtrack_volume\":0.35,"
	               "\"title_card\":true,\"webhook_url\":null,\"concept\":null,\"script\":null,"
	               "\"scenes\":[{\"id\":\"" U4 "\",\"position\":1,\"title\":\"Dawn\","
	               "\"prompt\":\"a fox wakes\",\"duration_seconds\":8,\"camera\":\"pan\","
	               "\"caption\":null,\"transition\":null,\"status\":\"succeeded\","
	               "\"stale\":false,\"progress\":100,\"video_id\":\"" U5 "\",\"error\":null},"
	               "{\"id\":\"" U5 "\",\"position\":2,\"title\":null,\"prompt\":\"it runs\","
	               "\"duration_seconds\":4,\"camera\":null,\"caption\":\"Off it goes\","
	               "\"transition\":\"cut\",\"status\":\"running\",\"stale\":false,"
	               "\"progress\":50,\"video_id\":\"" U6 "\",\"error\":null}],"
	               "\"error\":null,\"result\":null,\"created_at\":\"2026-11-24T10:00:00Z\","
	               "\"updated_at\":\"2026-11-24T10:05:00Z\","
	               "\"started_at\":\"2026-11-24T10:01:00Z\",\"finished_at\":null,"
	               "\"links\":{\"self\":\"/api/v1/movies/" U1 "\"}}");
	CU_ASSERT_PTR_NULL(json_object_get(o, "user_id"));
	CU_ASSERT_PTR_NULL(json_object_get(o, "job_id"));
	CU_ASSERT_PTR_NULL(json_object_get(o, "output_dir"));
	json_decref(o);
	PQclear(m);
	PQclear(s);
}

static long long progress_of(const char *status, const char *assembly, bool with_scenes)
{
	struct vg_conf c = gemini_conf();
	PGresult *m = movie_row(status, assembly, NULL), *s = with_scenes ? scene_rows() : NULL;
	json_t *o = vg_movie_to_json(&c, m, 0, s);
	long long p = json_integer_value(json_object_get(o, "progress"));

	json_decref(o);
	PQclear(m);
	PQclear(s);
	return p;
}

static void test_progress(void)
{
	CU_ASSERT_EQUAL(progress_of("planning", "0", false), 0);
	CU_ASSERT_EQUAL(progress_of("draft", "0", true), 0);
	CU_ASSERT_EQUAL(progress_of("rendering", "0", true), 75);
	CU_ASSERT_EQUAL(progress_of("failed", "0", true), 75);
	CU_ASSERT_EQUAL(progress_of("cancelled", "0", true), 75);
	CU_ASSERT_EQUAL(progress_of("rendering", "0", false), 0);
	CU_ASSERT_EQUAL(progress_of("assembling", "0", true), 90);
	CU_ASSERT_EQUAL(progress_of("assembling", "45", true), 94);
	CU_ASSERT_EQUAL(progress_of("assembling", "100", true), 100);
	CU_ASSERT_EQUAL(progress_of("succeeded", "100", true), 100);
}

static void test_to_json_planned(void)
{
	struct vg_conf c = gemini_conf();
	const char *v[] = {U1,
	                   U6,
	                   "Fox",
	                   "succeeded",
	                   NULL,
	                   "100",
	                   "a fox",
	                   NULL,
	                   "local",
	                   "t",
	                   "anime",
	                   "short-film",
	                   "5",
	                   "6",
	                   "9:16",
	                   "1080p",
	                   "gemini",
	                   FAST,
	                   "f",
	                   "[]",
	                   "[]",
	                   "cut",
	                   "1.00",
	                   NULL,
	                   "0.35",
	                   "f",
	                   NULL,
	                   "https://h.example/m",
	                   NULL,
	                   "{\"code\":\"x\",\"message\":\"m\",\"retryable\":false}",
	                   "{\"duration_seconds\":30,\"has_audio\":true}",
	                   "movies/0b/" U1 "/" U4,
	                   "1.23456",
	                   "2026-11-24T10:00:00Z",
	                   "2026-11-24T10:05:00Z",
	                   NULL,
	                   "2026-11-24T10:09:00Z"};
	PGresult *m = make_result(movie_cols, MOVIE_NCOLS, v, 1);
	PGresult *none = make_result(scene_cols, SCENE_NCOLS, NULL, 0);
	json_t *o = vg_movie_to_json(&c, m, 0, none);
	json_t *links = json_object_get(o, "links");

	/* no scenes rows yet: the plan's numbers (5 × 6 s at 1080p fast = 5 × 0.72) */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "scene_count")), 5);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(o, "total_duration_seconds")), 30,
	                       1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(o, "estimated_cost_usd")), 3.6,
	                       1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(o, "spent_cost_usd")), 1.2346,
	                       1e-12);
	CU_ASSERT_TRUE(json_is_null(json_object_get(o, "budget_usd")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "scenes")), 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(o, "outline_only")));
	CU_ASSERT_FALSE(json_is_true(json_object_get(o, "continuity")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(o, "characters")), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "concept")), "a fox");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(json_object_get(o, "error"), "code")), "x");
	CU_ASSERT_EQUAL(
	    json_integer_value(json_object_get(json_object_get(o, "result"), "duration_seconds")),
	    30);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "progress")), 100);
	expect_json(links, "{\"self\":\"/api/v1/movies/" U1 "\","
	                   "\"content\":\"/api/v1/movies/" U1 "/content\","
	                   "\"webm\":\"/api/v1/movies/" U1 "/content?format=webm\","
	                   "\"hls\":\"/api/v1/movies/" U1 "/hls/index.m3u8\","
	                   "\"poster\":\"/api/v1/movies/" U1 "/poster\","
	                   "\"contact_sheet\":\"/api/v1/movies/" U1 "/contact-sheet\","
	                   "\"subtitles\":\"/api/v1/movies/" U1 "/subtitles.vtt\"}");
	json_decref(o);
	/* NULL scenes is the same as none */
	o = vg_movie_to_json(&c, m, 0, NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "scene_count")), 5);
	json_decref(o);
	PQclear(m);
	PQclear(none);
}

static void test_scene_to_json_stale(void)
{
	const char *v[] = {U4,   U1,     "3", "T", "p",     "6", NULL,
	                   NULL, "fade", U5,  "t", "stale", "0", "{\"code\":\"internal\"}"};
	PGresult *r = make_result(scene_cols, SCENE_NCOLS, v, 1);
	json_t *o = vg_scene_to_json(r, 0);

	CU_ASSERT_TRUE(json_is_true(json_object_get(o, "stale")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "status")), "stale");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "position")), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "transition")), "fade");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(json_object_get(o, "error"), "code")), "internal");
	CU_ASSERT_PTR_NULL(json_object_get(o, "movie_id"));
	CU_ASSERT_EQUAL(json_object_size(o), 13);
	json_decref(o);
	PQclear(r);
}

static void test_req_from_row(void)
{
	PGresult *m = movie_row("draft", "0", NULL);
	struct vg_movie_req r;

	/* not the request arena: the PATCH below resets that one */
	vg_movie_req_from_row(scratch(), m, 0, &r);
	PQclear(m); /* every string is the arena's */
	CU_ASSERT_STRING_EQUAL(r.title, "Fox");
	CU_ASSERT_PTR_NULL(r.concept);
	CU_ASSERT_STRING_EQUAL(r.style, "cinematic");
	CU_ASSERT_PTR_NULL(r.preset);
	CU_ASSERT_EQUAL(r.scene_count, 2);
	CU_ASSERT_EQUAL(r.scene_duration_seconds, 8);
	CU_ASSERT_STRING_EQUAL(r.provider, "gemini");
	CU_ASSERT_STRING_EQUAL(r.model, FAST);
	CU_ASSERT_STRING_EQUAL(r.aspect_ratio, "16:9");
	CU_ASSERT_STRING_EQUAL(r.resolution, "720p");
	CU_ASSERT_TRUE(r.continuity);
	CU_ASSERT_EQUAL_FATAL(r.n_characters, 1);
	CU_ASSERT_STRING_EQUAL(r.characters[0], "a red fox");
	CU_ASSERT_EQUAL_FATAL(r.n_character_images, 1);
	CU_ASSERT_STRING_EQUAL(r.character_image_ids[0], U2);
	CU_ASSERT_STRING_EQUAL(r.transition, "fade");
	CU_ASSERT_DOUBLE_EQUAL(r.transition_seconds, 0.5, 1e-12);
	CU_ASSERT_STRING_EQUAL(r.soundtrack_id, U3);
	CU_ASSERT_DOUBLE_EQUAL(r.soundtrack_volume, 0.35, 1e-12);
	CU_ASSERT_TRUE(r.title_card);
	CU_ASSERT_TRUE(r.has_budget);
	CU_ASSERT_DOUBLE_EQUAL(r.budget_usd, 10.5, 1e-12);
	CU_ASSERT_PTR_NULL(r.webhook_url);
	CU_ASSERT_STRING_EQUAL(r.planner, "hand");
	CU_ASSERT_EQUAL(r.n_scenes, 0);

	/* the row's settings feed the PATCH checks */
	{
		struct vg_conf c = gemini_conf();

		CU_ASSERT_EQUAL(patch_with(&c, &r, "{\"title_card\":false}"), VG_OK);
		CU_ASSERT_STRING_EQUAL(patch.v.model, FAST);
		CU_ASSERT_FALSE(patch.v.title_card);
	}
}

static void test_cleanup(void)
{
	if (have_defaults)
		vg_conf_free(&defaults);
	have_defaults = false;
	if (arena)
		vg_arena_destroy(arena);
	if (scratch_arena)
		vg_arena_destroy(scratch_arena);
	arena = scratch_arena = NULL;
}

void t_movie_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"defaults", test_defaults},
	    {"every field valid", test_every_field_valid},
	    {"hand-written scenes", test_hand_scenes},
	    {"limits.max_scenes_per_movie", test_scene_limit},
	    {"title", test_title},
	    {"concept and script length", test_concept_script_length},
	    {"exactly one of concept, script, scenes", test_exactly_one_source},
	    {"scene fields named scenes[i].x", test_scene_fields},
	    {"settings fields", test_settings_fields},
	    {"unknown fields, all errors at once", test_unknown_and_many},
	    {"body not an object", test_body_not_object},
	    {"preset and scene_count", test_preset_count},
	    {"model limits", test_model_limits},
	    {"planner", test_planner},
	    {"transitions", test_transitions},
	    {"patch", test_patch},
	    {"scene bodies", test_scene_parse},
	    {"total duration", test_total_duration},
	    {"scene price", test_scene_price},
	    {"movie object", test_to_json},
	    {"movie progress", test_progress},
	    {"movie object before planning", test_to_json_planned},
	    {"stale scene object", test_scene_to_json_stale},
	    {"settings from a row", test_req_from_row},
	    {"release test memory", test_cleanup},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("movie", tests);
}
