/* Stored files: the path layout, mkdir -p, early write-out, crash-safe commit (fsync,
 * rename, fsync of the directory) and streaming SHA-256.  Storage failures are 503s: the
 * disk is a dependency. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vg_log.h"
#include "vg_storage.h"
#include "vg_str.h"

#define READ_CHUNK (64 * 1024)

/* Path components come from our own ids, but a slash or dot-dot would escape the storage
 * directory, so they are checked anyway. */
static bool safe_component(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static bool safe_parts(const char *kind, const char *id, const char *ext)
{
	if (safe_component(kind) && safe_component(id) && strlen(id) >= 2 &&
	    (!ext || !*ext || safe_component(ext)))
		return true;
	log_warnx("storage: refusing an unsafe path component (kind=%s id=%s ext=%s)",
	          kind ? kind : "(null)", id ? id : "(null)", ext ? ext : "(null)");
	return false;
}

char *vg_storage_relpath(struct vg_arena *a, const char *kind, const char *id, const char *ext)
{
	if (!safe_parts(kind, id, ext))
		return NULL;
	return vg_arena_printf(a, "%s/%.2s/%s%s%s", kind, id, id, ext && *ext ? "." : "",
	                       ext && *ext ? ext : "");
}

char *vg_storage_path(struct vg_arena *a, const char *dir, const char *kind, const char *id,
                      const char *ext)
{
	char *rel = vg_storage_relpath(a, kind, id, ext);
	size_t n = strlen(dir);

	if (!rel)
		return NULL;
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return vg_arena_printf(a, "%.*s/%s", (int)n, dir, rel);
}

static int storage_unavailable(struct vg_err *err, const char *what, const char *path, int e)
{
	log_warnx("storage: %s %s: %s", what, path, strerror(e));
	vg_err_set(err, VG_EUNAVAIL, NULL, "file storage is unavailable: retry shortly");
	err->retry_after = 5;
	return VG_EUNAVAIL;
}

static int make_dir(const char *path, struct vg_err *err)
{
	struct stat st;

	if (mkdir(path, 0750) == 0)
		return VG_OK;
	int e = errno;
	if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return VG_OK;
	return storage_unavailable(err, "cannot create directory", path, e == EEXIST ? ENOTDIR : e);
}

int vg_storage_mkdirs(const char *path, struct vg_err *err)
{
	char buf[4096];
	size_t n = vg_strlcpy(buf, path, sizeof buf);

	if (n >= sizeof buf)
		return storage_unavailable(err, "path too long:", path, ENAMETOOLONG);
	char *slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return VG_OK; /* relative name in the cwd, or a file directly under / */
	*slash = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = make_dir(buf, err);
		*p = '/';
		if (rc != VG_OK)
			return rc;
	}
	return make_dir(buf, err);
}

char *vg_storage_tmp_path(struct vg_arena *a, const char *final_path)
{
	static unsigned counter;
	unsigned rnd;

	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		rnd = (unsigned)ts.tv_nsec ^ (++counter << 20);
	}
	return vg_arena_printf(a, "%s.tmp.%ld.%08x", final_path, (long)getpid(), rnd);
}

static int fsync_path(const char *path, int flags, struct vg_err *err)
{
	int fd = open(path, flags | O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return storage_unavailable(err, "cannot open", path, errno);
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		return storage_unavailable(err, "cannot fsync", path, e);
	}
	close(fd);
	return VG_OK;
}

void vg_storage_writeback(int fd, long long off, long long len)
{
#ifdef SYNC_FILE_RANGE_WRITE
	/* WRITE alone queues the dirty pages for the disk and returns: no waiting on them. */
	if (fd >= 0 && off >= 0 && len >= 0)
		(void)sync_file_range(fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
	(void)off;
	(void)len;
#endif
}

int vg_storage_commit(const char *tmp_path, const char *final_path, struct vg_err *err)
{
	char dir[4096];

	if (fsync_path(tmp_path, 0, err) != VG_OK) {
		unlink(tmp_path);
		return err->rc;
	}
	if (rename(tmp_path, final_path) != 0) {
		int e = errno;
		unlink(tmp_path);
		return storage_unavailable(err, "cannot rename a temp file to", final_path, e);
	}
	/* The rename is durable only once the directory entry is on disk. */
	if (vg_strlcpy(dir, final_path, sizeof dir) >= sizeof dir)
		return storage_unavailable(err, "path too long:", final_path, ENAMETOOLONG);
	char *slash = strrchr(dir, '/');
	if (!slash)
		vg_strlcpy(dir, ".", sizeof dir);
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return fsync_path(dir, O_DIRECTORY, err);
}

int vg_storage_file_sha256(const char *path, char hex[65], uint64_t *size, struct vg_err *err)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	uint64_t total = 0;
	int rc = VG_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT) {
			log_warnx("storage: %s is missing", path);
			return vg_err_set(err, VG_ENOTFOUND, NULL, "the stored file is missing");
		}
		return storage_unavailable(err, "cannot open", path, errno);
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = vg_xmalloc(READ_CHUNK);
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "SHA-256 is not available");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = storage_unavailable(err, "cannot read", path, errno);
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			rc = vg_err_set(err, VG_EINTERNAL, NULL, "SHA-256 failed");
			goto out;
		}
		total += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(ctx, digest, &dlen) != 1 || dlen != 32) {
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "SHA-256 failed");
		goto out;
	}
	vg_str_hex(digest, 32, hex);
	if (size)
		*size = total;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return rc;
}

int vg_storage_check(const char *dir, struct vg_err *err)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return storage_unavailable(err, "cannot stat", dir, errno);
	if (!S_ISDIR(st.st_mode))
		return storage_unavailable(err, "not a directory:", dir, ENOTDIR);
	if (access(dir, W_OK | X_OK) != 0)
		return storage_unavailable(err, "not writable:", dir, errno);
	return VG_OK;
}

/* name under dirfd and everything below it, without following links. */
static int remove_tree_at(int dirfd, const char *name, int depth, int max_depth)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : -1;
		return -1;
	}
	DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -1;
	}
	for (struct dirent *e; (e = readdir(dir));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (depth >= max_depth || remove_tree_at(fd, e->d_name, depth + 1, max_depth) != 0)
			rc = -1;
	}
	closedir(dir);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int vg_storage_remove_tree(const char *path, int max_depth)
{
	const char *slash = strrchr(path, '/');
	char parent[4096];
	int pfd, rc;

	if (!slash || slash[1] == '\0' || (size_t)(slash - path) >= sizeof parent)
		return -1;
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	pfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? 0 : -1;
	rc = remove_tree_at(pfd, slash + 1, 0, max_depth);
	close(pfd);
	if (rc != 0)
		log_warn("cannot remove all of %s (veogen-cleanup will)", path);
	return rc;
}
