/* The common main of the cron programs (see cron_common.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "cron_common.h"
#include "vg_log.h"
#include "vg_str.h"

#define MAX_OPTIONS    16
#define MIN_TIMEOUT_MS (5 * 60 * 1000) /* statements of a cron program */

int cron_usage_error(const struct cron *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun '%s -h' for the options.\n", c->prog);
	return EX_USAGE;
}

/* One message to syslog at prio and, when to is set, to that stream. */
static void emit(struct cron *c, int prio, FILE *to, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void emit(struct cron *c, int prio, FILE *to, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	syslog(prio, "%s", msg);
	if (to == stderr)
		fprintf(stderr, "%s: %s\n", c->prog, msg);
	else if (to)
		printf("%s\n", msg);
}

void cron_say(struct cron *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(c, LOG_INFO, c->verbose ? stdout : NULL, fmt, ap);
	va_end(ap);
}

void cron_notice(struct cron *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(c, LOG_WARNING, c->verbose ? stdout : NULL, fmt, ap);
	va_end(ap);
}

int cron_error(struct cron *c, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(c, LOG_ERR, stderr, fmt, ap);
	va_end(ap);
	if (c->status == EX_OK)
		c->status = status;
	return status;
}

int cron_db_error(struct cron *c, const char *what, const struct vg_err *err)
{
	const char *msg = err->msg[0] ? err->msg : vg_err_title(err->rc);

	switch (err->rc) {
	case VG_EUNAVAIL:
	case VG_ETIMEOUT:
	case VG_ERETRY:
		return cron_error(c, EX_UNAVAILABLE,
		                  "%s: %s: check that PostgreSQL runs and database.conninfo in %s",
		                  what, msg, c->conf_path);
	default:
		return cron_error(c, EX_SOFTWARE, "%s: %s", what, msg);
	}
}

/* Builds the long option table: the common ones, then the program's. */
static void options_of(const struct cron_prog *p, struct option *o)
{
	static const struct option common[] = {{"config", required_argument, NULL, 'c'},
	                                       {"dry-run", no_argument, NULL, 'n'},
	                                       {"verbose", no_argument, NULL, 'v'},
	                                       {"help", no_argument, NULL, 'h'}};
	int n = 0;

	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		o[n++] = common[i];
	for (int i = 0; p->options && p->options[i].name && n < MAX_OPTIONS; i++)
		o[n++] = p->options[i];
	o[n] = (struct option){NULL, 0, NULL, 0};
}

/* EX_OK to go on, -1 after -h (exit 0), or EX_USAGE. */
static int parse_args(struct cron *c, const struct cron_prog *p, int argc, char **argv)
{
	struct option opts[MAX_OPTIONS + 1];
	int ch, rc;

	options_of(p, opts);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:nvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->conf_path = optarg;
			break;
		case 'n':
			c->dry_run = c->verbose = true; /* a dry run that says nothing is no use */
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			fputs(p->usage, stdout);
			return -1;
		case ':':
			return cron_usage_error(c, "option %s needs a value", argv[optind - 1]);
		case '?':
			if (optopt)
				return cron_usage_error(c, "unknown option -%c", optopt);
			return cron_usage_error(c, "unknown option %s", argv[optind - 1]);
		default:
			if (!p->option || (rc = p->option(c, ch, optarg)) != EX_OK)
				return EX_USAGE;
		}
	}
	if (optind < argc)
		return cron_usage_error(
		    c, "unexpected argument \"%s\": this program takes options only", argv[optind]);
	return EX_OK;
}

/* <runtime.dir>/<prog>.lock, held (flock) until exit.  A second run gets EX_TEMPFAIL
 * and the holder's pid, which the holder wrote into the file. */
static int take_lock(struct cron *c)
{
	const char *path = vg_arena_printf(c->a, "%s/%s.lock", c->conf.runtime_dir, c->prog);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0 && errno == ENOENT && mkdir(c->conf.runtime_dir, 0750) == 0)
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return cron_error(
		    c, EX_CANTCREAT,
		    "cannot open the lock file %s: %s: check runtime.dir in %s and that "
		    "this user may write there",
		    path, strerror(errno), c->conf_path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = errno == EWOULDBLOCK ? pread(fd, pid, sizeof pid - 1, 0) : -1;

		if (n > 0)
			pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		if (n >= 0)
			return cron_error(c, EX_TEMPFAIL, "another %s runs (pid %s)", c->prog,
			                  pid[0] ? pid : "unknown");
		return cron_error(c, EX_CANTCREAT, "cannot lock %s: %s", path, strerror(errno));
	}
	char line[32];
	int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len)
		log_warn("cannot write the pid into %s", path);
	return EX_OK; /* fd stays open (and locked) until the process exits */
}

static int load_conf(struct cron *c)
{
	struct vg_err err;

	vg_err_clear(&err);
	if (vg_conf_parse(&c->conf, c->conf_path, &err) != VG_OK)
		return cron_error(c, EX_CONFIG, "%s: fix the file or name another with -c CONF",
		                  err.msg);
	return EX_OK;
}

int cron_main(int argc, char **argv, const struct cron_prog *p)
{
	struct cron c = {.prog = p->name};
	const char *env = getenv("VEOGEN_CONF");
	int rc;

	c.conf_path = env && *env ? env : VG_SYSCONFDIR "/veogen.conf";
	/* everything goes to syslog (facility cron); stderr gets errors only */
	vg_log_init(p->name, VG_LOG_SYSLOG, VG_LOG_INFO);
	openlog(p->name, LOG_PID | LOG_NDELAY, LOG_CRON);
	rc = parse_args(&c, p, argc, argv);
	if (rc != EX_OK)
		return rc < 0 ? EX_OK : rc;
	if ((rc = load_conf(&c)) != EX_OK)
		return rc;
	int lv = vg_log_level_parse(c.conf.log_level);
	vg_log_init(p->name, VG_LOG_SYSLOG, lv < 0 ? VG_LOG_INFO : (enum vg_log_level)lv);
	openlog(p->name, LOG_PID | LOG_NDELAY, LOG_CRON);
	c.a = vg_arena_create(64 * 1024);
	if ((rc = take_lock(&c)) == EX_OK) {
		/* batch deletes and a rollup of all history outlast the API's bound */
		int timeout_ms = c.conf.db_statement_timeout_ms;
		c.db = vg_db_new(c.conf.db_conninfo, p->name,
		                 timeout_ms > MIN_TIMEOUT_MS ? timeout_ms : MIN_TIMEOUT_MS);
		rc = p->run(&c);
		if (rc == EX_OK)
			rc = c.status;
		vg_db_free(c.db);
	}
	vg_arena_destroy(c.a);
	vg_conf_free(&c.conf);
	closelog();
	return rc;
}
