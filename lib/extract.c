/*
 * extract.c - feat-extract's feature groups (SPEC 4 and 6): a request
 * record per request, a static record per model, a context record per
 * system_health event.
 *
 * The stage is init / process / finish: feat_extractor_new, then
 * feat_extractor_event for each normalised event (writing zero or more
 * records), then feat_extractor_finish, which saves --state.  The state -
 * session depths, request ids already seen, DRV_004 centroids, the models
 * whose static record was written - is bounded by --max-sessions (least
 * recently used first out) and written atomically, so two runs with one
 * state file compute what one run over both inputs computes.
 */
#include "feat-private.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
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
	const feat_overlay *overlay;
	struct ft_lru *sessions;	/* session_id -> uint64 requests */
	struct ft_lru *seen;		/* request ids already written */
	struct ft_lru *cents;		/* model -> struct centroid */
	struct ft_lru *statics;		/* model -> struct static_seen */
	int64_t fixed_now;		/* $FEAT_NOW, or INT64_MIN */
	int64_t created_ms;		/* the time in created, formatted: */
	char created[FEAT_TIME_BUFSZ];
	size_t created_len;
	int utc;			/* --tz is UTC: plain arithmetic */
};

/* ---- small helpers --------------------------------------------------- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int
ieq(const char *s, size_t n, const char *lit)
{
	return s && strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static int64_t
created_now(const struct feat_extractor *x)
{
	struct timespec t;

	if (x->fixed_now != INT64_MIN)
		return x->fixed_now;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Local hour (0-23) and weekday (Monday 0) of ts in --tz. */
static void
local_time(const struct feat_extractor *x, int64_t ts, int *hour, int *wday)
{
	int64_t secs = floor_div(ts, 1000000000);

	if (x->utc) {
		int64_t days = floor_div(secs, 86400);

		*hour = (int)((secs - days * 86400) / 3600);
		*wday = (int)(((days % 7) + 7 + 3) % 7);	/* 1970-01-01: Thu */
	} else {
		time_t t = (time_t)secs;
		struct tm tm;

		localtime_r(&t, &tm);
		*hour = tm.tm_hour;
		*wday = (tm.tm_wday + 6) % 7;
	}
}

int
feat_tz_valid(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	struct stat st;

	if (zone == NULL || *zone == '\0')
		return 0;
	if (strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0)
		return 1;
	/* Only names of the zone database: no paths out of it, no rules. */
	if (zone[0] == '/' || strstr(zone, "..") || strchr(zone, ','))
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir :
	    "/usr/share/zoneinfo", zone);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- record writing --------------------------------------------------- */

/* Keys are literals: their length is known when compiled. */
#define key(w, k) feat_writer_key((w), (k), sizeof(k) - 1)

static void
begin_record(struct feat_extractor *x, feat_writer *w, const char *etype,
    const char *id, size_t idlen, const char *group, int64_t ts)
{
	feat_writer_open_object(w);
	key(w, "entity_type");
	feat_writer_string(w, etype, strlen(etype));	/* short literals */
	key(w, "entity_id");
	feat_writer_string(w, id, idlen);
	key(w, "group");
	feat_writer_string(w, group, strlen(group));
	key(w, "version");
	feat_writer_int(w, x->o.group_version);
	key(w, "ts");
	feat_writer_time(w, ts);
	key(w, "created");
	{
		/* Formatted once per millisecond, not once per record. */
		int64_t now = created_now(x), ms = floor_div(now, 1000000);

		if (x->created_len == 0 || ms != x->created_ms) {
			x->created_ms = ms;
			x->created_len = feat_time_format(now, x->created);
		}
		feat_writer_string(w, x->created, x->created_len);
	}
	key(w, "features");
	feat_writer_open_object(w);
}

static int
end_record(feat_writer *w)
{
	feat_writer_close_object(w);
	feat_writer_close_object(w);
	return feat_writer_end_record(w);
}

