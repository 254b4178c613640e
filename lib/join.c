/*
 * join.c - feat-join's stage: point-in-time training sets (feat-join(1)).
 *
 * For each input row and each -g group, the record used is the latest of
 * the row's entity with ts <= the row's ts, ties broken by the latest
 * created (--no-future-created: also created <= the row's ts), never one
 * from after the row.  Rows are gathered into chunks so that the store
 * reads each of its batches once a chunk (feat_store_as_of_many), then
 * written in input order: memory holds one chunk of rows and the store's
 * index, whatever the number of rows.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "feat-private.h"

#define KEY(w, k) feat_writer_key((w), (k), sizeof(k) - 1)

#define CHUNK_ROWS	65536
#define CHUNK_BYTES	((size_t)64 << 20)
#define IDLE_NS		(50 * FEAT_NS_PER_MS)
#define NONE		SIZE_MAX

struct jgroup {
	const char *name;		/* the catalog's */
	const char *etype;
	long version;			/* the control */
	const char *field;		/* --key's row field, or NULL */
	size_t fieldlen;
};

struct jwant {
	const feat_catalog_feature *f;
	size_t group;
	char *name;			/* as written: name or group.name */
};

struct jrow {
	size_t off, len;		/* in rows */
	int64_t ts;
	int rewrite;			/* has features or feature_status */
	int members;			/* is not {} */
};

enum { ST_PRESENT, ST_NULL, ST_NOT_FOUND, ST_STALE, ST_N };
static const char *const status_name[ST_N] = {
	"present", "null", "not_found", "stale"
};

struct feat_joiner {
	struct feat_join_opts o;
	feat_store *store;
	struct jgroup *groups;
	size_t ngroups;
	struct jwant *wants;
	size_t nwants;
	struct ft_json *json;		/* the row being read */
	feat_record_reader **rr;	/* one a group: records side by side */
	feat_writer *tail, *head;	/* into memory */
	struct ft_buf line;

	/* The chunk: rows, and a query a row and group. */
	struct ft_buf rows, ids, found;
	struct jrow *row;
	size_t nrows, rowcap;
	struct feat_store_query *q;
	size_t *idoff, *foundoff, *foundlen;
	size_t qcap;

	uint64_t nrows_total, status[ST_N];
};

/* ---- the groups and features asked for ------------------------------------- */

static size_t
group_of(struct feat_joiner *j, const feat_catalog_group *g)
{
	const char *name = feat_catalog_group_name(g);
	struct jgroup *jg;
	int traffic;

	for (size_t i = 0; i < j->ngroups; i++)
		if (strcmp(j->groups[i].name, name) == 0)
			return i;
	j->groups = feat_xrealloc(j->groups, (j->ngroups + 1) *
	    sizeof *j->groups);
	jg = &j->groups[j->ngroups];
	memset(jg, 0, sizeof *jg);
	jg->name = name;
	jg->etype = feat_catalog_group_entity_type(g);
	/* The control: the group's lowest version (SPEC 8). */
	jg->version = feat_catalog_group_version_count(g) > 0 ?
	    feat_catalog_group_version(g, 0, &traffic) : 1;
	return j->ngroups++;
}

static void
want(struct feat_joiner *j, const feat_catalog_feature *f, size_t group)
{
	for (size_t i = 0; i < j->nwants; i++)
		if (j->wants[i].f == f)
			return;
	j->wants = feat_xrealloc(j->wants, (j->nwants + 1) *
	    sizeof *j->wants);
	j->wants[j->nwants].f = f;
	j->wants[j->nwants].group = group;
	j->wants[j->nwants++].name = NULL;
}

