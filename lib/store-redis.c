/*
 * store-redis.c - redis://[:PASSWORD@]HOST:PORT[/DB], the online store:
 * the latest record of each key, in the layout of feat-stores(7) that
 * other services read directly.
 *
 *	feat:{<entity_type>:<escaped entity_id>}:<group>:v<version>
 *
 * a HASH: feature name -> the value as JSON text, _ts and _created (epoch
 * ms), _window (JSON).  A record is applied by a script (SCRIPT LOAD once,
 * EVALSHA, loaded again on NOSCRIPT) only when its ts is newer, or equal
 * with a newer created: it replaces the whole hash and sets PEXPIRE.  A
 * tombstone deletes the key when it is not older.  A batch is pipelined.
 * hiredis 0.14 has no timeouts of its own on a blocking context past
 * connecting: feat sets the socket's send and receive timeouts
 * (redisSetTimeout), so that a server that stops answering fails the
 * batch instead of hanging the run.
 *
 * Copyright (C) 2026 the feat authors.  GPL-3.0-or-later.
 */
#include "config.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "store-private.h"

#define NO_CREATED	"-9007199254740991"	/* _created of a record
						   without created */
#define PIPELINE	1024
#define HGETALL		"*2\r\n$7\r\nHGETALL\r\n$"	/* then the key */
#define NB_READ		65536	/* the lookups' reads (redis_poll) */
#define NB_PIECE	4096	/* fed to hiredis's reader at a time */
#define NB_KEEP		(1024 * 1024)	/* buffers kept when emptied */

static const char script[] =
"local cur = redis.call('HMGET', KEYS[1], '_ts', '_created')\n"
"local ts, cr = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
"if cur[1] then\n"
"  local cts, ccr = tonumber(cur[1]), tonumber(cur[2])\n"
"  if ARGV[4] == '1' then\n"
"    if ts < cts or (ts == cts and cr < ccr) then return 0 end\n"
"    redis.call('DEL', KEYS[1])\n"
"    return 1\n"
"  end\n"
"  if ts < cts or (ts == cts and cr <= ccr) then return 0 end\n"
"elseif ARGV[4] == '1' then\n"
"  return 0\n"
"end\n"
"redis.call('DEL', KEYS[1])\n"
"redis.call('HSET', KEYS[1], '_ts', ARGV[1], '_created', ARGV[2],"
" unpack(ARGV, 5))\n"
"redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
"return 1\n";

struct rstore {
	redisContext *c;
	redisContext *nb;		/* the non-blocking lookups' */
	struct ft_askq asked;
	char host[256], pass[512];
	long port, db;
	char *uri;			/* without the password */
	char sha[41];
	int64_t ttl;			/* ns */
	struct ft_json *json;
	feat_writer *w;
	struct ft_buf args;		/* a batch's arguments */
	struct ft_buf line;
	struct ft_buf key;		/* a lookup's */
	struct ft_buf cmd;		/* a lookup's command, RESP */
	char *rbuf;			/* nb's reads (redis_poll) */
	unsigned gen;			/* nb's connections lost so far */
	struct ft_hfield *fv;		/* a hash's fields (hash_fields) */
	size_t fvcap;
	struct arena {			/* nb's replies (arena_fns) */
		struct arena_block {
			struct arena_block *next;
			size_t used, cap;
			max_align_t mem[];
		} *head, *cur;
	} arena;
};

static int
r_fail(struct rstore *r, const char *what, const char *detail, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "store '%s': %s: %s", r->uri, what, detail ?
	    detail : r->c && r->c->err ? r->c->errstr : "no answer");
	return -1;
}

/* A command's reply; NULL with err (the reply freed). */
static redisReply *
command(struct rstore *r, const char *what, char *err, size_t errlen,
    int argc, const char **argv, const size_t *lens)
{
	redisReply *rep = redisCommandArgv(r->c, argc, argv, lens);

	if (rep == NULL) {
		r_fail(r, what, NULL, err, errlen);
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		r_fail(r, what, rep->str, err, errlen);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

static int
load_script(struct rstore *r, char *err, size_t errlen)
{
	const char *argv[3] = { "SCRIPT", "LOAD", script };
	size_t lens[3] = { 6, 4, sizeof script - 1 };
	redisReply *rep = command(r, "cannot load the script", err, errlen, 3,
	    argv, lens);

	if (rep == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_STRING || rep->len != 40) {
		freeReplyObject(rep);
		return r_fail(r, "cannot load the script", "odd reply", err,
		    errlen);
	}
	memcpy(r->sha, rep->str, 40);
	r->sha[40] = '\0';
	freeReplyObject(rep);
	return 0;
}

/* ---- keys ----------------------------------------------------------------------- */

/* Appends id escaped: %, {, }, bytes below 0x20 and 0x7F as %XX. */
static void
escape_id(struct ft_buf *b, const char *id, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];

		if (c == '%' || c == '{' || c == '}' || c < 0x20 ||
		    c == 0x7F) {
			ft_buf_addc(b, '%');
			ft_buf_addc(b, hex[c >> 4]);
			ft_buf_addc(b, hex[c & 15]);
		} else
			ft_buf_addc(b, (char)c);
	}
}

