#include "config.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"
#include "vg_style.h"
#include "vg_video.h"

#define U1 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e01"
#define U2 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e02"
#define U3 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e03"
#define U4 "0b7e3a52-1c1d-4d7e-9f3a-8a2b6c4d5e04"

/* The config's defaults (built-in model tables), released by test_cleanup. */
static struct vg_conf defaults;
static bool have_defaults;

static struct vg_conf test_conf(void)
{
	if (!have_defaults) {
		vg_conf_defaults(&defaults);
		have_defaults = true;
	}
	return defaults; /* a shallow copy: tests change flags, never the tables */
}

static struct vg_arena *arena;
static struct vg_video_req req;
static struct vg_err err;

/* Parses body text (jansson directly: the body reader is tested elsewhere) into req/err. */
static int parse_with(const struct vg_conf *c, const char *text)
{
	json_error_t jerr;
	json_t *body = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	int rc;

	if (!body) {
		fprintf(stderr, "\nbad test JSON %s: %s\n", text, jerr.text);
		CU_FAIL_FATAL("test body is not JSON");
	}
	if (!arena)
		arena = vg_arena_create(4096);
	vg_arena_reset(arena);
	rc = vg_video_req_parse(arena, body, c, &req, &err);
	json_decref(body);
	return rc;
}

static int parse(const char *text)
{
	struct vg_conf c = test_conf();

	return parse_with(&c, text);
}

static const struct vg_field_err *field_err(const char *field)
{
	for (int i = 0; i < err.nfields; i++)
		if (strcmp(err.fields[i].field, field) == 0)
			return &err.fields[i];
	return NULL;
}

/* The body is refused with an error on field (whose message contains msg_part, if given). */
static void expect_field(const char *text, const char *field, const char *msg_part)
{
	const struct vg_field_err *f;

	if (parse(text) != VG_EINVAL || !(f = field_err(field))) {
		fprintf(stderr, "\nbody %s: expected an error on %s, got rc %d with %d fields\n",
		        text, field, err.rc, err.nfields);
		CU_FAIL("a bad field was accepted");
		return;
	}
	CU_ASSERT_EQUAL(err.rc, VG_EINVAL);
	if (msg_part && !strstr(f->message, msg_part)) {
		fprintf(stderr, "\n%s: \"%s\" lacks \"%s\"\n", field, f->message, msg_part);
		CU_FAIL("the field error does not say what to do");
	}
}

static void expect_ok(const char *text)
{
	if (parse(text) != VG_OK) {
		fprintf(stderr, "\nbody %s refused: %s", text, err.msg);
		for (int i = 0; i < err.nfields; i++)
			fprintf(stderr, " [%s: %s]", err.fields[i].field, err.fields[i].message);
		fprintf(stderr, "\n");
		CU_FAIL("a valid body was refused");
	}
}

/* Bodies are built in their own arena: parsing resets the request arena. */
static struct vg_arena *scratch_arena;

/* Created on first use: a function, so argument evaluation order cannot see it unset. */
static struct vg_arena *scratch(void)
{
	if (!scratch_arena)
		scratch_arena = vg_arena_create(4096);
	return scratch_arena;
}

