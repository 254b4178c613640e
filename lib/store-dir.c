/*
 * store-dir.c - dir:PATH, the embedded store: no server, a directory.
 *
 *	PATH/seg-000000001.ndjson.gz	segments: gzip members, 64 KiB of
 *					lines each, a batch's together
 *	PATH/MANIFEST			the segments and their committed sizes
 *	PATH/LOCK			flock(2): one writer at a time
 *	PATH/INDEX			the index below, as a writer left it
 *
 * A batch is its gzip members appended to the last segment (a new one past
 * SEG_MAX bytes) at its committed size, fsynced, and then acknowledged by
 * rewriting MANIFEST atomically with the new size: a crash before the
 * rename leaves bytes past the committed size, which the next writer cuts
 * off; readers never read past it.  A member that ends early or fails its
 * CRC inside the committed size (a torn tail: a disk that lost the end of
 * a file) is reported and ignored with everything after it in that
 * segment; the next writer cuts the segment there.  MANIFEST's first lines
 * give the format and a generation, which compaction increases: a reader
 * that sees a new generation reads the store again from the start.
 *
 * Every handle holds an index of the store in memory, built from the
 * segments on open and kept up to date by refresh: per key (entity type,
 * id, group, version) every record's ts, created and place (segment,
 * member, line), sorted by (ts, created).  32 bytes a stored record.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "store-private.h"

#define SEG_MAX		((uint64_t)256 << 20)	/* a new segment past this */
#define READ_CHUNK	(256 * 1024)
#define TOMB		UINT32_C(0x80000000)

struct dent {
	int64_t ts, created;
	uint64_t off;		/* the member's offset in its segment */
	uint32_t seg;		/* segment number */
	uint32_t line;		/* line in the member; TOMB: a tombstone */
};

struct dkey {
	char *key;		/* "etype\0eid\0group\0" */
	size_t keylen;
	long version;
	uint64_t hash;
	struct dent *e;		/* sorted by (ts, created, kind) */
	uint32_t n, cap;
	uint8_t *keep;		/* compaction's marks */
};

struct dseg {
	uint32_t no;
	uint64_t committed;	/* MANIFEST's size */
	uint64_t good;		/* read so far: the end of the last good member */
	int torn;		/* good < committed and said so */
	int fd1;		/* its descriptor + 1, 0 when not open: kept, so
				   that a compaction's unlink cannot take the
				   segment from under a reader */
};

struct dstore {
	char *path;
	int write;
	int dirty;		/* wrote or compacted: save INDEX at close */
	int strays_said;
	int locked;		/* holds PATH/LOCK (writing) */
	struct feat_lock_wait lock;
	void (*notice)(void *ctx, const char *msg);
	void *ctx;

	struct dkey **tab;	/* open addressing */
	size_t tabcap, nkeys;
	uint64_t seed;

	struct dseg *segs;
	size_t nsegs, segcap;
	uint64_t generation;
	struct ft_buf mtext;	/* MANIFEST as last read: a reader compares
				   contents (an inode and an mtime can repeat) */
	int have_mst;

	uint64_t records, tombstones;
	int64_t oldest, newest;

	feat_record_reader *rr;
	z_stream zs;
	int zs_ready;
	unsigned char *in;
	struct ft_buf member;	/* a member, inflated */
	uint32_t cache_seg;	/* which one member holds (cache_off+1: 0 none) */
	uint64_t cache_off;
	size_t *lines;		/* line starts in member */
	size_t nlines, linecap;
};

static void
say(struct dstore *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
say(struct dstore *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (d->notice)
		d->notice(d->ctx, msg);
	else
		feat_warn("%s", msg);
}

static void
seg_name(char *buf, size_t len, const struct dstore *d, uint32_t no)
{
	snprintf(buf, len, "%s/seg-%09" PRIu32 ".ndjson.gz", d->path, no);
}

/* ---- the index ------------------------------------------------------------- */

static uint64_t
key_hash(const struct dstore *d, const char *key, size_t keylen,
    long version)
{
	return ft_seeded_hash(d->seed, key, keylen) ^
	    ((uint64_t)version * UINT64_C(0x9E3779B97F4A7C15));
}

static struct dkey **
slot(struct dstore *d, const char *key, size_t keylen, long version,
    uint64_t h)
{
	size_t mask = d->tabcap - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		struct dkey *k = d->tab[i];

		if (k == NULL || (k->hash == h && k->version == version &&
		    k->keylen == keylen && memcmp(k->key, key, keylen) == 0))
			return &d->tab[i];
	}
}

static struct dkey *
find_key(struct dstore *d, const char *key, size_t keylen, long version)
{
	if (d->tabcap == 0)
		return NULL;
	return *slot(d, key, keylen, version, key_hash(d, key, keylen,
	    version));
}

static struct dkey *
get_key(struct dstore *d, const char *key, size_t keylen, long version)
{
	uint64_t h = key_hash(d, key, keylen, version);
	struct dkey **s, *k;

	if ((d->nkeys + 1) * 4 > d->tabcap * 3) {
		struct dkey **old = d->tab;
		size_t oldcap = d->tabcap;

		d->tabcap = oldcap ? oldcap * 2 : 1024;
		d->tab = feat_xcalloc(d->tabcap, sizeof *d->tab);
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				*slot(d, old[i]->key, old[i]->keylen,
				    old[i]->version, old[i]->hash) = old[i];
		free(old);
	}
	s = slot(d, key, keylen, version, h);
	if (*s)
		return *s;
	k = feat_xcalloc(1, sizeof *k);
	k->key = feat_xmalloc(keylen);
	memcpy(k->key, key, keylen);
	k->keylen = keylen;
	k->version = version;
	k->hash = h;
	d->nkeys++;
	return *s = k;
}

static int
dent_cmp(int64_t ts, int64_t created, int tomb, const struct dent *e)
{
	int et = (e->line & TOMB) != 0;

	if (ts != e->ts)
		return ts < e->ts ? -1 : 1;
	if (created != e->created)
		return created < e->created ? -1 : 1;
	return tomb - et;
}

/* Where (ts, created, tomb) goes in k->e; *found when it is there. */
static uint32_t
dent_find(const struct dkey *k, int64_t ts, int64_t created, int tomb,
    int *found)
{
	uint32_t lo = 0, hi = k->n;

	*found = 0;
	/* Mostly appended in order: try the end first. */
	if (k->n > 0) {
		int c = dent_cmp(ts, created, tomb, &k->e[k->n - 1]);

		if (c > 0)
			return k->n;
		if (c == 0) {
			*found = 1;
			return k->n - 1;
		}
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = dent_cmp(ts, created, tomb, &k->e[mid]);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void
dent_insert(struct dstore *d, struct dkey *k, uint32_t at,
    const struct dent *e)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 2;
		k->e = feat_xrealloc(k->e, k->cap * sizeof *k->e);
	}
	memmove(&k->e[at + 1], &k->e[at], (k->n - at) * sizeof *k->e);
	k->e[at] = *e;
	k->n++;
	if (e->line & TOMB)
		d->tombstones++;
	else
		d->records++;
	if (d->oldest == INT64_MIN || e->ts < d->oldest)
		d->oldest = e->ts;
	if (d->newest == INT64_MIN || e->ts > d->newest)
		d->newest = e->ts;
}

/* Adds one stored line to the index; -1 when it cannot be read. */
static int
index_line(struct dstore *d, const char *line, size_t len, uint32_t seg,
    uint64_t off, uint32_t lineno)
{
	const struct feat_record_head *h;
	const feat_record *r;
	struct feat_error e;
	struct dent de;
	struct dkey *k;
	char key[3 * 4096];
	size_t a, c, n;
	uint32_t at;
	int found;

	if (feat_record_read(d->rr, line, len, &r, &e) < 0)
		return -1;
	h = feat_record_get_head(r);
	a = strlen(h->entity_type);
	c = strlen(h->group);
	n = a + 1 + h->entity_id_len + 1 + c + 1;
	if (n > sizeof key)
		return -1;
	memcpy(key, h->entity_type, a + 1);
	memcpy(key + a + 1, h->entity_id, h->entity_id_len);
	key[a + 1 + h->entity_id_len] = '\0';
	memcpy(key + a + 2 + h->entity_id_len, h->group, c + 1);
	k = get_key(d, key, n, h->version);
	de.ts = h->ts;
	de.created = h->created;
	de.off = off;
	de.seg = seg;
	de.line = lineno | (h->tombstone ? TOMB : 0);
	at = dent_find(k, de.ts, de.created, h->tombstone, &found);
	if (!found)		/* a duplicate written by hand: the first */
		dent_insert(d, k, at, &de);
	return 0;
}

