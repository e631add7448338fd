/* fcgi_const: the cheapest possible FastCGI responder, as a yardstick for veogen-fcgi.
 *
 *   fcgi_const                  accept on an inherited socket on fd 0 (spawn-fcgi -n …)
 *   fcgi_const SOCKET [WORKERS] bind a unix socket at SOCKET and pre-fork WORKERS (default 1)
 *
 * Every request gets the same JSON body (a finished video object as GET /api/v1/videos/{id}
 * returns it, 950 bytes), written with the same libfcgi calls the real responder uses, so the
 * difference between the two in tests/bench/api_wrk.sh is the API's own work: authentication,
 * database, JSON. */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 256

static const char body[] =
    "{\"id\":\"3bedfbaf-7201-47c0-a472-6cd5cd299c83\",\"status\":\"succeeded\","
    "\"progress\":100,\"stage\":\"done\",\"prompt\":\"benchmark: one video to read\","
    "\"negative_prompt\":null,\"style\":null,\"duration_seconds\":4,\"aspect_ratio\":\"16:9\","
    "\"resolution\":\"720p\",\"seed\":null,\"image_id\":null,\"last_frame_id\":null,"
    "\"reference_image_ids\":[],\"provider\":\"local\",\"model\":\"veogen-preview-1\","
    "\"webhook_url\":null,\"created_at\":\"2026-11-24T01:59:22Z\","
    "\"started_at\":\"2026-11-24T01:59:22Z\",\"finished_at\":\"2026-11-24T01:59:28Z\","
    "\"attempts\":1,\"error\":null,\"result\":{\"width\":1280,\"height\":720,"
    "\"sha256\":\"9654a9f0443cfe9bffa93cff5f7fc7479a12790ebec0177abff68fed535c1ecd\","
    "\"has_audio\":true,\"mime_type\":\"video/mp4\",\"size_bytes\":460923,"
    "\"duration_seconds\":4.0},\"estimated_cost_usd\":0.0,"
    "\"links\":{\"self\":\"/api/v1/videos/3bedfbaf-7201-47c0-a472-6cd5cd299c83\","
    "\"content\":\"/api/v1/videos/3bedfbaf-7201-47c0-a472-6cd5cd299c83/content\","
    "\"thumbnail\":\"/api/v1/videos/3bedfbaf-7201-47c0-a472-6cd5cd299c83/thumbnail\"}}";

static volatile sig_atomic_t stop_requested;
/* Set in the master only: the pool it passes TERM/INT on to. */
static pid_t pool[MAX_WORKERS];
static volatile sig_atomic_t pool_size;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
	FCGX_ShutdownPending();
	for (int i = 0; i < pool_size; i++)
		kill(pool[i], SIGTERM);
}

/* Installed before FCGX_Init (so libfcgi keeps ours) and without SA_RESTART, so a worker
 * blocked in accept() wakes up and leaves. */
static void install_stop_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static int serve(int listen_fd)
{
	FCGX_Request req;
	char head[256];
	int head_len;

	if (FCGX_Init() != 0) {
		fprintf(stderr, "fcgi_const: FCGX_Init failed\n");
		return 1;
	}
	if (FCGX_InitRequest(&req, listen_fd, 0) != 0) {
		fprintf(stderr, "fcgi_const: FCGX_InitRequest failed\n");
		return 1;
	}
	while (!stop_requested && FCGX_Accept_r(&req) >= 0) {
		/* The headers veogen-fcgi sends with a video, so the two write the same bytes. */
		const char *id = FCGX_GetParam("REQUEST_ID", req.envp);
		head_len =
		    snprintf(head, sizeof head,
		             "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
		             "Content-Length: %zu\r\nX-Request-Id: %.64s\r\n"
		             "Cache-Control: no-store\r\n\r\n",
		             sizeof body - 1, id ? id : "-");
		/* A failed write means the client went away: nothing to do but finish. */
		if (FCGX_PutStr(head, head_len, req.out) == head_len)
			FCGX_PutStr(body, (int)sizeof body - 1, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
}

static int bind_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "fcgi_const: socket path too long (max %zu bytes): %s\n",
		        sizeof sun.sun_path - 1, path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("fcgi_const: socket");
		return -1;
	}
	/* A stale socket from an earlier run is ours to replace; anything else is not. */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "fcgi_const: %s exists and is not a socket\n", path);
			close(fd);
			return -1;
		}
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 || listen(fd, 1024) != 0) {
		fprintf(stderr, "fcgi_const: cannot listen on %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* The benchmark's nginx may run its workers as another user. */
	chmod(path, 0666);
	return fd;
}

static int parse_workers(const char *s, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 1 || n > MAX_WORKERS) {
		fprintf(stderr, "fcgi_const: WORKERS must be 1..%d, not \"%s\"\n", MAX_WORKERS, s);
		return -1;
	}
	*out = (int)n;
	return 0;
}

int main(int argc, char **argv)
{
	int workers = 1;
	int fd;

	if (argc > 3 || (argc > 1 && strcmp(argv[1], "-h") == 0)) {
		fprintf(stderr,
		        "usage: %s [SOCKET_PATH [WORKERS]]\n"
		        "  without SOCKET_PATH the socket is inherited on fd 0 (spawn-fcgi)\n",
		        argv[0]);
		return 2;
	}
	install_stop_handler();
	if (argc == 1)
		return serve(0);
	if (argc == 3 && parse_workers(argv[2], &workers) != 0)
		return 2;
	fd = bind_unix(argv[1]);
	if (fd < 0)
		return 1;

	for (int i = 0; i < workers; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fcgi_const: fork");
			on_stop(SIGTERM);
			break;
		}
		if (pid == 0) {
			pool_size = 0;
			_exit(serve(fd));
		}
		pool[pool_size] = pid;
		pool_size = pool_size + 1;
	}
	/* The master only waits; its signal handler passes TERM/INT on to the pool. */
	for (int alive = pool_size; alive > 0;) {
		if (waitpid(-1, NULL, 0) > 0)
			alive--;
		else if (errno != EINTR)
			break;
	}
	close(fd);
	unlink(argv[1]);
	return 0;
}
