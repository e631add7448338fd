/* The movie planner.  Everything here is a pure function of its input, so a plan made
 * twice is the same plan, and the peer's failures (a planner answer parsed into zero or
 * duplicated scenes, scene counts never checked) are each a tested error here. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vg_arena.h"
#include "vg_buf.h"
#include "vg_plan.h"
#include "vg_str.h"

#define BUF_MAX       ((size_t)1 << 24)
#define ELLIPSIS      "\xE2\x80\xA6"
#define TITLE_MAX     100 /* code points of a scene title from the planner */
#define CAMERA_MAX    200
#define DEFAULT_COUNT 5 /* short-film's low end: the API's default preset */

static const struct vg_preset presets[] = {
    {"commercial", 3, 5}, {"short-film", 5, 10}, {"music-video", 8, 15},
    {"story", 10, 20},    {"feature", 20, 50},
};

static const char *const transitions[] = {
    "cut",       "fade",       "dissolve",   "wipeleft",    "wiperight",
    "slideleft", "slideright", "circleopen", "circleclose", NULL,
};

/* ---- presets and scene counts ---- */

const struct vg_preset *vg_preset_find(const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
		if (strcmp(presets[i].id, id) == 0)
			return &presets[i];
	return NULL;
}

int vg_plan_scene_count(const char *preset, int requested, struct vg_err *err)
{
	const struct vg_preset *p = NULL;
	int low = 1, high = VG_PLAN_MAX_SCENES, def = DEFAULT_COUNT;

	if (preset && *preset) {
		p = vg_preset_find(preset);
		if (!p)
			return vg_err_field(
			    err, "preset",
			    "unknown preset: use commercial, short-film, music-video, "
			    "story or feature");
		low = p->low;
		high = p->high;
		def = p->low;
	}
	if (requested == 0)
		return def;
	if (requested >= low && requested <= high)
		return requested;
	if (p)
		return vg_err_field(
		    err, "scene_count",
		    "must be %d to %d for the %s preset (got %d): change the count or "
		    "the preset",
		    low, high, p->id, requested);
	return vg_err_field(err, "scene_count", "must be 1 to %d (got %d)", VG_PLAN_MAX_SCENES,
	                    requested);
}

static void scene_clear(struct vg_scene_plan *s)
{
	free(s->title);
	free(s->prompt);
	free(s->camera);
	free(s->caption);
	free(s->transition);
	*s = (struct vg_scene_plan){0};
}

void vg_plan_free(struct vg_plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		scene_clear(&p->scenes[i]);
	free(p->scenes);
	p->scenes = NULL;
	p->n = 0;
	p->outline_only = false;
}

/* ---- text helpers (UTF-8: cuts fall only on ASCII bytes or code point starts) ---- */

