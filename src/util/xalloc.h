/* Allocation that aborts on failure. Safe because every input has a cap
 * checked before work starts. Any thread. */
#ifndef ATALAYA_XALLOC_H
#define ATALAYA_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Caller frees the copies with free(). */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
