#include "config.h"

#include <ctype.h>
#include <string.h>

#include "vg_str.h"

bool vg_str_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

bool vg_str_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t u;
	bool neg = false;

	if (!s)
		return false;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!vg_str_u64(s, (uint64_t)INT64_MAX + (neg ? 1u : 0u), &u))
		return false;
	int64_t v = neg ? (int64_t)(0 - u) : (int64_t)u;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

size_t vg_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

/* Returns the length of the UTF-8 sequence at p (1-4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	unsigned c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool vg_str_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	while (len) {
		size_t n = utf8_seq(p, len);
		if (!n)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

size_t vg_str_utf8_len(const char *s, size_t len)
{
	size_t count = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

bool vg_str_is_uuid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};

	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0, d = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool vg_str_pct_decode(const char *src, size_t n, char *dst, size_t *outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (src[i] == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return false;
			hi = hexval(src[i + 1]);
			lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			dst[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (src[i] == '\0') {
			return false;
		} else {
			dst[o++] = src[i];
		}
	}
	dst[o] = '\0';
	if (outlen)
		*outlen = o;
	return true;
}

bool vg_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

void vg_str_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

const char *vg_str_trim(const char *s, size_t *len)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	*len = n;
	return s;
}

void vg_str_utf8_cut(char *s)
{
	size_t n = strlen(s);
	size_t i = n;

	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (lead >= 0x80 && (i - 1) + want > n)
		s[i - 1] = '\0';
}

void vg_str_scrub_controls(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}
