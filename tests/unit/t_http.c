/* vg_http against a real HTTP/1.1 server forked on 127.0.0.1: memory and file bodies, the
 * body cap, redirects left alone, timeouts, refused connections, many transfers at once,
 * callbacks that start transfers, the blocking fetch, origins and escaping. */
#include "config.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests.h"
#include "vg_http.h"
#include "vg_storage.h"
#include "vg_str.h"

#define BIG_SIZE (3u << 20)

static pid_t srv_pid = -1;
static int srv_port;
static char base_url[64];

/* ---- the server (runs in forked children only) ---- */

static char big_byte(size_t i)
{
	return (char)('a' + (i * 7 + i / 1000) % 26);
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

/* Value of header name in the head (NUL-terminated), copied into out. */
static void head_value(const char *head, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);

	out[0] = '\0';
	for (const char *l = strstr(head, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		const char *p = l + 2, *end = strstr(p, "\r\n");

		if (!end || end == p)
			return;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			while (*p == ' ')
				p++;
			snprintf(out, size, "%.*s", (int)(end - p), p);
			return;
		}
	}
}

static bool respond(int fd, int status, const char *extra, const char *type, const char *body,
                    size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof head,
	                 "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
	                 status, type, len, extra);

	return write_all(fd, head, (size_t)n) && write_all(fd, body, len);
}

static bool serve_big(int fd)
{
	char *b = malloc(BIG_SIZE);
	bool ok;

	for (size_t i = 0; i < BIG_SIZE; i++)
		b[i] = big_byte(i);
	ok = respond(fd, 200, "", "application/octet-stream", b, BIG_SIZE);
	free(b);
	return ok;
}

static bool serve_echo(int fd, const char *head, const char *body, size_t blen)
{
	char xt[128], ua[128], out[4096];
	int n;

	head_value(head, "x-test", xt, sizeof xt);
	head_value(head, "user-agent", ua, sizeof ua);
	n = snprintf(out, sizeof out, "x-test=%s\nua=%s\nmethod=%.4s\nbody=", xt, ua, head);
	if (blen > sizeof out - (size_t)n)
		blen = sizeof out - (size_t)n;
	memcpy(out + n, body, blen); /* the body may hold NUL bytes */
	return respond(fd, 200, "", "text/plain", out, (size_t)n + blen);
}

/* Answers one request; false to close the connection. */
static bool serve_one(int fd, const char *head, const char *body, size_t blen)
{
	char path[256], extra[256];
	const char *sp = strchr(head, ' ');

	if (!sp || sscanf(sp + 1, "%255s", path) != 1)
		return false;
	if (strcmp(path, "/ok") == 0)
		return respond(fd, 200, "", "application/json", "{\"ok\": true}", 12);
	if (strcmp(path, "/big") == 0)
		return serve_big(fd);
	if (strcmp(path, "/redir") == 0) {
		snprintf(extra, sizeof extra, "Location: http://localhost:%d/ok\r\n", srv_port);
		return respond(fd, 302, extra, "text/plain", "moved", 5);
	}
	if (strcmp(path, "/rel") == 0)
		return respond(fd, 301, "Location: /ok?x=1\r\n", "text/plain", "moved", 5);
	if (strcmp(path, "/slow") == 0) {
		sleep(3);
		respond(fd, 200, "", "text/plain", "late", 4);
		return false;
	}
	if (strcmp(path, "/close") == 0) {
		static const char h[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";

		write_all(fd, h, sizeof h - 1);
		return false;
	}
	if (strncmp(path, "/echo", 5) == 0)
		return serve_echo(fd, head, body, blen);
	return respond(fd, 404, "", "text/plain", "no such path", 12);
}

static void serve_conn(int fd)
{
	static char buf[1 << 16];
	size_t have = 0;

	for (;;) {
		char *end, cl[32];
		size_t hlen;
		uint64_t blen = 0;
		ssize_t r;

		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end) {
			if (have >= sizeof buf - 1)
				return;
			r = read(fd, buf + have, sizeof buf - 1 - have);
			if (r <= 0)
				return;
			have += (size_t)r;
			continue;
		}
		end[2] = '\0';
		hlen = (size_t)(end - buf) + 4;
		head_value(buf, "content-length", cl, sizeof cl);
		if (cl[0] && (!vg_str_u64(cl, sizeof buf - hlen - 1, &blen)))
			return;
		while (have < hlen + blen) {
			r = read(fd, buf + have, sizeof buf - 1 - have);
			if (r <= 0)
				return;
			have += (size_t)r;
		}
		if (!serve_one(fd, buf, buf + hlen, (size_t)blen))
			return;
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;
	}
}

