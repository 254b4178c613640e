/*
 * l1.c - feat-serve's in-process cache: the latest record of a key (as
 * lookup.c prepares it: read once, answered from without parsing),
 * bounded in bytes, with a time to live, evicting by CLOCK.
 *
 * One cache per server thread, so the read path takes no lock at all.
 * CLOCK (second chance) keeps hot keys: a hit only sets the entry's
 * referenced bit (no list to relink, so a hit costs a hash probe and a
 * store), and the hand that looks for room passes over a referenced entry
 * once, clearing its bit, before it may take it.  A key read again within
 * a turn of the hand survives; a key read once goes first.  An entry past
 * its time to live is not a hit, but it is kept (and said to be expired)
 * so that a server whose stores are all down still answers from it.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "feat-private.h"

#include <stdlib.h>
#include <string.h>

struct l1_entry {
	struct l1_entry *next;		/* in its bucket */
	uint64_t hash;
	int64_t stored;			/* monotonic ns */
	uint64_t gen;			/* the caller's, given with it */
	uint64_t serial;		/* of its put, never 0 */
	size_t keylen, linelen;
	unsigned char ref, tier;
	size_t slot;			/* in the clock ring */
	char data[];			/* key, then line, NUL-ended */
};

struct ft_l1 {
	size_t max_bytes, bytes;
	int64_t ttl;
	uint64_t seed;
	struct l1_entry **buckets;
	size_t nbuckets;
	struct l1_entry **ring;		/* entries, NULL for a free slot */
	size_t nring, ringcap, hand, count;
	uint64_t hits, misses, expired, evictions, inserts;
	uint64_t serials, last_serial;
};

/* What an entry costs, its bookkeeping included. */
static size_t
cost(size_t keylen, size_t linelen)
{
	return sizeof(struct l1_entry) + keylen + linelen + 1 +
	    2 * sizeof(void *);
}

struct ft_l1 *
ft_l1_new(size_t max_bytes, int64_t ttl)
{
	struct ft_l1 *c = feat_xcalloc(1, sizeof *c);

	c->max_bytes = max_bytes;
	c->ttl = ttl;
	c->seed = ft_hash_seed();
	c->nbuckets = 1024;
	c->buckets = feat_xcalloc(c->nbuckets, sizeof *c->buckets);
	return c;
}

void
ft_l1_free(struct ft_l1 *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nring; i++)
		free(c->ring[i]);
	free(c->ring);
	free(c->buckets);
	free(c);
}

static struct l1_entry **
find(struct ft_l1 *c, const char *key, size_t keylen, uint64_t h)
{
	struct l1_entry **p = &c->buckets[h & (c->nbuckets - 1)];

	for (; *p; p = &(*p)->next)
		if ((*p)->hash == h && (*p)->keylen == keylen &&
		    memcmp((*p)->data, key, keylen) == 0)
			return p;
	return p;
}

static void
unlink_entry(struct ft_l1 *c, struct l1_entry *e)
{
	struct l1_entry **p = find(c, e->data, e->keylen, e->hash);

	if (*p == e)
		*p = e->next;
	c->ring[e->slot] = NULL;
	c->bytes -= cost(e->keylen, e->linelen);
	c->count--;
	free(e);
}

static void
rehash(struct ft_l1 *c)
{
	size_t n = c->nbuckets * 2;
	struct l1_entry **b = feat_xcalloc(n, sizeof *b);

	for (size_t i = 0; i < c->nbuckets; i++)
		for (struct l1_entry *e = c->buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

/* Makes room for need bytes: the hand takes unreferenced entries. */
static void
evict(struct ft_l1 *c, size_t need)
{
	size_t turns = 0;

	while (c->bytes + need > c->max_bytes && c->count > 0) {
		struct l1_entry *e;

		if (c->hand >= c->nring) {
			c->hand = 0;
			if (++turns > 2)	/* every bit cleared twice */
				break;
		}
		e = c->ring[c->hand];
		if (e == NULL) {
			c->hand++;
			continue;
		}
		if (e->ref) {
			e->ref = 0;
			c->hand++;
			continue;
		}
		unlink_entry(c, e);
		c->evictions++;
		c->hand++;
	}
}

const void *
ft_l1_get(struct ft_l1 *c, const char *key, size_t keylen, int64_t now,
    size_t *linelen, int *tier, uint64_t *gen, int *expired, int64_t *age)
{
	uint64_t h;
	struct l1_entry *e;

	if (c == NULL || c->max_bytes == 0)
		return NULL;
	h = ft_seeded_hash(c->seed, key, keylen);
	e = *find(c, key, keylen, h);
	if (e == NULL) {
		c->misses++;
		return NULL;
	}
	e->ref = 1;
	c->last_serial = e->serial;
	*linelen = e->linelen;
	*tier = e->tier;
	*gen = e->gen;
	*age = now - e->stored;
	*expired = c->ttl > 0 && *age > c->ttl;
	if (*expired)
		c->expired++;
	else
		c->hits++;
	return e->data + keylen;
}

void
ft_l1_put(struct ft_l1 *c, const char *key, size_t keylen, const void *line,
    size_t linelen, int tier, uint64_t gen, int64_t now)
{
	uint64_t h;
	struct l1_entry **p, *e;
	size_t need = cost(keylen, linelen);

	if (c == NULL || c->max_bytes == 0 || need > c->max_bytes / 4 + 1)
		return;		/* one record never takes a quarter */
	h = ft_seeded_hash(c->seed, key, keylen);
	p = find(c, key, keylen, h);
	if (*p)
		unlink_entry(c, *p);
	evict(c, need);
	if (c->bytes + need > c->max_bytes)
		return;
	e = feat_xmalloc(sizeof *e + keylen + linelen + 1);
	e->hash = h;
	e->stored = now;
	e->gen = gen;
	e->serial = ++c->serials;
	e->keylen = keylen;
	e->linelen = linelen;
	e->ref = 0;
	e->tier = (unsigned char)tier;
	memcpy(e->data, key, keylen);
	memcpy(e->data + keylen, line, linelen);
	e->data[keylen + linelen] = '\0';
	/* A free slot of the ring, or a new one. */
	while (c->nring > 0 && c->ring[c->nring - 1] == NULL)
		c->nring--;
	if (c->count < c->nring) {
		size_t i = c->hand > 0 && c->hand <= c->nring ?
		    c->hand - 1 : 0;

		while (c->ring[i] != NULL)
			i = (i + 1) % c->nring;
		e->slot = i;
	} else {
		if (c->nring == c->ringcap) {
			c->ringcap = c->ringcap ? c->ringcap * 2 : 1024;
			c->ring = feat_xrealloc(c->ring, c->ringcap *
			    sizeof *c->ring);
		}
		e->slot = c->nring++;
	}
	c->ring[e->slot] = e;
	p = &c->buckets[h & (c->nbuckets - 1)];
	e->next = *p;
	*p = e;
	c->bytes += need;
	c->count++;
	c->inserts++;
	if (c->count > c->nbuckets)
		rehash(c);
}

uint64_t
ft_l1_last_serial(const struct ft_l1 *c)
{
	return c ? c->last_serial : 0;
}

void
ft_l1_stats(const struct ft_l1 *c, struct ft_l1_stats *st)
{
	memset(st, 0, sizeof *st);
	if (c == NULL)
		return;
	st->bytes = c->bytes;
	st->max_bytes = c->max_bytes;
	st->entries = c->count;
	st->hits = c->hits;
	st->misses = c->misses;
	st->expired = c->expired;
	st->evictions = c->evictions;
	st->inserts = c->inserts;
}
