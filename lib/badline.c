/*
 * badline.c - what happens to a bad input line: --on-error=fail stops the
 * tool, skip counts it, quarantine:FILE appends it to FILE as
 * {"_error":{"file","line","reason","bytes"},"raw":"..."} and goes on.
 * Bad lines never crash a tool and never silently disappear.
 */
#include "feat-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct feat_badlines {
	enum feat_onerror mode;
	FILE *q;
	char *qpath;
	unsigned long count;
	struct ft_buf buf;
};

feat_badlines *
feat_badlines_new(const char *spec, char *err, size_t errlen)
{
	struct feat_badlines *b;

	b = feat_xcalloc(1, sizeof *b);
	if (spec == NULL || strcmp(spec, "fail") == 0)
		b->mode = FEAT_ONERROR_FAIL;
	else if (strcmp(spec, "skip") == 0)
		b->mode = FEAT_ONERROR_SKIP;
	else if (strncmp(spec, "quarantine:", 11) == 0 && spec[11] != '\0') {
		b->mode = FEAT_ONERROR_QUARANTINE;
		b->qpath = feat_xstrdup(spec + 11);
		/* Appended to, so a second run never loses the first's. */
		b->q = fopen(b->qpath, "a");
		if (b->q == NULL) {
			snprintf(err, errlen, "cannot open '%s': %s", b->qpath,
			    strerror(errno));
			free(b->qpath);
			free(b);
			return NULL;
		}
	} else {
		snprintf(err, errlen, "invalid --on-error '%s': use fail, skip "
		    "or quarantine:FILE", spec);
		free(b);
		return NULL;
	}
	return b;
}

enum feat_onerror
feat_badlines_mode(const feat_badlines *b)
{
	return b->mode;
}

const char *
feat_badlines_path(const feat_badlines *b)
{
	return b->qpath;
}

unsigned long
feat_badlines_count(const feat_badlines *b)
{
	return b->count;
}

int
feat_badlines_add(feat_badlines *b, const char *file, unsigned long lineno,
    const char *reason, const char *raw, size_t rawlen, size_t bytes)
{
	char num[32];
	int n;

	b->count++;
	if (b->mode == FEAT_ONERROR_FAIL)
		return 1;
	if (b->mode == FEAT_ONERROR_SKIP)
		return 0;
	b->buf.len = 0;
	ft_buf_add(&b->buf, "{\"_error\":{\"file\":", 18);
	ft_json_quote_raw(&b->buf, file, strlen(file));
	n = snprintf(num, sizeof num, ",\"line\":%lu", lineno);
	ft_buf_add(&b->buf, num, (size_t)n);
	ft_buf_add(&b->buf, ",\"reason\":", 10);
	ft_json_quote_raw(&b->buf, reason, strlen(reason));
	n = snprintf(num, sizeof num, ",\"bytes\":%zu", bytes);
	ft_buf_add(&b->buf, num, (size_t)n);
	ft_buf_add(&b->buf, "},\"raw\":", 8);
	ft_json_quote_raw(&b->buf, raw, rawlen < FEAT_RAW_MAX ? rawlen :
	    FEAT_RAW_MAX);
	ft_buf_add(&b->buf, "}\n", 2);
	if (fwrite(b->buf.p, 1, b->buf.len, b->q) != b->buf.len)
		return -1;
	return 0;
}

int
feat_badlines_close(feat_badlines *b)
{
	int rc = 0;

	if (b == NULL)
		return 0;
	if (b->q && fclose(b->q) != 0)
		rc = -1;
	ft_buf_free(&b->buf);
	free(b->qpath);
	free(b);
	return rc;
}