static void close_segs(struct dstore *d);

static void
free_index(struct dstore *d)
{
	for (size_t i = 0; i < d->tabcap; i++) {
		struct dkey *k = d->tab[i];

		if (k == NULL)
			continue;
		free(k->key);
		free(k->e);
		free(k->keep);
		free(k);
	}
	free(d->tab);
	d->tab = NULL;
	d->tabcap = d->nkeys = 0;
	close_segs(d);
	free(d->segs);
	d->segs = NULL;
	d->nsegs = d->segcap = 0;
	d->records = d->tombstones = 0;
	d->oldest = d->newest = INT64_MIN;
	d->cache_off = 0;
	d->have_mst = 0;
}

/* ---- reading segments -------------------------------------------------------- */

static struct dseg *find_seg(struct dstore *d, uint32_t no);

/*
 * A descriptor of segment no: the one kept for a segment of the index
 * (opened now if need be; *own 0), or one opened for this read (*own 1).
 * -1 with err (ENOENT: errno kept).
 */
static int
seg_fd(struct dstore *d, uint32_t no, int *own, char *err, size_t errlen)
{
	struct dseg *s = find_seg(d, no);
	char name[4200];
	int fd;

	*own = 0;
	if (s && s->fd1)
		return s->fd1 - 1;
	seg_name(name, sizeof name, d, no);
	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
		int saved = errno;

		snprintf(err, errlen, "cannot open '%s': %s", name,
		    strerror(errno));
		errno = saved;
		return -1;
	}
	if (s)
		s->fd1 = fd + 1;
	else
		*own = 1;
	return fd;
}

static void
close_segs(struct dstore *d)
{
	for (size_t i = 0; i < d->nsegs; i++)
		if (d->segs[i].fd1) {
			close(d->segs[i].fd1 - 1);
			d->segs[i].fd1 = 0;
		}
}

/*
 * Reads the members of segment no from byte from up to byte to: each
 * whole member's lines go to fn (member offset, line number, text).
 * Returns the offset after the last good member, or -1 with err for an
 * unreadable file (ENOENT: errno kept).
 */
typedef int (*member_fn)(struct dstore *d, uint32_t seg, uint64_t off,
    const char *text, size_t len, void *ctx);

static int64_t
read_members(struct dstore *d, uint32_t no, uint64_t from, uint64_t to,
    member_fn fn, void *ctx, char *err, size_t errlen)
{
	char name[4200];
	uint64_t pos = from, member = from;
	int fd, own, zrc = Z_OK;

	seg_name(name, sizeof name, d, no);
	if ((fd = seg_fd(d, no, &own, err, errlen)) < 0)
		return -1;
	if (!d->zs_ready) {
		memset(&d->zs, 0, sizeof d->zs);
		if (inflateInit2(&d->zs, 16 + MAX_WBITS) != Z_OK) {
			snprintf(err, errlen, "cannot start zlib");
			if (own)
			close(fd);
			return -1;
		}
		d->zs_ready = 1;
	}
	inflateReset(&d->zs);
	d->member.len = 0;
	d->zs.avail_in = 0;
	while (pos < to || d->zs.avail_in > 0) {
		if (d->zs.avail_in == 0) {
			size_t want = to - pos < READ_CHUNK ? to - pos :
			    READ_CHUNK;
			ssize_t n = pread(fd, d->in, want, (off_t)pos);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(err, errlen, "cannot read '%s': %s",
				    name, strerror(errno));
				if (own)
			close(fd);
				return -1;
			}
			if (n == 0)
				break;		/* shorter than committed */
			d->zs.next_in = d->in;
			d->zs.avail_in = (uInt)n;
			pos += (uint64_t)n;
		}
		if (d->member.cap - d->member.len < 64 * 1024)
			ft_buf_grow(&d->member, 256 * 1024);
		d->zs.next_out = (unsigned char *)d->member.p + d->member.len;
		d->zs.avail_out = (uInt)(d->member.cap - d->member.len);
		zrc = inflate(&d->zs, Z_NO_FLUSH);
		d->member.len = d->member.cap - d->zs.avail_out;
		if (zrc == Z_STREAM_END) {
			uint64_t end = pos - d->zs.avail_in;

			if (fn(d, no, member, d->member.p, d->member.len,
			    ctx) != 0) {
				if (own)
			close(fd);
				snprintf(err, errlen, "stopped");
				return -2;
			}
			member = end;
			d->member.len = 0;
			inflateReset(&d->zs);
			continue;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			break;			/* bad data: a torn tail */
	}
	if (own)
			close(fd);
	return (int64_t)member;
}

struct index_ctx {
	int bad;
};

static int
index_member(struct dstore *d, uint32_t seg, uint64_t off, const char *text,
    size_t len, void *ctx)
{
	struct index_ctx *ic = ctx;
	const char *p = text, *end = text + len;
	uint32_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && index_line(d, p, n, seg, off, lineno) < 0)
			ic->bad++;
		lineno++;
		p += n + 1;
	}
	return 0;
}

static struct dseg *
find_seg(struct dstore *d, uint32_t no)
{
	for (size_t i = 0; i < d->nsegs; i++)
		if (d->segs[i].no == no)
			return &d->segs[i];
	return NULL;
}

/* Reads seg from what was read up to its committed size. */
static int
catch_up(struct dstore *d, struct dseg *s, char *err, size_t errlen)
{
	struct index_ctx ic = { 0 };
	int64_t good;
	char name[4200];

	if (s->good >= s->committed || s->torn)
		return 0;
	good = read_members(d, s->no, s->good, s->committed, index_member,
	    &ic, err, errlen);
	if (good < 0)
		return -1;
	if ((uint64_t)good > s->good)
		d->dirty = 1;	/* INDEX lags: a writer saves it */
	s->good = (uint64_t)good;
	seg_name(name, sizeof name, d, s->no);
	if (ic.bad)
		say(d, "'%s': %d stored lines could not be read; ignored",
		    name, ic.bad);
	if (s->good < s->committed) {
		s->torn = 1;
		say(d, "'%s': torn tail at byte %" PRIu64 ": %" PRIu64
		    " bytes ignored", name, s->good, s->committed - s->good);
	}
	return 0;
}

/* ---- MANIFEST ------------------------------------------------------------------ */

/*
 * Does PATH hold segments that no MANIFEST names?  Only a writer that
 * holds the lock can be sure; a reader that finds the lock held assumes
 * a writer is between its first segment and its first MANIFEST.
 */
static int has_segment_files(struct dstore *d);

static int
has_segments(struct dstore *d)
{
	char lock[4200];
	int fd, free_;

	if (!has_segment_files(d))
		return 0;
	if (d->locked)
		return 1;
	snprintf(lock, sizeof lock, "%s/LOCK", d->path);
	if ((fd = open(lock, O_RDONLY | O_CLOEXEC)) < 0)
		return 1;
	free_ = flock(fd, LOCK_SH | LOCK_NB) == 0;
	close(fd);
	return free_;
}

static int
has_segment_files(struct dstore *d)
{
	DIR *dir = opendir(d->path);
	struct dirent *de;
	int found = 0;

	if (dir == NULL)
		return 0;
	while (!found && (de = readdir(dir)) != NULL) {
		unsigned no;
		char tail[32];

		found = sscanf(de->d_name, "seg-%9u.%31s", &no, tail) == 2 &&
		    strcmp(tail, "ndjson.gz") == 0;
	}
	closedir(dir);
	return found;
}

/*
 * Reads MANIFEST into segs (committed sizes): 1 when it changed since
 * the last read, 0 when not, -1 with err.  A missing MANIFEST is an empty
 * store.  *generation is set.
 */
