/* veogenctl: the administrator's command line — schema migrations, accounts, config check.
 * Thin by design: parse options, load the config, call the library, map errors to
 * <sysexits.h> codes with a message that says what to fix.  The account commands are in
 * ctl_user.c and ctl_apikey.c, the queue's in ctl_job.c. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "ctl_provider.h"
#include "ctl_user.h"
#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_db.h"
#include "vg_err.h"
#include "vg_log.h"
#include "vg_migrate.h"

static const char usage_main[] =
    "Usage: " PROG " [-c CONF] COMMAND [ARGS]\n"
    "\n"
    "Administers a veogen installation: the database schema, accounts, API keys, the\n"
    "job queue and the configuration file.  Every change to an account, a key or a job\n"
    "is recorded in the audit log.\n"
    "\n"
    "Commands:\n"
    "  migrate [--dir DIR]      apply the SQL migrations the database lacks\n"
    "  user add EMAIL [--admin] [--display-name NAME]\n"
    "                           create an account; the password comes from stdin\n"
    "  user list [--role R] [--disabled] [--json]\n"
    "                           list the accounts\n"
    "  user set-role EMAIL user|admin\n"
    "                           give an account the user or the admin role\n"
    "  user disable EMAIL       refuse an account's tokens and API keys from now on\n"
    "  user enable EMAIL        let a disabled account in again\n"
    "  user set-quota EMAIL [--video-seconds N|default] [--cost-usd X|default]\n"
    "                           set an account's monthly quotas\n"
    "  apikey create EMAIL --name NAME\n"
    "                           create an API key for an account and print it once\n"
    "  apikey list EMAIL [--json]\n"
    "                           list an account's API keys\n"
    "  apikey revoke ID         revoke an API key\n"
    "  job list [--state S] [--kind K] [--limit N] [--cursor ID] [--json]\n"
    "                           list the jobs of the queue, newest first\n"
    "  job show ID [--json]     show one job with its payload and last error\n"
    "  job retry ID             queue a failed or cancelled job again\n"
    "  job cancel ID            cancel a job that has not finished\n"
    "  config check             load the configuration and report the first problem\n"
    "  provider check           ask the enabled providers which configured models answer\n"
    "\n"
    "Options:\n"
    "  -c, --config CONF        configuration file (default: $VEOGEN_CONF, else\n"
    "                           " VG_SYSCONFDIR "/veogen.conf)\n"
    "  -h, --help               show this help; `" PROG " COMMAND --help` shows a\n"
    "                           command's own\n"
    "  -V, --version            print the version\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 65 (EX_DATAERR)\n"
    "for refused input or a refused change, 66 (EX_NOINPUT) when the account, key or job\n"
    "named does not exist, 69 (EX_UNAVAILABLE) when PostgreSQL cannot be reached,\n"
    "78 (EX_CONFIG) for a configuration that does not load, 70 (EX_SOFTWARE) otherwise.\n";

static const char usage_migrate[] =
    "Usage: " PROG " [-c CONF] migrate [--dir DIR]\n"
    "\n"
    "Applies, in order, every DIR/NNNN_name.sql file not yet recorded in the table\n"
    "schema_migrations, each in its own transaction.  Concurrent runs are serialised by\n"
    "an advisory lock, so running it twice is harmless.  Prints \"applied N migrations\"\n"
    "or \"database is up to date\".  Statements run without the configured\n"
    "statement_timeout, since building an index may take longer.\n"
    "\n"
    "Options:\n"
    "  -d, --dir DIR   directory of the migration files (default: " VG_DATADIR "/sql)\n"
    "  -h, --help      show this help\n";

static const char usage_provider_check[] =
    "Usage: " PROG " [-c CONF] provider check\n"
    "\n"
    "Asks every enabled remote provider about each model of its capability table\n"
    "(providers.gemini.models, providers.vertex.models) and about the Gemini text model,\n"
    "with the configured credentials: GET /v1beta/models/ID on the Gemini API, the\n"
    "publisher model on Vertex AI (after fetching an access token).  These calls are not\n"
    "billed.  Prints one line per model, \"ok\" or why not; a model that is not served\n"
    "(404) was probably retired: remove it from the table or fix its id.\n"
    "\n"
    "Exit status: 0 when every model answered, 69 (EX_UNAVAILABLE) when one did not,\n"
    "78 (EX_CONFIG) when no remote provider is enabled or the configuration does not load.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n";

static const char usage_config_check[] =
    "Usage: " PROG " [-c CONF] config check\n"
    "\n"
    "Loads the configuration exactly as the daemons do (unknown keys, wrong types,\n"
    "values out of range and unreadable JWT key files are errors) and prints\n"
    "\"configuration OK: FILE\" with exit status 0, or the problem with exit status 1.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n";

static int cmd_migrate(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *dir = VG_DATADIR "/sql";
	struct vg_err err;
	int c, applied = 0, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			fputs(usage_migrate, stdout);
			return EX_OK;
		default: /* ':' (a value missing) or '?' */
			return ctl_option_error(usage_migrate, c, argv);
		}
	}
	if (optind < argc)
		return ctl_usage_error(usage_migrate, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_load_settings(ctl)) != EX_OK)
		return rc;

	ctl->db = vg_db_new(ctl->conf.db_conninfo, PROG, 0);
	vg_err_clear(&err);
	if (vg_migrate_run(ctl->db, dir, &applied, &err) != VG_OK)
		return ctl_report(ctl, &err);
	if (applied == 0)
		printf("database is up to date\n");
	else
		printf("applied %d migration%s\n", applied, applied == 1 ? "" : "s");
	return EX_OK;
}

