/*
 * alloc.c - the feat_xmalloc family.  libfeat never handles allocation
 * failure case by case: running out of memory is not an input problem a
 * filter can recover from, so it is reported once and the process aborts.
 */
#include "feat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(size_t n)
{
	fprintf(stderr, "%s: out of memory allocating %zu bytes\n",
	    feat_progname(), n);
	abort();
}

void *
feat_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
feat_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *
feat_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
feat_xstrndup(const char *s, size_t n)
{
	char *p = feat_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
feat_xstrdup(const char *s)
{
	return feat_xstrndup(s, strlen(s));
}

/* ---- ft_buf: the growable buffer every writer and scratch space uses ---- */
#include "feat-private.h"

void
ft_buf_grow(struct ft_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;

	while (cap - b->len < extra)
		cap *= 2;
	b->p = feat_xrealloc(b->p, cap);
	b->cap = cap;
}

void
ft_buf_free(struct ft_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
ft_buf_printf(struct ft_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		ft_buf_grow(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}