static int
read_manifest(struct dstore *d, struct dseg **segs, size_t *nsegs,
    uint64_t *generation, char *err, size_t errlen)
{
	char name[4200], line[256];
	struct ft_buf text = { 0 };
	FILE *f;
	size_t cap = 0;
	int lineno = 0;

	*segs = NULL;
	*nsegs = 0;
	*generation = 0;
	snprintf(name, sizeof name, "%s/MANIFEST", d->path);
	if ((f = fopen(name, "re")) == NULL) {
		int saved = errno;

		if (saved == ENOENT && has_segments(d)) {
			snprintf(err, errlen, "store 'dir:%s' has segments but "
			    "no MANIFEST: restore MANIFEST, or move the "
			    "segments away (feat-stores(7))", d->path);
			return -1;
		}
		if (saved == ENOENT)
			return d->have_mst ? 1 : 0;
		snprintf(err, errlen, "cannot open '%s': %s", name,
		    strerror(saved));
		return -1;
	}
	text.len = 0;
	for (;;) {
		size_t n;

		ft_buf_grow(&text, 4096);
		n = fread(text.p + text.len, 1, text.cap - text.len, f);
		text.len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read '%s': %s", name,
		    strerror(errno));
		fclose(f);
		ft_buf_free(&text);
		return -1;
	}
	fclose(f);
	if (d->have_mst && text.len == d->mtext.len &&
	    memcmp(text.p, d->mtext.p, text.len) == 0) {
		ft_buf_free(&text);
		return 0;
	}
	if ((f = fmemopen(text.p, text.len ? text.len : 1, "r")) == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", name,
		    strerror(errno));
		ft_buf_free(&text);
		return -1;
	}
	if (text.len == 0)
		fgetc(f);	/* fmemopen wants a size: read it empty */
	while (fgets(line, sizeof line, f)) {
		unsigned long long size, gen;
		unsigned no;
		char c;

		lineno++;
		if (lineno == 1) {
			if (strcmp(line, "feat-dir 1\n") != 0)
				goto bad;
			continue;
		}
		if (sscanf(line, "generation %llu%c", &gen, &c) == 2 &&
		    c == '\n') {
			*generation = gen;
			continue;
		}
		if (sscanf(line, "seg-%9u.ndjson.gz %llu%c", &no, &size,
		    &c) != 3 || c != '\n')
			goto bad;
		if (*nsegs == cap) {
			cap = cap ? cap * 2 : 16;
			*segs = feat_xrealloc(*segs, cap * sizeof **segs);
		}
		if (*nsegs > 0 && no <= (*segs)[*nsegs - 1].no)
			goto bad;	/* segments in ascending order */
		memset(&(*segs)[*nsegs], 0, sizeof **segs);
		(*segs)[*nsegs].no = no;
		(*segs)[*nsegs].committed = size;
		(*nsegs)++;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read '%s': %s", name,
		    strerror(errno));
		goto fail;
	}
	if (lineno == 0)
		goto bad;		/* empty: not ours */
	if (*nsegs == 0 && has_segments(d)) {
		snprintf(err, errlen, "'%s' names no segment, but the store "
		    "has segments: restore MANIFEST, or move the segments "
		    "away (feat-stores(7))", name);
		goto fail;
	}
	fclose(f);
	ft_buf_free(&d->mtext);
	d->mtext = text;
	d->have_mst = 1;
	return 1;
bad:
	snprintf(err, errlen, "'%s' is not a feat store manifest (line %d)",
	    name, lineno);
fail:
	fclose(f);
	ft_buf_free(&text);
	free(*segs);
	*segs = NULL;
	return -1;
}

static int
write_manifest(struct dstore *d, char *err, size_t errlen)
{
	struct ft_buf b = { 0 };
	char name[4200];
	int rc;

	ft_buf_printf(&b, "feat-dir 1\ngeneration %" PRIu64 "\n",
	    d->generation);
	for (size_t i = 0; i < d->nsegs; i++)
		ft_buf_printf(&b, "seg-%09" PRIu32 ".ndjson.gz %" PRIu64 "\n",
		    d->segs[i].no, d->segs[i].committed);
	snprintf(name, sizeof name, "%s/MANIFEST", d->path);
	rc = ft_write_atomic(name, b.p, b.len, err, errlen);
	if (rc == 0) {
		ft_buf_free(&d->mtext);
		d->mtext = b;
		d->have_mst = 1;
	} else
		ft_buf_free(&b);
	return rc;
}

/* ---- INDEX: the index saved ------------------------------------------------------ */

#define INDEX_MAGIC	"feat-dir-index 1\n"
#define INDEX_BOM	UINT32_C(0x01020304)

static void
put(struct ft_buf *b, const void *p, size_t n)
{
	ft_buf_add(b, p, n);
}

/* Reads n bytes at *p of [*p, end) into out: -1 past the end. */
static int
get(const char **p, const char *end, void *out, size_t n)
{
	if ((size_t)(end - *p) < n)
		return -1;
	memcpy(out, *p, n);
	*p += n;
	return 0;
}

/* Saves the index in PATH/INDEX, when no other writer holds the lock. */
static void
save_index(struct dstore *d)
{
	struct feat_lock_wait now = { 0, NULL, NULL, NULL };
	struct ft_buf b = { 0 };
	char name[4200], lock[4200], tmp[4300], err[512];
	uint32_t u32 = INDEX_BOM, crc;
	uint64_t u64;
	int fd, tfd, ok;

	snprintf(lock, sizeof lock, "%s/LOCK", d->path);
	if ((fd = ft_lock_file(lock, lock, &now, err, sizeof err)) < 0)
		return;		/* a writer is at work: it saves its own */
	snprintf(name, sizeof name, "%s/INDEX", d->path);
	ft_remove_stale_tmp(name);
	put(&b, INDEX_MAGIC, sizeof INDEX_MAGIC - 1);
	put(&b, &u32, 4);
	put(&b, &d->generation, 8);
	u32 = (uint32_t)d->nsegs;
	put(&b, &u32, 4);
	for (size_t i = 0; i < d->nsegs; i++) {
		put(&b, &d->segs[i].no, 4);
		put(&b, &d->segs[i].good, 8);
	}
	u64 = d->nkeys;
	put(&b, &u64, 8);
	for (size_t i = 0; i < d->tabcap; i++) {
		const struct dkey *k = d->tab[i];
		int64_t v;

		if (k == NULL)
			continue;
		u32 = (uint32_t)k->keylen;
		put(&b, &u32, 4);
		v = k->version;
		put(&b, &v, 8);
		put(&b, &k->n, 4);
		put(&b, k->key, k->keylen);
		put(&b, k->e, k->n * sizeof *k->e);
	}
	crc = (uint32_t)crc32(0, (const unsigned char *)b.p, (uInt)0);
	for (size_t off = 0; off < b.len;) {
		size_t n = b.len - off > (1u << 30) ? (1u << 30) : b.len - off;

		crc = (uint32_t)crc32(crc, (const unsigned char *)b.p + off,
		    (uInt)n);
		off += n;
	}
	put(&b, &crc, 4);
	/*
	 * Not fsynced: INDEX is a cache.  A crash that leaves it short or
	 * zeroed fails its CRC, and the index is read from the segments.
	 */
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", name, (long)getpid());
	tfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ok = tfd >= 0 && ft_write_all(tfd, b.p, b.len) == 0;
	if (tfd >= 0 && close(tfd) != 0)
		ok = 0;
	if (!ok || rename(tmp, name) != 0) {
		say(d, "cannot write '%s': %s (the next open reads the "
		    "segments)", name, strerror(errno));
		unlink(tmp);
	}
	ft_buf_free(&b);
	close(fd);
}

