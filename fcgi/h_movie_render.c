/* Rendering a movie: render (a take for every scene that needs one, then the assembly),
 * regenerate (a new take of one scene, then the assembly) and cancel.  Each scene take is
 * an ordinary video with its video.generate job; with continuity the jobs form a chain in
 * the queue (job_deps) and the assembly waits for all of them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi_quota.h"
#include "h_movie_common.h"
#include "handlers.h"
#include "vg_auth.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_movie.h"
#include "vg_movie_stop.h"
#include "vg_plan.h"
#include "vg_queue.h"
#include "vg_str.h"

/* Plenty for one movie: 50 scenes and the assembly. */
#define MAX_JOBS (VG_MOVIE_MAX_SCENES + 1)

/* One scene row, the part a render needs. */
struct scene {
	const char *id;
	int position;
	const char *title;
	const char *prompt;
	const char *camera;
	int duration_s;
	const char *take; /* the current take (video id), NULL when none */
	bool needs_take;
};

struct render {
	struct vg_req *r;
	struct vg_movie_req mv;
	const char *movie_id;
	struct scene scenes[VG_MOVIE_MAX_SCENES];
	int n;
	const char *jobs[MAX_JOBS]; /* the new takes' jobs: the assembly waits for them */
	int njobs;
};

static int load_scenes(struct render *rd, struct vg_err *err)
{
	PGresult *s = vg_movie_scene_rows(rd->r, rd->movie_id, err);

	if (!s)
		return err->rc;
	rd->n = PQntuples(s) < VG_MOVIE_MAX_SCENES ? PQntuples(s) : VG_MOVIE_MAX_SCENES;
	for (int i = 0; i < rd->n; i++) {
		struct scene *sc = &rd->scenes[i];

		sc->id = vg_db_get(s, i, "id");
		sc->position = (int)vg_db_get_ll(s, i, "position", i + 1);
		sc->title = vg_db_get(s, i, "title");
		sc->prompt = vg_db_get(s, i, "prompt");
		sc->camera = vg_db_get(s, i, "camera");
		sc->duration_s = (int)vg_db_get_ll(s, i, "duration_seconds", 8);
		sc->take = vg_db_get(s, i, "video_id");
		sc->needs_take = !vg_str_eq(vg_db_get(s, i, "status"), "succeeded");
	}
	return VG_OK;
}

static double take_price(const struct render *rd, const struct scene *sc)
{
	return vg_movie_scene_price(rd->r->conf, rd->mv.provider, rd->mv.model, rd->mv.resolution,
	                            sc->duration_s);
}

/* 403 when the new takes would pass the movie's budget or the caller's monthly quota. */
static int check_money(struct render *rd, const PGresult *m, int takes, long long seconds,
                       double cost, struct vg_err *err)
{
	double spent = vg_db_get_double(m, 0, "spent_cost_usd", 0);

	if (rd->mv.has_budget && spent + cost > rd->mv.budget_usd + 0.00005)
		return vg_err_set(err, VG_EFORBIDDEN, "budget_exceeded",
		                  "%d new take%s would cost an estimated $%.2f; with $%.2f already "
		                  "spent that passes the movie's budget of $%.2f: raise budget_usd "
		                  "(PATCH the movie) or shorten or remove scenes",
		                  takes, takes == 1 ? "" : "s", cost, spent, rd->mv.budget_usd);
	return vg_quota_check(rd->r, takes == 1 ? "scene" : "render", seconds, cost, err);
}

/* The text the model gets for a scene: its prompt, camera and the movie's characters, the
 * same recipe for every scene (the style's modifier is added at generation). */
static const char *take_prompt(struct render *rd, const struct scene *sc)
{
	struct vg_arena *a = rd->r->a;
	const char *base =
	    sc->camera ? vg_arena_printf(a, "%s. Camera: %s", sc->prompt, sc->camera) : sc->prompt;
	char *p = vg_plan_scene_prompt(base, NULL, rd->mv.characters, rd->mv.n_characters);

	if (!p)
		vg_oom(0);
	vg_arena_cleanup(a, free, p);
	return p;
}

/* A new take of sc: its video row and video.generate job, waiting for `after` when given
 * (the scene before, rendered in this same run).  continue_from = the take before. */
