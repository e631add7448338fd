/* movie.assemble: payload {"movie_id": "..."}; queued once every new scene take succeeded.
 * Steps (CPU lane), each committed, the lease heartbeated while ffmpeg runs:
 *   start    → status assembling, stage "joining scenes"; every scene has a fresh take;
 *   film     → the takes probed, the title card, the joins and the soundtrack → film.mp4;
 *   webm     → film.webm;
 *   hls      → hls/index.m3u8 and its segments;
 *   extras   → poster.jpg, contact.jpg, subtitles.vtt;
 *   finalize → ffprobe checks (length, audio), sha256, then one transaction records the film
 *              and completes the job; the previous film's directory goes after the commit.
 * Outputs live in movie_output_rel(movie, job): names are fixed, so a step run again after
 * a crash rewrites the same files, and an assembly never touches the film still served.
 * Every movie UPDATE is guarded by the expected status and by the movie's job being ours. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "movie_state.h"
#include "runner.h"
#include "vg_assemble.h"
#include "vg_local.h"
#include "vg_log.h"
#include "vg_media.h"
#include "vg_metrics.h"
#include "vg_movie.h"
#include "vg_movie_stop.h"
#include "vg_storage.h"
#include "vg_str.h"
#include "vg_style.h"

#define FILM_FPS   VG_MOVIE_FPS
#define FRAME_S    (1.0 / FILM_FPS)
#define TILE_WIDTH 320
/* How far a take may be from its scene's length: the film pads or trims the difference. */
#define TAKE_SLACK_S 0.5
/* Times finalize may send the job back to remake a missing output. */
#define MAX_REDO 2

/* The guard of every movie update: $1 movie id, $2 job id. */
#define MOVIE_OURS "id = $1 AND job_id = $2::uuid"

/* The columns a step needs, returned by the guarded UPDATE that records its stage. */
#define MOVIE_RETURNING                                                                            \
	"RETURNING title, style, aspect_ratio, resolution, transition, "                           \
	"transition_seconds::float8 AS transition_seconds, soundtrack_volume::float8 AS "          \
	"soundtrack_volume, title_card, output_dir, (SELECT f.storage_path FROM files f WHERE "    \
	"f.id = soundtrack_id) AS soundtrack_path"

struct movie {
	const char *id;
	const char *title, *style, *transition;
	double transition_s; /* on the frame grid */
	const char *soundtrack_rel;
	double music_volume;
	bool title_card;
	int width, height;
	const char *prev_output; /* movies.output_dir: the film served now */
	const char *out_rel;     /* this assembly's directory, relative and absolute */
	const char *out_dir;
};

struct scene {
	const char *id, *title, *caption, *transition, *take_rel;
	int position, duration_s;
};

static char *out_path(struct vg_arena *a, const struct movie *m, const char *name)
{
	return vg_arena_printf(a, "%s/%s", m->out_dir, name);
}

static void remove_file(const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("cannot remove %s", path);
}

static void remove_tree(const char *path)
{
	vg_storage_remove_tree(path, MOVIE_OUTPUT_DEPTH);
}

/* Temp files and directories of killed tries ("<name>.tmp.*", see vg_storage_tmp_path). */
static void remove_temps(struct vg_arena *a, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp.")) {
			log_info("removing %s/%s, left by an earlier try", dir, e->d_name);
			remove_tree(vg_arena_printf(a, "%s/%s", dir, e->d_name));
		}
	closedir(d);
}

