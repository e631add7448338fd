/* The movie planner: preset scene counts, the script splitter (merge and split paths,
 * determinism, UTF-8), the beat outline, the checks on a Gemini answer, the schema and
 * the prompt texts. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"
#include "vg_plan.h"
#include "vg_str.h"

#define ELL "\xE2\x80\xA6"

static struct vg_err err;

static const char script5[] =
    "The sun rises over a quiet harbour. Gulls circle the masts of the fishing boats.\n"
    "\n"
    "A girl in a yellow coat runs down the pier! She stops at the very end.\n"
    "  \n"
    "She finds a bottle with a note inside. The ink is old and faded. She reads it twice, "
    "slowly.\n"
    "\n\n"
    "Dr. Marsh, the lighthouse keeper, watches from his window. He smiles.\n"
    "\n"
    "At dusk she rows out past the lighthouse. The note is in her pocket. The open sea "
    "waits.";

/* The script with white space collapsed: what the prompts joined must give back. */
static char *collapse(const char *s)
{
	char *out = malloc(strlen(s) + 1);
	size_t o = 0;
	int space = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	for (; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\t') {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = *s;
	}
	out[o] = '\0';
	return out;
}

static size_t cps(const char *s)
{
	return vg_str_utf8_len(s, strlen(s));
}

static int words(const char *s)
{
	int n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == ' ';
	return n;
}

static int plan_script(const char *script, int n, struct vg_plan *p)
{
	vg_err_clear(&err);
	memset(p, 0, sizeof *p);
	return vg_plan_from_script(script, n, 8, p, &err);
}

/* ---- scene counts ---- */

static void test_presets(void)
{
	static const struct {
		const char *id;
		int low, high;
	} want[] = {{"commercial", 3, 5},
	            {"short-film", 5, 10},
	            {"music-video", 8, 15},
	            {"story", 10, 20},
	            {"feature", 20, 50}};

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct vg_preset *p = vg_preset_find(want[i].id);
		char range[32];

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_STRING_EQUAL(p->id, want[i].id);
		CU_ASSERT_EQUAL(p->low, want[i].low);
		CU_ASSERT_EQUAL(p->high, want[i].high);
		vg_err_clear(&err);
		CU_ASSERT_EQUAL(vg_plan_scene_count(want[i].id, 0, &err), want[i].low);
		CU_ASSERT_EQUAL(vg_plan_scene_count(want[i].id, want[i].low, &err), want[i].low);
		CU_ASSERT_EQUAL(vg_plan_scene_count(want[i].id, want[i].high, &err), want[i].high);
		CU_ASSERT_EQUAL(vg_plan_scene_count(want[i].id, want[i].low + 1, &err),
		                want[i].low + 1);
		CU_ASSERT_EQUAL(err.rc, VG_OK);
		snprintf(range, sizeof range, "%d to %d", want[i].low, want[i].high);
		CU_ASSERT_EQUAL(vg_plan_scene_count(want[i].id, want[i].low - 1, &err), VG_EINVAL);
		CU_ASSERT_EQUAL(err.nfields, 1);
		CU_ASSERT_STRING_EQUAL(err.fields[0].field, "scene_count");
		CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].message, range));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].message, want[i].id));
		vg_err_clear(&err);
		CU_ASSERT_EQUAL(vg_plan_scene_count(want[i].id, want[i].high + 1, &err), VG_EINVAL);
		CU_ASSERT_EQUAL(vg_err_http_status(err.rc), 422);
		CU_ASSERT_STRING_EQUAL(err.fields[0].field, "scene_count");
	}
	CU_ASSERT_PTR_NULL(vg_preset_find("trailer"));
	CU_ASSERT_PTR_NULL(vg_preset_find(NULL));
	CU_ASSERT_PTR_NULL(vg_preset_find("Story")); /* ids are exact */
}

static void test_count_no_preset(void)
{
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_plan_scene_count(NULL, 0, &err), 5);
	CU_ASSERT_EQUAL(vg_plan_scene_count("", 0, &err), 5);
	CU_ASSERT_EQUAL(vg_plan_scene_count(NULL, 1, &err), 1);
	CU_ASSERT_EQUAL(vg_plan_scene_count(NULL, 50, &err), 50);
	CU_ASSERT_EQUAL(vg_plan_scene_count(NULL, 37, &err), 37);
	CU_ASSERT_EQUAL(err.rc, VG_OK);
	CU_ASSERT_EQUAL(vg_plan_scene_count(NULL, 51, &err), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].message, "1 to 50"));
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_plan_scene_count(NULL, -3, &err), VG_EINVAL);
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_plan_scene_count("trailer", 4, &err), VG_EINVAL);
	CU_ASSERT_STRING_EQUAL(err.fields[0].field, "preset");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].message, "short-film"));
}

