/* video.generate: payload {"video_id": "..."}; steps
 *   start    → the video runs (status running, stage submitting, attempts); a movie's
 *              scene take first waits for its turn and checks the movie's budget
 *              (movie_take.c);
 *   continuity → a take with continuity gets the last frame of the scene before as its
 *              first-frame image;
 *   generate → the local preview provider renders into a temp file next to the final path
 *              (stage generating, progress 0–90, the lease heartbeated while it renders);
 *   finalize → probe, thumbnail, sha256, rename into place, then one transaction marks the
 *              video succeeded and completes the job.
 * The final file name is deterministic, so a step re-run after a crash rewrites the same
 * file: one output per video.  Every video UPDATE is guarded by the expected status and by
 * the video still belonging to this job. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "movie_state.h"
#include "movie_take.h"
#include "runner.h"
#include "video_enhance.h"
#include "vg_local.h"
#include "vg_log.h"
#include "vg_media.h"
#include "vg_metrics.h"
#include "vg_storage.h"
#include "vg_str.h"
#include "vg_style.h"

#define THUMB_WIDTH 480
/* How far the container duration may be from the requested one. */
#define DURATION_SLACK_S 0.5

/* The guard every update of the video carries: $1 video id, $2 job id. */
#define VIDEO_OURS "id = $1 AND (job_id IS NULL OR job_id = $2::uuid)"

struct video {
	const char *id;
	const char *status;
	const char *prompt;
	const char *style;
	const char *provider;
	const char *model;
	const char *image_rel;      /* files.storage_path of the first frame, or NULL */
	const char *last_frame_rel; /* … of the last frame, or NULL */
	bool enhance_prompt;
	const char *enhanced_prompt; /* NULL until the enhance step wrote it */
	int duration_s;
	int width, height;
	bool has_seed;
	uint32_t seed;
};

static int load_video(struct runner_worker *w, struct vg_arena *a, const struct vg_job *job,
                      struct video *v, struct vg_err *err)
{
	PGresult *r;
	const char *seed;
	uint64_t s;

	memset(v, 0, sizeof *v);
	v->id = runner_payload_id(job, "video_id", err);
	if (!v->id)
		return err->rc;
	r = vg_db_q(w->db, a, err,
	            "SELECT v.status, v.prompt, v.style, v.duration_seconds, v.aspect_ratio, "
	            "v.resolution, v.seed, v.provider, v.model, v.enhance_prompt, "
	            "v.enhanced_prompt, f.storage_path AS image_path, fl.storage_path AS last_path "
	            "FROM videos v LEFT JOIN files f ON f.id = v.image_id LEFT JOIN files fl ON "
	            "fl.id = v.last_frame_id WHERE v.id = $1",
	            v->id);
	if (!r)
		return err->rc;
	if (PQntuples(r) == 0)
		return vg_err_set(err, VG_EINVAL, "not_found", "video %s no longer exists", v->id);
	v->status = vg_db_get(r, 0, "status");
	v->prompt = vg_db_get(r, 0, "prompt");
	v->style = vg_db_get(r, 0, "style");
	v->provider = vg_db_get(r, 0, "provider");
	v->model = vg_db_get(r, 0, "model");
	v->image_rel = vg_db_get(r, 0, "image_path");
	v->last_frame_rel = vg_db_get(r, 0, "last_path");
	v->enhance_prompt = vg_db_get_bool(r, 0, "enhance_prompt");
	v->enhanced_prompt = vg_db_get(r, 0, "enhanced_prompt");
	v->duration_s = (int)vg_db_get_ll(r, 0, "duration_seconds", 0);
	seed = vg_db_get(r, 0, "seed");
	if (seed && vg_str_u64(seed, UINT32_MAX, &s)) {
		v->has_seed = true;
		v->seed = (uint32_t)s;
	}
	if (!vg_local_dimensions(vg_db_get(r, 0, "aspect_ratio"), vg_db_get(r, 0, "resolution"),
	                         &v->width, &v->height))
		return vg_err_set(
		    err, VG_EINVAL, "bad_video",
		    "video %s asks for aspect ratio %s at %s, which cannot be rendered", v->id,
		    vg_db_get(r, 0, "aspect_ratio"), vg_db_get(r, 0, "resolution"));
	if (v->duration_s <= 0)
		return vg_err_set(err, VG_EINVAL, "bad_video", "video %s has no duration", v->id);
	return VG_OK;
}

