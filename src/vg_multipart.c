/* Streaming multipart/form-data.  The body is scanned for the delimiter "\r\n--boundary";
 * the scan starts as though a CRLF had just been seen, so a body that opens with
 * "--boundary" (no preamble) matches too.  No boundary character is CR, so a partial match
 * that fails can only restart at the failing byte: the matched bytes were content and are
 * handed on as they are (they equal the delimiter's prefix). */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vg_multipart.h"

#define MAX_BOUNDARY    70
#define MAX_HEADERS     8192
#define MAX_PART_TYPE   128
#define FILE_PART_NAME  "file"
#define BOUNDARY_CHARS  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? "
#define TOKEN_SEPARATOR "()<>@,;:\\\"/[]?={} \t"

enum state {
	S_PREAMBLE, /* before the first delimiter */
	S_AFTER,    /* right after a delimiter: "--", or optional blanks and CRLF */
	S_DASH,     /* seen one '-' after a delimiter */
	S_CR,       /* seen CR after a delimiter */
	S_HEADERS,  /* a part's header block */
	S_BODY,     /* a part's content */
	S_DONE      /* after the closing delimiter: the epilogue is ignored */
};

struct vg_multipart {
	vg_multipart_data_fn fn;
	void *ctx;
	enum state state;
	char delim[4 + MAX_BOUNDARY + 1]; /* "\r\n--" boundary */
	size_t dlen, match;
	bool in_file;  /* the current part is the "file" part */
	int nfiles;    /* "file" parts seen */
	bool has_type; /* the file part named its Content-Type */
	char part_type[MAX_PART_TYPE];
	size_t hlen;
	char headers[MAX_HEADERS + 1];
};

/* ---- the Content-Type header ---- */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One parameter value, quoted (backslash escapes) or a token, into out; returns the
 * position after it, or NULL when malformed or longer than size - 1. */
