/* One remote generation, driven by the remote loop (remote_loop.c): it passes through three
 * remote.* steps of the video.generate job, each exchange on the loop's libcurl multi handle:
 *
 *   remote.submit   → predictLongRunning.  "submit_sent_at" is committed before the
 *                     request leaves and the operation name after it answers, so a runner
 *                     that dies in between knows the answer was lost and does not pay twice
 *                     (unless providers.resubmit_lost says so).
 *   remote.poll     → GET operation (Vertex: fetchPredictOperation) every
 *                     providers.poll_interval_s until done or providers.operation_timeout_s.
 *   remote.download → the result streamed to a temp file beside the final path, hashed on
 *                     the way; redirects followed by hand so the key never leaves its host.
 *
 * Then the job is deferred to the CPU lane at step "finalize" (probe, thumbnail, commit),
 * which is the same as for the local provider.  Transient errors (429 with its retryDelay,
 * 408, 5xx, no answer) are tried again here with backoff, then handed to the queue's retry;
 * refusals fail the video at once with the provider's message, secrets removed. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "remote.h"
#include "vg_b64.h"
#include "vg_gapi.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_plan.h"
#include "vg_storage.h"
#include "vg_str.h"
#include "vg_style.h"

/* In-loop tries of one HTTP exchange on transient errors (429, 5xx, no answer) before the
 * job itself fails and goes back to the queue with its backoff. */
#define HTTP_TRIES          5
#define HTTP_BACKOFF_MAX_MS 60000
/* Malformed poll answers in a row before the operation is given up. */
#define BAD_ANSWERS_MAX 5
#define REDIRECTS_MAX   5
/* Inline images: Veo takes at most 20 MB per image. */
#define IMAGE_MAX_BYTES (20u << 20)
/* Progress estimate while generating: Veo says nothing, it takes 11 s to 6 min. */
#define PROGRESS_SUBMITTED 10
#define PROGRESS_GENERATED 85
#define PROGRESS_TAU_S     60.0

static const char *const step_names[] = {"remote.submit", "remote.poll", "remote.download"};

static long long wall_s(void)
{
	return (long long)time(NULL);
}

void op_set_step(struct op *o, enum op_step st)
{
	o->st = st;
	snprintf(o->step, sizeof o->step, "%s", step_names[st]);
	o->job.step = o->step;
}

void op_free(struct op *o)
{
	json_decref(o->job.payload);
	json_decref(o->job.state_data);
	free(o->model);
	free(o->url);
	free(o->body);
	free(o->tmp_path);
	free(o);
}

static const char *sd_str(const struct op *o, const char *key)
{
	return json_string_value(json_object_get(o->job.state_data, key));
}

static void sd_set(struct op *o, const char *key, json_t *v)
{
	json_object_set_new(o->job.state_data, key, v ? v : json_null());
}

/* ---------------------------------------------------------------- leaving our hands */

void op_remove_tmp(struct op *o)
{
	if (o->tmp_path && unlink(o->tmp_path) != 0 && errno != ENOENT)
		log_warn("cannot remove %s", o->tmp_path);
}

/* A permanent failure (rc VG_EINVAL) or a transient one (anything else: the queue retries
 * the job after its backoff).  The message goes to the video with secrets removed. */
void op_fail(struct op *o, int rc, const char *code, const char *fmt, ...)
{
	struct vg_err why;
	va_list ap;

	vg_err_clear(&why);
	va_start(ap, fmt);
	vg_err_vset(&why, rc, code, fmt, ap);
	va_end(ap);
	remote_redact(o->prov, why.msg, sizeof why.msg);
	vg_log_set_job(o->id);
	op_remove_tmp(o);
	runner_job_failed(o->rl->w, o->rl->kind, &o->job, &why);
	vg_log_set_job(NULL);
	o->dead = true;
}

