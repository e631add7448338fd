/* /api/v1/me/webhook-secret (read, rotate) and /api/v1/me/webhook-deliveries: the caller's
 * signing secret and the log of the events sent to their webhook URLs (API.md "Webhooks"). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "handlers.h"
#include "vg_account.h"
#include "vg_json.h"
#include "vg_str.h"
#include "vg_webhook.h"

#define MSG_PREFIX "msg_"

int h_me_webhook_secret_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	json_t *secret;
	int rc;

	if ((rc = vg_webhook_secret_get(r->db, r->a, r->who.user_id, false, &secret, err)) != VG_OK)
		return rc;
	vg_resp_json(w, 200, secret);
	return VG_OK;
}

int h_me_webhook_secret_rotate(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	json_t *secret;
	int rc;

	if ((rc = vg_db_begin(r->db, r->a, err)) != VG_OK)
		return rc;
	if ((rc = vg_webhook_secret_get(r->db, r->a, r->who.user_id, true, &secret, err)) !=
	    VG_OK) {
		vg_db_rollback(r->db);
		return rc;
	}
	/* in the transaction: a rotation and its audit record go together */
	vg_audit(r->db, r->a, r->who.user_id, "webhook_secret.rotate", "user", r->who.user_id,
	         r->remote_addr, r->request_id, NULL);
	if ((rc = vg_db_commit(r->db, r->a, err)) != VG_OK)
		return rc;
	vg_resp_json(w, 200, secret);
	return VG_OK;
}

/* $1 the caller, $2 target_id, $3 state, $4 the cursor's event id, $5 limit + 1.  The id
 * column is the webhook-id ("msg_" + uuid): items and next_cursor both show it. */
static const char deliveries_sql[] =
    "SELECT 'msg_' || e.id AS id, e.type, e.target_type, e.target_id, e.url, e.state, "
    "e.attempts, vg_rfc3339(e.created_at) AS created_at, "
    "vg_rfc3339(e.delivered_at) AS delivered_at, "
    "vg_rfc3339(e.next_attempt_at) AS next_attempt_at, e.last_status, e.last_error, "
    "(SELECT COALESCE(json_agg(json_build_object('attempt', a.attempt, 'at', "
    "vg_rfc3339(a.at), 'duration_ms', a.duration_ms, 'address', a.address, 'status', "
    "a.status, 'error', a.error) ORDER BY a.attempt), '[]'::json) "
    "FROM webhook_attempts a WHERE a.event_id = e.id)::text AS attempt_log "
    "FROM webhook_events e WHERE e.user_id = $1 "
    "AND ($2::uuid IS NULL OR e.target_id = $2) "
    "AND ($3::text IS NULL OR e.state = $3) "
    "AND ($4::uuid IS NULL OR (e.created_at, e.id) < (SELECT c.created_at, c.id FROM "
    "webhook_events c WHERE c.id = $4 AND c.user_id = $1)) "
    "ORDER BY e.created_at DESC, e.id DESC LIMIT $5";

static json_t *int_or_null(const PGresult *res, int i, const char *col)
{
	return vg_db_get(res, i, col) ? json_integer(vg_db_get_ll(res, i, col, 0)) : json_null();
}

/* attempt_log is built by SQL as a JSON array: parsed back, never NULL. */
static json_t *attempt_log(const char *text)
{
	json_t *log = text ? json_loads(text, 0, NULL) : NULL;

	if (json_is_array(log))
		return log;
	json_decref(log);
	return json_array();
}

static json_t *delivery_json(const PGresult *res, int i)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", vg_db_get(res, i, "id"), "type",
	              vg_db_get(res, i, "type"), "object", vg_db_get(res, i, "target_type"),
	              "target_id", vg_db_get(res, i, "target_id"), "url", vg_db_get(res, i, "url"),
	              "state", vg_db_get(res, i, "state"), "attempts",
	              (json_int_t)vg_db_get_ll(res, i, "attempts", 0));

	json_object_set_new(o, "created_at", vg_json_time(vg_db_get(res, i, "created_at")));
	json_object_set_new(o, "delivered_at", vg_json_time(vg_db_get(res, i, "delivered_at")));
	json_object_set_new(o, "next_attempt_at",
	                    vg_json_time(vg_db_get(res, i, "next_attempt_at")));
	json_object_set_new(o, "last_status", int_or_null(res, i, "last_status"));
	json_object_set_new(o, "last_error", vg_json_str_or_null(vg_db_get(res, i, "last_error")));
	json_object_set_new(o, "attempt_log", attempt_log(vg_db_get(res, i, "attempt_log")));
	return o;
}

static const char *const states[] = {"pending", "delivered", "failed", NULL};

static bool known_state(const char *s)
{
	for (int i = 0; states[i]; i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

int h_me_webhook_deliveries(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	bool bad = false;
	const char *target = vg_req_query(r, "target_id", &bad);
	const char *state = vg_req_query(r, "state", &bad);
	const char *cursor, *event = NULL;
	uint64_t limit;
	int rc;

	if (bad)
		return vg_req_bad_query(err,
		                        "the query string is malformed or repeats a parameter");
	if ((rc = vg_req_page_limits(r, &limit, &cursor, err)) != VG_OK)
		return rc;
	if (target && !vg_str_is_uuid(target))
		return vg_req_bad_query(err, "target_id must be the id (a UUID) of one of your "
		                             "videos or movies");
	if (state && !known_state(state))
		return vg_req_bad_query(err, "state must be one of pending, delivered, failed");
	if (cursor) {
		size_t n = strlen(MSG_PREFIX);

		event = strncmp(cursor, MSG_PREFIX, n) == 0 ? cursor + n : "";
		if (!vg_str_is_uuid(event))
			return vg_req_bad_query(
			    err, "cursor must be the next_cursor of a previous page, unchanged");
	}
	PGresult *res =
	    vg_db_q(r->db, r->a, err, deliveries_sql, r->who.user_id, target, state, event,
	            vg_arena_printf(r->a, "%llu", (unsigned long long)limit + 1));
	if (!res)
		return err->rc;
	if ((rc = vg_req_cursor_check(r, "webhook_events", event, r->who.user_id,
	                              "one of your webhook deliveries", err)) != VG_OK)
		return rc;
	vg_resp_page(w, r, res, limit, delivery_json);
	return VG_OK;
}
