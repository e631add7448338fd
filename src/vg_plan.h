/* The movie planner: scene counts of the presets, the local planners (a script split into
 * scenes, a concept laid out as an outline of story beats), the checks on a Gemini planner
 * answer and the prompt text sent to it.  Deterministic and free of I/O, so every path is
 * unit tested; the movie job wires it to the API and the database. */
#ifndef VG_PLAN_H
#define VG_PLAN_H

#include <jansson.h>
#include <stdbool.h>

#include "vg_err.h"

#define VG_PLAN_MAX_SCENES     50
#define VG_PLAN_PROMPT_MAX     2000 /* code points of one scene prompt from the planner */
#define VG_PLAN_CAPTION_MAX    120  /* code points of a subtitle caption */
#define VG_PLAN_TITLE_WORDS    6
#define VG_PLAN_SCRIPT_MAX_LEN 200000 /* bytes; the API caps scripts at 20000 chars */

struct vg_preset {
	const char *id;
	int low, high; /* scene counts, inclusive */
};

/* The preset with this id, or NULL. */
const struct vg_preset *vg_preset_find(const char *id);

/* The number of scenes to plan: requested (0 = not given) when inside the preset's range,
 * else the preset's low end.  preset NULL or "" = no preset: 1..50, default 5 (the low end
 * of short-film, the API's default preset).  Errors (VG_EINVAL, a field error): requested
 * outside the range (field scene_count, naming the range); unknown preset (field preset). */
int vg_plan_scene_count(const char *preset, int requested, struct vg_err *err);

/* One planned scene; every string malloc'd, NULL = not set. */
struct vg_scene_plan {
	char *title;
	char *prompt; /* never NULL */
	int duration_s;
	char *camera;
	char *caption;
	char *transition; /* NULL = the movie's default transition */
};

struct vg_plan {
	struct vg_scene_plan *scenes;
	int n;
	bool outline_only; /* a bare concept planned without an LLM */
};

/* Frees every scene and zeroes the plan; safe on a zeroed or already freed plan. */
void vg_plan_free(struct vg_plan *p);

/* Splits the user's own script into exactly target_scenes scenes, without an LLM:
 * paragraphs (blank lines), then sentences; neighbours merged (the shortest adjacent pair
 * first) or the longest units split (at the sentence boundary nearest their middle, and only
 * when no unit has one left, at the word boundary nearest the middle).  Each scene: prompt =
 * its text with white space collapsed, title = its first 6 words, caption = the text cut to
 * 120 characters at a word boundary with "…", camera and transition NULL.  Errors VG_EINVAL:
 * empty or invalid UTF-8 script, target outside 1..50, fewer words than scenes. */
int vg_plan_from_script(const char *script, int target_scenes, int scene_duration_s,
                        struct vg_plan *out, struct vg_err *err);

/* A plain outline of story beats for a concept: establishing first, introduction,
 * development, rising tension, the climax near 80 %, falling action, resolution and closing
 * last (as many as n allows).  Prompts read "<beat description>: <concept>" and are all
 * distinct; titles name the beat ("Development 2"); outline_only is set.  VG_EINVAL when the
 * concept is empty or n is outside 1..50. */
int vg_plan_outline(const char *concept, int target_scenes, int scene_duration_s,
                    struct vg_plan *out);

/* Checks a Gemini planner answer {"scenes": [{title, prompt, duration_seconds, camera,
 * caption, transition}]} and copies it into *out.  Prompt is required (1..2000 characters);
 * the others may be missing or null; a wrong type is an error.  Durations not in allowed
 * (n_allowed 0 = none allowed) become scene_duration_s; an unknown transition becomes NULL;
 * scenes whose prompt repeats an earlier one are dropped; scenes beyond target_scenes are
 * dropped; fewer is an error.  Every error: VG_EINVAL, code "plan_invalid", a message naming
 * the scene and the fault.  *out is untouched on error. */
int vg_plan_from_json(const json_t *answer, int target_scenes, int scene_duration_s,
                      const int *allowed_durations, int n_allowed, struct vg_plan *out,
                      struct vg_err *err);

/* The responseSchema (Gemini's OpenAPI subset, uppercase types) for the planner request. */
const char *vg_plan_schema_json(void);

/* The user text of the planner request (malloc): exactly target_scenes scenes of
 * scene_duration_s seconds each, visual continuity between neighbours, the style when given. */
char *vg_plan_prompt(const char *concept_or_script, const char *style_modifier, int target_scenes,
                     int scene_duration_s);

/* The prompt sent to the video model for one scene (malloc), the same recipe for every scene:
 * "<prompt>. <style modifier>. Characters: a; b."  Empty parts are left out and no part ends
 * up with doubled punctuation. */
char *vg_plan_scene_prompt(const char *scene_prompt, const char *style_modifier,
                           const char *const *characters, int n_characters);

#endif
