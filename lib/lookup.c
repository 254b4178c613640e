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

#define KEY(w, k) ft_writer_plain_key((w), (k), sizeof(k) - 1)

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
	const char *name;		/* its name (catalog names need no
					   escape in JSON) and length */
	size_t namelen;
	const char *gname;		/* its group's, when stored */
	size_t group;			/* index into groups (stored) */
	enum calc calc;
	size_t self, global;		/* the groups a calc reads */
};

/* How f is answered: C_STORED from its group's record (*gname), else
   computed at serve time from stored groups (SPEC 4). */
static enum calc
calc_of(const feat_catalog_feature *f, const char **gname)
{
	const feat_catalog_group *fg = feat_catalog_feature_group(f);
	const char *id = feat_catalog_feature_id(f);

	*gname = NULL;
	if (fg == NULL || strcmp(feat_catalog_group_producer(fg),
	    "feat-serve") != 0) {
		*gname = fg ? feat_catalog_group_name(fg) : NULL;
		return C_STORED;
	}
	return strcmp(id, "DRV_002") == 0 ? C_COST_LATENCY :
	    strcmp(id, "DRV_003") == 0 ? C_QUALITY_COST :
	    strcmp(id, "DRV_007") == 0 ? C_TIME_PRESSURE :
	    strcmp(id, "DRV_008") == 0 ? C_LOAD_LATENCY :
	    strcmp(id, "DRV_010") == 0 ? C_PARETO : C_STORED;
}

