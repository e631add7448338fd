/* Movie assembly: scene takes joined into one film with ffmpeg (cuts and xfade transitions),
 * and what a film is served as besides (title card, soundtrack, WebM, HLS, contact sheet,
 * WebVTT).  Every file is written to a temp name and renamed into place.
 * Scenes are numbered from 1 in messages; join k sits between takes k and k+1 (0-based). */
#ifndef VG_ASSEMBLE_H
#define VG_ASSEMBLE_H

#include <stdbool.h>

#include "vg_err.h"
#include "vg_spawn.h"

/* One scene's current clip, as vg_media_probe and the stream details describe it.  Takes
 * are assumed H.264/AAC (what the providers write) when the film is stream-copied. */
struct vg_take {
	const char *path;
	double duration_s;
	bool has_audio;
	int width, height;
	double fps;
	const char *pix_fmt;
	int sample_rate, channels;
};

/* Every ffmpeg run of the functions below calls watch.fn about once a second with
 * line == NULL (a tick, see vg_spawn_line_fn), so the caller can extend a lease or give up
 * during a long encode: a non-zero return stops ffmpeg and the function returns
 * VG_ECANCELLED (its temp files removed).  One watch per process (a runner worker runs one
 * step at a time); NULL = none, the default. */
struct vg_assemble_watch {
	vg_spawn_line_fn fn;
	void *ctx;
};
void vg_assemble_set_watch(const struct vg_assemble_watch *watch);

/* How take k flows into take k+1: "cut" (or NULL / "") or an xfade transition name. */
struct vg_join {
	const char *transition;
	double duration_s; /* of the transition; ignored for a cut */
};

/* The transition names xfade knows (ffmpeg 5.1), "cut" included. */
bool vg_assemble_transition_valid(const char *name);

/* offsets[k] (k < n-1) = where join k's xfade starts in the film built so far:
 * Σ_{i≤k} durations[i] − Σ_{j≤k} t_j, t_j = join j's transition (0 for a cut).
 * Returns the film's duration Σ durations − Σ t_j.  offsets may be NULL. */
double vg_assemble_offsets(const double *durations, const struct vg_join *joins, int n,
                           double *offsets);

/* VG_EINVAL (naming the scene and what to change) when a take has no length, a transition
 * is unknown, or a transition does not fit inside the takes it joins. */
int vg_assemble_check(const struct vg_take *takes, const struct vg_join *joins, int n,
                      struct vg_err *err);

/* Every join is a cut and every take has the same size, fps, pixel format and audio layout:
 * the concat demuxer can copy the streams without re-encoding. */
bool vg_assemble_can_copy(const struct vg_take *takes, const struct vg_join *joins, int n);

/* The film as MP4 (H.264 yuv420p + AAC 48 kHz stereo, faststart) of width×height at fps.
 * Stream copy when the takes already are that format and every join is a cut; otherwise
 * one piece per take (an ffmpeg of at most two inputs: the take normalised, then the
 * xfade/acrossfade into the next take's head; video as H.264, audio as PCM) in a temp
 * directory beside out_mp4, joined by the concat demuxer (video copied, audio encoded
 * once): memory does not grow with the number of takes.  Audio lasts as long as the video
 * (silence where a take has none); timeout_s bounds the whole call. */
int vg_assemble_film(const char *ffmpeg, const struct vg_take *takes, const struct vg_join *joins,
                     int n, int width, int height, int fps, const char *out_mp4, int timeout_s,
                     struct vg_err *err);

/* duration_s of title (centred, drawtext from a text file) over color ("0xRRGGBB", NULL =
 * near black), with silent audio, in the film's format so it joins like a take.
 * font_path NULL or "" lets fontconfig choose. */
int vg_assemble_title_card(const char *ffmpeg, const char *title, const char *color,
                           const char *font_path, double duration_s, int width, int height, int fps,
                           const char *out_mp4, int timeout_s, struct vg_err *err);

/* soundtrack (looped when shorter) at music_volume (0–2) mixed under the film's audio (or
 * alone when the film has none), faded out over the last second and cut to
 * film_duration_s; the video stream is copied. */
int vg_assemble_mix_soundtrack(const char *ffmpeg, const char *film_mp4, double film_duration_s,
                               bool film_has_audio, const char *soundtrack, double music_volume,
                               const char *out_mp4, int timeout_s, struct vg_err *err);

/* The film as WebM: VP9 (constant quality) + Opus. */
int vg_assemble_webm(const char *ffmpeg, const char *film_mp4, const char *out_webm, int timeout_s,
                     struct vg_err *err);

/* HLS VOD of the film (stream copy): out_dir/index.m3u8 and out_dir/seg_NNN.ts, 4 s
 * segments, independent segments.  Built in a temp directory and swapped in with one
 * rename, so players never see a mix of two versions. */
int vg_assemble_hls(const char *ffmpeg, const char *film_mp4, const char *out_dir, int timeout_s,
                    struct vg_err *err);

/* One JPEG: the middle frame of every take, tile_width pixels wide each (height from the
 * first take's aspect; others are letterboxed), in a near-square grid. */
int vg_assemble_contact_sheet(const char *ffmpeg, const struct vg_take *takes, int n,
                              int tile_width, const char *out_jpg, int timeout_s,
                              struct vg_err *err);

/* WebVTT with one cue per caption (NULL captions are skipped): malloc'd, NULL when n < 0 or
 * a cue ends before it starts.  Cue text has & < > escaped and control characters as
 * spaces (a line break would end the cue early). */
char *vg_assemble_webvtt(const char *const *captions, const double *starts, const double *ends,
                         int n);

#endif
