/* JSON helpers over jansson: parsing under limits, arena-owned values, typed field readers
 * that add field errors (422) instead of failing on the first one. */
#ifndef VG_JSON_H
#define VG_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vg_arena.h"
#include "vg_err.h"

/* The limits a request body is parsed under (limits.* of the config); 0 = none. */
struct vg_json_limits {
	int max_depth;        /* nesting of objects and arrays (a top-level one is 1): 400 */
	int max_string_bytes; /* any string value or object key: 422 */
	int max_array_items;  /* any array: 422 */
};

/* Parses a request body: valid UTF-8 (400 otherwise), no duplicate keys, nesting at most
 * lim->max_depth (400 otherwise); a string, key or array over its limit is a 422 field
 * error named by its JSON path ("scenes[3].prompt"; "(body)" for the top level), one per
 * value (NULL lim: no limits).  Result is registered on the arena (json_decref at reset). */
json_t *vg_json_parse(struct vg_arena *a, const char *buf, size_t len,
                      const struct vg_json_limits *lim, struct vg_err *err);
/* Registers v on the arena and returns it (for values the caller built). */
json_t *vg_json_own(struct vg_arena *a, json_t *v);
/* Compact serialisation into arena memory. */
char *vg_json_dump(struct vg_arena *a, const json_t *v);

/* Object must be a JSON object: 400 "the body must be a JSON object" otherwise. */
int vg_json_require_object(const json_t *v, struct vg_err *err);
/* Adds a 422 field error for every key not in the NULL-terminated allowed list. */
int vg_json_reject_unknown(const json_t *obj, const char *const *allowed, struct vg_err *err);

/* Field readers.  Return true when the field is present and valid; false when absent
 * (nothing added) or invalid (a field error added: check err->rc).  Strings are trimmed
 * copies in the arena; lengths are in Unicode code points. */
bool vg_json_str(struct vg_arena *a, const json_t *obj, const char *key, size_t min_len,
                 size_t max_len, const char **out, struct vg_err *err);
bool vg_json_int(const json_t *obj, const char *key, long long min, long long max, long long *out,
                 struct vg_err *err);
bool vg_json_bool(const json_t *obj, const char *key, bool *out, struct vg_err *err);
/* String present but null counts as absent for optional fields. */

/* Builders that never fail (OOM ends the process). */
json_t *vg_json_str_or_null(const char *s);
/* A timestamp already formatted by SQL vg_rfc3339(ts) ("2026-11-24T10:00:00Z"), or null. */
json_t *vg_json_time(const char *pg_timestamptz);

#endif
