/* Storage layout: <dir>/<kind>/<xx>/<id>.<ext>, where xx = first two characters of id.
 * Files are written to a temp name in the same directory, fsync'd and renamed, so a crash
 * leaves at most an orphan temp file, never a row pointing at a half-written file. */
#ifndef VG_STORAGE_H
#define VG_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vg_arena.h"
#include "vg_err.h"

/* Absolute path of a stored object (arena memory).  kind: "videos", "thumbs", "files".
 * kind, id and ext must be [A-Za-z0-9_-] (id at least 2 characters, ext may be empty):
 * otherwise NULL (logged), so no id can point outside dir. */
char *vg_storage_path(struct vg_arena *a, const char *dir, const char *kind, const char *id,
                      const char *ext);
/* Relative path (kind/xx/id.ext), which is what X-Accel-Redirect/X-Sendfile get appended to;
 * NULL for unsafe components, as above. */
char *vg_storage_relpath(struct vg_arena *a, const char *kind, const char *id, const char *ext);
/* mkdir -p of the parent directory of path (mode 0750). */
int vg_storage_mkdirs(const char *path, struct vg_err *err);
/* A fresh temp path next to final_path ("<final>.tmp.<pid>.<rand>"). */
char *vg_storage_tmp_path(struct vg_arena *a, const char *final_path);
/* Starts writing out len bytes of fd from off (len 0: to the end) without waiting for
 * them: the disk works while the caller goes on, so a later fsync has little left to wait
 * for.  Best effort (sync_file_range where there is one, else nothing): the fsync of
 * vg_storage_commit is what makes the file durable and reports errors. */
void vg_storage_writeback(int fd, long long off, long long len);
/* fsync(tmp), rename(tmp, final), fsync(parent dir).  On failure the temp file is removed
 * (when the rename has not happened) and err is VG_EUNAVAIL. */
int vg_storage_commit(const char *tmp_path, const char *final_path, struct vg_err *err);
/* SHA-256 (hex, 65 bytes) and size of a file (size may be NULL).  VG_ENOTFOUND when the
 * file is missing, VG_EUNAVAIL when it cannot be read. */
int vg_storage_file_sha256(const char *path, char hex[65], uint64_t *size, struct vg_err *err);
/* Removes path and, when it is a directory, everything below it: symbolic links are
 * removed, never followed, and nothing deeper than max_depth levels is touched.  0 when
 * everything went (or nothing was there), -1 when something was left (logged). */
int vg_storage_remove_tree(const char *path, int max_depth);
/* Checks dir exists and is writable (for readyz): VG_OK or VG_EUNAVAIL. */
int vg_storage_check(const char *dir, struct vg_err *err);

#endif
