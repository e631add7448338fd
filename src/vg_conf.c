#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_netaddr.h"
#include "vg_str.h"

enum ctype { CT_STR, CT_INT, CT_I64, CT_DBL, CT_BOOL };
enum creload { C_RELOAD, C_RESTART };

struct ckey {
	const char *key;
	enum ctype type;
	size_t off;
	enum creload reload;
	const char *def; /* strings and bools ("true"/"false"), ints as text */
	long long min, max;
	const char *choices; /* "a|b|c" for enumerated strings */
};

#define S(k, f, r, d)                                                                              \
	{                                                                                          \
		k, CT_STR, offsetof(struct vg_conf, f), r, d, 0, 0, NULL                           \
	}
#define E(k, f, r, d, ch)                                                                          \
	{                                                                                          \
		k, CT_STR, offsetof(struct vg_conf, f), r, d, 0, 0, ch                             \
	}
#define I(k, f, r, d, lo, hi)                                                                      \
	{                                                                                          \
		k, CT_INT, offsetof(struct vg_conf, f), r, #d, lo, hi, NULL                        \
	}
#define L(k, f, r, d, lo, hi)                                                                      \
	{                                                                                          \
		k, CT_I64, offsetof(struct vg_conf, f), r, #d, lo, hi, NULL                        \
	}
/* doubles: bounds in whole units */
#define D(k, f, r, d, lo, hi)                                                                      \
	{                                                                                          \
		k, CT_DBL, offsetof(struct vg_conf, f), r, #d, lo, hi, NULL                        \
	}
#define B(k, f, r, d)                                                                              \
	{                                                                                          \
		k, CT_BOOL, offsetof(struct vg_conf, f), r, d, 0, 0, NULL                          \
	}

