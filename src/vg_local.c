#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vg_arena.h"
#include "vg_buf.h"
#include "vg_local.h"
#include "vg_log.h"
#include "vg_media.h"
#include "vg_spawn.h"
#include "vg_str.h"
#include "vg_style.h"

#define LOCAL_FPS         24
#define LOCAL_RATE        48000
#define LOCAL_MAX_LINES   12
#define LOCAL_LABEL       "PREVIEW \xc2\xb7 veogen local provider"
#define LOCAL_GRAPH_MAX   (64 * 1024)
#define LOCAL_NEUTRAL_A   0x1f2937
#define LOCAL_NEUTRAL_B   0x4b5563
#define LOCAL_NEUTRAL_TXT 0xffffff
/* DejaVu Sans averages about 0.5 em per character; a margin keeps capitals and dashes inside. */
#define LOCAL_EM_PER_CHAR 0.6
#define LOCAL_LINE_HEIGHT 1.4
#define LOCAL_TWO_PI      6.283185307179586

struct palette {
	int a[3], b[3];
	int text;
};

/* Everything the seed decides, derived once so that the same seed draws the same clip. */
struct motion {
	double phase, angle, speed, bands; /* background waves (ffmpeg takes cos/sin) */
	double zoom, pan_x, pan_y;         /* first-frame image */
	double tone_hz;                    /* audio bed */
};

struct layout {
	int font_size;
	int nlines;
	char *lines[LOCAL_MAX_LINES];
};

struct render {
	struct vg_arena *a;
	const struct vg_local_params *p;
	int nfiles;
	char *files[LOCAL_MAX_LINES + 1];
	vg_local_progress_fn fn;
	void *ctx;
	double fraction;
	double total_us;
	bool graph_full; /* an append to the filter graph hit its cap */
};

bool vg_local_dimensions(const char *aspect, const char *resolution, int *w, int *h)
{
	int longer, shorter;

	if (!aspect || !resolution)
		return false;
	if (strcmp(resolution, "720p") == 0) {
		longer = 1280;
		shorter = 720;
	} else if (strcmp(resolution, "1080p") == 0) {
		longer = 1920;
		shorter = 1080;
	} else {
		return false;
	}
	if (strcmp(aspect, "16:9") == 0) {
		*w = longer;
		*h = shorter;
	} else if (strcmp(aspect, "9:16") == 0) {
		*w = shorter;
		*h = longer;
	} else {
		return false;
	}
	return true;
}

/* ---- the filter graph text ---- */

