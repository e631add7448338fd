/* veogenctl job: the job queue from the command line — list, show, retry, cancel.  The
 * work is src/vg_jobadmin.c, shared with /api/v1/admin/jobs. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "vg_jobadmin.h"
#include "vg_str.h"

static const char usage_job_list[] =
    "Usage: " PROG " [-c CONF] job list [--state S] [--kind K] [--limit N] [--cursor ID]\n"
    "                                 [--json]\n"
    "\n"
    "Lists the jobs of the queue, newest first: one line each with the id, kind, state,\n"
    "current step, tries used (retries/max_attempts), creation time (UTC), the video or\n"
    "movie it works for and the code of its last error.  When more jobs match than\n"
    "--limit, the last line says how to get the next page.\n"
    "\n"
    "Options:\n"
    "  -s, --state S    only jobs in state S: blocked, queued, running, succeeded,\n"
    "                   failed or cancelled\n"
    "  -k, --kind K     only jobs of kind K: video.generate, movie.plan or movie.assemble\n"
    "  -n, --limit N    at most N jobs (1..100, default 20)\n"
    "  -C, --cursor ID  the page after job ID (the next_cursor of the page before)\n"
    "  -j, --json       print the page as JSON, {\"items\": [...], \"next_cursor\": ID|null},\n"
    "                   the same objects as GET /api/v1/admin/jobs\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong option, 65 (EX_DATAERR) for a\n"
    "cursor that no longer names a job, 69 (EX_UNAVAILABLE) when PostgreSQL cannot be\n"
    "reached.\n"
    "\n"
    "Examples:\n"
    "  " PROG " job list --state failed\n"
    "  " PROG " job list --kind video.generate --json | jq -r '.items[].id'\n";

static const char usage_job_show[] =
    "Usage: " PROG " [-c CONF] job show ID [--json]\n"
    "\n"
    "Prints one job: its state, step and tries, its lease (who runs it and until when),\n"
    "its times, the video or movie and user it works for, its last error, the jobs it\n"
    "waits on, its payload and the data its steps kept.\n"
    "\n"
    "Options:\n"
    "  -j, --json   print the job as JSON, as GET /api/v1/admin/jobs/ID does\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 on success, 66 (EX_NOINPUT) when no job has the id, 69\n"
    "(EX_UNAVAILABLE) when PostgreSQL cannot be reached.\n"
    "\n"
    "Example:\n"
    "  " PROG " job show 0b6f3c9e-6f0e-4d8b-9a57-2f1c8e0f4a11\n";

static const char usage_job_retry[] =
    "Usage: " PROG " [-c CONF] job retry ID\n"
    "\n"
    "Runs a failed or cancelled job again from its first step, with all its tries: it\n"
    "goes back to queued at once and an idle runner picks it up.  The video it makes goes\n"
    "back to queued too, its error cleared.  Jobs of a movie (its plan, its assembly and\n"
    "its scene takes) are not retried one by one: render the movie again with\n"
    "POST /api/v1/movies/ID/render.  Recorded in the audit log as job.retry.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 when the job is queued again, 65 (EX_DATAERR) when it cannot be\n"
    "retried (it is not failed or cancelled, it belongs to a movie, its video was\n"
    "deleted; the message says what to do instead), 66 (EX_NOINPUT) when no job has the\n"
    "id, 69 (EX_UNAVAILABLE) when PostgreSQL cannot be reached.\n"
    "\n"
    "Example:\n"
    "  " PROG " job list --state failed --json | jq -r '.items[].id' |\n"
    "      xargs -n1 " PROG " job retry\n";

static const char usage_job_cancel[] =
    "Usage: " PROG " [-c CONF] job cancel ID\n"
    "\n"
    "Cancels a blocked, queued or running job.  A running job stops at its next step or\n"
    "heartbeat.  Its video is cancelled as its owner's POST /api/v1/videos/ID/cancel\n"
    "does; a job of a movie (its plan, its assembly or a scene take) stops the whole movie\n"
    "as POST /api/v1/movies/ID/cancel does.  Recorded in the audit log as job.cancel.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 when the job is cancelled, 65 (EX_DATAERR) when it has already\n"
    "finished, 66 (EX_NOINPUT) when no job has the id, 69 (EX_UNAVAILABLE) when\n"
    "PostgreSQL cannot be reached.\n"
    "\n"
    "Example:\n"
    "  " PROG " job cancel 0b6f3c9e-6f0e-4d8b-9a57-2f1c8e0f4a11\n";

static const char usage_job[] =
    "Usage: " PROG " [-c CONF] job list|show|retry|cancel ...\n"
    "\n"
    "Looks at and acts on the job queue: every video and every movie's plan, scene take\n"
    "and assembly is a job.\n"
    "\n"
    "Commands:\n"
    "  job list [--state S] [--kind K] [--limit N] [--cursor ID] [--json]\n"
    "                  list jobs, newest first\n"
    "  job show ID [--json]\n"
    "                  print one job with its payload, state data and dependencies\n"
    "  job retry ID    run a failed or cancelled job again\n"
    "  job cancel ID   cancel a blocked, queued or running job\n"
    "\n"
    "Run '" PROG " job COMMAND --help' for a command's options and exit status.\n";

/* A JSON string member, "-" when null or absent: table cells are never empty. */
static const char *cell(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : "-";
}

