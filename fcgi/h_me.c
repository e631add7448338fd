/* GET /api/v1/me: the caller's account with this month's usage and quota. */
#include "config.h"

#include "handlers.h"
#include "vg_json.h"

/* Usage counts the videos created since the start of the month that were not failed or
 * cancelled (those cost nothing). */
static const char me_sql[] =
    "SELECT u.id, u.email, u.display_name, u.role, vg_rfc3339(u.created_at) AS created_at, "
    "u.quota_video_seconds_month, u.quota_cost_usd_month, "
    "COALESCE(m.seconds, 0) AS used_seconds, COALESCE(m.cost, 0) AS used_cost "
    "FROM users u LEFT JOIN LATERAL ("
    "  SELECT sum(v.duration_seconds) AS seconds, sum(v.estimated_cost_usd) AS cost "
    "  FROM videos v WHERE v.user_id = u.id AND v.created_at >= date_trunc('month', now(), 'UTC') "
    "  AND v.status NOT IN ('failed', 'cancelled')) m ON true "
    "WHERE u.id = $1";

/* A nullable numeric column as a JSON number, or null (unlimited quota). */
static json_t *number_or_null(const PGresult *res, const char *col, bool integer)
{
	if (!vg_db_get(res, 0, col))
		return json_null();
	if (integer)
		return json_integer(vg_db_get_ll(res, 0, col, 0));
	return json_real(vg_db_get_double(res, 0, col, 0));
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
	json_t *quota =
	    json_pack("{s:o, s:o}", "video_seconds_month",
	              number_or_null(res, "quota_video_seconds_month", true), "cost_usd_month",
	              number_or_null(res, "quota_cost_usd_month", false));
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
