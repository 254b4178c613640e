/*
 * feat-private.h - helpers shared between libfeat's own files.  Nothing
 * here is exported from the shared library (names start with ft_); the unit
 * tests reach them by linking the convenience library.
 */
#ifndef FEAT_PRIVATE_H
#define FEAT_PRIVATE_H

#include "feat.h"

#include <stdint.h>
#include <stddef.h>
#include <string.h>

/* ---- growable byte buffer ------------------------------------------------ */
struct ft_buf {
	char *p;
	size_t len, cap;
};
void ft_buf_grow(struct ft_buf *b, size_t extra);
static inline void
ft_buf_add(struct ft_buf *b, const void *s, size_t n)
{
	if (b->cap - b->len < n)
		ft_buf_grow(b, n);
	if (n <= 8) {
		/* The generator hands over many 1-byte pieces: no call. */
		for (size_t i = 0; i < n; i++)
			b->p[b->len + i] = ((const char *)s)[i];
	} else
		memcpy(b->p + b->len, s, n);
	b->len += n;
}
static inline void
ft_buf_addc(struct ft_buf *b, char c)
{
	if (b->cap == b->len)
		ft_buf_grow(b, 1);
	b->p[b->len++] = c;
}
void ft_buf_free(struct ft_buf *b);
/* Appends printf-style text. */
void ft_buf_printf(struct ft_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* a / b rounded toward minus infinity (b > 0): -1 ns is in second -1. */
static inline int64_t
ft_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/*
 * b - a in nanoseconds as a double: exact int64 arithmetic where it fits,
 * doubles for times further apart than int64 can say.
 */
static inline double
ft_ns_diff(int64_t b, int64_t a)
{
	int64_t d;

	if (__builtin_sub_overflow(b, a, &d))
		return (double)b - (double)a;
	return (double)d;
}

/* ---- calendar (timefmt.c): the proleptic Gregorian calendar ------------ */
/* Days since 1970-01-01 of year y, month m (1-12), day d (1-31). */
int64_t ft_days_from_civil(int64_t y, int m, int d);
/* The inverse: the date of day z since 1970-01-01. */
void ft_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

/* ---- hashing keys that come from input (hash.c) ------------------------- */
/*
 * The fast hash of feat's hash tables, eight bytes a step.  Tables keyed
 * by input (repeated keys, request ids, model names) seed it with
 * ft_hash_seed() per table, so keys crafted to collide offline do not
 * collide there.  Not for identities: feat_fnv1a64 is the format's.
 */
static inline uint64_t
ft_seeded_hash(uint64_t seed, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = (UINT64_C(0x9E3779B97F4A7C15) ^ n ^ seed) *
	    UINT64_C(0xd6e8feb86659fd93), w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	/* murmur3's finaliser: every bit of the key reaches the low bits. */
	h ^= w;
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	return h ^ (h >> 33);
}

static inline uint64_t
ft_quick_hash(const void *p, size_t n)
{
	return ft_seeded_hash(0, p, n);
}

/* A secret seed for one table (getrandom). */
uint64_t ft_hash_seed(void);

/* ---- files that survive a crash (file.c) --------------------------------- */
/* write(2) all of buf, retrying EINTR; -1 with errno. */
int ft_write_all(int fd, const void *buf, size_t len);
/*
 * Replaces path with data: PATH.tmp.<pid>, fsync, rename, fsync of the
 * directory.  A crash leaves the old file or the new one.  -1 with err.
 */
int ft_write_atomic(const char *path, const void *data, size_t len,
    char *err, size_t errlen);
/*
 * A report or metrics file: replaced atomically when path is a regular
 * file or absent (through a symbolic link, the file it names), written
 * through when it is a device or a FIFO (/dev/stdout).  -1 with err.
 */
int ft_write_file(const char *path, const void *data, size_t len,
    char *err, size_t errlen);
int ft_fsync_dir(const char *path, char *err, size_t errlen);
/* Removes PATH.tmp.<digits> files a killed run left; returns how many.
   Call it only while holding path's lock. */
int ft_remove_stale_tmp(const char *path);
/*
 * Takes the exclusive lock on PATH.lock (created when missing), waiting as
 * w says (NULL: not at all).  Returns the lock's file descriptor (close it
 * to unlock), or with err: FT_LOCK_TIMEOUT when another holder kept it
 * past the timeout, FT_LOCK_STOPPED when the wait was stopped,
 * FT_LOCK_UNUSABLE when the lock file cannot be opened or locked at all.
 */
enum { FT_LOCK_TIMEOUT = -1, FT_LOCK_STOPPED = -2, FT_LOCK_UNUSABLE = -3 };
int ft_lock_open(const char *path, const struct feat_lock_wait *w,
    char *err, size_t errlen);
/* The same with the lock file named: lock, for what's sake (path in the
   messages). */
int ft_lock_file(const char *lock, const char *path,
    const struct feat_lock_wait *w, char *err, size_t errlen);

/* ---- writing into memory (writer.c, record.c) ---------------------------- */
/*
 * feat_writer_new(-1, 0) writes into memory: nothing is flushed; the
 * records so far are in ft_writer_buf, and ft_writer_clear empties it and
 * forgets a failure.
 */
struct ft_buf *ft_writer_buf(feat_writer *w);
/* A value written as the JSON text given (checked by its caller). */
void ft_writer_raw(feat_writer *w, const char *json, size_t n);
/* A key or string its caller knows needs no escape (catalog names,
   fixed words): [a-z0-9_] and the like, copied as they are. */
void ft_writer_plain_key(feat_writer *w, const char *k, size_t n);
void ft_writer_plain_string(feat_writer *w, const char *s, size_t n);
void ft_writer_clear(feat_writer *w);
/*
 * Writes r in its canonical form: the envelope (created only when r has
 * one, unless created_default is not INT64_MIN), the features with catalog
 * ids turned into names (cat may be NULL), tombstone, window and _flags
 * copied value by value, numbers as their text.  tombstone: write r as a
 * tombstone of its key.  sp (may be NULL): where in the record's text
 * (from its first byte) the features and the window are.  -1 when the
 * writer failed.
 */
struct ft_record_spans {
	size_t features, features_len;	/* the features object's text */
	size_t window, window_len;	/* the window's; 0, 0: none */
};
int ft_record_write(feat_writer *w, const feat_record *r,
    const feat_catalog *cat, int tombstone, int64_t created_default,
    struct ft_record_spans *sp);

/* ---- bad lines: the --on-error policy (badline.c) -------------------------- */
struct stat;
struct ft_badlines;
/* spec: "fail", "skip" or "quarantine:FILE" (FILE opened for appending). */
struct ft_badlines *ft_badlines_new(const char *spec, char *err,
    size_t errlen);
void ft_badlines_free(struct ft_badlines *b);
/*
 * Counts one bad line and, under quarantine, stages it.  Returns 0 to go
 * on, 1 when the run must stop (fail), -1 with err when staging failed.
 */
int ft_badlines_add(struct ft_badlines *b, const char *file,
    unsigned long line, const char *reason, const char *raw, size_t rawlen,
    size_t bytes, char *err, size_t errlen);
/* Appends what is staged to FILE and syncs it, all or nothing. */
int ft_badlines_commit(struct ft_badlines *b, char *err, size_t errlen);
enum feat_onerror ft_badlines_mode(const struct ft_badlines *b);
const char *ft_badlines_path(const struct ft_badlines *b);
unsigned long ft_badlines_count(const struct ft_badlines *b);
int ft_badlines_pending(const struct ft_badlines *b);
int ft_badlines_committed(const struct ft_badlines *b);
/* 1 when st is the quarantine file. */
int ft_badlines_same_file(const struct ft_badlines *b, const struct stat *st);

/* ---- UTF-8 ------------------------------------------------------------------ */
/*
 * Length (1-4) of the strictly valid UTF-8 sequence at s (no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 when the bytes there are not
 * one.  n is how many bytes are available.
 */
size_t ft_utf8_seqlen(const unsigned char *s, size_t n);

enum ft_scan {
	FT_SCAN_OK = 0,
	FT_SCAN_BAD_UTF8,	/* invalid byte sequence */
	FT_SCAN_LONE_SURROGATE,	/* a \uD800-\uDFFF escape not in a valid pair */
	FT_SCAN_NUL		/* a \u0000 escape */
};
/*
 * Checks a raw JSON line before parsing: strict UTF-8 and the \u escapes
 * that a JSON parser would quietly accept or mangle.  On a problem returns
 * its kind and sets *off to the byte offset where it starts.
 */
enum ft_scan ft_scan_json_text(const char *s, size_t n, size_t *off);

/*
 * Appends s as a JSON string (quotes included) to b; bytes that are not
 * valid UTF-8 are written as \u00XX, so any input can be quarantined.
 */
void ft_json_quote_raw(struct ft_buf *b, const char *s, size_t n);

/* ---- JSON document of one line (arena, reused line after line) ----------- */
enum ft_jtype {
	FT_JNULL, FT_JFALSE, FT_JTRUE, FT_JNUMBER, FT_JSTRING, FT_JOBJECT,
	FT_JARRAY
};
struct ft_jval {
	uint8_t type;
	uint32_t keylen;	/* member key, when the parent is an object */
	uint32_t len;		/* string (decoded UTF-8) or number text;
				   a container's instance (json.c) */
	uint32_t next;		/* next sibling, 0 for none */
	uint32_t child;		/* first member or element, 0 for none */
	uint32_t count;		/* number of members or elements */
	const char *key;
	const char *s;
};

enum ft_jerr {
	FT_JOK = 0, FT_JINVALID, FT_JDEPTH, FT_JNOTOBJECT, FT_JTOOMANY
};
#define FT_JMAXDEPTH 64
/*
 * The most values one line may hold: 40 bytes each, so a document stays
 * under 640 MB whatever --max-line allows (16M of "[1,1,1...]" needs 8M).
 */
#define FT_JMAXNODES ((uint32_t)1 << 24)

struct ft_json;
struct ft_json *ft_json_new(void);
void ft_json_free(struct ft_json *j);
/*
 * Parses one line that must hold exactly one JSON object.  Returns FT_JOK, or
 * the kind of problem with a detail written to msg.  Strings point into the
 * line or into the document's arena; both stay valid until the next parse.
 */
enum ft_jerr ft_json_parse(struct ft_json *j, const char *line, size_t len,
    char *msg, size_t msglen);
/* Lets an array be the top-level value too (a request body). */
void ft_json_set_any_root(struct ft_json *j, int on);
/* How many keys of the last parse repeated one before them in their
   object (the later value is kept). */
uint32_t ft_json_repeats(const struct ft_json *j);
/* Node i of the last parse; node 1 is the root object (0 means none). */
const struct ft_jval *ft_json_node(const struct ft_json *j, uint32_t i);
/* Member of object node obj named key, or NULL. */
const struct ft_jval *ft_json_get(const struct ft_json *j,
    const struct ft_jval *obj, const char *key, size_t keylen);
/*
 * A filter says, for a member of an object being filtered (the root, at
 * depth 1, and the objects it enters), whether the document skips its
 * value, stores it whole, or (an object) stores it and filters its
 * members in turn.  key is the decoded key, not NUL-terminated.
 */
enum ft_jkeep { FT_JSKIP, FT_JSTORE, FT_JENTER };
typedef enum ft_jkeep (*ft_jfilter)(void *ctx, int depth, const char *key,
    size_t keylen, uint32_t *tag);
/* Sets the filter of every later parse (NULL: store everything). */
void ft_json_set_filter(struct ft_json *j, ft_jfilter fn, void *ctx);
/* The tag the filter gave node v's member (what it found for it), or 0. */
uint32_t ft_json_tag(const struct ft_json *j, const struct ft_jval *v);
/* The deepest nesting of the last parse (the root object is 1). */
int ft_json_maxdepth(const struct ft_json *j);
/* Nesting of v's subtree: 0 for a scalar, 1 for a flat container. */
int ft_json_depth(const struct ft_json *j, const struct ft_jval *v);

/* ---- the line checks of SPEC 2 (record.c) -------------------------------- */
/*
 * Checks one line (strict UTF-8, escapes, NUL) and parses it into j, which
 * must hold exactly one object no deeper than 64: the single pass every
 * tool makes over a line.  Returns 0, or -1 with the bad-line reason in
 * *err (its code and the fixed phrase of feat(7)).
 */
int ft_line_parse(struct ft_json *j, const char *line, size_t len,
    struct feat_error *err);
/* What a store takes beyond a record's own rules (load.c): a group of cat
   (may be NULL) of its entity type, no '_' names, storable values. */
int ft_record_check_storable(feat_record_reader *rr, const feat_record *r,
    const feat_catalog *cat, struct feat_error *e);

/* The parsed line behind a record read by feat_record_read (its root is
   node 1), and its features object (NULL for a tombstone). */
const struct ft_json *ft_record_doc(const feat_record *r);
const struct ft_jval *ft_record_features(const feat_record *r);
/* Writes v (a parsed document's node) as it is: numbers as their text. */
void ft_json_write(feat_writer *w, const struct ft_json *j,
    const struct ft_jval *v);
/* A feature's value as the records and the API write it: bool as 0/1. */
void ft_value_write(feat_writer *w, const struct feat_value *v);
/*
 * A timestamp field's value (a string, or a number of unit) into *ns; -1
 * with the bad-line reason "invalid timestamp: ..." naming field.
 */
int ft_time_value(const struct ft_jval *v, enum feat_time_unit unit,
    const char *field, int64_t *ns, struct feat_error *err);

/*
 * Decodes the UTF-8 sequence at s into *cp and returns its length; an
 * invalid byte decodes as itself (U+0080..U+00FF), length 1.
 */
size_t ft_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* The value of hex digit c, or -1 (utf8.c). */
int ft_hexval(int c);

/* ---- text features: one tokeniser (text.c) ------------------------------ */
struct ft_text_stats {
	size_t words, sentences, syllables;
	size_t codepoints;		/* in the whole text */
	unsigned domain[3];		/* medical, legal, technical word hits */
	char language[4];		/* ISO 639-1 by dominant script, or "und" */
	double embedding[8];		/* DRV_001, L2-normalised */
};
/* Everything the text rules of SPEC 4 need, in one pass over s. */
void ft_text_analyse(const char *s, size_t n, struct ft_text_stats *st);
/* Flesch reading ease; 0 when there are no words. */
double ft_text_fre(const struct ft_text_stats *st);

/* ---- bounded LRU map (lru.c) ---------------------------------------------- */
struct ft_lru;
/* At most max keys, each with a zeroed value of vsize bytes. */
struct ft_lru *ft_lru_new(size_t max, size_t vsize);
void ft_lru_free(struct ft_lru *m);
size_t ft_lru_count(const struct ft_lru *m);
/*
 * The value of key (made most recent), or NULL; with create, a new zeroed
 * value is made (evicting the least recent key when full) and *created set.
 */
void *ft_lru_get(struct ft_lru *m, const char *key, size_t n, int create,
    int *created);
/* Calls fn for each key, least recently used first. */
void ft_lru_foreach(const struct ft_lru *m,
    void (*fn)(void *ctx, const char *key, size_t n, void *value), void *ctx);

/* ---- canonical event fields, for the stages after the normaliser -------- */
enum ft_field {
#define C(id, name, kind) FT_##id,
#include "event-fields.h"
#undef C
	FT_NFIELDS
};
/* The index of a canonical field by name (-1: none), and whether it is a
   boolean (counted 0/1 by the aggregates). */
int ft_canon_field_kind(const char *name, int *is_bool);
/* Whether canonical field idx holds a number. */
int ft_canon_is_number(int idx);
const char *ft_canon_name(int idx);
int ft_event_has(const feat_event *ev, int f);
/* The string (or number text) of field f; NULL and *len 0 when absent. */
const char *ft_event_str(const feat_event *ev, int f, size_t *len);
/* 0 and *d for a numeric field with a value, else -1. */
int ft_event_num(const feat_event *ev, int f, double *d);
int ft_event_bool(const feat_event *ev, int f);	/* -1: absent */
int64_t ft_event_time(const feat_event *ev, int f);	/* ts, budget_reset_at */
/* The model-catalog entry the event's model matched, or NULL. */
const feat_model *ft_event_model(const feat_event *ev);

/* What the static features (MDL_*) and DRV_005 know about a model. */
struct ft_model_info {
	const char *id;		/* catalog_model, else the raw model */
	size_t idlen;
	const char *provider;	/* NULL: unknown */
	size_t providerlen;
	double context_window;	/* NAN: unknown */
	double input_per_1k, output_per_1k;	/* USD, base rates; NAN */
	double capability;	/* [0,1]; NAN */
	int functions, vision, json_mode;	/* 1, 0, or -1 unknown */
	double size_class;	/* 0, 0.5, 1; NAN */
	int has_cutoff;
	int64_t cutoff_ns;
	uint64_t price_key;	/* changes when the active price entry does */
};

/* REQ_009-013 of an instant in a zone (extract.c). */
struct ft_hour_features {
	double hour_cos, hour_sin, day_cos, day_sin;
	int weekend;
};
void ft_hour_features(const feat_tz *tz, int64_t ts,
    struct ft_hour_features *h);

/* Fills the model facts file's facts about a catalog model into *mf. */
void ft_model_facts_apply(const feat_model_facts *facts, const char *provider,
    size_t plen, const char *model, size_t mlen, struct ft_model_info *mf);
/* What feat-extract knows about the event's model (0), or -1: none. */
int ft_model_info(const feat_models *m, const feat_model_facts *facts,
    const feat_event *ev, struct ft_model_info *mf);

/* ---- the clock (clock.c) ------------------------------------------------------ */
/* Fixed at now (FEAT_NOW, or stopped by a caller that reads the time once
   for a whole answer), else the system's. */
struct feat_clock {
	int fixed;
	int64_t now;
};

/* ---- numbers read from text -------------------------------------------------- */
enum ft_num {
	FT_NUM_OK = 0, FT_NUM_INVALID, FT_NUM_RANGE
};
/*
 * Reads a JSON number, or a numeric string (surrounding blanks allowed), to
 * a double.  *json_ok tells whether the trimmed text (*start, *tlen) is valid
 * JSON number text that can be written back as it is.
 */
enum ft_num ft_num_parse(const char *s, size_t n, double *d,
    const char **start, size_t *tlen, int *json_ok);

/* ---- statistics (stats.c) ------------------------------------------------ */
/* Sorts n finite doubles ascending (aggregate.c). */
void ft_sort_doubles(double *v, size_t n);
/*
 * numpy "linear" percentile p (0-100) of n sorted values, its index
 * p/100 (n - 1) computed exactly when p is a decimal fraction; NaN when
 * n is 0 (aggregate.c).
 */
double ft_percentile_sorted(const double *v, size_t n, double p);
/* The same at p = num/den exactly (num <= den): the index num (n-1)/den
   in integers. */
double ft_quantile_ratio(const double *v, size_t n, uint64_t num,
    uint64_t den);
/* Welford's running moments. */
struct ft_moments {
	uint64_t n;
	double mean, m2, min, max;
};
void ft_moments_add(struct ft_moments *m, double x);
/* The sample standard deviation (n - 1); NAN below two values. */
double ft_moments_std(const struct ft_moments *m);
/* The same of x[0, n) about mean in two passes, scaled so that values
   near DBL_MAX do not overflow (when the running one did). */
double ft_std_scaled(const double *x, size_t n, double mean);
/* Values kept in chunks, so that growing never copies them. */
struct ft_values {
	double **chunks;
	size_t n, nchunks;
	size_t cap0;			/* the first chunk grows to full size */
};
void ft_values_add(struct ft_values *v, double d);
/* Every value in one array (free it) of *n, v emptied; chunks are freed
   as they are copied. */
double *ft_values_take(struct ft_values *v, size_t *n);
void ft_values_free(struct ft_values *v);
/* Names (any bytes) to the indexes 0, 1, ... in the order first seen. */
struct ft_names {
	char **names;
	size_t *lens;
	size_t n, cap;
	uint32_t *slots;
	uint64_t seed;
};
void ft_names_init(struct ft_names *m);
void ft_names_free(struct ft_names *m);
/* The index of s, or -1; create: adds it when new. */
long ft_names_get(struct ft_names *m, const char *s, size_t len, int create);

/* ---- feat-serve's in-process cache (l1.c) -------------------------------- */
struct ft_l1;
struct ft_l1_stats {
	size_t bytes, max_bytes, entries;
	uint64_t hits, misses, expired, evictions, inserts;
};
/* At most max_bytes (0: no cache), entries live ttl ns (0: for ever). */
struct ft_l1 *ft_l1_new(size_t max_bytes, int64_t ttl);
void ft_l1_free(struct ft_l1 *c);
/*
 * The bytes stored for key (a prepared record), or NULL: *tier and *gen (what ft_l1_put was
 * told), *age (ns since it was stored) and *expired (past the ttl: not a hit,
 * but still there for a server whose stores are down).
 */
const void *ft_l1_get(struct ft_l1 *c, const char *key, size_t keylen,
    int64_t now, size_t *linelen, int *tier, uint64_t *gen, int *expired,
    int64_t *age);
/* The serial of the entry ft_l1_get last found (never 0): each put makes
   a new one, so an entry replaced is told from the one it replaced. */
uint64_t ft_l1_last_serial(const struct ft_l1 *c);
void ft_l1_put(struct ft_l1 *c, const char *key, size_t keylen,
    const void *line, size_t linelen, int tier, uint64_t gen, int64_t now);
void ft_l1_stats(const struct ft_l1 *c, struct ft_l1_stats *st);

/* ---- one entity's lookup in steps, for feat-serve (lookup.c) -------------- */
struct ft_lookup;
struct ft_prep;
struct ft_lookup_group {
	const char *group;		/* the catalog's name */
	long version;			/* the arm's (SPEC 8) */
	const char *arm;		/* "control", "candidate", "explicit" */
	struct ft_prep *prep;		/* the record found, or NULL */
	const char *tier;		/* where it was found */
	int stale;			/* from a cache past its time */
	int global;			/* of entity system/global (SPEC 4) */
	uint64_t l1_serial;		/* the L1 entry it was read from, or 0 */
};
/* Resolves the features (a list as feat_lookup takes; NULL: every group
   of the entity type) and each group's version; NULL with err. */
struct ft_lookup_cache;
/* What a server thread keeps between lookups (plans, record readers). */
struct ft_lookup_cache *ft_lookup_cache_new(void);
void ft_lookup_cache_free(struct ft_lookup_cache *c);
/* Forgets every plan (the catalog they point into is going). */
void ft_lookup_cache_reset(struct ft_lookup_cache *c);
struct ft_lookup *ft_lookup_plan(struct ft_lookup_cache *c,
    const feat_catalog *cat, const char *etype, const char *eid,
    size_t eidlen, const char *features, const char *user_id, long version,
    char *err, size_t errlen);
void ft_lookup_free(struct ft_lookup *lk);
size_t ft_lookup_ngroups(const struct ft_lookup *lk);
struct ft_lookup_group *ft_lookup_group(struct ft_lookup *lk, size_t j);
struct feat_store_key ft_lookup_key(const struct ft_lookup *lk, size_t j);
/*
 * Group j's record (NULL: none) and the tier it came from (borrowed).  The
 * record is kept prepared (lookup.c): read once, answered from without
 * parsing; a line that is not a record leaves the group without one.
 */
void ft_lookup_set(struct ft_lookup_cache *c, struct ft_lookup *lk,
    size_t j, const char *line, size_t len, const char *tier);
/* A stored record as the fields of a hash (redis://): its head, then each
   feature's name and value as JSON text, in the hash's order. */
struct ft_hfield {
	const char *name, *val;
	size_t namelen, vallen;
};
struct ft_fields {
	int64_t ts, created;
	int has_created;
	long version;
	size_t n;
	const struct ft_hfield *f;
};
/* Group j's record from fields, as ft_lookup_set would have it from the
   line they make: 0, or -1 when a name or value is not one read this way
   (plain names; null, true, false, JSON numbers): then give the line. */
int ft_lookup_set_fields(struct ft_lookup *lk, size_t j,
    const struct ft_fields *fs, const char *tier);
/* name's number in group j's record (not a boolean): 1 and *v, else 0. */
int ft_lookup_number(const struct ft_lookup *lk, size_t j, const char *name,
    double *v);
/* An answer of feat_store_poll as fields (redis://): 0 when taken, -1 to
   have it as its line instead (fn of ft_store_poll_fields). */
typedef int (*ft_store_fields_fn)(void *ctx, uint64_t tag,
    const struct ft_fields *fs);
/* Opens the connection of s's lookups ahead of the first one, where
   opening it blocks (postgresql://), so that an opener thread does the
   waiting: 0, or -1 with err (store.c). */
int ft_store_connect(feat_store *s, char *err, size_t errlen);
/* feat_store_poll, giving a record the store holds as fields to ffn
   first (store.c). */
long ft_store_poll_fields(feat_store *s, ft_store_fields_fn ffn,
    feat_store_answer_fn fn, void *ctx, char *err, size_t errlen);
/* Group j's record as a prepared block (what ft_lookup_prep gave). */
void ft_lookup_set_prep(struct ft_lookup *lk, size_t j, const void *prep,
    size_t size, const char *tier);
/* Group j's record's ts, INT64_MIN for none. */
int64_t ft_lookup_ts(const struct ft_lookup *lk, size_t j);
/* Group j's prepared record and its size, NULL for none. */
const void *ft_lookup_prep(const struct ft_lookup *lk, size_t j,
    size_t *size);
/* The response object of SPEC 9 (no newline); o->tier for groups
   without one. */
int ft_lookup_write(struct ft_lookup_cache *c, const struct ft_lookup *lk,
    const struct feat_lookup_opts *o, feat_writer *w);
/*
 * What an answer ft_lookup_write wrote depends on besides its records and
 * the time: whether it can be written again from its bytes (every feature
 * its group's own, every group found, none stale from a cache, no as_of),
 * the time past which one of its statuses would turn stale, and where
 * each group's freshness_seconds is (offsets in the writer's buffer).
 */
#define FT_MARK_GROUPS	8
struct ft_answer_marks {
	int cacheable;
	int64_t until;
	size_t ngroups;
	struct {
		size_t at, len;
		int64_t ts;
	} fresh[FT_MARK_GROUPS];
};
int ft_lookup_write_marked(struct ft_lookup_cache *c,
    const struct ft_lookup *lk, const struct feat_lookup_opts *o,
    feat_writer *w, struct ft_answer_marks *m);

#endif /* FEAT_PRIVATE_H */
