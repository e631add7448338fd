/* Credentials: password hashing (scrypt, constant-time compare), access JWTs (libjwt 1.10
 * with the algorithm pinned by config and every claim checked here), opaque random tokens
 * (refresh tokens, API keys) stored as SHA-256. */
#ifndef VG_AUTH_H
#define VG_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_err.h"

/* "$scrypt$ln=15,r=8,p=1$<salt b64>$<hash b64>" in arena memory; NULL on failure. */
char *vg_password_hash(struct vg_arena *a, const char *password, int n_log2);
/* true when password matches encoded; runs the KDF even for a NULL/garbled encoded hash
 * (with a dummy) so unknown accounts take the same time. */
bool vg_password_verify(const char *password, const char *encoded, int n_log2);

struct vg_claims {
	char sub[64]; /* user id */
	char jti[64];
	char role[16];
	long long iat, exp;
};

/* Mints an access token for user_id/role, exp = now + auth.access_ttl_s.  Returns the
 * token in arena memory and fills *claims (jti, exp…). */
char *vg_jwt_mint(struct vg_arena *a, const struct vg_conf *c, const char *user_id,
                  const char *role, time_t now, struct vg_claims *claims);
/* Verifies signature with the configured algorithm only (alg:none, another alg, a wrong key,
 * a token over 8 KiB → VG_EAUTH), then exp (required), nbf, iat, iss, aud (string or array),
 * sub and jti.  `now` is injectable for tests. */
int vg_jwt_verify(const struct vg_conf *c, const char *token, time_t now, struct vg_claims *claims,
                  struct vg_err *err);

/* n random bytes as base64url without padding, in arena memory. */
char *vg_random_token(struct vg_arena *a, size_t nbytes);
/* A random (version 4) UUID in canonical lower-case form, for rows whose id the caller needs
 * before inserting them. */
void vg_uuid_new(char out[37]);
/* Lower-case hex SHA-256 of s (65 bytes incl. NUL) in arena memory. */
char *vg_sha256_hex(struct vg_arena *a, const void *p, size_t n);
bool vg_ct_equal(const void *a, const void *b, size_t n);

/* API key "vg_" + 32 random bytes base64url; prefix = the first 12 characters. */
struct vg_api_key {
	char *key;    /* shown once */
	char *prefix; /* stored and listed */
	char *hash;   /* sha256 hex, stored */
};
void vg_api_key_new(struct vg_arena *a, struct vg_api_key *out);

#endif
