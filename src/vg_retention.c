/* Deleting videos, movies and uploads with their files (see vg_retention.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vg_log.h"
#include "vg_queue.h"
#include "vg_retention.h"
#include "vg_storage.h"
#include "vg_str.h"

int vg_retention_unlink(struct vg_arena *a, const char *storage_dir, const char *relpath)
{
	if (!relpath || strstr(relpath, "..") || relpath[0] == '/')
		return 0;
	const char *path = vg_arena_printf(a, "%s/%s", storage_dir, relpath);
	if (unlink(path) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	log_warn("cannot remove %s (veogen-cleanup will)", path);
	return -1;
}

int vg_retention_delete_video(struct vg_db *db, struct vg_arena *a, const char *id,
                              PGresult **paths, struct vg_err *err)
{
	*paths =
	    vg_db_q(db, a, err,
	            "DELETE FROM videos WHERE id = $1 RETURNING content_path, thumbnail_path", id);
	return *paths ? VG_OK : err->rc;
}

void vg_retention_remove_video_files(struct vg_arena *a, const char *storage_dir,
                                     const PGresult *paths)
{
	for (int i = 0; paths && i < PQntuples(paths); i++) {
		vg_retention_unlink(a, storage_dir, vg_db_get(paths, i, "content_path"));
		vg_retention_unlink(a, storage_dir, vg_db_get(paths, i, "thumbnail_path"));
	}
}

/* Stops the movie's plan or assembly job and every unfinished take's job (a finished job
 * is left as it is). */
static int cancel_movie_jobs(struct vg_db *db, struct vg_arena *a, const char *id,
                             struct vg_err *err)
{
	PGresult *jobs = vg_db_q(db, a, err,
	                         "SELECT job_id FROM movies WHERE id = $1 AND job_id IS NOT NULL "
	                         "UNION SELECT job_id FROM videos WHERE movie_id = $1 AND status "
	                         "IN ('queued', 'running') AND job_id IS NOT NULL",
	                         id);

	if (!jobs)
		return err->rc;
	for (int i = 0; i < PQntuples(jobs); i++) {
		int rc = vg_queue_cancel(db, a, vg_db_get(jobs, i, "job_id"), err);
		if (rc != VG_OK && rc != VG_ECONFLICT && rc != VG_ENOTFOUND)
			return rc;
		vg_err_clear(err);
	}
	return VG_OK;
}

int vg_retention_delete_movie(struct vg_db *db, struct vg_arena *a, const char *id,
                              const char *user_id, struct vg_movie_removal *out, struct vg_err *err)
{
	int rc;

	if ((rc = cancel_movie_jobs(db, a, id, err)) != VG_OK)
		return rc;
	/* takes first: their image_id (a continuity frame) is ON DELETE RESTRICT; a finished
	 * video outside the movie that was made from a frame lets go of it */
	if (!(out->takes = vg_db_q(db, a, err,
	                           "DELETE FROM videos WHERE movie_id = $1 AND user_id = $2 "
	                           "RETURNING content_path, thumbnail_path",
	                           id, user_id)) ||
	    !vg_db_q(db, a, err,
	             "UPDATE videos SET image_id = CASE WHEN image_id IN (SELECT f.id FROM files f "
	             "WHERE f.movie_id = $1) THEN NULL ELSE image_id END, last_frame_id = CASE "
	             "WHEN last_frame_id IN (SELECT f.id FROM files f WHERE f.movie_id = $1) THEN "
	             "NULL ELSE last_frame_id END WHERE status NOT IN ('queued', 'running') AND "
	             "(image_id IN (SELECT f.id FROM files f WHERE f.movie_id = $1) OR "
	             "last_frame_id IN (SELECT f.id FROM files f WHERE f.movie_id = $1))",
	             id) ||
	    !(out->frames =
	          vg_db_q(db, a, err,
	                  "DELETE FROM files WHERE movie_id = $1 RETURNING storage_path", id)) ||
	    !vg_db_q(db, a, err, "DELETE FROM movies WHERE id = $1", id))
		return err->rc;
	return VG_OK;
}

void vg_retention_remove_movie_files(struct vg_arena *a, const char *storage_dir, const char *id,
                                     const struct vg_movie_removal *d)
{
	vg_retention_remove_video_files(a, storage_dir, d->takes);
	for (int i = 0; d->frames && i < PQntuples(d->frames); i++)
		vg_retention_unlink(a, storage_dir, vg_db_get(d->frames, i, "storage_path"));
	/* storage.dir/movies/<xx>/<movie_id>: the movie's every assembly */
	if (vg_str_is_uuid(id))
		vg_storage_remove_tree(vg_arena_printf(a, "%s/movies/%.2s/%s", storage_dir, id, id),
		                       VG_MOVIE_TREE_DEPTH);
}

