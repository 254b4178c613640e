/*
 * feat-load - feature records into stores (feat-load(1)): every --to
 * store receives every record, in batches acknowledged once durable.
 * Options and calls into libfeat.
 */
#include "feat.h"

#include <stdlib.h>
#include <string.h>

enum {
	O_TO = 256, O_BATCH, O_BATCH_TIMEOUT, O_TTL, O_SPOOL, O_DRY_RUN,
	O_DELETE, O_RETENTION
};

static const struct feat_option options[] = {
	{ "to", O_TO, "URI", "a store: dir:PATH, postgresql://...,\n"
	    "redis://[:PASSWORD@]HOST:PORT[/DB]", FEAT_OPTF_REPEAT |
	    FEAT_OPTF_REQUIRED },
	{ "batch", O_BATCH, "N", "records a batch (default 10000)", 0 },
	{ "batch-timeout", O_BATCH_TIMEOUT, "DURATION", "write a partial "
	    "batch after this long (default 1s)", 0 },
	{ "ttl", O_TTL, "DURATION", "Redis keys expire this long after "
	    "their last write\n(default 24h)", 0 },
	{ "spool", O_SPOOL, "DIR", "keep the batches a store cannot take "
	    "here;\nthe next run replays them first", 0 },
	{ "dry-run", O_DRY_RUN, NULL, "check the records and open the stores; "
	    "write nothing", 0 },
	{ "delete", O_DELETE, NULL, "store each record as a tombstone of its "
	    "key", 0 },
	{ "retention", O_RETENTION, "DURATION", "then keep history this far "
	    "back from the newest ts", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

struct run {
	const char **uris;
	size_t nuris;
	struct feat_loader_opts lo;
};

static int
option(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct run *r = ctx;
	size_t n;

	switch (key) {
	case O_TO:
		if (feat_store_check_uri(arg, err, errlen) < 0)
			return -1;
		r->uris = feat_xrealloc(r->uris, (r->nuris + 1) *
		    sizeof *r->uris);
		r->uris[r->nuris++] = arg;
		return 0;
	case O_BATCH:
		if (feat_parse_size(arg, &n) == 0 && n > 0 && n <= 10000000) {
			r->lo.batch = n;
			return 0;
		}
		snprintf(err, errlen, "invalid --batch '%s': use 1 to "
		    "10000000 records", arg);
		return -1;
	case O_BATCH_TIMEOUT:
		return feat_parse_duration_option("batch-timeout", arg, 0,
		    INT64_MAX, "500ms", &r->lo.batch_timeout, err, errlen);
	case O_RETENTION:
		return feat_parse_duration_option("retention", arg,
		    FEAT_NS_PER_MS, INT64_MAX, "90d", &r->lo.retention, err,
		    errlen);
	case O_TTL:
		return feat_parse_duration_option("ttl", arg, FEAT_NS_PER_MS,
		    INT64_MAX, "24h", &r->lo.ttl, err, errlen);
	case O_SPOOL: r->lo.spool = arg; return 0;
	case O_DRY_RUN: r->lo.dry_run = 1; return 0;
	case O_DELETE: r->lo.delete = 1; return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct feat_tool_def def = {
		"feat-load", NULL, options, FEAT_OPT_CATALOG |
		FEAT_OPT_CATALOG_OVERLAY | FEAT_OPT_ON_ERROR |
		FEAT_OPT_MAX_LINE | FEAT_OPT_TIME_UNIT | FEAT_OPT_LOCK_TIMEOUT |
		FEAT_OPT_PROGRESS | FEAT_OPT_METRICS_FILE, "[FILE...]", NULL,
		"FILE holds feature records (feat-records(5)), maybe gzip-"
		"compressed; none or '-'\nreads stdin.  See feat-load(1) and "
		"feat-stores(7).\n", 0, option, NULL
	};
	struct feat_tool_stage stage;
	struct run r = { 0 };
	struct feat_error e = { 0 };
	feat_loader *l;
	feat_tool *t;
	int status;

	r.lo.batch_timeout = FEAT_NS_PER_S;
	t = feat_tool_start(&def, argc, argv, &r);
	if (r.nuris == 0)
		feat_tool_usage_error(t, "give a store: --to dir:PATH, "
		    "postgresql://... or redis://HOST:PORT");
	r.lo.uris = r.uris;
	r.lo.nuris = r.nuris;
	r.lo.time_unit = feat_tool_time_unit(t);
	r.lo.catalog = feat_tool_catalog(t);
	r.lo.clock = feat_tool_clock(t);
	r.lo.lock = feat_tool_lock_wait(t);
	r.lo.metrics_path = feat_tool_metrics_path(t);
	if ((l = feat_loader_new(&r.lo, e.reason, sizeof e.reason)) == NULL) {
		e.code = FEAT_ERR_IO;
		status = feat_tool_fail(t, &e);
		feat_tool_free(t);
		free(r.uris);
		return status;
	}
	feat_loader_stage(l, &stage);
	status = feat_tool_run(t, &stage, l);
	feat_loader_free(l);
	free(r.uris);
	feat_tool_free(t);
	return status;
}
