/*
 * test-hash.c - unit tests for lib/hash.c.  FNV-1a 64 ids are stored and
 * compared across runs and machines, so the published vectors must hold.
 * The longer vectors were computed independently in Python.
 *
 * Build: gcc -Ilib tests/unit/test-hash.c lib/hash.c
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "feat.h"

static int passed, failed;

static void
check_hash(const void *p, size_t n, uint64_t want, const char *what)
{
	uint64_t got = feat_fnv1a64(p, n);

	if (got == want) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL: fnv1a64 of %s: got %016" PRIx64 ", want %016" PRIx64
	    "\n", what, got, want);
}

int
main(void)
{
	static const char *line =
	    "{\"ts\":\"2024-11-16T18:15:46.680Z\",\"model\":\"gpt-4o\"}";
	unsigned char all[256];
	size_t i;

	check_hash("", 0, UINT64_C(0xcbf29ce484222325), "\"\"");
	check_hash(NULL, 0, UINT64_C(0xcbf29ce484222325), "NULL, 0");
	check_hash("a", 1, UINT64_C(0xaf63dc4c8601ec8c), "\"a\"");
	check_hash("foobar", 6, UINT64_C(0x85944171f73967e8), "\"foobar\"");
	check_hash(line, strlen(line), UINT64_C(0x53c529cc42b86848),
	    "an event line");
	/* Every byte value, so that bytes >= 0x80 are not sign-extended. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	check_hash(all, sizeof(all), UINT64_C(0x4242dc5249c33625),
	    "bytes 0..255");
	/* Only n bytes count: "foobar" with n = 1 is the hash of "f". */
	check_hash("foobar", 1, UINT64_C(0xaf63db4c8601ead9), "\"foobar\", 1");
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
