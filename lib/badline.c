/*
 * badline.c - what happens to a bad input line (SPEC 2): --on-error=fail
 * stops the tool, skip counts the line, quarantine:FILE appends it to FILE
 * as {"_error":{"file","line","reason","bytes"},"raw":"..."} and goes on.
 * Bad lines never crash a tool and never silently disappear.
 *
 * Quarantined lines are staged, not written at once: the tool driver
 * commits them (appends them to FILE and syncs it) only after the output
 * they belong with is safely written, so a run that fails with exit 4 and
 * is retried over the same input quarantines each line once.  The stage is
 * memory up to STAGE_MEM bytes, then an unlinked temporary file beside
 * FILE (or in $TMPDIR), so a stream of bad lines never grows the process.
 * FILE that is no regular file (a pipe, /dev/stderr) cannot take back what
 * it was given: its lines are written at once.  A commit holds an flock
 * on FILE, so that two runs appending to one file never cut each other's
 * lines when one of them has to take its part back.
 */
#include "feat-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE_MEM (1024 * 1024)

struct ft_badlines {
	enum feat_onerror mode;
	char *qpath;
	int qfd;		/* FILE, opened for appending */
	struct stat qst;	/* its identity, to refuse it as an input */
	int spill;		/* staged lines past STAGE_MEM; -1: none */
	struct ft_buf stage;	/* staged lines in memory */
	int pending;		/* something staged */
	int committed;		/* every staged line reached FILE */
	int direct;		/* FILE is no regular file: no staging */
	unsigned long count;
	struct ft_buf line;
};

struct ft_badlines *
ft_badlines_new(const char *spec, char *err, size_t errlen)
{
	struct ft_badlines *b = feat_xcalloc(1, sizeof *b);

	b->qfd = b->spill = -1;
	b->committed = 1;
	if (spec == NULL || strcmp(spec, "fail") == 0)
		b->mode = FEAT_ONERROR_FAIL;
	else if (strcmp(spec, "skip") == 0)
		b->mode = FEAT_ONERROR_SKIP;
	else if (strncmp(spec, "quarantine:", 11) == 0 && spec[11] != '\0') {
		b->mode = FEAT_ONERROR_QUARANTINE;
		b->qpath = feat_xstrdup(spec + 11);
		/* Appended to, so a second run never loses the first's. */
		b->qfd = open(b->qpath, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0644);
		if (b->qfd < 0 || fstat(b->qfd, &b->qst) != 0) {
			snprintf(err, errlen, "cannot open '%s': %s", b->qpath,
			    strerror(errno));
			ft_badlines_free(b);
			return NULL;
		}
		b->direct = !S_ISREG(b->qst.st_mode);
	} else {
		snprintf(err, errlen, "invalid --on-error '%s': use fail, skip "
		    "or quarantine:FILE", spec);
		free(b);
		return NULL;
	}
	return b;
}

void
ft_badlines_free(struct ft_badlines *b)
{
	if (b == NULL)
		return;
	if (b->qfd >= 0)
		close(b->qfd);
	if (b->spill >= 0)
		close(b->spill);
	ft_buf_free(&b->stage);
	ft_buf_free(&b->line);
	free(b->qpath);
	free(b);
}

enum feat_onerror
ft_badlines_mode(const struct ft_badlines *b)
{
	return b->mode;
}

const char *
ft_badlines_path(const struct ft_badlines *b)
{
	return b->qpath;
}

unsigned long
ft_badlines_count(const struct ft_badlines *b)
{
	return b->count;
}

int
ft_badlines_pending(const struct ft_badlines *b)
{
	return b->pending;
}

int
ft_badlines_committed(const struct ft_badlines *b)
{
	return b->committed && !b->pending;
}

int
ft_badlines_same_file(const struct ft_badlines *b, const struct stat *st)
{
	return b->qfd >= 0 && S_ISREG(b->qst.st_mode) &&
	    b->qst.st_dev == st->st_dev && b->qst.st_ino == st->st_ino;
}

