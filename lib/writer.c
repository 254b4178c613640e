/*
 * writer.c - the record writer: NDJSON out through yajl's generator.
 *
 * yajl escapes strings and tracks commas; numbers never go through
 * yajl_gen_double (it prints %.20g) but through feat_fmt_double's shortest
 * form, or as the raw text they arrived with.  Every generator call's
 * status is checked: a call out of place (a value where a key belongs, an
 * object closed twice) marks the writer failed, so a record that would be
 * malformed is never written whole and the tool exits 4 naming the
 * problem instead.
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
#include <yajl/yajl_gen.h>

#define FLUSH_AT 65536

struct feat_writer {
	yajl_gen g;
	int fd;
	int unbuffered;
	int failed;		/* errno of a failed write, or EINVAL */
	unsigned long flushes;
	char errmsg[128];
	struct ft_buf buf;
	/* The last time written, formatted: created repeats it per ms. */
	int64_t time_ms;
	size_t time_len;
	char time_text[FEAT_TIME_BUFSZ];
};

static void
print_cb(void *ctx, const char *s, size_t n)
{
	struct feat_writer *w = ctx;

	ft_buf_add(&w->buf, s, n);
}

feat_writer *
feat_writer_new(int fd, int unbuffered)
{
	struct feat_writer *w = feat_xcalloc(1, sizeof *w);

	w->fd = fd;
	w->unbuffered = unbuffered;
	w->g = yajl_gen_alloc(NULL);
	yajl_gen_config(w->g, yajl_gen_print_callback, print_cb, w);
	ft_buf_grow(&w->buf, FLUSH_AT * 2);
	return w;
}

static const char *
gen_message(yajl_gen_status st)
{
	switch (st) {
	case yajl_gen_keys_must_be_strings:
		return "a key must be a string";
	case yajl_max_depth_exceeded:
		return "nesting too deep";
	case yajl_gen_in_error_state:
		return "the generator is in an error state";
	case yajl_gen_generation_complete:
		return "a value after the end of the record";
	case yajl_gen_invalid_number:
		return "an invalid number";
	case yajl_gen_no_buf:
		return "no buffer";
	case yajl_gen_invalid_string:
		return "an invalid string";
	default:
		return "a generator error";
	}
}

static void
check(struct feat_writer *w, yajl_gen_status st)
{
	if (st == yajl_gen_status_ok || w->failed)
		return;
	w->failed = EINVAL;
	snprintf(w->errmsg, sizeof w->errmsg, "invalid record: %s",
	    gen_message(st));
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

void
feat_writer_open_object(feat_writer *w)
{
	check(w, yajl_gen_map_open(w->g));
}

void
feat_writer_close_object(feat_writer *w)
{
	check(w, yajl_gen_map_close(w->g));
}

void
feat_writer_open_array(feat_writer *w)
{
	check(w, yajl_gen_array_open(w->g));
}

void
feat_writer_close_array(feat_writer *w)
{
	check(w, yajl_gen_array_close(w->g));
}

void
feat_writer_key(feat_writer *w, const char *k, size_t n)
{
	check(w, yajl_gen_string(w->g, (const unsigned char *)k, n));
}

void
feat_writer_string(feat_writer *w, const char *s, size_t n)
{
	check(w, yajl_gen_string(w->g, (const unsigned char *)s, n));
}

void
feat_writer_number(feat_writer *w, const char *text, size_t n)
{
	check(w, yajl_gen_number(w->g, text, n));
}

void
feat_writer_double(feat_writer *w, double d)
{
	char buf[FEAT_DOUBLE_BUFSZ];
	size_t n = feat_fmt_double(d, buf);

	if (n == 0)
		check(w, yajl_gen_null(w->g));
	else
		check(w, yajl_gen_number(w->g, buf, n));
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
	check(w, yajl_gen_number(w->g, p, (size_t)(buf + sizeof buf - p)));
}

void
feat_writer_bool(feat_writer *w, int b)
{
	check(w, yajl_gen_bool(w->g, b));
}

void
feat_writer_null(feat_writer *w)
{
	check(w, yajl_gen_null(w->g));
}

void
feat_writer_time(feat_writer *w, int64_t ns)
{
	int64_t ms = ft_floor_div(ns, FEAT_NS_PER_MS);

	/* Formatted once per millisecond: created repeats on every record. */
	if (w->time_len == 0 || ms != w->time_ms) {
		w->time_ms = ms;
		w->time_len = feat_time_format(ns, w->time_text);
	}
	check(w, yajl_gen_string(w->g, (const unsigned char *)w->time_text,
	    w->time_len));
}

int
feat_writer_end_record(feat_writer *w)
{
	/*
	 * The record must be complete: after the top-level object closes,
	 * yajl refuses another value with generation_complete, so asking for
	 * one tells whether it did.
	 */
	if (!w->failed && yajl_gen_null(w->g) !=
	    yajl_gen_generation_complete) {
		w->failed = EINVAL;
		snprintf(w->errmsg, sizeof w->errmsg, "invalid record: an "
		    "object or array left open");
	}
	yajl_gen_reset(w->g, NULL);
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
	yajl_gen_reset(w->g, NULL);
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
	yajl_gen_free(w->g);
	ft_buf_free(&w->buf);
	free(w);
	return rc;
}