static void serve_forever(int lfd)
{
	setpgid(0, 0);
	alarm(30);                /* gone even if the run dies before "server down" */
	signal(SIGCHLD, SIG_IGN); /* connection children reap themselves */
	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			continue;
		if (fork() == 0) {
			close(lfd);
			serve_conn(c);
			close(c);
			_exit(0);
		}
		close(c);
	}
}

static int listen_loopback(int backlog, int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, backlog) != 0 || getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void server_up(void)
{
	int lfd;

	if (srv_pid > 0)
		return;
	lfd = listen_loopback(64, &srv_port);
	CU_ASSERT_FATAL(lfd >= 0);
	snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", srv_port);
	fflush(NULL);
	srv_pid = fork();
	CU_ASSERT_FATAL(srv_pid >= 0);
	if (srv_pid == 0)
		serve_forever(lfd);
	setpgid(srv_pid, srv_pid);
	close(lfd);
}

/* ---- helpers for the tests ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *url(const char *path)
{
	static char u[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(u[i], sizeof u[i], "%s%s", base_url, path);
	return u[i];
}

static int fetch(const char *path, struct vg_http_resp *out)
{
	struct vg_http_req req = {.url = url(path)};
	struct vg_err err;

	return vg_http_fetch(&req, out, &err);
}

/* ---- tests ---- */

static void test_memory_body(void)
{
	struct vg_http_resp r;

	server_up();
	CU_ASSERT_EQUAL_FATAL(fetch("/ok", &r), VG_OK);
	CU_ASSERT_EQUAL(r.curl_code, 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_TRUE(r.maybe_sent);
	CU_ASSERT_EQUAL(r.body_len, 12);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"ok\": true}");
	CU_ASSERT_STRING_EQUAL(r.content_type, "application/json");
	CU_ASSERT_EQUAL(r.content_length, 12);
	CU_ASSERT_PTR_NULL(r.location);
	CU_ASSERT_STRING_EQUAL(r.sink_sha256, "");
	CU_ASSERT_TRUE(r.total_s > 0 && r.total_s < 5);
	vg_http_resp_free(&r);

	CU_ASSERT_EQUAL_FATAL(fetch("/nothing-here", &r), VG_OK); /* any status is a response */
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_STRING_EQUAL(r.body, "no such path");
	vg_http_resp_free(&r);

	CU_ASSERT_EQUAL_FATAL(fetch("/big", &r), VG_OK);
	CU_ASSERT_EQUAL(r.body_len, BIG_SIZE);
	CU_ASSERT_EQUAL(r.content_length, BIG_SIZE);
	CU_ASSERT_TRUE(r.body && r.body[0] == big_byte(0) &&
	               r.body[BIG_SIZE - 1] == big_byte(BIG_SIZE - 1));
	vg_http_resp_free(&r);
	CU_ASSERT_PTR_NULL(r.body);
}

static void big_sha256(char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *b = malloc(BIG_SIZE);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	for (size_t i = 0; i < BIG_SIZE; i++)
		b[i] = big_byte(i);
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, b, BIG_SIZE);
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	free(b);
	vg_str_hex(md, sizeof md, hex);
}

