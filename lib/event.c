/*
 * event.c - the event normaliser: any supported log line to canonical
 * fields (SPEC 3.1), for every tool.
 *
 * A line is parsed once into a small document; its members are matched
 * against a hash of source paths (canonical names, aliases, --field
 * overrides), the source earliest in the alias list winning, and each value
 * is converted to its canonical kind.  Type, status, outcome and the request
 * id are then derived by the rules of SPEC 3.1, so every tool sees the same
 * event whatever wrote the log.  With a model catalog, the model is looked
 * up (catalog_model, the provider when the event names none) and the
 * request priced (SPEC 5, lib/models.c).
 */
#include "feat-private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum kind {
	K_TIME, K_STR, K_NUM, K_BOOL, K_TYPE, K_STATUS, K_OUTCOME, K_ERROR
};

/*
 * The canonical fields, in the order -g event writes them.  Keep in step
 * with feat-records(5).
 */
static const struct canon {
	const char *name;
	size_t len;
	enum kind kind;
} canon[] = {
#define C(id, name, kind) { name, sizeof(name) - 1, kind },
#include "event-fields.h"
#undef C
};
enum {
#define C(id, name, kind) F_##id,
#include "event-fields.h"
#undef C
	NCANON
};

/* Inputs of the derivation rules that are not canonical fields. */
enum {
	A_SUCCESS = NCANON,	/* success: false marks an error */
	A_STATUS_CODE,		/* an HTTP status code */
	A_OTLP_CODE,		/* OTLP status.code: 2 is an error */
	A_ID,			/* id: a request id in request/response events */
	A_SPAN_ID,		/* OTLP spanId */
	A_START,		/* start of the call, for latency and ttft */
	A_END,			/* end of the call */
	A_FIRST_TOKEN,		/* completionStartTime */
	NSLOTS
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

struct slot {
	const struct ft_jval *v;
	const char *path;	/* the source it came from, for messages */
	unsigned prio;
};

#define MAXTARGETS 3
struct entry {
	const char *path;	/* NULL: empty bucket */
	size_t len;
	int prefix;		/* objects under this path are entered */
	int ntargets;
	struct {
		int slot;
		unsigned prio;
	} t[MAXTARGETS];
};

#define NBUCKETS 2048

struct field {
	int set;
	const char *s;		/* string value, or number text */
	size_t len;
	int json_ok;		/* number text is valid JSON as it is */
	double d;
	int64_t ts;
	int b;
};

struct extra {
	const char *key;
	size_t keylen;
	const struct ft_jval *v;
};

struct feat_event {
	struct field f[NCANON];
	struct slot slots[NSLOTS];
	int span;		/* an OTLP span */
	int genai;		/* ... with gen_ai.* attributes */
	struct ft_buf scratch;	/* joined prompts, derived ids */
	struct extra *extras;	/* unknown members, for --keep-unknown */
	size_t nextras, capextras;
	char num[5][FEAT_DOUBLE_BUFSZ];	/* computed numbers, by NUM_* */
	char rid[24];		/* r-<16 hex digits> */
	struct ft_buf span_id;	/* span-<spanId> */
	const char *warning;	/* why a catalog model went unpriced */
	const feat_model *model;	/* the catalog's entry, when matched */
	char warnbuf[256];
};

/* Which buffer of feat_event.num holds which computed number. */
enum { NUM_LATENCY, NUM_TTFT, NUM_COST, NUM_INPUT_COST, NUM_OUTPUT_COST };

struct feat_normaliser {
	struct feat_normaliser_opts o;
	struct entry table[NBUCKETS];
	char **owned;		/* paths copied from --field and built here */
	size_t nowned;
	unsigned next_prio;
	struct ft_json *json;
	struct feat_event **evs;
	size_t nevs, capevs;
	unsigned long skipped_spans;
	int drop[NCANON];
	int *unit_field;	/* per catalog unit: its canonical field, or -1 */
	double *usage;		/* per catalog unit: this event's count */
	size_t nunits;
	int load_tried;		/* o.load_models has been called */
};

static size_t
bucket(const char *s, size_t n)
{
	return (size_t)(feat_fnv1a64(s, n) & (NBUCKETS - 1));
}

static struct entry *
lookup(struct feat_normaliser *nz, const char *s, size_t n)
{
	size_t i = bucket(s, n);

	for (;; i = (i + 1) & (NBUCKETS - 1)) {
		struct entry *e = &nz->table[i];

		if (e->path == NULL || (e->len == n && memcmp(e->path, s, n) == 0))
			return e;
	}
}

static const char *
own(struct feat_normaliser *nz, char *s)
{
	nz->owned = feat_xrealloc(nz->owned, (nz->nowned + 1) *
	    sizeof *nz->owned);
	nz->owned[nz->nowned++] = s;
	return s;
}

/* Adds path as a source of slot; a path may feed up to three slots. */
static void
add_source(struct feat_normaliser *nz, const char *path, int slot,
    unsigned prio)
{
	size_t n = strlen(path);
	struct entry *e;
	int i;

	/* Every proper prefix "a", "a.b" of "a.b.c" marks an object to enter. */
	for (size_t k = 1; k < n; k++) {
		if (path[k] != '.')
			continue;
		e = lookup(nz, path, k);
		if (e->path == NULL) {
			e->path = path;
			e->len = k;
		}
		e->prefix = 1;
	}
	e = lookup(nz, path, n);
	if (e->path == NULL) {
		e->path = path;
		e->len = n;
	}
	for (i = 0; i < e->ntargets; i++)
		if (e->t[i].slot == slot) {
			if (prio < e->t[i].prio)
				e->t[i].prio = prio;
			return;
		}
	if (e->ntargets < MAXTARGETS) {
		e->t[e->ntargets].slot = slot;
		e->t[e->ntargets].prio = prio;
		e->ntargets++;
	}
}

static int canon_index(const char *, size_t);

/* Maps the catalog's usage units onto canonical fields. */
static void
use_models(struct feat_normaliser *nz)
{
	nz->nunits = feat_models_nunits(nz->o.models);
	nz->unit_field = feat_xcalloc(nz->nunits, sizeof *nz->unit_field);
	nz->usage = feat_xcalloc(nz->nunits, sizeof *nz->usage);
	for (size_t i = 0; i < nz->nunits; i++) {
		const char *u = feat_models_unit(nz->o.models, i);

		nz->unit_field[i] = canon_index(u, strlen(u));
	}
}

feat_normaliser *
feat_normaliser_new(const struct feat_normaliser_opts *o)
{
	struct feat_normaliser *nz = feat_xcalloc(1, sizeof *nz);

	if (o)
		nz->o = *o;
	/* --field overrides rank first (prio 1..999), built-ins after. */
	nz->next_prio = 1000;
	for (size_t i = 0; i < NCANON; i++)
		add_source(nz, canon[i].name, (int)i, nz->next_prio++);
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		add_source(nz, builtin[i].path, builtin[i].slot,
		    nz->next_prio++);
	for (size_t i = 0; i < NCANON; i++) {
		char *p;
		size_t n = strlen(canon[i].name);

		if (!nested_too((int)i))
			continue;
		if (i >= F_rating) {
			p = feat_xmalloc(n + 10);
			memcpy(p, "metadata.", 9);
			memcpy(p + 9, canon[i].name, n + 1);
		} else {
			p = feat_xmalloc(n + 7);
			memcpy(p, "usage.", 6);
			memcpy(p + 6, canon[i].name, n + 1);
		}
		add_source(nz, own(nz, p), (int)i, nz->next_prio++);
	}
	nz->json = ft_json_new();
	if (nz->o.models)
		use_models(nz);
	return nz;
}

static int
canon_index(const char *name, size_t n)
{
	for (size_t i = 0; i < NCANON; i++)
		if (strlen(canon[i].name) == n &&
		    memcmp(canon[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

int
feat_normaliser_field(feat_normaliser *nz, const char *spec, char *err,
    size_t errlen)
{
	const char *eq = strchr(spec, '=');
	int idx;

	if (eq == NULL || eq == spec || eq[1] == '\0') {
		snprintf(err, errlen, "invalid --field '%s': use "
		    "canonical=source", spec);
		return -1;
	}
	idx = canon_index(spec, (size_t)(eq - spec));
	if (idx < 0) {
		snprintf(err, errlen, "unknown canonical field '%.*s'",
		    (int)(eq - spec), spec);
		return -1;
	}
	/* Overrides rank before every built-in source, in the order given. */
	add_source(nz, own(nz, feat_xstrdup(eq + 1)), idx,
	    (unsigned)nz->nowned);
	return 0;
}

int
feat_normaliser_drop(feat_normaliser *nz, const char *name, char *err,
    size_t errlen)
{
	int idx = canon_index(name, strlen(name));

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

/* Sorts sources of one field by priority, for --list-fields. */
struct listed {
	unsigned prio;
	const char *path;
};

static int
by_prio(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;

	return x->prio < y->prio ? -1 : x->prio > y->prio;
}

void
feat_normaliser_list_fields(const feat_normaliser *nz, FILE *out)
{
	struct listed *l = feat_xmalloc(NBUCKETS * MAXTARGETS * sizeof *l);

	for (int i = 0; i < NCANON; i++) {
		size_t n = 0;

		for (size_t b = 0; b < NBUCKETS; b++) {
			const struct entry *e = &nz->table[b];

			for (int k = 0; e->path && k < e->ntargets; k++)
				if (e->t[k].slot == i) {
					l[n].prio = e->t[k].prio;
					l[n].path = e->path;
					n++;
				}
		}
		qsort(l, n, sizeof *l, by_prio);
		fprintf(out, "%s\t", canon[i].name);
		for (size_t k = 0; k < n; k++)
			fprintf(out, "%s%s", k ? " " : "", l[k].path);
		/* What the derivation rules add after the sources. */
		if (i == F_request_id)
			fputs(" id(request,response) span-<spanId> "
			    "r-<fnv1a64(line)>", out);
		else if (i == F_latency_ms)
			fputs(" endTime-startTime "
			    "endTimeUnixNano-startTimeUnixNano", out);
		else if (i == F_ttft_ms)
			fputs(" completionStartTime-startTime", out);
		else if (i == F_status)
			fputs(" error success status_code status.code", out);
		else if (i == F_outcome)
			fputs(" type latency_ms output_tokens status error", out);
		else if (i == F_catalog_model)
			fputs(" models.json(provider,model)", out);
		else if (i == F_provider)
			fputs(" models.json(model_match)", out);
		else if (i == F_cost_usd || i == F_input_cost_usd ||
		    i == F_output_cost_usd)
			fputs(" models.json(prices,usage)", out);
		fputc('\n', out);
	}
	free(l);
}

void
feat_normaliser_free(feat_normaliser *nz)
{
	if (nz == NULL)
		return;
	for (size_t i = 0; i < nz->nowned; i++)
		free(nz->owned[i]);
	free(nz->owned);
	for (size_t i = 0; i < nz->capevs; i++) {
		ft_buf_free(&nz->evs[i]->scratch);
		ft_buf_free(&nz->evs[i]->span_id);
		free(nz->evs[i]->extras);
		free(nz->evs[i]);
	}
	free(nz->evs);
	free(nz->unit_field);
	free(nz->usage);
	ft_json_free(nz->json);
	free(nz);
}

static void
take(struct feat_event *ev, const struct entry *e, const struct ft_jval *v)
{
	for (int k = 0; k < e->ntargets; k++) {
		struct slot *sl = &ev->slots[e->t[k].slot];

		if (sl->v == NULL || e->t[k].prio < sl->prio) {
			sl->v = v;
			sl->path = e->path;
			sl->prio = e->t[k].prio;
		}
	}
}

static void
keep_extra(struct feat_event *ev, const char *key, size_t keylen,
    const struct ft_jval *v)
{
	if (ev->nextras == ev->capextras) {
		ev->capextras = ev->capextras ? ev->capextras * 2 : 16;
		ev->extras = feat_xrealloc(ev->extras, ev->capextras *
		    sizeof *ev->extras);
	}
	ev->extras[ev->nextras].key = key;
	ev->extras[ev->nextras].keylen = keylen;
	ev->extras[ev->nextras].v = v;
	ev->nextras++;
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

static void collect(struct feat_normaliser *, struct feat_event *,
    const struct ft_jval *, char *, size_t, int);

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
				keep_extra(ev, k->s, k->len, v);
			continue;
		}
		if (v->type != FT_JNULL)
			take(ev, e, v);
	}
}

/*
 * Records the members of obj (whose path is path[0, plen)) that are
 * sources, entering objects that prefix longer source paths.
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
				keep_extra(ev, x->key, x->keylen, x);
			continue;
		}
		if (plen > 0) {
			if (plen + 1 + klen >= 256)
				continue;
			path[plen] = '.';
			memcpy(path + plen + 1, v->key, klen);
			key = path;
			klen += plen + 1;
		}
		e = lookup(nz, key, klen);
		if (e->path == NULL) {
			if (top && nz->o.keep_unknown)
				keep_extra(ev, v->key, v->keylen, v);
			continue;
		}
		if (v->type == FT_JOBJECT && e->prefix) {
			if (klen >= 200)
				continue;	/* no source path is that long */
			if (key != path)
				memcpy(path, key, klen);
			collect(nz, ev, v, path, klen, 0);
			/* an object there is a container, not the value */
			if (!(e->ntargets > 0 && e->t[0].slot == F_error))
				continue;
		}
		if (v->type == FT_JNULL || e->ntargets == 0)
			continue;	/* null is absent: the next source may give it */
		take(ev, e, v);
	}
}

static int
is_unixnano(const char *path)
{
	size_t n = strlen(path);

	return n >= 8 && strcmp(path + n - 8, "UnixNano") == 0;
}

static int
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Quotes at most 64 bytes of a value for a message. */
static int
shown(size_t len)
{
	return len > 64 ? 64 : (int)len;
}

static int
conv_time(struct feat_normaliser *nz, struct field *f,
    const struct slot *sl, struct feat_error *err)
{
	const struct ft_jval *v = sl->v;
	enum feat_time_unit unit = nz->o.time_unit;

	if (is_unixnano(sl->path))
		unit = FEAT_TIME_NS;
	if (v->type == FT_JNUMBER || v->type == FT_JSTRING) {
		if (v->type == FT_JNUMBER || all_digits(v->s, v->len)) {
			if (feat_time_parse_epoch(v->s, v->len, unit,
			    &f->ts) == 0)
				return 0;
		} else if (feat_time_parse(v->s, v->len, &f->ts) == 0)
			return 0;
		err->code = FEAT_BAD_TIME;
		snprintf(err->reason, sizeof err->reason,
		    "invalid timestamp: '%.*s' in '%s'", shown(v->len), v->s,
		    sl->path);
		return -1;
	}
	err->code = FEAT_BAD_TIME;
	snprintf(err->reason, sizeof err->reason,
	    "invalid timestamp: '%s' is not a time", sl->path);
	return -1;
}

static int
conv_num(struct field *f, const struct slot *sl, struct feat_error *err)
{
	const struct ft_jval *v = sl->v;

	if (v->type == FT_JNUMBER || v->type == FT_JSTRING) {
		switch (ft_num_parse(v->s, v->len, &f->d, &f->s, &f->len,
		    &f->json_ok)) {
		case FT_NUM_OK:
			return 0;
		case FT_NUM_RANGE:
			err->code = FEAT_BAD_RANGE;
			snprintf(err->reason, sizeof err->reason,
			    "number out of range in '%s'", sl->path);
			return -1;
		case FT_NUM_INVALID:
			break;
		}
	}
	err->code = FEAT_BAD_NUMBER;
	snprintf(err->reason, sizeof err->reason, "field '%s' is not a number",
	    sl->path);
	return -1;
}

static int
conv_bool(struct field *f, const struct slot *sl, struct feat_error *err)
{
	const struct ft_jval *v = sl->v;

	switch (v->type) {
	case FT_JTRUE:
		f->b = 1;
		return 0;
	case FT_JFALSE:
		f->b = 0;
		return 0;
	case FT_JNUMBER:
	case FT_JSTRING:
		if ((v->len == 1 && v->s[0] == '1') ||
		    (v->len == 4 && strncasecmp(v->s, "true", 4) == 0)) {
			f->b = 1;
			return 0;
		}
		if ((v->len == 1 && v->s[0] == '0') ||
		    (v->len == 5 && strncasecmp(v->s, "false", 5) == 0)) {
			f->b = 0;
			return 0;
		}
		break;
	default:
		break;
	}
	err->code = FEAT_BAD_FIELD;
	snprintf(err->reason, sizeof err->reason, "field '%s' is not a boolean",
	    sl->path);
	return -1;
}

static int
conv_str(struct field *f, const struct slot *sl, struct feat_error *err)
{
	const struct ft_jval *v = sl->v;

	if (v->type == FT_JSTRING || v->type == FT_JNUMBER) {
		f->s = v->s;
		f->len = v->len;
		return 0;
	}
	err->code = FEAT_BAD_FIELD;
	snprintf(err->reason, sizeof err->reason, "field '%s' is not a string",
	    sl->path);
	return -1;
}

/* An error may be a string, a flag, or a provider's error object. */
static int
conv_error(const struct ft_json *j, struct field *f, const struct slot *sl)
{
	const struct ft_jval *v = sl->v, *m;

	switch (v->type) {
	case FT_JSTRING:
	case FT_JNUMBER:
		f->s = v->s;
		f->len = v->len;
		break;
	case FT_JTRUE:
		f->s = "true";
		f->len = 4;
		break;
	case FT_JOBJECT:
		m = ft_json_get(j, v, "message", 7);
		if (m == NULL || m->type != FT_JSTRING)
			m = ft_json_get(j, v, "type", 4);
		if (m && m->type == FT_JSTRING) {
			f->s = m->s;
			f->len = m->len;
		} else {
			f->s = "error";
			f->len = 5;
		}
		break;
	case FT_JARRAY:
		if (v->count == 0)
			return 0;
		f->s = "error";
		f->len = 5;
		break;
	default:
		return 0;	/* false: no error */
	}
	f->set = f->len > 0;
	return 0;
}

/* Joins the text parts of chat messages with "\n" into the scratch. */
static void
join_messages(const struct ft_json *j, struct feat_event *ev,
    const struct ft_jval *msgs, size_t *start, size_t *len)
{
	struct ft_buf *b = &ev->scratch;
	int first = 1;

	*start = b->len;
	for (const struct ft_jval *m = ft_json_node(j, msgs->child); m;
	    m = ft_json_node(j, m->next)) {
		const struct ft_jval *c = m->type == FT_JOBJECT ?
		    ft_json_get(j, m, "content", 7) : m;

		if (c == NULL)
			continue;
		if (c->type == FT_JSTRING) {
			if (!first)
				ft_buf_addc(b, '\n');
			ft_buf_add(b, c->s, c->len);
			first = 0;
			continue;
		}
		if (c->type != FT_JARRAY)
			continue;
		for (const struct ft_jval *p = ft_json_node(j, c->child); p;
		    p = ft_json_node(j, p->next)) {
			const struct ft_jval *t = p;

			if (p->type == FT_JOBJECT) {
				const struct ft_jval *ty =
				    ft_json_get(j, p, "type", 4);

				if (ty && !(ty->type == FT_JSTRING &&
				    ty->len == 4 && memcmp(ty->s, "text", 4) == 0))
					continue;	/* images, audio, tools */
				t = ft_json_get(j, p, "text", 4);
			}
			if (t == NULL || t->type != FT_JSTRING)
				continue;
			if (!first)
				ft_buf_addc(b, '\n');
			ft_buf_add(b, t->s, t->len);
			first = 0;
		}
	}
	*len = b->len - *start;
}

static int
ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Milliseconds between two times of the event, or -1 when absent. */
static int
span_ms(struct feat_normaliser *nz, struct feat_event *ev, int from, int to,
    double *ms, struct feat_error *err)
{
	struct field a, b;

	if (ev->slots[from].v == NULL || ev->slots[to].v == NULL)
		return -1;
	if (conv_time(nz, &a, &ev->slots[from], err) < 0 ||
	    conv_time(nz, &b, &ev->slots[to], err) < 0)
		return -2;
	*ms = ft_ns_diff(b.ts, a.ts) / 1e6;
	return 0;
}

static void
set_double(struct feat_event *ev, int i, double d, int which)
{
	struct field *f = &ev->f[i];

	f->d = d;
	f->len = feat_fmt_double(d, ev->num[which]);
	f->s = ev->num[which];
	f->json_ok = 1;
	f->set = f->len > 0;
}

/*
 * The model catalog's part (SPEC 3.1 provider and cost_usd, SPEC 5):
 * catalog_model, the provider when the event names none, and for request,
 * response and performance_metrics events the computed costs.  A value the
 * event gives itself is kept, so output read back is output unchanged.
 */
static void
price(struct feat_normaliser *nz, struct feat_event *ev)
{
	const struct field *t = &ev->f[F_type], *mo = &ev->f[F_model];
	struct field *pv = &ev->f[F_provider];
	struct feat_model_match mm;
	struct feat_cost cost;

	if (!mo->set)
		return;
	if (nz->o.models == NULL && nz->o.load_models && !nz->load_tried) {
		nz->load_tried = 1;
		if ((nz->o.models = nz->o.load_models(nz->o.load_ctx)) != NULL)
			use_models(nz);
	}
	if (nz->o.models == NULL)
		return;
	feat_models_find(nz->o.models, pv->set ? pv->s : NULL, pv->len,
	    mo->s, mo->len, &mm);
	if (!pv->set && mm.provider) {
		pv->s = mm.provider;
		pv->len = strlen(mm.provider);
		pv->set = 1;
	}
	if (mm.model == NULL)
		return;
	ev->model = mm.model;
	if (!ev->f[F_catalog_model].set) {
		struct field *cm = &ev->f[F_catalog_model];

		cm->s = feat_model_id(mm.model);
		cm->len = strlen(cm->s);
		cm->set = 1;
	}
	if (!(ieq(t->s, t->len, "request") || ieq(t->s, t->len, "response") ||
	    ieq(t->s, t->len, "performance_metrics")))
		return;
	for (size_t i = 0; i < nz->nunits; i++) {
		int fi = nz->unit_field[i];

		nz->usage[i] = fi >= 0 && ev->f[fi].set ? ev->f[fi].d : 0;
	}
	if (feat_model_price(nz->o.models, mm.model, ev->f[F_ts].ts, nz->usage,
	    &cost, ev->warnbuf, sizeof ev->warnbuf) < 0) {
		ev->warning = ev->warnbuf;
		return;
	}
	if (!ev->f[F_cost_usd].set)
		set_double(ev, F_cost_usd, cost.total_usd, NUM_COST);
	if (!ev->f[F_input_cost_usd].set)
		set_double(ev, F_input_cost_usd, cost.input_usd, NUM_INPUT_COST);
	if (!ev->f[F_output_cost_usd].set)
		set_double(ev, F_output_cost_usd, cost.output_usd,
		    NUM_OUTPUT_COST);
}

/* Converts the collected sources of ev and derives the rest. */
static int
finish(struct feat_normaliser *nz, struct feat_event *ev, const char *line,
    size_t len, struct feat_error *err)
{
	const struct ft_json *j = nz->json;
	int outcome_given = 0;

	for (int i = 0; i < NCANON; i++) {
		struct field *f = &ev->f[i];
		const struct slot *sl = &ev->slots[i];
		int rc = 0;

		if (sl->v == NULL)
			continue;
		switch (canon[i].kind) {
		case K_TIME:
			rc = conv_time(nz, f, sl, err);
			break;
		case K_NUM:
			rc = conv_num(f, sl, err);
			break;
		case K_BOOL:
		case K_OUTCOME:
			rc = conv_bool(f, sl, err);
			outcome_given |= canon[i].kind == K_OUTCOME;
			break;
		case K_STR:
			if (i == F_prompt && sl->v->type == FT_JARRAY) {
				size_t start, n;

				join_messages(j, ev, sl->v, &start, &n);
				f->s = n ? ev->scratch.p + start : "";
				f->len = n;
				break;
			}
			rc = conv_str(f, sl, err);
			/* An empty id or name is no id or name. */
			if (rc == 0 && f->len == 0 && i != F_prompt)
				continue;
			break;
		case K_TYPE:
		case K_STATUS:
			rc = conv_str(f, sl, err);
			break;
		case K_ERROR:
			conv_error(j, f, sl);
			continue;
		}
		if (rc < 0)
			return -1;
		f->set = 1;
	}
	if (!ev->f[F_ts].set) {
		err->code = FEAT_BAD_NO_TS;
		snprintf(err->reason, sizeof err->reason, "no timestamp");
		return -1;
	}

	/* type: request when absent; user_feedback is feedback. */
	struct field *t = &ev->f[F_type];

	if (!t->set || t->len == 0) {
		t->s = "request";
		t->len = 7;
	} else if (ieq(t->s, t->len, "user_feedback")) {
		t->s = "feedback";
		t->len = 8;
	}
	t->set = 1;

	/* latency and ttft from start, end and first-token times. */
	double ms;
	int rc;

	if (!ev->f[F_latency_ms].set) {
		if ((rc = span_ms(nz, ev, A_START, A_END, &ms, err)) == -2)
			return -1;
		if (rc == 0)
			set_double(ev, F_latency_ms, ms, NUM_LATENCY);
	}
	if (!ev->f[F_ttft_ms].set) {
		if ((rc = span_ms(nz, ev, A_START, A_FIRST_TOKEN, &ms, err)) == -2)
			return -1;
		if (rc == 0)
			set_double(ev, F_ttft_ms, ms, NUM_TTFT);
	}

	/* status: the rules of SPEC 3.1; in system_health, the health. */
	int is_health = ieq(t->s, t->len, "system_health");
	int status_given = ev->f[F_status].set || ev->slots[A_SUCCESS].v ||
	    ev->slots[A_STATUS_CODE].v || ev->slots[A_OTLP_CODE].v;

	if (!is_health) {
		struct field *st = &ev->f[F_status];
		const struct ft_jval *v;
		int bad = ev->f[F_error].set;

		if (st->set && (ieq(st->s, st->len, "error") ||
		    ieq(st->s, st->len, "failure") ||
		    ieq(st->s, st->len, "failed")))
			bad = 1;
		if (st->set && all_digits(st->s, st->len) &&
		    (st->len > 3 || (st->len == 3 && st->s[0] >= '4')))
			bad = 1;	/* an HTTP status of 400 or more */
		if ((v = ev->slots[A_SUCCESS].v) != NULL &&
		    (v->type == FT_JFALSE || (v->type == FT_JSTRING &&
		    ieq(v->s, v->len, "false"))))
			bad = 1;
		if ((v = ev->slots[A_STATUS_CODE].v) != NULL) {
			struct field tmp;
			struct feat_error e2;

			if (conv_num(&tmp, &ev->slots[A_STATUS_CODE], &e2) == 0 &&
			    tmp.d >= 400)
				bad = 1;
		}
		if ((v = ev->slots[A_OTLP_CODE].v) != NULL &&
		    ((v->type == FT_JNUMBER && v->len == 1 && v->s[0] == '2') ||
		    (v->type == FT_JSTRING && (ieq(v->s, v->len, "2") ||
		    ieq(v->s, v->len, "STATUS_CODE_ERROR")))))
			bad = 1;
		st->s = bad ? "error" : "ok";
		st->len = bad ? 5 : 2;
		st->set = 1;
	}

	/* outcome: given, else by type, else what a request line carries. */
	if (!outcome_given) {
		int o = 0;

		if (ieq(t->s, t->len, "response") ||
		    ieq(t->s, t->len, "performance_metrics"))
			o = 1;
		else if (ieq(t->s, t->len, "request"))
			o = ev->f[F_latency_ms].set ||
			    ev->f[F_output_tokens].set || status_given ||
			    ev->f[F_error].set;
		ev->f[F_outcome].b = o;
		ev->f[F_outcome].set = 1;
	}

	/*
	 * request_id: given; else id in request and response events; else
	 * span- and the OTLP span id; else r- and FNV-1a 64 of the line.
	 */
	struct field *r = &ev->f[F_request_id];
	struct field tmp;

	if (!r->set && ev->slots[A_ID].v &&
	    (ieq(t->s, t->len, "request") || ieq(t->s, t->len, "response")) &&
	    conv_str(&tmp, &ev->slots[A_ID], err) == 0 && tmp.len > 0) {
		*r = tmp;
		r->set = 1;
	}
	if (!r->set && ev->slots[A_SPAN_ID].v &&
	    conv_str(&tmp, &ev->slots[A_SPAN_ID], err) == 0 && tmp.len > 0) {
		ev->span_id.len = 0;
		ft_buf_add(&ev->span_id, "span-", 5);
		ft_buf_add(&ev->span_id, tmp.s, tmp.len);
		r->s = ev->span_id.p;
		r->len = ev->span_id.len;
		r->set = 1;
	}
	if (!r->set) {
		static const char hex[] = "0123456789abcdef";
		uint64_t h = feat_fnv1a64(line, len);

		ev->rid[0] = 'r';
		ev->rid[1] = '-';
		for (int i = 0; i < 16; i++)
			ev->rid[2 + i] = hex[(h >> (60 - 4 * i)) & 15];
		ev->rid[18] = '\0';
		r->s = ev->rid;
		r->len = 18;
		r->set = 1;
	}

	price(nz, ev);
	err->code = FEAT_BAD_NONE;
	err->reason[0] = '\0';
	return 0;
}

static struct feat_event *
next_event(struct feat_normaliser *nz, int span)
{
	struct feat_event *ev;

	if (nz->nevs == nz->capevs) {
		size_t cap = nz->capevs ? nz->capevs * 2 : 4;

		nz->evs = feat_xrealloc(nz->evs, cap * sizeof *nz->evs);
		for (size_t i = nz->capevs; i < cap; i++)
			nz->evs[i] = feat_xcalloc(1, sizeof **nz->evs);
		nz->capevs = cap;
	}
	ev = nz->evs[nz->nevs];
	memset(ev->f, 0, sizeof ev->f);
	memset(ev->slots, 0, sizeof ev->slots);
	ev->scratch.len = 0;
	ev->nextras = 0;
	ev->span = span;
	ev->genai = 0;
	ev->model = NULL;
	ev->warning = NULL;
	return ev;
}

/* One object (a plain event or an OTLP span) into one event. */
static int
normalise_object(struct feat_normaliser *nz, const struct ft_jval *obj,
    int span, const char *line, size_t len, struct feat_error *err)
{
	struct feat_event *ev = next_event(nz, span);
	char path[256];

	collect(nz, ev, obj, path, 0, 1);
	if (span && !ev->genai) {
		nz->skipped_spans++;	/* not an LLM call */
		return 0;
	}
	if (finish(nz, ev, line, len, err) < 0)
		return -1;
	nz->nevs++;
	return 0;
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
	const struct ft_jval *v = ft_json_get(j, obj, key, strlen(key));

	return v && v->type == FT_JARRAY ? v : NULL;
}

int
feat_normalise_line(feat_normaliser *nz, const char *line, size_t len,
    struct feat_error *err)
{
	const struct ft_json *j;
	const struct ft_jval *root, *rs;
	char msg[200];
	enum ft_jerr je;
	size_t off;

