#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vg_arena.h"
#include "vg_buf.h"
#include "vg_media.h"
#include "vg_spawn.h"
#include "vg_storage.h"

#define PROBE_OUTPUT_MAX (1024 * 1024)

char *vg_media_url(struct vg_arena *a, const char *path)
{
	/* "name:rest" would be taken for a protocol and "-x" for an option. */
	if (path[0] == '/')
		return vg_arena_strdup(a, path);
	return vg_arena_printf(a, "file:%s", path);
}

struct probe_collect {
	struct vg_buf out;
	int overflow;
};

/* ffprobe prints pretty JSON: gather its lines back into one document. */
static int collect_line(void *ctx, const char *line)
{
	struct probe_collect *c = ctx;

	if (!line || c->overflow)
		return 0;
	if (vg_buf_puts(&c->out, line) != VG_OK || vg_buf_puts(&c->out, "\n") != VG_OK)
		c->overflow = 1; /* keep going: the error names the cap once ffprobe is done */
	return 0;
}

static void copy_str(char *dst, size_t n, json_t *v)
{
	snprintf(dst, n, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* ffprobe prints numbers as strings ("4.000000", "96"). */
static double json_number_str(json_t *v)
{
	if (json_is_string(v))
		return strtod(json_string_value(v), NULL);
	if (json_is_number(v))
		return json_number_value(v);
	return 0;
}

/* "24/1", "30000/1001"; 0 for "0/0" and anything unreadable. */
static double rate_value(json_t *v)
{
	const char *s = json_string_value(v);
	char *end;
	double num, den;

	if (!s)
		return 0;
	num = strtod(s, &end);
	if (*end != '/')
		return end != s && num > 0 ? num : 0;
	den = strtod(end + 1, NULL);
	return num > 0 && den > 0 ? num / den : 0;
}

static void read_streams(json_t *streams, struct vg_probe *p)
{
	size_t i;
	json_t *s;

	json_array_foreach(streams, i, s)
	{
		const char *type = json_string_value(json_object_get(s, "codec_type"));

		if (!type)
			continue;
		if (!p->has_video && strcmp(type, "video") == 0) {
			p->has_video = true;
			p->width = (int)json_integer_value(json_object_get(s, "width"));
			p->height = (int)json_integer_value(json_object_get(s, "height"));
			copy_str(p->vcodec, sizeof p->vcodec, json_object_get(s, "codec_name"));
			copy_str(p->pix_fmt, sizeof p->pix_fmt, json_object_get(s, "pix_fmt"));
			p->frames = (int)json_number_str(json_object_get(s, "nb_frames"));
			p->fps = rate_value(json_object_get(s, "r_frame_rate"));
			if (p->fps <= 0)
				p->fps = rate_value(json_object_get(s, "avg_frame_rate"));
			p->video_duration_s = json_number_str(json_object_get(s, "duration"));
		} else if (!p->has_audio && strcmp(type, "audio") == 0) {
			p->has_audio = true;
			copy_str(p->acodec, sizeof p->acodec, json_object_get(s, "codec_name"));
			p->sample_rate = (int)json_number_str(json_object_get(s, "sample_rate"));
			p->channels = (int)json_number_str(json_object_get(s, "channels"));
			p->audio_duration_s = json_number_str(json_object_get(s, "duration"));
		}
	}
}

int vg_media_probe(const char *ffprobe, const char *path, int timeout_s, struct vg_probe *p,
                   struct vg_err *err)
{
	struct vg_arena *a = vg_arena_create(1024);
	const char *argv[] = {ffprobe, "-v",           "error",         "-print_format",
	                      "json",  "-show_format", "-show_streams", vg_media_url(a, path),
	                      NULL};
	struct probe_collect c = {.overflow = 0};
	struct vg_spawn_result res;
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(p, 0, sizeof *p);
	vg_buf_init(&c.out, PROBE_OUTPUT_MAX);
	rc = vg_spawn_run("probe", argv, timeout_s, collect_line, &c, &res, err);
	vg_arena_destroy(a);
	if (rc != VG_OK) {
		vg_buf_free(&c.out);
		if (rc == VG_EINTERNAL && res.exit_code > 0) {
			/* ffprobe ran and refused the file: the input's fault, not ours. */
			char why[sizeof err->msg];

			memcpy(why, err->msg, sizeof why);
			rc = vg_err_set(
			    err, VG_EMEDIA, NULL,
			    "%s is not audio, video or an image ffprobe can read (%.400s)", path,
			    why);
		}
		return rc;
	}
	if (c.overflow) {
		vg_buf_free(&c.out);
		return vg_err_set(err, VG_EMEDIA, NULL,
		                  "cannot probe %s: ffprobe printed more than %d bytes", path,
		                  PROBE_OUTPUT_MAX);
	}
	root = json_loads(vg_buf_str(&c.out), 0, &jerr);
	vg_buf_free(&c.out);
	if (!root)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "cannot read ffprobe output for %s: %s (line %d)", path,
		                  jerr.text, jerr.line);
	read_streams(json_object_get(root, "streams"), p);
	p->duration_s =
	    json_number_str(json_object_get(json_object_get(root, "format"), "duration"));
	json_decref(root);
	if (!p->has_video && !p->has_audio)
		return vg_err_set(err, VG_EMEDIA, NULL, "%s has no audio or video stream", path);
	return VG_OK;
}

static int file_nonempty(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_size > 0;
}

/* Writes through a temp file next to out_path and renames it into place, so readers never
 * see a half-written image. */
static int run_to_tmp(const char *const *argv, const char *tmp, const char *out_path, int timeout_s,
                      const char *what, struct vg_err *err)
{
	int rc = vg_spawn_run(strcmp(what, "thumbnail") == 0 ? "thumbnail" : "last_frame", argv,
	                      timeout_s, NULL, NULL, NULL, err);

	if (rc != VG_OK) {
		unlink(tmp);
		return rc;
	}
	if (!file_nonempty(tmp)) {
		unlink(tmp);
		return vg_err_set(err, VG_EMEDIA, NULL, "%s: %s has no video frame to take", what,
		                  argv[0]);
	}
	rc = vg_storage_commit(tmp, out_path, err);
	if (rc != VG_OK)
		unlink(tmp);
	return rc;
}

int vg_media_thumbnail(const char *ffmpeg, const char *video, double at_s, int width,
                       const char *out_path, int timeout_s, struct vg_err *err)
{
	struct vg_arena *a = vg_arena_create(4096);
	char *tmp = vg_storage_tmp_path(a, out_path);
	char *seek = vg_arena_printf(a, "%.3f", at_s > 0 ? at_s : 0.0);
	char *vf = vg_arena_printf(a, "scale=%d:-2", width > 0 ? width : 320);
	const char *argv[] = {ffmpeg, "-hide_banner", "-nostdin", "-v", "error",
	                      "-y",   "-ss",          seek,       "-i", vg_media_url(a, video),
	                      "-map", "0:v:0",        "-vf",      vf,   "-frames:v",
	                      "1",    "-q:v",         "3",        "-f", "image2",
	                      "-c:v", "mjpeg",        "-update",  "1",  vg_media_url(a, tmp),
	                      NULL};
	int rc;

	/* %.3f must print a dot whatever LC_NUMERIC says: ffmpeg parses C numbers. */
	for (char *c = seek; *c; c++)
		if (*c == ',')
			*c = '.';
	rc = vg_spawn_run("thumbnail", argv, timeout_s, NULL, NULL, NULL, err);
	if (rc == VG_OK && !file_nonempty(tmp)) {
		/* at_s lies past the end: clamp into the clip by taking its last second. */
		argv[6] = "-sseof";
		argv[7] = "-1";
		rc = run_to_tmp(argv, tmp, out_path, timeout_s, "thumbnail", err);
	} else if (rc == VG_OK) {
		rc = vg_storage_commit(tmp, out_path, err);
		if (rc != VG_OK)
			unlink(tmp);
	} else {
		unlink(tmp);
	}
	vg_arena_destroy(a);
	return rc;
}

int vg_media_last_frame(const char *ffmpeg, const char *video, const char *out_path, int timeout_s,
                        struct vg_err *err)
{
	struct vg_arena *a = vg_arena_create(4096);
	char *tmp = vg_storage_tmp_path(a, out_path);
	/* Decode only the last second and let image2 overwrite one file per frame
	 * (-update 1): what remains is the last decoded frame, exactly. */
	const char *argv[] = {ffmpeg,
	                      "-hide_banner",
	                      "-nostdin",
	                      "-v",
	                      "error",
	                      "-y",
	                      "-sseof",
	                      "-1",
	                      "-i",
	                      vg_media_url(a, video),
	                      "-map",
	                      "0:v:0",
	                      "-f",
	                      "image2",
	                      "-c:v",
	                      "png",
	                      "-update",
	                      "1",
	                      vg_media_url(a, tmp),
	                      NULL};
	int rc = run_to_tmp(argv, tmp, out_path, timeout_s, "last frame", err);

	vg_arena_destroy(a);
	return rc;
}

char *vg_media_decimal(struct vg_arena *a, int places, double v)
{
	/* by hand: the library does not link libm */
	long long unit = 1;

	for (int i = 0; i < places; i++)
		unit *= 10;
	long long scaled = (long long)((v < 0 ? -v : v) * (double)unit + 0.5);

	return vg_arena_printf(a, "%s%lld.%0*lld", v < 0 && scaled ? "-" : "", scaled / unit,
	                       places, scaled % unit);
}

char *vg_media_filter_escape(struct vg_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *once = vg_arena_alloc(a, 2 * n + 1), *twice = vg_arena_alloc(a, 4 * n + 1);
	char *o = once, *t = twice;

	for (const char *c = s; *c; c++) {
		if (strchr("\\':", *c))
			*o++ = '\\';
		*o++ = *c;
	}
	*o = '\0';
	for (const char *c = once; *c; c++) {
		if (strchr("\\'[],;", *c))
			*t++ = '\\';
		*t++ = *c;
	}
	*t = '\0';
	return twice;
}

int vg_media_text_file(const char *path, const char *text, struct vg_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	ssize_t wr;

	if (fd < 0)
		return vg_err_set(err, VG_EINTERNAL, NULL, "cannot create %s: %s", path,
		                  strerror(errno));
	wr = write(fd, text, len);
	if (close(fd) != 0 || wr != (ssize_t)len) {
		unlink(path);
		return vg_err_set(err, VG_EINTERNAL, NULL, "cannot write %s: %s", path,
		                  strerror(errno));
	}
	return VG_OK;
}
