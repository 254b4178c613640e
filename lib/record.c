/*
 * record.c - records as every tool sees them: the line checks of SPEC 2,
 * the feature-record envelope of SPEC 3.2 on the way out, and the
 * feature-record reader on the way in.
 *
 * The line checks own every reason phrase for a line that is not a JSON
 * object feat can read: invalid UTF-8 (strict: no overlong forms, no
 * surrogates, no lone \ud800 escapes), a NUL escape, invalid JSON, nesting
 * deeper than 64, not an object.  They run in the one pass that also
 * parses the line (json.c), for events and feature records alike, so a line
 * is never parsed twice.
 *
 * The envelope writes entity_type, entity_id, group, version, ts, created,
 * then the features the caller adds, then the window object, in the order
 * of feat-records(5), and refuses ids and names that the stores could not
 * key.  The reader takes such records back, with the same bad-line rules,
 * for feat-window's output, feat-validate, feat-drift, feat-load, feat-join
 * and feat-serve.
 */
#include "feat-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the line checks ---------------------------------------------------- */

/*
 * A raw NUL byte inside a string (the parser calls it invalid JSON, SPEC 2
 * calls it a NUL character in a string): only looked for once a line has
 * failed, so the good ones pay nothing.
 */
static int
raw_nul_in_string(const char *s, size_t n, size_t *off)
{
	const char *nul = memchr(s, '\0', n);
	int in = 0;

	if (nul == NULL)
		return 0;
	for (const char *p = s; p < nul; p++) {
		if (in && *p == '\\' && p + 1 < nul)
			p++;
		else if (*p == '"')
			in = !in;
	}
	*off = (size_t)(nul - s);
	return in;
}

int
ft_line_parse(struct ft_json *j, const char *line, size_t len,
    struct feat_error *err)
{
	char msg[200];
	enum ft_jerr je;
	size_t off;

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
	je = ft_json_parse(j, line, len, msg, sizeof msg);
	if (je == FT_JINVALID && raw_nul_in_string(line, len, &off)) {
		err->code = FEAT_BAD_NUL;
		snprintf(err->reason, sizeof err->reason,
		    "NUL character in a string: at offset %zu", off);
		return -1;
	}
	if (je != FT_JOK) {
		err->code = je == FT_JDEPTH ? FEAT_BAD_DEPTH :
		    je == FT_JNOTOBJECT ? FEAT_BAD_NOT_OBJECT : FEAT_BAD_JSON;
		snprintf(err->reason, sizeof err->reason, "%s", msg);
		return -1;
	}
	return 0;
}

/* ---- names and ids ----------------------------------------------------------- */

int
feat_record_check_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return -1;
	return 0;
}

int
feat_record_check_id(const char *id, size_t len, char *err, size_t errlen)
{
	size_t off;

	if (len == 0) {
		snprintf(err, errlen, "empty entity id");
		return -1;
	}
	if (len > FEAT_ENTITY_ID_MAX) {
		snprintf(err, errlen, "entity id of %zu bytes, longer than %d",
		    len, FEAT_ENTITY_ID_MAX);
		return -1;
	}
	if (memchr(id, '\0', len) != NULL) {
		snprintf(err, errlen, "entity id with a NUL character");
		return -1;
	}
	for (off = 0; off < len;) {
		size_t k = ft_utf8_seqlen((const unsigned char *)id + off,
		    len - off);

		if (k == 0) {
			snprintf(err, errlen, "entity id not valid UTF-8 at "
			    "offset %zu", off);
			return -1;
		}
		off += k;
	}
	return 0;
}

/* ---- the envelope, on the way out ---------------------------------------- */

#define KEY(w, k) feat_writer_key((w), (k), sizeof(k) - 1)

static int
check_head(const struct feat_record_head *h, char *err, size_t errlen)
{
	if (feat_record_check_name(h->entity_type) < 0) {
		snprintf(err, errlen, "invalid entity type '%s': use "
		    "[a-z0-9_]+", h->entity_type ? h->entity_type : "");
		return -1;
	}
	if (feat_record_check_name(h->group) < 0) {
		snprintf(err, errlen, "invalid group '%s': use [a-z0-9_]+",
		    h->group ? h->group : "");
		return -1;
	}
	return feat_record_check_id(h->entity_id, h->entity_id_len, err,
	    errlen);
}

