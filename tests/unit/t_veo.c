/* vg_veo and vg_b64: the submit bodies parsed back with jansson, every operation outcome of
 * both dialects on the JSON examples of research veo-api.md, malformed answers, Cloud
 * Storage URLs, and base64 to and from files with known SHA-256 digests. */
#include "config.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests.h"
#include "vg_b64.h"
#include "vg_storage.h"
#include "vg_veo.h"

static struct vg_err err;
static struct vg_veo_op op;

/* ---- submit bodies ---- */

static struct vg_veo_input text_input(void)
{
	struct vg_veo_input in;

	memset(&in, 0, sizeof in);
	in.prompt = "Slow dolly shot of a lighthouse at dusk, waves crash; a gull cries.";
	in.negative_prompt = "text overlay, watermark";
	in.duration_s = 6;
	in.aspect_ratio = "16:9";
	in.resolution = "720p";
	return in;
}

static json_t *body_of(enum vg_veo_dialect d, const struct vg_veo_input *in)
{
	char *s = vg_veo_submit_body(d, in);
	json_error_t jerr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	json_t *root = json_loads(s, 0, &jerr);
	free(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_TRUE_FATAL(json_is_object(root));
	CU_ASSERT_EQUAL(json_object_size(root), 2);
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(root, "instances")), 1);
	CU_ASSERT_TRUE_FATAL(json_is_object(json_object_get(root, "parameters")));
	return root;
}

static json_t *inst0(json_t *root)
{
	return json_array_get(json_object_get(root, "instances"), 0);
}

static json_t *params(json_t *root)
{
	return json_object_get(root, "parameters");
}

static const char *str_at(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void test_submit_text_gemini(void)
{
	struct vg_veo_input in = text_input();
	in.has_seed = true; /* the Gemini API refuses seed: never sent */
	in.seed = 42;
	in.storage_uri = "gs://bucket/out/";
	json_t *root = body_of(VG_VEO_GEMINI, &in);
	json_t *i0 = inst0(root), *p = params(root);

	CU_ASSERT_STRING_EQUAL(str_at(i0, "prompt"), in.prompt);
	CU_ASSERT_EQUAL(json_object_size(i0), 1);
	CU_ASSERT_STRING_EQUAL(str_at(p, "aspectRatio"), "16:9");
	CU_ASSERT_STRING_EQUAL(str_at(p, "resolution"), "720p");
	CU_ASSERT_TRUE(json_is_integer(json_object_get(p, "durationSeconds")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "durationSeconds")), 6);
	CU_ASSERT_STRING_EQUAL(str_at(p, "negativePrompt"), "text overlay, watermark");
	CU_ASSERT_TRUE(json_is_integer(json_object_get(p, "sampleCount")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "sampleCount")), 1);
	CU_ASSERT_PTR_NULL(json_object_get(p, "seed"));
	CU_ASSERT_PTR_NULL(json_object_get(p, "storageUri"));
	CU_ASSERT_PTR_NULL(json_object_get(p, "generateAudio"));
	CU_ASSERT_PTR_NULL(json_object_get(p, "personGeneration"));
	CU_ASSERT_EQUAL(json_object_size(p), 5);
	json_decref(root);

	/* No negative prompt: no key at all. */
	in.negative_prompt = NULL;
	root = body_of(VG_VEO_GEMINI, &in);
	CU_ASSERT_PTR_NULL(json_object_get(params(root), "negativePrompt"));
	CU_ASSERT_EQUAL(json_object_size(params(root)), 4);
	json_decref(root);
}

