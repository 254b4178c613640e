/*
 * feat.h - the public interface of libfeat, the library behind the feat
 * tools: record I/O, event normalisation, the model catalog and request
 * cost, numbers, time, diagnostics.
 *
 * Ownership: a function named *_new, *_open or *_dup returns an object the
 * caller owns and releases with the matching *_free or *_close; every other
 * pointer argument is borrowed for the duration of the call, and a pointer a
 * function returns into an object stays valid until the next call on that
 * object.
 */
#ifndef FEAT_H
#define FEAT_H

#include <stddef.h>
#include <stdint.h>
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

/* An integer with an optional K, M or G (powers of 1024); 0 or -1. */
int feat_parse_size(const char *s, size_t *out);
/*
 * A duration of SPEC 2: an integer and ms, s, m, h or d ("5m"), to
 * nanoseconds; 0, or -1 when s is not one or overflows.
 */
int feat_parse_duration(const char *s, int64_t *ns);

/* ---- time: int64 nanoseconds since the epoch, UTC ---------------------- */
enum feat_time_unit {
	FEAT_TIME_S = 0, FEAT_TIME_MS = 3, FEAT_TIME_US = 6, FEAT_TIME_NS = 9
};
#define FEAT_TIME_BUFSZ 32
/*
 * Parses RFC 3339 with any offset, or YYYY-MM-DD[T ]HH:MM:SS[.f] with an
 * optional zone (none means UTC), up to 9 fractional digits.  Returns 0 and
 * sets *ns, or -1 when s is not a valid timestamp or is outside int64 ns.
 */
int feat_time_parse(const char *s, size_t len, int64_t *ns);
/*
 * Parses a decimal number of the given unit since the epoch ("1700000000.123",
 * "-1.5", "17e8"), exactly from its text, flooring below a nanosecond.
 * Returns 0 or -1.
 */
int feat_time_parse_epoch(const char *s, size_t len, enum feat_time_unit unit,
    int64_t *ns);
/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (milliseconds floored), returns length. */
size_t feat_time_format(int64_t ns, char *buf);
/*
 * "Now": $FEAT_NOW (RFC 3339) when set, else the system clock.  Returns 0,
 * or -1 when $FEAT_NOW does not parse.
 */
int feat_now(int64_t *ns);


/* ---- reading lines ------------------------------------------------------ */
#define FEAT_MAX_LINE_DEFAULT ((size_t)16 << 20)
#define FEAT_MAX_LINE_MAX ((size_t)1 << 30)	/* the largest --max-line */
#define FEAT_RAW_MAX 4096	/* bytes of a bad line kept for quarantine */

typedef struct feat_reader feat_reader;
struct feat_line {
	const char *text;	/* without its line ending; the first
				   FEAT_RAW_MAX bytes when too_long */
	size_t len;		/* bytes at text */
	size_t bytes;		/* the whole line's length */
	unsigned long lineno;	/* 1-based, blank lines counted */
	int too_long;		/* longer than max_line: never held whole */
};
/*
 * Opens path (NULL or "-": stdin), plain or gzip.  Returns NULL with errno
 * set when it cannot be opened.
 */
feat_reader *feat_reader_open(const char *path, size_t max_line);
/*
 * Next non-blank line: 1 and *line filled (valid until the next call), 0 at
 * the end, -1 on a read or decompression error (feat_reader_error says).
 */
int feat_reader_next(feat_reader *r, struct feat_line *line);
const char *feat_reader_name(const feat_reader *r);	/* "<stdin>" */
const char *feat_reader_error(const feat_reader *r);
unsigned long feat_reader_lineno(const feat_reader *r);
void feat_reader_close(feat_reader *r);

/* ---- bad lines: --on-error ---------------------------------------------- */
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
	FEAT_BAD_FIELD		/* field 'F' is not a string / boolean */
};
struct feat_error {
	enum feat_bad code;
	char reason[320];	/* starts with the fixed phrase */
};

enum feat_onerror {
	FEAT_ONERROR_FAIL, FEAT_ONERROR_SKIP, FEAT_ONERROR_QUARANTINE
};
typedef struct feat_badlines feat_badlines;
/*
 * spec: "fail", "skip" or "quarantine:FILE" (FILE is appended to).  Returns
 * NULL with a message in err when spec is wrong or FILE cannot be opened.
 */
feat_badlines *feat_badlines_new(const char *spec, char *err, size_t errlen);
/*
 * Counts one bad line and, under quarantine, writes it.  Returns 0 to go on,
 * 1 when the tool must stop (fail), -1 when the quarantine write failed.
 */
int feat_badlines_add(feat_badlines *b, const char *file, unsigned long line,
    const char *reason, const char *raw, size_t rawlen, size_t bytes);
enum feat_onerror feat_badlines_mode(const feat_badlines *b);
const char *feat_badlines_path(const feat_badlines *b);
unsigned long feat_badlines_count(const feat_badlines *b);
int feat_badlines_close(feat_badlines *b);	/* -1: close failed */

