/*
 * extract.c - feat-extract's feature groups (SPEC 4 and 6): a request
 * record per request, a static record per model, a context record per
 * system_health event.
 *
 * The stage is init / process / save: feat_extractor_new (which takes the
 * state's lock and loads it), then feat_extractor_event for each
 * normalised event (writing zero or more records), then
 * feat_extractor_save, which the tool driver calls only once the output is
 * safely written.  The state - session depths, request ids already seen,
 * DRV_004 centroids, the models whose static record was written - is
 * bounded by --max-sessions (least recently used first out) and written
 * atomically, so two runs with one state file compute what one run over
 * both inputs computes.  The lock (STATE.lock) keeps a second run off the
 * state while the first holds it; a state file half-written by a killed
 * run is never read, and its STATE.tmp.<pid> is removed.
 */
#include "feat-private.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* DRV_004: the sum of a model's request embeddings so far. */
struct centroid {
	double sum[8];
	uint64_t n;
};

/* A model whose static record was written. */
struct static_seen {
	uint64_t price_key;	/* 0: the model was not in the catalog */
	uint64_t provider;	/* FNV-1a of the provider it was priced for */
};

struct feat_extractor {
	struct feat_extract_opts o;
	const feat_models *models;
	const feat_model_facts *facts;
	struct ft_lru *sessions;	/* session_id -> uint64 requests */
	struct ft_lru *seen;		/* request ids already written */
	struct ft_lru *cents;		/* model -> struct centroid */
	struct ft_lru *statics;		/* model -> struct static_seen */
	int lock;			/* the state's lock, or -1 */
	feat_writer *w;			/* borrowed, for feat_extractor_stage */
};

/* ---- small helpers --------------------------------------------------- */

