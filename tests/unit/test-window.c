/*
 * test-window.c - unit tests for feat-window's engine: lib/aggregate.c
 * (the aggregate syntax and names, percentiles, merging column states)
 * and lib/window.c (window assignment, the watermark, firing).
 *
 * The engine is driven the way feat-window drives it: lines through the
 * normaliser, events into the windower, records out of a writer on a
 * temporary file, read back with the record reader.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "window-private.h"
#include "tap.h"

#define MIN_NS (60 * (int64_t)1000000000)

/* ---- percentiles -------------------------------------------------------- */

static void
test_percentiles(void)
{
	double ten[10], one[1] = { 7 }, two[2] = { 1, 3 };
	static const struct {
		double p, want;
	} cases[] = {
		{ 50, 55 }, { 95, 95.5 }, { 99, 99.1 }, { 0, 10 }, { 100, 100 },
		{ 25, 32.5 }, { 99.9, 99.91 }, { 10, 19 },
	};

	for (int i = 0; i < 10; i++)
		ten[i] = 10 * (i + 1);
	tap_begin("window-001", "numpy-linear percentiles of 10, 20, ..., 100 "
	    "(p50 55, p95 95.5, p99 99.1, p0 10, p100 100), exactly");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = ft_percentile_sorted(ten, 10, cases[i].p);

		tap_check(got == cases[i].want || (cases[i].p == 99.9 &&
		    fabs(got - cases[i].want) < 1e-12), "p%g: got %.17g, want "
		    "%.17g", cases[i].p, got, cases[i].want);
	}
	tap_end();

	tap_begin("window-002", "one value is every percentile; two values "
	    "interpolate; none is NaN");
	tap_check(ft_percentile_sorted(one, 1, 0) == 7 &&
	    ft_percentile_sorted(one, 1, 50) == 7 &&
	    ft_percentile_sorted(one, 1, 100) == 7, "one value");
	tap_check(ft_percentile_sorted(two, 2, 0) == 1, "two: p0 %g",
	    ft_percentile_sorted(two, 2, 0));
	tap_check(ft_percentile_sorted(two, 2, 50) == 2, "two: p50 %g",
	    ft_percentile_sorted(two, 2, 50));
	tap_check(ft_percentile_sorted(two, 2, 75) == 2.5, "two: p75 %g",
	    ft_percentile_sorted(two, 2, 75));
	tap_check(ft_percentile_sorted(two, 2, 100) == 3, "two: p100 %g",
	    ft_percentile_sorted(two, 2, 100));
	tap_check(isnan(ft_percentile_sorted(two, 0, 50)), "none: not NaN");
	tap_end();
}

/* ---- the aggregate syntax ----------------------------------------------- */

static void
test_names(void)
{
	static const struct {
		const char *spec, *name;
		enum ft_aggfn fn;
		int nfields;
	} ok[] = {
		{ "p99.9(latency_ms)", "latency_ms_p99_9", AGG_PCT, 1 },
		{ "ratio(output_tokens,input_tokens)",
		    "output_tokens_per_input_tokens", AGG_RATIO, 2 },
		{ "ratio( output_tokens , input_tokens )",
		    "output_tokens_per_input_tokens", AGG_RATIO, 2 },
		{ "count()", "count", AGG_COUNT, 0 },
		{ "count(model)", "model_count", AGG_COUNT, 1 },
		{ "rate()", "rate", AGG_RATE, 0 },
		{ "p95(input_tokens)", "input_tokens_p95", AGG_PCT, 1 },
		{ "mean(usage.total_cost)", "usage_total_cost_mean", AGG_MEAN,
		    1 },
		{ "mean(latency_ms) as lat", "lat", AGG_MEAN, 1 },
		{ "stddev(latency_ms)", "latency_ms_stddev", AGG_STDDEV, 1 },
		{ "distinct(user_id)", "user_id_distinct", AGG_DISTINCT, 1 },
		{ "p0(latency_ms)", "latency_ms_p0", AGG_PCT, 1 },
		{ "p100(latency_ms)", "latency_ms_p100", AGG_PCT, 1 },
	};
	static const char *bad[] = {
		"p101(latency_ms)", "p99.(latency_ms)", "median(latency_ms)",
		"mean(latency_ms", "mean()", "ratio(a)", "ratio(a,b,c)",
		"mean(latency_ms) as", "mean(latency_ms) as Bad-Name",
		"mean(latency_ms) extra", "p-1(x)", "sum(a b)", "",
	};
	struct ft_agg a;
	char err[512];

	tap_begin("window-003", "default names: p99.9(latency_ms) -> "
	    "latency_ms_p99_9, ratio(A,B) -> A_per_B, count() -> count");
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int rc = ft_agg_parse(ok[i].spec, &a, err, sizeof err);

		tap_check(rc == 0 && strcmp(a.name, ok[i].name) == 0 &&
		    a.fn == ok[i].fn && a.nfields == ok[i].nfields,
		    "'%s': rc %d name '%s' (%s)", ok[i].spec, rc,
		    rc == 0 ? a.name : "", rc == 0 ? "" : err);
	}
	tap_end();

	tap_begin("window-004", "malformed aggregates are refused with a "
	    "message");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		tap_check(ft_agg_parse(bad[i], &a, err, sizeof err) < 0 &&
		    err[0] != '\0', "'%s' accepted", bad[i]);
	}
	tap_end();
}

