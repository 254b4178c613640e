/*
 * test-store-async.c - the lookups that never block (feat_store_send_latest,
 * feat_store_flush, feat_store_poll): against a dir: store and the
 * PostgreSQL and Redis servers of $FEAT_TEST_PG and $FEAT_TEST_REDIS (as
 * scripts/services starts them; without them the test fails), the
 * answers come back in the order asked, each with its tag and the record
 * the blocking lookup gives; and an answer's callback that loses the
 * connection and asks again on a new one gets the new one's answers.
 */
#include "feat.h"

#include <sys/socket.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define KEYS 300

struct answers {
	uint64_t tags[KEYS + 10];
	char *lines[KEYS + 10];
	size_t n;
};

static void
answer(void *ctx, uint64_t tag, const char *line, size_t len)
{
	struct answers *a = ctx;

	if (a->n >= KEYS + 10)
		return;
	a->tags[a->n] = tag;
	a->lines[a->n] = line ? strndup(line, len) : NULL;
	a->n++;
}

/* The line's latency_p50_5min when it is a record of entity id; -1. */
static double
value_of(const char *line, const char *id)
{
	feat_record_reader *rr = feat_record_reader_new(FEAT_TIME_S);
	const feat_record *r;
	struct feat_error e;
	struct feat_value v;
	double d = -1;

	if (feat_record_read(rr, line, strlen(line), &r, &e) == 0 &&
	    feat_record_get_head(r)->entity_id_len == strlen(id) &&
	    memcmp(feat_record_get_head(r)->entity_id, id, strlen(id)) == 0 &&
	    feat_record_find(rr, r, "latency_p50_5min", &v) == 0)
		d = v.number;
	feat_record_reader_free(rr);
	return d;
}

/* Loads KEYS records "async-<i>" with latency_p50_5min = i into uri. */
static int
load(const char *uri, char *err, size_t errlen)
{
	struct feat_store_opts so = { 0 };
	feat_record_reader *rr = feat_record_reader_new(FEAT_TIME_S);
	feat_store_batch *b = feat_store_batch_new();
	struct feat_store_written w;
	feat_store *s;
	int rc = -1;

	so.write = 1;
	if ((s = feat_store_open(uri, &so, err, errlen)) == NULL)
		goto done;
	for (int i = 0; i < KEYS; i++) {
		char line[512];
		const feat_record *r;
		struct feat_error e;

		snprintf(line, sizeof line, "{\"entity_type\":\"model\","
		    "\"entity_id\":\"async-%d\",\"group\":\"perf_5min\","
		    "\"ts\":\"2024-11-16T00:05:00Z\",\"created\":"
		    "\"2024-11-16T00:05:01Z\",\"features\":"
		    "{\"latency_p50_5min\":%d}}", i, i);
		if (feat_record_read(rr, line, strlen(line), &r, &e) < 0 ||
		    feat_store_batch_add(b, r, NULL, 0, 0, err, errlen) < 0)
			goto done;
	}
	rc = feat_store_write(s, b, &w, err, errlen);
done:
	if (s)
		feat_store_close(s, err + strlen(err), errlen - strlen(err));
	feat_store_batch_free(b);
	feat_record_reader_free(rr);
	return rc;
}

static void
check(const char *id, const char *what, const char *uri)
{
	struct feat_store_opts so = { 0 };
	struct answers a = { { 0 }, { 0 }, 0 };
	char err[1024] = "";
	feat_store *s = NULL;
	int sent = 0, fails = 0;

	tap_begin(id, "%s: %d lookups sent at once come back in order, "
	    "with their records", what, KEYS + 1);
	if (!tap_check(uri != NULL, "no store given (is $FEAT_TEST_PG / "
	    "$FEAT_TEST_REDIS set? start scripts/services)"))
		goto done;
	if (!tap_check(load(uri, err, sizeof err) == 0, "load: %s", err) ||
	    !tap_check((s = feat_store_open(uri, &so, err, sizeof err)) !=
	    NULL, "open: %s", err))
		goto done;
	for (int i = 0; i <= KEYS; i++) {
		char id_[32];
		struct feat_store_key k = { "model", id_, 0, "perf_5min", 1 };

		/* The last one has no record. */
		snprintf(id_, sizeof id_, i < KEYS ? "async-%d" : "none-%d",
		    i);
		k.entity_id_len = strlen(id_);
		if (!tap_check(feat_store_send_latest(s, &k, 1000 + i, err,
		    sizeof err) == 0, "send %d: %s", i, err))
			goto done;
		sent++;
	}
	while (feat_store_pending(s) > 0 && fails == 0) {
		int fd = feat_store_fd(s), more;
		struct pollfd pfd;

		more = feat_store_flush(s, err, sizeof err);
		if (!tap_check(more >= 0, "flush: %s", err))
			goto done;
		if (fd >= 0) {
			pfd.fd = fd;
			pfd.events = POLLIN | (more ? POLLOUT : 0);
			if (!tap_check(poll(&pfd, 1, 5000) > 0, "no answer in "
			    "5 s"))
				goto done;
		}
		if (!tap_check(feat_store_poll(s, answer, &a, err,
		    sizeof err) >= 0, "poll: %s", err))
			fails++;
	}
	tap_check_int((int64_t)a.n, sent, "answers");
	for (size_t i = 0; i < a.n; i++) {
		char want[64];

		tap_check_int((int64_t)a.tags[i], 1000 + (int64_t)i, "tag");
		if (i == KEYS) {
			tap_check(a.lines[i] == NULL, "a key without a record "
			    "gave '%s'", a.lines[i]);
			continue;
		}
		snprintf(want, sizeof want, "async-%zu", i);
		tap_check(a.lines[i] && value_of(a.lines[i], want) ==
		    (double)i, "answer %zu: '%s'", i, a.lines[i] ?
		    a.lines[i] : "(none)");
	}
done:
	tap_end();
	for (size_t i = 0; i < a.n; i++)
		free(a.lines[i]);
	if (s)
		feat_store_close(s, err, sizeof err);
}

