/*
 * catalog.c - the feature catalog (data/catalog.json, feat-catalog(5)):
 * loading, overlays, lookups by name, id, group and entity type, and the
 * checker that every tool relies on.
 *
 * A catalog is a jansson document (catalogs are documents, never record
 * streams) plus an index built over it.  Every rule is checked on the
 * document before the index is built, so the index code may trust types
 * and the tools never see a catalog that breaks a rule.  Overlays are
 * merged into a copy of the document and the copy is checked whole: a bad
 * overlay leaves the catalog as it was.  The checker reports problems
 * through a callback and never prints (libfeat never does).
 */
#include "feat-private.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 128	/* a Redis field and a SQL-friendly name */
#define VECTOR_MAX 65536

/* The attributes of a feature, in the order they are written out. */
static const char *const feature_attrs[] = {
	"id", "name", "category", "group", "type", "min", "max", "nullable",
	"default", "unit", "description", "formula", "source", "freshness_s",
	"owner", "tags", "deprecated", "drift", NULL
};
/* Every attribute above but drift must be present. */
#define FEATURE_REQUIRED 17

static const char *const group_attrs[] = {
	"entity_type", "key", "key_default", "producer", "preset", "events",
	"window", "description", "versions", NULL
};

static const char *const categories[][2] = {
	{ "request", "REQ" }, { "model", "MDL" }, { "performance", "PERF" },
	{ "feedback", "FDBK" }, { "context", "CTX" }, { "derived", "DRV" }
};
#define NCATEGORIES (sizeof categories / sizeof categories[0])

static const char *const producers[] = {
	"feat-extract", "feat-window", "feat-serve", "external", NULL
};
static const char *const event_kinds[] = {
	"request", "outcome", "feedback", "system_health", "any", NULL
};
static const char *const drift_keys[] = {
	"psi_medium", "psi_high", "z_medium", "z_high", "z_critical", "ks_p",
	"std_ratio_min", "std_ratio_max", "min_samples", NULL
};

enum ftype { T_FLOAT, T_INT, T_BOOL, T_CATEGORY, T_VECTOR };

struct feat_catalog_group {
	const char *name;
	json_t *obj;
	const char *entity_type, *key_default, *producer, *preset;
	const char **keys;
	size_t nkeys;
	char *window;		/* "tumbling:5m" or "" */
	int64_t lateness;
	long *versions;
	int *traffic;
	size_t nversions;
};

struct feat_catalog_feature {
	json_t *obj;
	const char *id, *name, *category, *group_name, *type, *unit;
	const char *description, *formula, *owner;
	const struct feat_catalog_group *group;
	enum ftype kind;
	size_t veclen;
	int bounds;		/* 1: min, 2: max */
	double min, max;
	int nullable, deprecated;
	long freshness;
	const char **sources, **tags;
	size_t nsources, ntags;
	char *default_text;
};

struct feat_catalog {
	json_t *root;		/* the merged document */
	json_t *origin;		/* {"f:NAME"|"g:NAME": file} for messages */
	long version;
	struct feat_catalog_feature *features;
	size_t nfeatures;
	struct feat_catalog_group *groups;
	size_t ngroups;
	const struct feat_catalog_feature **by_name, **by_id;
};

/* ---- small helpers ------------------------------------------------------- */

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* [a-z0-9_]+ (names, groups, entity types: they go into store keys). */
static int
valid_ident(const char *s)
{
	if (*s == '\0' || strlen(s) > NAME_MAX_LEN)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return 0;
	return 1;
}

