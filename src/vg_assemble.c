#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vg_arena.h"
#include "vg_assemble.h"
#include "vg_buf.h"
#include "vg_media.h"
#include "vg_spawn.h"
#include "vg_storage.h"
#include "vg_str.h"

#define AS_RATE      48000
#define AS_GRAPH_MAX (512 * 1024)
#define AS_FPS_EPS   0.01
#define AS_MAX_TAKES 500

/* xfade's transitions in ffmpeg 5.1 (custom needs expressions: not offered).  The list also
 * keeps user text out of the filter graph. */
static const char *const transitions[] = {
    "fade",     "wipeleft",   "wiperight",   "wipeup",    "wipedown",   "slideleft",  "slideright",
    "slideup",  "slidedown",  "circlecrop",  "rectcrop",  "distance",   "fadeblack",  "fadewhite",
    "radial",   "smoothleft", "smoothright", "smoothup",  "smoothdown", "circleopen", "circleclose",
    "vertopen", "vertclose",  "horzopen",    "horzclose", "dissolve",   "pixelize",   "diagtl",
    "diagtr",   "diagbl",     "diagbr",      "hlslice",   "hrslice",    "vuslice",    "vdslice",
    "hblur",    "fadegrays",  "wipetl",      "wipetr",    "wipebl",     "wipebr",     "squeezeh",
    "squeezev", "zoomin",     "fadefast",    "fadeslow",  NULL};

static struct vg_assemble_watch watch;

void vg_assemble_set_watch(const struct vg_assemble_watch *w)
{
	watch.fn = w ? w->fn : NULL;
	watch.ctx = w ? w->ctx : NULL;
}

/* vg_spawn_run with the caller's watch. */
static int run_watched(const char *op, const char *const *argv, int timeout_s, struct vg_err *err)
{
	return vg_spawn_run(op, argv, timeout_s, watch.fn, watch.ctx, NULL, err);
}

static bool is_cut(const char *t)
{
	return !t || !t[0] || strcmp(t, "cut") == 0;
}

bool vg_assemble_transition_valid(const char *name)
{
	if (is_cut(name))
		return true;
	for (const char *const *t = transitions; *t; t++)
		if (strcmp(*t, name) == 0)
			return true;
	return false;
}

static double join_len(const struct vg_join *j)
{
	return is_cut(j->transition) ? 0.0 : j->duration_s;
}

double vg_assemble_offsets(const double *durations, const struct vg_join *joins, int n,
                           double *offsets)
{
	double sum_d = 0, sum_t = 0;

	for (int i = 0; i < n; i++) {
		sum_d += durations[i];
		if (i < n - 1) {
			sum_t += join_len(&joins[i]);
			if (offsets)
				offsets[i] = sum_d - sum_t;
		}
	}
	return sum_d - sum_t;
}

/* ---- validation ---- */

static int check_join(const struct vg_take *takes, const struct vg_join *joins, int k,
                      struct vg_err *err)
{
	const struct vg_join *j = &joins[k];
	double t = join_len(j), before = takes[k].duration_s, after = takes[k + 1].duration_s;

	if (!vg_assemble_transition_valid(j->transition))
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the transition between scenes %d and %d (\"%.40s\") is unknown: "
		                  "use cut, fade, dissolve, wipeleft, slideright or another xfade "
		                  "transition",
		                  k + 1, k + 2, j->transition);
	if (is_cut(j->transition))
		return VG_OK;
	if (!(t > 0) || t > 60)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the %s between scenes %d and %d needs a duration above 0 s (and "
		                  "at most 60 s), not %.2f s",
		                  j->transition, k + 1, k + 2, t);
	if (t >= before || t >= after)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the %s between scenes %d and %d lasts %.2f s but scene %d lasts "
		                  "only %.2f s: make the transition shorter than both scenes",
		                  j->transition, k + 1, k + 2, t, t >= before ? k + 1 : k + 2,
		                  t >= before ? before : after);
	/* Both transitions of a take overlap inside it when they add up to more than it. */
	if (k > 0 && t + join_len(&joins[k - 1]) > before)
		return vg_err_set(
		    err, VG_EINVAL, NULL,
		    "scene %d lasts %.2f s, less than its two transitions (%.2f s in, "
		    "%.2f s out): shorten one of them",
		    k + 1, before, join_len(&joins[k - 1]), t);
	return VG_OK;
}

int vg_assemble_check(const struct vg_take *takes, const struct vg_join *joins, int n,
                      struct vg_err *err)
{
	int rc;

	if (n < 1 || n > AS_MAX_TAKES)
		return vg_err_set(err, VG_EINVAL, NULL, "a film has 1 to %d scenes, not %d",
		                  AS_MAX_TAKES, n);
	for (int i = 0; i < n; i++) {
		if (!takes[i].path || !takes[i].path[0])
			return vg_err_set(err, VG_EINVAL, NULL,
			                  "scene %d has no take: generate it before assembling",
			                  i + 1);
		/* !(d > 0) also catches NaN */
		if (!(takes[i].duration_s > 0) || takes[i].duration_s > 24 * 3600)
			return vg_err_set(err, VG_EINVAL, NULL,
			                  "scene %d's take has no usable duration (%.2f s): "
			                  "regenerate the scene",
			                  i + 1, takes[i].duration_s);
	}
	for (int k = 0; k < n - 1; k++)
		if ((rc = check_join(takes, joins, k, err)) != VG_OK)
			return rc;
	return VG_OK;
}

