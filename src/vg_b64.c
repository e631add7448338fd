/* Base64 both ways with our own tables: no int-sized length limits (EVP_EncodeBlock), and
 * the decoder streams into a file in fixed chunks so a multi-MB video never sits twice in
 * memory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vg_arena.h"
#include "vg_b64.h"
#include "vg_log.h"
#include "vg_str.h"

#define OUT_CHUNK  (64 * 1024)
#define BAD_ANSWER "provider_bad_answer"

static const char enc_table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *encode(const unsigned char *p, size_t n)
{
	char *out = vg_xmalloc((n + 2) / 3 * 4 + 1);
	char *o = out;
	size_t i = 0;

	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = enc_table[v >> 18];
		*o++ = enc_table[(v >> 12) & 63];
		*o++ = enc_table[(v >> 6) & 63];
		*o++ = enc_table[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		*o++ = enc_table[v >> 18];
		*o++ = enc_table[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		*o++ = enc_table[v >> 18];
		*o++ = enc_table[(v >> 12) & 63];
		*o++ = enc_table[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

char *vg_b64_file(const char *path, size_t max_bytes, struct vg_err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT) {
			log_warnx("b64: %s is missing", path);
			vg_err_set(err, VG_ENOTFOUND, NULL,
			           "the image file is missing from storage; upload it again");
		} else {
			log_warn("b64: cannot open %s", path);
			vg_err_set(err, VG_EUNAVAIL, NULL, "the image file cannot be read");
		}
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_warnx("b64: %s is not a regular file", path);
		vg_err_set(err, VG_EUNAVAIL, NULL, "the image file cannot be read");
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > max_bytes) {
		vg_err_set(err, VG_ETOOBIG, NULL,
		           "the image is %lld bytes; at most %zu bytes can be sent to the video "
		           "provider: use a smaller image",
		           (long long)st.st_size, max_bytes);
		close(fd);
		return NULL;
	}
	/* The file may grow after fstat: reading stops one byte past the limit. */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	unsigned char *buf = vg_xmalloc(cap);
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_warn("b64: cannot read %s", path);
			vg_err_set(err, VG_EUNAVAIL, NULL, "the image file cannot be read");
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max_bytes)
			break;
		if (n == cap) {
			cap *= 2;
			buf = vg_xrealloc(buf, cap);
		}
	}
	if (n > max_bytes) { /* the file grew since fstat */
		vg_err_set(
		    err, VG_ETOOBIG, NULL,
		    "the image is over %zu bytes, the most the video provider accepts: use a "
		    "smaller image",
		    max_bytes);
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	char *out = encode(buf, n);
	free(buf);
	return out;
}

/* ---- decoding ---- */

struct dec {
	int fd;
	EVP_MD_CTX *md;
	unsigned char out[OUT_CHUNK];
	size_t used;
	uint64_t total;
	unsigned quad[4];
	int nq;   /* symbols collected in quad */
	int npad; /* '=' seen: only more '=' and white space may follow */
};

static int sym_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-') /* '-' and '_': the URL-safe alphabet protobuf also accepts */
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static bool flush_out(struct dec *d)
{
	size_t off = 0;

	if (EVP_DigestUpdate(d->md, d->out, d->used) != 1)
		return false;
	while (off < d->used) {
		ssize_t w = write(d->fd, d->out + off, d->used - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += (size_t)w;
	}
	d->total += d->used;
	d->used = 0;
	return true;
}

static bool emit(struct dec *d, unsigned char byte)
{
	if (d->used == sizeof d->out && !flush_out(d))
		return false;
	d->out[d->used++] = byte;
	return true;
}

/* Emits the bytes of the nq symbols in quad (2 → 1 byte, 3 → 2, 4 → 3). */
static bool emit_quad(struct dec *d)
{
	unsigned v = d->quad[0] << 18 | d->quad[1] << 12 | d->quad[2] << 6 | d->quad[3];
	bool ok = emit(d, (unsigned char)(v >> 16));

	if (ok && d->nq >= 3)
		ok = emit(d, (unsigned char)(v >> 8));
	if (ok && d->nq == 4)
		ok = emit(d, (unsigned char)v);
	memset(d->quad, 0, sizeof d->quad);
	d->nq = 0;
	return ok;
}

enum dec_rc { DEC_OK, DEC_BAD, DEC_IO };

static enum dec_rc decode(struct dec *d, const char *b64, size_t len, size_t *bad_at)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b64[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		*bad_at = i;
		if (c == '=') {
			/* Padding completes a quad of 2 or 3 symbols: "xx==" or "xxx=". */
			if (d->nq + d->npad < 2 || d->nq + d->npad >= 4)
				return DEC_BAD;
			d->npad++;
			continue;
		}
		int v = sym_value(c);
		if (v < 0 || d->npad > 0)
			return DEC_BAD;
		d->quad[d->nq++] = (unsigned)v;
		if (d->nq == 4 && !emit_quad(d))
			return DEC_IO;
	}
	*bad_at = len;
	/* Unpadded input is allowed (protobuf JSON accepts it); one lone symbol is not. */
	if (d->nq == 1 || (d->npad > 0 && d->nq + d->npad != 4))
		return DEC_BAD;
	if (d->nq > 1 && !emit_quad(d))
		return DEC_IO;
	return flush_out(d) ? DEC_OK : DEC_IO;
}

int vg_b64_to_file(const char *b64, size_t len, const char *path, uint64_t *size,
                   char sha256_hex[65], struct vg_err *err)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	size_t bad_at = 0;
	int rc = VG_OK;
	struct dec *d = vg_xmalloc(sizeof *d);

	memset(d, 0, sizeof *d);
	d->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (d->fd < 0) {
		log_warn("b64: cannot create %s", path);
		rc = vg_err_set(err, VG_EUNAVAIL, NULL, "cannot create the video file in storage");
		free(d);
		return rc;
	}
	d->md = EVP_MD_CTX_new();
	if (!d->md || EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1) {
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "SHA-256 is not available");
		goto out;
	}
	switch (decode(d, b64 ? b64 : "", b64 ? len : 0, &bad_at)) {
	case DEC_OK:
		break;
	case DEC_BAD:
		rc = vg_err_set(err, VG_EINTERNAL, BAD_ANSWER,
		                "the video provider sent video bytes that are not valid base64 "
		                "(at character %zu of %zu)",
		                bad_at, len);
		goto out;
	case DEC_IO:
		log_warn("b64: cannot write %s", path);
		rc = vg_err_set(err, VG_EUNAVAIL, NULL, "cannot write the video file in storage");
		goto out;
	}
	if (fsync(d->fd) != 0) {
		log_warn("b64: cannot fsync %s", path);
		rc = vg_err_set(err, VG_EUNAVAIL, NULL, "cannot write the video file in storage");
		goto out;
	}
	if (EVP_DigestFinal_ex(d->md, digest, &dlen) != 1 || dlen != 32) {
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "SHA-256 failed");
		goto out;
	}
	vg_str_hex(digest, 32, sha256_hex);
	if (size)
		*size = d->total;
out:
	EVP_MD_CTX_free(d->md);
	if (close(d->fd) != 0 && rc == VG_OK) {
		log_warn("b64: cannot close %s", path);
		rc = vg_err_set(err, VG_EUNAVAIL, NULL, "cannot write the video file in storage");
	}
	if (rc != VG_OK)
		unlink(path); /* no half-written video is ever left for someone to serve */
	free(d);
	return rc;
}