/* [A-Z][A-Z0-9]*_[0-9]+: REQ_001, ACME_12. */
static int
valid_id(const char *s)
{
	const char *u = strrchr(s, '_');

	if (u == NULL || u == s || u[1] == '\0' || !(*s >= 'A' && *s <= 'Z'))
		return 0;
	for (const char *p = s; p < u; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_'))
			return 0;
	for (const char *p = u + 1; *p; p++)
		if (!(*p >= '0' && *p <= '9'))
			return 0;
	return 1;
}

/*
 * float, int, bool, category or vector[N] (N a decimal without a leading
 * zero).  Returns 0 and the kind, -1 for anything else, -2 for a vector
 * whose length is out of range.
 */
static int
parse_type(const char *s, enum ftype *kind, size_t *veclen)
{
	static const struct {
		const char *name;
		enum ftype kind;
	} simple[] = {
		{ "float", T_FLOAT }, { "int", T_INT }, { "bool", T_BOOL },
		{ "category", T_CATEGORY }
	};
	size_t n = 0;
	const char *p;

	*veclen = 0;
	for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
		if (strcmp(s, simple[i].name) == 0) {
			*kind = simple[i].kind;
			return 0;
		}
	if (strncmp(s, "vector[", 7) != 0)
		return -1;
	p = s + 7;
	if (!(*p >= '0' && *p <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > VECTOR_MAX)
			return -2;
		n = n * 10 + (size_t)(*p - '0');
	}
	if (p[0] != ']' || p[1] != '\0')
		return -1;
	if (n == 0 || n > VECTOR_MAX || s[7] == '0')
		return -2;
	*kind = T_VECTOR;
	*veclen = n;
	return 0;
}

/* ASCII case-insensitive strstr: patterns are names and ids. */
static int
contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return 1;
	for (; *hay; hay++) {
		size_t i = 0;

		while (i < n && hay[i] != '\0') {
			unsigned char a = (unsigned char)hay[i];
			unsigned char b = (unsigned char)needle[i];

			if (a >= 'A' && a <= 'Z')
				a = (unsigned char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (unsigned char)(b - 'A' + 'a');
			if (a != b)
				break;
			i++;
		}
		if (i == n)
			return 1;
	}
	return 0;
}

/* A number for a message, in the shortest form (never %g's rounding). */
static const char *
numtext(const json_t *v, char *buf)
{
	if (json_is_integer(v))
		snprintf(buf, FEAT_DOUBLE_BUFSZ, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else if (feat_fmt_double(json_number_value(v), buf) == 0)
		snprintf(buf, FEAT_DOUBLE_BUFSZ, "?");
	return buf;
}

/* Compact JSON text with shortest doubles, for default_text. */
static void
json_text(struct ft_buf *b, const json_t *v)
{
	char num[FEAT_DOUBLE_BUFSZ];
	const char *k;
	json_t *m;
	size_t i, n = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		ft_buf_addc(b, '{');
		json_object_foreach((json_t *)v, k, m) {
			if (n++ > 0)
				ft_buf_addc(b, ',');
			ft_json_quote_raw(b, k, strlen(k));
			ft_buf_addc(b, ':');
			json_text(b, m);
		}
		ft_buf_addc(b, '}');
		break;
	case JSON_ARRAY:
		ft_buf_addc(b, '[');
		json_array_foreach(v, i, m) {
			if (i > 0)
				ft_buf_addc(b, ',');
			json_text(b, m);
		}
		ft_buf_addc(b, ']');
		break;
	case JSON_STRING:
		ft_json_quote_raw(b, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		numtext(v, num);
		ft_buf_add(b, num, strlen(num));
		break;
	case JSON_TRUE:
		ft_buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		ft_buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		ft_buf_add(b, "null", 4);
		break;
	}
}

/* Any JSON value through the record writer: shortest doubles (SPEC 2). */
static void
write_json(feat_writer *w, const json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		feat_writer_open_object(w);
		json_object_foreach((json_t *)v, k, m) {
			feat_writer_key(w, k, strlen(k));
			write_json(w, m);
		}
		feat_writer_close_object(w);
		break;
	case JSON_ARRAY:
		feat_writer_open_array(w);
		json_array_foreach(v, i, m)
			write_json(w, m);
		feat_writer_close_array(w);
		break;
	case JSON_STRING:
		feat_writer_string(w, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
		feat_writer_int(w, json_integer_value(v));
		break;
	case JSON_REAL:
		feat_writer_double(w, json_real_value(v));
		break;
	case JSON_TRUE:
		feat_writer_bool(w, 1);
		break;
	case JSON_FALSE:
		feat_writer_bool(w, 0);
		break;
	case JSON_NULL:
		feat_writer_null(w);
		break;
	}
}

/* ---- reading documents -------------------------------------------------- */

struct reporter {
	feat_catalog_report_fn fn;
	void *ctx;
	int count;
};

static void problem(struct reporter *r, const char *file, unsigned long line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
problem(struct reporter *r, const char *file, unsigned long line,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->count++;
	if (r->fn != NULL)
		r->fn(r->ctx, file, line, msg);
}

/*
 * Reads the JSON document at path.  Returns it; NULL with *unreadable set
 * and err filled when the file cannot be opened or read; NULL with a
 * reported problem when it is not JSON.
 */
static json_t *
read_doc(const char *path, struct reporter *rep, int *unreadable, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *doc;
	FILE *fp;

	*unreadable = 0;
	fp = fopen(path, "r");
	if (fp == NULL) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		*unreadable = 1;
		return NULL;
	}
	/* Duplicate keys would silently lose an attribute: reject them. */
	doc = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL && ferror(fp)) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		*unreadable = 1;
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	if (doc == NULL) {
		problem(rep, path, jerr.line > 0 ? (unsigned long)jerr.line : 0,
		    "invalid JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		problem(rep, path, 0, "not a JSON object");
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static const char *
origin_of(const json_t *origin, char kind, const char *name,
    const char *fallback)
{
	char key[NAME_MAX_LEN * 4];
	const char *s;

	snprintf(key, sizeof key, "%c:%s", kind, name);
	s = json_string_value(json_object_get(origin, key));
	return s != NULL ? s : fallback;
}

static void
set_origin(json_t *origin, char kind, const char *name, const char *file)
{
	char key[NAME_MAX_LEN * 4];

	snprintf(key, sizeof key, "%c:%s", kind, name);
	json_object_set_new(origin, key, json_string(file));
}

/* Records path as the origin of every group and named feature of doc. */
static void
note_origins(json_t *origin, const json_t *doc, const char *path)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(json_object_get(doc, "groups"), k, v)
		set_origin(origin, 'g', k, path);
	json_array_foreach(json_object_get(doc, "features"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));

		if (name != NULL)
			set_origin(origin, 'f', name, path);
	}
}

/* ---- merging overlays --------------------------------------------------- */

static json_t *
find_feature(json_t *features, const char *attr, const char *value)
{
	json_t *f;
	size_t i;

	json_array_foreach(features, i, f) {
		const char *s = json_string_value(json_object_get(f, attr));

		if (s != NULL && strcmp(s, value) == 0)
			return f;
	}
	return NULL;
}

/*
 * Merges overlay ov (from path) into root.  Problems with the overlay's
 * own shape are reported against path; the merged result is checked by
 * the caller.
 */
static void
merge_overlay(json_t *root, json_t *origin, json_t *ov, const char *path,
    struct reporter *rep)
{
	json_t *groups = json_object_get(root, "groups");
	json_t *features = json_object_get(root, "features");
	json_t *v, *entry;
	const char *k;
	size_t i;

	json_object_foreach(ov, k, v)
		if (strcmp(k, "catalog_version") != 0 &&
		    strcmp(k, "groups") != 0 && strcmp(k, "features") != 0)
			problem(rep, path, 0, "unknown member '%s'", k);
	v = json_object_get(ov, "catalog_version");
	if (v != NULL)
		json_object_set(root, "catalog_version", v);

	v = json_object_get(ov, "groups");
	if (v != NULL && !json_is_object(v))
		problem(rep, path, 0, "'groups' is not an object");
	else if (v != NULL && json_is_object(groups)) {
		json_object_foreach(v, k, entry) {
			json_t *g = json_object_get(groups, k);

			if (g != NULL && json_is_object(g) &&
			    json_is_object(entry))
				json_object_update(g, entry);
			else
				json_object_set_new(groups, k,
				    json_deep_copy(entry));
			set_origin(origin, 'g', k, path);
		}
	}

	v = json_object_get(ov, "features");
	if (v != NULL && !json_is_array(v)) {
		problem(rep, path, 0, "'features' is not an array");
		return;
	}
	if (v == NULL || !json_is_array(features))
		return;
	json_array_foreach(v, i, entry) {
		const char *name, *id;
		json_t *f = NULL;

		if (!json_is_object(entry)) {
			problem(rep, path, 0, "features[%zu] is not an object",
			    i);
			continue;
		}
		name = json_string_value(json_object_get(entry, "name"));
		id = json_string_value(json_object_get(entry, "id"));
		if (name != NULL)
			f = find_feature(features, "name", name);
		else if (id != NULL)
			f = find_feature(features, "id", id);
		else {
			problem(rep, path, 0, "features[%zu] has no name and "
			    "no id", i);
			continue;
		}
		if (f == NULL) {
			json_array_append_new(features, json_deep_copy(entry));
		} else {
			const char *oldid = json_string_value(
			    json_object_get(f, "id"));
			const char *fname = json_string_value(
			    json_object_get(f, "name"));

			/* An id is a stored alias: it never moves. */
			if (id != NULL && oldid != NULL &&
			    strcmp(id, oldid) != 0) {
				problem(rep, path, 0, "overlay changes the id "
				    "of '%s' from '%s' to '%s'",
				    fname ? fname : oldid, oldid, id);
				continue;
			}
			/* Names are never reused, so never revived either. */
			if (json_is_true(json_object_get(f, "deprecated")) &&
			    json_is_false(json_object_get(entry,
			    "deprecated"))) {
				problem(rep, path, 0, "overlay revives "
				    "deprecated feature '%s'",
				    fname ? fname : oldid);
				continue;
			}
			json_object_update(f, entry);
			/* The update may have freed the old name string. */
			name = json_string_value(json_object_get(f, "name"));
		}
		if (name != NULL)
			set_origin(origin, 'f', name, path);
	}
}

/* ---- the rules ------------------------------------------------------------- */

struct checker {
	struct reporter *rep;
	const char *file;	/* the base document */
	const json_t *origin;
	const json_t *groups;	/* may be NULL when broken */
};

static void
check_duration(struct checker *ck, const char *file, const char *gname,
    const json_t *window, const char *member, int required, int zero_ok,
    int64_t *ns)
{
	const json_t *v = json_object_get(window, member);
	const char *s;

	*ns = 0;
	if (v == NULL) {
		if (required)
			problem(ck->rep, file, 0, "missing '%s' in the window "
			    "of group '%s'", member, gname);
		return;
	}
	s = json_string_value(v);
	if (s == NULL || feat_parse_duration(s, ns) < 0 || (*ns == 0 && !zero_ok)) {
		problem(ck->rep, file, 0, "invalid duration '%s' for '%s' in "
		    "group '%s': use a positive integer and ms, s, m, h or d",
		    s ? s : "(not a string)", member, gname);
		*ns = 0;
	}
}

static void
check_window(struct checker *ck, const char *file, const char *gname,
    const json_t *window)
{
	static const char *const members[] = {
		"type", "size", "slide", "gap", "max", "allowed_lateness", NULL
	};
	const char *type, *k;
	int64_t size, slide, gap, max, late;
	json_t *v;

	if (!json_is_object(window)) {
		problem(ck->rep, file, 0, "the window of group '%s' is not an "
		    "object", gname);
		return;
	}
	json_object_foreach((json_t *)window, k, v)
		if (!in_list(k, members))
			problem(ck->rep, file, 0, "unknown member '%s' in the "
			    "window of group '%s'", k, gname);
	type = json_string_value(json_object_get(window, "type"));
	check_duration(ck, file, gname, window, "allowed_lateness", 0, 1,
	    &late);
	if (json_object_get(window, "type") == NULL) {
		problem(ck->rep, file, 0, "missing 'type' in the window of "
		    "group '%s'", gname);
		return;
	}
	if (type == NULL)
		type = "(not a string)";
	if (strcmp(type, "tumbling") == 0 || strcmp(type, "sliding") == 0) {
		int sliding = type[0] == 's';

		check_duration(ck, file, gname, window, "size", 1, 0, &size);
		if (sliding)
			check_duration(ck, file, gname, window, "slide", 1, 0,
			    &slide);
		else if (json_object_get(window, "slide") != NULL)
			problem(ck->rep, file, 0, "'slide' does not apply to "
			    "the tumbling window of group '%s'", gname);
		if (sliding && size > 0 && slide > 0 && size % slide != 0)
			problem(ck->rep, file, 0, "slide '%s' does not divide "
			    "size '%s' in group '%s'",
			    json_string_value(json_object_get(window, "slide")),
			    json_string_value(json_object_get(window, "size")),
			    gname);
		if (json_object_get(window, "gap") != NULL ||
		    json_object_get(window, "max") != NULL)
			problem(ck->rep, file, 0, "'gap' and 'max' apply only "
			    "to session windows, not in group '%s'", gname);
	} else if (strcmp(type, "session") == 0) {
		check_duration(ck, file, gname, window, "gap", 1, 0, &gap);
		check_duration(ck, file, gname, window, "max", 0, 0, &max);
		if (gap > 0 && max > 0 && max < gap)
			problem(ck->rep, file, 0, "max shorter than gap in the "
			    "session window of group '%s'", gname);
		if (json_object_get(window, "size") != NULL ||
		    json_object_get(window, "slide") != NULL)
			problem(ck->rep, file, 0, "'size' and 'slide' do not "
			    "apply to the session window of group '%s'", gname);
	} else
		problem(ck->rep, file, 0, "unknown window type '%s' in group "
		    "'%s': use tumbling, sliding or session", type, gname);
}

static void
check_versions(struct checker *ck, const char *file, const char *gname,
    const json_t *versions)
{
	json_int_t lowest = 0, candidate = 0;
	const json_t *v, *other;
	size_t i, j, ncand = 0;

	if (!json_is_array(versions) || json_array_size(versions) == 0) {
		problem(ck->rep, file, 0, "'versions' of group '%s' is not a "
		    "non-empty list", gname);
		return;
	}
	json_array_foreach(versions, i, v) {
		const json_t *n = json_object_get(v, "version");
		const json_t *t = json_object_get(v, "traffic");
		const json_t *c = json_object_get(v, "changelog");
		const char *k;
		json_t *m;

		if (!json_is_object(v)) {
			problem(ck->rep, file, 0, "versions[%zu] of group '%s' "
			    "is not an object", i, gname);
			continue;
		}
		json_object_foreach((json_t *)v, k, m)
			if (strcmp(k, "version") != 0 &&
			    strcmp(k, "traffic") != 0 &&
			    strcmp(k, "changelog") != 0)
				problem(ck->rep, file, 0, "unknown member '%s' "
				    "in a version of group '%s'", k, gname);
		if (!json_is_integer(n) || json_integer_value(n) < 1 ||
		    json_integer_value(n) > INT_MAX) {
			problem(ck->rep, file, 0, "invalid version in group "
			    "'%s': not a positive integer", gname);
			continue;
		}
		if (lowest == 0 || json_integer_value(n) < lowest)
			lowest = json_integer_value(n);
		json_array_foreach(versions, j, other) {
			if (j >= i)
				break;
			if (json_equal(json_object_get(other, "version"), n)) {
				problem(ck->rep, file, 0, "duplicate version %"
				    JSON_INTEGER_FORMAT " in group '%s'",
				    json_integer_value(n), gname);
				break;
			}
		}
		if (t != NULL) {
			if (!json_is_integer(t) || json_integer_value(t) < 0 ||
			    json_integer_value(t) > 100)
				problem(ck->rep, file, 0, "invalid traffic of "
				    "version %" JSON_INTEGER_FORMAT " in group "
				    "'%s': use 0 to 100", json_integer_value(n),
				    gname);
			ncand++;
			candidate = json_integer_value(n);
		}
		if (c != NULL && !json_is_string(c))
			problem(ck->rep, file, 0, "the changelog of version %"
			    JSON_INTEGER_FORMAT " in group '%s' is not a "
			    "string", json_integer_value(n), gname);
	}
	if (ncand > 1)
		problem(ck->rep, file, 0, "more than one version of group '%s' "
		    "has traffic", gname);
	else if (ncand == 1 && candidate == lowest)
		problem(ck->rep, file, 0, "the control version %"
		    JSON_INTEGER_FORMAT " of group '%s' has traffic: only the "
		    "candidate has", lowest, gname);
}

static void
check_group(struct checker *ck, const char *gname, const json_t *g)
{
	const char *file = origin_of(ck->origin, 'g', gname, ck->file);
	const char *producer, *s, *k;
	const json_t *v;
	json_t *m;
	size_t i;

	if (!valid_ident(gname))
		problem(ck->rep, file, 0, "invalid group name '%s': use "
		    "[a-z0-9_]+", gname);
	if (!json_is_object(g)) {
		problem(ck->rep, file, 0, "group '%s' is not an object", gname);
		return;
	}
	json_object_foreach((json_t *)g, k, m)
		if (!in_list(k, group_attrs) && strncmp(k, "x_", 2) != 0)
			problem(ck->rep, file, 0, "unknown attribute '%s' in "
			    "group '%s'", k, gname);
	for (i = 0; i < 4; i++) {
		static const char *const req[] = {
			"entity_type", "key", "producer", "versions"
		};

		if (json_object_get(g, req[i]) == NULL)
			problem(ck->rep, file, 0, "missing attribute '%s' in "
			    "group '%s'", req[i], gname);
	}
	v = json_object_get(g, "entity_type");
	if (v != NULL && (!json_is_string(v) ||
	    !valid_ident(json_string_value(v))))
		problem(ck->rep, file, 0, "invalid entity_type in group '%s': "
		    "use [a-z0-9_]+", gname);
	v = json_object_get(g, "key");
	if (v != NULL) {
		int ok = json_is_string(v) && json_string_length(v) > 0;

		if (json_is_array(v) && json_array_size(v) > 0) {
			ok = 1;
			json_array_foreach(v, i, m)
				if (!json_is_string(m) ||
				    json_string_length(m) == 0)
					ok = 0;
		}
		if (!ok)
			problem(ck->rep, file, 0, "invalid key in group '%s': "
			    "a field name or a list of them", gname);
	}
	v = json_object_get(g, "key_default");
	if (v != NULL && !json_is_string(v))
		problem(ck->rep, file, 0, "the key_default of group '%s' is not "
		    "a string", gname);
	v = json_object_get(g, "description");
	if (v != NULL && !json_is_string(v))
		problem(ck->rep, file, 0, "the description of group '%s' is not "
		    "a string", gname);
	producer = json_string_value(json_object_get(g, "producer"));
	if (json_object_get(g, "producer") != NULL &&
	    (producer == NULL || !in_list(producer, producers))) {
		problem(ck->rep, file, 0, "unknown producer '%s' in group '%s': "
		    "use feat-extract, feat-window, feat-serve or external",
		    producer ? producer : "(not a string)", gname);
		producer = NULL;
	}
	v = json_object_get(g, "events");
	if (v != NULL && (!json_is_string(v) ||
	    !in_list(json_string_value(v), event_kinds)))
		problem(ck->rep, file, 0, "unknown events '%s' in group '%s': "
		    "use request, outcome, feedback, system_health or any",
		    json_is_string(v) ? json_string_value(v) : "(not a string)",
		    gname);
	v = json_object_get(g, "window");
	if (v != NULL)
		check_window(ck, file, gname, v);
	else if (producer != NULL && strcmp(producer, "feat-window") == 0)
		problem(ck->rep, file, 0, "group '%s' is written by feat-window "
		    "but has no window", gname);
	v = json_object_get(g, "preset");
	if (v != NULL) {
		const json_t *pg;

		s = json_string_value(v);
		pg = s ? json_object_get(ck->groups, s) : NULL;
		if (pg == NULL || !json_is_string(json_object_get(pg,
		    "producer")) || strcmp(json_string_value(
		    json_object_get(pg, "producer")), "feat-window") != 0)
			problem(ck->rep, file, 0, "unknown preset '%s' in group "
			    "'%s': name a group written by feat-window",
			    s ? s : "(not a string)", gname);
	}
	v = json_object_get(g, "versions");
	if (v != NULL)
		check_versions(ck, file, gname, v);
}

/* The name a message gives a feature: its name, else its id, else its
   position. */
static const char *
feature_ref(const json_t *f, size_t i, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(f, "name"));

	if (s == NULL || *s == '\0')
		s = json_string_value(json_object_get(f, "id"));
	if (s != NULL && *s != '\0')
		return s;
	snprintf(buf, len, "features[%zu]", i);
	return buf;
}

static int
is_number_or_null(const json_t *v)
{
	return json_is_number(v) || json_is_null(v);
}

/* Checks one value of a feature's type against its bounds. */
static void
check_value(struct checker *ck, const char *file, const char *ref,
    const json_t *v, enum ftype kind, const json_t *min, const json_t *max,
    const char *what)
{
	char a[FEAT_DOUBLE_BUFSZ], b[FEAT_DOUBLE_BUFSZ], c[FEAT_DOUBLE_BUFSZ];
	double d;

	switch (kind) {
	case T_CATEGORY:
		if (!json_is_string(v))
			problem(ck->rep, file, 0, "%s of '%s' is not a string",
			    what, ref);
		return;
	case T_BOOL:
		if (!json_is_integer(v) || (json_integer_value(v) != 0 &&
		    json_integer_value(v) != 1))
			problem(ck->rep, file, 0, "%s of '%s' is not 0 or 1",
			    what, ref);
		return;
	case T_INT:
		if (!json_is_integer(v)) {
			problem(ck->rep, file, 0, "%s of '%s' is not an "
			    "integer", what, ref);
			return;
		}
		break;
	case T_FLOAT:
	case T_VECTOR:
		if (!json_is_number(v)) {
			problem(ck->rep, file, 0, "%s of '%s' is not a number",
			    what, ref);
			return;
		}
		break;
	}
	d = json_number_value(v);
	if ((json_is_number(min) && d < json_number_value(min)) ||
	    (json_is_number(max) && d > json_number_value(max)))
		problem(ck->rep, file, 0, "%s %s of '%s' outside [%s, %s]",
		    what, numtext(v, a), ref,
		    json_is_number(min) ? numtext(min, b) : "-inf",
		    json_is_number(max) ? numtext(max, c) : "inf");
}

static void
check_string_list(struct checker *ck, const char *file, const char *ref,
    const json_t *v, const char *attr, int need_one)
{
	const json_t *m;
	size_t i;
	int ok = json_is_array(v) && (!need_one || json_array_size(v) > 0);

	if (ok)
		json_array_foreach(v, i, m)
			if (!json_is_string(m) || json_string_length(m) == 0)
				ok = 0;
	if (!ok)
		problem(ck->rep, file, 0, "'%s' of '%s' is not a list of "
		    "%snames", attr, ref, need_one ? "one or more " : "");
}

static void
check_feature(struct checker *ck, const json_t *f, size_t i)
{
	char refbuf[32], a[FEAT_DOUBLE_BUFSZ], b[FEAT_DOUBLE_BUFSZ];
	const char *ref = feature_ref(f, i, refbuf, sizeof refbuf);
	const char *file = ck->file, *s, *k, *category;
	const json_t *v, *min, *max, *def;
	enum ftype kind = T_FLOAT;
	size_t veclen = 0, j;
	int typed = 0;
	json_t *m;

	if (!json_is_object(f)) {
		problem(ck->rep, ck->file, 0, "features[%zu] is not an object",
		    i);
		return;
	}
	s = json_string_value(json_object_get(f, "name"));
	if (s != NULL)
		file = origin_of(ck->origin, 'f', s, ck->file);

	json_object_foreach((json_t *)f, k, m)
		if (!in_list(k, feature_attrs) && strncmp(k, "x_", 2) != 0)
			problem(ck->rep, file, 0, "unknown attribute '%s' in "
			    "'%s'", k, ref);
	for (j = 0; j < FEATURE_REQUIRED; j++)
		if (json_object_get(f, feature_attrs[j]) == NULL)
			problem(ck->rep, file, 0, "missing attribute '%s' in "
			    "'%s'", feature_attrs[j], ref);

	/* id and name: the alias and the canonical name. */
	v = json_object_get(f, "id");
	if (v != NULL && (!json_is_string(v) ||
	    !valid_id(json_string_value(v))))
		problem(ck->rep, file, 0, "invalid id '%s' in '%s': use "
		    "PREFIX_NNN in capitals", json_is_string(v) ?
		    json_string_value(v) : "(not a string)", ref);
	v = json_object_get(f, "name");
	if (v != NULL) {
		/* The name is what is wrong: call the feature by its id. */
		const char *idref = json_string_value(json_object_get(f, "id"));

		if (idref == NULL) {
			snprintf(refbuf, sizeof refbuf, "features[%zu]", i);
			idref = refbuf;
		}
		s = json_string_value(v);
		if (s != NULL && s[0] == '_')
			problem(ck->rep, file, 0, "name '%s' of '%s' starts "
			    "with '_', which marks record metadata", s, idref);
		else if (s != NULL && strlen(s) > NAME_MAX_LEN)
			problem(ck->rep, file, 0, "name of '%s' longer than %d "
			    "bytes", idref, NAME_MAX_LEN);
		else if (s == NULL || !valid_ident(s))
			problem(ck->rep, file, 0, "invalid name '%s' in '%s': "
			    "use [a-z0-9_]+", s ? s : "(not a string)", idref);
	}

	category = json_string_value(json_object_get(f, "category"));
	v = json_object_get(f, "category");
	if (v != NULL) {
		size_t c;

		for (c = 0; c < NCATEGORIES; c++)
			if (category != NULL &&
			    strcmp(category, categories[c][0]) == 0)
				break;
		if (c == NCATEGORIES)
			problem(ck->rep, file, 0, "unknown category '%s' in "
			    "'%s'", category ? category : "(not a string)",
			    ref);
		else if (json_is_string(json_object_get(f, "id"))) {
			/* A known prefix must agree with the category. */
			const char *id = json_string_value(json_object_get(f,
			    "id"));

			for (size_t p = 0; p < NCATEGORIES; p++) {
				size_t n = strlen(categories[p][1]);

				if (strncmp(id, categories[p][1], n) == 0 &&
				    id[n] == '_' && p != c)
					problem(ck->rep, file, 0, "id '%s' does "
					    "not match category '%s' in '%s'",
					    id, category, ref);
			}
		}
	}

	/* With 'groups' itself broken, every reference would be reported. */
	v = json_object_get(f, "group");
	if (v != NULL && ck->groups != NULL) {
		s = json_string_value(v);
		if (s == NULL || json_object_get(ck->groups, s) == NULL)
			problem(ck->rep, file, 0, "unknown group '%s' in '%s'",
			    s ? s : "(not a string)", ref);
	}

	v = json_object_get(f, "type");
	if (v != NULL) {
		int rc;

		s = json_string_value(v);
		rc = s ? parse_type(s, &kind, &veclen) : -1;
		if (rc == -2)
			problem(ck->rep, file, 0, "invalid vector length in "
			    "type '%s' of '%s': use 1 to %d", s, ref,
			    VECTOR_MAX);
		else if (rc < 0)
			problem(ck->rep, file, 0, "unknown type '%s' in '%s': "
			    "use float, int, bool, category or vector[N]",
			    s ? s : "(not a string)", ref);
		else
			typed = 1;
	}

	min = json_object_get(f, "min");
	max = json_object_get(f, "max");
	if (min != NULL && !is_number_or_null(min))
		problem(ck->rep, file, 0, "'min' of '%s' is not a number or "
		    "null", ref);
	if (max != NULL && !is_number_or_null(max))
		problem(ck->rep, file, 0, "'max' of '%s' is not a number or "
		    "null", ref);
	if (json_is_number(min) && json_is_number(max) &&
	    json_number_value(min) > json_number_value(max))
		problem(ck->rep, file, 0, "min %s greater than max %s in '%s'",
		    numtext(min, a), numtext(max, b), ref);
	if (typed && kind == T_CATEGORY && (json_is_number(min) ||
	    json_is_number(max)))
		problem(ck->rep, file, 0, "category feature '%s' has a min or "
		    "max: use null", ref);
	if (typed && kind == T_BOOL &&
	    ((json_is_number(min) && json_number_value(min) != 0) ||
	    (json_is_number(max) && json_number_value(max) != 1)))
		problem(ck->rep, file, 0, "bool feature '%s' has bounds other "
		    "than 0 and 1", ref);
	if (typed && kind == T_INT &&
	    ((json_is_real(min)) || json_is_real(max)))
		problem(ck->rep, file, 0, "int feature '%s' has a bound that is "
		    "not an integer", ref);

	v = json_object_get(f, "nullable");
	if (v != NULL && !json_is_boolean(v))
		problem(ck->rep, file, 0, "'nullable' of '%s' is not true or "
		    "false", ref);
	v = json_object_get(f, "deprecated");
	if (v != NULL && !json_is_boolean(v))
		problem(ck->rep, file, 0, "'deprecated' of '%s' is not true or "
		    "false", ref);

	def = json_object_get(f, "default");
	if (def != NULL && json_is_null(def)) {
		if (json_is_false(json_object_get(f, "nullable")))
			problem(ck->rep, file, 0, "null default of '%s', which "
			    "is not nullable", ref);
	} else if (def != NULL && typed) {
		if (kind != T_VECTOR)
			check_value(ck, file, ref, def, kind, min, max,
			    "default");
		else if (!json_is_array(def) || json_array_size(def) != veclen)
			problem(ck->rep, file, 0, "default of '%s' has %zu "
			    "elements, not %zu", ref, json_is_array(def) ?
			    json_array_size(def) : (size_t)1, veclen);
		else
			json_array_foreach(def, j, m)
				check_value(ck, file, ref, m, kind, min, max,
				    "default element");
	}

	v = json_object_get(f, "unit");
	if (v != NULL && !json_is_string(v))
		problem(ck->rep, file, 0, "'unit' of '%s' is not a string", ref);
	for (j = 0; j < 3; j++) {
		static const char *const texts[] = {
			"description", "formula", "owner"
		};

		v = json_object_get(f, texts[j]);
		if (v != NULL && (!json_is_string(v) ||
		    json_string_length(v) == 0))
			problem(ck->rep, file, 0, "'%s' of '%s' is not a "
			    "non-empty string", texts[j], ref);
	}
	v = json_object_get(f, "source");
	if (v != NULL)
		check_string_list(ck, file, ref, v, "source", 1);
	v = json_object_get(f, "tags");
	if (v != NULL)
		check_string_list(ck, file, ref, v, "tags", 0);
	v = json_object_get(f, "freshness_s");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > LONG_MAX))
		problem(ck->rep, file, 0, "'freshness_s' of '%s' is not a "
		    "positive integer", ref);
	v = json_object_get(f, "drift");
	if (v != NULL) {
		if (!json_is_object(v))
			problem(ck->rep, file, 0, "'drift' of '%s' is not an "
			    "object", ref);
		else
			json_object_foreach((json_t *)v, k, m) {
				if (!in_list(k, drift_keys))
					problem(ck->rep, file, 0, "unknown drift "
					    "threshold '%s' in '%s'", k, ref);
				else if (!json_is_number(m) ||
				    json_number_value(m) < 0)
					problem(ck->rep, file, 0, "drift "
					    "threshold '%s' of '%s' is not a "
					    "number >= 0", k, ref);
			}
	}
}

