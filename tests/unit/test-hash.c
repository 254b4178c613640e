/*
 * test-hash.c - unit tests for lib/hash.c.  FNV-1a 64 ids are stored and
 * compared across runs and machines, so the published vectors must hold.
 * The longer vectors were computed independently in Python.
 *
 * Build: gcc -Ilib tests/unit/test-hash.c tests/unit/tap.c lib/hash.c
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "feat.h"
#include "tap.h"

/* One value of the open TAP point. */
static void
check_hash(const void *p, size_t n, uint64_t want, const char *what)
{
	uint64_t got = feat_fnv1a64(p, n);

	tap_check(got == want, "fnv1a64 of %s: got %016" PRIx64 ", want %016"
	    PRIx64, what, got, want);
}

int
main(void)
{
	static const char *line =
	    "{\"ts\":\"2024-11-16T18:15:46.680Z\",\"model\":\"gpt-4o\"}";
	unsigned char all[256];
	size_t i;

	tap_begin("hash-001", "empty input hashes to the FNV-1a 64 offset "
	    "basis");
	check_hash("", 0, UINT64_C(0xcbf29ce484222325), "\"\"");
	check_hash(NULL, 0, UINT64_C(0xcbf29ce484222325), "NULL, 0");
	tap_end();

	tap_begin("hash-002", "published and independently computed vectors");
	check_hash("a", 1, UINT64_C(0xaf63dc4c8601ec8c), "\"a\"");
	check_hash("foobar", 6, UINT64_C(0x85944171f73967e8), "\"foobar\"");
	check_hash(line, strlen(line), UINT64_C(0x53c529cc42b86848),
	    "an event line");
	tap_end();

	/* Every byte value, so that bytes >= 0x80 are not sign-extended. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	tap_begin("hash-003", "bytes 0..255 hash without sign extension");
	check_hash(all, sizeof(all), UINT64_C(0x4242dc5249c33625),
	    "bytes 0..255");
	tap_end();

	/* Only n bytes count: "foobar" with n = 1 is the hash of "f". */
	tap_begin("hash-004", "only the first n bytes count");
	check_hash("foobar", 1, UINT64_C(0xaf63db4c8601ead9), "\"foobar\", 1");
	tap_end();
	return tap_done();
}
