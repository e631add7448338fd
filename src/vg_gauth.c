/* OAuth for Vertex AI with a service-account key: load the key file, sign an RS256 JWT
 * assertion, exchange it for an access token and cache that.  No message ever quotes
 * the key file's contents: jansson's error text can, so only line and column are shown. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vg_gauth.h"
#include "vg_http.h"
#include "vg_metrics.h"
#include "vg_str.h"

#define KEY_FILE_MAX      (64 * 1024) /* real key files are about 2.4 KiB */
#define ASSERTION_LIFE_S  3600        /* the longest Google accepts */
#define DEFAULT_TOKEN_URL "https://oauth2.googleapis.com/token"
#define TOKEN_TIMEOUT_MS  30000

/* ---- key file */

static char *read_small_file(const char *path, size_t *len, struct vg_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		int e = errno;

		vg_err_set(err, e == ENOENT ? VG_ENOTFOUND : VG_EINVAL, "key_file_invalid",
		           "cannot open the service-account key file %s: %s", path, strerror(e));
		return NULL;
	}
	buf = malloc(KEY_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		vg_err_set(err, VG_EINTERNAL, NULL, "out of memory reading %s", path);
		return NULL;
	}
	n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	if (ferror(f) || n > KEY_FILE_MAX) {
		vg_err_set(err, VG_EINVAL, "key_file_invalid",
		           ferror(f) ? "cannot read the service-account key file %s"
		                     : "the service-account key file %s is larger than 64 KiB: "
		                       "is it really a key file?",
		           path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* A string field: NULL with no error when absent (and allowed); an error naming the field
 * when present with another type, or absent/empty and required. */
static int sa_field(const json_t *root, const char *path, const char *name, bool required,
                    char **out, struct vg_err *err)
{
	const json_t *v = json_object_get(root, name);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return VG_OK;
		return vg_err_set(err, VG_EINVAL, "key_file_invalid",
		                  "the service-account key file %s has no \"%s\" field", path,
		                  name);
	}
	if (!json_is_string(v))
		return vg_err_set(err, VG_EINVAL, "key_file_invalid",
		                  "the service-account key file %s: field \"%s\" must be a string",
		                  path, name);
	if (json_string_length(v) == 0) {
		if (!required)
			return VG_OK;
		return vg_err_set(err, VG_EINVAL, "key_file_invalid",
		                  "the service-account key file %s: field \"%s\" is empty", path,
		                  name);
	}
	*out = strdup(json_string_value(v));
	if (!*out)
		return vg_err_set(err, VG_EINTERNAL, NULL, "out of memory reading %s", path);
	return VG_OK;
}

static int sa_check_type(const json_t *root, const char *path, struct vg_err *err)
{
	const json_t *v = json_object_get(root, "type");

	if (!v)
		return vg_err_set(err, VG_EINVAL, "key_file_invalid",
		                  "the service-account key file %s has no \"type\" field: download "
		                  "a JSON key of a service account",
		                  path);
	if (!json_is_string(v) || strcmp(json_string_value(v), "service_account") != 0)
		return vg_err_set(err, VG_EINVAL, "key_file_invalid",
		                  "the service-account key file %s: field \"type\" must be "
		                  "\"service_account\" (user credentials and other kinds are not "
		                  "supported)",
		                  path);
	return VG_OK;
}

static int sa_fill(const json_t *root, const char *path, struct vg_gauth_sa *sa, struct vg_err *err)
{
	int rc;

	if ((rc = sa_check_type(root, path, err)) != VG_OK ||
	    (rc = sa_field(root, path, "client_email", true, &sa->client_email, err)) != VG_OK ||
	    (rc = sa_field(root, path, "private_key", true, &sa->private_key_pem, err)) != VG_OK ||
	    (rc = sa_field(root, path, "private_key_id", false, &sa->private_key_id, err)) !=
	        VG_OK ||
	    (rc = sa_field(root, path, "token_uri", false, &sa->token_uri, err)) != VG_OK ||
	    (rc = sa_field(root, path, "project_id", false, &sa->project_id, err)) != VG_OK)
		return rc;
	if (strncmp(sa->private_key_pem, "-----BEGIN ", 11) != 0)
		return vg_err_set(err, VG_EINVAL, "key_file_invalid",
		                  "the service-account key file %s: field \"private_key\" is not a "
		                  "PEM key",
		                  path);
	return VG_OK;
}

int vg_gauth_load(const char *path, struct vg_gauth_sa *sa, struct vg_err *err)
{
	json_error_t jerr;
	json_t *root;
	size_t len = 0;
	char *text;
	int rc;

	memset(sa, 0, sizeof *sa);
	text = read_small_file(path, &len, err);
	if (!text)
		return err->rc;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	/* The text holds the private key: wipe it before it goes back to the heap. */
	explicit_bzero(text, len);
	free(text);
	if (!root)
		return vg_err_set(err, VG_EINVAL, "key_file_invalid",
		                  "the service-account key file %s is not valid JSON (line %d, "
		                  "column %d)",
		                  path, jerr.line, jerr.column);
	if (!json_is_object(root))
		rc = vg_err_set(err, VG_EINVAL, "key_file_invalid",
		                "the service-account key file %s must hold a JSON object", path);
	else
		rc = sa_fill(root, path, sa, err);
	json_decref(root);
	if (rc != VG_OK)
		vg_gauth_sa_free(sa);
	return rc;
}

void vg_gauth_sa_free(struct vg_gauth_sa *sa)
{
	if (!sa)
		return;
	if (sa->private_key_pem)
		explicit_bzero(sa->private_key_pem, strlen(sa->private_key_pem));
	free(sa->client_email);
	free(sa->private_key_pem);
	free(sa->private_key_id);
	free(sa->token_uri);
	free(sa->project_id);
	memset(sa, 0, sizeof *sa);
}

/* ---- assertion */

static int add_claims(jwt_t *jwt, const struct vg_gauth_sa *sa, const char *token_url,
                      long long now)
{
	if (jwt_add_grant(jwt, "iss", sa->client_email) != 0 ||
	    jwt_add_grant(jwt, "scope", VG_GAUTH_SCOPE) != 0 ||
	    jwt_add_grant(jwt, "aud", token_url) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(now + ASSERTION_LIFE_S)) != 0)
		return -1;
	if (sa->private_key_id && sa->private_key_id[0] &&
	    jwt_add_header(jwt, "kid", sa->private_key_id) != 0)
		return -1;
	return 0;
}

