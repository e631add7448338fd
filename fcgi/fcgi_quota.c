/* Limits on starting work: what a user has used this month against their quotas, and what
 * they have under way now. */
#include "config.h"

#include "fcgi_quota.h"

/* The caller's month so far (videos created this calendar month, UTC, not failed or
 * cancelled: a finished one costs what was billed, the others their estimate) and their
 * own quotas (NULL = the config's default).  The user row is locked first so two creates
 * of one user cannot both pass the check. */
static const char quota_sql[] =
    "WITH me AS (SELECT id, quota_video_seconds_month AS q_seconds, "
    "quota_cost_usd_month::float8 AS q_cost FROM users WHERE id = $1 FOR NO KEY UPDATE) "
    "SELECT me.q_seconds, me.q_cost, coalesce(sum(v.duration_seconds), 0) AS used_seconds, "
    "coalesce(sum(CASE v.status WHEN 'succeeded' THEN v.spent_cost_usd ELSE "
    "v.estimated_cost_usd END), 0)::float8 AS used_cost FROM me LEFT JOIN videos v ON "
    "v.user_id = me.id AND v.created_at >= date_trunc('month', now(), 'UTC') AND v.status "
    "NOT IN ('failed', 'cancelled') GROUP BY me.id, me.q_seconds, me.q_cost";

/* "8 s / $3.20": the parts whose quota applies. */
static const char *amounts(struct vg_req *r, bool s_on, long long seconds, bool c_on, double cost)
{
	return vg_arena_printf(r->a, "%s%s%s", s_on ? vg_arena_printf(r->a, "%lld s", seconds) : "",
	                       s_on && c_on ? " / " : "",
	                       c_on ? vg_arena_printf(r->a, "$%.2f", cost) : "");
}

int vg_quota_check(struct vg_req *r, const char *what, long long seconds, double cost,
                   struct vg_err *err)
{
	PGresult *res;

	if (!r->who.has_quota)
		return VG_OK;
	if (!(res = vg_db_q(r->db, r->a, err, quota_sql, r->who.user_id)))
		return err->rc;
	if (PQntuples(res) != 1)
		return VG_OK; /* the account is gone: the insert fails on its own */
	long long q_s = vg_db_get_ll(res, 0, "q_seconds", r->conf->quotas_video_seconds_month);
	double q_c = vg_db_get_double(res, 0, "q_cost", r->conf->quotas_cost_usd_month);
	long long used_s = vg_db_get_ll(res, 0, "used_seconds", 0);
	double used_c = vg_db_get_double(res, 0, "used_cost", 0);
	bool s_on = q_s > 0, c_on = q_c > 0;
	/* cents: a float sum must not refuse a video that fits exactly */
	bool over_s = s_on && used_s + seconds > q_s;
	bool over_c = c_on && used_c + cost > q_c + 0.00005;

	if (!over_s && !over_c)
		return VG_OK;
	return vg_err_set(err, VG_EFORBIDDEN, "quota_exceeded",
	                  "this %s needs %s but only %s of your monthly quota %s left", what,
	                  amounts(r, s_on, seconds, c_on, cost),
	                  amounts(r, s_on, q_s > used_s ? q_s - used_s : 0, c_on,
	                          q_c > used_c ? q_c - used_c : 0),
	                  s_on && c_on ? "are" : "is");
}

/* Both counts come from partial indexes (videos_user_active, movies_user_active). */
static const char active_sql[] =
    "WITH me AS (SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE) "
    "SELECT (SELECT count(*) FROM videos v WHERE v.user_id = me.id AND v.movie_id IS NULL AND "
    "v.status IN ('queued', 'running')) AS videos, (SELECT count(*) FROM movies m WHERE "
    "m.user_id = me.id AND m.status IN ('planning', 'rendering', 'assembling')) AS movies "
    "FROM me";

#define ACTIVE_RETRY_AFTER_S 30

int vg_active_jobs_check(struct vg_req *r, struct vg_err *err)
{
	int max = r->conf->limits_max_active_jobs_per_user;
	PGresult *res;

	if (max <= 0)
		return VG_OK;
	if (!(res = vg_db_q(r->db, r->a, err, active_sql, r->who.user_id)))
		return err->rc;
	if (PQntuples(res) != 1)
		return VG_OK; /* the account is gone: the insert fails on its own */
	long long videos = vg_db_get_ll(res, 0, "videos", 0);
	long long movies = vg_db_get_ll(res, 0, "movies", 0);
	if (videos + movies < max)
		return VG_OK;
	vg_err_set(err, VG_ERATE, "too_many_active_jobs",
	           "you have %lld pieces of work under way (%lld videos queued or running, %lld "
	           "movies planning, rendering or assembling); one account may have %d at once "
	           "(limits.max_active_jobs_per_user): wait for some to finish or cancel some, "
	           "then try again",
	           videos + movies, videos, movies, max);
	err->retry_after = ACTIVE_RETRY_AFTER_S;
	return VG_ERATE;
}
