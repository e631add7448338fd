/* GET /api/v1/providers: the enabled providers and what each model accepts and costs, from
 * the config's model tables (so a form offers only what POST /api/v1/videos takes), whether
 * enhance_prompt is available, and which planner writes a movie's scenes from a concept.
 * Built per request: the config is reloadable. */
#include "config.h"

#include <string.h>

#include "handlers.h"
#include "vg_json.h"
#include "vg_model.h"

static json_t *model_json(const struct vg_model *m)
{
	json_t *durations = json_array(), *res = json_array(), *ars = json_array();

	for (int i = 0; i < m->n_durations; i++)
		json_array_append_new(durations, json_integer(m->durations[i]));
	if (m->res_720p)
		json_array_append_new(res, json_string("720p"));
	if (m->res_1080p)
		json_array_append_new(res, json_string("1080p"));
	if (m->ar_16_9)
		json_array_append_new(ars, json_string("16:9"));
	if (m->ar_9_16)
		json_array_append_new(ars, json_string("9:16"));
	return json_pack(
	    "{s:s, s:o, s:o, s:o, s:b, s:b, s:i, s:o, s:b, s:f, s:f}", "id", m->id, "durations",
	    durations, "resolutions", res, "aspect_ratios", ars, "image", m->in_image, "last_frame",
	    m->in_last_frame, "max_reference_images", m->max_reference_images, "long_only_duration",
	    m->long_only_duration > 0 ? json_integer(m->long_only_duration) : json_null(), "audio",
	    m->audio, "price_usd_per_second", m->price_per_second, "price_usd_per_second_1080p",
	    m->price_per_second_1080p);
}

static json_t *provider_json(const char *id, const struct vg_provider_models *pm)
{
	json_t *models = json_array();

	for (int i = 0; i < pm->n; i++)
		json_array_append_new(models, model_json(&pm->models[i]));
	return json_pack("{s:s, s:s?, s:o}", "id", id, "default_model", pm->default_model, "models",
	                 models);
}

/* As POST /api/v1/videos decides (vg_video.c): enhance_prompt needs the Gemini API key. */
static bool enhance_available(const struct vg_conf *c)
{
	return c->providers_gemini_api_key && *c->providers_gemini_api_key;
}

/* movies.planner with "auto" resolved as POST /api/v1/movies does (vg_movie.c): gemini
 * when that provider is enabled with a key, else local. */
static const char *planner(const struct vg_conf *c)
{
	const char *p = c->movies_planner ? c->movies_planner : "auto";

	if (strcmp(p, "local") == 0 || strcmp(p, "gemini") == 0)
		return p;
	return c->providers_gemini_enabled && enhance_available(c) ? "gemini" : "local";
}

int h_providers_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const struct vg_conf *c = r->conf;
	json_t *items = json_array();

	(void)err;
	if (c->providers_local_enabled)
		json_array_append_new(items, provider_json("local", &c->local_models));
	if (c->providers_gemini_enabled)
		json_array_append_new(items, provider_json("gemini", &c->gemini_models));
	if (c->providers_vertex_enabled)
		json_array_append_new(items, provider_json("vertex", &c->vertex_models));

	json_t *body =
	    vg_json_own(r->a, json_pack("{s:s?, s:b, s:s, s:o}", "default", c->providers_default,
	                                "enhance_prompt", enhance_available(c), "planner",
	                                planner(c), "items", items));
	vg_resp_json(w, 200, body);
	return VG_OK;
}
