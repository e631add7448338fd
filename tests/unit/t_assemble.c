/* Movie assembly (vg_assemble): the offset arithmetic and checks, then real ffmpeg runs on
 * tiny clips made here with lavfi (2 s, 320x180) in a private /tmp directory. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"
#include "vg_assemble.h"
#include "vg_media.h"
#include "vg_spawn.h"

#define FONT  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define FRAME (1.0 / 24)
#define EPS   1e-9

static char workdir[64];

/* ---- arithmetic and checks ---- */

static void test_offsets_cut_only(void)
{
	double d[] = {2, 3, 4}, off[2];
	struct vg_join j[] = {{"cut", 0}, {NULL, 7}}; /* a cut's duration is ignored */

	CU_ASSERT_DOUBLE_EQUAL(vg_assemble_offsets(d, j, 3, off), 9.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[0], 2.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[1], 5.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(vg_assemble_offsets(d, j, 1, NULL), 2.0, EPS);
}

static void test_offsets_fades(void)
{
	double d[] = {8, 8, 8, 8}, off[3];
	struct vg_join half[] = {{"fade", 0.5}, {"fade", 0.5}, {"fade", 0.5}};
	struct vg_join one[] = {{"dissolve", 1}, {"dissolve", 1}, {"dissolve", 1}};

	/* cumulative, not the same 7.5 s for every join */
	CU_ASSERT_DOUBLE_EQUAL(vg_assemble_offsets(d, half, 4, off), 30.5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[0], 7.5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[1], 15.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[2], 22.5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(vg_assemble_offsets(d, one, 4, off), 29.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[0], 7.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[1], 14.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[2], 21.0, EPS);
}

static void test_offsets_mixed(void)
{
	double d[] = {4, 6, 8, 5}, off[3];
	struct vg_join j[] = {{"cut", 0}, {"fade", 1}, {"wipeleft", 0.5}};

	CU_ASSERT_DOUBLE_EQUAL(vg_assemble_offsets(d, j, 4, off), 21.5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[0], 4.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[1], 9.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(off[2], 16.5, EPS);
}

static struct vg_take take(const char *path, double d)
{
	struct vg_take t = {.path = path,
	                    .duration_s = d,
	                    .has_audio = true,
	                    .width = 1280,
	                    .height = 720,
	                    .fps = 24,
	                    .pix_fmt = "yuv420p",
	                    .sample_rate = 48000,
	                    .channels = 2};
	return t;
}

static void expect_invalid(const struct vg_take *t, const struct vg_join *j, int n,
                           const char *needle)
{
	struct vg_err err;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_assemble_check(t, j, n, &err), VG_EINVAL);
	CU_ASSERT_EQUAL(vg_err_http_status(err.rc), 422);
	if (!strstr(err.msg, needle))
		fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", err.msg, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
}

static void test_check(void)
{
	struct vg_take t[] = {take("a.mp4", 8), take("b.mp4", 1), take("c.mp4", 8)};
	struct vg_join ok[] = {{"cut", 30}, {"fade", 0.5}};
	struct vg_join long_fade[] = {{"fade", 1.0}, {"cut", 0}};
	struct vg_join unknown[] = {{"explode", 1}, {"cut", 0}};
	struct vg_join zero[] = {{"cut", 0}, {"fade", 0}};
	struct vg_join both[] = {{"fade", 0.6}, {"dissolve", 0.6}};
	struct vg_err err;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_assemble_check(t, ok, 3, &err), VG_OK);
	/* as long as scene 2 */
	expect_invalid(t, long_fade, 3, "scene 2 lasts only 1.00 s");
	expect_invalid(t, unknown, 3, "(\"explode\") is unknown");
	expect_invalid(t, unknown, 3, "scenes 1 and 2");
	expect_invalid(t, zero, 3, "above 0 s");
	/* 0.6 + 0.6 > 1 s: scene 2 would never be seen alone */
	expect_invalid(t, both, 3, "scene 2 lasts 1.00 s, less than its two transitions");
	expect_invalid(t, ok, 0, "1 to");
	t[2].duration_s = 0;
	expect_invalid(t, ok, 3, "scene 3's take has no usable duration");
	t[2].duration_s = 8;
	t[0].path = NULL;
	expect_invalid(t, ok, 3, "scene 1 has no take");
	CU_ASSERT(vg_assemble_transition_valid("slideright"));
	CU_ASSERT(vg_assemble_transition_valid("cut"));
	CU_ASSERT(!vg_assemble_transition_valid("fade;drawtext"));
}

static void test_can_copy(void)
{
	struct vg_take t[] = {take("a.mp4", 8), take("b.mp4", 6), take("c.mp4", 4)};
	struct vg_join cuts[] = {{"cut", 0}, {NULL, 0}};
	struct vg_join fade[] = {{"cut", 0}, {"fade", 0.5}};

	CU_ASSERT(vg_assemble_can_copy(t, cuts, 3));
	CU_ASSERT(vg_assemble_can_copy(t, cuts, 1));
	CU_ASSERT(!vg_assemble_can_copy(t, fade, 3));
	t[1].width = 720;
	CU_ASSERT(!vg_assemble_can_copy(t, cuts, 3));
	t[1].width = 1280;
	t[2].fps = 25;
	CU_ASSERT(!vg_assemble_can_copy(t, cuts, 3));
	t[2].fps = 24;
	t[2].has_audio = false;
	CU_ASSERT(!vg_assemble_can_copy(t, cuts, 3));
	t[2].has_audio = true;
	t[1].sample_rate = 44100;
	CU_ASSERT(!vg_assemble_can_copy(t, cuts, 3));
	t[1].sample_rate = 48000;
	t[0].pix_fmt = "yuv444p";
	CU_ASSERT(!vg_assemble_can_copy(t, cuts, 3));
	t[0].pix_fmt = "yuv420p";
	t[0].channels = 1;
	CU_ASSERT(!vg_assemble_can_copy(t, cuts, 3));
}

static void test_webvtt(void)
{
	const char *caps[] = {"Opening & <intro>", NULL, "Line\nbreak --> on", ""};
	double starts[] = {0, 5, 3661.5, 7.5}, ends[] = {7.5, 1, 3725.025, 7.5};
	char *v = vg_assemble_webvtt(caps, starts, ends, 4);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v, "WEBVTT\n"
	                          "\n00:00:00.000 --> 00:00:07.500\nOpening &amp; &lt;intro&gt;\n"
	                          "\n01:01:01.500 --> 01:02:05.025\nLine break --&gt; on\n"
	                          "\n00:00:07.500 --> 00:00:07.500\n\n");
	free(v);
	ends[0] = -1; /* ends before it starts */
	CU_ASSERT_PTR_NULL(vg_assemble_webvtt(caps, starts, ends, 4));
	v = vg_assemble_webvtt(caps, starts, ends, 0);
	CU_ASSERT_STRING_EQUAL(v, "WEBVTT\n");
	free(v);
}

