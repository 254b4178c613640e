/*
 * validate.c - feat-validate's stage (SPEC 6, feat-validate(1)): every
 * feature value of every record checked against its catalog entry, nulls
 * imputed with the catalog default (flagged), values 3 sigma away from a
 * baseline's mean flagged, clipped or rejected.
 *
 * A good record is written as it came, byte for byte, unless something
 * was imputed or flagged: then it is written member by member (numbers
 * keep their text) with the changed values and "_flags" at the end.  A
 * rejected record goes to --rejects with every violation listed in
 * "_error"; a problem with a value is never a bad line.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "drift-private.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum rule {
	R_UNKNOWN_FEATURE, R_WRONG_TYPE, R_NOT_FINITE, R_BELOW_MIN,
	R_ABOVE_MAX, R_VECTOR_LENGTH, R_NULL_NOT_ALLOWED, R_OUTLIER, R_COUNT
};
static const char *const rule_names[R_COUNT] = {
	"unknown_feature", "wrong_type", "not_finite", "below_min",
	"above_max", "vector_length", "null_not_allowed", "outlier"
};

enum vtype { T_FLOAT, T_INT, T_BOOL, T_CATEGORY, T_VECTOR };

/* What a feature name (as written) is: resolved once per distinct name. */
struct info {
	const feat_catalog_feature *f;	/* NULL: not in the catalog */
	const feat_catalog_group *g;
	enum vtype type;
	size_t veclen;
	int bounds;
	double min, max;
	int nullable, has_default;
	int outliers;			/* a baseline to compare with */
	double mean, std;
};

struct violation {
	const struct ft_jval *node;
	enum rule rule;
};
enum change_kind { C_IMPUTE, C_CLIP };
struct change {
	const struct ft_jval *node;
	const feat_catalog_feature *f;
	enum vtype type;
	enum change_kind kind;
	double value;			/* C_CLIP */
};

struct feat_validator {
	struct feat_validate_opts o;
	feat_record_reader *rr;
	struct ft_baseline *base;
	int rejects_fd;
	feat_writer *rejects;
	struct ft_names raw;
	struct info *info;
	size_t info_cap;
	struct info scratch;
	struct violation *viol;
	size_t nviol, viol_cap;
	struct change *chg;
	size_t nchg, chg_cap;
	uint64_t records, passed, rejected, tombstones, imputed, flagged,
	    clipped;
	uint64_t rules[R_COUNT];
};

feat_validator *
feat_validator_new(const struct feat_validate_opts *o, struct feat_error *err)
{
	feat_validator *v = feat_xcalloc(1, sizeof *v);

	v->o = *o;
	v->rejects_fd = -1;
	if (o->baseline && (v->base = ft_baseline_load(o->baseline,
	    err->reason, sizeof err->reason)) == NULL) {
		err->code = FEAT_ERR_USAGE;
		free(v);
		return NULL;
	}
	if (o->rejects) {
		v->rejects_fd = open(o->rejects, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0666);
		if (v->rejects_fd < 0) {
			err->code = FEAT_ERR_USAGE;
			snprintf(err->reason, sizeof err->reason, "cannot open "
			    "'%s': %s", o->rejects, strerror(errno));
			ft_baseline_free(v->base);
			free(v);
			return NULL;
		}
		v->rejects = feat_writer_new(v->rejects_fd, o->unbuffered);
	}
	v->rr = feat_record_reader_new(o->time_unit);
	ft_names_init(&v->raw);
	return v;
}

void
feat_validator_free(feat_validator *v)
{
	if (v == NULL)
		return;
	if (v->rejects)
		feat_writer_close(v->rejects);
	if (v->rejects_fd >= 0)
		close(v->rejects_fd);
	ft_baseline_free(v->base);
	feat_record_reader_free(v->rr);
	ft_names_free(&v->raw);
	free(v->info);
	free(v->viol);
	free(v->chg);
	free(v);
}

