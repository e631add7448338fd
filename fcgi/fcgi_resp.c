/* Writing a response: CGI-style headers with an explicit Status, JSON and problem+json
 * bodies, and file delivery through the web server. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "fcgi_http.h"
#include "vg_db.h"
#include "vg_json.h"
#include "vg_log.h"

#define MAX_HEADERS 16384
#define MAX_BODY    (64u * 1024 * 1024)

static const struct {
	int status;
	const char *reason;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
};

static const char *reason_of(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

void vg_resp_init(struct vg_resp *w)
{
	memset(w, 0, sizeof *w);
	w->status = 200;
	vg_buf_init(&w->headers, MAX_HEADERS);
	vg_buf_init(&w->body, MAX_BODY);
}

void vg_resp_free(struct vg_resp *w)
{
	vg_buf_free(&w->headers);
	vg_buf_free(&w->body);
}

void vg_resp_header(struct vg_resp *w, const char *name, const char *fmt, ...)
{
	char value[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	/* a value is ours, but never let a CR/LF split a header */
	for (char *p = value; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	if (vg_buf_printf(&w->headers, "%s: %s\r\n", name, value) != VG_OK)
		log_warnx("response headers over %d bytes: dropped %s", MAX_HEADERS, name);
}

void vg_resp_json(struct vg_resp *w, int status, const json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);

	w->status = status;
	w->content_type = "application/json; charset=utf-8";
	vg_buf_reset(&w->body);
	if (!s || vg_buf_puts(&w->body, s) != VG_OK) {
		log_errx("cannot serialise a %d response body", status);
		w->status = 500;
		vg_buf_reset(&w->body);
	}
	free(s);
}

void vg_resp_page(struct vg_resp *w, struct vg_req *r, const PGresult *res, uint64_t limit,
                  json_t *(*row)(const PGresult *res, int i))
{
	int n = PQntuples(res);
	int shown = n > (int)limit ? (int)limit : n;
	json_t *items = json_array();

	for (int i = 0; i < shown; i++)
		json_array_append_new(items, row(res, i));
	vg_resp_json(
	    w, 200,
	    vg_json_own(r->a, json_pack("{s:o, s:o}", "items", items, "next_cursor",
	                                n > shown ? json_string(vg_db_get(res, shown - 1, "id"))
	                                          : json_null())));
}

void vg_resp_status(struct vg_resp *w, int status)
{
	w->status = status;
	w->content_type = NULL;
	vg_buf_reset(&w->body);
}

void vg_resp_problem(struct vg_resp *w, const struct vg_req *r, const struct vg_err *err)
{
	int status = vg_err_http_status(err->rc);
	json_t *p = json_object();
	const char *code = err->code[0] ? err->code : vg_err_default_code(err->rc);

	json_object_set_new(p, "type",
	                    json_string(vg_arena_printf(r->a, "urn:veogen:problem:%s", code)));
	json_object_set_new(p, "title", json_string(vg_err_title(err->rc)));
	json_object_set_new(p, "status", json_integer(status));
	json_object_set_new(p, "detail",
	                    json_string(err->msg[0] ? err->msg : vg_err_title(err->rc)));
	json_object_set_new(p, "code", json_string(code));
	json_object_set_new(p, "request_id", json_string(r->request_id ? r->request_id : ""));
	if (err->nfields > 0) {
		json_t *list = json_array();
		for (int i = 0; i < err->nfields; i++)
			json_array_append_new(list,
			                      json_pack("{s:s, s:s}", "field", err->fields[i].field,
			                                "message", err->fields[i].message));
		json_object_set_new(p, "errors", list);
	}
	vg_resp_json(w, status, p);
	json_decref(p);
	w->content_type = "application/problem+json; charset=utf-8";
	if (status == 401)
		vg_resp_header(w, "WWW-Authenticate", "Bearer realm=\"veogen\"");
	if (status == 429 || status == 503)
		vg_resp_header(w, "Retry-After", "%d", err->retry_after > 0 ? err->retry_after : 5);
}

int vg_resp_file(struct vg_resp *w, struct vg_req *r, const char *relpath, const char *mime,
                 struct vg_err *err)
{
	const struct vg_conf *c = r->conf;

	if (!relpath || strstr(relpath, "..") || relpath[0] == '/')
		return vg_err_set(err, VG_EINTERNAL, NULL, "stored file path is not valid");
	vg_resp_status(w, 200);
	w->content_type = mime;
	if (strcmp(c->storage_delivery, "x-accel-redirect") == 0) {
		vg_resp_header(w, "X-Accel-Redirect", "%s/%s", c->storage_internal_prefix, relpath);
	} else if (strcmp(c->storage_delivery, "x-sendfile") == 0) {
		vg_resp_header(w, "X-Sendfile", "%s/%s", c->storage_dir, relpath);
	} else {
		w->stream_path = vg_arena_printf(r->a, "%s/%s", c->storage_dir, relpath);
		if (access(w->stream_path, R_OK) != 0)
			return vg_err_set(err, VG_EUNAVAIL, "storage_unavailable",
			                  "the stored file cannot be read: try again later");
	}
	return VG_OK;
}

static int put(FCGX_Stream *out, const char *s, size_t n)
{
	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;
		if (FCGX_PutStr(s, chunk, out) != chunk)
			return -1;
		s += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

static int stream_file(const char *path, FCGX_Stream *out)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (put(out, buf, (size_t)n) != 0)
			break;
	close(fd);
	return n == 0 ? 0 : -1;
}

int vg_resp_send(struct vg_resp *w, struct vg_req *r)
{
	FCGX_Stream *out = r->fcgx->out;
	bool head = r->method && strcmp(r->method, "HEAD") == 0;
	struct vg_buf h;
	int rc = 0;

	vg_buf_init(&h, MAX_HEADERS + 1024);
	vg_buf_printf(&h, "Status: %d %s\r\n", w->status, reason_of(w->status));
	if (w->content_type)
		vg_buf_printf(&h, "Content-Type: %s\r\n", w->content_type);
	if (w->content_type && !w->stream_path && w->status != 204)
		vg_buf_printf(&h, "Content-Length: %zu\r\n", w->body.len);
	if (r->request_id)
		vg_buf_printf(&h, "X-Request-Id: %s\r\n", r->request_id);
	if (w->content_type && strstr(w->content_type, "json") &&
	    !strstr(vg_buf_str(&w->headers), "Cache-Control:"))
		vg_buf_puts(&h, "Cache-Control: no-store\r\n");
	vg_buf_append(&h, w->headers.data ? w->headers.data : "", w->headers.len);
	vg_buf_puts(&h, "\r\n");
	if (put(out, vg_buf_str(&h), h.len) != 0)
		rc = -1;
	vg_buf_free(&h);
	if (rc == 0 && !head && w->status != 204) {
		if (w->stream_path)
			rc = stream_file(w->stream_path, out);
		else if (w->body.len)
			rc = put(out, w->body.data, w->body.len);
	}
	w->sent = true;
	if (rc != 0)
		log_info("client went away while the response was written");
	return rc;
}