static bool same_str(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool same_params(const struct vg_take *a, const struct vg_take *b)
{
	double dfps = a->fps - b->fps;

	if (a->width != b->width || a->height != b->height || !same_str(a->pix_fmt, b->pix_fmt))
		return false;
	if (dfps > AS_FPS_EPS || dfps < -AS_FPS_EPS || a->has_audio != b->has_audio)
		return false;
	return !a->has_audio || (a->sample_rate == b->sample_rate && a->channels == b->channels);
}

bool vg_assemble_can_copy(const struct vg_take *takes, const struct vg_join *joins, int n)
{
	if (n < 1)
		return false;
	for (int i = 0; i < n; i++) {
		if (i < n - 1 && !is_cut(joins[i].transition))
			return false;
		if (!same_params(&takes[0], &takes[i]))
			return false;
	}
	return true;
}

/* ---- small helpers ---- */

static long long samples(double s)
{
	return s > 0 ? (long long)(s * AS_RATE + 0.5) : 0;
}

struct args {
	const char **v;
	int n, max;
};

static void args_init(struct args *g, struct vg_arena *a, int max, const char *ffmpeg)
{
	g->v = vg_arena_alloc(a, sizeof *g->v * (size_t)(max + 1));
	g->n = 0;
	g->max = max;
	g->v[g->n++] = ffmpeg;
	/* the common head: quiet, no stdin, overwrite our own temp file */
	static const char *const head[] = {"-hide_banner", "-nostdin", "-loglevel",
	                                   "error",        "-y",       NULL};
	for (const char *const *h = head; *h; h++)
		g->v[g->n++] = *h;
	g->v[g->n] = NULL;
}

static void args_add(struct args *g, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, g);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (g->n >= g->max)
			vg_oom(0); /* a sizing bug: never silently drop an argument */
		g->v[g->n++] = s;
	}
	va_end(ap);
	g->v[g->n] = NULL;
}

/* The film format: H.264 yuv420p with a keyframe every 2 s (so 4 s HLS segments cut
 * cleanly), AAC 48 kHz stereo, no metadata that changes from run to run. */
static void add_mp4_encode(struct args *g, struct vg_arena *a, int fps)
{
	args_add(g, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
	         "-g", vg_arena_printf(a, "%d", 2 * fps), "-c:a", "aac", "-b:a", "128k", "-ar",
	         "48000", "-ac", "2", NULL);
}

static void add_mp4_tail(struct args *g, struct vg_arena *a, const char *tmp)
{
	args_add(g, "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
	         "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4",
	         vg_media_url(a, tmp), NULL);
}

static bool file_nonempty(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_size > 0;
}

/* Runs ffmpeg into tmp and renames tmp to out; names the step in the error. */
static int run_commit(const char *op, const struct args *g, const char *tmp, const char *out,
                      int timeout_s, const char *what, struct vg_err *err)
{
	int rc = run_watched(op, g->v, timeout_s, err);

	if (rc == VG_OK && !file_nonempty(tmp))
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "%s: ffmpeg wrote nothing to %s", what,
		                tmp);
	else if (rc == VG_ETIMEOUT)
		vg_err_set(err, rc, NULL,
		           "%s did not finish within %d s: raise ffmpeg.timeout or lower the load",
		           what, timeout_s);
	else if (rc != VG_OK && rc != VG_ECANCELLED) {
		char why[sizeof err->msg];

		memcpy(why, err->msg, sizeof why);
		vg_err_set(err, rc, NULL, "%s failed: %.400s", what, why);
	}
	if (rc == VG_OK)
		rc = vg_storage_commit(tmp, out, err);
	if (rc != VG_OK)
		unlink(tmp);
	return rc;
}

static int check_format(int width, int height, int fps, struct vg_err *err)
{
	if (width < 16 || height < 16 || width > 4096 || height > 4096 || width % 2 || height % 2)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the film needs an even width and height of 16 to 4096 pixels, "
		                  "not %dx%d",
		                  width, height);
	if (fps < 1 || fps > 120)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the film's frame rate must be 1 to 120, not %d", fps);
	return VG_OK;
}

/* ---- the film: stream copy ---- */

/* The concat demuxer resolves relative names against the list's directory: make them
 * absolute; quote them the way its parser reads ('\'' for a quote). */
static int concat_list(struct vg_arena *a, const struct vg_take *takes, int n, struct vg_buf *b,
                       struct vg_err *err)
{
	char cwd[4096];

	for (int i = 0; i < n; i++) {
		const char *p = takes[i].path;

		if (strpbrk(p, "\r\n"))
			return vg_err_set(err, VG_EINVAL, NULL,
			                  "scene %d's file name has a line break: rename the file",
			                  i + 1);
		if (p[0] != '/') {
			if (!getcwd(cwd, sizeof cwd))
				return vg_err_set(err, VG_EINTERNAL, NULL,
				                  "cannot resolve %s: getcwd: %s", p,
				                  strerror(errno));
			p = vg_arena_printf(a, "%s/%s", cwd, p);
		}
		vg_buf_puts(b, "file '");
		for (const char *c = p; *c; c++)
			vg_buf_puts(b, *c == '\'' ? "'\\''" : (char[]){*c, '\0'});
		if (vg_buf_puts(b, "'\n") != VG_OK)
			return vg_err_set(err, VG_EINTERNAL, NULL, "the concat list is too long");
	}
	return VG_OK;
}

