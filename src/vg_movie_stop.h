/* Stopping a movie as one: whichever part failed (its plan, a scene take, its assembly) or
 * when the user cancels, the movie records why and every other unfinished part stops. */
#ifndef VG_MOVIE_STOP_H
#define VG_MOVIE_STOP_H

#include <stdbool.h>

#include "vg_arena.h"
#include "vg_db.h"
#include "vg_err.h"

/* When the movie is planning, rendering or assembling: status := to ("failed" or
 * "cancelled") with error {code, message, retryable: false, scene_id (when given)}, and
 * every other unfinished part stopped — its queued or running scene takes cancelled with
 * their jobs, its plan or assembly job (movies.job_id) cancelled — except the job
 * except_job_id (the caller's own, which it ends itself).  One statement: atomic with or
 * without the caller's transaction.  *stopped_out (may be NULL) says whether the movie
 * changed. */
int vg_movie_stop(struct vg_db *db, struct vg_arena *a, const char *movie_id, const char *to,
                  const char *code, const char *message, const char *scene_id,
                  const char *except_job_id, bool *stopped_out, struct vg_err *err);

#endif
