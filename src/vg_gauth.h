/* OAuth 2.0 for Vertex AI with a service-account key file: an RS256-signed JWT assertion
 * exchanged at the token endpoint (grant type jwt-bearer) for an access token, which is
 * cached and refreshed before it expires.  The private key never leaves this module's
 * memory and is never logged. */
#ifndef VG_GAUTH_H
#define VG_GAUTH_H

#include <stddef.h>

#include "vg_err.h"

#define VG_GAUTH_SCOPE "https://www.googleapis.com/auth/cloud-platform"

struct vg_gauth_sa {
	char *client_email;
	char *private_key_pem;
	char *private_key_id; /* may be NULL */
	char *token_uri;      /* from the file; the config or VEOGEN_VERTEX_TOKEN_URL wins */
	char *project_id;     /* may be NULL */
};

/* Reads a service-account JSON key file ("type": "service_account", client_email,
 * private_key).  Errors name the file and the missing field, never the key. */
int vg_gauth_load(const char *path, struct vg_gauth_sa *sa, struct vg_err *err);
void vg_gauth_sa_free(struct vg_gauth_sa *sa);

/* The signed assertion (malloc): header {alg RS256, typ JWT, kid}, claims {iss, scope,
 * aud = token_url, iat = now, exp = now + 3600}. */
char *vg_gauth_assertion(const struct vg_gauth_sa *sa, const char *token_url, long long now,
                         struct vg_err *err);
/* The form body for the token endpoint (malloc). */
char *vg_gauth_token_body(const char *assertion);
/* {"access_token", "expires_in", "token_type": "Bearer"} → *token (malloc), *expires_in_s.
 * Error answers ({"error", "error_description"}) become VG_EFORBIDDEN with the description. */
int vg_gauth_parse_token(const char *body, size_t len, char **token, long *expires_in_s,
                         struct vg_err *err);

/* A cached access token. */
struct vg_gauth_token {
	char *token;            /* malloc, NULL when none */
	long long expires_at_s; /* CLOCK_REALTIME seconds */
};
/* True when the token is missing or expires within margin_s. */
int vg_gauth_token_stale(const struct vg_gauth_token *t, long long now_s, long margin_s);
void vg_gauth_token_set(struct vg_gauth_token *t, char *token, long long expires_at_s);
void vg_gauth_token_clear(struct vg_gauth_token *t);

/* Blocking: load the key file, sign, exchange; fills t (veogenctl, the Gemini text client
 * on Vertex).  Uses vg_http_fetch. */
int vg_gauth_fetch(const char *key_file, const char *token_url, struct vg_gauth_token *t,
                   struct vg_err *err);

#endif
