/* What every Google API answer has in common (Gemini API, Vertex AI, OAuth, Cloud
 * Storage): the error envelope {"error": {code, message, status, details[]}}, the retry
 * delay hidden in details[RetryInfo].retryDelay (Google sends no Retry-After header), and
 * the decision retry / give up.  See ../shared/research/veo-api.md §3.3–3.4. */
#ifndef VG_GAPI_H
#define VG_GAPI_H

#include <stdbool.h>
#include <stddef.h>

struct vg_http_resp;

enum vg_gapi_verdict {
	VG_GAPI_OK = 0, /* 2xx */
	VG_GAPI_RETRY,  /* 408, 429 (not per-day), 500, 502, 503, 504, or no answer at all */
	VG_GAPI_FATAL   /* 400, 401, 402, 403, 404, per-day quota, any other status */
};

struct vg_gapi_error {
	long http_status;     /* 0 when no response arrived */
	int code;             /* error.code (HTTP code in envelopes, gRPC code in operations) */
	char status[48];      /* error.status: "RESOURCE_EXHAUSTED" … */
	char message[512];    /* error.message, or a description of what went wrong */
	double retry_delay_s; /* from RetryInfo, -1 when absent */
	bool per_day;         /* a QuotaFailure quotaId containing "PerDay": wait for tomorrow */
};

/* Classifies a finished transfer and fills e (always, also for 2xx: e->message empty).
 * Tolerates bodies that are not JSON, not an envelope, or wrapped in a one-element array.
 * A transfer that never got an answer (curl error) is RETRY with a message from libcurl. */
enum vg_gapi_verdict vg_gapi_classify(const struct vg_http_resp *resp, struct vg_gapi_error *e);

/* A protobuf Duration string ("38s", "2.463586755s") in seconds; -1 when malformed. */
double vg_gapi_duration(const char *s);

/* gRPC codes of failed operations that are worth another try: 4 DEADLINE_EXCEEDED,
 * 8 RESOURCE_EXHAUSTED, 10 ABORTED, 13 INTERNAL, 14 UNAVAILABLE. */
bool vg_gapi_grpc_transient(int code);
/* "INVALID_ARGUMENT" for 3 … ; "UNKNOWN" for codes it does not know. */
const char *vg_gapi_grpc_name(int code);

/* Replaces every occurrence of secret (when at least 8 bytes long) in msg with
 * "[redacted]", in place, truncating to size.  For errors that are stored or logged. */
void vg_gapi_redact(char *msg, size_t size, const char *secret);

#endif
