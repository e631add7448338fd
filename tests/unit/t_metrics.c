/* Metrics: the text format of counters and histograms, label escaping, two processes adding
 * to one anonymous segment, and the runner file kept across a restart. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"
#include "vg_buf.h"
#include "vg_err.h"
#include "vg_metrics.h"

#define OWNER_PID_OFFSET 16 /* header: magic u64, layout u32, size u32, owner pid i32 */

static const char *const routes[] = {"/a", "/b/{id}"};

/* The scrape of this process's segment (and the runner files of dir). */
static char *scrape(const char *dir)
{
	struct vg_buf b;
	char *s;

	vg_buf_init(&b, 1 << 22);
	CU_ASSERT_EQUAL(vg_metrics_render(&b, routes, 2, dir), VG_OK);
	s = strdup(vg_buf_str(&b));
	vg_buf_free(&b);
	return s;
}

/* Whether the scrape holds this exact line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define ASSERT_LINE(text, line)                                                                    \
	do {                                                                                       \
		if (!has_line(text, line))                                                         \
			fprintf(stderr, "\nmissing line: %s\n", line);                             \
		CU_ASSERT_TRUE(has_line(text, line));                                              \
	} while (0)

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void test_render(void)
{
	struct vg_err err;
	char *t;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_metrics_init_anon(&err), VG_OK);
	vg_metrics_http(0, "GET", 200, 0.003);
	vg_metrics_http(0, "GET", 200, 0.004);
	vg_metrics_http(0, "GET", 200, 0.2);
	vg_metrics_http(-1, "GET", 404, 0.001);
	vg_metrics_http(1, "BREW", 418, 0.001);
	vg_metrics_generation("succeeded", "local", "cinematic", 45);
	vg_metrics_generation("failed", "gemini", NULL, -1);
	vg_metrics_generation("failed", "gemini", "none", -1);
	vg_metrics_generation("cancelled", "vertex", "no-such-style", -1);
	vg_metrics_movie("succeeded", "anime");
	vg_metrics_provider_call("gemini", "poll", "429", 0.3);
	vg_metrics_provider_call("gemini", "poll", NULL, 0.2);
	vg_metrics_ffmpeg("probe", VG_ETIMEOUT, 1.0);
	vg_metrics_ffmpeg("concat", VG_OK, 0.05);
	t = scrape(NULL);

	ASSERT_LINE(t, "# TYPE veogen_http_requests_total counter");
	ASSERT_LINE(t, "veogen_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 3");
	ASSERT_LINE(t, "veogen_http_requests_total{method=\"GET\",route=\"(unmatched)\","
	               "status=\"404\"} 1");
	ASSERT_LINE(t, "veogen_http_requests_total{method=\"other\",route=\"/b/{id}\","
	               "status=\"other\"} 1");
	CU_ASSERT_PTR_NULL(strstr(t, "method=\"POST\"")); /* only non-zero combinations */
	ASSERT_LINE(t, "# TYPE veogen_http_request_duration_seconds histogram");
	ASSERT_LINE(t, "veogen_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\","
	               "le=\"0.005\"} 2");
	ASSERT_LINE(t, "veogen_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\","
	               "le=\"0.1\"} 2");
	ASSERT_LINE(t, "veogen_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\","
	               "le=\"0.25\"} 3");
	ASSERT_LINE(t, "veogen_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\","
	               "le=\"+Inf\"} 3");
	ASSERT_LINE(t,
	            "veogen_http_request_duration_seconds_sum{method=\"GET\",route=\"/a\"} 0.207");
	ASSERT_LINE(t, "veogen_http_request_duration_seconds_count{method=\"GET\",route=\"/a\"} 3");
	ASSERT_LINE(t, "veogen_video_generations_total{status=\"succeeded\",provider=\"local\","
	               "style=\"cinematic\"} 1");
	ASSERT_LINE(t, "veogen_video_generations_total{status=\"failed\",provider=\"gemini\","
	               "style=\"none\"} 2");
	ASSERT_LINE(t, "veogen_video_generations_total{status=\"cancelled\",provider=\"vertex\","
	               "style=\"other\"} 1");
	ASSERT_LINE(t, "veogen_video_generation_duration_seconds_bucket{provider=\"local\","
	               "style=\"cinematic\",le=\"30\"} 0");
	ASSERT_LINE(t, "veogen_video_generation_duration_seconds_bucket{provider=\"local\","
	               "style=\"cinematic\",le=\"60\"} 1");
	ASSERT_LINE(t, "veogen_movie_projects_total{status=\"succeeded\",style=\"anime\"} 1");
	ASSERT_LINE(t, "veogen_provider_api_calls_total{provider=\"gemini\",operation=\"poll\","
	               "status=\"error\"} 1");
	ASSERT_LINE(t, "veogen_provider_api_calls_total{provider=\"gemini\",operation=\"poll\","
	               "status=\"ok\"} 1");
	ASSERT_LINE(t, "veogen_provider_api_errors_total{provider=\"gemini\",operation=\"poll\","
	               "code=\"429\"} 1");
	ASSERT_LINE(
	    t, "veogen_ffmpeg_operations_total{operation_type=\"probe\",status=\"timeout\"} 1");
	ASSERT_LINE(t, "veogen_ffmpeg_operations_total{operation_type=\"concat\",status=\"ok\"} 1");
	ASSERT_LINE(t, "veogen_ffmpeg_operation_duration_seconds_bucket{operation_type=\"probe\","
	               "le=\"1\"} 1");
	ASSERT_LINE(t, "veogen_build_info{version=\"" PACKAGE_VERSION "\",service=\"veogen\"} 1");
	free(t);
	vg_metrics_detach();
}

