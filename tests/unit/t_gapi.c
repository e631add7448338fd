/* vg_gapi: Google's error envelope, the retry verdict of each status (research §3.3–3.4),
 * RetryInfo delays, per-day quotas, bodies that are not envelopes, gRPC names, redaction. */
#include "config.h"

#include <string.h>

#include "tests.h"
#include "vg_gapi.h"
#include "vg_http.h"

static struct vg_gapi_error e;

static enum vg_gapi_verdict classify(long status, const char *body)
{
	struct vg_http_resp r;

	memset(&r, 0, sizeof r);
	r.status = status;
	r.body = (char *)body;
	r.body_len = body ? strlen(body) : 0;
	return vg_gapi_classify(&r, &e);
}

static bool has(const char *needle)
{
	return strstr(e.message, needle) != NULL;
}

/* The 429 of the research file, with its RetryInfo. */
static const char quota_429[] =
    "{\"error\": {\"code\": 429, \"message\": \"You exceeded your current quota, please check "
    "your plan and billing details. Please retry in 38.922534355s.\", \"status\": "
    "\"RESOURCE_EXHAUSTED\", \"details\": ["
    "{\"@type\": \"type.googleapis.com/google.rpc.QuotaFailure\", \"violations\": [{"
    "\"quotaMetric\": \"generativelanguage.googleapis.com/generate_content_paid_tier_requests\","
    "\"quotaId\": \"GenerateRequestsPerMinutePerProjectPerModel\", \"quotaDimensions\": "
    "{\"location\": \"global\", \"model\": \"gemini-3.5-flash\"}, \"quotaValue\": \"1000\"}]},"
    "{\"@type\": \"type.googleapis.com/google.rpc.Help\", \"links\": [{\"description\": "
    "\"Learn more\", \"url\": \"https://ai.google.dev/gemini-api/docs/rate-limits\"}]},"
    "{\"@type\": \"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": \"38s\"}]}}";

static void test_ok(void)
{
	CU_ASSERT_EQUAL(classify(200, "{\"name\": \"x\"}"), VG_GAPI_OK);
	CU_ASSERT_EQUAL(e.http_status, 200);
	CU_ASSERT_STRING_EQUAL(e.message, "");
	CU_ASSERT_EQUAL(e.retry_delay_s, -1);
	CU_ASSERT_EQUAL(classify(204, NULL), VG_GAPI_OK);
}

static void test_no_answer(void)
{
	struct vg_http_resp r;

	memset(&r, 0, sizeof r);
	r.curl_code = 7;
	snprintf(r.error, sizeof r.error, "Failed to connect to localhost port 1: Refused");
	CU_ASSERT_EQUAL(vg_gapi_classify(&r, &e), VG_GAPI_RETRY);
	CU_ASSERT_EQUAL(e.http_status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "Failed to connect"));
	/* A status of 0 without a curl code is no answer either. */
	memset(&r, 0, sizeof r);
	CU_ASSERT_EQUAL(vg_gapi_classify(&r, &e), VG_GAPI_RETRY);
	CU_ASSERT_NOT_EQUAL(e.message[0], '\0');
}

static void test_invalid_argument(void)
{
	CU_ASSERT_EQUAL(
	    classify(400,
	             "{\"error\": {\"code\": 400, \"message\": \"API key not valid. Please pass "
	             "a valid API key.\", \"status\": \"INVALID_ARGUMENT\", \"details\": [{"
	             "\"@type\": \"type.googleapis.com/google.rpc.ErrorInfo\", \"reason\": "
	             "\"API_KEY_INVALID\", \"domain\": \"googleapis.com\"}]}}"),
	    VG_GAPI_FATAL);
	CU_ASSERT_EQUAL(e.http_status, 400);
	CU_ASSERT_EQUAL(e.code, 400);
	CU_ASSERT_STRING_EQUAL(e.status, "INVALID_ARGUMENT");
	CU_ASSERT_STRING_EQUAL(e.message,
	                       "Google answered 400 INVALID_ARGUMENT: API key not valid. "
	                       "Please pass a valid API key.");
	CU_ASSERT_FALSE(e.per_day);
	CU_ASSERT_EQUAL(e.retry_delay_s, -1);
}

