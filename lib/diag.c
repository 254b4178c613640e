/*
 * diag.c - diagnostics for the tools: "feat-x: message" and
 * "feat-x: FILE:LINE: message" on stderr.  The library proper never prints;
 * these are the only functions that write to stderr, so every tool words
 * its messages the same way.
 */
#include "feat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *progname = "feat";

void
feat_diag_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash ? slash + 1 : argv0;
	/* libtool's uninstalled wrappers run "lt-feat-x". */
	if (strncmp(progname, "lt-", 3) == 0)
		progname += 3;
}

const char *
feat_progname(void)
{
	return progname;
}

/*
 * The message, then one line on stderr.  Control bytes in it (a file name
 * or a value with a newline or an escape sequence) are written \xNN, so
 * that input can neither forge a second diagnostic line nor drive the
 * terminal.
 */
static void
vwarn(const char *file, unsigned long line, const char *fmt, va_list ap)
{
	char buf[4096], out[4 * sizeof buf + 2];
	size_t o = 0;
	int n;

	if (file != NULL)
		n = snprintf(buf, sizeof buf, "%s: %s:%lu: ", progname, file,
		    line);
	else
		n = snprintf(buf, sizeof buf, "%s: ", progname);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof buf)
		vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
		if (*p < 0x20 || *p == 0x7F) {
			static const char hex[] = "0123456789abcdef";

			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else
			out[o++] = (char)*p;
	}
	out[o++] = '\n';
	fflush(stdout);
	/* One write: lines from tools sharing a stderr never interleave. */
	if (write(STDERR_FILENO, out, o) < 0) {
		/* Nowhere left to say it. */
	}
}

void
feat_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(NULL, 0, fmt, ap);
	va_end(ap);
}

void
feat_warn_at(const char *file, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(file, line, fmt, ap);
	va_end(ap);
}

void
feat_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(NULL, 0, fmt, ap);
	va_end(ap);
	exit(status);
}
