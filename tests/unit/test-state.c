/*
 * test-state.c - unit tests for the --state codec: lib/state.c (varints,
 * doubles, byte strings, a decoder that never reads out of bounds) and
 * the column states of lib/aggregate.c and lib/sketch.c saved and loaded.
 *
 * A loaded column must answer as the saved one did: the same doubles bit
 * for bit, the same percentiles, distinct counts and sketch quantiles, and
 * the same results once merged or fed more values.  Damaged bytes (every
 * truncation, thousands of single-byte changes, hand-made inconsistent
 * columns) must be refused or load a column that is still consistent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window-private.h"
#include "tap.h"

#define FLAGS_ALL (FT_COL_VALUES | FT_COL_MOMENTS | FT_COL_SKETCH)

/* xorshift64*: the same values on every run. */
static uint64_t
rnd(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 2685821657736338717ULL;
}

static double
uniform(uint64_t *st)
{
	return ((double)(rnd(st) >> 11) + 0.5) / 9007199254740992.0;
}

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

static struct ft_dec
dec_of(const struct ft_buf *b)
{
	struct ft_dec d = { (const unsigned char *)b->p, b->len, 0, 0 };

	return d;
}

/* ---- the codec ----------------------------------------------------------- */

static void
test_codec(void)
{
	static const uint64_t us[] = {
		0, 1, 127, 128, 300, 16383, 16384, 2097151, 2097152,
		UINT32_MAX, (uint64_t)1 << 56, ((uint64_t)1 << 63) - 1,
		(uint64_t)1 << 63, UINT64_MAX - 1, UINT64_MAX,
	};
	static const int64_t is[] = {
		0, -1, 1, -2, 2, 63, -64, 64, -65, INT32_MIN, INT32_MAX,
		INT64_MIN, INT64_MIN + 1, INT64_MAX - 1, INT64_MAX,
	};
	static const uint64_t fbits[] = {
		0, 0x8000000000000000ULL,		/* 0, -0 */
		0x3ff0000000000000ULL,			/* 1 */
		0x7ff0000000000000ULL, 0xfff0000000000000ULL,	/* +-inf */
		0x7ff8000000000000ULL,			/* quiet NaN */
		0x7ff8000000000001ULL, 0xfff4000000abcdefULL,	/* payloads */
		0x7ff0000000000001ULL,			/* signalling NaN */
		0x0000000000000001ULL,			/* smallest subnormal */
		0x0010000000000000ULL,			/* DBL_MIN */
		0x7fefffffffffffffULL,			/* DBL_MAX */
		0x3fb999999999999aULL,			/* 0.1 */
	};
	static const unsigned char raw[] = { 0, 'a', 0, 0xff, 0x80 };
	struct ft_buf b = { 0 };
	struct ft_dec d;
	const unsigned char *p;
	size_t n;

	tap_begin("state-001", "varints, zigzag varints, doubles and byte "
	    "strings round-trip at their edges, in the documented bytes");
	for (size_t i = 0; i < sizeof us / sizeof us[0]; i++)
		ft_enc_u64(&b, us[i]);
	for (size_t i = 0; i < sizeof is / sizeof is[0]; i++)
		ft_enc_i64(&b, is[i]);
	for (size_t i = 0; i < sizeof fbits / sizeof fbits[0]; i++) {
		double x;

		memcpy(&x, &fbits[i], sizeof x);
		ft_enc_f64(&b, x);
	}
	ft_enc_bytes(&b, raw, sizeof raw);
	ft_enc_bytes(&b, NULL, 0);
	d = dec_of(&b);
	for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
		uint64_t got = ft_dec_u64(&d);

		tap_check(got == us[i], "u64 %llu: got %llu",
		    (unsigned long long)us[i], (unsigned long long)got);
	}
	for (size_t i = 0; i < sizeof is / sizeof is[0]; i++)
		tap_check_int(ft_dec_i64(&d), is[i], "i64");
	for (size_t i = 0; i < sizeof fbits / sizeof fbits[0]; i++) {
		double x = ft_dec_f64(&d);
		uint64_t u;

		memcpy(&u, &x, sizeof u);
		tap_check(u == fbits[i], "f64 %016llx: got %016llx",
		    (unsigned long long)fbits[i], (unsigned long long)u);
	}
	p = ft_dec_bytes(&d, &n);
	tap_check(p != NULL && n == sizeof raw && memcmp(p, raw, n) == 0,
	    "bytes with NULs");
	p = ft_dec_bytes(&d, &n);
	tap_check(p != NULL && n == 0, "empty bytes are not an error");
	tap_check(!d.bad && d.off == d.len, "all read: off %zu of %zu, bad "
	    "%d", d.off, d.len, d.bad);
	/* The bytes themselves. */
	b.len = 0;
	ft_enc_u64(&b, 300);
	ft_enc_i64(&b, -65);
	ft_enc_f64(&b, 1.0);
	ft_enc_u64(&b, UINT64_MAX);
	tap_check(b.len == 2 + 2 + 8 + 10 && memcmp(b.p, "\xac\x02\x81\x01"
	    "\0\0\0\0\0\0\xf0\x3f", 12) == 0, "300 is ac 02, -65 is 81 01, "
	    "1.0 is 00 .. f0 3f");
	tap_check(memcmp(b.p + 12, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
	    10) == 0, "UINT64_MAX is nine ff and 01");
	tap_end();
	ft_buf_free(&b);
}

