/* The metrics segment: layout, updates and the text-format scrape (see vg_metrics.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vg_metrics.h"
#include "vg_style.h"

#define VGM_MAGIC  0x3172746d67657676ULL /* "vvegmtr1" */
#define VGM_LAYOUT 2
#define HIST_MAX   12

/* ---------------------------------------------------------------- label sets */

static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                      "PATCH", "DELETE", "OPTIONS", "other"};
#define NMETHODS (sizeof methods / sizeof methods[0])

/* the statuses the API answers; anything else counts as "other" */
static const int statuses[] = {200, 201, 202, 204, 206, 301, 302, 304, 307, 308,
                               400, 401, 403, 404, 405, 406, 409, 410, 412, 413,
                               415, 416, 422, 429, 431, 500, 502, 503, 504};
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1)

#define NROUTES (VG_METRICS_MAX_ROUTES + 1) /* 0 = "(unmatched)" */

static const char *const providers[] = {"local", "gemini", "vertex", "other"};
#define NPROV (sizeof providers / sizeof providers[0])

/* 0 = "none", 1 = "other", 2.. = the style catalogue in order */
#define NSTYLES 40

static const char *const gen_statuses[] = {"succeeded", "failed", "cancelled"};
#define NGEN (sizeof gen_statuses / sizeof gen_statuses[0])

static const char *const api_ops[] = {"submit", "poll",          "download",
                                      "token",  "generate_text", "other"};
#define NAPIOPS (sizeof api_ops / sizeof api_ops[0])

static const char *const api_codes[] = {"429", "4xx", "5xx", "network", "invalid_response"};
#define NAPICODES (sizeof api_codes / sizeof api_codes[0])

static const char *const ff_ops[] = {"probe",         "thumbnail", "last_frame",    "local_render",
                                     "assemble_take", "concat",    "title_card",    "soundtrack",
                                     "webm",          "hls",       "contact_sheet", "other"};
#define NFFOPS (sizeof ff_ops / sizeof ff_ops[0])

static const char *const ff_statuses[] = {"ok", "failed", "timeout", "cancelled"};
#define NFFST (sizeof ff_statuses / sizeof ff_statuses[0])

static const char *const kinds[] = {"video.generate", "movie.plan", "movie.assemble",
                                    "webhook",        "remote",     "other"};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const char *const wh_results[] = {"delivered", "retry", "failed", "refused"};
#define NWHRES (sizeof wh_results / sizeof wh_results[0])

