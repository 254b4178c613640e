/*
 * store-pg.c - postgresql://, the offline store: every record kept, in
 * the layout of feat-stores(7) that other programs read directly.
 *
 *	feat.schema_migrations	versioned, idempotent migrations
 *	feat.feature_values	one row a record (features NULL: a
 *				tombstone), range-partitioned by month of ts
 *	feat.feature_registry	the catalog, mirrored by feat-load
 *
 * A batch is one transaction: the month partitions it needs are created
 * first (under an advisory lock, so that two writers do not race), the
 * records go into a temporary staging table by COPY (the batch's own
 * duplicates left out), tombstones go into feat.tombstones and delete
 * what they name, and the records are inserted ON CONFLICT DO NOTHING,
 * so that a replay adds nothing.  The batch is acknowledged once COMMIT returns.  Every
 * statement that carries data is parameterised, or COPY.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

/* Advisory lock keys: migrations, partition DDL ("feat" in ASCII). */
#define LOCK_MIGRATE	"6665617401"
#define LOCK_DDL	"6665617402"

struct pstore {
	PGconn *conn;
	PGconn *nb;			/* the non-blocking lookups', pipelined */
	char *conninfo;
	struct ft_askq asked;
	int got;			/* the front's result came */
	unsigned gen;			/* nb's connections lost so far */
	char *uri;
	int64_t *months;		/* partitions known to exist (month no) */
	size_t nmonths, monthcap;
	struct ft_json *json;
	feat_writer *w;			/* into memory: JSON values */
	struct ft_buf line;		/* a record built for a reader */
	struct ft_buf copy;		/* the COPY data of a batch */
};

/* ---- helpers ------------------------------------------------------------------ */

static int
pg_fail(struct pstore *p, PGresult *r, const char *what, char *err,
    size_t errlen)
{
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn);
	char *clean = ft_store_scrub(msg, p->conninfo);
	size_t n = strlen(clean);

	for (size_t i = 0; i < n; i++)
		if (clean[i] == '\n' || clean[i] == '\t')
			clean[i] = ' ';
	while (n > 0 && clean[n - 1] == ' ')
		n--;
	snprintf(err, errlen, "store '%s': %s: %.*s", p->uri, what, (int)n,
	    clean);
	free(clean);
	if (r)
		PQclear(r);
	return -1;
}

/* Runs sql without parameters; 0, or -1 with err. */
static int
exec(struct pstore *p, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(p->conn, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return pg_fail(p, r, "cannot run a statement", err, errlen);
	PQclear(r);
	return 0;
}

static void
rollback(struct pstore *p)
{
	PGresult *r = PQexec(p->conn, "ROLLBACK");

	PQclear(r);
}

/* "2024-11-16T18:05:00.311000Z" for t, at microsecond precision floored
   (no arithmetic that leaves int64, even at the ends of feat's range). */
static void
pg_time(int64_t t, char *buf, size_t len)
{
	int64_t r = t % FEAT_NS_PER_S;
	char tbuf[64];

	if (r < 0)
		r += FEAT_NS_PER_S;
	feat_time_format(t, tbuf);	/* YYYY-MM-DDTHH:MM:SS.mmmZ, floored */
	snprintf(buf, len, "%.19s.%06" PRId64 "Z", tbuf, r / 1000);
}

/* Epoch seconds as PostgreSQL writes them ("1731780300.311") into ns. */
static int
pg_epoch(const char *text, int64_t *ns)
{
	return feat_time_parse_epoch(text, strlen(text), FEAT_TIME_S, ns);
}

/* ---- migrations -------------------------------------------------------------- */

static const char *const migrations[] = {
	/* 1: the tables of feat-stores(7). */
	"CREATE TABLE feat.feature_values ("
	"  entity_type text NOT NULL,"
	"  entity_id text NOT NULL,"
	"  feature_group text NOT NULL,"
	"  version int NOT NULL,"
	"  ts timestamptz NOT NULL,"
	"  created timestamptz NOT NULL,"
	"  features jsonb NOT NULL,"
	"  record_window jsonb,"
	"  PRIMARY KEY (entity_type, entity_id, feature_group, version, ts,"
	"    created)"
	") PARTITION BY RANGE (ts);"
	"CREATE TABLE feat.feature_values_default PARTITION OF"
	"  feat.feature_values DEFAULT;"
	"CREATE TABLE feat.feature_registry ("
	"  name text PRIMARY KEY,"
	"  id text NOT NULL,"
	"  feature_group text NOT NULL,"
	"  entity_type text NOT NULL,"
	"  entry jsonb NOT NULL,"
	"  updated timestamptz NOT NULL DEFAULT now()"
	");"
	"CREATE TABLE feat.tombstones ("
	"  entity_type text NOT NULL,"
	"  entity_id text NOT NULL,"
	"  feature_group text NOT NULL,"
	"  version int NOT NULL,"
	"  ts timestamptz NOT NULL,"
	"  created timestamptz NOT NULL,"
	"  PRIMARY KEY (entity_type, entity_id, feature_group, version, ts,"
	"    created)"
	");"
	"COMMENT ON COLUMN feat.feature_values.created IS"
	"  '-infinity: the record gave none (the oldest of its ties)';"
	"COMMENT ON TABLE feat.tombstones IS"
	"  'deletes: the records of its key and ts created by then, "
	"whenever they come';",
};

static int
migrate(struct pstore *p, char *err, size_t errlen)
{
	PGresult *r;
	int have;

	if (exec(p, "BEGIN", err, errlen) < 0)
		return -1;
	if (exec(p, "SELECT pg_advisory_xact_lock(" LOCK_MIGRATE ")", err,
	    errlen) < 0 ||
	    exec(p, "CREATE SCHEMA IF NOT EXISTS feat", err, errlen) < 0 ||
	    exec(p, "CREATE TABLE IF NOT EXISTS feat.schema_migrations ("
	    "version int PRIMARY KEY, applied_at timestamptz NOT NULL "
	    "DEFAULT now())", err, errlen) < 0)
		goto fail;
	r = PQexec(p->conn, "SELECT coalesce(max(version), 0) FROM "
	    "feat.schema_migrations");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(p, r, "cannot read feat.schema_migrations", err,
		    errlen);
		goto fail;
	}
	have = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (have > (int)(sizeof migrations / sizeof migrations[0])) {
		snprintf(err, errlen, "store '%s': schema version %d is newer "
		    "than this feat knows (%zu): upgrade feat", p->uri, have,
		    sizeof migrations / sizeof migrations[0]);
		goto fail;
	}
	for (int v = have + 1;
	    v <= (int)(sizeof migrations / sizeof migrations[0]); v++) {
		char sql[128];

		if (exec(p, migrations[v - 1], err, errlen) < 0)
			goto fail;
		snprintf(sql, sizeof sql, "INSERT INTO feat.schema_migrations "
		    "(version) VALUES (%d)", v);
		if (exec(p, sql, err, errlen) < 0)
			goto fail;
	}
	return exec(p, "COMMIT", err, errlen);
fail:
	rollback(p);
	return -1;
}