/* status stays running; the stage (and try count) moves on. */
static int set_stage(struct runner_worker *w, struct vg_arena *a, const struct vg_job *job,
                     const struct video *v, const char *stage, int min_progress, struct vg_err *err)
{
	char tries[16], prog[16];
	PGresult *r;

	snprintf(tries, sizeof tries, "%d", job->retries + 1);
	snprintf(prog, sizeof prog, "%d", min_progress);
	r = vg_db_q(
	    w->db, a, err,
	    "UPDATE videos SET stage = $3, attempts = greatest(attempts, $4::int), progress = "
	    "greatest(progress, $5::int) WHERE " VIDEO_OURS " AND status = 'running' "
	    "RETURNING id",
	    v->id, job->id, stage, tries, prog);
	if (!r)
		return err->rc;
	return PQntuples(r) == 1 ? VG_OK
	                         : runner_row_not_ours(w, a, job, RUNNER_ROW_VIDEO, v->id,
	                                               "only a running video can be rendered", err);
}

/* Temp files of earlier, killed tries ("<final>.tmp.*", see vg_storage_tmp_path). */
static void remove_temps(const char *final)
{
	const char *slash = strrchr(final, '/');
	char dir[PATH_MAX], prefix[256];
	struct dirent *e;
	size_t plen;
	DIR *d;

	if (!slash || (size_t)(slash - final) >= sizeof dir)
		return;
	memcpy(dir, final, (size_t)(slash - final));
	dir[slash - final] = '\0';
	snprintf(prefix, sizeof prefix, "%s.tmp.", slash + 1);
	plen = strlen(prefix);
	d = opendir(dir[0] ? dir : "/");
	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, plen) == 0) {
			if (unlinkat(dirfd(d), e->d_name, 0) == 0)
				log_info("removed the temporary file %s/%s of an earlier try", dir,
				         e->d_name);
			else if (errno != ENOENT)
				log_warn("cannot remove %s/%s", dir, e->d_name);
		}
	closedir(d);
}

static void remove_file(const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("cannot remove %s", path);
}

static bool is_local(const char *provider)
{
	return vg_str_eq(provider, "local");
}

/* The local provider renders here, in the CPU lane; a remote one is the remote loop's:
 * the job goes back to the queue in that lane. */
static int to_generation(struct runner_worker *w, struct vg_job *job, const char *provider,
                         struct vg_err *err)
{
	int rc;

	if (is_local(provider))
		return vg_queue_advance(w->db, w->step_arena, job, "generate",
		                        w->conf->runner_lease_s, err);
	rc = vg_queue_defer(w->db, w->step_arena, job, "remote.submit", 0, err);
	return rc == VG_OK ? RUNNER_DONE : rc;
}

static int step_start(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	char tries[16];
	const char *id = runner_payload_id(job, "video_id", err);
	long defer_ms;
	PGresult *r;
	int rc;

	if (!id)
		return err->rc;
	/* a movie's scene take waits for its turn and never overspends the budget: checked and
	 * started in one transaction that holds the admission lock */
	if ((rc = vg_db_begin(w->db, a, err)) != VG_OK)
		return rc;
	if ((rc = movie_take_admit(w, a, id, &defer_ms, err)) != VG_OK || defer_ms > 0) {
		vg_db_rollback(w->db);
		if (rc != VG_OK)
			return rc;
		rc = vg_queue_defer(w->db, a, job, "start", defer_ms, err);
		return rc == VG_OK ? RUNNER_DONE : rc;
	}
	snprintf(tries, sizeof tries, "%d", job->retries + 1);
	/* A failed video comes back to life when an admin retries its job. */
	r = vg_db_q(w->db, a, err,
	            "UPDATE videos SET status = 'running', stage = 'submitting', "
	            "progress = CASE WHEN status = 'running' THEN progress ELSE 0 END, "
	            "started_at = coalesce(started_at, now()), attempts = $3::int, error = NULL, "
	            "finished_at = NULL WHERE " VIDEO_OURS " AND status IN ('queued', 'running', "
	            "'failed') RETURNING provider, enhance_prompt AND enhanced_prompt IS NULL AS "
	            "enhance, continue_from, image_id",
	            id, job->id, tries);
	if (!r || (rc = vg_db_commit(w->db, a, err)) != VG_OK) {
		vg_db_rollback(w->db);
		return err->rc;
	}
	if (PQntuples(r) != 1)
		return runner_row_not_ours(w, a, job, RUNNER_ROW_VIDEO, id,
		                           "only a running video can be rendered", err);
	if (movie_take_needs_frame(r))
		return vg_queue_advance(w->db, a, job, "continuity", w->conf->runner_lease_s, err);
	if (vg_db_get_bool(r, 0, "enhance"))
		return vg_queue_advance(w->db, a, job, "enhance", w->conf->runner_lease_s, err);
	return to_generation(w, job, vg_db_get(r, 0, "provider"), err);
}

