/*
 * numfmt.c - feat_fmt_double: the shortest decimal text that reads back to
 * the same double, laid out as ECMAScript's Number#toString lays it out.
 *
 * Every number the tools write into JSON passes through here, so the text
 * must be exact (strtod returns the same bits), as short as possible (0.3,
 * never 0.29999999999999999), identical in every locale, and cheap enough for
 * millions of values.  The digits come from the method of Ryu (Ulf Adams,
 * "Ryu: fast float-to-string conversion", PLDI 2018): scale the value and the
 * midpoints to its two neighbours by one power of ten with 125-bit tables and
 * integer arithmetic, then drop decimal digits while the interval between
 * the midpoints still holds a number with fewer digits.  The tables live in
 * numfmt-table.h, written and checked by scripts/gen-numfmt-table.c.
 */
#include <stdint.h>
#include <string.h>

#include "feat.h"
#include "numfmt-table.h"

__extension__ typedef unsigned __int128 u128;

/* IEEE 754 binary64 fields. */
#define MANT_BITS 52
#define EXP_BIAS 1023
#define EXP_SPECIAL 0x7ff

/* Number#toString switches to exponent form outside 1e-7 < |v| < 1e21. */
#define MAX_FIXED_POINT 21
#define MIN_FIXED_POINT (-6)

/* A finite non-zero magnitude as digits * 10^exp10. */
struct decimal {
	uint64_t digits;
	int exp10;
};

/*
 * floor(m * t / 2^shift) for a table entry t = {low, high} and
 * 64 <= shift < 128 (the generator checks the range).  Dropping the low half
 * of the first partial product loses nothing, because
 * floor(floor(x / 2^64) / 2^(shift - 64)) = floor(x / 2^shift): the result is
 * the exact floor of the product, which Ryu's error analysis needs.
 */
static inline uint64_t
mul_shift(uint64_t m, const uint64_t t[2], int shift)
{
	u128 low = (u128)m * t[0];
	u128 high = (u128)m * t[1];

	return (uint64_t)(((low >> 64) + high) >> (shift - 64));
}

/* Whether 5^p divides x (x > 0). */
static inline int
pow5_divides(uint64_t x, int p)
{
	for (; p > 0; p--) {
		if (x % 5 != 0)
			return 0;
		x /= 5;
	}
	return 1;
}

/* Whether 2^p divides x (x > 0). */
static inline int
pow2_divides(uint64_t x, int p)
{
	return p < 64 && (x & ((UINT64_C(1) << p) - 1)) == 0;
}

/*
 * The shortest digits for a finite non-zero magnitude given by its raw
 * mantissa and biased exponent fields.
 */
