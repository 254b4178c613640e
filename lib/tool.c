/*
 * tool.c - the tool driver: everything a feat filter does around its own
 * logic, written once.
 *
 * A tool is an option table and a stage.  feat_tool_start makes the
 * process sane (diagnostics, file descriptors 0-2, SIGPIPE, SIGINT and
 * SIGTERM), parses the common options of SPEC 2 and the tool's own from
 * one table, prints --help and --version (checking the writes) and refuses
 * usage errors with exit 2.  feat_tool_run then reads every FILE operand
 * (or stdin) through the reader, hands each line to the stage, applies the
 * --on-error policy to bad lines, and ends the run in the one order that
 * loses nothing:
 *
 *   1. the stage finishes (windows fire, summaries are computed);
 *   2. the output is flushed and checked - a failure is exit 4 and nothing
 *      below happens, so a retry starts from the old state;
 *   3. the quarantine lines staged during the run are appended to the
 *      quarantine file and synced (a failure is exit 4, and no state);
 *   4. the stage saves its state;
 *   5. the summary goes to stderr and stdout is closed, checked.
 *
 * Signals only set a flag.  The handlers are installed without SA_RESTART
 * so that a read blocked on a pipe returns; every write goes through a
 * loop that retries EINTR, so a signal never truncates a record.  A
 * stopped run ends like a finished one (the stage is told it was stopped)
 * and exits 0, or 130 after SIGINT.
 *
 * This file and feat_die are the only places in libfeat that call exit.
 */
#include "config.h"
#include "feat-private.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UNPRICED_SHOWN 10	/* unpriced events said one by one */
#define PROGRESS_EVERY_NS (FEAT_NS_PER_S / 4)

/* The common options of SPEC 2, in the order usage lists them. */
enum {
	K_MODELS = 0x1000, K_CATALOG, K_CATALOG_OVERLAY, K_ON_ERROR,
	K_MAX_LINE, K_TIME_UNIT, K_UNBUFFERED, K_LOCK_TIMEOUT, K_PROGRESS,
	K_METRICS_FILE, K_HELP = 'h', K_VERSION = 'V'
};

static const struct common {
	unsigned bit;
	struct feat_option o;
} commons[] = {
	{ FEAT_OPT_MODELS, { "models", K_MODELS, "FILE",
	    "the model catalog (default $FEAT_MODELS, else\n"
	    "the installed models.json)", 0 } },
	{ FEAT_OPT_CATALOG, { "catalog", K_CATALOG, "FILE",
	    "the feature catalog (default $FEAT_CATALOG, else\n"
	    "the installed catalog.json)", 0 } },
	{ FEAT_OPT_CATALOG_OVERLAY, { "catalog-overlay", K_CATALOG_OVERLAY,
	    "FILE", "merge the groups and features of FILE by name\n"
	    "(repeatable, applied in order)", FEAT_OPTF_REPEAT } },
	{ FEAT_OPT_ON_ERROR, { "on-error", K_ON_ERROR,
	    "fail|skip|quarantine:FILE",
	    "on a bad line: stop (exit 3, the default), skip\n"
	    "it, or append it to FILE", 0 } },
	{ FEAT_OPT_MAX_LINE, { "max-line", K_MAX_LINE, "SIZE",
	    "longest line read (default 16M; K, M, G suffixes)", 0 } },
	{ FEAT_OPT_TIME_UNIT, { "time-unit", K_TIME_UNIT, "s|ms|us|ns",
	    "unit of numeric timestamps (default s)", 0 } },
	{ FEAT_OPT_UNBUFFERED, { "unbuffered", K_UNBUFFERED, NULL,
	    "flush after every record", 0 } },
	{ FEAT_OPT_LOCK_TIMEOUT, { "lock-timeout", K_LOCK_TIMEOUT, "DURATION",
	    "wait this long for a file another run holds\n(default 30s)",
	    0 } },
	{ FEAT_OPT_PROGRESS, { "progress", K_PROGRESS, NULL,
	    "show progress on stderr when it is a terminal", 0 } },
	{ FEAT_OPT_METRICS_FILE, { "metrics-file", K_METRICS_FILE, "FILE",
	    "write Prometheus metrics to FILE, atomically", 0 } },
};
#define NCOMMONS (sizeof commons / sizeof commons[0])

static const struct feat_option help_opts[] = {
	{ "help", K_HELP, NULL, "print this help and exit", 0 },
	{ "version", K_VERSION, NULL, "print the version and exit", 0 },
};

struct feat_tool {
	const struct feat_tool_def *def;
	const struct feat_line *line;	/* being handled (events) */
	int said_waiting;	/* "waiting for the lock": once a run */
	void *ctx;
	char **operands;
	int noperands;

	/* common option values */
	const char *on_error;
	size_t max_line;
	enum feat_time_unit time_unit;
	int unbuffered, progress;
	const char *models_path, *catalog_path, *metrics_path;
	const char *command;		/* def->commands' */
	const char **overlays;
	size_t noverlays;
	int64_t lock_timeout;

	feat_clock *clock;
	feat_writer *out;
	struct ft_badlines *bad;
	feat_models *models;
	feat_catalog *catalog;

	/* the run */
	const char *file;		/* current input's name */
	unsigned long lineno;		/* current line */
	unsigned long lines, unpriced;
	uint64_t bytes_before;		/* read from the files done */
	uint64_t bytes_done, bytes_total;
	int64_t progress_at;
	int progress_shown;
	unsigned long flushes_seen;	/* the writer's, at the last commit */

	/* positions in the inputs, for a state (feat_tool_resume) */
	int tracking;
	struct feat_input_pos *resume, *pos, *saved;
	unsigned char *resumed;		/* per resume entry: matched */
	size_t nresume, npos, cappos;
	uint64_t ckpt_lines, ckpt_lines_at;
	int64_t ckpt_ns, ckpt_at;
	uint64_t skip_hash;		/* of the lines skipped so far */
	int skip_done;			/* the resumed position is met */
};

/* ---- signals ------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal, reload_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static void
on_reload(int sig)
{
	reload_signal = sig;
}

volatile sig_atomic_t *
feat_tool_reload_flag(void)
{
	return &reload_signal;
}

const volatile sig_atomic_t *
feat_tool_stop_flag(void)
{
	return &stop_signal;
}

int
feat_tool_stopping(const feat_tool *t)
{
	(void)t;
	return stop_signal != 0;
}

/* ---- messages and exits ------------------------------------------------------- */