/* One getter on bytes given in a buffer of exactly their size. */
enum { GET_U64, GET_I64, GET_F64, GET_BYTES, GET_COUNT, NGET };
static int bytes_odd;	/* ft_dec_bytes: NULL and d->bad disagreed */

static uint64_t
get(struct ft_dec *d, int which)
{
	const void *p;
	size_t n;
	double x;
	uint64_t u;

	switch (which) {
	case GET_U64:
		return ft_dec_u64(d);
	case GET_I64:
		return (uint64_t)ft_dec_i64(d);
	case GET_F64:
		x = ft_dec_f64(d);
		memcpy(&u, &x, sizeof u);
		return u;
	case GET_BYTES:
		p = ft_dec_bytes(d, &n);
		if ((p == NULL) != (d->bad != 0) || (p == NULL && n != 0))
			bytes_odd = 1;
		/* Touch every byte: ASan sees any overrun. */
		u = 0;
		for (size_t i = 0; i < n; i++)
			u += ((const unsigned char *)p)[i];
		return u;
	default:
		return ft_dec_count(d, 3);
	}
}

static void
test_decoder(void)
{
	static const struct {
		const char *what, *bytes;
		size_t len;
		int which;
	} bad[] = {
		{ "empty", "", 0, GET_U64 },
		{ "cut varint", "\x80", 1, GET_U64 },
		{ "cut varint", "\xff\xff\xff", 3, GET_I64 },
		{ "11-byte varint", "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
		    "\x01", 11, GET_U64 },
		{ "65 bits", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10,
		    GET_U64 },
		{ "not shortest: 80 00", "\x80\x00", 2, GET_U64 },
		{ "not shortest: ff 80 00", "\xff\x80\x00", 3, GET_U64 },
		{ "7-byte double", "\0\0\0\0\0\0\0", 7, GET_F64 },
		{ "bytes past the end", "\x05" "abcd", 5, GET_BYTES },
		{ "huge length", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
		    10, GET_BYTES },
		{ "count past the end", "\x02" "abcde", 6, GET_COUNT },
		{ "huge count", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10,
		    GET_COUNT },
	};
	uint64_t st = 0x9e3779b97f4a7c15ULL;
	unsigned long calls = 0, good = 0, bads = 0;

	tap_begin("state-002", "the decoder refuses overruns, overlong and "
	    "non-shortest varints; bad stays bad; random bytes never read out "
	    "of bounds");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unsigned char *p = malloc(bad[i].len ? bad[i].len : 1);
		struct ft_dec d;
		uint64_t got;

		memcpy(p, bad[i].bytes, bad[i].len);
		d = (struct ft_dec){ p, bad[i].len, 0, 0 };
		got = get(&d, bad[i].which);
		tap_check(d.bad && got == 0, "%s: bad %d, got %llu",
		    bad[i].what, d.bad, (unsigned long long)got);
		tap_check(d.off <= d.len, "%s: off %zu past %zu", bad[i].what,
		    d.off, d.len);
		free(p);
	}
	{
		/* Sticky: a valid byte after the failure reads as 0. */
		unsigned char p[2] = { 0x80, 0x05 };
		struct ft_dec d = { p, 1, 0, 0 };

		ft_dec_u64(&d);
		d.len = 2;
		tap_check(ft_dec_u64(&d) == 0 && d.bad, "bad is not sticky");
		d = (struct ft_dec){ p + 1, 1, 5, 0 };
		tap_check(ft_dec_u64(&d) == 0 && d.bad, "an offset past the "
		    "end is read");
	}
	{
		/* A count is refused past what the bytes could hold. */
		unsigned char p[7] = { 3, 1, 2, 3, 4, 5, 6 };
		struct ft_dec d = { p, 7, 0, 0 };

		tap_check(ft_dec_count(&d, 2) == 3 && !d.bad, "3 of 2 bytes "
		    "in 6");
		d = (struct ft_dec){ p, 7, 0, 0 };
		tap_check(ft_dec_count(&d, 3) == 0 && d.bad, "3 of 3 bytes "
		    "in 6");
		d = (struct ft_dec){ p, 3, 0, 0 };
		tap_check(ft_dec_count(&d, 0) == 0 && d.bad, "3 of 0 bytes "
		    "in 2");
	}
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rnd(&st) % 24);
		unsigned char *p = malloc(len ? len : 1);
		struct ft_dec d;
		int was_bad = 0;

		/* Mostly short varints and lengths, some long and cut. */
		for (size_t i = 0; i < len; i++) {
			uint64_t r = rnd(&st);

			p[i] = (unsigned char)(r % 10 < 6 ? (r >> 8) % 8 :
			    r % 10 < 8 ? r >> 8 : r % 10 < 9 ? 0x80 : 0xff);
		}
		d = (struct ft_dec){ p, len, 0, 0 };
		for (int k = 0; k < 4; k++) {
			uint64_t got = get(&d, (int)(rnd(&st) % NGET));

			calls++;
			good += !d.bad;
			if (!tap_check(d.off <= d.len, "off %zu past %zu",
			    d.off, d.len) ||
			    !tap_check(!was_bad || (d.bad && got == 0),
			    "a bad decoder returned %llu",
			    (unsigned long long)got) ||
			    !tap_check(!bytes_odd, "bytes: NULL and bad "
			    "disagree"))
				break;
			was_bad = d.bad;
		}
		bads += (unsigned long)was_bad;
		free(p);
	}
	tap_check(good > calls / 4 && bads > 1000 && bads < 19000, "%lu of "
	    "%lu random reads good, %lu of 20000 runs bad", good, calls, bads);
	tap_end();
	tap_diag("%lu random reads, %lu good; %lu of 20000 runs ended bad",
	    calls, good, bads);
}

