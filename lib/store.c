/*
 * store.c - the store interface: a URI picks the backend; batches of
 * records in canonical form on their way in.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

struct feat_store {
	const struct ft_store_ops *ops;
	void *be;
	char *uri;
	/* A write under way on a thread of its own (write_start). */
	pthread_t th;
	int busy, threaded;
	const feat_store_batch *wb;
	struct feat_store_written wout;
	int wrc;
	char werr[512];
	/* Lookups answered at once (a store without its own queue). */
	struct ready {
		uint64_t tag;
		char *line;		/* NULL: none */
		size_t len;
	} *ready;
	size_t nready, readycap;
};

static const struct ft_store_ops *const backends[] = {
	&ft_store_dir, &ft_store_pg, &ft_store_redis
};

/* postgres:// is libpq's other spelling. */
static const char *
canonical(const char *uri, char *buf, size_t len)
{
	if (strncmp(uri, "postgres://", 11) == 0) {
		snprintf(buf, len, "postgresql://%s", uri + 11);
		return buf;
	}
	return uri;
}

/* uri without its password (scheme://user:PASSWORD@..., password=...),
   for messages and metrics. */
char *
ft_store_redact(const char *uri)
{
	const char *scheme = strstr(uri, "://"), *at, *colon, *pw;
	char *out;

	if (scheme && (at = strrchr(scheme + 3, '@')) != NULL &&
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3))) !=
	    NULL) {
		size_t n = (size_t)(colon - uri), m = strlen(at);

		out = feat_xmalloc(n + m + 1);
		memcpy(out, uri, n);
		memcpy(out + n, at, m + 1);
		return out;
	}
	if ((pw = strstr(uri, "password=")) != NULL) {
		const char *end = pw + 9;

		while (*end && *end != ' ' && *end != '&')
			end++;
		out = feat_xmalloc(strlen(uri) + 1);
		memcpy(out, uri, (size_t)(pw - uri));
		snprintf(out + (pw - uri), strlen(uri) + 1 - (size_t)(pw - uri),
		    "password=***%s", end);
		return out;
	}
	return feat_xstrdup(uri);
}

char *
ft_store_scrub(const char *msg, const char *uri)
{
	const char *scheme = strstr(uri, "://"), *at, *colon, *pw = NULL;
	size_t pwlen = 0;
	struct ft_buf b = { 0 };

	if (scheme && (at = strrchr(scheme + 3, '@')) != NULL &&
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3))) !=
	    NULL) {
		pw = colon + 1;
		pwlen = (size_t)(at - pw);
	} else if ((pw = strstr(uri, "password=")) != NULL) {
		pw += 9;
		while (pw[pwlen] && pw[pwlen] != ' ' && pw[pwlen] != '&')
			pwlen++;
	}
	for (const char *p = msg; *p;) {
		if (pwlen > 0 && strncmp(p, pw, pwlen) == 0) {
			ft_buf_add(&b, "***", 3);
			p += pwlen;
		} else
			ft_buf_addc(&b, *p++);
	}
	ft_buf_addc(&b, '\0');
	return b.p;
}

/* [:PASSWORD@]HOST[:PORT][/DB] */
static int
redis_uri_ok(const char *rest)
{
	const char *at = strrchr(rest, '@'), *p = at ? at + 1 : rest;
	size_t host = strcspn(p, ":/");
	char *end;
	long v;

	if (host == 0)
		return 0;
	p += host;
	if (*p == ':') {
		v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v < 1 || v > 65535)
			return 0;
		p = end;
	}
	if (*p == '/' && p[1]) {
		v = strtol(p + 1, &end, 10);
		if (end == p + 1 || *end || v < 0)
			return 0;
		return 1;
	}
	return *p == '\0' || (*p == '/' && p[1] == '\0');
}

int
feat_store_check_uri(const char *uri, char *err, size_t errlen)
{
	char buf[4096];

	uri = canonical(uri, buf, sizeof buf);
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
		size_t n = strlen(backends[i]->scheme);

		if (strncmp(uri, backends[i]->scheme, n) != 0)
			continue;
		if (backends[i] == &ft_store_redis && !redis_uri_ok(uri + n))
			break;
		if (uri[n] != '\0' || backends[i] == &ft_store_pg)
			return 0;
		snprintf(err, errlen, "invalid store '%s': use dir:PATH, "
		    "redis://HOST:PORT or postgresql://...", uri);
		return -1;
	}
	{
		char *shown = ft_store_redact(uri);

		snprintf(err, errlen, "invalid store '%s': use dir:PATH, "
		    "redis://[:PASSWORD@]HOST:PORT[/DB] or postgresql://...",
		    shown);
		free(shown);
	}
	return -1;
}