static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s;

	s = vg_arena_alloc(scratch(), u * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

/* {"prompt": "p", key: "<n copies of unit>"} */
static char *body_with(const char *key, const char *unit, size_t n)
{
	const char *s = repeat(unit, n);

	return vg_arena_printf(scratch(), "{\"prompt\":\"p\",\"%s\":\"%s\"}", key, s);
}

/* ---- validation */

static void test_defaults(void)
{
	expect_ok("{\"prompt\":\"  a red fox in the snow \\n\"}");
	CU_ASSERT_STRING_EQUAL(req.prompt, "a red fox in the snow");
	CU_ASSERT_PTR_NULL(req.negative_prompt);
	CU_ASSERT_PTR_NULL(req.style);
	CU_ASSERT_EQUAL(req.duration_seconds, 8);
	CU_ASSERT_STRING_EQUAL(req.aspect_ratio, "16:9");
	CU_ASSERT_STRING_EQUAL(req.resolution, "720p");
	CU_ASSERT_FALSE(req.has_seed);
	CU_ASSERT_PTR_NULL(req.image_id);
	CU_ASSERT_PTR_NULL(req.last_frame_id);
	CU_ASSERT_EQUAL(req.n_reference_images, 0);
	CU_ASSERT_STRING_EQUAL(req.provider, "local");
	CU_ASSERT_STRING_EQUAL(req.model, "veogen-preview-1");
	CU_ASSERT_PTR_NULL(req.webhook_url);
	/* null is the same as absent */
	expect_ok("{\"prompt\":\"x\",\"style\":null,\"seed\":null,\"image_id\":null,"
	          "\"reference_image_ids\":null,\"provider\":null,\"webhook_url\":null}");
	CU_ASSERT_STRING_EQUAL(req.provider, "local");
}

static void test_every_field_valid(void)
{
	expect_ok("{\"prompt\":\"a lighthouse\",\"negative_prompt\":\"people\",\"style\":"
	          "\"wes-anderson\",\"duration_seconds\":4,\"aspect_ratio\":\"9:16\","
	          "\"resolution\":\"1080p\",\"seed\":4294967295,\"image_id\":\"" U1
	          "\",\"last_frame_id\":\"" U2 "\",\"reference_image_ids\":[\"" U3 "\",\"" U4
	          "\"],\"provider\":\"local\",\"model\":\"veogen-preview-1\","
	          "\"webhook_url\":\"https://hooks.example.com/veogen?x=1\"}");
	CU_ASSERT_STRING_EQUAL(req.negative_prompt, "people");
	CU_ASSERT_STRING_EQUAL(req.style, "wes-anderson");
	CU_ASSERT_EQUAL(req.duration_seconds, 4);
	CU_ASSERT_STRING_EQUAL(req.aspect_ratio, "9:16");
	CU_ASSERT_STRING_EQUAL(req.resolution, "1080p");
	CU_ASSERT_TRUE(req.has_seed);
	CU_ASSERT_EQUAL(req.seed, 4294967295u);
	CU_ASSERT_STRING_EQUAL(req.image_id, U1);
	CU_ASSERT_STRING_EQUAL(req.last_frame_id, U2);
	CU_ASSERT_EQUAL_FATAL(req.n_reference_images, 2);
	CU_ASSERT_STRING_EQUAL(req.reference_image_ids[0], U3);
	CU_ASSERT_STRING_EQUAL(req.reference_image_ids[1], U4);
	CU_ASSERT_STRING_EQUAL(req.webhook_url, "https://hooks.example.com/veogen?x=1");
	expect_ok("{\"prompt\":\"x\",\"duration_seconds\":6,\"seed\":0}");
	CU_ASSERT_EQUAL(req.duration_seconds, 6);
	CU_ASSERT_TRUE(req.has_seed);
	CU_ASSERT_EQUAL(req.seed, 0);
}

static void test_prompt(void)
{
	expect_field("{}", "prompt", "required");
	expect_field("{\"prompt\":null}", "prompt", "required");
	expect_field("{\"prompt\":\"   \"}", "prompt", NULL);
	expect_field("{\"prompt\":42}", "prompt", "string");
	/* 2000 code points (4000 bytes) fit, 2001 do not */
	expect_ok(vg_arena_printf(scratch(), "{\"prompt\":\"%s\"}", repeat("\xc3\xa9", 2000)));
	CU_ASSERT_EQUAL(strlen(req.prompt), 4000);
	expect_field(vg_arena_printf(scratch(), "{\"prompt\":\"%s\"}", repeat("x", 2001)), "prompt",
	             "2000");
}

static void test_negative_prompt(void)
{
	expect_ok(body_with("negative_prompt", "n", 1000));
	CU_ASSERT_EQUAL(strlen(req.negative_prompt), 1000);
	expect_field(body_with("negative_prompt", "n", 1001), "negative_prompt", "1000");
	expect_field("{\"prompt\":\"p\",\"negative_prompt\":[]}", "negative_prompt", NULL);
	expect_ok("{\"prompt\":\"p\",\"negative_prompt\":\"  \"}");
	CU_ASSERT_PTR_NULL(req.negative_prompt);
}

static void test_style(void)
{
	for (size_t i = 0; i < vg_style_count(); i++) {
		char body[128];

		snprintf(body, sizeof body, "{\"prompt\":\"p\",\"style\":\"%s\"}",
		         vg_style_at(i)->id);
		expect_ok(body);
		CU_ASSERT_STRING_EQUAL(req.style, vg_style_at(i)->id);
	}
	expect_field("{\"prompt\":\"p\",\"style\":\"noir\"}", "style", "GET /api/v1/styles");
	expect_field("{\"prompt\":\"p\",\"style\":\"Cinematic\"}", "style", NULL);
	expect_field("{\"prompt\":\"p\",\"style\":1}", "style", NULL);
}

static void test_duration_aspect_resolution(void)
{
	const char *bad_durations[] = {"0", "5", "10", "-8", "8.0", "\"8\"", "true", "[8]"};

	for (size_t i = 0; i < sizeof bad_durations / sizeof bad_durations[0]; i++) {
		char body[96];

		snprintf(body, sizeof body, "{\"prompt\":\"p\",\"duration_seconds\":%s}",
		         bad_durations[i]);
		expect_field(body, "duration_seconds", NULL);
	}
	expect_field("{\"prompt\":\"p\",\"duration_seconds\":5}", "duration_seconds",
	             "veogen-preview-1 makes 4, 6 or 8 s clips");
	expect_field("{\"prompt\":\"p\",\"duration_seconds\":61}", "duration_seconds", "4, 6, 8");
	expect_field("{\"prompt\":\"p\",\"aspect_ratio\":\"1:1\"}", "aspect_ratio", "16:9");
	expect_field("{\"prompt\":\"p\",\"aspect_ratio\":169}", "aspect_ratio", NULL);
	expect_field("{\"prompt\":\"p\",\"resolution\":\"4k\"}", "resolution", "1080p");
	expect_field("{\"prompt\":\"p\",\"resolution\":\"720P\"}", "resolution", NULL);
}

static void test_seed(void)
{
	const char *bad[] = {"-1", "4294967296", "1.5", "\"7\"", "false", "1e3"};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char body[96];

		snprintf(body, sizeof body, "{\"prompt\":\"p\",\"seed\":%s}", bad[i]);
		expect_field(body, "seed", NULL);
	}
	expect_ok("{\"prompt\":\"p\",\"seed\":12345}");
	CU_ASSERT_EQUAL(req.seed, 12345);
}

