/* vg_webhook: the Standard Webhooks signature (the specification's vector and one computed
 * here with OpenSSL's HMAC), new secrets, the retry delays, and delivery against a tiny HTTP
 * server forked on 127.0.0.1: allowed only when webhooks.allow_networks allows loopback,
 * refused otherwise for an address and for a host name resolved at connect, redirects not
 * followed, the timeout.  With VG_TEST_CONNINFO also the SQL triggers that queue events,
 * the per-user secret and the body. */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"
#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_metrics.h"
#include "vg_migrate.h"
#include "vg_webhook.h"

static struct vg_arena *a;

static struct vg_arena *arena(void)
{
	if (!a)
		a = vg_arena_create(8192);
	vg_arena_reset(a);
	return a;
}

/* ---------------------------------------------------------------- signing */

/* The example of the Standard Webhooks specification (standard-webhooks/standard-webhooks,
 * spec/standard-webhooks.md). */
static void test_sign_spec_vector(void)
{
	const char *body = "{\"test\": 2432232314}";
	char *sig = vg_webhook_sign(arena(), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
	                            strlen(body), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
	CU_ASSERT_STRING_EQUAL(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/* "v1," + base64(HMAC-SHA256(base64-decoded key, id.ts.body)), computed here. */
static void expected_sig(const char *b64key, const char *signed_text, char out[64])
{
	unsigned char key[64], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t len = strlen(b64key);
	int n = EVP_DecodeBlock(key, (const unsigned char *)b64key, (int)len);

	n -= (b64key[len - 1] == '=') + (b64key[len - 2] == '='); /* DecodeBlock keeps padding */
	CU_ASSERT_TRUE_FATAL(n > 0);
	HMAC(EVP_sha256(), key, n, (const unsigned char *)signed_text, strlen(signed_text), mac,
	     &mac_len);
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)mac_len);
}

static void test_sign_matches_hmac(void)
{
	const char *cur = "whsec_G5ttYLdsAArxt5Y9SWSkETef5TIIFx/9D5jvwRJgDts=";
	const char *prev = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	const char *body = "{\"type\":\"started\",\"data\":{\"x\":\"é\"}}";
	char e1[64], e2[64], both[160];
	char *sig;

	expected_sig(cur + 6, "msg_1.1700000000.{\"type\":\"started\",\"data\":{\"x\":\"é\"}}", e1);
	expected_sig(prev + 6, "msg_1.1700000000.{\"type\":\"started\",\"data\":{\"x\":\"é\"}}",
	             e2);
	sig = vg_webhook_sign(arena(), "msg_1", 1700000000, body, strlen(body), cur, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
	CU_ASSERT_STRING_EQUAL(sig, e1);
	/* after a rotation: new first, then previous, space separated */
	snprintf(both, sizeof both, "%s %s", e1, e2);
	sig = vg_webhook_sign(arena(), "msg_1", 1700000000, body, strlen(body), cur, prev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sig);
	CU_ASSERT_STRING_EQUAL(sig, both);
	/* the timestamp and the id are signed */
	sig = vg_webhook_sign(arena(), "msg_1", 1700000001, body, strlen(body), cur, NULL);
	CU_ASSERT_STRING_NOT_EQUAL(sig, e1);
	sig = vg_webhook_sign(arena(), "msg_2", 1700000000, body, strlen(body), cur, NULL);
	CU_ASSERT_STRING_NOT_EQUAL(sig, e1);
	/* malformed secrets sign nothing */
	CU_ASSERT_PTR_NULL(vg_webhook_sign(arena(), "m", 1, "{}", 2, "G5ttYLdsAArx", NULL));
	CU_ASSERT_PTR_NULL(vg_webhook_sign(arena(), "m", 1, "{}", 2, "whsec_", NULL));
	CU_ASSERT_PTR_NULL(vg_webhook_sign(arena(), "m", 1, "{}", 2, "whsec_abc", NULL));
	CU_ASSERT_PTR_NULL(vg_webhook_sign(arena(), "m", 1, "{}", 2, "whsec_!!!!", NULL));
	CU_ASSERT_PTR_NULL(vg_webhook_sign(arena(), "m", 1, "{}", 2, cur, "whsec_x"));
}

static void test_secret_new(void)
{
	char s1[VG_WEBHOOK_SECRET_MAX], s2[VG_WEBHOOK_SECRET_MAX];
	unsigned char raw[48];

	CU_ASSERT_EQUAL(vg_webhook_secret_new(s1), 0);
	CU_ASSERT_EQUAL(vg_webhook_secret_new(s2), 0);
	CU_ASSERT_EQUAL(strncmp(s1, "whsec_", 6), 0);
	CU_ASSERT_EQUAL(strlen(s1), 6 + 44);
	CU_ASSERT_STRING_NOT_EQUAL(s1, s2);
	CU_ASSERT_EQUAL(EVP_DecodeBlock(raw, (const unsigned char *)s1 + 6, 44), 33);
	CU_ASSERT_EQUAL(s1[6 + 43], '='); /* 32 bytes: one padding character */
	CU_ASSERT_PTR_NOT_NULL(vg_webhook_sign(arena(), "m", 1, "{}", 2, s1, s2));
}

static void test_retry_delay(void)
{
	/* min(base * 4^(n-1), max), +-10 % */
	CU_ASSERT_EQUAL(vg_webhook_retry_delay_ms(1, 5000, 3600000, 0.5), 5000);
	CU_ASSERT_EQUAL(vg_webhook_retry_delay_ms(2, 5000, 3600000, 0.5), 20000);
	CU_ASSERT_EQUAL(vg_webhook_retry_delay_ms(3, 5000, 3600000, 0.5), 80000);
	CU_ASSERT_EQUAL(vg_webhook_retry_delay_ms(1, 5000, 3600000, 0.0), 4500);
	CU_ASSERT_EQUAL(vg_webhook_retry_delay_ms(1, 5000, 3600000, 1.0), 5500);
	CU_ASSERT_EQUAL(vg_webhook_retry_delay_ms(7, 5000, 3600000, 0.5), 3600000);
	CU_ASSERT_EQUAL(vg_webhook_retry_delay_ms(1000, 5000, 3600000, 0.5), 3600000);
	CU_ASSERT_EQUAL(vg_webhook_retry_delay_ms(2, 10, 20, 0.5), 20);
	CU_ASSERT_TRUE(vg_webhook_retry_delay_ms(1, 10, 20, 0.0) >= 9);
}

/* veogen_webhook_deliveries_total{result}: every outcome, unknown ones not counted. */
static void test_metrics(void)
{
	const char *results[] = {"delivered", "retry", "retry", "failed", "refused", "bogus"};
	struct vg_err err;
	struct vg_buf b;
	const char *text;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_metrics_init_anon(&err), VG_OK);
	for (size_t i = 0; i < sizeof results / sizeof *results; i++)
		vg_metrics_webhook(results[i]);
	vg_buf_init(&b, 1 << 22);
	CU_ASSERT_EQUAL(vg_metrics_render(&b, NULL, 0, NULL), VG_OK);
	text = vg_buf_str(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "# TYPE veogen_webhook_deliveries_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(text, "\nveogen_webhook_deliveries_total{result=\"delivered\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(text, "\nveogen_webhook_deliveries_total{result=\"retry\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(text, "\nveogen_webhook_deliveries_total{result=\"failed\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(text, "\nveogen_webhook_deliveries_total{result=\"refused\"} 1\n"));
	CU_ASSERT_PTR_NULL(strstr(text, "bogus"));
	vg_buf_free(&b);
	vg_metrics_detach();
}

/* ---------------------------------------------------------------- delivery */

/* A one-shot HTTP server in a child process: accepts up to max connections, appends every
 * request it reads to log, answers with `answer` (or, when NULL, holds the connection
 * without answering). */
struct server {
	pid_t pid;
	int port;
	char log[64];
};

static bool read_request(int c, FILE *log)
{
	char buf[65536];
	size_t n = 0;
	long body = -1;
	char *hdr_end = NULL;

	while (n < sizeof buf - 1) {
		ssize_t got = read(c, buf + n, sizeof buf - 1 - n);

		if (got <= 0)
			break;
		n += (size_t)got;
		buf[n] = '\0';
		if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(buf, "\r\ncontent-length:");

			body = cl ? strtol(cl + 17, NULL, 10) : 0;
		}
		if (hdr_end && (long)(n - (size_t)(hdr_end + 4 - buf)) >= body)
			break;
	}
	fwrite(buf, 1, n, log);
	fputs("\n--end--\n", log);
	fflush(log);
	return hdr_end != NULL;
}

static void server_start(struct server *s, const char *answer, int max)
{
	struct sockaddr_in in;
	socklen_t len = sizeof in;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&in, 0, sizeof in);
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_TRUE_FATAL(bind(fd, (struct sockaddr *)&in, sizeof in) == 0);
	CU_ASSERT_TRUE_FATAL(listen(fd, 8) == 0);
	CU_ASSERT_TRUE_FATAL(getsockname(fd, (struct sockaddr *)&in, &len) == 0);
	s->port = ntohs(in.sin_port);
	snprintf(s->log, sizeof s->log, "/tmp/vg-t-webhook-%ld.log", (long)getpid());
	unlink(s->log);
	fflush(NULL);
	s->pid = fork();
	CU_ASSERT_TRUE_FATAL(s->pid >= 0);
	if (s->pid == 0) {
		FILE *log = fopen(s->log, "w");

		if (!log)
			_exit(1);
		for (int i = 0; i < max; i++) {
			int c = accept(fd, NULL, NULL);

			if (c < 0)
				_exit(1);
			if (read_request(c, log) && answer &&
			    write(c, answer, strlen(answer)) != (ssize_t)strlen(answer))
				_exit(1);
			if (!answer)
				sleep(10);
			close(c);
		}
		_exit(0);
	}
	close(fd);
}

/* Stops the server; returns what it logged (arena) and how many requests. */
static char *server_stop(struct server *s, int *requests)
{
	FILE *f;
	char *text = vg_arena_zalloc(a, 65536 * 2);
	size_t n = 0;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	*requests = 0;
	if ((f = fopen(s->log, "r"))) {
		n = fread(text, 1, 65536 * 2 - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	for (const char *p = text; (p = strstr(p, "--end--")); p += 7)
		(*requests)++;
	unlink(s->log);
	return text;
}

static struct vg_conf conf_with(const char *allow, int timeout_s)
{
	struct vg_conf c;

	vg_conf_defaults(&c);
	free(c.webhooks_allow_networks);
	c.webhooks_allow_networks = vg_xstrdup(allow);
	c.webhooks_timeout_s = timeout_s;
	return c;
}

static int post(const struct vg_conf *c, const char *url, struct vg_webhook_result *res)
{
	const char *body = "{\"type\":\"succeeded\",\"object\":\"video\"}";
	struct vg_err err;

	vg_err_clear(&err);
	return vg_webhook_post(c, url, "msg_abc", 1700000000, "v1,c2lnbmF0dXJl", body, strlen(body),
	                       res, &err);
}

static void test_post_allowed(void)
{
	struct vg_conf c = conf_with("127.0.0.0/8", 5);
	struct vg_webhook_result res;
	struct server s;
	char url[64], *log;
	int n;

	arena();
	server_start(&s, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 1);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook?x=1", s.port);
	CU_ASSERT_EQUAL(post(&c, url, &res), VG_OK);
	log = server_stop(&s, &n);
	CU_ASSERT_EQUAL(res.status, 204);
	CU_ASSERT_FALSE(res.refused);
	CU_ASSERT_STRING_EQUAL(res.error, "");
	CU_ASSERT_STRING_EQUAL(res.address, "127.0.0.1");
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "POST /hook?x=1 HTTP/1.1\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strcasestr(log, "\r\nContent-Type: application/json\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strcasestr(log, "\r\nUser-Agent: veogen-webhooks/" PACKAGE_VERSION));
	CU_ASSERT_PTR_NOT_NULL(strcasestr(log, "\r\nwebhook-id: msg_abc\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strcasestr(log, "\r\nwebhook-timestamp: 1700000000\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strcasestr(log, "\r\nwebhook-signature: v1,c2lnbmF0dXJl\r\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(log, "\r\n\r\n{\"type\":\"succeeded\",\"object\":\"video\"}"));
	CU_ASSERT_PTR_NULL(strcasestr(log, "\r\nExpect:"));
	vg_conf_free(&c);
}

static void expect_refused(const char *allow, const char *host)
{
	struct vg_conf c = conf_with(allow, 5);
	struct vg_webhook_result res;
	struct server s;
	char url[96];
	int n;

	arena();
	server_start(&s, "HTTP/1.1 204 No Content\r\n\r\n", 1);
	snprintf(url, sizeof url, "http://%s:%d/hook", host, s.port);
	CU_ASSERT_EQUAL(post(&c, url, &res), VG_OK);
	server_stop(&s, &n);
	CU_ASSERT_EQUAL(n, 0); /* never connected */
	CU_ASSERT_TRUE(res.refused);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "refused: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "is a loopback address (allow it with "
	                                         "webhooks.allow_networks)"));
	CU_ASSERT_TRUE(strcmp(res.address, "127.0.0.1") == 0 || strcmp(res.address, "::1") == 0);
	if (!res.refused)
		fprintf(stderr, "\n%s with allow \"%s\": %s\n", url, allow, res.error);
	vg_conf_free(&c);
}

static void test_post_refused(void)
{
	expect_refused("", "127.0.0.1");
	expect_refused("10.0.0.0/8, fd00::/8", "127.0.0.1");
	/* a host name: the check is on the address connected to, after resolution */
	expect_refused("", "localhost");
	expect_refused("192.168.0.0/16", "localhost");
}

static void test_post_no_redirect(void)
{
	struct vg_conf c = conf_with("127.0.0.0/8", 5);
	struct vg_webhook_result res;
	struct server s;
	char url[64];
	int n;

	arena();
	server_start(&s, "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
	             2);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", s.port);
	CU_ASSERT_EQUAL(post(&c, url, &res), VG_OK);
	server_stop(&s, &n);
	CU_ASSERT_EQUAL(n, 1); /* /elsewhere was never asked for */
	CU_ASSERT_EQUAL(res.status, 302);
	CU_ASSERT_FALSE(res.refused);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "redirects are not followed"));
	vg_conf_free(&c);
}

static void test_post_errors(void)
{
	struct vg_conf c = conf_with("127.0.0.0/8", 1);
	struct vg_webhook_result res;
	struct server s;
	char url[64];
	int n;

	arena();
	server_start(&s, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nno\n", 1);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
	CU_ASSERT_EQUAL(post(&c, url, &res), VG_OK);
	server_stop(&s, &n);
	CU_ASSERT_EQUAL(res.status, 500);
	CU_ASSERT_STRING_EQUAL(res.error, "the receiver answered 500");

	/* no answer within webhooks.timeout_s */
	server_start(&s, NULL, 1);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
	CU_ASSERT_EQUAL(post(&c, url, &res), VG_OK);
	server_stop(&s, &n);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_FALSE(res.refused);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "no answer within 1 s (webhooks.timeout_s)"));
	CU_ASSERT_TRUE(res.duration_ms >= 900 && res.duration_ms < 5000);

	/* other schemes never go out */
	CU_ASSERT_EQUAL(post(&c, "ftp://127.0.0.1/x", &res), VG_OK);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "http:// and https://"));
	CU_ASSERT_EQUAL(post(&c, "file:///etc/passwd", &res), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.error, "http:// and https://"));
	vg_conf_free(&c);
}

