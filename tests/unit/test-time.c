/*
 * test-time.c - unit tests for lib/timefmt.c: RFC 3339 parsing, exact
 * epoch-number parsing, millisecond formatting and $FEAT_NOW.
 *
 * Expected values were computed independently (Python's calendar.timegm
 * and decimal.Decimal), not by this code.  Every input is copied into a
 * heap buffer of exactly its length with no NUL after it, so that a parser
 * reading past len trips AddressSanitizer.
 *
 * Build: gcc -Ilib tests/unit/test-time.c tests/unit/tap.c lib/timefmt.c
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feat.h"
#include "tap.h"

#define INVALID 1	/* marks a case that must be rejected */

/* One value of the open TAP point, naming its input. */
static void
check(int ok, const char *what, const char *input)
{
	tap_check(ok, "%s: '%s'", what, input);
}

/* A heap copy of s with no terminator, so overreads are caught. */
static char *
exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (p == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(p, s, len);
	return p;
}

static int
parse(const char *s, int64_t *ns)
{
	size_t len = strlen(s);
	char *p = exact_copy(s, len);
	int rc = feat_time_parse(p, len, ns);

	free(p);
	return rc;
}

static int
parse_epoch(const char *s, enum feat_time_unit unit, int64_t *ns)
{
	size_t len = strlen(s);
	char *p = exact_copy(s, len);
	int rc = feat_time_parse_epoch(p, len, unit, ns);

	free(p);
	return rc;
}

struct parse_case {
	const char *in;
	int invalid;
	int64_t ns;
};

