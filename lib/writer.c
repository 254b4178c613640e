/*
 * writer.c - the record writer: NDJSON out through feat's own generator.
 *
 * The generator escapes strings and tracks commas the way yajl's does
 * (the bytes are the same: \b \f \n \r \t \" \\ escaped, other control
 * characters as \u00XX, everything else as it is), writing straight into
 * the output buffer, where yajl's generator made a print callback per
 * piece (feat-serve writes every response through it).  Numbers are written as the text they are given: doubles by
 * feat_fmt_double's shortest form, or the raw text they arrived with.
 * Every call is checked against where it stands: a call out of place (a
 * value where a key belongs, an object closed twice or as an array) marks
 * the writer failed, so a record that would be malformed is never written
 * whole and the tool exits 4 naming the problem instead.
 *
 * Records collect in one buffer that goes to the file descriptor in large
 * write(2) calls, or after every record when unbuffered.  Writes retry
 * EINTR: a signal that asks a tool to stop must not cut a record in two.
 */
#include "feat-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLUSH_AT 65536
#define MAX_DEPTH 128

/* Where the generator stands, per level. */
enum gen_state {
	G_START,		/* nothing written yet (level 0 only) */
	G_MAP_START,		/* after '{' */
	G_MAP_KEY,		/* a key is next (after a member) */
	G_MAP_VAL,		/* a value is next (after a key) */
	G_ARRAY_START,		/* after '[' */
	G_IN_ARRAY,		/* after an element */
	G_COMPLETE		/* the record is whole (level 0 only) */
};

struct feat_writer {
	int fd;
	int unbuffered;
	int failed;		/* errno of a failed write, or EINVAL */
	unsigned long flushes;
	char errmsg[128];
	struct ft_buf buf;
	int depth;
	unsigned char state[MAX_DEPTH];
	/* The last two times written, formatted: created repeats per ms,
	   and a response alternates a record's ts and created. */
	int64_t time_ms[2];
	size_t time_len[2];
	unsigned time_next;		/* the slot written next */
	char time_text[2][FEAT_TIME_BUFSZ];
};

feat_writer *
feat_writer_new(int fd, int unbuffered)
{
	struct feat_writer *w = feat_xcalloc(1, sizeof *w);

	w->fd = fd;
	w->unbuffered = unbuffered;
	ft_buf_grow(&w->buf, FLUSH_AT * 2);
	return w;
}

static void
fail(struct feat_writer *w, const char *what)
{
	if (w->failed)
		return;
	w->failed = EINVAL;
	snprintf(w->errmsg, sizeof w->errmsg, "invalid record: %s", what);
}

static int
flush(struct feat_writer *w)
{
	if (w->fd < 0)			/* a writer into memory keeps it all */
		return w->failed ? -1 : 0;
	if (w->buf.len > 0 && !w->failed) {
		if (ft_write_all(w->fd, w->buf.p, w->buf.len) < 0) {
			w->failed = errno ? errno : EIO;
			snprintf(w->errmsg, sizeof w->errmsg, "%s",
			    strerror(w->failed));
		} else
			w->flushes++;
	}
	w->buf.len = 0;
	return w->failed ? -1 : 0;
}

/*
 * Before a value (key says it is a member's key): checks that one may
 * stand here and writes the separator.  0, or -1 (the writer failed).
 */
static inline int
before(struct feat_writer *w, int key)
{
	unsigned char *st = &w->state[w->depth];

	switch (*st) {
	case G_START:
		if (key)
			break;
		*st = G_COMPLETE;
		return 0;
	case G_MAP_START:
		if (!key) {
			fail(w, "a key must be a string");
			return -1;
		}
		*st = G_MAP_VAL;
		return 0;
	case G_MAP_KEY:
		if (!key) {
			fail(w, "a key must be a string");
			return -1;
		}
		ft_buf_addc(&w->buf, ',');
		*st = G_MAP_VAL;
		return 0;
	case G_MAP_VAL:
		if (key)	/* a string as a value is not a key */
			break;
		ft_buf_addc(&w->buf, ':');
		*st = G_MAP_KEY;
		return 0;
	case G_ARRAY_START:
		if (key)
			break;
		*st = G_IN_ARRAY;
		return 0;
	case G_IN_ARRAY:
		if (key)
			break;
		ft_buf_addc(&w->buf, ',');
		return 0;
	case G_COMPLETE:
		fail(w, "a value after the end of the record");
		return -1;
	}
	fail(w, "a key where a value belongs");
	return -1;
}

