/*
 * feat-extract - stateless and per-session features from LLM request logs
 * (feat-extract(1)): request, static and context records, or with -g event
 * each normalised event.  Options and calls into libfeat.
 */
#include "feat.h"

#include <stdlib.h>
#include <string.h>

enum {
	O_FIELD = 256, O_DROP, O_KEEP_UNKNOWN, O_LIST_FIELDS, O_TZ, O_STATE,
	O_MAX_SESSIONS, O_GROUP_VERSION, O_MODEL_FACTS
};

static const struct feat_option options[] = {
	{ "groups", 'g', "GROUPS", "request,static,context (the default, any "
	    "of them),\nor 'event' for each normalised event", 0 },
	{ "tz", O_TZ, "ZONE", "zone of the hour and weekday features "
	    "(default UTC)", 0 },
	{ "state", O_STATE, "FILE", "keep session depths, centroids and the "
	    "models seen\nacross runs (locked while in use)", 0 },
	{ "max-sessions", O_MAX_SESSIONS, "N", "bound of the state (default "
	    "1000000, LRU evicted)", 0 },
	{ "group-version", O_GROUP_VERSION, "N", "the version written in "
	    "feature records (default 1)", 0 },
	{ "model-facts", O_MODEL_FACTS, "FILE", "model facts (default "
	    "$FEAT_MODEL_FACTS, else\nmodel-facts.json beside the model "
	    "catalog)", 0 },
	{ "field", O_FIELD, "CANONICAL=SOURCE", "read a canonical field from "
	    "a source path", FEAT_OPTF_REPEAT },
	{ "drop", O_DROP, "FIELD", "leave a canonical field out of the output",
	    FEAT_OPTF_REPEAT },
	{ "keep-unknown", O_KEEP_UNKNOWN, NULL, "keep the other fields of the "
	    "input, under \"extra\"", 0 },
	{ "list-fields", O_LIST_FIELDS, NULL, "print each canonical field and "
	    "its sources, and exit", FEAT_OPTF_OWN_FORM },
	{ NULL, 0, NULL, NULL, 0 }
};

static const char *const forms[] = {
	"--list-fields [--field CANONICAL=SOURCE]...", NULL
};

struct run {
	const char *groups, *tz_name, *facts_path;
	const char **fields, **drops;
	size_t nfields, ndrops;
	int keep_unknown, list_fields;
	struct feat_extract_opts xo;
	feat_writer *w;
	feat_normaliser *nz;
	feat_extractor *x;
	feat_tz *tz;
	feat_model_facts *facts;
	int events;		/* -g event */
};

static int
option(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct run *r = ctx;

	switch (key) {
	case 'g': r->groups = arg; return 0;
	case O_TZ: r->tz_name = arg; return 0;
	case O_STATE: r->xo.state = arg; return 0;
	case O_MODEL_FACTS: r->facts_path = arg; return 0;
	case O_KEEP_UNKNOWN: r->keep_unknown = 1; return 0;
	case O_LIST_FIELDS: r->list_fields = 1; return 0;
	case O_FIELD:
		r->fields = feat_xrealloc(r->fields, (r->nfields + 1) *
		    sizeof *r->fields);
		r->fields[r->nfields++] = arg;
		return 0;
	case O_DROP:
		r->drops = feat_xrealloc(r->drops, (r->ndrops + 1) *
		    sizeof *r->drops);
		r->drops[r->ndrops++] = arg;
		return 0;
	case O_MAX_SESSIONS:
		if (feat_parse_size(arg, &r->xo.max_sessions) == 0 &&
		    r->xo.max_sessions > 0)
			return 0;
		snprintf(err, errlen, "invalid --max-sessions '%s'", arg);
		return -1;
	case O_GROUP_VERSION:
		return feat_parse_group_version(arg, &r->xo.group_version, err,
		    errlen);
	}
	return -1;
}