/* ---- columns ------------------------------------------------------------- */

/* Saves c and loads it into *out; 0 when it loaded and read every byte. */
static int
roundtrip(const struct ft_colstate *c, struct ft_colstate *out,
    size_t *bytes)
{
	struct ft_buf b = { 0 };
	struct ft_dec d;
	int rc;

	ft_col_save(&b, c);
	d = dec_of(&b);
	memset(out, 0, sizeof *out);
	rc = ft_col_load(&d, out);
	if (rc == 0 && (d.bad || d.off != d.len))
		rc = -2;
	if (bytes)
		*bytes = b.len;
	ft_buf_free(&b);
	return rc;
}

/* Everything a reader of a column sees, compared exactly. */
static void
check_same(const struct ft_colstate *a, const struct ft_colstate *b,
    const char *what)
{
	int ok = 1;

	tap_check(a->n == b->n, "%s: n %llu, want %llu", what,
	    (unsigned long long)b->n, (unsigned long long)a->n);
	tap_check(same_bits(a->sum, b->sum) && same_bits(a->sumlo, b->sumlo) &&
	    same_bits(a->mean, b->mean) && same_bits(a->m2, b->m2) &&
	    same_bits(a->min, b->min) && same_bits(a->max, b->max),
	    "%s: the doubles differ", what);
	tap_check(!a->vals == !b->vals && !a->distinct == !b->distinct &&
	    !a->hll == !b->hll && !a->sketch == !b->sketch, "%s: parts "
	    "present differ", what);
	tap_check(a->nvals == b->nvals && (a->nvals == 0 ||
	    memcmp(a->vals, b->vals, a->nvals * sizeof *a->vals) == 0),
	    "%s: values differ (%zu, want %zu)", what, b->nvals, a->nvals);
	tap_check(!a->sorted == !b->sorted, "%s: sorted %d, want %d", what,
	    b->sorted, a->sorted);
	tap_check(ft_col_distinct_count(a) == ft_col_distinct_count(b),
	    "%s: distinct %llu, want %llu", what,
	    (unsigned long long)ft_col_distinct_count(b),
	    (unsigned long long)ft_col_distinct_count(a));
	tap_check(!a->hll || memcmp(a->hll, b->hll, ft_hll_bytes()) == 0,
	    "%s: registers differ", what);
	tap_check(ft_sketch_bytes(a->sketch) == ft_sketch_bytes(b->sketch),
	    "%s: sketch of %zu bytes, want %zu", what,
	    ft_sketch_bytes(b->sketch), ft_sketch_bytes(a->sketch));
	for (double p = 0; a->sketch && p <= 100; p += 0.5)
		ok &= same_bits(ft_col_sketch_quantile(a, p),
		    ft_col_sketch_quantile(b, p));
	tap_check(ok, "%s: sketch quantiles differ", what);
}

