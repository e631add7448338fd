/* The Gemini text client: the request body read back with jansson, answers of every shape
 * §3.2 of the research notes lists, and the "not configured" errors of the blocking call. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"
#include "vg_conf.h"
#include "vg_gtext.h"

#define SCHEMA                                                                                     \
	"{\"type\": \"OBJECT\", \"properties\": {\"shots\": {\"type\": \"ARRAY\", \"items\": "     \
	"{\"type\": \"STRING\"}}}, \"required\": [\"shots\"]}"

static struct vg_err err;

static json_t *body_json(const char *system, const char *user, const char *schema, int max)
{
	char *b = vg_gtext_body(system, user, schema, max);
	json_t *v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	v = json_loads(b, JSON_REJECT_DUPLICATES, NULL);
	free(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	return v;
}

static const char *str_at(const json_t *v, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(v, a), b));
}

static void test_body_schema(void)
{
	json_t *v = body_json("You write shot lists.", "A lighthouse keeper.", SCHEMA, 4096);
	json_t *sys = json_object_get(v, "systemInstruction");
	json_t *contents = json_object_get(v, "contents");
	json_t *turn = json_array_get(contents, 0);
	json_t *gen = json_object_get(v, "generationConfig");
	json_t *want = json_loads(SCHEMA, 0, NULL);

	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
	                           json_array_get(json_object_get(sys, "parts"), 0), "text")),
	                       "You write shot lists.");
	CU_ASSERT_EQUAL(json_array_size(contents), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(turn, "role")), "user");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(turn, "parts")), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
	                           json_array_get(json_object_get(turn, "parts"), 0), "text")),
	                       "A lighthouse keeper.");
	CU_ASSERT_STRING_EQUAL(str_at(v, "generationConfig", "responseMimeType"),
	                       "application/json");
	/* The schema goes as an object, not as a string holding JSON. */
	CU_ASSERT_TRUE(json_is_object(json_object_get(gen, "responseSchema")));
	CU_ASSERT_TRUE(json_equal(json_object_get(gen, "responseSchema"), want));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(gen, "maxOutputTokens")), 4096);
	/* No sampling parameters, no snake_case. */
	static const char *const absent[] = {"temperature",    "topP", "topK",
	                                     "candidateCount", "seed", NULL};
	for (int i = 0; absent[i]; i++) {
		CU_ASSERT_PTR_NULL(json_object_get(gen, absent[i]));
		CU_ASSERT_PTR_NULL(json_object_get(v, absent[i]));
	}
	CU_ASSERT_PTR_NULL(json_object_get(v, "system_instruction"));
	CU_ASSERT_PTR_NULL(json_object_get(v, "generation_config"));
	CU_ASSERT_EQUAL(json_object_size(v), 3);
	CU_ASSERT_EQUAL(json_object_size(gen), 3);
	json_decref(want);
	json_decref(v);
}

static void test_body_plain(void)
{
	/* No schema: plain text, no MIME type; no system: no systemInstruction. */
	json_t *v = body_json(NULL, "say \"hi\"\n\xc3\xa9", NULL, 100);
	json_t *gen = json_object_get(v, "generationConfig");

	CU_ASSERT_PTR_NULL(json_object_get(v, "systemInstruction"));
	CU_ASSERT_PTR_NULL(json_object_get(gen, "responseMimeType"));
	CU_ASSERT_PTR_NULL(json_object_get(gen, "responseSchema"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(gen, "maxOutputTokens")), 100);
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(
	        json_array_get(
	            json_object_get(json_array_get(json_object_get(v, "contents"), 0), "parts"), 0),
	        "text")),
	    "say \"hi\"\n\xc3\xa9");
	json_decref(v);

	/* A schema that is not a JSON object, or text that is not UTF-8: no body at all. */
	CU_ASSERT_PTR_NULL(vg_gtext_body("s", "u", "{not json", 10));
	CU_ASSERT_PTR_NULL(vg_gtext_body("s", "u", "[1]", 10));
	CU_ASSERT_PTR_NULL(vg_gtext_body("s", "bad \xff utf-8", NULL, 10));
	CU_ASSERT_PTR_NULL(vg_gtext_body("s", NULL, NULL, 10));
}

static int parse(const char *body, char **text)
{
	vg_err_clear(&err);
	return vg_gtext_parse(body, strlen(body), text, &err);
}

static void test_parse_parts(void)
{
	char *t = NULL;

	CU_ASSERT_EQUAL_FATAL(parse("{\"candidates\": [{\"content\": {\"role\": \"model\", "
	                            "\"parts\": [{\"text\": \"{\\\"shots\\\":\"}, {\"text\": "
	                            "\"[1]}\"}]}, \"finishReason\": \"STOP\", \"index\": 0}], "
	                            "\"usageMetadata\": {\"totalTokenCount\": 3}}",
	                            &t),
	                      VG_OK);
	CU_ASSERT_STRING_EQUAL(t, "{\"shots\":[1]}");
	free(t);

	/* Thought parts and signature-only parts are skipped; thought: false counts. */
	CU_ASSERT_EQUAL_FATAL(parse("{\"candidates\": [{\"content\": {\"parts\": ["
	                            "{\"text\": \"let me think\", \"thought\": true}, "
	                            "{\"thoughtSignature\": \"c2ln\"}, "
	                            "{\"text\": \"A\", \"thought\": false}, {\"text\": \"B\"}]}, "
	                            "\"finishReason\": \"STOP\"}]}",
	                            &t),
	                      VG_OK);
	CU_ASSERT_STRING_EQUAL(t, "AB");
	free(t);

	/* finishReason absent is fine. */
	CU_ASSERT_EQUAL_FATAL(parse("{\"candidates\": [{\"content\": {\"parts\": [{\"text\": "
	                            "\"x\"}]}}]}",
	                            &t),
	                      VG_OK);
	CU_ASSERT_STRING_EQUAL(t, "x");
	free(t);
}