static void test_escape(void)
{
	struct vg_buf b;
	const char *l[] = {"k", "a\"b\\c\nd", "e", "", NULL};

	vg_buf_init(&b, 4096);
	CU_ASSERT_EQUAL(vg_metrics_sample(&b, "x", l, 1), VG_OK);
	CU_ASSERT_EQUAL(vg_metrics_sample(&b, "y", NULL, 2.5), VG_OK);
	CU_ASSERT_STRING_EQUAL(vg_buf_str(&b), "x{k=\"a\\\"b\\\\c\\nd\",e=\"\"} 1\ny 2.5\n");
	vg_buf_free(&b);
}

static void test_two_processes(void)
{
	struct vg_err err;
	pid_t kids[2];
	char *t;

	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_metrics_init_anon(&err), VG_OK);
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		CU_ASSERT_FATAL(kids[k] >= 0);
		if (kids[k] == 0) {
			for (int i = 0; i < 5000; i++)
				vg_metrics_http(1, "POST", 201, 0.01);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++)
		waitpid(kids[k], NULL, 0);
	t = scrape(NULL);
	ASSERT_LINE(t, "veogen_http_requests_total{method=\"POST\",route=\"/b/{id}\","
	               "status=\"201\"} 10000");
	ASSERT_LINE(t, "veogen_http_request_duration_seconds_count{method=\"POST\","
	               "route=\"/b/{id}\"} 10000");
	free(t);
	vg_metrics_detach();
}

static void set_owner(const char *path, int32_t pid)
{
	int fd = open(path, O_WRONLY);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, &pid, sizeof pid, OWNER_PID_OFFSET), (ssize_t)sizeof pid);
	close(fd);
}