static void test_file_ids(void)
{
	expect_field("{\"prompt\":\"p\",\"image_id\":\"nope\"}", "image_id", "POST /api/v1/files");
	expect_field("{\"prompt\":\"p\",\"image_id\":7}", "image_id", NULL);
	expect_field("{\"prompt\":\"p\",\"image_id\":\"" U1 "x\"}", "image_id", NULL);
	expect_field("{\"prompt\":\"p\",\"last_frame_id\":\"" U1 "\"}", "last_frame_id",
	             "image_id");
	/* upper-case UUIDs are accepted and stored in canonical form */
	expect_ok("{\"prompt\":\"p\",\"image_id\":\"0B7E3A52-1C1D-4D7E-9F3A-8A2B6C4D5E01\"}");
	CU_ASSERT_STRING_EQUAL(req.image_id, U1);

	expect_ok("{\"prompt\":\"p\",\"reference_image_ids\":[\"" U1 "\",\"" U2 "\",\"" U3 "\"]}");
	CU_ASSERT_EQUAL(req.n_reference_images, 3);
	expect_ok("{\"prompt\":\"p\",\"reference_image_ids\":[]}");
	CU_ASSERT_EQUAL(req.n_reference_images, 0);
	expect_field("{\"prompt\":\"p\",\"reference_image_ids\":[\"" U1 "\",\"" U2 "\",\"" U3
	             "\",\"" U4 "\"]}",
	             "reference_image_ids", "at most 3");
	expect_field("{\"prompt\":\"p\",\"reference_image_ids\":\"" U1 "\"}", "reference_image_ids",
	             "array");
	expect_field("{\"prompt\":\"p\",\"reference_image_ids\":[\"" U1 "\",\"" U1 "\"]}",
	             "reference_image_ids[1]", "once");
	expect_field("{\"prompt\":\"p\",\"reference_image_ids\":[\"" U1 "\",5]}",
	             "reference_image_ids[1]", NULL);
	expect_field("{\"prompt\":\"p\",\"reference_image_ids\":[\"" U1 "\\u0000junk\"]}",
	             "reference_image_ids[0]", NULL);
}