static void expect(const char *body, int rc, const char *code, const char *word)
{
	char *t = (char *)"untouched";

	CU_ASSERT_EQUAL(parse(body, &t), rc);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_STRING_EQUAL(err.code, code);
	if (word)
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, word));
}

static void test_parse_errors(void)
{
	expect("{\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\", \"safetyRatings\": "
	       "[]}, \"usageMetadata\": {}}",
	       VG_EINVAL, "prompt_blocked", "PROHIBITED_CONTENT");
	expect("{\"candidates\": [], \"promptFeedback\": {\"blockReason\": \"SAFETY\"}}", VG_EINVAL,
	       "prompt_blocked", "SAFETY");
	expect("{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"{\\\"sho\"}]}, "
	       "\"finishReason\": \"MAX_TOKENS\"}]}",
	       VG_EINVAL, "text_truncated", "MAX_TOKENS");
	expect("{\"candidates\": [{\"finishReason\": \"SAFETY\", \"safetyRatings\": []}]}",
	       VG_EINVAL, "text_blocked", "SAFETY");
	expect("{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"x\"}]}, "
	       "\"finishReason\": \"RECITATION\"}]}",
	       VG_EINVAL, "text_blocked", "RECITATION");
	expect("{\"candidates\": [{\"finishReason\": \"SPII\"}]}", VG_EINVAL, "text_blocked",
	       "SPII");
	expect("{\"candidates\": [{\"finishReason\": \"MALFORMED_RESPONSE\"}]}", VG_EINVAL,
	       "text_blocked", "MALFORMED_RESPONSE");
	/* Empty: no candidates and no reason, no parts, only thoughts, empty text. */
	expect("{}", VG_EINVAL, "text_empty", NULL);
	expect("{\"candidates\": []}", VG_EINVAL, "text_empty", NULL);
	expect("{\"candidates\": [{\"content\": {\"role\": \"model\"}, \"finishReason\": "
	       "\"STOP\"}]}",
	       VG_EINVAL, "text_empty", NULL);
	expect("{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"hmm\", \"thought\": "
	       "true}]}, \"finishReason\": \"STOP\"}]}",
	       VG_EINVAL, "text_empty", NULL);
	expect("{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\"}]}}]}", VG_EINVAL,
	       "text_empty", NULL);
	/* Malformed. */
	expect("{\"candidates\": [", VG_EINTERNAL, "provider_bad_answer", NULL);
	expect("", VG_EINTERNAL, "provider_bad_answer", NULL);
	expect("[{\"candidates\": []}]", VG_EINTERNAL, "provider_bad_answer", NULL);
	expect("{\"candidates\": [\"text\"]}", VG_EINTERNAL, "provider_bad_answer", NULL);
	expect("{\"candidates\": {\"0\": {}}}", VG_EINVAL, "text_empty", NULL);
}

static void test_generate_not_configured(void)
{
	struct vg_conf c;
	json_t *out = (json_t *)&c; /* must be reset to NULL */
	char base[] = "http://127.0.0.1:9", model[] = "gemini-3.5-flash", empty[] = "";

	memset(&c, 0, sizeof c);
	c.providers_gemini_base_url = base;
	c.providers_gemini_text_model = model;
	c.providers_gemini_api_key = empty;
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_gtext_generate(&c, "sys", "user", SCHEMA, &out, &err), VG_EUNAVAIL);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_STRING_EQUAL(err.code, "provider_unavailable");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "providers.gemini.api_key"));

	c.providers_gemini_api_key = NULL;
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_gtext_generate(&c, "sys", "user", NULL, &out, &err), VG_EUNAVAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "providers.gemini.api_key"));

	/* A key but no text model, or a model that would change the URL's path. */
	char key[] = "AIzaSyTESTKEY0123456789";
	c.providers_gemini_api_key = key;
	c.providers_gemini_text_model = empty;
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_gtext_generate(&c, "sys", "user", NULL, &out, &err), VG_EUNAVAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "providers.gemini.text_model"));
	char odd[] = "../files/x?key=1";
	c.providers_gemini_text_model = odd;
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_gtext_generate(&c, "sys", "user", NULL, &out, &err), VG_EUNAVAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "providers.gemini.text_model"));
	c.providers_gemini_text_model = model;
	c.providers_gemini_base_url = empty;
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_gtext_generate(&c, "sys", "user", NULL, &out, &err), VG_EUNAVAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "providers.gemini.base_url"));
	CU_ASSERT_PTR_NULL(strstr(err.msg, key));
	CU_ASSERT_PTR_NULL(out);
}

void t_gtext_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"body with schema", test_body_schema},
	    {"body plain", test_body_plain},
	    {"parse parts", test_parse_parts},
	    {"parse errors", test_parse_errors},
	    {"generate not configured", test_generate_not_configured},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("gtext", tests);
}