feat_store *
feat_store_open(const char *uri, const struct feat_store_opts *o, char *err,
    size_t errlen)
{
	static const struct feat_store_opts none;
	struct feat_store *s;

	char buf[4096];

	if (o == NULL)
		o = &none;
	uri = canonical(uri, buf, sizeof buf);
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
		const struct ft_store_ops *ops = backends[i];
		size_t n = strlen(ops->scheme);
		void *be;

		if (strncmp(uri, ops->scheme, n) != 0)
			continue;
		if ((be = ops->open(uri + n, o, err, errlen)) == NULL)
			return NULL;
		s = feat_xcalloc(1, sizeof *s);
		s->ops = ops;
		s->be = be;
		s->uri = ft_store_redact(uri);
		return s;
	}
	(void)feat_store_check_uri(uri, err, errlen);
	return NULL;
}

int
feat_store_close(feat_store *s, char *err, size_t errlen)
{
	struct feat_store_written w;
	int rc;

	if (s == NULL)
		return 0;
	if (s->busy)
		(void)feat_store_write_finish(s, &w, err, errlen);
	rc = s->ops->close(s->be, err, errlen);
	for (size_t i = 0; i < s->nready; i++)
		free(s->ready[i].line);
	free(s->ready);
	free(s->uri);
	free(s);
	return rc;
}

const char *
feat_store_uri(const feat_store *s)
{
	return s->uri;
}

int
feat_store_has_history(const feat_store *s)
{
	return s->ops->keeps_history;
}

int
feat_store_write(feat_store *s, const feat_store_batch *b,
    struct feat_store_written *out, char *err, size_t errlen)
{
	struct feat_store_written none;

	if (out == NULL)
		out = &none;
	memset(out, 0, sizeof *out);
	if (b->n == 0)
		return 0;
	return s->ops->write(s->be, b, out, err, errlen);
}

static int
check_key(const struct feat_store_key *k, char *err, size_t errlen)
{
	if (feat_record_check_name(k->entity_type) < 0) {
		snprintf(err, errlen, "invalid entity type '%s': use "
		    "[a-z0-9_]+", k->entity_type);
		return -1;
	}
	if (k->group && feat_record_check_name(k->group) < 0) {
		snprintf(err, errlen, "invalid group '%s': use [a-z0-9_]+",
		    k->group);
		return -1;
	}
	return feat_record_check_id(k->entity_id, k->entity_id_len, err,
	    errlen);
}

static void *
write_thread(void *arg)
{
	feat_store *s = arg;

	s->wrc = s->ops->write(s->be, s->wb, &s->wout, s->werr,
	    sizeof s->werr);
	return NULL;
}

void
feat_store_write_start(feat_store *s, const feat_store_batch *b)
{
	memset(&s->wout, 0, sizeof s->wout);
	s->werr[0] = '\0';
	s->wb = b;
	s->busy = 1;
	s->wrc = 0;
	if (b->n == 0)
		s->threaded = 0;
	else if ((s->threaded = pthread_create(&s->th, NULL, write_thread,
	    s) == 0) == 0)
		write_thread(s);	/* no thread: now, then */
}

int
feat_store_write_finish(feat_store *s, struct feat_store_written *out,
    char *err, size_t errlen)
{
	if (!s->busy) {
		memset(out, 0, sizeof *out);
		return 0;
	}
	if (s->threaded)
		pthread_join(s->th, NULL);
	s->busy = s->threaded = 0;
	*out = s->wout;
	if (s->wrc < 0)
		snprintf(err, errlen, "%s", s->werr);
	return s->wrc;
}

/* ---- non-blocking lookups ------------------------------------------------- */

