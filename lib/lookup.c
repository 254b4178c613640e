/*
 * lookup.c - one entity's features from a store, in the response shape of
 * feat-serve's API (SPEC 9): features, a status per feature, and per
 * group the record's ts, created, version, arm, tier and freshness.
 * feat-query get and asof answer with it; feat-serve will too.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feat-private.h"

#define KEY(w, k) feat_writer_key((w), (k), sizeof(k) - 1)

enum calc {
	C_STORED,			/* read from its group's record */
	C_COST_LATENCY,			/* DRV_002 */
	C_QUALITY_COST,			/* DRV_003 */
	C_TIME_PRESSURE,		/* DRV_007 */
	C_LOAD_LATENCY,			/* DRV_008 */
	C_PARETO			/* DRV_010 */
};

struct want {
	const feat_catalog_feature *f;
	size_t group;			/* index into groups (stored) */
	enum calc calc;
	size_t self, global;		/* the groups a calc reads */
};

/* Adds f (once) to wants; -1 past FEAT_LOOKUP_MAX_FEATURES. */
static int
add_want(struct want *wants, size_t *n, const feat_catalog_feature *f)
{
	for (size_t i = 0; i < *n; i++)
		if (wants[i].f == f)
			return 0;
	if (*n == FEAT_LOOKUP_MAX_FEATURES)
		return -1;
	wants[(*n)++].f = f;
	return 0;
}

static int
resolve(const feat_catalog *cat, const char *etype, const char *features,
    struct want *wants, size_t *n, char *err, size_t errlen)
{
	const feat_catalog_feature **fs;
	size_t total = feat_catalog_count(cat), k;
	const char *p = features;

	*n = 0;
	fs = feat_xcalloc(total + 1, sizeof *fs);
	if (features == NULL || *features == '\0') {
		k = feat_catalog_by_entity(cat, etype, fs, total);
		for (size_t i = 0; i < k && *n < FEAT_LOOKUP_MAX_FEATURES; i++)
			add_want(wants, n, fs[i]);
		free(fs);
		if (k == 0) {
			snprintf(err, errlen, "unknown entity type '%s': no "
			    "group of the catalog has it", etype);
			return -1;
		}
		return 0;
	}
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char name[256];

		if (len == 0 || len >= sizeof name) {
			snprintf(err, errlen, "invalid feature list '%s'",
			    features);
			goto fail;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (strncmp(name, "group:", 6) == 0) {
			const feat_catalog_group *g =
			    feat_catalog_group_find(cat, name + 6);

			if (g == NULL || strcmp(feat_catalog_group_entity_type(
			    g), etype) != 0) {
				snprintf(err, errlen, g ? "group '%s' is not "
				    "of entity type '%s'" : "unknown group "
				    "'%s'", name + 6, etype);
				goto fail;
			}
			k = feat_catalog_by_group(cat, name + 6, fs, total);
			for (size_t i = 0; i < k; i++)
				if (add_want(wants, n, fs[i]) < 0)
					goto toomany;
		} else {
			const feat_catalog_feature *f =
			    feat_catalog_find(cat, name);
			const feat_catalog_group *g = f ?
			    feat_catalog_feature_group(f) : NULL;

			if (f == NULL) {
				snprintf(err, errlen, "unknown feature '%s'",
				    name);
				goto fail;
			}
			if (g == NULL || strcmp(feat_catalog_group_entity_type(
			    g), etype) != 0) {
				snprintf(err, errlen, "feature '%s' is not of "
				    "entity type '%s'", name, etype);
				goto fail;
			}
			if (add_want(wants, n, f) < 0)
				goto toomany;
		}
		p += len + (comma ? 1 : 0);
	}
	free(fs);
	return 0;
toomany:
	snprintf(err, errlen, "more than %d features asked for",
	    FEAT_LOOKUP_MAX_FEATURES);
fail:
	free(fs);
	return -1;
}

