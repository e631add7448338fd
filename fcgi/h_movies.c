/* /api/v1/movies: create (planned from a concept or script, or written by hand), list, get,
 * PATCH of the settings, delete with every file.  Every query is scoped to the caller. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcgi_http.h"
#include "fcgi_quota.h"
#include "h_movie_common.h"
#include "handlers.h"
#include "vg_account.h"
#include "vg_auth.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_queue.h"
#include "vg_retention.h"
#include "vg_storage.h"
#include "vg_str.h"

#define PLAN_JOB_KIND "movie.plan"

/* ---- create ---- */

/* 'local' or 'gemini' for a planned movie ("auto": gemini when it is enabled and has a key). */
static const char *planner_of(const struct vg_conf *c, const struct vg_movie_req *v)
{
	const char *p = v->planner;

	if (vg_str_eq(p, "hand") || vg_str_eq(p, "local") || vg_str_eq(p, "gemini"))
		return p;
	if (!vg_str_eq(c->movies_planner, "auto") && c->movies_planner &&
	    (vg_str_eq(c->movies_planner, "local") || vg_str_eq(c->movies_planner, "gemini")))
		return c->movies_planner;
	bool key = (c->providers_gemini_api_key && *c->providers_gemini_api_key) ||
	           (c->providers_gemini_api_key_file && *c->providers_gemini_api_key_file);
	return c->providers_gemini_enabled && key ? "gemini" : "local";
}

/* A text[] parameter, as JSON (turned into an array by the SQL). */
static const char *json_strings(struct vg_arena *a, const char *const *s, int n)
{
	json_t *arr = vg_json_own(a, json_array());

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_string(s[i]));
	return vg_json_dump(a, arr);
}

#define TEXT_ARRAY_PRE  "ARRAY(SELECT t.x FROM json_array_elements_text("
#define TEXT_ARRAY_POST "::json) WITH ORDINALITY AS t(x, o) ORDER BY t.o)"
#define TEXT_ARRAY(p)   TEXT_ARRAY_PRE p TEXT_ARRAY_POST

#define MOVIE_INSERT_COLS                                                                          \
	"INSERT INTO movies (id, user_id, title, concept, script, planner, style, preset, "        \
	"scene_count, scene_duration_seconds, aspect_ratio, resolution, provider, model, "         \
	"continuity, characters, character_image_ids, transition, transition_seconds, "            \
	"soundtrack_id, soundtrack_volume, title_card, budget_usd, webhook_url, status, stage, "   \
	"job_id) "
#define MOVIE_INSERT_VALUES                                                                        \
	"$1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9::smallint, $10::smallint, $11, $12, $13, " \
	"$14, $15::boolean, " TEXT_ARRAY("$16") ", $17::uuid[], $18, $19::numeric, $20::uuid, "    \
	                                        "$21::numeric, $22::boolean, $23::numeric, $24, "
#define N_MOVIE_PARAMS 24

static const char insert_planned_sql[] = "WITH " VG_QUEUE_INSERT_CTE(
    "$25", "$26", "100", "$27") " " MOVIE_INSERT_COLS "SELECT " MOVIE_INSERT_VALUES
                                "'planning', 'planning', job.id FROM job, job_notify";
static const char insert_draft_sql[] =
    MOVIE_INSERT_COLS "VALUES (" MOVIE_INSERT_VALUES "'draft', NULL, NULL)";