/* Percentiles of the values, sorted in a copy. */
static int
same_percentiles(const struct ft_colstate *a, const struct ft_colstate *b)
{
	double *x = malloc((a->nvals + 1) * sizeof *x);
	double *y = malloc((b->nvals + 1) * sizeof *y);
	int ok = a->nvals == b->nvals;

	if (ok && a->nvals > 0) {
		memcpy(x, a->vals, a->nvals * sizeof *x);
		memcpy(y, b->vals, b->nvals * sizeof *y);
		ft_sort_doubles(x, a->nvals);
		ft_sort_doubles(y, b->nvals);
		for (double p = 0; p <= 100; p += 0.1)
			ok &= same_bits(ft_percentile_sorted(x, a->nvals, p),
			    ft_percentile_sorted(y, b->nvals, p));
	}
	free(x);
	free(y);
	return ok;
}

/*
 * The original and the loaded copy, each merged into a column of its own
 * with the same other pane, then each fed the same further values and
 * strings: the four results must agree exactly.
 */
static void
check_behaves(struct ft_colstate *orig, struct ft_colstate *copy,
    const struct ft_colstate *other, unsigned flags, const char *what)
{
	struct ft_colstate m1 = { 0 }, m2 = { 0 };
	uint64_t st = 42;
	char s[32];

	ft_col_merge(&m1, other, flags);
	ft_col_merge(&m1, orig, flags);
	ft_col_merge(&m2, other, flags);
	ft_col_merge(&m2, copy, flags);
	check_same(&m1, &m2, what);
	tap_check(same_percentiles(&m1, &m2), "%s: merged percentiles "
	    "differ", what);
	for (int i = 0; i < 3000; i++) {
		double x = floor(uniform(&st) * 1e6) / 64 - 5000;

		snprintf(s, sizeof s, "more%d", i);
		ft_col_add(orig, x, flags);
		ft_col_add(copy, x, flags);
		if (orig->distinct || orig->hll) {
			ft_col_distinct_add(orig, s, strlen(s));
			ft_col_distinct_add(copy, s, strlen(s));
		}
	}
	check_same(orig, copy, what);
	tap_check(same_percentiles(orig, copy), "%s: percentiles after more "
	    "values differ", what);
	ft_col_free(&m1);
	ft_col_free(&m2);
}

static void
fill_numbers(struct ft_colstate *c, unsigned flags, int n, uint64_t seed)
{
	uint64_t st = seed;

	for (int i = 0; i < n; i++) {
		double u = uniform(&st);

		/* Log-normal latencies, some zeros and negatives, an -0. */
		double x = i % 97 == 0 ? 0 : i % 89 == 0 ? -0.0 :
		    800 * exp(1.2 * sqrt(-2 * log(u)) *
		    cos(6.283185307 * uniform(&st)));
		ft_col_add(c, i % 7 == 0 ? -x : x, flags);
	}
}

static void
fill_strings(struct ft_colstate *c, int from, int to)
{
	char s[40];

	for (int i = from; i < to; i++) {
		int n = snprintf(s, sizeof s, "k%d", i);

		/* Every byte but NUL, somewhere. */
		s[0] = (char)(1 + i % 255);
		ft_col_distinct_add(c, s, (size_t)n);
		c->n++;
	}
}

