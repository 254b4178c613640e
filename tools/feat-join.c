/*
 * feat-join - point-in-time training sets (feat-join(1)): each input row
 * gets the feature values that held at its ts, read from a store with
 * history, and never one from after it.  Options and calls into libfeat.
 */
#include "feat.h"

#include <stdlib.h>
#include <string.h>

enum { O_FROM = 256, O_KEY, O_MAX_AGE, O_NO_FUTURE_CREATED };

static const struct feat_option options[] = {
	{ "from", O_FROM, "URI", "the store: dir:PATH or postgresql://...", FEAT_OPTF_REQUIRED },
	{ "group", 'g', "GROUP[:FEATURE,...]", "a group's features (all, "
	    "or those named)", FEAT_OPTF_REPEAT | FEAT_OPTF_REQUIRED },
	{ "key", O_KEY, "FIELD=ENTITY_TYPE", "the row field holding the "
	    "entity id\nof ENTITY_TYPE's groups (default: the row's "
	    "entity_type and entity_id)", FEAT_OPTF_REPEAT },
	{ "max-age", O_MAX_AGE, "DURATION", "a record older than this at the "
	    "row's ts is null,\nstatus stale", 0 },
	{ "no-future-created", O_NO_FUTURE_CREATED, NULL, "use only records "
	    "created by the row's ts", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

struct run {
	const char **groups, **keys;
	size_t ngroups, nkeys;
	struct feat_join_opts jo;
};

static const char **
push(const char **list, size_t *n, const char *arg)
{
	list = feat_xrealloc(list, (*n + 1) * sizeof *list);
	list[(*n)++] = arg;
	return list;
}

static int
option(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct run *r = ctx;

	switch (key) {
	case O_FROM:
		r->jo.uri = arg;
		return feat_store_check_uri(arg, err, errlen);
	case 'g': r->groups = push(r->groups, &r->ngroups, arg); return 0;
	case O_KEY: r->keys = push(r->keys, &r->nkeys, arg); return 0;
	case O_MAX_AGE:
		return feat_parse_duration_option("max-age", arg,
		    FEAT_NS_PER_MS, INT64_MAX, "10m", &r->jo.max_age, err,
		    errlen);
	case O_NO_FUTURE_CREATED: r->jo.no_future_created = 1; return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct feat_tool_def def = {
		"feat-join", NULL, options, FEAT_OPT_CATALOG |
		FEAT_OPT_CATALOG_OVERLAY | FEAT_OPT_ON_ERROR |
		FEAT_OPT_MAX_LINE | FEAT_OPT_TIME_UNIT | FEAT_OPT_UNBUFFERED |
		FEAT_OPT_PROGRESS, "[FILE...]", NULL,
		"FILE holds rows: JSON objects with a 'ts' and the entity ids, "
		"maybe gzip-\ncompressed; none or '-' reads stdin.  Each row "
		"is written back with\n\"features\" and \"feature_status\" "
		"added, in input order.  See feat-join(1).\n", 0, option, NULL
	};
	struct feat_tool_stage stage;
	struct run r = { 0 };
	struct feat_error e = { 0 };
	feat_joiner *j;
	feat_tool *t;
	int status;

	t = feat_tool_start(&def, argc, argv, &r);
	if (r.jo.uri == NULL)
		feat_tool_usage_error(t, "give a store: --from dir:PATH or postgresql://...");
	if (r.ngroups == 0)
		feat_tool_usage_error(t, "give a group: -g GROUP[:FEATURE,...]");
	r.jo.groups = r.groups;
	r.jo.ngroups = r.ngroups;
	r.jo.keys = r.keys;
	r.jo.nkeys = r.nkeys;
	r.jo.time_unit = feat_tool_time_unit(t);
	r.jo.catalog = feat_tool_catalog(t);
	r.jo.out = feat_tool_output(t);
	if ((j = feat_joiner_new(&r.jo, &e)) == NULL) {
		if (e.code == FEAT_ERR_USAGE)
			feat_tool_usage_error(t, "%s", e.reason);
		status = feat_tool_fail(t, &e);
	} else {
		feat_joiner_stage(j, &stage);
		status = feat_tool_run(t, &stage, j);
		feat_joiner_free(j);
	}
	free(r.groups);
	free(r.keys);
	feat_tool_free(t);
	return status;
}