static int
ieq(const char *s, size_t n, const char *lit)
{
	return s && strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

void
ft_hour_features(const feat_tz *tz, int64_t ts, struct ft_hour_features *h)
{
	struct feat_local_time lt;

	feat_tz_local(tz, ts, &lt);
	h->hour_cos = cos(2 * M_PI * lt.hour / 24);
	h->hour_sin = sin(2 * M_PI * lt.hour / 24);
	h->day_cos = cos(2 * M_PI * lt.wday / 7);
	h->day_sin = sin(2 * M_PI * lt.wday / 7);
	h->weekend = lt.wday >= 5;
}

/* ---- record writing --------------------------------------------------- */

#define num(w, k, v) num_((w), (k), sizeof(k) - 1, (v))
#define flag(w, k, b) flag_((w), (k), sizeof(k) - 1, (b))
#define category(w, k, s, n) category_((w), (k), sizeof(k) - 1, (s), (n))
#define key(w, k) feat_writer_key((w), (k), sizeof(k) - 1)

/*
 * The envelope of one record.  Ids were checked by the caller (check_id),
 * so a failure here is a bug, said as an output error.
 */
static int
begin_record(struct feat_extractor *x, feat_writer *w, const char *etype,
    const char *id, size_t idlen, const char *group, int64_t ts,
    struct feat_error *err)
{
	struct feat_record_head h = { 0 };

	h.entity_type = etype;
	h.entity_id = id;
	h.entity_id_len = idlen;
	h.group = group;
	h.version = x->o.group_version;
	h.ts = ts;
	h.created = feat_clock_now(x->o.clock);
	if (feat_record_begin(w, &h, err->reason, sizeof err->reason) < 0) {
		err->code = FEAT_ERR_IO;
		return -1;
	}
	return 0;
}

static int
end_record(feat_writer *w, struct feat_error *err)
{
	if (feat_record_end(w, NULL) < 0) {
		err->code = FEAT_ERR_OUTPUT;
		return -1;
	}
	return 0;
}

/* An entity id the event gives must fit a record (SPEC 3.2). */
static int
check_id(size_t len, const char *field, struct feat_error *err)
{
	if (len <= FEAT_ENTITY_ID_MAX)
		return 0;
	err->code = FEAT_BAD_FIELD;
	snprintf(err->reason, sizeof err->reason, "field '%s' is too long: "
	    "%zu bytes, an entity id holds at most %d", field, len,
	    FEAT_ENTITY_ID_MAX);
	return -1;
}

static void
num_(feat_writer *w, const char *name, size_t nlen, double v)
{
	feat_writer_key(w, name, nlen);
	if (isnan(v))
		feat_writer_null(w);
	else
		feat_writer_double(w, v);
}

static void
flag_(feat_writer *w, const char *name, size_t nlen, int b)
{
	feat_writer_key(w, name, nlen);
	if (b < 0)
		feat_writer_null(w);
	else
		feat_writer_int(w, b ? 1 : 0);
}

static void
category_(feat_writer *w, const char *name, size_t nlen, const char *s,
    size_t n)
{
	feat_writer_key(w, name, nlen);
	if (s == NULL)
		feat_writer_null(w);
	else
		feat_writer_string(w, s, n);
}

/* ---- state -------------------------------------------------------------- */

static struct centroid *
centroid(struct feat_extractor *x, const char *model, size_t n)
{
	return ft_lru_get(x->cents, model, n, 1, NULL);
}

static struct static_seen *
static_seen(struct feat_extractor *x, const char *model, size_t n, int add)
{
	return ft_lru_get(x->statics, model, n, add, NULL);
}

static int
load_state(struct feat_extractor *x, const char *path, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *root, *a, *v;
	size_t i;

	root = json_load_file(path, 0, &je);
	if (root == NULL) {
		if (errno == ENOENT && access(path, F_OK) != 0)
			return 0;	/* the first run creates it */
		snprintf(err, errlen, "cannot read state '%s': %s", path,
		    je.text);
		return -1;
	}
	if (json_integer_value(json_object_get(root, "feat_state")) != 1) {
		snprintf(err, errlen, "'%s' is not a feat-extract state file",
		    path);
		json_decref(root);
		return -1;
	}
	a = json_object_get(root, "sessions");
	json_array_foreach(a, i, v) {
		const char *k = json_string_value(json_array_get(v, 0));
		uint64_t *n;

		if (k == NULL)
			continue;
		n = ft_lru_get(x->sessions, k, strlen(k), 1, NULL);
		*n = (uint64_t)json_integer_value(json_array_get(v, 1));
	}
	a = json_object_get(root, "seen");
	json_array_foreach(a, i, v) {
		const char *k = json_string_value(v);

		if (k)
			ft_lru_get(x->seen, k, strlen(k), 1, NULL);
	}
	a = json_object_get(root, "centroids");
	json_array_foreach(a, i, v) {
		const char *m = json_string_value(json_object_get(v, "model"));
		json_t *sum = json_object_get(v, "sum");
		struct centroid *c;

		if (m == NULL || json_array_size(sum) != 8)
			continue;
		c = centroid(x, m, strlen(m));
		c->n = (uint64_t)json_integer_value(json_object_get(v, "n"));
		for (int k = 0; k < 8; k++)
			c->sum[k] = json_number_value(json_array_get(sum,
			    (size_t)k));
	}
	a = json_object_get(root, "static");
	json_array_foreach(a, i, v) {
		const char *m = json_string_value(json_object_get(v, "model"));
		const char *pk = json_string_value(json_object_get(v,
		    "price_key"));
		const char *pv = json_string_value(json_object_get(v,
		    "provider"));
		struct static_seen *ss;

		if (m == NULL)
			continue;
		ss = static_seen(x, m, strlen(m), 1);
		ss->price_key = pk ? strtoull(pk, NULL, 16) : 0;
		ss->provider = pv ? strtoull(pv, NULL, 16) : 0;
	}
	json_decref(root);
	return 0;
}

static void
save_session(void *ctx, const char *k, size_t n, void *value)
{
	json_array_append_new(ctx, json_pack("[s%,I]", k, n,
	    (json_int_t)*(uint64_t *)value));
}

static void
save_seen(void *ctx, const char *k, size_t n, void *value)
{
	(void)value;
	json_array_append_new(ctx, json_stringn(k, n));
}

static void
save_centroid(void *ctx, const char *k, size_t n, void *value)
{
	const struct centroid *c = value;
	json_t *sum = json_array();

	for (int i = 0; i < 8; i++)
		json_array_append_new(sum, json_real(c->sum[i]));
	json_array_append_new(ctx, json_pack("{s:s%,s:I,s:o}", "model", k, n,
	    "n", (json_int_t)c->n, "sum", sum));
}

static void
save_static(void *ctx, const char *k, size_t n, void *value)
{
	const struct static_seen *ss = value;
	char pk[20], pv[20];

	snprintf(pk, sizeof pk, "%016llx", (unsigned long long)ss->price_key);
	snprintf(pv, sizeof pv, "%016llx", (unsigned long long)ss->provider);
	json_array_append_new(ctx, json_pack("{s:s%,s:s,s:s}", "model", k, n,
	    "price_key", pk, "provider", pv));
}

static int
save_state(struct feat_extractor *x, const char *path, char *err,
    size_t errlen)
{
	json_t *root = json_object(), *a;
	char *text;
	int rc;

	json_object_set_new(root, "feat_state", json_integer(1));
	a = json_array();
	ft_lru_foreach(x->sessions, save_session, a);
	json_object_set_new(root, "sessions", a);
	a = json_array();
	ft_lru_foreach(x->seen, save_seen, a);
	json_object_set_new(root, "seen", a);
	a = json_array();
	ft_lru_foreach(x->cents, save_centroid, a);
	json_object_set_new(root, "centroids", a);
	a = json_array();
	ft_lru_foreach(x->statics, save_static, a);
	json_object_set_new(root, "static", a);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (text == NULL) {
		snprintf(err, errlen, "cannot encode the state");
		return -1;
	}
	/* A crash leaves the old state or the new one, never a mix. */
	{
		size_t len = strlen(text);

		text[len] = '\n';
		rc = ft_write_atomic(path, text, len + 1, err, errlen);
		text[len] = '\0';
	}
	free(text);
	return rc;
}

/* ---- the stage ----------------------------------------------------------- */

int
feat_extract_groups(const char *list, unsigned *groups, char *err,
    size_t errlen)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{ "request", FEAT_GROUP_REQUEST }, { "static", FEAT_GROUP_STATIC },
		{ "context", FEAT_GROUP_CONTEXT }
	};
	const char *p = list;

	*groups = 0;
	for (;;) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < sizeof known / sizeof known[0]; i++)
			if (n > 0 && strlen(known[i].name) == n &&
			    strncmp(known[i].name, p, n) == 0)
				break;
		if (i == sizeof known / sizeof known[0]) {
			snprintf(err, errlen, "unknown group '%.*s' in '%s': use "
			    "request, static, context or event", (int)n, p,
			    list);
			return -1;
		}
		*groups |= known[i].bit;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

