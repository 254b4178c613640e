/*
 * catalog-merge.c - catalog overlays (--catalog-overlay, feat-catalog(5)):
 * an overlay's groups are merged by group name and its features by name
 * (by id when an entry has none), replacing the attributes they give and
 * adding the rest.  Problems with the overlay's own shape are reported
 * against the overlay's file; the merged document is checked whole by the
 * caller, so a bad overlay changes nothing.
 */
#include "catalog-private.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
void
ft_cat_merge_overlay(json_t *root, json_t *origin, json_t *ov, const char *path,
    struct ft_cat_reporter *rep)
{
	json_t *groups = json_object_get(root, "groups");
	json_t *features = json_object_get(root, "features");
	json_t *v, *entry;
	const char *k;
	size_t i;

	json_object_foreach(ov, k, v)
		if (strcmp(k, "catalog_version") != 0 &&
		    strcmp(k, "groups") != 0 && strcmp(k, "features") != 0)
			ft_cat_problem(rep, path, 0, "unknown member '%s'", k);
	v = json_object_get(ov, "catalog_version");
	if (v != NULL)
		json_object_set(root, "catalog_version", v);

	v = json_object_get(ov, "groups");
	if (v != NULL && !json_is_object(v))
		ft_cat_problem(rep, path, 0, "'groups' is not an object");
	else if (v != NULL && json_is_object(groups)) {
		json_object_foreach(v, k, entry) {
			json_t *g = json_object_get(groups, k);

			if (g != NULL && json_is_object(g) &&
			    json_is_object(entry))
				json_object_update(g, entry);
			else
				json_object_set_new(groups, k,
				    json_deep_copy(entry));
			ft_cat_set_origin(origin, 'g', k, path);
		}
	}

	v = json_object_get(ov, "features");
	if (v != NULL && !json_is_array(v)) {
		ft_cat_problem(rep, path, 0, "'features' is not an array");
		return;
	}
	if (v == NULL || !json_is_array(features))
		return;
	json_array_foreach(v, i, entry) {
		const char *name, *id;
		json_t *f = NULL;

		if (!json_is_object(entry)) {
			ft_cat_problem(rep, path, 0, "features[%zu] is not an object",
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
			ft_cat_problem(rep, path, 0, "features[%zu] has no name and "
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
				ft_cat_problem(rep, path, 0, "overlay changes the id "
				    "of '%s' from '%s' to '%s'",
				    fname ? fname : oldid, oldid, id);
				continue;
			}
			/* Names are never reused, so never revived either. */
			if (json_is_true(json_object_get(f, "deprecated")) &&
			    json_is_false(json_object_get(entry,
			    "deprecated"))) {
				ft_cat_problem(rep, path, 0, "overlay revives "
				    "deprecated feature '%s'",
				    fname ? fname : oldid);
				continue;
			}
			json_object_update(f, entry);
			/* The update may have freed the old name string. */
			name = json_string_value(json_object_get(f, "name"));
		}
		if (name != NULL)
			ft_cat_set_origin(origin, 'f', name, path);
	}
}