#define num(w, k, v) num_((w), (k), sizeof(k) - 1, (v))
#define flag(w, k, b) flag_((w), (k), sizeof(k) - 1, (b))
#define category(w, k, s, n) category_((w), (k), sizeof(k) - 1, (s), (n))

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
	char *text, tmp[4096];
	size_t len;
	int fd, rc = 0;

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
	len = strlen(text);

	/* Write, fsync, rename: a crash leaves the old state or the new. */
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write state '%s': %s", tmp,
		    strerror(errno));
		rc = -1;
	}
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write state '%s': %s", tmp,
		    strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp,
		    path, strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(tmp);
	free(text);
	return rc;
}

/* ---- the stage ----------------------------------------------------------- */

feat_extractor *
feat_extractor_new(const struct feat_extract_opts *o, const feat_models *m,
    const feat_overlay *ov, char *err, size_t errlen)
{
	struct feat_extractor *x = feat_xcalloc(1, sizeof *x);
	const char *now = getenv("FEAT_NOW");

	x->o = *o;
	x->models = m;
	x->overlay = ov;
	if (x->o.group_version <= 0)
		x->o.group_version = 1;
	if (x->o.max_sessions == 0)
		x->o.max_sessions = 1000000;
	x->fixed_now = INT64_MIN;
	if (now && *now && feat_now(&x->fixed_now) < 0) {
		snprintf(err, errlen, "invalid FEAT_NOW '%s'", now);
		free(x);
		return NULL;
	}
	x->utc = x->o.tz == NULL || strcmp(x->o.tz, "UTC") == 0 ||
	    strcmp(x->o.tz, "Etc/UTC") == 0;
	if (!x->utc) {
		if (!feat_tz_valid(x->o.tz)) {
			snprintf(err, errlen, "unknown time zone '%s'",
			    x->o.tz);
			free(x);
			return NULL;
		}
		setenv("TZ", x->o.tz, 1);
		tzset();
	}
	x->sessions = ft_lru_new(x->o.max_sessions, sizeof(uint64_t));
	x->seen = ft_lru_new(x->o.max_sessions, 1);
	x->cents = ft_lru_new(x->o.max_sessions, sizeof(struct centroid));
	x->statics = ft_lru_new(x->o.max_sessions, sizeof(struct static_seen));
	if (x->o.state && load_state(x, x->o.state, err, errlen) < 0) {
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
	free(x);
}

int
feat_extractor_finish(feat_extractor *x, char *err, size_t errlen)
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

/* Maps a category to its value by a table; unknown gives dflt. */
static double
lookup_value(const char *s, size_t n, const char *const *names,
    const double *values, size_t count, double dflt)
{
	if (s == NULL)
		return NAN;
	for (size_t i = 0; i < count; i++)
		if (ieq(s, n, names[i]))
			return values[i];
	return dflt;
}

int
ft_model_facts(const feat_models *m, const feat_overlay *ov,
    const feat_event *ev, struct ft_model_facts *mf)
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
		ft_overlay_apply(ov, mf->provider, mf->providerlen,
		    feat_model_id(md), n, mf);
	}
	return 0;
}

static int
write_static(struct feat_extractor *x, const struct ft_model_facts *mf,
    int64_t ts, feat_writer *w)
{
	double age = NAN;

	if (mf->has_cutoff) {
		double days = ft_ns_diff(ts, mf->cutoff_ns) / 86400e9;

		/* The catalog's range is [0, 2]: before the cutoff is 0. */
		age = days < 0 ? 0 : days / 365 > 2 ? 2 : days / 365;
	}
	begin_record(x, w, "model", mf->id, mf->idlen, "static", ts);
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
	return end_record(w);
}

