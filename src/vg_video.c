#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vg_json.h"
#include "vg_netaddr.h"
#include "vg_str.h"
#include "vg_style.h"
#include "vg_video.h"

#define PROMPT_MAX           2000
#define NEGATIVE_PROMPT_MAX  1000
#define WEBHOOK_URL_MAX      2048
#define MAX_REFERENCE_IMAGES 3

static const char *const create_fields[] = {
    "prompt",        "negative_prompt",     "style",    "duration_seconds",
    "aspect_ratio",  "resolution",          "seed",     "image_id",
    "last_frame_id", "reference_image_ids", "provider", "model",
    "webhook_url",   "enhance_prompt",      NULL};

/* Absent and JSON null are the same for optional fields. */
static bool present(const json_t *body, const char *key)
{
	const json_t *v = json_object_get(body, key);

	return v && !json_is_null(v);
}

/* A string field that must be one of the NULL-terminated choices; returns the matching
 * choice (static storage) or dflt when absent. */
static const char *read_choice(struct vg_arena *a, const json_t *body, const char *key,
                               const char *const *choices, const char *hint, const char *dflt,
                               struct vg_err *err)
{
	const char *s;

	if (!vg_json_str(a, body, key, 0, 64, &s, err))
		return present(body, key) ? NULL : dflt;
	for (const char *const *c = choices; *c; c++)
		if (strcmp(s, *c) == 0)
			return *c;
	vg_err_field(err, key, "must be %s", hint);
	return NULL;
}

void vg_video_read_format(struct vg_arena *a, const json_t *body, const char **aspect_ratio,
                          const char **resolution, struct vg_err *err)
{
	static const char *const aspect_ratios[] = {"16:9", "9:16", NULL};
	static const char *const resolutions[] = {"720p", "1080p", NULL};

	*aspect_ratio = read_choice(a, body, "aspect_ratio", aspect_ratios, "\"16:9\" or \"9:16\"",
	                            "16:9", err);
	*resolution =
	    read_choice(a, body, "resolution", resolutions, "\"720p\" or \"1080p\"", "720p", err);
}

static bool field_has_error(const struct vg_err *err, const char *field)
{
	for (int i = 0; i < err->nfields; i++)
		if (strcmp(err->fields[i].field, field) == 0)
			return true;
	return false;
}

