/* Database modules against a live PostgreSQL (VG_TEST_CONNINFO, a role that may create
 * databases): migrations, parameters, the SQLSTATE mapping, transactions, reconnecting after
 * the server drops us, accounts and the audit log.  Everything runs in a database created
 * for the run and dropped at the end. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests.h"
#include "vg_account.h"
#include "vg_conf.h"
#include "vg_db.h"
#include "vg_migrate.h"
#include "vg_str.h"

static const char *admin_conninfo;
static char test_conninfo[4096];
static char dbname[64];
static struct vg_db *db;
static struct vg_arena *a;
static struct vg_err err;

static void fresh(void)
{
	vg_arena_reset(a);
	vg_err_clear(&err);
}

/* Runs one statement on a connection of its own; true when it succeeded. */
static bool run_on(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	bool ok = false;

	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		if (!ok)
			fprintf(stderr, "t_db: %s: %s", sql, PQerrorMessage(c));
		PQclear(r);
	} else {
		fprintf(stderr, "t_db: cannot connect: %s", PQerrorMessage(c));
	}
	PQfinish(c);
	return ok;
}

/* VG_TEST_CONNINFO with dbname replaced, as a key='value' string. */
static bool make_test_conninfo(void)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(admin_conninfo, &perr);
	size_t n = 0;

	if (!opts) {
		fprintf(stderr, "t_db: VG_TEST_CONNINFO: %s", perr ? perr : "cannot parse\n");
		PQfreemem(perr);
		return false;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || strcmp(o->keyword, "dbname") == 0)
			continue;
		n += (size_t)snprintf(test_conninfo + n, sizeof test_conninfo - n, "%s='",
		                      o->keyword);
		for (const char *p = o->val; *p && n + 3 < sizeof test_conninfo; p++) {
			if (*p == '\'' || *p == '\\')
				test_conninfo[n++] = '\\';
			test_conninfo[n++] = *p;
		}
		n += (size_t)snprintf(test_conninfo + n, sizeof test_conninfo - n, "' ");
	}
	snprintf(test_conninfo + n, sizeof test_conninfo - n, "dbname='%s'", dbname);
	PQconninfoFree(opts);
	return true;
}

