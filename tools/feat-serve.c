/*
 * feat-serve - the online endpoint (feat-serve(1)): feature values over
 * HTTP from an in-process L1 and the store tiers behind it.  Options and
 * calls into libfeat.
 */
#include "feat.h"

#include <stdlib.h>
#include <string.h>

enum {
	O_STORE = 256, O_LISTEN, O_THREADS, O_CACHE_SIZE, O_CACHE_TTL,
	O_MAX_AGE, O_MAX_INFLIGHT, O_TOKEN_FILE, O_MAX_BODY, O_TIMEOUT,
	O_IDLE_TIMEOUT
};

static const struct feat_option options[] = {
	{ "store", O_STORE, "URI", "a tier after the L1, in order: dir:PATH, "
	    "redis://...,\npostgresql://...", FEAT_OPTF_REPEAT |
	    FEAT_OPTF_REQUIRED },
	{ "listen", O_LISTEN, "HOST:PORT", "the address (default "
	    "127.0.0.1:8080)", 0 },
	{ "threads", O_THREADS, "N", "event loops, one a thread (default 1)",
	    0 },
	{ "cache-size", O_CACHE_SIZE, "SIZE", "the L1's bytes (default 512M; "
	    "0: no L1)", 0 },
	{ "cache-ttl", O_CACHE_TTL, "DURATION", "an L1 entry's life "
	    "(default 1h; 0 to 3650d)", 0 },
	{ "max-age", O_MAX_AGE, "DURATION", "a value older than this is "
	    "stale (1ms to 36500d)", 0 },
	{ "max-inflight", O_MAX_INFLIGHT, "N", "more requests at once get "
	    "429 (default 1024)", 0 },
	{ "token-file", O_TOKEN_FILE, "FILE", "require Authorization: Bearer "
	    "<its token>", 0 },
	{ "max-body", O_MAX_BODY, "SIZE", "the largest request body "
	    "(default 1M)", 0 },
	{ "timeout", O_TIMEOUT, "DURATION", "a request's deadline (default "
	    "50ms; 1ms to 1h)", 0 },
	{ "idle-timeout", O_IDLE_TIMEOUT, "DURATION", "a connection quiet "
	    "this long is closed\n(default 10s; 1ms to 1d)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

struct run {
	const char **stores;
	size_t nstores;
	struct feat_serve_opts so;
	feat_tool *t;
	int catalog_loaded;
};

static int
count(const char *arg, const char *opt, long max, long *out, char *err,
    size_t errlen)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (arg[0] >= '0' && arg[0] <= '9' && *end == '\0' && n >= 1 &&
	    n <= max) {
		*out = n;
		return 0;
	}
	snprintf(err, errlen, "invalid --%s '%s': use 1 to %ld", opt, arg,
	    max);
	return -1;
}

static int
option(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct run *r = ctx;
	long n;

	switch (key) {
	case O_STORE:
		r->stores = feat_xrealloc(r->stores, (r->nstores + 1) *
		    sizeof *r->stores);
		r->stores[r->nstores++] = arg;
		return feat_store_check_uri(arg, err, errlen);
	case O_LISTEN: r->so.listen = arg; return 0;
	case O_THREADS:
		if (count(arg, "threads", 256, &n, err, errlen) < 0)
			return -1;
		r->so.threads = (int)n;
		return 0;
	case O_CACHE_SIZE:
		if (feat_parse_size(arg, &r->so.cache_size) == 0)
			return 0;
		snprintf(err, errlen, "invalid --cache-size '%s': use a size "
		    "such as 512M, or 0", arg);
		return -1;
	case O_CACHE_TTL:
		return feat_parse_duration_option("cache-ttl", arg, 0,
		    3650 * FEAT_NS_PER_DAY, "1m", &r->so.cache_ttl, err,
		    errlen);
	case O_MAX_AGE:
		return feat_parse_duration_option("max-age", arg,
		    FEAT_NS_PER_MS, 36500 * FEAT_NS_PER_DAY, "10m",
		    &r->so.max_age, err, errlen);
	case O_MAX_INFLIGHT:
		if (count(arg, "max-inflight", 1000000, &n, err, errlen) < 0)
			return -1;
		r->so.max_inflight = (size_t)n;
		return 0;
	case O_TOKEN_FILE: r->so.token_file = arg; return 0;
	case O_MAX_BODY:
		if (feat_parse_size(arg, &r->so.max_body) == 0 &&
		    r->so.max_body > 0)
			return 0;
		snprintf(err, errlen, "invalid --max-body '%s': use a size "
		    "such as 1M", arg);
		return -1;
	case O_TIMEOUT:
		return feat_parse_duration_option("timeout", arg,
		    FEAT_NS_PER_MS, FEAT_NS_PER_HOUR, "50ms", &r->so.timeout,
		    err, errlen);
	case O_IDLE_TIMEOUT:
		return feat_parse_duration_option("idle-timeout", arg,
		    FEAT_NS_PER_MS, FEAT_NS_PER_DAY, "30s",
		    &r->so.idle_timeout, err, errlen);
	}
	return -1;
}

/* The server's own catalog (freed by it), at start (checked through the
   driver first: exit 2 when it does not load) and on SIGHUP (a bad one
   keeps the old). */
static feat_catalog *
load_catalog(void *ctx, char *err, size_t errlen)
{
	struct run *r = ctx;
	const char *const *ov;
	size_t nov;
	feat_catalog *c;

	if (!r->catalog_loaded) {
		r->catalog_loaded = 1;
		(void)feat_tool_catalog(r->t);	/* exit 2 when it is bad */
	}
	if ((c = feat_catalog_load(feat_tool_catalog_path(r->t), err,
	    errlen)) == NULL)
		return NULL;
	ov = feat_tool_catalog_overlays(r->t, &nov);
	for (size_t i = 0; i < nov; i++)
		if (feat_catalog_overlay(c, ov[i], err, errlen) < 0) {
			feat_catalog_free(c);
			return NULL;
		}
	return c;
}

int
main(int argc, char **argv)
{
	static const struct feat_tool_def def = {
		"feat-serve", NULL, options, FEAT_OPT_CATALOG |
		FEAT_OPT_CATALOG_OVERLAY, NULL, NULL,
		"Serves SPEC 9's API until SIGTERM or SIGINT (in-flight "
		"requests drain);\nSIGHUP reloads the catalog.  See "
		"feat-serve(1).\n", FEAT_TOOL_SERVER | FEAT_TOOL_COMMAND,
		option, NULL
	};
	struct run r;
	char err[1024];
	int status, n;

	memset(&r, 0, sizeof r);
	r.so.cache_size = (size_t)512 << 20;
	r.so.cache_ttl = 3600 * FEAT_NS_PER_S;
	r.t = feat_tool_start(&def, argc, argv, &r);
	feat_tool_operands(r.t, &n);
	if (n > 0)
		feat_tool_usage_error(r.t, "feat-serve takes no operands");
	if (r.nstores == 0)
		feat_tool_usage_error(r.t, "give a store: --store dir:PATH, "
		    "redis://... or postgresql://...");
	r.so.stores = r.stores;
	r.so.nstores = r.nstores;
	r.so.clock = feat_tool_clock(r.t);
	r.so.load_catalog = load_catalog;
	r.so.ctx = &r;
	r.so.stop = feat_tool_stop_flag();
	r.so.reload = feat_tool_reload_flag();
	if (feat_serve(&r.so, &status, err, sizeof err) < 0) {
		if (status == FEAT_EXIT_USAGE)
			feat_tool_usage_error(r.t, "%s", err);
		feat_warn("%s", err);
	}
	free(r.stores);
	status = feat_tool_end(r.t, status);
	feat_tool_free(r.t);
	return status;
}
