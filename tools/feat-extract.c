/*
 * feat-extract - stateless and per-session features from LLM request logs.
 *
 * This version writes normalised events (-g event): every supported log
 * line becomes one canonical event record, its model looked up and its
 * cost computed from the model catalog (--models).  The feature groups
 * (request, static, context) build on the same normaliser.
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
"usage: feat-extract [-g GROUPS] [--field CANONICAL=SOURCE]... [--drop FIELD]...\n"
"                    [--tz ZONE] [--state FILE] [--max-sessions N]\n"
"                    [--group-version N] [--keep-unknown] [--models FILE]\n"
"                    [--model-overlay FILE]\n"
"                    [--on-error fail|skip|quarantine:FILE]\n"
"                    [--max-line SIZE] [--time-unit s|ms|us|ns] [--unbuffered]\n"
"                    [FILE...]\n"
"       feat-extract --list-fields [--field CANONICAL=SOURCE]...\n"
"\n"
"  -g, --groups GROUPS      request,static,context (the default, any of them),\n"
"                           or 'event' for each normalised event\n"
"      --tz ZONE            zone of the hour and weekday features (default UTC)\n"
"      --state FILE         keep session depths, centroids and the models seen\n"
"                           across runs (written atomically at the end)\n"
"      --max-sessions N     bound of the state (default 1000000, LRU evicted)\n"
"      --group-version N    the version written in feature records (default 1)\n"
"      --model-overlay FILE model facts (default $FEAT_MODEL_OVERLAY, else\n"
"                           model-overlay.json beside the model catalog)\n"
"      --field C=S          read canonical field C from source path S (repeatable)\n"
"      --drop FIELD         leave canonical FIELD out of the output (repeatable)\n"
"      --keep-unknown       keep the other fields of the input, under \"extra\"\n"
"      --list-fields        print each canonical field and its sources, and exit\n"
"      --models FILE        the model catalog (default $FEAT_MODELS, else the\n"
"                           installed models.json)\n"
"      --on-error MODE      on a bad line: fail (exit 3), skip, quarantine:FILE\n"
"      --max-line SIZE      longest line read (default 16M; K, M, G suffixes)\n"
"      --time-unit UNIT     unit of numeric timestamps (default s)\n"
"      --unbuffered         flush after every record\n"
"  -h, --help               print this help and exit\n"
"  -V, --version            print the version and exit\n"
"\n"
"FILE may be gzip-compressed; none or '-' reads stdin.  See feat-extract(1).\n";

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

enum {
	OPT_FIELD = 256, OPT_DROP, OPT_ON_ERROR, OPT_MAX_LINE, OPT_TIME_UNIT,
	OPT_UNBUFFERED, OPT_KEEP_UNKNOWN, OPT_LIST_FIELDS, OPT_TZ, OPT_STATE,
	OPT_MAX_SESSIONS, OPT_GROUP_VERSION, OPT_MODEL_OVERLAY, OPT_MODELS
};

static const struct option options[] = {
	{ "groups", required_argument, NULL, 'g' },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "drop", required_argument, NULL, OPT_DROP },
	{ "on-error", required_argument, NULL, OPT_ON_ERROR },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "time-unit", required_argument, NULL, OPT_TIME_UNIT },
	{ "unbuffered", no_argument, NULL, OPT_UNBUFFERED },
	{ "keep-unknown", no_argument, NULL, OPT_KEEP_UNKNOWN },
	{ "list-fields", no_argument, NULL, OPT_LIST_FIELDS },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
	{ "group-version", required_argument, NULL, OPT_GROUP_VERSION },
	{ "model-overlay", required_argument, NULL, OPT_MODEL_OVERLAY },
	{ "models", required_argument, NULL, OPT_MODELS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

struct run {
	feat_normaliser *nz;
	feat_writer *w;
	feat_badlines *bad;
	size_t max_line;
	unsigned long unpriced;	/* events of catalog models left unpriced */
	const char *models_path;	/* --models, $FEAT_MODELS or installed */
	feat_models *models;	/* loaded by the first event with a model */
	feat_extractor *x;	/* the feature groups; NULL for -g event */
	feat_overlay *overlay;
};

