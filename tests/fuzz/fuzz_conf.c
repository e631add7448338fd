/* The config loader: the input is written to a file of its own (on /dev/shm when there is
 * one) and loaded with vg_conf_parse, as every program loads etc/veogen.conf; a config it
 * accepts is compared with the defaults as a reload would. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char path[128];

static void pick_path(void)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(path, sizeof path, "%s/veogen-fuzz-conf-%d.conf", dir, (int)getpid());
}

static void write_file(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) != 0) {
		perror(path);
		abort(); /* not a finding: the fuzzer cannot run here */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_conf c;
	struct vg_err err;
	char keys[1024];

	if (!path[0])
		pick_path();
	write_file(data, size);
	vg_err_clear(&err);
	if (vg_conf_parse(&c, path, &err) == VG_OK) {
		if (err.rc != VG_OK || !c.path || !c.storage_dir || c.storage_dir[0] != '/')
			abort();
		vg_conf_restart_keys(fuzz_conf(), &c, keys, (int)sizeof keys);
		if (!memchr(keys, '\0', sizeof keys))
			abort();
		vg_conf_free(&c);
	} else if (err.rc == VG_OK || !err.msg[0]) {
		abort(); /* a refusal must say what to fix */
	}
	unlink(path);
	return 0;
}