static void test_provider_model(void)
{
	struct vg_conf off = test_conf();

	expect_field("{\"prompt\":\"p\",\"provider\":\"gemini\"}", "provider",
	             "provider gemini is not enabled on this server");
	expect_field("{\"prompt\":\"p\",\"provider\":\"vertex\"}", "provider",
	             "provider vertex is not enabled on this server");
	expect_field("{\"prompt\":\"p\",\"provider\":\"sora\"}", "provider", "local");
	expect_field("{\"prompt\":\"p\",\"provider\":3}", "provider", NULL);
	expect_field("{\"prompt\":\"p\",\"model\":\"veo-3.0\"}", "model", "veogen-preview-1");
	expect_field("{\"prompt\":\"p\",\"model\":\"\"}", "model", NULL);

	off.providers_local_enabled = false;
	CU_ASSERT_EQUAL(parse_with(&off, "{\"prompt\":\"p\",\"provider\":\"local\"}"), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(field_err("provider"));
	CU_ASSERT_EQUAL(parse_with(&off, "{\"prompt\":\"p\"}"), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(field_err("provider"));
}

/* Gemini on, with a key; Vertex off. */
static struct vg_conf gemini_conf(void)
{
	struct vg_conf c = test_conf();

	c.providers_gemini_enabled = true;
	c.providers_gemini_api_key = (char *)"k";
	return c;
}

static void test_remote_models(void)
{
	struct vg_conf c = gemini_conf();

	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\",\"provider\":\"gemini\"}"), VG_OK);
	CU_ASSERT_STRING_EQUAL(req.provider, "gemini");
	CU_ASSERT_STRING_EQUAL(req.model, "veo-3.1-fast-generate-preview"); /* the default */
	CU_ASSERT_DOUBLE_EQUAL(req.estimated_cost_usd, 0.80, 1e-9);

	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\",\"provider\":\"gemini\",\"model\":"
	                               "\"veo-3.1-generate-preview\",\"resolution\":\"1080p\"}"),
	                VG_OK);
	CU_ASSERT_DOUBLE_EQUAL(req.estimated_cost_usd, 3.20, 1e-9);

	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\",\"provider\":\"gemini\",\"model\":"
	                               "\"veo-2.0-generate-001\"}"),
	                VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(field_err("model"));
	CU_ASSERT_PTR_NOT_NULL(strstr(field_err("model")->message,
	                              "veo-3.1-generate-preview, veo-3.1-fast-generate-preview, "
	                              "veo-3.1-lite-generate-preview"));

	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\",\"provider\":\"gemini\",\"model\":"
	                               "\"veo-3.1-lite-generate-preview\",\"reference_image_ids\":"
	                               "[\"" U1 "\"]}"),
	                VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(field_err("reference_image_ids"));
	CU_ASSERT_PTR_NOT_NULL(strstr(field_err("reference_image_ids")->message,
	                              "veo-3.1-lite-generate-preview does not take"));

	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\",\"provider\":\"gemini\","
	                               "\"resolution\":\"1080p\",\"duration_seconds\":6}"),
	                VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(field_err("duration_seconds"));
	CU_ASSERT_PTR_NOT_NULL(strstr(field_err("duration_seconds")->message, "only 8 s long"));

	/* one error per field, even when the generic check and the model both object */
	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\",\"provider\":\"gemini\","
	                               "\"last_frame_id\":\"" U1 "\"}"),
	                VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 1);

	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\",\"provider\":\"vertex\"}"), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(field_err("provider"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(field_err("provider")->message, "enabled here: local, gemini"));

	/* the local model is free */
	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\"}"), VG_OK);
	CU_ASSERT_DOUBLE_EQUAL(req.estimated_cost_usd, 0.0, 1e-12);
}

static void test_enhance_prompt(void)
{
	struct vg_conf c = gemini_conf();

	expect_ok("{\"prompt\":\"p\",\"enhance_prompt\":false}");
	CU_ASSERT_FALSE(req.enhance_prompt);
	expect_field("{\"prompt\":\"p\",\"enhance_prompt\":true}", "enhance_prompt",
	             "enhance_prompt needs the Gemini text client: set providers.gemini.api_key");
	expect_field("{\"prompt\":\"p\",\"enhance_prompt\":\"yes\"}", "enhance_prompt", NULL);
	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\",\"enhance_prompt\":true}"), VG_OK);
	CU_ASSERT_TRUE(req.enhance_prompt);
	CU_ASSERT_STRING_EQUAL(req.provider,
	                       "local"); /* any provider: the text client is Gemini's */
	CU_ASSERT_EQUAL(parse_with(&c, "{\"prompt\":\"p\"}"), VG_OK);
	CU_ASSERT_FALSE(req.enhance_prompt);
}

/* The problem with url under webhooks.allow_networks = allow (NULL when none). */
static const char *webhook_problem(const char *allow, const char *url)
{
	struct vg_conf c = test_conf();

	c.webhooks_allow_networks = (char *)allow; /* a shallow copy: never freed */
	return vg_video_webhook_problem(scratch(), &c, url);
}

static void expect_webhook(const char *allow, const char *url, const char *msg_part)
{
	const char *p = webhook_problem(allow, url);

	if (!msg_part ? p != NULL : !p || !strstr(p, msg_part)) {
		fprintf(stderr, "\n%s with allow_networks \"%s\": %s (want %s)\n", url, allow,
		        p ? p : "accepted", msg_part ? msg_part : "accepted");
		CU_FAIL("wrong verdict on a webhook URL");
	}
}

