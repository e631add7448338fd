#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "remote_provider.h"
#include "vg_arena.h"
#include "vg_gapi.h"
#include "vg_log.h"
#include "vg_str.h"

/* Refresh a Vertex token this long before it expires: a request must not carry a token
 * that dies on the way. */
#define TOKEN_MARGIN_S      300
#define FETCH_TIMEOUT_MS(c) ((long)(c)->providers_http_timeout_s * 1000 * 10)

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		vg_oom(0);
	return s;
}

/* The project of the service-account key file, when the config names none. */
static char *key_file_project(const char *path)
{
	struct vg_gauth_sa sa;
	struct vg_err err;
	char *project = NULL;

	vg_err_clear(&err);
	if (vg_gauth_load(path, &sa, &err) != VG_OK) {
		log_warnx("vertex: %s", err.msg);
		return NULL;
	}
	if (sa.project_id && sa.project_id[0])
		project = vg_xstrdup(sa.project_id);
	vg_gauth_sa_free(&sa);
	return project;
}

void remote_providers_init(const struct vg_conf *c, struct remote_provider *gemini,
                           struct remote_provider *vertex)
{
	memset(gemini, 0, sizeof *gemini);
	memset(vertex, 0, sizeof *vertex);
	gemini->name = "gemini";
	gemini->dialect = VG_VEO_GEMINI;
	gemini->conf = c;
	gemini->models = &c->gemini_models;
	gemini->base_url = c->providers_gemini_base_url;
	gemini->secret = c->providers_gemini_api_key;
	snprintf(gemini->auth_header, sizeof gemini->auth_header, "x-goog-api-key: %s",
	         c->providers_gemini_api_key ? c->providers_gemini_api_key : "");

	vertex->name = "vertex";
	vertex->dialect = VG_VEO_VERTEX;
	vertex->conf = c;
	vertex->models = &c->vertex_models;
	vertex->base_url = c->providers_vertex_base_url;
	if (c->providers_vertex_enabled) {
		if (c->providers_vertex_project && c->providers_vertex_project[0])
			vertex->project = vg_xstrdup(c->providers_vertex_project);
		else
			vertex->project = key_file_project(c->providers_vertex_key_file);
	}
}

void remote_providers_free(struct remote_provider *gemini, struct remote_provider *vertex)
{
	free(vertex->project);
	vg_gauth_token_clear(&vertex->token);
	explicit_bzero(vertex->auth_header, sizeof vertex->auth_header);
	explicit_bzero(gemini->auth_header, sizeof gemini->auth_header);
}

int remote_provider_auth(struct remote_provider *p, struct vg_err *err)
{
	const struct vg_conf *c = p->conf;

	if (p->dialect == VG_VEO_GEMINI) {
		if (!c->providers_gemini_enabled)
			return vg_err_set(err, VG_EINVAL, "provider_unavailable",
			                  "the gemini provider is not enabled on this runner "
			                  "(providers.gemini.enabled)");
		return VG_OK;
	}
	if (!c->providers_vertex_enabled)
		return vg_err_set(err, VG_EINVAL, "provider_unavailable",
		                  "the vertex provider is not enabled on this runner "
		                  "(providers.vertex.enabled)");
	if (!p->project)
		return vg_err_set(err, VG_EINVAL, "provider_unavailable",
		                  "vertex has no project: set providers.vertex.project or use a "
		                  "key file with project_id");
	if (!vg_gauth_token_stale(&p->token, (long long)time(NULL), TOKEN_MARGIN_S))
		return VG_OK;
	if (vg_gauth_fetch(c->providers_vertex_key_file, c->providers_vertex_token_url, &p->token,
	                   err) != VG_OK) {
		/* a token endpoint that is down is worth another try; a refused key is not */
		log_warnx("vertex: no access token: %s", err->msg);
		return err->rc;
	}
	snprintf(p->auth_header, sizeof p->auth_header, "Authorization: Bearer %s", p->token.token);
	p->secret = p->token.token;
	log_info("vertex: new access token, valid for %lld s",
	         p->token.expires_at_s - (long long)time(NULL));
	return VG_OK;
}

static void json_headers(const struct remote_provider *p, struct vg_http_req *req, bool post)
{
	int n = 0;

	req->headers[n++] = p->auth_header;
	if (post)
		req->headers[n++] = "Content-Type: application/json";
	req->headers[n] = NULL;
}

static char *vertex_model_url(const struct remote_provider *p, const char *model,
                              const char *method)
{
	return xprintf("%s/v1/projects/%s/locations/%s/publishers/google/models/%s:%s", p->base_url,
	               p->project, p->conf->providers_vertex_location, model, method);
}

void remote_submit_req(const struct remote_provider *p, const char *model, char *body, char **url,
                       struct vg_http_req *req)
{
	memset(req, 0, sizeof *req);
	if (p->dialect == VG_VEO_GEMINI)
		*url = xprintf("%s/v1beta/models/%s:predictLongRunning", p->base_url, model);
	else
		*url = vertex_model_url(p, model, "predictLongRunning");
	req->method = "POST";
	req->url = *url;
	req->fresh_connection = true; /* never re-sent behind our back: it is billed */
	req->body = body;
	req->body_len = strlen(body);
	req->timeout_ms = (long)p->conf->providers_http_timeout_s * 1000;
	json_headers(p, req, true);
}

void remote_poll_req(const struct remote_provider *p, const char *model, const char *operation,
                     char **url, char **body, struct vg_http_req *req)
{
	memset(req, 0, sizeof *req);
	req->timeout_ms = (long)p->conf->providers_http_timeout_s * 1000;
	if (p->dialect == VG_VEO_GEMINI) {
		/* the whole name goes after /v1beta/, as it came (never rebuilt) */
		*url = xprintf("%s/v1beta/%s", p->base_url, operation);
		*body = NULL;
		req->method = "GET";
		json_headers(p, req, false);
	} else {
		/* GET of a Vertex operation is a 404: it is fetched by POST */
		*url = vertex_model_url(p, model, "fetchPredictOperation");
		*body = vg_veo_fetch_body(operation);
		if (!*body)
			vg_oom(0);
		req->method = "POST";
		req->body = *body;
		req->body_len = strlen(*body);
		/* inline video bytes make a big answer */
		req->max_body = (size_t)1 << 30;
		json_headers(p, req, true);
	}
	req->url = *url;
}

static const char *credential_origin(const struct remote_provider *p)
{
	return p->dialect == VG_VEO_GEMINI ? p->base_url : p->conf->providers_vertex_storage_url;
}

void remote_fetch_req(const struct remote_provider *p, const char *url, const char *sink_path,
                      struct vg_http_req *req)
{
	memset(req, 0, sizeof *req);
	req->method = "GET";
	req->url = url;
	req->sink_path = sink_path;
	req->timeout_ms = FETCH_TIMEOUT_MS(p->conf);
	if (vg_http_same_origin(url, credential_origin(p)))
		req->headers[0] = p->auth_header;
}

char *remote_result_url(const struct remote_provider *p, const char *uri)
{
	if (p->dialect == VG_VEO_VERTEX && strncmp(uri, "gs://", 5) == 0)
		return vg_veo_gcs_url(p->conf->providers_vertex_storage_url, uri);
	return vg_xstrdup(uri);
}

void remote_redact(const struct remote_provider *p, char *msg, size_t size)
{
	vg_gapi_redact(msg, size, p->secret);
	if (p->conf->providers_gemini_api_key)
		vg_gapi_redact(msg, size, p->conf->providers_gemini_api_key);
}