/* ---- the script planner ---- */

/* Every count 1..20: the scenes cover the script in order, word for word. */
static void test_script_counts(void)
{
	char *all = collapse(script5);

	for (int n = 1; n <= 20; n++) {
		struct vg_plan p;
		size_t len = 0;
		char *joined;

		CU_ASSERT_EQUAL_FATAL(plan_script(script5, n, &p), VG_OK);
		CU_ASSERT_EQUAL_FATAL(p.n, n);
		CU_ASSERT_FALSE(p.outline_only);
		for (int i = 0; i < n; i++)
			len += strlen(p.scenes[i].prompt) + 1;
		joined = calloc(1, len + 1);
		for (int i = 0; i < n; i++) {
			const struct vg_scene_plan *s = &p.scenes[i];

			CU_ASSERT_TRUE(strlen(s->prompt) > 0);
			CU_ASSERT_TRUE(s->prompt[0] != ' ' &&
			               s->prompt[strlen(s->prompt) - 1] != ' ');
			CU_ASSERT_EQUAL(s->duration_s, 8);
			CU_ASSERT_PTR_NULL(s->camera);
			CU_ASSERT_PTR_NULL(s->transition);
			CU_ASSERT_PTR_NOT_NULL_FATAL(s->title);
			CU_ASSERT_TRUE(words(s->title) >= 1 && words(s->title) <= 6);
			CU_ASSERT_EQUAL(strncmp(s->prompt, s->title, strlen(s->title)), 0);
			CU_ASSERT_PTR_NOT_NULL_FATAL(s->caption);
			CU_ASSERT_TRUE(cps(s->caption) <= 120);
			if (i)
				strncat(joined, " ", len - strlen(joined));
			strncat(joined, s->prompt, len - strlen(joined));
		}
		CU_ASSERT_STRING_EQUAL(joined, all);
		free(joined);
		vg_plan_free(&p);
		CU_ASSERT_PTR_NULL(p.scenes);
		CU_ASSERT_EQUAL(p.n, 0);
	}
	free(all);
}