/* continuity: the take starts from the last frame of the scene before */
static int step_continuity(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	struct video v;
	int rc;

	if ((rc = load_video(w, w->step_arena, job, &v, err)) != VG_OK ||
	    (rc = set_stage(w, w->step_arena, job, &v, "submitting", 0, err)) != VG_OK ||
	    (rc = movie_take_continuity(w, job, v.id, err)) != VG_OK)
		return rc;
	if (v.enhance_prompt && !v.enhanced_prompt)
		return vg_queue_advance(w->db, w->step_arena, job, "enhance",
		                        w->conf->runner_lease_s, err);
	return to_generation(w, job, v.provider, err);
}

/* enhance_prompt: the Gemini text client rewrites the prompt once; the user's prompt stays
 * as it was and the provider gets the rewrite. */
static int step_enhance(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	struct video v;
	char *better = NULL;
	PGresult *r;
	int rc;

	if ((rc = load_video(w, a, job, &v, err)) != VG_OK)
		return rc;
	if (!v.enhanced_prompt) {
		rc = video_enhance_prompt(w->conf, v.prompt, &better, err);
		if (rc != VG_OK)
			return rc;
		r = vg_db_q(w->db, a, err,
		            "UPDATE videos SET enhanced_prompt = $3 WHERE " VIDEO_OURS
		            " AND status = 'running' RETURNING id",
		            v.id, job->id, better);
		free(better);
		if (!r)
			return err->rc;
		if (PQntuples(r) != 1)
			return runner_row_not_ours(w, a, job, RUNNER_ROW_VIDEO, v.id,
			                           "only a running video can be rendered", err);
		log_info("video %s: prompt enhanced by %s", v.id,
		         w->conf->providers_gemini_text_model);
	}
	return to_generation(w, job, v.provider, err);
}

/* What the progress callback knows and found out. */
struct render_watch {
	struct runner_worker *w;
	const struct vg_job *job;
	const char *video_id;
	long long last_heartbeat_ms, last_progress_ms;
	int last_progress;
	bool abandoned; /* SIGTERM grace ran out */
	bool lost;      /* the heartbeat said the job is not ours: see why */
	struct vg_err why;
};

static int on_progress(void *ctx, double fraction)
{
	struct render_watch *rw = ctx;
	struct runner_worker *w = rw->w;
	struct vg_arena *a = w->tick_arena;
	long long now = runner_now_ms();
	int pct = (int)(fraction * 90);
	struct vg_err err;

	if (runner_should_abandon(w)) {
		rw->abandoned = true;
		return 1;
	}
	vg_err_clear(&err);
	if (now - rw->last_heartbeat_ms >= (long long)w->conf->runner_heartbeat_s * 1000) {
		int rc = vg_queue_heartbeat(w->db, a, rw->job, w->conf->runner_lease_s, &err);

		rw->last_heartbeat_ms = now;
		if (rc == VG_ECANCELLED) {
			rw->lost = true;
			rw->why = err;
			vg_arena_reset(a);
			return 1;
		}
		if (rc != VG_OK) /* the database may be back before the lease ends */
			log_warnx("heartbeat failed: %s", err.msg);
	}
	if (pct > 90)
		pct = 90;
	if (pct > rw->last_progress && now - rw->last_progress_ms >= 1000) {
		char p[16];

		snprintf(p, sizeof p, "%d", pct);
		vg_err_clear(&err);
		if (!vg_db_q(w->db, a, &err,
		             "UPDATE videos SET progress = $3::int WHERE " VIDEO_OURS
		             " AND status = 'running' AND progress < $3::int",
		             rw->video_id, rw->job->id, p))
			log_warnx("cannot record progress: %s", err.msg);
		rw->last_progress = pct;
		rw->last_progress_ms = now;
	}
	vg_arena_reset(a);
	return 0;
}

