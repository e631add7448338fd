/* Veo answers from the provider: the submit answer (vg_veo_parse_submit) and the
 * operation answer in both dialects (vg_veo_parse_op, Gemini API and Vertex AI), plus the
 * gs:// result URI of Vertex (vg_veo_gcs_url). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vg_veo.h"

static void op(enum vg_veo_dialect d, const char *body, size_t len)
{
	struct vg_veo_op o;
	struct vg_err err;
	int rc;

	memset(&o, 0, sizeof o);
	vg_err_clear(&err);
	rc = vg_veo_parse_op(d, body, len, &o, &err);
	if (rc != err.rc || (rc != VG_OK && rc != VG_EINTERNAL))
		abort();
	/* a success has a video to fetch; anything else holds none */
	if (rc == VG_OK && o.state == VG_VEO_SUCCEEDED ? !o.video_uri && !o.video_b64
	                                               : o.video_uri || o.video_b64)
		abort();
	if (!memchr(o.error_message, '\0', sizeof o.error_message) ||
	    !memchr(o.reasons, '\0', sizeof o.reasons) ||
	    !memchr(o.video_mime, '\0', sizeof o.video_mime))
		abort();
	vg_veo_op_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), name[512], *url;
	struct vg_err err;

	vg_err_clear(&err);
	if (vg_veo_parse_submit(s, size, name, sizeof name, &err) == VG_OK &&
	    (!name[0] || strlen(name) >= sizeof name))
		abort();
	op(VG_VEO_GEMINI, s, size);
	op(VG_VEO_VERTEX, s, size);
	if ((url = vg_veo_gcs_url("https://storage.googleapis.com", s)) != NULL &&
	    strncmp(s, "gs://", 5) != 0)
		abort();
	free(url);
	free(s);
	return 0;
}