/* Reads PATH/INDEX whole into *buf: its length, or 0. */
static size_t
read_index_file(struct dstore *d, char **buf)
{
	char name[4200];
	struct stat st;
	size_t len;
	int fd;

	*buf = NULL;
	snprintf(name, sizeof name, "%s/INDEX", d->path);
	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) != 0 || st.st_size < 64 ||
	    (uint64_t)st.st_size > SIZE_MAX / 2) {
		close(fd);
		return 0;
	}
	len = (size_t)st.st_size;
	*buf = feat_xmalloc(len);
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, *buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(*buf);
			*buf = NULL;
			close(fd);
			return 0;
		}
		got += (size_t)n;
	}
	close(fd);
	return len;
}

/*
 * Starts the index from PATH/INDEX when it is good and current: of
 * MANIFEST's generation, reaching into each segment no further than its
 * committed size.  The segments' later batches are read by refresh.
 */
static void
load_index(struct dstore *d)
{
	struct dseg *msegs = NULL;
	size_t mn, len;
	uint64_t gen, igen, nkeys;
	uint32_t bom, nsegs, crc, want;
	char *buf, err[512], name[4200];
	struct stat st;
	const char *p, *end;

	if ((len = read_index_file(d, &buf)) == 0)
		return;
	p = buf;
	end = buf + len - 4;
	memcpy(&crc, end, 4);
	want = (uint32_t)crc32(0, NULL, 0);
	for (size_t off = 0; off < len - 4;) {
		size_t n = len - 4 - off > (1u << 30) ? (1u << 30) :
		    len - 4 - off;

		want = (uint32_t)crc32(want, (const unsigned char *)buf + off,
		    (uInt)n);
		off += n;
	}
	if (crc != want || memcmp(p, INDEX_MAGIC, sizeof INDEX_MAGIC - 1))
		goto stale;
	p += sizeof INDEX_MAGIC - 1;
	if (get(&p, end, &bom, 4) < 0 || bom != INDEX_BOM ||
	    get(&p, end, &igen, 8) < 0 || get(&p, end, &nsegs, 4) < 0)
		goto stale;
	if (read_manifest(d, &msegs, &mn, &gen, err, sizeof err) < 0 ||
	    gen != igen)
		goto stale;
	d->have_mst = 0;	/* refresh reads MANIFEST again */
	for (uint32_t i = 0; i < nsegs; i++) {
		struct dseg s = { 0 };
		size_t j;

		if (get(&p, end, &s.no, 4) < 0 || get(&p, end, &s.good,
		    8) < 0)
			goto stale;
		for (j = 0; j < mn && msegs[j].no != s.no; j++)
			;
		/* A segment shorter than the index: a disk lost its end
		   (a torn tail the segments must show). */
		seg_name(name, sizeof name, d, s.no);
		if (j == mn || msegs[j].committed < s.good ||
		    (d->nsegs && s.no <= d->segs[d->nsegs - 1].no) ||
		    stat(name, &st) != 0 || (uint64_t)st.st_size < s.good)
			goto stale;
		s.committed = s.good;
		if (d->nsegs == d->segcap) {
			d->segcap = d->segcap ? d->segcap * 2 : 16;
			d->segs = feat_xrealloc(d->segs, d->segcap *
			    sizeof *d->segs);
		}
		d->segs[d->nsegs++] = s;
	}
	if (get(&p, end, &nkeys, 8) < 0)
		goto stale;
	for (uint64_t i = 0; i < nkeys; i++) {
		uint32_t keylen, n;
		int64_t version;
		struct dkey *k;

		if (get(&p, end, &keylen, 4) < 0 || get(&p, end, &version,
		    8) < 0 || get(&p, end, &n, 4) < 0 || keylen < 6 ||
		    keylen > 3 * 4096 || (size_t)(end - p) < keylen ||
		    (size_t)(end - p - keylen) / sizeof *k->e < n ||
		    p[keylen - 1] != '\0' || n == 0)
			goto stale;
		k = get_key(d, p, keylen, (long)version);
		if (k->n)
			goto stale;	/* a key twice */
		p += keylen;
		k->e = feat_xmalloc(n * sizeof *k->e);
		memcpy(k->e, p, n * sizeof *k->e);
		p += n * sizeof *k->e;
		k->n = k->cap = n;
		for (uint32_t j = 0; j < n; j++) {
			const struct dent *e = &k->e[j];

			if (e->line & TOMB)
				d->tombstones++;
			else
				d->records++;
			if (d->oldest == INT64_MIN || e->ts < d->oldest)
				d->oldest = e->ts;
			if (d->newest == INT64_MIN || e->ts > d->newest)
				d->newest = e->ts;
		}
	}
	if (p != end)
		goto stale;
	d->generation = igen;
	free(buf);
	free(msegs);
	return;
stale:
	free_index(d);
	free(buf);
	free(msegs);
}

/* ---- open, refresh ------------------------------------------------------------ */

static int
refresh(struct dstore *d, char *err, size_t errlen)
{
	struct dseg *segs;
	size_t nsegs;
	uint64_t gen;
	int rc, own, tries = 0;

again:
	if ((rc = read_manifest(d, &segs, &nsegs, &gen, err, errlen)) <= 0)
		return rc;
	if (gen != d->generation || nsegs < d->nsegs) {
		/* Compacted: read it all again. */
		struct ft_buf keep = d->mtext;

		d->mtext.p = NULL;
		d->mtext.len = d->mtext.cap = 0;
		free_index(d);
		ft_buf_free(&d->mtext);
		d->mtext = keep;
		d->have_mst = 1;
		d->generation = gen;
	}
	for (size_t i = 0; i < nsegs; i++) {
		struct dseg *s = find_seg(d, segs[i].no);

		if (s == NULL) {
			if (d->nsegs == d->segcap) {
				d->segcap = d->segcap ? d->segcap * 2 : 16;
				d->segs = feat_xrealloc(d->segs, d->segcap *
				    sizeof *d->segs);
			}
			s = &d->segs[d->nsegs++];
			*s = segs[i];
		} else if (segs[i].committed != s->committed) {
			s->committed = segs[i].committed;
			if (s->good > s->committed) {	/* cut by a writer */
				s->good = s->committed;
			}
			s->torn = 0;
		}
		/* (A segment named with nothing committed may not exist
		   yet: a store's first, see append_member.) */
		if (catch_up(d, s, err, errlen) < 0 || (!s->fd1 &&
		    s->committed > 0 && seg_fd(d, s->no, &own, err,
		    errlen) < 0)) {
			if (errno == ENOENT && tries++ < 3) {
				/* Compaction removed it: the new MANIFEST. */
				free(segs);
				d->have_mst = 0;
				d->generation = UINT64_MAX;
				goto again;
			}
			free(segs);
			return -1;
		}
	}
	free(segs);
	return 0;
}

static void *
dir_open(const char *path, const struct feat_store_opts *o, char *err,
    size_t errlen)
{
	struct dstore *d;
	struct stat st;

	if (*path == '\0') {
		snprintf(err, errlen, "invalid store 'dir:': name a directory");
		return NULL;
	}
	if (stat(path, &st) != 0) {
		if (errno != ENOENT || !o->write) {
			snprintf(err, errlen, "cannot open store 'dir:%s': %s",
			    path, strerror(errno));
			return NULL;
		}
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create store 'dir:%s': "
			    "%s", path, strerror(errno));
			return NULL;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot open store 'dir:%s': not a "
		    "directory", path);
		return NULL;
	}
	d = feat_xcalloc(1, sizeof *d);
	d->path = feat_xstrdup(path);
	d->write = o->write;
	d->lock = o->lock;
	d->notice = o->notice;
	d->ctx = o->ctx;
	d->seed = ft_hash_seed();
	d->oldest = d->newest = INT64_MIN;
	d->rr = feat_record_reader_new(FEAT_TIME_S);
	d->in = feat_xmalloc(READ_CHUNK);
	load_index(d);
	d->dirty = 0;		/* set again when the segments say more */
	if (refresh(d, err, errlen) < 0) {
		char e2[8];

		ft_store_dir.close(d, e2, sizeof e2);
		return NULL;
	}
	return d;
}

static int
dir_close(void *be, char *err, size_t errlen)
{
	struct dstore *d = be;

	(void)err;
	(void)errlen;
	if (d->write && d->dirty && d->generation != UINT64_MAX)
		save_index(d);
	free_index(d);
	ft_buf_free(&d->mtext);
	if (d->zs_ready)
		inflateEnd(&d->zs);
	feat_record_reader_free(d->rr);
	ft_buf_free(&d->member);
	free(d->lines);
	free(d->in);
	free(d->path);
	free(d);
	return 0;
}