/* Five paragraphs and five scenes: one paragraph each; four: the shortest pair joined. */
static void test_script_paragraphs(void)
{
	struct vg_plan p;

	CU_ASSERT_EQUAL_FATAL(plan_script(script5, 5, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt,
	                       "The sun rises over a quiet harbour. Gulls circle "
	                       "the masts of the fishing boats.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt,
	                       "A girl in a yellow coat runs down the pier! She stops at the very "
	                       "end.");
	/* "Dr." is not the end of a sentence, and a blank line with spaces is still blank. */
	CU_ASSERT_STRING_EQUAL(p.scenes[3].prompt,
	                       "Dr. Marsh, the lighthouse keeper, watches from his window. He "
	                       "smiles.");
	CU_ASSERT_STRING_EQUAL(p.scenes[0].title, "The sun rises over a quiet");
	CU_ASSERT_STRING_EQUAL(p.scenes[3].title, "Dr. Marsh, the lighthouse keeper, watches");
	CU_ASSERT_STRING_EQUAL(p.scenes[0].caption, p.scenes[0].prompt); /* short: as is */
	vg_plan_free(&p);
}

static void test_script_merge(void)
{
	static const char s[] =
	    "one two three four five six.\n\nseven.\n\neight nine ten eleven.\n\ntwelve thirteen.";
	struct vg_plan p;

	/* Lengths 28, 6, 22, 16: the pair (6, 22) is the shortest. */
	CU_ASSERT_EQUAL_FATAL(plan_script(s, 3, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "one two three four five six.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "seven. eight nine ten eleven.");
	CU_ASSERT_STRING_EQUAL(p.scenes[2].prompt, "twelve thirteen.");
	vg_plan_free(&p);
	/* Then 28, 29, 16: (29, 16) is. */
	CU_ASSERT_EQUAL_FATAL(plan_script(s, 2, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "one two three four five six.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt,
	                       "seven. eight nine ten eleven. twelve thirteen.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].title, "seven. eight nine ten eleven. twelve");
	vg_plan_free(&p);
	/* Equal pairs: the first is merged. */
	CU_ASSERT_EQUAL_FATAL(plan_script("a.\n\nb.\n\nc.", 2, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "a. b.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "c.");
	vg_plan_free(&p);
	/* A single line break is not a paragraph break (else the pair would be 6 + 8). */
	CU_ASSERT_EQUAL_FATAL(plan_script("Alpha beta gamma.\nDelta.\n\nEpsilon.", 2, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "Alpha beta gamma. Delta.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "Epsilon.");
	vg_plan_free(&p);
}

static void test_script_split(void)
{
	static const char s[] = "Alpha beta. Gamma delta epsilon zeta eta theta iota. Kappa.";
	static const char abbr[] = "Dr. Smith waves. Mr. Jones nods.";
	struct vg_plan p;

	/* Sentence cuts 11 and 52 characters into 59: the first is nearer the middle. */
	CU_ASSERT_EQUAL_FATAL(plan_script(s, 2, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "Alpha beta.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt,
	                       "Gamma delta epsilon zeta eta theta iota. Kappa.");
	vg_plan_free(&p);
	CU_ASSERT_EQUAL_FATAL(plan_script(s, 3, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "Alpha beta.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "Gamma delta epsilon zeta eta theta iota.");
	CU_ASSERT_STRING_EQUAL(p.scenes[2].prompt, "Kappa.");
	vg_plan_free(&p);
	/* No sentence cut left: the longest unit splits at the word nearest its middle. */
	CU_ASSERT_EQUAL_FATAL(plan_script(s, 4, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "Gamma delta epsilon");
	CU_ASSERT_STRING_EQUAL(p.scenes[2].prompt, "zeta eta theta iota.");
	CU_ASSERT_STRING_EQUAL(p.scenes[3].prompt, "Kappa.");
	vg_plan_free(&p);
	/* Abbreviations do not end sentences. */
	CU_ASSERT_EQUAL_FATAL(plan_script(abbr, 2, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "Dr. Smith waves.");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "Mr. Jones nods.");
	vg_plan_free(&p);
	CU_ASSERT_EQUAL_FATAL(plan_script(abbr, 3, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "Dr. Smith");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "waves.");
	vg_plan_free(&p);
	/* Initials do not end sentences either. */
	CU_ASSERT_EQUAL_FATAL(plan_script("J. Smith walks. He waves.", 3, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "J. Smith");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "walks.");
	vg_plan_free(&p);
	/* Ties go to the first cut: 2 and 4 characters into 6 are as near the middle. */
	CU_ASSERT_EQUAL_FATAL(plan_script("aa b c", 2, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "aa");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "b c");
	vg_plan_free(&p);
	/* ? and ! end sentences, also before a closing quote. */
	CU_ASSERT_EQUAL_FATAL(plan_script("\"Who is there?\" she asks. Run! Now", 3, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "\"Who is there?\"");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "she asks.");
	CU_ASSERT_STRING_EQUAL(p.scenes[2].prompt, "Run! Now");
	vg_plan_free(&p);
}

static void assert_same(const struct vg_plan *a, const struct vg_plan *b)
{
	CU_ASSERT_EQUAL_FATAL(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		CU_ASSERT_STRING_EQUAL(a->scenes[i].prompt, b->scenes[i].prompt);
		CU_ASSERT_STRING_EQUAL(a->scenes[i].title, b->scenes[i].title);
		CU_ASSERT_TRUE(vg_str_eq(a->scenes[i].caption, b->scenes[i].caption));
		CU_ASSERT_TRUE(vg_str_eq(a->scenes[i].camera, b->scenes[i].camera));
		CU_ASSERT_EQUAL(a->scenes[i].duration_s, b->scenes[i].duration_s);
	}
}

static void test_script_deterministic(void)
{
	for (int n = 1; n <= 20; n += 3) {
		struct vg_plan a, b;

		CU_ASSERT_EQUAL_FATAL(plan_script(script5, n, &a), VG_OK);
		CU_ASSERT_EQUAL_FATAL(plan_script(script5, n, &b), VG_OK);
		assert_same(&a, &b);
		vg_plan_free(&a);
		vg_plan_free(&b);
	}
}

static void test_script_caption(void)
{
	char s[512] = "";
	struct vg_plan p;

	for (int i = 1; i <= 30; i++) {
		char w[16];

		snprintf(w, sizeof w, "%sword%02d", i > 1 ? " " : "", i);
		strncat(s, w, sizeof s - strlen(s) - 1);
	}
	/* 17 words of 6 are 118 characters; an 18th would pass 119 + "…". */
	CU_ASSERT_EQUAL_FATAL(plan_script(s, 1, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].caption,
	                       "word01 word02 word03 word04 word05 word06 word07 word08 word09 "
	                       "word10 word11 word12 word13 word14 word15 word16 word17" ELL);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].title, "word01 word02 word03 word04 word05 word06");
	vg_plan_free(&p);
}

static void test_script_utf8(void)
{
	/* 🎬 is 4 bytes, é 2: both on every side of each limit. */
	static const char film[] = "\xF0\x9F\x8E\xAC";
	char s[4096] = "", big[2048] = "";
	struct vg_plan p;

	for (int i = 0; i < 40; i++)
		strncat(s,
		        i % 3 ? "caf\xC3\xA9 cr\xC3\xA8me " : "\xF0\x9F\x8E\xAC\xC3\xA9t\xC3\xA9. ",
		        sizeof s - strlen(s) - 1);
	for (int n = 1; n <= 20; n++) {
		CU_ASSERT_EQUAL_FATAL(plan_script(s, n, &p), VG_OK);
		for (int i = 0; i < p.n; i++) {
			const struct vg_scene_plan *sc = &p.scenes[i];

			CU_ASSERT_TRUE(vg_str_utf8_valid(sc->prompt, strlen(sc->prompt)));
			CU_ASSERT_TRUE(vg_str_utf8_valid(sc->title, strlen(sc->title)));
			CU_ASSERT_TRUE(vg_str_utf8_valid(sc->caption, strlen(sc->caption)));
			CU_ASSERT_TRUE(cps(sc->caption) <= 120);
		}
		vg_plan_free(&p);
	}
	/* One long word: the caption is cut between code points, never inside one. */
	for (int i = 0; i < 130; i++)
		strncat(big, i % 2 ? film : "\xC3\xA9", sizeof big - strlen(big) - 1);
	CU_ASSERT_EQUAL_FATAL(plan_script(big, 1, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, big);
	CU_ASSERT_TRUE(vg_str_utf8_valid(p.scenes[0].caption, strlen(p.scenes[0].caption)));
	CU_ASSERT_EQUAL(cps(p.scenes[0].caption), 120);
	CU_ASSERT_EQUAL(strncmp(p.scenes[0].caption, big, strlen(p.scenes[0].caption) - 3), 0);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].caption + strlen(p.scenes[0].caption) - 3, ELL);
	vg_plan_free(&p);
	/* Invalid UTF-8 is refused, not cut. */
	CU_ASSERT_EQUAL(plan_script("caf\xC3 au lait", 1, &p), VG_EINVAL);
	CU_ASSERT_STRING_EQUAL(err.fields[0].field, "script");
}

static void test_script_errors(void)
{
	struct vg_plan p;

	CU_ASSERT_EQUAL(plan_script("Just three words.", 4, &p), VG_EINVAL);
	CU_ASSERT_EQUAL(vg_err_http_status(err.rc), 422);
	CU_ASSERT_STRING_EQUAL(err.fields[0].field, "script");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].message, "3 words"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].message, "4 scenes"));
	CU_ASSERT_PTR_NULL(p.scenes);
	CU_ASSERT_EQUAL(plan_script("Just three words.", 3, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[2].prompt, "words.");
	vg_plan_free(&p);
	CU_ASSERT_EQUAL(plan_script(" \n\n \t", 1, &p), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.fields[0].message, "empty"));
	CU_ASSERT_EQUAL(plan_script(NULL, 1, &p), VG_EINVAL);
	CU_ASSERT_EQUAL(plan_script(script5, 0, &p), VG_EINVAL);
	CU_ASSERT_STRING_EQUAL(err.fields[0].field, "scene_count");
	CU_ASSERT_EQUAL(plan_script(script5, 51, &p), VG_EINVAL);
}

/* ---- the outline ---- */

static int beat_rank(const char *title)
{
	static const char *const order[] = {"Establishing",   "Introduction", "Development",
	                                    "Rising tension", "Climax",       "Falling action",
	                                    "Resolution",     "Closing"};

	for (int i = 0; i < 8; i++)
		if (strncmp(title, order[i], strlen(order[i])) == 0)
			return i;
	return -1;
}

static int climax_at(const struct vg_plan *p)
{
	int at = -1;

	for (int i = 0; i < p->n; i++)
		if (strcmp(p->scenes[i].title, "Climax") == 0) {
			CU_ASSERT_EQUAL(at, -1); /* only one */
			at = i;
		}
	return at;
}

static void check_outline(int n, const char *concept_norm, struct vg_plan *p)
{
	size_t cl = strlen(concept_norm);

	CU_ASSERT_EQUAL_FATAL(p->n, n);
	CU_ASSERT_TRUE(p->outline_only);
	CU_ASSERT_STRING_EQUAL(p->scenes[0].title, "Establishing");
	if (n >= 2)
		CU_ASSERT_TRUE(beat_rank(p->scenes[n - 1].title) >= 6);
	for (int i = 0; i < n; i++) {
		const struct vg_scene_plan *s = &p->scenes[i];
		size_t pl = strlen(s->prompt);

		CU_ASSERT_TRUE(beat_rank(s->title) >= 0);
		if (i)
			CU_ASSERT_TRUE(beat_rank(s->title) >= beat_rank(p->scenes[i - 1].title));
		CU_ASSERT_TRUE(pl > cl + 2);
		CU_ASSERT_STRING_EQUAL(s->prompt + pl - cl, concept_norm);
		CU_ASSERT_EQUAL(strncmp(s->prompt + pl - cl - 2, ": ", 2), 0);
		CU_ASSERT_EQUAL(s->duration_s, 6);
		CU_ASSERT_PTR_NOT_NULL(s->camera);
		CU_ASSERT_PTR_NULL(s->transition);
		for (int j = 0; j < i; j++)
			CU_ASSERT_STRING_NOT_EQUAL(s->prompt, p->scenes[j].prompt);
	}
}

static void test_outline(void)
{
	static const struct {
		int n, climax;
		const char *last;
	} want[] = {{1, -1, "Establishing"},
	            {3, 1, "Resolution"},
	            {5, 3, "Resolution"},
	            {10, 7, "Closing"},
	            {50, 39, "Closing"}};

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct vg_plan p;

		memset(&p, 0, sizeof p);
		CU_ASSERT_EQUAL_FATAL(
		    vg_plan_outline("a fox crosses a frozen lake", want[i].n, 6, &p), VG_OK);
		check_outline(want[i].n, "a fox crosses a frozen lake", &p);
		CU_ASSERT_EQUAL(climax_at(&p), want[i].climax);
		CU_ASSERT_STRING_EQUAL(p.scenes[want[i].n - 1].title, want[i].last);
		vg_plan_free(&p);
	}
}

static void test_outline_every_n(void)
{
	for (int n = 1; n <= 50; n++) {
		struct vg_plan p;
		int c;

		CU_ASSERT_EQUAL_FATAL(vg_plan_outline("  a fox\n crosses   the lake ", n, 6, &p),
		                      VG_OK);
		check_outline(n, "a fox crosses the lake", &p);
		c = climax_at(&p);
		if (n >= 3) {
			/* Near 80 % of the way, never first or last. */
			CU_ASSERT_TRUE(c > 0 && c < n - 1);
			if (n >= 8)
				CU_ASSERT_TRUE(c * 100 >= 70 * (n - 1) && c * 100 <= 85 * (n - 1));
		} else {
			CU_ASSERT_EQUAL(c, -1);
		}
		if (n >= 7)
			CU_ASSERT_STRING_EQUAL(p.scenes[n - 1].title, "Closing");
		vg_plan_free(&p);
	}
}

static void test_outline_wording(void)
{
	struct vg_plan p;

	CU_ASSERT_EQUAL_FATAL(vg_plan_outline("a fox", 10, 8, &p), VG_OK);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt,
	                       "Wide establishing shot of the setting, showing the place, the time "
	                       "of day and the mood: a fox");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].title, "Introduction");
	CU_ASSERT_STRING_EQUAL(p.scenes[2].title, "Development 1");
	CU_ASSERT_STRING_EQUAL(p.scenes[4].title, "Development 3");
	CU_ASSERT_STRING_EQUAL(p.scenes[5].title, "Rising tension 1");
	CU_ASSERT_STRING_EQUAL(p.scenes[8].title, "Resolution");
	vg_plan_free(&p);
	CU_ASSERT_EQUAL(vg_plan_outline("  \n ", 3, 8, &p), VG_EINVAL);
	CU_ASSERT_EQUAL(vg_plan_outline(NULL, 3, 8, &p), VG_EINVAL);
	CU_ASSERT_EQUAL(vg_plan_outline("a fox", 0, 8, &p), VG_EINVAL);
	CU_ASSERT_EQUAL(vg_plan_outline("a fox", 51, 8, &p), VG_EINVAL);
}

/* ---- the Gemini answer ---- */

static const int allowed[] = {4, 6, 8};

static int from_json(const char *text, int n, struct vg_plan *p)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	vg_err_clear(&err);
	*p = (struct vg_plan){.n = -7}; /* must stay as is on error */
	rc = vg_plan_from_json(v, n, 8, allowed, 3, p, &err);
	json_decref(v);
	if (rc != VG_OK) {
		CU_ASSERT_EQUAL(rc, VG_EINVAL);
		CU_ASSERT_STRING_EQUAL(err.code, "plan_invalid");
		CU_ASSERT_EQUAL(p->n, -7);
		CU_ASSERT_PTR_NULL(p->scenes);
	}
	return rc;
}

static void expect_bad(const char *text, int n, const char *msg_part)
{
	struct vg_plan p;

	CU_ASSERT_EQUAL(from_json(text, n, &p), VG_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, msg_part));
	if (!strstr(err.msg, msg_part))
		fprintf(stderr, "\n  message: %s\n  wanted: %s\n", err.msg, msg_part);
}