static void
open_level(struct feat_writer *w, enum gen_state st, char c)
{
	if (w->failed || before(w, 0) < 0)
		return;
	if (w->depth + 1 >= MAX_DEPTH) {
		fail(w, "nesting too deep");
		return;
	}
	w->state[++w->depth] = (unsigned char)st;
	ft_buf_addc(&w->buf, c);
}

static void
close_level(struct feat_writer *w, int map)
{
	unsigned char st;

	if (w->failed)
		return;
	st = w->state[w->depth];
	if (w->depth == 0 || (map ? st != G_MAP_START && st != G_MAP_KEY :
	    st != G_ARRAY_START && st != G_IN_ARRAY)) {
		fail(w, map ? "an object closed where none is open" :
		    "an array closed where none is open");
		return;
	}
	w->depth--;
	ft_buf_addc(&w->buf, map ? '}' : ']');
}

void
feat_writer_open_object(feat_writer *w)
{
	open_level(w, G_MAP_START, '{');
}

void
feat_writer_close_object(feat_writer *w)
{
	close_level(w, 1);
}

void
feat_writer_open_array(feat_writer *w)
{
	open_level(w, G_ARRAY_START, '[');
}

void
feat_writer_close_array(feat_writer *w)
{
	close_level(w, 0);
}

/* Which bytes a string escapes: 0 none, else the letter after '\\', or
   'u' for \u00XX. */
static const unsigned char esc[256] = {
	['\0'] = 'u', [1] = 'u', [2] = 'u', [3] = 'u', [4] = 'u', [5] = 'u',
	[6] = 'u', [7] = 'u', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',
	[11] = 'u', ['\f'] = 'f', ['\r'] = 'r', [14] = 'u', [15] = 'u',
	[16] = 'u', [17] = 'u', [18] = 'u', [19] = 'u', [20] = 'u',
	[21] = 'u', [22] = 'u', [23] = 'u', [24] = 'u', [25] = 'u',
	[26] = 'u', [27] = 'u', [28] = 'u', [29] = 'u', [30] = 'u',
	[31] = 'u', ['"'] = '"', ['\\'] = '\\'
};

