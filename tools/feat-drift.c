/*
 * feat-drift - distribution shift (feat-drift(1)): "fit" reads feature
 * records and writes a baseline; "check" compares feature records with a
 * baseline, one result per feature and evaluation.  Options and calls
 * into libfeat.
 */
#include "feat.h"

#include <stdlib.h>
#include <string.h>

enum {
	O_BINS = 256, O_BASELINE, O_EVERY, O_PER_WINDOW, O_MIN_SAMPLES,
	O_FAIL_ON, O_REPORT
};

#define OWN FEAT_OPTF_OWN_FORM
static const struct feat_option options[] = {
	{ "bins", O_BINS, "N", "fit: PSI bins, 2 to 1000 (default 10)", OWN },
	{ "baseline", O_BASELINE, "FILE", "check: the baseline of fit", OWN },
	{ "every", O_EVERY, "N", "check: one evaluation per block of N "
	    "values\nof a feature", OWN },
	{ "per-window", O_PER_WINDOW, NULL, "check: one evaluation per "
	    "record ts", OWN },
	{ "min-samples", O_MIN_SAMPLES, "N", "check: fewer values give no "
	    "verdict\n(default 1000)", OWN },
	{ "fail-on", O_FAIL_ON, "SEVERITY", "check: exit 1 when an "
	    "evaluation reaches\nlow, medium, high or critical", OWN },
	{ "report", O_REPORT, "FILE.html", "check: write an HTML report",
	    OWN },
	{ NULL, 0, NULL, NULL, 0 }
};

struct run {
	struct feat_drift_fit_opts fo;
	struct feat_drift_check_opts co;
	int check_only;			/* a check option was given */
	const char *check_opt;
};

static int
count(const char *arg, const char *opt, uint64_t max, uint64_t *out,
    char *err, size_t errlen)
{
	char *end;
	unsigned long long n;

	if (arg[0] >= '0' && arg[0] <= '9') {
		n = strtoull(arg, &end, 10);
		if (*end == '\0' && n >= 1 && n <= max) {
			*out = n;
			return 0;
		}
	}
	snprintf(err, errlen, "invalid --%s '%s': use a count from 1 to "
	    "%llu", opt, arg, (unsigned long long)max);
	return -1;
}

static int
option(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct run *r = ctx;
	uint64_t n;

	if (key != O_BINS) {
		r->check_only = 1;
		r->check_opt = key == O_BASELINE ? "--baseline" :
		    key == O_EVERY ? "--every" : key == O_PER_WINDOW ?
		    "--per-window" : key == O_MIN_SAMPLES ? "--min-samples" :
		    key == O_FAIL_ON ? "--fail-on" : "--report";
	}
	switch (key) {
	case O_BINS:
		if (count(arg, "bins", 1000, &n, err, errlen) < 0)
			return -1;
		if (n < 2) {
			snprintf(err, errlen, "invalid --bins '%s': use 2 to "
			    "1000", arg);
			return -1;
		}
		r->fo.bins = (int)n;
		return 0;
	case O_BASELINE: r->co.baseline = arg; return 0;
	case O_EVERY:
		return count(arg, "every", UINT64_C(1) << 40, &r->co.every,
		    err, errlen);
	case O_PER_WINDOW: r->co.per_window = 1; return 0;
	case O_MIN_SAMPLES:
		return count(arg, "min-samples", UINT64_C(1) << 40,
		    &r->co.min_samples, err, errlen);
	case O_FAIL_ON:
		r->co.fail_on = feat_drift_severity(arg);
		if (r->co.fail_on > 0)
			return 0;
		snprintf(err, errlen, "invalid --fail-on '%s': use low, "
		    "medium, high or critical", arg);
		return -1;
	case O_REPORT: r->co.report_path = arg; return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const char *const commands[] = { "fit", "check", NULL };
	static const char *const forms[] = {
		"fit [--bins N] [FILE...]",
		"check --baseline FILE [--every N | --per-window] "
		"[--min-samples N] [--fail-on SEVERITY] [--report FILE.html] "
		"[FILE...]",
		NULL
	};
	static const struct feat_tool_def def = {
		"feat-drift", NULL, options, FEAT_OPT_CATALOG |
		FEAT_OPT_CATALOG_OVERLAY | FEAT_OPT_ON_ERROR |
		FEAT_OPT_MAX_LINE | FEAT_OPT_TIME_UNIT | FEAT_OPT_UNBUFFERED |
		FEAT_OPT_PROGRESS | FEAT_OPT_METRICS_FILE,
		"fit|check [FILE...]", forms,
		"FILE holds feature records, maybe gzip-compressed; none or "
		"'-' reads stdin.\nExit status 1 when check finds drift at or "
		"above --fail-on.  See feat-drift(1).\n", 0, option, commands
	};
	struct feat_tool_stage stage;
	struct run r;
	struct feat_error e = { 0 };
	feat_tool *t;
	int status;

	memset(&r, 0, sizeof r);
	t = feat_tool_start(&def, argc, argv, &r);
	if (strcmp(feat_tool_command(t), "fit") == 0) {
		feat_fitter *f;

		if (r.check_only)
			feat_tool_usage_error(t, "%s is an option of check, "
			    "not of fit", r.check_opt);
		if (feat_tool_metrics_path(t))
			feat_tool_usage_error(t, "--metrics-file is an option "
			    "of check, not of fit");
		r.fo.time_unit = feat_tool_time_unit(t);
		r.fo.catalog = feat_tool_catalog(t);
		r.fo.out = feat_tool_output(t);
		f = feat_fitter_new(&r.fo);
		feat_fitter_stage(f, &stage);
		status = feat_tool_run(t, &stage, f);
		feat_fitter_free(f);
	} else {
		feat_checker *c;

		if (r.fo.bins)
			feat_tool_usage_error(t, "--bins is an option of fit: "
			    "check uses the baseline's bins");
		if (r.co.baseline == NULL)
			feat_tool_usage_error(t, "give a baseline: --baseline "
			    "FILE");
		if (r.co.every && r.co.per_window)
			feat_tool_usage_error(t, "give --every or "
			    "--per-window, not both");
		for (int k = 0; k < 2; k++) {
			const char *p = k ? feat_tool_metrics_path(t) :
			    r.co.report_path;
			const char *opt = k ? "--metrics-file" : "--report";

			if (p == NULL)
				continue;
			feat_tool_check_written(t, p, opt);
			feat_tool_check_distinct(t, p, opt, r.co.baseline,
			    "--baseline");
		}
		feat_tool_check_distinct(t, r.co.report_path, "--report",
		    feat_tool_metrics_path(t), "--metrics-file");
		r.co.time_unit = feat_tool_time_unit(t);
		r.co.catalog = feat_tool_catalog(t);
		r.co.clock = feat_tool_clock(t);
		r.co.metrics_path = feat_tool_metrics_path(t);
		r.co.out = feat_tool_output(t);
		if ((c = feat_checker_new(&r.co, &e)) == NULL) {
			if (e.code == FEAT_ERR_USAGE)
				feat_tool_usage_error(t, "%s", e.reason);
			status = feat_tool_fail(t, &e);
		} else {
			feat_checker_stage(c, &stage);
			status = feat_tool_run(t, &stage, c);
			feat_checker_free(c);
		}
	}
	feat_tool_free(t);
	return status;
}
