/* The job queue: backoff bounds always; with VG_TEST_CONNINFO, the SQL against a fresh
 * database (created next to the one named there, dropped at exit): claim/complete, two
 * processes claiming concurrently, fencing after rescue, cancel, retries, dependencies. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "tests.h"
#include "vg_arena.h"
#include "vg_db.h"
#include "vg_queue.h"
#include "vg_str.h"

/* ---- backoff ---- */

static void t_backoff_bounds(void)
{
	/* retries 0: [base/2, base] */
	CU_ASSERT_EQUAL(vg_backoff_ms(0, 1000, 60000, 0.0), 500);
	CU_ASSERT_EQUAL(vg_backoff_ms(0, 1000, 60000, 1.0), 1000);
	/* doubling per retry */
	CU_ASSERT_EQUAL(vg_backoff_ms(3, 1000, 60000, 0.0), 4000);
	CU_ASSERT_EQUAL(vg_backoff_ms(3, 1000, 60000, 1.0), 8000);
	/* capped: [max/2, max] */
	CU_ASSERT_EQUAL(vg_backoff_ms(10, 1000, 30000, 0.0), 15000);
	CU_ASSERT_EQUAL(vg_backoff_ms(10, 1000, 30000, 1.0), 30000);
	/* huge retry counts never overflow */
	CU_ASSERT_EQUAL(vg_backoff_ms(100000, 2000, 600000, 1.0), 600000);
	CU_ASSERT_EQUAL(vg_backoff_ms(62, 1L << 40, 1L << 41, 0.0), 1L << 40);
	/* out-of-range inputs are clamped, not trusted */
	CU_ASSERT_EQUAL(vg_backoff_ms(-5, 1000, 60000, 1.0), 1000);
	CU_ASSERT_EQUAL(vg_backoff_ms(0, 1000, 60000, 7.0), 1000);
	CU_ASSERT_EQUAL(vg_backoff_ms(0, 1000, 60000, -1.0), 500);
	CU_ASSERT_EQUAL(vg_backoff_ms(2, 0, 60000, 0.5), 0);

	srand48(42);
	for (int i = 0; i < 2000; i++) {
		int r = i % 20;
		double u = drand48();
		long cap = 1000L << r;
		long v;

		if (cap > 120000)
			cap = 120000;
		v = vg_backoff_ms(r, 1000, 120000, u);
		CU_ASSERT(v >= cap / 2 && v <= cap);
	}
}

/* ---- database ---- */

static char admin_conninfo[2048];
static char test_conninfo[4096];
static char test_dbname[64];
static pid_t creator;
static struct vg_db *db;
static struct vg_arena *ar;

/* Appends key='value' with the quoting conninfo strings want. */
static void conninfo_add(char *out, size_t size, const char *key, const char *val)
{
	size_t n = strlen(out);

	n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s='", n ? " " : "", key);
	for (const char *p = val; *p && n + 3 < size; p++) {
		if (*p == '\'' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	if (n + 2 < size) {
		out[n++] = '\'';
		out[n] = '\0';
	}
}

/* The admin conninfo with dbname replaced. */
static bool conninfo_for(const char *dbname, char *out, size_t size)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(admin_conninfo, &perr);

	if (!opts) {
		fprintf(stderr, "t_queue: VG_TEST_CONNINFO cannot be parsed: %s\n", perr);
		PQfreemem(perr);
		return false;
	}
	out[0] = '\0';
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val && strcmp(o->keyword, "dbname") != 0)
			conninfo_add(out, size, o->keyword, o->val);
	conninfo_add(out, size, "dbname", dbname);
	PQconninfoFree(opts);
	return true;
}

static bool admin_exec(const char *sql)
{
	return vg_test_pg_exec(admin_conninfo, sql);
}