static const char *input_path(struct runner_worker *w, const struct video *v, const char *rel,
                              const char *what, struct vg_err *err)
{
	char *path;

	if (!rel)
		return NULL;
	path = vg_arena_printf(w->step_arena, "%s/%s", w->conf->storage_dir, rel);
	if (access(path, R_OK) != 0) {
		vg_err_set(err, VG_EINVAL, "missing_input",
		           "the %s image of video %s is missing from storage", what, v->id);
		return NULL;
	}
	return path;
}

static int check_provider(const struct runner_worker *w, const struct video *v, struct vg_err *err)
{
	if (!is_local(v->provider))
		return vg_err_set(err, VG_EINVAL, "internal",
		                  "video %s of provider %s reached the local renderer", v->id,
		                  v->provider ? v->provider : "(none)");
	if (!w->conf->providers_local_enabled)
		return vg_err_set(err, VG_EINVAL, "provider_unavailable",
		                  "the local provider is disabled (providers.local.enabled)");
	return VG_OK;
}

static int step_generate(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	struct render_watch rw;
	struct vg_local_params p;
	struct video v;
	char *final, *tmp;
	int rc;

	if ((rc = load_video(w, a, job, &v, err)) != VG_OK ||
	    (rc = check_provider(w, &v, err)) != VG_OK ||
	    (rc = set_stage(w, a, job, &v, "generating", 0, err)) != VG_OK)
		return rc;
	memset(&p, 0, sizeof p);
	p.image_path = input_path(w, &v, v.image_rel, "first-frame", err);
	if (v.image_rel && !p.image_path)
		return err->rc;
	if (v.style && !vg_style_find(v.style))
		log_warnx("video %s has the unknown style %s; rendering with the neutral palette",
		          v.id, v.style);
	final = vg_storage_path(a, c->storage_dir, "videos", v.id, "mp4");
	if (!final)
		return vg_err_set(err, VG_EINVAL, "bad_video", "video id %s cannot name a file",
		                  v.id);
	if ((rc = vg_storage_mkdirs(final, err)) != VG_OK)
		return rc;
	remove_temps(final);
	tmp = vg_storage_tmp_path(a, final);

	p.prompt = v.enhanced_prompt ? v.enhanced_prompt : v.prompt;
	p.last_frame_path = input_path(w, &v, v.last_frame_rel, "last-frame", err);
	if (v.last_frame_rel && !p.last_frame_path)
		return err->rc;
	p.style_id = v.style && vg_style_find(v.style) ? v.style : NULL;
	p.duration_s = v.duration_s;
	p.width = v.width;
	p.height = v.height;
	p.has_seed = v.has_seed;
	p.seed = v.seed;
	p.font_path = c->providers_local_font;
	p.ffmpeg = c->ffmpeg_path;
	p.timeout_s = c->ffmpeg_timeout_s;
	p.out_path = tmp;

	memset(&rw, 0, sizeof rw);
	rw.w = w;
	rw.job = job;
	rw.video_id = v.id;
	rw.last_heartbeat_ms = runner_now_ms();
	log_info("rendering video %s: %dx%d, %d s", v.id, v.width, v.height, v.duration_s);
	rc = vg_local_render(&p, on_progress, &rw, err);
	if (rc != VG_OK) {
		remove_file(tmp);
		if (rw.lost) {
			*err = rw.why;
			return err->rc;
		}
		if (rw.abandoned)
			return vg_err_set(err, VG_ECANCELLED, RUNNER_SHUTDOWN,
			                  "stopping: the render of video %s was abandoned", v.id);
		return rc;
	}
	json_object_set_new(job->state_data, "tmp_path", json_string(tmp));
	rc = vg_queue_advance(w->db, a, job, "finalize", c->runner_lease_s, err);
	if (rc != VG_OK)
		remove_file(tmp);
	return rc;
}