static void
write_head(feat_writer *w, const struct feat_record_head *h)
{
	KEY(w, "entity_type");
	feat_writer_string(w, h->entity_type, strlen(h->entity_type));
	KEY(w, "entity_id");
	feat_writer_string(w, h->entity_id, h->entity_id_len);
	KEY(w, "group");
	feat_writer_string(w, h->group, strlen(h->group));
	KEY(w, "version");
	feat_writer_int(w, h->version > 0 ? h->version : 1);
	KEY(w, "ts");
	feat_writer_time(w, h->ts);
	KEY(w, "created");
	feat_writer_time(w, h->created);
}

int
feat_record_begin(feat_writer *w, const struct feat_record_head *h,
    char *err, size_t errlen)
{
	if (check_head(h, err, errlen) < 0)
		return -1;
	feat_writer_open_object(w);
	write_head(w, h);
	KEY(w, "features");
	feat_writer_open_object(w);
	return 0;
}

int
feat_record_end(feat_writer *w, const struct feat_record_window *win)
{
	feat_writer_close_object(w);
	if (win) {
		KEY(w, "window");
		feat_writer_open_object(w);
		KEY(w, "start");
		feat_writer_time(w, win->start);
		KEY(w, "end");
		feat_writer_time(w, win->end);
		KEY(w, "count");
		feat_writer_int(w, (int64_t)win->count);
		feat_writer_close_object(w);
	}
	feat_writer_close_object(w);
	return feat_writer_end_record(w);
}

int
feat_record_tombstone(feat_writer *w, const struct feat_record_head *h,
    char *err, size_t errlen)
{
	if (check_head(h, err, errlen) < 0)
		return -1;
	feat_writer_open_object(w);
	write_head(w, h);
	KEY(w, "features");
	feat_writer_null(w);
	KEY(w, "tombstone");
	feat_writer_bool(w, 1);
	feat_writer_close_object(w);
	return feat_writer_end_record(w) < 0 ? -2 : 0;
}

/* ---- the reader, on the way in ------------------------------------------------- */

struct feat_record {
	struct feat_record_head head;
	struct feat_record_window window;
	int has_window;
	const struct ft_json *doc;
	const struct ft_jval *features;	/* object, or NULL (tombstone) */
	const struct ft_jval *flags;	/* _flags, or NULL */
	char *etype, *group;		/* NUL-terminated copies */
	size_t etype_cap, group_cap;
};

struct feat_record_reader {
	struct ft_json *json;
	enum feat_time_unit unit;
	struct feat_record rec;
	double *vec;			/* a vector value, decoded */
	size_t veccap;
	size_t cur_i;			/* the feature nth() found last */
	const struct ft_jval *cur_v;
};

feat_record_reader *
feat_record_reader_new(enum feat_time_unit unit)
{
	struct feat_record_reader *rr = feat_xcalloc(1, sizeof *rr);

	rr->json = ft_json_new();
	rr->unit = unit;
	return rr;
}

void
feat_record_reader_free(feat_record_reader *rr)
{
	if (rr == NULL)
		return;
	ft_json_free(rr->json);
	free(rr->rec.etype);
	free(rr->rec.group);
	free(rr->vec);
	free(rr);
}

static int
bad(struct feat_error *err, enum feat_bad code, const char *fmt,
    const char *field)
{
	err->code = code;
	snprintf(err->reason, sizeof err->reason, fmt, field);
	return -1;
}

/* A NUL-terminated copy of a string value, in a buffer reused per line. */
static const char *
copy(char **buf, size_t *cap, const struct ft_jval *v)
{
	if (*cap < (size_t)v->len + 1) {
		*cap = (size_t)v->len + 1 < 64 ? 64 : (size_t)v->len + 1;
		*buf = feat_xrealloc(*buf, *cap);
	}
	memcpy(*buf, v->s, v->len);
	(*buf)[v->len] = '\0';
	return *buf;
}