/* ---------------------------------------------------------------- with a database */

static const char *admin_conninfo;
static char db_name[64];
static struct vg_db *db;
static struct vg_err err;

static bool admin_exec(const char *sql)
{
	return vg_test_pg_exec(admin_conninfo, sql);
}

/* One row of one statement (params as VG_DB_P), or NULL. */
#define Q(sql, ...) vg_db_q(db, a, &err, sql, __VA_ARGS__)
#define Q0(sql)     vg_db_q0(db, a, &err, sql)

static const char *val(PGresult *r, const char *col)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(PQntuples(r), 1);
	return vg_db_get(r, 0, col);
}

static long long events(const char *target, const char *type)
{
	return vg_db_get_ll(Q("SELECT count(*) AS n FROM webhook_events WHERE target_id = $1 "
	                      "AND type = $2",
	                      target, type),
	                    0, "n", -1);
}

static void test_db_setup(void)
{
	char sql[128];
	int applied = 0;

	snprintf(db_name, sizeof db_name, "vg_unit_webhook_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0", db_name);
	CU_ASSERT_TRUE_FATAL(admin_exec(sql));
	arena();
	/* the last dbname of a key=value conninfo wins */
	db = vg_db_new(vg_arena_printf(a, "%s dbname=%s", admin_conninfo, db_name), "veogen-unit",
	               5000);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_migrate_run(db, VG_TOP_SRCDIR "/sql", &applied, &err), VG_OK);
}

