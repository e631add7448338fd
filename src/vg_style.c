#include "config.h"

#include <string.h>

#include "vg_style.h"

/* kind "video": single clips; "movie": styles written for multi-scene films; "both".  The
 * movie descriptions are the ones the peer project used in its script prompts; the first six
 * video modifiers are its documented prompt enhancers.  Palettes: background gradient from
 * color_a to color_b with text_color over it, chosen to read well and to tell styles apart. */
static const struct vg_style styles[] = {
    {"cinematic", "Cinematic", "Hollywood-style dramatic cinematography",
     "Cinematic style, professional lighting, film grain, depth of field, anamorphic "
     "widescreen framing, motivated camera moves",
     "both", "0x0B1D3A", "0xC8782A", "0xF5E6C8"},
    {"realistic", "Realistic", "Photorealistic footage that looks filmed on location",
     "Photorealistic, natural lighting, high detail, lifelike textures and motion, true-to-life "
     "colour",
     "video", "0x2F4F4F", "0x8FA89B", "0xFFFFFF"},
    {"animated", "Animated", "Bright, smooth 2D/3D animation with cartoon energy",
     "Animated style, vibrant colors, smooth motion, cartoon-like shapes, clean outlines", "video",
     "0xFF6B35", "0x4ECDC4", "0xFFFFFF"},
    {"artistic", "Artistic", "A painterly, expressive interpretation of the prompt",
     "Artistic interpretation, creative lighting, stylized, expressive brushwork and bold "
     "composition",
     "video", "0x5B2A86", "0xE0A458", "0xFFF8E7"},
    {"documentary", "Documentary", "Realistic, informational visual narrative",
     "Documentary style, natural setting, authentic, informative, handheld observational camera, "
     "available light",
     "both", "0x3B3B2F", "0x9C8F6B", "0xF2F0E6"},
    {"commercial", "Commercial", "Polished product-and-brand footage",
     "Commercial quality, polished, marketing style, engaging, crisp studio lighting, hero "
     "product shots",
     "video", "0x0057B8", "0xE6F0FA", "0x0A0A0A"},
    {"abstract", "Abstract", "Non-literal shapes, colour and motion instead of a scene",
     "Abstract visuals, flowing geometric forms, fluid colour fields, rhythmic non-literal "
     "motion, no recognisable objects unless asked",
     "video", "0xD7263D", "0x1B998B", "0xF7F7F7"},
    {"vintage", "Vintage", "Old film stock: faded colour, grain and gate weave",
     "Vintage film look, 16mm grain, faded warm colours, soft vignette, slight gate weave and "
     "light leaks, period-appropriate details",
     "video", "0x704214", "0xD9B77E", "0xFFF4DC"},
    {"modern", "Modern", "Clean, minimal, contemporary look",
     "Modern minimalist aesthetic, clean lines, neutral palette with one accent colour, sharp "
     "focus, smooth gimbal motion",
     "video", "0x1E1E24", "0x6C63FF", "0xFAFAFA"},
    {"anime", "Anime", "Japanese animation style with dynamic action and emotional storytelling",
     "Japanese anime style, cel-shaded characters, expressive eyes, dynamic action lines, "
     "painted skies, dramatic emotional framing",
     "movie", "0xFF5E9C", "0x3A86FF", "0xFFFFFF"},
    {"pixar", "Pixar-like 3D", "3D animated movie with character-driven narrative and humor",
     "3D animated feature film look, appealing stylised characters, soft global illumination, "
     "rich subsurface skin, warm expressive acting and gentle humour",
     "movie", "0x2A9DF4", "0xFFD166", "0x102A43"},
    {"wes-anderson", "Wes Anderson-like",
     "Symmetrical, whimsical cinematography with quirky "
     "characters",
     "Perfectly symmetrical centred framing, pastel colour palette, flat planar staging, "
     "whip pans and dollies, deadpan quirky characters, storybook production design",
     "movie", "0xF4A7B9", "0xF6D186", "0x5D3A3A"},
    {"claymation", "Claymation", "Stop-motion clay animation with tactile, handmade aesthetics",
     "Stop-motion claymation, handmade plasticine characters with visible fingerprints, "
     "miniature sets, slightly stepped frame rate, warm practical lighting",
     "movie", "0xC1502E", "0x7FB069", "0xFFF8F0"},
    {"svankmajer", "Švankmajer-like", "Surreal, dark stop-motion with dreamlike imagery",
     "Surreal dark stop-motion in the Czech tradition, animated everyday objects, food and old "
     "dolls, uncanny close-ups, decaying textures, dreamlike unsettling logic",
     "movie", "0x1A1A1A", "0x6B0F1A", "0xE8D8C3"},
    {"advertisement", "Advertisement", "Clean, professional commercial-style presentation",
     "Clean professional advertisement, bright high-key lighting, slick product reveals, "
     "aspirational lifestyle shots, clear space for a logo or tagline",
     "movie", "0xFFFFFF", "0x00A6ED", "0x003049"},
    {"music-video", "Music video", "Dynamic, rhythm-focused visual storytelling",
     "Music video style, cuts and camera moves on the beat, bold coloured stage lighting, "
     "haze and lens flares, performance shots mixed with stylised imagery",
     "movie", "0x7209B7", "0xF72585", "0xFFFFFF"},
};

size_t vg_style_count(void)
{
	return sizeof styles / sizeof styles[0];
}

const struct vg_style *vg_style_at(size_t i)
{
	return i < vg_style_count() ? &styles[i] : NULL;
}

const struct vg_style *vg_style_find(const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < vg_style_count(); i++)
		if (strcmp(styles[i].id, id) == 0)
			return &styles[i];
	return NULL;
}