/* A fenced call said the job is no longer ours. */
void op_lost(struct op *o, const struct vg_err *err)
{
	vg_log_set_job(o->id);
	op_remove_tmp(o);
	if (vg_str_eq(err->code, VG_QUEUE_CANCELLED))
		runner_job_cancelled(o->rl->w, o->rl->kind, &o->job);
	else
		log_warnx("dropping %s: %s", o->step, err->msg);
	vg_log_set_job(NULL);
	o->dead = true;
}

/* A database error while recording a step: the job stays ours until its lease expires
 * and is then rescued at the step it had committed; drop it here. */
void op_db_error(struct op *o, const struct vg_err *err)
{
	if (err->rc == VG_ECANCELLED) {
		op_lost(o, err);
		return;
	}
	vg_log_set_job(o->id);
	log_warnx("cannot record %s (%s); the job comes back when its lease expires", o->step,
	          err->msg);
	vg_log_set_job(NULL);
	op_remove_tmp(o);
	o->dead = true;
}

static int op_advance(struct op *o, enum op_step st, struct vg_err *err)
{
	struct runner_worker *w = o->rl->w;
	int rc = vg_queue_advance(w->db, w->step_arena, &o->job, step_names[st],
	                          o->rl->c->runner_lease_s, err);

	vg_arena_reset(w->step_arena);
	op_set_step(o, st); /* job->step pointed into the arena */
	return rc;
}

static void video_update(struct op *o, const char *sql_set, const char *arg)
{
	struct runner_worker *w = o->rl->w;
	struct vg_err err;
	char *sql = vg_arena_printf(w->step_arena,
	                            "UPDATE videos SET %s WHERE id = $1 AND job_id = $2::uuid AND "
	                            "status = 'running'",
	                            sql_set);

	vg_err_clear(&err);
	if (!vg_db_q(w->db, w->step_arena, &err, sql, o->video_id, o->id, arg))
		log_warnx("video %s: cannot record %s: %s", o->video_id, sql_set, err.msg);
	vg_arena_reset(w->step_arena);
}

/* ---------------------------------------------------------------- retries */

static long backoff_ms(int tries, const struct vg_gapi_error *e)
{
	long b = vg_backoff_ms(tries, 1000, HTTP_BACKOFF_MAX_MS, drand48());

	if (e && e->retry_delay_s > 0 && e->retry_delay_s * 1000 > b)
		b = (long)(e->retry_delay_s * 1000);
	return b;
}

/* A transient error of an exchange: try again in the loop, or give the job back to the
 * queue (its retry budget and backoff) after HTTP_TRIES. */
static void op_retry(struct op *o, const struct vg_gapi_error *e, const char *what)
{
	o->tries++;
	if (o->tries >= HTTP_TRIES) {
		op_fail(o, VG_EUNAVAIL, "provider_unavailable", "%s %s failed %d times: %s",
		        o->prov->name, what, o->tries, e->message);
		return;
	}
	o->due_ms = runner_now_ms() + backoff_ms(o->tries - 1, e);
	vg_log_set_job(o->id);
	log_info("%s %s: %s; try %d of %d in %lld ms", o->prov->name, what, e->message,
	         o->tries + 1, HTTP_TRIES, o->due_ms - runner_now_ms());
	vg_log_set_job(NULL);
}

/* The op an exchange ended for, with the request body it no longer needs freed; NULL when
 * the op was dropped while the exchange ran (cancelled, lease lost). */
static struct op *exchange_ended(void *ctx)
{
	struct op *o = ctx;

	o->busy = false;
	free(o->body);
	o->body = NULL;
	return o->dead ? NULL : o;
}

/* One exchange for the metrics: an HTTP error by its class, a 2xx that was not ok
 * (unreadable, truncated) as invalid_response. */
static void op_metric(const struct op *o, const char *what, const struct vg_http_resp *resp,
                      bool ok)
{
	const char *code = vg_metrics_http_error_code(resp->status, resp->curl_code);

	vg_metrics_provider_call(o->prov->name, what, code || ok ? code : "invalid_response",
	                         resp->total_s);
}

/* Vertex answered 401: the access token was revoked or expired early.  The cached one is
 * dropped, so the next try fetches a new one; the answer counts as transient. */
