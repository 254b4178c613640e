/*
 * feat-query - answers questions about the feature catalog: which features
 * there are, what one of them means and how it is computed, and whether a
 * catalog file keeps the rules.  A command on the command line is run
 * once; without one, off a terminal, each input line is a command.  The
 * store lookups (get, asof, history, stats) and the interactive shell come
 * with the stores.
 */
#include "feat.h"

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
"\n"
"Without a command, each line of the input is one.  Answers are NDJSON,\n"
"one object per feature, unless standard output is a terminal.  See\n"
"feat-query(1) and feat-catalog(5).\n";

struct query {
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

static const struct command {
	const char *name;
	int min_args, max_args;
	const char *args;	/* for the usage message */
	int (*run)(struct query *, char **, int);
} commands[] = {
	{ "catalog", 0, 1, "[PATTERN]", cmd_catalog },
	{ "describe", 1, 1, "NAME", cmd_describe },
	{ "check-catalog", 1, 1, "FILE", cmd_check_catalog },
	/* SPEC 6's store commands, not in this version. */
	{ "get", 0, -1, NULL, NULL },
	{ "asof", 0, -1, NULL, NULL },
	{ "history", 0, -1, NULL, NULL },
	{ "stats", 0, -1, NULL, NULL },
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

	(void)err;
	text = feat_split_words(line->text, line->len, &argv, &argc);
	if (text == NULL) {
		feat_tool_warn_here(q->t, "unterminated quote");
		q->worst = FEAT_EXIT_USAGE;
		return 0;
	}
	rc = argc > 0 ? run_command(q, argv, argc, 1) : 0;
	if (rc > q->worst)
		q->worst = rc;
	free(argv);
	free(text);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct feat_tool_def def = {
		"feat-query", NULL, NULL, FEAT_OPT_CATALOG |
		FEAT_OPT_CATALOG_OVERLAY, "[COMMAND [ARG...]]", NULL, trailer,
		FEAT_TOOL_COMMAND, NULL
	};
	static const struct feat_tool_stage stage = { on_line, NULL, NULL,
	    NULL };
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
	feat_tool_free(q.t);
	return status;
}
