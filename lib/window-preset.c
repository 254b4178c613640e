/*
 * window-preset.c - how feat-window computes the catalog's windowed
 * features (SPEC 4): each name maps to an aggregate over the window's
 * events.  The catalog says which groups a preset writes, their window,
 * key and events; this table says what each of their features is.
 *
 * "@ok", "@error" and "@timeout" are the columns window.c derives from an
 * event's status and error: 1 or 0 per event, so their mean is a rate.
 */
#include "window-private.h"

#include <string.h>

static const struct {
	const char *name;
	enum ft_aggfn fn;
	double p;
	const char *field, *field2;
} features[] = {
	/* perf_5min (PERF_001-003, 006, 008-012) */
	{ "latency_p50_5min", AGG_PCT, 50, "latency_ms", NULL },
	{ "latency_p95_5min", AGG_PCT, 95, "latency_ms", NULL },
	{ "latency_p99_5min", AGG_PCT, 99, "latency_ms", NULL },
	{ "success_rate_5min", AGG_MEAN, 0, "@ok", NULL },
	{ "error_rate_5min", AGG_MEAN, 0, "@error", NULL },
	{ "avg_cost_per_request_5min", AGG_MEAN, 0, "cost_usd", NULL },
	{ "throughput_qps_5min", AGG_RATE, 0, NULL, NULL },
	{ "token_efficiency_5min", AGG_RATIO, 0, "output_tokens",
	    "input_tokens" },
	{ "retry_rate_5min", AGG_SUM_PER_COUNT, 0, "retries", NULL },
	/* perf_1hr (PERF_004, 005, 007) */
	{ "latency_p50_1hr", AGG_PCT, 50, "latency_ms", NULL },
	{ "latency_p95_1hr", AGG_PCT, 95, "latency_ms", NULL },
	{ "success_rate_1hr", AGG_MEAN, 0, "@ok", NULL },
	/* fatigue_5min (DRV_009), beside perf_5min */
	{ "model_fatigue_score", AGG_FATIGUE, 0, NULL, NULL },
	/* feedback_session (FDBK_001, 005, 006, 008) */
	{ "avg_user_rating_session", AGG_MEAN, 0, "rating", NULL },
	{ "task_completion_rate_session", AGG_MEAN, 0, "task_completed",
	    NULL },
	{ "avg_dwell_time_session", AGG_MEAN, 0, "dwell_time_seconds", NULL },
	{ "follow_up_rate_session", AGG_SUM_PER_COUNT, 0, "follow_up", NULL },
	/* feedback_1hr (FDBK_002, 003, 004, 007; DRV_006 from them) */
	{ "avg_user_rating_1hr", AGG_MEAN, 0, "rating", NULL },
	{ "thumbs_up_ratio_1hr", AGG_MEAN, 0, "liked", NULL },
	{ "regeneration_rate_1hr", AGG_MEAN, 0, "response_regenerated", NULL },
	{ "copy_rate_1hr", AGG_MEAN, 0, "response_copied", NULL },
	{ "user_behavior_cluster", AGG_CLUSTER, 0, NULL, NULL },
	/* context_1min (CTX_003, 004), context_5min (CTX_008) */
	{ "queue_depth", AGG_QUEUE_SCORE, 0, "queue_depth", NULL },
	{ "concurrent_requests", AGG_MEAN, 0, "active_requests", NULL },
	{ "timeout_rate_5min", AGG_MEAN, 0, "@timeout", NULL },
};

int
ft_preset_feature(const char *name, struct ft_agg *a)
{
	for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
		if (strcmp(features[i].name, name) != 0)
			continue;
		memset(a, 0, sizeof *a);
		a->fn = features[i].fn;
		a->p = features[i].p;
		if (features[i].field) {
			snprintf(a->field[a->nfields++], sizeof a->field[0],
			    "%s", features[i].field);
			if (features[i].field2)
				snprintf(a->field[a->nfields++],
				    sizeof a->field[0], "%s",
				    features[i].field2);
		}
		snprintf(a->name, sizeof a->name, "%s", name);
		return 0;
	}
	return -1;
}