static void test_webhook_url(void)
{
	const char *ok[] = {"https://example.com",   "https://example.com:8443/h?a=b#f",
	                    "HTTPS://Example.COM/x", "https://internal.example/hook",
	                    "https://8.8.8.8/h",     "https://[2001:4860:4860::8888]/h"};
	const char *bad[] = {"ftp://example.com/",
	                     "http://example.com/hook",
	                     "http://127.0.0.1.evil.example/",
	                     "http://10.0.0.1/",
	                     "http://127.0.0.1:8080/hook",
	                     "https://",
	                     "https:///path",
	                     "https://user:pw@example.com/",
	                     "https://exa mple.com/",
	                     "https://example.com:99999/",
	                     "https://example.com:0/",
	                     "https://example.com:/",
	                     "https://[::1/",
	                     "example.com",
	                     "https://ex\\u00e4mple.com/"};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char body[160];

		snprintf(body, sizeof body, "{\"prompt\":\"p\",\"webhook_url\":\"%s\"}", ok[i]);
		expect_ok(body);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char body[160];

		snprintf(body, sizeof body, "{\"prompt\":\"p\",\"webhook_url\":\"%s\"}", bad[i]);
		expect_field(body, "webhook_url", NULL);
	}
	expect_field("{\"prompt\":\"p\",\"webhook_url\":\"http://example.com/\"}", "webhook_url",
	             "https");
	/* 2048 characters fit, 2049 do not */
	expect_ok(body_with("webhook_url", "https://example.com/", 1));
	expect_ok(vg_arena_printf(scratch(),
	                          "{\"prompt\":\"p\",\"webhook_url\":\"https://e.com/%s\"}",
	                          repeat("a", 2048 - strlen("https://e.com/"))));
	expect_field(vg_arena_printf(scratch(),
	                             "{\"prompt\":\"p\",\"webhook_url\":\"https://e.com/%s\"}",
	                             repeat("a", 2049 - strlen("https://e.com/"))),
	             "webhook_url", "2048");
}

/* Literal addresses of refused classes, and http to loopback, against the allow-list. */
static void test_webhook_url_networks(void)
{
	const char *loop = "127.0.0.0/8, ::1/128";

	/* loopback: http allowed only when allow_networks allows loopback */
	expect_webhook(loop, "http://127.0.0.1:8080/hook", NULL);
	expect_webhook(loop, "http://localhost/hook", NULL);
	expect_webhook(loop, "http://LOCALHOST:9/hook", NULL);
	expect_webhook(loop, "http://[::1]:9000/", NULL);
	expect_webhook("::1/128", "http://localhost/hook", NULL);
	expect_webhook("", "http://127.0.0.1:8080/hook",
	               "127.0.0.1, a loopback address, which webhooks may not reach");
	expect_webhook("", "http://127.0.0.1:8080/hook", "webhooks.allow_networks");
	expect_webhook("", "https://127.0.0.1/hook", "a loopback address");
	expect_webhook("", "http://localhost/hook", "localhost, a loopback address");
	expect_webhook("", "https://localhost/hook", "webhooks.allow_networks");
	expect_webhook("", "http://[::1]:9000/", "[::1], a loopback address");
	expect_webhook("10.0.0.0/8", "http://localhost/hook", "a loopback address");
	/* other refused classes, https or not */
	expect_webhook("", "https://10.0.0.5/h", "10.0.0.5, a private address");
	expect_webhook("", "https://192.168.1.1/h", "a private address");
	expect_webhook("", "https://169.254.169.254/latest/meta-data", "a link-local address");
	expect_webhook("", "https://100.64.0.1/h", "a shared (carrier-grade NAT) address");
	expect_webhook("", "https://0.0.0.0/h", "an unspecified address");
	expect_webhook("", "https://224.0.0.1/h", "a multicast address");
	expect_webhook("", "https://255.255.255.255/h", "a reserved address");
	expect_webhook("", "https://[fd00:ec2::254]/h", "a private address");
	expect_webhook("", "https://[fe80::1]/h", "a link-local address");
	expect_webhook("", "https://[::ffff:127.0.0.1]/h", "a loopback address");
	expect_webhook("", "https://[64:ff9b::a9fe:a9fe]/h", "a link-local address");
	expect_webhook(loop, "https://10.0.0.5/h", "a private address");
	/* allowed networks pass with https; http stays for loopback only */
	expect_webhook("10.0.0.0/8", "https://10.0.0.5/h", NULL);
	expect_webhook("10.0.0.0/8", "http://10.0.0.5/h", "must use https://");
	expect_webhook("fd00::/8", "https://[fd00:ec2::254]/h", NULL);
	/* host names are checked when the runner connects */
	expect_webhook("", "https://metadata.internal/h", NULL);
	expect_webhook("", "http://metadata.internal/h", "must use https://");
	/* public addresses */
	expect_webhook("", "https://93.184.216.34/h", NULL);
	expect_webhook("", "http://93.184.216.34/h", "must use https://");
}