/* ---- ffmpeg helpers ---- */

static void remove_workdir(void)
{
	const char *argv[] = {"rm", "-rf", workdir, NULL};
	struct vg_err err;

	if (workdir[0])
		vg_spawn_run("test", argv, 10, NULL, NULL, NULL, &err);
}

static const char *wpath(const char *name)
{
	static char paths[32][128];
	static int next;
	char *p = paths[next++ % 32];

	if (!workdir[0]) {
		snprintf(workdir, sizeof workdir, "/tmp/vg-t-assemble-XXXXXX");
		if (!mkdtemp(workdir))
			workdir[0] = '\0';
		else
			atexit(remove_workdir);
	}
	snprintf(p, 128, "%s/%s", workdir, name);
	return p;
}

static bool have_ffmpeg(void)
{
	static int state; /* 0 unknown, 1 yes, -1 no */
	const char *a1[] = {"ffmpeg", "-version", NULL}, *a2[] = {"ffprobe", "-version", NULL};
	struct vg_err err;

	if (state == 0) {
		state = vg_spawn_run("test", a1, 10, NULL, NULL, NULL, &err) == VG_OK &&
		                vg_spawn_run("test", a2, 10, NULL, NULL, NULL, &err) == VG_OK
		            ? 1
		            : -1;
		if (state < 0)
			fprintf(stderr,
			        "\n[assemble: ffmpeg/ffprobe missing: media tests skipped] ");
	}
	return state > 0;
}

struct stream {
	char type[16], codec[32], pix_fmt[32], rate[32];
	int width, height, sample_rate, channels;
	double duration;
};

struct streams {
	int n;
	struct stream s[4];
	int npackets;
	int sizes[512];
};

