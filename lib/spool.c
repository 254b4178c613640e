/*
 * spool.c - feat-load's --spool DIR: the batches a store could not take,
 * kept on disk until a later run gives them to it (feat-load(1)).
 *
 *	DIR/<store>/spool-000000001.ndjson	a batch, canonical records
 *	DIR/<store>/JOURNAL			what was spooled and replayed
 *	DIR/<store>/LOCK			one run at a time
 *
 * <store> is the store's URI with every byte but [A-Za-z0-9.-] written
 * '_', and a hash of it.  A batch file is written whole (a temporary
 * file, fsync, rename, fsync of the directory) before the batch counts as
 * spooled; it is removed only after the store acknowledged it.  The
 * journal has a line per event, so that what happened to every batch can
 * be checked.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store-private.h"

struct ft_spool {
	char *dir;		/* DIR/<store> */
	int lockfd;
	uint32_t next;		/* the next file's number */
	uint32_t *files;	/* waiting, oldest first */
	size_t nfiles;
	uint64_t spooled, records;	/* this run */
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
journal(struct ft_spool *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
journal(struct ft_spool *s, const char *fmt, ...)
{
	char name[4200], line[512], t[64];
	struct timespec now;
	va_list ap;
	int fd, n;

	clock_gettime(CLOCK_REALTIME, &now);
	feat_time_format((int64_t)now.tv_sec * FEAT_NS_PER_S + now.tv_nsec, t);
	n = snprintf(line, sizeof line, "%s ", t);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	snprintf(name, sizeof name, "%s/JOURNAL", s->dir);
	if ((fd = open(name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) < 0)
		return;
	(void)ft_write_all(fd, line, (size_t)n);
	(void)fsync(fd);
	close(fd);
}

struct ft_spool *
ft_spool_open(const char *dir, const char *uri,
    const struct feat_lock_wait *wait, char *err, size_t errlen)
{
	struct ft_spool *s = feat_xcalloc(1, sizeof *s);
	char sub[300], lock[4300];
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	for (const char *p = uri; *p && n < 200; p++)
		sub[n++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		    *p == '-') ? *p : '_';
	snprintf(sub + n, sizeof sub - n, "-%08" PRIx64,
	    feat_fnv1a64(uri, strlen(uri)) & 0xffffffffu);
	if ((mkdir(dir, 0777) != 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create spool '%s': %s", dir,
		    strerror(errno));
		free(s);
		return NULL;
	}
	s->dir = feat_xmalloc(strlen(dir) + strlen(sub) + 2);
	snprintf(s->dir, strlen(dir) + strlen(sub) + 2, "%s/%s", dir, sub);
	if (mkdir(s->dir, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create spool '%s': %s", s->dir,
		    strerror(errno));
		goto fail;
	}
	snprintf(lock, sizeof lock, "%s/LOCK", s->dir);
	if ((s->lockfd = ft_lock_file(lock, s->dir, wait, err, errlen)) < 0)
		goto fail;
	if ((d = opendir(s->dir)) == NULL) {
		snprintf(err, errlen, "cannot read spool '%s': %s", s->dir,
		    strerror(errno));
		close(s->lockfd);
		goto fail;
	}
	s->next = 1;
	while ((de = readdir(d)) != NULL) {
		unsigned no;
		char tail[16];

		if (sscanf(de->d_name, "spool-%9u.%15s", &no, tail) != 2 ||
		    strcmp(tail, "ndjson") != 0)
			continue;
		if (s->nfiles == cap) {
			cap = cap ? cap * 2 : 16;
			s->files = feat_xrealloc(s->files, cap *
			    sizeof *s->files);
		}
		s->files[s->nfiles++] = no;
		if (no >= s->next)
			s->next = no + 1;
	}
	closedir(d);
	if (s->nfiles > 1)
		qsort(s->files, s->nfiles, sizeof *s->files, cmp_u32);
	return s;
fail:
	free(s->dir);
	free(s);
	return NULL;
}

void
ft_spool_close(struct ft_spool *s)
{
	if (s == NULL)
		return;
	close(s->lockfd);
	free(s->files);
	free(s->dir);
	free(s);
}

const char *
ft_spool_dir(const struct ft_spool *s)
{
	return s->dir;
}

size_t
ft_spool_waiting(const struct ft_spool *s)
{
	return s->nfiles;
}

void
ft_spool_counts(const struct ft_spool *s, uint64_t *batches,
    uint64_t *records)
{
	*batches = s->spooled;
	*records = s->records;
}

int
ft_spool_put(struct ft_spool *s, const feat_store_batch *b, char *err,
    size_t errlen)
{
	char name[4300], tmp[4400];
	struct ft_buf text = { 0 };
	int fd, ok;

	for (size_t i = 0; i < b->n; i++)
		ft_buf_add(&text, b->text.p + b->recs[i].line,
		    b->recs[i].linelen);
	snprintf(name, sizeof name, "%s/spool-%09" PRIu32 ".ndjson", s->dir,
	    s->next);
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ok = fd >= 0 && ft_write_all(fd, text.p, text.len) == 0 &&
	    fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, name) != 0 ||
	    ft_fsync_dir(name, err, errlen) < 0) {
		if (err[0] == '\0' || ok)
			snprintf(err, errlen, "cannot spool a batch to '%s': "
			    "%s", name, strerror(errno));
		unlink(tmp);
		ft_buf_free(&text);
		return -1;
	}
	ft_buf_free(&text);
	journal(s, "spooled spool-%09" PRIu32 ".ndjson %zu records", s->next,
	    b->n);
	s->next++;
	s->spooled++;
	s->records += b->n;
	return 0;
}

