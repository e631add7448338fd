/* GET /api/v1/admin/usage: the rollups veogen-rollup writes, newest period first, paged
 * and filtered by period, time span, user, provider and model. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "vg_json.h"
#include "vg_str.h"

#define MAX_CURSOR 2048 /* hex characters: two per byte of the JSON key */

struct usage_query {
	const char *period, *since, *until, *user_id, *provider, *model;
	uint64_t limit;
	/* the last row of the page before: [period_start epoch, user_id, provider, model] */
	const char *c_start, *c_user, *c_provider, *c_model;
};

/* Opaque cursor: the hex of the JSON array of the last row's sort key. */
static const char *encode_cursor(struct vg_arena *a, const PGresult *res, int row)
{
	json_t *key = vg_json_own(a, json_pack("[s,s,s,s]", vg_db_get(res, row, "start_epoch"),
	                                       vg_db_get(res, row, "user_id"),
	                                       vg_db_get(res, row, "provider"),
	                                       vg_db_get(res, row, "model")));
	const char *text = vg_json_dump(a, key);
	size_t n = strlen(text);
	char *hex = vg_arena_alloc(a, 2 * n + 1);

	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)text[i]);
	hex[2 * n] = '\0';
	return hex;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int decode_cursor(struct vg_req *r, const char *cursor, struct usage_query *q,
                         struct vg_err *err)
{
	size_t n = strlen(cursor);
	char *text;
	int64_t epoch;
	json_t *key;

	if (n == 0 || n % 2 || n > MAX_CURSOR)
		goto bad;
	text = vg_arena_alloc(r->a, n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(cursor[2 * i]), lo = hexval(cursor[2 * i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		text[i] = (char)(hi * 16 + lo);
	}
	text[n / 2] = '\0';
	key = vg_json_own(r->a, json_loads(text, JSON_REJECT_DUPLICATES, NULL));
	if (!key ||
	    json_unpack(key, "[ssss]", &q->c_start, &q->c_user, &q->c_provider, &q->c_model) != 0 ||
	    !vg_str_i64(q->c_start, 0, INT64_MAX, &epoch) || !vg_str_is_uuid(q->c_user))
		goto bad;
	return VG_OK;
bad:
	return vg_req_bad_query(err,
	                        "cursor must be the next_cursor of a previous page, unchanged");
}

static int parse_query(struct vg_req *r, struct usage_query *q, struct vg_err *err)
{
	bool bad = false;
	const char *cursor;
	int rc;

	q->period = vg_req_query(r, "period", &bad);
	q->user_id = vg_req_query(r, "user_id", &bad);
	q->provider = vg_req_query(r, "provider", &bad);
	q->model = vg_req_query(r, "model", &bad);
	q->since = vg_req_query(r, "since", &bad);
	q->until = vg_req_query(r, "until", &bad);
	if (bad)
		return vg_req_bad_query(err,
		                        "the query string is malformed or repeats a parameter");
	if (!q->period)
		q->period = "day";
	if (strcmp(q->period, "day") != 0 && strcmp(q->period, "hour") != 0)
		return vg_req_bad_query(err, "period must be one of hour, day");
	if ((rc = vg_req_time_param(r, "since", &q->since, err)) != VG_OK ||
	    (rc = vg_req_time_param(r, "until", &q->until, err)) != VG_OK)
		return rc;
	if (q->user_id && !vg_str_is_uuid(q->user_id))
		return vg_req_bad_query(err, "user_id must be a user's id (a UUID)");
	if ((rc = vg_req_page_limits(r, &q->limit, &cursor, err)) != VG_OK)
		return rc;
	return cursor ? decode_cursor(r, cursor, q, err) : VG_OK;
}

static const char page_sql[] =
    "SELECT vg_rfc3339(u.period_start) AS period_start, "
    "extract(epoch FROM u.period_start)::bigint AS start_epoch, u.user_id, us.email, "
    "u.provider, u.model, u.videos, u.succeeded, u.failed, u.cancelled, u.video_seconds, "
    "u.cost_usd::float8 AS cost_usd FROM usage_rollups u JOIN users us ON us.id = u.user_id "
    "WHERE u.period = $1 AND ($2::bigint IS NULL OR u.period_start >= to_timestamp($2)) "
    "AND ($3::bigint IS NULL OR u.period_start < to_timestamp($3)) "
    "AND ($4::uuid IS NULL OR u.user_id = $4) AND ($5::text IS NULL OR u.provider = $5) "
    "AND ($6::text IS NULL OR u.model = $6) "
    "AND ($7::bigint IS NULL OR u.period_start < to_timestamp($7) OR (u.period_start = "
    "to_timestamp($7) AND (u.user_id, u.provider, u.model) > ($8::uuid, $9::text, $10::text))) "
    "ORDER BY u.period_start DESC, u.user_id, u.provider, u.model LIMIT $11";

static json_t *item_json(const PGresult *res, int i)
{
	return json_pack("{s:o, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f}", "period_start",
	                 vg_json_time(vg_db_get(res, i, "period_start")), "user_id",
	                 vg_db_get(res, i, "user_id"), "email", vg_db_get(res, i, "email"),
	                 "provider", vg_db_get(res, i, "provider"), "model",
	                 vg_db_get(res, i, "model"), "videos", vg_db_get_ll(res, i, "videos", 0),
	                 "succeeded", vg_db_get_ll(res, i, "succeeded", 0), "failed",
	                 vg_db_get_ll(res, i, "failed", 0), "cancelled",
	                 vg_db_get_ll(res, i, "cancelled", 0), "video_seconds",
	                 vg_db_get_ll(res, i, "video_seconds", 0), "cost_usd",
	                 vg_db_get_double(res, i, "cost_usd", 0));
}

int h_admin_usage(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct usage_query q = {0};
	PGresult *res, *state;
	int rc;

	if ((rc = parse_query(r, &q, err)) != VG_OK)
		return rc;
	res = vg_db_exec(r->db, r->a, page_sql, 11,
	                 VG_DB_P(q.period, q.since, q.until, q.user_id, q.provider, q.model,
	                         q.c_start, q.c_user, q.c_provider, q.c_model,
	                         vg_arena_printf(r->a, "%llu", (unsigned long long)q.limit + 1)),
	                 err);
	if (!res ||
	    !(state = vg_db_q0(r->db, r->a, err,
	                       "SELECT vg_rfc3339(ran_at) AS ran_at FROM usage_rollup_state")))
		return err->rc;
	int n = PQntuples(res);
	int shown = n > (int)q.limit ? (int)q.limit : n;
	json_t *items = json_array();
	for (int i = 0; i < shown; i++)
		json_array_append_new(items, item_json(res, i));
	json_t *out = vg_json_own(
	    r->a,
	    json_pack("{s:s, s:o, s:o, s:o}", "period", q.period, "items", items, "next_cursor",
	              n > (int)q.limit ? json_string(encode_cursor(r->a, res, shown - 1))
	                               : json_null(),
	              "rolled_up_at",
	              vg_json_time(PQntuples(state) ? vg_db_get(state, 0, "ran_at") : NULL)));
	vg_resp_json(w, 200, out);
	return VG_OK;
}
