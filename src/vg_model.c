/* The model capability table: lookups, request checks and prices. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vg_model.h"

const struct vg_model *vg_model_find(const struct vg_provider_models *pm, const char *id)
{
	if (!pm || !id)
		return NULL;
	for (int i = 0; i < pm->n; i++)
		if (strcmp(pm->models[i].id, id) == 0)
			return &pm->models[i];
	return NULL;
}

/* "4, 6 or 8" */
static void durations_text(const struct vg_model *m, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < m->n_durations && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%d",
		                      i == 0                    ? ""
		                      : i == m->n_durations - 1 ? " or "
		                                                : ", ",
		                      m->durations[i]);
}

static bool has_duration(const struct vg_model *m, int d)
{
	for (int i = 0; i < m->n_durations; i++)
		if (m->durations[i] == d)
			return true;
	return false;
}

static void check_format(const struct vg_model *m, const struct vg_model_req *r, struct vg_err *err)
{
	char list[64];

	if (!has_duration(m, r->duration_seconds)) {
		durations_text(m, list, sizeof list);
		vg_err_field(err, "duration_seconds", "%.100s makes %s s clips", m->id, list);
	}
	if (r->resolution && ((strcmp(r->resolution, "720p") == 0 && !m->res_720p) ||
	                      (strcmp(r->resolution, "1080p") == 0 && !m->res_1080p)))
		vg_err_field(err, "resolution", "%.100s makes %s video only", m->id,
		             m->res_720p ? "720p" : "1080p");
	if (r->aspect_ratio && ((strcmp(r->aspect_ratio, "16:9") == 0 && !m->ar_16_9) ||
	                        (strcmp(r->aspect_ratio, "9:16") == 0 && !m->ar_9_16)))
		vg_err_field(err, "aspect_ratio", "%.100s makes %s video only", m->id,
		             m->ar_16_9 ? "16:9" : "9:16");
}

static void check_inputs(const struct vg_model *m, const struct vg_model_req *r, struct vg_err *err)
{
	if (r->image && !m->in_image)
		vg_err_field(err, "image_id", "%.100s does not take a first frame: drop image_id",
		             m->id);
	if (r->last_frame && !m->in_last_frame)
		vg_err_field(err, "last_frame_id",
		             "%.100s does not take a last frame: drop last_frame_id", m->id);
	else if (r->last_frame && !r->image)
		vg_err_field(err, "last_frame_id",
		             "needs image_id: give the first frame too, or drop last_frame_id");
	if (r->n_reference_images > 0 && m->max_reference_images == 0)
		vg_err_field(err, "reference_image_ids", "%.100s does not take reference images",
		             m->id);
	else if (r->n_reference_images > m->max_reference_images)
		vg_err_field(err, "reference_image_ids",
		             "%.100s takes at most %d reference images; this request has %d", m->id,
		             m->max_reference_images, r->n_reference_images);
}

/* Some models make 1080p or use reference images only at one length (Veo 3.1: 8 s). */
static void check_long_only(const struct vg_model *m, const struct vg_model_req *r,
                            struct vg_err *err)
{
	bool hd = r->resolution && strcmp(r->resolution, "1080p") == 0;
	bool refs = r->n_reference_images > 0 && m->max_reference_images > 0;

	if (m->long_only_duration <= 0 || r->duration_seconds == m->long_only_duration ||
	    !has_duration(m, r->duration_seconds) || !(hd || refs))
		return;
	vg_err_field(err, "duration_seconds",
	             "%.100s makes %s only %d s long: use duration_seconds %d%s", m->id,
	             hd && refs ? "1080p video with reference images"
	             : hd       ? "1080p video"
	                        : "video with reference images",
	             m->long_only_duration, m->long_only_duration,
	             hd && !refs ? " or resolution 720p" : "");
}

int vg_model_check(const struct vg_model *m, const struct vg_model_req *r, struct vg_err *err)
{
	check_format(m, r, err);
	check_inputs(m, r, err);
	check_long_only(m, r, err);
	return err->rc;
}

double vg_model_price(const struct vg_model *m, const struct vg_model_req *r)
{
	bool hd = r->resolution && strcmp(r->resolution, "1080p") == 0;
	double per_s =
	    hd && m->price_per_second_1080p > 0 ? m->price_per_second_1080p : m->price_per_second;

	return per_s * r->duration_seconds;
}