static const struct ckey keys[] = {
    E("log.target", log_target, C_RELOAD, "stderr", "stderr|syslog"),
    E("log.level", log_level, C_RELOAD, "info", "err|warn|info|debug"),
    S("database.conninfo", db_conninfo, C_RELOAD, "dbname=veogen"),
    I("database.statement_timeout_ms", db_statement_timeout_ms, C_RELOAD, 5000, 100, 600000),
    S("redis.socket", redis_socket, C_RELOAD, ""),
    S("redis.host", redis_host, C_RELOAD, "127.0.0.1"),
    I("redis.port", redis_port, C_RELOAD, 6379, 1, 65535),
    I("redis.timeout_ms", redis_timeout_ms, C_RELOAD, 200, 10, 10000),
    S("storage.dir", storage_dir, C_RELOAD, "/var/lib/veogen"),
    E("storage.delivery", storage_delivery, C_RELOAD, "x-accel-redirect",
      "x-accel-redirect|x-sendfile|stream"),
    S("storage.internal_prefix", storage_internal_prefix, C_RELOAD, "/_veogen_storage"),
    S("fcgi.listen", fcgi_listen, C_RESTART, "/run/veogen/fcgi.sock"),
    S("fcgi.socket_mode", fcgi_socket_mode, C_RESTART, "0660"),
    I("fcgi.workers", fcgi_workers, C_RELOAD, 4, 1, 256),
    I("fcgi.max_requests", fcgi_max_requests, C_RELOAD, 10000, 0, 1000000000),
    I("fcgi.shutdown_timeout_s", fcgi_shutdown_timeout_s, C_RELOAD, 30, 1, 3600),
    I("limits.max_body_bytes", limits_max_body_bytes, C_RELOAD, 1048576, 1024, 67108864),
    I("limits.max_json_depth", limits_max_json_depth, C_RELOAD, 32, 2, 256),
    L("limits.max_upload_bytes", limits_max_upload_bytes, C_RELOAD, 104857600, 1024, 10737418240LL),
    I("limits.requests_per_min", limits_requests_per_min, C_RELOAD, 600, 0, 10000000),
    I("limits.creates_per_min", limits_creates_per_min, C_RELOAD, 60, 0, 10000000),
    I("limits.failed_logins_per_account", limits_failed_logins_per_account, C_RELOAD, 10, 0,
      1000000),
    I("limits.failed_logins_per_address", limits_failed_logins_per_address, C_RELOAD, 100, 0,
      1000000),
    I("limits.registrations_per_address", limits_registrations_per_address, C_RELOAD, 100, 0,
      1000000),
    I("limits.max_json_string_bytes", limits_max_json_string_bytes, C_RELOAD, 100000, 256,
      67108864),
    I("limits.max_json_array_items", limits_max_json_array_items, C_RELOAD, 1000, 16, 1000000),
    I("limits.max_query_bytes", limits_max_query_bytes, C_RELOAD, 4096, 256, 65536),
    I("limits.max_header_bytes", limits_max_header_bytes, C_RELOAD, 8192, 256, 65536),
    I("limits.max_jwt_bytes", limits_max_jwt_bytes, C_RELOAD, 4096, 256, 65536),
    I("limits.max_scenes_per_movie", limits_max_scenes_per_movie, C_RELOAD, 50, 1, 50),
    I("limits.max_active_jobs_per_user", limits_max_active_jobs_per_user, C_RELOAD, 20, 0, 1000000),
    E("auth.jwt_alg", auth_jwt_alg, C_RELOAD, "HS256", "HS256|RS256"),
    S("auth.jwt_secret_file", auth_jwt_secret_file, C_RELOAD, "/etc/veogen/jwt.secret"),
    S("auth.jwt_private_key_file", auth_jwt_private_key_file, C_RELOAD, ""),
    S("auth.jwt_public_key_file", auth_jwt_public_key_file, C_RELOAD, ""),
    S("auth.issuer", auth_issuer, C_RELOAD, "veogen"),
    S("auth.audience", auth_audience, C_RELOAD, "veogen-api"),
    I("auth.access_ttl_s", auth_access_ttl_s, C_RELOAD, 900, 60, 86400),
    I("auth.refresh_ttl_s", auth_refresh_ttl_s, C_RELOAD, 2592000, 3600, 31536000),
    I("auth.leeway_s", auth_leeway_s, C_RELOAD, 30, 0, 300),
    I("auth.scrypt_n_log2", auth_scrypt_n_log2, C_RELOAD, 15, 12, 20),
    S("runner.name", runner_name, C_RELOAD, ""),
    I("runner.workers", runner_workers, C_RELOAD, 2, 1, 64),
    I("runner.poll_interval_ms", runner_poll_interval_ms, C_RELOAD, 1000, 10, 60000),
    I("runner.lease_s", runner_lease_s, C_RELOAD, 30, 2, 3600),
    I("runner.heartbeat_s", runner_heartbeat_s, C_RELOAD, 10, 1, 1200),
    I("runner.max_attempts", runner_max_attempts, C_RELOAD, 5, 1, 100),
    I("runner.backoff_base_ms", runner_backoff_base_ms, C_RELOAD, 2000, 1, 3600000),
    I("runner.backoff_max_ms", runner_backoff_max_ms, C_RELOAD, 600000, 1, 86400000),
    I("runner.shutdown_timeout_s", runner_shutdown_timeout_s, C_RELOAD, 60, 1, 3600),
    I("runner.remote_workers", runner_remote_workers, C_RELOAD, 1, 0, 16),
    I("runner.webhook_workers", runner_webhook_workers, C_RELOAD, 2, 1, 64),
    I("runner.claim_batch", runner_claim_batch, C_RELOAD, 128, 1, 512),
    I("runner.max_in_flight", runner_max_in_flight, C_RELOAD, 10000, 1, 100000),
    B("runner.allow_noop", runner_allow_noop, C_RELOAD, "false"),
    E("providers.default", providers_default, C_RELOAD, "local", "local|gemini|vertex"),
    B("providers.local.enabled", providers_local_enabled, C_RELOAD, "true"),
    S("providers.local.model", providers_local_model, C_RELOAD, "veogen-preview-1"),
    S("providers.local.font", providers_local_font, C_RELOAD,
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    B("providers.resubmit_lost", providers_resubmit_lost, C_RELOAD, "false"),
    I("providers.poll_interval_s", providers_poll_interval_s, C_RELOAD, 10, 1, 600),
    I("providers.operation_timeout_s", providers_operation_timeout_s, C_RELOAD, 900, 1, 86400),
    I("providers.http_timeout_s", providers_http_timeout_s, C_RELOAD, 60, 5, 3600),
    I("providers.max_connections", providers_max_connections, C_RELOAD, 64, 1, 10000),
    B("providers.gemini.enabled", providers_gemini_enabled, C_RELOAD, "false"),
    S("providers.gemini.api_key", providers_gemini_api_key, C_RELOAD, ""),
    S("providers.gemini.api_key_file", providers_gemini_api_key_file, C_RELOAD, ""),
    S("providers.gemini.base_url", providers_gemini_base_url, C_RELOAD,
      "https://generativelanguage.googleapis.com"),
    S("providers.gemini.text_model", providers_gemini_text_model, C_RELOAD, "gemini-3.5-flash"),
    S("providers.gemini.default_model", gemini_models.default_model, C_RELOAD,
      "veo-3.1-fast-generate-preview"),
    B("providers.vertex.enabled", providers_vertex_enabled, C_RELOAD, "false"),
    S("providers.vertex.base_url", providers_vertex_base_url, C_RELOAD,
      "https://us-central1-aiplatform.googleapis.com"),
    S("providers.vertex.token_url", providers_vertex_token_url, C_RELOAD,
      "https://oauth2.googleapis.com/token"),
    S("providers.vertex.storage_url", providers_vertex_storage_url, C_RELOAD,
      "https://storage.googleapis.com"),
    S("providers.vertex.key_file", providers_vertex_key_file, C_RELOAD, ""),
    S("providers.vertex.project", providers_vertex_project, C_RELOAD, ""),
    S("providers.vertex.location", providers_vertex_location, C_RELOAD, "us-central1"),
    S("providers.vertex.storage_uri", providers_vertex_storage_uri, C_RELOAD, ""),
    S("providers.vertex.default_model", vertex_models.default_model, C_RELOAD,
      "veo-3.1-fast-generate-001"),
    I("quotas.video_seconds_month", quotas_video_seconds_month, C_RELOAD, 0, 0, 1000000000),
    D("quotas.cost_usd_month", quotas_cost_usd_month, C_RELOAD, 0, 0, 1000000000),
    E("movies.planner", movies_planner, C_RELOAD, "auto", "auto|local|gemini"),
    I("movies.scene_concurrency_per_user", movies_scene_concurrency_per_user, C_RELOAD, 4, 1, 1000),
    I("movies.scene_concurrency_per_provider", movies_scene_concurrency_per_provider, C_RELOAD, 16,
      1, 100000),
    S("runtime.dir", runtime_dir, C_RESTART, "/run/veogen"),
    I("retention.succeeded_days", retention_succeeded_days, C_RELOAD, 90, 0, 36500),
    I("retention.failed_days", retention_failed_days, C_RELOAD, 14, 0, 36500),
    I("retention.jobs_days", retention_jobs_days, C_RELOAD, 7, 0, 36500),
    I("retention.audit_days", retention_audit_days, C_RELOAD, 365, 0, 36500),
    I("retention.temp_hours", retention_temp_hours, C_RELOAD, 24, 1, 87600),
    S("webhooks.allow_networks", webhooks_allow_networks, C_RELOAD, ""),
    I("webhooks.timeout_s", webhooks_timeout_s, C_RELOAD, 10, 1, 60),
    I("webhooks.retry_base_ms", webhooks_retry_base_ms, C_RELOAD, 5000, 10, 3600000),
    I("webhooks.retry_max_ms", webhooks_retry_max_ms, C_RELOAD, 3600000, 10, 86400000),
    I("webhooks.retry_window_s", webhooks_retry_window_s, C_RELOAD, 86400, 10, 604800),
    S("ffmpeg.path", ffmpeg_path, C_RELOAD, VG_FFMPEG_DEFAULT),
    S("ffmpeg.ffprobe_path", ffprobe_path, C_RELOAD, VG_FFPROBE_DEFAULT),
    I("ffmpeg.timeout_s", ffmpeg_timeout_s, C_RELOAD, 600, 5, 86400),
};

#define NKEYS          (sizeof keys / sizeof keys[0])
#define FIELD(c, k, T) ((T *)((char *)(c) + (k)->off))

static void set_default(struct vg_conf *c, const struct ckey *k)
{
	switch (k->type) {
	case CT_STR:
		free(*FIELD(c, k, char *));
		*FIELD(c, k, char *) = vg_xstrdup(k->def);
		break;
	case CT_INT: {
		int64_t v = 0;
		vg_str_i64(k->def, INT32_MIN, INT32_MAX, &v);
		*FIELD(c, k, int) = (int)v;
		break;
	}
	case CT_I64: {
		int64_t v = 0;
		vg_str_i64(k->def, INT64_MIN, INT64_MAX, &v);
		*FIELD(c, k, long long) = (long long)v;
		break;
	}
	case CT_DBL:
		*FIELD(c, k, double) = strtod(k->def, NULL);
		break;
	case CT_BOOL:
		*FIELD(c, k, bool) = strcmp(k->def, "true") == 0;
		break;
	}
}

/* ---- model tables (providers.<name>.models) */

#define MODEL_KEYS                                                                                 \
	"id, durations, resolutions, aspect_ratios, inputs, max_reference_images, "                \
	"long_only_duration, audio, price_per_second, price_per_second_1080p"

static void models_free(struct vg_provider_models *pm)
{
	for (int i = 0; i < pm->n; i++)
		free(pm->models[i].id);
	free(pm->models);
	pm->models = NULL;
	pm->n = 0;
}

/* A Veo 3.1 model: 4/6/8 s, both resolutions and aspect ratios, audio, 1080p only at 8 s. */
static struct vg_model veo31(const char *id, int max_refs, double p720, double p1080)
{
	struct vg_model m = {
	    .id = vg_xstrdup(id),
	    .durations = {4, 6, 8},
	    .n_durations = 3,
	    .res_720p = true,
	    .res_1080p = true,
	    .ar_16_9 = true,
	    .ar_9_16 = true,
	    .in_image = true,
	    .in_last_frame = true,
	    .max_reference_images = max_refs,
	    .long_only_duration = 8,
	    .audio = true,
	    .price_per_second = p720,
	    .price_per_second_1080p = p1080,
	};
	return m;
}

/* Prices as listed on 2026-09 (research/veo-api.md §1.7): a config change when they move. */
static void default_veo_models(struct vg_provider_models *pm, const char *suffix)
{
	models_free(pm);
	pm->models = vg_xmalloc(3 * sizeof *pm->models);
	char id[64];
	snprintf(id, sizeof id, "veo-3.1-generate-%s", suffix);
	pm->models[0] = veo31(id, 3, 0.40, 0.40);
	snprintf(id, sizeof id, "veo-3.1-fast-generate-%s", suffix);
	pm->models[1] = veo31(id, 3, 0.10, 0.12);
	snprintf(id, sizeof id, "veo-3.1-lite-generate-%s", suffix);
	pm->models[2] = veo31(id, 0, 0.05, 0.08);
	pm->n = 3;
}

/* The local preview provider can do everything, at any of its durations, for free. */
static void local_model(struct vg_conf *c)
{
	models_free(&c->local_models);
	c->local_models.models = vg_xmalloc(sizeof *c->local_models.models);
	c->local_models.models[0] = veo31(c->providers_local_model, 3, 0, 0);
	c->local_models.models[0].long_only_duration = 0;
	c->local_models.n = 1;
	/* not a key of the file: the id is providers.local.model */
	c->local_models.default_model = c->local_models.models[0].id;
}

void vg_conf_defaults(struct vg_conf *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NKEYS; i++)
		set_default(c, &keys[i]);
	default_veo_models(&c->gemini_models, "preview");
	default_veo_models(&c->vertex_models, "001");
	local_model(c);
}