static void test_unknown_fields_and_many_errors(void)
{
	expect_field("{\"prompt\":\"p\",\"fps\":24}", "fps", NULL);
	CU_ASSERT_EQUAL(parse("{\"prompt\":\"p\",\"fps\":24,\"motion\":1}"), VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 2);
	CU_ASSERT_PTR_NOT_NULL(field_err("fps"));
	CU_ASSERT_PTR_NOT_NULL(field_err("motion"));

	/* every bad field is reported at once */
	CU_ASSERT_EQUAL(
	    parse("{\"prompt\":\"\",\"duration_seconds\":5,\"aspect_ratio\":\"1:1\","
	          "\"resolution\":\"8k\",\"seed\":-1,\"style\":\"x\",\"image_id\":\"y\","
	          "\"provider\":\"gemini\",\"webhook_url\":\"ftp://x\",\"extra\":1}"),
	    VG_EINVAL);
	const char *fields[] = {
	    "prompt", "duration_seconds", "aspect_ratio", "resolution",  "seed",
	    "style",  "image_id",         "provider",     "webhook_url", "extra"};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!field_err(fields[i])) {
			fprintf(stderr, "\nno error for %s\n", fields[i]);
			CU_FAIL("a bad field was not reported");
		}
	CU_ASSERT_EQUAL(err.nfields, 10);
	CU_ASSERT_STRING_EQUAL(err.code, "validation_failed");
}

static void test_body_not_object(void)
{
	const char *bodies[] = {"[]", "\"prompt\"", "42", "null", "true"};

	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		CU_ASSERT_EQUAL(parse(bodies[i]), VG_EBADREQ);
		CU_ASSERT_EQUAL(err.nfields, 0);
	}
}

/* ---- styles */

static void test_style_catalogue(void)
{
	const char *required[] = {"cinematic",   "realistic",  "animated",      "artistic",
	                          "documentary", "commercial", "abstract",      "vintage",
	                          "modern",      "anime",      "pixar",         "wes-anderson",
	                          "claymation",  "svankmajer", "advertisement", "music-video"};

	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		CU_ASSERT_PTR_NOT_NULL(vg_style_find(required[i]));
	CU_ASSERT_PTR_NULL(vg_style_find("nope"));
	CU_ASSERT_PTR_NULL(vg_style_find(NULL));
	CU_ASSERT_PTR_NULL(vg_style_at(vg_style_count()));
	CU_ASSERT_TRUE(vg_style_count() >= 16);
	for (size_t i = 0; i < vg_style_count(); i++) {
		const struct vg_style *s = vg_style_at(i);
		const char *colours[] = {s->color_a, s->color_b, s->text_color};

		CU_ASSERT_PTR_EQUAL(vg_style_find(s->id), s);
		CU_ASSERT_TRUE(*s->name && *s->description && strlen(s->prompt_modifier) > 20);
		CU_ASSERT_TRUE(!strcmp(s->kind, "video") || !strcmp(s->kind, "movie") ||
		               !strcmp(s->kind, "both"));
		for (int k = 0; k < 3; k++)
			CU_ASSERT_TRUE(strlen(colours[k]) == 8 && !strncmp(colours[k], "0x", 2) &&
			               strspn(colours[k] + 2, "0123456789ABCDEF") == 6);
		for (size_t j = 0; j < i; j++) { /* a distinct palette per style */
			const struct vg_style *o = vg_style_at(j);

			CU_ASSERT_STRING_NOT_EQUAL(s->id, o->id);
			CU_ASSERT_FALSE(!strcmp(s->color_a, o->color_a) &&
			                !strcmp(s->color_b, o->color_b));
		}
	}
}

/* ---- row → object (needs PostgreSQL for a real PGresult) */

static PGconn *test_db(void)
{
	PGconn *db = PQconnectdb(getenv("VG_TEST_CONNINFO"));

	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "\nVG_TEST_CONNINFO: %s", PQerrorMessage(db));
		PQfinish(db);
		CU_FAIL_FATAL("cannot connect to the test database");
	}
	return db;
}

