/* veogenctl user add|list|set-role|disable|enable|set-quota: accounts, changed through
 * vg_useradmin like PATCH /api/v1/admin/users/{id}, so the same rules and audit rows apply. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_user.h"
#include "vg_account.h"
#include "vg_arena.h"
#include "vg_db.h"
#include "vg_json.h"
#include "vg_str.h"
#include "vg_useradmin.h"

const struct vg_actor ctl_actor = {.via = "veogenctl"};

static const char usage_user[] =
    "Usage: " PROG " [-c CONF] user SUBCOMMAND [ARGS]\n"
    "\n"
    "Manages accounts.  Changes take effect at once in every responder, and each one is\n"
    "recorded in the audit log (action user.create or user.update, via veogenctl).\n"
    "\n"
    "Subcommands:\n"
    "  add EMAIL [--admin] [--display-name NAME]\n"
    "                           create an account; the password comes from stdin\n"
    "  list [--role R] [--disabled] [--json]\n"
    "                           list the accounts\n"
    "  set-role EMAIL user|admin\n"
    "                           give an account the user or the admin role\n"
    "  disable EMAIL            refuse the account's tokens and API keys from now on\n"
    "  enable EMAIL             let a disabled account in again\n"
    "  set-quota EMAIL [--video-seconds N|default] [--cost-usd X|default]\n"
    "                           set an account's monthly quotas\n"
    "\n"
    "Run '" PROG " user SUBCOMMAND --help' for a subcommand's options.\n";

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
    "Exit status: 0 when created, 65 (EX_DATAERR) for an invalid email or password or an\n"
    "email that already has an account, 69 (EX_UNAVAILABLE) when PostgreSQL is down.\n"
    "\n"
    "Example:\n"
    "  printf '%s\\n' \"$pw\" | " PROG " user add ops@example.com --admin\n";

static const char usage_user_list[] =
    "Usage: " PROG " [-c CONF] user list [--role user|admin] [--disabled] [--json]\n"
    "\n"
    "Lists the accounts, oldest first: a table of email, role, status (enabled or\n"
    "disabled), creation time and id; or, with --json, a JSON array of objects {id, email,\n"
    "display_name, role, disabled, created_at, quota: {video_seconds_month,\n"
    "cost_usd_month}} where a null quota means the configured default.\n"
    "\n"
    "Options:\n"
    "  -r, --role user|admin   only the accounts with this role\n"
    "  -d, --disabled          only the disabled accounts\n"
    "  -j, --json              print JSON for scripts instead of the table\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 69\n"
    "(EX_UNAVAILABLE) when PostgreSQL is down.\n"
    "\n"
    "Examples:\n"
    "  " PROG " user list --role admin\n"
    "  " PROG " user list --json | jq -r '.[] | select(.disabled) | .email'\n";

static const char usage_user_set_role[] =
    "Usage: " PROG " [-c CONF] user set-role EMAIL user|admin\n"
    "\n"
    "Gives the account the role user or admin and prints its id and new role.  Admins\n"
    "may use /api/v1/admin/*.  The last enabled admin cannot be made a user: give another\n"
    "account the admin role first.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 on success (also when the account had the role already), 64\n"
    "(EX_USAGE) for a wrong command line, 65 (EX_DATAERR) when the change would leave no\n"
    "enabled admin, 66 (EX_NOINPUT) when no account has the email, 69 (EX_UNAVAILABLE)\n"
    "when PostgreSQL is down.\n"
    "\n"
    "Example:\n"
    "  " PROG " user set-role ada@example.com admin\n";

static const char usage_user_disable[] =
    "Usage: " PROG " [-c CONF] user disable EMAIL\n"
    "\n"
    "Disables the account and prints its id: from now on its access tokens and API keys\n"
    "are refused with 403 account_disabled, and it cannot sign in.  Its videos, movies\n"
    "and keys are kept; `" PROG " user enable` lets it in again.  The last enabled admin\n"
    "cannot be disabled.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 65 (EX_DATAERR)\n"
    "when the change would leave no enabled admin, 66 (EX_NOINPUT) when no account has\n"
    "the email, 69 (EX_UNAVAILABLE) when PostgreSQL is down.\n"
    "\n"
    "Example:\n"
    "  " PROG " user disable mallory@example.com\n";

static const char usage_user_enable[] =
    "Usage: " PROG " [-c CONF] user enable EMAIL\n"
    "\n"
    "Enables a disabled account and prints its id: its tokens and API keys that have not\n"
    "expired or been revoked work again at once.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 66 (EX_NOINPUT)\n"
    "when no account has the email, 69 (EX_UNAVAILABLE) when PostgreSQL is down.\n"
    "\n"
    "Example:\n"
    "  " PROG " user enable mallory@example.com\n";

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
    "                                  (0..99999999.9999, up to 4 decimals)\n"
    "  -h, --help                      show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line or value, 66\n"
    "(EX_NOINPUT) when no account has the email, 69 (EX_UNAVAILABLE) when PostgreSQL is\n"
    "down.\n"
    "\n"
    "Example:\n"
    "  " PROG " user set-quota ada@example.com --video-seconds 600 --cost-usd 25\n";

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

static int cmd_add(struct ctl *ctl, int argc, char **argv)
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
		default: /* ':' (a value missing) or '?' */
			return ctl_option_error(usage_user_add, c, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(usage_user_add, "%s", "user add needs the account's EMAIL");
	if (optind + 1 < argc)
		return ctl_usage_error(usage_user_add, "unexpected argument '%s'",
		                       argv[optind + 1]);
	const char *email = argv[optind];
	if ((rc = ctl_open_db(ctl)) != EX_OK)
		return rc;

	const char *from_env = getenv("VEOGEN_PASSWORD");
	if (from_env) {
		password = vg_xstrdup(from_env);
	} else if (!(password = read_password_line())) {
		fprintf(stderr, PROG ": no password given: write it as one line on standard input "
		                     "or set VEOGEN_PASSWORD\n");
		return EX_DATAERR;
	}

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

static json_t *user_json(const PGresult *res, int i)
{
	const char *secs = vg_db_get(res, i, "quota_video_seconds_month");
	const char *cost = vg_db_get(res, i, "quota_cost_usd_month");

	return json_pack(
	    "{s:s, s:s, s:o, s:s, s:b, s:o, s:{s:o, s:o}}", "id", vg_db_get(res, i, "id"), "email",
	    vg_db_get(res, i, "email"), "display_name",
	    vg_json_str_or_null(vg_db_get(res, i, "display_name")), "role",
	    vg_db_get(res, i, "role"), "disabled", vg_db_get_bool(res, i, "disabled"), "created_at",
	    vg_json_time(vg_db_get(res, i, "created_at")), "quota", "video_seconds_month",
	    secs ? json_integer(vg_db_get_ll(res, i, "quota_video_seconds_month", 0)) : json_null(),
	    "cost_usd_month",
	    cost ? json_real(vg_db_get_double(res, i, "quota_cost_usd_month", 0)) : json_null());
}

static void print_users_json(struct ctl *ctl, const PGresult *res)
{
	json_t *arr = vg_json_own(ctl->a, json_array());

	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, user_json(res, i));
	json_dumpf(arr, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

static void print_users_table(const PGresult *res)
{
	int w = (int)strlen("EMAIL");

	for (int i = 0; i < PQntuples(res); i++) {
		int n = (int)strlen(vg_db_get(res, i, "email"));
		w = n > w ? n : w;
	}
	printf("%-*s  %-5s  %-8s  %-20s  %s\n", w, "EMAIL", "ROLE", "STATUS", "CREATED", "ID");
	for (int i = 0; i < PQntuples(res); i++)
		printf("%-*s  %-5s  %-8s  %-20s  %s\n", w, vg_db_get(res, i, "email"),
		       vg_db_get(res, i, "role"),
		       vg_db_get_bool(res, i, "disabled") ? "disabled" : "enabled",
		       vg_db_get(res, i, "created_at"), vg_db_get(res, i, "id"));
}

static int cmd_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"role", required_argument, NULL, 'r'},
	                                     {"disabled", no_argument, NULL, 'd'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	const char *role = NULL;
	bool disabled = false, json = false;
	struct vg_err err;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":r:djh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (strcmp(optarg, "user") != 0 && strcmp(optarg, "admin") != 0)
				return ctl_usage_error(usage_user_list,
				                       "--role must be user or admin, not '%s'",
				                       optarg);
			role = optarg;
			break;
		case 'd':
			disabled = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_user_list, stdout);
			return EX_OK;
		default: /* ':' (a value missing) or '?' */
			return ctl_option_error(usage_user_list, c, argv);
		}
	}
	if (optind < argc)
		return ctl_usage_error(usage_user_list, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_open_db(ctl)) != EX_OK)
		return rc;
	vg_err_clear(&err);
	PGresult *res = vg_db_q(ctl->db, ctl->a, &err,
	                        "SELECT " VG_USERADMIN_COLUMNS " FROM users WHERE ($1::text IS "
	                        "NULL OR role = $1) AND (NOT $2::bool OR disabled) "
	                        "ORDER BY created_at, email",
	                        role, disabled ? "true" : "false");
	if (!res)
		return ctl_report(ctl, &err);
	if (json)
		print_users_json(ctl, res);
	else
		print_users_table(res);
	return EX_OK;
}