/* ---- a lookup in three steps: plan, fetch (the caller's), write ------------ */

struct ft_lookup {
	char etype[64];
	char *eid;
	size_t eidlen;
	struct want *wants;
	size_t n;
	struct ft_lookup_group *groups;
	size_t ngroups;
};

/* The arm of SPEC 8: the control (lowest version), or the candidate
   (the version with traffic) for a user whose hash falls below it. */
static void
choose_version(const feat_catalog_group *g, const char *user_id,
    long version, struct ft_lookup_group *lg)
{
	size_t nv = g ? feat_catalog_group_version_count(g) : 0;
	long control = 1, candidate = 0;
	int traffic = 0;

	for (size_t i = 0; i < nv; i++) {
		int t;
		long v = feat_catalog_group_version(g, i, &t);

		if (i == 0)
			control = v;
		else if (t > 0 && candidate == 0) {
			candidate = v;
			traffic = t;
		}
	}
	lg->version = control;
	lg->arm = "control";
	if (version > 0) {
		lg->version = version;
		lg->arm = version == control ? "control" : version ==
		    candidate ? "candidate" : "explicit";
	} else if (candidate && user_id && feat_fnv1a64(user_id,
	    strlen(user_id)) % 100 < (uint64_t)traffic) {
		lg->version = candidate;
		lg->arm = "candidate";
	}
}

/* The index of group g (of this entity, or of the system "global"),
   added when new. */
static size_t
add_group(struct ft_lookup *lk, const feat_catalog *cat, const char *g,
    int global, const char *user_id, long version)
{
	size_t j;

	for (j = 0; j < lk->ngroups; j++)
		if (strcmp(lk->groups[j].group, g) == 0 &&
		    lk->groups[j].global == global)
			return j;
	lk->groups[j].group = g;
	lk->groups[j].global = global;
	choose_version(feat_catalog_group_find(cat, g), user_id, version,
	    &lk->groups[j]);
	lk->ngroups++;
	return j;
}

/* What a server thread keeps from lookup to lookup: the features each
   (entity type, list) resolved to, and record readers. */
#define CACHED_PLANS 4096
struct ft_lookup_cache {
	const feat_catalog *cat;
	struct ft_names plans;
	struct cached_plan {
		size_t n;
		struct want *wants;
	} *entries;
	feat_record_reader **rrs;
	size_t nrrs;
};

struct ft_lookup_cache *
ft_lookup_cache_new(void)
{
	struct ft_lookup_cache *c = feat_xcalloc(1, sizeof *c);

	ft_names_init(&c->plans);
	return c;
}

static void
cache_forget(struct ft_lookup_cache *c)
{
	for (size_t i = 0; i < c->plans.n; i++)
		free(c->entries[i].wants);
	free(c->entries);
	c->entries = NULL;
	ft_names_free(&c->plans);
	ft_names_init(&c->plans);
}

void
ft_lookup_cache_free(struct ft_lookup_cache *c)
{
	if (c == NULL)
		return;
	cache_forget(c);
	ft_names_free(&c->plans);
	for (size_t i = 0; i < c->nrrs; i++)
		feat_record_reader_free(c->rrs[i]);
	free(c->rrs);
	free(c);
}