static void free_secret(char **s)
{
	if (*s)
		OPENSSL_cleanse(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

void vg_conf_free(struct vg_conf *c)
{
	free_secret(&c->providers_gemini_api_key);
	models_free(&c->gemini_models);
	models_free(&c->vertex_models);
	models_free(&c->local_models);
	c->local_models.default_model = NULL; /* was models[0].id */
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == CT_STR) {
			free(*FIELD(c, &keys[i], char *));
			*FIELD(c, &keys[i], char *) = NULL;
		}
	if (c->jwt_sign_key)
		OPENSSL_cleanse(c->jwt_sign_key, (size_t)c->jwt_sign_key_len);
	free(c->jwt_sign_key);
	free(c->jwt_verify_key);
	free(c->path);
	c->jwt_sign_key = c->jwt_verify_key = NULL;
	c->path = NULL;
}

static const struct ckey *find_key(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].key, path) == 0)
			return &keys[i];
	return NULL;
}

static bool is_group_prefix(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < NKEYS; i++)
		if (strncmp(keys[i].key, path, n) == 0 && keys[i].key[n] == '.')
			return true;
	return false;
}

static bool choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return true;
		if (!bar)
			break;
		p = bar + 1;
	}
	return false;
}

static const char *type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a decimal point";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "true or false";
	default:
		return "a list or array";
	}
}

