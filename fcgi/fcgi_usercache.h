/* Per-responder cache of who may act (role, disabled, quota), so a request with an access
 * token costs no database round trip for it.  Kept honest by NOTIFY: a trigger on users
 * (sql/0001_init.sql) names every changed user on channel veogen_users; the responder's
 * connection LISTENs and drains those before each lookup, and forgets everything when the
 * connection is new (notifications may have been missed). */
#ifndef FCGI_USERCACHE_H
#define FCGI_USERCACHE_H

#include <stdbool.h>

#include "fcgi_http.h"

struct vg_user_status {
	char role[16];
	bool disabled;
	bool has_quota;
};

/* true and *out filled when user_id is cached and still valid. */
bool vg_usercache_get(struct vg_req *r, const char *user_id, struct vg_user_status *out);
/* Remembers what the database just said about user_id. */
void vg_usercache_put(struct vg_req *r, const char *user_id, const struct vg_user_status *st);

#endif
