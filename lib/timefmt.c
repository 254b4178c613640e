/*
 * timefmt.c - reading and writing timestamps as int64 nanoseconds UTC.
 *
 * Every tool reads an event time on every line, so the parsers here are on
 * the hot path: they walk the bytes once, never allocate, and never consult
 * the C library's time zone or locale machinery (timegm, mktime, strptime,
 * TZ), whose results depend on the environment and which are slow.  Calendar
 * arithmetic is the proleptic Gregorian days-from-civil algorithm of
 * H. Hinnant ("chrono-Compatible Low-Level Date Algorithms").  Numeric epoch
 * times are read exactly from their decimal text, never through a double, so
 * "1700000000.123" is 1700000000123000000 ns and not a neighbour of it.
 *
 * The representable range is that of int64 nanoseconds whose
 * millisecond-floored form reads back (FEAT_TIME_MIN, feat.h):
 * 1677-09-21T00:12:43.146Z to 2262-04-11T23:47:16.854775807Z; anything
 * outside is invalid rather than clamped or wrapped, so whatever feat
 * writes it can read.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
/* clock_gettime is POSIX, not C11: keep it visible under -std=c11 too. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feat-private.h"

#define NS_PER_S FEAT_NS_PER_S
#define NS_PER_MS FEAT_NS_PER_MS
#define MS_PER_DAY (FEAT_NS_PER_DAY / FEAT_NS_PER_MS)

static const uint32_t pow10_u32[10] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000
};

/* Is c an ASCII digit?  Not isdigit(): that one follows the locale. */
static inline int
is_digit(unsigned char c)
{
	return (unsigned char)(c - '0') <= 9;
}

/* Two digits at p, or -1 when either is not a digit. */
static inline int
two_digits(const unsigned char *p)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static inline int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int
days_in_month(int64_t y, int m)
{
	static const unsigned char mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date.  The year is shifted
 * to start in March so that the leap day falls at the end of it; the era
 * split keeps the divisions exact for negative years too.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/*
 * The two above for the other files of libfeat (feat-private.h).  They stay
 * static here so that the parsers keep them inlined: an exported function
 * is not inlined under -fPIC, where it might be interposed.
 */
int64_t
ft_days_from_civil(int64_t y, int m, int d)
{
	return days_from_civil(y, m, d);
}

void
ft_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	civil_from_days(z, y, m, d);
}

/*
 * secs * 10^9 + frac (0 <= frac < 10^9) without an intermediate overflow:
 * near the lower bound secs * 10^9 alone is below INT64_MIN although the
 * sum is not (INT64_MIN itself is -9223372037 s + 145224192 ns).
 */
static int
combine_ns(int64_t secs, int64_t frac, int64_t *ns)
{
	int64_t t;

	if (secs < 0) {
		secs += 1;
		frac -= NS_PER_S;
	}
	if (__builtin_mul_overflow(secs, NS_PER_S, &t) ||
	    __builtin_add_overflow(t, frac, &t) || t < FEAT_TIME_MIN)
		return -1;
	*ns = t;
	return 0;
}

/*
 * Layout: YYYY-MM-DD?HH:MM:SS[.f{1,9}][Z|±HH:MM|±HHMM], ? one of "T t ".
 * Second 60 is rejected: a leap second has no int64-ns representation that
 * both sorts correctly and formats back to itself, and no log source we read
 * emits one; rejecting it reports the line instead of shifting it silently.
 */
int
feat_time_parse(const char *str, size_t len, int64_t *ns)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *end, *p;
	int64_t year, days, secs, frac = 0;
	int mon, day, hh, mm, ss, c1, c2, off = 0;

	if (len < 19)
		return -1;
	end = s + len;
	if (!is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) ||
	    !is_digit(s[3]) || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	mon = two_digits(s + 5);
	day = two_digits(s + 8);
	hh = two_digits(s + 11);
	mm = two_digits(s + 14);
	ss = two_digits(s + 17);
	/* A -1 from two_digits fails these range checks too. */
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
		return -1;

	p = s + 19;
	if (p < end && *p == '.') {
		const unsigned char *f = ++p;

		while (p < end && is_digit(*p) && p - f < 10)
			frac = frac * 10 + (*p++ - '0');
		/* No digits, or a tenth one: more precision than we hold. */
		if (p == f || p - f > 9)
			return -1;
		frac *= pow10_u32[9 - (p - f)];
	}

	if (p < end) {
		int sign;

		if ((*p == 'Z' || *p == 'z') && end - p == 1)
			goto done;
		if (*p == '+')
			sign = 1;
		else if (*p == '-')
			sign = -1;
		else
			return -1;
		if (end - p == 6 && p[3] == ':') {
			c1 = two_digits(p + 1);
			c2 = two_digits(p + 4);
		} else if (end - p == 5) {
			c1 = two_digits(p + 1);
			c2 = two_digits(p + 3);
		} else
			return -1;
		if (c1 < 0 || c1 > 23 || c2 < 0 || c2 > 59)
			return -1;
		off = sign * (c1 * 3600 + c2 * 60);
	}
