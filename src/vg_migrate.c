/* Forward-only migrations: every sql/NNNN_name.sql not yet in schema_migrations is applied in
 * version order, each file and its bookkeeping row in one transaction, all under an advisory
 * lock so two concurrent runs cannot apply a file twice. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vg_log.h"
#include "vg_migrate.h"
#include "vg_str.h"

/* pg_advisory_lock key: "veogen" read as a 48-bit big-endian number. */
#define MIGRATE_LOCK_KEY    "130178032821614"
#define MAX_MIGRATION_BYTES (16 * 1024 * 1024)
#define VERSION_DIGITS      4

struct migration {
	char *file; /* "0001_init.sql" */
	char version[VERSION_DIGITS + 1];
	char *name; /* "init" */
};

/* ^[0-9]{4}_[a-z0-9_]+\.sql$ */
static bool migration_name(const char *s)
{
	size_t n = strlen(s);

	if (n < VERSION_DIGITS + 1 + 1 + 4 || strcmp(s + n - 4, ".sql") != 0)
		return false;
	for (size_t i = 0; i < VERSION_DIGITS; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (s[VERSION_DIGITS] != '_')
		return false;
	for (size_t i = VERSION_DIGITS + 1; i < n - 4; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int by_file(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->file, ((const struct migration *)b)->file);
}

/* The migration files of dir, sorted; files that do not match the pattern are ignored. */
static int list_migrations(struct vg_arena *a, const char *dir, struct migration **out,
                           size_t *count, struct vg_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0, cap = 16;
	struct migration *m;

	if (!d)
		return vg_err_set(err, errno == ENOENT ? VG_ENOTFOUND : VG_EUNAVAIL, NULL,
		                  "cannot open the migrations directory %s: %s", dir,
		                  strerror(errno));
	m = vg_arena_alloc(a, cap * sizeof *m);
	while ((e = readdir(d))) {
		if (!migration_name(e->d_name))
			continue;
		if (n == cap) {
			struct migration *bigger = vg_arena_alloc(a, 2 * cap * sizeof *m);
			memcpy(bigger, m, n * sizeof *m);
			m = bigger;
			cap *= 2;
		}
		m[n].file = vg_arena_strdup(a, e->d_name);
		memcpy(m[n].version, e->d_name, VERSION_DIGITS);
		m[n].version[VERSION_DIGITS] = '\0';
		m[n].name = vg_arena_strndup(a, e->d_name + VERSION_DIGITS + 1,
		                             strlen(e->d_name) - VERSION_DIGITS - 1 - 4);
		n++;
	}
	closedir(d);
	qsort(m, n, sizeof *m, by_file);
	for (size_t i = 1; i < n; i++)
		if (strcmp(m[i].version, m[i - 1].version) == 0)
			return vg_err_set(
			    err, VG_EINVAL, NULL,
			    "migrations %s and %s in %s share version %s: renumber one",
			    m[i - 1].file, m[i].file, dir, m[i].version);
	*out = m;
	*count = n;
	return VG_OK;
}

static char *read_file(struct vg_arena *a, const char *path, struct vg_err *err)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *buf;

	if (!f) {
		vg_err_set(err, VG_EUNAVAIL, NULL, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size > MAX_MIGRATION_BYTES) {
		vg_err_set(err, VG_EINVAL, NULL, "%s is larger than %d bytes: split it", path,
		           MAX_MIGRATION_BYTES);
		fclose(f);
		return NULL;
	}
	buf = vg_arena_alloc(a, (size_t)st.st_size + 1);
	size_t n = fread(buf, 1, (size_t)st.st_size, f);
	bool bad = ferror(f);
	fclose(f);
	if (bad || n != (size_t)st.st_size) {
		vg_err_set(err, VG_EUNAVAIL, NULL, "cannot read %s: it changed or failed to read",
		           path);
		return NULL;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) || !vg_str_utf8_valid(buf, n)) {
		vg_err_set(err, VG_EINVAL, NULL, "%s is not UTF-8 text", path);
		return NULL;
	}
	return buf;
}

/* The line of a 1-based character position (what the server reports) in sql. */
static int line_of_position(const char *sql, const char *position)
{
	int64_t pos;
	int line = 1;
	size_t chars = 0;

	if (!position || !vg_str_i64(position, 1, INT64_MAX, &pos))
		return 0;
	for (const char *p = sql; *p && chars < (size_t)pos - 1; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		chars++;
		if (*p == '\n')
			line++;
	}
	return line;
}

/* Runs one file's SQL (several statements) inside the open transaction. */
static int apply_sql(PGconn *conn, const struct migration *m, const char *sql, struct vg_err *err)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = VG_OK;

	if (!r) {
		rc = vg_err_set(err, VG_EUNAVAIL, NULL, "migration %s failed: %s", m->file,
		                PQerrorMessage(conn));
	} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
		int line = line_of_position(sql, PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION));
		char where[32] = "";

		if (line > 0)
			snprintf(where, sizeof where, " at line %d", line);
		rc = vg_err_set(err, PQstatus(conn) == CONNECTION_OK ? VG_EINVAL : VG_EUNAVAIL,
		                NULL, "migration %s failed%s: %s%s%s", m->file, where,
		                msg ? msg : PQresultErrorMessage(r), hint ? " (hint: " : "",
		                hint ? hint : "");
		if (hint) {
			size_t n = strlen(err->msg);
			if (n + 1 < sizeof err->msg) {
				err->msg[n] = ')';
				err->msg[n + 1] = '\0';
			}
		}
	} else if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		rc =
		    vg_err_set(err, VG_EINVAL, NULL,
		               "migration %s ended the transaction itself: remove BEGIN, COMMIT "
		               "and ROLLBACK from the file (each file runs in its own transaction)",
		               m->file);
	}
	PQclear(r);
	return rc;
}

