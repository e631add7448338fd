#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vg_log.h"
#include "vg_str.h"

static char log_prog[32] = "veogen";
static enum vg_log_target log_target = VG_LOG_STDERR;
static enum vg_log_level log_level = VG_LOG_INFO;
static char log_req[64];
static char log_job[64];

static const char *const level_names[] = {"err", "warn", "info", "debug"};
static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void vg_log_init(const char *prog, enum vg_log_target target, enum vg_log_level level)
{
	vg_strlcpy(log_prog, prog, sizeof log_prog);
	if (log_target == VG_LOG_SYSLOG)
		closelog();
	log_target = target;
	log_level = level;
	if (target == VG_LOG_SYSLOG)
		openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void vg_log_configure(const char *prog, const char *target, const char *level)
{
	int lv = vg_log_level_parse(level);

	vg_log_init(prog, strcmp(target, "syslog") == 0 ? VG_LOG_SYSLOG : VG_LOG_STDERR,
	            lv < 0 ? VG_LOG_INFO : (enum vg_log_level)lv);
}

int vg_log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void vg_log_set_request(const char *id)
{
	vg_strlcpy(log_req, id ? id : "", sizeof log_req);
}

void vg_log_set_job(const char *id)
{
	vg_strlcpy(log_job, id ? id : "", sizeof log_job);
}

/* Writes msg as a logfmt quoted value: quotes and backslashes escaped, control bytes dropped. */
static size_t quote(char *out, size_t size, const char *msg)
{
	size_t o = 0;

	for (const char *p = msg; *p && o + 3 < size; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			out[o++] = ' ';
		} else if (c >= 0x20) {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

__attribute__((format(printf, 3, 0))) static void vlog(enum vg_log_level level, int with_errno,
                                                       const char *fmt, va_list ap)
{
	char msg[2048], q[2048 + 64], ids[160] = "";
	int saved = errno;
	size_t n;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof msg - n, ": %s", strerror(saved));
	}
	quote(q, sizeof q, msg);
	if (log_req[0] || log_job[0])
		snprintf(ids, sizeof ids, "%s%s%s%s", log_req[0] ? " req=" : "", log_req,
		         log_job[0] ? " job=" : "", log_job);
	if (log_target == VG_LOG_SYSLOG) {
		syslog(syslog_prio[level], "level=%s%s msg=\"%s\"", level_names[level], ids, q);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[40];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "ts=%s.%03ldZ level=%s prog=%s pid=%d%s msg=\"%s\"\n", when,
		        ts.tv_nsec / 1000000, level_names[level], log_prog, (int)getpid(), ids, q);
	}
	errno = saved;
}

#define DEFINE_LOG(name, level, with_errno)                                                        \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(level, with_errno, fmt, ap);                                                  \
		va_end(ap);                                                                        \
	}

DEFINE_LOG(log_warn, VG_LOG_WARN, 1)
DEFINE_LOG(log_warnx, VG_LOG_WARN, 0)
DEFINE_LOG(log_info, VG_LOG_INFO, 0)
DEFINE_LOG(log_debug, VG_LOG_DEBUG, 0)
DEFINE_LOG(log_errx, VG_LOG_ERR, 0)

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(VG_LOG_ERR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(VG_LOG_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
