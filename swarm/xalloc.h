/*
 * xalloc: the swarm/ layer's one allocation policy (swarm/README.md §4):
 * allocation failure in the engine is not recoverable, so these wrappers
 * print a message and abort instead of returning NULL. protocol/ keeps
 * propagating SW_ERR_NOMEM; only swarm/ engine code uses these.
 */
#ifndef SWARM_XALLOC_H
#define SWARM_XALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts the process after printing "swarm: out of memory (|n| bytes)". */
static inline void x_oom(size_t n)
{
	fprintf(stderr, "swarm: out of memory (%zu bytes)\n", n);
	abort();
}

/* malloc() that never returns NULL. Frees: free(). */
static inline void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		x_oom(n);
	return p;
}

/* calloc() that never returns NULL. Frees: free(). */
static inline void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		x_oom(nmemb * size);
	return p;
}

/* realloc() that never returns NULL. Frees: free(). */
static inline void *xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);
	if (!p)
		x_oom(n);
	return p;
}

/* strdup() that never returns NULL; NULL in gives NULL out. Frees: free(). */
static inline char *xstrdup(const char *s)
{
	char *p;
	if (!s)
		return NULL;
	p = strdup(s);
	if (!p)
		x_oom(strlen(s) + 1);
	return p;
}

#endif