static void
test_columns(void)
{
	struct ft_colstate a = { 0 }, b = { 0 }, other = { 0 };
	size_t bytes;
	int rc;

	tap_begin("state-003", "an empty column and plain numbers "
	    "(count, sum, min, max) round-trip bit for bit, absent parts "
	    "stay absent");
	rc = roundtrip(&a, &b, &bytes);
	tap_check(rc == 0, "empty: rc %d", rc);
	check_same(&a, &b, "empty");
	tap_check(bytes == 2 + 6 * 8, "empty: %zu bytes", bytes);
	ft_col_free(&b);
	fill_numbers(&a, 0, 5000, 1);
	fill_numbers(&other, 0, 700, 2);
	/* A double-double sum with a low half. */
	ft_col_add(&a, 1e300, 0);
	ft_col_add(&a, 1, 0);
	ft_col_add(&a, -1e300, 0);
	tap_check(a.sumlo != 0, "no low half");
	rc = roundtrip(&a, &b, NULL);
	tap_check(rc == 0, "numbers: rc %d", rc);
	check_same(&a, &b, "numbers");
	tap_check(b.vals == NULL && b.distinct == NULL && b.hll == NULL &&
	    b.sketch == NULL, "a part appeared");
	check_behaves(&a, &b, &other, 0, "numbers");
	tap_check(ft_col_sum(&a) == ft_col_sum(&b), "sum");
	tap_end();
	ft_col_free(&a);
	ft_col_free(&b);
	ft_col_free(&other);

	tap_begin("state-004", "values and moments round-trip: the values in "
	    "order, sorted or not, the same percentiles, variance, merges");
	fill_numbers(&a, FT_COL_VALUES | FT_COL_MOMENTS, 20000, 3);
	fill_numbers(&other, FT_COL_VALUES | FT_COL_MOMENTS, 3000, 4);
	rc = roundtrip(&a, &b, &bytes);
	tap_check(rc == 0, "unsorted: rc %d", rc);
	tap_check(bytes > 20000 * 8, "%zu bytes", bytes);
	check_same(&a, &b, "unsorted");
	tap_check(same_percentiles(&a, &b), "unsorted: percentiles");
	check_behaves(&a, &b, &other, FT_COL_VALUES | FT_COL_MOMENTS,
	    "unsorted");
	ft_col_free(&b);
	ft_sort_doubles(a.vals, a.nvals);
	a.sorted = 1;
	rc = roundtrip(&a, &b, NULL);
	tap_check(rc == 0, "sorted: rc %d", rc);
	check_same(&a, &b, "sorted");
	for (double p = 0; p <= 100; p += 0.1)
		tap_check(same_bits(ft_percentile_sorted(a.vals, a.nvals, p),
		    ft_percentile_sorted(b.vals, b.nvals, p)), "p%g", p);
	ft_col_free(&b);
	/* Reset: the values array kept, empty; sorted with no values. */
	ft_col_reset(&a);
	a.sorted = 1;
	rc = roundtrip(&a, &b, NULL);
	tap_check(rc == 0 && b.vals != NULL && b.nvals == 0 && b.sorted,
	    "reset: rc %d, vals %p, sorted %d", rc, (void *)b.vals, b.sorted);
	check_same(&a, &b, "reset");
	check_behaves(&a, &b, &other, FT_COL_VALUES | FT_COL_MOMENTS,
	    "reset");
	tap_end();
	ft_col_free(&a);
	ft_col_free(&b);
	ft_col_free(&other);

	tap_begin("state-005", "distinct strings round-trip: an exact set of "
	    "any bytes but NUL, then 20,000 strings as HyperLogLog registers; "
	    "the same counts, merged and fed");
	fill_strings(&a, 0, 3000);
	ft_col_distinct_add(&a, "", 0);
	fill_strings(&other, 2000, 9000);
	rc = roundtrip(&a, &b, NULL);
	tap_check(rc == 0, "exact: rc %d", rc);
	check_same(&a, &b, "exact");
	tap_check(ft_col_distinct_count(&b) == 3001, "exact: %llu",
	    (unsigned long long)ft_col_distinct_count(&b));
	{
		/* The same strings: none is new to the loaded set. */
		struct ft_colstate probe = { 0 };
		int fresh = 0;

		fill_strings(&probe, 0, 3000);
		ft_col_merge(&probe, &b, 0);
		fresh = (int)ft_col_distinct_count(&probe) - 3001;
		tap_check(fresh == 0, "exact: %d strings differ", fresh);
		ft_col_free(&probe);
	}
	check_behaves(&a, &b, &other, 0, "exact");
	ft_col_free(&a);
	ft_col_free(&b);
	fill_strings(&a, 0, 20000);
	tap_check(a.hll != NULL && ft_strset_count(a.distinct) == 0,
	    "20,000 strings are not a HyperLogLog");
	rc = roundtrip(&a, &b, &bytes);
	tap_check(rc == 0, "hll: rc %d", rc);
	tap_check(bytes < ft_hll_bytes() + 100, "hll: %zu bytes", bytes);
	check_same(&a, &b, "hll");
	tap_check(fabs((double)ft_col_distinct_count(&b) - 20000) < 600,
	    "hll: %llu", (unsigned long long)ft_col_distinct_count(&b));
	check_behaves(&a, &b, &other, 0, "hll");
	tap_end();
	ft_col_free(&a);
	ft_col_free(&b);
	ft_col_free(&other);

	tap_begin("state-006", "a sketch of 100,000 values round-trips: "
	    "every quantile the same double, merged and fed; a folded run of "
	    "600 orders of magnitude too");
	fill_numbers(&a, FT_COL_SKETCH, 100000, 5);
	fill_numbers(&other, FT_COL_SKETCH, 5000, 6);
	rc = roundtrip(&a, &b, &bytes);
	tap_check(rc == 0, "sketch: rc %d", rc);
	tap_check(bytes < 8000, "sketch: %zu bytes", bytes);
	check_same(&a, &b, "sketch");
	check_behaves(&a, &b, &other, FT_COL_SKETCH, "sketch");
	ft_col_free(&a);
	ft_col_free(&b);
	for (int i = 0; i < 6001; i++)
		ft_col_add(&a, pow(10, -300 + 0.1 * i), FT_COL_SKETCH);
	rc = roundtrip(&a, &b, NULL);
	tap_check(rc == 0, "folded: rc %d", rc);
	check_same(&a, &b, "folded");
	check_behaves(&a, &b, &other, FT_COL_SKETCH, "folded");
	ft_col_free(&b);
	/* A cleared sketch stays, empty. */
	ft_col_reset(&a);
	rc = roundtrip(&a, &b, NULL);
	tap_check(rc == 0 && b.sketch != NULL, "cleared: rc %d", rc);
	check_same(&a, &b, "cleared");
	tap_end();
	ft_col_free(&a);
	ft_col_free(&b);
	ft_col_free(&other);
}

