/*
 * drift-run.c - feat-drift's two stages: fit (feature records in, one
 * baseline document out at the end of input) and check (feature records
 * in, one result line per feature and evaluation out), see feat-drift(1).
 *
 * Both read the values of each feature by its name as written: catalog
 * ids are turned into names once per distinct name, so that the work per
 * value is one hash lookup.  A catalog feature's type says how its values
 * are read (category: strings; vector: not read; else numbers, numeric
 * strings and 0/1); a feature the catalog does not know takes the type of
 * its first non-null value, so that feat-window's general form (-w, any
 * feature names) can be fitted and checked too.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "drift-private.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum kind { K_UNKNOWN, K_NUMERIC, K_CATEGORY, K_SKIP };

/*
 * Which kind of feature a name is: its canonical name into *canon (a
 * catalog name, or the name as written).  kind K_UNKNOWN: not in the
 * catalog, decided by the first value.
 */
static enum kind
resolve(const feat_catalog *cat, const char *name, size_t len,
    const char **canon, size_t *canonlen)
{
	const feat_catalog_feature *f = NULL;
	char buf[256];
	const char *type;

	*canon = name;
	*canonlen = len;
	if (cat == NULL || len >= sizeof buf)
		return K_UNKNOWN;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if ((f = feat_catalog_find(cat, buf)) == NULL)
		return K_UNKNOWN;
	*canon = feat_catalog_feature_name(f);
	*canonlen = strlen(*canon);
	type = feat_catalog_feature_type(f);
	if (strcmp(type, "category") == 0)
		return K_CATEGORY;
	if (strncmp(type, "vector", 6) == 0)
		return K_SKIP;
	return K_NUMERIC;
}

/* A numeric feature's value as a double: 0 and *d, or -1 for another type
   (null included). */
static int
numeric_value(const struct feat_value *v, double *d)
{
	const char *start;
	size_t tlen;
	int json_ok;

	switch (v->type) {
	case FEAT_VALUE_NUMBER:
	case FEAT_VALUE_BOOL:
		*d = v->number;
		return 0;
	case FEAT_VALUE_STRING:		/* numeric strings (SPEC 2) */
		if (ft_num_parse(v->text, v->len, d, &start, &tlen,
		    &json_ok) == FT_NUM_OK)
			return 0;
		return -1;
	default:
		return -1;
	}
}

static int
bad_record(feat_record_reader *rr, const struct feat_line *line,
    const feat_record **r, struct feat_error *e)
{
	return feat_record_read(rr, line->text, line->len, r, e);
}

/* ---- fit ------------------------------------------------------------------------ */

struct fit_acc {
	enum kind kind;
	struct ft_values vals;
	struct ft_moments m;
	struct ft_names cats;
	uint64_t *counts;
	uint64_t nulls;
};

struct feat_fitter {
	struct feat_drift_fit_opts o;
	feat_record_reader *rr;
	struct ft_names raw;		/* names as written */
	long *raw_acc;			/* -> index in acc */
	struct ft_names names;		/* canonical names */
	struct fit_acc *acc;
	size_t acc_cap;
	uint64_t records, ignored, too_many;
	char ignored_name[80];
	int stopped, written;
};

feat_fitter *
feat_fitter_new(const struct feat_drift_fit_opts *o)
{
	feat_fitter *f = feat_xcalloc(1, sizeof *f);

	f->o = *o;
	if (f->o.bins == 0)
		f->o.bins = FEAT_DRIFT_BINS_DEFAULT;
	f->rr = feat_record_reader_new(o->time_unit);
	ft_names_init(&f->raw);
	ft_names_init(&f->names);
	return f;
}

void
feat_fitter_free(feat_fitter *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->names.n; i++) {
		ft_values_free(&f->acc[i].vals);
		ft_names_free(&f->acc[i].cats);
		free(f->acc[i].counts);
	}
	free(f->acc);
	free(f->raw_acc);
	ft_names_free(&f->raw);
	ft_names_free(&f->names);
	feat_record_reader_free(f->rr);
	free(f);
}

