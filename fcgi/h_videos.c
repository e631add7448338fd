/* /api/v1/videos: create (with Idempotency-Key), list, get, cancel, delete, content,
 * thumbnail.  Every query is scoped to the caller, so another user's video is a 404. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fcgi_http.h"
#include "fcgi_quota.h"
#include "handlers.h"
#include "vg_account.h"
#include "vg_auth.h"
#include "vg_jobadmin.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_queue.h"
#include "vg_retention.h"
#include "vg_str.h"
#include "vg_video.h"

#define JOB_KIND            "video.generate"
#define MAX_IDEMPOTENCY_KEY 255

static int not_found(struct vg_err *err)
{
	return vg_err_set(err, VG_ENOTFOUND, NULL,
	                  "no such video: check the id (GET /api/v1/videos lists yours)");
}

/* The caller's video as an API object; NULL with 404 when it is not theirs. */
static json_t *load_video(struct vg_req *r, const char *id, struct vg_err *err)
{
	PGresult *res;

	if (!vg_str_is_uuid(id)) {
		not_found(err);
		return NULL;
	}
	res =
	    vg_db_q(r->db, r->a, err,
	            "SELECT " VG_VIDEO_COLUMNS " FROM videos v WHERE v.id = $1 AND v.user_id = $2",
	            id, r->who.user_id);
	if (!res)
		return NULL;
	if (PQntuples(res) != 1) {
		not_found(err);
		return NULL;
	}
	return vg_json_own(r->a, vg_video_to_json(res, 0));
}

/* Every file a request names must be one of the caller's uploads. */
static int check_files(struct vg_req *r, const struct vg_video_req *v, struct vg_err *err)
{
	const char *ids[5];
	const char *fields[5];
	int n = 0;

	if (v->image_id) {
		fields[n] = "image_id";
		ids[n++] = v->image_id;
	}
	if (v->last_frame_id) {
		fields[n] = "last_frame_id";
		ids[n++] = v->last_frame_id;
	}
	for (int i = 0; i < v->n_reference_images; i++) {
		fields[n] = vg_arena_printf(r->a, "reference_image_ids[%d]", i);
		ids[n++] = v->reference_image_ids[i];
	}
	for (int i = 0; i < n; i++) {
		PGresult *res = vg_db_q(
		    r->db, r->a, err, "SELECT mime_type FROM files WHERE id = $1 AND user_id = $2",
		    ids[i], r->who.user_id);
		if (!res)
			return err->rc;
		if (PQntuples(res) != 1)
			vg_err_field(err, fields[i],
			             "no such file: upload it with POST /api/v1/files first");
		else if (strncmp(vg_db_get(res, 0, "mime_type"), "image/", 6) != 0)
			vg_err_field(err, fields[i], "must be an image file, not %s",
			             vg_db_get(res, 0, "mime_type"));
		else if (!vg_str_eq(v->provider, "local") &&
		         vg_str_eq(vg_db_get(res, 0, "mime_type"), "image/webp"))
			/* Veo takes PNG and JPEG only */
			vg_err_field(
			    err, fields[i],
			    "%s takes PNG or JPEG images, not WebP: upload the image as PNG "
			    "or JPEG",
			    v->provider);
	}
	return err->rc;
}

/* Replays a request with the same Idempotency-Key: 200 with the video, 409 for another
 * body.  Returns 1 when it answered, 0 to go on creating, or an error. */
static int idempotent_replay(struct vg_req *r, struct vg_resp *w, const char *key, const char *hash,
                             struct vg_err *err)
{
	PGresult *res = vg_db_q(
	    r->db, r->a, err,
	    "INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3) "
	    "ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, "
	    "video_id = NULL, created_at = now() "
	    "WHERE idempotency_keys.created_at < now() - interval '24 hours' "
	    "RETURNING request_hash",
	    r->who.user_id, key, hash);

