/*
 * event.c - the event normaliser: any supported log line to canonical
 * fields (SPEC 3.1), for every tool.  This file holds the source table and
 * the walk over a parsed line; event-derive.c turns what the walk found
 * into values and derives the rest, event-write.c writes events out.
 *
 * A line is checked and parsed once (record.c); its members are matched
 * against a hash of source paths (canonical names, aliases, --field
 * overrides), the source earliest in the alias list winning, and entered
 * where a longer source path continues ("usage" for "usage.input_tokens").
 * An OTLP export batch line holds many spans: they are walked twice, once
 * to find a bad span before any of them is written (a bad line is bad
 * whole), then once to hand them out one at a time through the same event,
 * so memory follows the line and not the number of spans.
 */
#include "event-private.h"

#include <stdlib.h>
#include <string.h>

const struct canon ft_canon[] = {
#define C(id, name, kind) { name, sizeof(name) - 1, kind },
#include "event-fields.h"
#undef C
};

/*
 * Built-in sources, in priority order within each field (first found
 * wins), after the canonical name itself.  Keep in step with
 * feat-records(5) and feat-extract --list-fields.
 */
static const struct source {
	const char *path;
	int slot;
} builtin[] = {
	{ "timestamp", F_ts }, { "time", F_ts }, { "startTime", F_ts },
	{ "TIMESTAMP", F_ts }, { "startTimeUnixNano", F_ts },
	{ "event_type", F_type },
	{ "gen_ai.response.id", F_request_id }, { "id", A_ID },
	{ "gen_ai.conversation.id", F_session_id },
	{ "metadata.session_id", F_session_id },
	{ "user", F_user_id }, { "end_user", F_user_id },
	{ "user.id", F_user_id }, { "enduser.id", F_user_id },
	{ "metadata.user_id", F_user_id },
	{ "gen_ai.response.model", F_model }, { "gen_ai.request.model", F_model },
	{ "model_group", F_model },
	{ "gen_ai.provider.name", F_provider }, { "gen_ai.system", F_provider },
	{ "custom_llm_provider", F_provider },
	{ "data.prompt", F_prompt }, { "messages", F_prompt },
	{ "prompt_tokens", F_input_tokens },
	{ "gen_ai.usage.input_tokens", F_input_tokens },
	{ "usage.input_tokens", F_input_tokens },
	{ "ContextTokens", F_input_tokens }, { "input_length", F_input_tokens },
	{ "completion_tokens", F_output_tokens },
	{ "gen_ai.usage.output_tokens", F_output_tokens },
	{ "usage.output_tokens", F_output_tokens },
	{ "GeneratedTokens", F_output_tokens },
	{ "output_length", F_output_tokens },
	{ "cache_read_input_tokens", F_cache_read_tokens },
	{ "usage.cache_read_input_tokens", F_cache_read_tokens },
	{ "cache_creation_input_tokens", F_cache_write_tokens },
	{ "usage.cache_creation_input_tokens", F_cache_write_tokens },
	{ "request_duration_ms", F_latency_ms }, { "duration_ms", F_latency_ms },
	{ "time_to_first_token_ms", F_ttft_ms },
	{ "exception_type", F_error }, { "status.message", F_error },
	{ "metadata.error_information.error_message", F_error },
	{ "cost", F_cost_usd }, { "spend", F_cost_usd },
	{ "success", A_SUCCESS }, { "status_code", A_STATUS_CODE },
	{ "status.code", A_OTLP_CODE }, { "spanId", A_SPAN_ID },
	{ "startTime", A_START }, { "startTimeUnixNano", A_START },
	{ "endTime", A_END }, { "endTimeUnixNano", A_END },
	{ "completionStartTime", A_FIRST_TOKEN },
};

/* Usage kinds are also read under "usage.", the fields after cost_usd
 * under "metadata." (and as span attributes, like every source). */
static int
nested_too(int i)
{
	return i >= F_rating || (i > F_output_tokens && i < F_latency_ms);
}

/* ---- the source table ----------------------------------------------------- */

/*
 * The table is probed through a parallel array of 32-bit fingerprints (0:
 * an empty bucket), a few kilobytes that stay in the first-level cache:
 * most keys of a line are not sources of a wanted field, and a miss then
 * costs no load of the (large) entries at all.
 */
static uint32_t
fingerprint(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1;
}

static struct entry *
lookup(const struct feat_normaliser *nz, const char *s, size_t n)
{
	uint64_t h = ft_quick_hash(s, n);
	uint32_t f = fingerprint(h);
	size_t i = (size_t)h & (nz->cap - 1);

	for (;; i = (i + 1) & (nz->cap - 1)) {
		struct entry *e;

		if (nz->fp[i] == 0)
			return &nz->table[i];
		e = &nz->table[i];
		if (nz->fp[i] == f && e->len == n && memcmp(e->path, s, n) == 0)
			return e;
	}
}

/* Claims the empty bucket e for path[0, n). */
static void
claim(struct feat_normaliser *nz, struct entry *e, const char *path,
    size_t n)
{
	e->path = path;
	e->len = n;
	nz->fp[e - nz->table] = fingerprint(ft_quick_hash(path, n));
}