static const char *new_user(void)
{
	return val(Q0("INSERT INTO users (email, password_hash) VALUES (gen_random_uuid() || "
	              "'@example.com', 'x') RETURNING id"),
	           "id");
}

static const char *new_video(const char *user, const char *url, const char *movie)
{
	return val(Q("INSERT INTO videos (user_id, prompt, duration_seconds, aspect_ratio, "
	             "resolution, provider, model, webhook_url, movie_id) VALUES ($1, 'p', 4, "
	             "'16:9', '720p', 'local', 'local-1', $2, $3) RETURNING id",
	             user, url, movie),
	           "id");
}

static void test_db_video_events(void)
{
	const char *u, *v, *plain;
	PGresult *r;

	arena();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	u = new_user();
	v = new_video(u, "https://hooks.example/v", NULL);
	plain = new_video(u, NULL, NULL);
	Q("UPDATE videos SET status = 'running', stage = 'submitting', started_at = now() "
	  "WHERE id IN ($1, $2)",
	  v, plain);
	CU_ASSERT_EQUAL(events(v, "started"), 1);
	/* the event and its job, in the same transaction */
	r = Q("SELECT e.user_id, e.target_type, e.url, e.state, e.snapshot->>'status' AS st, "
	      "e.snapshot->>'stage' AS stage, j.kind, j.priority, j.max_attempts, j.state AS "
	      "jstate, j.payload->>'event_id' = e.id::text AS linked FROM webhook_events e JOIN "
	      "jobs j ON j.id = e.job_id WHERE e.target_id = $1",
	      v);
	CU_ASSERT_STRING_EQUAL(val(r, "user_id"), u);
	CU_ASSERT_STRING_EQUAL(val(r, "target_type"), "video");
	CU_ASSERT_STRING_EQUAL(val(r, "url"), "https://hooks.example/v");
	CU_ASSERT_STRING_EQUAL(val(r, "state"), "pending");
	CU_ASSERT_STRING_EQUAL(val(r, "st"), "running");
	CU_ASSERT_STRING_EQUAL(val(r, "stage"), "submitting");
	CU_ASSERT_STRING_EQUAL(val(r, "kind"), "webhook");
	CU_ASSERT_STRING_EQUAL(val(r, "priority"), "50");
	CU_ASSERT_STRING_EQUAL(val(r, "max_attempts"), "5");
	CU_ASSERT_STRING_EQUAL(val(r, "jstate"), "queued");
	CU_ASSERT_STRING_EQUAL(val(r, "linked"), "t");

	/* progress: one event, then nothing for 5 seconds; other columns never count */
	Q("UPDATE videos SET progress = 10, stage = 'generating' WHERE id IN ($1, $2)", v, plain);
	Q("UPDATE videos SET progress = 20 WHERE id IN ($1, $2)", v, plain);
	Q("UPDATE videos SET stage = 'downloading' WHERE id = $1", v);
	CU_ASSERT_EQUAL(events(v, "progress"), 1);
	CU_ASSERT_STRING_EQUAL(val(Q("SELECT snapshot->>'progress' AS p FROM webhook_events "
	                             "WHERE target_id = $1 AND type = 'progress'",
	                             v),
	                           "p"),
	                       "10");
	Q("UPDATE videos SET webhook_progress_at = now() - interval '6 seconds' WHERE id = $1", v);
	Q("UPDATE videos SET progress = 30 WHERE id = $1", v);
	CU_ASSERT_EQUAL(events(v, "progress"), 2);

	/* a retry that runs again is not a second start */
	Q("UPDATE videos SET status = 'queued' WHERE id = $1", v);
	Q("UPDATE videos SET status = 'running' WHERE id = $1", v);
	CU_ASSERT_EQUAL(events(v, "started"), 1);

	Q("UPDATE videos SET status = 'succeeded', stage = 'done', progress = 100 WHERE id IN "
	  "($1, $2)",
	  v, plain);
	CU_ASSERT_EQUAL(events(v, "succeeded"), 1);
	CU_ASSERT_EQUAL(vg_db_get_ll(Q("SELECT count(*) AS n FROM webhook_events WHERE "
	                               "target_id = $1",
	                               plain),
	                             0, "n", -1),
	                0);
	/* an admin retry clears started_at: a new start is an event again */
	Q("UPDATE videos SET status = 'queued', started_at = NULL WHERE id = $1", v);
	Q("UPDATE videos SET status = 'running', started_at = now() WHERE id = $1", v);
	Q("UPDATE videos SET status = 'cancelled' WHERE id = $1", v);
	CU_ASSERT_EQUAL(events(v, "started"), 2);
	CU_ASSERT_EQUAL(events(v, "cancelled"), 1);
	CU_ASSERT_EQUAL(vg_db_get_ll(Q("SELECT count(*) AS n FROM jobs j JOIN webhook_events e "
	                               "ON e.job_id = j.id WHERE e.target_id = $1",
	                               v),
	                             0, "n", -1),
	                events(v, "started") + events(v, "progress") + events(v, "succeeded") +
	                    events(v, "cancelled"));
}

