/* assemble_bench: times vg_assemble_film on takes already on disk, for
 * tests/bench/assemble.sh, which times the hand-written ffmpeg commands on the same files.
 *
 *   assemble_bench TRANSITION SECONDS OUT.mp4 TAKE.mp4...
 *
 * TRANSITION is "cut" or an xfade name used for every join, SECONDS its length.  Each take is
 * probed first (not timed: the runner knows its takes from their rows); frame rate, pixel
 * format and audio layout are what the local provider writes (24 fps yuv420p, 48 kHz
 * stereo), as assemble.sh makes them.  Prints "assemble <transition> <seconds> s" on
 * success. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg_assemble.h"
#include "vg_err.h"
#include "vg_media.h"

#define MAX_TAKES 200

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int probe_takes(char **paths, int n, struct vg_take *takes)
{
	struct vg_err err = {0};
	struct vg_probe p;

	for (int i = 0; i < n; i++) {
		if (vg_media_probe("ffprobe", paths[i], 60, &p, &err) != 0) {
			fprintf(stderr, "assemble_bench: %s: %s\n", paths[i], err.msg);
			return -1;
		}
		takes[i] = (struct vg_take){.path = paths[i],
		                            .duration_s = p.duration_s,
		                            .has_audio = p.has_audio,
		                            .width = p.width,
		                            .height = p.height,
		                            .fps = 24,
		                            .pix_fmt = "yuv420p",
		                            .sample_rate = 48000,
		                            .channels = 2};
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct vg_take takes[MAX_TAKES];
	static struct vg_join joins[MAX_TAKES];
	struct vg_err err = {0};
	char *end = NULL;

	if (argc < 5 || argc - 4 > MAX_TAKES) {
		fprintf(
		    stderr,
		    "usage: assemble_bench TRANSITION SECONDS OUT.mp4 TAKE.mp4... (1..%d takes)\n",
		    MAX_TAKES);
		return 2;
	}
	const char *transition = argv[1];
	double seconds = strtod(argv[2], &end);
	if (end == argv[2] || *end != '\0' || seconds < 0) {
		fprintf(stderr, "assemble_bench: SECONDS must be a number >= 0, not '%s'\n",
		        argv[2]);
		return 2;
	}
	int n = argc - 4;
	if (probe_takes(argv + 4, n, takes) != 0)
		return 1;
	for (int i = 0; i < n; i++)
		joins[i] = (struct vg_join){.transition = transition, .duration_s = seconds};
	if (vg_assemble_check(takes, joins, n, &err) != 0) {
		fprintf(stderr, "assemble_bench: %s\n", err.msg);
		return 1;
	}
	printf("stream copy possible: %s\n", vg_assemble_can_copy(takes, joins, n) ? "yes" : "no");
	double t0 = now_s();
	if (vg_assemble_film("ffmpeg", takes, joins, n, takes[0].width, takes[0].height, 24,
	                     argv[3], 3600, &err) != 0) {
		fprintf(stderr, "assemble_bench: %s\n", err.msg);
		return 1;
	}
	printf("assemble %s %.3f s\n", strcmp(transition, "") ? transition : "cut", now_s() - t0);
	return 0;
}