/* text into path through a temp file, readable by the web server like the other outputs. */
static int write_text(struct vg_arena *a, const char *path, const char *text, struct vg_err *err)
{
	char *tmp = vg_storage_tmp_path(a, path);
	size_t len = strlen(text), done = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return vg_err_set(err, VG_EUNAVAIL, NULL, "cannot create %s: %s", tmp,
		                  strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (close(fd) != 0 || done != len) {
		unlink(tmp);
		return vg_err_set(err, VG_EUNAVAIL, NULL, "cannot write %s: %s", tmp,
		                  strerror(errno));
	}
	return vg_storage_commit(tmp, path, err);
}

/* ---- heartbeats while ffmpeg runs ---- */

struct tick {
	struct runner_worker *w;
	const struct vg_job *job;
	long long last_heartbeat_ms;
	bool abandoned; /* SIGTERM grace ran out */
	bool lost;      /* the heartbeat said the job is not ours: see why */
	struct vg_err why;
};

static int on_tick(void *ctx, const char *line)
{
	struct tick *t = ctx;
	struct runner_worker *w = t->w;
	long long now = runner_now_ms();
	struct vg_err err;

	if (line) /* ffmpeg's stdout: nothing we asked for */
		return 0;
	if (runner_should_abandon(w)) {
		t->abandoned = true;
		return 1;
	}
	if (now - t->last_heartbeat_ms < (long long)w->conf->runner_heartbeat_s * 1000)
		return 0;
	vg_err_clear(&err);
	t->last_heartbeat_ms = now;
	int rc = vg_queue_heartbeat(w->db, w->tick_arena, t->job, w->conf->runner_lease_s, &err);

	vg_arena_reset(w->tick_arena);
	if (rc == VG_ECANCELLED) {
		t->lost = true;
		t->why = err;
		return 1;
	}
	if (rc != VG_OK) /* the database may be back before the lease ends */
		log_warnx("heartbeat failed: %s", err.msg);
	return 0;
}

/* Heartbeats during every vg_assemble_* call until watch_end. */
static void watch_start(struct tick *t, struct runner_worker *w, const struct vg_job *job)
{
	struct vg_assemble_watch aw = {on_tick, t};

	memset(t, 0, sizeof *t);
	t->w = w;
	t->job = job;
	t->last_heartbeat_ms = runner_now_ms();
	vg_assemble_set_watch(&aw);
}

/* Ends the watch; turns a stop the tick asked for into the error the worker expects. */
static int watch_end(struct tick *t, const char *movie_id, int rc, struct vg_err *err)
{
	vg_assemble_set_watch(NULL);
	if (rc == VG_OK)
		return rc;
	if (t->lost) {
		*err = t->why;
		return err->rc;
	}
	if (t->abandoned)
		return vg_err_set(err, VG_ECANCELLED, RUNNER_SHUTDOWN,
		                  "stopping: the assembly of movie %s was abandoned", movie_id);
	return rc;
}

/* A tick between short runs (probes, the poster): VG_OK or the reason to stop. */
static int tick_now(struct tick *t, const char *movie_id, struct vg_err *err)
{
	if (on_tick(t, NULL) == 0)
		return VG_OK;
	return watch_end(t, movie_id, VG_ECANCELLED, err);
}

/* ---- the movie and its scenes ---- */

static int movie_from_row(struct runner_worker *w, const struct vg_job *job, const PGresult *r,
                          struct movie *m, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;

	m->title = vg_db_get(r, 0, "title");
	m->style = vg_db_get(r, 0, "style");
	m->transition = vg_db_get(r, 0, "transition");
	m->music_volume = vg_db_get_double(r, 0, "soundtrack_volume", 0.35);
	/* at volume 0 the music would not be heard: no mix at all */
	m->soundtrack_rel = m->music_volume > 0 ? vg_db_get(r, 0, "soundtrack_path") : NULL;
	m->title_card = vg_db_get_bool(r, 0, "title_card");
	m->prev_output = vg_db_get(r, 0, "output_dir");
	/* A transition lasts whole frames (vg_assemble keeps the film on the frame grid):
	 * the expected length below counts the same. */
	m->transition_s = vg_movie_frames_s(vg_db_get_double(r, 0, "transition_seconds", 1.0));
	if (!vg_local_dimensions(vg_db_get(r, 0, "aspect_ratio"), vg_db_get(r, 0, "resolution"),
	                         &m->width, &m->height))
		return vg_err_set(
		    err, VG_EINVAL, "bad_movie",
		    "movie %s asks for aspect ratio %s at %s, which cannot be assembled", m->id,
		    vg_db_get(r, 0, "aspect_ratio"), vg_db_get(r, 0, "resolution"));
	m->out_rel = movie_output_rel(a, m->id, job->id);
	if (!m->out_rel)
		return vg_err_set(err, VG_EINVAL, "bad_movie",
		                  "movie id %s cannot name a directory", m->id);
	m->out_dir = vg_arena_printf(a, "%s/%s", w->conf->storage_dir, m->out_rel);
	return VG_OK;
}

/* Records the step's stage and progress (guarded) and loads the movie. */
static int load_movie(struct runner_worker *w, const struct vg_job *job, const char *stage,
                      int progress, struct movie *m, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	char prog[16];
	PGresult *r;

	memset(m, 0, sizeof *m);
	m->id = runner_payload_id(job, "movie_id", err);
	if (!m->id)
		return err->rc;
	snprintf(prog, sizeof prog, "%d", progress);
	r = vg_db_q(w->db, a, err,
	            "UPDATE movies SET stage = $3, assembly_progress = greatest(assembly_progress, "
	            "$4::int), updated_at = now() WHERE " MOVIE_OURS
	            " AND status = 'assembling' " MOVIE_RETURNING,
	            m->id, job->id, stage, prog);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return runner_row_not_ours(w, a, job, RUNNER_ROW_MOVIE, m->id,
		                           "only a rendering or assembling movie is assembled",
		                           err);
	return movie_from_row(w, job, r, m, err);
}

/* The scenes in position order, each with a fresh succeeded take (else scene_not_ready). */
static int load_scenes(struct runner_worker *w, const struct movie *m, struct scene **out, int *n,
                       struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	PGresult *r = vg_db_q(
	    w->db, a, err,
	    "SELECT s.id, s.position, s.title, s.caption, s.transition, s.duration_seconds, "
	    "s.video_id, s.stale, v.status AS take_status, v.content_path FROM scenes s LEFT JOIN "
	    "videos v ON v.id = s.video_id WHERE s.movie_id = $1 ORDER BY s.position",
	    m->id);
	struct scene *sc;

	if (!r)
		return err->rc;
	*n = PQntuples(r);
	if (*n < 1)
		return vg_err_set(err, VG_EINVAL, "scene_not_ready",
		                  "the movie has no scenes: add scenes and render it again");
	sc = vg_arena_alloc(a, sizeof *sc * (size_t)*n);
	for (int i = 0; i < *n; i++) {
		const char *status = vg_db_get(r, i, "take_status");

		sc[i].id = vg_db_get(r, i, "id");
		sc[i].position = (int)vg_db_get_ll(r, i, "position", i + 1);
		sc[i].title = vg_db_get(r, i, "title");
		sc[i].caption = vg_db_get(r, i, "caption");
		sc[i].transition = vg_db_get(r, i, "transition");
		sc[i].duration_s = (int)vg_db_get_ll(r, i, "duration_seconds", 0);
		sc[i].take_rel = vg_db_get(r, i, "content_path");
		if (!vg_db_get(r, i, "video_id"))
			status = "pending";
		else if (vg_db_get_bool(r, i, "stale"))
			status = "stale";
		if (!vg_str_eq(status, "succeeded") || !sc[i].take_rel)
			return vg_err_set(
			    err, VG_EINVAL, "scene_not_ready",
			    "scene %d%s%s%s is %s, not rendered: render the movie again",
			    sc[i].position, sc[i].title ? " (" : "", sc[i].title ? sc[i].title : "",
			    sc[i].title ? ")" : "", status ? status : "without a take");
	}
	*out = sc;
	return VG_OK;
}

/* The film's parts in order (the title card first when there is one): their planned
 * lengths and how each flows into the next — a scene's own transition, else the movie's;
 * the title card joins scene 1 with the movie's. */
static int film_parts(const struct movie *m, const struct scene *sc, int n, double *d,
                      struct vg_join *j)
{
	int k = 0;

	if (m->title_card) {
		d[k] = VG_MOVIE_TITLE_CARD_S;
		j[k].transition = m->transition;
		j[k].duration_s = m->transition_s;
		k++;
	}
	for (int i = 0; i < n; i++, k++) {
		d[k] = sc[i].duration_s;
		if (i < n - 1) {
			j[k].transition = sc[i].transition && sc[i].transition[0] ? sc[i].transition
			                                                          : m->transition;
			j[k].duration_s = m->transition_s;
		}
	}
	return k;
}

/* What the film must last: vg_movie_total_duration of the scenes. */
static double expected_duration(struct vg_arena *a, const struct movie *m, const struct scene *sc,
                                int n)
{
	int *d = vg_arena_alloc(a, sizeof *d * (size_t)n);
	const char **t = vg_arena_alloc(a, sizeof *t * (size_t)n);

	for (int i = 0; i < n; i++) {
		d[i] = sc[i].duration_s;
		t[i] = sc[i].transition && sc[i].transition[0] ? sc[i].transition : NULL;
	}
	return vg_movie_total_duration(d, (const char *const *)t, n, m->transition, m->transition_s,
	                               m->title_card);
}

/* Probes every take into takes[0..n): the scene's planned length when the take is close
 * to it (the film pads or trims the rest), an error naming the scene otherwise. */
static int probe_takes(struct runner_worker *w, struct tick *t, const struct movie *m,
                       const struct scene *sc, int n, struct vg_take *takes, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	struct vg_probe pr;
	int rc;

	for (int i = 0; i < n; i++) {
		char *path = vg_arena_printf(a, "%s/%s", c->storage_dir, sc[i].take_rel);
		double len;

		if ((rc = tick_now(t, m->id, err)) != VG_OK)
			return rc;
		if (access(path, R_OK) != 0)
			return vg_err_set(
			    err, VG_EINVAL, "scene_not_ready",
			    "the take of scene %d is missing from storage: regenerate "
			    "the scene",
			    sc[i].position);
		rc = vg_media_probe(c->ffprobe_path, path, c->ffmpeg_timeout_s, &pr, err);
		if (rc != VG_OK)
			return rc == VG_EMEDIA ? vg_err_set(err, VG_EINVAL, "scene_not_ready",
			                                    "the take of scene %d cannot be read: "
			                                    "regenerate the scene",
			                                    sc[i].position)
			                       : rc;
		len = pr.video_duration_s > 0 ? pr.video_duration_s : pr.duration_s;
		if (!pr.has_video || fabs(len - sc[i].duration_s) > TAKE_SLACK_S)
			return vg_err_set(
			    err, VG_EINVAL, "scene_not_ready",
			    "the take of scene %d lasts %.2f s, not the scene's %d s: "
			    "regenerate the scene",
			    sc[i].position, pr.has_video ? len : 0.0, sc[i].duration_s);
		takes[i].path = path;
		takes[i].duration_s = sc[i].duration_s;
		takes[i].has_audio = pr.has_audio;
		takes[i].width = pr.width;
		takes[i].height = pr.height;
		takes[i].fps = pr.fps;
		takes[i].pix_fmt = vg_arena_strdup(a, pr.pix_fmt);
		takes[i].sample_rate = pr.sample_rate;
		takes[i].channels = pr.channels;
	}
	return VG_OK;
}

/* ---- steps ---- */

static int step_start(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	struct scene *sc;
	struct movie m;
	PGresult *r;
	int rc, n;

	memset(&m, 0, sizeof m);
	m.id = runner_payload_id(job, "movie_id", err);
	if (!m.id)
		return err->rc;
	r = vg_db_q(w->db, a, err,
	            "UPDATE movies SET status = 'assembling', stage = 'joining scenes', "
	            "assembly_progress = 0, updated_at = now() WHERE " MOVIE_OURS
	            " AND status IN ('rendering', 'assembling') " MOVIE_RETURNING,
	            m.id, job->id);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return runner_row_not_ours(w, a, job, RUNNER_ROW_MOVIE, m.id,
		                           "only a rendering or assembling movie is assembled",
		                           err);
	if ((rc = movie_from_row(w, job, r, &m, err)) != VG_OK ||
	    (rc = load_scenes(w, &m, &sc, &n, err)) != VG_OK)
		return rc;
	json_object_set_new(job->state_data, "redo", json_integer(0));
	return vg_queue_advance(w->db, a, job, "film", w->conf->runner_lease_s, err);
}

static const char *title_color(const char *style)
{
	const struct vg_style *s = style ? vg_style_find(style) : NULL;

	return s ? s->color_a : NULL;
}

/* The title card as a part in the film's format. */
static int make_title(struct runner_worker *w, const struct movie *m, struct vg_take *t,
                      struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	char *path = out_path(w->step_arena, m, "title.mp4");
	int rc;

	rc = vg_assemble_title_card(c->ffmpeg_path, m->title, title_color(m->style),
	                            c->providers_local_font, VG_MOVIE_TITLE_CARD_S, m->width,
	                            m->height, FILM_FPS, path, c->ffmpeg_timeout_s, err);
	if (rc != VG_OK)
		return rc;
	memset(t, 0, sizeof *t);
	t->path = path;
	t->duration_s = VG_MOVIE_TITLE_CARD_S;
	t->has_audio = true;
	t->width = m->width;
	t->height = m->height;
	t->fps = FILM_FPS;
	t->pix_fmt = "yuv420p";
	t->sample_rate = 48000;
	t->channels = 2;
	return VG_OK;
}

/* The joined film with the soundtrack mixed under it. */
static int mix_music(struct runner_worker *w, const struct movie *m, const char *joined,
                     const char *film, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	char *music = vg_arena_printf(w->step_arena, "%s/%s", c->storage_dir, m->soundtrack_rel);
	struct vg_probe pr;
	int rc;

	if (access(music, R_OK) != 0)
		return vg_err_set(err, VG_EINVAL, "missing_input",
		                  "the soundtrack is missing from storage: upload it again and set "
		                  "soundtrack_id, or remove it");
	if ((rc = vg_media_probe(c->ffprobe_path, joined, c->ffmpeg_timeout_s, &pr, err)) != VG_OK)
		return rc;
	return vg_assemble_mix_soundtrack(
	    c->ffmpeg_path, joined, pr.video_duration_s > 0 ? pr.video_duration_s : pr.duration_s,
	    pr.has_audio, music, m->music_volume, film, c->ffmpeg_timeout_s, err);
}

static int step_film(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	struct vg_take *parts;
	struct vg_join *joins;
	struct scene *sc;
	struct movie m;
	struct tick t;
	double *d;
	char *film, *joined, *title;
	int rc, n, np, first;

	if ((rc = load_movie(w, job, "joining scenes", 0, &m, err)) != VG_OK ||
	    (rc = load_scenes(w, &m, &sc, &n, err)) != VG_OK)
		return rc;
	film = out_path(a, &m, "film.mp4");
	joined = out_path(a, &m, "joined.mp4");
	title = out_path(a, &m, "title.mp4");
	if ((rc = vg_storage_mkdirs(film, err)) != VG_OK)
		return rc;
	parts = vg_arena_alloc(a, sizeof *parts * (size_t)(n + 1));
	joins = vg_arena_alloc(a, sizeof *joins * (size_t)(n + 1));
	d = vg_arena_alloc(a, sizeof *d * (size_t)(n + 1));
	memset(parts, 0, sizeof *parts * (size_t)(n + 1));
	memset(joins, 0, sizeof *joins * (size_t)(n + 1));
	np = film_parts(&m, sc, n, d, joins);
	first = m.title_card ? 1 : 0;

	watch_start(&t, w, job);
	rc = probe_takes(w, &t, &m, sc, n, parts + first, err);
	if (rc == VG_OK && m.title_card)
		rc = make_title(w, &m, &parts[0], err);
	if (rc == VG_OK) {
		log_info("assembling movie %s: %d scenes%s, %dx%d", m.id, n,
		         m.title_card ? " and a title card" : "", m.width, m.height);
		rc = vg_assemble_film(c->ffmpeg_path, parts, joins, np, m.width, m.height, FILM_FPS,
		                      m.soundtrack_rel ? joined : film, c->ffmpeg_timeout_s, err);
	}
	if (rc == VG_OK && m.soundtrack_rel)
		rc = mix_music(w, &m, joined, film, err);
	rc = watch_end(&t, m.id, rc, err);
	remove_file(joined);
	remove_file(title);
	if (rc != VG_OK)
		return rc;
	return vg_queue_advance(w->db, a, job, "webm", c->runner_lease_s, err);
}

static int redo_step(struct runner_worker *w, struct vg_job *job, const struct movie *m,
                     const char *step, struct vg_err *err)
{
	json_int_t redo = json_integer_value(json_object_get(job->state_data, "redo"));

	if (redo >= MAX_REDO)
		return vg_err_set(err, VG_EINTERNAL, "bad_output",
		                  "the outputs of movie %s keep disappearing from %s: check the "
		                  "storage directory",
		                  m->id, m->out_dir);
	log_warnx("an output of movie %s is gone; going back to step %s", m->id, step);
	json_object_set_new(job->state_data, "redo", json_integer(redo + 1));
	return vg_queue_advance(w->db, w->step_arena, job, step, w->conf->runner_lease_s, err);
}

static int step_webm(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	const char *film;
	struct movie m;
	struct tick t;
	int rc;

	if ((rc = load_movie(w, job, "exporting WebM", 60, &m, err)) != VG_OK)
		return rc;
	film = out_path(w->step_arena, &m, "film.mp4");
	if (access(film, R_OK) != 0)
		return redo_step(w, job, &m, "film", err);
	watch_start(&t, w, job);
	rc = vg_assemble_webm(c->ffmpeg_path, film, out_path(w->step_arena, &m, "film.webm"),
	                      c->ffmpeg_timeout_s, err);
	if ((rc = watch_end(&t, m.id, rc, err)) != VG_OK)
		return rc;
	return vg_queue_advance(w->db, w->step_arena, job, "hls", c->runner_lease_s, err);
}

static int step_hls(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	const char *film;
	struct movie m;
	struct tick t;
	int rc;

	if ((rc = load_movie(w, job, "exporting HLS", 80, &m, err)) != VG_OK)
		return rc;
	film = out_path(w->step_arena, &m, "film.mp4");
	if (access(film, R_OK) != 0)
		return redo_step(w, job, &m, "film", err);
	watch_start(&t, w, job);
	rc = vg_assemble_hls(c->ffmpeg_path, film, out_path(w->step_arena, &m, "hls"),
	                     c->ffmpeg_timeout_s, err);
	if ((rc = watch_end(&t, m.id, rc, err)) != VG_OK)
		return rc;
	return vg_queue_advance(w->db, w->step_arena, job, "extras", c->runner_lease_s, err);
}

/* One cue per scene, its caption (else its title), while it is on screen: from the start
 * of the join into it to the end of the join out of it (the title card shifts them all). */
static int write_subtitles(struct runner_worker *w, const struct movie *m, const struct scene *sc,
                           int n, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	double *d = vg_arena_alloc(a, sizeof *d * (size_t)(n + 1));
	double *off = vg_arena_alloc(a, sizeof *off * (size_t)(n + 1));
	double *starts = vg_arena_alloc(a, sizeof *starts * (size_t)n);
	double *ends = vg_arena_alloc(a, sizeof *ends * (size_t)n);
	const char **cues = vg_arena_alloc(a, sizeof *cues * (size_t)n);
	struct vg_join *j = vg_arena_alloc(a, sizeof *j * (size_t)(n + 1));
	int np, first = m->title_card ? 1 : 0;
	double total;
	char *vtt;
	int rc;

	memset(j, 0, sizeof *j * (size_t)(n + 1));
	np = film_parts(m, sc, n, d, j);
	total = vg_assemble_offsets(d, j, np, off);
	for (int i = 0; i < n; i++) {
		int k = i + first; /* the scene's part */
		bool cut_out = k == np - 1 || !j[k].transition || !j[k].transition[0] ||
		               vg_str_eq(j[k].transition, "cut");

		cues[i] = sc[i].caption && sc[i].caption[0] ? sc[i].caption : sc[i].title;
		starts[i] = k == 0 ? 0 : off[k - 1];
		ends[i] = k == np - 1 ? total : off[k] + (cut_out ? 0 : j[k].duration_s);
	}
	vtt = vg_assemble_webvtt(cues, starts, ends, n);
	if (!vtt)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "the subtitles of movie %s have a cue that ends before it starts",
		                  m->id);
	vg_arena_cleanup(a, free, vtt);
	rc = write_text(a, out_path(a, m, "subtitles.vtt"), vtt, err);
	return rc;
}

