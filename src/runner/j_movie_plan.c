/* movie.plan: payload {"movie_id": "..."}; one step, "start" (CPU lane): the planner of
 * the row (movies.planner) writes the scenes — "local" splits a script or lays a concept
 * out as an outline, "gemini" asks the Gemini text model for JSON that vg_plan checks —
 * and one transaction inserts them, puts the movie in draft and completes the job.  A
 * plan that fails for good fails the movie (movie_fail), never leaving half a plan.
 * Every movie UPDATE is guarded by status planning and by the movie's job being ours. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "movie_state.h"
#include "runner.h"
#include "vg_gtext.h"
#include "vg_log.h"
#include "vg_model.h"
#include "vg_plan.h"
#include "vg_str.h"
#include "vg_style.h"

/* The guard of every movie update: $1 movie id, $2 job id. */
#define MOVIE_OURS "id = $1 AND job_id = $2::uuid"

static const char planner_system[] =
    "You are a film director and storyboard artist. You plan short films shot by a video "
    "generation model, one continuous shot per scene, and answer only with JSON that "
    "follows the given schema.";

struct plan_movie {
	const char *id;
	const char *concept, *script, *planner, *style, *provider, *model;
	int scene_count, scene_duration_s;
};

static int load_movie(struct runner_worker *w, struct vg_arena *a, const struct vg_job *job,
                      struct plan_movie *m, struct vg_err *err)
{
	PGresult *r;

	memset(m, 0, sizeof *m);
	m->id = runner_payload_id(job, "movie_id", err);
	if (!m->id)
		return err->rc;
	r = vg_db_q(w->db, a, err,
	            "UPDATE movies SET stage = 'planning', updated_at = now() WHERE " MOVIE_OURS
	            " AND status = 'planning' RETURNING concept, script, planner, style, "
	            "scene_count, scene_duration_seconds, provider, model",
	            m->id, job->id);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return runner_row_not_ours(w, a, job, RUNNER_ROW_MOVIE, m->id,
		                           "only a planning movie can be planned", err);
	m->concept = vg_db_get(r, 0, "concept");
	m->script = vg_db_get(r, 0, "script");
	m->planner = vg_db_get(r, 0, "planner");
	m->style = vg_db_get(r, 0, "style");
	m->provider = vg_db_get(r, 0, "provider");
	m->model = vg_db_get(r, 0, "model");
	m->scene_count = (int)vg_db_get_ll(r, 0, "scene_count", 0);
	m->scene_duration_s = (int)vg_db_get_ll(r, 0, "scene_duration_seconds", 0);
	if (!m->concept && !m->script)
		return vg_err_set(err, VG_EINVAL, "plan_failed",
		                  "the movie has neither a concept nor a script to plan from: "
		                  "write the scenes yourself");
	if (m->scene_count < 1 || m->scene_duration_s < 1)
		return vg_err_set(err, VG_EINVAL, "plan_failed",
		                  "the movie asks for %d scenes of %d s, which cannot be planned",
		                  m->scene_count, m->scene_duration_s);
	return VG_OK;
}

static const struct vg_provider_models *provider_models(const struct vg_conf *c,
                                                        const char *provider)
{
	if (vg_str_eq(provider, "local"))
		return &c->local_models;
	if (vg_str_eq(provider, "gemini"))
		return &c->gemini_models;
	if (vg_str_eq(provider, "vertex"))
		return &c->vertex_models;
	return NULL;
}

/* The style as the planner should read it: what it is, then the words added to prompts. */
static char *style_text(struct vg_arena *a, const char *id)
{
	const struct vg_style *s = id ? vg_style_find(id) : NULL;

	if (!s)
		return NULL;
	return vg_arena_printf(a, "%s. %s", s->description, s->prompt_modifier);
}

/* What a Gemini error means for the movie: blocked or unusable answers and refusals will
 * not change on a retry (VG_EINVAL, the movie's code); the rest is transient. */