	if (!res)
		return err->rc;
	if (PQntuples(res) == 1)
		return 0; /* a new key (or one older than 24 h): create */
	res = vg_db_q(r->db, r->a, err,
	              "SELECT request_hash, video_id FROM idempotency_keys WHERE user_id = $1 AND "
	              "key = $2",
	              r->who.user_id, key);
	if (!res)
		return err->rc;
	if (PQntuples(res) != 1 || strcmp(vg_db_get(res, 0, "request_hash"), hash) != 0)
		return vg_err_set(err, VG_ECONFLICT, "idempotency_key_reused",
		                  "this Idempotency-Key was used with a different body in the last "
		                  "24 hours: use a new key for a new request");
	const char *video_id = vg_db_get(res, 0, "video_id");
	json_t *v = video_id ? load_video(r, video_id, err) : NULL;
	if (!v)
		return video_id ? err->rc
		                : vg_err_set(err, VG_ECONFLICT, "idempotency_key_reused",
		                             "the first request with this Idempotency-Key is "
		                             "still being processed: retry in a moment");
	vg_resp_json(w, 200, v);
	return 1;
}

/* The video and its job in one statement (one round trip, atomic without a transaction of
 * its own); returns the video as an API object. */
static json_t *insert_video(struct vg_req *r, const struct vg_video_req *v, struct vg_err *err)
{
	char id[37], seed[16], maxa[16], cost[32], *refs;
	PGresult *res;
	int bad;

	/* validated by vg_video_req_parse: a bad one here is a bug */
	refs = vg_db_uuid_array(r->a, v->reference_image_ids, v->n_reference_images, &bad);
	if (!refs) {
		vg_err_set(err, VG_EINTERNAL, NULL, "reference image id %d was not validated", bad);
		return NULL;
	}
	vg_uuid_new(id);
	snprintf(seed, sizeof seed, "%u", v->seed);
	snprintf(maxa, sizeof maxa, "%d", r->conf->runner_max_attempts);
	snprintf(cost, sizeof cost, "%.4f", v->estimated_cost_usd);
	json_t *payload = vg_json_own(r->a, json_pack("{s:s}", "video_id", id));
	res = vg_db_q(
	    r->db, r->a, err,
	    "WITH " VG_QUEUE_INSERT_CTE("$16", "$17", "100",
	                                "$18") " INSERT INTO videos AS v (id, "
	                                       "job_id, user_id, prompt, negative_prompt, style, "
	                                       "duration_seconds, aspect_ratio, "
	                                       "resolution, seed, image_id, last_frame_id, "
	                                       "reference_image_ids, provider, model, "
	                                       "webhook_url, enhance_prompt, "
	                                       "estimated_cost_usd) SELECT $1::uuid, job.id, "
	                                       "$2::uuid, $3, $4, $5, $6::smallint, $7, $8, "
	                                       "$9::bigint, $10::uuid, $11::uuid, $12::uuid[], "
	                                       "$13, $14, $15, $19::boolean, $20::numeric "
	                                       "FROM job, job_notify "
	                                       "RETURNING " VG_VIDEO_COLUMNS,
	    id, r->who.user_id, v->prompt, v->negative_prompt, v->style,
	    vg_arena_printf(r->a, "%d", v->duration_seconds), v->aspect_ratio, v->resolution,
	    v->has_seed ? seed : NULL, v->image_id, v->last_frame_id, refs, v->provider, v->model,
	    v->webhook_url, JOB_KIND, vg_json_dump(r->a, payload), maxa,
	    v->enhance_prompt ? "true" : "false", cost);
	if (!res)
		return NULL;
	return vg_json_own(r->a, vg_video_to_json(res, 0));
}

/* Inside the caller's transaction: a replay of the Idempotency-Key first (it answers
 * even at a limit: it starts nothing), then the work under way and the quota, then the video
 * and its job, then the key's record.  Returns 1 when a replay of the key answered. */
static int create_in_txn(struct vg_req *r, struct vg_resp *w, const struct vg_video_req *v,
                         const char *idem_key, const char *hash, json_t **video, struct vg_err *err)
{
	int rc;

	if (idem_key && (rc = idempotent_replay(r, w, idem_key, hash, err)) != 0)
		return rc;
	if ((rc = vg_active_jobs_check(r, err)) != VG_OK)
		return rc;
	if ((rc = vg_quota_check(r, "video", v->duration_seconds, v->estimated_cost_usd, err)) !=
	    VG_OK)
		return rc;
	if (!(*video = insert_video(r, v, err)))
		return err->rc;
	if (idem_key &&
	    !vg_db_q(r->db, r->a, err,
	             "UPDATE idempotency_keys SET video_id = $3 WHERE user_id = $1 AND "
	             "key = $2",
	             r->who.user_id, idem_key, json_string_value(json_object_get(*video, "id"))))
		return err->rc;
	return VG_OK;
}