static void test_sink(void)
{
	char dir[] = "/tmp/vg-t-http-XXXXXX", path[96], want[65], got[65];
	struct vg_http_req req = {0};
	struct vg_http_resp r;
	struct vg_err err;
	struct stat st;
	uint64_t size = 0;

	server_up();
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/clip.part", dir);
	req.url = url("/big");
	req.sink_path = path;
	req.max_body = 1024; /* the cap is for memory only: a sunk body may be larger */
	CU_ASSERT_EQUAL_FATAL(vg_http_fetch(&req, &r, &err), VG_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NULL(r.body);
	CU_ASSERT_EQUAL(r.sink_bytes, BIG_SIZE);
	big_sha256(want);
	CU_ASSERT_STRING_EQUAL(r.sink_sha256, want);
	CU_ASSERT_EQUAL(vg_storage_file_sha256(path, got, &size, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(got, want);
	CU_ASSERT_EQUAL(size, BIG_SIZE);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	mode_t mask = umask(0);

	umask(mask);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640 & ~mask);
	vg_http_resp_free(&r);

	/* An error answer goes to memory, for its message; the file is left empty. */
	req.url = url("/missing");
	CU_ASSERT_EQUAL_FATAL(vg_http_fetch(&req, &r, &err), VG_OK);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_STRING_EQUAL(r.body, "no such path");
	CU_ASSERT_EQUAL(r.sink_bytes, 0);
	CU_ASSERT_STRING_EQUAL(r.sink_sha256, "");
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 0);
	vg_http_resp_free(&r);

	/* A sink that cannot be created fails at once, with the path in the message. */
	snprintf(path, sizeof path, "%s/no/such/dir/x", dir);
	CU_ASSERT_NOT_EQUAL(vg_http_fetch(&req, &r, &err), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no/such/dir"));
	vg_http_resp_free(&r);

	snprintf(path, sizeof path, "%s/clip.part", dir);
	unlink(path);
	rmdir(dir);
}

static void test_redirect(void)
{
	struct vg_http_resp r;
	char want[128];

	server_up();
	CU_ASSERT_EQUAL_FATAL(fetch("/redir", &r), VG_OK);
	CU_ASSERT_EQUAL(r.status, 302); /* not followed */
	snprintf(want, sizeof want, "http://localhost:%d/ok", srv_port);
	CU_ASSERT_STRING_EQUAL(r.location, want);
	CU_ASSERT_STRING_EQUAL(r.body, "moved");
	vg_http_resp_free(&r);
	CU_ASSERT_PTR_NULL(r.location);

	/* A relative Location comes back absolute. */
	CU_ASSERT_EQUAL_FATAL(fetch("/rel", &r), VG_OK);
	CU_ASSERT_EQUAL(r.status, 301);
	snprintf(want, sizeof want, "%s/ok?x=1", base_url);
	CU_ASSERT_STRING_EQUAL(r.location, want);
	vg_http_resp_free(&r);

	CU_ASSERT_EQUAL_FATAL(fetch("/ok", &r), VG_OK);
	CU_ASSERT_PTR_NULL(r.location); /* only for 3xx */
	vg_http_resp_free(&r);
}

static void test_max_body(void)
{
	struct vg_http_req req = {.max_body = 1 << 20};
	struct vg_http_resp r;
	struct vg_err err;

	server_up();
	req.url = url("/big");
	CU_ASSERT_NOT_EQUAL(vg_http_fetch(&req, &r, &err), VG_OK);
	CU_ASSERT_EQUAL(r.curl_code, CURLE_WRITE_ERROR);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_TRUE(r.maybe_sent);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "larger than 1048576 bytes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "larger than 1048576 bytes"));
	CU_ASSERT_TRUE(r.body_len <= (size_t)1 << 20);
	vg_http_resp_free(&r);

	/* Exactly at the cap is fine. */
	req.url = url("/ok");
	req.max_body = 12;
	CU_ASSERT_EQUAL(vg_http_fetch(&req, &r, &err), VG_OK);
	CU_ASSERT_EQUAL(r.body_len, 12);
	vg_http_resp_free(&r);
	req.max_body = 11;
	CU_ASSERT_NOT_EQUAL(vg_http_fetch(&req, &r, &err), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "larger than 11 bytes"));
	vg_http_resp_free(&r);
}

static void test_timeout(void)
{
	struct vg_http_req req = {.timeout_ms = 500};
	struct vg_http_resp r;
	struct vg_err err;
	double t0;

	server_up();
	req.url = url("/slow");
	t0 = now_s();
	CU_ASSERT_EQUAL(vg_http_fetch(&req, &r, &err), VG_ETIMEOUT);
	CU_ASSERT_TRUE(now_s() - t0 < 2.0);
	CU_ASSERT_EQUAL(r.curl_code, CURLE_OPERATION_TIMEDOUT);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_TRUE(r.maybe_sent); /* the request went out: it may have been billed */
	CU_ASSERT_NOT_EQUAL(r.error[0], '\0');
	vg_http_resp_free(&r);
}

static void test_truncated(void)
{
	struct vg_http_resp r;

	server_up();
	CU_ASSERT_NOT_EQUAL(fetch("/close", &r), VG_OK);
	CU_ASSERT_EQUAL(r.curl_code, CURLE_PARTIAL_FILE);
	CU_ASSERT_TRUE(r.maybe_sent);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(r.content_length, 1000);
	CU_ASSERT_NOT_EQUAL(r.error[0], '\0');
	vg_http_resp_free(&r);
}

static void test_refused(void)
{
	struct vg_http_req req = {0};
	struct vg_http_resp r;
	struct vg_err err;
	char u[64];
	int port = 0, fd = listen_loopback(1, &port);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd); /* nobody listens there now */
	snprintf(u, sizeof u, "http://127.0.0.1:%d/ok", port);
	req.url = u;
	req.method = "POST";
	req.body = "{}";
	req.body_len = 2;
	CU_ASSERT_EQUAL(vg_http_fetch(&req, &r, &err), VG_EUNAVAIL);
	CU_ASSERT_EQUAL(r.curl_code, CURLE_COULDNT_CONNECT);
	CU_ASSERT_FALSE(r.maybe_sent); /* safe to resend */
	CU_ASSERT_EQUAL(r.status, 0);
	vg_http_resp_free(&r);
}