/* -g GROUP[:feat,...]: -1 with err. */
static int
add_groups(struct feat_joiner *j, const char *spec, char *err, size_t errlen)
{
	const feat_catalog *cat = j->o.catalog;
	const char *colon = strchr(spec, ':'), *p;
	const feat_catalog_group *g;
	char name[256];
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec), gi;

	if (len == 0 || len >= sizeof name) {
		snprintf(err, errlen, "invalid -g '%s': use GROUP[:FEATURE,"
		    "...]", spec);
		return -1;
	}
	memcpy(name, spec, len);
	name[len] = '\0';
	if ((g = feat_catalog_group_find(cat, name)) == NULL) {
		snprintf(err, errlen, "unknown group '%s'", name);
		return -1;
	}
	gi = group_of(j, g);
	if (colon == NULL || colon[1] == '\0') {
		size_t total = feat_catalog_count(cat), k;
		const feat_catalog_feature **fs = feat_xcalloc(total + 1,
		    sizeof *fs);

		k = feat_catalog_by_group(cat, name, fs, total);
		for (size_t i = 0; i < k; i++)
			want(j, fs[i], gi);
		free(fs);
		return 0;
	}
	for (p = colon + 1; *p;) {
		const char *comma = strchr(p, ',');
		const feat_catalog_feature *f;
		char fname[256];

		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof fname) {
			snprintf(err, errlen, "invalid feature list in -g "
			    "'%s'", spec);
			return -1;
		}
		memcpy(fname, p, len);
		fname[len] = '\0';
		if ((f = feat_catalog_find(cat, fname)) == NULL) {
			snprintf(err, errlen, "unknown feature '%s'", fname);
			return -1;
		}
		if (strcmp(feat_catalog_feature_group_name(f), name) != 0) {
			snprintf(err, errlen, "feature '%.100s' is not in "
			    "group '%.100s'", fname, name);
			return -1;
		}
		want(j, f, gi);
		p += len + (comma ? 1 : 0);
	}
	return 0;
}

/* --key FIELD=ENTITY_TYPE: -1 with err. */
static int
add_key(struct feat_joiner *j, const char *spec, char *err, size_t errlen)
{
	const char *eq = strrchr(spec, '=');
	int used = 0;

	if (eq == NULL || eq == spec || feat_record_check_name(eq + 1) < 0) {
		snprintf(err, errlen, "invalid --key '%s': use FIELD="
		    "ENTITY_TYPE", spec);
		return -1;
	}
	for (size_t i = 0; i < j->ngroups; i++) {
		struct jgroup *g = &j->groups[i];

		if (strcmp(g->etype, eq + 1) != 0)
			continue;
		if (g->field) {
			snprintf(err, errlen, "--key given twice for entity "
			    "type '%s'", eq + 1);
			return -1;
		}
		g->field = spec;
		g->fieldlen = (size_t)(eq - spec);
		used = 1;
	}
	if (!used) {
		snprintf(err, errlen, "invalid --key '%s': no -g group has "
		    "entity type '%s'", spec, eq + 1);
		return -1;
	}
	return 0;
}

/* A name in two groups is written group.name. */
static void
name_wants(struct feat_joiner *j)
{
	for (size_t i = 0; i < j->nwants; i++) {
		const char *n = feat_catalog_feature_name(j->wants[i].f);
		int clash = 0;

		for (size_t k = 0; k < j->nwants; k++)
			if (k != i && j->wants[k].group != j->wants[i].group &&
			    strcmp(n, feat_catalog_feature_name(
			    j->wants[k].f)) == 0)
				clash = 1;
		if (clash) {
			const char *g = j->groups[j->wants[i].group].name;

			size_t len = strlen(g) + strlen(n) + 2;

			j->wants[i].name = feat_xmalloc(len);
			snprintf(j->wants[i].name, len, "%s.%s", g, n);
		} else
			j->wants[i].name = feat_xstrdup(n);
	}
}