static enum vg_gapi_verdict classify(struct op *o, const struct vg_http_resp *resp,
                                     struct vg_gapi_error *e)
{
	enum vg_gapi_verdict v = vg_gapi_classify(resp, e);

	if (v == VG_GAPI_FATAL && resp->status == 401 && o->prov->dialect == VG_VEO_VERTEX) {
		vg_gauth_token_clear(&o->prov->token);
		return VG_GAPI_RETRY;
	}
	return v;
}

/* ---------------------------------------------------------------- submit */

struct video_in {
	struct vg_veo_input in;
	char *b64[5]; /* image, last frame, references */
};

static void video_in_free(struct video_in *v)
{
	for (int i = 0; i < 5; i++)
		free(v->b64[i]);
}

static int read_image(struct op *o, const char *rel, const char *mime, struct vg_veo_image *img,
                      char **b64, struct vg_err *err)
{
	char *path;

	if (!rel)
		return VG_OK;
	if (!vg_str_eq(mime, "image/png") && !vg_str_eq(mime, "image/jpeg"))
		return vg_err_set(err, VG_EINVAL, "provider_rejected",
		                  "%s takes PNG or JPEG images, not %s: upload the image as PNG",
		                  o->prov->name, mime);
	path = vg_arena_printf(o->rl->w->step_arena, "%s/%s", o->rl->c->storage_dir, rel);
	*b64 = vg_b64_file(path, IMAGE_MAX_BYTES, err);
	if (!*b64)
		return err->rc == VG_ENOTFOUND ? vg_err_set(err, VG_EINVAL, "missing_input",
		                                            "an input image of video %s is missing "
		                                            "from storage",
		                                            o->video_id)
		                               : err->rc;
	img->mime_type = mime;
	img->b64 = *b64;
	return VG_OK;
}

/* What the model is asked: the prompt and the style's modifier, composed the way every
 * scene of a movie is (vg_plan_scene_prompt). */
static const char *styled_prompt(struct vg_arena *a, const char *prompt, const char *style_id)
{
	const struct vg_style *st = style_id ? vg_style_find(style_id) : NULL;
	char *p;

	if (!st || !prompt)
		return prompt;
	p = vg_plan_scene_prompt(prompt, st->prompt_modifier, NULL, 0);
	if (!p)
		vg_oom(0);
	vg_arena_cleanup(a, free, p);
	return p;
}

