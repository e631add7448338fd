/* A FastCGI request and response as the handlers see them.  Everything a handler reads is
 * copied into the request arena before dispatch (libfcgi's pointers die at the next accept). */
#ifndef FCGI_HTTP_H
#define FCGI_HTTP_H

#include <fcgiapp.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vg_arena.h"
#include "vg_buf.h"
#include "vg_conf.h"
#include "vg_db.h"
#include "vg_err.h"
#include "vg_redis.h"

#define VG_MAX_PATH_PARAMS 4

/* Who is calling, filled by the auth step before a protected handler runs. */
struct vg_principal {
	bool authenticated;
	char user_id[40];
	char role[16];
	char api_key_id[40]; /* set when authenticated by API key */
	char jti[64];        /* set when authenticated by access token */
	long long token_exp;
	bool has_quota; /* a monthly quota is set: creating work must check it */
};

struct vg_req {
	struct vg_arena *a;
	const struct vg_conf *conf;
	struct vg_db *db;
	struct vg_redis *redis;
	FCGX_Request *fcgx;

	const char *method;     /* "GET" … */
	const char *path;       /* raw path of REQUEST_URI, no query */
	const char *query;      /* raw query string, "" when none */
	const char *request_id; /* REQUEST_ID from the web server, or generated */
	const char *content_type;
	long long content_length; /* -1 when absent */
	const char *remote_addr;

	const char *params[VG_MAX_PATH_PARAMS]; /* {id} captures, percent-decoded */
	int nparams;
	const char *route_pattern; /* "/api/v1/videos/{id}" for logs and metrics */

	struct vg_principal who;

	bool body_read;
	const char *body; /* NUL-terminated copy in the arena */
	size_t body_len;
};

struct vg_resp {
	int status;
	struct vg_buf headers; /* "Name: value\r\n" lines */
	struct vg_buf body;
	const char *content_type;
	const char *stream_path; /* storage.delivery "stream": file copied into the body on send */
	bool sent;
};

/* Request helpers (fcgi_req.c). */
/* An HTTP request header by its CGI name ("HTTP_IDEMPOTENCY_KEY"); NULL when absent. */
const char *vg_req_param(struct vg_req *r, const char *cgi_name);
/* Reads the body to EOF under limits.max_body_bytes: 413 past it, 400 when truncated. */
int vg_req_read_body(struct vg_req *r, struct vg_err *err);
/* Requires Content-Type application/json (415), reads the body and parses it (400/413). */
json_t *vg_req_json(struct vg_req *r, struct vg_err *err);
/* A decoded query parameter; NULL when absent.  Sets *bad when it is present twice or
 * badly encoded. */
const char *vg_req_query(struct vg_req *r, const char *name, bool *bad);

/* The paging query of a list endpoint (?status=&limit=&cursor=): status one of statuses
 * (NULL-terminated) or absent, limit 1–100 (default 20), cursor a UUID or absent.  400
 * bad_query naming what is allowed. */
int vg_req_page_query(struct vg_req *r, const char *const *statuses, const char **status,
                      uint64_t *limit, const char **cursor, struct vg_err *err);
/* Only the limit (1–100, default 20) and the raw cursor (NULL when absent) of a list whose
 * cursor is not a UUID or that filters on more than a status: 400 bad_query.  The caller
 * checks the cursor's form. */
int vg_req_page_limits(struct vg_req *r, uint64_t *limit, const char **cursor, struct vg_err *err);
/* 400 bad_query unless cursor (a UUID; NULL passes) still names a row of table, and one of
 * user_id's when user_id is not NULL: the page it continued from was deleted.  `what` ends
 * the message ("one of your videos"). */
int vg_req_cursor_check(struct vg_req *r, const char *table, const char *cursor,
                        const char *user_id, const char *what, struct vg_err *err);

/* 400 bad_query with msg, for a query parameter the caller checked itself. */
int vg_req_bad_query(struct vg_err *err, const char *msg);
/* A time query parameter already read into *value (NULL when absent): RFC 3339, or a date
 * for its UTC midnight, replaced by its epoch seconds as text; else 400 bad_query naming
 * the parameter. */
int vg_req_time_param(struct vg_req *r, const char *name, const char **value, struct vg_err *err);

/* Removes a stored file (relpath under storage.dir) after the commit that dropped its row:
 * a failure is logged and left to veogen-cleanup, a missing file is fine. */
void vg_req_unlink_stored(struct vg_req *r, const char *relpath);

/* Response helpers (fcgi_resp.c). */
void vg_resp_init(struct vg_resp *w);
void vg_resp_free(struct vg_resp *w);
void vg_resp_header(struct vg_resp *w, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets status, Content-Type application/json and the serialised body. */
void vg_resp_json(struct vg_resp *w, int status, const json_t *body);
/* 200 with a list page from rows fetched with LIMIT limit + 1: {items: [row(res, i) …],
 * next_cursor: the `id` of the last row shown when there are more, else null}. */
void vg_resp_page(struct vg_resp *w, struct vg_req *r, const PGresult *res, uint64_t limit,
                  json_t *(*row)(const PGresult *res, int i));
void vg_resp_status(struct vg_resp *w, int status); /* no body (204, 202 without body) */
/* RFC 9457 problem+json from err, with request_id, field errors, WWW-Authenticate on 401,
 * Retry-After on 429/503. */
void vg_resp_problem(struct vg_resp *w, const struct vg_req *r, const struct vg_err *err);
/* Hands a stored file to the web server (X-Accel-Redirect / X-Sendfile) or streams it. */
int vg_resp_file(struct vg_resp *w, struct vg_req *r, const char *relpath, const char *mime,
                 struct vg_err *err);
/* Writes status line, headers, X-Request-Id and body to the FastCGI stream. HEAD drops the body. */
int vg_resp_send(struct vg_resp *w, struct vg_req *r);

/* A handler fills w and returns VG_OK, or returns an error (err filled) that the dispatcher
 * renders as problem+json. */
typedef int (*vg_handler_fn)(struct vg_req *r, struct vg_resp *w, struct vg_err *err);

enum vg_auth_need { VG_AUTH_NONE = 0, VG_AUTH_USER, VG_AUTH_ADMIN };
/* Which rate-limit budget a route spends (API.md: creates are a sub-budget). */
enum vg_rate_class { VG_RATE_NONE = 0, VG_RATE_READ, VG_RATE_CREATE };

#endif
