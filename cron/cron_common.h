/* The small common main of the cron programs (veogen-cleanup, veogen-rollup): options
 * -c CONF, -n (dry run), -v, -h; the configuration; an exclusive lock in runtime.dir so
 * two runs never overlap; syslog (facility cron) for what was done, stderr for errors
 * only; exit statuses from <sysexits.h>. */
#ifndef VG_CRON_COMMON_H
#define VG_CRON_COMMON_H

#include <getopt.h>
#include <stdbool.h>

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_db.h"
#include "vg_err.h"

struct cron {
	const char *prog;      /* "veogen-cleanup": syslog ident, lock name, message prefix */
	const char *conf_path; /* -c, else $VEOGEN_CONF, else VG_SYSCONFDIR/veogen.conf */
	bool dry_run;          /* -n: report what would be done, change nothing */
	bool verbose;          /* -v (and -n): say what was done on stdout */
	struct vg_conf conf;
	struct vg_arena *a; /* reset by the program between batches as it likes */
	struct vg_db *db;
	int status; /* exit status so far: the first failure that did not stop the run */
};

struct cron_prog {
	const char *name;  /* program name */
	const char *usage; /* the whole --help text; its first line is the synopsis */
	/* Program-specific long options (their val must not be 'c', 'n', 'v' or 'h') and the
	 * function that takes them: EX_OK, or EX_USAGE after cron_usage_error. */
	const struct option *options;
	int (*option)(struct cron *c, int opt, const char *arg);
	/* The work, with the lock held and the database handle made: an exit status. */
	int (*run)(struct cron *c);
};

/* Parses the command line, loads the config, takes the lock, runs p->run; returns the
 * exit status for main. */
int cron_main(int argc, char **argv, const struct cron_prog *p);

/* "<prog>: <message>" and the synopsis on stderr; returns EX_USAGE. */
int cron_usage_error(const struct cron *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* What was (or with -n would be) done: a line on stdout with -v, and syslog (info). */
void cron_say(struct cron *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Something an operator should look at that does not stop the run (a row whose file
 * vanished): syslog (warning) and, with -v, stdout. */
void cron_notice(struct cron *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error: stderr and syslog (err); status (an exit code) is kept in c->status unless an
 * earlier error set one.  Returns status. */
int cron_error(struct cron *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* cron_error for a library error: the exit status that fits its class (EX_UNAVAILABLE
 * when PostgreSQL is down, EX_SOFTWARE otherwise); what names the step that failed. */
int cron_db_error(struct cron *c, const char *what, const struct vg_err *err);

#endif
