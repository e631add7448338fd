/* /api/v1/admin/users: list (filters, paging), get one, PATCH role, disabled and quotas.
 * The rules of a change (last admin, ranges, the audit row) live in vg_useradmin, shared
 * with veogenctl; this file reads the request and shows the account. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "vg_json.h"
#include "vg_str.h"
#include "vg_useradmin.h"

#define Q_MAX_CHARS 254 /* an email's longest: a longer search matches nothing */

/* The account as an admin sees it, with this month's usage counted like GET /api/v1/me
 * and the quota as stored (NULL = the config's default). $1..$3 filter (q, role,
 * disabled), $4 is the cursor, $5 the row limit; $6 a single id. */
static const char users_sql[] =
    "SELECT u.id, u.email, u.display_name, u.role, u.disabled, "
    "vg_rfc3339(u.created_at) AS created_at, u.quota_video_seconds_month, "
    "u.quota_cost_usd_month::float8 AS quota_cost_usd_month, "
    "COALESCE(m.seconds, 0) AS used_seconds, COALESCE(m.cost, 0)::float8 AS used_cost "
    "FROM users u LEFT JOIN LATERAL ("
    "  SELECT sum(v.duration_seconds) AS seconds, sum(CASE v.status WHEN 'succeeded' THEN "
    "  v.spent_cost_usd ELSE v.estimated_cost_usd END) AS cost "
    "  FROM videos v WHERE v.user_id = u.id AND v.created_at >= date_trunc('month', now(), "
    "  'UTC') AND v.status NOT IN ('failed', 'cancelled')) m ON true "
    "WHERE ($1::text IS NULL OR strpos(lower(u.email), lower($1)) > 0 "
    "  OR strpos(lower(coalesce(u.display_name, '')), lower($1)) > 0) "
    "AND ($2::text IS NULL OR u.role = $2) "
    "AND ($3::boolean IS NULL OR u.disabled = $3) "
    "AND ($4::uuid IS NULL OR (u.created_at, u.id) < (SELECT c.created_at, c.id FROM users c "
    "  WHERE c.id = $4)) "
    "AND ($6::uuid IS NULL OR u.id = $6) "
    "ORDER BY u.created_at DESC, u.id DESC LIMIT $5";

static int not_found(struct vg_err *err)
{
	return vg_err_set(err, VG_ENOTFOUND, NULL,
	                  "no such user: check the id (GET /api/v1/admin/users lists them)");
}

static json_t *nullable_int(const PGresult *res, int row, const char *col)
{
	return vg_db_get(res, row, col) ? json_integer(vg_db_get_ll(res, row, col, 0))
	                                : json_null();
}

static json_t *nullable_real(const PGresult *res, int row, const char *col)
{
	return vg_db_get(res, row, col) ? json_real(vg_db_get_double(res, row, col, 0))
	                                : json_null();
}

static json_t *user_json(const PGresult *res, int i)
{
	json_t *quota = json_pack("{s:o, s:o}", "video_seconds_month",
	                          nullable_int(res, i, "quota_video_seconds_month"),
	                          "cost_usd_month", nullable_real(res, i, "quota_cost_usd_month"));
	json_t *usage = json_pack("{s:I, s:f}", "video_seconds_month",
	                          (json_int_t)vg_db_get_ll(res, i, "used_seconds", 0),
	                          "cost_usd_month", vg_db_get_double(res, i, "used_cost", 0));

	return json_pack("{s:s, s:s, s:o, s:s, s:b, s:o, s:o, s:o}", "id", vg_db_get(res, i, "id"),
	                 "email", vg_db_get(res, i, "email"), "display_name",
	                 vg_json_str_or_null(vg_db_get(res, i, "display_name")), "role",
	                 vg_db_get(res, i, "role"), "disabled", vg_db_get_bool(res, i, "disabled"),
	                 "created_at", vg_json_time(vg_db_get(res, i, "created_at")), "quota",
	                 quota, "usage", usage);
}

struct users_query {
	const char *q, *role, *disabled, *cursor;
	uint64_t limit;
};

static int parse_query(struct vg_req *r, struct users_query *uq, struct vg_err *err)
{
	bool bad = false;
	int rc;

	uq->q = vg_req_query(r, "q", &bad);
	uq->role = vg_req_query(r, "role", &bad);
	uq->disabled = vg_req_query(r, "disabled", &bad);
	if (bad)
		return vg_req_bad_query(err,
		                        "the query string is malformed or repeats a parameter");
	if ((rc = vg_req_page_limits(r, &uq->limit, &uq->cursor, err)) != VG_OK)
		return rc;
	if (uq->q && vg_str_utf8_len(uq->q, strlen(uq->q)) > Q_MAX_CHARS)
		return vg_req_bad_query(
		    err, "q must be at most 254 characters (part of an email or name)");
	if (uq->q && !*uq->q)
		uq->q = NULL;
	if (uq->role && !vg_str_eq(uq->role, "user") && !vg_str_eq(uq->role, "admin"))
		return vg_req_bad_query(err, "role must be one of user, admin");
	if (uq->disabled && !vg_str_eq(uq->disabled, "true") && !vg_str_eq(uq->disabled, "false"))
		return vg_req_bad_query(err, "disabled must be true or false");
	if (uq->cursor && !vg_str_is_uuid(uq->cursor))
		return vg_req_bad_query(err, "cursor must be the next_cursor of a previous page");
	return vg_req_cursor_check(r, "users", uq->cursor, NULL, "a user", err);
}