/* ---- damaged bytes ------------------------------------------------------- */

/*
 * What a loaded column must hold, whatever bytes it came from: what every
 * reader relies on.  Reads every part (ASan checks the sizes).
 */
static int
consistent(const struct ft_colstate *c)
{
	struct ft_colstate m = { 0 };
	int ok = c->nvals <= c->n && (c->vals != NULL || c->nvals == 0) &&
	    c->nvals <= c->capvals;

	for (size_t i = 0; ok && i < c->nvals; i++)
		ok = !isnan(c->vals[i]) && (!c->sorted || i == 0 ||
		    c->vals[i - 1] <= c->vals[i]);
	for (size_t j = 0; ok && c->hll && j < ft_hll_bytes(); j++)
		ok = c->hll[j] <= 51;
	ok &= !(c->hll && ft_strset_count(c->distinct) > 0);
	ok &= ft_strset_count(c->distinct) <= FT_DISTINCT_EXACT;
	if (!ok)
		return 0;
	/* Used as a column is. */
	(void)ft_col_distinct_count(c);
	for (double p = 0; c->sketch && p <= 100; p += 12.5)
		(void)ft_col_sketch_quantile(c, p);
	if (c->sorted)
		(void)ft_percentile_sorted(c->vals, c->nvals, 99);
	ft_col_merge(&m, c, FLAGS_ALL);
	ft_col_merge(&m, c, FLAGS_ALL);
	ft_col_add(&m, 1.5, FLAGS_ALL);
	ft_col_distinct_add(&m, "x", 1);
	ok = m.n == 2 * c->n + 1;
	ft_col_free(&m);
	return ok;
}

/* A column with every part: values, moments, sketch, distinct. */
static void
make_full(struct ft_colstate *c, int nstrings)
{
	fill_numbers(c, FLAGS_ALL, 300, 7);
	ft_sort_doubles(c->vals, c->nvals);
	c->sorted = 1;
	fill_strings(c, 0, nstrings);
	c->n -= (uint64_t)nstrings;
}

/*
 * Every prefix of the encoding is refused (the full one reads every byte,
 * so any shorter runs out); n single-byte changes are refused or load a
 * consistent column which, when the encoding is deterministic (no exact
 * set, whose order is its hashes'), saves back to the very bytes read.
 */
