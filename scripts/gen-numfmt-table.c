/*
 * gen-numfmt-table.c - writes lib/numfmt-table.h, the constant tables behind
 * feat_fmt_double (lib/numfmt.c).
 *
 * The shortest-double formatter multiplies a binary mantissa by 2^e2/10^q or
 * 10^-e10 and needs those powers of five to 125 significant bits.  Computing
 * them takes big-integer arithmetic, which has no place in the library, so
 * this program does it once and the output is committed as source.  It also
 * checks, with exact big integers, every shortcut lib/numfmt.c takes on top of
 * the tables (the multiply-and-shift logarithms, the index and shift ranges),
 * and writes nothing if one of them fails.
 *
 * Regenerate with:
 *
 *	cc -O2 -o gen-numfmt-table scripts/gen-numfmt-table.c
 *	./gen-numfmt-table > lib/numfmt-table.h
 *
 * The output depends on nothing but this file, so regenerating it yields the
 * committed header byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Significant bits kept per power of five.  Ryu's error analysis (Adams 2018,
 * with the later tightening in ulfjack/ryu issue 119) shows that 121 bits for
 * 5^i and 122 for 2^k/5^q already make every truncated product floor to the
 * exact quotient for all 55-bit multiplicands; 125 leaves a margin and still
 * fits an entry into two 64-bit words.
 */
#define POW5_BITS 125

/* Double-precision layout, with the two extra bits of headroom for bounds. */
#define MANT_BITS 52
#define EXP_BIAS 1023
#define E2_MIN (1 - EXP_BIAS - MANT_BITS - 2)		/* -1076 */
#define E2_MAX (2046 - EXP_BIAS - MANT_BITS - 2)	/* 969 */

/* The logarithms lib/numfmt.c uses, as emitted text and as code to check. */
#define LOG10_POW2_TEXT "((uint32_t)(e) * 78913u >> 18)"
#define LOG10_POW5_TEXT "((uint32_t)(e) * 732923u >> 20)"
#define POW5_BITLEN_TEXT "(((uint32_t)(e) * 1217359u >> 19) + 1)"
static int log10_pow2(int e) { return (int)((uint32_t)e * 78913u >> 18); }
static int log10_pow5(int e) { return (int)((uint32_t)e * 732923u >> 20); }
static int pow5_bitlen(int e) { return (int)(((uint32_t)e * 1217359u >> 19) + 1); }

/* Range over which the logarithms are checked; wider than any use. */
#define LOG_CHECK_MAX 1200

/* ---- a minimal unsigned big integer: 32-bit limbs, little-endian ---------- */
#define LIMBS 96	/* 3072 bits; the largest value needed, 5^1200, is under 2^2787 */

struct big {
	uint32_t w[LIMBS];
};

static void
die(const char *msg)
{
	fprintf(stderr, "gen-numfmt-table: %s\n", msg);
	exit(1);
}

static void
big_set(struct big *a, uint32_t v)
{
	memset(a, 0, sizeof *a);
	a->w[0] = v;
}

static void
big_mul_small(struct big *a, uint32_t m)
{
	uint64_t carry = 0;

	for (int i = 0; i < LIMBS; i++) {
		uint64_t t = (uint64_t)a->w[i] * m + carry;
		a->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry)
		die("big integer overflow");
}

static int
big_bitlen(const struct big *a)
{
	for (int i = LIMBS - 1; i >= 0; i--)
		if (a->w[i])
			return i * 32 + 32 - __builtin_clz(a->w[i]);
	return 0;
}

static int
big_bit(const struct big *a, int n)
{
	return (int)(a->w[n / 32] >> (n % 32) & 1);
}

static void
big_set_bit(struct big *a, int n)
{
	a->w[n / 32] |= (uint32_t)1 << (n % 32);
}