static void test_submit_vertex(void)
{
	struct vg_veo_input in = text_input();
	in.has_seed = true;
	in.seed = 4294967295u;
	in.storage_uri = "gs://my-bucket/out/";
	json_t *root = body_of(VG_VEO_VERTEX, &in);
	json_t *p = params(root);

	CU_ASSERT_TRUE(json_is_integer(json_object_get(p, "seed")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "seed")), 4294967295LL);
	CU_ASSERT_STRING_EQUAL(str_at(p, "storageUri"), "gs://my-bucket/out/");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "durationSeconds")), 6);
	CU_ASSERT_PTR_NULL(json_object_get(p, "personGeneration"));
	json_decref(root);

	/* Without seed and storage: neither key. */
	in.has_seed = false;
	in.storage_uri = NULL;
	root = body_of(VG_VEO_VERTEX, &in);
	CU_ASSERT_PTR_NULL(json_object_get(params(root), "seed"));
	CU_ASSERT_PTR_NULL(json_object_get(params(root), "storageUri"));
	json_decref(root);
}

static void check_image(json_t *img, const char *b64, const char *mime)
{
	CU_ASSERT_TRUE_FATAL(json_is_object(img));
	CU_ASSERT_EQUAL(json_object_size(img), 2);
	CU_ASSERT_STRING_EQUAL(str_at(img, "bytesBase64Encoded"), b64);
	CU_ASSERT_STRING_EQUAL(str_at(img, "mimeType"), mime);
}

static void test_submit_images(void)
{
	struct vg_veo_input in = text_input();
	in.prompt = "The paper boat drifts left and sinks slowly.";
	in.duration_s = 8;
	in.image = (struct vg_veo_image){"image/png", "iVBORw0KGgoFIRST"};
	in.last_frame = (struct vg_veo_image){"image/jpeg", "/9j/LAST"};
	json_t *root = body_of(VG_VEO_GEMINI, &in);
	json_t *i0 = inst0(root);

	check_image(json_object_get(i0, "image"), "iVBORw0KGgoFIRST", "image/png");
	check_image(json_object_get(i0, "lastFrame"), "/9j/LAST", "image/jpeg");
	CU_ASSERT_PTR_NULL(json_object_get(params(root), "lastFrame"));
	CU_ASSERT_PTR_NULL(json_object_get(i0, "referenceImages"));
	CU_ASSERT_PTR_NULL(json_object_get(json_object_get(i0, "image"), "inlineData"));
	json_decref(root);

	/* Reference images: instances[0].referenceImages[{image, referenceType: asset}]. */
	memset(&in.image, 0, sizeof in.image);
	memset(&in.last_frame, 0, sizeof in.last_frame);
	in.refs[0] = (struct vg_veo_image){"image/jpeg", "UkVGMQ=="};
	in.refs[1] = (struct vg_veo_image){"image/png", "UkVGMg=="};
	in.n_refs = 2;
	root = body_of(VG_VEO_GEMINI, &in);
	i0 = inst0(root);
	json_t *refs = json_object_get(i0, "referenceImages");
	CU_ASSERT_EQUAL_FATAL(json_array_size(refs), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_array_get(refs, i);
		CU_ASSERT_STRING_EQUAL(str_at(r, "referenceType"), "asset");
		CU_ASSERT_EQUAL(json_object_size(r), 2);
	}
	check_image(json_object_get(json_array_get(refs, 0), "image"), "UkVGMQ==", "image/jpeg");
	check_image(json_object_get(json_array_get(refs, 1), "image"), "UkVGMg==", "image/png");
	CU_ASSERT_PTR_NULL(json_object_get(i0, "image"));
	CU_ASSERT_PTR_NULL(json_object_get(i0, "lastFrame"));
	CU_ASSERT_PTR_NULL(json_object_get(params(root), "referenceImages"));
	json_decref(root);
}

static void test_submit_refused(void)
{
	struct vg_veo_input in = text_input();

	CU_ASSERT_PTR_NULL(vg_veo_submit_body(VG_VEO_GEMINI, NULL));
	in.prompt = NULL;
	CU_ASSERT_PTR_NULL(vg_veo_submit_body(VG_VEO_GEMINI, &in));
	in.prompt = "bad \xff utf-8";
	CU_ASSERT_PTR_NULL(vg_veo_submit_body(VG_VEO_GEMINI, &in));
}