static struct fit_acc *
fit_acc(feat_fitter *f, const struct feat_value *v)
{
	long r = ft_names_get(&f->raw, v->name, v->namelen, 0);

	if (r < 0 && f->raw.n >= FT_MAX_NAMES) {
		f->too_many++;
		return NULL;
	}
	if (r < 0) {
		const char *canon;
		size_t clen;
		enum kind k = resolve(f->o.catalog, v->name, v->namelen,
		    &canon, &clen);
		long a = ft_names_get(&f->names, canon, clen, 1);

		if ((size_t)a >= f->acc_cap) {
			size_t cap = f->acc_cap ? f->acc_cap * 2 : 16;

			f->acc = feat_xrealloc(f->acc, cap * sizeof *f->acc);
			memset(f->acc + f->acc_cap, 0, (cap - f->acc_cap) *
			    sizeof *f->acc);
			f->acc_cap = cap;
		}
		if (f->acc[a].kind == K_UNKNOWN)
			f->acc[a].kind = k;
		r = ft_names_get(&f->raw, v->name, v->namelen, 1);
		f->raw_acc = feat_xrealloc(f->raw_acc, f->raw.n *
		    sizeof *f->raw_acc);
		f->raw_acc[r] = a;
	}
	return &f->acc[f->raw_acc[r]];
}

static void
ignore(feat_fitter *f, const struct feat_value *v)
{
	if (f->ignored++ == 0)
		snprintf(f->ignored_name, sizeof f->ignored_name, "%.*s",
		    (int)(v->namelen > 64 ? 64 : v->namelen), v->name);
}

static int
fit_line(void *ctx, const struct feat_line *line, struct feat_error *e)
{
	feat_fitter *f = ctx;
	const feat_record *r;
	struct feat_value v;
	double d;

	if (bad_record(f->rr, line, &r, e) < 0)
		return -1;
	f->records++;
	for (size_t i = 0; feat_record_feature(f->rr, r, i, &v) == 0; i++) {
		struct fit_acc *a = fit_acc(f, &v);

		if (a == NULL)
			continue;
		if (v.type == FEAT_VALUE_NULL) {
			a->nulls++;
			continue;
		}
		if (a->kind == K_UNKNOWN) {
			/* 1e400 is a number too large, not a vector. */
			if (v.type == FEAT_VALUE_STRING)
				a->kind = K_CATEGORY;
			else if (v.type == FEAT_VALUE_VECTOR)
				a->kind = K_SKIP;
			else if (v.type != FEAT_VALUE_OTHER || v.text)
				a->kind = K_NUMERIC;
			else {		/* an object: undecided still */
				ignore(f, &v);
				continue;
			}
		}
		if (a->kind == K_NUMERIC) {
			if (numeric_value(&v, &d) < 0) {
				ignore(f, &v);
				continue;
			}
			ft_values_add(&a->vals, d);
			ft_moments_add(&a->m, d);
		} else if (a->kind == K_CATEGORY) {
			size_t before;
			long c;

			if (v.type != FEAT_VALUE_STRING) {
				ignore(f, &v);
				continue;
			}
			if (a->cats.seed == 0)
				ft_names_init(&a->cats);
			before = a->cats.n;
			c = ft_names_get(&a->cats, v.text, v.len, 1);
			if (a->cats.n > before && c % 16 == 0) {
				a->counts = feat_xrealloc(a->counts,
				    ((size_t)c + 16) * sizeof *a->counts);
				memset(a->counts + c, 0, 16 *
				    sizeof *a->counts);
			}
			a->counts[c]++;
			a->m.n++;
		}
	}
	return 0;
}

struct named {
	const char *name;
	size_t len, idx;
};

