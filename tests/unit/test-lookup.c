/*
 * test-lookup.c - feat-serve's prepared records (lookup.c): a record given
 * as the fields of a Redis hash (ft_lookup_set_fields) is prepared to the
 * very bytes its line gives (ft_lookup_set), or refused so that the line
 * is read instead; ft_lookup_number reads numbers and not booleans.
 */
#include "feat-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* Values as a hash holds them (JSON text), and whether the fast path
   takes them (1), or leaves them to the line (0). */
static const struct {
	const char *text;
	int direct;
} vals[] = {
	{ "0", 1 }, { "-0", 1 }, { "1", 1 }, { "812.5", 1 }, { "0.0042", 1 },
	{ "1e5", 1 }, { "1E-7", 1 }, { "-3.25e+10", 1 }, { "1e999", 1 },
	{ "-1e999", 1 }, { "0.1", 1 }, { "9007199254740993", 1 },
	{ "123456789012345678901234567890", 1 }, { "2.2250738585072014e-308", 1 },
	{ "null", 1 }, { "true", 1 }, { "false", 1 },
	{ "\"str\"", 0 }, { "\"\"", 0 }, { "[1,2]", 0 }, { "{\"a\":1}", 0 },
	{ " 5", 0 }, { "5 ", 0 }, { "01", 0 }, { "+1", 0 }, { ".5", 0 },
	{ "1.", 0 }, { "NaN", 0 }, { "0x10", 0 }, { "-", 0 }, { "nul", 0 },
	{ "truex", 0 }, { "1,\"x\":2", 0 },
};
static const struct {
	const char *text;
	int direct;
} names[] = {
	{ "latency_p50_5min", 1 }, { "error_rate_5min", 1 }, { "PRF_001", 1 },
	{ "a", 1 }, { "x y", 1 }, { "a/b", 1 }, { "~!", 1 },
	{ "with\"quote", 0 }, { "back\\slash", 0 }, { "\xc3\xbcn", 0 },
	{ "tab\there", 0 },
};
#define NVALS	(sizeof vals / sizeof vals[0])
#define NNAMES	(sizeof names / sizeof names[0])

/* s as a JSON string into b. */
static void
quote(struct ft_buf *b, const char *s)
{
	ft_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			ft_buf_addc(b, '\\');
			ft_buf_addc(b, *s);
		} else if ((unsigned char)*s < 0x20)
			ft_buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			ft_buf_addc(b, *s);
	}
	ft_buf_addc(b, '"');
}

