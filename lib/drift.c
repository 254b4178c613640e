/*
 * drift.c - baselines and distribution shift (SPEC 6, feat-drift(1)).
 *
 * A baseline holds, per feature, what the tests of feat-drift check need
 * from the reference data: Welford moments, the 101 exact quantiles (all
 * values held and sorted once), the PSI bin edges with the proportion of
 * the reference in each bin, and for a categorical feature the count of
 * each category.  The tests are SPEC's, word for word: PSI on left-closed
 * bins whose edges are the baseline's quantiles, proportions floored at
 * 1e-4 after counting; z on the baseline's sample standard deviation; KS
 * against the piecewise-linear CDF through the quantiles, with the
 * asymptotic Kolmogorov p-value.
 *
 * The stages: a fitter (records in, one baseline document out at the end)
 * and a checker (records in, one result line per feature per evaluation).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "drift-private.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const ft_severity_names[] = {
	"none", "low", "medium", "high", "critical"
};
const char *const ft_drift_names[] = {
	"none", "mean_shift", "distribution_shift", "variance_shift"
};

int
ft_severity_parse(const char *s)
{
	for (int i = 0; i <= FT_SEV_CRITICAL; i++)
		if (strcmp(s, ft_severity_names[i]) == 0)
			return i;
	return -1;
}

/* ---- the tests ---------------------------------------------------------------- */

