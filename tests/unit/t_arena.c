/* Arena: alignment, growth, large allocations, cleanups in reverse order, reset. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "tests.h"
#include "vg_arena.h"

static int order[4], norder;

static void record(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

static void test_alloc_and_reset(void)
{
	struct vg_arena *a = vg_arena_create(1024);
	size_t base = vg_arena_bytes(a);

	for (int i = 0; i < 100; i++) {
		char *p = vg_arena_alloc(a, 100);
		CU_ASSERT_EQUAL((uintptr_t)p % 16, 0);
		memset(p, 'x', 100);
	}
	char *big = vg_arena_alloc(a, 100000);
	memset(big, 'y', 100000);
	CU_ASSERT_TRUE(vg_arena_bytes(a) > base + 100000);
	vg_arena_reset(a);
	CU_ASSERT_EQUAL(vg_arena_bytes(a), base);
	CU_ASSERT_STRING_EQUAL(vg_arena_printf(a, "%s-%d", "job", 42), "job-42");
	CU_ASSERT_STRING_EQUAL(vg_arena_strndup(a, "abcdef", 3), "abc");
	CU_ASSERT_PTR_NULL(vg_arena_strdup(a, NULL));
	char *z = vg_arena_zalloc(a, 64);
	for (int i = 0; i < 64; i++)
		CU_ASSERT_EQUAL(z[i], 0);
	vg_arena_destroy(a);
}

static void test_cleanups_lifo(void)
{
	struct vg_arena *a = vg_arena_create(1024);

	norder = 0;
	for (int i = 1; i <= 3; i++)
		vg_arena_cleanup(a, record, (void *)(intptr_t)i);
	vg_arena_reset(a);
	CU_ASSERT_EQUAL(norder, 3);
	CU_ASSERT_EQUAL(order[0], 3);
	CU_ASSERT_EQUAL(order[2], 1);
	vg_arena_reset(a); /* cleanups ran once only */
	CU_ASSERT_EQUAL(norder, 3);
	vg_arena_destroy(a);
}

void t_arena_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"alloc, large, reset", test_alloc_and_reset},
	    {"cleanups run last-first, once", test_cleanups_lifo},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("arena", tests);
}
