/* Capped growable byte buffer (curl's dynbuf): every append checks the cap, so input
 * from a client can never grow it past what the caller allowed. Always NUL-terminated. */
#ifndef VG_BUF_H
#define VG_BUF_H

#include <stddef.h>

struct vg_buf {
	char *data; /* malloc'd; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len */
};

void vg_buf_init(struct vg_buf *b, size_t max);
/* VG_OK, or VG_ETOOBIG (buffer unchanged) when the result would pass max. */
int vg_buf_append(struct vg_buf *b, const void *p, size_t n);
int vg_buf_puts(struct vg_buf *b, const char *s);
int vg_buf_printf(struct vg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *vg_buf_str(const struct vg_buf *b); /* "" when empty */
void vg_buf_reset(struct vg_buf *b);            /* len = 0, memory kept */
void vg_buf_free(struct vg_buf *b);

#endif
