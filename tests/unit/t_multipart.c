/* vg_multipart: whole and byte-by-byte feeds, boundaries, malformed bodies. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tests.h"
#include "vg_buf.h"
#include "vg_multipart.h"

#define CT "multipart/form-data; boundary=XyZ123"

struct sink {
	struct vg_buf got;
	int calls;
	int fail_after; /* >0: the callback refuses after that many calls */
};

static int collect(void *ctx, const unsigned char *data, size_t len)
{
	struct sink *s = ctx;

	s->calls++;
	if (s->fail_after && s->calls > s->fail_after)
		return VG_ETOOBIG;
	return vg_buf_append(&s->got, data, len);
}

/* Parses body fed in pieces of `step` bytes (0: all at once).  Returns the rc of the
 * first failing call, or of finish. */
static int parse(const char *ct, const char *body, size_t len, size_t step, struct sink *s,
                 const char **type, struct vg_err *err)
{
	struct vg_multipart *m;
	int rc = VG_OK;

	vg_err_clear(err);
	vg_buf_init(&s->got, 1 << 20);
	if (!(m = vg_multipart_new(ct, collect, s, err)))
		return err->rc;
	if (step == 0)
		step = len ? len : 1;
	for (size_t i = 0; i < len && rc == VG_OK; i += step)
		rc = vg_multipart_feed(m, (const unsigned char *)body + i,
		                       len - i < step ? len - i : step, err);
	if (rc == VG_OK)
		rc = vg_multipart_finish(m, type, err);
	if (type && *type) { /* it lives in the parser, which goes now */
		static char copy[128];
		snprintf(copy, sizeof copy, "%s", *type);
		*type = copy;
	}
	vg_multipart_free(m);
	return rc;
}

#define BODY_ONE                                                                                   \
	"preamble, ignored\r\n"                                                                    \
	"--XyZ123\r\n"                                                                             \
	"Content-Disposition: form-data; name=\"title\"\r\n\r\n"                                   \
	"not the file\r\n"                                                                         \
	"--XyZ123\r\n"                                                                             \
	"Content-Disposition: form-data; name=\"file\"; filename=\"a;b.png\"\r\n"                  \
	"Content-Type: Image/PNG; x=y\r\n"                                                         \
	"\r\n"                                                                                     \
	"\x89PNG\r\n\x1a\n\r\n--XyZ12 almost\r\n-\r\r\n--\0tail"                                   \
	"\r\n--XyZ123--\r\nepilogue\r\n"

/* What the file part of BODY_ONE holds. */
#define FILE_ONE "\x89PNG\r\n\x1a\n\r\n--XyZ12 almost\r\n-\r\r\n--\0tail"

static void test_split_feeds(void)
{
	static const char body[] = BODY_ONE;
	static const size_t steps[] = {0, 1, 2, 3, 7, 13, 64};
	struct vg_err err;
	struct sink s;
	const char *type;

	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		memset(&s, 0, sizeof s);
		CU_ASSERT_EQUAL(parse(CT, body, sizeof body - 1, steps[k], &s, &type, &err), VG_OK);
		CU_ASSERT_EQUAL(s.got.len, sizeof FILE_ONE - 1);
		CU_ASSERT_TRUE(s.got.len == sizeof FILE_ONE - 1 &&
		               memcmp(s.got.data, FILE_ONE, s.got.len) == 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(type);
		CU_ASSERT_STRING_EQUAL(type, "image/png");
		vg_buf_free(&s.got);
	}
}

static void test_boundaries(void)
{
	static const char body[] = "--a b'c\r\n"
	                           "content-disposition: form-data; name=file\r\n\r\n"
	                           "DATA\r\n--a b'c--";
	static const char plain[] = "--q\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
	                            "\r\n--q--";
	struct vg_err err;
	struct sink s = {0};
	const char *type = "unset";

	/* quoted, with a space; no preamble; no part Content-Type; no CRLF after the end */
	CU_ASSERT_EQUAL(parse("multipart/form-data; charset=utf-8; BOUNDARY=\"a b'c\"", body,
	                      sizeof body - 1, 1, &s, &type, &err),
	                VG_OK);
	CU_ASSERT_TRUE(s.got.len == 4 && memcmp(s.got.data, "DATA", 4) == 0);
	CU_ASSERT_PTR_NULL(type);
	vg_buf_free(&s.got);
	/* an empty file part */
	CU_ASSERT_EQUAL(
	    parse("multipart/form-data;boundary=q", plain, sizeof plain - 1, 0, &s, NULL, &err),
	    VG_OK);
	CU_ASSERT_EQUAL(s.got.len, 0);
	vg_buf_free(&s.got);
}

