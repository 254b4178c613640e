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

#include "store-private.h"

struct loaded {
	const char *uri;		/* as given: to open */
	char *name;			/* without a password: to say */
	feat_store *store;		/* NULL while it is down */
	struct ft_spool *spool;		/* --spool: its batches when down */
	int down;			/* failed past its retries: spooling */
	int started;			/* has the batch in flight */
	uint64_t damaged;		/* spooled records unreadable */
	char why[512];			/* how it failed */
	uint64_t added, duplicates, batches;
};

struct feat_loader {
	struct feat_loader_opts o;
	struct loaded *stores;
	size_t nstores;
	feat_record_reader *rr;
	feat_store_batch *batch;	/* being filled */
	feat_store_batch *inflight;	/* being written */
	int64_t now;
	uint64_t records;		/* checked */
	uint64_t compacted;
	int64_t metrics_at;		/* monotonic ns of the last write */
	int64_t batch_at;		/* monotonic ns of its first record */
};

/* Waits before the retries of a failed batch: 3 more tries. */
static const int64_t backoff_ms[] = { 100, 500, 1500 };

static void
notice(void *ctx, const char *msg)
{
	(void)ctx;
	feat_warn("%s", msg);
}

static feat_store *
open_store(struct feat_loader *l, const char *uri, char *err, size_t errlen)
{
	struct feat_store_opts so = { 0 };
	feat_store *s;

	so.write = !l->o.dry_run;
	so.lock = l->o.lock;
	so.notice = notice;
	so.ttl = l->o.ttl;
	if ((s = feat_store_open(uri, &so, err, errlen)) == NULL)
		return NULL;
	if (!l->o.dry_run && l->o.catalog &&
	    feat_store_mirror_catalog(s, l->o.catalog, err, errlen) < 0) {
		char e2[64];

		feat_store_close(s, e2, sizeof e2);
		return NULL;
	}
	return s;
}

static void
pause_ms(const struct feat_loader *l, int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) *
	    1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR &&
	    !(l->o.lock.stop && *l->o.lock.stop))
		;
}

/*
 * Writes b into store i, retrying with backoff and a new connection
 * after a failure: 0, or FEAT_STORE_* with err when it failed for good.
 */
static int
write_retrying(struct feat_loader *l, size_t i, const feat_store_batch *b,
    struct feat_store_written *w, char *err, size_t errlen)
{
	struct loaded *st = &l->stores[i];
	int rc = FEAT_STORE_ERROR;

	for (size_t attempt = 0;; attempt++) {
		char e2[512];

		memset(w, 0, sizeof *w);
		if (st->store == NULL)
			st->store = open_store(l, st->uri, err, errlen);
		if (st->store != NULL) {
			rc = feat_store_write(st->store, b, w, err, errlen);
			if (rc == 0 || rc == FEAT_STORE_LOCKED ||
			    rc == FEAT_STORE_STOPPED)
				return rc;
			/* A server store may have lost its connection. */
			if (strncmp(st->uri, "dir:", 4) != 0) {
				feat_store_close(st->store, e2, sizeof e2);
				st->store = NULL;
			}
		}
		if (attempt == sizeof backoff_ms / sizeof backoff_ms[0] ||
		    (l->o.lock.stop && *l->o.lock.stop))
			return FEAT_STORE_ERROR;
		pause_ms(l, backoff_ms[attempt]);
	}
}