/* The submit body of the op's video (malloc), NULL with err. */
static char *submit_body(struct op *o, struct vg_err *err)
{
	struct runner_worker *w = o->rl->w;
	struct vg_arena *a = w->step_arena;
	struct video_in v;
	PGresult *r;
	char *body = NULL;
	uint64_t seed;
	int rc;

	r = vg_db_q(
	    w->db, a, err,
	    "SELECT coalesce(v.enhanced_prompt, v.prompt) AS prompt, v.style, v.negative_prompt, "
	    "v.duration_seconds, v.aspect_ratio, v.resolution, v.seed, "
	    "fi.storage_path AS image, fi.mime_type AS image_mime, fl.storage_path AS last, "
	    "fl.mime_type AS last_mime, (SELECT json_agg(json_build_object('path', "
	    "f.storage_path, 'mime', f.mime_type) ORDER BY r.n)::text FROM "
	    "unnest(v.reference_image_ids) WITH ORDINALITY AS r(id, n) JOIN files f ON f.id = "
	    "r.id) AS refs FROM videos v LEFT JOIN files fi ON fi.id = v.image_id LEFT JOIN "
	    "files fl ON fl.id = v.last_frame_id WHERE v.id = $1 AND v.job_id = $2::uuid",
	    o->video_id, o->id);
	if (!r)
		return NULL;
	if (PQntuples(r) != 1) {
		vg_err_set(err, VG_EINVAL, "not_found", "video %s is no longer this job's",
		           o->video_id);
		return NULL;
	}
	memset(&v, 0, sizeof v);
	v.in.prompt = styled_prompt(a, vg_db_get(r, 0, "prompt"), vg_db_get(r, 0, "style"));
	v.in.negative_prompt = vg_db_get(r, 0, "negative_prompt");
	v.in.duration_s = (int)vg_db_get_ll(r, 0, "duration_seconds", 8);
	v.in.aspect_ratio = vg_db_get(r, 0, "aspect_ratio");
	v.in.resolution = vg_db_get(r, 0, "resolution");
	if (vg_db_get(r, 0, "seed") && vg_str_u64(vg_db_get(r, 0, "seed"), UINT32_MAX, &seed)) {
		v.in.has_seed = true;
		v.in.seed = (uint32_t)seed;
	}
	if (o->prov->dialect == VG_VEO_VERTEX && o->rl->c->providers_vertex_storage_uri[0])
		v.in.storage_uri = o->rl->c->providers_vertex_storage_uri;
	rc = read_image(o, vg_db_get(r, 0, "image"), vg_db_get(r, 0, "image_mime"), &v.in.image,
	                &v.b64[0], err);
	if (rc == VG_OK)
		rc = read_image(o, vg_db_get(r, 0, "last"), vg_db_get(r, 0, "last_mime"),
		                &v.in.last_frame, &v.b64[1], err);
	json_t *refs =
	    vg_db_get(r, 0, "refs") ? json_loads(vg_db_get(r, 0, "refs"), 0, NULL) : NULL;
	for (size_t i = 0; rc == VG_OK && i < json_array_size(refs) && i < 3; i++) {
		json_t *f = json_array_get(refs, i);

		rc = read_image(o, json_string_value(json_object_get(f, "path")),
		                json_string_value(json_object_get(f, "mime")), &v.in.refs[i],
		                &v.b64[2 + i], err);
		v.in.n_refs = (int)i + 1;
	}
	json_decref(refs);
	if (rc == VG_OK && !(body = vg_veo_submit_body(o->prov->dialect, &v.in)))
		vg_oom(0);
	video_in_free(&v);
	return body;
}

static void on_submit(void *ctx, struct vg_http_resp *resp);

/* What to do with a submit whose answer never came (the request may have been billed). */
static bool lost_submit_refused(struct op *o)
{
	if (o->rl->c->providers_resubmit_lost) {
		vg_log_set_job(o->id);
		log_warnx("the answer to an earlier submit was lost; submitting again "
		          "(providers.resubmit_lost = true): the provider may bill twice");
		vg_log_set_job(NULL);
		return false;
	}
	op_fail(o, VG_EINVAL, "provider_unavailable",
	        "the request to %s was sent but its answer was lost, so it is unknown whether the "
	        "generation started; veogen does not send it again because each submit is billed "
	        "(providers.resubmit_lost = true changes this). Create the video again to retry",
	        o->prov->name);
	return true;
}

/* A submit went out and no usable answer came back: fail (providers.resubmit_lost off), or
 * send it again within the same bound as any transient error. */
static void lost_answer(struct op *o, const char *why)
{
	struct vg_gapi_error e;

	if (lost_submit_refused(o))
		return;
	memset(&e, 0, sizeof e);
	e.retry_delay_s = -1;
	snprintf(e.message, sizeof e.message, "%s", why);
	op_retry(o, &e, "submit");
}

