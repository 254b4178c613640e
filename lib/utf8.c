/*
 * utf8.c - strict UTF-8 and JSON escape checks on raw input lines.
 *
 * JSON libraries differ in what they let through: yajl turns a lone
 * \ud800 into '?', others pass overlong forms.  feat decides for itself, on
 * the raw bytes, before any parser sees them, so every tool rejects the same
 * lines with the same reason.  The scan is the first pass over every byte
 * of input, so it runs a word at a time over plain ASCII.
 */
#include "feat-private.h"

#include <string.h>

size_t
ft_utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xC2)		/* continuation byte, or overlong 2-byte lead */
		return 0;
	if (c < 0xE0) {
		if (n < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xF0) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)	/* overlong */
			return 0;
		if (c == 0xED && s[1] >= 0xA0)	/* U+D800..U+DFFF */
			return 0;
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)	/* overlong */
			return 0;
		if (c == 0xF4 && s[1] >= 0x90)	/* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

int
ft_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Value of the 4 hex digits after "\u" at s, or -1. */
static long
hex4(const unsigned char *s, size_t n)
{
	long v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = ft_hexval(s[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* True when any byte of w is >= 0x80 or a backslash. */
static inline int
interesting(uint64_t w)
{
	uint64_t bs = w ^ (ONES * '\\');

	return ((w | ((bs - ONES) & ~bs)) & HIGHS) != 0;
}

enum ft_scan
ft_scan_json_text(const char *text, size_t n, size_t *off)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < n) {
		while (i + 8 <= n) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (interesting(w))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if (s[i] < 0x80 && s[i] != '\\') {
			i++;
			continue;
		}
		if (s[i] >= 0x80) {
			size_t k = ft_utf8_seqlen(s + i, n - i);

			if (k == 0) {
				*off = i;
				return FT_SCAN_BAD_UTF8;
			}
			i += k;
			continue;
		}
		/*
		 * A backslash: outside a string it is invalid JSON anyway, so
		 * the parser reports that; here only \u escapes matter.
		 */
		if (i + 1 < n && s[i + 1] == 'u') {
			long v = hex4(s + i + 2, n - i - 2);

			if (v == 0) {
				*off = i;
				return FT_SCAN_NUL;
			}
			if (v >= 0xDC00 && v <= 0xDFFF) {
				*off = i;
				return FT_SCAN_LONE_SURROGATE;
			}
			if (v >= 0xD800 && v <= 0xDBFF) {
				long lo = -1;

				if (i + 7 < n && s[i + 6] == '\\' &&
				    s[i + 7] == 'u')
					lo = hex4(s + i + 8, n - i - 8);
				if (lo < 0xDC00 || lo > 0xDFFF) {
					*off = i;
					return FT_SCAN_LONE_SURROGATE;
				}
				i += 12;
				continue;
			}
			i += v < 0 ? 2 : 6;
			continue;
		}
		i += 2;		/* the escaped character, whatever it is */
	}
	return FT_SCAN_OK;
}

void
ft_json_quote_raw(struct ft_buf *b, const char *text, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)text;

	ft_buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t k;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			ft_buf_addc(b, (char)c);
			i++;
			continue;
		}
		switch (c) {
		case '"': ft_buf_add(b, "\\\"", 2); i++; continue;
		case '\\': ft_buf_add(b, "\\\\", 2); i++; continue;
		case '\n': ft_buf_add(b, "\\n", 2); i++; continue;
		case '\r': ft_buf_add(b, "\\r", 2); i++; continue;
		case '\t': ft_buf_add(b, "\\t", 2); i++; continue;
		default: break;
		}
		k = c >= 0x80 ? ft_utf8_seqlen(s + i, n - i) : 0;
		if (k > 0) {
			ft_buf_add(b, s + i, k);
			i += k;
			continue;
		}
		/* A control character or a byte that is not UTF-8. */
		ft_buf_add(b, "\\u00", 4);
		ft_buf_addc(b, hex[c >> 4]);
		ft_buf_addc(b, hex[c & 15]);
		i++;
	}
	ft_buf_addc(b, '"');
}

size_t
ft_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k = ft_utf8_seqlen(s, n);

	switch (k) {
	case 1:
		*cp = s[0];
		return 1;
	case 2:
		*cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	case 3:
		*cp = ((uint32_t)(s[0] & 0x0F) << 12) |
		    ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return 3;
	case 4:
		*cp = ((uint32_t)(s[0] & 0x07) << 18) |
		    ((uint32_t)(s[1] & 0x3F) << 12) |
		    ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return 4;
	default:
		*cp = s[0];
		return 1;
	}
}