/* Resolves email and applies chg; *row gets the account after the change. */
static int change_user(struct ctl *ctl, const char *email, const struct vg_user_change *chg,
                       PGresult **row)
{
	struct vg_err err;
	const char *id;
	int rc;

	if ((rc = ctl_open_db(ctl)) != EX_OK)
		return rc;
	vg_err_clear(&err);
	if (!(id = vg_useradmin_id_by_email(ctl->db, ctl->a, email, &err)))
		return ctl_report(ctl, &err);
	if (vg_useradmin_update(ctl->db, ctl->a, id, chg, &ctl_actor, row, &err) != VG_OK)
		return ctl_report(ctl, &err);
	return EX_OK;
}

static int cmd_set_role(struct ctl *ctl, int argc, char **argv)
{
	static const char *const names[] = {"account's EMAIL", "ROLE (user or admin)"};
	struct vg_user_change chg = {.disabled = -1};
	const char *pos[2];
	PGresult *row;
	int rc;

	if ((rc = ctl_args(argc, argv, usage_user_set_role, names, 2, NULL, pos)) >= 0)
		return rc;
	if (strcmp(pos[1], "user") != 0 && strcmp(pos[1], "admin") != 0)
		return ctl_usage_error(usage_user_set_role,
		                       "the role must be user or admin, not '%s'", pos[1]);
	chg.role = pos[1];
	if ((rc = change_user(ctl, pos[0], &chg, &row)) != EX_OK)
		return rc;
	printf("%s role=%s\n", vg_db_get(row, 0, "id"), vg_db_get(row, 0, "role"));
	return EX_OK;
}