/* How many of sorted x[0, n) are < v. */
static size_t
count_below(const double *x, size_t n, double v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
ft_base_fit(struct ft_base_feature *bf, const double *sorted, size_t n,
    int bins, const struct ft_moments *m)
{
	size_t below = 0;

	bf->n = n;
	bf->mean = m->mean;
	bf->std = ft_moments_std(m);
	if (isinf(bf->std) || (n >= 2 && isnan(bf->std)))
		bf->std = ft_std_scaled(sorted, n, bf->mean);
	bf->min = m->min;
	bf->max = m->max;
	for (int k = 0; k < FT_NQ; k++)
		bf->q[k] = ft_quantile_ratio(sorted, n, (uint64_t)k, 100);
	bf->edges = feat_xmalloc((size_t)(bins > 1 ? bins : 1) *
	    sizeof *bf->edges);
	bf->nedges = 0;
	for (int k = 1; k < bins; k++) {
		double e = ft_quantile_ratio(sorted, n, (uint64_t)k,
		    (uint64_t)bins);

		/* Duplicates removed (the quantiles never decrease). */
		if (bf->nedges > 0 && !(e > bf->edges[bf->nedges - 1]))
			continue;
		bf->edges[bf->nedges++] = e;
	}
	bf->props = feat_xmalloc((bf->nedges + 1) * sizeof *bf->props);
	for (size_t i = 0; i <= bf->nedges; i++) {
		size_t upto = i < bf->nedges ? count_below(sorted, n,
		    bf->edges[i]) : n;

		bf->props[i] = n ? (double)(upto - below) / (double)n : 0;
		below = upto;
	}
}

void
ft_base_feature_free(struct ft_base_feature *bf)
{
	free(bf->name);
	free(bf->edges);
	free(bf->props);
	free(bf->counts);
	ft_names_free(&bf->cats);
	memset(bf, 0, sizeof *bf);
}

size_t
ft_bin_of(const struct ft_base_feature *bf, double x)
{
	size_t lo = 0, hi = bf->nedges;

	/* The first edge greater than x: [e_i, e_i+1) is bin i + 1. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bf->edges[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double
floored(double p)
{
	return p < FT_PSI_FLOOR ? FT_PSI_FLOOR : p;
}

double
ft_psi(const double *expected, const uint64_t *counts, size_t nbins,
    uint64_t n, double *actual)
{
	double psi = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < nbins; i++) {
		double a = (double)counts[i] / (double)n;
		double e = floored(expected[i]);

		if (actual)
			actual[i] = a;
		a = floored(a);
		psi += (a - e) * log(a / e);
	}
	return psi;
}

/* F_base at x, the top of a vertical step (q_k == q_k+1). */
static double
cdf_at(const double *q, double x)
{
	size_t lo = 0, hi = FT_NQ - 1;

	if (x < q[0])
		return 0;
	if (x >= q[FT_NQ - 1])
		return 1;
	while (hi - lo > 1) {		/* q[lo] <= x < q[hi] */
		size_t mid = lo + (hi - lo) / 2;

		if (q[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return ((double)lo + (x - q[lo]) / (q[hi] - q[lo])) / 100;
}

/* The limit of F_base from the left of x: the bottom of a step. */
static double
cdf_before(const double *q, double x)
{
	size_t lo = 0, hi = FT_NQ - 1;

	if (x <= q[0])
		return 0;
	if (x > q[FT_NQ - 1])
		return 1;
	while (hi - lo > 1) {		/* q[lo] < x <= q[hi] */
		size_t mid = lo + (hi - lo) / 2;

		if (q[mid] < x)
			lo = mid;
		else
			hi = mid;
	}
	return ((double)lo + (x - q[lo]) / (q[hi] - q[lo])) / 100;
}

/*
 * F_cur is constant between two current values and F_base never
 * decreases, so the supremum is reached next to a current value: at its
 * left (F_cur = those below it, F_base's left limit) or at it (F_cur =
 * those up to it, F_base's value).
 */
double
ft_ks_d(const double *q, const double *cur, size_t n)
{
	double d = 0;

	for (size_t i = 0, j; i < n; i = j) {
		double x = cur[i], a, b;

		for (j = i + 1; j < n && cur[j] == x; j++)
			;
		a = fabs((double)i / (double)n - cdf_before(q, x));
		b = fabs((double)j / (double)n - cdf_at(q, x));
		if (a > d)
			d = a;
		if (b > d)
			d = b;
	}
	return d;
}

double
ft_ks_p(double d, uint64_t n_cur, uint64_t n_base)
{
	double ne, lam, sum = 0;

	if (n_cur == 0 || n_base == 0 || isnan(d))
		return NAN;
	ne = (double)n_cur * (double)n_base / ((double)n_cur +
	    (double)n_base);
	lam = sqrt(ne) * d;
	if (lam < 0.2)
		return 1;
	for (int j = 1; j <= 1000; j++) {
		double t = exp(-2.0 * j * j * lam * lam);

		sum += j % 2 ? t : -t;
		if (t < 1e-300)
			break;
	}
	sum *= 2;
	return sum < 0 ? 0 : sum > 1 ? 1 : sum;
}

static enum ft_severity
max_sev(enum ft_severity a, enum ft_severity b)
{
	return a > b ? a : b;
}

void
ft_thresholds_of(struct ft_thresholds *t, const feat_catalog_feature *f)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "psi_medium", offsetof(struct ft_thresholds, psi_medium) },
		{ "psi_high", offsetof(struct ft_thresholds, psi_high) },
		{ "z_medium", offsetof(struct ft_thresholds, z_medium) },
		{ "z_high", offsetof(struct ft_thresholds, z_high) },
		{ "z_critical", offsetof(struct ft_thresholds, z_critical) },
		{ "ks_p", offsetof(struct ft_thresholds, ks_p) },
		{ "std_ratio_min", offsetof(struct ft_thresholds,
		    std_ratio_min) },
		{ "std_ratio_max", offsetof(struct ft_thresholds,
		    std_ratio_max) },
		{ "min_samples", offsetof(struct ft_thresholds, min_samples) }
	};

	t->psi_medium = 0.1;
	t->psi_high = 0.25;
	t->z_medium = 3;
	t->z_high = 4;
	t->z_critical = 5;
	t->ks_p = 0.01;
	t->std_ratio_min = 0.5;
	t->std_ratio_max = 2;
	t->min_samples = -1;
	for (size_t i = 0; f && i < sizeof keys / sizeof keys[0]; i++)
		feat_catalog_feature_drift(f, keys[i].key,
		    (double *)((char *)t + keys[i].off));
}

void
ft_drift_judge(struct ft_drift *d, const struct ft_thresholds *t)
{
	enum ft_severity sev = FT_SEV_NONE, s;
	struct ft_thresholds def;

	if (t == NULL) {
		ft_thresholds_of(&def, NULL);
		t = &def;
	}
	d->drift = FT_DRIFT_NONE;
	if (d->z > t->z_medium) {	/* INFINITY when std_base is 0 */
		d->drift = FT_DRIFT_MEAN;
		sev = d->z > t->z_critical ? FT_SEV_CRITICAL :
		    d->z > t->z_high ? FT_SEV_HIGH : FT_SEV_MEDIUM;
	}
	s = d->psi > t->psi_high ? FT_SEV_HIGH : d->psi > t->psi_medium ?
	    FT_SEV_MEDIUM : d->ks_p < t->ks_p ? FT_SEV_LOW : FT_SEV_NONE;
	if (s != FT_SEV_NONE) {
		if (d->drift == FT_DRIFT_NONE)
			d->drift = FT_DRIFT_DISTRIBUTION;
		sev = max_sev(sev, s);
	}
	if (d->std_ratio < t->std_ratio_min ||
	    d->std_ratio > t->std_ratio_max) {
		if (d->drift == FT_DRIFT_NONE)
			d->drift = FT_DRIFT_VARIANCE;
		sev = max_sev(sev, FT_SEV_MEDIUM);
	}
	d->severity = sev;
}

static void
reset(struct ft_drift *out, size_t nbins)
{
	double *actual = out->actual;

	memset(out, 0, sizeof *out);
	out->actual = feat_xrealloc(actual, (nbins ? nbins : 1) *
	    sizeof *actual);
	out->nbins = nbins;
	out->psi = out->z = out->ks = out->ks_p = out->std_ratio = NAN;
	out->base_mean = out->cur_mean = NAN;
}

/* The verdict: only with enough values (the feature's own minimum when
   its catalog entry sets one) and a baseline to compare with. */
static void
verdict(const struct ft_base_feature *bf, uint64_t min_samples,
    const struct ft_thresholds *t, struct ft_drift *out)
{
	if (t && t->min_samples >= 0)
		min_samples = t->min_samples >= 18446744073709549568.0 ?
		    UINT64_MAX : (uint64_t)t->min_samples;
	out->verdict = bf->n > 0 && out->n >= min_samples;
	ft_drift_judge(out, t);
}

void
ft_drift_numeric(const struct ft_base_feature *bf, double *cur, size_t n,
    uint64_t min_samples, const struct ft_thresholds *t,
    struct ft_drift *out)
{
	struct ft_moments m = { 0 };
	uint64_t *counts;
	double sc;

	reset(out, bf->nedges + 1);
	out->n = n;
	if (n == 0)
		return;
	counts = feat_xcalloc(bf->nedges + 1, sizeof *counts);
	for (size_t i = 0; i < n; i++) {
		ft_moments_add(&m, cur[i]);
		counts[ft_bin_of(bf, cur[i])]++;
	}
	out->cur_mean = m.mean;
	if (bf->n == 0) {	/* a baseline of nulls: nothing to compare */
		for (size_t i = 0; i <= bf->nedges; i++)
			out->actual[i] = (double)counts[i] / (double)n;
		free(counts);
		return;
	}
	out->base_mean = bf->mean;
	out->psi = ft_psi(bf->props, counts, bf->nedges + 1, n, out->actual);
	free(counts);
	if (bf->std > 0)
		out->z = fabs(m.mean - bf->mean) / bf->std;
	else	/* sigma 0 (or one value): equal means or critical */
		out->z = m.mean == bf->mean ? 0 : INFINITY;
	sc = ft_moments_std(&m);
	if (isinf(sc))
		sc = ft_std_scaled(cur, n, m.mean);
	if (bf->std > 0)
		out->std_ratio = sc / bf->std;
	else if (bf->std == 0 && sc > 0)
		out->std_ratio = INFINITY;
	ft_sort_doubles(cur, n);
	out->ks = ft_ks_d(bf->q, cur, n);
	out->ks_p = ft_ks_p(out->ks, n, bf->n);
	verdict(bf, min_samples, t, out);
}

void
ft_drift_categorical(const struct ft_base_feature *bf,
    const uint64_t *counts, uint64_t n, uint64_t min_samples,
    const struct ft_thresholds *t, struct ft_drift *out)
{
	reset(out, bf->nedges + 1);
	out->n = n;
	if (n == 0)
		return;
	for (size_t i = 0; i <= bf->nedges; i++)
		out->actual[i] = (double)counts[i] / (double)n;
	if (bf->n == 0)
		return;
	out->psi = ft_psi(bf->props, counts, bf->nedges + 1, n, out->actual);
	verdict(bf, min_samples, t, out);
}

/* ---- baseline files -------------------------------------------------------------- */

void
ft_baseline_free(struct ft_baseline *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++)
		ft_base_feature_free(&b->f[i]);
	free(b->f);
	ft_names_free(&b->names);
	free(b);
}

const struct ft_base_feature *
ft_baseline_find(const struct ft_baseline *b, const char *name, size_t len)
{
	long i = ft_names_get((struct ft_names *)&b->names, name, len, 0);

	return i < 0 ? NULL : &b->f[i];
}

/* A count: a whole number from 0 to 2^53 (integers are read as doubles,
   so that a baseline's 1e19 reads back as the double it was). */
static int
count_value(json_t *v, uint64_t *out)
{
	double d;

	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d))
		return -1;
	*out = (uint64_t)d;
	return 0;
}

