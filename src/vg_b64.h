/* Base64 for the provider wire format: images go out inline (bytesBase64Encoded), Vertex
 * may send the video back the same way. */
#ifndef VG_B64_H
#define VG_B64_H

#include <stddef.h>
#include <stdint.h>

#include "vg_err.h"

/* The base64 of a file's bytes (malloc), for images up to max_bytes (413-like
 * VG_ETOOBIG past it, VG_ENOTFOUND when missing). */
char *vg_b64_file(const char *path, size_t max_bytes, struct vg_err *err);
/* Decodes base64 text (whitespace ignored) into a file (created, 0640) and returns its
 * size and SHA-256; VG_EINTERNAL "provider_bad_answer" for text that is not base64. */
int vg_b64_to_file(const char *b64, size_t len, const char *path, uint64_t *size,
                   char sha256_hex[65], struct vg_err *err);

#endif
