/* HTTP client over libcurl's multi interface (see vg_http.h).  Each transfer owns its easy
 * handle, header list, body buffer and sink; all of them are freed on every path. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vg_arena.h"
#include "vg_buf.h"
#include "vg_http.h"
#include "vg_str.h"

#define DEFAULT_TIMEOUT_MS         60000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_MAX_BODY           ((size_t)8 << 20)
#define DEFAULT_MAX_CONNECTIONS    64

struct vg_xfer {
	struct vg_http *h;
	CURL *easy;
	struct curl_slist *hdrs;
	vg_http_done_fn fn;
	void *ctx;
	struct vg_buf body;
	size_t max_body;
	int fd; /* sink, -1 when none */
	EVP_MD_CTX *md;
	uint64_t sink_bytes;
	int to_sink;     /* -1 undecided, 0 memory, 1 file: decided on the first body bytes */
	char fail[256];  /* our reason for aborting from the write callback */
	char *sink_path; /* for error messages */
	char errbuf[CURL_ERROR_SIZE];
	struct vg_xfer *prev, *next;
};

struct vg_http {
	CURLM *multi;
	struct vg_xfer *head;
	int in_flight;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool curl_ready(void)
{
	pthread_once(&global_once, global_init);
	return global_rc == CURLE_OK;
}

struct vg_http *vg_http_new(int max_connections)
{
	struct vg_http *h;

	if (!curl_ready())
		return NULL;
	h = vg_xmalloc(sizeof *h);
	h->head = NULL;
	h->in_flight = 0;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return NULL;
	}
	if (max_connections <= 0)
		max_connections = DEFAULT_MAX_CONNECTIONS;
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_connections);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_connections);
	/* Keep as many idle connections as we may open, so keep-alive reuse works. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)max_connections);
	return h;
}

static void xfer_free(struct vg_xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	vg_buf_free(&x->body);
	if (x->fd >= 0)
		close(x->fd);
	EVP_MD_CTX_free(x->md);
	free(x->sink_path);
	free(x);
}

static void xfer_unlink(struct vg_xfer *x)
{
	struct vg_http *h = x->h;

	if (x->prev)
		x->prev->next = x->next;
	else
		h->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	h->in_flight--;
}

void vg_http_free(struct vg_http *h)
{
	if (!h)
		return;
	while (h->head) {
		struct vg_xfer *x = h->head;

		curl_multi_remove_handle(h->multi, x->easy);
		xfer_unlink(x);
		xfer_free(x);
	}
	curl_multi_cleanup(h->multi);
	free(h);
}

int vg_http_in_flight(const struct vg_http *h)
{
	return h ? h->in_flight : 0;
}

static bool is_2xx(CURL *easy)
{
	long code = 0;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	return code >= 200 && code < 300;
}

static size_t sink_write(struct vg_xfer *x, const char *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(x->fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(x->fail, sizeof x->fail, "could not write the download to %s: %s",
			         x->sink_path, w < 0 ? strerror(errno) : "short write");
			return 0;
		}
		done += (size_t)w;
	}
	if (EVP_DigestUpdate(x->md, p, n) != 1) {
		snprintf(x->fail, sizeof x->fail, "SHA-256 of the download failed");
		return 0;
	}
	x->sink_bytes += n;
	return n;
}

/* Returning less than n makes libcurl abort the transfer with CURLE_WRITE_ERROR. */
static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct vg_xfer *x = userdata;
	size_t n = size * nmemb;

	if (x->to_sink < 0)
		x->to_sink = x->fd >= 0 && is_2xx(x->easy);
	if (x->to_sink)
		return sink_write(x, p, n);
	if (vg_buf_append(&x->body, p, n) != VG_OK) {
		snprintf(x->fail, sizeof x->fail, "the answer was larger than %zu bytes",
		         x->max_body);
		return 0;
	}
	return n;
}

static bool header_ok(const char *s)
{
	return strchr(s, '\r') == NULL && strchr(s, '\n') == NULL && strchr(s, ':') != NULL;
}

static bool method_ok(const char *m)
{
	if (!*m)
		return false;
	for (; *m; m++)
		if (*m < 'A' || *m > 'Z')
			return false;
	return true;
}

