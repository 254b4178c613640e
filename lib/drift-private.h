/*
 * drift-private.h - baselines and the drift tests of SPEC 6 (drift.c),
 * shared by feat-drift's stages, feat-validate's outliers (validate.c),
 * the HTML report (report.c) and the unit tests.
 */
#ifndef DRIFT_PRIVATE_H
#define DRIFT_PRIVATE_H

#include "feat-private.h"

#define FT_NQ 101		/* the quantiles q0 ... q100 */
#define FT_PSI_FLOOR 1e-4	/* proportions are floored at this */
/* The most distinct feature names a run keeps apart (a record's names
   are a schema, not a key space): past them values are ignored (fit) or
   names looked up without a cache (check, validate). */
#define FT_MAX_NAMES 65536

/* One feature's baseline: what feat-drift fit writes and check reads. */
struct ft_base_feature {
	char *name;
	int categorical;
	uint64_t n, nulls;
	/* numeric: */
	double mean, std, min, max;	/* std: NAN below two values */
	double q[FT_NQ];
	size_t nedges;
	double *edges;			/* the bin edges, ascending */
	double *props;			/* nedges + 1 proportions, floored */
	/* categorical: */
	struct ft_names cats;
	uint64_t *counts;		/* per category */
};
struct ft_baseline {
	int bins;
	uint64_t records;
	size_t n;
	struct ft_base_feature *f;
	struct ft_names names;		/* feature name -> index in f */
};

/* Fits a numeric feature from its sorted values and their moments. */
void ft_base_fit(struct ft_base_feature *bf, const double *sorted, size_t n,
    int bins, const struct ft_moments *m);
void ft_base_feature_free(struct ft_base_feature *bf);
/* The bin of x: how many edges are <= x (bins are left-closed). */
size_t ft_bin_of(const struct ft_base_feature *bf, double x);
/*
 * PSI of counts[0, nbins) (n in all) against the floored proportions
 * expected[]; the floored current proportions go to actual (may be NULL).
 */
double ft_psi(const double *expected, const uint64_t *counts, size_t nbins,
    uint64_t n, double *actual);
/* KS D of sorted cur[0, n) against the piecewise-linear CDF through
   (q[k], k/100). */
double ft_ks_d(const double *q, const double *cur, size_t n);
/* Q(sqrt(n_e) D), n_e = n_cur n_base / (n_cur + n_base). */
double ft_ks_p(double d, uint64_t n_cur, uint64_t n_base);

enum ft_severity {
	FT_SEV_NONE, FT_SEV_LOW, FT_SEV_MEDIUM, FT_SEV_HIGH, FT_SEV_CRITICAL
};
enum ft_drift_kind {
	FT_DRIFT_NONE, FT_DRIFT_MEAN, FT_DRIFT_DISTRIBUTION, FT_DRIFT_VARIANCE
};
extern const char *const ft_severity_names[];	/* "none" ... */
extern const char *const ft_drift_names[];
/* "none", "low", ...: the severity, or -1. */
int ft_severity_parse(const char *s);

/* The thresholds of SPEC 6, which a feature's catalog entry may change. */
struct ft_thresholds {
	double psi_medium, psi_high;
	double z_medium, z_high, z_critical;
	double ks_p;
	double std_ratio_min, std_ratio_max;
	double min_samples;		/* < 0: the tool's --min-samples */
};
/* The defaults, then what the catalog feature f (may be NULL) sets. */
void ft_thresholds_of(struct ft_thresholds *t, const feat_catalog_feature *f);

/* One evaluation of one feature. */
struct ft_drift {
	uint64_t n;
	double psi, z, ks, ks_p, std_ratio;	/* NAN: not defined */
	double base_mean, cur_mean;
	int verdict;			/* 0: fewer than min_samples */
	enum ft_drift_kind drift;
	enum ft_severity severity;
	size_t nbins;
	double *actual;			/* the current proportions per bin */
};
/* Sets drift and severity from the figures in d by the thresholds t
   (NULL: SPEC 6's) and SPEC 6's precedence; NAN figures reach no
   threshold. */
void ft_drift_judge(struct ft_drift *d, const struct ft_thresholds *t);
/*
 * Evaluates the numeric values cur[0, n) (sorted here) against bf; out's
 * actual (nbins = bf->nedges + 1) is (re)allocated.
 */
void ft_drift_numeric(const struct ft_base_feature *bf, double *cur,
    size_t n, uint64_t min_samples, const struct ft_thresholds *t,
    struct ft_drift *out);
/* The same for a categorical feature: counts per baseline category, then
   one for the unseen ones. */
void ft_drift_categorical(const struct ft_base_feature *bf,
    const uint64_t *counts, uint64_t n, uint64_t min_samples,
    const struct ft_thresholds *t, struct ft_drift *out);

/* Reads a baseline file (feat-drift(1)); NULL with err. */
struct ft_baseline *ft_baseline_load(const char *path, char *err,
    size_t errlen);
void ft_baseline_free(struct ft_baseline *b);
const struct ft_base_feature *ft_baseline_find(const struct ft_baseline *b,
    const char *name, size_t len);

/* The HTML report of feat-drift check --report (report.c). */
struct ft_report_item {
	const struct ft_base_feature *bf;
	const struct ft_drift *d;
	int64_t ts;
};
int ft_report_write(const char *path, const struct ft_report_item *items,
    size_t n, int64_t now, char *err, size_t errlen);

#endif /* DRIFT_PRIVATE_H */