/* Doubles the table; it never gets more than half full. */
static void
grow(struct feat_normaliser *nz)
{
	struct entry *old = nz->table;
	size_t oldcap = nz->cap;

	nz->cap = oldcap ? oldcap * 2 : 512;
	nz->table = feat_xcalloc(nz->cap, sizeof *nz->table);
	free(nz->fp);
	nz->fp = feat_xcalloc(nz->cap, sizeof *nz->fp);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].path) {
			struct entry *e = lookup(nz, old[i].path, old[i].len);

			*e = old[i];
			claim(nz, e, old[i].path, old[i].len);
		}
	free(old);
}

/* The entry for path[0, n), made when missing. */
static struct entry *
entry(struct feat_normaliser *nz, const char *path, size_t n)
{
	struct entry *e;

	if (2 * (nz->used + 1) > nz->cap)
		grow(nz);
	e = lookup(nz, path, n);
	if (e->path == NULL) {
		claim(nz, e, path, n);
		nz->used++;
	}
	return e;
}

static const char *
own(struct feat_normaliser *nz, char *s)
{
	nz->owned = feat_xrealloc(nz->owned, (nz->nowned + 1) *
	    sizeof *nz->owned);
	nz->owned[nz->nowned++] = s;
	return s;
}

/* Built-in sources rank from here; --field overrides below it. */
#define BUILTIN_PRIO 0x40000000u

/* Adds path as a source of slot: -1 when the path feeds MAXTARGETS. */
static int
add_source(struct feat_normaliser *nz, const char *path, int slot,
    unsigned prio)
{
	size_t n = strlen(path);
	struct entry *e;
	int i;

	/* Every proper prefix "a", "a.b" of "a.b.c" marks an object to enter. */
	for (size_t k = 1; k < n; k++)
		if (path[k] == '.')
			entry(nz, path, k)->prefix = 1;
	e = entry(nz, path, n);
	for (i = 0; i < e->ntargets; i++)
		if (e->t[i].slot == slot) {
			if (prio < e->t[i].prio)
				e->t[i].prio = prio;
			return 0;
		}
	if (e->ntargets == MAXTARGETS)
		return -1;
	e->t[e->ntargets].slot = slot;
	e->t[e->ntargets].prio = prio;
	e->ntargets++;
	return 0;
}

/* Maps the catalog's usage units onto canonical fields, once it loaded. */
static void
use_models(struct feat_normaliser *nz)
{
	nz->nunits = feat_models_nunits(nz->o.models);
	nz->unit_field = feat_xcalloc(nz->nunits, sizeof *nz->unit_field);
	nz->usage = feat_xcalloc(nz->nunits, sizeof *nz->usage);
	for (size_t i = 0; i < nz->nunits; i++) {
		const char *u = feat_models_unit(nz->o.models, i);

		nz->unit_field[i] = ft_canon_index(u, strlen(u));
	}
	nz->models_ready = 1;
}

int
ft_normaliser_models(struct feat_normaliser *nz, struct feat_error *err)
{
	if (nz->models_ready)
		return 1;
	if (nz->o.models == NULL)
		return 0;
	if (feat_models_ensure(nz->o.models, err->reason,
	    sizeof err->reason) < 0) {
		err->code = FEAT_ERR_USAGE;
		return -1;
	}
	use_models(nz);
	return 1;
}

/*
 * The slots the wanted fields need, their derivations' inputs included
 * (SPEC 3.1): status reads error, success and the status codes; outcome
 * reads what a request line carries; the catalog's fields read the model,
 * the provider and every usage kind.
 */
static void
want_closure(struct feat_normaliser *nz)
{
	unsigned char *w = nz->wanted;

	w[F_ts] = w[F_type] = 1;	/* every event has them */
	if (w[F_outcome])
		w[F_latency_ms] = w[F_output_tokens] = w[F_status] =
		    w[F_error] = 1;
	if (w[F_status])
		w[F_error] = w[A_SUCCESS] = w[A_STATUS_CODE] =
		    w[A_OTLP_CODE] = 1;
	if (w[F_latency_ms])
		w[A_START] = w[A_END] = 1;
	if (w[F_ttft_ms])
		w[A_START] = w[A_FIRST_TOKEN] = 1;
	if (w[F_request_id])
		w[A_ID] = w[A_SPAN_ID] = 1;
	/* A cost computed from the catalog needs the model and the usage. */
	if (w[F_cost_usd] || w[F_input_cost_usd] || w[F_output_cost_usd]) {
		w[F_catalog_model] = 1;
		for (int i = F_input_tokens; i <= F_code_executions; i++)
			w[i] = 1;
	}
	if (w[F_catalog_model] || w[F_provider])
		w[F_model] = w[F_provider] = w[F_catalog_model] = 1;
	/* A span is told by its spanId: always looked at. */
	w[A_SPAN_ID] = 1;
}

int
ft_normaliser_wants(const struct feat_normaliser *nz, int slot)
{
	return nz->wanted[slot];
}

/*
 * The filter of the line parser: a member is stored when it is a source
 * (or holds one), skipped otherwise, unless --keep-unknown keeps it.
 */
static enum ft_jkeep filter_key(struct feat_normaliser *nz, int depth,
    const char *key, size_t keylen, uint32_t *tag);