static int
close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno ? errno : EIO;

		fclose(stdout);
		errno = e;
		return -1;
	}
	return fclose(stdout) != 0 ? -1 : 0;
}

/* Writes stdio's stdout out and exits with status, 4 when it failed. */
static void __attribute__((noreturn))
exit_checked(int status)
{
	if (close_stdout() != 0)
		feat_die(FEAT_EXIT_STORE, "cannot write output: %s",
		    strerror(errno));
	exit(status);
}

void
feat_tool_usage_error(const feat_tool *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	feat_warn("%s", msg);
	fprintf(stderr, "Try '%s --help' for more information.\n",
	    t->def->name);
	exit(FEAT_EXIT_USAGE);
}

void
feat_tool_warn_here(const feat_tool *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (t->file)
		feat_warn_at(t->file, t->lineno, "%s", msg);
	else
		feat_warn("%s", msg);
}

/* ---- usage ------------------------------------------------------------------------ */

struct wrap {
	size_t col, indent;
};

/* Appends " word" to the current usage line, wrapping at 79 columns. */
static void
put_word(struct wrap *w, const char *word)
{
	size_t n = strlen(word);

	if (w->col + 1 + n > 79 && w->col > w->indent) {
		printf("\n%*s", (int)w->indent, "");
		w->col = w->indent;
	} else {
		putchar(' ');
		w->col++;
	}
	fputs(word, stdout);
	w->col += n;
}

static void
synopsis_word(const struct feat_option *o, char *buf, size_t len)
{
	const char *rep = (o->flags & FEAT_OPTF_REPEAT) ? "..." : "";

	if ((o->flags & FEAT_OPTF_REQUIRED) && o->key > 0 && o->key < 128 &&
	    o->arg)
		snprintf(buf, len, "-%c %s%s", o->key, o->arg, rep);
	else if ((o->flags & FEAT_OPTF_REQUIRED) && o->arg)
		snprintf(buf, len, "--%s %s%s", o->name, o->arg, rep);
	else if (o->key > 0 && o->key < 128 && o->arg)
		snprintf(buf, len, "[-%c %s]%s", o->key, o->arg, rep);
	else if (o->key > 0 && o->key < 128)
		snprintf(buf, len, "[-%c]%s", o->key, rep);
	else if (o->arg)
		snprintf(buf, len, "[--%s %s]%s", o->name, o->arg, rep);
	else
		snprintf(buf, len, "[--%s]%s", o->name, rep);
}

/* The synopsis of the first form: every option in table order. */
static void
print_synopsis(const feat_tool *t)
{
	const struct feat_tool_def *d = t->def;
	struct wrap w = { 0, strlen("usage: ") + strlen(d->name) + 1 };
	char word[256];

	printf("usage: %s", d->name);
	w.col = w.indent - 1;
	for (const struct feat_option *o = d->options; o && o->name; o++) {
		if (o->flags & FEAT_OPTF_OWN_FORM)
			continue;
		synopsis_word(o, word, sizeof word);
		put_word(&w, word);
	}
	for (size_t i = 0; i < NCOMMONS; i++) {
		if (!(d->common & commons[i].bit))
			continue;
		synopsis_word(&commons[i].o, word, sizeof word);
		put_word(&w, word);
	}
	if (d->operands)
		put_word(&w, d->operands);	/* never split */
	putchar('\n');
	for (const char *const *f = d->forms; f && *f; f++) {
		char buf[1024], *p, *save = NULL;

		printf("       %s", d->name);
		w.col = w.indent - 1;
		snprintf(buf, sizeof buf, "%s", *f);
		for (p = strtok_r(buf, " ", &save); p;
		    p = strtok_r(NULL, " ", &save))
			put_word(&w, p);
		putchar('\n');
	}
}

/* "  -g, --groups GROUPS      help", continuation lines aligned. */
static void
print_option(const struct feat_option *o)
{
	char head[128];
	const char *h = o->help ? o->help : "";
	int n;

	if (o->key > 0 && o->key < 128)
		n = snprintf(head, sizeof head, "  -%c, --%s%s%s", o->key,
		    o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	else
		n = snprintf(head, sizeof head, "      --%s%s%s", o->name,
		    o->arg ? " " : "", o->arg ? o->arg : "");
	fputs(head, stdout);
	if (n >= 27) {
		printf("\n%27s", "");
	} else
		printf("%*s", 27 - n, "");
	for (;;) {
		const char *nl = strchr(h, '\n');

		if (nl == NULL) {
			printf("%s\n", h);
			break;
		}
		printf("%.*s\n%27s", (int)(nl - h), h, "");
		h = nl + 1;
	}
}

static void __attribute__((noreturn))
help(const feat_tool *t)
{
	const struct feat_tool_def *d = t->def;

	print_synopsis(t);
	if (d->description)
		printf("\n%s\n", d->description);
	putchar('\n');
	for (const struct feat_option *o = d->options; o && o->name; o++)
		print_option(o);
	for (size_t i = 0; i < NCOMMONS; i++)
		if (d->common & commons[i].bit)
			print_option(&commons[i].o);
	print_option(&help_opts[0]);
	print_option(&help_opts[1]);
	if (d->trailer)
		printf("\n%s", d->trailer);
	exit_checked(FEAT_EXIT_OK);
}

/* ---- start ---------------------------------------------------------------------------- */

/*
 * fds 0-2 open, so that no file the tool opens becomes its stdout.  A
 * closed one gets /dev/null opened the wrong way round: reading a closed
 * stdin and writing a closed stdout then fail with EBADF, as they would
 * have, instead of silently succeeding.
 */
static void
sane_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
			abort();
	}
}

static int
parse_time_unit(const char *s, enum feat_time_unit *u)
{
	static const struct {
		const char *name;
		enum feat_time_unit unit;
	} units[] = {
		{ "s", FEAT_TIME_S }, { "ms", FEAT_TIME_MS },
		{ "us", FEAT_TIME_US }, { "ns", FEAT_TIME_NS }
	};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(s, units[i].name) == 0) {
			*u = units[i].unit;
			return 0;
		}
	return -1;
}

