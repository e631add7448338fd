/* Shared pieces of the libFuzzer targets (fuzz.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vg_log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	vg_log_init("fuzz", VG_LOG_STDERR, VG_LOG_ERR);
	return 0;
}

const struct vg_conf *fuzz_conf(void)
{
	static struct vg_conf c;
	static int ready;

	if (!ready) {
		vg_conf_defaults(&c);
		c.providers_gemini_enabled = true;
		ready = 1;
	}
	return &c;
}

const struct vg_conf *fuzz_conf_tight(void)
{
	static struct vg_conf c;
	static int ready;

	if (!ready) {
		c = *fuzz_conf(); /* shares its strings, and is never freed either */
		c.limits_max_json_depth = 4;
		c.limits_max_json_string_bytes = 24;
		c.limits_max_json_array_items = 3;
		ready = 1;
	}
	return &c;
}

void fuzz_check_tight(const char *body, size_t len)
{
	struct vg_arena *a = vg_arena_create(4096);
	struct vg_req r;
	struct vg_err err;

	fuzz_req(&r, a, "application/json", body, len);
	r.conf = fuzz_conf_tight();
	vg_err_clear(&err);
	if (!vg_req_json(&r, &err)) {
		if (err.rc != VG_EBADREQ && err.rc != VG_EINVAL)
			abort();
		fuzz_check_problem(&r, &err);
	}
	vg_arena_destroy(a);
}

char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

char *fuzz_cut(char *s, char sep)
{
	char *p = strchr(s, sep);

	if (!p)
		return NULL;
	*p = '\0';
	return p + 1;
}

void fuzz_req(struct vg_req *r, struct vg_arena *a, const char *content_type, const char *body,
              size_t body_len)
{
	memset(r, 0, sizeof *r);
	r->a = a;
	r->conf = fuzz_conf();
	r->method = "POST";
	r->path = "/";
	r->query = "";
	r->request_id = "fuzz";
	r->content_type = content_type;
	r->content_length = (long long)body_len;
	r->body = body;
	r->body_len = body_len;
	r->body_read = true; /* vg_req_json skips the FastCGI stream */
}

void fuzz_check_problem(struct vg_req *r, const struct vg_err *err)
{
	struct vg_resp w;
	json_t *p, *errors;
	const char *why = NULL;

	vg_resp_init(&w);
	vg_resp_problem(&w, r, err);
	p = json_loadb(vg_buf_str(&w.body), w.body.len, 0, NULL);
	errors = json_object_get(p, "errors");
	if (w.status != vg_err_http_status(err->rc) || !p)
		why = "the answer is not JSON or has another status";
	else if (!json_is_string(json_object_get(p, "detail")))
		why = "the answer has no detail";
	else if (err->nfields ? json_array_size(errors) != (size_t)err->nfields : errors != NULL)
		why = "the answer lost field errors";
	if (why) {
		fprintf(stderr, "%s: status %d, body %s, detail \"%s\", %d fields\n", why, w.status,
		        vg_buf_str(&w.body), err->msg, err->nfields);
		abort();
	}
	json_decref(p);
	vg_resp_free(&w);
}
