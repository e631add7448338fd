#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vg_arena.h"

#define ALIGN          16
#define LARGE_FRACTION 4 /* allocations over block/4 get their own block */

struct block {
	struct block *next;
	size_t size, used;
	/* data follows, aligned */
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *arg;
};

struct vg_arena {
	size_t block_size;
	struct block *first, *current;
	struct block *large; /* individually malloc'd large allocations */
	struct cleanup *cleanups;
	size_t bytes;
};

#define BLOCK_HDR ((sizeof(struct block) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

void vg_oom(size_t n)
{
	char msg[96];
	int len = snprintf(msg, sizeof msg, "out of memory allocating %zu bytes\n", n);

	if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0) {
		/* nothing more to do */
	}
	_exit(70);
}

void *vg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		vg_oom(n);
	return p;
}

void *vg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		vg_oom(n);
	return q;
}

char *vg_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(vg_xmalloc(n), s, n);
}

static struct block *block_new(size_t size)
{
	struct block *b = vg_xmalloc(BLOCK_HDR + size);

	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct vg_arena *vg_arena_create(size_t block_size)
{
	struct vg_arena *a = vg_xmalloc(sizeof *a);

	if (block_size < 1024)
		block_size = 1024;
	a->block_size = block_size;
	a->first = a->current = block_new(block_size);
	a->large = NULL;
	a->cleanups = NULL;
	a->bytes = block_size;
	return a;
}

static void run_cleanups(struct vg_arena *a)
{
	while (a->cleanups) {
		struct cleanup *c = a->cleanups;

		a->cleanups = c->next; /* a cleanup may register another: keep the list valid */
		c->fn(c->arg);
	}
}

static void free_chain(struct block *b)
{
	while (b) {
		struct block *next = b->next;

		free(b);
		b = next;
	}
}

void vg_arena_reset(struct vg_arena *a)
{
	run_cleanups(a);
	free_chain(a->large);
	a->large = NULL;
	free_chain(a->first->next);
	a->first->next = NULL;
	a->first->used = 0;
	a->current = a->first;
	a->bytes = a->block_size;
}

void vg_arena_destroy(struct vg_arena *a)
{
	if (!a)
		return;
	vg_arena_reset(a);
	free(a->first);
	free(a);
}

void *vg_arena_alloc(struct vg_arena *a, size_t n)
{
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	struct block *b = a->current;

	if (need < n)
		vg_oom(n);
	if (need > a->block_size / LARGE_FRACTION) {
		struct block *l = block_new(need);

		l->next = a->large;
		a->large = l;
		a->bytes += need;
		return (char *)l + BLOCK_HDR;
	}
	if (b->size - b->used < need) {
		if (b->next == NULL) {
			b->next = block_new(a->block_size);
			a->bytes += a->block_size;
		}
		b = a->current = b->next;
		b->used = 0;
	}
	void *p = (char *)b + BLOCK_HDR + b->used;
	b->used += need;
	return p;
}

void *vg_arena_zalloc(struct vg_arena *a, size_t n)
{
	return memset(vg_arena_alloc(a, n), 0, n);
}

char *vg_arena_strndup(struct vg_arena *a, const char *s, size_t n)
{
	char *p = vg_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *vg_arena_strdup(struct vg_arena *a, const char *s)
{
	return s ? vg_arena_strndup(a, s, strlen(s)) : NULL;
}

char *vg_arena_vprintf(struct vg_arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int len;
	char *p;

	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (len < 0)
		return vg_arena_strdup(a, "");
	p = vg_arena_alloc(a, (size_t)len + 1);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	return p;
}

char *vg_arena_printf(struct vg_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = vg_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void vg_arena_cleanup(struct vg_arena *a, void (*fn)(void *), void *arg)
{
	struct cleanup *c = vg_arena_alloc(a, sizeof *c);

	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
}

size_t vg_arena_bytes(const struct vg_arena *a)
{
	return a->bytes;
}