static void drop_test_db(void)
{
	char sql[128];

	if (!test_dbname[0] || getpid() != creator)
		return;
	if (db)
		vg_db_free(db);
	db = NULL;
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", test_dbname);
	admin_exec(sql);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
			buf[n] = '\0';
		else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static void t_setup(void)
{
	char sql[128];
	char *schema;
	PGconn *c;
	PGresult *r;

	creator = getpid();
	snprintf(test_dbname, sizeof test_dbname, "vg_t_queue_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", test_dbname);
	CU_ASSERT_FATAL(admin_exec(sql));
	atexit(drop_test_db);
	CU_ASSERT_FATAL(conninfo_for(test_dbname, test_conninfo, sizeof test_conninfo));

	schema = read_file(VG_TOP_SRCDIR "/sql/0001_init.sql");
	CU_ASSERT_PTR_NOT_NULL_FATAL(schema);
	c = PQconnectdb(test_conninfo);
	CU_ASSERT_FATAL(PQstatus(c) == CONNECTION_OK);
	r = PQexec(c, schema);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fprintf(stderr, "t_queue: schema: %s", PQerrorMessage(c));
	CU_ASSERT_FATAL(PQresultStatus(r) == PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(c);
	free(schema);

	db = vg_db_new(test_conninfo, "t_queue", 10000);
	ar = vg_arena_create(8192);
}

/* First column of the first row of a query, or NULL. */
static const char *q1(const char *sql, const char *param)
{
	struct vg_err err;
	PGresult *r;

	vg_err_clear(&err);
	r = param ? vg_db_q(db, ar, &err, sql, param) : vg_db_q0(db, ar, &err, sql);
	if (!r) {
		fprintf(stderr, "t_queue: %s: %s\n", sql, err.msg);
		return NULL;
	}
	return PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : NULL;
}

/* Every test starts from an empty queue. */
static void fresh(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	vg_arena_reset(ar);
	q1("DELETE FROM jobs", NULL);
}

static char *enqueue(const char *kind, int max_attempts)
{
	struct vg_err err;
	char *id = NULL;
	json_t *p = json_pack("{s:s}", "k", kind);

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_enqueue(db, ar, kind, p, 100, max_attempts, &id, &err), VG_OK);
	json_decref(p);
	CU_ASSERT_PTR_NOT_NULL(id);
	return id;
}

static int claim(const char *owner, struct vg_job *jobs, int n)
{
	struct vg_err err;
	int count = -1;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_claim(db, ar, owner, 30, VG_LANE_CPU, n, jobs, &count, &err),
	                VG_OK);
	return count;
}

static bool state_is(const char *id, const char *state)
{
	return vg_str_eq(q1("SELECT state FROM jobs WHERE id = $1", id), state);
}

