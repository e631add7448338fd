/* PostgreSQL access.  One connection per process, opened lazily (after fork), checked before
 * use and re-opened when it went bad, at most once per 500 ms after a failed attempt so a
 * down database costs a fast 503, not a connect timeout per request. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vg_db.h"
#include "vg_log.h"
#include "vg_str.h"

#define RECONNECT_BACKOFF_MS    500
#define DEFAULT_CONNECT_TIMEOUT "3" /* seconds, when the conninfo sets none */
#define UNAVAIL_RETRY_AFTER_S   2
#define MAX_PREPARED            128 /* statements kept prepared per connection */
#define IDLE_PROBE_AFTER_MS     1000

enum tx_state {
	TX_NONE, /* autocommit */
	TX_OPEN, /* BEGIN sent and acknowledged */
	TX_LOST  /* the connection died inside a transaction: it is gone until rollback */
};

/* A statement prepared on the current connection: parsed and planned once, not per call. */
struct prepared {
	const char *sql; /* the caller's text (a literal), compared by pointer, then by content */
	char *text;      /* our copy, so a reused buffer at the same address is not mistaken */
};

struct vg_db {
	struct prepared prepared[MAX_PREPARED];
	int nprepared;
	char *conninfo;
	char *application_name;
	int statement_timeout_ms;
	PGconn *conn;
	enum tx_state tx;
	long long last_failure_ms; /* monotonic; 0 = none */
	long long last_ok_ms;      /* monotonic time of the last statement that worked */
	unsigned generation;       /* counts successful connects */
	char sqlstate[6];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct vg_db *vg_db_new(const char *conninfo, const char *application_name,
                        int statement_timeout_ms)
{
	struct vg_db *db = vg_xmalloc(sizeof *db);

	memset(db, 0, sizeof *db);
	db->conninfo = vg_xstrdup(conninfo ? conninfo : "");
	db->application_name = vg_xstrdup(application_name ? application_name : "veogen");
	db->statement_timeout_ms = statement_timeout_ms;
	return db;
}

static void forget_prepared(struct vg_db *db)
{
	for (int i = 0; i < db->nprepared; i++)
		free(db->prepared[i].text);
	db->nprepared = 0;
}

static void drop_connection(struct vg_db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	forget_prepared(db);
	if (db->tx == TX_OPEN)
		db->tx = TX_LOST;
}

void vg_db_free(struct vg_db *db)
{
	if (!db)
		return;
	if (db->conn)
		PQfinish(db->conn);
	forget_prepared(db);
	free(db->conninfo);
	free(db->application_name);
	free(db);
}

/* libpq messages end in a newline; log lines do not. */
static int msg_len(const char *m)
{
	size_t n = strlen(m);

	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	return (int)n;
}

static int unavailable(struct vg_err *err)
{
	vg_err_set(err, VG_EUNAVAIL, NULL, "the database is unavailable: retry shortly");
	err->retry_after = UNAVAIL_RETRY_AFTER_S;
	return VG_EUNAVAIL;
}

/* Server notices (e.g. "relation already exists, skipping") go to the log, not stderr. */
static void notice_to_log(void *arg, const char *message)
{
	(void)arg;
	log_debug("postgres notice: %.*s", msg_len(message), message);
}

/* The conninfo keywords plus ours: fallback_application_name (the file's own
 * application_name wins), connect_timeout when unset, and statement_timeout appended to any
 * options the file already has.  Keyword arrays, never a concatenated string. */
static PGconn *connect_with_conninfo(const struct vg_db *db)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(db->conninfo, &perr);
	char options[1024] = "";
	bool have_connect_timeout = false;
	PGconn *conn;