/* Gives the store the batches spooled by earlier runs, oldest first. */
static void
replay(struct feat_loader *l, size_t i)
{
	struct loaded *st = &l->stores[i];
	feat_record_reader *rr = feat_record_reader_new(FEAT_TIME_S);
	feat_store_batch *b = feat_store_batch_new();
	struct ft_buf text = { 0 };
	size_t batches = 0, records = 0;
	uint32_t no;
	int rc;

	while (!st->down && (rc = ft_spool_next(st->spool, &no, &text,
	    st->why, sizeof st->why)) != 0) {
		struct feat_store_written w;
		const char *p, *end;
		size_t bad = 0;

		if (rc < 0) {
			st->down = 1;
			break;
		}
		feat_store_batch_clear(b);
		for (p = text.p, end = text.p + text.len; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			const feat_record *r;
			struct feat_error fe;
			char e2[256];

			if (n > 0 && (feat_record_read(rr, p, n, &r, &fe) < 0 ||
			    feat_store_batch_add(b, r, NULL, 0, l->now, e2,
			    sizeof e2) < 0))
				bad++;
			p += n + 1;
		}
		if (bad) {
			/* Damaged on disk: kept aside, and the run fails. */
			st->damaged += bad;
			if (ft_spool_set_aside(st->spool, no, bad) < 0) {
				st->down = 1;
				break;
			}
			continue;
		}
		if (write_retrying(l, i, b, &w, st->why, sizeof st->why) < 0) {
			st->down = 1;
			break;
		}
		ft_spool_done(st->spool, no, feat_store_batch_count(b), &w);
		batches++;
		records += feat_store_batch_count(b);
		st->added += w.added;
		st->duplicates += w.duplicates;
		st->batches++;
	}
	if (batches)
		feat_warn("'%s': %zu spooled batches (%zu records) replayed "
		    "from '%s'%s", st->name, batches, records,
		    ft_spool_dir(st->spool), st->down ? "; the rest wait" :
		    "");
	if (st->down)
		feat_warn("'%s': the spool cannot be replayed: %s", st->name,
		    st->why);
	ft_buf_free(&text);
	feat_store_batch_free(b);
	feat_record_reader_free(rr);
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
		struct loaded *st = &l->stores[l->nstores++];

		st->uri = o->uris[i];
		st->name = ft_store_redact(st->uri);
		if (o->spool && !o->dry_run &&
		    (st->spool = ft_spool_open(o->spool, st->name, &o->lock,
		    err, errlen)) == NULL) {
			feat_loader_free(l);
			return NULL;
		}
		st->store = open_store(l, st->uri, st->why, sizeof st->why);
		if (st->store == NULL && st->spool == NULL) {
			snprintf(err, errlen, "%s", st->why);
			feat_loader_free(l);
			return NULL;
		}
		if (st->store == NULL) {
			st->down = 1;	/* down from the start: spooled */
			feat_warn("%s: its batches go to the spool '%s'",
			    st->why, ft_spool_dir(st->spool));
		} else if (st->spool && ft_spool_waiting(st->spool) > 0)
			replay(l, i);
	}
	l->rr = feat_record_reader_new(o->time_unit);
	l->batch = feat_store_batch_new();
	l->inflight = feat_store_batch_new();
	l->now = o->clock ? feat_clock_now(o->clock) : 0;
	return l;
}

void
feat_loader_free(feat_loader *l)
{
	char err[256];

	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nstores; i++) {
		if (l->stores[i].store && feat_store_close(l->stores[i].store,
		    err, sizeof err) < 0)
			feat_warn("%s", err);
		ft_spool_close(l->stores[i].spool);
		free(l->stores[i].name);
	}
	free(l->stores);
	feat_record_reader_free(l->rr);
	feat_store_batch_free(l->batch);
	feat_store_batch_free(l->inflight);
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
		    PRIu64 "\n", l->stores[i].name, l->stores[i].added);
	ft_buf_printf(&b, "# HELP feat_load_duplicates_total Records a store "
	    "already held.\n# TYPE feat_load_duplicates_total counter\n");
	for (size_t i = 0; i < l->nstores; i++)
		ft_buf_printf(&b, "feat_load_duplicates_total{store=\"%s\"} %"
		    PRIu64 "\n", l->stores[i].name, l->stores[i].duplicates);
	ft_buf_printf(&b, "# HELP feat_load_batches_total Batches a store "
	    "acknowledged.\n# TYPE feat_load_batches_total counter\n");
	for (size_t i = 0; i < l->nstores; i++)
		ft_buf_printf(&b, "feat_load_batches_total{store=\"%s\"} %"
		    PRIu64 "\n", l->stores[i].name, l->stores[i].batches);
	if (ft_write_file(l->o.metrics_path, b.p, b.len, err,
	    sizeof err) < 0)
		feat_warn("%s", err);
	ft_buf_free(&b);
	l->metrics_at = feat_clock_mono();
}

/* A store that failed past its retries: spooled from now on, or the run
   ends (no spool): 0, or -1 with *e. */
