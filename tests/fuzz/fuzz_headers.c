/* Request headers: Authorization and X-API-Key through vg_authenticate (the credential's
 * extraction, the length checks and the JWT verification with an HS256 key; an API key
 * reaches a database that is down, which must answer 503, not crash) and Content-Type
 * through vg_req_json's check.  Input: three lines, Authorization, X-API-Key and
 * Content-Type; a line of a single '-' (or a missing line) is a header not sent. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi_auth.h"
#include "fuzz.h"

static const char secret[] = "fuzz-only-hs256-secret-of-32-byte";

static struct vg_conf conf;
static struct vg_db *db;

static void setup(void)
{
	if (db)
		return;
	vg_conf_defaults(&conf);
	conf.jwt_verify_key = (unsigned char *)vg_xstrdup(secret);
	conf.jwt_verify_key_len = (int)strlen(secret);
	/* a socket directory that does not exist: every connection fails at once */
	db = vg_db_new("host=/nonexistent/veogen-fuzz port=1 connect_timeout=1", "fuzz", 0);
}

/* "NAME=value" for envp, or NULL when the header is not sent. */
static char *env(const char *name, const char *v)
{
	size_t n;
	char *s;

	if (!v || strcmp(v, "-") == 0)
		return NULL;
	n = strlen(name) + strlen(v) + 2;
	s = vg_xmalloc(n);
	snprintf(s, n, "%s=%s", name, v);
	return s;
}

static void authenticate(const char *authz, const char *xkey)
{
	struct vg_arena *a = vg_arena_create(4096);
	char *envp[3] = {NULL, NULL, NULL};
	FCGX_Request fcgx;
	struct vg_req r;
	struct vg_err err;
	int n = 0, rc;

	if ((envp[n] = env("HTTP_AUTHORIZATION", authz)) != NULL)
		n++;
	if ((envp[n] = env("HTTP_X_API_KEY", xkey)) != NULL)
		n++;
	memset(&fcgx, 0, sizeof fcgx);
	fcgx.envp = envp;
	fuzz_req(&r, a, NULL, NULL, 0);
	r.conf = &conf;
	r.db = db;
	r.fcgx = &fcgx;
	vg_err_clear(&err);
	rc = vg_authenticate(&r, &err);
	/* nobody holds the key and the database is down: no input may get in */
	if (rc == VG_OK || rc != err.rc || r.who.authenticated ||
	    (rc != VG_EAUTH && rc != VG_EUNAVAIL))
		abort();
	fuzz_check_problem(&r, &err);
	free(envp[0]);
	free(envp[1]);
	vg_arena_destroy(a);
}

static void content_type(const char *ct)
{
	static const char body[] = "{\"a\":1}";
	struct vg_arena *a = vg_arena_create(4096);
	struct vg_req r;
	struct vg_err err;
	json_t *v;

	if (strcmp(ct, "-") == 0)
		ct = NULL;
	fuzz_req(&r, a, ct, body, sizeof body - 1);
	vg_err_clear(&err);
	v = vg_req_json(&r, &err);
	if (v ? err.rc != VG_OK : err.rc != VG_EMEDIA)
		abort(); /* the body is fine: only the Content-Type can refuse it */
	if (!v)
		fuzz_check_problem(&r, &err);
	vg_arena_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *xkey = fuzz_cut(s, '\n'), *ct = NULL;

	setup();
	if (xkey && (ct = fuzz_cut(xkey, '\n')) != NULL)
		fuzz_cut(ct, '\n');
	authenticate(s, xkey);
	if (ct)
		content_type(ct);
	free(s);
	return 0;
}