static void
key_of(struct ft_buf *b, const char *etype, const char *eid, size_t eidlen,
    const char *group, long version)
{
	char v[24], *d = v + sizeof v;
	unsigned long n = version > 0 ? (unsigned long)version : 1;

	do {
		*--d = (char)('0' + n % 10);
		n /= 10;
	} while (n);

	b->len = 0;
	ft_buf_add(b, "feat:{", 6);
	ft_buf_add(b, etype, strlen(etype));
	ft_buf_addc(b, ':');
	escape_id(b, eid, eidlen);
	ft_buf_add(b, "}:", 2);
	ft_buf_add(b, group, strlen(group));
	ft_buf_add(b, ":v", 2);
	ft_buf_add(b, d, (size_t)(v + sizeof v - d));
}

/* ---- replies --------------------------------------------------------------------- */

/*
 * The lookups' replies are built in an arena of their connection, not by
 * hiredis's default functions (a malloc for each element and each string:
 * about 50 for a record of a dozen features).  hiredis builds a reply
 * only once the one before it has been handed over, so the arena is
 * emptied (arena_reset) when a reply has been answered.
 */
#define ARENA_BLOCK		65536
/* A reply of more elements (a hash of 8M fields) fails its connection
   before any is built, as one of 2^31 would have hiredis try 16 GB. */
#define ARENA_MAX_ELEMENTS	16777216

static void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->cur;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		if ((b = malloc(sizeof *b + cap)) == NULL)
			return NULL;	/* hiredis: out of memory */
		b->used = 0;
		b->cap = cap;
		b->next = NULL;
		if (a->cur)
			a->cur->next = b;
		else
			a->head = b;
		a->cur = b;
	}
	b->used += n;
	return (char *)b->mem + b->used - n;
}

/* Empty again, keeping the first block. */
static void
arena_reset(struct arena *a)
{
	struct arena_block *b, *next;

	if (a->head == NULL)
		return;
	for (b = a->head->next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head->next = NULL;
	a->head->used = 0;
	a->cur = a->head;
}

static void
arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = a->cur = NULL;
}

static redisReply *
arena_reply(const redisReadTask *task, int type)
{
	redisReply *rep = arena_alloc(task->privdata, sizeof *rep);

	if (rep == NULL)
		return NULL;
	memset(rep, 0, sizeof *rep);
	rep->type = type;
	if (task->parent) {
		redisReply *parent = task->parent->obj;

		if (parent->type != REDIS_REPLY_ARRAY ||
		    (size_t)task->idx >= parent->elements)
			return NULL;
		parent->element[task->idx] = rep;
	}
	return rep;
}

static void *
arena_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply *rep;
	char *buf;

	if (len == SIZE_MAX || (buf = arena_alloc(task->privdata,
	    len + 1)) == NULL || (rep = arena_reply(task, task->type)) == NULL)
		return NULL;
	memcpy(buf, str, len);
	buf[len] = '\0';
	rep->str = buf;
	rep->len = len;
	return rep;
}

static void *
arena_array(const redisReadTask *task, int elements)
{
	redisReply *rep;

	if (elements < 0 || elements > ARENA_MAX_ELEMENTS ||
	    (rep = arena_reply(task, REDIS_REPLY_ARRAY)) == NULL)
		return NULL;
	if (elements > 0 && (rep->element = arena_alloc(task->privdata,
	    (size_t)elements * sizeof *rep->element)) == NULL)
		return NULL;
	if (elements > 0)
		memset(rep->element, 0, (size_t)elements *
		    sizeof *rep->element);
	rep->elements = (size_t)elements;
	return rep;
}

static void *
arena_integer(const redisReadTask *task, long long v)
{
	redisReply *rep = arena_reply(task, REDIS_REPLY_INTEGER);

	if (rep)
		rep->integer = v;
	return rep;
}

static void *
arena_nil(const redisReadTask *task)
{
	return arena_reply(task, REDIS_REPLY_NIL);
}

static void
arena_none(void *obj)
{
	(void)obj;		/* the arena's: emptied by arena_reset */
}

static redisReplyObjectFunctions arena_fns = {
	arena_string, arena_array, arena_integer, arena_nil, arena_none
};

/* ---- open, close ---------------------------------------------------------------- */