static void graph_printf(struct render *r, struct vg_buf *g, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void graph_printf(struct render *r, struct vg_buf *g, const char *fmt, ...)
{
	va_list ap;
	char *piece;

	va_start(ap, fmt);
	piece = vg_arena_vprintf(r->a, fmt, ap);
	va_end(ap);
	if (vg_buf_puts(g, piece) != VG_OK)
		r->graph_full = true;
}

/* ---- palette and seed ---- */

static bool parse_color(const char *s, int *rgb)
{
	char *end;
	unsigned long v;

	if (!s || strncmp(s, "0x", 2) != 0 || strlen(s) != 8)
		return false;
	errno = 0;
	v = strtoul(s + 2, &end, 16);
	if (errno || *end)
		return false;
	*rgb = (int)v;
	return true;
}

static void split_rgb(int rgb, int out[3])
{
	out[0] = (rgb >> 16) & 0xff;
	out[1] = (rgb >> 8) & 0xff;
	out[2] = rgb & 0xff;
}

static void pick_palette(const char *style_id, struct palette *pal)
{
	const struct vg_style *st = style_id ? vg_style_find(style_id) : NULL;
	int a = LOCAL_NEUTRAL_A, b = LOCAL_NEUTRAL_B, text = LOCAL_NEUTRAL_TXT;

	if (style_id && !st)
		log_warnx("style %s is unknown: the preview uses the neutral palette", style_id);
	if (st && !(parse_color(st->color_a, &a) && parse_color(st->color_b, &b) &&
	            parse_color(st->text_color, &text))) {
		log_warnx("style %s has a malformed palette: the preview uses the neutral one",
		          style_id);
		a = LOCAL_NEUTRAL_A;
		b = LOCAL_NEUTRAL_B;
		text = LOCAL_NEUTRAL_TXT;
	}
	split_rgb(a, pal->a);
	split_rgb(b, pal->b);
	pal->text = text;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* splitmix32-style mixing: each call gives the next well-spread value of the stream. */
static uint32_t next_rand(uint32_t *state)
{
	uint32_t z = (*state += 0x9e3779b9u);

	z = (z ^ (z >> 16)) * 0x85ebca6bu;
	z = (z ^ (z >> 13)) * 0xc2b2ae35u;
	return z ^ (z >> 16);
}

static double unit(uint32_t *state) /* [0, 1] in steps of 1/1000 */
{
	return (double)(next_rand(state) % 1001) / 1000.0;
}

static void pick_motion(const struct vg_local_params *p, struct motion *m)
{
	/* Without a seed the prompt stands in, so a repeated request still repeats its clip. */
	uint32_t state = p->has_seed ? p->seed : fnv1a(p->prompt);

	m->phase = LOCAL_TWO_PI * unit(&state);
	m->angle = LOCAL_TWO_PI * unit(&state);
	m->speed = 0.5 + 0.7 * unit(&state);
	m->bands = 0.6 + 0.9 * unit(&state);
	m->zoom = 0.08 + 0.08 * unit(&state);
	m->pan_x = unit(&state);
	m->pan_y = unit(&state);
	m->tone_hz = 180 + 80 * unit(&state);
}

/* ---- the prompt as lines ---- */

static size_t utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 0;
}

/* Valid UTF-8 with control characters as spaces, runs of white space as one, trimmed. */
static char *clean_prompt(struct vg_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = vg_arena_alloc(a, n + 1), *o = out;
	bool space = true; /* drops leading white space */

	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq_len((unsigned char)s[i]);

		if (len == 0 || i + len > n || !vg_str_utf8_valid(s + i, len)) {
			*o++ = '?';
			space = false;
			i++;
			continue;
		}
		if (len == 1 && ((unsigned char)s[i] < 0x20 || s[i] == ' ' || s[i] == 0x7f)) {
			if (!space)
				*o++ = ' ';
			space = true;
			i++;
			continue;
		}
		memcpy(o, s + i, len);
		o += len;
		i += len;
		space = false;
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	return out;
}

/* Byte length of the first `chars` code points of s (valid UTF-8). */
static size_t bytes_for_chars(const char *s, size_t chars)
{
	size_t i = 0;

	while (s[i] && chars-- > 0)
		i += utf8_seq_len((unsigned char)s[i]);
	return i;
}

/* Greedy word wrap at `width` code points; words longer than a line are cut. Returns the
 * number of lines it needed, which may pass LOCAL_MAX_LINES (only the first are kept). */
static int wrap(struct vg_arena *a, const char *text, size_t width, char **lines)
{
	int n = 0;
	const char *s = text;

	while (*s) {
		size_t total = vg_str_utf8_len(s, strlen(s));
		size_t take = total <= width ? strlen(s) : bytes_for_chars(s, width);
		size_t cut = take;

		if (s[take] != '\0' && s[take] != ' ') {
			while (cut > 0 && s[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = take; /* one long word: cut it */
		}
		if (n < LOCAL_MAX_LINES)
			lines[n] = vg_arena_strndup(a, s, cut);
		n++;
		s += cut;
		while (*s == ' ')
			s++;
	}
	return n;
}

/* The largest font size whose wrapped lines fit in the middle of the frame. */
static void lay_out(struct vg_arena *a, const char *text, int w, int h, struct layout *lo)
{
	int base = w < h ? w : h;
	int largest = base / 14, smallest = base / 28;

	for (int fs = largest; fs >= smallest; fs -= 2) {
		size_t width = (size_t)(w * 0.84 / (fs * LOCAL_EM_PER_CHAR));
		int max_lines = (int)(h * 0.55 / (fs * LOCAL_LINE_HEIGHT));

		if (max_lines > LOCAL_MAX_LINES)
			max_lines = LOCAL_MAX_LINES;
		lo->font_size = fs;
		lo->nlines = wrap(a, text, width, lo->lines);
		if (lo->nlines <= max_lines)
			return;
		if (fs - 2 < smallest) {
			/* Still too long at the smallest size: keep what fits and say so. */
			char *last = lo->lines[max_lines - 1];
			size_t keep = vg_str_utf8_len(last, strlen(last));

			if (width > 2 && keep + 2 > width)
				keep = width - 2;
			lo->lines[max_lines - 1] = vg_arena_printf(
			    a, "%.*s \xe2\x80\xa6", (int)bytes_for_chars(last, keep), last);
			lo->nlines = max_lines;
			return;
		}
	}
}

/* ---- temp files for drawtext (textfile= avoids escaping the user's text) ----
 * They sit beside the output and share its name as a prefix, so whoever cleans up the
 * output's temp files after a crash (the runner does) removes these too. */

static int write_text_file(struct render *r, const char *text, char **path, struct vg_err *err)
{
	char *fpath = vg_arena_printf(r->a, "%s.text%d", r->p->out_path, r->nfiles);

	if (vg_media_text_file(fpath, text, err) != VG_OK)
		return err->rc;
	r->files[r->nfiles++] = fpath;
	*path = fpath;
	return VG_OK;
}

static void remove_temp(struct render *r)
{
	for (int i = 0; i < r->nfiles; i++)
		unlink(r->files[i]);
}

/* ---- the filter graph ---- */

/* Colour waves drawn at an eighth of the size and scaled up: smooth, and cheap enough that
 * geq costs nothing next to the encoder. */
static void graph_background(struct render *r, const struct palette *pal, const struct motion *m,
                             struct vg_buf *g)
{
	const struct vg_local_params *p = r->p;
	struct vg_arena *a = r->a;
	const char *ch = "rgb";
	char *wave = vg_arena_printf(
	    a,
	    "(0.5+0.35*sin(2*PI*%s*(X/W*cos(%s)+Y/H*sin(%s))+T*%s+%s)+0.15*sin(2*PI*(Y/H)+T*%s))",
	    vg_media_decimal(a, 4, m->bands), vg_media_decimal(a, 4, m->angle),
	    vg_media_decimal(a, 4, m->angle), vg_media_decimal(a, 4, m->speed),
	    vg_media_decimal(a, 4, m->phase), vg_media_decimal(a, 4, m->speed * 0.5));

	graph_printf(r, g, "color=c=black:s=%dx%d:r=%d:d=%d,format=rgb24,geq=", p->width / 8,
	             p->height / 8, LOCAL_FPS, p->duration_s);
	for (int i = 0; i < 3; i++)
		graph_printf(r, g, "%s%c='%d+%d*%s'", i ? ":" : "", ch[i], pal->a[i],
		             pal->b[i] - pal->a[i], wave);
	graph_printf(r, g, ",scale=%d:%d:flags=bicubic,format=yuv420p,setsar=1", p->width,
	             p->height);
}

/* The image fills the frame (scaled to cover, centre-cropped) and the camera pushes in
 * towards a point the seed picks; zoom 1 at frame 0, so the first frame is the image.
 * zoompan turns the one image into every frame (d=frames), so any format ffmpeg can
 * decode works, with or without a file name extension; an animation gives its first frame. */
static void graph_image(struct render *r, const struct motion *m, struct vg_buf *g)
{
	const struct vg_local_params *p = r->p;
	struct vg_arena *a = r->a;
	int frames = p->duration_s * LOCAL_FPS;

	graph_printf(r, g,
	             "[0:v]trim=end_frame=1,"
	             "scale=%d:%d:force_original_aspect_ratio=increase:flags=bicubic,"
	             "crop=%d:%d,setsar=1,"
	             "zoompan=z='1+%s*on/%d':x='(iw-iw/zoom)*%s':y='(ih-ih/zoom)*%s':d=%d:"
	             "s=%dx%d:fps=%d,format=yuv420p",
	             p->width, p->height, p->width, p->height, vg_media_decimal(a, 4, m->zoom),
	             frames, vg_media_decimal(a, 4, m->pan_x), vg_media_decimal(a, 4, m->pan_y),
	             frames, p->width, p->height, LOCAL_FPS);
}

/* The last-frame image held for the whole clip, framed like the first-frame image, and the
 * main picture [m] mixed into it over the last second: the mix reaches the image exactly on
 * the last frame, so the clip ends on it.  Last in the graph: the text dissolves too. */
static void graph_last_frame(struct render *r, struct vg_buf *g)
{
	const struct vg_local_params *p = r->p;
	struct vg_arena *a = r->a;
	int frames = p->duration_s * LOCAL_FPS;
	double last_t = (double)(frames - 1) / LOCAL_FPS;
	double start = p->duration_s - 1.0;

	graph_printf(r, g,
	             "[m];[%d:v]trim=end_frame=1,"
	             "scale=%d:%d:force_original_aspect_ratio=increase:flags=bicubic,"
	             "crop=%d:%d,setsar=1,zoompan=z=1:d=%d:s=%dx%d:fps=%d,format=yuv420p,"
	             "trim=end_frame=%d[l];"
	             "[m][l]blend=all_expr='A+(B-A)*clip((T-%s)/%s,0,1)'",
	             p->image_path ? 1 : 0, p->width, p->height, p->width, p->height, frames,
	             p->width, p->height, LOCAL_FPS, frames, vg_media_decimal(a, 4, start),
	             vg_media_decimal(a, 4, last_t - start));
}

static const char *font_option(struct render *r)
{
	if (r->p->font_path && r->p->font_path[0])
		return vg_arena_printf(r->a, "fontfile=%s",
		                       vg_media_filter_escape(r->a, r->p->font_path));
	return "font=Sans"; /* fontconfig's choice */
}

static int graph_text(struct render *r, const struct palette *pal, const char *prompt,
                      struct vg_buf *g, struct vg_err *err)
{
	const struct vg_local_params *p = r->p;
	const char *font = font_option(r);
	int base = p->width < p->height ? p->width : p->height;
	int label_fs = base / 36, margin = base / 40;
	/* Over an image the text waits half a second, so the first frames show the image.  It
	 * is gone for the last quarter second, so the last frame (the next scene's first, with
	 * continuity) carries the picture and not this scene's words. */
	const char *fade_out = vg_arena_printf(r->a, "clip((%d-0.25-t)/0.75,0,1)", p->duration_s);
	const char *alpha =
	    vg_arena_printf(r->a, "'min(%s,%s)'",
	                    p->image_path ? "clip((t-0.5)/0.75,0,1)" : "clip(t/0.6,0,1)", fade_out);
	const char *box = p->image_path ? vg_arena_printf(r->a, "0x%02X%02X%02X@0.6", pal->a[0],
	                                                  pal->a[1], pal->a[2])
	                                : "black@0.35";
	struct layout lo;
	char *path = NULL; /* set by write_text_file */
	int rc, line_h, top;

	memset(&lo, 0, sizeof lo);
	lay_out(r->a, prompt, p->width, p->height, &lo);
	line_h = (int)(lo.font_size * LOCAL_LINE_HEIGHT);
	top = (p->height - lo.nlines * line_h) / 2;
	for (int i = 0; i < lo.nlines; i++) {
		if ((rc = write_text_file(r, lo.lines[i], &path, err)) != VG_OK)
			return rc;
		/* Baselines a line height apart, whatever glyphs each line has. */
		graph_printf(r, g,
		             ",drawtext=%s:textfile=%s:expansion=none:fontsize=%d:"
		             "fontcolor=0x%06X:x=(w-text_w)/2:y=%d-ascent:box=1:boxcolor=%s:"
		             "boxborderw=%d:alpha=%s",
		             font, vg_media_filter_escape(r->a, path), lo.font_size, pal->text,
		             top + i * line_h + lo.font_size, box, lo.font_size / 4, alpha);
	}
	if ((rc = write_text_file(r, LOCAL_LABEL, &path, err)) != VG_OK)
		return rc;
	graph_printf(r, g,
	             ",drawtext=%s:textfile=%s:expansion=none:fontsize=%d:fontcolor=white@0.9:"
	             "x=%d:y=%d:box=1:boxcolor=black@0.55:boxborderw=%d",
	             font, vg_media_filter_escape(r->a, path), label_fs, margin, margin,
	             label_fs / 3);
	return VG_OK;
}

/* A quiet stereo pad: a fifth apart, slowly breathing, about -30 dBFS, faded at both ends. */
static void graph_audio(struct render *r, const struct motion *m, struct vg_buf *g)
{
	struct vg_arena *a = r->a;
	const struct vg_local_params *p = r->p;
	const char *f1 = vg_media_decimal(a, 4, m->tone_hz),
	           *f2 = vg_media_decimal(a, 4, m->tone_hz * 1.5);
	const char *lfo = "(0.7+0.3*sin(2*PI*0.25*t))";

	graph_printf(r, g,
	             ";aevalsrc='0.025*sin(2*PI*%s*t)*%s+0.012*sin(2*PI*%s*t)|"
	             "0.025*sin(2*PI*%s*t)*%s+0.012*sin(2*PI*%s*t+1)':c=stereo:s=%d:d=%d,"
	             "afade=t=in:d=0.5,afade=t=out:st=%s:d=0.5,atrim=end_sample=%d[a]",
	             f1, lfo, f2, f1, lfo, f2, LOCAL_RATE, p->duration_s,
	             vg_media_decimal(a, 4, p->duration_s - 0.5), p->duration_s * LOCAL_RATE);
}

static int build_graph(struct render *r, const char *prompt, struct vg_buf *g, struct vg_err *err)
{
	struct palette pal;
	struct motion m;
	int rc;

	pick_palette(r->p->style_id, &pal);
	pick_motion(r->p, &m);
	if (r->p->image_path)
		graph_image(r, &m, g);
	else
		graph_background(r, &pal, &m, g);
	if ((rc = graph_text(r, &pal, prompt, g, err)) != VG_OK)
		return rc;
	/* The sources already stop at the duration; trim makes the frame count exact. */
	graph_printf(r, g, ",trim=end_frame=%d", r->p->duration_s * LOCAL_FPS);
	if (r->p->last_frame_path)
		graph_last_frame(r, g);
	graph_printf(r, g, "[v]");
	graph_audio(r, &m, g);
	if (r->graph_full)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "the preview filter graph passed %d bytes (is the font path very "
		                  "long?)",
		                  LOCAL_GRAPH_MAX);
	return VG_OK;
}

/* ---- running ffmpeg ---- */

static int on_progress_line(void *ctx, const char *line)
{
	struct render *r = ctx;

	if (line) {
		if (strncmp(line, "out_time_us=", 12) == 0) {
			double us = strtod(line + 12, NULL); /* "N/A" parses as 0 */
			double f = r->total_us > 0 ? us / r->total_us : 0;

			if (f > 1)
				f = 1;
			if (f > r->fraction)
				r->fraction = f;
		} else if (strcmp(line, "progress=end") == 0) {
			r->fraction = 1;
		} else {
			return 0;
		}
	}
	return r->fn ? r->fn(r->ctx, r->fraction) : 0;
}

static int check_params(const struct vg_local_params *p, struct vg_err *err)
{
	if (!p->prompt || !p->out_path || !p->ffmpeg)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "local render: prompt, out_path and ffmpeg are required");
	if (p->duration_s < 1 || p->duration_s > 60)
		return vg_err_set(err, VG_EINVAL, NULL, "the preview lasts 1 to 60 seconds, not %d",
		                  p->duration_s);
	if (p->width < 64 || p->height < 64 || p->width > 4096 || p->height > 4096)
		return vg_err_set(err, VG_EINVAL, NULL, "the preview cannot be %dx%d pixels",
		                  p->width, p->height);
	if (p->width % 2 || p->height % 2)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the preview needs an even width and height, not %dx%d", p->width,
		                  p->height);
	if (p->font_path && p->font_path[0] && access(p->font_path, R_OK) != 0)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "font %s is not readable (%s): set providers.local.font to a "
		                  "TrueType font such as DejaVuSans.ttf",
		                  p->font_path, strerror(errno));
	if (p->image_path && access(p->image_path, R_OK) != 0)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "first-frame image %s is not readable: %s", p->image_path,
		                  strerror(errno));
	if (p->last_frame_path && access(p->last_frame_path, R_OK) != 0)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "last-frame image %s is not readable: %s", p->last_frame_path,
		                  strerror(errno));
	return VG_OK;
}