feat_joiner *
feat_joiner_new(const struct feat_join_opts *o, struct feat_error *e)
{
	struct feat_joiner *j = feat_xcalloc(1, sizeof *j);
	struct feat_store_opts so = { 0 };

	j->o = *o;
	e->code = FEAT_ERR_USAGE;
	if (o->ngroups == 0) {
		snprintf(e->reason, sizeof e->reason, "give a group: -g "
		    "GROUP[:FEATURE,...]");
		goto fail;
	}
	for (size_t i = 0; i < o->ngroups; i++)
		if (add_groups(j, o->groups[i], e->reason,
		    sizeof e->reason) < 0)
			goto fail;
	for (size_t i = 0; i < o->nkeys; i++)
		if (add_key(j, o->keys[i], e->reason, sizeof e->reason) < 0)
			goto fail;
	if (j->nwants == 0) {
		snprintf(e->reason, sizeof e->reason, "the groups asked for "
		    "have no features");
		goto fail;
	}
	name_wants(j);

	e->code = FEAT_ERR_IO;
	if ((j->store = feat_store_open(o->uri, &so, e->reason,
	    sizeof e->reason)) == NULL)
		goto fail;
	if (!feat_store_has_history(j->store)) {
		snprintf(e->reason, sizeof e->reason, "store '%s' keeps no "
		    "history, so it cannot answer as of a time: use a dir: "
		    "or postgresql:// store", o->uri);
		e->code = FEAT_ERR_USAGE;
		goto fail;
	}
	j->json = ft_json_new();
	j->rr = feat_xcalloc(j->ngroups, sizeof *j->rr);
	for (size_t i = 0; i < j->ngroups; i++)
		j->rr[i] = feat_record_reader_new(FEAT_TIME_S);
	j->tail = feat_writer_new(-1, 0);
	j->head = feat_writer_new(-1, 0);
	return j;
fail:
	feat_joiner_free(j);
	return NULL;
}

void
feat_joiner_free(feat_joiner *j)
{
	char err[256];

	if (j == NULL)
		return;
	if (j->store && feat_store_close(j->store, err, sizeof err) < 0)
		feat_warn("%s", err);
	for (size_t i = 0; j->rr && i < j->ngroups; i++)
		feat_record_reader_free(j->rr[i]);
	free(j->rr);
	for (size_t i = 0; i < j->nwants; i++)
		free(j->wants[i].name);
	free(j->wants);
	free(j->groups);
	if (j->json)
		ft_json_free(j->json);
	if (j->tail)
		feat_writer_close(j->tail);
	if (j->head)
		feat_writer_close(j->head);
	ft_buf_free(&j->line);
	ft_buf_free(&j->rows);
	ft_buf_free(&j->ids);
	ft_buf_free(&j->found);
	free(j->row);
	free(j->q);
	free(j->idoff);
	free(j->foundoff);
	free(j->foundlen);
	free(j);
}

/* ---- a chunk of rows: looked up together, written in order ---------------- */

static int
got(void *ctx, size_t i, const char *line, size_t len)
{
	struct feat_joiner *j = ctx;

	j->foundoff[i] = j->found.len;
	j->foundlen[i] = len;
	ft_buf_add(&j->found, line, len);
	return 0;
}

/* The row's members before its closing brace, in j->line. */
static int
row_head(struct feat_joiner *j, const struct jrow *r, int *members,
    struct feat_error *e)
{
	const char *text = j->rows.p + r->off;
	const struct ft_jval *root, *m;
	struct ft_buf *b;
	size_t len = r->len;

	j->line.len = 0;
	if (!r->rewrite) {
		while (len > 0 && text[len - 1] != '}')
			len--;		/* trailing blanks */
		*members = r->members;
		ft_buf_add(&j->line, text, len - 1);
		return 0;
	}
	/* The row's own features and feature_status give way to ours. */
	if (ft_line_parse(j->json, text, r->len, e) < 0)
		return -1;
	root = ft_json_node(j->json, 1);
	ft_writer_clear(j->head);
	feat_writer_open_object(j->head);
	*members = 0;
	for (m = ft_json_node(j->json, root->child); m;
	    m = ft_json_node(j->json, m->next)) {
		if ((m->keylen == 8 && memcmp(m->key, "features", 8) == 0) ||
		    (m->keylen == 14 && memcmp(m->key, "feature_status",
		    14) == 0))
			continue;
		feat_writer_key(j->head, m->key, m->keylen);
		ft_json_write(j->head, j->json, m);
		*members = 1;
	}
	feat_writer_close_object(j->head);
	if (feat_writer_end_record(j->head) < 0) {
		e->code = FEAT_ERR_OUTPUT;
		snprintf(e->reason, sizeof e->reason, "cannot write: %s",
		    feat_writer_error(j->head));
		return -1;
	}
	b = ft_writer_buf(j->head);
	ft_buf_add(&j->line, b->p, b->len - 2);	/* without "}\n" */
	return 0;
}