static int
store_down(struct feat_loader *l, size_t i, const feat_store_batch *b,
    struct feat_error *e)
{
	struct loaded *st = &l->stores[i];

	if (st->spool == NULL) {
		e->code = FEAT_ERR_IO;
		return -1;
	}
	if (!st->down) {
		st->down = 1;
		snprintf(st->why, sizeof st->why, "%s", e->reason);
		feat_warn("%s: its batches go to the spool '%s'", st->why,
		    ft_spool_dir(st->spool));
	}
	if (ft_spool_put(st->spool, b, e->reason, sizeof e->reason) < 0) {
		e->code = FEAT_ERR_IO;
		return -1;
	}
	return 0;
}

static int
stopped(struct feat_loader *l, size_t i, const feat_store_batch *b,
    struct feat_error *e)
{
	/* Records read and not stored: never a success. */
	e->code = FEAT_ERR_IO;
	snprintf(e->reason, sizeof e->reason, "stopped while waiting for the "
	    "lock of '%s': %zu records read were not written to it (a rerun "
	    "writes them)", l->stores[i].name, feat_store_batch_count(b));
	return -1;
}

/*
 * Waits for the batch in flight: each store's write acknowledged, or
 * tried again (with backoff and a new connection), spooled or failed.
 */
static int
finish_inflight(struct feat_loader *l, struct feat_error *e)
{
	const feat_store_batch *b = l->inflight;

	if (feat_store_batch_count(b) == 0)
		return 0;
	for (size_t i = 0; i < l->nstores; i++) {
		struct loaded *st = &l->stores[i];
		struct feat_store_written w;
		int rc;

		if (!st->started)
			continue;
		st->started = 0;
		rc = feat_store_write_finish(st->store, &w, e->reason,
		    sizeof e->reason);
		if (rc == FEAT_STORE_ERROR) {
			if (l->o.lock.stop && *l->o.lock.stop)
				rc = FEAT_STORE_STOPPED;
			else
				rc = write_retrying(l, i, b, &w, e->reason,
				    sizeof e->reason);
		}
		if (rc == FEAT_STORE_STOPPED)
			return stopped(l, i, b, e);
		if (rc < 0) {
			if (store_down(l, i, b, e) < 0)
				return -1;
			continue;
		}
		st->added += w.added;
		st->duplicates += w.duplicates;
		st->batches++;
	}
	feat_store_batch_clear(l->inflight);
	if (l->o.metrics_path && feat_clock_mono() - l->metrics_at >= FEAT_NS_PER_S)
		write_metrics(l);
	return 0;
}

/*
 * Hands the batch to every store: on threads of their own, so that the
 * next batch is read while this one is written, unless final (the end, a
 * quiet stream, a bad line), which waits for the acknowledgements.
 * 0, or -1 with *e (exit 4).
 */
static int
flush_batch(struct feat_loader *l, int final, struct feat_error *e)
{
	feat_store_batch *t;

	if (l->o.dry_run) {
		feat_store_batch_clear(l->batch);
		return 0;
	}
	if (finish_inflight(l, e) < 0)
		return -1;
	if (feat_store_batch_count(l->batch) > 0) {
		t = l->inflight;
		l->inflight = l->batch;
		l->batch = t;
		for (size_t i = 0; i < l->nstores; i++) {
			struct loaded *st = &l->stores[i];
			struct feat_store_written w;
			int rc;

			if (st->down) {
				if (ft_spool_put(st->spool, l->inflight,
				    e->reason, sizeof e->reason) < 0) {
					e->code = FEAT_ERR_IO;
					return -1;
				}
				continue;
			}
			if (st->store != NULL) {
				feat_store_write_start(st->store,
				    l->inflight);
				st->started = 1;
				continue;
			}
			/* Closed after a failure: try it again now. */
			rc = write_retrying(l, i, l->inflight, &w, e->reason,
			    sizeof e->reason);
			if (rc == FEAT_STORE_STOPPED)
				return stopped(l, i, l->inflight, e);
			if (rc < 0) {
				if (store_down(l, i, l->inflight, e) < 0)
					return -1;
				continue;
			}
			st->added += w.added;
			st->duplicates += w.duplicates;
			st->batches++;
		}
	}
	return final ? finish_inflight(l, e) : 0;
}