static int
dir_refresh(void *be, char *err, size_t errlen)
{
	return refresh(be, err, errlen);
}

/* ---- writing ----------------------------------------------------------------- */

static int
lock_store(struct dstore *d, char *err, size_t errlen)
{
	char lock[4200], what[4200];

	snprintf(lock, sizeof lock, "%s/LOCK", d->path);
	snprintf(what, sizeof what, "dir:%s", d->path);
	return ft_lock_file(lock, what, &d->lock, err, errlen);
}

/*
 * Removes what MANIFEST does not name and no reader can need: segments
 * numbered past its last (a killed writer's new segment, a killed
 * compaction's output), segments below its first once a compaction has
 * run (the compacted ones, when it was killed before it removed them),
 * and temporary files of dead writers.  Anything else is left alone.
 */
static void
remove_strays(struct dstore *d)
{
	DIR *dir;
	struct dirent *de;
	char name[4200];

	if (d->nsegs == 0 || (dir = opendir(d->path)) == NULL)
		return;
	snprintf(name, sizeof name, "%s/MANIFEST", d->path);
	ft_remove_stale_tmp(name);
	while ((de = readdir(dir)) != NULL) {
		unsigned no;
		char tail[32], full[4200];

		if (sscanf(de->d_name, "seg-%9u.%31s", &no, tail) != 2 ||
		    strcmp(tail, "ndjson.gz") != 0 || find_seg(d, no))
			continue;
		snprintf(full, sizeof full, "%s/%s", d->path, de->d_name);
		if (!(no > d->segs[d->nsegs - 1].no || (d->generation > 1 &&
		    no < d->segs[0].no))) {
			if (!d->strays_said++)
				say(d, "'%s' is not in the store's MANIFEST: "
				    "left alone", full);
			continue;
		}
		if (unlink(full) == 0)
			say(d, "removed '%s': not in the store's MANIFEST",
			    full);
	}
	closedir(dir);
}

/*
 * The last segment as the writer finds it: cut at the end of its last
 * good member (what a killed writer left past the committed size, a torn
 * tail).  1 when MANIFEST must change, 0 when not, -1 with err.
 */
