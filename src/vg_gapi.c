/* Google's error envelope and the retry decision (research veo-api.md §3.3–3.4).  Bodies
 * come from a remote party: every field is type-checked, nothing is trusted to be JSON. */
#include "config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_buf.h"
#include "vg_gapi.h"
#include "vg_http.h"
#include "vg_str.h"

#define EXCERPT_MAX 160

/* A short printable excerpt of a body that is not an envelope (an HTML proxy page…). */
static void excerpt(const char *body, size_t len, char *out, size_t size)
{
	size_t o = 0, i;
	bool space = true; /* collapses runs of white space, drops leading space */

	for (i = 0; i < len && o + 4 < size && o < EXCERPT_MAX; i++) {
		unsigned char c = (unsigned char)body[i];
		if (c <= 0x20 || c == 0x7f) {
			if (!space)
				out[o++] = ' ';
			space = true;
			continue;
		}
		out[o++] = c < 0x7f ? (char)c : '?'; /* bytes of unknown encoding */
		space = false;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (i < len && o + 4 <= size)
		memcpy(out + o, "...", 4);
}

static bool type_is(const json_t *detail, const char *suffix)
{
	const char *t = json_string_value(json_object_get(detail, "@type"));
	size_t tl = t ? strlen(t) : 0;
	size_t sl = strlen(suffix);

	return tl >= sl && strcmp(t + tl - sl, suffix) == 0;
}

static void read_details(const json_t *details, struct vg_gapi_error *e)
{
	size_t i, j;
	json_t *d, *v;

	if (!json_is_array(details))
		return;
	json_array_foreach(details, i, d)
	{
		if (type_is(d, "google.rpc.RetryInfo")) {
			const char *s = json_string_value(json_object_get(d, "retryDelay"));
			double delay = s ? vg_gapi_duration(s) : -1;
			if (delay >= 0)
				e->retry_delay_s = delay;
		} else if (type_is(d, "google.rpc.QuotaFailure")) {
			json_t *violations = json_object_get(d, "violations");
			if (!json_is_array(violations))
				continue;
			json_array_foreach(violations, j, v)
			{
				const char *q = json_string_value(json_object_get(v, "quotaId"));
				if (q && strstr(q, "PerDay"))
					e->per_day = true;
			}
		}
	}
}

/* Reads {"error": {...}} (or the OAuth form {"error": "invalid_grant",
 * "error_description": ...}); false when the body is no envelope at all. */
static bool read_envelope(const json_t *root, struct vg_gapi_error *e, char *msg, size_t size)
{
	if (json_is_array(root) && json_array_size(root) >= 1)
		root = json_array_get(root, 0); /* some proxies wrap the envelope */
	json_t *error = json_object_get(root, "error");
	if (json_is_string(error)) {
		vg_strlcpy(e->status, json_string_value(error), sizeof e->status);
		const char *d = json_string_value(json_object_get(root, "error_description"));
		vg_strlcpy(msg, d ? d : "", size);
		return true;
	}
	if (!json_is_object(error))
		return false;
	json_t *code = json_object_get(error, "code");
	if (json_is_integer(code))
		e->code = (int)json_integer_value(code);
	const char *status = json_string_value(json_object_get(error, "status"));
	if (status)
		vg_strlcpy(e->status, status, sizeof e->status);
	const char *m = json_string_value(json_object_get(error, "message"));
	vg_strlcpy(msg, m ? m : "", size);
	read_details(json_object_get(error, "details"), e);
	return true;
}

static enum vg_gapi_verdict verdict_for(long status, bool per_day)
{
	if (status >= 200 && status < 300)
		return VG_GAPI_OK;
	switch (status) {
	case 429:
		return per_day ? VG_GAPI_FATAL : VG_GAPI_RETRY;
	case 408:
	case 500:
	case 502:
	case 503:
	case 504:
		return VG_GAPI_RETRY;
	default:
		return VG_GAPI_FATAL;
	}
}

/* Sets e->message; a long Google message is cut, on purpose. */
static void set_message(struct vg_gapi_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_message(struct vg_gapi_error *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

static void describe(const struct vg_http_resp *resp, struct vg_gapi_error *e)
{
	char text[sizeof e->message];
	json_t *root = NULL;

	text[0] = '\0';
	if (resp->body && resp->body_len > 0)
		root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (root && read_envelope(root, e, text, sizeof text)) {
		/* The hint goes first: a long message from Google would cut it off. */
		set_message(e, "Google answered %ld%s%s%s: %s", resp->status,
		            e->status[0] ? " " : "", e->status,
		            e->per_day
		                ? " (a daily quota is used up; it resets at midnight Pacific "
		                  "time)"
		                : "",
		            text[0] ? text : "(no message)");
	} else if (resp->body && resp->body_len > 0) {
		excerpt(resp->body, resp->body_len, text, sizeof text);
		set_message(e, "Google answered %ld with a body that is not a Google error: %s",
		            resp->status, text);
	} else {
		set_message(e, "Google answered %ld with an empty body", resp->status);
	}
	json_decref(root);
	vg_str_scrub_controls(e->message);
	vg_str_utf8_cut(e->message);
}

enum vg_gapi_verdict vg_gapi_classify(const struct vg_http_resp *resp, struct vg_gapi_error *e)
{
	memset(e, 0, sizeof *e);
	e->retry_delay_s = -1;
	if (!resp || resp->curl_code != 0 || resp->status == 0) {
		const char *why = resp && resp->error[0] ? resp->error : "the connection failed";
		set_message(e, "no answer from Google: %s", why);
		vg_str_scrub_controls(e->message);
		vg_str_utf8_cut(e->message);
		return VG_GAPI_RETRY;
	}
	e->http_status = resp->status;
	e->code = (int)resp->status;
	if (resp->status >= 200 && resp->status < 300)
		return VG_GAPI_OK;
	describe(resp, e);
	return verdict_for(resp->status, e->per_day);
}

double vg_gapi_duration(const char *s)
{
	double secs = 0, scale = 1;
	int digits = 0, frac = 0;

	if (!s)
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 12) /* protobuf caps Durations at ~10^4 years */
			return -1;
		secs = secs * 10 + (*s - '0');
	}
	if (digits == 0)
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++frac > 9)
				return -1;
			scale /= 10;
			secs += (*s - '0') * scale;
		}
		if (frac == 0)
			return -1;
	}
	return s[0] == 's' && s[1] == '\0' ? secs : -1;
}

