/*
 * store-private.h - what the store interface (store.c) and its backends
 * (store-dir.c, ...) share: the backend table and the batch.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#ifndef FEAT_STORE_PRIVATE_H
#define FEAT_STORE_PRIVATE_H

#include "feat-private.h"

/* One record of a batch: its line and its key in b->text. */
struct ft_batch_rec {
	size_t line, linelen;	/* the canonical line, with its LF */
	size_t key, keylen;	/* "etype\0eid\0group\0" */
	long version;
	int64_t ts, created;	/* created INT64_MIN: none */
	int tombstone;
};

struct feat_store_batch {
	struct ft_buf text;
	struct ft_batch_rec *recs;
	size_t n, cap;
	feat_writer *w;		/* into memory */
};

struct ft_store_ops {
	const char *scheme;	/* "dir:" */
	int keeps_history;
	void *(*open)(const char *rest, const struct feat_store_opts *o,
	    char *err, size_t errlen);
	int (*close)(void *be, char *err, size_t errlen);
	int (*write)(void *be, const feat_store_batch *b,
	    struct feat_store_written *out, char *err, size_t errlen);
	int (*latest)(void *be, const struct feat_store_key *k,
	    feat_store_fn fn, void *ctx, char *err, size_t errlen);
	int (*as_of)(void *be, const struct feat_store_key *k, int64_t t,
	    int no_future_created, feat_store_fn fn, void *ctx, char *err,
	    size_t errlen);
	/* NULL: as_of for each */
	int (*as_of_many)(void *be, const struct feat_store_query *q,
	    size_t n, int no_future_created, feat_store_at_fn fn, void *ctx,
	    char *err, size_t errlen);
	long (*history)(void *be, const struct feat_store_key *k,
	    feat_store_fn fn, void *ctx, char *err, size_t errlen);
	long (*entity)(void *be, const char *etype, const char *eid,
	    size_t eidlen, feat_store_fn fn, void *ctx, char *err,
	    size_t errlen);
	long (*scan)(void *be, feat_store_fn fn, void *ctx, char *err,
	    size_t errlen);
	int (*refresh)(void *be, char *err, size_t errlen);
	int (*stats)(void *be, struct feat_store_stats *st, char *err,
	    size_t errlen);
	int (*compact)(void *be, int64_t retention, uint64_t *dropped,
	    char *err, size_t errlen);
};

extern const struct ft_store_ops ft_store_dir;

/* "etype\0eid\0group\0" for k into buf (at least 3 * 4096 bytes);
   its length. */
size_t ft_store_key_bytes(const struct feat_store_key *k, char *buf,
    size_t cap);

#endif
