/* Logging in the OpenBSD log.c style, one logfmt line per event:
 *   level=info prog=veogen-fcgi pid=42 req=<id> job=<id> msg="..."
 * to stderr (journald) or syslog.  log_warn appends strerror(errno), log_warnx does not. */
#ifndef VG_LOG_H
#define VG_LOG_H

enum vg_log_level { VG_LOG_ERR = 0, VG_LOG_WARN, VG_LOG_INFO, VG_LOG_DEBUG };
enum vg_log_target { VG_LOG_STDERR = 0, VG_LOG_SYSLOG };

void vg_log_init(const char *prog, enum vg_log_target target, enum vg_log_level level);
/* Logging as the config says: target "stderr"|"syslog", level "err"|"warn"|"info"|"debug"
 * (unknown names: stderr, info). */
void vg_log_configure(const char *prog, const char *target, const char *level);
/* Parses "err|warn|info|debug"; -1 when unknown. */
int vg_log_level_parse(const char *s);
/* Request and job ids, printed on every line until cleared with NULL. */
void vg_log_set_request(const char *id);
void vg_log_set_job(const char *id);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log and exit(1): start-up failures and programmer errors only, never bad input. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