static void test_json_good(void)
{
	struct vg_plan p;

	CU_ASSERT_EQUAL_FATAL(
	    from_json(
	        "{\"scenes\": ["
	        "{\"title\": \"Dawn\", \"prompt\": \"A harbour at dawn,\\n gulls\", "
	        "\"duration_seconds\": 6, \"camera\": \"slow pan\", \"caption\": \"Morning\", "
	        "\"transition\": \"fade\"},"
	        "{\"title\": null, \"prompt\": \"A girl runs down the long wooden pier\", "
	        "\"duration_seconds\": 8.0, \"transition\": \"Dissolve\"},"
	        "{\"prompt\": \"The sea\", \"duration_seconds\": 5, \"transition\": "
	        "\"explode\", \"camera\": \"\", \"extra\": 1}]}",
	        3, &p),
	    VG_OK);
	CU_ASSERT_EQUAL_FATAL(p.n, 3);
	CU_ASSERT_FALSE(p.outline_only);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].title, "Dawn");
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "A harbour at dawn, gulls");
	CU_ASSERT_EQUAL(p.scenes[0].duration_s, 6);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].camera, "slow pan");
	CU_ASSERT_STRING_EQUAL(p.scenes[0].caption, "Morning");
	CU_ASSERT_STRING_EQUAL(p.scenes[0].transition, "fade");
	/* A missing title comes from the prompt; 8.0 is 8; transitions are canonical. */
	CU_ASSERT_STRING_EQUAL(p.scenes[1].title, "A girl runs down the long");
	CU_ASSERT_EQUAL(p.scenes[1].duration_s, 8);
	CU_ASSERT_STRING_EQUAL(p.scenes[1].transition, "dissolve");
	CU_ASSERT_PTR_NULL(p.scenes[1].camera);
	CU_ASSERT_PTR_NULL(p.scenes[1].caption);
	/* 5 s is not allowed: the movie's length; an unknown transition: the default. */
	CU_ASSERT_EQUAL(p.scenes[2].duration_s, 8);
	CU_ASSERT_PTR_NULL(p.scenes[2].transition);
	CU_ASSERT_PTR_NULL(p.scenes[2].camera);
	vg_plan_free(&p);
}