/* Lower-cases a UUID copy so upper-case input is accepted and stored canonically. */
const char *vg_video_uuid(struct vg_arena *a, const char *s)
{
	char *u = vg_arena_strdup(a, s);

	for (char *p = u; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return vg_str_is_uuid(u) ? u : NULL;
}

const char *vg_video_read_file_id(struct vg_arena *a, const json_t *body, const char *key,
                                  struct vg_err *err)
{
	const char *s, *id;

	if (!vg_json_str(a, body, key, 1, 64, &s, err))
		return NULL;
	id = vg_video_uuid(a, s);
	if (!id)
		vg_err_field(err, key, "must be a file id (a UUID) returned by POST /api/v1/files");
	return id;
}

static void read_reference_images(struct vg_arena *a, const json_t *body, struct vg_video_req *out,
                                  struct vg_err *err)
{
	const json_t *arr = json_object_get(body, "reference_image_ids");
	const json_t *v;
	size_t i;

	if (!arr || json_is_null(arr))
		return;
	if (!json_is_array(arr)) {
		vg_err_field(err, "reference_image_ids",
		             "must be an array of up to %d file ids from POST /api/v1/files",
		             MAX_REFERENCE_IMAGES);
		return;
	}
	if (json_array_size(arr) > MAX_REFERENCE_IMAGES) {
		vg_err_field(err, "reference_image_ids",
		             "at most %d reference images are allowed; this request has %zu",
		             MAX_REFERENCE_IMAGES, json_array_size(arr));
		return;
	}
	json_array_foreach(arr, i, v)
	{
		char field[48];
		/* bodies may carry NUL inside strings: only a whole-string UUID counts */
		const char *id = json_is_string(v) && json_string_length(v) == 36
		                     ? vg_video_uuid(a, json_string_value(v))
		                     : NULL;

		snprintf(field, sizeof field, "reference_image_ids[%zu]", i);
		if (!id) {
			vg_err_field(err, field,
			             "must be a file id (a UUID) returned by POST /api/v1/files");
			continue;
		}
		for (int j = 0; j < out->n_reference_images; j++)
			if (strcmp(out->reference_image_ids[j], id) == 0) {
				vg_err_field(err, field,
				             "repeats an earlier reference image; "
				             "list each file once");
				id = NULL;
				break;
			}
		if (id)
			out->reference_image_ids[out->n_reference_images++] = id;
	}
}

/* The host of a URL as an address when it is an IP literal ("[::1]" without brackets). */
static bool host_address(const char *host, size_t n, struct vg_netaddr *out)
{
	char text[64];

	if (n >= 2 && host[0] == '[') {
		host++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof text)
		return false;
	memcpy(text, host, n);
	text[n] = '\0';
	return vg_netaddr_parse(text, out);
}

/* webhooks.allow_networks lets webhooks reach this host's loopback interface. */
static bool loopback_allowed(const struct vg_netlist *allow)
{
	struct vg_netaddr v4, v6;

	vg_netaddr_parse("127.0.0.1", &v4);
	vg_netaddr_parse("::1", &v6);
	return vg_netlist_contains(allow, &v4) || vg_netlist_contains(allow, &v6);
}

/* What the host part of a webhook URL may name (design "At submit time"): an IP literal
 * in a refused class only when webhooks.allow_networks allows it; plain http only to
 * loopback, and only when loopback is allowed.  Other host names are checked when the
 * runner connects. */
static const char *host_problem(struct vg_arena *a, const struct vg_conf *c, bool https,
                                const char *host, size_t n)
{
	static const char http_only_loopback[] =
	    "must use https:// (http:// is allowed only for loopback hosts such as 127.0.0.1, "
	    "and only when webhooks.allow_networks allows loopback)";
	struct vg_netlist allow;
	struct vg_netaddr addr;
	char why[256];
	enum vg_netclass cls;

	if (!vg_netlist_parse(c->webhooks_allow_networks, &allow, why, sizeof why))
		allow.n = 0; /* the config check refuses such a list; allow nothing */
	if (host_address(host, n, &addr)) {
		cls = vg_netaddr_class(&addr);
		if (vg_netaddr_refused(&addr, &allow) != VG_NET_PUBLIC)
			return vg_arena_printf(
			    a,
			    "points at %.*s, %s, which webhooks may not reach "
			    "(the server's webhooks.allow_networks can allow it)",
			    (int)n, host, vg_netclass_name(cls));
		return https || cls == VG_NET_LOOPBACK ? NULL : http_only_loopback;
	}
	if (n == 9 && strncasecmp(host, "localhost", 9) == 0) {
		if (!loopback_allowed(&allow))
			return "points at localhost, a loopback address, which webhooks may not "
			       "reach (the server's webhooks.allow_networks can allow it)";
		return NULL;
	}
	return https ? NULL : http_only_loopback;
}

const char *vg_video_webhook_problem(struct vg_arena *a, const struct vg_conf *c, const char *url)
{
	bool https = strncasecmp(url, "https://", 8) == 0;
	const char *auth, *end, *host, *host_end;

	if (!https && strncasecmp(url, "http://", 7) != 0)
		return "must be an https:// URL";
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return "must not contain spaces, control or non-ASCII characters "
			       "(percent-encode "
			       "them)";
	auth = url + (https ? 8 : 7);
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)))
		return "must not contain credentials (user:password@)";
	host = auth;
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end)
			return "has an unterminated IPv6 address";
		host_end++;
	} else {
		host_end = host + strcspn(host, ":/?#");
	}
	if (host_end == host)
		return "has no host name";
	if (host_end < end) {
		uint64_t port;
		char digits[8];
		size_t n = (size_t)(end - host_end);

		if (*host_end != ':' || n < 2 || n > sizeof digits)
			return "has an invalid port";
		memcpy(digits, host_end + 1, n - 1);
		digits[n - 1] = '\0';
		if (!vg_str_u64(digits, 65535, &port) || port == 0)
			return "has an invalid port";
	}
	return host_problem(a, c, https, host, (size_t)(host_end - host));
}

