/* /api/v1/movies/{id}/scenes: add, edit, delete, reorder.  Each edit runs in one
 * transaction holding the movie's row lock, refuses a busy movie (409), marks the takes it
 * invalidates stale (with continuity, every later scene too: it starts from the frame
 * before it) and answers with the whole movie. */
#include "config.h"

#include <string.h>

#include "fcgi_http.h"
#include "h_movie_common.h"
#include "handlers.h"
#include "vg_json.h"
#include "vg_str.h"

/* The movie being edited, locked. */
struct edit {
	const char *id;
	struct vg_movie_req cur; /* its settings */
	bool changed;            /* the edit changed something (the film needs assembling) */
};

typedef int (*edit_fn)(struct vg_req *r, struct edit *e, const json_t *body, struct vg_err *err);

static int edit_in_txn(struct vg_req *r, struct edit *e, const json_t *body, edit_fn fn,
                       struct vg_err *err)
{
	PGresult *m = vg_movie_lock(r, e->id, err);
	int rc;

	if (!m)
		return err->rc;
	if ((rc = vg_movie_check_idle(m, err)) != VG_OK)
		return rc;
	vg_movie_req_from_row(r->a, m, 0, &e->cur);
	e->changed = true;
	if ((rc = fn(r, e, body, err)) != VG_OK)
		return rc;
	return e->changed ? vg_movie_edited(r, e->id, err) : VG_OK;
}

/* Runs fn inside a transaction on the locked movie r->params[0], then answers the movie. */
static int run_edit(struct vg_req *r, struct vg_resp *w, int status, bool needs_body, edit_fn fn,
                    struct vg_err *err)
{
	struct edit e;
	json_t *body = NULL;
	int rc;

	memset(&e, 0, sizeof e);
	e.id = r->params[0];
	if (!vg_str_is_uuid(e.id))
		return vg_movie_not_found(err);
	if (needs_body && !(body = vg_req_json(r, err)))
		return err->rc;
	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if ((rc = edit_in_txn(r, &e, body, fn, err)) != VG_OK) {
		vg_db_rollback(r->db);
		return rc;
	}
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	return vg_movie_respond(r, w, e.id, status, err);
}

/* The scene r->params[1] of the movie; NULL with 404 when it is not one of its scenes. */
static PGresult *find_scene(struct vg_req *r, const char *movie_id, struct vg_err *err)
{
	const char *sid = r->params[1];
	PGresult *res;

	if (!vg_str_is_uuid(sid)) {
		vg_scene_not_found(err);
		return NULL;
	}
	res = vg_db_q(r->db, r->a, err,
	              "SELECT id, position, prompt, duration_seconds, camera, title, caption, "
	              "transition, video_id FROM scenes WHERE id = $1 AND movie_id = $2",
	              sid, movie_id);
	if (res && PQntuples(res) != 1) {
		vg_scene_not_found(err);
		return NULL;
	}
	return res;
}

static int scene_count(struct vg_req *r, const char *movie_id, int *n, struct vg_err *err)
{
	PGresult *res = vg_db_q(r->db, r->a, err,
	                        "SELECT count(*) AS n FROM scenes WHERE movie_id = $1", movie_id);

	if (!res)
		return err->rc;
	*n = (int)vg_db_get_ll(res, 0, "n", 0);
	return VG_OK;
}

/* movies.scene_count follows the scenes (the column allows 1–50). */
static int sync_scene_count(struct vg_req *r, const char *movie_id, struct vg_err *err)
{
	if (!vg_db_q(r->db, r->a, err,
	             "UPDATE movies SET scene_count = greatest(1, least(50, (SELECT count(*) FROM "
	             "scenes WHERE movie_id = $1))) WHERE id = $1",
	             movie_id))
		return err->rc;
	return VG_OK;
}

/* ---- add ---- */

