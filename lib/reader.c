/*
 * reader.c - input lines, from files, stdin, or gzip data (by name or by
 * magic bytes, through zlib).
 *
 * The reader splits lines itself in one buffer whose size is bounded by
 * --max-line: a longer line is never held whole.  The buffer is address
 * space reserved once (mmap, no reservation of memory) and used from its
 * start: pages become resident only as long lines need them and are given
 * back after, so memory follows the longest line actually read, and the
 * buffer never moves or is copied to grow.  Its first FEAT_RAW_MAX
 * bytes are kept for the quarantine file, the rest is counted and dropped.
 * Blank lines are skipped (but counted, so line numbers match an editor's),
 * and a CR before the LF is dropped.
 */
#include "feat-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK (128 * 1024)
#define INITIAL_CAP (2 * READ_CHUNK)

struct feat_reader {
	gzFile gz;
	char *name;
	char *buf;		/* reserve bytes of address space */
	size_t reserve;
	size_t initial;		/* cap when no long line is being read */
	size_t cap, start, end;	/* in use: buf[0, cap); unread: [start, end) */
	size_t max_line;
	unsigned long lineno;
	int eof;
	char errmsg[256];
	char prefix[FEAT_RAW_MAX];
};

feat_reader *
feat_reader_open(const char *path, size_t max_line)
{
	struct feat_reader *r;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
		path = NULL;
	} else
		fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	r = feat_xcalloc(1, sizeof *r);
	/*
	 * gzdopen reads plain data transparently and gzip data (also several
	 * concatenated members) by its magic bytes, whatever the name says.
	 */
	r->gz = gzdopen(fd, "rb");
	if (r->gz == NULL) {
		close(fd);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	gzbuffer(r->gz, READ_CHUNK);
	r->name = feat_xstrdup(path ? path : "<stdin>");
	r->max_line = max_line ? max_line : FEAT_MAX_LINE_DEFAULT;
	r->reserve = r->max_line + 2 + READ_CHUNK;
	r->buf = mmap(NULL, r->reserve, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->buf == MAP_FAILED) {
		gzclose(r->gz);
		free(r->name);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->initial = INITIAL_CAP < r->reserve ? INITIAL_CAP : r->reserve;
	r->cap = r->initial;
	return r;
}

const char *
feat_reader_name(const feat_reader *r)
{
	return r->name;
}

const char *
feat_reader_error(const feat_reader *r)
{
	return r->errmsg;
}

unsigned long
feat_reader_lineno(const feat_reader *r)
{
	return r->lineno;
}

/* Reads more input after buf[end]; returns bytes read, 0 at EOF, -1. */
static long
fill(struct feat_reader *r)
{
	int n, errnum;

	if (r->eof)
		return 0;
	/* Small reads: only a long line makes the buffer's pages resident. */
	n = gzread(r->gz, r->buf + r->end, (unsigned)(r->cap - r->end <
	    READ_CHUNK ? r->cap - r->end : READ_CHUNK));
	if (n < 0 || (n == 0 && gzerror(r->gz, &errnum) && errnum != Z_OK)) {
		const char *m = gzerror(r->gz, &errnum);

		if (errnum == Z_ERRNO)
			m = strerror(errno);
		else if (strncmp(m, "<fd:", 4) == 0 && strstr(m, ": "))
			m = strstr(m, ": ") + 2;	/* zlib names the fd */
		snprintf(r->errmsg, sizeof r->errmsg, "%s", m);
		return -1;
	}
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->end += (size_t)n;
	return n;
}

/*
 * Moves the unread bytes to the front and, when a long line had made the
 * buffer grow, gives the pages past the initial size back.
 */
static void
compact(struct feat_reader *r)
{
	size_t have = r->end - r->start;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, have);
		r->start = 0;
		r->end = have;
	}
	if (r->cap > r->initial && have <= r->initial / 2) {
		madvise(r->buf + r->initial, r->cap - r->initial,
		    MADV_DONTNEED);
		r->cap = r->initial;
	}
}

static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/*
 * Drops the rest of an overlong line whose first buffered bytes are
 * buf[start, end); fills in line.  Returns 1, or -1 on a read error.
 */
static int
skip_long(struct feat_reader *r, struct feat_line *line)
{
	size_t total = 0, keep = 0;
	char last = 0;

	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		size_t avail = (nl ? (size_t)(nl - r->buf) : r->end) - r->start;

		if (keep < FEAT_RAW_MAX) {
			size_t k = avail < FEAT_RAW_MAX - keep ? avail :
			    FEAT_RAW_MAX - keep;

			memcpy(r->prefix + keep, r->buf + r->start, k);
			keep += k;
		}
		if (avail > 0)
			last = r->buf[r->start + avail - 1];
		total += avail;
		if (nl) {
			r->start = (size_t)(nl - r->buf) + 1;
			break;
		}
		r->start = r->end = 0;
		if (fill(r) < 0)
			return -1;
		if (r->eof)
			break;
	}
	if (last == '\r') {
		total--;
		if (keep > total)
			keep = total;
	}
	compact(r);
	line->text = r->prefix;
	line->len = keep;
	line->bytes = total;
	line->lineno = r->lineno;
	line->too_long = 1;
	return 1;
}

int
feat_reader_next(feat_reader *r, struct feat_line *line)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		size_t len;

		if (nl == NULL) {
			size_t have = r->end - r->start;

			if (have > r->max_line + 1) {
				/* Too long whatever follows: stop buffering. */
				r->lineno++;
				return skip_long(r, line);
			}
			if (r->eof) {
				if (have == 0)
					return 0;
				nl = r->buf + r->end;	/* last line, no LF */
			} else {
				compact(r);
				if (r->end == r->cap)	/* a long line: use more */
					r->cap = r->cap * 2 < r->reserve ?
					    r->cap * 2 : r->reserve;
				if (fill(r) < 0)
					return -1;
				continue;
			}
		}
		line->text = r->buf + r->start;
		len = (size_t)(nl - line->text);
		r->start = nl < r->buf + r->end ? (size_t)(nl - r->buf) + 1 :
		    r->end;
		r->lineno++;
		if (len > 0 && line->text[len - 1] == '\r')
			len--;
		if (blank(line->text, len))
			continue;
		line->lineno = r->lineno;
		line->bytes = line->len = len;
		line->too_long = len > r->max_line;
		if (line->too_long) {
			line->len = len < FEAT_RAW_MAX ? len : FEAT_RAW_MAX;
		}
		return 1;
	}
}

void
feat_reader_close(feat_reader *r)
{
	if (r == NULL)
		return;
	gzclose(r->gz);
	munmap(r->buf, r->reserve);
	free(r->name);
	free(r);
}