/* Controls count as white space: the text goes to a video model and to subtitles. */
static bool is_sep(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

static size_t cp_len(unsigned char lead)
{
	return lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
}

static size_t cps_of(const char *s)
{
	return vg_str_utf8_len(s, strlen(s));
}

/* Copy with every run of white space or controls made one space, trimmed. */
static char *norm_ws(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = vg_xmalloc(n + 1);
	bool space = false;

	for (size_t i = 0; i < n; i++) {
		if (is_sep((unsigned char)s[i])) {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static char *dup_n(const char *s, size_t n)
{
	char *out = vg_xmalloc(n + 1);

	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static bool ends_with(const char *s, size_t len, const char *tail)
{
	size_t t = strlen(tail);

	return len >= t && memcmp(s + len - t, tail, t) == 0;
}

/* Length without closing quotes and brackets, so `go."` ends a sentence like `go.`. */
static size_t strip_closers(const char *s, size_t len)
{
	for (;;) {
		if (len && (s[len - 1] == '"' || s[len - 1] == '\'' || s[len - 1] == ')' ||
		            s[len - 1] == ']'))
			len--;
		else if (ends_with(s, len, "\xE2\x80\x9D") || ends_with(s, len, "\xE2\x80\x99"))
			len -= 3; /* ” ’ */
		else if (ends_with(s, len, "\xC2\xBB"))
			len -= 2; /* » */
		else
			return len;
	}
}

/* Ends with . ! ? or … (before any closing quotes). */
static bool ends_terminal(const char *s, size_t len)
{
	len = strip_closers(s, len);
	if (ends_with(s, len, ELLIPSIS))
		return true;
	return len && (s[len - 1] == '.' || s[len - 1] == '!' || s[len - 1] == '?');
}

static bool is_abbrev(const char *s, size_t len)
{
	static const char *const abbr[] = {"mr.",   "mrs.", "ms.",  "dr.",  "st.", "jr.",     "sr.",
	                                   "prof.", "vs.",  "e.g.", "i.e.", "mt.", "approx.", NULL};

	while (len && (*s == '(' || *s == '"' || *s == '\'')) {
		s++;
		len--;
	}
	if (len == 2 && isupper((unsigned char)s[0])) /* an initial: "J." */
		return true;
	for (int i = 0; abbr[i]; i++)
		if (strlen(abbr[i]) == len && strncasecmp(abbr[i], s, len) == 0)
			return true;
	return false;
}

static bool ends_sentence(const char *s, size_t len)
{
	size_t n = strip_closers(s, len);

	if (!ends_terminal(s, len))
		return false;
	return s[n - 1] != '.' || !is_abbrev(s, n);
}

/* text cut to max_cps code points at a word boundary, "…" included; text has single
 * spaces (norm_ws). */
static char *shorten(const char *text, size_t max_cps)
{
	size_t len = strlen(text), i = 0, cps = 0, cut = 0;
	char *out;

	if (vg_str_utf8_len(text, len) <= max_cps)
		return vg_xstrdup(text);
	while (i < len && cps + 1 < max_cps) {
		if (text[i] == ' ')
			cut = i;
		i += cp_len((unsigned char)text[i]);
		cps++;
	}
	if (text[i] == ' ')
		cut = i; /* the last word ends right at the limit */
	while (cut && strchr(" .,;:-", text[cut - 1]))
		cut--;
	if (cut == 0)
		cut = i; /* one word longer than the limit: cut between code points */
	out = vg_xmalloc(cut + sizeof ELLIPSIS);
	memcpy(out, text, cut);
	memcpy(out + cut, ELLIPSIS, sizeof ELLIPSIS);
	return out;
}

/* The first VG_PLAN_TITLE_WORDS words without trailing punctuation. */
static char *title_of(const char *text)
{
	size_t i = 0, words = 0, keep;

	while (text[i]) {
		if (text[i] == ' ' && ++words == VG_PLAN_TITLE_WORDS)
			break;
		i++;
	}
	keep = i;
	while (keep && strchr(".,;:!?-", text[keep - 1]))
		keep--;
	return dup_n(text, keep ? keep : i);
}

/* ---- the script planner ---- */

struct word {
	const char *s;
	size_t len, cps;
	bool sent_end, para_end;
};

struct unit {
	size_t w0, w1; /* words [w0, w1) */
	size_t cps;
};

static struct word *split_words(const char *t, size_t *nw)
{
	struct word *w = NULL;
	size_t n = 0, cap = 0;
	const char *p = t;

	for (;;) {
		int newlines = 0;
		const char *start;

		while (*p && is_sep((unsigned char)*p))
			newlines += *p++ == '\n';
		if (n && newlines >= 2)
			w[n - 1].para_end = true; /* a blank line */
		if (!*p)
			break;
		start = p;
		while (*p && !is_sep((unsigned char)*p))
			p++;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			w = vg_xrealloc(w, cap * sizeof *w);
		}
		w[n] = (struct word){.s = start, .len = (size_t)(p - start)};
		w[n].cps = vg_str_utf8_len(start, w[n].len);
		w[n].sent_end = ends_sentence(start, w[n].len);
		w[n].para_end = false;
		n++;
	}
	if (n)
		w[n - 1].sent_end = w[n - 1].para_end = true;
	*nw = n;
	return w;
}

static size_t span_cps(const struct word *w, size_t a, size_t b)
{
	size_t n = b - a - 1; /* the spaces */

	for (size_t i = a; i < b; i++)
		n += w[i].cps;
	return n;
}

static void merge_shortest(struct unit *u, size_t *nu)
{
	size_t best = 0, best_len = SIZE_MAX;

	for (size_t i = 0; i + 1 < *nu; i++) {
		size_t l = u[i].cps + 1 + u[i + 1].cps;

		if (l < best_len) {
			best_len = l;
			best = i;
		}
	}
	u[best].w1 = u[best + 1].w1;
	u[best].cps = best_len;
	memmove(&u[best + 1], &u[best + 2], (*nu - best - 2) * sizeof *u);
	(*nu)--;
}

/* Is there a cut before word k (w0 < k < w1)? */
static bool can_cut(const struct word *w, size_t k, bool sentences)
{
	return !sentences || w[k - 1].sent_end;
}

/* The cut of u nearest its middle, 0 when there is none. */
static size_t best_cut(const struct word *w, const struct unit *u, bool sentences)
{
	size_t best = 0, best_diff = SIZE_MAX, left = 0;

	for (size_t k = u->w0 + 1; k < u->w1; k++) {
		size_t diff;

		left += w[k - 1].cps + (k - 1 > u->w0);
		if (!can_cut(w, k, sentences))
			continue;
		diff = 2 * left > u->cps ? 2 * left - u->cps : u->cps - 2 * left;
		if (diff < best_diff) {
			best_diff = diff;
			best = k;
		}
	}
	return best;
}

/* Splits the longest unit that has a cut of this kind; false when none has. */
static bool split_longest(const struct word *w, struct unit *u, size_t *nu, bool sentences)
{
	size_t pick = SIZE_MAX, cut = 0;

	for (size_t i = 0; i < *nu; i++) {
		size_t k = best_cut(w, &u[i], sentences);

		if (k && (pick == SIZE_MAX || u[i].cps > u[pick].cps)) {
			pick = i;
			cut = k;
		}
	}
	if (pick == SIZE_MAX)
		return false;
	memmove(&u[pick + 2], &u[pick + 1], (*nu - pick - 1) * sizeof *u);
	u[pick + 1] = (struct unit){.w0 = cut, .w1 = u[pick].w1};
	u[pick].w1 = cut;
	u[pick].cps = span_cps(w, u[pick].w0, cut);
	u[pick + 1].cps = span_cps(w, cut, u[pick + 1].w1);
	(*nu)++;
	return true;
}

static char *join_words(const struct word *w, size_t a, size_t b)
{
	size_t n = 0, o = 0;
	char *out;

	for (size_t i = a; i < b; i++)
		n += w[i].len + 1;
	out = vg_xmalloc(n + 1);
	for (size_t i = a; i < b; i++) {
		if (i > a)
			out[o++] = ' ';
		memcpy(out + o, w[i].s, w[i].len);
		o += w[i].len;
	}
	out[o] = '\0';
	return out;
}

static void scene_from_text(struct vg_scene_plan *s, char *text, int duration_s)
{
	*s = (struct vg_scene_plan){.prompt = text, .duration_s = duration_s};
	s->title = title_of(text);
	s->caption = shorten(text, VG_PLAN_CAPTION_MAX);
}

/* Paragraph units; the array has room for max(paragraphs, target) units. */
static struct unit *paragraphs(const struct word *w, size_t nw, size_t target, size_t *nu)
{
	size_t np = 0, n = 0, w0 = 0;
	struct unit *u;

	for (size_t i = 0; i < nw; i++)
		np += w[i].para_end;
	u = vg_xmalloc((np > target ? np : target) * sizeof *u);
	for (size_t i = 0; i < nw; i++) {
		if (!w[i].para_end)
			continue;
		u[n] = (struct unit){.w0 = w0, .w1 = i + 1, .cps = span_cps(w, w0, i + 1)};
		n++;
		w0 = i + 1;
	}
	*nu = n;
	return u;
}

int vg_plan_from_script(const char *script, int target_scenes, int scene_duration_s,
                        struct vg_plan *out, struct vg_err *err)
{
	size_t len, nw, nu, target = (size_t)target_scenes;
	struct word *w;
	struct unit *u;

	if (target_scenes < 1 || target_scenes > VG_PLAN_MAX_SCENES)
		return vg_err_field(err, "scene_count", "must be 1 to %d (got %d)",
		                    VG_PLAN_MAX_SCENES, target_scenes);
	if (!script)
		script = "";
	len = strlen(script);
	if (len > VG_PLAN_SCRIPT_MAX_LEN)
		return vg_err_field(err, "script", "is longer than %d bytes: shorten it",
		                    VG_PLAN_SCRIPT_MAX_LEN);
	if (!vg_str_utf8_valid(script, len))
		return vg_err_field(err, "script", "is not valid UTF-8");
	w = split_words(script, &nw);
	if (nw < target) {
		free(w);
		if (nw == 0)
			return vg_err_field(
			    err, "script",
			    "is empty: write the text of the scenes, or give a concept");
		return vg_err_field(
		    err, "script",
		    "has %zu words, too few for %d scenes (each scene needs at least "
		    "one): write more or ask for fewer scenes",
		    nw, target_scenes);
	}
	u = paragraphs(w, nw, target, &nu);
	while (nu > target)
		merge_shortest(u, &nu);
	/* Never stuck: with fewer units than scenes, and at least as many words, some unit
	 * has two words or more. */
	while (nu < target)
		if (!split_longest(w, u, &nu, true) && !split_longest(w, u, &nu, false))
			break;
	if (nu != target) {
		free(u);
		free(w);
		return vg_err_set(err, VG_EINTERNAL, NULL, "the script could not be split");
	}
	*out = (struct vg_plan){.n = target_scenes};
	out->scenes = vg_xmalloc(target * sizeof *out->scenes);
	for (size_t i = 0; i < target; i++)
		scene_from_text(&out->scenes[i], join_words(w, u[i].w0, u[i].w1), scene_duration_s);
	free(u);
	free(w);
	return VG_OK;
}

/* ---- the outline planner ---- */

enum beat { EST, INTRO, DEV, RISE, CLIMAX, FALL, RES, CLOSE, NBEATS };

static const struct {
	const char *name;
	const char *camera;
	const char *desc[6]; /* variants, NULL-terminated when fewer than 6 */
} beats[NBEATS] = {
    [EST] = {"Establishing",
             "wide shot, slow push in",
             {"Wide establishing shot of the setting, showing the place, the time of day and "
              "the mood"}},
    [INTRO] = {"Introduction",
               "medium shot",
               {"The main subject is introduced in its world, clearly framed and well lit",
                "A closer look at the main subject and the details that define it",
                "The people, places and objects that matter come into view"}},
    [DEV] = {"Development",
             "tracking shot",
             {"The story moves forward as the main subject sets out toward a goal",
              "A new place or detail comes into view and widens the world",
              "A first obstacle appears and the main subject reacts",
              "The main subject tries a new approach and the pace quickens",
              "A quiet moment shows what is at stake",
              "An unexpected turn changes the direction of the story"}},
    [RISE] = {"Rising tension",
              "handheld, tightening close-ups",
              {"Tension rises with faster movement and tighter framing",
               "The stakes grow as the obstacle closes in",
               "Everything builds toward the decisive moment"}},
    [CLIMAX] = {"Climax",
                "dynamic camera movement, close-ups",
                {"The climax, the decisive moment at full intensity with dramatic light and "
                 "motion"}},
    [FALL] = {"Falling action",
              "slow pull back",
              {"The aftermath as the energy settles and the consequences show",
               "The main subject takes in what has changed"}},
    [RES] = {"Resolution",
             "steady medium wide shot",
             {"The resolution, calm returns and the outcome is clear"}},
    [CLOSE] = {"Closing",
               "slow pull back to a wide shot",
               {"Closing shot, a lingering final image that ends the film"}},
};

static int round_pct(int m, int pct)
{
	int v = (m * pct + 50) / 100;

	return v < 1 ? 1 : v;
}

/* The beat of every position: establishing first, resolution (closing from 7 scenes on)
 * last, the climax at round(80 %) of the way, the scenes before it split about 15 %
 * introduction, 25 % rising tension and the rest development. */
static void assign_beats(int n, enum beat *k)
{
	int tail, c, m, ni, nr;

	k[0] = EST;
	if (n == 1)
		return;
	if (n == 2) {
		k[1] = RES;
		return;
	}
	if (n >= 7) {
		k[n - 1] = CLOSE;
		k[n - 2] = RES;
		tail = n - 3;
	} else {
		k[n - 1] = RES;
		tail = n - 2;
	}
	c = (8 * (n - 1) + 5) / 10;
	if (c > tail)
		c = tail;
	k[c] = CLIMAX;
	for (int i = c + 1; i <= tail; i++)
		k[i] = FALL;
	m = c - 1;
	ni = m >= 1 ? round_pct(m, 15) : 0;
	nr = m >= 2 ? round_pct(m, 25) : 0;
	for (int i = 1; i < c; i++)
		k[i] = i <= ni ? INTRO : i >= c - nr ? RISE : DEV;
}

static int n_variants(enum beat b)
{
	int n = 0;

	while (n < 6 && beats[b].desc[n])
		n++;
	return n;
}

static void outline_scene(struct vg_scene_plan *s, enum beat b, int nth, int count,
                          const char *concept, int duration_s)
{
	int nv = n_variants(b);
	struct vg_buf buf;

	vg_buf_init(&buf, BUF_MAX);
	vg_buf_puts(&buf, beats[b].desc[(nth - 1) % nv]);
	if (count > nv) /* more scenes of this beat than wordings: number them apart */
		vg_buf_printf(&buf, ", beat %d of %d", nth, count);
	vg_buf_printf(&buf, ": %s", concept);
	*s = (struct vg_scene_plan){.prompt = buf.data, .duration_s = duration_s};
	vg_buf_init(&buf, BUF_MAX);
	vg_buf_puts(&buf, beats[b].name);
	if (count > 1)
		vg_buf_printf(&buf, " %d", nth);
	s->title = buf.data;
	s->camera = vg_xstrdup(beats[b].camera);
}

int vg_plan_outline(const char *concept, int target_scenes, int scene_duration_s,
                    struct vg_plan *out)
{
	enum beat k[VG_PLAN_MAX_SCENES];
	int count[NBEATS] = {0}, seen[NBEATS] = {0};
	char *text;

	if (!concept || target_scenes < 1 || target_scenes > VG_PLAN_MAX_SCENES)
		return VG_EINVAL;
	text = norm_ws(concept);
	if (!*text) {
		free(text);
		return VG_EINVAL;
	}
	assign_beats(target_scenes, k);
	for (int i = 0; i < target_scenes; i++)
		count[k[i]]++;
	*out = (struct vg_plan){.n = target_scenes, .outline_only = true};
	out->scenes = vg_xmalloc((size_t)target_scenes * sizeof *out->scenes);
	for (int i = 0; i < target_scenes; i++)
		outline_scene(&out->scenes[i], k[i], ++seen[k[i]], count[k[i]], text,
		              scene_duration_s);
	free(text);
	return VG_OK;
}

/* ---- the Gemini planner's answer ---- */

static int bad(struct vg_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct vg_err *err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vg_err_set(err, VG_EINVAL, "plan_invalid", "the planner's answer is unusable: %s",
	                  msg);
}

/* An optional string field, white space collapsed; NULL when missing, null or empty. */
static int opt_str(const json_t *scene, const char *key, int idx, char **out, struct vg_err *err)
{
	const json_t *v = json_object_get(scene, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return VG_OK;
	if (!json_is_string(v))
		return bad(err, "scene %d: %s must be a string", idx, key);
	*out = norm_ws(json_string_value(v));
	if (!**out) {
		free(*out);
		*out = NULL;
	}
	return VG_OK;
}

static char *cap_len(char *s, size_t max_cps)
{
	char *c;

	if (!s || cps_of(s) <= max_cps)
		return s;
	c = shorten(s, max_cps);
	free(s);
	return c;
}

static int scene_duration(const json_t *scene, int idx, int def, const int *allowed, int n_allowed,
                          int *out, struct vg_err *err)
{
	const json_t *v = json_object_get(scene, "duration_seconds");
	json_int_t d;

	*out = def;
	if (!v || json_is_null(v))
		return VG_OK;
	if (json_is_integer(v))
		d = json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) > -1e6 && json_real_value(v) < 1e6 &&
	         json_real_value(v) == (double)(json_int_t)json_real_value(v))
		d = (json_int_t)json_real_value(v); /* 8.0 */
	else
		return bad(err, "scene %d: duration_seconds must be an integer", idx);
	for (int i = 0; i < n_allowed; i++)
		if (allowed[i] == d)
			*out = (int)d;
	return VG_OK;
}

static char *transition_of(const char *t)
{
	for (int i = 0; t && transitions[i]; i++)
		if (strcasecmp(t, transitions[i]) == 0)
			return vg_xstrdup(transitions[i]);
	return NULL;
}
static int parse_scene(const json_t *j, int idx, int def_duration, const int *allowed,
                       int n_allowed, struct vg_scene_plan *s, struct vg_err *err)
{
	const json_t *prompt = json_object_get(j, "prompt");
	char *trans = NULL;
	size_t n;
	int rc;

	*s = (struct vg_scene_plan){0};
	if (!json_is_object(j))
		return bad(err, "scene %d is not an object", idx);
	if (!prompt || json_is_null(prompt))
		return bad(err, "scene %d has no prompt", idx);
	if (!json_is_string(prompt))
		return bad(err, "scene %d: prompt must be a string", idx);
	s->prompt = norm_ws(json_string_value(prompt));
	n = cps_of(s->prompt);
	if (n == 0)
		rc = bad(err, "scene %d has an empty prompt", idx);
	else if (n > VG_PLAN_PROMPT_MAX)
		rc = bad(err, "scene %d: the prompt has %zu characters, more than %d", idx, n,
		         VG_PLAN_PROMPT_MAX);
	else if ((rc = opt_str(j, "title", idx, &s->title, err)) == VG_OK &&
	         (rc = opt_str(j, "camera", idx, &s->camera, err)) == VG_OK &&
	         (rc = opt_str(j, "caption", idx, &s->caption, err)) == VG_OK &&
	         (rc = opt_str(j, "transition", idx, &trans, err)) == VG_OK)
		rc = scene_duration(j, idx, def_duration, allowed, n_allowed, &s->duration_s, err);
	if (rc != VG_OK) {
		free(trans);
		scene_clear(s);
		return rc;
	}
	s->transition = transition_of(trans);
	free(trans);
	s->title = s->title ? cap_len(s->title, TITLE_MAX) : title_of(s->prompt);
	s->camera = cap_len(s->camera, CAMERA_MAX);
	s->caption = cap_len(s->caption, VG_PLAN_CAPTION_MAX);
	return VG_OK;
}

static bool seen_prompt(const struct vg_scene_plan *s, int n, const char *prompt)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s[i].prompt, prompt) == 0)
			return true;
	return false;
}

