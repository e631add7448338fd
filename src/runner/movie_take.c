/* Scene takes: admission (concurrency, budget) and continuity frames. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "movie_take.h"
#include "vg_auth.h"
#include "vg_log.h"
#include "vg_media.h"
#include "vg_storage.h"
#include "vg_str.h"

/* A take over a limit looks again after this long (plus up to half again, so takes that
 * wait together do not all come back at once). */
#define ADMIT_RETRY_MS 2000
/* pg_advisory_xact_lock key of scene-take admission ("vgadmit" in ASCII, truncated) */
#define ADMIT_LOCK "7765384467"

/* What the movie has spent and has running, besides this take: a running take counts its
 * estimate, a finished one what was billed.  The budget and this take's estimate too. */
static const char admit_sql[] =
    "SELECT v.movie_id, v.user_id, v.provider, v.estimated_cost_usd::float8 AS estimate, "
    "m.budget_usd::float8 AS budget, "
    "(SELECT coalesce(sum(CASE WHEN o.status = 'running' THEN o.estimated_cost_usd ELSE "
    "o.spent_cost_usd END), 0)::float8 FROM videos o WHERE o.movie_id = v.movie_id AND o.id "
    "<> v.id) AS committed, "
    "(SELECT count(*) FROM videos o WHERE o.movie_id IS NOT NULL AND o.status = 'running' "
    "AND o.user_id = v.user_id AND o.provider = v.provider) AS user_running, "
    "(SELECT count(*) FROM videos o WHERE o.movie_id IS NOT NULL AND o.status = 'running' "
    "AND o.user_id = v.user_id) AS user_all_running, "
    "(SELECT count(*) FROM videos o WHERE o.movie_id IS NOT NULL AND o.status = 'running' "
    "AND o.provider = v.provider) AS provider_running "
    "FROM videos v JOIN movies m ON m.id = v.movie_id WHERE v.id = $1 AND v.status = "
    "'queued'";

int movie_take_admit(struct runner_worker *w, struct vg_arena *a, const char *video_id,
                     long *defer_ms, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	PGresult *r = vg_db_q(w->db, a, err,
	                      "SELECT 1 FROM videos WHERE id = $1 AND movie_id IS NOT NULL AND "
	                      "status = 'queued'",
	                      video_id);

	*defer_ms = 0;
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return VG_OK; /* not a take, or already running (a retried step) */
	/* Two workers admitting takes at once would both count the same running takes: one
	 * admission at a time, until the caller's transaction ends (the take then runs). */
	if (!(r = vg_db_q0(w->db, a, err, "SELECT pg_advisory_xact_lock(" ADMIT_LOCK ")")) ||
	    !(r = vg_db_q(w->db, a, err, admit_sql, video_id)))
		return err->rc;
	if (PQntuples(r) != 1)
		return VG_OK;
	double budget = vg_db_get_double(r, 0, "budget", 0);
	double committed = vg_db_get_double(r, 0, "committed", 0);
	double estimate = vg_db_get_double(r, 0, "estimate", 0);
	/* a tenth of a cent: a float sum must not refuse a take that fits exactly */
	if (budget > 0 && committed + estimate > budget + 0.0005)
		return vg_err_set(err, VG_EFORBIDDEN, "budget_exceeded",
		                  "this scene would take the movie's spending to $%.2f, over its "
		                  "budget of $%.2f: raise budget_usd (PATCH the movie) and render "
		                  "again",
		                  committed + estimate, budget);
	if (vg_db_get_ll(r, 0, "user_all_running", 0) >= c->movies_scene_concurrency_per_user ||
	    vg_db_get_ll(r, 0, "provider_running", 0) >= c->movies_scene_concurrency_per_provider) {
		*defer_ms = ADMIT_RETRY_MS + (long)(runner_now_ms() % (ADMIT_RETRY_MS / 2));
		log_debug("take %s waits: %lld scene takes of its user and %lld of %s run now",
		          video_id, vg_db_get_ll(r, 0, "user_all_running", 0),
		          vg_db_get_ll(r, 0, "provider_running", 0), vg_db_get(r, 0, "provider"));
	}
	return VG_OK;
}

