/* /healthz (the responder runs) and /readyz (its dependencies answer).
 * readyz is 503 when the API cannot do its work (PostgreSQL, storage or ffmpeg missing);
 * a down Redis or runner leaves it 200 with status "degraded": the API keeps serving
 * (rate limits fail open, jobs wait in the queue) and says so. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "fcgi_http.h"
#include "handlers.h"
#include "vg_json.h"
#include "vg_storage.h"

int h_healthz(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	(void)err;
	vg_resp_json(w, 200, vg_json_own(r->a, json_pack("{s:s}", "status", "ok")));
	return VG_OK;
}

static json_t *check(bool ok, const char *detail)
{
	return ok ? json_pack("{s:s}", "status", "ok")
	          : json_pack("{s:s, s:s}", "status", "down", "detail", detail);
}

static json_t *check_postgres(struct vg_req *r, bool *ok)
{
	struct vg_err e;

	vg_err_clear(&e);
	*ok = vg_db_q0(r->db, r->a, &e, "SELECT 1") != NULL;
	return check(*ok, e.msg);
}

static json_t *check_runner(struct vg_req *r, bool db_ok, bool *ok)
{
	struct vg_err e;
	PGresult *res;

	*ok = false;
	if (!db_ok)
		return check(false, "unknown while PostgreSQL is down");
	vg_err_clear(&e);
	res = vg_db_q0(r->db, r->a, &e,
	               "SELECT count(*) AS n FROM runners WHERE seen_at > now() - interval '30 "
	               "seconds'");
	*ok = res && vg_db_get_ll(res, 0, "n", 0) > 0;
	return check(*ok,
	             res ? "no veogen-runner has reported in the last 30 s: start one" : e.msg);
}

int h_readyz(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct vg_err e;
	bool pg, redis, storage, ffmpeg, runner;
	json_t *checks = json_object();

	(void)err;
	json_object_set_new(checks, "postgres", check_postgres(r, &pg));
	vg_err_clear(&e);
	redis = vg_redis_ping(r->redis, r->a, &e) == VG_OK;
	json_object_set_new(checks, "redis",
	                    check(redis, "Redis is unavailable: rate limits and logout "
	                                 "revocation are off until it is back"));
	vg_err_clear(&e);
	storage = vg_storage_check(r->conf->storage_dir, &e) == VG_OK;
	json_object_set_new(checks, "storage", check(storage, e.msg));
	ffmpeg =
	    access(r->conf->ffmpeg_path, X_OK) == 0 && access(r->conf->ffprobe_path, X_OK) == 0;
	json_object_set_new(checks, "ffmpeg",
	                    check(ffmpeg, "ffmpeg.path or ffmpeg.ffprobe_path is not an "
	                                  "executable: install ffmpeg or fix the config"));
	json_object_set_new(checks, "runner", check_runner(r, pg, &runner));

	bool ready = pg && storage && ffmpeg;
	json_t *out = vg_json_own(
	    r->a, json_pack("{s:s, s:o}", "status",
	                    !ready ? "unavailable" : (redis && runner ? "ok" : "degraded"),
	                    "checks", checks));
	vg_resp_json(w, ready ? 200 : 503, out);
	if (!ready)
		vg_resp_header(w, "Retry-After", "5");
	return VG_OK;
}