feat_extractor *
feat_extractor_new(const struct feat_extract_opts *o, const feat_models *m,
    const feat_model_facts *facts, struct feat_error *err)
{
	struct feat_extractor *x = feat_xcalloc(1, sizeof *x);

	x->o = *o;
	x->models = m;
	x->facts = facts;
	x->lock = -1;
	if (x->o.group_version <= 0)
		x->o.group_version = 1;
	if (x->o.max_sessions == 0)
		x->o.max_sessions = 1000000;
	x->sessions = ft_lru_new(x->o.max_sessions, sizeof(uint64_t));
	x->seen = ft_lru_new(x->o.max_sessions, 1);
	x->cents = ft_lru_new(x->o.max_sessions, sizeof(struct centroid));
	x->statics = ft_lru_new(x->o.max_sessions, sizeof(struct static_seen));
	if (x->o.state == NULL)
		return x;
	/*
	 * One run at a time per state: a second one (an overlapping cron
	 * job) waits for the first, up to the lock timeout, then fails
	 * rather than losing half of the state.
	 */
	x->lock = ft_lock_open(x->o.state, &x->o.lock, err->reason,
	    sizeof err->reason);
	if (x->lock < 0) {
		/* A busy state is an I/O error; one that cannot be a state
		 * (no such directory) is unusable, like an unreadable one. */
		err->code = x->lock == FT_LOCK_UNUSABLE ? FEAT_ERR_USAGE :
		    x->lock == FT_LOCK_STOPPED ? FEAT_ERR_STOPPED : FEAT_ERR_IO;
		x->lock = -1;
		feat_extractor_free(x);
		return NULL;
	}
	ft_remove_stale_tmp(x->o.state);
	if (load_state(x, x->o.state, err->reason, sizeof err->reason) < 0) {
		err->code = FEAT_ERR_USAGE;
		feat_extractor_free(x);
		return NULL;
	}
	return x;
}