static void t_enqueue_claim_complete(void)
{
	struct vg_job jobs[4];
	struct vg_err err;
	PGconn *listener;
	PGnotify *n;
	bool notified = false;
	char *id;

	fresh();
	listener = PQconnectdb(test_conninfo);
	CU_ASSERT_FATAL(PQstatus(listener) == CONNECTION_OK);
	PQclear(PQexec(listener, "LISTEN " VG_QUEUE_CHANNEL));

	id = enqueue("test.simple", 3);
	for (int i = 0; i < 20 && !notified; i++) {
		struct pollfd p = {.fd = PQsocket(listener), .events = POLLIN};

		poll(&p, 1, 100);
		PQconsumeInput(listener);
		while ((n = PQnotifies(listener)) != NULL) {
			notified = vg_str_eq(n->relname, VG_QUEUE_CHANNEL);
			PQfreemem(n);
		}
	}
	CU_ASSERT(notified);
	PQfinish(listener);

	CU_ASSERT_EQUAL_FATAL(claim("t/1", jobs, 4), 1);
	CU_ASSERT_STRING_EQUAL(jobs[0].id, id);
	CU_ASSERT_STRING_EQUAL(jobs[0].kind, "test.simple");
	CU_ASSERT_STRING_EQUAL(jobs[0].step, "start");
	CU_ASSERT_STRING_EQUAL(jobs[0].owner, "t/1");
	CU_ASSERT_EQUAL(jobs[0].attempt, 1);
	CU_ASSERT_EQUAL(jobs[0].retries, 0);
	CU_ASSERT_EQUAL(jobs[0].max_attempts, 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(jobs[0].payload, "k")),
	                       "test.simple");
	CU_ASSERT(state_is(id, "running"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT locked_by FROM jobs WHERE id = $1", id), "t/1");
	CU_ASSERT_STRING_EQUAL(
	    q1("SELECT lease_until > now() + interval '20 s' FROM jobs WHERE id = $1", id), "t");
	/* Nothing else is due. */
	CU_ASSERT_EQUAL(claim("t/2", jobs + 1, 1), 0);

	vg_err_clear(&err);
	json_object_set_new(jobs[0].state_data, "op", json_string("operations/1"));
	CU_ASSERT_EQUAL(vg_queue_advance(db, ar, &jobs[0], "poll", 30, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(jobs[0].step, "poll");
	CU_ASSERT_STRING_EQUAL(q1("SELECT step FROM jobs WHERE id = $1", id), "poll");
	CU_ASSERT_STRING_EQUAL(q1("SELECT state_data->>'op' FROM jobs WHERE id = $1", id),
	                       "operations/1");
	CU_ASSERT_EQUAL(vg_queue_heartbeat(db, ar, &jobs[0], 30, &err), VG_OK);
	CU_ASSERT_EQUAL(vg_queue_complete(db, ar, &jobs[0], &err), VG_OK);
	CU_ASSERT(state_is(id, "succeeded"));
	CU_ASSERT_PTR_NOT_NULL(q1("SELECT finished_at FROM jobs WHERE id = $1", id));
	/* Completing twice is refused: the job is no longer running. */
	CU_ASSERT_EQUAL(vg_queue_complete(db, ar, &jobs[0], &err), VG_ECANCELLED);
}

/* One child process: claims until the queue is empty, completing each job and writing its
 * id to fd.  Exits 0 on success. */
static void claimer(int fd, const char *owner)
{
	struct vg_db *cdb = vg_db_new(test_conninfo, owner, 10000);
	struct vg_arena *ca = vg_arena_create(8192);
	struct vg_job jobs[3];
	struct vg_err err;
	int empty = 0;

	while (empty < 3) {
		int n = 0;

		vg_err_clear(&err);
		if (vg_queue_claim(cdb, ca, owner, 30, VG_LANE_CPU, 3, jobs, &n, &err) != VG_OK)
			_exit(2);
		if (n == 0) {
			empty++;
			usleep(20000);
		}
		for (int i = 0; i < n; i++) {
			char line[40];

			snprintf(line, sizeof line, "%s\n", jobs[i].id);
			if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
				_exit(3);
			if (vg_queue_complete(cdb, ca, &jobs[i], &err) != VG_OK)
				_exit(4);
		}
		vg_arena_reset(ca);
	}
	_exit(0);
}

static int read_ids(int fd, char ids[][37], int max, int have)
{
	char buf[8192];
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
		char *p = buf, *nl;

		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(p, '\n')) != NULL) {
			if (nl - p == 36 && have < max) {
				memcpy(ids[have], p, 36);
				ids[have++][36] = '\0';
			}
			p = nl + 1;
		}
		len = strlen(p);
		memmove(buf, p, len + 1);
	}
	return have;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void t_concurrent_claimers(void)
{
	static char ids[400][37];
	int fds[2][2], got = 0, dup = 0;
	pid_t pids[2];
	struct vg_err err;

	fresh();
	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_db_begin(db, ar, &err), VG_OK);
	for (int i = 0; i < 200; i++)
		enqueue("test.race", 3);
	CU_ASSERT_EQUAL_FATAL(vg_db_commit(db, ar, &err), VG_OK);

	fflush(NULL);
	for (int i = 0; i < 2; i++) {
		char owner[32];

		CU_ASSERT_FATAL(pipe(fds[i]) == 0);
		snprintf(owner, sizeof owner, "race/%d", i);
		pids[i] = fork();
		CU_ASSERT_FATAL(pids[i] >= 0);
		if (pids[i] == 0) {
			close(fds[i][0]);
			claimer(fds[i][1], owner);
		}
		close(fds[i][1]);
	}
	for (int i = 0; i < 2; i++) {
		int st;

		got = read_ids(fds[i][0], ids, 400, got);
		close(fds[i][0]);
		CU_ASSERT_EQUAL(waitpid(pids[i], &st, 0), pids[i]);
		CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CU_ASSERT_EQUAL(got, 200);
	qsort(ids, (size_t)got, sizeof ids[0], cmp_id);
	for (int i = 1; i < got; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			dup++;
	CU_ASSERT_EQUAL(dup, 0);
	CU_ASSERT_STRING_EQUAL(q1("SELECT count(*) FROM jobs WHERE state = 'succeeded' AND "
	                          "attempt = 1",
	                          NULL),
	                       "200");
}

static void expire(const char *id)
{
	q1("UPDATE jobs SET lease_until = now() - interval '1 s' WHERE id = $1", id);
}

static void t_fencing_after_rescue(void)
{
	struct vg_job old, cur;
	struct vg_err err;
	bool final;
	int n = 0;
	char *id;

	fresh();
	id = enqueue("test.fence", 5);
	CU_ASSERT_EQUAL_FATAL(claim("A", &old, 1), 1);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_rescue_expired(db, ar, &n, &err), VG_OK);
	CU_ASSERT_EQUAL(n, 0); /* the lease is still good */
	expire(id);
	CU_ASSERT_EQUAL(vg_queue_rescue_expired(db, ar, &n, &err), VG_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(state_is(id, "queued"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT retries FROM jobs WHERE id = $1", id), "1");
	CU_ASSERT_STRING_EQUAL(q1("SELECT last_error->>'code' FROM jobs WHERE id = $1", id),
	                       "lease_expired");

	/* Reclaimed by the same owner name: the attempt alone fences the old holder. */
	CU_ASSERT_EQUAL_FATAL(claim("A", &cur, 1), 1);
	CU_ASSERT_EQUAL(cur.attempt, 2);
	CU_ASSERT_EQUAL(cur.retries, 1);

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_heartbeat(db, ar, &old, 30, &err), VG_ECANCELLED);
	CU_ASSERT_STRING_EQUAL(err.code, VG_QUEUE_LOST);
	CU_ASSERT_EQUAL(vg_queue_advance(db, ar, &old, "evil", 30, &err), VG_ECANCELLED);
	CU_ASSERT_EQUAL(vg_queue_complete(db, ar, &old, &err), VG_ECANCELLED);
	CU_ASSERT_EQUAL(vg_queue_fail(db, ar, &old, "x", "x", true, 0, &final, &err),
	                VG_ECANCELLED);
	CU_ASSERT_EQUAL(vg_queue_defer(db, ar, &old, "evil", 0, &err), VG_ECANCELLED);
	CU_ASSERT_STRING_EQUAL(q1("SELECT step FROM jobs WHERE id = $1", id), "start");
	CU_ASSERT(state_is(id, "running"));

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_heartbeat(db, ar, &cur, 30, &err), VG_OK);
	CU_ASSERT_EQUAL(vg_queue_complete(db, ar, &cur, &err), VG_OK);
	CU_ASSERT(state_is(id, "succeeded"));
}

static void t_rescue_gives_up(void)
{
	struct vg_job j;
	struct vg_err err;
	int n = 0;
	char *id;

	fresh();
	id = enqueue("test.giveup", 1);
	CU_ASSERT_EQUAL_FATAL(claim("B", &j, 1), 1);
	expire(id);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_rescue_expired(db, ar, &n, &err), VG_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(state_is(id, "failed"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT last_error->>'code' FROM jobs WHERE id = $1", id),
	                       "lease_expired");
	CU_ASSERT_PTR_NOT_NULL(q1("SELECT finished_at FROM jobs WHERE id = $1", id));
}

static void t_rescue_owner(void)
{
	struct vg_job mine, other;
	struct vg_err err;
	int n = 0;
	char *a, *b;

	fresh();
	a = enqueue("test.owner", 5);
	CU_ASSERT_EQUAL_FATAL(claim("host_1/1.0/100", &mine, 1), 1);
	b = enqueue("test.owner", 5);
	CU_ASSERT_EQUAL_FATAL(claim("host_10/1.0/200", &other, 1), 1);
	vg_err_clear(&err);
	/* "_" is data, not a LIKE wildcard; "host_1/" is not a prefix of "host_10/". */
	CU_ASSERT_EQUAL(vg_queue_rescue_owner(db, ar, "host_1/", &n, &err), VG_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(state_is(a, "queued"));
	CU_ASSERT(state_is(b, "running"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT last_error->>'code' FROM jobs WHERE id = $1", a),
	                       "worker_restarted");
	CU_ASSERT_EQUAL(vg_queue_heartbeat(db, ar, &mine, 30, &err), VG_ECANCELLED);
	CU_ASSERT_EQUAL(vg_queue_heartbeat(db, ar, &other, 30, &err), VG_OK);
}

static void t_cancel(void)
{
	struct vg_job j;
	struct vg_err err;
	char *running, *done, *queued;

	fresh();
	running = enqueue("test.cancel", 3);
	CU_ASSERT_EQUAL_FATAL(claim("C", &j, 1), 1);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_cancel(db, ar, running, &err), VG_OK);
	CU_ASSERT(state_is(running, "cancelled"));
	/* The worker finds out at its next heartbeat, and knows it was a cancellation. */
	CU_ASSERT_EQUAL(vg_queue_heartbeat(db, ar, &j, 30, &err), VG_ECANCELLED);
	CU_ASSERT_STRING_EQUAL(err.code, VG_QUEUE_CANCELLED);
	CU_ASSERT_EQUAL(vg_queue_complete(db, ar, &j, &err), VG_ECANCELLED);
	CU_ASSERT(state_is(running, "cancelled"));
	/* Cancelled is finished: a second cancel conflicts. */
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_cancel(db, ar, running, &err), VG_ECONFLICT);

	done = enqueue("test.cancel", 3);
	CU_ASSERT_EQUAL_FATAL(claim("C", &j, 1), 1);
	CU_ASSERT_EQUAL(vg_queue_complete(db, ar, &j, &err), VG_OK);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_cancel(db, ar, done, &err), VG_ECONFLICT);
	CU_ASSERT(state_is(done, "succeeded"));

	queued = enqueue("test.cancel", 3);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_cancel(db, ar, queued, &err), VG_OK);
	CU_ASSERT_EQUAL(claim("C", &j, 1), 0);

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_cancel(db, ar, "00000000-0000-4000-8000-000000000000", &err),
	                VG_ENOTFOUND);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_cancel(db, ar, "not-a-uuid", &err), VG_ENOTFOUND);
}

