/*
 * state.c - the binary codec of feat-window's --state checkpoint: what a
 * column's aggregation state (aggregate.c, sketch.c) is written with.
 *
 * Integers are LEB128 varints, signed ones zigzagged first so that small
 * magnitudes of either sign stay short; doubles are their 8 IEEE bytes,
 * little-endian, so that every value comes back bit for bit (-0, NaN
 * payloads, the double-double sum's low half); byte strings are a length
 * then the bytes.  Every value has one encoding only (a varint in its
 * shortest form), so what is loaded saves to the same bytes.
 *
 * A checkpoint is input like any other: the decoder reads only
 * d->p[d->off .. d->len), whatever the bytes say.  A getter that would
 * read past the end, or meets a varint longer than 64 bits or not in its
 * shortest form, marks the decoder bad and returns 0; a bad decoder stays
 * bad, so a loader may read a whole record and check d->bad once.
 */
#include "window-private.h"

#include <string.h>

void
ft_enc_u64(struct ft_buf *b, uint64_t v)
{
	unsigned char out[10];
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (unsigned char)v;
	ft_buf_add(b, out, n);
}

void
ft_enc_i64(struct ft_buf *b, int64_t v)
{
	/* Zigzag: 0, -1, 1, -2, ... as 0, 1, 2, 3, ... */
	ft_enc_u64(b, v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1);
}

void
ft_enc_f64(struct ft_buf *b, double v)
{
	unsigned char out[8];
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)(u >> (8 * i));
	ft_buf_add(b, out, sizeof out);
}

void
ft_enc_bytes(struct ft_buf *b, const void *p, size_t n)
{
	ft_enc_u64(b, n);
	if (n > 0)
		ft_buf_add(b, p, n);
}

/* The bytes still to read (none when the caller's offset is past the
   end). */
static size_t
dec_left(const struct ft_dec *d)
{
	return d->bad || d->off >= d->len ? 0 : d->len - d->off;
}

static uint64_t
dec_fail(struct ft_dec *d)
{
	d->bad = 1;
	return 0;
}

uint64_t
ft_dec_u64(struct ft_dec *d)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		unsigned char c;

		if (dec_left(d) == 0)
			return dec_fail(d);
		c = d->p[d->off++];
		if (shift == 63 && c > 1)
			return dec_fail(d);	/* past 64 bits */
		v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0) {
			if (c == 0 && shift > 0)
				return dec_fail(d);	/* not the shortest */
			return v;
		}
	}
	return dec_fail(d);
}

int64_t
ft_dec_i64(struct ft_dec *d)
{
	uint64_t u = ft_dec_u64(d);

	/* u >> 1 fits int64_t: no conversion out of range. */
	return u & 1 ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1);
}

double
ft_dec_f64(struct ft_dec *d)
{
	uint64_t u = 0;
	double v;

	if (dec_left(d) < 8)
		return (double)dec_fail(d);
	for (int i = 0; i < 8; i++)
		u |= (uint64_t)d->p[d->off + (size_t)i] << (8 * i);
	d->off += 8;
	memcpy(&v, &u, sizeof v);
	return v;
}

const void *
ft_dec_bytes(struct ft_dec *d, size_t *n)
{
	static const unsigned char none[1];
	uint64_t len = ft_dec_u64(d);
	const void *p;

	*n = 0;
	if (d->bad || len > dec_left(d)) {
		dec_fail(d);
		return NULL;
	}
	if (len == 0)
		return none;	/* not NULL: an empty string is no error */
	p = d->p + d->off;
	d->off += (size_t)len;
	*n = (size_t)len;
	return p;
}

size_t
ft_dec_count(struct ft_dec *d, size_t min_elem_bytes)
{
	uint64_t n = ft_dec_u64(d);

	if (min_elem_bytes == 0)
		min_elem_bytes = 1;
	if (d->bad || n > dec_left(d) / min_elem_bytes)
		return (size_t)dec_fail(d);
	return (size_t)n;
}