	nz->nevs = 0;
	err->code = FEAT_BAD_NONE;
	err->reason[0] = '\0';
	switch (ft_scan_json_text(line, len, &off)) {
	case FT_SCAN_OK:
		break;
	case FT_SCAN_BAD_UTF8:
		err->code = FEAT_BAD_UTF8;
		snprintf(err->reason, sizeof err->reason,
		    "invalid UTF-8: bad byte 0x%02x at offset %zu",
		    (unsigned char)line[off], off);
		return -1;
	case FT_SCAN_LONE_SURROGATE:
		err->code = FEAT_BAD_UTF8;
		snprintf(err->reason, sizeof err->reason,
		    "invalid UTF-8: lone surrogate escape '%.6s' at offset %zu",
		    line + off, off);
		return -1;
	case FT_SCAN_NUL:
		err->code = FEAT_BAD_NUL;
		snprintf(err->reason, sizeof err->reason,
		    "NUL character in a string: at offset %zu", off);
		return -1;
	}
	je = ft_json_parse(nz->json, line, len, msg, sizeof msg);
	if (je != FT_JOK) {
		err->code = je == FT_JDEPTH ? FEAT_BAD_DEPTH :
		    je == FT_JNOTOBJECT ? FEAT_BAD_NOT_OBJECT : FEAT_BAD_JSON;
		snprintf(err->reason, sizeof err->reason, "%s", msg);
		return -1;
	}
	j = nz->json;
	root = ft_json_node(j, 1);