/* ---- open, close ------------------------------------------------------------- */

/* Connects with a 5 s connect_timeout unless the URI gives one. */
static PGconn *
connect_uri(const char *uri)
{
	static const char *const keys[] = { "connect_timeout", "dbname",
	    NULL };
	const char *vals[] = { "5", uri, NULL };

	return PQconnectdbParams(keys, vals, 1);
}

static void
quiet(void *arg, const PGresult *r)
{
	(void)arg;
	(void)r;
}

static void *
pg_open(const char *rest, const struct feat_store_opts *o, char *err,
    size_t errlen)
{
	struct pstore *p = feat_xcalloc(1, sizeof *p);
	size_t n = strlen(rest) + sizeof "postgresql://";

	(void)o;
	p->conninfo = feat_xmalloc(n);
	snprintf(p->conninfo, n, "postgresql://%s", rest);
	p->uri = ft_store_redact(p->conninfo);
	p->conn = connect_uri(p->conninfo);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		pg_fail(p, NULL, "cannot connect", err, errlen);
		goto fail;
	}
	PQsetNoticeReceiver(p->conn, quiet, NULL);
	/* A lock held elsewhere or a statement that never ends fails the
	   batch (retried, then spooled) instead of hanging the run. */
	if (exec(p, "SET TimeZone = 'UTC'", err, errlen) < 0 ||
	    exec(p, "SET lock_timeout = '5s'", err, errlen) < 0 ||
	    exec(p, "SET statement_timeout = '120s'", err, errlen) < 0 ||
	    exec(p, "SET extra_float_digits = 3", err, errlen) < 0 ||
	    migrate(p, err, errlen) < 0 ||
	    exec(p, "CREATE TEMP TABLE IF NOT EXISTS feat_stage ("
	    "entity_type text, entity_id text, feature_group text, "
	    "version int, ts timestamptz, created timestamptz, "
	    "features jsonb, record_window jsonb, tomb boolean) "
	    "ON COMMIT DELETE ROWS", err, errlen) < 0)
		goto fail;
	p->json = ft_json_new();
	p->w = feat_writer_new(-1, 0);
	return p;
fail:
	PQfinish(p->conn);
	free(p->conninfo);
	free(p->uri);
	free(p);
	return NULL;
}

static int
pg_close(void *be, char *err, size_t errlen)
{
	struct pstore *p = be;

	(void)err;
	(void)errlen;
	PQfinish(p->conn);
	if (p->nb)
		PQfinish(p->nb);
	ft_askq_free(&p->asked);
	free(p->conninfo);
	if (p->json)
		ft_json_free(p->json);
	if (p->w)
		feat_writer_close(p->w);
	ft_buf_free(&p->line);
	ft_buf_free(&p->copy);
	free(p->months);
	free(p->uri);
	free(p);
	return 0;
}

static int
pg_refresh(void *be, char *err, size_t errlen)
{
	(void)be;
	(void)err;
	(void)errlen;
	return 0;		/* every read asks the server */
}

/* ---- writing ------------------------------------------------------------------ */

/* A staged record s that no stored tombstone deletes. */
#define NO_TOMB "NOT EXISTS (SELECT 1 FROM feat.tombstones t " \
	"WHERE t.entity_type = s.entity_type " \
	"AND t.entity_id = s.entity_id AND t.feature_group = " \
	"s.feature_group AND t.version = s.version AND t.ts = s.ts " \
	"AND t.created >= s.created)"

