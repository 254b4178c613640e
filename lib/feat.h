/*
 * feat.h - the public interface of libfeat, the library behind the feat
 * tools: the tool driver, record I/O, event normalisation, feature
 * records, the model catalog and request cost, the feature catalog,
 * numbers, time and time zones, diagnostics.  libfeat(3) describes it.
 *
 * Ownership: a function named *_new, *_open, *_load or *_start returns an
 * object the caller owns and releases with the matching *_free or *_close;
 * every other pointer argument is borrowed for the duration of the call,
 * and a pointer a function returns into an object stays valid until the
 * next call on that object.  An object given a pointer it keeps beyond
 * the call (the normaliser's model catalog, the extractor's state path,
 * time zone, clock and writer, a reader's stop flag, the writer's file
 * descriptor) borrows it: the caller keeps it alive until the object is
 * freed, and the object never frees or closes it.
 *
 * Errors: the library never prints and never exits (the tool driver and
 * feat_die are the exceptions, and only tools call them).  A call that can
 * fail returns -1 (or NULL) and writes its reason into the caller's
 * (char *err, size_t errlen) buffer: lowercase, the subject in single
 * quotes, no program name, no full stop.  Streams that fail later (the
 * reader, the writer) keep their reason for feat_*_error().  A problem with
 * one input line is a struct feat_error whose reason starts with the fixed
 * phrase of feat(7).  Running out of memory aborts (feat_xmalloc).
 *
 * Threads: libfeat holds no process-wide state except the tool driver's
 * signal flag and the diagnostics' program name.  Objects are not locked:
 * one object is used by one thread at a time, except those documented as
 * immutable after opening (feat_tz, feat_clock, a loaded feat_catalog),
 * which any number of threads may read at once.
 */
#ifndef FEAT_H
#define FEAT_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit statuses shared by every tool (documented in each man page). */
enum feat_exit {
	FEAT_EXIT_OK = 0,	/* success */
	FEAT_EXIT_NEGATIVE = 1,	/* a negative result: rejected records, drift */
	FEAT_EXIT_USAGE = 2,	/* usage error or an unopenable file */
	FEAT_EXIT_BADINPUT = 3,	/* bad input under --on-error=fail */
	FEAT_EXIT_STORE = 4	/* a store or I/O error */
};

/* ---- allocation: failure prints a message and aborts ------------------ */
void *feat_xmalloc(size_t n);
void *feat_xcalloc(size_t n, size_t size);
void *feat_xrealloc(void *p, size_t n);
char *feat_xstrdup(const char *s);
char *feat_xstrndup(const char *s, size_t n);