/* A connect that times out never sent anything: a listener whose accept queue is full
 * drops further SYNs. */
static void test_connect_timeout(void)
{
	struct vg_http_req req = {.connect_timeout_ms = 300};
	struct vg_http_resp r;
	struct vg_err err;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char u[64];
	int port = 0, lfd = listen_loopback(0, &port), filler[3];

	CU_ASSERT_FATAL(lfd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	for (int i = 0; i < 3; i++) {
		filler[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		connect(filler[i], (struct sockaddr *)&sa, sizeof sa);
	}
	usleep(50000);
	snprintf(u, sizeof u, "http://127.0.0.1:%d/ok", port);
	req.url = u;
	CU_ASSERT_EQUAL(vg_http_fetch(&req, &r, &err), VG_ETIMEOUT);
	CU_ASSERT_EQUAL(r.curl_code, CURLE_OPERATION_TIMEDOUT);
	CU_ASSERT_FALSE(r.maybe_sent);
	vg_http_resp_free(&r);
	for (int i = 0; i < 3; i++)
		close(filler[i]);
	close(lfd);
}

static void test_echo_post(void)
{
	static const char body[] = "a\0b{\"k\": 1}";
	struct vg_http_req req = {.method = "POST", .headers = {"x-test: hello", "Accept: */*"}};
	struct vg_http_resp r;
	struct vg_err err;
	char want[128];

	server_up();
	req.url = url("/echo");
	req.body = body;
	req.body_len = sizeof body - 1; /* with a NUL inside: copied whole */
	CU_ASSERT_EQUAL_FATAL(vg_http_fetch(&req, &r, &err), VG_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	snprintf(want, sizeof want,
	         "x-test=hello\nua=veogen/%s\nmethod=POST\nbody=", PACKAGE_VERSION);
	CU_ASSERT_EQUAL_FATAL(r.body_len, strlen(want) + sizeof body - 1);
	CU_ASSERT_EQUAL(memcmp(r.body, want, strlen(want)), 0);
	CU_ASSERT_EQUAL(memcmp(r.body + strlen(want), body, sizeof body - 1), 0);
	vg_http_resp_free(&r);

	/* A header with a line break could smuggle another header: refused. */
	req.headers[0] = "x-test: a\r\nx-evil: 1";
	CU_ASSERT_EQUAL(vg_http_fetch(&req, &r, &err), VG_EINTERNAL);
	vg_http_resp_free(&r);
}

/* ctx holds the transfer's number; it becomes -1 - number when the echo matches. */
static void many_done(void *ctx, struct vg_http_resp *resp)
{
	int *seen = ctx;
	char want[32];

	snprintf(want, sizeof want, "x-test=%d\n", *seen);
	if (resp->status == 200 && resp->body && strncmp(resp->body, want, strlen(want)) == 0)
		*seen = -1 - *seen;
}

static void test_concurrent(void)
{
	struct vg_http *h = vg_http_new(8);
	struct vg_http_req req = {0};
	struct vg_err err;
	int seen[50];
	char hdr[50][32];
	double t0 = now_s();
	int done = 0;

	server_up();
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	req.url = url("/echo");
	for (int i = 0; i < 50; i++) {
		seen[i] = i;
		snprintf(hdr[i], sizeof hdr[i], "x-test: %d", i);
		req.headers[0] = hdr[i];
		CU_ASSERT_EQUAL(vg_http_start(h, &req, many_done, &seen[i], &err), VG_OK);
	}
	CU_ASSERT_EQUAL(vg_http_in_flight(h), 50);
	while (vg_http_run(h, -1, 200) > 0 && now_s() - t0 < 5)
		;
	CU_ASSERT_EQUAL(vg_http_in_flight(h), 0);
	for (int i = 0; i < 50; i++)
		done += seen[i] == -1 - i;
	CU_ASSERT_EQUAL(done, 50);
	vg_http_free(h);
}

struct chain {
	struct vg_http *h;
	int first, second;
	char body[64];
};

static void chain_second(void *ctx, struct vg_http_resp *resp)
{
	struct chain *c = ctx;

	c->second = (int)resp->status;
	/* Steal the body: it is ours to free now. */
	if (resp->body) {
		vg_strlcpy(c->body, resp->body, sizeof c->body);
		free(resp->body);
		resp->body = NULL;
	}
}

static void chain_first(void *ctx, struct vg_http_resp *resp)
{
	struct chain *c = ctx;
	struct vg_http_req req = {.headers = {"x-test: second"}};
	struct vg_err err;

	c->first = (int)resp->status;
	req.url = url("/echo");
	if (vg_http_start(c->h, &req, chain_second, c, &err) != VG_OK)
		c->first = -1;
}

static void test_callback_starts(void)
{
	struct chain c = {0};
	struct vg_http_req req = {0};
	struct vg_err err;
	double t0 = now_s();

	server_up();
	c.h = vg_http_new(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.h);
	req.url = url("/ok");
	CU_ASSERT_EQUAL_FATAL(vg_http_start(c.h, &req, chain_first, &c, &err), VG_OK);
	while (vg_http_run(c.h, -1, 200) > 0 && now_s() - t0 < 5)
		;
	CU_ASSERT_EQUAL(c.first, 200);
	CU_ASSERT_EQUAL(c.second, 200);
	CU_ASSERT_EQUAL(strncmp(c.body, "x-test=second\n", 14), 0);
	vg_http_free(c.h);
}

static int abort_calls;

static void count_done(void *ctx, struct vg_http_resp *resp)
{
	(void)ctx;
	(void)resp;
	abort_calls++;
}

/* The extra fd wakes the loop; freeing with transfers in flight calls no callback. */
static void test_wake_and_abort(void)
{
	struct vg_http *h = vg_http_new(2);
	struct vg_http_req req = {0};
	struct vg_err err;
	int p[2];
	double t0;

	server_up();
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	CU_ASSERT_EQUAL(write(p[1], "x", 1), 1);
	t0 = now_s();
	CU_ASSERT_EQUAL(vg_http_run(h, p[0], 3000), 0);
	CU_ASSERT_TRUE(now_s() - t0 < 1.0);

	req.url = url("/slow");
	CU_ASSERT_EQUAL(vg_http_start(h, &req, count_done, NULL, &err), VG_OK);
	req.url = url("/ok");
	CU_ASSERT_EQUAL(vg_http_start(h, &req, count_done, NULL, &err), VG_OK);
	vg_http_run(h, -1, 50);
	vg_http_run(h, -1, 50);
	CU_ASSERT_TRUE(vg_http_in_flight(h) >= 1);
	abort_calls = 0;
	vg_http_free(h);
	CU_ASSERT_EQUAL(abort_calls, 0);
	close(p[0]);
	close(p[1]);

	/* Bad input is refused at start. */
	h = vg_http_new(1);
	req.url = url("/ok");
	req.method = "GE T";
	CU_ASSERT_EQUAL(vg_http_start(h, &req, count_done, NULL, &err), VG_EINTERNAL);
	req.method = NULL;
	req.url = NULL;
	CU_ASSERT_EQUAL(vg_http_start(h, &req, count_done, NULL, &err), VG_EINTERNAL);
	CU_ASSERT_EQUAL(vg_http_in_flight(h), 0);
	vg_http_free(h);
}

static void test_same_origin(void)
{
	CU_ASSERT_TRUE(vg_http_same_origin("http://a:80/x", "http://a/y"));
	CU_ASSERT_TRUE(vg_http_same_origin("https://a/x", "https://a:443/y?q=1"));
	CU_ASSERT_TRUE(vg_http_same_origin("https://Example.COM/x", "https://example.com/"));
	CU_ASSERT_TRUE(vg_http_same_origin("HTTPS://example.com/x", "https://example.com/"));
	CU_ASSERT_FALSE(vg_http_same_origin("http://a:8080/x", "http://a/x"));
	CU_ASSERT_FALSE(vg_http_same_origin("https://a/x", "http://a/x"));
	CU_ASSERT_FALSE(vg_http_same_origin("https://a:443/x", "http://a:443/x"));
	CU_ASSERT_FALSE(vg_http_same_origin("https://a.example/x", "https://b.example/x"));
	CU_ASSERT_FALSE(vg_http_same_origin("https://a.example/x", "/relative"));
	CU_ASSERT_FALSE(vg_http_same_origin("https://a.example/x", NULL));
	CU_ASSERT_FALSE(vg_http_same_origin("not a url", "not a url"));
}

static void test_escape(void)
{
	char *e = vg_http_escape("a b/c?d=é&x");

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e, "a%20b%2Fc%3Fd%3D%C3%A9%26x");
	free(e);
	e = vg_http_escape("AZaz09-._~");
	CU_ASSERT_STRING_EQUAL(e, "AZaz09-._~");
	free(e);
	e = vg_http_escape("");
	CU_ASSERT_STRING_EQUAL(e, "");
	free(e);
	CU_ASSERT_PTR_NULL(vg_http_escape(NULL));
}

static void test_server_down(void)
{
	int status = 0;

	if (srv_pid <= 0)
		return;
	kill(-srv_pid, SIGKILL); /* the server and its connection children */
	CU_ASSERT_EQUAL(waitpid(srv_pid, &status, 0), srv_pid);
	CU_ASSERT_TRUE(WIFSIGNALED(status));
	srv_pid = -1;
}

void t_http_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"memory body", test_memory_body},
	    {"sink file and sha256", test_sink},
	    {"redirect not followed", test_redirect},
	    {"max body", test_max_body},
	    {"timeout", test_timeout},
	    {"truncated body", test_truncated},
	    {"connect refused", test_refused},
	    {"connect timeout", test_connect_timeout},
	    {"post echo", test_echo_post},
	    {"50 concurrent", test_concurrent},
	    {"callback starts a transfer", test_callback_starts},
	    {"wake and abort", test_wake_and_abort},
	    {"same origin", test_same_origin},
	    {"escape", test_escape},
	    {"server down", test_server_down},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("http", tests);
}
