/*
 * event-derive.c - from what the walk found to an event: each source value
 * converted to its canonical kind (times, numbers, counts, booleans,
 * strings), the derivations of SPEC 3.1 (type, latency and time to first
 * token, status, outcome, request id), and the model catalog's part
 * (catalog_model, provider, cost; SPEC 5 in models.c).
 *
 * The conversions own the bad-value phrases of feat(7): no timestamp,
 * invalid timestamp, field 'F' is not a number, number out of range in 'F'
 * (also a negative count or duration), field 'F' is not a string or a
 * boolean.  A priority that is not a number is not one of them: SPEC 4
 * makes it "unknown", so it is kept as given.
 */
#include "event-private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <math.h>

int
ft_ieq(const char *s, size_t n, const char *lit)
{
	return s != NULL && strlen(lit) == n && strncasecmp(s, lit, n) == 0;
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

/* ---- conversions ----------------------------------------------------------- */

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

/* A number, or a numeric string; 1 when it is neither (no error set). */
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
	return 1;
}

static int
not_a_number(const struct slot *sl, struct feat_error *err)
{
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
static void
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
			return;
		f->s = "error";
		f->len = 5;
		break;
	default:
		return;	/* false: no error */
	}
	f->set = f->len > 0;
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

/* Converts field i from its slot; -1 for a bad value. */
static int
convert(struct feat_normaliser *nz, struct feat_event *ev, int i,
    int *outcome_given, struct feat_error *err)
{
	struct field *f = &ev->f[i];
	const struct slot *sl = &ev->slots[i];
	int rc = 0;

	switch (ft_canon[i].kind) {
	case K_TIME:
		rc = conv_time(nz, f, sl, err);
		break;
	case K_NUM:
	case K_COUNT:
	case K_DURATION:
		if ((rc = conv_num(f, sl, err)) > 0)
			return not_a_number(sl, err);
		if (rc == 0 && ft_canon[i].kind != K_NUM && f->d < 0) {
			/* A count or a duration below zero is no value. */
			err->code = FEAT_BAD_RANGE;
			snprintf(err->reason, sizeof err->reason,
			    "number out of range in '%s': below zero",
			    sl->path);
			return -1;
		}
		break;
	case K_PRIORITY:
		/* SPEC 4: anything but a number is an unknown priority. */
		if ((rc = conv_num(f, sl, err)) != 0) {
			f->raw = sl->v;
			rc = 0;
		}
		break;
	case K_BOOL:
	case K_OUTCOME:
		rc = conv_bool(f, sl, err);
		*outcome_given |= ft_canon[i].kind == K_OUTCOME;
		break;
	case K_STR:
		if (i == F_prompt && sl->v->type == FT_JARRAY) {
			size_t start, n;

			join_messages(nz->json, ev, sl->v, &start, &n);
			f->s = n ? ev->scratch.p + start : "";
			f->len = n;
			break;
		}
		rc = conv_str(f, sl, err);
		/* An empty id or name is no id or name; an empty category
		   (task_type, output_length_category, language, user_tier)
		   is present and unrecognised (SPEC 4), as is the empty
		   prompt. */
		if (rc == 0 && f->len == 0 && i != F_prompt &&
		    i != F_task_type && i != F_output_length_category &&
		    i != F_language && i != F_user_tier)
			return 0;
		break;
	case K_TYPE:
	case K_STATUS:
		rc = conv_str(f, sl, err);
		break;
	case K_ERROR:
		conv_error(nz->json, f, sl);
		return 0;
	}
	if (rc < 0)
		return -1;
	f->set = 1;
	return 0;
}

/* ---- derivations ------------------------------------------------------------ */

/*
 * A computed number: its text is made only when something writes it
 * (feat_event_write, feat_event_field), so a stage that reads doubles
 * never pays for formatting.
 */
static void
set_double(struct feat_event *ev, int i, double d, int which)
{
	struct field *f = &ev->f[i];

	f->d = d;
	f->s = NULL;
	f->len = 0;
	f->json_ok = 0;
	f->numbuf = which;
	f->set = isfinite(d);
}

/*
 * Milliseconds between two times of the event: 0 and *ms, 1 when either
 * is absent, -1 for a bad time or an end before the start.
 */
static int
span_ms(struct feat_normaliser *nz, struct feat_event *ev, int from, int to,
    double *ms, struct feat_error *err)
{
	struct field a = { 0 }, b = { 0 };

	if (ev->slots[from].v == NULL || ev->slots[to].v == NULL)
		return 1;
	if (conv_time(nz, &a, &ev->slots[from], err) < 0 ||
	    conv_time(nz, &b, &ev->slots[to], err) < 0)
		return -1;
	if (b.ts < a.ts) {
		err->code = FEAT_BAD_RANGE;
		snprintf(err->reason, sizeof err->reason,
		    "number out of range in '%s': before '%s'",
		    ev->slots[to].path, ev->slots[from].path);
		return -1;
	}
	*ms = ft_ns_diff(b.ts, a.ts) / (double)FEAT_NS_PER_MS;
	return 0;
}