/* -g request,static,context: any of them, each once. */
static unsigned
parse_groups(const char *list)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{ "request", FEAT_GROUP_REQUEST },
		{ "static", FEAT_GROUP_STATIC },
		{ "context", FEAT_GROUP_CONTEXT },
	};
	unsigned groups = 0;
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strlen(known[i].name) == n &&
			    strncmp(known[i].name, p, n) == 0)
				break;
		if (i == sizeof known / sizeof known[0] || n == 0) {
			feat_warn("unknown group '%.*s' in '%s': use request, "
			    "static, context or event", (int)n, p, list);
			usage(2);
		}
		groups |= known[i].bit;
		if (p[n] == '\0')
			return groups;
		p += n + 1;
	}
}

/* SIGINT/SIGTERM: stop reading, save the state, flush, exit. */
static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

/* Unpriced events (inconsistent usage) are said for the first few, then
 * counted. */
#define UNPRICED_SHOWN 10

static void
close_output(feat_writer *w)
{
	if (feat_writer_close(w) < 0)
		feat_die(FEAT_EXIT_STORE, "cannot write output: %s",
		    strerror(errno));
	if (fclose(stdout) != 0)
		feat_die(FEAT_EXIT_STORE, "cannot write output: %s",
		    strerror(errno));
}

/* Reports a bad line by the --on-error policy; returns only to go on. */
static void
bad_line(struct run *run, const char *file, const struct feat_line *line,
    const char *reason)
{
	int rc = feat_badlines_add(run->bad, file, line->lineno, reason,
	    line->text, line->len, line->bytes);

	if (rc == 0)
		return;
	if (rc > 0) {
		if (feat_writer_close(run->w) < 0)
			feat_warn("cannot write output: %s", strerror(errno));
		feat_warn_at(file, line->lineno, "%s", reason);
		exit(FEAT_EXIT_BADINPUT);
	}
	feat_die(FEAT_EXIT_STORE, "cannot write '%s': %s",
	    feat_badlines_path(run->bad), strerror(errno));
}

/*
 * The model catalog, loaded when the first event names a model: a log
 * without models (health reports, feedback) never pays for it.  Its file
 * was found readable at start; a catalog that does not load is a usage
 * error all the same.
 */
static feat_models *
load_models(void *ctx)
{
	struct run *run = ctx;
	char err[512];

	if (run->models)
		return run->models;	/* loaded up front for the groups */
	run->models = feat_models_load(run->models_path, err, sizeof err);
	if (run->models == NULL) {
		close_output(run->w);
		feat_die(FEAT_EXIT_USAGE, "%s", err);
	}
	return run->models;
}

static void
extract_file(struct run *run, const char *path)
{
	feat_reader *r = feat_reader_open(path, run->max_line);
	struct feat_line line;
	struct feat_error err;
	const char *name;
	int rc = 0;

	if (r == NULL) {
		int e = errno;

		close_output(run->w);
		feat_die(FEAT_EXIT_USAGE, "cannot open '%s': %s", path,
		    strerror(e));
	}
	name = feat_reader_name(r);
	while (!stop_signal && (rc = feat_reader_next(r, &line)) == 1) {
		int n;

		if (line.too_long) {
			snprintf(err.reason, sizeof err.reason,
			    "line longer than %zu bytes", run->max_line);
			bad_line(run, name, &line, err.reason);
			continue;
		}
		n = feat_normalise_line(run->nz, line.text, line.len, &err);
		if (n < 0) {
			bad_line(run, name, &line, err.reason);
			continue;
		}
		for (int i = 0; i < n; i++) {
			const feat_event *ev = feat_normaliser_event(run->nz, i);
			const char *warning = feat_event_warning(ev);

			if (warning && run->unpriced++ < UNPRICED_SHOWN)
				feat_warn_at(name, line.lineno, "%s", warning);
			if (run->x) {
				if (feat_extractor_event(run->x, ev, run->w) < 0)
					feat_die(FEAT_EXIT_STORE,
					    "cannot write output: %s",
					    strerror(errno));
				continue;
			}
			feat_event_write(run->nz, ev, run->w);
			if (feat_writer_end_record(run->w) < 0)
				feat_die(FEAT_EXIT_STORE,
				    "cannot write output: %s", strerror(errno));
		}
	}
	if (rc < 0 && !stop_signal) {
		close_output(run->w);
		feat_die(FEAT_EXIT_STORE, "cannot read '%s': %s", name,
		    feat_reader_error(r));
	}
	feat_reader_close(r);
}