static void test_bad_content_type(void)
{
	struct vg_err err;

	vg_err_clear(&err);
	CU_ASSERT_PTR_NULL(vg_multipart_new("multipart/form-data", collect, NULL, &err));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "boundary"));
	vg_err_clear(&err);
	CU_ASSERT_PTR_NULL(vg_multipart_new("multipart/form-data; boundary=", collect, NULL, &err));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	vg_err_clear(&err);
	CU_ASSERT_PTR_NULL(
	    vg_multipart_new("multipart/form-data; boundary=\"open", collect, NULL, &err));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	vg_err_clear(&err);
	CU_ASSERT_PTR_NULL(vg_multipart_new(
	    "multipart/form-data; boundary=12345678901234567890123456789012345678901234567890"
	    "123456789012345678901",
	    collect, NULL, &err)); /* 71 characters */
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	vg_err_clear(&err);
	CU_ASSERT_PTR_NULL(vg_multipart_new("text/plain; boundary=a", collect, NULL, &err));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
	vg_err_clear(&err);
	CU_ASSERT_PTR_NULL(
	    vg_multipart_new("multipart/form-data; boundary=a; boundary=b", collect, NULL, &err));
	CU_ASSERT_EQUAL(err.rc, VG_EBADREQ);
}

static void expect_bad(const char *body, const char *words, size_t step)
{
	struct vg_err err;
	struct sink s = {0};

	CU_ASSERT_EQUAL(parse(CT, body, strlen(body), step, &s, NULL, &err), VG_EBADREQ);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, words));
	if (!strstr(err.msg, words))
		fprintf(stderr, "\n  got: %s (wanted \"%s\")\n", err.msg, words);
	vg_buf_free(&s.got);
}

static void test_malformed(void)
{
	static char big[10000];

	expect_bad("--XyZ123\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n",
	           "closing boundary", 1);
	expect_bad("--XyZ123\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n"
	           "--XyZ123",
	           "closing boundary", 0);
	expect_bad("no boundary in here at all", "never appears", 0);
	expect_bad("--XyZ123\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nabc\r\n"
	           "--XyZ123--\r\n",
	           "no part named", 1);
	expect_bad("--XyZ123\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n"
	           "--XyZ123\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndef\r\n"
	           "--XyZ123--\r\n",
	           "more than one", 3);
	expect_bad("--XyZ123\r\nContent-Disposition: attachment; name=\"file\"\r\n\r\nabc\r\n"
	           "--XyZ123--",
	           "not form-data", 0);
	expect_bad("--XyZ123x\r\n", "followed by", 0);
	expect_bad("--XyZ123\r\nno colon here\r\n\r\nabc\r\n--XyZ123--", "no ':'", 0);
	/* headers over 8 KiB */
	memcpy(big, "--XyZ123\r\nX-Pad: ", 17);
	memset(big + 17, 'a', sizeof big - 18);
	expect_bad(big, "longer than 8 KiB", 0);
}

static void test_callback_stops(void)
{
	static const char body[] = BODY_ONE;
	struct vg_err err;
	struct sink s = {.fail_after = 1};

	CU_ASSERT_EQUAL(parse(CT, body, sizeof body - 1, 1, &s, NULL, &err), VG_ETOOBIG);
	CU_ASSERT_EQUAL(s.calls, 2);
	vg_buf_free(&s.got);
}

void t_multipart_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"the file part fed whole and in pieces down to 1 byte", test_split_feeds},
	    {"quoted boundary, no preamble, empty part", test_boundaries},
	    {"bad Content-Type boundaries", test_bad_content_type},
	    {"malformed bodies", test_malformed},
	    {"the callback stops the parse", test_callback_stops},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("multipart", tests);
}
