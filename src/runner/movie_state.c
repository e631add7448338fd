/* The movie rows the runner's jobs change together (see movie_state.h). */
#include "config.h"

#include <string.h>

#include "movie_state.h"
#include "vg_movie_stop.h"
#include "vg_log.h"
#include "vg_storage.h"
#include "vg_str.h"

int movie_fail(struct vg_db *db, struct vg_arena *a, const char *movie_id, const char *code,
               const char *message, const char *scene_id, const char *except_job_id,
               bool *failed_out, struct vg_err *err)
{
	return vg_movie_stop(db, a, movie_id, "failed", code, message, scene_id, except_job_id,
	                     failed_out, err);
}

int movie_take_failed(struct vg_db *db, struct vg_arena *a, const char *video_id, const char *code,
                      const char *message, struct vg_err *err)
{
	PGresult *r = vg_db_q(db, a, err,
	                      "SELECT s.id AS scene_id, s.position, s.title, s.movie_id, v.job_id "
	                      "FROM videos v JOIN scenes s ON s.video_id = v.id JOIN movies m ON "
	                      "m.id = s.movie_id WHERE v.id = $1 AND m.status = 'rendering'",
	                      video_id);

	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return VG_OK; /* an old take, or a movie that is no longer rendering */
	const char *title = vg_db_get(r, 0, "title");
	char *msg =
	    vg_arena_printf(a, "scene %s%s%s%s: %s", vg_db_get(r, 0, "position"), title ? " (" : "",
	                    title ? title : "", title ? ")" : "", message);
	return movie_fail(db, a, vg_db_get(r, 0, "movie_id"), code, msg,
	                  vg_db_get(r, 0, "scene_id"), vg_db_get(r, 0, "job_id"), NULL, err);
}

char *movie_dir_rel(struct vg_arena *a, const char *movie_id)
{
	if (!vg_str_is_uuid(movie_id))
		return NULL;
	return vg_storage_relpath(a, "movies", movie_id, "");
}

char *movie_output_rel(struct vg_arena *a, const char *movie_id, const char *job_id)
{
	char *dir = movie_dir_rel(a, movie_id);

	if (!dir || !vg_str_is_uuid(job_id))
		return NULL;
	return vg_arena_printf(a, "%s/%s", dir, job_id);
}

/* Removes one assembly's directory, rel = movie_output_rel(movie, <job uuid>) and nothing
 * else: a corrupt output_dir must never point the removal elsewhere. */
void movie_remove_output(const struct vg_conf *c, struct vg_arena *a, const char *movie_id,
                         const char *rel)
{
	const char *dir = movie_dir_rel(a, movie_id);
	size_t dlen = dir ? strlen(dir) : 0;

	if (!dir || !rel || strncmp(rel, dir, dlen) != 0 || rel[dlen] != '/' ||
	    !vg_str_is_uuid(rel + dlen + 1)) {
		log_warnx("movie %s: not removing %s, which is not one of its assemblies", movie_id,
		          rel ? rel : "(null)");
		return;
	}
	vg_storage_remove_tree(vg_arena_printf(a, "%s/%s", c->storage_dir, rel),
	                       MOVIE_OUTPUT_DEPTH);
}
