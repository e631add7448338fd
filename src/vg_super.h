/* The pre-fork supervisor shared by veogen-fcgi and veogen-runner: forks N workers,
 * respawns dead ones with backoff, TERM/INT = graceful stop (workers get SIGTERM, then
 * SIGKILL after shutdown_timeout), HUP = reload (new config; a new generation of workers is
 * started and the old one told to drain), readiness and status via $NOTIFY_SOCKET.
 * Signals are handled synchronously (sigtimedwait), never in async handlers. */
#ifndef VG_SUPER_H
#define VG_SUPER_H

#include <signal.h>

struct vg_super {
	const char *name; /* "veogen-fcgi" */
	/* How many workers the current config wants. */
	int (*nworkers)(void *ctx);
	int (*shutdown_timeout_s)(void *ctx);
	/* Runs in the child after fork, signals unblocked and reset to default; returns the
	 * exit status.  gen counts reloads from 1, idx is 0..n-1. */
	int (*worker_main)(void *ctx, int gen, int idx);
	/* Re-reads the config on HUP; returns 0 to start a new generation, -1 to keep the
	 * old one (the error was logged).  May be NULL. */
	int (*reload)(void *ctx);
	/* Called once a second in the master (housekeeping); may be NULL. */
	void (*tick)(void *ctx);
	void *ctx;
};

/* Runs until TERM/INT/QUIT; returns the process exit status. Sends READY=1 once the
 * first generation is forked. */
int vg_super_run(const struct vg_super *s);

/* Sends a datagram to $NOTIFY_SOCKET ("READY=1", "STATUS=…"); a no-op when unset. */
void vg_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For workers: set by SIGTERM/SIGINT handlers installed by vg_super_worker_signals(). */
extern volatile sig_atomic_t vg_worker_stop;
/* Installs TERM/INT handlers without SA_RESTART that set vg_worker_stop and call the
 * optional hook (libfcgi's FCGX_ShutdownPending in the responders). */
void vg_super_worker_signals(void (*hook)(void));

#endif