/* Appends s as a field of COPY's text format. */
static void
copy_field(struct ft_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '\\': ft_buf_add(b, "\\\\", 2); break;
		case '\t': ft_buf_add(b, "\\t", 2); break;
		case '\n': ft_buf_add(b, "\\n", 2); break;
		case '\r': ft_buf_add(b, "\\r", 2); break;
		default: ft_buf_addc(b, (char)c); break;
		}
	}
}

/* The month of t: year * 12 + month - 1. */
static int64_t
month_of(int64_t t)
{
	char buf[64];
	int y, m;

	feat_time_format(t, buf);
	if (sscanf(buf, "%d-%d", &y, &m) != 2)
		return 0;
	return (int64_t)y * 12 + m - 1;
}

static int
have_month(const struct pstore *p, int64_t m)
{
	for (size_t i = 0; i < p->nmonths; i++)
		if (p->months[i] == m)
			return 1;
	return 0;
}

/*
 * Creates the month partitions b needs, in the open transaction, under
 * the advisory lock that compaction's drops take too: whatever another
 * run dropped meanwhile is made again before a row could go to the
 * default partition.
 */
static int
make_partitions(struct pstore *p, const feat_store_batch *b, char *err,
    size_t errlen)
{
	p->nmonths = 0;		/* this batch's, each once */
	if (exec(p, "SELECT pg_advisory_xact_lock(" LOCK_DDL ")", err,
	    errlen) < 0)
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		int64_t m = month_of(b->recs[i].ts), n = m + 1;
		char sql[512];

		if (have_month(p, m))
			continue;
		snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS "
		    "feat.feature_values_y%04" PRId64 "m%02" PRId64 " PARTITION "
		    "OF feat.feature_values FOR VALUES FROM ('%04" PRId64
		    "-%02" PRId64 "-01 00:00:00+00') TO ('%04" PRId64 "-%02"
		    PRId64 "-01 00:00:00+00')", m / 12, m % 12 + 1, m / 12,
		    m % 12 + 1, n / 12, n % 12 + 1);
		if (exec(p, sql, err, errlen) < 0)
			return -1;
		if (p->nmonths == p->monthcap) {
			p->monthcap = p->monthcap ? p->monthcap * 2 : 16;
			p->months = feat_xrealloc(p->months, p->monthcap *
			    sizeof *p->months);
		}
		p->months[p->nmonths++] = m;
	}
	return 0;
}

/* Sends what p->copy holds as COPY data: 0, or -1 with err. */
static int
copy_send(struct pstore *p, char *err, size_t errlen)
{
	if (p->copy.len > 0 && PQputCopyData(p->conn, p->copy.p,
	    (int)p->copy.len) != 1)
		return pg_fail(p, NULL, "cannot copy a batch", err, errlen);
	p->copy.len = 0;
	return 0;
}

/*
 * The batch as COPY text rows of feat_stage, sent while they are made
 * (the server parses a chunk while the next is written); a record equal
 * to an earlier one of the batch (key, ts, created, kind) is left out:
 * the batch's duplicates are removed before the staging table.
 */
static int
copy_rows(struct pstore *p, const feat_store_batch *b, char *err,
    size_t errlen)
{
	struct ft_buf *c = &p->copy;
	uint8_t *dup = ft_batch_duplicates(b);
	int rc = -1;

	c->len = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct ft_batch_rec *r = &b->recs[i];
		const char *k = b->text.p + r->key, *eid, *grp;
		const char *line = b->text.p + r->line;
		char t[64];

		if (dup[i])
			continue;
		eid = k + strlen(k) + 1;
		grp = eid + strlen(eid) + 1;
		copy_field(c, k, strlen(k));
		ft_buf_addc(c, '\t');
		copy_field(c, eid, strlen(eid));
		ft_buf_addc(c, '\t');
		copy_field(c, grp, strlen(grp));
		ft_buf_printf(c, "\t%ld\t", r->version);
		pg_time(r->ts, t, sizeof t);
		ft_buf_add(c, t, strlen(t));
		ft_buf_addc(c, '\t');
		if (r->created == INT64_MIN)
			ft_buf_add(c, "-infinity", 9);
		else {
			pg_time(r->created, t, sizeof t);
			ft_buf_add(c, t, strlen(t));
		}
		ft_buf_addc(c, '\t');
		/* The JSON texts as the canonical line holds them. */
		if (r->tombstone || r->sp.features_len == 0)
			ft_buf_add(c, "\\N", 2);
		else
			copy_field(c, line + r->sp.features,
			    r->sp.features_len);
		ft_buf_addc(c, '\t');
		if (r->tombstone || r->sp.window_len == 0)
			ft_buf_add(c, "\\N", 2);
		else
			copy_field(c, line + r->sp.window, r->sp.window_len);
		ft_buf_add(c, r->tombstone ? "\tt\n" : "\tf\n", 3);
		if (c->len >= 256 * 1024 && copy_send(p, err, errlen) < 0)
			goto done;
	}
	rc = copy_send(p, err, errlen);
done:
	free(dup);
	return rc;
}