static bool add_header(struct vg_xfer *x, const char *line)
{
	struct curl_slist *l = curl_slist_append(x->hdrs, line);

	if (!l)
		return false;
	x->hdrs = l;
	return true;
}

static int set_headers(struct vg_xfer *x, const struct vg_http_req *req, struct vg_err *err)
{
	for (int i = 0; i < VG_HTTP_MAX_HEADERS && req->headers[i]; i++) {
		if (!header_ok(req->headers[i]))
			return vg_err_set(err, VG_EINTERNAL, NULL,
			                  "an HTTP request header is not one \"Name: value\" line");
		if (!add_header(x, req->headers[i]))
			return vg_err_set(err, VG_EINTERNAL, NULL, "out of memory");
	}
	/* No "Expect: 100-continue" round trip before large bodies. */
	if (!add_header(x, "Expect:"))
		return vg_err_set(err, VG_EINTERNAL, NULL, "out of memory");
	if (curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs) != CURLE_OK)
		return vg_err_set(err, VG_EINTERNAL, NULL, "libcurl refused the request headers");
	return VG_OK;
}

static int set_method(struct vg_xfer *x, const struct vg_http_req *req, struct vg_err *err)
{
	const char *m = req->method ? req->method : "GET";
	CURL *e = x->easy;
	CURLcode c = CURLE_OK;

	if (!method_ok(m))
		return vg_err_set(err, VG_EINTERNAL, NULL, "bad HTTP method \"%s\"", m);
	if (strcmp(m, "GET") == 0 && !req->body)
		return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK ? VG_OK : VG_EINTERNAL;
	if (strcmp(m, "POST") != 0)
		c = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	if (c == CURLE_OK && (req->body || strcmp(m, "POST") == 0)) {
		/* The size first, so a body with NUL bytes is copied whole. */
		c = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		                     (curl_off_t)(req->body ? req->body_len : 0));
		if (c == CURLE_OK)
			c = curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
	}
	if (c != CURLE_OK)
		return vg_err_set(err, VG_EINTERNAL, NULL, "libcurl refused the request body: %s",
		                  curl_easy_strerror(c));
	return VG_OK;
}

static int open_sink(struct vg_xfer *x, const char *path, struct vg_err *err)
{
	x->sink_path = vg_xstrdup(path);
	x->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (x->fd < 0)
		return vg_err_set(err, VG_EUNAVAIL, NULL, "cannot create the download file %s: %s",
		                  path, strerror(errno));
	x->md = EVP_MD_CTX_new();
	if (!x->md || EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) != 1)
		return vg_err_set(err, VG_EINTERNAL, NULL, "SHA-256 is not available");
	return VG_OK;
}

static int set_options(struct vg_xfer *x, const struct vg_http_req *req, struct vg_err *err)
{
	CURL *e = x->easy;
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
	long ctimeout =
	    req->connect_timeout_ms > 0 ? req->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	CURLcode c = curl_easy_setopt(e, CURLOPT_URL, req->url);

	if (c != CURLE_OK)
		return vg_err_set(err, VG_EINTERNAL, NULL, "bad URL for an HTTP request: %s",
		                  curl_easy_strerror(c));
	c = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c != CURLE_OK)
		return vg_err_set(err, VG_EINTERNAL, NULL, "libcurl lacks http/https: %s",
		                  curl_easy_strerror(c));
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (req->fresh_connection) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ctimeout);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "veogen/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	return VG_OK;
}

static struct vg_xfer *xfer_new(const struct vg_http_req *req, struct vg_err *err)
{
	struct vg_xfer *x = vg_xmalloc(sizeof *x);

