/*
 * feat.h - the public interface of libfeat, the library behind the feat
 * tools: record I/O, event normalisation, numbers, time, diagnostics.
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

/* ---- events: any supported log line to canonical fields ----------------- */
typedef struct feat_normaliser feat_normaliser;
typedef struct feat_event feat_event;
struct feat_normaliser_opts {
	enum feat_time_unit time_unit;	/* of numeric timestamps */
	int keep_unknown;		/* keep other fields, under "extra" */
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
/* Writes ev as one -g event record (without ending the record). */
void feat_event_write(const feat_normaliser *nz, const feat_event *ev,
    feat_writer *w);

#ifdef __cplusplus
}
#endif
#endif /* FEAT_H */
