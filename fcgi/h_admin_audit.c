/* GET /api/v1/admin/audit: the audit log, newest first, with filters and paging.  Rows are
 * ordered by their id (a bigserial), so a page boundary never moves: the cursor is the id
 * of the last row shown, and rows that retention removed since do not break it. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "handlers.h"
#include "vg_json.h"
#include "vg_str.h"

#define FILTER_MAX_BYTES 200 /* longer than any action or target id we write */

/* $2 exact action, $3 action prefix ("auth."), $5/$6 epoch seconds, $7 the cursor. */
static const char audit_sql[] =
    "SELECT id, vg_rfc3339(at) AS at, user_id, action, target_type, target_id, ip, "
    "request_id, details::text AS details FROM audit_log "
    "WHERE ($1::uuid IS NULL OR user_id = $1) "
    "AND ($2::text IS NULL OR action = $2) "
    "AND ($3::text IS NULL OR left(action, length($3)) = $3) "
    "AND ($4::text IS NULL OR target_type = $4) "
    "AND ($8::text IS NULL OR target_id = $8) "
    "AND ($5::float8 IS NULL OR at >= to_timestamp($5::float8)) "
    "AND ($6::float8 IS NULL OR at < to_timestamp($6::float8)) "
    "AND ($7::bigint IS NULL OR id < $7) "
    "ORDER BY id DESC LIMIT $9";

struct audit_query {
	const char *user_id, *action, *prefix, *target_type, *target_id, *since, *until, *cursor;
	uint64_t limit;
};

static bool too_long(const struct audit_query *q)
{
	const char *f[] = {q->action, q->target_type, q->target_id};

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i] && strlen(f[i]) > FILTER_MAX_BYTES)
			return true;
	return false;
}

static int parse_query(struct vg_req *r, struct audit_query *q, struct vg_err *err)
{
	bool bad = false;
	uint64_t id;
	int rc;

	memset(q, 0, sizeof *q);
	q->user_id = vg_req_query(r, "user_id", &bad);
	q->action = vg_req_query(r, "action", &bad);
	q->target_type = vg_req_query(r, "target_type", &bad);
	q->target_id = vg_req_query(r, "target_id", &bad);
	q->since = vg_req_query(r, "since", &bad);
	q->until = vg_req_query(r, "until", &bad);
	if (bad)
		return vg_req_bad_query(err,
		                        "the query string is malformed or repeats a parameter");
	if ((rc = vg_req_page_limits(r, &q->limit, &q->cursor, err)) != VG_OK)
		return rc;
	if (q->user_id && !vg_str_is_uuid(q->user_id))
		return vg_req_bad_query(err, "user_id must be a user's id (a UUID)");
	if (too_long(q))
		return vg_req_bad_query(
		    err, "action, target_type and target_id must be at most 200 bytes");
	if (q->action && !*q->action)
		return vg_req_bad_query(
		    err, "action must be an action (video.delete) or a prefix ending "
		         "in \".\" (auth.)");
	/* "auth." asks for every auth.* action */
	if (q->action && q->action[strlen(q->action) - 1] == '.') {
		q->prefix = q->action;
		q->action = NULL;
	}
	if ((rc = vg_req_time_param(r, "since", &q->since, err)) != VG_OK ||
	    (rc = vg_req_time_param(r, "until", &q->until, err)) != VG_OK)
		return rc;
	if (q->cursor && (!vg_str_u64(q->cursor, INT64_MAX, &id) || id < 1))
		return vg_req_bad_query(
		    err, "cursor must be the next_cursor of a previous page, unchanged");
	return VG_OK;
}

/* details is stored as jsonb: shown as the object it is. */
static json_t *details_json(const char *text)
{
	json_t *d = text ? json_loads(text, 0, NULL) : NULL;

	return d ? d : json_object();
}

static json_t *entry_json(const PGresult *res, int i)
{
	return json_pack("{s:I, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
	                 (json_int_t)vg_db_get_ll(res, i, "id", 0), "at",
	                 vg_json_time(vg_db_get(res, i, "at")), "user_id",
	                 vg_json_str_or_null(vg_db_get(res, i, "user_id")), "action",
	                 vg_db_get(res, i, "action"), "target_type",
	                 vg_json_str_or_null(vg_db_get(res, i, "target_type")), "target_id",
	                 vg_json_str_or_null(vg_db_get(res, i, "target_id")), "ip",
	                 vg_json_str_or_null(vg_db_get(res, i, "ip")), "request_id",
	                 vg_json_str_or_null(vg_db_get(res, i, "request_id")), "details",
	                 details_json(vg_db_get(res, i, "details")));
}

int h_admin_audit_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct audit_query q;
	int rc;

	if ((rc = parse_query(r, &q, err)) != VG_OK)
		return rc;
	PGresult *res = vg_db_q(r->db, r->a, err, audit_sql, q.user_id, q.action, q.prefix,
	                        q.target_type, q.since, q.until, q.cursor, q.target_id,
	                        vg_arena_printf(r->a, "%llu", (unsigned long long)q.limit + 1));
	if (!res)
		return err->rc;
	vg_resp_page(w, r, res, q.limit, entry_json);
	return VG_OK;
}