static void test_fetch_body(void)
{
	const char *name = "projects/p/locations/us-central1/publishers/google/models/"
	                   "veo-3.1-fast-generate-001/operations/0c33\"x";
	char *s = vg_veo_fetch_body(name);
	json_t *root = s ? json_loads(s, 0, NULL) : NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_EQUAL(json_object_size(root), 1);
	CU_ASSERT_STRING_EQUAL(str_at(root, "operationName"), name);
	json_decref(root);
	free(s);
}

/* ---- submit answer ---- */

static int submit(const char *body, char *name, size_t size)
{
	vg_err_clear(&err);
	return vg_veo_parse_submit(body, strlen(body), name, size, &err);
}

static void test_parse_submit(void)
{
	char name[128];

	CU_ASSERT_EQUAL(submit("{ \"name\": \"models/veo-3.1-fast-generate-preview/operations/"
	                       "3yudfuwjdznj\", \"metadata\": {\"x\": 1} }",
	                       name, sizeof name),
	                VG_OK);
	CU_ASSERT_STRING_EQUAL(name,
	                       "models/veo-3.1-fast-generate-preview/operations/3yudfuwjdznj");

	static const char *const bad[] = {
	    "",           "{\"name\": \"\"}", "{\"name\": 5}",         "{}",
	    "[\"name\"]", "{\"name\": \"a",   "{\"name\": \"a\\nb\"}", "{\"name\": \"a b\"}",
	    "not json",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(name, sizeof name, "untouched");
		CU_ASSERT_EQUAL(submit(bad[i], name, sizeof name), VG_EINTERNAL);
		CU_ASSERT_STRING_EQUAL(err.code, "provider_bad_answer");
		CU_ASSERT_NOT_EQUAL(err.msg[0], '\0');
	}
	/* The name must fit: size 5 holds 4 bytes. */
	CU_ASSERT_EQUAL(submit("{\"name\": \"abcd\"}", name, 5), VG_OK);
	CU_ASSERT_STRING_EQUAL(name, "abcd");
	CU_ASSERT_EQUAL(submit("{\"name\": \"abcde\"}", name, 5), VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "too long"));
}

/* ---- operations: the research file's examples ---- */

static int parse(enum vg_veo_dialect d, const char *body)
{
	vg_err_clear(&err);
	vg_veo_op_free(&op);
	return vg_veo_parse_op(d, body, strlen(body), &op, &err);
}

static const char gemini_running[] =
    "{ \"name\": \"models/veo-3.1-fast-generate-preview/operations/3yudfuwjdznj\" }";

static const char gemini_succeeded[] =
    "{\n"
    "  \"name\": \"models/veo-3.1-fast-generate-preview/operations/3yudfuwjdznj\",\n"
    "  \"done\": true,\n"
    "  \"response\": {\n"
    "    \"@type\": "
    "\"type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse\",\n"
    "    \"generateVideoResponse\": {\n"
    "      \"generatedSamples\": [\n"
    "        { \"video\": { \"uri\": "
    "\"https://generativelanguage.googleapis.com/v1beta/files/k2v9x0p1q7ab:download?alt=media\" "
    "} }\n"
    "      ]\n"
    "    }\n"
    "  }\n"
    "}";

static const char gemini_filtered[] =
    "{\n"
    "  \"name\": \"models/veo-3.1-generate-preview/operations/8fj2k1l0zz9a\",\n"
    "  \"done\": true,\n"
    "  \"response\": {\n"
    "    \"@type\": "
    "\"type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse\",\n"
    "    \"generateVideoResponse\": {\n"
    "      \"raiMediaFilteredCount\": 1,\n"
    "      \"raiMediaFilteredReasons\": [\n"
    "        \"We encountered an issue with the audio for your prompt, which means we could not "
    "create your video. ... You have not been charged for this attempt.\"\n"
    "      ]\n"
    "    }\n"
    "  }\n"
    "}";

static const char gemini_failed[] =
    "{\n"
    "  \"name\": \"models/veo-3.1-generate-preview/operations/q1w2e3r4t5y6\",\n"
    "  \"done\": true,\n"
    "  \"error\": { \"code\": 3, \"message\": \"The prompt could not be submitted. ... violate "
    "our policies.\" }\n"
    "}";