static int film_copy(struct vg_arena *a, const char *ffmpeg, const struct vg_take *takes, int n,
                     const char *tmp, const char *out, int timeout_s, struct vg_err *err)
{
	/* beside tmp, under its name: crash clean-up of tmp's files removes it too */
	char *list = vg_arena_printf(a, "%s.list", tmp);
	struct vg_buf b;
	struct args g;
	int rc;

	vg_buf_init(&b, AS_GRAPH_MAX);
	rc = concat_list(a, takes, n, &b, err);
	if (rc == VG_OK)
		rc = vg_media_text_file(list, vg_buf_str(&b), err);
	vg_buf_free(&b);
	if (rc != VG_OK)
		return rc;
	args_init(&g, a, 48, ffmpeg);
	args_add(&g, "-f", "concat", "-safe", "0", "-i", vg_media_url(a, list), "-map", "0:v:0",
	         "-map", "0:a:0", "-c", "copy", NULL);
	add_mp4_tail(&g, a, tmp);
	rc = run_commit("concat", &g, tmp, out, timeout_s, "joining the scenes", err);
	unlink(list);
	return rc;
}

/* ---- the film: pieces, then a join ---- */

/* One filter graph over every take made ffmpeg demux all inputs at once and queue the
 * later ones' frames until their xfade began: memory grew with the film (13 GB at 30 takes
 * of 8 s 720p).  So the film is made in pieces of at most two inputs each (video as H.264,
 * audio as PCM), then joined by the concat demuxer: video copied, audio encoded once.  (One
 * audio graph over all takes still grew, 3 MB a take, from its open inputs and queues.) */

struct graph {
	struct vg_arena *a;
	struct vg_buf b;
	bool full;
};

