#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_PRCTL
#include <sys/prctl.h>
#endif

#include "vg_arena.h"
#include "vg_log.h"
#include "vg_super.h"

/* Respawn delays after a worker died early: 100 ms doubling to 30 s; a worker that lived
 * this long has its delay reset. */
#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  30000
#define HEALTHY_LIFE_MS 60000
/* A clean exit sooner than this after start counts as a crash (a worker that cannot run). */
#define MIN_LIFE_MS 1000
#define MAX_WORKERS 1024

volatile sig_atomic_t vg_worker_stop;

/* One place of the current generation. */
struct slot {
	pid_t pid;            /* 0 while waiting to be (re)spawned */
	long long started_ms; /* monotonic */
	long long respawn_ms; /* when pid == 0: do not fork before this */
	long backoff_ms;      /* next delay after an early death */
};

struct master {
	const struct vg_super *s;
	int gen;
	struct slot *slots;
	int nslots;
	pid_t *old; /* draining workers of earlier generations */
	int nold, capold;
	sigset_t orig_mask;
	pid_t self;
};

static const int master_signals[] = {SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGUSR1};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vg_notify(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	char msg[512];
	va_list ap;
	size_t plen;
	socklen_t alen;
	int fd, n;

	if (!path || !path[0])
		return;
	plen = strlen(path);
	if (plen >= sizeof sun.sun_path) {
		log_warnx("NOTIFY_SOCKET is longer than a socket path can be; not notifying");
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof msg)
		return;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@') /* abstract namespace: leading NUL, length without terminator */
		sun.sun_path[0] = '\0';
	alen =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '@' ? 0 : 1));

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("notify: socket");
		return;
	}
	if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sun, alen) < 0)
		log_warn("notify: sendto %s", path);
	close(fd);
}

static void (*worker_hook)(void);

static void worker_on_signal(int sig)
{
	(void)sig;
	vg_worker_stop = 1;
	if (worker_hook)
		worker_hook();
}

void vg_super_worker_signals(void (*hook)(void))
{
	struct sigaction sa;

	worker_hook = hook;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = worker_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocking accept()/poll() returns EINTR at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static int clamp_workers(int n)
{
	if (n < 1)
		return 1;
	return n > MAX_WORKERS ? MAX_WORKERS : n;
}

/* Child side of fork: back to a normal process, tied to the master's life. */
static void __attribute__((noreturn)) run_child(struct master *m, int idx)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof master_signals / sizeof master_signals[0]; i++)
		sigaction(master_signals[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &m->orig_mask, NULL);
	vg_worker_stop = 0;
#ifdef HAVE_PRCTL
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	/* The master may have died before prctl took effect. */
	if (getppid() != m->self)
		_exit(0);
	int status = m->s->worker_main(m->s->ctx, m->gen, idx);
	fflush(NULL);
	_exit(status & 0xff);
}

static void spawn(struct master *m, int idx)
{
	struct slot *sl = &m->slots[idx];
	pid_t pid;

	fflush(NULL); /* or buffered output is written twice */
	pid = fork();
	if (pid < 0) {
		log_warn("%s: cannot fork worker %d", m->s->name, idx);
		sl->respawn_ms = now_ms() + sl->backoff_ms;
		if (sl->backoff_ms < BACKOFF_MAX_MS)
			sl->backoff_ms *= 2;
		return;
	}
	if (pid == 0)
		run_child(m, idx);
	sl->pid = pid;
	sl->started_ms = now_ms();
	log_debug("%s: worker %d.%d started, pid %ld", m->s->name, m->gen, idx, (long)pid);
}

static void spawn_due(struct master *m)
{
	long long now = now_ms();

	for (int i = 0; i < m->nslots; i++)
		if (m->slots[i].pid == 0 && m->slots[i].respawn_ms <= now)
			spawn(m, i);
}

