/*
 * store.c - the store interface: a URI picks the backend; batches of
 * records in canonical form on their way in.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store-private.h"

struct feat_store {
	const struct ft_store_ops *ops;
	void *be;
	char *uri;
};

static const struct ft_store_ops *const backends[] = {
	&ft_store_dir,
};

int
feat_store_check_uri(const char *uri, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
		size_t n = strlen(backends[i]->scheme);

		if (strncmp(uri, backends[i]->scheme, n) != 0)
			continue;
		if (uri[n] != '\0')
			return 0;
		snprintf(err, errlen, "invalid store '%s': name a directory, "
		    "dir:PATH", uri);
		return -1;
	}
	if (strncmp(uri, "redis://", 8) == 0 ||
	    strncmp(uri, "postgresql://", 13) == 0 ||
	    strncmp(uri, "postgres://", 11) == 0)
		snprintf(err, errlen, "store '%s': this build has only dir: "
		    "stores", uri);
	else
		snprintf(err, errlen, "invalid store '%s': use dir:PATH, "
		    "redis://HOST:PORT or postgresql://...", uri);
	return -1;
}

feat_store *
feat_store_open(const char *uri, const struct feat_store_opts *o, char *err,
    size_t errlen)
{
	static const struct feat_store_opts none;
	struct feat_store *s;

	if (o == NULL)
		o = &none;
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
		s->uri = feat_xstrdup(uri);
		return s;
	}
	(void)feat_store_check_uri(uri, err, errlen);
	return NULL;
}

int
feat_store_close(feat_store *s, char *err, size_t errlen)
{
	int rc;

	if (s == NULL)
		return 0;
	rc = s->ops->close(s->be, err, errlen);
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
	    now : INT64_MIN) < 0) {
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
	ft_writer_clear(b->w);
	return 0;
}