static int apply(struct vg_conf *c, config_setting_t *s, const struct ckey *k, const char *file,
                 struct vg_err *err)
{
	int t = config_setting_type(s);
	int line = config_setting_source_line(s);

	switch (k->type) {
	case CT_STR: {
		if (t != CONFIG_TYPE_STRING)
			return vg_err_set(err, VG_EINVAL, "config_invalid",
			                  "%s:%d: %s must be a string in quotes, not %s", file,
			                  line, k->key, type_name(t));
		const char *v = config_setting_get_string(s);
		if (k->choices && !choice_ok(k->choices, v))
			return vg_err_set(err, VG_EINVAL, "config_invalid",
			                  "%s:%d: %s is \"%s\"; use one of %s", file, line, k->key,
			                  v, k->choices);
		free(*FIELD(c, k, char *));
		*FIELD(c, k, char *) = vg_xstrdup(v);
		return VG_OK;
	}
	case CT_INT:
	case CT_I64: {
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			return vg_err_set(err, VG_EINVAL, "config_invalid",
			                  "%s:%d: %s must be an integer, not %s", file, line,
			                  k->key, type_name(t));
		/* int64 read: libconfig 1.5 silently turns out-of-range ints into 0 */
		long long v = config_setting_get_int64(s);
		if (v < k->min || v > k->max)
			return vg_err_set(err, VG_EINVAL, "config_invalid",
			                  "%s:%d: %s is %lld; it must be between %lld and %lld",
			                  file, line, k->key, v, k->min, k->max);
		if (k->type == CT_I64)
			*FIELD(c, k, long long) = v;
		else
			*FIELD(c, k, int) = (int)v;
		return VG_OK;
	}
	case CT_DBL: {
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64 && t != CONFIG_TYPE_FLOAT)
			return vg_err_set(err, VG_EINVAL, "config_invalid",
			                  "%s:%d: %s must be a number, not %s", file, line, k->key,
			                  type_name(t));
		double v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
		                                  : (double)config_setting_get_int64(s);
		if (!(v >= (double)k->min && v <= (double)k->max))
			return vg_err_set(err, VG_EINVAL, "config_invalid",
			                  "%s:%d: %s is %g; it must be between %lld and %lld", file,
			                  line, k->key, v, k->min, k->max);
		*FIELD(c, k, double) = v;
		return VG_OK;
	}
	case CT_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			return vg_err_set(err, VG_EINVAL, "config_invalid",
			                  "%s:%d: %s must be true or false, not %s", file, line,
			                  k->key, type_name(t));
		*FIELD(c, k, bool) = config_setting_get_bool(s) != 0;
		return VG_OK;
	}
	return VG_OK;
}

