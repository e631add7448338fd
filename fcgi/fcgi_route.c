/* The route table and its lookup: literal segments and {name} captures, 404 vs 405. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fcgi_route.h"
#include "handlers.h"
#include "vg_str.h"

#define MAX_SEGMENTS    16
#define MAX_SEGMENT_LEN 256

#define GET (VG_M_GET | VG_M_HEAD)

static const struct vg_route routes[] = {
    {GET, "/healthz", h_healthz, VG_AUTH_NONE, VG_RATE_NONE},
    {GET, "/readyz", h_readyz, VG_AUTH_NONE, VG_RATE_NONE},
    {GET, "/api/v1/openapi.json", h_openapi, VG_AUTH_NONE, VG_RATE_NONE},
    {GET, "/api/v1/styles", h_styles_list, VG_AUTH_NONE, VG_RATE_NONE},
    {GET, "/api/v1/providers", h_providers_list, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_POST, "/api/v1/auth/register", h_auth_register, VG_AUTH_NONE, VG_RATE_NONE},
    {VG_M_POST, "/api/v1/auth/login", h_auth_login, VG_AUTH_NONE, VG_RATE_NONE},
    {VG_M_POST, "/api/v1/auth/refresh", h_auth_refresh, VG_AUTH_NONE, VG_RATE_NONE},
    {VG_M_POST, "/api/v1/auth/logout", h_auth_logout, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/me", h_me_get, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/me/webhook-secret", h_me_webhook_secret_get, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_POST, "/api/v1/me/webhook-secret/rotate", h_me_webhook_secret_rotate, VG_AUTH_USER,
     VG_RATE_READ},
    {GET, "/api/v1/me/webhook-deliveries", h_me_webhook_deliveries, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_POST, "/api/v1/api-keys", h_apikeys_create, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/api-keys", h_apikeys_list, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_DELETE, "/api/v1/api-keys/{id}", h_apikeys_delete, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_POST, "/api/v1/videos", h_videos_create, VG_AUTH_USER, VG_RATE_CREATE},
    {GET, "/api/v1/videos", h_videos_list, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/videos/{id}", h_videos_get, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_DELETE, "/api/v1/videos/{id}", h_videos_delete, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_POST, "/api/v1/videos/{id}/cancel", h_videos_cancel, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/videos/{id}/content", h_videos_content, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/videos/{id}/thumbnail", h_videos_thumbnail, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_POST, "/api/v1/files", h_files_create, VG_AUTH_USER, VG_RATE_CREATE},
    {GET, "/api/v1/files/{id}", h_files_get, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_DELETE, "/api/v1/files/{id}", h_files_delete, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/files/{id}/content", h_files_content, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_POST, "/api/v1/movies", h_movies_create, VG_AUTH_USER, VG_RATE_CREATE},
    {GET, "/api/v1/movies", h_movies_list, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/movies/{id}", h_movies_get, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_PATCH, "/api/v1/movies/{id}", h_movies_patch, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_DELETE, "/api/v1/movies/{id}", h_movies_delete, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_POST, "/api/v1/movies/{id}/scenes", h_scenes_add, VG_AUTH_USER, VG_RATE_READ},
    /* a literal segment beats a capture: PATCH …/scenes/reorder is a 405, not a scene id */
    {VG_M_POST, "/api/v1/movies/{id}/scenes/reorder", h_scenes_reorder, VG_AUTH_USER, VG_RATE_READ},
    {VG_M_PATCH, "/api/v1/movies/{id}/scenes/{scene_id}", h_scenes_patch, VG_AUTH_USER,
     VG_RATE_READ},
    {VG_M_DELETE, "/api/v1/movies/{id}/scenes/{scene_id}", h_scenes_delete, VG_AUTH_USER,
     VG_RATE_READ},
    {VG_M_POST, "/api/v1/movies/{id}/scenes/{scene_id}/regenerate", h_scenes_regenerate,
     VG_AUTH_USER, VG_RATE_CREATE},
    {VG_M_POST, "/api/v1/movies/{id}/render", h_movies_render, VG_AUTH_USER, VG_RATE_CREATE},
    {VG_M_POST, "/api/v1/movies/{id}/cancel", h_movies_cancel, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/movies/{id}/content", h_movies_content, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/movies/{id}/poster", h_movies_poster, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/movies/{id}/contact-sheet", h_movies_contact_sheet, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/movies/{id}/hls/{name}", h_movies_hls, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/api/v1/movies/{id}/subtitles.vtt", h_movies_subtitles, VG_AUTH_USER, VG_RATE_READ},
    {GET, "/metrics", h_metrics, VG_AUTH_NONE, VG_RATE_NONE},
    {GET, "/api/v1/admin/users", h_admin_users_list, VG_AUTH_ADMIN, VG_RATE_READ},
    {GET, "/api/v1/admin/users/{id}", h_admin_users_get, VG_AUTH_ADMIN, VG_RATE_READ},
    {VG_M_PATCH, "/api/v1/admin/users/{id}", h_admin_users_patch, VG_AUTH_ADMIN, VG_RATE_READ},
    {GET, "/api/v1/admin/jobs", h_admin_jobs_list, VG_AUTH_ADMIN, VG_RATE_READ},
    {GET, "/api/v1/admin/jobs/{id}", h_admin_jobs_get, VG_AUTH_ADMIN, VG_RATE_READ},
    {VG_M_POST, "/api/v1/admin/jobs/{id}/retry", h_admin_jobs_retry, VG_AUTH_ADMIN, VG_RATE_READ},
    {VG_M_POST, "/api/v1/admin/jobs/{id}/cancel", h_admin_jobs_cancel, VG_AUTH_ADMIN, VG_RATE_READ},
    {GET, "/api/v1/admin/audit", h_admin_audit_list, VG_AUTH_ADMIN, VG_RATE_READ},
    {GET, "/api/v1/admin/usage", h_admin_usage, VG_AUTH_ADMIN, VG_RATE_READ},
};

