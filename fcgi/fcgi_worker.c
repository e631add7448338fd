/* A responder process: accept, route, authenticate, rate-limit, run the handler, answer.
 * One PostgreSQL and one Redis connection per process, opened lazily after fork. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fcgi_auth.h"
#include "fcgi_http.h"
#include "fcgi_ratelimit.h"
#include "fcgi_route.h"
#include "fcgi_worker.h"
#include "vg_auth.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_str.h"
#include "vg_super.h"

#define ARENA_BLOCK 32768

/* A request id from nginx ($request_id: 32 hex) or our own; anything else is replaced so a
 * client cannot inject text into logs. */
static const char *request_id(struct vg_req *r)
{
	const char *id = vg_req_param(r, "REQUEST_ID");
	size_t n = id ? strlen(id) : 0;

	if (n >= 8 && n <= 64 && strspn(id, "0123456789abcdefABCDEF-") == n)
		return id;
	return vg_random_token(r->a, 16);
}

/* "HTTP_X_API_KEY" → "X-Api-Key" (at most 64 bytes), for a message about that header. */
static const char *header_name(struct vg_req *r, const char *cgi, size_t len)
{
	size_t n = len - 5 < 64 ? len - 5 : 64;
	char *name = vg_arena_strndup(r->a, cgi + 5, n);
	bool word_start = true;

	for (char *p = name; *p; p++) {
		if (*p == '_')
			*p = '-';
		else if (*p >= 'A' && *p <= 'Z' && !word_start)
			*p = (char)(*p - 'A' + 'a');
		word_start = *p == '-';
	}
	return name;
}

/* limits.max_header_bytes for every request header (HTTP_* of FastCGI) and
 * limits.max_query_bytes for the query string, before anything reads them. */
static int check_sizes(struct vg_req *r, struct vg_err *err)
{
	const struct vg_conf *c = r->conf;
	size_t max = (size_t)c->limits_max_header_bytes, q = strlen(r->query);

	for (char **e = r->fcgx ? r->fcgx->envp : NULL; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n;

		if (strncmp(*e, "HTTP_", 5) != 0 || !eq || (n = strlen(eq + 1)) <= max)
			continue;
		return vg_err_set(err, VG_EHEADERS, "header_too_large",
		                  "the %s header is %zu bytes; at most %zu bytes are accepted "
		                  "(limits.max_header_bytes): send a shorter one",
		                  header_name(r, *e, (size_t)(eq - *e)), n, max);
	}
	if (q > (size_t)c->limits_max_query_bytes)
		return vg_err_set(err, VG_EBADREQ, "query_too_long",
		                  "the query string is %zu bytes; at most %d bytes are accepted "
		                  "(limits.max_query_bytes): send fewer or shorter parameters",
		                  q, c->limits_max_query_bytes);
	return VG_OK;
}

static int read_request(struct vg_req *r, struct vg_err *err)
{
	const char *uri = vg_req_param(r, "REQUEST_URI");
	const char *cl = vg_req_param(r, "CONTENT_LENGTH");
	const char *q;
	uint64_t len;

	r->request_id = request_id(r);
	vg_log_set_request(r->request_id);
	r->method = vg_req_param(r, "REQUEST_METHOD");
	r->content_type = vg_req_param(r, "CONTENT_TYPE");
	r->remote_addr = vg_req_param(r, "REMOTE_ADDR");
	r->content_length = -1;
	if (!r->method || !uri)
		return vg_err_set(err, VG_EBADREQ, NULL,
		                  "the web server sent no REQUEST_METHOD or REQUEST_URI: check "
		                  "that its FastCGI site passes fastcgi_params");
	q = strchr(uri, '?');
	r->path = q ? vg_arena_strndup(r->a, uri, (size_t)(q - uri)) : uri;
	r->query = q ? q + 1 : "";
	if (check_sizes(r, err) != VG_OK)
		return err->rc;
	if (cl && *cl) {
		if (!vg_str_u64(cl, (uint64_t)INT64_MAX, &len))
			return vg_err_set(err, VG_EBADREQ, NULL,
			                  "Content-Length must be a plain number of bytes");
		r->content_length = (long long)len;
	}
	return VG_OK;
}

