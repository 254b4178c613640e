/*
 * test-record.c - unit tests for lib/record.c (the line checks, the
 * feature-record envelope and reader), lib/units.c (sizes and durations,
 * both ways) and lib/file.c (atomic replacement, the lock, stale files).
 *
 * The reader is what feat-validate, feat-drift, feat-load, feat-join and
 * feat-serve will read records with, so every field rule and reason phrase
 * of feat-records(5) is pinned here before any of them exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feat-private.h"
#include "tap.h"

static char dir[256];

/* ---- the line checks ------------------------------------------------------ */

static void
test_line_checks(void)
{
	static const struct {
		const char *line;
		enum feat_bad code;
		const char *reason;	/* the start of it */
	} cases[] = {
		{ "{\"a\":1}", FEAT_BAD_NONE, "" },
		{ "[1]", FEAT_BAD_NOT_OBJECT, "not an object" },
		{ "12", FEAT_BAD_NOT_OBJECT, "not an object" },
		{ "{\"a\":", FEAT_BAD_JSON, "invalid JSON: premature end" },
		{ "{\"a\":1}{}", FEAT_BAD_JSON, "invalid JSON" },
		{ "{\"a\":\"\xc0\xaf\"}", FEAT_BAD_UTF8, "invalid UTF-8: bad byte 0xc0 at offset 6" },
		{ "{\"a\":\"\\ud800\"}", FEAT_BAD_UTF8, "invalid UTF-8: lone surrogate" },
		{ "{\"a\":\"\\u0000\"}", FEAT_BAD_NUL, "NUL character in a string" },
	};
	struct ft_json *j = ft_json_new();
	struct feat_error e;
	char deep[512];
	size_t n = 0;

	tap_begin("record-001", "the line checks give the code and the fixed "
	    "phrase of feat-records(5)");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;

		memset(&e, 0, sizeof e);
		rc = ft_line_parse(j, cases[i].line, strlen(cases[i].line), &e);
		tap_check((rc == 0) == (cases[i].code == FEAT_BAD_NONE) &&
		    e.code == cases[i].code && strncmp(e.reason,
		    cases[i].reason, strlen(cases[i].reason)) == 0,
		    "'%s': rc %d, code %d, reason '%s'", cases[i].line, rc,
		    (int)e.code, e.reason);
	}
	/* 64 objects deep is a line; 65 is not. */
	for (int d = 0; d < 63; d++)
		n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"a\":");
	n += (size_t)snprintf(deep + n, sizeof deep - n, "{}");
	for (int d = 0; d < 63; d++)
		deep[n++] = '}';
	tap_check(ft_line_parse(j, deep, n, &e) == 0, "64 deep: %s", e.reason);
	memmove(deep + 5, deep, n);
	memcpy(deep, "{\"a\":", 5);
	deep[n + 5] = '}';
	tap_check(ft_line_parse(j, deep, n + 6, &e) == -1 &&
	    e.code == FEAT_BAD_DEPTH &&
	    strcmp(e.reason, "nesting deeper than 64") == 0, "65 deep: %s",
	    e.reason);
	tap_end();
	ft_json_free(j);
}

/* ---- repeated keys ---------------------------------------------------------- */

