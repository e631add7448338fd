/* The Veo wire format (research veo-api.md §1.2–1.5, §2, §4): bodies built with jansson,
 * answers parsed with every type checked, because a provider answer is remote input. */
#include "config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_arena.h"
#include "vg_buf.h"
#include "vg_str.h"
#include "vg_veo.h"

#define BAD_ANSWER "provider_bad_answer"

/* Provider text goes to logs and to the user: no control characters, no cut sequence. */
static void scrub(char *s)
{
	vg_str_scrub_controls(s);
	vg_str_utf8_cut(s);
}

static void copy_text(char *dst, size_t size, const char *src)
{
	vg_strlcpy(dst, src, size);
	scrub(dst);
}

/* Text that ends up in a URL or a header: no control characters, no spaces. */
static bool url_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* ---- request bodies ---- */

static json_t *image_json(const struct vg_veo_image *img)
{
	return json_pack("{s:s, s:s}", "bytesBase64Encoded", img->b64, "mimeType", img->mime_type);
}

static bool has_image(const struct vg_veo_image *img)
{
	return img->mime_type && img->b64;
}

/* set_new that reports a NULL value (invalid UTF-8, OOM) instead of hiding it. */
static bool put(json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0;
}

static json_t *instance_json(const struct vg_veo_input *in)
{
	json_t *inst = json_object();
	bool ok = put(inst, "prompt", json_string(in->prompt));

	if (ok && has_image(&in->image))
		ok = put(inst, "image", image_json(&in->image));
	if (ok && has_image(&in->last_frame))
		ok = put(inst, "lastFrame", image_json(&in->last_frame));
	if (ok && in->n_refs > 0) {
		json_t *refs = json_array();
		for (int i = 0; ok && i < in->n_refs && i < 3; i++) {
			if (!has_image(&in->refs[i]))
				continue;
			json_t *img = image_json(&in->refs[i]);
			json_t *r =
			    img ? json_pack("{s:o, s:s}", "image", img, "referenceType", "asset")
			        : NULL;
			ok = r && json_array_append_new(refs, r) == 0;
		}
		ok = put(inst, "referenceImages", refs) && ok;
	}
	if (!ok) {
		json_decref(inst);
		return NULL;
	}
	return inst;
}

static json_t *parameters_json(enum vg_veo_dialect d, const struct vg_veo_input *in)
{
	json_t *p = json_object();
	bool ok = true;

	if (in->aspect_ratio)
		ok = ok && put(p, "aspectRatio", json_string(in->aspect_ratio));
	if (in->resolution)
		ok = ok && put(p, "resolution", json_string(in->resolution));
	if (in->duration_s > 0) /* the SDK's integer, not the doc table's string */
		ok = ok && put(p, "durationSeconds", json_integer(in->duration_s));
	if (in->negative_prompt && in->negative_prompt[0])
		ok = ok && put(p, "negativePrompt", json_string(in->negative_prompt));
	ok = ok && put(p, "sampleCount", json_integer(1));
	/* The Gemini API refuses seed and storageUri (SDK); only Vertex gets them. */
	if (d == VG_VEO_VERTEX && in->has_seed)
		ok = ok && put(p, "seed", json_integer((json_int_t)in->seed));
	if (d == VG_VEO_VERTEX && in->storage_uri)
		ok = ok && put(p, "storageUri", json_string(in->storage_uri));
	if (!ok) {
		json_decref(p);
		return NULL;
	}
	return p;
}

char *vg_veo_submit_body(enum vg_veo_dialect d, const struct vg_veo_input *in)
{
	if (!in || !in->prompt)
		return NULL;
	json_t *inst = instance_json(in);
	json_t *params = inst ? parameters_json(d, in) : NULL;
	if (!params) {
		json_decref(inst);
		return NULL;
	}
	json_t *root = json_pack("{s:[o], s:o}", "instances", inst, "parameters", params);
	char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	return s;
}

char *vg_veo_fetch_body(const char *operation_name)
{
	if (!operation_name)
		return NULL;
	json_t *root = json_pack("{s:s}", "operationName", operation_name);
	char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	return s;
}