static int insert_take(struct render *rd, struct scene *sc, const char *continue_from,
                       const char *after, struct vg_err *err)
{
	struct vg_req *r = rd->r;
	char vid[37], *job_id = NULL, *refs;
	int bad;

	vg_uuid_new(vid);
	refs = vg_db_uuid_array(r->a, rd->mv.character_image_ids, rd->mv.n_character_images, &bad);
	if (!refs)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "character image %d of movie %s is not a "
		                  "UUID",
		                  bad, rd->movie_id);
	json_t *payload = vg_json_own(r->a, json_pack("{s:s}", "video_id", vid));
	const char *deps[1] = {after};
	if (vg_queue_enqueue_after(r->db, r->a, "video.generate", payload, 100,
	                           r->conf->runner_max_attempts, deps, after ? 1 : 0, &job_id,
	                           err) != VG_OK)
		return err->rc;
	if (!vg_db_q(r->db, r->a, err,
	             "INSERT INTO videos (id, job_id, user_id, prompt, style, duration_seconds, "
	             "aspect_ratio, resolution, reference_image_ids, provider, model, "
	             "estimated_cost_usd, movie_id, scene_id, continue_from) VALUES ($1, $2, $3, "
	             "$4, $5, $6::smallint, $7, $8, $9::uuid[], $10, $11, $12::numeric, $13, $14, "
	             "$15)",
	             vid, job_id, r->who.user_id, take_prompt(rd, sc), rd->mv.style,
	             vg_arena_printf(r->a, "%d", sc->duration_s), rd->mv.aspect_ratio,
	             rd->mv.resolution, refs, rd->mv.provider, rd->mv.model,
	             vg_arena_printf(r->a, "%.4f", take_price(rd, sc)), rd->movie_id, sc->id,
	             continue_from) ||
	    !vg_db_q(r->db, r->a, err,
	             "UPDATE scenes SET video_id = $2, stale = false, updated_at = now() WHERE id "
	             "= $1",
	             sc->id, vid))
		return err->rc;
	sc->take = vg_arena_strdup(r->a, vid);
	rd->jobs[rd->njobs++] = job_id;
	return VG_OK;
}

/* The assembly job after every new take, and the movie rendering. */
static int start_assembly(struct render *rd, const char *stage, struct vg_err *err)
{
	struct vg_req *r = rd->r;
	char *job_id = NULL;
	json_t *payload = vg_json_own(r->a, json_pack("{s:s}", "movie_id", rd->movie_id));

	if (vg_queue_enqueue_after(r->db, r->a, "movie.assemble", payload, 100,
	                           r->conf->runner_max_attempts, rd->jobs, rd->njobs, &job_id,
	                           err) != VG_OK)
		return err->rc;
	if (!vg_db_q(r->db, r->a, err,
	             "UPDATE movies SET status = 'rendering', stage = $3, assembly_progress = 0, "
	             "job_id = $2, error = NULL, started_at = now(), finished_at = NULL, "
	             "updated_at = now() WHERE id = $1",
	             rd->movie_id, job_id, stage))
		return err->rc;
	return VG_OK;
}

/* Locks the caller's movie for a render: idle, the caller under the limit of work under
 * way, and its settings and scenes loaded. */
static PGresult *begin_render(struct render *rd, struct vg_req *r, struct vg_err *err)
{
	PGresult *m;

	memset(rd, 0, sizeof *rd);
	rd->r = r;
	rd->movie_id = r->params[0];
	if (vg_db_begin(r->db, r->a, err) != VG_OK)
		return NULL;
	/* an idle movie is not under way itself: the limit counts the caller's other work */
	if (!(m = vg_movie_lock(r, rd->movie_id, err)) || vg_movie_check_idle(m, err) != VG_OK ||
	    vg_active_jobs_check(r, err) != VG_OK || load_scenes(rd, err) != VG_OK) {
		vg_db_rollback(r->db);
		return NULL;
	}
	vg_movie_req_from_row(r->a, m, 0, &rd->mv);
	return m;
}

static int finish(struct render *rd, struct vg_resp *w, int rc, struct vg_err *err)
{
	if (rc != VG_OK) {
		vg_db_rollback(rd->r->db);
		return rc;
	}
	if ((rc = vg_db_commit(rd->r->db, rd->r->a, err)) != VG_OK)
		return rc;
	return vg_movie_respond(rd->r, w, rd->movie_id, 202, err);
}

