/* Gemini generateContent answers (the movie planner and enhance_prompt read them):
 * vg_gtext_parse must give text or an error that names the reason, for any body. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vg_gtext.h"
#include "vg_str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *text = NULL;
	struct vg_err err;
	int rc;

	vg_err_clear(&err);
	rc = vg_gtext_parse(s, size, &text, &err);
	if (rc != err.rc || (rc == VG_OK) != (text != NULL) || (rc != VG_OK && !err.msg[0]))
		abort();
	if (text && (!*text || !vg_str_utf8_valid(text, strlen(text))))
		abort(); /* "text_empty" covers no text; jansson only hands out UTF-8 */
	free(text);
	free(s);
	return 0;
}
