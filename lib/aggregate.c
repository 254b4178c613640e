/*
 * aggregate.c - the aggregators of feat-window (SPEC 6): what "-a
 * p99.9(latency_ms) as slow" means, the columns an event feeds, the state
 * a pane keeps of each column, how panes merge, and the values written.
 *
 * Every aggregator reads columns, and a column is read once per event
 * whatever reads it: p50, p95 and p99 of latency_ms share one column of
 * exact values.  A column's state is plain data - counts, sums, Welford's
 * mean and M2, the extremes, the values themselves when a percentile
 * needs them, the distinct strings when distinct does - so that panes
 * merge (Chan's rule for M2) and will serialise for --state.
 *
 * Percentiles are exact: numpy's "linear" rule on the sorted values of the
 * window (index p/100 * (n - 1), interpolated), as PostgreSQL's
 * percentile_cont computes them.
 */
#include "window-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum ft_aggfn fn;
	int nargs;		/* -1: zero or one */
} funcs[] = {
	{ "count", AGG_COUNT, -1 }, { "sum", AGG_SUM, 1 },
	{ "mean", AGG_MEAN, 1 }, { "min", AGG_MIN, 1 }, { "max", AGG_MAX, 1 },
	{ "stddev", AGG_STDDEV, 1 }, { "var", AGG_VAR, 1 },
	{ "rate", AGG_RATE, -1 }, { "ratio", AGG_RATIO, 2 },
	{ "distinct", AGG_DISTINCT, 1 },
};

/* [A-Za-z0-9_.]+: a canonical field or a dotted path. */
static size_t
field_len(const char *s)
{
	size_t n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	    (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '.')
		n++;
	return n;
}