static void *
redis_open(const char *rest, const struct feat_store_opts *o, char *err,
    size_t errlen)
{
	struct rstore *r = feat_xcalloc(1, sizeof *r);
	char host[256] = "", pass[512] = "";
	const char *p = rest, *at = strrchr(rest, '@'), *colon, *slash;
	long port = 6379, db = 0;
	int64_t timeout = o->timeout > 0 ? o->timeout : 5 * FEAT_NS_PER_S;
	struct timeval tv;
	char *end;

	r->ttl = o->ttl > 0 ? o->ttl : 24 * 3600 * FEAT_NS_PER_S;
	if (at) {
		const char *pw = p;

		if (*pw == ':')
			pw++;
		else if (memchr(pw, ':', (size_t)(at - pw)))
			pw = memchr(pw, ':', (size_t)(at - pw)) + 1;
		if ((size_t)(at - pw) >= sizeof pass)
			goto bad;
		memcpy(pass, pw, (size_t)(at - pw));
		pass[at - pw] = '\0';
		p = at + 1;
	}
	slash = strchr(p, '/');
	colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
	if (colon) {
		if ((size_t)(colon - p) >= sizeof host)
			goto bad;
		memcpy(host, p, (size_t)(colon - p));
		host[colon - p] = '\0';
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || (*end && *end != '/') || port < 1 ||
		    port > 65535)
			goto bad;
	} else {
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n >= sizeof host)
			goto bad;
		memcpy(host, p, n);
		host[n] = '\0';
	}
	if (slash && slash[1]) {
		db = strtol(slash + 1, &end, 10);
		if (*end || db < 0 || db > 100000)
			goto bad;
	}
	if (host[0] == '\0')
		goto bad;
	snprintf(r->host, sizeof r->host, "%s", host);
	snprintf(r->pass, sizeof r->pass, "%s", pass);
	r->port = port;
	r->db = db;
	r->uri = feat_xmalloc(strlen(host) + 64);
	snprintf(r->uri, strlen(host) + 64, "redis://%s:%ld/%ld", host, port,
	    db);
	tv.tv_sec = (time_t)(timeout / FEAT_NS_PER_S);
	tv.tv_usec = (suseconds_t)(timeout % FEAT_NS_PER_S / 1000);
	r->c = redisConnectWithTimeout(host, (int)port, tv);
	if (r->c == NULL || r->c->err) {
		r_fail(r, "cannot connect", NULL, err, errlen);
		goto fail;
	}
	redisSetTimeout(r->c, tv);
	if (pass[0]) {
		const char *argv[2] = { "AUTH", pass };
		size_t lens[2] = { 4, strlen(pass) };
		redisReply *rep = command(r, "cannot authenticate", err,
		    errlen, 2, argv, lens);

		if (rep == NULL)
			goto fail;
		freeReplyObject(rep);
	}
	if (db) {
		char dbs[32];
		const char *argv[2] = { "SELECT", dbs };
		size_t lens[2] = { 6, 0 };
		redisReply *rep;

		snprintf(dbs, sizeof dbs, "%ld", db);
		lens[1] = strlen(dbs);
		if ((rep = command(r, "cannot select the database", err,
		    errlen, 2, argv, lens)) == NULL)
			goto fail;
		freeReplyObject(rep);
	}
	if (load_script(r, err, errlen) < 0)
		goto fail;
	r->json = ft_json_new();
	r->w = feat_writer_new(-1, 0);
	return r;
bad:
	{
		char *shown = ft_store_redact(rest);

		snprintf(err, errlen, "invalid store 'redis://%s': use "
		    "redis://[:PASSWORD@]HOST:PORT[/DB]", shown);
		free(shown);
	}
fail:
	if (r->c)
		redisFree(r->c);
	free(r->uri);
	free(r);
	return NULL;
}

static int
redis_close(void *be, char *err, size_t errlen)
{
	struct rstore *r = be;

	(void)err;
	(void)errlen;
	redisFree(r->c);
	if (r->nb)
		redisFree(r->nb);
	ft_askq_free(&r->asked);
	if (r->json)
		ft_json_free(r->json);
	if (r->w)
		feat_writer_close(r->w);
	ft_buf_free(&r->args);
	ft_buf_free(&r->line);
	ft_buf_free(&r->key);
	ft_buf_free(&r->cmd);
	free(r->rbuf);
	free(r->fv);
	arena_free(&r->arena);
	free(r->uri);
	free(r);
	return 0;
}

/* ---- writing --------------------------------------------------------------------- */

/*
 * The EVALSHA arguments of record i of b, as offsets into r->args:
 * argv[0..argc).  At most 8 + 2 * features arguments.
 */
struct evalargs {
	size_t *off, *len;
	int argc, cap;
};

static void
arg_add(struct rstore *r, struct evalargs *a, const char *s, size_t n)
{
	if (a->argc == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->off = feat_xrealloc(a->off, (size_t)a->cap * sizeof *a->off);
		a->len = feat_xrealloc(a->len, (size_t)a->cap * sizeof *a->len);
	}
	a->off[a->argc] = r->args.len;
	a->len[a->argc++] = n;
	ft_buf_add(&r->args, s, n);
}

/* ns floored to ms, with nothing that leaves int64. */
static int64_t
ms_of(int64_t ns)
{
	int64_t q = ns / FEAT_NS_PER_MS;

	return ns % FEAT_NS_PER_MS < 0 ? q - 1 : q;
}

/* The end of the JSON value at p (p < end): the byte after it, or NULL. */
static const char *
value_end(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '"':
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			if (depth == 0)
				return p + 1;
			break;
		case '[': case '{':
			depth++;
			break;
		case ']': case '}':
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
			if (depth == 0)
				return p;
			break;
		}
	}
	return depth == 0 ? p : NULL;
}

/*
 * The fields straight from the canonical line's text (the spans the batch
 * kept): each feature's name and value text, and _window.  -1 when a name
 * has an escape or the text is not as expected: parse it then.
 */
static int
raw_fields(struct rstore *r, const feat_store_batch *b,
    const struct ft_batch_rec *rec, struct evalargs *a)
{
	const char *line = b->text.p + rec->line;
	const char *p = line + rec->sp.features, *end = p +
	    rec->sp.features_len;

	if (rec->sp.features_len < 2 || *p != '{' || end[-1] != '}')
		return -1;
	p++;
	end--;
	while (p < end) {
		const char *k = p + 1, *ke, *ve;

		if (*p != '"' || (ke = memchr(k, '"', (size_t)(end - k))) ==
		    NULL || memchr(k, '\\', (size_t)(ke - k)) != NULL ||
		    ke + 1 >= end || ke[1] != ':' ||
		    (ve = value_end(ke + 2, end)) == NULL || ve == ke + 2)
			return -1;
		arg_add(r, a, k, (size_t)(ke - k));
		arg_add(r, a, ke + 2, (size_t)(ve - ke - 2));
		p = ve;
		if (p < end && *p == ',')
			p++;
	}
	if (rec->sp.window_len > 0) {
		arg_add(r, a, "_window", 7);
		arg_add(r, a, line + rec->sp.window, rec->sp.window_len);
	}
	return 0;
}