static PGresult *exec_ok(PGconn *db, const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(db, sql);

	if (PQresultStatus(r) != want) {
		fprintf(stderr, "\n%s: %s", sql, PQerrorMessage(db));
		CU_FAIL("SQL failed");
	}
	return r;
}

/* Rows with the real column list over literal values, inside a transaction that is rolled
 * back (vg_rfc3339 is created there when the database has no schema). */
static PGresult *video_rows(PGconn *db)
{
	PGresult *r = exec_ok(db, "SELECT to_regprocedure('vg_rfc3339(timestamptz)') IS NULL",
	                      PGRES_TUPLES_OK);
	bool need_fn = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;

	PQclear(r);
	PQclear(exec_ok(db, "BEGIN", PGRES_COMMAND_OK));
	if (need_fn)
		PQclear(
		    exec_ok(db,
		            "CREATE FUNCTION vg_rfc3339(t timestamptz) RETURNS text LANGUAGE sql "
		            "AS $$ SELECT to_char(t AT TIME ZONE 'UTC', "
		            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') $$",
		            PGRES_COMMAND_OK));
	r = exec_ok(
	    db,
	    "SELECT " VG_VIDEO_COLUMNS " FROM (VALUES "
	    "('" U1 "'::uuid, 'succeeded', 100::smallint, 'done', 'a fox', 'rain', 'vintage', "
	    " 6::smallint, '9:16', '1080p', 4294967295::bigint, '" U2 "'::uuid, '" U3 "'::uuid, "
	    " ARRAY['" U3 "','" U4 "']::uuid[], 'local', 'veogen-preview-1', "
	    " 'https://h.example/x', 1, NULL::jsonb, "
	    " '{\"width\":1080,\"height\":1920,\"duration_seconds\":6,\"size_bytes\":1234,"
	    "\"sha256\":\"ab\",\"mime_type\":\"video/mp4\",\"has_audio\":true}'::jsonb, "
	    " 0.25::numeric(12,4), '2026-11-24 10:00:00+00'::timestamptz, "
	    " '2026-11-24 10:00:01+00'::timestamptz, '2026-11-24 10:00:09.7+00'::timestamptz, "
	    " '" U4 "'::uuid, true, 'a fox at dawn, golden light', 0.2::numeric(12,4), "
	    " '" U2 "'::uuid, '" U3 "'::uuid), "
	    "('" U2 "'::uuid, 'failed', 40::smallint, 'generating', 'p', NULL, NULL, "
	    " 8::smallint, '16:9', '720p', NULL::bigint, NULL::uuid, NULL::uuid, '{}'::uuid[], "
	    " 'local', 'veogen-preview-1', NULL, 3, "
	    " '{\"code\":\"provider_timeout\",\"message\":\"m\",\"retryable\":true}'::jsonb, NULL, "
	    " 0::numeric(12,4), '2026-11-24 10:00:00+00'::timestamptz, NULL, NULL, '" U4 "'::uuid, "
	    " false, NULL, 0::numeric(12,4), NULL::uuid, NULL::uuid)"
	    ") AS v(id, status, progress, stage, prompt, negative_prompt, style, duration_seconds, "
	    " aspect_ratio, resolution, seed, image_id, last_frame_id, reference_image_ids, "
	    " provider, model, webhook_url, attempts, error, result, estimated_cost_usd, "
	    " created_at, started_at, finished_at, user_id, enhance_prompt, enhanced_prompt, "
	    " spent_cost_usd, movie_id, scene_id)",
	    PGRES_TUPLES_OK);
	PQclear(exec_ok(db, "ROLLBACK", PGRES_COMMAND_OK));
	return r;
}