/* ---- answers ---- */

static json_t *load(const char *what, const char *body, size_t len, struct vg_err *err)
{
	json_error_t jerr;
	json_t *root = body ? json_loadb(body, len, 0, &jerr) : NULL;

	if (!body || len == 0) {
		vg_err_set(err, VG_EINTERNAL, BAD_ANSWER,
		           "the video provider's %s answer was empty", what);
		return NULL;
	}
	if (!root) {
		vg_err_set(err, VG_EINTERNAL, BAD_ANSWER,
		           "the video provider's %s answer is not valid JSON (line %d: %s)", what,
		           jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		vg_err_set(err, VG_EINTERNAL, BAD_ANSWER,
		           "the video provider's %s answer is not a JSON object", what);
		return NULL;
	}
	return root;
}

int vg_veo_parse_submit(const char *body, size_t len, char *name, size_t size, struct vg_err *err)
{
	json_t *root = load("submit", body, len, err);

	if (!root)
		return err->rc;
	const char *n = json_string_value(json_object_get(root, "name"));
	int rc = VG_OK;
	if (!n || !*n)
		rc = vg_err_set(err, VG_EINTERNAL, BAD_ANSWER,
		                "the video provider accepted the job but sent no operation name");
	else if (!url_safe(n))
		rc = vg_err_set(err, VG_EINTERNAL, BAD_ANSWER,
		                "the video provider's operation name contains control characters "
		                "or spaces");
	else if (strlen(n) >= size)
		rc = vg_err_set(err, VG_EINTERNAL, BAD_ANSWER,
		                "the video provider's operation name is too long (%zu bytes)",
		                strlen(n));
	else
		vg_strlcpy(name, n, size);
	json_decref(root);
	return rc;
}

static int bad_op(struct vg_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad_op(struct vg_err *err, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return vg_err_set(err, VG_EINTERNAL, BAD_ANSWER,
	                  "the video provider's operation answer is malformed: %s", what);
}

/* The operation's error {code, message}: a gRPC status. */
static int read_failure(const json_t *error, struct vg_veo_op *op, struct vg_err *err)
{
	if (!json_is_object(error))
		return bad_op(err, "error is not an object");
	json_t *code = json_object_get(error, "code");
	json_t *msg = json_object_get(error, "message");
	if (code && !json_is_integer(code))
		return bad_op(err, "error.code is not an integer");
	if (msg && !json_is_string(msg))
		return bad_op(err, "error.message is not a string");
	op->state = VG_VEO_FAILED;
	op->error_code = code ? (int)json_integer_value(code) : 2; /* UNKNOWN */
	copy_text(op->error_message, sizeof op->error_message, msg ? json_string_value(msg) : "");
	return VG_OK;
}

/* raiMediaFilteredCount / raiMediaFilteredReasons of the object that holds them. */
static int read_filter(const json_t *holder, const char *where, struct vg_veo_op *op,
                       struct vg_err *err)
{
	json_t *count = json_object_get(holder, "raiMediaFilteredCount");
	json_t *reasons = json_object_get(holder, "raiMediaFilteredReasons");
	size_t i, n = 0;
	json_t *r;

	if (count && !json_is_integer(count))
		return bad_op(err, "%s.raiMediaFilteredCount is not an integer", where);
	if (reasons && !json_is_array(reasons))
		return bad_op(err, "%s.raiMediaFilteredReasons is not an array", where);
	op->reasons[0] = '\0';
	json_array_foreach(reasons, i, r)
	{
		if (!json_is_string(r))
			return bad_op(err, "%s.raiMediaFilteredReasons[%zu] is not a string", where,
			              i);
		size_t used = strlen(op->reasons);
		snprintf(op->reasons + used, sizeof op->reasons - used, "%s%s", n ? "; " : "",
		         json_string_value(r));
		n++;
	}
	scrub(op->reasons);
	json_int_t c = count ? json_integer_value(count) : 0;
	op->filtered_count = c > 0 && c < 1000000 ? (int)c : 0;
	if (op->filtered_count == 0 && n > 0) /* reasons without a count still mean filtered */
		op->filtered_count = (int)(n < 1000000 ? n : 1000000);
	return VG_OK;
}

/* First string among the given keys of obj; *bad when one of them has another type. */
static const char *str_field(const json_t *obj, const char *const *keys, bool *bad)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(obj, *keys);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_string(v) || json_string_length(v) == 0) {
			*bad = true;
			return NULL;
		}
		return json_string_value(v);
	}
	return NULL;
}

