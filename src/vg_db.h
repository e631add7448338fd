/* PostgreSQL access: parameters only (never SQL built from input), lazy connect and
 * reconnect, results owned by an arena, SQLSTATE mapped to vg_rc once. */
#ifndef VG_DB_H
#define VG_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "vg_arena.h"
#include "vg_err.h"

struct vg_db;

/* Nothing is connected until first use. conninfo is copied. */
struct vg_db *vg_db_new(const char *conninfo, const char *application_name,
                        int statement_timeout_ms);
void vg_db_free(struct vg_db *db);

/* Connects when not connected (or the connection went bad).  VG_EUNAVAIL with a
 * message naming the server when it cannot. */
int vg_db_ensure(struct vg_db *db, struct vg_err *err);
PGconn *vg_db_conn(struct vg_db *db); /* NULL when not connected */
/* Changes with every new connection: session state (LISTEN, caches fed by NOTIFY) kept for an
 * older generation is gone. */
unsigned vg_db_generation(const struct vg_db *db);

/* Runs one statement with text parameters (NULL = SQL NULL).  Returns a result registered
 * on the arena (PQclear at reset) or NULL with err set:
 *   23505/23503 → VG_ECONFLICT, 40001/40P01 → VG_ERETRY, 57014 → VG_ETIMEOUT,
 *   lost connection → VG_EUNAVAIL (outside a transaction a read — SELECT, BEGIN, LISTEN,
 *   SHOW — is retried once on a new connection; a write is not: it may have committed),
 *   anything else → VG_EINTERNAL (logged with the server's message). */
PGresult *vg_db_exec(struct vg_db *db, struct vg_arena *a, const char *sql, int nparams,
                     const char *const *params, struct vg_err *err);
/* Convenience: params as varargs count + array literal via VG_DB_P(...). */
#define VG_DB_P(...) ((const char *const[]){__VA_ARGS__})
#define VG_DB_N(...) ((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))
#define vg_db_q(db, a, err, sql, ...)                                                              \
	vg_db_exec(db, a, sql, VG_DB_N(__VA_ARGS__), VG_DB_P(__VA_ARGS__), err)
#define vg_db_q0(db, a, err, sql) vg_db_exec(db, a, sql, 0, NULL, err)

int vg_db_begin(struct vg_db *db, struct vg_arena *a, struct vg_err *err);
int vg_db_commit(struct vg_db *db, struct vg_arena *a, struct vg_err *err);
void vg_db_rollback(struct vg_db *db); /* safe to call in any state */
/* End of a request or job step: ROLLBACK if a transaction was left open. */
void vg_db_end_request(struct vg_db *db);

/* A uuid[] parameter ("{id,id}") of n ids in arena memory; NULL when ids[*bad] is not a
 * canonical UUID (never put into SQL text). */
char *vg_db_uuid_array(struct vg_arena *a, const char *const *ids, int n, int *bad);

/* Field access by column name; NULL for SQL NULL or a missing column. */
const char *vg_db_get(const PGresult *r, int row, const char *col);
bool vg_db_get_bool(const PGresult *r, int row, const char *col);
long long vg_db_get_ll(const PGresult *r, int row, const char *col, long long def);
double vg_db_get_double(const PGresult *r, int row, const char *col, double def);

/* Server-side SQLSTATE of the last failure (for callers that need finer detail). */
const char *vg_db_last_sqlstate(const struct vg_db *db);

#endif