static const char vertex_succeeded[] =
    "{\n"
    "  \"name\": \"projects/p/locations/us-central1/publishers/google/models/"
    "veo-3.1-fast-generate-001/operations/0c33\xe2\x80\xa6\",\n"
    "  \"done\": true,\n"
    "  \"response\": {\n"
    "    \"@type\": \"type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse\",\n"
    "    \"raiMediaFilteredCount\": 0,\n"
    "    \"videos\": [ { \"gcsUri\": \"gs://my-bucket/out/1700000000/sample_0.mp4\", "
    "\"mimeType\": \"video/mp4\" } ]\n"
    "  }\n"
    "}";

static void test_op_gemini(void)
{
	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, gemini_running), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_RUNNING);
	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, "{\"name\": \"x\", \"done\": false}"), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_RUNNING);

	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, gemini_succeeded), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_SUCCEEDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op.video_uri);
	CU_ASSERT_STRING_EQUAL(op.video_uri, "https://generativelanguage.googleapis.com/v1beta/"
	                                     "files/k2v9x0p1q7ab:download?alt=media");
	CU_ASSERT_PTR_NULL(op.video_b64);
	CU_ASSERT_STRING_EQUAL(op.video_mime, "video/mp4");

	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, gemini_filtered), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_FILTERED);
	CU_ASSERT_EQUAL(op.filtered_count, 1);
	CU_ASSERT_STRING_EQUAL(
	    op.reasons, "We encountered an issue with the audio for your prompt, which means "
	                "we could not create your video. ... You have not been charged for "
	                "this attempt.");
	CU_ASSERT_PTR_NULL(op.video_uri);

	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, gemini_failed), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_FAILED);
	CU_ASSERT_EQUAL(op.error_code, 3);
	CU_ASSERT_STRING_EQUAL(op.error_message,
	                       "The prompt could not be submitted. ... violate our policies.");

	/* Done, nothing at all: EMPTY. */
	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, "{\"name\": \"x\", \"done\": true}"), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_EMPTY);
	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI,
	                      "{\"done\": true, \"response\": {"
	                      "\"generateVideoResponse\": {\"generatedSamples\": []}}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_EMPTY);
	/* The filter fields directly under response are Vertex's place, not Gemini's. */
	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, "{\"done\": true, \"response\": "
	                                     "{\"raiMediaFilteredCount\": 1}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_EMPTY);

	/* Inline bytes: video.video. */
	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, "{\"done\": true, \"response\": {"
	                                     "\"generateVideoResponse\": {\"generatedSamples\": "
	                                     "[{\"video\": {\"video\": \"AAAAIGZ0eXA=\"}}]}}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_SUCCEEDED);
	CU_ASSERT_PTR_NULL(op.video_uri);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op.video_b64);
	CU_ASSERT_STRING_EQUAL(op.video_b64, "AAAAIGZ0eXA=");

	/* Two reasons joined by "; ". */
	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI,
	                      "{\"done\": true, \"response\": {"
	                      "\"generateVideoResponse\": {\"raiMediaFilteredCount\": "
	                      "2, \"raiMediaFilteredReasons\": [\"one\", \"two\"]}}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_FILTERED);
	CU_ASSERT_EQUAL(op.filtered_count, 2);
	CU_ASSERT_STRING_EQUAL(op.reasons, "one; two");
}

