/* Error codes and the error record every fallible function fills. */
#ifndef VG_ERR_H
#define VG_ERR_H

#include <stdarg.h>

/* Return codes: 0 ok, negative = error class.  Each class maps to one HTTP status. */
enum vg_rc {
	VG_OK = 0,
	VG_EBADREQ = -1,     /* 400: not JSON, wrong JSON type, bad query parameter */
	VG_EAUTH = -2,       /* 401 */
	VG_EFORBIDDEN = -3,  /* 403 */
	VG_ENOTFOUND = -4,   /* 404 */
	VG_EMETHOD = -5,     /* 405 */
	VG_ECONFLICT = -6,   /* 409 */
	VG_ETOOBIG = -7,     /* 413 */
	VG_EMEDIA = -8,      /* 415 */
	VG_EINVAL = -9,      /* 422: well-formed but invalid fields */
	VG_ERATE = -10,      /* 429 */
	VG_EUNAVAIL = -11,   /* 503: a dependency is down */
	VG_ETIMEOUT = -12,   /* a bounded operation ran out of time (503 over HTTP) */
	VG_ERETRY = -13,     /* transient: serialization failure and the like (503 over HTTP) */
	VG_EINTERNAL = -14,  /* 500: a bug or an impossible state */
	VG_ECANCELLED = -15, /* the job was cancelled while a step ran */
	VG_EHEADERS = -16    /* 431: a request header over limits.max_header_bytes */
};

#define VG_ERR_MAX_FIELDS 32

struct vg_field_err {
	char field[64];
	char message[192];
};

/* Caller-provided error record, like PostgreSQL's soft-error context. */
struct vg_err {
	int rc;
	char code[48];   /* machine code: "not_found", "provider_timeout" … */
	char msg[512];   /* safe to show to the user; says what to fix */
	int retry_after; /* seconds, for 429/503; 0 = not set */
	int nfields;
	struct vg_field_err fields[VG_ERR_MAX_FIELDS];
};

void vg_err_clear(struct vg_err *err);

/* Sets rc, code (NULL = the class default) and message; returns rc so callers can
 * `return vg_err_set(...)`. */
int vg_err_set(struct vg_err *err, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int vg_err_vset(struct vg_err *err, int rc, const char *code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Adds one field error (422) and returns VG_EINVAL. */
int vg_err_field(struct vg_err *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int vg_err_http_status(int rc);
const char *vg_err_title(int rc);        /* "Unprocessable Content" … */
const char *vg_err_default_code(int rc); /* "validation_failed" … */

#endif
