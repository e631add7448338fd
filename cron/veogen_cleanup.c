/* veogen-cleanup: retention.  Deletes finished videos and movies past their retention with
 * their files (the code paths of the DELETE endpoints), uploads nothing uses any more,
 * finished jobs and webhook events, expired refresh tokens, old idempotency keys and audit
 * rows; removes stale temp files and files no row names; reports rows whose file vanished. */
#include "config.h"

#include <stdio.h>
#include <sysexits.h>

#include "cleanup.h"
#include "cron_common.h"
#include "vg_log.h"
#include "vg_retention.h"

#define PROG  "veogen-cleanup"
#define BATCH 500 /* rows per statement or per candidate list: short transactions */

static const char usage[] =
    "Usage: " PROG " [-c CONF] [-n] [-v]\n"
    "\n"
    "Applies the retention settings of the configuration (retention.*): deletes finished\n"
    "videos and movies older than retention.succeeded_days (succeeded) or\n"
    "retention.failed_days (failed, cancelled) with their files, uploads no video or movie\n"
    "uses that are older than retention.succeeded_days, job rows finished more than\n"
    "retention.jobs_days ago, delivered or failed webhook events older than that,\n"
    "expired refresh tokens, idempotency keys older than 24 hours\n"
    "and audit rows older than retention.audit_days (0 days = keep for ever).  Removes\n"
    "temporary files (*.tmp.*) and files no row names under storage.dir once they are\n"
    "older than retention.temp_hours, and reports rows whose file has vanished.\n"
    "Silent on success unless -v; reports go to syslog (facility cron) as well.\n"
    "\n"
    "Options:\n"
    "  -c, --config CONF   configuration file (default: $VEOGEN_CONF, else\n"
    "                      " VG_SYSCONFDIR "/veogen.conf)\n"
    "  -n, --dry-run       report what would be done, change nothing (implies -v)\n"
    "  -v, --verbose       say what was done on standard output\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 69\n"
    "(EX_UNAVAILABLE) when PostgreSQL cannot be reached, 73 (EX_CANTCREAT) when the lock\n"
    "file cannot be made, 74 (EX_IOERR) when a file could not be removed, 75\n"
    "(EX_TEMPFAIL) when another run holds the lock, 78 (EX_CONFIG) for a configuration\n"
    "that does not load, 70 (EX_SOFTWARE) otherwise.\n";

/* Finished work past retention: $1 succeeded days, $2 failed/cancelled days (0 = never). */
#define AGED(t)                                                                                    \
	"((" t ".status = 'succeeded' AND $1::int > 0 AND " t ".finished_at < now() - "            \
	"make_interval(days => $1::int)) OR (" t ".status IN ('failed', 'cancelled') AND "         \
	"$2::int > 0 AND " t ".finished_at < now() - make_interval(days => $2::int)))"

/* Videos of their own, and takes no scene uses any more (old takes of a movie), that no
 * unfinished take continues from. */
#define VIDEO_AGED                                                                                 \
	AGED("v")                                                                                  \
	" AND (v.movie_id IS NULL OR (NOT EXISTS (SELECT 1 FROM scenes s WHERE "                   \
	"s.video_id = v.id) AND NOT EXISTS (SELECT 1 FROM videos q WHERE "                         \
	"q.continue_from = v.id AND q.status IN ('queued', 'running'))))"

/* Uploads ($1 days old) that no video or movie names. */
#define UPLOAD_AGED                                                                                \
	"f.movie_id IS NULL AND $1::int > 0 AND f.created_at < now() - make_interval(days => "     \
	"$1::int) AND NOT EXISTS (SELECT 1 FROM videos v WHERE v.image_id = f.id OR "              \
	"v.last_frame_id = f.id OR f.id = ANY (v.reference_image_ids)) AND NOT EXISTS (SELECT 1 "  \
	"FROM movies m WHERE m.soundtrack_id = f.id OR f.id = ANY (m.character_image_ids))"

struct kind {
	const char *what;     /* "video" */
	const char *list_sql; /* candidates: id, user_id, what ($1, $2 days; $3 after id) */
	const char *lock_sql; /* the same test on one row, locked ($1, $2 days; $3 id) */
	int (*remove)(struct cron *c, PGresult *row, struct vg_err *err);
};

static const char *days(struct cron *c, int n)
{
	return vg_arena_printf(c->a, "%d", n);
}

/* ---- videos, movies, uploads: one transaction each, files after the commit ---- */

static int remove_video(struct cron *c, PGresult *row, struct vg_err *err)
{
	PGresult *paths;
	int rc = vg_retention_delete_video(c->db, c->a, vg_db_get(row, 0, "id"), &paths, err);

	if (rc == VG_OK && (rc = vg_db_commit(c->db, c->a, err)) == VG_OK)
		vg_retention_remove_video_files(c->a, c->conf.storage_dir, paths);
	return rc;
}

