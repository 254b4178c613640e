/*
 * clock.c - "now", once for the whole library.  The wall clock gives
 * created, freshness and staleness; $FEAT_NOW (RFC 3339) replaces it so that
 * tests and replays produce the same bytes twice.  It is read when the clock
 * is made, never again: a thread that changed the environment later could
 * not make two records of one run disagree, and getenv stays off the hot
 * path.  Timers and deadlines use the monotonic clock, never $FEAT_NOW.
 */
#include "feat-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

feat_clock *
feat_clock_new(char *err, size_t errlen)
{
	struct feat_clock *c = feat_xcalloc(1, sizeof *c);
	const char *env = getenv("FEAT_NOW");

	/*
	 * A value that does not parse is an error, not a silent fall back
	 * to the system clock that would make a run quietly irreproducible.
	 */
	if (env != NULL && *env != '\0') {
		if (feat_time_parse(env, strlen(env), &c->now) < 0) {
			snprintf(err, errlen, "invalid FEAT_NOW '%s': use RFC "
			    "3339, such as 2024-11-17T00:00:00Z", env);
			free(c);
			return NULL;
		}
		c->fixed = 1;
	}
	return c;
}

void
feat_clock_free(feat_clock *c)
{
	free(c);
}

int
feat_clock_fixed(const feat_clock *c)
{
	return c->fixed;
}

int64_t
feat_clock_now(const feat_clock *c)
{
	struct timespec ts;

	if (c != NULL && c->fixed)
		return c->now;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * FEAT_NS_PER_S + ts.tv_nsec;
}

int64_t
feat_clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * FEAT_NS_PER_S + ts.tv_nsec;
}