static bool already_applied(const PGresult *done, const char *version)
{
	for (int i = 0; i < PQntuples(done); i++)
		if (strcmp(PQgetvalue(done, i, 0), version) == 0)
			return true;
	return false;
}

static void warn_unknown_versions(const PGresult *done, const struct migration *m, size_t n,
                                  const char *dir)
{
	for (int i = 0; i < PQntuples(done); i++) {
		bool known = false;
		for (size_t j = 0; j < n && !known; j++)
			known = strcmp(m[j].version, PQgetvalue(done, i, 0)) == 0;
		if (!known)
			log_warnx("migrate: version %s is recorded in the database but has no file "
			          "in %s (is this an older veogen?)",
			          PQgetvalue(done, i, 0), dir);
	}
}

static int apply_one(struct vg_db *db, struct vg_arena *a, const char *dir,
                     const struct migration *m, struct vg_err *err)
{
	char *path = vg_arena_printf(a, "%s/%s", dir, m->file);
	char *sql = read_file(a, path, err);

	if (!sql)
		return err->rc;
	if (vg_db_begin(db, a, err) != VG_OK)
		return err->rc;
	if (apply_sql(vg_db_conn(db), m, sql, err) != VG_OK) {
		vg_db_rollback(db);
		return err->rc;
	}
	if (!vg_db_q(db, a, err, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
	             m->version, m->name)) {
		vg_db_rollback(db);
		return err->rc;
	}
	if (vg_db_commit(db, a, err) != VG_OK)
		return err->rc;
	log_info("migrate: applied %s", m->file);
	return VG_OK;
}

int vg_migrate_run(struct vg_db *db, const char *dir, int *applied, struct vg_err *err)
{
	struct vg_arena *a = vg_arena_create(16 * 1024);
	struct migration *m = NULL;
	size_t n = 0;
	PGconn *locked = NULL;
	PGresult *done;
	int rc;

	*applied = 0;
	if ((rc = list_migrations(a, dir, &m, &n, err)) != VG_OK)
		goto out;
	/* A migration may build an index for minutes: the API's statement timeout is not for it. */
	if (!vg_db_q0(db, a, err, "SET statement_timeout = 0") ||
	    !vg_db_q(db, a, err, "SELECT pg_advisory_lock($1::bigint)", MIGRATE_LOCK_KEY)) {
		rc = err->rc;
		goto out;
	}
	locked = vg_db_conn(db);
	if (!vg_db_q0(
	        db, a, err,
	        "CREATE TABLE IF NOT EXISTS schema_migrations ("
	        "version text PRIMARY KEY, name text, applied_at timestamptz DEFAULT now())") ||
	    !(done = vg_db_q0(db, a, err, "SELECT version FROM schema_migrations"))) {
		rc = err->rc;
		goto out;
	}
	warn_unknown_versions(done, m, n, dir);
	for (size_t i = 0; i < n; i++) {
		if (already_applied(done, m[i].version))
			continue;
		/* The lock lives in one session: a reconnect in between would have dropped it. */
		if (vg_db_conn(db) != locked) {
			rc = vg_err_set(err, VG_EUNAVAIL, NULL,
			                "the database connection was lost during the migration: "
			                "run it again");
			goto out;
		}
		if ((rc = apply_one(db, a, dir, &m[i], err)) != VG_OK)
			goto out;
		(*applied)++;
	}
	rc = VG_OK;
	log_info("migrate: %d applied, %zu known, schema is current", *applied, n);
out:
	vg_db_rollback(db);
	if (locked && vg_db_conn(db) == locked) {
		struct vg_err ignored;
		vg_err_clear(&ignored);
		vg_db_q(db, a, &ignored, "SELECT pg_advisory_unlock($1::bigint)", MIGRATE_LOCK_KEY);
		vg_db_q0(db, a, &ignored, "RESET statement_timeout");
	} else if (vg_db_conn(db)) {
		struct vg_err ignored;
		vg_err_clear(&ignored);
		vg_db_q0(db, a, &ignored, "RESET statement_timeout");
	}
	vg_arena_destroy(a);
	return rc;
}
