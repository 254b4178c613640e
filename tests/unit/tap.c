/*
 * tap.c - the unit tests' TAP harness (tap.h).  Output goes to stdout,
 * unbuffered per line, so that a crash mid-test still shows every point
 * before it; the plan comes last ("1..N" after the points is valid TAP).
 */
#include "tap.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN 10	/* failures of one point shown before counting */

static unsigned points, failed_points;
static struct {
	int open;
	char id[64];
	char desc[256];
	unsigned long values, failures;
} cur;

static void
vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	/* A message must stay one TAP line. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	printf("%s%s\n", prefix, buf);
	fflush(stdout);
}

/*
 * A test line's text must stay one line, and a '#' in it would start a TAP
 * directive ("# SKIP" or "# TODO" turns a failure into a pass): newlines
 * become spaces and '#' is escaped as "\#", which TAP consumers honour.
 */
static void
put_text(const char *s)
{
	unsigned bslashes = 0;	/* run of backslashes just written */

	for (; *s; s++) {
		if (*s == '\n' || *s == '\r')
			putchar(' ');
		else if (*s == '#') {
			/* An odd run before "\#" would escape the escape. */
			if (bslashes % 2)
				putchar('\\');
			putchar('\\');
			putchar('#');
		} else
			putchar(*s);
		bslashes = *s == '\\' ? bslashes + 1 : 0;
	}
}

static void
emit(int pass, const char *id, const char *desc)
{
	points++;
	if (!pass)
		failed_points++;
	printf("%s %u - ", pass ? "ok" : "not ok", points);
	put_text(id);
	fputs(": ", stdout);
	put_text(desc);
	putchar('\n');
	fflush(stdout);
}

int
tap_ok(int cond, const char *id, const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	if (cur.open)
		tap_bail("tap_ok('%s') inside point '%s'", id, cur.id);
	va_start(ap, fmt);
	vsnprintf(desc, sizeof desc, fmt, ap);
	va_end(ap);
	emit(cond != 0, id, desc);
	return cond != 0;
}

void
tap_begin(const char *id, const char *fmt, ...)
{
	va_list ap;

	if (cur.open)
		tap_bail("tap_begin('%s') inside point '%s'", id, cur.id);
	memset(&cur, 0, sizeof cur);
	cur.open = 1;
	snprintf(cur.id, sizeof cur.id, "%s", id);
	va_start(ap, fmt);
	vsnprintf(cur.desc, sizeof cur.desc, fmt, ap);
	va_end(ap);
}

int
tap_check(int cond, const char *fmt, ...)
{
	va_list ap;

	if (!cur.open)
		tap_bail("tap_check outside a point");
	cur.values++;
	if (cond)
		return 1;
	if (cur.failures++ < SHOWN) {
		char prefix[96];

		snprintf(prefix, sizeof prefix, "# %s: ", cur.id);
		va_start(ap, fmt);
		vline(prefix, fmt, ap);
		va_end(ap);
	}
	return 0;
}

int
tap_end(void)
{
	char desc[320];
	int pass = cur.failures == 0 && cur.values > 0;

	if (!cur.open)
		tap_bail("tap_end outside a point");
	if (cur.values == 0)
		tap_diag("%s: no values were checked", cur.id);
	if (cur.failures > SHOWN)
		tap_diag("%s: %lu more failures not shown", cur.id,
		    cur.failures - SHOWN);
	snprintf(desc, sizeof desc, "%s (%lu value%s%s)", cur.desc, cur.values,
	    cur.values == 1 ? "" : "s", pass ? "" : ", failed");
	cur.open = 0;
	emit(pass, cur.id, desc);
	return pass;
}

int
tap_check_int(int64_t got, int64_t want, const char *what)
{
	return tap_check(got == want, "%s: got %" PRId64 ", want %" PRId64,
	    what, got, want);
}

int
tap_check_str(const char *got, const char *want, const char *what)
{
	int same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	return tap_check(same, "%s: got '%s', want '%s'", what,
	    got ? got : "(null)", want ? want : "(null)");
}

int
tap_check_near(double got, double want, double tol, const char *what)
{
	int same = (isnan(got) && isnan(want)) || fabs(got - want) <= tol ||
	    got == want;

	return tap_check(same, "%s: got %.17g, want %.17g (tolerance %g)",
	    what, got, want, tol);
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

void
tap_bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("Bail out! ", fmt, ap);
	va_end(ap);
	exit(1);
}

int
tap_done(void)
{
	if (cur.open)
		tap_bail("point '%s' never closed", cur.id);
	if (points == 0)
		tap_bail("no test points");
	printf("1..%u\n", points);
	fflush(stdout);
	return failed_points ? 1 : 0;
}