char *vg_gauth_assertion(const struct vg_gauth_sa *sa, const char *token_url, long long now,
                         struct vg_err *err)
{
	jwt_t *jwt = NULL;
	char *enc = NULL;
	char *out = NULL;

	if (!sa || !sa->client_email || !sa->private_key_pem || !token_url || !token_url[0]) {
		vg_err_set(err, VG_EINTERNAL, NULL,
		           "cannot sign an OAuth assertion without a loaded key and a token URL");
		return NULL;
	}
	if (jwt_new(&jwt) != 0 || !jwt) {
		vg_err_set(err, VG_EINTERNAL, NULL, "out of memory signing the OAuth assertion");
		return NULL;
	}
	if (jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)sa->private_key_pem,
	                (int)strlen(sa->private_key_pem)) != 0 ||
	    add_claims(jwt, sa, token_url, now) != 0) {
		vg_err_set(err, VG_EINTERNAL, NULL, "cannot build the OAuth assertion for %s",
		           sa->client_email);
		goto out;
	}
	/* A bad key shows here: libjwt 1.10 only parses the PEM while signing. */
	enc = jwt_encode_str(jwt);
	if (!enc) {
		vg_err_set(err, VG_EINVAL, "key_file_invalid",
		           "cannot sign the OAuth assertion for %s: the key file's \"private_key\" "
		           "is not a usable RSA private key",
		           sa->client_email);
		goto out;
	}
	/* libjwt 1.10 has no jwt_free_str and allocates with malloc: hand ours back. */
	out = strdup(enc);
	free(enc);
	if (!out)
		vg_err_set(err, VG_EINTERNAL, NULL, "out of memory signing the OAuth assertion");