int
main(void)
{
	const char *path = getenv("FEAT_CATALOG");
	struct ft_lookup_cache *c = ft_lookup_cache_new();
	struct ft_buf line = { 0 };
	feat_catalog *cat;
	char err[512];
	unsigned seed = 20261202;
	long same = 0, refused = 0;

	if (path == NULL || *path == '\0')
		path = "data/catalog.json";
	if ((cat = feat_catalog_load(path, err, sizeof err)) == NULL)
		tap_bail("cannot load '%s': %s", path, err);

	tap_begin("lookup-001", "a hash's fields prepare to the bytes of its "
	    "line, or are refused exactly when a name or value is not plain");
	for (int iter = 0; iter < 20000; iter++) {
		struct ft_hfield f[8];
		struct ft_fields fs;
		struct ft_lookup *a, *b;
		const void *pa, *pb;
		size_t sa = 0, sb = 0, n;
		int want = 1, rc, used[NNAMES] = { 0 };
		char t1[40], t2[40];

		a = ft_lookup_plan(c, cat, "model", "m1", 2, "group:perf_5min",
		    NULL, 0, err, sizeof err);
		b = ft_lookup_plan(c, cat, "model", "m1", 2, "group:perf_5min",
		    NULL, 0, err, sizeof err);
		if (a == NULL || b == NULL)
			tap_bail("cannot plan: %s", err);
		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % 8;
		for (size_t i = 0; i < n; i++) {
			size_t ni, vi;

			do {	/* a hash's names are distinct */
				seed = seed * 1103515245 + 12345;
				ni = (seed >> 16) % NNAMES;
			} while (used[ni]);
			used[ni] = 1;
			seed = seed * 1103515245 + 12345;
			vi = (seed >> 16) % NVALS;
			f[i].name = names[ni].text;
			f[i].namelen = strlen(names[ni].text);
			f[i].val = vals[vi].text;
			f[i].vallen = strlen(vals[vi].text);
			want &= names[ni].direct && vals[vi].direct;
		}
		fs.ts = ((int64_t)1731715500000 + iter) * FEAT_NS_PER_MS;
		fs.has_created = iter % 3 != 0;
		fs.created = fs.has_created ? fs.ts + 2250 * FEAT_NS_PER_MS :
		    INT64_MIN;
		fs.version = 1;
		fs.n = n;
		fs.f = f;

		/* The line store-redis.c makes of the same hash. */
		line.len = 0;
		feat_time_format(fs.ts, t1);
		ft_buf_printf(&line, "{\"entity_type\":\"model\",\"entity_id\":"
		    "\"m1\",\"group\":\"perf_5min\",\"version\":1,\"ts\":\"%s\"",
		    t1);
		if (fs.has_created) {
			feat_time_format(fs.created, t2);
			ft_buf_printf(&line, ",\"created\":\"%s\"", t2);
		}
		ft_buf_add(&line, ",\"features\":{", 13);
		for (size_t i = 0; i < n; i++) {
			if (i)
				ft_buf_addc(&line, ',');
			quote(&line, f[i].name);
			ft_buf_addc(&line, ':');
			ft_buf_add(&line, f[i].val, f[i].vallen);
		}
		ft_buf_add(&line, "}}", 2);

		rc = ft_lookup_set_fields(a, 0, &fs, "redis");
		ft_lookup_set(c, b, 0, line.p, line.len, "redis");
		pa = ft_lookup_prep(a, 0, &sa);
		pb = ft_lookup_prep(b, 0, &sb);
		if (!tap_check(rc == (want ? 0 : -1), "rc %d for %.*s", rc,
		    (int)line.len, line.p)) {
			/* said */
		} else if (rc == 0) {
			same++;
			tap_check(pb != NULL && sa == sb && memcmp(pa, pb, sa) ==
			    0, "prepared records differ (%zu, %zu bytes) for "
			    "%.*s", sa, sb, (int)line.len, line.p);
		} else {
			refused++;
			tap_check(pa == NULL, "a refused hash left a record");
		}
		ft_lookup_free(a);
		ft_lookup_free(b);
	}
	tap_end();
	tap_diag("%ld hashes prepared from their fields, %ld left to the "
	    "line", same, refused);
	tap_ok(same > 1000 && refused > 1000, "lookup-002", "both paths are "
	    "exercised (%ld, %ld)", same, refused);

	{
		struct ft_hfield f[4] = {
			{ "avg_cost_per_request_5min", "0.0042", 25, 6 },
			{ "latency_p95_5min", "true", 16, 4 },
			{ "error_rate_5min", "1e999", 15, 5 },
			{ "latency_p50_5min", "812.5", 16, 5 },
		};
		struct ft_fields fs = { 0, INT64_MIN, 0, 1, 4, f };
		struct ft_lookup *a = ft_lookup_plan(c, cat, "model", "m1", 2,
		    "group:perf_5min", NULL, 0, err, sizeof err);
		double v = -1;

		if (a == NULL)
			tap_bail("cannot plan: %s", err);
		tap_begin("lookup-003", "ft_lookup_number: numbers, not "
		    "booleans, not out of range, not absent");
		tap_check(ft_lookup_set_fields(a, 0, &fs, "redis") == 0,
		    "refused");
		tap_check(ft_lookup_number(a, 0, "avg_cost_per_request_5min",
		    &v) == 1 && v == 0.0042, "0.0042 read as %g", v);
		tap_check(ft_lookup_number(a, 0, "latency_p50_5min", &v) == 1 &&
		    v == 812.5, "812.5 read as %g", v);
		tap_check(ft_lookup_number(a, 0, "latency_p95_5min", &v) == 0,
		    "a boolean read as a number");
		tap_check(ft_lookup_number(a, 0, "error_rate_5min", &v) == 0,
		    "1e999 read as a number");
		tap_check(ft_lookup_number(a, 0, "retry_rate_5min", &v) == 0,
		    "an absent feature read as a number");
		tap_end();
		ft_lookup_free(a);
	}
	ft_buf_free(&line);
	ft_lookup_cache_free(c);
	feat_catalog_free(cat);
	return tap_done();
}