static void
damage(const struct ft_colstate *c, int deterministic, int n,
    uint64_t seed, unsigned long *refused)
{
	struct ft_buf b = { 0 }, again = { 0 };
	uint64_t st = seed;
	unsigned char *p;

	ft_col_save(&b, c);
	for (size_t len = 0; len < b.len; len++) {
		struct ft_colstate l = { 0 };
		struct ft_dec d;
		int rc;

		/* A copy of exactly len bytes: ASan sees any overrun. */
		p = malloc(len ? len : 1);
		memcpy(p, b.p, len);
		d = (struct ft_dec){ p, len, 0, 0 };
		rc = ft_col_load(&d, &l);
		tap_check(rc == -1 && d.bad, "prefix of %zu of %zu bytes: rc "
		    "%d", len, b.len, rc);
		ft_col_free(&l);
		free(p);
	}
	p = malloc(b.len);
	*refused = 0;
	for (int k = 0; k < n; k++) {
		struct ft_colstate l = { 0 };
		struct ft_dec d;
		size_t at = (size_t)(rnd(&st) % b.len);
		unsigned char was;
		int rc;

		memcpy(p, b.p, b.len);
		was = p[at];
		/* Some changes of one bit, some of the whole byte. */
		p[at] ^= (unsigned char)(k % 2 ? 1u << (rnd(&st) % 8) :
		    1 + rnd(&st) % 255);
		d = (struct ft_dec){ p, b.len, 0, 0 };
		rc = ft_col_load(&d, &l);
		if (rc == -1) {
			tap_check(d.bad, "byte %zu: refused, not bad", at);
			(*refused)++;
		} else {
			tap_check(rc == 0 && !d.bad && d.off <= b.len,
			    "byte %zu: rc %d", at, rc);
			tap_check(consistent(&l), "byte %zu (%02x to %02x): "
			    "an inconsistent column loaded", at, was, p[at]);
			again.len = 0;
			ft_col_save(&again, &l);
			tap_check(again.len == d.off && (!deterministic ||
			    memcmp(again.p, p, d.off) == 0), "byte %zu (%02x "
			    "to %02x): saves back as other bytes", at, was,
			    p[at]);
		}
		ft_col_free(&l);
	}
	free(p);
	ft_buf_free(&b);
	ft_buf_free(&again);
}

static void
test_damage(void)
{
	struct ft_colstate exact = { 0 }, hll = { 0 };
	unsigned long r1, r2;

	make_full(&exact, 40);
	make_full(&hll, 10001);
	tap_begin("state-007", "every truncation of a column's bytes is "
	    "refused; 6,000 single-byte changes are refused or load a "
	    "consistent column that saves back to the bytes read");
	tap_check(consistent(&exact) && consistent(&hll) && hll.hll &&
	    exact.distinct && !exact.hll, "the originals");
	damage(&exact, 0, 3000, 11, &r1);
	damage(&hll, 1, 3000, 12, &r2);
	/* Most changes land in doubles, which are any bits; the rest are
	   mostly caught. */
	tap_check(r1 > 0 && r1 < 3000 && r2 > 0 && r2 < 3000, "refused "
	    "%lu and %lu of 3000", r1, r2);
	tap_end();
	tap_diag("single-byte changes refused: %lu of 3000 (exact set), %lu "
	    "of 3000 (HyperLogLog)", r1, r2);
	ft_col_free(&exact);
	ft_col_free(&hll);
}

/* A hand-made column: the parts mask, n, then the doubles. */
static void
head(struct ft_buf *b, uint64_t parts, uint64_t n)
{
	b->len = 0;
	ft_enc_u64(b, parts);
	ft_enc_u64(b, n);
	for (int i = 0; i < 6; i++)
		ft_enc_f64(b, 1);
}

/* A sketch of total, zeros and one positive run. */
static void
sketch(struct ft_buf *b, uint64_t total, uint64_t zeros, uint64_t nb,
    int64_t lo, uint64_t each)
{
	ft_enc_u64(b, total);
	ft_enc_u64(b, zeros);
	ft_enc_u64(b, 0);
	ft_enc_u64(b, nb);
	if (nb > 0)
		ft_enc_i64(b, lo);
	for (uint64_t k = 0; k < nb; k++)
		ft_enc_u64(b, each);
}

static int
loads(const struct ft_buf *b)
{
	struct ft_colstate c = { 0 };
	struct ft_dec d = dec_of(b);
	int rc = ft_col_load(&d, &c);

	if (rc == 0 && (d.bad || d.off != d.len))
		rc = -2;
	if (rc == -1 && !d.bad)
		rc = -3;
	ft_col_free(&c);
	return rc;
}

