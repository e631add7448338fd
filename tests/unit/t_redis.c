/* Redis wrapper against a live server (VG_TEST_REDIS_SOCKET, a unix socket): binary-safe
 * commands, error replies, reconnecting after the server drops us, the command timeout and
 * the one-second back-off after a failure.  Keys are prefixed with the pid and deleted. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests.h"
#include "vg_redis.h"

static const char *sock;
static struct vg_arena *a;
static struct vg_err err;
static char key[64];

static void fresh(void)
{
	if (!a)
		a = vg_arena_create(4096);
	vg_arena_reset(a);
	vg_err_clear(&err);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static long long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000LL + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void test_commands(void)
{
	struct vg_redis *r = vg_redis_new(sock, NULL, 0, 500);
	const char value[] = {'a', '\0', 'b'};

	snprintf(key, sizeof key, "vg-unit-%ld", (long)getpid());
	const char *set[] = {"SET", key, value};
	const size_t set_len[] = {3, strlen(key), sizeof value};
	const char *get[] = {"GET", key};
	fresh();
	CU_ASSERT_EQUAL(vg_redis_ping(r, a, &err), VG_OK);
	redisReply *rep = vg_redis_cmd(r, a, &err, 3, set, set_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	CU_ASSERT_EQUAL(rep->type, REDIS_REPLY_STATUS);
	rep = vg_redis_cmdv(r, a, &err, 2, get);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	CU_ASSERT_EQUAL(rep->type, REDIS_REPLY_STRING);
	CU_ASSERT_EQUAL(rep->len, sizeof value);
	CU_ASSERT_EQUAL(memcmp(rep->str, value, sizeof value), 0);

	/* A server error is a reply, not a failure. */
	const char *incr[] = {"INCR", key};
	rep = vg_redis_cmdv(r, a, &err, 2, incr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	CU_ASSERT_EQUAL(rep->type, REDIS_REPLY_ERROR);
	CU_ASSERT_EQUAL(err.rc, VG_OK);

	const char *del[] = {"DEL", key};
	rep = vg_redis_cmdv(r, a, &err, 2, del);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	CU_ASSERT_EQUAL(rep->integer, 1);
	vg_arena_reset(a);
	vg_redis_free(r);
}

static long long client_id(struct vg_redis *r)
{
	const char *argv[] = {"CLIENT", "ID"};
	redisReply *rep = vg_redis_cmdv(r, a, &err, 2, argv);

	return rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
}

static void test_reconnect_after_kill(void)
{
	struct vg_redis *r = vg_redis_new(sock, NULL, 0, 500);
	struct vg_redis *killer = vg_redis_new(sock, NULL, 0, 500);
	char id[32];

	fresh();
	long long before = client_id(r);
	CU_ASSERT_TRUE_FATAL(before > 0);
	snprintf(id, sizeof id, "%lld", before);
	const char *kill[] = {"CLIENT", "KILL", "ID", id};
	redisReply *rep = vg_redis_cmdv(killer, a, &err, 4, kill);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	CU_ASSERT_EQUAL(rep->integer, 1);
	sleep_ms(50);
	/* The dropped idle connection is noticed before sending: no failure, no back-off. */
	long long after = client_id(r);
	CU_ASSERT_TRUE(after > 0);
	CU_ASSERT_NOT_EQUAL(after, before);
	CU_ASSERT_EQUAL(err.rc, VG_OK);
	vg_arena_reset(a);
	vg_redis_free(killer);
	vg_redis_free(r);
}

static void test_timeout_and_backoff(void)
{
	struct vg_redis *r = vg_redis_new(sock, NULL, 0, 200);
	const char *block[] = {"BLPOP", "vg-unit-never-pushed", "5"};
	struct timespec t0;

	fresh();
	CU_ASSERT_EQUAL(vg_redis_ping(r, a, &err), VG_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The command timeout holds even though BLPOP would wait 5 s. */
	CU_ASSERT_PTR_NULL(vg_redis_cmdv(r, a, &err, 3, block));
	CU_ASSERT_EQUAL(err.rc, VG_EUNAVAIL);
	CU_ASSERT_TRUE(err.retry_after > 0);
	CU_ASSERT_TRUE(elapsed_ms(&t0) < 1500);
	/* Within the back-off nothing is tried: the answer is immediate. */
	fresh();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(vg_redis_ping(r, a, &err), VG_EUNAVAIL);
	CU_ASSERT_TRUE(elapsed_ms(&t0) < 50);
	sleep_ms(1100);
	fresh();
	CU_ASSERT_EQUAL(vg_redis_ping(r, a, &err), VG_OK);
	vg_arena_reset(a);
	vg_redis_free(r);
}

static void test_unreachable(void)
{
	struct vg_redis *r = vg_redis_new("/tmp/vg-no-such-redis.sock", NULL, 0, 200);

	fresh();
	CU_ASSERT_EQUAL(vg_redis_ping(r, a, &err), VG_EUNAVAIL);
	CU_ASSERT_STRING_EQUAL(err.msg, "Redis is unavailable: retry shortly");
	CU_ASSERT_PTR_NULL(strstr(err.msg, "/tmp"));
	const char *argv[] = {"GET", "x"};
	fresh();
	CU_ASSERT_PTR_NULL(vg_redis_cmdv(r, a, &err, 2, argv));
	CU_ASSERT_EQUAL(err.rc, VG_EUNAVAIL);
	vg_redis_free(r);
	vg_arena_destroy(a);
	a = NULL;
}

void t_redis_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"commands", test_commands},
	    {"reconnect after CLIENT KILL", test_reconnect_after_kill},
	    {"timeout and back-off", test_timeout_and_backoff},
	    {"unreachable", test_unreachable},
	    CU_TEST_INFO_NULL,
	};

	sock = getenv("VG_TEST_REDIS_SOCKET");
	if (!sock || !*sock) {
		printf("redis tests skipped: set VG_TEST_REDIS_SOCKET to a Redis unix socket\n");
		return;
	}
	vg_test_suite("redis", tests);
}