static void t_fail_and_retry(void)
{
	struct vg_job j;
	struct vg_err err;
	bool final = true;
	char *id, *perm;

	fresh();
	id = enqueue("test.retry", 2);
	CU_ASSERT_EQUAL_FATAL(claim("D", &j, 1), 1);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_fail(db, ar, &j, "boom", "it broke", true, 60000, &final, &err),
	                VG_OK);
	CU_ASSERT_FALSE(final);
	CU_ASSERT(state_is(id, "queued"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT retries FROM jobs WHERE id = $1", id), "1");
	CU_ASSERT_STRING_EQUAL(
	    q1("SELECT run_at > now() + interval '50 s' AND run_at < now() + interval '70 s' "
	       "FROM jobs WHERE id = $1",
	       id),
	    "t");
	CU_ASSERT_STRING_EQUAL(q1("SELECT last_error->>'code' FROM jobs WHERE id = $1", id),
	                       "boom");
	CU_ASSERT_PTR_NULL(q1("SELECT locked_by FROM jobs WHERE id = $1", id));
	/* Not due yet. */
	CU_ASSERT_EQUAL(claim("D", &j, 1), 0);
	q1("UPDATE jobs SET run_at = now() WHERE id = $1", id);
	CU_ASSERT_EQUAL_FATAL(claim("D", &j, 1), 1);
	CU_ASSERT_EQUAL(j.attempt, 2);
	CU_ASSERT_EQUAL(j.retries, 1);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(
	    vg_queue_fail(db, ar, &j, "boom", "it broke again", true, 1000, &final, &err), VG_OK);
	CU_ASSERT_TRUE(final);
	CU_ASSERT(state_is(id, "failed"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT retries FROM jobs WHERE id = $1", id), "2");
	CU_ASSERT_PTR_NOT_NULL(q1("SELECT finished_at FROM jobs WHERE id = $1", id));

	/* A permanent error fails at once, whatever tries are left. */
	perm = enqueue("test.retry", 5);
	CU_ASSERT_EQUAL_FATAL(claim("D", &j, 1), 1);
	final = false;
	CU_ASSERT_EQUAL(vg_queue_fail(db, ar, &j, "bad_input", "no", false, 1000, &final, &err),
	                VG_OK);
	CU_ASSERT_TRUE(final);
	CU_ASSERT(state_is(perm, "failed"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT last_error->>'retryable' FROM jobs WHERE id = $1", perm),
	                       "false");
}

static void t_defer(void)
{
	struct vg_job j;
	struct vg_err err;
	char *id;

	fresh();
	id = enqueue("test.defer", 3);
	CU_ASSERT_EQUAL_FATAL(claim("E", &j, 1), 1);
	json_object_set_new(j.state_data, "operation", json_string("op/7"));
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_defer(db, ar, &j, "poll", 60000, &err), VG_OK);
	CU_ASSERT(state_is(id, "queued"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT step FROM jobs WHERE id = $1", id), "poll");
	CU_ASSERT_STRING_EQUAL(q1("SELECT state_data->>'operation' FROM jobs WHERE id = $1", id),
	                       "op/7");
	CU_ASSERT_STRING_EQUAL(q1("SELECT retries FROM jobs WHERE id = $1", id), "0");
	CU_ASSERT_EQUAL(claim("E", &j, 1), 0);
	q1("UPDATE jobs SET run_at = now() WHERE id = $1", id);
	CU_ASSERT_EQUAL_FATAL(claim("E", &j, 1), 1);
	CU_ASSERT_STRING_EQUAL(j.step, "poll");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j.state_data, "operation")),
	                       "op/7");
	/* No delay: claimable at once. */
	CU_ASSERT_EQUAL(vg_queue_defer(db, ar, &j, "poll", 0, &err), VG_OK);
	CU_ASSERT_EQUAL(claim("E", &j, 1), 1);
}

static int claim_remote(const char *owner, struct vg_job *jobs, int n)
{
	struct vg_err err;
	int count = -1;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_claim(db, ar, owner, 30, VG_LANE_REMOTE, n, jobs, &count, &err),
	                VG_OK);
	return count;
}

static void t_lanes(void)
{
	struct vg_job j;
	struct vg_err err;
	char *id;

	fresh();
	id = enqueue("test.lane", 3);
	CU_ASSERT_EQUAL(claim_remote("R", &j, 1), 0); /* step "start": the CPU lane's */
	CU_ASSERT_EQUAL_FATAL(claim("C", &j, 1), 1);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_defer(db, ar, &j, "remote.submit", 0, &err), VG_OK);
	CU_ASSERT_EQUAL(claim("C", &j, 1), 0); /* now the remote lane's */
	CU_ASSERT_EQUAL_FATAL(claim_remote("R", &j, 1), 1);
	CU_ASSERT_STRING_EQUAL(j.id, id);
	CU_ASSERT_STRING_EQUAL(j.step, "remote.submit");
	CU_ASSERT_EQUAL(vg_queue_defer(db, ar, &j, "finalize", 0, &err), VG_OK);
	CU_ASSERT_EQUAL(claim_remote("R", &j, 1), 0);
	CU_ASSERT_EQUAL(claim("C", &j, 1), 1);
}