static void
resolve(feat_validator *v, struct info *in, const char *name, size_t len)
{
	const feat_catalog_feature *f;
	const struct ft_base_feature *bf;
	const char *type, *def;
	char buf[256];

	memset(in, 0, sizeof *in);
	if (len >= sizeof buf)
		return;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if ((f = feat_catalog_find(v->o.catalog, buf)) == NULL)
		return;
	in->f = f;
	in->g = feat_catalog_feature_group(f);
	type = feat_catalog_feature_type(f);
	in->type = strcmp(type, "int") == 0 ? T_INT :
	    strcmp(type, "bool") == 0 ? T_BOOL :
	    strcmp(type, "category") == 0 ? T_CATEGORY :
	    strncmp(type, "vector", 6) == 0 ? T_VECTOR : T_FLOAT;
	in->veclen = feat_catalog_feature_vector_len(f);
	in->bounds = feat_catalog_feature_range(f, &in->min, &in->max);
	in->nullable = feat_catalog_feature_nullable(f);
	def = feat_catalog_feature_default_text(f);
	in->has_default = def[0] != '\0' && strcmp(def, "null") != 0;
	if (v->base && (in->type == T_FLOAT || in->type == T_INT)) {
		const char *canon = feat_catalog_feature_name(f);

		bf = ft_baseline_find(v->base, canon, strlen(canon));
		if (bf && !bf->categorical && bf->n > 1 && bf->std >= 0) {
			in->outliers = 1;
			in->mean = bf->mean;
			in->std = bf->std;
		}
	}
}

static const struct info *
info_of(feat_validator *v, const char *name, size_t len)
{
	long i = ft_names_get(&v->raw, name, len, 0);

	if (i < 0 && v->raw.n >= FT_MAX_NAMES) {	/* not cached */
		resolve(v, &v->scratch, name, len);
		return &v->scratch;
	}
	if (i < 0) {
		i = ft_names_get(&v->raw, name, len, 1);
		if ((size_t)i >= v->info_cap) {
			v->info_cap = v->info_cap ? v->info_cap * 2 : 64;
			v->info = feat_xrealloc(v->info, v->info_cap *
			    sizeof *v->info);
		}
		resolve(v, &v->info[i], name, len);
	}
	return &v->info[i];
}

static void
violate(feat_validator *v, const struct ft_jval *node, enum rule r)
{
	if (v->nviol == v->viol_cap) {
		v->viol_cap = v->viol_cap ? v->viol_cap * 2 : 16;
		v->viol = feat_xrealloc(v->viol, v->viol_cap * sizeof *v->viol);
	}
	v->viol[v->nviol].node = node;
	v->viol[v->nviol].rule = r;
	v->nviol++;
}

static void
change(feat_validator *v, const struct ft_jval *node, const struct info *in,
    enum change_kind kind, double value)
{
	if (v->nchg == v->chg_cap) {
		v->chg_cap = v->chg_cap ? v->chg_cap * 2 : 16;
		v->chg = feat_xrealloc(v->chg, v->chg_cap * sizeof *v->chg);
	}
	v->chg[v->nchg].node = node;
	v->chg[v->nchg].f = in->f;
	v->chg[v->nchg].type = in->type;
	v->chg[v->nchg].kind = kind;
	v->chg[v->nchg].value = value;
	v->nchg++;
}

/* The range rules for one number; 1 when one was broken. */
static int
range(feat_validator *v, const struct ft_jval *node, const struct info *in,
    double d, int *below, int *above)
{
	if ((in->bounds & 1) && d < in->min) {
		if (!*below)
			violate(v, node, R_BELOW_MIN);
		*below = 1;
		return 1;
	}
	if ((in->bounds & 2) && d > in->max) {
		if (!*above)
			violate(v, node, R_ABOVE_MAX);
		*above = 1;
		return 1;
	}
	return 0;
}

static void
check_vector(feat_validator *v, const struct ft_json *j,
    const struct ft_jval *node, const struct info *in)
{
	int wrong = 0, inf = 0, below = 0, above = 0;
	const char *start;
	size_t tlen;
	int json_ok;
	double d;

	for (const struct ft_jval *e = ft_json_node(j, node->child); e;
	    e = ft_json_node(j, e->next)) {
		if (e->type != FT_JNUMBER) {
			wrong = 1;
			continue;
		}
		if (ft_num_parse(e->s, e->len, &d, &start, &tlen,
		    &json_ok) != FT_NUM_OK) {
			inf = 1;
			continue;
		}
		range(v, node, in, d, &below, &above);
	}
	if (wrong)
		violate(v, node, R_WRONG_TYPE);
	if (inf)
		violate(v, node, R_NOT_FINITE);
	if (node->count != in->veclen)
		violate(v, node, R_VECTOR_LENGTH);
}

