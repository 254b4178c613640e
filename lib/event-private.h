/*
 * event-private.h - what the three files of the event normaliser share:
 * event.c (the source table and the walk over a parsed line),
 * event-derive.c (values converted to their kinds, the derivations of SPEC
 * 3.1 and pricing) and event-write.c (the -g event record and
 * --list-fields).  Nothing here leaves the normaliser: the other stages of
 * libfeat read events through the ft_event_* functions of feat-private.h.
 */
#ifndef FEAT_EVENT_PRIVATE_H
#define FEAT_EVENT_PRIVATE_H

#include "feat-private.h"

enum kind {
	K_TIME, K_STR, K_NUM, K_COUNT, K_DURATION, K_BOOL, K_TYPE, K_STATUS,
	K_OUTCOME, K_ERROR, K_PRIORITY
};

/* The canonical fields, in the order -g event writes them. */
struct canon {
	const char *name;
	size_t len;
	enum kind kind;
};
extern const struct canon ft_canon[];
enum {
#define C(id, name, kind) F_##id,
#include "event-fields.h"
#undef C
	NCANON
};

/* Inputs of the derivation rules that are not canonical fields. */
enum {
	A_SUCCESS = NCANON,	/* success: false marks an error */
	A_STATUS_CODE,		/* an HTTP status code */
	A_OTLP_CODE,		/* OTLP status.code: 2 is an error */
	A_ID,			/* id: a request id in request/response events */
	A_SPAN_ID,		/* OTLP spanId */
	A_START,		/* start of the call, for latency and ttft */
	A_END,			/* end of the call */
	A_FIRST_TOKEN,		/* completionStartTime */
	NSLOTS
};

/* Longest source path the normaliser can follow ("a.b.c"), and deepest. */
#define FT_PATH_MAX 512
#define FT_PATH_DEPTH FT_JMAXDEPTH

struct slot {
	const struct ft_jval *v;
	const char *path;	/* the source it came from, for messages */
	unsigned prio;
};

struct field {
	int set;
	const char *s;		/* string value, or number text */
	size_t len;
	int json_ok;		/* number text is valid JSON as it is */
	double d;
	int64_t ts;
	int b;
	const struct ft_jval *raw;	/* priority given as neither */
	int numbuf;		/* computed: ev->num[numbuf] holds its text,
				   made when first asked for (s NULL until) */
};

struct extra {
	const char *key;
	size_t keylen;
	const struct ft_jval *v;
	int filtered;		/* an object that also holds sources: only
				   its other members are kept */
};

struct feat_event {
	struct field f[NCANON];
	struct slot *slots;	/* NSLOTS, then one per wanted path */
	int span;		/* an OTLP span */
	int genai;		/* ... with gen_ai.* attributes */
	long batch_index;	/* index among a batch's spans, or -1 */
	struct ft_buf scratch;	/* joined prompts */
	struct extra *extras;	/* unknown members, for --keep-unknown */
	size_t nextras, capextras;
	uint32_t *extra_tab;	/* key -> extras index + 1, open addressing */
	size_t extra_cap;
	uint64_t extra_seed;	/* its hash's: the keys come from input */
	char num[5][FEAT_DOUBLE_BUFSZ];	/* computed numbers, by NUM_* */
	char rid[48];		/* r-<16 hex digits>[-<span index>] */
	struct ft_buf span_id;	/* span-<spanId> */
	const char *warning;	/* why a catalog model went unpriced */
	const feat_model *model;	/* the catalog's entry, when matched */
	char warnbuf[256];
};

/* Which buffer of feat_event.num holds which computed number. */
enum { NUM_LATENCY, NUM_TTFT, NUM_COST, NUM_INPUT_COST, NUM_OUTPUT_COST };

