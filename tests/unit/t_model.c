/* The model table: lookups, every limit a request can break (each named in a field error)
 * and prices, on the built-in Veo 3.1 tables of the config's defaults. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tests.h"
#include "vg_conf.h"
#include "vg_model.h"

static struct vg_conf conf;
static struct vg_err err;

static const struct vg_model *model(const char *id)
{
	const struct vg_model *m = vg_model_find(&conf.gemini_models, id);

	if (!m)
		m = vg_model_find(&conf.vertex_models, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

/* A 720p 16:9 text-to-video request of d seconds. */
static struct vg_model_req plain(int d)
{
	struct vg_model_req r = {
	    .duration_seconds = d, .aspect_ratio = "16:9", .resolution = "720p"};
	return r;
}

static const char *field_msg(const char *field)
{
	for (int i = 0; i < err.nfields; i++)
		if (strcmp(err.fields[i].field, field) == 0)
			return err.fields[i].message;
	return NULL;
}

static int check(const char *id, struct vg_model_req r)
{
	vg_err_clear(&err);
	return vg_model_check(model(id), &r, &err);
}

static void expect_msg(const char *field, const char *part)
{
	const char *m = field_msg(field);

	if (!m || !strstr(m, part)) {
		fprintf(stderr, "\n%s: \"%s\" lacks \"%s\"\n", field, m ? m : "(no error)", part);
		CU_FAIL("the field error does not name the limit");
	}
}

static void test_find(void)
{
	vg_conf_defaults(&conf);
	CU_ASSERT_EQUAL(conf.gemini_models.n, 3);
	CU_ASSERT_EQUAL(conf.vertex_models.n, 3);
	CU_ASSERT_PTR_NOT_NULL(vg_model_find(&conf.gemini_models, "veo-3.1-lite-generate-preview"));
	CU_ASSERT_PTR_NOT_NULL(vg_model_find(&conf.vertex_models, "veo-3.1-generate-001"));
	CU_ASSERT_PTR_NULL(vg_model_find(&conf.gemini_models, "veo-3.1-generate-001"));
	CU_ASSERT_PTR_NULL(vg_model_find(&conf.gemini_models, "veo-3.1"));
	CU_ASSERT_PTR_NULL(vg_model_find(&conf.gemini_models, NULL));
	CU_ASSERT_PTR_NOT_NULL(
	    vg_model_find(&conf.gemini_models, conf.gemini_models.default_model));
	/* the local model: its id is providers.local.model, and it takes everything */
	CU_ASSERT_EQUAL(conf.local_models.n, 1);
	CU_ASSERT_STRING_EQUAL(conf.local_models.models[0].id, "veogen-preview-1");
	CU_ASSERT_STRING_EQUAL(conf.local_models.default_model, "veogen-preview-1");
	CU_ASSERT_EQUAL(conf.local_models.models[0].max_reference_images, 3);
	CU_ASSERT_EQUAL(conf.local_models.models[0].price_per_second, 0);
}

static void test_accepts(void)
{
	struct vg_model_req r = plain(8);

	CU_ASSERT_EQUAL(check("veo-3.1-generate-preview", plain(4)), VG_OK);
	CU_ASSERT_EQUAL(check("veo-3.1-lite-generate-preview", plain(6)), VG_OK);
	r.resolution = "1080p";
	r.aspect_ratio = "9:16";
	r.image = r.last_frame = true;
	r.n_reference_images = 3;
	CU_ASSERT_EQUAL(check("veo-3.1-fast-generate-001", r), VG_OK);
	CU_ASSERT_EQUAL(err.nfields, 0);
	/* local: any of its durations at 1080p with reference images */
	r.duration_seconds = 4;
	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_model_check(&conf.local_models.models[0], &r, &err), VG_OK);
}