static int add_scene(struct vg_req *r, struct edit *e, const json_t *body, struct vg_err *err)
{
	struct vg_scene_req s;
	int n = 0, rc;

	memset(&s, 0, sizeof s);
	if ((rc = vg_scene_req_parse(r->a, body, r->conf, &e->cur, false, true, &s, err)) != VG_OK)
		return rc;
	if ((rc = scene_count(r, e->id, &n, err)) != VG_OK)
		return rc;
	int max = vg_movie_max_scenes(r->conf);
	if (n >= max)
		return vg_err_set(err, VG_ECONFLICT, "too_many_scenes",
		                  "the movie has %d scenes, the most a movie may have "
		                  "(limits.max_scenes_per_movie = %d): delete one before adding "
		                  "another",
		                  n, max);
	int pos = s.position > 0 ? s.position : n + 1;
	if (pos > n + 1)
		return vg_err_field(err, "position",
		                    "must be from 1 to %d (the movie has %d scenes; %d or no "
		                    "position adds it at the end)",
		                    n + 1, n, n + 1);
	int d = s.duration_seconds > 0 ? s.duration_seconds : e->cur.scene_duration_seconds;
	const char *ps = vg_arena_printf(r->a, "%d", pos);
	/* positions are unique at commit (deferred), so shifting in one statement is fine */
	if (!vg_db_q(r->db, r->a, err,
	             "UPDATE scenes SET position = position + 1, updated_at = now() WHERE "
	             "movie_id = $1 AND position >= $2::int",
	             e->id, ps) ||
	    !vg_db_q(r->db, r->a, err,
	             "INSERT INTO scenes (movie_id, position, title, prompt, duration_seconds, "
	             "camera, caption, transition) VALUES ($1, $2::int, $3, $4, $5::smallint, $6, "
	             "$7, $8)",
	             e->id, ps, s.title, s.prompt, vg_arena_printf(r->a, "%d", d), s.camera,
	             s.caption, s.transition))
		return err->rc;
	/* the scene after the new one now starts from the new one's last frame */
	if (e->cur.continuity && (rc = vg_movie_mark_stale(r, e->id, pos + 1, err)) != VG_OK)
		return rc;
	return sync_scene_count(r, e->id, err);
}

int h_scenes_add(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return run_edit(r, w, 201, true, add_scene, err);
}

/* ---- edit ---- */

struct set_list {
	const char *sql;
	const char *params[12];
	int n;
};

/* Appends ", <pre>$n<post>" with value as parameter n (column names are constants). */
static void set_add(struct vg_arena *a, struct set_list *s, const char *pre, const char *post,
                    const char *value)
{
	s->params[s->n++] = value;
	s->sql = vg_arena_printf(a, "%s, %s$%d%s", s->sql, pre, s->n, post);
}

static int patch_scene(struct vg_req *r, struct edit *e, const json_t *body, struct vg_err *err)
{
	struct vg_scene_req s;
	PGresult *row;
	int rc;

	if (!(row = find_scene(r, e->id, err)))
		return err->rc;
	memset(&s, 0, sizeof s);
	if ((rc = vg_scene_req_parse(r->a, body, r->conf, &e->cur, true, false, &s, err)) != VG_OK)
		return rc;
	const char *sid = vg_db_get(row, 0, "id");
	int d = s.duration_seconds > 0 ? s.duration_seconds : e->cur.scene_duration_seconds;
	/* what the take shows changes: a new take is needed */
	bool retake = (s.has_prompt && !vg_str_eq(s.prompt, vg_db_get(row, 0, "prompt"))) ||
	              (s.has_duration && d != vg_db_get_ll(row, 0, "duration_seconds", 0)) ||
	              (s.has_camera && !vg_str_eq(s.camera, vg_db_get(row, 0, "camera")));
	struct set_list set = {"updated_at = now()", {sid}, 1};

	e->changed =
	    retake || (s.has_title && !vg_str_eq(s.title, vg_db_get(row, 0, "title"))) ||
	    (s.has_caption && !vg_str_eq(s.caption, vg_db_get(row, 0, "caption"))) ||
	    (s.has_transition && !vg_str_eq(s.transition, vg_db_get(row, 0, "transition")));

	if (s.has_prompt)
		set_add(r->a, &set, "prompt = ", "", s.prompt);
	if (s.has_duration)
		set_add(r->a, &set, "duration_seconds = ", "::smallint",
		        vg_arena_printf(r->a, "%d", d));
	if (s.has_camera)
		set_add(r->a, &set, "camera = ", "", s.camera);
	if (s.has_title)
		set_add(r->a, &set, "title = ", "", s.title);
	if (s.has_caption)
		set_add(r->a, &set, "caption = ", "", s.caption);
	if (s.has_transition)
		set_add(r->a, &set, "transition = ", "", s.transition);
	/* only a scene with a take can be stale: a pending one stays pending */
	if (retake)
		set.sql = vg_arena_printf(r->a, "%s, stale = (video_id IS NOT NULL)", set.sql);
	if (!vg_db_exec(r->db, r->a,
	                vg_arena_printf(r->a, "UPDATE scenes SET %s WHERE id = $1", set.sql), set.n,
	                set.params, err))
		return err->rc;
	if (retake && e->cur.continuity && vg_db_get(row, 0, "video_id")) {
		int pos = (int)vg_db_get_ll(row, 0, "position", 1);
		if ((rc = vg_movie_mark_stale(r, e->id, pos + 1, err)) != VG_OK)
			return rc;
	}
	return VG_OK;
}

int h_scenes_patch(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return run_edit(r, w, 200, true, patch_scene, err);
}

/* ---- delete ---- */

