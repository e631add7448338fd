/* The per-request Redis gate: per-user / per-API-key rate limits (fixed one-minute windows,
 * RateLimit-* headers on every limited response) and the logout revocation of access tokens,
 * in one round trip.  Redis down = fail open (logged): the API keeps serving. */
#ifndef FCGI_RATELIMIT_H
#define FCGI_RATELIMIT_H

#include "fcgi_http.h"

/* For an authenticated request: VG_EAUTH when its access token (r->who.jti) was revoked,
 * else spends one unit of `cls` (none for VG_RATE_NONE); VG_ERATE (err->retry_after set)
 * when over budget. */
int vg_ratelimit_check(struct vg_req *r, struct vg_resp *w, enum vg_rate_class cls,
                       struct vg_err *err);
/* Generic counter for other budgets (failed logins, registrations per address):
 * VG_ERATE when key has been hit more than limit times in window_s. */
int vg_ratelimit_hit(struct vg_req *r, const char *key, int limit, int window_s, bool count_it,
                     struct vg_err *err);

#endif
