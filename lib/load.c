/*
 * load.c - feat-load's stage: feature records in, checked, gathered into
 * batches and written into every store (feat-load(1)).
 *
 * A batch is written when it holds --batch records, when the input has
 * been quiet for --batch-timeout with records waiting (a live stream),
 * and at the end of the input or at SIGINT/SIGTERM: nothing read is left
 * unwritten when the run ends.  Each store acknowledges a batch only once
 * it is durable; a store that fails ends the run with exit 4, and a rerun
 * over the same input adds only what is missing (stores ignore
 * duplicates).
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feat-private.h"

struct loaded {
	feat_store *store;
	uint64_t added, duplicates, batches;
};

struct feat_loader {
	struct feat_loader_opts o;
	struct loaded *stores;
	size_t nstores;
	feat_record_reader *rr;
	feat_store_batch *batch;
	int64_t now;
	uint64_t records;		/* checked */
	uint64_t compacted;
	int64_t metrics_at;		/* monotonic ns of the last write */
	int64_t batch_at;		/* monotonic ns of its first record */
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * FEAT_NS_PER_S + ts.tv_nsec;
}

static void
notice(void *ctx, const char *msg)
{
	(void)ctx;
	feat_warn("%s", msg);
}

feat_loader *
feat_loader_new(const struct feat_loader_opts *o, char *err, size_t errlen)
{
	struct feat_loader *l = feat_xcalloc(1, sizeof *l);

	l->o = *o;
	if (l->o.batch == 0)
		l->o.batch = FEAT_LOAD_BATCH_DEFAULT;
	l->stores = feat_xcalloc(o->nuris ? o->nuris : 1, sizeof *l->stores);
	for (size_t i = 0; i < o->nuris; i++) {
		struct feat_store_opts so = { 0 };

		so.write = !o->dry_run;
		so.lock = o->lock;
		so.notice = notice;
		l->stores[i].store = feat_store_open(o->uris[i], &so, err,
		    errlen);
		if (l->stores[i].store == NULL) {
			feat_loader_free(l);
			return NULL;
		}
		l->nstores++;
	}
	l->rr = feat_record_reader_new(o->time_unit);
	l->batch = feat_store_batch_new();
	l->now = o->clock ? feat_clock_now(o->clock) : 0;
	return l;
}

void
feat_loader_free(feat_loader *l)
{
	char err[256];

	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nstores; i++)
		if (feat_store_close(l->stores[i].store, err, sizeof err) < 0)
			feat_warn("%s", err);
	free(l->stores);
	feat_record_reader_free(l->rr);
	feat_store_batch_free(l->batch);
	free(l);
}

static void
write_metrics(struct feat_loader *l)
{
	struct ft_buf b = { 0 };
	char err[512];

	if (l->o.metrics_path == NULL)
		return;
	ft_buf_printf(&b, "# HELP feat_load_records_total Feature records "
	    "read and checked.\n# TYPE feat_load_records_total counter\n"
	    "feat_load_records_total %" PRIu64 "\n", l->records);
	ft_buf_printf(&b, "# HELP feat_load_added_total Records a store did "
	    "not hold before.\n# TYPE feat_load_added_total counter\n");
	for (size_t i = 0; i < l->nstores; i++)
		ft_buf_printf(&b, "feat_load_added_total{store=\"%s\"} %"
		    PRIu64 "\n", feat_store_uri(l->stores[i].store),
		    l->stores[i].added);
	ft_buf_printf(&b, "# HELP feat_load_duplicates_total Records a store "
	    "already held.\n# TYPE feat_load_duplicates_total counter\n");
	for (size_t i = 0; i < l->nstores; i++)
		ft_buf_printf(&b, "feat_load_duplicates_total{store=\"%s\"} %"
		    PRIu64 "\n", feat_store_uri(l->stores[i].store),
		    l->stores[i].duplicates);
	ft_buf_printf(&b, "# HELP feat_load_batches_total Batches a store "
	    "acknowledged.\n# TYPE feat_load_batches_total counter\n");
	for (size_t i = 0; i < l->nstores; i++)
		ft_buf_printf(&b, "feat_load_batches_total{store=\"%s\"} %"
		    PRIu64 "\n", feat_store_uri(l->stores[i].store),
		    l->stores[i].batches);
	if (ft_write_atomic(l->o.metrics_path, b.p, b.len, err,
	    sizeof err) < 0)
		feat_warn("%s", err);
	ft_buf_free(&b);
	l->metrics_at = mono_ns();
}

