/* Redis access (hiredis 0.14): connect lazily with a connect timeout, apply the command
 * timeout after every (re)connect, back off reconnects, replies owned by an arena. */
#ifndef VG_REDIS_H
#define VG_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "vg_arena.h"
#include "vg_err.h"

struct vg_redis;

/* socket: unix socket path, or NULL/"" to use host:port. */
struct vg_redis *vg_redis_new(const char *socket, const char *host, int port, int timeout_ms);
void vg_redis_free(struct vg_redis *r);

/* Runs one command (binary-safe argv).  Returns the reply, registered on the arena, or
 * NULL with VG_EUNAVAIL in err when Redis cannot be reached (then no reconnect is tried
 * again for one second, so a down Redis costs one timeout per second, not per request).
 * A REDIS_REPLY_ERROR reply is returned as is. */
redisReply *vg_redis_cmd(struct vg_redis *r, struct vg_arena *a, struct vg_err *err, int argc,
                         const char **argv, const size_t *lens);
/* Convenience for NUL-terminated arguments. */
redisReply *vg_redis_cmdv(struct vg_redis *r, struct vg_arena *a, struct vg_err *err, int argc,
                          const char **argv);
/* PING: VG_OK or VG_EUNAVAIL. */
int vg_redis_ping(struct vg_redis *r, struct vg_arena *a, struct vg_err *err);

#endif