out:
	jwt_free(jwt);
	return out;
}

/* ---- token endpoint */

static bool form_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

char *vg_gauth_token_body(const char *assertion)
{
	static const char prefix[] =
	    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
	static const char hex[] = "0123456789ABCDEF";
	size_t n = sizeof prefix - 1, o;
	char *out;

	if (!assertion)
		return NULL;
	/* base64url and dots pass as they are; anything else is escaped all the same. */
	for (const unsigned char *p = (const unsigned char *)assertion; *p; p++)
		n += form_unreserved(*p) ? 1 : 3;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, prefix, sizeof prefix - 1);
	o = sizeof prefix - 1;
	for (const unsigned char *p = (const unsigned char *)assertion; *p; p++) {
		if (form_unreserved(*p)) {
			out[o++] = (char)*p;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 15];
	}
	out[o] = '\0';
	return out;
}

/* {"error": "invalid_grant", "error_description": "…"}; Google's envelope
 * {"error": {"message": …}} is taken too. */
static int token_error(const json_t *root, struct vg_err *err)
{
	const json_t *e = json_object_get(root, "error");
	const char *what = json_is_string(e) ? json_string_value(e) : "error";
	const char *desc = json_string_value(json_object_get(root, "error_description"));

	if (!desc && json_is_object(e))
		desc = json_string_value(json_object_get(e, "message"));
	return vg_err_set(err, VG_EFORBIDDEN, "provider_auth_failed",
	                  "the OAuth token endpoint refused the service-account key (%s): %s; "
	                  "check the key file, that the key is not revoked and the machine's clock",
	                  what, desc ? desc : "no description");
}

static int token_fields(const json_t *root, char **token, long *expires_in_s, struct vg_err *err)
{
	const json_t *at = json_object_get(root, "access_token");
	const json_t *exp = json_object_get(root, "expires_in");
	const json_t *type = json_object_get(root, "token_type");

	if (!json_is_string(at) || json_string_length(at) == 0)
		return vg_err_set(err, VG_EINTERNAL, "provider_bad_answer",
		                  "the OAuth token answer has no \"access_token\" string");
	if (!json_is_integer(exp) || json_integer_value(exp) <= 0)
		return vg_err_set(err, VG_EINTERNAL, "provider_bad_answer",
		                  "the OAuth token answer has no positive integer \"expires_in\"");
	/* Absent means Bearer (RFC 6749 makes it required, Google always sends it). */
	if (type && (!json_is_string(type) || strcasecmp(json_string_value(type), "Bearer") != 0))
		return vg_err_set(
		    err, VG_EINTERNAL, "provider_bad_answer",
		    "the OAuth token answer has \"token_type\" other than \"Bearer\"");
	*token = strdup(json_string_value(at));
	if (!*token)
		return vg_err_set(err, VG_EINTERNAL, NULL, "out of memory reading the token");
	*expires_in_s = (long)json_integer_value(exp);
	return VG_OK;
}

int vg_gauth_parse_token(const char *body, size_t len, char **token, long *expires_in_s,
                         struct vg_err *err)
{
	json_t *root;
	int rc;

	*token = NULL;
	*expires_in_s = 0;
	root = body ? json_loadb(body, len, 0, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return vg_err_set(err, VG_EINTERNAL, "provider_bad_answer",
		                  "the OAuth token endpoint answered with something that is not a "
		                  "JSON object");
	}
	if (json_object_get(root, "error"))
		rc = token_error(root, err);
	else
		rc = token_fields(root, token, expires_in_s, err);
	json_decref(root);
	return rc;
}

/* ---- cache */

int vg_gauth_token_stale(const struct vg_gauth_token *t, long long now_s, long margin_s)
{
	return !t || !t->token || now_s + margin_s >= t->expires_at_s;
}

void vg_gauth_token_set(struct vg_gauth_token *t, char *token, long long expires_at_s)
{
	if (t->token != token)
		vg_gauth_token_clear(t);
	t->token = token;
	t->expires_at_s = expires_at_s;
}

