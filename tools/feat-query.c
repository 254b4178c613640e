/*
 * feat-query - answers questions about the feature catalog: which features
 * there are, what one of them means and how it is computed, and whether a
 * catalog file keeps the rules.  A command on the command line is run
 * once; without one, off a terminal, each input line is a command.  With
 * --from URI, it looks features up in a store (get, asof, history, stats).
 * The interactive shell comes later.
 */
#include "feat.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char trailer[] =
"Commands:\n"
"  catalog [PATTERN]    the features whose name, id or group contains\n"
"                       PATTERN (case ignored); all without one\n"
"  describe NAME        every attribute of the feature NAME (or its id)\n"
"  check-catalog FILE   check FILE, with any overlays, against the rules\n"
"                       of feat-catalog(5)\n"
"  get TYPE ID [FEATURES]\n"
"                       the latest values of an entity (FEATURES: names,\n"
"                       ids and group:NAME, comma-separated; all groups\n"
"                       of TYPE without)\n"
"  asof TYPE ID TS [FEATURES]\n"
"                       the values that held at TS (feat-join's rule)\n"
"  history TYPE ID GROUP\n"
"                       every stored record of the entity's group\n"
"  stats                what the store holds\n"
"\n"
"Without a command, each line of the input is one.  Answers are NDJSON,\n"
"one object per feature, unless standard output is a terminal.  See\n"
"feat-query(1) and feat-catalog(5).\n";

enum { O_FROM = 256 };