static int
write_row(struct feat_joiner *j, size_t ri, struct feat_error *e)
{
	const struct jrow *r = &j->row[ri];
	const feat_record **recs = NULL;
	uint8_t st[256], *status = j->nwants <= sizeof st ? st :
	    feat_xmalloc(j->nwants);
	struct ft_buf *b;
	int members, rc = -1;

	if (row_head(j, r, &members, e) < 0)
		goto done;
	recs = feat_xcalloc(j->ngroups, sizeof *recs);
	for (size_t g = 0; g < j->ngroups; g++) {
		size_t qi = ri * j->ngroups + g;
		struct feat_error fe;

		if (j->foundlen[qi] == NONE || feat_record_read(j->rr[g],
		    j->found.p + j->foundoff[qi], j->foundlen[qi], &recs[g],
		    &fe) < 0)
			recs[g] = NULL;
	}
	ft_writer_clear(j->tail);
	feat_writer_open_object(j->tail);
	KEY(j->tail, "features");
	feat_writer_open_object(j->tail);
	for (size_t i = 0; i < j->nwants; i++) {
		const struct jwant *w = &j->wants[i];
		const feat_record *rec = recs[w->group];
		feat_record_reader *rr = j->rr[w->group];
		struct feat_value v;

		feat_writer_key(j->tail, w->name, strlen(w->name));
		if (rec == NULL)
			status[i] = ST_NOT_FOUND;
		else if (j->o.max_age > 0 && r->ts -
		    feat_record_get_head(rec)->ts > j->o.max_age)
			status[i] = ST_STALE;
		else if ((feat_record_find(rr, rec, feat_catalog_feature_name(
		    w->f), &v) < 0 && feat_record_find(rr, rec,
		    feat_catalog_feature_id(w->f), &v) < 0) ||
		    v.type == FEAT_VALUE_NULL || v.type == FEAT_VALUE_OTHER)
			status[i] = ST_NULL;
		else {
			status[i] = ST_PRESENT;
			ft_value_write(j->tail, &v);
			continue;
		}
		feat_writer_null(j->tail);
	}
	feat_writer_close_object(j->tail);
	KEY(j->tail, "feature_status");
	feat_writer_open_object(j->tail);
	for (size_t i = 0; i < j->nwants; i++) {
		const char *s = status_name[status[i]];

		feat_writer_key(j->tail, j->wants[i].name,
		    strlen(j->wants[i].name));
		feat_writer_string(j->tail, s, strlen(s));
		j->status[status[i]]++;
	}
	feat_writer_close_object(j->tail);
	feat_writer_close_object(j->tail);
	if (feat_writer_end_record(j->tail) < 0) {
		e->code = FEAT_ERR_OUTPUT;
		snprintf(e->reason, sizeof e->reason, "cannot write: %s",
		    feat_writer_error(j->tail));
		goto done;
	}
	b = ft_writer_buf(j->tail);
	if (members)
		ft_buf_addc(&j->line, ',');
	ft_buf_add(&j->line, b->p + 1, b->len - 1);	/* without "{" */
	if (feat_writer_text(j->o.out, j->line.p, j->line.len) < 0) {
		e->code = FEAT_ERR_OUTPUT;
		snprintf(e->reason, sizeof e->reason, "cannot write: %s",
		    feat_writer_error(j->o.out));
		goto done;
	}
	j->nrows_total++;
	rc = 0;
done:
	free(recs);
	if (status != st)
		free(status);
	return rc;
}

