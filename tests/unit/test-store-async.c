/*
 * test-store-async.c - the lookups that never block (feat_store_send_latest,
 * feat_store_flush, feat_store_poll): against a dir: store and the
 * PostgreSQL and Redis servers of $FEAT_TEST_PG and $FEAT_TEST_REDIS (as
 * scripts/services starts them; without them the test fails), the
 * answers come back in the order asked, each with its tag and the record
 * the blocking lookup gives.
 */
#include "feat.h"

#include <poll.h>
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
	{
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