/* type: request when absent; user_feedback is feedback. */
static void
derive_type(struct feat_event *ev)
{
	struct field *t = &ev->f[F_type];

	if (!t->set || t->len == 0) {
		t->s = "request";
		t->len = 7;
	} else if (ft_ieq(t->s, t->len, "user_feedback")) {
		t->s = "feedback";
		t->len = 8;
	}
	t->set = 1;
}

/* status: the rules of SPEC 3.1; in system_health events, the health. */
static void
derive_status(struct feat_event *ev)
{
	struct field *st = &ev->f[F_status];
	const struct field *t = &ev->f[F_type];
	const struct ft_jval *v;
	int bad = ev->f[F_error].set;

	if (ft_ieq(t->s, t->len, "system_health"))
		return;
	if (st->set && (ft_ieq(st->s, st->len, "error") ||
	    ft_ieq(st->s, st->len, "failure") ||
	    ft_ieq(st->s, st->len, "failed")))
		bad = 1;
	if (st->set && all_digits(st->s, st->len) &&
	    (st->len > 3 || (st->len == 3 && st->s[0] >= '4')))
		bad = 1;	/* an HTTP status of 400 or more */
	if ((v = ev->slots[A_SUCCESS].v) != NULL &&
	    (v->type == FT_JFALSE || (v->type == FT_JSTRING &&
	    ft_ieq(v->s, v->len, "false"))))
		bad = 1;
	if (ev->slots[A_STATUS_CODE].v != NULL) {
		struct field tmp = { 0 };
		struct feat_error e2;

		if (conv_num(&tmp, &ev->slots[A_STATUS_CODE], &e2) == 0 &&
		    tmp.d >= 400)
			bad = 1;
	}
	if ((v = ev->slots[A_OTLP_CODE].v) != NULL &&
	    ((v->type == FT_JNUMBER && v->len == 1 && v->s[0] == '2') ||
	    (v->type == FT_JSTRING && (ft_ieq(v->s, v->len, "2") ||
	    ft_ieq(v->s, v->len, "STATUS_CODE_ERROR")))))
		bad = 1;
	st->s = bad ? "error" : "ok";
	st->len = bad ? 5 : 2;
	st->set = 1;
}

/* outcome: given, else by type, else what a request line carries. */
static void
derive_outcome(struct feat_event *ev, int status_given)
{
	const struct field *t = &ev->f[F_type];
	int o = 0;

	if (ft_ieq(t->s, t->len, "response") ||
	    ft_ieq(t->s, t->len, "performance_metrics"))
		o = 1;
	else if (ft_ieq(t->s, t->len, "request"))
		o = ev->f[F_latency_ms].set || ev->f[F_output_tokens].set ||
		    status_given || ev->f[F_error].set;
	ev->f[F_outcome].b = o;
	ev->f[F_outcome].set = 1;
}

/*
 * request_id: given; else id in request and response events; else span-
 * and the OTLP span id; else r- and FNV-1a 64 of the line, and for a span
 * of an export batch "-" and its index among the batch's spans.
 */
static void
derive_request_id(struct feat_normaliser *nz, struct feat_event *ev)
{
	static const char hex[] = "0123456789abcdef";
	struct field *r = &ev->f[F_request_id], tmp = { 0 };
	const struct field *t = &ev->f[F_type];
	struct feat_error e2;
	uint64_t h;

	if (r->set)
		return;
	if (ev->slots[A_ID].v && (ft_ieq(t->s, t->len, "request") ||
	    ft_ieq(t->s, t->len, "response")) &&
	    conv_str(&tmp, &ev->slots[A_ID], &e2) == 0 && tmp.len > 0) {
		*r = tmp;
		r->set = 1;
		return;
	}
	if (ev->slots[A_SPAN_ID].v &&
	    conv_str(&tmp, &ev->slots[A_SPAN_ID], &e2) == 0 && tmp.len > 0) {
		ev->span_id.len = 0;
		ft_buf_add(&ev->span_id, "span-", 5);
		ft_buf_add(&ev->span_id, tmp.s, tmp.len);
		r->s = ev->span_id.p;
		r->len = ev->span_id.len;
		r->set = 1;
		return;
	}
	/* Once per line: an export batch's spans all share it. */
	if (!nz->line_hashed) {
		nz->line_hash = feat_fnv1a64(nz->line, nz->linelen);
		nz->line_hashed = 1;
	}
	h = nz->line_hash;
	ev->rid[0] = 'r';
	ev->rid[1] = '-';
	for (int i = 0; i < 16; i++)
		ev->rid[2 + i] = hex[(h >> (60 - 4 * i)) & 15];
	r->len = 18;
	if (ev->batch_index >= 0)
		r->len += (size_t)snprintf(ev->rid + 18, sizeof ev->rid - 18,
		    "-%ld", ev->batch_index);
	ev->rid[r->len] = '\0';
	r->s = ev->rid;
	r->set = 1;
}

/* ---- pricing ---------------------------------------------------------------- */