static void test_op_vertex(void)
{
	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX, "{\"name\": \"projects/p/operations/1\"}"), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_RUNNING);
	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX, "{\"name\": \"projects/p/operations/1\", \"done\": "
	                                     "false, \"metadata\": {}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_RUNNING);

	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX, vertex_succeeded), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_SUCCEEDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op.video_uri);
	CU_ASSERT_STRING_EQUAL(op.video_uri, "gs://my-bucket/out/1700000000/sample_0.mp4");
	CU_ASSERT_STRING_EQUAL(op.video_mime, "video/mp4");
	CU_ASSERT_PTR_NULL(op.video_b64);

	/* Without storageUri: inline bytes. */
	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX, "{\"done\": true, \"response\": {\"videos\": [{"
	                                     "\"bytesBase64Encoded\": \"AAAAGGZ0eXBtcDQy\", "
	                                     "\"mimeType\": \"video/mp4\"}]}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_SUCCEEDED);
	CU_ASSERT_PTR_NULL(op.video_uri);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op.video_b64);
	CU_ASSERT_STRING_EQUAL(op.video_b64, "AAAAGGZ0eXBtcDQy");

	/* The deprecated generatedSamples, when videos is absent. */
	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX,
	                      "{\"done\": true, \"response\": {\"generatedSamples\": "
	                      "[{\"video\": {\"uri\": \"gs://b/o.mp4\", \"encoding\": "
	                      "\"video/mp4\"}}]}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_SUCCEEDED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(op.video_uri);
	CU_ASSERT_STRING_EQUAL(op.video_uri, "gs://b/o.mp4");

	/* Filtered: the fields sit directly under response. */
	CU_ASSERT_EQUAL(
	    parse(VG_VEO_VERTEX,
	          "{\"done\": true, \"response\": {\"@type\": \"type.googleapis.com/cloud.ai."
	          "large_models.vision.GenerateVideoResponse\", \"raiMediaFilteredCount\": 1, "
	          "\"raiMediaFilteredReasons\": [\"Veo could not generate 1 videos based on the "
	          "prompt provided. You will not be charged for this request. Try rephrasing the "
	          "prompt. ... Support codes: 42237218\"]}}"),
	    VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_FILTERED);
	CU_ASSERT_EQUAL(op.filtered_count, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(op.reasons, "Support codes: 42237218"));
	/* … and not under a generateVideoResponse, which is Gemini's place. */
	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX,
	                      "{\"done\": true, \"response\": {"
	                      "\"generateVideoResponse\": {\"raiMediaFilteredCount\": "
	                      "1}}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_EMPTY);

	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX,
	                      "{\"done\": true, \"error\": {\"code\": 8, \"message\":"
	                      " \"Quota exceeded\"}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_FAILED);
	CU_ASSERT_EQUAL(op.error_code, 8);
	CU_ASSERT_STRING_EQUAL(op.error_message, "Quota exceeded");

	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX, "{\"done\": true, \"response\": {\"@type\": \"x\", "
	                                     "\"raiMediaFilteredCount\": 0, \"videos\": []}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_EMPTY);
}

static void expect_bad(enum vg_veo_dialect d, const char *body, const char *what)
{
	CU_ASSERT_EQUAL(parse(d, body), VG_EINTERNAL);
	CU_ASSERT_STRING_EQUAL(err.code, "provider_bad_answer");
	if (!strstr(err.msg, what))
		fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", err.msg, what);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, what));
	CU_ASSERT_PTR_NULL(op.video_uri);
	CU_ASSERT_PTR_NULL(op.video_b64);
}