/* "FILE:LINE: WHERE: what" for an error inside a model group. */
static int model_err(struct vg_err *err, const char *file, const config_setting_t *s,
                     const char *where, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int model_err(struct vg_err *err, const char *file, const config_setting_t *s,
                     const char *where, const char *fmt, ...)
{
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return vg_err_set(err, VG_EINVAL, "config_invalid", "%s:%d: %s: %s", file,
	                  config_setting_source_line(s), where, what);
}

static bool is_array(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

static int model_durations(config_setting_t *s, const char *file, const char *where,
                           struct vg_model *m, struct vg_err *err)
{
	int n = is_array(s) ? config_setting_length(s) : 0;

	if (n < 1 || n > VG_MODEL_MAX_DURATIONS)
		return model_err(err, file, s, where,
		                 "durations must be an array of 1 to %d whole seconds, such as "
		                 "[4, 6, 8]",
		                 VG_MODEL_MAX_DURATIONS);
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		int t = config_setting_type(e);
		long long v = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64
		                  ? config_setting_get_int64(e)
		                  : -1;
		if (v < 1 || v > 60)
			return model_err(err, file, s, where,
			                 "durations must be whole seconds from 1 to 60");
		for (int j = 0; j < m->n_durations; j++)
			if (m->durations[j] == v)
				return model_err(err, file, s, where, "durations lists %lld twice",
				                 v);
		m->durations[m->n_durations++] = (int)v;
	}
	return VG_OK;
}

/* An array of strings, each one of choices ("a|b"); sets flags[i] for choice i. */
static int model_choices(config_setting_t *s, const char *file, const char *where, const char *key,
                         const char *const *choices, bool *const *flags, bool need_one,
                         struct vg_err *err)
{
	int n = is_array(s) ? config_setting_length(s) : -1;
	char list[128] = "";

	for (int i = 0; choices[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", i ? ", " : "",
		         choices[i]);
	if (n < (need_one ? 1 : 0))
		return model_err(err, file, s, where, "%s must be an array of %s%s", key,
		                 need_one ? "at least one of " : "", list);
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string(config_setting_get_elem(s, (unsigned)i));
		int k = 0;

		while (v && choices[k] && strcmp(choices[k], v) != 0)
			k++;
		if (!v || !choices[k])
			return model_err(err, file, s, where, "%s may hold only %s", key, list);
		*flags[k] = true;
	}
	return VG_OK;
}

static int model_number(config_setting_t *s, const char *file, const char *where, const char *key,
                        double max, double *out, struct vg_err *err)
{
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_FLOAT)
		*out = config_setting_get_float(s);
	else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		*out = (double)config_setting_get_int64(s);
	else
		return model_err(err, file, s, where, "%s must be a number, not %s", key,
		                 type_name(t));
	if (!(*out >= 0 && *out <= max))
		return model_err(err, file, s, where, "%s must be between 0 and %g", key, max);
	return VG_OK;
}

static int model_int(config_setting_t *s, const char *file, const char *where, const char *key,
                     int max, int *out, struct vg_err *err)
{
	int t = config_setting_type(s);
	long long v =
	    t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ? config_setting_get_int64(s) : -1;

	if (v < 0 || v > max)
		return model_err(err, file, s, where, "%s must be a whole number from 0 to %d", key,
		                 max);
	*out = (int)v;
	return VG_OK;
}

/* One member of a model group; unknown keys are errors that name the key. */
static int model_member(config_setting_t *s, const char *file, const char *where,
                        struct vg_model *m, int *max_refs, bool *refs_in, struct vg_err *err)
{
	static const char *const res[] = {"720p", "1080p", NULL};
	static const char *const ars[] = {"16:9", "9:16", NULL};
	static const char *const ins[] = {"image", "last_frame", "reference_images", NULL};
	const char *name = config_setting_name(s);

	if (strcmp(name, "id") == 0) {
		const char *v = config_setting_get_string(s);
		if (!v || !*v || strlen(v) > 128 ||
		    strspn(v,
		           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		        strlen(v))
			return model_err(
			    err, file, s, where,
			    "id must be a string of 1 to 128 letters, digits, '.', '_' "
			    "or '-'");
		free(m->id);
		m->id = vg_xstrdup(v);
		return VG_OK;
	}
	if (strcmp(name, "durations") == 0)
		return model_durations(s, file, where, m, err);
	if (strcmp(name, "resolutions") == 0) {
		bool *f[] = {&m->res_720p, &m->res_1080p};
		return model_choices(s, file, where, name, res, f, true, err);
	}
	if (strcmp(name, "aspect_ratios") == 0) {
		bool *f[] = {&m->ar_16_9, &m->ar_9_16};
		return model_choices(s, file, where, name, ars, f, true, err);
	}
	if (strcmp(name, "inputs") == 0) {
		bool *f[] = {&m->in_image, &m->in_last_frame, refs_in};
		return model_choices(s, file, where, name, ins, f, false, err);
	}
	if (strcmp(name, "max_reference_images") == 0)
		return model_int(s, file, where, name, 3, max_refs, err);
	if (strcmp(name, "long_only_duration") == 0)
		return model_int(s, file, where, name, 60, &m->long_only_duration, err);
	if (strcmp(name, "audio") == 0) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return model_err(err, file, s, where, "audio must be true or false");
		m->audio = config_setting_get_bool(s) != 0;
		return VG_OK;
	}
	if (strcmp(name, "price_per_second") == 0)
		return model_number(s, file, where, name, 1000, &m->price_per_second, err);
	if (strcmp(name, "price_per_second_1080p") == 0)
		return model_number(s, file, where, name, 1000, &m->price_per_second_1080p, err);
	return model_err(err, file, s, where, "unknown key %s in a model; the keys are " MODEL_KEYS,
	                 name);
}