int ft_normaliser_models(struct feat_normaliser *nz, struct feat_error *err);

/*
 * The model catalog's part (SPEC 3.1 provider and cost_usd, SPEC 5):
 * catalog_model, the provider when the event names none, and for request,
 * response and performance_metrics events the computed costs.  A value the
 * event gives itself is kept, so output read back is output unchanged.
 * The catalog is loaded by the first event that names a model.
 */
static int
price(struct feat_normaliser *nz, struct feat_event *ev,
    struct feat_error *err)
{
	const struct field *t = &ev->f[F_type], *mo = &ev->f[F_model];
	struct field *pv = &ev->f[F_provider];
	struct feat_model_match mm;
	struct feat_cost cost;
	int rc;

	if (!mo->set)
		return 0;
	if ((rc = ft_normaliser_models(nz, err)) <= 0)
		return rc;
	feat_models_find(nz->o.models, pv->set ? pv->s : NULL, pv->len,
	    mo->s, mo->len, &mm);
	if (!pv->set && mm.provider) {
		pv->s = mm.provider;
		pv->len = strlen(mm.provider);
		pv->set = 1;
	}
	if (mm.model == NULL)
		return 0;
	ev->model = mm.model;
	if (!ev->f[F_catalog_model].set) {
		struct field *cm = &ev->f[F_catalog_model];

		cm->s = feat_model_id(mm.model);
		cm->len = strlen(cm->s);
		cm->set = 1;
	}
	if (!(ft_ieq(t->s, t->len, "request") ||
	    ft_ieq(t->s, t->len, "response") ||
	    ft_ieq(t->s, t->len, "performance_metrics")))
		return 0;
	/* No cost is read that the event does not give itself. */
	if ((ev->f[F_cost_usd].set || !ft_normaliser_wants(nz, F_cost_usd)) &&
	    (ev->f[F_input_cost_usd].set ||
	    !ft_normaliser_wants(nz, F_input_cost_usd)) &&
	    (ev->f[F_output_cost_usd].set ||
	    !ft_normaliser_wants(nz, F_output_cost_usd)))
		return 0;
	for (size_t i = 0; i < nz->nunits; i++) {
		int fi = nz->unit_field[i];

		nz->usage[i] = fi >= 0 && ev->f[fi].set ? ev->f[fi].d : 0;
	}
	if (feat_model_price(nz->o.models, mm.model, ev->f[F_ts].ts, nz->usage,
	    &cost, ev->warnbuf, sizeof ev->warnbuf) < 0) {
		ev->warning = ev->warnbuf;
		return 0;
	}
	if (!ev->f[F_cost_usd].set)
		set_double(ev, F_cost_usd, cost.total_usd, NUM_COST);
	if (!ev->f[F_input_cost_usd].set)
		set_double(ev, F_input_cost_usd, cost.input_usd, NUM_INPUT_COST);
	if (!ev->f[F_output_cost_usd].set)
		set_double(ev, F_output_cost_usd, cost.output_usd,
		    NUM_OUTPUT_COST);
	return 0;
}

/* ---- the event --------------------------------------------------------------- */

int
ft_event_finish(struct feat_normaliser *nz, struct feat_event *ev,
    struct feat_error *err)
{
	int outcome_given = 0, status_given, rc;
	double ms;

	for (int k = 0; k < nz->nfields; k++) {
		int i = nz->fields[k];

		if (ev->slots[i].v != NULL &&
		    convert(nz, ev, i, &outcome_given, err) < 0)
			return -1;
	}
	if (!ev->f[F_ts].set) {
		err->code = FEAT_BAD_NO_TS;
		snprintf(err->reason, sizeof err->reason, "no timestamp");
		return -1;
	}
	derive_type(ev);
	if (!ev->f[F_latency_ms].set) {
		if ((rc = span_ms(nz, ev, A_START, A_END, &ms, err)) < 0)
			return -1;
		if (rc == 0)
			set_double(ev, F_latency_ms, ms, NUM_LATENCY);
	}
	if (!ev->f[F_ttft_ms].set) {
		if ((rc = span_ms(nz, ev, A_START, A_FIRST_TOKEN, &ms,
		    err)) < 0)
			return -1;
		if (rc == 0)
			set_double(ev, F_ttft_ms, ms, NUM_TTFT);
	}
	status_given = ev->f[F_status].set || ev->slots[A_SUCCESS].v ||
	    ev->slots[A_STATUS_CODE].v || ev->slots[A_OTLP_CODE].v;
	if (ft_normaliser_wants(nz, F_status))
		derive_status(ev);
	if (!outcome_given && ft_normaliser_wants(nz, F_outcome))
		derive_outcome(ev, status_given);
	if (ft_normaliser_wants(nz, F_request_id))
		derive_request_id(nz, ev);
	if (ft_normaliser_wants(nz, F_catalog_model) && price(nz, ev, err) < 0)
		return -1;
	err->code = FEAT_BAD_NONE;
	err->reason[0] = '\0';
	return 0;
}
