/* Child processes (vg_spawn), probing (vg_media) and the local preview provider (vg_local):
 * real ffmpeg runs on small clips in a private /tmp directory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests.h"
#include "vg_local.h"
#include "vg_media.h"
#include "vg_spawn.h"

#define FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define PROMPT                                                                                     \
	"A lighthouse on a rocky cliff at dusk, waves crashing below, gulls circling: 50% "        \
	"chance of rain, 'quoted' \\backslash\\ [brackets]; semicolons, and a "                    \
	"veryveryveryveryveryveryveryveryveryveryverylongwordthatmustbecut"

static char workdir[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void remove_workdir(void)
{
	const char *argv[] = {"rm", "-rf", workdir, NULL};
	struct vg_err err;

	if (workdir[0])
		vg_spawn_run("test", argv, 10, NULL, NULL, NULL, &err);
}

static const char *path_in_workdir(const char *name)
{
	static char paths[32][128]; /* the clips tests keep must outlive later calls */
	static int next;
	char *p = paths[next++ % 32];

	if (!workdir[0]) {
		snprintf(workdir, sizeof workdir, "/tmp/vg-t-local-XXXXXX");
		if (!mkdtemp(workdir))
			workdir[0] = '\0';
		else
			atexit(remove_workdir);
	}
	snprintf(p, 128, "%s/%s", workdir, name);
	return p;
}

static const char *font(void)
{
	return access(FONT, R_OK) == 0 ? FONT : NULL;
}

struct progress_log {
	int calls;
	double last;
	bool monotonic;
	int cancel_after; /* 0 = never */
};

static int record_progress(void *ctx, double fraction)
{
	struct progress_log *pl = ctx;

	if (fraction < pl->last)
		pl->monotonic = false;
	pl->last = fraction;
	pl->calls++;
	return pl->cancel_after && pl->calls >= pl->cancel_after;
}

static struct vg_local_params params(int w, int h, uint32_t seed, const char *out)
{
	struct vg_local_params p = {
	    .prompt = PROMPT,
	    .style_id = "cinematic",
	    .duration_s = 4,
	    .width = w,
	    .height = h,
	    .has_seed = true,
	    .seed = seed,
	    .font_path = font(),
	    .ffmpeg = "ffmpeg",
	    .timeout_s = 120,
	    .out_path = out,
	};
	return p;
}

/* Renders and checks everything the issue promises of a clip; returns its path. */
static const char *render_checked(int w, int h, uint32_t seed, const char *name)
{
	const char *out = path_in_workdir(name);
	struct vg_local_params p = params(w, h, seed, out);
	struct progress_log pl = {.monotonic = true};
	struct vg_probe pr;
	struct vg_err err;
	double t0 = now_s();
	int rc = vg_local_render(&p, record_progress, &pl, &err);

	if (rc != VG_OK)
		fprintf(stderr, "\nrender %dx%d: %s\n", w, h, err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, VG_OK);
	fprintf(stderr, "[render %dx%d 4 s: %.2f s] ", w, h, now_s() - t0);
	CU_ASSERT(pl.calls > 0);
	CU_ASSERT(pl.monotonic);
	CU_ASSERT_DOUBLE_EQUAL(pl.last, 1.0, 1e-9);

	rc = vg_media_probe("ffprobe", out, 30, &pr, &err);
	CU_ASSERT_EQUAL_FATAL(rc, VG_OK);
	CU_ASSERT_EQUAL(pr.width, w);
	CU_ASSERT_EQUAL(pr.height, h);
	CU_ASSERT_STRING_EQUAL(pr.vcodec, "h264");
	CU_ASSERT_STRING_EQUAL(pr.pix_fmt, "yuv420p");
	CU_ASSERT(pr.has_audio);
	CU_ASSERT_STRING_EQUAL(pr.acodec, "aac");
	CU_ASSERT(pr.duration_s >= 4.0 - 1.0 / 24 && pr.duration_s <= 4.0 + 1.0 / 24);
	CU_ASSERT_EQUAL(pr.frames, 4 * 24);
	return out;
}

