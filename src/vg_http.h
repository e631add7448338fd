/* HTTP client over libcurl's multi interface: many transfers in flight in one thread,
 * driven by the caller's event loop (vg_http_run), each ending in a callback.  Redirects
 * are never followed here: a 3xx comes back with its Location so the caller decides which
 * headers the next host may see (libcurl would re-send x-goog-api-key to any host).
 * A response body goes to memory (capped) or streams to a file while it is hashed. */
#ifndef VG_HTTP_H
#define VG_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vg_err.h"

#define VG_HTTP_MAX_HEADERS 8

struct vg_http_req {
	const char *method; /* "GET" (default when NULL) or "POST" */
	const char *url;
	const char *headers[VG_HTTP_MAX_HEADERS + 1]; /* "Name: value", NULL-terminated */
	const char *body;                             /* POST body (copied), may be NULL */
	size_t body_len;
	long timeout_ms;         /* whole transfer; 0 = 60 s */
	long connect_timeout_ms; /* 0 = 10 s */
	/* When set, a 2xx body streams into this file (created or truncated, mode 0640) and
	 * is hashed on the way; other bodies still go to memory for the error message. */
	const char *sink_path;
	size_t max_body; /* cap on an in-memory body; 0 = 8 MiB; past it the transfer fails */
	/* A new connection, closed after the answer.  libcurl silently sends a request again
	 * when a reused keep-alive connection dies before any answer; a billed submit must
	 * never go out twice that way. */
	bool fresh_connection;
};

struct vg_http_resp {
	int curl_code;   /* CURLcode; 0 when a response arrived */
	bool maybe_sent; /* the request may have reached the server (not a connect/DNS failure) */
	long status;     /* HTTP status, 0 when none arrived */
	char *body;      /* NUL-terminated in-memory body (malloc), NULL when sunk or empty */
	size_t body_len;
	char *location; /* absolute redirect target of a 3xx (malloc), else NULL */
	char content_type[128];
	long long content_length; /* from the header, -1 when absent */
	uint64_t sink_bytes;      /* bytes written to sink_path */
	char sink_sha256[65];     /* hex SHA-256 of those bytes */
	char error[256];          /* libcurl's message when curl_code != 0 */
	double total_s;           /* time the transfer took */
};

/* Called once per transfer, from vg_http_run.  resp is freed after the call returns;
 * take what you keep (steal body/location by setting the pointers to NULL). */
typedef void (*vg_http_done_fn)(void *ctx, struct vg_http_resp *resp);

struct vg_http;

/* max_connections bounds open connections in total (0 = 64); transfers beyond it queue
 * inside libcurl. */
struct vg_http *vg_http_new(int max_connections);
/* Aborts every transfer still in flight (their callbacks are not called). */
void vg_http_free(struct vg_http *h);

/* Starts a transfer; fn(ctx, resp) runs from a later vg_http_run. */
int vg_http_start(struct vg_http *h, const struct vg_http_req *req, vg_http_done_fn fn, void *ctx,
                  struct vg_err *err);
/* Waits up to timeout_ms for network activity or for extra_fd (-1 for none) to become
 * readable, moves every transfer on, and calls the callbacks of those that ended.
 * Returns the number still in flight. */
int vg_http_run(struct vg_http *h, int extra_fd, int timeout_ms);
int vg_http_in_flight(const struct vg_http *h);

/* One blocking transfer (veogenctl, the Gemini text client): out is filled as for a
 * callback; free it with vg_http_resp_free.  VG_OK when a response arrived (any status). */
int vg_http_fetch(const struct vg_http_req *req, struct vg_http_resp *out, struct vg_err *err);
void vg_http_resp_free(struct vg_http_resp *resp);

/* True when two absolute URLs have the same scheme, host and port (the test for sending
 * a credential on to a redirect target). */
bool vg_http_same_origin(const char *a, const char *b);

/* Percent-encodes s for a URL path segment or a query value (malloc). */
char *vg_http_escape(const char *s);

#endif