static void gp(struct graph *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void gp(struct graph *g, const char *fmt, ...)
{
	va_list ap;
	char *piece;

	va_start(ap, fmt);
	piece = vg_arena_vprintf(g->a, fmt, ap);
	va_end(ap);
	if (vg_buf_puts(&g->b, piece) != VG_OK)
		g->full = true;
}

/* The film on whole frames: take i lasts frames[i], join k overlaps tf[k] frames (0 for a
 * cut).  Piece i = take i from the end of the transition into it to the start of the one
 * out of it, then that transition: frames[i] − tf[i−1] frames from film frame start[i]. */
struct plan {
	int n, w, h, fps;
	const struct vg_take *takes;
	const struct vg_join *joins; /* quantised */
	double *d;                   /* quantised take durations */
	long long *frames, *tf, *start, total_frames;
	double total;
	time_t deadline;
	const char *dir;
};

/* The film keeps whole frames: a take lasts floor(duration × fps + 0.25) frames (AAC
 * padding makes a container a little longer than its video) and a transition at least one
 * whole frame, so every join lies on the frame grid and the audio, cut to the same times,
 * ends with the video. */
static int quantise(const struct vg_take *takes, const struct vg_join *joins, int n, int fps,
                    struct vg_take *qt, struct vg_join *qj, double *d, struct vg_err *err)
{
	for (int i = 0; i < n; i++) {
		long long f = (long long)(takes[i].duration_s * fps + 0.25);

		qt[i] = takes[i];
		qt[i].duration_s = d[i] = (double)(f > 0 ? f : 1) / fps;
		if (i < n - 1) {
			long long tf = (long long)(joins[i].duration_s * fps + 0.5);

			qj[i] = joins[i];
			qj[i].duration_s =
			    is_cut(joins[i].transition) ? 0 : (double)(tf > 0 ? tf : 1) / fps;
		}
	}
	return vg_assemble_check(qt, qj, n, err);
}

static int plan_film(struct vg_arena *a, struct plan *p, struct vg_err *err)
{
	int n = p->n, rc;
	struct vg_take *qt = vg_arena_alloc(a, sizeof *qt * (size_t)n);
	struct vg_join *qj = vg_arena_alloc(a, sizeof *qj * (size_t)n);

	p->d = vg_arena_alloc(a, sizeof(double) * (size_t)n);
	p->frames = vg_arena_alloc(a, sizeof(long long) * (size_t)n);
	p->tf = vg_arena_alloc(a, sizeof(long long) * (size_t)n);
	p->start = vg_arena_alloc(a, sizeof(long long) * (size_t)(n + 1));
	if ((rc = quantise(p->takes, p->joins, n, p->fps, qt, qj, p->d, err)) != VG_OK)
		return rc;
	p->joins = qj;
	p->total = vg_assemble_offsets(p->d, qj, n, NULL);
	p->total_frames = 0;
	for (int i = 0; i < n; i++) {
		p->frames[i] = (long long)(p->d[i] * p->fps + 0.5);
		p->tf[i] = i < n - 1 ? (long long)(qj[i].duration_s * p->fps + 0.5) : 0;
		p->start[i] = p->total_frames;
		p->total_frames += p->frames[i] - (i > 0 ? p->tf[i - 1] : 0);
	}
	p->start[n] = p->total_frames;
	return VG_OK;
}

/* Seconds left of the caller's timeout for the next ffmpeg (at least 1). */
static int time_left(const struct plan *p)
{
	time_t left = p->deadline - time(NULL);

	return left > 0 ? (int)left : 1;
}

/* ffmpeg's exit as an error naming the step (and the scene whose piece it encoded, from 1;
 * 0 = none); VG_ECANCELLED (the watch) passes through. */
static int run_step(const struct args *g, int timeout_s, int total_s, int scene, struct vg_err *err)
{
	int rc = run_watched(scene > 0 ? "assemble_take" : "concat", g->v, timeout_s, err);
	char at[32] = "";

	if (scene > 0)
		snprintf(at, sizeof at, " at scene %d", scene);
	if (rc == VG_ETIMEOUT)
		vg_err_set(err, rc, NULL,
		           "assembling the film did not finish within %d s%s: raise "
		           "ffmpeg.timeout or lower the load",
		           total_s, at);
	else if (rc != VG_OK && rc != VG_ECANCELLED) {
		char why[sizeof err->msg];

		memcpy(why, err->msg, sizeof why);
		vg_err_set(err, rc, NULL, "assembling the film failed%s: %.400s", at, why);
	}
	return rc;
}

/* A take to the film's size (aspect kept, letterboxed), rate and pixel format, the last
 * frame held if the stream stops short, cut to frames [from, to). */
static void graph_video(struct graph *g, const struct plan *p, int input, long long from,
                        long long to, const char *label)
{
	gp(g,
	   "[%d:v]setpts=PTS-STARTPTS,fps=%d,scale=%d:%d:force_original_aspect_ratio=decrease:"
	   "force_divisible_by=2,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,"
	   "format=yuv420p,tpad=stop_mode=clone:stop_duration=1,trim=start_frame=%lld:"
	   "end_frame=%lld,setpts=PTS-STARTPTS[%s];",
	   input, p->fps, p->w, p->h, p->w, p->h, from, to, label);
}

/* Frames to samples on the film's clock. */
static long long fsamples(const struct plan *p, long long frames)
{
	return samples((double)frames / p->fps);
}

/* Input in's audio (or silence) at 48 kHz stereo, padded to `to` samples, from `from`. */
static void graph_audio(struct graph *g, bool has_audio, int in, long long from, long long to,
                        const char *label)
{
	if (has_audio)
		gp(g,
		   "[%d:a]asetpts=PTS-STARTPTS,aresample=%d,"
		   "aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=stereo,"
		   "apad=whole_len=%lld,atrim=start_sample=%lld:end_sample=%lld,"
		   "asetpts=PTS-STARTPTS[%s];",
		   in, AS_RATE, AS_RATE, to, from, to, label);
	else
		gp(g, "anullsrc=r=%d:cl=stereo,aformat=sample_fmts=fltp,atrim=end_sample=%lld[%s];",
		   AS_RATE, to - from, label);
}

/* Piece i's graph: its body alone for a cut (or the last take), else the body with the
 * transition's xfade (acrossfade) into the head of take i+1 (input 1).  The video is exactly
 * frames[i] − tf[i−1] frames; the audio exactly its share of the film's samples, so the
 * pieces add up to the film on both clocks. */
static const char *piece_graph(struct vg_arena *a, const struct plan *p, int i)
{
	long long from = i > 0 ? p->tf[i - 1] : 0, t = p->tf[i], len = p->frames[i] - from;
	long long as = fsamples(p, p->start[i + 1]) - fsamples(p, p->start[i]);
	struct graph gr = {.a = a};
	const char *s;

	vg_buf_init(&gr.b, AS_GRAPH_MAX);
	graph_video(&gr, p, 0, from, p->frames[i], "body");
	graph_audio(&gr, p->takes[i].has_audio, 0, fsamples(p, from), samples(p->d[i]), "abody");
	if (t == 0) {
		gp(&gr, "[body]null[v];[abody]");
	} else {
		graph_video(&gr, p, 1, 0, t, "head");
		graph_audio(&gr, p->takes[i + 1].has_audio, 1, 0, fsamples(p, t), "ahead");
		/* the head's frames all fall inside the xfade: it ends with them */
		gp(&gr,
		   "[body][head]xfade=transition=%s:duration=%s:offset=%s,"
		   "tpad=stop_mode=clone:stop_duration=1,trim=end_frame=%lld[v];"
		   "[abody][ahead]acrossfade=ns=%lld,",
		   p->joins[i].transition, vg_media_decimal(a, 6, (double)t / p->fps),
		   vg_media_decimal(a, 6, (double)(len - t) / p->fps), len, fsamples(p, t));
	}
	gp(&gr, "apad=whole_len=%lld,atrim=end_sample=%lld[a]", as, as);
	s = gr.full ? NULL : vg_arena_strdup(a, vg_buf_str(&gr.b));
	vg_buf_free(&gr.b);
	return s;
}

/* ext "mp4" for the video, "wav" for the audio (float: encoded to AAC once, at the join) */
static char *piece_path(struct vg_arena *a, const struct plan *p, int i, const char *ext)
{
	return vg_arena_printf(a, "%s/piece_%04d.%s", p->dir, i, ext);
}

/* The film's x264 settings (the keyframe interval counts from the piece's start), the
 * audio as PCM beside it. */
static int encode_piece(struct vg_arena *a, const char *ffmpeg, const struct plan *p, int i,
                        int timeout_s, struct vg_err *err)
{
	const char *graph = piece_graph(a, p, i);
	struct args g;

	if (!graph)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "scene %d's filter graph passed %d bytes", i + 1, AS_GRAPH_MAX);
	args_init(&g, a, 64, ffmpeg);
	args_add(&g, "-i", vg_media_url(a, p->takes[i].path), NULL);
	/* only the transition's head of the next take is decoded (two frames to spare) */
	if (p->tf[i] > 0)
		args_add(&g, "-t", vg_media_decimal(a, 6, (double)(p->tf[i] + 2) / p->fps), "-i",
		         vg_media_url(a, p->takes[i + 1].path), NULL);
	args_add(&g, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset",
	         "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-g",
	         vg_arena_printf(a, "%d", 2 * p->fps), "-fflags", "+bitexact", "-flags:v",
	         "+bitexact", "-map_metadata", "-1", "-f", "mp4",
	         vg_media_url(a, piece_path(a, p, i, "mp4")), "-map", "[a]", "-c:a", "pcm_f32le",
	         "-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", "-f",
	         "wav", vg_media_url(a, piece_path(a, p, i, "wav")), NULL);
	return run_step(&g, time_left(p), timeout_s, i + 1, err);
}