void
feat_extractor_free(feat_extractor *x)
{
	if (x == NULL)
		return;
	ft_lru_free(x->sessions);
	ft_lru_free(x->seen);
	ft_lru_free(x->cents);
	ft_lru_free(x->statics);
	if (x->lock >= 0)
		close(x->lock);
	free(x);
}

int
feat_extractor_save(feat_extractor *x, char *err, size_t errlen)
{
	if (x->o.state)
		return save_state(x, x->o.state, err, errlen);
	return 0;
}

static double
clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Maps a category to its value by a table, the names as SPEC 4 spells
   them ("Pro" is not "pro": SPEC gives "any case" to the status alone);
   unknown gives dflt. */
static double
lookup_value(const char *s, size_t n, const char *const *names,
    const double *values, size_t count, double dflt)
{
	if (s == NULL)
		return NAN;
	for (size_t i = 0; i < count; i++)
		if (strlen(names[i]) == n && memcmp(s, names[i], n) == 0)
			return values[i];
	return dflt;
}

int
ft_model_info(const feat_models *m, const feat_model_facts *facts,
    const feat_event *ev, struct ft_model_info *mf)
{
	const feat_model *md = ft_event_model(ev);
	size_t n;

	memset(mf, 0, sizeof *mf);
	mf->context_window = mf->input_per_1k = mf->output_per_1k = NAN;
	mf->capability = mf->size_class = NAN;
	mf->functions = mf->vision = mf->json_mode = -1;
	mf->id = ft_event_str(ev, FT_catalog_model, &mf->idlen);
	if (mf->id == NULL)
		mf->id = ft_event_str(ev, FT_model, &mf->idlen);
	if (mf->id == NULL)
		return -1;
	mf->provider = ft_event_str(ev, FT_provider, &mf->providerlen);
	if (md && m) {
		size_t entry;
		long ctx = feat_model_context_window(md);

		if (ctx > 0)
			mf->context_window = (double)ctx;
		feat_model_base_prices(m, md, ft_event_time(ev, FT_ts),
		    &mf->input_per_1k, &mf->output_per_1k, &entry);
		mf->price_key = entry + 1;
		n = strlen(feat_model_id(md));
		ft_model_facts_apply(facts, mf->provider, mf->providerlen,
		    feat_model_id(md), n, mf);
	}
	return 0;
}

static int
write_static(struct feat_extractor *x, const struct ft_model_info *mf,
    int64_t ts, feat_writer *w, struct feat_error *err)
{
	double age = NAN;

	if (mf->has_cutoff) {
		double days = ft_ns_diff(ts, mf->cutoff_ns) /
		    (double)FEAT_NS_PER_DAY;

		/* SPEC's formula has no lower bound: before the cutoff
		   the age is negative. */
		age = fmin(days / 365, 2);
	}
	if (begin_record(x, w, "model", mf->id, mf->idlen, "static", ts,
	    err) < 0)
		return -1;
	num(w, "model_context_length", mf->context_window > 0 ?
	    fmin(log(mf->context_window) / log(2000000.0), 1) : NAN);
	num(w, "model_cost_per_1k_input", mf->input_per_1k);
	num(w, "model_cost_per_1k_output", mf->output_per_1k);
	num(w, "model_capability_score", mf->capability);
	num(w, "model_training_cutoff_age", age);
	flag(w, "supports_functions", mf->functions);
	flag(w, "supports_vision", mf->vision);
	flag(w, "supports_json_mode", mf->json_mode);
	category(w, "model_provider", mf->provider, mf->providerlen);
	num(w, "model_size_class", mf->size_class);
	return end_record(w, err);
}

/* The component a system_health event reports on: "global" by default. */
static const char *
component(const feat_event *ev, size_t *len)
{
	const char *c = ft_event_str(ev, FT_component, len);

	if (c == NULL || *len == 0) {
		*len = 6;
		return "global";
	}
	return c;
}