static void test_db_movie_events(void)
{
	const char *u, *m, *scene, *take;

	arena();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	u = new_user();
	m = val(Q("INSERT INTO movies (user_id, title, planner, style, scene_count, "
	          "scene_duration_seconds, aspect_ratio, resolution, provider, model, "
	          "webhook_url) VALUES ($1, 't', 'hand', 'cinematic', 1, 4, '16:9', '720p', "
	          "'local', 'local-1', 'https://hooks.example/m') RETURNING id",
	          u),
	        "id");
	scene = val(Q("INSERT INTO scenes (movie_id, position, prompt, duration_seconds) VALUES "
	              "($1, 1, 'p', 4) RETURNING id",
	              m),
	            "id");
	take = new_video(u, NULL, m);
	Q("UPDATE scenes SET video_id = $2 WHERE id = $1", scene, take);

	/* a take changing before the movie renders says nothing */
	Q("UPDATE videos SET progress = 5 WHERE id = $1", take);
	CU_ASSERT_EQUAL(events(m, "progress"), 0);
	Q("UPDATE movies SET status = 'rendering', stage = 'rendering scenes' WHERE id = $1", m);
	CU_ASSERT_EQUAL(events(m, "started"), 1);
	/* a scene take's progress is the movie's, throttled */
	Q("UPDATE videos SET status = 'running', progress = 50 WHERE id = $1", take);
	Q("UPDATE videos SET progress = 60 WHERE id = $1", take);
	CU_ASSERT_EQUAL(events(m, "progress"), 1);
	CU_ASSERT_EQUAL(events(take, "progress") + events(take, "started"), 0);
	CU_ASSERT_STRING_EQUAL(val(Q("SELECT snapshot->>'progress' AS p, snapshot->>'status' AS "
	                             "s FROM webhook_events WHERE target_id = $1 AND type = "
	                             "'progress'",
	                             m),
	                           "p"),
	                       "45"); /* 90 % of the take's 50 */
	Q("UPDATE movies SET webhook_progress_at = now() - interval '6 seconds' WHERE id = $1", m);
	Q("UPDATE videos SET status = 'succeeded', progress = 100 WHERE id = $1", take);
	CU_ASSERT_EQUAL(events(m, "progress"), 2);
	/* assembling: throttled as well, then counts from 90 */
	Q("UPDATE movies SET status = 'assembling', assembly_progress = 10 WHERE id = $1", m);
	CU_ASSERT_EQUAL(events(m, "progress"), 2);
	CU_ASSERT_EQUAL(events(m, "started"), 1);
	Q("UPDATE movies SET webhook_progress_at = NULL WHERE id = $1", m);
	Q("UPDATE movies SET assembly_progress = 50 WHERE id = $1", m);
	CU_ASSERT_EQUAL(events(m, "progress"), 3);
	CU_ASSERT_STRING_EQUAL(val(Q("SELECT snapshot->>'progress' AS p FROM webhook_events "
	                             "WHERE target_id = $1 AND type = 'progress' ORDER BY "
	                             "created_at DESC, snapshot->>'progress' DESC LIMIT 1",
	                             m),
	                           "p"),
	                       "95");
	Q("UPDATE movies SET status = 'succeeded' WHERE id = $1", m);
	CU_ASSERT_EQUAL(events(m, "succeeded"), 1);
	CU_ASSERT_STRING_EQUAL(val(Q("SELECT snapshot->>'progress' AS p FROM webhook_events "
	                             "WHERE target_id = $1 AND type = 'succeeded'",
	                             m),
	                           "p"),
	                       "100");
}

