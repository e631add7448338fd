/* Per-user / per-API-key rate limits in Redis (fixed one-minute windows), with the
 * RateLimit-* headers on every limited response.  Redis down = fail open (logged). */
#ifndef FCGI_RATELIMIT_H
#define FCGI_RATELIMIT_H

#include "fcgi_http.h"

/* Spends one unit of `cls` for r->who; VG_ERATE (err->retry_after set) when over budget. */
int vg_ratelimit_check(struct vg_req *r, struct vg_resp *w, enum vg_rate_class cls,
                       struct vg_err *err);
/* Generic counter for other budgets (failed logins, registrations per address):
 * VG_ERATE when key has been hit more than limit times in window_s. */
int vg_ratelimit_hit(struct vg_req *r, const char *key, int limit, int window_s, bool count_it,
                     struct vg_err *err);

#endif
