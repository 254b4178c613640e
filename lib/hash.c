/*
 * hash.c - FNV-1a 64, the one hash feat uses for identities.
 *
 * It derives request ids from a line's bytes (SPEC §3.1), so its output is
 * part of the data format: it must be the published FNV-1a 64 bit for bit
 * on every platform, which is why it works on bytes and fixed-width
 * unsigned arithmetic only (the wrap-around at 2^64 is the algorithm).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "feat-private.h"

#include <sys/random.h>
#include <time.h>

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME  UINT64_C(0x100000001b3)

uint64_t
feat_fnv1a64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = FNV64_OFFSET;

	while (n-- > 0) {
		h ^= *s++;
		h *= FNV64_PRIME;
	}
	return h;
}

/*
 * The secret seed of a hash table keyed by input (ft_seeded_hash), so that
 * keys crafted to collide offline do not collide in this process.
 */
uint64_t
ft_hash_seed(void)
{
	uint64_t s = 0;
	struct timespec ts;

	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
		/* No entropy yet (early boot): the clock and the address. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
		    (uint64_t)(uintptr_t)&ts;
	}
	return s;
}
