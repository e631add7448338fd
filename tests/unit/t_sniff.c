/* vg_sniff: each type from its magic numbers, heads cut short, and near misses. */
#include "config.h"

#include <string.h>

#include "tests.h"
#include "vg_sniff.h"

#define S(lit) vg_sniff((const unsigned char *)(lit), sizeof(lit) - 1)

static void test_types(void)
{
	CU_ASSERT_STRING_EQUAL(S("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
	CU_ASSERT_STRING_EQUAL(S("\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
	CU_ASSERT_STRING_EQUAL(S("RIFF\x24\0\0\0WEBPVP8 "), "image/webp");
	CU_ASSERT_STRING_EQUAL(S("RIFF\x24\0\0\0WAVEfmt "), "audio/wav");
	CU_ASSERT_STRING_EQUAL(S("OggS\0\x02\0\0\0\0\0\0\0\0"), "audio/ogg");
	CU_ASSERT_STRING_EQUAL(S("ID3\x04\0\0\0\0\0\x23"), "audio/mpeg");
	/* MPEG-1 layer III, 128 kb/s, 44.1 kHz */
	CU_ASSERT_STRING_EQUAL(S("\xff\xfb\x90\x64"), "audio/mpeg");
	/* MPEG-2 layer III, 64 kb/s, 22.05 kHz (no CRC) */
	CU_ASSERT_STRING_EQUAL(S("\xff\xf3\x80\xc4"), "audio/mpeg");
}

static void test_truncated(void)
{
	CU_ASSERT_PTR_NULL(vg_sniff(NULL, 0));
	CU_ASSERT_PTR_NULL(S(""));
	CU_ASSERT_PTR_NULL(S("\x89PNG\r\n\x1a"));
	CU_ASSERT_PTR_NULL(S("\xff\xd8"));
	CU_ASSERT_PTR_NULL(S("RIFF\x24\0\0\0WEB"));
	CU_ASSERT_PTR_NULL(S("RIFF\x24\0\0\0WAV"));
	CU_ASSERT_PTR_NULL(S("Ogg"));
	CU_ASSERT_PTR_NULL(S("ID3"));
	CU_ASSERT_PTR_NULL(S("\xff\xfb\x90"));
}

static void test_near_misses(void)
{
	CU_ASSERT_PTR_NULL(S("\x89PNG\r\n\x1a\x0b more bytes")); /* last magic byte off */
	CU_ASSERT_PTR_NULL(S("\x88PNG\r\n\x1a\n more bytes"));   /* first magic byte off */
	CU_ASSERT_PTR_NULL(S("\xff\xd9\xff\xe0 more bytes"));    /* EOI, not SOI */
	CU_ASSERT_PTR_NULL(S("RIFF\x24\0\0\0AVI LIST"));         /* a RIFF video */
	CU_ASSERT_PTR_NULL(S("RIFX\x24\0\0\0WAVEfmt "));         /* big-endian RIFF */
	CU_ASSERT_PTR_NULL(S("OggT\0\x02\0\0\0\0\0\0\0\0"));
	CU_ASSERT_PTR_NULL(S("ID3\xff\0\0\0\0\0\0")); /* no such ID3 version */
	CU_ASSERT_PTR_NULL(S("\xff\xfd\x90\x64"));    /* layer II */
	CU_ASSERT_PTR_NULL(S("\xff\xfb\x00\x64"));    /* free bitrate */
	CU_ASSERT_PTR_NULL(S("\xff\xfb\xf0\x64"));    /* bad bitrate */
	CU_ASSERT_PTR_NULL(S("\xff\xfb\x9c\x64"));    /* reserved sample rate */
	CU_ASSERT_PTR_NULL(S("\xff\xeb\x90\x64"));    /* reserved version */
	CU_ASSERT_PTR_NULL(S("\xff\xd0\x90\x64"));    /* sync bits short */
	CU_ASSERT_PTR_NULL(S("GIF89a\x01\0\x01\0\0\0\0\0\0\0"));
	CU_ASSERT_PTR_NULL(S("hello, this is plain text\n"));
	CU_ASSERT_PTR_NULL(S("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"));
	CU_ASSERT_PTR_NULL(S("\0\0\0\x20"
	                     "ftypisom\0\0\x02\0")); /* mp4 */
}

void t_sniff_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"each type from its magic numbers", test_types},
	    {"heads too short to decide", test_truncated},
	    {"near misses", test_near_misses},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("sniff", tests);
}