static int cmd_config(struct ctl *ctl, int argc, char **argv)
{
	struct vg_err err;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_config_check, stdout);
		return EX_OK;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return ctl_usage_error(usage_config_check, "%s",
		                       "config needs a subcommand: check");
	if (argc > 2) {
		if (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
			fputs(usage_config_check, stdout);
			return EX_OK;
		}
		return ctl_usage_error(usage_config_check, "unexpected argument '%s'", argv[2]);
	}
	vg_err_clear(&err);
	if (vg_conf_load(&ctl->conf, ctl->conf_path, &err) != VG_OK) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return 1;
	}
	ctl->conf_loaded = true;
	printf("configuration OK: %s\n", ctl->conf_path);
	return EX_OK;
}

static int cmd_provider(struct ctl *ctl, int argc, char **argv)
{
	struct vg_err err;
	int bad;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_provider_check, stdout);
		return EX_OK;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return ctl_usage_error(usage_provider_check, "%s",
		                       "provider needs a subcommand: check");
	if (argc > 2)
		return ctl_usage_error(usage_provider_check, "unexpected argument '%s'", argv[2]);
	vg_err_clear(&err);
	if (vg_conf_load_providers(&ctl->conf, ctl->conf_path, &err) != VG_OK) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return EX_CONFIG;
	}
	ctl->conf_loaded = true;
	bad = ctl_provider_check(&ctl->conf, stdout);
	if (bad < 0) {
		fprintf(stderr,
		        PROG ": no remote provider is enabled: set providers.gemini.enabled "
		             "or providers.vertex.enabled in %s\n",
		        ctl->conf_path);
		return EX_CONFIG;
	}
	return bad == 0 ? EX_OK : EX_UNAVAILABLE;
}

static const struct command {
	const char *name;
	int (*run)(struct ctl *ctl, int argc, char **argv);
} commands[] = {
    {"migrate", cmd_migrate},   {"user", ctl_cmd_user},     {"config", cmd_config},
    {"provider", cmd_provider}, {"apikey", ctl_cmd_apikey}, {"job", ctl_cmd_job},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {"version", no_argument, NULL, 'V'},
	                                     {0}};
	struct ctl ctl = {0};
	int c, rc = -1;

	ctl.conf_path = getenv("VEOGEN_CONF");
	if (!ctl.conf_path || !ctl.conf_path[0])
		ctl.conf_path = VG_SYSCONFDIR "/veogen.conf";
	/* "+": options end at the command, whose own options are parsed by the command. */
	while ((c = getopt_long(argc, argv, "+:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctl.conf_path = optarg;
			break;
		case 'h':
			fputs(usage_main, stdout);
			return EX_OK;
		case 'V':
			printf(PROG " (" PACKAGE_NAME ") " PACKAGE_VERSION "\n");
			return EX_OK;
		default: /* ':' (a value missing) or '?' */
			return ctl_option_error(usage_main, c, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(usage_main, "%s", "no command given");
	if (strcmp(argv[optind], "help") == 0) {
		fputs(usage_main, stdout);
		return EX_OK;
	}

	vg_log_init(PROG, VG_LOG_STDERR, VG_LOG_WARN);
	ctl.a = vg_arena_create(64 * 1024);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			rc = commands[i].run(&ctl, argc - optind, argv + optind);
	if (rc == -1)
		rc = ctl_usage_error(usage_main, "unknown command '%s'", argv[optind]);

	vg_arena_destroy(ctl.a);
	if (ctl.db)
		vg_db_free(ctl.db);
	if (ctl.conf_loaded)
		vg_conf_free(&ctl.conf);
	return rc;
}
