#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_provider.h"
#include "vg_gapi.h"
#include "vg_gauth.h"
#include "vg_http.h"

#define CHECK_TIMEOUT_MS 20000

/* GET url with one auth header; prints "ok" or why not.  Returns 0 when the model
 * answered. */
static int check_url(const char *provider, const char *model, const char *what, const char *url,
                     const char *auth, const char *secret, FILE *out)
{
	struct vg_http_req req;
	struct vg_http_resp resp;
	struct vg_gapi_error e;
	struct vg_err err;
	int bad = 0;

	memset(&req, 0, sizeof req);
	req.url = url;
	req.headers[0] = auth;
	req.timeout_ms = CHECK_TIMEOUT_MS;
	vg_err_clear(&err);
	if (vg_http_fetch(&req, &resp, &err) != VG_OK) {
		vg_gapi_redact(err.msg, sizeof err.msg, secret);
		fprintf(out, "%-7s %-34s %-6s FAILED  %s\n", provider, model, what, err.msg);
		return 1;
	}
	switch (vg_gapi_classify(&resp, &e)) {
	case VG_GAPI_OK:
		fprintf(out, "%-7s %-34s %-6s ok\n", provider, model, what);
		break;
	default:
		vg_gapi_redact(e.message, sizeof e.message, secret);
		fprintf(out, "%-7s %-34s %-6s FAILED  %s%s\n", provider, model, what,
		        resp.status == 404 ? "not served (retired or misspelt?): " : "", e.message);
		bad = 1;
	}
	vg_http_resp_free(&resp);
	return bad;
}

static int check_gemini(const struct vg_conf *c, FILE *out)
{
	char auth[1024], url[2048];
	const char *key = c->providers_gemini_api_key;
	int bad = 0;

	snprintf(auth, sizeof auth, "x-goog-api-key: %s", key ? key : "");
	for (int i = 0; i < c->gemini_models.n; i++) {
		const char *id = c->gemini_models.models[i].id;

		snprintf(url, sizeof url, "%s/v1beta/models/%s", c->providers_gemini_base_url, id);
		bad += check_url("gemini", id, "video", url, auth, key, out);
	}
	snprintf(url, sizeof url, "%s/v1beta/models/%s", c->providers_gemini_base_url,
	         c->providers_gemini_text_model);
	bad += check_url("gemini", c->providers_gemini_text_model, "text", url, auth, key, out);
	explicit_bzero(auth, sizeof auth);
	return bad;
}

static int check_vertex(const struct vg_conf *c, FILE *out)
{
	struct vg_gauth_token t = {NULL, 0};
	struct vg_gauth_sa sa;
	char auth[4096], url[2048], *project = NULL;
	struct vg_err err;
	int bad = 0;

	vg_err_clear(&err);
	if (c->providers_vertex_project && c->providers_vertex_project[0])
		project = strdup(c->providers_vertex_project);
	else if (vg_gauth_load(c->providers_vertex_key_file, &sa, &err) == VG_OK) {
		project = sa.project_id ? strdup(sa.project_id) : NULL;
		vg_gauth_sa_free(&sa);
	}
	if (!project) {
		fprintf(out, "vertex  (all models)                       FAILED  no project: set "
		             "providers.vertex.project or use a key file with project_id\n");
		return c->vertex_models.n > 0 ? c->vertex_models.n : 1;
	}
	if (vg_gauth_fetch(c->providers_vertex_key_file, c->providers_vertex_token_url, &t, &err) !=
	    VG_OK) {
		fprintf(out,
		        "vertex  (all models)                       FAILED  no access token: "
		        "%s\n",
		        err.msg);
		free(project);
		return c->vertex_models.n > 0 ? c->vertex_models.n : 1;
	}
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", t.token);
	for (int i = 0; i < c->vertex_models.n; i++) {
		const char *id = c->vertex_models.models[i].id;

		snprintf(url, sizeof url,
		         "%s/v1/projects/%s/locations/%s/publishers/google/models/%s",
		         c->providers_vertex_base_url, project, c->providers_vertex_location, id);
		bad += check_url("vertex", id, "video", url, auth, t.token, out);
	}
	explicit_bzero(auth, sizeof auth);
	vg_gauth_token_clear(&t);
	free(project);
	return bad;
}

int ctl_provider_check(const struct vg_conf *c, FILE *out)
{
	int bad = 0;

	if (!c->providers_gemini_enabled && !c->providers_vertex_enabled)
		return -1;
	if (c->providers_gemini_enabled)
		bad += check_gemini(c, out);
	if (c->providers_vertex_enabled)
		bad += check_vertex(c, out);
	return bad;
}