int h_admin_users_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct users_query uq;
	int rc;

	if ((rc = parse_query(r, &uq, err)) != VG_OK)
		return rc;
	PGresult *res =
	    vg_db_q(r->db, r->a, err, users_sql, uq.q, uq.role, uq.disabled, uq.cursor,
	            vg_arena_printf(r->a, "%llu", (unsigned long long)uq.limit + 1), NULL);
	if (!res)
		return err->rc;
	vg_resp_page(w, r, res, uq.limit, user_json);
	return VG_OK;
}

/* One account as JSON (arena-owned), or NULL with 404 in err. */
static json_t *load_user(struct vg_req *r, const char *id, struct vg_err *err)
{
	if (!vg_str_is_uuid(id)) {
		not_found(err);
		return NULL;
	}
	PGresult *res = vg_db_q(r->db, r->a, err, users_sql, NULL, NULL, NULL, NULL, "1", id);
	if (!res)
		return NULL;
	if (PQntuples(res) != 1) {
		not_found(err);
		return NULL;
	}
	return vg_json_own(r->a, user_json(res, 0));
}

int h_admin_users_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	json_t *u = load_user(r, r->params[0], err);

	if (!u)
		return err->rc;
	vg_resp_json(w, 200, u);
	return VG_OK;
}

/* ---- PATCH ---- */

/* A quota field: absent (keep), null (the default) or a number as decimal text.  Types are
 * checked here; vg_useradmin_update checks the ranges and reports them. */
static void quota_field(struct vg_req *r, const json_t *body, const char *key, bool integer,
                        bool *set, const char **text, struct vg_err *err)
{
	const json_t *v = json_object_get(body, key);
	const char *what = integer ? "a whole number of seconds (0 = no limit)"
	                           : "an amount in USD with at most 4 decimals (0 = no limit)";

	*set = v != NULL;
	*text = NULL;
	if (!v || json_is_null(v))
		return;
	if (json_is_integer(v)) {
		*text = vg_arena_printf(r->a, "%lld", (long long)json_integer_value(v));
		return;
	}
	if (!integer && json_is_real(v)) {
		double d = json_real_value(v);
		char *s = vg_arena_printf(r->a, "%.4f", d);

		/* %.4f would round 1.23456 silently: refuse what it cannot keep exactly */
		if (isfinite(d) && fabs(strtod(s, NULL) - d) <= 1e-9 * fmax(1.0, fabs(d))) {
			*text = s;
			return;
		}
	}
	vg_err_field(err, key, "must be %s, or null for the configured default", what);
}

/* The change a PATCH body asks for, with a field error for everything wrong in it. */
static int parse_change(struct vg_req *r, const json_t *body, struct vg_user_change *chg,
                        struct vg_err *err)
{
	static const char *const allowed[] = {"role", "disabled", "quota_video_seconds_month",
	                                      "quota_cost_usd_month", NULL};
	const json_t *role = json_object_get(body, "role");
	const json_t *disabled = json_object_get(body, "disabled");

	memset(chg, 0, sizeof *chg);
	chg->disabled = -1;
	vg_json_reject_unknown(body, allowed, err);
	/* the value too (vg_useradmin checks it again): every bad field in one answer */
	if (role && json_is_string(role) &&
	    (vg_str_eq(json_string_value(role), "user") ||
	     vg_str_eq(json_string_value(role), "admin")))
		chg->role = json_string_value(role);
	else if (role)
		vg_err_field(err, "role", "must be \"user\" or \"admin\"");
	if (disabled && json_is_boolean(disabled))
		chg->disabled = json_is_true(disabled) ? 1 : 0;
	else if (disabled)
		vg_err_field(err, "disabled", "must be true or false");
	quota_field(r, body, "quota_video_seconds_month", true, &chg->set_quota_seconds,
	            &chg->quota_seconds, err);
	quota_field(r, body, "quota_cost_usd_month", false, &chg->set_quota_cost, &chg->quota_cost,
	            err);
	return err->nfields > 0 ? VG_EINVAL : VG_OK;
}

int h_admin_users_patch(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *id = r->params[0];
	struct vg_user_change chg;
	struct vg_actor actor = {r->who.user_id, "api", r->remote_addr, r->request_id};
	PGresult *row;
	json_t *body;

	if (!vg_str_is_uuid(id))
		return not_found(err);
	if (!(body = vg_req_json(r, err)) || vg_json_require_object(body, err) != VG_OK)
		return err->rc;
	if (parse_change(r, body, &chg, err) != VG_OK)
		return err->rc;
	if (vg_useradmin_update(r->db, r->a, id, &chg, &actor, &row, err) != VG_OK)
		return err->rc == VG_ENOTFOUND ? not_found(err) : err->rc;
	/* read back with the month's usage, after the commit */
	json_t *u = load_user(r, id, err);
	if (!u)
		return err->rc;
	vg_resp_json(w, 200, u);
	return VG_OK;
}
