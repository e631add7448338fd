/* The movie bodies: each input goes through vg_req_json and then every validator of
 * h_movies.c and h_scenes.c — create, PATCH (against a local movie and against a Gemini
 * movie with continuity and character images), add a scene (POST …/scenes) and edit one
 * (PATCH …/scenes/x).  A validator's answer must agree with the error it filled. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vg_json.h"
#include "vg_movie.h"

/* The settings of the movies PATCH and the scene checks apply to, from real create bodies. */
static const char *const movies[] = {
    "{\"title\":\"Fox\",\"concept\":\"a fox in the snow\"}",
    "{\"title\":\"Keeper\",\"scenes\":[{\"prompt\":\"a lighthouse\"},{\"prompt\":\"a storm\","
    "\"duration_seconds\":8}],\"provider\":\"gemini\",\"continuity\":true,"
    "\"character_image_ids\":[\"0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e01\"],"
    "\"transition\":\"fade\",\"title_card\":true,\"budget_usd\":5}",
};
#define NMOVIES (sizeof movies / sizeof movies[0])

static struct vg_movie_req cur[NMOVIES];

/* Parses the fixed movies once, into an arena that lives as long as the process. */
static void load_movies(void)
{
	static struct vg_arena *keep;
	struct vg_err err;

	if (keep)
		return;
	keep = vg_arena_create(4096);
	for (size_t i = 0; i < NMOVIES; i++) {
		json_t *body = vg_json_own(keep, json_loads(movies[i], 0, NULL));

		vg_err_clear(&err);
		if (!body || vg_movie_req_parse(keep, body, fuzz_conf(), &cur[i], &err) != VG_OK) {
			fprintf(stderr, "movies[%zu] is refused: %s %s %s\n", i, err.msg,
			        err.nfields ? err.fields[0].field : "",
			        err.nfields ? err.fields[0].message : "");
			abort(); /* the fixture itself: fix movies[] */
		}
	}
}

/* rc is what the validator returned: it must be the error it filled, a success must leave
 * no field error behind, and a refusal must reach the client whole. */
static void agree(struct vg_req *r, int rc, const struct vg_err *err)
{
	if (rc != err->rc || (rc == VG_OK && err->nfields != 0))
		abort();
	if (rc != VG_OK)
		fuzz_check_problem(r, err);
}

static void one(struct vg_req *r, struct vg_arena *a, const json_t *body)
{
	const struct vg_conf *c = fuzz_conf();
	struct vg_movie_req *m = malloc(sizeof *m);
	struct vg_movie_patch *p = malloc(sizeof *p);
	struct vg_scene_req s;
	struct vg_err err;
	int rc;

	if (!m || !p)
		abort();
	vg_err_clear(&err);
	rc = vg_movie_req_parse(a, body, c, m, &err);
	agree(r, rc, &err);
	if (rc == VG_OK && (!m->title || m->n_scenes > VG_MOVIE_MAX_SCENES || m->scene_count < 1 ||
	                    m->scene_count > VG_MOVIE_MAX_SCENES))
		abort();
	for (size_t i = 0; i < NMOVIES; i++) {
		vg_err_clear(&err);
		agree(r, vg_movie_patch_parse(a, body, c, &cur[i], p, &err), &err);
		vg_err_clear(&err);
		rc = vg_scene_req_parse(a, body, c, &cur[i], false, true, &s, &err);
		agree(r, rc, &err);
		if (rc == VG_OK && !s.prompt)
			abort(); /* adding a scene needs a prompt */
		vg_err_clear(&err);
		agree(r, vg_scene_req_parse(a, body, c, &cur[i], true, false, &s, &err), &err);
	}
	free(m);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_arena *a;
	struct vg_req r;
	struct vg_err err;
	json_t *body;

	load_movies();
	a = vg_arena_create(4096);
	vg_err_clear(&err);
	fuzz_req(&r, a, "application/json", vg_arena_strndup(a, (const char *)data, size), size);
	if ((body = vg_req_json(&r, &err)) != NULL)
		one(&r, a, body);
	else
		fuzz_check_problem(&r, &err);
	fuzz_check_tight(r.body, size);
	vg_arena_destroy(a);
	return 0;
}
