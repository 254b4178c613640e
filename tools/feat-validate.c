/*
 * feat-validate - the quality gate (feat-validate(1)): feature records in,
 * the good ones out (imputed and flagged values marked in "_flags"), the
 * others to --rejects with every violation named.  Options and calls into
 * libfeat.
 */
#include "feat.h"

#include <string.h>

enum { O_REJECTS = 256, O_BASELINE, O_IMPUTE, O_OUTLIERS, O_ALLOW_UNKNOWN };

static const struct feat_option options[] = {
	{ "rejects", O_REJECTS, "FILE", "write rejected records there, each "
	    "with\n\"_error\" listing its violations", 0 },
	{ "baseline", O_BASELINE, "FILE", "a baseline of feat-drift fit: "
	    "values more\nthan 3 sigma from its mean are outliers", 0 },
	{ "impute", O_IMPUTE, "default|none", "a null in a non-nullable "
	    "feature takes\nthe catalog default, flagged (default), or is "
	    "rejected", 0 },
	{ "outliers", O_OUTLIERS, "flag|reject|clip", "what an outlier "
	    "does (default: flag)", 0 },
	{ "allow-unknown", O_ALLOW_UNKNOWN, NULL, "let features the "
	    "catalog does not list\nin the record's group pass", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

struct run {
	struct feat_validate_opts vo;
	int outliers_given;
};

static int
option(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct run *r = ctx;

	switch (key) {
	case O_REJECTS: r->vo.rejects = arg; return 0;
	case O_BASELINE: r->vo.baseline = arg; return 0;
	case O_IMPUTE:
		if (strcmp(arg, "default") == 0 || strcmp(arg, "none") == 0) {
			r->vo.impute = strcmp(arg, "default") == 0;
			return 0;
		}
		snprintf(err, errlen, "invalid --impute '%s': use default or "
		    "none", arg);
		return -1;
	case O_OUTLIERS:
		r->outliers_given = 1;
		if (strcmp(arg, "flag") == 0)
			r->vo.outliers = FEAT_OUTLIERS_FLAG;
		else if (strcmp(arg, "reject") == 0)
			r->vo.outliers = FEAT_OUTLIERS_REJECT;
		else if (strcmp(arg, "clip") == 0)
			r->vo.outliers = FEAT_OUTLIERS_CLIP;
		else {
			snprintf(err, errlen, "invalid --outliers '%s': use "
			    "flag, reject or clip", arg);
			return -1;
		}
		return 0;
	case O_ALLOW_UNKNOWN: r->vo.allow_unknown = 1; return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct feat_tool_def def = {
		"feat-validate", NULL, options, FEAT_OPT_CATALOG |
		FEAT_OPT_CATALOG_OVERLAY | FEAT_OPT_ON_ERROR |
		FEAT_OPT_MAX_LINE | FEAT_OPT_TIME_UNIT | FEAT_OPT_UNBUFFERED |
		FEAT_OPT_PROGRESS, "[FILE...]", NULL,
		"FILE holds feature records, maybe gzip-compressed; none or "
		"'-' reads stdin.\nExit status 1 when a record was rejected.  "
		"See feat-validate(1).\n", 0, option, NULL
	};
	struct feat_tool_stage stage;
	struct run r = { { 0 }, 0 };
	struct feat_error e = { 0 };
	feat_validator *v;
	feat_tool *t;
	int status;

	r.vo.impute = 1;
	t = feat_tool_start(&def, argc, argv, &r);
	if (r.outliers_given && r.vo.baseline == NULL)
		feat_tool_usage_error(t, "--outliers needs --baseline FILE");
	if (r.vo.rejects) {
		feat_tool_check_written(t, r.vo.rejects, "--rejects");
		feat_tool_check_distinct(t, r.vo.rejects, "--rejects",
		    r.vo.baseline, "--baseline");
	}
	r.vo.unbuffered = feat_tool_unbuffered(t);
	r.vo.time_unit = feat_tool_time_unit(t);
	r.vo.catalog = feat_tool_catalog(t);
	r.vo.out = feat_tool_output(t);
	if ((v = feat_validator_new(&r.vo, &e)) == NULL) {
		if (e.code == FEAT_ERR_USAGE)
			feat_tool_usage_error(t, "%s", e.reason);
		status = feat_tool_fail(t, &e);
	} else {
		feat_validator_stage(v, &stage);
		status = feat_tool_run(t, &stage, v);
		feat_validator_free(v);
	}
	feat_tool_free(t);
	return status;
}
