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
 *
 * Input is read with read(2), which returns what a pipe holds, so lines
 * are processed as they arrive (tail -f | feat-x works); gzip data, found
 * by its magic bytes whatever the name, goes through zlib's inflate,
 * concatenated members included.
 *
 * Each byte is scanned for a line end once: the unread part of the buffer
 * up to `scan` is known to hold none, so a long line arriving in many
 * reads costs linear time.  A UTF-8 byte-order mark at the start of the
 * input is dropped.  When the caller's stop flag is set (SIGINT, SIGTERM)
 * every loop here returns FEAT_READ_STOPPED, also while a long line is
 * being skipped or a read is blocked on a pipe.
 */
#include "feat-private.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK (128 * 1024)
#define IN_SIZE (64 * 1024)
enum { UNKNOWN, PLAIN, GZIP };
#define INITIAL_CAP (2 * READ_CHUNK)

struct feat_reader {
	int fd;
	int mode;		/* UNKNOWN, PLAIN or GZIP, by the first bytes */
	z_stream zs;
	int zs_ready;		/* inflateInit2 done */
	int member_done;	/* a gzip member ended, maybe more follow */
	unsigned char *in;	/* raw input not yet used: in[ipos, ilen) */
	size_t ipos, ilen;
	int in_eof;		/* read(2) returned 0 */
	char *name;
	char *buf;		/* reserve bytes of address space */
	size_t reserve;
	size_t initial;		/* cap when no long line is being read */
	size_t cap, start, end;	/* in use: buf[0, cap); unread: [start, end) */
	size_t scan;		/* buf[start, scan) holds no line end */
	size_t max_line;
	unsigned long lineno;
	int eof;
	int at_start;		/* nothing returned yet: a BOM may come */
	int stopped;
	const volatile sig_atomic_t *stop;
	int64_t idle;		/* ns without input before FEAT_READ_IDLE */
	uint64_t raw_read;	/* bytes read from the file */
	uint64_t size;		/* of a regular file, else 0 */
	char errmsg[256];
	char reason[64];	/* "line longer than N bytes" */
	char prefix[FEAT_RAW_MAX];
};

feat_reader *
feat_reader_open(const char *path, const struct feat_reader_opts *o)
{
	struct feat_reader *r;
	struct stat st;
	size_t max_line = o ? o->max_line : 0;
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		path = NULL;
	} else {
		/* Opening a FIFO waits for its writer: a signal ends that. */
		while ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 &&
		    errno == EINTR && !(o && o->stop && *o->stop))
			continue;
	}
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : errno;

		close(fd);
		errno = e;
		return NULL;
	}
	r = feat_xcalloc(1, sizeof *r);
	r->fd = fd;
	r->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	r->stop = o ? o->stop : NULL;
	r->idle = o ? o->idle : 0;
	r->at_start = 1;
	r->in = feat_xmalloc(IN_SIZE);
	r->name = feat_xstrdup(path ? path : "<stdin>");
	r->max_line = max_line ? max_line : FEAT_MAX_LINE_DEFAULT;
	if (r->max_line > FEAT_MAX_LINE_MAX)
		r->max_line = FEAT_MAX_LINE_MAX;
	r->reserve = r->max_line + 2 + READ_CHUNK;
	r->buf = mmap(NULL, r->reserve, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->buf == MAP_FAILED) {
		close(r->fd);
		free(r->in);
		free(r->name);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->initial = INITIAL_CAP < r->reserve ? INITIAL_CAP : r->reserve;
	r->cap = r->initial;
	snprintf(r->reason, sizeof r->reason, "line longer than %zu bytes",
	    r->max_line);
	return r;
}

uint64_t
feat_reader_size(const feat_reader *r)
{
	return r->size;
}

uint64_t
feat_reader_offset(const feat_reader *r)
{
	return r->raw_read;
}

