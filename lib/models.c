/*
 * models.c - the model catalog (data/models.json, generated from
 * genai-prices) and the cost of a request, by the rules of SPEC 5.
 *
 * Loading compiles everything an event needs into flat structures: match
 * clauses with their strings lowercased and regexes compiled once, the
 * unit registry with the "more specific than" relation between units, and
 * per price entry its priced units sorted from the most specific to the
 * least, each with the list of more specific priced units whose counts it
 * gives up.  An event then costs one hash lookup of its (provider, model)
 * pair, cached, and a pass over a handful of priced units.
 *
 * What must stay true: the rules are genai-prices' own (an independent
 * implementation of exactly SPEC 5 prices every entry of its usage test set
 * right, tests/bats/pricing.bats), so a change here is checked against that
 * set, not against intuition.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "feat-private.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FEAT_PKGDATADIR
#define FEAT_PKGDATADIR "/usr/local/share/feat"
#endif

#define S_PER_DAY (FEAT_NS_PER_DAY / FEAT_NS_PER_S)

/* ---- match clauses ------------------------------------------------------ */
enum clause_op {
	CL_EQUALS, CL_STARTS_WITH, CL_ENDS_WITH, CL_CONTAINS, CL_REGEX, CL_OR,
	CL_AND
};

struct clause {
	enum clause_op op;
	char *s;		/* lowercased, for the string clauses */
	size_t len;
	regex_t re;		/* CL_REGEX */
	struct clause *kids;	/* CL_OR, CL_AND */
	size_t nkids;
};

/* ---- units and prices ----------------------------------------------------- */
enum direction { DIR_NONE, DIR_INPUT, DIR_OUTPUT };

struct unit {
	char *key;		/* usage key: input_tokens */
	char *price_key;	/* input_mtok */
	double per;
	enum direction dir;
	int requests;		/* the requests unit: its count is 1 */
	size_t ndims;
	char **dim_name, **dim_value;
};

struct tier {
	double start, price;
};

struct rate {
	double base;
	struct tier *tiers;	/* ascending start; NULL: a flat rate */
	size_t ntiers;
};

struct priced {
	int unit;		/* index into the registry */
	struct rate rate;
	int *more_specific;	/* indices of earlier priced units under it */
	size_t nmore;
};

struct price_set {
	struct priced *u;	/* most specific first */
	size_t n;
};

struct constraint {
	int has_date, has_time;
	int64_t start_day;	/* days since the epoch, UTC */
	int64_t start_s, end_s;	/* UTC seconds of the day, may leave [0,86400) */
};

struct price_entry {
	int has_constraint;
	struct constraint c;
	struct price_set ps;
};

struct feat_model {
	char *id;
	struct clause match;
	long context_window;	/* 0: unknown */
	struct price_entry *prices;
	size_t nprices;
	int listed;		/* prices was a list */
};

struct provider {
	char *id;
	char *name;
	struct clause *provider_match;	/* NULL: none */
	struct clause *model_match;
	int *fallback;			/* provider indices */
	size_t nfallback;
	struct feat_model *models;
	size_t nmodels;
};

/* ---- the lookup cache ------------------------------------------------------- */
struct cache_entry {
	char *key;		/* NULL: empty slot */
	size_t klen;
	uint64_t h;
	const struct provider *p;
	const struct feat_model *md;
};

/* Bounded: a log with ever new model strings cannot grow it without end. */
#define CACHE_MAX 16384

struct feat_models {
	char *path;
	int loaded;		/* feat_models_ensure succeeded */
	char *failed;		/* ... or failed, saying this */
	struct unit *units;
	size_t nunits;
	int input_tokens;	/* registry index of input_tokens, -1: none */
	unsigned char *under;	/* under[a * nunits + b]: b more specific than a */
	struct provider *providers;
	size_t nproviders;
	struct cache_entry *cache;
	size_t cache_cap, cache_n;
	uint64_t seed;		/* of the cache's hash: names come from input */
	struct ft_buf lower;	/* scratch: a lowercased reference */
	struct ft_buf key;	/* scratch: a cache key */
};

/* ---- loading ----------------------------------------------------------------- */
struct loader {
	struct feat_models *m;
	char *err;
	size_t errlen;
	const char *kind;	/* what is being read, for messages ("model") */
	const char *where;	/* and its name ("claude-2"); NULL: the file */
	const char *provider;	/* the provider being read */
};