/* resolve(), remembered in c (may be NULL) by entity type and list. */
static int
resolve_cached(struct ft_lookup_cache *c, const feat_catalog *cat,
    const char *etype, const char *features, struct want **wants,
    size_t *n, char *err, size_t errlen)
{
	char key[4200];
	size_t el = strlen(etype), fl = features ? strlen(features) : 0;
	long i = -1;

	if (c && el + fl + 1 < sizeof key) {
		if (c->cat != cat) {
			cache_forget(c);
			c->cat = cat;
		}
		memcpy(key, etype, el);
		key[el] = '\0';
		memcpy(key + el + 1, features ? features : "", fl);
		i = ft_names_get(&c->plans, key, el + 1 + fl, 0);
		if (i >= 0) {
			*n = c->entries[i].n;
			*wants = feat_xmalloc((*n ? *n : 1) * sizeof **wants);
			memcpy(*wants, c->entries[i].wants, *n *
			    sizeof **wants);
			return 0;
		}
	}
	*wants = feat_xcalloc(FEAT_LOOKUP_MAX_FEATURES, sizeof **wants);
	if (resolve(cat, etype, features, *wants, n, err, errlen) < 0)
		return -1;
	if (c && el + fl + 1 < sizeof key && c->plans.n < CACHED_PLANS) {
		i = ft_names_get(&c->plans, key, el + 1 + fl, 1);
		c->entries = feat_xrealloc(c->entries, c->plans.n *
		    sizeof *c->entries);
		c->entries[i].n = *n;
		c->entries[i].wants = feat_xmalloc((*n ? *n : 1) *
		    sizeof **wants);
		memcpy(c->entries[i].wants, *wants, *n * sizeof **wants);
	}
	return 0;
}

struct ft_lookup *
ft_lookup_plan(struct ft_lookup_cache *cache, const feat_catalog *cat,
    const char *etype, const char *eid, size_t eidlen, const char *features,
    const char *user_id, long version, char *err, size_t errlen)
{
	struct ft_lookup *lk;

	if (feat_record_check_name(etype) < 0 || strlen(etype) >= 64) {
		snprintf(err, errlen, "invalid entity type '%.64s': use "
		    "[a-z0-9_]+", etype);
		return NULL;
	}
	if (feat_record_check_id(eid, eidlen, err, errlen) < 0)
		return NULL;
	lk = feat_xcalloc(1, sizeof *lk);
	memcpy(lk->etype, etype, strlen(etype) + 1);
	lk->eid = feat_xmalloc(eidlen + 1);
	memcpy(lk->eid, eid, eidlen);
	lk->eid[eidlen] = '\0';
	lk->eidlen = eidlen;
	if (resolve_cached(cache, cat, etype, features, &lk->wants, &lk->n,
	    err, errlen) < 0) {
		ft_lookup_free(lk);
		return NULL;
	}
	/* Room for each feature's group and the two a calc reads. */
	lk->groups = feat_xcalloc(lk->n + 3, sizeof *lk->groups);
	for (size_t i = 0; i < lk->n; i++) {
		struct want *wt = &lk->wants[i];
		const feat_catalog_group *fg = feat_catalog_feature_group(wt->f);
		const char *id = feat_catalog_feature_id(wt->f);

		if (fg == NULL || strcmp(feat_catalog_group_producer(fg),
		    "feat-serve") != 0) {
			wt->group = add_group(lk, cat, feat_catalog_group_name(
			    fg), 0, user_id, version);
			continue;
		}
		/* Computed at serve time from stored groups (SPEC 4). */
		wt->calc = strcmp(id, "DRV_002") == 0 ? C_COST_LATENCY :
		    strcmp(id, "DRV_003") == 0 ? C_QUALITY_COST :
		    strcmp(id, "DRV_007") == 0 ? C_TIME_PRESSURE :
		    strcmp(id, "DRV_008") == 0 ? C_LOAD_LATENCY :
		    strcmp(id, "DRV_010") == 0 ? C_PARETO : C_STORED;
		wt->self = wt->global = SIZE_MAX;
		switch (wt->calc) {
		case C_TIME_PRESSURE:
			wt->self = add_group(lk, cat, "request", 0, user_id,
			    version);
			wt->global = add_group(lk, cat, "context", 1, user_id,
			    version);
			break;
		case C_LOAD_LATENCY:
			wt->global = add_group(lk, cat, "context_1min", 1,
			    user_id, version);
			/* FALLTHROUGH */
		case C_COST_LATENCY:
		case C_QUALITY_COST:
		case C_PARETO:
			wt->self = add_group(lk, cat, "perf_5min", 0, user_id,
			    version);
			break;
		case C_STORED:
			break;
		}
		wt->group = SIZE_MAX;
	}
	return lk;
}

