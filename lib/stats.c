/*
 * stats.c - the arithmetic feat-drift and feat-validate share: Welford
 * moments, a value list that grows in chunks, and a map from names to
 * small integers.  Quantiles are feat-window's (ft_percentile_sorted).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "feat-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
ft_moments_add(struct ft_moments *m, double x)
{
	double d;

	if (m->n == 0 || x < m->min)
		m->min = x;
	if (m->n == 0 || x > m->max)
		m->max = x;
	m->n++;
	d = x - m->mean;
	if (isinf(d)) {
		/* Values of both signs near DBL_MAX: the mean stays finite,
		   the variance does not. */
		m->mean += x / (double)m->n - m->mean / (double)m->n;
		m->m2 = INFINITY;
		return;
	}
	m->mean += d / (double)m->n;
	m->m2 += d * (x - m->mean);
}

double
ft_moments_std(const struct ft_moments *m)
{
	if (m->n < 2)
		return NAN;
	return sqrt(m->m2 / (double)(m->n - 1));
}

double
ft_std_scaled(const double *x, size_t n, double mean)
{
	double s = 0, sum = 0;

	if (n < 2)
		return NAN;
	for (size_t i = 0; i < n; i++)
		if (fabs(x[i] - mean) > s || isinf(x[i] - mean))
			s = isinf(x[i] - mean) ? fmax(fabs(x[i]), fabs(mean)) :
			    fabs(x[i] - mean);
	if (s == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] / s - mean / s;

		sum += d * d;
	}
	return s * sqrt(sum / (double)(n - 1));
}

/* ---- values in chunks ------------------------------------------------------ */

#define CHUNK ((size_t)1 << 16)		/* doubles a chunk: 512 KiB */

void
ft_values_add(struct ft_values *v, double d)
{
	if (v->n < CHUNK) {
		/* The first chunk grows from 16 values, so that many
		   features of few values each stay small. */
		if (v->n == v->cap0) {
			size_t cap = v->cap0 ? v->cap0 * 2 : 16;

			if (cap > CHUNK)
				cap = CHUNK;
			if (v->nchunks == 0) {
				v->chunks = feat_xcalloc(1, sizeof *v->chunks);
				v->nchunks = 1;
			}
			v->chunks[0] = feat_xrealloc(v->chunks[0], cap *
			    sizeof **v->chunks);
			v->cap0 = cap;
		}
		v->chunks[0][v->n++] = d;
		return;
	}
	if (v->n % CHUNK == 0 && v->n / CHUNK == v->nchunks) {
		v->chunks = feat_xrealloc(v->chunks, (v->nchunks + 1) *
		    sizeof *v->chunks);
		v->chunks[v->nchunks++] = feat_xmalloc(CHUNK *
		    sizeof **v->chunks);
	}
	v->chunks[v->n / CHUNK][v->n % CHUNK] = d;
	v->n++;
}

/*
 * One array of every value, the chunks freed as they are copied, so that
 * the peak is the values once plus a chunk.
 */
double *
ft_values_take(struct ft_values *v, size_t *n)
{
	double *all = feat_xmalloc((v->n ? v->n : 1) * sizeof *all);
	size_t done = 0;

	for (size_t c = 0; c < v->nchunks; c++) {
		size_t k = v->n - done < CHUNK ? v->n - done : CHUNK;

		memcpy(all + done, v->chunks[c], k * sizeof *all);
		done += k;
		free(v->chunks[c]);
	}
	free(v->chunks);
	*n = v->n;
	memset(v, 0, sizeof *v);
	return all;
}

void
ft_values_free(struct ft_values *v)
{
	for (size_t c = 0; c < v->nchunks; c++)
		free(v->chunks[c]);
	free(v->chunks);
	memset(v, 0, sizeof *v);
}

/* ---- names to indexes ------------------------------------------------------- */

void
ft_names_init(struct ft_names *m)
{
	memset(m, 0, sizeof *m);
	m->seed = ft_hash_seed();
}

void
ft_names_free(struct ft_names *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->names[i]);
	free(m->names);
	free(m->lens);
	free(m->slots);
	memset(m, 0, sizeof *m);
}

static void
names_grow(struct ft_names *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	uint32_t *slots = feat_xcalloc(cap, sizeof *slots);

	for (size_t i = 0; i < m->n; i++) {
		size_t s = ft_seeded_hash(m->seed, m->names[i], m->lens[i]) &
		    (cap - 1);

		while (slots[s] != 0)
			s = (s + 1) & (cap - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

long
ft_names_get(struct ft_names *m, const char *s, size_t len, int create)
{
	size_t h;

	if (m->cap == 0) {
		if (!create)
			return -1;
		names_grow(m);
	}
	h = ft_seeded_hash(m->seed, s, len) & (m->cap - 1);
	for (;; h = (h + 1) & (m->cap - 1)) {
		uint32_t i = m->slots[h];

		if (i == 0)
			break;
		if (m->lens[i - 1] == len && memcmp(m->names[i - 1], s,
		    len) == 0)
			return (long)i - 1;
	}
	if (!create)
		return -1;
	if ((m->n + 1) * 2 > m->cap) {
		names_grow(m);
		return ft_names_get(m, s, len, create);
	}
	if (m->n % 16 == 0) {
		m->names = feat_xrealloc(m->names, (m->n + 16) *
		    sizeof *m->names);
		m->lens = feat_xrealloc(m->lens, (m->n + 16) *
		    sizeof *m->lens);
	}
	m->names[m->n] = feat_xstrndup(s, len);
	m->lens[m->n] = len;
	m->slots[h] = (uint32_t)m->n + 1;
	return (long)m->n++;
}
