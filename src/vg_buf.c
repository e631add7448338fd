#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_arena.h"
#include "vg_buf.h"
#include "vg_err.h"

void vg_buf_init(struct vg_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int grow(struct vg_buf *b, size_t n)
{
	size_t need, cap;

	if (n > b->max || b->len > b->max - n)
		return VG_ETOOBIG;
	need = b->len + n + 1;
	if (need <= b->cap)
		return VG_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->data = vg_xrealloc(b->data, cap);
	b->cap = cap;
	return VG_OK;
}

int vg_buf_append(struct vg_buf *b, const void *p, size_t n)
{
	int rc = grow(b, n);

	if (rc != VG_OK)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return VG_OK;
}

int vg_buf_puts(struct vg_buf *b, const char *s)
{
	return vg_buf_append(b, s, strlen(s));
}

int vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int len, rc;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return VG_EINTERNAL;
	rc = grow(b, (size_t)len);
	if (rc != VG_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)len;
	return VG_OK;
}

const char *vg_buf_str(const struct vg_buf *b)
{
	return b->data ? b->data : "";
}

void vg_buf_reset(struct vg_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void vg_buf_free(struct vg_buf *b)
{
	free(b->data);
	vg_buf_init(b, b->max);
}