static enum ft_jkeep
filter(void *ctx, int depth, const char *key, size_t keylen, uint32_t *tag)
{
	struct feat_normaliser *nz = ctx;
	struct keymemo *km = NULL;
	enum ft_jkeep r;

	/*
	 * A log writes its members in the same order line after line: the
	 * answer for the top-level key at this position on the last line is
	 * the answer again when the key is the same, with no hashing.
	 */
	if (depth == 1 && nz->keypos < KEYMEMO) {
		km = &nz->keymemo[nz->keypos++];
		if (km->len == keylen && memcmp(km->key, key, keylen) == 0) {
			*tag = km->tag;
			if (km->keep == FT_JENTER) {
				memcpy(nz->fpath, key, keylen);
				nz->fplen[1] = keylen;
			}
			return km->keep;
		}
	}
	r = filter_key(nz, depth, key, keylen, tag);
	if (km != NULL) {
		km->len = keylen < sizeof km->key ? keylen : 0;
		memcpy(km->key, key, km->len);
		km->keep = r;
		km->tag = *tag;
	}
	return r;
}

static enum ft_jkeep
filter_key(struct feat_normaliser *nz, int depth, const char *key,
    size_t keylen, uint32_t *tag)
{
	size_t base = depth > 1 ? nz->fplen[depth - 1] : 0, n;
	const struct entry *e;

	if (depth == 1 && ((keylen == 13 && memcmp(key, "resourceSpans",
	    13) == 0) || (keylen == 10 && memcmp(key, "attributes", 10) == 0) ||
	    (nz->o.keep_unknown && keylen == 5 && memcmp(key, "extra",
	    5) == 0)))
		return FT_JSTORE;	/* batches, spans, our own extra */
	n = base + (depth > 1) + keylen;
	if (n >= FT_PATH_MAX)
		return depth == 1 && nz->o.keep_unknown ? FT_JSTORE : FT_JSKIP;
	if (depth > 1)
		nz->fpath[base] = '.';
	memcpy(nz->fpath + base + (depth > 1), key, keylen);
	e = lookup(nz, nz->fpath, n);
	if (e->path == NULL)
		return depth == 1 && nz->o.keep_unknown ? FT_JSTORE : FT_JSKIP;
	/* collect() finds the entry by the tag instead of a second lookup. */
	*tag = (uint32_t)(e - nz->table) + 1;
	if (e->prefix) {
		/* --keep-unknown keeps what such an object holds besides. */
		if (nz->o.keep_unknown)
			return FT_JSTORE;
		nz->fplen[depth] = n;
		return FT_JENTER;
	}
	return FT_JSTORE;
}

feat_normaliser *
feat_normaliser_new(const struct feat_normaliser_opts *o)
{
	struct feat_normaliser *nz = feat_xcalloc(1, sizeof *nz);

	if (o)
		nz->o = *o;
	grow(nz);
	if (nz->o.want == NULL)
		memset(nz->wanted, 1, sizeof nz->wanted);
	else
		for (const char *const *w = nz->o.want; *w; w++) {
			int i = ft_canon_index(*w, strlen(*w));

			if (i >= 0)
				nz->wanted[i] = 1;
		}
	want_closure(nz);
	for (int i = 0; i < NCANON; i++) {
		int derived = i == F_type || i == F_status || i == F_outcome ||
		    i == F_request_id || i == F_latency_ms || i == F_ttft_ms ||
		    i == F_provider || i == F_catalog_model ||
		    i == F_cost_usd || i == F_input_cost_usd ||
		    i == F_output_cost_usd;

		if (nz->wanted[i])
			nz->fields[nz->nfields++] = i;
		if (nz->wanted[i] || derived)
			nz->cleared[nz->ncleared++] = i;
	}
	/* --field overrides rank first (1, 2, ...), built-ins after. */
	nz->next_prio = BUILTIN_PRIO;
	for (size_t i = 0; i < NCANON; i++)
		if (nz->wanted[i])
			add_source(nz, ft_canon[i].name, (int)i,
			    nz->next_prio++);
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (nz->wanted[builtin[i].slot])
			add_source(nz, builtin[i].path, builtin[i].slot,
			    nz->next_prio++);
	for (const char *const *p = nz->o.paths; p && *p; p++)
		add_source(nz, own(nz, feat_xstrdup(*p)),
		    NSLOTS + (int)nz->npaths++, nz->next_prio++);
	for (size_t i = 0; i < NCANON; i++) {
		const char *pre = i >= F_rating ? "metadata." : "usage.";
		size_t n = strlen(ft_canon[i].name), pn = strlen(pre);
		char *p;

		if (!nested_too((int)i) || !nz->wanted[i])
			continue;
		p = feat_xmalloc(pn + n + 1);
		memcpy(p, pre, pn);
		memcpy(p + pn, ft_canon[i].name, n + 1);
		add_source(nz, own(nz, p), (int)i, nz->next_prio++);
	}
	nz->json = ft_json_new();
	/*
	 * A stage that reads a few fields has every other member parsed
	 * past; one that reads them all (feat-extract) would only pay for
	 * asking twice.
	 */
	if (nz->o.want != NULL)
		ft_json_set_filter(nz->json, filter, nz);
	nz->ev = feat_xcalloc(1, sizeof *nz->ev);
	nz->ev->extra_seed = ft_hash_seed();
	nz->ev->slots = feat_xcalloc(NSLOTS + nz->npaths,
	    sizeof *nz->ev->slots);
	nz->slotlist = feat_xcalloc(NSLOTS + nz->npaths,
	    sizeof *nz->slotlist);
	for (size_t i = 0; i < NSLOTS + nz->npaths; i++)
		if (i >= NSLOTS || nz->wanted[i])
			nz->slotlist[nz->nslotlist++] = (int)i;
	return nz;
}

