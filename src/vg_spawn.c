#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_spawn.h"

extern char **environ;

#define SPAWN_LINE_MAX   8192 /* longer stdout lines are dropped whole */
#define SPAWN_TICK_MS    1000
#define SPAWN_KILL_GRACE 2000 /* ms between SIGTERM and SIGKILL */

/* Everything one run needs while it polls the child's pipes. */
struct spawn_run {
	const char *prog;
	pid_t pid;
	int out_fd, err_fd; /* -1 once at EOF */
	vg_spawn_line_fn fn;
	void *ctx;
	struct vg_spawn_result *res;
	char line[SPAWN_LINE_MAX];
	size_t line_len;
	bool line_too_long;
	size_t tail_len;
	bool reaped;
	bool status_lost; /* reaped by someone else (SIGCHLD set to SIG_IGN) */
	int status;
	bool stopping;  /* SIGTERM sent */
	bool killed;    /* SIGKILL sent */
	bool cancelled; /* the callback asked to stop */
	bool timed_out;
	int64_t kill_at_ms; /* when SIGKILL follows SIGTERM */
	int exit_wait_ms;   /* poll step once the pipes are closed: 1, 2, 4 … 50 ms */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Pipe ends above 2, so dup2 onto 0..2 in the child never meets its own source fd. */
static int pipe_above_stdio(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (fds[i] > 2)
			continue;
		int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);

		if (moved < 0) {
			close(fds[0]);
			close(fds[1]);
			return -1;
		}
		close(fds[i]);
		fds[i] = moved;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void keep_stderr(struct spawn_run *r, const char *p, size_t n)
{
	char *tail = r->res->stderr_tail;
	size_t room = sizeof r->res->stderr_tail - 1;

	if (n >= room) {
		memcpy(tail, p + n - room, room);
		r->tail_len = room;
	} else {
		if (r->tail_len + n > room) {
			size_t drop = r->tail_len + n - room;

			memmove(tail, tail + drop, r->tail_len - drop);
			r->tail_len -= drop;
		}
		memcpy(tail + r->tail_len, p, n);
		r->tail_len += n;
	}
	tail[r->tail_len] = '\0';
}

static void stop_child(struct spawn_run *r)
{
	if (r->stopping || r->reaped)
		return;
	r->stopping = true;
	r->kill_at_ms = now_ms() + SPAWN_KILL_GRACE;
	kill(r->pid, SIGTERM);
}

static void deliver(struct spawn_run *r, const char *line)
{
	if (r->stopping || !r->fn)
		return;
	if (r->fn(r->ctx, line) != 0) {
		r->cancelled = true;
		stop_child(r);
	}
}

static void split_lines(struct spawn_run *r, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (!r->line_too_long) {
				r->line[r->line_len] = '\0';
				deliver(r, r->line);
			}
			r->line_len = 0;
			r->line_too_long = false;
		} else if (r->line_too_long) {
			continue;
		} else if (r->line_len + 1 >= sizeof r->line) {
			r->line_too_long = true;
		} else {
			r->line[r->line_len++] = p[i];
		}
	}
}