static const struct feat_option options[] = {
	{ "from", O_FROM, "URI", "the store of get, asof, history and stats:\n"
	    "dir:PATH, postgresql://..., redis://HOST:PORT", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

struct query {
	const char *from;
	feat_store *store;
	feat_tool *t;
	feat_writer *w;
	int tty;		/* stdout is a terminal: text, not NDJSON */
	int worst;		/* of the commands run from input lines */
};

static int
cmd_catalog(struct query *q, char **args, int nargs)
{
	feat_catalog *cat = feat_tool_catalog(q->t);
	const char *pattern = nargs > 0 ? args[0] : "";
	size_t total = feat_catalog_count(cat), n = 0;
	const feat_catalog_feature **fs = feat_xcalloc(total + 1, sizeof *fs);

	for (size_t i = 0; i < total; i++)
		if (feat_catalog_matches(feat_catalog_nth(cat, i), pattern))
			fs[n++] = feat_catalog_nth(cat, i);
	if (n == 0)
		feat_tool_warn_here(q->t, "no feature matches '%s'", pattern);
	else if (q->tty)
		feat_catalog_table_text(fs, n, q->w);
	else
		for (size_t i = 0; i < n; i++)
			feat_catalog_write_entry(fs[i], 0, q->w);
	free(fs);
	return n == 0 ? FEAT_EXIT_NEGATIVE : FEAT_EXIT_OK;
}

static int
cmd_describe(struct query *q, char **args, int nargs)
{
	const feat_catalog_feature *f;

	(void)nargs;
	f = feat_catalog_find(feat_tool_catalog(q->t), args[0]);
	if (f == NULL) {
		feat_tool_warn_here(q->t, "unknown feature '%s'", args[0]);
		return FEAT_EXIT_NEGATIVE;
	}
	if (q->tty)
		feat_catalog_describe_text(f, q->w);
	else
		feat_catalog_write_entry(f, 1, q->w);
	return FEAT_EXIT_OK;
}

static void
report_problem(void *ctx, const char *file, unsigned long line,
    const char *problem)
{
	(void)ctx;
	if (line > 0)
		feat_warn_at(file, line, "%s", problem);
	else
		feat_warn("%s: %s", file, problem);
}

static int
cmd_check_catalog(struct query *q, char **args, int nargs)
{
	const char *const *ov;
	feat_catalog *cat;
	char err[1024], line[1200];
	size_t nov;
	int n;

	(void)nargs;
	ov = feat_tool_catalog_overlays(q->t, &nov);
	n = feat_catalog_check(args[0], ov, nov, report_problem, NULL, err,
	    sizeof err);
	if (n > 0)
		return FEAT_EXIT_NEGATIVE;
	/* It passed every rule, so it loads: count what it holds. */
	cat = n < 0 ? NULL : feat_catalog_load(args[0], err, sizeof err);
	for (size_t i = 0; cat && i < nov; i++)
		if (feat_catalog_overlay(cat, ov[i], err, sizeof err) < 0) {
			feat_catalog_free(cat);
			cat = NULL;
		}
	if (cat == NULL) {
		/* Said, and the next input line still gets its answer. */
		feat_tool_warn_here(q->t, "%s", err);
		return FEAT_EXIT_USAGE;
	}
	n = snprintf(line, sizeof line, "%s: ok: %zu feature%s in %zu "
	    "group%s\n", args[0], feat_catalog_count(cat),
	    feat_catalog_count(cat) == 1 ? "" : "s",
	    feat_catalog_group_count(cat),
	    feat_catalog_group_count(cat) == 1 ? "" : "s");
	feat_writer_text(q->w, line, (size_t)n < sizeof line ? (size_t)n :
	    sizeof line - 1);
	feat_catalog_free(cat);
	return FEAT_EXIT_OK;
}

/* The store of --from, opened on first use; NULL after saying why. */
static feat_store *
store(struct query *q)
{
	char err[1024];

	if (q->from == NULL) {
		feat_tool_warn_here(q->t, "no store: give --from dir:PATH");
		return NULL;
	}
	if (q->store == NULL) {
		q->store = feat_store_open(q->from, NULL, err, sizeof err);
		if (q->store == NULL)
			feat_tool_warn_here(q->t, "%s", err);
	} else if (feat_store_refresh(q->store, err, sizeof err) < 0) {
		/* Another run's writes since the last command. */
		feat_tool_warn_here(q->t, "%s", err);
		return NULL;
	}
	return q->store;
}

static int
lookup(struct query *q, char **args, int nargs, int64_t as_of,
    const char *features)
{
	struct feat_lookup_opts lo = { 0 };
	feat_store *s = store(q);
	char err[1024];
	int rc;

	(void)nargs;
	if (s == NULL)
		return FEAT_EXIT_STORE;
	lo.catalog = feat_tool_catalog(q->t);
	lo.clock = feat_tool_clock(q->t);
	lo.as_of = as_of;
	lo.tier = "store";
	rc = feat_lookup(s, &lo, args[0], args[1], strlen(args[1]), features,
	    q->w, err, sizeof err);
	if (rc == -1) {
		feat_tool_warn_here(q->t, "%s", err);
		return FEAT_EXIT_USAGE;
	}
	return rc < 0 ? FEAT_EXIT_STORE : FEAT_EXIT_OK;
}

static int
cmd_get(struct query *q, char **args, int nargs)
{
	return lookup(q, args, nargs, INT64_MIN, nargs > 2 ? args[2] : NULL);
}

static int
cmd_asof(struct query *q, char **args, int nargs)
{
	int64_t t;

	if (feat_time_parse(args[2], strlen(args[2]), &t) < 0) {
		feat_tool_warn_here(q->t, "invalid timestamp '%s'", args[2]);
		return FEAT_EXIT_USAGE;
	}
	return lookup(q, args, nargs, t, nargs > 3 ? args[3] : NULL);
}

static int
put_line(void *ctx, const char *line, size_t len)
{
	struct query *q = ctx;

	feat_writer_text(q->w, line, len);
	feat_writer_text(q->w, "\n", 1);
	return 0;
}

static int
cmd_history(struct query *q, char **args, int nargs)
{
	struct feat_store_key k = { args[0], args[1], strlen(args[1]),
	    args[2], 1 };
	feat_store *s = store(q);
	char err[1024];
	long n;

	(void)nargs;
	if (feat_catalog_group_find(feat_tool_catalog(q->t), args[2]) == NULL) {
		feat_tool_warn_here(q->t, "unknown group '%s'", args[2]);
		return FEAT_EXIT_USAGE;
	}
	if (s == NULL)
		return FEAT_EXIT_STORE;
	if ((n = feat_store_history(s, &k, put_line, q, err, sizeof err)) < 0) {
		feat_tool_warn_here(q->t, "%s", err);
		return FEAT_EXIT_USAGE;
	}
	return n == 0 ? FEAT_EXIT_NEGATIVE : FEAT_EXIT_OK;
}

static void
put_count(feat_writer *w, uint64_t n)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%" PRIu64, n);
	feat_writer_number(w, buf, strlen(buf));
}

static int
cmd_stats(struct query *q, char **args, int nargs)
{
	struct feat_store_stats st;
	feat_store *s = store(q);
	char err[1024];

	(void)args;
	(void)nargs;
	if (s == NULL)
		return FEAT_EXIT_STORE;
	if (feat_store_stats(s, &st, err, sizeof err) < 0) {
		feat_tool_warn_here(q->t, "%s", err);
		return FEAT_EXIT_STORE;
	}
	feat_writer_open_object(q->w);
	feat_writer_key(q->w, "store", 5);
	feat_writer_string(q->w, feat_store_uri(s), strlen(feat_store_uri(s)));
	feat_writer_key(q->w, "records", 7);
	put_count(q->w, st.records);
	feat_writer_key(q->w, "tombstones", 10);
	put_count(q->w, st.tombstones);
	feat_writer_key(q->w, "keys", 4);
	put_count(q->w, st.keys);
	feat_writer_key(q->w, "live_keys", 9);
	put_count(q->w, st.live_keys);
	feat_writer_key(q->w, "files", 5);
	put_count(q->w, st.files);
	feat_writer_key(q->w, "bytes", 5);
	put_count(q->w, st.bytes);
	feat_writer_key(q->w, "oldest_ts", 9);
	if (st.oldest_ts == INT64_MIN)
		feat_writer_null(q->w);
	else
		feat_writer_time(q->w, st.oldest_ts);
	feat_writer_key(q->w, "newest_ts", 9);
	if (st.newest_ts == INT64_MIN)
		feat_writer_null(q->w);
	else
		feat_writer_time(q->w, st.newest_ts);
	feat_writer_close_object(q->w);
	return feat_writer_end_record(q->w) < 0 ? FEAT_EXIT_STORE :
	    FEAT_EXIT_OK;
}

static const struct command {
	const char *name;
	int min_args, max_args;
	const char *args;	/* for the usage message */
	int (*run)(struct query *, char **, int);
} commands[] = {
	{ "catalog", 0, 1, "[PATTERN]", cmd_catalog },
	{ "describe", 1, 1, "NAME", cmd_describe },
	{ "check-catalog", 1, 1, "FILE", cmd_check_catalog },
	{ "get", 2, 3, "TYPE ID [FEATURES]", cmd_get },
	{ "asof", 3, 4, "TYPE ID TS [FEATURES]", cmd_asof },
	{ "history", 3, 3, "TYPE ID GROUP", cmd_history },
	{ "stats", 0, 0, "", cmd_stats },
	{ NULL, 0, 0, NULL, NULL }
};

/* Runs one command; usage problems are said and give 2. */
static int
run_command(struct query *q, char **argv, int argc, int from_line)
{
	const struct command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, argv[0]) == 0)
			break;
	if (c->name == NULL && !from_line)
		feat_tool_usage_error(q->t, "unknown command '%s'", argv[0]);
	if (c->name == NULL) {
		feat_tool_warn_here(q->t, "unknown command '%s'", argv[0]);
		return FEAT_EXIT_USAGE;
	}
	if (c->run == NULL) {
		feat_tool_warn_here(q->t, "command '%s' is not available in "
		    "this version", c->name);
		return FEAT_EXIT_USAGE;
	}
	if (c->run == cmd_get || c->run == cmd_asof || c->run == cmd_history ||
	    c->run == cmd_stats) {
		if (q->from == NULL && !from_line)
			feat_tool_usage_error(q->t, "command '%s' needs a store: "
			    "give --from dir:PATH", c->name);
		if (q->from == NULL) {
			feat_tool_warn_here(q->t, "command '%s' needs a store: "
			    "give --from dir:PATH", c->name);
			return FEAT_EXIT_USAGE;
		}
	}
	if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
		if (!from_line)
			feat_tool_usage_error(q->t, "wrong number of arguments "
			    "for '%s': use %s %s", c->name, c->name, c->args);
		feat_tool_warn_here(q->t, "wrong number of arguments for '%s': "
		    "use %s %s", c->name, c->name, c->args);
		return FEAT_EXIT_USAGE;
	}
	return c->run(q, argv + 1, argc - 1);
}