/* The model table of a provider name; NULL for a name that is no provider. */
const struct vg_provider_models *vg_video_provider_models(const struct vg_conf *c, const char *name,
                                                          bool *enabled)
{
	if (strcmp(name, "local") == 0) {
		*enabled = c->providers_local_enabled;
		return &c->local_models;
	}
	if (strcmp(name, "gemini") == 0) {
		*enabled = c->providers_gemini_enabled;
		return &c->gemini_models;
	}
	if (strcmp(name, "vertex") == 0) {
		*enabled = c->providers_vertex_enabled;
		return &c->vertex_models;
	}
	*enabled = false;
	return NULL;
}

static const char *enabled_providers(struct vg_arena *a, const struct vg_conf *c)
{
	const char *list = vg_arena_printf(a, "%s%s%s", c->providers_local_enabled ? ", local" : "",
	                                   c->providers_gemini_enabled ? ", gemini" : "",
	                                   c->providers_vertex_enabled ? ", vertex" : "");

	return *list ? list + 2 : "none";
}

const char *vg_video_read_webhook_url(struct vg_arena *a, const struct vg_conf *c,
                                      const json_t *body, struct vg_err *err)
{
	const char *s, *problem;

	if (!vg_json_str(a, body, "webhook_url", 1, WEBHOOK_URL_MAX, &s, err))
		return NULL;
	if ((problem = vg_video_webhook_problem(a, c, s))) {
		vg_err_field(err, "webhook_url", "%s", problem);
		return NULL;
	}
	return s;
}

static const char *model_ids(struct vg_arena *a, const struct vg_provider_models *pm)
{
	const char *list = "";

	for (int i = 0; i < pm->n; i++)
		list = vg_arena_printf(a, "%s%s%s", list, i ? ", " : "", pm->models[i].id);
	return list;
}

/* provider, then model, which only makes sense once the provider is known. */
const struct vg_model *vg_video_provider_model(struct vg_arena *a, const json_t *body,
                                               const struct vg_conf *c, const char **provider_out,
                                               const char **model_out, struct vg_err *err)
{
	const char *provider = NULL, *model = NULL;
	const struct vg_provider_models *pm = NULL;
	const struct vg_model *m;
	bool named = vg_json_str(a, body, "provider", 1, 64, &provider, err), enabled;

	if (!named && present(body, "provider"))
		provider = NULL; /* bad type: error already added */
	else if (!named && !(provider = c->providers_default))
		vg_err_field(
		    err, "provider",
		    "is required: this server has no default provider (providers.default)");
	if (provider) {
		const char *field_or_default = named ? "" : "the server default ";

		pm = vg_video_provider_models(c, provider, &enabled);
		if (!pm)
			vg_err_field(err, "provider",
			             "%s\"%.40s\" is not a provider: use local, gemini or vertex "
			             "(enabled here: %s)",
			             field_or_default, provider, enabled_providers(a, c));
		else if (!enabled)
			vg_err_field(
			    err, "provider",
			    "%sprovider %s is not enabled on this server (enabled here: %s)",
			    field_or_default, provider, enabled_providers(a, c));
		if (!pm || !enabled) {
			provider = NULL;
			pm = NULL;
		}
	}
	*provider_out = provider;
	*model_out = NULL;

	if (!vg_json_str(a, body, "model", 1, 128, &model, err))
		model = NULL;
	if (!pm)
		return NULL;
	if (!(m = vg_model_find(pm, model ? model : pm->default_model))) {
		vg_err_field(err, "model", "provider %s has no model \"%.60s\": use one of %s",
		             provider, model ? model : pm->default_model, model_ids(a, pm));
		return NULL;
	}
	*model_out = m->id;
	return m;
}

/* Adds src's field errors that dst lacks: the model's judgement of a field the generic
 * checks already refused says nothing new. */
static void merge_field_errors(struct vg_err *dst, const struct vg_err *src)
{
	for (int i = 0; i < src->nfields; i++) {
		bool seen = false;

		for (int j = 0; j < dst->nfields; j++)
			seen |= strcmp(dst->fields[j].field, src->fields[i].field) == 0;
		if (!seen)
			vg_err_field(dst, src->fields[i].field, "%s", src->fields[i].message);
	}
}