/* Writes the batch into every store; 0, or -1 with *e (exit 4). */
static int
flush_batch(struct feat_loader *l, struct feat_error *e)
{
	if (feat_store_batch_count(l->batch) == 0 || l->o.dry_run) {
		feat_store_batch_clear(l->batch);
		return 0;
	}
	for (size_t i = 0; i < l->nstores; i++) {
		struct feat_store_written w;
		int rc = feat_store_write(l->stores[i].store, l->batch, &w,
		    e->reason, sizeof e->reason);

		if (rc == FEAT_STORE_STOPPED) {
			/* Records read and not stored: never a success. */
			e->code = FEAT_ERR_IO;
			snprintf(e->reason, sizeof e->reason, "stopped while "
			    "waiting for the lock of '%s': %zu records read "
			    "were not written to it (a rerun writes them)",
			    feat_store_uri(l->stores[i].store),
			    feat_store_batch_count(l->batch));
			return -1;
		}
		if (rc < 0) {
			e->code = FEAT_ERR_IO;
			return -1;
		}
		l->stores[i].added += w.added;
		l->stores[i].duplicates += w.duplicates;
		l->stores[i].batches++;
	}
	feat_store_batch_clear(l->batch);
	if (l->o.metrics_path && mono_ns() - l->metrics_at >= FEAT_NS_PER_S)
		write_metrics(l);
	return 0;
}

/*
 * Reads and checks one record: its group is the catalog's, of its entity
 * type; no feature name starts with '_'; numbers are finite.  0 with *r,
 * or -1 with a bad-line reason (*r NULL).
 */
static int
check_record(struct feat_loader *l, const struct feat_line *line,
    const feat_record **r, struct feat_error *e)
{
	const struct feat_record_head *h;
	const feat_catalog_group *g = NULL;
	struct feat_value v;

	*r = NULL;
	if (feat_record_read(l->rr, line->text, line->len, r, e) < 0) {
		*r = NULL;
		return -1;
	}
	h = feat_record_get_head(*r);
	if (l->o.catalog && (g = feat_catalog_group_find(l->o.catalog,
	    h->group)) == NULL) {
		*r = NULL;
		e->code = FEAT_BAD_FIELD;
		snprintf(e->reason, sizeof e->reason, "invalid value in "
		    "'group': '%s' is not a group of the catalog", h->group);
		return -1;
	}
	if (g != NULL && strcmp(feat_catalog_group_entity_type(g),
	    h->entity_type) != 0) {
		e->code = FEAT_BAD_FIELD;
		snprintf(e->reason, sizeof e->reason, "invalid value in "
		    "'entity_type': group '%s' is of entity type '%s', not "
		    "'%s'", h->group, feat_catalog_group_entity_type(g),
		    h->entity_type);
		*r = NULL;
		return -1;
	}
	for (size_t i = 0; i < feat_record_nfeatures(*r); i++) {
		if (feat_record_feature(l->rr, *r, i, &v) < 0)
			break;
		if (v.namelen > 0 && v.name[0] == '_') {
			e->code = FEAT_BAD_FIELD;
			snprintf(e->reason, sizeof e->reason, "invalid value "
			    "in 'features': '%.*s': a feature name never "
			    "starts with '_'", (int)(v.namelen > 64 ? 64 :
			    v.namelen), v.name);
			*r = NULL;
			return -1;
		}
		if (v.type == FEAT_VALUE_OTHER) {
			int n = (int)(v.namelen > 64 ? 64 : v.namelen);

			/* A number past a double's range, or an object or
			   an array of anything but numbers. */
			e->code = v.text ? FEAT_BAD_RANGE : FEAT_BAD_FIELD;
			if (v.text)
				snprintf(e->reason, sizeof e->reason, "number "
				    "out of range in 'features.%.*s'", n,
				    v.name);
			else
				snprintf(e->reason, sizeof e->reason, "invalid "
				    "value in 'features.%.*s': a value is a "
				    "number, a string, an array of numbers or "
				    "null", n, v.name);
			*r = NULL;
			return -1;
		}
	}
	return 0;
}

