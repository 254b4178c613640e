/*
 * event.c - the event normaliser: any supported log line to canonical
 * fields (SPEC 3.1), for every tool.
 *
 * A line is parsed once into a small document; its members are matched
 * against a hash of source paths (canonical names, aliases, --field
 * overrides), the source earliest in the alias list winning, and each value
 * is converted to its canonical kind.  Type, status, outcome and the request
 * id are then derived by the rules of SPEC 3.1, so every tool sees the same
 * event whatever wrote the log.
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
	enum kind kind;
} canon[] = {
#define C(id, name, kind) { name, kind },
#include "event-fields.h"
#undef C
};
enum {
#define C(id, name, kind) F_##id,
#include "event-fields.h"
#undef C
	NCANON
};

/* Inputs of the status rule that are not canonical fields themselves. */
enum {
	A_SUCCESS = NCANON, A_STATUS_CODE, NSLOTS
};

/* Built-in sources, earliest first within a field (first found wins). */
static const struct source {
	const char *path;
	int slot;
} builtin[] = {
	{ "success", A_SUCCESS },
	{ "status_code", A_STATUS_CODE },
};

struct slot {
	const struct ft_jval *v;
	const char *path;	/* the source it came from, for messages */
	unsigned prio;
};

struct entry {
	const char *path;	/* NULL: empty bucket */
	size_t len;
	int slot;		/* -1: only a prefix of longer paths */
	unsigned prio;
};

#define NBUCKETS 1024

struct feat_normaliser {
	struct feat_normaliser_opts o;
	struct entry table[NBUCKETS];
	char **owned;		/* paths copied from --field */
	size_t nowned;
	unsigned next_prio;
	struct ft_json *json;
	struct feat_event *ev;
	int drop[NCANON];
};

struct field {
	int set;
	const char *s;		/* string value, or number text */
	size_t len;
	int json_ok;		/* number text is valid JSON as it is */
	double d;
	int64_t ts;
	int b;
};

struct feat_event {
	struct field f[NCANON];
	struct slot slots[NSLOTS];
	const char *line;
	size_t linelen;
	char rid[24];
	const struct ft_json *doc;
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

/* Adds path for slot; a later call for the same path overrides it. */
static int
add_source(struct feat_normaliser *nz, const char *path, int slot,
    unsigned prio)
{
	size_t n = strlen(path);
	struct entry *e;

	/* Every proper prefix "a", "a.b" of "a.b.c" marks an object to enter. */
	for (size_t i = 0; i < n; i++) {
		if (path[i] != '.' || i == 0)
			continue;
		e = lookup(nz, path, i);
		if (e->path == NULL) {
			e->path = path;
			e->len = i;
			e->slot = -1;
		}
	}
	e = lookup(nz, path, n);
	if (e->path == NULL || e->slot < 0 || prio < e->prio) {
		e->path = path;
		e->len = n;
		e->slot = slot;
		e->prio = prio;
	}
	return 0;
}

feat_normaliser *
feat_normaliser_new(const struct feat_normaliser_opts *o)
{
	struct feat_normaliser *nz = feat_xcalloc(1, sizeof *nz);

	if (o)
		nz->o = *o;
	/* --field overrides come first (prio 0..); built-ins after them. */
	nz->next_prio = 1000;
	for (size_t i = 0; i < NCANON; i++)
		add_source(nz, canon[i].name, (int)i, nz->next_prio++);
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		add_source(nz, builtin[i].path, builtin[i].slot,
		    nz->next_prio++);
	nz->json = ft_json_new();
	nz->ev = feat_xcalloc(1, sizeof *nz->ev);
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
	char *path;

	if (eq == NULL || eq == spec || eq[1] == '\0') {
		snprintf(err, errlen, "invalid --field '%s': use "
		    "canonical=source", spec);
		return -1;
	}
	idx = canon_index(spec, (size_t)(eq - spec));
	if (idx < 0 || canon[idx].kind == K_OUTCOME) {
		snprintf(err, errlen, "unknown canonical field '%.*s'",
		    (int)(eq - spec), spec);
		return -1;
	}
	path = feat_xstrdup(eq + 1);
	nz->owned = feat_xrealloc(nz->owned, (nz->nowned + 1) *
	    sizeof *nz->owned);
	nz->owned[nz->nowned++] = path;
	/* Overrides rank before every built-in source, in the order given. */
	add_source(nz, path, idx, (unsigned)nz->nowned);
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

void
feat_normaliser_free(feat_normaliser *nz)
{
	if (nz == NULL)
		return;
	for (size_t i = 0; i < nz->nowned; i++)
		free(nz->owned[i]);
	free(nz->owned);
	ft_json_free(nz->json);
	free(nz->ev);
	free(nz);
}

/* Records the members of obj (whose path is prefix) that are sources. */
static void
collect(struct feat_normaliser *nz, struct feat_event *ev,
    const struct ft_jval *obj, char *path, size_t plen)
{
	const struct ft_json *j = nz->json;

	for (const struct ft_jval *v = ft_json_node(j, obj->child); v;
	    v = ft_json_node(j, v->next)) {
		const char *key = v->key;
		size_t klen = v->keylen;
		struct entry *e;

		if (plen > 0) {
			if (plen + 1 + klen >= 256)
				continue;
			path[plen] = '.';
			memcpy(path + plen + 1, v->key, klen);
			key = path;
			klen += plen + 1;
		}
		e = lookup(nz, key, klen);
		if (e->path == NULL)
			continue;
		if (e->slot < 0 || v->type == FT_JOBJECT) {
			if (v->type == FT_JOBJECT && klen < 200) {
				if (key != path)
					memcpy(path, key, klen);
				collect(nz, ev, v, path, klen);
			}
			if (e->slot < 0)
				continue;
		}
		if (v->type == FT_JNULL)
			continue;	/* null is absent: the next source may give it */
		if (ev->slots[e->slot].v == NULL ||
		    e->prio < ev->slots[e->slot].prio) {
			ev->slots[e->slot].v = v;
			ev->slots[e->slot].path = e->path;
			ev->slots[e->slot].prio = e->prio;
		}
	}
}

#define BAD(...) do { snprintf(err->reason, sizeof err->reason, __VA_ARGS__); \
	err->code = FEAT_BAD_FIELD; return -1; } while (0)

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

static int
ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

int
feat_normalise_line(feat_normaliser *nz, const char *line, size_t len,
    struct feat_error *err)
{
	struct feat_event *ev = nz->ev;
	char path[256], msg[200];
	const struct ft_jval *root;
	enum ft_jerr je;
	size_t off;
	int outcome_given = 0;

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

