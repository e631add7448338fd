/* The per-request Redis gate: logout revocation and rate-limit windows, counted by one
 * script call, so an authenticated request costs one Redis round trip.  A Redis outage never
 * stops the API: both fail open, logged. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fcgi_auth.h"
#include "fcgi_ratelimit.h"
#include "vg_log.h"

/* KEYS[1]: a revoked-token key or "" (none); KEYS[2..]: windows to count, each expiring
 * ARGV[1] seconds after its first hit.  Returns {revoked, count, ttl, count, ttl, …}. */
static const char gate_script[] =
    "local out = {0} "
    "if KEYS[1] ~= '' then out[1] = redis.call('EXISTS', KEYS[1]) end "
    "for i = 2, #KEYS do "
    "  local n = redis.call('INCR', KEYS[i]) "
    "  if n == 1 then redis.call('EXPIRE', KEYS[i], ARGV[1]) end "
    "  out[#out + 1] = n "
    "  out[#out + 1] = redis.call('TTL', KEYS[i]) "
    "end "
    "return out";

#define MAX_WINDOWS 2

static time_t last_warning;

static void warn_fail_open(const char *why)
{
	time_t now = time(NULL);

	if (now - last_warning >= 10) { /* a down Redis must not flood the log */
		log_warnx("rate limits and logout revocation are off while Redis is unavailable: "
		          "%s",
		          why);
		last_warning = now;
	}
}

struct window {
	long long count, ttl;
};

/* Runs the script; false when Redis could not answer (the caller fails open). */
static bool run_gate(struct vg_req *r, const char *revoked_key, const char *const *keys, int nkeys,
                     int expire_s, bool *revoked, struct window *out)
{
	const char *argv[4 + 1 + MAX_WINDOWS + 1];
	struct vg_err rerr;
	redisReply *rep;
	int argc = 0;

	argv[argc++] = "EVAL";
	argv[argc++] = gate_script;
	argv[argc++] = vg_arena_printf(r->a, "%d", nkeys + 1);
	argv[argc++] = revoked_key ? revoked_key : "";
	for (int i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	argv[argc++] = vg_arena_printf(r->a, "%d", expire_s);
	vg_err_clear(&rerr);
	rep = vg_redis_cmdv(r->redis, r->a, &rerr, argc, argv);
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 1 + 2 * (size_t)nkeys) {
		warn_fail_open(rep && rep->type == REDIS_REPLY_ERROR ? rep->str : rerr.msg);
		return false;
	}
	*revoked = rep->element[0]->integer == 1;
	for (int i = 0; i < nkeys; i++) {
		out[i].count = rep->element[1 + 2 * i]->integer;
		out[i].ttl = rep->element[2 + 2 * i]->integer;
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

int vg_ratelimit_check(struct vg_req *r, struct vg_resp *w, enum vg_rate_class cls,
                       struct vg_err *err)
{
	const struct vg_conf *c = r->conf;
	const char *subject = r->who.api_key_id[0] ? r->who.api_key_id : r->who.user_id;
	const char *revoked_key = NULL, *keys[MAX_WINDOWS];
	const char *what[MAX_WINDOWS];
	int limits[MAX_WINDOWS], nkeys = 0;
	struct window win[MAX_WINDOWS];
	time_t now = time(NULL);
	long long minute = (long long)(now / 60), reset = 60 - (long long)(now % 60);
	bool revoked = false;

	if (!r->who.authenticated)
		return VG_OK;
	if (r->who.jti[0])
		revoked_key = vg_arena_printf(r->a, VG_REVOKED_KEY_PREFIX "%s", r->who.jti);
	if (cls != VG_RATE_NONE && c->limits_requests_per_min > 0) {
		limits[nkeys] = c->limits_requests_per_min;
		what[nkeys] = "requests";
		keys[nkeys++] = vg_arena_printf(r->a, "vg:rl:req:%s:%lld", subject, minute);
	}
	if (cls == VG_RATE_CREATE && c->limits_creates_per_min > 0) {
		limits[nkeys] = c->limits_creates_per_min;
		what[nkeys] = "requests that create work";
		keys[nkeys++] = vg_arena_printf(r->a, "vg:rl:create:%s:%lld", subject, minute);
	}
	if (!revoked_key && nkeys == 0)
		return VG_OK;
	/* windows expire a little after their minute, so a late hit never sees a stale count */
	if (!run_gate(r, revoked_key, keys, nkeys, 70, &revoked, win))
		return VG_OK;
	if (revoked)
		return vg_err_set(err, VG_EAUTH, "token_revoked",
		                  "this access token was revoked by a logout: sign in again");
	if (nkeys > 0 && w) { /* the headers tell about the request budget, the wider one */
		vg_resp_header(w, "RateLimit-Limit", "%d", limits[0]);
		vg_resp_header(w, "RateLimit-Remaining", "%lld",
		               win[0].count >= limits[0] ? 0 : limits[0] - win[0].count);
		vg_resp_header(w, "RateLimit-Reset", "%lld", reset);
	}
	for (int i = 0; i < nkeys; i++)
		if (win[i].count > limits[i])
			return over_limit(err, reset, what[i]);
	return VG_OK;
}

int vg_ratelimit_hit(struct vg_req *r, const char *key, int limit, int window_s, bool count_it,
                     struct vg_err *err)
{
	struct window win;
	bool revoked;

	if (limit <= 0)
		return VG_OK;
	if (count_it) {
		if (!run_gate(r, NULL, &key, 1, window_s, &revoked, &win))
			return VG_OK;
		return win.count > limit ? over_limit(err, win.ttl, "attempts") : VG_OK;
	}
	/* a look without counting: GET and TTL of the window */
	struct vg_err rerr;
	const char *argv[] = {"GET", key};
	redisReply *rep;

	vg_err_clear(&rerr);
	rep = vg_redis_cmdv(r->redis, r->a, &rerr, 2, argv);
	if (!rep) {
		warn_fail_open(rerr.msg);
		return VG_OK;
	}
	long long n = 0;
	if (rep->type != REDIS_REPLY_STRING || sscanf(rep->str, "%lld", &n) != 1 || n < limit)
		return VG_OK;
	const char *targv[] = {"TTL", key};
	redisReply *t = vg_redis_cmdv(r->redis, r->a, &rerr, 2, targv);
	return over_limit(err, t && t->type == REDIS_REPLY_INTEGER ? t->integer : window_s,
	                  "attempts");
}
