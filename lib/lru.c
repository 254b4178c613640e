/*
 * lru.c - a bounded map from byte-string keys to fixed-size values, evicting
 * the least recently used key when full.  feat-extract's state (session
 * depths, request ids already seen) must stay bounded however long the
 * stream, and a key that comes back after eviction simply starts afresh.
 *
 * Open addressing with linear probing over indices into an entry array;
 * deletion shifts the following run back, so there are no tombstones.
 * Memory grows with the keys actually held, not with the bound.
 */
#include "feat-private.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

struct lentry {
	char *key;
	size_t keylen;
	uint64_t hash;
	uint32_t prev, next;	/* recency list: head is the most recent */
	uint32_t slot;		/* its index in the table */
};

struct ft_lru {
	size_t max, vsize, count;
	size_t cap;		/* entries allocated: grows up to max */
	struct lentry *e;	/* cap entries */
	unsigned char *values;	/* cap * vsize */
	uint32_t *table;	/* nslots, NIL when empty */
	size_t nslots;
	uint32_t head, tail, free_top;
	uint32_t *free_list;
	uint64_t seed;		/* of the hash: keys come from input */
};

#define FIRST_CAP 1024

/* Sizes the table for cap entries (at most half full) and refills it. */
static void
rehash(struct ft_lru *m)
{
	size_t mask;

	for (m->nslots = 16; m->nslots < m->cap * 2; m->nslots *= 2)
		;
	free(m->table);
	m->table = feat_xmalloc(m->nslots * sizeof *m->table);
	for (size_t i = 0; i < m->nslots; i++)
		m->table[i] = NIL;
	mask = m->nslots - 1;
	for (uint32_t i = m->head; i != NIL; i = m->e[i].next) {
		size_t s = m->e[i].hash & mask;

		while (m->table[s] != NIL)
			s = (s + 1) & mask;
		m->table[s] = i;
		m->e[i].slot = (uint32_t)s;
	}
}

static void
grow(struct ft_lru *m)
{
	size_t old = m->cap, cap = old ? old * 2 : FIRST_CAP;

	if (cap > m->max)
		cap = m->max;
	m->e = feat_xrealloc(m->e, cap * sizeof *m->e);
	m->values = feat_xrealloc(m->values, cap * (m->vsize ? m->vsize : 1));
	m->free_list = feat_xrealloc(m->free_list, cap *
	    sizeof *m->free_list);
	/* New entries go on the free list, lowest index on top. */
	for (size_t i = cap; i-- > old;)
		m->free_list[m->free_top++] = (uint32_t)i;
	m->cap = cap;
	rehash(m);
}

struct ft_lru *
ft_lru_new(size_t max, size_t vsize)
{
	struct ft_lru *m = feat_xcalloc(1, sizeof *m);

	if (max == 0)
		max = 1;
	if (max > NIL - 1)
		max = NIL - 1;
	m->max = max;
	m->vsize = vsize;
	m->seed = ft_hash_seed();
	m->head = m->tail = NIL;
	grow(m);
	return m;
}

void
ft_lru_free(struct ft_lru *m)
{
	if (m == NULL)
		return;
	for (uint32_t i = m->head; i != NIL; i = m->e[i].next)
		free(m->e[i].key);
	free(m->e);
	free(m->values);
	free(m->table);
	free(m->free_list);
	free(m);
}

size_t
ft_lru_count(const struct ft_lru *m)
{
	return m->count;
}

static void
unlink_entry(struct ft_lru *m, uint32_t i)
{
	struct lentry *x = &m->e[i];

	if (x->prev != NIL)
		m->e[x->prev].next = x->next;
	else
		m->head = x->next;
	if (x->next != NIL)
		m->e[x->next].prev = x->prev;
	else
		m->tail = x->prev;
}

static void
push_front(struct ft_lru *m, uint32_t i)
{
	m->e[i].prev = NIL;
	m->e[i].next = m->head;
	if (m->head != NIL)
		m->e[m->head].prev = i;
	m->head = i;
	if (m->tail == NIL)
		m->tail = i;
}

/* Removes table slot s and shifts the probe run after it back. */
static void
delete_slot(struct ft_lru *m, size_t s)
{
	size_t mask = m->nslots - 1, j = s;

	m->table[s] = NIL;
	for (;;) {
		uint32_t i;
		size_t home;

		j = (j + 1) & mask;
		if ((i = m->table[j]) == NIL)
			return;
		home = m->e[i].hash & mask;
		/* Move it back when s lies on its probe path home..j. */
		if ((j > s && (home <= s || home > j)) ||
		    (j < s && home <= s && home > j)) {
			m->table[s] = i;
			m->e[i].slot = (uint32_t)s;
			m->table[j] = NIL;
			s = j;
		}
	}
}

void *
ft_lru_get(struct ft_lru *m, const char *key, size_t n, int create,
    int *created)
{
	uint64_t h = ft_seeded_hash(m->seed, key, n);
	size_t mask = m->nslots - 1, s = h & mask;
	uint32_t i;

	if (created)
		*created = 0;
	for (; (i = m->table[s]) != NIL; s = (s + 1) & mask)
		if (m->e[i].hash == h && m->e[i].keylen == n &&
		    memcmp(m->e[i].key, key, n) == 0) {
			unlink_entry(m, i);
			push_front(m, i);
			return m->values + (size_t)i * m->vsize;
		}
	if (!create)
		return NULL;
	if (m->count == m->cap && m->cap < m->max) {
		grow(m);
		mask = m->nslots - 1;
		for (s = h & mask; m->table[s] != NIL; s = (s + 1) & mask)
			;
	} else if (m->count == m->max) {
		/* Evict the least recently used key to make room. */
		uint32_t old = m->tail;

		unlink_entry(m, old);
		delete_slot(m, m->e[old].slot);
		free(m->e[old].key);
		m->e[old].key = NULL;
		m->free_list[m->free_top++] = old;
		m->count--;
		/* The slot for the new key may have moved: probe again. */
		for (s = h & mask; m->table[s] != NIL; s = (s + 1) & mask)
			;
	}
	i = m->free_list[--m->free_top];
	m->e[i].key = feat_xstrndup(key, n);
	m->e[i].keylen = n;
	m->e[i].hash = h;
	m->e[i].slot = (uint32_t)s;
	m->table[s] = i;
	push_front(m, i);
	m->count++;
	memset(m->values + (size_t)i * m->vsize, 0, m->vsize);
	if (created)
		*created = 1;
	return m->values + (size_t)i * m->vsize;
}

void
ft_lru_foreach(const struct ft_lru *m,
    void (*fn)(void *ctx, const char *key, size_t n, void *value), void *ctx)
{
	/* Least recent first, so loading in this order restores recency. */
	for (uint32_t i = m->tail; i != NIL; i = m->e[i].prev)
		fn(ctx, m->e[i].key, m->e[i].keylen,
		    m->values + (size_t)i * m->vsize);
}
