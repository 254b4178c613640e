/*
 * serve.c - feat-serve (SPEC 9, feat-serve(1)): the HTTP API over an
 * in-process L1 and the store tiers, on h2o's own event loop.
 *
 * One loop per thread, each with its own listening socket on the same
 * address (SO_REUSEPORT), its own L1 (so the read path takes no lock),
 * and its own connection to each store.  A lookup is a job: its groups
 * are answered by the L1, else by the first tier that holds them, tried
 * in order; a server tier (Redis, PostgreSQL) answers through the
 * non-blocking lookups of store.c, its descriptor watched by the loop
 * (a dup of it, since h2o closes what it watches); dir: answers at once.
 * A job that is not done by --timeout answers 504; its late answers are
 * dropped.  A tier whose connection fails is skipped until a reconnection
 * (with backoff) succeeds.
 *
 * Pushed records (POST /v1/records) are written through to every tier;
 * a push bumps the generation of each key's shard, which every L1 entry
 * of that shard compares on its next read, so no thread serves a value
 * older than a push it has seen acknowledged.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#define H2O_USE_EPOLL 1
#include <h2o.h>
#include <h2o/http1.h>

#include "feat-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_URL 8192
#define MAX_HEADER_BYTES 16384
#define MAX_BATCH 1000
#define SHARDS 4096
#define NBUCKETS 14		/* latency histogram: 0.1 ms .. 5 s, +Inf */

/*
 * A thread's answers to GET /v1/features/... that came whole from its L1,
 * kept as written, by the request's target (answer_again): asked again,
 * an answer is written again from its bytes, each freshness_seconds of
 * the time of asking, while each of its L1 entries is still the one it
 * was written from (not replaced, expired or pushed over), the catalog
 * is the same and no status would have turned stale; anything else goes
 * the whole way.  A target is kept the second time its answer comes
 * whole from the L1, in the one of ANSWERS places its hash picks, if its
 * answer and keys take at most ANSWER_MAX bytes.
 */
#define ANSWERS		256
#define ANSWER_MAX	16384

struct answer {
	uint64_t hash;
	unsigned catgen;
	int64_t written, until;		/* the time's bounds */
	size_t targetlen, bodylen, ngroups;
	struct {
		size_t keyoff, keylen;	/* its L1 key in text */
		uint64_t serial;	/* of the L1 entry */
		size_t at, len;		/* its freshness_seconds in the body */
		int64_t ts;
	} g[FT_MARK_GROUPS];
	char text[];			/* the target, the body, the keys */
};

static const double buckets_s[NBUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 5
};

#define NFRESH 9		/* freshness histogram: 1 s .. 1 day, +Inf */

static const double fresh_s[NFRESH] = {
	1, 10, 60, 300, 900, 3600, 21600, 86400, 604800
};

enum route {
	R_FEATURES, R_BATCH, R_RECORDS, R_CATALOG, R_HEALTH, R_READY,
	R_METRICS, R_OTHER, R_COUNT
};
static const char *const route_names[R_COUNT] = {
	"features", "batch", "records", "catalog", "healthz", "readyz",
	"metrics", "other"
};
#define MAX_TIERS 8
#define T_L1 0			/* tier index 0 is the L1 in metrics */
enum { CODE_COUNT = 600 };

struct tier {
	const char *uri;
	char name[16];			/* dir, redis, postgresql */
	feat_store *s;			/* lookups */
	feat_store *wr;			/* pushes (opened when first needed) */
	int history, server;
	h2o_socket_t *sock;		/* watching a dup of s's descriptor */
	int sockfd;			/* the descriptor it watches */
	int unsent;			/* asked since the loop last turned */
	atomic_int down;
	int64_t retry_at, backoff;
	char why[256];
	/* A server tier down is reopened on a thread of its own. */
	pthread_t opener;
	int opening;			/* the opener runs */
	atomic_int opened;		/* and is done: */
	feat_store *reopened;		/* the store, or NULL and open_err */
	int64_t open_timeout;
	char open_err[512];
	feat_store_batch *fill;		/* read through: found below */
	atomic_uint_fast64_t hits, requests, errors, latency_ns, fills;
};

struct job;
struct slot {				/* one group of one entity, asked */
	struct job *job;
	uint32_t entity, group;
	int tier;
	uint32_t gen;
	int64_t sent;
	uint64_t shardgen;		/* of the key's shard when asked */
};

struct metrics {
	atomic_uint_fast64_t hist[R_COUNT][MAX_TIERS + 1][NBUCKETS + 1];
	atomic_uint_fast64_t count[R_COUNT][MAX_TIERS + 1];
	atomic_uint_fast64_t sum_ns[R_COUNT][MAX_TIERS + 1];
	atomic_uint_fast64_t codes[CODE_COUNT];
	atomic_uint_fast64_t l1_hits, l1_misses, l1_expired;
	atomic_uint_fast64_t answers_again;	/* from kept answers */
	/* Ages of the records answered (latest reads, not as_of). */
	atomic_uint_fast64_t fresh[NFRESH + 1];
	_Atomic double fresh_sum;
};

struct server;
struct worker {
	struct server *srv;
	int id;
	pthread_t thread;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept;
	h2o_socket_t *listener;
	struct tier tiers[MAX_TIERS];
	size_t ntiers;
	struct ft_l1 *l1;
	struct answer *answers[ANSWERS];	/* answers kept (answer_again) */
	uint64_t answer_seen[ANSWERS];		/* a target's first time */
	uint64_t aseed;
	struct ft_buf abuf;
	h2o_timeout_t deadline, tick;
	h2o_timeout_entry_t tick_entry;
	h2o_timeout_entry_t accept_pause;	/* EMFILE: listening again */
	unsigned emfile_said;
	struct slot *slots;
	size_t nslots, slotcap;
	uint32_t slotgen;
	size_t *freeslots;
	size_t nfree;
	feat_writer *out;
	struct ft_json *bj;		/* a batch's body */
	feat_catalog *cat;
	unsigned catgen;
	/* For freeing the catalogs SIGHUP replaced: the generation this
	   thread has moved to, and its jobs planned with an older one. */
	atomic_uint pub_gen;
	atomic_size_t live_old;
	size_t live_cur;
	uint64_t pushes_seen;
	struct metrics m;
	struct ft_names models;		/* DRV_010: models seen */
	double (*points)[3];		/* their perf_5min, by index */
	feat_record_reader *rr;
	struct ft_lookup_cache *lc;
	atomic_size_t l1_bytes, l1_entries;
	atomic_uint_fast64_t l1_evictions;
	int stopping;
};

struct server {
	struct feat_serve_opts o;
	h2o_globalconf_t config;
	struct worker *w;
	int nworkers;
	_Atomic(feat_catalog *) cat;
	atomic_uint catgen;
	struct oldcat {
		feat_catalog *cat;
		unsigned retired;	/* catgen once it was replaced */
	} *oldcats;
	size_t noldcats;
	atomic_size_t oldcats_held;	/* noldcats, for /metrics */
	char *token;
	size_t tokenlen;
	atomic_size_t inflight;
	atomic_uint_fast64_t pushes;		/* bumped by each push */
	atomic_uint_fast64_t shard[SHARDS];	/* per key shard */
	pthread_mutex_t push_lock;		/* one push at a time */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int64_t started;
	atomic_int ready;
};

struct entity {
	struct ft_lookup *lk;
	int64_t as_of;
	int no_future_created;
	int status;			/* an error of its own: 400 ... */
	char code[32];
	char msg[300];
	int tier_failed;		/* a tier that could not answer */
	int answered;			/* a tier answered, found or not */
};

struct job {
	struct worker *w;
	h2o_req_t *req;			/* NULL once answered */
	enum route route;
	h2o_timeout_entry_t timer;
	struct entity *ents;
	size_t nents;
	size_t waiting;			/* slots asked, not answered */
	int64_t started;
	int best_tier;			/* the slowest tier that answered */
	int batch;
	int counted;			/* in srv->inflight */
	int late;			/* past --timeout in lookups that block */
	h2o_socket_t *held;		/* its connection, kept polled (hold) */
	unsigned catgen;		/* of the catalog it was planned with */
	struct entity one;		/* ents of a single lookup */
};

/* ---- small helpers ---------------------------------------------------------- */

/* A tier answered entity e, found or not. */
static void
mark_answered(struct job *j, size_t e)
{
	j->ents[e].answered = 1;
}

/* A tier could not answer entity e. */
static void
mark_failed(struct job *j, size_t e)
{
	j->ents[e].tier_failed = 1;
}

/* Adds n to a counter of this thread's that other threads read
   (/metrics): it has one writer, so a plain add does, not a locked one. */
static inline void
bump(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) +
	    n, memory_order_relaxed);
}

static int64_t
mono(void)
{
	return feat_clock_mono();
}

