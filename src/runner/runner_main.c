/* veogen-runner [-c conf] [-F] [-t]: the job runner daemon.  The master (vg_super) keeps
 * runner.workers worker processes and does the housekeeping: at start-up it puts back the
 * jobs its previous life held, then every few seconds it rescues expired leases and brings
 * rows of jobs that ended without their worker in line. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_str.h"
#include "vg_super.h"

#define RESCUE_EVERY_MS    5000
#define RECONCILE_EVERY_MS 30000

struct runner_master {
	struct vg_conf conf;
	char name[128];   /* runner.name or the host name; fixed until restart */
	struct vg_db *db; /* the master's own connection, for housekeeping */
	struct vg_arena *arena;
	bool foreground;
	long long next_rescue_ms, next_reconcile_ms;
};

static void usage(void)
{
	fprintf(stderr, "usage: veogen-runner [-F] [-t] [-c config]\n"
	                "  -c config  configuration file (default " VG_SYSCONFDIR "/veogen.conf)\n"
	                "  -F         stay in the foreground and log to stderr\n"
	                "  -t         check the configuration and exit\n");
}

/* -F logs to stderr whatever log.target says (the runner's usage promises it). */
static void apply_logging(const struct runner_master *m)
{
	vg_log_configure("veogen-runner", m->foreground ? "stderr" : m->conf.log_target,
	                 m->conf.log_level);
}

static void open_db(struct runner_master *m)
{
	if (m->db)
		vg_db_free(m->db);
	m->db =
	    vg_db_new(m->conf.db_conninfo, "veogen-runner-master", m->conf.db_statement_timeout_ms);
}

/* Our previous life's jobs go back to the queue before any worker of this life exists: done
 * later, the owner prefix would take this life's jobs too.  So start-up waits for the
 * database (TERM still stops us: no signal is blocked yet). */
static void rescue_own(struct runner_master *m)
{
	char prefix[160];
	struct vg_err err;
	int n = 0;

	snprintf(prefix, sizeof prefix, "%s/", m->name);
	for (int tries = 0;; tries++) {
		vg_err_clear(&err);
		if (vg_queue_rescue_owner(m->db, m->arena, prefix, &n, &err) == VG_OK)
			break;
		if (tries % 30 == 0) {
			log_warnx("start-up: waiting for the database to put back the jobs of an "
			          "earlier %s: %s",
			          m->name, err.msg);
			vg_notify("STATUS=waiting for the database");
		}
		vg_db_end_request(m->db);
		vg_arena_reset(m->arena);
		sleep(2);
	}
	log_info("start-up: %d jobs of an earlier %s were put back in the queue", n, m->name);
	vg_db_end_request(m->db);
	vg_arena_reset(m->arena);
}

static int m_nworkers(void *ctx)
{
	const struct vg_conf *c = &((struct runner_master *)ctx)->conf;

	/* the remote loops come after the CPU workers (idx >= runner_workers), then the webhook
	 * workers */
	return c->runner_workers + c->runner_remote_workers + c->runner_webhook_workers;
}

static int m_shutdown_timeout(void *ctx)
{
	return ((struct runner_master *)ctx)->conf.runner_shutdown_timeout_s;
}

static int m_worker_main(void *ctx, int gen, int idx)
{
	struct runner_master *m = ctx;

	/* The master's connection belongs to the master: never used (or closed) here. */
	return runner_worker_main(&m->conf, m->name, gen, idx);
}

static int m_reload(void *ctx)
{
	struct runner_master *m = ctx;
	struct vg_conf fresh;
	struct vg_err err;
	char *path = vg_xstrdup(m->conf.path);
	bool db_changed;

	vg_err_clear(&err);
	if (vg_conf_load_providers(&fresh, path, &err) != VG_OK) {
		log_warnx("reload: %s", err.msg);
		free(path);
		return -1;
	}
	free(path);
	if (fresh.runner_name[0] && strcmp(fresh.runner_name, m->name) != 0)
		log_warnx("reload: runner.name changes only at restart; still %s", m->name);
	db_changed = strcmp(fresh.db_conninfo, m->conf.db_conninfo) != 0 ||
	             fresh.db_statement_timeout_ms != m->conf.db_statement_timeout_ms;
	vg_conf_free(&m->conf);
	m->conf = fresh;
	apply_logging(m);
	if (db_changed)
		open_db(m);
	log_info("reload: configuration %s loaded", m->conf.path);
	return 0;
}