	if (!opts) {
		log_warnx("database conninfo cannot be parsed: %s", perr ? perr : "out of memory");
		PQfreemem(perr);
		return NULL;
	}
	size_t n = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		n++;
	const char **keys = vg_xmalloc((n + 4) * sizeof *keys);
	const char **vals = vg_xmalloc((n + 4) * sizeof *vals);
	size_t k = 0;
	const char *file_options = "";

	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "options") == 0) {
			file_options = o->val;
			continue;
		}
		if (strcmp(o->keyword, "connect_timeout") == 0)
			have_connect_timeout = true;
		keys[k] = o->keyword;
		vals[k++] = o->val;
	}
	if (db->statement_timeout_ms > 0)
		snprintf(options, sizeof options, "%s%s-c statement_timeout=%d", file_options,
		         *file_options ? " " : "", db->statement_timeout_ms);
	else
		snprintf(options, sizeof options, "%s", file_options);
	if (*options) {
		keys[k] = "options";
		vals[k++] = options;
	}
	if (!have_connect_timeout) {
		keys[k] = "connect_timeout";
		vals[k++] = DEFAULT_CONNECT_TIMEOUT;
	}
	keys[k] = "fallback_application_name";
	vals[k++] = db->application_name;
	keys[k] = NULL;
	vals[k] = NULL;

	conn = PQconnectdbParams(keys, vals, 0);
	free(keys);
	free(vals);
	PQconninfoFree(opts);
	return conn;
}

/* An idle connection has nothing to read.  Readable means the server went away (or sent a
 * notice or notification, which PQconsumeInput absorbs); either way libpq then knows. */
static bool idle_connection_alive(PGconn *conn)
{
	struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};

	if (p.fd < 0)
		return false;
	/* A dying backend sends its FATAL message, then EOF: libpq sees the EOF only on a
	 * second read, so read while there is something to read (a few times at most). */
	for (int i = 0; i < 4; i++) {
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			return true;
		if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
			return false;
	}
	return true;
}

int vg_db_ensure(struct vg_db *db, struct vg_err *err)
{
	/* a connection that just answered is not probed again (a syscall per statement); one
	 * that dies anyway is caught by the statement, and retried outside a transaction */
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	    (now_ms() - db->last_ok_ms < IDLE_PROBE_AFTER_MS || idle_connection_alive(db->conn)))
		return VG_OK;
	if (db->conn) {
		const char *m = PQerrorMessage(db->conn);
		log_warnx("database connection lost: %.*s", msg_len(m), m);
		drop_connection(db);
	}
	if (db->tx == TX_LOST)
		return unavailable(err);
	if (db->last_failure_ms && now_ms() - db->last_failure_ms < RECONNECT_BACKOFF_MS)
		return unavailable(err);

	PGconn *conn = connect_with_conninfo(db);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		if (conn) {
			const char *m = PQerrorMessage(conn);
			log_warnx("database connection failed: %.*s", msg_len(m), m);
			PQfinish(conn);
		}
		db->last_failure_ms = now_ms();
		return unavailable(err);
	}
	PQsetNoticeProcessor(conn, notice_to_log, NULL);
	db->conn = conn;
	db->generation++;
	db->tx = TX_NONE;
	db->last_failure_ms = 0;
	return VG_OK;
}

unsigned vg_db_generation(const struct vg_db *db)
{
	return db->generation;
}

PGconn *vg_db_conn(struct vg_db *db)
{
	return db->conn;
}

static bool sqlstate_is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* Dependency trouble rather than a bug: connection exceptions (08), insufficient resources
 * (53), the server shutting down (57P01..57P05), a read-only server after failover. */
static bool sqlstate_unavailable(const char *s)
{
	return s && (strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0 ||
	             (strncmp(s, "57P0", 4) == 0) || strcmp(s, "25006") == 0);
}

static const char *primary_message(const PGresult *r)
{
	const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	return m ? m : "(no message)";
}

static void log_server_error(const PGresult *r, const char *sql, const char *sqlstate)
{
	const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	size_t len = strcspn(sql, "\n");

	log_warnx("database error sqlstate=%s: %s%s%s (statement: %.*s%s)",
	          sqlstate ? sqlstate : "none", primary ? primary : PQresultErrorMessage(r),
	          detail ? "; " : "", detail ? detail : "", (int)(len > 120 ? 120 : len), sql,
	          len > 120 || sql[len] ? " ..." : "");
}