static int
record_args(struct rstore *r, const feat_store_batch *b, size_t i,
    struct evalargs *a, char *err, size_t errlen)
{
	const struct ft_batch_rec *rec = &b->recs[i];
	const char *k = b->text.p + rec->key, *eid = k + strlen(k) + 1;
	const char *grp = eid + strlen(eid) + 1;
	const struct ft_jval *root, *v, *m;
	struct ft_buf key = { 0 };
	char num[32], msg[200];

	r->args.len = 0;
	a->argc = 0;
	key_of(&key, k, eid, strlen(eid), grp, rec->version);
	arg_add(r, a, "EVALSHA", 7);
	arg_add(r, a, r->sha, 40);
	arg_add(r, a, "1", 1);
	arg_add(r, a, key.p, key.len);
	ft_buf_free(&key);
	snprintf(num, sizeof num, "%" PRId64, ms_of(rec->ts));
	arg_add(r, a, num, strlen(num));
	if (rec->created == INT64_MIN)
		arg_add(r, a, NO_CREATED, sizeof NO_CREATED - 1);
	else {
		snprintf(num, sizeof num, "%" PRId64, ms_of(rec->created));
		arg_add(r, a, num, strlen(num));
	}
	snprintf(num, sizeof num, "%" PRId64, ms_of(r->ttl));
	arg_add(r, a, num, strlen(num));
	arg_add(r, a, rec->tombstone ? "1" : "0", 1);
	if (rec->tombstone)
		return 0;
	if (raw_fields(r, b, rec, a) == 0)
		return 0;
	a->argc = 8;		/* the slow way: parse the line */
	if (ft_json_parse(r->json, b->text.p + rec->line, rec->linelen - 1,
	    msg, sizeof msg) != FT_JOK) {
		snprintf(err, errlen, "store '%s': a batch record cannot be "
		    "read: %s", r->uri, msg);
		return -1;
	}
	root = ft_json_node(r->json, 1);
	if ((v = ft_json_get(r->json, root, "features", 8)) != NULL &&
	    v->type == FT_JOBJECT)
		for (m = ft_json_node(r->json, v->child); m;
		    m = ft_json_node(r->json, m->next)) {
			struct ft_buf *t;

			arg_add(r, a, m->key, m->keylen);
			ft_writer_clear(r->w);
			ft_json_write(r->w, r->json, m);
			t = ft_writer_buf(r->w);
			arg_add(r, a, t->p, t->len);
		}
	if ((v = ft_json_get(r->json, root, "window", 6)) != NULL &&
	    v->type == FT_JOBJECT) {
		struct ft_buf *t;

		arg_add(r, a, "_window", 7);
		ft_writer_clear(r->w);
		ft_json_write(r->w, r->json, v);
		t = ft_writer_buf(r->w);
		arg_add(r, a, t->p, t->len);
	}
	return 0;
}

static int
append_record(struct rstore *r, const struct evalargs *a)
{
	const char *argv[a->argc > 0 ? a->argc : 1];

	for (int j = 0; j < a->argc; j++)
		argv[j] = r->args.p + a->off[j];
	return redisAppendCommandArgv(r->c, a->argc, argv, a->len);
}

/* Reads the reply of a record into out: 0, 1 for NOSCRIPT, -1 with err. */
static int
read_reply(struct rstore *r, struct feat_store_written *out, char *err,
    size_t errlen)
{
	redisReply *rep;

	if (redisGetReply(r->c, (void **)&rep) != REDIS_OK || rep == NULL)
		return r_fail(r, "cannot write a batch", NULL, err, errlen);
	if (rep->type == REDIS_REPLY_ERROR) {
		int noscript = strncmp(rep->str, "NOSCRIPT", 8) == 0;

		if (!noscript)
			r_fail(r, "cannot write a batch", rep->str, err,
			    errlen);
		freeReplyObject(rep);
		return noscript ? 1 : -1;
	}
	if (rep->type == REDIS_REPLY_INTEGER && rep->integer)
		out->added++;
	else
		out->duplicates++;
	freeReplyObject(rep);
	return 0;
}

/*
 * Pipelined: up to two chunks of PIPELINE commands in flight, the next
 * written while the replies of the last are read, so that the server
 * never waits for the client.  Records refused with NOSCRIPT (a server
 * that restarted) are sent again once the script is loaded: newer wins
 * whatever the order.
 */
