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
	/* the sample's model tables are the built-in ones */
	CU_ASSERT_EQUAL(c.gemini_models.n, 3);
	CU_ASSERT_EQUAL(c.vertex_models.n, 3);
	const struct vg_model *lite = vg_model_find(&c.vertex_models, "veo-3.1-lite-generate-001");
	CU_ASSERT_PTR_NOT_NULL_FATAL(lite);
	CU_ASSERT_EQUAL(lite->max_reference_images, 0);
	CU_ASSERT_DOUBLE_EQUAL(lite->price_per_second_1080p, 0.08, 1e-12);
	CU_ASSERT_EQUAL(c.quotas_video_seconds_month, 0);
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

static const char one_model[] =
    "providers: { gemini: { default_model = \"veo-9\"; models = ( { id = \"veo-9\"; "
    "durations = [5, 10]; resolutions = [\"1080p\"]; aspect_ratios = [\"16:9\"]; "
    "inputs = [\"image\", \"reference_images\"]; max_reference_images = 2; "
    "long_only_duration = 10; audio = false; price_per_second = 0.25; "
    "price_per_second_1080p = 0.5; } ); }; };\n";

static void test_new_defaults(void)
{
	struct vg_conf c;
	struct vg_err e;

	CU_ASSERT_EQUAL_FATAL(parse("\n", &c, &e), VG_OK);
	CU_ASSERT_EQUAL(c.runner_remote_workers, 1);
	CU_ASSERT_EQUAL(c.runner_max_in_flight, 10000);
	CU_ASSERT_EQUAL(c.limits_max_upload_bytes, 104857600LL);
	CU_ASSERT_EQUAL(c.providers_poll_interval_s, 10);
	CU_ASSERT_EQUAL(c.providers_operation_timeout_s, 900);
	CU_ASSERT_EQUAL(c.providers_http_timeout_s, 60);
	CU_ASSERT_EQUAL(c.providers_max_connections, 64);
	CU_ASSERT_FALSE(c.providers_resubmit_lost);
	CU_ASSERT_EQUAL(c.quotas_video_seconds_month, 0);
	CU_ASSERT_EQUAL(c.quotas_cost_usd_month, 0.0);
	CU_ASSERT_STRING_EQUAL(c.providers_gemini_base_url,
	                       "https://generativelanguage.googleapis.com");
	CU_ASSERT_STRING_EQUAL(c.providers_gemini_text_model, "gemini-3.5-flash");
	CU_ASSERT_STRING_EQUAL(c.gemini_models.default_model, "veo-3.1-fast-generate-preview");
	CU_ASSERT_STRING_EQUAL(c.vertex_models.default_model, "veo-3.1-fast-generate-001");
	CU_ASSERT_STRING_EQUAL(c.providers_vertex_base_url,
	                       "https://us-central1-aiplatform.googleapis.com");
	CU_ASSERT_STRING_EQUAL(c.providers_vertex_token_url, "https://oauth2.googleapis.com/token");
	CU_ASSERT_STRING_EQUAL(c.providers_vertex_storage_url, "https://storage.googleapis.com");
	CU_ASSERT_STRING_EQUAL(c.providers_vertex_location, "us-central1");
	CU_ASSERT_STRING_EQUAL(c.local_models.models[0].id, "veogen-preview-1");
	vg_conf_free(&c);

	CU_ASSERT_EQUAL_FATAL(parse("limits: { max_upload_bytes = 5368709120L; };\nquotas: { "
	                            "video_seconds_month = 600; cost_usd_month = 12.5; };\n"
	                            "providers: { local: { model = \"my-preview\"; }; };\n",
	                            &c, &e),
	                      VG_OK);
	CU_ASSERT_EQUAL(c.limits_max_upload_bytes, 5368709120LL);
	CU_ASSERT_EQUAL(c.quotas_video_seconds_month, 600);
	CU_ASSERT_DOUBLE_EQUAL(c.quotas_cost_usd_month, 12.5, 1e-12);
	CU_ASSERT_STRING_EQUAL(c.local_models.models[0].id, "my-preview");
	CU_ASSERT_STRING_EQUAL(c.local_models.default_model, "my-preview");
	vg_conf_free(&c);
	/* a whole number is a fine amount of dollars */
	CU_ASSERT_EQUAL_FATAL(parse("quotas: { cost_usd_month = 20; };\n", &c, &e), VG_OK);
	CU_ASSERT_DOUBLE_EQUAL(c.quotas_cost_usd_month, 20.0, 1e-12);
	vg_conf_free(&c);
	CU_ASSERT_EQUAL(parse("quotas: { cost_usd_month = -1.0; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "quotas.cost_usd_month"));
	CU_ASSERT_EQUAL(parse("runner: { remote_workers = 17; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "between 0 and 16"));
	unlink(path);
}

static void test_models(void)
{
	struct vg_conf c;
	struct vg_err e;

	CU_ASSERT_EQUAL_FATAL(parse(one_model, &c, &e), VG_OK);
	CU_ASSERT_EQUAL_FATAL(c.gemini_models.n, 1);
	const struct vg_model *m = vg_model_find(&c.gemini_models, "veo-9");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->n_durations, 2);
	CU_ASSERT_EQUAL(m->durations[1], 10);
	CU_ASSERT_FALSE(m->res_720p);
	CU_ASSERT_TRUE(m->res_1080p);
	CU_ASSERT_TRUE(m->ar_16_9);
	CU_ASSERT_FALSE(m->ar_9_16);
	CU_ASSERT_TRUE(m->in_image);
	CU_ASSERT_FALSE(m->in_last_frame);
	CU_ASSERT_EQUAL(m->max_reference_images, 2);
	CU_ASSERT_EQUAL(m->long_only_duration, 10);
	CU_ASSERT_FALSE(m->audio);
	CU_ASSERT_DOUBLE_EQUAL(m->price_per_second, 0.25, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(m->price_per_second_1080p, 0.5, 1e-12);
	CU_ASSERT_EQUAL(c.vertex_models.n, 3); /* untouched: still the built-in table */
	vg_conf_free(&c);

	/* reference_images without a count: the API's 3 */
	CU_ASSERT_EQUAL_FATAL(parse("providers: { vertex: { default_model = \"v\"; models = ( { "
	                            "id = \"v\"; durations = [8]; resolutions = [\"720p\"]; "
	                            "aspect_ratios = [\"9:16\"]; inputs = [\"reference_images\"]; "
	                            "price_per_second = 1; } ); }; };\n",
	                            &c, &e),
	                      VG_OK);
	CU_ASSERT_EQUAL(c.vertex_models.models[0].max_reference_images, 3);
	vg_conf_free(&c);
}

static void expect_model_error(const char *models, const char *part)
{
	char text[1024];
	struct vg_conf c;
	struct vg_err e;

	snprintf(text, sizeof text,
	         "providers: { gemini: { default_model = \"a\"; models = %s; }; };\n", models);
	if (parse(text, &c, &e) != VG_EINVAL || !strstr(e.msg, part)) {
		fprintf(stderr, "\n%s: got \"%s\", wanted \"%s\"\n", models, e.msg, part);
		CU_FAIL("a bad model table was not refused as expected");
	}
}

#define MODEL_OK_PART                                                                              \
	"durations = [8]; resolutions = [\"720p\"]; aspect_ratios = [\"16:9\"]; "                  \
	"price_per_second = 0.1;"

static void test_model_refusals(void)
{
	expect_model_error("( { id = \"a\"; " MODEL_OK_PART " colour = \"red\"; } )",
	                   "unknown key colour");
	expect_model_error("( { id = \"a\"; " MODEL_OK_PART " colour = \"red\"; } )",
	                   "providers.gemini.models[0]");
	expect_model_error("( { id = \"a\"; durations = [0]; resolutions = [\"720p\"]; "
	                   "aspect_ratios = [\"16:9\"]; price_per_second = 0.1; } )",
	                   "1 to 60");
	expect_model_error("( { id = \"a\"; durations = [61]; resolutions = [\"720p\"]; "
	                   "aspect_ratios = [\"16:9\"]; price_per_second = 0.1; } )",
	                   "1 to 60");
	expect_model_error("( { id = \"a\"; durations = [8]; resolutions = [\"4k\"]; "
	                   "aspect_ratios = [\"16:9\"]; price_per_second = 0.1; } )",
	                   "\"720p\", \"1080p\"");
	expect_model_error("( { id = \"a\"; durations = [8]; resolutions = [\"720p\"]; "
	                   "aspect_ratios = [\"16:9\"]; } )",
	                   "price_per_second");
	expect_model_error("( { id = \"a\"; " MODEL_OK_PART " inputs = [\"video\"]; } )",
	                   "\"reference_images\"");
	expect_model_error("( { id = \"a\"; " MODEL_OK_PART " max_reference_images = 2; } )",
	                   "lacks \"reference_images\"");
	expect_model_error("( { id = \"a\"; " MODEL_OK_PART " long_only_duration = 6; } )",
	                   "not one of its durations");
	expect_model_error("( { id = \"a\"; " MODEL_OK_PART " }, { id = \"a\"; " MODEL_OK_PART
	                   " } )",
	                   "listed twice");
	expect_model_error("( )", "1 to 64");
	/* the default model must be one of the list */
	expect_model_error("( { id = \"b\"; " MODEL_OK_PART " } )",
	                   "providers.gemini.default_model \"a\" is not in");
}

static void test_default_provider(void)
{
	struct vg_conf c;
	struct vg_err e;

	CU_ASSERT_EQUAL(parse("providers: { default = \"gemini\"; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "providers.gemini.enabled is false"));
	CU_ASSERT_EQUAL(parse("providers: { default = \"vertex\"; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_EQUAL(
	    parse("providers: { default = \"local\"; local: { enabled = false; }; };\n", &c, &e),
	    VG_EINVAL);
	CU_ASSERT_EQUAL(parse("providers: { default = \"sora\"; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_EQUAL_FATAL(parse("providers: { default = \"gemini\"; gemini: { enabled = true; "
	                            "api_key = \"k\"; }; };\n",
	                            &c, &e),
	                      VG_OK);
	CU_ASSERT_STRING_EQUAL(c.providers_default, "gemini");
	vg_conf_free(&c);
	unlink(path);
}

/* Writes a file of text and returns its path (in buf). */
static const char *write_file(char *buf, size_t size, const char *name, const char *text)
{
	FILE *f;

	snprintf(buf, size, "/tmp/vg-t-%s-%d", name, (int)getpid());
	f = fopen(buf, "w");
	fputs(text, f);
	fclose(f);
	return buf;
}

static int load(const char *extra, struct vg_conf *c, struct vg_err *e)
{
	char text[1024];

	snprintf(text, sizeof text, "auth: { jwt_secret_file = \"%s\"; };\n%s", secret, extra);
	vg_err_clear(e);
	return vg_conf_load(c, write_conf(text), e);
}

static void test_credentials(void)
{
	char keyfile[64], safile[64], text[512];
	struct vg_conf c;
	struct vg_err e;

	write_file(secret, sizeof secret, "secret", "0123456789abcdef0123456789abcdef\n");
	write_file(keyfile, sizeof keyfile, "apikey", "  AIza-from-file \n");
	write_file(safile, sizeof safile, "sa", "{\"project_id\": \"p\"}\n");

	/* an enabled Gemini needs a key */
	CU_ASSERT_EQUAL(load("providers: { gemini: { enabled = true; }; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no API key"));
	/* from a file, trimmed */
	snprintf(text, sizeof text,
	         "providers: { gemini: { enabled = true; api_key_file = \"%s\"; }; };\n", keyfile);
	CU_ASSERT_EQUAL_FATAL(load(text, &c, &e), VG_OK);
	CU_ASSERT_STRING_EQUAL(c.providers_gemini_api_key, "AIza-from-file");
	vg_conf_free(&c);
	CU_ASSERT_PTR_NULL(c.providers_gemini_api_key);
	/* both: refused, whichever would win */
	snprintf(text, sizeof text,
	         "providers: { gemini: { api_key = \"inline\"; api_key_file = \"%s\"; }; };\n",
	         keyfile);
	CU_ASSERT_EQUAL(load(text, &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "set one of"));
	CU_ASSERT_PTR_NULL(strstr(e.msg, "inline")); /* never the secret itself */
	/* an unreadable key file */
	CU_ASSERT_EQUAL(
	    load("providers: { gemini: { api_key_file = \"/nonexistent/k\"; }; };\n", &c, &e),
	    VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent/k"));

	/* an enabled Vertex needs a service-account file that can be read */
	CU_ASSERT_EQUAL(load("providers: { vertex: { enabled = true; }; };\n", &c, &e), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "providers.vertex.key_file"));
	CU_ASSERT_EQUAL(load("providers: { vertex: { enabled = true; key_file = "
	                     "\"/nonexistent/sa.json\"; }; };\n",
	                     &c, &e),
	                VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "/nonexistent/sa.json"));
	snprintf(text, sizeof text,
	         "providers: { vertex: { enabled = true; key_file = \"%s\"; }; };\n", safile);
	CU_ASSERT_EQUAL_FATAL(load(text, &c, &e), VG_OK);
	CU_ASSERT_TRUE(c.providers_vertex_enabled);
	vg_conf_free(&c);
	unlink(keyfile);
	unlink(safile);
	unlink(secret);
	unlink(path);
}

static void test_provider_env(void)
{
	char safile[64], text[512];
	struct vg_conf c;
	struct vg_err e;

	write_file(secret, sizeof secret, "secret", "0123456789abcdef0123456789abcdef\n");
	write_file(safile, sizeof safile, "sa-env", "{}\n");
	setenv("VEOGEN_GEMINI_BASE_URL", "http://127.0.0.1:9/fake", 1);
	setenv("VEOGEN_GEMINI_API_KEY", "env-key", 1);
	setenv("VEOGEN_VERTEX_BASE_URL", "http://127.0.0.1:9/vertex", 1);
	setenv("VEOGEN_VERTEX_TOKEN_URL", "http://127.0.0.1:9/token", 1);
	setenv("VEOGEN_VERTEX_KEY_FILE", safile, 1);
	snprintf(
	    text, sizeof text,
	    "providers: { gemini: { enabled = true; api_key = \"file-key\"; base_url = "
	    "\"https://x\"; }; vertex: { enabled = true; key_file = \"/nonexistent\"; }; };\n");
	CU_ASSERT_EQUAL_FATAL(load(text, &c, &e), VG_OK);
	CU_ASSERT_STRING_EQUAL(c.providers_gemini_base_url, "http://127.0.0.1:9/fake");
	CU_ASSERT_STRING_EQUAL(c.providers_gemini_api_key, "env-key");
	CU_ASSERT_STRING_EQUAL(c.providers_vertex_base_url, "http://127.0.0.1:9/vertex");
	CU_ASSERT_STRING_EQUAL(c.providers_vertex_token_url, "http://127.0.0.1:9/token");
	CU_ASSERT_STRING_EQUAL(c.providers_vertex_key_file, safile);
	vg_conf_free(&c);
	/* values only: the environment does not enable a provider */
	CU_ASSERT_EQUAL_FATAL(load("\n", &c, &e), VG_OK);
	CU_ASSERT_FALSE(c.providers_gemini_enabled);
	CU_ASSERT_FALSE(c.providers_vertex_enabled);
	vg_conf_free(&c);
	unsetenv("VEOGEN_GEMINI_BASE_URL");
	unsetenv("VEOGEN_GEMINI_API_KEY");
	unsetenv("VEOGEN_VERTEX_BASE_URL");
	unsetenv("VEOGEN_VERTEX_TOKEN_URL");
	unsetenv("VEOGEN_VERTEX_KEY_FILE");
	unlink(safile);
	unlink(secret);
	unlink(path);
}

void t_conf_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"sample file and defaults", test_sample_and_defaults},
	    {"unknown keys, types, bounds, syntax", test_refusals},
	    {"key files and restart-only keys", test_keys_and_restart},
	    {"VEOGEN_RATE_LIMIT_PER_MIN", test_env_override},
	    {"defaults and bounds of the provider keys", test_new_defaults},
	    {"model tables", test_models},
	    {"bad model tables", test_model_refusals},
	    {"default provider must be enabled", test_default_provider},
	    {"API key and service-account files", test_credentials},
	    {"VEOGEN_GEMINI_* and VEOGEN_VERTEX_*", test_provider_env},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("conf", tests);
}
