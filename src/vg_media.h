/* ffprobe and small ffmpeg jobs shared by providers and tests of output. */
#ifndef VG_MEDIA_H
#define VG_MEDIA_H

#include <stdbool.h>

#include "vg_arena.h"
#include "vg_err.h"

struct vg_probe {
	int width, height;
	double duration_s; /* container duration */
	bool has_video, has_audio;
	char vcodec[32], acodec[32], pix_fmt[32];
	int frames; /* video frame count when ffprobe reports it, else 0 */
	/* of the first video / audio stream; 0 when ffprobe does not report them */
	double fps; /* r_frame_rate */
	int sample_rate, channels;
	double video_duration_s, audio_duration_s; /* the streams' own durations */
};

/* Runs ffprobe -of json on path and fills *p. */
int vg_media_probe(const char *ffprobe, const char *path, int timeout_s, struct vg_probe *p,
                   struct vg_err *err);
/* One JPEG frame at time at_s (clamped into the clip), scaled to width (height keeps
 * the aspect), written atomically to out_path. */
int vg_media_thumbnail(const char *ffmpeg, const char *video, double at_s, int width,
                       const char *out_path, int timeout_s, struct vg_err *err);
/* The exact last frame of a clip as PNG (continuity between scenes). */
int vg_media_last_frame(const char *ffmpeg, const char *video, const char *out_path, int timeout_s,
                        struct vg_err *err);

/* path as ffmpeg should see it on its command line: absolute paths as they are, others
 * behind "file:" so that "a:b.mp4" is not a protocol and "-x.mp4" not an option. */
char *vg_media_url(struct vg_arena *a, const char *path);

/* Writing filter graphs. */
/* v with a dot and `places` decimals (0..9) whatever LC_NUMERIC says (ffmpeg's expressions
 * need C numbers), in arena memory. */
char *vg_media_decimal(struct vg_arena *a, int places, double v);
/* s escaped on two levels, as the filtergraph documentation describes: the option value
 * (\ ' :) and then the graph description (\ ' [ ] , ;). */
char *vg_media_filter_escape(struct vg_arena *a, const char *s);
/* Creates path (it must not exist, mode 0600) holding text, for drawtext's textfile=: user
 * text never goes into a filter string.  Nothing is left behind on failure. */
int vg_media_text_file(const char *path, const char *text, struct vg_err *err);

#endif
