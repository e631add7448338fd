/* The type of an upload from its first bytes, never from what the client says:
 * PNG, JPEG, WebP, MP3 (ID3 or an MPEG audio frame), WAV (RIFF/WAVE) and Ogg. */
#ifndef VG_SNIFF_H
#define VG_SNIFF_H

#include <stddef.h>

#define VG_SNIFF_MIN_BYTES 16 /* enough of the head to decide */

/* "image/png", "image/jpeg", "image/webp", "audio/mpeg", "audio/wav", "audio/ogg", or NULL
 * when the bytes are none of these. */
const char *vg_sniff(const unsigned char *head, size_t len);

#endif