static int
cmp_name(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Indexes of m's names in byte order (free it). */
static size_t *
sorted_names(const struct ft_names *m)
{
	struct named *v = feat_xmalloc((m->n ? m->n : 1) * sizeof *v);
	size_t *ix = feat_xmalloc((m->n ? m->n : 1) * sizeof *ix);

	for (size_t i = 0; i < m->n; i++) {
		v[i].name = m->names[i];
		v[i].len = m->lens[i];
		v[i].idx = i;
	}
	qsort(v, m->n, sizeof *v, cmp_name);
	for (size_t i = 0; i < m->n; i++)
		ix[i] = v[i].idx;
	free(v);
	return ix;
}

#define KEY(w, k) feat_writer_key((w), (k), sizeof(k) - 1)

static void
write_doubles(feat_writer *w, const double *x, size_t n)
{
	feat_writer_open_array(w);
	for (size_t i = 0; i < n; i++)
		feat_writer_double(w, x[i]);
	feat_writer_close_array(w);
}

static void
fit_write_feature(feat_fitter *f, struct fit_acc *a)
{
	feat_writer *w = f->o.out;

	feat_writer_open_object(w);
	KEY(w, "type");
	if (a->kind == K_CATEGORY) {
		size_t *ix = sorted_names(&a->cats);

		feat_writer_string(w, "category", 8);
		KEY(w, "n");
		feat_writer_int(w, (int64_t)a->m.n);
		KEY(w, "nulls");
		feat_writer_int(w, (int64_t)a->nulls);
		KEY(w, "categories");
		feat_writer_open_object(w);
		for (size_t i = 0; i < a->cats.n; i++) {
			feat_writer_key(w, a->cats.names[ix[i]],
			    a->cats.lens[ix[i]]);
			feat_writer_int(w, (int64_t)a->counts[ix[i]]);
		}
		feat_writer_close_object(w);
		free(ix);
	} else {
		struct ft_base_feature bf = { 0 };
		size_t n;
		double *x = ft_values_take(&a->vals, &n);

		feat_writer_string(w, "numeric", 7);
		KEY(w, "n");
		feat_writer_int(w, (int64_t)n);
		KEY(w, "nulls");
		feat_writer_int(w, (int64_t)a->nulls);
		if (n > 0) {
			ft_sort_doubles(x, n);
			ft_base_fit(&bf, x, n, f->o.bins, &a->m);
			KEY(w, "mean");
			feat_writer_double(w, bf.mean);
			KEY(w, "std");
			feat_writer_double(w, bf.std);	/* null below 2 */
			KEY(w, "min");
			feat_writer_double(w, bf.min);
			KEY(w, "max");
			feat_writer_double(w, bf.max);
			KEY(w, "quantiles");
			write_doubles(w, bf.q, FT_NQ);
			KEY(w, "edges");
			write_doubles(w, bf.edges, bf.nedges);
			KEY(w, "proportions");
			write_doubles(w, bf.props, bf.nedges + 1);
			ft_base_feature_free(&bf);
		}
		free(x);
	}
	feat_writer_close_object(w);
}

static int
fit_finish(void *ctx, int stopped, struct feat_error *e)
{
	feat_fitter *f = ctx;
	feat_writer *w = f->o.out;
	size_t *ix;

	if (stopped) {	/* a baseline of part of the input is no baseline */
		f->stopped = 1;
		e->code = FEAT_ERR_IO;
		snprintf(e->reason, sizeof e->reason, "stopped after %" PRIu64
		    " record%s: no baseline written", f->records,
		    f->records == 1 ? "" : "s");
		return -1;
	}
	ix = sorted_names(&f->names);
	feat_writer_open_object(w);
	KEY(w, "feat_baseline");
	feat_writer_int(w, 1);
	KEY(w, "bins");
	feat_writer_int(w, f->o.bins);
	KEY(w, "records");
	feat_writer_int(w, (int64_t)f->records);
	KEY(w, "features");
	feat_writer_open_object(w);
	for (size_t i = 0; i < f->names.n; i++) {
		struct fit_acc *a = &f->acc[ix[i]];

		if (a->kind == K_SKIP)
			continue;
		feat_writer_key(w, f->names.names[ix[i]],
		    f->names.lens[ix[i]]);
		fit_write_feature(f, a);
	}
	feat_writer_close_object(w);
	feat_writer_close_object(w);
	free(ix);
	if (feat_writer_end_record(w) < 0) {
		e->code = FEAT_ERR_OUTPUT;
		snprintf(e->reason, sizeof e->reason, "cannot write output: "
		    "%s", feat_writer_error(w));
		return -1;
	}
	f->written = 1;
	return 0;
}

static void
fit_summary(void *ctx)
{
	feat_fitter *f = ctx;
	size_t n = 0;

	for (size_t i = 0; i < f->names.n; i++)
		n += f->acc[i].kind != K_SKIP;
	if (f->written)
		feat_warn("baseline of %zu feature%s from %" PRIu64
		    " record%s", n, n == 1 ? "" : "s", f->records,
		    f->records == 1 ? "" : "s");
	else if (!f->stopped)
		feat_warn("no baseline written");
	if (f->too_many)
		feat_warn("%" PRIu64 " value%s of features past the first %d "
		    "names ignored", f->too_many, f->too_many == 1 ? "" : "s",
		    FT_MAX_NAMES);
	if (f->ignored)
		feat_warn("%" PRIu64 " value%s of another type than the "
		    "feature's ignored (the first in '%s')", f->ignored,
		    f->ignored == 1 ? "" : "s", f->ignored_name);
}

void
feat_fitter_stage(feat_fitter *f, struct feat_tool_stage *st)
{
	(void)f;
	memset(st, 0, sizeof *st);
	st->line = fit_line;
	st->finish = fit_finish;
	st->summary = fit_summary;
}

/* ---- check ----------------------------------------------------------------------- */

struct cur {
	double *v;			/* numeric values of this evaluation */
	size_t n, cap;
	uint64_t *counts;		/* categories (+ unseen) */
	uint64_t ncat;
	int64_t newest;			/* newest ts among them */
	struct ft_drift d;		/* the last evaluation */
	struct ft_drift best;		/* the report's: most severe, latest */
	struct ft_thresholds t;		/* the catalog's, else SPEC 6's */
	int64_t best_ts;
	int has_best, metrics;
};

struct feat_checker {
	struct feat_drift_check_opts o;
	struct ft_baseline *b;
	feat_record_reader *rr;
	struct cur *cur;
	struct ft_names raw;
	long *raw_idx;			/* raw name -> baseline index, -1 */
	int64_t window_ts;		/* --per-window: the open one */
	int has_window;
	uint64_t records, evaluations, no_verdict, ignored, failed;
	int64_t metrics_at;
	int metrics_dirty;
};

int
feat_drift_severity(const char *s)
{
	return ft_severity_parse(s);
}

feat_checker *
feat_checker_new(const struct feat_drift_check_opts *o,
    struct feat_error *err)
{
	feat_checker *c;
	struct ft_baseline *b;

	if ((b = ft_baseline_load(o->baseline, err->reason,
	    sizeof err->reason)) == NULL) {
		err->code = FEAT_ERR_USAGE;
		return NULL;
	}
	c = feat_xcalloc(1, sizeof *c);
	c->o = *o;
	if (c->o.min_samples == 0)
		c->o.min_samples = FEAT_DRIFT_MIN_SAMPLES_DEFAULT;
	c->b = b;
	c->rr = feat_record_reader_new(o->time_unit);
	c->cur = feat_xcalloc(b->n + 1, sizeof *c->cur);
	for (size_t i = 0; i < b->n; i++) {
		const feat_catalog_feature *f = o->catalog ?
		    feat_catalog_find(o->catalog, b->f[i].name) : NULL;

		ft_thresholds_of(&c->cur[i].t, f);
		c->cur[i].newest = INT64_MIN;
		if (b->f[i].categorical)
			c->cur[i].counts = feat_xcalloc(b->f[i].nedges + 1,
			    sizeof *c->cur[i].counts);
	}
	ft_names_init(&c->raw);
	return c;
}

void
feat_checker_free(feat_checker *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->b->n; i++) {
		free(c->cur[i].v);
		free(c->cur[i].counts);
		free(c->cur[i].d.actual);
		free(c->cur[i].best.actual);
	}
	free(c->cur);
	free(c->raw_idx);
	ft_names_free(&c->raw);
	ft_baseline_free(c->b);
	feat_record_reader_free(c->rr);
	free(c);
}

