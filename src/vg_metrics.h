/* Prometheus metrics kept in shared memory, so every process of a service adds to the same
 * figures and a scrape of any responder sees them all.
 *
 * veogen-fcgi's master maps an anonymous MAP_SHARED segment before it forks its responders;
 * veogen-runner's master maps <runtime.dir>/runner-<name>.metrics, which the responders read
 * at scrape (its counters count even after the runner died; its gauges then read 0).
 * The layout is fixed arrays indexed by enumerations: updates are relaxed atomic adds, with
 * no allocation and no lock.  Without a segment (veogenctl, cron, unit tests) every update
 * is a no-op. */
#ifndef VG_METRICS_H
#define VG_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "vg_buf.h"
#include "vg_err.h"

#define VG_METRICS_MAX_ROUTES 95 /* route table entries; one more slot for "(unmatched)" */
#define VG_METRICS_MAX_SLOTS  64 /* runner worker processes with in-flight gauges */

/* veogen-fcgi's master, before fork.  VG_EINTERNAL when mmap fails. */
int vg_metrics_init_anon(struct vg_err *err);
/* veogen-runner's master, before fork: maps (creating runtime_dir 0750 and the file when
 * missing) <runtime_dir>/runner-<name>.metrics.  A file of the same layout keeps its
 * counters and loses its gauges; any other file is replaced.  On failure the caller runs
 * without runner metrics. */
int vg_metrics_open_runner(const char *runtime_dir, const char *name, struct vg_err *err);
/* The runner file's path for a runner name (for tests and the scrape). */
int vg_metrics_runner_path(const char *runtime_dir, const char *name, char *out, size_t size);
/* A runner worker after fork: the slot (its worker index) its in-flight gauges live in. */
void vg_metrics_worker_slot(int idx);
/* Unmaps this process's segment (tests). */
void vg_metrics_detach(void);

/* One HTTP request: route = index in the route table, -1 when none matched. */
void vg_metrics_http(int route, const char *method, int status, double seconds);
/* A video reached a terminal state (succeeded/failed/cancelled); seconds (started →
 * finished) < 0 when there is none; the duration histogram counts successes only. */
void vg_metrics_generation(const char *status, const char *provider, const char *style,
                           double seconds);
/* A movie reached a terminal state. */
void vg_metrics_movie(const char *status, const char *style);
/* One provider API call (submit, poll, download, token, generate_text): error_code NULL
 * when it went well, else "429", "4xx", "5xx", "network" or "invalid_response". */
void vg_metrics_provider_call(const char *provider, const char *operation, const char *error_code,
                              double seconds);
/* The error code of an HTTP exchange: NULL for 1xx–3xx, "network" when no answer came. */
const char *vg_metrics_http_error_code(long status, int curl_code);
/* One ffmpeg/ffprobe run; rc is vg_spawn_run's (VG_OK, VG_ETIMEOUT, VG_ECANCELLED, …). */
void vg_metrics_ffmpeg(const char *operation, int rc, double seconds);
/* One webhook delivery attempt: "delivered" (2xx), "retry" (failed, tried again later),
 * "failed" (failed, no more tries) or "refused" (the address is not allowed; counted
 * instead of retry/failed). */
void vg_metrics_webhook(const char *result);
/* This worker's in-flight operations of a job kind (or "remote"). */
void vg_metrics_inflight_add(const char *kind, long delta);
void vg_metrics_inflight_set(const char *kind, long value);

/* Scrape: this process's segment plus every runner-*.metrics of runtime_dir (NULL: none),
 * summed and written in the text format 0.0.4.  routes[i] names route index i.  VG_ETOOBIG
 * when out is full. */
int vg_metrics_render(struct vg_buf *out, const char *const *routes, size_t nroutes,
                      const char *runtime_dir);

/* Text-format helpers for figures computed at scrape. */
/* "# HELP name help\n# TYPE name type\n" */
int vg_metrics_head(struct vg_buf *b, const char *name, const char *type, const char *help);
/* name{k1="v1",…} value\n; labels is NULL-terminated key, value pairs (NULL for none). */
int vg_metrics_sample(struct vg_buf *b, const char *name, const char *const *labels, double v);
/* A label value with \\, \" and \n escaped. */
int vg_metrics_escape(struct vg_buf *b, const char *s);

#endif