static void start_generation(struct master *m)
{
	m->gen++;
	m->nslots = clamp_workers(m->s->nworkers(m->s->ctx));
	free(m->slots);
	m->slots = vg_xmalloc(sizeof *m->slots * (size_t)m->nslots);
	memset(m->slots, 0, sizeof *m->slots * (size_t)m->nslots);
	for (int i = 0; i < m->nslots; i++)
		m->slots[i].backoff_ms = BACKOFF_MIN_MS;
	spawn_due(m);
	log_info("%s: generation %d started with %d workers", m->s->name, m->gen, m->nslots);
	vg_notify("STATUS=generation %d, %d workers", m->gen, m->nslots);
}

static void keep_old(struct master *m, pid_t pid)
{
	if (m->nold == m->capold) {
		m->capold = m->capold ? m->capold * 2 : 16;
		m->old = vg_xrealloc(m->old, sizeof *m->old * (size_t)m->capold);
	}
	m->old[m->nold++] = pid;
}

static void describe_exit(int st, char *buf, size_t size)
{
	if (WIFEXITED(st))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, size, "was killed by signal %d (%s)%s", WTERMSIG(st),
		         strsignal(WTERMSIG(st)), WCOREDUMP(st) ? ", core dumped" : "");
	else
		snprintf(buf, size, "stopped with wait status %#x", st);
}

static void on_exit_current(struct master *m, int idx, int st, bool stopping)
{
	struct slot *sl = &m->slots[idx];
	long long now = now_ms();
	long long lived = now - sl->started_ms;
	bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	char how[128];

	sl->pid = 0;
	describe_exit(st, how, sizeof how);
	if (clean)
		log_info("%s: worker %d.%d %s after %lld ms", m->s->name, m->gen, idx, how, lived);
	else
		log_warnx("%s: worker %d.%d crashed: it %s after %lld ms", m->s->name, m->gen, idx,
		          how, lived);
	if (stopping)
		return;
	if (lived >= HEALTHY_LIFE_MS)
		sl->backoff_ms = BACKOFF_MIN_MS;
	if (clean && lived >= MIN_LIFE_MS) {
		sl->respawn_ms = now; /* recycled on purpose (max_requests): replace at once */
		return;
	}
	sl->respawn_ms = now + sl->backoff_ms;
	log_info("%s: worker %d.%d restarts in %ld ms", m->s->name, m->gen, idx, sl->backoff_ms);
	sl->backoff_ms = sl->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : sl->backoff_ms * 2;
}

static void reap(struct master *m, bool stopping)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		bool found = false;

		for (int i = 0; i < m->nslots && !found; i++)
			if (m->slots[i].pid == pid) {
				on_exit_current(m, i, st, stopping);
				found = true;
			}
		for (int i = 0; i < m->nold && !found; i++)
			if (m->old[i] == pid) {
				char how[128];

				describe_exit(st, how, sizeof how);
				log_info("%s: retired worker pid %ld %s", m->s->name, (long)pid,
				         how);
				m->old[i] = m->old[--m->nold];
				found = true;
			}
	}
}

static int live_workers(const struct master *m)
{
	int n = m->nold;

	for (int i = 0; i < m->nslots; i++)
		if (m->slots[i].pid > 0)
			n++;
	return n;
}

static void signal_all(const struct master *m, int sig)
{
	for (int i = 0; i < m->nslots; i++)
		if (m->slots[i].pid > 0)
			kill(m->slots[i].pid, sig);
	for (int i = 0; i < m->nold; i++)
		kill(m->old[i], sig);
}

static int wait_signal(const sigset_t *set, long long timeout_ms)
{
	struct timespec ts;
	siginfo_t si;
	int sig;

	if (timeout_ms < 0)
		timeout_ms = 0;
	ts.tv_sec = (time_t)(timeout_ms / 1000);
	ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
	sig = sigtimedwait(set, &si, &ts);
	if (sig < 0 && errno != EAGAIN && errno != EINTR)
		log_warn("sigtimedwait");
	return sig;
}

