/*
 * test-lru.c - the bounded LRU map: lookups, recency, eviction of the least
 * recently used key, and a randomised comparison with a simple model.
 */
#include "feat-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* One value of the open TAP point. */
#define CHECK(cond) tap_check((cond), "line %d: %s", __LINE__, #cond)

static uint64_t
next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct order {
	char keys[8][8];
	int n;
};

static void
collect(void *ctx, const char *key, size_t n, void *value)
{
	struct order *o = ctx;

	(void)value;
	memcpy(o->keys[o->n], key, n);
	o->keys[o->n][n] = '\0';
	o->n++;
}

int
main(void)
{
	struct ft_lru *m = ft_lru_new(3, sizeof(long));
	long *v;
	int created;

	tap_begin("lru-001", "get creates a zeroed value, then finds it");
	v = ft_lru_get(m, "a", 1, 1, &created);
	CHECK(v && created && *v == 0);
	*v = 1;
	v = ft_lru_get(m, "b", 1, 1, &created);
	*v = 2;
	v = ft_lru_get(m, "c", 1, 1, &created);
	*v = 3;
	CHECK(ft_lru_count(m) == 3);
	v = ft_lru_get(m, "a", 1, 1, &created);	/* a is now the most recent */
	CHECK(v && !created && *v == 1);
	tap_end();

	tap_begin("lru-002", "a new key evicts the least recently used one");
	v = ft_lru_get(m, "d", 1, 1, &created);	/* evicts b */
	CHECK(created && ft_lru_count(m) == 3);
	CHECK(ft_lru_get(m, "b", 1, 0, NULL) == NULL);
	CHECK(ft_lru_get(m, "c", 1, 0, NULL) != NULL);
	tap_end();
	{
		struct order o = { .n = 0 };

		ft_lru_foreach(m, collect, &o);
		tap_ok(o.n == 3 && strcmp(o.keys[0], "a") == 0 &&
		    strcmp(o.keys[1], "d") == 0 && strcmp(o.keys[2], "c") == 0,
		    "lru-003", "foreach visits the keys least recently used "
		    "first");
	}
	ft_lru_free(m);

	/*
	 * Random operations against a model: an array of (key, last use).
	 * Small: with 50 possible keys and room for 20, eviction happens
	 * often.  Large: room for 3000 makes the map grow twice on the way.
	 */
	for (int round = 0; round < 2; round++) {
		int keys = round ? 6000 : 50, max = round ? 3000 : 20;
		long ops = round ? 40000 : 200000;
		long *last_use = calloc((size_t)keys, sizeof *last_use);
		long *value = calloc((size_t)keys, sizeof *value);
		int *present = calloc((size_t)keys, sizeof *present);
		int count = 0;
		uint64_t seed = 42;

		tap_begin(round ? "lru-005" : "lru-004", "random operations "
		    "agree with a model: %d keys, room for %d%s", keys, max,
		    round ? ", the map grows" : ", frequent eviction");
		m = ft_lru_new((size_t)max, sizeof(long));
		for (long t = 1; t <= ops; t++) {
			int k = (int)(next(&seed) % (uint64_t)keys), lru = -1;
			char key[16];
			size_t n = (size_t)snprintf(key, sizeof key, "key-%d", k);

			v = ft_lru_get(m, key, n, 1, &created);
			if (present[k]) {
				tap_check(!created && *v == value[k],
				    "op %ld: %s should be found with %ld", t,
				    key, value[k]);
			} else {
				if (count == max) {
					for (int i = 0; i < keys; i++)
						if (present[i] && (lru < 0 ||
						    last_use[i] < last_use[lru]))
							lru = i;
					present[lru] = 0;
					count--;
				}
				tap_check(created && *v == 0,
				    "op %ld: %s should be created zeroed", t,
				    key);
				present[k] = 1;
				count++;
			}
			*v = value[k] = t;
			last_use[k] = t;
		}
		for (int i = 0; i < keys; i++) {
			char key[16];
			size_t n = (size_t)snprintf(key, sizeof key, "key-%d", i);

			tap_check((ft_lru_get(m, key, n, 0, NULL) != NULL) ==
			    present[i], "at the end: %s should be %s", key,
			    present[i] ? "present" : "absent");
		}
		CHECK(ft_lru_count(m) == (size_t)count && count == max);
		tap_end();
		ft_lru_free(m);
		free(last_use);
		free(value);
		free(present);
	}

	return tap_done();
}
