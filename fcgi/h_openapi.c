/* GET /api/v1/openapi.json: the OpenAPI document, embedded into the binary at build time
 * (fcgi/embed.sh), so it always describes the code it ships with and needs no file at run time.
 * Sent byte for byte as written; it changes only with the binary, so caches may keep it. */
#include "config.h"

#include <string.h>

#include "fcgi_http.h"
#include "handlers.h"

extern const char vg_openapi_json[];

int h_openapi(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	(void)r;
	vg_resp_status(w, 200);
	if (vg_buf_append(&w->body, vg_openapi_json, strlen(vg_openapi_json)) != VG_OK)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "the OpenAPI document is larger than a response body may be");
	w->content_type = "application/json; charset=utf-8";
	vg_resp_header(w, "Cache-Control", "public, max-age=300");
	return VG_OK;
}