static void expect_json(json_t *o, const char *want_text)
{
	json_t *want = json_loads(want_text, 0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	if (!json_equal(o, want)) {
		char *got = json_dumps(o, JSON_SORT_KEYS);

		fprintf(stderr, "\ngot  %s\nwant %s\n", got, want_text);
		free(got);
		CU_FAIL("video object differs");
	}
	json_decref(want);
}

static void test_to_json(void)
{
	PGconn *db = test_db();
	PGresult *r = video_rows(db);
	json_t *o;

	CU_ASSERT_EQUAL_FATAL(PQntuples(r), 2);
	o = vg_video_to_json(r, 0);
	expect_json(o, "{\"id\":\"" U1 "\",\"status\":\"succeeded\",\"progress\":100,"
	               "\"stage\":\"done\",\"prompt\":\"a fox\",\"negative_prompt\":\"rain\","
	               "\"style\":\"vintage\",\"duration_seconds\":6,\"aspect_ratio\":\"9:16\","
	               "\"resolution\":\"1080p\",\"seed\":4294967295,\"image_id\":\"" U2 "\","
	               "\"last_frame_id\":\"" U3 "\",\"reference_image_ids\":[\"" U3 "\",\"" U4
	               "\"],\"provider\":\"local\",\"model\":\"veogen-preview-1\","
	               "\"webhook_url\":\"https://h.example/x\",\"attempts\":1,\"error\":null,"
	               "\"result\":{\"width\":1080,\"height\":1920,\"duration_seconds\":6,"
	               "\"size_bytes\":1234,\"sha256\":\"ab\",\"mime_type\":\"video/mp4\","
	               "\"has_audio\":true},\"estimated_cost_usd\":0.25,"
	               "\"spent_cost_usd\":0.2,\"enhance_prompt\":true,"
	               "\"enhanced_prompt\":\"a fox at dawn, golden light\","
	               "\"movie_id\":\"" U2 "\",\"scene_id\":\"" U3 "\","
	               "\"created_at\":\"2026-11-24T10:00:00Z\","
	               "\"started_at\":\"2026-11-24T10:00:01Z\","
	               "\"finished_at\":\"2026-11-24T10:00:09Z\",\"links\":{\"self\":"
	               "\"/api/v1/videos/" U1 "\",\"content\":\"/api/v1/videos/" U1 "/content\","
	               "\"thumbnail\":\"/api/v1/videos/" U1 "/thumbnail\"}}");
	CU_ASSERT_PTR_NULL(json_object_get(o, "user_id"));
	json_decref(o);

	o = vg_video_to_json(r, 1);
	expect_json(o, "{\"id\":\"" U2 "\",\"status\":\"failed\",\"progress\":40,"
	               "\"stage\":\"generating\",\"prompt\":\"p\",\"negative_prompt\":null,"
	               "\"style\":null,\"duration_seconds\":8,\"aspect_ratio\":\"16:9\","
	               "\"resolution\":\"720p\",\"seed\":null,\"image_id\":null,"
	               "\"last_frame_id\":null,\"reference_image_ids\":[],\"provider\":\"local\","
	               "\"model\":\"veogen-preview-1\",\"webhook_url\":null,\"attempts\":3,"
	               "\"error\":{\"code\":\"provider_timeout\",\"message\":\"m\","
	               "\"retryable\":true},\"result\":null,\"estimated_cost_usd\":0.0,"
	               "\"spent_cost_usd\":0.0,\"enhance_prompt\":false,\"enhanced_prompt\":null,"
	               "\"movie_id\":null,\"scene_id\":null,"
	               "\"created_at\":\"2026-11-24T10:00:00Z\",\"started_at\":null,"
	               "\"finished_at\":null,\"links\":{\"self\":\"/api/v1/videos/" U2 "\"}}");
	CU_ASSERT_TRUE(json_is_real(json_object_get(o, "estimated_cost_usd")));
	json_decref(o);
	PQclear(r);
	PQfinish(db);
}

static void test_cleanup(void)
{
	if (have_defaults)
		vg_conf_free(&defaults);
	have_defaults = false;
	if (arena)
		vg_arena_destroy(arena);
	if (scratch_arena)
		vg_arena_destroy(scratch_arena);
	arena = scratch_arena = NULL;
}

void t_video_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"defaults", test_defaults},
	    {"every field valid", test_every_field_valid},
	    {"prompt", test_prompt},
	    {"negative_prompt", test_negative_prompt},
	    {"style", test_style},
	    {"duration, aspect ratio, resolution", test_duration_aspect_resolution},
	    {"seed", test_seed},
	    {"image ids", test_file_ids},
	    {"provider and model", test_provider_model},
	    {"remote models narrow and price requests", test_remote_models},
	    {"enhance_prompt", test_enhance_prompt},
	    {"webhook_url", test_webhook_url},
	    {"webhook_url and allow_networks", test_webhook_url_networks},
	    {"unknown fields, all errors at once", test_unknown_fields_and_many_errors},
	    {"body not an object", test_body_not_object},
	    {"style catalogue", test_style_catalogue},
	    {"release test memory", test_cleanup},
	    CU_TEST_INFO_NULL,
	};
	static const CU_TestInfo db_tests[] = {
	    {"row to video object", test_to_json},
	    CU_TEST_INFO_NULL,
	};

	vg_test_suite("video", tests);
	if (getenv("VG_TEST_CONNINFO") && *getenv("VG_TEST_CONNINFO"))
		vg_test_suite("video_db", db_tests);
	else
		printf("video_db: VG_TEST_CONNINFO is unset, skipping the row-to-object tests\n");
}
