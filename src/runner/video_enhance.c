#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "video_enhance.h"
#include "vg_arena.h"
#include "vg_gtext.h"
#include "vg_str.h"

#define ENHANCED_MAX_CHARS 2000

static const char system_text[] =
    "You rewrite prompts for Veo, a video generation model. Keep the user's subject, intent, "
    "language and any quoted dialogue. Make it concrete: who or what, the action, the "
    "setting, camera framing and movement, lighting, visual style, and the sounds heard. "
    "One paragraph of at most 120 words, no lists, no preamble. Answer in JSON as "
    "{\"prompt\": \"...\"}.";

static const char schema[] = "{\"type\": \"OBJECT\", \"properties\": {\"prompt\": {\"type\": "
                             "\"STRING\"}}, \"required\": [\"prompt\"]}";

int video_enhance_prompt(const struct vg_conf *c, const char *prompt, char **out,
                         struct vg_err *err)
{
	json_t *answer = NULL;
	const char *text;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = vg_gtext_generate(c, system_text, prompt, schema, &answer, err);
	if (rc != VG_OK) {
		/* blocked or unusable text, a refused request or a spent daily quota will not
		 * change on a retry; an unreachable model may */
		if (rc == VG_EINVAL || vg_str_eq(err->code, "provider_rejected") ||
		    vg_str_eq(err->code, "quota_exceeded")) {
			char why[sizeof err->msg], code[sizeof err->code];

			snprintf(why, sizeof why, "%s", err->msg);
			snprintf(code, sizeof code, "%s",
			         rc == VG_EINVAL ? "provider_rejected" : err->code);
			return vg_err_set(
			    err, VG_EINVAL, code,
			    "enhance_prompt: the text model did not rewrite the prompt "
			    "(%s); send the video without enhance_prompt",
			    why);
		}
		return rc;
	}
	text = json_string_value(json_object_get(answer, "prompt"));
	if (text)
		text = vg_str_trim(text, &len);
	if (!text || len == 0 || vg_str_utf8_len(text, len) > ENHANCED_MAX_CHARS ||
	    !vg_str_utf8_valid(text, len)) {
		json_decref(answer);
		return vg_err_set(err, VG_EUNAVAIL, "provider_unavailable",
		                  "enhance_prompt: the text model's answer had no usable prompt");
	}
	*out = strndup(text, len);
	json_decref(answer);
	if (!*out)
		vg_oom(len);
	return VG_OK;
}
