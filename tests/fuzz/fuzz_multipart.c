/* Uploads as multipart/form-data.  Input: the Content-Type header value, a newline, one
 * byte that seeds the chunk sizes, then the body.  The body is parsed twice, whole and in
 * chunks of 1 to 64 bytes: a streaming parser must give the same answer, the same file
 * bytes and the same part type however the body arrives. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vg_buf.h"
#include "vg_multipart.h"

struct result {
	int rc;
	struct vg_buf file;
	char type[160]; /* "" when the part had none */
};

static int collect(void *ctx, const unsigned char *data, size_t len)
{
	struct vg_buf *b = ctx;

	if (len == 0)
		abort(); /* the parser never hands on empty pieces */
	return vg_buf_append(b, data, len);
}

/* step 0: the body at once; otherwise pseudo-random chunk sizes from the seed `step`. */
static void parse(const char *ct, const uint8_t *body, size_t len, unsigned step,
                  struct result *res)
{
	struct vg_err err;
	struct vg_multipart *m;
	const char *type = NULL;
	unsigned x = step * 2654435761u + 1;
	size_t i = 0;

	vg_err_clear(&err);
	vg_buf_init(&res->file, 1 << 20);
	res->type[0] = '\0';
	if (!(m = vg_multipart_new(ct, collect, &res->file, &err))) {
		res->rc = err.rc;
		return;
	}
	res->rc = VG_OK;
	while (i < len && res->rc == VG_OK) {
		size_t n = len - i;

		if (step) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			if (n > 1 + x % 64)
				n = 1 + x % 64;
		}
		res->rc = vg_multipart_feed(m, body + i, n, &err);
		i += n;
	}
	if (res->rc == VG_OK)
		res->rc = vg_multipart_finish(m, &type, &err);
	if (res->rc != err.rc)
		abort(); /* the answer and the error record disagree */
	if (type) {
		if (strlen(type) >= sizeof res->type)
			abort();
		memcpy(res->type, type, strlen(type) + 1);
	}
	vg_multipart_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct result whole, chunked;
	char *ct;
	size_t off;
	unsigned seed;

	if (!nl)
		return 0;
	ct = fuzz_str(data, (size_t)(nl - data));
	off = (size_t)(nl - data) + 1;
	seed = off < size ? data[off++] : 1;
	parse(ct, data + off, size - off, 0, &whole);
	parse(ct, data + off, size - off, seed | 1u, &chunked);
	if (whole.rc != chunked.rc || whole.file.len != chunked.file.len ||
	    (whole.file.len && memcmp(whole.file.data, chunked.file.data, whole.file.len) != 0) ||
	    strcmp(whole.type, chunked.type) != 0)
		abort();
	vg_buf_free(&whole.file);
	vg_buf_free(&chunked.file);
	free(ct);
	return 0;
}