static int gemini_error(int rc, struct vg_err *err)
{
	char why[sizeof err->msg];

	snprintf(why, sizeof why, "%s", err->msg);
	if (vg_str_eq(err->code, "prompt_blocked") || vg_str_eq(err->code, "text_blocked"))
		return vg_err_set(err, VG_EINVAL, "safety_filtered",
		                  "the planner refused the movie (%s): change the concept or "
		                  "write the scenes yourself",
		                  why);
	if (rc == VG_EINVAL || vg_str_eq(err->code, "plan_invalid"))
		return vg_err_set(err, VG_EINVAL, "plan_invalid",
		                  "the planner's answer was cut off or invalid (%s): try again or "
		                  "write the scenes yourself",
		                  why);
	if (vg_str_eq(err->code, "provider_rejected"))
		return vg_err_set(err, VG_EINVAL, "plan_failed", "%s", why);
	if (vg_str_eq(err->code, "quota_exceeded"))
		return vg_err_set(err, VG_EINVAL, "provider_unavailable",
		                  "%s: try again later or write the scenes yourself", why);
	return rc;
}

static int plan_gemini(struct runner_worker *w, const struct vg_job *job,
                       const struct plan_movie *m, struct vg_plan *plan, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	const struct vg_provider_models *pm = provider_models(c, m->provider);
	const struct vg_model *model = pm ? vg_model_find(pm, m->model) : NULL;
	const char *text = m->script ? m->script : m->concept;
	json_t *answer = NULL;
	char *prompt;
	int rc, lease_s;

	if (!c->providers_gemini_api_key || !c->providers_gemini_api_key[0])
		return vg_err_set(
		    err, VG_EINVAL, "provider_unavailable",
		    "the Gemini planner is not configured (providers.gemini.api_key): "
		    "write the scenes yourself or give a script");
	if (!model)
		log_warnx("movie %s: model %s of %s is no longer configured; every scene gets "
		          "%d s",
		          m->id, m->model, m->provider, m->scene_duration_s);
	/* vg_gtext_generate blocks through its own retries (up to 5 requests and 4 waits of
	 * at most a minute) with no heartbeat: hold the lease that long once, up front. */
	lease_s = 5 * (c->providers_http_timeout_s > 0 ? c->providers_http_timeout_s : 60) +
	          4 * 60 + c->runner_lease_s;
	if ((rc = vg_queue_heartbeat(w->db, w->step_arena, job, lease_s, err)) != VG_OK)
		return rc;
	prompt = vg_plan_prompt(text, style_text(w->step_arena, m->style), m->scene_count,
	                        m->scene_duration_s);
	if (!prompt)
		vg_oom(0);
	rc = vg_gtext_generate(c, planner_system, prompt, vg_plan_schema_json(), &answer, err);
	free(prompt);
	if (rc != VG_OK)
		return gemini_error(rc, err);
	rc = vg_plan_from_json(answer, m->scene_count, m->scene_duration_s,
	                       model ? model->durations : NULL, model ? model->n_durations : 0,
	                       plan, err);
	json_decref(answer);
	if (rc != VG_OK)
		return gemini_error(VG_EINVAL, err);
	return VG_OK;
}

static int plan_local(const struct plan_movie *m, struct vg_plan *plan, struct vg_err *err)
{
	int rc;

	if (m->script) {
		rc = vg_plan_from_script(m->script, m->scene_count, m->scene_duration_s, plan, err);
		if (rc != VG_OK) {
			char why[sizeof err->msg];

			/* the planner names the field at fault; a movie's error has no field list
			 */
			if (err->nfields > 0)
				snprintf(why, sizeof why, "%s %s", err->fields[0].field,
				         err->fields[0].message);
			else
				snprintf(why, sizeof why, "%s", err->msg);
			return vg_err_set(err, VG_EINVAL, "plan_failed",
			                  "the script could not be split into %d scenes: %s",
			                  m->scene_count, why);
		}
		return VG_OK;
	}
	if (vg_plan_outline(m->concept, m->scene_count, m->scene_duration_s, plan) != VG_OK)
		return vg_err_set(err, VG_EINVAL, "plan_failed",
		                  "the concept could not be laid out as %d scenes: give a concept "
		                  "of a few words at least",
		                  m->scene_count);
	return VG_OK;
}

static int insert_scene(struct runner_worker *w, const struct plan_movie *m, int pos,
                        const struct vg_scene_plan *s, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	char p[16], d[16];

	snprintf(p, sizeof p, "%d", pos);
	snprintf(d, sizeof d, "%d", s->duration_s > 0 ? s->duration_s : m->scene_duration_s);
	return vg_db_q(w->db, a, err,
	               "INSERT INTO scenes (movie_id, position, title, prompt, duration_seconds, "
	               "camera, caption, transition) VALUES ($1, $2::int, $3, $4, $5::smallint, "
	               "$6, $7, $8)",
	               m->id, p, s->title, s->prompt, d, s->camera, s->caption, s->transition)
	           ? VG_OK
	           : err->rc;
}