/*
 * Reads and checks one record: its group is the catalog's, of its entity
 * type; no feature name starts with '_'; numbers are finite.  0 with *r,
 * or -1 with a bad-line reason (*r NULL).
 */
/*
 * What a store takes beyond a record's own rules: a group of the catalog
 * (cat may be NULL) of the record's entity type, no feature named with a
 * leading '_' (the stores' own fields), every value storable.  feat-load
 * and feat-serve's pushes check the same.
 */
int
ft_record_check_storable(feat_record_reader *rr, const feat_record *r,
    const feat_catalog *cat, struct feat_error *e)
{
	const struct feat_record_head *h = feat_record_get_head(r);
	const feat_catalog_group *g = NULL;
	struct feat_value v;

	if (cat && (g = feat_catalog_group_find(cat, h->group)) == NULL) {
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
		return -1;
	}
	for (size_t i = 0; i < feat_record_nfeatures(r); i++) {
		if (feat_record_feature(rr, r, i, &v) < 0)
			break;
		if (v.namelen > 0 && v.name[0] == '_') {
			e->code = FEAT_BAD_FIELD;
			snprintf(e->reason, sizeof e->reason, "invalid value "
			    "in 'features': '%.*s': a feature name never "
			    "starts with '_'", (int)(v.namelen > 64 ? 64 :
			    v.namelen), v.name);
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
			return -1;
		}
	}
	return 0;
}

static int
check_record(struct feat_loader *l, const struct feat_line *line,
    const feat_record **r, struct feat_error *e)
{
	*r = NULL;
	if (feat_record_read(l->rr, line->text, line->len, r, e) < 0 ||
	    ft_record_check_storable(l->rr, *r, l->o.catalog, e) < 0) {
		*r = NULL;
		return -1;
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
		if (flush_batch(l, 1, e) < 0)
			return -1;
		*e = saved;
		return -1;
	}
	l->records++;
	if (feat_store_batch_count(l->batch) == 1 && l->o.batch_timeout > 0)
		l->batch_at = feat_clock_mono();
	if (feat_store_batch_count(l->batch) >= l->o.batch ||
	    (l->o.batch_timeout > 0 && feat_clock_mono() - l->batch_at >=
	    l->o.batch_timeout))
		return flush_batch(l, 0, e);
	return 0;
}

static int
load_idle(void *ctx, struct feat_error *e)
{
	return flush_batch(ctx, 1, e);
}

static int
load_finish(void *ctx, int stopped, struct feat_error *e)
{
	struct feat_loader *l = ctx;

	if (flush_batch(l, 1, e) < 0)
		return -1;
	if (l->o.retention > 0 && !l->o.dry_run && !stopped)
		for (size_t i = 0; i < l->nstores; i++) {
			uint64_t dropped;
			int rc;

			if (l->stores[i].down || l->stores[i].store == NULL)
				continue;
			rc = feat_store_compact(l->stores[i].store,
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
	for (size_t i = 0; i < l->nstores; i++) {
		const struct loaded *st = &l->stores[i];
		uint64_t batches, records;

		if (st->damaged) {
			e->code = FEAT_ERR_IO;
			snprintf(e->reason, sizeof e->reason, "'%s': %" PRIu64
			    " spooled records could not be read: their "
			    "batches are kept in '%s' as *.damaged",
			    st->name, st->damaged, ft_spool_dir(st->spool));
			return -1;
		}
		if (!st->down)
			continue;
		ft_spool_counts(st->spool, &batches, &records);
		e->code = FEAT_ERR_IO;
		snprintf(e->reason, sizeof e->reason, "'%s' did not receive "
		    "everything: %" PRIu64 " records in %" PRIu64 " batches "
		    "spooled to '%s' by this run, %zu batches waiting in all "
		    "(the next run replays them first)", st->name, records,
		    batches, ft_spool_dir(st->spool),
		    ft_spool_waiting(st->spool) + (size_t)batches);
		return -1;
	}
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
			    l->records == 1 ? "" : "s", l->stores[i].name);
		return;
	}
	for (size_t i = 0; i < l->nstores; i++) {
		const struct loaded *s = &l->stores[i];

		feat_warn("'%s': %" PRIu64 " record%s added, %" PRIu64
		    " already stored", s->name, s->added,
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
