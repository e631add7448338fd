/* Redis access over hiredis 0.14.  The connect timeout bounds only connect(), so the command
 * timeout is applied after every connect.  A failed connect or command frees the context and
 * holds off the next attempt for a second: a down or stalled Redis costs one timeout per
 * second per process, not one per request. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "vg_log.h"
#include "vg_redis.h"

#define RECONNECT_BACKOFF_MS 1000
#define DEFAULT_TIMEOUT_MS   1000

struct vg_redis {
	char *socket; /* NULL = TCP */
	char *host;
	int port;
	struct timeval timeout;
	redisContext *ctx;
	long long last_failure_ms; /* monotonic; 0 = none */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct vg_redis *vg_redis_new(const char *socket, const char *host, int port, int timeout_ms)
{
	struct vg_redis *r = vg_xmalloc(sizeof *r);

	memset(r, 0, sizeof *r);
	r->socket = socket && *socket ? vg_xstrdup(socket) : NULL;
	r->host = vg_xstrdup(host && *host ? host : "127.0.0.1");
	r->port = port > 0 ? port : 6379;
	if (timeout_ms <= 0)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	r->timeout.tv_sec = timeout_ms / 1000;
	r->timeout.tv_usec = (timeout_ms % 1000) * 1000;
	return r;
}

void vg_redis_free(struct vg_redis *r)
{
	if (!r)
		return;
	if (r->ctx)
		redisFree(r->ctx);
	free(r->socket);
	free(r->host);
	free(r);
}

static int unavailable(struct vg_err *err)
{
	vg_err_set(err, VG_EUNAVAIL, NULL, "Redis is unavailable: retry shortly");
	err->retry_after = 1;
	return VG_EUNAVAIL;
}

static void fail(struct vg_redis *r, const char *what)
{
	const char *why = r->ctx && r->ctx->errstr[0] ? r->ctx->errstr : "out of memory";

	if (r->socket)
		log_warnx("redis %s (%s) failed: %s", what, r->socket, why);
	else
		log_warnx("redis %s (%s:%d) failed: %s", what, r->host, r->port, why);
	if (r->ctx)
		redisFree(r->ctx);
	r->ctx = NULL;
	r->last_failure_ms = now_ms();
}

/* Between commands a RESP2 connection has nothing to read: readable means the server closed
 * it (restart, idle timeout), so reconnect now instead of failing the next command. */
static bool idle_connection_alive(const redisContext *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int n = poll(&p, 1, 0);

	return n == 0 || (n < 0 && errno == EINTR);
}

static int ensure(struct vg_redis *r, struct vg_err *err)
{
	if (r->ctx && idle_connection_alive(r->ctx))
		return VG_OK;
	if (r->ctx) {
		log_info("redis connection closed by the server: reconnecting");
		redisFree(r->ctx);
		r->ctx = NULL;
	}
	if (r->last_failure_ms && now_ms() - r->last_failure_ms < RECONNECT_BACKOFF_MS)
		return unavailable(err);
	r->ctx = r->socket ? redisConnectUnixWithTimeout(r->socket, r->timeout)
	                   : redisConnectWithTimeout(r->host, r->port, r->timeout);
	if (!r->ctx || r->ctx->err) {
		fail(r, "connect");
		return unavailable(err);
	}
	if (redisSetTimeout(r->ctx, r->timeout) != REDIS_OK) {
		fail(r, "setting the command timeout");
		return unavailable(err);
	}
	r->last_failure_ms = 0;
	return VG_OK;
}

static void free_reply(void *p)
{
	freeReplyObject(p);
}

redisReply *vg_redis_cmd(struct vg_redis *r, struct vg_arena *a, struct vg_err *err, int argc,
                         const char **argv, const size_t *lens)
{
	redisReply *reply;

	if (ensure(r, err) != VG_OK)
		return NULL;
	reply = redisCommandArgv(r->ctx, argc, argv, lens);
	if (!reply) {
		/* I/O or protocol error: the context cannot be used again. */
		fail(r, argc > 0 ? argv[0] : "command");
		unavailable(err);
		return NULL;
	}
	vg_arena_cleanup(a, free_reply, reply);
	return reply;
}

redisReply *vg_redis_cmdv(struct vg_redis *r, struct vg_arena *a, struct vg_err *err, int argc,
                          const char **argv)
{
	size_t *lens = vg_arena_alloc(a, (argc > 0 ? (size_t)argc : 1) * sizeof *lens);

	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return vg_redis_cmd(r, a, err, argc, argv, lens);
}

int vg_redis_ping(struct vg_redis *r, struct vg_arena *a, struct vg_err *err)
{
	const char *argv[] = {"PING"};
	redisReply *reply = vg_redis_cmdv(r, a, err, 1, argv);

	if (!reply)
		return err->rc;
	if (reply->type == REDIS_REPLY_STATUS && reply->str && strcmp(reply->str, "PONG") == 0)
		return VG_OK;
	log_warnx("redis PING answered %s", reply->type == REDIS_REPLY_ERROR && reply->str
	                                        ? reply->str
	                                        : "something other than PONG");
	return unavailable(err);
}
