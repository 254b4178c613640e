/*
 * test-numfmt.c - checks feat_fmt_double (lib/numfmt.c) against the C
 * library's correctly rounded snprintf("%.*e") and strtod.
 *
 * For every value: strtod must read the text back to the same bits; the text
 * must be laid out by Number#toString rules, which this file implements
 * separately; no text with fewer significant digits may read back (the two
 * shorter decimals on either side of the output are tried, which covers them
 * all); and no text of the same length that reads back may be nearer the
 * value (its two neighbours are tried).  "Reads back" is decided exactly: a
 * long double comparison with the midpoints to the neighbouring doubles
 * settles nearly all cases, and anything it cannot settle with a safe margin
 * goes to strtod, or to snprintf's correctly rounded digits.  The values:
 * the documented examples, subnormals, every power of ten, integers around
 * 2^53, the layout switch points 1e21, 1e-6 and 1e-7, then random doubles
 * from a seeded splitmix64 (random bit patterns, plus a share of
 * "human" numbers such as cents, counts and short decimals).
 *
 * Usage: test-numfmt [COUNT [SEED]]  (default 10000000 random values).
 * Prints TAP (tests/unit/tap.h): one point per group of values, the first
 * failures of each as diagnostics; exits 1 on any failure.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "tap.h"

static uint64_t
bits_of(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof b);
	return b;
}

static double
from_bits(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof v);
	return v;
}

/*
 * The neighbouring double towards +inf (dir > 0) or -inf, and |v|, by bit
 * steps: the test then needs nothing from libm, which a build configured
 * with -Werror in CFLAGS may fail to link.
 */
static double
adjacent(double v, int dir)
{
	uint64_t b = bits_of(v);

	if ((b << 1) == 0)	/* either zero */
		return from_bits(dir > 0 ? 1 : UINT64_C(0x8000000000000001));
	return from_bits((b >> 63) == (dir < 0) ? b + 1 : b - 1);
}

static double
magnitude(double v)
{
	return from_bits(bits_of(v) & ~(UINT64_C(1) << 63));
}

/*
 * Both count one value of the open TAP point and return whether it passed,
 * for check_value's returns.
 */
static int
fail(double v, const char *got, const char *why)
{
	return tap_check(0, "%.17g (bits 0x%016" PRIx64 "): got \"%s\": %s",
	    v, bits_of(v), got, why);
}

static int
pass(void)
{
	return tap_check(1, "passed");
}

/* ---- splitmix64: tiny, seedable, good enough to cover the bit space ---- */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* ---- the reference, independent of lib/numfmt.c --------------------------- */

/* A positive decimal digits * 10^exp with exactly ndig digits. */
struct dec {
	uint64_t digits;
	int exp;
	int ndig;
};

static uint64_t
pow10u(int n)
{
	uint64_t r = 1;

	while (n-- > 0)
		r *= 10;
	return r;
}