static int
pg_write(void *be, const feat_store_batch *b, struct feat_store_written *out,
    char *err, size_t errlen)
{
	struct pstore *p = be;
	PGresult *r;
	uint64_t added, tadded = 0;
	int tombs = 0, any;

	if (b->n == 0)
		return 0;
	if (exec(p, "BEGIN", err, errlen) < 0)
		return FEAT_STORE_ERROR;
	if (make_partitions(p, b, err, errlen) < 0)
		goto fail;
	r = PQexec(p->conn, "COPY feat_stage FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		pg_fail(p, r, "cannot copy a batch", err, errlen);
		goto fail;
	}
	PQclear(r);
	if (copy_rows(p, b, err, errlen) < 0) {
		PQputCopyEnd(p->conn, "a batch record cannot be read");
		while ((r = PQgetResult(p->conn)) != NULL)
			PQclear(r);
		goto fail;
	}
	if (PQputCopyEnd(p->conn, NULL) != 1) {
		pg_fail(p, NULL, "cannot copy a batch", err, errlen);
		goto fail;
	}
	r = PQgetResult(p->conn);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_fail(p, r, "cannot copy a batch", err, errlen);
		while ((r = PQgetResult(p->conn)) != NULL)
			PQclear(r);
		goto fail;
	}
	PQclear(r);
	while ((r = PQgetResult(p->conn)) != NULL)
		PQclear(r);
	for (size_t i = 0; i < b->n && !tombs; i++)
		tombs = b->recs[i].tombstone;
	if (tombs) {
		/* Kept, and applied to what is stored. */
		r = PQexec(p->conn, "INSERT INTO feat.tombstones SELECT "
		    "DISTINCT entity_type, entity_id, feature_group, version, "
		    "ts, created FROM feat_stage WHERE tomb ON CONFLICT DO "
		    "NOTHING");
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			pg_fail(p, r, "cannot insert a batch", err, errlen);
			goto fail;
		}
		tadded = strtoull(PQcmdTuples(r), NULL, 10);
		PQclear(r);
		if (exec(p, "DELETE FROM feat.feature_values f USING "
		    "feat_stage t WHERE t.tomb "
		    "AND f.entity_type = t.entity_type AND f.entity_id = "
		    "t.entity_id AND f.feature_group = t.feature_group AND "
		    "f.version = t.version AND f.ts = t.ts AND f.created <= "
		    "t.created", err, errlen) < 0)
			goto fail;
	}
	/* Records once each, none that a tombstone (stored, or of this
	   batch: stored just now) deletes.  With no tombstone at all, no
	   probe. */
	r = PQexec(p->conn, "SELECT EXISTS (SELECT 1 FROM feat.tombstones)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(p, r, "cannot insert a batch", err, errlen);
		goto fail;
	}
	any = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	r = PQexec(p->conn, any ? "INSERT INTO feat.feature_values "
	    "(entity_type, entity_id, feature_group, version, ts, created, "
	    "features, record_window) "
	    "SELECT entity_type, entity_id, feature_group, "
	    "version, ts, created, features, record_window FROM feat_stage s "
	    "WHERE NOT s.tomb AND " NO_TOMB " ON CONFLICT DO NOTHING" :
	    "INSERT INTO feat.feature_values "
	    "(entity_type, entity_id, feature_group, version, ts, created, "
	    "features, record_window) "
	    "SELECT entity_type, entity_id, feature_group, "
	    "version, ts, created, features, record_window FROM feat_stage s "
	    "WHERE NOT s.tomb ON CONFLICT DO NOTHING");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_fail(p, r, "cannot insert a batch", err, errlen);
		goto fail;
	}
	added = strtoull(PQcmdTuples(r), NULL, 10) + tadded;
	PQclear(r);
	if (exec(p, "COMMIT", err, errlen) < 0)
		return FEAT_STORE_ERROR;
	out->added += added;
	out->duplicates += b->n - added;
	return 0;
fail:
	rollback(p);
	/* A partition made in the failed transaction is gone again. */
	p->nmonths = 0;
	return FEAT_STORE_ERROR;
}

/* ---- reading ------------------------------------------------------------------- */

#define COLS "entity_type, entity_id, feature_group, version, " \
	"extract(epoch FROM ts)::text, " \
	"CASE WHEN created = '-infinity' THEN NULL ELSE " \
	"extract(epoch FROM created)::text END, features::text, " \
	"record_window::text"
#define KEYMATCH "entity_type = $1 AND entity_id = $2 AND feature_group = $3 " \
	"AND version = $4"

/* Row i of r (columns COLS from col 0) as a stored line in p->line. */
static int
row_line(struct pstore *p, const PGresult *r, int i, int col)
{
	struct ft_buf *b = &p->line;
	char t[64];
	int64_t ns;

	b->len = 0;
	ft_buf_add(b, "{\"entity_type\":", 15);
	ft_json_quote_raw(b, PQgetvalue(r, i, col), (size_t)PQgetlength(r, i,
	    col));
	ft_buf_add(b, ",\"entity_id\":", 13);
	ft_json_quote_raw(b, PQgetvalue(r, i, col + 1),
	    (size_t)PQgetlength(r, i, col + 1));
	ft_buf_add(b, ",\"group\":", 9);
	ft_json_quote_raw(b, PQgetvalue(r, i, col + 2),
	    (size_t)PQgetlength(r, i, col + 2));
	ft_buf_printf(b, ",\"version\":%s", PQgetvalue(r, i, col + 3));
	if (pg_epoch(PQgetvalue(r, i, col + 4), &ns) < 0)
		return -1;
	feat_time_format(ns, t);
	ft_buf_printf(b, ",\"ts\":\"%s\"", t);
	if (!PQgetisnull(r, i, col + 5)) {
		if (pg_epoch(PQgetvalue(r, i, col + 5), &ns) < 0)
			return -1;
		feat_time_format(ns, t);
		ft_buf_printf(b, ",\"created\":\"%s\"", t);
	}
	if (PQgetisnull(r, i, col + 6))
		ft_buf_add(b, ",\"features\":null,\"tombstone\":true", 33);
	else {
		ft_buf_add(b, ",\"features\":", 12);
		ft_buf_add(b, PQgetvalue(r, i, col + 6),
		    (size_t)PQgetlength(r, i, col + 6));
	}
	if (!PQgetisnull(r, i, col + 7)) {
		ft_buf_add(b, ",\"window\":", 10);
		ft_buf_add(b, PQgetvalue(r, i, col + 7),
		    (size_t)PQgetlength(r, i, col + 7));
	}
	ft_buf_addc(b, '}');
	return 0;
}