int
ft_spool_next(struct ft_spool *s, uint32_t *no, struct ft_buf *text,
    char *err, size_t errlen)
{
	char name[4300];
	int fd;

	if (s->nfiles == 0)
		return 0;
	*no = s->files[0];
	snprintf(name, sizeof name, "%s/spool-%09" PRIu32 ".ndjson", s->dir,
	    *no);
	text->len = 0;
	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot read spooled '%s': %s", name,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n;

		ft_buf_grow(text, 65536);
		n = read(fd, text->p + text->len, text->cap - text->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read spooled '%s': %s",
			    name, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		text->len += (size_t)n;
	}
	close(fd);
	return 1;
}

void
ft_spool_done(struct ft_spool *s, uint32_t no, size_t records,
    const struct feat_store_written *w)
{
	char name[4300], e[256];

	snprintf(name, sizeof name, "%s/spool-%09" PRIu32 ".ndjson", s->dir,
	    no);
	journal(s, "replayed spool-%09" PRIu32 ".ndjson %zu records: %" PRIu64
	    " added, %" PRIu64 " already stored", no, records, w->added,
	    w->duplicates);
	unlink(name);
	(void)ft_fsync_dir(name, e, sizeof e);
	if (s->nfiles > 0 && s->files[0] == no) {
		memmove(s->files, s->files + 1, (s->nfiles - 1) *
		    sizeof *s->files);
		s->nfiles--;
	}
}

int
ft_spool_set_aside(struct ft_spool *s, uint32_t no, size_t bad)
{
	char name[4300], aside[4400], e[256];

	snprintf(name, sizeof name, "%s/spool-%09" PRIu32 ".ndjson", s->dir,
	    no);
	snprintf(aside, sizeof aside, "%s.damaged", name);
	if (rename(name, aside) != 0)
		return -1;
	(void)ft_fsync_dir(aside, e, sizeof e);
	journal(s, "damaged spool-%09" PRIu32 ".ndjson: %zu lines cannot be "
	    "read; kept as %s", no, bad, aside);
	if (s->nfiles > 0 && s->files[0] == no) {
		memmove(s->files, s->files + 1, (s->nfiles - 1) *
		    sizeof *s->files);
		s->nfiles--;
	}
	return 0;
}