static int insert_movie(struct vg_req *r, const struct vg_movie_req *v, const char *id,
                        const char *planner, struct vg_err *err)
{
	bool planned = !vg_str_eq(planner, "hand");
	int bad;
	char *imgs = vg_db_uuid_array(r->a, v->character_image_ids, v->n_character_images, &bad);
	int count = v->scene_count;

	if (!imgs)
		return vg_err_field(err, vg_arena_printf(r->a, "character_image_ids[%d]", bad),
		                    "must be the id of one of your files");
	if (!planned)
		count = v->n_scenes;
	if (count < 1)
		count = 1;
	if (count > VG_MOVIE_MAX_SCENES)
		count = VG_MOVIE_MAX_SCENES;
	const char *p[N_MOVIE_PARAMS + 3] = {
	    id,
	    r->who.user_id,
	    v->title,
	    v->concept,
	    v->script,
	    planner,
	    v->style,
	    v->preset,
	    vg_arena_printf(r->a, "%d", count),
	    vg_arena_printf(r->a, "%d", v->scene_duration_seconds),
	    v->aspect_ratio,
	    v->resolution,
	    v->provider,
	    v->model,
	    v->continuity ? "true" : "false",
	    json_strings(r->a, v->characters, v->n_characters),
	    imgs,
	    v->transition ? v->transition : "cut",
	    vg_arena_printf(r->a, "%.2f", v->transition_seconds),
	    v->soundtrack_id,
	    vg_arena_printf(r->a, "%.2f", v->soundtrack_volume),
	    v->title_card ? "true" : "false",
	    v->has_budget ? vg_arena_printf(r->a, "%.4f", v->budget_usd) : NULL,
	    v->webhook_url,
	    PLAN_JOB_KIND,
	    vg_json_dump(r->a, vg_json_own(r->a, json_pack("{s:s}", "movie_id", id))),
	    vg_arena_printf(r->a, "%d", r->conf->runner_max_attempts),
	};
	if (!vg_db_exec(r->db, r->a, planned ? insert_planned_sql : insert_draft_sql,
	                planned ? N_MOVIE_PARAMS + 3 : N_MOVIE_PARAMS, p, err))
		return err->rc;
	return VG_OK;
}

/* The hand-written scenes, positions 1..n, in one statement. */
static int insert_scenes(struct vg_req *r, const struct vg_movie_req *v, const char *id,
                         struct vg_err *err)
{
	json_t *arr = vg_json_own(r->a, json_array());

	for (int i = 0; i < v->n_scenes; i++) {
		const struct vg_scene_req *s = &v->scenes[i];
		int d = s->duration_seconds > 0 ? s->duration_seconds : v->scene_duration_seconds;
		json_array_append_new(arr,
		                      json_pack("{s:o, s:o, s:i, s:o, s:o, s:o}", "prompt",
		                                vg_json_str_or_null(s->prompt), "title",
		                                vg_json_str_or_null(s->title), "duration_seconds",
		                                d, "camera", vg_json_str_or_null(s->camera),
		                                "caption", vg_json_str_or_null(s->caption),
		                                "transition", vg_json_str_or_null(s->transition)));
	}
	if (!vg_db_q(r->db, r->a, err,
	             "INSERT INTO scenes (movie_id, position, title, prompt, duration_seconds, "
	             "camera, caption, transition) SELECT $1::uuid, t.o, t.x->>'title', "
	             "t.x->>'prompt', (t.x->>'duration_seconds')::smallint, t.x->>'camera', "
	             "t.x->>'caption', t.x->>'transition' FROM json_array_elements($2::json) WITH "
	             "ORDINALITY AS t(x, o)",
	             id, vg_json_dump(r->a, arr)))
		return err->rc;
	return VG_OK;
}

static int create_in_txn(struct vg_req *r, const struct vg_movie_req *v, const char *id,
                         const char *planner, struct vg_err *err)
{
	int rc;

	if ((rc = vg_movie_check_files(r, v, true, true, err)) != VG_OK)
		return rc;
	/* a planned movie starts work at once (a hand-written one waits for its render) */
	if (!vg_str_eq(planner, "hand") && (rc = vg_active_jobs_check(r, err)) != VG_OK)
		return rc;
	if ((rc = insert_movie(r, v, id, planner, err)) != VG_OK)
		return rc;
	if (vg_str_eq(planner, "hand") && (rc = insert_scenes(r, v, id, err)) != VG_OK)
		return rc;
	return VG_OK;
}