static int delete_scene(struct vg_req *r, struct edit *e, const json_t *body, struct vg_err *err)
{
	PGresult *row;
	int rc;

	(void)body;
	if (!(row = find_scene(r, e->id, err)))
		return err->rc;
	const char *pos = vg_db_get(row, 0, "position");
	/* the scene's takes stay videos of the movie (their cost was spent) until it goes */
	if (!vg_db_q(r->db, r->a, err, "DELETE FROM scenes WHERE id = $1",
	             vg_db_get(row, 0, "id")) ||
	    !vg_db_q(r->db, r->a, err,
	             "UPDATE scenes SET position = position - 1, updated_at = now() WHERE "
	             "movie_id = $1 AND position > $2::int",
	             e->id, pos))
		return err->rc;
	/* the scene now at its place starts from another frame */
	if (e->cur.continuity &&
	    (rc = vg_movie_mark_stale(r, e->id, (int)vg_db_get_ll(row, 0, "position", 1), err)) !=
	        VG_OK)
		return rc;
	return sync_scene_count(r, e->id, err);
}

int h_scenes_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return run_edit(r, w, 200, false, delete_scene, err);
}

/* ---- reorder ---- */

/* Checks that ids (the body's scene_ids) is a permutation of the movie's scene ids (rows,
 * in position order); adds field errors otherwise.  *first_changed = the first position
 * whose scene changes (0 = none). */
static int check_permutation(struct vg_req *r, const char *movie_id, const json_t *ids,
                             const PGresult *rows, int *first_changed, struct vg_err *err)
{
	int n = PQntuples(rows);
	bool *seen = vg_arena_zalloc(r->a, sizeof *seen * (size_t)(n + 1));
	const char *want = vg_arena_printf(
	    r->a, "must list each of the movie's %d scene ids exactly once, in the new order", n);

	if (!json_is_array(ids))
		return vg_err_field(err, "scene_ids", "%s", want);
	if ((int)json_array_size(ids) != n)
		vg_err_field(err, "scene_ids", "has %zu ids but the movie has %d scenes: %s",
		             json_array_size(ids), n, want);
	*first_changed = 0;
	for (size_t i = 0; i < json_array_size(ids); i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		const char *field = vg_arena_printf(r->a, "scene_ids[%zu]", i);
		int found = -1;

		for (int k = 0; id && k < n; k++)
			if (strcmp(id, vg_db_get(rows, k, "id")) == 0)
				found = k;
		if (found < 0)
			vg_err_field(
			    err, field,
			    "is not a scene of this movie: GET /api/v1/movies/%s lists its scenes",
			    movie_id);
		else if (seen[found])
			vg_err_field(err, field, "repeats scene %s: each scene must appear once",
			             id);
		else
			seen[found] = true;
		if (found != (int)i && *first_changed == 0)
			*first_changed = (int)i + 1;
	}
	return err->nfields > 0 ? VG_EINVAL : VG_OK;
}

static int reorder_scenes(struct vg_req *r, struct edit *e, const json_t *body, struct vg_err *err)
{
	static const char *const allowed[] = {"scene_ids", NULL};
	PGresult *rows;
	int first = 0, rc;

	if ((rc = vg_json_require_object(body, err)) != VG_OK)
		return rc;
	vg_json_reject_unknown(body, allowed, err);
	if (!(rows = vg_db_q(r->db, r->a, err,
	                     "SELECT id FROM scenes WHERE movie_id = $1 ORDER BY position", e->id)))
		return err->rc;
	if ((rc = check_permutation(r, e->id, json_object_get(body, "scene_ids"), rows, &first,
	                            err)) != VG_OK)
		return rc;
	if (first == 0) {
		e->changed = false; /* the same order */
		return VG_OK;
	}
	const json_t *ids = json_object_get(body, "scene_ids");
	const char **list = vg_arena_alloc(r->a, sizeof *list * (json_array_size(ids) + 1));
	for (size_t i = 0; i < json_array_size(ids); i++)
		list[i] = json_string_value(json_array_get(ids, i));
	int bad;
	char *arr = vg_db_uuid_array(r->a, list, (int)json_array_size(ids), &bad);
	if (!arr)
		return vg_err_field(err, vg_arena_printf(r->a, "scene_ids[%d]", bad),
		                    "is not a scene id of this movie");
	if (!vg_db_q(
	        r->db, r->a, err,
	        "UPDATE scenes s SET position = t.o, updated_at = now() FROM unnest($2::uuid[]) "
	        "WITH ORDINALITY AS t(id, o) WHERE s.id = t.id AND s.movie_id = $1 AND "
	        "s.position <> t.o",
	        e->id, arr))
		return err->rc;
	if (e->cur.continuity && (rc = vg_movie_mark_stale(r, e->id, first, err)) != VG_OK)
		return rc;
	return VG_OK;
}

int h_scenes_reorder(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return run_edit(r, w, 200, true, reorder_scenes, err);
}