static void set_field(struct stream *s, const char *k, const char *v)
{
	if (strcmp(k, "codec_type") == 0)
		snprintf(s->type, sizeof s->type, "%s", v);
	else if (strcmp(k, "codec_name") == 0)
		snprintf(s->codec, sizeof s->codec, "%s", v);
	else if (strcmp(k, "pix_fmt") == 0)
		snprintf(s->pix_fmt, sizeof s->pix_fmt, "%s", v);
	else if (strcmp(k, "r_frame_rate") == 0)
		snprintf(s->rate, sizeof s->rate, "%s", v);
	else if (strcmp(k, "width") == 0)
		s->width = (int)strtol(v, NULL, 10);
	else if (strcmp(k, "height") == 0)
		s->height = (int)strtol(v, NULL, 10);
	else if (strcmp(k, "sample_rate") == 0)
		s->sample_rate = (int)strtol(v, NULL, 10);
	else if (strcmp(k, "channels") == 0)
		s->channels = (int)strtol(v, NULL, 10);
	else if (strcmp(k, "duration") == 0)
		s->duration = strtod(v, NULL);
}

/* default writer: [STREAM] … key=value … [/STREAM], [PACKET] size=N [/PACKET] */
static int on_probe_line(void *ctx, const char *line)
{
	struct streams *ss = ctx;
	static bool in_packet;
	const char *eq;

	if (!line)
		return 0;
	if (strcmp(line, "[STREAM]") == 0 && ss->n < 4) {
		ss->n++;
		in_packet = false;
	} else if (strcmp(line, "[PACKET]") == 0) {
		in_packet = true;
	} else if (in_packet && strncmp(line, "size=", 5) == 0) {
		if (ss->npackets < 512)
			ss->sizes[ss->npackets++] = (int)strtol(line + 5, NULL, 10);
	} else if (!in_packet && ss->n > 0 && (eq = strchr(line, '=')) != NULL) {
		char key[64];

		snprintf(key, sizeof key, "%.*s", (int)(eq - line), line);
		set_field(&ss->s[ss->n - 1], key, eq + 1);
	}
	return 0;
}

/* Each stream's own details (vg_media_probe reports the container duration only) and the
 * sizes of the video packets. */
static void probe_streams(const char *path, struct streams *ss)
{
	const char *argv[] = {"ffprobe",
	                      "-v",
	                      "error",
	                      "-show_entries",
	                      "stream=codec_type,codec_name,pix_fmt,r_frame_rate,width,height,"
	                      "sample_rate,channels,duration:packet=size",
	                      "-select_streams",
	                      "v:0",
	                      "-show_packets",
	                      path,
	                      NULL};
	const char *all[] = {"ffprobe",
	                     "-v",
	                     "error",
	                     "-show_entries",
	                     "stream=codec_type,codec_name,pix_fmt,r_frame_rate,width,height,"
	                     "sample_rate,channels,duration",
	                     path,
	                     NULL};
	struct streams pk;
	struct vg_err err;

	memset(ss, 0, sizeof *ss);
	memset(&pk, 0, sizeof pk);
	CU_ASSERT_EQUAL(vg_spawn_run("test", all, 30, on_probe_line, ss, NULL, &err), VG_OK);
	CU_ASSERT_EQUAL(vg_spawn_run("test", argv, 30, on_probe_line, &pk, NULL, &err), VG_OK);
	ss->npackets = pk.npackets;
	memcpy(ss->sizes, pk.sizes, sizeof pk.sizes);
}

static const struct stream *find(const struct streams *ss, const char *type)
{
	for (int i = 0; i < ss->n; i++)
		if (strcmp(ss->s[i].type, type) == 0)
			return &ss->s[i];
	return NULL;
}

static double absd(double v)
{
	return v < 0 ? -v : v;
}

/* A take as the movie maker will fill it: vg_media_probe plus the stream details. */
static struct vg_take probe_take(const char *path)
{
	struct vg_take t = {.path = path};
	struct vg_probe p;
	struct streams ss;
	struct vg_err err;
	const struct stream *v, *a;
	int num = 0, den = 1;

	CU_ASSERT_EQUAL(vg_media_probe("ffprobe", path, 30, &p, &err), VG_OK);
	probe_streams(path, &ss);
	v = find(&ss, "video");
	a = find(&ss, "audio");
	t.duration_s = p.duration_s;
	t.has_audio = p.has_audio;
	t.width = p.width;
	t.height = p.height;
	t.pix_fmt = strdup(p.pix_fmt); /* lives for the test run */
	if (v && sscanf(v->rate, "%d/%d", &num, &den) == 2 && den > 0)
		t.fps = (double)num / den;
	if (a) {
		t.sample_rate = a->sample_rate;
		t.channels = a->channels;
	}
	return t;
}