int h_movies_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct vg_movie_req v;
	json_t *body;
	char id[37];
	int rc;

	if (!(body = vg_req_json(r, err)))
		return err->rc;
	memset(&v, 0, sizeof v);
	if ((rc = vg_movie_req_parse(r->a, body, r->conf, &v, err)) != VG_OK)
		return rc;
	const char *planner = v.n_scenes > 0 ? "hand" : planner_of(r->conf, &v);
	vg_uuid_new(id);
	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if ((rc = create_in_txn(r, &v, id, planner, err)) != VG_OK) {
		vg_db_rollback(r->db);
		return rc;
	}
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	vg_resp_header(w, "Location", "/api/v1/movies/%s", id);
	log_info("movie %s created (%s, %d scenes)", id, planner, v.n_scenes);
	return vg_movie_respond(r, w, id, 201, err);
}

/* ---- list and get ---- */

static const char *const statuses[] = {"planning",  "draft",  "rendering", "assembling",
                                       "succeeded", "failed", "cancelled", NULL};

static void clear_result(void *p)
{
	PQclear(p);
}

/* Rows [from, to) of res as a result of their own (vg_movie_to_json takes a movie's scenes
 * as every row of a result). */
static PGresult *rows_subset(struct vg_arena *a, const PGresult *res, int from, int to)
{
	PGresult *s = PQcopyResult(res, PG_COPYRES_ATTRS);
	int nf = PQnfields(res);

	if (!s)
		vg_oom(0);
	vg_arena_cleanup(a, clear_result, s);
	for (int i = from; i < to; i++)
		for (int f = 0; f < nf; f++) {
			bool null = PQgetisnull(res, i, f);
			if (!PQsetvalue(s, i - from, f, null ? NULL : PQgetvalue(res, i, f),
			                null ? -1 : PQgetlength(res, i, f)))
				vg_oom(0);
		}
	return s;
}

int h_movies_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *status, *cursor;
	uint64_t limit;
	int rc;

	if ((rc = vg_req_page_query(r, statuses, &status, &limit, &cursor, err)) != VG_OK)
		return rc;
	if ((rc = vg_req_cursor_check(r, "movies", cursor, r->who.user_id, "one of your movies",
	                              err)) != VG_OK)
		return rc;
	PGresult *res = vg_db_q(
	    r->db, r->a, err,
	    "SELECT " VG_MOVIE_COLUMNS " FROM movies m WHERE m.user_id = $1 "
	    "AND ($2::text IS NULL OR m.status = $2) "
	    "AND ($3::uuid IS NULL OR (m.created_at, m.id) < (SELECT c.created_at, c.id FROM "
	    "movies c WHERE c.id = $3 AND c.user_id = $1)) "
	    "ORDER BY m.created_at DESC, m.id DESC LIMIT $4",
	    r->who.user_id, status, cursor,
	    vg_arena_printf(r->a, "%llu", (unsigned long long)limit + 1));
	if (!res)
		return err->rc;
	int n = PQntuples(res);
	int shown = n > (int)limit ? (int)limit : n;
	const char **ids = vg_arena_alloc(r->a, sizeof *ids * (size_t)(shown + 1));
	for (int i = 0; i < shown; i++)
		ids[i] = vg_db_get(res, i, "id");
	int bad;
	char *idarr = vg_db_uuid_array(r->a, ids, shown, &bad);
	/* the scenes of every listed movie in one query, in the order of the movies */
	PGresult *sc = idarr ? vg_db_q(r->db, r->a, err,
	                               "SELECT " VG_SCENE_COLUMNS " FROM scene_state s WHERE "
	                               "s.movie_id = ANY ($1::uuid[]) ORDER BY "
	                               "array_position($1::uuid[], s.movie_id), s.position",
	                               idarr)
	                     : NULL;
	if (!sc)
		return idarr
		           ? err->rc
		           : vg_err_set(err, VG_EINTERNAL, NULL, "movie id %d is not a UUID", bad);
	json_t *items = json_array();
	int ns = PQntuples(sc), k = 0;
	for (int i = 0; i < shown; i++) {
		int from = k;
		while (k < ns && vg_str_eq(vg_db_get(sc, k, "movie_id"), ids[i]))
			k++;
		json_array_append_new(
		    items, vg_movie_to_json(r->conf, res, i, rows_subset(r->a, sc, from, k)));
	}
	json_t *out = vg_json_own(
	    r->a,
	    json_pack("{s:o, s:o}", "items", items, "next_cursor",
	              n > (int)limit ? json_string(vg_db_get(res, shown - 1, "id")) : json_null()));
	vg_resp_json(w, 200, out);
	return VG_OK;
}

