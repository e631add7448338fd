/* veogenctl: the administrator's command line — schema migrations, accounts, config check.
 * Thin by design: parse options, load the config, call the library, map errors to
 * <sysexits.h> codes with a message that says what to fix. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_provider.h"
#include "vg_account.h"
#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_db.h"
#include "vg_err.h"
#include "vg_log.h"
#include "vg_migrate.h"

#define PASSWORD_MAX_BYTES 1024

static const char usage_main[] =
    "Usage: " PROG " [-c CONF] COMMAND [ARGS]\n"
    "\n"
    "Administers a veogen installation: the database schema, accounts and the\n"
    "configuration file.\n"
    "\n"
    "Commands:\n"
    "  migrate [--dir DIR]      apply the SQL migrations the database lacks\n"
    "  user add EMAIL [--admin] [--display-name NAME]\n"
    "                           create an account; the password comes from stdin\n"
    "  user set-quota EMAIL [--video-seconds N|default] [--cost-usd X|default]\n"
    "                           set an account's monthly quotas\n"
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
    "for refused input, 69 (EX_UNAVAILABLE) when PostgreSQL cannot be reached,\n"
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

static const char usage_user_add[] =
    "Usage: " PROG " [-c CONF] user add EMAIL [--admin] [--display-name NAME]\n"
    "\n"
    "Creates an account and prints its id.  The password (at least 10 characters) is\n"
    "taken from the environment variable VEOGEN_PASSWORD when set, otherwise read as\n"
    "one line from standard input (without echo when that is a terminal).\n"
    "\n"
    "Options:\n"
    "  -a, --admin               give the account the admin role (default: user)\n"
    "  -n, --display-name NAME   the name shown for the account\n"
    "  -h, --help                show this help\n"
    "\n"
    "Example:\n"
    "  printf '%s\\n' \"$pw\" | " PROG " user add ops@example.com --admin\n";

static const char usage_user_set_quota[] =
    "Usage: " PROG " [-c CONF] user set-quota EMAIL [--video-seconds N|default]\n"
    "                                            [--cost-usd X|default]\n"
    "\n"
    "Sets an account's monthly quotas (calendar month, UTC) and prints the quotas it now\n"
    "has.  A request that would go past one is refused with 403 quota_exceeded before it\n"
    "is queued.  \"default\" makes the account follow quotas.video_seconds_month or\n"
    "quotas.cost_usd_month of the configuration again; 0 means no limit.  Responders\n"
    "apply the change at once.\n"
    "\n"
    "Options:\n"
    "  -s, --video-seconds N|default   seconds of video a month (0..1000000000)\n"
    "  -u, --cost-usd X|default        estimated provider cost a month, in USD\n"
    "                                  (0..1000000000, up to 4 decimals)\n"
    "  -h, --help                      show this help\n"
    "\n"
    "Example:\n"
    "  " PROG " user set-quota ada@example.com --video-seconds 600 --cost-usd 25\n";

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
		case ':':
			return ctl_usage_error(usage_migrate, "%s needs a value", argv[optind - 1]);
		default:
			return ctl_usage_error(usage_migrate, "unknown option %s", argv[optind - 1]);
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

/* Reads one line without echo when stdin is a terminal; NULL at EOF or on error. */
static char *read_password_line(void)
{
	struct termios saved, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	char *line = NULL;
	size_t cap = 0;

	if (tty) {
		fprintf(stderr, "Password: ");
		quiet = saved;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ssize_t n = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static int cmd_user_add(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"admin", no_argument, NULL, 'a'},
	                                     {"display-name", required_argument, NULL, 'n'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	const char *display_name = NULL, *role = "user";
	struct vg_err err;
	char *id, *password;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":an:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			role = "admin";
			break;
		case 'n':
			display_name = optarg;
			break;
		case 'h':
			fputs(usage_user_add, stdout);
			return EX_OK;
		case ':':
			return ctl_usage_error(usage_user_add, "%s needs a value", argv[optind - 1]);
		default:
			return ctl_usage_error(usage_user_add, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(usage_user_add, "%s", "user add needs the account's EMAIL");
	if (optind + 1 < argc)
		return ctl_usage_error(usage_user_add, "unexpected argument '%s'", argv[optind + 1]);
	const char *email = argv[optind];
	if ((rc = ctl_load_settings(ctl)) != EX_OK)
		return rc;

	const char *from_env = getenv("VEOGEN_PASSWORD");
	if (from_env) {
		password = vg_xstrdup(from_env);
	} else if (!(password = read_password_line())) {
		fprintf(stderr, PROG ": no password given: write it as one line on standard input "
		                     "or set VEOGEN_PASSWORD\n");
		return EX_DATAERR;
	}

	ctl->db = vg_db_new(ctl->conf.db_conninfo, PROG, ctl->conf.db_statement_timeout_ms);
	vg_err_clear(&err);
	rc = vg_account_create(ctl->db, ctl->a, &ctl->conf, email, password, display_name, role,
	                       &id, &err);
	explicit_bzero(password, strlen(password));
	free(password);
	if (rc != VG_OK)
		return ctl_report(ctl, &err);

	char *details = vg_arena_printf(ctl->a, "{\"via\": \"veogenctl\", \"role\": \"%s\"}", role);
	vg_audit(ctl->db, ctl->a, NULL, "user.create", "user", id, NULL, NULL, details);
	printf("%s\n", id);
	return EX_OK;
}

/* "default" → NULL (the config's default); else a number in 0..1e9 as SQL text.  false
 * when the value is neither. */
static bool quota_value(const char *arg, bool integer, const char **out)
{
	char *end;
	double d;

	if (strcmp(arg, "default") == 0) {
		*out = NULL;
		return true;
	}
	if (!*arg || strspn(arg, integer ? "0123456789" : "0123456789.") != strlen(arg))
		return false;
	d = strtod(arg, &end);
	if (*end || d < 0 || d > 1e9)
		return false;
	*out = arg;
	return true;
}

static int cmd_user_set_quota(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"video-seconds", required_argument, NULL, 's'},
	                                     {"cost-usd", required_argument, NULL, 'u'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	const char *seconds = NULL, *cost = NULL;
	bool set_seconds = false, set_cost = false;
	struct vg_err err;
	PGresult *res;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":s:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!quota_value(optarg, true, &seconds))
				return ctl_usage_error(
				    usage_user_set_quota,
				    "--video-seconds must be a whole number from 0 to "
				    "1000000000 or \"default\", not '%s'",
				    optarg);
			set_seconds = true;
			break;
		case 'u':
			if (!quota_value(optarg, false, &cost))
				return ctl_usage_error(
				    usage_user_set_quota,
				    "--cost-usd must be an amount such as 25 or 12.50 "
				    "(0 to 1000000000) or \"default\", not '%s'",
				    optarg);
			set_cost = true;
			break;
		case 'h':
			fputs(usage_user_set_quota, stdout);
			return EX_OK;
		case ':':
			return ctl_usage_error(usage_user_set_quota, "%s needs a value",
			                   argv[optind - 1]);
		default:
			return ctl_usage_error(usage_user_set_quota, "unknown option %s",
			                   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(usage_user_set_quota, "%s",
		                   "user set-quota needs the account's EMAIL");
	if (optind + 1 < argc)
		return ctl_usage_error(usage_user_set_quota, "unexpected argument '%s'",
		                   argv[optind + 1]);
	if (!set_seconds && !set_cost)
		return ctl_usage_error(usage_user_set_quota, "%s",
		                   "say what to set: --video-seconds, --cost-usd or both");
	if ((rc = ctl_load_settings(ctl)) != EX_OK)
		return rc;

	ctl->db = vg_db_new(ctl->conf.db_conninfo, PROG, ctl->conf.db_statement_timeout_ms);
	vg_err_clear(&err);
	/* $2/$4 say whether to touch a column: an unset option keeps the value it had */
	res = vg_db_q(ctl->db, ctl->a, &err,
	              "UPDATE users SET quota_video_seconds_month = CASE WHEN $2 THEN "
	              "$3::integer ELSE quota_video_seconds_month END, quota_cost_usd_month = "
	              "CASE WHEN $4 THEN $5::numeric ELSE quota_cost_usd_month END WHERE email = "
	              "lower(trim($1)) RETURNING id, coalesce(quota_video_seconds_month::text, "
	              "'default') AS seconds, coalesce(quota_cost_usd_month::text, 'default') AS "
	              "cost",
	              argv[optind], set_seconds ? "true" : "false", seconds,
	              set_cost ? "true" : "false", cost);
	if (!res)
		return ctl_report(ctl, &err);
	if (PQntuples(res) != 1) {
		fprintf(stderr,
		        PROG ": no account has the email %s: check it, or create it with `" PROG
		             " user add`\n",
		        argv[optind]);
		return EX_NOINPUT;
	}
	const char *id = vg_db_get(res, 0, "id");
	char *details =
	    vg_arena_printf(ctl->a,
	                    "{\"via\": \"veogenctl\", \"quota_video_seconds_month\": \"%s\", "
	                    "\"quota_cost_usd_month\": \"%s\"}",
	                    vg_db_get(res, 0, "seconds"), vg_db_get(res, 0, "cost"));
	vg_audit(ctl->db, ctl->a, NULL, "user.set_quota", "user", id, NULL, NULL, details);
	printf("%s video_seconds_month=%s cost_usd_month=%s\n", id, vg_db_get(res, 0, "seconds"),
	       vg_db_get(res, 0, "cost"));
	return EX_OK;
}

static int cmd_user(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage_error(usage_user_add, "%s",
		                   "user needs a subcommand: add or set-quota");
	if (strcmp(argv[1], "add") == 0)
		return cmd_user_add(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "set-quota") == 0)
		return cmd_user_set_quota(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_user_add, stdout);
		fputs("\n", stdout);
		fputs(usage_user_set_quota, stdout);
		return EX_OK;
	}
	return ctl_usage_error(usage_user_add, "unknown user subcommand '%s' (known: add, set-quota)",
	                   argv[1]);
}

static int cmd_config(struct ctl *ctl, int argc, char **argv)
{
	struct vg_err err;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_config_check, stdout);
		return EX_OK;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return ctl_usage_error(usage_config_check, "%s", "config needs a subcommand: check");
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
    {"migrate", cmd_migrate},
    {"user", cmd_user},
    {"config", cmd_config},
    {"provider", cmd_provider},
    {"apikey", ctl_cmd_apikey},
    {"job", ctl_cmd_job},
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
		case ':':
			return ctl_usage_error(usage_main, "%s needs a value", argv[optind - 1]);
		default:
			return ctl_usage_error(usage_main, "unknown option %s", argv[optind - 1]);
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
