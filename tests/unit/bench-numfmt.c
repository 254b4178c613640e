/*
 * bench-numfmt.c - how fast feat_fmt_double is next to the obvious way of
 * getting the shortest round-trip text: snprintf "%.15g", "%.16g", "%.17g"
 * until strtod reads the value back.
 *
 * Both format the same random doubles (random 64-bit patterns from a seeded
 * splitmix64, NaN and infinities skipped, as in test-numfmt), generated
 * before the clock starts.  Output, one line each, for scripts to parse:
 *
 *	feat_fmt_double: 41.2 ns/double
 *	printf-loop: 702.1 ns/double
 *	ratio: 17.0
 *
 * where ratio is the printf-loop time over the feat_fmt_double time.
 *
 * Usage: bench-numfmt [COUNT [SEED]]  (default 10000000 doubles).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feat.h"

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The baseline: fewest of 15, 16, 17 significant digits that read back. */
static size_t
printf_shortest(double v, char *buf)
{
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, FEAT_DOUBLE_BUFSZ, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return (size_t)n;
}

/* Keeps the compiler from discarding the formatted text. */
static volatile size_t sink;

static double
time_per_double(size_t (*fmt)(double, char *), const double *v, size_t n)
{
	char buf[FEAT_DOUBLE_BUFSZ];
	size_t total = 0;
	double start;

	/* A short warm-up, so that neither side pays for cold caches. */
	for (size_t i = 0; i < n && i < 100000; i++)
		total += fmt(v[i], buf);
	start = now();
	for (size_t i = 0; i < n; i++)
		total += fmt(v[i], buf);
	sink = total;
	return (now() - start) * 1e9 / (double)n;
}

int
main(int argc, char **argv)
{
	size_t count = 10000000;
	double *values, fast, slow;

	rng_state = UINT64_C(0x6665617431);	/* "feat1", as in test-numfmt */
	if (argc > 1)
		count = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		rng_state = strtoull(argv[2], NULL, 0);
	if (count == 0)
		count = 1;
	values = malloc(count * sizeof *values);
	if (values == NULL) {
		fprintf(stderr, "bench-numfmt: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < count; i++) {
		uint64_t bits;

		do {
			bits = rng_next();
			memcpy(&values[i], &bits, sizeof bits);
		} while (!isfinite(values[i]));
	}

	fast = time_per_double(feat_fmt_double, values, count);
	slow = time_per_double(printf_shortest, values, count);
	printf("feat_fmt_double: %.1f ns/double\n", fast);
	printf("printf-loop: %.1f ns/double\n", slow);
	printf("ratio: %.1f\n", slow / fast);
	free(values);
	return 0;
}