int vg_plan_from_json(const json_t *answer, int target_scenes, int scene_duration_s,
                      const int *allowed_durations, int n_allowed, struct vg_plan *out,
                      struct vg_err *err)
{
	const json_t *arr = json_object_get(answer, "scenes");
	struct vg_plan p = {0};
	size_t total;

	if (target_scenes < 1 || target_scenes > VG_PLAN_MAX_SCENES)
		return bad(err, "%d scenes were asked for, outside 1 to %d", target_scenes,
		           VG_PLAN_MAX_SCENES);
	if (!json_is_object(answer))
		return bad(err, "it is not a JSON object");
	if (!json_is_array(arr))
		return bad(err, "it has no \"scenes\" array");
	total = json_array_size(arr);
	p.scenes = vg_xmalloc((size_t)target_scenes * sizeof *p.scenes);
	/* Scenes past the target are dropped unread: the plan is complete without them. */
	for (size_t i = 0; i < total && p.n < target_scenes; i++) {
		struct vg_scene_plan *s = &p.scenes[p.n];
		int rc = parse_scene(json_array_get(arr, i), (int)i + 1, scene_duration_s,
		                     allowed_durations, n_allowed, s, err);

		if (rc != VG_OK) {
			vg_plan_free(&p);
			return rc;
		}
		if (seen_prompt(p.scenes, p.n, s->prompt))
			scene_clear(s); /* the peer's planner repeated scenes */
		else
			p.n++;
	}
	if (p.n < target_scenes) {
		int got = p.n;

		vg_plan_free(&p);
		return bad(err, "it has %d distinct scenes (%zu in all), %d were asked for", got,
		           total, target_scenes);
	}
	*out = p;
	return VG_OK;
}