void
ft_lookup_free(struct ft_lookup *lk)
{
	if (lk == NULL)
		return;
	for (size_t j = 0; j < lk->ngroups; j++)
		free(lk->groups[j].line);
	free(lk->groups);
	free(lk->wants);
	free(lk->eid);
	free(lk);
}

size_t
ft_lookup_ngroups(const struct ft_lookup *lk)
{
	return lk->ngroups;
}

struct ft_lookup_group *
ft_lookup_group(struct ft_lookup *lk, size_t j)
{
	return &lk->groups[j];
}

struct feat_store_key
ft_lookup_key(const struct ft_lookup *lk, size_t j)
{
	struct feat_store_key k = { lk->etype, lk->eid, lk->eidlen,
	    lk->groups[j].group, lk->groups[j].version };

	if (lk->groups[j].global) {	/* SPEC 4: "of component global" */
		k.entity_type = "system";
		k.entity_id = "global";
		k.entity_id_len = 6;
	}
	return k;
}

void
ft_lookup_set(struct ft_lookup *lk, size_t j, const char *line, size_t len,
    const char *tier)
{
	struct ft_lookup_group *g = &lk->groups[j];

	free(g->line);
	g->line = NULL;
	g->len = 0;
	g->tier = tier;
	if (line) {
		g->line = feat_xmalloc(len + 1);
		memcpy(g->line, line, len);
		g->line[len] = '\0';
		g->len = len;
	}
}

/* name's number in group j's record: 1 and *v, 0 when null or absent,
   -1 when the group has no record. */
static int
num_in(const struct ft_lookup *lk, const feat_record **recs,
    feat_record_reader **rrs, size_t j, const char *name, double *v,
    int64_t *ts)
{
	struct feat_value fv;

	if (j == SIZE_MAX || recs[j] == NULL)
		return -1;
	if (feat_record_get_head(recs[j])->ts < *ts)
		*ts = feat_record_get_head(recs[j])->ts;
	(void)lk;
	if (feat_record_find(rrs[j], recs[j], name, &fv) < 0 ||
	    (fv.type != FEAT_VALUE_NUMBER && fv.type != FEAT_VALUE_BOOL))
		return 0;
	*v = fv.number;
	return 1;
}

/* at - ts, saturated (a record of 1680 asked for now). */
static int64_t
age_of(int64_t at, int64_t ts)
{
	int64_t d;

	if (__builtin_sub_overflow(at, ts, &d))
		return at > ts ? INT64_MAX : INT64_MIN;
	return d;
}

/* Whether age is past max_age or the feature's freshness (seconds). */
static int
too_old(int64_t age, int64_t max_age, long fresh)
{
	int64_t f;

	if (max_age > 0 && age > max_age)
		return 1;
	if (fresh <= 0)
		return 0;
	if (__builtin_mul_overflow((int64_t)fresh, FEAT_NS_PER_S, &f))
		return 0;
	return age > f;
}

static double
min1(double x)
{
	return x < 1 ? x : 1;
}

/* DRV_010 of point p among pts (SPEC 4): each axis over its maximum;
   1 on the Pareto front (lower is better), else 1 - the distance to the
   nearest front point / sqrt(3). */