static int
load_line(void *ctx, const struct feat_line *line, struct feat_error *e)
{
	struct feat_loader *l = ctx;
	const feat_record *r;
	char err[256];

	if (check_record(l, line, &r, e) < 0 ||
	    feat_store_batch_add(l->batch, r, l->o.catalog, l->o.delete,
	    l->now, err, sizeof err) < 0) {
		struct feat_error saved = *e;

		if (r != NULL) {
			saved.code = FEAT_BAD_FIELD;
			snprintf(saved.reason, sizeof saved.reason,
			    "invalid value: %.250s", err);
		}
		/* What came before a bad line is stored whatever
		   --on-error says. */
		if (flush_batch(l, e) < 0)
			return -1;
		*e = saved;
		return -1;
	}
	l->records++;
	if (feat_store_batch_count(l->batch) == 1 && l->o.batch_timeout > 0)
		l->batch_at = mono_ns();
	if (feat_store_batch_count(l->batch) >= l->o.batch ||
	    (l->o.batch_timeout > 0 && mono_ns() - l->batch_at >=
	    l->o.batch_timeout))
		return flush_batch(l, e);
	return 0;
}

static int
load_idle(void *ctx, struct feat_error *e)
{
	return flush_batch(ctx, e);
}

static int
load_finish(void *ctx, int stopped, struct feat_error *e)
{
	struct feat_loader *l = ctx;

	if (flush_batch(l, e) < 0)
		return -1;
	if (l->o.retention > 0 && !l->o.dry_run && !stopped)
		for (size_t i = 0; i < l->nstores; i++) {
			uint64_t dropped;
			int rc = feat_store_compact(l->stores[i].store,
			    l->o.retention, &dropped, e->reason,
			    sizeof e->reason);

			if (rc < 0) {
				e->code = rc == FEAT_STORE_STOPPED ?
				    FEAT_ERR_STOPPED : FEAT_ERR_IO;
				return -1;
			}
			l->compacted += dropped;
		}
	write_metrics(l);
	return 0;
}

static void
load_summary(void *ctx)
{
	struct feat_loader *l = ctx;

	if (l->o.dry_run) {
		for (size_t i = 0; i < l->nstores; i++)
			feat_warn("dry run: %" PRIu64 " record%s checked, "
			    "none written to '%s'", l->records,
			    l->records == 1 ? "" : "s",
			    feat_store_uri(l->stores[i].store));
		return;
	}
	for (size_t i = 0; i < l->nstores; i++) {
		const struct loaded *s = &l->stores[i];

		feat_warn("'%s': %" PRIu64 " record%s added, %" PRIu64
		    " already stored", feat_store_uri(s->store), s->added,
		    s->added == 1 ? "" : "s", s->duplicates);
	}
	if (l->compacted)
		feat_warn("compaction dropped %" PRIu64 " record%s older "
		    "than the retention", l->compacted,
		    l->compacted == 1 ? "" : "s");
}

void
feat_loader_stage(feat_loader *l, struct feat_tool_stage *st)
{
	memset(st, 0, sizeof *st);
	st->line = load_line;
	st->finish = load_finish;
	st->summary = load_summary;
	st->idle_ns = l->o.batch_timeout;
	st->idle = l->o.batch_timeout > 0 ? load_idle : NULL;
}
