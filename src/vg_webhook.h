/* Webhooks (API.md "Webhooks", Standard Webhooks signing): the per-user secret, the
 * signature, the event body and one delivery attempt.  The SQL triggers of 0005_trust.sql
 * queue the events; the runner's "webhook" job (j_webhook.c) delivers them. */
#ifndef VG_WEBHOOK_H
#define VG_WEBHOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vg_arena.h"
#include "vg_db.h"
#include "vg_err.h"

struct vg_conf;

/* How long a rotated-out secret still signs (API.md: receivers switch over within a day). */
#define VG_WEBHOOK_PREVIOUS_VALID_S (24 * 3600)
/* "whsec_" + base64 of 32 bytes + NUL */
#define VG_WEBHOOK_SECRET_MAX 64

/* The user's secret as {secret, created_at, previous_valid_until (null or RFC 3339)}, created
 * when the user has none yet.  rotate: a new secret replaces it and the old one keeps signing
 * for 24 h.  VG_ENOTFOUND when the user does not exist.  *out is owned by the arena. */
int vg_webhook_secret_get(struct vg_db *db, struct vg_arena *a, const char *user_id, bool rotate,
                          json_t **out, struct vg_err *err);

/* The secrets that sign a delivery of user_id now: the current one (created if missing) and,
 * within 24 h of a rotation, the previous one (else *previous = NULL).  Arena strings. */
int vg_webhook_secrets_for_signing(struct vg_db *db, struct vg_arena *a, const char *user_id,
                                   const char **current, const char **previous, struct vg_err *err);

/* A new secret: "whsec_" + base64 of 32 random bytes (OpenSSL RAND_bytes).  0 or -1. */
int vg_webhook_secret_new(char out[VG_WEBHOOK_SECRET_MAX]);

/* The webhook-signature header value: "v1,<sig>" for secret, then " v1,<sig>" for previous
 * when not NULL; sig = base64(HMAC-SHA256(key, id "." timestamp "." body)) and key the
 * base64-decoded part of the secret after "whsec_".  NULL when a secret is malformed. */
char *vg_webhook_sign(struct vg_arena *a, const char *msg_id, long long timestamp, const char *body,
                      size_t body_len, const char *secret, const char *previous);

/* The event body: {"type","object","timestamp","data"} with data the API object as GET
 * renders it, status/progress/stage taken from the snapshot.  Compact UTF-8 JSON in arena
 * memory.  VG_ENOTFOUND when the target is gone. */
int vg_webhook_render(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                      const char *target_type, const char *target_id, const char *type,
                      const char *created_at, const char *snapshot_json, char **body,
                      struct vg_err *err);

/* The wait before the next attempt after `attempts` failed ones (>= 1):
 * min(base_ms * 4^(attempts-1), max_ms), then +-10 % jitter; rnd uniform in [0, 1). */
long vg_webhook_retry_delay_ms(int attempts, long base_ms, long max_ms, double rnd);

/* One delivery attempt's outcome. */
struct vg_webhook_result {
	long status;      /* HTTP status; 0 when no answer came */
	bool refused;     /* the address connected to is not allowed */
	char address[64]; /* the address connected to (or refused); "" when none */
	char error[256];  /* "" for a 2xx, else what went wrong, for the attempt log */
	long duration_ms;
};

/* POSTs body to url once with the Standard Webhooks headers: no redirects, no proxy,
 * http/https only, conf->webhooks_timeout_s in total, every address connected to checked
 * against the refused classes and conf->webhooks_allow_networks (vg_netaddr).  Returns 0
 * when an attempt was made (see res), else VG_EINTERNAL (curl could not be set up). */
int vg_webhook_post(const struct vg_conf *conf, const char *url, const char *msg_id,
                    long long timestamp, const char *signature, const char *body, size_t body_len,
                    struct vg_webhook_result *res, struct vg_err *err);

#endif