static void
check_outlier(feat_validator *v, const struct ft_jval *node,
    const struct info *in, double d)
{
	double lo = in->mean - 3 * in->std, hi = in->mean + 3 * in->std;

	if (!(fabs(d - in->mean) > 3 * in->std))
		return;
	switch (v->o.outliers) {
	case FEAT_OUTLIERS_REJECT:
		violate(v, node, R_OUTLIER);
		break;
	case FEAT_OUTLIERS_FLAG:
		change(v, node, in, C_CLIP, NAN);	/* flagged, kept */
		break;
	case FEAT_OUTLIERS_CLIP:
		if (in->type == T_INT) {
			lo = ceil(lo);
			hi = floor(hi);
			if (lo > hi)	/* no integer within 3 sigma */
				lo = hi = round(in->mean);
		}
		if ((in->bounds & 1) && lo < in->min)
			lo = in->min;
		if ((in->bounds & 2) && hi > in->max)
			hi = in->max;
		change(v, node, in, C_CLIP, d < lo ? lo : d > hi ? hi : d);
		break;
	}
}

/* Checks one feature value; the violations and changes it causes. */
static void
check_value(feat_validator *v, const struct ft_json *j,
    const struct ft_jval *node, const struct info *in)
{
	const char *start;
	size_t tlen;
	int json_ok, below = 0, above = 0;
	double d;

	switch (node->type) {
	case FT_JNULL:
		if (in->nullable)
			return;
		if (v->o.impute && in->has_default)
			change(v, node, in, C_IMPUTE, 0);
		else
			violate(v, node, R_NULL_NOT_ALLOWED);
		return;
	case FT_JNUMBER:
		if (in->type == T_CATEGORY || in->type == T_VECTOR) {
			violate(v, node, R_WRONG_TYPE);
			return;
		}
		if (ft_num_parse(node->s, node->len, &d, &start, &tlen,
		    &json_ok) != FT_NUM_OK) {
			violate(v, node, R_NOT_FINITE);
			return;
		}
		if ((in->type == T_INT && d != floor(d)) ||
		    (in->type == T_BOOL && d != 0 && d != 1)) {
			violate(v, node, R_WRONG_TYPE);
			return;
		}
		if (range(v, node, in, d, &below, &above))
			return;
		if (in->outliers)
			check_outlier(v, node, in, d);
		return;
	case FT_JSTRING:
		if (in->type != T_CATEGORY)
			violate(v, node, R_WRONG_TYPE);
		return;
	case FT_JARRAY:
		if (in->type != T_VECTOR)
			violate(v, node, R_WRONG_TYPE);
		else
			check_vector(v, j, node, in);
		return;
	default:		/* true, false, an object */
		violate(v, node, R_WRONG_TYPE);
		return;
	}
}

#define KEY(w, k) feat_writer_key((w), (k), sizeof(k) - 1)