static int
name_field(struct feat_record_reader *rr, const struct ft_jval *root,
    const char *field, char **buf, size_t *cap, const char **out,
    struct feat_error *err)
{
	const struct ft_jval *v = ft_json_get(rr->json, root, field,
	    strlen(field));

	if (v == NULL || v->type == FT_JNULL)
		return bad(err, FEAT_BAD_FIELD, "no field '%s'", field);
	if (v->type != FT_JSTRING)
		return bad(err, FEAT_BAD_FIELD, "field '%s' is not a string",
		    field);
	*out = copy(buf, cap, v);
	if (feat_record_check_name(*out) < 0)
		return bad(err, FEAT_BAD_FIELD, "invalid value in '%s': use "
		    "[a-z0-9_]+", field);
	return 0;
}

int
ft_time_value(const struct ft_jval *v, enum feat_time_unit unit,
    const char *field, int64_t *ns, struct feat_error *err)
{
	int rc = -1;

	if (v->type == FT_JSTRING)
		rc = feat_time_parse(v->s, v->len, ns);
	else if (v->type == FT_JNUMBER)
		rc = feat_time_parse_epoch(v->s, v->len, unit, ns);
	if (rc == 0)
		return 0;
	err->code = FEAT_BAD_TIME;
	if (v->type == FT_JSTRING || v->type == FT_JNUMBER)
		snprintf(err->reason, sizeof err->reason,
		    "invalid timestamp: '%.*s' in '%s'",
		    v->len > 64 ? 64 : (int)v->len, v->s, field);
	else
		snprintf(err->reason, sizeof err->reason,
		    "invalid timestamp: '%s' is not a time", field);
	return -1;
}

/* A non-negative integer field (version, count), numeric strings too. */
static int
count_field(const struct ft_jval *v, const char *field, int64_t min,
    int64_t *out, struct feat_error *err)
{
	const char *start;
	size_t tlen;
	double d;
	int json_ok;

	if (v->type != FT_JNUMBER && v->type != FT_JSTRING)
		return bad(err, FEAT_BAD_NUMBER, "field '%s' is not a number",
		    field);
	switch (ft_num_parse(v->s, v->len, &d, &start, &tlen, &json_ok)) {
	case FT_NUM_OK:
		break;
	case FT_NUM_RANGE:
		return bad(err, FEAT_BAD_RANGE, "number out of range in '%s'",
		    field);
	default:
		return bad(err, FEAT_BAD_NUMBER, "field '%s' is not a number",
		    field);
	}
	if (d != floor(d) || d < (double)min || d > 9007199254740992.0)
		return bad(err, FEAT_BAD_RANGE, "number out of range in '%s'",
		    field);
	*out = (int64_t)d;
	return 0;
}