/* The pieces in order for the concat demuxer, quoted like the takes of a stream copy. */
static int pieces_list(struct vg_arena *a, const struct plan *p, const char *ext, const char *list,
                       struct vg_err *err)
{
	struct vg_take *pieces = vg_arena_alloc(a, sizeof *pieces * (size_t)p->n);
	struct vg_buf b;
	int rc;

	for (int i = 0; i < p->n; i++)
		pieces[i] = (struct vg_take){.path = piece_path(a, p, i, ext)};
	vg_buf_init(&b, AS_GRAPH_MAX);
	rc = concat_list(a, pieces, p->n, &b, err);
	if (rc == VG_OK)
		rc = vg_media_text_file(list, vg_buf_str(&b), err);
	vg_buf_free(&b);
	return rc;
}

/* The video pieces copied end to end, the audio pieces encoded to AAC once, into tmp. */
static int join_pieces(struct vg_arena *a, const char *ffmpeg, const struct plan *p,
                       const char *tmp, int timeout_s, struct vg_err *err)
{
	const char *vlist = vg_arena_printf(a, "%s/video.txt", p->dir);
	const char *alist = vg_arena_printf(a, "%s/audio.txt", p->dir);
	struct args g;
	int rc;

	if ((rc = pieces_list(a, p, "mp4", vlist, err)) != VG_OK ||
	    (rc = pieces_list(a, p, "wav", alist, err)) != VG_OK)
		return rc;
	args_init(&g, a, 64, ffmpeg);
	args_add(&g, "-f", "concat", "-safe", "0", "-i", vg_media_url(a, vlist), "-f", "concat",
	         "-safe", "0", "-i", vg_media_url(a, alist), "-map", "0:v:0", "-map", "1:a:0",
	         "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", NULL);
	add_mp4_tail(&g, a, tmp);
	rc = run_step(&g, time_left(p), timeout_s, 0, err);
	if (rc == VG_OK && !file_nonempty(tmp))
		rc = vg_err_set(err, VG_EINTERNAL, NULL,
		                "assembling the film failed: ffmpeg wrote nothing to %s", tmp);
	return rc;
}

static void remove_flat_dir(struct vg_arena *a, const char *dir);

static int film_encode(struct vg_arena *a, const char *ffmpeg, const struct vg_take *takes,
                       const struct vg_join *joins, int n, int w, int h, int fps, const char *tmp,
                       const char *out, int timeout_s, struct vg_err *err)
{
	struct plan p = {.n = n, .w = w, .h = h, .fps = fps, .takes = takes, .joins = joins};
	int rc;

	p.deadline = time(NULL) + timeout_s;
	/* beside tmp, under its name: crash clean-up of "<out>.tmp.*" removes it too */
	p.dir = vg_arena_printf(a, "%s.pieces", tmp);
	if ((rc = plan_film(a, &p, err)) != VG_OK)
		return rc;
	if (mkdir(p.dir, 0700) != 0)
		return vg_err_set(err, VG_EUNAVAIL, NULL, "cannot create %s: %s", p.dir,
		                  strerror(errno));
	for (int i = 0; i < n && rc == VG_OK; i++)
		rc = encode_piece(a, ffmpeg, &p, i, timeout_s, err);
	if (rc == VG_OK)
		rc = join_pieces(a, ffmpeg, &p, tmp, timeout_s, err);
	remove_flat_dir(a, p.dir);
	if (rc == VG_OK)
		rc = vg_storage_commit(tmp, out, err);
	if (rc != VG_OK)
		unlink(tmp);
	return rc;
}

/* Copy only what already is the film format: the right size and rate, yuv420p, and AAC's
 * 48 kHz stereo, so a copied film and an encoded one look the same to what serves them. */
static bool copy_fits(const struct vg_take *takes, const struct vg_join *joins, int n, int w, int h,
                      int fps)
{
	const struct vg_take *t = &takes[0];
	double dfps = t->fps - fps;

	if (!vg_assemble_can_copy(takes, joins, n))
		return false;
	return t->width == w && t->height == h && dfps <= AS_FPS_EPS && dfps >= -AS_FPS_EPS &&
	       same_str(t->pix_fmt, "yuv420p") && t->has_audio && t->sample_rate == AS_RATE &&
	       t->channels == 2;
}

int vg_assemble_film(const char *ffmpeg, const struct vg_take *takes, const struct vg_join *joins,
                     int n, int width, int height, int fps, const char *out_mp4, int timeout_s,
                     struct vg_err *err)
{
	struct vg_arena *a;
	char *tmp;
	int rc;

	if ((rc = vg_assemble_check(takes, joins, n, err)) != VG_OK ||
	    (rc = check_format(width, height, fps, err)) != VG_OK ||
	    (rc = vg_storage_mkdirs(out_mp4, err)) != VG_OK)
		return rc;
	a = vg_arena_create(16 * 1024);
	tmp = vg_storage_tmp_path(a, out_mp4);
	if (copy_fits(takes, joins, n, width, height, fps))
		rc = film_copy(a, ffmpeg, takes, n, tmp, out_mp4, timeout_s, err);
	else
		rc = film_encode(a, ffmpeg, takes, joins, n, width, height, fps, tmp, out_mp4,
		                 timeout_s, err);
	vg_arena_destroy(a);
	return rc;
}

/* ---- title card ---- */

static bool valid_color(const char *c)
{
	if (strlen(c) != 8 || strncmp(c, "0x", 2) != 0)
		return false;
	for (const char *p = c + 2; *p; p++)
		if (!strchr("0123456789abcdefABCDEF", *p))
			return false;
	return true;
}