static void test_db_secret(void)
{
	const char *u, *first, *cur, *prev;
	json_t *o;

	arena();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	u = new_user();
	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_webhook_secret_get(db, a, u, false, &o, &err), VG_OK);
	first = json_string_value(json_object_get(o, "secret"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	CU_ASSERT_EQUAL(strncmp(first, "whsec_", 6), 0);
	CU_ASSERT_TRUE(json_is_string(json_object_get(o, "created_at")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(o, "previous_valid_until")));
	CU_ASSERT_EQUAL(vg_webhook_secret_get(db, a, u, false, &o, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "secret")), first);
	CU_ASSERT_EQUAL(vg_webhook_secrets_for_signing(db, a, u, &cur, &prev, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(cur, first);
	CU_ASSERT_PTR_NULL(prev);

	CU_ASSERT_EQUAL_FATAL(vg_webhook_secret_get(db, a, u, true, &o, &err), VG_OK);
	CU_ASSERT_STRING_NOT_EQUAL(json_string_value(json_object_get(o, "secret")), first);
	CU_ASSERT_TRUE(json_is_string(json_object_get(o, "previous_valid_until")));
	CU_ASSERT_EQUAL(vg_webhook_secrets_for_signing(db, a, u, &cur, &prev, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(cur, json_string_value(json_object_get(o, "secret")));
	CU_ASSERT_STRING_EQUAL(prev, first);
	/* a day later the previous one no longer signs */
	Q("UPDATE users SET webhook_secret_rotated_at = now() - interval '25 hours' WHERE id = "
	  "$1",
	  u);
	CU_ASSERT_EQUAL(vg_webhook_secrets_for_signing(db, a, u, &cur, &prev, &err), VG_OK);
	CU_ASSERT_PTR_NULL(prev);
	CU_ASSERT_EQUAL(vg_webhook_secret_get(db, a, u, false, &o, &err), VG_OK);
	CU_ASSERT_TRUE(json_is_null(json_object_get(o, "previous_valid_until")));

	CU_ASSERT_EQUAL(
	    vg_webhook_secret_get(db, a, "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e01", false, &o, &err),
	    VG_ENOTFOUND);
	CU_ASSERT_EQUAL(vg_webhook_secret_get(db, a, "nope", true, &o, &err), VG_ENOTFOUND);
}

static void test_db_render(void)
{
	struct vg_conf c = conf_with("", 5);
	const char *u, *v;
	char *body;
	json_t *j, *data;

	arena();
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	u = new_user();
	v = new_video(u, "https://hooks.example/r", NULL);
	Q("UPDATE videos SET status = 'succeeded', stage = 'done', progress = 100 WHERE id = $1",
	  v);
	vg_err_clear(&err);
	/* rendered late: the snapshot says what it was when the event happened */
	CU_ASSERT_EQUAL_FATAL(vg_webhook_render(&c, db, a, "video", v, "started",
	                                        "2026-11-24T10:00:00Z",
	                                        "{\"status\": \"running\", \"progress\": 0, "
	                                        "\"stage\": \"submitting\"}",
	                                        &body, &err),
	                      VG_OK);
	CU_ASSERT_EQUAL(strncmp(body,
	                        "{\"type\":\"started\",\"object\":\"video\",\"timestamp\":"
	                        "\"2026-11-24T10:00:00Z\",\"data\":{\"id\":\"",
	                        81),
	                0);
	j = json_loads(body, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	data = json_object_get(j, "data");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "id")), v);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "status")), "running");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "stage")), "submitting");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(data, "progress")), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "webhook_url")),
	                       "https://hooks.example/r");
	json_decref(j);

	Q("DELETE FROM videos WHERE id = $1", v);
	CU_ASSERT_EQUAL(vg_webhook_render(&c, db, a, "video", v, "succeeded",
	                                  "2026-11-24T10:00:00Z", "{}", &body, &err),
	                VG_ENOTFOUND);
	CU_ASSERT_STRING_EQUAL(err.msg, "the video was deleted before it could be delivered");
	vg_conf_free(&c);
}