static void print_row(const json_t *j)
{
	const char *video = json_string_value(json_object_get(j, "video_id"));
	const char *movie = json_string_value(json_object_get(j, "movie_id"));
	char tries[32];

	snprintf(tries, sizeof tries, "%lld/%lld",
	         (long long)json_integer_value(json_object_get(j, "retries")),
	         (long long)json_integer_value(json_object_get(j, "max_attempts")));
	printf("%-36s  %-14s  %-9s  %-16s  %-5s  %-20s  %s%s  %s\n", cell(j, "id"), cell(j, "kind"),
	       cell(j, "state"), cell(j, "step"), tries, cell(j, "created_at"),
	       video   ? "video:"
	       : movie ? "movie:"
	               : "",
	       video   ? video
	       : movie ? movie
	               : "-",
	       cell(json_object_get(j, "last_error"), "code"));
}

static int print_json(const json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2)) != 0)
		return EX_IOERR;
	putchar('\n');
	return EX_OK;
}

/* The operand of job show, retry and cancel, for ctl_args' message. */
static const char *const job_id_name[] = {"job's ID (see `" PROG " job list`)"};

static int list_options(int argc, char **argv, struct vg_job_filter *f, bool *json)
{
	static const struct option opts[] = {{"state", required_argument, NULL, 's'},
	                                     {"kind", required_argument, NULL, 'k'},
	                                     {"limit", required_argument, NULL, 'n'},
	                                     {"cursor", required_argument, NULL, 'C'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	uint64_t n;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":s:k:n:C:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			f->state = optarg;
			break;
		case 'k':
			f->kind = optarg;
			break;
		case 'n':
			if (!vg_str_u64(optarg, VG_JOBADMIN_MAX_LIMIT, &n) || n < 1)
				return ctl_usage_error(
				    usage_job_list,
				    "--limit must be a whole number from 1 to %d, "
				    "not '%s'",
				    VG_JOBADMIN_MAX_LIMIT, optarg);
			f->limit = (int)n;
			break;
		case 'C':
			f->cursor = optarg;
			break;
		case 'j':
			*json = true;
			break;
		case 'h':
			fputs(usage_job_list, stdout);
			return -1;
		default: /* ':' (a value missing) or '?' */
			return ctl_option_error(usage_job_list, c, argv);
		}
	}
	if (optind < argc)
		return ctl_usage_error(usage_job_list, "unexpected argument '%s'", argv[optind]);
	return EX_OK;
}

/* A value the command line got wrong is a usage error, not refused data. */
static int check_list_values(const struct vg_job_filter *f)
{
	bool ok = !f->state;

	for (int i = 0; f->state && vg_job_states[i]; i++)
		ok |= strcmp(f->state, vg_job_states[i]) == 0;
	if (!ok)
		return ctl_usage_error(
		    usage_job_list,
		    "--state must be blocked, queued, running, succeeded, failed "
		    "or cancelled, not '%s'",
		    f->state);
	ok = !f->kind;
	for (int i = 0; f->kind && vg_job_kinds[i]; i++)
		ok |= strcmp(f->kind, vg_job_kinds[i]) == 0;
	if (!ok)
		return ctl_usage_error(
		    usage_job_list,
		    "--kind must be video.generate, movie.plan or movie.assemble, "
		    "not '%s'",
		    f->kind);
	if (f->cursor && !vg_str_is_uuid(f->cursor))
		return ctl_usage_error(usage_job_list,
		                       "--cursor must be a job id (the next_cursor of a page), not "
		                       "'%s'",
		                       f->cursor);
	return EX_OK;
}