static int remove_movie(struct cron *c, PGresult *row, struct vg_err *err)
{
	struct vg_movie_removal d = {NULL, NULL};
	const char *id = vg_db_get(row, 0, "id");
	int rc = vg_retention_delete_movie(c->db, c->a, id, vg_db_get(row, 0, "user_id"), &d, err);

	if (rc == VG_OK && (rc = vg_db_commit(c->db, c->a, err)) == VG_OK)
		vg_retention_remove_movie_files(c->a, c->conf.storage_dir, id, &d);
	return rc;
}

static int remove_upload(struct cron *c, PGresult *row, struct vg_err *err)
{
	int rc = vg_retention_delete_file(c->db, c->a, vg_db_get(row, 0, "id"), err);

	if (rc == VG_OK && (rc = vg_db_commit(c->db, c->a, err)) == VG_OK)
		vg_retention_unlink(c->a, c->conf.storage_dir, vg_db_get(row, 0, "storage_path"));
	return rc;
}

static const struct kind kinds[] = {
    {"movie",
     "SELECT m.id, m.user_id, m.status || ', finished ' || vg_rfc3339(m.finished_at) AS what "
     "FROM movies m WHERE " AGED("m") " AND ($3::uuid IS NULL OR m.id > $3) ORDER BY m.id "
                                      "LIMIT 500",
     "SELECT m.id, m.user_id FROM movies m WHERE m.id = $3 AND " AGED(
         "m") " FOR UPDATE SKIP LOCKED",
     remove_movie},
    {"video",
     "SELECT v.id, v.user_id, v.status || ', finished ' || vg_rfc3339(v.finished_at) AS what "
     "FROM videos v WHERE " VIDEO_AGED " AND ($3::uuid IS NULL OR v.id > $3) ORDER BY v.id "
     "LIMIT 500",
     "SELECT v.id FROM videos v WHERE v.id = $3 AND " VIDEO_AGED " FOR UPDATE SKIP LOCKED",
     remove_video},
    {"upload",
     "SELECT f.id, f.user_id, 'uploaded ' || vg_rfc3339(f.created_at) AS what FROM files f "
     "WHERE " UPLOAD_AGED " AND $2::int IS NOT NULL AND ($3::uuid IS NULL OR f.id > $3) "
     "ORDER BY f.id LIMIT 500",
     "SELECT f.id, f.storage_path FROM files f WHERE f.id = $3 AND " UPLOAD_AGED
     " AND $2::int IS NOT NULL FOR UPDATE SKIP LOCKED",
     remove_upload},
};

/* Deletes one candidate if it still qualifies (someone may have changed it meanwhile):
 * 1 deleted, 0 skipped, or a negative vg_rc. */
static int remove_one(struct cron *c, const struct kind *k, const char *id, struct vg_err *err)
{
	const char *d1 = days(c, c->conf.retention_succeeded_days);
	const char *d2 = days(c, c->conf.retention_failed_days);
	PGresult *row;
	int rc;

	if ((rc = vg_db_begin(c->db, c->a, err)) != VG_OK)
		return rc;
	if (!(row = vg_db_q(c->db, c->a, err, k->lock_sql, d1, d2, id))) {
		vg_db_rollback(c->db);
		return err->rc;
	}
	if (PQntuples(row) != 1) {
		vg_db_rollback(c->db);
		return 0;
	}
	if ((rc = k->remove(c, row, err)) != VG_OK) {
		vg_db_rollback(c->db);
		return rc == VG_ECONFLICT ? 0 : rc; /* in use again: not ours to delete */
	}
	return 1;
}

static int prune_kind(struct cron *c, const struct kind *k)
{
	const char *d1 = days(c, c->conf.retention_succeeded_days);
	const char *d2 = days(c, c->conf.retention_failed_days);
	const char *after = NULL;
	long n = 0;
	struct vg_err err;
	PGresult *list;

	vg_err_clear(&err);
	do {
		if (!(list = vg_db_q(c->db, c->a, &err, k->list_sql, d1, d2, after)))
			return cron_db_error(
			    c, vg_arena_printf(c->a, "cannot list old %ss", k->what), &err);
		for (int i = 0; i < PQntuples(list); i++) {
			const char *id = vg_db_get(list, i, "id");
			int rc = c->dry_run ? 1 : remove_one(c, k, id, &err);

			if (rc < 0)
				return cron_db_error(
				    c, vg_arena_printf(c->a, "cannot delete %s %s", k->what, id),
				    &err);
			if (rc == 1)
				cron_say(c, "%s %s %s (%s) of user %s",
				         c->dry_run ? "would delete" : "deleted", k->what, id,
				         vg_db_get(list, i, "what"), vg_db_get(list, i, "user_id"));
			n += rc;
			after = vg_arena_strdup(c->a, id);
		}
	} while (PQntuples(list) == BATCH);
	if (n)
		cron_say(c, "%s %ld %s%s", c->dry_run ? "would delete" : "deleted", n, k->what,
		         n == 1 ? "" : "s");
	return EX_OK;
}