	memset(x, 0, sizeof *x);
	x->fd = -1;
	x->to_sink = -1;
	x->max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
	vg_buf_init(&x->body, x->max_body);
	x->easy = curl_easy_init();
	if (!x->easy) {
		vg_err_set(err, VG_EINTERNAL, NULL, "libcurl could not make a transfer");
		xfer_free(x);
		return NULL;
	}
	if (!req->url || set_options(x, req, err) != VG_OK || set_method(x, req, err) != VG_OK ||
	    set_headers(x, req, err) != VG_OK ||
	    (req->sink_path && open_sink(x, req->sink_path, err) != VG_OK)) {
		if (!req->url)
			vg_err_set(err, VG_EINTERNAL, NULL, "an HTTP request has no URL");
		else if (err->rc == VG_OK)
			vg_err_set(err, VG_EINTERNAL, NULL, "libcurl refused an option");
		xfer_free(x);
		return NULL;
	}
	return x;
}

int vg_http_start(struct vg_http *h, const struct vg_http_req *req, vg_http_done_fn fn, void *ctx,
                  struct vg_err *err)
{
	struct vg_err local;
	struct vg_xfer *x;
	CURLMcode mc;

	if (!err)
		err = &local;
	vg_err_clear(err);
	x = xfer_new(req, err);
	if (!x)
		return err->rc ? err->rc : VG_EINTERNAL;
	x->h = h;
	x->fn = fn;
	x->ctx = ctx;
	mc = curl_multi_add_handle(h->multi, x->easy);
	if (mc != CURLM_OK) {
		xfer_free(x);
		return vg_err_set(err, VG_EINTERNAL, NULL, "libcurl could not start a transfer: %s",
		                  curl_multi_strerror(mc));
	}
	x->next = h->head;
	if (h->head)
		h->head->prev = x;
	h->head = x;
	h->in_flight++;
	return VG_OK;
}

/* Only these failures prove the request never left: a billed submit may not be resent
 * when any byte of it could have reached the server. */
static bool maybe_sent(CURL *easy, CURLcode c, long status)
{
	curl_off_t pre = 0;

	if (status > 0)
		return true;
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return false;
	case CURLE_OPERATION_TIMEDOUT:
		if (curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pre) != CURLE_OK)
			return true;
		return pre != 0;
	default:
		return true;
	}
}

static void fill_meta(struct vg_xfer *x, struct vg_http_resp *r)
{
	CURL *e = x->easy;
	char *s = NULL;
	curl_off_t len = -1, total = 0;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status >= 300 && r->status < 400 &&
	    curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &s) == CURLE_OK && s)
		r->location = vg_xstrdup(s);
	s = NULL;
	if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
		vg_strlcpy(r->content_type, s, sizeof r->content_type);
	if (curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) != CURLE_OK)
		len = -1;
	r->content_length = len;
	if (curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total) == CURLE_OK)
		r->total_s = (double)total / 1e6;
}

static void fill_sink(struct vg_xfer *x, struct vg_http_resp *r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (close(x->fd) != 0 && !x->fail[0])
		snprintf(x->fail, sizeof x->fail, "could not write the download to %s: %s",
		         x->sink_path, strerror(errno));
	x->fd = -1;
	if (x->to_sink == 0 || !(r->status >= 200 && r->status < 300))
		return;
	r->sink_bytes = x->sink_bytes;
	if (EVP_DigestFinal_ex(x->md, md, &mdlen) == 1 && mdlen == 32)
		vg_str_hex(md, mdlen, r->sink_sha256);
}

/* Fills resp from a finished transfer, stealing its body. */
static void xfer_result(struct vg_xfer *x, CURLcode c, struct vg_http_resp *r)
{
	memset(r, 0, sizeof *r);
	r->content_length = -1;
	fill_meta(x, r);
	if (x->fd >= 0)
		fill_sink(x, r);
	r->curl_code = (int)c;
	if (c == CURLE_OK && x->fail[0])
		r->curl_code = (int)CURLE_WRITE_ERROR;
	r->maybe_sent = maybe_sent(x->easy, (CURLcode)r->curl_code, r->status);
	if (r->curl_code != 0)
		vg_strlcpy(r->error,
		           x->fail[0]     ? x->fail
		           : x->errbuf[0] ? x->errbuf
		                          : curl_easy_strerror((CURLcode)r->curl_code),
		           sizeof r->error);
	if (x->body.len) {
		r->body = x->body.data;
		r->body_len = x->body.len;
		vg_buf_init(&x->body, 0);
	}
}