static int
redis_write(void *be, const feat_store_batch *b, struct feat_store_written *out,
    char *err, size_t errlen)
{
	struct rstore *r = be;
	struct evalargs a = { 0 };
	size_t sent = 0, got = 0, *again = NULL, nagain = 0;
	int rc = FEAT_STORE_ERROR;

	err[0] = '\0';
	while (got < b->n) {
		size_t until;

		while (sent < b->n && sent - got < 2 * PIPELINE) {
			if (record_args(r, b, sent, &a, err, errlen) < 0)
				goto done;
			if (append_record(r, &a) != REDIS_OK) {
				r_fail(r, "cannot send a batch", NULL, err,
				    errlen);
				goto done;
			}
			sent++;
		}
		until = got + PIPELINE < sent ? got + PIPELINE : sent;
		for (; got < until; got++) {
			int k = read_reply(r, out, err, errlen);

			if (k < 0)
				goto done;
			if (k == 1) {
				if (again == NULL)
					again = feat_xcalloc(b->n,
					    sizeof *again);
				again[nagain++] = got;
			}
		}
	}
	if (nagain > 0) {
		if (load_script(r, err, errlen) < 0)
			goto done;
		for (size_t j = 0; j < nagain; j++) {
			if (record_args(r, b, again[j], &a, err, errlen) < 0 ||
			    append_record(r, &a) != REDIS_OK ||
			    read_reply(r, out, err, errlen) != 0) {
				if (err[0] == '\0')
					r_fail(r, "cannot write a batch",
					    "the script is not loaded", err,
					    errlen);
				goto done;
			}
		}
	}
	rc = 0;
done:
	free(again);
	free(a.off);
	free(a.len);
	return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

/* Epoch ms as the script stores them (digits, a sign) to ns, from 1677
   to 2262: 0, else -1 (a hash written by another hand may hold any
   text). */
static int
epoch_ns(const char *s, int64_t *ns)
{
	char *end;
	long long ms;

	errno = 0;
	ms = strtoll(s, &end, 10);
	if (end == s || *end || errno || ms > INT64_MAX / FEAT_NS_PER_MS ||
	    ms < INT64_MIN / FEAT_NS_PER_MS)
		return -1;
	*ns = (int64_t)ms * FEAT_NS_PER_MS;
	return 0;
}

/* A HGETALL reply of key (etype, eid, group, version) as a stored line in
   r->line; 0 when the hash is empty or not ours. */
static int
hash_line(struct rstore *r, const redisReply *rep, const char *etype,
    const char *eid, size_t eidlen, const char *group, long version)
{
	struct ft_buf *b = &r->line;
	const char *ts = NULL, *created = NULL, *window = NULL;
	size_t wlen = 0;
	int64_t ns;
	char t[64];
	int nf = 0;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0)
		return 0;
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const redisReply *f = rep->element[i], *v = rep->element[i + 1];

		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			return 0;
		if (strcmp(f->str, "_ts") == 0)
			ts = v->str;
		else if (strcmp(f->str, "_created") == 0)
			created = v->str;
		else if (strcmp(f->str, "_window") == 0) {
			window = v->str;
			wlen = v->len;
		}
	}
	if (ts == NULL)
		return 0;
	b->len = 0;
	ft_buf_add(b, "{\"entity_type\":", 15);
	ft_json_quote_raw(b, etype, strlen(etype));
	ft_buf_add(b, ",\"entity_id\":", 13);
	ft_json_quote_raw(b, eid, eidlen);
	ft_buf_add(b, ",\"group\":", 9);
	ft_json_quote_raw(b, group, strlen(group));
	ft_buf_printf(b, ",\"version\":%ld", version > 0 ? version : 1);
	if (epoch_ns(ts, &ns) < 0)
		return 0;
	feat_time_format(ns, t);
	ft_buf_printf(b, ",\"ts\":\"%s\"", t);
	if (created && strcmp(created, NO_CREATED) != 0) {
		if (epoch_ns(created, &ns) < 0)
			return 0;
		feat_time_format(ns, t);
		ft_buf_printf(b, ",\"created\":\"%s\"", t);
	}
	ft_buf_add(b, ",\"features\":{", 13);
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const redisReply *f = rep->element[i], *v = rep->element[i + 1];

		if (f->str[0] == '_')
			continue;
		if (nf++)
			ft_buf_addc(b, ',');
		ft_json_quote_raw(b, f->str, f->len);
		ft_buf_addc(b, ':');
		ft_buf_add(b, v->str, v->len);
	}
	ft_buf_addc(b, '}');
	if (window) {
		ft_buf_add(b, ",\"window\":", 10);
		ft_buf_add(b, window, wlen);
	}
	ft_buf_addc(b, '}');
	return 1;
}

/*
 * A HGETALL reply as fields (r->fv), the record hash_line would make of
 * it without making the line: 1, or 0 when hash_line is to say (the hash
 * is empty, not ours, or its times are not plain).
 */
static int
hash_fields(struct rstore *r, const redisReply *rep, long version,
    struct ft_fields *fs)
{
	const char *ts = NULL, *created = NULL;
	size_t n = 0;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0)
		return 0;
	if (r->fvcap < rep->elements / 2) {
		r->fvcap = rep->elements / 2;
		r->fv = feat_xrealloc(r->fv, r->fvcap * sizeof *r->fv);
	}
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const redisReply *f = rep->element[i], *v = rep->element[i + 1];

		if (f->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			return 0;
		if (f->str[0] == '_') {
			if (strcmp(f->str, "_ts") == 0)
				ts = v->str;
			else if (strcmp(f->str, "_created") == 0)
				created = v->str;
			continue;
		}
		r->fv[n].name = f->str;
		r->fv[n].namelen = f->len;
		r->fv[n].val = v->str;
		r->fv[n].vallen = v->len;
		n++;
	}
	/* Times before 1970 are left to the line. */
	if (ts == NULL || epoch_ns(ts, &fs->ts) < 0 || fs->ts < 0)
		return 0;
	fs->created = INT64_MIN;
	fs->has_created = 0;
	if (created && strcmp(created, NO_CREATED) != 0) {
		if (epoch_ns(created, &fs->created) < 0 || fs->created < 0)
			return 0;
		fs->has_created = 1;
	}
	fs->version = version > 0 ? version : 1;
	fs->n = n;
	fs->f = r->fv;
	return 1;
}

static redisReply *
hgetall(struct rstore *r, const char *key, size_t keylen, char *err,
    size_t errlen)
{
	const char *argv[2] = { "HGETALL", key };
	size_t lens[2] = { 7, keylen };

	return command(r, "cannot read", err, errlen, 2, argv, lens);
}

