/*
 * catalog.c - the feature catalog (data/catalog.json, feat-catalog(5)):
 * loading, overlays applied, the index, and lookups by name, id, group and
 * entity type.  The rules live in catalog-check.c, overlays in
 * catalog-merge.c, the document helpers in catalog-doc.c.
 *
 * A catalog is a jansson document (catalogs are documents, never record
 * streams) plus an index built over it.  Every rule is checked on the
 * document before the index is built, so the index code may trust types
 * and the tools never see a catalog that breaks a rule.  Overlays are
 * merged into a copy of the document and the copy is checked whole: a bad
 * overlay leaves the catalog as it was.  The checker reports problems
 * through a callback and never prints (libfeat never does).
 */
#include "catalog-private.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the index ---------------------------------------------------------------- */

static int
cmp_name(const void *a, const void *b)
{
	const struct feat_catalog_feature *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int
cmp_id(const void *a, const void *b)
{
	const struct feat_catalog_feature *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

static const char *
str_or_empty(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static const char **
string_array(const json_t *a, size_t *n)
{
	const char **out;
	const json_t *m;
	size_t i;

	*n = json_array_size(a);
	out = feat_xcalloc(*n ? *n : 1, sizeof *out);
	json_array_foreach(a, i, m)
		out[i] = json_string_value(m);
	return out;
}

static void
free_index(struct feat_catalog *c)
{
	for (size_t i = 0; i < c->nfeatures; i++) {
		free(c->features[i].sources);
		free(c->features[i].tags);
		free(c->features[i].default_text);
	}
	for (size_t i = 0; i < c->ngroups; i++) {
		free(c->groups[i].keys);
		free(c->groups[i].window);
		free(c->groups[i].versions);
		free(c->groups[i].traffic);
	}
	free(c->features);
	free(c->groups);
	free(c->by_name);
	free(c->by_id);
	c->features = NULL;
	c->groups = NULL;
	c->by_name = c->by_id = NULL;
	c->nfeatures = c->ngroups = 0;
}

static void
build_group(struct feat_catalog_group *g, const char *name, json_t *obj)
{
	const json_t *key = json_object_get(obj, "key");
	const json_t *win = json_object_get(obj, "window");
	const json_t *vers = json_object_get(obj, "versions");
	const json_t *v;
	size_t i, j;

	g->name = name;
	g->obj = obj;
	g->entity_type = str_or_empty(obj, "entity_type");
	g->key_default = str_or_empty(obj, "key_default");
	g->producer = str_or_empty(obj, "producer");
	g->preset = str_or_empty(obj, "preset");
	g->events = str_or_empty(obj, "events");
	if (*g->preset == '\0' && strcmp(g->producer, "feat-window") == 0)
		g->preset = name;
	if (json_is_string(key)) {
		g->keys = feat_xcalloc(1, sizeof *g->keys);
		g->keys[0] = json_string_value(key);
		g->nkeys = 1;
	} else
		g->keys = string_array(key, &g->nkeys);

	if (win != NULL) {
		const char *type = str_or_empty(win, "type");
		struct ft_buf b = { 0 };

		ft_buf_add(&b, type, strlen(type));
		ft_buf_addc(&b, ':');
		if (strcmp(type, "session") == 0) {
			const char *gap = str_or_empty(win, "gap");
			const char *max = str_or_empty(win, "max");

			ft_buf_add(&b, gap, strlen(gap));
			if (*max) {
				ft_buf_addc(&b, '/');
				ft_buf_add(&b, max, strlen(max));
			}
		} else {
			const char *size = str_or_empty(win, "size");
			const char *slide = str_or_empty(win, "slide");

			ft_buf_add(&b, size, strlen(size));
			if (*slide) {
				ft_buf_addc(&b, '/');
				ft_buf_add(&b, slide, strlen(slide));
			}
		}
		ft_buf_addc(&b, '\0');
		g->window = b.p;
		if (feat_parse_duration(str_or_empty(win, "allowed_lateness"),
		    &g->lateness) < 0)
			g->lateness = 0;
	} else
		g->window = feat_xstrdup("");

	/* Lowest version first: the control of SPEC 8. */
	g->nversions = json_array_size(vers);
	g->versions = feat_xcalloc(g->nversions ? g->nversions : 1,
	    sizeof *g->versions);
	g->traffic = feat_xcalloc(g->nversions ? g->nversions : 1,
	    sizeof *g->traffic);
	json_array_foreach(vers, i, v) {
		const json_t *t = json_object_get(v, "traffic");
		long n = (long)json_integer_value(json_object_get(v, "version"));
		int tr = t ? (int)json_integer_value(t) : -1;

		for (j = i; j > 0 && g->versions[j - 1] > n; j--) {
			g->versions[j] = g->versions[j - 1];
			g->traffic[j] = g->traffic[j - 1];
		}
		g->versions[j] = n;
		g->traffic[j] = tr;
	}
}

static void
build_feature(struct feat_catalog *c, struct feat_catalog_feature *f,
    json_t *obj)
{
	const json_t *min = json_object_get(obj, "min");
	const json_t *max = json_object_get(obj, "max");
	struct ft_buf b = { 0 };

	f->obj = obj;
	f->id = str_or_empty(obj, "id");
	f->name = str_or_empty(obj, "name");
	f->category = str_or_empty(obj, "category");
	f->group_name = str_or_empty(obj, "group");
	f->type = str_or_empty(obj, "type");
	f->unit = str_or_empty(obj, "unit");
	f->description = str_or_empty(obj, "description");
	f->formula = str_or_empty(obj, "formula");
	f->owner = str_or_empty(obj, "owner");
	f->group = feat_catalog_group_find(c, f->group_name);
	if (ft_cat_parse_type(f->type, &f->kind, &f->veclen) < 0)
		f->kind = T_FLOAT;
	if (json_is_number(min)) {
		f->bounds |= 1;
		f->min = json_number_value(min);
	}
	if (json_is_number(max)) {
		f->bounds |= 2;
		f->max = json_number_value(max);
	}
	f->nullable = json_is_true(json_object_get(obj, "nullable"));
	f->deprecated = json_is_true(json_object_get(obj, "deprecated"));
	f->freshness = (long)json_integer_value(json_object_get(obj,
	    "freshness_s"));
	f->sources = string_array(json_object_get(obj, "source"), &f->nsources);
	f->tags = string_array(json_object_get(obj, "tags"), &f->ntags);
	ft_cat_json_text(&b, json_object_get(obj, "default"));
	ft_buf_addc(&b, '\0');
	f->default_text = b.p;
}

/* Builds the index over c->root, which has passed every rule. */
static void
build_index(struct feat_catalog *c)
{
	json_t *groups = json_object_get(c->root, "groups");
	json_t *features = json_object_get(c->root, "features");
	const char *k;
	json_t *v;
	size_t i;

	c->version = (long)json_integer_value(json_object_get(c->root,
	    "catalog_version"));
	c->ngroups = json_object_size(groups);
	c->groups = feat_xcalloc(c->ngroups ? c->ngroups : 1,
	    sizeof *c->groups);
	i = 0;
	json_object_foreach(groups, k, v)
		build_group(&c->groups[i++], k, v);

	c->nfeatures = json_array_size(features);
	c->features = feat_xcalloc(c->nfeatures ? c->nfeatures : 1,
	    sizeof *c->features);
	c->by_name = feat_xcalloc(c->nfeatures ? c->nfeatures : 1,
	    sizeof *c->by_name);
	c->by_id = feat_xcalloc(c->nfeatures ? c->nfeatures : 1,
	    sizeof *c->by_id);
	json_array_foreach(features, i, v) {
		build_feature(c, &c->features[i], v);
		c->by_name[i] = c->by_id[i] = &c->features[i];
	}
	qsort(c->by_name, c->nfeatures, sizeof *c->by_name, cmp_name);
	qsort(c->by_id, c->nfeatures, sizeof *c->by_id, cmp_id);
}

/* Keeps the first ft_cat_problem as the error message, counts the rest. */
struct first_problem {
	char *err;
	size_t errlen;
	int n;
};

static void
keep_first(void *ctx, const char *file, unsigned long line,
    const char *msg)
{
	struct first_problem *fp = ctx;

	if (fp->n++ > 0)
		return;
	if (line > 0)
		snprintf(fp->err, fp->errlen, "%s:%lu: %s", file, line, msg);
	else
		snprintf(fp->err, fp->errlen, "%s: %s", file, msg);
}

static void
more_problems(struct first_problem *fp)
{
	size_t len = strlen(fp->err);

	if (fp->n > 1 && len < fp->errlen)
		snprintf(fp->err + len, fp->errlen - len, " (and %d more "
		    "problem%s)", fp->n - 1, fp->n == 2 ? "" : "s");
}

feat_catalog *
feat_catalog_load(const char *path, char *err, size_t errlen)
{
	struct first_problem fp = { err, errlen, 0 };
	struct ft_cat_reporter rep = { keep_first, &fp, 0 };
	struct feat_catalog *c;
	json_t *root, *origin;

	if (ft_cat_read_merged(path, NULL, 0, &rep, &root, &origin, err, errlen) < 0)
		return NULL;
	if (root != NULL)
		ft_cat_check_doc(root, origin, path, &rep);
	if (rep.count > 0) {
		more_problems(&fp);
		json_decref(root);
		json_decref(origin);
		return NULL;
	}
	c = feat_xcalloc(1, sizeof *c);
	c->root = root;
	c->origin = origin;
	build_index(c);
	return c;
}

int
feat_catalog_overlay(feat_catalog *c, const char *path, char *err,
    size_t errlen)
{
	struct first_problem fp = { err, errlen, 0 };
	struct ft_cat_reporter rep = { keep_first, &fp, 0 };
	json_t *root, *origin, *ov;
	int unreadable;

	ov = ft_cat_read_doc(path, &rep, &unreadable, err, errlen);
	if (ov == NULL)
		return -1;
	/* Merge into copies: a rejected overlay leaves c as it was. */
	root = json_deep_copy(c->root);
	origin = json_deep_copy(c->origin);
	ft_cat_merge_overlay(root, origin, ov, path, &rep);
	json_decref(ov);
	if (rep.count == 0)
		ft_cat_check_doc(root, origin, path, &rep);
	if (rep.count > 0) {
		more_problems(&fp);
		json_decref(root);
		json_decref(origin);
		return -1;
	}
	free_index(c);
	json_decref(c->root);
	json_decref(c->origin);
	c->root = root;
	c->origin = origin;
	build_index(c);
	return 0;
}

void
feat_catalog_free(feat_catalog *c)
{
	if (c == NULL)
		return;
	free_index(c);
	json_decref(c->root);
	json_decref(c->origin);
	free(c);
}

/* ---- lookups and attributes ------------------------------------------------ */

const char *
feat_catalog_default_path(void)
{
	const char *env = getenv("FEAT_CATALOG");

	return env != NULL && *env != '\0' ? env :
	    FEAT_PKGDATADIR "/catalog.json";
}

long
feat_catalog_version(const feat_catalog *c)
{
	return c->version;
}

size_t
feat_catalog_count(const feat_catalog *c)
{
	return c->nfeatures;
}

const feat_catalog_feature *
feat_catalog_nth(const feat_catalog *c, size_t i)
{
	return i < c->nfeatures ? &c->features[i] : NULL;
}

const feat_catalog_feature *
feat_catalog_find(const feat_catalog *c, const char *name_or_id)
{
	struct feat_catalog_feature key = { 0 };
	const struct feat_catalog_feature *kp = &key, *const *hit;

	if (name_or_id == NULL || c->nfeatures == 0)
		return NULL;
	key.name = key.id = name_or_id;
	hit = bsearch(&kp, c->by_name, c->nfeatures, sizeof *c->by_name,
	    cmp_name);
	if (hit == NULL)
		hit = bsearch(&kp, c->by_id, c->nfeatures, sizeof *c->by_id,
		    cmp_id);
	return hit ? *hit : NULL;
}

size_t
feat_catalog_by_group(const feat_catalog *c, const char *group,
    const feat_catalog_feature **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nfeatures; i++)
		if (strcmp(c->features[i].group_name, group) == 0) {
			if (n < max)
				out[n] = &c->features[i];
			n++;
		}
	return n;
}

size_t
feat_catalog_by_entity(const feat_catalog *c, const char *entity_type,
    const feat_catalog_feature **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nfeatures; i++) {
		const struct feat_catalog_group *g = c->features[i].group;

		if (g != NULL && strcmp(g->entity_type, entity_type) == 0) {
			if (n < max)
				out[n] = &c->features[i];
			n++;
		}
	}
	return n;
}

int
feat_catalog_matches(const feat_catalog_feature *f, const char *pattern)
{
	return ft_cat_contains_nocase(f->name, pattern) ||
	    ft_cat_contains_nocase(f->id, pattern) ||
	    ft_cat_contains_nocase(f->group_name, pattern);
}

const char *
feat_catalog_feature_id(const feat_catalog_feature *f)
{
	return f->id;
}

const char *
feat_catalog_feature_name(const feat_catalog_feature *f)
{
	return f->name;
}

const char *
feat_catalog_feature_category(const feat_catalog_feature *f)
{
	return f->category;
}

const char *
feat_catalog_feature_group_name(const feat_catalog_feature *f)
{
	return f->group_name;
}

const feat_catalog_group *
feat_catalog_feature_group(const feat_catalog_feature *f)
{
	return f->group;
}

const char *
feat_catalog_feature_type(const feat_catalog_feature *f)
{
	return f->type;
}

size_t
feat_catalog_feature_vector_len(const feat_catalog_feature *f)
{
	return f->veclen;
}

int
feat_catalog_feature_range(const feat_catalog_feature *f, double *min,
    double *max)
{
	if (f->bounds & 1)
		*min = f->min;
	if (f->bounds & 2)
		*max = f->max;
	return f->bounds;
}

int
feat_catalog_feature_drift(const feat_catalog_feature *f, const char *key,
    double *v)
{
	json_t *t = json_object_get(json_object_get(f->obj, "drift"), key);

	if (!json_is_number(t))
		return 0;
	*v = json_number_value(t);
	return 1;
}

int
feat_catalog_feature_nullable(const feat_catalog_feature *f)
{
	return f->nullable;
}

int
feat_catalog_feature_deprecated(const feat_catalog_feature *f)
{
	return f->deprecated;
}

const char *
feat_catalog_feature_default_text(const feat_catalog_feature *f)
{
	return f->default_text;
}

const char *
feat_catalog_feature_unit(const feat_catalog_feature *f)
{
	return f->unit;
}

const char *
feat_catalog_feature_description(const feat_catalog_feature *f)
{
	return f->description;
}

const char *
feat_catalog_feature_formula(const feat_catalog_feature *f)
{
	return f->formula;
}

const char *
feat_catalog_feature_owner(const feat_catalog_feature *f)
{
	return f->owner;
}

long
feat_catalog_feature_freshness(const feat_catalog_feature *f)
{
	return f->freshness;
}

size_t
feat_catalog_feature_source_count(const feat_catalog_feature *f)
{
	return f->nsources;
}

const char *
feat_catalog_feature_source(const feat_catalog_feature *f, size_t i)
{
	return i < f->nsources ? f->sources[i] : NULL;
}

size_t
feat_catalog_feature_tag_count(const feat_catalog_feature *f)
{
	return f->ntags;
}

const char *
feat_catalog_feature_tag(const feat_catalog_feature *f, size_t i)
{
	return i < f->ntags ? f->tags[i] : NULL;
}

/* Known attributes in their documented order, then x_ extensions. */
static void
write_members(const json_t *obj, const char *const *order, feat_writer *w)
{
	const char *k;
	json_t *v;

	for (; *order != NULL; order++) {
		v = json_object_get(obj, *order);
		if (v != NULL) {
			feat_writer_key(w, *order, strlen(*order));
			ft_cat_write_json(w, v);
		}
	}
	json_object_foreach((json_t *)obj, k, v)
		if (strncmp(k, "x_", 2) == 0) {
			feat_writer_key(w, k, strlen(k));
			ft_cat_write_json(w, v);
		}
}

void
feat_catalog_write_feature(const feat_catalog_feature *f, feat_writer *w)
{
	write_members(f->obj, ft_cat_feature_attrs, w);
}

void
feat_catalog_write_default(const feat_catalog_feature *f, feat_writer *w)
{
	ft_cat_write_json(w, json_object_get(f->obj, "default"));
}

size_t
feat_catalog_group_count(const feat_catalog *c)
{
	return c->ngroups;
}

const feat_catalog_group *
feat_catalog_group_nth(const feat_catalog *c, size_t i)
{
	return i < c->ngroups ? &c->groups[i] : NULL;
}

const feat_catalog_group *
feat_catalog_group_find(const feat_catalog *c, const char *name)
{
	/* A dozen groups: a scan is as fast as any index. */
	for (size_t i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i].name, name) == 0)
			return &c->groups[i];
	return NULL;
}