static int run_ffmpeg(struct render *r, const char *graph, struct vg_err *err)
{
	const struct vg_local_params *p = r->p;
	const char *argv[64];
	int n = 0, rc;

	argv[n++] = p->ffmpeg;
	argv[n++] = "-hide_banner";
	argv[n++] = "-nostdin";
	argv[n++] = "-loglevel";
	argv[n++] = "error";
	argv[n++] = "-y";
	if (p->image_path) {
		argv[n++] = "-i";
		argv[n++] = vg_media_url(r->a, p->image_path);
	}
	if (p->last_frame_path) {
		argv[n++] = "-i";
		argv[n++] = vg_media_url(r->a, p->last_frame_path);
	}
	argv[n++] = "-filter_complex";
	argv[n++] = graph;
	argv[n++] = "-map";
	argv[n++] = "[v]";
	argv[n++] = "-map";
	argv[n++] = "[a]";
	/* One x264 thread: frame threads made the bytes differ from run to run under load.
	 * ultrafast: on these smooth, slow pictures it costs 40% less CPU than veryfast for
	 * files about 1.5x as large (about 1 MB for 8 s of 1080x1920) and an SSIM of 0.99. */
	static const char *const tail[] = {"-c:v",
	                                   "libx264",
	                                   "-preset",
	                                   "ultrafast",
	                                   "-crf",
	                                   "23",
	                                   "-threads",
	                                   "1",
	                                   "-pix_fmt",
	                                   "yuv420p",
	                                   "-g",
	                                   "48",
	                                   "-c:a",
	                                   "aac",
	                                   "-b:a",
	                                   "96k",
	                                   "-fflags",
	                                   "+bitexact",
	                                   "-flags:v",
	                                   "+bitexact",
	                                   "-flags:a",
	                                   "+bitexact",
	                                   "-map_metadata",
	                                   "-1",
	                                   "-movflags",
	                                   "+faststart",
	                                   "-progress",
	                                   "pipe:1",
	                                   "-nostats",
	                                   "-f",
	                                   "mp4",
	                                   NULL};
	for (const char *const *t = tail; *t; t++)
		argv[n++] = *t;
	argv[n++] = vg_media_url(r->a, p->out_path);
	argv[n] = NULL;

	rc = vg_spawn_run("local_render", argv, p->timeout_s, on_progress_line, r, NULL, err);
	if (rc == VG_OK)
		return rc;
	char why[sizeof err->msg];

	memcpy(why, err->msg, sizeof why);
	if (rc == VG_ETIMEOUT)
		vg_err_set(err, rc, "provider_timeout",
		           "the local preview did not render within %d s: raise ffmpeg.timeout or "
		           "lower the load (%.300s)",
		           p->timeout_s, why);
	else if (rc == VG_ECANCELLED)
		vg_err_set(err, rc, "cancelled", "the preview render was cancelled");
	else
		vg_err_set(err, rc, "internal", "the local preview render failed: %.400s", why);
	return rc;
}