static void test_op_malformed(void)
{
	/* Truncated JSON. */
	char cut[sizeof gemini_succeeded];
	snprintf(cut, sizeof cut, "%.*s", (int)(sizeof gemini_succeeded / 2), gemini_succeeded);
	expect_bad(VG_VEO_GEMINI, cut, "not valid JSON");
	expect_bad(VG_VEO_GEMINI, "", "empty");
	expect_bad(VG_VEO_GEMINI, "[]", "not a JSON object");
	expect_bad(VG_VEO_GEMINI, "{\"done\": \"true\"}", "done is not a boolean");
	expect_bad(VG_VEO_GEMINI,
	           "{\"done\": true, \"response\": {\"generateVideoResponse\": "
	           "{\"generatedSamples\": {\"video\": {\"uri\": \"https://x\"}}}}}",
	           "generatedSamples is not an array");
	expect_bad(VG_VEO_GEMINI,
	           "{\"done\": true, \"response\": {\"generateVideoResponse\": "
	           "{\"generatedSamples\": [\"https://x\"]}}}",
	           "generatedSamples[0] is not an object");
	expect_bad(VG_VEO_GEMINI,
	           "{\"done\": true, \"response\": {\"generateVideoResponse\": "
	           "{\"generatedSamples\": [{\"video\": {\"uri\": 7}}]}}}",
	           "generatedSamples[0].video has a field of the wrong type");
	expect_bad(VG_VEO_GEMINI,
	           "{\"done\": true, \"response\": {\"generateVideoResponse\": "
	           "{\"generatedSamples\": [{\"video\": {\"uri\": \"https://x\\n\"}}]}}}",
	           "control characters");
	expect_bad(VG_VEO_GEMINI, "{\"done\": true, \"response\": []}",
	           "response is not an object");
	expect_bad(VG_VEO_GEMINI, "{\"done\": true, \"response\": {\"generateVideoResponse\": 1}}",
	           "generateVideoResponse is not an object");
	expect_bad(VG_VEO_GEMINI,
	           "{\"done\": true, \"response\": {\"generateVideoResponse\": "
	           "{\"raiMediaFilteredCount\": \"1\"}}}",
	           "raiMediaFilteredCount is not an integer");
	expect_bad(VG_VEO_GEMINI,
	           "{\"done\": true, \"response\": {\"generateVideoResponse\": "
	           "{\"raiMediaFilteredReasons\": \"bad\"}}}",
	           "raiMediaFilteredReasons is not an array");
	expect_bad(VG_VEO_GEMINI, "{\"done\": true, \"error\": \"boom\"}",
	           "error is not an object");
	expect_bad(VG_VEO_GEMINI, "{\"done\": true, \"error\": {\"code\": \"3\"}}",
	           "error.code is not an integer");
	expect_bad(VG_VEO_VERTEX, "{\"done\": true, \"response\": {\"videos\": {}}}",
	           "response.videos is not an array");
	expect_bad(VG_VEO_VERTEX, "{\"done\": true, \"response\": {\"videos\": [[]]}}",
	           "response.videos[0] is not an object");
	expect_bad(VG_VEO_VERTEX,
	           "{\"done\": true, \"response\": {\"videos\": [{\"gcsUri\": \"\"}]}}",
	           "response.videos[0] has a field of the wrong type or empty");
	expect_bad(VG_VEO_VERTEX,
	           "{\"done\": true, \"response\": {\"raiMediaFilteredReasons\": [1]}}",
	           "raiMediaFilteredReasons[0] is not a string");
}

/* A video found in a later sample, and a long reason list cut on a UTF-8 boundary. */
static void test_op_edges(void)
{
	CU_ASSERT_EQUAL(parse(VG_VEO_GEMINI, "{\"done\": true, \"response\": {"
	                                     "\"generateVideoResponse\": {\"generatedSamples\": "
	                                     "[{}, {\"video\": {\"uri\": \"https://b\"}}]}}}"),
	                VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_SUCCEEDED);
	CU_ASSERT_STRING_EQUAL(op.video_uri, "https://b");

	char body[4096];
	size_t n = (size_t)snprintf(body, sizeof body,
	                            "{\"done\": true, \"response\": {\"raiMediaFilteredReasons\": "
	                            "[\"");
	while (n + 20 < sizeof body) {
		memcpy(body + n, "\xc3\xa9", 2);
		n += 2;
	}
	snprintf(body + n, sizeof body - n, "\"]}}");
	CU_ASSERT_EQUAL(parse(VG_VEO_VERTEX, body), VG_OK);
	CU_ASSERT_EQUAL(op.state, VG_VEO_FILTERED);
	CU_ASSERT_EQUAL(op.filtered_count, 1); /* reasons without a count */
	CU_ASSERT_EQUAL(strlen(op.reasons), 1022);
	vg_veo_op_free(&op);
	CU_ASSERT_PTR_NULL(op.video_uri);
}

