/* The Veo wire format, pure and testable without a network: the predictLongRunning body
 * for the Gemini API and for Vertex AI, and the parse of the submit and operation answers.
 * The exact contract is in ../shared/research/veo-api.md §1–2. */
#ifndef VG_VEO_H
#define VG_VEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vg_err.h"

enum vg_veo_dialect { VG_VEO_GEMINI, VG_VEO_VERTEX };

struct vg_veo_image {
	const char *mime_type; /* image/png | image/jpeg; NULL = no image */
	const char *b64;       /* base64 of the bytes */
};

struct vg_veo_input {
	const char *prompt; /* what the provider receives (the enhanced prompt when there is one) */
	const char *negative_prompt; /* NULL = none */
	int duration_s;              /* sent as a JSON integer */
	const char *aspect_ratio;    /* "16:9" | "9:16" */
	const char *resolution;      /* "720p" | "1080p" */
	bool has_seed;               /* Vertex only: the Gemini API refuses seed */
	uint32_t seed;
	struct vg_veo_image image;      /* first frame: instances[0].image */
	struct vg_veo_image last_frame; /* instances[0].lastFrame (needs image) */
	struct vg_veo_image refs[3];    /* instances[0].referenceImages[], referenceType asset */
	int n_refs;
	const char *storage_uri; /* Vertex: parameters.storageUri (gs://…), NULL = inline bytes */
};

/* The submit body as JSON text (malloc): instances[0] with the prompt and images
 * (bytesBase64Encoded + mimeType), parameters with aspectRatio, resolution, integer
 * durationSeconds, negativePrompt, sampleCount 1, and seed/storageUri only for Vertex.
 * personGeneration is never sent (the live API contradicts its own table). */
char *vg_veo_submit_body(enum vg_veo_dialect d, const struct vg_veo_input *in);

/* Vertex's poll body {"operationName": name} (malloc). */
char *vg_veo_fetch_body(const char *operation_name);

/* The operation name of a 2xx submit answer into name[size].  A body without a usable
 * name is VG_EINTERNAL, code "provider_bad_answer". */
int vg_veo_parse_submit(const char *body, size_t len, char *name, size_t size, struct vg_err *err);

enum vg_veo_state {
	VG_VEO_RUNNING = 0, /* done missing or false */
	VG_VEO_SUCCEEDED,   /* a video: uri or inline bytes */
	VG_VEO_FILTERED,    /* done, no samples, raiMediaFilteredCount > 0: not billed */
	VG_VEO_FAILED,      /* done with error {code, message} (gRPC code) */
	VG_VEO_EMPTY        /* done, no samples, no filter count: unknown, worth one retry */
};

struct vg_veo_op {
	enum vg_veo_state state;
	int error_code;          /* VG_VEO_FAILED: gRPC code */
	char error_message[512]; /* VG_VEO_FAILED: error.message */
	int filtered_count;      /* VG_VEO_FILTERED */
	char reasons[1024];      /* raiMediaFilteredReasons joined by "; " */
	char *video_uri; /* SUCCEEDED: Gemini video.uri or Vertex gcsUri (malloc), or NULL */
	char *video_b64; /* SUCCEEDED: Vertex bytesBase64Encoded / Gemini video.video (malloc) */
	char video_mime[64];
};

/* Parses a 2xx poll answer (GET operation on Gemini, fetchPredictOperation on Vertex):
 * Gemini reads response.generateVideoResponse.{generatedSamples[].video, raiMedia…};
 * Vertex reads response.{videos[], raiMedia…} (and generatedSamples as a fallback).
 * Malformed JSON or a shape that is none of the above is VG_EINTERNAL, code
 * "provider_bad_answer", with what was wrong. */
int vg_veo_parse_op(enum vg_veo_dialect d, const char *body, size_t len, struct vg_veo_op *op,
                    struct vg_err *err);
void vg_veo_op_free(struct vg_veo_op *op);

/* "gs://bucket/path/to/obj.mp4" →
 * "<base>/download/storage/v1/b/bucket/o/path%2Fto%2Fobj.mp4?alt=media" (malloc); NULL when uri is
 * not a gs:// URI with a bucket and an object. */
char *vg_veo_gcs_url(const char *base, const char *gs_uri);

#endif
