/* The movie rows that the runner's jobs change together: a movie fails as one (its other
 * scene takes and its assembly stop), whichever part failed. */
#ifndef VG_MOVIE_STATE_H
#define VG_MOVIE_STATE_H

#include <stdbool.h>

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_db.h"
#include "vg_err.h"

/* When the movie is planning, rendering or assembling: status failed with error {code,
 * message, retryable: false, scene_id (when given)}, and every other unfinished part
 * stopped — its queued or running scene takes cancelled with their jobs, its plan or
 * assembly job (movies.job_id) cancelled unless it is except_job_id.  Runs in the caller's
 * transaction when one is open.  *failed_out (may be NULL) says whether the movie changed. */
int movie_fail(struct vg_db *db, struct vg_arena *a, const char *movie_id, const char *code,
               const char *message, const char *scene_id, const char *except_job_id,
               bool *failed_out, struct vg_err *err);

/* A scene take failed for good: when it is the current take of a scene of a movie that is
 * rendering, the movie fails with "scene N (title): message" and the take's code. */
int movie_take_failed(struct vg_db *db, struct vg_arena *a, const char *video_id, const char *code,
                      const char *message, struct vg_err *err);

/* The directory of a movie's outputs relative to storage.dir ("movies/xx/<movie>"), and of
 * one assembly's ("movies/xx/<movie>/<job>"); NULL for ids that are not UUIDs. */
char *movie_dir_rel(struct vg_arena *a, const char *movie_id);
char *movie_output_rel(struct vg_arena *a, const char *movie_id, const char *job_id);

/* An assembly's directory goes no deeper than <assembly>/hls/seg_NNN.ts. */
#define MOVIE_OUTPUT_DEPTH 3

/* Removes one assembly's directory (rel = movie_output_rel(movie_id, <job uuid>)) and
 * nothing else: a corrupt output_dir never points the removal elsewhere. */
void movie_remove_output(const struct vg_conf *c, struct vg_arena *a, const char *movie_id,
                         const char *rel);

#endif