void vg_http_resp_free(struct vg_http_resp *resp)
{
	if (!resp)
		return;
	free(resp->body);
	free(resp->location);
	resp->body = resp->location = NULL;
	resp->body_len = 0;
}

static void finish(struct vg_http *h, CURL *easy, CURLcode c)
{
	struct vg_xfer *x;
	struct vg_http_resp resp;
	vg_http_done_fn fn;
	void *priv = NULL, *ctx;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	curl_multi_remove_handle(h->multi, easy);
	x = priv;
	if (!x)
		return;
	xfer_unlink(x);
	xfer_result(x, c, &resp);
	/* Free the transfer before the callback: it may start new transfers or commit the
	 * sink file, and the easy handle is no longer needed. */
	fn = x->fn;
	ctx = x->ctx;
	xfer_free(x);
	if (fn)
		fn(ctx, &resp);
	vg_http_resp_free(&resp);
}

int vg_http_run(struct vg_http *h, int extra_fd, int timeout_ms)
{
	struct curl_waitfd wfd = {.fd = extra_fd, .events = CURL_WAIT_POLLIN, .revents = 0};
	int running = 0, left = 0;
	CURLMsg *msg;
	CURL *easy;
	CURLcode c;

	curl_multi_poll(h->multi, &wfd, extra_fd >= 0 ? 1 : 0, timeout_ms < 0 ? 0 : timeout_ms,
	                NULL);
	curl_multi_perform(h->multi, &running);
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg dies with remove_handle: copy what we need first. */
		easy = msg->easy_handle;
		c = msg->data.result;
		finish(h, easy, c);
	}
	return h->in_flight;
}

struct fetch_ctx {
	struct vg_http_resp *out;
	bool done;
};

static void fetch_done(void *ctx, struct vg_http_resp *resp)
{
	struct fetch_ctx *f = ctx;

	*f->out = *resp;
	resp->body = resp->location = NULL;
	f->done = true;
}

int vg_http_fetch(const struct vg_http_req *req, struct vg_http_resp *out, struct vg_err *err)
{
	struct fetch_ctx f = {.out = out, .done = false};
	struct vg_err local;
	struct vg_http *h;
	int rc;

	if (!err)
		err = &local;
	memset(out, 0, sizeof *out);
	out->content_length = -1;
	h = vg_http_new(1);
	if (!h)
		return vg_err_set(err, VG_EINTERNAL, NULL, "libcurl could not start");
	rc = vg_http_start(h, req, fetch_done, &f, err);
	while (rc == VG_OK && vg_http_in_flight(h) > 0)
		vg_http_run(h, -1, 1000);
	vg_http_free(h);
	if (rc != VG_OK)
		return rc;
	if (!f.done)
		return vg_err_set(err, VG_EINTERNAL, NULL, "an HTTP transfer vanished");
	if (out->curl_code == CURLE_OPERATION_TIMEDOUT)
		return vg_err_set(err, VG_ETIMEOUT, "timeout", "%s timed out: %s", req->url,
		                  out->error);
	if (out->curl_code != 0)
		return vg_err_set(err, VG_EUNAVAIL, NULL, "%s failed: %s", req->url, out->error);
	return VG_OK;
}

static bool origin_of(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	          curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	          curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
	          curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK;

	curl_url_cleanup(u);
	return ok;
}

bool vg_http_same_origin(const char *a, const char *b)
{
	char *sa = NULL, *ha = NULL, *pa = NULL, *sb = NULL, *hb = NULL, *pb = NULL;
	bool same = false;

	if (a && b && curl_ready() && origin_of(a, &sa, &ha, &pa) && origin_of(b, &sb, &hb, &pb))
		same = strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
	curl_free(sa);
	curl_free(ha);
	curl_free(pa);
	curl_free(sb);
	curl_free(hb);
	curl_free(pb);
	return same;
}

char *vg_http_escape(const char *s)
{
	char *e, *copy;

	if (!s || !curl_ready())
		return NULL;
	/* Since 7.82 the handle argument is ignored. */
	e = curl_easy_escape(NULL, s, 0);
	if (!e)
		return NULL;
	copy = vg_xstrdup(e);
	curl_free(e);
	return copy;
}
