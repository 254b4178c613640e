/*
 * test-drift.c - feat-drift's tests (SPEC 6): the PSI vectors of the
 * issue, KS against an independent reference, every severity threshold
 * from both sides, sigma 0, min-samples, and the baseline's quantiles and
 * bins.
 */
#include "drift-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define CHECK(cond) tap_check((cond), "line %d: %s", __LINE__, #cond)

static int
close_to(double got, double want, double tol, const char *what)
{
	return tap_check(fabs(got - want) <= tol, "%s: got %.12g, want %.12g",
	    what, got, want);
}

/* A baseline feature fitted from x[0, n) (copied and sorted). */
static void
fit(struct ft_base_feature *bf, const double *x, size_t n, int bins)
{
	double *s = malloc(n * sizeof *s);
	struct ft_moments m = { 0 };

	memset(bf, 0, sizeof *bf);
	for (size_t i = 0; i < n; i++) {
		s[i] = x[i];
		ft_moments_add(&m, x[i]);
	}
	ft_sort_doubles(s, n);
	ft_base_fit(bf, s, n, bins, &m);
	free(s);
}

static struct ft_drift
eval(const double *base, size_t nb, const double *cur, size_t nc,
    uint64_t min)
{
	struct ft_base_feature bf;
	struct ft_drift d = { 0 };
	double *c = malloc(nc * sizeof *c);

	memcpy(c, cur, nc * sizeof *c);
	fit(&bf, base, nb, 10);
	ft_drift_numeric(&bf, c, nc, min, NULL, &d);
	free(d.actual);
	d.actual = NULL;
	ft_base_feature_free(&bf);
	free(c);
	return d;
}

static double
psi(const double *base, size_t nb, const double *cur, size_t nc)
{
	return eval(base, nb, cur, nc, 1).psi;
}

/* ---- an independent KS reference: brute force and Jacobi's form ---------- */

static double
ref_fbase(const double *q, double x)
{
	/* The line through (q_k, k/100): the last segment whose left end is
	   at or below x, walked from the start. */
	double f = 0;

	if (x >= q[100])
		return 1;
	for (int k = 0; k < 100; k++)
		if (q[k] <= x && x < q[k + 1])
			f = k / 100.0 + (x - q[k]) / (q[k + 1] - q[k]) / 100.0;
	return f;
}

static double
ref_fcur(const double *c, size_t n, double x, int strict)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += strict ? c[i] < x : c[i] <= x;
	return (double)k / (double)n;
}

static double
ref_d(const double *q, const double *c, size_t n)
{
	double d = 0;

	/* Candidates: every current value, at it and just left of it. */
	for (size_t i = 0; i < n; i++) {
		double x = c[i], a, b;

		a = fabs(ref_fcur(c, n, x, 0) - ref_fbase(q, x));
		b = fabs(ref_fcur(c, n, x, 1) - ref_fbase(q, nextafter(x,
		    -INFINITY)));
		d = a > d ? a : d;
		d = b > d ? b : d;
	}
	return d;
}

/* Q(lambda) = 1 - sqrt(2 pi)/lambda sum exp(-(2j-1)^2 pi^2 / (8 l^2)). */
static double
ref_q(double lam)
{
	double s = 0;

	if (lam < 0.2)
		return 1;
	for (int j = 1; j < 200; j++)
		s += exp(-(2.0 * j - 1) * (2.0 * j - 1) * M_PI * M_PI /
		    (8 * lam * lam));
	return 1 - sqrt(2 * M_PI) / lam * s;
}

static void
judge_case(double z, double psi_, double ks_p, double ratio,
    enum ft_drift_kind want_drift, enum ft_severity want_sev)
{
	struct ft_drift d = { 0 };

	d.z = z;
	d.psi = psi_;
	d.ks_p = ks_p;
	d.std_ratio = ratio;
	ft_drift_judge(&d, NULL);
	tap_check(d.drift == want_drift && d.severity == want_sev,
	    "z %.10g psi %.10g ks_p %.10g ratio %.10g: got %s/%s, want %s/%s",
	    z, psi_, ks_p, ratio, ft_drift_names[d.drift],
	    ft_severity_names[d.severity], ft_drift_names[want_drift],
	    ft_severity_names[want_sev]);
}