static void
test_duplicates(void)
{
	struct ft_json *j = ft_json_new();
	struct feat_error e;
	const struct ft_jval *root, *v;
	char big[4096];
	size_t n = 0;

	tap_begin("record-002", "a repeated key keeps its first place and takes "
	    "the last value, small objects and large");
	ft_line_parse(j, "{\"a\":1,\"b\":2,\"a\":{\"x\":1},\"a\":3}", 32, &e);
	root = ft_json_node(j, 1);
	v = ft_json_get(j, root, "a", 1);
	tap_check(root->count == 2 && v && v->type == FT_JNUMBER &&
	    v->len == 1 && v->s[0] == '3' &&
	    ft_json_node(j, root->child) == v, "small: count %u",
	    (unsigned)root->count);
	n += (size_t)snprintf(big + n, sizeof big - n, "{");
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d",
		    i ? "," : "", i, i);
	/* k7 again, an object of many keys, then k7 once more. */
	n += (size_t)snprintf(big + n, sizeof big - n, ",\"k7\":{");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"m%d\":1",
		    i ? "," : "", i);
	n += (size_t)snprintf(big + n, sizeof big - n, "},\"k7\":{\"m3\":9}}");
	tap_check(ft_line_parse(j, big, n, &e) == 0, "large: %s", e.reason);
	root = ft_json_node(j, 1);
	v = ft_json_get(j, root, "k7", 2);
	tap_check(root->count == 50 && v && v->type == FT_JOBJECT &&
	    v->count == 1, "large: count %u, k7 holds %u", (unsigned)root->count,
	    v ? (unsigned)v->count : 0);
	v = v ? ft_json_get(j, v, "m3", 2) : NULL;
	tap_check(v && v->len == 1 && v->s[0] == '9', "large: k7.m3");
	tap_end();
	ft_json_free(j);
}

/* ---- the envelope ----------------------------------------------------------- */