int h_movies_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	return vg_movie_respond(r, w, r->params[0], 200, err);
}

/* ---- PATCH ---- */

static bool num_differs(double a, double b)
{
	return a - b > 0.001 || b - a > 0.001;
}

static bool strs_differ(const char *const *a, int na, const char *const *b, int nb)
{
	if (na != nb)
		return true;
	for (int i = 0; i < na; i++)
		if (!vg_str_eq(a[i], b[i]))
			return true;
	return false;
}

/* "SET a = $2, b = $3 …": column names are constants of this file, values parameters. */
struct set_list {
	const char *sql;
	const char *params[20];
	int n;
};

/* Appends ", <pre>$n<post>" with value as parameter n. */
static void set_add(struct vg_arena *a, struct set_list *s, const char *pre, const char *post,
                    const char *value)
{
	s->params[s->n++] = value;
	s->sql = vg_arena_printf(a, "%s, %s$%d%s", s->sql, pre, s->n, post);
}

/* What the PATCH changes (compared with the movie as it is). */
struct patch_effect {
	bool all_stale;   /* style or characters: every take shows the old look */
	bool later_stale; /* continuity switched: scenes 2..n start from something else */
	bool film;        /* the film needs a new assembly */
};

static struct patch_effect patch_effect(const struct vg_movie_patch *p,
                                        const struct vg_movie_req *cur)
{
	const struct vg_movie_req *v = &p->v;
	struct patch_effect e = {false, false, false};

	e.all_stale = (p->has_style && !vg_str_eq(v->style, cur->style)) ||
	              (p->has_characters && strs_differ(v->characters, v->n_characters,
	                                                cur->characters, cur->n_characters)) ||
	              (p->has_character_images &&
	               strs_differ(v->character_image_ids, v->n_character_images,
	                           cur->character_image_ids, cur->n_character_images));
	e.later_stale = p->has_continuity && v->continuity != cur->continuity;
	bool title_card = p->has_title_card ? v->title_card : cur->title_card;
	e.film =
	    e.all_stale || e.later_stale ||
	    (p->has_title && title_card && !vg_str_eq(v->title, cur->title)) ||
	    (p->has_title_card && v->title_card != cur->title_card) ||
	    (p->has_transition && !vg_str_eq(v->transition, cur->transition)) ||
	    (p->has_transition_seconds &&
	     num_differs(v->transition_seconds, cur->transition_seconds)) ||
	    (p->has_soundtrack && !vg_str_eq(v->soundtrack_id, cur->soundtrack_id)) ||
	    (p->has_soundtrack_volume && num_differs(v->soundtrack_volume, cur->soundtrack_volume));
	return e;
}

static int update_movie(struct vg_req *r, const char *id, const struct vg_movie_patch *p,
                        struct vg_err *err)
{
	const struct vg_movie_req *v = &p->v;
	struct set_list s = {"updated_at = now()", {id}, 1};
	struct vg_arena *a = r->a;
	int bad;

