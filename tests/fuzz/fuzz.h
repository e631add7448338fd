/* Shared pieces of the libFuzzer targets: a quiet log, the default config every request
 * validator sees, and NUL-terminated copies of the input. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "fcgi_http.h"
#include "vg_conf.h"

/* Each target defines the test; fuzz_common.c defines the start-up, which keeps the log
 * to errors (a target that logs every input drowns libFuzzer's own lines). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
/* vg_conf_defaults, with the Gemini provider enabled (no key: validation never calls it)
 * so both an enabled remote provider and a disabled one (Vertex) are reachable.  Built
 * once, never freed: it lives as long as the process. */
const struct vg_conf *fuzz_conf(void);
/* The same with limits.max_json_* so low that small inputs reach every one of them. */
const struct vg_conf *fuzz_conf_tight(void);
/* The body through vg_req_json under fuzz_conf_tight: a refusal must reach the client whole. */
void fuzz_check_tight(const char *body, size_t len);
/* data as a NUL-terminated string (malloc; the caller frees it).  Inner NUL bytes stay:
 * C-string readers see a prefix, as they would from the web server. */
char *fuzz_str(const uint8_t *data, size_t size);
/* Splits s in place at the first `sep`: returns the rest after it, or NULL when absent. */
char *fuzz_cut(char *s, char sep);
/* A request as a handler sees it, with no FastCGI stream: a JSON body already read. */
void fuzz_req(struct vg_req *r, struct vg_arena *a, const char *content_type, const char *body,
              size_t body_len);
/* Renders err as the responder would (vg_resp_problem) and aborts unless the answer is
 * problem+json with the status of err->rc, a detail and every field error: a message the
 * client never sees is as bad as none. */
void fuzz_check_problem(struct vg_req *r, const struct vg_err *err);

#endif