static void t_heartbeat_many(void)
{
	struct vg_job jobs[4];
	const struct vg_job *held[3];
	bool lost[3];
	struct vg_err err;
	int n;

	fresh();
	for (int i = 0; i < 3; i++)
		enqueue("test.beat", 3);
	n = claim("B", jobs, 4);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (int i = 0; i < 3; i++)
		held[i] = &jobs[i];
	q1("UPDATE jobs SET lease_until = now() + interval '1 second'", NULL);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_queue_heartbeat_many(db, ar, held, 3, 600, lost, &err), VG_OK);
	CU_ASSERT(!lost[0] && !lost[1] && !lost[2]);
	CU_ASSERT_STRING_EQUAL(
	    q1("SELECT count(*) FROM jobs WHERE lease_until > now() + interval '500 seconds'",
	       NULL),
	    "3");
	/* cancelled, and taken over by someone else after a rescue: both lost, the rest not */
	CU_ASSERT_EQUAL(vg_queue_cancel(db, ar, jobs[0].id, &err), VG_OK);
	q1("UPDATE jobs SET attempt = attempt + 1, locked_by = 'other' WHERE id = $1", jobs[2].id);
	CU_ASSERT_EQUAL(vg_queue_heartbeat_many(db, ar, held, 3, 600, lost, &err), VG_OK);
	CU_ASSERT(lost[0] && !lost[1] && lost[2]);
	CU_ASSERT_EQUAL(vg_queue_heartbeat(db, ar, &jobs[0], 600, &err), VG_ECANCELLED);
	CU_ASSERT_STRING_EQUAL(err.code, VG_QUEUE_CANCELLED);
	CU_ASSERT_EQUAL(vg_queue_heartbeat(db, ar, &jobs[2], 600, &err), VG_ECANCELLED);
	CU_ASSERT_STRING_EQUAL(err.code, VG_QUEUE_LOST);
}