static void
quoted(struct ft_buf *b, const char *text, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	char *o;

	/* At most 6 bytes out for one in, and the quotes. */
	if (b->cap - b->len < n * 6 + 2)
		ft_buf_grow(b, n * 6 + 2);
	o = b->p + b->len;
	*o++ = '"';
	while (i < n) {
		/* Names and ids are short: a copy per byte beats a call. */
		while (i < n && esc[s[i]] == 0)
			*o++ = (char)s[i++];
		if (i == n)
			break;
		*o++ = '\\';
		if ((*o++ = (char)esc[s[i]]) == 'u') {
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[s[i] >> 4];
			*o++ = hex[s[i] & 15];
		}
		i++;
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

void
feat_writer_key(feat_writer *w, const char *k, size_t n)
{
	if (w->failed || before(w, 1) < 0)
		return;
	quoted(&w->buf, k, n);
}

void
feat_writer_string(feat_writer *w, const char *s, size_t n)
{
	if (w->failed || before(w, 0) < 0)
		return;
	quoted(&w->buf, s, n);
}

/* A value written as the text it is. */
static inline void
atom(struct feat_writer *w, const char *text, size_t n)
{
	if (w->failed || before(w, 0) < 0)
		return;
	ft_buf_add(&w->buf, text, n);
}

void
feat_writer_number(feat_writer *w, const char *text, size_t n)
{
	atom(w, text, n);
}

void
ft_writer_raw(feat_writer *w, const char *json, size_t n)
{
	atom(w, json, n);
}

/* A string of bytes that need no escape, quoted by one copy. */
static void
plain(struct feat_writer *w, int key, const char *s, size_t n)
{
	char *o;

	if (w->failed || before(w, key) < 0)
		return;
	if (w->buf.cap - w->buf.len < n + 2)
		ft_buf_grow(&w->buf, n + 2);
	o = w->buf.p + w->buf.len;
	*o++ = '"';
	memcpy(o, s, n);
	o[n] = '"';
	w->buf.len += n + 2;
}

void
ft_writer_plain_key(feat_writer *w, const char *k, size_t n)
{
	plain(w, 1, k, n);
}

void
ft_writer_plain_string(feat_writer *w, const char *s, size_t n)
{
	plain(w, 0, s, n);
}

void
feat_writer_double(feat_writer *w, double d)
{
	char buf[FEAT_DOUBLE_BUFSZ];
	size_t n = feat_fmt_double(d, buf);

	if (n == 0)
		atom(w, "null", 4);
	else
		atom(w, buf, n);
}

void
feat_writer_int(feat_writer *w, int64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	atom(w, p, (size_t)(buf + sizeof buf - p));
}

void
feat_writer_bool(feat_writer *w, int b)
{
	if (b)
		atom(w, "true", 4);
	else
		atom(w, "false", 5);
}

void
feat_writer_null(feat_writer *w)
{
	atom(w, "null", 4);
}

void
feat_writer_time(feat_writer *w, int64_t ns)
{
	int64_t ms = ft_floor_div(ns, FEAT_NS_PER_MS);
	unsigned k;

	/* Formatted once per millisecond: created repeats on every record. */
	if (w->time_len[0] > 0 && ms == w->time_ms[0])
		k = 0;
	else if (w->time_len[1] > 0 && ms == w->time_ms[1])
		k = 1;
	else {
		k = w->time_next;
		w->time_next ^= 1;
		w->time_ms[k] = ms;
		w->time_len[k] = feat_time_format(ns, w->time_text[k]);
	}
	/* RFC 3339 text needs no escape. */
	plain(w, 0, w->time_text[k], w->time_len[k]);
}

static void
reset(struct feat_writer *w)
{
	w->depth = 0;
	w->state[0] = G_START;
}

int
feat_writer_end_record(feat_writer *w)
{
	/* The record must be complete: one value, every level closed. */
	if (!w->failed && (w->depth != 0 || w->state[0] != G_COMPLETE)) {
		w->failed = EINVAL;
		snprintf(w->errmsg, sizeof w->errmsg, "invalid record: %s",
		    w->state[0] == G_START ? "nothing written" :
		    "an object or array left open");
	}
	reset(w);
	if (w->failed)
		return -1;
	ft_buf_addc(&w->buf, '\n');
	if (w->unbuffered || w->buf.len >= FLUSH_AT)
		return flush(w);
	return 0;
}

int
feat_writer_text(feat_writer *w, const char *text, size_t n)
{
	if (w->failed)
		return -1;
	ft_buf_add(&w->buf, text, n);
	if (w->unbuffered || w->buf.len >= FLUSH_AT)
		return flush(w);
	return 0;
}

struct ft_buf *
ft_writer_buf(feat_writer *w)
{
	return &w->buf;
}

void
ft_writer_clear(feat_writer *w)
{
	reset(w);
	w->buf.len = 0;
	w->failed = 0;
	w->errmsg[0] = '\0';
}

int
feat_writer_flush(feat_writer *w)
{
	return flush(w);
}

unsigned long
feat_writer_flushes(const feat_writer *w)
{
	return w->flushes;
}

const char *
feat_writer_error(const feat_writer *w)
{
	return w->failed ? w->errmsg : "";
}

int
feat_writer_close(feat_writer *w)
{
	int rc;

	if (w == NULL)
		return 0;
	rc = flush(w);
	ft_buf_free(&w->buf);
	free(w);
	return rc;
}