/* ---- column states merge as one ----------------------------------------- */

static void
test_merge(void)
{
	struct ft_colstate all = { 0 }, a = { 0 }, b = { 0 }, m = { 0 };
	double x;
	int ok = 1;

	srand(7);
	for (int i = 0; i < 1000; i++) {
		x = (double)(rand() % 100000) / 7.0 - 3000;
		ft_col_add(&all, x, FT_COL_VALUES | FT_COL_MOMENTS);
		ft_col_add(i % 3 ? &a : &b, x, FT_COL_VALUES | FT_COL_MOMENTS);
	}
	ft_col_merge(&m, &a, FT_COL_VALUES | FT_COL_MOMENTS);
	ft_col_merge(&m, &b, FT_COL_VALUES | FT_COL_MOMENTS);
	ft_sort_doubles(all.vals, all.nvals);
	ft_sort_doubles(m.vals, m.nvals);
	tap_begin("window-005", "two panes merged give the count, sum (the "
	    "same double), extremes, variance and percentiles of one");
	tap_check_int((int64_t)m.n, (int64_t)all.n, "n");
	tap_check(ft_col_sum(&m) == ft_col_sum(&all), "sum %.17g, want %.17g",
	    ft_col_sum(&m), ft_col_sum(&all));
	tap_check(all.m2 > 0, "no variance");
	tap_check(m.min == all.min && m.max == all.max, "extremes");
	tap_check_near(m.m2 / (double)(m.n - 1), all.m2 / (double)(all.n - 1),
	    1e-6 * all.m2 / (double)all.n, "variance");
	for (double p = 0; p <= 100; p += 0.5)
		ok &= ft_percentile_sorted(m.vals, m.nvals, p) ==
		    ft_percentile_sorted(all.vals, all.nvals, p);
	tap_check(ok, "percentiles differ");
	tap_end();
	ft_col_free(&all);
	ft_col_free(&a);
	ft_col_free(&b);
	ft_col_free(&m);
}