static void test_json_types(void)
{
	expect_bad("[]", 1, "not a JSON object");
	expect_bad("{\"shots\": []}", 1, "no \"scenes\" array");
	expect_bad("{\"scenes\": {}}", 1, "no \"scenes\" array");
	expect_bad("{\"scenes\": [\"a fox\"]}", 1, "scene 1 is not an object");
	expect_bad("{\"scenes\": [{\"prompt\": \"a\"}, {\"prompt\": 7}]}", 2,
	           "scene 2: prompt must be a string");
	expect_bad("{\"scenes\": [{\"title\": \"x\"}]}", 1, "scene 1 has no prompt");
	expect_bad("{\"scenes\": [{\"prompt\": \" \\n \"}]}", 1, "scene 1 has an empty prompt");
	expect_bad("{\"scenes\": [{\"prompt\": \"a\", \"title\": 5}]}", 1,
	           "scene 1: title must be a string");
	expect_bad("{\"scenes\": [{\"prompt\": \"a\", \"camera\": []}]}", 1,
	           "scene 1: camera must be a string");
	expect_bad("{\"scenes\": [{\"prompt\": \"a\", \"caption\": true}]}", 1,
	           "scene 1: caption must be a string");
	expect_bad("{\"scenes\": [{\"prompt\": \"a\", \"transition\": 1}]}", 1,
	           "scene 1: transition must be a string");
	expect_bad("{\"scenes\": [{\"prompt\": \"a\", \"duration_seconds\": \"8\"}]}", 1,
	           "scene 1: duration_seconds must be an integer");
	expect_bad("{\"scenes\": [{\"prompt\": \"a\", \"duration_seconds\": 7.5}]}", 1,
	           "duration_seconds must be an integer");
	expect_bad("{\"scenes\": [{\"prompt\": \"a\"}]}", 0, "0 scenes were asked for");
}