/* Maps a failed result to err; the result stays the caller's to clear. */
static int map_failure(struct vg_db *db, const PGresult *r, const char *sql, struct vg_err *err)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	vg_strlcpy(db->sqlstate, s ? s : "", sizeof db->sqlstate);
	if (sqlstate_is(s, "23505")) {
		log_debug("database unique violation: %s", primary_message(r));
		return vg_err_set(err, VG_ECONFLICT, NULL,
		                  "this conflicts with an existing record: change the value that "
		                  "must be unique");
	}
	if (sqlstate_is(s, "23503")) {
		log_debug("database foreign key violation: %s", primary_message(r));
		return vg_err_set(err, VG_ECONFLICT, NULL,
		                  "a referenced record does not exist or is still in use");
	}
	if (sqlstate_is(s, "40001") || sqlstate_is(s, "40P01")) {
		log_info("database asked for a retry sqlstate=%s", s);
		vg_err_set(err, VG_ERETRY, NULL,
		           "the database could not serialise this request: retry it");
		err->retry_after = 1;
		return VG_ERETRY;
	}
	if (sqlstate_is(s, "57014")) {
		log_server_error(r, sql, s);
		vg_err_set(err, VG_ETIMEOUT, NULL,
		           "the database took too long to answer: retry later");
		err->retry_after = UNAVAIL_RETRY_AFTER_S;
		return VG_ETIMEOUT;
	}
	log_server_error(r, sql, s);
	if (sqlstate_unavailable(s))
		return unavailable(err);
	return vg_err_set(err, VG_EINTERNAL, NULL,
	                  "an internal database error happened: it has been logged");
}

static bool result_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

static void clear_result(void *r)
{
	PQclear(r);
}

/* The name of sql's prepared statement on this connection, preparing it on first use; NULL
 * when it cannot be kept (cache full, or the prepare failed: then the plain path reports). */
static const char *prepared_name(struct vg_db *db, const char *sql, int nparams, char *name,
                                 size_t size)
{
	int i;

	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i].sql == sql && strcmp(db->prepared[i].text, sql) == 0)
			break;
	snprintf(name, size, "vg%d", i);
	if (i < db->nprepared)
		return name;
	if (db->nprepared == MAX_PREPARED)
		return NULL;
	PGresult *r = PQprepare(db->conn, name, sql, nparams, NULL);
	bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (r && !ok) /* a bug in the statement: the plain path below reports it */
		log_server_error(r, sql, PQresultErrorField(r, PG_DIAG_SQLSTATE));
	PQclear(r);
	if (!ok)
		return NULL;
	db->prepared[i].sql = sql;
	db->prepared[i].text = vg_xstrdup(sql);
	db->nprepared++;
	return name;
}

/* Runs sql once; NULL with err set on failure.  *lost tells whether the connection died. */
static PGresult *exec_once(struct vg_db *db, const char *sql, int nparams,
                           const char *const *params, bool *lost, struct vg_err *err)
{
	PGresult *r;

	*lost = false;
	if (vg_db_ensure(db, err) != VG_OK)
		return NULL;
	char name[16];
	const char *stmt = prepared_name(db, sql, nparams, name, sizeof name);
	r = stmt ? PQexecPrepared(db->conn, stmt, nparams, params, NULL, NULL, 0)
	         : PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (r && result_ok(r)) {
		db->last_ok_ms = now_ms();
		return r;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn);
		log_warnx("database connection lost during a statement: %.*s", msg_len(m), m);
		PQclear(r);
		drop_connection(db);
		vg_strlcpy(db->sqlstate, "08006", sizeof db->sqlstate);
		*lost = true;
		unavailable(err);
		return NULL;
	}
	if (!r) {
		vg_strlcpy(db->sqlstate, "", sizeof db->sqlstate);
		const char *m = PQerrorMessage(db->conn);
		log_warnx("database statement failed: %.*s", msg_len(m), m);
		vg_err_set(err, VG_EINTERNAL, NULL,
		           "an internal database error happened: it has been logged");
		return NULL;
	}
	map_failure(db, r, sql, err);
	PQclear(r);
	return NULL;
}

/* A statement that may run twice without harm: when the connection dies mid-statement the
 * server may have committed it already, so only reads (and BEGIN, LISTEN) are repeated on a
 * new connection; a write fails with 503 and the client decides. */
static bool safe_to_repeat(const char *sql)
{
	static const char *const words[] = {"SELECT", "BEGIN", "LISTEN", "SHOW"};

	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t n = strlen(words[i]);
		if (strncasecmp(sql, words[i], n) == 0 && !isalnum((unsigned char)sql[n]))
			return true;
	}
	return false;
}