/* 409 while a movie names the file (its soundtrack or a character image), finished or
 * not: a movie can be rendered again, and soundtrack_id is ON DELETE RESTRICT. */
static int check_movies(struct vg_db *db, struct vg_arena *a, const char *id, struct vg_err *err)
{
	PGresult *res = vg_db_q(db, a, err,
	                        "SELECT id, title, soundtrack_id = $1 AS soundtrack FROM movies "
	                        "WHERE soundtrack_id = $1 OR $1 = ANY (character_image_ids) "
	                        "ORDER BY created_at LIMIT 1",
	                        id);

	if (!res)
		return err->rc;
	if (PQntuples(res) == 0)
		return VG_OK;
	char title[81]; /* short enough that the message is never cut mid-character */
	vg_strlcpy(title, vg_db_get(res, 0, "title"), sizeof title);
	vg_str_utf8_cut(title);
	return vg_err_set(
	    err, VG_ECONFLICT, "file_in_use",
	    "movie %s (\"%s\") uses this file as %s: remove it from the movie "
	    "first (PATCH /api/v1/movies/%s) or delete the movie, then delete the file",
	    vg_db_get(res, 0, "id"), title,
	    vg_db_get_bool(res, 0, "soundtrack") ? "its soundtrack" : "a character image",
	    vg_db_get(res, 0, "id"));
}

/* Finished videos let go of the file (image_id and last_frame_id are ON DELETE RESTRICT;
 * their clip is made, the input is no longer needed). */
int vg_retention_delete_file(struct vg_db *db, struct vg_arena *a, const char *id,
                             struct vg_err *err)
{
	int rc = check_movies(db, a, id, err);

	if (rc != VG_OK)
		return rc;
	PGresult *res = vg_db_q(db, a, err,
	                        "SELECT id FROM videos WHERE status IN ('queued', 'running') AND "
	                        "(image_id = $1 OR last_frame_id = $1 OR $1 = ANY "
	                        "(reference_image_ids)) LIMIT 1",
	                        id);

	if (!res)
		return err->rc;
	if (PQntuples(res) == 1)
		return vg_err_set(err, VG_ECONFLICT, "file_in_use",
		                  "video %s is still queued or running with this file: wait until "
		                  "it finishes or cancel it, then delete the file",
		                  vg_db_get(res, 0, "id"));
	if (!vg_db_q(db, a, err,
	             "UPDATE videos SET image_id = CASE WHEN image_id = $1 THEN NULL ELSE image_id "
	             "END, last_frame_id = CASE WHEN last_frame_id = $1 THEN NULL ELSE "
	             "last_frame_id END, reference_image_ids = array_remove(reference_image_ids, "
	             "$1::uuid) WHERE image_id = $1 OR last_frame_id = $1 OR $1 = ANY "
	             "(reference_image_ids)",
	             id) ||
	    !vg_db_q(db, a, err, "DELETE FROM files WHERE id = $1", id))
		return err->rc;
	return VG_OK;
}

/* n digits at s as a number; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool valid_date(int y, int m, int d)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return !(m == 2 && d == 29 && !leap);
}

/* The offset part of an RFC 3339 time ("Z", "+01:00"), in seconds east of UTC. */
static bool parse_offset(const char *s, long long *off)
{
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*off = 0;
		return true;
	}
	if ((s[0] != '+' && s[0] != '-') || s[3] != ':' || s[6] != '\0')
		return false;
	int h = digits(s + 1, 2), m = digits(s + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return false;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600LL + m * 60LL);
	return true;
}

bool vg_retention_parse_time(const char *s, long long *out)
{
	int y, mo, d, h, mi, sec;
	long long off;

	if (!s || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return false;
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 0 || mo < 0 || d < 0 || !valid_date(y, mo, d))
		return false;
	*out = days_from_civil(y, mo, d) * 86400LL;
	if (s[10] == '\0')
		return true;
	if ((s[10] != 'T' && s[10] != 't') || strlen(s) < 20 || s[13] != ':' || s[16] != ':')
		return false;
	h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return false;
	const char *p = s + 19;
	if (*p == '.') { /* a fraction: whole seconds are enough for a period's bounds */
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (!parse_offset(p, &off))
		return false;
	*out += h * 3600LL + mi * 60LL + (sec == 60 ? 59 : sec) - off;
	return true;
}