static int step_extras(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	struct vg_take *takes;
	struct vg_probe pr;
	struct scene *sc;
	const char *film;
	struct movie m;
	struct tick t;
	double len;
	int rc, n;

	if ((rc = load_movie(w, job, "making the poster, contact sheet and subtitles", 90, &m,
	                     err)) != VG_OK ||
	    (rc = load_scenes(w, &m, &sc, &n, err)) != VG_OK)
		return rc;
	film = out_path(w->step_arena, &m, "film.mp4");
	if (access(film, R_OK) != 0)
		return redo_step(w, job, &m, "film", err);
	if ((rc = vg_media_probe(c->ffprobe_path, film, c->ffmpeg_timeout_s, &pr, err)) != VG_OK)
		return rc;
	len = pr.video_duration_s > 0 ? pr.video_duration_s : pr.duration_s;
	if ((rc = vg_media_thumbnail(c->ffmpeg_path, film, len / 2 < 1.0 ? len / 2 : 1.0, m.width,
	                             out_path(a, &m, "poster.jpg"), c->ffmpeg_timeout_s, err)) !=
	    VG_OK)
		return rc;
	takes = vg_arena_alloc(a, sizeof *takes * (size_t)n);
	memset(takes, 0, sizeof *takes * (size_t)n);
	watch_start(&t, w, job);
	rc = probe_takes(w, &t, &m, sc, n, takes, err);
	if (rc == VG_OK)
		rc = vg_assemble_contact_sheet(c->ffmpeg_path, takes, n, TILE_WIDTH,
		                               out_path(a, &m, "contact.jpg"), c->ffmpeg_timeout_s,
		                               err);
	if ((rc = watch_end(&t, m.id, rc, err)) != VG_OK ||
	    (rc = write_subtitles(w, &m, sc, n, err)) != VG_OK)
		return rc;
	return vg_queue_advance(w->db, a, job, "finalize", c->runner_lease_s, err);
}