const char *vg_plan_schema_json(void)
{
	return "{\"type\": \"OBJECT\", \"properties\": {\"scenes\": {\"type\": \"ARRAY\", "
	       "\"description\": \"The scenes in story order.\", \"items\": {\"type\": \"OBJECT\", "
	       "\"properties\": {"
	       "\"title\": {\"type\": \"STRING\", \"description\": \"A short title, at most 6 "
	       "words.\"}, "
	       "\"prompt\": {\"type\": \"STRING\", \"description\": \"What the camera sees in this "
	       "one continuous shot: subject, action, setting, light and mood. At most 2000 "
	       "characters.\"}, "
	       "\"duration_seconds\": {\"type\": \"INTEGER\", \"description\": \"The length of "
	       "the scene in seconds.\"}, "
	       "\"camera\": {\"type\": \"STRING\", \"description\": \"The camera work, such as "
	       "slow dolly in.\"}, "
	       "\"caption\": {\"type\": \"STRING\", \"description\": \"One subtitle line, at most "
	       "120 characters.\"}, "
	       "\"transition\": {\"type\": \"STRING\", \"enum\": [\"cut\", \"fade\", "
	       "\"dissolve\", \"wipeleft\", \"wiperight\", \"slideleft\", \"slideright\", "
	       "\"circleopen\", \"circleclose\"], \"description\": \"The transition from the "
	       "scene before into this one.\"}}, "
	       "\"required\": [\"title\", \"prompt\", \"duration_seconds\"], "
	       "\"propertyOrdering\": [\"title\", \"prompt\", \"duration_seconds\", \"camera\", "
	       "\"caption\", \"transition\"]}}}, "
	       "\"required\": [\"scenes\"]}";
}

