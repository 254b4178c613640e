/*
 * bench-yajl.c - the yajl parse-only baseline of scripts/bench (issue 9:
 * feat-window must run at 0.35x this rate or better).  Reads FILE in 1 MiB
 * blocks and hands each line to yajl with no callbacks, so the figure is
 * what a line of NDJSON costs to check and tokenise and nothing more: no
 * values kept, no strings unescaped, no output.  A line that is not valid
 * JSON ends it with exit 1, so the baseline cannot skip work.
 *
 * Usage: bench-yajl FILE   prints the number of lines parsed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	size_t have = 0, n;
	unsigned long lines = 0;
	yajl_handle h;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-yajl FILE\n");
		return 2;
	}
	if ((f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "bench-yajl: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	h = yajl_alloc(NULL, NULL, NULL);
	yajl_config(h, yajl_allow_multiple_values, 1);
	while ((n = fread(buf + have, 1, sizeof buf - have, f)) > 0 || have) {
		char *p = buf, *end = buf + have + n, *nl;

		have += n;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (yajl_parse(h, (unsigned char *)p, (size_t)(nl - p)) !=
			    yajl_status_ok) {
				fprintf(stderr, "bench-yajl: line %lu: invalid "
				    "JSON\n", lines + 1);
				return 1;
			}
			lines++;
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (n == 0 || have == sizeof buf) {
			if (have)
				fprintf(stderr, "bench-yajl: line %lu: %s\n",
				    lines + 1, n == 0 ? "no newline at the end" :
				    "longer than 1 MiB");
			return 1;
		}
		memmove(buf, p, have);
	}
	if (yajl_complete_parse(h) != yajl_status_ok) {
		fprintf(stderr, "bench-yajl: invalid JSON at the end\n");
		return 1;
	}
	yajl_free(h);
	fclose(f);
	printf("%lu\n", lines);
	return 0;
}
