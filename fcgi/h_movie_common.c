/* Shared by the movie handlers: the caller's movie (read, locked), the busy rule, the files
 * a request names, and staleness after edits.  See h_movie_common.h. */
#include "config.h"

#include <string.h>

#include "h_movie_common.h"
#include "vg_json.h"
#include "vg_str.h"

int vg_movie_not_found(struct vg_err *err)
{
	return vg_err_set(err, VG_ENOTFOUND, NULL,
	                  "no such movie: check the id (GET /api/v1/movies lists yours)");
}

int vg_scene_not_found(struct vg_err *err)
{
	return vg_err_set(err, VG_ENOTFOUND, NULL,
	                  "no such scene in this movie: check the scene id (GET "
	                  "/api/v1/movies/{id} lists the movie's scenes)");
}

static PGresult *movie_select(struct vg_req *r, const char *id, bool lock, struct vg_err *err)
{
	PGresult *res;

	if (!vg_str_is_uuid(id)) {
		vg_movie_not_found(err);
		return NULL;
	}
	res = vg_db_exec(r->db, r->a,
	                 lock ? "SELECT " VG_MOVIE_COLUMNS " FROM movies m WHERE m.id = $1 AND "
	                        "m.user_id = $2 FOR UPDATE OF m"
	                      : "SELECT " VG_MOVIE_COLUMNS " FROM movies m WHERE m.id = $1 AND "
	                        "m.user_id = $2",
	                 2, VG_DB_P(id, r->who.user_id), err);
	if (res && PQntuples(res) != 1) {
		vg_movie_not_found(err);
		return NULL;
	}
	return res;
}

PGresult *vg_movie_row(struct vg_req *r, const char *id, struct vg_err *err)
{
	return movie_select(r, id, false, err);
}

PGresult *vg_movie_lock(struct vg_req *r, const char *id, struct vg_err *err)
{
	return movie_select(r, id, true, err);
}

PGresult *vg_movie_scene_rows(struct vg_req *r, const char *movie_id, struct vg_err *err)
{
	return vg_db_q(r->db, r->a, err,
	               "SELECT " VG_SCENE_COLUMNS " FROM scene_state s WHERE s.movie_id = $1 "
	               "ORDER BY s.position",
	               movie_id);
}

json_t *vg_movie_load(struct vg_req *r, const char *id, struct vg_err *err)
{
	PGresult *m = vg_movie_row(r, id, err);
	PGresult *s;

	if (!m || !(s = vg_movie_scene_rows(r, id, err)))
		return NULL;
	return vg_json_own(r->a, vg_movie_to_json(r->conf, m, 0, s));
}

int vg_movie_respond(struct vg_req *r, struct vg_resp *w, const char *id, int status,
                     struct vg_err *err)
{
	json_t *m = vg_movie_load(r, id, err);

	if (!m)
		return err->rc;
	vg_resp_json(w, status, m);
	return VG_OK;
}

bool vg_movie_status_busy(const char *status)
{
	return vg_str_eq(status, "planning") || vg_str_eq(status, "rendering") ||
	       vg_str_eq(status, "assembling");
}

int vg_movie_check_idle(const PGresult *m, struct vg_err *err)
{
	const char *status = vg_db_get(m, 0, "status");

	if (!vg_movie_status_busy(status))
		return VG_OK;
	return vg_err_set(err, VG_ECONFLICT, "movie_busy",
	                  "the movie is %s: wait until it finishes or cancel it (POST "
	                  "/api/v1/movies/%s/cancel)",
	                  status, vg_db_get(m, 0, "id"));
}

int vg_movie_check_file(struct vg_req *r, const char *field, const char *id, enum vg_file_kind kind,
                        const char *provider, struct vg_err *err)
{
	PGresult *res;
	const char *mime;

	if (!vg_str_is_uuid(id))
		return vg_err_field(err, field,
		                    "no such file: upload it with POST /api/v1/files first");
	/* FOR KEY SHARE: inside a transaction, a concurrent DELETE of the file waits for us */
	res = vg_db_q(r->db, r->a, err,
	              "SELECT mime_type FROM files WHERE id = $1 AND user_id = $2 FOR KEY SHARE",
	              id, r->who.user_id);
	if (!res)
		return err->rc;
	if (PQntuples(res) != 1)
		return vg_err_field(err, field,
		                    "no such file: upload it with POST /api/v1/files first");
	mime = vg_db_get(res, 0, "mime_type");
	if (kind == VG_FILE_AUDIO) {
		if (strncmp(mime, "audio/", 6) != 0)
			return vg_err_field(
			    err, field,
			    "must be an audio file (MP3, WAV or Ogg), not %s: upload "
			    "the soundtrack as audio",
			    mime);
		return VG_OK;
	}
	if (strncmp(mime, "image/", 6) != 0)
		return vg_err_field(err, field, "must be an image file, not %s", mime);
	/* Veo takes PNG and JPEG only */
	if (!vg_str_eq(provider, "local") && !vg_str_eq(mime, "image/png") &&
	    !vg_str_eq(mime, "image/jpeg"))
		return vg_err_field(err, field,
		                    "%s takes PNG or JPEG images, not %s: upload the image as PNG "
		                    "or JPEG",
		                    provider ? provider : "this provider", mime);
	return VG_OK;
}

int vg_movie_check_files(struct vg_req *r, const struct vg_movie_req *v, bool images,
                         bool soundtrack, struct vg_err *err)
{
	int rc;

	for (int i = 0; images && i < v->n_character_images; i++) {
		rc =
		    vg_movie_check_file(r, vg_arena_printf(r->a, "character_image_ids[%d]", i),
		                        v->character_image_ids[i], VG_FILE_IMAGE, v->provider, err);
		if (rc != VG_OK && rc != VG_EINVAL)
			return rc;
	}
	if (soundtrack && v->soundtrack_id) {
		rc = vg_movie_check_file(r, "soundtrack_id", v->soundtrack_id, VG_FILE_AUDIO, NULL,
		                         err);
		if (rc != VG_OK && rc != VG_EINVAL)
			return rc;
	}
	return err->nfields > 0 ? VG_EINVAL : VG_OK;
}

int vg_movie_mark_stale(struct vg_req *r, const char *movie_id, int from_position,
                        struct vg_err *err)
{
	const char *from = vg_arena_printf(r->a, "%d", from_position < 1 ? 1 : from_position);

	if (!vg_db_q(r->db, r->a, err,
	             "UPDATE scenes SET stale = true, updated_at = now() WHERE movie_id = $1 AND "
	             "position >= $2::int AND video_id IS NOT NULL AND NOT stale",
	             movie_id, from))
		return err->rc;
	return VG_OK;
}

int vg_movie_edited(struct vg_req *r, const char *movie_id, struct vg_err *err)
{
	if (!vg_db_q(r->db, r->a, err,
	             "UPDATE movies SET updated_at = now(), status = CASE status WHEN 'succeeded' "
	             "THEN 'draft' ELSE status END WHERE id = $1",
	             movie_id))
		return err->rc;
	return VG_OK;
}
