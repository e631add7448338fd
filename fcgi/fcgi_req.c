/* Reading a request: headers, the body under its cap, JSON bodies, query parameters. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fcgi_http.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_retention.h"
#include "vg_str.h"

#define READ_CHUNK 65536

const char *vg_req_param(struct vg_req *r, const char *cgi_name)
{
	const char *v = r->fcgx ? FCGX_GetParam(cgi_name, r->fcgx->envp) : NULL;

	return v ? vg_arena_strdup(r->a, v) : NULL;
}

int vg_req_read_body(struct vg_req *r, struct vg_err *err)
{
	size_t max = (size_t)r->conf->limits_max_body_bytes;
	struct vg_buf b;
	char chunk[4096];
	int n;

	if (r->body_read)
		return VG_OK;
	if (r->content_length > (long long)max)
		return vg_err_set(err, VG_ETOOBIG, "body_too_large",
		                  "the request body is %lld bytes; at most %zu bytes are accepted "
		                  "(limits.max_body_bytes): send a smaller body",
		                  r->content_length, max);
	vg_buf_init(&b, max);
	while ((n = FCGX_GetStr(chunk, (int)sizeof chunk, r->fcgx->in)) > 0) {
		if (vg_buf_append(&b, chunk, (size_t)n) != VG_OK) {
			vg_buf_free(&b);
			return vg_err_set(err, VG_ETOOBIG, "body_too_large",
			                  "the request body is over %zu bytes, the most accepted "
			                  "(limits.max_body_bytes): send a smaller body",
			                  max);
		}
	}
	if (FCGX_GetError(r->fcgx->in) != 0) {
		vg_buf_free(&b);
		return vg_err_set(err, VG_EBADREQ, "body_truncated",
		                  "the request body could not be read completely: send it again");
	}
	if (r->content_length >= 0 && (long long)b.len != r->content_length) {
		vg_buf_free(&b);
		return vg_err_set(
		    err, VG_EBADREQ, "body_truncated",
		    "the request body is shorter than its Content-Length: send it again");
	}
	r->body = vg_arena_strndup(r->a, vg_buf_str(&b), b.len);
	r->body_len = b.len;
	r->body_read = true;
	vg_buf_free(&b);
	return VG_OK;
}

/* application/json with an optional charset parameter that must be UTF-8. */
static bool is_json_type(const char *ct)
{
	static const char json[] = "application/json";
	const char *p;

	if (!ct || strncasecmp(ct, json, sizeof json - 1) != 0)
		return false;
	p = ct + sizeof json - 1;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return true;
	if (*p != ';')
		return false;
	p++;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "charset=", 8) != 0)
		return false;
	p += 8;
	if (*p == '"')
		p++;
	return strncasecmp(p, "utf-8", 5) == 0 || strncasecmp(p, "utf8", 4) == 0;
}

json_t *vg_req_json(struct vg_req *r, struct vg_err *err)
{
	if (!is_json_type(r->content_type)) {
		vg_err_set(err, VG_EMEDIA, "unsupported_media_type",
		           "send the body as JSON with Content-Type: application/json (UTF-8)");
		return NULL;
	}
	const struct vg_json_limits lim = {r->conf->limits_max_json_depth,
	                                   r->conf->limits_max_json_string_bytes,
	                                   r->conf->limits_max_json_array_items};

	if (vg_req_read_body(r, err) != VG_OK)
		return NULL;
	return vg_json_parse(r->a, r->body, r->body_len, &lim, err);
}

/* Decodes one query component: %XX and '+' as space. */
static char *decode_component(struct vg_arena *a, const char *s, size_t n)
{
	char *raw = vg_arena_strndup(a, s, n), *out = vg_arena_alloc(a, n + 1);

	for (char *p = raw; *p; p++)
		if (*p == '+')
			*p = ' ';
	if (!vg_str_pct_decode(raw, n, out, NULL) || !vg_str_utf8_valid(out, strlen(out)))
		return NULL;
	return out;
}

