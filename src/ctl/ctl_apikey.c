/* veogenctl apikey create|list|revoke: an administrator's hand on any account's API keys,
 * through vg_apikey like /api/v1/api-keys, so the rules and audit rows are the same. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "ctl_user.h"
#include "vg_apikey.h"
#include "vg_arena.h"
#include "vg_json.h"
#include "vg_str.h"
#include "vg_useradmin.h"

static const char usage_apikey[] =
    "Usage: " PROG " [-c CONF] apikey SUBCOMMAND [ARGS]\n"
    "\n"
    "Manages the API keys of any account.  A key is sent as X-API-Key: vg_… (or as a\n"
    "Bearer token) and acts as its account.  Only a hash of each key is stored, so a\n"
    "key is shown once, when it is created.  Creating and revoking are recorded in the\n"
    "audit log (apikey.create, apikey.revoke, via veogenctl).\n"
    "\n"
    "Subcommands:\n"
    "  create EMAIL --name NAME   create a key for the account and print it\n"
    "  list EMAIL [--json]        list the account's keys that are not revoked\n"
    "  revoke ID                  revoke a key: it is refused from now on\n"
    "\n"
    "Run '" PROG " apikey SUBCOMMAND --help' for a subcommand's options.\n";

static const char usage_apikey_create[] =
    "Usage: " PROG " [-c CONF] apikey create EMAIL --name NAME\n"
    "\n"
    "Creates an API key for the account with this email and prints it as four lines\n"
    "\"id: ID\", \"name: NAME\", \"prefix: PREFIX\" and \"key: vg_…\".  The key is not\n"
    "stored and cannot be shown again: hand it over now, or revoke it and create another\n"
    "when it is lost.  The prefix (its first 12 characters) is what lists show.\n"
    "\n"
    "Options:\n"
    "  -n, --name NAME   a label for the key, 1 to 100 characters (required)\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 65 (EX_DATAERR)\n"
    "for an invalid name, 66 (EX_NOINPUT) when no account has the email, 69\n"
    "(EX_UNAVAILABLE) when PostgreSQL is down.\n"
    "\n"
    "Example:\n"
    "  key=$(" PROG " apikey create ci@example.com --name ci | awk '$1 == \"key:\" {print $2}')\n";

static const char usage_apikey_list[] =
    "Usage: " PROG " [-c CONF] apikey list EMAIL [--json]\n"
    "\n"
    "Lists the account's API keys that are not revoked, newest first: a table of id,\n"
    "prefix, creation time, last use (to the minute, \"-\" when never used) and name; or,\n"
    "with --json, a JSON array of objects {id, name, prefix, created_at, last_used_at}.\n"
    "\n"
    "Options:\n"
    "  -j, --json   print JSON for scripts instead of the table\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 66 (EX_NOINPUT)\n"
    "when no account has the email, 69 (EX_UNAVAILABLE) when PostgreSQL is down.\n"
    "\n"
    "Example:\n"
    "  " PROG " apikey list ci@example.com --json | jq -r '.[].id'\n";

static const char usage_apikey_revoke[] =
    "Usage: " PROG " [-c CONF] apikey revoke ID\n"
    "\n"
    "Revokes the API key with this id (as `" PROG " apikey list` prints it), whoever owns\n"
    "it, and prints \"revoked ID\".  Requests with the key are refused with 401\n"
    "invalid_api_key from now on; a revoked key cannot be restored.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 65 (EX_DATAERR)\n"
    "when ID is not a key id, 66 (EX_NOINPUT) when no key that is not revoked has this\n"
    "id, 69 (EX_UNAVAILABLE) when PostgreSQL is down.\n"
    "\n"
    "Example:\n"
    "  " PROG " apikey revoke 0b6f5d1e-8a4c-4e2a-9c55-3f1d2b7a9e10\n";

/* The account of email, or NULL after reporting why (*rc: the exit status). */
static const char *account_id(struct ctl *ctl, const char *email, int *rc)
{
	struct vg_err err;
	const char *id;

	if ((*rc = ctl_open_db(ctl)) != EX_OK)
		return NULL;
	vg_err_clear(&err);
	if (!(id = vg_useradmin_id_by_email(ctl->db, ctl->a, email, &err)))
		*rc = ctl_report(ctl, &err);
	return id;
}

