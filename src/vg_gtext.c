/* The Gemini text client (generateContent with a response schema).  The API key goes in
 * the x-goog-api-key header only, and is redacted from every message this file makes. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg_gapi.h"
#include "vg_gtext.h"
#include "vg_http.h"
#include "vg_metrics.h"

#define GTEXT_ATTEMPTS   5
#define GTEXT_MAX_WAIT_S 60.0
#define EXCERPT_LEN      80
/* Thinking tokens may count against this limit: leave them room. */
#define GTEXT_MAX_OUTPUT_TOKENS 16384

/* ---- request body */

static json_t *text_parts(const char *text)
{
	return json_pack("{s:[{s:s}]}", "parts", "text", text);
}

char *vg_gtext_body(const char *system, const char *user, const char *schema_json,
                    int max_output_tokens)
{
	json_t *root = json_object(), *gen = json_object(), *schema = NULL, *turn;
	char *out = NULL;

	if (!root || !gen || !user)
		goto done;
	if (schema_json) {
		schema = json_loads(schema_json, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(schema))
			goto done; /* the schemas are constants of the program: a bug */
	}
	/* json_pack fails on text that is not UTF-8: no body rather than a partial one. */
	if (system && system[0] &&
	    json_object_set_new(root, "systemInstruction", text_parts(system)) != 0)
		goto done;
	turn = text_parts(user);
	if (!turn || json_object_set_new(turn, "role", json_string("user")) != 0 ||
	    json_object_set_new(root, "contents", json_pack("[o]", turn)) != 0)
		goto done;
	if (schema) {
		json_object_set_new(gen, "responseMimeType", json_string("application/json"));
		json_object_set(gen, "responseSchema", schema);
	}
	if (max_output_tokens > 0)
		json_object_set_new(gen, "maxOutputTokens", json_integer(max_output_tokens));
	if (json_object_size(gen) > 0)
		json_object_set(root, "generationConfig", gen);
	out = json_dumps(root, JSON_COMPACT);
done:
	json_decref(schema);
	json_decref(gen);
	json_decref(root);
	return out;
}

/* ---- answer */

/* finishReason values that mean Gemini refused to write the answer. */
static bool reason_is_block(const char *r)
{
	static const char *const blocks[] = {
	    "SAFETY",
	    "RECITATION",
	    "PROHIBITED_CONTENT",
	    "BLOCKLIST",
	    "SPII",
	    "LANGUAGE",
	    "IMAGE_SAFETY",
	    "IMAGE_RECITATION",
	    "IMAGE_OTHER",
	    "OTHER",
	    "IMAGE_PROHIBITED_CONTENT",
	    NULL,
	};

	for (int i = 0; blocks[i]; i++)
		if (strcmp(r, blocks[i]) == 0)
			return true;
	return false;
}

static int finish_error(const char *reason, struct vg_err *err)
{
	if (!reason || strcmp(reason, "STOP") == 0 ||
	    strcmp(reason, "FINISH_REASON_UNSPECIFIED") == 0)
		return VG_OK;
	if (strcmp(reason, "MAX_TOKENS") == 0)
		return vg_err_set(err, VG_EINVAL, "text_truncated",
		                  "Gemini's answer was cut off at the output token limit "
		                  "(finishReason MAX_TOKENS); ask for less, e.g. fewer or shorter "
		                  "shots");
	if (reason_is_block(reason))
		return vg_err_set(err, VG_EINVAL, "text_blocked",
		                  "Gemini refused to answer (finishReason %s); rephrase the prompt",
		                  reason);
	/* Tool-call and internal reasons: no usable answer either. */
	return vg_err_set(err, VG_EINVAL, "text_blocked",
	                  "Gemini stopped without a usable answer (finishReason %s); try again "
	                  "or rephrase the prompt",
	                  reason);
}