/* The sum does not depend on the order of the values. */
static void
test_sum_order(void)
{
	enum { N = 20000 };
	static double v[N];
	struct ft_colstate fwd = { 0 }, rev = { 0 }, mix = { 0 };
	int same = 1;

	srand(11);
	tap_begin("window-010", "sums are correctly rounded: any order of the "
	    "values gives the same double");
	for (int round = 0; round < 20; round++) {
		memset(&fwd, 0, sizeof fwd);
		memset(&rev, 0, sizeof rev);
		memset(&mix, 0, sizeof mix);
		for (int i = 0; i < N; i++)	/* costs: 1e-8 to 1e-1 USD */
			v[i] = (double)(rand() % 10000000) * 1e-8 *
			    (rand() % 2 ? 1 : 1e-3);
		for (int i = 0; i < N; i++)
			ft_col_add(&fwd, v[i], 0);
		for (int i = N - 1; i >= 0; i--)
			ft_col_add(&rev, v[i], 0);
		for (int i = 0; i < N; i++)
			ft_col_add(&mix, v[(i * 7919) % N], 0);
		same &= ft_col_sum(&fwd) == ft_col_sum(&rev) &&
		    ft_col_sum(&fwd) == ft_col_sum(&mix);
		tap_check(same, "round %d: %.17g %.17g %.17g", round,
		    ft_col_sum(&fwd), ft_col_sum(&rev), ft_col_sum(&mix));
	}
	tap_end();
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The sort gives what qsort gives, on the shapes that break quicksorts. */
static void
test_sort(void)
{
	enum { N = 5000 };
	static double a[N], b[N];
	static const char *const shapes[] = {
		"random", "sorted", "reversed", "all equal", "two values",
		"organ pipe", "sawtooth", "tiny",
	};

	srand(5);
	tap_begin("window-011", "the sort of percentile values equals "
	    "qsort on random, sorted, reversed, equal and organ-pipe input");
	for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
		size_t n = k == 7 ? 7 : N;

		for (size_t i = 0; i < n; i++)
			a[i] = k == 0 ? (double)(rand() % 1000) - 500.5 :
			    k == 1 ? (double)i : k == 2 ? (double)(n - i) :
			    k == 3 ? 42 : k == 4 ? (double)(rand() % 2) :
			    k == 5 ? (double)(i < n / 2 ? i : n - i) :
			    k == 6 ? (double)(i % 17) : (double)(rand() % 5);
		memcpy(b, a, n * sizeof *a);
		ft_sort_doubles(a, n);
		qsort(b, n, sizeof *b, cmp);
		tap_check(memcmp(a, b, n * sizeof *a) == 0, "%s", shapes[k]);
	}
	tap_end();
}

/* ---- window assignment -------------------------------------------------- */

static void
test_assignment(void)
{
	int64_t five = 5 * MIN_NS;

	tap_begin("window-006", "panes: an event exactly at a window's end "
	    "belongs to the next; pre-1970 times floor");
	tap_check_int(ft_window_pane(five - 1, five, 0), 0, "end - 1ns");
	tap_check_int(ft_window_pane(five, five, 0), 1, "exactly the end");
	tap_check_int(ft_window_pane(0, five, 0), 0, "the epoch");
	tap_check_int(ft_window_pane(-1, five, 0), -1, "1 ns before 1970");
	tap_check_int(ft_window_pane(-five, five, 0), -1, "-5 min");
	tap_check_int(ft_window_pane(-five - 1, five, 0), -2, "-5 min - 1ns");
	tap_check_int(ft_window_pane_start(-1, five, 0), -five,
	    "start of pane -1");
	/* --align 1m: windows [1m, 6m), [6m, 11m) ... */
	tap_check_int(ft_window_pane(MIN_NS - 1, five, MIN_NS), -1,
	    "aligned: before the shifted start");
	tap_check_int(ft_window_pane(MIN_NS, five, MIN_NS), 0,
	    "aligned: at the shifted start");
	tap_check_int(ft_window_pane_start(1, five, MIN_NS), 6 * MIN_NS,
	    "aligned start");
	tap_check_int(ft_window_pane(INT64_MIN, five, MIN_NS),
	    ft_window_pane(INT64_MIN, five, 0), "no overflow at INT64_MIN");
	tap_check(ft_window_pane_start(INT64_MAX / 2, five, 0) == INT64_MAX,
	    "a start past int64 saturates");
	tap_end();
}

/* ---- the windower over lines -------------------------------------------- */

struct out {
	char path[256];
	FILE *f;
	feat_writer *w;
};

static feat_windower *
general(const char *window, const char *const *aggs, size_t n,
    int64_t delay, int created_wm)
{
	struct feat_windower_opts o = { 0 };
	char err[512];
	feat_windower *w;

	if (feat_window_parse(window, &o.window, err, sizeof err) < 0)
		tap_bail("%s", err);
	o.watermark_delay = delay;
	o.created_watermark = created_wm;
	w = feat_windower_new(&o, "model", NULL, NULL, FEAT_EVENTS_ANY, aggs, n,
	    err, sizeof err);
	if (w == NULL)
		tap_bail("%s", err);
	return w;
}

