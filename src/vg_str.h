/* Strict string parsers and small string helpers (no atoi: every parse says if it failed). */
#ifndef VG_STR_H
#define VG_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal digits only, no sign, no spaces, value <= max. */
bool vg_str_u64(const char *s, uint64_t max, uint64_t *out);
bool vg_str_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t vg_strlcpy(char *dst, const char *src, size_t size);
bool vg_str_utf8_valid(const char *s, size_t len);
/* Number of code points of valid UTF-8. */
size_t vg_str_utf8_len(const char *s, size_t len);
/* Canonical lowercase 8-4-4-4-12 hex UUID. */
bool vg_str_is_uuid(const char *s);
/* Percent-decodes into dst (size >= strlen(src)+1); false on a bad escape or %00. */
bool vg_str_pct_decode(const char *src, size_t n, char *dst, size_t *outlen);
bool vg_str_eq(const char *a, const char *b); /* NULL-safe */
/* Lower-case hex of n bytes into out (2n+1). */
void vg_str_hex(const unsigned char *p, size_t n, char *out);
/* Trims ASCII white space from both ends in place-less form: returns start, sets *len. */
const char *vg_str_trim(const char *s, size_t *len);
/* Removes a UTF-8 sequence left incomplete at the end of s by a truncation, so the text
 * stays valid for the JSON that carries it to the user. */
void vg_str_utf8_cut(char *s);
/* Control characters become spaces: the text goes to logs, headers and users. */
void vg_str_scrub_controls(char *s);

#endif
