/* veogen-fcgi: the pre-fork master of the FastCGI responders.
 *   veogen-fcgi [-c FILE] [-F] [-t]
 * Listens on fcgi.listen (a unix socket path or host:port), or on an inherited listening
 * socket on fd 0 (spawn-fcgi, mod_fcgid).  TERM = graceful stop, HUP = reload. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fcgi_worker.h"
#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_str.h"
#include "vg_super.h"

struct fcgi_ctx {
	struct vg_conf conf;
	int listen_fd;
	bool own_socket_path; /* we created it, so we unlink it at exit */
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: veogen-fcgi [-c FILE] [-F] [-t]\n"
	        "  -c FILE  configuration (default " VG_SYSCONFDIR "/veogen.conf or $VEOGEN_CONF)\n"
	        "  -F       stay in the foreground (always; accepted for init scripts)\n"
	        "  -t       check the configuration and exit 0 (OK) or 1\n");
}

static bool inherited_listener(void)
{
	int v = 0;
	socklen_t len = sizeof v;

	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

/* A unix socket path that still answers belongs to a running instance: never steal it. */
static int bind_unix(const char *path, const char *mode_text)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t mode = (mode_t)strtoul(mode_text, NULL, 8);
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		fatalx("fcgi.listen path is longer than %zu bytes: %s", sizeof sa.sun_path - 1,
		       path);
	vg_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		fatalx("%s is in use by a running veogen-fcgi: stop it first", path);
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket");
	mode_t old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		fatal("cannot bind %s (does its directory exist and is it writable?)", path);
	umask(old);
	if (chmod(path, mode) != 0)
		fatal("chmod %s", path);
	return fd;
}

static int bind_tcp(const char *listen_spec)
{
	char host[256];
	const char *colon = strrchr(listen_spec, ':');
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
	int fd, one = 1, rc;

	if (!colon || colon == listen_spec)
		fatalx("fcgi.listen \"%s\" must be a socket path or host:port", listen_spec);
	snprintf(host, sizeof host, "%.*s", (int)(colon - listen_spec), listen_spec);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0)
		fatalx("fcgi.listen %s: %s", listen_spec, gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0)
		fatal("cannot bind %s", listen_spec);
	freeaddrinfo(res);
	return fd;
}

static int open_listener(struct fcgi_ctx *x)
{
	const char *spec = x->conf.fcgi_listen;
	int fd;

	if (inherited_listener()) {
		log_info("using the listening socket inherited on fd 0");
		return 0;
	}
	if (strchr(spec, '/')) {
		fd = bind_unix(spec, x->conf.fcgi_socket_mode);
		x->own_socket_path = true;
	} else {
		fd = bind_tcp(spec);
	}
	if (listen(fd, 1024) != 0)
		fatal("listen on %s", spec);
	return fd;
}

static int ctx_nworkers(void *ctx)
{
	return ((struct fcgi_ctx *)ctx)->conf.fcgi_workers;
}

static int ctx_shutdown_timeout(void *ctx)
{
	return ((struct fcgi_ctx *)ctx)->conf.fcgi_shutdown_timeout_s;
}

static int ctx_worker(void *ctx, int gen, int idx)
{
	struct fcgi_ctx *x = ctx;

	return vg_fcgi_worker_main(&x->conf, x->listen_fd, gen, idx);
}

static int ctx_reload(void *ctx)
{
	struct fcgi_ctx *x = ctx;
	struct vg_conf next;
	struct vg_err err;
	char restart[512];

	vg_err_clear(&err);
	if (vg_conf_load(&next, x->conf.path, &err) != VG_OK) {
		log_warnx("reload refused, keeping the running configuration: %s", err.msg);
		return -1;
	}
	vg_conf_restart_keys(&x->conf, &next, restart, sizeof restart);
	if (restart[0]) {
		log_warnx("these keys change only with a restart and keep their old values: %s",
		          restart);
		free(next.fcgi_listen);
		next.fcgi_listen = vg_xstrdup(x->conf.fcgi_listen);
		free(next.fcgi_socket_mode);
		next.fcgi_socket_mode = vg_xstrdup(x->conf.fcgi_socket_mode);
	}
	vg_conf_free(&x->conf);
	x->conf = next;
	vg_log_configure("veogen-fcgi", x->conf.log_target, x->conf.log_level);
	log_info("configuration reloaded from %s", x->conf.path);
	return 0;
}

int main(int argc, char **argv)
{
	static struct fcgi_ctx x;
	const char *path = getenv("VEOGEN_CONF");
	struct vg_err err;
	bool test_only = false;
	int opt, rc;

	if (!path || !*path)
		path = VG_SYSCONFDIR "/veogen.conf";
	while ((opt = getopt(argc, argv, "c:Fth")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'F':
			break;
		case 't':
			test_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	vg_err_clear(&err);
	if (vg_conf_load(&x.conf, path, &err) != VG_OK) {
		fprintf(stderr, "veogen-fcgi: %s\n", err.msg);
		return test_only ? 1 : 78;
	}
	if (test_only) {
		printf("configuration OK: %s\n", path);
		vg_conf_free(&x.conf);
		return 0;
	}
	vg_log_configure("veogen-fcgi", x.conf.log_target, x.conf.log_level);
	x.listen_fd = open_listener(&x);
	if (vg_metrics_init_anon(&err) != VG_OK) /* before fork: the responders share it */
		log_warnx("running without metrics: %s", err.msg);
	struct vg_super s = {
	    .name = "veogen-fcgi",
	    .nworkers = ctx_nworkers,
	    .shutdown_timeout_s = ctx_shutdown_timeout,
	    .worker_main = ctx_worker,
	    .reload = ctx_reload,
	    .ctx = &x,
	};
	log_info("listening on %s with %d responders",
	         x.listen_fd == 0 ? "fd 0" : x.conf.fcgi_listen, x.conf.fcgi_workers);
	rc = vg_super_run(&s);
	if (x.own_socket_path)
		unlink(x.conf.fcgi_listen);
	vg_conf_free(&x.conf);
	return rc;
}
