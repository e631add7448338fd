/* Configuration: one libconfig file loaded through a table of {key, type, offset,
 * default, min, max, reload class}.  Unknown keys, wrong types and values out of bounds
 * are errors that name the key and what is allowed. */
#ifndef VG_CONF_H
#define VG_CONF_H

#include <stdbool.h>

#include "vg_err.h"

struct vg_conf {
	/* log */
	char *log_target; /* stderr | syslog */
	char *log_level;  /* err | warn | info | debug */
	/* database */
	char *db_conninfo;
	int db_statement_timeout_ms;
	/* redis */
	char *redis_socket; /* unix socket path; empty = TCP */
	char *redis_host;
	int redis_port;
	int redis_timeout_ms;
	/* storage */
	char *storage_dir;
	char *storage_delivery; /* x-accel-redirect | x-sendfile | stream */
	char *storage_internal_prefix;
	/* fcgi */
	char *fcgi_listen; /* unix socket path or host:port */
	char *fcgi_socket_mode;
	int fcgi_workers;
	int fcgi_max_requests;
	int fcgi_shutdown_timeout_s;
	/* limits */
	int limits_max_body_bytes;
	int limits_max_json_depth;
	int limits_requests_per_min;
	int limits_creates_per_min;
	int limits_failed_logins_per_account; /* per 15 minutes */
	int limits_failed_logins_per_address; /* per 15 minutes */
	int limits_registrations_per_address; /* per hour */
	/* auth */
	char *auth_jwt_alg; /* HS256 | RS256 */
	char *auth_jwt_secret_file;
	char *auth_jwt_private_key_file;
	char *auth_jwt_public_key_file;
	char *auth_issuer;
	char *auth_audience;
	int auth_access_ttl_s;
	int auth_refresh_ttl_s;
	int auth_leeway_s;
	int auth_scrypt_n_log2;
	/* runner */
	char *runner_name;
	int runner_workers;
	int runner_poll_interval_ms;
	int runner_lease_s;
	int runner_heartbeat_s;
	int runner_max_attempts;
	int runner_backoff_base_ms;
	int runner_backoff_max_ms;
	int runner_shutdown_timeout_s;
	/* providers */
	char *providers_default;
	bool providers_local_enabled;
	char *providers_local_model;
	char *providers_local_font;
	/* ffmpeg */
	char *ffmpeg_path;
	char *ffprobe_path;
	int ffmpeg_timeout_s;

	/* loaded secrets (not keys of the file) */
	unsigned char *jwt_sign_key; /* HS secret or RS private PEM */
	int jwt_sign_key_len;
	unsigned char *jwt_verify_key; /* HS secret or RS public PEM */
	int jwt_verify_key_len;
	char *path; /* the file this came from */
};

/* Sets every key to its default. */
void vg_conf_defaults(struct vg_conf *c);
/* Loads path over the defaults, applies environment overrides
 * (VEOGEN_RATE_LIMIT_PER_MIN) and reads the JWT key files.  On error *c is left freed. */
int vg_conf_load(struct vg_conf *c, const char *path, struct vg_err *err);
/* Same as load but does not read key files (for tests of the file format). */
int vg_conf_parse(struct vg_conf *c, const char *path, struct vg_err *err);
void vg_conf_free(struct vg_conf *c);
/* Lists keys that differ between two configs and need a restart to apply; writes a
 * comma separated list into out (empty when none). */
void vg_conf_restart_keys(const struct vg_conf *a, const struct vg_conf *b, char *out, int size);

#endif