int
ft_canon_index(const char *name, size_t n)
{
	for (size_t i = 0; i < NCANON; i++)
		if (ft_canon[i].len == n && memcmp(ft_canon[i].name, name,
		    n) == 0)
			return (int)i;
	return -1;
}

int
ft_canon_field_kind(const char *name, int *is_bool)
{
	int i = ft_canon_index(name, strlen(name));

	*is_bool = i >= 0 && (ft_canon[i].kind == K_BOOL ||
	    ft_canon[i].kind == K_OUTCOME);
	return i;
}

int
ft_canon_is_number(int idx)
{
	switch (ft_canon[idx].kind) {
	case K_NUM:
	case K_COUNT:
	case K_DURATION:
	case K_PRIORITY:
		return 1;
	default:
		return 0;
	}
}

const char *
ft_canon_name(int idx)
{
	return ft_canon[idx].name;
}

int
feat_normaliser_field(feat_normaliser *nz, const char *spec, char *err,
    size_t errlen)
{
	const char *eq = strchr(spec, '='), *src;
	size_t depth = 1;
	int idx;

	if (eq == NULL || eq == spec || eq[1] == '\0') {
		snprintf(err, errlen, "invalid --field '%.200s': use "
		    "canonical=source", spec);
		return -1;
	}
	idx = ft_canon_index(spec, (size_t)(eq - spec));
	if (idx < 0) {
		snprintf(err, errlen, "unknown canonical field '%.*s'",
		    (int)(eq - spec) > 200 ? 200 : (int)(eq - spec), spec);
		return -1;
	}
	/*
	 * A path the walk can follow: no empty part, at most as deep as a
	 * line may nest, and short enough for its path buffer.
	 */
	src = eq + 1;
	if (strlen(src) >= FT_PATH_MAX) {
		snprintf(err, errlen, "invalid --field '%.*s=...': source path "
		    "longer than %d bytes", (int)(eq - spec), spec,
		    FT_PATH_MAX - 1);
		return -1;
	}
	for (const char *p = src; *p; p++)
		if (*p == '.' && ++depth > FT_PATH_DEPTH) {
			snprintf(err, errlen, "invalid --field '%.*s=...': "
			    "source path deeper than %d", (int)(eq - spec),
			    spec, FT_PATH_DEPTH);
			return -1;
		}
	if (src[0] == '.' || src[strlen(src) - 1] == '.' ||
	    strstr(src, "..") != NULL) {
		snprintf(err, errlen, "invalid --field '%.200s': empty part in "
		    "the source path", spec);
		return -1;
	}
	/* A field the stage does not read needs no source. */
	if (!nz->wanted[idx])
		return 0;
	/* Overrides rank before every built-in source, in the order given. */
	if (nz->nowned >= BUILTIN_PRIO - 1 || add_source(nz,
	    own(nz, feat_xstrdup(src)), idx, (unsigned)nz->nowned) < 0) {
		snprintf(err, errlen, "invalid --field '%.*s=%.100s': the "
		    "source already feeds %d fields", (int)(eq - spec), spec,
		    src, MAXTARGETS);
		return -1;
	}
	return 0;
}

int
feat_normaliser_drop(feat_normaliser *nz, const char *name, char *err,
    size_t errlen)
{
	int idx = ft_canon_index(name, strlen(name));

	if (idx < 0 || idx == F_ts || idx == F_type) {
		snprintf(err, errlen, "cannot drop '%s': not a droppable "
		    "canonical field", name);
		return -1;
	}
	nz->drop[idx] = 1;
	return 0;
}

unsigned long
feat_normaliser_skipped_spans(const feat_normaliser *nz)
{
	return nz->skipped_spans;
}

unsigned long
feat_normaliser_skipped_entries(const feat_normaliser *nz)
{
	return nz->skipped_entries;
}

void
feat_normaliser_free(feat_normaliser *nz)
{
	if (nz == NULL)
		return;
	for (size_t i = 0; i < nz->nowned; i++)
		free(nz->owned[i]);
	free(nz->owned);
	free(nz->table);
	free(nz->fp);
	ft_buf_free(&nz->ev->scratch);
	ft_buf_free(&nz->ev->span_id);
	free(nz->ev->extras);
	free(nz->ev->extra_tab);
	free(nz->ev->slots);
	free(nz->ev);
	free(nz->slotlist);
	free(nz->unit_field);
	free(nz->usage);
	ft_json_free(nz->json);
	free(nz);
}

/* ---- the walk ----------------------------------------------------------- */

static void
take(struct feat_event *ev, const struct entry *e, const struct ft_jval *v)
{
	for (int k = 0; k < e->ntargets; k++) {
		struct slot *sl = &ev->slots[e->t[k].slot];

		/* Of two equal sources the later wins, as a repeated key. */
		if (sl->v == NULL || e->t[k].prio <= sl->prio) {
			sl->v = v;
			sl->path = e->path;
			sl->prio = e->t[k].prio;
		}
	}
}

