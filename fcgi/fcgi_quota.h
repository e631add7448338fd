/* Limits on starting work: the monthly quotas of API.md (video seconds and cost per user
 * and calendar month, UTC) and the work one user may have under way at once. */
#ifndef FCGI_QUOTA_H
#define FCGI_QUOTA_H

#include "fcgi_http.h"

/* 403 "quota_exceeded" when `seconds` more video costing `cost` would take the caller past a
 * monthly quota; the message says what "this <what>" needs and what is left.  Only asks the
 * database when a quota may apply (the month's sum is not free).  Inside a transaction the
 * user row is locked, so two creates of one user cannot both pass.  A quota of 0 means
 * none. */
int vg_quota_check(struct vg_req *r, const char *what, long long seconds, double cost,
                   struct vg_err *err);

/* 429 "too_many_active_jobs" (Retry-After 30) when the caller already has
 * limits.max_active_jobs_per_user pieces of work under way: own videos queued or running
 * (scene takes count through their movie) plus movies planning, rendering or assembling.
 * 0 = no limit.  Inside a transaction the user row is locked, as for the quota. */
int vg_active_jobs_check(struct vg_req *r, struct vg_err *err);

#endif