/* Runs a query of COLS rows with params and gives each line to fn:
   how many, or -1 with err. */
static long
query_lines(struct pstore *p, const char *sql, int nparams,
    const char *const *params, feat_store_fn fn, void *ctx, char *err,
    size_t errlen)
{
	PGresult *r = PQexecParams(p->conn, sql, nparams, NULL, params, NULL,
	    NULL, 0);
	long n;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(p, r, "cannot read", err, errlen);
	n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		if (row_line(p, r, i, 0) < 0) {
			PQclear(r);
			snprintf(err, errlen, "store '%s': a stored time "
			    "cannot be read", p->uri);
			return -1;
		}
		if (fn(ctx, p->line.p, p->line.len) != 0) {
			PQclear(r);
			err[0] = '\0';
			return -1;
		}
	}
	PQclear(r);
	return n;
}

struct keyparams {
	char eid[FEAT_ENTITY_ID_MAX + 1];
	char version[24];
	char t[64];
	const char *v[5];
};

static void
key_params(const struct feat_store_key *k, struct keyparams *kp)
{
	memcpy(kp->eid, k->entity_id, k->entity_id_len);
	kp->eid[k->entity_id_len] = '\0';
	snprintf(kp->version, sizeof kp->version, "%ld",
	    k->version > 0 ? k->version : 1);
	kp->v[0] = k->entity_type;
	kp->v[1] = kp->eid;
	kp->v[2] = k->group;
	kp->v[3] = kp->version;
	kp->v[4] = kp->t;
}

static int
pg_latest(void *be, const struct feat_store_key *k, feat_store_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct keyparams kp;

	key_params(k, &kp);
	return (int)query_lines(be, "SELECT " COLS " FROM feat.feature_values "
	    "WHERE " KEYMATCH " ORDER BY ts DESC, created DESC LIMIT 1", 4,
	    kp.v, fn, ctx, err, errlen);
}

static int
pg_as_of(void *be, const struct feat_store_key *k, int64_t t,
    int no_future_created, feat_store_fn fn, void *ctx, char *err,
    size_t errlen)
{
	struct keyparams kp;

	key_params(k, &kp);
	pg_time(t, kp.t, sizeof kp.t);
	return (int)query_lines(be, no_future_created ?
	    "SELECT " COLS " FROM feat.feature_values WHERE " KEYMATCH
	    " AND ts <= $5 AND created <= $5 ORDER BY ts DESC, created DESC "
	    "LIMIT 1" :
	    "SELECT " COLS " FROM feat.feature_values WHERE " KEYMATCH
	    " AND ts <= $5 ORDER BY ts DESC, created DESC LIMIT 1", 5, kp.v,
	    fn, ctx, err, errlen);
}

/* Appends s as an element of an array literal: "..." escaped. */
static void
array_elem(struct ft_buf *b, const char *s, size_t n)
{
	ft_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			ft_buf_addc(b, '\\');
		ft_buf_addc(b, s[i]);
	}
	ft_buf_addc(b, '"');
}