/* Control characters would start new lines (or worse) in drawtext: spaces instead. */
static char *clean_title(struct vg_arena *a, const char *title)
{
	size_t len;
	char *s = vg_arena_strdup(a, title);
	const char *t;

	vg_str_scrub_controls(s);
	t = vg_str_trim(s, &len);
	return vg_arena_strndup(a, t, len);
}

static int title_args(struct vg_arena *a, struct args *g, const char *title, const char *color,
                      const char *font_path, double d, int w, int h, int fps, const char *tmp,
                      struct vg_err *err)
{
	char *text_path = vg_arena_printf(a, "%s.text", tmp);
	size_t chars = vg_str_utf8_len(title, strlen(title));
	int fs = h / 8, frames = (int)(d * fps + 0.5);
	const char *font =
	    font_path && font_path[0]
	        ? vg_arena_printf(a, "fontfile=%s", vg_media_filter_escape(a, font_path))
	        : "font=Sans";
	const char *fades = "";
	int rc;

	/* About 0.6 em per character: the line fits in 90% of the width. */
	if (chars > 0 && (int)(w * 0.9 / (0.6 * (double)chars)) < fs)
		fs = (int)(w * 0.9 / (0.6 * (double)chars));
	if (fs < 8)
		fs = 8;
	if (d >= 2)
		fades = vg_arena_printf(a, ",fade=t=in:d=0.5,fade=t=out:st=%s:d=0.5",
		                        vg_media_decimal(a, 6, d - 0.5));
	if ((rc = vg_media_text_file(text_path, title, err)) != VG_OK)
		return rc;
	char *graph =
	    vg_arena_printf(a,
	                    "color=c=%s:s=%dx%d:r=%d:d=%s,format=yuv420p,setsar=1,"
	                    "drawtext=%s:textfile=%s:expansion=none:fontsize=%d:fontcolor=white:"
	                    "x=(w-text_w)/2:y=(h-text_h)/2%s,trim=end_frame=%d[v];"
	                    "anullsrc=r=%d:cl=stereo,atrim=end_sample=%lld[a]",
	                    color, w, h, fps, vg_media_decimal(a, 6, d + 1), font,
	                    vg_media_filter_escape(a, text_path), fs, fades, frames, AS_RATE,
	                    samples((double)frames / fps));

	args_add(g, "-filter_complex", graph, "-map", "[v]", "-map", "[a]", NULL);
	add_mp4_encode(g, a, fps);
	add_mp4_tail(g, a, tmp);
	return VG_OK;
}

int vg_assemble_title_card(const char *ffmpeg, const char *title, const char *color,
                           const char *font_path, double duration_s, int width, int height, int fps,
                           const char *out_mp4, int timeout_s, struct vg_err *err)
{
	struct vg_arena *a;
	char *tmp, *text;
	struct args g;
	int rc;

	if ((rc = check_format(width, height, fps, err)) != VG_OK)
		return rc;
	if (!(duration_s >= 0.5) || duration_s > 60)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "a title card lasts 0.5 to 60 seconds, not %.2f", duration_s);
	if (color && !valid_color(color))
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the title card colour must look like 0x1a2b3c, not \"%.20s\"",
		                  color);
	if (font_path && font_path[0] && access(font_path, R_OK) != 0)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "font %s is not readable (%s): point the configuration at a "
		                  "TrueType font such as DejaVuSans.ttf",
		                  font_path, strerror(errno));
	if (!title || !vg_str_utf8_valid(title, strlen(title)))
		return vg_err_set(err, VG_EINVAL, NULL, "the title must be UTF-8 text");
	if ((rc = vg_storage_mkdirs(out_mp4, err)) != VG_OK)
		return rc;
	a = vg_arena_create(8 * 1024);
	text = clean_title(a, title);
	if (!text[0]) {
		vg_arena_destroy(a);
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the title is empty: give the film a title");
	}
	tmp = vg_storage_tmp_path(a, out_mp4);
	args_init(&g, a, 64, ffmpeg);
	rc = title_args(a, &g, text, color ? color : "0x101418", font_path, duration_s, width,
	                height, fps, tmp, err);
	if (rc == VG_OK)
		rc = run_commit("title_card", &g, tmp, out_mp4, timeout_s, "drawing the title card",
		                err);
	unlink(vg_arena_printf(a, "%s.text", tmp));
	vg_arena_destroy(a);
	return rc;
}

/* ---- soundtrack ---- */

int vg_assemble_mix_soundtrack(const char *ffmpeg, const char *film_mp4, double film_duration_s,
                               bool film_has_audio, const char *soundtrack, double music_volume,
                               const char *out_mp4, int timeout_s, struct vg_err *err)
{
	struct vg_arena *a;
	long long ns = samples(film_duration_s);
	double fade = film_duration_s < 1 ? film_duration_s : 1.0;
	char *graph, *music;
	struct args g;
	int rc;

	if (!(film_duration_s > 0))
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the film has no duration to mix music under");
	if (!(music_volume > 0) || music_volume > 2)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "the soundtrack volume is 0 to 2 (1 = as recorded), not %.2f",
		                  music_volume);
	if ((rc = vg_storage_mkdirs(out_mp4, err)) != VG_OK)
		return rc;
	a = vg_arena_create(8 * 1024);
	/* The music fades; the film's own sound stays as it is. */
	music = vg_arena_printf(
	    a,
	    "[1:a]asetpts=PTS-STARTPTS,aresample=%d,"
	    "aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=stereo,volume=%s,"
	    "atrim=end_sample=%lld,afade=t=out:st=%s:d=%s",
	    AS_RATE, AS_RATE, vg_media_decimal(a, 6, music_volume), ns,
	    vg_media_decimal(a, 6, film_duration_s - fade), vg_media_decimal(a, 6, fade));
	if (film_has_audio)
		graph = vg_arena_printf(
		    a,
		    "%s[m];[0:a]aresample=%d,"
		    "aformat=sample_fmts=fltp:sample_rates=%d:channel_layouts=stereo[f];"
		    "[f][m]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,"
		    "apad=whole_len=%lld,atrim=end_sample=%lld[a]",
		    music, AS_RATE, AS_RATE, ns, ns);
	else
		graph = vg_arena_printf(a, "%s,apad=whole_len=%lld,atrim=end_sample=%lld[a]", music,
		                        ns, ns);
	char *tmp = vg_storage_tmp_path(a, out_mp4);

	args_init(&g, a, 64, ffmpeg);
	/* looped: a short piece of music still runs under the whole film */
	args_add(&g, "-i", vg_media_url(a, film_mp4), "-stream_loop", "-1", "-i",
	         vg_media_url(a, soundtrack), "-filter_complex", graph, "-map", "0:v:0", "-map",
	         "[a]", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
	         NULL);
	add_mp4_tail(&g, a, tmp);
	rc = run_commit("soundtrack", &g, tmp, out_mp4, timeout_s, "mixing the soundtrack", err);
	vg_arena_destroy(a);
	return rc;
}