static int
get_count(json_t *o, const char *key, uint64_t *out)
{
	return count_value(json_object_get(o, key), out);
}

static int
get_num(json_t *o, const char *key, double *out, int nullable)
{
	json_t *v = json_object_get(o, key);

	if (nullable && (v == NULL || json_is_null(v))) {
		*out = NAN;
		return 0;
	}
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static int
get_nums(json_t *a, double *out, size_t n)
{
	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);

		if (!json_is_number(v))
			return -1;
		out[i] = json_number_value(v);
		if (i > 0 && out[i] < out[i - 1])
			return -1;
	}
	return 0;
}

static const char *
load_feature(struct ft_base_feature *bf, json_t *o, int bins)
{
	const char *type = json_string_value(json_object_get(o, "type"));
	double sum = 0;
	json_t *a;

	if (!json_is_object(o) || type == NULL)
		return "no 'type'";
	if (get_count(o, "n", &bf->n) < 0 ||
	    get_count(o, "nulls", &bf->nulls) < 0)
		return "'n' and 'nulls' must be counts";
	if (strcmp(type, "category") == 0) {
		json_t *cats = json_object_get(o, "categories"), *v;
		const char *k;
		uint64_t sum = 0;
		size_t i = 0;

		if (!json_is_object(cats))
			return "no 'categories' object";
		bf->categorical = 1;
		ft_names_init(&bf->cats);
		bf->nedges = json_object_size(cats);
		bf->counts = feat_xcalloc(bf->nedges + 1, sizeof *bf->counts);
		bf->props = feat_xcalloc(bf->nedges + 1, sizeof *bf->props);
		json_object_foreach(cats, k, v) {
			if (count_value(v, &bf->counts[i]) < 0)
				return "a category's count is not a count";
			ft_names_get(&bf->cats, k, strlen(k), 1);
			sum += bf->counts[i++];	/* each < 2^53: no wrap */
		}
		if (sum != bf->n)
			return "the categories' counts do not add up to 'n'";
		for (i = 0; i < bf->nedges; i++)
			bf->props[i] = bf->n ? (double)bf->counts[i] /
			    (double)bf->n : 0;
		return NULL;
	}
	if (strcmp(type, "numeric") != 0)
		return "'type' is neither 'numeric' nor 'category'";
	if (bf->n == 0) {	/* only nulls: one empty bin */
		bf->props = feat_xcalloc(1, sizeof *bf->props);
		return NULL;
	}
	if (get_num(o, "mean", &bf->mean, 0) < 0 ||
	    get_num(o, "std", &bf->std, 1) < 0 ||
	    get_num(o, "min", &bf->min, 0) < 0 ||
	    get_num(o, "max", &bf->max, 0) < 0)
		return "'mean', 'std', 'min' and 'max' must be numbers";
	if (bf->std < 0 || bf->min > bf->max || (bf->n >= 2 &&
	    isnan(bf->std)))
		return "'std' must be a number >= 0 (null below two values) "
		    "and 'min' at most 'max'";
	if (get_nums(json_object_get(o, "quantiles"), bf->q, FT_NQ) < 0)
		return "'quantiles' must be 101 ascending numbers";
	a = json_object_get(o, "edges");
	if (!json_is_array(a) || json_array_size(a) >= (size_t)bins)
		return "'edges' must be an array of fewer than 'bins' numbers";
	bf->nedges = json_array_size(a);
	bf->edges = feat_xmalloc((bf->nedges + 1) * sizeof *bf->edges);
	bf->props = feat_xmalloc((bf->nedges + 1) * sizeof *bf->props);
	if (get_nums(a, bf->edges, bf->nedges) < 0)
		return "'edges' must be ascending numbers";
	for (size_t i = 1; i < bf->nedges; i++)
		if (bf->edges[i] == bf->edges[i - 1])
			return "'edges' must not repeat";
	a = json_object_get(o, "proportions");
	if (!json_is_array(a) || json_array_size(a) != bf->nedges + 1)
		return "'proportions' must hold one number per bin";
	for (size_t i = 0; i <= bf->nedges; i++) {
		json_t *v = json_array_get(a, i);

		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1)
			return "a proportion is not a number in [0, 1]";
		bf->props[i] = json_number_value(v);
		sum += bf->props[i];
	}
	if (fabs(sum - 1) > 1e-9)
		return "the proportions do not add up to 1";
	return NULL;
}