static void test_db_teardown(void)
{
	char sql[128];

	vg_db_free(db);
	db = NULL;
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
	CU_ASSERT_TRUE(admin_exec(sql));
}

static void t_webhook_db_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"setup: create a database", test_db_setup},
	    {"video events", test_db_video_events},
	    {"movie events", test_db_movie_events},
	    {"secret: create, rotate, expire", test_db_secret},
	    {"body: the API object with the snapshot", test_db_render},
	    {"teardown: drop the database", test_db_teardown},
	    CU_TEST_INFO_NULL,
	};

	admin_conninfo = getenv("VG_TEST_CONNINFO");
	if (!admin_conninfo || !*admin_conninfo) {
		printf("webhook_db tests skipped: set VG_TEST_CONNINFO to a PostgreSQL role that "
		       "may create databases\n");
		return;
	}
	vg_test_suite("webhook_db", tests);
}

void t_webhook_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"signature: the specification's vector", test_sign_spec_vector},
	    {"signature: HMAC-SHA256, two secrets", test_sign_matches_hmac},
	    {"new secrets", test_secret_new},
	    {"retry delays", test_retry_delay},
	    {"metrics", test_metrics},
	    {"delivery: allowed loopback", test_post_allowed},
	    {"delivery: refused loopback, by address and by name", test_post_refused},
	    {"delivery: a redirect is not followed", test_post_no_redirect},
	    {"delivery: error answers, timeout, schemes", test_post_errors},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("webhook", tests);
	t_webhook_db_register();
}
