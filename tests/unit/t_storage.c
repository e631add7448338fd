/* Storage: the path layout and its refusal of unsafe ids, mkdir -p, the temp-file commit,
 * SHA-256 against known digests, the readiness check.  Works in a private temp directory. */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests.h"
#include "vg_storage.h"

static struct vg_arena *a;
static struct vg_err err;
static char base[64];

static void fresh(void)
{
	if (!a)
		a = vg_arena_create(4096);
	vg_arena_reset(a);
	vg_err_clear(&err);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void make_base(void)
{
	snprintf(base, sizeof base, "/tmp/vg-t-storage-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(base));
}

static void remove_base(void)
{
	nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(content, f);
	fclose(f);
}

static void test_paths(void)
{
	fresh();
	CU_ASSERT_STRING_EQUAL(vg_storage_path(a, "/srv/veogen/", "videos", "3f2a9c", "mp4"),
	                       "/srv/veogen/videos/3f/3f2a9c.mp4");
	CU_ASSERT_STRING_EQUAL(vg_storage_path(a, "/srv/veogen", "thumbs", "ab12", "jpg"),
	                       "/srv/veogen/thumbs/ab/ab12.jpg");
	CU_ASSERT_STRING_EQUAL(vg_storage_relpath(a, "files", "0e1f-22", "png"),
	                       "files/0e/0e1f-22.png");
	CU_ASSERT_STRING_EQUAL(vg_storage_relpath(a, "files", "0e1f", ""), "files/0e/0e1f");
	CU_ASSERT_STRING_EQUAL(vg_storage_relpath(a, "files", "0e1f", NULL), "files/0e/0e1f");
	/* Nothing may climb out of the storage directory. */
	CU_ASSERT_PTR_NULL(vg_storage_path(a, "/srv", "videos", "../../etc/passwd", "mp4"));
	CU_ASSERT_PTR_NULL(vg_storage_path(a, "/srv", "videos", "ab/cd", "mp4"));
	CU_ASSERT_PTR_NULL(vg_storage_path(a, "/srv", "..", "abcd", "mp4"));
	CU_ASSERT_PTR_NULL(vg_storage_path(a, "/srv", "videos", "abcd", "mp4/../x"));
	CU_ASSERT_PTR_NULL(vg_storage_relpath(a, "videos", "a", "mp4"));
	CU_ASSERT_PTR_NULL(vg_storage_relpath(a, "videos", "", "mp4"));
	CU_ASSERT_PTR_NULL(vg_storage_relpath(a, "videos", NULL, "mp4"));
}

static void test_tmp_path(void)
{
	fresh();
	const char *final = "/srv/v/videos/ab/abcd.mp4";
	char *t1 = vg_storage_tmp_path(a, final);
	char *t2 = vg_storage_tmp_path(a, final);
	CU_ASSERT_EQUAL(strncmp(t1, final, strlen(final)), 0);
	CU_ASSERT_EQUAL(strncmp(t1 + strlen(final), ".tmp.", 5), 0);
	CU_ASSERT_STRING_NOT_EQUAL(t1, t2);
}

static void test_mkdirs_and_commit(void)
{
	struct stat st;
	char hex[65];
	uint64_t size = 0;

	fresh();
	make_base();
	char *final = vg_storage_path(a, base, "videos", "abcdef", "mp4");
	CU_ASSERT_EQUAL(vg_storage_mkdirs(final, &err), VG_OK);
	CU_ASSERT_EQUAL(vg_storage_mkdirs(final, &err), VG_OK); /* idempotent */
	char *dir = vg_arena_printf(a, "%s/videos/ab", base);
	CU_ASSERT_EQUAL_FATAL(stat(dir, &st), 0);
	CU_ASSERT_TRUE(S_ISDIR(st.st_mode));
	mode_t mask = umask(0);
	umask(mask);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0750 & ~mask);

	char *tmp = vg_storage_tmp_path(a, final);
	write_file(tmp, "abc");
	CU_ASSERT_EQUAL(vg_storage_commit(tmp, final, &err), VG_OK);
	CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
	CU_ASSERT_EQUAL(vg_storage_file_sha256(final, hex, &size, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(hex,
	                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CU_ASSERT_EQUAL(size, 3);

	/* A commit replaces an existing file atomically. */
	tmp = vg_storage_tmp_path(a, final);
	write_file(tmp, "");
	CU_ASSERT_EQUAL(vg_storage_commit(tmp, final, &err), VG_OK);
	CU_ASSERT_EQUAL(vg_storage_file_sha256(final, hex, NULL, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(hex,
	                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	/* A missing temp file is an error, not a silent success. */
	fresh();
	CU_ASSERT_EQUAL(vg_storage_commit(vg_arena_printf(a, "%s.nope", final), final, &err),
	                VG_EUNAVAIL);
	CU_ASSERT_EQUAL(err.retry_after > 0, 1);

	/* A file where a directory should be. */
	fresh();
	char *blocker = vg_arena_printf(a, "%s/thumbs", base);
	write_file(blocker, "x");
	CU_ASSERT_EQUAL(vg_storage_mkdirs(vg_storage_path(a, base, "thumbs", "abcd", "jpg"), &err),
	                VG_EUNAVAIL);
	remove_base();
}

static void test_sha256_large_and_missing(void)
{
	char hex[65];
	uint64_t size = 0;

	fresh();
	make_base();
	/* One million 'a' (crosses the read chunk many times): the FIPS 180-2 test vector. */
	char *path = vg_arena_printf(a, "%s/million", base);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (int i = 0; i < 1000000; i++)
		fputc('a', f);
	fclose(f);
	CU_ASSERT_EQUAL(vg_storage_file_sha256(path, hex, &size, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(hex,
	                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	CU_ASSERT_EQUAL(size, 1000000);

	CU_ASSERT_EQUAL(
	    vg_storage_file_sha256(vg_arena_printf(a, "%s/none", base), hex, &size, &err),
	    VG_ENOTFOUND);
	remove_base();
}

static void test_check(void)
{
	fresh();
	make_base();
	CU_ASSERT_EQUAL(vg_storage_check(base, &err), VG_OK);
	CU_ASSERT_EQUAL(vg_storage_check(vg_arena_printf(a, "%s/missing", base), &err),
	                VG_EUNAVAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "storage is unavailable"));
	CU_ASSERT_PTR_NULL(strstr(err.msg, base)); /* no server paths in user messages */
	char *file = vg_arena_printf(a, "%s/plain", base);
	write_file(file, "x");
	CU_ASSERT_EQUAL(vg_storage_check(file, &err), VG_EUNAVAIL);
	remove_base();
	vg_arena_destroy(a);
	a = NULL;
}

void t_storage_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"paths", test_paths},
	    {"temp paths", test_tmp_path},
	    {"mkdirs and commit", test_mkdirs_and_commit},
	    {"sha256 large and missing", test_sha256_large_and_missing},
	    {"readiness check", test_check},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("storage", tests);
}