/* One query for all: unnest the keys, LATERAL the as-of row of each. */
static int
pg_as_of_many(void *be, const struct feat_store_query *q, size_t n,
    int no_future_created, feat_store_at_fn fn, void *ctx, char *err,
    size_t errlen)
{
	struct pstore *p = be;
	struct ft_buf a[6] = { { 0 } };
	const char *params[6];
	PGresult *r;
	size_t asked = 0;
	int rc = 0;

	for (int c = 0; c < 6; c++)
		ft_buf_addc(&a[c], '{');
	for (size_t i = 0; i < n; i++) {
		char num[32], t[64];

		if (q[i].key.entity_id == NULL ||
		    q[i].key.entity_id_len > FEAT_ENTITY_ID_MAX ||
		    memchr(q[i].key.entity_id, '\0', q[i].key.entity_id_len))
			continue;
		snprintf(num, sizeof num, "%zu", i);
		if (asked++)
			for (int c = 0; c < 6; c++)
				ft_buf_addc(&a[c], ',');
		ft_buf_add(&a[0], num, strlen(num));
		array_elem(&a[1], q[i].key.entity_type,
		    strlen(q[i].key.entity_type));
		array_elem(&a[2], q[i].key.entity_id, q[i].key.entity_id_len);
		array_elem(&a[3], q[i].key.group, strlen(q[i].key.group));
		snprintf(num, sizeof num, "%ld", q[i].key.version > 0 ?
		    q[i].key.version : 1);
		ft_buf_add(&a[4], num, strlen(num));
		pg_time(q[i].t, t, sizeof t);
		ft_buf_add(&a[5], t, strlen(t));
	}
	if (asked == 0) {
		for (int c = 0; c < 6; c++)
			ft_buf_free(&a[c]);
		return 0;
	}
	for (int c = 0; c < 6; c++) {
		ft_buf_addc(&a[c], '}');
		ft_buf_addc(&a[c], '\0');
		params[c] = a[c].p;
	}
	r = PQexecParams(p->conn, no_future_created ?
	    "SELECT q.i, v.* FROM unnest($1::bigint[], $2::text[], $3::text[], "
	    "$4::text[], $5::int[], $6::timestamptz[]) AS q(i, et, eid, grp, "
	    "ver, t) CROSS JOIN LATERAL (SELECT " COLS " FROM "
	    "feat.feature_values f WHERE f.entity_type = q.et AND "
	    "f.entity_id = q.eid AND f.feature_group = q.grp AND f.version = "
	    "q.ver AND f.ts <= q.t AND f.created "
	    "<= q.t ORDER BY f.ts DESC, f.created DESC LIMIT 1) v" :
	    "SELECT q.i, v.* FROM unnest($1::bigint[], $2::text[], $3::text[], "
	    "$4::text[], $5::int[], $6::timestamptz[]) AS q(i, et, eid, grp, "
	    "ver, t) CROSS JOIN LATERAL (SELECT " COLS " FROM "
	    "feat.feature_values f WHERE f.entity_type = q.et AND "
	    "f.entity_id = q.eid AND f.feature_group = q.grp AND f.version = "
	    "q.ver AND f.ts <= q.t "
	    "ORDER BY f.ts DESC, f.created DESC LIMIT 1) v", 6, NULL, params,
	    NULL, NULL, 0);
	for (int c = 0; c < 6; c++)
		ft_buf_free(&a[c]);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(p, r, "cannot read", err, errlen);
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		size_t qi = strtoull(PQgetvalue(r, i, 0), NULL, 10);

		if (row_line(p, r, i, 1) < 0) {
			snprintf(err, errlen, "store '%s': a stored time "
			    "cannot be read", p->uri);
			rc = -1;
		} else if (fn(ctx, qi, p->line.p, p->line.len) != 0) {
			err[0] = '\0';
			rc = -1;
		}
	}
	PQclear(r);
	return rc;
}

static long
pg_history(void *be, const struct feat_store_key *k, feat_store_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct keyparams kp;

	key_params(k, &kp);
	return query_lines(be, "SELECT " COLS " FROM feat.feature_values "
	    "WHERE " KEYMATCH " ORDER BY ts, created", 4, kp.v, fn, ctx, err,
	    errlen);
}

static long
pg_entity(void *be, const char *etype, const char *eid, size_t eidlen,
    feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	char id[FEAT_ENTITY_ID_MAX + 1];
	const char *v[2] = { etype, id };

	memcpy(id, eid, eidlen);
	id[eidlen] = '\0';
	return query_lines(be, "SELECT DISTINCT ON (feature_group, version) "
	    COLS " FROM feat.feature_values WHERE entity_type = $1 AND "
	    "entity_id = $2 ORDER BY feature_group, "
	    "version, ts DESC, created DESC", 2, v, fn, ctx, err, errlen);
}

/* Every row, tombstones too, by ts: a row at a time from the server. */
static long
pg_scan(void *be, feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	struct pstore *p = be;
	PGresult *r;
	long n = 0;
	int failed = 0;

	if (!PQsendQuery(p->conn, "SELECT entity_type, entity_id, "
	    "feature_group, version, extract(epoch FROM ts)::text, "
	    "CASE WHEN created = '-infinity' THEN NULL ELSE "
	    "extract(epoch FROM created)::text END, f, w FROM (SELECT "
	    "entity_type, entity_id, feature_group, version, ts, created, "
	    "features::text AS f, record_window::text AS w FROM "
	    "feat.feature_values UNION ALL SELECT entity_type, entity_id, "
	    "feature_group, version, ts, created, NULL, NULL FROM "
	    "feat.tombstones) x ORDER BY ts, created, entity_type, entity_id, "
	    "feature_group, version") || !PQsetSingleRowMode(p->conn))
		return pg_fail(p, NULL, "cannot read", err, errlen);
	while ((r = PQgetResult(p->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_SINGLE_TUPLE && !failed) {
			if (row_line(p, r, 0, 0) < 0 || fn(ctx, p->line.p,
			    p->line.len) != 0) {
				failed = 1;
				err[0] = '\0';
			} else
				n++;
		} else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE &&
		    !failed) {
			pg_fail(p, NULL, "cannot read", err, errlen);
			failed = 1;
		}
		PQclear(r);
	}
	return failed ? -1 : n;
}