int
feat_record_read(feat_record_reader *rr, const char *line, size_t len,
    const feat_record **out, struct feat_error *err)
{
	struct feat_record *r = &rr->rec;
	const struct ft_json *j = rr->json;
	const struct ft_jval *root, *v;
	char msg[160];
	int64_t n;

	if (ft_line_parse(rr->json, line, len, err) < 0)
		return -1;
	root = ft_json_node(j, 1);
	memset(&r->head, 0, sizeof r->head);
	r->has_window = 0;
	r->doc = j;
	r->features = r->flags = NULL;
	rr->cur_v = NULL;

	if (name_field(rr, root, "entity_type", &r->etype, &r->etype_cap,
	    &r->head.entity_type, err) < 0)
		return -1;
	v = ft_json_get(j, root, "entity_id", 9);
	if (v == NULL || v->type == FT_JNULL)
		return bad(err, FEAT_BAD_FIELD, "no field '%s'", "entity_id");
	if (v->type != FT_JSTRING)
		return bad(err, FEAT_BAD_FIELD, "field '%s' is not a string",
		    "entity_id");
	if (feat_record_check_id(v->s, v->len, msg, sizeof msg) < 0) {
		err->code = FEAT_BAD_FIELD;
		snprintf(err->reason, sizeof err->reason, "invalid value in "
		    "'entity_id': %s", msg);
		return -1;
	}
	r->head.entity_id = v->s;
	r->head.entity_id_len = v->len;
	if (name_field(rr, root, "group", &r->group, &r->group_cap,
	    &r->head.group, err) < 0)
		return -1;

	r->head.version = 1;
	if ((v = ft_json_get(j, root, "version", 7)) != NULL &&
	    v->type != FT_JNULL) {
		if (count_field(v, "version", 1, &n, err) < 0)
			return -1;
		if (n > 2147483647)
			return bad(err, FEAT_BAD_RANGE,
			    "number out of range in '%s'", "version");
		r->head.version = (long)n;
	}
	v = ft_json_get(j, root, "ts", 2);
	if (v == NULL || v->type == FT_JNULL)
		return bad(err, FEAT_BAD_NO_TS, "no timestamp%s", "");
	if (ft_time_value(v, rr->unit, "ts", &r->head.ts, err) < 0)
		return -1;
	/* Without created a record sorts oldest among its ties. */
	r->head.created = INT64_MIN;
	if ((v = ft_json_get(j, root, "created", 7)) != NULL &&
	    v->type != FT_JNULL) {
		if (ft_time_value(v, rr->unit, "created", &r->head.created,
		    err) < 0)
			return -1;
		r->head.has_created = 1;
	}
	if ((v = ft_json_get(j, root, "tombstone", 9)) != NULL &&
	    v->type != FT_JNULL) {
		if (v->type != FT_JTRUE && v->type != FT_JFALSE)
			return bad(err, FEAT_BAD_FIELD,
			    "field '%s' is not a boolean", "tombstone");
		r->head.tombstone = v->type == FT_JTRUE;
	}
	v = ft_json_get(j, root, "features", 8);
	if (r->head.tombstone) {
		if (v != NULL && v->type != FT_JNULL)
			return bad(err, FEAT_BAD_FIELD, "invalid value in "
			    "'%s': a tombstone has null features", "features");
	} else if (v == NULL)
		return bad(err, FEAT_BAD_FIELD, "no field '%s'", "features");
	else if (v->type == FT_JNULL)
		return bad(err, FEAT_BAD_FIELD, "invalid value in '%s': null "
		    "features make a tombstone, with \"tombstone\":true",
		    "features");
	else if (v->type != FT_JOBJECT)
		return bad(err, FEAT_BAD_FIELD, "field '%s' is not an object",
		    "features");
	else
		r->features = v;

	if ((v = ft_json_get(j, root, "window", 6)) != NULL &&
	    v->type != FT_JNULL) {
		const struct ft_jval *w;

		if (v->type != FT_JOBJECT)
			return bad(err, FEAT_BAD_FIELD,
			    "field '%s' is not an object", "window");
		if ((w = ft_json_get(j, v, "start", 5)) == NULL ||
		    ft_time_value(w, rr->unit, "window.start",
		    &r->window.start, err) < 0)
			return w ? -1 : bad(err, FEAT_BAD_FIELD,
			    "no field '%s'", "window.start");
		if ((w = ft_json_get(j, v, "end", 3)) == NULL ||
		    ft_time_value(w, rr->unit, "window.end", &r->window.end,
		    err) < 0)
			return w ? -1 : bad(err, FEAT_BAD_FIELD,
			    "no field '%s'", "window.end");
		r->window.count = 0;
		if ((w = ft_json_get(j, v, "count", 5)) != NULL &&
		    w->type != FT_JNULL) {
			if (count_field(w, "window.count", 0, &n, err) < 0)
				return -1;
			r->window.count = (uint64_t)n;
		}
		r->has_window = 1;
	}
	if ((v = ft_json_get(j, root, "_flags", 6)) != NULL &&
	    v->type == FT_JOBJECT)
		r->flags = v;
	*out = r;
	return 0;
}

const struct feat_record_head *
feat_record_get_head(const feat_record *r)
{
	return &r->head;
}

const struct feat_record_window *
feat_record_get_window(const feat_record *r)
{
	return r->has_window ? &r->window : NULL;
}

const struct ft_json *
ft_record_doc(const feat_record *r)
{
	return r->doc;
}

const struct ft_jval *
ft_record_features(const feat_record *r)
{
	return r->features;
}

size_t
feat_record_nfeatures(const feat_record *r)
{
	return r->features ? r->features->count : 0;
}