/*
 * Names and ids are unique, and a name, once given to a feature that was
 * later deprecated, is never given to another (stores and models keep
 * reading it).
 */
static void
check_unique(struct checker *ck, const json_t *features)
{
	json_t *names = json_object(), *ids = json_object();
	const json_t *f;
	size_t i;

	json_array_foreach(features, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *id = json_string_value(json_object_get(f, "id"));
		const char *file = name ? origin_of(ck->origin, 'f', name,
		    ck->file) : ck->file;
		const json_t *prev;

		if (name != NULL && (prev = json_object_get(names, name))) {
			const json_t *o = json_array_get(features,
			    (size_t)json_integer_value(prev));
			const char *oid = json_string_value(json_object_get(o,
			    "id"));
			int odep = json_is_true(json_object_get(o,
			    "deprecated"));
			int dep = json_is_true(json_object_get(f,
			    "deprecated"));

			if (odep != dep)
				problem(ck->rep, file, 0, "name '%s' of '%s' "
				    "reuses deprecated feature '%s'", name,
				    (dep ? oid : id) ? (dep ? oid : id) : "?",
				    (dep ? id : oid) ? (dep ? id : oid) : "?");
			else
				problem(ck->rep, file, 0, "duplicate name '%s' "
				    "in '%s' and '%s'", name, oid ? oid : "?",
				    id ? id : "?");
		} else if (name != NULL)
			json_object_set_new(names, name,
			    json_integer((json_int_t)i));
		if (id != NULL && (prev = json_object_get(ids, id))) {
			const json_t *o = json_array_get(features,
			    (size_t)json_integer_value(prev));
			char refbuf[32], obuf[32];

			problem(ck->rep, file, 0, "duplicate id '%s' in '%s' "
			    "and '%s'", id, feature_ref(o, (size_t)
			    json_integer_value(prev), obuf, sizeof obuf),
			    feature_ref(f, i, refbuf, sizeof refbuf));
		} else if (id != NULL)
			json_object_set_new(ids, id,
			    json_integer((json_int_t)i));
	}
	json_decref(names);
	json_decref(ids);
}