static int make_clip(const char *name, const char *size, int fps, int rate, int channels)
{
	char vsrc[96], asrc[96], ac[8];
	const char *argv[40];
	struct vg_err err;
	int n = 0;

	snprintf(vsrc, sizeof vsrc, "testsrc2=s=%s:r=%d:d=2", size, fps);
	snprintf(asrc, sizeof asrc, "sine=f=440:r=%d:d=2", rate ? rate : 48000);
	snprintf(ac, sizeof ac, "%d", channels);
	const char *head[] = {"ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", vsrc, NULL};
	for (const char **h = head; *h; h++)
		argv[n++] = *h;
	if (rate) {
		const char *audio[] = {"-f", "lavfi", "-i", asrc, "-c:a", "aac", "-ac", ac, NULL};
		for (const char **h = audio; *h; h++)
			argv[n++] = *h;
	}
	const char *tail[] = {"-c:v", "libx264", "-preset",  "ultrafast", "-pix_fmt",  "yuv420p",
	                      "-g",   "24",      "-threads", "1",         wpath(name), NULL};
	for (const char **h = tail; *h; h++)
		argv[n++] = *h;
	argv[n] = NULL;
	return vg_spawn_run("test", argv, 60, NULL, NULL, NULL, &err);
}

/* The test clips, made once: A and B alike (copyable), C silent, D another size, rate and
 * audio layout. */
static bool clips(struct vg_take *a, struct vg_take *b, struct vg_take *c, struct vg_take *d)
{
	static int made; /* 0 not yet, 1 ok, -1 failed */
	static struct vg_take ta, tb, tc, td;

	if (!have_ffmpeg())
		return false;
	if (made == 0) {
		made = make_clip("a.mp4", "320x180", 24, 48000, 2) == VG_OK &&
		               make_clip("b.mp4", "320x180", 24, 48000, 2) == VG_OK &&
		               make_clip("c.mp4", "320x180", 24, 0, 0) == VG_OK &&
		               make_clip("d.mp4", "180x320", 30, 44100, 1) == VG_OK
		           ? 1
		           : -1;
		if (made > 0) {
			ta = probe_take(wpath("a.mp4"));
			tb = probe_take(wpath("b.mp4"));
			tc = probe_take(wpath("c.mp4"));
			td = probe_take(wpath("d.mp4"));
		}
	}
	CU_ASSERT_EQUAL_FATAL(made, 1);
	*a = ta;
	*b = tb;
	*c = tc;
	*d = td;
	return true;
}

/* The film with fades, a cut inside the graph, a silent take and one of another size:
 * made once, reused by the tests of what is derived from a film. */