static void
common_option(feat_tool *t, int key, const char *arg)
{
	char msg[256];

	switch (key) {
	case K_MODELS:
		t->models_path = arg;
		break;
	case K_CATALOG:
		t->catalog_path = arg;
		break;
	case K_CATALOG_OVERLAY:
		t->overlays = feat_xrealloc(t->overlays, (t->noverlays + 1) *
		    sizeof *t->overlays);
		t->overlays[t->noverlays++] = arg;
		break;
	case K_ON_ERROR:
		if (strcmp(arg, "fail") != 0 && strcmp(arg, "skip") != 0 &&
		    !(strncmp(arg, "quarantine:", 11) == 0 && arg[11]))
			feat_tool_usage_error(t, "invalid --on-error '%s': use "
			    "fail, skip or quarantine:FILE", arg);
		t->on_error = arg;
		break;
	case K_MAX_LINE:
		/* Bounded: line lengths are held in 32 bits. */
		if (feat_parse_size(arg, &t->max_line) < 0 ||
		    t->max_line == 0 || t->max_line > FEAT_MAX_LINE_MAX)
			feat_tool_usage_error(t, "invalid --max-line '%s': 1 to "
			    "1G bytes", arg);
		break;
	case K_TIME_UNIT:
		if (parse_time_unit(arg, &t->time_unit) < 0)
			feat_tool_usage_error(t, "invalid --time-unit '%s': use "
			    "s, ms, us or ns", arg);
		break;
	case K_UNBUFFERED:
		t->unbuffered = 1;
		break;
	case K_LOCK_TIMEOUT:
		if (feat_parse_duration_option("lock-timeout", arg, 0,
		    INT64_MAX, "30s", &t->lock_timeout, msg, sizeof msg) < 0)
			feat_tool_usage_error(t, "%s", msg);
		break;
	case K_PROGRESS:
		t->progress = 1;
		break;
	case K_METRICS_FILE:
		t->metrics_path = arg;
		break;
	}
}

/* Builds getopt's tables from the tool's options and its commons. */
static void
build_getopt(const feat_tool *t, struct option **lopts, char **sopts)
{
	const struct feat_tool_def *d = t->def;
	size_t n = 0, cap = NCOMMONS + 3, s = 0;
	char *so;

	for (const struct feat_option *o = d->options; o && o->name; o++)
		cap++;
	*lopts = feat_xcalloc(cap, sizeof **lopts);
	so = feat_xmalloc(cap * 2 + 4);
	if (d->flags & FEAT_TOOL_COMMAND)
		so[s++] = '+';	/* options stop at the command */
	so[s++] = ':';		/* a missing argument is ':', not '?' */
#define ADD(o) do {							\
	(*lopts)[n].name = (o)->name;					\
	(*lopts)[n].has_arg = (o)->arg ? required_argument : no_argument; \
	(*lopts)[n].val = (o)->key;					\
	n++;								\
	if ((o)->key > 0 && (o)->key < 128) {				\
		so[s++] = (char)(o)->key;				\
		if ((o)->arg)						\
			so[s++] = ':';					\
	}								\
} while (0)
	for (const struct feat_option *o = d->options; o && o->name; o++)
		ADD(o);
	for (size_t i = 0; i < NCOMMONS; i++)
		if (d->common & commons[i].bit)
			ADD(&commons[i].o);
	ADD(&help_opts[0]);
	ADD(&help_opts[1]);
#undef ADD
	so[s] = '\0';
	*sopts = so;
}

/* An abbreviation that more than one long option starts with. */
static int
ambiguous(const struct option *lopts, const char *arg)
{
	size_t n;
	int hits = 0;

	if (strncmp(arg, "--", 2) != 0)
		return 0;
	arg += 2;
	n = strcspn(arg, "=");
	for (; lopts->name; lopts++)
		if (strncmp(lopts->name, arg, n) == 0)
			hits++;
	return hits > 1;
}

static int
is_common_key(int key)
{
	return key >= K_MODELS && key <= K_METRICS_FILE;
}

/* SPEC 2: "input file is output file" is refused, as cat(1) does. */
static void
check_not_output(feat_tool *t, const char *path, const struct stat *in)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_dev == in->st_dev && st.st_ino == in->st_ino)
		feat_die(FEAT_EXIT_USAGE, "input file '%s' is the output file",
		    path);
	if (t->bad && ft_badlines_same_file(t->bad, in))
		feat_die(FEAT_EXIT_USAGE, "input file '%s' is the quarantine "
		    "file", path);
}

static void
check_inputs(feat_tool *t)
{
	struct stat st;

	/* The quarantine must not be the output either: their writes would
	 * overwrite each other. */
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    ft_badlines_same_file(t->bad, &st))
		feat_die(FEAT_EXIT_USAGE, "the quarantine file '%s' is the "
		    "output file", ft_badlines_path(t->bad));

	if (t->def->flags & FEAT_TOOL_COMMAND)
		return;
	if (t->noperands == 0) {
		if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
			check_not_output(t, "<stdin>", &st);
		return;
	}
	for (int i = 0; i < t->noperands; i++) {
		const char *p = t->operands[i];

		if (strcmp(p, "-") == 0) {
			if (fstat(STDIN_FILENO, &st) == 0 &&
			    S_ISREG(st.st_mode))
				check_not_output(t, "<stdin>", &st);
			continue;
		}
		/*
		 * Every operand is looked at before anything is read, so that
		 * a missing one is a usage error before any output (a FIFO is
		 * not opened here: that would wait for its writer).
		 */
		if (stat(p, &st) != 0 || (!S_ISDIR(st.st_mode) &&
		    access(p, R_OK) != 0))
			feat_die(FEAT_EXIT_USAGE, "cannot open '%s': %s", p,
			    strerror(errno));
		if (S_ISDIR(st.st_mode))
			feat_die(FEAT_EXIT_USAGE, "cannot open '%s': %s", p,
			    strerror(EISDIR));
		if (S_ISREG(st.st_mode))
			check_not_output(t, p, &st);
	}
}

