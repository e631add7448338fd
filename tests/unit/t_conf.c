/* Config: the shipped sample loads, defaults apply, unknown keys / wrong types / values out
 * of bounds are refused with the key named, and key files are checked. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"
#include "vg_conf.h"

static char path[64], secret[64];

static const char *write_conf(const char *text)
{
	FILE *f;

	snprintf(path, sizeof path, "/tmp/vg-t-conf-%d.conf", (int)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static int parse(const char *text, struct vg_conf *c, struct vg_err *e)
{
	vg_err_clear(e);
	return vg_conf_parse(c, write_conf(text), e);
}

static void test_sample_and_defaults(void)
{
	struct vg_conf c;
	struct vg_err e;

	vg_err_clear(&e);
	CU_ASSERT_EQUAL_FATAL(vg_conf_parse(&c, VG_TOP_SRCDIR "/etc/veogen.conf", &e), VG_OK);
	CU_ASSERT_STRING_EQUAL(c.fcgi_listen, "/run/veogen/fcgi.sock");
	CU_ASSERT_EQUAL(c.fcgi_workers, 4);
	CU_ASSERT_TRUE(c.providers_local_enabled);
	vg_conf_free(&c);

	CU_ASSERT_EQUAL_FATAL(parse("fcgi: { workers = 7; };\n", &c, &e), VG_OK);
	CU_ASSERT_EQUAL(c.fcgi_workers, 7);
	CU_ASSERT_EQUAL(c.limits_max_body_bytes, 1048576); /* untouched default */
	CU_ASSERT_STRING_EQUAL(c.auth_jwt_alg, "HS256");
	vg_conf_free(&c);
}

static void test_refusals(void)
{
	struct vg_conf c;
	struct vg_err e;

	CU_ASSERT_EQUAL(parse("fcgi: { wrokers = 7; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "unknown key fcgi.wrokers"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, ":1:"));
	CU_ASSERT_EQUAL(parse("nonsense = 1;\n", &c, &e), VG_EINVAL);
	CU_ASSERT_EQUAL(parse("fcgi: { workers = \"7\"; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "must be an integer"));
	CU_ASSERT_EQUAL(parse("fcgi: { workers = 0; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "between 1 and 256"));
	/* libconfig 1.5 would silently read this as 0 through config_lookup_int */
	CU_ASSERT_EQUAL(parse("limits: { max_body_bytes = 9999999999L; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_EQUAL(parse("log: { level = \"loud\"; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "err|warn|info|debug"));
	CU_ASSERT_EQUAL(parse("fcgi: { workers = ; };\n", &c, &e), VG_EINVAL); /* syntax */
	CU_ASSERT_EQUAL(parse("runner: { lease_s = 10; heartbeat_s = 8; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_EQUAL(parse("fcgi: { socket_mode = \"rw\"; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_EQUAL(parse("storage: { dir = \"relative\"; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_EQUAL(parse("providers: { local: { enabled = 1; }; };\n", &c, &e), VG_EINVAL);
	vg_err_clear(&e);
	CU_ASSERT_EQUAL(vg_conf_parse(&c, "/nonexistent/veogen.conf", &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "cannot read"));
}

static void test_keys_and_restart(void)
{
	struct vg_conf a, b;
	struct vg_err e;
	char text[256], keys[256];
	FILE *f;

	snprintf(secret, sizeof secret, "/tmp/vg-t-secret-%d", (int)getpid());
	f = fopen(secret, "w");
	fputs("short\n", f);
	fclose(f);
	snprintf(text, sizeof text, "auth: { jwt_secret_file = \"%s\"; };\n", secret);
	vg_err_clear(&e);
	CU_ASSERT_EQUAL(vg_conf_load(&a, write_conf(text), &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "at least 32"));
	f = fopen(secret, "w");
	fputs("0123456789abcdef0123456789abcdef0123456789abcdef\n", f);
	fclose(f);
	vg_err_clear(&e);
	CU_ASSERT_EQUAL_FATAL(vg_conf_load(&a, write_conf(text), &e), VG_OK);
	CU_ASSERT_EQUAL(a.jwt_sign_key_len, 48); /* newline stripped */
	CU_ASSERT_EQUAL(memcmp(a.jwt_verify_key, a.jwt_sign_key, 48), 0);

	snprintf(text, sizeof text,
	         "auth: { jwt_secret_file = \"%s\"; };\nfcgi: { listen = \"/tmp/other.sock\"; "
	         "workers = 9; };\n",
	         secret);
	vg_err_clear(&e);
	CU_ASSERT_EQUAL_FATAL(vg_conf_load(&b, write_conf(text), &e), VG_OK);
	vg_conf_restart_keys(&a, &b, keys, sizeof keys);
	CU_ASSERT_STRING_EQUAL(keys, "fcgi.listen"); /* workers reloads; listen does not */
	vg_conf_free(&a);
	vg_conf_free(&b);
	unlink(secret);
	unlink(path);
}

static void test_env_override(void)
{
	struct vg_conf c;
	struct vg_err e;

	setenv("VEOGEN_RATE_LIMIT_PER_MIN", "0", 1);
	CU_ASSERT_EQUAL_FATAL(parse("limits: { requests_per_min = 50; };\n", &c, &e), VG_OK);
	CU_ASSERT_EQUAL(c.limits_requests_per_min, 0);
	vg_conf_free(&c);
	unsetenv("VEOGEN_RATE_LIMIT_PER_MIN");
	CU_ASSERT_EQUAL_FATAL(parse("limits: { requests_per_min = 50; };\n", &c, &e), VG_OK);
	CU_ASSERT_EQUAL(c.limits_requests_per_min, 50);
	vg_conf_free(&c);
	unlink(path);
}

void t_conf_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"sample file and defaults", test_sample_and_defaults},
	    {"unknown keys, types, bounds, syntax", test_refusals},
	    {"key files and restart-only keys", test_keys_and_restart},
	    {"VEOGEN_RATE_LIMIT_PER_MIN", test_env_override},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("conf", tests);
}