/* ---- diagnostics (tools only; the library never prints) --------------- */
void feat_diag_init(const char *progname);
const char *feat_progname(void);
/* "feat-x: message" on stderr. */
void feat_warn(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* "feat-x: FILE:LINE: message" on stderr. */
void feat_warn_at(const char *file, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* feat_warn, then exit(status). */
void feat_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* ---- hashing ----------------------------------------------------------- */
/* FNV-1a 64 over n bytes. */
uint64_t feat_fnv1a64(const void *p, size_t n);

/* ---- numbers ----------------------------------------------------------- */
#define FEAT_DOUBLE_BUFSZ 32
/*
 * Writes the shortest decimal text that reads back to the same double
 * (ECMAScript Number#toString layout: 0.98, 2210, 1e+21, 5e-324, -0) into
 * buf, NUL-terminated, and returns its length.  Returns 0 and writes "" for
 * NaN and infinities, which JSON cannot hold.
 */
size_t feat_fmt_double(double v, char *buf);

/* ---- sizes and durations (SPEC 2) -------------------------------------- */
/* An integer with an optional K, M or G (powers of 1024); 0 or -1. */
int feat_parse_size(const char *s, size_t *out);
/* Writes n with the largest unit that holds it exactly ("16M", "1000");
   returns the length snprintf would. */
size_t feat_format_size(size_t n, char *buf, size_t len);
/*
 * A duration: an integer and ms, s, m, h or d ("5m"), to nanoseconds; 0,
 * or -1 when s is not one (negative, fractional) or overflows.
 */
int feat_parse_duration(const char *s, int64_t *ns);
/* Writes ns with the largest unit that holds it exactly ("5m", "90s",
   "0s"); returns the length snprintf would. */
size_t feat_format_duration(int64_t ns, char *buf, size_t len);
/* A duration option's value: --NAME ARG of min to max ns (0 and
   INT64_MAX: any); 0, or -1 with "invalid --NAME 'ARG': use a duration
   [of MIN to MAX | of at least MIN, ]such as EXAMPLE".  Every tool's
   duration options go through it. */
int feat_parse_duration_option(const char *name, const char *arg,
    int64_t min, int64_t max, const char *example, int64_t *ns, char *err,
    size_t errlen);
/* --group-version N (feat-extract, feat-window): 1 to 1,000,000; 0, or -1
   with a message. */
#define FEAT_GROUP_VERSION_MAX 1000000
int feat_parse_group_version(const char *s, int *v, char *err,
    size_t errlen);

/* ---- time: int64 nanoseconds since the epoch, UTC ---------------------- */
#define FEAT_NS_PER_US INT64_C(1000)
#define FEAT_NS_PER_MS INT64_C(1000000)
#define FEAT_NS_PER_S INT64_C(1000000000)
#define FEAT_NS_PER_MIN (60 * FEAT_NS_PER_S)
#define FEAT_NS_PER_HOUR (3600 * FEAT_NS_PER_S)
#define FEAT_NS_PER_DAY (86400 * FEAT_NS_PER_S)
/*
 * The instants feat reads and writes: every int64 nanosecond whose
 * millisecond-floored RFC 3339 form reads back, 1677-09-21T00:12:43.146Z
 * to 2262-04-11T23:47:16.854775807Z.  (The first 0.854775808 ms of int64
 * would floor to a millisecond before INT64_MIN.)
 */
#define FEAT_TIME_MIN (-INT64_C(9223372036854000000))
#define FEAT_TIME_MAX INT64_MAX

enum feat_time_unit {
	FEAT_TIME_S = 0, FEAT_TIME_MS = 3, FEAT_TIME_US = 6, FEAT_TIME_NS = 9
};
#define FEAT_TIME_BUFSZ 32
/*
 * Parses RFC 3339 with any offset, or YYYY-MM-DD[T ]HH:MM:SS[.f] with an
 * optional zone (none means UTC), up to 9 fractional digits.  Returns 0 and
 * sets *ns, or -1 when s is not a valid timestamp or is outside
 * [FEAT_TIME_MIN, FEAT_TIME_MAX].
 */
int feat_time_parse(const char *s, size_t len, int64_t *ns);
/*
 * Parses a decimal number of the given unit since the epoch ("1700000000.123",
 * "-1.5", "17e8"), exactly from its text, flooring below a nanosecond.
 * Returns 0, or -1 when it is not one or falls outside the range above.
 */
int feat_time_parse_epoch(const char *s, size_t len, enum feat_time_unit unit,
    int64_t *ns);
/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (milliseconds floored), returns length. */
size_t feat_time_format(int64_t ns, char *buf);

/* ---- the clock ------------------------------------------------------------ */
/*
 * Wall-clock "now" for created, freshness and staleness: $FEAT_NOW (RFC
 * 3339), read once when the clock is made, else the system clock.  A clock
 * is immutable: threads may share one.  Returns NULL with a message when
 * $FEAT_NOW is set but does not parse.
 */
typedef struct feat_clock feat_clock;
feat_clock *feat_clock_new(char *err, size_t errlen);
void feat_clock_free(feat_clock *c);
int64_t feat_clock_now(const feat_clock *c);
/* 1 when $FEAT_NOW fixed the clock. */
int feat_clock_fixed(const feat_clock *c);
/* The monotonic clock, in ns, for timers and deadlines (never $FEAT_NOW). */
int64_t feat_clock_mono(void);

/* ---- time zones --------------------------------------------------------- */
typedef struct feat_tz feat_tz;
/*
 * Opens a zone of the system's zone database: "UTC", "Etc/UTC",
 * "Asia/Tokyo" ... read from the TZif file under $TZDIR (default
 * /usr/share/zoneinfo) once, into an immutable object: any number of
 * threads may use one feat_tz at once.  Names that are not plain database
 * names (absolute paths, "..", POSIX rule strings, empty) are refused.
 * Returns NULL with a message in err ("unknown time zone 'X'").
 */
feat_tz *feat_tz_open(const char *name, char *err, size_t errlen);
void feat_tz_free(feat_tz *tz);
const char *feat_tz_name(const feat_tz *tz);
/*
 * The zone's offset from UTC, in seconds, at instant ns (int64 ns since the
 * epoch, UTC).
 */
int32_t feat_tz_offset(const feat_tz *tz, int64_t ns);
struct feat_local_time {
	int64_t year;
	int month, day;		/* 1-12, 1-31 */
	int hour, minute, second;
	int wday;		/* Monday 0 ... Sunday 6 */
	int32_t offset;		/* seconds east of UTC */
};
/* The local calendar time of instant ns in tz (tz NULL: UTC). */
void feat_tz_local(const feat_tz *tz, int64_t ns,
    struct feat_local_time *out);


/* ---- reading lines ------------------------------------------------------ */
#define FEAT_MAX_LINE_DEFAULT ((size_t)16 << 20)
#define FEAT_MAX_LINE_MAX ((size_t)1 << 30)	/* the largest --max-line */
#define FEAT_RAW_MAX 4096	/* bytes of a bad line kept for quarantine */

typedef struct feat_reader feat_reader;
struct feat_line {
	const char *text;	/* without its line ending; the first
				   FEAT_RAW_MAX bytes when reason is set */
	size_t len;		/* bytes at text */
	size_t bytes;		/* the whole line's length */
	unsigned long lineno;	/* 1-based, blank lines counted */
	const char *file;	/* the reader's name: "<stdin>" for stdin */
	const char *reason;	/* "line longer than N bytes": never held
				   whole; NULL for a line to process */
	int unterminated;	/* the input ended without its line end */
};
struct feat_reader_opts {
	size_t max_line;	/* 0: FEAT_MAX_LINE_DEFAULT */
	/*
	 * Borrowed: when *stop becomes non-zero (a signal handler sets it)
	 * the reader returns FEAT_READ_STOPPED at once, also while it skips
	 * a long line or waits on a pipe.  NULL: never.
	 */
	const volatile sig_atomic_t *stop;
	/*
	 * When no input has come for this many ns and none is buffered (a
	 * quiet pipe; never a regular file), the reader returns
	 * FEAT_READ_IDLE; the next call goes on waiting.  0: never.
	 */
	int64_t idle;
};
enum {
	FEAT_READ_LINE = 1, FEAT_READ_END = 0, FEAT_READ_ERROR = -1,
	FEAT_READ_STOPPED = -2, FEAT_READ_IDLE = 2
};
/*
 * Opens path (NULL or "-": stdin), plain or gzip (by its magic bytes).
 * Returns NULL with errno set when it cannot be opened (EISDIR for a
 * directory).  o may be NULL.
 */
feat_reader *feat_reader_open(const char *path,
    const struct feat_reader_opts *o);
/*
 * The next non-blank line, a byte-order mark at the start of the input
 * dropped: FEAT_READ_LINE with *line filled (valid until the next call),
 * FEAT_READ_END, FEAT_READ_ERROR (a read or decompression error,
 * feat_reader_error says) or FEAT_READ_STOPPED.
 */
int feat_reader_next(feat_reader *r, struct feat_line *line);
const char *feat_reader_name(const feat_reader *r);	/* "<stdin>" */
const char *feat_reader_error(const feat_reader *r);
unsigned long feat_reader_lineno(const feat_reader *r);
/* Bytes read from the file so far, and its size (0: not a regular file). */
uint64_t feat_reader_offset(const feat_reader *r);
uint64_t feat_reader_size(const feat_reader *r);
void feat_reader_close(feat_reader *r);

/* ---- bad lines and failures ------------------------------------------------ */
enum feat_bad {
	FEAT_BAD_NONE = 0,
	FEAT_BAD_JSON,		/* invalid JSON */
	FEAT_BAD_UTF8,		/* invalid UTF-8 */
	FEAT_BAD_LONG,		/* line longer than N bytes */
	FEAT_BAD_DEPTH,		/* nesting deeper than 64 */
	FEAT_BAD_NOT_OBJECT,	/* not an object */
	FEAT_BAD_NO_TS,		/* no timestamp */
	FEAT_BAD_TIME,		/* invalid timestamp */
	FEAT_BAD_NUMBER,	/* field 'F' is not a number */
	FEAT_BAD_RANGE,		/* number out of range in 'F' */
	FEAT_BAD_NUL,		/* NUL character in a string */
	FEAT_BAD_FIELD,		/* field 'F' is not a string / boolean /
				   too long; no field 'F' */
	/* Not a bad line: the run cannot go on (feat_tool_run's exit). */
	FEAT_ERR_OUTPUT = 100,	/* the output cannot be written: exit 4 */
	FEAT_ERR_IO,		/* another file or store failed: exit 4 */
	FEAT_ERR_USAGE,		/* a catalog or option proved unusable: 2 */
	FEAT_ERR_STOPPED	/* SIGINT or SIGTERM ended a wait: 0, 130 */
};
struct feat_error {
	enum feat_bad code;
	char reason[320];	/* starts with the fixed phrase */
};
enum feat_onerror {
	FEAT_ONERROR_FAIL, FEAT_ONERROR_SKIP, FEAT_ONERROR_QUARANTINE
};

/* ---- writing records ------------------------------------------------------ */
typedef struct feat_writer feat_writer;
/*
 * NDJSON to the file descriptor fd (not closed by the writer), through
 * write(2) with every EINTR retried, so a signal never cuts a record.
 * Block-buffered; unbuffered writes each record when it ends.
 */
feat_writer *feat_writer_new(int fd, int unbuffered);
void feat_writer_open_object(feat_writer *w);
void feat_writer_close_object(feat_writer *w);
void feat_writer_open_array(feat_writer *w);
void feat_writer_close_array(feat_writer *w);
void feat_writer_key(feat_writer *w, const char *k, size_t n);
void feat_writer_string(feat_writer *w, const char *s, size_t n);
/* A number as the JSON text it arrived as. */
void feat_writer_number(feat_writer *w, const char *text, size_t n);
void feat_writer_double(feat_writer *w, double d);	/* null if not finite */
void feat_writer_int(feat_writer *w, int64_t v);
void feat_writer_bool(feat_writer *w, int b);
void feat_writer_null(feat_writer *w);
void feat_writer_time(feat_writer *w, int64_t ns);	/* RFC 3339 string */
/*
 * Ends a record with a newline.  Returns -1 once anything has failed: a
 * write, or a generator call out of place (a key where a value belongs, an
 * unbalanced object); feat_writer_error says which.
 */
int feat_writer_end_record(feat_writer *w);
/* Writes text as it is, between records (tables, listings); -1 as above. */
int feat_writer_text(feat_writer *w, const char *text, size_t n);
/* Writes what is buffered; -1 as above. */
int feat_writer_flush(feat_writer *w);
/* How many times the buffer has been written out so far. */
unsigned long feat_writer_flushes(const feat_writer *w);
const char *feat_writer_error(const feat_writer *w);
/* Flushes and frees (fd stays open); -1 when any write or call failed. */
int feat_writer_close(feat_writer *w);

/* ---- the model catalog and request cost (SPEC 5) ------------------------ */
/*
 * data/models.json: genai-prices' providers, models, prices and unit
 * registry.  A feat_models is not safe to share between threads: lookups
 * fill its cache.
 */
typedef struct feat_models feat_models;
typedef struct feat_model feat_model;	/* one model of the catalog */
/* $FEAT_MODELS when set and not empty, else $(pkgdatadir)/models.json. */
const char *feat_models_default_path(void);
/*
 * Opens the catalog at path (NULL: feat_models_default_path()) without
 * reading it: NULL with a message in err when the file is not readable.
 * It is read by feat_models_ensure, so a log that names no model never
 * pays for it.
 */
feat_models *feat_models_open(const char *path, char *err, size_t errlen);
/*
 * Reads an opened catalog, once: 0, or -1 with a message in err when it
 * is not a catalog (every regex must be POSIX ERE); a failure is
 * remembered and said again by every later call.  The functions below
 * need a catalog read (feat_models_load reads it at once).
 */
int feat_models_ensure(feat_models *m, char *err, size_t errlen);
int feat_models_loaded(const feat_models *m);
/* feat_models_open and feat_models_ensure in one call. */
feat_models *feat_models_load(const char *path, char *err, size_t errlen);
void feat_models_free(feat_models *m);
const char *feat_models_path(const feat_models *m);
/* The unit registry: usage keys (input_tokens, ...), in catalog order. */
size_t feat_models_nunits(const feat_models *m);
const char *feat_models_unit(const feat_models *m, size_t i);

struct feat_model_match {
	const char *provider;	/* catalog provider id; NULL: none */
	const feat_model *model;	/* NULL: no model matched */
};
/*
 * Finds the catalog's provider and model for a model reference and an
 * optional provider name (provider NULL: none named), by SPEC 5 rules 1
 * and 2.  Results are cached per (provider, model) pair; the pointers in
 * *out stay valid until feat_models_free.
 */
void feat_models_find(feat_models *m, const char *provider, size_t plen,
    const char *model, size_t mlen, struct feat_model_match *out);
const char *feat_model_id(const feat_model *md);
long feat_model_context_window(const feat_model *md);	/* 0: unknown */

struct feat_cost {
	double input_usd;	/* units whose direction is input */
	double output_usd;	/* units whose direction is output */
	double total_usd;	/* every unit */
};
/*
 * Prices one request of md at time ts (SPEC 5 rules 3-6).  usage holds one
 * count per registry unit (feat_models_nunits, 0 when absent).  Returns 0
 * with *out set, or -1 with a message in msg when the usage is
 * inconsistent (a negative count) or so large that a cost overflows: no
 * price.
 */
int feat_model_price(const feat_models *m, const feat_model *md, int64_t ts,
    const double *usage, struct feat_cost *out, char *msg, size_t msglen);
/*
 * The base input and output token rates of md at ts, in USD per 1,000
 * tokens (NAN when the active entry prices no such unit), and the index of
 * the active price entry, which changes when the prices do.
 */
void feat_model_base_prices(const feat_models *m, const feat_model *md,
    int64_t ts, double *input_per_1k, double *output_per_1k, size_t *entry);

/* ---- events: any supported log line to canonical fields ----------------- */
typedef struct feat_normaliser feat_normaliser;
typedef struct feat_event feat_event;
struct feat_normaliser_opts {
	enum feat_time_unit time_unit;	/* of numeric timestamps */
	int keep_unknown;		/* keep other fields, under "extra" */
	/*
	 * The model catalog, borrowed (it outlives the normaliser), opened
	 * and read by the first event that names a model; or NULL: then no
	 * catalog_model, no provider from the catalog and no computed costs.
	 */
	feat_models *models;
	/*
	 * The canonical fields a stage reads (NULL-ended; NULL: every
	 * field).  Their derivations' inputs are read too; every other
	 * member of a line is parsed past without being decoded or copied.
	 */
	const char *const *want;
	/* Dotted paths a stage reads besides (NULL-ended, may be NULL):
	   feat_event_path_num and feat_event_path_str, by index. */
	const char *const *paths;
};
feat_normaliser *feat_normaliser_new(const struct feat_normaliser_opts *o);
/* --field canonical=source; -1 and a message for a bad spec. */
int feat_normaliser_field(feat_normaliser *nz, const char *spec, char *err,
    size_t errlen);
/* --drop FIELD: keeps a canonical field out of written events. */
int feat_normaliser_drop(feat_normaliser *nz, const char *name, char *err,
    size_t errlen);
void feat_normaliser_free(feat_normaliser *nz);
/* Writes each canonical field and its sources, in priority order, as
   tab-separated text lines; -1 when the writer failed. */
int feat_normaliser_list_fields(const feat_normaliser *nz, feat_writer *w);
/* OTLP spans without gen_ai.* attributes skipped so far. */
unsigned long feat_normaliser_skipped_spans(const feat_normaliser *nz);
/* Entries of resourceSpans, scopeSpans or spans that were not objects. */
unsigned long feat_normaliser_skipped_entries(const feat_normaliser *nz);
/*
 * Checks, parses and normalises one line (the line checks of feat(7)
 * included).  Returns 0, or -1 with *err: a bad line (FEAT_BAD_*; every
 * span of an export batch is checked before any is handed out, so a bad
 * span makes the whole line bad), or FEAT_ERR_USAGE when the model
 * catalog cannot be read.
 */
int feat_normaliser_start(feat_normaliser *nz, const char *line, size_t len,
    struct feat_error *err);
/*
 * The line's next event: 1 and *ev (valid until the next call), or 0 when
 * there is no other.  An export batch gives one event per LLM span, one
 * at a time, so memory follows the line, not its number of spans.
 */
int feat_normaliser_next(feat_normaliser *nz, const feat_event **ev,
    struct feat_error *err);
/* Hands the line's events out again from the first (the same events: a
   batch's spans are normalised again). */
void feat_normaliser_rewind(feat_normaliser *nz);
/* The event's time. */
int64_t feat_event_ts(const feat_event *ev);
/*
 * A canonical field of feat-records(5) by name ("model", "input_tokens",
 * "status"): its text (a number's as it came or as computed) and length,
 * or NULL when the event has none (times and booleans: see the next two).
 */
const char *feat_event_field(const feat_event *ev, const char *name,
    size_t *len);
/* A boolean field ("outcome", "liked"): 1, 0, or -1 when absent. */
int feat_event_flag(const feat_event *ev, const char *name);
/* The value at the i-th wanted path: a number (numeric strings and
   booleans too): 1 and *d, or 0 when absent or not one. */
int feat_event_path_num(const feat_event *ev, int i, double *d);
/* ... as text (a string, or a number's text); NULL when absent. */
const char *feat_event_path_str(const feat_event *ev, int i, size_t *len);
/*
 * Why ev's cost could not be computed although its model is in the
 * catalog (inconsistent or out-of-range usage), or NULL.
 */
const char *feat_event_warning(const feat_event *ev);
/* Writes ev as one -g event record (without ending the record). */
void feat_event_write(const feat_normaliser *nz, const feat_event *ev,
    feat_writer *w);

/* ---- catalog: the features, their groups and rules (feat-catalog(5)) ---- */
/*
 * A catalog is read once and then only looked at: every pointer a catalog
 * function returns (features, groups, strings) points into the catalog and
 * stays valid until feat_catalog_free, or until a feat_catalog_overlay that
 * succeeds, which rebuilds it.
 */
typedef struct feat_catalog feat_catalog;
typedef struct feat_catalog_feature feat_catalog_feature;
typedef struct feat_catalog_group feat_catalog_group;

/* $FEAT_CATALOG when set and not empty, else $(pkgdatadir)/catalog.json. */
const char *feat_catalog_default_path(void);
/*
 * Reads and checks the catalog at path.  Returns NULL with a message in err
 * ("FILE: problem", the first of them) when the file cannot be read, is not
 * JSON, or breaks a rule of feat_catalog_check.
 */
feat_catalog *feat_catalog_load(const char *path, char *err, size_t errlen);
/*
 * Merges the overlay at path into c: its groups by group name, its features
 * by name (by id when an entry has no name); a matching entry replaces the
 * attributes it gives, any other is added.  The result is checked whole.
 * Returns 0, or -1 with a message in err and c unchanged.
 */
int feat_catalog_overlay(feat_catalog *c, const char *path, char *err,
    size_t errlen);
void feat_catalog_free(feat_catalog *c);

/*
 * Called once per problem found: file is the document the problem came
 * from (the catalog or an overlay), line its line or 0, problem a message
 * in the style of feat_warn ("duplicate name 'x' in 'A' and 'B'").
 */
typedef void (*feat_catalog_report_fn)(void *ctx, const char *file,
    unsigned long line, const char *problem);
/*
 * Checks the catalog at path with the overlays merged in order, against
 * every rule of feat-catalog(5), and reports each problem.  Returns the
 * number of problems, or -1 with a message in err when a file cannot be
 * read at all.
 */
int feat_catalog_check(const char *path, const char *const *overlays,
    size_t noverlays, feat_catalog_report_fn report, void *ctx, char *err,
    size_t errlen);

long feat_catalog_version(const feat_catalog *c);
/* Features in catalog order (the file's, then those overlays added). */
size_t feat_catalog_count(const feat_catalog *c);
const feat_catalog_feature *feat_catalog_nth(const feat_catalog *c, size_t i);
/* A feature by name or by id (the two are aliases), or NULL. */
const feat_catalog_feature *feat_catalog_find(const feat_catalog *c,
    const char *name_or_id);
/*
 * The features of a group, or of every group of an entity type, in catalog
 * order: fills out with up to max of them and returns how many there are
 * (call with max 0 to size out).
 */
size_t feat_catalog_by_group(const feat_catalog *c, const char *group,
    const feat_catalog_feature **out, size_t max);
size_t feat_catalog_by_entity(const feat_catalog *c, const char *entity_type,
    const feat_catalog_feature **out, size_t max);
/* 1 when pattern is a substring of f's name, id or group (ASCII case
   ignored); an empty pattern matches every feature. */
int feat_catalog_matches(const feat_catalog_feature *f, const char *pattern);

/* Feature attributes; strings are never NULL ("" when absent). */
const char *feat_catalog_feature_id(const feat_catalog_feature *f);
const char *feat_catalog_feature_name(const feat_catalog_feature *f);
const char *feat_catalog_feature_category(const feat_catalog_feature *f);
const char *feat_catalog_feature_group_name(const feat_catalog_feature *f);
const feat_catalog_group *feat_catalog_feature_group(
    const feat_catalog_feature *f);
const char *feat_catalog_feature_type(const feat_catalog_feature *f);
/* N of a vector[N] feature, else 0. */
size_t feat_catalog_feature_vector_len(const feat_catalog_feature *f);
/* Sets *min and *max when bounded; returns 1 (min), 2 (max), 3 or 0. */
int feat_catalog_feature_range(const feat_catalog_feature *f, double *min,
    double *max);
int feat_catalog_feature_nullable(const feat_catalog_feature *f);
/* A threshold of the feature's "drift" object (psi_high, min_samples, ...):
   1 and *v, or 0 when it keeps feat-drift's default. */
int feat_catalog_feature_drift(const feat_catalog_feature *f,
    const char *key, double *v);
int feat_catalog_feature_deprecated(const feat_catalog_feature *f);
/* The default as JSON text: "0.5", "\"und\"", "[0,0]", "null". */
const char *feat_catalog_feature_default_text(const feat_catalog_feature *f);
const char *feat_catalog_feature_unit(const feat_catalog_feature *f);
const char *feat_catalog_feature_description(const feat_catalog_feature *f);
const char *feat_catalog_feature_formula(const feat_catalog_feature *f);
const char *feat_catalog_feature_owner(const feat_catalog_feature *f);
long feat_catalog_feature_freshness(const feat_catalog_feature *f);
size_t feat_catalog_feature_source_count(const feat_catalog_feature *f);
const char *feat_catalog_feature_source(const feat_catalog_feature *f,
    size_t i);
size_t feat_catalog_feature_tag_count(const feat_catalog_feature *f);
const char *feat_catalog_feature_tag(const feat_catalog_feature *f, size_t i);
/*
 * Writes every attribute of f, in the order of feat-catalog(5), as members
 * of the object the caller has opened on w.
 */
void feat_catalog_write_feature(const feat_catalog_feature *f,
    feat_writer *w);
/* Writes f's default as one JSON value (for imputation). */
void feat_catalog_write_default(const feat_catalog_feature *f, feat_writer *w);
/* One NDJSON record: f's attributes, its entity_type and, with
   with_group, its group as "group_info"; -1 when the writer failed. */
int feat_catalog_write_entry(const feat_catalog_feature *f, int with_group,
    feat_writer *w);
/* f described in aligned text, for a terminal; -1 as above. */
int feat_catalog_describe_text(const feat_catalog_feature *f, feat_writer *w);
/* A table of features (ID, NAME, GROUP, TYPE, UNIT, RANGE); -1 as above. */
int feat_catalog_table_text(const feat_catalog_feature *const *fs, size_t n,
    feat_writer *w);

/* Groups in catalog order, and by name. */
size_t feat_catalog_group_count(const feat_catalog *c);
const feat_catalog_group *feat_catalog_group_nth(const feat_catalog *c,
    size_t i);
const feat_catalog_group *feat_catalog_group_find(const feat_catalog *c,
    const char *name);
const char *feat_catalog_group_name(const feat_catalog_group *g);
const char *feat_catalog_group_entity_type(const feat_catalog_group *g);
/* The key fields, first present wins; the default when none is ("" if
   the group has none). */
size_t feat_catalog_group_key_count(const feat_catalog_group *g);
const char *feat_catalog_group_key(const feat_catalog_group *g, size_t i);
const char *feat_catalog_group_key_default(const feat_catalog_group *g);
/* feat-extract, feat-window, feat-serve or external. */
const char *feat_catalog_group_producer(const feat_catalog_group *g);
/*
 * The feat-window preset that writes the group: the "preset" attribute,
 * else the group's own name; "" for groups feat-window does not write.
 */
const char *feat_catalog_group_preset(const feat_catalog_group *g);
/* The events the group reads: any, outcome, request, feedback,
   system_health, or "" when the catalog does not say. */
const char *feat_catalog_group_events(const feat_catalog_group *g);
/* In feat-window's WINDOW syntax ("tumbling:5m", "sliding:1h/5m",
   "session:30m/4h"), or "" for a group without a window. */
const char *feat_catalog_group_window(const feat_catalog_group *g);
/* Allowed lateness in nanoseconds (0 when none is given). */
int64_t feat_catalog_group_lateness(const feat_catalog_group *g);
/* Versions, lowest first; *traffic is set to the percentage or -1. */
size_t feat_catalog_group_version_count(const feat_catalog_group *g);
long feat_catalog_group_version(const feat_catalog_group *g, size_t i,
    int *traffic);
/* Writes every attribute of g as members of the object opened on w. */
void feat_catalog_write_group(const feat_catalog_group *g, feat_writer *w);

/* ---- model facts (capability, modalities, size, cutoff) ---------------- */
/*
 * data/model-facts.json: what genai-prices does not say about common
 * models, each fact with its public source.
 */
typedef struct feat_model_facts feat_model_facts;
/* $FEAT_MODEL_FACTS, else model-facts.json beside models_path (written
   into buf); returns the path. */
const char *feat_model_facts_default_path(const char *models_path, char *buf,
    size_t len);
feat_model_facts *feat_model_facts_load(const char *path, char *err,
    size_t errlen);
void feat_model_facts_free(feat_model_facts *facts);

/* ---- feature records (SPEC 3.2, feat-records(5)) ------------------------- */
#define FEAT_ENTITY_ID_MAX 512
struct feat_record_head {
	const char *entity_type;	/* [a-z0-9_]+ */
	const char *entity_id;		/* UTF-8, no NUL, at most 512 bytes */
	size_t entity_id_len;
	const char *group;		/* [a-z0-9_]+ */
	long version;			/* 0 is written as 1 */
	int64_t ts;			/* when the values hold */
	int64_t created;		/* when they were computed; read:
					   INT64_MIN when absent */
	int has_created;		/* read: created was given */
	int tombstone;			/* read: a tombstone */
};
struct feat_record_window {
	int64_t start, end;
	uint64_t count;
};
/* 0 when s matches [a-z0-9_]+ (an entity type, a group), else -1. */
int feat_record_check_name(const char *s);
/* 0 when id[0, len) can be an entity id, else -1 with the reason. */
int feat_record_check_id(const char *id, size_t len, char *err,
    size_t errlen);
/*
 * Opens a feature record on w: the envelope of h, then "features":{ for
 * the caller's feature members.  -1 with err (nothing written) when h's
 * names or id break the rules above.
 */
int feat_record_begin(feat_writer *w, const struct feat_record_head *h,
    char *err, size_t errlen);
/* Closes the features, adds the window object (NULL: none) and ends the
   record; -1 when the writer failed. */
int feat_record_end(feat_writer *w, const struct feat_record_window *win);
/* A whole tombstone record for h's key: -1 with err for a bad head, -2
   when the writer failed. */
int feat_record_tombstone(feat_writer *w, const struct feat_record_head *h,
    char *err, size_t errlen);

/* Reading feature records: the bad-line rules of feat(7), plus their own. */
typedef struct feat_record_reader feat_record_reader;
typedef struct feat_record feat_record;
enum feat_value_type {
	FEAT_VALUE_NULL, FEAT_VALUE_NUMBER, FEAT_VALUE_BOOL, FEAT_VALUE_STRING,
	FEAT_VALUE_VECTOR, FEAT_VALUE_OTHER	/* an object, 1e999 */
};
struct feat_value {
	enum feat_value_type type;
	const char *name;	/* the feature's name as written */
	size_t namelen;
	double number;		/* NUMBER, BOOL (0/1); else NAN */
	const char *text;	/* NUMBER: its text; STRING: the string */
	size_t len;
	const double *vec;	/* VECTOR of numbers */
	size_t veclen;
};
/* unit: of timestamps given as JSON numbers. */
feat_record_reader *feat_record_reader_new(enum feat_time_unit unit);
void feat_record_reader_free(feat_record_reader *rr);
/*
 * Reads one line: 0 and *rec (valid until the next call), or -1 with a
 * bad-line reason in *err: the line checks, then "no field 'F'", "field
 * 'F' is not a string/number/boolean/an object", "invalid value in 'F'",
 * "no timestamp", "invalid timestamp", "number out of range in 'F'".
 */
int feat_record_read(feat_record_reader *rr, const char *line, size_t len,
    const feat_record **rec, struct feat_error *err);
const struct feat_record_head *feat_record_get_head(const feat_record *r);
/* The window object, or NULL. */
const struct feat_record_window *feat_record_get_window(const feat_record *r);
/* Features in the order written (0 for a tombstone). */
size_t feat_record_nfeatures(const feat_record *r);
/* The i-th feature (in order: each step is O(1)); -1 past the end. */
int feat_record_feature(feat_record_reader *rr, const feat_record *r,
    size_t i, struct feat_value *out);
/* The feature named name; -1 when the record has none. */
int feat_record_find(feat_record_reader *rr, const feat_record *r,
    const char *name, struct feat_value *out);

/* ---- waiting for a lock another run holds ------------------------------- */
struct feat_lock_wait {
	int64_t timeout;	/* how long to wait, in ns (--lock-timeout) */
	/* called once when it has to wait (may be NULL) */
	void (*waiting)(void *ctx, const char *lockpath);
	void *ctx;
	const volatile sig_atomic_t *stop;	/* borrowed: ends the wait */
};

/* ---- stores (SPEC 7, feat-stores(7)) -------------------------------------- */
/*
 * A store keeps feature records by key (entity type, entity id, group,
 * version) and, when it keeps history, every record of a key by (ts,
 * created).  One URI scheme per backend: dir:PATH (store-dir.c),
 * postgresql:// (store-pg.c), redis:// (store-redis.c: the latest record
 * of each key only).  Records go in as batches; a batch is
 * acknowledged (feat_store_write returns 0) only once it is durable.
 * Records come out as stored lines, the canonical form of feat-records(5),
 * which feat_record_read reads.
 *
 * Latest: the greatest (ts, created), a record without created oldest
 * among its ties.  A record equal to a stored one in key, ts, created and
 * kind is a duplicate and adds nothing, so a replay changes nothing.  A
 * tombstone deletes the records of its key and ts whose created is not
 * newer than its own, whenever they are loaded.
 *
 * Threads: a feat_store is one thread's (the rule above); feat-serve
 * opens one per thread.  Several processes may open one store: writers
 * take turns by the store's lock, readers see what writers add through
 * feat_store_refresh.
 */
typedef struct feat_store feat_store;
struct feat_store_opts {
	int write;			/* will write: dir: creates PATH */
	int64_t ttl;			/* redis: PEXPIRE of a key; 0: 24 h */
	int64_t timeout;		/* servers: connect and each reply;
					   0: 5 s */
	struct feat_lock_wait lock;	/* a writer's wait for the lock */
	/* What opening or refreshing found and set right (a torn tail):
	   called with a message; NULL: said with feat_warn. */
	void (*notice)(void *ctx, const char *msg);
	void *ctx;
};
feat_store *feat_store_open(const char *uri, const struct feat_store_opts *o,
    char *err, size_t errlen);
/* 0 when uri names a store this build has (a usage check before any
   store is opened), else -1 with err. */
int feat_store_check_uri(const char *uri, char *err, size_t errlen);
/* -1 with err when something could not be finished (the store stays
   consistent); s is freed either way. */
int feat_store_close(feat_store *s, char *err, size_t errlen);
const char *feat_store_uri(const feat_store *s);
/* 1 when the store keeps history (asof, history): dir:, postgresql:. */
int feat_store_has_history(const feat_store *s);
/* Mirrors the catalog into a store that keeps one (PostgreSQL's
   feat.feature_registry); 0, or -1 with err. */
int feat_store_mirror_catalog(feat_store *s, const feat_catalog *cat,
    char *err, size_t errlen);

/* A batch of records on their way into stores, in canonical form. */
typedef struct feat_store_batch feat_store_batch;
feat_store_batch *feat_store_batch_new(void);
void feat_store_batch_free(feat_store_batch *b);
void feat_store_batch_clear(feat_store_batch *b);
size_t feat_store_batch_count(const feat_store_batch *b);
/*
 * Adds r (feat_record_read's), its catalog ids turned into names (cat may
 * be NULL); tombstone: as a tombstone of its key.  A tombstone without
 * created is stamped with now.  -1 with err when r cannot be stored.
 */
int feat_store_batch_add(feat_store_batch *b, const feat_record *r,
    const feat_catalog *cat, int tombstone, int64_t now, char *err,
    size_t errlen);
struct feat_store_written {
	uint64_t added;		/* records and tombstones now stored */
	uint64_t duplicates;	/* already stored: nothing added */
};
enum {
	FEAT_STORE_ERROR = -1,		/* err says; exit 4 */
	FEAT_STORE_LOCKED = -2,		/* the lock was held past the wait */
	FEAT_STORE_STOPPED = -3		/* a signal ended the wait */
};
/* Writes b durably: 0 and *out, or FEAT_STORE_* with err. */
int feat_store_write(feat_store *s, const feat_store_batch *b,
    struct feat_store_written *out, char *err, size_t errlen);
/*
 * The same on a thread of the store's own, so that the caller can read
 * the next batch meanwhile: b must stay as it is until
 * feat_store_write_finish, which waits for the write and says how it
 * went (the batch is acknowledged only then).  One write at a time; the
 * store must not be used otherwise in between.
 */
void feat_store_write_start(feat_store *s, const feat_store_batch *b);
int feat_store_write_finish(feat_store *s, struct feat_store_written *out,
    char *err, size_t errlen);

struct feat_store_key {
	const char *entity_type;
	const char *entity_id;
	size_t entity_id_len;
	const char *group;
	long version;		/* 0: 1 */
};
/* Called with a stored line; non-zero stops the walk and is returned. */
typedef int (*feat_store_fn)(void *ctx, const char *line, size_t len);
/* The latest record of k: 1 after fn, 0 when none, -1 with err. */
int feat_store_latest(feat_store *s, const struct feat_store_key *k,
    feat_store_fn fn, void *ctx, char *err, size_t errlen);
/*
 * As of t (feat-join's rule): the latest record with ts <= t, ties by the
 * latest created; no_future_created: also created <= t.  As above.
 */
int feat_store_as_of(feat_store *s, const struct feat_store_key *k, int64_t t,
    int no_future_created, feat_store_fn fn, void *ctx, char *err,
    size_t errlen);
/*
 * The same for many keys at once, as feat-join asks: for each q[i] found,
 * fn(ctx, i, line, len), in whatever order the store reads fastest (dir:
 * reads each batch once).  A query with an invalid key finds nothing.  0,
 * or -1 with err (fn's non-zero stops it: -1 without err).
 */
struct feat_store_query {
	struct feat_store_key key;
	int64_t t;
};
typedef int (*feat_store_at_fn)(void *ctx, size_t i, const char *line,
    size_t len);
int feat_store_as_of_many(feat_store *s, const struct feat_store_query *q,
    size_t n, int no_future_created, feat_store_at_fn fn, void *ctx,
    char *err, size_t errlen);
/*
 * Lookups that never block, for an event loop (feat-serve): requests are
 * queued with a tag, written when the store's descriptor can take them
 * (feat_store_flush) and answered, in the order sent, as the answers
 * arrive (feat_store_poll: fn with the tag and the latest line, or NULL
 * when there is none).  A server store answers on a connection of its
 * own, opened by the first request (PostgreSQL: in pipeline mode);
 * dir: answers at once, and its descriptor is -1.
 */
typedef void (*feat_store_answer_fn)(void *ctx, uint64_t tag,
    const char *line, size_t len);
int feat_store_send_latest(feat_store *s, const struct feat_store_key *k,
    uint64_t tag, char *err, size_t errlen);
/* Writes what is queued: 1 while some remains (wait for POLLOUT), 0 when
   all is sent, -1 with err. */
int feat_store_flush(feat_store *s, char *err, size_t errlen);
/* The descriptor to watch (POLLIN, and POLLOUT while flush says 1), or
   -1 when the store answers without one. */
int feat_store_fd(feat_store *s);
/* Delivers the answers that have arrived: how many, or -1 with err (the
   connection is then lost: its requests are not answered). */
long feat_store_poll(feat_store *s, feat_store_answer_fn fn, void *ctx,
    char *err, size_t errlen);
/* Requests sent and not yet answered. */
size_t feat_store_pending(const feat_store *s);
/* Every live record of k, oldest (ts, created) first: how many, or -1. */
long feat_store_history(feat_store *s, const struct feat_store_key *k,
    feat_store_fn fn, void *ctx, char *err, size_t errlen);
/* The latest record of every group and version of an entity, by group
   name then version: how many, or -1. */
long feat_store_entity(feat_store *s, const char *entity_type,
    const char *entity_id, size_t entity_id_len, feat_store_fn fn, void *ctx,
    char *err, size_t errlen);
/* Every stored line (tombstones too) in the order stored: how many, or
   -1 (fn's non-zero stops it: -1 without err when fn said so). */
long feat_store_scan(feat_store *s, feat_store_fn fn, void *ctx, char *err,
    size_t errlen);
/* Reads what other processes have added since: 0, or -1 with err. */
int feat_store_refresh(feat_store *s, char *err, size_t errlen);
struct feat_store_stats {
	uint64_t records, tombstones;	/* in history */
	uint64_t keys, live_keys;	/* live: with a latest record */
	uint64_t files, bytes;		/* segments */
	int64_t oldest_ts, newest_ts;	/* INT64_MIN when empty */
};
int feat_store_stats(feat_store *s, struct feat_store_stats *st, char *err,
    size_t errlen);
/*
 * Keeps history within retention ns of the newest stored ts, and the
 * latest record of every key whatever its age; 0 and how many records
 * it dropped in *dropped, or FEAT_STORE_* with err.
 */
int feat_store_compact(feat_store *s, int64_t retention, uint64_t *dropped,
    char *err, size_t errlen);

/* ---- one entity's features, as feat-serve answers (lookup.c) ----------- */
#define FEAT_LOOKUP_MAX_FEATURES 100
struct feat_lookup_opts {
	const feat_catalog *catalog;	/* borrowed */
	const feat_clock *clock;	/* borrowed: now, for freshness */
	int64_t as_of;			/* INT64_MIN: the latest */
	int no_future_created;		/* as_of: also created <= as_of */
	int64_t max_age;		/* ns; 0: only freshness_s */
	const char *tier;		/* metadata's tier: "dir", "l1" */
	/* DRV_010's models: (avg cost, p95 latency, error rate) of each
	   model's perf_5min; NULL: DRV_010 is null. */
	const double (*pareto)[3];
	size_t npareto;
};
/*
 * Writes the response of SPEC 9 for one entity on w: features (a list of
 * names, ids and group:NAME, comma-separated; NULL: every group of the
 * entity type), read from s (each group's control version), with a status
 * each: present, null, not_found, or stale (older than max_age or the
 * feature's freshness_s at now or as_of; the value is still given).
 * 0; -1 with err for a request that cannot be answered (an unknown
 * feature, more than FEAT_LOOKUP_MAX_FEATURES, a store error); -2 when
 * the writer failed.
 */
int feat_lookup(feat_store *s, const struct feat_lookup_opts *o,
    const char *entity_type, const char *entity_id, size_t entity_id_len,
    const char *features, feat_writer *w, char *err, size_t errlen);

/* ---- feat-load: records into stores (load.c) --------------------------- */
#define FEAT_LOAD_BATCH_DEFAULT 10000
struct feat_loader_opts {
	const char *const *uris;	/* borrowed: the --to stores */
	size_t nuris;
	size_t batch;			/* records a batch; 0: the default */
	int64_t batch_timeout;		/* ns; 0: only full batches */
	int dry_run;			/* check and open, write nothing */
	int delete;			/* every record as a tombstone */
	int64_t retention;		/* ns of history kept; 0: all */
	int64_t ttl;			/* redis: a key's PEXPIRE; 0: 24 h */
	const char *spool;		/* --spool DIR, or NULL */
	enum feat_time_unit time_unit;
	const feat_catalog *catalog;	/* borrowed: known groups, ids */
	const feat_clock *clock;	/* borrowed: tombstones' created */
	struct feat_lock_wait lock;
	const char *metrics_path;	/* Prometheus text, or NULL */
};
typedef struct feat_loader feat_loader;
struct feat_tool_stage;
/* Opens every store; NULL with err when one cannot be opened. */
feat_loader *feat_loader_new(const struct feat_loader_opts *o, char *err,
    size_t errlen);
/* The stage feat_tool_run drives. */
void feat_loader_stage(feat_loader *l, struct feat_tool_stage *st);
void feat_loader_free(feat_loader *l);

/* ---- feat-join: point-in-time training sets (join.c) -------------------- */
struct feat_join_opts {
	const char *uri;		/* --from: a store with history */
	const char *const *groups;	/* borrowed: -g GROUP[:FEATURE,...] */
	size_t ngroups;
	const char *const *keys;	/* borrowed: --key FIELD=ENTITY_TYPE */
	size_t nkeys;
	int64_t max_age;		/* ns; 0: none */
	int no_future_created;
	enum feat_time_unit time_unit;	/* of the rows' numeric ts */
	const feat_catalog *catalog;	/* borrowed */
	feat_writer *out;		/* borrowed: the joined rows */
};
typedef struct feat_joiner feat_joiner;
/*
 * Resolves the groups and keys and opens the store; NULL with *err:
 * FEAT_ERR_USAGE for a group, feature or key that cannot be, or a store
 * without history; FEAT_ERR_IO for a store that cannot be opened.
 */
feat_joiner *feat_joiner_new(const struct feat_join_opts *o,
    struct feat_error *err);
/* The stage feat_tool_run drives: rows in, joined rows out in order. */
void feat_joiner_stage(feat_joiner *j, struct feat_tool_stage *st);
void feat_joiner_free(feat_joiner *j);

/* ---- feat-drift: baselines and distribution shift (drift.c) ------------- */
#define FEAT_DRIFT_BINS_DEFAULT 10
#define FEAT_DRIFT_MIN_SAMPLES_DEFAULT 1000
struct feat_drift_fit_opts {
	int bins;			/* PSI bins; 0: the default */
	enum feat_time_unit time_unit;
	const feat_catalog *catalog;	/* borrowed: ids, types; may be NULL */
	feat_writer *out;		/* borrowed: the baseline document */
};
typedef struct feat_fitter feat_fitter;
feat_fitter *feat_fitter_new(const struct feat_drift_fit_opts *o);
/* The stage feat_tool_run drives: records in, the baseline at the end. */
void feat_fitter_stage(feat_fitter *f, struct feat_tool_stage *st);
void feat_fitter_free(feat_fitter *f);

struct feat_drift_check_opts {
	const char *baseline;		/* the baseline file */
	uint64_t every;			/* values a block; 0: all input */
	int per_window;			/* one evaluation per record ts */
	uint64_t min_samples;		/* 0: the default */
	int fail_on;			/* a severity (feat_drift_severity);
					   0: never */
	const char *report_path;	/* --report FILE.html, or NULL */
	const char *metrics_path;	/* Prometheus text, or NULL */
	enum feat_time_unit time_unit;
	const feat_catalog *catalog;	/* borrowed; may be NULL */
	const feat_clock *clock;	/* borrowed: the report's date */
	feat_writer *out;		/* borrowed: the results */
};
typedef struct feat_checker feat_checker;
/* "none" 0, "low" 1, "medium" 2, "high" 3, "critical" 4; -1 for another. */
int feat_drift_severity(const char *s);
/* Reads the baseline; NULL with *err (FEAT_ERR_USAGE) when it cannot. */
feat_checker *feat_checker_new(const struct feat_drift_check_opts *o,
    struct feat_error *err);
/* The stage: records in, result lines out; its negative result is an
   evaluation at or above fail_on. */
void feat_checker_stage(feat_checker *c, struct feat_tool_stage *st);
void feat_checker_free(feat_checker *c);

/* ---- feat-validate: the quality gate (validate.c) ------------------------ */
enum feat_outliers {
	FEAT_OUTLIERS_FLAG, FEAT_OUTLIERS_REJECT, FEAT_OUTLIERS_CLIP
};
struct feat_validate_opts {
	const char *rejects;		/* --rejects FILE, or NULL */
	const char *baseline;		/* --baseline FILE, or NULL */
	int impute;			/* nulls of non-nullable features take
					   the catalog default */
	enum feat_outliers outliers;
	int allow_unknown;		/* features not in the catalog pass */
	int unbuffered;			/* --rejects written per record */
	enum feat_time_unit time_unit;
	const feat_catalog *catalog;	/* borrowed */
	feat_writer *out;		/* borrowed: the good records */
};
typedef struct feat_validator feat_validator;
/* Reads the baseline and opens the rejects file; NULL with *err
   (FEAT_ERR_USAGE) when either cannot be. */
feat_validator *feat_validator_new(const struct feat_validate_opts *o,
    struct feat_error *err);
/* The stage: records in, good ones out; its negative result is a record
   rejected. */
void feat_validator_stage(feat_validator *v, struct feat_tool_stage *st);
void feat_validator_free(feat_validator *v);

/* ---- feat-serve: the HTTP API (serve.c) ---------------------------------- */
struct feat_serve_opts {
	const char *const *stores;	/* borrowed: the tiers, in order */
	size_t nstores;
	const char *listen;		/* HOST:PORT; NULL: 127.0.0.1:8080 */
	int threads;			/* 0: 1 */
	size_t cache_size;		/* L1 bytes, all threads; 0: none */
	int64_t cache_ttl;		/* ns; 0: for ever */
	int64_t max_age;		/* ns; 0: only freshness_s */
	size_t max_inflight;		/* 0: 1024 */
	const char *token_file;		/* bearer token, or NULL */
	size_t max_body;		/* bytes; 0: 1 MiB */
	int64_t timeout;		/* a request's deadline, ns; 0: 50 ms */
	int64_t idle_timeout;		/* ns; 0: 10 s */
	const feat_clock *clock;	/* borrowed */
	/* The catalog: loaded at start and again on *reload (SIGHUP). */
	feat_catalog *(*load_catalog)(void *ctx, char *err, size_t errlen);
	void *ctx;
	const volatile sig_atomic_t *stop;	/* borrowed: drain and end */
	volatile sig_atomic_t *reload;		/* borrowed; cleared here */
};
/*
 * Serves until *stop: 0 after draining, or -1 with err (FEAT_EXIT_USAGE
 * in *status for a bad option or an address that cannot be had, else
 * FEAT_EXIT_STORE).
 */
int feat_serve(const struct feat_serve_opts *o, int *status, char *err,
    size_t errlen);

/* ---- feat-extract's feature groups (request, static, context) ---------- */
enum {
	FEAT_GROUP_REQUEST = 1, FEAT_GROUP_STATIC = 2, FEAT_GROUP_CONTEXT = 4
};
struct feat_extract_opts {
	unsigned groups;	/* FEAT_GROUP_* */
	const feat_tz *tz;	/* borrowed: the hour features' zone; NULL UTC */
	const feat_clock *clock;	/* borrowed: created */
	int group_version;	/* written as "version"; 0 means 1 */
	const char *state;	/* --state FILE, or NULL */
	size_t max_sessions;	/* bound of the state maps; 0: 1,000,000 */
	struct feat_lock_wait lock;	/* for the state's lock */
};
typedef struct feat_extractor feat_extractor;
/* -g request,static,context: any of them, each once, to FEAT_GROUP_* bits;
   -1 with a message for an unknown or empty name. */
int feat_extract_groups(const char *list, unsigned *groups, char *err,
    size_t errlen);
/*
 * A stage writing feature records for normalised events.  models and facts
 * (either may be NULL) are borrowed and must outlive it.  With a state, it
 * takes the state's lock (STATE.lock; held until feat_extractor_free) and
 * reads the state.  Returns NULL with *err: FEAT_ERR_IO when the lock is
 * not had in time, FEAT_ERR_USAGE for a state that cannot be read.
 */
feat_extractor *feat_extractor_new(const struct feat_extract_opts *o,
    const feat_models *models, const feat_model_facts *facts,
    struct feat_error *err);
/*
 * Whether the records of ev can be written: 0, or -1 with a bad value in
 * *err (an entity id longer than 512 bytes).  Writes nothing, changes no
 * state.
 */
int feat_extractor_check(feat_extractor *x, const feat_event *ev,
    struct feat_error *err);
/*
 * Writes the records ev gives (0 or more): 0, or -1 with *err: a bad value
 * (as feat_extractor_check; nothing of the event written) or
 * FEAT_ERR_OUTPUT when the writer failed.
 */
int feat_extractor_event(feat_extractor *x, const feat_event *ev,
    feat_writer *w, struct feat_error *err);
/* Saves --state atomically; -1 with a message when it cannot. */
int feat_extractor_save(feat_extractor *x, char *err, size_t errlen);
void feat_extractor_free(feat_extractor *x);
struct feat_event_stage;
/* The extractor as a stage of feat_tool_run_events (ctx: x), writing to w
   (borrowed); saves the state when it has one. */
void feat_extractor_stage(feat_extractor *x, feat_writer *w,
    struct feat_event_stage *st);
/* The model catalog the normaliser uses, or NULL. */
feat_models *feat_normaliser_models(const feat_normaliser *nz);

/* ---- feat-window's windows (window.c, aggregate.c, window-preset.c) ------ */
enum feat_window_type {
	FEAT_WINDOW_TUMBLING, FEAT_WINDOW_SLIDING, FEAT_WINDOW_SESSION
};
struct feat_window_spec {
	enum feat_window_type type;
	int64_t size, slide;	/* ns; a tumbling window's slide is its size */
	int64_t gap, max;	/* ns, sessions; max 0: none */
};
/* "tumbling:5m", "sliding:1h/5m" (the slide divides the size, at most
   FEAT_WINDOW_MAX_SLIDES times) or "session:30m[/4h]"; -1 with a message. */
#define FEAT_WINDOW_MAX_SLIDES 100000
int feat_window_parse(const char *s, struct feat_window_spec *w, char *err,
    size_t errlen);
/* The events a window reads (--events, a group's "events"). */
enum feat_window_events {
	FEAT_EVENTS_ANY, FEAT_EVENTS_OUTCOME, FEAT_EVENTS_REQUEST,
	FEAT_EVENTS_FEEDBACK, FEAT_EVENTS_HEALTH
};
/* any, outcome, request, feedback, system_health; -1 for another. */
int feat_window_events_parse(const char *s, enum feat_window_events *e);

struct feat_windower_opts {
	struct feat_window_spec window;	/* the general form's (-w) */
	int64_t align;		/* ns: windows start at epoch + align */
	int64_t watermark_delay;	/* ns (default 5 s: FEAT_NS_PER_S * 5) */
	long version;		/* written in records; 0 means 1 */
	int created_watermark;	/* created = the watermark at the fire */
	const feat_clock *clock;	/* borrowed: created otherwise */
	/* Live streams (SPEC 6); 0: off. */
	int64_t max_skew;	/* ns: events further ahead of the watermark
				   are late, and do not move it */
	int64_t key_ttl;	/* ns of event time: an idle key's state goes */
	int64_t idle_flush;	/* ns of a quiet input: the watermark follows
				   the clock */
	unsigned long part_i, part_n;	/* --partition I/N (N 0: every key) */
	const char *metrics_path;	/* Prometheus text, every second */
	int sketch;		/* percentiles from a sketch (within 1%) */
	int64_t lateness;	/* ns: allowed lateness of the general form
				   (a preset's is its catalog group's) */
};
typedef struct feat_windower feat_windower;
/*
 * The general form: windows of o->window keyed by key (a canonical field
 * or a dotted path), records of entity type entity_type (NULL: the
 * default of SPEC 6) and group (NULL: "window"), over the events of that
 * kind, one feature per aggregate "FUNC(FIELD)[ as NAME]".  NULL with a
 * message for a bad window, key, aggregate or name.
 */
feat_windower *feat_windower_new(const struct feat_windower_opts *o,
    const char *key, const char *entity_type, const char *group,
    enum feat_window_events events, const char *const *aggs, size_t naggs,
    char *err, size_t errlen);
/*
 * A preset (-p): the catalog groups whose preset is that name, with their
 * window, key, events, entity type and features (o->window is not read).
 * cat is borrowed only during the call.
 */
feat_windower *feat_windower_preset(const struct feat_windower_opts *o,
    const feat_catalog *cat, const char *preset, char *err, size_t errlen);
/* What the normaliser must read for it (NULL-ended; the windower's). */
const char *const *feat_windower_fields(const feat_windower *w);
const char *const *feat_windower_paths(const feat_windower *w);
/* The windower as a stage of feat_tool_run_events (ctx: w), writing to
   out (borrowed); at the end of input every open window fires. */
void feat_windower_stage(feat_windower *w, feat_writer *out,
    struct feat_event_stage *st);
/* One event (as the stage does): 0, or -1 with *err when writing failed. */
int feat_windower_add(feat_windower *w, const feat_event *ev,
    struct feat_error *err);
struct feat_tool;
/*
 * Late events (and those past --max-skew) are appended, as the lines they
 * came in (asked of t, the run's driver), to the file at path, made when
 * missing.  -1 with a message when it cannot be opened.
 */
int feat_windower_open_late(feat_windower *w, struct feat_tool *t,
    const char *path, char *err, size_t errlen);
/*
 * --state: takes path's lock (waiting as lw says), reads the state when
 * there is one - the windows, keys, watermark and counters where the run
 * before stopped, and where in its inputs, handed to t so that it skips
 * what was read - and saves it at t's checkpoints and at the end of the
 * run, when the open windows fire only with flush (never when stopped by
 * a signal).  Call it after feat_windower_open_late.  -1 with *err:
 * FEAT_ERR_IO when the lock is not had in time, FEAT_ERR_USAGE for a
 * state that cannot be read or was written by other windows.
 */
int feat_windower_open_state(feat_windower *w, struct feat_tool *t,
    const char *path, int flush, const struct feat_lock_wait *lw,
    struct feat_error *err);
/* Events dropped because every window they belong to had fired; events
   skipped for want of the key; the watermark (INT64_MIN before any). */
unsigned long feat_windower_late(const feat_windower *w);
unsigned long feat_windower_without_key(const feat_windower *w);
int64_t feat_windower_watermark(const feat_windower *w);
void feat_windower_free(feat_windower *w);

/* ---- the tool driver (tool.c) --------------------------------------------- */
/*
 * A tool is an option table, a stage and calls into libfeat; the driver
 * owns everything around them: diagnostics, file descriptors 0-2,
 * SIGPIPE, SIGINT and SIGTERM, the common options of feat(7), --help and
 * --version, the loop over FILE operands, bad lines, the order in which a
 * run ends, and the exit status.  Only the driver and feat_die exit.
 */
typedef struct feat_tool feat_tool;

struct feat_option {
	const char *name;	/* long name, without "--" */
	int key;		/* a short option letter, else 256..0xFFF */
	const char *arg;	/* the argument's name ("FILE"), NULL: none */
	const char *help;	/* --help text; "\n" starts a new line */
	unsigned flags;		/* FEAT_OPTF_* */
};
enum {
	FEAT_OPTF_REPEAT = 1,	/* "[--field C=S]..." in the synopsis */
	FEAT_OPTF_OWN_FORM = 2,	/* only in a form of its own (def->forms) */
	FEAT_OPTF_REQUIRED = 4	/* in the first form without brackets */
};
/* The common options of SPEC 2 a tool takes (struct feat_tool_def.common). */
enum {
	FEAT_OPT_MODELS = 1 << 0, FEAT_OPT_CATALOG = 1 << 1,
	FEAT_OPT_CATALOG_OVERLAY = 1 << 2, FEAT_OPT_ON_ERROR = 1 << 3,
	FEAT_OPT_MAX_LINE = 1 << 4, FEAT_OPT_TIME_UNIT = 1 << 5,
	FEAT_OPT_UNBUFFERED = 1 << 6, FEAT_OPT_LOCK_TIMEOUT = 1 << 7,
	FEAT_OPT_PROGRESS = 1 << 8, FEAT_OPT_METRICS_FILE = 1 << 9
};
enum {
	FEAT_TOOL_COMMAND = 1,	/* operands are a command: options first */
	FEAT_TOOL_SERVER = 2	/* long-running: SIGPIPE ignored */
};
struct feat_tool_def {
	const char *name;		/* "feat-extract" */
	const char *description;	/* one paragraph for --help, or NULL */
	const struct feat_option *options;	/* the tool's own; ends { 0 } */
	unsigned common;		/* FEAT_OPT_* */
	const char *operands;		/* "[FILE...]" */
	const char *const *forms;	/* other synopsis forms; NULL-ended */
	const char *trailer;		/* text after the options, or NULL */
	unsigned flags;			/* FEAT_TOOL_* */
	/* Each of the tool's own options: 0, or -1 with a message in err
	   (a usage error, exit 2). */
	int (*option)(void *ctx, int key, const char *arg, char *err,
	    size_t errlen);
	/* NULL, or the commands (NULL-ended) one of which is the first
	   operand, before the files: feat_tool_command says which. */
	const char *const *commands;
};
/*
 * Starts a tool: makes fds 0-2 sane, sets SIGPIPE (default for filters),
 * parses argv (the tool's options go to def->option with ctx), answers
 * --help and --version (exit 0, or 4 when stdout cannot be written),
 * refuses usage errors (exit 2), opens the model catalog lazily when the
 * tool takes --models, refuses an input that is the output or the
 * quarantine file, and installs the SIGINT/SIGTERM flag.
 */
feat_tool *feat_tool_start(const struct feat_tool_def *def, int argc,
    char **argv, void *ctx);
/* "feat-x: message", "Try 'feat-x --help'...", exit 2. */
void feat_tool_usage_error(const feat_tool *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* A warning about the line being processed: "feat-x: FILE:LINE: ...". */
void feat_tool_warn_here(const feat_tool *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* How the tool waits for a lock: --lock-timeout, saying once that it
   waits, stopped by SIGINT and SIGTERM. */
struct feat_lock_wait feat_tool_lock_wait(feat_tool *t);

char **feat_tool_operands(const feat_tool *t, int *n);
/* The command of a tool with def->commands (the first operand). */
const char *feat_tool_command(const feat_tool *t);
/* --unbuffered was given. */
int feat_tool_unbuffered(const feat_tool *t);
/*
 * Refuses (a usage error, exit 2) a file the tool will write besides
 * standard output (what is named by option, --rejects) when it is one of
 * the inputs, the output file or the quarantine file (through symbolic
 * links: /dev/stdout is the output file when that is a regular file).
 */
void feat_tool_check_written(const feat_tool *t, const char *path,
    const char *option);
/* 1 when a and b name the same existing file (through links), else 0. */
int feat_same_file(const char *a, const char *b);
/* Exits 2 ("OPT_A and OPT_B name the same file") when the files of two
   options are one: the same spelling, or the same existing file through
   links.  A NULL path is no file. */
void feat_tool_check_distinct(const feat_tool *t, const char *a,
    const char *opt_a, const char *b, const char *opt_b);
size_t feat_tool_max_line(const feat_tool *t);
enum feat_time_unit feat_tool_time_unit(const feat_tool *t);
const feat_clock *feat_tool_clock(const feat_tool *t);
/* The model catalog, opened on the first call (an unreadable file: exit
   2) and read when first needed; NULL when the tool takes no --models. */
feat_models *feat_tool_models(feat_tool *t);
/* The feature catalog with every --catalog-overlay merged, loaded on the
   first call (a catalog that does not load: exit 2). */
feat_catalog *feat_tool_catalog(feat_tool *t);
const char *feat_tool_catalog_path(const feat_tool *t);
const char *const *feat_tool_catalog_overlays(const feat_tool *t, size_t *n);
const char *feat_tool_metrics_path(const feat_tool *t);
/* The writer on stdout (made on the first call; the driver closes it). */
feat_writer *feat_tool_output(feat_tool *t);
/* The flag SIGINT and SIGTERM set; a stage's blocking loops watch it. */
const volatile sig_atomic_t *feat_tool_stop_flag(void);
/* The flag SIGHUP sets in a server tool (FEAT_TOOL_SERVER), which clears
   it once it has reloaded. */
volatile sig_atomic_t *feat_tool_reload_flag(void);
int feat_tool_stopping(const feat_tool *t);

/*
 * A stage over input lines.  Each callback returns 0, or -1 with *err:
 * a bad line (code FEAT_BAD_*, reason with the fixed phrase) that the
 * --on-error policy handles, or a failure (FEAT_ERR_*) that ends the run.
 */
struct feat_tool_stage {
	int (*line)(void *ctx, const struct feat_line *line,
	    struct feat_error *err);
	/* After the input (stopped: by a signal): fire, flush, summarise. */
	int (*finish)(void *ctx, int stopped, struct feat_error *err);
	/* Commits the state, once the output is safely written; NULL: none. */
	int (*save)(void *ctx, struct feat_error *err);
	/* Says the stage's own summary on stderr. */
	void (*summary)(void *ctx);
	/* Called after idle ns of a quiet input (0: never): a batch
	   timeout.  As line's failures. */
	int64_t idle_ns;
	int (*idle)(void *ctx, struct feat_error *err);
	/* Non-zero for a negative result (exit 1: a record rejected, drift
	   found); NULL: none. */
	int (*negative)(void *ctx);
};
/*
 * Runs a stage over every FILE operand (or stdin) and ends the run:
 * finish, flush the output (exit 4 when it fails: no state is saved),
 * save, commit the quarantined lines, summarise, close stdout.  Returns
 * the exit status for main: 0 (130 after SIGINT), 3 for a bad line under
 * --on-error=fail, 2 or 4 for a failure.
 */
int feat_tool_run(feat_tool *t, const struct feat_tool_stage *st, void *ctx);

/*
 * Where a run is in its inputs, for a state that continues from one run
 * to the next (feat-window --state).  An input is named by a hash of its
 * first line (FNV-1a 64 over 8-byte words); lines counts those consumed,
 * bytes their bytes with a line ending each, hash is the same hash of
 * those lines, each with "\n".
 */
struct feat_input_pos {
	uint64_t first, lines, bytes, hash;
	/* When the last line consumed had no line end yet (a log being
	   written): the hash before it, its length and its own hash, so
	   that the line it becomes is read again. */
	uint64_t prev_hash, tail_len, tail_hash;
};
#define FEAT_INPUT_POS_MAX 1024
/*
 * The inputs read before (n at most FEAT_INPUT_POS_MAX): an input whose
 * first line names one of them skips the lines consumed then, after
 * checking that they are the same (else the run fails, exit 2: not the
 * input the state saw).
 */
void feat_tool_resume(feat_tool *t, const struct feat_input_pos *pos,
    size_t n);
/* The positions to save: this run's inputs, then those resumed from that
   it has not read, at most FEAT_INPUT_POS_MAX in all. */
const struct feat_input_pos *feat_tool_positions(feat_tool *t, size_t *n);
/*
 * Calls the stage's save between two lines every lines lines or ns of
 * time (0: not by that measure), once the output before is flushed (and
 * synced, when it is a file) and the quarantined lines committed: a
 * checkpoint that a run killed later restarts from.
 */
void feat_tool_checkpoint_every(feat_tool *t, uint64_t lines, int64_t ns);
/*
 * A run with a state: when fd is a regular file that ends in a line cut
 * short (a run killed while writing it), that piece goes - the run writes
 * the line again whole - and the rest is written after what is left.
 * what names the file in the warning.  1 when cut, 0 when not, -1 when
 * the cut failed.
 */
int feat_trim_torn_line(int fd, const char *what);

/*
 * A stage over normalised events: the driver runs the normaliser.  When
 * check is given, every event of a line is checked before any of them is
 * handed to event, so that a line is bad (or good) whole: an export batch
 * with one span the stage cannot take writes none of them.
 */
struct feat_event_stage {
	int (*event)(void *ctx, const feat_event *ev, struct feat_error *err);
	int (*check)(void *ctx, const feat_event *ev, struct feat_error *err);
	int (*finish)(void *ctx, int stopped, struct feat_error *err);
	int (*save)(void *ctx, struct feat_error *err);
	void (*summary)(void *ctx);
	/* As feat_tool_stage's: after idle_ns of a quiet input. */
	int64_t idle_ns;
	int (*idle)(void *ctx, struct feat_error *err);
};
/* The input line being handled (its events are being handed over), or
   NULL outside a line. */
const struct feat_line *feat_tool_line(const feat_tool *t);
int feat_tool_run_events(feat_tool *t, feat_normaliser *nz,
    const struct feat_event_stage *st, void *ctx);
/*
 * Splits a command line into words at blanks, '...' and "..." quoting
 * (\" and \\ inside double quotes).  Returns the words' storage (free it
 * and *argv), or NULL for an unterminated quote.
 */
char *feat_split_words(const char *s, size_t n, char ***argv, int *argc);
/* Ends a tool that reads no input (a command): flush, close, the status. */
int feat_tool_end(feat_tool *t, int status);
/* Ends a tool whose set-up failed as *e says: the message, the status (0
   or 130 when a signal stopped a wait). */
int feat_tool_fail(feat_tool *t, const struct feat_error *e);
void feat_tool_free(feat_tool *t);

#ifdef __cplusplus
}
#endif
#endif /* FEAT_H */