static void test_gcs_url(void)
{
	char *u = vg_veo_gcs_url("https://storage.googleapis.com",
	                         "gs://my-bucket/out/1700000000/sample 0+é.mp4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_STRING_EQUAL(u,
	                       "https://storage.googleapis.com/download/storage/v1/b/my-bucket/o/"
	                       "out%2F1700000000%2Fsample%200%2B%C3%A9.mp4?alt=media");
	free(u);
	u = vg_veo_gcs_url("http://127.0.0.1:9000/", "gs://b_1.x/a~b-c_d.e");
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_STRING_EQUAL(u, "http://127.0.0.1:9000/download/storage/v1/b/b_1.x/o/"
	                          "a~b-c_d.e?alt=media");
	free(u);

	static const char *const bad[] = {
	    "https://b/o",    "gs://",         "gs://bucket", "gs://bucket/",
	    "gs:///obj",      "gs://BUCKET/o", "gs://ab/o",   "gs://-bucket/o",
	    "gs://bucket/..", "gs://bucket/.", "gs://b?x/o",  "gs://bucket/a\nb",
	    "gs://bucket./o",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		u = vg_veo_gcs_url("https://storage.googleapis.com", bad[i]);
		if (u)
			fprintf(stderr, "\naccepted %s as %s\n", bad[i], u);
		CU_ASSERT_PTR_NULL(u);
		free(u);
	}
	CU_ASSERT_PTR_NULL(vg_veo_gcs_url(NULL, "gs://bucket/o"));
}

/* ---- base64 ---- */

static char dir[64];

static void make_dir(void)
{
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/vg-t-veo-XXXXXX");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	}
}

static void path_in_dir(char *out, size_t size, const char *name)
{
	make_dir();
	snprintf(out, size, "%s/%s", dir, name);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
	fclose(f);
}

static int decode(const char *b64, const char *path, uint64_t *size, char hex[65])
{
	vg_err_clear(&err);
	return vg_b64_to_file(b64, strlen(b64), path, size, hex, &err);
}

