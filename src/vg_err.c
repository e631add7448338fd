#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vg_err.h"
#include "vg_str.h"

/* Text for a JSON answer must be UTF-8, or the answer loses it: a character cut by the
 * buffer's end goes, any other bad byte (a library's message quoting half a character)
 * becomes '?'. */
static void utf8_mend(char *s)
{
	size_t n, i = 0;

	vg_str_utf8_cut(s);
	n = strlen(s);
	while (i < n) {
		size_t k = 1;

		while (k <= 4 && i + k <= n && !vg_str_utf8_valid(s + i, k))
			k++;
		if (k <= 4 && i + k <= n)
			i += k;
		else
			s[i++] = '?';
	}
}

static const struct {
	int rc;
	int status;
	const char *title;
	const char *code;
} classes[] = {
    {VG_OK, 200, "OK", "ok"},
    {VG_EBADREQ, 400, "Bad Request", "bad_request"},
    {VG_EAUTH, 401, "Unauthorized", "unauthorized"},
    {VG_EFORBIDDEN, 403, "Forbidden", "forbidden"},
    {VG_ENOTFOUND, 404, "Not Found", "not_found"},
    {VG_EMETHOD, 405, "Method Not Allowed", "method_not_allowed"},
    {VG_ECONFLICT, 409, "Conflict", "conflict"},
    {VG_ETOOBIG, 413, "Content Too Large", "too_large"},
    {VG_EMEDIA, 415, "Unsupported Media Type", "unsupported_media_type"},
    {VG_EINVAL, 422, "Unprocessable Content", "validation_failed"},
    {VG_ERATE, 429, "Too Many Requests", "rate_limited"},
    {VG_EHEADERS, 431, "Request Header Fields Too Large", "header_too_large"},
    {VG_EUNAVAIL, 503, "Service Unavailable", "unavailable"},
    {VG_ETIMEOUT, 503, "Service Unavailable", "timeout"},
    {VG_ERETRY, 503, "Service Unavailable", "retry"},
    {VG_EINTERNAL, 500, "Internal Server Error", "internal"},
    {VG_ECANCELLED, 409, "Conflict", "cancelled"},
};

static int class_index(int rc)
{
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (classes[i].rc == rc)
			return (int)i;
	return (int)(sizeof classes / sizeof classes[0]) - 2; /* internal */
}

void vg_err_clear(struct vg_err *err)
{
	err->rc = VG_OK;
	err->code[0] = '\0';
	err->msg[0] = '\0';
	err->retry_after = 0;
	err->nfields = 0;
}

int vg_err_vset(struct vg_err *err, int rc, const char *code, const char *fmt, va_list ap)
{
	err->rc = rc;
	snprintf(err->code, sizeof err->code, "%s", code ? code : vg_err_default_code(rc));
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	utf8_mend(err->msg);
	return rc;
}

int vg_err_set(struct vg_err *err, int rc, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vg_err_vset(err, rc, code, fmt, ap);
	va_end(ap);
	return rc;
}

int vg_err_field(struct vg_err *err, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (err->rc != VG_EINVAL) {
		err->rc = VG_EINVAL;
		snprintf(err->code, sizeof err->code, "%s", "validation_failed");
		snprintf(err->msg, sizeof err->msg, "%s",
		         "some fields are invalid: see errors for each field and what to change");
	}
	if (err->nfields < VG_ERR_MAX_FIELDS) {
		struct vg_field_err *f = &err->fields[err->nfields++];

		snprintf(f->field, sizeof f->field, "%s", field);
		va_start(ap, fmt);
		vsnprintf(f->message, sizeof f->message, fmt, ap);
		va_end(ap);
		utf8_mend(f->field);
		utf8_mend(f->message);
	}
	return VG_EINVAL;
}

int vg_err_http_status(int rc)
{
	return classes[class_index(rc)].status;
}

const char *vg_err_title(int rc)
{
	return classes[class_index(rc)].title;
}

const char *vg_err_default_code(int rc)
{
	return classes[class_index(rc)].code;
}