static int
write_context(struct feat_extractor *x, const feat_event *ev,
    feat_writer *w, struct feat_error *err)
{
	static const char *const health[] = { "healthy", "degraded",
	    "unhealthy" };
	static const double health_v[] = { 1, 0.5, 0 };
	size_t clen = 0, slen = 0;
	const char *comp = component(ev, &clen);
	const char *st = ft_event_str(ev, FT_status, &slen);
	double cpu, mem, tot, v;
	int64_t ts = ft_event_time(ev, FT_ts), reset;

	if (begin_record(x, w, "system", comp, clen, "context", ts, err) < 0)
		return -1;
	num(w, "system_load_cpu", ft_event_num(ev, FT_cpu_usage, &cpu) == 0 ?
	    cpu / 100 : NAN);
	num(w, "system_load_memory",
	    ft_event_num(ev, FT_memory_usage, &mem) == 0 &&
	    ft_event_num(ev, FT_memory_total, &tot) == 0 && tot > 0 ?
	    mem / tot : NAN);
	num(w, "available_budget_ratio",
	    ft_event_num(ev, FT_budget_remaining_ratio, &v) == 0 ? v : NAN);
	if (ft_event_has(ev, FT_budget_reset_at)) {
		reset = ft_event_time(ev, FT_budget_reset_at);
		/* SPEC's min(..., 1) has no lower bound: a reset
		   already past gives a negative value. */
		num(w, "time_until_budget_reset",
		    fmin(ft_ns_diff(reset, ts) / (double)FEAT_NS_PER_HOUR /
		    720, 1));
	} else
		num(w, "time_until_budget_reset", NAN);
	num(w, "model_availability", lookup_value(st, slen, health, health_v,
	    3, NAN));
	num(w, "api_quota_remaining",
	    ft_event_num(ev, FT_quota_remaining_ratio, &v) == 0 ? v : NAN);
	num(w, "region_load", ft_event_num(ev, FT_region_load, &v) == 0 ?
	    v : NAN);
	return end_record(w, err);
}

/* REQ_008: priority/10 for 1-10; any other value (0, 11, "high") 0.5. */
static double
priority_value(const feat_event *ev)
{
	double v;

	if (!ft_event_has(ev, FT_priority))
		return NAN;
	if (ft_event_num(ev, FT_priority, &v) == 0 && v >= 1 && v <= 10)
		return v / 10;
	return 0.5;
}