static bool same_bytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;
	int ca, cb;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		if (ca != cb)
			same = false;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static int run(const char *const *argv, struct vg_spawn_result *res)
{
	struct vg_err err;
	int rc = vg_spawn_run("test", argv, 60, NULL, NULL, res, &err);

	if (rc != VG_OK)
		fprintf(stderr, "\n%s\n", err.msg);
	return rc;
}

/* ---- vg_spawn ---- */

struct lines {
	int n, ticks;
	char got[8][32];
};

static int keep_line(void *ctx, const char *line)
{
	struct lines *l = ctx;

	if (!line)
		l->ticks++;
	else if (l->n < 8)
		snprintf(l->got[l->n++], sizeof l->got[0], "%s", line);
	return 0;
}

static void test_spawn_lines_and_ticks(void)
{
	const char *argv[] = {"sh", "-c",
	                      "printf 'one\\ntwo\\n'; head -c 20000 /dev/zero | tr '\\0' x; "
	                      "printf '\\nthree\\n'; sleep 1.3; printf last",
	                      NULL};
	struct vg_spawn_result res;
	struct lines l = {0};
	struct vg_err err;

	CU_ASSERT_EQUAL_FATAL(vg_spawn_run("test", argv, 10, keep_line, &l, &res, &err), VG_OK);
	CU_ASSERT_EQUAL(res.exit_code, 0);
	/* the 20000-byte line is dropped whole; the unterminated last one still arrives */
	CU_ASSERT_EQUAL_FATAL(l.n, 4);
	CU_ASSERT_STRING_EQUAL(l.got[0], "one");
	CU_ASSERT_STRING_EQUAL(l.got[1], "two");
	CU_ASSERT_STRING_EQUAL(l.got[2], "three");
	CU_ASSERT_STRING_EQUAL(l.got[3], "last");
	CU_ASSERT(l.ticks >= 1);
	CU_ASSERT(res.stdout_bytes > 20000);
}

static void test_spawn_failure_names_program_and_stderr(void)
{
	const char *argv[] = {"sh", "-c",
	                      "echo 'ignore me' >&2; echo 'boom: bad input' >&2; exit 3", NULL};
	struct vg_spawn_result res;
	struct vg_err err;

	CU_ASSERT_EQUAL(vg_spawn_run("test", argv, 10, NULL, NULL, &res, &err), VG_EINTERNAL);
	CU_ASSERT_EQUAL(res.exit_code, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "sh exited with status 3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "boom: bad input"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.stderr_tail, "boom: bad input"));
}

static void test_spawn_missing_program(void)
{
	const char *abs[] = {"/nonexistent/veogen-ffmpeg", "-version", NULL};
	const char *in_path[] = {"veogen-no-such-program", NULL};
	struct vg_spawn_result res;
	struct vg_err err;

	CU_ASSERT_EQUAL(vg_spawn_run("test", abs, 10, NULL, NULL, &res, &err), VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/veogen-ffmpeg"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "No such file"));
	CU_ASSERT_EQUAL(vg_spawn_run("test", in_path, 10, NULL, NULL, &res, &err), VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot run veogen-no-such-program"));
}

/* Children of this process that exited and were never waited for. */
static int zombie_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int zombies = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], buf[512], state;
		const char *close_paren;
		int ppid;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		/* "pid (comm) state ppid ...": comm may hold spaces, so parse after ')' */
		if (fgets(buf, sizeof buf, f) && (close_paren = strrchr(buf, ')')) &&
		    sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && state == 'Z' &&
		    ppid == getpid())
			zombies++;
		fclose(f);
	}
	closedir(d);
	return zombies;
}

static void test_spawn_timeout_escalates_to_kill(void)
{
	const char *polite[] = {"sleep", "30", NULL};
	/* ignores SIGTERM: only SIGKILL, 2 s later, ends it */
	const char *stubborn[] = {"sh", "-c", "trap '' TERM; echo started >&2; exec sleep 30",
	                          NULL};
	struct vg_spawn_result res;
	struct vg_err err;
	double t0 = now_s();

	CU_ASSERT_EQUAL(vg_spawn_run("test", polite, 1, NULL, NULL, &res, &err), VG_ETIMEOUT);
	CU_ASSERT(now_s() - t0 < 2.0);
	CU_ASSERT_EQUAL(res.signal, SIGTERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "sleep did not finish within 1 s"));

	t0 = now_s();
	CU_ASSERT_EQUAL(vg_spawn_run("test", stubborn, 1, NULL, NULL, &res, &err), VG_ETIMEOUT);
	CU_ASSERT(now_s() - t0 >= 2.9 && now_s() - t0 < 4.5);
	CU_ASSERT_EQUAL(res.signal, SIGKILL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "started"));
	CU_ASSERT_EQUAL(zombie_children(), 0);
}

