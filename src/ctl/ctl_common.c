/* The parts every veogenctl command shares. */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "vg_db.h"

int ctl_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* The synopsis only: the whole text is one --help away. */
	fprintf(stderr, "\n%.*s\nRun '" PROG " --help' or '" PROG " COMMAND --help' for more.\n",
	        (int)strcspn(usage, "\n"), usage);
	return EX_USAGE;
}

/* Maps a library error class to the exit status a shell script can act on. */
int ctl_exit_status(int rc)
{
	switch (rc) {
	case VG_EUNAVAIL:
	case VG_ETIMEOUT:
	case VG_ERETRY:
		return EX_UNAVAILABLE;
	case VG_EINVAL:
	case VG_ECONFLICT:
	case VG_EBADREQ:
		return EX_DATAERR;
	case VG_ENOTFOUND:
		return EX_NOINPUT;
	default:
		return EX_SOFTWARE;
	}
}

int ctl_report(const struct ctl *ctl, const struct vg_err *err)
{
	/* Field errors say what to fix on their own; the summary line is for HTTP clients. */
	if (err->nfields == 0)
		fprintf(stderr, PROG ": %s\n", err->msg[0] ? err->msg : vg_err_title(err->rc));
	for (int i = 0; i < err->nfields; i++)
		fprintf(stderr, PROG ": %s: %s\n", err->fields[i].field, err->fields[i].message);
	if (ctl_exit_status(err->rc) == EX_UNAVAILABLE)
		fprintf(stderr, PROG ": check that PostgreSQL runs and database.conninfo in %s\n",
		        ctl->conf_path);
	return ctl_exit_status(err->rc);
}

/* Reads the config file without the JWT key files: migrate and user add need the
 * database settings only, and may run before the keys exist. */
int ctl_load_settings(struct ctl *ctl)
{
	struct vg_err err;

	vg_err_clear(&err);
	if (vg_conf_parse(&ctl->conf, ctl->conf_path, &err) != VG_OK) {
		fprintf(stderr, PROG ": %s\n" PROG ": fix the file or name another with -c CONF\n",
		        err.msg);
		return EX_CONFIG;
	}
	ctl->conf_loaded = true;
	return EX_OK;
}

int ctl_option_error(const char *usage, int c, char **argv)
{
	if (c == ':')
		return ctl_usage_error(usage, "%s needs a value", argv[optind - 1]);
	return ctl_usage_error(usage, "unknown option %s", argv[optind - 1]);
}

int ctl_args(int argc, char **argv, const char *usage, const char *const *names, int nargs,
             bool *json, const char **pos)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!json)
				return ctl_usage_error(usage, "unknown option %s",
				                       argv[optind - 1]);
			*json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EX_OK;
		default: /* '?' */
			return ctl_option_error(usage, c, argv);
		}
	}
	if (argc - optind < nargs)
		return ctl_usage_error(usage, "%s needs the %s", argv[0], names[argc - optind]);
	if (argc - optind > nargs)
		return ctl_usage_error(usage, "unexpected argument '%s'", argv[optind + nargs]);
	for (int i = 0; i < nargs; i++)
		pos[i] = argv[optind + i];
	return -1;
}

int ctl_open_db(struct ctl *ctl)
{
	int rc = ctl_load_settings(ctl);

	if (rc != EX_OK)
		return rc;
	if (!ctl->db)
		ctl->db = vg_db_new(ctl->conf.db_conninfo, PROG, ctl->conf.db_statement_timeout_ms);
	return EX_OK;
}

bool ctl_wants_help(int argc, char **argv, const char *usage)
{
	if (argc < 2 || (strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--help") != 0))
		return false;
	fputs(usage, stdout);
	return true;
}