/* One video: {uri|gcsUri | video|encodedVideo|bytesBase64Encoded, mimeType|encoding}.
 * Returns 1 when it holds a video, 0 when it holds none, <0 on a wrong type. */
static int read_video(const json_t *v, const char *where, struct vg_veo_op *op, struct vg_err *err)
{
	static const char *const uri_keys[] = {"uri", "gcsUri", NULL};
	static const char *const b64_keys[] = {"video", "bytesBase64Encoded", "encodedVideo", NULL};
	static const char *const mime_keys[] = {"mimeType", "encoding", NULL};
	bool bad = false;

	if (!json_is_object(v))
		return bad_op(err, "%s is not an object", where);
	const char *uri = str_field(v, uri_keys, &bad);
	const char *b64 = bad ? NULL : str_field(v, b64_keys, &bad);
	const char *mime = bad ? NULL : str_field(v, mime_keys, &bad);
	if (bad)
		return bad_op(err, "%s has a field of the wrong type or empty", where);
	if (uri && !url_safe(uri))
		return bad_op(err, "%s has a video URI with control characters", where);
	if (!uri && !b64)
		return 0;
	op->video_uri = uri ? vg_xstrdup(uri) : NULL;
	op->video_b64 = !uri ? vg_xstrdup(b64) : NULL;
	copy_text(op->video_mime, sizeof op->video_mime, mime ? mime : "video/mp4");
	op->state = VG_VEO_SUCCEEDED;
	return 1;
}

/* An array of videos: each element is the video itself (Vertex videos[]) or holds it
 * under "video" (generatedSamples[]).  Takes the first element that has one. */
static int read_videos(const json_t *arr, const char *where, bool nested, struct vg_veo_op *op,
                       struct vg_err *err)
{
	char what[256];
	size_t i;
	json_t *el;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return bad_op(err, "%s is not an array", where);
	json_array_foreach(arr, i, el)
	{
		if (nested) {
			if (!json_is_object(el))
				return bad_op(err, "%s[%zu] is not an object", where, i);
			el = json_object_get(el, "video");
			if (!el || json_is_null(el))
				continue;
		}
		snprintf(what, sizeof what, nested ? "%s[%zu].video" : "%s[%zu]", where, i);
		int rc = read_video(el, what, op, err);
		if (rc != 0)
			return rc;
	}
	return 0; /* samples without a video: EMPTY or FILTERED decides */
}

static int read_gemini(const json_t *resp, struct vg_veo_op *op, struct vg_err *err)
{
	json_t *gvr = json_object_get(resp, "generateVideoResponse");

	if (!gvr || json_is_null(gvr))
		return 0;
	if (!json_is_object(gvr))
		return bad_op(err, "response.generateVideoResponse is not an object");
	int rc = read_videos(json_object_get(gvr, "generatedSamples"),
	                     "response.generateVideoResponse.generatedSamples", true, op, err);
	if (rc != 0)
		return rc;
	return read_filter(gvr, "response.generateVideoResponse", op, err);
}

static int read_vertex(const json_t *resp, struct vg_veo_op *op, struct vg_err *err)
{
	int rc = read_videos(json_object_get(resp, "videos"), "response.videos", false, op, err);

	if (rc == 0) /* deprecated, still listed by the discovery doc */
		rc = read_videos(json_object_get(resp, "generatedSamples"),
		                 "response.generatedSamples", true, op, err);
	if (rc != 0)
		return rc;
	return read_filter(resp, "response", op, err);
}