int vg_local_render(const struct vg_local_params *p, vg_local_progress_fn fn, void *ctx,
                    struct vg_err *err)
{
	struct render r = {.p = p, .fn = fn, .ctx = ctx};
	struct vg_buf graph;
	char *prompt;
	int rc;

	if ((rc = check_params(p, err)) != VG_OK)
		return rc;
	r.a = vg_arena_create(16 * 1024);
	r.total_us = p->duration_s * 1e6;
	prompt = clean_prompt(r.a, p->prompt);
	if (!prompt[0]) {
		vg_arena_destroy(r.a);
		return vg_err_set(err, VG_EINVAL, NULL, "the prompt is empty: describe the video");
	}
	vg_buf_init(&graph, LOCAL_GRAPH_MAX);
	rc = build_graph(&r, prompt, &graph, err);
	if (rc == VG_OK) {
		log_debug("local render %dx%d %ds: %s", p->width, p->height, p->duration_s,
		          vg_buf_str(&graph));
		rc = run_ffmpeg(&r, vg_buf_str(&graph), err);
	}
	if (rc != VG_OK)
		unlink(p->out_path); /* never leave half a clip for the caller to pick up */
	remove_temp(&r);
	vg_buf_free(&graph);
	vg_arena_destroy(r.a);
	return rc;
}
