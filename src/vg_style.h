/* The styles catalogue (GET /api/v1/styles): ids, descriptions, the prompt modifier applied
 * to every prompt of that style, and the palette the local preview provider paints with. */
#ifndef VG_STYLE_H
#define VG_STYLE_H

#include <stddef.h>

struct vg_style {
	const char *id;
	const char *name;
	const char *description;
	const char *prompt_modifier;
	const char *kind;    /* "video" | "movie" | "both" */
	const char *color_a; /* preview background gradient, "0xRRGGBB" */
	const char *color_b;
	const char *text_color;
};

const struct vg_style *vg_style_find(const char *id); /* NULL when unknown */
size_t vg_style_count(void);
const struct vg_style *vg_style_at(size_t i);

#endif
