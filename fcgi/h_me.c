/* GET /api/v1/me: the caller's account with this month's usage and quota. */
#include "config.h"

#include "handlers.h"
#include "vg_json.h"

/* Usage counts the videos created since the start of the month (UTC) that were not failed
 * or cancelled (those cost nothing): a succeeded one at what was billed, the others at
 * their estimate, as the quota check of POST /api/v1/videos does. */
static const char me_sql[] =
    "SELECT u.id, u.email, u.display_name, u.role, vg_rfc3339(u.created_at) AS created_at, "
    "u.quota_video_seconds_month, u.quota_cost_usd_month::float8 AS quota_cost_usd_month, "
    "COALESCE(m.seconds, 0) AS used_seconds, COALESCE(m.cost, 0)::float8 AS used_cost "
    "FROM users u LEFT JOIN LATERAL ("
    "  SELECT sum(v.duration_seconds) AS seconds, sum(CASE v.status WHEN 'succeeded' THEN "
    "  v.spent_cost_usd ELSE v.estimated_cost_usd END) AS cost "
    "  FROM videos v WHERE v.user_id = u.id AND v.created_at >= date_trunc('month', now(), 'UTC') "
    "  AND v.status NOT IN ('failed', 'cancelled')) m ON true "
    "WHERE u.id = $1";

/* The quota in force: the account's own (NULL = the config's default); 0 = none (null). */
static json_t *quota_seconds(const PGresult *res, const struct vg_conf *c)
{
	long long q =
	    vg_db_get_ll(res, 0, "quota_video_seconds_month", c->quotas_video_seconds_month);

	return q > 0 ? json_integer(q) : json_null();
}

static json_t *quota_cost(const PGresult *res, const struct vg_conf *c)
{
	double q = vg_db_get_double(res, 0, "quota_cost_usd_month", c->quotas_cost_usd_month);

	return q > 0 ? json_real(q) : json_null();
}

int h_me_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	PGresult *res = vg_db_q(r->db, r->a, err, me_sql, r->who.user_id);

	if (!res)
		return err->rc;
	if (PQntuples(res) != 1)
		return vg_err_set(err, VG_ENOTFOUND, NULL, "your account no longer exists");

	json_t *usage = json_pack("{s:I, s:f}", "video_seconds_month",
	                          (json_int_t)vg_db_get_ll(res, 0, "used_seconds", 0),
	                          "cost_usd_month", vg_db_get_double(res, 0, "used_cost", 0));
	json_t *quota = json_pack("{s:o, s:o}", "video_seconds_month", quota_seconds(res, r->conf),
	                          "cost_usd_month", quota_cost(res, r->conf));
	json_t *me = vg_json_own(
	    r->a, json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o}", "id", vg_db_get(res, 0, "id"),
	                    "email", vg_db_get(res, 0, "email"), "display_name",
	                    vg_json_str_or_null(vg_db_get(res, 0, "display_name")), "role",
	                    vg_db_get(res, 0, "role"), "created_at",
	                    vg_json_time(vg_db_get(res, 0, "created_at")), "usage", usage, "quota",
	                    quota));
	vg_resp_json(w, 200, me);
	return VG_OK;
}
