/* The model capability table of the config (providers.<name>.models): what each model can
 * do and what it costs, so a retired or new model is a config change, not a code change.
 * Requests are checked against it (422 naming the limit) and priced with it. */
#ifndef VG_MODEL_H
#define VG_MODEL_H

#include <stdbool.h>

#include "vg_err.h"

#define VG_MODEL_MAX_DURATIONS 8

struct vg_model {
	char *id;
	int durations[VG_MODEL_MAX_DURATIONS]; /* allowed duration_seconds */
	int n_durations;
	bool res_720p, res_1080p;
	bool ar_16_9, ar_9_16;
	bool in_image, in_last_frame;
	int max_reference_images;      /* 0 = reference images not accepted */
	int long_only_duration;        /* > 0: 1080p and reference images need exactly this long */
	bool audio;                    /* generates an audio track */
	double price_per_second;       /* USD per second of output at 720p */
	double price_per_second_1080p; /* USD per second at 1080p (0 = same as 720p) */
};

struct vg_provider_models {
	struct vg_model *models;
	int n;
	char *default_model; /* an id of models[] */
};

const struct vg_model *vg_model_find(const struct vg_provider_models *pm, const char *id);

/* The parts of a request the table judges. */
struct vg_model_req {
	int duration_seconds;
	const char *aspect_ratio;
	const char *resolution;
	bool image, last_frame;
	int n_reference_images;
};

/* Adds a field error for every limit of m the request breaks, naming the model and what
 * it accepts ("veo-3.1-lite-generate-preview does not take reference images");
 * returns err->rc. */
int vg_model_check(const struct vg_model *m, const struct vg_model_req *r, struct vg_err *err);

/* Estimated cost in USD of one generation of r on m. */
double vg_model_price(const struct vg_model *m, const struct vg_model_req *r);

#endif
