/*
 * window-private.h - what the files of feat-window's engine share:
 * aggregate.c (aggregators, columns, percentiles), window.c (keys, panes,
 * the watermark, firing, records) and window-preset.c (the catalog's
 * groups as presets).
 */
#ifndef FEAT_WINDOW_PRIVATE_H
#define FEAT_WINDOW_PRIVATE_H

#include "feat-private.h"

/* ---- aggregators (aggregate.c) -------------------------------------------- */
enum ft_aggfn {
	AGG_COUNT, AGG_SUM, AGG_MEAN, AGG_MIN, AGG_MAX, AGG_STDDEV, AGG_VAR,
	AGG_PCT, AGG_RATE, AGG_RATIO, AGG_DISTINCT,
	/* the presets' own (SPEC 4): */
	AGG_SUM_PER_COUNT,	/* PERF_012: Σfield/count, 0 when none */
	AGG_QUEUE_SCORE,	/* CTX_003: min(ln(1 + max)/ln(1001), 1) */
	AGG_FATIGUE,		/* DRV_009: decayed volume over every window */
	AGG_CLUSTER		/* DRV_006: the nearest of 8 online k-means
				   centroids over the record's FDBK values */
};

#define FT_AGG_FIELD 256
#define FT_AGG_NAME (2 * FT_AGG_FIELD + 32)

struct ft_agg {
	enum ft_aggfn fn;
	double p;			/* AGG_PCT: 0-100 */
	char field[2][FT_AGG_FIELD];	/* as written: canonical or path */
	int nfields;
	char name[FT_AGG_NAME];		/* the feature's name */
	int col[2];			/* the columns it reads; -1: none */
};

/*
 * Parses "FUNC(FIELD)[ as NAME]" (SPEC 6): FUNC count, sum, mean, min,
 * max, stddev, var, pN, rate, ratio (two fields), distinct.  The default
 * name is FIELD_FUNC, dots made underscores.  -1 with a message.
 */
int ft_agg_parse(const char *spec, struct ft_agg *a, char *err,
    size_t errlen);
void ft_agg_default_name(struct ft_agg *a, const char *fn, size_t fnlen);

/* A set of strings (distinct). */
struct ft_strset;
struct ft_strset *ft_strset_new(void);
int ft_strset_add(struct ft_strset *s, const char *k, size_t n);
size_t ft_strset_count(const struct ft_strset *s);
void ft_strset_union(struct ft_strset *into, const struct ft_strset *s);
void ft_strset_clear(struct ft_strset *s);
void ft_strset_free(struct ft_strset *s);

/*
 * What a pane keeps of one column; panes of a window merge into one.
 * The sum is a double-double (sum + sumlo, Knuth's TwoSum), so that it
 * is the correctly rounded sum of the values whatever their order: events
 * shuffled within the watermark delay give the same records.
 */
enum {
	FT_COL_VALUES = 1,	/* keep the values (percentiles) */
	FT_COL_MOMENTS = 2,	/* keep mean and M2 (stddev, var) */
	FT_COL_SKETCH = 4	/* percentiles from a sketch (--sketch) */
};
/* distinct counts exactly up to this many values, then estimates. */
#define FT_DISTINCT_EXACT 10000
struct ft_sketch;
struct ft_colstate {
	uint64_t n;		/* values present */
	double sum, sumlo, mean, m2, min, max;
	double *vals;		/* the values, when a percentile reads them */
	size_t nvals, capvals;
	int sorted;		/* vals sorted (after the merge of a fire) */
	struct ft_strset *distinct;	/* when distinct reads them */
	uint8_t *hll;		/* ... past FT_DISTINCT_EXACT of them */
	struct ft_sketch *sketch;	/* FT_COL_SKETCH */
};
void ft_col_add(struct ft_colstate *c, double x, unsigned flags);
void ft_col_merge(struct ft_colstate *into, const struct ft_colstate *c,
    unsigned flags);
double ft_col_sum(const struct ft_colstate *c);
/* distinct: a string seen, and how many distinct ones (estimated past
   FT_DISTINCT_EXACT). */