static void test_json_prompt_length(void)
{
	/* 2000 é are 2000 characters (4000 bytes): allowed; 2001 are not. */
	char *text = malloc(4200);
	struct vg_plan p;
	size_t o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	o = (size_t)snprintf(text, 4200, "{\"scenes\": [{\"prompt\": \"");
	for (int i = 0; i < 2000; i++) {
		memcpy(text + o, "\xC3\xA9", 2);
		o += 2;
	}
	snprintf(text + o, 4200 - o, "\"}]}");
	CU_ASSERT_EQUAL_FATAL(from_json(text, 1, &p), VG_OK);
	CU_ASSERT_EQUAL(cps(p.scenes[0].prompt), 2000);
	vg_plan_free(&p);
	snprintf(text + o, 4200 - o, "\\u00e9\"}]}");
	expect_bad(text, 1, "2001 characters");
	free(text);
}

static void test_json_counts(void)
{
	static const char five[] =
	    "{\"scenes\": [{\"prompt\": \"one\"}, {\"prompt\": \"two\"}, "
	    "{\"prompt\": \"three\"}, {\"prompt\": \"four\"}, {\"prompt\": 5}]}";
	struct vg_plan p;

	/* More than asked: the first ones kept, the rest dropped unread. */
	CU_ASSERT_EQUAL_FATAL(from_json(five, 3, &p), VG_OK);
	CU_ASSERT_EQUAL(p.n, 3);
	CU_ASSERT_STRING_EQUAL(p.scenes[2].prompt, "three");
	vg_plan_free(&p);
	/* Fewer: an error, never a half plan. */
	expect_bad("{\"scenes\": [{\"prompt\": \"one\"}, {\"prompt\": \"two\"}]}", 3,
	           "it has 2 distinct scenes (2 in all), 3 were asked for");
	expect_bad("{\"scenes\": []}", 1, "it has 0 distinct scenes");
	/* The peer's repeated last scene: duplicates go before counting. */
	CU_ASSERT_EQUAL_FATAL(from_json("{\"scenes\": [{\"prompt\": \"Opening\"}, {\"prompt\": "
	                                "\"End\"}, {\"prompt\": \" End \\n\"}, {\"prompt\": "
	                                "\"Opening\"}, {\"prompt\": \"Credits\"}]}",
	                                3, &p),
	                      VG_OK);
	CU_ASSERT_EQUAL(p.n, 3);
	CU_ASSERT_STRING_EQUAL(p.scenes[0].prompt, "Opening");
	CU_ASSERT_STRING_EQUAL(p.scenes[1].prompt, "End");
	CU_ASSERT_STRING_EQUAL(p.scenes[2].prompt, "Credits");
	vg_plan_free(&p);
	expect_bad("{\"scenes\": [{\"prompt\": \"Opening\"}, {\"prompt\": \"End\"}, {\"prompt\": "
	           "\"End\"}]}",
	           3, "it has 2 distinct scenes (3 in all)");
}