static int
big_cmp(const struct big *a, const struct big *b)
{
	for (int i = LIMBS - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

static void
big_sub(struct big *a, const struct big *b)	/* a -= b, needs a >= b */
{
	uint64_t borrow = 0;

	for (int i = 0; i < LIMBS; i++) {
		uint64_t t = (uint64_t)a->w[i] - b->w[i] - borrow;
		a->w[i] = (uint32_t)t;
		borrow = t >> 63;
	}
}

static void
big_shl1(struct big *a)
{
	if (a->w[LIMBS - 1] >> 31)
		die("big integer overflow");
	for (int i = LIMBS - 1; i > 0; i--)
		a->w[i] = a->w[i] << 1 | a->w[i - 1] >> 31;
	a->w[0] <<= 1;
}

/* Bits [from, from + 128) of a, as two words. */
static void
big_window(const struct big *a, int from, uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = 0;
	for (int i = 0; i < 128; i++) {
		int n = from + i;
		uint64_t b = n >= 0 && n < LIMBS * 32 ? (uint64_t)big_bit(a, n) : 0;
		if (i < 64)
			*lo |= b << i;
		else
			*hi |= b << (i - 64);
	}
}

/* floor(2^n / d) by binary long division; the quotient must fit 128 bits. */
static void
big_pow2_div(int n, const struct big *d, uint64_t *lo, uint64_t *hi)
{
	struct big r, quot;

	big_set(&r, 0);
	big_set(&quot, 0);
	for (int i = n; i >= 0; i--) {
		big_shl1(&r);
		if (i == n)
			r.w[0] |= 1;
		if (big_cmp(&r, d) >= 0) {
			big_sub(&r, d);
			if (i >= 128)
				die("quotient wider than 128 bits");
			big_set_bit(&quot, i);
		}
	}
	big_window(&quot, 0, lo, hi);
}

/* ---- checks ------------------------------------------------------------- */

/* Each logarithm shortcut against exact powers, for 0 <= e <= LOG_CHECK_MAX. */
static void
check_logs(void)
{
	struct big p2, p5;
	int d2 = 0, d5 = 0;	/* exact floor(log10(2^e)), floor(log10(5^e)) */
	struct big next2, next5;	/* 10^(d2+1), 10^(d5+1) */

	big_set(&p2, 1);
	big_set(&p5, 1);
	big_set(&next2, 10);
	big_set(&next5, 10);
	for (int e = 0; e <= LOG_CHECK_MAX; e++) {
		if (e > 0) {
			big_mul_small(&p2, 2);
			big_mul_small(&p5, 5);
		}
		while (big_cmp(&next2, &p2) <= 0) {
			d2++;
			big_mul_small(&next2, 10);
		}
		while (big_cmp(&next5, &p5) <= 0) {
			d5++;
			big_mul_small(&next5, 10);
		}
		if (log10_pow2(e) != d2)
			die("log10_pow2 shortcut is wrong");
		if (log10_pow5(e) != d5)
			die("log10_pow5 shortcut is wrong");
		if (pow5_bitlen(e) != big_bitlen(&p5))
			die("pow5_bitlen shortcut is wrong");
	}
}

/*
 * Walks every binary exponent a double can have (after the two-bit bound
 * headroom) through the same index arithmetic as lib/numfmt.c, and returns
 * the table sizes it needs; dies if a shift falls outside [64, 128), the
 * range the library's multiply-shift handles.
 */
static void
table_extent(int *n_inv, int *n_pow)
{
	*n_inv = *n_pow = 0;
	for (int e2 = E2_MIN; e2 <= E2_MAX; e2++) {
		int shift, idx;

		if (e2 >= 0) {
			int q = log10_pow2(e2) - (e2 > 3);
			idx = q;
			shift = q + (POW5_BITS - 1 + pow5_bitlen(q)) - e2;
			if (idx + 1 > *n_inv)
				*n_inv = idx + 1;
		} else {
			int q = log10_pow5(-e2) - (-e2 > 1);
			idx = -e2 - q;
			shift = q - (pow5_bitlen(idx) - POW5_BITS);
			if (idx + 1 > *n_pow)
				*n_pow = idx + 1;
		}
		if (shift < 64 || shift >= 128)
			die("multiply-shift amount out of range");
	}
}

/* ---- output ------------------------------------------------------------- */

int
main(void)
{
	int n_inv, n_pow;
	struct big p5;

	check_logs();
	table_extent(&n_inv, &n_pow);
	if (n_inv - 1 > LOG_CHECK_MAX || n_pow - 1 > LOG_CHECK_MAX)
		die("tables exceed the checked logarithm range");

	printf("/*\n"
	    " * numfmt-table.h - constant tables for lib/numfmt.c.\n"
	    " *\n"
	    " * GENERATED by scripts/gen-numfmt-table.c; do not edit.  The\n"
	    " * generator also checks the logarithm shortcuts below against exact\n"
	    " * big-integer powers for every exponent up to %d.\n"
	    " */\n"
	    "#ifndef NUMFMT_TABLE_H\n"
	    "#define NUMFMT_TABLE_H\n\n"
	    "#include <stdint.h>\n\n", LOG_CHECK_MAX);

	printf("/* Significant bits in each power-of-five entry. */\n"
	    "#define NUMFMT_POW5_BITS %d\n\n", POW5_BITS);
	printf("/* floor(log10(2^e)), floor(log10(5^e)), bit length of 5^e;"
	    " 0 <= e <= %d. */\n", LOG_CHECK_MAX);
	printf("#define NUMFMT_LOG10_POW2(e) %s\n", LOG10_POW2_TEXT);
	printf("#define NUMFMT_LOG10_POW5(e) %s\n", LOG10_POW5_TEXT);
	printf("#define NUMFMT_POW5_BITLEN(e) %s\n\n", POW5_BITLEN_TEXT);

	/* 2^k / 5^q rounded up, k = POW5_BITS - 1 + bitlen(5^q). */
	printf("/*\n"
	    " * numfmt_pow5_inv[q] = floor(2^k / 5^q) + 1 with\n"
	    " * k = NUMFMT_POW5_BITS - 1 + NUMFMT_POW5_BITLEN(q), as {low, high}\n"
	    " * 64-bit words.  Rounded up so that an exact quotient stays exact.\n"
	    " */\n"
	    "#define NUMFMT_POW5_INV_COUNT %d\n"
	    "static const uint64_t numfmt_pow5_inv[NUMFMT_POW5_INV_COUNT][2] = {\n",
	    n_inv);
	big_set(&p5, 1);
	for (int q = 0; q < n_inv; q++) {
		uint64_t lo, hi;
		int k;

		if (q > 0)
			big_mul_small(&p5, 5);
		k = POW5_BITS - 1 + big_bitlen(&p5);
		big_pow2_div(k, &p5, &lo, &hi);
		lo++;
		if (lo == 0)
			hi++;
		printf("\t{ 0x%016llxu, 0x%016llxu },\n",
		    (unsigned long long)lo, (unsigned long long)hi);
	}
	printf("};\n\n");

	printf("/*\n"
	    " * numfmt_pow5[i] = the top NUMFMT_POW5_BITS bits of 5^i (exact,\n"
	    " * shifted up, while 5^i is shorter), as {low, high} 64-bit words:\n"
	    " * 5^i = numfmt_pow5[i] * 2^(NUMFMT_POW5_BITLEN(i) - NUMFMT_POW5_BITS).\n"
	    " */\n"
	    "#define NUMFMT_POW5_COUNT %d\n"
	    "static const uint64_t numfmt_pow5[NUMFMT_POW5_COUNT][2] = {\n", n_pow);
	big_set(&p5, 1);
	for (int i = 0; i < n_pow; i++) {
		uint64_t lo, hi;

		if (i > 0)
			big_mul_small(&p5, 5);
		big_window(&p5, big_bitlen(&p5) - POW5_BITS, &lo, &hi);
		printf("\t{ 0x%016llxu, 0x%016llxu },\n",
		    (unsigned long long)lo, (unsigned long long)hi);
	}
	printf("};\n\n");

	printf("/* \"00\" \"01\" ... \"99\": two digits per division by 100. */\n"
	    "static const char numfmt_digit_pairs[200] =");
	for (int i = 0; i < 100; i++)
		printf("%s\"%02d\"", i % 10 == 0 ? "\n\t" : "", i);
	printf(";\n\n#endif /* NUMFMT_TABLE_H */\n");

	if (fflush(stdout) != 0 || ferror(stdout))
		die("write error");
	return 0;
}