static uint32_t
extra_hash(const struct feat_event *ev, const char *k, size_t n)
{
	uint64_t h = ft_seeded_hash(ev->extra_seed, k, n);

	return (uint32_t)(h ^ (h >> 32));
}

static void
extra_index(struct feat_event *ev, size_t i)
{
	uint32_t h = extra_hash(ev, ev->extras[i].key, ev->extras[i].keylen);
	size_t k;

	for (k = h & (ev->extra_cap - 1); ev->extra_tab[k];
	    k = (k + 1) & (ev->extra_cap - 1))
		continue;
	ev->extra_tab[k] = (uint32_t)i + 1;
}

/*
 * Keeps an unknown member for --keep-unknown; a key met again (at the top
 * level and in a read-back "extra", or twice among span attributes)
 * replaces the earlier value in its place, so "extra" never repeats a key.
 */
static void
keep_extra(struct feat_event *ev, const char *key, size_t keylen,
    const struct ft_jval *v, int filtered)
{
	size_t k;

	if (ev->extra_cap < 2 * (ev->nextras + 1)) {
		ev->extra_cap = ev->extra_cap ? ev->extra_cap * 2 : 32;
		free(ev->extra_tab);
		ev->extra_tab = feat_xcalloc(ev->extra_cap,
		    sizeof *ev->extra_tab);
		for (size_t i = 0; i < ev->nextras; i++)
			extra_index(ev, i);
	}
	for (k = extra_hash(ev, key, keylen) & (ev->extra_cap - 1);
	    ev->extra_tab[k]; k = (k + 1) & (ev->extra_cap - 1)) {
		struct extra *x = &ev->extras[ev->extra_tab[k] - 1];

		if (x->keylen == keylen && memcmp(x->key, key, keylen) == 0) {
			x->v = v;
			x->filtered = filtered;
			return;
		}
	}
	if (ev->nextras == ev->capextras) {
		ev->capextras = ev->capextras ? ev->capextras * 2 : 16;
		ev->extras = feat_xrealloc(ev->extras, ev->capextras *
		    sizeof *ev->extras);
	}
	ev->extras[ev->nextras].key = key;
	ev->extras[ev->nextras].keylen = keylen;
	ev->extras[ev->nextras].v = v;
	ev->extras[ev->nextras].filtered = filtered;
	ev->extra_tab[k] = (uint32_t)++ev->nextras;
}

/* The value of an OTLP AnyValue object: {"stringValue": ...} and kin. */
static const struct ft_jval *
any_value(const struct ft_json *j, const struct ft_jval *v)
{
	const struct ft_jval *c;

	if (v == NULL || v->type != FT_JOBJECT)
		return NULL;
	for (c = ft_json_node(j, v->child); c; c = ft_json_node(j, c->next))
		if (c->keylen > 5 &&
		    memcmp(c->key + c->keylen - 5, "Value", 5) == 0)
			return c;
	return NULL;
}

/* OTLP attributes: [{"key": K, "value": {"<type>Value": V}}, ...] */
static void
collect_attributes(struct feat_normaliser *nz, struct feat_event *ev,
    const struct ft_jval *arr)
{
	const struct ft_json *j = nz->json;

	for (const struct ft_jval *a = ft_json_node(j, arr->child); a;
	    a = ft_json_node(j, a->next)) {
		const struct ft_jval *k = ft_json_get(j, a, "key", 3);
		const struct ft_jval *v = any_value(j,
		    ft_json_get(j, a, "value", 5));
		struct entry *e;

		if (k == NULL || k->type != FT_JSTRING || v == NULL)
			continue;
		if (k->len > 7 && memcmp(k->s, "gen_ai.", 7) == 0)
			ev->genai = 1;
		e = lookup(nz, k->s, k->len);
		if (e->path == NULL || e->ntargets == 0) {
			if (nz->o.keep_unknown)
				keep_extra(ev, k->s, k->len, v, 0);
			continue;
		}
		if (v->type != FT_JNULL)
			take(ev, e, v);
	}
}

/*
 * Records the members of obj (whose path is path[0, plen)) that are
 * sources, entering objects that prefix longer source paths.  path has
 * room for FT_PATH_MAX bytes; no source path is longer.
 */
