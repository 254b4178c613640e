/*
 * sketch.c - the bounded-memory summaries of feat-window (SPEC 6): a
 * relative-error quantile sketch for --sketch, and HyperLogLog for
 * distinct past 10,000 values.
 *
 * The quantile sketch is DDSketch's (Masson, Rim and Lee, VLDB 2019): a
 * value x > 0 is counted in bucket i = ceil(log(x) / log(g)), g = (1 + a)
 * / (1 - a), whose every value lies within a relative a of 2 g^i / (g +
 * 1); negative values in buckets of their magnitude, zeros apart.  With a
 * = 0.01 each rank's value is returned within 1%, and two sketches merge
 * by adding their counts, so the panes of a sliding window merge as
 * exactly as the values would.  A sign's buckets are a dense run of at
 * most SK_MAX_BUCKETS (2048 buckets span a factor of 5.9e17); past that
 * the lowest magnitudes are folded into the lowest bucket kept: values
 * more than 17 orders of magnitude below the largest of their sign lose
 * their accuracy, never the others (latencies, tokens and costs span far
 * less).  A percentile is
 * numpy's "linear" rule on the ranks, each rank's value estimated: with
 * both ends within 1%, so is the interpolation between them (values of
 * one sign).
 *
 * HyperLogLog (Flajolet et al. 2007) with Ertl's improved estimator
 * (2017: no bias across the range, no tables): 2^14 registers of 6 bits
 * kept in bytes, a standard error of 1.04 / sqrt(2^14) = 0.81%.  The hash is
 * FNV-1a 64 with a 64-bit finaliser, unseeded, so that panes merge.
 */
#include "window-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SK_ALPHA	0.01
#define SK_MAX_BUCKETS	2048
#define SK_MAX_INDEX	1000000000	/* |bucket index|, so int32 sums hold */

struct sk_store {
	int32_t lo;		/* the index of counts[0] */
	uint32_t n;		/* buckets in use */
	uint64_t *counts;
};

struct ft_sketch {
	struct sk_store pos, neg;	/* neg: by magnitude */
	uint64_t zeros, total;
};

static double
sk_gamma(void)
{
	return (1 + SK_ALPHA) / (1 - SK_ALPHA);
}

static int32_t
sk_index(double mag)
{
	double i = ceil(log(mag) / log(sk_gamma()));

	if (i < -SK_MAX_INDEX)
		return -SK_MAX_INDEX;
	if (i > SK_MAX_INDEX)
		return SK_MAX_INDEX;
	return (int32_t)i;
}

static double
sk_value(int32_t i)
{
	double g = sk_gamma();

	/* g^(i-1) < x: finite for every x of the bucket; the product may
	   still pass DBL_MAX by its last percent, which the caller clamps
	   to the maximum it holds. */
	return pow(g, i - 1) * (2 * g / (g + 1));
}

/* Adds n to bucket i of s, growing or folding the run. */
static void
store_add(struct sk_store *s, int32_t i, uint64_t n)
{
	if (s->n == 0) {
		s->counts = feat_xcalloc(16, sizeof *s->counts);
		s->lo = i;
		s->n = 1;
		s->counts[0] = n;
		return;
	}
	if (i >= s->lo && i < s->lo + (int32_t)s->n) {
		s->counts[i - s->lo] += n;
		return;
	}
	{
		int32_t lo = i < s->lo ? i : s->lo;
		int32_t hi = i >= s->lo + (int32_t)s->n ? i : s->lo +
		    (int32_t)s->n - 1;
		int64_t span = (int64_t)hi - lo + 1;
		uint64_t *c;

		if (span > SK_MAX_BUCKETS) {
			/* Fold the lowest into the lowest kept. */
			int32_t keep = (int32_t)(hi - SK_MAX_BUCKETS + 1);

			if (i < keep)
				i = keep;
			if (s->lo < keep) {
				int32_t drop = keep - s->lo;
				uint64_t sum = 0;

				for (int32_t k = 0; k < drop && k < (int32_t)s->n;
				    k++)
					sum += s->counts[k];
				if (drop < (int32_t)s->n) {
					memmove(s->counts, s->counts + drop,
					    (s->n - (uint32_t)drop) *
					    sizeof *s->counts);
					s->n -= (uint32_t)drop;
				} else {
					memset(s->counts, 0, s->n *
					    sizeof *s->counts);
					s->n = 1;
				}
				s->lo = keep;
				s->counts[0] += sum;
			}
			lo = keep < s->lo ? keep : s->lo;
			span = (int64_t)hi - lo + 1;
		}
		c = feat_xcalloc((size_t)span, sizeof *c);
		memcpy(c + (s->lo - lo), s->counts, s->n * sizeof *c);
		free(s->counts);
		s->counts = c;
		s->lo = lo;
		s->n = (uint32_t)span;
		s->counts[i - s->lo] += n;
	}
}