/* Every rule of feat-catalog(5) on a whole (merged) document. */
static void
check_doc(const json_t *root, const json_t *origin, const char *file,
    struct reporter *rep)
{
	struct checker ck = { rep, file, origin, NULL };
	const json_t *v, *groups, *features;
	const char *k;
	json_t *m;
	size_t i;

	json_object_foreach((json_t *)root, k, m)
		if (strcmp(k, "catalog_version") != 0 &&
		    strcmp(k, "groups") != 0 && strcmp(k, "features") != 0)
			problem(rep, file, 0, "unknown member '%s'", k);
	v = json_object_get(root, "catalog_version");
	if (v == NULL)
		problem(rep, file, 0, "missing 'catalog_version'");
	else if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > LONG_MAX)
		problem(rep, file, 0, "'catalog_version' is not a positive "
		    "integer");

	groups = json_object_get(root, "groups");
	if (groups == NULL)
		problem(rep, file, 0, "missing 'groups'");
	else if (!json_is_object(groups))
		problem(rep, file, 0, "'groups' is not an object");
	else {
		ck.groups = groups;
		json_object_foreach((json_t *)groups, k, m)
			check_group(&ck, k, m);
	}

	features = json_object_get(root, "features");
	if (features == NULL)
		problem(rep, file, 0, "missing 'features'");
	else if (!json_is_array(features))
		problem(rep, file, 0, "'features' is not an array");
	else {
		json_array_foreach(features, i, m)
			check_feature(&ck, m, i);
		check_unique(&ck, features);
	}
}

