/*
 * feat-query - answers questions about the feature catalog: which features
 * there are, what one of them means and how it is computed, and whether a
 * catalog file keeps the rules.
 *
 * This version has the non-interactive catalog commands; the store lookups
 * (get, asof, history, stats) and the interactive shell build on the same
 * command table later.  Answers are NDJSON for programs, and a table or an
 * aligned description when standard output is a terminal.
 */
#include "config.h"
#include "feat.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
"usage: feat-query [--catalog FILE] [--catalog-overlay FILE]... catalog [PATTERN]\n"
"       feat-query [--catalog FILE] [--catalog-overlay FILE]... describe NAME\n"
"       feat-query [--catalog-overlay FILE]... check-catalog FILE\n"
"\n"
"Commands:\n"
"  catalog [PATTERN]        the features whose name, id or group contains\n"
"                           PATTERN (case ignored); all without one\n"
"  describe NAME            every attribute of the feature NAME (or its id)\n"
"  check-catalog FILE       check FILE, with any overlays, against the rules\n"
"                           of feat-catalog(5)\n"
"\n"
"Options:\n"
"      --catalog FILE          the catalog (default: $FEAT_CATALOG, else\n"
"                              " FEAT_PKGDATADIR "/catalog.json)\n"
"      --catalog-overlay FILE  merge the groups and features of FILE, by name\n"
"                              (repeatable, applied in order)\n"
"  -h, --help                  print this help and exit\n"
"  -V, --version               print the version and exit\n"
"\n"
"Answers are NDJSON, one object per feature, unless standard output is a\n"
"terminal.  See feat-query(1) and feat-catalog(5).\n";

static void
usage(int status)
{
	if (status == 0) {
		fputs(usage_text, stdout);
		exit(0);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n",
	    feat_progname());
	exit(FEAT_EXIT_USAGE);
}

enum { OPT_CATALOG = 256, OPT_OVERLAY };

