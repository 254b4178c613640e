/*
 * test-utf8.c - unit tests for the strict UTF-8 and escape checks, the raw
 * quoting used by quarantine files, the line parser and numeric text.
 */
#include "feat-private.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"

/* One value of the open TAP point. */
#define CHECK(cond) tap_check((cond), "line %d: %s", __LINE__, #cond)

static size_t
seqlen(const char *s)
{
	return ft_utf8_seqlen((const unsigned char *)s, strlen(s));
}

static enum ft_scan
scan(const char *s, size_t *off)
{
	return ft_scan_json_text(s, strlen(s), off);
}

static int
quoted(const char *in, size_t n, const char *want)
{
	struct ft_buf b = { 0 };
	int ok;

	ft_json_quote_raw(&b, in, n);
	ok = b.len == strlen(want) && memcmp(b.p, want, b.len) == 0;
	if (!ok)
		tap_diag("quoted: got %.*s want %s", (int)b.len, b.p, want);
	ft_buf_free(&b);
	return ok;
}

static enum ft_jerr
parse(struct ft_json *j, const char *s)
{
	char msg[200];

	return ft_json_parse(j, s, strlen(s), msg, sizeof msg);
}

/* {"a":[[...]]} with k arrays: nesting depth k + 1. */
static const char *
deep_line(char *buf, int k)
{
	int n = 0;

	memcpy(buf, "{\"a\":", 5);
	n = 5;
	for (int i = 0; i < k; i++)
		buf[n++] = '[';
	for (int i = 0; i < k; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = '\0';
	return buf;
}

int
main(void)
{
	size_t off = 99;

	/* sequences: valid at each length, and the classic invalid ones */
	tap_begin("utf8-001", "sequences of each length are valid; overlong, "
	    "surrogate, out-of-range, lone and cut ones are not");
	CHECK(seqlen("a") == 1);
	CHECK(seqlen("\xc3\xa9") == 2);			/* é */
	CHECK(seqlen("\xe2\x82\xac") == 3);		/* € */
	CHECK(seqlen("\xf0\x9f\x98\x80") == 4);		/* U+1F600 */
	CHECK(seqlen("\xf4\x8f\xbf\xbf") == 4);		/* U+10FFFF */
	CHECK(seqlen("\xc0\xaf") == 0);			/* overlong '/' */
	CHECK(seqlen("\xc1\xbf") == 0);			/* overlong */
	CHECK(seqlen("\xe0\x80\xaf") == 0);		/* overlong 3-byte */
	CHECK(seqlen("\xf0\x80\x80\xaf") == 0);		/* overlong 4-byte */
	CHECK(seqlen("\xed\xa0\x80") == 0);		/* U+D800 encoded */
	CHECK(seqlen("\xed\xbf\xbf") == 0);		/* U+DFFF encoded */
	CHECK(seqlen("\xed\x9f\xbf") == 3);		/* U+D7FF is fine */
	CHECK(seqlen("\xf4\x90\x80\x80") == 0);		/* U+110000 */
	CHECK(seqlen("\xf5\x80\x80\x80") == 0);
	CHECK(seqlen("\xff") == 0);
	CHECK(seqlen("\x80") == 0);			/* lone continuation */
	CHECK(ft_utf8_seqlen((const unsigned char *)"\xe2\x82", 2) == 0);
	CHECK(seqlen("\xc3(") == 0);
	tap_end();

	/* whole-line scans, including the word-at-a-time fast path */
	tap_begin("utf8-002", "whole-line scans find bad UTF-8, lone "
	    "surrogates and NUL escapes at their offsets");
	CHECK(scan("{\"a\":\"plain ascii text, long enough for words\"}", &off) == FT_SCAN_OK);
	CHECK(scan("{\"a\":\"caf\xc3\xa9 \xe2\x82\xac\"}", &off) == FT_SCAN_OK);
	CHECK(scan("{\"a\":\"0123456789abcdef\xc0\xaf\"}", &off) == FT_SCAN_BAD_UTF8 && off == 22);
	CHECK(scan("{\"a\":\"\\ud83d\\ude00\"}", &off) == FT_SCAN_OK);
	CHECK(scan("{\"a\":\"\\ud800\"}", &off) == FT_SCAN_LONE_SURROGATE && off == 6);
	CHECK(scan("{\"a\":\"\\udc00\"}", &off) == FT_SCAN_LONE_SURROGATE);
	CHECK(scan("{\"a\":\"\\ud800\\u0041\"}", &off) == FT_SCAN_LONE_SURROGATE);
	CHECK(scan("{\"a\":\"\\uD800x\"}", &off) == FT_SCAN_LONE_SURROGATE);
	CHECK(scan("{\"a\":\"x\\u0000\"}", &off) == FT_SCAN_NUL && off == 7);
	CHECK(scan("{\"a\":\"\\\\u0000\"}", &off) == FT_SCAN_OK);	/* escaped backslash */
	CHECK(scan("{\"a\":\"\\u00e9\\n\"}", &off) == FT_SCAN_OK);
	CHECK(scan("", &off) == FT_SCAN_OK);
	tap_end();

	/* quoting raw bytes for the quarantine file */
	tap_begin("utf8-003", "raw bytes quoted as JSON: escapes, valid UTF-8 "
	    "kept, other bytes as \\u00XX");
	CHECK(quoted("ab", 2, "\"ab\""));
	CHECK(quoted("\"\\\n\t\r", 5, "\"\\\"\\\\\\n\\t\\r\""));
	CHECK(quoted("\xc0\xaf", 2, "\"\\u00c0\\u00af\""));
	CHECK(quoted("caf\xc3\xa9", 5, "\"caf\xc3\xa9\""));
	CHECK(quoted("\x01", 1, "\"\\u0001\""));
	CHECK(quoted("a\0b", 3, "\"a\\u0000b\""));
	CHECK(quoted("\xe2\x82", 2, "\"\\u00e2\\u0082\""));	/* cut sequence */
	tap_end();

	/* the line parser */
	{
		struct ft_json *j = ft_json_new();
		const struct ft_jval *root, *v;
		char deep[300];

		tap_begin("utf8-004", "the line parser builds the object and "
		    "finds its keys");
		CHECK(parse(j, "{\"a\":1,\"b\":\"x\\\"y\",\"c\":[true,null,{}]}") == FT_JOK);
		root = ft_json_node(j, 1);
		CHECK(root && root->type == FT_JOBJECT && root->count == 3);
		v = ft_json_get(j, root, "a", 1);
		CHECK(v && v->type == FT_JNUMBER && v->len == 1 && v->s[0] == '1');
		v = ft_json_get(j, root, "b", 1);
		CHECK(v && v->type == FT_JSTRING && v->len == 3 && memcmp(v->s, "x\"y", 3) == 0);
		v = ft_json_get(j, root, "c", 1);
		CHECK(v && v->type == FT_JARRAY && v->count == 3);
		CHECK(ft_json_get(j, root, "d", 1) == NULL);
		tap_end();

		tap_begin("utf8-005", "the line parser rejects non-objects and "
		    "invalid JSON, and parses again after");
		CHECK(parse(j, "[1]") == FT_JNOTOBJECT);
		CHECK(parse(j, "\"s\"") == FT_JNOTOBJECT);
		CHECK(parse(j, "12") == FT_JNOTOBJECT);
		CHECK(parse(j, "{\"a\":}") == FT_JINVALID);
		CHECK(parse(j, "{\"a\":1") == FT_JINVALID);
		CHECK(parse(j, "{}{}") == FT_JINVALID);
		CHECK(parse(j, "{} x") == FT_JINVALID);
		CHECK(parse(j, "{\"after\":\"errors\"}") == FT_JOK);
		tap_end();

		/* depth 64 is fine, 65 is not (the object counts as 1) */
		tap_begin("utf8-006", "nesting depth 64 parses, 65 is an error "
		    "the parser recovers from");
		CHECK(parse(j, deep_line(deep, 63)) == FT_JOK);
		CHECK(parse(j, deep_line(deep, 64)) == FT_JDEPTH);
		CHECK(parse(j, "{\"x\":\"reuse after depth error\"}") == FT_JOK);
		tap_end();
		ft_json_free(j);
	}

	/* numeric text */
	{
		const char *st;
		size_t tl;
		int ok;
		double d;

		tap_begin("utf8-007", "numeric text: values, strict JSON form, "
		    "range errors, non-numbers");
		CHECK(ft_num_parse("812.5", 5, &d, &st, &tl, &ok) == FT_NUM_OK && d == 812.5 && ok);
		CHECK(ft_num_parse(" 45 ", 4, &d, &st, &tl, &ok) == FT_NUM_OK && d == 45 && ok && tl == 2);
		CHECK(ft_num_parse("+4", 2, &d, &st, &tl, &ok) == FT_NUM_OK && d == 4 && !ok);
		CHECK(ft_num_parse("007", 3, &d, &st, &tl, &ok) == FT_NUM_OK && d == 7 && !ok);
		CHECK(ft_num_parse(".5", 2, &d, &st, &tl, &ok) == FT_NUM_OK && d == 0.5 && !ok);
		CHECK(ft_num_parse("1e999", 5, &d, &st, &tl, &ok) == FT_NUM_RANGE);
		CHECK(ft_num_parse("-1e999", 6, &d, &st, &tl, &ok) == FT_NUM_RANGE);
		CHECK(ft_num_parse("1e-999", 6, &d, &st, &tl, &ok) == FT_NUM_OK && d == 0);
		CHECK(ft_num_parse("abc", 3, &d, &st, &tl, &ok) == FT_NUM_INVALID);
		CHECK(ft_num_parse("0x10", 4, &d, &st, &tl, &ok) == FT_NUM_INVALID);
		CHECK(ft_num_parse("inf", 3, &d, &st, &tl, &ok) == FT_NUM_INVALID);
		CHECK(ft_num_parse("nan", 3, &d, &st, &tl, &ok) == FT_NUM_INVALID);
		CHECK(ft_num_parse("", 0, &d, &st, &tl, &ok) == FT_NUM_INVALID);
		CHECK(ft_num_parse("1.", 2, &d, &st, &tl, &ok) == FT_NUM_OK && !ok);
		CHECK(ft_num_parse("1e", 2, &d, &st, &tl, &ok) == FT_NUM_INVALID);
		tap_end();
	}

	/* sizes */
	{
		size_t z;

		tap_begin("utf8-008", "sizes with K, M and G suffixes; junk, "
		    "negatives and overflow rejected");
		CHECK(feat_parse_size("16M", &z) == 0 && z == 16u << 20);
		CHECK(feat_parse_size("1K", &z) == 0 && z == 1024);
		CHECK(feat_parse_size("7", &z) == 0 && z == 7);
		CHECK(feat_parse_size("2G", &z) == 0 && z == (size_t)2 << 30);
		CHECK(feat_parse_size("12X", &z) < 0);
		CHECK(feat_parse_size("", &z) < 0);
		CHECK(feat_parse_size("-1", &z) < 0);
		CHECK(feat_parse_size("99999999999999999999999", &z) < 0);
		tap_end();
	}

	/* durations */
	{
		int64_t ns;

		tap_begin("utf8-009", "durations in ms, s, m, h and d; a "
		    "missing unit, a sign and overflow rejected");
		CHECK(feat_parse_duration("5m", &ns) == 0 && ns == INT64_C(300000000000));
		CHECK(feat_parse_duration("60s", &ns) == 0 && ns == INT64_C(60000000000));
		CHECK(feat_parse_duration("250ms", &ns) == 0 && ns == INT64_C(250000000));
		CHECK(feat_parse_duration("4h", &ns) == 0 && ns == INT64_C(14400000000000));
		CHECK(feat_parse_duration("1d", &ns) == 0 && ns == INT64_C(86400000000000));
		CHECK(feat_parse_duration("0s", &ns) == 0 && ns == 0);
		CHECK(feat_parse_duration("5", &ns) < 0);
		CHECK(feat_parse_duration("5x", &ns) < 0);
		CHECK(feat_parse_duration("m", &ns) < 0);
		CHECK(feat_parse_duration("-5m", &ns) < 0);
		CHECK(feat_parse_duration("999999d", &ns) < 0);	/* past int64 */
		tap_end();
	}

	{
		int64_t ns = -1;
		char err[256];

		tap_begin("utf8-010", "a duration option: its least and greatest values "
		    "held, the message names the option, what was given, the "
		    "least and an example");
		CHECK(feat_parse_duration_option("ttl", "1ms", FEAT_NS_PER_MS,
		    INT64_MAX, "24h", &ns, err, sizeof err) == 0 && ns == FEAT_NS_PER_MS);
		CHECK(feat_parse_duration_option("ttl", "0s", FEAT_NS_PER_MS,
		    INT64_MAX, "24h", &ns, err, sizeof err) < 0);
		CHECK(strcmp(err, "invalid --ttl '0s': use a duration of at least "
		    "1ms, such as 24h") == 0);
		CHECK(feat_parse_duration_option("align", "0s", 0, INT64_MAX,
		    "5m", &ns, err, sizeof err) == 0 && ns == 0);
		CHECK(feat_parse_duration_option("align", "5", 0, INT64_MAX,
		    "5m", &ns, err, sizeof err) < 0);
		CHECK(strcmp(err, "invalid --align '5': use a duration such as 5m") == 0);
		CHECK(feat_parse_duration_option("max-skew", "59s",
		    FEAT_NS_PER_MIN, INT64_MAX, "1h", &ns, err, sizeof err) < 0);
		CHECK(strcmp(err, "invalid --max-skew '59s': use a duration of at "
		    "least 1m, such as 1h") == 0);
		CHECK(feat_parse_duration_option("timeout", "1h", FEAT_NS_PER_MS,
		    FEAT_NS_PER_HOUR, "50ms", &ns, err, sizeof err) == 0 &&
		    ns == FEAT_NS_PER_HOUR);
		CHECK(feat_parse_duration_option("timeout", "3601s",
		    FEAT_NS_PER_MS, FEAT_NS_PER_HOUR, "50ms", &ns, err,
		    sizeof err) < 0);
		CHECK(strcmp(err, "invalid --timeout '3601s': use a duration of "
		    "1ms to 1h, such as 50ms") == 0);
		tap_end();
	}

	return tap_done();
}