bool vg_gapi_grpc_transient(int code)
{
	return code == 4 || code == 8 || code == 10 || code == 13 || code == 14;
}

const char *vg_gapi_grpc_name(int code)
{
	static const char *const names[] = {
	    "OK",
	    "CANCELLED",
	    "UNKNOWN",
	    "INVALID_ARGUMENT",
	    "DEADLINE_EXCEEDED",
	    "NOT_FOUND",
	    "ALREADY_EXISTS",
	    "PERMISSION_DENIED",
	    "RESOURCE_EXHAUSTED",
	    "FAILED_PRECONDITION",
	    "ABORTED",
	    "OUT_OF_RANGE",
	    "UNIMPLEMENTED",
	    "INTERNAL",
	    "UNAVAILABLE",
	    "DATA_LOSS",
	    "UNAUTHENTICATED",
	};

	if (code < 0 || (size_t)code >= sizeof names / sizeof names[0])
		return "UNKNOWN";
	return names[code];
}

void vg_gapi_redact(char *msg, size_t size, const char *secret)
{
	static const char mark[] = "[redacted]";
	size_t slen = secret ? strlen(secret) : 0;
	struct vg_buf out;

	if (!msg || size == 0 || slen < 8 || !strstr(msg, secret))
		return;
	/* Replaced in full first, truncated after: a cut can then never leave part of the
	 * secret behind. */
	vg_buf_init(&out, strlen(msg) * 2 + sizeof mark);
	const char *p = msg, *hit;
	while ((hit = strstr(p, secret)) != NULL) {
		vg_buf_append(&out, p, (size_t)(hit - p));
		vg_buf_puts(&out, mark);
		p = hit + slen;
	}
	vg_buf_puts(&out, p);
	vg_strlcpy(msg, vg_buf_str(&out), size);
	vg_str_utf8_cut(msg);
	vg_buf_free(&out);
}
