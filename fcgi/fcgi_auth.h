/* Authentication of a request: Bearer access JWT, Bearer vg_… API key or X-API-Key.
 * Disabled users, revoked keys and revoked tokens (logout: jti in Redis) fail at once. */
#ifndef FCGI_AUTH_H
#define FCGI_AUTH_H

#include "fcgi_http.h"

/* Redis key of a revoked access token's jti; checked by vg_ratelimit_check in the same round
 * trip that spends the rate budget. */
#define VG_REVOKED_KEY_PREFIX "vg:revoked:"

/* Fills r->who (for a JWT: who.jti, whose revocation vg_ratelimit_check looks up) or
 * returns VG_EAUTH (401, "what to fix" in err) / VG_EFORBIDDEN (disabled
 * account) / VG_EUNAVAIL (database down). */
int vg_authenticate(struct vg_req *r, struct vg_err *err);

/* Marks an access token's jti revoked in Redis until exp (logout).  Redis down: logged,
 * VG_EUNAVAIL returned (the refresh family is revoked in PostgreSQL regardless). */
int vg_auth_revoke_jti(struct vg_req *r, const char *jti, long long exp, struct vg_err *err);

#endif