/* The model narrows the generic limits and prices the request. */
static void apply_model(const struct vg_model *m, struct vg_video_req *out, struct vg_err *err)
{
	struct vg_model_req mr = {
	    .duration_seconds = out->duration_seconds,
	    .aspect_ratio = out->aspect_ratio,
	    .resolution = out->resolution,
	    .image = out->image_id != NULL,
	    .last_frame = out->last_frame_id != NULL,
	    .n_reference_images = out->n_reference_images,
	};
	struct vg_err merr;

	vg_err_clear(&merr);
	if (vg_model_check(m, &mr, &merr) != VG_OK)
		merge_field_errors(err, &merr);
	out->estimated_cost_usd = vg_model_price(m, &mr);
}

static void read_enhance_prompt(const json_t *body, const struct vg_conf *c,
                                struct vg_video_req *out, struct vg_err *err)
{
	bool b;

	if (!vg_json_bool(body, "enhance_prompt", &b, err) || !b)
		return;
	if (!c->providers_gemini_api_key || !*c->providers_gemini_api_key)
		vg_err_field(err, "enhance_prompt",
		             "enhance_prompt needs the Gemini text client: set "
		             "providers.gemini.api_key");
	else
		out->enhance_prompt = true;
}

int vg_video_req_parse(struct vg_arena *a, const json_t *body, const struct vg_conf *c,
                       struct vg_video_req *out, struct vg_err *err)
{
	long long n;
	const char *s;

	vg_err_clear(err);
	memset(out, 0, sizeof *out);
	if (vg_json_require_object(body, err) != VG_OK)
		return err->rc;
	vg_json_reject_unknown(body, create_fields, err);

	if (!present(body, "prompt"))
		vg_err_field(err, "prompt", "is required: describe the video in 1 to %d characters",
		             PROMPT_MAX);
	else if (vg_json_str(a, body, "prompt", 1, PROMPT_MAX, &s, err))
		out->prompt = s;

	if (vg_json_str(a, body, "negative_prompt", 0, NEGATIVE_PROMPT_MAX, &s, err) && *s)
		out->negative_prompt = s;

	if (vg_json_str(a, body, "style", 1, 64, &s, err)) {
		if (vg_style_find(s))
			out->style = vg_style_find(s)->id;
		else
			vg_err_field(err, "style",
			             "\"%.40s\" is not a style: use an id from GET /api/v1/styles",
			             s);
	}

	/* the model narrows this (apply_model); without one the API's own choices hold */
	out->duration_seconds = 8;
	if (vg_json_int(body, "duration_seconds", LLONG_MIN, LLONG_MAX, &n, err)) {
		if (n >= 1 && n <= 60)
			out->duration_seconds = (int)n;
		else
			vg_err_field(err, "duration_seconds", "must be one of 4, 6, 8");
	}

	vg_video_read_format(a, body, &out->aspect_ratio, &out->resolution, err);

	if (vg_json_int(body, "seed", 0, 4294967295LL, &n, err)) {
		out->has_seed = true;
		out->seed = (uint32_t)n;
	}

	out->image_id = vg_video_read_file_id(a, body, "image_id", err);
	out->last_frame_id = vg_video_read_file_id(a, body, "last_frame_id", err);
	if (present(body, "last_frame_id") && !present(body, "image_id"))
		vg_err_field(err, "last_frame_id",
		             "needs image_id: give the first frame too, or drop last_frame_id");
	read_reference_images(a, body, out, err);

	read_enhance_prompt(body, c, out, err);
	const struct vg_model *m =
	    vg_video_provider_model(a, body, c, &out->provider, &out->model, err);
	if (m)
		apply_model(m, out, err);
	else if (out->duration_seconds != 4 && out->duration_seconds != 6 &&
	         out->duration_seconds != 8 && !field_has_error(err, "duration_seconds"))
		vg_err_field(err, "duration_seconds", "must be one of 4, 6, 8");

	out->webhook_url = vg_video_read_webhook_url(a, c, body, err);
	return err->rc;
}

/* ---- row → API object */

static void set(json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) != 0)
		vg_oom(64);
}

