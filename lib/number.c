/*
 * number.c - numbers read from input text.  A numeric field may arrive as a
 * JSON number or as a string ("120", OTLP's intValue); either way feat
 * checks it is a finite decimal number and remembers whether its text can be
 * written back unchanged, so numbers pass through with their own digits.
 */
#include "feat-private.h"

#include <stdlib.h>
#include <string.h>
#include <math.h>

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* Matches JSON's number grammar over exactly [s, s+n). */
static int
json_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (isdig(s[i]))
		while (i < n && isdig(s[i]))
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		if (++i >= n || !isdig(s[i]))
			return 0;
		while (i < n && isdig(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !isdig(s[i]))
			return 0;
		while (i < n && isdig(s[i]))
			i++;
	}
	return i == n;
}

/* A plain decimal that is not JSON: "+5", "5.", ".5", "007". */
static int
loose_number(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < n && isdig(s[i]))
		i++, digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && isdig(s[i]))
			i++, digits++;
	}
	if (digits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !isdig(s[i]))
			return 0;
		while (i < n && isdig(s[i]))
			i++;
	}
	return i == n;
}

/*
 * Most numbers in logs are short decimals: up to 15 significant digits and
 * 22 fraction digits make m / 10^k exact in doubles (Clinger's fast path),
 * so strtod is needed only for the rest.  Returns 0 when it does not apply.
 */
static int
fast_decimal(const char *s, size_t n, double *d)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
		1e22
	};
	uint64_t m = 0;
	size_t i = 0;
	int neg = 0, digits = 0, frac = -1;

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (m == 0 && s[i] == '0') {
				if (frac >= 0)
					frac++;
				continue;	/* leading zeros are free */
			}
			if (++digits > 15)
				return 0;
			m = m * 10 + (uint64_t)(s[i] - '0');
			if (frac >= 0)
				frac++;
		} else if (s[i] == '.' && frac < 0)
			frac = 0;
		else
			return 0;	/* exponent or anything else */
	}
	if (frac > 22)
		return 0;
	*d = (double)m / pow10[frac > 0 ? frac : 0];
	if (neg)
		*d = -*d;
	return 1;
}

enum ft_num
ft_num_parse(const char *s, size_t n, double *d, const char **start,
    size_t *tlen, int *json_ok)
{
	char small[64], *tmp;
	double v;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*start = s;
	*tlen = n;
	*json_ok = json_number(s, n);
	if (!*json_ok && !loose_number(s, n))
		return FT_NUM_INVALID;
	if (fast_decimal(s, n, d))
		return FT_NUM_OK;
	/* strtod wants a terminated string; the tools never set a locale. */
	tmp = n < sizeof small ? small : feat_xmalloc(n + 1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	v = strtod(tmp, NULL);
	if (tmp != small)
		free(tmp);
	*d = v;
	return isfinite(v) ? FT_NUM_OK : FT_NUM_RANGE;
}
