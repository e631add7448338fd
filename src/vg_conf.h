/* Configuration: one libconfig file loaded through a table of {key, type, offset,
 * default, min, max, reload class}.  Unknown keys, wrong types and values out of bounds
 * are errors that name the key and what is allowed. */
#ifndef VG_CONF_H
#define VG_CONF_H

#include <stdbool.h>

#include "vg_err.h"
#include "vg_model.h"

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
	long long limits_max_upload_bytes; /* POST /api/v1/files bodies over this get 413 */
	int limits_requests_per_min;
	int limits_creates_per_min;
	int limits_failed_logins_per_account; /* per 15 minutes */
	int limits_failed_logins_per_address; /* per 15 minutes */
	int limits_registrations_per_address; /* per hour */
	int limits_max_json_string_bytes;     /* any JSON string or key longer: 422 */
	int limits_max_json_array_items;      /* any JSON array longer: 422 */
	int limits_max_query_bytes;           /* a longer query string: 400 */
	int limits_max_header_bytes;          /* a longer request header: 431 */
	int limits_max_jwt_bytes;             /* a longer bearer token: 401 */
	int limits_max_scenes_per_movie;
	int limits_max_active_jobs_per_user; /* queued+running work of one user; 0 = no limit */
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
	int runner_remote_workers;  /* processes running the remote loop (0 = none) */
	int runner_max_in_flight;   /* remote operations one remote worker holds at once */
	int runner_webhook_workers; /* processes delivering webhooks, one attempt at a time each */
	int runner_claim_batch; /* jobs a CPU or webhook worker may claim at once (quick jobs) */
	bool runner_allow_noop; /* run jobs of kind "noop" (benchmarks only); else they fail */
	/* providers */
	char *providers_default;
	bool providers_local_enabled;
	char *providers_local_model;
	char *providers_local_font;
	struct vg_provider_models local_models; /* the local model: every limit, price 0 */
	/* What to do with a submit whose answer was lost (sent, no operation name back):
	 * false = fail the video (provider_unavailable) rather than pay twice. */
	bool providers_resubmit_lost;
	/* gemini (Gemini API); env VEOGEN_GEMINI_BASE_URL / VEOGEN_GEMINI_API_KEY override */
	bool providers_gemini_enabled;
	char *providers_gemini_base_url; /* https://generativelanguage.googleapis.com */
	char *providers_gemini_api_key;  /* secret: never logged */
	char *providers_gemini_api_key_file;
	char *providers_gemini_text_model; /* for enhance_prompt and the movie planner */
	struct vg_provider_models gemini_models;
	/* vertex (Vertex AI); env VEOGEN_VERTEX_BASE_URL / _TOKEN_URL / _KEY_FILE override */
	bool providers_vertex_enabled;
	char *providers_vertex_base_url;    /* https://us-central1-aiplatform.googleapis.com */
	char *providers_vertex_token_url;   /* https://oauth2.googleapis.com/token */
	char *providers_vertex_storage_url; /* https://storage.googleapis.com (gcsUri results) */
	char *providers_vertex_key_file;    /* service-account JSON */
	char *providers_vertex_project;     /* empty = project_id of the key file */
	char *providers_vertex_location;
	char *providers_vertex_storage_uri; /* gs://… for results; empty = inline bytes */
	struct vg_provider_models vertex_models;
	/* both remote providers */
	int providers_poll_interval_s;     /* between polls of one operation */
	int providers_operation_timeout_s; /* an operation not done by then: provider_timeout */
	int providers_http_timeout_s;      /* one HTTP request (a download may take longer) */
	int providers_max_connections;     /* open connections of one remote worker */
	/* quotas: per user and calendar month (UTC); 0 = none.  users.quota_* override. */
	int quotas_video_seconds_month;
	double quotas_cost_usd_month;
	/* movies */
	char *movies_planner; /* auto (gemini when it has a key, else local) | local | gemini */
	int movies_scene_concurrency_per_user;     /* scene takes of one user running at once */
	int movies_scene_concurrency_per_provider; /* scene takes on one provider at once */
	/* runtime: per-boot state shared by the programs of one host (metrics segments, locks) */
	char *runtime_dir;
	/* retention (veogen-cleanup): days after finishing; 0 = keep for ever */
	int retention_succeeded_days; /* succeeded videos, movies, and uploads no work uses */
	int retention_failed_days;    /* failed and cancelled videos and movies */
	int retention_jobs_days;      /* finished job rows */
	int retention_audit_days;     /* audit log rows */
	int retention_temp_hours;     /* stale temporary files under storage.dir */
	/* webhooks */
	char *webhooks_allow_networks; /* CIDRs allowed although private, loopback, … */
	int webhooks_timeout_s;        /* one delivery attempt */
	int webhooks_retry_base_ms;    /* delay after the first failed attempt, x4 per attempt */
	int webhooks_retry_max_ms;     /* cap of one delay */
	int webhooks_retry_window_s;   /* give up on an event this long after it happened */
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
/* Parse, then read and check the credentials of the enabled providers, but not the JWT
 * keys: for the runner, which calls providers and never signs or verifies a token. */
int vg_conf_load_providers(struct vg_conf *c, const char *path, struct vg_err *err);
/* Same as load but does not read key files (for tests of the file format). */
int vg_conf_parse(struct vg_conf *c, const char *path, struct vg_err *err);
void vg_conf_free(struct vg_conf *c);
/* Lists keys that differ between two configs and need a restart to apply; writes a
 * comma separated list into out (empty when none). */
void vg_conf_restart_keys(const struct vg_conf *a, const struct vg_conf *b, char *out, int size);

#endif