static int
redis_latest(void *be, const struct feat_store_key *k, feat_store_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct rstore *r = be;
	struct ft_buf key = { 0 };
	redisReply *rep;
	int found;

	key_of(&key, k->entity_type, k->entity_id, k->entity_id_len, k->group,
	    k->version);
	rep = hgetall(r, key.p, key.len, err, errlen);
	ft_buf_free(&key);
	if (rep == NULL)
		return -1;
	found = hash_line(r, rep, k->entity_type, k->entity_id,
	    k->entity_id_len, k->group, k->version);
	freeReplyObject(rep);
	if (found)
		fn(ctx, r->line.p, r->line.len);
	return found;
}

static int
no_history(void *be, const struct feat_store_key *k, int64_t t, int nfc,
    feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	(void)be, (void)k, (void)t, (void)nfc, (void)fn, (void)ctx;
	snprintf(err, errlen, "a Redis store keeps no history");
	return -1;
}

static long
no_history_list(void *be, const struct feat_store_key *k, feat_store_fn fn,
    void *ctx, char *err, size_t errlen)
{
	(void)be, (void)k, (void)fn, (void)ctx;
	snprintf(err, errlen, "a Redis store keeps no history");
	return -1;
}

/* Appends s with the glob characters of SCAN MATCH escaped. */
static void
glob_escape(struct ft_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("*?[]\\", s[i]))
			ft_buf_addc(b, '\\');
		ft_buf_addc(b, s[i]);
	}
}

/* Decodes an escaped id (%XX) into out: its length. */
static size_t
unescape_id(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n) {
			unsigned v;
			char hx[3] = { s[i + 1], s[i + 2], 0 };

			if (sscanf(hx, "%2X", &v) == 1) {
				out[o++] = (char)v;
				i += 2;
				continue;
			}
		}
		out[o++] = s[i];
	}
	return o;
}

struct walk {
	feat_store_fn fn;
	void *ctx;
	long n;
	int stop;
};

/*
 * SCAN MATCH pattern; for each key of ours, HGETALL and fn with its line.
 * How many, or -1 with err.
 */
static long
walk_keys(struct rstore *r, const char *pattern, feat_store_fn fn,
    void *ctx, char *err, size_t errlen)
{
	char cursor[32] = "0";
	long n = 0;

	do {
		const char *argv[6] = { "SCAN", cursor, "MATCH", pattern,
		    "COUNT", "1000" };
		size_t lens[6] = { 4, strlen(cursor), 5, strlen(pattern), 5,
		    4 };
		redisReply *rep = command(r, "cannot scan", err, errlen, 6,
		    argv, lens);
		const redisReply *keys;

		if (rep == NULL)
			return -1;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
			freeReplyObject(rep);
			return r_fail(r, "cannot scan", "odd reply", err,
			    errlen);
		}
		snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
		keys = rep->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			const char *k = keys->element[i]->str, *e, *g, *vp;
			char etype[256], eid[FEAT_ENTITY_ID_MAX + 1],
			    group[256];
			size_t klen = keys->element[i]->len, eidlen;
			redisReply *h;
			long version;

			/* feat:{etype:eid}:group:vN */
			if (klen < 8 || strncmp(k, "feat:{", 6) != 0 ||
			    (e = memchr(k + 6, ':', klen - 6)) == NULL ||
			    (g = memchr(e, '}', klen - (size_t)(e - k))) ==
			    NULL || g[1] != ':' || (vp = strrchr(g, ':')) ==
			    NULL || vp[1] != 'v' ||
			    (size_t)(e - k - 6) >= sizeof etype ||
			    (size_t)(g - e - 1) > 3 * FEAT_ENTITY_ID_MAX ||
			    (size_t)(vp - g - 2) >= sizeof group)
				continue;
			memcpy(etype, k + 6, (size_t)(e - k - 6));
			etype[e - k - 6] = '\0';
			{
				char raw[3 * FEAT_ENTITY_ID_MAX + 1];

				memcpy(raw, e + 1, (size_t)(g - e - 1));
				eidlen = unescape_id(raw, (size_t)(g - e - 1),
				    eid);
				if (eidlen > FEAT_ENTITY_ID_MAX)
					continue;
			}
			memcpy(group, g + 2, (size_t)(vp - g - 2));
			group[vp - g - 2] = '\0';
			version = strtol(vp + 2, NULL, 10);
			if ((h = hgetall(r, k, klen, err, errlen)) == NULL) {
				freeReplyObject(rep);
				return -1;
			}
			if (hash_line(r, h, etype, eid, eidlen, group,
			    version)) {
				n++;
				if (fn && fn(ctx, r->line.p, r->line.len)) {
					freeReplyObject(h);
					freeReplyObject(rep);
					err[0] = '\0';
					return -1;
				}
			}
			freeReplyObject(h);
		}
		freeReplyObject(rep);
	} while (strcmp(cursor, "0") != 0);
	return n;
}

static long
redis_entity(void *be, const char *etype, const char *eid, size_t eidlen,
    feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	struct rstore *r = be;
	struct ft_buf esc = { 0 }, pat = { 0 };
	long n;

	ft_buf_printf(&esc, "%s:", etype);
	escape_id(&esc, eid, eidlen);
	ft_buf_add(&pat, "feat:{", 6);
	glob_escape(&pat, esc.p, esc.len);
	ft_buf_add(&pat, "}:*", 4);		/* with its NUL */
	n = walk_keys(r, pat.p, fn, ctx, err, errlen);
	ft_buf_free(&esc);
	ft_buf_free(&pat);
	return n;
}