static int
stopping(const struct feat_reader *r)
{
	return r->stop != NULL && *r->stop != 0;
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

/* Reads raw input into in[]; returns bytes, 0 at EOF, -1 (errmsg set). */
static long
read_raw(struct feat_reader *r)
{
	ssize_t n;

	if (r->ipos == r->ilen)
		r->ipos = r->ilen = 0;
	if (r->in_eof || r->ilen == IN_SIZE)
		return 0;
	for (;;) {
		if (stopping(r)) {
			r->stopped = 1;
			return -1;
		}
		n = read(r->fd, r->in + r->ilen, IN_SIZE - r->ilen);
		if (n >= 0)
			break;
		if (errno != EINTR) {
			snprintf(r->errmsg, sizeof r->errmsg, "%s",
			    strerror(errno));
			return -1;
		}
		/* A signal: the loop's top decides whether it ends us. */
	}
	if (n == 0)
		r->in_eof = 1;
	r->ilen += (size_t)n;
	r->raw_read += (uint64_t)n;
	return n;
}

static long
fail_gzip(struct feat_reader *r, const char *what)
{
	snprintf(r->errmsg, sizeof r->errmsg, "%s", what);
	return -1;
}

/* Inflates into out[0, want); returns bytes, 0 at the end, -1. */
static long
inflate_some(struct feat_reader *r, char *out, size_t want)
{
	for (;;) {
		int zrc;

		if (r->ipos == r->ilen && read_raw(r) < 0)
			return -1;
		if (r->member_done) {
			if (r->ipos == r->ilen && r->in_eof)
				return 0;	/* the last member ended */
			if (r->ipos == r->ilen)
				continue;
			/* Another member must follow, nothing else. */
			if (r->in[r->ipos] != 0x1f)
				return fail_gzip(r, "trailing garbage after gzip data");
			inflateReset(&r->zs);
			r->member_done = 0;
		}
		if (r->ipos == r->ilen && r->in_eof)
			return fail_gzip(r, "unexpected end of file");
		r->zs.next_in = r->in + r->ipos;
		r->zs.avail_in = (uInt)(r->ilen - r->ipos);
		r->zs.next_out = (Bytef *)out;
		r->zs.avail_out = (uInt)want;
		zrc = inflate(&r->zs, Z_NO_FLUSH);
		r->ipos = r->ilen - r->zs.avail_in;
		if (zrc == Z_STREAM_END)
			r->member_done = 1;
		else if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return fail_gzip(r, r->zs.msg ? r->zs.msg :
			    "invalid gzip data");
		if (want - r->zs.avail_out > 0)
			return (long)(want - r->zs.avail_out);
	}
}

/* Reads more input after buf[end]; returns bytes read, 0 at EOF, -1. */
static long
fill(struct feat_reader *r)
{
	/* Small reads: only a long line makes the buffer's pages resident. */
	size_t want = r->cap - r->end < READ_CHUNK ? r->cap - r->end :
	    READ_CHUNK;
	long n;

	if (r->eof)
		return 0;
	if (r->mode == UNKNOWN) {
		/* The magic bytes decide, whatever the file is called. */
		while (r->ilen < 2 && !r->in_eof)
			if (read_raw(r) < 0)
				return -1;
		if (r->ilen >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
			r->mode = GZIP;
			if (inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK)
				return fail_gzip(r, "cannot start zlib");
			r->zs_ready = 1;
		} else
			r->mode = PLAIN;
	}
	if (r->mode == GZIP)
		n = inflate_some(r, r->buf + r->end, want);
	else {
		if (r->ipos == r->ilen && read_raw(r) < 0)
			return -1;
		n = (long)(r->ilen - r->ipos < want ? r->ilen - r->ipos : want);
		memcpy(r->buf + r->end, r->in + r->ipos, (size_t)n);
		r->ipos += (size_t)n;
	}
	if (n < 0)
		return -1;
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
		r->scan -= r->start;
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
 * buf[start, end); fills in line.  Returns a FEAT_READ_* status.
 */
static int
skip_long(struct feat_reader *r, struct feat_line *line)
{
	size_t total = 0, keep = 0;
	char last = 0;
	int unterminated = 0;

	r->at_start = 0;
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
		r->start = r->end = r->scan = 0;
		if (stopping(r)) {
			r->stopped = 1;
			return FEAT_READ_STOPPED;
		}
		if (fill(r) < 0)
			return r->stopped ? FEAT_READ_STOPPED : FEAT_READ_ERROR;
		if (r->eof) {
			unterminated = 1;
			break;
		}
	}
	if (last == '\r') {
		total--;
		if (keep > total)
			keep = total;
	}
	r->scan = r->start;
	compact(r);
	line->text = r->prefix;
	line->len = keep;
	line->bytes = total;
	line->unterminated = unterminated;
	line->lineno = r->lineno;
	line->file = r->name;
	line->reason = r->reason;
	return FEAT_READ_LINE;
}

int
feat_reader_next(feat_reader *r, struct feat_line *line)
{
	if (r->stopped)
		return FEAT_READ_STOPPED;
	line->unterminated = 0;
	for (;;) {
		char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		size_t len;

		if (nl == NULL) {
			size_t have = r->end - r->start;

			r->scan = r->end;
			if (have > r->max_line + 1) {
				/* Too long whatever follows: stop buffering. */
				r->lineno++;
				return skip_long(r, line);
			}
			if (r->eof) {
				if (have == 0)
					return FEAT_READ_END;
				nl = r->buf + r->end;	/* last line, no LF */
			} else {
				if (stopping(r)) {
					r->stopped = 1;
					return FEAT_READ_STOPPED;
				}
				if (r->idle > 0 && r->ipos == r->ilen &&
				    !r->in_eof) {
					/* Nothing buffered: a quiet stream? */
					struct pollfd p = { r->fd, POLLIN, 0 };
					int64_t ms = (r->idle + 999999) /
					    FEAT_NS_PER_MS;
					int rc = poll(&p, 1, ms > INT32_MAX ?
					    INT32_MAX : (int)ms);

					if (rc == 0)
						return FEAT_READ_IDLE;
					if (rc < 0 && errno == EINTR)
						continue;
				}
				compact(r);
				if (r->end == r->cap)	/* a long line: use more */
					r->cap = r->cap * 2 < r->reserve ?
					    r->cap * 2 : r->reserve;
				if (fill(r) < 0)
					return r->stopped ? FEAT_READ_STOPPED :
					    FEAT_READ_ERROR;
				continue;
			}
		}
		line->text = r->buf + r->start;
		line->unterminated = nl == r->buf + r->end;
		len = (size_t)(nl - line->text);
		r->start = nl < r->buf + r->end ? (size_t)(nl - r->buf) + 1 :
		    r->end;
		r->scan = r->start;
		r->lineno++;
		if (r->at_start) {
			/* A byte-order mark says UTF-8; it is not content. */
			r->at_start = 0;
			if (len >= 3 && memcmp(line->text, "\xEF\xBB\xBF",
			    3) == 0) {
				line->text += 3;
				len -= 3;
			}
		}
		if (len > 0 && line->text[len - 1] == '\r')
			len--;
		if (blank(line->text, len))
			continue;
		line->lineno = r->lineno;
		line->file = r->name;
		line->bytes = line->len = len;
		line->reason = NULL;
		if (len > r->max_line) {
			line->len = len < FEAT_RAW_MAX ? len : FEAT_RAW_MAX;
			line->reason = r->reason;
		}
		return FEAT_READ_LINE;
	}
}

void
feat_reader_close(feat_reader *r)
{
	if (r == NULL)
		return;
	if (r->zs_ready)
		inflateEnd(&r->zs);
	close(r->fd);
	free(r->in);
	munmap(r->buf, r->reserve);
	free(r->name);
	free(r);
}
