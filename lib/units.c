/*
 * units.c - sizes and durations as users write them (SPEC 2): an integer
 * and a unit, "16M", "5m", "250ms", read and written in one place so that
 * every option, catalog attribute and message agrees on the syntax.
 *
 * Sizes are powers of 1024 (K, M, G); durations are ms, s, m, h, d.  Both
 * are non-negative integers: "-5m", "1.5h" and "5 m" are refused, as is
 * anything that overflows, never wrapped or clamped.
 */
#include "feat-private.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *unit;
	int64_t ns;
} dur_units[] = {
	/* Largest first: feat_format_duration takes the first that fits. */
	{ "d", FEAT_NS_PER_DAY }, { "h", FEAT_NS_PER_HOUR },
	{ "m", FEAT_NS_PER_MIN }, { "s", FEAT_NS_PER_S },
	{ "ms", FEAT_NS_PER_MS }
};
#define NDUR (sizeof dur_units / sizeof dur_units[0])

static const struct {
	char unit;
	int shift;
} size_units[] = {
	{ 'G', 30 }, { 'M', 20 }, { 'K', 10 }
};
#define NSIZE (sizeof size_units / sizeof size_units[0])

int
feat_parse_size(const char *s, size_t *out)
{
	unsigned long long v = 0;
	const char *p = s;
	int shift = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ULL - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p != '\0') {
		size_t i;

		for (i = 0; i < NSIZE; i++)
			if (*p == size_units[i].unit)
				break;
		if (i == NSIZE || p[1] != '\0')
			return -1;
		shift = size_units[i].shift;
	}
	if (v > (SIZE_MAX >> shift))
		return -1;
	*out = (size_t)(v << shift);
	return 0;
}

size_t
feat_format_size(size_t n, char *buf, size_t len)
{
	for (size_t i = 0; i < NSIZE; i++) {
		size_t unit = (size_t)1 << size_units[i].shift;

		if (n != 0 && n % unit == 0)
			return (size_t)snprintf(buf, len, "%zu%c", n / unit,
			    size_units[i].unit);
	}
	return (size_t)snprintf(buf, len, "%zu", n);
}

int
feat_parse_duration(const char *s, int64_t *ns)
{
	int64_t v = 0;
	const char *p = s;

	if (!(*p >= '0' && *p <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	for (size_t i = 0; i < NDUR; i++)
		if (strcmp(p, dur_units[i].unit) == 0) {
			if (v > INT64_MAX / dur_units[i].ns)
				return -1;
			*ns = v * dur_units[i].ns;
			return 0;
		}
	return -1;
}

size_t
feat_format_duration(int64_t ns, char *buf, size_t len)
{
	if (ns == 0)
		return (size_t)snprintf(buf, len, "0s");
	for (size_t i = 0; i < NDUR; i++)
		if (ns % dur_units[i].ns == 0)
			return (size_t)snprintf(buf, len, "%lld%s",
			    (long long)(ns / dur_units[i].ns),
			    dur_units[i].unit);
	return (size_t)snprintf(buf, len, "%lldns", (long long)ns);
}

int
feat_parse_duration_option(const char *name, const char *arg, int64_t min,
    int64_t max, const char *example, int64_t *ns, char *err, size_t errlen)
{
	char least[32], most[32];

	if (feat_parse_duration(arg, ns) == 0 && *ns >= min && *ns <= max)
		return 0;
	feat_format_duration(min, least, sizeof least);
	feat_format_duration(max, most, sizeof most);
	if (max < INT64_MAX)
		snprintf(err, errlen, "invalid --%s '%s': use a duration of "
		    "%s to %s, such as %s", name, arg, least, most, example);
	else if (min > 0)
		snprintf(err, errlen, "invalid --%s '%s': use a duration of at "
		    "least %s, such as %s", name, arg, least, example);
	else
		snprintf(err, errlen, "invalid --%s '%s': use a duration such "
		    "as %s", name, arg, example);
	return -1;
}

int
feat_parse_group_version(const char *s, int *v, char *err, size_t errlen)
{
	long n = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9' && n <= FEAT_GROUP_VERSION_MAX; p++)
		n = n * 10 + (*p - '0');
	if (p == s || *p != '\0' || n < 1 || n > FEAT_GROUP_VERSION_MAX) {
		snprintf(err, errlen, "invalid --group-version '%s': 1 to %d",
		    s, FEAT_GROUP_VERSION_MAX);
		return -1;
	}
	*v = (int)n;
	return 0;
}