static void test_b64_known(void)
{
	char path[128], out[128], hex[65];
	uint64_t size = 99;

	path_in_dir(path, sizeof path, "abc");
	path_in_dir(out, sizeof out, "abc.out");
	write_bytes(path, "abc", 3);
	vg_err_clear(&err);
	char *b = vg_b64_file(path, 100, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(b, "YWJj");
	free(b);

	/* White space anywhere is skipped. */
	CU_ASSERT_EQUAL(decode(" YW\r\nJj\n", out, &size, hex), VG_OK);
	CU_ASSERT_EQUAL(size, 3);
	CU_ASSERT_STRING_EQUAL(hex,
	                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	struct stat st;
	CU_ASSERT_EQUAL_FATAL(stat(out, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 3);
	CU_ASSERT_EQUAL(st.st_mode & 0137, 0); /* never group-writable or world-readable */

	/* Padding forms: "Man" "Ma" "M", padded or not. */
	static const struct {
		const char *b64;
		const char *plain;
	} cases[] = {
	    {"TWFu", "Man"}, {"TWE=", "Ma"}, {"TQ==", "M"},         {"TWE", "Ma"},
	    {"TQ", "M"},     {"", ""},       {"TWFuTWE=", "ManMa"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got[16] = "";
		CU_ASSERT_EQUAL(decode(cases[i].b64, out, &size, hex), VG_OK);
		CU_ASSERT_EQUAL(size, strlen(cases[i].plain));
		FILE *f = fopen(out, "rb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		size_t n = fread(got, 1, sizeof got - 1, f);
		fclose(f);
		got[n] = '\0';
		CU_ASSERT_STRING_EQUAL(got, cases[i].plain);
	}
	CU_ASSERT_EQUAL(decode("", out, &size, hex), VG_OK);
	CU_ASSERT_STRING_EQUAL(hex,
	                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	/* Encoding of the three tail lengths. */
	write_bytes(path, "Ma", 2);
	b = vg_b64_file(path, 100, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(b, "TWE=");
	free(b);
	write_bytes(path, "M", 1);
	b = vg_b64_file(path, 100, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_STRING_EQUAL(b, "TQ==");
	free(b);
}

static void test_b64_round_trip(void)
{
	char path[128], out[128], hex[65], want[65];
	uint64_t size = 0, want_size = 0;
	size_t n = 200003; /* several decode chunks, and a tail of 2 bytes */
	unsigned char *data = malloc(n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)((i * 7919u) ^ (i >> 8));
	path_in_dir(path, sizeof path, "big.bin");
	path_in_dir(out, sizeof out, "big.out");
	write_bytes(path, data, n);
	vg_err_clear(&err);
	char *b = vg_b64_file(path, n, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(strlen(b), (n + 2) / 3 * 4);
	CU_ASSERT_EQUAL(decode(b, out, &size, hex), VG_OK);
	free(b);
	CU_ASSERT_EQUAL(size, n);
	CU_ASSERT_EQUAL(vg_storage_file_sha256(path, want, &want_size, &err), VG_OK);
	CU_ASSERT_STRING_EQUAL(hex, want);
	FILE *f = fopen(out, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	unsigned char *back = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(fread(back, 1, n + 1, f), n);
	fclose(f);
	CU_ASSERT_EQUAL(memcmp(back, data, n), 0);
	free(back);

	/* One byte over the cap, and a missing file. */
	vg_err_clear(&err);
	CU_ASSERT_PTR_NULL(vg_b64_file(path, n - 1, &err));
	CU_ASSERT_EQUAL(err.rc, VG_ETOOBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "smaller image"));
	vg_err_clear(&err);
	path_in_dir(path, sizeof path, "missing.png");
	CU_ASSERT_PTR_NULL(vg_b64_file(path, n, &err));
	CU_ASSERT_EQUAL(err.rc, VG_ENOTFOUND);
	free(data);
}

static void test_b64_bad(void)
{
	char out[128], hex[65] = "";
	uint64_t size = 0;
	static const char *const bad[] = {
	    "YWJ!",     "Y",   "YWJjZ",    "Y===", "YW=j",         "YWJj=",
	    "YQ==YQ==", "YQ=", "YW\x01Jj", "====", "YWJj\xc3\xa9",
	};

	path_in_dir(out, sizeof out, "bad.out");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(decode(bad[i], out, &size, hex), VG_EINTERNAL);
		CU_ASSERT_STRING_EQUAL(err.code, "provider_bad_answer");
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not valid base64"));
		CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0); /* the partial file is gone */
	}
	/* Bad data after a full output chunk: the file written so far is removed too. */
	size_t n = 200000;
	char *big = malloc(n + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'A', n);
	memcpy(big + n, "!", 2);
	CU_ASSERT_EQUAL(decode(big, out, &size, hex), VG_EINTERNAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "at character 200000"));
	CU_ASSERT_NOT_EQUAL(access(out, F_OK), 0);
	free(big);
	/* A directory that does not exist is a storage failure, not a bad answer. */
	CU_ASSERT_EQUAL(decode("YWJj", "/nonexistent-dir-vg/x.mp4", &size, hex), VG_EUNAVAIL);
}

static void cleanup(void)
{
	static const char *const names[] = {"abc", "abc.out", "big.bin", "big.out", "bad.out"};
	char path[128];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		path_in_dir(path, sizeof path, names[i]);
		unlink(path);
	}
	CU_ASSERT_EQUAL(rmdir(dir), 0);
	dir[0] = '\0';
	vg_veo_op_free(&op);
}

void t_veo_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"submit body, Gemini text-to-video", test_submit_text_gemini},
	    {"submit body, Vertex seed and storage", test_submit_vertex},
	    {"submit body, frames and reference images", test_submit_images},
	    {"submit body refused", test_submit_refused},
	    {"fetchPredictOperation body", test_fetch_body},
	    {"submit answer", test_parse_submit},
	    {"operation outcomes, Gemini", test_op_gemini},
	    {"operation outcomes, Vertex", test_op_vertex},
	    {"operation answers malformed", test_op_malformed},
	    {"operation edges", test_op_edges},
	    {"Cloud Storage download URL", test_gcs_url},
	    {"base64 known vectors", test_b64_known},
	    {"base64 file round trip", test_b64_round_trip},
	    {"base64 refused", test_b64_bad},
	    {"cleanup", cleanup},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("veo", tests);
}
