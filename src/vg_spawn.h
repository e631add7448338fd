/* Child programs (ffmpeg, ffprobe): posix_spawn with an argv array (never a shell), a
 * timeout, stdout delivered line by line to a callback, the tail of stderr kept for error
 * messages, and cancellation from the callback. */
#ifndef VG_SPAWN_H
#define VG_SPAWN_H

#include <stddef.h>

#include "vg_err.h"

/* Called for every stdout line (without the newline) and about once a second with
 * line == NULL (a tick, for heartbeats).  Return non-zero to stop the child (SIGTERM, then
 * SIGKILL after 2 s); vg_spawn_run then returns VG_ECANCELLED. */
typedef int (*vg_spawn_line_fn)(void *ctx, const char *line);

struct vg_spawn_result {
	int exit_code;          /* -1 when killed by a signal */
	int signal;             /* the signal, or 0 */
	char stderr_tail[2048]; /* last bytes the child wrote to stderr */
	size_t stdout_bytes;
};

/* Runs argv[0] (searched in PATH when it has no slash) with stdin from /dev/null.
 * Returns VG_OK when it exits 0; VG_EINTERNAL with the stderr tail in err when it fails;
 * VG_ETIMEOUT after timeout_s (killed); VG_ECANCELLED when the callback asked.
 * op names the operation for veogen_ffmpeg_operations_total ("probe", "thumbnail", …). */
int vg_spawn_run(const char *op, const char *const *argv, int timeout_s, vg_spawn_line_fn fn,
                 void *ctx, struct vg_spawn_result *res, struct vg_err *err);

#endif