void vg_gauth_token_clear(struct vg_gauth_token *t)
{
	if (t->token) {
		explicit_bzero(t->token, strlen(t->token));
		free(t->token);
	}
	t->token = NULL;
	t->expires_at_s = 0;
}

/* ---- blocking fetch */

/* A non-2xx answer: the status and whatever error_description it carried. */
static int token_http_error(const char *url, const struct vg_http_resp *resp, struct vg_err *err)
{
	bool transient = resp->status >= 500 || resp->status == 429;
	int rc = transient ? VG_EUNAVAIL : VG_EFORBIDDEN;
	const char *code = transient ? "provider_unavailable" : "provider_auth_failed";
	struct vg_err perr;
	char *tok = NULL;
	long ign;

	vg_err_clear(&perr);
	if (resp->body &&
	    vg_gauth_parse_token(resp->body, resp->body_len, &tok, &ign, &perr) == VG_EFORBIDDEN)
		return vg_err_set(err, rc, code, "HTTP %ld from %s: %s", resp->status, url,
		                  perr.msg);
	free(tok);
	return vg_err_set(
	    err, rc, code, "OAuth token endpoint %s answered HTTP %ld; %s", url, resp->status,
	    transient ? "try again later" : "check providers.vertex.token_url and the key file");
}

static int exchange(const char *url, const char *body, long long now, struct vg_gauth_token *t,
                    struct vg_err *err)
{
	struct vg_http_req req = {
	    .method = "POST",
	    .url = url,
	    .headers = {"Content-Type: application/x-www-form-urlencoded", NULL},
	    .body = body,
	    .body_len = strlen(body),
	    .timeout_ms = TOKEN_TIMEOUT_MS,
	};
	struct vg_http_resp resp;
	char *token = NULL;
	long expires_in = 0;
	int rc;

	memset(&resp, 0, sizeof resp);
	rc = vg_http_fetch(&req, &resp, err);
	if (rc != VG_OK) {
		vg_metrics_provider_call("vertex", "token", "network", resp.total_s);
		vg_http_resp_free(&resp);
		return rc;
	}
	if (resp.status < 200 || resp.status > 299)
		rc = token_http_error(url, &resp, err);
	else
		rc = vg_gauth_parse_token(resp.body, resp.body_len, &token, &expires_in, err);
	const char *code = vg_metrics_http_error_code(resp.status, resp.curl_code);
	vg_metrics_provider_call("vertex", "token",
	                         rc == VG_OK ? NULL
	                         : code      ? code
	                                     : "invalid_response",
	                         resp.total_s);
	vg_http_resp_free(&resp);
	if (rc == VG_OK)
		vg_gauth_token_set(t, token, now + expires_in);
	return rc;
}

int vg_gauth_fetch(const char *key_file, const char *token_url, struct vg_gauth_token *t,
                   struct vg_err *err)
{
	struct vg_gauth_sa sa;
	long long now = (long long)time(NULL);
	const char *url;
	char *assertion, *body;
	int rc;

	if (!key_file || !key_file[0])
		return vg_err_set(err, VG_EUNAVAIL, "provider_unavailable",
		                  "Vertex AI is not configured: set providers.vertex.key_file (or "
		                  "VEOGEN_VERTEX_KEY_FILE) to a service-account JSON key");
	if ((rc = vg_gauth_load(key_file, &sa, err)) != VG_OK)
		return rc;
	/* The configured URL wins over the key file's, which wins over Google's default. */
	url = token_url && token_url[0] ? token_url
	      : sa.token_uri            ? sa.token_uri
	                                : DEFAULT_TOKEN_URL;
	assertion = vg_gauth_assertion(&sa, url, now, err);
	if (!assertion) {
		vg_gauth_sa_free(&sa);
		return err->rc;
	}
	body = vg_gauth_token_body(assertion);
	free(assertion);
	if (!body)
		rc =
		    vg_err_set(err, VG_EINTERNAL, NULL, "out of memory building the token request");
	else
		rc = exchange(url, body, now, t, err);
	free(body);
	vg_gauth_sa_free(&sa);
	return rc;
}