static const double http_le[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
static const double gen_le[] = {10, 30, 60, 120, 300, 600, 1200, 1800, 3600};
static const double api_le[] = {.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120};
static const double ff_le[] = {.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
#define NLE(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- the layout */

/* Buckets are not cumulative here (one add per observation); the scrape sums them. */
struct hist {
	uint64_t b[HIST_MAX];
	uint64_t count;
	uint64_t sum_us;
};

struct slot {
	int32_t pid; /* the worker that owns the slot, 0 when none */
	int32_t pad;
	int64_t v[NKINDS];
};

struct seg {
	uint64_t magic; /* written last: a reader never trusts a half-made file */
	uint32_t layout;
	uint32_t size;
	int32_t owner_pid;
	int32_t pad;
	uint64_t http[NROUTES][NMETHODS][NSTATUS];
	struct hist http_dur[NROUTES][NMETHODS];
	uint64_t gen[NGEN][NPROV][NSTYLES];
	struct hist gen_dur[NPROV][NSTYLES];
	uint64_t movie[NGEN][NSTYLES];
	uint64_t api[NPROV][NAPIOPS][2]; /* ok, error */
	uint64_t api_err[NPROV][NAPIOPS][NAPICODES];
	struct hist api_dur[NPROV][NAPIOPS];
	uint64_t ff[NFFOPS][NFFST];
	struct hist ff_dur[NFFOPS];
	uint64_t webhook[NWHRES];
	struct slot slots[VG_METRICS_MAX_SLOTS];
};

static struct seg *seg;  /* this process's segment, NULL when none */
static int my_slot = -1; /* runner worker's gauge slot */
static bool seg_is_file; /* mapped from a runner file (skip it among the files at scrape) */
static char seg_path[512];

/* ---------------------------------------------------------------- lookups */

static size_t find(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n - 1; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return n - 1; /* "other" */
}

static size_t style_index(const char *style)
{
	if (!style || !style[0] || strcmp(style, "none") == 0)
		return 0;
	for (size_t i = 0; i < vg_style_count() && i + 2 < NSTYLES; i++)
		if (strcmp(vg_style_at(i)->id, style) == 0)
			return i + 2;
	return 1;
}

static const char *style_name(size_t i)
{
	return i == 0 ? "none" : i == 1 ? "other" : vg_style_at(i - 2)->id;
}

static size_t status_index(int status)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

static void add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

static void observe(struct hist *h, const double *le, size_t nle, double seconds)
{
	if (seconds < 0)
		seconds = 0;
	for (size_t i = 0; i < nle; i++)
		if (seconds <= le[i]) {
			add(&h->b[i], 1);
			break;
		}
	add(&h->count, 1);
	add(&h->sum_us, (uint64_t)(seconds * 1e6 + 0.5));
}

/* ---------------------------------------------------------------- updates */

void vg_metrics_http(int route, const char *method, int status, double seconds)
{
	size_t r = route < 0 || route >= VG_METRICS_MAX_ROUTES ? 0 : (size_t)route + 1;
	size_t m = find(methods, NMETHODS, method);

	if (!seg)
		return;
	add(&seg->http[r][m][status_index(status)], 1);
	observe(&seg->http_dur[r][m], http_le, NLE(http_le), seconds);
}

void vg_metrics_generation(const char *status, const char *provider, const char *style,
                           double seconds)
{
	size_t s = find(gen_statuses, NGEN + 1, status), p = find(providers, NPROV, provider);
	size_t st = style_index(style);

	if (!seg || s >= NGEN)
		return;
	add(&seg->gen[s][p][st], 1);
	if (s == 0 && seconds >= 0)
		observe(&seg->gen_dur[p][st], gen_le, NLE(gen_le), seconds);
}

void vg_metrics_movie(const char *status, const char *style)
{
	size_t s = find(gen_statuses, NGEN + 1, status);

	if (seg && s < NGEN)
		add(&seg->movie[s][style_index(style)], 1);
}

void vg_metrics_provider_call(const char *provider, const char *operation, const char *error_code,
                              double seconds)
{
	size_t p = find(providers, NPROV, provider), o = find(api_ops, NAPIOPS, operation);

	if (!seg)
		return;
	add(&seg->api[p][o][error_code ? 1 : 0], 1);
	if (error_code) {
		size_t c = find(api_codes, NAPICODES + 1, error_code);

		add(&seg->api_err[p][o][c < NAPICODES ? c : NAPICODES - 1], 1);
	}
	observe(&seg->api_dur[p][o], api_le, NLE(api_le), seconds);
}

const char *vg_metrics_http_error_code(long status, int curl_code)
{
	if (curl_code != 0 || status <= 0)
		return "network";
	if (status == 429)
		return "429";
	if (status >= 500)
		return "5xx";
	if (status >= 400)
		return "4xx";
	return NULL;
}

void vg_metrics_ffmpeg(const char *operation, int rc, double seconds)
{
	size_t o = find(ff_ops, NFFOPS, operation);
	size_t s = rc == VG_OK ? 0 : rc == VG_ETIMEOUT ? 2 : rc == VG_ECANCELLED ? 3 : 1;

	if (!seg)
		return;
	add(&seg->ff[o][s], 1);
	observe(&seg->ff_dur[o], ff_le, NLE(ff_le), seconds);
}

void vg_metrics_webhook(const char *result)
{
	size_t r = find(wh_results, NWHRES + 1, result);

	if (seg && r < NWHRES)
		add(&seg->webhook[r], 1);
}

void vg_metrics_inflight_add(const char *kind, long delta)
{
	if (seg && my_slot >= 0)
		__atomic_fetch_add(&seg->slots[my_slot].v[find(kinds, NKINDS, kind)],
		                   (int64_t)delta, __ATOMIC_RELAXED);
}

void vg_metrics_inflight_set(const char *kind, long value)
{
	if (seg && my_slot >= 0)
		__atomic_store_n(&seg->slots[my_slot].v[find(kinds, NKINDS, kind)], (int64_t)value,
		                 __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- segments */

static void init_header(struct seg *s)
{
	s->layout = VGM_LAYOUT;
	s->size = (uint32_t)sizeof *s;
	s->owner_pid = (int32_t)getpid();
	__atomic_store_n(&s->magic, VGM_MAGIC, __ATOMIC_RELEASE);
}

static bool header_ok(const struct seg *s)
{
	return __atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) == VGM_MAGIC &&
	       s->layout == VGM_LAYOUT && s->size == sizeof *s;
}

int vg_metrics_init_anon(struct vg_err *err)
{
	void *p =
	    mmap(NULL, sizeof *seg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "cannot map %zu bytes of shared memory for metrics: %s",
		                  sizeof *seg, strerror(errno));
	vg_metrics_detach();
	seg = p;
	init_header(seg);
	return VG_OK;
}

int vg_metrics_runner_path(const char *runtime_dir, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/runner-%s.metrics", runtime_dir, name);

	if (n < 0 || (size_t)n >= size)
		return -1;
	for (char *c = out + strlen(runtime_dir) + 1; *c; c++)
		if (*c == '/')
			*c = '_'; /* a name is one file, never a path */
	return 0;
}

static void *map_fd(int fd, int prot)
{
	void *p = mmap(NULL, sizeof(struct seg), prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A fresh zeroed file renamed over path: a reader mapping the old one never sees it shrink. */
static struct seg *create_file(const char *path, struct vg_err *err)
{
	char tmp[600];
	struct seg *s;
	int fd;

	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		vg_err_set(err, VG_EUNAVAIL, NULL, "cannot create %s: %s", tmp, strerror(errno));
		return NULL;
	}
	if (ftruncate(fd, (off_t)sizeof *s) != 0 || !(s = map_fd(fd, PROT_READ | PROT_WRITE))) {
		vg_err_set(err, VG_EUNAVAIL, NULL, "cannot size or map %s: %s", tmp,
		           strerror(errno));
		close(fd);
		unlink(tmp);
		return NULL;
	}
	close(fd);
	init_header(s);
	if (rename(tmp, path) != 0) {
		vg_err_set(err, VG_EUNAVAIL, NULL, "cannot rename %s to %s: %s", tmp, path,
		           strerror(errno));
		munmap(s, sizeof *s);
		unlink(tmp);
		return NULL;
	}
	return s;
}

/* The existing file when its layout is ours: counters kept, gauges of the old life gone. */
static struct seg *reopen_file(const char *path)
{
	struct stat st;
	struct seg *s;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != (off_t)sizeof *s ||
	    !(s = map_fd(fd, PROT_READ | PROT_WRITE))) {
		close(fd);
		return NULL;
	}
	close(fd);
	if (!header_ok(s)) {
		munmap(s, sizeof *s);
		return NULL;
	}
	memset(s->slots, 0, sizeof s->slots);
	__atomic_store_n(&s->owner_pid, (int32_t)getpid(), __ATOMIC_RELEASE);
	return s;
}

int vg_metrics_open_runner(const char *runtime_dir, const char *name, struct vg_err *err)
{
	char path[512];
	struct seg *s;

	if (!runtime_dir || !runtime_dir[0])
		return vg_err_set(
		    err, VG_EINVAL, NULL,
		    "runtime.dir is empty: set it to a directory such as /run/veogen");
	if (vg_metrics_runner_path(runtime_dir, name, path, sizeof path) != 0)
		return vg_err_set(err, VG_EINVAL, NULL, "runtime.dir %s is too long", runtime_dir);
	if (mkdir(runtime_dir, 0750) != 0 && errno != EEXIST)
		return vg_err_set(err, VG_EUNAVAIL, NULL,
		                  "cannot create runtime.dir %s: %s (create it, writable by this "
		                  "user)",
		                  runtime_dir, strerror(errno));
	s = reopen_file(path);
	if (!s && !(s = create_file(path, err)))
		return err->rc;
	vg_metrics_detach();
	seg = s;
	seg_is_file = true;
	snprintf(seg_path, sizeof seg_path, "%s", path);
	return VG_OK;
}

void vg_metrics_worker_slot(int idx)
{
	if (!seg || idx < 0 || idx >= VG_METRICS_MAX_SLOTS)
		return;
	my_slot = idx;
	for (size_t k = 0; k < NKINDS; k++)
		__atomic_store_n(&seg->slots[idx].v[k], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&seg->slots[idx].pid, (int32_t)getpid(), __ATOMIC_RELEASE);
}

void vg_metrics_detach(void)
{
	if (seg)
		munmap(seg, sizeof *seg);
	seg = NULL;
	my_slot = -1;
	seg_is_file = false;
	seg_path[0] = '\0';
}

/* ---------------------------------------------------------------- text format */

int vg_metrics_escape(struct vg_buf *b, const char *s)
{
	int rc = VG_OK;

	for (; s && *s && rc == VG_OK; s++) {
		if (*s == '\\')
			rc = vg_buf_puts(b, "\\\\");
		else if (*s == '"')
			rc = vg_buf_puts(b, "\\\"");
		else if (*s == '\n')
			rc = vg_buf_puts(b, "\\n");
		else
			rc = vg_buf_append(b, s, 1);
	}
	return rc;
}

int vg_metrics_head(struct vg_buf *b, const char *name, const char *type, const char *help)
{
	return vg_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int vg_metrics_sample(struct vg_buf *b, const char *name, const char *const *labels, double v)
{
	int rc = vg_buf_puts(b, name);

	for (int i = 0; labels && labels[i] && rc == VG_OK; i += 2) {
		rc = vg_buf_printf(b, "%s%s=\"", i ? "," : "{", labels[i]);
		if (rc == VG_OK)
			rc = vg_metrics_escape(b, labels[i + 1]);
		if (rc == VG_OK)
			rc = vg_buf_puts(b, "\"");
	}
	if (rc == VG_OK && labels && labels[0])
		rc = vg_buf_puts(b, "}");
	return rc == VG_OK ? vg_buf_printf(b, " %.15g\n", v) : rc;
}

/* name_bucket (cumulative, le added to labels), name_sum, name_count. */
static int hist_render(struct vg_buf *b, const char *name, const char *const *labels,
                       const struct hist *h, const double *le, size_t nle)
{
	const char *l[16];
	char bname[128], lev[32];
	uint64_t cum = 0;
	int n = 0, rc = VG_OK;

	while (labels[n] && n < 12)
		l[n] = labels[n], n++;
	l[n] = "le";
	l[n + 2] = NULL;
	snprintf(bname, sizeof bname, "%s_bucket", name);
	for (size_t i = 0; i < nle && rc == VG_OK; i++) {
		cum += h->b[i];
		snprintf(lev, sizeof lev, "%g", le[i]);
		l[n + 1] = lev;
		rc = vg_metrics_sample(b, bname, l, (double)cum);
	}
	l[n + 1] = "+Inf";
	if (rc == VG_OK)
		rc = vg_metrics_sample(b, bname, l, (double)h->count);
	snprintf(bname, sizeof bname, "%s_sum", name);
	if (rc == VG_OK)
		rc = vg_metrics_sample(b, bname, labels, (double)h->sum_us / 1e6);
	snprintf(bname, sizeof bname, "%s_count", name);
	if (rc == VG_OK)
		rc = vg_metrics_sample(b, bname, labels, (double)h->count);
	return rc;
}

/* ---------------------------------------------------------------- scrape */

static bool pid_alive(int32_t pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Adds src's counters (every word between the header and the slots) and the gauges of its
 * live workers into sum (gauges land in slot 0). */
static void sum_seg(struct seg *sum, const struct seg *src)
{
	const size_t from = offsetof(struct seg, http), to = offsetof(struct seg, slots);
	uint64_t *d = (uint64_t *)((char *)sum + from);
	const uint64_t *s = (const uint64_t *)((const char *)src + from);

	for (size_t i = 0; i < (to - from) / sizeof *d; i++)
		d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
	if (!pid_alive(__atomic_load_n(&src->owner_pid, __ATOMIC_ACQUIRE)))
		return; /* a dead runner's gauges read 0 */
	for (int i = 0; i < VG_METRICS_MAX_SLOTS; i++) {
		if (!pid_alive(__atomic_load_n(&src->slots[i].pid, __ATOMIC_ACQUIRE)))
			continue;
		for (size_t k = 0; k < NKINDS; k++)
			sum->slots[0].v[k] +=
			    __atomic_load_n(&src->slots[i].v[k], __ATOMIC_RELAXED);
	}
}

static bool is_runner_file(const char *name)
{
	size_t n = strlen(name), suf = strlen(".metrics");

	return strncmp(name, "runner-", 7) == 0 && n > 7 + suf &&
	       strcmp(name + n - suf, ".metrics") == 0 && !strstr(name, ".tmp.");
}

static void sum_file(struct seg *sum, int dfd, const char *name)
{
	struct stat st;
	struct seg *s;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == (off_t)sizeof *s &&
	    (s = map_fd(fd, PROT_READ)) != NULL) {
		if (header_ok(s))
			sum_seg(sum, s);
		munmap(s, sizeof *s);
	}
	close(fd);
}

static void sum_runner_files(struct seg *sum, const char *dir)
{
	DIR *d = dir && dir[0] ? opendir(dir) : NULL;
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (is_runner_file(e->d_name))
			sum_file(sum, dirfd(d), e->d_name);
	closedir(d);
}

static int render_http(struct vg_buf *b, const struct seg *s, const char *const *routes,
                       size_t nroutes)
{
	const char *name = "veogen_http_requests_total",
	           *dname = "veogen_http_request_duration_seconds";
	char st[16];
	int rc = vg_metrics_head(b, name, "counter", "HTTP requests answered, by route pattern");

	for (size_t r = 0; r < NROUTES && r <= nroutes; r++)
		for (size_t m = 0; m < NMETHODS; m++)
			for (size_t i = 0; i < NSTATUS && rc == VG_OK; i++) {
				if (!s->http[r][m][i])
					continue;
				if (i == NSTATUS - 1)
					snprintf(st, sizeof st, "other");
				else
					snprintf(st, sizeof st, "%d", statuses[i]);
				const char *l[] = {"method", methods[m],
				                   "route",  r ? routes[r - 1] : "(unmatched)",
				                   "status", st,
				                   NULL};
				rc = vg_metrics_sample(b, name, l, (double)s->http[r][m][i]);
			}
	if (rc == VG_OK)
		rc = vg_metrics_head(b, dname, "histogram", "Time to answer an HTTP request");
	for (size_t r = 0; r < NROUTES && r <= nroutes; r++)
		for (size_t m = 0; m < NMETHODS && rc == VG_OK; m++) {
			if (!s->http_dur[r][m].count)
				continue;
			const char *l[] = {"method", methods[m], "route",
			                   r ? routes[r - 1] : "(unmatched)", NULL};
			rc = hist_render(b, dname, l, &s->http_dur[r][m], http_le, NLE(http_le));
		}
	return rc;
}

static int render_generations(struct vg_buf *b, const struct seg *s)
{
	const char *name = "veogen_video_generations_total";
	const char *dname = "veogen_video_generation_duration_seconds";
	int rc = vg_metrics_head(b, name, "counter", "Videos that reached a terminal state");

	for (size_t g = 0; g < NGEN; g++)
		for (size_t p = 0; p < NPROV; p++)
			for (size_t st = 0; st < NSTYLES && rc == VG_OK; st++) {
				if (!s->gen[g][p][st])
					continue;
				const char *l[] = {"status",     gen_statuses[g], "provider",
				                   providers[p], "style",         style_name(st),
				                   NULL};
				rc = vg_metrics_sample(b, name, l, (double)s->gen[g][p][st]);
			}
	if (rc == VG_OK)
		rc = vg_metrics_head(b, dname, "histogram",
		                     "Time from start to success of a video generation");
	for (size_t p = 0; p < NPROV; p++)
		for (size_t st = 0; st < NSTYLES && rc == VG_OK; st++) {
			if (!s->gen_dur[p][st].count)
				continue;
			const char *l[] = {"provider", providers[p], "style", style_name(st), NULL};
			rc = hist_render(b, dname, l, &s->gen_dur[p][st], gen_le, NLE(gen_le));
		}
	if (rc == VG_OK)
		rc = vg_metrics_head(b, "veogen_movie_projects_total", "counter",
		                     "Movies that reached a terminal state");
	for (size_t g = 0; g < NGEN; g++)
		for (size_t st = 0; st < NSTYLES && rc == VG_OK; st++) {
			if (!s->movie[g][st])
				continue;
			const char *l[] = {"status", gen_statuses[g], "style", style_name(st),
			                   NULL};
			rc = vg_metrics_sample(b, "veogen_movie_projects_total", l,
			                       (double)s->movie[g][st]);
		}
	return rc;
}

static int render_api(struct vg_buf *b, const struct seg *s)
{
	const char *cname = "veogen_provider_api_calls_total";
	const char *ename = "veogen_provider_api_errors_total";
	const char *dname = "veogen_provider_api_duration_seconds";
	int rc = vg_metrics_head(b, cname, "counter", "Calls to a provider's API");

	for (size_t p = 0; p < NPROV; p++)
		for (size_t o = 0; o < NAPIOPS; o++)
			for (int e = 0; e < 2 && rc == VG_OK; e++) {
				if (!s->api[p][o][e])
					continue;
				const char *l[] = {"provider", providers[p], "operation",
				                   api_ops[o], "status",     e ? "error" : "ok",
				                   NULL};
				rc = vg_metrics_sample(b, cname, l, (double)s->api[p][o][e]);
			}
	if (rc == VG_OK)
		rc = vg_metrics_head(b, ename, "counter",
		                     "Failed calls to a provider's API, by cause");
	for (size_t p = 0; p < NPROV; p++)
		for (size_t o = 0; o < NAPIOPS; o++)
			for (size_t c = 0; c < NAPICODES && rc == VG_OK; c++) {
				if (!s->api_err[p][o][c])
					continue;
				const char *l[] = {"provider", providers[p], "operation",
				                   api_ops[o], "code",       api_codes[c],
				                   NULL};
				rc = vg_metrics_sample(b, ename, l, (double)s->api_err[p][o][c]);
			}
	if (rc == VG_OK)
		rc = vg_metrics_head(b, dname, "histogram", "Time a provider's API took to answer");
	for (size_t p = 0; p < NPROV; p++)
		for (size_t o = 0; o < NAPIOPS && rc == VG_OK; o++) {
			if (!s->api_dur[p][o].count)
				continue;
			const char *l[] = {"provider", providers[p], "operation", api_ops[o], NULL};
			rc = hist_render(b, dname, l, &s->api_dur[p][o], api_le, NLE(api_le));
		}
	return rc;
}

static int render_ffmpeg(struct vg_buf *b, const struct seg *s)
{
	const char *name = "veogen_ffmpeg_operations_total";
	const char *dname = "veogen_ffmpeg_operation_duration_seconds";
	int rc = vg_metrics_head(b, name, "counter", "ffmpeg and ffprobe runs");

	for (size_t o = 0; o < NFFOPS; o++)
		for (size_t st = 0; st < NFFST && rc == VG_OK; st++) {
			if (!s->ff[o][st])
				continue;
			const char *l[] = {"operation_type", ff_ops[o], "status", ff_statuses[st],
			                   NULL};
			rc = vg_metrics_sample(b, name, l, (double)s->ff[o][st]);
		}
	if (rc == VG_OK)
		rc = vg_metrics_head(b, dname, "histogram", "Time an ffmpeg or ffprobe run took");
	for (size_t o = 0; o < NFFOPS && rc == VG_OK; o++) {
		if (!s->ff_dur[o].count)
			continue;
		const char *l[] = {"operation_type", ff_ops[o], NULL};
		rc = hist_render(b, dname, l, &s->ff_dur[o], ff_le, NLE(ff_le));
	}
	return rc;
}

static int render_webhooks(struct vg_buf *b, const struct seg *s)
{
	const char *name = "veogen_webhook_deliveries_total";
	int rc = vg_metrics_head(b, name, "counter",
	                         "Webhook delivery attempts, by outcome (retry: failed, tried "
	                         "again later; refused: the address is not allowed)");

	for (size_t r = 0; r < NWHRES && rc == VG_OK; r++) {
		const char *l[] = {"result", wh_results[r], NULL};
		rc = vg_metrics_sample(b, name, l, (double)s->webhook[r]);
	}
	return rc;
}

static int render_gauges(struct vg_buf *b, const struct seg *s)
{
	const char *name = "veogen_runner_inflight_operations";
	int rc = vg_metrics_head(b, "veogen_build_info", "gauge", "The running veogen version");

	if (rc == VG_OK) {
		const char *l[] = {"version", PACKAGE_VERSION, "service", "veogen", NULL};
		rc = vg_metrics_sample(b, "veogen_build_info", l, 1);
	}
	if (rc == VG_OK)
		rc = vg_metrics_head(b, name, "gauge",
		                     "Jobs being executed by kind, and provider operations held "
		                     "(\"remote\"), by live runner workers");
	for (size_t k = 0; k < NKINDS && rc == VG_OK; k++) {
		const char *l[] = {"kind", kinds[k], NULL};
		rc = vg_metrics_sample(b, name, l, (double)(int64_t)s->slots[0].v[k]);
	}
	return rc;
}

int vg_metrics_render(struct vg_buf *out, const char *const *routes, size_t nroutes,
                      const char *runtime_dir)
{
	struct seg *sum = calloc(1, sizeof *sum);
	int rc;

	if (!sum)
		return vg_buf_puts(out, "# out of memory summing the metrics\n");
	if (seg && !seg_is_file)
		sum_seg(sum, seg);
	sum_runner_files(sum, runtime_dir);
	rc = render_gauges(out, sum);
	if (rc == VG_OK)
		rc = render_http(out, sum, routes, nroutes);
	if (rc == VG_OK)
		rc = render_generations(out, sum);
	if (rc == VG_OK)
		rc = render_api(out, sum);
	if (rc == VG_OK)
		rc = render_ffmpeg(out, sum);
	if (rc == VG_OK)
		rc = render_webhooks(out, sum);
	free(sum);
	return rc;
}