static double
pareto(const double p[3], const double (*pts)[3], size_t n)
{
	double mx[3] = { 0, 0, 0 }, q[3], best = INFINITY;
	int on_front = 1;

	for (size_t i = 0; i < n; i++)
		for (int a = 0; a < 3; a++)
			if (pts[i][a] > mx[a])
				mx[a] = pts[i][a];
	for (int a = 0; a < 3; a++) {
		if (p[a] > mx[a])
			mx[a] = p[a];
		q[a] = mx[a] > 0 ? p[a] / mx[a] : 0;
	}
	for (size_t i = 0; i < n; i++) {
		double r[3];
		int le = 1, lt = 0, front = 1;

		for (int a = 0; a < 3; a++) {
			r[a] = mx[a] > 0 ? pts[i][a] / mx[a] : 0;
			le &= r[a] <= q[a];
			lt |= r[a] < q[a];
		}
		if (le && lt)
			on_front = 0;
		/* Is pts[i] itself on the front? */
		for (size_t k = 0; k < n && front; k++) {
			int le2 = 1, lt2 = 0;

			for (int a = 0; a < 3; a++) {
				double s = mx[a] > 0 ? pts[k][a] / mx[a] : 0;

				le2 &= s <= r[a];
				lt2 |= s < r[a];
			}
			if (le2 && lt2)
				front = 0;
		}
		if (front) {
			double d = sqrt((r[0] - q[0]) * (r[0] - q[0]) +
			    (r[1] - q[1]) * (r[1] - q[1]) + (r[2] - q[2]) *
			    (r[2] - q[2]));

			if (d < best)
				best = d;
		}
	}
	if (on_front)
		return 1;
	return isinf(best) ? 1 : 1 - best / sqrt(3);
}

/* A computed feature's value: 1 and *v, 0 null, -1 not found; *ts the
   oldest record read. */
static int
calc_value(const struct ft_lookup *lk, const struct want *wt,
    const feat_record **recs, feat_record_reader **rrs,
    const struct feat_lookup_opts *o, double *v, int64_t *ts)
{
	double a = 0, b = 0, c = 0;
	int ra, rb, rc;

	*ts = INT64_MAX;
	switch (wt->calc) {
	case C_COST_LATENCY:
		ra = num_in(lk, recs, rrs, wt->self,
		    "avg_cost_per_request_5min", &a, ts);
		rb = num_in(lk, recs, rrs, wt->self, "latency_p95_5min", &b,
		    ts);
		if (ra < 0)
			return -1;
		if (ra == 0 || rb == 0)
			return 0;
		*v = (min1(a / 0.01) + min1(b / 10000)) / 2;
		return 1;
	case C_QUALITY_COST:
		ra = num_in(lk, recs, rrs, wt->self, "success_rate_5min", &a,
		    ts);
		rb = num_in(lk, recs, rrs, wt->self,
		    "avg_cost_per_request_5min", &b, ts);
		if (ra < 0)
			return -1;
		if (ra == 0 || rb == 0 || b == 0)
			return 0;
		*v = a / b;
		return 1;
	case C_TIME_PRESSURE:
		ra = num_in(lk, recs, rrs, wt->self, "request_priority", &a,
		    ts);
		rb = num_in(lk, recs, rrs, wt->global,
		    "available_budget_ratio", &b, ts);
		if (ra < 0 || rb < 0)
			return -1;
		if (ra == 0 || rb == 0)
			return 0;
		*v = a * (1 - b);
		return 1;
	case C_LOAD_LATENCY:
		ra = num_in(lk, recs, rrs, wt->self, "latency_p95_5min", &a,
		    ts);
		rb = num_in(lk, recs, rrs, wt->global, "queue_depth", &b, ts);
		if (ra < 0 || rb < 0)
			return -1;
		if (ra == 0 || rb == 0)
			return 0;
		*v = a * (1 + b);
		return 1;
	case C_PARETO: {
		double p[3];

		ra = num_in(lk, recs, rrs, wt->self,
		    "avg_cost_per_request_5min", &a, ts);
		rb = num_in(lk, recs, rrs, wt->self, "latency_p95_5min", &b,
		    ts);
		rc = num_in(lk, recs, rrs, wt->self, "error_rate_5min", &c,
		    ts);
		if (ra < 0)
			return -1;
		if (ra == 0 || rb == 0 || rc == 0 || o->pareto == NULL)
			return 0;
		p[0] = a;
		p[1] = b;
		p[2] = c;
		*v = pareto(p, o->pareto, o->npareto);
		return 1;
	}
	case C_STORED:
		break;
	}
	return -1;
}

