/* Per-request / per-job-step memory: allocate freely, reset once at the end.
 * Third-party objects (PGresult, json_t, redisReply …) are registered as cleanups
 * and released, last registered first, by vg_arena_reset(). */
#ifndef VG_ARENA_H
#define VG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct vg_arena;

struct vg_arena *vg_arena_create(size_t block_size);
void vg_arena_destroy(struct vg_arena *a);
/* Runs the cleanups, frees every block but the first. */
void vg_arena_reset(struct vg_arena *a);

/* Never returns NULL: out of memory ends the process (crash-only; the master respawns). */
void *vg_arena_alloc(struct vg_arena *a, size_t n);
void *vg_arena_zalloc(struct vg_arena *a, size_t n);
char *vg_arena_strdup(struct vg_arena *a, const char *s);
char *vg_arena_strndup(struct vg_arena *a, const char *s, size_t n);
char *vg_arena_printf(struct vg_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *vg_arena_vprintf(struct vg_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

void vg_arena_cleanup(struct vg_arena *a, void (*fn)(void *), void *arg);

/* Bytes currently held (blocks + large allocations), for tests and metrics. */
size_t vg_arena_bytes(const struct vg_arena *a);

/* Out-of-memory policy for the whole project: log and _exit(70). */
void vg_oom(size_t n) __attribute__((noreturn));
void *vg_xmalloc(size_t n);
void *vg_xrealloc(void *p, size_t n);
char *vg_xstrdup(const char *s);

#endif
