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

struct want {
	const feat_catalog_feature *f;
	size_t group;			/* index into groups */
};

struct got {
	const char *name;		/* the group */
	char *line;			/* its record, or NULL */
	size_t len;
};

static int
copy_line(void *ctx, const char *line, size_t len)
{
	struct got *g = ctx;

	g->line = feat_xmalloc(len + 1);
	memcpy(g->line, line, len);
	g->line[len] = '\0';
	g->len = len;
	return 0;
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

int
feat_lookup(feat_store *s, const struct feat_lookup_opts *o,
    const char *etype, const char *eid, size_t eidlen, const char *features,
    feat_writer *w, char *err, size_t errlen)
{
	struct want *wants = feat_xcalloc(FEAT_LOOKUP_MAX_FEATURES,
	    sizeof *wants);
	struct got *groups = NULL;
	const feat_record **recs = NULL;
	size_t n, ngroups = 0;
	int64_t now = o->clock ? feat_clock_now(o->clock) : 0;
	int64_t at = o->as_of != INT64_MIN ? o->as_of : now;
	int rc = -1;

	if (feat_record_check_name(etype) < 0) {
		snprintf(err, errlen, "invalid entity type '%s': use "
		    "[a-z0-9_]+", etype);
		goto done;
	}
	if (feat_record_check_id(eid, eidlen, err, errlen) < 0)
		goto done;
	if (resolve(o->catalog, etype, features, wants, &n, err, errlen) < 0)
		goto done;
	/* The groups they come from, each read once. */
	groups = feat_xcalloc(n + 1, sizeof *groups);
	for (size_t i = 0; i < n; i++) {
		const char *g = feat_catalog_feature_group_name(wants[i].f);
		size_t j;

		for (j = 0; j < ngroups; j++)
			if (strcmp(groups[j].name, g) == 0)
				break;
		if (j == ngroups)
			groups[ngroups++].name = g;
		wants[i].group = j;
	}
	for (size_t j = 0; j < ngroups; j++) {
		const feat_catalog_group *g = feat_catalog_group_find(
		    o->catalog, groups[j].name);
		struct feat_store_key k = { etype, eid, eidlen,
		    groups[j].name, 1 };
		int traffic, r;

		/* The control: the group's lowest version (SPEC 8). */
		if (g && feat_catalog_group_version_count(g) > 0)
			k.version = feat_catalog_group_version(g, 0, &traffic);
		if (o->as_of == INT64_MIN)
			r = feat_store_latest(s, &k, copy_line, &groups[j],
			    err, errlen);
		else
			r = feat_store_as_of(s, &k, o->as_of,
			    o->no_future_created, copy_line, &groups[j], err,
			    errlen);
		if (r < 0)
			goto done;
	}

	/* Each group's record parsed once: one reader each. */
	recs = feat_xcalloc(ngroups + 1, sizeof *recs);
	feat_writer_open_object(w);
	KEY(w, "entity_type");
	feat_writer_string(w, etype, strlen(etype));
	KEY(w, "entity_id");
	feat_writer_string(w, eid, eidlen);
	KEY(w, "features");
	feat_writer_open_object(w);
	{
		feat_record_reader **rrs = feat_xcalloc(ngroups + 1,
		    sizeof *rrs);
		struct feat_error fe;
		const char **status = feat_xcalloc(n + 1, sizeof *status);

		for (size_t j = 0; j < ngroups; j++) {
			if (groups[j].line == NULL)
				continue;
			rrs[j] = feat_record_reader_new(FEAT_TIME_S);
			if (feat_record_read(rrs[j], groups[j].line,
			    groups[j].len, &recs[j], &fe) < 0)
				recs[j] = NULL;
		}
		for (size_t i = 0; i < n; i++) {
			const feat_catalog_feature *f = wants[i].f;
			const char *name = feat_catalog_feature_name(f);
			const feat_record *r = recs[wants[i].group];
			feat_record_reader *grr = rrs[wants[i].group];
			long fresh = feat_catalog_feature_freshness(f);
			struct feat_value v;
			int64_t age;

			feat_writer_key(w, name, strlen(name));
			if (r == NULL) {
				feat_writer_null(w);
				status[i] = "not_found";
				continue;
			}
			/* A record without the feature holds null for it,
			   as feat-join says. */
			if (feat_record_find(grr, r, name, &v) < 0 &&
			    feat_record_find(grr, r, feat_catalog_feature_id(f),
			    &v) < 0)
				v.type = FEAT_VALUE_NULL;
			age = at - feat_record_get_head(r)->ts;
			status[i] = v.type == FEAT_VALUE_NULL ||
			    v.type == FEAT_VALUE_OTHER ? "null" : "present";
			if ((o->max_age > 0 && age > o->max_age) ||
			    (fresh > 0 && age > (int64_t)fresh *
			    FEAT_NS_PER_S))
				status[i] = "stale";
			ft_value_write(w, &v);
		}
		feat_writer_close_object(w);
		KEY(w, "status");
		feat_writer_open_object(w);
		for (size_t i = 0; i < n; i++) {
			const char *name = feat_catalog_feature_name(wants[i].f);

			feat_writer_key(w, name, strlen(name));
			feat_writer_string(w, status[i], strlen(status[i]));
		}
		feat_writer_close_object(w);
		KEY(w, "metadata");
		feat_writer_open_object(w);
		KEY(w, "groups");
		feat_writer_open_object(w);
		for (size_t j = 0; j < ngroups; j++) {
			const struct feat_record_head *h;

			if (recs[j] == NULL)
				continue;
			h = feat_record_get_head(recs[j]);
			feat_writer_key(w, groups[j].name,
			    strlen(groups[j].name));
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
			feat_writer_string(w, "control", 7);
			KEY(w, "tier");
			feat_writer_string(w, o->tier ? o->tier : "store",
			    strlen(o->tier ? o->tier : "store"));
			KEY(w, "freshness_seconds");
			feat_writer_double(w, (double)(at - h->ts) /
			    (double)FEAT_NS_PER_S);
			feat_writer_close_object(w);
		}
		feat_writer_close_object(w);
		feat_writer_close_object(w);
		feat_writer_close_object(w);
		free(status);
		for (size_t j = 0; j < ngroups; j++)
			feat_record_reader_free(rrs[j]);
		free(rrs);
	}
	if (feat_writer_end_record(w) < 0) {
		snprintf(err, errlen, "cannot write: %s",
		    feat_writer_error(w));
		rc = -2;
	} else
		rc = 0;
done:
	for (size_t j = 0; j < ngroups; j++)
		free(groups[j].line);
	free(groups);
	free(recs);
	free(wants);
	return rc;
}