bool movie_take_needs_frame(const PGresult *start_row)
{
	return vg_db_get(start_row, 0, "continue_from") && !vg_db_get(start_row, 0, "image_id");
}

int movie_take_continuity(struct runner_worker *w, struct vg_job *job, const char *video_id,
                          struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	struct vg_probe pr;
	char id[37], sha[65];
	uint64_t size;
	PGresult *r;
	int rc;

	r = vg_db_q(w->db, a, err,
	            "SELECT v.user_id, v.movie_id, v.image_id, p.status AS source_status, "
	            "p.content_path AS source_path, p.id AS source_id FROM videos v LEFT JOIN "
	            "videos p ON p.id = v.continue_from WHERE v.id = $1 AND v.job_id = $2::uuid",
	            video_id, job->id);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return vg_err_set(err, VG_EINVAL, "superseded", "video %s is no longer this job's",
		                  video_id);
	if (vg_db_get(r, 0, "image_id"))
		return VG_OK; /* an earlier try extracted it */
	if (!vg_str_eq(vg_db_get(r, 0, "source_status"), "succeeded") ||
	    !vg_db_get(r, 0, "source_path"))
		return vg_err_set(err, VG_EINVAL, "continuity_source_missing",
		                  "the scene before has no finished take to continue from: render "
		                  "the movie again");
	const char *source_id = vg_db_get(r, 0, "source_id");
	vg_uuid_new(id);
	char *final = vg_storage_path(a, c->storage_dir, "files", id, "png");
	char *src = vg_arena_printf(a, "%s/%s", c->storage_dir, vg_db_get(r, 0, "source_path"));
	if (!final)
		return vg_err_set(err, VG_EINTERNAL, "internal", "no storage path for file %s", id);
	memset(&pr, 0, sizeof pr);
	if ((rc = vg_storage_mkdirs(final, err)) != VG_OK ||
	    (rc = vg_media_last_frame(c->ffmpeg_path, src, final, c->ffmpeg_timeout_s, err)) !=
	        VG_OK ||
	    (rc = vg_media_probe(c->ffprobe_path, final, c->ffmpeg_timeout_s, &pr, err)) != VG_OK ||
	    (rc = vg_storage_file_sha256(final, sha, &size, err)) != VG_OK)
		return rc;
	/* the file row and the take's input in one statement: never one without the other */
	r = vg_db_q(w->db, a, err,
	            "WITH f AS (INSERT INTO files (id, user_id, movie_id, mime_type, size_bytes, "
	            "sha256, width, height, storage_path) SELECT $3, $4, $5, 'image/png', "
	            "$6::bigint, $7, $8::integer, $9::integer, $10 WHERE EXISTS (SELECT 1 FROM "
	            "videos WHERE id = $1 AND job_id = $2::uuid AND image_id IS NULL) RETURNING "
	            "id) "
	            "UPDATE videos SET image_id = f.id FROM f WHERE videos.id = $1 AND "
	            "videos.job_id = $2::uuid AND videos.image_id IS NULL RETURNING videos.id",
	            video_id, job->id, id, vg_db_get(r, 0, "user_id"), vg_db_get(r, 0, "movie_id"),
	            vg_arena_printf(a, "%llu", (unsigned long long)size), sha,
	            vg_arena_printf(a, "%d", pr.width), vg_arena_printf(a, "%d", pr.height),
	            vg_storage_relpath(a, "files", id, "png"));
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1) {
		remove(final); /* another try set the input first, or the job is not ours */
		return VG_OK;
	}
	log_info("video %s starts from the last frame of video %s (%dx%d)", video_id, source_id,
	         pr.width, pr.height);
	return VG_OK;
}