static int
pg_stats(void *be, struct feat_store_stats *st, char *err, size_t errlen)
{
	struct pstore *p = be;
	PGresult *r = PQexec(p->conn,
	    "SELECT count(*), (SELECT count(*) FROM feat.tombstones), "
	    "count(DISTINCT (entity_type, entity_id, feature_group, version)), "
	    "count(DISTINCT (entity_type, entity_id, feature_group, version)), "
	    "(SELECT count(*) FROM pg_inherits WHERE inhparent = "
	    "'feat.feature_values'::regclass), "
	    "(SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM "
	    "pg_inherits WHERE inhparent = 'feat.feature_values'::regclass), "
	    "extract(epoch FROM min(ts))::text, extract(epoch FROM max(ts))::text "
	    "FROM feat.feature_values");

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(p, r, "cannot read", err, errlen);
	st->records = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	st->tombstones = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	st->keys = strtoull(PQgetvalue(r, 0, 2), NULL, 10);
	st->live_keys = strtoull(PQgetvalue(r, 0, 3), NULL, 10);
	st->files = strtoull(PQgetvalue(r, 0, 4), NULL, 10);
	st->bytes = strtoull(PQgetvalue(r, 0, 5), NULL, 10);
	st->oldest_ts = st->newest_ts = INT64_MIN;
	if (!PQgetisnull(r, 0, 6))
		(void)pg_epoch(PQgetvalue(r, 0, 6), &st->oldest_ts);
	if (!PQgetisnull(r, 0, 7))
		(void)pg_epoch(PQgetvalue(r, 0, 7), &st->newest_ts);
	PQclear(r);
	return 0;
}

/*
 * Drops the month partitions wholly older than the newest stored ts
 * minus retention (SPEC 7): whole partitions only; the default one is
 * never dropped.
 */
static int
pg_compact(void *be, int64_t retention, uint64_t *dropped, char *err,
    size_t errlen)
{
	struct pstore *p = be;
	PGresult *r;
	char cut[64];
	const char *v[1] = { cut };
	int64_t newest;

	*dropped = 0;
	r = PQexec(p->conn, "SELECT extract(epoch FROM max(ts))::text FROM "
	    "feat.feature_values");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(p, r, "cannot read", err, errlen);
	if (PQgetisnull(r, 0, 0) || pg_epoch(PQgetvalue(r, 0, 0),
	    &newest) < 0 || retention <= 0) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	pg_time(newest - retention, cut, sizeof cut);
	if (exec(p, "BEGIN", err, errlen) < 0)
		return FEAT_STORE_ERROR;
	if (exec(p, "SELECT pg_advisory_xact_lock(" LOCK_DDL ")", err,
	    errlen) < 0)
		goto fail;
	/* Ours are named feature_values_yYYYYmMM: the month is the name. */
	r = PQexecParams(p->conn, "SELECT c.relname, (SELECT count(*) FROM "
	    "feat.feature_values WHERE tableoid = c.oid) FROM pg_inherits i "
	    "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = "
	    "'feat.feature_values'::regclass AND c.relname ~ "
	    "'^feature_values_y[0-9]{4}m[0-9]{2}$' AND (make_date(substr("
	    "c.relname, 17, 4)::int, substr(c.relname, 22, 2)::int, 1) + "
	    "interval '1 month') AT TIME ZONE 'UTC' <= $1::timestamptz",
	    1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(p, r, "cannot list partitions", err, errlen);
		goto fail;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		char sql[256];

		snprintf(sql, sizeof sql, "DROP TABLE feat.%s",
		    PQgetvalue(r, i, 0));
		*dropped += strtoull(PQgetvalue(r, i, 1), NULL, 10);
		if (exec(p, sql, err, errlen) < 0) {
			PQclear(r);
			goto fail;
		}
	}
	PQclear(r);
	p->nmonths = 0;		/* some are gone: ask again */
	return exec(p, "COMMIT", err, errlen) < 0 ? FEAT_STORE_ERROR : 0;
fail:
	rollback(p);
	return FEAT_STORE_ERROR;
}

/* The catalog into feat.feature_registry, one upsert a feature. */
static int
pg_mirror(void *be, const feat_catalog *cat, char *err, size_t errlen)
{
	struct pstore *p = be;
	feat_writer *w = feat_writer_new(-1, 0);
	int rc = -1;

	if (exec(p, "BEGIN", err, errlen) < 0)
		goto done;
	for (size_t i = 0; i < feat_catalog_count(cat); i++) {
		const feat_catalog_feature *f = feat_catalog_nth(cat, i);
		const feat_catalog_group *g = feat_catalog_feature_group(f);
		struct ft_buf *b;
		const char *v[5];
		PGresult *r;

		ft_writer_clear(w);
		if (feat_catalog_write_entry(f, 1, w) < 0)
			continue;
		b = ft_writer_buf(w);
		ft_buf_addc(b, '\0');
		v[0] = feat_catalog_feature_name(f);
		v[1] = feat_catalog_feature_id(f);
		v[2] = feat_catalog_feature_group_name(f);
		v[3] = g ? feat_catalog_group_entity_type(g) : "";
		v[4] = b->p;
		r = PQexecParams(p->conn, "INSERT INTO feat.feature_registry "
		    "(name, id, feature_group, entity_type, entry) VALUES ($1, "
		    "$2, $3, $4, $5::jsonb) ON CONFLICT (name) DO UPDATE SET "
		    "id = EXCLUDED.id, feature_group = EXCLUDED.feature_group, "
		    "entity_type = EXCLUDED.entity_type, entry = EXCLUDED.entry, "
		    "updated = now() WHERE feat.feature_registry.entry IS "
		    "DISTINCT FROM EXCLUDED.entry", 5, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			pg_fail(p, r, "cannot mirror the catalog", err, errlen);
			rollback(p);
			goto done;
		}
		PQclear(r);
	}
	rc = exec(p, "COMMIT", err, errlen);
done:
	feat_writer_close(w);
	return rc;
}