/* The text of every non-thought part, in order (malloc; "" when none). */
static char *join_parts(const json_t *parts)
{
	size_t n = 0, o = 0, i;
	const json_t *p;
	char *out;

	json_array_foreach(parts, i, p)
	{
		if (!json_is_true(json_object_get(p, "thought")))
			n += json_string_length(json_object_get(p, "text"));
	}
	out = malloc(n + 1);
	if (!out)
		return NULL;
	json_array_foreach(parts, i, p)
	{
		const json_t *t = json_object_get(p, "text");

		if (json_is_true(json_object_get(p, "thought")) || !json_is_string(t))
			continue;
		memcpy(out + o, json_string_value(t), json_string_length(t));
		o += json_string_length(t);
	}
	out[o] = '\0';
	return out;
}

static int no_candidate(const json_t *root, struct vg_err *err)
{
	const json_t *fb = json_object_get(root, "promptFeedback");
	const char *reason = json_string_value(json_object_get(fb, "blockReason"));

	if (reason)
		return vg_err_set(err, VG_EINVAL, "prompt_blocked",
		                  "Gemini refused the prompt (blockReason %s); rephrase it",
		                  reason);
	return vg_err_set(err, VG_EINVAL, "text_empty", "Gemini answered with no candidate");
}

static int parse_root(const json_t *root, char **text, struct vg_err *err)
{
	const json_t *cands = json_object_get(root, "candidates");
	const json_t *cand = json_array_get(cands, 0); /* NULL unless an array with one */
	int rc;

	if (!cand)
		return no_candidate(root, err);
	if (!json_is_object(cand))
		return vg_err_set(err, VG_EINTERNAL, "provider_bad_answer",
		                  "Gemini's answer has a candidate that is not an object");
	rc = finish_error(json_string_value(json_object_get(cand, "finishReason")), err);
	if (rc != VG_OK)
		return rc;
	*text = join_parts(json_object_get(json_object_get(cand, "content"), "parts"));
	if (!*text)
		return vg_err_set(err, VG_EINTERNAL, NULL, "out of memory reading Gemini's answer");
	if (!(*text)[0]) {
		free(*text);
		*text = NULL;
		return vg_err_set(err, VG_EINVAL, "text_empty",
		                  "Gemini answered without any text; try again");
	}
	return VG_OK;
}

int vg_gtext_parse(const char *body, size_t len, char **text, struct vg_err *err)
{
	json_t *root;
	int rc;

	*text = NULL;
	root = body ? json_loadb(body, len, 0, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return vg_err_set(err, VG_EINTERNAL, "provider_bad_answer",
		                  "Gemini answered with something that is not a JSON object");
	}
	rc = parse_root(root, text, err);
	json_decref(root);
	return rc;
}

/* ---- blocking call */