/* The step that makes a missing output, or NULL when every output is there. */
static const char *missing_output(struct vg_arena *a, const struct movie *m)
{
	static const struct {
		const char *name, *step;
	} outputs[] = {{"film.mp4", "film"},      {"film.webm", "webm"},
	               {"hls/index.m3u8", "hls"}, {"poster.jpg", "extras"},
	               {"contact.jpg", "extras"}, {"subtitles.vtt", "extras"}};

	for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
		if (access(out_path(a, m, outputs[i].name), R_OK) != 0)
			return outputs[i].step;
	return NULL;
}

/* The film lasts what its scenes add up to and its sound ends with its picture, each
 * within one frame: a wrong film is not shipped. */
static int check_film(const struct movie *m, const struct vg_probe *pr, double expected,
                      struct vg_err *err)
{
	double v = pr->video_duration_s > 0 ? pr->video_duration_s : pr->duration_s;
	double slack = FRAME_S + 1e-3;

	if (!pr->has_video || !pr->has_audio)
		return vg_err_set(err, VG_EINTERNAL, "bad_output",
		                  "the film of movie %s has no %s stream", m->id,
		                  pr->has_video ? "audio" : "video");
	if (pr->width != m->width || pr->height != m->height)
		return vg_err_set(err, VG_EINTERNAL, "bad_output",
		                  "the film is %dx%d instead of %dx%d", pr->width, pr->height,
		                  m->width, m->height);
	if (fabs(v - expected) > slack)
		return vg_err_set(err, VG_EINTERNAL, "bad_output",
		                  "the film lasts %.3f s instead of the scenes' %.3f s", v,
		                  expected);
	if (pr->audio_duration_s > 0 && fabs(pr->audio_duration_s - v) > slack)
		return vg_err_set(err, VG_EINTERNAL, "bad_output",
		                  "the film's sound lasts %.3f s but its picture %.3f s",
		                  pr->audio_duration_s, v);
	return VG_OK;
}