/* Tells /readyz that someone will run jobs: one row per runner name, refreshed each tick. */
static void report_alive(struct runner_master *m)
{
	struct vg_err err;

	vg_err_clear(&err);
	if (!vg_db_q(m->db, m->arena, &err,
	             "INSERT INTO runners (name, pid, workers, version) VALUES ($1, $2, $3, $4) "
	             "ON CONFLICT (name) DO UPDATE SET pid = EXCLUDED.pid, workers = "
	             "EXCLUDED.workers, version = EXCLUDED.version, seen_at = now(), started_at = "
	             "CASE WHEN runners.pid = EXCLUDED.pid THEN runners.started_at ELSE now() END",
	             m->name, vg_arena_printf(m->arena, "%d", (int)getpid()),
	             vg_arena_printf(m->arena, "%d", m_nworkers(m)), PACKAGE_VERSION))
		log_warnx("cannot report this runner as alive: %s", err.msg);
}

static void m_tick(void *ctx)
{
	struct runner_master *m = ctx;
	long long now = runner_now_ms();
	struct vg_err err;
	int n;

	if (now < m->next_rescue_ms)
		return;
	m->next_rescue_ms = now + RESCUE_EVERY_MS;
	report_alive(m);
	vg_err_clear(&err);
	if (vg_queue_rescue_expired(m->db, m->arena, &n, &err) != VG_OK)
		log_warnx("cannot rescue expired leases: %s", err.msg);
	vg_db_end_request(m->db);
	vg_arena_reset(m->arena);
	if (now < m->next_reconcile_ms)
		return;
	m->next_reconcile_ms = now + RECONCILE_EVERY_MS;
	for (const struct runner_kind *k = runner_kinds; k->kind; k++) {
		if (!k->reconcile)
			continue;
		vg_err_clear(&err);
		if (k->reconcile(&m->conf, m->db, m->arena, &err) != VG_OK)
			log_warnx("cannot reconcile %s jobs: %s", k->kind, err.msg);
		vg_db_end_request(m->db);
		vg_arena_reset(m->arena);
	}
}

static void runner_name(struct runner_master *m)
{
	if (m->conf.runner_name && m->conf.runner_name[0]) {
		vg_strlcpy(m->name, m->conf.runner_name, sizeof m->name);
		return;
	}
	if (gethostname(m->name, sizeof m->name - 1) != 0 || !m->name[0])
		vg_strlcpy(m->name, "veogen-runner", sizeof m->name);
	m->name[sizeof m->name - 1] = '\0';
}

int main(int argc, char **argv)
{
	struct runner_master m;
	const char *path = getenv("VEOGEN_CONF");
	bool test = false;
	struct vg_err err;
	int opt, rc;

	memset(&m, 0, sizeof m);
	if (!path || !*path)
		path = VG_SYSCONFDIR "/veogen.conf";
	while ((opt = getopt(argc, argv, "c:Fth")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'F':
			m.foreground = true; /* we never daemonize: start-stop-daemon does */
			break;
		case 't':
			test = true;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	vg_log_init("veogen-runner", VG_LOG_STDERR, VG_LOG_INFO);
	vg_err_clear(&err);
	/* the providers' credentials, not the JWT keys: the runner never signs or verifies a
	 * token */
	if (vg_conf_load_providers(&m.conf, path, &err) != VG_OK) {
		fprintf(stderr, "veogen-runner: %s\n", err.msg);
		return 1;
	}
	if (test) {
		printf("veogen-runner: %s: configuration OK\n", path);
		vg_conf_free(&m.conf);
		return 0;
	}
	apply_logging(&m);
	runner_name(&m);
	signal(SIGPIPE, SIG_IGN);
	m.arena = vg_arena_create(8192);
	open_db(&m);
	rescue_own(&m); /* before any worker of ours can claim */
	report_alive(&m);
	vg_db_end_request(m.db);
	vg_arena_reset(m.arena);
	m.next_rescue_ms = runner_now_ms() + RESCUE_EVERY_MS;
	log_info("veogen-runner %s starting as %s with %d workers", PACKAGE_VERSION, m.name,
	         m.conf.runner_workers);

	struct vg_super s = {
	    .name = "veogen-runner",
	    .nworkers = m_nworkers,
	    .shutdown_timeout_s = m_shutdown_timeout,
	    .worker_main = m_worker_main,
	    .reload = m_reload,
	    .tick = m_tick,
	    .ctx = &m,
	};
	vg_err_clear(&err);
	if (vg_metrics_open_runner(m.conf.runtime_dir, m.name, &err) != VG_OK) /* before fork */
		log_warnx("running without runner metrics: %s", err.msg);
	rc = vg_super_run(&s);
	vg_db_free(m.db);
	vg_arena_destroy(m.arena);
	vg_conf_free(&m.conf);
	return rc;
}
