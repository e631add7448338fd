/* What video.generate does differently for a movie's scene take: it waits its turn within
 * the concurrency limits, stops before it would overspend the movie's budget, and with
 * continuity starts from the exact last frame of the scene before. */
#ifndef VG_MOVIE_TAKE_H
#define VG_MOVIE_TAKE_H

#include <stdbool.h>

#include "runner.h"

/* Before a queued take starts, inside the caller's transaction, which must then start the
 * take (status running) before it commits: admission holds a lock until then.  *defer_ms > 0: too
 * many scene takes of this user or provider run now; come back after that long.  VG_EFORBIDDEN,
 * code "budget_exceeded": what the movie has spent, plus its running takes' estimates, plus this
 * take's would pass budget_usd.  VG_OK for a take that may start and for a video that is not a
 * take. */
int movie_take_admit(struct runner_worker *w, struct vg_arena *a, const char *video_id,
                     long *defer_ms, struct vg_err *err);

/* True when the take starts from another video's last frame that is not extracted yet. */
bool movie_take_needs_frame(const PGresult *start_row);

/* The "continuity" step: the last frame of videos.continue_from (which must have
 * succeeded) as a PNG file of the movie, set as the take's image_id.  Idempotent: nothing
 * to do when image_id is already set. */
int movie_take_continuity(struct runner_worker *w, struct vg_job *job, const char *video_id,
                          struct vg_err *err);

#endif