/* ---- WebM ---- */

int vg_assemble_webm(const char *ffmpeg, const char *film_mp4, const char *out_webm, int timeout_s,
                     struct vg_err *err)
{
	struct vg_arena *a;
	struct args g;
	int rc;

	if ((rc = vg_storage_mkdirs(out_webm, err)) != VG_OK)
		return rc;
	a = vg_arena_create(4096);
	char *tmp = vg_storage_tmp_path(a, out_webm);

	args_init(&g, a, 64, ffmpeg);
	/* Constant quality (-b:v 0 -crf).  "good" (any cpu-used: libvpx caps it at 5) ran
	 * 30 s of 720p in 35 s on 2 cores; realtime at cpu-used 6 in 7.5 s, SSIM 0.994 against
	 * 0.996, 25% larger (tests/bench/README.md). */
	args_add(&g, "-i", vg_media_url(a, film_mp4), "-map", "0:v:0", "-map", "0:a?", "-c:v",
	         "libvpx-vp9", "-b:v", "0", "-crf", "33", "-deadline", "realtime", "-cpu-used", "6",
	         "-row-mt", "1", "-tile-columns", "2", "-threads", "2", "-pix_fmt", "yuv420p",
	         "-c:a", "libopus", "-b:a", "96k", "-ar", "48000", "-fflags", "+bitexact",
	         "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", "-f",
	         "webm", vg_media_url(a, tmp), NULL);
	rc = run_commit("webm", &g, tmp, out_webm, timeout_s, "encoding the WebM", err);
	vg_arena_destroy(a);
	return rc;
}

/* ---- HLS ---- */

/* Removes a flat directory (what ffmpeg's HLS muxer writes: no subdirectories). */
static void remove_flat_dir(struct vg_arena *a, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlink(vg_arena_printf(a, "%s/%s", dir, e->d_name));
		closedir(d);
	}
	rmdir(dir);
}

/* ffmpeg does not fsync: do it before the directory becomes visible. */
static int sync_dir_files(struct vg_arena *a, const char *dir, struct vg_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = VG_OK;

	if (!d)
		return vg_err_set(err, VG_EUNAVAIL, NULL, "cannot read %s: %s", dir,
		                  strerror(errno));
	while (rc == VG_OK && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p = vg_arena_printf(a, "%s/%s", dir, e->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fsync(fd) != 0)
			rc = vg_err_set(err, VG_EUNAVAIL, NULL, "cannot sync %s: %s", p,
			                strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	return rc;
}

/* Puts tmp at dir: an atomic exchange when dir exists (the old version then sits at tmp and
 * is removed), a plain rename otherwise. */
static int swap_dir(struct vg_arena *a, const char *tmp, const char *dir, struct vg_err *err)
{
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) != 0)
			return vg_err_set(err, VG_EUNAVAIL, NULL, "cannot replace %s: %s", dir,
			                  strerror(errno));
		remove_flat_dir(a, tmp);
		return VG_OK;
	}
	if (rename(tmp, dir) != 0)
		return vg_err_set(err, VG_EUNAVAIL, NULL, "cannot rename %s to %s: %s", tmp, dir,
		                  strerror(errno));
	return VG_OK;
}

int vg_assemble_hls(const char *ffmpeg, const char *film_mp4, const char *out_dir, int timeout_s,
                    struct vg_err *err)
{
	struct vg_arena *a;
	struct args g;
	int rc;

	if ((rc = vg_storage_mkdirs(out_dir, err)) != VG_OK)
		return rc;
	a = vg_arena_create(4096);
	char *tmp = vg_storage_tmp_path(a, out_dir);