/* One source path in the table: what it feeds, and whether to enter it. */
#define MAXTARGETS 8
struct entry {
	const char *path;	/* NULL: empty bucket */
	size_t len;
	int prefix;		/* objects under this path are entered */
	int ntargets;
	struct {
		int slot;
		unsigned prio;
	} t[MAXTARGETS];
};

/* What the filter answered for a top-level key (event.c). */
#define KEYMEMO 32
struct keymemo {
	char key[32];
	size_t len;		/* 0: nothing kept */
	enum ft_jkeep keep;
	uint32_t tag;
};

/* Where feat_normaliser_next is in an export batch. */
struct batch_cursor {
	const struct ft_jval *rs, *ss, *sp;	/* the arrays being walked */
	const struct ft_jval *r, *s, *span;	/* the current elements */
	long index;		/* of span among all spans elements */
};

struct feat_normaliser {
	struct feat_normaliser_opts o;
	unsigned char wanted[NSLOTS];	/* the fields read; derivations' too */
	int fields[NCANON];	/* the wanted canonical fields, in order */
	int nfields;
	int cleared[NCANON];	/* ... and those the derivations write */
	int ncleared;
	int *slotlist;		/* the slots sources can fill: cleared per event */
	int nslotlist;
	size_t npaths;		/* o.paths, slots NSLOTS.. */
	char fpath[FT_PATH_MAX];	/* the filter's path ... */
	size_t fplen[FT_JMAXDEPTH + 1];	/* ... up to each depth */
	struct entry *table;	/* open addressing, at most half full */
	uint32_t *fp;		/* each bucket's fingerprint; 0: empty */
	struct keymemo keymemo[KEYMEMO];	/* by position on the line */
	int keypos;		/* the next top-level key's position */
	size_t cap, used;
	char **owned;		/* paths copied from --field and built here */
	size_t nowned;
	unsigned next_prio;
	struct ft_json *json;
	struct feat_event *ev;	/* the one event, reused */
	int batch;		/* the line is an export batch */
	const struct ft_jval *batch_rs;	/* its resourceSpans, to rewind */
	int pending;		/* a single event waits for next() */
	int had_event;		/* the line had one, to rewind */
	struct batch_cursor cur;
	const char *line;	/* the line being normalised */
	size_t linelen;
	uint64_t line_hash;	/* FNV-1a 64 of it, once needed */
	int line_hashed;
	unsigned long skipped_spans, skipped_entries;
	int drop[NCANON];
	int *unit_field;	/* per catalog unit: its canonical field, or -1 */
	double *usage;		/* per catalog unit: this event's count */
	size_t nunits;
	int models_ready;	/* unit_field and usage match o.models */
};

/* event-derive.c: converts ev's sources and derives the rest (SPEC 3.1),
   then prices it.  -1 with *err: a bad line, or FEAT_ERR_USAGE when the
   model catalog cannot be loaded. */
int ft_event_finish(struct feat_normaliser *nz, struct feat_event *ev,
    struct feat_error *err);
/*
 * Of an object at path (a prefix of source paths): whether it holds
 * members that are no source (has), and writing only those (write).
 */
int ft_extra_has_unknown(const struct feat_normaliser *nz,
    const struct ft_jval *obj, const char *path, size_t plen);
void ft_extra_write_unknown(const struct feat_normaliser *nz,
    const struct ft_jval *obj, const char *path, size_t plen,
    feat_writer *w);
/* Writes a parsed value back out: numbers keep their text. */
void ft_write_json_value(const struct ft_json *j, const struct ft_jval *v,
    feat_writer *w);
/* Whether the stage reads slot (a field or a derivation's input). */
int ft_normaliser_wants(const struct feat_normaliser *nz, int slot);
/* Index of a canonical field by name, or -1. */
int ft_canon_index(const char *name, size_t n);
/* Case-insensitive equality of s[0, n) with a literal. */
int ft_ieq(const char *s, size_t n, const char *lit);

#endif /* FEAT_EVENT_PRIVATE_H */