static void start_submit(struct op *o)
{
	struct vg_http_req req;
	struct vg_err err;

	vg_err_clear(&err);
	if (sd_str(o, "submit_sent_at") && !sd_str(o, "operation") && lost_submit_refused(o))
		return;
	if (remote_provider_auth(o->prov, &err) != VG_OK) {
		op_fail(o, err.rc == VG_EINVAL ? VG_EINVAL : VG_EUNAVAIL, "provider_unavailable",
		        "%s", err.msg);
		return;
	}
	free(o->body);
	o->body = submit_body(o, &err);
	vg_arena_reset(o->rl->w->step_arena);
	if (!o->body) {
		if (err.rc == VG_EINVAL || err.rc == VG_ETOOBIG)
			op_fail(o, VG_EINVAL, err.code[0] ? err.code : "provider_rejected", "%s",
			        err.msg);
		else
			op_db_error(o, &err);
		return;
	}
	/* committed before the request leaves: a crash from here on is a lost answer */
	sd_set(o, "submit_sent_at", json_integer(wall_s()));
	if (op_advance(o, OP_SUBMIT, &err) != VG_OK) {
		op_db_error(o, &err);
		return;
	}
	free(o->url);
	remote_submit_req(o->prov, o->model, o->body, &o->url, &req);
	if (vg_http_start(o->rl->http, &req, on_submit, o, &err) != VG_OK) {
		op_fail(o, VG_EUNAVAIL, "provider_unavailable", "%s", err.msg);
		return;
	}
	o->busy = true;
	o->rl->submits++;
}

static void on_submit(void *ctx, struct vg_http_resp *resp)
{
	struct op *o = exchange_ended(ctx);

	if (!o)
		return;
	struct vg_gapi_error e;
	enum vg_gapi_verdict v = classify(o, resp, &e);
	char name[512];
	struct vg_err err;

	vg_err_clear(&err);
	if (v != VG_GAPI_OK)
		op_metric(o, "submit", resp, false);
	if (resp->curl_code != 0 && resp->maybe_sent) {
		/* sent, and no answer: the generation may be running, and billed */
		vg_log_set_job(o->id);
		log_warnx("the submit to %s got no answer: %s", o->prov->name, resp->error);
		vg_log_set_job(NULL);
		lost_answer(o, resp->error);
		return;
	}
	if (v != VG_GAPI_OK) {
		/* an error answer (or no connection at all): no operation exists, and a later
		 * try must not take this for a lost answer */
		sd_set(o, "submit_sent_at", NULL);
		if (op_advance(o, OP_SUBMIT, &err) != VG_OK) {
			op_db_error(o, &err);
			return;
		}
		if (v == VG_GAPI_RETRY)
			op_retry(o, &e, "submit");
		else if (e.per_day)
			op_fail(o, VG_EINVAL, "quota_exceeded",
			        "%s refused the generation: the project's daily quota is used up "
			        "(%s); it resets at midnight Pacific time",
			        o->prov->name, e.message);
		else
			op_fail(o, VG_EINVAL, "provider_rejected", "%s refused the generation: %s",
			        o->prov->name, e.message);
		return;
	}
	bool readable =
	    vg_veo_parse_submit(resp->body, resp->body_len, name, sizeof name, &err) == VG_OK;
	op_metric(o, "submit", resp, readable);
	if (!readable) {
		lost_answer(o, err.msg);
		return;
	}
	/* the name is committed before the first poll */
	o->tries = 0;
	sd_set(o, "operation", json_string(name));
	sd_set(o, "submitted_at", json_integer(wall_s()));
	if (op_advance(o, OP_POLL, &err) != VG_OK) {
		op_db_error(o, &err);
		return;
	}
	video_update(o,
	             "stage = 'generating', operation_name = $3, progress = greatest(progress, "
	             "10)",
	             name);
	o->progress = o->progress_saved = PROGRESS_SUBMITTED;
	o->submitted_ms = runner_now_ms();
	o->due_ms = o->submitted_ms + (long long)o->rl->c->providers_poll_interval_s * 1000;
	vg_log_set_job(o->id);
	log_info("%s accepted the generation as %s", o->prov->name, name);
	vg_log_set_job(NULL);
}

/* ---------------------------------------------------------------- poll */

static void on_poll(void *ctx, struct vg_http_resp *resp);
static int ensure_tmp_path(struct op *o, struct vg_err *err);
static void start_download(struct op *o);
static void to_finalize(struct op *o, const char *tmp);