static int
write_reject(feat_validator *v, const struct feat_line *line,
    const struct ft_json *j, struct feat_error *e)
{
	feat_writer *w = v->rejects;
	const struct ft_jval *root = ft_json_node(j, 1);

	if (w == NULL)
		return 0;
	feat_writer_open_object(w);
	for (const struct ft_jval *m = ft_json_node(j, root->child); m;
	    m = ft_json_node(j, m->next)) {
		if (m->keylen == 6 && memcmp(m->key, "_error", 6) == 0)
			continue;
		feat_writer_key(w, m->key, m->keylen);
		ft_json_write(w, j, m);
	}
	KEY(w, "_error");
	feat_writer_open_object(w);
	KEY(w, "file");
	{
		/* A file name is bytes: invalid UTF-8 as \u00XX, as the
		   quarantine writes it. */
		const char *fn = line->file ? line->file : "<stdin>";
		struct ft_buf q = { 0 };

		ft_json_quote_raw(&q, fn, strlen(fn));
		feat_writer_number(w, q.p, q.len);
		ft_buf_free(&q);
	}
	KEY(w, "line");
	feat_writer_int(w, (int64_t)line->lineno);
	KEY(w, "violations");
	feat_writer_open_array(w);
	for (size_t i = 0; i < v->nviol; i++) {
		const struct violation *x = &v->viol[i];

		feat_writer_open_object(w);
		KEY(w, "feature");
		feat_writer_string(w, x->node->key, x->node->keylen);
		KEY(w, "rule");
		feat_writer_string(w, rule_names[x->rule],
		    strlen(rule_names[x->rule]));
		KEY(w, "value");
		ft_json_write(w, j, x->node);
		feat_writer_close_object(w);
	}
	feat_writer_close_array(w);
	feat_writer_close_object(w);
	feat_writer_close_object(w);
	if (feat_writer_end_record(w) < 0) {
		e->code = FEAT_ERR_IO;
		snprintf(e->reason, sizeof e->reason, "cannot write '%s': %s",
		    v->o.rejects, feat_writer_error(w));
		return -1;
	}
	return 0;
}

static const struct change *
changed(const feat_validator *v, const struct ft_jval *node)
{
	for (size_t i = 0; i < v->nchg; i++)
		if (v->chg[i].node == node)
			return &v->chg[i];
	return NULL;
}

static void
flag_list(feat_validator *v, feat_writer *w, enum change_kind kind)
{
	feat_writer_open_array(w);
	for (size_t i = 0; i < v->nchg; i++)
		if (v->chg[i].kind == kind)
			feat_writer_string(w, v->chg[i].node->key,
			    v->chg[i].node->keylen);
	feat_writer_close_array(w);
}

/* The record with its changes and "_flags" (any earlier one replaced). */
static void
write_changed(feat_validator *v, const struct ft_json *j,
    const struct ft_jval *features)
{
	feat_writer *w = v->o.out;
	const struct ft_jval *root = ft_json_node(j, 1);

	feat_writer_open_object(w);
	for (const struct ft_jval *m = ft_json_node(j, root->child); m;
	    m = ft_json_node(j, m->next)) {
		if (m->keylen == 6 && memcmp(m->key, "_flags", 6) == 0)
			continue;
		feat_writer_key(w, m->key, m->keylen);
		if (m != features) {
			ft_json_write(w, j, m);
			continue;
		}
		feat_writer_open_object(w);
		for (const struct ft_jval *f = ft_json_node(j, m->child); f;
		    f = ft_json_node(j, f->next)) {
			const struct change *c = changed(v, f);

			feat_writer_key(w, f->key, f->keylen);
			if (c == NULL || (c->kind == C_CLIP &&
			    isnan(c->value)))
				ft_json_write(w, j, f);
			else if (c->kind == C_IMPUTE)
				feat_catalog_write_default(c->f, w);
			else if (c->type == T_INT && fabs(c->value) <
			    9223372036854775807.0)
				feat_writer_int(w, (int64_t)c->value);
			else
				feat_writer_double(w, c->value);
		}
		feat_writer_close_object(w);
	}
	KEY(w, "_flags");
	feat_writer_open_object(w);
	KEY(w, "imputed");
	flag_list(v, w, C_IMPUTE);
	KEY(w, "outlier");
	flag_list(v, w, C_CLIP);
	feat_writer_close_object(w);
	feat_writer_close_object(w);
}