struct ft_sketch *
ft_sketch_new(void)
{
	return feat_xcalloc(1, sizeof(struct ft_sketch));
}

void
ft_sketch_add(struct ft_sketch *sk, double x)
{
	sk->total++;
	if (x > 0)
		store_add(&sk->pos, sk_index(x), 1);
	else if (x < 0)
		store_add(&sk->neg, sk_index(-x), 1);
	else
		sk->zeros++;
}

void
ft_sketch_merge(struct ft_sketch *into, const struct ft_sketch *sk)
{
	for (uint32_t k = 0; k < sk->pos.n; k++)
		if (sk->pos.counts[k])
			store_add(&into->pos, sk->pos.lo + (int32_t)k,
			    sk->pos.counts[k]);
	for (uint32_t k = 0; k < sk->neg.n; k++)
		if (sk->neg.counts[k])
			store_add(&into->neg, sk->neg.lo + (int32_t)k,
			    sk->neg.counts[k]);
	into->zeros += sk->zeros;
	into->total += sk->total;
}

/* The estimate of the value of rank r (0-based) in sorted order. */
static double
rank_value(const struct ft_sketch *sk, uint64_t r)
{
	uint64_t seen = 0;

	/* The negatives first, largest magnitude first. */
	for (uint32_t k = sk->neg.n; k-- > 0;) {
		seen += sk->neg.counts[k];
		if (r < seen)
			return -sk_value(sk->neg.lo + (int32_t)k);
	}
	seen += sk->zeros;
	if (r < seen)
		return 0;
	for (uint32_t k = 0; k < sk->pos.n; k++) {
		seen += sk->pos.counts[k];
		if (r < seen)
			return sk_value(sk->pos.lo + (int32_t)k);
	}
	return sk->pos.n ? sk_value(sk->pos.lo + (int32_t)sk->pos.n - 1) : 0;
}

double
ft_sketch_quantile(const struct ft_sketch *sk, double p, double min,
    double max)
{
	double x, frac, a, b, v;
	uint64_t lo;

	if (sk == NULL || sk->total == 0 || p < 0 || p > 100)
		return NAN;
	/* numpy "linear" on the ranks. */
	x = p / 100 * (double)(sk->total - 1);
	lo = (uint64_t)floor(x);
	if (lo >= sk->total - 1)
		return max;		/* the extremes are kept exactly */
	frac = x - (double)lo;
	a = lo == 0 ? min : rank_value(sk, lo);
	a = a < min ? min : a > max ? max : a;
	if (frac == 0)
		return a;
	b = lo + 1 == sk->total - 1 ? max : rank_value(sk, lo + 1);
	b = b < min ? min : b > max ? max : b;
	/* (b - a may overflow: values of both signs near DBL_MAX.) */
	v = isinf(b - a) ? a * (1 - frac) + b * frac : a + (b - a) * frac;
	return v < min ? min : v > max ? max : v;
}

size_t
ft_sketch_bytes(const struct ft_sketch *sk)
{
	return sk ? sizeof *sk + (sk->pos.n + sk->neg.n) * sizeof(uint64_t) :
	    0;
}

void
ft_sketch_clear(struct ft_sketch *sk)
{
	free(sk->pos.counts);
	free(sk->neg.counts);
	memset(sk, 0, sizeof *sk);
}

void
ft_sketch_free(struct ft_sketch *sk)
{
	if (sk == NULL)
		return;
	ft_sketch_clear(sk);
	free(sk);
}

/*
 * Saved as total, zeros, then the negative and the positive runs, each
 * its length and, when not empty, the index of its first bucket and the
 * counts.  A load refuses what store_add could not have built: a run
 * longer than SK_MAX_BUCKETS, indices past SK_MAX_INDEX, counts that do
 * not add up to the total.
 */
static void
store_save(struct ft_buf *b, const struct sk_store *s)
{
	ft_enc_u64(b, s->n);
	if (s->n == 0)
		return;
	ft_enc_i64(b, s->lo);
	for (uint32_t k = 0; k < s->n; k++)
		ft_enc_u64(b, s->counts[k]);
}

void
ft_sketch_save(struct ft_buf *b, const struct ft_sketch *sk)
{
	ft_enc_u64(b, sk->total);
	ft_enc_u64(b, sk->zeros);
	store_save(b, &sk->neg);
	store_save(b, &sk->pos);
}