	if (p->has_title)
		set_add(a, &s, "title = ", "", v->title);
	if (p->has_style)
		set_add(a, &s, "style = ", "", v->style);
	if (p->has_transition)
		set_add(a, &s, "transition = ", "", v->transition ? v->transition : "cut");
	if (p->has_transition_seconds)
		set_add(a, &s, "transition_seconds = ", "::numeric",
		        vg_arena_printf(a, "%.2f", v->transition_seconds));
	if (p->has_budget_field)
		set_add(a, &s, "budget_usd = ", "::numeric",
		        v->has_budget ? vg_arena_printf(a, "%.4f", v->budget_usd) : NULL);
	if (p->has_title_card)
		set_add(a, &s, "title_card = ", "::boolean", v->title_card ? "true" : "false");
	if (p->has_soundtrack)
		set_add(a, &s, "soundtrack_id = ", "::uuid", v->soundtrack_id);
	if (p->has_soundtrack_volume)
		set_add(a, &s, "soundtrack_volume = ", "::numeric",
		        vg_arena_printf(a, "%.2f", v->soundtrack_volume));
	if (p->has_continuity)
		set_add(a, &s, "continuity = ", "::boolean", v->continuity ? "true" : "false");
	if (p->has_characters)
		set_add(a, &s, "characters = " TEXT_ARRAY_PRE, TEXT_ARRAY_POST,
		        json_strings(a, v->characters, v->n_characters));
	if (p->has_character_images) {
		char *imgs =
		    vg_db_uuid_array(a, v->character_image_ids, v->n_character_images, &bad);
		if (!imgs)
			return vg_err_field(err, vg_arena_printf(a, "character_image_ids[%d]", bad),
			                    "must be the id of one of your files");
		set_add(a, &s, "character_image_ids = ", "::uuid[]", imgs);
	}
	if (p->has_webhook_url)
		set_add(a, &s, "webhook_url = ", "", v->webhook_url);
	if (!vg_db_exec(r->db, a, vg_arena_printf(a, "UPDATE movies SET %s WHERE id = $1", s.sql),
	                s.n, s.params, err))
		return err->rc;
	return VG_OK;
}

static int patch_in_txn(struct vg_req *r, const char *id, const json_t *body, struct vg_err *err)
{
	struct vg_movie_req cur;
	struct vg_movie_patch p;
	PGresult *m;
	int rc;

	if (!(m = vg_movie_lock(r, id, err)))
		return err->rc;
	if ((rc = vg_movie_check_idle(m, err)) != VG_OK)
		return rc;
	memset(&cur, 0, sizeof cur);
	memset(&p, 0, sizeof p);
	vg_movie_req_from_row(r->a, m, 0, &cur);
	if ((rc = vg_movie_patch_parse(r->a, body, r->conf, &cur, &p, err)) != VG_OK)
		return rc;
	struct vg_movie_req files = p.v;
	files.provider = cur.provider; /* the images go to the movie's provider */
	if ((rc = vg_movie_check_files(r, &files, p.has_character_images, p.has_soundtrack, err)) !=
	    VG_OK)
		return rc;
	struct patch_effect e = patch_effect(&p, &cur);
	if ((rc = update_movie(r, id, &p, err)) != VG_OK)
		return rc;
	if ((e.all_stale || e.later_stale) &&
	    (rc = vg_movie_mark_stale(r, id, e.all_stale ? 1 : 2, err)) != VG_OK)
		return rc;
	if (e.film && (rc = vg_movie_edited(r, id, err)) != VG_OK)
		return rc;
	return VG_OK;
}

int h_movies_patch(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *id = r->params[0];
	json_t *body;
	int rc;

	if (!vg_str_is_uuid(id))
		return vg_movie_not_found(err);
	if (!(body = vg_req_json(r, err)))
		return err->rc;
	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if ((rc = patch_in_txn(r, id, body, err)) != VG_OK) {
		vg_db_rollback(r->db);
		return rc;
	}
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	return vg_movie_respond(r, w, id, 200, err);
}

/* ---- DELETE ---- */

static int delete_in_txn(struct vg_req *r, const char *id, struct vg_movie_removal *d,
                         struct vg_err *err)
{
	if (!vg_movie_lock(r, id, err))
		return err->rc;
	return vg_retention_delete_movie(r->db, r->a, id, r->who.user_id, d, err);
}

int h_movies_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *id = r->params[0];
	struct vg_movie_removal d = {NULL, NULL};
	int rc;

	if (!vg_str_is_uuid(id))
		return vg_movie_not_found(err);
	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if ((rc = delete_in_txn(r, id, &d, err)) != VG_OK) {
		vg_db_rollback(r->db);
		return rc;
	}
	/* in the transaction: the rows and their audit record go together */
	vg_audit(r->db, r->a, r->who.user_id, "movie.delete", "movie", id, r->remote_addr,
	         r->request_id, NULL);
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	/* files after the commit: a crash leaves orphan files, never rows without them */
	vg_retention_remove_movie_files(r->a, r->conf->storage_dir, id, &d);
	log_info("movie %s deleted (%d takes)", id, PQntuples(d.takes));
	vg_resp_status(w, 204);
	return VG_OK;
}