static void
prom_label(struct ft_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			ft_buf_addc(b, '\\');
		if (s[i] == '\n') {
			ft_buf_add(b, "\\n", 2);
			continue;
		}
		ft_buf_addc(b, s[i]);
	}
}

static void
prom_value(struct ft_buf *b, double v)
{
	char num[32];

	if (isnan(v))
		ft_buf_add(b, "NaN", 3);
	else if (isinf(v))
		ft_buf_add(b, v > 0 ? "+Inf" : "-Inf", 4);
	else
		ft_buf_add(b, num, feat_fmt_double(v, num));
	ft_buf_addc(b, '\n');
}

static int
write_metrics(feat_checker *c, char *err, size_t errlen)
{
	static const struct {
		const char *name, *help;
	} gauges[] = {
		{ "feat_drift_psi", "Population stability index of the "
		    "feature's last evaluation." },
		{ "feat_drift_z", "|mean_cur - mean_base| / std_base of the "
		    "feature's last evaluation." },
		{ "feat_drift_severity", "Severity of the feature's last "
		    "evaluation: 0 none, 1 low, 2 medium, 3 high, 4 critical "
		    "(NaN: no verdict)." },
		{ "feat_drift_ks_p", "KS p-value of the feature's last "
		    "evaluation." },
		{ "feat_drift_samples", "Values in the feature's last "
		    "evaluation." }
	};
	struct ft_buf b = { 0 };
	int rc;

	if (c->o.metrics_path == NULL)
		return 0;
	ft_buf_printf(&b, "# HELP feat_drift_records_total Feature records "
	    "read.\n# TYPE feat_drift_records_total counter\n"
	    "feat_drift_records_total %" PRIu64 "\n", c->records);
	ft_buf_printf(&b, "# HELP feat_drift_evaluations_total Evaluations "
	    "written.\n# TYPE feat_drift_evaluations_total counter\n"
	    "feat_drift_evaluations_total %" PRIu64 "\n", c->evaluations);
	for (size_t g = 0; g < sizeof gauges / sizeof gauges[0]; g++) {
		ft_buf_printf(&b, "# HELP %s %s\n# TYPE %s gauge\n",
		    gauges[g].name, gauges[g].help, gauges[g].name);
		for (size_t i = 0; i < c->b->n; i++) {
			const struct ft_drift *d = &c->cur[i].d;
			double v;

			if (!c->cur[i].metrics)
				continue;
			ft_buf_printf(&b, "%s{feature=\"", gauges[g].name);
			prom_label(&b, c->b->f[i].name,
			    strlen(c->b->f[i].name));
			ft_buf_add(&b, "\"} ", 3);
			switch (g) {
			case 0: v = d->psi; break;
			case 1: v = d->z; break;
			case 2: v = d->verdict ? d->severity : NAN; break;
			case 3: v = d->ks_p; break;
			default: v = (double)d->n; break;
			}
			prom_value(&b, v);
		}
	}
	rc = ft_write_file(c->o.metrics_path, b.p, b.len, err, errlen);
	ft_buf_free(&b);
	c->metrics_at = feat_clock_mono();
	c->metrics_dirty = 0;
	return rc;
}

