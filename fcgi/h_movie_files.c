/* /api/v1/movies/{id}/content, poster, contact-sheet, hls/{name}, subtitles.vtt: the files
 * of a movie's last good assembly (movies.output_dir), handed to the web server after the
 * access check.  output_dir survives edits, so the last film is served until a new assembly
 * replaces it.  Every lookup is scoped to the caller: another user's movie is a 404. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "fcgi_http.h"
#include "h_movie_common.h"
#include "handlers.h"
#include "vg_str.h"

/* The output directory of the caller's movie r->params[0] (relative to storage.dir), or NULL
 * with 404 (not theirs) or 409 not_ready (never assembled) in err. */
static const char *movie_output_dir(struct vg_req *r, struct vg_err *err)
{
	const char *id = r->params[0];
	PGresult *res;

	if (!vg_str_is_uuid(id)) {
		vg_movie_not_found(err);
		return NULL;
	}
	res = vg_db_q(r->db, r->a, err,
	              "SELECT status, output_dir FROM movies WHERE id = $1 AND user_id = $2", id,
	              r->who.user_id);
	if (!res)
		return NULL;
	if (PQntuples(res) != 1) {
		vg_movie_not_found(err);
		return NULL;
	}
	const char *dir = vg_db_get(res, 0, "output_dir");
	if (!dir)
		vg_err_set(err, VG_ECONFLICT, "not_ready",
		           "the movie has not been assembled yet (status %s): render it and wait "
		           "until its status is succeeded",
		           vg_db_get(res, 0, "status"));
	return dir;
}

/* Hands output_dir/name of the caller's movie to the web server. */
static int deliver(struct vg_req *r, struct vg_resp *w, const char *name, const char *mime,
                   struct vg_err *err)
{
	const char *dir = movie_output_dir(r, err);

	if (!dir)
		return err->rc;
	return vg_resp_file(w, r, vg_arena_printf(r->a, "%s/%s", dir, name), mime, err);
}

int h_movies_content(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	bool bad = false;
	const char *format = vg_req_query(r, "format", &bad);

	if (bad)
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "the query string is malformed or repeats a parameter");
	if (!format || strcmp(format, "mp4") == 0)
		return deliver(r, w, "film.mp4", "video/mp4", err);
	if (strcmp(format, "webm") == 0)
		return deliver(r, w, "film.webm", "video/webm", err);
	return vg_err_set(err, VG_EBADREQ, "bad_query", "format must be mp4 or webm");
}

int h_movies_poster(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return deliver(r, w, "poster.jpg", "image/jpeg", err);
}

int h_movies_contact_sheet(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return deliver(r, w, "contact.jpg", "image/jpeg", err);
}

/* A segment name as the assembly writes it (seg_%03d.ts; more digits past 999). */
static bool hls_segment_name(const char *s)
{
	size_t digits = 0;

	if (strncmp(s, "seg_", 4) != 0)
		return false;
	for (s += 4; isdigit((unsigned char)s[digits]); digits++)
		;
	return digits >= 3 && digits <= 5 && strcmp(s + digits, ".ts") == 0;
}

static int hls_not_found(struct vg_err *err)
{
	return vg_err_set(err, VG_ENOTFOUND, NULL,
	                  "no such HLS file: start from hls/index.m3u8, which names the segments");
}

int h_movies_hls(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *name = r->nparams > 1 ? r->params[1] : NULL;
	const char *dir, *rel;

	/* Only the names the assembly writes: anything else (paths, dot files) is not there. */
	if (vg_str_eq(name, "index.m3u8"))
		return deliver(r, w, "hls/index.m3u8", "application/vnd.apple.mpegurl", err);
	if (!name || !hls_segment_name(name))
		return hls_not_found(err);
	if (!(dir = movie_output_dir(r, err)))
		return err->rc;
	/* The client picks the number: a segment past the end is our 404, not the web server's
	 * HTML one.  (The other files exist whenever output_dir is set.) */
	rel = vg_arena_printf(r->a, "%s/hls/%s", dir, name);
	if (access(vg_arena_printf(r->a, "%s/%s", r->conf->storage_dir, rel), R_OK) != 0)
		return errno == ENOENT
		           ? hls_not_found(err)
		           : vg_err_set(err, VG_EUNAVAIL, "storage_unavailable",
		                        "the stored file cannot be read: try again later");
	return vg_resp_file(w, r, rel, "video/mp2t", err);
}

int h_movies_subtitles(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return deliver(r, w, "subtitles.vtt", "text/vtt; charset=utf-8", err);
}