/*
 * Reads path and the overlays, merged, into *root and *origin.  Returns 0,
 * or -1 when a file cannot be read (err) or is not a JSON object (reported).
 */
static int
read_merged(const char *path, const char *const *overlays, size_t nov,
    struct reporter *rep, json_t **root, json_t **origin, char *err,
    size_t errlen)
{
	int unreadable;
	json_t *doc;

	*origin = NULL;
	*root = read_doc(path, rep, &unreadable, err, errlen);
	if (*root == NULL)
		return unreadable ? -1 : 0;
	*origin = json_object();
	note_origins(*origin, *root, path);
	for (size_t i = 0; i < nov; i++) {
		doc = read_doc(overlays[i], rep, &unreadable, err, errlen);
		if (doc == NULL) {
			if (unreadable) {
				json_decref(*root);
				json_decref(*origin);
				*root = *origin = NULL;
				return -1;
			}
			continue;	/* reported; the others are still merged */
		}
		merge_overlay(*root, *origin, doc, overlays[i], rep);
		json_decref(doc);
	}
	return 0;
}

int
feat_catalog_check(const char *path, const char *const *overlays,
    size_t noverlays, feat_catalog_report_fn report, void *ctx, char *err,
    size_t errlen)
{
	struct reporter rep = { report, ctx, 0 };
	json_t *root, *origin;

	if (read_merged(path, overlays, noverlays, &rep, &root, &origin, err,
	    errlen) < 0)
		return -1;
	if (root != NULL)
		check_doc(root, origin, path, &rep);
	json_decref(root);
	json_decref(origin);
	return rep.count;
}

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
	if (parse_type(f->type, &f->kind, &f->veclen) < 0)
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
	json_text(&b, json_object_get(obj, "default"));
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