static void
copy_drift(struct ft_drift *to, const struct ft_drift *from)
{
	double *actual = feat_xrealloc(to->actual, (from->nbins ?
	    from->nbins : 1) * sizeof *actual);

	*to = *from;
	to->actual = actual;
	memcpy(actual, from->actual, from->nbins * sizeof *actual);
}

static int
evaluate(feat_checker *c, size_t i, struct feat_error *e)
{
	const struct ft_base_feature *bf = &c->b->f[i];
	struct cur *u = &c->cur[i];
	struct ft_drift *d = &u->d;
	feat_writer *w = c->o.out;
	uint64_t n = bf->categorical ? u->ncat : u->n;

	if (n == 0)
		return 0;
	if (bf->categorical)
		ft_drift_categorical(bf, u->counts, n, c->o.min_samples,
		    &u->t, d);
	else
		ft_drift_numeric(bf, u->v, n, c->o.min_samples, &u->t, d);
	feat_writer_open_object(w);
	KEY(w, "feature");
	feat_writer_string(w, bf->name, strlen(bf->name));
	KEY(w, "n");
	feat_writer_int(w, (int64_t)n);
	KEY(w, "psi");
	feat_writer_double(w, d->psi);
	KEY(w, "z");
	feat_writer_double(w, d->z);
	KEY(w, "ks");
	feat_writer_double(w, d->ks);
	KEY(w, "ks_p");
	feat_writer_double(w, d->ks_p);
	KEY(w, "std_ratio");
	feat_writer_double(w, d->std_ratio);
	KEY(w, "baseline_mean");
	feat_writer_double(w, d->base_mean);
	KEY(w, "current_mean");
	feat_writer_double(w, d->cur_mean);
	KEY(w, "drift");
	if (d->verdict)
		feat_writer_string(w, ft_drift_names[d->drift],
		    strlen(ft_drift_names[d->drift]));
	else
		feat_writer_null(w);
	KEY(w, "severity");
	if (d->verdict)
		feat_writer_string(w, ft_severity_names[d->severity],
		    strlen(ft_severity_names[d->severity]));
	else
		feat_writer_null(w);
	KEY(w, "ts");
	feat_writer_time(w, u->newest);
	feat_writer_close_object(w);
	if (feat_writer_end_record(w) < 0) {
		e->code = FEAT_ERR_OUTPUT;
		snprintf(e->reason, sizeof e->reason, "cannot write output: "
		    "%s", feat_writer_error(w));
		return -1;
	}
	c->evaluations++;
	u->metrics = 1;
	if (!d->verdict)
		c->no_verdict++;
	else if (c->o.fail_on > 0 && (int)d->severity >= c->o.fail_on)
		c->failed++;
	/* The report shows each feature's most severe evaluation with a
	   verdict (the latest of equals), else its latest. */
	if (!u->has_best || (d->verdict && (!u->best.verdict ||
	    d->severity >= u->best.severity)) || (!d->verdict &&
	    !u->best.verdict)) {
		copy_drift(&u->best, d);
		u->best_ts = u->newest;
		u->has_best = 1;
	}
	u->n = 0;
	u->ncat = 0;
	if (u->counts)
		memset(u->counts, 0, (bf->nedges + 1) * sizeof *u->counts);
	u->newest = INT64_MIN;
	c->metrics_dirty = 1;
	return 0;
}