static int
validate_line(void *ctx, const struct feat_line *line, struct feat_error *e)
{
	feat_validator *v = ctx;
	const feat_record *r;
	const struct feat_record_head *h;
	const feat_catalog_group *g;
	const struct ft_json *j;
	const struct ft_jval *features;
	feat_writer *w = v->o.out;

	if (feat_record_read(v->rr, line->text, line->len, &r, e) < 0)
		return -1;
	v->records++;
	v->nviol = v->nchg = 0;
	h = feat_record_get_head(r);
	j = ft_record_doc(r);
	features = ft_record_features(r);
	if (h->tombstone || features == NULL) {
		v->tombstones++;
	} else {
		g = feat_catalog_group_find(v->o.catalog, h->group);
		for (const struct ft_jval *f = ft_json_node(j,
		    features->child); f; f = ft_json_node(j, f->next)) {
			const struct info *in = info_of(v, f->key, f->keylen);

			if (in->f == NULL || in->g != g) {
				if (!v->o.allow_unknown)
					violate(v, f, R_UNKNOWN_FEATURE);
				continue;
			}
			check_value(v, j, f, in);
		}
	}
	if (v->nviol > 0) {
		v->rejected++;
		for (size_t i = 0; i < v->nviol; i++)
			v->rules[v->viol[i].rule]++;
		return write_reject(v, line, j, e);
	}
	v->passed++;
	if (v->nchg == 0) {
		ft_buf_add(ft_writer_buf(w), line->text, line->len);
		if (feat_writer_text(w, "\n", 1) < 0)
			goto failed;
		return 0;
	}
	for (size_t i = 0; i < v->nchg; i++) {
		if (v->chg[i].kind == C_IMPUTE)
			v->imputed++;
		else if (isnan(v->chg[i].value))
			v->flagged++;
		else
			v->clipped++;
	}
	write_changed(v, j, features);
	if (feat_writer_end_record(w) < 0)
		goto failed;
	return 0;
failed:
	e->code = FEAT_ERR_OUTPUT;
	snprintf(e->reason, sizeof e->reason, "cannot write output: %s",
	    feat_writer_error(w));
	return -1;
}

static int
validate_finish(void *ctx, int stopped, struct feat_error *e)
{
	feat_validator *v = ctx;

	(void)stopped;
	if (v->rejects == NULL)
		return 0;
	if (feat_writer_flush(v->rejects) < 0) {
		e->code = FEAT_ERR_IO;
		snprintf(e->reason, sizeof e->reason, "cannot write '%s': %s",
		    v->o.rejects, feat_writer_error(v->rejects));
		return -1;
	}
	/* A pipe or a device (/dev/null) cannot be synced, and need not. */
	if (fsync(v->rejects_fd) < 0 && errno != EINVAL && errno != ENOTSUP) {
		e->code = FEAT_ERR_IO;
		snprintf(e->reason, sizeof e->reason, "cannot write '%s': %s",
		    v->o.rejects, strerror(errno));
		return -1;
	}
	return 0;
}

static void
validate_summary(void *ctx)
{
	feat_validator *v = ctx;
	struct ft_buf b = { 0 };

	ft_buf_printf(&b, "%" PRIu64 " record%s: %" PRIu64 " passed, %"
	    PRIu64 " rejected", v->records, v->records == 1 ? "" : "s",
	    v->passed, v->rejected);
	if (v->rejected) {
		const char *sep = " (";

		for (int i = 0; i < R_COUNT; i++)
			if (v->rules[i]) {
				ft_buf_printf(&b, "%s%s %" PRIu64, sep,
				    rule_names[i], v->rules[i]);
				sep = ", ";
			}
		ft_buf_addc(&b, ')');
		if (v->o.rejects)
			ft_buf_printf(&b, " to '%s'", v->o.rejects);
	}
	if (v->imputed)
		ft_buf_printf(&b, "; %" PRIu64 " value%s imputed", v->imputed,
		    v->imputed == 1 ? "" : "s");
	if (v->flagged)
		ft_buf_printf(&b, "; %" PRIu64 " outlier%s flagged",
		    v->flagged, v->flagged == 1 ? "" : "s");
	if (v->clipped)
		ft_buf_printf(&b, "; %" PRIu64 " outlier%s clipped",
		    v->clipped, v->clipped == 1 ? "" : "s");
	ft_buf_addc(&b, '\0');
	feat_warn("%s", b.p);
	ft_buf_free(&b);
}

static int
validate_negative(void *ctx)
{
	return ((feat_validator *)ctx)->rejected > 0;
}

void
feat_validator_stage(feat_validator *v, struct feat_tool_stage *st)
{
	(void)v;
	memset(st, 0, sizeof *st);
	st->line = validate_line;
	st->finish = validate_finish;
	st->summary = validate_summary;
	st->negative = validate_negative;
}
