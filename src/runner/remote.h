/* The remote loop's inner parts, shared by remote_loop.c (claims, leases, the event
 * loop) and remote_op.c (one operation's submit, polls and download). */
#ifndef VG_REMOTE_H
#define VG_REMOTE_H

#include <stdbool.h>

#include "remote_provider.h"
#include "runner.h"
#include "vg_http.h"

enum op_step { OP_SUBMIT, OP_POLL, OP_DOWNLOAD };

struct op {
	struct vg_job job; /* strings below are the op's own */
	char id[40], kind[32], step[24];
	char video_id[40];
	char *model;
	struct remote_provider *prov;
	enum op_step st;
	bool busy;        /* an HTTP exchange is in flight */
	bool dead;        /* left our hands: removed at the end of the turn */
	long long due_ms; /* when the next exchange starts (while not busy) */
	int tries;        /* transient errors in a row in this step */
	int bad_answers;  /* malformed poll answers in a row */
	int hops;         /* redirects followed in this download */
	char *url;        /* of the exchange in flight or the download's current hop */
	char *body;       /* request body in flight */
	char *tmp_path;   /* download target */
	int progress, progress_saved;
	long long submitted_ms; /* monotonic, for the submit→first-poll figure */
	struct remote_loop *rl;
};

struct remote_loop {
	struct runner_worker *w;
	const struct vg_conf *c;
	const struct runner_kind *kind;
	struct vg_http *http;
	struct remote_provider gemini, vertex;
	struct op **ops;
	int n, cap;
	long long next_claim_ms, next_beat_ms, next_stats_ms;
	bool more_waiting; /* the last claim was full */
	int max_exchanges; /* HTTP exchanges in flight at once */
	/* figures for the log (and the benchmark) */
	long long polls, submits, downloads, first_poll_sum_ms, first_poll_max_ms, first_polls;
	long long polls_at_last_stats;
};

/* An op of a claimed job at its committed step, due at once. */
void op_set_step(struct op *o, enum op_step st);
/* Starts the op's next exchange (it is due and not busy). */
void op_start(struct op *o);
/* A permanent failure (rc VG_EINVAL) or a transient one (the queue retries the job). */
void op_fail(struct op *o, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A fenced call said the job is no longer ours (cancelled or taken over). */
void op_lost(struct op *o, const struct vg_err *err);
/* A database error while recording a step: the op is dropped, the job comes back to the
 * queue when its lease expires, at the step it had committed. */
void op_db_error(struct op *o, const struct vg_err *err);
/* Removes a temp file the op made and no one else will use. */
void op_remove_tmp(struct op *o);
void op_free(struct op *o);

#endif