struct ft_baseline *
ft_baseline_load(const char *path, char *err, size_t errlen)
{
	struct ft_baseline *b;
	json_error_t je;
	json_t *root, *fs, *v;
	const char *name, *why;
	uint64_t bins;

	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_INT_AS_REAL, &je)) == NULL) {
		snprintf(err, errlen, "cannot read baseline '%s': %s", path,
		    je.text);
		return NULL;
	}
	b = feat_xcalloc(1, sizeof *b);
	ft_names_init(&b->names);
	v = json_object_get(root, "feat_baseline");
	fs = json_object_get(root, "features");
	if (!json_is_number(v) || json_number_value(v) != 1 ||
	    !json_is_object(fs)) {
		snprintf(err, errlen, "'%s' is not a baseline of feat-drift "
		    "fit (version 1)", path);
		goto fail;
	}
	if (get_count(root, "bins", &bins) < 0 || bins < 2 || bins > 1000) {
		snprintf(err, errlen, "'%s': 'bins' must be 2 to 1000", path);
		goto fail;
	}
	b->bins = (int)bins;
	if (get_count(root, "records", &b->records) < 0) {
		snprintf(err, errlen, "'%s': 'records' must be a count", path);
		goto fail;
	}
	b->f = feat_xcalloc(json_object_size(fs) + 1, sizeof *b->f);
	json_object_foreach(fs, name, v) {
		struct ft_base_feature *bf = &b->f[b->n];

		ft_names_get(&b->names, name, strlen(name), 1);
		b->n++;
		bf->name = feat_xstrdup(name);
		if ((why = load_feature(bf, v, b->bins)) != NULL) {
			snprintf(err, errlen, "'%s': feature '%.100s': %s",
			    path, name, why);
			goto fail;
		}
	}
	json_decref(root);
	return b;
fail:
	json_decref(root);
	ft_baseline_free(b);
	return NULL;
}