void
ft_askq_push(struct ft_askq *a, const struct feat_store_key *k, uint64_t tag,
    int internal)
{
	struct ft_asked *e;
	size_t et = strlen(k->entity_type), g = strlen(k->group);

	if (a->n == a->cap) {
		struct ft_asked *q = feat_xcalloc(a->cap ? a->cap * 2 : 64,
		    sizeof *q);

		for (size_t i = 0; i < a->n; i++)
			q[i] = a->q[(a->head + i) % a->cap];
		free(a->q);
		a->q = q;
		a->cap = a->cap ? a->cap * 2 : 64;
		a->head = 0;
	}
	e = &a->q[(a->head + a->n++) % a->cap];
	e->tag = tag;
	e->internal = internal;
	e->version = k->version > 0 ? k->version : 1;
	e->etype = feat_xmalloc(et + 1 + k->entity_id_len + 1 + g + 1);
	memcpy(e->etype, k->entity_type, et + 1);
	e->eid = e->etype + et + 1;
	memcpy(e->eid, k->entity_id, k->entity_id_len);
	e->eid[k->entity_id_len] = '\0';
	e->eidlen = k->entity_id_len;
	e->group = e->eid + k->entity_id_len + 1;
	memcpy(e->group, k->group, g + 1);
}

struct ft_asked *
ft_askq_front(struct ft_askq *a)
{
	return a->n ? &a->q[a->head] : NULL;
}

void
ft_askq_pop(struct ft_askq *a)
{
	if (a->n == 0)
		return;
	free(a->q[a->head].etype);
	a->head = (a->head + 1) % a->cap;
	a->n--;
}

void
ft_askq_free(struct ft_askq *a)
{
	while (a->n)
		ft_askq_pop(a);
	free(a->q);
	memset(a, 0, sizeof *a);
}

static int
keep_ready(void *ctx, const char *line, size_t len)
{
	struct ready *r = ctx;

	r->line = feat_xmalloc(len + 1);
	memcpy(r->line, line, len);
	r->line[len] = '\0';
	r->len = len;
	return 0;
}

int
feat_store_send_latest(feat_store *s, const struct feat_store_key *k,
    uint64_t tag, char *err, size_t errlen)
{
	struct ready *r;

	if (check_key(k, err, errlen) < 0)
		return -1;
	if (s->ops->send_latest)
		return s->ops->send_latest(s->be, k, tag, err, errlen);
	if (s->nready == s->readycap) {
		s->readycap = s->readycap ? s->readycap * 2 : 16;
		s->ready = feat_xrealloc(s->ready, s->readycap *
		    sizeof *s->ready);
	}
	r = &s->ready[s->nready];
	memset(r, 0, sizeof *r);
	r->tag = tag;
	if (s->ops->latest(s->be, k, keep_ready, r, err, errlen) < 0) {
		free(r->line);
		return -1;
	}
	s->nready++;
	return 0;
}

int
feat_store_flush(feat_store *s, char *err, size_t errlen)
{
	return s->ops->flush ? s->ops->flush(s->be, err, errlen) : 0;
}

int
ft_store_connect(feat_store *s, char *err, size_t errlen)
{
	return s->ops->connect ? s->ops->connect(s->be, err, errlen) : 0;
}

int
feat_store_fd(feat_store *s)
{
	return s->ops->fd ? s->ops->fd(s->be) : -1;
}

long
feat_store_poll(feat_store *s, feat_store_answer_fn fn, void *ctx, char *err,
    size_t errlen)
{
	return ft_store_poll_fields(s, NULL, fn, ctx, err, errlen);
}

long
ft_store_poll_fields(feat_store *s, ft_store_fields_fn ffn,
    feat_store_answer_fn fn, void *ctx, char *err, size_t errlen)
{
	long n;

	if (s->ops->poll)
		return s->ops->poll(s->be, ffn, fn, ctx, err, errlen);
	n = (long)s->nready;
	for (size_t i = 0; i < s->nready; i++) {
		fn(ctx, s->ready[i].tag, s->ready[i].line, s->ready[i].len);
		free(s->ready[i].line);
	}
	s->nready = 0;
	return n;
}

size_t
feat_store_pending(const feat_store *s)
{
	return s->ops->pending ? s->ops->pending(s->be) : s->nready;
}

int
feat_store_latest(feat_store *s, const struct feat_store_key *k,
    feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	if (check_key(k, err, errlen) < 0)
		return -1;
	return s->ops->latest(s->be, k, fn, ctx, err, errlen);
}

static int
no_history(const feat_store *s, char *err, size_t errlen)
{
	snprintf(err, errlen, "store '%s' keeps no history: use a dir: or "
	    "postgresql:// store", s->uri);
	return -1;
}