static const char *fade_film(void)
{
	static const char *out;
	struct vg_take a, b, c, d;
	struct vg_err err;

	if (out)
		return out;
	if (!clips(&a, &b, &c, &d))
		return NULL;
	struct vg_take t[] = {a, c, d, b};
	struct vg_join j[] = {{"fade", 0.5}, {"cut", 0}, {"dissolve", 1.0}};
	const char *path = wpath("fades.mp4");
	int rc = vg_assemble_film("ffmpeg", t, j, 4, 320, 180, 24, path, 120, &err);

	if (rc != VG_OK)
		fprintf(stderr, "\nfade film: %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, VG_OK);
	out = path;
	return out;
}

static int count_temp_files(void)
{
	DIR *d = opendir(workdir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

/* ---- films ---- */

static void test_film_copy(void)
{
	struct vg_take a, b, c, d;
	struct streams sa, sb, so;
	struct vg_err err;
	const char *out = wpath("copy.mp4");

	if (!clips(&a, &b, &c, &d))
		return;
	struct vg_take t[] = {a, b, a};
	struct vg_join j[] = {{"cut", 0}, {"cut", 0}};

	CU_ASSERT(vg_assemble_can_copy(t, j, 3));
	CU_ASSERT_EQUAL_FATAL(vg_assemble_film("ffmpeg", t, j, 3, 320, 180, 24, out, 60, &err),
	                      VG_OK);
	probe_streams(wpath("a.mp4"), &sa);
	probe_streams(wpath("b.mp4"), &sb);
	probe_streams(out, &so);
	const struct stream *v = find(&so, "video"), *au = find(&so, "audio");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(au);
	CU_ASSERT(absd(v->duration - 6.0) <= FRAME);
	CU_ASSERT(absd(au->duration - v->duration) <= FRAME);
	/* no re-encode: the same stream parameters and the packets as they were (keyframes
	 * may carry the parameter sets in-band: a few bytes more) */
	CU_ASSERT_STRING_EQUAL(v->codec, "h264");
	CU_ASSERT_STRING_EQUAL(v->pix_fmt, "yuv420p");
	CU_ASSERT_STRING_EQUAL(v->rate, "24/1");
	CU_ASSERT_EQUAL(v->width, 320);
	CU_ASSERT_EQUAL_FATAL(sa.npackets, 48);
	CU_ASSERT_EQUAL_FATAL(so.npackets, 2 * sa.npackets + sb.npackets);
	int same = 0, far = 0;

	for (int i = 0; i < so.npackets; i++) {
		int want = i < 48 ? sa.sizes[i] : i < 96 ? sb.sizes[i - 48] : sa.sizes[i - 96];
		int diff = so.sizes[i] - want;

		same += diff == 0;
		far += diff < 0 || diff > 64;
	}
	CU_ASSERT(same >= so.npackets - 12);
	CU_ASSERT_EQUAL(far, 0);
	CU_ASSERT_EQUAL(count_temp_files(), 0);
}

static void test_film_fades(void)
{
	const char *out = fade_film();
	struct streams ss;
	struct vg_probe p;
	struct vg_err err;

	if (!out)
		return;
	probe_streams(out, &ss);
	const struct stream *v = find(&ss, "video"), *au = find(&ss, "audio");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(au);
	/* 4 takes of 2 s − (0.5 + 1.0) s of transitions */
	if (absd(v->duration - 6.5) > FRAME || absd(au->duration - v->duration) > FRAME)
		fprintf(stderr, "\nvideo %.4f s, audio %.4f s\n", v->duration, au->duration);
	CU_ASSERT(absd(v->duration - 6.5) <= FRAME);
	CU_ASSERT(absd(au->duration - v->duration) <= FRAME);
	CU_ASSERT_STRING_EQUAL(v->codec, "h264");
	CU_ASSERT_STRING_EQUAL(v->pix_fmt, "yuv420p");
	CU_ASSERT_STRING_EQUAL(v->rate, "24/1");
	CU_ASSERT_EQUAL(v->width, 320);
	CU_ASSERT_EQUAL(v->height, 180);
	CU_ASSERT_STRING_EQUAL(au->codec, "aac");
	CU_ASSERT_EQUAL(au->sample_rate, 48000);
	CU_ASSERT_EQUAL(au->channels, 2);
	CU_ASSERT_EQUAL(vg_media_probe("ffprobe", out, 30, &p, &err), VG_OK);
	CU_ASSERT(absd(p.duration_s - 6.5) <= 2 * FRAME);
	CU_ASSERT_EQUAL(count_temp_files(), 0);
}

/* Six takes, four transitions (one of 7.2 frames, rounded to 7) and a cut: the pieces add
 * up to the film's frames exactly, the audio ends with the video, no piece is left. */
static void test_film_six_takes(void)
{
	struct vg_take a, b, c, d;
	struct streams ss;
	struct vg_err err;
	const char *out = wpath("six.mp4");
	int rc;

	if (!clips(&a, &b, &c, &d))
		return;
	struct vg_take t[] = {a, c, d, b, a, c};
	struct vg_join j[] = {
	    {"fade", 0.5}, {"dissolve", 0.25}, {"cut", 0}, {"wipeleft", 0.5}, {"fade", 0.3}};
	/* 6 × 48 frames − (12 + 6 + 0 + 12 + 7) */
	const int frames = 6 * 48 - 37;

	rc = vg_assemble_film("ffmpeg", t, j, 6, 320, 180, 24, out, 120, &err);
	if (rc != VG_OK)
		fprintf(stderr, "\nsix takes: %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, VG_OK);
	probe_streams(out, &ss);
	const struct stream *v = find(&ss, "video"), *au = find(&ss, "audio");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(au);
	if (ss.npackets != frames || absd(au->duration - v->duration) > FRAME)
		fprintf(stderr, "\n%d frames (want %d), video %.4f s, audio %.4f s\n", ss.npackets,
		        frames, v->duration, au->duration);
	CU_ASSERT_EQUAL(ss.npackets, frames);
	CU_ASSERT(absd(v->duration - frames * FRAME) <= FRAME / 2);
	CU_ASSERT(absd(au->duration - v->duration) <= FRAME);
	CU_ASSERT_STRING_EQUAL(v->rate, "24/1");
	CU_ASSERT_EQUAL(au->sample_rate, 48000);
	CU_ASSERT_EQUAL(au->channels, 2);
	CU_ASSERT_EQUAL(count_temp_files(), 0);
}

static void test_film_refuses(void)
{
	struct vg_take a, b, c, d;
	struct vg_err err;
	const char *out = wpath("refused.mp4");

	if (!clips(&a, &b, &c, &d))
		return;
	struct vg_take t[] = {a, b};
	struct vg_join too_long[] = {{"fade", 2.0}};
	struct vg_join fine[] = {{"fade", 0.5}};

	CU_ASSERT_EQUAL(vg_assemble_film("ffmpeg", t, too_long, 2, 320, 180, 24, out, 60, &err),
	                VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "scene 1"));
	CU_ASSERT_EQUAL(vg_assemble_film("ffmpeg", t, fine, 2, 321, 180, 24, out, 60, &err),
	                VG_EINVAL);
	t[1].path = wpath("missing.mp4");
	CU_ASSERT_NOT_EQUAL(vg_assemble_film("ffmpeg", t, fine, 2, 320, 180, 24, out, 60, &err),
	                    VG_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "assembling the film failed"));
	CU_ASSERT_EQUAL(access(out, F_OK), -1);
	CU_ASSERT_EQUAL(count_temp_files(), 0);
}

/* ---- extras ---- */

static void test_title_card(void)
{
	const char *out = wpath("title.mp4");
	struct streams ss;
	struct vg_err err;
	int rc;

	if (!have_ffmpeg())
		return;
	rc = vg_assemble_title_card("ffmpeg", "Chapter: 50% 'one' [x];\\n\nend", "0x203040",
	                            access(FONT, R_OK) == 0 ? FONT : NULL, 2.0, 320, 180, 24, out,
	                            60, &err);
	if (rc != VG_OK)
		fprintf(stderr, "\ntitle card: %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, VG_OK);
	probe_streams(out, &ss);
	const struct stream *v = find(&ss, "video"), *au = find(&ss, "audio");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(au);
	CU_ASSERT_EQUAL(v->width, 320);
	CU_ASSERT_EQUAL(v->height, 180);
	CU_ASSERT_STRING_EQUAL(v->rate, "24/1");
	CU_ASSERT_EQUAL(ss.npackets, 48);
	CU_ASSERT(absd(v->duration - 2.0) <= FRAME);
	CU_ASSERT(absd(au->duration - 2.0) <= FRAME);
	CU_ASSERT_EQUAL(au->sample_rate, 48000);
	CU_ASSERT_EQUAL(count_temp_files(), 0); /* the text file is gone too */
	CU_ASSERT_EQUAL(
	    vg_assemble_title_card("ffmpeg", " \n ", NULL, NULL, 2.0, 320, 180, 24, out, 60, &err),
	    VG_EINVAL);
	CU_ASSERT_EQUAL(
	    vg_assemble_title_card("ffmpeg", "x", "red:x", NULL, 2.0, 320, 180, 24, out, 60, &err),
	    VG_EINVAL);
}

static void test_mix_soundtrack(void)
{
	const char *film = fade_film(), *music = wpath("music.wav"), *out = wpath("mixed.mp4");
	const char *make[] = {"ffmpeg", "-v",    "error", "-y",
	                      "-f",     "lavfi", "-i",    "sine=f=220:r=44100:d=1",
	                      music,    NULL};
	struct streams sf, so;
	struct vg_err err;
	int rc;

	if (!film)
		return;
	CU_ASSERT_EQUAL_FATAL(vg_spawn_run("test", make, 30, NULL, NULL, NULL, &err), VG_OK);
	/* 1 s of music under 6.5 s: looped, then cut and faded at the film's end */
	rc = vg_assemble_mix_soundtrack("ffmpeg", film, 6.5, true, music, 0.3, out, 60, &err);
	if (rc != VG_OK)
		fprintf(stderr, "\nmix: %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, VG_OK);
	probe_streams(film, &sf);
	probe_streams(out, &so);
	const struct stream *v = find(&so, "video"), *au = find(&so, "audio");

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(au);
	CU_ASSERT(absd(au->duration - 6.5) <= FRAME);
	CU_ASSERT(absd(au->duration - v->duration) <= FRAME);
	CU_ASSERT_EQUAL(au->sample_rate, 48000);
	/* video copied: the same packets */
	CU_ASSERT_EQUAL_FATAL(so.npackets, sf.npackets);
	CU_ASSERT(memcmp(so.sizes, sf.sizes, sizeof(int) * (size_t)sf.npackets) == 0);
	CU_ASSERT_EQUAL(
	    vg_assemble_mix_soundtrack("ffmpeg", film, 6.5, true, music, 0, out, 60, &err),
	    VG_EINVAL);
}

static void test_webm(void)
{
	struct vg_take a, b, c, d;
	const char *out = wpath("film.webm");
	struct streams ss;
	struct vg_probe p;
	struct vg_err err;

	/* a 2 s clip: VP9 is the slowest encoder here */
	if (!clips(&a, &b, &c, &d))
		return;
	CU_ASSERT_EQUAL_FATAL(vg_assemble_webm("ffmpeg", a.path, out, 120, &err), VG_OK);
	probe_streams(out, &ss);
	CU_ASSERT_PTR_NOT_NULL_FATAL(find(&ss, "video"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(find(&ss, "audio"));
	CU_ASSERT_STRING_EQUAL(find(&ss, "video")->codec, "vp9");
	CU_ASSERT_STRING_EQUAL(find(&ss, "audio")->codec, "opus");
	CU_ASSERT_EQUAL(find(&ss, "video")->width, 320);
	CU_ASSERT_EQUAL(vg_media_probe("ffprobe", out, 30, &p, &err), VG_OK);
	CU_ASSERT(absd(p.duration_s - 2.0) <= 0.1);
	CU_ASSERT_EQUAL(count_temp_files(), 0);
}

/* Sum of EXTINF durations; every segment named relative to the playlist and present. */
static double hls_total(const char *dir, bool *ok)
{
	char path[1024], line[512];
	double total = 0;
	bool vod = false, independent = false, end = false;
	FILE *f;

	*ok = true;
	snprintf(path, sizeof path, "%s/index.m3u8", dir);
	f = fopen(path, "r");
	if (!f) {
		*ok = false;
		return 0;
	}
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "#EXTINF:", 8) == 0)
			total += strtod(line + 8, NULL);
		else if (strcmp(line, "#EXT-X-PLAYLIST-TYPE:VOD") == 0)
			vod = true;
		else if (strcmp(line, "#EXT-X-INDEPENDENT-SEGMENTS") == 0)
			independent = true;
		else if (strcmp(line, "#EXT-X-ENDLIST") == 0)
			end = true;
		else if (line[0] && line[0] != '#') {
			snprintf(path, sizeof path, "%s/%s", dir, line);
			if (strchr(line, '/') || access(path, R_OK) != 0)
				*ok = false;
		}
	}
	fclose(f);
	*ok = *ok && vod && independent && end;
	return total;
}

static void test_hls(void)
{
	const char *film = fade_film(), *dir = wpath("hls");
	struct vg_err err;
	bool ok;

	if (!film)
		return;
	CU_ASSERT_EQUAL_FATAL(vg_assemble_hls("ffmpeg", film, dir, 60, &err), VG_OK);
	CU_ASSERT(absd(hls_total(dir, &ok) - 6.5) <= 0.1);
	CU_ASSERT(ok);
	/* again over the existing directory: swapped, the old one removed */
	CU_ASSERT_EQUAL_FATAL(vg_assemble_hls("ffmpeg", film, dir, 60, &err), VG_OK);
	CU_ASSERT(absd(hls_total(dir, &ok) - 6.5) <= 0.1);
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(count_temp_files(), 0);
}

static void test_contact_sheet(void)
{
	struct vg_take a, b, c, d;
	const char *out = wpath("sheet.jpg");
	unsigned char magic[3] = {0};
	struct vg_probe p;
	struct vg_err err;
	FILE *f;

	if (!clips(&a, &b, &c, &d))
		return;
	struct vg_take t[] = {a, c, d};

	CU_ASSERT_EQUAL_FATAL(vg_assemble_contact_sheet("ffmpeg", t, 3, 160, out, 60, &err), VG_OK);
	f = fopen(out, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fread(magic, 1, 3, f), 3);
	fclose(f);
	CU_ASSERT(magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff);
	CU_ASSERT_EQUAL(vg_media_probe("ffprobe", out, 30, &p, &err), VG_OK);
	/* 2x2 grid of 160x90 tiles, 4 px padding between, 4 px margin around */
	CU_ASSERT_EQUAL(p.width, 2 * 160 + 4 + 2 * 4);
	CU_ASSERT_EQUAL(p.height, 2 * 90 + 4 + 2 * 4);
	CU_ASSERT_STRING_EQUAL(p.vcodec, "mjpeg");
	CU_ASSERT_EQUAL(count_temp_files(), 0);
}

/* vg_media_probe's stream details agree with ffprobe's own view of the clips. */
static void test_probe_streams(void)
{
	struct vg_take a, b, c, d;
	struct vg_probe p;
	struct vg_err err;

	if (!clips(&a, &b, &c, &d))
		return;
	CU_ASSERT_EQUAL_FATAL(vg_media_probe("ffprobe", wpath("d.mp4"), 30, &p, &err), VG_OK);
	CU_ASSERT(absd(p.fps - 30) < 1e-9);
	CU_ASSERT_EQUAL(p.sample_rate, 44100);
	CU_ASSERT_EQUAL(p.channels, 1);
	CU_ASSERT(p.video_duration_s > 0 && absd(p.video_duration_s - d.duration_s) <= FRAME);
	CU_ASSERT(p.audio_duration_s > 0 && absd(p.audio_duration_s - p.video_duration_s) <= FRAME);
	CU_ASSERT_EQUAL_FATAL(vg_media_probe("ffprobe", wpath("c.mp4"), 30, &p, &err), VG_OK);
	CU_ASSERT(absd(p.fps - 24) < 1e-9);
	CU_ASSERT_FALSE(p.has_audio);
	CU_ASSERT_EQUAL(p.sample_rate, 0);
	CU_ASSERT_EQUAL(p.audio_duration_s, 0);
}

struct watch_count {
	int ticks, lines;
	int stop_after; /* ticks; 0 = never */
};

static int count_tick(void *ctx, const char *line)
{
	struct watch_count *wc = ctx;

	if (line) {
		wc->lines++;
		return 0;
	}
	wc->ticks++;
	return wc->stop_after > 0 && wc->ticks >= wc->stop_after;
}

/* The watch sees ffmpeg's ticks, and a non-zero answer stops it cleanly: a minute of 1080p
 * title card takes well over the first tick (1 s) to encode. */
static void test_watch(void)
{
	const char *out = wpath("watched.mp4");
	struct watch_count wc = {0, 0, 1};
	struct vg_assemble_watch w = {count_tick, &wc};
	struct vg_err err;
	int rc;

	if (!have_ffmpeg())
		return;
	vg_assemble_set_watch(&w);
	rc = vg_assemble_title_card("ffmpeg", "Long", NULL, NULL, 60.0, 1920, 1080, 24, out, 120,
	                            &err);
	vg_assemble_set_watch(NULL);
	CU_ASSERT_EQUAL(rc, VG_ECANCELLED);
	CU_ASSERT_EQUAL(wc.ticks, 1);
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);
	CU_ASSERT_EQUAL(count_temp_files(), 0);
	/* cleared: the same call runs to the end unwatched */
	wc.ticks = 0;
	CU_ASSERT_EQUAL(
	    vg_assemble_title_card("ffmpeg", "Short", NULL, NULL, 1.0, 320, 180, 24, out, 60, &err),
	    VG_OK);
	CU_ASSERT_EQUAL(wc.ticks, 0);
	unlink(out);
}

void t_assemble_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"offsets: cuts only", test_offsets_cut_only},
	    {"offsets: fades of 0.5 and 1 s", test_offsets_fades},
	    {"offsets: cuts and fades mixed", test_offsets_mixed},
	    {"check names the scene", test_check},
	    {"can copy", test_can_copy},
	    {"webvtt", test_webvtt},
	    {"film by stream copy", test_film_copy},
	    {"film with fades, a cut, silence and another size", test_film_fades},
	    {"film of six takes: exact frames, audio as long", test_film_six_takes},
	    {"film refuses bad joins and missing takes", test_film_refuses},
	    {"title card", test_title_card},
	    {"soundtrack mix", test_mix_soundtrack},
	    {"webm", test_webm},
	    {"hls", test_hls},
	    {"contact sheet", test_contact_sheet},
	    {"probe: stream details", test_probe_streams},
	    {"watch: ticks and stopping", test_watch},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("assemble", tests);
}
