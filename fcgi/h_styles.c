/* GET /api/v1/styles: the catalogue, built once per responder (it never changes). */
#include "config.h"

#include "fcgi_http.h"
#include "handlers.h"
#include "vg_style.h"

static json_t *catalogue;

int h_styles_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	if (!catalogue) {
		json_t *items = json_array();
		for (size_t i = 0; i < vg_style_count(); i++) {
			const struct vg_style *s = vg_style_at(i);
			json_array_append_new(items,
			                      json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", s->id,
			                                "name", s->name, "description",
			                                s->description, "prompt_modifier",
			                                s->prompt_modifier, "kind", s->kind));
		}
		catalogue = json_pack("{s:o}", "items", items);
	}
	vg_resp_json(w, 200, catalogue);
	vg_resp_header(w, "Cache-Control", "public, max-age=300");
	return VG_OK;
}