static int parse_model(config_setting_t *g, const char *file, const char *where, struct vg_model *m,
                       struct vg_err *err)
{
	int max_refs = -1, rc;
	bool refs_in = false, price = false;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return model_err(err, file, g, where,
		                 "each model must be a group { id = ...; ... }");
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		if ((rc = model_member(s, file, where, m, &max_refs, &refs_in, err)) != VG_OK)
			return rc;
		price |= strcmp(config_setting_name(s), "price_per_second") == 0;
	}
	if (!m->id || !m->n_durations || !(m->res_720p || m->res_1080p) ||
	    !(m->ar_16_9 || m->ar_9_16) || !price)
		return model_err(err, file, g, where,
		                 "a model needs id, durations, resolutions, aspect_ratios and "
		                 "price_per_second");
	if (refs_in && max_refs == 0)
		return model_err(err, file, g, where,
		                 "max_reference_images is 0 but inputs lists reference_images");
	if (!refs_in && max_refs > 0)
		return model_err(
		    err, file, g, where,
		    "max_reference_images is set but inputs lacks \"reference_images\"");
	m->max_reference_images = refs_in ? (max_refs > 0 ? max_refs : 3) : 0;
	if (m->long_only_duration > 0) {
		bool listed = false;
		for (int i = 0; i < m->n_durations; i++)
			listed |= m->durations[i] == m->long_only_duration;
		if (!listed)
			return model_err(err, file, g, where,
			                 "long_only_duration %d is not one of its durations",
			                 m->long_only_duration);
	}
	return VG_OK;
}

/* providers.<name>.models: replaces the built-in table as a whole. */
static int parse_models(config_setting_t *list, const char *path, const char *file,
                        struct vg_provider_models *pm, struct vg_err *err)
{
	int n = config_setting_type(list) == CONFIG_TYPE_LIST ? config_setting_length(list) : 0;
	struct vg_provider_models out = {0};
	int rc = VG_OK;

	if (n < 1 || n > 64)
		return model_err(err, file, list, path,
		                 "must be a list of 1 to 64 model groups: ( { id = \"...\"; ... }, "
		                 "... )");
	out.models = vg_xmalloc((size_t)n * sizeof *out.models);
	memset(out.models, 0, (size_t)n * sizeof *out.models);
	for (int i = 0; i < n && rc == VG_OK; i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		char where[128];

		snprintf(where, sizeof where, "%s[%d]", path, i);
		out.n = i + 1;
		rc = parse_model(g, file, where, &out.models[i], err);
		for (int j = 0; rc == VG_OK && j < i; j++)
			if (strcmp(out.models[j].id, out.models[i].id) == 0)
				rc = model_err(err, file, g, where, "model %s is listed twice",
				               out.models[i].id);
	}
	if (rc != VG_OK) {
		models_free(&out);
		return rc;
	}
	models_free(pm);
	pm->models = out.models;
	pm->n = out.n;
	return VG_OK;
}

static struct vg_provider_models *models_of(struct vg_conf *c, const char *path)
{
	if (strcmp(path, "providers.gemini.models") == 0)
		return &c->gemini_models;
	if (strcmp(path, "providers.vertex.models") == 0)
		return &c->vertex_models;
	return NULL;
}

static int walk(struct vg_conf *c, config_setting_t *group, const char *prefix, const char *file,
                struct vg_err *err)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		char path[256];
		int rc;

		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "",
		         name ? name : "?");
		if (config_setting_type(s) == CONFIG_TYPE_GROUP && is_group_prefix(path)) {
			if ((rc = walk(c, s, path, file, err)) != VG_OK)
				return rc;
			continue;
		}
		struct vg_provider_models *pm = models_of(c, path);
		if (pm) {
			if ((rc = parse_models(s, path, file, pm, err)) != VG_OK)
				return rc;
			continue;
		}
		const struct ckey *k = find_key(path);
		if (!k)
			return vg_err_set(err, VG_EINVAL, "config_unknown_key",
			                  "%s:%d: unknown key %s: check its spelling against the "
			                  "sample veogen.conf",
			                  file, config_setting_source_line(s), path);
		if ((rc = apply(c, s, k, file, err)) != VG_OK)
			return rc;
	}
	return VG_OK;
}

static bool provider_enabled(const struct vg_conf *c, const char *name)
{
	if (strcmp(name, "local") == 0)
		return c->providers_local_enabled;
	if (strcmp(name, "gemini") == 0)
		return c->providers_gemini_enabled;
	return strcmp(name, "vertex") == 0 && c->providers_vertex_enabled;
}

static int check_default_model(const struct vg_provider_models *pm, const char *name,
                               const char *file, struct vg_err *err)
{
	char ids[256] = "";

	if (vg_model_find(pm, pm->default_model))
		return VG_OK;
	for (int i = 0; i < pm->n; i++)
		snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? ", " : "",
		         pm->models[i].id);
	return vg_err_set(err, VG_EINVAL, "config_invalid",
	                  "%s: providers.%s.default_model \"%s\" is not in providers.%s.models; "
	                  "use one of %s",
	                  file, name, pm->default_model, name, ids);
}

static int check_providers(const struct vg_conf *c, const char *file, struct vg_err *err)
{
	int rc;

	if (!provider_enabled(c, c->providers_default))
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "%s: providers.default is \"%s\" but providers.%s.enabled is "
		                  "false: enable it or choose another default",
		                  file, c->providers_default, c->providers_default);
	if ((rc = check_default_model(&c->gemini_models, "gemini", file, err)) != VG_OK ||
	    (rc = check_default_model(&c->vertex_models, "vertex", file, err)) != VG_OK)
		return rc;
	if (*c->providers_gemini_api_key && *c->providers_gemini_api_key_file)
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "%s: providers.gemini.api_key and api_key_file are both set: set "
		                  "one of them",
		                  file);
	return VG_OK;
}