static void start_poll(struct op *o)
{
	const char *name = sd_str(o, "operation");
	long long submitted =
	    json_integer_value(json_object_get(o->job.state_data, "submitted_at"));
	struct vg_http_req req;
	struct vg_err err;

	vg_err_clear(&err);
	if (!name) {
		op_fail(o, VG_EINVAL, "internal", "the job is at %s without an operation name",
		        o->step);
		return;
	}
	if (submitted > 0 && wall_s() - submitted > o->rl->c->providers_operation_timeout_s) {
		op_fail(
		    o, VG_EINVAL, "provider_timeout",
		    "%s did not finish the generation within %d s (providers.operation_timeout_s)",
		    o->prov->name, o->rl->c->providers_operation_timeout_s);
		return;
	}
	if (remote_provider_auth(o->prov, &err) != VG_OK) {
		o->due_ms = runner_now_ms() + 10000;
		return;
	}
	free(o->url);
	free(o->body);
	remote_poll_req(o->prov, o->model, name, &o->url, &o->body, &req);
	if (vg_http_start(o->rl->http, &req, on_poll, o, &err) != VG_OK) {
		o->due_ms = runner_now_ms() + 1000;
		return;
	}
	o->busy = true;
	o->rl->polls++;
	if (o->submitted_ms) {
		long long took = runner_now_ms() - o->submitted_ms;

		o->rl->first_poll_sum_ms += took;
		o->rl->first_polls++;
		if (took > o->rl->first_poll_max_ms)
			o->rl->first_poll_max_ms = took;
		o->submitted_ms = 0;
	}
}

static void estimate_progress(struct op *o)
{
	long long submitted =
	    json_integer_value(json_object_get(o->job.state_data, "submitted_at"));
	double t = submitted > 0 ? (double)(wall_s() - submitted) : 0;
	int p = PROGRESS_SUBMITTED +
	        (int)((PROGRESS_GENERATED - PROGRESS_SUBMITTED) * (1 - exp(-t / PROGRESS_TAU_S)));

	if (p > o->progress)
		o->progress = p;
}

/* Vertex may put the video inline in the answer: decoded straight to the temp file. */
static void inline_result(struct op *o, const struct vg_veo_op *op)
{
	uint64_t size;
	char sha[65];
	struct vg_err err;
	char *tmp;

	vg_err_clear(&err);
	if (ensure_tmp_path(o, &err) != VG_OK) {
		op_fail(o, err.rc == VG_EINVAL ? VG_EINVAL : VG_EUNAVAIL, err.code, "%s", err.msg);
		return;
	}
	tmp = o->tmp_path;
	if (vg_b64_to_file(op->video_b64, strlen(op->video_b64), tmp, &size, sha, &err) != VG_OK) {
		op_fail(o, VG_EUNAVAIL, "provider_unavailable",
		        "%s sent a result that is not "
		        "usable: %s",
		        o->prov->name, err.msg);
		return;
	}
	o->rl->downloads++;
	to_finalize(o, tmp);
}

/* The operation ended without a video for a reason that may pass: the job goes back to
 * the queue (its backoff, its retry budget) to submit anew. */