/* What a writer on a pipe wrote, read back. */
static size_t
written(int rfd, char *buf, size_t len)
{
	ssize_t n = read(rfd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void
test_envelope(void)
{
	struct feat_record_head h = { 0 };
	struct feat_record_window win = { 0, 300 * FEAT_NS_PER_S, 412 };
	char buf[4096], err[256], id[600];
	int fds[2];
	feat_writer *w;

	if (pipe(fds) != 0)
		tap_bail("pipe: %s", strerror(errno));
	w = feat_writer_new(fds[1], 1);
	h.entity_type = "model";
	h.entity_id = "gpt-4o";
	h.entity_id_len = 6;
	h.group = "perf_5min";
	h.ts = 300 * FEAT_NS_PER_S;
	h.created = 302311 * FEAT_NS_PER_MS;
	tap_begin("record-003", "the envelope: fields in the order of "
	    "feat-records(5), the window after the features");
	tap_check(feat_record_begin(w, &h, err, sizeof err) == 0, "%s", err);
	feat_writer_key(w, "latency_p95_5min", 16);
	feat_writer_double(w, 2210);
	tap_check(feat_record_end(w, &win) == 0, "end");
	written(fds[0], buf, sizeof buf);
	tap_check_str(buf, "{\"entity_type\":\"model\",\"entity_id\":\"gpt-4o\","
	    "\"group\":\"perf_5min\",\"version\":1,"
	    "\"ts\":\"1970-01-01T00:05:00.000Z\","
	    "\"created\":\"1970-01-01T00:05:02.311Z\","
	    "\"features\":{\"latency_p95_5min\":2210},"
	    "\"window\":{\"start\":\"1970-01-01T00:00:00.000Z\","
	    "\"end\":\"1970-01-01T00:05:00.000Z\",\"count\":412}}\n", "record");
	h.version = 3;
	tap_check(feat_record_tombstone(w, &h, err, sizeof err) == 0, "%s", err);
	written(fds[0], buf, sizeof buf);
	tap_check_str(buf, "{\"entity_type\":\"model\",\"entity_id\":\"gpt-4o\","
	    "\"group\":\"perf_5min\",\"version\":3,"
	    "\"ts\":\"1970-01-01T00:05:00.000Z\","
	    "\"created\":\"1970-01-01T00:05:02.311Z\","
	    "\"features\":null,\"tombstone\":true}\n", "tombstone");
	tap_end();

	tap_begin("record-004", "the envelope refuses what a store cannot key");
	memset(id, 'x', sizeof id);
	h.entity_id = id;
	h.entity_id_len = 513;
	tap_check(feat_record_begin(w, &h, err, sizeof err) == -1 &&
	    strcmp(err, "entity id of 513 bytes, longer than 512") == 0, "%s",
	    err);
	h.entity_id_len = 512;
	tap_check(feat_record_check_id(h.entity_id, 512, err, sizeof err) == 0,
	    "512 bytes");
	tap_check(feat_record_check_id("a\0b", 3, err, sizeof err) == -1,
	    "NUL");
	tap_check(feat_record_check_id("\xff", 1, err, sizeof err) == -1,
	    "invalid UTF-8");
	tap_check(feat_record_check_id("", 0, err, sizeof err) == -1, "empty");
	h.entity_id = "m";
	h.entity_id_len = 1;
	h.entity_type = "Model";
	tap_check(feat_record_begin(w, &h, err, sizeof err) == -1 &&
	    strcmp(err, "invalid entity type 'Model': use [a-z0-9_]+") == 0,
	    "%s", err);
	h.entity_type = "model";
	h.group = "perf-5min";
	tap_check(feat_record_begin(w, &h, err, sizeof err) == -1,
	    "group with a dash");
	tap_check(feat_record_check_name("perf_5min") == 0 &&
	    feat_record_check_name("") == -1, "names");
	tap_end();
	/* Nothing was written by the refusals. */
	tap_ok(feat_writer_close(w) == 0, "record-005", "refused records leave "
	    "the writer unharmed");
	close(fds[1]);
	tap_ok(written(fds[0], buf, sizeof buf) == 0, "record-006", "refused "
	    "records write nothing");
	close(fds[0]);
}

/* ---- the reader -------------------------------------------------------------- */

static void
test_reader(void)
{
	static const char good[] = "{\"entity_type\":\"model\","
	    "\"entity_id\":\"gpt-4o\",\"group\":\"perf_5min\",\"version\":\"2\","
	    "\"ts\":\"2024-11-16T18:05:00.000Z\",\"created\":1731780302.311,"
	    "\"features\":{\"latency_p95_5min\":2210,\"success\":0.98,"
	    "\"provider\":\"openai\",\"emb\":[1,0.5,-2],\"gone\":null,"
	    "\"flag\":true,\"odd\":{\"a\":1},\"huge\":1e999},"
	    "\"window\":{\"start\":\"2024-11-16T18:00:00Z\","
	    "\"end\":\"2024-11-16T18:05:00Z\",\"count\":412},"
	    "\"_flags\":{\"imputed\":[]}}";
	static const struct {
		const char *line;
		const char *reason;
	} bad[] = {
		{ "[]", "not an object" },
		{ "{\"entity_id\":\"a\",\"group\":\"g\",\"ts\":1,\"features\":{}}",
		  "no field 'entity_type'" },
		{ "{\"entity_type\":\"M\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":1,\"features\":{}}",
		  "invalid value in 'entity_type': use [a-z0-9_]+" },
		{ "{\"entity_type\":\"m\",\"entity_id\":1,\"group\":\"g\","
		  "\"ts\":1,\"features\":{}}",
		  "field 'entity_id' is not a string" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"\",\"group\":\"g\","
		  "\"ts\":1,\"features\":{}}",
		  "invalid value in 'entity_id': empty entity id" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"ts\":1,"
		  "\"features\":{}}", "no field 'group'" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"features\":{}}", "no timestamp" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":\"soon\",\"features\":{}}",
		  "invalid timestamp: 'soon' in 'ts'" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":1,\"version\":0,\"features\":{}}",
		  "number out of range in 'version'" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":1,\"version\":\"two\",\"features\":{}}",
		  "field 'version' is not a number" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":1}", "no field 'features'" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":1,\"features\":[]}", "field 'features' is not an object" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":1,\"features\":{},\"tombstone\":true}",
		  "invalid value in 'features': a tombstone has null features" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":1,\"features\":{},\"window\":{\"end\":2}}",
		  "no field 'window.start'" },
		{ "{\"entity_type\":\"m\",\"entity_id\":\"a\",\"group\":\"g\","
		  "\"ts\":1,\"features\":{},\"window\":{\"start\":1,\"end\":2,"
		  "\"count\":-1}}", "number out of range in 'window.count'" },
	};
	feat_record_reader *rr = feat_record_reader_new(FEAT_TIME_S);
	const struct feat_record_head *h;
	const struct feat_record_window *w;
	const feat_record *r;
	struct feat_error e;
	struct feat_value v;
	int rc;

	rc = feat_record_read(rr, good, strlen(good), &r, &e);
	tap_begin("record-007", "a feature record reads back: envelope, window, "
	    "every kind of value, in order");
	tap_check(rc == 0, "%s", e.reason);
	if (rc == 0) {
		h = feat_record_get_head(r);
		w = feat_record_get_window(r);
		tap_check_str(h->entity_type, "model", "entity_type");
		tap_check(h->entity_id_len == 6 &&
		    memcmp(h->entity_id, "gpt-4o", 6) == 0, "entity_id");
		tap_check_str(h->group, "perf_5min", "group");
		tap_check_int(h->version, 2, "version from a numeric string");
		tap_check_int(h->ts, INT64_C(1731780300000000000), "ts");
		tap_check_int(h->created, INT64_C(1731780302311000000),
		    "created as epoch seconds");
		tap_check(h->has_created && !h->tombstone, "flags");
		tap_check(w != NULL && w->count == 412 &&
		    w->end - w->start == 300 * FEAT_NS_PER_S, "window");
		tap_check_int((int64_t)feat_record_nfeatures(r), 8, "features");
		feat_record_feature(rr, r, 0, &v);
		tap_check(v.type == FEAT_VALUE_NUMBER && v.number == 2210 &&
		    v.len == 4 && memcmp(v.text, "2210", 4) == 0 &&
		    v.namelen == 16, "number, its text kept");
		feat_record_feature(rr, r, 2, &v);
		tap_check(v.type == FEAT_VALUE_STRING && v.len == 6, "string");
		feat_record_feature(rr, r, 3, &v);
		tap_check(v.type == FEAT_VALUE_VECTOR && v.veclen == 3 &&
		    v.vec[2] == -2, "vector");
		feat_record_feature(rr, r, 4, &v);
		tap_check(v.type == FEAT_VALUE_NULL && isnan(v.number), "null");
		feat_record_feature(rr, r, 5, &v);
		tap_check(v.type == FEAT_VALUE_BOOL && v.number == 1, "bool");
		feat_record_feature(rr, r, 6, &v);
		tap_check(v.type == FEAT_VALUE_OTHER, "object");
		feat_record_feature(rr, r, 7, &v);
		tap_check(v.type == FEAT_VALUE_OTHER, "1e999");
		tap_check(feat_record_feature(rr, r, 8, &v) == -1, "past the end");
		/* Out of order and by name. */
		feat_record_feature(rr, r, 1, &v);
		tap_check(v.type == FEAT_VALUE_NUMBER && v.number == 0.98,
		    "back to the second");
		tap_check(feat_record_find(rr, r, "provider", &v) == 0 &&
		    v.type == FEAT_VALUE_STRING, "by name");
		tap_check(feat_record_find(rr, r, "nope", &v) == -1, "absent");
	}
	tap_end();

	{
		static const char t[] = "{\"entity_type\":\"m\","
		    "\"entity_id\":\"a\",\"group\":\"g\","
		    "\"ts\":\"2024-11-16T18:05:00Z\",\"features\":null,"
		    "\"tombstone\":true}";

		rc = feat_record_read(rr, t, strlen(t), &r, &e);
	}
	tap_ok(rc == 0 && feat_record_get_head(r)->tombstone &&
	    feat_record_nfeatures(r) == 0 &&
	    feat_record_get_head(r)->created == INT64_MIN &&
	    feat_record_get_window(r) == NULL, "record-008", "a tombstone "
	    "reads back; without created it sorts oldest (%s)", e.reason);

	tap_begin("record-009", "records that break a rule are bad lines with "
	    "the phrase of feat-records(5)");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&e, 0, sizeof e);
		rc = feat_record_read(rr, bad[i].line, strlen(bad[i].line), &r,
		    &e);
		tap_check(rc == -1 && strcmp(e.reason, bad[i].reason) == 0 &&
		    e.code != FEAT_BAD_NONE, "'%s': got '%s'", bad[i].line,
		    e.reason);
	}
	tap_end();
	feat_record_reader_free(rr);
}