	/* An OTLP export batch: one event per span. */
	if ((rs = array_member(j, root, "resourceSpans")) != NULL) {
		for (const struct ft_jval *r = ft_json_node(j, rs->child); r;
		    r = ft_json_node(j, r->next)) {
			const struct ft_jval *ss = r->type == FT_JOBJECT ?
			    array_member(j, r, "scopeSpans") : NULL;

			for (const struct ft_jval *s = ss ?
			    ft_json_node(j, ss->child) : NULL; s;
			    s = ft_json_node(j, s->next)) {
				const struct ft_jval *sp = s->type == FT_JOBJECT ?
				    array_member(j, s, "spans") : NULL;

				for (const struct ft_jval *span = sp ?
				    ft_json_node(j, sp->child) : NULL; span;
				    span = ft_json_node(j, span->next)) {
					if (span->type != FT_JOBJECT)
						continue;
					if (normalise_object(nz, span, 1, line,
					    len, err) < 0)
						return -1;
				}
			}
		}
		return (int)nz->nevs;
	}
	if (normalise_object(nz, root, is_span(j, root), line, len, err) < 0)
		return -1;
	return (int)nz->nevs;
}

const feat_event *
feat_normaliser_event(const feat_normaliser *nz, int i)
{
	return i >= 0 && (size_t)i < nz->nevs ? nz->evs[i] : NULL;
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

/* Writes a parsed value back out: numbers keep their text. */
static void
write_value(const struct ft_json *j, const struct ft_jval *v, feat_writer *w)
{
	switch (v->type) {
	case FT_JNULL:
		feat_writer_null(w);
		break;
	case FT_JFALSE:
	case FT_JTRUE:
		feat_writer_bool(w, v->type == FT_JTRUE);
		break;
	case FT_JNUMBER:
		feat_writer_number(w, v->s, v->len);
		break;
	case FT_JSTRING:
		feat_writer_string(w, v->s, v->len);
		break;
	case FT_JOBJECT:
		feat_writer_open_object(w);
		for (const struct ft_jval *c = ft_json_node(j, v->child); c;
		    c = ft_json_node(j, c->next)) {
			feat_writer_key(w, c->key, c->keylen);
			write_value(j, c, w);
		}
		feat_writer_close_object(w);
		break;
	case FT_JARRAY:
		feat_writer_open_array(w);
		for (const struct ft_jval *c = ft_json_node(j, v->child); c;
		    c = ft_json_node(j, c->next))
			write_value(j, c, w);
		feat_writer_close_array(w);
		break;
	}
}

void
feat_event_write(const feat_normaliser *nz, const feat_event *ev,
    feat_writer *w)
{
	feat_writer_open_object(w);
	for (int i = 0; i < NCANON; i++) {
		const struct field *f = &ev->f[i];

		if (!f->set || nz->drop[i])
			continue;
		feat_writer_key(w, canon[i].name, canon[i].len);
		switch (canon[i].kind) {
		case K_TIME:
			feat_writer_time(w, f->ts);
			break;
		case K_NUM:
			if (f->json_ok)
				feat_writer_number(w, f->s, f->len);
			else
				feat_writer_double(w, f->d);
			break;
		case K_BOOL:
		case K_OUTCOME:
			feat_writer_bool(w, f->b);
			break;
		default:
			feat_writer_string(w, f->s, f->len);
			break;
		}
	}
	if (nz->o.keep_unknown && ev->nextras > 0) {
		feat_writer_key(w, "extra", 5);
		feat_writer_open_object(w);
		for (size_t i = 0; i < ev->nextras; i++) {
			feat_writer_key(w, ev->extras[i].key,
			    ev->extras[i].keylen);
			write_value(nz->json, ev->extras[i].v, w);
		}
		feat_writer_close_object(w);
	}
	feat_writer_close_object(w);
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
	if (!ft_event_has(ev, f) || canon[f].kind != K_NUM)
		return -1;
	*d = ev->f[f].d;
	return 0;
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

feat_models *
feat_normaliser_models(const feat_normaliser *nz)
{
	return nz->o.models;
}