static int render_scenes(struct render *rd, const PGresult *m, struct vg_err *err)
{
	long long seconds = 0;
	double cost = 0;
	int takes = 0, rc;

	if (rd->n == 0)
		return vg_err_set(err, VG_ECONFLICT, "no_scenes",
		                  "the movie has no scenes: add one with POST "
		                  "/api/v1/movies/%s/scenes first",
		                  rd->movie_id);
	for (int i = 0; i < rd->n; i++)
		if (rd->scenes[i].needs_take) {
			takes++;
			seconds += rd->scenes[i].duration_s;
			cost += take_price(rd, &rd->scenes[i]);
		}
	if ((rc = check_money(rd, m, takes, seconds, cost, err)) != VG_OK)
		return rc;
	for (int i = 0; i < rd->n; i++) {
		struct scene *sc = &rd->scenes[i], *prev = i > 0 ? &rd->scenes[i - 1] : NULL;
		bool chained = rd->mv.continuity && prev;

		if (!sc->needs_take)
			continue;
		/* with continuity a scene waits for the one before when that one is new too */
		rc = insert_take(rd, sc, chained ? prev->take : NULL,
		                 chained && prev->needs_take ? rd->jobs[rd->njobs - 1] : NULL, err);
		if (rc != VG_OK)
			return rc;
	}
	log_info("movie %s: rendering %d of %d scenes ($%.2f estimated)", rd->movie_id, takes,
	         rd->n, cost);
	return start_assembly(rd, takes ? "rendering scenes" : "joining scenes", err);
}

int h_movies_render(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct render rd;
	PGresult *m = begin_render(&rd, r, err);

	if (!m)
		return err->rc;
	return finish(&rd, w, render_scenes(&rd, m, err), err);
}

static int regenerate_scene(struct render *rd, const PGresult *m, const char *scene_id,
                            struct vg_err *err)
{
	struct scene *sc = NULL, *prev = NULL;
	int rc;

	for (int i = 0; i < rd->n; i++)
		if (vg_str_eq(rd->scenes[i].id, scene_id)) {
			sc = &rd->scenes[i];
			prev = i > 0 ? &rd->scenes[i - 1] : NULL;
		}
	if (!sc)
		return vg_scene_not_found(err);
	/* the new take is assembled with the others as they are: they must all be ready */
	for (int i = 0; i < rd->n; i++)
		if (&rd->scenes[i] != sc && rd->scenes[i].needs_take)
			return vg_err_set(
			    err, VG_ECONFLICT, "scenes_not_ready",
			    "scene %d has no finished take: render the movie (POST "
			    "/api/v1/movies/%s/render), which makes every missing take",
			    rd->scenes[i].position, rd->movie_id);
	if ((rc = check_money(rd, m, 1, sc->duration_s, take_price(rd, sc), err)) != VG_OK ||
	    (rc = insert_take(rd, sc, rd->mv.continuity && prev ? prev->take : NULL, NULL, err)) !=
	        VG_OK)
		return rc;
	log_info("movie %s: new take of scene %d", rd->movie_id, sc->position);
	return start_assembly(rd, "rendering scenes", err);
}

int h_scenes_regenerate(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct render rd;
	PGresult *m;

	if (!vg_str_is_uuid(r->params[1]))
		return vg_scene_not_found(err);
	if (!(m = begin_render(&rd, r, err)))
		return err->rc;
	return finish(&rd, w, regenerate_scene(&rd, m, r->params[1], err), err);
}

int h_movies_cancel(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *id = r->params[0];
	bool stopped = false;
	PGresult *m;
	int rc;

	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if (!(m = vg_movie_lock(r, id, err)) ||
	    vg_movie_stop(r->db, r->a, id, "cancelled", "cancelled", "cancelled by the user", NULL,
	                  NULL, &stopped, err) != VG_OK) {
		vg_db_rollback(r->db);
		return err->rc;
	}
	if (!stopped) {
		vg_db_rollback(r->db);
		return vg_err_set(err, VG_ECONFLICT, "not_running",
		                  "the movie is %s, not planning or rendering: nothing to cancel",
		                  vg_db_get(m, 0, "status"));
	}
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	return vg_movie_respond(r, w, id, 202, err);
}
