/* veogen-cleanup's storage part: stale temp files, orphan files, rows whose file vanished.
 * Layout (vg_storage.h): <kind>/<xx>/<id>.<ext> for videos, thumbs and files, and
 * movies/<xx>/<movie id>/… for a movie's assemblies. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "cleanup.h"
#include "vg_log.h"
#include "vg_retention.h"
#include "vg_storage.h"
#include "vg_str.h"

#define TEMP_DEPTH 4 /* movies/xx/<movie>/<assembly>.tmp.*: deepest temp name we make */
#define PAGE       500

/* The query that tells whether a stored name belongs to a row ($1 id, $2 relpath). */
static const struct {
	const char *kind;
	const char *owner_sql;
} kinds[] = {
    {"videos", "SELECT 1 FROM videos WHERE id = $1 AND content_path = $2"},
    {"thumbs", "SELECT 1 FROM videos WHERE id = $1 AND thumbnail_path = $2"},
    {"files", "SELECT 1 FROM files WHERE id = $1 AND storage_path = $2"},
    {"movies", "SELECT 1 FROM movies WHERE id = $1 AND $2::text IS NOT NULL"},
};

static bool older_than(const struct stat *st, int hours)
{
	return st->st_mtime < time(NULL) - (time_t)hours * 3600;
}

static const char *rel_of(struct cron *c, const char *path)
{
	return path + strlen(c->conf.storage_dir) + 1;
}

/* Removes path (a file or a tree) unless -n; reports it.  false when it could not. */
static bool remove_path(struct cron *c, const char *path, const char *why, bool dir)
{
	if (!c->dry_run && vg_storage_remove_tree(path, TEMP_DEPTH) != 0) {
		cron_error(c, EX_IOERR, "cannot remove %s (%s): check its permissions", path, why);
		return false;
	}
	cron_say(c, "%s %s %s%s", c->dry_run ? "would remove" : "removed", why, rel_of(c, path),
	         dir ? "/" : "");
	return true;
}

/* ---- temp files: any "*.tmp.*" name, at any depth we write ---- */

static void temp_walk(struct cron *c, const char *dir, int depth, long *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		if (errno != ENOENT)
			log_warn("cannot read %s", dir);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		const char *path = vg_arena_printf(c->a, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0)
			continue;
		if (strstr(e->d_name, ".tmp.")) {
			if (older_than(&st, c->conf.retention_temp_hours) &&
			    remove_path(c, path, "temporary", S_ISDIR(st.st_mode)))
				(*n)++;
		} else if (S_ISDIR(st.st_mode) && depth < TEMP_DEPTH) {
			temp_walk(c, path, depth + 1, n);
		}
	}
	closedir(d);
}

int cleanup_temp_files(struct cron *c, long *n)
{
	temp_walk(c, c->conf.storage_dir, 0, n);
	return EX_OK;
}

/* ---- orphans: <kind>/<xx>/<id>[.<ext>] that no row names ---- */

/* The id of a stored name ("<uuid>.<ext>" or "<uuid>"), or NULL for a name that is not
 * ours (left alone). */
static const char *id_of(struct cron *c, const char *name)
{
	const char *dot = strchr(name, '.');
	const char *id = dot ? vg_arena_strndup(c->a, name, (size_t)(dot - name)) : name;

	return vg_str_is_uuid(id) ? id : NULL;
}

/* 1 orphan, 0 owned, or a negative vg_rc. */
static int is_orphan(struct cron *c, int k, const char *id, const char *rel, struct vg_err *err)
{
	PGresult *res = vg_db_q(c->db, c->a, err, kinds[k].owner_sql, id, rel);

	return res ? PQntuples(res) == 0 : err->rc;
}