/* The batch path of the runner: claims sized in powers of two, completions of many jobs in
 * one statement fenced job by job, and claimed jobs handed back unstarted. */
static void t_batches(void)
{
	struct vg_job jobs[8], again;
	const struct vg_job *held[3];
	const char *deps[2];
	bool lost[3];
	struct vg_err err;
	char *blocked;
	int n, released = -1;

	CU_ASSERT_EQUAL(vg_queue_claim_limit(0), 0);
	CU_ASSERT_EQUAL(vg_queue_claim_limit(1), 1);
	CU_ASSERT_EQUAL(vg_queue_claim_limit(3), 2);
	CU_ASSERT_EQUAL(vg_queue_claim_limit(100), 64);
	CU_ASSERT_EQUAL(vg_queue_claim_limit(5000), VG_QUEUE_CLAIM_MAX);

	fresh();
	for (int i = 0; i < 4; i++)
		enqueue("test.batch", 3);
	CU_ASSERT_EQUAL_FATAL(claim("H", jobs, 3), 2); /* 3 asks for 2 */
	CU_ASSERT_EQUAL_FATAL(claim("H", jobs + 2, 8), 2);
	deps[0] = jobs[0].id;
	deps[1] = jobs[1].id;
	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(
	    vg_queue_enqueue_after(db, ar, "test.after", NULL, 100, 3, deps, 2, &blocked, &err),
	    VG_OK);

	/* Two of ours and one cancelled meanwhile: the cancelled one stays cancelled, the two
	 * succeed together and unblock their dependant. */
	CU_ASSERT_EQUAL(vg_queue_cancel(db, ar, jobs[3].id, &err), VG_OK);
	held[0] = &jobs[0];
	held[1] = &jobs[3];
	held[2] = &jobs[1];
	CU_ASSERT_EQUAL(vg_queue_complete_many(db, ar, held, 3, lost, &err), VG_OK);
	CU_ASSERT(!lost[0] && lost[1] && !lost[2]);
	CU_ASSERT(state_is(jobs[0].id, "succeeded"));
	CU_ASSERT(state_is(jobs[1].id, "succeeded"));
	CU_ASSERT(state_is(jobs[3].id, "cancelled"));
	CU_ASSERT(state_is(blocked, "queued"));
	CU_ASSERT_PTR_NOT_NULL(q1("SELECT finished_at FROM jobs WHERE id = $1", jobs[0].id));
	CU_ASSERT_PTR_NULL(q1("SELECT lease_until FROM jobs WHERE id = $1", jobs[1].id));
	/* The same completions again: all lost, nothing changes. */
	CU_ASSERT_EQUAL(vg_queue_complete_many(db, ar, held, 3, lost, &err), VG_OK);
	CU_ASSERT(lost[0] && lost[1] && lost[2]);

	/* Handed back: jobs[2] is ours and goes back without a try counted; jobs[0] has
	 * finished and is left alone. */
	held[0] = &jobs[2];
	held[1] = &jobs[0];
	CU_ASSERT_EQUAL(vg_queue_release_many(db, ar, held, 2, &released, &err), VG_OK);
	CU_ASSERT_EQUAL(released, 1);
	CU_ASSERT(state_is(jobs[2].id, "queued"));
	CU_ASSERT(state_is(jobs[0].id, "succeeded"));
	CU_ASSERT_PTR_NULL(q1("SELECT locked_by FROM jobs WHERE id = $1", jobs[2].id));
	CU_ASSERT_STRING_EQUAL(q1("SELECT retries FROM jobs WHERE id = $1", jobs[2].id), "0");
	/* Its old claim is fenced out; the next claim gets it (and the dependant). */
	held[0] = &jobs[2];
	CU_ASSERT_EQUAL(vg_queue_complete_many(db, ar, held, 1, lost, &err), VG_OK);
	CU_ASSERT(lost[0]);
	n = claim("I", jobs + 4, 4);
	CU_ASSERT_EQUAL(n, 2);
	again = vg_str_eq(jobs[4].id, jobs[2].id) ? jobs[4] : jobs[5];
	CU_ASSERT_STRING_EQUAL(again.id, jobs[2].id);
	CU_ASSERT_EQUAL(again.attempt, 2);
	CU_ASSERT(state_is(jobs[2].id, "running"));
}