static long
check_index(feat_checker *c, const struct feat_value *v)
{
	long r = ft_names_get(&c->raw, v->name, v->namelen, 0);

	if (r < 0) {
		const char *canon;
		size_t clen;
		const struct ft_base_feature *bf;

		resolve(c->o.catalog, v->name, v->namelen, &canon, &clen);
		bf = ft_baseline_find(c->b, canon, clen);
		if (c->raw.n >= FT_MAX_NAMES)	/* not cached */
			return bf ? (long)(bf - c->b->f) : -1;
		r = ft_names_get(&c->raw, v->name, v->namelen, 1);
		c->raw_idx = feat_xrealloc(c->raw_idx, c->raw.n *
		    sizeof *c->raw_idx);
		c->raw_idx[r] = bf ? (long)(bf - c->b->f) : -1;
	}
	return c->raw_idx[r];
}

static int
evaluate_all(feat_checker *c, struct feat_error *e)
{
	for (size_t i = 0; i < c->b->n; i++)
		if (evaluate(c, i, e) < 0)
			return -1;
	return 0;
}

/* The metrics of the evaluations made, at most once a second while
   records come and at once when the input goes quiet. */
static void
maybe_metrics(feat_checker *c, int now)
{
	char err[512];

	if (c->o.metrics_path == NULL || !c->metrics_dirty ||
	    (!now && feat_clock_mono() - c->metrics_at < FEAT_NS_PER_S))
		return;
	/* Said now; the end of the run makes it exit 4. */
	if (write_metrics(c, err, sizeof err) < 0)
		feat_warn("%s", err);
}

static int
check_idle(void *ctx, struct feat_error *e)
{
	(void)e;
	maybe_metrics(ctx, 1);
	return 0;
}