/* The render of an earlier step, or the final file when an earlier finalize renamed it and
 * then died before its commit; NULL when neither exists. */
static const char *finalize_source(const struct vg_job *job, const char *final, bool *is_tmp)
{
	const char *tmp = json_string_value(json_object_get(job->state_data, "tmp_path"));
	size_t flen = strlen(final);

	*is_tmp = false;
	if (tmp && strncmp(tmp, final, flen) == 0 && strncmp(tmp + flen, ".tmp.", 5) == 0 &&
	    access(tmp, R_OK) == 0) {
		*is_tmp = true;
		return tmp;
	}
	return access(final, R_OK) == 0 ? final : NULL;
}

static int check_output(const struct video *v, const struct vg_probe *pr, struct vg_err *err)
{
	if (!pr->has_video)
		return vg_err_set(err, VG_EINTERNAL, "bad_output",
		                  "the rendered file of video %s has no video stream", v->id);
	/* a provider's clip is what it is (the result records it); ours must be exact */
	if (!is_local(v->provider))
		return VG_OK;
	if (pr->width != v->width || pr->height != v->height)
		return vg_err_set(err, VG_EINTERNAL, "bad_output",
		                  "the rendered clip is %dx%d instead of %dx%d", pr->width,
		                  pr->height, v->width, v->height);
	if (fabs(pr->duration_s - v->duration_s) > DURATION_SLACK_S)
		return vg_err_set(err, VG_EINTERNAL, "bad_output",
		                  "the rendered clip lasts %.2f s instead of %d s", pr->duration_s,
		                  v->duration_s);
	return VG_OK;
}

static int record_success(struct runner_worker *w, struct vg_job *job, const struct video *v,
                          const char *result, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	PGresult *r;
	int rc;

	if ((rc = vg_db_begin(w->db, a, err)) != VG_OK)
		return rc;
	r = vg_db_q(
	    w->db, a, err,
	    "UPDATE videos SET status = 'succeeded', stage = 'done', progress = 100, result = "
	    "$3::jsonb, content_path = $4, thumbnail_path = $5, error = NULL, finished_at = "
	    "now(), spent_cost_usd = estimated_cost_usd WHERE " VIDEO_OURS " AND status = "
	    "'running' RETURNING id, provider, style, extract(epoch FROM finished_at - "
	    "coalesce(started_at, created_at)) AS took",
	    v->id, job->id, result, vg_storage_relpath(a, "videos", v->id, "mp4"),
	    vg_storage_relpath(a, "thumbs", v->id, "jpg"));
	if (!r)
		rc = err->rc;
	else if (PQntuples(r) != 1) {
		vg_db_rollback(w->db);
		return runner_row_not_ours(w, a, job, RUNNER_ROW_VIDEO, v->id,
		                           "only a running video can be rendered", err);
	}
	rc = runner_complete_txn(w, a, job, rc, err);
	if (rc == VG_OK)
		vg_metrics_generation("succeeded", vg_db_get(r, 0, "provider"),
		                      vg_db_get(r, 0, "style"), vg_db_get_double(r, 0, "took", -1));
	return rc;
}