static void test_setup(void)
{
	char sql[128];

	snprintf(dbname, sizeof dbname, "vg_unit_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0", dbname);
	CU_ASSERT_TRUE_FATAL(make_test_conninfo());
	CU_ASSERT_TRUE_FATAL(run_on(admin_conninfo, sql));
	a = vg_arena_create(8192);
	db = vg_db_new(test_conninfo, "veogen-unit", 2000);
	fresh();
	CU_ASSERT_EQUAL(vg_db_ensure(db, &err), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(vg_db_conn(db));
}

static void test_migrate_twice(void)
{
	int applied = -1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	fresh();
	CU_ASSERT_EQUAL(vg_migrate_run(db, VG_TOP_SRCDIR "/sql", &applied, &err), VG_OK);
	CU_ASSERT_TRUE(applied >= 1);
	fresh();
	CU_ASSERT_EQUAL(vg_migrate_run(db, VG_TOP_SRCDIR "/sql", &applied, &err), VG_OK);
	CU_ASSERT_EQUAL(applied, 0);
	PGresult *r = vg_db_q0(db, a, &err,
	                       "SELECT version, name FROM schema_migrations "
	                       "WHERE version = '0001'");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(PQntuples(r), 1);
	CU_ASSERT_STRING_EQUAL(vg_db_get(r, 0, "name"), "init");
	/* The migration ran without the API's statement timeout, and the session got it back. */
	r = vg_db_q0(db, a, &err, "SHOW statement_timeout");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(PQgetvalue(r, 0, 0), "2s");
}

static char *migration_dir(const char *const *names, const char *const *bodies)
{
	char *dir = vg_arena_strdup(a, "/tmp/vg-t-migrate-XXXXXX");

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	for (int i = 0; names[i]; i++) {
		FILE *f = fopen(vg_arena_printf(a, "%s/%s", dir, names[i]), "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fputs(bodies[i], f);
		fclose(f);
	}
	return dir;
}

static void remove_dir(const char *dir, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		unlink(vg_arena_printf(a, "%s/%s", dir, names[i]));
	rmdir(dir);
}

static void test_migrate_errors(void)
{
	static const char *const names[] = {"9001_bad.sql", "1_ignored.sql", "9002_Ignored.sql",
	                                    NULL};
	static const char *const bodies[] = {
	    "CREATE TABLE t_half (a int);\n\nSELECT nonsense FROM nowhere;\n", "garbage",
	    "garbage"};
	static const char *const dup_names[] = {"9003_a.sql", "9003_b.sql", NULL};
	static const char *const dup_bodies[] = {"SELECT 1;", "SELECT 2;"};
	int applied = -1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	fresh();
	char *dir = migration_dir(names, bodies);
	CU_ASSERT_NOT_EQUAL(vg_migrate_run(db, dir, &applied, &err), VG_OK);
	CU_ASSERT_EQUAL(applied, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "9001_bad.sql"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "line 3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nowhere"));
	remove_dir(dir, names);
	/* The failed file left nothing behind: not its table, not its version. */
	fresh();
	PGresult *r =
	    vg_db_q0(db, a, &err,
	             "SELECT to_regclass('t_half') IS NULL AS gone, "
	             "(SELECT count(*) FROM schema_migrations WHERE version = '9001') AS n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_TRUE(vg_db_get_bool(r, 0, "gone"));
	CU_ASSERT_EQUAL(vg_db_get_ll(r, 0, "n", -1), 0);

	fresh();
	dir = migration_dir(dup_names, dup_bodies);
	CU_ASSERT_EQUAL(vg_migrate_run(db, dir, &applied, &err), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "share version 9003"));
	remove_dir(dir, dup_names);

	fresh();
	CU_ASSERT_EQUAL(vg_migrate_run(db, "/nonexistent/sql", &applied, &err), VG_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/sql"));
}

static void test_exec_params(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	fresh();
	PGresult *r = vg_db_q(db, a, &err,
	                      "SELECT $1::int + $2::int AS sum, $3::text AS nothing, "
	                      "$4::text AS quote, 2.5::float8 AS half, true AS yes",
	                      "2", "3", NULL, "it's; DROP TABLE users; --");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(vg_db_get(r, 0, "sum"), "5");
	CU_ASSERT_EQUAL(vg_db_get_ll(r, 0, "sum", -1), 5);
	CU_ASSERT_PTR_NULL(vg_db_get(r, 0, "nothing"));
	CU_ASSERT_EQUAL(vg_db_get_ll(r, 0, "nothing", -1), -1);
	CU_ASSERT_STRING_EQUAL(vg_db_get(r, 0, "quote"), "it's; DROP TABLE users; --");
	CU_ASSERT_DOUBLE_EQUAL(vg_db_get_double(r, 0, "half", 0), 2.5, 1e-9);
	CU_ASSERT_TRUE(vg_db_get_bool(r, 0, "yes"));
	CU_ASSERT_PTR_NULL(vg_db_get(r, 0, "no_such_column"));
	CU_ASSERT_PTR_NULL(vg_db_get(r, 1, "sum"));
	CU_ASSERT_EQUAL(vg_db_get_ll(r, 0, "quote", 7), 7);
	CU_ASSERT_STRING_EQUAL(vg_db_last_sqlstate(db), "");
	/* Results belong to the arena: a reset clears them (ASan/valgrind see any leak). */
	vg_arena_reset(a);
}

static void test_sqlstate_mapping(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	fresh();
	CU_ASSERT_PTR_NOT_NULL(vg_db_q(db, a, &err,
	                               "INSERT INTO users (email, password_hash) VALUES ($1, 'x')",
	                               "dup@example.com"));
	CU_ASSERT_PTR_NULL(vg_db_q(db, a, &err,
	                           "INSERT INTO users (email, password_hash) VALUES ($1, 'x')",
	                           "DUP@example.com"));
	CU_ASSERT_EQUAL(err.rc, VG_ECONFLICT);
	CU_ASSERT_STRING_EQUAL(vg_db_last_sqlstate(db), "23505");

	fresh();
	CU_ASSERT_PTR_NULL(vg_db_q(db, a, &err,
	                           "INSERT INTO api_keys (user_id, name, prefix, key_hash) "
	                           "VALUES (gen_random_uuid(), 'k', 'vg_x', 'h')"));
	CU_ASSERT_EQUAL(err.rc, VG_ECONFLICT);
	CU_ASSERT_STRING_EQUAL(vg_db_last_sqlstate(db), "23503");

	static const struct {
		const char *code;
		int rc;
	} raised[] = {{"40001", VG_ERETRY},
	              {"40P01", VG_ERETRY},
	              {"57014", VG_ETIMEOUT},
	              {"22012", VG_EINTERNAL},
	              {"53300", VG_EUNAVAIL}};
	for (size_t i = 0; i < sizeof raised / sizeof raised[0]; i++) {
		/* DO takes no parameters: set the code first, then raise it. */
		fresh();
		CU_ASSERT_PTR_NOT_NULL(vg_db_q(
		    db, a, &err, "SELECT set_config('vg.code', $1, false)", raised[i].code));
		CU_ASSERT_PTR_NULL(vg_db_q0(db, a, &err,
		                            "DO $$BEGIN RAISE EXCEPTION 'secret server detail' "
		                            "USING ERRCODE = current_setting('vg.code'); END$$"));
		CU_ASSERT_EQUAL(err.rc, raised[i].rc);
		CU_ASSERT_STRING_EQUAL(vg_db_last_sqlstate(db), raised[i].code);
		CU_ASSERT_PTR_NULL(strstr(err.msg, "secret"));
	}

	/* A real statement timeout (2 s on this connection). */
	fresh();
	CU_ASSERT_PTR_NULL(vg_db_q0(db, a, &err, "SELECT pg_sleep(3)"));
	CU_ASSERT_EQUAL(err.rc, VG_ETIMEOUT);
	CU_ASSERT_TRUE(err.retry_after > 0);

	fresh();
	CU_ASSERT_PTR_NULL(vg_db_q0(db, a, &err, "SELECT 1/0"));
	CU_ASSERT_EQUAL(err.rc, VG_EINTERNAL);
	CU_ASSERT_PTR_NULL(strstr(err.msg, "division"));
	/* The connection is still good after all of these. */
	fresh();
	CU_ASSERT_PTR_NOT_NULL(vg_db_q0(db, a, &err, "SELECT 1"));
}

static long long count_users(const char *email)
{
	struct vg_err e;

	vg_err_clear(&e);
	PGresult *r = vg_db_q(db, a, &e, "SELECT count(*) AS n FROM users WHERE email = $1", email);
	return r ? vg_db_get_ll(r, 0, "n", -1) : -1;
}

static void test_transactions(void)
{
	const char *ins = "INSERT INTO users (email, password_hash) VALUES ($1, 'x')";

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	fresh();
	CU_ASSERT_EQUAL(vg_db_begin(db, a, &err), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(vg_db_q(db, a, &err, ins, "tx1@example.com"));
	vg_db_rollback(db);
	CU_ASSERT_EQUAL(count_users("tx1@example.com"), 0);

	CU_ASSERT_EQUAL(vg_db_begin(db, a, &err), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(vg_db_q(db, a, &err, ins, "tx2@example.com"));
	CU_ASSERT_EQUAL(vg_db_commit(db, a, &err), VG_OK);
	CU_ASSERT_EQUAL(count_users("tx2@example.com"), 1);

	/* COMMIT after a failed statement must not report success. */
	fresh();
	CU_ASSERT_EQUAL(vg_db_begin(db, a, &err), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(vg_db_q(db, a, &err, ins, "tx3@example.com"));
	CU_ASSERT_PTR_NULL(vg_db_q0(db, a, &err, "SELECT 1/0"));
	fresh();
	CU_ASSERT_NOT_EQUAL(vg_db_commit(db, a, &err), VG_OK);
	CU_ASSERT_EQUAL(count_users("tx3@example.com"), 0);

	/* Misuse is reported, not obeyed. */
	fresh();
	CU_ASSERT_EQUAL(vg_db_commit(db, a, &err), VG_EINTERNAL);
	CU_ASSERT_EQUAL(vg_db_begin(db, a, &err), VG_OK);
	CU_ASSERT_EQUAL(vg_db_begin(db, a, &err), VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(vg_db_q(db, a, &err, ins, "tx4@example.com"));
	/* A request that forgot its transaction: end_request rolls it back. */
	vg_db_end_request(db);
	CU_ASSERT_EQUAL(PQtransactionStatus(vg_db_conn(db)), PQTRANS_IDLE);
	CU_ASSERT_EQUAL(count_users("tx4@example.com"), 0);
	vg_db_rollback(db); /* safe in any state */
	vg_db_rollback(db);
}

static long long backend_pid(struct vg_db *d)
{
	struct vg_err e;

	vg_err_clear(&e);
	PGresult *r = vg_db_q0(d, a, &e, "SELECT pg_backend_pid() AS pid");
	return r ? vg_db_get_ll(r, 0, "pid", -1) : -1;
}

static void terminate(long long pid)
{
	char p[32];
	struct vg_db *killer = vg_db_new(test_conninfo, "veogen-unit-killer", 0);
	struct vg_err e;

	vg_err_clear(&e);
	snprintf(p, sizeof p, "%lld", pid);
	PGresult *r = vg_db_q(killer, a, &e, "SELECT pg_terminate_backend($1::int, 5000) AS ok", p);
	CU_ASSERT_PTR_NOT_NULL(r);
	CU_ASSERT_TRUE(vg_db_get_bool(r, 0, "ok"));
	vg_arena_reset(a); /* the result belongs to killer's connection: clear it first */
	vg_db_free(killer);
}

static void test_reconnect(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	fresh();
	long long pid = backend_pid(db);
	CU_ASSERT_TRUE_FATAL(pid > 0);
	terminate(pid);
	/* Idle connection dropped by the server: the next statement just works. */
	long long pid2 = backend_pid(db);
	CU_ASSERT_TRUE(pid2 > 0);
	CU_ASSERT_NOT_EQUAL(pid2, pid);

	/* Inside a transaction the work is gone: say so, and never COMMIT on a new session. */
	fresh();
	CU_ASSERT_EQUAL(vg_db_begin(db, a, &err), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(vg_db_q(db, a, &err,
	                               "INSERT INTO users (email, password_hash) VALUES ($1, 'x')",
	                               "lost@example.com"));
	terminate(pid2);
	CU_ASSERT_PTR_NULL(vg_db_q0(db, a, &err, "SELECT 1"));
	CU_ASSERT_EQUAL(err.rc, VG_EUNAVAIL);
	fresh();
	CU_ASSERT_EQUAL(vg_db_commit(db, a, &err), VG_EUNAVAIL);
	vg_db_rollback(db);
	fresh();
	CU_ASSERT_PTR_NOT_NULL(vg_db_q0(db, a, &err, "SELECT 1"));
	CU_ASSERT_EQUAL(count_users("lost@example.com"), 0);
}

/* The connection dies while a statement runs: outside a transaction it is retried once. */
static void test_retry_after_loss_mid_statement(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	fresh();
	long long pid = backend_pid(db);
	CU_ASSERT_TRUE_FATAL(pid > 0);
	pid_t child = fork();
	CU_ASSERT_TRUE_FATAL(child >= 0);
	if (child == 0) {
		char sql[96];
		struct timespec ts = {0, 300 * 1000000L};
		nanosleep(&ts, NULL);
		snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", pid);
		_exit(run_on(test_conninfo, sql) ? 0 : 1);
	}
	PGresult *r = vg_db_q0(db, a, &err, "SELECT pg_sleep(1), pg_backend_pid() AS pid");
	int status = 0;
	waitpid(child, &status, 0);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_NOT_EQUAL(vg_db_get_ll(r, 0, "pid", pid), pid);
}

static void test_unavailable(void)
{
	struct vg_db *down = vg_db_new("host=/tmp/vg-no-such-dir port=1", "veogen-unit", 1000);

	fresh();
	CU_ASSERT_EQUAL(vg_db_ensure(down, &err), VG_EUNAVAIL);
	CU_ASSERT_STRING_EQUAL(err.msg, "the database is unavailable: retry shortly");
	CU_ASSERT_EQUAL(err.retry_after, 2);
	fresh();
	CU_ASSERT_PTR_NULL(vg_db_q0(down, a, &err, "SELECT 1"));
	CU_ASSERT_EQUAL(err.rc, VG_EUNAVAIL);
	CU_ASSERT_PTR_NULL(vg_db_conn(down));
	vg_db_rollback(down);
	vg_db_end_request(down);
	vg_db_free(down);

	/* A conninfo that does not parse is unavailability too, not a crash. */
	down = vg_db_new("host='unterminated", "veogen-unit", 1000);
	fresh();
	CU_ASSERT_EQUAL(vg_db_ensure(down, &err), VG_EUNAVAIL);
	vg_db_free(down);
}

static void test_account_create(void)
{
	struct vg_conf c;
	char *id = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	vg_conf_defaults(&c);
	c.auth_scrypt_n_log2 = 12; /* the lowest the config allows: keeps the test fast */
	fresh();
	CU_ASSERT_EQUAL(vg_account_create(db, a, &c, "  Ada.Lovelace@Example.COM ",
	                                  "correct horse battery", "  Ada  ", NULL, &id, &err),
	                VG_OK);
	CU_ASSERT_TRUE_FATAL(id && vg_str_is_uuid(id));
	PGresult *r = vg_db_q(db, a, &err,
	                      "SELECT email, display_name, role, password_hash FROM users "
	                      "WHERE id = $1",
	                      id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(vg_db_get(r, 0, "email"), "ada.lovelace@example.com");
	CU_ASSERT_STRING_EQUAL(vg_db_get(r, 0, "display_name"), "Ada");
	CU_ASSERT_STRING_EQUAL(vg_db_get(r, 0, "role"), "user");
	CU_ASSERT_STRING_NOT_EQUAL(vg_db_get(r, 0, "password_hash"), "correct horse battery");

	/* The same address in another case is taken. */
	fresh();
	CU_ASSERT_EQUAL(vg_account_create(db, a, &c, "ADA.LOVELACE@example.com", "another password",
	                                  NULL, "admin", &id, &err),
	                VG_ECONFLICT);
	CU_ASSERT_STRING_EQUAL(err.msg, "an account with this email already exists");

	/* Every bad field is reported at once, and nothing is created. */
	fresh();
	char long_name[120];
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	CU_ASSERT_EQUAL(
	    vg_account_create(db, a, &c, "not-an-email", "short", long_name, "root", &id, &err),
	    VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 4);
	CU_ASSERT_STRING_EQUAL(err.fields[0].field, "email");
	CU_ASSERT_STRING_EQUAL(err.fields[1].field, "password");
	CU_ASSERT_STRING_EQUAL(err.fields[1].message, "must be at least 10 characters");
	CU_ASSERT_STRING_EQUAL(err.fields[2].field, "display_name");
	CU_ASSERT_STRING_EQUAL(err.fields[3].field, "role");

	static const char *const bad_emails[] = {"a@b",
	                                         "@example.com",
	                                         "a@@example.com",
	                                         "a b@example.com",
	                                         "a@.example.com",
	                                         "a@example..com",
	                                         "a@example.com.",
	                                         ""};
	for (size_t i = 0; i < sizeof bad_emails / sizeof bad_emails[0]; i++) {
		fresh();
		CU_ASSERT_EQUAL(vg_account_create(db, a, &c, bad_emails[i], "long enough pw", NULL,
		                                  NULL, &id, &err),
		                VG_EINVAL);
		CU_ASSERT_STRING_EQUAL(err.fields[0].field, "email");
	}
	/* Ten code points are enough even when they are twenty bytes. */
	fresh();
	CU_ASSERT_EQUAL(vg_account_create(db, a, &c, "unicode@example.com",
	                                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                                  "\xc3\xa9\xc3\xa9\xc3\xa9",
	                                  "", "admin", &id, &err),
	                VG_OK);
	char big[1100];
	memset(big, 'p', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	fresh();
	CU_ASSERT_EQUAL(vg_account_create(db, a, &c, "big@example.com", big, NULL, NULL, &id, &err),
	                VG_EINVAL);
	CU_ASSERT_STRING_EQUAL(err.fields[0].message, "must be at most 1024 bytes");
	/* A caller's earlier field error also stops the insert. */
	fresh();
	vg_err_field(&err, "other", "is wrong");
	CU_ASSERT_EQUAL(vg_account_create(db, a, &c, "fine@example.com", "long enough pw", NULL,
	                                  NULL, &id, &err),
	                VG_EINVAL);
	CU_ASSERT_EQUAL(count_users("fine@example.com"), 0);
	vg_conf_free(&c);
}

static void test_audit(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	fresh();
	vg_audit(db, a, "00000000-0000-4000-8000-000000000001", "apikey.create", "api_key", "k1",
	         "127.0.0.1", "req-1", "{\"name\": \"ci\"}");
	PGresult *r =
	    vg_db_q0(db, a, &err,
	             "SELECT user_id, target_id, ip, request_id, details->>'name' AS name "
	             "FROM audit_log WHERE action = 'apikey.create'");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(PQntuples(r), 1);
	CU_ASSERT_STRING_EQUAL(vg_db_get(r, 0, "name"), "ci");
	CU_ASSERT_STRING_EQUAL(vg_db_get(r, 0, "request_id"), "req-1");

	/* Bad inputs are cleaned, and inside a transaction they never abort it. */
	fresh();
	CU_ASSERT_EQUAL(vg_db_begin(db, a, &err), VG_OK);
	vg_audit(db, a, "not-a-uuid", "auth.login", NULL, NULL, "\xff\xfe", NULL, "{not json");
	vg_audit(db, a, NULL, "auth.logout", NULL, NULL, NULL, NULL, "[1, 2]");
	CU_ASSERT_EQUAL(vg_db_commit(db, a, &err), VG_OK);
	r = vg_db_q0(db, a, &err,
	             "SELECT count(*) AS n FROM audit_log WHERE action IN ('auth.login', "
	             "'auth.logout') AND user_id IS NULL AND ip IS NULL AND details = '{}'");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(vg_db_get_ll(r, 0, "n", -1), 2);
}

static void test_teardown(void)
{
	char sql[128];

	if (a)
		vg_arena_reset(a);
	vg_db_free(db);
	db = NULL;
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	CU_ASSERT_TRUE(run_on(admin_conninfo, sql));
	if (a)
		vg_arena_destroy(a);
	a = NULL;
}

void t_db_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"setup: create a database", test_setup},
	    {"migrate twice", test_migrate_twice},
	    {"migrate errors", test_migrate_errors},
	    {"exec with parameters", test_exec_params},
	    {"sqlstate mapping", test_sqlstate_mapping},
	    {"transactions", test_transactions},
	    {"reconnect after terminate", test_reconnect},
	    {"retry after loss mid-statement", test_retry_after_loss_mid_statement},
	    {"unavailable database", test_unavailable},
	    {"account create", test_account_create},
	    {"audit", test_audit},
	    {"teardown: drop the database", test_teardown},
	    CU_TEST_INFO_NULL,
	};

	admin_conninfo = getenv("VG_TEST_CONNINFO");
	if (!admin_conninfo || !*admin_conninfo) {
		printf("db tests skipped: set VG_TEST_CONNINFO to a PostgreSQL role that may "
		       "create databases\n");
		return;
	}
	vg_test_suite("db", tests);
}