feat_tool *
feat_tool_start(const struct feat_tool_def *def, int argc, char **argv,
    void *ctx)
{
	feat_tool *t = feat_xcalloc(1, sizeof *t);
	struct option *lopts;
	char *sopts, err[1024];
	struct sigaction sa;
	int c;

	sane_fds();
	feat_diag_init(def->name);
	t->def = def;
	t->ctx = ctx;
	t->on_error = "fail";
	t->max_line = FEAT_MAX_LINE_DEFAULT;
	t->time_unit = FEAT_TIME_S;
	t->lock_timeout = 30 * FEAT_NS_PER_S;
	/* A pure filter ends quietly when the pipe downstream closes. */
	signal(SIGPIPE, (def->flags & FEAT_TOOL_SERVER) ? SIG_IGN : SIG_DFL);

	build_getopt(t, &lopts, &sopts);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *a = argv[optind - 1];

			if (c == ':')
				feat_tool_usage_error(t, "option '%s' needs an "
				    "argument", a);
			if (optopt > 0 && optopt < 128 && a[0] == '-' &&
			    a[1] != '-')
				feat_tool_usage_error(t, "unknown option '-%c'",
				    optopt);
			if (ambiguous(lopts, a))
				feat_tool_usage_error(t, "option '%s' is "
				    "ambiguous: give more of its name", a);
			feat_tool_usage_error(t, "unknown option '%s'", a);
		}
		if (c == K_HELP)
			help(t);
		if (c == K_VERSION) {
			printf("%s (feat) %s\n", def->name, PACKAGE_VERSION);
			exit_checked(FEAT_EXIT_OK);
		}
		if (is_common_key(c)) {
			common_option(t, c, optarg);
			continue;
		}
		err[0] = '\0';
		if (def->option == NULL ||
		    def->option(ctx, c, optarg, err, sizeof err) < 0)
			feat_tool_usage_error(t, "%s", err[0] ? err :
			    "invalid option");
	}
	free(lopts);
	free(sopts);
	t->operands = argv + optind;
	t->noperands = argc - optind;
	if (def->commands) {
		size_t i;

		if (t->noperands == 0)
			feat_tool_usage_error(t, "give a command: %s%s%s",
			    def->commands[0], def->commands[1] ? " or " : "",
			    def->commands[1] ? def->commands[1] : "");
		for (i = 0; def->commands[i]; i++)
			if (strcmp(def->commands[i], t->operands[0]) == 0)
				break;
		if (def->commands[i] == NULL)
			feat_tool_usage_error(t, "unknown command '%s'",
			    t->operands[0]);
		t->command = def->commands[i];
		t->operands++;
		t->noperands--;
	}

	t->clock = feat_clock_new(err, sizeof err);
	if (t->clock == NULL)
		feat_die(FEAT_EXIT_USAGE, "%s", err);
	/* A tool without --on-error still has the policy: fail. */
	t->bad = ft_badlines_new(t->on_error, err, sizeof err);
	if (t->bad == NULL)
		feat_die(FEAT_EXIT_USAGE, "%s", err);
	check_inputs(t);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: blocked reads return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (def->flags & FEAT_TOOL_SERVER) {
		sa.sa_handler = on_reload;
		sigaction(SIGHUP, &sa, NULL);
	}
	return t;
}

/* ---- what the tool asks of the driver ------------------------------------------------- */

const char *
feat_tool_command(const feat_tool *t)
{
	return t->command;
}