static struct decimal
shortest(uint64_t mant, int bexp)
{
	uint64_t m2, mv, mp, mm, vr, vp, vm, out;
	int e2, e10, inclusive, vr_exact, vp_exact, vm_exact, removed;

	if (bexp == 0) {
		m2 = mant;
		e2 = 1 - EXP_BIAS - MANT_BITS - 2;
	} else {
		m2 = mant | UINT64_C(1) << MANT_BITS;
		e2 = bexp - EXP_BIAS - MANT_BITS - 2;
	}
	/*
	 * In quarter units (hence the -2 above) the value and the midpoints
	 * to both neighbours are integers: mv, mp, mm times 2^e2.  The gap
	 * below is half as wide at the bottom of a binade, except below the
	 * smallest normal, whose lower neighbour is a subnormal at the same
	 * spacing.  strtod rounds a midpoint to the even mantissa, so the
	 * midpoints belong to this value exactly when its mantissa is even.
	 */
	mv = m2 << 2;
	mp = mv + 2;
	mm = mv - 1 - (mant != 0 || bexp <= 1);
	inclusive = (m2 & 1) == 0;

	if (e2 >= 0) {
		/*
		 * Scale by 2^e2 / 10^q.  q sits one below floor(log10 2^e2),
		 * so the interval spans at least 30 units and at least one
		 * digit is always dropped: that digit rounds the result.  For
		 * e2 <= 3, q = 0 and the scaled value is an exact integer.
		 */
		int q = (int)NUMFMT_LOG10_POW2(e2) - (e2 > 3);
		int shift = q + NUMFMT_POW5_BITS - 1 +
		    (int)NUMFMT_POW5_BITLEN(q) - e2;
		const uint64_t *t = numfmt_pow5_inv[q];

		e10 = q;
		vr = mul_shift(mv, t, shift);
		vp = mul_shift(mp, t, shift);
		vm = mul_shift(mm, t, shift);
		/*
		 * x * 2^e2 / 10^q is an integer iff 5^q divides x (e2 >= q),
		 * which no x below 2^56 < 5^24 allows for q >= 24.
		 */
		vr_exact = vp_exact = vm_exact = 0;
		if (q < 24) {
			vr_exact = pow5_divides(mv, q);
			vp_exact = pow5_divides(mp, q);
			vm_exact = pow5_divides(mm, q);
		}
	} else {
		/* Scale by 10^-e10 = 5^i * 2^-q with the same margin. */
		int q = (int)NUMFMT_LOG10_POW5(-e2) - (-e2 > 1);
		int i = -e2 - q;
		int shift = q - ((int)NUMFMT_POW5_BITLEN(i) - NUMFMT_POW5_BITS);
		const uint64_t *t = numfmt_pow5[i];

		e10 = q + e2;
		vr = mul_shift(mv, t, shift);
		vp = mul_shift(mp, t, shift);
		vm = mul_shift(mm, t, shift);
		/* x * 5^i / 2^q is an integer iff 2^q divides x. */
		vr_exact = pow2_divides(mv, q);
		vp_exact = pow2_divides(mp, q);
		vm_exact = pow2_divides(mm, q);
	}

	/*
	 * vr, vp, vm are floors, and the candidates at each level are the
	 * integers in the interval.  Floors already exclude an exact lower
	 * midpoint (vr == vm rounds up below) and admit an upper one; an
	 * exact upper midpoint that is excluded costs vp one, and an exact
	 * lower one that is included is tracked in vm_zeros.
	 */
	if (vp_exact && !inclusive)
		vp--;
	removed = 0;
	if (!(vm_exact && inclusive) && !vr_exact) {
		/*
		 * The usual case: the value is not on a decimal of this
		 * level, so the first dropped digit alone decides rounding
		 * (a dropped 5 always has something non-zero after it).
		 */
		int round_up = 0;

		if (vp / 100 > vm / 100) {
			round_up = vr % 100 >= 50;
			vr /= 100;
			vp /= 100;
			vm /= 100;
			removed += 2;
		}
		while (vp / 10 > vm / 10) {
			round_up = vr % 10 >= 5;
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		out = vr + (vr == vm || round_up);
	} else {
		/*
		 * Rare: the value or an included lower midpoint sits on a
		 * decimal of this level, so track whether the dropped digits
		 * were all zero - for an exact tie (round half to even) and
		 * for a lower midpoint that may itself be the shortest text.
		 */
		int vm_zeros = vm_exact && inclusive, vr_zeros = vr_exact;
		unsigned last = 0;

		while (vp / 10 > vm / 10) {
			vm_zeros &= vm % 10 == 0;
			vr_zeros &= last == 0;
			last = (unsigned)(vr % 10);
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		if (vm_zeros) {
			while (vm % 10 == 0) {
				vr_zeros &= last == 0;
				last = (unsigned)(vr % 10);
				vr /= 10;
				vp /= 10;
				vm /= 10;
				removed++;
			}
		}
		if (vr_zeros && last == 5 && vr % 2 == 0)
			last = 4;
		out = vr + ((vr == vm && !vm_zeros) || last >= 5);
	}
	return (struct decimal){ out, e10 + removed };
}

/*
 * Integers in [1, 2^53) are their own shortest text: the neighbours are at
 * most 1 away, so nothing with fewer significant digits reads back to them.
 * A cheap path for the counts and ids common in real data.
 */
static int
small_integer(uint64_t mant, int bexp, struct decimal *d)
{
	int shift = EXP_BIAS + MANT_BITS - bexp;
	uint64_t m2 = mant | UINT64_C(1) << MANT_BITS;
	uint64_t n;
	int e = 0;

	if (shift < 0 || shift > MANT_BITS)
		return 0;
	if ((m2 & ((UINT64_C(1) << shift) - 1)) != 0)
		return 0;
	n = m2 >> shift;
	while (n % 10 == 0) {
		n /= 10;
		e++;
	}
	d->digits = n;
	d->exp10 = e;
	return 1;
}

/* Writes the digits of v so that they end just before end; returns the count. */
static int
put_digits(char *end, uint64_t v)
{
	char *p = end;
	uint32_t w;

	/* Peel 8 digits at a time so the inner loop runs on 32-bit words. */
	while (v >= 100000000) {
		uint32_t r = (uint32_t)(v % 100000000);

		v /= 100000000;
		for (int i = 0; i < 4; i++) {
			p -= 2;
			memcpy(p, numfmt_digit_pairs + 2 * (r % 100), 2);
			r /= 100;
		}
	}
	w = (uint32_t)v;
	while (w >= 100) {
		p -= 2;
		memcpy(p, numfmt_digit_pairs + 2 * (w % 100), 2);
		w /= 100;
	}
	if (w >= 10) {
		p -= 2;
		memcpy(p, numfmt_digit_pairs + 2 * w, 2);
	} else {
		*--p = (char)('0' + w);
	}
	return (int)(end - p);
}

/*
 * Lays out d as Number#toString does and returns the length written (no
 * NUL).  With n digits and value 0.d1...dn * 10^point: an integer while
 * n <= point <= 21, a point inside the digits while 0 < point <= 21,
 * "0.000ddd" while -6 < point <= 0, and d1.d2...dne+-X beyond.
 */
static size_t
layout(char *out, struct decimal d)
{
	char tmp[20];	/* any uint64_t */
	char *end = tmp + sizeof tmp;
	int n = put_digits(end, d.digits);
	const char *dig = end - n;
	int point = n + d.exp10;
	char *p = out;

	if (n <= point && point <= MAX_FIXED_POINT) {
		memcpy(p, dig, (size_t)n);
		p += n;
		memset(p, '0', (size_t)(point - n));
		p += point - n;
	} else if (0 < point && point <= MAX_FIXED_POINT) {
		memcpy(p, dig, (size_t)point);
		p += point;
		*p++ = '.';
		memcpy(p, dig + point, (size_t)(n - point));
		p += n - point;
	} else if (MIN_FIXED_POINT < point && point <= 0) {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)-point);
		p += -point;
		memcpy(p, dig, (size_t)n);
		p += n;
	} else {
		int e = point - 1;

		*p++ = dig[0];
		if (n > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)(n - 1));
			p += n - 1;
		}
		*p++ = 'e';
		*p++ = e < 0 ? '-' : '+';
		if (e < 0)
			e = -e;
		if (e >= 100) {
			*p++ = (char)('0' + e / 100);
			e %= 100;
			memcpy(p, numfmt_digit_pairs + 2 * e, 2);
			p += 2;
		} else if (e >= 10) {
			memcpy(p, numfmt_digit_pairs + 2 * e, 2);
			p += 2;
		} else {
			*p++ = (char)('0' + e);
		}
	}
	return (size_t)(p - out);
}

size_t
feat_fmt_double(double v, char *buf)
{
	uint64_t bits, mant;
	int bexp;
	struct decimal d;
	char *p = buf;

	memcpy(&bits, &v, sizeof bits);
	mant = bits & ((UINT64_C(1) << MANT_BITS) - 1);
	bexp = (int)(bits >> MANT_BITS & EXP_SPECIAL);
	if (bexp == EXP_SPECIAL) {
		/* NaN and infinities have no JSON number text. */
		buf[0] = '\0';
		return 0;
	}
	if (bits >> 63)
		*p++ = '-';
	if (bexp == 0 && mant == 0) {
		*p++ = '0';
	} else {
		if (!small_integer(mant, bexp, &d))
			d = shortest(mant, bexp);
		p += layout(p, d);
	}
	*p = '\0';
	return (size_t)(p - buf);
}