/* The i-th feature node; reading them in order costs one step each. */
static const struct ft_jval *
nth(feat_record_reader *rr, const feat_record *r, size_t i)
{
	const struct ft_jval *v;
	size_t k = 0;

	if (r->features == NULL)
		return NULL;
	if (rr->cur_v != NULL && i == rr->cur_i + 1 && r == &rr->rec) {
		v = ft_json_node(r->doc, rr->cur_v->next);
		k = i;
	} else
		for (v = ft_json_node(r->doc, r->features->child); v && k < i;
		    v = ft_json_node(r->doc, v->next))
			k++;
	rr->cur_i = i;
	rr->cur_v = v;
	return v;
}

static void
value_of(feat_record_reader *rr, const struct ft_json *j,
    const struct ft_jval *v, struct feat_value *out)
{
	const char *start;
	size_t tlen;
	int json_ok;

	out->name = v->key;
	out->namelen = v->keylen;
	out->text = v->s;
	out->len = v->len;
	out->number = NAN;
	out->vec = NULL;
	out->veclen = 0;
	switch (v->type) {
	case FT_JNULL:
		out->type = FEAT_VALUE_NULL;
		break;
	case FT_JTRUE:
	case FT_JFALSE:
		out->type = FEAT_VALUE_BOOL;
		out->number = v->type == FT_JTRUE;
		break;
	case FT_JNUMBER:
		out->type = FEAT_VALUE_NUMBER;
		if (ft_num_parse(v->s, v->len, &out->number, &start, &tlen,
		    &json_ok) != FT_NUM_OK)
			out->type = FEAT_VALUE_OTHER;	/* 1e999 */
		break;
	case FT_JSTRING:
		out->type = FEAT_VALUE_STRING;
		break;
	case FT_JARRAY:
		out->type = FEAT_VALUE_VECTOR;
		if (rr->veccap < v->count) {
			rr->veccap = v->count;
			rr->vec = feat_xrealloc(rr->vec, rr->veccap *
			    sizeof *rr->vec);
		}
		for (const struct ft_jval *e = ft_json_node(j, v->child); e;
		    e = ft_json_node(j, e->next)) {
			if (e->type != FT_JNUMBER ||
			    ft_num_parse(e->s, e->len, &rr->vec[out->veclen],
			    &start, &tlen, &json_ok) != FT_NUM_OK) {
				out->type = FEAT_VALUE_OTHER;
				out->veclen = 0;
				return;
			}
			out->veclen++;
		}
		out->vec = rr->vec;
		break;
	default:
		out->type = FEAT_VALUE_OTHER;
		break;
	}
}

int
feat_record_feature(feat_record_reader *rr, const feat_record *r, size_t i,
    struct feat_value *out)
{
	const struct ft_jval *v = nth(rr, r, i);

	if (v == NULL)
		return -1;
	value_of(rr, r->doc, v, out);
	return 0;
}

int
feat_record_find(feat_record_reader *rr, const feat_record *r,
    const char *name, struct feat_value *out)
{
	const struct ft_jval *v = ft_json_get(r->doc, r->features, name,
	    strlen(name));

	if (v == NULL)
		return -1;
	value_of(rr, r->doc, v, out);
	return 0;
}

void
ft_value_write(feat_writer *w, const struct feat_value *v)
{
	switch (v->type) {
	case FEAT_VALUE_NUMBER:
		feat_writer_number(w, v->text, v->len);
		break;
	case FEAT_VALUE_BOOL:
		feat_writer_int(w, v->number != 0);
		break;
	case FEAT_VALUE_STRING:
		feat_writer_string(w, v->text, v->len);
		break;
	case FEAT_VALUE_VECTOR:
		feat_writer_open_array(w);
		for (size_t e = 0; e < v->veclen; e++)
			feat_writer_double(w, v->vec[e]);
		feat_writer_close_array(w);
		break;
	default:
		feat_writer_null(w);
		break;
	}
}

/* ---- the canonical form, for stores ----------------------------------------- */