static int cancel_on_second_line(void *ctx, const char *line)
{
	int *n = ctx;

	return line && ++*n >= 2;
}

static void test_spawn_cancel_from_callback(void)
{
	const char *argv[] = {"sh", "-c", "while :; do echo tick; sleep 0.1; done", NULL};
	struct vg_spawn_result res;
	struct vg_err err;
	double t0 = now_s();
	int n = 0;

	CU_ASSERT_EQUAL(vg_spawn_run("test", argv, 30, cancel_on_second_line, &n, &res, &err),
	                VG_ECANCELLED);
	CU_ASSERT(now_s() - t0 < 2.0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(res.signal, SIGTERM);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_spawn_sigchld_blocked_and_no_fd_leak(void)
{
	const char *ok[] = {"true", NULL};
	const char *fail[] = {"false", NULL};
	const char *missing[] = {"/nonexistent/x", NULL};
	sigset_t chld, old;
	struct vg_err err;
	int before = count_fds();

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(vg_spawn_run("test", ok, 5, NULL, NULL, NULL, &err), VG_OK);
		CU_ASSERT_EQUAL(vg_spawn_run("test", fail, 5, NULL, NULL, NULL, &err),
		                VG_EINTERNAL);
		CU_ASSERT_EQUAL(vg_spawn_run("test", missing, 5, NULL, NULL, NULL, &err),
		                VG_EINTERNAL);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	CU_ASSERT_EQUAL(count_fds(), before);
}

/* ---- vg_local ---- */

static void test_dimensions(void)
{
	int w = 0, h = 0;

	CU_ASSERT(vg_local_dimensions("16:9", "720p", &w, &h) && w == 1280 && h == 720);
	CU_ASSERT(vg_local_dimensions("16:9", "1080p", &w, &h) && w == 1920 && h == 1080);
	CU_ASSERT(vg_local_dimensions("9:16", "720p", &w, &h) && w == 720 && h == 1280);
	CU_ASSERT(vg_local_dimensions("9:16", "1080p", &w, &h) && w == 1080 && h == 1920);
	CU_ASSERT_FALSE(vg_local_dimensions("4:3", "720p", &w, &h));
	CU_ASSERT_FALSE(vg_local_dimensions("16:9", "4k", &w, &h));
	CU_ASSERT_FALSE(vg_local_dimensions(NULL, "720p", &w, &h));
}

static const char *landscape; /* the 1280x720 seed-7 clip, shared by later tests */

static void test_render_landscape(void)
{
	landscape = render_checked(1280, 720, 7, "land.mp4");
}

static void test_render_portrait(void)
{
	render_checked(720, 1280, 7, "port.mp4");
}

static void test_same_seed_same_bytes(void)
{
	const char *again = path_in_workdir("land-again.mp4"),
	           *other = path_in_workdir("land-8.mp4");
	struct vg_local_params p = params(1280, 720, 7, again);
	struct vg_err err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(landscape);
	CU_ASSERT_EQUAL_FATAL(vg_local_render(&p, NULL, NULL, &err), VG_OK);
	CU_ASSERT(same_bytes(landscape, again));
	p = params(1280, 720, 8, other);
	CU_ASSERT_EQUAL_FATAL(vg_local_render(&p, NULL, NULL, &err), VG_OK);
	CU_ASSERT_FALSE(same_bytes(landscape, other));
}

/* PSNR (dB) of the first frame of video against the image scaled to cover w×h, as ffmpeg's
 * psnr filter reports it on stderr. */
static double first_frame_psnr(const char *video, const char *image, int w, int h)
{
	char graph[256];
	const char *argv[] = {
	    "ffmpeg", "-hide_banner", "-nostdin", "-i", video,  "-i", image, "-filter_complex",
	    graph,    "-frames:v",    "1",        "-f", "null", "-",  NULL};
	struct vg_spawn_result res;
	const char *avg;

	snprintf(graph, sizeof graph,
	         "[1:v]scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,setsar=1,"
	         "format=yuv420p[ref];[0:v][ref]psnr",
	         w, h, w, h);
	if (run(argv, &res) != VG_OK)
		return -1;
	avg = strstr(res.stderr_tail, "average:");
	if (!avg)
		return -1;
	if (strncmp(avg + 8, "inf", 3) == 0)
		return 1000; /* identical */
	return strtod(avg + 8, NULL);
}

static void test_render_from_image(void)
{
	/* no extension: an upload is decoded by its content, not its name */
	const char *img = path_in_workdir("first-frame"), *other = path_in_workdir("other.png");
	const char *out = path_in_workdir("from-image.mp4");
	const char *make_img[] = {
	    "ffmpeg",    "-v", "error", "-y",     "-f",   "lavfi", "-i", "testsrc=s=800x600",
	    "-frames:v", "1",  "-f",    "image2", "-c:v", "png",   img,  NULL};
	const char *make_other[] = {"ffmpeg",    "-v",    "error", "-y",
	                            "-f",        "lavfi", "-i",    "mandelbrot=s=800x600",
	                            "-frames:v", "1",     other,   NULL};
	struct vg_local_params p = params(1280, 720, 3, out);
	struct vg_probe pr;
	struct vg_err err;
	double match, mismatch;
	int rc;

	CU_ASSERT_EQUAL_FATAL(run(make_img, NULL), VG_OK);
	CU_ASSERT_EQUAL_FATAL(run(make_other, NULL), VG_OK);
	p.image_path = img;
	rc = vg_local_render(&p, NULL, NULL, &err);
	if (rc != VG_OK)
		fprintf(stderr, "\n%s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, VG_OK);
	CU_ASSERT_EQUAL_FATAL(vg_media_probe("ffprobe", out, 30, &pr, &err), VG_OK);
	CU_ASSERT_EQUAL(pr.width, 1280);
	CU_ASSERT_EQUAL(pr.height, 720);
	CU_ASSERT_EQUAL(pr.frames, 96);
	match = first_frame_psnr(out, img, 1280, 720);
	mismatch = first_frame_psnr(out, other, 1280, 720);
	fprintf(stderr, "[first frame PSNR %.1f dB, against another image %.1f dB] ", match,
	        mismatch);
	CU_ASSERT(match > 25);
	CU_ASSERT(mismatch < 15);
}

/* With a last-frame image the clip ends on it: a solid red image, a clip that starts from
 * the test pattern and ends red, and a second before the end that is not red yet. */
static void test_render_to_last_frame(void)
{
	const char *first = path_in_workdir("first.png"), *red = path_in_workdir("red");
	const char *out = path_in_workdir("to-last.mp4"), *again = path_in_workdir("to-last2.mp4");
	const char *last = path_in_workdir("to-last.png"), *mid = path_in_workdir("mid.png");
	const char *make_first[] = {"ffmpeg",    "-v",    "error", "-y",
	                            "-f",        "lavfi", "-i",    "testsrc=s=640x480",
	                            "-frames:v", "1",     first,   NULL};
	const char *make_red[] = {
	    "ffmpeg",    "-v", "error", "-y",     "-f",   "lavfi", "-i", "color=c=red:s=300x200",
	    "-frames:v", "1",  "-f",    "image2", "-c:v", "png",   red,  NULL};
	const char *make_mid[] = {"ffmpeg", "-v", "error",     "-y", "-ss", "2.5",
	                          "-i",     out,  "-frames:v", "1",  mid,   NULL};
	struct vg_local_params p = params(1280, 720, 5, out);
	struct vg_probe pr;
	struct vg_err err;
	double at_end, before_end, first_psnr;
	int rc;

	CU_ASSERT_EQUAL_FATAL(run(make_first, NULL), VG_OK);
	CU_ASSERT_EQUAL_FATAL(run(make_red, NULL), VG_OK);
	p.image_path = first;
	p.last_frame_path = red;
	rc = vg_local_render(&p, NULL, NULL, &err);
	if (rc != VG_OK)
		fprintf(stderr, "\n%s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, VG_OK);
	CU_ASSERT_EQUAL_FATAL(vg_media_probe("ffprobe", out, 30, &pr, &err), VG_OK);
	CU_ASSERT_EQUAL(pr.width, 1280);
	CU_ASSERT_EQUAL(pr.height, 720);
	CU_ASSERT_EQUAL(pr.frames, 96);
	CU_ASSERT(pr.has_audio);
	CU_ASSERT_EQUAL_FATAL(vg_media_last_frame("ffmpeg", out, last, 30, &err), VG_OK);
	CU_ASSERT_EQUAL_FATAL(run(make_mid, NULL), VG_OK);
	at_end = first_frame_psnr(last, red, 1280, 720);
	before_end = first_frame_psnr(mid, red, 1280, 720);
	first_psnr = first_frame_psnr(out, first, 1280, 720);
	fprintf(stderr, "[last frame vs red %.1f dB, 1.5 s before the end %.1f dB, first %.1f dB] ",
	        at_end, before_end, first_psnr);
	CU_ASSERT(at_end > 35);
	CU_ASSERT(before_end < 15);
	CU_ASSERT(first_psnr > 25);
	/* still deterministic */
	p.out_path = again;
	CU_ASSERT_EQUAL_FATAL(vg_local_render(&p, NULL, NULL, &err), VG_OK);
	CU_ASSERT(same_bytes(out, again));
	/* an unreadable last frame is named */
	p.last_frame_path = path_in_workdir("missing.png");
	CU_ASSERT_NOT_EQUAL(vg_local_render(&p, NULL, NULL, &err), VG_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "last-frame image"));
}

static void test_render_cancel(void)
{
	const char *out = path_in_workdir("cancelled.mp4");
	struct vg_local_params p = params(1920, 1080, 1, out);
	struct progress_log pl = {.monotonic = true, .cancel_after = 1};
	struct vg_err err;
	double t0 = now_s();

	p.duration_s = 8;
	CU_ASSERT_EQUAL(vg_local_render(&p, record_progress, &pl, &err), VG_ECANCELLED);
	CU_ASSERT(now_s() - t0 < 3.0);
	CU_ASSERT_STRING_EQUAL(err.code, "cancelled");
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0); /* no half clip left behind */
	char text0[512];
	snprintf(text0, sizeof text0, "%s.text0", out); /* nor the drawtext files beside it */
	CU_ASSERT_NOT_EQUAL(access(text0, F_OK), 0);
}

static void test_render_timeout(void)
{
	const char *out = path_in_workdir("timeout.mp4");
	struct vg_local_params p = params(1920, 1080, 1, out);
	struct vg_err err;
	double t0 = now_s();

	p.duration_s = 8;
	p.timeout_s = 1;
	CU_ASSERT_EQUAL(vg_local_render(&p, NULL, NULL, &err), VG_ETIMEOUT);
	CU_ASSERT(now_s() - t0 < 4.0);
	CU_ASSERT_STRING_EQUAL(err.code, "provider_timeout");
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);
}

static void test_render_rejects_bad_input(void)
{
	struct vg_local_params p = params(1280, 720, 1, path_in_workdir("bad.mp4"));
	struct vg_err err;

	p.prompt = " \t\n ";
	CU_ASSERT_EQUAL(vg_local_render(&p, NULL, NULL, &err), VG_EINVAL);
	p = params(1280, 720, 1, path_in_workdir("bad.mp4"));
	p.font_path = "/nonexistent/font.ttf";
	CU_ASSERT_EQUAL(vg_local_render(&p, NULL, NULL, &err), VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "providers.local.font"));
	p = params(1280, 720, 1, path_in_workdir("bad.mp4"));
	p.ffmpeg = "/nonexistent/ffmpeg";
	CU_ASSERT_EQUAL(vg_local_render(&p, NULL, NULL, &err), VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/ffmpeg"));
}

/* ---- vg_media ---- */

/* framemd5 of one decoded frame (rgb24), as the last field of its line. */
static int collect_md5(void *ctx, const char *line)
{
	char *md5 = ctx;
	const char *last;

	if (line && line[0] != '#' && (last = strrchr(line, ',')))
		snprintf(md5, 40, "%s", last + 1 + strspn(last + 1, " "));
	return 0;
}

static void frame_md5(const char *input, const char *vf, char md5[40])
{
	const char *argv[] = {"ffmpeg", "-hide_banner", "-nostdin", "-v", "error",    "-i",
	                      input,    "-an",          "-vf",      vf,   "-pix_fmt", "rgb24",
	                      "-f",     "framemd5",     "-",        NULL};
	struct vg_err err;

	md5[0] = '\0';
	if (vg_spawn_run("test", argv, 60, collect_md5, md5, NULL, &err) != VG_OK)
		fprintf(stderr, "\n%s\n", err.msg);
}

static void test_last_frame(void)
{
	const char *png = path_in_workdir("last.png");
	struct vg_err err;
	char got[40], last[40], before_last[40];

	CU_ASSERT_PTR_NOT_NULL_FATAL(landscape);
	if (vg_media_last_frame("ffmpeg", landscape, png, 30, &err) != VG_OK)
		fprintf(stderr, "\n%s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(access(png, R_OK), 0);
	frame_md5(png, "null", got);
	frame_md5(landscape, "select=eq(n\\,95)", last);
	frame_md5(landscape, "select=eq(n\\,94)", before_last);
	CU_ASSERT(got[0] != '\0');
	CU_ASSERT_STRING_EQUAL(got, last);
	CU_ASSERT_STRING_NOT_EQUAL(got, before_last);
}

static void test_thumbnail_and_probe(void)
{
	const char *jpg = path_in_workdir("thumb.jpg"), *late = path_in_workdir("late.jpg");
	const char *junk = path_in_workdir("junk.mp4");
	struct vg_probe pr;
	struct vg_err err;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(landscape);
	CU_ASSERT_EQUAL_FATAL(vg_media_thumbnail("ffmpeg", landscape, 1.0, 320, jpg, 30, &err),
	                      VG_OK);
	CU_ASSERT_EQUAL_FATAL(vg_media_probe("ffprobe", jpg, 30, &pr, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(pr.vcodec, "mjpeg");
	CU_ASSERT_EQUAL(pr.width, 320);
	CU_ASSERT_EQUAL(pr.height, 180);
	/* past the end: clamped into the clip rather than failing */
	CU_ASSERT_EQUAL(vg_media_thumbnail("ffmpeg", landscape, 99.0, 320, late, 30, &err), VG_OK);
	CU_ASSERT_EQUAL(access(late, R_OK), 0);

	f = fopen(junk, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("this is not a video\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(vg_media_probe("ffprobe", junk, 30, &pr, &err), VG_EMEDIA);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ffprobe"));
}

void t_local_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"spawn delivers lines and ticks", test_spawn_lines_and_ticks},
	    {"spawn failure names program and stderr", test_spawn_failure_names_program_and_stderr},
	    {"spawn of a missing program", test_spawn_missing_program},
	    {"spawn timeout escalates to SIGKILL", test_spawn_timeout_escalates_to_kill},
	    {"spawn cancel from the callback", test_spawn_cancel_from_callback},
	    {"spawn with SIGCHLD blocked leaks no fd", test_spawn_sigchld_blocked_and_no_fd_leak},
	    {"dimensions", test_dimensions},
	    {"render 1280x720", test_render_landscape},
	    {"render 720x1280", test_render_portrait},
	    {"same seed same bytes, other seed other bytes", test_same_seed_same_bytes},
	    {"render from a first-frame image", test_render_from_image},
	    {"render from a first frame to a last frame", test_render_to_last_frame},
	    {"render cancel", test_render_cancel},
	    {"render timeout", test_render_timeout},
	    {"render rejects bad input", test_render_rejects_bad_input},
	    {"last frame is exact", test_last_frame},
	    {"thumbnail and probe", test_thumbnail_and_probe},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("local", tests);
}