/* What the callback of check_reopen does at the answer of tag 1: loses
   the connection (its sending side shut: the next write fails), then
   asks again, on a connection of its own.  Redis only: libpq keeps a
   failed write to itself until it next reads, so a PostgreSQL callback
   cannot lose its connection this way. */
struct reopen {
	feat_store *s;
	struct answers a;
	int lost, sent;
	char err[512];
};

static void
reopen_answer(void *ctx, uint64_t tag, const char *line, size_t len)
{
	struct reopen *ro = ctx;
	struct feat_store_key k = { "model", "async-3", 7, "perf_5min", 1 };

	answer(&ro->a, tag, line, len);
	if (tag != 1)
		return;
	shutdown(feat_store_fd(ro->s), SHUT_WR);
	if (feat_store_send_latest(ro->s, &k, 3, ro->err, sizeof ro->err) < 0 ||
	    feat_store_flush(ro->s, ro->err, sizeof ro->err) < 0)
		ro->lost = 1;
	k.entity_id = "async-4";
	ro->sent = feat_store_send_latest(ro->s, &k, 4, ro->err,
	    sizeof ro->err) == 0;
}

static void
check_reopen(const char *id, const char *what, const char *uri)
{
	struct feat_store_opts so = { 0 };
	struct reopen ro = { NULL, { { 0 }, { 0 }, 0 }, 0, 0, "" };
	char err[1024] = "";
	int rounds = 0;

	tap_begin(id, "%s: a callback that loses the connection and asks "
	    "again gets the new connection's answer, not the old one's", what);
	if (!tap_check(uri != NULL, "no store given") ||
	    !tap_check(load(uri, err, sizeof err) == 0, "load: %s", err) ||
	    !tap_check((ro.s = feat_store_open(uri, &so, err, sizeof err)) !=
	    NULL, "open: %s", err))
		goto done;
	for (int i = 1; i <= 2; i++) {
		char id_[32];
		struct feat_store_key k = { "model", id_, 0, "perf_5min", 1 };

		snprintf(id_, sizeof id_, "async-%d", i);
		k.entity_id_len = strlen(id_);
		if (!tap_check(feat_store_send_latest(ro.s, &k, (uint64_t)i, err,
		    sizeof err) == 0, "send %d: %s", i, err))
			goto done;
	}
	/* Both answers read at once, so the old one's second is there to
	   be misread. */
	while (feat_store_flush(ro.s, err, sizeof err) == 1)
		usleep(1000);
	usleep(200000);
	while (feat_store_pending(ro.s) > 0 && rounds++ < 50) {
		struct pollfd pfd = { feat_store_fd(ro.s), POLLIN, 0 };
		int more = feat_store_flush(ro.s, err, sizeof err);

		if (!tap_check(more >= 0, "flush: %s", err))
			goto done;
		if (more)
			pfd.events |= POLLOUT;
		if (ro.a.n > 0 && !tap_check(poll(&pfd, 1, 5000) > 0, "no "
		    "answer in 5 s"))
			goto done;
		if (!tap_check(feat_store_poll(ro.s, reopen_answer, &ro, err,
		    sizeof err) >= 0, "poll: %s", err))
			goto done;
	}
	tap_check(ro.lost, "the shut connection's write did not fail");
	tap_check(ro.sent, "asking again: %s", ro.err);
	tap_check_int((int64_t)ro.a.n, 2, "answers");
	if (ro.a.n == 2) {
		tap_check_int((int64_t)ro.a.tags[0], 1, "first tag");
		tap_check(ro.a.lines[0] && value_of(ro.a.lines[0], "async-1") ==
		    1, "answer 1: '%s'", ro.a.lines[0] ? ro.a.lines[0] : "-");
		tap_check_int((int64_t)ro.a.tags[1], 4, "second tag");
		tap_check(ro.a.lines[1] && value_of(ro.a.lines[1], "async-4") ==
		    4, "answer 4: '%s'", ro.a.lines[1] ? ro.a.lines[1] : "-");
	}
done:
	tap_end();
	for (size_t i = 0; i < ro.a.n; i++)
		free(ro.a.lines[i]);
	if (ro.s)
		feat_store_close(ro.s, err, sizeof err);
}

int
main(void)
{
	char dir[] = "/tmp/feat-async.XXXXXX", uri[64], redis[512];
	const char *r = getenv("FEAT_TEST_REDIS");

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(uri, sizeof uri, "dir:%s/st", dir);
	check("async-001", "dir:", uri);
	check("async-002", "PostgreSQL", getenv("FEAT_TEST_PG"));
	/* Redis: database 14, the suites' others left alone. */
	if (r) {
		const char *slash = strrchr(r, '/');

		snprintf(redis, sizeof redis, "%.*s/14", slash &&
		    slash > r + 8 ? (int)(slash - r) : (int)strlen(r), r);
	}
	check("async-003", "Redis", r ? redis : NULL);
	signal(SIGPIPE, SIG_IGN);	/* check_reopen's shut connection */
	check_reopen("async-004", "Redis", r ? redis : NULL);
	{
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