/* Looks the chunk up and writes its rows: 0, or -1 with *e. */
static int
flush_chunk(struct feat_joiner *j, struct feat_error *e)
{
	size_t nq = j->nrows * j->ngroups;

	if (j->nrows == 0)
		return 0;
	for (size_t i = 0; i < nq; i++) {
		j->foundlen[i] = NONE;
		if (j->idoff[i] != NONE)
			j->q[i].key.entity_id = j->ids.p + j->idoff[i];
	}
	j->found.len = 0;
	e->reason[0] = '\0';
	if (feat_store_as_of_many(j->store, j->q, nq,
	    j->o.no_future_created, got, j, e->reason,
	    sizeof e->reason) < 0) {
		e->code = FEAT_ERR_IO;
		return -1;
	}
	for (size_t i = 0; i < j->nrows; i++)
		if (write_row(j, i, e) < 0)
			return -1;
	j->nrows = 0;
	j->rows.len = j->ids.len = 0;
	return 0;
}

static int
bad(struct feat_error *e, enum feat_bad code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
bad(struct feat_error *e, enum feat_bad code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof e->reason, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The row's entity id for group g: 1 with *id, *len; 0 when the row has
 * none (not_found); -1 with a bad-line reason.
 */
static int
row_id(struct feat_joiner *j, const struct ft_jval *root,
    const struct jgroup *g, const char **id, size_t *len,
    struct feat_error *e)
{
	const struct ft_jval *v;
	char field[256];

	if (g->field == NULL) {
		v = ft_json_get(j->json, root, "entity_type", 11);
		if (v == NULL || v->type == FT_JNULL)
			return bad(e, FEAT_BAD_FIELD, "no field "
			    "'entity_type': rows for group '%s' need it, or "
			    "--key FIELD=%s", g->name, g->etype);
		if (v->type != FT_JSTRING)
			return bad(e, FEAT_BAD_FIELD, "field 'entity_type' is "
			    "not a string");
		if (v->len != strlen(g->etype) || memcmp(v->s, g->etype,
		    v->len) != 0)
			return 0;
		v = ft_json_get(j->json, root, "entity_id", 9);
		snprintf(field, sizeof field, "entity_id");
	} else {
		v = ft_json_get(j->json, root, g->field, g->fieldlen);
		snprintf(field, sizeof field, "%.*s", (int)(g->fieldlen <
		    200 ? g->fieldlen : 200), g->field);
	}
	if (v == NULL || v->type == FT_JNULL)
		return 0;
	if (v->type != FT_JSTRING && v->type != FT_JNUMBER)
		return bad(e, FEAT_BAD_FIELD, "field '%s' is not a string",
		    field);
	if (v->len > FEAT_ENTITY_ID_MAX)
		return 0;		/* no stored entity has it */
	*id = v->s;
	*len = v->len;
	return 1;
}

static void
grow_chunk(struct feat_joiner *j)
{
	size_t need = (j->nrows + 1) * j->ngroups;

	if (j->nrows == j->rowcap) {
		j->rowcap = j->rowcap ? j->rowcap * 2 : 256;
		j->row = feat_xrealloc(j->row, j->rowcap * sizeof *j->row);
	}
	if (need > j->qcap) {
		j->qcap = need * 2;
		j->q = feat_xrealloc(j->q, j->qcap * sizeof *j->q);
		j->idoff = feat_xrealloc(j->idoff, j->qcap *
		    sizeof *j->idoff);
		j->foundoff = feat_xrealloc(j->foundoff, j->qcap *
		    sizeof *j->foundoff);
		j->foundlen = feat_xrealloc(j->foundlen, j->qcap *
		    sizeof *j->foundlen);
	}
}

/* Reads one row into the chunk: 0, or -1 with a bad-line reason. */
static int
take_row(struct feat_joiner *j, const struct feat_line *line,
    struct feat_error *e)
{
	const struct ft_jval *root, *v;
	struct jrow *r;
	size_t idlen = j->ids.len;
	int64_t ts;

	if (ft_line_parse(j->json, line->text, line->len, e) < 0)
		return -1;
	root = ft_json_node(j->json, 1);
	v = ft_json_get(j->json, root, "ts", 2);
	if (v == NULL || v->type == FT_JNULL)
		return bad(e, FEAT_BAD_NO_TS, "no timestamp: a row needs "
		    "'ts'");
	if (ft_time_value(v, j->o.time_unit, "ts", &ts, e) < 0)
		return -1;
	grow_chunk(j);
	for (size_t g = 0; g < j->ngroups; g++) {
		size_t qi = j->nrows * j->ngroups + g;
		struct feat_store_query *q = &j->q[qi];
		const char *id;
		size_t len;
		int rc = row_id(j, root, &j->groups[g], &id, &len, e);

		if (rc < 0) {
			j->ids.len = idlen;
			return -1;
		}
		memset(q, 0, sizeof *q);
		q->key.entity_type = j->groups[g].etype;
		q->key.group = j->groups[g].name;
		q->key.version = j->groups[g].version;
		q->t = ts;
		j->idoff[qi] = NONE;
		if (rc == 1) {
			j->idoff[qi] = j->ids.len;
			q->key.entity_id_len = len;
			ft_buf_add(&j->ids, id, len);
		}
	}
	r = &j->row[j->nrows++];
	r->off = j->rows.len;
	r->len = line->len;
	r->ts = ts;
	r->members = root->count > 0;
	r->rewrite = ft_json_get(j->json, root, "features", 8) != NULL ||
	    ft_json_get(j->json, root, "feature_status", 14) != NULL;
	ft_buf_add(&j->rows, line->text, line->len);
	return 0;
}

static int
join_line(void *ctx, const struct feat_line *line, struct feat_error *e)
{
	struct feat_joiner *j = ctx;

	if (take_row(j, line, e) < 0) {
		/* The rows before a bad line go out before it stops the
		   run. */
		struct feat_error saved = *e;

		if (flush_chunk(j, e) < 0)
			return -1;
		*e = saved;
		return -1;
	}
	if (j->nrows >= CHUNK_ROWS || j->rows.len >= CHUNK_BYTES)
		return flush_chunk(j, e);
	return 0;
}

/* A quiet live stream: answer what waits, and let it out. */
static int
join_idle(void *ctx, struct feat_error *e)
{
	struct feat_joiner *j = ctx;

	if (j->nrows == 0)
		return 0;
	if (flush_chunk(j, e) < 0)
		return -1;
	if (feat_writer_flush(j->o.out) < 0) {
		e->code = FEAT_ERR_OUTPUT;
		snprintf(e->reason, sizeof e->reason, "cannot write: %s",
		    feat_writer_error(j->o.out));
		return -1;
	}
	return 0;
}

static int
join_finish(void *ctx, int stopped, struct feat_error *e)
{
	(void)stopped;
	return flush_chunk(ctx, e);
}

static void
join_summary(void *ctx)
{
	struct feat_joiner *j = ctx;

	feat_warn("%" PRIu64 " row%s joined: %" PRIu64 " values present, %"
	    PRIu64 " null, %" PRIu64 " not found, %" PRIu64 " stale",
	    j->nrows_total, j->nrows_total == 1 ? "" : "s",
	    j->status[ST_PRESENT], j->status[ST_NULL],
	    j->status[ST_NOT_FOUND], j->status[ST_STALE]);
}

void
feat_joiner_stage(feat_joiner *j, struct feat_tool_stage *st)
{
	(void)j;
	memset(st, 0, sizeof *st);
	st->line = join_line;
	st->finish = join_finish;
	st->summary = join_summary;
	st->idle_ns = IDLE_NS;
	st->idle = join_idle;
}