#define NROUTES (sizeof routes / sizeof routes[0])

static const struct {
	unsigned bit;
	const char *name;
} methods[] = {
    {VG_M_GET, "GET"},     {VG_M_HEAD, "HEAD"},     {VG_M_POST, "POST"},       {VG_M_PUT, "PUT"},
    {VG_M_PATCH, "PATCH"}, {VG_M_DELETE, "DELETE"}, {VG_M_OPTIONS, "OPTIONS"},
};

unsigned vg_route_method_bit(const char *method)
{
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (method && strcmp(method, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

const struct vg_route *vg_route_table(size_t *n)
{
	*n = NROUTES;
	return routes;
}

/* Splits a raw path into percent-decoded segments; false for a path no route can have. */
static int split_path(struct vg_arena *a, const char *path, const char **seg)
{
	int n = 0;
	const char *p = path;

	if (!p || *p != '/')
		return -1;
	for (p++;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char *dec;

		if (n == MAX_SEGMENTS || len > MAX_SEGMENT_LEN)
			return -1;
		dec = vg_arena_alloc(a, len + 1);
		if (!vg_str_pct_decode(p, len, dec, NULL) || !vg_str_utf8_valid(dec, strlen(dec)))
			return -1;
		seg[n++] = dec;
		if (!slash)
			break;
		p = slash + 1;
	}
	return n;
}

/* Does pattern match the segments?  Captures go to params when given; *literals (when
 * given) gets how many segments matched literally. */
static bool match(const char *pattern, const char **seg, int nseg, const char **params,
                  int *nparams, int *literals)
{
	const char *p = pattern + 1;
	int i = 0, np = 0, nlit = 0;

	for (;; i++) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (i >= nseg)
			return false;
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
			if (seg[i][0] == '\0' || np == VG_MAX_PATH_PARAMS)
				return false;
			if (params)
				params[np] = seg[i];
			np++;
		} else if (strlen(seg[i]) != len || strncmp(seg[i], p, len) != 0) {
			return false;
		} else {
			nlit++;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	if (i + 1 != nseg)
		return false;
	if (nparams)
		*nparams = np;
	if (literals)
		*literals = nlit;
	return true;
}

static void allow_list(unsigned mask, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	mask |= VG_M_OPTIONS;
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if ((mask & methods[i].bit) && o < size)
			o += (size_t)snprintf(out + o, size - o, "%s%s", o ? ", " : "",
			                      methods[i].name);
}

const struct vg_route *vg_route_lookup(struct vg_req *r, const char *method, const char *path,
                                       int *status, char *allow, size_t allow_size)
{
	const char *seg[MAX_SEGMENTS];
	int nseg = split_path(r->a, path, seg);
	unsigned bit = vg_route_method_bit(method), path_methods = 0;

	*status = 404;
	if (allow_size)
		allow[0] = '\0';
	if (nseg < 0)
		return NULL;
	/* the most literal patterns that match own the path ("scenes/reorder" before
	 * "scenes/{scene_id}"): the others do not even count for 405 */
	int best = -1, lit;
	for (size_t i = 0; i < NROUTES; i++)
		if (match(routes[i].pattern, seg, nseg, NULL, NULL, &lit) && lit > best)
			best = lit;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, seg, nseg, NULL, NULL, &lit) || lit != best)
			continue;
		if (routes[i].methods & bit) {
			match(routes[i].pattern, seg, nseg, r->params, &r->nparams, NULL);
			r->route_pattern = routes[i].pattern;
			*status = 200;
			return &routes[i];
		}
		path_methods |= routes[i].methods;
	}
	if (path_methods) {
		*status = 405;
		allow_list(path_methods, allow, allow_size);
	}
	return NULL;
}