static int
check_line(void *ctx, const struct feat_line *line, struct feat_error *e)
{
	feat_checker *c = ctx;
	const struct feat_record_head *h;
	const feat_record *r;
	struct feat_value v;
	double d;

	if (bad_record(c->rr, line, &r, e) < 0)
		return -1;
	c->records++;
	maybe_metrics(c, 0);
	h = feat_record_get_head(r);
	if (h->tombstone)
		return 0;
	if (c->o.per_window) {
		if (c->has_window && h->ts != c->window_ts &&
		    evaluate_all(c, e) < 0)
			return -1;
		c->window_ts = h->ts;
		c->has_window = 1;
	}
	for (size_t i = 0; feat_record_feature(c->rr, r, i, &v) == 0; i++) {
		long k = check_index(c, &v);
		const struct ft_base_feature *bf;
		struct cur *u;

		if (k < 0 || v.type == FEAT_VALUE_NULL)
			continue;
		bf = &c->b->f[k];
		u = &c->cur[k];
		if (bf->categorical) {
			long ci;

			if (v.type != FEAT_VALUE_STRING) {
				c->ignored++;
				continue;
			}
			ci = ft_names_get(&((struct ft_base_feature *)bf)->cats,
			    v.text, v.len, 0);
			u->counts[ci < 0 ? bf->nedges : (size_t)ci]++;
			u->ncat++;
		} else {
			if (numeric_value(&v, &d) < 0) {
				c->ignored++;
				continue;
			}
			if (u->n == u->cap) {
				u->cap = u->cap ? u->cap * 2 : 1024;
				if (c->o.every && u->cap > c->o.every)
					u->cap = c->o.every;
				u->v = feat_xrealloc(u->v, u->cap *
				    sizeof *u->v);
			}
			u->v[u->n++] = d;
		}
		if (h->ts > u->newest)
			u->newest = h->ts;
		if (c->o.every && (bf->categorical ? u->ncat : u->n) >=
		    c->o.every && evaluate(c, (size_t)k, e) < 0)
			return -1;
	}
	return 0;
}

static int
check_finish(void *ctx, int stopped, struct feat_error *e)
{
	feat_checker *c = ctx;
	struct ft_report_item *items;
	size_t n = 0;
	int rc = 0;

	(void)stopped;
	if (evaluate_all(c, e) < 0)
		return -1;
	if (write_metrics(c, e->reason, sizeof e->reason) < 0) {
		e->code = FEAT_ERR_IO;
		return -1;
	}
	if (c->o.report_path == NULL)
		return 0;
	items = feat_xcalloc(c->b->n + 1, sizeof *items);
	for (size_t i = 0; i < c->b->n; i++)
		if (c->cur[i].has_best) {
			items[n].bf = &c->b->f[i];
			items[n].d = &c->cur[i].best;
			items[n].ts = c->cur[i].best_ts;
			n++;
		}
	if (ft_report_write(c->o.report_path, items, n, c->o.clock ?
	    feat_clock_now(c->o.clock) : INT64_MIN, e->reason,
	    sizeof e->reason) < 0) {
		e->code = FEAT_ERR_IO;
		rc = -1;
	}
	free(items);
	return rc;
}

static void
check_summary(void *ctx)
{
	feat_checker *c = ctx;

	feat_warn("%" PRIu64 " evaluation%s of %" PRIu64 " record%s%s",
	    c->evaluations, c->evaluations == 1 ? "" : "s", c->records,
	    c->records == 1 ? "" : "s", c->failed ? "" : "");
	if (c->no_verdict)
		feat_warn("%" PRIu64 " evaluation%s without a verdict: fewer "
		    "than --min-samples %" PRIu64 " values", c->no_verdict,
		    c->no_verdict == 1 ? "" : "s", c->o.min_samples);
	if (c->ignored)
		feat_warn("%" PRIu64 " value%s of another type than the "
		    "baseline's ignored", c->ignored,
		    c->ignored == 1 ? "" : "s");
	if (c->failed)
		feat_warn("%" PRIu64 " evaluation%s at or above --fail-on "
		    "%s", c->failed, c->failed == 1 ? "" : "s",
		    ft_severity_names[c->o.fail_on]);
}

static int
check_negative(void *ctx)
{
	return ((feat_checker *)ctx)->failed > 0;
}

void
feat_checker_stage(feat_checker *c, struct feat_tool_stage *st)
{
	memset(st, 0, sizeof *st);
	st->line = check_line;
	st->finish = check_finish;
	st->summary = check_summary;
	st->negative = check_negative;
	st->idle_ns = c->o.metrics_path ? FEAT_NS_PER_S : 0;
	st->idle = c->o.metrics_path ? check_idle : NULL;
}
