/* Rate limits in Redis: fixed one-minute windows per user or API key, counted with one
 * atomic script call.  A Redis outage never stops the API: limits fail open, logged. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fcgi_ratelimit.h"
#include "vg_log.h"

/* INCR, and set the expiry on the first hit of a window; returns {count, ttl}. */
static const char incr_script[] = "local n = redis.call('INCR', KEYS[1]) "
                                  "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
                                  "return {n, redis.call('TTL', KEYS[1])}";

static time_t last_warning;

static void warn_fail_open(const char *why)
{
	time_t now = time(NULL);

	if (now - last_warning >= 10) { /* a down Redis must not flood the log */
		log_warnx("rate limiting is off while Redis is unavailable: %s", why);
		last_warning = now;
	}
}

/* Counts one hit on key (count_it) or reads it; *n and *ttl get the window's state.
 * false when Redis could not answer (caller fails open). */
static bool window_hit(struct vg_req *r, const char *key, int window_s, bool count_it, long long *n,
                       long long *ttl)
{
	struct vg_err rerr;
	redisReply *rep;

	vg_err_clear(&rerr);
	if (count_it) {
		const char *argv[] = {"EVAL", incr_script, "1", key,
		                      vg_arena_printf(r->a, "%d", window_s)};
		rep = vg_redis_cmdv(r->redis, r->a, &rerr, 5, argv);
		if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
			warn_fail_open(rep && rep->type == REDIS_REPLY_ERROR ? rep->str : rerr.msg);
			return false;
		}
		*n = rep->element[0]->integer;
		*ttl = rep->element[1]->integer;
		return true;
	}
	const char *argv[] = {"GET", key};
	rep = vg_redis_cmdv(r->redis, r->a, &rerr, 2, argv);
	if (!rep) {
		warn_fail_open(rerr.msg);
		return false;
	}
	*n = 0;
	*ttl = window_s;
	if (rep->type == REDIS_REPLY_STRING) {
		long long v = 0;
		if (sscanf(rep->str, "%lld", &v) == 1)
			*n = v;
		const char *targv[] = {"TTL", key};
		redisReply *t = vg_redis_cmdv(r->redis, r->a, &rerr, 2, targv);
		if (t && t->type == REDIS_REPLY_INTEGER && t->integer > 0)
			*ttl = t->integer;
	}
	return true;
}

static int over_limit(struct vg_err *err, long long ttl, const char *what)
{
	int wait_s = ttl > 0 ? (int)ttl : 1;

	vg_err_set(err, VG_ERATE, "rate_limited", "too many %s: wait %d seconds and try again",
	           what, wait_s);
	err->retry_after = wait_s;
	return VG_ERATE;
}

/* One budget: returns VG_OK or VG_ERATE; sets the RateLimit-* headers when w is given. */
static int spend(struct vg_req *r, struct vg_resp *w, const char *bucket, int limit,
                 const char *what, struct vg_err *err)
{
	long long n, ttl;
	time_t now = time(NULL);
	const char *subject = r->who.api_key_id[0] ? r->who.api_key_id : r->who.user_id;
	char *key =
	    vg_arena_printf(r->a, "vg:rl:%s:%s:%lld", bucket, subject, (long long)(now / 60));

	if (limit <= 0 || !window_hit(r, key, 70, true, &n, &ttl))
		return VG_OK;
	long long reset = 60 - (long long)(now % 60);
	if (w) {
		vg_resp_header(w, "RateLimit-Limit", "%d", limit);
		vg_resp_header(w, "RateLimit-Remaining", "%lld", n >= limit ? 0 : limit - n);
		vg_resp_header(w, "RateLimit-Reset", "%lld", reset);
	}
	if (n > limit)
		return over_limit(err, reset, what);
	return VG_OK;
}

int vg_ratelimit_check(struct vg_req *r, struct vg_resp *w, enum vg_rate_class cls,
                       struct vg_err *err)
{
	int rc;

	if (cls == VG_RATE_NONE || !r->who.authenticated)
		return VG_OK;
	rc = spend(r, w, "req", r->conf->limits_requests_per_min, "requests", err);
	if (rc == VG_OK && cls == VG_RATE_CREATE)
		rc = spend(r, NULL, "create", r->conf->limits_creates_per_min,
		           "requests that create work", err);
	return rc;
}

int vg_ratelimit_hit(struct vg_req *r, const char *key, int limit, int window_s, bool count_it,
                     struct vg_err *err)
{
	long long n, ttl;

	if (limit <= 0 || !window_hit(r, key, window_s, count_it, &n, &ttl))
		return VG_OK;
	if (count_it ? n > limit : n >= limit)
		return over_limit(err, ttl, "attempts");
	return VG_OK;
}
