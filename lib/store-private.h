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
	struct ft_record_spans sp;	/* within the line */
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
	/* Non-blocking lookups (NULL: answered at once by latest) */
	int (*send_latest)(void *be, const struct feat_store_key *k,
	    uint64_t tag, char *err, size_t errlen);
	int (*flush)(void *be, char *err, size_t errlen);
	int (*fd)(void *be);
	long (*poll)(void *be, ft_store_fields_fn ffn,
	    feat_store_answer_fn fn, void *ctx, char *err, size_t errlen);
	size_t (*pending)(const void *be);
	/* NULL: the store keeps no catalog */
	int (*mirror)(void *be, const feat_catalog *cat, char *err,
	    size_t errlen);
	/* Opens the lookups' connection now, if connecting blocks: NULL
	   when it does not (or there is none) */
	int (*connect)(void *be, char *err, size_t errlen);
};

extern const struct ft_store_ops ft_store_dir;
extern const struct ft_store_ops ft_store_pg;
extern const struct ft_store_ops ft_store_redis;

/* The queue of requests sent and not yet answered (server stores). */
struct ft_asked {
	uint64_t tag;
	char *etype, *eid, *group;	/* one allocation, etype first */
	size_t eidlen;
	long version;
	int internal;			/* AUTH, SELECT: not the caller's */
};
struct ft_askq {
	struct ft_asked *q;
	size_t head, n, cap;
};
void ft_askq_push(struct ft_askq *a, const struct feat_store_key *k,
    uint64_t tag, int internal);
struct ft_asked *ft_askq_front(struct ft_askq *a);
void ft_askq_pop(struct ft_askq *a);
void ft_askq_free(struct ft_askq *a);

/* Marks (1) each record of b equal to an earlier one in key, ts,
   created and kind (free it). */
uint8_t *ft_batch_duplicates(const feat_store_batch *b);

/* uri without its password, for messages (free it). */
char *ft_store_redact(const char *uri);
/* msg with uri's password, wherever it appears, as *** (free it). */
char *ft_store_scrub(const char *msg, const char *uri);

/* ---- feat-load's spool (spool.c) ---- */
struct ft_spool;
/* The spool of the store uri under dir, locked for this run (waiting as
   wait says); NULL with err. */
struct ft_spool *ft_spool_open(const char *dir, const char *uri,
    const struct feat_lock_wait *wait, char *err, size_t errlen);
void ft_spool_close(struct ft_spool *s);
const char *ft_spool_dir(const struct ft_spool *s);
/* Batches waiting from earlier runs. */
size_t ft_spool_waiting(const struct ft_spool *s);
/* Batches and records spooled by this run. */
void ft_spool_counts(const struct ft_spool *s, uint64_t *batches,
    uint64_t *records);
/* Writes b durably as the next batch: 0, or -1 with err. */
int ft_spool_put(struct ft_spool *s, const feat_store_batch *b, char *err,
    size_t errlen);
/* The oldest waiting batch's lines into text: 1 with *no, 0 when none,
   -1 with err. */
int ft_spool_next(struct ft_spool *s, uint32_t *no, struct ft_buf *text,
    char *err, size_t errlen);
/* Batch no has bad lines: renamed *.damaged, journalled; 0 or -1. */
int ft_spool_set_aside(struct ft_spool *s, uint32_t no, size_t bad);
/* Batch no was stored (w says how): removed, and journalled. */
void ft_spool_done(struct ft_spool *s, uint32_t no, size_t records,
    const struct feat_store_written *w);

/* "etype\0eid\0group\0" for k into buf (at least 3 * 4096 bytes);
   its length. */
size_t ft_store_key_bytes(const struct feat_store_key *k, char *buf,
    size_t cap);

#endif