/* user disable and user enable. */
static int set_disabled(struct ctl *ctl, int argc, char **argv, const char *usage, int disabled)
{
	static const char *const names[] = {"account's EMAIL"};
	struct vg_user_change chg = {.disabled = disabled};
	const char *email;
	PGresult *row;
	int rc;

	if ((rc = ctl_args(argc, argv, usage, names, 1, NULL, &email)) >= 0)
		return rc;
	if ((rc = change_user(ctl, email, &chg, &row)) != EX_OK)
		return rc;
	printf("%s disabled=%s\n", vg_db_get(row, 0, "id"),
	       vg_db_get_bool(row, 0, "disabled") ? "true" : "false");
	return EX_OK;
}

static int cmd_disable(struct ctl *ctl, int argc, char **argv)
{
	return set_disabled(ctl, argc, argv, usage_user_disable, 1);
}

static int cmd_enable(struct ctl *ctl, int argc, char **argv)
{
	return set_disabled(ctl, argc, argv, usage_user_enable, 0);
}

/* "default" → NULL (the config's default); else a number as SQL text, its range checked
 * by vg_useradmin.  false when the value is neither. */
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
	if (*end || d < 0 || d > (integer ? 1e9 : 99999999.9999))
		return false;
	*out = arg;
	return true;
}

static int cmd_set_quota(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"video-seconds", required_argument, NULL, 's'},
	                                     {"cost-usd", required_argument, NULL, 'u'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	struct vg_user_change chg = {.disabled = -1};
	PGresult *row;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":s:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!quota_value(optarg, true, &chg.quota_seconds))
				return ctl_usage_error(
				    usage_user_set_quota,
				    "--video-seconds must be a whole number from 0 to "
				    "1000000000 or \"default\", not '%s'",
				    optarg);
			chg.set_quota_seconds = true;
			break;
		case 'u':
			if (!quota_value(optarg, false, &chg.quota_cost))
				return ctl_usage_error(
				    usage_user_set_quota,
				    "--cost-usd must be an amount such as 25 or 12.50 "
				    "(0 to 99999999.9999) or \"default\", not '%s'",
				    optarg);
			chg.set_quota_cost = true;
			break;
		case 'h':
			fputs(usage_user_set_quota, stdout);
			return EX_OK;
		default: /* ':' (a value missing) or '?' */
			return ctl_option_error(usage_user_set_quota, c, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(usage_user_set_quota, "%s",
		                       "user set-quota needs the account's EMAIL");
	if (optind + 1 < argc)
		return ctl_usage_error(usage_user_set_quota, "unexpected argument '%s'",
		                       argv[optind + 1]);
	if (!chg.set_quota_seconds && !chg.set_quota_cost)
		return ctl_usage_error(usage_user_set_quota, "%s",
		                       "say what to set: --video-seconds, --cost-usd or both");
	if ((rc = change_user(ctl, argv[optind], &chg, &row)) != EX_OK)
		return rc;
	const char *secs = vg_db_get(row, 0, "quota_video_seconds_month");
	const char *cost = vg_db_get(row, 0, "quota_cost_usd_month");
	printf("%s video_seconds_month=%s cost_usd_month=%s\n", vg_db_get(row, 0, "id"),
	       secs ? secs : "default", cost ? cost : "default");
	return EX_OK;
}

static const struct subcommand {
	const char *name;
	int (*run)(struct ctl *ctl, int argc, char **argv);
} subcommands[] = {
    {"add", cmd_add},         {"list", cmd_list},     {"set-role", cmd_set_role},
    {"disable", cmd_disable}, {"enable", cmd_enable}, {"set-quota", cmd_set_quota},
};

int ctl_cmd_user(struct ctl *ctl, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv, usage_user))
		return EX_OK;
	if (argc < 2)
		return ctl_usage_error(usage_user, "%s",
		                       "user needs a subcommand: add, list, set-role, disable, "
		                       "enable or set-quota");
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(ctl, argc - 1, argv + 1);
	return ctl_usage_error(usage_user,
	                       "unknown user subcommand '%s' (known: add, list, set-role, disable, "
	                       "enable, set-quota)",
	                       argv[1]);
}