int
ft_lookup_write(struct ft_lookup_cache *cache, const struct ft_lookup *lk,
    const struct feat_lookup_opts *o, feat_writer *w)
{
	size_t n = lk->n, ngroups = lk->ngroups;
	const feat_record **recs = feat_xcalloc(ngroups + 1, sizeof *recs);
	feat_record_reader **rrs = feat_xcalloc(ngroups + 1, sizeof *rrs);
	int own = cache == NULL;
	const char **status = feat_xcalloc(n + 1, sizeof *status);
	int64_t now = o->clock ? feat_clock_now(o->clock) : 0;
	int64_t at = o->as_of != INT64_MIN ? o->as_of : now;
	struct feat_error fe;

	if (cache && cache->nrrs < ngroups) {
		cache->rrs = feat_xrealloc(cache->rrs, ngroups *
		    sizeof *cache->rrs);
		while (cache->nrrs < ngroups)
			cache->rrs[cache->nrrs++] =
			    feat_record_reader_new(FEAT_TIME_S);
	}
	for (size_t j = 0; j < ngroups; j++) {
		if (lk->groups[j].line == NULL)
			continue;
		rrs[j] = own ? feat_record_reader_new(FEAT_TIME_S) :
		    cache->rrs[j];
		if (feat_record_read(rrs[j], lk->groups[j].line,
		    lk->groups[j].len, &recs[j], &fe) < 0)
			recs[j] = NULL;
	}
	feat_writer_open_object(w);
	KEY(w, "entity_type");
	feat_writer_string(w, lk->etype, strlen(lk->etype));
	KEY(w, "entity_id");
	feat_writer_string(w, lk->eid, lk->eidlen);
	KEY(w, "features");
	feat_writer_open_object(w);
	for (size_t i = 0; i < n; i++) {
		const feat_catalog_feature *f = lk->wants[i].f;
		const char *name = feat_catalog_feature_name(f);
		size_t gi = lk->wants[i].group;
		const feat_record *r = gi == SIZE_MAX ? NULL : recs[gi];
		feat_record_reader *grr = gi == SIZE_MAX ? NULL : rrs[gi];
		long fresh = feat_catalog_feature_freshness(f);
		struct feat_value v;
		int64_t age;

		feat_writer_key(w, name, strlen(name));
		if (lk->wants[i].calc != C_STORED) {
			double d = 0;
			int64_t oldest;
			int rc = calc_value(lk, &lk->wants[i], recs, rrs, o,
			    &d, &oldest);

			if (rc < 0) {
				feat_writer_null(w);
				status[i] = "not_found";
				continue;
			}
			rc == 1 ? feat_writer_double(w, d) :
			    feat_writer_null(w);
			status[i] = rc == 1 && isfinite(d) ? "present" :
			    "null";
			age = age_of(at, oldest);
			if (too_old(age, o->max_age, fresh))
				status[i] = "stale";
			continue;
		}
		if (r == NULL) {
			feat_writer_null(w);
			status[i] = "not_found";
			continue;
		}
		/* A record without the feature holds null for it, as
		   feat-join says. */
		{
			/* The value's node, written as it is: numbers keep
			   their text, no need to read them. */
			const struct ft_json *doc = ft_record_doc(r);
			const struct ft_jval *fs = ft_record_features(r), *nd;
			const char *fid = feat_catalog_feature_id(f);

			nd = fs ? ft_json_get(doc, fs, name, strlen(name)) :
			    NULL;
			if (nd == NULL && fs)
				nd = ft_json_get(doc, fs, fid, strlen(fid));
			age = age_of(at, feat_record_get_head(r)->ts);
			status[i] = nd == NULL || nd->type == FT_JNULL ||
			    nd->type == FT_JOBJECT ? "null" : "present";
			if (too_old(age, o->max_age, fresh) ||
			    lk->groups[gi].stale)
				status[i] = "stale";
			if (nd == NULL || nd->type == FT_JOBJECT)
				feat_writer_null(w);
			else if (nd->type == FT_JTRUE || nd->type == FT_JFALSE)
				feat_writer_int(w, nd->type == FT_JTRUE);
			else
				ft_json_write(w, doc, nd);
			(void)grr;
			(void)v;
		}
	}
	feat_writer_close_object(w);
	KEY(w, "status");
	feat_writer_open_object(w);
	for (size_t i = 0; i < n; i++) {
		const char *name = feat_catalog_feature_name(lk->wants[i].f);

		feat_writer_key(w, name, strlen(name));
		feat_writer_string(w, status[i], strlen(status[i]));
	}
	feat_writer_close_object(w);
	KEY(w, "metadata");
	feat_writer_open_object(w);
	KEY(w, "groups");
	feat_writer_open_object(w);
	for (size_t j = 0; j < ngroups; j++) {
		const struct ft_lookup_group *g = &lk->groups[j];
		const struct feat_record_head *h;
		const char *tier = g->tier ? g->tier : o->tier ? o->tier :
		    "store";

		if (recs[j] == NULL)
			continue;
		h = feat_record_get_head(recs[j]);
		feat_writer_key(w, g->group, strlen(g->group));
		feat_writer_open_object(w);
		KEY(w, "ts");
		feat_writer_time(w, h->ts);
		if (h->has_created) {
			KEY(w, "created");
			feat_writer_time(w, h->created);
		}
		KEY(w, "version");
		feat_writer_int(w, h->version);
		KEY(w, "arm");
		feat_writer_string(w, g->arm, strlen(g->arm));
		KEY(w, "tier");
		feat_writer_string(w, tier, strlen(tier));
		KEY(w, "freshness_seconds");
		feat_writer_double(w, ((double)at - (double)h->ts) /
		    (double)FEAT_NS_PER_S);
		feat_writer_close_object(w);
	}
	feat_writer_close_object(w);
	feat_writer_close_object(w);
	feat_writer_close_object(w);
	if (own)
		for (size_t j = 0; j < ngroups; j++)
			feat_record_reader_free(rrs[j]);
	free(rrs);
	free(recs);
	free(status);
	return 0;
}