	if (mkdir(tmp, 0750) != 0) {
		rc = vg_err_set(err, VG_EUNAVAIL, NULL, "cannot create %s: %s", tmp,
		                strerror(errno));
		vg_arena_destroy(a);
		return rc;
	}
	args_init(&g, a, 64, ffmpeg);
	/* Stream copy: the film has a keyframe every 2 s, so 4 s segments cut on keyframes. */
	args_add(&g, "-i", vg_media_url(a, film_mp4), "-map", "0:v:0", "-map", "0:a?", "-c", "copy",
	         "-fflags", "+bitexact", "-map_metadata", "-1", "-f", "hls", "-hls_time", "4",
	         "-hls_playlist_type", "vod", "-hls_flags", "independent_segments",
	         "-hls_segment_type", "mpegts", "-hls_segment_filename",
	         vg_arena_printf(a, "%s/seg_%%03d.ts", tmp),
	         vg_media_url(a, vg_arena_printf(a, "%s/index.m3u8", tmp)), NULL);
	rc = run_watched("hls", g.v, timeout_s, err);
	if (rc != VG_OK && rc != VG_ECANCELLED) {
		char why[sizeof err->msg];

		memcpy(why, err->msg, sizeof why);
		vg_err_set(err, rc, NULL, "writing the HLS playlist failed: %.400s", why);
	}
	if (rc == VG_OK && !file_nonempty(vg_arena_printf(a, "%s/index.m3u8", tmp)))
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "ffmpeg wrote no HLS playlist in %s", tmp);
	if (rc == VG_OK)
		rc = sync_dir_files(a, tmp, err);
	if (rc == VG_OK)
		rc = swap_dir(a, tmp, out_dir, err);
	if (rc != VG_OK)
		remove_flat_dir(a, tmp);
	vg_arena_destroy(a);
	return rc;
}

/* ---- contact sheet ---- */

static int grid_columns(int n)
{
	int c = 1;

	while (c * c < n)
		c++;
	return c;
}

int vg_assemble_contact_sheet(const char *ffmpeg, const struct vg_take *takes, int n,
                              int tile_width, const char *out_jpg, int timeout_s,
                              struct vg_err *err)
{
	struct vg_arena *a;
	struct graph gr;
	struct args g;
	int rc, tw = tile_width, th, cols = grid_columns(n), rows;

	if (n < 1 || n > AS_MAX_TAKES)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "a contact sheet shows 1 to %d scenes, not %d", AS_MAX_TAKES, n);
	if (tw < 16 || tw > 1920 || tw % 2)
		return vg_err_set(err, VG_EINVAL, NULL,
		                  "contact sheet tiles are 16 to 1920 pixels wide (even), not %d",
		                  tw);
	for (int i = 0; i < n; i++)
		if (!takes[i].path || takes[i].width <= 0 || takes[i].height <= 0)
			return vg_err_set(err, VG_EINVAL, NULL,
			                  "scene %d has no probed take: generate it first", i + 1);
	if ((rc = vg_storage_mkdirs(out_jpg, err)) != VG_OK)
		return rc;
	rows = (n + cols - 1) / cols;
	th = (int)((long long)tw * takes[0].height / takes[0].width) & ~1;
	if (th < 2)
		th = 2;
	a = vg_arena_create(16 * 1024);
	gr.a = a;
	gr.full = false;
	vg_buf_init(&gr.b, AS_GRAPH_MAX);
	args_init(&g, a, 4 * n + 64, ffmpeg);
	for (int i = 0; i < n; i++) {
		double mid = takes[i].duration_s > 0 ? takes[i].duration_s / 2 : 0;

		/* input seeking: only the middle is decoded */
		args_add(&g, "-ss", vg_media_decimal(a, 6, mid), "-i",
		         vg_media_url(a, takes[i].path), NULL);
		gp(&gr,
		   "[%d:v]trim=end_frame=1,setpts=PTS-STARTPTS,"
		   "scale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2,"
		   "pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuvj420p[c%d];",
		   i, tw, th, tw, th, i);
	}
	for (int i = 0; i < n; i++)
		gp(&gr, "[c%d]", i);
	gp(&gr, "concat=n=%d:v=1:a=0,tile=%dx%d:padding=4:margin=4[s]", n, cols, rows);
	char *tmp = vg_storage_tmp_path(a, out_jpg);

	if (gr.full)
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "the contact sheet graph passed %d bytes",
		                AS_GRAPH_MAX);
	else {
		args_add(&g, "-filter_complex", vg_arena_strdup(a, vg_buf_str(&gr.b)), "-map",
		         "[s]", "-frames:v", "1", "-q:v", "3", "-fflags", "+bitexact", "-flags:v",
		         "+bitexact", "-f", "image2", "-c:v", "mjpeg", "-update", "1",
		         vg_media_url(a, tmp), NULL);
		rc = run_commit("contact_sheet", &g, tmp, out_jpg, timeout_s,
		                "drawing the contact sheet", err);
	}
	vg_buf_free(&gr.b);
	vg_arena_destroy(a);
	return rc;
}

/* ---- WebVTT ---- */

static void vtt_time(struct vg_buf *b, double s)
{
	long long ms = s > 0 ? (long long)(s * 1000.0 + 0.5) : 0;

	vg_buf_printf(b, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60,
	              ms / 1000 % 60, ms % 1000);
}

static void vtt_text(struct vg_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			vg_buf_puts(b, "&amp;");
		else if (*s == '<')
			vg_buf_puts(b, "&lt;");
		else if (*s == '>')
			vg_buf_puts(b, "&gt;");
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			vg_buf_puts(b, " ");
		else
			vg_buf_append(b, s, 1);
	}
}

char *vg_assemble_webvtt(const char *const *captions, const double *starts, const double *ends,
                         int n)
{
	struct vg_buf b;

	if (n < 0)
		return NULL;
	for (int i = 0; i < n; i++)
		if (captions[i] && !(ends[i] >= starts[i]))
			return NULL;
	vg_buf_init(&b, (size_t)1 << 30);
	vg_buf_puts(&b, "WEBVTT\n");
	for (int i = 0; i < n; i++) {
		if (!captions[i])
			continue;
		vg_buf_puts(&b, "\n");
		vtt_time(&b, starts[i]);
		vg_buf_puts(&b, " --> ");
		vtt_time(&b, ends[i]);
		vg_buf_puts(&b, "\n");
		vtt_text(&b, captions[i]);
		vg_buf_puts(&b, "\n");
	}
	return b.data;
}
