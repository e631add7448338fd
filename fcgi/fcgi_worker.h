/* A responder: accepts FastCGI requests on listen_fd until told to stop or recycled. */
#ifndef FCGI_WORKER_H
#define FCGI_WORKER_H

#include "vg_conf.h"

int vg_fcgi_worker_main(const struct vg_conf *c, int listen_fd, int gen, int idx);

#endif