void
ft_json_write(feat_writer *w, const struct ft_json *j,
    const struct ft_jval *v)
{
	const struct ft_jval *e;

	switch (v->type) {
	case FT_JOBJECT:
		feat_writer_open_object(w);
		for (e = ft_json_node(j, v->child); e; e = ft_json_node(j,
		    e->next)) {
			feat_writer_key(w, e->key, e->keylen);
			ft_json_write(w, j, e);
		}
		feat_writer_close_object(w);
		break;
	case FT_JARRAY:
		feat_writer_open_array(w);
		for (e = ft_json_node(j, v->child); e; e = ft_json_node(j,
		    e->next))
			ft_json_write(w, j, e);
		feat_writer_close_array(w);
		break;
	case FT_JSTRING:
		feat_writer_string(w, v->s, v->len);
		break;
	case FT_JNUMBER:
		feat_writer_number(w, v->s, v->len);
		break;
	case FT_JTRUE:
	case FT_JFALSE:
		feat_writer_bool(w, v->type == FT_JTRUE);
		break;
	default:
		feat_writer_null(w);
		break;
	}
}

int
ft_record_write(feat_writer *w, const feat_record *r, const feat_catalog *cat,
    int tombstone, int64_t created_default, struct ft_record_spans *sp)
{
	struct ft_buf *out = ft_writer_buf(w);
	size_t base = out->len;

	const struct feat_record_head *h = &r->head;
	const struct ft_jval *e;
	char name[256];

	feat_writer_open_object(w);
	KEY(w, "entity_type");
	feat_writer_string(w, h->entity_type, strlen(h->entity_type));
	KEY(w, "entity_id");
	feat_writer_string(w, h->entity_id, h->entity_id_len);
	KEY(w, "group");
	feat_writer_string(w, h->group, strlen(h->group));
	KEY(w, "version");
	feat_writer_int(w, h->version > 0 ? h->version : 1);
	KEY(w, "ts");
	feat_writer_time(w, h->ts);
	if (h->has_created || created_default != INT64_MIN) {
		KEY(w, "created");
		feat_writer_time(w, h->has_created ? h->created :
		    created_default);
	}
	KEY(w, "features");
	if (sp)
		memset(sp, 0, sizeof *sp);
	if (tombstone || r->features == NULL) {
		feat_writer_null(w);
		KEY(w, "tombstone");
		feat_writer_bool(w, 1);
	} else {
		if (sp)
			sp->features = out->len - base;
		feat_writer_open_object(w);
		for (e = ft_json_node(r->doc, r->features->child); e;
		    e = ft_json_node(r->doc, e->next)) {
			const feat_catalog_feature *f = NULL;

			/* PERF_002 is an alias of its name. */
			if (cat && e->keylen < sizeof name && e->keylen > 0 &&
			    e->key[0] >= 'A' && e->key[0] <= 'Z') {
				memcpy(name, e->key, e->keylen);
				name[e->keylen] = '\0';
				f = feat_catalog_find(cat, name);
			}
			if (f != NULL) {
				const char *n = feat_catalog_feature_name(f);

				feat_writer_key(w, n, strlen(n));
			} else
				feat_writer_key(w, e->key, e->keylen);
			ft_json_write(w, r->doc, e);
		}
		feat_writer_close_object(w);
		if (sp) {
			/* The generator writes the key's ':' with the value. */
			if (out->p[base + sp->features] == ':')
				sp->features++;
			sp->features_len = out->len - base - sp->features;
		}
	}
	if (r->has_window && !tombstone) {
		KEY(w, "window");
		if (sp)
			sp->window = out->len - base;
		feat_writer_open_object(w);
		KEY(w, "start");
		feat_writer_time(w, r->window.start);
		KEY(w, "end");
		feat_writer_time(w, r->window.end);
		KEY(w, "count");
		feat_writer_int(w, (int64_t)r->window.count);
		feat_writer_close_object(w);
		if (sp) {
			if (out->p[base + sp->window] == ':')
				sp->window++;
			sp->window_len = out->len - base - sp->window;
		}
	}
	if (r->flags && !tombstone) {
		KEY(w, "_flags");
		ft_json_write(w, r->doc, r->flags);
	}
	feat_writer_close_object(w);
	return feat_writer_end_record(w);
}