void ft_col_distinct_add(struct ft_colstate *c, const char *s, size_t n);
uint64_t ft_col_distinct_count(const struct ft_colstate *c);
/* p (0-100) of a sketched column. */
double ft_col_sketch_quantile(const struct ft_colstate *c, double p);
void ft_col_reset(struct ft_colstate *c);
void ft_col_free(struct ft_colstate *c);
/* Adds x to the double-double hi + lo. */
void ft_dd_add(double *hi, double *lo, double x);


/* ---- sketches (sketch.c) ------------------------------------------------ */
struct ft_sketch *ft_sketch_new(void);
void ft_sketch_add(struct ft_sketch *sk, double x);
void ft_sketch_merge(struct ft_sketch *into, const struct ft_sketch *sk);
/* p (0-100) by numpy's linear rule on estimated ranks, within 1%; the
   extremes (min, max, kept exactly) are the ends. */
double ft_sketch_quantile(const struct ft_sketch *sk, double p, double min,
    double max);
size_t ft_sketch_bytes(const struct ft_sketch *sk);
void ft_sketch_clear(struct ft_sketch *sk);
void ft_sketch_free(struct ft_sketch *sk);
uint8_t *ft_hll_new(void);
void ft_hll_add(uint8_t *reg, const char *s, size_t n);
void ft_hll_merge(uint8_t *into, const uint8_t *reg);
double ft_hll_count(const uint8_t *reg);
size_t ft_hll_bytes(void);

/* ---- window assignment (window.c) ---------------------------------------- */
/* The pane (slide-long span) holding ts: floor((ts - align) / slide). */
int64_t ft_window_pane(int64_t ts, int64_t slide, int64_t align);
/* Where pane index p starts: p * slide + align (saturating). */
int64_t ft_window_pane_start(int64_t p, int64_t slide, int64_t align);

/* ---- presets (window-preset.c) ------------------------------------------ */
/*
 * How a preset computes a catalog feature of its groups: 0 with *a
 * filled (name, function, fields), or -1 when no computation is known
 * for the name.
 */
int ft_preset_feature(const char *name, struct ft_agg *a);

/* ---- binary state (state.c) ---------------------------------------------- */
/*
 * The codec of --state's checkpoint: varints (LEB128, signed ones
 * zigzagged), doubles as their 8 IEEE bytes little-endian, byte strings
 * as a length then the bytes.  The encoders append to b.
 */
void ft_enc_u64(struct ft_buf *b, uint64_t v);
void ft_enc_i64(struct ft_buf *b, int64_t v);
void ft_enc_f64(struct ft_buf *b, double v);
void ft_enc_bytes(struct ft_buf *b, const void *p, size_t n);

/*
 * A decoder reads p[off .. len) and never past it.  A getter that would
 * overrun, or meets a varint longer than 64 bits or not in its shortest
 * form, sets bad and returns 0 (NULL); once bad, every getter returns 0
 * (NULL), so a loader may read a whole record and check bad once.
 */
struct ft_dec {
	const unsigned char *p;
	size_t len, off;
	int bad;
};
uint64_t ft_dec_u64(struct ft_dec *d);
int64_t ft_dec_i64(struct ft_dec *d);
double ft_dec_f64(struct ft_dec *d);
/* *n bytes inside d->p (not NULL when *n is 0); NULL and *n 0 when bad. */
const void *ft_dec_bytes(struct ft_dec *d, size_t *n);
/* A count of elements of at least min_elem_bytes each (1 when 0) still to
   read: bad when the bytes left could not hold that many, so that the
   count is safe to allocate. */
size_t ft_dec_count(struct ft_dec *d, size_t min_elem_bytes);

/*
 * A column's state, and the parts of it, saved and loaded exactly
 * (aggregate.c, sketch.c).  ft_col_load fills c, zeroed by the caller:
 * 0, or -1 (d made bad) for bytes that are not a consistent column, c
 * then holding what was read so far for ft_col_free.  The other loaders
 * return a new part, or NULL with d made bad.
 */
void ft_col_save(struct ft_buf *b, const struct ft_colstate *c);
int ft_col_load(struct ft_dec *d, struct ft_colstate *c);
void ft_sketch_save(struct ft_buf *b, const struct ft_sketch *sk);
struct ft_sketch *ft_sketch_load(struct ft_dec *d);
void ft_hll_save(struct ft_buf *b, const uint8_t *reg);
uint8_t *ft_hll_load(struct ft_dec *d);

#endif /* FEAT_WINDOW_PRIVATE_H */
