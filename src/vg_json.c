/* JSON over jansson: request bodies parsed under limits, typed field readers that collect
 * 422 field errors so a client learns every bad field in one answer. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vg_json.h"
#include "vg_log.h"
#include "vg_str.h"

static void json_cleanup(void *v)
{
	json_decref(v);
}

json_t *vg_json_own(struct vg_arena *a, json_t *v)
{
	if (v)
		vg_arena_cleanup(a, json_cleanup, v);
	return v;
}

/* A JSON path as a field name: it must fit vg_field_err.field, cut at a character. */
#define PATH_BYTES 64
#define KEY_SHOWN  32 /* bytes of one key shown in a path */

/* The walk of a parsed body: nesting depth (400, checked first: it bounds the recursion)
 * and the string, key and array limits (422 field errors, collected in `found`). */
struct walk {
	const struct vg_json_limits *lim;
	char path[PATH_BYTES];
	struct vg_err found; /* the first VG_ERR_MAX_FIELDS of them */
	int over;            /* values over a limit */
};

/* At most max bytes of s (n bytes of valid UTF-8), cut at a character boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* Appends n bytes of s to the path at len (as much as fits); returns the new length. */
static size_t path_append(char *path, size_t len, const char *s, size_t n)
{
	n = utf8_cut(s, n, PATH_BYTES - 1 - len);
	memcpy(path + len, s, n);
	path[len + n] = '\0';
	return len + n;
}

static size_t path_key(char *path, size_t len, const char *key, size_t klen)
{
	static const char more[] = "\xe2\x80\xa6"; /* … marks a key cut short */
	size_t shown = utf8_cut(key, klen, KEY_SHOWN);

	if (len > 0)
		len = path_append(path, len, ".", 1);
	len = path_append(path, len, key, shown);
	return shown < klen ? path_append(path, len, more, sizeof more - 1) : len;
}

static size_t path_index(char *path, size_t len, size_t i)
{
	char idx[32];
	int n = snprintf(idx, sizeof idx, "[%zu]", i);

	return path_append(path, len, idx, (size_t)n);
}

/* Counts one value over a limit and names it (a field error while errors[] has room). */
static void over_limit(struct walk *w, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void over_limit(struct walk *w, const char *field, const char *fmt, ...)
{
	char msg[sizeof w->found.fields[0].message];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->over++;
	vg_err_field(&w->found, field, "%s", msg);
}

static const char *path_name(const struct walk *w)
{
	return w->path[0] ? w->path : "(body)";
}

/* False when v nests containers deeper than max_depth (a top-level object or array is 1);
 * recursion stops at max_depth + 1, so the stack stays bounded by the limit. */
static bool walk(struct walk *w, const json_t *v, int depth, size_t plen)
{
	const struct vg_json_limits *lim = w->lim;

	w->path[plen] = '\0';
	if (json_is_string(v)) {
		size_t n = json_string_length(v);
		if (lim->max_string_bytes > 0 && n > (size_t)lim->max_string_bytes)
			over_limit(w, path_name(w),
			           "is %zu bytes; at most %d bytes are accepted "
			           "(limits.max_json_string_bytes): shorten it",
			           n, lim->max_string_bytes);
		return true;
	}
	if (!json_is_object(v) && !json_is_array(v))
		return true;
	if (lim->max_depth > 0 && depth > lim->max_depth)
		return false;
	if (json_is_array(v)) {
		size_t i, n = json_array_size(v);
		json_t *item;

		if (lim->max_array_items > 0 && n > (size_t)lim->max_array_items) {
			/* its items are refused with it: no need to look at them */
			over_limit(w, path_name(w),
			           "has %zu items; at most %d are accepted "
			           "(limits.max_json_array_items): send fewer",
			           n, lim->max_array_items);
			return true;
		}
		json_array_foreach(v, i, item)
		{
			if (!walk(w, item, depth + 1, path_index(w->path, plen, i)))
				return false;
		}
		return true;
	}
	const char *key;
	json_t *item;
	json_object_foreach((json_t *)v, key, item)
	{
		size_t klen = strlen(key), kpath = path_key(w->path, plen, key, klen);

		if (lim->max_string_bytes > 0 && klen > (size_t)lim->max_string_bytes)
			over_limit(w, w->path,
			           "is a key of %zu bytes; at most %d bytes are accepted "
			           "(limits.max_json_string_bytes): shorten it",
			           klen, lim->max_string_bytes);
		if (!walk(w, item, depth + 1, kpath))
			return false;
	}
	return true;
}

/* The limits' answer: 400 when too deep, else a 422 whose detail names the first value
 * over a limit and what to change. */
static int check_limits(const json_t *v, const struct vg_json_limits *lim, struct vg_err *err)
{
	static const struct vg_json_limits none = {0, 0, 0};
	struct walk w;

	w.lim = lim ? lim : &none;
	w.path[0] = '\0';
	w.over = 0;
	vg_err_clear(&w.found);
	if (!walk(&w, v, 1, 0))
		return vg_err_set(err, VG_EBADREQ, NULL,
		                  "the body nests objects and arrays deeper than %d levels "
		                  "(limits.max_json_depth): flatten it",
		                  lim->max_depth);
	if (w.over == 0)
		return VG_OK;
	for (int i = 0; i < w.found.nfields; i++)
		vg_err_field(err, w.found.fields[i].field, "%s", w.found.fields[i].message);
	if (w.over == 1)
		return vg_err_set(err, VG_EINVAL, NULL, "%s %s", w.found.fields[0].field,
		                  w.found.fields[0].message);
	return vg_err_set(err, VG_EINVAL, NULL,
	                  "%s %s (and %d more values over a limit: see errors)",
	                  w.found.fields[0].field, w.found.fields[0].message, w.over - 1);
}

static bool only_white_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

json_t *vg_json_parse(struct vg_arena *a, const char *buf, size_t len,
                      const struct vg_json_limits *lim, struct vg_err *err)
{
	json_error_t jerr;
	json_t *v;

	if (!vg_str_utf8_valid(buf, len)) {
		vg_err_set(err, VG_EBADREQ, NULL, "the body is not valid UTF-8");
		return NULL;
	}
	if (only_white_space(buf, len)) {
		vg_err_set(err, VG_EBADREQ, NULL, "the body is empty: send a JSON object");
		return NULL;
	}
	/* NUL inside strings is let through so the field reader can name the field. */
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!v) {
		vg_err_set(err, VG_EBADREQ, NULL,
		           "the body is not valid JSON: %s at line %d, column %d", jerr.text,
		           jerr.line, jerr.column);
		return NULL;
	}
	vg_json_own(a, v);
	if (check_limits(v, lim, err) != VG_OK)
		return NULL;
	return v;
}