int
main(int argc, char **argv)
{
	struct feat_normaliser_opts nopts = { FEAT_TIME_S };
	const char *groups = NULL, *on_error = "fail";
	char **fields = NULL, **drops = NULL;
	size_t nfields = 0, ndrops = 0;
	int unbuffered = 0, list_fields = 0, c;
	struct run run = { 0 };
	struct feat_extract_opts xopts = { 0 };
	const char *overlay_path = NULL;
	char err[512];

	feat_diag_init(argv[0]);
	/* A pure filter: a closed pipe downstream ends it quietly. */
	signal(SIGPIPE, SIG_DFL);
	run.max_line = FEAT_MAX_LINE_DEFAULT;

	while ((c = getopt_long(argc, argv, "g:hV", options, NULL)) != -1) {
		switch (c) {
		case 'g':
			groups = optarg;
			break;
		case OPT_FIELD:
			fields = feat_xrealloc(fields, (nfields + 1) *
			    sizeof *fields);
			fields[nfields++] = optarg;
			break;
		case OPT_DROP:
			drops = feat_xrealloc(drops, (ndrops + 1) *
			    sizeof *drops);
			drops[ndrops++] = optarg;
			break;
		case OPT_ON_ERROR:
			on_error = optarg;
			break;
		case OPT_MAX_LINE:
			/* Bounded: line lengths are held in 32 bits. */
			if (feat_parse_size(optarg, &run.max_line) < 0 ||
			    run.max_line == 0 || run.max_line > FEAT_MAX_LINE_MAX) {
				feat_warn("invalid --max-line '%s': 1 to 1G bytes",
				    optarg);
				usage(2);
			}
			break;
		case OPT_TIME_UNIT:
			if (strcmp(optarg, "s") == 0)
				nopts.time_unit = FEAT_TIME_S;
			else if (strcmp(optarg, "ms") == 0)
				nopts.time_unit = FEAT_TIME_MS;
			else if (strcmp(optarg, "us") == 0)
				nopts.time_unit = FEAT_TIME_US;
			else if (strcmp(optarg, "ns") == 0)
				nopts.time_unit = FEAT_TIME_NS;
			else {
				feat_warn("invalid --time-unit '%s': use s, ms, "
				    "us or ns", optarg);
				usage(2);
			}
			break;
		case OPT_UNBUFFERED:
			unbuffered = 1;
			break;
		case OPT_KEEP_UNKNOWN:
			nopts.keep_unknown = 1;
			break;
		case OPT_LIST_FIELDS:
			list_fields = 1;
			break;
		case OPT_MODELS:
			run.models_path = optarg;
			break;
		case OPT_MODEL_OVERLAY:
			overlay_path = optarg;
			break;
		case OPT_TZ:
			if (!feat_tz_valid(optarg)) {
				feat_warn("unknown time zone '%s'", optarg);
				usage(2);
			}
			xopts.tz = optarg;
			break;
		case OPT_STATE:
			xopts.state = optarg;
			break;
		case OPT_MAX_SESSIONS:
			if (feat_parse_size(optarg, &xopts.max_sessions) < 0 ||
			    xopts.max_sessions == 0) {
				feat_warn("invalid --max-sessions '%s'", optarg);
				usage(2);
			}
			break;
		case OPT_GROUP_VERSION: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > 1000000) {
				feat_warn("invalid --group-version '%s'", optarg);
				usage(2);
			}
			xopts.group_version = (int)v;
			break;
		}
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("feat-extract (feat) %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(2);
		}
	}
	if (list_fields) {
		run.nz = feat_normaliser_new(&nopts);
		for (size_t i = 0; i < nfields; i++)
			if (feat_normaliser_field(run.nz, fields[i], err,
			    sizeof err) < 0)
				feat_die(FEAT_EXIT_USAGE, "%s", err);
		feat_normaliser_list_fields(run.nz, stdout);
		feat_normaliser_free(run.nz);
		free(fields);
		free(drops);
		if (fflush(stdout) != 0 || ferror(stdout))
			feat_die(FEAT_EXIT_STORE, "cannot write output: %s",
			    strerror(errno));
		return 0;
	}
	if (groups == NULL)
		groups = "request,static,context";
	if (strcmp(groups, "event") != 0)
		xopts.groups = parse_groups(groups);

	/* --models FILE, else $FEAT_MODELS, else the installed catalog:
	 * a missing one is said before any output. */
	if (run.models_path == NULL)
		run.models_path = feat_models_default_path();
	if (access(run.models_path, R_OK) != 0)
		feat_die(FEAT_EXIT_USAGE, "cannot open model catalog '%s': %s",
		    run.models_path, strerror(errno));
	nopts.load_models = load_models;
	nopts.load_ctx = &run;
	run.nz = feat_normaliser_new(&nopts);
	for (size_t i = 0; i < nfields; i++)
		if (feat_normaliser_field(run.nz, fields[i], err, sizeof err) < 0)
			feat_die(FEAT_EXIT_USAGE, "%s", err);
	for (size_t i = 0; i < ndrops; i++)
		if (feat_normaliser_drop(run.nz, drops[i], err, sizeof err) < 0)
			feat_die(FEAT_EXIT_USAGE, "%s", err);
	run.bad = feat_badlines_new(on_error, err, sizeof err);
	if (run.bad == NULL)
		feat_die(FEAT_EXIT_USAGE, "%s", err);
	run.w = feat_writer_new(stdout, unbuffered);
	if (xopts.groups) {
		/* The feature groups need the catalog and the overlay now. */
		const char *op;

		load_models(&run);
		op = overlay_path ? overlay_path :
		    feat_overlay_default_path(run.models_path);
		run.overlay = feat_overlay_load(op, err, sizeof err);
		if (run.overlay == NULL)
			feat_die(FEAT_EXIT_USAGE, "%s", err);
		run.x = feat_extractor_new(&xopts, run.models, run.overlay, err,
		    sizeof err);
		if (run.x == NULL)
			feat_die(FEAT_EXIT_USAGE, "%s", err);
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;	/* no SA_RESTART: reads return */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}

	if (optind == argc)
		extract_file(&run, "-");
	for (int i = optind; i < argc; i++)
		extract_file(&run, argv[i]);

	if (run.x && feat_extractor_finish(run.x, err, sizeof err) < 0) {
		close_output(run.w);
		feat_die(FEAT_EXIT_STORE, "%s", err);
	}
	close_output(run.w);
	if (feat_normaliser_skipped_spans(run.nz) > 0) {
		unsigned long n = feat_normaliser_skipped_spans(run.nz);

		feat_warn("%lu span%s without gen_ai attributes skipped", n,
		    n == 1 ? "" : "s");
	}
	if (run.unpriced > UNPRICED_SHOWN)
		feat_warn("%lu events left unpriced (the first %d shown)",
		    run.unpriced, UNPRICED_SHOWN);
	if (feat_badlines_count(run.bad) > 0) {
		unsigned long n = feat_badlines_count(run.bad);

		if (feat_badlines_mode(run.bad) == FEAT_ONERROR_QUARANTINE)
			feat_warn("%lu bad line%s written to '%s'", n,
			    n == 1 ? "" : "s", feat_badlines_path(run.bad));
		else
			feat_warn("%lu bad line%s skipped", n,
			    n == 1 ? "" : "s");
	}
	if (feat_badlines_close(run.bad) < 0)
		feat_die(FEAT_EXIT_STORE, "cannot write quarantine file: %s",
		    strerror(errno));
	feat_extractor_free(run.x);
	feat_overlay_free(run.overlay);
	feat_normaliser_free(run.nz);
	feat_models_free(run.models);
	free(fields);
	free(drops);
	return stop_signal == SIGINT ? 130 : FEAT_EXIT_OK;
}
