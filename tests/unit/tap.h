/*
 * tap.h - the one harness of feat's C unit tests: Test Anything Protocol
 * output that automake's tap-driver reads, one test point per stable id.
 *
 * A test point has an id that never changes meaning ("time-014") and a
 * short description; a failure names both, so a red run says which
 * property broke, not which line number of a loop.  A point may cover many
 * values (a table, ten million random doubles): open it with tap_begin,
 * feed each value's verdict to tap_check, close it with tap_end, and it
 * counts as one point whose diagnostics show the first failures only.
 *
 *   tap_begin("time-001", "RFC 3339 offsets parse exactly");
 *   for (...) tap_check(got == want, "'%s': got %lld", in, got);
 *   tap_end();
 *   tap_ok(x == 1, "lru-002", "the newest key survives eviction");
 *   return tap_done();
 */
#ifndef FEAT_TAP_H
#define FEAT_TAP_H

#include <stddef.h>
#include <stdint.h>

/* One test point: "ok N - ID: DESCRIPTION" or "not ok ...". */
int tap_ok(int cond, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A point over many values. */
void tap_begin(const char *id, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One value of the open point; a failure's message goes to diagnostics
   (the first 10 of a point are shown, the rest counted). */
int tap_check(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Closes the point; returns whether every value passed. */
int tap_end(void);

/* Typed checks of the open point; failures say got and want. */
int tap_check_int(int64_t got, int64_t want, const char *what);
int tap_check_str(const char *got, const char *want, const char *what);
/* |got - want| <= tol (NaN equals NaN). */
int tap_check_near(double got, double want, double tol, const char *what);

/* "# message" on stdout, outside any point. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Skips the rest: "1..N # SKIP reason" is never used by feat (a test that
   cannot run fails); tap_bail stops with "Bail out!" and exit 1. */
void tap_bail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* Prints the plan ("1..N") and returns the exit status for main. */
int tap_done(void);

#endif /* FEAT_TAP_H */
