/*
 * feat-window - event-time windowed aggregation (feat-window(1)): a preset
 * of the catalog (-p perf_5min) or the general form (-w, -k, -a) over
 * normalised events, one feature record per key and window when the
 * watermark passes its end.  Options and calls into libfeat.
 */
#include "feat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	O_GROUP_VERSION = 256, O_CREATED, O_ALIGN, O_WATERMARK_DELAY,
	O_EVENTS, O_FIELD, O_LATE, O_MAX_SKEW, O_KEY_TTL, O_IDLE_FLUSH,
	O_PARTITION, O_SKETCH, O_LATENESS, O_STATE, O_FLUSH, O_CHECKPOINT
};

static const struct feat_option options[] = {
	{ "preset", 'p', "PRESET", "a catalog group: perf_5min (with "
	    "fatigue_5min), perf_1hr,\nfeedback_session, feedback_1hr, "
	    "context_1min, context_5min",
	    FEAT_OPTF_REQUIRED },
	{ "window", 'w', "WINDOW", "tumbling:SIZE, sliding:SIZE/SLIDE or "
	    "session:GAP[/MAX]",
	    FEAT_OPTF_OWN_FORM },
	{ "key", 'k', "FIELD", "the entity's field (a canonical field or a "
	    "dotted path)", FEAT_OPTF_OWN_FORM },
	{ "entity-type", 'e', "TYPE", "entity_type of the records (default "
	    "from the key)", FEAT_OPTF_OWN_FORM },
	{ "group", 'G', "GROUP", "group of the records (default window)",
	    FEAT_OPTF_OWN_FORM },
	{ "agg", 'a', "AGG", "FUNC(FIELD)[ as NAME]: count, sum, mean, min, "
	    "max,\nstddev, var, pN, rate, ratio(A,B), distinct",
	    FEAT_OPTF_REPEAT |
	    FEAT_OPTF_OWN_FORM },
	{ "events", O_EVENTS, "KIND", "the events read: any (default), "
	    "outcome, request,\nfeedback, system_health",
	    FEAT_OPTF_OWN_FORM },
	{ "align", O_ALIGN, "DURATION", "windows start at the epoch plus this "
	    "(default 0)", 0 },
	{ "watermark-delay", O_WATERMARK_DELAY, "DURATION", "the watermark "
	    "trails the latest event by this\n(default 5s)", 0 },
	{ "created", O_CREATED, "clock|watermark", "created from the clock "
	    "(default) or the watermark\nat which the window fired "
	    "(backfills)", 0 },
	{ "group-version", O_GROUP_VERSION, "N", "the version written in "
	    "feature records (default 1)", 0 },
	{ "field", O_FIELD, "CANONICAL=SOURCE", "read a canonical field from "
	    "a source path", FEAT_OPTF_REPEAT },
	{ "allowed-lateness", O_LATENESS, "DURATION", "a window fired takes "
	    "late events this long\nafter its end, firing again (default 0; "
	    "a preset's: its group's)", FEAT_OPTF_OWN_FORM },
	{ "late", O_LATE, "FILE", "append late events (the lines they came "
	    "in) to FILE", 0 },
	{ "max-skew", O_MAX_SKEW, "DURATION", "events further ahead of the "
	    "watermark are late\nand do not move it", 0 },
	{ "key-ttl", O_KEY_TTL, "DURATION", "let go of a key idle for this "
	    "long in event time", 0 },
	{ "idle-flush", O_IDLE_FLUSH, "DURATION", "after this long without "
	    "input, the watermark\nfollows the clock", 0 },
	{ "partition", O_PARTITION, "I/N", "only the keys whose FNV-1a 64 "
	    "mod N is I", 0 },
	{ "sketch", O_SKETCH, NULL, "percentiles from a sketch: within 1%, "
	    "in bounded memory", 0 },
	{ "state", O_STATE, "FILE", "keep the open windows and the place in "
	    "the input\nacross runs (locked while in use)", 0 },
	{ "flush", O_FLUSH, NULL, "with --state, fire every open window at "
	    "the end of input", 0 },
	{ "checkpoint-every", O_CHECKPOINT, "N|DURATION", "write the state "
	    "every N lines or DURATION\n(default 1m)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const char *const forms[] = {
	"-w WINDOW -k FIELD [-e TYPE] [-G GROUP] -a AGG [-a AGG]... "
	    "[--events KIND] [--allowed-lateness DURATION] [OPTION]... "
	    "[FILE...]", NULL
};

struct run {
	const char *preset, *window, *key, *entity_type, *group;
	const char **aggs, **fields;
	size_t naggs, nfields;
	const char *events, *late, *state;
	int lateness_given, flush, ckpt_given;
	uint64_t ckpt_lines;
	int64_t ckpt_ns;
	struct feat_windower_opts wo;
	int version;
};

static int
option(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct run *r = ctx;

	switch (key) {
	case 'p': r->preset = arg; return 0;
	case 'w': r->window = arg; return 0;
	case 'k': r->key = arg; return 0;
	case 'e': r->entity_type = arg; return 0;
	case 'G': r->group = arg; return 0;
	case O_EVENTS: r->events = arg; return 0;
	case 'a':
		r->aggs = feat_xrealloc(r->aggs, (r->naggs + 1) *
		    sizeof *r->aggs);
		r->aggs[r->naggs++] = arg;
		return 0;
	case O_FIELD:
		r->fields = feat_xrealloc(r->fields, (r->nfields + 1) *
		    sizeof *r->fields);
		r->fields[r->nfields++] = arg;
		return 0;
	case O_ALIGN:
		return feat_parse_duration_option("align", arg, 0, INT64_MAX,
		    "5m", &r->wo.align, err, errlen);
	case O_WATERMARK_DELAY:
		return feat_parse_duration_option("watermark-delay", arg, 0,
		    INT64_MAX, "5s", &r->wo.watermark_delay, err, errlen);
	case O_CREATED:
		if (strcmp(arg, "clock") == 0 || strcmp(arg, "watermark") == 0) {
			r->wo.created_watermark = arg[0] == 'w';
			return 0;
		}
		snprintf(err, errlen, "invalid --created '%s': use clock or "
		    "watermark", arg);
		return -1;
	case O_GROUP_VERSION:
		return feat_parse_group_version(arg, &r->version, err, errlen);
	case O_LATE: r->late = arg; return 0;
	case O_SKETCH: r->wo.sketch = 1; return 0;
	case O_STATE: r->state = arg; return 0;
	case O_FLUSH: r->flush = 1; return 0;
	case O_CHECKPOINT: {
		char *end;
		unsigned long long n;

		r->ckpt_given = 1;
		errno = 0;
		n = strtoull(arg, &end, 10);
		if (end > arg && *end == '\0' && arg[0] != '-' && errno == 0 &&
		    n > 0) {
			r->ckpt_lines = n;
			r->ckpt_ns = 0;
			return 0;
		}
		r->ckpt_lines = 0;
		if (feat_parse_duration(arg, &r->ckpt_ns) == 0 &&
		    r->ckpt_ns > 0)
			return 0;
		snprintf(err, errlen, "invalid --checkpoint-every '%s': use a "
		    "number of lines or a duration, such as 100000 or 1m",
		    arg);
		return -1;
	}
	case O_LATENESS:
		r->lateness_given = 1;
		return feat_parse_duration_option("allowed-lateness", arg, 0,
		    INT64_MAX, "2m", &r->wo.lateness, err, errlen);
	case O_MAX_SKEW:
		return feat_parse_duration_option("max-skew", arg,
		    FEAT_NS_PER_MS, INT64_MAX, "1h", &r->wo.max_skew, err,
		    errlen);
	case O_KEY_TTL:
		return feat_parse_duration_option("key-ttl", arg,
		    FEAT_NS_PER_MS, INT64_MAX, "1d", &r->wo.key_ttl, err,
		    errlen);
	case O_IDLE_FLUSH:
		return feat_parse_duration_option("idle-flush", arg,
		    FEAT_NS_PER_MS, INT64_MAX, "30s", &r->wo.idle_flush, err,
		    errlen);
	case O_PARTITION: {
		char *end;
		unsigned long i, n;

		errno = 0;
		i = strtoul(arg, &end, 10);
		if (*end == '/' && end > arg && arg[0] != '-' &&
		    end[1] >= '0' && end[1] <= '9') {
			n = strtoul(end + 1, &end, 10);
			if (*end == '\0' && errno == 0 && n >= 1 &&
			    n <= 65536 && i < n) {
				r->wo.part_i = i;
				r->wo.part_n = n;
				return 0;
			}
		}
		snprintf(err, errlen, "invalid --partition '%s': use I/N with "
		    "0 <= I < N <= 65536", arg);
		return -1;
	}
	}
	return -1;
}

/* The windower the options describe; usage errors exit 2. */
static feat_windower *
windower(struct run *r, feat_tool *t)
{
	enum feat_window_events ev = FEAT_EVENTS_ANY;
	feat_windower *w;
	char err[1024];

	r->wo.version = r->version;
	r->wo.clock = feat_tool_clock(t);
	if (r->preset) {
		if (r->window || r->key || r->entity_type || r->group ||
		    r->naggs || r->events || r->lateness_given)
			feat_tool_usage_error(t, "-p takes its window, key, "
			    "group, events and features from the catalog: "
			    "give -p or -w, -k and -a");
		w = feat_windower_preset(&r->wo, feat_tool_catalog(t),
		    r->preset, err, sizeof err);
	} else {
		if (r->window == NULL || r->key == NULL || r->naggs == 0)
			feat_tool_usage_error(t, "give -p PRESET, or -w WINDOW, "
			    "-k FIELD and -a AGG");
		if (feat_window_parse(r->window, &r->wo.window, err,
		    sizeof err) < 0)
			feat_tool_usage_error(t, "%s", err);
		if (r->events && feat_window_events_parse(r->events, &ev) < 0)
			feat_tool_usage_error(t, "invalid --events '%s': use "
			    "any, outcome, request, feedback or system_health",
			    r->events);
		w = feat_windower_new(&r->wo, r->key, r->entity_type, r->group,
		    ev, r->aggs, r->naggs, err, sizeof err);
	}
	if (w == NULL)
		feat_tool_usage_error(t, "%s", err);
	return w;
}

int
main(int argc, char **argv)
{
	static const struct feat_tool_def def = {
		"feat-window", NULL, options, FEAT_OPT_MODELS |
		FEAT_OPT_CATALOG | FEAT_OPT_CATALOG_OVERLAY |
		FEAT_OPT_ON_ERROR | FEAT_OPT_MAX_LINE | FEAT_OPT_TIME_UNIT |
		FEAT_OPT_UNBUFFERED | FEAT_OPT_PROGRESS |
		FEAT_OPT_METRICS_FILE | FEAT_OPT_LOCK_TIMEOUT, "[FILE...]", forms,
		"FILE may be gzip-compressed; none or '-' reads stdin.  See "
		"feat-window(1).\n", 0, option, NULL
	};
	struct feat_event_stage stage;
	struct feat_normaliser_opts no = { 0 };
	struct run r = { 0 };
	feat_tool *t;
	feat_windower *w;
	feat_normaliser *nz;
	char err[1024];
	int status;

	r.wo.watermark_delay = 5 * FEAT_NS_PER_S;
	r.ckpt_ns = 60 * FEAT_NS_PER_S;
	t = feat_tool_start(&def, argc, argv, &r);
	if ((r.flush || r.ckpt_given) && r.state == NULL)
		feat_tool_usage_error(t, "--%s needs --state",
		    r.flush ? "flush" : "checkpoint-every");
	if (r.state) {
		const char *m = feat_tool_metrics_path(t);

		feat_tool_check_distinct(t, r.late, "--late", r.state,
		    "--state");
		feat_tool_check_distinct(t, m, "--metrics-file", r.state,
		    "--state");
		feat_tool_check_written(t, r.state, "--state");
	}
	r.wo.metrics_path = feat_tool_metrics_path(t);
	if (r.wo.metrics_path)
		feat_tool_check_written(t, r.wo.metrics_path,
		    "--metrics-file");
	if (r.late)
		feat_tool_check_written(t, r.late, "--late");
	if (r.wo.max_skew > 0 && r.wo.max_skew <= r.wo.watermark_delay)
		feat_tool_usage_error(t, "--max-skew must be more than "
		    "--watermark-delay: in-order events are that far ahead of "
		    "the watermark");
	w = windower(&r, t);
	if (r.late && feat_windower_open_late(w, t, r.late, err,
	    sizeof err) < 0)
		feat_tool_usage_error(t, "%s", err);
	/* (The late file exists now: a metrics or state path that names it
	   too is found whatever its spelling.) */
	feat_tool_check_distinct(t, r.late, "--late", r.wo.metrics_path,
	    "--metrics-file");
	feat_tool_check_distinct(t, r.late, "--late", r.state, "--state");
	if (r.state) {
		struct feat_lock_wait lw = feat_tool_lock_wait(t);
		struct feat_error e = { 0 };

		if (feat_windower_open_state(w, t, r.state, r.flush, &lw,
		    &e) < 0) {
			status = feat_tool_fail(t, &e);
			feat_windower_free(w);
			feat_tool_free(t);
			free(r.aggs);
			free(r.fields);
			return status;
		}
		feat_tool_checkpoint_every(t, r.ckpt_lines, r.ckpt_ns);
	}
	no.time_unit = feat_tool_time_unit(t);
	no.models = feat_tool_models(t);
	no.want = feat_windower_fields(w);
	no.paths = feat_windower_paths(w);
	nz = feat_normaliser_new(&no);
	for (size_t i = 0; i < r.nfields; i++)
		if (feat_normaliser_field(nz, r.fields[i], err, sizeof err) < 0)
			feat_tool_usage_error(t, "%s", err);
	feat_windower_stage(w, feat_tool_output(t), &stage);
	status = feat_tool_run_events(t, nz, &stage, w);
	feat_normaliser_free(nz);
	feat_windower_free(w);
	free(r.aggs);
	free(r.fields);
	feat_tool_free(t);
	return status;
}