static const struct parse_case parse_cases[] = {
	/* zones */
	{ "2024-11-16T18:15:46.680Z", 0, INT64_C(1731780946680000000) },
	{ "2024-11-16T18:15:46.680z", 0, INT64_C(1731780946680000000) },
	{ "2024-11-16T18:15:46.680+05:30", 0, INT64_C(1731761146680000000) },
	{ "2024-11-16T18:15:46.680-08:00", 0, INT64_C(1731809746680000000) },
	{ "2024-11-16T18:15:46+0000", 0, INT64_C(1731780946000000000) },
	{ "2024-11-16T18:15:46-0000", 0, INT64_C(1731780946000000000) },
	{ "2024-11-16T18:15:46+00:00", 0, INT64_C(1731780946000000000) },
	{ "2024-11-16T18:15:46.680+0530", 0, INT64_C(1731761146680000000) },
	{ "1970-01-01T00:00:00+23:59", 0, INT64_C(-86340000000000) },
	{ "1970-01-01T00:00:00-23:59", 0, INT64_C(86340000000000) },
	/* separators; no zone means UTC */
	{ "2024-11-16T18:15:46", 0, INT64_C(1731780946000000000) },
	{ "2024-11-16 18:15:46", 0, INT64_C(1731780946000000000) },
	{ "2024-11-16t18:15:46", 0, INT64_C(1731780946000000000) },
	{ "2024-11-16 18:15:46.680", 0, INT64_C(1731780946680000000) },
	{ "2024-11-16 18:15:46.680Z", 0, INT64_C(1731780946680000000) },
	{ "2000-02-29t00:00:00z", 0, INT64_C(951782400000000000) },
	/* fractions: 1 to 9 digits */
	{ "2024-11-16T18:15:46.1Z", 0, INT64_C(1731780946100000000) },
	{ "2024-11-16T18:15:46.123456789Z", 0, INT64_C(1731780946123456789) },
	{ "2024-11-16T18:15:46.000000001Z", 0, INT64_C(1731780946000000001) },
	{ "2023-11-16 18:15:46.6805900", 0, INT64_C(1700158546680590000) },
	{ "2024-11-16T18:15:46.1234567890Z", INVALID, 0 },
	{ "2024-11-16T18:15:46.1234567890", INVALID, 0 },
	{ "2024-11-16T18:15:46.", INVALID, 0 },
	{ "2024-11-16T18:15:46.Z", INVALID, 0 },
	/* calendar */
	{ "2024-02-29T12:00:00Z", 0, INT64_C(1709208000000000000) },
	{ "2000-02-29T00:00:00Z", 0, INT64_C(951782400000000000) },
	{ "2023-02-29T00:00:00Z", INVALID, 0 },
	{ "2023-02-30T00:00:00Z", INVALID, 0 },
	{ "1900-02-29T00:00:00Z", INVALID, 0 },
	{ "2024-04-31T00:00:00Z", INVALID, 0 },
	{ "2024-12-31T23:59:59Z", 0, INT64_C(1735689599000000000) },
	{ "2024-13-01T00:00:00Z", INVALID, 0 },
	{ "2024-00-01T00:00:00Z", INVALID, 0 },
	{ "2024-01-00T00:00:00Z", INVALID, 0 },
	{ "2024-01-32T00:00:00Z", INVALID, 0 },
	{ "2024-01-01T24:00:00Z", INVALID, 0 },
	{ "2024-01-01T00:60:00Z", INVALID, 0 },
	{ "2024-01-01T00:00:60Z", INVALID, 0 },	/* no leap seconds */
	{ "2016-12-31T23:59:60Z", INVALID, 0 },
	/* before 1970 */
	{ "1969-12-31T23:59:59.999Z", 0, INT64_C(-1000000) },
	{ "1969-12-31T23:59:59.999999999Z", 0, INT64_C(-1) },
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "1970-01-01T05:30:00+05:30", 0, 0 },
	{ "1900-01-01T00:00:00Z", 0, INT64_C(-2208988800000000000) },
	{ "1700-03-01T00:00:00Z", 0, INT64_C(-8515238400000000000) },
	/*
	 * The edges: int64 nanoseconds, less the first 0.854775808 ms, whose
	 * millisecond floor would format to text that cannot be read back
	 * (FEAT_TIME_MIN, feat.h).
	 */
	{ "1677-09-21T00:12:43.146Z", 0, FEAT_TIME_MIN },
	{ "1677-09-21T00:12:43.145999999Z", INVALID, 0 },
	{ "1677-09-21T00:12:43.145224192Z", INVALID, 0 },
	{ "1677-09-21T00:12:43.145224191Z", INVALID, 0 },
	{ "1677-09-21T00:12:43Z", INVALID, 0 },
	{ "1677-09-21T05:42:44+05:30", 0, INT64_C(-9223372036000000000) },
	{ "1677-09-20T23:59:59Z", INVALID, 0 },
	{ "2262-04-11T23:47:16.854775807Z", 0, INT64_MAX },
	{ "2262-04-11T23:47:16.854775808Z", INVALID, 0 },
	{ "2262-04-11T23:47:16.854775807-00:01", INVALID, 0 },
	{ "2263-01-01T00:00:00Z", INVALID, 0 },
	{ "9999-12-31T23:59:59Z", INVALID, 0 },
	{ "0000-01-01T00:00:00Z", INVALID, 0 },
	/* garbage and near misses */
	{ "", INVALID, 0 },
	{ "abc", INVALID, 0 },
	{ "2024-1-01T00:00:00Z", INVALID, 0 },
	{ "2024-01-1T00:00:00Z", INVALID, 0 },
	{ "24-01-01T00:00:00Z", INVALID, 0 },
	{ "+2024-01-01T00:00:00Z", INVALID, 0 },
	{ "12024-01-01T00:00:00Z", INVALID, 0 },
	{ "2024-01-01T00:00Z", INVALID, 0 },
	{ "2024-01-01", INVALID, 0 },
	{ "2024-01-01X00:00:00Z", INVALID, 0 },
	{ "2024/01/01T00:00:00Z", INVALID, 0 },
	{ "2024-01-01T00-00-00Z", INVALID, 0 },
	{ "2024-a1-01T00:00:00Z", INVALID, 0 },
	{ "2024-11-16T18:15:46.680Zjunk", INVALID, 0 },
	{ "2024-11-16T18:15:46.680ZZ", INVALID, 0 },
	{ "2024-11-16T18:15:46.680Z ", INVALID, 0 },
	{ " 2024-11-16T18:15:46.680Z", INVALID, 0 },
	{ "2024-11-16T18:15:46 ", INVALID, 0 },
	{ "2024-11-16T18:15:46.68a", INVALID, 0 },
	{ "2024-11-16T18:15:46,680Z", INVALID, 0 },
	{ "2024-11-16T18:15:46+05", INVALID, 0 },
	{ "2024-11-16T18:15:46+5:30", INVALID, 0 },
	{ "2024-11-16T18:15:46+05:3", INVALID, 0 },
	{ "2024-11-16T18:15:46+05-30", INVALID, 0 },
	{ "2024-11-16T18:15:46+24:00", INVALID, 0 },
	{ "2024-11-16T18:15:46+05:60", INVALID, 0 },
	{ "2024-11-16T18:15:46+05:30:00", INVALID, 0 },
	{ "2024-11-16T18:15:46 +05:30", INVALID, 0 },
	{ "2024-11-16T18:15:46UTC", INVALID, 0 },
	{ "2024-11-16T18:15:46+", INVALID, 0 },
};