static long
redis_scan(void *be, feat_store_fn fn, void *ctx, char *err, size_t errlen)
{
	return walk_keys(be, "feat:{*", fn, ctx, err, errlen);
}

static int
redis_refresh(void *be, char *err, size_t errlen)
{
	(void)be;
	(void)err;
	(void)errlen;
	return 0;
}

static int
redis_stats(void *be, struct feat_store_stats *st, char *err, size_t errlen)
{
	long n = walk_keys(be, "feat:{*", NULL, NULL, err, errlen);

	if (n < 0)
		return -1;
	memset(st, 0, sizeof *st);
	st->records = st->keys = st->live_keys = (uint64_t)n;
	st->oldest_ts = st->newest_ts = INT64_MIN;
	return 0;
}

static int
redis_compact(void *be, int64_t retention, uint64_t *dropped, char *err,
    size_t errlen)
{
	(void)be, (void)retention, (void)err, (void)errlen;
	*dropped = 0;		/* keys expire by their TTL */
	return 0;
}

/* ---- lookups that never block ---------------------------------------------------- */

static int
nb_open(struct rstore *r, char *err, size_t errlen)
{
	struct feat_store_key none = { "", "", 0, "", 1 };

	if (r->nb != NULL)
		return 0;
	r->nb = redisConnectNonBlock(r->host, (int)r->port);
	if (r->nb == NULL || r->nb->err) {
		snprintf(err, errlen, "store '%s': cannot connect: %s", r->uri,
		    r->nb ? r->nb->errstr : "out of memory");
		if (r->nb)
			redisFree(r->nb);
		r->nb = NULL;
		return -1;
	}
	arena_reset(&r->arena);
	r->nb->reader->fn = &arena_fns;
	r->nb->reader->privdata = &r->arena;
	/* Its read buffer is kept between answers (hiredis lets one of
	   more than 16 KiB go each time it empties, then grows it again). */
	r->nb->reader->maxbuf = NB_KEEP;
	/* Sent first, answered first: not the caller's. */
	if (r->pass[0]) {
		const char *argv[2] = { "AUTH", r->pass };
		size_t lens[2] = { 4, strlen(r->pass) };

		redisAppendCommandArgv(r->nb, 2, argv, lens);
		ft_askq_push(&r->asked, &none, 0, 1);
	}
	if (r->db) {
		char dbs[32];
		const char *argv[2] = { "SELECT", dbs };
		size_t lens[2] = { 6, 0 };

		snprintf(dbs, sizeof dbs, "%ld", r->db);
		lens[1] = strlen(dbs);
		redisAppendCommandArgv(r->nb, 2, argv, lens);
		ft_askq_push(&r->asked, &none, 0, 1);
	}
	return 0;
}

/* The connection is lost, err said: what was asked is not answered. */
static int
nb_fail(struct rstore *r)
{
	if (r->nb)
		redisFree(r->nb);
	r->nb = NULL;
	r->gen++;		/* what is read is no longer for what is asked */
	while (ft_askq_front(&r->asked))
		ft_askq_pop(&r->asked);
	return -1;
}

/* The connection is lost: what was asked is not answered. */
static int
nb_lost(struct rstore *r, char *err, size_t errlen)
{
	snprintf(err, errlen, "store '%s': %s", r->uri, r->nb && r->nb->err ?
	    r->nb->errstr : "the connection was lost");
	return nb_fail(r);
}

static int
redis_send_latest(void *be, const struct feat_store_key *k, uint64_t tag,
    char *err, size_t errlen)
{
	struct rstore *r = be;

	if (nb_open(r, err, errlen) < 0)
		return -1;
	key_of(&r->key, k->entity_type, k->entity_id, k->entity_id_len,
	    k->group, k->version);
	/* The command in RESP, written here: hiredis's formatter takes a
	   printf pass and two allocations a command. */
	{
		char digits[24];
		size_t nd = 0, n = r->key.len;

		do
			digits[sizeof digits - ++nd] = (char)('0' + n % 10);
		while ((n /= 10) > 0);
		r->cmd.len = 0;
		ft_buf_add(&r->cmd, HGETALL, sizeof HGETALL - 1);
		ft_buf_add(&r->cmd, digits + sizeof digits - nd, nd);
		ft_buf_add(&r->cmd, "\r\n", 2);
		ft_buf_add(&r->cmd, r->key.p, r->key.len);
		ft_buf_add(&r->cmd, "\r\n", 2);
	}
	if (redisAppendFormattedCommand(r->nb, r->cmd.p, r->cmd.len) !=
	    REDIS_OK)
		return nb_lost(r, err, errlen);
	ft_askq_push(&r->asked, k, tag, 0);
	return 0;
}

static int
redis_flush(void *be, char *err, size_t errlen)
{
	struct rstore *r = be;
	size_t len;
	ssize_t n;

	if (r->nb == NULL)
		return 0;
	/* As redisBufferWrite, but an emptied buffer keeps its room (hiredis
	   frees it and grows it again for the next turn's commands). */
	if ((len = sdslen(r->nb->obuf)) == 0)
		return 0;
	while ((n = write(r->nb->fd, r->nb->obuf, len)) < 0 && errno == EINTR)
		;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		snprintf(err, errlen, "store '%s': %s", r->uri,
		    strerror(errno));
		return nb_fail(r);
	}
	if (n == (ssize_t)len) {
		if (sdsalloc(r->nb->obuf) > NB_KEEP) {
			sdsfree(r->nb->obuf);
			r->nb->obuf = sdsempty();
			if (r->nb->obuf == NULL) {
				snprintf(err, errlen, "store '%s': out of "
				    "memory", r->uri);
				return nb_fail(r);
			}
		} else
			sdsclear(r->nb->obuf);
		return 0;
	}
	if (n > 0)
		sdsrange(r->nb->obuf, n, -1);
	return 1;
}