static void
collect(struct feat_normaliser *nz, struct feat_event *ev,
    const struct ft_jval *obj, char *path, size_t plen, int top)
{
	const struct ft_json *j = nz->json;

	for (const struct ft_jval *v = ft_json_node(j, obj->child); v;
	    v = ft_json_node(j, v->next)) {
		const char *key = v->key;
		size_t klen = v->keylen;
		struct entry *e;

		if (top && ev->span && klen == 10 &&
		    memcmp(key, "attributes", 10) == 0 &&
		    v->type == FT_JARRAY) {
			collect_attributes(nz, ev, v);
			continue;
		}
		if (top && klen == 5 && memcmp(key, "extra", 5) == 0 &&
		    v->type == FT_JOBJECT && nz->o.keep_unknown) {
			/* our own --keep-unknown output, read back */
			for (const struct ft_jval *x = ft_json_node(j, v->child);
			    x; x = ft_json_node(j, x->next))
				keep_extra(ev, x->key, x->keylen, x, 0);
			continue;
		}
		if (plen > 0) {
			if (plen + 1 + klen >= FT_PATH_MAX)
				continue;	/* no source path is that long */
			path[plen] = '.';
			memcpy(path + plen + 1, v->key, klen);
			key = path;
			klen += plen + 1;
		}
		{
			uint32_t tag = ft_json_tag(j, v);

			e = tag ? &nz->table[tag - 1] : lookup(nz, key, klen);
		}
		if (e->path == NULL || (e->ntargets == 0 &&
		    v->type != FT_JOBJECT)) {
			/* No source here ("usage":"n/a" is none either). */
			if (top && nz->o.keep_unknown)
				keep_extra(ev, v->key, v->keylen, v, 0);
			continue;
		}
		if (v->type == FT_JOBJECT && e->prefix) {
			if (klen >= FT_PATH_MAX)
				continue;
			if (key != path)
				memcpy(path, key, klen);
			collect(nz, ev, v, path, klen, 0);
			/*
			 * What the object holds besides sources ("metadata":
			 * {"team":..}) is kept too, without the sources.
			 */
			if (top && nz->o.keep_unknown &&
			    ft_extra_has_unknown(nz, v, v->key, v->keylen))
				keep_extra(ev, v->key, v->keylen, v, 1);
			/* an object there is a container, not the value */
			if (!(e->ntargets > 0 && e->t[0].slot == F_error))
				continue;
		}
		if (v->type == FT_JNULL || e->ntargets == 0)
			continue;	/* null is absent: the next source may give it */
		take(ev, e, v);
	}
}

/*
 * Whether a member of the object at path is no source: 1 for a source, 0
 * for none, 2 for an object to look into.
 */
static int
member_kind(const struct feat_normaliser *nz, const struct ft_jval *m,
    const char *path, size_t plen, char *buf)
{
	const struct entry *e;

	if (plen + 1 + m->keylen >= FT_PATH_MAX)
		return 0;
	memcpy(buf, path, plen);
	buf[plen] = '.';
	memcpy(buf + plen + 1, m->key, m->keylen);
	e = lookup(nz, buf, plen + 1 + m->keylen);
	if (e->path == NULL)
		return 0;
	if (m->type == FT_JOBJECT && e->prefix)
		return 2;
	return e->ntargets > 0;
}

int
ft_extra_has_unknown(const struct feat_normaliser *nz,
    const struct ft_jval *obj, const char *path, size_t plen)
{
	char buf[FT_PATH_MAX];

	for (const struct ft_jval *m = ft_json_node(nz->json, obj->child); m;
	    m = ft_json_node(nz->json, m->next)) {
		int k = member_kind(nz, m, path, plen, buf);

		if (k == 0 || (k == 2 && ft_extra_has_unknown(nz, m, buf,
		    plen + 1 + m->keylen)))
			return 1;
	}
	return 0;
}

void
ft_extra_write_unknown(const struct feat_normaliser *nz,
    const struct ft_jval *obj, const char *path, size_t plen,
    feat_writer *w)
{
	char buf[FT_PATH_MAX];

	feat_writer_open_object(w);
	for (const struct ft_jval *m = ft_json_node(nz->json, obj->child); m;
	    m = ft_json_node(nz->json, m->next)) {
		int k = member_kind(nz, m, path, plen, buf);

		if (k == 1 || (k == 2 && !ft_extra_has_unknown(nz, m, buf,
		    plen + 1 + m->keylen)))
			continue;
		feat_writer_key(w, m->key, m->keylen);
		if (k == 2)
			ft_extra_write_unknown(nz, m, buf, plen + 1 + m->keylen,
			    w);
		else
			ft_write_json_value(nz->json, m, w);
	}
	feat_writer_close_object(w);
}

/* Resets the one event for the next object. */
static struct feat_event *
fresh_event(struct feat_normaliser *nz, int span, long batch_index)
{
	struct feat_event *ev = nz->ev;

	/* Only what can have been set: the wanted fields and the derived. */
	for (int k = 0; k < nz->ncleared; k++)
		memset(&ev->f[nz->cleared[k]], 0, sizeof ev->f[0]);
	for (int k = 0; k < nz->nslotlist; k++)
		ev->slots[nz->slotlist[k]].v = NULL;
	ev->scratch.len = 0;
	if (ev->nextras > 0)
		memset(ev->extra_tab, 0, ev->extra_cap *
		    sizeof *ev->extra_tab);
	ev->nextras = 0;
	ev->span = span;
	ev->genai = 0;
	ev->batch_index = batch_index;
	ev->model = NULL;
	ev->warning = NULL;
	return ev;
}

/*
 * With --keep-unknown a top-level member goes one level down, under
 * "extra": a member already 64 deep would come out at 65, which no tool
 * reads back.  Such a line is bad rather than written unreadable.
 */