int
feat_same_file(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 &&
	    x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* The directory of path resolved (links, "..") and its last part: where
   a file not made yet will be.  0, or -1 when the directory is not. */
static int
resolved(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	char dir[4096], *real;
	int n;

	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if ((real = realpath(dir, NULL)) == NULL)
		return -1;
	n = snprintf(out, len, "%s/%s", real, slash ? slash + 1 : path);
	free(real);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void
feat_tool_check_distinct(const feat_tool *t, const char *a,
    const char *opt_a, const char *b, const char *opt_b)
{
	char ra[8192], rb[8192];

	if (a == NULL || b == NULL)
		return;
	/* Two spellings of one file not made yet are one file too. */
	if (strcmp(a, b) == 0 || feat_same_file(a, b) ||
	    (resolved(a, ra, sizeof ra) == 0 && resolved(b, rb,
	    sizeof rb) == 0 && strcmp(ra, rb) == 0))
		feat_tool_usage_error(t, "%s and %s name the same file '%s'",
		    opt_a, opt_b, a);
}

int
feat_tool_unbuffered(const feat_tool *t)
{
	return t->unbuffered;
}

void
feat_tool_check_written(const feat_tool *t, const char *path,
    const char *option)
{
	struct stat w, st;

	if (stat(path, &w) != 0 || !S_ISREG(w.st_mode))
		return;		/* made by the run, or a device */
	if (fstat(STDOUT_FILENO, &st) == 0 && st.st_dev == w.st_dev &&
	    st.st_ino == w.st_ino)
		feat_die(FEAT_EXIT_USAGE, "the %s file '%s' is the output "
		    "file", option, path);
	if (t->bad && ft_badlines_same_file(t->bad, &w))
		feat_die(FEAT_EXIT_USAGE, "the %s file '%s' is the "
		    "quarantine file", option, path);
	if (t->noperands == 0 && fstat(STDIN_FILENO, &st) == 0 &&
	    st.st_dev == w.st_dev && st.st_ino == w.st_ino)
		feat_die(FEAT_EXIT_USAGE, "the %s file '%s' is the input",
		    option, path);
	for (int i = 0; i < t->noperands; i++) {
		const char *p = t->operands[i];

		if (strcmp(p, "-") == 0 ? fstat(STDIN_FILENO, &st) != 0 :
		    stat(p, &st) != 0)
			continue;
		if (st.st_dev == w.st_dev && st.st_ino == w.st_ino)
			feat_die(FEAT_EXIT_USAGE, "the %s file '%s' is the "
			    "input file '%s'", option, path, p);
	}
}

char **
feat_tool_operands(const feat_tool *t, int *n)
{
	*n = t->noperands;
	return t->operands;
}

size_t
feat_tool_max_line(const feat_tool *t)
{
	return t->max_line;
}

enum feat_time_unit
feat_tool_time_unit(const feat_tool *t)
{
	return t->time_unit;
}

const feat_clock *
feat_tool_clock(const feat_tool *t)
{
	return t->clock;
}

feat_models *
feat_tool_models(feat_tool *t)
{
	char err[1024];

	/*
	 * Opened when the tool first asks, before any output, so that a
	 * missing catalog is said at once; read when the first event names
	 * a model.
	 */
	if (t->models == NULL && (t->def->common & FEAT_OPT_MODELS)) {
		t->models = feat_models_open(t->models_path, err, sizeof err);
		if (t->models == NULL)
			feat_die(FEAT_EXIT_USAGE, "%s", err);
	}
	return t->models;
}

const char *
feat_tool_metrics_path(const feat_tool *t)
{
	return t->metrics_path;
}

feat_writer *
feat_tool_output(feat_tool *t)
{
	if (t->out == NULL)
		t->out = feat_writer_new(STDOUT_FILENO, t->unbuffered);
	return t->out;
}

feat_catalog *
feat_tool_catalog(feat_tool *t)
{
	char err[1024];
	const char *path;

	if (t->catalog)
		return t->catalog;
	path = t->catalog_path ? t->catalog_path : feat_catalog_default_path();
	t->catalog = feat_catalog_load(path, err, sizeof err);
	if (t->catalog == NULL)
		feat_die(FEAT_EXIT_USAGE, "%s", err);
	for (size_t i = 0; i < t->noverlays; i++)
		if (feat_catalog_overlay(t->catalog, t->overlays[i], err,
		    sizeof err) < 0)
			feat_die(FEAT_EXIT_USAGE, "%s", err);
	return t->catalog;
}

const char *
feat_tool_catalog_path(const feat_tool *t)
{
	return t->catalog_path ? t->catalog_path : feat_catalog_default_path();
}

static void
say_waiting(void *tool, const char *lockpath)
{
	feat_tool *t = tool;

	/* Once a run: a writer takes a store's lock for every batch. */
	if (t->said_waiting++)
		return;
	feat_warn("waiting for '%s': another run holds it", lockpath);
}

struct feat_lock_wait
feat_tool_lock_wait(feat_tool *t)
{
	struct feat_lock_wait w = { t->lock_timeout, say_waiting, t,
	    &stop_signal };

	return w;
}

const char *const *
feat_tool_catalog_overlays(const feat_tool *t, size_t *n)
{
	*n = t->noverlays;
	return t->overlays;
}

/* ---- progress --------------------------------------------------------------------------- */

static void
progress(feat_tool *t, int last)
{
	int64_t now = feat_clock_mono();
	char line[160];
	int n;

	if (!t->progress || !isatty(STDERR_FILENO))
		return;
	if (!last && now - t->progress_at < PROGRESS_EVERY_NS)
		return;
	if (t->progress_at == 0 && !last) {
		t->progress_at = now;
		return;
	}
	t->progress_at = now;
	n = snprintf(line, sizeof line, "\r%s: %lu lines, %.1f MB",
	    t->def->name, t->lines, (double)t->bytes_done / 1e6);
	if (t->bytes_total > 0 && n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, " (%.0f%%)",
		    100.0 * (double)t->bytes_done / (double)t->bytes_total);
	if (n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n, "%s",
		    last ? "\n" : "\033[K");
	fputs(line, stderr);
	t->progress_shown = 1;
}

/* ---- the run ------------------------------------------------------------------------------- */

/*
 * Ends the run: steps 2-5 of the file comment.  stopped_bad is set when a
 * bad line under --on-error=fail ends the run: the output so far is
 * flushed, but neither the state nor a quarantine is committed.
 */
static int
end_run(feat_tool *t, const struct feat_tool_stage *st, void *ctx,
    int status)
{
	char err[1024];
	int out_ok = 1;

	if (t->progress_shown)
		progress(t, 1);
	if (t->out && feat_writer_flush(t->out) < 0) {
		if (status != FEAT_EXIT_STORE)
			feat_warn("cannot write output: %s",
			    feat_writer_error(t->out));
		status = FEAT_EXIT_STORE;
		out_ok = 0;
	}
	feat_writer_close(t->out);
	t->out = NULL;
	/* The quarantined lines before the state that counts them read: a
	   failure between the two quarantines a line twice, never none. */
	if (t->bad && out_ok && status == FEAT_EXIT_OK &&
	    ft_badlines_commit(t->bad, err, sizeof err) < 0) {
		feat_warn("%s", err);
		status = FEAT_EXIT_STORE;
	}
	if (out_ok && status == FEAT_EXIT_OK && st && st->save) {
		struct feat_error e = { 0 };
		struct stat sb;

		/*
		 * The state says what the output holds: output that is a file
		 * reaches the disk first, so that a power loss cannot leave a
		 * state newer than its records.
		 */
		if (fstat(STDOUT_FILENO, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    fsync(STDOUT_FILENO) != 0 && errno != EINVAL) {
			feat_warn("cannot write output: %s", strerror(errno));
			status = FEAT_EXIT_STORE;
			goto saved;
		}
		if (st->save(ctx, &e) < 0) {
			feat_warn("%s", e.reason);
			status = FEAT_EXIT_STORE;
		}
	}
saved:
	if (st && st->summary)
		st->summary(ctx);
	if (t->bad && ft_badlines_count(t->bad) > 0 &&
	    ft_badlines_mode(t->bad) != FEAT_ONERROR_FAIL) {
		unsigned long n = ft_badlines_count(t->bad);

		if (ft_badlines_mode(t->bad) == FEAT_ONERROR_SKIP)
			feat_warn("%lu bad line%s skipped", n,
			    n == 1 ? "" : "s");
		else if (ft_badlines_committed(t->bad))
			feat_warn("%lu bad line%s written to '%s'", n,
			    n == 1 ? "" : "s", ft_badlines_path(t->bad));
		else
			feat_warn("%lu bad line%s not written to '%s'", n,
			    n == 1 ? "" : "s", ft_badlines_path(t->bad));
	}
	if (close_stdout() != 0 && status != FEAT_EXIT_STORE) {
		feat_warn("cannot write output: %s", strerror(errno));
		status = FEAT_EXIT_STORE;
	}
	if (status == FEAT_EXIT_OK && stop_signal == SIGINT)
		status = 130;
	else if (status == FEAT_EXIT_OK && st && st->negative &&
	    st->negative(ctx))
		status = FEAT_EXIT_NEGATIVE;
	return status;
}

/* A bad line by the policy: 0 to go on, else the exit status. */
static int
bad_line(feat_tool *t, const struct feat_line *line, const char *reason)
{
	char err[1024];
	int rc = ft_badlines_add(t->bad, t->file, line->lineno, reason,
	    line->text, line->len, line->bytes, err, sizeof err);

	if (rc == 0)
		return 0;
	if (rc > 0) {
		feat_warn_at(t->file, line->lineno, "%s", reason);
		return FEAT_EXIT_BADINPUT;
	}
	feat_warn("%s", err);
	return FEAT_EXIT_STORE;
}

/*
 * A tool without a state commits its quarantine lines as its output goes
 * out: whenever the writer has flushed since the last commit.  (A tool
 * with a state commits them with the state, at the end or a checkpoint.)
 */
static void
commit_follows_output(feat_tool *t)
{
	char err[1024];
	unsigned long f;

	if (t->bad == NULL || !ft_badlines_pending(t->bad))
		return;
	f = t->out ? feat_writer_flushes(t->out) : 0;
	if (t->out && f == t->flushes_seen)
		return;
	t->flushes_seen = f;
	/* A failure keeps the lines staged: the end of the run says it. */
	ft_badlines_commit(t->bad, err, sizeof err);
}

/* ---- positions and checkpoints ---------------------------------------------------------- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/*
 * FNV-1a 64 taken eight bytes (little-endian) at a time, then byte by
 * byte: a hash of what was read that keeps up with the reader.
 */
static uint64_t
fnv_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w = 0;

		for (int b = 0; b < 8; b++)
			w |= (uint64_t)s[i + b] << (8 * b);
		h = (h ^ w) * FNV_PRIME;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ s[i]) * FNV_PRIME;
	return h;
}

void
feat_tool_resume(feat_tool *t, const struct feat_input_pos *pos, size_t n)
{
	t->tracking = 1;
	if (n > FEAT_INPUT_POS_MAX)
		n = FEAT_INPUT_POS_MAX;
	free(t->resume);
	free(t->resumed);
	t->resume = feat_xmalloc((n ? n : 1) * sizeof *t->resume);
	if (n > 0)
		memcpy(t->resume, pos, n * sizeof *pos);
	t->resumed = feat_xcalloc(n ? n : 1, 1);
	t->nresume = n;
}

const struct feat_input_pos *
feat_tool_positions(feat_tool *t, size_t *n)
{
	size_t k = 0;

	free(t->saved);
	t->saved = feat_xmalloc((t->npos + t->nresume + 1) *
	    sizeof *t->saved);
	/* The newest first: this run's last input, back to its first. */
	for (size_t i = t->npos; i-- > 0 && k < FEAT_INPUT_POS_MAX;)
		t->saved[k++] = t->pos[i];
	for (size_t i = 0; i < t->nresume && k < FEAT_INPUT_POS_MAX; i++)
		if (!t->resumed[i])
			t->saved[k++] = t->resume[i];
	*n = k;
	return t->saved;
}

int
feat_trim_torn_line(int out, const char *what)
{
	char buf[4096], self[64];
	struct stat sb;
	off_t at, cut = 0;
	int fd;

	if (fstat(out, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
		return 0;
	/* The descriptor may be write-only: read the file through it. */
	snprintf(self, sizeof self, "/proc/self/fd/%d", out);
	if ((fd = open(self, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	for (at = sb.st_size; at > 0 && cut == 0;) {
		size_t n = at < (off_t)sizeof buf ? (size_t)at : sizeof buf;
		ssize_t r = pread(fd, buf, n, at - (off_t)n);

		if (r != (ssize_t)n)
			break;
		if (at == sb.st_size && buf[n - 1] == '\n')
			break;		/* whole lines: nothing to do */
		at -= (off_t)n;
		for (size_t i = n; i-- > 0;)
			if (buf[i] == '\n') {
				cut = at + (off_t)i + 1;
				break;
			}
		if (at == 0 && cut == 0)
			cut = -1;	/* no line end at all: the whole file */
	}
	close(fd);
	if (cut == 0)
		return 0;
	if (cut < 0)
		cut = 0;
	if (ftruncate(out, cut) != 0)
		return -1;
	/* A descriptor shared without O_APPEND ({ a; b; } > out) would
	   write past a hole: it goes on at the new end. */
	if (!(fcntl(out, F_GETFL) & O_APPEND))
		(void)lseek(out, cut, SEEK_SET);
	feat_warn("%s ended in a line cut short (%lld bytes, of a run killed "
	    "while writing it): removed, the line comes again whole", what,
	    (long long)(sb.st_size - cut));
	return 1;
}

void
feat_tool_checkpoint_every(feat_tool *t, uint64_t lines, int64_t ns)
{
	t->tracking = 1;
	t->ckpt_lines = lines;
	t->ckpt_ns = ns;
	t->ckpt_at = feat_clock_mono();
}

/*
 * A checkpoint: what the output holds goes out (to the disk, when it is
 * a file) before the state that says so, as at the end of a run.  0, or
 * the exit status of a failure.
 */
static int
checkpoint(feat_tool *t, const struct feat_tool_stage *st, void *ctx)
{
	struct feat_error e = { 0 };
	struct stat sb;
	char err[1024];

	t->ckpt_lines_at = t->lines;
	t->ckpt_at = feat_clock_mono();
	if (st->save == NULL)
		return 0;
	if (t->out && feat_writer_flush(t->out) < 0) {
		feat_warn("cannot write output: %s", feat_writer_error(t->out));
		return FEAT_EXIT_STORE;
	}
	if (fstat(STDOUT_FILENO, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    fsync(STDOUT_FILENO) != 0 && errno != EINVAL) {
		feat_warn("cannot write output: %s", strerror(errno));
		return FEAT_EXIT_STORE;
	}
	if (t->bad && ft_badlines_commit(t->bad, err, sizeof err) < 0) {
		feat_warn("%s", err);
		return FEAT_EXIT_STORE;
	}
	if (st->save(ctx, &e) < 0) {
		feat_warn("%s", e.reason);
		return FEAT_EXIT_STORE;
	}
	return 0;
}

static int
checkpoint_due(const feat_tool *t)
{
	if (t->ckpt_lines > 0 && t->lines - t->ckpt_lines_at >= t->ckpt_lines)
		return 1;
	return t->ckpt_ns > 0 && (t->lines & 63) == 0 &&
	    feat_clock_mono() - t->ckpt_at >= t->ckpt_ns;
}

static int
blanks(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* The line, consumed, into its input's position. */
static void
track_line(struct feat_input_pos *p, const struct feat_line *line)
{
	p->lines = line->lineno;
	p->prev_hash = p->hash;
	p->bytes += line->bytes + 1;
	p->hash = fnv_more(fnv_more(p->hash, line->text, line->len), "\n", 1);
	p->tail_len = line->unterminated ? line->len : 0;
	p->tail_hash = line->unterminated ? fnv_more(FNV_OFFSET, line->text,
	    line->len) : 0;
}

/*
 * Tracks the line in its input's position: 1 when it was consumed by a
 * run before (skip it), 0 to handle it, or the exit status when the input
 * is not the one the state saw.  While it skips, the input's position is
 * the one resumed (a run stopped then saves it as it was), and the lines
 * skipped are hashed apart, to be checked against it.
 */
static int
track(feat_tool *t, const struct feat_line *line, struct feat_input_pos **cur,
    const struct feat_input_pos **res)
{
	struct feat_input_pos *p;

	if (*cur == NULL) {
		uint64_t first = fnv_more(FNV_OFFSET, line->text, line->len);

		if (t->npos == t->cappos) {
			t->cappos = t->cappos ? 2 * t->cappos : 8;
			t->pos = feat_xrealloc(t->pos, t->cappos *
			    sizeof *t->pos);
		}
		p = &t->pos[t->npos++];
		memset(p, 0, sizeof *p);
		p->first = first;
		p->hash = FNV_OFFSET;
		*res = NULL;
		for (size_t i = 0; i < t->nresume; i++)
			if (!t->resumed[i] && t->resume[i].first == first &&
			    t->resume[i].lines > 0) {
				t->resumed[i] = 1;
				*res = &t->resume[i];
				*p = **res;
				t->skip_hash = FNV_OFFSET;
				t->skip_done = 0;
				break;
			}
		*cur = p;
	}
	p = *cur;
	if (*res != NULL && !t->skip_done) {
		const struct feat_input_pos *rp = *res;
		uint64_t before = t->skip_hash;

		if (line->lineno > rp->lines)
			goto differ;	/* the last line read is gone */
		t->skip_hash = fnv_more(fnv_more(t->skip_hash, line->text,
		    line->len), "\n", 1);
		if (line->lineno < rp->lines)
			return 1;
		t->skip_done = 1;
		if (t->skip_hash == rp->hash) {
			if (!line->unterminated)
				p->tail_len = p->tail_hash = 0;
			feat_warn("'%s': %lu line%s read before (the state), "
			    "skipped", t->file, line->lineno,
			    line->lineno == 1 ? "" : "s");
			return 1;
		}
		/* The last line read had no line end yet, and the writer
		   has finished it since: it is read again, whole - unless
		   all it gained is blanks (it was whole already). */
		if (rp->tail_len == 0 || before != rp->prev_hash ||
		    line->len < rp->tail_len || fnv_more(FNV_OFFSET,
		    line->text, rp->tail_len) != rp->tail_hash)
			goto differ;
		p->hash = rp->prev_hash;
		p->bytes = rp->bytes >= rp->tail_len + 1 ? rp->bytes -
		    rp->tail_len - 1 : 0;
		if (blanks(line->text + rp->tail_len, line->len -
		    rp->tail_len)) {
			track_line(p, line);
			feat_warn("'%s': %lu line%s read before (the state), "
			    "skipped", t->file, line->lineno,
			    line->lineno == 1 ? "" : "s");
			return 1;
		}
		feat_warn("'%s': line %lu was read unfinished before (the "
		    "state); read again, whole", t->file, line->lineno);
	}
	track_line(p, line);
	return 0;
differ:
	feat_warn("'%s' is not the input the state saw: its first %lu lines "
	    "differ from those read before; remove the state to read it "
	    "afresh", t->file, (unsigned long)(*res)->lines);
	return FEAT_EXIT_USAGE;
}

/* Maps a stage's failure to an exit status, saying why. */
static int
failure(feat_tool *t, const struct feat_error *e)
{
	if (e->code == FEAT_ERR_STOPPED)
		return FEAT_EXIT_OK;	/* 130 after SIGINT, at the end */
	if (e->code == FEAT_ERR_OUTPUT) {
		feat_warn("cannot write output: %s", t->out ?
		    feat_writer_error(t->out) : e->reason);
		return FEAT_EXIT_STORE;
	}
	feat_warn("%s", e->reason);
	return e->code == FEAT_ERR_USAGE ? FEAT_EXIT_USAGE : FEAT_EXIT_STORE;
}

static int
run_file(feat_tool *t, const char *path, const struct feat_tool_stage *st,
    void *ctx)
{
	struct feat_reader_opts ro = { 0 };
	struct feat_input_pos *cur = NULL;
	const struct feat_input_pos *res = NULL;
	struct feat_line line;
	struct feat_error e;
	feat_reader *r;
	int rc, skip, status = 0;

	ro.max_line = t->max_line;
	ro.stop = &stop_signal;
	ro.idle = st->idle ? st->idle_ns : 0;
	r = feat_reader_open(path, &ro);
	if (r == NULL && stop_signal)
		return 0;	/* a FIFO's open waited, and a signal came */
	if (r == NULL) {
		feat_warn("cannot open '%s': %s", path, strerror(errno));
		return FEAT_EXIT_USAGE;
	}
	t->file = feat_reader_name(r);
	t->bytes_total += feat_reader_size(r);
	while ((rc = feat_reader_next(r, &line)) == FEAT_READ_LINE ||
	    rc == FEAT_READ_IDLE) {
		if (rc == FEAT_READ_IDLE) {
			memset(&e, 0, sizeof e);
			if (st->idle(ctx, &e) < 0) {
				status = failure(t, &e);
				break;
			}
			if (t->tracking && (t->ckpt_ns > 0 || t->ckpt_lines > 0) &&
			    t->lines != t->ckpt_lines_at &&
			    (status = checkpoint(t, st, ctx)) != 0)
				break;
			continue;
		}
		/* (A checkpoint between lines: the one before is done, this
		   one not begun.) */
		if (t->tracking && checkpoint_due(t) &&
		    (status = checkpoint(t, st, ctx)) != 0)
			break;
		if (t->tracking && (skip = track(t, &line, &cur, &res)) != 0) {
			if (skip == 1)
				continue;
			status = skip;
			break;
		}
		t->lineno = line.lineno;
		t->lines++;
		if ((t->lines & 1023) == 0) {
			t->bytes_done = t->bytes_before +
			    feat_reader_offset(r);
			progress(t, 0);
		}
		if (line.reason) {
			if ((status = bad_line(t, &line, line.reason)) != 0)
				break;
			continue;
		}
		memset(&e, 0, sizeof e);
		if (st->line(ctx, &line, &e) == 0) {
			if (st->save == NULL)
				commit_follows_output(t);
			continue;
		}
		if (e.code < FEAT_ERR_OUTPUT) {
			if ((status = bad_line(t, &line, e.reason)) != 0)
				break;
			continue;
		}
		status = failure(t, &e);
		break;
	}
	if (rc == FEAT_READ_ERROR && status == 0) {
		feat_warn("cannot read '%s': %s", t->file,
		    feat_reader_error(r));
		status = FEAT_EXIT_STORE;
	}
	if (rc == FEAT_READ_END && status == 0 && res &&
	    feat_reader_lineno(r) < res->lines) {
		feat_warn("'%s' is not the input the state saw: it has %lu "
		    "lines, %lu were read before; remove the state to read it "
		    "afresh", t->file, feat_reader_lineno(r),
		    (unsigned long)res->lines);
		status = FEAT_EXIT_USAGE;
	}
	t->bytes_before += feat_reader_offset(r);
	t->bytes_done = t->bytes_before;
	feat_reader_close(r);
	t->file = NULL;
	return status;
}

int
feat_tool_run(feat_tool *t, const struct feat_tool_stage *st, void *ctx)
{
	struct feat_error e;
	int status = 0;

	t->progress_at = 0;
	if (t->noperands == 0)
		status = run_file(t, "-", st, ctx);
	for (int i = 0; i < t->noperands && status == 0 && !stop_signal; i++)
		status = run_file(t, t->operands[i], st, ctx);
	if (status == 0 && st->finish) {
		memset(&e, 0, sizeof e);
		if (st->finish(ctx, stop_signal != 0, &e) < 0)
			status = failure(t, &e);
	}
	return end_run(t, st, ctx, status);
}

int
feat_tool_end(feat_tool *t, int status)
{
	return end_run(t, NULL, NULL, status);
}

int
feat_tool_fail(feat_tool *t, const struct feat_error *e)
{
	return end_run(t, NULL, NULL, failure(t, e));
}

void
feat_tool_free(feat_tool *t)
{
	if (t == NULL)
		return;
	if (t->out)
		feat_writer_close(t->out);
	ft_badlines_free(t->bad);
	free(t->resume);
	free(t->resumed);
	free(t->pos);
	free(t->saved);
	feat_models_free(t->models);
	feat_catalog_free(t->catalog);
	feat_clock_free(t->clock);
	free(t->overlays);
	free(t);
}

/* ---- events: the normaliser between the reader and an event stage ------------------ */

struct event_run {
	feat_tool *t;
	feat_normaliser *nz;
	const struct feat_event_stage *es;
	void *ctx;
};

static int
event_line_events(struct event_run *er, const struct feat_line *line,
    struct feat_error *err);

static int
event_line(void *ctx, const struct feat_line *line, struct feat_error *err)
{
	struct event_run *er = ctx;
	int rc;

	er->t->line = line;
	rc = event_line_events(er, line, err);
	er->t->line = NULL;
	return rc;
}

static int
event_idle(void *ctx, struct feat_error *err)
{
	struct event_run *er = ctx;

	return er->es->idle(er->ctx, err);
}

const struct feat_line *
feat_tool_line(const feat_tool *t)
{
	return t->line;
}

static int
event_line_events(struct event_run *er, const struct feat_line *line,
    struct feat_error *err)
{
	const feat_event *ev;
	int rc;

	if (feat_normaliser_start(er->nz, line->text, line->len, err) < 0)
		return -1;
	if (er->es->check) {
		/* Every event of the line first: bad whole, or good whole. */
		while ((rc = feat_normaliser_next(er->nz, &ev, err)) == 1)
			if (er->es->check(er->ctx, ev, err) < 0)
				return -1;
		if (rc < 0)
			return -1;
		feat_normaliser_rewind(er->nz);
	}
	while ((rc = feat_normaliser_next(er->nz, &ev, err)) == 1) {
		const char *warning = feat_event_warning(ev);

		if (warning && er->t->unpriced++ < UNPRICED_SHOWN)
			feat_warn_at(er->t->file, line->lineno, "%s", warning);
		if (er->es->event(er->ctx, ev, err) < 0)
			return -1;
	}
	return rc;
}

static int
event_finish(void *ctx, int stopped, struct feat_error *err)
{
	struct event_run *er = ctx;

	return er->es->finish ? er->es->finish(er->ctx, stopped, err) : 0;
}

static int
event_save(void *ctx, struct feat_error *err)
{
	struct event_run *er = ctx;

	return er->es->save ? er->es->save(er->ctx, err) : 0;
}

static void
event_summary(void *ctx)
{
	struct event_run *er = ctx;
	unsigned long n;

	if ((n = feat_normaliser_skipped_spans(er->nz)) > 0)
		feat_warn("%lu span%s without gen_ai attributes skipped", n,
		    n == 1 ? "" : "s");
	if ((n = feat_normaliser_skipped_entries(er->nz)) > 0)
		feat_warn("%lu entr%s of resourceSpans, scopeSpans or spans "
		    "not an object, skipped", n, n == 1 ? "y" : "ies");
	if (er->t->unpriced > UNPRICED_SHOWN)
		feat_warn("%lu events left unpriced (the first %d shown)",
		    er->t->unpriced, UNPRICED_SHOWN);
	if (er->es->summary)
		er->es->summary(er->ctx);
}

int
feat_tool_run_events(feat_tool *t, feat_normaliser *nz,
    const struct feat_event_stage *es, void *ctx)
{
	struct event_run er = { t, nz, es, ctx };
	struct feat_tool_stage st = {
		event_line, event_finish, es->save ? event_save : NULL,
		event_summary, es->idle ? es->idle_ns : 0,
		es->idle ? event_idle : NULL, NULL
	};

	return feat_tool_run(t, &st, &er);
}

/* ---- words of a command line ---------------------------------------------------------- */

char *
feat_split_words(const char *s, size_t n, char ***argv, int *argc)
{
	char *out = feat_xmalloc(n + 1), *o = out;
	size_t i = 0;
	int cap = 8;

	*argc = 0;
	*argv = feat_xmalloc((size_t)cap * sizeof **argv);
	for (;;) {
		char quote = 0;

		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			break;
		if (*argc + 1 >= cap) {
			cap *= 2;
			*argv = feat_xrealloc(*argv, (size_t)cap *
			    sizeof **argv);
		}
		(*argv)[(*argc)++] = o;
		for (; i < n; i++) {
			char c = s[i];

			if (quote) {
				if (c == quote)
					quote = 0;
				else if (c == '\\' && quote == '"' && i + 1 < n &&
				    (s[i + 1] == '"' || s[i + 1] == '\\'))
					*o++ = s[++i];
				else
					*o++ = c;
				continue;
			}
			if (c == ' ' || c == '\t')
				break;
			if (c == '\'' || c == '"')
				quote = c;
			else
				*o++ = c;
		}
		if (quote) {
			free(out);
			free(*argv);
			*argv = NULL;
			*argc = 0;
			return NULL;
		}
		*o++ = '\0';
	}
	(*argv)[*argc] = NULL;
	return out;
}
