/* Upload types from magic numbers.  Each test needs the whole signature: a head too short
 * to hold it is no match, so a truncated upload is never guessed at. */
#include "config.h"

#include <string.h>

#include "vg_sniff.h"

static int has(const unsigned char *head, size_t len, size_t at, const char *magic, size_t n)
{
	return len >= at + n && memcmp(head + at, magic, n) == 0;
}

/* "RIFF" <size> <form>: WAV and WebP share the container. */
static int riff(const unsigned char *head, size_t len, const char *form)
{
	return has(head, len, 0, "RIFF", 4) && has(head, len, 8, form, 4);
}

/* ID3v2 tag: "ID3", major version 2-4, minor version below 0xFF. */
static int id3(const unsigned char *head, size_t len)
{
	return has(head, len, 0, "ID3", 3) && len >= 5 && head[3] >= 2 && head[3] <= 4 &&
	       head[4] != 0xFF;
}

/* An MPEG-1/2/2.5 layer III frame header: 11 sync bits, a version that is not reserved,
 * layer III, a bitrate index that is neither free (0) nor bad (15) and a known sample
 * rate.  Enough bits that plain text or zeros never pass. */
static int mpeg_frame(const unsigned char *head, size_t len)
{
	unsigned version, layer, bitrate, rate;

	if (len < 4 || head[0] != 0xFF || (head[1] & 0xE0) != 0xE0)
		return 0;
	version = (head[1] >> 3) & 3u;
	layer = (head[1] >> 1) & 3u;
	bitrate = head[2] >> 4;
	rate = (head[2] >> 2) & 3u;
	return version != 1 && layer == 1 && bitrate != 0 && bitrate != 15 && rate != 3;
}

const char *vg_sniff(const unsigned char *head, size_t len)
{
	if (!head)
		return NULL;
	if (has(head, len, 0, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (has(head, len, 0, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (riff(head, len, "WEBP"))
		return "image/webp";
	if (riff(head, len, "WAVE"))
		return "audio/wav";
	if (has(head, len, 0, "OggS", 4))
		return "audio/ogg";
	if (id3(head, len) || mpeg_frame(head, len))
		return "audio/mpeg";
	return NULL;
}