static int
write_request(struct feat_extractor *x, const feat_event *ev,
    const struct ft_model_info *mf, feat_writer *w, struct feat_error *err)
{
	static const char *const lengths[] = { "short", "medium", "long" };
	static const double lengths_v[] = { 0, 0.5, 1 };
	static const char *const tasks[] = { "classification", "generation",
	    "extraction", "summarization" };
	static const double tasks_v[] = { 0, 0.33, 0.67, 1 };
	static const char *const tiers[] = { "free", "pro", "enterprise" };
	static const double tiers_v[] = { 0, 0.5, 1 };
	size_t plen = 0, rlen = 0, n = 0, mlen = 0;
	const char *prompt = ft_event_str(ev, FT_prompt, &plen);
	const char *rid = ft_event_str(ev, FT_request_id, &rlen);
	const char *s;
	struct ft_text_stats st;
	struct ft_hour_features hf;
	double v, prompt_length = NAN, complexity = NAN, domain = NAN;
	double out_len, sim = NAN;
	int64_t ts = ft_event_time(ev, FT_ts);

	if (prompt)
		ft_text_analyse(prompt, plen, &st);
	if (begin_record(x, w, "request", rid, rlen, "request", ts, err) < 0)
		return -1;

	/* REQ_001: tokens when given, else a quarter of the prompt bytes. */
	if (ft_event_num(ev, FT_input_tokens, &v) == 0 && v >= 0)
		prompt_length = fmin(log(v + 1) / 10, 1);
	else if (prompt)
		prompt_length = fmin(log(ceil((double)plen / 4) + 1) / 10, 1);
	num(w, "prompt_length", prompt_length);
	num(w, "prompt_char_count", prompt ?
	    fmin((double)st.codepoints / 10000, 1) : NAN);
	if (prompt)
		complexity = st.words ? clamp01((100 - ft_text_fre(&st)) / 100) :
		    0;
	num(w, "prompt_complexity", complexity);
	s = ft_event_str(ev, FT_output_length_category, &n);
	out_len = lookup_value(s, n, lengths, lengths_v, 3, 0.5);
	num(w, "expected_output_length", out_len);
	s = ft_event_str(ev, FT_task_type, &n);
	num(w, "task_type", lookup_value(s, n, tasks, tasks_v, 4, 0.5));
	s = ft_event_str(ev, FT_language, &n);
	if (s)
		category(w, "prompt_language", s, n);
	else
		category(w, "prompt_language", prompt ? st.language : NULL,
		    prompt ? strlen(st.language) : 0);
	if (prompt) {
		unsigned h = st.domain[0];

		if (st.domain[1] > h)
			h = st.domain[1];
		if (st.domain[2] > h)
			h = st.domain[2];
		domain = fmin((double)h / 5, 1);
	}
	num(w, "prompt_domain", domain);
	num(w, "request_priority", priority_value(ev));
	ft_hour_features(x->o.tz, ts, &hf);
	num(w, "hour_of_day_cos", hf.hour_cos);
	num(w, "hour_of_day_sin", hf.hour_sin);
	num(w, "day_of_week_cos", hf.day_cos);
	num(w, "day_of_week_sin", hf.day_sin);
	flag(w, "is_weekend", hf.weekend);
	s = ft_event_str(ev, FT_session_id, &n);
	if (s) {
		uint64_t *depth = ft_lru_get(x->sessions, s, n, 1, NULL);

		++*depth;
		num(w, "session_depth", fmin((double)*depth / 50, 1));
	} else
		num(w, "session_depth", NAN);
	s = ft_event_str(ev, FT_user_tier, &n);
	num(w, "user_tier", lookup_value(s, n, tiers, tiers_v, 3, NAN));

	/* DRV_001 and DRV_004. */
	key(w, "prompt_embedding");
	if (prompt) {
		feat_writer_open_array(w);
		for (int k = 0; k < 8; k++)
			feat_writer_double(w, st.embedding[k]);
		feat_writer_close_array(w);
	} else
		feat_writer_null(w);
	s = mf ? mf->id : NULL;
	mlen = mf ? mf->idlen : 0;
	if (prompt && s && st.words > 0) {
		struct centroid *c = centroid(x, s, mlen);
		double dot = 0, na = 0, nb = 0;

		if (c->n > 0) {
			for (int k = 0; k < 8; k++) {
				dot += st.embedding[k] * c->sum[k];
				na += st.embedding[k] * st.embedding[k];
				nb += c->sum[k] * c->sum[k];
			}
			if (na > 0 && nb > 0)
				sim = dot / (sqrt(na) * sqrt(nb));
		}
		for (int k = 0; k < 8; k++)
			c->sum[k] += st.embedding[k];
		c->n++;
	}
	num(w, "prompt_similarity_to_avg", sim);

	/* DRV_005: mean of the products of the pairs without a null. */
	{
		double ctx = mf && mf->context_window > 0 ?
		    fmin(log(mf->context_window) / log(2000000.0), 1) : NAN;
		double cap = mf ? mf->capability : NAN;
		double size = mf ? mf->size_class : NAN;
		double a[4] = { prompt_length, complexity, out_len, domain };
		double b[4] = { ctx, cap, size, cap };
		double sum = 0;
		int pairs = 0;

		for (int k = 0; k < 4; k++)
			if (!isnan(a[k]) && !isnan(b[k])) {
				sum += a[k] * b[k];
				pairs++;
			}
		num(w, "model_fit_score", pairs ? sum / pairs : NAN);
	}
	return end_record(w, err);
}

/*
 * A static record the first time an event of any type names a model, and
 * again when the model's active price entry changes.
 */