/* ---- lookups that never block: a connection in pipeline mode ----------------- */

static int
nb_lost(struct pstore *p, char *err, size_t errlen)
{
	if (p->nb) {
		snprintf(err, errlen, "store '%s': %s", p->uri,
		    PQerrorMessage(p->nb));
		PQfinish(p->nb);
	}
	p->nb = NULL;
	p->got = 0;
	p->gen++;		/* what is read is no longer for what is asked */
	while (ft_askq_front(&p->asked))
		ft_askq_pop(&p->asked);
	return -1;
}

static int
nb_open(struct pstore *p, char *err, size_t errlen)
{
	PGresult *r;

	if (p->nb)
		return 0;
	p->nb = connect_uri(p->conninfo);
	if (PQstatus(p->nb) != CONNECTION_OK)
		return nb_lost(p, err, errlen);
	PQsetNoticeReceiver(p->nb, quiet, NULL);
	r = PQexec(p->nb, "SET TimeZone = 'UTC'");
	PQclear(r);
	if (PQsetnonblocking(p->nb, 1) != 0 || PQenterPipelineMode(p->nb) != 1)
		return nb_lost(p, err, errlen);
	return 0;
}

static int
pg_connect(void *be, char *err, size_t errlen)
{
	return nb_open(be, err, errlen);
}

static int
pg_send_latest(void *be, const struct feat_store_key *k, uint64_t tag,
    char *err, size_t errlen)
{
	struct pstore *p = be;
	struct keyparams kp;

	if (nb_open(p, err, errlen) < 0)
		return -1;
	key_params(k, &kp);
	if (!PQsendQueryParams(p->nb, "SELECT " COLS " FROM "
	    "feat.feature_values WHERE " KEYMATCH " ORDER BY ts DESC, "
	    "created DESC LIMIT 1", 4, NULL, kp.v, NULL, NULL, 0) ||
	    !PQsendFlushRequest(p->nb))
		return nb_lost(p, err, errlen);
	ft_askq_push(&p->asked, k, tag, 0);
	return 0;
}

static int
pg_flush(void *be, char *err, size_t errlen)
{
	struct pstore *p = be;
	int rc;

	if (p->nb == NULL)
		return 0;
	if ((rc = PQflush(p->nb)) < 0)
		return nb_lost(p, err, errlen);
	return rc;
}

static int
pg_fd(void *be)
{
	struct pstore *p = be;

	return p->nb ? PQsocket(p->nb) : -1;
}

static long
pg_poll(void *be, ft_store_fields_fn ffn, feat_store_answer_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct pstore *p = be;
	unsigned gen = p->gen;
	long n = 0;

	(void)ffn;		/* rows come as lines */
	if (p->nb == NULL)
		return 0;
	/* Read even when nothing is asked: the server may have ended an
	   idle connection (idle_session_timeout, pg_terminate_backend), and
	   its end of file would stay readable. */
	if (p->asked.n == 0) {
		if (!PQconsumeInput(p->nb) || PQstatus(p->nb) == CONNECTION_BAD) {
			char lost[64];

			/* Nothing is lost: the next lookup connects again. */
			nb_lost(p, lost, sizeof lost);
		}
		return 0;
	}
	if (!PQconsumeInput(p->nb))
		return nb_lost(p, err, errlen);
	while (p->asked.n > 0 && !PQisBusy(p->nb)) {
		struct ft_asked *a = ft_askq_front(&p->asked);
		uint64_t tag = a->tag;
		PGresult *r = PQgetResult(p->nb);
		int found;

		if (r == NULL) {
			/* The end of one query's results. */
			if (!p->got)
				break;
			p->got = 0;
			ft_askq_pop(&p->asked);
			continue;
		}
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			char lost[64];

			snprintf(err, errlen, "store '%s': %s", p->uri,
			    PQresultErrorMessage(r));
			PQclear(r);
			return nb_lost(p, lost, sizeof lost);
		}
		found = PQntuples(r) > 0 && row_line(p, r, 0, 0) == 0;
		PQclear(r);
		p->got = 1;
		n++;
		fn(ctx, tag, found ? p->line.p : NULL, found ? p->line.len : 0);
		if (p->gen == gen)
			continue;
		/* A callback lost the connection (its call said so): what
		   else was read is for requests no longer asked. */
		if (p->nb != NULL)
			return n;	/* and opened another */
		snprintf(err, errlen, "store '%s': the connection was lost",
		    p->uri);
		return -1;
	}
	return n;
}

static size_t
pg_pending(const void *be)
{
	return ((const struct pstore *)be)->asked.n;
}

const struct ft_store_ops ft_store_pg = {
	"postgresql://", 1, pg_open, pg_close, pg_write, pg_latest, pg_as_of,
	pg_as_of_many, pg_history, pg_entity, pg_scan, pg_refresh, pg_stats,
	pg_compact, pg_send_latest, pg_flush, pg_fd, pg_poll, pg_pending,
	pg_mirror, pg_connect
};
