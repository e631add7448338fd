/* wake_bench: the two halves of tests/bench/wake_latency.sh.
 *
 *   wake_bench jobs CONNINFO N INTERVAL_MS
 *       inserts N jobs of kind noop, one autocommitted statement each, INTERVAL_MS apart
 *       (from the start of one to the start of the next).  The statement is the API's own
 *       enqueue (VG_QUEUE_INSERT_CTE of src/vg_queue.h: the INSERT and the pg_notify that
 *       wakes the runner, delivered at commit), so a job is queued exactly as a POST queues
 *       one.  Prints one line per job: "id round-trip-us" (the statement's round trip seen by
 *       this client: parse, insert, the commit's WAL flush).
 *
 *   wake_bench notify CONNINFO N INTERVAL_MS
 *       the reference: a bare LISTEN/NOTIFY round trip.  One connection LISTENs (a thread of
 *       its own waits in poll(), as the runner's worker does); the other sends NOTIFY in an
 *       autocommitted statement, N times INTERVAL_MS apart.  Prints one line per round trip:
 *       "i commit-us delivered-us": from just before the NOTIFY is sent to its statement's
 *       return (the commit) and to the notification's arrival at the listening client.
 *
 * Exit status 0 when every statement ran and every notification arrived, 1 otherwise. */
#include "config.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg_queue.h"

#define CHANNEL "veogen_wake_bench"

static const char insert_sql[] =
    "WITH " VG_QUEUE_INSERT_CTE("'noop'", "'{}'", "100", "5") " SELECT job.id FROM job, job_notify";

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until_us(long long t)
{
	long long left;

	while ((left = t - now_us()) > 0) {
		struct timespec ts = {.tv_sec = left / 1000000, .tv_nsec = (left % 1000000) * 1000};
		nanosleep(&ts, NULL);
	}
}

static PGconn *connect_db(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "wake_bench: cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

static int run_jobs(const char *conninfo, int n, int interval_ms)
{
	PGconn *c = connect_db(conninfo);
	long long next;

	if (!c)
		return 1;
	next = now_us();
	for (int i = 0; i < n; i++) {
		sleep_until_us(next);
		next += (long long)interval_ms * 1000;
		long long t0 = now_us();
		PGresult *r = PQexec(c, insert_sql);
		long long t1 = now_us();
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			fprintf(stderr, "wake_bench: insert %d failed: %s", i, PQerrorMessage(c));
			PQclear(r);
			PQfinish(c);
			return 1;
		}
		printf("%s %lld\n", PQgetvalue(r, 0, 0), t1 - t0);
		PQclear(r);
	}
	PQfinish(c);
	return fflush(stdout) == 0 ? 0 : 1;
}

struct listener {
	PGconn *c;
	int n;
	long long *arrived; /* [n]: when notification i arrived, 0 until then */
	int got;
	int failed;
};

static void *listen_thread(void *arg)
{
	struct listener *l = arg;
	int sock = PQsocket(l->c);

	while (l->got < l->n) {
		struct pollfd p = {.fd = sock, .events = POLLIN};
		int rc = poll(&p, 1, 10000);
		long long t = now_us();
		PGnotify *nt;

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0 || !PQconsumeInput(l->c)) {
			fprintf(stderr, "wake_bench: listener: %s\n",
			        rc == 0 ? "no notification for 10 s" : PQerrorMessage(l->c));
			l->failed = 1;
			return NULL;
		}
		while ((nt = PQnotifies(l->c)) != NULL) {
			int i = atoi(nt->extra);
			if (i >= 0 && i < l->n && l->arrived[i] == 0) {
				l->arrived[i] = t;
				l->got++;
			}
			PQfreemem(nt);
		}
	}
	return NULL;
}

static int run_notify(const char *conninfo, int n, int interval_ms)
{
	PGconn *lc = connect_db(conninfo), *sc = connect_db(conninfo);
	long long *sent = calloc((size_t)n, sizeof *sent), *done = calloc((size_t)n, sizeof *done);
	struct listener l = {.c = lc, .n = n, .arrived = calloc((size_t)n, sizeof(long long))};
	pthread_t th;
	PGresult *r;
	long long next;
	int rc = 0;

	if (!lc || !sc || !sent || !done || !l.arrived) {
		rc = 1;
		goto out;
	}
	r = PQexec(lc, "LISTEN " CHANNEL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "wake_bench: LISTEN failed: %s", PQerrorMessage(lc));
		PQclear(r);
		rc = 1;
		goto out;
	}
	PQclear(r);
	if (pthread_create(&th, NULL, listen_thread, &l) != 0) {
		rc = 1;
		goto out;
	}
	next = now_us();
	for (int i = 0; i < n && !l.failed; i++) {
		char sql[64];

		sleep_until_us(next);
		next += (long long)interval_ms * 1000;
		snprintf(sql, sizeof sql, "NOTIFY " CHANNEL ", '%d'", i);
		sent[i] = now_us();
		r = PQexec(sc, sql);
		done[i] = now_us();
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "wake_bench: NOTIFY failed: %s", PQerrorMessage(sc));
			PQclear(r);
			rc = 1;
			break;
		}
		PQclear(r);
	}
	pthread_join(th, NULL);
	if (l.failed || l.got != n)
		rc = 1;
	for (int i = 0; i < n && rc == 0; i++)
		printf("%d %lld %lld\n", i, done[i] - sent[i], l.arrived[i] - sent[i]);
	if (fflush(stdout) != 0)
		rc = 1;
out:
	PQfinish(lc);
	PQfinish(sc);
	free(sent);
	free(done);
	free(l.arrived);
	return rc;
}

int main(int argc, char **argv)
{
	int n, interval_ms;

	if (argc != 5 || (strcmp(argv[1], "jobs") != 0 && strcmp(argv[1], "notify") != 0) ||
	    (n = atoi(argv[3])) <= 0 || (interval_ms = atoi(argv[4])) < 0) {
		fprintf(stderr, "usage: wake_bench jobs|notify CONNINFO N INTERVAL_MS\n");
		return 2;
	}
	return strcmp(argv[1], "jobs") == 0 ? run_jobs(argv[2], n, interval_ms)
	                                    : run_notify(argv[2], n, interval_ms);
}