/* Text of a column, NULL for SQL NULL or a column the SELECT lacks. */
static const char *col(const PGresult *r, int row, const char *name)
{
	int f = PQfnumber(r, name);

	if (f < 0 || PQgetisnull(r, row, f))
		return NULL;
	return PQgetvalue(r, row, f);
}

static json_t *col_int(const PGresult *r, int row, const char *name)
{
	int64_t v;
	const char *s = col(r, row, name);

	return s && vg_str_i64(s, INT64_MIN, INT64_MAX, &v) ? json_integer(v) : json_null();
}

/* A jsonb/json column sent as text. */
static json_t *col_json(const PGresult *r, int row, const char *name)
{
	const char *s = col(r, row, name);
	json_t *v = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;

	return v ? v : json_null();
}

static json_t *col_real(const PGresult *r, int row, const char *name)
{
	const char *s = col(r, row, name);
	char *end;
	double d = s ? strtod(s, &end) : 0.0;

	return json_real(s && end != s && !*end ? d : 0.0);
}

json_t *vg_video_to_json(const PGresult *r, int row)
{
	json_t *o = json_object(), *links = json_object(), *refs;
	const char *id = col(r, row, "id"), *status = col(r, row, "status");

	if (!o || !links)
		vg_oom(64);
	set(o, "id", vg_json_str_or_null(id));
	set(o, "status", vg_json_str_or_null(status));
	set(o, "progress", col_int(r, row, "progress"));
	set(o, "stage", vg_json_str_or_null(col(r, row, "stage")));
	set(o, "prompt", vg_json_str_or_null(col(r, row, "prompt")));
	set(o, "negative_prompt", vg_json_str_or_null(col(r, row, "negative_prompt")));
	set(o, "style", vg_json_str_or_null(col(r, row, "style")));
	set(o, "duration_seconds", col_int(r, row, "duration_seconds"));
	set(o, "aspect_ratio", vg_json_str_or_null(col(r, row, "aspect_ratio")));
	set(o, "resolution", vg_json_str_or_null(col(r, row, "resolution")));
	set(o, "seed", col_int(r, row, "seed"));
	set(o, "image_id", vg_json_str_or_null(col(r, row, "image_id")));
	set(o, "last_frame_id", vg_json_str_or_null(col(r, row, "last_frame_id")));
	refs = col_json(r, row, "reference_image_ids");
	if (!json_is_array(refs)) {
		json_decref(refs);
		refs = json_array();
	}
	set(o, "reference_image_ids", refs);
	set(o, "provider", vg_json_str_or_null(col(r, row, "provider")));
	set(o, "model", vg_json_str_or_null(col(r, row, "model")));
	set(o, "webhook_url", vg_json_str_or_null(col(r, row, "webhook_url")));
	set(o, "created_at", vg_json_time(col(r, row, "created_at")));
	set(o, "started_at", vg_json_time(col(r, row, "started_at")));
	set(o, "finished_at", vg_json_time(col(r, row, "finished_at")));
	set(o, "attempts", col_int(r, row, "attempts"));
	set(o, "error", col_json(r, row, "error"));
	set(o, "result", col_json(r, row, "result"));
	set(o, "estimated_cost_usd", col_real(r, row, "estimated_cost_usd"));
	set(o, "spent_cost_usd", col_real(r, row, "spent_cost_usd"));
	set(o, "enhance_prompt", json_boolean(vg_str_eq(col(r, row, "enhance_prompt"), "t")));
	set(o, "enhanced_prompt", vg_json_str_or_null(col(r, row, "enhanced_prompt")));
	set(o, "movie_id", vg_json_str_or_null(col(r, row, "movie_id")));
	set(o, "scene_id", vg_json_str_or_null(col(r, row, "scene_id")));

	set(links, "self", json_sprintf("/api/v1/videos/%s", id ? id : ""));
	if (status && strcmp(status, "succeeded") == 0) {
		set(links, "content", json_sprintf("/api/v1/videos/%s/content", id ? id : ""));
		set(links, "thumbnail", json_sprintf("/api/v1/videos/%s/thumbnail", id ? id : ""));
	}
	set(o, "links", links);
	return o;
}
