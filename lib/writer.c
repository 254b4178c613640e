/*
 * writer.c - the record writer: NDJSON out through yajl's generator.
 *
 * yajl escapes strings and tracks commas; numbers never go through
 * yajl_gen_double (it prints %.20g) but through feat_fmt_double's shortest
 * form, or as the raw text they arrived with.  Records collect in one buffer
 * that is handed to stdio in large writes, or after every record with
 * --unbuffered.
 */
#include "feat-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define FLUSH_AT 65536

struct feat_writer {
	yajl_gen g;
	FILE *out;
	int unbuffered;
	int failed;
	struct ft_buf buf;
};

static void
print_cb(void *ctx, const char *s, size_t n)
{
	struct feat_writer *w = ctx;

	ft_buf_add(&w->buf, s, n);
}

feat_writer *
feat_writer_new(FILE *out, int unbuffered)
{
	struct feat_writer *w = feat_xcalloc(1, sizeof *w);

	w->out = out;
	w->unbuffered = unbuffered;
	w->g = yajl_gen_alloc(NULL);
	yajl_gen_config(w->g, yajl_gen_print_callback, print_cb, w);
	ft_buf_grow(&w->buf, FLUSH_AT * 2);
	return w;
}

static int
flush(struct feat_writer *w)
{
	if (w->buf.len > 0 && !w->failed) {
		if (fwrite(w->buf.p, 1, w->buf.len, w->out) != w->buf.len)
			w->failed = errno ? errno : EIO;
	}
	w->buf.len = 0;
	return w->failed ? -1 : 0;
}

void
feat_writer_open_object(feat_writer *w)
{
	yajl_gen_map_open(w->g);
}

void
feat_writer_close_object(feat_writer *w)
{
	yajl_gen_map_close(w->g);
}

void
feat_writer_open_array(feat_writer *w)
{
	yajl_gen_array_open(w->g);
}

void
feat_writer_close_array(feat_writer *w)
{
	yajl_gen_array_close(w->g);
}

void
feat_writer_key(feat_writer *w, const char *k, size_t n)
{
	yajl_gen_string(w->g, (const unsigned char *)k, n);
}

void
feat_writer_string(feat_writer *w, const char *s, size_t n)
{
	yajl_gen_string(w->g, (const unsigned char *)s, n);
}

void
feat_writer_number(feat_writer *w, const char *text, size_t n)
{
	yajl_gen_number(w->g, text, n);
}

void
feat_writer_double(feat_writer *w, double d)
{
	char buf[FEAT_DOUBLE_BUFSZ];
	size_t n = feat_fmt_double(d, buf);

	if (n == 0)
		yajl_gen_null(w->g);
	else
		yajl_gen_number(w->g, buf, n);
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
	yajl_gen_number(w->g, p, (size_t)(buf + sizeof buf - p));
}

void
feat_writer_bool(feat_writer *w, int b)
{
	yajl_gen_bool(w->g, b);
}

void
feat_writer_null(feat_writer *w)
{
	yajl_gen_null(w->g);
}

void
feat_writer_time(feat_writer *w, int64_t ns)
{
	char buf[FEAT_TIME_BUFSZ];
	size_t n = feat_time_format(ns, buf);

	yajl_gen_string(w->g, (const unsigned char *)buf, n);
}

int
feat_writer_end_record(feat_writer *w)
{
	yajl_gen_reset(w->g, NULL);
	ft_buf_addc(&w->buf, '\n');
	if (w->unbuffered) {
		if (flush(w) < 0 || fflush(w->out) != 0)
			return -1;
		return 0;
	}
	if (w->buf.len >= FLUSH_AT)
		return flush(w);
	return w->failed ? -1 : 0;
}

int
feat_writer_close(feat_writer *w)
{
	int rc;

	if (w == NULL)
		return 0;
	rc = flush(w);
	if (rc == 0 && fflush(w->out) != 0)
		rc = -1;
	if (rc < 0 && w->failed)
		errno = w->failed;
	yajl_gen_free(w->g);
	ft_buf_free(&w->buf);
	free(w);
	return rc;
}