const char *
feat_catalog_group_name(const feat_catalog_group *g)
{
	return g->name;
}

const char *
feat_catalog_group_entity_type(const feat_catalog_group *g)
{
	return g->entity_type;
}

size_t
feat_catalog_group_key_count(const feat_catalog_group *g)
{
	return g->nkeys;
}

const char *
feat_catalog_group_key(const feat_catalog_group *g, size_t i)
{
	return i < g->nkeys ? g->keys[i] : NULL;
}

const char *
feat_catalog_group_key_default(const feat_catalog_group *g)
{
	return g->key_default;
}

const char *
feat_catalog_group_producer(const feat_catalog_group *g)
{
	return g->producer;
}

const char *
feat_catalog_group_preset(const feat_catalog_group *g)
{
	return g->preset;
}

const char *
feat_catalog_group_events(const feat_catalog_group *g)
{
	return g->events;
}

const char *
feat_catalog_group_window(const feat_catalog_group *g)
{
	return g->window;
}

int64_t
feat_catalog_group_lateness(const feat_catalog_group *g)
{
	return g->lateness;
}

size_t
feat_catalog_group_version_count(const feat_catalog_group *g)
{
	return g->nversions;
}

long
feat_catalog_group_version(const feat_catalog_group *g, size_t i,
    int *traffic)
{
	if (i >= g->nversions)
		return 0;
	if (traffic != NULL)
		*traffic = g->traffic[i];
	return g->versions[i];
}

void
feat_catalog_write_group(const feat_catalog_group *g, feat_writer *w)
{
	write_members(g->obj, ft_cat_group_attrs, w);
}