static feat_normaliser *
normaliser(feat_windower *w)
{
	struct feat_normaliser_opts no = { 0 };

	no.want = feat_windower_fields(w);
	no.paths = feat_windower_paths(w);
	return feat_normaliser_new(&no);
}

static void
feed_line(feat_normaliser *nz, feat_windower *w, const char *line)
{
	struct feat_error e = { 0 };
	const feat_event *ev;

	if (feat_normaliser_start(nz, line, strlen(line), &e) < 0)
		tap_bail("'%s': %s", line, e.reason);
	while (feat_normaliser_next(nz, &ev, &e) == 1)
		if (feat_windower_add(w, ev, &e) < 0)
			tap_bail("add: %s", e.reason);
}

static char *
slurp(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	s = feat_xmalloc((size_t)n + 1);
	rewind(f);
	if (fread(s, 1, (size_t)n, f) != (size_t)n)
		tap_bail("short read");
	s[n] = '\0';
	return s;
}

static void
test_watermark(void)
{
	static const char *const aggs[] = { "count()" };
	feat_windower *w = general("tumbling:5m", aggs, 1, 5 * (int64_t)
	    1000000000, 1);
	feat_normaliser *nz = normaliser(w);
	FILE *f = tmpfile();
	feat_writer *out = feat_writer_new(fileno(f), 0);
	struct feat_event_stage st;
	struct feat_error e = { 0 };
	int64_t base = 1699999800LL * 1000000000LL, wm0, wm1;
	char line[256], *text;

	feat_windower_stage(w, out, &st);
	tap_begin("window-007", "the watermark is the latest time less the "
	    "delay, and never moves back");
	tap_check(feat_windower_watermark(w) == INT64_MIN, "before any");
	snprintf(line, sizeof line, "{\"ts\":%lld,\"model\":\"m\"}",
	    (long long)(base / 1000000000 + 600));
	feed_line(nz, w, line);
	wm0 = feat_windower_watermark(w);
	tap_check_int(wm0, base + 595 * (int64_t)1000000000, "after one");
	snprintf(line, sizeof line, "{\"ts\":%lld,\"model\":\"m\"}",
	    (long long)(base / 1000000000 + 10));
	feed_line(nz, w, line);
	wm1 = feat_windower_watermark(w);
	tap_check_int(wm1, wm0, "an older event leaves it");
	tap_check_int((int64_t)feat_windower_late(w), 1, "and is late");
	snprintf(line, sizeof line, "{\"ts\":%lld}",
	    (long long)(base / 1000000000 + 700));
	feed_line(nz, w, line);
	tap_check_int(feat_windower_watermark(w), base + 695 *
	    (int64_t)1000000000, "an event without the key moves it");
	tap_check_int((int64_t)feat_windower_without_key(w), 1,
	    "and is counted");
	tap_end();

	/* Fires at watermark >= end, and all at the end of input. */
	tap_begin("window-008", "a window fires when the watermark reaches "
	    "its end; the rest at the end of input");
	text = slurp(f);
	tap_check(strstr(text, "\"count\":1") == NULL, "fired early: %s", text);
	free(text);
	/* base + 600 s lies in [base+600-..]: 1700000400 is a 5-min boundary */
	snprintf(line, sizeof line, "{\"ts\":%lld,\"model\":\"m\"}",
	    (long long)(base / 1000000000 + 905));
	feed_line(nz, w, line);	/* watermark base + 900 s */
	text = slurp(f);
	tap_check(strstr(text, "\"count\":1") != NULL, "not fired at the "
	    "watermark: '%s'", text);
	free(text);
	if (st.finish(w, 0, &e) < 0 || feat_writer_flush(out) < 0)
		tap_bail("finish");
	text = slurp(f);
	tap_check(strchr(text, '\n') && strchr(strchr(text, '\n') + 1, '\n'),
	    "the last window did not fire at the end: '%s'", text);
	free(text);
	tap_end();
	feat_writer_close(out);
	fclose(f);
	feat_normaliser_free(nz);
	feat_windower_free(w);
}