/* ---- rows without files: batched statements ---- */

struct prune {
	const char *what;  /* "finished jobs" */
	const char *table; /* the table, aliased t in cond */
	const char *cond;  /* $1 = the retention setting */
};

static const struct prune prunes[] = {
    /* not a job another still waits for, nor one whose children still run */
    {"finished jobs", "jobs",
     "t.state IN ('succeeded', 'failed', 'cancelled') AND $1::int > 0 AND t.finished_at < "
     "now() - make_interval(days => $1::int) AND NOT EXISTS (SELECT 1 FROM jobs ch WHERE "
     "ch.parent_id = t.id AND ch.state NOT IN ('succeeded', 'failed', 'cancelled')) AND NOT "
     "EXISTS (SELECT 1 FROM job_deps d JOIN jobs b ON b.id = d.job_id WHERE d.depends_on = "
     "t.id AND b.state NOT IN ('succeeded', 'failed', 'cancelled'))"},
    /* delivered or given up, with their attempt logs (ON DELETE CASCADE) */
    {"finished webhook events", "webhook_events",
     "t.state <> 'pending' AND $1::int > 0 AND t.created_at < now() - make_interval(days => "
     "$1::int)"},
    {"expired refresh tokens", "refresh_tokens", "t.expires_at < now() AND $1::int IS NOT NULL"},
    {"idempotency keys", "idempotency_keys",
     "t.created_at < now() - interval '24 hours' AND $1::int IS NOT NULL"},
    {"audit rows", "audit_log", "$1::int > 0 AND t.at < now() - make_interval(days => $1::int)"},
};

static int prune_rows(struct cron *c, const struct prune *p, int setting)
{
	struct vg_err err;
	long n = 0, got;
	PGresult *res;

	vg_err_clear(&err);
	if (c->dry_run) {
		res = vg_db_q(c->db, c->a, &err,
		              vg_arena_printf(c->a, "SELECT count(*) AS n FROM %s t WHERE %s",
		                              p->table, p->cond),
		              days(c, setting));
		if (!res)
			return cron_db_error(c, vg_arena_printf(c->a, "cannot count %s", p->what),
			                     &err);
		n = vg_db_get_ll(res, 0, "n", 0);
	} else {
		const char *sql = vg_arena_printf(
		    c->a,
		    "WITH gone AS (DELETE FROM %s WHERE ctid = ANY (ARRAY(SELECT t.ctid FROM %s t "
		    "WHERE %s LIMIT %d)) RETURNING 1) SELECT count(*) AS n FROM gone",
		    p->table, p->table, p->cond, BATCH);
		do {
			if (!(res = vg_db_q(c->db, c->a, &err, sql, days(c, setting))))
				return cron_db_error(
				    c, vg_arena_printf(c->a, "cannot delete %s", p->what), &err);
			n += got = vg_db_get_ll(res, 0, "n", 0);
		} while (got == BATCH);
	}
	if (n)
		cron_say(c, "%s %ld %s", c->dry_run ? "would delete" : "deleted", n, p->what);
	return EX_OK;
}

static int cleanup_run(struct cron *c)
{
	const int settings[] = {c->conf.retention_jobs_days, c->conf.retention_jobs_days, 0, 0,
	                        c->conf.retention_audit_days};
	long temp = 0, orphans = 0, vanished = 0;
	int rc;

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if ((rc = prune_kind(c, &kinds[i])) != EX_OK)
			return rc;
	for (size_t i = 0; i < sizeof prunes / sizeof prunes[0]; i++)
		if ((rc = prune_rows(c, &prunes[i], settings[i])) != EX_OK)
			return rc;
	if ((rc = cleanup_temp_files(c, &temp)) != EX_OK ||
	    (rc = cleanup_orphans(c, &orphans)) != EX_OK ||
	    (rc = cleanup_vanished(c, &vanished)) != EX_OK)
		return rc;
	if (temp || orphans)
		cron_say(c, "%s %ld temporary and %ld orphan files",
		         c->dry_run ? "would remove" : "removed", temp, orphans);
	if (vanished)
		cron_notice(c, "%ld rows name a file that is missing (see above)", vanished);
	return EX_OK;
}

int main(int argc, char **argv)
{
	static const struct cron_prog prog = {PROG, usage, NULL, NULL, cleanup_run};

	return cron_main(argc, argv, &prog);
}