static int step_finalize(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	struct vg_probe pr;
	struct video v;
	const char *src;
	char *final, *thumb, sha[65], *result;
	uint64_t size;
	bool is_tmp;
	int rc;

	if ((rc = load_video(w, a, job, &v, err)) != VG_OK ||
	    (rc = set_stage(w, a, job, &v, "finalizing", 90, err)) != VG_OK)
		return rc;
	final = vg_storage_path(a, c->storage_dir, "videos", v.id, "mp4");
	thumb = vg_storage_path(a, c->storage_dir, "thumbs", v.id, "jpg");
	if (!final || !thumb)
		return vg_err_set(err, VG_EINVAL, "bad_video", "video id %s cannot name a file",
		                  v.id);
	src = finalize_source(job, final, &is_tmp);
	if (!src) {
		log_warnx("the render of video %s is gone; rendering it again", v.id);
		json_object_del(job->state_data, "tmp_path");
		return vg_queue_advance(w->db, a, job, "generate", c->runner_lease_s, err);
	}
	memset(&pr, 0, sizeof pr);
	rc = vg_media_probe(c->ffprobe_path, src, c->ffmpeg_timeout_s, &pr, err);
	if (rc == VG_OK)
		rc = check_output(&v, &pr, err);
	if (rc != VG_OK) {
		/* A bad file is not worth keeping: the next try renders again. */
		remove_file(src);
		return rc;
	}
	if ((rc = vg_storage_mkdirs(thumb, err)) != VG_OK ||
	    (rc = vg_media_thumbnail(c->ffmpeg_path, src,
	                             pr.duration_s >= 2 ? 1.0 : pr.duration_s / 2, THUMB_WIDTH,
	                             thumb, c->ffmpeg_timeout_s, err)) != VG_OK ||
	    (rc = vg_storage_file_sha256(src, sha, &size, err)) != VG_OK)
		return rc;
	if (is_tmp && (rc = vg_storage_commit(src, final, err)) != VG_OK)
		return rc;

	json_t *res =
	    json_pack("{s:i, s:i, s:f, s:I, s:s, s:s, s:b}", "width", pr.width, "height", pr.height,
	              "duration_seconds", (double)(long long)(pr.duration_s * 1000 + 0.5) / 1000,
	              "size_bytes", (json_int_t)size, "sha256", sha, "mime_type", "video/mp4",
	              "has_audio", pr.has_audio);
	if (!res)
		vg_oom(0);
	result = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	if (!result)
		vg_oom(0);
	vg_arena_cleanup(a, free, result);
	rc = record_success(w, job, &v, result, err);
	if (rc != VG_OK)
		return rc;
	/* Killed earlier tries (a download, a thumbnail) may have left temp files beside the
	 * outputs; none of them is of use now. */
	remove_temps(final);
	remove_temps(thumb);
	log_info("video %s succeeded: %llu bytes, sha256 %.12s...", v.id, (unsigned long long)size,
	         sha);
	return RUNNER_DONE;
}

int j_video_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	if (vg_str_eq(job->step, "start"))
		return step_start(w, job, err);
	if (vg_str_eq(job->step, "continuity"))
		return step_continuity(w, job, err);
	if (vg_str_eq(job->step, "enhance"))
		return step_enhance(w, job, err);
	if (vg_str_eq(job->step, "generate"))
		return step_generate(w, job, err);
	if (vg_str_eq(job->step, "finalize"))
		return step_finalize(w, job, err);
	return vg_err_set(err, VG_EINVAL, "unknown_step", "video.generate has no step %s",
	                  job->step);
}

/* The video's files, when it will never have any (failed or cancelled). */
static void remove_outputs(const struct vg_conf *conf, struct vg_arena *a, const char *id)
{
	char *final = vg_storage_path(a, conf->storage_dir, "videos", id, "mp4");

	if (!final)
		return;
	remove_temps(final);
	remove_file(final);
	char *thumb = vg_storage_path(a, conf->storage_dir, "thumbs", id, "jpg");
	if (thumb) {
		remove_temps(thumb);
		remove_file(thumb);
	}
}

/* The error codes of API.md a failed video may carry; anything else is "internal". */
static const char *api_error_code(const char *code)
{
	static const char *const codes[] = {"provider_rejected",
	                                    "safety_filtered",
	                                    "provider_timeout",
	                                    "provider_unavailable",
	                                    "quota_exceeded",
	                                    "budget_exceeded",
	                                    NULL};

	for (int i = 0; codes[i]; i++)
		if (vg_str_eq(code, codes[i]))
			return codes[i];
	return "internal";
}

/* Whether sending the same request again may work (API.md error.retryable). */
static bool retryable_code(const char *code)
{
	return vg_str_eq(code, "provider_unavailable") || vg_str_eq(code, "provider_timeout") ||
	       vg_str_eq(code, "internal");
}

int j_video_failed(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
                   struct vg_err *err)
{
	const char *id = runner_payload_id(job, "video_id", err);
	const char *code;
	char *msg;
	PGresult *r;

