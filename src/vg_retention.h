/* Deleting a user's work, shared by the DELETE handlers and veogen-cleanup.  The rows go in
 * the caller's transaction; the files go after its commit, so a crash leaves an orphan file
 * (which veogen-cleanup finds), never a row whose file is gone. */
#ifndef VG_RETENTION_H
#define VG_RETENTION_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "vg_arena.h"
#include "vg_db.h"
#include "vg_err.h"

/* movies/xx/<movie>/<assembly>/hls/seg: deeper is not ours. */
#define VG_MOVIE_TREE_DEPTH 4

/* What deleting a movie leaves to remove from storage after the commit. */
struct vg_movie_removal {
	PGresult *takes;  /* content_path, thumbnail_path */
	PGresult *frames; /* storage_path */
};

/* Removes storage.dir/relpath: 1 removed, 0 already missing (or relpath NULL), -1 when it
 * could not (logged: veogen-cleanup retries).  relpath must be relative, without "..". */
int vg_retention_unlink(struct vg_arena *a, const char *storage_dir, const char *relpath);

/* Deletes one video row (any status: cancel a running one first) and returns its
 * content_path and thumbnail_path in *paths (one row, or none when it was gone). */
int vg_retention_delete_video(struct vg_db *db, struct vg_arena *a, const char *id,
                              PGresult **paths, struct vg_err *err);
/* After the commit: the files of the rows vg_retention_delete_video returned. */
void vg_retention_remove_video_files(struct vg_arena *a, const char *storage_dir,
                                     const PGresult *paths);

/* With the movie row locked: stops its plan or assembly job and every unfinished take's
 * job, deletes its takes, frames and the movie itself. */
int vg_retention_delete_movie(struct vg_db *db, struct vg_arena *a, const char *id,
                              const char *user_id, struct vg_movie_removal *out,
                              struct vg_err *err);
/* After the commit: the takes' files, the frames and storage.dir/movies/xx/<id>. */
void vg_retention_remove_movie_files(struct vg_arena *a, const char *storage_dir, const char *id,
                                     const struct vg_movie_removal *d);

/* With the file row locked: 409 while a movie or an unfinished video uses it; otherwise
 * finished videos let go of it and the row goes.  The caller removes storage_path after
 * the commit. */
int vg_retention_delete_file(struct vg_db *db, struct vg_arena *a, const char *id,
                             struct vg_err *err);

/* A time as the usage endpoint and veogen-rollup --since take it: RFC 3339
 * ("2026-11-24T10:00:00Z", "…T10:00:00.5+01:00") or a date ("2026-11-24", its UTC
 * midnight), as seconds since the epoch; false when it is neither. */
bool vg_retention_parse_time(const char *s, long long *out);

#endif
