/*
 * sw_xalloc: the one allocation policy of swarm/ and tools/: allocation
 * failure there is not recoverable, so these wrappers print
 * "<program>: out of memory (N bytes)" on stderr and abort instead of
 * returning NULL. protocol/ does not use them: its codecs and transport
 * propagate SW_ERR_NOMEM to their caller (a failing-malloc test proves it).
 *
 * The names keep the customary x* spelling (xmalloc, xstrdup...) rather
 * than a module prefix: they stand in for the libc functions.
 */
#ifndef SW_XALLOC_H
#define SW_XALLOC_H

#include <stddef.h>
#include <stdlib.h> /* free() of what these return */

/* Prints "<program>: out of memory (|n| bytes)" on stderr and aborts.
 * Never returns. */
void x_oom(size_t n) __attribute__((noreturn));

/* malloc(|n|) that never returns NULL (a zero size allocates one byte).
 * Frees: free(). */
void *xmalloc(size_t n);

/* calloc(|nmemb|, |size|) that never returns NULL; an overflowing product
 * aborts like a failed allocation. Frees: free(). */
void *xcalloc(size_t nmemb, size_t size);

/* realloc(|old|, |n|) that never returns NULL; |old| stays valid only when
 * it returns (it always does). Frees: free(). */
void *xrealloc(void *old, size_t n);

/* strdup(|s|) that never fails; returns NULL only when |s| is NULL.
 * Frees: free(). */
char *xstrdup(const char *s);

#endif
