/* The Gemini text client: models/{model}:generateContent asking for JSON that follows a
 * schema (responseMimeType + responseSchema), used by the movie planner and by
 * enhance_prompt.  See ../shared/research/veo-api.md §3. */
#ifndef VG_GTEXT_H
#define VG_GTEXT_H

#include <jansson.h>
#include <stddef.h>

#include "vg_conf.h"
#include "vg_err.h"

/* The request body (malloc): systemInstruction, one user turn, and generationConfig with
 * responseMimeType application/json, responseSchema (a JSON text of the OpenAPI-subset
 * schema; NULL = plain text) and maxOutputTokens.  No sampling parameters: Gemini 3.6+
 * ignores or refuses them. */
char *vg_gtext_body(const char *system, const char *user, const char *schema_json,
                    int max_output_tokens);

/* The text of a 200 answer: the concatenated text of every part that is not a thought
 * (malloc into *text).  Errors, each VG_EINVAL with a code and a message for the user:
 *   no candidates and promptFeedback.blockReason → "prompt_blocked" (names the reason);
 *   finishReason MAX_TOKENS → "text_truncated"; SAFETY, RECITATION, PROHIBITED_CONTENT,
 *   BLOCKLIST, SPII and the like → "text_blocked"; no text at all → "text_empty";
 *   malformed JSON → VG_EINTERNAL "provider_bad_answer". */
int vg_gtext_parse(const char *body, size_t len, char **text, struct vg_err *err);

/* Blocking call with the Gemini API key of the config: up to 5 attempts on 408/429/5xx,
 * waiting max(retryDelay, backoff 1→2→4 s, cap 60 s) between them; other errors at once.
 * When schema_json is set the text is parsed as JSON into *out (a new reference); else
 * *out is a JSON string.  VG_EUNAVAIL "provider_unavailable" when Gemini is not configured
 * (providers.gemini.api_key) or never answered. */
int vg_gtext_generate(const struct vg_conf *c, const char *system, const char *user,
                      const char *schema_json, json_t **out, struct vg_err *err);

#endif
