#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_str.h"

enum ctype { CT_STR, CT_INT, CT_BOOL };
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
    I("limits.requests_per_min", limits_requests_per_min, C_RELOAD, 600, 0, 10000000),
    I("limits.creates_per_min", limits_creates_per_min, C_RELOAD, 60, 0, 10000000),
    I("limits.failed_logins_per_account", limits_failed_logins_per_account, C_RELOAD, 10, 0,
      1000000),
    I("limits.failed_logins_per_address", limits_failed_logins_per_address, C_RELOAD, 100, 0,
      1000000),
    I("limits.registrations_per_address", limits_registrations_per_address, C_RELOAD, 100, 0,
      1000000),
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
    E("providers.default", providers_default, C_RELOAD, "local", "local|gemini|vertex"),
    B("providers.local.enabled", providers_local_enabled, C_RELOAD, "true"),
    S("providers.local.model", providers_local_model, C_RELOAD, "veogen-preview-1"),
    S("providers.local.font", providers_local_font, C_RELOAD,
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
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
	case CT_BOOL:
		*FIELD(c, k, bool) = strcmp(k->def, "true") == 0;
		break;
	}
}

void vg_conf_defaults(struct vg_conf *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NKEYS; i++)
		set_default(c, &keys[i]);
}

void vg_conf_free(struct vg_conf *c)
{
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
	case CT_INT: {
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
		*FIELD(c, k, int) = (int)v;
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

static int cross_check(struct vg_conf *c, const char *file, struct vg_err *err)
{
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
	if (strcmp(c->providers_default, "local") == 0 && !c->providers_local_enabled)
		return vg_err_set(
		    err, VG_EINVAL, "config_invalid",
		    "%s: providers.default is \"local\" but providers.local.enabled is "
		    "false: enable it or choose another default",
		    file);
	if (strcmp(c->providers_default, "local") != 0)
		return vg_err_set(
		    err, VG_EINVAL, "config_invalid",
		    "%s: providers.default \"%s\" is not available in this build; use "
		    "\"local\"",
		    file, c->providers_default);
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
	return VG_OK;
}

static void env_overrides(struct vg_conf *c)
{
	const char *v = getenv("VEOGEN_RATE_LIMIT_PER_MIN");
	uint64_t n;

	if (v && vg_str_u64(v, 10000000, &n))
		c->limits_requests_per_min = (int)n;
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
	if (rc == VG_OK)
		rc = cross_check(c, path, err);
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
		else
			differ = *FIELD(a, k, const bool) != *FIELD(b, k, const bool);
		if (differ && o < size)
			o += snprintf(out + o, (size_t)(size - o), "%s%s", o ? ", " : "", k->key);
	}
}