static int
repair_tail(struct dstore *d, char *err, size_t errlen)
{
	struct dseg *s;
	struct stat st;
	char name[4200];
	int fd, changed = 0;

	if (d->nsegs == 0)
		return 0;
	s = &d->segs[d->nsegs - 1];
	seg_name(name, sizeof name, d, s->no);
	if ((fd = open(name, O_WRONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && s->committed == 0)
			return 0;
		snprintf(err, errlen, "cannot open '%s': %s", name,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat '%s': %s", name,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size != s->good) {
		if ((uint64_t)st.st_size > s->committed)
			say(d, "'%s': %" PRIu64 " bytes of a batch that was "
			    "never acknowledged removed", name,
			    (uint64_t)st.st_size - s->committed);
		if (ftruncate(fd, (off_t)s->good) != 0 || fsync(fd) != 0) {
			snprintf(err, errlen, "cannot truncate '%s': %s",
			    name, strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (s->committed != s->good) {
		s->committed = s->good;
		s->torn = 0;
		changed = 1;
	}
	return changed;
}

/*
 * A batch's gzip members: one per MEMBER_MAX bytes of its lines (cut at a
 * line's end), so that reading one record back inflates 64 KiB, not the
 * whole batch (a server's point reads); deflate's window is 32 KiB, so
 * the smaller members cost little in size.  A large batch's members are
 * compressed by two threads at once, each its half.
 */
#define MEMBER_MAX	((size_t)64 << 10)
#define SPLIT_AT	((size_t)1 << 20)

struct zpart {
	const char *in;			/* the batch's text */
	const size_t *start;		/* member m: [start[m], start[m + 1]) */
	size_t from, to;		/* the members of this part */
	struct ft_buf out;
	size_t *rel;			/* member m's offset in out */
	int ok;
};

static void
put_le32(struct ft_buf *b, uint32_t v)
{
	unsigned char c[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
	    v >> 24 };

	ft_buf_add(b, c, 4);
}

static void *
deflate_part(void *arg)
{
	static const unsigned char head[10] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3	/* deflate, Unix */
	};
	struct zpart *z = arg;
	z_stream zs;

	memset(&zs, 0, sizeof zs);
	z->ok = 0;
	z->out.len = 0;
	if (deflateInit2(&zs, 1, Z_DEFLATED, -MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	for (size_t m = z->from; m < z->to; m++) {
		const unsigned char *in = (const unsigned char *)z->in +
		    z->start[m];
		size_t len = z->start[m + 1] - z->start[m];
		uLong bound = deflateBound(&zs, (uLong)len) + 64;
		int rc;

		z->rel[m] = z->out.len;
		ft_buf_add(&z->out, head, sizeof head);
		ft_buf_grow(&z->out, bound + 8);
		zs.next_in = (unsigned char *)in;
		zs.avail_in = (uInt)len;
		zs.next_out = (unsigned char *)z->out.p + z->out.len;
		zs.avail_out = (uInt)bound;
		rc = deflate(&zs, Z_FINISH);
		z->out.len += bound - zs.avail_out;
		if (rc != Z_STREAM_END || deflateReset(&zs) != Z_OK) {
			deflateEnd(&zs);
			return NULL;
		}
		put_le32(&z->out, (uint32_t)crc32(crc32(0, NULL, 0), in,
		    (uInt)len));
		put_le32(&z->out, (uint32_t)len);
	}
	deflateEnd(&zs);
	z->ok = 1;
	return NULL;
}

/* The members of text (nm of them, member m from start[m]) into out, each
   member's offset in out into rel[m]. */
static int
deflate_members(struct ft_buf *out, const struct ft_buf *text,
    const size_t *start, size_t nm, size_t *rel, char *err, size_t errlen)
{
	struct zpart z[2];
	size_t half = nm;
	pthread_t th;
	int threaded = 0, ok;

	memset(z, 0, sizeof z);
	if (text->len >= SPLIT_AT && nm > 1) {
		/* The halves of the text, at a member's start. */
		half = 1;
		while (half < nm - 1 && start[half] < text->len / 2)
			half++;
	}
	for (int i = 0; i < 2; i++) {
		z[i].in = text->p;
		z[i].start = start;
		z[i].rel = rel;
	}
	z[0].from = 0;
	z[0].to = half;
	z[1].from = half;
	z[1].to = nm;
	if (half < nm)
		threaded = pthread_create(&th, NULL, deflate_part, &z[1]) == 0;
	deflate_part(&z[0]);
	if (half < nm) {
		if (threaded)
			pthread_join(th, NULL);
		else
			deflate_part(&z[1]);
	}
	ok = z[0].ok && (half == nm || z[1].ok);
	out->len = 0;
	if (ok) {
		ft_buf_add(out, z[0].out.p, z[0].out.len);
		for (size_t m = half; m < nm; m++)
			rel[m] += z[0].out.len;
		if (half < nm)
			ft_buf_add(out, z[1].out.p, z[1].out.len);
	}
	ft_buf_free(&z[0].out);
	ft_buf_free(&z[1].out);
	if (!ok) {
		snprintf(err, errlen, "cannot compress a batch");
		return -1;
	}
	return 0;
}

static int
append_member(struct dstore *d, const struct ft_buf *member, uint32_t *seg,
    uint64_t *off, char *err, size_t errlen)
{
	struct dseg *s = d->nsegs ? &d->segs[d->nsegs - 1] : NULL;
	char name[4200];
	int fd, created = 0, new_first = 0;

	if (s == NULL || s->committed >= SEG_MAX) {
		if (d->nsegs == d->segcap) {
			d->segcap = d->segcap ? d->segcap * 2 : 16;
			d->segs = feat_xrealloc(d->segs, d->segcap *
			    sizeof *d->segs);
		}
		s = &d->segs[d->nsegs];
		memset(s, 0, sizeof *s);
		s->no = d->nsegs ? d->segs[d->nsegs - 1].no + 1 : 1;
		created = 1;
		if (d->nsegs == 0) {
			/* The store's first segment is named, empty, before
			   it exists: a writer killed in its first batch
			   leaves bytes past a committed size of 0, which the
			   next one cuts, and never a segment without a
			   MANIFEST (which is refused). */
			d->nsegs = 1;
			d->generation = d->generation ? d->generation : 1;
			if (write_manifest(d, err, errlen) < 0) {
				d->nsegs = 0;
				return -1;
			}
			created = 0;
			s = &d->segs[0];
			new_first = 1;
		}
	}
	seg_name(name, sizeof name, d, s->no);
	fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC | (created || new_first ?
	    O_TRUNC : 0), 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", name,
		    strerror(errno));
		return -1;
	}
	for (size_t done = 0; done < member->len;) {
		ssize_t n = pwrite(fd, member->p + done, member->len - done,
		    (off_t)(s->committed + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot write '%s': %s", name,
			    n < 0 ? strerror(errno) : "no space");
			/* What was written is past the committed size. */
			if (ftruncate(fd, (off_t)s->committed) == 0)
				(void)fsync(fd);
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", name,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (created || new_first) {
		if (ft_fsync_dir(name, err, errlen) < 0)
			return -1;
		if (created)
			d->nsegs++;
	}
	*seg = s->no;
	*off = s->committed;
	s->committed += member->len;
	s->good = s->committed;
	return 0;
}

/* Truncates segment no at size (what was acknowledged), if it can. */
static void
cut_segment(struct dstore *d, uint32_t no, uint64_t size)
{
	char name[4200];
	int fd;

	seg_name(name, sizeof name, d, no);
	if ((fd = open(name, O_WRONLY | O_CLOEXEC)) < 0)
		return;
	if (ftruncate(fd, (off_t)size) == 0)
		(void)fsync(fd);
	close(fd);
}

static int
dir_write(void *be, const feat_store_batch *b, struct feat_store_written *out,
    char *err, size_t errlen)
{
	struct dstore *d = be;
	struct ft_buf plain = { 0 }, member = { 0 };
	uint32_t *lineof = NULL, *memof = NULL, seg, nl = 0, mline = 0;
	size_t *start = NULL, *rel = NULL, nm = 0;
	uint8_t *fresh = NULL, *dup = NULL;
	uint64_t off;
	int lockfd, rc = FEAT_STORE_ERROR, changed;

	if ((lockfd = lock_store(d, err, errlen)) < 0)
		return lockfd == FT_LOCK_TIMEOUT ? FEAT_STORE_LOCKED :
		    lockfd == FT_LOCK_STOPPED ? FEAT_STORE_STOPPED :
		    FEAT_STORE_ERROR;
	d->locked = 1;
	if (refresh(d, err, errlen) < 0)
		goto done;
	remove_strays(d);
	if ((changed = repair_tail(d, err, errlen)) < 0)
		goto done;

	dup = ft_batch_duplicates(b);
	fresh = feat_xcalloc(b->n, 1);
	lineof = feat_xcalloc(b->n, sizeof *lineof);
	memof = feat_xcalloc(b->n, sizeof *memof);
	start = feat_xcalloc(b->n + 2, sizeof *start);
	for (size_t i = 0; i < b->n; i++) {
		const struct ft_batch_rec *r = &b->recs[i];
		struct dkey *k = find_key(d, b->text.p + r->key, r->keylen,
		    r->version);
		int found = 0;

		if (k)
			(void)dent_find(k, r->ts, r->created, r->tombstone,
			    &found);
		if (found || dup[i]) {
			out->duplicates++;
			continue;
		}
		fresh[i] = 1;
		/* A new member past MEMBER_MAX bytes of lines. */
		if (nm == 0 || plain.len - start[nm - 1] >= MEMBER_MAX) {
			start[nm++] = plain.len;
			mline = 0;
		}
		memof[i] = (uint32_t)(nm - 1);
		lineof[i] = mline++;
		nl++;
		ft_buf_add(&plain, b->text.p + r->line, r->linelen);
	}
	start[nm] = plain.len;
	if (nl > 0) {
		rel = feat_xcalloc(nm, sizeof *rel);
		if (deflate_members(&member, &plain, start, nm, rel, err,
		    errlen) < 0 || append_member(d, &member, &seg, &off, err,
		    errlen) < 0)
			goto done;
		changed = 1;
	}
	if (changed) {
		d->generation = d->generation ? d->generation : 1;
		if (write_manifest(d, err, errlen) < 0) {
			/* Not acknowledged: cut the member off again (or
			   the next writer will), and read the store again
			   on the next call. */
			if (nl > 0)
				cut_segment(d, seg, off);
			free_index(d);
			d->generation = UINT64_MAX;
			goto done;
		}
	}
	/* Durable: into the index. */
	for (size_t i = 0; nl > 0 && i < b->n; i++) {
		const struct ft_batch_rec *r = &b->recs[i];
		struct dkey *k;
		struct dent de;
		uint32_t at;
		int found;

		if (!fresh[i])
			continue;
		k = get_key(d, b->text.p + r->key, r->keylen, r->version);
		de.ts = r->ts;
		de.created = r->created;
		de.off = off + rel[memof[i]];
		de.seg = seg;
		de.line = lineof[i] | (r->tombstone ? TOMB : 0);
		at = dent_find(k, de.ts, de.created, r->tombstone, &found);
		dent_insert(d, k, at, &de);
		out->added++;
	}
	d->dirty |= nl > 0 || changed;
	rc = 0;
done:
	d->locked = 0;
	close(lockfd);
	free(dup);
	free(fresh);
	free(lineof);
	free(memof);
	free(start);
	free(rel);
	ft_buf_free(&plain);
	ft_buf_free(&member);
	return rc;
}

/* ---- reading records ------------------------------------------------------------- */

static int
cache_member(struct dstore *d, uint32_t seg, uint64_t off, const char *text,
    size_t len, void *ctx)
{
	const char *p = text, *end = text + len;

	(void)seg;
	(void)off;
	(void)ctx;
	d->nlines = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (d->nlines == d->linecap) {
			d->linecap = d->linecap ? d->linecap * 2 : 1024;
			d->lines = feat_xrealloc(d->lines, d->linecap *
			    sizeof *d->lines);
		}
		d->lines[d->nlines++] = (size_t)(p - text);
		p = nl ? nl + 1 : end;
	}
	return 1;		/* one member: stop there */
}

/* The stored line of e: *line, *len valid until the next fetch. */
static int
fetch(struct dstore *d, const struct dent *e, const char **line,
    size_t *len, char *err, size_t errlen)
{
	uint32_t ln = e->line & ~TOMB;
	const char *p, *nl;

	if (d->cache_off != e->off + 1 || d->cache_seg != e->seg) {
		struct dseg *s = find_seg(d, e->seg);
		int64_t rc;

		d->cache_off = 0;
		if (s == NULL) {
			snprintf(err, errlen, "segment %" PRIu32 " is gone",
			    e->seg);
			return -1;
		}
		rc = read_members(d, e->seg, e->off, s->committed,
		    cache_member, NULL, err, errlen);
		if (rc != -2) {
			if (rc >= 0)
				snprintf(err, errlen, "segment %" PRIu32
				    ": no batch at byte %" PRIu64, e->seg,
				    e->off);
			return -1;
		}
		d->cache_seg = e->seg;
		d->cache_off = e->off + 1;
	}
	if (ln >= d->nlines) {
		snprintf(err, errlen, "segment %" PRIu32 ": no line %" PRIu32
		    " in the batch at byte %" PRIu64, e->seg, ln, e->off);
		return -1;
	}
	p = d->member.p + d->lines[ln];
	nl = memchr(p, '\n', d->member.len - d->lines[ln]);
	*line = p;
	*len = nl ? (size_t)(nl - p) : d->member.len - d->lines[ln];
	return 0;
}

/* Is k->e[i] a live record: not a tombstone, not deleted by one? */
static int
alive(const struct dkey *k, uint32_t i)
{
	if (k->e[i].line & TOMB)
		return 0;
	for (uint32_t j = i + 1; j < k->n && k->e[j].ts == k->e[i].ts; j++)
		if (k->e[j].line & TOMB)
			return 0;	/* created >= ours: sorted after */
	return 1;
}

static struct dkey *
lookup(struct dstore *d, const struct feat_store_key *k)
{
	char key[3 * 4096];
	size_t n = ft_store_key_bytes(k, key, sizeof key);

	return n ? find_key(d, key, n, k->version > 0 ? k->version : 1) :
	    NULL;
}

/*
 * The latest live line of k: 1 with *line, *len (valid until the next
 * fetch), 0 for none.  Not kept: a server's L1 keeps what it reads again,
 * and a copy per key ever read grew without bound under random reads.
 */
static int
latest_of(struct dstore *d, struct dkey *k, const char **line, size_t *len,
    char *err, size_t errlen)
{
	for (uint32_t i = k->n; i-- > 0;)
		if (alive(k, i))
			return fetch(d, &k->e[i], line, len, err, errlen) < 0 ?
			    -1 : 1;
	return 0;
}

static int
dir_latest(void *be, const struct feat_store_key *key, feat_store_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct dstore *d = be;
	struct dkey *k = lookup(d, key);
	const char *line;
	size_t len;
	int rc;

	if (k == NULL)
		return 0;
	if ((rc = latest_of(d, k, &line, &len, err, errlen)) <= 0)
		return rc;
	fn(ctx, line, len);
	return 1;
}

/*
 * The record of k as of t: the last live one with ts <= t (and created
 * <= t when no_future_created), found by bisection; -1 when none.
 */
static int64_t
as_of_index(const struct dkey *k, int64_t t, int no_future_created)
{
	uint32_t lo = 0, hi = k->n;

	while (lo < hi) {		/* the first with ts > t */
		uint32_t mid = lo + (hi - lo) / 2;

		if (k->e[mid].ts > t)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (uint32_t i = lo; i-- > 0;)
		if ((!no_future_created || k->e[i].created <= t) &&
		    alive(k, i))
			return i;
	return -1;
}

static int
dir_as_of(void *be, const struct feat_store_key *key, int64_t t,
    int no_future_created, feat_store_fn fn, void *ctx, char *err,
    size_t errlen)
{
	struct dstore *d = be;
	struct dkey *k = lookup(d, key);
	const char *line;
	size_t len;
	int64_t i;

	if (k == NULL || (i = as_of_index(k, t, no_future_created)) < 0)
		return 0;
	if (fetch(d, &k->e[i], &line, &len, err, errlen) < 0)
		return -1;
	fn(ctx, line, len);
	return 1;
}

struct found {
	const struct dent *e;
	size_t query;
};

static int
found_order(const void *a, const void *b)
{
	const struct dent *x = ((const struct found *)a)->e;
	const struct dent *y = ((const struct found *)b)->e;

	if (x->seg != y->seg)
		return x->seg < y->seg ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return (x->line & ~TOMB) < (y->line & ~TOMB) ? -1 :
	    (x->line & ~TOMB) > (y->line & ~TOMB);
}

/* Found first, then read in the order of the segments: each batch once. */
static int
dir_as_of_many(void *be, const struct feat_store_query *q, size_t n,
    int no_future_created, feat_store_at_fn fn, void *ctx, char *err,
    size_t errlen)
{
	struct dstore *d = be;
	struct found *f = feat_xcalloc(n ? n : 1, sizeof *f);
	size_t nf = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct dkey *k;
		int64_t at;

		if (q[i].key.entity_id == NULL ||
		    q[i].key.entity_id_len > FEAT_ENTITY_ID_MAX ||
		    (k = lookup(d, &q[i].key)) == NULL ||
		    (at = as_of_index(k, q[i].t, no_future_created)) < 0)
			continue;
		f[nf].e = &k->e[at];
		f[nf++].query = i;
	}
	qsort(f, nf, sizeof *f, found_order);
	for (size_t i = 0; i < nf && rc == 0; i++) {
		const char *line;
		size_t len;

		if (fetch(d, f[i].e, &line, &len, err, errlen) < 0)
			rc = -1;
		else if (fn(ctx, f[i].query, line, len) != 0) {
			err[0] = '\0';
			rc = -1;
		}
	}
	free(f);
	return rc;
}

static long
dir_history(void *be, const struct feat_store_key *key, feat_store_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct dstore *d = be;
	struct dkey *k = lookup(d, key);
	const char *line;
	size_t len;
	long n = 0;

	for (uint32_t i = 0; k && i < k->n; i++) {
		if (!alive(k, i))
			continue;
		if (fetch(d, &k->e[i], &line, &len, err, errlen) < 0)
			return -1;
		if (fn(ctx, line, len) != 0)
			break;
		n++;
	}
	return n;
}

/* The group of a key: after the entity type and id. */
static const char *
key_group(const struct dkey *k)
{
	const char *p = k->key + strlen(k->key) + 1;	/* the id */
	const char *end = k->key + k->keylen - 1;	/* the last NUL */

	/* An id holds no NUL: the group follows the id's NUL. */
	p = memchr(p, '\0', (size_t)(end - p));
	return p ? p + 1 : end;
}

static int
key_order(const void *a, const void *b)
{
	const struct dkey *x = *(struct dkey *const *)a;
	const struct dkey *y = *(struct dkey *const *)b;
	int c = strcmp(key_group(x), key_group(y));

	if (c != 0)
		return c;
	return (x->version > y->version) - (x->version < y->version);
}

static long
dir_entity(void *be, const char *etype, const char *eid, size_t eidlen,
    feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	struct dstore *d = be;
	size_t a = strlen(etype), pre = a + 1 + eidlen + 1, n = 0;
	struct dkey **found = NULL;
	long emitted = 0;

	for (size_t i = 0; i < d->tabcap; i++) {
		struct dkey *k = d->tab[i];

		if (k == NULL || k->keylen <= pre ||
		    memcmp(k->key, etype, a + 1) != 0 ||
		    memcmp(k->key + a + 1, eid, eidlen) != 0 ||
		    k->key[a + 1 + eidlen] != '\0')
			continue;
		found = feat_xrealloc(found, (n + 1) * sizeof *found);
		found[n++] = k;
	}
	qsort(found, n, sizeof *found, key_order);
	for (size_t i = 0; i < n; i++) {
		const char *line;
		size_t len;
		int rc = latest_of(d, found[i], &line, &len, err, errlen);

		if (rc < 0) {
			free(found);
			return -1;
		}
		if (rc == 0)
			continue;
		if (fn(ctx, line, len) != 0)
			break;
		emitted++;
	}
	free(found);
	return emitted;
}

struct scan_ctx {
	feat_store_fn fn;
	void *ctx;
	long n;
	int stopped;
};

static int
scan_member(struct dstore *d, uint32_t seg, uint64_t off, const char *text,
    size_t len, void *ctx)
{
	struct scan_ctx *sc = ctx;
	const char *p = text, *end = text + len;

	(void)d;
	(void)seg;
	(void)off;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0) {
			if (sc->fn(sc->ctx, p, n) != 0) {
				sc->stopped = 1;
				return 1;
			}
			sc->n++;
		}
		p += n + 1;
	}
	return 0;
}

static long
dir_scan(void *be, feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	struct dstore *d = be;
	struct scan_ctx sc = { fn, ctx, 0, 0 };

	for (size_t i = 0; i < d->nsegs && !sc.stopped; i++) {
		int64_t rc = read_members(d, d->segs[i].no, 0, d->segs[i].good,
		    scan_member, &sc, err, errlen);

		if (rc == -2)
			break;
		if (rc < 0)
			return -1;
	}
	d->cache_off = 0;	/* the member buffer was used */
	if (sc.stopped) {
		if (err && errlen)
			err[0] = '\0';
		return -1;
	}
	return sc.n;
}

static int
dir_stats(void *be, struct feat_store_stats *st, char *err, size_t errlen)
{
	struct dstore *d = be;

	st->records = d->records;
	st->tombstones = d->tombstones;
	st->keys = d->nkeys;
	for (size_t i = 0; i < d->tabcap; i++) {
		struct dkey *k = d->tab[i];

		if (k == NULL)
			continue;
		for (uint32_t j = k->n; j-- > 0;)
			if (alive(k, j)) {
				st->live_keys++;
				break;
			}
	}
	st->files = d->nsegs;
	for (size_t i = 0; i < d->nsegs; i++)
		st->bytes += d->segs[i].committed;
	st->oldest_ts = d->oldest;
	st->newest_ts = d->newest;
	(void)err;
	(void)errlen;
	return 0;
}

/* ---- compaction ------------------------------------------------------------------ */

struct compact_ctx {
	struct ft_buf plain;
	struct ft_buf member;
	uint32_t seg;
	uint64_t size;
	int fd;
	uint64_t kept, dropped;
	int failed;
	char *err;
	size_t errlen;
	char name[4200];
};

static int
compact_flush(struct compact_ctx *cc)
{
	size_t *start, *rel, nm = 0;
	const char *p = cc->plain.p, *end = p + cc->plain.len;
	int rc;

	if (cc->plain.len == 0)
		return 0;
	/* Members of MEMBER_MAX bytes of whole lines, as dir_write's. */
	start = feat_xmalloc((cc->plain.len / MEMBER_MAX + 2) *
	    sizeof *start);
	while (p < end) {
		const char *nl;

		start[nm++] = (size_t)(p - cc->plain.p);
		if ((size_t)(end - p) <= MEMBER_MAX)
			break;
		nl = memchr(p + MEMBER_MAX - 1, '\n', (size_t)(end - p) -
		    MEMBER_MAX + 1);
		p = nl ? nl + 1 : end;
	}
	start[nm] = cc->plain.len;
	rel = feat_xcalloc(nm, sizeof *rel);
	rc = deflate_members(&cc->member, &cc->plain, start, nm, rel,
	    cc->err, cc->errlen);
	free(start);
	free(rel);
	if (rc < 0)
		return -1;
	if (ft_write_all(cc->fd, cc->member.p, cc->member.len) < 0) {
		snprintf(cc->err, cc->errlen, "cannot write '%s': %s",
		    cc->name, strerror(errno));
		return -1;
	}
	cc->size += cc->member.len;
	cc->plain.len = 0;
	return 0;
}

static int
compact_member(struct dstore *d, uint32_t seg, uint64_t off, const char *text,
    size_t len, void *ctx)
{
	struct compact_ctx *cc = ctx;
	const char *p = text, *end = text + len;
	uint32_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const feat_record *r;
		struct feat_error e;
		int keep = 0;

		if (n > 0 && feat_record_read(d->rr, p, n, &r, &e) == 0) {
			const struct feat_record_head *h =
			    feat_record_get_head(r);
			struct feat_store_key fk = { h->entity_type,
			    h->entity_id, h->entity_id_len, h->group,
			    h->version };
			struct dkey *k = lookup(d, &fk);
			uint32_t i;
			int found = 0;

			if (k)
				i = dent_find(k, h->ts, h->created,
				    h->tombstone, &found);
			/* A copy written by hand twice: only the indexed one. */
			if (found && k->e[i].seg == seg && k->e[i].off == off &&
			    (k->e[i].line & ~TOMB) == lineno)
				keep = k->keep[i];
		}
		if (keep) {
			ft_buf_add(&cc->plain, p, n);
			ft_buf_addc(&cc->plain, '\n');
			cc->kept++;
		} else if (n > 0)
			cc->dropped++;
		if (cc->plain.len >= 8u << 20 && compact_flush(cc) < 0) {
			cc->failed = 1;
			return 1;
		}
		lineno++;
		p += n + 1;
	}
	return 0;
}

static int
dir_compact(void *be, int64_t retention, uint64_t *dropped, char *err,
    size_t errlen)
{
	struct dstore *d = be;
	struct compact_ctx cc;
	struct dseg *old = NULL, one;
	size_t nold;
	int64_t cutoff;
	uint64_t would_drop = 0;
	int lockfd, rc = FEAT_STORE_ERROR;

	if ((lockfd = lock_store(d, err, errlen)) < 0)
		return lockfd == FT_LOCK_TIMEOUT ? FEAT_STORE_LOCKED :
		    lockfd == FT_LOCK_STOPPED ? FEAT_STORE_STOPPED :
		    FEAT_STORE_ERROR;
	d->locked = 1;
	memset(&cc, 0, sizeof cc);
	cc.fd = -1;
	if (refresh(d, err, errlen) < 0)
		goto done;
	if (d->newest == INT64_MIN) {
		rc = 0;
		goto done;
	}
	cutoff = retention > 0 && d->newest > INT64_MIN + retention ?
	    d->newest - retention : INT64_MIN;
	/* Marks: within retention, or the latest live record of its key. */
	for (size_t i = 0; i < d->tabcap; i++) {
		struct dkey *k = d->tab[i];
		int latest_seen = 0;

		if (k == NULL)
			continue;
		free(k->keep);
		k->keep = feat_xcalloc(k->n ? k->n : 1, 1);
		for (uint32_t j = k->n; j-- > 0;) {
			int live = alive(k, j);

			if (live && !latest_seen) {
				k->keep[j] = 1;
				latest_seen = 1;
			} else if ((live && k->e[j].ts >= cutoff) ||
			    (k->e[j].line & TOMB))
				k->keep[j] = 1;	/* a delete is for good */
			if (!k->keep[j])
				would_drop++;
		}
	}
	if (would_drop == 0 && d->nsegs <= 1) {
		rc = 0;
		goto done;
	}
	cc.err = err;
	cc.errlen = errlen;
	cc.seg = d->nsegs ? d->segs[d->nsegs - 1].no + 1 : 1;
	seg_name(cc.name, sizeof cc.name, d, cc.seg);
	cc.fd = open(cc.name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (cc.fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", cc.name,
		    strerror(errno));
		goto done;
	}
	for (size_t i = 0; i < d->nsegs; i++) {
		int64_t r = read_members(d, d->segs[i].no, 0, d->segs[i].good,
		    compact_member, &cc, err, errlen);

		if (cc.failed)
			goto done;
		if (r < 0)
			goto done;
	}
	d->cache_off = 0;
	if (compact_flush(&cc) < 0)
		goto done;
	if (fsync(cc.fd) != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", cc.name,
		    strerror(errno));
		goto done;
	}
	close(cc.fd);
	cc.fd = -1;
	if (ft_fsync_dir(cc.name, err, errlen) < 0)
		goto done;
	/* The switch: one MANIFEST naming only the new segment. */
	old = d->segs;
	nold = d->nsegs;
	memset(&one, 0, sizeof one);
	one.no = cc.seg;
	one.committed = one.good = cc.size;
	d->segs = &one;
	d->nsegs = 1;
	d->generation++;
	if (write_manifest(d, err, errlen) < 0) {
		d->segs = old;
		d->nsegs = nold;
		d->generation--;
		old = NULL;
		unlink(cc.name);
		goto done;
	}
	d->segs = old;
	d->nsegs = nold;
	for (size_t i = 0; i < nold; i++) {
		char name[4200];

		seg_name(name, sizeof name, d, old[i].no);
		unlink(name);
	}
	(void)ft_fsync_dir(cc.name, err, errlen);
	/* Read the compacted store afresh. */
	{
		uint64_t gen = d->generation;

		free_index(d);
		d->generation = gen;
		if (refresh(d, err, errlen) < 0)
			goto done;
	}
	*dropped = cc.dropped;
	d->dirty = 1;
	rc = 0;
done:
	if (cc.fd >= 0)
		close(cc.fd);
	ft_buf_free(&cc.plain);
	ft_buf_free(&cc.member);
	d->locked = 0;
	close(lockfd);
	return rc;
}

const struct ft_store_ops ft_store_dir = {
	"dir:", 1, dir_open, dir_close, dir_write, dir_latest, dir_as_of,
	dir_as_of_many, dir_history, dir_entity, dir_scan, dir_refresh,
	dir_stats, dir_compact, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};