static const char *idempotency_key(struct vg_req *r, struct vg_err *err)
{
	const char *key = vg_req_param(r, "HTTP_IDEMPOTENCY_KEY");
	size_t n;

	if (!key)
		return NULL;
	n = strlen(key);
	for (size_t i = 0; i < n; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			n = 0;
	if (n == 0 || n > MAX_IDEMPOTENCY_KEY)
		vg_err_set(err, VG_EBADREQ, "bad_idempotency_key",
		           "Idempotency-Key must be 1 to %d printable ASCII characters (a UUID "
		           "is a good choice)",
		           MAX_IDEMPOTENCY_KEY);
	return key;
}

int h_videos_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct vg_video_req v;
	const char *key = idempotency_key(r, err);
	json_t *body, *video = NULL;
	char *hash = NULL;
	int rc;

	if (err->rc != VG_OK)
		return err->rc;
	if (!(body = vg_req_json(r, err)))
		return err->rc;
	if ((rc = vg_video_req_parse(r->a, body, r->conf, &v, err)) != VG_OK)
		return rc;
	if ((rc = check_files(r, &v, err)) != VG_OK)
		return rc;
	if (key) {
		/* canonical form: the same fields in another order are the same request */
		char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
		hash = vg_sha256_hex(r->a, canon ? canon : "", canon ? strlen(canon) : 0);
		free(canon);
	}
	if (!key && !r->who.has_quota && r->conf->limits_max_active_jobs_per_user == 0) {
		/* with nothing to check first, no transaction: one statement inserts both rows */
		if (!(video = insert_video(r, &v, err)))
			return err->rc;
	} else {
		if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
			return rc;
		rc = create_in_txn(r, w, &v, key, hash, &video, err);
		if (rc != VG_OK) {
			vg_db_rollback(r->db);
			return rc == 1 ? VG_OK : rc; /* 1: replayed */
		}
		if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
			return rc;
	}
	const char *id = json_string_value(json_object_get(video, "id"));
	vg_resp_header(w, "Location", "/api/v1/videos/%s", id);
	vg_resp_json(w, 202, video);
	log_info("video %s queued (%d s %s %s)", id, v.duration_seconds, v.aspect_ratio,
	         v.resolution);
	return VG_OK;
}

static const char *const statuses[] = {"queued", "running",   "succeeded",
                                       "failed", "cancelled", NULL};

int h_videos_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *status, *cursor;
	uint64_t limit;
	int rc;

	if ((rc = vg_req_page_query(r, statuses, &status, &limit, &cursor, err)) != VG_OK)
		return rc;
	PGresult *res = vg_db_q(
	    r->db, r->a, err,
	    "SELECT " VG_VIDEO_COLUMNS " FROM videos v WHERE v.user_id = $1 "
	    "AND ($2::text IS NULL OR v.status = $2) "
	    "AND ($3::uuid IS NULL OR (v.created_at, v.id) < (SELECT c.created_at, c.id FROM "
	    "videos c WHERE c.id = $3 AND c.user_id = $1)) "
	    "ORDER BY v.created_at DESC, v.id DESC LIMIT $4",
	    r->who.user_id, status, cursor,
	    vg_arena_printf(r->a, "%llu", (unsigned long long)limit + 1));
	if (!res)
		return err->rc;
	if ((rc = vg_req_cursor_check(r, "videos", cursor, r->who.user_id, "one of your videos",
	                              err)) != VG_OK)
		return rc;
	vg_resp_page(w, r, res, limit, vg_video_to_json);
	return VG_OK;
}

int h_videos_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	json_t *v = load_video(r, r->params[0], err);

	if (!v)
		return err->rc;
	vg_resp_json(w, 200, v);
	return VG_OK;
}