/* -g event: each normalised event as it is. */
static int
on_event(void *ctx, const feat_event *ev, struct feat_error *err)
{
	struct run *r = ctx;

	feat_event_write(r->nz, ev, r->w);
	if (feat_writer_end_record(r->w) == 0)
		return 0;
	err->code = FEAT_ERR_OUTPUT;
	return -1;
}

/* The feature groups: the model catalog and facts, the state. */
static int
setup(struct run *r, feat_tool *t, feat_models *models, struct feat_error *e)
{
	char buf[4096];

	e->code = FEAT_ERR_USAGE;
	if (feat_extract_groups(r->groups ? r->groups : "request,static,context",
	    &r->xo.groups, e->reason, sizeof e->reason) < 0)
		feat_tool_usage_error(t, "%s", e->reason);
	if (feat_models_ensure(models, e->reason, sizeof e->reason) < 0)
		return -1;
	r->facts = feat_model_facts_load(r->facts_path ? r->facts_path :
	    feat_model_facts_default_path(feat_models_path(models), buf,
	    sizeof buf), e->reason, sizeof e->reason);
	if (r->facts == NULL)
		return -1;
	r->xo.tz = r->tz;
	r->xo.clock = feat_tool_clock(t);
	r->xo.lock = feat_tool_lock_wait(t);
	r->x = feat_extractor_new(&r->xo, models, r->facts, e);
	return r->x ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct feat_tool_def def = {
		"feat-extract", NULL, options, FEAT_OPT_MODELS |
		FEAT_OPT_ON_ERROR | FEAT_OPT_MAX_LINE | FEAT_OPT_TIME_UNIT |
		FEAT_OPT_UNBUFFERED | FEAT_OPT_LOCK_TIMEOUT | FEAT_OPT_PROGRESS,
		"[FILE...]", forms, "FILE may be gzip-compressed; none or '-' "
		"reads stdin.  See feat-extract(1).\n", 0, option, NULL
	};
	struct feat_event_stage stage = { .event = on_event };
	struct feat_normaliser_opts no = { 0 };
	struct run r = { 0 };
	struct feat_error e = { 0 };
	feat_tool *t = feat_tool_start(&def, argc, argv, &r);
	char err[1024];
	int status;

	no.time_unit = feat_tool_time_unit(t);
	no.keep_unknown = r.keep_unknown;
	no.models = r.list_fields ? NULL : feat_tool_models(t);
	r.nz = feat_normaliser_new(&no);
	for (size_t i = 0; i < r.nfields; i++)
		if (feat_normaliser_field(r.nz, r.fields[i], err, sizeof err) < 0)
			feat_tool_usage_error(t, "%s", err);
	for (size_t i = 0; i < r.ndrops; i++)
		if (feat_normaliser_drop(r.nz, r.drops[i], err, sizeof err) < 0)
			feat_tool_usage_error(t, "%s", err);
	r.w = feat_tool_output(t);
	r.events = r.groups && strcmp(r.groups, "event") == 0;
	if (r.events && r.xo.state)
		feat_tool_usage_error(t, "--state does not apply to -g event");
	if (r.tz_name && (r.tz = feat_tz_open(r.tz_name, err,
	    sizeof err)) == NULL)
		feat_tool_usage_error(t, "%s", err);
	if (r.list_fields) {
		feat_normaliser_list_fields(r.nz, r.w);	/* end says a failure */
		status = feat_tool_end(t, FEAT_EXIT_OK);
	} else if (!r.events && setup(&r, t, no.models, &e) < 0)
		status = feat_tool_fail(t, &e);
	else if (r.events)
		status = feat_tool_run_events(t, r.nz, &stage, &r);
	else {
		feat_extractor_stage(r.x, r.w, &stage);
		status = feat_tool_run_events(t, r.nz, &stage, r.x);
	}
	feat_extractor_free(r.x);
	feat_model_facts_free(r.facts);
	feat_tz_free(r.tz);
	feat_normaliser_free(r.nz);
	free(r.fields);
	free(r.drops);
	feat_tool_free(t);
	return status;
}