static const struct option options[] = {
	{ "catalog", required_argument, NULL, OPT_CATALOG },
	{ "catalog-overlay", required_argument, NULL, OPT_OVERLAY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

struct query {
	const char *catalog_path;
	const char **overlays;
	size_t noverlays;
	int tty;		/* stdout is a terminal: text, not NDJSON */
	feat_catalog *cat;
};

static void
close_output(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
		feat_die(FEAT_EXIT_STORE, "cannot write output: %s",
		    strerror(errno));
}

static void
load_catalog(struct query *q)
{
	char err[1024];

	q->cat = feat_catalog_load(q->catalog_path, err, sizeof err);
	if (q->cat == NULL)
		feat_die(FEAT_EXIT_USAGE, "%s", err);
	for (size_t i = 0; i < q->noverlays; i++)
		if (feat_catalog_overlay(q->cat, q->overlays[i], err,
		    sizeof err) < 0)
			feat_die(FEAT_EXIT_USAGE, "%s", err);
}

/* ---- text for a terminal -------------------------------------------------- */

/* Columns a UTF-8 string takes, near enough: one per code point. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static void
range_text(const feat_catalog_feature *f, char *buf, size_t len)
{
	char a[FEAT_DOUBLE_BUFSZ], b[FEAT_DOUBLE_BUFSZ];
	double min = 0, max = 0;
	int r = feat_catalog_feature_range(f, &min, &max);

	if (r & 1)
		feat_fmt_double(min, a);
	if (r & 2)
		feat_fmt_double(max, b);
	if (r == 3)
		snprintf(buf, len, "[%s, %s]", a, b);
	else if (r == 1)
		snprintf(buf, len, ">= %s", a);
	else if (r == 2)
		snprintf(buf, len, "<= %s", b);
	else
		snprintf(buf, len, "unbounded");
}

/* "60s", "5m": the largest unit that holds the duration exactly. */
static void
duration_text(int64_t ns, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {
		{ "d", INT64_C(86400000000000) }, { "h", INT64_C(3600000000000) },
		{ "m", INT64_C(60000000000) }, { "s", INT64_C(1000000000) },
		{ "ms", INT64_C(1000000) }
	};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (ns % units[i].ns == 0 && (ns != 0 || units[i].ns ==
		    INT64_C(1000000000))) {
			snprintf(buf, len, "%lld%s", (long long)(ns /
			    units[i].ns), units[i].unit);
			return;
		}
	snprintf(buf, len, "%lldns", (long long)ns);
}

/*
 * Prints "  label        text", the text wrapped at word boundaries to 79
 * columns with continuation lines under its first column.
 */
static void
print_field(const char *label, const char *text)
{
	const size_t indent = 15, limit = 79;
	size_t col = indent;
	const char *p = text;

	printf("  %-12s ", label);
	while (*p) {
		const char *e = p;
		size_t w;

		while (*e && *e != ' ')
			e++;
		{
			char word[512];
			size_t n = (size_t)(e - p) < sizeof word - 1 ?
			    (size_t)(e - p) : sizeof word - 1;

			memcpy(word, p, n);
			word[n] = '\0';
			w = width(word);
		}
		if (col > indent && col + 1 + w > limit) {
			printf("\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		fwrite(p, 1, (size_t)(e - p), stdout);
		col += w;
		p = e;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

static void
join_list(char *buf, size_t len, size_t n,
    const char *(*get)(const feat_catalog_feature *, size_t),
    const feat_catalog_feature *f)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int k = snprintf(buf + used, len - used, "%s%s",
		    i > 0 ? ", " : "", get(f, i));

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

static void
describe_text(const feat_catalog_feature *f)
{
	const feat_catalog_group *g = feat_catalog_feature_group(f);
	char buf[4096], range[128], late[32];
	size_t used;

	printf("%s (%s)\n", feat_catalog_feature_name(f),
	    feat_catalog_feature_id(f));
	print_field("description", feat_catalog_feature_description(f));
	print_field("formula", feat_catalog_feature_formula(f));
	print_field("unit", feat_catalog_feature_unit(f));
	range_text(f, range, sizeof range);
	print_field("range", range);
	join_list(buf, sizeof buf, feat_catalog_feature_source_count(f),
	    feat_catalog_feature_source, f);
	print_field("sources", buf);
	print_field("type", feat_catalog_feature_type(f));
	print_field("category", feat_catalog_feature_category(f));
	used = (size_t)snprintf(buf, sizeof buf, "%s (entity %s, key ",
	    feat_catalog_feature_group_name(f),
	    feat_catalog_group_entity_type(g));
	for (size_t i = 0; i < feat_catalog_group_key_count(g) &&
	    used < sizeof buf; i++)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s",
		    i > 0 ? " or " : "", feat_catalog_group_key(g, i));
	if (*feat_catalog_group_key_default(g) && used < sizeof buf)
		used += (size_t)snprintf(buf + used, sizeof buf - used,
		    ", default '%s'", feat_catalog_group_key_default(g));
	if (*feat_catalog_group_window(g) && used < sizeof buf) {
		duration_text(feat_catalog_group_lateness(g), late,
		    sizeof late);
		used += (size_t)snprintf(buf + used, sizeof buf - used,
		    ", window %s, lateness %s", feat_catalog_group_window(g),
		    late);
	}
	if (used < sizeof buf)
		snprintf(buf + used, sizeof buf - used, ", by %s)",
		    feat_catalog_group_producer(g));
	print_field("group", buf);
	print_field("nullable", feat_catalog_feature_nullable(f) ? "yes" :
	    "no");
	print_field("default", feat_catalog_feature_default_text(f));
	snprintf(buf, sizeof buf, "%ld s", feat_catalog_feature_freshness(f));
	print_field("freshness", buf);
	print_field("owner", feat_catalog_feature_owner(f));
	join_list(buf, sizeof buf, feat_catalog_feature_tag_count(f),
	    feat_catalog_feature_tag, f);
	print_field("tags", buf);
	print_field("deprecated", feat_catalog_feature_deprecated(f) ? "yes" :
	    "no");
}

static void
catalog_table(const feat_catalog_feature **fs, size_t n)
{
	static const char *const head[] = {
		"ID", "NAME", "GROUP", "TYPE", "UNIT", "RANGE"
	};
	size_t w[6];
	char range[128];

	for (size_t c = 0; c < 6; c++)
		w[c] = strlen(head[c]);
	for (size_t i = 0; i < n; i++) {
		const char *col[5] = {
			feat_catalog_feature_id(fs[i]),
			feat_catalog_feature_name(fs[i]),
			feat_catalog_feature_group_name(fs[i]),
			feat_catalog_feature_type(fs[i]),
			feat_catalog_feature_unit(fs[i])
		};

		for (size_t c = 0; c < 5; c++)
			if (width(col[c]) > w[c])
				w[c] = width(col[c]);
	}
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], head[0],
	    (int)w[1], head[1], (int)w[2], head[2], (int)w[3], head[3],
	    (int)w[4], head[4], head[5]);
	for (size_t i = 0; i < n; i++) {
		const char *unit = feat_catalog_feature_unit(fs[i]);

		range_text(fs[i], range, sizeof range);
		/* %-*s pads by bytes; units may hold multi-byte text. */
		printf("%-*s  %-*s  %-*s  %-*s  %s%*s  %s%s\n", (int)w[0],
		    feat_catalog_feature_id(fs[i]), (int)w[1],
		    feat_catalog_feature_name(fs[i]), (int)w[2],
		    feat_catalog_feature_group_name(fs[i]), (int)w[3],
		    feat_catalog_feature_type(fs[i]), unit,
		    (int)(w[4] - width(unit)), "", range,
		    feat_catalog_feature_deprecated(fs[i]) ?
		    "  (deprecated)" : "");
	}
}

/* ---- NDJSON ---------------------------------------------------------------- */

static void
end_record(feat_writer *w)
{
	if (feat_writer_end_record(w) < 0)
		feat_die(FEAT_EXIT_STORE, "cannot write output: %s",
		    strerror(errno));
}

static void
close_writer(feat_writer *w)
{
	if (feat_writer_close(w) < 0)
		feat_die(FEAT_EXIT_STORE, "cannot write output: %s",
		    strerror(errno));
}

/* A feature's catalog entry plus its group's entity type. */
static void
write_feature(feat_writer *w, const feat_catalog_feature *f, int with_group)
{
	const feat_catalog_group *g = feat_catalog_feature_group(f);
	const char *et = feat_catalog_group_entity_type(g);

	feat_writer_open_object(w);
	feat_catalog_write_feature(f, w);
	feat_writer_key(w, "entity_type", 11);
	feat_writer_string(w, et, strlen(et));
	if (with_group) {
		feat_writer_key(w, "group_info", 10);
		feat_writer_open_object(w);
		feat_catalog_write_group(g, w);
		feat_writer_close_object(w);
	}
	feat_writer_close_object(w);
	end_record(w);
}

/* ---- commands ------------------------------------------------------------------ */

static int
cmd_catalog(struct query *q, char **args, int nargs)
{
	const char *pattern = nargs > 0 ? args[0] : "";
	const feat_catalog_feature **fs;
	size_t total, n = 0;

	load_catalog(q);
	total = feat_catalog_count(q->cat);
	fs = feat_xcalloc(total ? total : 1, sizeof *fs);
	for (size_t i = 0; i < total; i++) {
		const feat_catalog_feature *f = feat_catalog_nth(q->cat, i);

		if (feat_catalog_matches(f, pattern))
			fs[n++] = f;
	}
	if (n == 0) {
		free(fs);
		feat_warn("no feature matches '%s'", pattern);
		return FEAT_EXIT_NEGATIVE;
	}
	if (q->tty)
		catalog_table(fs, n);
	else {
		feat_writer *w = feat_writer_new(stdout, 0);

		for (size_t i = 0; i < n; i++)
			write_feature(w, fs[i], 0);
		close_writer(w);
	}
	free(fs);
	return FEAT_EXIT_OK;
}

static int
cmd_describe(struct query *q, char **args, int nargs)
{
	const feat_catalog_feature *f;

	(void)nargs;
	load_catalog(q);
	f = feat_catalog_find(q->cat, args[0]);
	if (f == NULL) {
		feat_warn("unknown feature '%s'", args[0]);
		return FEAT_EXIT_NEGATIVE;
	}
	if (q->tty)
		describe_text(f);
	else {
		feat_writer *w = feat_writer_new(stdout, 0);

		write_feature(w, f, 1);
		close_writer(w);
	}
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
	const char *path = args[0];
	char err[1024];
	int n;

	(void)nargs;
	n = feat_catalog_check(path, q->overlays, q->noverlays, report_problem,
	    NULL, err, sizeof err);
	if (n < 0)
		feat_die(FEAT_EXIT_USAGE, "%s", err);
	if (n > 0)
		return FEAT_EXIT_NEGATIVE;
	/* It passed every rule, so it loads: count what it holds. */
	q->catalog_path = path;
	load_catalog(q);
	printf("%s: ok: %zu feature%s in %zu group%s\n", path,
	    feat_catalog_count(q->cat),
	    feat_catalog_count(q->cat) == 1 ? "" : "s",
	    feat_catalog_group_count(q->cat),
	    feat_catalog_group_count(q->cat) == 1 ? "" : "s");
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

int
main(int argc, char **argv)
{
	struct query q = { 0 };
	const struct command *cmd;
	int c, nargs, rc;

	feat_diag_init(argv[0]);
	/* 'feat-query catalog | head' ends quietly. */
	signal(SIGPIPE, SIG_DFL);

	/* '+': options come before the command, as in git and tmux. */
	while ((c = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		switch (c) {
		case OPT_CATALOG:
			q.catalog_path = optarg;
			break;
		case OPT_OVERLAY:
			q.overlays = feat_xrealloc(q.overlays,
			    (q.noverlays + 1) * sizeof *q.overlays);
			q.overlays[q.noverlays++] = optarg;
			break;
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("feat-query (feat) %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(2);
		}
	}
	if (optind == argc) {
		/* The shell of SPEC 6 comes later; say so, not just "usage". */
		feat_warn("missing command: the interactive shell is not "
		    "available in this version");
		fputs(usage_text, stderr);
		exit(FEAT_EXIT_USAGE);
	}
	for (cmd = commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[optind]) == 0)
			break;
	if (cmd->name == NULL) {
		feat_warn("unknown command '%s'", argv[optind]);
		usage(2);
	}
	if (cmd->run == NULL)
		feat_die(FEAT_EXIT_USAGE, "command '%s' is not available in "
		    "this version", cmd->name);
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		feat_warn("wrong number of arguments for '%s': use %s %s",
		    cmd->name, cmd->name, cmd->args);
		usage(2);
	}
	if (q.catalog_path == NULL)
		q.catalog_path = feat_catalog_default_path();
	q.tty = isatty(STDOUT_FILENO);

	rc = cmd->run(&q, argv + optind + 1, nargs);
	close_output();
	feat_catalog_free(q.cat);
	free(q.overlays);
	return rc;
}