char *vg_plan_prompt(const char *concept_or_script, const char *style_modifier, int target_scenes,
                     int scene_duration_s)
{
	const char *s = target_scenes == 1 ? "" : "s";
	char *text = norm_ws(concept_or_script ? concept_or_script : "");
	char *style = norm_ws(style_modifier ? style_modifier : "");
	struct vg_buf b;

	vg_buf_init(&b, BUF_MAX);
	vg_buf_printf(&b,
	              "Plan a short film for a video generation model: exactly %d scene%s, each "
	              "one continuous shot of %d seconds.\n\n",
	              target_scenes, s, scene_duration_s);
	vg_buf_printf(&b, "The idea or script to film:\n%s\n\n", text);
	if (*style)
		vg_buf_printf(&b,
		              "Visual style of the whole film: %s\n(The style is added to every "
		              "prompt afterwards: do not repeat it.)\n\n",
		              style);
	vg_buf_printf(
	    &b,
	    "Rules:\n"
	    "- Answer with JSON that follows the schema: {\"scenes\": [...]} with exactly %d "
	    "scene%s in story order, no more, no fewer, none repeated.\n"
	    "- prompt: what the camera sees during the %d seconds: the subject, the action, the "
	    "setting, the light and the mood, in plain visual language. No dialogue, no scene "
	    "numbers, no cuts inside a scene.\n"
	    "- Keep visual continuity between neighbouring scenes: the same characters with the "
	    "same looks and clothes, the same places, colours and time of day unless the story "
	    "changes them; each scene begins where the one before it ends.\n"
	    "- Each scene is generated on its own: describe recurring characters and places fully "
	    "in every prompt.\n"
	    "- duration_seconds: %d for every scene.\n"
	    "- title: at most 6 words. caption: one subtitle line of at most 120 characters. "
	    "camera: the camera work, such as \"slow dolly in\". transition: cut unless fade, "
	    "dissolve, wipeleft, wiperight, slideleft, slideright, circleopen or circleclose "
	    "serves the story better.\n",
	    target_scenes, s, scene_duration_s, scene_duration_s);
	free(text);
	free(style);
	return b.data;
}