static const char *param_value(const char *p, char *out, size_t size)
{
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (*p == '\0' || *p == '\r' || *p == '\n' || n + 1 >= size)
				return NULL;
			out[n++] = *p;
		}
		p++;
	} else {
		for (; *p && !strchr(TOKEN_SEPARATOR, *p) && (unsigned char)*p > 0x20; p++) {
			if (n + 1 >= size)
				return NULL;
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return p;
}

/* Finds parameter `name` in "; a=b; c=\"d\"" (case-insensitive name).  1 found, 0 absent,
 * -1 malformed. */
static int find_param(const char *p, const char *name, char *out, size_t size)
{
	char key[64], val[1024];
	int found = 0;

	for (;;) {
		size_t k = 0;

		p = skip_blanks(p);
		if (*p == '\0')
			return found;
		if (*p != ';')
			return -1;
		p = skip_blanks(p + 1);
		if (*p == '\0')
			return found; /* a trailing ';' is harmless */
		while (*p && *p != '=' && *p != ';' && *p != ' ' && *p != '\t') {
			if (k + 1 >= sizeof key)
				return -1;
			key[k++] = *p++;
		}
		key[k] = '\0';
		p = skip_blanks(p);
		if (*p != '=' || k == 0)
			return -1;
		p = skip_blanks(p + 1);
		if (!(p = param_value(p, val, sizeof val)))
			return -1;
		if (strcasecmp(key, name) == 0) {
			if (found || strlen(val) >= size)
				return -1; /* twice: ambiguous */
			memcpy(out, val, strlen(val) + 1);
			found = 1;
		}
	}
}

static bool boundary_ok(const char *b)
{
	size_t n = strlen(b);

	return n >= 1 && n <= MAX_BOUNDARY && strspn(b, BOUNDARY_CHARS) == n && b[n - 1] != ' ';
}

struct vg_multipart *vg_multipart_new(const char *content_type, vg_multipart_data_fn fn, void *ctx,
                                      struct vg_err *err)
{
	static const char mp[] = "multipart/form-data";
	char boundary[MAX_BOUNDARY + 2];
	struct vg_multipart *m;
	int found;

	if (!content_type || strncasecmp(content_type, mp, sizeof mp - 1) != 0) {
		vg_err_set(err, VG_EBADREQ, "bad_multipart",
		           "the Content-Type is not multipart/form-data");
		return NULL;
	}
	found = find_param(content_type + sizeof mp - 1, "boundary", boundary, sizeof boundary);
	if (found <= 0 || !boundary_ok(boundary)) {
		vg_err_set(err, VG_EBADREQ, "bad_multipart",
		           found == 0
		               ? "multipart/form-data needs a boundary parameter in its "
		                 "Content-Type"
		               : "the multipart boundary in the Content-Type is malformed: 1 "
		                 "to 70 characters of letters, digits and '()+_,-./:=? ");
		return NULL;
	}
	if (!(m = calloc(1, sizeof *m))) {
		vg_err_set(err, VG_EINTERNAL, NULL, "out of memory");
		return NULL;
	}
	m->fn = fn;
	m->ctx = ctx;
	m->dlen = 4 + strlen(boundary);
	memcpy(m->delim, "\r\n--", 4);
	memcpy(m->delim + 4, boundary, strlen(boundary) + 1);
	m->state = S_PREAMBLE;
	m->match = 2; /* as though the body began after a CRLF */
	return m;
}

void vg_multipart_free(struct vg_multipart *m)
{
	free(m);
}

/* ---- part headers ---- */

static int bad(struct vg_err *err, const char *msg)
{
	return vg_err_set(err, VG_EBADREQ, "bad_multipart", "the multipart body is malformed: %s",
	                  msg);
}

/* The media type of a part's Content-Type, lower-cased and without parameters. */
static void store_type(struct vg_multipart *m, const char *v)
{
	size_t n = 0;

	v = skip_blanks(v);
	while (v[n] && v[n] != ';' && v[n] != ' ' && v[n] != '\t' && n + 1 < sizeof m->part_type) {
		m->part_type[n] = (char)tolower((unsigned char)v[n]);
		n++;
	}
	m->part_type[n] = '\0';
	m->has_type = n > 0;
}

/* Reads the header block (NUL-terminated, lines end in CRLF) of one part. */
static int parse_headers(struct vg_multipart *m, struct vg_err *err)
{
	char *line = m->headers, *type = NULL;
	bool is_file = false;

	while (*line) {
		char *end = strstr(line, "\r\n"), *colon;

		if (!end)
			break;
		*end = '\0';
		colon = strchr(line, ':');
		if (colon && (size_t)(colon - line) == 19 &&
		    strncasecmp(line, "Content-Disposition", 19) == 0) {
			const char *v = skip_blanks(colon + 1);
			char name[256] = "";

			if (strncasecmp(v, "form-data", 9) != 0)
				return bad(err, "a part's Content-Disposition is not form-data");
			if (find_param(v + 9, "name", name, sizeof name) < 0)
				return bad(err,
				           "a part's Content-Disposition has malformed parameters");
			is_file = strcmp(name, FILE_PART_NAME) == 0;
		} else if (colon && (size_t)(colon - line) == 12 &&
		           strncasecmp(line, "Content-Type", 12) == 0) {
			type = colon + 1;
		} else if (line[0] && !colon) {
			return bad(err, "a part header line has no ':'");
		}
		line = end + 2;
	}
	m->in_file = is_file;
	if (is_file) {
		if (++m->nfiles > 1)
			return bad(err,
			           "it has more than one part named \"file\": send one file per "
			           "request");
		if (type)
			store_type(m, type);
	}
	return VG_OK;
}

static int header_byte(struct vg_multipart *m, unsigned char c, struct vg_err *err)
{
	if (m->hlen == MAX_HEADERS)
		return bad(err, "a part's headers are longer than 8 KiB");
	m->headers[m->hlen++] = (char)c;
	if (m->hlen == 2 && memcmp(m->headers, "\r\n", 2) == 0) {
		m->hlen = 0; /* a part with no headers at all */
	} else if (m->hlen < 4 || memcmp(m->headers + m->hlen - 4, "\r\n\r\n", 4) != 0) {
		return VG_OK;
	} else {
		m->headers[m->hlen - 2] = '\0'; /* keep the last line's CRLF */
	}
	m->headers[m->hlen] = '\0';
	m->hlen = 0;
	m->state = S_BODY;
	m->match = 0;
	return parse_headers(m, err);
}

/* ---- content ---- */

static int emit(struct vg_multipart *m, const unsigned char *p, size_t n, struct vg_err *err)
{
	int rc;

	if (!m->in_file || n == 0 || m->state == S_PREAMBLE)
		return VG_OK;
	rc = m->fn(m->ctx, p, n);
	if (rc == 0)
		return VG_OK;
	if (err->rc == VG_OK)
		vg_err_set(err, rc < 0 ? rc : VG_EINTERNAL, NULL, "the upload was stopped");
	return rc < 0 ? rc : VG_EINTERNAL;
}

/* Scans content (or preamble) for the delimiter; returns the bytes consumed, which stop
 * right after a complete delimiter, or (size_t)-1 on error. */
static size_t scan(struct vg_multipart *m, const unsigned char *p, size_t len, struct vg_err *err)
{
	size_t i = 0, run = 0;

	while (i < len) {
		if (m->match == 0) {
			const unsigned char *cr = memchr(p + i, '\r', len - i);

			if (!cr) {
				i = len;
				break;
			}
			i = (size_t)(cr - p);
		}
		if (p[i] == (unsigned char)m->delim[m->match]) {
			if (m->match == 0 && emit(m, p + run, i - run, err) != VG_OK)
				return (size_t)-1;
			if (++m->match == m->dlen) {
				m->match = 0;
				m->state = S_AFTER;
				return i + 1;
			}
			i++;
			continue;
		}
		/* The partial match was content after all. */
		if (emit(m, (const unsigned char *)m->delim, m->match, err) != VG_OK)
			return (size_t)-1;
		m->match = 0;
		run = i; /* p[i] is looked at again from the top */
	}
	if (m->match == 0 && emit(m, p + run, len - run, err) != VG_OK)
		return (size_t)-1;
	return len;
}

/* One byte after a delimiter: "--" closes, blanks then CRLF open a part. */
static int after_byte(struct vg_multipart *m, unsigned char c, struct vg_err *err)
{
	switch (m->state) {
	case S_AFTER:
		if (c == '-')
			m->state = S_DASH;
		else if (c == '\r')
			m->state = S_CR;
		else if (c != ' ' && c != '\t')
			return bad(err,
			           "a boundary is followed by something other than a line end");
		return VG_OK;
	case S_DASH:
		if (c != '-')
			return bad(err, "a boundary is followed by a single '-'");
		m->state = S_DONE;
		return VG_OK;
	default: /* S_CR */
		if (c != '\n')
			return bad(err, "a boundary line does not end in CRLF");
		m->state = S_HEADERS;
		m->in_file = false;
		m->hlen = 0;
		return VG_OK;
	}
}

int vg_multipart_feed(struct vg_multipart *m, const unsigned char *data, size_t len,
                      struct vg_err *err)
{
	size_t i = 0;

	while (i < len) {
		switch (m->state) {
		case S_PREAMBLE:
		case S_BODY: {
			size_t used = scan(m, data + i, len - i, err);
			if (used == (size_t)-1)
				return err->rc;
			i += used;
			break;
		}
		case S_AFTER:
		case S_DASH:
		case S_CR:
			if (after_byte(m, data[i++], err) != VG_OK)
				return err->rc;
			break;
		case S_HEADERS:
			if (header_byte(m, data[i++], err) != VG_OK)
				return err->rc;
			break;
		case S_DONE:
			return VG_OK;
		}
	}
	return VG_OK;
}

int vg_multipart_finish(struct vg_multipart *m, const char **part_type, struct vg_err *err)
{
	if (part_type)
		*part_type = NULL;
	if (m->state != S_DONE)
		return bad(err, m->state == S_PREAMBLE
		                    ? "the boundary from the Content-Type never appears in the body"
		                    : "it ends before its closing boundary (--boundary--)");
	if (m->nfiles == 0)
		return bad(err, "it has no part named \"file\": send the upload as form field "
		                "\"file\"");
	if (part_type && m->has_type)
		*part_type = m->part_type;
	return VG_OK;
}