PGresult *vg_db_exec(struct vg_db *db, struct vg_arena *a, const char *sql, int nparams,
                     const char *const *params, struct vg_err *err)
{
	bool lost;
	bool may_retry = db->tx == TX_NONE && safe_to_repeat(sql);
	PGresult *r;

	db->sqlstate[0] = '\0';
	r = exec_once(db, sql, nparams, params, &lost, err);
	if (!r && lost && may_retry) {
		log_info("database reconnecting to retry the statement once");
		r = exec_once(db, sql, nparams, params, &lost, err);
	}
	if (!r)
		return NULL;
	vg_arena_cleanup(a, clear_result, r);
	return r;
}

int vg_db_begin(struct vg_db *db, struct vg_arena *a, struct vg_err *err)
{
	if (db->tx == TX_OPEN) {
		log_warnx("database BEGIN while a transaction is open (a bug in the caller)");
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "an internal error happened: it has been logged");
	}
	db->tx = TX_NONE; /* a transaction lost earlier is over: start afresh */
	if (!vg_db_q0(db, a, err, "BEGIN"))
		return err->rc;
	db->tx = TX_OPEN;
	return VG_OK;
}

int vg_db_commit(struct vg_db *db, struct vg_arena *a, struct vg_err *err)
{
	PGresult *r;

	if (db->tx == TX_LOST) {
		db->tx = TX_NONE;
		return unavailable(err);
	}
	if (db->tx != TX_OPEN) {
		log_warnx("database COMMIT without a transaction (a bug in the caller)");
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "an internal error happened: it has been logged");
	}
	r = vg_db_q0(db, a, err, "COMMIT");
	db->tx = TX_NONE;
	if (!r)
		return err->rc;
	/* COMMIT of a transaction that already failed answers "ROLLBACK", not an error. */
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		log_warnx("database COMMIT rolled back: a statement of the transaction had failed");
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "an internal database error happened: it has been logged");
	}
	return VG_OK;
}

void vg_db_rollback(struct vg_db *db)
{
	db->tx = TX_NONE;
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK ||
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	PGresult *r = PQexec(db->conn, "ROLLBACK");
	if (!r || !result_ok(r))
		log_warnx("database ROLLBACK failed: %.*s", msg_len(PQerrorMessage(db->conn)),
		          PQerrorMessage(db->conn));
	PQclear(r);
}

void vg_db_end_request(struct vg_db *db)
{
	if (db->tx == TX_OPEN || (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	                          PQtransactionStatus(db->conn) != PQTRANS_IDLE))
		log_debug("database transaction left open at the end of a request: rolling back");
	vg_db_rollback(db);
}

static int column(const PGresult *r, int row, const char *col)
{
	int c;

	if (!r || row < 0 || row >= PQntuples(r))
		return -1;
	c = PQfnumber(r, col);
	if (c < 0 || PQgetisnull(r, row, c))
		return -1;
	return c;
}

char *vg_db_uuid_array(struct vg_arena *a, const char *const *ids, int n, int *bad)
{
	char *s = vg_arena_alloc(a, 3 + (size_t)(n > 0 ? n : 0) * 37), *p = s;

	*p++ = '{';
	for (int i = 0; i < n; i++) {
		if (!vg_str_is_uuid(ids[i])) {
			*bad = i;
			return NULL;
		}
		if (i)
			*p++ = ',';
		memcpy(p, ids[i], 36);
		p += 36;
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

const char *vg_db_get(const PGresult *r, int row, const char *col)
{
	int c = column(r, row, col);

	return c < 0 ? NULL : PQgetvalue(r, row, c);
}

bool vg_db_get_bool(const PGresult *r, int row, const char *col)
{
	const char *v = vg_db_get(r, row, col);

	return v && strcmp(v, "t") == 0;
}

long long vg_db_get_ll(const PGresult *r, int row, const char *col, long long def)
{
	const char *v = vg_db_get(r, row, col);
	int64_t out;

	if (!v || !vg_str_i64(v, INT64_MIN, INT64_MAX, &out))
		return def;
	return (long long)out;
}

double vg_db_get_double(const PGresult *r, int row, const char *col, double def)
{
	const char *v = vg_db_get(r, row, col);
	char *end;
	double d;

	if (!v || !*v)
		return def;
	errno = 0;
	d = strtod(v, &end);
	if (*end || errno == ERANGE)
		return def;
	return d;
}

const char *vg_db_last_sqlstate(const struct vg_db *db)
{
	return db->sqlstate;
}