static int
extras_fit(const struct feat_normaliser *nz, const struct feat_event *ev,
    struct feat_error *err)
{
	if (ft_json_maxdepth(nz->json) < FT_JMAXDEPTH)
		return 0;
	for (size_t i = 0; i < ev->nextras; i++)
		if (ft_json_depth(nz->json, ev->extras[i].v) + 1 >=
		    FT_JMAXDEPTH) {
			err->code = FEAT_BAD_DEPTH;
			snprintf(err->reason, sizeof err->reason,
			    "nesting deeper than %d: '%.*s' would nest "
			    "deeper under \"extra\"", FT_JMAXDEPTH,
			    ev->extras[i].keylen > 64 ? 64 :
			    (int)ev->extras[i].keylen, ev->extras[i].key);
			return -1;
		}
	return 0;
}

/*
 * One object (a plain event or an OTLP span) into the event.  Returns 1
 * for an event, 0 for a span that is not an LLM call, -1 for a bad one.
 */
static int
normalise_object(struct feat_normaliser *nz, const struct ft_jval *obj,
    int span, long batch_index, struct feat_error *err)
{
	struct feat_event *ev = fresh_event(nz, span, batch_index);
	char path[FT_PATH_MAX];

	collect(nz, ev, obj, path, 0, 1);
	if (span && !ev->genai)
		return 0;
	if (nz->o.keep_unknown && extras_fit(nz, ev, err) < 0)
		return -1;
	return ft_event_finish(nz, ev, err) < 0 ? -1 : 1;
}

static int
is_span(const struct ft_json *j, const struct ft_jval *obj)
{
	const struct ft_jval *a = ft_json_get(j, obj, "attributes", 10);

	return a && a->type == FT_JARRAY &&
	    (ft_json_get(j, obj, "spanId", 6) ||
	    ft_json_get(j, obj, "startTimeUnixNano", 17));
}

static const struct ft_jval *
array_member(const struct ft_json *j, const struct ft_jval *obj,
    const char *key)
{
	const struct ft_jval *v;

	if (obj == NULL || obj->type != FT_JOBJECT)
		return NULL;
	v = ft_json_get(j, obj, key, strlen(key));
	return v && v->type == FT_JARRAY ? v : NULL;
}

/*
 * The next element of the batch's spans arrays (resourceSpans[].
 * scopeSpans[].spans[]), objects or not, counting its index; NULL at the
 * end.  With count, elements of resourceSpans and scopeSpans that are
 * not objects are counted into it.
 */
static const struct ft_jval *
next_span(struct feat_normaliser *nz, unsigned long *count)
{
	const struct ft_json *j = nz->json;
	struct batch_cursor *c = &nz->cur;

	for (;;) {
		if (c->span != NULL) {
			c->span = ft_json_node(j, c->span->next);
		} else if (c->sp != NULL)
			c->span = ft_json_node(j, c->sp->child);
		if (c->span != NULL) {
			c->index++;
			return c->span;
		}
		/* The spans array is done: the next scopeSpans element. */
		c->sp = NULL;
		for (;;) {
			c->s = c->s ? ft_json_node(j, c->s->next) :
			    c->ss ? ft_json_node(j, c->ss->child) : NULL;
			if (c->s == NULL)
				break;
			if (c->s->type != FT_JOBJECT) {
				if (count)
					++*count;
				continue;
			}
			if ((c->sp = array_member(j, c->s, "spans")) != NULL)
				break;
		}
		if (c->sp != NULL)
			continue;
		/* The scopeSpans array is done: the next resourceSpans one. */
		c->ss = NULL;
		for (;;) {
			c->r = c->r ? ft_json_node(j, c->r->next) :
			    ft_json_node(j, c->rs->child);
			if (c->r == NULL)
				return NULL;
			if (c->r->type != FT_JOBJECT) {
				if (count)
					++*count;
				continue;
			}
			if ((c->ss = array_member(j, c->r, "scopeSpans")) !=
			    NULL)
				break;
		}
		c->s = NULL;
	}
}

static void
rewind_batch(struct feat_normaliser *nz, const struct ft_jval *rs)
{
	memset(&nz->cur, 0, sizeof nz->cur);
	nz->cur.rs = rs;
	nz->cur.index = -1;
}

int
feat_normaliser_start(feat_normaliser *nz, const char *line, size_t len,
    struct feat_error *err)
{
	const struct ft_json *j = nz->json;
	const struct ft_jval *root, *rs, *span;
	unsigned long skipped, entries;
	int rc;