/* The scenes, the movie in draft and the job's completion: all or nothing. */
static int record_plan(struct runner_worker *w, struct vg_job *job, const struct plan_movie *m,
                       const struct vg_plan *plan, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	PGresult *r;
	int rc;

	if ((rc = vg_db_begin(w->db, a, err)) != VG_OK)
		return rc;
	r = vg_db_q(w->db, a, err,
	            "UPDATE movies SET status = 'draft', stage = NULL, outline_only = $3::bool, "
	            "error = NULL, updated_at = now() WHERE " MOVIE_OURS
	            " AND status = 'planning' RETURNING id",
	            m->id, job->id, plan->outline_only ? "true" : "false");
	if (!r)
		rc = err->rc;
	else if (PQntuples(r) != 1) {
		vg_db_rollback(w->db);
		return runner_row_not_ours(w, a, job, RUNNER_ROW_MOVIE, m->id,
		                           "only a planning movie can be planned", err);
	}
	for (int i = 0; rc == VG_OK && i < plan->n; i++)
		rc = insert_scene(w, m, i + 1, &plan->scenes[i], err);
	return runner_complete_txn(w, a, job, rc, err);
}

static int step_start(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	struct vg_plan plan;
	struct plan_movie m;
	int rc;

	if ((rc = load_movie(w, w->step_arena, job, &m, err)) != VG_OK)
		return rc;
	memset(&plan, 0, sizeof plan);
	if (vg_str_eq(m.planner, "gemini"))
		rc = plan_gemini(w, job, &m, &plan, err);
	else if (vg_str_eq(m.planner, "local"))
		rc = plan_local(&m, &plan, err);
	else
		rc = vg_err_set(err, VG_EINVAL, "plan_failed",
		                "the movie's planner is \"%s\"; only local and gemini plan",
		                m.planner ? m.planner : "");
	if (rc == VG_OK && plan.n < 1)
		rc = vg_err_set(err, VG_EINVAL, "plan_invalid",
		                "the planner wrote no scenes: try again or write the scenes "
		                "yourself");
	if (rc == VG_OK)
		rc = record_plan(w, job, &m, &plan, err);
	if (rc == VG_OK)
		log_info("movie %s planned by %s: %d scenes%s", m.id, m.planner, plan.n,
		         plan.outline_only ? " (outline)" : "");
	vg_plan_free(&plan);
	return rc == VG_OK ? RUNNER_DONE : rc;
}

int j_movie_plan_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	if (vg_str_eq(job->step, "start"))
		return step_start(w, job, err);
	return vg_err_set(err, VG_EINVAL, "unknown_step", "movie.plan has no step %s", job->step);
}

/* The movie's error code for a plan that failed for good (the design's planning codes). */
static const char *plan_code(const char *code)
{
	if (vg_str_eq(code, "plan_invalid") || vg_str_eq(code, "safety_filtered") ||
	    vg_str_eq(code, "provider_unavailable"))
		return code;
	if (vg_str_eq(code, "provider_timeout") || vg_str_eq(code, "quota_exceeded"))
		return "provider_unavailable";
	return "plan_failed";
}

int j_movie_plan_failed(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
                        struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	const char *id = runner_payload_id(job, "movie_id", err);
	const char *code;
	char *msg;
	PGresult *r;

	if (!id)
		return VG_OK; /* no movie to update: the job's own error says why */
	/* only while the movie is still this job's plan (lock it against a cancel) */
	r = vg_db_q(w->db, a, err,
	            "SELECT id FROM movies WHERE " MOVIE_OURS " AND status = 'planning' FOR UPDATE",
	            id, job->id);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return VG_OK;
	code = plan_code(why->code);
	if (vg_str_eq(code, "plan_failed") && !vg_str_eq(why->code, "plan_failed"))
		msg = vg_arena_printf(a, "the movie could not be planned: %s", why->msg);
	else if (vg_str_eq(code, "provider_unavailable") && !vg_str_eq(why->code, code))
		msg = vg_arena_printf(a,
		                      "the planner is unavailable (%s): try again later or "
		                      "write the scenes yourself",
		                      why->msg);
	else
		msg = vg_arena_printf(a, "%s", why->msg);
	return movie_fail(w->db, a, id, code, msg, NULL, job->id, NULL, err);
}