static void test_json_long_fields(void)
{
	char text[1024], cap[300] = "";
	struct vg_plan p;

	for (int i = 0; i < 40; i++)
		strncat(cap, "ab\xC3\xA9 ", sizeof cap - strlen(cap) - 1);
	snprintf(text, sizeof text, "{\"scenes\": [{\"prompt\": \"a\", \"caption\": \"%s\"}]}",
	         cap);
	CU_ASSERT_EQUAL_FATAL(from_json(text, 1, &p), VG_OK);
	CU_ASSERT_TRUE(cps(p.scenes[0].caption) <= 120);
	CU_ASSERT_TRUE(vg_str_utf8_valid(p.scenes[0].caption, strlen(p.scenes[0].caption)));
	CU_ASSERT_STRING_EQUAL(p.scenes[0].caption + strlen(p.scenes[0].caption) - 7,
	                       "ab\xC3\xA9" ELL);
	vg_plan_free(&p);
}

/* ---- schema and prompt texts ---- */

static void assert_types_upper(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
		{
			if (strcmp(k, "type") == 0 && json_is_string(x)) {
				const char *t = json_string_value(x);

				CU_ASSERT_TRUE(
				    strcmp(t, "OBJECT") == 0 || strcmp(t, "ARRAY") == 0 ||
				    strcmp(t, "STRING") == 0 || strcmp(t, "INTEGER") == 0);
			}
			assert_types_upper(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) assert_types_upper(x);
	}
}