/* Locks the caller's video row for a state change; NULL with 404 when not theirs. */
static PGresult *lock_video(struct vg_req *r, const char *id, struct vg_err *err)
{
	PGresult *res;

	if (!vg_str_is_uuid(id)) {
		not_found(err);
		return NULL;
	}
	res = vg_db_q(r->db, r->a, err,
	              "SELECT status, job_id, content_path, thumbnail_path FROM videos WHERE id = "
	              "$1 AND user_id = $2 FOR UPDATE",
	              id, r->who.user_id);
	if (res && PQntuples(res) != 1) {
		not_found(err);
		return NULL;
	}
	return res;
}

/* Cancels the job and the video when still queued or running (inside a transaction);
 * shared with the admin's cancel of the job. */
static int cancel_locked(struct vg_req *r, const char *id, PGresult *row, struct vg_err *err)
{
	return vg_jobadmin_cancel_video(r->db, r->a, id, vg_db_get(row, 0, "job_id"),
	                                "cancelled by the user", NULL, err);
}

int h_videos_cancel(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *id = r->params[0];
	PGresult *row;
	int rc;

	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if (!(row = lock_video(r, id, err))) {
		vg_db_rollback(r->db);
		return err->rc;
	}
	const char *status = vg_db_get(row, 0, "status");
	if (strcmp(status, "queued") != 0 && strcmp(status, "running") != 0) {
		vg_db_rollback(r->db);
		return vg_err_set(err, VG_ECONFLICT, "already_finished",
		                  "the video has already finished (status %s): nothing to cancel",
		                  status);
	}
	if ((rc = cancel_locked(r, id, row, err)) != VG_OK) {
		vg_db_rollback(r->db);
		return rc;
	}
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	json_t *v = load_video(r, id, err);
	if (!v)
		return err->rc;
	vg_metrics_generation("cancelled", json_string_value(json_object_get(v, "provider")),
	                      json_string_value(json_object_get(v, "style")), -1);
	vg_resp_json(w, 202, v);
	return VG_OK;
}

int h_videos_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *id = r->params[0];
	PGresult *row, *paths;
	int rc;

	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if (!(row = lock_video(r, id, err)) || (rc = cancel_locked(r, id, row, err)) != VG_OK ||
	    vg_retention_delete_video(r->db, r->a, id, &paths, err) != VG_OK) {
		vg_db_rollback(r->db);
		return err->rc;
	}
	/* in the transaction: the row and its audit record go together */
	vg_audit(r->db, r->a, r->who.user_id, "video.delete", "video", id, r->remote_addr,
	         r->request_id, NULL);
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	/* files after the commit: a crash leaves an orphan file, never a row without one */
	vg_retention_remove_video_files(r->a, r->conf->storage_dir, paths);
	vg_resp_status(w, 204);
	return VG_OK;
}

static int deliver(struct vg_req *r, struct vg_resp *w, const char *column, const char *mime,
                   struct vg_err *err)
{
	const char *id = r->params[0];
	PGresult *res;

	if (!vg_str_is_uuid(id))
		return not_found(err);
	res =
	    vg_db_exec(r->db, r->a,
	               strcmp(column, "content_path") == 0
	                   ? "SELECT status, content_path AS path FROM videos WHERE id = $1 AND "
	                     "user_id = $2"
	                   : "SELECT status, thumbnail_path AS path FROM videos WHERE id = $1 AND "
	                     "user_id = $2",
	               2, VG_DB_P(id, r->who.user_id), err);
	if (!res)
		return err->rc;
	if (PQntuples(res) != 1)
		return not_found(err);
	const char *status = vg_db_get(res, 0, "status");
	const char *path = vg_db_get(res, 0, "path");
	if (strcmp(status, "succeeded") != 0 || !path)
		return vg_err_set(err, VG_ECONFLICT, "not_ready",
		                  "the video is not ready (status %s): wait until its status is "
		                  "succeeded",
		                  status);
	return vg_resp_file(w, r, path, mime, err);
}

int h_videos_content(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return deliver(r, w, "content_path", "video/mp4", err);
}

int h_videos_thumbnail(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return deliver(r, w, "thumbnail_path", "image/jpeg", err);
}