static int
maybe_static(struct feat_extractor *x, const feat_event *ev,
    const struct ft_model_info *mf, feat_writer *w, struct feat_error *err)
{
	struct static_seen *ss = static_seen(x, mf->id, mf->idlen, 0);
	uint64_t prov = mf->provider ?
	    feat_fnv1a64(mf->provider, mf->providerlen) : 0;
	int emit;

	/*
	 * Once per model; again when its price entry changes for the same
	 * provider, or when the catalog first knows it (a feedback line
	 * naming no provider may come first).  Another host of the same
	 * model is the same entity: no new record.
	 */
	if (ss == NULL)
		emit = 1;
	else if (mf->price_key == 0)
		emit = 0;
	else if (ss->price_key == 0)
		emit = 1;
	else
		emit = ss->provider == prov && ss->price_key != mf->price_key;
	if (!emit)
		return 0;
	if (ss == NULL)
		ss = static_seen(x, mf->id, mf->idlen, 1);
	ss->price_key = mf->price_key;
	ss->provider = prov;
	return write_static(x, mf, ft_event_time(ev, FT_ts), w, err);
}

int
feat_extractor_check(feat_extractor *x, const feat_event *ev,
    struct feat_error *err)
{
	size_t tlen = 0, rlen = 0, clen = 0;
	const char *type = ft_event_str(ev, FT_type, &tlen);
	struct ft_model_info mf;
	int health = ieq(type, tlen, "system_health");

	ft_event_str(ev, FT_request_id, &rlen);
	component(ev, &clen);
	if ((x->o.groups & FEAT_GROUP_STATIC) &&
	    ft_model_info(x->models, x->facts, ev, &mf) == 0 &&
	    check_id(mf.idlen, "model", err) < 0)
		return -1;
	if (health && (x->o.groups & FEAT_GROUP_CONTEXT) &&
	    check_id(clen, "component", err) < 0)
		return -1;
	if (!health && (x->o.groups & FEAT_GROUP_REQUEST) &&
	    (ieq(type, tlen, "request") || ieq(type, tlen, "response") ||
	    ieq(type, tlen, "performance_metrics")) &&
	    check_id(rlen, "request_id", err) < 0)
		return -1;
	return 0;
}

int
feat_extractor_event(feat_extractor *x, const feat_event *ev,
    feat_writer *w, struct feat_error *err)
{
	size_t tlen = 0, rlen = 0;
	const char *type = ft_event_str(ev, FT_type, &tlen), *rid;
	struct ft_model_info mf;
	int have_model, health, request, created = 0;

	/* Every id is checked before anything of the event is written. */
	if (feat_extractor_check(x, ev, err) < 0)
		return -1;
	health = ieq(type, tlen, "system_health");
	request = !health && (ieq(type, tlen, "request") ||
	    ieq(type, tlen, "response") ||
	    ieq(type, tlen, "performance_metrics"));
	have_model = ft_model_info(x->models, x->facts, ev, &mf) == 0;
	rid = ft_event_str(ev, FT_request_id, &rlen);

	if (have_model && (x->o.groups & FEAT_GROUP_STATIC) &&
	    maybe_static(x, ev, &mf, w, err) < 0)
		return -1;
	if (health)
		return (x->o.groups & FEAT_GROUP_CONTEXT) ?
		    write_context(x, ev, w, err) : 0;

	/* One request record per request id, across runs with --state. */
	if (!request || !(x->o.groups & FEAT_GROUP_REQUEST))
		return 0;
	ft_lru_get(x->seen, rid, rlen, 1, &created);
	if (!created)
		return 0;
	return write_request(x, ev, have_model ? &mf : NULL, w, err);
}

/* ---- the stage for the tool driver ------------------------------------------ */

static int
stage_event(void *ctx, const feat_event *ev, struct feat_error *err)
{
	struct feat_extractor *x = ctx;

	return feat_extractor_event(x, ev, x->w, err);
}

static int
stage_check(void *ctx, const feat_event *ev, struct feat_error *err)
{
	return feat_extractor_check(ctx, ev, err);
}

static int
stage_save(void *ctx, struct feat_error *err)
{
	err->code = FEAT_ERR_IO;
	return feat_extractor_save(ctx, err->reason, sizeof err->reason);
}

void
feat_extractor_stage(feat_extractor *x, feat_writer *w,
    struct feat_event_stage *st)
{
	x->w = w;
	memset(st, 0, sizeof *st);
	st->event = stage_event;
	st->check = stage_check;
	st->save = x->o.state ? stage_save : NULL;
}