static int cross_check(struct vg_conf *c, const char *file, struct vg_err *err)
{
	int rc;

	if (c->runner_heartbeat_s * 2 > c->runner_lease_s)
		return vg_err_set(
		    err, VG_EINVAL, "config_invalid",
		    "%s: runner.heartbeat_s (%d) must be at most half of runner.lease_s "
		    "(%d), so one missed heartbeat does not lose the lease",
		    file, c->runner_heartbeat_s, c->runner_lease_s);
	if (c->runner_backoff_base_ms > c->runner_backoff_max_ms)
		return vg_err_set(
		    err, VG_EINVAL, "config_invalid",
		    "%s: runner.backoff_base_ms must not exceed runner.backoff_max_ms", file);
	if ((rc = check_providers(c, file, err)) != VG_OK)
		return rc;
	unsigned long mode = strtoul(c->fcgi_socket_mode, NULL, 8);
	if (strspn(c->fcgi_socket_mode, "01234567") != strlen(c->fcgi_socket_mode) ||
	    !*c->fcgi_socket_mode || mode > 0777)
		return vg_err_set(
		    err, VG_EINVAL, "config_invalid",
		    "%s: fcgi.socket_mode \"%s\" must be an octal mode such as \"0660\"", file,
		    c->fcgi_socket_mode);
	if (c->storage_dir[0] != '/')
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "%s: storage.dir \"%s\" must be an absolute path", file,
		                  c->storage_dir);
	struct vg_netlist nets;
	char why[256];
	if (!vg_netlist_parse(c->webhooks_allow_networks, &nets, why, sizeof why))
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "%s: webhooks.allow_networks: %s", file, why);
	return VG_OK;
}

/* An environment variable that replaces a string key when set and not empty. */
static void env_string(char **field, const char *name)
{
	const char *v = getenv(name);

	if (v && *v) {
		free_secret(field); /* may be a secret: wipe the old value */
		*field = vg_xstrdup(v);
	}
}

static void env_overrides(struct vg_conf *c)
{
	const char *v = getenv("VEOGEN_RATE_LIMIT_PER_MIN");
	uint64_t n;

	if (v && vg_str_u64(v, 10000000, &n))
		c->limits_requests_per_min = (int)n;
	/* values only: whether a provider is enabled stays the file's decision */
	env_string(&c->providers_gemini_base_url, "VEOGEN_GEMINI_BASE_URL");
	if (getenv("VEOGEN_GEMINI_API_KEY") && *getenv("VEOGEN_GEMINI_API_KEY")) {
		env_string(&c->providers_gemini_api_key, "VEOGEN_GEMINI_API_KEY");
		free(c->providers_gemini_api_key_file); /* the environment's key wins */
		c->providers_gemini_api_key_file = vg_xstrdup("");
	}
	env_string(&c->providers_vertex_base_url, "VEOGEN_VERTEX_BASE_URL");
	env_string(&c->providers_vertex_token_url, "VEOGEN_VERTEX_TOKEN_URL");
	env_string(&c->providers_vertex_key_file, "VEOGEN_VERTEX_KEY_FILE");
}

int vg_conf_parse(struct vg_conf *c, const char *path, struct vg_err *err)
{
	config_t cfg;
	int rc;

	vg_conf_defaults(c);
	config_init(&cfg);
	char dir[4096];
	vg_strlcpy(dir, path, sizeof dir);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		config_set_include_dir(&cfg, dir[0] ? dir : "/");
	}
	errno = 0;
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			rc = vg_err_set(err, VG_EINVAL, "config_unreadable",
			                "cannot read config file %s: %s", path,
			                errno ? strerror(errno) : "file I/O error");
		else
			rc = vg_err_set(err, VG_EINVAL, "config_syntax", "%s:%d: %s",
			                config_error_file(&cfg) ? config_error_file(&cfg) : path,
			                config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		vg_conf_free(c);
		return rc;
	}
	rc = walk(c, config_root_setting(&cfg), "", path, err);
	config_destroy(&cfg);
	if (rc == VG_OK) {
		local_model(c); /* its id is providers.local.model */
		rc = cross_check(c, path, err);
	}
	if (rc != VG_OK) {
		vg_conf_free(c);
		return rc;
	}
	env_overrides(c);
	c->path = vg_xstrdup(path);
	return VG_OK;
}

static int read_key_file(const char *path, const char *what, unsigned char **out, int *len,
                         struct vg_err *err)
{
	FILE *f;
	struct stat st;
	unsigned char *p;
	size_t n;

	if (!path || !*path)
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "%s is not set: name the file that holds it", what);
	f = fopen(path, "rb");
	if (!f)
		return vg_err_set(err, VG_EINVAL, "config_invalid", "cannot open %s %s: %s", what,
		                  path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 || st.st_size > 65536) {
		fclose(f);
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "%s %s must be a non-empty file of at most 64 KiB", what, path);
	}
	p = vg_xmalloc((size_t)st.st_size + 1);
	n = fread(p, 1, (size_t)st.st_size, f);
	fclose(f);
	/* a trailing newline is not part of an HMAC secret */
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	p[n] = '\0';
	*out = p;
	*len = (int)n;
	return VG_OK;
}