int
feat_store_as_of(feat_store *s, const struct feat_store_key *k, int64_t t,
    int no_future_created, feat_store_fn fn, void *ctx, char *err,
    size_t errlen)
{
	if (!s->ops->keeps_history)
		return no_history(s, err, errlen);
	if (check_key(k, err, errlen) < 0)
		return -1;
	return s->ops->as_of(s->be, k, t, no_future_created, fn, ctx, err,
	    errlen);
}

struct one_of_many {
	feat_store_at_fn fn;
	void *ctx;
	size_t i;
};

static int
one_found(void *ctx, const char *line, size_t len)
{
	struct one_of_many *o = ctx;

	return o->fn(o->ctx, o->i, line, len);
}

int
feat_store_as_of_many(feat_store *s, const struct feat_store_query *q,
    size_t n, int no_future_created, feat_store_at_fn fn, void *ctx,
    char *err, size_t errlen)
{
	struct one_of_many o = { fn, ctx, 0 };
	char bad[256];

	if (!s->ops->keeps_history)
		return no_history(s, err, errlen);
	if (s->ops->as_of_many)
		return s->ops->as_of_many(s->be, q, n, no_future_created, fn,
		    ctx, err, errlen);
	for (o.i = 0; o.i < n; o.i++) {
		int rc;

		if (check_key(&q[o.i].key, bad, sizeof bad) < 0)
			continue;
		err[0] = '\0';
		rc = s->ops->as_of(s->be, &q[o.i].key, q[o.i].t,
		    no_future_created, one_found, &o, err, errlen);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
feat_store_mirror_catalog(feat_store *s, const feat_catalog *cat, char *err,
    size_t errlen)
{
	return s->ops->mirror ? s->ops->mirror(s->be, cat, err, errlen) : 0;
}

long
feat_store_history(feat_store *s, const struct feat_store_key *k,
    feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	if (!s->ops->keeps_history)
		return no_history(s, err, errlen);
	if (check_key(k, err, errlen) < 0)
		return -1;
	return s->ops->history(s->be, k, fn, ctx, err, errlen);
}

long
feat_store_entity(feat_store *s, const char *entity_type,
    const char *entity_id, size_t entity_id_len, feat_store_fn fn, void *ctx,
    char *err, size_t errlen)
{
	struct feat_store_key k = { entity_type, entity_id, entity_id_len,
	    NULL, 1 };

	if (check_key(&k, err, errlen) < 0)
		return -1;
	return s->ops->entity(s->be, entity_type, entity_id, entity_id_len,
	    fn, ctx, err, errlen);
}

long
feat_store_scan(feat_store *s, feat_store_fn fn, void *ctx, char *err,
    size_t errlen)
{
	if (!s->ops->keeps_history)
		return no_history(s, err, errlen);
	return s->ops->scan(s->be, fn, ctx, err, errlen);
}

int
feat_store_refresh(feat_store *s, char *err, size_t errlen)
{
	return s->ops->refresh ? s->ops->refresh(s->be, err, errlen) : 0;
}

int
feat_store_stats(feat_store *s, struct feat_store_stats *st, char *err,
    size_t errlen)
{
	memset(st, 0, sizeof *st);
	st->oldest_ts = st->newest_ts = INT64_MIN;
	return s->ops->stats(s->be, st, err, errlen);
}

int
feat_store_compact(feat_store *s, int64_t retention, uint64_t *dropped,
    char *err, size_t errlen)
{
	uint64_t none;

	if (dropped == NULL)
		dropped = &none;
	*dropped = 0;
	if (s->ops->compact == NULL)
		return 0;
	return s->ops->compact(s->be, retention, dropped, err, errlen);
}

size_t
ft_store_key_bytes(const struct feat_store_key *k, char *buf, size_t cap)
{
	size_t a = strlen(k->entity_type), c = strlen(k->group);
	size_t n = a + 1 + k->entity_id_len + 1 + c + 1;

	if (n > cap)
		return 0;
	memcpy(buf, k->entity_type, a + 1);
	memcpy(buf + a + 1, k->entity_id, k->entity_id_len);
	buf[a + 1 + k->entity_id_len] = '\0';
	memcpy(buf + a + 2 + k->entity_id_len, k->group, c + 1);
	return n;
}

/* ---- batches --------------------------------------------------------------- */

uint8_t *
ft_batch_duplicates(const feat_store_batch *b)
{
	uint8_t *dup = feat_xcalloc(b->n ? b->n : 1, 1);
	size_t cap = 16, *slot;
	uint64_t seed = ft_hash_seed();

	while (cap < b->n * 2)
		cap *= 2;
	slot = feat_xcalloc(cap, sizeof *slot);
	for (size_t i = 0; i < b->n; i++) {
		const struct ft_batch_rec *r = &b->recs[i];
		uint64_t h = ft_seeded_hash(seed, b->text.p + r->key,
		    r->keylen) ^ (uint64_t)r->ts * 31 ^
		    (uint64_t)r->created * 17 ^ (uint64_t)r->version * 7 ^
		    (uint64_t)r->tombstone;

		for (size_t j = h & (cap - 1);; j = (j + 1) & (cap - 1)) {
			const struct ft_batch_rec *o;

			if (slot[j] == 0) {
				slot[j] = i + 1;
				break;
			}
			o = &b->recs[slot[j] - 1];
			if (o->ts == r->ts && o->created == r->created &&
			    o->version == r->version &&
			    o->tombstone == r->tombstone &&
			    o->keylen == r->keylen && memcmp(b->text.p +
			    o->key, b->text.p + r->key, r->keylen) == 0) {
				dup[i] = 1;
				break;
			}
		}
	}
	free(slot);
	return dup;
}

feat_store_batch *
feat_store_batch_new(void)
{
	struct feat_store_batch *b = feat_xcalloc(1, sizeof *b);

	b->w = feat_writer_new(-1, 0);
	return b;
}

void
feat_store_batch_free(feat_store_batch *b)
{
	if (b == NULL)
		return;
	feat_writer_close(b->w);
	ft_buf_free(&b->text);
	free(b->recs);
	free(b);
}

void
feat_store_batch_clear(feat_store_batch *b)
{
	b->text.len = 0;
	b->n = 0;
}

size_t
feat_store_batch_count(const feat_store_batch *b)
{
	return b->n;
}

int
feat_store_batch_add(feat_store_batch *b, const feat_record *r,
    const feat_catalog *cat, int tombstone, int64_t now, char *err,
    size_t errlen)
{
	const struct feat_record_head *h = feat_record_get_head(r);
	struct ft_buf *wb = ft_writer_buf(b->w);
	struct ft_batch_rec *br;
	int tomb = tombstone || h->tombstone;
	struct ft_record_spans sp;
	size_t a, c;

	if (feat_record_check_name(h->entity_type) < 0 ||
	    feat_record_check_name(h->group) < 0 ||
	    feat_record_check_id(h->entity_id, h->entity_id_len, err,
	    errlen) < 0) {
		if (feat_record_check_name(h->entity_type) < 0)
			snprintf(err, errlen, "invalid entity type '%s'",
			    h->entity_type);
		else if (feat_record_check_name(h->group) < 0)
			snprintf(err, errlen, "invalid group '%s'", h->group);
		return -1;
	}
	ft_writer_clear(b->w);
	if (ft_record_write(b->w, r, cat, tomb, tomb && !h->has_created ?
	    now : INT64_MIN, &sp) < 0) {
		snprintf(err, errlen, "cannot write the record: %s",
		    feat_writer_error(b->w));
		ft_writer_clear(b->w);
		return -1;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->recs = feat_xrealloc(b->recs, b->cap * sizeof *b->recs);
	}
	br = &b->recs[b->n++];
	br->line = b->text.len;
	br->linelen = wb->len;
	ft_buf_add(&b->text, wb->p, wb->len);
	a = strlen(h->entity_type);
	c = strlen(h->group);
	br->key = b->text.len;
	br->keylen = a + 1 + h->entity_id_len + 1 + c + 1;
	ft_buf_add(&b->text, h->entity_type, a + 1);
	ft_buf_add(&b->text, h->entity_id, h->entity_id_len);
	ft_buf_addc(&b->text, '\0');
	ft_buf_add(&b->text, h->group, c + 1);
	br->version = h->version > 0 ? h->version : 1;
	br->ts = h->ts;
	br->created = h->has_created ? h->created : tomb ? now : INT64_MIN;
	br->tombstone = tomb;
	br->sp = sp;
	ft_writer_clear(b->w);
	return 0;
}