/* An unlinked file beside FILE for what does not fit in memory. */
static int
open_spill(struct ft_badlines *b, char *err, size_t errlen)
{
	struct ft_buf name = { 0 };

	ft_buf_add(&name, b->qpath, strlen(b->qpath));
	ft_buf_add(&name, ".stage.XXXXXX", 14);
	b->spill = mkstemp(name.p);
	if (b->spill < 0) {
		/* FILE's directory may not take another file: $TMPDIR may. */
		const char *t = getenv("TMPDIR");

		name.len = 0;
		ft_buf_printf(&name, "%s/feat-quarantine.XXXXXX",
		    t && *t ? t : "/tmp");
		ft_buf_addc(&name, '\0');
		b->spill = mkstemp(name.p);
	}
	if (b->spill < 0) {
		snprintf(err, errlen, "cannot stage quarantine lines beside "
		    "'%s': %s", b->qpath, strerror(errno));
		ft_buf_free(&name);
		return -1;
	}
	unlink(name.p);
	ft_buf_free(&name);
	return 0;
}

int
ft_badlines_add(struct ft_badlines *b, const char *file, unsigned long lineno,
    const char *reason, const char *raw, size_t rawlen, size_t bytes,
    char *err, size_t errlen)
{
	char num[32];
	int n;

	b->count++;
	if (b->mode == FEAT_ONERROR_FAIL)
		return 1;
	if (b->mode == FEAT_ONERROR_SKIP)
		return 0;
	b->line.len = 0;
	ft_buf_add(&b->line, "{\"_error\":{\"file\":", 18);
	ft_json_quote_raw(&b->line, file, strlen(file));
	n = snprintf(num, sizeof num, ",\"line\":%lu", lineno);
	ft_buf_add(&b->line, num, (size_t)n);
	ft_buf_add(&b->line, ",\"reason\":", 10);
	ft_json_quote_raw(&b->line, reason, strlen(reason));
	n = snprintf(num, sizeof num, ",\"bytes\":%zu", bytes);
	ft_buf_add(&b->line, num, (size_t)n);
	ft_buf_add(&b->line, "},\"raw\":", 8);
	ft_json_quote_raw(&b->line, raw, rawlen < FEAT_RAW_MAX ? rawlen :
	    FEAT_RAW_MAX);
	ft_buf_add(&b->line, "}\n", 2);

	if (b->direct) {
		if (ft_write_all(b->qfd, b->line.p, b->line.len) < 0) {
			snprintf(err, errlen, "cannot write '%s': %s", b->qpath,
			    strerror(errno));
			b->committed = 0;
			return -1;
		}
		return 0;
	}
	b->pending = 1;
	if (b->spill < 0 && b->stage.len + b->line.len <= STAGE_MEM) {
		ft_buf_add(&b->stage, b->line.p, b->line.len);
		return 0;
	}
	if (b->spill < 0 && open_spill(b, err, errlen) < 0)
		return -1;
	if (ft_write_all(b->spill, b->line.p, b->line.len) < 0) {
		snprintf(err, errlen, "cannot stage quarantine lines for "
		    "'%s': %s", b->qpath, strerror(errno));
		return -1;
	}
	return 0;
}

int
ft_badlines_commit(struct ft_badlines *b, char *err, size_t errlen)
{
	char buf[65536];
	off_t off = 0, before;
	int e;

	if (b == NULL || !b->pending)
		return 0;
	b->committed = 0;
	while (flock(b->qfd, LOCK_EX) != 0 && errno == EINTR)
		continue;
	before = lseek(b->qfd, 0, SEEK_END);
	if (ft_write_all(b->qfd, b->stage.p, b->stage.len) < 0)
		goto fail;
	if (b->spill >= 0) {
		for (;;) {
			ssize_t n = pread(b->spill, buf, sizeof buf, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				goto fail;
			if (n == 0)
				break;
			if (ft_write_all(b->qfd, buf, (size_t)n) < 0)
				goto fail;
			off += n;
		}
	}
	if (fsync(b->qfd) != 0 && errno != EINVAL)
		goto fail;
	b->stage.len = 0;
	if (b->spill >= 0) {
		close(b->spill);
		b->spill = -1;
	}
	b->pending = 0;
	b->committed = 1;
	flock(b->qfd, LOCK_UN);
	return 0;
fail:
	/*
	 * All or nothing: a part that reached FILE is cut off again, and
	 * everything stays staged for the next commit.
	 */
	e = errno;
	if (before >= 0 && ftruncate(b->qfd, before) != 0) {
		/* The part stays; the next commit may repeat it. */
	}
	flock(b->qfd, LOCK_UN);
	snprintf(err, errlen, "cannot write '%s': %s", b->qpath,
	    strerror(e));
	return -1;
}