/* ---- the normaliser's field mask -------------------------------------------- */

static void
test_mask(void)
{
	static const char *const want[] = { "model", "latency_ms", NULL };
	static const char *const paths[] = { "meta.who", "meta.n", NULL };
	static const char line[] = "{\"ts\":1,\"model\":\"m\","
	    "\"prompt\":\"a\\u00e9b\",\"rating\":1e999,\"startTime\":1,"
	    "\"endTime\":1.5,\"meta\":{\"who\":\"u\",\"n\":\"7\","
	    "\"junk\":[1,2,3]},\"usage\":{\"x\":{\"y\":1}}}";
	struct feat_normaliser_opts o = { 0 };
	struct feat_error e;
	const feat_event *ev;
	feat_normaliser *nz;
	size_t len;
	double d;
	int rc;

	o.want = want;
	o.paths = paths;
	nz = feat_normaliser_new(&o);
	rc = feat_normaliser_start(nz, line, strlen(line), &e);
	tap_begin("record-015", "a stage reads only the fields it wants: the "
	    "rest is never decoded, derivations still hold");
	tap_check(rc == 0, "start: %s", e.reason);
	tap_check(rc == 0 && feat_normaliser_next(nz, &ev, &e) == 1, "event");
	if (rc == 0) {
		const char *m = feat_event_field(ev, "model", &len);

		tap_check(m && len == 1 && *m == 'm', "model");
		m = feat_event_field(ev, "latency_ms", &len);
		tap_check(m && len == 3 && memcmp(m, "500", 3) == 0,
		    "latency derived from start and end: '%.*s'", (int)len,
		    m ? m : "");
		tap_check(feat_event_field(ev, "prompt", &len) == NULL,
		    "the prompt is not read");
		tap_check(feat_event_path_num(ev, 1, &d) == 1 && d == 7,
		    "a path, a numeric string");
		m = feat_event_path_str(ev, 0, &len);
		tap_check(m && len == 1 && *m == 'u', "a path, a string");
	}
	tap_end();
	feat_normaliser_free(nz);

	/* The same line with every field: rating 1e999 is a bad line. */
	nz = feat_normaliser_new(NULL);
	rc = feat_normaliser_start(nz, line, strlen(line), &e);
	tap_ok(rc == -1 && strcmp(e.reason, "number out of range in 'rating'")
	    == 0, "record-016", "unmasked, the same line is read whole (%s)",
	    e.reason);
	feat_normaliser_free(nz);
}

