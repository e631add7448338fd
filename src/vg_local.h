/* The local preview provider: an honest animatic rendered by ffmpeg, with no key and no
 * network.  Exactly the requested duration and size, H.264 yuv420p + AAC, +faststart; the
 * prompt drawn as wrapped text over an animated background coloured by the style; a slow
 * zoom/pan from the first-frame image when one is given, a dissolve into the last-frame
 * image when one is given; bit-exact output, so the same inputs and seed give the same
 * bytes. */
#ifndef VG_LOCAL_H
#define VG_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vg_err.h"

struct vg_local_params {
	const char *prompt;
	const char *style_id; /* NULL = neutral palette */
	int duration_s;       /* 4, 6, 8 */
	int width, height;    /* 1280x720, 1920x1080, 720x1280, 1080x1920 */
	bool has_seed;
	uint32_t seed;          /* varies the palette phase and motion, deterministically */
	const char *image_path; /* first frame, or NULL */
	/* last frame, or NULL: the clip's last second dissolves into it, so its last frame is
	 * this image (scaled to cover and centre-cropped, like the first frame) */
	const char *last_frame_path;
	const char *font_path;
	const char *ffmpeg;
	int timeout_s;
	const char *out_path; /* the mp4 to write (the caller renames it into place) */
};

/* Called with the fraction done (0..1) as ffmpeg reports progress, and about once a second;
 * return non-zero to cancel (vg_local_render then returns VG_ECANCELLED). */
typedef int (*vg_local_progress_fn)(void *ctx, double fraction);

int vg_local_render(const struct vg_local_params *p, vg_local_progress_fn fn, void *ctx,
                    struct vg_err *err);

/* Maps "16:9"/"9:16" × "720p"/"1080p" to pixels; false when unknown. */
bool vg_local_dimensions(const char *aspect, const char *resolution, int *w, int *h);

#endif
