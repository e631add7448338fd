/* The route table: data, not code.  {name} segments capture one path segment. */
#ifndef FCGI_ROUTE_H
#define FCGI_ROUTE_H

#include "fcgi_http.h"

enum {
	VG_M_GET = 1,
	VG_M_HEAD = 2,
	VG_M_POST = 4,
	VG_M_PUT = 8,
	VG_M_PATCH = 16,
	VG_M_DELETE = 32,
	VG_M_OPTIONS = 64
};

struct vg_route {
	unsigned methods;
	const char *pattern;
	vg_handler_fn fn;
	enum vg_auth_need auth;
	enum vg_rate_class rate;
};

/* Method name → VG_M_* bit; 0 when unknown. */
unsigned vg_route_method_bit(const char *method);

/* Looks up method+path: returns the route (captures decoded into r->params), or NULL with
 * *status 404 (no such path, or a bad path: %00, invalid UTF-8, too many or too long
 * segments) or 405 (*allow gets the methods of the path: "GET, HEAD, POST"). */
const struct vg_route *vg_route_lookup(struct vg_req *r, const char *method, const char *path,
                                       int *status, char *allow, size_t allow_size);

/* The table itself (for the OpenAPI test, which checks every route is documented). */
const struct vg_route *vg_route_table(size_t *n);

#endif