static void
test_specs(void)
{
	struct feat_window_spec s;
	char err[256];

	tap_begin("window-009", "window specs: tumbling, sliding whose slide "
	    "divides the size; others refused");
	tap_check(feat_window_parse("tumbling:5m", &s, err, sizeof err) == 0 &&
	    s.size == 5 * MIN_NS && s.slide == s.size, "tumbling:5m");
	tap_check(feat_window_parse("sliding:1h/5m", &s, err, sizeof err) == 0
	    && s.size == 60 * MIN_NS && s.slide == 5 * MIN_NS, "sliding");
	tap_check(feat_window_parse("sliding:1h/7m", &s, err, sizeof err) < 0
	    && strstr(err, "divide"), "7m does not divide 1h");
	tap_check(feat_window_parse("sliding:100000s/1s", &s, err,
	    sizeof err) == 0, "100000 slides");
	tap_check(feat_window_parse("sliding:100001s/1s", &s, err,
	    sizeof err) < 0 && strstr(err, "at most 100000"), "100001 slides");
	tap_check(feat_window_parse("tumbling:0s", &s, err, sizeof err) < 0,
	    "zero size");
	tap_check(feat_window_parse("tumbling:5", &s, err, sizeof err) < 0,
	    "no unit");
	tap_check(feat_window_parse("hopping:5m", &s, err, sizeof err) < 0,
	    "unknown type");
	tap_check(feat_window_parse("tumbling:5m/1m", &s, err, sizeof err) < 0,
	    "tumbling with a slide");
	tap_end();
}

/* ---- sketches ----------------------------------------------------------- */

/* A deterministic generator (xorshift64*), uniform in (0, 1). */
static double
uniform(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return ((double)((*st * 2685821657736338717ULL) >> 11) + 0.5) /
	    9007199254740992.0;
}

/* The worst relative error of the sketch's p of ps against the exact
   values v (sorted). */
static double
worst_error(const struct ft_colstate *c, const double *v, size_t n)
{
	static const double ps[] = { 0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9,
	    100 };
	double worst = 0;

	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		double x = ft_percentile_sorted(v, n, ps[i]);
		double y = ft_col_sketch_quantile(c, ps[i]);
		double e = x != 0 ? fabs(y - x) / fabs(x) : fabs(y);

		if (e > worst)
			worst = e;
	}
	return worst;
}

static void
test_sketch(void)
{
	enum { N = 200000 };
	double *v = malloc(N * sizeof *v);
	struct ft_colstate a = { 0 }, b = { 0 }, m = { 0 }, one = { 0 };
	uint64_t st = 88172645463325252ULL;
	double e1, e2, e3;

	tap_begin("window-012", "--sketch: every percentile within 1%% of the "
	    "exact one, merged panes as one; signs, zeros, 600 orders of "
	    "magnitude");
	/* Log-normal latencies, split over two panes. */
	for (size_t i = 0; i < N; i++) {
		double u1 = uniform(&st), u2 = uniform(&st);

		v[i] = 800 * exp(0.9 * sqrt(-2 * log(u1)) * cos(6.283185307 *
		    u2));
		ft_col_add(i % 3 ? &a : &b, v[i], FT_COL_SKETCH);
		ft_col_add(&one, v[i], FT_COL_SKETCH);
	}
	ft_col_merge(&m, &a, FT_COL_SKETCH);
	ft_col_merge(&m, &b, FT_COL_SKETCH);
	ft_sort_doubles(v, N);
	e1 = worst_error(&m, v, N);
	tap_check(e1 <= 0.01, "log-normal: worst %.6f", e1);
	for (int i = 0; i <= 100; i++)
		tap_check(ft_col_sketch_quantile(&m, i) ==
		    ft_col_sketch_quantile(&one, i), "p%d: merged %.17g, one "
		    "%.17g", i, ft_col_sketch_quantile(&m, i),
		    ft_col_sketch_quantile(&one, i));
	ft_col_free(&a);
	ft_col_free(&b);
	ft_col_free(&m);
	ft_col_free(&one);
	/* Both signs and zeros: -1000 .. 1000 in steps of 0.5, each once. */
	for (size_t i = 0; i < 4001; i++) {
		v[i] = -1000 + 0.5 * (double)i;
		ft_col_add(&a, v[i], FT_COL_SKETCH);
	}
	e2 = 0;
	{
		static const double ps[] = { 1, 10, 30, 49, 51, 70, 90, 99 };

		for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
			double x = ft_percentile_sorted(v, 4001, ps[i]);
			double y = ft_col_sketch_quantile(&a, ps[i]);

			if (fabs(y - x) / fabs(x) > e2)
				e2 = fabs(y - x) / fabs(x);
		}
	}
	tap_check(e2 <= 0.01, "signs: worst %.6f", e2);
	tap_check(ft_col_sketch_quantile(&a, 50) == 0, "p50 of a symmetric "
	    "run: %g", ft_col_sketch_quantile(&a, 50));
	ft_col_free(&a);
	/* 1e-300 to 1e300: what lies more than 17 orders of magnitude below
	   the largest folds into one bucket; the top stays within 1%, and
	   memory stays bounded. */
	for (size_t i = 0; i < 6001; i++) {
		v[i] = pow(10, -300 + 0.1 * (double)i);
		ft_col_add(&a, v[i], FT_COL_SKETCH);
	}
	e3 = 0;
	for (double p = 97.5; p <= 100; p += 0.1) {
		double x = ft_percentile_sorted(v, 6001, p);
		double y = ft_col_sketch_quantile(&a, p);

		if (fabs(y - x) / x > e3)
			e3 = fabs(y - x) / x;
	}
	tap_check(e3 <= 0.01, "the top 15 of 600 orders: worst %.6f", e3);
	tap_check(ft_sketch_bytes(a.sketch) <= 2 * 2048 * 8 + 256, "%zu "
	    "bytes", ft_sketch_bytes(a.sketch));
	ft_col_free(&a);
	tap_end();
	free(v);
}