/* The nearest ndig-digit decimal to |v| (>0), from snprintf's rounding. */
static struct dec
nearest(double v, int ndig, char *text, size_t size)
{
	struct dec d = { 0, 0, ndig };
	const char *s;
	int e;

	snprintf(text, size, "%.*e", ndig - 1, magnitude(v));
	for (s = text; *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			d.digits = d.digits * 10 + (uint64_t)(*s - '0');
	e = (int)strtol(s + 1, NULL, 10);
	d.exp = e - (ndig - 1);
	return d;
}

/* The next ndig-digit decimal above (dir > 0) or below (dir < 0). */
static struct dec
step(struct dec d, int dir)
{
	if (dir > 0) {
		if (++d.digits == pow10u(d.ndig)) {
			d.digits = pow10u(d.ndig - 1);
			d.exp++;
		}
	} else {
		if (d.digits-- == pow10u(d.ndig - 1)) {
			d.digits = pow10u(d.ndig) - 1;
			d.exp--;
		}
	}
	return d;
}

static double
read_dec(struct dec d)
{
	char text[48];

	snprintf(text, sizeof text, "%" PRIu64 "e%d", d.digits, d.exp);
	return strtod(text, NULL);
}

/* Number#toString layout of -?digits*10^exp into out. */
static void
expected_text(int neg, struct dec d, char *out, size_t size)
{
	static const char zeros[] = "000000000000000000000000";
	const char *sign = neg ? "-" : "";
	char s[24];
	int n, k;

	while (d.digits % 10 == 0) {
		d.digits /= 10;
		d.exp++;
	}
	n = snprintf(s, sizeof s, "%" PRIu64, d.digits);
	k = n + d.exp;		/* the decimal point sits after k digits */
	if (n <= k && k <= 21)
		snprintf(out, size, "%s%s%.*s", sign, s, k - n, zeros);
	else if (0 < k && k <= 21)
		snprintf(out, size, "%s%.*s.%s", sign, k, s, s + k);
	else if (-6 < k && k <= 0)
		snprintf(out, size, "%s0.%.*s%s", sign, -k, zeros, s);
	else
		snprintf(out, size, "%s%c%s%se%c%d", sign, s[0],
		    n > 1 ? "." : "", s + 1, k - 1 < 0 ? '-' : '+',
		    abs(k - 1));
}

/*
 * Powers of ten as long doubles, each correctly rounded by strtold, so that
 * digits * 10^exp costs one multiplication with a relative error below 2^-63
 * (64-bit significand).  That settles almost every comparison of a short
 * decimal with an exact long double; the rest go to strtod or snprintf.
 */
#define P10_MIN (-350)
#define P10_MAX 320
static long double p10[P10_MAX - P10_MIN + 1];

_Static_assert(LDBL_MANT_DIG >= 64, "the error bound below needs 64 bits");

static void
init_p10(void)
{
	char text[16];

	for (int e = P10_MIN; e <= P10_MAX; e++) {
		snprintf(text, sizeof text, "1e%d", e);
		p10[e - P10_MIN] = strtold(text, NULL);
	}
}

/* The sign of digits * 10^exp - ref when the product settles it, else 0. */
static int
cmp_approx(uint64_t digits, int exp, long double ref)
{
	long double c, tol;

	if (exp < P10_MIN || exp > P10_MAX)
		return 0;
	c = (long double)digits * p10[exp - P10_MIN];
	tol = c * 0x1p-60L;	/* 8 times the worst error */
	if (c - tol > ref)
		return 1;
	if (c + tol < ref)
		return -1;
	return 0;
}

/*
 * The value and the midpoints to its neighbouring doubles, exact in a long
 * double (54 significant bits).  A decimal strictly between lo and hi reads
 * back to v, one strictly outside does not; one on a midpoint is left to
 * strtod, which applies round-half-even.
 */
struct interval {
	double v;		/* |v| */
	long double lo, hi, twice;
};

static struct interval
interval_of(double v)
{
	struct interval iv;
	double up, down;

	iv.v = magnitude(v);
	up = adjacent(iv.v, 1);
	down = adjacent(iv.v, -1);
	iv.lo = ((long double)iv.v + down) / 2;
	iv.hi = isinf(up) ? iv.v + ((long double)iv.v - down) / 2 :
	    ((long double)iv.v + up) / 2;
	iv.twice = 2 * (long double)iv.v;
	return iv;
}

static int
reads_back(struct dec d, const struct interval *iv)
{
	int lo = cmp_approx(d.digits, d.exp, iv->lo);
	int hi = cmp_approx(d.digits, d.exp, iv->hi);

	if (lo < 0 || hi > 0)
		return 0;
	if (lo > 0 && hi < 0)
		return 1;
	return read_dec(d) == iv->v;
}

/*
 * Whether m is strictly nearer v than its neighbour n: compares twice v
 * with m + n.  Returns 1, 0 (n is nearer) or -1 (too close to call).
 */
static int
nearer(struct dec m, struct dec n, const struct interval *iv)
{
	int lo = m.exp < n.exp ? m.exp : n.exp;
	uint64_t sum = m.digits * pow10u(m.exp - lo) +
	    n.digits * pow10u(n.exp - lo);
	int above = n.exp > m.exp || (n.exp == m.exp && n.digits > m.digits);
	int sign = cmp_approx(sum, lo, iv->twice);

	if (sign == 0)
		return -1;
	return above ? sign > 0 : sign < 0;
}

/* Reads a formatted number back into digits (no trailing zeros) * 10^exp. */
static int
parse_text(const char *s, struct dec *d)
{
	char sig[32];
	int nsig = 0, frac = 0, point = 0, exp = 0;

	if (*s == '-')
		s++;
	for (; *s != '\0' && *s != 'e'; s++) {
		if (*s == '.' && !point) {
			point = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (point)
			frac++;
		if (nsig == 0 && *s == '0')
			continue;
		if (nsig == (int)sizeof sig)
			return -1;
		sig[nsig++] = *s;
	}
	if (*s == 'e')
		exp = (int)strtol(s + 1, NULL, 10);
	d->exp = exp - frac;
	/* Zeros the layout put after the digits only move the exponent. */
	while (nsig > 0 && sig[nsig - 1] == '0') {
		nsig--;
		d->exp++;
	}
	if (nsig == 0 || nsig > 19)
		return -1;
	d->ndig = nsig;
	d->digits = 0;
	for (int i = 0; i < nsig; i++)
		d->digits = d->digits * 10 + (uint64_t)(sig[i] - '0');
	return 0;
}

/* Full check of one value; returns 1 when it passed. */
static int
check_value(double v)
{
	char got[FEAT_DOUBLE_BUFSZ], text[64], want[64];
	size_t n;
	char *end;
	double back;
	int neg = signbit(v) != 0;
	struct dec m, d;
	struct interval iv;

	memset(got, 'X', sizeof got);
	n = feat_fmt_double(v, got);
	if (!isfinite(v)) {
		if (n != 0 || got[0] != '\0')
			return fail(v, got, "non-finite must give \"\"");
		return pass();
	}
	if (memchr(got, '\0', sizeof got) == NULL || n != strlen(got))
		return fail(v, "?", "length or NUL wrong");
	/* The real thing, on every value: the C library reads it back. */
	back = strtod(got, &end);
	if (*end != '\0' || bits_of(back) != bits_of(v))
		return fail(v, got, "does not read back");
	if (v == 0) {
		if (strcmp(got, neg ? "-0" : "0") != 0)
			return fail(v, got, "zero");
		return pass();
	}
	if (parse_text(got, &m) != 0 || m.ndig > 17)
		return fail(v, got, "not 1..17 digits");
	expected_text(neg, m, want, sizeof want);
	if (strcmp(got, want) != 0)
		return fail(v, got, "layout differs from Number#toString");

	iv = interval_of(v);
	/*
	 * Nothing with fewer digits reads back.  The decimals with at most
	 * p - 1 digits next to m, below and above, are m with its last digit
	 * cut and that plus one; the set of decimals that read back to v is
	 * an interval holding m, so if it holds neither of those two it
	 * holds no shorter decimal at all.
	 */
	if (m.ndig > 1) {
		struct dec cut = { m.digits / 10, m.exp + 1, m.ndig - 1 };

		if (reads_back(cut, &iv) ||
		    reads_back(step(cut, 1), &iv))
			return fail(v, got, "a shorter text reads back");
	}

	/*
	 * Nearest among texts of this length.  If some p-digit decimal that
	 * reads back were nearer v than m, so would be one of m's two
	 * neighbours on the p-digit grid; ties and near-ties are settled by
	 * snprintf's correctly rounded (half-even) p-digit result.
	 */
	for (int dir = -1; dir <= 1; dir += 2) {
		struct dec nb = step(m, dir);
		int r;

		if (!reads_back(nb, &iv))
			continue;
		r = nearer(m, nb, &iv);
		if (r == 1)
			continue;
		if (r == 0)
			return fail(v, got, "a nearer text of this length reads back");
		d = nearest(v, m.ndig, text, sizeof text);
		back = strtod(text, NULL);
		if (back != iv.v)
			d = step(d, back > iv.v ? -1 : 1);
		expected_text(neg, d, want, sizeof want);
		if (strcmp(got, want) != 0) {
			char why[96];

			snprintf(why, sizeof why, "want \"%s\"", want);
			return fail(v, got, why);
		}
	}
	return pass();
}

/* check_value plus an exact expected text. */
static void
expect(double v, const char *want)
{
	char got[FEAT_DOUBLE_BUFSZ];

	feat_fmt_double(v, got);
	if (strcmp(got, want) != 0) {
		char why[96];

		snprintf(why, sizeof why, "want \"%s\"", want);
		fail(v, got, why);
		return;
	}
	check_value(v);
}

/* v and its neighbours within `span` steps. */
static void
check_around(double v, int span)
{
	double up = v, down = v;

	check_value(v);
	for (int i = 0; i < span; i++) {
		up = adjacent(up, 1);
		down = adjacent(down, -1);
		check_value(up);
		check_value(down);
	}
}

static void
examples(void)
{
	tap_begin("numfmt-001", "documented examples give their exact text and "
	    "pass the full check");
	expect(0.98, "0.98");
	expect(1.0 / 3, "0.3333333333333333");
	expect(2210.0, "2210");
	expect(1e21, "1e+21");
	expect(5e-324, "5e-324");
	expect(123456789012345680000.0, "123456789012345680000");
	expect(1e-7, "1e-7");
	expect(0.000001, "0.000001");
	expect(-0.0, "-0");
	expect(0.0, "0");
	expect(-1.5, "-1.5");
	expect(DBL_MAX, "1.7976931348623157e+308");
	expect(-DBL_MAX, "-1.7976931348623157e+308");
	expect(DBL_MIN, "2.2250738585072014e-308");
	expect(0.1 + 0.2, "0.30000000000000004");
	expect(0.3, "0.3");
	expect(100.0, "100");
	expect(1e20, "100000000000000000000");
	expect(adjacent(1e21, -1), "999999999999999900000");
	/* 1e23 is the midpoint of two doubles; strtod gives it the even one. */
	expect(adjacent(1e23, 1), "1.0000000000000001e+23");
	expect(adjacent(1e23, -1), "9.999999999999997e+22");
	expect(1.5e-6, "0.0000015");
	expect(1.5e-7, "1.5e-7");
	expect(1.2345e21, "1.2345e+21");
	expect(123.456, "123.456");
	expect(9007199254740992.0, "9007199254740992");
	expect(9007199254740994.0, "9007199254740994");
	expect(18014398509481984.0, "18014398509481984");
	expect(1e23, "1e+23");
	expect(4.35, "4.35");
	expect(0.5, "0.5");
	expect(2.5e-5, "0.000025");
	expect(1e308, "1e+308");
	expect(4.9406564584124654e-324, "5e-324");
	expect(2.2250738585072009e-308, "2.225073858507201e-308");
	expect(-1e-300, "-1e-300");
	expect(5e-7, "5e-7");
	expect(1234567.0, "1234567");
	tap_end();
}

static void
non_finite(void)
{
	tap_begin("numfmt-002", "NaNs and infinities give the empty text");
	check_value(NAN);
	check_value(-NAN);
	check_value(INFINITY);
	check_value(-INFINITY);
	check_value(from_bits(UINT64_C(0x7ff0000000000001)));
	check_value(from_bits(UINT64_C(0xfff8000000000001)));
	tap_end();
}

static void
subnormals(void)
{
	const uint64_t top = UINT64_C(0x000fffffffffffff);

	tap_begin("numfmt-003", "subnormals, the subnormal/normal boundary and "
	    "the smallest normal of each binade");
	for (uint64_t i = 1; i <= 2000; i++) {
		check_value(from_bits(i));
		check_value(from_bits(top + 1 - i));
		check_value(-from_bits(i));
	}
	/* Across the subnormal/normal boundary. */
	check_around(DBL_MIN, 100);
	for (int i = 0; i < 100000; i++)
		check_value(from_bits(rng_next() & top));
	/* The smallest normal of each binade, whose lower gap is narrower. */
	for (uint64_t e = 1; e < 0x7ff; e++)
		check_around(from_bits(e << 52), 2);
	tap_end();
}

static void
powers_of_ten(void)
{
	char text[16], want[32];

	tap_begin("numfmt-004", "powers of ten 1e-323..1e308 give their exact "
	    "text; they, their neighbours and negations pass");
	for (int e = -323; e <= 308; e++) {
		double v;

		snprintf(text, sizeof text, "1e%d", e);
		v = strtod(text, NULL);
		expected_text(0, (struct dec){ 1, e, 1 }, want, sizeof want);
		expect(v, want);
		check_around(v, 3);
		check_value(-v);
	}
	tap_end();
}

static void
integers(void)
{
	tap_begin("numfmt-005", "integers: 0..100000, around powers of two, "
	    "every one near 2^53, random ones");
	for (int64_t i = 0; i <= 100000; i++)
		check_value((double)i);
	for (int k = 0; k <= 70; k++) {
		double p = from_bits((uint64_t)(1023 + k) << 52);	/* 2^k */

		check_around(p, 3);
		for (int j = -5; j <= 5; j++)
			check_value(p + j);
	}
	/* Every integer near 2^53, where the spacing becomes 2. */
	for (int64_t i = -2000; i <= 2000; i++)
		check_value((double)((INT64_C(1) << 53) + i));
	for (int i = 0; i < 100000; i++)
		check_value((double)(rng_next() >> (11 + rng_next() % 53)));
	tap_end();
}

static void
switch_points(void)
{
	static const double points[] = {
		1e21, 1e-6, 1e-7, 1e20, 1e-5, 999999999999999900000.0,
		9.999999999999999e-7, 9.999999999999999e-8, 1.0, 0.1
	};

	tap_begin("numfmt-006", "around the layout switch points 1e21, 1e-6 "
	    "and 1e-7, and short decimals at them");
	for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
		check_around(points[i], 1000);
		check_around(-points[i], 10);
	}
	/* Short decimals right at the switch points. */
	for (int d = 1; d < 1000; d++) {
		check_value(d * 1e18);
		check_value(d * 1e19);
		check_value(d * 1e-9);
		check_value(d * 1e-10);
		check_value(d / 1e9);
		check_value(d / 1e10);
	}
	tap_end();
}

/* A number as people write them: cents, counts, short decimals. */
static double
human(void)
{
	uint64_t r = rng_next();
	double v;

	switch (r % 4) {
	case 0:		/* money */
		v = (double)(int64_t)(rng_next() % 2000000001) / 100;
		break;
	case 1:		/* counts of any magnitude, past 2^53 too */
		v = (double)(rng_next() >> (rng_next() % 64));
		break;
	case 2: {	/* 1..17 digits at a modest exponent */
		char text[48];
		int ndig = 1 + (int)(rng_next() % 17);
		int exp = (int)(rng_next() % 61) - 30;

		snprintf(text, sizeof text, "%" PRIu64 "e%d",
		    rng_next() % pow10u(ndig), exp);
		v = strtod(text, NULL);
		break;
	}
	default:	/* arithmetic on decimals, e.g. 3 * 0.1 */
		v = (double)(rng_next() % 100000) * 0.1 +
		    (double)(rng_next() % 1000) * 0.001;
		break;
	}
	return r >> 63 ? -v : v;
}

static void
random_values(unsigned long count, uint64_t seed)
{
	tap_begin("numfmt-007", "random bit patterns and human numbers from "
	    "splitmix64 seed 0x%" PRIx64, seed);
	for (unsigned long i = 0; i < count; i++) {
		double v;

		if (i % 5 == 4) {
			v = human();
		} else {
			do
				v = from_bits(rng_next());
			while (!isfinite(v));
		}
		check_value(v);
	}
	tap_end();
}

int
main(int argc, char **argv)
{
	unsigned long count = 10000000;
	uint64_t seed = UINT64_C(0x6665617431);	/* "feat1" */

	if (argc > 1)
		count = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 0);
	rng_state = seed;
	init_p10();

	examples();
	non_finite();
	subnormals();
	powers_of_ten();
	integers();
	switch_points();
	random_values(count, seed);

	return tap_done();
}