static int
fail(struct loader *ld, const char *fmt, const char *detail)
{
	char msg[256];

	snprintf(msg, sizeof msg, fmt, detail ? detail : "");
	if (ld->where)
		snprintf(ld->err, ld->errlen, "invalid model catalog '%s': "
		    "%s '%s': %s", ld->m->path, ld->kind, ld->where, msg);
	else
		snprintf(ld->err, ld->errlen, "invalid model catalog '%s': %s",
		    ld->m->path, msg);
	return -1;
}

static char *
lowered(const char *s, size_t n)
{
	char *p = feat_xmalloc(n + 1);

	for (size_t i = 0; i < n; i++)
		p[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	p[n] = '\0';
	return p;
}

static int
load_clause(struct loader *ld, json_t *j, struct clause *c)
{
	static const struct {
		const char *name;
		enum clause_op op;
	} ops[] = {
		{ "equals", CL_EQUALS }, { "starts_with", CL_STARTS_WITH },
		{ "ends_with", CL_ENDS_WITH }, { "contains", CL_CONTAINS },
		{ "regex", CL_REGEX }, { "or", CL_OR }, { "and", CL_AND },
	};
	const char *key;
	json_t *v;

	memset(c, 0, sizeof *c);
	if (!json_is_object(j) || json_object_size(j) != 1)
		return fail(ld, "a match clause is not an object with one "
		    "member", NULL);
	json_object_foreach(j, key, v) {
		size_t i;

		for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
			if (strcmp(key, ops[i].name) == 0)
				break;
		if (i == sizeof ops / sizeof ops[0])
			return fail(ld, "unknown match clause '%s'", key);
		c->op = ops[i].op;
		if (c->op == CL_OR || c->op == CL_AND) {
			if (!json_is_array(v))
				return fail(ld, "clause '%s' is not an array",
				    key);
			c->nkids = json_array_size(v);
			c->kids = feat_xcalloc(c->nkids, sizeof *c->kids);
			for (size_t k = 0; k < c->nkids; k++)
				if (load_clause(ld, json_array_get(v, k),
				    &c->kids[k]) < 0)
					return -1;
			return 0;
		}
		if (!json_is_string(v))
			return fail(ld, "clause '%s' is not a string", key);
		if (c->op == CL_REGEX) {
			/* Searches the lowercased reference; the pattern as is. */
			int rc = regcomp(&c->re, json_string_value(v),
			    REG_EXTENDED | REG_NOSUB);

			if (rc != 0) {
				char msg[128];

				regerror(rc, &c->re, msg, sizeof msg);
				c->op = CL_EQUALS;	/* nothing to regfree */
				return fail(ld, "regex not POSIX ERE: %s", msg);
			}
			c->s = feat_xstrdup(json_string_value(v));
			return 0;
		}
		c->len = json_string_length(v);
		c->s = lowered(json_string_value(v), c->len);
	}
	return 0;
}

static void
free_clause(struct clause *c)
{
	if (c == NULL)
		return;
	for (size_t k = 0; k < c->nkids; k++)
		free_clause(&c->kids[k]);
	free(c->kids);
	if (c->op == CL_REGEX && c->s)
		regfree(&c->re);
	free(c->s);
}

static int
load_units(struct loader *ld, json_t *units)
{
	struct feat_models *m = ld->m;
	const char *key;
	json_t *u;
	size_t i = 0;

	if (!json_is_object(units) || json_object_size(units) == 0)
		return fail(ld, "no unit registry 'units'", NULL);
	m->nunits = json_object_size(units);
	m->units = feat_xcalloc(m->nunits, sizeof *m->units);
	m->input_tokens = -1;
	json_object_foreach(units, key, u) {
		struct unit *un = &m->units[i];
		json_t *per = json_object_get(u, "per");
		json_t *pk = json_object_get(u, "price_key");
		json_t *dims = json_object_get(u, "dimensions");
		const char *dk;
		json_t *dv;
		size_t d = 0;

		ld->kind = "unit";
		ld->where = key;
		if (!json_is_number(per) || json_number_value(per) <= 0)
			return fail(ld, "unit without a positive 'per'", NULL);
		if (!json_is_string(pk))
			return fail(ld, "unit without a 'price_key'", NULL);
		if (!json_is_object(dims))
			return fail(ld, "unit without 'dimensions'", NULL);
		un->key = feat_xstrdup(key);
		un->price_key = feat_xstrdup(json_string_value(pk));
		un->per = json_number_value(per);
		un->requests = strcmp(key, "requests") == 0;
		un->ndims = json_object_size(dims);
		un->dim_name = feat_xcalloc(un->ndims, sizeof *un->dim_name);
		un->dim_value = feat_xcalloc(un->ndims, sizeof *un->dim_value);
		json_object_foreach(dims, dk, dv) {
			if (!json_is_string(dv))
				return fail(ld, "dimension '%s' is not a string",
				    dk);
			un->dim_name[d] = feat_xstrdup(dk);
			un->dim_value[d] = feat_xstrdup(json_string_value(dv));
			if (strcmp(dk, "direction") == 0)
				un->dir = strcmp(un->dim_value[d], "input") == 0 ?
				    DIR_INPUT : strcmp(un->dim_value[d],
				    "output") == 0 ? DIR_OUTPUT : DIR_NONE;
			d++;
		}
		if (strcmp(key, "input_tokens") == 0)
			m->input_tokens = (int)i;
		i++;
	}
	ld->where = NULL;

	/* under[a][b]: b's dimensions hold all of a's, and more. */
	m->under = feat_xcalloc(m->nunits * m->nunits, 1);
	for (size_t a = 0; a < m->nunits; a++)
		for (size_t b = 0; b < m->nunits; b++) {
			const struct unit *ua = &m->units[a], *ub = &m->units[b];
			size_t k;

			if (ub->ndims <= ua->ndims)
				continue;
			for (k = 0; k < ua->ndims; k++) {
				size_t l;

				for (l = 0; l < ub->ndims; l++)
					if (strcmp(ua->dim_name[k],
					    ub->dim_name[l]) == 0 &&
					    strcmp(ua->dim_value[k],
					    ub->dim_value[l]) == 0)
						break;
				if (l == ub->ndims)
					break;
			}
			m->under[a * m->nunits + b] = k == ua->ndims;
		}
	return 0;
}

static int
load_rate(struct loader *ld, json_t *v, struct rate *r, const char *pk)
{
	json_t *base, *tiers;
	double last = 0;

	if (json_is_number(v)) {
		r->base = json_number_value(v);
		return 0;
	}
	base = json_object_get(v, "base");
	tiers = json_object_get(v, "tiers");
	if (!json_is_number(base) || !json_is_array(tiers))
		return fail(ld, "price '%s' is neither a number nor tiered", pk);
	r->base = json_number_value(base);
	r->ntiers = json_array_size(tiers);
	r->tiers = feat_xcalloc(r->ntiers, sizeof *r->tiers);
	for (size_t i = 0; i < r->ntiers; i++) {
		json_t *t = json_array_get(tiers, i);
		json_t *s = json_object_get(t, "start");
		json_t *p = json_object_get(t, "price");

		if (!json_is_number(s) || !json_is_number(p))
			return fail(ld, "a tier of '%s' lacks start or price",
			    pk);
		r->tiers[i].start = json_number_value(s);
		r->tiers[i].price = json_number_value(p);
		if (i > 0 && r->tiers[i].start < last)
			return fail(ld, "tiers of '%s' not in ascending order",
			    pk);
		last = r->tiers[i].start;
	}
	return 0;
}

/* Most specific first: more dimensions, then the usage key. */
static int
before(const struct feat_models *m, const struct priced *a,
    const struct priced *b)
{
	const struct unit *x = &m->units[a->unit], *y = &m->units[b->unit];

	if (x->ndims != y->ndims)
		return x->ndims > y->ndims;
	return strcmp(x->key, y->key) < 0;
}

static int
load_price_set(struct loader *ld, json_t *prices, struct price_set *ps)
{
	struct feat_models *m = ld->m;
	const char *pk;
	json_t *v;

	if (!json_is_object(prices))
		return fail(ld, "prices are not an object", NULL);
	ps->u = feat_xcalloc(json_object_size(prices), sizeof *ps->u);
	json_object_foreach(prices, pk, v) {
		struct priced *p = &ps->u[ps->n];
		size_t i;

		for (i = 0; i < m->nunits; i++)
			if (strcmp(m->units[i].price_key, pk) == 0)
				break;
		if (i == m->nunits)
			return fail(ld, "price key '%s' is no unit of the "
			    "registry", pk);
		p->unit = (int)i;
		ps->n++;
		if (load_rate(ld, v, &p->rate, pk) < 0)
			return -1;
	}
	/* An insertion sort: a handful of units, and no global state. */
	for (size_t i = 1; i < ps->n; i++) {
		struct priced t = ps->u[i];
		size_t k = i;

		for (; k > 0 && before(m, &t, &ps->u[k - 1]); k--)
			ps->u[k] = ps->u[k - 1];
		ps->u[k] = t;
	}
	for (size_t i = 0; i < ps->n; i++) {
		struct priced *p = &ps->u[i];

		for (size_t k = 0; k < i; k++)
			if (m->under[(size_t)p->unit * m->nunits +
			    (size_t)ps->u[k].unit]) {
				p->more_specific = feat_xrealloc(p->more_specific,
				    (p->nmore + 1) * sizeof *p->more_specific);
				p->more_specific[p->nmore++] = (int)k;
			}
	}
	return 0;
}

/* "HH:MM:SS[.f][zone]" to UTC seconds of the day, as Python compares
 * aware times: the offset is subtracted, the day is not wrapped. */
static int
parse_time_of_day(const char *s, int64_t *sec)
{
	char buf[64];
	int64_t ns;
	int n = snprintf(buf, sizeof buf, "1970-01-01T%s", s);

	if (n < 0 || (size_t)n >= sizeof buf ||
	    feat_time_parse(buf, (size_t)n, &ns) < 0)
		return -1;
	*sec = ft_floor_div(ns, FEAT_NS_PER_S);
	return 0;
}

static int
load_constraint(struct loader *ld, json_t *j, struct constraint *c)
{
	json_t *d = json_object_get(j, "start_date");
	json_t *st = json_object_get(j, "start_time");
	json_t *et = json_object_get(j, "end_time");

	if (!json_is_object(j))
		return fail(ld, "a constraint is not an object", NULL);
	if (d) {
		char buf[64];
		int64_t ns;
		int n;

		if (!json_is_string(d))
			return fail(ld, "start_date is not a string", NULL);
		n = snprintf(buf, sizeof buf, "%sT00:00:00Z",
		    json_string_value(d));
		if (n < 0 || (size_t)n >= sizeof buf ||
		    feat_time_parse(buf, (size_t)n, &ns) < 0)
			return fail(ld, "invalid start_date '%s'",
			    json_string_value(d));
		c->has_date = 1;
		c->start_day = ft_floor_div(ns, FEAT_NS_PER_DAY);
	}
	if (st || et) {
		c->has_time = 1;
		c->start_s = 0;
		c->end_s = S_PER_DAY;
		if (st && (!json_is_string(st) ||
		    parse_time_of_day(json_string_value(st), &c->start_s) < 0))
			return fail(ld, "invalid start_time", NULL);
		if (et && (!json_is_string(et) ||
		    parse_time_of_day(json_string_value(et), &c->end_s) < 0))
			return fail(ld, "invalid end_time", NULL);
	}
	if (!c->has_date && !c->has_time)
		return fail(ld, "a constraint without start_date, start_time "
		    "or end_time", NULL);
	return 0;
}

static int
load_model(struct loader *ld, json_t *j, struct feat_model *md)
{
	json_t *id = json_object_get(j, "id");
	json_t *match = json_object_get(j, "match");
	json_t *cw = json_object_get(j, "context_window");
	json_t *prices = json_object_get(j, "prices");

	if (!json_is_string(id))
		return fail(ld, "a model without an id", NULL);
	md->id = feat_xstrdup(json_string_value(id));
	ld->kind = "model";
	ld->where = md->id;
	if (match == NULL)
		return fail(ld, "a model without 'match'", NULL);
	if (load_clause(ld, match, &md->match) < 0)
		return -1;
	if (json_is_integer(cw))
		md->context_window = (long)json_integer_value(cw);
	if (json_is_array(prices)) {
		md->listed = 1;
		md->nprices = json_array_size(prices);
		if (md->nprices == 0)
			return fail(ld, "an empty price list", NULL);
		md->prices = feat_xcalloc(md->nprices, sizeof *md->prices);
		for (size_t i = 0; i < md->nprices; i++) {
			json_t *e = json_array_get(prices, i);
			json_t *c = json_object_get(e, "constraint");

			if (c && !json_is_null(c)) {
				md->prices[i].has_constraint = 1;
				if (load_constraint(ld, c, &md->prices[i].c) < 0)
					return -1;
			}
			if (load_price_set(ld, json_object_get(e, "prices"),
			    &md->prices[i].ps) < 0)
				return -1;
		}
	} else {
		md->nprices = 1;
		md->prices = feat_xcalloc(1, sizeof *md->prices);
		if (load_price_set(ld, prices, &md->prices[0].ps) < 0)
			return -1;
	}
	ld->kind = "provider";
	ld->where = ld->provider;
	return 0;
}

static int
provider_index(const struct feat_models *m, const char *id)
{
	for (size_t i = 0; i < m->nproviders; i++)
		if (strcmp(m->providers[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int
load_providers(struct loader *ld, json_t *arr)
{
	struct feat_models *m = ld->m;

	if (!json_is_array(arr))
		return fail(ld, "no 'providers' array", NULL);
	m->nproviders = json_array_size(arr);
	m->providers = feat_xcalloc(m->nproviders, sizeof *m->providers);
	for (size_t i = 0; i < m->nproviders; i++) {
		struct provider *p = &m->providers[i];
		json_t *j = json_array_get(arr, i);
		json_t *id = json_object_get(j, "id");
		json_t *name = json_object_get(j, "name");
		json_t *pm = json_object_get(j, "provider_match");
		json_t *mm = json_object_get(j, "model_match");
		json_t *models = json_object_get(j, "models");

		if (!json_is_string(id))
			return fail(ld, "a provider without an id", NULL);
		p->id = feat_xstrdup(json_string_value(id));
		p->name = feat_xstrdup(json_is_string(name) ?
		    json_string_value(name) : p->id);
		ld->kind = "provider";
		ld->where = ld->provider = p->id;
		if (pm && !json_is_null(pm)) {
			p->provider_match = feat_xcalloc(1,
			    sizeof *p->provider_match);
			if (load_clause(ld, pm, p->provider_match) < 0)
				return -1;
		}
		if (mm && !json_is_null(mm)) {
			p->model_match = feat_xcalloc(1, sizeof *p->model_match);
			if (load_clause(ld, mm, p->model_match) < 0)
				return -1;
		}
		if (!json_is_array(models))
			return fail(ld, "a provider without 'models'", NULL);
		p->nmodels = json_array_size(models);
		p->models = feat_xcalloc(p->nmodels, sizeof *p->models);
		for (size_t k = 0; k < p->nmodels; k++)
			if (load_model(ld, json_array_get(models, k),
			    &p->models[k]) < 0)
				return -1;
		ld->where = NULL;
	}
	/* Fallbacks by index, once every provider is known. */
	for (size_t i = 0; i < m->nproviders; i++) {
		struct provider *p = &m->providers[i];
		json_t *fb = json_object_get(json_array_get(arr, i),
		    "fallback_model_providers");

		if (fb == NULL || json_is_null(fb))
			continue;
		ld->kind = "provider";
		ld->where = p->id;
		if (!json_is_array(fb))
			return fail(ld, "fallback_model_providers is not an "
			    "array", NULL);
		p->fallback = feat_xcalloc(json_array_size(fb),
		    sizeof *p->fallback);
		for (size_t k = 0; k < json_array_size(fb); k++) {
			json_t *f = json_array_get(fb, k);
			int idx = json_is_string(f) ?
			    provider_index(m, json_string_value(f)) : -1;

			if (idx < 0)
				return fail(ld, "unknown fallback provider '%s'",
				    json_is_string(f) ? json_string_value(f) :
				    "?");
			p->fallback[p->nfallback++] = idx;
		}
		ld->where = NULL;
	}
	return 0;
}

const char *
feat_models_default_path(void)
{
	const char *env = getenv("FEAT_MODELS");

	return env && *env ? env : FEAT_PKGDATADIR "/models.json";
}

static void free_contents(struct feat_models *m);

feat_models *
feat_models_open(const char *path, char *err, size_t errlen)
{
	struct feat_models *m;

	if (path == NULL)
		path = feat_models_default_path();
	/* Said now, before any output; the file is read on first use. */
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "cannot open model catalog '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	m = feat_xcalloc(1, sizeof *m);
	m->path = feat_xstrdup(path);
	m->seed = ft_hash_seed();
	return m;
}

/* Reads the file into m; -1 with a message in err. */
static int
load(struct feat_models *m, char *err, size_t errlen)
{
	struct loader ld = { m, err, errlen, NULL, NULL, NULL };
	json_error_t je;
	json_t *root;
	FILE *f;

	if ((f = fopen(m->path, "r")) == NULL) {
		snprintf(err, errlen, "cannot open model catalog '%s': %s",
		    m->path, strerror(errno));
		return -1;
	}
	root = json_loadf(f, 0, &je);
	fclose(f);
	if (root == NULL) {
		snprintf(err, errlen, "invalid model catalog '%s': line %d: %s",
		    m->path, je.line, je.text);
		return -1;
	}
	if (!json_is_object(root) ||
	    load_units(&ld, json_object_get(root, "units")) < 0 ||
	    load_providers(&ld, json_object_get(root, "providers")) < 0) {
		if (!json_is_object(root))
			fail(&ld, "not an object", NULL);
		json_decref(root);
		return -1;
	}
	json_decref(root);
	m->cache_cap = 64;
	m->cache = feat_xcalloc(m->cache_cap, sizeof *m->cache);
	return 0;
}

int
feat_models_ensure(feat_models *m, char *err, size_t errlen)
{
	if (m->loaded)
		return 0;
	if (m->failed == NULL) {
		if (load(m, err, errlen) == 0) {
			m->loaded = 1;
			return 0;
		}
		free_contents(m);
		m->failed = feat_xstrdup(err);
	}
	snprintf(err, errlen, "%s", m->failed);
	return -1;
}

int
feat_models_loaded(const feat_models *m)
{
	return m->loaded;
}

feat_models *
feat_models_load(const char *path, char *err, size_t errlen)
{
	feat_models *m = feat_models_open(path, err, errlen);

	if (m && feat_models_ensure(m, err, errlen) < 0) {
		feat_models_free(m);
		return NULL;
	}
	return m;
}

static void
cache_clear(struct feat_models *m)
{
	for (size_t i = 0; i < m->cache_cap; i++) {
		free(m->cache[i].key);
		m->cache[i].key = NULL;
	}
	m->cache_n = 0;
}

void
feat_models_free(feat_models *m)
{
	if (m == NULL)
		return;
	free_contents(m);
	free(m->failed);
	free(m->path);
	free(m);
}

/* Everything load() made, so that a failed load leaves an empty m. */
static void
free_contents(struct feat_models *m)
{
	for (size_t i = 0; i < m->nunits; i++) {
		struct unit *u = &m->units[i];

		for (size_t d = 0; d < u->ndims; d++) {
			if (u->dim_name)
				free(u->dim_name[d]);
			if (u->dim_value)
				free(u->dim_value[d]);
		}
		free(u->dim_name);
		free(u->dim_value);
		free(u->key);
		free(u->price_key);
	}
	free(m->units);
	free(m->under);
	for (size_t i = 0; i < m->nproviders; i++) {
		struct provider *p = &m->providers[i];

		for (size_t k = 0; k < p->nmodels; k++) {
			struct feat_model *md = &p->models[k];

			for (size_t e = 0; e < md->nprices; e++) {
				struct price_set *ps = &md->prices[e].ps;

				for (size_t u = 0; u < ps->n; u++) {
					free(ps->u[u].rate.tiers);
					free(ps->u[u].more_specific);
				}
				free(ps->u);
			}
			free(md->prices);
			free_clause(&md->match);
			free(md->id);
		}
		free(p->models);
		free_clause(p->provider_match);
		free(p->provider_match);
		free_clause(p->model_match);
		free(p->model_match);
		free(p->fallback);
		free(p->id);
		free(p->name);
	}
	free(m->providers);
	if (m->cache)
		cache_clear(m);
	free(m->cache);
	ft_buf_free(&m->lower);
	ft_buf_free(&m->key);
	m->units = NULL;
	m->under = NULL;
	m->providers = NULL;
	m->cache = NULL;
	m->nunits = m->nproviders = m->cache_cap = m->cache_n = 0;
}

const char *
feat_models_path(const feat_models *m)
{
	return m->path;
}

size_t
feat_models_nunits(const feat_models *m)
{
	return m->nunits;
}

const char *
feat_models_unit(const feat_models *m, size_t i)
{
	return i < m->nunits ? m->units[i].key : NULL;
}

/* ---- matching ------------------------------------------------------------------ */
static int
contains(const char *s, size_t n, const char *sub, size_t k)
{
	if (k == 0)
		return 1;
	for (size_t i = 0; i + k <= n; i++)
		if (s[i] == sub[0] && memcmp(s + i, sub, k) == 0)
			return 1;
	return 0;
}

/* s is lowercased and NUL-terminated. */
static int
clause_match(const struct clause *c, const char *s, size_t n)
{
	switch (c->op) {
	case CL_EQUALS:
		return n == c->len && memcmp(s, c->s, n) == 0;
	case CL_STARTS_WITH:
		return n >= c->len && memcmp(s, c->s, c->len) == 0;
	case CL_ENDS_WITH:
		return n >= c->len && memcmp(s + n - c->len, c->s, c->len) == 0;
	case CL_CONTAINS:
		return contains(s, n, c->s, c->len);
	case CL_REGEX:
		return regexec(&c->re, s, 0, NULL, 0) == 0;
	case CL_OR:
		for (size_t k = 0; k < c->nkids; k++)
			if (clause_match(&c->kids[k], s, n))
				return 1;
		return 0;
	case CL_AND:
		for (size_t k = 0; k < c->nkids; k++)
			if (!clause_match(&c->kids[k], s, n))
				return 0;
		return 1;
	}
	return 0;
}

/* Lowercases s[0, n) into the scratch buffer b, NUL-terminated. */
static const char *
lower_into(struct ft_buf *b, const char *s, size_t n)
{
	b->len = 0;
	if (b->cap < n + 1)
		ft_buf_grow(b, n + 1);
	for (size_t i = 0; i < n; i++)
		b->p[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	b->p[n] = '\0';
	b->len = n;
	return b->p;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* Rule 1 with a provider named: by id, else by provider_match. */
static const struct provider *
find_provider_named(struct feat_models *m, const char *s, size_t n)
{
	struct ft_buf b = { 0 };
	const struct provider *found = NULL;
	const char *l;

	while (n > 0 && is_space(*s))
		s++, n--;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	l = lower_into(&b, s, n);
	for (size_t i = 0; i < m->nproviders && !found; i++)
		if (strcmp(m->providers[i].id, l) == 0)
			found = &m->providers[i];
	for (size_t i = 0; i < m->nproviders && !found; i++)
		if (m->providers[i].provider_match &&
		    clause_match(m->providers[i].provider_match, l, n))
			found = &m->providers[i];
	ft_buf_free(&b);
	return found;
}

/* Rule 2: the provider's models, then one step of fallbacks. */
static const struct feat_model *
find_model(const struct feat_models *m, const struct provider *p,
    const char *l, size_t n)
{
	for (size_t k = 0; k < p->nmodels; k++)
		if (clause_match(&p->models[k].match, l, n))
			return &p->models[k];
	for (size_t f = 0; f < p->nfallback; f++) {
		const struct provider *fp = &m->providers[p->fallback[f]];

		for (size_t k = 0; k < fp->nmodels; k++)
			if (clause_match(&fp->models[k].match, l, n))
				return &fp->models[k];
	}
	return NULL;
}

static void
resolve(struct feat_models *m, const char *provider, size_t plen,
    const char *model, size_t mlen, const struct provider **pp,
    const struct feat_model **mdp)
{
	const struct provider *p = NULL;
	const char *l = lower_into(&m->lower, model, mlen);

	if (provider)
		p = find_provider_named(m, provider, plen);
	else
		for (size_t i = 0; i < m->nproviders && !p; i++)
			if (m->providers[i].model_match &&
			    clause_match(m->providers[i].model_match, l, mlen))
				p = &m->providers[i];
	*pp = p;
	*mdp = p ? find_model(m, p, l, mlen) : NULL;
}

static void
cache_grow(struct feat_models *m)
{
	struct cache_entry *old = m->cache;
	size_t oldcap = m->cache_cap;

	m->cache_cap *= 2;
	m->cache = feat_xcalloc(m->cache_cap, sizeof *m->cache);
	for (size_t i = 0; i < oldcap; i++) {
		size_t k;

		if (old[i].key == NULL)
			continue;
		for (k = old[i].h & (m->cache_cap - 1); m->cache[k].key;
		    k = (k + 1) & (m->cache_cap - 1))
			;
		m->cache[k] = old[i];
	}
	free(old);
}

void
feat_models_find(feat_models *m, const char *provider, size_t plen,
    const char *model, size_t mlen, struct feat_model_match *out)
{
	struct ft_buf *key = &m->key;
	const struct provider *p;
	const struct feat_model *md;
	uint64_t h;
	size_t i;

	/* Key: "P" provider NUL model, or "-" model (input has no NULs). */
	key->len = 0;
	if (provider) {
		ft_buf_addc(key, 'P');
		ft_buf_add(key, provider, plen);
		ft_buf_addc(key, '\0');
	} else
		ft_buf_addc(key, '-');
	ft_buf_add(key, model, mlen);
	h = ft_seeded_hash(m->seed, key->p, key->len);
	for (i = h & (m->cache_cap - 1); m->cache[i].key;
	    i = (i + 1) & (m->cache_cap - 1))
		if (m->cache[i].h == h && m->cache[i].klen == key->len &&
		    memcmp(m->cache[i].key, key->p, key->len) == 0) {
			out->provider = m->cache[i].p ? m->cache[i].p->id : NULL;
			out->model = m->cache[i].md;
			return;
		}

	resolve(m, provider, plen, model, mlen, &p, &md);
	out->provider = p ? p->id : NULL;
	out->model = md;

	if (m->cache_n >= CACHE_MAX) {
		cache_clear(m);
		i = h & (m->cache_cap - 1);
	} else if (2 * (m->cache_n + 1) > m->cache_cap) {
		cache_grow(m);
		for (i = h & (m->cache_cap - 1); m->cache[i].key;
		    i = (i + 1) & (m->cache_cap - 1))
			;
	}
	m->cache[i].key = feat_xstrndup(key->p, key->len);
	m->cache[i].klen = key->len;
	m->cache[i].h = h;
	m->cache[i].p = p;
	m->cache[i].md = md;
	m->cache_n++;
}

const char *
feat_model_id(const feat_model *md)
{
	return md->id;
}

long
feat_model_context_window(const feat_model *md)
{
	return md->context_window;
}

/* ---- pricing --------------------------------------------------------------------- */
static int
constraint_holds(const struct constraint *c, int64_t ts)
{
	int64_t s = ft_floor_div(ts, FEAT_NS_PER_S);
	int64_t day = ft_floor_div(s, S_PER_DAY);
	int64_t sod = s - day * S_PER_DAY;

	if (c->has_date && day < c->start_day)
		return 0;
	if (c->has_time && !(c->start_s <= sod && sod < c->end_s))
		return 0;
	return 1;
}

/* Rule 3: the last entry that holds at ts, else the first. */
static const struct price_set *
prices_at(const struct feat_model *md, int64_t ts)
{
	if (!md->listed)
		return &md->prices[0].ps;
	for (size_t i = md->nprices; i-- > 0;)
		if (!md->prices[i].has_constraint ||
		    constraint_holds(&md->prices[i].c, ts))
			return &md->prices[i].ps;
	return &md->prices[0].ps;
}

void
feat_model_base_prices(const feat_models *m, const feat_model *md,
    int64_t ts, double *input_per_1k, double *output_per_1k, size_t *entry)
{
	const struct price_set *ps = prices_at(md, ts);

	*input_per_1k = *output_per_1k = NAN;
	*entry = 0;
	/* prices_at returns &prices[i].ps: recover i by address. */
	for (size_t i = 0; i < md->nprices; i++)
		if (&md->prices[i].ps == ps)
			*entry = i;
	for (size_t i = 0; i < ps->n; i++) {
		const struct unit *u = &m->units[ps->u[i].unit];
		double v = ps->u[i].rate.base * 1000 / u->per;

		if (strcmp(u->key, "input_tokens") == 0)
			*input_per_1k = v;
		else if (strcmp(u->key, "output_tokens") == 0)
			*output_per_1k = v;
	}
}

/* Rule 5: the last tier starting strictly below input_tokens, else base. */
static double
rate_for(const struct rate *r, double input_tokens)
{
	double rate = r->base;

	for (size_t i = 0; i < r->ntiers; i++)
		if (r->tiers[i].start < input_tokens)
			rate = r->tiers[i].price;
	return rate;
}

int
feat_model_price(const feat_models *m, const feat_model *md, int64_t ts,
    const double *usage, struct feat_cost *out, char *msg, size_t msglen)
{
	const struct price_set *ps = prices_at(md, ts);
	double count[64], *cnt = count, input = 0, output = 0, total = 0;
	double input_tokens = m->input_tokens >= 0 ?
	    usage[m->input_tokens] : 0;
	int rc = 0;

	if (ps->n > sizeof count / sizeof count[0])
		cnt = feat_xmalloc(ps->n * sizeof *cnt);
	for (size_t i = 0; i < ps->n; i++) {
		const struct priced *p = &ps->u[i];
		const struct unit *u = &m->units[p->unit];
		double c = u->requests ? 1 : usage[p->unit], amount;

		/* Rule 4: what the more specific priced units took is theirs. */
		for (size_t k = 0; k < p->nmore; k++)
			c -= cnt[p->more_specific[k]];
		if (c < 0) {
			double given = u->requests ? 1 : usage[p->unit];
			char a[FEAT_DOUBLE_BUFSZ], b[FEAT_DOUBLE_BUFSZ];

			feat_fmt_double(given, a);
			feat_fmt_double(given - c, b);
			if (p->nmore == 0 || given < 0)
				snprintf(msg, msglen, "inconsistent usage for "
				    "model '%s': '%s' is negative (%s)", md->id,
				    u->key, a);
			else
				snprintf(msg, msglen, "inconsistent usage for "
				    "model '%s': '%s' is %s, less than the %s "
				    "of the more specific units it includes",
				    md->id, u->key, a, b);
			rc = -1;
			break;
		}
		cnt[i] = c;
		amount = rate_for(&p->rate, input_tokens) * c / u->per;
		if (u->dir == DIR_INPUT)
			input += amount;
		else if (u->dir == DIR_OUTPUT)
			output += amount;
		total += amount;
	}
	if (cnt != count)
		free(cnt);
	if (rc < 0)
		return -1;
	if (!isfinite(total) || !isfinite(input) || !isfinite(output)) {
		snprintf(msg, msglen, "cost out of range for model '%s': usage "
		    "too large", md->id);
		return -1;
	}
	out->input_usd = input;
	out->output_usd = output;
	out->total_usd = total;
	return 0;
}