static void
test_distinct(void)
{
	struct ft_colstate a = { 0 }, b = { 0 }, m = { 0 };
	char id[32];
	uint64_t n;

	tap_begin("window-013", "distinct: exact up to 10,000, then "
	    "HyperLogLog within 3%% (3.7 standard errors), merging");
	/* (n counts the values, as window.c counts them.) */
	for (int i = 0; i < 10000; i++) {
		snprintf(id, sizeof id, "s%d", i);
		ft_col_distinct_add(&a, id, strlen(id));
		ft_col_distinct_add(&a, id, strlen(id));
		a.n += 2;
	}
	tap_check(ft_col_distinct_count(&a) == 10000 && a.hll == NULL,
	    "exact: %llu", (unsigned long long)ft_col_distinct_count(&a));
	for (int i = 10000; i < 60000; i++) {
		snprintf(id, sizeof id, "s%d", i);
		ft_col_distinct_add(&a, id, strlen(id));
		a.n++;
	}
	n = ft_col_distinct_count(&a);
	tap_check(a.hll != NULL && fabs((double)n - 60000) / 60000 < 0.03,
	    "60,000: %llu", (unsigned long long)n);
	/* Another pane: 40,000 .. 100,000, half of them in a. */
	for (int i = 40000; i < 100000; i++) {
		snprintf(id, sizeof id, "s%d", i);
		ft_col_distinct_add(&b, id, strlen(id));
		b.n++;
	}
	ft_col_merge(&m, &a, 0);
	ft_col_merge(&m, &b, 0);
	n = ft_col_distinct_count(&m);
	tap_check(fabs((double)n - 100000) / 100000 < 0.03, "union: %llu",
	    (unsigned long long)n);
	/* A small exact set merged into an estimate. */
	ft_col_free(&b);
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "new%d", i);
		ft_col_distinct_add(&b, id, strlen(id));
		b.n++;
	}
	ft_col_merge(&m, &b, 0);
	tap_check(ft_col_distinct_count(&m) >= n, "grows: %llu",
	    (unsigned long long)ft_col_distinct_count(&m));
	ft_col_free(&a);
	ft_col_free(&b);
	ft_col_free(&m);
	tap_end();
}

int
main(void)
{
	test_percentiles();
	test_names();
	test_merge();
	test_sum_order();
	test_sort();
	test_assignment();
	test_watermark();
	test_specs();
	test_sketch();
	test_distinct();
	return tap_done();
}
