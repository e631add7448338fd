/* What every veogenctl command shares: the command line's state, exit statuses from
 * <sysexits.h>, and error reports that say what to fix. */
#ifndef VG_CTL_H
#define VG_CTL_H

#include <stdbool.h>

#include "vg_conf.h"
#include "vg_err.h"

#define PROG "veogenctl"

struct vg_arena;
struct vg_db;

struct ctl {
	const char *conf_path;
	struct vg_conf conf;
	bool conf_loaded;
	struct vg_arena *a;
	struct vg_db *db;
};

/* Prints "veogenctl: <message>", the usage's first line and where help is; returns
 * EX_USAGE. */
int ctl_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The usage error for getopt_long's ':' (an option without its value) or anything else it
 * returns for an option it does not know; c is its return value. */
int ctl_option_error(const char *usage, int c, char **argv);

/* Maps a library error class to the exit status a shell script can act on. */
int ctl_exit_status(int rc);

/* Prints err (its field errors one per line) and returns ctl_exit_status(err->rc). */
int ctl_report(const struct ctl *ctl, const struct vg_err *err);

/* Reads the config file without the JWT key files; EX_OK or EX_CONFIG (reported). */
int ctl_load_settings(struct ctl *ctl);

/* ctl_load_settings, then opens ctl->db (lazily connected); EX_OK or EX_CONFIG. */
int ctl_open_db(struct ctl *ctl);

/* Parses a subcommand that takes exactly nargs operands (named in names, for the message)
 * and at most --json (when json is not NULL) and --help.  Returns -1 when the command may
 * go on with the operands in pos, else the exit status (help shown: EX_OK). */
int ctl_args(int argc, char **argv, const char *usage, const char *const *names, int nargs,
             bool *json, const char **pos);

/* true when argv[1] is -h or --help: prints usage to stdout. */
bool ctl_wants_help(int argc, char **argv, const char *usage);

/* Subcommands implemented in their own files. */
int ctl_cmd_apikey(struct ctl *ctl, int argc, char **argv);
int ctl_cmd_job(struct ctl *ctl, int argc, char **argv);

#endif