struct fetched {
	struct ft_lookup *lk;
	size_t j;
};

static int
fetched_line(void *ctx, const char *line, size_t len)
{
	struct fetched *f = ctx;

	ft_lookup_set(f->lk, f->j, line, len, NULL);
	return 0;
}

int
feat_lookup(feat_store *s, const struct feat_lookup_opts *o,
    const char *etype, const char *eid, size_t eidlen, const char *features,
    feat_writer *w, char *err, size_t errlen)
{
	struct ft_lookup *lk = ft_lookup_plan(NULL, o->catalog, etype, eid,
	    eidlen, features, NULL, 0, err, errlen);
	int rc = -1;

	if (lk == NULL)
		return -1;
	for (size_t j = 0; j < lk->ngroups; j++) {
		struct feat_store_key k = ft_lookup_key(lk, j);
		struct fetched f = { lk, j };
		int r;

		if (o->as_of == INT64_MIN)
			r = feat_store_latest(s, &k, fetched_line, &f, err,
			    errlen);
		else
			r = feat_store_as_of(s, &k, o->as_of,
			    o->no_future_created, fetched_line, &f, err,
			    errlen);
		if (r < 0)
			goto done;
	}
	ft_lookup_write(NULL, lk, o, w);
	if (feat_writer_end_record(w) < 0) {
		snprintf(err, errlen, "cannot write: %s",
		    feat_writer_error(w));
		rc = -2;
	} else
		rc = 0;
done:
	ft_lookup_free(lk);
	return rc;
}