static void test_refusals(void)
{
	struct vg_model_req r = plain(5);

	CU_ASSERT_EQUAL(check("veo-3.1-lite-generate-preview", r), VG_EINVAL);
	expect_msg("duration_seconds", "veo-3.1-lite-generate-preview makes 4, 6 or 8 s clips");

	/* 1080p only at 8 s */
	r = plain(6);
	r.resolution = "1080p";
	CU_ASSERT_EQUAL(check("veo-3.1-generate-preview", r), VG_EINVAL);
	expect_msg("duration_seconds", "1080p video only 8 s long");
	expect_msg("duration_seconds", "resolution 720p");

	/* reference images: not on lite; at most 3 elsewhere; only at 8 s */
	r = plain(8);
	r.n_reference_images = 1;
	CU_ASSERT_EQUAL(check("veo-3.1-lite-generate-preview", r), VG_EINVAL);
	expect_msg("reference_image_ids",
	           "veo-3.1-lite-generate-preview does not take reference images");
	r.n_reference_images = 4;
	CU_ASSERT_EQUAL(check("veo-3.1-generate-preview", r), VG_EINVAL);
	expect_msg("reference_image_ids", "at most 3");
	r.n_reference_images = 2;
	r.duration_seconds = 4;
	CU_ASSERT_EQUAL(check("veo-3.1-fast-generate-preview", r), VG_EINVAL);
	expect_msg("duration_seconds", "with reference images only 8 s long");

	/* last frame needs a first frame */
	r = plain(8);
	r.last_frame = true;
	CU_ASSERT_EQUAL(check("veo-3.1-generate-preview", r), VG_EINVAL);
	expect_msg("last_frame_id", "needs image_id");
}

/* A narrow model of our own: every limit broken at once gives one error per field. */
static void test_every_limit(void)
{
	struct vg_model m = {
	    .id = (char *)"narrow-1",
	    .durations = {8},
	    .n_durations = 1,
	    .res_720p = true,
	    .ar_16_9 = true,
	    .price_per_second = 1.0,
	};
	struct vg_model_req r = {.duration_seconds = 4,
	                         .aspect_ratio = "9:16",
	                         .resolution = "1080p",
	                         .image = true,
	                         .last_frame = true,
	                         .n_reference_images = 1};

	vg_err_clear(&err);
	CU_ASSERT_EQUAL(vg_model_check(&m, &r, &err), VG_EINVAL);
	CU_ASSERT_EQUAL(err.nfields, 6);
	expect_msg("duration_seconds", "narrow-1 makes 8 s clips");
	expect_msg("resolution", "narrow-1 makes 720p video only");
	expect_msg("aspect_ratio", "narrow-1 makes 16:9 video only");
	expect_msg("image_id", "narrow-1 does not take a first frame");
	expect_msg("last_frame_id", "narrow-1 does not take a last frame");
	expect_msg("reference_image_ids", "narrow-1 does not take reference images");
}

static void test_price(void)
{
	struct vg_model_req r = plain(8);

	CU_ASSERT_DOUBLE_EQUAL(vg_model_price(model("veo-3.1-generate-preview"), &r), 3.20, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_model_price(model("veo-3.1-fast-generate-preview"), &r), 0.80,
	                       1e-9);
	r.resolution = "1080p";
	CU_ASSERT_DOUBLE_EQUAL(vg_model_price(model("veo-3.1-fast-generate-preview"), &r), 0.96,
	                       1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_model_price(model("veo-3.1-lite-generate-001"), &r), 0.64, 1e-9);
	r = plain(4);
	CU_ASSERT_DOUBLE_EQUAL(vg_model_price(model("veo-3.1-lite-generate-001"), &r), 0.20, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(vg_model_price(&conf.local_models.models[0], &r), 0.0, 1e-12);
	/* no 1080p price: the 720p one applies */
	struct vg_model m = {.id = (char *)"m", .price_per_second = 0.5};
	r.resolution = "1080p";
	CU_ASSERT_DOUBLE_EQUAL(vg_model_price(&m, &r), 2.0, 1e-9);
}

static void test_cleanup(void)
{
	vg_conf_free(&conf);
	CU_ASSERT_PTR_NULL(conf.gemini_models.models);
	CU_ASSERT_EQUAL(conf.vertex_models.n, 0);
}

void t_model_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"built-in tables and lookup", test_find},
	    {"requests within the limits", test_accepts},
	    {"each limit named", test_refusals},
	    {"every limit at once", test_every_limit},
	    {"price", test_price},
	    {"release", test_cleanup},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("model", tests);
}