static void t_dependencies(void)
{
	struct vg_job jobs[4], *ja = NULL, *jb = NULL;
	struct vg_err err;
	const char *deps[2];
	char *a, *b, *c, *d, *early;
	int n;

	fresh();
	a = enqueue("test.scene", 3);
	b = enqueue("test.scene", 3);
	deps[0] = a;
	deps[1] = b;
	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(
	    vg_queue_enqueue_after(db, ar, "test.assemble", NULL, 100, 3, deps, 2, &c, &err),
	    VG_OK);
	CU_ASSERT(state_is(c, "blocked"));
	CU_ASSERT_STRING_EQUAL(q1("SELECT count(*) FROM job_deps WHERE job_id = $1", c), "2");

	n = claim("F", jobs, 4);
	CU_ASSERT_EQUAL_FATAL(n, 2); /* the blocked one is not claimable */
	for (int i = 0; i < n; i++) {
		if (vg_str_eq(jobs[i].id, a))
			ja = &jobs[i];
		if (vg_str_eq(jobs[i].id, b))
			jb = &jobs[i];
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(ja);
	CU_ASSERT_PTR_NOT_NULL_FATAL(jb);
	CU_ASSERT_EQUAL(vg_queue_complete(db, ar, ja, &err), VG_OK);
	CU_ASSERT(state_is(c, "blocked"));
	CU_ASSERT_EQUAL(vg_queue_complete(db, ar, jb, &err), VG_OK);
	CU_ASSERT(state_is(c, "queued"));
	CU_ASSERT_EQUAL_FATAL(claim("F", jobs, 4), 1);
	CU_ASSERT_STRING_EQUAL(jobs[0].id, c);

	/* Dependencies that already succeeded: queued at once. */
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(
	    vg_queue_enqueue_after(db, ar, "test.assemble", NULL, 100, 3, deps, 2, &early, &err),
	    VG_OK);
	CU_ASSERT(state_is(early, "queued"));

	/* A failed dependency never unblocks. */
	d = enqueue("test.scene", 1);
	deps[0] = d;
	CU_ASSERT_EQUAL(
	    vg_queue_enqueue_after(db, ar, "test.assemble", NULL, 100, 3, deps, 1, &c, &err),
	    VG_OK);
	CU_ASSERT(state_is(c, "blocked"));

	/* An unknown dependency is refused. */
	deps[0] = "00000000-0000-4000-8000-000000000000";
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(
	    vg_queue_enqueue_after(db, ar, "test.assemble", NULL, 100, 3, deps, 1, &c, &err),
	    VG_ENOTFOUND);
}

/* Two dependencies completed at the same moment by two processes: the dependant must be
 * unblocked exactly once, never left blocked. */
static void t_dependencies_race(void)
{
	int stuck = 0;

	fresh();
	for (int round = 0; round < 20; round++) {
		struct vg_job jobs[2];
		struct vg_err err;
		const char *deps[2];
		char *c;
		pid_t pids[2];

		deps[0] = enqueue("test.r", 3);
		deps[1] = enqueue("test.r", 3);
		vg_err_clear(&err);
		CU_ASSERT_EQUAL_FATAL(
		    vg_queue_enqueue_after(db, ar, "test.r2", NULL, 100, 3, deps, 2, &c, &err),
		    VG_OK);
		CU_ASSERT_EQUAL_FATAL(claim("G", jobs, 2), 2);
		fflush(NULL);
		for (int i = 0; i < 2; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct vg_db *cdb = vg_db_new(test_conninfo, "t_queue", 10000);
				struct vg_arena *ca = vg_arena_create(4096);

				_exit(vg_queue_complete(cdb, ca, &jobs[i], &err) == VG_OK ? 0 : 1);
			}
		}
		for (int i = 0; i < 2; i++) {
			int st;

			waitpid(pids[i], &st, 0);
			CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		if (!state_is(c, "queued"))
			stuck++;
		q1("DELETE FROM jobs WHERE kind = 'test.r2'", NULL);
	}
	CU_ASSERT_EQUAL(stuck, 0);
}

static CU_TestInfo backoff_only[] = {
    {"backoff stays within its bounds", t_backoff_bounds},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo with_db[] = {
    {"backoff stays within its bounds", t_backoff_bounds},
    {"a fresh database with the schema", t_setup},
    {"enqueue notifies; claim, advance, complete", t_enqueue_claim_complete},
    {"two processes never claim the same job", t_concurrent_claimers},
    {"a rescued job fences its old owner out", t_fencing_after_rescue},
    {"rescue fails a job with no tries left", t_rescue_gives_up},
    {"start-up rescue takes only our own jobs", t_rescue_owner},
    {"cancel: running, finished, queued, unknown", t_cancel},
    {"failures retry with backoff, then fail for good", t_fail_and_retry},
    {"defer re-queues a step without counting a try", t_defer},
    {"remote.* steps are claimed by the remote lane only", t_lanes},
    {"one statement extends many leases and finds the lost", t_heartbeat_many},
    {"batches: power-of-two claims, fenced completions, hand-back", t_batches},
    {"completing the last dependency unblocks", t_dependencies},
    {"concurrent completions unblock exactly once", t_dependencies_race},
    CU_TEST_INFO_NULL,
};

void t_queue_register(void)
{
	const char *ci = getenv("VG_TEST_CONNINFO");

	if (!ci || !*ci) {
		printf("t_queue: VG_TEST_CONNINFO is not set; the PostgreSQL queue tests are "
		       "skipped\n");
		vg_test_suite("queue", backoff_only);
		return;
	}
	vg_strlcpy(admin_conninfo, ci, sizeof admin_conninfo);
	vg_test_suite("queue", with_db);
}
