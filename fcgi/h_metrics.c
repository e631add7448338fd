/* GET /metrics: the shared-memory figures (this service's responders and every runner of
 * runtime.dir), then what the database, Redis and the disk say at scrape.  Never a 5xx: a
 * dependency that is down shows as veogen_dependency_up 0 and its figures are left out. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "fcgi_route.h"
#include "handlers.h"
#include "vg_metrics.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static void gauge(struct vg_buf *b, const char *name, const char *help, double v)
{
	vg_metrics_head(b, name, "gauge", help);
	vg_metrics_sample(b, name, NULL, v);
}

static bool render_jobs(struct vg_req *r, struct vg_buf *b)
{
	struct vg_err e;
	PGresult *res;

	vg_err_clear(&e);
	res = vg_db_q0(r->db, r->a, &e,
	               "SELECT kind, state, count(*) AS n FROM jobs GROUP BY kind, state "
	               "ORDER BY kind, state");
	if (!res)
		return false;
	vg_metrics_head(b, "veogen_jobs", "gauge", "Jobs in the queue table, by kind and state");
	for (int i = 0; i < PQntuples(res); i++) {
		const char *l[] = {"kind", vg_db_get(res, i, "kind"), "state",
		                   vg_db_get(res, i, "state"), NULL};

		vg_metrics_sample(b, "veogen_jobs", l, (double)vg_db_get_ll(res, i, "n", 0));
	}
	return true;
}

/* One round trip for the single-number gauges. */
static bool render_db_figures(struct vg_req *r, struct vg_buf *b)
{
	static const char *const bytes_of[] = {"files", "videos", "movies"};
	struct vg_err e;
	PGresult *res;

	vg_err_clear(&e);
	res = vg_db_q0(
	    r->db, r->a, &e,
	    "SELECT (SELECT coalesce(extract(epoch FROM now() - min(run_at)), 0) FROM jobs WHERE "
	    "state = 'queued' AND run_at <= now()) AS oldest, "
	    "(SELECT count(*) FROM jobs WHERE state = 'running' AND lease_until < now()) AS "
	    "expired, "
	    "(SELECT count(*) FROM jobs WHERE state = 'queued' AND kind = 'video.generate') AS "
	    "vqueue, "
	    "(SELECT count(*) FROM videos WHERE status = 'running') AS vactive, "
	    "(SELECT count(*) FROM movies WHERE status IN ('planning', 'rendering', "
	    "'assembling')) AS mactive, "
	    "(SELECT count(*) FROM runners WHERE seen_at > now() - interval '60 seconds') AS "
	    "runners, "
	    "(SELECT coalesce(sum(size_bytes), 0) FROM files) AS files, "
	    "(SELECT coalesce(sum((result->>'size_bytes')::numeric), 0) FROM videos WHERE status "
	    "= 'succeeded') AS videos, "
	    "(SELECT coalesce(sum((result->>'size_bytes')::numeric), 0) FROM movies WHERE status "
	    "= 'succeeded') AS movies");
	if (!res)
		return false;
	gauge(b, "veogen_jobs_oldest_queued_age_seconds",
	      "Age of the oldest queued job that is due (0 when none)",
	      vg_db_get_double(res, 0, "oldest", 0));
	gauge(b, "veogen_jobs_expired_leases", "Running jobs whose lease has expired",
	      vg_db_get_double(res, 0, "expired", 0));
	gauge(b, "veogen_video_queue_size", "Queued video.generate jobs",
	      vg_db_get_double(res, 0, "vqueue", 0));
	gauge(b, "veogen_active_video_generations", "Videos running",
	      vg_db_get_double(res, 0, "vactive", 0));
	gauge(b, "veogen_active_movie_projects", "Movies planning, rendering or assembling",
	      vg_db_get_double(res, 0, "mactive", 0));
	gauge(b, "veogen_runners_alive", "Runners that reported in the last 60 s",
	      vg_db_get_double(res, 0, "runners", 0));
	vg_metrics_head(b, "veogen_file_storage_bytes", "gauge",
	                "Bytes of stored uploads and results, as recorded in the database");
	for (size_t i = 0; i < sizeof bytes_of / sizeof bytes_of[0]; i++) {
		const char *l[] = {"storage_type", bytes_of[i], NULL};

		vg_metrics_sample(b, "veogen_file_storage_bytes", l,
		                  vg_db_get_double(res, 0, bytes_of[i], 0));
	}
	return true;
}

static void render_disk(struct vg_req *r, struct vg_buf *b)
{
	struct statvfs st;
	const char *dir = r->conf->storage_dir;

	if (!dir || statvfs(dir, &st) != 0)
		return;
	double f = (double)st.f_frsize;
	const struct {
		const char *type;
		double v;
	} rows[] = {{"used", (double)(st.f_blocks - st.f_bfree) * f},
	            {"free", (double)st.f_bavail * f},
	            {"total", (double)st.f_blocks * f}};
	vg_metrics_head(b, "veogen_system_disk_usage_bytes", "gauge",
	                "Space of the file system holding storage.dir");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *l[] = {"mount_point", dir, "type", rows[i].type, NULL};

		vg_metrics_sample(b, "veogen_system_disk_usage_bytes", l, rows[i].v);
	}
}

static void render_up(struct vg_buf *b, bool pg, bool redis)
{
	const char *pl[] = {"dependency", "postgres", NULL}, *rl[] = {"dependency", "redis", NULL};

	vg_metrics_head(b, "veogen_dependency_up", "gauge",
	                "Whether a dependency answered this scrape (1) or not (0)");
	vg_metrics_sample(b, "veogen_dependency_up", pl, pg);
	vg_metrics_sample(b, "veogen_dependency_up", rl, redis);
}

int h_metrics(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	size_t n;
	const struct vg_route *t = vg_route_table(&n);
	const char **routes = vg_arena_alloc(r->a, sizeof *routes * (n ? n : 1));
	struct vg_err e;
	bool pg, redis;

	(void)err;
	for (size_t i = 0; i < n; i++)
		routes[i] = t[i].pattern;
	vg_buf_reset(&w->body);
	vg_metrics_render(&w->body, routes, n, r->conf->runtime_dir);
	/* the jobs query goes first: it tells whether PostgreSQL answers at all */
	pg = render_jobs(r, &w->body) && render_db_figures(r, &w->body);
	vg_err_clear(&e);
	redis = vg_redis_ping(r->redis, r->a, &e) == VG_OK;
	render_disk(r, &w->body);
	render_up(&w->body, pg, redis);
	w->status = 200;
	w->content_type = CONTENT_TYPE;
	return VG_OK;
}
