/* API keys, written once for /api/v1/api-keys and `veogenctl apikey`: create (the secret is
 * returned once), list, revoke, each with its audit row.  Only the SHA-256 of a key is
 * stored; revoked_at makes fcgi_auth refuse it at once. */
#ifndef VG_APIKEY_H
#define VG_APIKEY_H

#include "vg_arena.h"
#include "vg_db.h"
#include "vg_err.h"
#include "vg_useradmin.h"

#define VG_APIKEY_NAME_MAX 100

struct vg_apikey {
	const char *id;
	const char *name;
	const char *key; /* the whole secret: set by vg_apikey_create only, never stored */
	const char *prefix;
	const char *created_at;   /* RFC 3339 */
	const char *last_used_at; /* RFC 3339, NULL when never used */
};

/* Creates a key named name (trimmed, 1..VG_APIKEY_NAME_MAX characters: field error "name"
 * otherwise) for user_id and writes the audit row "apikey.create" ({name, prefix}, plus
 * {user_id, via} when actor->via is not "api").  *out is arena memory. */
int vg_apikey_create(struct vg_db *db, struct vg_arena *a, const char *user_id, const char *name,
                     const struct vg_actor *actor, struct vg_apikey *out, struct vg_err *err);

/* The user's keys that are not revoked, newest first: *items gets an arena array of *n
 * keys (key NULL). */
int vg_apikey_list(struct vg_db *db, struct vg_arena *a, const char *user_id,
                   struct vg_apikey **items, int *n, struct vg_err *err);

/* Revokes the key key_id; owner_id NULL = whoever owns it (veogenctl), else only a key of
 * that user (another user's key answers like one that never existed).  VG_ENOTFOUND "no
 * API key with this id" when there is no such active key.  Audit row "apikey.revoke"
 * ({prefix}, plus {user_id, via} when actor->via is not "api"). */
int vg_apikey_revoke(struct vg_db *db, struct vg_arena *a, const char *owner_id, const char *key_id,
                     const struct vg_actor *actor, struct vg_err *err);

#endif