static void restart_generation(struct op *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void restart_generation(struct op *o, const char *fmt, ...)
{
	struct vg_err err;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	vg_err_clear(&err);
	sd_set(o, "operation", NULL);
	sd_set(o, "submit_sent_at", NULL);
	sd_set(o, "submitted_at", NULL);
	if (op_advance(o, OP_SUBMIT, &err) != VG_OK) {
		op_db_error(o, &err);
		return;
	}
	op_fail(o, VG_EUNAVAIL, "provider_unavailable", "%s", msg);
}

static void on_done(struct op *o, struct vg_veo_op *op)
{
	switch (op->state) {
	case VG_VEO_FILTERED:
		op_fail(o, VG_EINVAL, "safety_filtered",
		        "%s's safety filters blocked the video (not billed): %s", o->prov->name,
		        op->reasons[0] ? op->reasons : "no reason given");
		return;
	case VG_VEO_FAILED:
		if (vg_gapi_grpc_transient(op->error_code))
			restart_generation(o, "%s could not finish the generation (%s: %s)",
			                   o->prov->name, vg_gapi_grpc_name(op->error_code),
			                   op->error_message);
		else
			op_fail(o, VG_EINVAL, "provider_rejected",
			        "%s refused the generation (%s): %s", o->prov->name,
			        vg_gapi_grpc_name(op->error_code), op->error_message);
		return;
	case VG_VEO_EMPTY:
		restart_generation(o,
		                   "%s finished the operation without a video and without a reason",
		                   o->prov->name);
		return;
	case VG_VEO_SUCCEEDED:
		break;
	default:
		return;
	}
	if (op->video_b64) {
		inline_result(o, op);
		return;
	}
	char *url = remote_result_url(o->prov, op->video_uri ? op->video_uri : "");
	struct vg_err err;

	vg_err_clear(&err);
	if (!url || !url[0]) {
		free(url);
		op_fail(o, VG_EUNAVAIL, "provider_unavailable",
		        "%s finished the operation with a result that cannot be fetched",
		        o->prov->name);
		return;
	}
	sd_set(o, "result_url", json_string(url));
	free(url);
	if (op_advance(o, OP_DOWNLOAD, &err) != VG_OK) {
		op_db_error(o, &err);
		return;
	}
	video_update(o, "stage = 'downloading', progress = greatest(progress, $3::int)", "85");
	o->progress = o->progress_saved = PROGRESS_GENERATED;
	start_download(o);
}

static void on_poll(void *ctx, struct vg_http_resp *resp)
{
	struct op *o = exchange_ended(ctx);

	if (!o)
		return;
	struct vg_gapi_error e;
	enum vg_gapi_verdict v = classify(o, resp, &e);
	long long interval = (long long)o->rl->c->providers_poll_interval_s * 1000;
	struct vg_veo_op op;
	struct vg_err err;

	if (v != VG_GAPI_OK)
		op_metric(o, "poll", resp, false);
	if (v == VG_GAPI_RETRY) {
		/* polls are free and safe to repeat; the operation timeout bounds them */
		o->tries++;
		o->due_ms = runner_now_ms() + (backoff_ms(o->tries - 1, &e) > interval
		                                   ? backoff_ms(o->tries - 1, &e)
		                                   : interval);
		return;
	}
	if (v == VG_GAPI_FATAL) {
		op_fail(o, VG_EINVAL, "provider_rejected",
		        "%s refused to report on the generation: %s", o->prov->name, e.message);
		return;
	}
	vg_err_clear(&err);
	memset(&op, 0, sizeof op);
	bool readable =
	    vg_veo_parse_op(o->prov->dialect, resp->body, resp->body_len, &op, &err) == VG_OK;
	op_metric(o, "poll", resp, readable);
	if (!readable) {
		vg_veo_op_free(&op);
		if (++o->bad_answers >= BAD_ANSWERS_MAX) {
			op_fail(o, VG_EUNAVAIL, "provider_unavailable",
			        "%s answered %d polls in a row with something unreadable: %s",
			        o->prov->name, o->bad_answers, err.msg);
			return;
		}
		o->due_ms = runner_now_ms() + interval;
		return;
	}
	o->tries = 0;
	o->bad_answers = 0;
	if (op.state == VG_VEO_RUNNING) {
		estimate_progress(o);
		o->due_ms = runner_now_ms() + interval;
	} else
		on_done(o, &op);
	vg_veo_op_free(&op);
}

/* ---------------------------------------------------------------- download */

static void on_download(void *ctx, struct vg_http_resp *resp);

static int ensure_tmp_path(struct op *o, struct vg_err *err)
{
	struct vg_arena *a = o->rl->w->step_arena;
	char *final;

	if (o->tmp_path)
		return VG_OK;
	final = vg_storage_path(a, o->rl->c->storage_dir, "videos", o->video_id, "mp4");
	if (!final)
		return vg_err_set(err, VG_EINVAL, "bad_video", "video id %s cannot name a file",
		                  o->video_id);
	if (vg_storage_mkdirs(final, err) != VG_OK)
		return err->rc;
	o->tmp_path = vg_xstrdup(vg_storage_tmp_path(a, final));
	vg_arena_reset(a);
	return VG_OK;
}

static void start_download(struct op *o)
{
	struct vg_http_req req;
	struct vg_err err;

	vg_err_clear(&err);
	if (ensure_tmp_path(o, &err) != VG_OK) {
		op_fail(o, err.rc == VG_EINVAL ? VG_EINVAL : VG_EUNAVAIL, err.code, "%s", err.msg);
		return;
	}
	if (!o->url || o->hops == 0) {
		free(o->url);
		const char *url = sd_str(o, "result_url");

		o->url = vg_xstrdup(url ? url : "");
	}
	if (remote_provider_auth(o->prov, &err) != VG_OK) {
		o->due_ms = runner_now_ms() + 10000;
		return;
	}
	remote_fetch_req(o->prov, o->url, o->tmp_path, &req);
	if (vg_http_start(o->rl->http, &req, on_download, o, &err) != VG_OK) {
		o->due_ms = runner_now_ms() + 1000;
		return;
	}
	o->busy = true;
}

static void on_download(void *ctx, struct vg_http_resp *resp)
{
	struct op *o = exchange_ended(ctx);
	struct vg_gapi_error e;
	enum vg_gapi_verdict v;

	if (!o)
		return;

	if (resp->curl_code == 0 && resp->status >= 300 && resp->status < 400 && resp->location) {
		if (++o->hops > REDIRECTS_MAX) {
			op_fail(o, VG_EUNAVAIL, "provider_unavailable",
			        "the result of %s redirects more than %d times", o->prov->name,
			        REDIRECTS_MAX);
			return;
		}
		/* followed by hand: remote_fetch_req sends the key to its own origin only */
		free(o->url);
		o->url = resp->location;
		resp->location = NULL;
		start_download(o);
		return;
	}
	o->hops = 0;
	v = classify(o, resp, &e);
	if (v == VG_GAPI_OK && resp->content_length >= 0 &&
	    resp->sink_bytes != (uint64_t)resp->content_length) {
		v = VG_GAPI_RETRY;
		snprintf(e.message, sizeof e.message,
		         "the download stopped after %llu of %lld bytes",
		         (unsigned long long)resp->sink_bytes, resp->content_length);
	}
	if (v == VG_GAPI_OK && resp->sink_bytes == 0) {
		v = VG_GAPI_RETRY;
		snprintf(e.message, sizeof e.message, "the download was empty");
	}
	op_metric(o, "download", resp, v == VG_GAPI_OK);
	if (v == VG_GAPI_RETRY) {
		op_retry(o, &e, "download");
		return;
	}
	if (v == VG_GAPI_FATAL) {
		op_fail(o, VG_EINVAL, "provider_rejected",
		        "%s refused the download of the result: %s", o->prov->name, e.message);
		return;
	}
	o->rl->downloads++;
	to_finalize(o, o->tmp_path);
}

/* The result is on disk: the CPU lane probes, thumbnails and commits it. */
static void to_finalize(struct op *o, const char *tmp)
{
	struct runner_worker *w = o->rl->w;
	struct vg_err err;

	vg_err_clear(&err);
	sd_set(o, "tmp_path", json_string(tmp));
	video_update(o, "stage = 'finalizing', progress = greatest(progress, $3::int)", "90");
	if (vg_queue_defer(w->db, w->step_arena, &o->job, "finalize", 0, &err) != VG_OK) {
		vg_arena_reset(w->step_arena);
		op_db_error(o, &err);
		return;
	}
	vg_arena_reset(w->step_arena);
	free(o->tmp_path); /* the file is the finalize step's now */
	o->tmp_path = NULL;
	o->dead = true;
}

void op_start(struct op *o)
{
	if (o->st == OP_SUBMIT)
		start_submit(o);
	else if (o->st == OP_POLL)
		start_poll(o);
	else
		start_download(o);
}