static int run(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const struct vg_route *route;
	char allow[128];
	int status, rc;

	if ((rc = read_request(r, err)) != VG_OK)
		return rc;
	route = vg_route_lookup(r, r->method, r->path, &status, allow, sizeof allow);
	if (!route) {
		if (status == 405) {
			vg_resp_header(w, "Allow", "%s", allow);
			if (strcmp(r->method, "OPTIONS") == 0) {
				vg_resp_status(w, 204);
				return VG_OK;
			}
			return vg_err_set(err, VG_EMETHOD, NULL,
			                  "%s is not allowed on %s: use one of %s", r->method,
			                  r->path, allow);
		}
		r->route_pattern = "(unmatched)";
		return vg_err_set(err, VG_ENOTFOUND, NULL,
		                  "no such resource: see GET /api/v1/openapi.json for the API");
	}
	if (route->auth != VG_AUTH_NONE) {
		if ((rc = vg_authenticate(r, err)) != VG_OK)
			return rc;
		if (route->auth == VG_AUTH_ADMIN && strcmp(r->who.role, "admin") != 0)
			return vg_err_set(err, VG_EFORBIDDEN, NULL,
			                  "this needs the admin role: ask an administrator");
	}
	/* also refuses a revoked access token: auth and limits share one Redis round trip */
	if ((rc = vg_ratelimit_check(r, w, route->rate, err)) != VG_OK)
		return rc;
	return route->fn(r, w, err);
}

static void access_log(const struct vg_req *r, const struct vg_resp *w, double seconds)
{
	double ms = seconds * 1e3;

	if (w->status >= 500)
		log_errx("%s %s -> %d in %.1f ms", r->method ? r->method : "-",
		         r->route_pattern ? r->route_pattern : "-", w->status, ms);
	else
		log_debug("%s %s -> %d in %.1f ms", r->method ? r->method : "-",
		          r->route_pattern ? r->route_pattern : "-", w->status, ms);
}

/* The route's index in the table for the metrics; -1 when none matched. */
static int route_index(const char *pattern)
{
	size_t n;
	const struct vg_route *t = vg_route_table(&n);

	for (size_t i = 0; pattern && i < n; i++)
		if (t[i].pattern == pattern)
			return (int)i;
	return -1;
}

static void handle(struct vg_req *r)
{
	struct vg_resp w;
	struct vg_err err;
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	vg_resp_init(&w);
	vg_err_clear(&err);
	rc = run(r, &w, &err);
	if (rc != VG_OK) {
		if (err.rc == VG_OK) /* a handler returned an error without saying why */
			vg_err_set(&err, rc, NULL, "%s", vg_err_title(rc));
		if (vg_err_http_status(err.rc) >= 500 && err.rc != VG_EINTERNAL)
			log_warnx("%s", err.msg);
		else if (err.rc == VG_EINTERNAL)
			log_errx("internal error: %s", err.msg);
		vg_resp_problem(&w, r, &err);
	}
	vg_resp_send(&w, r);
	/* one clock reading for the log line and the histogram */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	access_log(r, &w, seconds);
	vg_metrics_http(route_index(r->route_pattern), r->method, w.status, seconds);
	vg_resp_free(&w);
}

int vg_fcgi_worker_main(const struct vg_conf *c, int listen_fd, int gen, int idx)
{
	FCGX_Request fr;
	struct vg_arena *a;
	struct vg_db *db;
	struct vg_redis *redis;
	long served = 0;
	int rc;

	/* our handler before FCGX_Init, so libfcgi keeps it and accept() stops on TERM */
	vg_super_worker_signals(FCGX_ShutdownPending);
	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	if (FCGX_InitRequest(&fr, listen_fd, 0) != 0)
		fatalx("FCGX_InitRequest failed");
	db = vg_db_new(c->db_conninfo, "veogen-fcgi", c->db_statement_timeout_ms);
	redis = vg_redis_new(c->redis_socket, c->redis_host, c->redis_port, c->redis_timeout_ms);
	a = vg_arena_create(ARENA_BLOCK);
	log_debug("responder %d.%d ready", gen, idx);
	while (!vg_worker_stop && (c->fcgi_max_requests == 0 || served < c->fcgi_max_requests)) {
		rc = FCGX_Accept_r(&fr);
		if (rc < 0) {
			if (vg_worker_stop)
				break;
			if (rc == -EINTR)
				continue;
			log_warnx("FCGX_Accept_r failed (%d): responder exits", rc);
			break;
		}
		struct vg_req r = {.a = a, .conf = c, .db = db, .redis = redis, .fcgx = &fr};
		handle(&r);
		FCGX_Finish_r(&fr);
		vg_db_end_request(db);
		vg_arena_reset(a);
		vg_log_set_request(NULL);
		served++;
	}
	FCGX_Free(&fr, 0);
	vg_arena_destroy(a);
	vg_redis_free(redis);
	vg_db_free(db);
	log_debug("responder %d.%d exits after %ld requests", gen, idx, served);
	return 0;
}