static void test_runner_file(void)
{
	char dir[] = "/tmp/vg-metrics-XXXXXX", path[512], sub[600];
	struct vg_err err;
	pid_t kid;
	char *t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/run", dir); /* created 0750 when missing */
	CU_ASSERT_EQUAL(vg_metrics_runner_path(sub, "r1", path, sizeof path), 0);
	/* a file of another layout is replaced */
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NULL(f); /* sub does not exist yet */
	vg_err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(vg_metrics_open_runner(sub, "r1", &err), VG_OK);
	vg_metrics_detach();
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("not a metrics file", f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(vg_metrics_open_runner(sub, "r1", &err), VG_OK);

	vg_metrics_ffmpeg("hls", VG_OK, 2);
	vg_metrics_worker_slot(3);
	vg_metrics_inflight_add("video.generate", 2);
	kid = fork(); /* a worker that died holding an operation */
	if (kid == 0) {
		vg_metrics_worker_slot(5);
		vg_metrics_inflight_set("remote", 7);
		_exit(0);
	}
	waitpid(kid, NULL, 0);
	t = scrape(sub);
	ASSERT_LINE(t, "veogen_ffmpeg_operations_total{operation_type=\"hls\",status=\"ok\"} 1");
	ASSERT_LINE(t, "veogen_runner_inflight_operations{kind=\"video.generate\"} 2");
	ASSERT_LINE(t, "veogen_runner_inflight_operations{kind=\"remote\"} 0");
	free(t);
	vg_metrics_detach();

	/* the runner is gone: its counters still count, its gauges read 0 */
	set_owner(path, (int32_t)dead_pid());
	t = scrape(sub);
	ASSERT_LINE(t, "veogen_ffmpeg_operations_total{operation_type=\"hls\",status=\"ok\"} 1");
	ASSERT_LINE(t, "veogen_runner_inflight_operations{kind=\"video.generate\"} 0");
	free(t);

	/* a new life of the runner: counters kept, the old life's gauges zeroed */
	set_owner(path, (int32_t)getpid());
	CU_ASSERT_EQUAL_FATAL(vg_metrics_open_runner(sub, "r1", &err), VG_OK);
	vg_metrics_ffmpeg("hls", VG_OK, 2);
	t = scrape(sub);
	ASSERT_LINE(t, "veogen_ffmpeg_operations_total{operation_type=\"hls\",status=\"ok\"} 2");
	ASSERT_LINE(t, "veogen_runner_inflight_operations{kind=\"video.generate\"} 0");
	free(t);
	vg_metrics_detach();

	/* a runtime.dir that cannot be created is an error the runner logs, not a crash */
	snprintf(sub, sizeof sub, "%s/none/deeper", dir);
	CU_ASSERT_EQUAL(vg_metrics_open_runner(sub, "r1", &err), VG_EUNAVAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "runtime.dir"));

	unlink(path);
	snprintf(sub, sizeof sub, "%s/run", dir);
	rmdir(sub);
	rmdir(dir);
}

static void test_no_segment(void)
{
	char *t;

	/* veogenctl and cron have no segment: updates are no-ops, the scrape still renders */
	vg_metrics_detach();
	vg_metrics_http(0, "GET", 200, 1);
	vg_metrics_inflight_add("remote", 1);
	t = scrape(NULL);
	CU_ASSERT_PTR_NULL(strstr(t, "veogen_http_requests_total{"));
	ASSERT_LINE(t, "# TYPE veogen_http_requests_total counter");
	free(t);
	CU_ASSERT_STRING_EQUAL(vg_metrics_http_error_code(200, 0) ? "x" : "ok", "ok");
	CU_ASSERT_STRING_EQUAL(vg_metrics_http_error_code(0, 7), "network");
	CU_ASSERT_STRING_EQUAL(vg_metrics_http_error_code(429, 0), "429");
	CU_ASSERT_STRING_EQUAL(vg_metrics_http_error_code(404, 0), "4xx");
	CU_ASSERT_STRING_EQUAL(vg_metrics_http_error_code(503, 0), "5xx");
}

void t_metrics_register(void)
{
	static const CU_TestInfo tests[] = {
	    {"counters and histograms render", test_render},
	    {"label values are escaped", test_escape},
	    {"two processes add to one anonymous segment", test_two_processes},
	    {"the runner file survives a restart", test_runner_file},
	    {"no segment, no updates", test_no_segment},
	    CU_TEST_INFO_NULL,
	};
	vg_test_suite("metrics", tests);
}