/* One command per input line: words split at blanks, quotes kept. */
static int
on_line(void *ctx, const struct feat_line *line, struct feat_error *err)
{
	struct query *q = ctx;
	char **argv = NULL, *text;
	int argc = 0, rc;

	text = feat_split_words(line->text, line->len, &argv, &argc);
	if (text == NULL) {
		feat_tool_warn_here(q->t, "unterminated quote");
		q->worst = FEAT_EXIT_USAGE;
		return 0;
	}
	rc = argc > 0 ? run_command(q, argv, argc, 1) : 0;
	if (rc > q->worst)
		q->worst = rc;
	/* Each answer as soon as it is known: a program can ask, wait and
	   read, as with a coprocess. */
	if (feat_writer_flush(q->w) < 0) {
		err->code = FEAT_ERR_OUTPUT;
		snprintf(err->reason, sizeof err->reason, "cannot write: %s",
		    feat_writer_error(q->w));
		return -1;
	}
	free(argv);
	free(text);
	return 0;
}

static int
option(void *ctx, int key, const char *arg, char *err, size_t errlen)
{
	struct query *q = ctx;

	if (key == O_FROM) {
		q->from = arg;
		return feat_store_check_uri(arg, err, errlen);
	}
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct feat_tool_def def = {
		"feat-query", NULL, options, FEAT_OPT_CATALOG |
		FEAT_OPT_CATALOG_OVERLAY, "[COMMAND [ARG...]]", NULL, trailer,
		FEAT_TOOL_COMMAND, option, NULL
	};
	static const struct feat_tool_stage stage = { on_line, NULL, NULL,
	    NULL, 0, NULL, NULL };
	struct query q = { 0 };
	char **args;
	int nargs, status;

	q.t = feat_tool_start(&def, argc, argv, &q);
	q.w = feat_tool_output(q.t);
	q.tty = isatty(STDOUT_FILENO);
	args = feat_tool_operands(q.t, &nargs);
	if (nargs > 0)
		status = feat_tool_end(q.t, run_command(&q, args, nargs, 0));
	else if (isatty(STDIN_FILENO))
		feat_die(FEAT_EXIT_USAGE, "missing command: the interactive "
		    "shell is not available in this version");
	else if ((status = feat_tool_run(q.t, &stage, &q)) == 0)
		status = q.worst;
	if (q.store) {
		char err[1024];

		if (feat_store_close(q.store, err, sizeof err) < 0)
			feat_warn("%s", err);
	}
	feat_tool_free(q.t);
	return status;
}