/* Keeps the first problem as the error message, counts the rest. */
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
	struct reporter rep = { keep_first, &fp, 0 };
	struct feat_catalog *c;
	json_t *root, *origin;

	if (read_merged(path, NULL, 0, &rep, &root, &origin, err, errlen) < 0)
		return NULL;
	if (root != NULL)
		check_doc(root, origin, path, &rep);
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
	struct reporter rep = { keep_first, &fp, 0 };
	json_t *root, *origin, *ov;
	int unreadable;

	ov = read_doc(path, &rep, &unreadable, err, errlen);
	if (ov == NULL)
		return -1;
	/* Merge into copies: a rejected overlay leaves c as it was. */
	root = json_deep_copy(c->root);
	origin = json_deep_copy(c->origin);
	merge_overlay(root, origin, ov, path, &rep);
	json_decref(ov);
	if (rep.count == 0)
		check_doc(root, origin, path, &rep);
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
	return contains_nocase(f->name, pattern) ||
	    contains_nocase(f->id, pattern) ||
	    contains_nocase(f->group_name, pattern);
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
			write_json(w, v);
		}
	}
	json_object_foreach((json_t *)obj, k, v)
		if (strncmp(k, "x_", 2) == 0) {
			feat_writer_key(w, k, strlen(k));
			write_json(w, v);
		}
}

void
feat_catalog_write_feature(const feat_catalog_feature *f, feat_writer *w)
{
	write_members(f->obj, feature_attrs, w);
}

void
feat_catalog_write_default(const feat_catalog_feature *f, feat_writer *w)
{
	write_json(w, json_object_get(f->obj, "default"));
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
	write_members(g->obj, group_attrs, w);
}
