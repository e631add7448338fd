/* What the movie handlers (h_movies.c, h_scenes.c, h_movie_render.c, h_movie_files.c)
 * share: finding the caller's movie, locking it for an edit, the "busy" rule, checking the
 * files a request names, and marking scenes stale after an edit.  Every lookup is scoped to
 * the caller (r->who.user_id): another user's movie is a 404, like an id that is not a
 * UUID. */
#ifndef H_MOVIE_COMMON_H
#define H_MOVIE_COMMON_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "fcgi_http.h"
#include "vg_err.h"
#include "vg_movie.h"

/* Sets the 404 for a movie that is not the caller's (or not a UUID); returns VG_ENOTFOUND. */
int vg_movie_not_found(struct vg_err *err);
/* The same for a scene id that is not one of this movie's scenes. */
int vg_scene_not_found(struct vg_err *err);

/* The caller's movie row ("SELECT VG_MOVIE_COLUMNS FROM movies m", one row), or NULL with
 * 404 (or a database error) in err.  Does not lock. */
PGresult *vg_movie_row(struct vg_req *r, const char *id, struct vg_err *err);

/* The rows of the movie's scenes (VG_SCENE_COLUMNS from scene_state, position order). */
PGresult *vg_movie_scene_rows(struct vg_req *r, const char *movie_id, struct vg_err *err);

/* The caller's movie as the API object (vg_movie_to_json: the movie row and its scenes),
 * owned by the request arena; NULL with 404 when it is not theirs. */
json_t *vg_movie_load(struct vg_req *r, const char *id, struct vg_err *err);

/* Loads the movie (after a commit) and answers it with the given status (200, 201, 202). */
int vg_movie_respond(struct vg_req *r, struct vg_resp *w, const char *id, int status,
                     struct vg_err *err);

/* Inside the caller's transaction: locks the caller's movie row FOR UPDATE and returns it
 * (VG_MOVIE_COLUMNS, one row).  NULL with 404 when it is not theirs.  Every edit of a movie
 * or its scenes takes this lock first, so edits, render and cancel of one movie are
 * serialised. */
PGresult *vg_movie_lock(struct vg_req *r, const char *id, struct vg_err *err);

/* true while the movie is planning, rendering or assembling (edits must wait). */
bool vg_movie_status_busy(const char *status);

/* 409 VG_ECONFLICT "movie_busy" ("the movie is rendering: wait until it finishes or cancel
 * it") when row 0 of m (a VG_MOVIE_COLUMNS row) is busy; VG_OK otherwise. */
int vg_movie_check_idle(const PGresult *m, struct vg_err *err);

/* What a file named by a request must be. */
enum vg_file_kind {
	VG_FILE_IMAGE, /* an image: PNG or JPEG only when provider is not "local" */
	VG_FILE_AUDIO  /* audio (a soundtrack: audio/mpeg, wav, ogg) */
};

/* Checks that file id is one of the caller's uploads of the right kind; on failure adds a
 * field error under `field` (422, says what to upload) and returns VG_EINVAL.  provider
 * matters for images only (NULL = remote rules).  A database error is returned as is. */
int vg_movie_check_file(struct vg_req *r, const char *field, const char *id, enum vg_file_kind kind,
                        const char *provider, struct vg_err *err);

/* Checks every file of a create or PATCH body: character_image_ids[i] (images for
 * v->provider) when images, soundtrack_id (audio) when soundtrack and it is not NULL.
 * Collects every field error, then returns VG_EINVAL (or VG_OK). */
int vg_movie_check_files(struct vg_req *r, const struct vg_movie_req *v, bool images,
                         bool soundtrack, struct vg_err *err);

/* After an edit, inside the transaction holding the movie lock: marks stale every scene of
 * the movie at position >= from_position that has a take (a pending scene stays pending).
 * from_position <= 1 = every scene. */
int vg_movie_mark_stale(struct vg_req *r, const char *movie_id, int from_position,
                        struct vg_err *err);

/* After any edit, inside the transaction: updated_at = now(), and a succeeded movie goes
 * back to draft (its output_dir, the last good film, is kept and still served). */
int vg_movie_edited(struct vg_req *r, const char *movie_id, struct vg_err *err);

#endif