struct epoch_case {
	const char *in;
	enum feat_time_unit unit;
	int invalid;
	int64_t ns;
};

static const struct epoch_case epoch_cases[] = {
	{ "1700000000.123", FEAT_TIME_S, 0, INT64_C(1700000000123000000) },
	{ "1700000000", FEAT_TIME_S, 0, INT64_C(1700000000000000000) },
	{ "1.7e9", FEAT_TIME_S, 0, INT64_C(1700000000000000000) },
	{ "17e8", FEAT_TIME_S, 0, INT64_C(1700000000000000000) },
	{ "1.7E+9", FEAT_TIME_S, 0, INT64_C(1700000000000000000) },
	{ "17000000000e-1", FEAT_TIME_S, 0, INT64_C(1700000000000000000) },
	{ "1700000000123", FEAT_TIME_MS, 0, INT64_C(1700000000123000000) },
	{ "1700000000123.4567", FEAT_TIME_MS, 0,
	    INT64_C(1700000000123456700) },
	{ "1700000000123456", FEAT_TIME_US, 0, INT64_C(1700000000123456000) },
	{ "1700000000123456.7", FEAT_TIME_US, 0,
	    INT64_C(1700000000123456700) },
	{ "1731780946680000000", FEAT_TIME_NS, 0,
	    INT64_C(1731780946680000000) },
	{ "0", FEAT_TIME_S, 0, 0 },
	{ "-0", FEAT_TIME_S, 0, 0 },
	{ "0.0e999999999999999999", FEAT_TIME_S, 0, 0 },
	{ "007", FEAT_TIME_NS, 0, 7 },
	/* below a nanosecond: floor, toward -inf for negatives */
	{ "1.5", FEAT_TIME_NS, 0, 1 },
	{ "-1.5", FEAT_TIME_NS, 0, -2 },
	{ "-1.5", FEAT_TIME_S, 0, INT64_C(-1500000000) },
	{ "-1.0", FEAT_TIME_NS, 0, -1 },
	{ "0.0000000001", FEAT_TIME_S, 0, 0 },
	{ "-0.0000000001", FEAT_TIME_S, 0, -1 },
	{ "-0.0000000010", FEAT_TIME_S, 0, -1 },
	{ "-0.0000000011", FEAT_TIME_S, 0, -2 },
	{ "1.999999999999", FEAT_TIME_S, 0, INT64_C(1999999999) },
	{ "-1.999999999999", FEAT_TIME_S, 0, INT64_C(-2000000000) },
	{ "1e-999999999999999999999", FEAT_TIME_S, 0, 0 },
	{ "-1e-999999999999999999999", FEAT_TIME_S, 0, -1 },
	{ "-0.001", FEAT_TIME_S, 0, INT64_C(-1000000) },
	/* the edges of int64 */
	{ "9223372036854775807", FEAT_TIME_NS, 0, INT64_MAX },
	{ "9223372036854775807.999", FEAT_TIME_NS, 0, INT64_MAX },
	{ "9223372036854775808", FEAT_TIME_NS, INVALID, 0 },
	{ "-9223372036854000000", FEAT_TIME_NS, 0, FEAT_TIME_MIN },
	{ "-9223372036854000000.0", FEAT_TIME_NS, 0, FEAT_TIME_MIN },
	{ "-9223372036854000000.1", FEAT_TIME_NS, INVALID, 0 },
	{ "-9223372036854000001", FEAT_TIME_NS, INVALID, 0 },
	{ "-9223372036854775808", FEAT_TIME_NS, INVALID, 0 },
	{ "-9223372036854775808.0", FEAT_TIME_NS, INVALID, 0 },
	{ "-9223372036854775808.1", FEAT_TIME_NS, INVALID, 0 },
	{ "-9223372036854775809", FEAT_TIME_NS, INVALID, 0 },
	{ "9223372036.854775807", FEAT_TIME_S, 0, INT64_MAX },
	{ "-9223372036.854", FEAT_TIME_S, 0, FEAT_TIME_MIN },
	{ "-9223372036.854775808", FEAT_TIME_S, INVALID, 0 },
	{ "-9223372036.8547758081", FEAT_TIME_S, INVALID, 0 },
	{ "9223372037", FEAT_TIME_S, INVALID, 0 },
	{ "99999999999999999999", FEAT_TIME_NS, INVALID, 0 },
	{ "18446744073709551616", FEAT_TIME_NS, INVALID, 0 },
	{ "1e30", FEAT_TIME_S, INVALID, 0 },
	{ "1e19", FEAT_TIME_NS, INVALID, 0 },
	{ "1e18", FEAT_TIME_NS, 0, INT64_C(1000000000000000000) },
	{ "1e999999999999999999999", FEAT_TIME_S, INVALID, 0 },
	{ "-1e999999999999999999999", FEAT_TIME_S, INVALID, 0 },
	/* not numbers */
	{ "", FEAT_TIME_S, INVALID, 0 },
	{ "-", FEAT_TIME_S, INVALID, 0 },
	{ ".", FEAT_TIME_S, INVALID, 0 },
	{ "1.", FEAT_TIME_S, INVALID, 0 },
	{ ".5", FEAT_TIME_S, INVALID, 0 },
	{ "-.5", FEAT_TIME_S, INVALID, 0 },
	{ "+1", FEAT_TIME_S, INVALID, 0 },
	{ "1e", FEAT_TIME_S, INVALID, 0 },
	{ "1e+", FEAT_TIME_S, INVALID, 0 },
	{ "1.e5", FEAT_TIME_S, INVALID, 0 },
	{ "--1", FEAT_TIME_S, INVALID, 0 },
	{ "abc", FEAT_TIME_S, INVALID, 0 },
	{ "0x10", FEAT_TIME_S, INVALID, 0 },
	{ " 1", FEAT_TIME_S, INVALID, 0 },
	{ "1 ", FEAT_TIME_S, INVALID, 0 },
	{ "1\n", FEAT_TIME_S, INVALID, 0 },
	{ "1.5.5", FEAT_TIME_S, INVALID, 0 },
	{ "1e5e5", FEAT_TIME_S, INVALID, 0 },
	{ "Infinity", FEAT_TIME_S, INVALID, 0 },
	{ "NaN", FEAT_TIME_S, INVALID, 0 },
};