static int count_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (strncmp(e->d_name, "seg_", 4) == 0 && len > 3 &&
		    strcmp(e->d_name + len - 3, ".ts") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static char *result_json(struct vg_arena *a, const struct movie *m, const struct vg_probe *pr,
                         uint64_t size, const char *sha, int n_scenes, uint64_t webm_size,
                         int segments)
{
	double v = pr->video_duration_s > 0 ? pr->video_duration_s : pr->duration_s;
	json_t *res = json_pack("{s:f, s:i, s:i, s:I, s:s, s:b, s:i, s:I, s:i}", "duration_seconds",
	                        (double)(long long)(v * 1000 + 0.5) / 1000, "width", m->width,
	                        "height", m->height, "size_bytes", (json_int_t)size, "sha256", sha,
	                        "has_audio", pr->has_audio, "scenes", n_scenes, "webm_size_bytes",
	                        (json_int_t)webm_size, "hls_segments", segments);
	char *s;

	if (!res)
		vg_oom(0);
	s = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	if (!s)
		vg_oom(0);
	vg_arena_cleanup(a, free, s);
	return s;
}

/* The film, its result and the job's completion in one transaction. */
static int record_success(struct runner_worker *w, struct vg_job *job, const struct movie *m,
                          const char *result, const char **prev, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	PGresult *r;
	int rc;

	*prev = NULL;
	if ((rc = vg_db_begin(w->db, a, err)) != VG_OK)
		return rc;
	r = vg_db_q(w->db, a, err,
	            "SELECT output_dir FROM movies WHERE " MOVIE_OURS
	            " AND status = 'assembling' FOR UPDATE",
	            m->id, job->id);
	if (r && PQntuples(r) == 1) {
		*prev = vg_db_get(r, 0, "output_dir");
		r = vg_db_q(w->db, a, err,
		            "UPDATE movies SET status = 'succeeded', stage = NULL, "
		            "assembly_progress = 100, output_dir = $3, result = $4::jsonb, error = "
		            "NULL, finished_at = now(), updated_at = now() WHERE " MOVIE_OURS
		            " AND status = 'assembling' RETURNING id",
		            m->id, job->id, m->out_rel, result);
	}
	if (!r)
		rc = err->rc;
	else if (PQntuples(r) != 1) {
		vg_db_rollback(w->db);
		return runner_row_not_ours(w, a, job, RUNNER_ROW_MOVIE, m->id,
		                           "only a rendering or assembling movie is assembled",
		                           err);
	}
	return runner_complete_txn(w, a, job, rc, err);
}

static int step_finalize(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	struct vg_probe pr;
	struct scene *sc;
	struct movie m;
	struct stat st;
	const char *redo, *film, *prev;
	char sha[65];
	uint64_t size;
	int rc, n;

	if ((rc = load_movie(w, job, "checking the film", 95, &m, err)) != VG_OK ||
	    (rc = load_scenes(w, &m, &sc, &n, err)) != VG_OK)
		return rc;
	if ((redo = missing_output(a, &m)) != NULL)
		return redo_step(w, job, &m, redo, err);
	film = out_path(a, &m, "film.mp4");
	if ((rc = vg_media_probe(c->ffprobe_path, film, c->ffmpeg_timeout_s, &pr, err)) != VG_OK)
		return rc;
	if ((rc = check_film(&m, &pr, expected_duration(a, &m, sc, n), err)) != VG_OK) {
		/* a wrong film is not worth keeping: the next try joins the scenes again */
		remove_file(film);
		return rc;
	}
	if ((rc = vg_storage_file_sha256(film, sha, &size, err)) != VG_OK)
		return rc;
	if (stat(out_path(a, &m, "film.webm"), &st) != 0)
		return redo_step(w, job, &m, "webm", err);
	remove_temps(a, m.out_dir);
	rc = record_success(w, job, &m,
	                    result_json(a, &m, &pr, size, sha, n, (uint64_t)st.st_size,
	                                count_segments(out_path(a, &m, "hls"))),
	                    &prev, err);
	if (rc != VG_OK)
		return rc;
	vg_metrics_movie("succeeded", m.style);
	log_info("movie %s succeeded: %d scenes, %.3f s, %llu bytes, sha256 %.12s...", m.id, n,
	         pr.video_duration_s, (unsigned long long)size, sha);
	/* the film served until now; its readers had their answer before the commit */
	if (prev && !vg_str_eq(prev, m.out_rel))
		movie_remove_output(c, a, m.id, prev);
	return RUNNER_DONE;
}

int j_movie_assemble_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	static const struct {
		const char *name;
		int (*fn)(struct runner_worker *, struct vg_job *, struct vg_err *);
	} steps[] = {{"start", step_start}, {"film", step_film},     {"webm", step_webm},
	             {"hls", step_hls},     {"extras", step_extras}, {"finalize", step_finalize}};

	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (vg_str_eq(job->step, steps[i].name))
			return steps[i].fn(w, job, err);
	return vg_err_set(err, VG_EINVAL, "unknown_step", "movie.assemble has no step %s",
	                  job->step);
}