static void
set_error(struct entity *e, int status, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
set_error(struct entity *e, int status, const char *code, const char *fmt,
    ...)
{
	va_list ap;

	e->status = status;
	snprintf(e->code, sizeof e->code, "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

static const char *
reason_of(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return "Error";
}

static void
count_code(struct worker *w, int status)
{
	if (status > 0 && status < CODE_COUNT)
		bump(&w->m.codes[status], 1);
}

static void
observe(struct worker *w, enum route r, int tier, int64_t ns)
{
	double s = (double)ns / 1e9;
	int b = 0;

	if (tier < 0 || tier > MAX_TIERS)
		tier = MAX_TIERS;
	while (b < NBUCKETS && s > buckets_s[b])
		b++;
	bump(&w->m.hist[r][tier][b], 1);
	bump(&w->m.count[r][tier], 1);
	bump(&w->m.sum_ns[r][tier], (uint64_t)ns);
}

/* The age of a record answered (ts, at now), into the freshness
   histogram. */
static void
observe_age(struct worker *w, int64_t now, int64_t ts)
{
	/* A record dated ahead of the clock is of age 0. */
	double s = now > ts ? ((double)now - (double)ts) / 1e9 : 0;
	int b = 0;

	while (b < NFRESH && s > fresh_s[b])
		b++;
	bump(&w->m.fresh[b], 1);
	/* One writer per worker: a plain add of its own sum. */
	atomic_store_explicit(&w->m.fresh_sum, atomic_load_explicit(
	    &w->m.fresh_sum, memory_order_relaxed) + s, memory_order_relaxed);
}

/* The ages of the records a response holds. */
static void
observe_freshness(struct worker *w, const struct entity *en, int64_t now)
{
	for (size_t g = 0; g < ft_lookup_ngroups(en->lk); g++) {
		int64_t ts = ft_lookup_ts(en->lk, g);

		if (ts != INT64_MIN)
			observe_age(w, now, ts);
	}
}

static void
send_body(h2o_req_t *req, int status, const char *type, const char *body,
    size_t len)
{
	req->res.status = status;
	req->res.reason = reason_of(status);
	req->res.content_length = len;	/* the connection stays open */
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
	    NULL, type, strlen(type));
	h2o_send_inline(req, body, len);
}

/* A message for JSON: bytes past ASCII (a request's own, maybe cut in
   the middle of a character) as '?'. */
static const char *
ascii(const char *msg, char *buf, size_t len)
{
	size_t i;

	for (i = 0; msg[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* {"error":{"code":C,"message":M}} with status. */
static void
send_error(struct worker *w, h2o_req_t *req, enum route r, int status,
    const char *code, const char *msg0)
{
	feat_writer *o = w->out;
	struct ft_buf *b;
	char mbuf[800];
	const char *msg = ascii(msg0, mbuf, sizeof mbuf);

	ft_writer_clear(o);
	feat_writer_open_object(o);
	feat_writer_key(o, "error", 5);
	feat_writer_open_object(o);
	feat_writer_key(o, "code", 4);
	feat_writer_string(o, code, strlen(code));
	feat_writer_key(o, "message", 7);
	feat_writer_string(o, msg, strlen(msg));
	feat_writer_close_object(o);
	feat_writer_close_object(o);
	feat_writer_end_record(o);
	b = ft_writer_buf(o);
	if (status == 401)
		h2o_add_header(&req->pool, &req->res.headers,
		    H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Bearer"));
	send_body(req, status, "application/json", b->p, b->len);
	count_code(w, status);
	(void)r;
}

/* Strict percent-decoding of s[0, n) into out (outlen bytes with the
   NUL); -1 for a bad escape, a NUL, or no room. */
static int
pct_decode(const char *s, size_t n, char *out, size_t outlen, size_t *len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n || (hi = ft_hexval(s[i + 1])) < 0 ||
			    (lo = ft_hexval(s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*len = o;
	return 0;
}

/* The value of query parameter name in q[0, n) (after '?'), decoded into
   out: 1, 0 when absent, -1 when malformed. */
static int
query_param(const char *q, size_t n, const char *name, char *out,
    size_t outlen)
{
	size_t nl = strlen(name), i = 0, len;

	while (i < n) {
		size_t j = i, eq;

		while (j < n && q[j] != '&')
			j++;
		for (eq = i; eq < j && q[eq] != '='; eq++)
			;
		if (eq - i == nl && memcmp(q + i, name, nl) == 0) {
			if (eq == j)
				return -1;
			return pct_decode(q + eq + 1, j - eq - 1, out, outlen,
			    &len) < 0 ? -1 : 1;
		}
		i = j + 1;
	}
	return 0;
}

/* ---- tiers -------------------------------------------------------------------- */

static void tier_watch(struct worker *w, size_t t);
static void tier_lost(struct worker *w, size_t t, const char *why);
static feat_catalog *catalog_of(struct worker *w);

static void
tier_down(struct worker *w, size_t t, const char *why)
{
	struct tier *tr = &w->tiers[t];

	if (tr->sock) {
		h2o_socket_close(tr->sock);
		tr->sock = NULL;
		tr->sockfd = -1;
	}
	if (tr->wr && tr->server) {	/* its writes reconnect too */
		char e2[64];

		feat_store_close(tr->wr, e2, sizeof e2);
		tr->wr = NULL;
	}
	if (!tr->down)
		feat_warn("thread %d: tier '%s' is down: %s", w->id,
		    tr->name, why);
	snprintf(tr->why, sizeof tr->why, "%s", why);
	tr->down = 1;
	tr->backoff = tr->backoff ? tr->backoff * 2 : 100 * FEAT_NS_PER_MS;
	if (tr->backoff > 5 * FEAT_NS_PER_S)
		tr->backoff = 5 * FEAT_NS_PER_S;
	tr->retry_at = mono() + tr->backoff;
	atomic_fetch_add_explicit(&tr->errors, 1, memory_order_relaxed);
}

static int
tier_open(struct worker *w, size_t t)
{
	struct tier *tr = &w->tiers[t];
	struct feat_store_opts so = { 0 };
	char err[512];

	so.timeout = w->srv->o.timeout > 0 ? w->srv->o.timeout : 0;
	if (tr->s == NULL &&
	    (tr->s = feat_store_open(tr->uri, &so, err, sizeof err)) == NULL) {
		tier_down(w, t, err);
		return -1;
	}
	/* The lookups' connection too, if opening it blocks: not by the
	   first request. */
	if (ft_store_connect(tr->s, err, sizeof err) < 0) {
		char e2[64];

		feat_store_close(tr->s, e2, sizeof e2);
		tr->s = NULL;
		tier_down(w, t, err);
		return -1;
	}
	tr->history = feat_store_has_history(tr->s);
	tr->server = strncmp(tr->uri, "dir:", 4) != 0;
	if (tr->down)
		feat_warn("thread %d: tier '%s' is back", w->id, tr->name);
	tr->down = 0;
	/* A server's backoff ends with its first answer: a stopped Redis
	   still accepts connections. */
	if (!tr->server)
		tr->backoff = 0;
	return 0;
}

/*
 * A server tier down is opened again on a thread of its own, never on the
 * loop: connecting to a server that hangs (a stopped process, a host that
 * drops packets) waits for its connect timeout, and every request of the
 * thread would wait with it.  The tick adopts what the opener opened.
 */
static void *
tier_opener(void *arg)
{
	struct tier *tr = arg;
	struct feat_store_opts so = { 0 };
	char err[512], e2[64];
	feat_store *s;

	so.timeout = tr->open_timeout;
	if ((s = feat_store_open(tr->uri, &so, err, sizeof err)) != NULL &&
	    ft_store_connect(s, err, sizeof err) < 0) {
		feat_store_close(s, e2, sizeof e2);
		s = NULL;
	}
	if (s == NULL)
		snprintf(tr->open_err, sizeof tr->open_err, "%s", err);
	tr->reopened = s;
	atomic_store(&tr->opened, 1);
	return NULL;
}

/* Tier t is down and its backoff has passed: tried again. */
static void
tier_retry(struct worker *w, size_t t)
{
	struct tier *tr = &w->tiers[t];
	char err[512];

	if (tr->server && tr->s == NULL) {
		tr->open_timeout = w->srv->o.timeout;
		tr->reopened = NULL;
		atomic_store(&tr->opened, 0);
		if (pthread_create(&tr->opener, NULL, tier_opener, tr) != 0) {
			tier_down(w, t, "cannot start a thread to connect");
			return;
		}
		tr->opening = 1;
		return;
	}
	if (tier_open(w, t) == 0 && tr->server &&
	    feat_store_flush(tr->s, err, sizeof err) < 0)
		tier_lost(w, t, err);
}

/* Tier t's opener is done: its store is taken up, or the tier stays down
   for a longer backoff. */
static void
tier_reopened(struct worker *w, size_t t)
{
	struct tier *tr = &w->tiers[t];

	pthread_join(tr->opener, NULL);
	tr->opening = 0;
	if (tr->reopened == NULL) {
		tier_down(w, t, tr->open_err);
		return;
	}
	tr->s = tr->reopened;
	tr->reopened = NULL;
	if (tier_open(w, t) == 0)
		tier_watch(w, t);	/* a close while idle is seen */
}

static void answer_cb(void *ctx, uint64_t tag, const char *line, size_t len);
static int answer_fields_cb(void *ctx, uint64_t tag,
    const struct ft_fields *fs);

static void
tier_poll(struct worker *w, size_t t)
{
	struct tier *tr = &w->tiers[t];
	char err[512];

	if (tr->s == NULL || tr->down)
		return;
	if (ft_store_poll_fields(tr->s, answer_fields_cb, answer_cb, w, err,
	    sizeof err) < 0) {
		size_t t2 = t;

		tier_down(w, t2, err);
		/* Its connection is gone with the answers it owed. */
		feat_store_close(tr->s, err, sizeof err);
		tr->s = NULL;
	}
}

static void fail_over(struct worker *w, size_t t);

static void
on_tier_read(h2o_socket_t *sock, const char *err)
{
	struct worker *w = sock->data;

	for (size_t t = 0; t < w->ntiers; t++)
		if (w->tiers[t].sock == sock) {
			if (err) {
				tier_down(w, t, err);
				fail_over(w, t);
				return;
			}
			tier_poll(w, t);
			if (w->tiers[t].s == NULL || w->tiers[t].down)
				fail_over(w, t);
			else
				tier_watch(w, t);
			return;
		}
}

static void
on_tier_write(h2o_socket_t *sock, const char *err)
{
	struct worker *w = sock->data;

	(void)err;
	for (size_t t = 0; t < w->ntiers; t++)
		if (w->tiers[t].sock == sock) {
			tier_watch(w, t);
			return;
		}
}

/* Watches tier t's descriptor: readable always, writable while its
   store has requests to send. */
static void
tier_watch(struct worker *w, size_t t)
{
	struct tier *tr = &w->tiers[t];
	char err[512];
	int fd, rc;

	if (tr->s == NULL || tr->down || !tr->server)
		return;
	rc = feat_store_flush(tr->s, err, sizeof err);
	if (rc < 0) {
		tier_down(w, t, err);
		feat_store_close(tr->s, err, sizeof err);
		tr->s = NULL;
		fail_over(w, t);
		return;
	}
	fd = feat_store_fd(tr->s);
	if (tr->sock && tr->sockfd != fd) {	/* closed, or reconnected */
		h2o_socket_close(tr->sock);
		tr->sock = NULL;
		tr->sockfd = -1;
	}
	if (fd < 0)
		return;
	if (tr->sock == NULL) {
		int d = dup(fd);

		if (d < 0) {
			tier_down(w, t, strerror(errno));
			return;
		}
		fcntl(d, F_SETFD, FD_CLOEXEC);
		tr->sock = h2o_evloop_socket_create(w->ctx.loop, d,
		    H2O_SOCKET_FLAG_DONT_READ);
		tr->sock->data = w;
		tr->sockfd = fd;
		h2o_socket_read_start(tr->sock, on_tier_read);
	}
	if (rc == 1 && !h2o_socket_is_writing(tr->sock))
		h2o_socket_notify_write(tr->sock, on_tier_write);
}

/* ---- jobs: lookups of one or more entities ------------------------------------ */

static size_t
slot_new(struct worker *w)
{
	if (w->nfree > 0)
		return w->freeslots[--w->nfree];
	if (w->nslots == w->slotcap) {
		w->slotcap = w->slotcap ? w->slotcap * 2 : 1024;
		w->slots = feat_xrealloc(w->slots, w->slotcap *
		    sizeof *w->slots);
		w->freeslots = feat_xrealloc(w->freeslots, w->slotcap *
		    sizeof *w->freeslots);
	}
	return w->nslots++;
}

static void
slot_free(struct worker *w, size_t i)
{
	w->slots[i].job = NULL;
	w->freeslots[w->nfree++] = i;
}

/* The L1 key of entity e's group j: type, group, version, then the id. */
static size_t
l1_key(const struct entity *e, size_t j, char *buf, size_t len)
{
	struct feat_store_key k = ft_lookup_key(e->lk, j);
	size_t tl = strlen(k.entity_type), gl = strlen(k.group), n;
	long v = k.version > 0 ? k.version : 1;
	char num[24];
	size_t nl = 0;

	do
		num[sizeof num - 1 - nl++] = (char)('0' + v % 10);
	while ((v /= 10) > 0 && nl < sizeof num);
	n = tl + 1 + gl + 1 + nl + 1;
	if (n + k.entity_id_len > len)
		return 0;
	memcpy(buf, k.entity_type, tl);
	buf[tl] = '\0';
	memcpy(buf + tl + 1, k.group, gl);
	buf[tl + 1 + gl] = '\0';
	memcpy(buf + tl + gl + 2, num + sizeof num - nl, nl);
	buf[n - 1] = '\0';
	memcpy(buf + n, k.entity_id, k.entity_id_len);
	return n + k.entity_id_len;
}

static size_t
shard_of(const char *key, size_t len)
{
	return (size_t)(ft_quick_hash(key, len) % SHARDS);
}

static void job_done(struct job *j);

#define MAX_MODELS 10000

/* A model's perf_5min found (group g of lk): its point for DRV_010
   (SPEC 4), over the models this thread has read, as of their latest
   record read. */
static void
pareto_point(struct worker *w, const struct ft_lookup *lk, size_t g)
{
	struct feat_store_key k = ft_lookup_key(lk, g);
	double p[3];
	static const char *const names[3] = {
		"avg_cost_per_request_5min", "latency_p95_5min",
		"error_rate_5min"
	};
	long i;

	for (int a = 0; a < 3; a++)
		if (!ft_lookup_number(lk, g, names[a], &p[a]))
			return;
	i = ft_names_get(&w->models, k.entity_id, k.entity_id_len, 0);
	if (i < 0) {
		if (w->models.n >= MAX_MODELS)
			return;
		i = ft_names_get(&w->models, k.entity_id, k.entity_id_len,
		    1);
		w->points = feat_xrealloc(w->points, w->models.n *
		    sizeof *w->points);
	}
	memcpy(w->points[i], p, sizeof p);
}

/* A record found in tier t (1-based) goes to the server tiers above
   it, written by the next tick. */
static void
fill_above(struct worker *w, int t, const char *line, size_t len)
{
	const feat_record *r;
	struct feat_error fe;
	char err[256];
	int read = 0;

	for (int u = 0; u < t - 1; u++) {
		struct tier *tr = &w->tiers[u];

		if (!tr->server || tr->down)
			continue;
		if (!read && feat_record_read(w->rr, line, len, &r, &fe) < 0)
			return;
		read = 1;
		if (tr->fill == NULL)
			tr->fill = feat_store_batch_new();
		if (feat_store_batch_count(tr->fill) < 10000)
			feat_store_batch_add(tr->fill, r, NULL, 0, 0, err,
			    sizeof err);
	}
}

/* Whether a record found in tier t (1-based) is to be written into a
   server tier above it (fill_above). */
static int
fills_above(struct worker *w, int t)
{
	for (int u = 0; u < t - 1; u++)
		if (w->tiers[u].server && !w->tiers[u].down)
			return 1;
	return 0;
}

/*
 * Group g of entity e found in tier t (1-based; -1 for none named): its
 * line, or (fs not NULL) the fields of its hash, which may not do: -1,
 * and nothing done, when the line is wanted instead.
 */
static int
found(struct worker *w, struct job *j, size_t e, size_t g, int t,
    const char *line, size_t len, const struct ft_fields *fs)
{
	struct entity *en = &j->ents[e];
	const char *tier = t < 0 ? NULL : w->tiers[t - 1].name;

	if (fs) {
		if ((t > 1 && en->as_of == INT64_MIN && fills_above(w, t)) ||
		    ft_lookup_set_fields(en->lk, g, fs, tier) < 0)
			return -1;
	} else {
		if (t > 1 && en->as_of == INT64_MIN)
			fill_above(w, t, line, len);
		ft_lookup_set(w->lc, en->lk, g, line, len, tier);
	}
	mark_answered(j, e);

	/* DRV_010's set: the models' current points, not past ones. */
	if (t > 0 && en->as_of == INT64_MIN && strcmp(ft_lookup_group(
	    en->lk, g)->group, "perf_5min") == 0)
		pareto_point(w, en->lk, g);
	if (t > j->best_tier)
		j->best_tier = t;
	return 0;
}

/* Group g of entity e found in the L1 (a prepared record). */
static void
found_l1(struct job *j, size_t e, size_t g, const void *prep, size_t size)
{
	mark_answered(j, e);
	ft_lookup_set_prep(j->ents[e].lk, g, prep, size, "l1");
	if (j->best_tier < 0)
		j->best_tier = 0;
}

struct sync_fetch {
	struct worker *w;
	struct job *j;
	size_t e, g;
	int t;
};

static int
sync_line(void *ctx, const char *line, size_t len)
{
	struct sync_fetch *f = ctx;

	found(f->w, f->j, f->e, f->g, f->t, line, len, NULL);
	return 0;
}

static void
tier_lost(struct worker *w, size_t t, const char *why)
{
	struct tier *tr = &w->tiers[t];
	char err[256];

	tier_down(w, t, why);
	if (tr->server && tr->s) {
		feat_store_close(tr->s, err, sizeof err);
		tr->s = NULL;
	}
}

/* Group g's record, as prepared, into the L1 under key. */
static void
l1_put(struct worker *w, const struct ft_lookup *lk, size_t g,
    const char *key, size_t kl, int tier, uint64_t gen)
{
	size_t size;
	const void *p = ft_lookup_prep(lk, g, &size);

	if (p)
		ft_l1_put(w->l1, key, kl, p, size, tier, gen, mono());
}

/*
 * Asks the tiers from index t (0-based among w->tiers) for group g of
 * entity e: 1 while an answer is awaited, 0 when settled (found, or in
 * no tier).  dir:, and as_of from any tier, answer at once.
 */
static int
ask(struct worker *w, struct job *j, size_t e, size_t g, size_t t)
{
	struct entity *en = &j->ents[e];
	struct feat_store_key k = ft_lookup_key(en->lk, g);
	char err[512];

	for (; t < w->ntiers; t++) {
		struct tier *tr = &w->tiers[t];
		size_t si;
		int rc;

		/* A tier down is reopened by the tick, never here: a
		   request does not wait for a connection. */
		if (tr->down || tr->s == NULL) {
			mark_failed(j, e);
			continue;
		}
		if (en->as_of != INT64_MIN && !tr->history)
			continue;
		bump(&tr->requests, 1);
		if (!tr->server || en->as_of != INT64_MIN) {
			struct sync_fetch f = { w, j, e, g, (int)t + 1 };
			int64_t t0 = mono();
			char key[1024];
			size_t kl = en->as_of == INT64_MIN ? l1_key(en, g, key,
			    sizeof key) : 0;
			uint64_t sg = kl ? atomic_load(
			    &w->srv->shard[shard_of(key, kl)]) : 0;

			/* These block the loop: none once the deadline has
			   passed (a batch of random dir: keys). */
			if (j->late || t0 - j->started >= w->srv->o.timeout) {
				j->late = 1;
				return 0;
			}
			if (!tr->server && atomic_load_explicit(
			    &w->srv->pushes, memory_order_acquire) !=
			    w->pushes_seen) {
				w->pushes_seen = atomic_load(&w->srv->pushes);
				feat_store_refresh(tr->s, err, sizeof err);
			}
			if (en->as_of == INT64_MIN)
				rc = feat_store_latest(tr->s, &k, sync_line,
				    &f, err, sizeof err);
			else
				rc = feat_store_as_of(tr->s, &k, en->as_of,
				    en->no_future_created, sync_line, &f, err,
				    sizeof err);
			bump(&tr->latency_ns, (uint64_t)(mono() - t0));
			if (rc < 0) {
				tier_lost(w, t, err);
				mark_failed(j, e);
				continue;
			}
			mark_answered(j, e);
			if (rc == 0)
				continue;	/* not there: the next tier */
			bump(&tr->hits, 1);
			if (kl > 0)
				l1_put(w, en->lk, g, key, kl, (int)t + 1, sg);
			return 0;
		}
		si = slot_new(w);
		w->slots[si].job = j;
		w->slots[si].entity = (uint32_t)e;
		w->slots[si].group = (uint32_t)g;
		w->slots[si].tier = (int)t;
		w->slots[si].gen = ++w->slotgen;
		w->slots[si].sent = mono();
		{
			char key[1024];
			size_t kl = l1_key(en, g, key, sizeof key);

			w->slots[si].shardgen = kl ? atomic_load(
			    &w->srv->shard[shard_of(key, kl)]) : 0;
		}
		if (feat_store_send_latest(tr->s, &k,
		    ((uint64_t)w->slots[si].gen << 32) | si, err,
		    sizeof err) < 0) {
			slot_free(w, si);
			tier_lost(w, t, err);
			mark_failed(j, e);
			continue;
		}
		j->waiting++;
		/* Sent when the loop has run every request it read. */
		tr->unsent = 1;
		return 1;
	}
	return 0;
}

/* An answer of a server tier: the line, or NULL (not there), or the
   fields of a hash (fs): -1, with nothing done, when they will not do. */
static int
answer(struct worker *w, uint64_t tag, const char *line, size_t len,
    const struct ft_fields *fs)
{
	size_t si = (size_t)(tag & 0xffffffffu);
	struct slot sl;
	struct job *j;

	if (si >= w->nslots || w->slots[si].gen != (uint32_t)(tag >> 32))
		return 0;
	sl = w->slots[si];
	if ((j = sl.job) != NULL && (line || fs)) {
		struct entity *en = &j->ents[sl.entity];

		/* The slot stays counted until the job has moved on, so
		   that a failure met on the way (fail_over) cannot finish
		   the job under us. */
		if (found(w, j, sl.entity, sl.group, sl.tier + 1, line, len,
		    fs) < 0)
			return -1;
		bump(&w->tiers[sl.tier].hits, 1);
		if (en->as_of == INT64_MIN) {
			char key[1024];
			size_t kl = l1_key(en, sl.group, key, sizeof key);

			if (kl > 0)
				l1_put(w, en->lk, sl.group, key, kl,
				    sl.tier + 1, sl.shardgen);
		}
	}
	slot_free(w, si);
	w->tiers[sl.tier].backoff = 0;
	bump(&w->tiers[sl.tier].latency_ns, (uint64_t)(mono() - sl.sent));
	if (j == NULL)
		return 0;
	if (!line && !fs) {
		mark_answered(j, sl.entity);
		ask(w, j, sl.entity, sl.group, (size_t)sl.tier + 1);
	}
	if (--j->waiting == 0)
		job_done(j);
	return 0;
}

static void
answer_cb(void *ctx, uint64_t tag, const char *line, size_t len)
{
	answer(ctx, tag, line, len, NULL);
}

static int
answer_fields_cb(void *ctx, uint64_t tag, const struct ft_fields *fs)
{
	return answer(ctx, tag, NULL, 0, fs);
}

/* Tier t lost its connection: what it owed goes to the next tiers. */
static void
fail_over(struct worker *w, size_t t)
{
	for (size_t si = 0; si < w->nslots; si++) {
		struct slot sl = w->slots[si];
		struct job *j = sl.job;

		if (j == NULL || (size_t)sl.tier != t)
			continue;
		slot_free(w, si);
		mark_failed(j, sl.entity);
		ask(w, j, sl.entity, sl.group, t + 1);
		if (--j->waiting == 0)	/* counted until here (answer_cb) */
			job_done(j);
	}
}

static feat_catalog *
catalog_of(struct worker *w)
{
	unsigned gen = atomic_load(&w->srv->catgen);

	if (w->cat == NULL || gen != w->catgen) {
		w->cat = atomic_load(&w->srv->cat);
		w->catgen = gen;
		/* The jobs under way are now of an older catalog, and no
		   plan made with it is kept (a new catalog may reuse its
		   address). */
		atomic_fetch_add(&w->live_old, w->live_cur);
		w->live_cur = 0;
		ft_lookup_cache_reset(w->lc);
		atomic_store(&w->pub_gen, gen);
	}
	return w->cat;
}

static void
lookup_opts(struct worker *w, const struct entity *en,
    struct feat_lookup_opts *lo)
{
	memset(lo, 0, sizeof *lo);
	lo->catalog = catalog_of(w);
	lo->clock = w->srv->o.clock;
	lo->as_of = en->as_of;
	lo->no_future_created = en->no_future_created;
	lo->max_age = w->srv->o.max_age;
	lo->tier = "none";
	lo->pareto = (const double (*)[3])w->points;
	lo->npareto = w->models.n;
}

static void
write_entity_error(feat_writer *o, const struct entity *en)
{
	feat_writer_open_object(o);
	feat_writer_key(o, "error", 5);
	feat_writer_open_object(o);
	feat_writer_key(o, "code", 4);
	feat_writer_string(o, en->code, strlen(en->code));
	feat_writer_key(o, "message", 7);
	{
		char mbuf[400];
		const char *m = ascii(en->msg, mbuf, sizeof mbuf);

		feat_writer_string(o, m, strlen(m));
	}
	feat_writer_close_object(o);
	feat_writer_close_object(o);
}

static void
job_free(struct job *j)
{
	if (j->catgen == j->w->catgen)
		j->w->live_cur--;
	else
		atomic_fetch_sub(&j->w->live_old, 1);
	for (size_t e = 0; e < j->nents; e++)
		ft_lookup_free(j->ents[e].lk);
	if (j->ents != &j->one)
		free(j->ents);
	free(j);
}

static void
release(struct job *j)
{
	if (j->counted) {
		atomic_fetch_sub(&j->w->srv->inflight, 1);
		j->counted = 0;
	}
}

/* The answer of job j (body, written at now) kept for its target, when
   it came whole from the L1 and the target is asked a second time. */
static void
answer_keep(struct worker *w, struct job *j, const struct ft_answer_marks *m,
    const struct ft_buf *body, int64_t now)
{
	struct entity *en = &j->ents[0];
	const h2o_iovec_t *t = &j->req->path;
	size_t ng = ft_lookup_ngroups(en->lk), size, slot, off;
	char keys[FT_MARK_GROUPS][1024];
	size_t kl[FT_MARK_GROUPS];
	struct answer *a;
	uint64_t h;

	if (w->l1 == NULL || !m->cacheable || m->ngroups != ng || ng == 0 ||
	    en->as_of != INT64_MIN)
		return;
	size = t->len + body->len;
	for (size_t g = 0; g < ng; g++) {
		if (ft_lookup_group(en->lk, g)->l1_serial == 0 ||
		    (kl[g] = l1_key(en, g, keys[g], sizeof keys[g])) == 0)
			return;
		size += kl[g];
	}
	if (size > ANSWER_MAX)
		return;
	h = ft_seeded_hash(w->aseed, t->base, t->len);
	slot = h % ANSWERS;
	if ((a = w->answers[slot]) != NULL && a->hash == h &&
	    a->targetlen == t->len && memcmp(a->text, t->base, t->len) == 0 &&
	    a->catgen == j->catgen) {
		/* Kept already: the same answer, or one of older entries. */
		int same = 1;

		for (size_t g = 0; g < ng && same; g++)
			same = a->g[g].serial == ft_lookup_group(en->lk,
			    g)->l1_serial;
		if (same && now <= a->until && now >= a->written)
			return;
	} else if (w->answer_seen[slot] != h) {
		w->answer_seen[slot] = h;	/* asked once: not yet */
		return;
	}
	free(w->answers[slot]);
	a = feat_xmalloc(sizeof *a + size);
	a->hash = h;
	a->catgen = j->catgen;
	a->written = now;
	a->until = m->until;
	a->targetlen = t->len;
	a->bodylen = body->len;
	a->ngroups = ng;
	memcpy(a->text, t->base, t->len);
	memcpy(a->text + t->len, body->p, body->len);
	off = t->len + body->len;
	for (size_t g = 0; g < ng; g++) {
		a->g[g].keyoff = off;
		a->g[g].keylen = kl[g];
		memcpy(a->text + off, keys[g], kl[g]);
		off += kl[g];
		a->g[g].serial = ft_lookup_group(en->lk, g)->l1_serial;
		a->g[g].at = m->fresh[g].at;
		a->g[g].len = m->fresh[g].len;
		a->g[g].ts = m->fresh[g].ts;
	}
	w->answers[slot] = a;
}

/* Answers req from a kept answer when it still holds: 1, else 0 (the
   request goes the whole way). */
static int
answer_again(struct worker *w, h2o_req_t *req)
{
	int64_t t0, now;
	uint64_t h;
	struct answer *a;
	struct ft_buf *b = &w->abuf;
	const char *body;
	size_t from = 0;

	if (w->srv->o.cache_size == 0)	/* no L1: nothing is ever kept */
		return 0;
	t0 = mono();
	h = ft_seeded_hash(w->aseed, req->path.base, req->path.len);
	a = w->answers[h % ANSWERS];
	if (a == NULL || a->hash != h || a->targetlen != req->path.len ||
	    memcmp(a->text, req->path.base, a->targetlen) != 0)
		return 0;
	catalog_of(w);
	if (a->catgen != w->catgen)
		return 0;
	for (size_t g = 0; g < a->ngroups; g++) {
		const char *key = a->text + a->g[g].keyoff;
		size_t kl = a->g[g].keylen, len;
		int tier, expired = 1;
		uint64_t gen;
		int64_t age;

		if (ft_l1_get(w->l1, key, kl, t0, &len, &tier, &gen, &expired,
		    &age) == NULL || expired || ft_l1_last_serial(w->l1) !=
		    a->g[g].serial || gen != atomic_load_explicit(
		    &w->srv->shard[shard_of(key, kl)], memory_order_acquire))
			return 0;
	}
	now = feat_clock_now(w->srv->o.clock);
	if (now < a->written || now > a->until)
		return 0;
	body = a->text + a->targetlen;
	b->len = 0;
	for (size_t g = 0; g < a->ngroups; g++) {
		char num[FEAT_DOUBLE_BUFSZ];
		size_t n = feat_fmt_double(((double)now - (double)a->g[g].ts) /
		    (double)FEAT_NS_PER_S, num);

		ft_buf_add(b, body + from, a->g[g].at - from);
		if (n == 0)
			ft_buf_add(b, "null", 4);
		else
			ft_buf_add(b, num, n);
		from = a->g[g].at + a->g[g].len;
		bump(&w->m.l1_hits, 1);
		observe_age(w, now, a->g[g].ts);
	}
	ft_buf_add(b, body + from, a->bodylen - from);
	bump(&w->m.answers_again, 1);
	send_body(req, 200, "application/json", b->p, b->len);
	count_code(w, 200);
	observe(w, R_FEATURES, T_L1, mono() - t0);
	return 1;
}

/*
 * A request that waits for a tier keeps its connection in the poll set.
 * h2o's HTTP/1 stops reading a connection while its request is answered;
 * when the answer comes in a later turn of the loop, that costs two
 * epoll_ctl calls per request (out of the set, back in), a seventh of
 * the CPU of a Redis-served request.  Instead the connection keeps a
 * reader of ours with h2o's don't-read flag: nothing is read into the
 * buffer the request's strings point into, and if the client does send
 * (a pipelined request, a close) the reader stops polling, as h2o would
 * have.  unhold() hands the connection back before the answer is sent,
 * and h2o's reader takes over again in the same turn of the loop.
 */
static void
on_held_read(h2o_socket_t *sock, const char *err)
{
	(void)err;
	h2o_socket_read_stop(sock);
}

static void
hold(struct job *j)
{
	h2o_socket_t *sock;

	if (j->req == NULL || j->held != NULL || j->req->version >= 0x200 ||
	    j->req->conn->callbacks->get_socket == NULL ||
	    (sock = j->req->conn->callbacks->get_socket(j->req->conn)) ==
	    NULL || h2o_socket_is_reading(sock))
		return;
	h2o_socket_dont_read(sock, 1);
	h2o_socket_read_start(sock, on_held_read);
	j->held = sock;
}

static void
unhold(struct job *j)
{
	if (j->held == NULL)
		return;
	h2o_socket_dont_read(j->held, 0);
	h2o_socket_read_stop(j->held);
	j->held = NULL;
}

/* No group of en has a record (an entity in error has none). */
static int
entity_missing(const struct entity *en)
{
	if (en->lk == NULL)
		return 1;
	for (size_t g = 0; g < ft_lookup_ngroups(en->lk); g++)
		if (ft_lookup_group(en->lk, g)->prep)
			return 0;
	return 1;
}

/* Nothing of en found, no tier having answered for it while one could
   not. */
static int
entity_unavailable(const struct entity *en)
{
	return en->lk && en->tier_failed && !en->answered &&
	    entity_missing(en);
}

/* Every group settled: the response (once), then the job is freed when
   nothing more is awaited. */
static void
job_done(struct job *j)
{
	struct worker *w = j->w;
	feat_writer *o = w->out;
	struct feat_lookup_opts lo;
	/* One time for the whole answer, read once. */
	struct feat_clock at = { 1, 0 };
	struct ft_answer_marks marks;
	struct ft_buf *b;
	int status = 200;

	if (h2o_timeout_is_linked(&j->timer))
		h2o_timeout_unlink(&j->timer);
	if (j->req == NULL) {
		if (j->waiting == 0)
			job_free(j);
		return;
	}
	unhold(j);
	if (j->late) {
		/* What blocked took the deadline: as on_deadline. */
		send_error(w, j->req, j->route, 504, "deadline", "the stores "
		    "did not answer within --timeout");
		observe(w, j->route, MAX_TIERS, mono() - j->started);
		j->req = NULL;
		release(j);
		if (j->waiting == 0)
			job_free(j);
		return;
	}
	ft_writer_clear(o);
	if (!j->batch) {
		struct entity *en = &j->ents[0];

		/* Nothing found while a tier could not answer: 503. */
		if (entity_unavailable(en)) {
			send_error(w, j->req, j->route, 503, "unavailable",
			    "no tier could answer");
			goto sent;
		}
		at.now = feat_clock_now(w->srv->o.clock);
		lookup_opts(w, en, &lo);
		lo.clock = &at;
		ft_lookup_write_marked(w->lc, en->lk, &lo, o, &marks);
		if (en->as_of == INT64_MIN)
			observe_freshness(w, en, at.now);
		feat_writer_end_record(o);
		if (j->route == R_FEATURES)
			answer_keep(w, j, &marks, ft_writer_buf(o), at.now);
	} else {
		/* Every entity's own error, when each is unavailable. */
		size_t nu = 0;

		for (size_t e = 0; e < j->nents; e++)
			nu += entity_unavailable(&j->ents[e]);
		if (nu > 0 && nu == j->nents) {
			send_error(w, j->req, j->route, 503, "unavailable",
			    "no tier could answer");
			goto sent;
		}
		at.now = feat_clock_now(w->srv->o.clock);
		feat_writer_open_object(o);
		feat_writer_key(o, "responses", 9);
		feat_writer_open_array(o);
		for (size_t e = 0; e < j->nents; e++) {
			struct entity *en = &j->ents[e];

			if (en->lk == NULL) {
				write_entity_error(o, en);
				continue;
			}
			/* What no tier could answer is not "not found". */
			if (entity_unavailable(en)) {
				en->status = 503;
				snprintf(en->code, sizeof en->code, "unavailable");
				snprintf(en->msg, sizeof en->msg, "no tier could "
				    "answer");
				write_entity_error(o, en);
				continue;
			}
			lookup_opts(w, en, &lo);
			lo.clock = &at;
			ft_lookup_write(w->lc, en->lk, &lo, o);
			if (en->as_of == INT64_MIN)
				observe_freshness(w, en, at.now);
		}
		feat_writer_close_array(o);
		feat_writer_close_object(o);
		feat_writer_end_record(o);
	}
	b = ft_writer_buf(o);
	send_body(j->req, status, "application/json", b->p, b->len);
	count_code(w, status);
sent:
	observe(w, j->route, j->best_tier, mono() - j->started);
	j->req = NULL;
	release(j);
	if (j->waiting == 0)
		job_free(j);
}

static void
on_deadline(h2o_timeout_entry_t *entry)
{
	struct job *j = H2O_STRUCT_FROM_MEMBER(struct job, timer, entry);
	struct worker *w = j->w;

	if (j->req == NULL)
		return;
	unhold(j);
	send_error(w, j->req, j->route, 504, "deadline", "the stores did "
	    "not answer within --timeout");
	observe(w, j->route, MAX_TIERS, mono() - j->started);
	j->req = NULL;
	release(j);
	/* Late answers find the job and drop it when the last comes. */
	if (j->waiting == 0)
		job_free(j);
}

/* Starts every group of every entity: L1 first, then the tiers. */
static void
job_start(struct job *j)
{
	struct worker *w = j->w;
	int64_t now = j->started ? j->started : mono();

	j->started = now;
	j->timer.cb = on_deadline;
	h2o_timeout_link(w->ctx.loop, &w->deadline, &j->timer);
	j->waiting++;		/* held while its groups are asked */
	for (size_t e = 0; e < j->nents; e++) {
		struct entity *en = &j->ents[e];

		if (en->lk == NULL)
			continue;
		for (size_t g = 0; g < ft_lookup_ngroups(en->lk); g++) {
			char key[1024];
			size_t kl = 0, len;
			const void *line = NULL;
			int tier, expired = 1;
			uint64_t gen;
			int64_t age;

			if (en->as_of == INT64_MIN && (kl = l1_key(en, g, key,
			    sizeof key)) > 0)
				line = ft_l1_get(w->l1, key, kl, now, &len,
				    &tier, &gen, &expired, &age);
			if (line && !expired && gen == atomic_load_explicit(
			    &w->srv->shard[shard_of(key, kl)],
			    memory_order_acquire)) {
				bump(&w->m.l1_hits, 1);
				found_l1(j, e, g, line, len);
				ft_lookup_group(en->lk, g)->l1_serial =
				    ft_l1_last_serial(w->l1);
				continue;
			}
			if (en->as_of == INT64_MIN)
				bump(line ? &w->m.l1_expired : &w->m.l1_misses,
				    1);
			if (ask(w, j, e, g, 0) == 1)
				continue;
			/* Every tier down: what the L1 holds, stale. */
			if (line && ft_lookup_group(en->lk, g)->prep == NULL &&
			    en->tier_failed) {
				found_l1(j, e, g, line, len);
				ft_lookup_group(en->lk, g)->stale = 1;
			}
		}
	}
	if (--j->waiting == 0)
		job_done(j);
	else
		hold(j);
}

/* ---- routes ---------------------------------------------------------------------- */

/* The error code of a planning failure, from its message. */
static const char *
plan_code(const char *msg)
{
	if (strncmp(msg, "unknown feature", 15) == 0 ||
	    strncmp(msg, "unknown group", 13) == 0 ||
	    strncmp(msg, "feature '", 9) == 0 ||
	    strncmp(msg, "group '", 7) == 0)
		return "unknown_feature";
	if (strncmp(msg, "more than", 9) == 0)
		return "too_many_features";
	if (strncmp(msg, "unknown entity type", 19) == 0 ||
	    strncmp(msg, "invalid entity type", 19) == 0)
		return "unknown_entity_type";
	if (strstr(msg, "entity id") || strstr(msg, "UTF-8") ||
	    strstr(msg, "bytes"))
		return "invalid_entity_id";
	return "bad_request";
}

static int
has_history(struct worker *w)
{
	for (size_t t = 0; t < w->ntiers; t++)
		if (strncmp(w->tiers[t].uri, "dir:", 4) == 0 ||
		    strncmp(w->tiers[t].uri, "postgres", 8) == 0)
			return 1;
	return 0;
}

/* Plans entity en; an error is kept in en (status 400). */
static void
plan(struct worker *w, struct entity *en, const char *etype,
    const char *eid, size_t eidlen, const char *features,
    const char *as_of, const char *user_id, const char *version)
{
	char err[300];
	long v = 0;

	en->as_of = INT64_MIN;
	if (as_of && *as_of) {
		if (feat_time_parse(as_of, strlen(as_of), &en->as_of) < 0) {
			set_error(en, 400, "bad_request", "invalid as_of "
			    "'%.64s': use RFC 3339", as_of);
			return;
		}
		if (!has_history(w)) {
			set_error(en, 400, "bad_request", "as_of needs a tier "
			    "with history (dir: or postgresql://)");
			return;
		}
	}
	if (version && *version) {
		char *end;

		errno = 0;
		v = strtol(version, &end, 10);
		if (*end || errno || v < 1 || v > 1000000) {
			set_error(en, 400, "bad_request", "invalid version "
			    "'%.32s': use 1 to 1000000", version);
			return;
		}
	}
	en->lk = ft_lookup_plan(w->lc, catalog_of(w), etype, eid, eidlen,
	    features,
	    user_id && *user_id ? user_id : NULL, v, err, sizeof err);
	if (en->lk == NULL)
		set_error(en, 400, plan_code(err), "%s", err);
}

static struct job *
job_new(struct worker *w, h2o_req_t *req, enum route r, size_t n)
{
	struct job *j = feat_xcalloc(1, sizeof *j);

	j->w = w;
	j->req = req;
	j->route = r;
	/* A single lookup's entity lives in the job: one allocation. */
	j->ents = n <= 1 ? &j->one : feat_xcalloc(n, sizeof *j->ents);
	j->nents = n;
	j->started = mono();
	j->best_tier = -1;
	catalog_of(w);
	j->catgen = w->catgen;
	w->live_cur++;
	atomic_fetch_add(&w->srv->inflight, 1);
	j->counted = 1;
	return j;
}

static int
get_features(struct worker *w, h2o_req_t *req)
{
	const char *path = req->path.base;
	size_t plen = req->query_at != SIZE_MAX ? req->query_at :
	    req->path.len, qn = 0;
	const char *q = NULL, *p, *slash;
	char etype[80], eid[1600], features[4096] = "", as_of[80] = "",
	    user_id[600] = "", version[32] = "";
	size_t elen, idlen;
	struct job *j;
	int rc = 0;

	if (answer_again(w, req))
		return 0;
	if (req->query_at != SIZE_MAX) {
		q = path + req->query_at + 1;
		qn = req->path.len - req->query_at - 1;
	}
	p = path + strlen("/v1/features/");
	slash = memchr(p, '/', (size_t)(path + plen - p));
	if (slash == NULL || slash == p) {
		send_error(w, req, R_FEATURES, 404, "not_found", "use "
		    "/v1/features/{entity_type}/{entity_id}");
		return 0;
	}
	if (pct_decode(p, (size_t)(slash - p), etype, sizeof etype,
	    &elen) < 0 || pct_decode(slash + 1, (size_t)(path + plen -
	    slash - 1), eid, sizeof eid, &idlen) < 0 || idlen == 0) {
		send_error(w, req, R_FEATURES, 400, "bad_request", "invalid "
		    "entity type or id in the path (percent escapes, no NUL, "
		    "an id of 1 to 512 bytes)");
		return 0;
	}
	if (q && ((rc = query_param(q, qn, "features", features,
	    sizeof features)) < 0 || query_param(q, qn, "as_of", as_of,
	    sizeof as_of) < 0 || query_param(q, qn, "user_id", user_id,
	    sizeof user_id) < 0 || query_param(q, qn, "version", version,
	    sizeof version) < 0)) {
		send_error(w, req, R_FEATURES, 400, "bad_request", "invalid "
		    "query parameter (percent escapes, no NUL, within the "
		    "limits)");
		return 0;
	}
	j = job_new(w, req, R_FEATURES, 1);
	plan(w, &j->ents[0], etype, eid, idlen, features[0] ? features :
	    NULL, as_of, user_id, version);
	if (j->ents[0].lk == NULL) {
		send_error(w, req, R_FEATURES, j->ents[0].status,
		    j->ents[0].code, j->ents[0].msg);
		observe(w, R_FEATURES, MAX_TIERS, mono() - j->started);
		j->req = NULL;
		release(j);
		job_free(j);
		return 0;
	}
	job_start(j);
	return 0;
}

/*
 * Member key of object obj as a C string in buf: 1, 0 when absent or null,
 * -1 when it is not a string (or holds a NUL, or does not fit).
 */
static int
member_str(const struct ft_json *doc, const struct ft_jval *obj,
    const char *key, char *buf, size_t size)
{
	const struct ft_jval *v = ft_json_get(doc, obj, key, strlen(key));

	buf[0] = '\0';
	if (v == NULL || v->type == FT_JNULL)
		return 0;
	if (v->type != FT_JSTRING || v->len >= size ||
	    memchr(v->s, '\0', v->len))
		return -1;
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	return 1;
}

/* Request it of a batch into en: planned, or an error kept in en. */
static void
batch_item(struct worker *w, struct entity *en, const struct ft_json *doc,
    const struct ft_jval *it)
{
	const struct ft_jval *id, *f, *v;
	int rc = 0;
	char etype[256], features[4096] = "", version[32] = "", as_of[80],
	    user_id[600];

	id = it->type == FT_JOBJECT ? ft_json_get(doc, it, "entity_id", 9) :
	    NULL;
	if (it->type != FT_JOBJECT || (rc = member_str(doc, it,
	    "entity_type", etype, sizeof etype)) == 0 || id == NULL ||
	    id->type != FT_JSTRING) {
		set_error(en, 400, "bad_request", "a request needs "
		    "\"entity_type\" and \"entity_id\" strings");
		return;
	}
	if (rc < 0) {
		set_error(en, 400, "unknown_entity_type", "invalid entity "
		    "type: use [a-z0-9_]+");
		return;
	}
	f = ft_json_get(doc, it, "features", 8);
	if (f && f->type == FT_JSTRING) {
		if (member_str(doc, it, "features", features,
		    sizeof features) < 0) {
			set_error(en, 400, "bad_request", "\"features\" is "
			    "too long");
			return;
		}
	} else if (f && f->type == FT_JARRAY) {
		size_t o = 0;

		for (const struct ft_jval *x = ft_json_node(doc, f->child); x;
		    x = ft_json_node(doc, x->next)) {
			if (x->type != FT_JSTRING || memchr(x->s, '\0',
			    x->len) || o + (o > 0) + x->len + 1 >
			    sizeof features) {
				set_error(en, 400, "bad_request",
				    "\"features\" is a list of names");
				return;
			}
			if (o > 0)
				features[o++] = ',';
			memcpy(features + o, x->s, x->len);
			o += x->len;
			features[o] = '\0';
		}
	} else if (f && f->type != FT_JNULL) {
		set_error(en, 400, "bad_request", "\"features\" is a list of "
		    "names");
		return;
	}
	v = ft_json_get(doc, it, "version", 7);
	if (v && v->type == FT_JNUMBER && v->len < sizeof version) {
		memcpy(version, v->s, v->len);
		version[v->len] = '\0';
	} else if (v && v->type != FT_JNULL && member_str(doc, it, "version",
	    version, sizeof version) != 1) {
		set_error(en, 400, "bad_request", "invalid \"version\": use "
		    "1 to 1000000");
		return;
	}
	if (member_str(doc, it, "as_of", as_of, sizeof as_of) < 0) {
		set_error(en, 400, "bad_request", "invalid \"as_of\": use an "
		    "RFC 3339 string");
		return;
	}
	if (member_str(doc, it, "user_id", user_id, sizeof user_id) < 0) {
		set_error(en, 400, "bad_request", "invalid \"user_id\": use a "
		    "string of at most %zu bytes", sizeof user_id - 1);
		return;
	}
	plan(w, en, etype, id->s, id->len, features[0] ? features : NULL,
	    as_of, user_id, version);
}

/* POST /v1/features/batch: {"requests":[...]} or the array alone, parsed
   by libfeat's own line parser (strict UTF-8, no NUL). */
static int
post_batch(struct worker *w, h2o_req_t *req)
{
	const char *body = req->entity.base ? req->entity.base : "";
	size_t len = req->entity.len, n = 0;
	const struct ft_json *doc;
	const struct ft_jval *root, *list = NULL, *it;
	struct feat_error fe;
	struct job *j;
	int rc;

	/* A final newline is no trailing garbage. */
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	rc = ft_line_parse(w->bj, body, len, &fe);
	doc = w->bj;
	if (rc == 0 && (root = ft_json_node(doc, 1)) != NULL)
		list = root->type == FT_JARRAY ? root : ft_json_get(doc, root,
		    "requests", 8);
	if (rc == 0 && ft_json_repeats(doc) > 0) {
		/* Which value would count is not the client's guess. */
		send_error(w, req, R_BATCH, 400, "bad_request", "a key "
		    "repeats in an object of the body");
		return 0;
	}
	if (rc < 0 || list == NULL || list->type != FT_JARRAY) {
		char msg[300];

		snprintf(msg, sizeof msg, rc == 0 ? "the body is not "
		    "{\"requests\":[...]} or an array" : "%s", fe.reason);
		send_error(w, req, R_BATCH, 400, "bad_request", msg);
		return 0;
	}
	if ((n = list->count) > MAX_BATCH) {
		send_error(w, req, R_BATCH, 400, "too_many_requests",
		    "more than 1000 requests in a batch");
		return 0;
	}
	j = job_new(w, req, R_BATCH, n);
	j->batch = 1;
	it = ft_json_node(doc, list->child);
	for (size_t i = 0; i < n && it; i++, it = ft_json_node(doc, it->next))
		batch_item(w, &j->ents[i], doc, it);
	job_start(j);
	return 0;
}

/* POST /v1/records: NDJSON feature records, written through to every
   tier, all or none of a body checked first. */
static int
post_records(struct worker *w, h2o_req_t *req)
{
	feat_record_reader *rr = feat_record_reader_new(FEAT_TIME_S);
	feat_store_batch *b = feat_store_batch_new();
	const char *p = req->entity.base ? req->entity.base : "";
	const char *end = p + req->entity.len;
	int64_t now = feat_clock_now(w->srv->o.clock);
	feat_writer *o = w->out;
	unsigned long lineno = 0;
	char err[512], msg[700];
	struct ft_buf keys = { 0 };
	int64_t t0 = mono();

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const feat_record *r;
		struct feat_error fe;

		lineno++;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > 0 && (feat_record_read(rr, p, len, &r, &fe) < 0 ||
		    ft_record_check_storable(rr, r, catalog_of(w), &fe) < 0 ||
		    feat_store_batch_add(b, r, catalog_of(w), 0, now, fe.reason,
		    sizeof fe.reason) < 0)) {
			snprintf(msg, sizeof msg, "line %lu: %s", lineno,
			    fe.reason);
			send_error(w, req, R_RECORDS, 400, "bad_record", msg);
			goto done;
		}
		if (len > 0) {
			const struct feat_record_head *h =
			    feat_record_get_head(r);
			char key[1024];
			int n = snprintf(key, sizeof key, "%s%c%s%c%ld%c",
			    h->entity_type, 0, h->group, 0, h->version > 0 ?
			    h->version : 1, 0);

			if (n > 0 && (size_t)n + h->entity_id_len <=
			    sizeof key) {
				size_t sh;

				memcpy(key + n, h->entity_id,
				    h->entity_id_len);
				sh = shard_of(key, (size_t)n +
				    h->entity_id_len);
				ft_buf_add(&keys, &sh, sizeof sh);
			}
		}
		p = nl ? nl + 1 : end;
	}
	ft_writer_clear(o);
	feat_writer_open_object(o);
	feat_writer_key(o, "records", 7);
	feat_writer_int(o, (int64_t)feat_store_batch_count(b));
	feat_writer_key(o, "tiers", 5);
	feat_writer_open_object(o);
	for (size_t t = 0; t < w->ntiers && feat_store_batch_count(b) > 0;
	    t++) {
		struct tier *tr = &w->tiers[t];
		struct feat_store_written wr;
		int rc;

		if (tr->wr == NULL) {
			struct feat_store_opts so = { 0 };

			so.write = 1;
			so.timeout = w->srv->o.timeout;
			so.lock.timeout = w->srv->o.timeout;
			so.lock.stop = w->srv->o.stop;
			if ((tr->wr = feat_store_open(tr->uri, &so, err,
			    sizeof err)) == NULL) {
				snprintf(msg, sizeof msg, "tier '%s': %s",
				    tr->name, err);
				send_error(w, req, R_RECORDS, 503,
				    "unavailable", msg);
				goto done;
			}
		}
		rc = feat_store_write(tr->wr, b, &wr, err, sizeof err);
		if (rc < 0) {
			char e2[64];

			snprintf(msg, sizeof msg, "tier '%s': %s", tr->name,
			    rc == FEAT_STORE_LOCKED ? "its lock was held "
			    "past --timeout" : err);
			if (rc != FEAT_STORE_LOCKED) {
				feat_store_close(tr->wr, e2, sizeof e2);
				tr->wr = NULL;
			}
			send_error(w, req, R_RECORDS, 503, "unavailable", msg);
			goto done;
		}
		feat_writer_key(o, tr->name, strlen(tr->name));
		feat_writer_open_object(o);
		feat_writer_key(o, "added", 5);
		feat_writer_int(o, (int64_t)wr.added);
		feat_writer_key(o, "duplicates", 10);
		feat_writer_int(o, (int64_t)wr.duplicates);
		feat_writer_close_object(o);
	}
	feat_writer_close_object(o);
	feat_writer_close_object(o);
	feat_writer_end_record(o);
	/* Every L1 entry of the keys' shards is read again. */
	for (size_t i = 0; i + sizeof(size_t) <= keys.len; i += sizeof(size_t)) {
		size_t sh;

		memcpy(&sh, keys.p + i, sizeof sh);
		atomic_fetch_add_explicit(&w->srv->shard[sh], 1,
		    memory_order_release);
	}
	atomic_fetch_add_explicit(&w->srv->pushes, 1, memory_order_release);
	send_body(req, 200, "application/json", ft_writer_buf(o)->p,
	    ft_writer_buf(o)->len);
	count_code(w, 200);
done:
	observe(w, R_RECORDS, MAX_TIERS, mono() - t0);
	ft_buf_free(&keys);
	feat_store_batch_free(b);
	feat_record_reader_free(rr);
	return 0;
}

static int
get_catalog(struct worker *w, h2o_req_t *req, const char *name)
{
	feat_catalog *cat = catalog_of(w);
	feat_writer *o = w->out;

	ft_writer_clear(o);
	if (name && *name) {
		const feat_catalog_feature *f = feat_catalog_find(cat, name);

		if (f == NULL) {
			char msg[300];

			snprintf(msg, sizeof msg, "unknown feature '%.200s'",
			    name);
			send_error(w, req, R_CATALOG, 404, "unknown_feature",
			    msg);
			return 0;
		}
		feat_writer_open_object(o);
		feat_catalog_write_feature(f, o);
		feat_writer_close_object(o);
	} else {
		feat_writer_open_object(o);
		feat_writer_key(o, "catalog_version", 15);
		feat_writer_int(o, feat_catalog_version(cat));
		feat_writer_key(o, "groups", 6);
		feat_writer_open_object(o);
		for (size_t i = 0; i < feat_catalog_group_count(cat); i++) {
			const feat_catalog_group *g =
			    feat_catalog_group_nth(cat, i);
			const char *gn = feat_catalog_group_name(g);

			feat_writer_key(o, gn, strlen(gn));
			feat_writer_open_object(o);
			feat_catalog_write_group(g, o);
			feat_writer_close_object(o);
		}
		feat_writer_close_object(o);
		feat_writer_key(o, "features", 8);
		feat_writer_open_array(o);
		for (size_t i = 0; i < feat_catalog_count(cat); i++) {
			feat_writer_open_object(o);
			feat_catalog_write_feature(feat_catalog_nth(cat, i),
			    o);
			feat_writer_close_object(o);
		}
		feat_writer_close_array(o);
		feat_writer_close_object(o);
	}
	feat_writer_end_record(o);
	send_body(req, 200, "application/json", ft_writer_buf(o)->p,
	    ft_writer_buf(o)->len);
	count_code(w, 200);
	return 0;
}

static int
get_ready(struct worker *w, h2o_req_t *req, int ready_only)
{
	struct server *srv = w->srv;
	feat_writer *o = w->out;
	int up = 0;

	ft_writer_clear(o);
	feat_writer_open_object(o);
	feat_writer_key(o, "status", 6);
	if (ready_only) {
		feat_writer_string(o, "ok", 2);
		feat_writer_close_object(o);
		feat_writer_end_record(o);
		send_body(req, 200, "application/json", ft_writer_buf(o)->p,
		    ft_writer_buf(o)->len);
		count_code(w, 200);
		return 0;
	}
	for (size_t t = 0; t < w->ntiers; t++) {
		int down = 0;

		for (int k = 0; k < srv->nworkers; k++)
			down |= atomic_load_explicit(
			    &srv->w[k].tiers[t].down, memory_order_relaxed);
		up += !down;
	}
	feat_writer_string(o, up > 0 || w->ntiers == 0 ? "ready" :
	    "unavailable", up > 0 || w->ntiers == 0 ? 5 : 11);
	feat_writer_key(o, "tiers", 5);
	feat_writer_open_array(o);
	for (size_t t = 0; t < w->ntiers; t++) {
		int down = 0;
		const char *why = "";

		for (int k = 0; k < srv->nworkers; k++)
			if (atomic_load_explicit(
			    &srv->w[k].tiers[t].down, memory_order_relaxed)) {
				down = 1;
				why = k == w->id ? srv->w[k].tiers[t].why :
				    "down in another thread";
			}
		feat_writer_open_object(o);
		feat_writer_key(o, "tier", 4);
		feat_writer_string(o, w->tiers[t].name,
		    strlen(w->tiers[t].name));
		feat_writer_key(o, "up", 2);
		feat_writer_bool(o, !down);
		if (down) {
			feat_writer_key(o, "error", 5);
			feat_writer_string(o, why, strlen(why));
		}
		feat_writer_close_object(o);
	}
	feat_writer_close_array(o);
	feat_writer_close_object(o);
	feat_writer_end_record(o);
	send_body(req, up > 0 || w->ntiers == 0 ? 200 : 503,
	    "application/json", ft_writer_buf(o)->p, ft_writer_buf(o)->len);
	count_code(w, up > 0 || w->ntiers == 0 ? 200 : 503);
	return 0;
}

static uint64_t
sum_workers(struct server *srv, size_t off)
{
	uint64_t n = 0;

	for (int k = 0; k < srv->nworkers; k++)
		n += atomic_load_explicit((atomic_uint_fast64_t *)
		    ((char *)&srv->w[k] + off), memory_order_relaxed);
	return n;
}

#define SUM(field) sum_workers(srv, offsetof(struct worker, field))

/* A counter of tier t, summed over the threads. */
static uint64_t
tier_sum(struct server *srv, size_t t, size_t off)
{
	uint64_t n = 0;

	for (int k = 0; k < srv->nworkers; k++)
		n += atomic_load_explicit((atomic_uint_fast64_t *)
		    ((char *)&srv->w[k].tiers[t] + off),
		    memory_order_relaxed);
	return n;
}

#define TIER_SUM(t, field) tier_sum(srv, (t), offsetof(struct tier, field))

static const char *
tier_label(struct worker *w, int t)
{
	return t == 0 ? "l1" : t > 0 && (size_t)t <= w->ntiers ?
	    w->tiers[t - 1].name : "none";
}

static int
get_metrics(struct worker *w, h2o_req_t *req)
{
	struct server *srv = w->srv;
	struct ft_buf b = { 0 };

	ft_buf_printf(&b, "# HELP feat_serve_request_duration_seconds Time "
	    "to answer, by route and the slowest tier that answered "
	    "(none: no store was read).\n# TYPE "
	    "feat_serve_request_duration_seconds histogram\n");
	for (int r = 0; r < R_COUNT; r++)
		for (int t = 0; t <= MAX_TIERS; t++) {
			uint64_t cum = 0, cnt = 0, sum = 0;

			for (int k = 0; k < srv->nworkers; k++)
				cnt += atomic_load(&srv->w[k].m.count[r][t]);
			if (cnt == 0)
				continue;
			for (int bk = 0; bk <= NBUCKETS; bk++) {
				for (int k = 0; k < srv->nworkers; k++)
					cum += atomic_load(
					    &srv->w[k].m.hist[r][t][bk]);
				if (bk < NBUCKETS)
					ft_buf_printf(&b, "feat_serve_request_"
					    "duration_seconds_bucket{route=\""
					    "%s\",tier=\"%s\",le=\"%g\"} %"
					    PRIu64 "\n", route_names[r],
					    tier_label(w, t == MAX_TIERS ?
					    -1 : t), buckets_s[bk], cum);
				else
					ft_buf_printf(&b, "feat_serve_request_"
					    "duration_seconds_bucket{route=\""
					    "%s\",tier=\"%s\",le=\"+Inf\"} %"
					    PRIu64 "\n", route_names[r],
					    tier_label(w, t == MAX_TIERS ?
					    -1 : t), cum);
			}
			for (int k = 0; k < srv->nworkers; k++)
				sum += atomic_load(&srv->w[k].m.sum_ns[r][t]);
			/* _count is the +Inf bucket as read (see freshness). */
			ft_buf_printf(&b, "feat_serve_request_duration_"
			    "seconds_sum{route=\"%s\",tier=\"%s\"} %.9f\n"
			    "feat_serve_request_duration_seconds_count{route="
			    "\"%s\",tier=\"%s\"} %" PRIu64 "\n",
			    route_names[r], tier_label(w, t == MAX_TIERS ?
			    -1 : t), (double)sum / 1e9, route_names[r],
			    tier_label(w, t == MAX_TIERS ? -1 : t), cum);
		}
	ft_buf_printf(&b, "# HELP feat_serve_cache_hits_total Group lookups "
	    "answered, by tier.\n# TYPE feat_serve_cache_hits_total "
	    "counter\nfeat_serve_cache_hits_total{tier=\"l1\"} %" PRIu64
	    "\n", SUM(m.l1_hits));
	for (size_t t = 0; t < w->ntiers; t++) {
		uint64_t n = TIER_SUM(t, hits);

		ft_buf_printf(&b, "feat_serve_cache_hits_total{tier=\"%s\"} %"
		    PRIu64 "\n", w->tiers[t].name, n);
	}
	ft_buf_printf(&b, "# HELP feat_serve_cache_misses_total L1 lookups "
	    "that went to the tiers (expired: past --cache-ttl).\n# TYPE "
	    "feat_serve_cache_misses_total counter\n"
	    "feat_serve_cache_misses_total{tier=\"l1\",reason=\"absent\"} %"
	    PRIu64 "\nfeat_serve_cache_misses_total{tier=\"l1\",reason=\""
	    "expired\"} %" PRIu64 "\n", SUM(m.l1_misses),
	    SUM(m.l1_expired));
	ft_buf_printf(&b, "# HELP feat_serve_answers_again_total Answers "
	    "written again from an answer kept for their target.\n# TYPE "
	    "feat_serve_answers_again_total counter\n"
	    "feat_serve_answers_again_total %" PRIu64 "\n",
	    SUM(m.answers_again));
	ft_buf_printf(&b, "# HELP feat_serve_store_requests_total Lookups "
	    "sent to a tier.\n# TYPE feat_serve_store_requests_total "
	    "counter\n");
	for (size_t t = 0; t < w->ntiers; t++) {
		uint64_t n = TIER_SUM(t, requests);

		ft_buf_printf(&b, "feat_serve_store_requests_total{tier=\"%s\""
		    "} %" PRIu64 "\n", w->tiers[t].name, n);
	}
	ft_buf_printf(&b, "# HELP feat_serve_store_latency_seconds_total "
	    "Time the tiers took to answer.\n# TYPE "
	    "feat_serve_store_latency_seconds_total counter\n");
	for (size_t t = 0; t < w->ntiers; t++) {
		uint64_t n = TIER_SUM(t, latency_ns);

		ft_buf_printf(&b, "feat_serve_store_latency_seconds_total{"
		    "tier=\"%s\"} %.9f\n", w->tiers[t].name, (double)n / 1e9);
	}
	ft_buf_printf(&b, "# HELP feat_serve_store_fills_total Records found "
	    "below a tier and written to it (read-through).\n# TYPE "
	    "feat_serve_store_fills_total counter\n");
	for (size_t t = 0; t < w->ntiers; t++) {
		uint64_t n = TIER_SUM(t, fills);

		ft_buf_printf(&b, "feat_serve_store_fills_total{tier=\"%s\"} "
		    "%" PRIu64 "\n", w->tiers[t].name, n);
	}
	ft_buf_printf(&b, "# HELP feat_serve_store_errors_total Failures of "
	    "a tier (connection lost, refused, timed out).\n# TYPE "
	    "feat_serve_store_errors_total counter\n");
	for (size_t t = 0; t < w->ntiers; t++) {
		uint64_t n = TIER_SUM(t, errors);

		ft_buf_printf(&b, "feat_serve_store_errors_total{tier=\"%s\"} "
		    "%" PRIu64 "\n", w->tiers[t].name, n);
	}
	ft_buf_printf(&b, "# HELP feat_serve_tier_up 1 while every thread "
	    "reaches the tier.\n# TYPE feat_serve_tier_up gauge\n");
	for (size_t t = 0; t < w->ntiers; t++) {
		int down = 0;

		for (int k = 0; k < srv->nworkers; k++)
			down |= atomic_load(&srv->w[k].tiers[t].down);
		ft_buf_printf(&b, "feat_serve_tier_up{tier=\"%s\"} %d\n",
		    w->tiers[t].name, !down);
	}
	ft_buf_printf(&b, "# HELP feat_serve_responses_total Responses by "
	    "status code.\n# TYPE feat_serve_responses_total counter\n");
	for (int c = 100; c < CODE_COUNT; c++) {
		uint64_t n = 0;

		for (int k = 0; k < srv->nworkers; k++)
			n += atomic_load(&srv->w[k].m.codes[c]);
		if (n)
			ft_buf_printf(&b, "feat_serve_responses_total{code=\""
			    "%d\"} %" PRIu64 "\n", c, n);
	}
	ft_buf_printf(&b, "# HELP feat_serve_freshness_seconds Age of the "
	    "records answered (now - ts, per group; as_of reads not "
	    "counted).\n# TYPE feat_serve_freshness_seconds histogram\n");
	{
		uint64_t cum = 0;
		double fsum = 0;

		for (int bk = 0; bk <= NFRESH; bk++) {
			for (int k = 0; k < srv->nworkers; k++)
				cum += atomic_load(&srv->w[k].m.fresh[bk]);
			if (bk < NFRESH)
				ft_buf_printf(&b, "feat_serve_freshness_seconds"
				    "_bucket{le=\"%g\"} %" PRIu64 "\n",
				    fresh_s[bk], cum);
			else
				ft_buf_printf(&b, "feat_serve_freshness_seconds"
				    "_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
		}
		for (int k = 0; k < srv->nworkers; k++)
			fsum += atomic_load(&srv->w[k].m.fresh_sum);
		/* _count is the +Inf bucket as read: scraped under load,
		   a separate counter would disagree with it. */
		ft_buf_printf(&b, "feat_serve_freshness_seconds_sum %.3f\n"
		    "feat_serve_freshness_seconds_count %" PRIu64 "\n", fsum,
		    cum);
	}
	ft_buf_printf(&b, "# HELP feat_serve_inflight Requests being "
	    "answered.\n# TYPE feat_serve_inflight gauge\n"
	    "feat_serve_inflight %zu\n", atomic_load(&srv->inflight));
	{
		uint64_t bytes = 0, entries = 0;

		for (int k = 0; k < srv->nworkers; k++) {
			bytes += atomic_load(&srv->w[k].l1_bytes);
			entries += atomic_load(&srv->w[k].l1_entries);
		}
		ft_buf_printf(&b, "# HELP feat_serve_l1_bytes Bytes the L1 "
		    "holds (all threads).\n# TYPE feat_serve_l1_bytes gauge\n"
		    "feat_serve_l1_bytes %" PRIu64 "\n# HELP "
		    "feat_serve_l1_max_bytes --cache-size.\n# TYPE "
		    "feat_serve_l1_max_bytes gauge\nfeat_serve_l1_max_bytes "
		    "%zu\n# HELP feat_serve_l1_entries Keys the L1 holds.\n"
		    "# TYPE feat_serve_l1_entries gauge\n"
		    "feat_serve_l1_entries %" PRIu64 "\n# HELP "
		    "feat_serve_l1_evictions_total Keys the L1 let go for "
		    "room.\n# TYPE feat_serve_l1_evictions_total counter\n"
		    "feat_serve_l1_evictions_total %" PRIu64 "\n", bytes,
		    srv->o.cache_size, entries, SUM(l1_evictions));
	}
	ft_buf_printf(&b, "# HELP feat_serve_catalogs_replaced Catalogs "
	    "SIGHUP replaced that requests under way still use.\n# TYPE "
	    "feat_serve_catalogs_replaced gauge\nfeat_serve_catalogs_replaced "
	    "%zu\n", atomic_load(&srv->oldcats_held));
	ft_buf_printf(&b, "# HELP feat_serve_uptime_seconds Seconds since "
	    "start.\n# TYPE feat_serve_uptime_seconds gauge\n"
	    "feat_serve_uptime_seconds %.3f\n", (double)(mono() -
	    srv->started) / 1e9);
	send_body(req, 200, "text/plain; version=0.0.4", b.p, b.len);
	count_code(w, 200);
	ft_buf_free(&b);
	return 0;
}

/* ---- the handler: limits, the token, routing ------------------------------------ */

static int
path_is(h2o_req_t *req, const char *p)
{
	size_t plen = req->query_at != SIZE_MAX ? req->query_at :
	    req->path.len;

	return plen == strlen(p) && memcmp(req->path.base, p, plen) == 0;
}

static int
path_starts(h2o_req_t *req, const char *p)
{
	size_t plen = req->query_at != SIZE_MAX ? req->query_at :
	    req->path.len;

	return plen > strlen(p) && memcmp(req->path.base, p, strlen(p)) == 0;
}

static int
method_is(h2o_req_t *req, const char *m)
{
	return req->method.len == strlen(m) &&
	    memcmp(req->method.base, m, req->method.len) == 0;
}

/* The bearer token, compared in constant time. */
static int
authorised(struct server *srv, h2o_req_t *req)
{
	ssize_t i;
	const h2o_iovec_t *v;
	unsigned char diff = 0;

	if (srv->token == NULL)
		return 1;
	if ((i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION,
	    -1)) < 0)
		return 0;
	v = &req->headers.entries[i].value;
	if (v->len != 7 + srv->tokenlen ||
	    strncasecmp(v->base, "Bearer ", 7) != 0)
		return 0;
	for (size_t k = 0; k < srv->tokenlen; k++)
		diff |= (unsigned char)(v->base[7 + k] ^ srv->token[k]);
	return diff == 0;
}

static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker, ctx,
	    req->conn->ctx);
	struct server *srv = w->srv;
	size_t hbytes = 0;
	int64_t t0 = mono();

	(void)self;
	for (size_t i = 0; i < req->headers.size; i++)
		hbytes += req->headers.entries[i].name->len +
		    req->headers.entries[i].value.len + 4;
	if (hbytes > MAX_HEADER_BYTES) {
		send_error(w, req, R_OTHER, 431, "headers_too_large",
		    "the request's headers exceed 16 KiB");
		return 0;
	}
	if (req->path.len > MAX_URL) {
		send_error(w, req, R_OTHER, 414, "url_too_long",
		    "the URL exceeds 8 KiB");
		return 0;
	}
	if (req->entity.len > srv->o.max_body) {
		send_error(w, req, R_OTHER, 413, "body_too_large",
		    "the body exceeds --max-body");
		return 0;
	}
	if (path_is(req, "/healthz")) {
		get_ready(w, req, 1);
		observe(w, R_HEALTH, MAX_TIERS, mono() - t0);
		return 0;
	}
	if (path_is(req, "/readyz")) {
		get_ready(w, req, 0);
		observe(w, R_READY, MAX_TIERS, mono() - t0);
		return 0;
	}
	if (!authorised(srv, req)) {
		send_error(w, req, R_OTHER, 401, "unauthorized", "a bearer "
		    "token is required: Authorization: Bearer TOKEN");
		return 0;
	}
	if (atomic_load(&srv->inflight) >= srv->o.max_inflight) {
		send_error(w, req, R_OTHER, 429, "too_many_requests", "more "
		    "requests in flight than --max-inflight");
		return 0;
	}
	if (path_starts(req, "/v1/features/") && !path_is(req,
	    "/v1/features/batch")) {
		if (!method_is(req, "GET") && !method_is(req, "HEAD"))
			goto bad_method;
		return get_features(w, req);
	}
	if (path_is(req, "/v1/features/batch")) {
		if (!method_is(req, "POST"))
			goto bad_method;
		return post_batch(w, req);
	}
	if (path_is(req, "/v1/records")) {
		if (!method_is(req, "POST"))
			goto bad_method;
		return post_records(w, req);
	}
	if (path_is(req, "/v1/catalog") || path_starts(req, "/v1/catalog/")) {
		char name[300] = "";
		size_t n, plen = req->query_at != SIZE_MAX ? req->query_at :
		    req->path.len;

		if (!method_is(req, "GET") && !method_is(req, "HEAD"))
			goto bad_method;
		if (plen > 12 && pct_decode(req->path.base + 12, plen - 12,
		    name, sizeof name, &n) < 0) {
			send_error(w, req, R_CATALOG, 400, "bad_request",
			    "invalid feature name in the path");
			return 0;
		}
		get_catalog(w, req, name);
		observe(w, R_CATALOG, MAX_TIERS, mono() - t0);
		return 0;
	}
	if (path_is(req, "/metrics")) {
		get_metrics(w, req);
		observe(w, R_METRICS, MAX_TIERS, mono() - t0);
		return 0;
	}
	send_error(w, req, R_OTHER, 404, "not_found", "no such route: see "
	    "feat-serve(1)");
	return 0;
bad_method:
	send_error(w, req, R_OTHER, 405, "method_not_allowed", "this route "
	    "takes another method");
	return 0;
}

/* ---- threads ------------------------------------------------------------------------ */

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	struct worker *w = listener->data;
	h2o_socket_t *sock;

	if (err != NULL || w->stopping)
		return;
	if ((sock = h2o_evloop_socket_accept(listener)) == NULL) {
		/* Out of descriptors: the pending connection keeps the
		   listener readable, so stop listening for a while rather
		   than spin on it. */
		if ((errno == EMFILE || errno == ENFILE) &&
		    !h2o_timeout_is_linked(&w->accept_pause)) {
			if (!w->emfile_said++)
				feat_warn("thread %d: out of file descriptors: "
				    "not accepting for 100 ms (raise the "
				    "limit: ulimit -n)", w->id);
			h2o_socket_read_stop(w->listener);
			h2o_timeout_link(w->ctx.loop, &w->tick,
			    &w->accept_pause);
		}
		return;
	}
	h2o_accept(&w->accept, sock);
}

static void
on_accept_pause(h2o_timeout_entry_t *entry)
{
	struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker,
	    accept_pause, entry);

	if (!w->stopping)
		h2o_socket_read_start(w->listener, on_accept);
}

/*
 * A server tier that has owed an answer for twice --timeout (at least a
 * second) is stalled: a stopped process keeps its connection open and
 * answers nothing.  It is taken down (reconnected with backoff by the
 * tick) and what it owes goes to the tiers after it, so that requests
 * stop waiting for it.
 */
static void
stalled_tiers(struct worker *w)
{
	int64_t now = mono(), limit = 2 * (w->srv->o.timeout > 0 ?
	    w->srv->o.timeout : 50 * FEAT_NS_PER_MS);

	if (limit < FEAT_NS_PER_S)
		limit = FEAT_NS_PER_S;
	for (size_t t = 0; t < w->ntiers; t++) {
		struct tier *tr = &w->tiers[t];
		int64_t oldest = INT64_MAX;

		if (!tr->server || tr->down || tr->s == NULL)
			continue;
		for (size_t si = 0; si < w->nslots; si++)
			if (w->slots[si].job && (size_t)w->slots[si].tier ==
			    t && w->slots[si].sent < oldest)
				oldest = w->slots[si].sent;
		if (oldest != INT64_MAX && now - oldest > limit) {
			tier_lost(w, t, "no answer within twice --timeout "
			    "(stalled)");
			fail_over(w, t);
		}
	}
}

static void
on_tick(h2o_timeout_entry_t *entry)
{
	struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker, tick_entry,
	    entry);
	struct ft_l1_stats st;

	catalog_of(w);		/* an idle thread lets old catalogs go too */
	ft_l1_stats(w->l1, &st);
	atomic_store(&w->l1_bytes, st.bytes);
	atomic_store(&w->l1_entries, st.entries);
	atomic_store(&w->l1_evictions, st.evictions);
	stalled_tiers(w);
	for (size_t t = 0; t < w->ntiers; t++) {
		struct tier *tr = &w->tiers[t];
		char err[256];

		/* The records found below this tier since the last tick. */
		if (tr->fill && feat_store_batch_count(tr->fill) > 0 &&
		    !tr->down) {
			struct feat_store_written wr;

			if (tr->wr == NULL) {
				struct feat_store_opts so = { 0 };

				so.write = 1;
				so.timeout = w->srv->o.timeout;
				tr->wr = feat_store_open(tr->uri, &so, err,
				    sizeof err);
			}
			if (tr->wr && feat_store_write(tr->wr, tr->fill, &wr,
			    err, sizeof err) == 0)
				atomic_fetch_add(&tr->fills, wr.added);
			else if (tr->wr) {
				char e2[64];

				/* A fill is a cache's: dropped, said. */
				feat_warn("thread %d: tier '%s': %zu records "
				    "found below it not written: %s", w->id,
				    tr->name, feat_store_batch_count(tr->fill),
				    err);
				feat_store_close(tr->wr, e2, sizeof e2);
				tr->wr = NULL;
			}
			feat_store_batch_clear(tr->fill);
		}
		/* What feat-load added meanwhile. */
		if (!tr->server && tr->s && !tr->down &&
		    feat_store_refresh(tr->s, err, sizeof err) < 0)
			feat_warn("thread %d: tier '%s': %s", w->id, tr->name,
			    err);
		if (tr->opening && atomic_load(&tr->opened))
			tier_reopened(w, t);
		else if (tr->down && !tr->opening && !w->stopping &&
		    mono() >= tr->retry_at)
			tier_retry(w, t);
	}
	h2o_timeout_link(w->ctx.loop, &w->tick, &w->tick_entry);
}

/*
 * The catalogs SIGHUP replaced that no thread uses any more: each thread
 * has moved past them and has no job planned with an older catalog.
 */
static void
free_old_catalogs(struct server *srv)
{
	size_t kept = 0;

	for (size_t i = 0; i < srv->noldcats; i++) {
		int used = 0;

		for (int k = 0; k < srv->nworkers && !used; k++)
			used = (int)(atomic_load(&srv->w[k].pub_gen) -
			    srv->oldcats[i].retired) < 0 ||
			    atomic_load(&srv->w[k].live_old) > 0;
		if (used)
			srv->oldcats[kept++] = srv->oldcats[i];
		else
			feat_catalog_free(srv->oldcats[i].cat);
	}
	srv->noldcats = kept;
	atomic_store(&srv->oldcats_held, kept);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *srv = w->srv;
	int64_t drain_until = 0;

	while (!w->stopping || (atomic_load(&srv->inflight) > 0 &&
	    mono() < drain_until)) {
		h2o_evloop_run(w->ctx.loop, 50);
		/* What the requests of this turn asked goes in one write
		   per tier, not one per request. */
		for (size_t t = 0; t < w->ntiers; t++)
			if (w->tiers[t].unsent) {
				w->tiers[t].unsent = 0;
				tier_watch(w, t);
			}
		if (!w->stopping && *srv->o.stop) {
			w->stopping = 1;
			drain_until = mono() + 5 * FEAT_NS_PER_S;
			h2o_socket_read_stop(w->listener);
		}
	}
	return NULL;
}

static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
    char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(spec, ':'), *port;
	struct addrinfo hints = { 0 }, *res = NULL;
	size_t hl;
	int rc;

	if (colon == NULL || colon == spec || colon[1] == '\0') {
		snprintf(err, errlen, "invalid --listen '%s': use HOST:PORT",
		    spec);
		return -1;
	}
	port = colon + 1;
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof host) {
		snprintf(err, errlen, "invalid --listen: host too long");
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "invalid --listen '%s': %s", spec,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/*
 * Whether another process listens on srv->addr: SO_REUSEPORT would let
 * a second feat-serve (or anything else that set it) share the port and
 * take half of the connections, so the address is first bound alone.
 */
static int
address_free(struct server *srv, char *err, size_t errlen)
{
	int fd = socket(srv->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, rc = 0;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) != 0 || bind(fd, (struct sockaddr *)&srv->addr,
	    srv->addrlen) != 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s%s",
		    srv->o.listen, strerror(errno), errno == EADDRINUSE ?
		    " (another server listens there)" : "");
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
listen_fd(struct server *srv, char *err, size_t errlen)
{
	int fd, one = 1;

	fd = socket(srv->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) != 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT,
	    &one, sizeof one) != 0 || setsockopt(fd, IPPROTO_TCP,
	    TCP_NODELAY, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&srv->addr, srv->addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "cannot listen on '%s': %s",
		    srv->o.listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
read_token(struct server *srv, char *err, size_t errlen)
{
	FILE *f = fopen(srv->o.token_file, "re");
	char buf[1024];
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open '%s': %s",
		    srv->o.token_file, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n < 16 || strchr(buf, '\n')) {
		snprintf(err, errlen, "'%s' must hold one token of 16 bytes "
		    "or more on one line", srv->o.token_file);
		return -1;
	}
	srv->token = feat_xstrdup(buf);
	srv->tokenlen = n;
	return 0;
}

static const char *
tier_name(const char *uri)
{
	return strncmp(uri, "dir:", 4) == 0 ? "dir" :
	    strncmp(uri, "redis", 5) == 0 ? "redis" : "postgresql";
}

int
feat_serve(const struct feat_serve_opts *o, int *status, char *err,
    size_t errlen)
{
	struct server *srv = feat_xcalloc(1, sizeof *srv);
	h2o_hostconf_t *host;
	h2o_pathconf_t *pc;
	h2o_handler_t *h;
	feat_catalog *cat;
	int *fds = NULL, rc = -1;

	*status = FEAT_EXIT_USAGE;
	srv->o = *o;
	if (srv->o.listen == NULL)
		srv->o.listen = "127.0.0.1:8080";
	if (srv->o.threads <= 0)
		srv->o.threads = 1;
	if (srv->o.max_inflight == 0)
		srv->o.max_inflight = 1024;
	if (srv->o.max_body == 0)
		srv->o.max_body = (size_t)1 << 20;
	if (srv->o.timeout <= 0)
		srv->o.timeout = 50 * FEAT_NS_PER_MS;
	if (srv->o.idle_timeout <= 0)
		srv->o.idle_timeout = 10 * FEAT_NS_PER_S;
	if (o->nstores == 0 || o->nstores > MAX_TIERS) {
		snprintf(err, errlen, "give 1 to %d stores: --store URI",
		    MAX_TIERS);
		goto done;
	}
	for (size_t t = 0; t < o->nstores; t++)
		if (feat_store_check_uri(o->stores[t], err, errlen) < 0)
			goto done;
	if (parse_listen(srv->o.listen, &srv->addr, &srv->addrlen, err,
	    errlen) < 0)
		goto done;
	if (srv->o.token_file && read_token(srv, err, errlen) < 0)
		goto done;
	if ((cat = o->load_catalog(o->ctx, err, errlen)) == NULL)
		goto done;
	atomic_store(&srv->cat, cat);
	srv->started = mono();

	h2o_config_init(&srv->config);
	/* No Server header: nothing to learn of the build, and one sprintf
	   less in every answer. */
	srv->config.server_name = h2o_iovec_init(H2O_STRLIT(""));
	srv->config.max_request_entity_size = srv->o.max_body;
	srv->config.http1.req_timeout = (uint64_t)(srv->o.idle_timeout /
	    FEAT_NS_PER_MS);
	srv->config.http2.idle_timeout = (uint64_t)(srv->o.idle_timeout /
	    FEAT_NS_PER_MS);
	srv->config.http1.upgrade_to_http2 = 0;
	host = h2o_config_register_host(&srv->config, h2o_iovec_init(
	    H2O_STRLIT("default")), 65535);
	pc = h2o_config_register_path(host, "/", 0);
	h = h2o_create_handler(pc, sizeof *h);
	h->on_req = on_req;

	srv->nworkers = srv->o.threads;
	srv->w = feat_xcalloc((size_t)srv->nworkers, sizeof *srv->w);
	fds = feat_xcalloc((size_t)srv->nworkers, sizeof *fds);
	for (int k = 0; k < srv->nworkers; k++)
		fds[k] = -1;
	if (address_free(srv, err, errlen) < 0)
		goto done;
	for (int k = 0; k < srv->nworkers; k++) {
		if ((fds[k] = listen_fd(srv, err, errlen)) < 0)
			goto done;
		/* Port 0: the threads share the port the first was given. */
		if (k == 0) {
			struct sockaddr_storage got;
			socklen_t gl = sizeof got;

			if (getsockname(fds[0], (struct sockaddr *)&got,
			    &gl) == 0 && gl == srv->addrlen)
				memcpy(&srv->addr, &got, gl);
		}
	}
	*status = FEAT_EXIT_STORE;
	for (int k = 0; k < srv->nworkers; k++) {
		struct worker *w = &srv->w[k];

		w->srv = srv;
		w->id = k;
		h2o_context_init(&w->ctx, h2o_evloop_create(), &srv->config);
		w->accept.ctx = &w->ctx;
		w->accept.hosts = srv->config.hosts;
		h2o_timeout_init(w->ctx.loop, &w->deadline, (uint64_t)
		    ((srv->o.timeout + FEAT_NS_PER_MS - 1) / FEAT_NS_PER_MS));
		h2o_timeout_init(w->ctx.loop, &w->tick, 100);
		w->tick_entry.cb = on_tick;
		w->accept_pause.cb = on_accept_pause;
		h2o_timeout_link(w->ctx.loop, &w->tick, &w->tick_entry);
		w->listener = h2o_evloop_socket_create(w->ctx.loop, fds[k],
		    H2O_SOCKET_FLAG_DONT_READ);
		fds[k] = -1;
		w->listener->data = w;
		h2o_socket_read_start(w->listener, on_accept);
		w->l1 = ft_l1_new(srv->o.cache_size / (size_t)srv->nworkers,
		    srv->o.cache_ttl);
		w->aseed = ft_hash_seed();
		w->out = feat_writer_new(-1, 0);
		w->bj = ft_json_new();
		ft_json_set_any_root(w->bj, 1);
		w->rr = feat_record_reader_new(FEAT_TIME_S);
		w->lc = ft_lookup_cache_new();
		ft_names_init(&w->models);
		w->ntiers = o->nstores;
		for (size_t t = 0; t < o->nstores; t++) {
			struct tier *tr = &w->tiers[t];

			tr->uri = o->stores[t];
			snprintf(tr->name, sizeof tr->name, "%s",
			    tier_name(tr->uri));
			tr->sockfd = -1;
			tr->server = strncmp(tr->uri, "dir:", 4) != 0;
			/* A tier down is retried; one up is watched (a close
			   while idle is seen). */
			if (tier_open(w, t) == 0)
				tier_watch(w, t);
		}
	}
	for (int k = 0; k < srv->nworkers; k++)
		if (pthread_create(&srv->w[k].thread, NULL, worker_main,
		    &srv->w[k]) != 0)
			feat_die(FEAT_EXIT_STORE, "cannot start a thread");
	feat_warn("listening on %s (%d thread%s, %zu store%s)",
	    srv->o.listen, srv->nworkers, srv->nworkers == 1 ? "" : "s",
	    o->nstores, o->nstores == 1 ? "" : "s");
	while (!*o->stop) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		if (o->reload && *o->reload) {
			char e2[512];
			feat_catalog *nc;

			*o->reload = 0;
			if ((nc = o->load_catalog(o->ctx, e2, sizeof e2)) ==
			    NULL) {
				feat_warn("SIGHUP: the catalog was not "
				    "reloaded: %s", e2);
				continue;
			}
			srv->oldcats = feat_xrealloc(srv->oldcats,
			    (srv->noldcats + 1) * sizeof *srv->oldcats);
			srv->oldcats[srv->noldcats].cat = atomic_load(&srv->cat);
			atomic_store(&srv->cat, nc);
			srv->oldcats[srv->noldcats++].retired =
			    atomic_fetch_add(&srv->catgen, 1) + 1;
			feat_warn("SIGHUP: catalog reloaded (%zu features)",
			    feat_catalog_count(nc));
		}
		free_old_catalogs(srv);
	}
	for (int k = 0; k < srv->nworkers; k++)
		pthread_join(srv->w[k].thread, NULL);
	feat_warn("stopped: %zu request%s still in flight were dropped",
	    atomic_load(&srv->inflight), atomic_load(&srv->inflight) == 1 ?
	    "" : "s");
	rc = 0;
	*status = FEAT_EXIT_OK;
done:
	if (fds)
		for (int k = 0; k < srv->nworkers; k++)
			if (fds[k] >= 0)
				close(fds[k]);
	free(fds);
	if (srv->w) {
		int64_t until = mono() + 2 * FEAT_NS_PER_S;
		int busy = 0;

		/* An opener waiting on a server that hangs is given 2 s,
		   then left to the process's exit with the workers it
		   writes into. */
		for (int k = 0; k < srv->nworkers; k++)
			for (size_t t = 0; t < srv->w[k].ntiers; t++) {
				struct tier *tr = &srv->w[k].tiers[t];
				struct timespec ts = { 0, 10 * 1000 * 1000 };
				char e2[64];

				if (!tr->opening)
					continue;
				while (!atomic_load(&tr->opened) &&
				    mono() < until)
					nanosleep(&ts, NULL);
				if (!atomic_load(&tr->opened)) {
					busy = 1;
					continue;
				}
				pthread_join(tr->opener, NULL);
				tr->opening = 0;
				if (tr->reopened)
					feat_store_close(tr->reopened, e2,
					    sizeof e2);
			}
		for (int k = 0; k < srv->nworkers; k++) {
			struct worker *w = &srv->w[k];
			char e2[256];

			for (size_t t = 0; t < w->ntiers; t++) {
				if (w->tiers[t].s)
					feat_store_close(w->tiers[t].s, e2,
					    sizeof e2);
				if (w->tiers[t].wr)
					feat_store_close(w->tiers[t].wr, e2,
					    sizeof e2);
				feat_store_batch_free(w->tiers[t].fill);
			}
			/*
			 * The loop never runs again, and its context, sockets
			 * and connections are left to the process's exit: h2o
			 * 2.2 cannot dispose of a context while a client keeps
			 * a connection open (its timeouts assert they are
			 * empty), and running the loop to close them would
			 * answer requests with what is being freed here.
			 */
			ft_l1_free(w->l1);
			for (size_t a = 0; a < ANSWERS; a++)
				free(w->answers[a]);
			ft_buf_free(&w->abuf);
			if (w->out)
				feat_writer_close(w->out);
			ft_json_free(w->bj);
			free(w->slots);
			free(w->freeslots);
			feat_record_reader_free(w->rr);
			ft_lookup_cache_free(w->lc);
			ft_names_free(&w->models);
			free(w->points);
		}
		if (!busy)
			free(srv->w);
	}
	for (size_t i = 0; i < srv->noldcats; i++)
		feat_catalog_free(srv->oldcats[i].cat);
	free(srv->oldcats);
	if (atomic_load(&srv->cat))
		feat_catalog_free(atomic_load(&srv->cat));
	free(srv->token);
	free(srv);
	return rc;
}