struct format_case {
	int64_t ns;
	const char *out;
};

static const struct format_case format_cases[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 999999, "1970-01-01T00:00:00.000Z" },
	{ 1000000, "1970-01-01T00:00:00.001Z" },
	{ -1, "1969-12-31T23:59:59.999Z" },
	{ INT64_C(-1000000), "1969-12-31T23:59:59.999Z" },
	{ INT64_C(-1000001), "1969-12-31T23:59:59.998Z" },
	{ INT64_C(-86400000000000), "1969-12-31T00:00:00.000Z" },
	{ INT64_C(-86400000000001), "1969-12-30T23:59:59.999Z" },
	{ INT64_C(1731780946680000000), "2024-11-16T18:15:46.680Z" },
	{ INT64_C(1731780946680999999), "2024-11-16T18:15:46.680Z" },
	{ INT64_C(1709208000000000000), "2024-02-29T12:00:00.000Z" },
	{ INT64_C(951782400000000000), "2000-02-29T00:00:00.000Z" },
	{ INT64_C(-2208988800000000000), "1900-01-01T00:00:00.000Z" },
	{ INT64_C(-2203891200000000000), "1900-03-01T00:00:00.000Z" },
	{ INT64_MIN, "1677-09-21T00:12:43.145Z" },
	{ INT64_MAX, "2262-04-11T23:47:16.854Z" },
};