static int cmd_create(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *name = NULL, *user_id;
	struct vg_apikey key;
	struct vg_err err;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'h':
			fputs(usage_apikey_create, stdout);
			return EX_OK;
		default: /* ':' (a value missing) or '?' */
			return ctl_option_error(usage_apikey_create, c, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(usage_apikey_create, "%s",
		                       "apikey create needs the account's EMAIL");
	if (optind + 1 < argc)
		return ctl_usage_error(usage_apikey_create, "unexpected argument '%s'",
		                       argv[optind + 1]);
	if (!name)
		return ctl_usage_error(usage_apikey_create, "%s",
		                       "say what the key is for with --name NAME");
	if (!(user_id = account_id(ctl, argv[optind], &rc)))
		return rc;
	vg_err_clear(&err);
	if (vg_apikey_create(ctl->db, ctl->a, user_id, name, &ctl_actor, &key, &err) != VG_OK)
		return ctl_report(ctl, &err);
	printf("id: %s\nname: %s\nprefix: %s\nkey: %s\n", key.id, key.name, key.prefix, key.key);
	fprintf(stderr, PROG ": store the key now: it cannot be shown again\n");
	return EX_OK;
}

static void print_keys_json(struct ctl *ctl, const struct vg_apikey *keys, int n)
{
	json_t *arr = vg_json_own(ctl->a, json_array());

	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", keys[i].id,
		                                     "name", keys[i].name, "prefix", keys[i].prefix,
		                                     "created_at", vg_json_time(keys[i].created_at),
		                                     "last_used_at",
		                                     vg_json_time(keys[i].last_used_at)));
	json_dumpf(arr, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

static void print_keys_table(const struct vg_apikey *keys, int n)
{
	printf("%-36s  %-12s  %-20s  %-20s  %s\n", "ID", "PREFIX", "CREATED", "LAST USED", "NAME");
	for (int i = 0; i < n; i++)
		printf("%-36s  %-12s  %-20s  %-20s  %s\n", keys[i].id, keys[i].prefix,
		       keys[i].created_at, keys[i].last_used_at ? keys[i].last_used_at : "-",
		       keys[i].name);
}

static int cmd_list(struct ctl *ctl, int argc, char **argv)
{
	static const char *const names[] = {"account's EMAIL"};
	const char *email, *user_id;
	struct vg_apikey *keys;
	struct vg_err err;
	bool json = false;
	int n, rc;

	if ((rc = ctl_args(argc, argv, usage_apikey_list, names, 1, &json, &email)) >= 0)
		return rc;
	if (!(user_id = account_id(ctl, email, &rc)))
		return rc;
	vg_err_clear(&err);
	if (vg_apikey_list(ctl->db, ctl->a, user_id, &keys, &n, &err) != VG_OK)
		return ctl_report(ctl, &err);
	if (json)
		print_keys_json(ctl, keys, n);
	else
		print_keys_table(keys, n);
	return EX_OK;
}

static int cmd_revoke(struct ctl *ctl, int argc, char **argv)
{
	static const char *const names[] = {"key's ID"};
	struct vg_err err;
	const char *id;
	int rc;

	if ((rc = ctl_args(argc, argv, usage_apikey_revoke, names, 1, NULL, &id)) >= 0)
		return rc;
	if (!vg_str_is_uuid(id)) {
		fprintf(stderr,
		        PROG ": '%s' is not an API key id: use the id (a UUID) that `" PROG
		             " apikey list EMAIL` prints, not the key or its prefix\n",
		        id);
		return EX_DATAERR;
	}
	if ((rc = ctl_open_db(ctl)) != EX_OK)
		return rc;
	vg_err_clear(&err);
	if (vg_apikey_revoke(ctl->db, ctl->a, NULL, id, &ctl_actor, &err) != VG_OK) {
		if (err.rc != VG_ENOTFOUND)
			return ctl_report(ctl, &err);
		fprintf(stderr,
		        PROG ": no API key that is not revoked has the id %s: check it with `" PROG
		             " apikey list EMAIL`\n",
		        id);
		return EX_NOINPUT;
	}
	printf("revoked %s\n", id);
	return EX_OK;
}

static const struct subcommand {
	const char *name;
	int (*run)(struct ctl *ctl, int argc, char **argv);
} subcommands[] = {
    {"create", cmd_create},
    {"list", cmd_list},
    {"revoke", cmd_revoke},
};

int ctl_cmd_apikey(struct ctl *ctl, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv, usage_apikey))
		return EX_OK;
	if (argc < 2)
		return ctl_usage_error(usage_apikey, "%s",
		                       "apikey needs a subcommand: create, list or revoke");
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(ctl, argc - 1, argv + 1);
	return ctl_usage_error(
	    usage_apikey, "unknown apikey subcommand '%s' (known: create, list, revoke)", argv[1]);
}