/* TERM/INT/QUIT: workers get SIGTERM, then SIGKILL after the shutdown timeout. */
static void stop_all(struct master *m, const sigset_t *set)
{
	int timeout_s = m->s->shutdown_timeout_s(m->s->ctx);
	long long deadline = now_ms() + (long long)(timeout_s > 0 ? timeout_s : 1) * 1000;

	vg_notify("STOPPING=1");
	log_info("%s: stopping %d workers (up to %d s)", m->s->name, live_workers(m), timeout_s);
	signal_all(m, SIGTERM);
	reap(m, true);
	while (live_workers(m) > 0 && now_ms() < deadline) {
		long long left = deadline - now_ms();

		wait_signal(set, left < 1000 ? left : 1000);
		reap(m, true);
	}
	if (live_workers(m) > 0) {
		log_warnx("%s: %d workers still running after %d s: killing them", m->s->name,
		          live_workers(m), timeout_s);
		signal_all(m, SIGKILL);
		while (live_workers(m) > 0) {
			pid_t pid;
			int st;

			pid = waitpid(-1, &st, 0);
			if (pid < 0 && errno == ECHILD)
				break;
			if (pid > 0) {
				for (int i = 0; i < m->nslots; i++)
					if (m->slots[i].pid == pid)
						m->slots[i].pid = 0;
				for (int i = 0; i < m->nold; i++)
					if (m->old[i] == pid)
						m->old[i] = m->old[--m->nold];
			}
		}
	}
}

static void reload(struct master *m)
{
	vg_notify("RELOADING=1");
	log_info("%s: reloading", m->s->name);
	if (m->s->reload && m->s->reload(m->s->ctx) != 0) {
		log_warnx(
		    "%s: reload failed; generation %d keeps running with the old configuration",
		    m->s->name, m->gen);
		vg_notify("READY=1\nSTATUS=reload failed; running generation %d", m->gen);
		return;
	}
	struct slot *prev = m->slots;
	int nprev = m->nslots;

	/* Start the new generation before the old one stops, so work never pauses. */
	m->slots = NULL;
	start_generation(m);
	for (int i = 0; i < nprev; i++)
		if (prev[i].pid > 0) {
			kill(prev[i].pid, SIGTERM);
			keep_old(m, prev[i].pid);
		}
	free(prev);
	vg_notify("READY=1");
}

/* Milliseconds until the next respawn is due (at most one tick away). */
static long long next_wakeup(const struct master *m, long long next_tick)
{
	long long now = now_ms(), until = next_tick - now;

	for (int i = 0; i < m->nslots; i++)
		if (m->slots[i].pid == 0 && m->slots[i].respawn_ms - now < until)
			until = m->slots[i].respawn_ms - now;
	return until;
}

int vg_super_run(const struct vg_super *s)
{
	struct master m;
	sigset_t set;
	long long next_tick;

	memset(&m, 0, sizeof m);
	m.s = s;
	m.self = getpid();
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof master_signals / sizeof master_signals[0]; i++)
		sigaddset(&set, master_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, &m.orig_mask) != 0)
		fatal("sigprocmask");

	start_generation(&m);
	vg_notify("READY=1");
	next_tick = now_ms() + 1000;

	for (;;) {
		int sig = wait_signal(&set, next_wakeup(&m, next_tick));

		switch (sig) {
		case SIGCHLD:
			reap(&m, false);
			break;
		case SIGHUP:
			reload(&m);
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			log_info("%s: %s received", s->name, strsignal(sig));
			stop_all(&m, &set);
			free(m.slots);
			free(m.old);
			sigprocmask(SIG_SETMASK, &m.orig_mask, NULL);
			log_info("%s: stopped", s->name);
			return 0;
		case SIGUSR1:
			/* Reserved for reopening logs; we log to stderr/syslog only. */
			break;
		default:
			break;
		}
		/* CHLD may be merged or lost while we handled another signal: reap anyway. */
		reap(&m, false);
		spawn_due(&m);
		if (now_ms() >= next_tick) {
			if (s->tick)
				s->tick(s->ctx);
			next_tick = now_ms() + 1000;
		}
	}
}