int
main(void)
{
	static double b[1000], c[1000];
	struct ft_base_feature bf;
	struct ft_drift d;
	size_t i;

	for (i = 0; i < 1000; i++)
		b[i] = (double)(i + 1);

	tap_begin("drift-001", "PSI vectors of the issue, to 1e-6");
	close_to(psi(b, 1000, b, 1000), 0, 1e-6, "PSI(B, B)");
	for (i = 0; i < 1000; i++)
		c[i] = (double)(i + 101);
	d = eval(b, 1000, c, 1000, 1);
	close_to(d.psi, 0.75939947, 1e-6, "PSI(B, 101..1100)");
	close_to(d.z, 0.34623709, 1e-6, "z(B, 101..1100)");
	for (i = 0; i < 1000; i++)
		c[i] = 0.5 * (double)(i + 1);
	close_to(psi(b, 1000, c, 1000), 3.79700485, 1e-6,
	    "PSI(B, 0.5..500)");
	{
		static double m7[1000], m5[1000];

		for (i = 0; i < 1000; i++) {
			m7[i] = (double)(i % 7);
			m5[i] = (double)(i % 5);
		}
		close_to(psi(m7, 1000, m5, 1000), 2.16380832, 1e-6,
		    "PSI(i mod 7, i mod 5)");
	}
	for (i = 0; i < 1000; i++) {
		b[i] = i < 300 ? 0 : i < 700 ? 1 : 2;
		c[i] = i < 500 ? 1 : 1.5;
	}
	close_to(psi(b, 1000, c, 1000), 9.08227850, 1e-6,
	    "PSI(left-closed vector)");
	tap_check(fabs(psi(b, 1000, c, 1000) - 2.52558911) > 1,
	    "right-closed bins would give 2.52558911");
	tap_end();

	tap_begin("drift-002", "baseline quantiles (numpy linear) and bins");
	for (i = 0; i < 1000; i++)
		b[i] = (double)(i + 1);
	fit(&bf, b, 1000, 10);
	close_to(bf.q[0], 1, 0, "q0");
	close_to(bf.q[50], 500.5, 1e-12, "q50");
	close_to(bf.q[95], 950.05, 1e-9, "q95");
	close_to(bf.q[100], 1000, 0, "q100");
	CHECK(bf.nedges == 9);
	close_to(bf.edges[0], 100.9, 1e-9, "edge 1");
	close_to(bf.edges[8], 900.1, 1e-9, "edge 9");
	for (i = 0; i <= bf.nedges; i++)
		close_to(bf.props[i], 0.1, 1e-12, "proportion");
	close_to(bf.std, 288.8194360957494, 1e-9, "sample std");
	CHECK(ft_bin_of(&bf, 100.9) == 1 && ft_bin_of(&bf, 100.8999) == 0);
	CHECK(ft_bin_of(&bf, -1e300) == 0 && ft_bin_of(&bf, 1e300) == 9);
	ft_base_feature_free(&bf);
	for (i = 0; i < 1000; i++)
		b[i] = i < 300 ? 0 : i < 700 ? 1 : 2;
	fit(&bf, b, 1000, 10);
	/* 0 (twice), 0.7, 1 (three times), 1.3, 2 (twice): five edges. */
	CHECK(bf.nedges == 5);
	close_to(bf.edges[1], 0.7, 1e-9, "edge 0.7");
	ft_base_feature_free(&bf);
	tap_end();

	tap_begin("drift-003", "KS D and p against an independent reference");
	for (int v = 0; v < 2; v++) {
		size_t nc = v == 0 ? 500 : 800;
		double *cur = malloc(nc * sizeof *cur), want_d, got_d, p;

		for (i = 0; i < 1000; i++)
			b[i] = (double)(i + 1) * (i % 3 == 0 ? 1.01 : 1);
		for (i = 0; i < nc; i++)
			cur[i] = v == 0 ? 5 + 1.9 * (double)i :
			    i < 40 ? 500 : (double)((i * 7919) % 1030) + 0.5;
		fit(&bf, b, 1000, 10);
		want_d = ref_d(bf.q, cur, nc);
		ft_sort_doubles(cur, nc);
		got_d = ft_ks_d(bf.q, cur, nc);
		close_to(got_d, want_d, 1e-6, v == 0 ? "D (1)" : "D (2)");
		p = ft_ks_p(got_d, nc, 1000);
		close_to(p, ref_q(sqrt((double)nc * 1000 / (nc + 1000)) *
		    want_d), 1e-6, v == 0 ? "p (1)" : "p (2)");
		tap_check(p > 1e-6 && p < 0.999, "p %.6g is a test of the "
		    "series, not of its ends", p);
		ft_base_feature_free(&bf);
		free(cur);
	}
	CHECK(ft_ks_p(0.001, 100, 100) == 1);
	tap_end();

	tap_begin("drift-004", "every threshold from both sides");
	judge_case(0, 0, 1, 1, FT_DRIFT_NONE, FT_SEV_NONE);
	judge_case(3, 0, 1, 1, FT_DRIFT_NONE, FT_SEV_NONE);
	judge_case(nextafter(3, 4), 0, 1, 1, FT_DRIFT_MEAN, FT_SEV_MEDIUM);
	judge_case(4, 0, 1, 1, FT_DRIFT_MEAN, FT_SEV_MEDIUM);
	judge_case(nextafter(4, 5), 0, 1, 1, FT_DRIFT_MEAN, FT_SEV_HIGH);
	judge_case(5, 0, 1, 1, FT_DRIFT_MEAN, FT_SEV_HIGH);
	judge_case(nextafter(5, 6), 0, 1, 1, FT_DRIFT_MEAN,
	    FT_SEV_CRITICAL);
	judge_case(INFINITY, 0, 1, 1, FT_DRIFT_MEAN, FT_SEV_CRITICAL);
	judge_case(0, 0.1, 1, 1, FT_DRIFT_NONE, FT_SEV_NONE);
	judge_case(0, nextafter(0.1, 1), 1, 1, FT_DRIFT_DISTRIBUTION,
	    FT_SEV_MEDIUM);
	judge_case(0, 0.25, 1, 1, FT_DRIFT_DISTRIBUTION, FT_SEV_MEDIUM);
	judge_case(0, nextafter(0.25, 1), 1, 1, FT_DRIFT_DISTRIBUTION,
	    FT_SEV_HIGH);
	judge_case(0, 0, 0.01, 1, FT_DRIFT_NONE, FT_SEV_NONE);
	judge_case(0, 0, nextafter(0.01, 0), 1, FT_DRIFT_DISTRIBUTION,
	    FT_SEV_LOW);
	judge_case(0, 0, 1, 0.5, FT_DRIFT_NONE, FT_SEV_NONE);
	judge_case(0, 0, 1, nextafter(0.5, 0), FT_DRIFT_VARIANCE,
	    FT_SEV_MEDIUM);
	judge_case(0, 0, 1, 2, FT_DRIFT_NONE, FT_SEV_NONE);
	judge_case(0, 0, 1, nextafter(2, 3), FT_DRIFT_VARIANCE,
	    FT_SEV_MEDIUM);
	judge_case(0, 0, 1, INFINITY, FT_DRIFT_VARIANCE, FT_SEV_MEDIUM);
	/* Precedence: mean, distribution, variance; the highest severity. */
	judge_case(3.5, 0.3, 0.001, 3, FT_DRIFT_MEAN, FT_SEV_HIGH);
	judge_case(1, 0.3, 1, 3, FT_DRIFT_DISTRIBUTION, FT_SEV_HIGH);
	judge_case(1, 0.05, 0.001, 3, FT_DRIFT_DISTRIBUTION, FT_SEV_MEDIUM);
	judge_case(4.5, 0.15, 1, 1, FT_DRIFT_MEAN, FT_SEV_HIGH);
	judge_case(NAN, NAN, NAN, NAN, FT_DRIFT_NONE, FT_SEV_NONE);
	tap_end();

	tap_begin("drift-005", "sigma 0 and --min-samples");
	for (i = 0; i < 1000; i++)
		b[i] = c[i] = 7;
	d = eval(b, 1000, c, 1000, 1000);
	CHECK(d.verdict && d.z == 0 && d.drift == FT_DRIFT_NONE &&
	    d.severity == FT_SEV_NONE && isnan(d.std_ratio));
	c[0] = 8;
	d = eval(b, 1000, c, 1000, 1000);
	CHECK(d.verdict && isinf(d.z) && d.drift == FT_DRIFT_MEAN &&
	    d.severity == FT_SEV_CRITICAL);
	d = eval(b, 1000, c, 999, 1000);
	CHECK(!d.verdict && d.n == 999);
	d = eval(b, 1000, c, 1000, 1001);
	CHECK(!d.verdict);
	tap_end();

	tap_begin("drift-007", "edges at k/bins exactly, whatever bins; "
	    "values near DBL_MAX stay finite; catalog thresholds");
	{
		static double v[301];
		struct ft_thresholds t;

		for (i = 0; i < 301; i++)
			v[i] = (double)i;
		fit(&bf, v, 301, 3);
		CHECK(bf.nedges == 2 && bf.edges[0] == 100 &&
		    bf.edges[1] == 200);
		close_to(bf.props[0], 100.0 / 301, 1e-15, "bin 0");
		close_to(bf.props[2], 101.0 / 301, 1e-15, "bin 2");
		CHECK(ft_bin_of(&bf, 100) == 1);
		ft_base_feature_free(&bf);
		v[0] = -1e308;
		v[1] = 1e308;
		fit(&bf, v, 2, 10);
		CHECK(isfinite(bf.mean) && isfinite(bf.q[50]) &&
		    isfinite(bf.edges[0]));
		ft_base_feature_free(&bf);
		/* A feature's own thresholds replace SPEC 6's. */
		ft_thresholds_of(&t, NULL);
		t.psi_high = 0.5;
		t.z_medium = 1;
		memset(&d, 0, sizeof d);
		d.z = 1.5;
		d.psi = 0.3;
		d.ks_p = d.std_ratio = 1;
		ft_drift_judge(&d, &t);
		CHECK(d.drift == FT_DRIFT_MEAN && d.severity == FT_SEV_MEDIUM);
	}
	tap_end();

	tap_begin("drift-006", "the names map");
	{
		struct ft_names m;
		char k[16];

		ft_names_init(&m);
		for (i = 0; i < 5000; i++) {
			snprintf(k, sizeof k, "k%zu", i);
			CHECK(ft_names_get(&m, k, strlen(k), 1) == (long)i);
		}
		for (i = 0; i < 5000; i++) {
			snprintf(k, sizeof k, "k%zu", i);
			CHECK(ft_names_get(&m, k, strlen(k), 0) == (long)i);
		}
		CHECK(ft_names_get(&m, "nope", 4, 0) == -1);
		CHECK(m.n == 5000);
		ft_names_free(&m);
	}
	tap_end();
	return tap_done();
}