/* ---- sizes and durations ----------------------------------------------------- */

static void
test_units(void)
{
	static const struct {
		int64_t ns;
		const char *text;
	} durs[] = {
		{ 0, "0s" }, { FEAT_NS_PER_MS, "1ms" }, { 1500 * FEAT_NS_PER_MS,
		"1500ms" }, { 90 * FEAT_NS_PER_S, "90s" }, { 5 * FEAT_NS_PER_MIN,
		"5m" }, { 2 * FEAT_NS_PER_HOUR, "2h" }, { 7 * FEAT_NS_PER_DAY,
		"7d" }, { 1, "1ns" },
	};
	static const struct {
		size_t n;
		const char *text;
	} sizes[] = {
		{ 0, "0" }, { 1000, "1000" }, { 1024, "1K" },
		{ (size_t)16 << 20, "16M" }, { (size_t)1 << 30, "1G" },
		{ 1536, "1536" },
	};
	char buf[32];
	int64_t ns;
	size_t n;
	int v;

	tap_begin("record-010", "durations print in the largest exact unit and "
	    "read back");
	for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		feat_format_duration(durs[i].ns, buf, sizeof buf);
		tap_check_str(buf, durs[i].text, "format");
		if (durs[i].ns % FEAT_NS_PER_MS == 0)
			tap_check(feat_parse_duration(buf, &ns) == 0 &&
			    ns == durs[i].ns, "'%s' reads back", buf);
	}
	tap_check(feat_parse_duration("-5m", &ns) == -1, "negative");
	tap_check(feat_parse_duration("1.5h", &ns) == -1, "fractional");
	tap_check(feat_parse_duration("5", &ns) == -1, "no unit");
	tap_check(feat_parse_duration("106751d", &ns) == 0 &&
	    feat_parse_duration("106752d", &ns) == -1, "overflow");
	tap_end();

	tap_begin("record-011", "sizes print in the largest exact unit and read "
	    "back; group versions are 1 to 1000000");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		feat_format_size(sizes[i].n, buf, sizeof buf);
		tap_check_str(buf, sizes[i].text, "format");
		tap_check(feat_parse_size(buf, &n) == 0 && n == sizes[i].n,
		    "'%s' reads back", buf);
	}
	tap_check(feat_parse_group_version("7", &v, buf, sizeof buf) == 0 &&
	    v == 7, "7");
	tap_check(feat_parse_group_version("0", &v, buf, sizeof buf) == -1 &&
	    feat_parse_group_version("1000001", &v, buf, sizeof buf) == -1 &&
	    feat_parse_group_version("99999999999999999999", &v, buf,
	    sizeof buf) == -1 && feat_parse_group_version("", &v, buf,
	    sizeof buf) == -1, "out of range");
	tap_end();
}