const char *vg_req_query(struct vg_req *r, const char *name, bool *bad)
{
	const char *found = NULL;
	const char *p = r->query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t klen = eq ? (size_t)(eq - p) : len;
		char *key = decode_component(r->a, p, klen);

		if (!key) {
			*bad = true;
			return NULL;
		}
		if (strcmp(key, name) == 0) {
			if (found) {
				*bad = true; /* repeated: ambiguous, refuse rather than guess */
				return NULL;
			}
			found = eq ? decode_component(r->a, eq + 1, len - klen - 1) : "";
			if (!found) {
				*bad = true;
				return NULL;
			}
		}
		p = amp ? amp + 1 : NULL;
	}
	return found;
}

void vg_req_unlink_stored(struct vg_req *r, const char *relpath)
{
	vg_retention_unlink(r->a, r->conf->storage_dir, relpath);
}

int vg_req_bad_query(struct vg_err *err, const char *msg)
{
	return vg_err_set(err, VG_EBADREQ, "bad_query", "%s", msg);
}

int vg_req_time_param(struct vg_req *r, const char *name, const char **value, struct vg_err *err)
{
	long long t;

	if (!*value)
		return VG_OK;
	if (!vg_retention_parse_time(*value, &t))
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "%s must be an RFC 3339 time (2026-11-24T10:00:00Z) or a date "
		                  "(2026-11-24)",
		                  name);
	*value = vg_arena_printf(r->a, "%lld", t);
	return VG_OK;
}

int vg_req_page_limits(struct vg_req *r, uint64_t *limit, const char **cursor, struct vg_err *err)
{
	bool bad = false;
	const char *limit_s = vg_req_query(r, "limit", &bad);

	*cursor = vg_req_query(r, "cursor", &bad);
	if (bad)
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "the query string is malformed or repeats a parameter");
	*limit = 20;
	if (limit_s && (!vg_str_u64(limit_s, 100, limit) || *limit < 1))
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "limit must be a whole number from 1 to 100");
	return VG_OK;
}

int vg_req_page_query(struct vg_req *r, const char *const *statuses, const char **status,
                      uint64_t *limit, const char **cursor, struct vg_err *err)
{
	bool bad = false, status_ok;
	int rc;

	*status = vg_req_query(r, "status", &bad);
	if (bad)
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "the query string is malformed or repeats a parameter");
	status_ok = !*status;
	for (int i = 0; *status && statuses[i]; i++)
		status_ok |= strcmp(*status, statuses[i]) == 0;
	if (!status_ok) {
		const char *allowed = "";

		for (int i = 0; statuses[i]; i++)
			allowed =
			    vg_arena_printf(r->a, "%s%s%s", allowed, i ? ", " : "", statuses[i]);
		return vg_err_set(err, VG_EBADREQ, "bad_query", "status must be one of %s",
		                  allowed);
	}
	if ((rc = vg_req_page_limits(r, limit, cursor, err)) != VG_OK)
		return rc;
	if (*cursor && !vg_str_is_uuid(*cursor))
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "cursor must be the next_cursor of a previous page");
	return VG_OK;
}

int vg_req_cursor_check(struct vg_req *r, const char *table, const char *cursor,
                        const char *user_id, const char *what, struct vg_err *err)
{
	PGresult *res;

	if (!cursor)
		return VG_OK;
	/* table is a name the caller wrote, never input; users has no user_id column */
	if (user_id)
		res = vg_db_q(
		    r->db, r->a, err,
		    vg_arena_printf(r->a, "SELECT 1 FROM %s WHERE id = $1 AND user_id = $2", table),
		    cursor, user_id);
	else
		res =
		    vg_db_q(r->db, r->a, err,
		            vg_arena_printf(r->a, "SELECT 1 FROM %s WHERE id = $1", table), cursor);
	if (!res)
		return err->rc;
	if (PQntuples(res) != 1)
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "cursor does not point at %s any more: start again without it",
		                  what);
	return VG_OK;
}