static void test_fatal_statuses(void)
{
	static const long fatal[] = {400, 401, 402, 403, 404, 409, 499, 501, 302};

	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		CU_ASSERT_EQUAL(classify(fatal[i], "{}"), VG_GAPI_FATAL);
	CU_ASSERT_EQUAL(classify(402,
	                         "{\"error\": {\"code\": 402, \"message\": \"Prepay credit "
	                         "balance is depleted\", \"status\": \"RESOURCE_EXHAUSTED\"}}"),
	                VG_GAPI_FATAL);
	CU_ASSERT_STRING_EQUAL(e.status, "RESOURCE_EXHAUSTED");
	CU_ASSERT(has("402 RESOURCE_EXHAUSTED: Prepay credit balance is depleted"));
	CU_ASSERT_EQUAL(classify(403, "{\"error\": {\"code\": 403, \"message\": \"Method doesn't "
	                              "allow unregistered callers\", \"status\": "
	                              "\"PERMISSION_DENIED\"}}"),
	                VG_GAPI_FATAL);
	CU_ASSERT(has("403 PERMISSION_DENIED"));
}

static void test_retry_statuses(void)
{
	static const long retry[] = {408, 429, 500, 502, 503, 504};

	for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
		CU_ASSERT_EQUAL(classify(retry[i], "{}"), VG_GAPI_RETRY);
	CU_ASSERT_EQUAL(classify(503, "{\"error\": {\"code\": 503, \"message\": \"The model is "
	                              "overloaded.\", \"status\": \"UNAVAILABLE\"}}"),
	                VG_GAPI_RETRY);
	CU_ASSERT(has("503 UNAVAILABLE: The model is overloaded."));
}

static void test_429_retry_info(void)
{
	CU_ASSERT_EQUAL(classify(429, quota_429), VG_GAPI_RETRY);
	CU_ASSERT_EQUAL(e.code, 429);
	CU_ASSERT_STRING_EQUAL(e.status, "RESOURCE_EXHAUSTED");
	CU_ASSERT_DOUBLE_EQUAL(e.retry_delay_s, 38.0, 1e-9);
	CU_ASSERT_FALSE(e.per_day);
	CU_ASSERT(has("429 RESOURCE_EXHAUSTED: You exceeded your current quota"));

	CU_ASSERT_EQUAL(classify(429,
	                         "{\"error\": {\"code\": 429, \"message\": \"slow down\", "
	                         "\"status\": \"RESOURCE_EXHAUSTED\", \"details\": [{\"@type\": "
	                         "\"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": "
	                         "\"2.463586755s\"}]}}"),
	                VG_GAPI_RETRY);
	CU_ASSERT_DOUBLE_EQUAL(e.retry_delay_s, 2.463586755, 1e-9);
}

static void test_429_per_day(void)
{
	char body[sizeof quota_429 + 16];
	const char *at = strstr(quota_429, "PerMinute");

	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	/* Same envelope, with a per-day quota: "PerMinute" → "PerDay" + padding. */
	snprintf(body, sizeof body, "%.*sPerDay%s", (int)(at - quota_429), quota_429,
	         at + strlen("PerMinute"));
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "GenerateRequestsPerDayPerProjectPerModel"));
	CU_ASSERT_EQUAL(classify(429, body), VG_GAPI_FATAL);
	CU_ASSERT_TRUE(e.per_day);
	CU_ASSERT_DOUBLE_EQUAL(e.retry_delay_s, 38.0, 1e-9);
	CU_ASSERT(has("429 RESOURCE_EXHAUSTED (a daily quota is used up"));
	CU_ASSERT(has("You exceeded your current quota"));
}

static void test_429_without_details(void)
{
	CU_ASSERT_EQUAL(classify(429, "{\"error\": {\"code\": 429, \"message\": \"Resource has "
	                              "been exhausted (e.g. check quota).\", \"status\": "
	                              "\"RESOURCE_EXHAUSTED\"}}"),
	                VG_GAPI_RETRY);
	CU_ASSERT_EQUAL(e.retry_delay_s, -1);
	CU_ASSERT_FALSE(e.per_day);
	CU_ASSERT(has("Resource has been exhausted"));
}

