/* The two remote providers behind one interface (ARCHITECTURE.md §6): how to submit,
 * poll and fetch on the Gemini API and on Vertex AI — URLs, credentials and dialect.  The
 * remote loop moves the requests; this file only says what they are. */
#ifndef VG_REMOTE_PROVIDER_H
#define VG_REMOTE_PROVIDER_H

#include <stdbool.h>

#include "vg_conf.h"
#include "vg_gauth.h"
#include "vg_http.h"
#include "vg_veo.h"

struct remote_provider {
	const char *name; /* "gemini" | "vertex" */
	enum vg_veo_dialect dialect;
	const struct vg_conf *conf;
	const struct vg_provider_models *models;
	const char *base_url;
	char auth_header[4096]; /* "x-goog-api-key: …" or "Authorization: Bearer …" */
	const char *secret;     /* what must never reach a log or a stored error */
	/* vertex */
	char *project;
	struct vg_gauth_token token;
};

/* Sets up gemini and vertex from the config (enabled ones only: enabled is false on the
 * others).  Vertex reads its key file to find the project when the config names none. */
void remote_providers_init(const struct vg_conf *c, struct remote_provider *gemini,
                           struct remote_provider *vertex);
void remote_providers_free(struct remote_provider *gemini, struct remote_provider *vertex);

/* Makes sure the credential header is current (Vertex: fetches an access token when the
 * cached one is missing or expires within 5 minutes; blocking, about once an hour). */
int remote_provider_auth(struct remote_provider *p, struct vg_err *err);

/* The requests.  Strings are malloc'd into *url / *body (the caller frees); req points
 * into them and into p, so it is valid while both live. */
void remote_submit_req(const struct remote_provider *p, const char *model, char *body, char **url,
                       struct vg_http_req *req);
void remote_poll_req(const struct remote_provider *p, const char *model, const char *operation,
                     char **url, char **body, struct vg_http_req *req);
/* A result download from url: the credential goes along only to the provider's own
 * origin (or Cloud Storage's for Vertex), never to a redirect target elsewhere. */
void remote_fetch_req(const struct remote_provider *p, const char *url, const char *sink_path,
                      struct vg_http_req *req);

/* A gcsUri result as the URL to fetch (malloc); a Gemini uri as it is. */
char *remote_result_url(const struct remote_provider *p, const char *uri);

/* Removes the provider's secret from a message that will be stored or logged. */
void remote_redact(const struct remote_provider *p, char *msg, size_t size);

#endif