static void
test_parse(void)
{
	size_t i;
	int64_t ns;
	int rc;

	tap_begin("time-001", "RFC 3339 table: valid text parses to the exact "
	    "ns, invalid text is rejected");
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		ns = 12345;
		rc = parse(c->in, &ns);
		if (c->invalid)
			check(rc == -1, "parse should reject", c->in);
		else {
			check(rc == 0, "parse should accept", c->in);
			tap_check(rc != 0 || ns == c->ns, "parse value: '%s': "
			    "got %" PRId64 ", want %" PRId64, c->in, ns, c->ns);
		}
	}
	tap_end();
}

/* Only len bytes are read: what follows them is not the caller's string. */
static void
test_parse_len(void)
{
	const char *s = "2024-11-16T18:15:46.680Zjunk";
	int64_t ns = 0;

	tap_begin("time-002", "feat_time_parse reads only len bytes; NULL, 0 "
	    "is rejected");
	check(feat_time_parse(s, 24, &ns) == 0 &&
	    ns == INT64_C(1731780946680000000), "parse len 24", s);
	check(feat_time_parse(s, 21, &ns) == 0 &&
	    ns == INT64_C(1731780946600000000), "parse len 21 (.6)", s);
	check(feat_time_parse(s, 20, &ns) == -1, "parse len 20 (.)", s);
	check(feat_time_parse(s, 19, &ns) == 0 &&
	    ns == INT64_C(1731780946000000000), "parse len 19", s);
	check(feat_time_parse(s, 18, &ns) == -1, "parse len 18", s);
	check(feat_time_parse(s, 25, &ns) == -1, "parse len 25", s);
	check(feat_time_parse(NULL, 0, &ns) == -1, "parse NULL, 0", "");
	tap_end();

	tap_begin("time-003", "feat_time_parse_epoch reads only len bytes; "
	    "NULL, 0 is rejected");
	check(feat_time_parse_epoch("12345", 3, FEAT_TIME_NS, &ns) == 0 &&
	    ns == 123, "epoch len 3", "12345");
	check(feat_time_parse_epoch(NULL, 0, FEAT_TIME_NS, &ns) == -1,
	    "epoch NULL, 0", "");
	tap_end();
}

static void
test_epoch(void)
{
	size_t i;
	int64_t ns;
	int rc;

	tap_begin("time-004", "epoch table: exact decimal numbers in s, ms, us "
	    "and ns, floored to the ns, within int64; others rejected");
	for (i = 0; i < sizeof(epoch_cases) / sizeof(epoch_cases[0]); i++) {
		const struct epoch_case *c = &epoch_cases[i];

		ns = 12345;
		rc = parse_epoch(c->in, c->unit, &ns);
		if (c->invalid)
			check(rc == -1, "epoch should reject", c->in);
		else {
			check(rc == 0, "epoch should accept", c->in);
			tap_check(rc != 0 || ns == c->ns, "epoch value: '%s': "
			    "got %" PRId64 ", want %" PRId64, c->in, ns, c->ns);
		}
	}
	tap_end();
	tap_ok(parse_epoch("1", (enum feat_time_unit)2, &ns) == -1,
	    "time-005", "epoch parsing rejects an unknown unit");
}

