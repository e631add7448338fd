/* Each t_<module>.c registers its CUnit suite through one function listed here. */
#ifndef VG_TESTS_H
#define VG_TESTS_H

#include <CUnit/CUnit.h>
#include <stdbool.h>

/* One suite per line, so adding one is a one-line change. */
/* clang-format off */
#define VG_TEST_SUITES(X) \
	X(arena) \
	X(buf) \
	X(str) \
	X(err) \
	X(conf) \
	X(json) \
	X(auth) \
	X(video) \
	X(route) \
	X(queue) \
	X(local) \
	X(storage) \
	X(db) \
	X(redis) \
	X(http) \
	X(gapi) \
	X(veo) \
	X(gauth) \
	X(gtext) \
	X(model) \
	X(sniff) \
	X(multipart) \
	X(assemble) \
	X(plan) \
	X(movie) \
	X(metrics) \
	X(netaddr) \
	X(webhook)
/* clang-format on */

#define X(name) void t_##name##_register(void);
VG_TEST_SUITES(X)
#undef X

/* Adds a suite with the given tests; aborts the run when CUnit cannot. */
void vg_test_suite(const char *name, const CU_TestInfo *tests);
/* Runs one statement on a fresh connection to conninfo; false (and why on stderr) when it
 * fails. */
bool vg_test_pg_exec(const char *conninfo, const char *sql);

#endif