done:
	days = days_from_civil(year, mon, day);
	secs = days * 86400 + hh * 3600 + mm * 60 + ss - off;
	return combine_ns(secs, frac, ns);
}

/*
 * Grammar: -?D+(.D+)?([eE][+-]?D+)?  The digits before and after the point
 * form one digit string m; the value in ns is m * 10^k with
 * k = exponent - (digits after the point) + (9 - unit).  After skipping m's
 * leading zeros, its first n + k digits are the integer result and any
 * nonzero digit after them is a remainder that pulls a negative value one
 * nanosecond down (floor).  Leading zeros ("007") are accepted although JSON
 * forbids them: a *UnixNano digit string is not JSON and zero-padding it
 * changes nothing.
 */
int
feat_time_parse_epoch(const char *str, size_t len, enum feat_time_unit unit,
    int64_t *ns)
{
	/* Far beyond any meaningful shift; keeps k's arithmetic in range. */
	const int64_t exp_cap = INT64_C(1) << 40;
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *end, *p = s, *ib, *ie, *fb = NULL, *fe = NULL;
	int neg = 0, eneg = 0, rem = 0;
	int64_t exp = 0, k, n, nint, nfrac, ndig, i, take;
	uint64_t u = 0, lim;

	if (unit != FEAT_TIME_S && unit != FEAT_TIME_MS &&
	    unit != FEAT_TIME_US && unit != FEAT_TIME_NS)
		return -1;
	if (len == 0)		/* also spares NULL + 0, undefined in C */
		return -1;
	end = s + len;
	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	ib = p;
	while (p < end && is_digit(*p))
		p++;
	ie = p;
	if (ie == ib)
		return -1;
	if (p < end && *p == '.') {
		fb = ++p;
		while (p < end && is_digit(*p))
			p++;
		fe = p;
		if (fe == fb)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		const unsigned char *eb;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		eb = p;
		while (p < end && is_digit(*p)) {
			if (exp < exp_cap)
				exp = exp * 10 + (*p - '0');
			p++;
		}
		if (p == eb)
			return -1;
		if (eneg)
			exp = -exp;
	}
	if (p != end)
		return -1;

	nint = ie - ib;
	nfrac = fb != NULL ? fe - fb : 0;
	ndig = nint + nfrac;
	/* Skip leading zeros across the point; i indexes both parts as one. */
#define DIGIT(i) ((i) < nint ? ib[(i)] : fb[(i) - nint])
	for (i = 0; i < ndig && DIGIT(i) == '0'; i++)
		continue;
	if (i == ndig) {
		*ns = 0;	/* zero, whatever its sign or exponent */
		return 0;
	}
	n = ndig - i;
	k = exp - nfrac + (9 - (int64_t)unit);
	/* The first digit is nonzero, so 20 integer digits is >= 10^19. */
	if (k >= 20 || n + k >= 20)
		return -1;
	if (n + k <= 0) {
		u = 0;
		rem = 1;
	} else {
		take = n + k < n ? n + k : n;
		for (; take > 0; take--, i++)
			u = u * 10 + (uint64_t)(DIGIT(i) - '0');
		for (take = k; take > 0; take--)
			u *= 10;
		if (neg)
			for (; i < ndig; i++)
				if (DIGIT(i) != '0') {
					rem = 1;
					break;
				}
	}
#undef DIGIT
	if (!neg) {
		if (u > (uint64_t)INT64_MAX)
			return -1;
		*ns = (int64_t)u;
		return 0;
	}
	u += (uint64_t)rem;	/* floor: -1.5 ns is -2 ns */
	lim = (uint64_t)-(FEAT_TIME_MIN);
	if (u > lim)
		return -1;
	*ns = -(int64_t)u;
	return 0;
}

static inline char *
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/*
 * Floors to the millisecond, toward -inf, so that an instant always
 * formats within the millisecond containing it (-1 ns is
 * 1969-12-31T23:59:59.999Z, not 1970-01-01T00:00:00.000Z).  Every int64
 * falls in years 1677..2262, so the year always has four digits.
 */
size_t
feat_time_format(int64_t ns, char *buf)
{
	int64_t ms, days, msday, y;
	int m, d, hh, mi, ss, frac;
	char *p = buf;

	ms = ns / NS_PER_MS;
	if (ns % NS_PER_MS < 0)
		ms--;
	days = ms / MS_PER_DAY;
	msday = ms % MS_PER_DAY;
	if (msday < 0) {
		msday += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	frac = (int)(msday % 1000);
	ss = (int)(msday / 1000 % 60);
	mi = (int)(msday / 60000 % 60);
	hh = (int)(msday / 3600000);

	p = put2(p, (int)(y / 100));
	p = put2(p, (int)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, hh);
	*p++ = ':';
	p = put2(p, mi);
	*p++ = ':';
	p = put2(p, ss);
	*p++ = '.';
	*p++ = (char)('0' + frac / 100);
	p = put2(p, frac % 100);
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}