/* ---- the job's end without success ---- */

/* This assembly's directory, unless it is the film being served (it never is: only a
 * succeeded assembly becomes output_dir). */
static void remove_job_outputs(struct runner_worker *w, const char *movie_id, const char *job_id,
                               const char *output_dir)
{
	struct vg_arena *a = w->tick_arena;
	char *rel = movie_output_rel(a, movie_id, job_id);

	if (rel && !vg_str_eq(rel, output_dir))
		movie_remove_output(w->conf, a, movie_id, rel);
	vg_arena_reset(a);
}

int j_movie_assemble_failed(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
                            struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	const char *id = runner_payload_id(job, "movie_id", err);
	PGresult *r;
	int rc;

	if (!id)
		return VG_OK; /* no movie to update: the job's own error says why */
	r = vg_db_q(w->db, a, err,
	            "SELECT output_dir FROM movies WHERE " MOVIE_OURS
	            " AND status IN ('rendering', 'assembling') FOR UPDATE",
	            id, job->id);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1) {
		remove_job_outputs(w, id, job->id, NULL);
		return VG_OK;
	}
	rc = movie_fail(w->db, a, id, "assembly_failed",
	                vg_arena_printf(a, "the film could not be assembled: %s", why->msg), NULL,
	                job->id, NULL, err);
	if (rc == VG_OK)
		remove_job_outputs(w, id, job->id, vg_db_get(r, 0, "output_dir"));
	return rc;
}

int j_movie_assemble_cancelled(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	const char *id = runner_payload_id(job, "movie_id", err);
	PGresult *r;
	int rc;

	if (!id)
		return VG_OK;
	if ((rc = vg_db_begin(w->db, a, err)) != VG_OK)
		return rc;
	r = vg_db_q(w->db, a, err,
	            "SELECT output_dir FROM movies WHERE " MOVIE_OURS
	            " AND status IN ('rendering', 'assembling') FOR UPDATE",
	            id, job->id);
	if (!r)
		rc = err->rc;
	else if (PQntuples(r) == 1)
		rc = vg_movie_stop(w->db, a, id, "cancelled", "cancelled",
		                   "the movie was cancelled before it finished", NULL, job->id,
		                   NULL, err);
	if (rc == VG_OK)
		rc = vg_db_commit(w->db, a, err);
	if (rc != VG_OK) {
		vg_db_rollback(w->db);
		return rc;
	}
	remove_job_outputs(w, id, job->id,
	                   r && PQntuples(r) == 1 ? vg_db_get(r, 0, "output_dir") : NULL);
	return VG_OK;
}