static int
write_context(struct feat_extractor *x, const feat_event *ev,
    feat_writer *w)
{
	static const char *const health[] = { "healthy", "degraded",
	    "unhealthy" };
	static const double health_v[] = { 1, 0.5, 0 };
	size_t clen = 0, slen = 0;
	const char *comp = ft_event_str(ev, FT_component, &clen);
	const char *st = ft_event_str(ev, FT_status, &slen);
	double cpu, mem, tot, v;
	int64_t ts = ft_event_time(ev, FT_ts), reset;

	if (comp == NULL || clen == 0) {
		comp = "global";
		clen = 6;
	}
	begin_record(x, w, "system", comp, clen, "context", ts);
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
		num(w, "time_until_budget_reset",
		    clamp01(ft_ns_diff(reset, ts) / 3600e9 / 720));
	} else
		num(w, "time_until_budget_reset", NAN);
	num(w, "model_availability", lookup_value(st, slen, health, health_v,
	    3, NAN));
	num(w, "api_quota_remaining",
	    ft_event_num(ev, FT_quota_remaining_ratio, &v) == 0 ? v : NAN);
	num(w, "region_load", ft_event_num(ev, FT_region_load, &v) == 0 ?
	    v : NAN);
	return end_record(w);
}

static int
write_request(struct feat_extractor *x, const feat_event *ev,
    const struct ft_model_facts *mf, feat_writer *w)
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
	double v, prompt_length = NAN, complexity = NAN, domain = NAN;
	double out_len, sim = NAN;
	int64_t ts = ft_event_time(ev, FT_ts);
	int hour, wday;

	if (prompt)
		ft_text_analyse(prompt, plen, &st);
	begin_record(x, w, "request", rid, rlen, "request", ts);

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
	if (ft_event_num(ev, FT_priority, &v) == 0)
		num(w, "request_priority", v >= 1 && v <= 10 ? v / 10 : 0.5);
	else
		num(w, "request_priority", NAN);
	local_time(x, ts, &hour, &wday);
	num(w, "hour_of_day_cos", cos(2 * M_PI * hour / 24));
	num(w, "hour_of_day_sin", sin(2 * M_PI * hour / 24));
	num(w, "day_of_week_cos", cos(2 * M_PI * wday / 7));
	num(w, "day_of_week_sin", sin(2 * M_PI * wday / 7));
	flag(w, "is_weekend", wday >= 5);
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
	return end_record(w);
}

int
feat_extractor_event(feat_extractor *x, const feat_event *ev,
    feat_writer *w)
{
	size_t tlen = 0, rlen = 0;
	const char *type = ft_event_str(ev, FT_type, &tlen), *rid;
	struct ft_model_facts mf;
	int have_model, created = 0;

	if (ieq(type, tlen, "system_health"))
		return (x->o.groups & FEAT_GROUP_CONTEXT) ?
		    write_context(x, ev, w) : 0;

	/*
	 * A static record the first time an event names a model, and again
	 * when the model's active price entry changes.
	 */
	have_model = ft_model_facts(x->models, x->overlay, ev, &mf) == 0;
	if (have_model && (x->o.groups & FEAT_GROUP_STATIC)) {
		struct static_seen *ss = static_seen(x, mf.id, mf.idlen, 0);
		uint64_t prov = mf.provider ?
		    feat_fnv1a64(mf.provider, mf.providerlen) : 0;
		int emit;

		/*
		 * Once per model; again when its price entry changes for the
		 * same provider, or when the catalog first knows it (a
		 * feedback line naming no provider may come first).  Another
		 * host of the same model is the same entity: no new record.
		 */
		if (ss == NULL)
			emit = 1;
		else if (mf.price_key == 0)
			emit = 0;
		else if (ss->price_key == 0)
			emit = 1;
		else
			emit = ss->provider == prov &&
			    ss->price_key != mf.price_key;
		if (emit) {
			if (ss == NULL)
				ss = static_seen(x, mf.id, mf.idlen, 1);
			ss->price_key = mf.price_key;
			ss->provider = prov;
			if (write_static(x, &mf, ft_event_time(ev, FT_ts), w) < 0)
				return -1;
		}
	}

	/* One request record per request id, across runs with --state. */
	if (!(x->o.groups & FEAT_GROUP_REQUEST) ||
	    !(ieq(type, tlen, "request") || ieq(type, tlen, "response") ||
	    ieq(type, tlen, "performance_metrics")))
		return 0;
	rid = ft_event_str(ev, FT_request_id, &rlen);
	ft_lru_get(x->seen, rid, rlen, 1, &created);
	if (!created)
		return 0;
	return write_request(x, ev, have_model ? &mf : NULL, w);
}