	nz->batch = nz->pending = nz->had_event = 0;
	nz->batch_rs = NULL;
	nz->line = line;
	nz->linelen = len;
	nz->line_hashed = 0;
	err->code = FEAT_BAD_NONE;
	err->reason[0] = '\0';
	nz->keypos = 0;
	if (ft_line_parse(nz->json, line, len, err) < 0)
		return -1;
	root = ft_json_node(j, 1);
	if ((rs = array_member(j, root, "resourceSpans")) == NULL) {
		rc = normalise_object(nz, root, is_span(j, root), -1, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			nz->skipped_spans++;	/* not an LLM call */
		nz->pending = nz->had_event = rc;
		return 0;
	}
	/*
	 * An export batch: every span is checked before any is handed out,
	 * so a bad span makes the whole line bad and none of it is written.
	 */
	nz->batch = 1;
	nz->batch_rs = rs;
	rewind_batch(nz, rs);
	/* Counted for the line only once it proves good. */
	skipped = entries = 0;
	while ((span = next_span(nz, &entries)) != NULL) {
		if (span->type != FT_JOBJECT) {
			entries++;
			continue;
		}
		rc = normalise_object(nz, span, 1, nz->cur.index, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			skipped++;
	}
	nz->skipped_spans += skipped;
	nz->skipped_entries += entries;
	rewind_batch(nz, rs);
	return 0;
}

int
feat_normaliser_next(feat_normaliser *nz, const feat_event **ev,
    struct feat_error *err)
{
	const struct ft_jval *span;
	int rc;

	if (!nz->batch) {
		if (!nz->pending)
			return 0;
		nz->pending = 0;
		*ev = nz->ev;
		return 1;
	}
	while ((span = next_span(nz, NULL)) != NULL) {
		if (span->type != FT_JOBJECT)
			continue;
		rc = normalise_object(nz, span, 1, nz->cur.index, err);
		if (rc < 0)
			return -1;	/* cannot happen: checked in start */
		if (rc == 1) {
			*ev = nz->ev;
			return 1;
		}
	}
	nz->batch = 0;
	return 0;
}

void
feat_normaliser_rewind(feat_normaliser *nz)
{
	if (nz->batch_rs != NULL) {
		nz->batch = 1;
		rewind_batch(nz, nz->batch_rs);
	} else
		nz->pending = nz->had_event;
}

/* ---- field access for the other stages of libfeat ------------------------ */

int
ft_event_has(const feat_event *ev, int f)
{
	return f >= 0 && f < NCANON && ev->f[f].set;
}

const char *
ft_event_str(const feat_event *ev, int f, size_t *len)
{
	if (!ft_event_has(ev, f)) {
		*len = 0;
		return NULL;
	}
	*len = ev->f[f].len;
	return ev->f[f].s;
}

int
ft_event_num(const feat_event *ev, int f, double *d)
{
	if (!ft_event_has(ev, f) || ev->f[f].raw != NULL)
		return -1;
	switch (ft_canon[f].kind) {
	case K_NUM:
	case K_COUNT:
	case K_DURATION:
	case K_PRIORITY:
		*d = ev->f[f].d;
		return 0;
	default:
		return -1;
	}
}

int
ft_event_bool(const feat_event *ev, int f)
{
	if (!ft_event_has(ev, f))
		return -1;
	return ev->f[f].b;
}

int64_t
ft_event_time(const feat_event *ev, int f)
{
	return ft_event_has(ev, f) ? ev->f[f].ts : 0;
}

const feat_model *
ft_event_model(const feat_event *ev)
{
	return ev->model;
}

const char *
feat_event_field(const feat_event *ev, const char *name, size_t *len)
{
	int i = ft_canon_index(name, strlen(name));
	const struct field *f;

	*len = 0;
	if (i < 0 || !ev->f[i].set)
		return NULL;
	f = &ev->f[i];
	switch (ft_canon[i].kind) {
	case K_TIME:
	case K_BOOL:
	case K_OUTCOME:
		return NULL;	/* feat_event_ts, feat_event_flag */
	default:
		if (f->raw != NULL)
			return NULL;
		if (f->s == NULL) {
			/* A computed number: its text, made once. */
			struct feat_event *w = (struct feat_event *)ev;
			struct field *wf = &w->f[i];

			wf->len = feat_fmt_double(wf->d, w->num[wf->numbuf]);
			wf->s = w->num[wf->numbuf];
			wf->json_ok = 1;
		}
		*len = f->len;
		return f->s;
	}
}

int
feat_event_flag(const feat_event *ev, const char *name)
{
	int i = ft_canon_index(name, strlen(name));

	if (i < 0 || !ev->f[i].set || (ft_canon[i].kind != K_BOOL &&
	    ft_canon[i].kind != K_OUTCOME))
		return -1;
	return ev->f[i].b;
}

/* The value of a wanted path, as its node, or NULL. */
static const struct ft_jval *
path_value(const feat_event *ev, int i)
{
	return i >= 0 ? ev->slots[NSLOTS + i].v : NULL;
}

int
feat_event_path_num(const feat_event *ev, int i, double *d)
{
	const struct ft_jval *v = path_value(ev, i);
	const char *start;
	size_t tlen;
	int json_ok;

	if (v == NULL)
		return 0;
	if (v->type == FT_JTRUE || v->type == FT_JFALSE) {
		*d = v->type == FT_JTRUE;
		return 1;
	}
	if ((v->type == FT_JNUMBER || v->type == FT_JSTRING) &&
	    ft_num_parse(v->s, v->len, d, &start, &tlen, &json_ok) ==
	    FT_NUM_OK)
		return 1;
	return 0;
}

const char *
feat_event_path_str(const feat_event *ev, int i, size_t *len)
{
	const struct ft_jval *v = path_value(ev, i);

	*len = 0;
	if (v == NULL || (v->type != FT_JSTRING && v->type != FT_JNUMBER))
		return NULL;
	*len = v->len;
	return v->s;
}

int64_t
feat_event_ts(const feat_event *ev)
{
	return ev->f[F_ts].ts;
}

const char *
feat_event_warning(const feat_event *ev)
{
	return ev->warning;
}

feat_models *
feat_normaliser_models(const feat_normaliser *nz)
{
	return nz->o.models;
}