static void
test_format(void)
{
	char buf[FEAT_TIME_BUFSZ];
	size_t i, n;

	tap_begin("time-006", "format table: 24 characters of UTC, floored to "
	    "the ms, over all of int64");
	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *c = &format_cases[i];

		memset(buf, 'x', sizeof(buf));
		n = feat_time_format(c->ns, buf);
		tap_check(n == 24 && strlen(buf) == 24 &&
		    strcmp(buf, c->out) == 0, "format of %" PRId64 ": got "
		    "'%.*s' (%zu), want '%s'", c->ns, (int)sizeof(buf), buf, n,
		    c->out);
	}
	tap_end();
}

/* The end-to-end stories of the spec: text in, canonical text out. */
static void
test_parse_then_format(void)
{
	static const struct {
		const char *in;
		int unit;	/* an epoch unit, or -1 for RFC 3339 */
		const char *out;
	} cases[] = {
		{ "2023-11-16 18:15:46.6805900", -1,
		    "2023-11-16T18:15:46.680Z" },
		{ "2024-11-16T23:45:46.680999+05:30", -1,
		    "2024-11-16T18:15:46.680Z" },
		{ "1969-12-31T23:59:59.999999999Z", -1,
		    "1969-12-31T23:59:59.999Z" },
		{ "1900-01-01 00:00:00", -1, "1900-01-01T00:00:00.000Z" },
		{ "1677-09-22T00:00:00Z", -1, "1677-09-22T00:00:00.000Z" },
		{ "1700000000.123", FEAT_TIME_S, "2023-11-14T22:13:20.123Z" },
		{ "1700000000123", FEAT_TIME_MS, "2023-11-14T22:13:20.123Z" },
		{ "1700000000123999", FEAT_TIME_US,
		    "2023-11-14T22:13:20.123Z" },
		{ "1731780946680000000", FEAT_TIME_NS,
		    "2024-11-16T18:15:46.680Z" },
		{ "-0.0005", FEAT_TIME_S, "1969-12-31T23:59:59.999Z" },
		{ "-1e-9", FEAT_TIME_S, "1969-12-31T23:59:59.999Z" },
		{ "-2208988800", FEAT_TIME_S, "1900-01-01T00:00:00.000Z" },
	};
	char buf[FEAT_TIME_BUFSZ];
	size_t i;
	int64_t ns;
	int rc;

	tap_begin("time-007", "parse then format gives the canonical text");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].unit < 0)
			rc = parse(cases[i].in, &ns);
		else
			rc = parse_epoch(cases[i].in,
			    (enum feat_time_unit)cases[i].unit, &ns);
		buf[0] = '\0';
		if (rc == 0)
			feat_time_format(ns, buf);
		tap_check(rc == 0 && strcmp(buf, cases[i].out) == 0,
		    "parse then format: '%s': rc %d, got '%s', want '%s'",
		    cases[i].in, rc, buf, cases[i].out);
	}
	tap_end();
}