/* Reads what is there; closes the fd at EOF or on a hard error. */
static void drain(struct spawn_run *r, int *fd, bool is_stdout)
{
	char buf[4096];

	while (*fd >= 0) {
		ssize_t n = read(*fd, buf, sizeof buf);

		if (n > 0) {
			if (is_stdout) {
				r->res->stdout_bytes += (size_t)n;
				split_lines(r, buf, (size_t)n);
			} else {
				keep_stderr(r, buf, (size_t)n);
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(fd); /* EOF or error */
	}
}

static void try_reap(struct spawn_run *r, int flags)
{
	if (r->reaped)
		return;
	for (;;) {
		pid_t w = waitpid(r->pid, &r->status, flags);

		if (w == r->pid) {
			r->reaped = true;
			return;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* ECHILD: someone else reaped it (SIGCHLD ignored); treat it as gone. */
			log_warn("waitpid %s[%d]", r->prog, (int)r->pid);
			r->reaped = true;
			r->status_lost = true;
		}
		return;
	}
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int start_child(struct spawn_run *r, const char *const *argv, int out_w, int err_w,
                       struct vg_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	posix_spawn_file_actions_adddup2(&fa, err_w, 2);

	/* The child starts with an empty mask and default handlers whatever the parent blocks
	 * or ignores (the supervisor blocks SIGCHLD, daemons ignore SIGPIPE). */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

	if (strchr(argv[0], '/'))
		rc = posix_spawn(&r->pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	else
		rc = posix_spawnp(&r->pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "cannot run %s: %s (install it or set its path in the config)",
		                  argv[0], strerror(rc));
	return VG_OK;
}

static int poll_timeout(const struct spawn_run *r, int64_t now, int64_t next_tick, int64_t deadline)
{
	int64_t until = next_tick;

	if (deadline > 0 && deadline < until)
		until = deadline;
	if (r->stopping && !r->killed && r->kill_at_ms < until)
		until = r->kill_at_ms;
	/* Pipes closed: only waiting for the exit, which usually follows within a millisecond
	 * (the child closes its pipes as it exits): short steps first, then 50 ms. */
	if (r->out_fd < 0 && r->err_fd < 0 && r->exit_wait_ms < until - now)
		until = now + r->exit_wait_ms;
	return until > now ? (int)(until - now) : 0;
}

/* Polls the pipes with a 1 s tick until the child is reaped, enforcing the deadline and
 * the SIGTERM → SIGKILL escalation. */
static void supervise(struct spawn_run *r, int timeout_s)
{
	int64_t start = now_ms();
	int64_t deadline = timeout_s > 0 ? start + (int64_t)timeout_s * 1000 : 0;
	int64_t next_tick = start + SPAWN_TICK_MS;

	while (!r->reaped) {
		int64_t now = now_ms();
		struct pollfd pfd[2];
		nfds_t n = 0;

		if (r->out_fd >= 0)
			pfd[n++] = (struct pollfd){.fd = r->out_fd, .events = POLLIN};
		if (r->err_fd >= 0)
			pfd[n++] = (struct pollfd){.fd = r->err_fd, .events = POLLIN};
		if (poll(pfd, n, poll_timeout(r, now, next_tick, deadline)) < 0 && errno != EINTR) {
			log_warn("poll on %s pipes", r->prog);
			stop_child(r);
		}
		drain(r, &r->out_fd, true);
		drain(r, &r->err_fd, false);
		try_reap(r, WNOHANG);
		if (r->reaped)
			break;
		if (r->out_fd < 0 && r->err_fd < 0 && r->exit_wait_ms < 50)
			r->exit_wait_ms = r->exit_wait_ms * 2 > 50 ? 50 : r->exit_wait_ms * 2;

		now = now_ms();
		if (deadline > 0 && now >= deadline && !r->stopping) {
			r->timed_out = true;
			stop_child(r);
		}
		if (r->stopping && !r->killed && now >= r->kill_at_ms) {
			r->killed = true;
			kill(r->pid, SIGKILL);
		}
		if (now >= next_tick) {
			next_tick = now + SPAWN_TICK_MS;
			deliver(r, NULL);
		}
	}
	/* What the child wrote just before exiting (a grandchild holding the pipes open
	 * cannot keep us here: the fds are non-blocking). */
	drain(r, &r->out_fd, true);
	drain(r, &r->err_fd, false);
	if (r->line_len > 0 && !r->line_too_long) {
		r->line[r->line_len] = '\0';
		deliver(r, r->line);
	}
}

/* The last line or two of stderr, for an error message of bounded size. */
static const char *tail_for_message(char *tail)
{
	size_t len = strlen(tail);

	while (len > 0 && (tail[len - 1] == '\n' || tail[len - 1] == '\r' || tail[len - 1] == ' '))
		tail[--len] = '\0';
	if (len == 0)
		return "(no output on stderr)";
	return len > 360 ? tail + len - 360 : tail;
}

static int classify(struct spawn_run *r, int timeout_s, struct vg_err *err)
{
	struct vg_spawn_result *res = r->res;
	char tail[sizeof res->stderr_tail];

	if (r->status_lost) {
		res->exit_code = -1;
	} else if (WIFEXITED(r->status)) {
		res->exit_code = WEXITSTATUS(r->status);
	} else if (WIFSIGNALED(r->status)) {
		res->exit_code = -1;
		res->signal = WTERMSIG(r->status);
	}
	memcpy(tail, res->stderr_tail, sizeof tail);
	if (r->cancelled)
		return vg_err_set(err, VG_ECANCELLED, NULL, "%s was stopped: the job was cancelled",
		                  r->prog);
	if (r->timed_out)
		return vg_err_set(err, VG_ETIMEOUT, NULL,
		                  "%s did not finish within %d s and was stopped: %s", r->prog,
		                  timeout_s, tail_for_message(tail));
	if (res->exit_code == 0)
		return VG_OK;
	if (res->signal)
		return vg_err_set(err, VG_EINTERNAL, NULL, "%s was killed by signal %d (%s): %s",
		                  r->prog, res->signal, strsignal(res->signal),
		                  tail_for_message(tail));
	if (r->status_lost)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "%s: its exit status was lost (is SIGCHLD ignored?)", r->prog);
	return vg_err_set(err, VG_EINTERNAL, NULL, "%s exited with status %d: %s", r->prog,
	                  res->exit_code, tail_for_message(tail));
}

static int spawn_run(const char *const *argv, int timeout_s, vg_spawn_line_fn fn, void *ctx,
                     struct vg_spawn_result *res, struct vg_err *err)
{
	struct vg_spawn_result local_res;
	struct spawn_run r;
	int out[2], errp[2];
	int rc;

	if (!res)
		res = &local_res;
	memset(res, 0, sizeof *res);
	if (!argv || !argv[0] || !argv[0][0])
		return vg_err_set(err, VG_EINTERNAL, NULL, "no program to run");

	memset(&r, 0, sizeof r);
	r.prog = argv[0];
	r.fn = fn;
	r.ctx = ctx;
	r.res = res;
	r.out_fd = r.err_fd = -1;
	r.exit_wait_ms = 1;

	if (pipe_above_stdio(out) != 0)
		return vg_err_set(err, VG_EINTERNAL, NULL, "cannot run %s: pipe: %s", argv[0],
		                  strerror(errno));
	if (pipe_above_stdio(errp) != 0) {
		int e = errno;

		close(out[0]);
		close(out[1]);
		return vg_err_set(err, VG_EINTERNAL, NULL, "cannot run %s: pipe: %s", argv[0],
		                  strerror(e));
	}
	rc = start_child(&r, argv, out[1], errp[1], err);
	close(out[1]);
	close(errp[1]);
	r.out_fd = out[0];
	r.err_fd = errp[0];
	if (rc != VG_OK) {
		close_fd(&r.out_fd);
		close_fd(&r.err_fd);
		res->exit_code = -1;
		return rc;
	}
	set_nonblock(r.out_fd);
	set_nonblock(r.err_fd);

	supervise(&r, timeout_s);
	close_fd(&r.out_fd);
	close_fd(&r.err_fd);
	return classify(&r, timeout_s, err);
}

int vg_spawn_run(const char *op, const char *const *argv, int timeout_s, vg_spawn_line_fn fn,
                 void *ctx, struct vg_spawn_result *res, struct vg_err *err)
{
	int64_t t0 = now_ms();
	int rc = spawn_run(argv, timeout_s, fn, ctx, res, err);

	vg_metrics_ffmpeg(op, rc, (double)(now_ms() - t0) / 1000.0);
	return rc;
}
