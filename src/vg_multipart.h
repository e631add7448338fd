/* A streaming multipart/form-data parser (RFC 7578) for uploads: fed the body in chunks of
 * any size, it hands the bytes of the one part named "file" to a callback as they arrive,
 * so a 100 MiB upload never sits in memory.  Other parts are skipped; a second "file"
 * part, a missing closing boundary or headers over 8 KiB are errors. */
#ifndef VG_MULTIPART_H
#define VG_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "vg_err.h"

/* Called with consecutive pieces of the file part's content. Non-zero stops the parse. */
typedef int (*vg_multipart_data_fn)(void *ctx, const unsigned char *data, size_t len);

struct vg_multipart;

/* From the Content-Type header value ("multipart/form-data; boundary=…"); NULL with a 400
 * error naming what is wrong when there is no usable boundary. */
struct vg_multipart *vg_multipart_new(const char *content_type, vg_multipart_data_fn fn, void *ctx,
                                      struct vg_err *err);
/* Feeds len bytes; VG_OK or a 400 error (malformed body) or the callback's error. */
int vg_multipart_feed(struct vg_multipart *m, const unsigned char *data, size_t len,
                      struct vg_err *err);
/* After the last byte: VG_OK only when the closing boundary was seen and exactly one
 * "file" part was found. *part_type gets that part's media type, lower-cased and without
 * parameters (NULL when the part had none); it lives until vg_multipart_free. */
int vg_multipart_finish(struct vg_multipart *m, const char **part_type, struct vg_err *err);
void vg_multipart_free(struct vg_multipart *m);

#endif
