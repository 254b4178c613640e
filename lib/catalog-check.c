/*
 * catalog-check.c - the rules of feat-catalog(5), checked on the catalog
 * document (with its overlays merged) before any index is built: names
 * and ids, categories and groups, types and ranges, defaults, windows,
 * versions and their traffic, drift thresholds, deprecated names never
 * reused.  Every ft_cat_problem is reported through the caller's callback, with
 * the file it came from; nothing is printed.
 */
#include "catalog-private.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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


/* ---- the rules ------------------------------------------------------------- */

struct checker {
	struct ft_cat_reporter *rep;
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
			ft_cat_problem(ck->rep, file, 0, "missing '%s' in the window "
			    "of group '%s'", member, gname);
		return;
	}
	s = json_string_value(v);
	if (s == NULL || feat_parse_duration(s, ns) < 0 || (*ns == 0 && !zero_ok)) {
		ft_cat_problem(ck->rep, file, 0, "invalid duration '%s' for '%s' in "
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
		ft_cat_problem(ck->rep, file, 0, "the window of group '%s' is not an "
		    "object", gname);
		return;
	}
	json_object_foreach((json_t *)window, k, v)
		if (!in_list(k, members))
			ft_cat_problem(ck->rep, file, 0, "unknown member '%s' in the "
			    "window of group '%s'", k, gname);
	type = json_string_value(json_object_get(window, "type"));
	check_duration(ck, file, gname, window, "allowed_lateness", 0, 1,
	    &late);
	if (json_object_get(window, "type") == NULL) {
		ft_cat_problem(ck->rep, file, 0, "missing 'type' in the window of "
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
			ft_cat_problem(ck->rep, file, 0, "'slide' does not apply to "
			    "the tumbling window of group '%s'", gname);
		if (sliding && size > 0 && slide > 0 && size % slide != 0)
			ft_cat_problem(ck->rep, file, 0, "slide '%s' does not divide "
			    "size '%s' in group '%s'",
			    json_string_value(json_object_get(window, "slide")),
			    json_string_value(json_object_get(window, "size")),
			    gname);
		if (json_object_get(window, "gap") != NULL ||
		    json_object_get(window, "max") != NULL)
			ft_cat_problem(ck->rep, file, 0, "'gap' and 'max' apply only "
			    "to session windows, not in group '%s'", gname);
	} else if (strcmp(type, "session") == 0) {
		check_duration(ck, file, gname, window, "gap", 1, 0, &gap);
		check_duration(ck, file, gname, window, "max", 0, 0, &max);
		if (gap > 0 && max > 0 && max < gap)
			ft_cat_problem(ck->rep, file, 0, "max shorter than gap in the "
			    "session window of group '%s'", gname);
		if (json_object_get(window, "size") != NULL ||
		    json_object_get(window, "slide") != NULL)
			ft_cat_problem(ck->rep, file, 0, "'size' and 'slide' do not "
			    "apply to the session window of group '%s'", gname);
	} else
		ft_cat_problem(ck->rep, file, 0, "unknown window type '%s' in group "
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
		ft_cat_problem(ck->rep, file, 0, "'versions' of group '%s' is not a "
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
			ft_cat_problem(ck->rep, file, 0, "versions[%zu] of group '%s' "
			    "is not an object", i, gname);
			continue;
		}
		json_object_foreach((json_t *)v, k, m)
			if (strcmp(k, "version") != 0 &&
			    strcmp(k, "traffic") != 0 &&
			    strcmp(k, "changelog") != 0)
				ft_cat_problem(ck->rep, file, 0, "unknown member '%s' "
				    "in a version of group '%s'", k, gname);
		if (!json_is_integer(n) || json_integer_value(n) < 1 ||
		    json_integer_value(n) > INT_MAX) {
			ft_cat_problem(ck->rep, file, 0, "invalid version in group "
			    "'%s': not a positive integer", gname);
			continue;
		}
		if (lowest == 0 || json_integer_value(n) < lowest)
			lowest = json_integer_value(n);
		json_array_foreach(versions, j, other) {
			if (j >= i)
				break;
			if (json_equal(json_object_get(other, "version"), n)) {
				ft_cat_problem(ck->rep, file, 0, "duplicate version %"
				    JSON_INTEGER_FORMAT " in group '%s'",
				    json_integer_value(n), gname);
				break;
			}
		}
		if (t != NULL) {
			if (!json_is_integer(t) || json_integer_value(t) < 0 ||
			    json_integer_value(t) > 100)
				ft_cat_problem(ck->rep, file, 0, "invalid traffic of "
				    "version %" JSON_INTEGER_FORMAT " in group "
				    "'%s': use 0 to 100", json_integer_value(n),
				    gname);
			ncand++;
			candidate = json_integer_value(n);
		}
		if (c != NULL && !json_is_string(c))
			ft_cat_problem(ck->rep, file, 0, "the changelog of version %"
			    JSON_INTEGER_FORMAT " in group '%s' is not a "
			    "string", json_integer_value(n), gname);
	}
	if (ncand > 1)
		ft_cat_problem(ck->rep, file, 0, "more than one version of group '%s' "
		    "has traffic", gname);
	else if (ncand == 1 && candidate == lowest)
		ft_cat_problem(ck->rep, file, 0, "the control version %"
		    JSON_INTEGER_FORMAT " of group '%s' has traffic: only the "
		    "candidate has", lowest, gname);
}

static void
check_group(struct checker *ck, const char *gname, const json_t *g)
{
	const char *file = ft_cat_origin_of(ck->origin, 'g', gname, ck->file);
	const char *producer, *s, *k;
	const json_t *v;
	json_t *m;
	size_t i;

	if (!valid_ident(gname))
		ft_cat_problem(ck->rep, file, 0, "invalid group name '%s': use "
		    "[a-z0-9_]+", gname);
	if (!json_is_object(g)) {
		ft_cat_problem(ck->rep, file, 0, "group '%s' is not an object", gname);
		return;
	}
	json_object_foreach((json_t *)g, k, m)
		if (!in_list(k, ft_cat_group_attrs) && strncmp(k, "x_", 2) != 0)
			ft_cat_problem(ck->rep, file, 0, "unknown attribute '%s' in "
			    "group '%s'", k, gname);
	for (i = 0; i < 4; i++) {
		static const char *const req[] = {
			"entity_type", "key", "producer", "versions"
		};

		if (json_object_get(g, req[i]) == NULL)
			ft_cat_problem(ck->rep, file, 0, "missing attribute '%s' in "
			    "group '%s'", req[i], gname);
	}
	v = json_object_get(g, "entity_type");
	if (v != NULL && (!json_is_string(v) ||
	    !valid_ident(json_string_value(v))))
		ft_cat_problem(ck->rep, file, 0, "invalid entity_type in group '%s': "
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
			ft_cat_problem(ck->rep, file, 0, "invalid key in group '%s': "
			    "a field name or a list of them", gname);
	}
	v = json_object_get(g, "key_default");
	if (v != NULL && !json_is_string(v))
		ft_cat_problem(ck->rep, file, 0, "the key_default of group '%s' is not "
		    "a string", gname);
	v = json_object_get(g, "description");
	if (v != NULL && !json_is_string(v))
		ft_cat_problem(ck->rep, file, 0, "the description of group '%s' is not "
		    "a string", gname);
	producer = json_string_value(json_object_get(g, "producer"));
	if (json_object_get(g, "producer") != NULL &&
	    (producer == NULL || !in_list(producer, producers))) {
		ft_cat_problem(ck->rep, file, 0, "unknown producer '%s' in group '%s': "
		    "use feat-extract, feat-window, feat-serve or external",
		    producer ? producer : "(not a string)", gname);
		producer = NULL;
	}
	v = json_object_get(g, "events");
	if (v != NULL && (!json_is_string(v) ||
	    !in_list(json_string_value(v), event_kinds)))
		ft_cat_problem(ck->rep, file, 0, "unknown events '%s' in group '%s': "
		    "use request, outcome, feedback, system_health or any",
		    json_is_string(v) ? json_string_value(v) : "(not a string)",
		    gname);
	v = json_object_get(g, "window");
	if (v != NULL)
		check_window(ck, file, gname, v);
	else if (producer != NULL && strcmp(producer, "feat-window") == 0)
		ft_cat_problem(ck->rep, file, 0, "group '%s' is written by feat-window "
		    "but has no window", gname);
	v = json_object_get(g, "preset");
	if (v != NULL) {
		const json_t *pg;

		s = json_string_value(v);
		pg = s ? json_object_get(ck->groups, s) : NULL;
		if (pg == NULL || !json_is_string(json_object_get(pg,
		    "producer")) || strcmp(json_string_value(
		    json_object_get(pg, "producer")), "feat-window") != 0)
			ft_cat_problem(ck->rep, file, 0, "unknown preset '%s' in group "
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
			ft_cat_problem(ck->rep, file, 0, "%s of '%s' is not a string",
			    what, ref);
		return;
	case T_BOOL:
		if (!json_is_integer(v) || (json_integer_value(v) != 0 &&
		    json_integer_value(v) != 1))
			ft_cat_problem(ck->rep, file, 0, "%s of '%s' is not 0 or 1",
			    what, ref);
		return;
	case T_INT:
		if (!json_is_integer(v)) {
			ft_cat_problem(ck->rep, file, 0, "%s of '%s' is not an "
			    "integer", what, ref);
			return;
		}
		break;
	case T_FLOAT:
	case T_VECTOR:
		if (!json_is_number(v)) {
			ft_cat_problem(ck->rep, file, 0, "%s of '%s' is not a number",
			    what, ref);
			return;
		}
		break;
	}
	d = json_number_value(v);
	if ((json_is_number(min) && d < json_number_value(min)) ||
	    (json_is_number(max) && d > json_number_value(max)))
		ft_cat_problem(ck->rep, file, 0, "%s %s of '%s' outside [%s, %s]",
		    what, ft_cat_numtext(v, a), ref,
		    json_is_number(min) ? ft_cat_numtext(min, b) : "-inf",
		    json_is_number(max) ? ft_cat_numtext(max, c) : "inf");
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
		ft_cat_problem(ck->rep, file, 0, "'%s' of '%s' is not a list of "
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
		ft_cat_problem(ck->rep, ck->file, 0, "features[%zu] is not an object",
		    i);
		return;
	}
	s = json_string_value(json_object_get(f, "name"));
	if (s != NULL)
		file = ft_cat_origin_of(ck->origin, 'f', s, ck->file);

	json_object_foreach((json_t *)f, k, m)
		if (!in_list(k, ft_cat_feature_attrs) && strncmp(k, "x_", 2) != 0)
			ft_cat_problem(ck->rep, file, 0, "unknown attribute '%s' in "
			    "'%s'", k, ref);
	for (j = 0; j < FEATURE_REQUIRED; j++)
		if (json_object_get(f, ft_cat_feature_attrs[j]) == NULL)
			ft_cat_problem(ck->rep, file, 0, "missing attribute '%s' in "
			    "'%s'", ft_cat_feature_attrs[j], ref);

	/* id and name: the alias and the canonical name. */
	v = json_object_get(f, "id");
	if (v != NULL && (!json_is_string(v) ||
	    !valid_id(json_string_value(v))))
		ft_cat_problem(ck->rep, file, 0, "invalid id '%s' in '%s': use "
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
			ft_cat_problem(ck->rep, file, 0, "name '%s' of '%s' starts "
			    "with '_', which marks record metadata", s, idref);
		else if (s != NULL && strlen(s) > NAME_MAX_LEN)
			ft_cat_problem(ck->rep, file, 0, "name of '%s' longer than %d "
			    "bytes", idref, NAME_MAX_LEN);
		else if (s == NULL || !valid_ident(s))
			ft_cat_problem(ck->rep, file, 0, "invalid name '%s' in '%s': "
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
			ft_cat_problem(ck->rep, file, 0, "unknown category '%s' in "
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
					ft_cat_problem(ck->rep, file, 0, "id '%s' does "
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
			ft_cat_problem(ck->rep, file, 0, "unknown group '%s' in '%s'",
			    s ? s : "(not a string)", ref);
	}

	v = json_object_get(f, "type");
	if (v != NULL) {
		int rc;

		s = json_string_value(v);
		rc = s ? ft_cat_parse_type(s, &kind, &veclen) : -1;
		if (rc == -2)
			ft_cat_problem(ck->rep, file, 0, "invalid vector length in "
			    "type '%s' of '%s': use 1 to %d", s, ref,
			    VECTOR_MAX);
		else if (rc < 0)
			ft_cat_problem(ck->rep, file, 0, "unknown type '%s' in '%s': "
			    "use float, int, bool, category or vector[N]",
			    s ? s : "(not a string)", ref);
		else
			typed = 1;
	}

	min = json_object_get(f, "min");
	max = json_object_get(f, "max");
	if (min != NULL && !is_number_or_null(min))
		ft_cat_problem(ck->rep, file, 0, "'min' of '%s' is not a number or "
		    "null", ref);
	if (max != NULL && !is_number_or_null(max))
		ft_cat_problem(ck->rep, file, 0, "'max' of '%s' is not a number or "
		    "null", ref);
	if (json_is_number(min) && json_is_number(max) &&
	    json_number_value(min) > json_number_value(max))
		ft_cat_problem(ck->rep, file, 0, "min %s greater than max %s in '%s'",
		    ft_cat_numtext(min, a), ft_cat_numtext(max, b), ref);
	if (typed && kind == T_CATEGORY && (json_is_number(min) ||
	    json_is_number(max)))
		ft_cat_problem(ck->rep, file, 0, "category feature '%s' has a min or "
		    "max: use null", ref);
	if (typed && kind == T_BOOL &&
	    ((json_is_number(min) && json_number_value(min) != 0) ||
	    (json_is_number(max) && json_number_value(max) != 1)))
		ft_cat_problem(ck->rep, file, 0, "bool feature '%s' has bounds other "
		    "than 0 and 1", ref);
	if (typed && kind == T_INT &&
	    ((json_is_real(min)) || json_is_real(max)))
		ft_cat_problem(ck->rep, file, 0, "int feature '%s' has a bound that is "
		    "not an integer", ref);

	v = json_object_get(f, "nullable");
	if (v != NULL && !json_is_boolean(v))
		ft_cat_problem(ck->rep, file, 0, "'nullable' of '%s' is not true or "
		    "false", ref);
	v = json_object_get(f, "deprecated");
	if (v != NULL && !json_is_boolean(v))
		ft_cat_problem(ck->rep, file, 0, "'deprecated' of '%s' is not true or "
		    "false", ref);

	def = json_object_get(f, "default");
	if (def != NULL && json_is_null(def)) {
		if (json_is_false(json_object_get(f, "nullable")))
			ft_cat_problem(ck->rep, file, 0, "null default of '%s', which "
			    "is not nullable", ref);
	} else if (def != NULL && typed) {
		if (kind != T_VECTOR)
			check_value(ck, file, ref, def, kind, min, max,
			    "default");
		else if (!json_is_array(def) || json_array_size(def) != veclen)
			ft_cat_problem(ck->rep, file, 0, "default of '%s' has %zu "
			    "elements, not %zu", ref, json_is_array(def) ?
			    json_array_size(def) : (size_t)1, veclen);
		else
			json_array_foreach(def, j, m)
				check_value(ck, file, ref, m, kind, min, max,
				    "default element");
	}

	v = json_object_get(f, "unit");
	if (v != NULL && !json_is_string(v))
		ft_cat_problem(ck->rep, file, 0, "'unit' of '%s' is not a string", ref);
	for (j = 0; j < 3; j++) {
		static const char *const texts[] = {
			"description", "formula", "owner"
		};

		v = json_object_get(f, texts[j]);
		if (v != NULL && (!json_is_string(v) ||
		    json_string_length(v) == 0))
			ft_cat_problem(ck->rep, file, 0, "'%s' of '%s' is not a "
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
		ft_cat_problem(ck->rep, file, 0, "'freshness_s' of '%s' is not a "
		    "positive integer", ref);
	v = json_object_get(f, "drift");
	if (v != NULL) {
		if (!json_is_object(v))
			ft_cat_problem(ck->rep, file, 0, "'drift' of '%s' is not an "
			    "object", ref);
		else
			json_object_foreach((json_t *)v, k, m) {
				if (!in_list(k, drift_keys))
					ft_cat_problem(ck->rep, file, 0, "unknown drift "
					    "threshold '%s' in '%s'", k, ref);
				else if (!json_is_number(m) ||
				    json_number_value(m) < 0)
					ft_cat_problem(ck->rep, file, 0, "drift "
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
		const char *file = name ? ft_cat_origin_of(ck->origin, 'f', name,
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
				ft_cat_problem(ck->rep, file, 0, "name '%s' of '%s' "
				    "reuses deprecated feature '%s'", name,
				    (dep ? oid : id) ? (dep ? oid : id) : "?",
				    (dep ? id : oid) ? (dep ? id : oid) : "?");
			else
				ft_cat_problem(ck->rep, file, 0, "duplicate name '%s' "
				    "in '%s' and '%s'", name, oid ? oid : "?",
				    id ? id : "?");
		} else if (name != NULL)
			json_object_set_new(names, name,
			    json_integer((json_int_t)i));
		if (id != NULL && (prev = json_object_get(ids, id))) {
			const json_t *o = json_array_get(features,
			    (size_t)json_integer_value(prev));
			char refbuf[32], obuf[32];

			ft_cat_problem(ck->rep, file, 0, "duplicate id '%s' in '%s' "
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
void
ft_cat_check_doc(const json_t *root, const json_t *origin, const char *file,
    struct ft_cat_reporter *rep)
{
	struct checker ck = { rep, file, origin, NULL };
	const json_t *v, *groups, *features;
	const char *k;
	json_t *m;
	size_t i;

	json_object_foreach((json_t *)root, k, m)
		if (strcmp(k, "catalog_version") != 0 &&
		    strcmp(k, "groups") != 0 && strcmp(k, "features") != 0)
			ft_cat_problem(rep, file, 0, "unknown member '%s'", k);
	v = json_object_get(root, "catalog_version");
	if (v == NULL)
		ft_cat_problem(rep, file, 0, "missing 'catalog_version'");
	else if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > LONG_MAX)
		ft_cat_problem(rep, file, 0, "'catalog_version' is not a positive "
		    "integer");

	groups = json_object_get(root, "groups");
	if (groups == NULL)
		ft_cat_problem(rep, file, 0, "missing 'groups'");
	else if (!json_is_object(groups))
		ft_cat_problem(rep, file, 0, "'groups' is not an object");
	else {
		ck.groups = groups;
		json_object_foreach((json_t *)groups, k, m)
			check_group(&ck, k, m);
	}

	features = json_object_get(root, "features");
	if (features == NULL)
		ft_cat_problem(rep, file, 0, "missing 'features'");
	else if (!json_is_array(features))
		ft_cat_problem(rep, file, 0, "'features' is not an array");
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
int
ft_cat_read_merged(const char *path, const char *const *overlays, size_t nov,
    struct ft_cat_reporter *rep, json_t **root, json_t **origin, char *err,
    size_t errlen)
{
	int unreadable;
	json_t *doc;

	*origin = NULL;
	*root = ft_cat_read_doc(path, rep, &unreadable, err, errlen);
	if (*root == NULL)
		return unreadable ? -1 : 0;
	*origin = json_object();
	ft_cat_note_origins(*origin, *root, path);
	for (size_t i = 0; i < nov; i++) {
		doc = ft_cat_read_doc(overlays[i], rep, &unreadable, err, errlen);
		if (doc == NULL) {
			if (unreadable) {
				json_decref(*root);
				json_decref(*origin);
				*root = *origin = NULL;
				return -1;
			}
			continue;	/* reported; the others are still merged */
		}
		ft_cat_merge_overlay(*root, *origin, doc, overlays[i], rep);
		json_decref(doc);
	}
	return 0;
}

int
feat_catalog_check(const char *path, const char *const *overlays,
    size_t noverlays, feat_catalog_report_fn report, void *ctx, char *err,
    size_t errlen)
{
	struct ft_cat_reporter rep = { report, ctx, 0 };
	json_t *root, *origin;

	if (ft_cat_read_merged(path, overlays, noverlays, &rep, &root, &origin, err,
	    errlen) < 0)
		return -1;
	if (root != NULL)
		ft_cat_check_doc(root, origin, path, &rep);
	json_decref(root);
	json_decref(origin);
	return rep.count;
}