static bool model_name_ok(const char *m)
{
	if (!m[0])
		return false;
	for (const char *p = m; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return false;
	return true;
}

static int check_conf(const struct vg_conf *c, struct vg_err *err)
{
	const char *key = c->providers_gemini_api_key;

	if (!key || !key[0])
		return vg_err_set(err, VG_EUNAVAIL, "provider_unavailable",
		                  "Gemini is not configured: set providers.gemini.api_key (or "
		                  "providers.gemini.api_key_file, or VEOGEN_GEMINI_API_KEY)");
	if (strpbrk(key, "\r\n"))
		return vg_err_set(err, VG_EUNAVAIL, "provider_unavailable",
		                  "providers.gemini.api_key holds a line break: set it to the key "
		                  "alone");
	if (!c->providers_gemini_base_url || !c->providers_gemini_base_url[0])
		return vg_err_set(err, VG_EUNAVAIL, "provider_unavailable",
		                  "Gemini is not configured: set providers.gemini.base_url (or "
		                  "VEOGEN_GEMINI_BASE_URL)");
	if (!c->providers_gemini_text_model || !model_name_ok(c->providers_gemini_text_model))
		return vg_err_set(err, VG_EUNAVAIL, "provider_unavailable",
		                  "Gemini is not configured: set providers.gemini.text_model to a "
		                  "model ID such as \"gemini-3.5-flash\"");
	return VG_OK;
}

static char *make_url(const struct vg_conf *c)
{
	const char *base = c->providers_gemini_base_url;
	size_t blen = strlen(base), n;
	char *url;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	n = blen + strlen(c->providers_gemini_text_model) + 64;
	url = malloc(n);
	if (url)
		snprintf(url, n, "%.*s/v1beta/models/%s:generateContent", (int)blen, base,
		         c->providers_gemini_text_model);
	return url;
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
	                      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* What one attempt came to. */
struct attempt {
	enum vg_gapi_verdict verdict;
	struct vg_gapi_error ge;
	char *body; /* 2xx body (malloc) */
	size_t body_len;
};

static void try_once(const struct vg_http_req *req, struct attempt *a)
{
	struct vg_http_resp resp;
	struct vg_err ferr;

	memset(&resp, 0, sizeof resp);
	memset(&a->ge, 0, sizeof a->ge);
	a->ge.retry_delay_s = -1;
	a->body = NULL;
	vg_err_clear(&ferr);
	if (vg_http_fetch(req, &resp, &ferr) != VG_OK) {
		vg_metrics_provider_call("gemini", "generate_text", "network", resp.total_s);
		/* No answer (or none we could read): worth another try. */
		a->verdict = VG_GAPI_RETRY;
		snprintf(a->ge.message, sizeof a->ge.message, "%s", ferr.msg);
	} else {
		a->verdict = vg_gapi_classify(&resp, &a->ge);
		vg_metrics_provider_call("gemini", "generate_text",
		                         vg_metrics_http_error_code(resp.status, resp.curl_code),
		                         resp.total_s);
		if (a->verdict == VG_GAPI_OK) {
			a->body = resp.body;
			a->body_len = resp.body_len;
			resp.body = NULL;
		}
	}
	vg_http_resp_free(&resp);
}

static int fatal_error(const struct attempt *a, struct vg_err *err)
{
	long st = a->ge.http_status;
	const char *hint = st == 401 || st == 403 ? "; check providers.gemini.api_key"
	                   : st == 404            ? "; check providers.gemini.text_model"
	                                          : "";

	if (a->ge.per_day || st == 402)
		return vg_err_set(err, VG_ERATE, "quota_exceeded",
		                  "Gemini's quota is used up (HTTP %ld): %s", st, a->ge.message);
	/* The message of vg_gapi already names the status. */
	return vg_err_set(err, VG_EUNAVAIL, "provider_rejected",
	                  "Gemini refused the text request: %s%s", a->ge.message, hint);
}

static int gave_up(const struct attempt *a, int wait_s, struct vg_err *err)
{
	int rc;

	if (a->ge.http_status == 429)
		rc = vg_err_set(err, VG_ERATE, "quota_exceeded",
		                "Gemini kept answering 429 after %d attempts: %s", GTEXT_ATTEMPTS,
		                a->ge.message);
	else if (a->ge.http_status == 0)
		rc = vg_err_set(err, VG_EUNAVAIL, "provider_unavailable",
		                "Gemini never answered after %d attempts: %s", GTEXT_ATTEMPTS,
		                a->ge.message);
	else
		rc = vg_err_set(err, VG_EUNAVAIL, "provider_unavailable",
		                "Gemini kept failing after %d attempts (last HTTP %ld): %s",
		                GTEXT_ATTEMPTS, a->ge.http_status, a->ge.message);
	err->retry_after = wait_s > 0 ? wait_s : 1;
	return rc;
}

/* max(retryDelay, 1 s doubling per attempt), capped at 60 s. */
static double retry_wait(const struct attempt *a, int attempt)
{
	double w = (double)(1 << (attempt - 1));

	if (a->ge.retry_delay_s > w)
		w = a->ge.retry_delay_s;
	return w > GTEXT_MAX_WAIT_S ? GTEXT_MAX_WAIT_S : w;
}

/* Runs the attempts; a 2xx body lands in *body. */
static int call(const struct vg_http_req *req, char **body, size_t *len, struct vg_err *err)
{
	struct attempt a;

	for (int i = 1;; i++) {
		try_once(req, &a);
		if (a.verdict == VG_GAPI_OK) {
			*body = a.body;
			*len = a.body_len;
			return VG_OK;
		}
		if (a.verdict == VG_GAPI_FATAL)
			return fatal_error(&a, err);
		if (i >= GTEXT_ATTEMPTS)
			return gave_up(&a, (int)retry_wait(&a, i), err);
		sleep_s(retry_wait(&a, i));
	}
}

/* The first bytes of text, cut on a UTF-8 boundary, control characters as spaces. */
static void excerpt(const char *text, char *out, size_t size)
{
	size_t n = strlen(text), i;

	if (n > size - 4) {
		n = size - 4;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)text[i] < 0x20 ? ' ' : text[i];
	out[i] = '\0';
	if (n < strlen(text))
		memcpy(out + i, "...", 4);
}

static int text_to_json(const char *text, const char *schema_json, json_t **out, struct vg_err *err)
{
	char ex[EXCERPT_LEN + 4];
	json_error_t jerr;

	if (!schema_json) {
		*out = json_string(text);
		return *out ? VG_OK
		            : vg_err_set(err, VG_EINTERNAL, "provider_bad_answer",
		                         "Gemini's text is not valid UTF-8");
	}
	*out = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (*out)
		return VG_OK;
	excerpt(text, ex, sizeof ex);
	return vg_err_set(err, VG_EINVAL, "text_bad_json",
	                  "Gemini's answer is not valid JSON (%s): \"%s\"; try again", jerr.text,
	                  ex);
}

/* POSTs body and parses the answer; url and key_hdr are ready. */
static int post(const struct vg_conf *c, const char *url, const char *key_hdr, const char *body,
                const char *schema_json, json_t **out, struct vg_err *err)
{
	const struct vg_http_req req = {
	    .method = "POST",
	    .url = url,
	    .headers = {"Content-Type: application/json", key_hdr, NULL},
	    .body = body,
	    .body_len = strlen(body),
	    .timeout_ms = c->providers_http_timeout_s > 0 ? c->providers_http_timeout_s * 1000L : 0,
	};
	char *answer = NULL, *text = NULL;
	size_t alen = 0;
	int rc;

	rc = call(&req, &answer, &alen, err);
	if (rc == VG_OK)
		rc = vg_gtext_parse(answer, alen, &text, err);
	if (rc == VG_OK)
		rc = text_to_json(text, schema_json, out, err);
	free(answer);
	free(text);
	return rc;
}

static int generate(const struct vg_conf *c, const char *body, const char *schema_json,
                    json_t **out, struct vg_err *err)
{
	size_t klen = strlen(c->providers_gemini_api_key) + 32;
	char *url = make_url(c), *key_hdr = malloc(klen);
	int rc;

	if (url && key_hdr) {
		snprintf(key_hdr, klen, "x-goog-api-key: %s", c->providers_gemini_api_key);
		rc = post(c, url, key_hdr, body, schema_json, out, err);
		explicit_bzero(key_hdr, strlen(key_hdr));
	} else {
		rc = vg_err_set(err, VG_EINTERNAL, NULL, "out of memory calling Gemini");
	}
	free(key_hdr);
	free(url);
	return rc;
}

int vg_gtext_generate(const struct vg_conf *c, const char *system, const char *user,
                      const char *schema_json, json_t **out, struct vg_err *err)
{
	char *body;
	int rc;

	*out = NULL;
	if ((rc = check_conf(c, err)) != VG_OK)
		return rc;
	body = vg_gtext_body(system, user, schema_json, GTEXT_MAX_OUTPUT_TOKENS);
	if (!body)
		return vg_err_set(
		    err, VG_EINTERNAL, NULL,
		    "cannot build the Gemini request: the user text is missing or the "
		    "response schema is not a JSON object");
	rc = generate(c, body, schema_json, out, err);
	free(body);
	/* Any echo of the key in an answer or a libcurl message stops here. */
	if (rc != VG_OK)
		vg_gapi_redact(err->msg, sizeof err->msg, c->providers_gemini_api_key);
	return rc;
}