static int read_done(enum vg_veo_dialect d, const json_t *root, struct vg_veo_op *op,
                     struct vg_err *err)
{
	json_t *error = json_object_get(root, "error");
	json_t *resp = json_object_get(root, "response");

	if (error && !json_is_null(error))
		return read_failure(error, op, err);
	op->state = VG_VEO_EMPTY;
	if (!resp || json_is_null(resp))
		return VG_OK;
	if (!json_is_object(resp))
		return bad_op(err, "response is not an object");
	int rc = d == VG_VEO_GEMINI ? read_gemini(resp, op, err) : read_vertex(resp, op, err);
	if (rc < 0)
		return rc;
	if (op->state == VG_VEO_SUCCEEDED)
		return VG_OK;
	if (op->filtered_count > 0)
		op->state = VG_VEO_FILTERED;
	return VG_OK;
}

int vg_veo_parse_op(enum vg_veo_dialect d, const char *body, size_t len, struct vg_veo_op *op,
                    struct vg_err *err)
{
	memset(op, 0, sizeof *op);
	op->state = VG_VEO_RUNNING;
	json_t *root = load("operation", body, len, err);
	if (!root)
		return err->rc;
	json_t *done = json_object_get(root, "done");
	int rc = VG_OK;
	/* proto3 leaves out done:false, so a missing done means running. */
	if (done && !json_is_null(done) && !json_is_boolean(done))
		rc = bad_op(err, "done is not a boolean");
	else if (json_is_true(done))
		rc = read_done(d, root, op, err);
	json_decref(root);
	if (rc != VG_OK) {
		vg_veo_op_free(op);
		memset(op, 0, sizeof *op);
		op->state = VG_VEO_RUNNING;
	}
	return rc;
}

void vg_veo_op_free(struct vg_veo_op *op)
{
	if (!op)
		return;
	free(op->video_uri);
	free(op->video_b64);
	op->video_uri = NULL;
	op->video_b64 = NULL;
}

/* ---- Cloud Storage ---- */

/* Bucket naming rules: 3–222 characters of a-z 0-9 - _ . starting and ending alphanumeric
 * (the stricter per-dot-component 63 limit is Google's to enforce). */
static bool bucket_ok(const char *b, size_t n)
{
	if (n < 3 || n > 222)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && c != '-' && c != '_' && c != '.')
			return false;
		if ((i == 0 || i == n - 1) && !alnum)
			return false;
	}
	return true;
}

/* Object names: 1–1024 bytes, no CR/LF, not "." or ".." (Cloud Storage naming rules). */
static bool object_ok(const char *o)
{
	size_t n = strlen(o);

	if (n == 0 || n > 1024 || strcmp(o, ".") == 0 || strcmp(o, "..") == 0)
		return false;
	return strchr(o, '\r') == NULL && strchr(o, '\n') == NULL;
}

char *vg_veo_gcs_url(const char *base, const char *gs_uri)
{
	static const char hex[] = "0123456789ABCDEF";
	struct vg_buf b;

	if (!base || !gs_uri || strncmp(gs_uri, "gs://", 5) != 0)
		return NULL;
	const char *bucket = gs_uri + 5;
	const char *slash = strchr(bucket, '/');
	if (!slash || !bucket_ok(bucket, (size_t)(slash - bucket)) || !object_ok(slash + 1))
		return NULL;
	size_t blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	vg_buf_init(&b, blen + strlen(gs_uri) * 3 + 64);
	vg_buf_append(&b, base, blen);
	vg_buf_puts(&b, "/download/storage/v1/b/");
	vg_buf_append(&b, bucket, (size_t)(slash - bucket));
	vg_buf_puts(&b, "/o/");
	/* The whole object name is one path segment: '/' is encoded too. */
	for (const unsigned char *p = (const unsigned char *)slash + 1; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			vg_buf_append(&b, p, 1);
		} else {
			char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			vg_buf_append(&b, esc, 3);
		}
	}
	vg_buf_puts(&b, "?alt=media");
	char *url = vg_xstrdup(vg_buf_str(&b));
	vg_buf_free(&b);
	return url;
}