	if (!id)
		return VG_OK; /* no video to update: the job's own error says why */
	code = api_error_code(why->code);
	msg = vg_str_eq(code, "internal")
	          ? vg_arena_printf(w->step_arena, "the video could not be rendered: %s", why->msg)
	          : vg_arena_printf(w->step_arena, "%s", why->msg);
	r = vg_db_q(w->db, w->step_arena, err,
	            "UPDATE videos SET status = 'failed', error = jsonb_build_object('code', "
	            "$4::text, 'message', $3::text, 'retryable', $5::bool), finished_at = now() "
	            "WHERE " VIDEO_OURS " AND status IN ('queued', 'running') RETURNING id, "
	            "provider, style",
	            id, job->id, msg, code, retryable_code(code) ? "true" : "false");
	if (!r)
		return err->rc;
	if (PQntuples(r) == 1)
		vg_metrics_generation("failed", vg_db_get(r, 0, "provider"),
		                      vg_db_get(r, 0, "style"), -1);
	if (PQntuples(r) == 1)
		remove_outputs(w->conf, w->tick_arena, id);
	vg_arena_reset(w->tick_arena);
	if (PQntuples(r) == 1)
		return movie_take_failed(w->db, w->step_arena, id, code, msg, err);
	return VG_OK;
}

int j_video_cancelled(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const char *id = runner_payload_id(job, "video_id", err);
	PGresult *r;

	if (!id)
		return VG_OK;
	r = vg_db_q(
	    w->db, w->step_arena, err,
	    "UPDATE videos SET status = 'cancelled', error = jsonb_build_object('code', "
	    "'cancelled', 'message', 'the video was cancelled before it finished', "
	    "'retryable', false), finished_at = coalesce(finished_at, now()) WHERE " VIDEO_OURS
	    " AND status IN ('queued', 'running') RETURNING provider, style",
	    id, job->id);
	if (!r)
		return err->rc;
	if (PQntuples(r) == 1)
		vg_metrics_generation("cancelled", vg_db_get(r, 0, "provider"),
		                      vg_db_get(r, 0, "style"), -1);
	r = vg_db_q(w->db, w->step_arena, err,
	            "SELECT status FROM videos WHERE " VIDEO_OURS " AND status = 'cancelled'", id,
	            job->id);
	if (!r)
		return err->rc;
	if (PQntuples(r) == 1)
		remove_outputs(w->conf, w->tick_arena, id);
	vg_arena_reset(w->tick_arena);
	return VG_OK;
}

int j_video_reconcile(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                      struct vg_err *err)
{
	PGresult *r;

	/* Jobs that ended without their worker: the rescue gave up (a worker died or hung), or
	 * the job was cancelled while queued.  Their videos must not stay queued/running. */
	r = vg_db_q0(
	    db, a, err,
	    "UPDATE videos v SET status = CASE WHEN j.state = 'cancelled' THEN 'cancelled' "
	    "ELSE 'failed' END, "
	    "error = CASE WHEN j.state = 'cancelled' THEN jsonb_build_object('code', "
	    "'cancelled', 'message', 'the video was cancelled before it finished', "
	    "'retryable', false) ELSE jsonb_build_object('code', 'internal', 'message', "
	    "CASE WHEN j.last_error->>'code' IN ('lease_expired', 'worker_restarted') THEN "
	    "format('the video could not be rendered: the renderer stopped while working on "
	    "it (try %s of %s)', j.retries, j.max_attempts) ELSE 'the video could not be rendered: "
	    "' || "
	    "coalesce(j.last_error->>'message', 'its job failed') END, 'retryable', false) END, "
	    "finished_at = coalesce(j.finished_at, now()) "
	    "FROM jobs j WHERE v.job_id = j.id AND j.kind = 'video.generate' AND j.state IN "
	    "('failed', 'cancelled') AND v.status IN ('queued', 'running') RETURNING v.id, "
	    "v.status, v.provider, v.style");
	if (!r)
		return err->rc;
	for (int i = 0; i < PQntuples(r); i++) {
		remove_outputs(conf, a, PQgetvalue(r, i, 0));
		vg_metrics_generation(vg_db_get(r, i, "status"), vg_db_get(r, i, "provider"),
		                      vg_db_get(r, i, "style"), -1);
	}
	if (PQntuples(r) > 0)
		log_info("reconcile: %d videos whose job had ended were closed", PQntuples(r));
	return VG_OK;
}