static void test_schema(void)
{
	json_error_t je;
	json_t *v = json_loads(vg_plan_schema_json(), JSON_REJECT_DUPLICATES, &je);
	json_t *items, *props, *en;
	static const char *const trans[] = {"cut",        "fade",       "dissolve",
	                                    "wipeleft",   "wiperight",  "slideleft",
	                                    "slideright", "circleopen", "circleclose"};

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "type")), "OBJECT");
	items =
	    json_object_get(json_object_get(json_object_get(v, "properties"), "scenes"), "items");
	props = json_object_get(items, "properties");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(v, "properties"), "scenes"), "type")),
	    "ARRAY");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(json_object_get(props, "prompt"), "type")), "STRING");
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(json_object_get(props, "duration_seconds"), "type")),
	    "INTEGER");
	CU_ASSERT_EQUAL(json_object_size(props), 6);
	en = json_object_get(json_object_get(props, "transition"), "enum");
	CU_ASSERT_EQUAL_FATAL(json_array_size(en), 9);
	for (size_t i = 0; i < 9; i++)
		CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(en, i)), trans[i]);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(v, "required"), 0)),
	                       "scenes");
	assert_types_upper(v);
	json_decref(v);
}

static void test_planner_prompt(void)
{
	char *t = vg_plan_prompt("A lighthouse keeper\n finds a note.", "film grain, 35mm", 7, 6);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "exactly 7 scenes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "6 seconds"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "duration_seconds: 6 for every scene"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "A lighthouse keeper finds a note."));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "film grain, 35mm"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "visual continuity between neighbouring scenes"));
	free(t);
	t = vg_plan_prompt("A fox.", NULL, 1, 8);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "exactly 1 scene,"));
	CU_ASSERT_PTR_NULL(strstr(t, "Visual style"));
	free(t);
}

static void expect_scene_prompt(const char *p, const char *style, const char *const *ch, int n,
                                const char *want)
{
	char *got = vg_plan_scene_prompt(p, style, ch, n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void test_scene_prompt(void)
{
	static const char *const two[] = {"a red fox", "an old man"};
	static const char *const dotted[] = {"a red fox.", " an old man; "};
	static const char *const blanks[] = {"", "  Bob  ", NULL};

	expect_scene_prompt("A fox runs", "Cinematic lighting", two, 2,
	                    "A fox runs. Cinematic lighting. Characters: a red fox; an old man.");
	expect_scene_prompt("A fox runs.", "Cinematic lighting.", dotted, 2,
	                    "A fox runs. Cinematic lighting. Characters: a red fox; an old man.");
	expect_scene_prompt("Is it real?", NULL, NULL, 0, "Is it real?");
	expect_scene_prompt("A fox\n\n runs,", "  ", blanks, 3, "A fox runs. Characters: Bob.");
	expect_scene_prompt("He says \"go.\"", "moody;", NULL, 0, "He says \"go.\" moody.");
	expect_scene_prompt("Wow!", "Pixar style", two, 1,
	                    "Wow! Pixar style. Characters: a red fox.");
	expect_scene_prompt("", "", NULL, 0, "");
	expect_scene_prompt(NULL, "Anime", NULL, 0, "Anime.");
	expect_scene_prompt("The end" ELL, NULL, NULL, 0, "The end" ELL);
}

void t_plan_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"preset scene counts", test_presets},
	    {"scene count without preset", test_count_no_preset},
	    {"script every count", test_script_counts},
	    {"script paragraphs", test_script_paragraphs},
	    {"script merge", test_script_merge},
	    {"script split", test_script_split},
	    {"script deterministic", test_script_deterministic},
	    {"script caption", test_script_caption},
	    {"script utf8", test_script_utf8},
	    {"script errors", test_script_errors},
	    {"outline", test_outline},
	    {"outline every n", test_outline_every_n},
	    {"outline wording", test_outline_wording},
	    {"json good", test_json_good},
	    {"json types", test_json_types},
	    {"json prompt length", test_json_prompt_length},
	    {"json counts", test_json_counts},
	    {"json long fields", test_json_long_fields},
	    {"schema", test_schema},
	    {"planner prompt", test_planner_prompt},
	    {"scene prompt", test_scene_prompt},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("plan", tests);
}