/* ---- atomic files, the lock ------------------------------------------------- */

static void
test_files(void)
{
	char path[512], tmp[600], err[512], buf[64];
	struct feat_lock_wait w = { 0 };
	int fd, fd2;
	FILE *f;

	snprintf(path, sizeof path, "%s/state", dir);
	tap_begin("record-012", "atomic replacement: the new content or the old, "
	    "no file left beside");
	tap_check(ft_write_atomic(path, "one\n", 4, err, sizeof err) == 0,
	    "%s", err);
	tap_check(ft_write_atomic(path, "two\n", 4, err, sizeof err) == 0,
	    "%s", err);
	f = fopen(path, "r");
	tap_check(f && fgets(buf, sizeof buf, f) && strcmp(buf, "two\n") == 0,
	    "content");
	if (f)
		fclose(f);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	tap_check(access(tmp, F_OK) != 0, "no temporary left");
	snprintf(tmp, sizeof tmp, "%s/nodir/state", dir);
	tap_check(ft_write_atomic(tmp, "x", 1, err, sizeof err) == -1 &&
	    strstr(err, "No such file or directory") != NULL, "%s", err);
	tap_end();

	tap_begin("record-013", "stale PATH.tmp.<pid> files are removed, others "
	    "kept");
	snprintf(tmp, sizeof tmp, "%s.tmp.12345", path);
	close(open(tmp, O_CREAT | O_WRONLY, 0644));
	snprintf(tmp, sizeof tmp, "%s.tmp.x1", path);
	close(open(tmp, O_CREAT | O_WRONLY, 0644));
	tap_check_int(ft_remove_stale_tmp(path), 1, "removed");
	tap_check(access(tmp, F_OK) == 0, "a name that is not ours is kept");
	unlink(tmp);
	tap_end();

	tap_begin("record-014", "one holder of the lock at a time; the second "
	    "gives up after the timeout");
	fd = ft_lock_open(path, &w, err, sizeof err);
	tap_check(fd >= 0, "first: %s", err);
	/* flock locks belong to open files: a second open is a second run. */
	w.timeout = 100 * FEAT_NS_PER_MS;
	fd2 = ft_lock_open(path, &w, err, sizeof err);
	tap_check(fd2 == -1 && strstr(err, "is in use by another run") != NULL &&
	    strstr(err, "still locked after 100ms") != NULL, "second: %s", err);
	close(fd);
	fd2 = ft_lock_open(path, &w, err, sizeof err);
	tap_check(fd2 >= 0, "after the first lets go: %s", err);
	if (fd2 >= 0)
		close(fd2);
	tap_end();
	snprintf(tmp, sizeof tmp, "%s.lock", path);
	unlink(tmp);
	unlink(path);
}

/* ---- the generator ------------------------------------------------------------ */