static void test_not_json(void)
{
	CU_ASSERT_EQUAL(classify(502, "<html>\n<head><title>502 Bad Gateway</title></head>\n"
	                              "<body>\x01\xff</body></html>"),
	                VG_GAPI_RETRY);
	CU_ASSERT_EQUAL(e.http_status, 502);
	CU_ASSERT_EQUAL(e.code, 502);
	CU_ASSERT_STRING_EQUAL(e.status, "");
	CU_ASSERT(has("502"));
	CU_ASSERT(has("<html> <head><title>502 Bad Gateway</title></head>"));
	for (const char *p = e.message; *p; p++)
		CU_ASSERT((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);

	/* A long body is cut to a short excerpt. */
	char big[4000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CU_ASSERT_EQUAL(classify(500, big), VG_GAPI_RETRY);
	CU_ASSERT(strlen(e.message) < 300);
	CU_ASSERT(has("..."));

	CU_ASSERT_EQUAL(classify(404, ""), VG_GAPI_FATAL);
	CU_ASSERT(has("404 with an empty body"));
	/* JSON, but no envelope. */
	CU_ASSERT_EQUAL(classify(400, "[1, 2]"), VG_GAPI_FATAL);
	CU_ASSERT(has("[1, 2]"));
}

static void test_array_wrapped(void)
{
	CU_ASSERT_EQUAL(classify(404, "[{\"error\": {\"code\": 404, \"message\": \"models/veo-9 is "
	                              "not found for API version v1beta\", \"status\": "
	                              "\"NOT_FOUND\"}}]"),
	                VG_GAPI_FATAL);
	CU_ASSERT_STRING_EQUAL(e.status, "NOT_FOUND");
	CU_ASSERT_EQUAL(e.code, 404);
	CU_ASSERT_STRING_EQUAL(e.message,
	                       "Google answered 404 NOT_FOUND: models/veo-9 is not found "
	                       "for API version v1beta");
	CU_ASSERT_EQUAL(classify(503, "[{\"error\": {\"code\": 503, \"message\": \"busy\", "
	                              "\"status\": \"UNAVAILABLE\", \"details\": [{\"@type\": "
	                              "\"type.googleapis.com/google.rpc.RetryInfo\", "
	                              "\"retryDelay\": \"0.5s\"}]}}]"),
	                VG_GAPI_RETRY);
	CU_ASSERT_DOUBLE_EQUAL(e.retry_delay_s, 0.5, 1e-9);
}

static void test_oauth_error(void)
{
	CU_ASSERT_EQUAL(classify(400, "{\"error\": \"invalid_grant\", \"error_description\": "
	                              "\"Invalid JWT Signature.\"}"),
	                VG_GAPI_FATAL);
	CU_ASSERT_STRING_EQUAL(e.status, "invalid_grant");
	CU_ASSERT(has("Invalid JWT Signature."));
}

static void test_wrong_types_and_controls(void)
{
	/* Wrong field types are ignored, never trusted; control characters never reach logs. */
	CU_ASSERT_EQUAL(classify(500,
	                         "{\"error\": {\"code\": \"x\", \"message\": \"line1\\nline2\","
	                         " \"status\": 5, \"details\": {\"a\": 1}}}"),
	                VG_GAPI_RETRY);
	CU_ASSERT_EQUAL(e.code, 500);
	CU_ASSERT_STRING_EQUAL(e.status, "");
	CU_ASSERT(has("line1 line2"));
	CU_ASSERT_EQUAL(e.retry_delay_s, -1);
	/* A bad retryDelay is absent, not zero. */
	CU_ASSERT_EQUAL(classify(429,
	                         "{\"error\": {\"code\": 429, \"details\": [{\"@type\": "
	                         "\"type.googleapis.com/google.rpc.RetryInfo\", \"retryDelay\": "
	                         "\"soon\"}, {\"@type\": \"type.googleapis.com/google.rpc."
	                         "QuotaFailure\", \"violations\": \"PerDay\"}]}}"),
	                VG_GAPI_RETRY);
	CU_ASSERT_EQUAL(e.retry_delay_s, -1);
	CU_ASSERT_FALSE(e.per_day);
}

static void test_utf8_cut(void)
{
	/* A message longer than the buffer, made of 2-byte characters: the cut keeps UTF-8
	 * valid. */
	char body[2000];
	size_t n = (size_t)snprintf(
	    body, sizeof body, "{\"error\": {\"code\": 400, \"status\": \"XY\", \"message\": \"");
	while (n + 10 < sizeof body) {
		memcpy(body + n, "\xc3\xa9", 2);
		n += 2;
	}
	snprintf(body + n, sizeof body - n, "\"}}");
	CU_ASSERT_EQUAL(classify(400, body), VG_GAPI_FATAL);
	CU_ASSERT(strlen(e.message) > 400);
	CU_ASSERT(strlen(e.message) < sizeof e.message);
	/* "Google answered 400 XY: " is 24 bytes: 243 characters fit, half of one would. */
	CU_ASSERT_EQUAL(strlen(e.message), 24 + 243 * 2);
	CU_ASSERT_EQUAL((unsigned char)e.message[strlen(e.message) - 1], 0xa9);
}

static void test_duration(void)
{
	CU_ASSERT_DOUBLE_EQUAL(vg_gapi_duration("38s"), 38.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_gapi_duration("0.5s"), 0.5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_gapi_duration("2.463586755s"), 2.463586755, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_gapi_duration("0s"), 0.0, 1e-9);
	CU_ASSERT_EQUAL(vg_gapi_duration(""), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration("s"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration("12"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration(NULL), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration("-1s"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration(".5s"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration("5.s"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration("5ss"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration(" 5s"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration("1e3s"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration("1.0000000001s"), -1);
	CU_ASSERT_EQUAL(vg_gapi_duration("99999999999999s"), -1);
}

static void test_grpc(void)
{
	CU_ASSERT_STRING_EQUAL(vg_gapi_grpc_name(0), "OK");
	CU_ASSERT_STRING_EQUAL(vg_gapi_grpc_name(3), "INVALID_ARGUMENT");
	CU_ASSERT_STRING_EQUAL(vg_gapi_grpc_name(8), "RESOURCE_EXHAUSTED");
	CU_ASSERT_STRING_EQUAL(vg_gapi_grpc_name(14), "UNAVAILABLE");
	CU_ASSERT_STRING_EQUAL(vg_gapi_grpc_name(16), "UNAUTHENTICATED");
	CU_ASSERT_STRING_EQUAL(vg_gapi_grpc_name(17), "UNKNOWN");
	CU_ASSERT_STRING_EQUAL(vg_gapi_grpc_name(-1), "UNKNOWN");
	static const int transient[] = {4, 8, 10, 13, 14};
	for (int c = -1; c <= 17; c++) {
		bool want = false;
		for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
			want = want || transient[i] == c;
		CU_ASSERT_EQUAL(vg_gapi_grpc_transient(c), want);
	}
}

static void test_redact(void)
{
	char msg[64];

	snprintf(msg, sizeof msg, "bad key AIzaSyKEY123 in AIzaSyKEY123!");
	vg_gapi_redact(msg, sizeof msg, "AIzaSyKEY123");
	CU_ASSERT_STRING_EQUAL(msg, "bad key [redacted] in [redacted]!");
	/* Short secrets are left alone (they would redact ordinary words). */
	snprintf(msg, sizeof msg, "the key abc");
	vg_gapi_redact(msg, sizeof msg, "abc");
	CU_ASSERT_STRING_EQUAL(msg, "the key abc");
	vg_gapi_redact(msg, sizeof msg, NULL);
	CU_ASSERT_STRING_EQUAL(msg, "the key abc");
	/* Growth past size truncates, and never leaves a piece of the secret. */
	char small[22];
	snprintf(small, sizeof small, "k=12345678 12345678");
	vg_gapi_redact(small, sizeof small, "12345678");
	CU_ASSERT_STRING_EQUAL(small, "k=[redacted] [redacte");
	CU_ASSERT_PTR_NULL(strstr(small, "1234"));
	/* A secret that occurs inside the marker does not loop. */
	snprintf(msg, sizeof msg, "x redacted y");
	vg_gapi_redact(msg, sizeof msg, "redacted");
	CU_ASSERT_STRING_EQUAL(msg, "x [redacted] y");
}

void t_gapi_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"2xx is ok", test_ok},
	    {"no answer is retry", test_no_answer},
	    {"400 envelope", test_invalid_argument},
	    {"fatal statuses incl. 402", test_fatal_statuses},
	    {"retry statuses", test_retry_statuses},
	    {"429 with RetryInfo", test_429_retry_info},
	    {"429 per-day quota is fatal", test_429_per_day},
	    {"429 without details", test_429_without_details},
	    {"body that is not an envelope", test_not_json},
	    {"array-wrapped envelope", test_array_wrapped},
	    {"OAuth error form", test_oauth_error},
	    {"wrong types, control characters", test_wrong_types_and_controls},
	    {"UTF-8 safe truncation", test_utf8_cut},
	    {"protobuf durations", test_duration},
	    {"gRPC names and transience", test_grpc},
	    {"redaction", test_redact},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("gapi", tests);
}