/* Adds f (once) to wants; -1 past FEAT_LOOKUP_MAX_FEATURES. */
static int
add_want(struct want *wants, size_t *n, const feat_catalog_feature *f)
{
	for (size_t i = 0; i < *n; i++)
		if (wants[i].f == f)
			return 0;
	if (*n == FEAT_LOOKUP_MAX_FEATURES)
		return -1;
	wants[*n].f = f;
	wants[*n].name = feat_catalog_feature_name(f);
	wants[*n].namelen = strlen(wants[*n].name);
	wants[*n].calc = calc_of(f, &wants[*n].gname);
	(*n)++;
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
		if ((lk->groups[j].group == g ||
		    strcmp(lk->groups[j].group, g) == 0) &&
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
	/* For turning lines into prepared records. */
	feat_record_reader *rr;
	feat_writer *vw;		/* one value's JSON, into memory */
	struct ft_buf text;
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
ft_lookup_cache_reset(struct ft_lookup_cache *c)
{
	if (c == NULL)
		return;
	cache_forget(c);
	c->cat = NULL;
}

void
ft_lookup_cache_free(struct ft_lookup_cache *c)
{
	if (c == NULL)
		return;
	cache_forget(c);
	ft_names_free(&c->plans);
	feat_record_reader_free(c->rr);
	feat_writer_close(c->vw);
	ft_buf_free(&c->text);
	free(c);
}

/* resolve(), remembered in c (may be NULL) by entity type and list. */
static int
resolve_cached(struct ft_lookup_cache *c, const feat_catalog *cat,
    const char *etype, const char *features, struct want **wants,
    size_t *n, int *owned, char *err, size_t errlen)
{
	char key[4200];
	size_t el = strlen(etype), fl = features ? strlen(features) : 0;
	long i = -1;

	*owned = 0;
	if (c && el + fl + 1 < sizeof key) {
		if (c->cat != cat) {
			cache_forget(c);
			c->cat = cat;
		}
		memcpy(key, etype, el);
		key[el] = '\0';
		memcpy(key + el + 1, features ? features : "", fl);
		i = ft_names_get(&c->plans, key, el + 1 + fl, 0);
		if (i >= 0) {	/* borrowed: the caller copies it */
			*n = c->entries[i].n;
			*wants = c->entries[i].wants;
			return 0;
		}
	}
	*wants = feat_xcalloc(FEAT_LOOKUP_MAX_FEATURES, sizeof **wants);
	*owned = 1;
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
	struct want *wants;
	size_t n, size;
	int owned;

	if (feat_record_check_name(etype) < 0) {
		snprintf(err, errlen, "invalid entity type '%.64s': use "
		    "[a-z0-9_]+", etype);
		return NULL;
	}
	if (strlen(etype) >= sizeof lk->etype) {
		snprintf(err, errlen, "invalid entity type '%.64s...': longer "
		    "than %zu bytes", etype, sizeof lk->etype - 1);
		return NULL;
	}
	if (feat_record_check_id(eid, eidlen, err, errlen) < 0)
		return NULL;
	if (resolve_cached(cache, cat, etype, features, &wants, &n, &owned,
	    err, errlen) < 0) {
		free(wants);
		return NULL;
	}
	/* One block: the head, the wants, room for each feature's group
	   and the two a calc reads, then the id. */
	size = sizeof *lk + n * sizeof *lk->wants + (n + 3) *
	    sizeof *lk->groups;
	lk = feat_xcalloc(1, size + eidlen + 1);
	lk->wants = (struct want *)(void *)(lk + 1);
	lk->groups = (struct ft_lookup_group *)(void *)(lk->wants + n);
	lk->eid = (char *)lk + size;
	memcpy(lk->etype, etype, strlen(etype) + 1);
	memcpy(lk->eid, eid, eidlen);
	lk->eidlen = eidlen;
	lk->n = n;
	if (n > 0)
		memcpy(lk->wants, wants, n * sizeof *wants);
	if (owned)
		free(wants);
	for (size_t i = 0; i < lk->n; i++) {
		struct want *wt = &lk->wants[i];

		wt->self = wt->global = SIZE_MAX;
		wt->group = SIZE_MAX;
		switch (wt->calc) {
		case C_STORED:
			if (wt->gname)
				wt->group = add_group(lk, cat, wt->gname, 0,
				    user_id, version);
			break;
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
		}
	}
	return lk;
}

void
ft_lookup_free(struct ft_lookup *lk)
{
	if (lk == NULL)
		return;
	for (size_t j = 0; j < lk->ngroups; j++)
		free(lk->groups[j].prep);
	free(lk);		/* wants, groups and id are in its block */
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

/*
 * A prepared record: what a response needs of a record, read once when
 * the record arrives (and kept so in feat-serve's L1), so that answering
 * from it parses nothing.  One block of memory, copied as it is: the
 * head, then a row per feature in the record's order, then the text the
 * rows point into (names, and each value's JSON as a response writes it).
 */
struct prep_feat {
	uint32_t name, namelen;		/* offsets into the text */
	uint32_t val, vallen;
	double number;			/* the value, when numeric */
	uint8_t present;		/* else the status is null */
	uint8_t numeric;
	uint8_t boolean;		/* true or false, numeric as 1 or 0 */
};

struct ft_prep {
	size_t size;			/* of the whole block */
	int64_t ts, created;
	long version;
	int has_created;
	uint32_t n;
	struct prep_feat f[];
};

static const char *
prep_text(const struct ft_prep *p)
{
	return (const char *)&p->f[p->n];
}

/* Row of feature name in p, or NULL; the search starts at row *hint
   (features are mostly asked in the record's order) and leaves *hint
   after the row found. */
static const struct prep_feat *
prep_find(const struct ft_prep *p, const char *name, size_t len,
    uint32_t *hint)
{
	const char *text = prep_text(p);

	for (uint32_t k = 0; k < p->n; k++) {
		uint32_t i = (*hint + k) % p->n;

		if (p->f[i].namelen == len && memcmp(text + p->f[i].name,
		    name, len) == 0) {
			*hint = i + 1;
			return &p->f[i];
		}
	}
	return NULL;
}

/* The prepared form of line into out (p at out->p), or -1 when the line
   is not a record. */
static int
prep_make(struct ft_lookup_cache *c, const char *line, size_t len,
    struct ft_buf *out)
{
	const feat_record *r;
	const struct feat_record_head *h;
	const struct ft_json *doc;
	const struct ft_jval *fs, *e;
	struct feat_error fe;
	struct ft_prep *p;
	size_t n = 0, head, i = 0;

	if (c->rr == NULL) {
		c->rr = feat_record_reader_new(FEAT_TIME_S);
		c->vw = feat_writer_new(-1, 0);
	}
	if (feat_record_read(c->rr, line, len, &r, &fe) < 0)
		return -1;
	h = feat_record_get_head(r);
	doc = ft_record_doc(r);
	fs = ft_record_features(r);
	if (fs && fs->type == FT_JOBJECT)
		for (e = ft_json_node(doc, fs->child); e; e = ft_json_node(doc,
		    e->next))
			n++;
	head = sizeof(struct ft_prep) + n * sizeof(struct prep_feat);
	c->text.len = 0;
	for (e = n ? ft_json_node(doc, fs->child) : NULL; e;
	    e = ft_json_node(doc, e->next), i++) {
		struct prep_feat *pf;
		struct ft_buf *vb;
		const char *num;
		size_t numlen;
		int json_ok;

		/* Rows are filled after the text has moved out->p. */
		if (i == 0) {
			out->len = 0;
			ft_buf_grow(out, head);
			memset(out->p, 0, head);
		}
		pf = &((struct ft_prep *)(void *)out->p)->f[i];
		pf->name = (uint32_t)c->text.len;
		pf->namelen = e->keylen;
		ft_buf_add(&c->text, e->key, e->keylen);
		pf->val = (uint32_t)c->text.len;
		pf->present = e->type != FT_JNULL && e->type != FT_JOBJECT;
		switch (e->type) {
		case FT_JNULL:
		case FT_JOBJECT:
			ft_buf_add(&c->text, "null", 4);
			break;
		case FT_JTRUE:
		case FT_JFALSE:
			ft_buf_addc(&c->text, e->type == FT_JTRUE ? '1' : '0');
			pf->numeric = 1;
			pf->boolean = 1;
			pf->number = e->type == FT_JTRUE;
			break;
		case FT_JNUMBER:
			pf->numeric = ft_num_parse(e->s, e->len, &pf->number,
			    &num, &numlen, &json_ok) == FT_NUM_OK;
			/* FALLTHROUGH */
		default:
			ft_writer_clear(c->vw);
			ft_json_write(c->vw, doc, e);
			vb = ft_writer_buf(c->vw);
			ft_buf_add(&c->text, vb->p, vb->len);
			break;
		}
		pf->vallen = (uint32_t)(c->text.len - pf->val);
	}
	if (n == 0) {
		out->len = 0;
		ft_buf_grow(out, head);
		memset(out->p, 0, head);
	}
	ft_buf_grow(out, head + c->text.len);
	if (c->text.len > 0)	/* text.p is NULL before any text */
		memcpy(out->p + head, c->text.p, c->text.len);
	out->len = head + c->text.len;
	p = (struct ft_prep *)(void *)out->p;
	p->size = out->len;
	p->ts = h->ts;
	p->created = h->created;
	p->has_created = h->has_created;
	p->version = h->version;
	p->n = (uint32_t)n;
	return 0;
}

void
ft_lookup_set(struct ft_lookup_cache *c, struct ft_lookup *lk, size_t j,
    const char *line, size_t len, const char *tier)
{
	struct ft_lookup_group *g = &lk->groups[j];
	struct ft_lookup_cache *own = c ? NULL : ft_lookup_cache_new();
	struct ft_buf b = { NULL, 0, 0 };

	free(g->prep);
	g->prep = NULL;
	g->tier = tier;
	if (line && prep_make(c ? c : own, line, len, &b) == 0) {
		g->prep = (struct ft_prep *)(void *)b.p;
		b.p = NULL;
	}
	ft_buf_free(&b);
	ft_lookup_cache_free(own);
}

/* Whether a hash field's name quotes and reads back as the same bytes
   (printable ASCII but quote and backslash): the names feat writes. */
static int
plain_name(const char *s, size_t n)
{
	if (n == 0 || n > 1024)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

/*
 * Group j's record from the fields of a hash, prepared as ft_lookup_set
 * prepares the line the fields make, without that line and its parse:
 * only for plain names and values that are null, true, false or JSON
 * number text as it is written back; -1 for anything else (the caller
 * then gives the line, read as any line is).
 */
int
ft_lookup_set_fields(struct ft_lookup *lk, size_t j,
    const struct ft_fields *fs, const char *tier)
{
	struct ft_lookup_group *g = &lk->groups[j];
	size_t head, text = 0;
	struct ft_prep *p;
	char *t;

	if (fs->n > UINT32_MAX / 64)
		return -1;
	for (size_t i = 0; i < fs->n; i++) {
		const struct ft_hfield *f = &fs->f[i];

		if (!plain_name(f->name, f->namelen) || f->vallen == 0 ||
		    f->vallen > 1024)
			return -1;
		text += f->namelen + f->vallen;
	}
	head = sizeof(struct ft_prep) + fs->n * sizeof(struct prep_feat);
	if (text > UINT32_MAX / 2)
		return -1;
	p = feat_xcalloc(1, head + text);
	t = (char *)p + head;
	text = 0;
	for (size_t i = 0; i < fs->n; i++) {
		const struct ft_hfield *f = &fs->f[i];
		struct prep_feat *pf = &p->f[i];
		const char *v = f->val, *start;
		size_t n = f->vallen, tlen;
		int json_ok;

		pf->name = (uint32_t)text;
		pf->namelen = (uint32_t)f->namelen;
		memcpy(t + text, f->name, f->namelen);
		text += f->namelen;
		pf->val = (uint32_t)text;
		if (n == 4 && memcmp(v, "null", 4) == 0) {
			memcpy(t + text, "null", 4);
		} else if ((n == 4 && memcmp(v, "true", 4) == 0) ||
		    (n == 5 && memcmp(v, "false", 5) == 0)) {
			pf->present = pf->numeric = pf->boolean = 1;
			pf->number = n == 4;
			t[text] = n == 4 ? '1' : '0';
			n = 1;
		} else {
			enum ft_num rc = ft_num_parse(v, n, &pf->number,
			    &start, &tlen, &json_ok);

			if (!json_ok || start != v || tlen != n) {
				free(p);
				return -1;
			}
			pf->present = 1;
			pf->numeric = rc == FT_NUM_OK;
			memcpy(t + text, v, n);
		}
		pf->vallen = (uint32_t)n;
		text += n;
	}
	p->size = head + text;
	p->ts = fs->ts;
	p->created = fs->created;
	p->has_created = fs->has_created;
	p->version = fs->version;
	p->n = (uint32_t)fs->n;
	free(g->prep);
	g->prep = p;
	g->tier = tier;
	return 0;
}

void
ft_lookup_set_prep(struct ft_lookup *lk, size_t j, const void *prep,
    size_t size, const char *tier)
{
	struct ft_lookup_group *g = &lk->groups[j];

	free(g->prep);
	g->prep = feat_xmalloc(size);
	memcpy(g->prep, prep, size);
	g->tier = tier;
}

const void *
ft_lookup_prep(const struct ft_lookup *lk, size_t j, size_t *size)
{
	const struct ft_prep *p = lk->groups[j].prep;

	*size = p ? p->size : 0;
	return p;
}

int64_t
ft_lookup_ts(const struct ft_lookup *lk, size_t j)
{
	return lk->groups[j].prep ? lk->groups[j].prep->ts : INT64_MIN;
}

/* name's number in group j's record: 1 and *v, 0 when null, absent or not
   a number, -1 when the group has no record; *ts the oldest record. */
static int
num_in(const struct ft_lookup *lk, size_t j, const char *name, double *v,
    int64_t *ts)
{
	const struct ft_prep *p;
	const struct prep_feat *pf;

	if (j == SIZE_MAX || (p = lk->groups[j].prep) == NULL)
		return -1;
	if (p->ts < *ts)
		*ts = p->ts;
	{
		uint32_t hint = 0;

		pf = prep_find(p, name, strlen(name), &hint);
	}
	if (pf == NULL || !pf->numeric)
		return 0;
	*v = pf->number;
	return 1;
}

int
ft_lookup_number(const struct ft_lookup *lk, size_t j, const char *name,
    double *v)
{
	const struct ft_prep *p = lk->groups[j].prep;
	const struct prep_feat *pf;
	uint32_t hint = 0;

	if (p == NULL || (pf = prep_find(p, name, strlen(name), &hint)) ==
	    NULL || !pf->numeric || pf->boolean)
		return 0;
	*v = pf->number;
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
    const struct feat_lookup_opts *o, double *v, int64_t *ts)
{
	double a = 0, b = 0, c = 0;
	int ra, rb, rc;

	*ts = INT64_MAX;
	switch (wt->calc) {
	case C_COST_LATENCY:
		ra = num_in(lk, wt->self,
		    "avg_cost_per_request_5min", &a, ts);
		rb = num_in(lk, wt->self, "latency_p95_5min", &b,
		    ts);
		if (ra < 0)
			return -1;
		if (ra == 0 || rb == 0)
			return 0;
		*v = (min1(a / 0.01) + min1(b / 10000)) / 2;
		return 1;
	case C_QUALITY_COST:
		ra = num_in(lk, wt->self, "success_rate_5min", &a,
		    ts);
		rb = num_in(lk, wt->self,
		    "avg_cost_per_request_5min", &b, ts);
		if (ra < 0)
			return -1;
		if (ra == 0 || rb == 0 || b == 0)
			return 0;
		*v = a / b;
		return 1;
	case C_TIME_PRESSURE:
		ra = num_in(lk, wt->self, "request_priority", &a,
		    ts);
		rb = num_in(lk, wt->global,
		    "available_budget_ratio", &b, ts);
		if (ra < 0 || rb < 0)
			return -1;
		if (ra == 0 || rb == 0)
			return 0;
		*v = a * (1 - b);
		return 1;
	case C_LOAD_LATENCY:
		ra = num_in(lk, wt->self, "latency_p95_5min", &a,
		    ts);
		rb = num_in(lk, wt->global, "queue_depth", &b, ts);
		if (ra < 0 || rb < 0)
			return -1;
		if (ra == 0 || rb == 0)
			return 0;
		*v = a * (1 + b);
		return 1;
	case C_PARETO: {
		double p[3];

		ra = num_in(lk, wt->self,
		    "avg_cost_per_request_5min", &a, ts);
		rb = num_in(lk, wt->self, "latency_p95_5min", &b,
		    ts);
		rc = num_in(lk, wt->self, "error_rate_5min", &c,
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

/* A feature's status in a response, as written. */
enum fstatus { S_PRESENT, S_NULL, S_STALE, S_NOT_FOUND };
static const struct {
	const char *word;
	size_t len;
} fstatus_words[] = {
	{ "present", 7 }, { "null", 4 }, { "stale", 5 }, { "not_found", 9 }
};

int
ft_lookup_write(struct ft_lookup_cache *cache, const struct ft_lookup *lk,
    const struct feat_lookup_opts *o, feat_writer *w)
{
	return ft_lookup_write_marked(cache, lk, o, w, NULL);
}

static int64_t
min_i64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* a + b, saturated at INT64_MAX (b >= 0). */
static int64_t
add_sat(int64_t a, int64_t b)
{
	int64_t r;

	return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

int
ft_lookup_write_marked(struct ft_lookup_cache *cache,
    const struct ft_lookup *lk, const struct feat_lookup_opts *o,
    feat_writer *w, struct ft_answer_marks *m)
{
	size_t n = lk->n, ngroups = lk->ngroups, hint_group = SIZE_MAX;
	unsigned char status_buf[FEAT_LOOKUP_MAX_FEATURES + 1];
	unsigned char *status = n <= FEAT_LOOKUP_MAX_FEATURES ? status_buf :
	    feat_xcalloc(n + 1, sizeof *status);
	int64_t now = o->clock ? feat_clock_now(o->clock) : 0;
	int64_t at = o->as_of != INT64_MIN ? o->as_of : now;
	uint32_t hint = 0;

	(void)cache;
	if (m) {
		m->cacheable = o->as_of == INT64_MIN;
		m->until = INT64_MAX;
		m->ngroups = 0;
	}
	feat_writer_open_object(w);
	KEY(w, "entity_type");
	feat_writer_string(w, lk->etype, strlen(lk->etype));
	KEY(w, "entity_id");
	feat_writer_string(w, lk->eid, lk->eidlen);
	KEY(w, "features");
	feat_writer_open_object(w);
	for (size_t i = 0; i < n; i++) {
		const struct want *wt = &lk->wants[i];
		const struct ft_prep *p = wt->group == SIZE_MAX ? NULL :
		    lk->groups[wt->group].prep;
		const struct prep_feat *pf;
		long fresh = feat_catalog_feature_freshness(wt->f);
		int64_t age;

		ft_writer_plain_key(w, wt->name, wt->namelen);
		if (wt->calc != C_STORED) {
			double d = 0;

			if (m)		/* of other records than its own */
				m->cacheable = 0;
			int64_t oldest;
			int rc = calc_value(lk, wt, o, &d, &oldest);

			if (rc < 0) {
				feat_writer_null(w);
				status[i] = S_NOT_FOUND;
				continue;
			}
			rc == 1 ? feat_writer_double(w, d) :
			    feat_writer_null(w);
			status[i] = rc == 1 && isfinite(d) ? S_PRESENT :
			    S_NULL;
			age = age_of(at, oldest);
			if (too_old(age, o->max_age, fresh))
				status[i] = S_STALE;
			continue;
		}
		if (p == NULL) {
			feat_writer_null(w);
			status[i] = S_NOT_FOUND;
			continue;
		}
		if (wt->group != hint_group) {
			hint_group = wt->group;
			hint = 0;
		}
		/* A record without the feature holds null for it, as
		   feat-join says; the record may name it by its ID. */
		pf = prep_find(p, wt->name, wt->namelen, &hint);
		if (pf == NULL) {
			const char *fid = feat_catalog_feature_id(wt->f);

			pf = prep_find(p, fid, strlen(fid), &hint);
		}
		age = age_of(at, p->ts);
		status[i] = pf && pf->present ? S_PRESENT : S_NULL;
		if (too_old(age, o->max_age, fresh) ||
		    lk->groups[wt->group].stale)
			status[i] = S_STALE;
		else if (m) {
			/* Stale once the age passes a limit: the time past
			   which this answer no longer holds.  A stale status
			   stays so while the time goes forward. */
			if (o->max_age > 0)
				m->until = min_i64(m->until, add_sat(p->ts,
				    o->max_age));
			if (fresh > 0)
				m->until = min_i64(m->until, add_sat(p->ts,
				    fresh > INT64_MAX / FEAT_NS_PER_S ?
				    INT64_MAX : fresh * FEAT_NS_PER_S));
		}
		if (pf == NULL)
			feat_writer_null(w);
		else
			ft_writer_raw(w, prep_text(p) + pf->val, pf->vallen);
	}
	feat_writer_close_object(w);
	KEY(w, "status");
	feat_writer_open_object(w);
	for (size_t i = 0; i < n; i++) {
		ft_writer_plain_key(w, lk->wants[i].name,
		    lk->wants[i].namelen);
		ft_writer_plain_string(w, fstatus_words[status[i]].word,
		    fstatus_words[status[i]].len);
	}
	feat_writer_close_object(w);
	KEY(w, "metadata");
	feat_writer_open_object(w);
	KEY(w, "groups");
	feat_writer_open_object(w);
	for (size_t j = 0; j < ngroups; j++) {
		const struct ft_lookup_group *g = &lk->groups[j];
		const struct ft_prep *p = g->prep;
		const char *tier = g->tier ? g->tier : o->tier ? o->tier :
		    "store";

		if (m && (p == NULL || g->stale))
			m->cacheable = 0;
		if (p == NULL)
			continue;
		feat_writer_key(w, g->group, strlen(g->group));
		feat_writer_open_object(w);
		KEY(w, "ts");
		feat_writer_time(w, p->ts);
		if (p->has_created) {
			KEY(w, "created");
			feat_writer_time(w, p->created);
		}
		KEY(w, "version");
		feat_writer_int(w, p->version);
		KEY(w, "arm");
		feat_writer_string(w, g->arm, strlen(g->arm));
		KEY(w, "tier");
		feat_writer_string(w, tier, strlen(tier));
		KEY(w, "freshness_seconds");
		{
			double d = ((double)at - (double)p->ts) /
			    (double)FEAT_NS_PER_S;
			char num[FEAT_DOUBLE_BUFSZ];
			size_t n = feat_fmt_double(d, num);

			/* The number is what the writer's buffer ends with
			   (null when it is not finite). */
			feat_writer_double(w, d);
			n = n ? n : 4;
			if (m && m->ngroups < FT_MARK_GROUPS) {
				m->fresh[m->ngroups].at =
				    ft_writer_buf(w)->len - n;
				m->fresh[m->ngroups].len = n;
				m->fresh[m->ngroups].ts = p->ts;
				m->ngroups++;
			} else if (m)
				m->cacheable = 0;
		}
		feat_writer_close_object(w);
	}
	feat_writer_close_object(w);
	feat_writer_close_object(w);
	feat_writer_close_object(w);
	if (status != status_buf)
		free(status);
	return 0;
}

struct fetched {
	struct ft_lookup_cache *cache;
	struct ft_lookup *lk;
	size_t j;
};

static int
fetched_line(void *ctx, const char *line, size_t len)
{
	struct fetched *f = ctx;

	ft_lookup_set(f->cache, f->lk, f->j, line, len, NULL);
	return 0;
}

int
feat_lookup(feat_store *s, const struct feat_lookup_opts *o,
    const char *etype, const char *eid, size_t eidlen, const char *features,
    feat_writer *w, char *err, size_t errlen)
{
	struct ft_lookup_cache *c;
	struct ft_lookup *lk = ft_lookup_plan(NULL, o->catalog, etype, eid,
	    eidlen, features, NULL, 0, err, errlen);
	int rc = -1;

	if (lk == NULL)
		return -1;
	c = ft_lookup_cache_new();
	for (size_t j = 0; j < lk->ngroups; j++) {
		struct feat_store_key k = ft_lookup_key(lk, j);
		struct fetched f = { c, lk, j };
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
	ft_lookup_write(c, lk, o, w);
	if (feat_writer_end_record(w) < 0) {
		snprintf(err, errlen, "cannot write: %s",
		    feat_writer_error(w));
		rc = -2;
	} else
		rc = 0;
done:
	ft_lookup_free(lk);
	ft_lookup_cache_free(c);
	return rc;
}