/* Adds the run's counts to *sum; -1 when the run is not one. */
static int
store_load(struct ft_dec *d, struct sk_store *s, uint64_t *sum)
{
	size_t n = ft_dec_count(d, 1);
	int64_t lo;

	if (n == 0)
		return d->bad ? -1 : 0;
	lo = ft_dec_i64(d);
	if (d->bad || n > SK_MAX_BUCKETS || lo < -SK_MAX_INDEX ||
	    lo > SK_MAX_INDEX - (int64_t)n + 1)
		return -1;
	/* Exactly n: store_add reallocates by s->n, never past it. */
	s->counts = feat_xcalloc(n, sizeof *s->counts);
	s->lo = (int32_t)lo;
	s->n = (uint32_t)n;
	for (size_t k = 0; k < n; k++) {
		s->counts[k] = ft_dec_u64(d);
		if (__builtin_add_overflow(*sum, s->counts[k], sum))
			return -1;
	}
	return d->bad ? -1 : 0;
}

struct ft_sketch *
ft_sketch_load(struct ft_dec *d)
{
	struct ft_sketch *sk = ft_sketch_new();
	uint64_t sum;

	sk->total = ft_dec_u64(d);
	sk->zeros = sum = ft_dec_u64(d);
	if (d->bad || store_load(d, &sk->neg, &sum) == -1 ||
	    store_load(d, &sk->pos, &sum) == -1 || sum != sk->total) {
		d->bad = 1;
		ft_sketch_free(sk);
		return NULL;
	}
	return sk;
}

/* ---- HyperLogLog ------------------------------------------------------------ */

#define HLL_P		14
#define HLL_M		(1u << HLL_P)
#define HLL_MAX_RANK	(64 - HLL_P + 1)	/* what ft_hll_add can store */

uint8_t *
ft_hll_new(void)
{
	return feat_xcalloc(HLL_M, 1);
}

void
ft_hll_add(uint8_t *reg, const char *s, size_t n)
{
	uint64_t h = feat_fnv1a64(s, n), w;
	uint32_t j;
	uint8_t rank;

	/* FNV's low bits mix poorly: a finaliser (splitmix64's). */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	j = (uint32_t)(h >> (64 - HLL_P));
	w = (h << HLL_P) | ((uint64_t)1 << (HLL_P - 1));
	rank = (uint8_t)(__builtin_clzll(w) + 1);
	if (rank > reg[j])
		reg[j] = rank;
}

void
ft_hll_merge(uint8_t *into, const uint8_t *reg)
{
	for (uint32_t j = 0; j < HLL_M; j++)
		if (reg[j] > into[j])
			into[j] = reg[j];
}

/*
 * Ertl's improved estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017): from the histogram of register values,
 * without the classic estimator's bias where it hands over to linear
 * counting (+3% near 2.5 m), and without tables.
 */
static double
hll_sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (zp != z);
	return z;
}

static double
hll_tau(double x)
{
	double y = 1, z = 1 - x, zp;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (zp != z);
	return z / 3;
}

double
ft_hll_count(const uint8_t *reg)
{
	enum { Q = 64 - HLL_P };	/* registers hold 0 .. Q + 1 */
	uint32_t c[Q + 2] = { 0 };
	double m = HLL_M, z;

	for (uint32_t j = 0; j < HLL_M; j++)
		c[reg[j] <= Q + 1 ? reg[j] : Q + 1]++;
	if (c[0] == HLL_M)
		return 0;
	z = m * hll_tau(1 - c[Q + 1] / m);
	for (int k = Q; k >= 1; k--) {
		z += c[k];
		z *= 0.5;
	}
	z += m * hll_sigma(c[0] / m);
	return 0.5 / log(2) * m * m / z;
}

size_t
ft_hll_bytes(void)
{
	return HLL_M;
}

/* The registers as one byte string, each checked on load. */
void
ft_hll_save(struct ft_buf *b, const uint8_t *reg)
{
	ft_enc_bytes(b, reg, HLL_M);
}

uint8_t *
ft_hll_load(struct ft_dec *d)
{
	const uint8_t *p;
	uint8_t *reg;
	size_t n;

	if ((p = ft_dec_bytes(d, &n)) == NULL || n != HLL_M)
		goto bad;
	for (uint32_t j = 0; j < HLL_M; j++)
		if (p[j] > HLL_MAX_RANK)
			goto bad;
	reg = ft_hll_new();
	memcpy(reg, p, HLL_M);
	return reg;
bad:
	d->bad = 1;
	return NULL;
}