char *vg_json_dump(struct vg_arena *a, const json_t *v)
{
	/* 15 significant digits: 0.1 prints as 0.1, not 0.10000000000000001. */
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);
	size_t n = json_dumpb(v, NULL, 0, flags);
	char *out;

	if (n == 0) {
		log_warnx("json: a value could not be serialised");
		return NULL;
	}
	out = vg_arena_alloc(a, n + 1);
	if (json_dumpb(v, out, n, flags) != n) {
		log_warnx("json: a value serialised to two different lengths");
		return NULL;
	}
	out[n] = '\0';
	return out;
}

int vg_json_require_object(const json_t *v, struct vg_err *err)
{
	if (json_is_object(v))
		return VG_OK;
	return vg_err_set(err, VG_EBADREQ, NULL, "the body must be a JSON object");
}

int vg_json_reject_unknown(const json_t *obj, const char *const *allowed, struct vg_err *err)
{
	const char *key;
	json_t *v;
	int rc = VG_OK;

	if (!json_is_object(obj))
		return VG_OK;
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (const char *const *k = allowed; k && *k && !known; k++)
			known = strcmp(*k, key) == 0;
		if (!known)
			rc = vg_err_field(err, key, "unknown field: remove it");
	}
	return rc;
}

/* The field's value, or NULL when absent or null (null counts as absent). */
static const json_t *field(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

static void length_error(struct vg_err *err, const char *key, size_t min_len, size_t max_len)
{
	if (min_len == 0)
		vg_err_field(err, key, "must be at most %zu characters", max_len);
	else if (max_len == SIZE_MAX)
		vg_err_field(err, key, "must be at least %zu characters", min_len);
	else if (min_len == max_len)
		vg_err_field(err, key, "must be exactly %zu characters", min_len);
	else
		vg_err_field(err, key, "must be %zu to %zu characters", min_len, max_len);
}

bool vg_json_str(struct vg_arena *a, const json_t *obj, const char *key, size_t min_len,
                 size_t max_len, const char **out, struct vg_err *err)
{
	const json_t *v = field(obj, key);

	if (!v)
		return false;
	if (!json_is_string(v)) {
		vg_err_field(err, key, "must be a string");
		return false;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (memchr(s, '\0', n)) {
		vg_err_field(err, key, "must not contain NUL characters");
		return false;
	}
	size_t tn;
	const char *t = vg_str_trim(s, &tn);
	size_t chars = vg_str_utf8_len(t, tn);
	if (chars < min_len || chars > max_len) {
		length_error(err, key, min_len, max_len);
		return false;
	}
	*out = vg_arena_strndup(a, t, tn);
	return true;
}

bool vg_json_int(const json_t *obj, const char *key, long long min, long long max, long long *out,
                 struct vg_err *err)
{
	const json_t *v = field(obj, key);

	if (!v)
		return false;
	if (!json_is_integer(v)) {
		vg_err_field(err, key, "must be an integer");
		return false;
	}
	long long n = json_integer_value(v);
	if (n < min || n > max) {
		vg_err_field(err, key, "must be between %lld and %lld", min, max);
		return false;
	}
	*out = n;
	return true;
}

bool vg_json_bool(const json_t *obj, const char *key, bool *out, struct vg_err *err)
{
	const json_t *v = field(obj, key);

	if (!v)
		return false;
	if (!json_is_boolean(v)) {
		vg_err_field(err, key, "must be true or false");
		return false;
	}
	*out = json_is_true(v);
	return true;
}

json_t *vg_json_str_or_null(const char *s)
{
	json_t *v;

	if (!s)
		return json_null();
	if (!vg_str_utf8_valid(s, strlen(s))) {
		/* Text from our own database is UTF-8; anything else is a bug, not worth a crash.
		 */
		log_warnx("json: a string that is not UTF-8 was replaced by null");
		return json_null();
	}
	v = json_string(s);
	if (!v)
		vg_oom(strlen(s));
	return v;
}

json_t *vg_json_time(const char *pg_timestamptz)
{
	return vg_json_str_or_null(pg_timestamptz);
}