static int cmd_list(struct ctl *ctl, int argc, char **argv)
{
	struct vg_job_filter f = {.limit = VG_JOBADMIN_DEFAULT_LIMIT};
	const char *next = NULL;
	struct vg_err err;
	bool json = false;
	json_t *items;
	int rc;

	if ((rc = list_options(argc, argv, &f, &json)) != EX_OK)
		return rc < 0 ? EX_OK : rc;
	if ((rc = check_list_values(&f)) != EX_OK || (rc = ctl_open_db(ctl)) != EX_OK)
		return rc;
	vg_err_clear(&err);
	if (vg_jobadmin_list(ctl->db, ctl->a, &f, &items, &next, &err) != VG_OK)
		return ctl_report(ctl, &err);
	if (json) {
		json_t *page = json_pack("{s:O, s:o}", "items", items, "next_cursor",
		                         next ? json_string(next) : json_null());
		rc = print_json(page);
		json_decref(page);
		return rc;
	}
	printf("%-36s  %-14s  %-9s  %-16s  %-5s  %-20s  %s  %s\n", "ID", "KIND", "STATE", "STEP",
	       "TRIES", "CREATED", "FOR", "ERROR");
	for (size_t i = 0; i < json_array_size(items); i++)
		print_row(json_array_get(items, i));
	if (next)
		printf("more: " PROG " job list --cursor %s%s%s%s%s\n", next,
		       f.state ? " --state " : "", f.state ? f.state : "", f.kind ? " --kind " : "",
		       f.kind ? f.kind : "");
	return EX_OK;
}

static void print_field(const json_t *job, const char *key)
{
	const json_t *v = json_object_get(job, key);

	if (json_is_string(v)) {
		printf("%-13s %s\n", key, json_string_value(v));
	} else if (json_is_null(v) || !v) {
		printf("%-13s -\n", key);
	} else {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		printf("%-13s %s\n", key, text ? text : "?");
		free(text);
	}
}

static int cmd_show(struct ctl *ctl, int argc, char **argv)
{
	static const char *const keys[] = {
	    "id",          "kind",         "state",    "step",        "priority",   "attempt",
	    "retries",     "max_attempts", "run_at",   "lease_until", "locked_by",  "heartbeat_at",
	    "last_error",  "video_id",     "movie_id", "user_id",     "created_at", "started_at",
	    "finished_at", "depends_on",   "payload",  "state_data",  NULL};
	const char *id = NULL;
	struct vg_err err;
	bool json = false;
	json_t *job;
	int rc;

	if ((rc = ctl_args(argc, argv, usage_job_show, job_id_name, 1, &json, &id)) >= 0)
		return rc;
	if ((rc = ctl_open_db(ctl)) != EX_OK)
		return rc;
	vg_err_clear(&err);
	if (vg_jobadmin_get(ctl->db, ctl->a, id, &job, &err) != VG_OK)
		return ctl_report(ctl, &err);
	if (json)
		return print_json(job);
	for (int i = 0; keys[i]; i++)
		print_field(job, keys[i]);
	return EX_OK;
}

/* retry and cancel: one id, one library call, one line saying what happened. */
static int cmd_act(struct ctl *ctl, int argc, char **argv, bool retry)
{
	const struct vg_actor who = {.via = "veogenctl"};
	const char *id = NULL;
	struct vg_err err;
	json_t *job;
	int rc;

	if ((rc = ctl_args(argc, argv, retry ? usage_job_retry : usage_job_cancel, job_id_name, 1,
	                   NULL, &id)) >= 0)
		return rc;
	if ((rc = ctl_open_db(ctl)) != EX_OK)
		return rc;
	vg_err_clear(&err);
	rc = retry ? vg_jobadmin_retry(ctl->db, ctl->a, id, &who, &job, &err)
	           : vg_jobadmin_cancel(ctl->db, ctl->a, id, &who, &job, &err);
	if (rc != VG_OK)
		return ctl_report(ctl, &err);
	const char *video = json_string_value(json_object_get(job, "video_id"));
	const char *movie = json_string_value(json_object_get(job, "movie_id"));
	printf("job %s %s%s%s%s\n", id, cell(job, "state"),
	       video   ? " (video "
	       : movie ? " (movie "
	               : "",
	       video   ? video
	       : movie ? movie
	               : "",
	       video || movie ? ")" : "");
	return EX_OK;
}

int ctl_cmd_job(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage_error(usage_job, "%s",
		                       "job needs a subcommand: list, show, retry or cancel");
	const char *sub = argv[1];
	if (strcmp(sub, "list") == 0)
		return cmd_list(ctl, argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0)
		return cmd_show(ctl, argc - 1, argv + 1);
	if (strcmp(sub, "retry") == 0)
		return cmd_act(ctl, argc - 1, argv + 1, true);
	if (strcmp(sub, "cancel") == 0)
		return cmd_act(ctl, argc - 1, argv + 1, false);
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage_job, stdout);
		fputs("\n", stdout);
		fputs(usage_job_list, stdout);
		fputs("\n", stdout);
		fputs(usage_job_show, stdout);
		fputs("\n", stdout);
		fputs(usage_job_retry, stdout);
		fputs("\n", stdout);
		fputs(usage_job_cancel, stdout);
		return EX_OK;
	}
	return ctl_usage_error(
	    usage_job, "unknown job subcommand '%s' (known: list, show, retry, cancel)", sub);
}