/* Appends one part as a sentence: trailing commas and colons dropped, a full stop added
 * unless the part already ends one. */
static void put_sentence(struct vg_buf *b, const char *raw, const char *prefix)
{
	char *s = norm_ws(raw ? raw : "");
	size_t len = strlen(s);

	while (len && strchr(",;:", s[len - 1]))
		len--;
	if (len) {
		if (b->len)
			vg_buf_puts(b, " ");
		vg_buf_puts(b, prefix);
		vg_buf_append(b, s, len);
		if (!ends_terminal(s, len))
			vg_buf_puts(b, ".");
	}
	free(s);
}

char *vg_plan_scene_prompt(const char *scene_prompt, const char *style_modifier,
                           const char *const *characters, int n_characters)
{
	struct vg_buf b, chars;

	vg_buf_init(&b, BUF_MAX);
	vg_buf_init(&chars, BUF_MAX);
	put_sentence(&b, scene_prompt, "");
	put_sentence(&b, style_modifier, "");
	for (int i = 0; characters && i < n_characters; i++) {
		char *c = norm_ws(characters[i] ? characters[i] : "");
		size_t len = strlen(c);

		/* Inner full stops would end the list early: "a tall man." → "a tall man". */
		while (len && strchr(".,;:", c[len - 1]))
			len--;
		if (len) {
			if (chars.len)
				vg_buf_puts(&chars, "; ");
			vg_buf_append(&chars, c, len);
		}
		free(c);
	}
	if (chars.len)
		put_sentence(&b, chars.data, "Characters: ");
	vg_buf_free(&chars);
	return b.data ? b.data : vg_xstrdup("");
}