static int orphan_dir(struct cron *c, int k, const char *dir, long *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct vg_err err;
	int rc = EX_OK;

	if (!d)
		return EX_OK;
	vg_err_clear(&err);
	while (rc == EX_OK && (e = readdir(d))) {
		struct stat st;
		const char *id = id_of(c, e->d_name);

		if (!id || strstr(e->d_name, ".tmp."))
			continue;
		const char *path = vg_arena_printf(c->a, "%s/%s", dir, e->d_name);
		/* young files may belong to a row being committed right now */
		if (lstat(path, &st) != 0 || !older_than(&st, c->conf.retention_temp_hours))
			continue;
		int o = is_orphan(c, k, id, rel_of(c, path), &err);
		if (o < 0)
			rc = cron_db_error(c, "cannot look up the owner of a stored file", &err);
		else if (o == 1 && remove_path(c, path, "orphan", S_ISDIR(st.st_mode)))
			(*n)++;
	}
	closedir(d);
	return rc;
}

int cleanup_orphans(struct cron *c, long *n)
{
	for (int k = 0; k < (int)(sizeof kinds / sizeof kinds[0]); k++) {
		const char *top =
		    vg_arena_printf(c->a, "%s/%s", c->conf.storage_dir, kinds[k].kind);
		DIR *d = opendir(top);
		struct dirent *e;
		int rc = EX_OK;

		if (!d)
			continue;
		while (rc == EX_OK && (e = readdir(d)))
			if (strlen(e->d_name) == 2 && e->d_name[0] != '.')
				rc = orphan_dir(c, k,
				                vg_arena_printf(c->a, "%s/%s", top, e->d_name), n);
		closedir(d);
		if (rc != EX_OK)
			return rc;
	}
	return EX_OK;
}

/* ---- vanished: rows whose file is gone ---- */

static const struct {
	const char *what;
	const char *list_sql;  /* id, path; $1 = after this id */
	const char *check_sql; /* the row still names it ($1 id, $2 path) */
} named[] = {
    {"video",
     "SELECT id, content_path AS path FROM videos WHERE content_path IS NOT NULL "
     "AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT 500",
     "SELECT 1 FROM videos WHERE id = $1 AND content_path = $2"},
    {"video thumbnail",
     "SELECT id, thumbnail_path AS path FROM videos WHERE thumbnail_path "
     "IS NOT NULL AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT 500",
     "SELECT 1 FROM videos WHERE id = $1 AND thumbnail_path = $2"},
    {"file",
     "SELECT id, storage_path AS path FROM files WHERE ($1::uuid IS NULL OR id > $1) "
     "ORDER BY id LIMIT 500",
     "SELECT 1 FROM files WHERE id = $1 AND storage_path = $2"},
    {"movie",
     "SELECT id, output_dir AS path FROM movies WHERE status = 'succeeded' AND "
     "output_dir IS NOT NULL AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT 500",
     "SELECT 1 FROM movies WHERE id = $1 AND output_dir = $2"},
};

static bool missing(struct cron *c, const char *rel)
{
	struct stat st;

	return lstat(vg_arena_printf(c->a, "%s/%s", c->conf.storage_dir, rel), &st) != 0 &&
	       errno == ENOENT;
}

static int vanished_of(struct cron *c, int k, long *n)
{
	const char *after = NULL;
	struct vg_err err;
	PGresult *list, *still;

	vg_err_clear(&err);
	do {
		if (!(list = vg_db_q(c->db, c->a, &err, named[k].list_sql, after)))
			return cron_db_error(c, "cannot list stored files", &err);
		for (int i = 0; i < PQntuples(list); i++) {
			const char *id = vg_db_get(list, i, "id"),
			           *rel = vg_db_get(list, i, "path");

			after = vg_arena_strdup(c->a, id);
			if (!missing(c, rel))
				continue;
			/* deleted meanwhile by its owner: not a vanished file */
			if (!(still = vg_db_q(c->db, c->a, &err, named[k].check_sql, id, rel)))
				return cron_db_error(c, "cannot look up a stored file", &err);
			if (PQntuples(still) == 0)
				continue;
			cron_notice(c, "%s %s: its file %s is missing from %s", named[k].what, id,
			            rel, c->conf.storage_dir);
			(*n)++;
		}
	} while (PQntuples(list) == PAGE);
	return EX_OK;
}

int cleanup_vanished(struct cron *c, long *n)
{
	int rc;

	for (int k = 0; k < (int)(sizeof named / sizeof named[0]); k++)
		if ((rc = vanished_of(c, k, n)) != EX_OK)
			return rc;
	return EX_OK;
}