static void
test_inconsistent(void)
{
	struct ft_buf b = { 0 };
	unsigned char *reg = ft_hll_new();
	int rc;

#define EXPECT(want, what) \
	do { \
		rc = loads(&b); \
		tap_check(rc == (want), "%s: rc %d, want %d", (what), rc, \
		    (want)); \
	} while (0)

	tap_begin("state-008", "inconsistent columns are refused: unknown "
	    "parts, values past n, NaN, unsorted, NUL or twice in the set, "
	    "registers past 51, sketch counts, runs and indices");
	head(&b, 32, 0);
	EXPECT(-1, "unknown part");
	head(&b, 1, 2);
	ft_enc_u64(&b, 2);
	ft_enc_f64(&b, 1);
	ft_enc_f64(&b, 2);
	EXPECT(0, "two values of two");
	head(&b, 1, 1);
	ft_enc_u64(&b, 2);
	ft_enc_f64(&b, 1);
	ft_enc_f64(&b, 2);
	EXPECT(-1, "two values of one");
	head(&b, 1, 2);
	ft_enc_u64(&b, 2);
	ft_enc_f64(&b, 1);
	ft_enc_f64(&b, NAN);
	EXPECT(-1, "NaN");
	head(&b, 3, 2);
	ft_enc_u64(&b, 2);
	ft_enc_f64(&b, 2);
	ft_enc_f64(&b, 1);
	EXPECT(-1, "sorted, but not");
	head(&b, 1, 2);
	ft_enc_u64(&b, 2);
	ft_enc_f64(&b, 2);
	ft_enc_f64(&b, 1);
	EXPECT(0, "unsorted");
	head(&b, 2, 0);
	EXPECT(0, "sorted, no values");
	head(&b, 4, 3);
	ft_enc_u64(&b, 2);
	ft_enc_bytes(&b, "ab", 2);
	ft_enc_bytes(&b, "a", 1);
	EXPECT(0, "two strings");
	head(&b, 4, 3);
	ft_enc_u64(&b, 2);
	ft_enc_bytes(&b, "ab", 2);
	ft_enc_bytes(&b, "ab", 2);
	EXPECT(-1, "a string twice");
	head(&b, 4, 3);
	ft_enc_u64(&b, 1);
	ft_enc_bytes(&b, "a\0b", 3);
	EXPECT(-1, "NUL in a string");
	head(&b, 4, 3);
	ft_enc_u64(&b, FT_DISTINCT_EXACT + 1);
	for (int i = 0; i <= FT_DISTINCT_EXACT; i++) {
		char s[16];

		ft_enc_bytes(&b, s, (size_t)snprintf(s, sizeof s, "%d", i));
	}
	EXPECT(-1, "an exact set past FT_DISTINCT_EXACT");
	head(&b, 8, 3);
	reg[100] = 51;
	ft_hll_save(&b, reg);
	EXPECT(0, "register 51");
	head(&b, 8, 3);
	reg[100] = 52;
	ft_hll_save(&b, reg);
	EXPECT(-1, "register 52");
	reg[100] = 0;
	head(&b, 8, 3);
	ft_enc_bytes(&b, reg, ft_hll_bytes() - 1);
	EXPECT(-1, "a register short");
	head(&b, 12, 3);
	ft_enc_u64(&b, 1);
	ft_enc_bytes(&b, "a", 1);
	ft_hll_save(&b, reg);
	EXPECT(-1, "strings beside registers");
	head(&b, 12, 3);
	ft_enc_u64(&b, 0);
	ft_hll_save(&b, reg);
	EXPECT(0, "an empty set beside registers");
	head(&b, 16, 7);
	sketch(&b, 7, 1, 3, 5, 2);
	EXPECT(0, "a sketch of 7");
	head(&b, 16, 7);
	sketch(&b, 7, 2, 3, 5, 2);
	EXPECT(-1, "a sketch of 8 said 7");
	head(&b, 16, 7);
	sketch(&b, 7, 0, 3, 5, 2);
	EXPECT(-1, "a sketch of 6 said 7");
	head(&b, 16, 7);
	sketch(&b, 0, 0, 0, 0, 0);
	EXPECT(0, "an empty sketch");
	head(&b, 16, 7);
	sketch(&b, 2048, 0, 2048, -1000, 1);
	EXPECT(0, "2048 buckets");
	head(&b, 16, 7);
	sketch(&b, 2049, 0, 2049, -1000, 1);
	EXPECT(-1, "2049 buckets");
	head(&b, 16, 7);
	sketch(&b, 2, 0, 2, 999999999, 1);
	EXPECT(0, "the top index");
	head(&b, 16, 7);
	sketch(&b, 2, 0, 2, 1000000000, 1);
	EXPECT(-1, "past the top index");
	head(&b, 16, 7);
	sketch(&b, 2, 0, 2, -1000000001, 1);
	EXPECT(-1, "past the bottom index");
	head(&b, 16, 7);
	sketch(&b, 2, 0, 2, INT64_MAX, 1);
	EXPECT(-1, "INT64_MAX index");
	head(&b, 16, 7);
	sketch(&b, UINT64_MAX, 0, 2, 3, UINT64_MAX / 2 + 1);
	EXPECT(-1, "counts overflowing");
	head(&b, 16, 7);
	ft_enc_u64(&b, 1);
	ft_enc_u64(&b, 1);
	ft_enc_u64(&b, 1000);
	EXPECT(-1, "a run longer than the bytes");
	tap_end();
#undef EXPECT
	free(reg);
	ft_buf_free(&b);
}

int
main(void)
{
	test_codec();
	test_decoder();
	test_columns();
	test_damage();
	test_inconsistent();
	return tap_done();
}