/* The Gemini API key from api_key_file, trimmed of white space around it. */
static int read_api_key(struct vg_conf *c, struct vg_err *err)
{
	unsigned char *p = NULL;
	int len = 0, rc;

	rc = read_key_file(c->providers_gemini_api_key_file, "providers.gemini.api_key_file", &p,
	                   &len, err);
	if (rc != VG_OK)
		return rc;
	size_t n = 0;
	const char *key = vg_str_trim((const char *)p, &n);
	if (n == 0) {
		free(p);
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "providers.gemini.api_key_file %s holds no key",
		                  c->providers_gemini_api_key_file);
	}
	free_secret(&c->providers_gemini_api_key);
	c->providers_gemini_api_key = vg_xmalloc(n + 1);
	memcpy(c->providers_gemini_api_key, key, n);
	c->providers_gemini_api_key[n] = '\0';
	OPENSSL_cleanse(p, (size_t)len);
	free(p);
	return VG_OK;
}

/* Credentials of the enabled remote providers: present and readable (the service-account
 * file is parsed by the Vertex client, not here). */
static int check_credentials(struct vg_conf *c, struct vg_err *err)
{
	int rc;

	if (*c->providers_gemini_api_key_file && (rc = read_api_key(c, err)) != VG_OK)
		return rc;
	if (c->providers_gemini_enabled && !*c->providers_gemini_api_key)
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "providers.gemini is enabled but has no API key: set "
		                  "providers.gemini.api_key or api_key_file, or "
		                  "VEOGEN_GEMINI_API_KEY in the environment");
	if (!c->providers_vertex_enabled)
		return VG_OK;
	if (!*c->providers_vertex_key_file)
		return vg_err_set(
		    err, VG_EINVAL, "config_invalid",
		    "providers.vertex is enabled but providers.vertex.key_file is not "
		    "set: name the service-account JSON file (or set "
		    "VEOGEN_VERTEX_KEY_FILE)");
	FILE *f = fopen(c->providers_vertex_key_file, "rb");
	if (!f)
		return vg_err_set(err, VG_EINVAL, "config_invalid",
		                  "cannot open providers.vertex.key_file %s: %s",
		                  c->providers_vertex_key_file, strerror(errno));
	fclose(f);
	return VG_OK;
}

int vg_conf_load_providers(struct vg_conf *c, const char *path, struct vg_err *err)
{
	int rc = vg_conf_parse(c, path, err);

	if (rc == VG_OK && (rc = check_credentials(c, err)) != VG_OK)
		vg_conf_free(c);
	return rc;
}

int vg_conf_load(struct vg_conf *c, const char *path, struct vg_err *err)
{
	int rc = vg_conf_parse(c, path, err);

	if (rc != VG_OK)
		return rc;
	if (strcmp(c->auth_jwt_alg, "HS256") == 0) {
		rc = read_key_file(c->auth_jwt_secret_file, "auth.jwt_secret_file",
		                   &c->jwt_sign_key, &c->jwt_sign_key_len, err);
		if (rc == VG_OK && c->jwt_sign_key_len < 32)
			rc = vg_err_set(
			    err, VG_EINVAL, "config_invalid",
			    "the HS256 secret in %s is %d bytes; use at least 32 random "
			    "bytes (e.g. openssl rand -hex 32 > %s)",
			    c->auth_jwt_secret_file, c->jwt_sign_key_len, c->auth_jwt_secret_file);
		if (rc == VG_OK) {
			c->jwt_verify_key = vg_xmalloc((size_t)c->jwt_sign_key_len + 1);
			memcpy(c->jwt_verify_key, c->jwt_sign_key, (size_t)c->jwt_sign_key_len + 1);
			c->jwt_verify_key_len = c->jwt_sign_key_len;
		}
	} else {
		rc = read_key_file(c->auth_jwt_private_key_file, "auth.jwt_private_key_file",
		                   &c->jwt_sign_key, &c->jwt_sign_key_len, err);
		if (rc == VG_OK)
			rc = read_key_file(c->auth_jwt_public_key_file, "auth.jwt_public_key_file",
			                   &c->jwt_verify_key, &c->jwt_verify_key_len, err);
	}
	if (rc == VG_OK)
		rc = check_credentials(c, err);
	if (rc != VG_OK)
		vg_conf_free(c);
	return rc;
}

void vg_conf_restart_keys(const struct vg_conf *a, const struct vg_conf *b, char *out, int size)
{
	int o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		const struct ckey *k = &keys[i];
		bool differ = false;
		if (k->reload != C_RESTART)
			continue;
		if (k->type == CT_STR)
			differ = strcmp(*FIELD(a, k, char *const), *FIELD(b, k, char *const)) != 0;
		else if (k->type == CT_INT)
			differ = *FIELD(a, k, const int) != *FIELD(b, k, const int);
		else if (k->type == CT_I64)
			differ = *FIELD(a, k, const long long) != *FIELD(b, k, const long long);
		else if (k->type == CT_DBL)
			differ = *FIELD(a, k, const double) != *FIELD(b, k, const double);
		else
			differ = *FIELD(a, k, const bool) != *FIELD(b, k, const bool);
		if (differ && o < size)
			o += snprintf(out + o, (size_t)(size - o), "%s%s", o ? ", " : "", k->key);
	}
}