/* xorshift64*: a fixed seed keeps failures reproducible. */
static uint64_t
rnd(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

/*
 * format then parse gives ns floored to the millisecond, over all of int64
 * except the first 0.854775808 ms: their floor lies below INT64_MIN, so
 * they are outside FEAT_TIME_MIN and the text they format to (…43.145Z)
 * is rejected.
 */
static void
test_round_trip(void)
{
	const int64_t lo = FEAT_TIME_MIN;	/* the first whole ms */
	uint64_t state = UINT64_C(0x9e3779b97f4a7c15);
	char buf[FEAT_TIME_BUFSZ];
	int64_t ns, want, got = 0;
	int i, rc;

	tap_begin("time-008", "format then parse floors to the ms over int64 "
	    "(1e6 random values)");
	for (i = 0; i < 1000000; i++) {
		ns = (int64_t)rnd(&state);
		if (i % 4 == 1)		/* near the epoch too */
			ns %= INT64_C(4000000000000000);
		if (ns < lo)
			continue;
		want = ns / 1000000 * 1000000;
		if (ns % 1000000 < 0)
			want -= 1000000;
		feat_time_format(ns, buf);
		rc = feat_time_parse(buf, strlen(buf), &got);
		tap_check(rc == 0 && got == want, "round trip of %" PRId64
		    ": '%s': rc %d, got %" PRId64 ", want %" PRId64, ns, buf,
		    rc, got, want);
	}
	tap_end();
	feat_time_format(lo, buf);
	tap_ok(feat_time_parse(buf, strlen(buf), &got) == 0 && got == lo,
	    "time-009", "the first whole ms of int64 round-trips (%s)", buf);
	feat_time_format(INT64_MIN, buf);
	tap_ok(feat_time_parse(buf, strlen(buf), &got) == -1, "time-010",
	    "INT64_MIN formats to a floor below the range (%s)", buf);
}

static void
test_now(void)
{
	char err[256];
	feat_clock *c;
	int64_t ns, t0;

	tap_begin("time-011", "FEAT_NOW fixes the clock to an RFC 3339 time, "
	    "read once");
	check(setenv("FEAT_NOW", "2024-11-16T18:15:46.680Z", 1) == 0,
	    "setenv", "FEAT_NOW");
	c = feat_clock_new(err, sizeof err);
	check(c != NULL && feat_clock_fixed(c) &&
	    feat_clock_now(c) == INT64_C(1731780946680000000),
	    "FEAT_NOW fixed", "2024-11-16T18:15:46.680Z");
	/* Changed later, it changes nothing: the clock read it once. */
	setenv("FEAT_NOW", "2030-01-01T00:00:00Z", 1);
	check(c != NULL && feat_clock_now(c) == INT64_C(1731780946680000000),
	    "FEAT_NOW read once", "2030-01-01T00:00:00Z");
	feat_clock_free(c);
	setenv("FEAT_NOW", "2024-11-16T23:45:46+05:30", 1);
	c = feat_clock_new(err, sizeof err);
	check(c != NULL && feat_clock_now(c) == INT64_C(1731780946000000000),
	    "FEAT_NOW with an offset", "2024-11-16T23:45:46+05:30");
	feat_clock_free(c);
	tap_end();

	tap_begin("time-012", "FEAT_NOW that is not RFC 3339 is an error");
	setenv("FEAT_NOW", "yesterday", 1);
	check(feat_clock_new(err, sizeof err) == NULL &&
	    strcmp(err, "invalid FEAT_NOW 'yesterday': use RFC 3339, such as "
	    "2024-11-17T00:00:00Z") == 0, "FEAT_NOW unparseable", err);
	setenv("FEAT_NOW", "1731780946", 1);
	check(feat_clock_new(err, sizeof err) == NULL, "FEAT_NOW is not epoch",
	    "1731780946");
	tap_end();

	/* Empty or unset: the system clock, after 2024 and before 2262. */
	tap_begin("time-013", "empty or unset FEAT_NOW uses the system clock");
	setenv("FEAT_NOW", "", 1);
	c = feat_clock_new(err, sizeof err);
	t0 = c ? feat_clock_now(c) : 0;
	check(c != NULL && !feat_clock_fixed(c) &&
	    t0 > INT64_C(1700000000000000000), "FEAT_NOW empty uses the clock",
	    "");
	feat_clock_free(c);
	unsetenv("FEAT_NOW");
	c = feat_clock_new(err, sizeof err);
	ns = c ? feat_clock_now(c) : 0;
	check(c != NULL && ns >= t0 && ns - t0 < INT64_C(60000000000),
	    "FEAT_NOW unset uses the clock", "");
	feat_clock_free(c);
	t0 = feat_clock_mono();
	check(feat_clock_mono() >= t0, "the monotonic clock", "");
	tap_end();
}

int
main(void)
{
	test_parse();
	test_parse_len();
	test_epoch();
	test_format();
	test_parse_then_format();
	test_round_trip();
	test_now();
	return tap_done();
}