static void
skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* pN: N in 0-100, decimals allowed; the text of N kept for the name. */
static int
parse_pct(const char *s, size_t n, double *p)
{
	char buf[32], *end;

	if (n < 2 || n >= sizeof buf || s[0] != 'p' || s[1] < '0' || s[1] > '9')
		return -1;
	memcpy(buf, s + 1, n - 1);
	buf[n - 1] = '\0';
	for (size_t i = 0; buf[i]; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.'))
			return -1;
	*p = strtod(buf, &end);
	if (*end != '\0' || buf[n - 2] == '.' || *p < 0 || *p > 100)
		return -1;
	return 0;
}

int
ft_agg_parse(const char *spec, struct ft_agg *a, char *err, size_t errlen)
{
	const char *p = spec, *fn;
	size_t fnlen, n;
	int nargs = 0;

	memset(a, 0, sizeof *a);
	skip_blanks(&p);
	fn = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
	    *p == '.')
		p++;
	fnlen = (size_t)(p - fn);
	if (parse_pct(fn, fnlen, &a->p) == 0)
		a->fn = AGG_PCT;
	else {
		size_t i;

		for (i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
			if (strlen(funcs[i].name) == fnlen &&
			    strncmp(funcs[i].name, fn, fnlen) == 0)
				break;
		if (i == sizeof funcs / sizeof funcs[0]) {
			snprintf(err, errlen, "invalid aggregate '%s': unknown "
			    "function '%.*s' (count, sum, mean, min, max, "
			    "stddev, var, pN, rate, ratio, distinct)", spec,
			    (int)fnlen, fn);
			return -1;
		}
		a->fn = funcs[i].fn;
	}
	skip_blanks(&p);
	if (*p++ != '(') {
		snprintf(err, errlen, "invalid aggregate '%s': use "
		    "FUNC(FIELD)[ as NAME]", spec);
		return -1;
	}
	for (;;) {
		skip_blanks(&p);
		if (*p == ')' && nargs == 0)
			break;
		n = field_len(p);
		if (n == 0 || n >= sizeof a->field[0] || nargs == 2) {
			snprintf(err, errlen, "invalid aggregate '%s': a field "
			    "is a canonical name or a dotted path", spec);
			return -1;
		}
		memcpy(a->field[nargs], p, n);
		a->field[nargs][n] = '\0';
		nargs++;
		p += n;
		skip_blanks(&p);
		if (*p == ')')
			break;
		if (*p++ != ',') {
			snprintf(err, errlen, "invalid aggregate '%s': use "
			    "FUNC(FIELD)[ as NAME]", spec);
			return -1;
		}
	}
	p++;
	a->nfields = nargs;
	if ((a->fn == AGG_RATIO && nargs != 2) ||
	    ((a->fn == AGG_COUNT || a->fn == AGG_RATE) && nargs > 1) ||
	    (a->fn != AGG_RATIO && a->fn != AGG_COUNT && a->fn != AGG_RATE &&
	    nargs != 1)) {
		snprintf(err, errlen, "invalid aggregate '%s': %.*s takes %s",
		    spec, (int)fnlen, fn, a->fn == AGG_RATIO ? "two fields" :
		    a->fn == AGG_COUNT || a->fn == AGG_RATE ?
		    "at most one field" : "one field");
		return -1;
	}
	skip_blanks(&p);
	if (strncmp(p, "as", 2) == 0 && (p[2] == ' ' || p[2] == '\t')) {
		p += 2;
		skip_blanks(&p);
		n = 0;
		while ((p[n] >= 'a' && p[n] <= 'z') ||
		    (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
			n++;
		if (n == 0 || n >= sizeof a->name) {
			snprintf(err, errlen, "invalid aggregate '%s': a name "
			    "is [a-z0-9_]+", spec);
			return -1;
		}
		memcpy(a->name, p, n);
		a->name[n] = '\0';
		p += n;
		skip_blanks(&p);
	}
	if (*p != '\0') {
		snprintf(err, errlen, "invalid aggregate '%s': '%s' after it",
		    spec, p);
		return -1;
	}
	if (a->name[0] == '\0')
		ft_agg_default_name(a, fn, fnlen);
	return 0;
}

/* Dots of a path become underscores in a name. */
static void
name_part(char *out, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		out[i] = s[i] == '.' ? '_' : s[i];
	out[i] = '\0';
}

void
ft_agg_default_name(struct ft_agg *a, const char *fn, size_t fnlen)
{
	char f0[sizeof a->field[0]], f1[sizeof a->field[0]], func[32];

	name_part(f0, sizeof f0, a->field[0]);
	name_part(f1, sizeof f1, a->field[1]);
	snprintf(func, sizeof func, "%.*s", (int)(fnlen < 31 ? fnlen : 31),
	    fn);
	for (char *c = func; *c; c++)
		if (*c == '.')
			*c = '_';	/* p99.9 -> p99_9 */
	if (a->fn == AGG_RATIO)
		snprintf(a->name, sizeof a->name, "%s_per_%s", f0, f1);
	else if (a->nfields == 0)
		snprintf(a->name, sizeof a->name, "%s", func);
	else
		snprintf(a->name, sizeof a->name, "%s_%s", f0, func);
}

/* ---- column state ------------------------------------------------------- */

static void distinct_merge(struct ft_colstate *into,
    const struct ft_colstate *c);

void
ft_dd_add(double *hi, double *lo, double x)
{
	/* TwoSum: s + e is exactly *hi + x. */
	double s = *hi + x, bp = s - *hi, e = (*hi - (s - bp)) + (x - bp);

	*hi = s;
	*lo += e;
}

void
ft_col_add(struct ft_colstate *c, double x, unsigned flags)
{
	if (c->n == 0 || x < c->min)
		c->min = x;
	if (c->n == 0 || x > c->max)
		c->max = x;
	c->n++;
	ft_dd_add(&c->sum, &c->sumlo, x);
	if (flags & FT_COL_MOMENTS) {
		/* Welford: mean and M2, for variance without cancellation. */
		double d = x - c->mean;

		c->mean += d / (double)c->n;
		c->m2 += d * (x - c->mean);
	}
	if (flags & FT_COL_SKETCH) {
		if (c->sketch == NULL)
			c->sketch = ft_sketch_new();
		ft_sketch_add(c->sketch, x);
	}
	if (flags & FT_COL_VALUES) {
		if (c->nvals == c->capvals) {
			c->capvals = c->capvals ? c->capvals * 2 : 16;
			c->vals = feat_xrealloc(c->vals, c->capvals *
			    sizeof *c->vals);
		}
		c->vals[c->nvals++] = x;
	}
}

/* Chan et al.: two (n, mean, M2) summaries into one. */
void
ft_col_merge(struct ft_colstate *into, const struct ft_colstate *c,
    unsigned flags)
{
	uint64_t n;

	if (c->n == 0)
		return;
	if (into->n == 0 || c->min < into->min)
		into->min = c->min;
	if (into->n == 0 || c->max > into->max)
		into->max = c->max;
	n = into->n + c->n;
	if (flags & FT_COL_MOMENTS) {
		double d = c->mean - into->mean;

		into->m2 += c->m2 + d * d * (double)into->n * (double)c->n /
		    (double)n;
		into->mean += d * (double)c->n / (double)n;
	}
	into->n = n;
	ft_dd_add(&into->sum, &into->sumlo, c->sum);
	into->sumlo += c->sumlo;
	if ((flags & FT_COL_VALUES) && c->nvals > 0) {
		if (into->capvals < into->nvals + c->nvals) {
			into->capvals = into->nvals + c->nvals;
			into->vals = feat_xrealloc(into->vals, into->capvals *
			    sizeof *into->vals);
		}
		memcpy(into->vals + into->nvals, c->vals,
		    c->nvals * sizeof *c->vals);
		into->nvals += c->nvals;
	}
	if ((flags & FT_COL_SKETCH) && c->sketch) {
		if (into->sketch == NULL)
			into->sketch = ft_sketch_new();
		ft_sketch_merge(into->sketch, c->sketch);
	}
	distinct_merge(into, c);
}

double
ft_col_sketch_quantile(const struct ft_colstate *c, double p)
{
	return c->n ? ft_sketch_quantile(c->sketch, p, c->min, c->max) : NAN;
}

double
ft_col_sum(const struct ft_colstate *c)
{
	return c->sum + c->sumlo;
}

struct ft_strset *
ft_col_distinct(struct ft_colstate *c)
{
	if (c->distinct == NULL)
		c->distinct = ft_strset_new();
	return c->distinct;
}

void
ft_col_reset(struct ft_colstate *c)
{
	double *vals = c->vals;
	size_t cap = c->capvals;
	struct ft_strset *d = c->distinct;
	struct ft_sketch *sk = c->sketch;

	free(c->hll);
	memset(c, 0, sizeof *c);
	c->vals = vals;		/* kept for the next window: no realloc */
	c->capvals = cap;
	if (d) {
		ft_strset_clear(d);
		c->distinct = d;
	}
	if (sk) {
		ft_sketch_clear(sk);
		c->sketch = sk;
	}
}

void
ft_col_free(struct ft_colstate *c)
{
	free(c->vals);
	ft_strset_free(c->distinct);
	free(c->hll);
	ft_sketch_free(c->sketch);
	memset(c, 0, sizeof *c);
}

/* ---- percentiles -------------------------------------------------------- */

/*
 * Introsort on doubles (no NaN reaches a column): quicksort with a median
 * of three, insertion sort for short runs, heapsort when the recursion
 * gets deeper than 2 log2 n, so no input is quadratic.  Inlined
 * comparisons make it some three times faster than qsort(3) here.
 */
static void
insertion_sort(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void
sift_down(double *v, size_t root, size_t n)
{
	double x = v[root];

	for (size_t c; (c = 2 * root + 1) < n; root = c) {
		if (c + 1 < n && v[c + 1] > v[c])
			c++;
		if (!(v[c] > x))
			break;
		v[root] = v[c];
	}
	v[root] = x;
}

static void
heap_sort(double *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t i = n; i-- > 1;) {
		double t = v[0];

		v[0] = v[i];
		v[i] = t;
		sift_down(v, 0, i);
	}
}

static void
intro_sort(double *v, size_t n, int depth)
{
	while (n > 24) {
		double a, b, c, pivot, t;
		size_t i, j;

		if (depth-- == 0) {
			heap_sort(v, n);
			return;
		}
		a = v[0], b = v[n / 2], c = v[n - 1];
		pivot = a < b ? (b < c ? b : a < c ? c : a) :
		    (a < c ? a : b < c ? c : b);
		/* Hoare's partition: [0, j] <= pivot <= [j + 1, n). */
		i = 0;
		j = n - 1;
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i >= j)
				break;
			t = v[i];
			v[i] = v[j];
			v[j] = t;
			i++;
			j--;
		}
		/* Recurse into the smaller side, loop on the larger. */
		if (j + 1 < n - j - 1) {
			intro_sort(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			intro_sort(v + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	insertion_sort(v, n);
}

void
ft_sort_doubles(double *v, size_t n)
{
	int depth = 0;

	for (size_t m = n; m > 1; m >>= 1)
		depth += 2;
	intro_sort(v, n, depth);
}

/*
 * p as a decimal fraction num/den (den a power of ten up to 10^6), when
 * it is one: pN is written in decimals, so p99.9 is 999/10 and the
 * index below is computed from integers, not from 99.9's nearest double.
 */
static int
decimal_fraction(double p, uint64_t *num, uint64_t *den)
{
	uint64_t d = 1;

	for (int k = 0; k <= 6; k++, d *= 10) {
		double x = p * (double)d, r = nearbyint(x);

		if (fabs(x - r) <= 1e-9 * (r > 1 ? r : 1)) {
			*num = (uint64_t)r;
			*den = d;
			return 0;
		}
	}
	return -1;
}

/* v[lo] + (v[lo + 1] - v[lo]) * frac, also when the difference would
   overflow (values of either sign near DBL_MAX). */
static double
lerp(const double *v, size_t lo, double frac)
{
	double d = v[lo + 1] - v[lo];

	if (isinf(d))
		return v[lo] * (1 - frac) + v[lo + 1] * frac;
	return v[lo] + d * frac;
}

double
ft_quantile_ratio(const double *v, size_t n, uint64_t num, uint64_t den)
{
	uint64_t idx;
	size_t lo;

	if (n == 0 || den == 0 || num > den)
		return NAN;
	if (__builtin_mul_overflow(num, (uint64_t)(n - 1), &idx)) {
		double x = (double)num / (double)den * (double)(n - 1);

		lo = (size_t)floor(x);
		if (lo >= n - 1)
			return v[n - 1];
		return x == (double)lo ? v[lo] : lerp(v, lo, x - (double)lo);
	}
	lo = (size_t)(idx / den);
	if (lo >= n - 1)
		return v[n - 1];
	if (idx % den == 0)
		return v[lo];
	return lerp(v, lo, (double)(idx % den) / (double)den);
}

double
ft_percentile_sorted(const double *v, size_t n, double p)
{
	uint64_t num, den;

	if (n == 0 || p < 0 || p > 100)
		return NAN;
	/*
	 * numpy "linear": the index p/100 * (n - 1), interpolated between
	 * the values around it.  The index is the fraction
	 * num * (n - 1) / (100 * den), so that its whole part is exact and
	 * its fraction rounded once: p95 of 10, 20, ..., 100 is 95.5, not
	 * 95.49999999999999 as 0.95 * 9 would give.
	 */
	if (decimal_fraction(p, &num, &den) == 0)
		return ft_quantile_ratio(v, n, num, 100 * den);
	{
		double x = p / 100 * (double)(n - 1);
		size_t lo = (size_t)floor(x);

		if (lo >= n - 1)
			return v[n - 1];
		return x == (double)lo ? v[lo] : lerp(v, lo, x - (double)lo);
	}
}

/* ---- a set of strings, for distinct ------------------------------------- */

struct ft_strset {
	char **keys;		/* NULL: empty slot */
	uint64_t *hashes;
	size_t cap, n;
	uint64_t seed;
};

struct ft_strset *
ft_strset_new(void)
{
	struct ft_strset *s = feat_xcalloc(1, sizeof *s);

	s->seed = ft_hash_seed();
	return s;
}

static void
strset_put(struct ft_strset *s, char *key, uint64_t h)
{
	size_t i;

	for (i = h & (s->cap - 1); s->keys[i]; i = (i + 1) & (s->cap - 1))
		continue;
	s->keys[i] = key;
	s->hashes[i] = h;
}

int
ft_strset_add(struct ft_strset *s, const char *k, size_t n)
{
	uint64_t h = ft_seeded_hash(s->seed, k, n);
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		char **keys = s->keys;
		uint64_t *hashes = s->hashes;
		size_t cap = s->cap;

		s->cap = cap ? cap * 2 : 16;
		s->keys = feat_xcalloc(s->cap, sizeof *s->keys);
		s->hashes = feat_xcalloc(s->cap, sizeof *s->hashes);
		for (i = 0; i < cap; i++)
			if (keys[i])
				strset_put(s, keys[i], hashes[i]);
		free(keys);
		free(hashes);
	}
	for (i = h & (s->cap - 1); s->keys[i]; i = (i + 1) & (s->cap - 1))
		if (s->hashes[i] == h && strlen(s->keys[i]) == n &&
		    memcmp(s->keys[i], k, n) == 0)
			return 0;
	strset_put(s, feat_xstrndup(k, n), h);
	s->n++;
	return 1;
}

size_t
ft_strset_count(const struct ft_strset *s)
{
	return s ? s->n : 0;
}

void
ft_strset_union(struct ft_strset *into, const struct ft_strset *s)
{
	for (size_t i = 0; s && i < s->cap; i++)
		if (s->keys[i])
			ft_strset_add(into, s->keys[i], strlen(s->keys[i]));
}

void
ft_strset_clear(struct ft_strset *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		free(s->keys[i]);
		s->keys[i] = NULL;
	}
	s->n = 0;
}

void
ft_strset_free(struct ft_strset *s)
{
	if (s == NULL)
		return;
	ft_strset_clear(s);
	free(s->keys);
	free(s->hashes);
	free(s);
}

/* ---- distinct: exact, then HyperLogLog ---------------------------------- */

/* The set's strings into a HyperLogLog, which replaces it. */
static void
to_hll(struct ft_colstate *c)
{
	struct ft_strset *d = c->distinct;

	c->hll = ft_hll_new();
	for (size_t i = 0; d && i < d->cap; i++)
		if (d->keys[i])
			ft_hll_add(c->hll, d->keys[i], strlen(d->keys[i]));
	if (d)
		ft_strset_clear(d);
}

void
ft_col_distinct_add(struct ft_colstate *c, const char *s, size_t n)
{
	if (c->hll) {
		ft_hll_add(c->hll, s, n);
		return;
	}
	ft_strset_add(ft_col_distinct(c), s, n);
	if (ft_strset_count(c->distinct) > FT_DISTINCT_EXACT)
		to_hll(c);
}

static void
distinct_merge(struct ft_colstate *into, const struct ft_colstate *c)
{
	if (c->hll) {
		if (into->hll == NULL)
			to_hll(into);
		ft_hll_merge(into->hll, c->hll);
		return;
	}
	if (c->distinct == NULL || ft_strset_count(c->distinct) == 0)
		return;
	if (into->hll) {
		for (size_t i = 0; i < c->distinct->cap; i++)
			if (c->distinct->keys[i])
				ft_hll_add(into->hll, c->distinct->keys[i],
				    strlen(c->distinct->keys[i]));
		return;
	}
	ft_strset_union(ft_col_distinct(into), c->distinct);
	if (ft_strset_count(into->distinct) > FT_DISTINCT_EXACT)
		to_hll(into);
}

uint64_t
ft_col_distinct_count(const struct ft_colstate *c)
{
	if (c->hll)
		return (uint64_t)llround(ft_hll_count(c->hll));
	return c->distinct ? ft_strset_count(c->distinct) : 0;
}

/* ---- a column saved and loaded (--state) -------------------------------- */

/*
 * A column is saved as which of its parts it has (a NULL part stays
 * NULL, an empty one stays empty), n, the six doubles, then the parts
 * present in this order: the values, the distinct strings, the
 * HyperLogLog registers, the sketch.  A load refuses what the functions
 * above could not have built, so that a damaged checkpoint is an error,
 * never a wrong record or a crash later.
 */
enum {
	SAVED_VALS = 1,
	SAVED_SORTED = 2,
	SAVED_DISTINCT = 4,
	SAVED_HLL = 8,
	SAVED_SKETCH = 16,
	SAVED_ALL = 31
};

void
ft_col_save(struct ft_buf *b, const struct ft_colstate *c)
{
	const struct ft_strset *s = c->distinct;

	ft_enc_u64(b, (c->vals ? SAVED_VALS : 0) |
	    (c->sorted ? SAVED_SORTED : 0) | (s ? SAVED_DISTINCT : 0) |
	    (c->hll ? SAVED_HLL : 0) | (c->sketch ? SAVED_SKETCH : 0));
	ft_enc_u64(b, c->n);
	ft_enc_f64(b, c->sum);
	ft_enc_f64(b, c->sumlo);
	ft_enc_f64(b, c->mean);
	ft_enc_f64(b, c->m2);
	ft_enc_f64(b, c->min);
	ft_enc_f64(b, c->max);
	if (c->vals) {
		ft_enc_u64(b, c->nvals);
		for (size_t i = 0; i < c->nvals; i++)
			ft_enc_f64(b, c->vals[i]);
	}
	if (s) {
		ft_enc_u64(b, s->n);
		for (size_t i = 0; i < s->cap; i++)
			if (s->keys[i])
				ft_enc_bytes(b, s->keys[i], strlen(s->keys[i]));
	}
	if (c->hll)
		ft_hll_save(b, c->hll);
	if (c->sketch)
		ft_sketch_save(b, c->sketch);
}

/* The values: no NaN (none reaches a column), in order when said sorted,
   no more of them than the column counts. */
static int
load_vals(struct ft_dec *d, struct ft_colstate *c)
{
	size_t n = ft_dec_count(d, 8);

	c->capvals = n ? n : 1;
	c->vals = feat_xmalloc(c->capvals * sizeof *c->vals);
	for (size_t i = 0; i < n; i++) {
		double x = ft_dec_f64(d);

		if (isnan(x) || (c->sorted && i > 0 && x < c->vals[i - 1]))
			return -1;
		c->vals[c->nvals++] = x;
	}
	return d->bad || c->nvals > c->n ? -1 : 0;
}

/* The strings: no NUL in one (the set keeps C strings), none twice, no
   more than an exact set holds. */
static int
load_distinct(struct ft_dec *d, struct ft_colstate *c)
{
	size_t n = ft_dec_count(d, 1), len;
	const char *k;

	c->distinct = ft_strset_new();
	if (n > FT_DISTINCT_EXACT)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((k = ft_dec_bytes(d, &len)) == NULL ||
		    memchr(k, '\0', len) != NULL ||
		    ft_strset_add(c->distinct, k, len) == 0)
			return -1;
	return d->bad ? -1 : 0;
}

int
ft_col_load(struct ft_dec *d, struct ft_colstate *c)
{
	uint64_t parts = ft_dec_u64(d);

	if (d->bad || (parts & ~(uint64_t)SAVED_ALL) != 0)
		goto bad;
	c->n = ft_dec_u64(d);
	c->sum = ft_dec_f64(d);
	c->sumlo = ft_dec_f64(d);
	c->mean = ft_dec_f64(d);
	c->m2 = ft_dec_f64(d);
	c->min = ft_dec_f64(d);
	c->max = ft_dec_f64(d);
	c->sorted = (parts & SAVED_SORTED) != 0;
	if ((parts & SAVED_VALS) && load_vals(d, c) == -1)
		goto bad;
	if ((parts & SAVED_DISTINCT) && load_distinct(d, c) == -1)
		goto bad;
	if ((parts & SAVED_HLL) && (c->hll = ft_hll_load(d)) == NULL)
		goto bad;
	if ((parts & SAVED_SKETCH) && (c->sketch = ft_sketch_load(d)) == NULL)
		goto bad;
	/* The HyperLogLog, once made, takes every string: the set stays
	   empty. */
	if (d->bad || (c->hll && ft_strset_count(c->distinct) > 0))
		goto bad;
	return 0;
bad:
	d->bad = 1;
	return -1;
}