/* ---- writing records ------------------------------------------------------ */
typedef struct feat_writer feat_writer;
/* Block-buffered NDJSON to out; unbuffered flushes after every record. */
feat_writer *feat_writer_new(FILE *out, int unbuffered);
void feat_writer_open_object(feat_writer *w);
void feat_writer_close_object(feat_writer *w);
void feat_writer_open_array(feat_writer *w);
void feat_writer_close_array(feat_writer *w);
void feat_writer_key(feat_writer *w, const char *k, size_t n);
void feat_writer_string(feat_writer *w, const char *s, size_t n);
void feat_writer_number(feat_writer *w, const char *text, size_t n);
void feat_writer_double(feat_writer *w, double d);	/* null if not finite */
void feat_writer_int(feat_writer *w, int64_t v);
void feat_writer_bool(feat_writer *w, int b);
void feat_writer_null(feat_writer *w);
void feat_writer_time(feat_writer *w, int64_t ns);	/* RFC 3339 string */
/* Ends a record with a newline; -1 (errno set) once a write has failed. */
int feat_writer_end_record(feat_writer *w);
/* Flushes and frees; -1 with errno when any write or the flush failed. */
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
 * Loads the catalog at path (NULL: feat_models_default_path()).  Returns
 * NULL with a message in err when it cannot be read or is not a catalog
 * (every regex must be POSIX ERE).
 */
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
	 * The model catalog (borrowed, outliving the normaliser), or NULL:
	 * then no catalog_model, no provider from the catalog and no
	 * computed costs.
	 */
	feat_models *models;
	/*
	 * When models is NULL: called once, by the first event that names a
	 * model, to get the catalog (borrowed likewise; NULL: go without), so
	 * a log without models never loads one.
	 */
	feat_models *(*load_models)(void *ctx);
	void *load_ctx;
};
feat_normaliser *feat_normaliser_new(const struct feat_normaliser_opts *o);
/* --field canonical=source; -1 and a message for a bad spec. */
int feat_normaliser_field(feat_normaliser *nz, const char *spec, char *err,
    size_t errlen);
/* --drop FIELD: keeps a canonical field out of written events. */
int feat_normaliser_drop(feat_normaliser *nz, const char *name, char *err,
    size_t errlen);
void feat_normaliser_free(feat_normaliser *nz);
/* Writes each canonical field and its sources, in priority order. */
void feat_normaliser_list_fields(const feat_normaliser *nz, FILE *out);
/* OTLP spans without gen_ai.* attributes skipped so far. */
unsigned long feat_normaliser_skipped_spans(const feat_normaliser *nz);
/*
 * Normalises one line.  Returns the number of events it holds (read them
 * with feat_normaliser_event, valid until the next call), or -1 for a bad
 * line, described in *err.
 */
int feat_normalise_line(feat_normaliser *nz, const char *line, size_t len,
    struct feat_error *err);
const feat_event *feat_normaliser_event(const feat_normaliser *nz, int i);
int64_t feat_event_ts(const feat_event *ev);
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

/* ---- the model overlay (capability, modalities, size, cutoff) ---------- */
typedef struct feat_overlay feat_overlay;
/* $FEAT_MODEL_OVERLAY, else model-overlay.json beside models_path. */
const char *feat_overlay_default_path(const char *models_path);
feat_overlay *feat_overlay_load(const char *path, char *err, size_t errlen);
void feat_overlay_free(feat_overlay *ov);

/* ---- feat-extract's feature groups (request, static, context) ---------- */
enum {
	FEAT_GROUP_REQUEST = 1, FEAT_GROUP_STATIC = 2, FEAT_GROUP_CONTEXT = 4
};
struct feat_extract_opts {
	unsigned groups;	/* FEAT_GROUP_* */
	const char *tz;		/* zone of the hour features; NULL: UTC */
	int group_version;	/* written as "version"; 0 means 1 */
	const char *state;	/* --state FILE, or NULL */
	size_t max_sessions;	/* bound of the state maps; 0: 1,000,000 */
};
typedef struct feat_extractor feat_extractor;
/* True when zone names a zone of the system's time zone database. */
int feat_tz_valid(const char *zone);
/*
 * A stage writing feature records for normalised events.  models and ov
 * (either may be NULL) are borrowed and must outlive it.  Returns NULL
 * with a message for an unknown zone or an unreadable state file.
 */
feat_extractor *feat_extractor_new(const struct feat_extract_opts *o,
    const feat_models *models, const feat_overlay *ov, char *err,
    size_t errlen);
/* Writes the records ev gives (0 or more); -1 when a write failed. */
int feat_extractor_event(feat_extractor *x, const feat_event *ev,
    feat_writer *w);
/* Saves --state (atomically); -1 with a message when it cannot. */
int feat_extractor_finish(feat_extractor *x, char *err, size_t errlen);
void feat_extractor_free(feat_extractor *x);
/* The model catalog the normaliser uses (loaded on first need), or NULL. */
feat_models *feat_normaliser_models(const feat_normaliser *nz);

#ifdef __cplusplus
}
#endif
#endif /* FEAT_H */