static int
redis_fd(void *be)
{
	struct rstore *r = be;

	return r->nb ? r->nb->fd : -1;
}

/* Hands over every whole reply the reader holds: 0, or -1 with err. */
static int
nb_replies(struct rstore *r, ft_store_fields_fn ffn, feat_store_answer_fn fn,
    void *ctx, long *n, char *err, size_t errlen)
{
	unsigned gen = r->gen;

	for (;;) {
		redisReply *rep = NULL;
		struct ft_asked *a;
		struct ft_fields fs;

		if (redisGetReplyFromReader(r->nb, (void **)&rep) != REDIS_OK)
			return nb_lost(r, err, errlen);
		if (rep == NULL)
			return 0;
		if ((a = ft_askq_front(&r->asked)) == NULL) {
			arena_reset(&r->arena);
			return nb_lost(r, err, errlen);
		}
		if (a->internal) {
			if (rep->type == REDIS_REPLY_ERROR) {
				char lost[64];

				/* AUTH or SELECT refused: say why. */
				snprintf(err, errlen, "store '%s': %s", r->uri,
				    rep->str);
				arena_reset(&r->arena);
				return nb_lost(r, lost, sizeof lost);
			}
		} else if (ffn && hash_fields(r, rep, a->version, &fs) &&
		    ffn(ctx, a->tag, &fs) == 0) {
			(*n)++;
		} else if (rep->type != REDIS_REPLY_ERROR &&
		    hash_line(r, rep, a->etype, a->eid, a->eidlen, a->group,
		    a->version)) {
			fn(ctx, a->tag, r->line.p, r->line.len);
			(*n)++;
		} else {
			fn(ctx, a->tag, NULL, 0);
			(*n)++;
		}
		arena_reset(&r->arena);
		/* A callback that sent on this connection may have lost it,
		   and with it everything asked, and opened another. */
		if (r->gen != gen)
			return 0;
		ft_askq_pop(&r->asked);
	}
}

/*
 * Reads what the connection holds, not only hiredis's 16 KiB a call (the
 * rest would wait for another turn of the caller's loop), and gives it to
 * the reader NB_PIECE bytes at a time, taking the replies out in between:
 * hiredis moves what is left of its buffer to the front each time it has
 * used 1 KiB, which over a whole batch of answers fed at once is a copy
 * of the batch per pair of replies.
 */
static long
redis_poll(void *be, ft_store_fields_fn ffn, feat_store_answer_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct rstore *r = be;
	unsigned gen = r->gen;
	long n = 0;

	/* Read even when nothing is asked: the server may have closed an
	   idle connection, and its end of file would stay readable. */
	if (r->nb == NULL)
		return 0;
	if (r->rbuf == NULL && (r->rbuf = malloc(NB_READ)) == NULL) {
		snprintf(err, errlen, "store '%s': out of memory", r->uri);
		return nb_fail(r);
	}
	for (;;) {
		ssize_t got;

		while ((got = read(r->nb->fd, r->rbuf, NB_READ)) < 0 &&
		    errno == EINTR)
			;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (got <= 0 && r->asked.n == 0) {
			/* Closed or reset while idle (Redis's timeout, CLIENT
			   KILL, a proxy's idle reset): nothing is lost; the
			   next lookup connects again. */
			nb_fail(r);
			return n;
		}
		if (got <= 0) {
			snprintf(err, errlen, "store '%s': %s", r->uri, got ?
			    strerror(errno) : "the server closed the "
			    "connection");
			return nb_fail(r);
		}
		for (size_t off = 0; off < (size_t)got; off += NB_PIECE) {
			size_t m = (size_t)got - off < NB_PIECE ?
			    (size_t)got - off : NB_PIECE;

			if (redisReaderFeed(r->nb->reader, r->rbuf + off, m) !=
			    REDIS_OK) {
				snprintf(err, errlen, "store '%s': %s", r->uri,
				    r->nb->reader->errstr);
				return nb_fail(r);
			}
			if (nb_replies(r, ffn, fn, ctx, &n, err, errlen) < 0)
				return -1;
			if (r->gen == gen)
				continue;
			/* A callback lost the connection (its call said so):
			   the rest read is for requests no longer asked. */
			if (r->nb != NULL)
				return n;	/* and opened another */
			snprintf(err, errlen, "store '%s': the connection was "
			    "lost", r->uri);
			return -1;
		}
		if ((size_t)got < NB_READ)
			break;
	}
	return n;
}

static size_t
redis_pending(const void *be)
{
	const struct rstore *r = be;
	size_t n = 0;

	for (size_t i = 0; i < r->asked.n; i++)
		n += !r->asked.q[(r->asked.head + i) % r->asked.cap].internal;
	return n;
}

const struct ft_store_ops ft_store_redis = {
	"redis://", 0, redis_open, redis_close, redis_write, redis_latest,
	no_history, NULL, no_history_list, redis_entity, redis_scan,
	redis_refresh, redis_stats, redis_compact, redis_send_latest,
	redis_flush, redis_fd, redis_poll, redis_pending, NULL, NULL
};