static void
test_generator(void)
{
	feat_writer *w = feat_writer_new(-1, 0);
	struct ft_buf *b = ft_writer_buf(w), want = { 0 };
	char in[160];
	size_t n = 0;

	/* Every byte below 0x20, the quote, the backslash, the solidus, DEL
	   and a UTF-8 letter: yajl's escapes (the output of every tool up to
	   now), written out here from JSON's grammar. */
	for (int c = 1; c < 0x20; c++)
		in[n++] = (char)c;
	memcpy(in + n, "\"\\/\x7f\xc3\xa9", 6);
	n += 6;
	ft_buf_add(&want, "{\"k\\\"\\n\":\"", 10);
	for (int c = 1; c < 0x20; c++) {
		char e[8];

		switch (c) {
		case '\b': ft_buf_add(&want, "\\b", 2); break;
		case '\t': ft_buf_add(&want, "\\t", 2); break;
		case '\n': ft_buf_add(&want, "\\n", 2); break;
		case '\f': ft_buf_add(&want, "\\f", 2); break;
		case '\r': ft_buf_add(&want, "\\r", 2); break;
		default:
			snprintf(e, sizeof e, "\\u%04X", c);
			ft_buf_add(&want, e, 6);
		}
	}
	{
		static const char tail[] = "\\\"\\\\/\x7f\xc3\xa9\",\"a\":"
		    "[1,null,true,false,-42,0.1],\"o\":{}}\n";

		ft_buf_add(&want, tail, sizeof tail - 1);
	}
	tap_begin("record-017", "the generator escapes as yajl did, puts "
	    "commas and colons where they go, and refuses what is out of "
	    "place");
	feat_writer_open_object(w);
	feat_writer_key(w, "k\"\n", 3);
	feat_writer_string(w, in, n);
	feat_writer_key(w, "a", 1);
	feat_writer_open_array(w);
	feat_writer_number(w, "1", 1);
	feat_writer_null(w);
	feat_writer_bool(w, 1);
	feat_writer_bool(w, 0);
	feat_writer_int(w, -42);
	feat_writer_double(w, 0.1);
	feat_writer_close_array(w);
	feat_writer_key(w, "o", 1);
	feat_writer_open_object(w);
	feat_writer_close_object(w);
	feat_writer_close_object(w);
	tap_check(feat_writer_end_record(w) == 0, "%s", feat_writer_error(w));
	tap_check(b->len == want.len && memcmp(b->p, want.p, b->len) == 0,
	    "got %.*s", (int)b->len, b->p);
	/* A value where a key belongs. */
	ft_writer_clear(w);
	feat_writer_open_object(w);
	feat_writer_int(w, 1);
	tap_check(feat_writer_end_record(w) < 0 &&
	    strstr(feat_writer_error(w), "key"), "%s", feat_writer_error(w));
	/* An object closed as an array, and one left open. */
	ft_writer_clear(w);
	feat_writer_open_object(w);
	feat_writer_close_array(w);
	tap_check(feat_writer_end_record(w) < 0, "closed as an array");
	ft_writer_clear(w);
	feat_writer_open_array(w);
	tap_check(feat_writer_end_record(w) < 0 &&
	    strstr(feat_writer_error(w), "left open"), "%s",
	    feat_writer_error(w));
	/* Two values, and nesting past 128. */
	ft_writer_clear(w);
	feat_writer_null(w);
	feat_writer_null(w);
	tap_check(feat_writer_end_record(w) < 0 &&
	    strstr(feat_writer_error(w), "after the end"), "%s",
	    feat_writer_error(w));
	ft_writer_clear(w);
	for (int d = 0; d < 130; d++)
		feat_writer_open_array(w);
	tap_check(feat_writer_end_record(w) < 0 &&
	    strstr(feat_writer_error(w), "deep"), "%s",
	    feat_writer_error(w));
	tap_end();
	ft_buf_free(&want);
	feat_writer_close(w);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/test-record.XXXXXX", t && *t ? t :
	    "/tmp");
	if (mkdtemp(dir) == NULL)
		tap_bail("mkdtemp: %s", strerror(errno));
	test_line_checks();
	test_duplicates();
	test_envelope();
	test_generator();
	test_reader();
	test_mask();
	test_units();
	test_files();
	rmdir(dir);
	return tap_done();
}