	memset(ev, 0, sizeof *ev);
	ev->line = line;
	ev->linelen = len;
	ev->doc = nz->json;
	root = ft_json_node(nz->json, 1);
	collect(nz, ev, root, path, 0);

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
		case K_TYPE:
		case K_STATUS:
			rc = conv_str(f, sl, err);
			break;
		case K_ERROR:
			rc = conv_error(nz->json, f, sl);
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
	{
		struct field *t = &ev->f[F_type];

		if (!t->set || t->len == 0) {
			t->s = "request";
			t->len = 7;
		} else if (ieq(t->s, t->len, "user_feedback")) {
			t->s = "feedback";
			t->len = 8;
		}
		t->set = 1;
	}
	int is_health = ieq(ev->f[F_type].s, ev->f[F_type].len,
	    "system_health");
	int status_given = ev->f[F_status].set;

	/* status: the rules of SPEC 3.1; in system_health, the health. */
	if (!is_health) {
		struct field *st = &ev->f[F_status];
		int bad = ev->f[F_error].set;
		const struct slot *sc = &ev->slots[A_STATUS_CODE];
		const struct slot *su = &ev->slots[A_SUCCESS];

		if (st->set && (ieq(st->s, st->len, "error") ||
		    ieq(st->s, st->len, "failure") ||
		    ieq(st->s, st->len, "failed")))
			bad = 1;
		if (st->set && all_digits(st->s, st->len) &&
		    (st->len > 3 || (st->len == 3 && st->s[0] >= '4')))
			bad = 1;	/* an HTTP status of 400 or more */
		if (su->v && (su->v->type == FT_JFALSE ||
		    (su->v->type == FT_JSTRING && ieq(su->v->s, su->v->len,
		    "false"))))
			bad = 1;
		if (sc->v) {
			struct field tmp;
			struct feat_error e2;

			if (conv_num(&tmp, sc, &e2) == 0 && tmp.d >= 400)
				bad = 1;
			status_given = 1;
		}
		if (su->v)
			status_given = 1;
		st->s = bad ? "error" : "ok";
		st->len = bad ? 5 : 2;
		st->set = 1;
	}

	/* outcome: given, else by type, else what a request line carries. */
	if (!outcome_given) {
		const struct field *t = &ev->f[F_type];
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

	/* request_id: given, else r- and FNV-1a 64 of the line's bytes. */
	if (!ev->f[F_request_id].set) {
		static const char hex[] = "0123456789abcdef";
		uint64_t h = feat_fnv1a64(line, len);

		ev->rid[0] = 'r';
		ev->rid[1] = '-';
		for (int i = 0; i < 16; i++)
			ev->rid[2 + i] = hex[(h >> (60 - 4 * i)) & 15];
		ev->rid[18] = '\0';
		ev->f[F_request_id].s = ev->rid;
		ev->f[F_request_id].len = 18;
		ev->f[F_request_id].set = 1;
	}
	return 1;
}

const feat_event *
feat_normaliser_event(const feat_normaliser *nz, int i)
{
	return i == 0 ? nz->ev : NULL;
}

int64_t
feat_event_ts(const feat_event *ev)
{
	return ev->f[F_ts].ts;
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
		feat_writer_key(w, canon[i].name, strlen(canon[i].name));
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
	feat_writer_close_object(w);
}
