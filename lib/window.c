/*
 * window.c - feat-window's engine (SPEC 6): event-time windows per key,
 * the watermark, firing, and the records a fired window writes.
 *
 * Time is cut into panes one slide long, aligned to the epoch plus
 * --align; a tumbling window is one pane, a sliding window of size S the
 * S/slide panes before its end.  An event goes into one pane of its key,
 * never copied into each window: a window is computed when it fires, by
 * merging its panes' column states (aggregate.c).
 *
 * The watermark is the greatest event time read less --watermark-delay,
 * over every key, and never moves back.  A window [start, end) fires when
 * the watermark reaches its end; windows fire in the order of their ends
 * (keys in byte order among one end), through a heap of each key's next
 * end, so a quiet key costs nothing and a jump of the watermark fires
 * only the windows that hold events.  An event whose every window has
 * ended (end <= watermark) is late and counted; one whose earlier windows
 * ended counts in those still open.  At the end of input every window
 * that holds an event fires.
 *
 * State is plain data - per key its panes, per pane its column states -
 * so that it merges across slides and will serialise for --state.
 */
#include "window-private.h"

#include <sys/stat.h>
#include <inttypes.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- columns: what an event feeds --------------------------------------- */

enum colkind {
	COL_NUM,	/* a canonical number (or boolean, 0/1) */
	COL_PATH,	/* a number at a wanted path */
	COL_OK,		/* status ok: 1, error: 0 */
	COL_ERROR,	/* status error: 1, ok: 0 */
	COL_TIMEOUT,	/* the error marks a timeout: 1, else 0 */
	COL_STR,	/* a canonical string, for distinct */
	COL_PATH_STR	/* a string at a wanted path, for distinct */
};

struct colspec {
	enum colkind kind;
	int idx;		/* canonical field or path index */
	unsigned flags;		/* FT_COL_VALUES, FT_COL_MOMENTS */
	int distinct;		/* distinct reads its strings */
	int is_bool;		/* a canonical boolean */
};

enum keykind { KEY_MODEL, KEY_FIELD, KEY_PATH };

/* DRV_006 (SPEC 4): 8 clusters of FDBK_002, 003, 004 and 007. */
#define FT_CLUSTERS 8
#define FT_CLUSTER_DIM 4
static const char *const cluster_names[FT_CLUSTER_DIM] = {
	"avg_user_rating_1hr", "thumbs_up_ratio_1hr", "regeneration_rate_1hr",
	"copy_rate_1hr"
};

struct output {
	char group[FT_AGG_NAME];
	char entity_type[FT_AGG_NAME];
	struct ft_agg *aggs;
	size_t naggs;
	int cluster_in[FT_CLUSTER_DIM];	/* the aggregates DRV_006 reads */
};

struct pane {
	int64_t index;
	uint64_t count;
	double fsum, fsumlo;	/* Σ 2^((t - start)/15 min), for DRV_009 */
	struct ft_colstate cols[];
};

/*
 * A session (session:GAP[/MAX]): its events' first and last times, its
 * window's end, min(last + gap, first + max), and its columns in a pane.
 * Open until the watermark reaches its end; fired, its columns stay for
 * the allowed lateness; closed, only its bounds stay, so that an event
 * that would have joined it is known to be late.
 */
enum { SESS_OPEN, SESS_FIRED, SESS_CLOSED };

struct session {
	int64_t first, last, end;
	int state;
	int64_t *tombs;		/* ends of its records superseded, to delete
				   when it fires again */
	size_t ntombs;
	struct pane *p;		/* NULL once closed */
};

struct wkey {
	char *id;
	size_t idlen;
	struct pane **panes;	/* by index, oldest first */
	size_t npanes, cappanes;
	int64_t fired_upto;	/* the last window end fired; INT64_MIN */
	int64_t next_end;	/* the next end to fire; INT64_MAX: none */
	uint64_t ver;		/* of its heap entry */
	double fatigue;		/* DRV_009's sum, as of fatigue_at */
	int64_t fatigue_at;
	int has_fatigue;
	int64_t last_ts;	/* its latest event (--key-ttl) */
	double fatigue_prev;	/* DRV_009 before the last fire's window */
	int64_t fatigue_prev_at;
	int has_fatigue_prev;
	int64_t last_created;	/* of its last record: a re-fire's is newer */
	int dead;		/* being freed (--key-ttl) */
	struct session **sess;	/* session windows, by first event */
	size_t nsess, capsess;
	size_t open_from;	/* none before this one is open */
};

struct heapent {
	int64_t end;
	struct wkey *k;
	uint64_t ver;
};

#define FATIGUE_HALF_LIFE_NS (15 * FEAT_NS_PER_MIN)

struct feat_windower {
	struct feat_windower_opts o;
	int64_t size, slide;	/* ns; slide == size: tumbling */
	int session;		/* session windows: */
	int64_t gap, max;	/* ns; max 0: none */
	enum feat_window_events events;
	enum keykind keykind;
	int keyidx;
	char keyname[FT_AGG_FIELD];
	char *key_default;
	struct output outputs[4];
	size_t noutputs;
	struct colspec *cols;
	size_t ncols;
	int fatigue;		/* an output reads DRV_009 */
	int carrying;		/* only events with a value in a column */
	struct ft_colstate *merged;	/* a window's columns, reused */
	double *values;			/* a record's values, reused */
	size_t maxaggs;
	/* DRV_006's centroids, over every record written */
	double cent[FT_CLUSTERS][FT_CLUSTER_DIM];
	uint64_t centn[FT_CLUSTERS];
	int ncent;
	/* what the normaliser must read */
	const char **want;
	size_t nwant;
	const char **paths;
	size_t npaths;
	/* state */
	struct wkey **map;	/* open addressing by id */
	size_t mapcap, nkeys;
	uint64_t seed;
	struct heapent *heap;
	size_t nheap, capheap;
	int64_t max_ts, watermark;
	int have_ts;
	feat_writer *out;
	unsigned long without_key, late, fired, records;
	/* live streams */
	unsigned long nevents, skewed, expired, refired;
	feat_writer *late_out;		/* --late */
	int late_fd;
	struct feat_tool *tool;		/* whose line a late event is in */
	const char *late_file;		/* the last line written there */
	unsigned long late_lineno;
	int64_t last_input;		/* monotonic ns of the last event */
	int64_t metrics_at;		/* monotonic ns of the last write */
	int64_t swept_wm;		/* the watermark at the last sweep */
	unsigned long swept_events;	/* events read then */
	char metrics_err[300];		/* the last failure said */
	/* --state */
	const char *state_path;
	char *state_real;		/* the file a link named */
	int state_lock;			/* its lock's fd, or -1 */
	int flush;			/* --flush: fire all at the end */
	uint64_t config;		/* hash of what the state's layout
					   depends on */
};

/* ---- window specs ------------------------------------------------------- */

int
feat_window_parse(const char *s, struct feat_window_spec *w, char *err,
    size_t errlen)
{
	char a[64], b[64];
	const char *colon = strchr(s, ':'), *rest, *slash;
	size_t tlen;

	memset(w, 0, sizeof *w);
	if (colon == NULL)
		goto bad;
	tlen = (size_t)(colon - s);
	rest = colon + 1;
	slash = strchr(rest, '/');
	snprintf(a, sizeof a, "%.*s", slash ? (int)(slash - rest) :
	    (int)strlen(rest), rest);
	snprintf(b, sizeof b, "%s", slash ? slash + 1 : "");
	if (tlen == 8 && strncmp(s, "tumbling", 8) == 0 && slash == NULL) {
		w->type = FEAT_WINDOW_TUMBLING;
		if (feat_parse_duration(a, &w->size) < 0 || w->size <= 0)
			goto bad;
		w->slide = w->size;
		return 0;
	}
	if (tlen == 7 && strncmp(s, "sliding", 7) == 0 && slash != NULL) {
		w->type = FEAT_WINDOW_SLIDING;
		if (feat_parse_duration(a, &w->size) < 0 || w->size <= 0 ||
		    feat_parse_duration(b, &w->slide) < 0 || w->slide <= 0)
			goto bad;
		if (w->size % w->slide != 0) {
			snprintf(err, errlen, "invalid window '%s': the slide "
			    "must divide the size", s);
			return -1;
		}
		/* Each event is in size/slide windows, each a record. */
		if (w->size / w->slide > FEAT_WINDOW_MAX_SLIDES) {
			snprintf(err, errlen, "invalid window '%s': at most "
			    "%d slides in a window", s, FEAT_WINDOW_MAX_SLIDES);
			return -1;
		}
		return 0;
	}
	if (tlen == 7 && strncmp(s, "session", 7) == 0) {
		w->type = FEAT_WINDOW_SESSION;
		if (feat_parse_duration(a, &w->gap) < 0 || w->gap <= 0 ||
		    (slash && (feat_parse_duration(b, &w->max) < 0 ||
		    w->max <= 0)))
			goto bad;
		return 0;
	}
bad:
	snprintf(err, errlen, "invalid window '%s': use tumbling:SIZE, "
	    "sliding:SIZE/SLIDE or session:GAP[/MAX]", s);
	return -1;
}

int
feat_window_events_parse(const char *s, enum feat_window_events *e)
{
	static const struct {
		const char *name;
		enum feat_window_events e;
	} kinds[] = {
		{ "any", FEAT_EVENTS_ANY }, { "outcome", FEAT_EVENTS_OUTCOME },
		{ "request", FEAT_EVENTS_REQUEST },
		{ "feedback", FEAT_EVENTS_FEEDBACK },
		{ "system_health", FEAT_EVENTS_HEALTH },
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(s, kinds[i].name) == 0) {
			*e = kinds[i].e;
			return 0;
		}
	return -1;
}

/* ---- assignment --------------------------------------------------------- */

int64_t
ft_window_pane(int64_t ts, int64_t slide, int64_t align)
{
	/* ts - align cannot overflow far: both are within int64 ns. */
	int64_t d;

	if (__builtin_sub_overflow(ts, align, &d))
		d = ts < 0 ? INT64_MIN : INT64_MAX;
	return ft_floor_div(d, slide);
}

int64_t
ft_window_pane_start(int64_t p, int64_t slide, int64_t align)
{
	int64_t t;

	if (__builtin_mul_overflow(p, slide, &t) ||
	    __builtin_add_overflow(t, align, &t))
		return p < 0 ? INT64_MIN : INT64_MAX;
	return t;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* ---- set-up: columns, outputs, the key ---------------------------------- */

/*
 * The column for field (as written in an aggregate), made once: numbers,
 * or the strings distinct counts, or (presence, for count) whether the
 * field holds a value at all.
 */
static int
column(struct feat_windower *w, const char *field, int distinct,
    int presence, unsigned flags, char *err, size_t errlen)
{
	struct colspec c = { 0 };
	int idx;

	if (strcmp(field, "@ok") == 0)
		c.kind = COL_OK;
	else if (strcmp(field, "@error") == 0)
		c.kind = COL_ERROR;
	else if (strcmp(field, "@timeout") == 0)
		c.kind = COL_TIMEOUT;
	else if ((idx = ft_canon_field_kind(field, &c.is_bool)) >= 0) {
		int isnum = ft_canon_is_number(idx) || c.is_bool;

		c.idx = idx;
		if (distinct || (presence && !isnum))
			c.kind = COL_STR;
		else if (isnum)
			c.kind = COL_NUM;
		else {
			snprintf(err, errlen, "cannot aggregate '%s': not a "
			    "number (distinct counts strings)", field);
			return -1;
		}
	} else {
		size_t i;

		for (i = 0; i < w->npaths; i++)
			if (strcmp(w->paths[i], field) == 0)
				break;
		if (i == w->npaths) {
			w->paths = feat_xrealloc(w->paths, (w->npaths + 2) *
			    sizeof *w->paths);
			w->paths[w->npaths++] = feat_xstrdup(field);
			w->paths[w->npaths] = NULL;
		}
		c.idx = (int)i;
		c.kind = distinct || presence ? COL_PATH_STR : COL_PATH;
	}
	for (size_t i = 0; i < w->ncols; i++)
		if (w->cols[i].kind == c.kind && w->cols[i].idx == c.idx) {
			w->cols[i].flags |= flags;
			w->cols[i].distinct |= distinct;
			return (int)i;
		}
	c.flags = flags;
	c.distinct = distinct;
	w->cols = feat_xrealloc(w->cols, (w->ncols + 1) * sizeof *w->cols);
	w->cols[w->ncols] = c;
	return (int)w->ncols++;
}

static void
want(struct feat_windower *w, const char *field)
{
	for (size_t i = 0; i < w->nwant; i++)
		if (strcmp(w->want[i], field) == 0)
			return;
	w->want = feat_xrealloc(w->want, (w->nwant + 2) * sizeof *w->want);
	w->want[w->nwant++] = feat_xstrdup(field);
	w->want[w->nwant] = NULL;
}

static int
add_output(struct feat_windower *w, const char *group,
    const char *entity_type, struct ft_agg *aggs, size_t naggs, char *err,
    size_t errlen)
{
	struct output *o;

	if (w->noutputs == sizeof w->outputs / sizeof w->outputs[0]) {
		snprintf(err, errlen, "too many groups in one preset");
		return -1;
	}
	if (feat_record_check_name(group) < 0 ||
	    feat_record_check_name(entity_type) < 0) {
		snprintf(err, errlen, "invalid %s '%s': use [a-z0-9_]+",
		    feat_record_check_name(group) < 0 ? "group" :
		    "entity type", feat_record_check_name(group) < 0 ?
		    group : entity_type);
		return -1;
	}
	for (size_t i = 0; i < naggs; i++) {
		struct ft_agg *a = &aggs[i];
		int distinct = a->fn == AGG_DISTINCT;
		unsigned flags = (a->fn == AGG_PCT ? w->o.sketch ?
		    FT_COL_SKETCH : FT_COL_VALUES : 0) |
		    (a->fn == AGG_VAR || a->fn == AGG_STDDEV ?
		    FT_COL_MOMENTS : 0);

		a->col[0] = a->col[1] = -1;
		for (int k = 0; k < a->nfields; k++) {
			a->col[k] = column(w, a->field[k], distinct,
			    a->fn == AGG_COUNT || a->fn == AGG_RATE, flags, err,
			    errlen);
			if (a->col[k] < 0)
				return -1;
		}
		if (a->fn == AGG_FATIGUE)
			w->fatigue = 1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(aggs[j].name, a->name) == 0) {
				snprintf(err, errlen, "two aggregates named "
				    "'%s': name one with 'as NAME'", a->name);
				return -1;
			}
	}
	o = &w->outputs[w->noutputs++];
	for (size_t i = 0; i < naggs; i++) {
		if (aggs[i].fn != AGG_CLUSTER)
			continue;
		for (int j = 0; j < FT_CLUSTER_DIM; j++) {
			size_t a;

			for (a = 0; a < naggs; a++)
				if (strcmp(aggs[a].name, cluster_names[j]) == 0)
					break;
			if (a == naggs) {
				w->noutputs--;
				snprintf(err, errlen, "'%s' needs '%s' in its "
				    "group '%s'", aggs[i].name,
				    cluster_names[j], group);
				return -1;
			}
			o->cluster_in[j] = (int)a;
		}
	}
	if (naggs > w->maxaggs)
		w->maxaggs = naggs;
	snprintf(o->group, sizeof o->group, "%s", group);
	snprintf(o->entity_type, sizeof o->entity_type, "%s", entity_type);
	o->aggs = feat_xmalloc((naggs ? naggs : 1) * sizeof *o->aggs);
	memcpy(o->aggs, aggs, naggs * sizeof *aggs);
	o->naggs = naggs;
	return 0;
}

static int
set_key(struct feat_windower *w, const char *key, const char *dflt,
    char *err, size_t errlen)
{
	int is_bool, idx;

	if (key == NULL || *key == '\0') {
		snprintf(err, errlen, "a key field is needed (-k)");
		return -1;
	}
	snprintf(w->keyname, sizeof w->keyname, "%s", key);
	w->key_default = dflt && *dflt ? feat_xstrdup(dflt) : NULL;
	if (strcmp(key, "model") == 0) {
		/* Model keys are the catalog's model when it knows it. */
		w->keykind = KEY_MODEL;
		want(w, "model");
		want(w, "catalog_model");
	} else if ((idx = ft_canon_field_kind(key, &is_bool)) >= 0) {
		w->keykind = KEY_FIELD;
		w->keyidx = idx;
		want(w, key);
	} else {
		size_t i;

		for (i = 0; i < w->npaths; i++)
			if (strcmp(w->paths[i], key) == 0)
				break;
		if (i == w->npaths) {
			w->paths = feat_xrealloc(w->paths, (w->npaths + 2) *
			    sizeof *w->paths);
			w->paths[w->npaths++] = feat_xstrdup(key);
			w->paths[w->npaths] = NULL;
		}
		w->keykind = KEY_PATH;
		w->keyidx = (int)i;
	}
	return 0;
}

/* The fields the normaliser reads for the columns and the filter. */
static void
wants(struct feat_windower *w)
{
	want(w, "ts");
	want(w, "type");
	if (w->events == FEAT_EVENTS_OUTCOME)
		want(w, "outcome");
	for (size_t i = 0; i < w->ncols; i++) {
		const struct colspec *c = &w->cols[i];

		switch (c->kind) {
		case COL_NUM:
		case COL_STR:
			want(w, ft_canon_name(c->idx));
			/* A cost read from the catalog needs its model. */
			if (strcmp(ft_canon_name(c->idx), "cost_usd") == 0 ||
			    strncmp(ft_canon_name(c->idx), "input_cost", 10)
			    == 0 || strncmp(ft_canon_name(c->idx),
			    "output_cost", 11) == 0)
				want(w, "catalog_model");
			break;
		case COL_OK:
		case COL_ERROR:
			want(w, "status");
			break;
		case COL_TIMEOUT:
			want(w, "error");
			break;
		default:
			break;
		}
	}
}

static struct feat_windower *
windower_new(const struct feat_windower_opts *o, char *err, size_t errlen)
{
	struct feat_windower *w = feat_xcalloc(1, sizeof *w);

	w->o = *o;
	if (w->o.version <= 0)
		w->o.version = 1;
	if (w->o.watermark_delay < 0)
		w->o.watermark_delay = 0;
	w->size = o->window.size;
	w->slide = o->window.slide;
	w->watermark = INT64_MIN;
	w->seed = ft_hash_seed();
	w->state_lock = -1;
	w->late_fd = -1;
	(void)err;
	(void)errlen;
	if (o->window.type == FEAT_WINDOW_SESSION) {
		/* Sessions have no panes; the gap paces the sweeps. */
		w->session = 1;
		w->gap = o->window.gap;
		w->max = o->window.max;
		w->size = w->slide = w->gap;
		w->o.align = 0;
	}
	if (w->o.align < 0)
		w->o.align = 0;
	w->o.align %= w->slide;
	return w;
}

static int
finish_setup(struct feat_windower *w)
{
	wants(w);
	w->merged = feat_xcalloc(w->ncols ? w->ncols : 1, sizeof *w->merged);
	w->values = feat_xcalloc(w->maxaggs + 1, sizeof *w->values);
	return 0;
}

feat_windower *
feat_windower_new(const struct feat_windower_opts *o, const char *key,
    const char *entity_type, const char *group,
    enum feat_window_events events, const char *const *aggs, size_t naggs,
    char *err, size_t errlen)
{
	struct feat_windower *w = windower_new(o, err, errlen);
	struct ft_agg *parsed;
	char et[FT_AGG_NAME];

	if (w == NULL)
		return NULL;
	w->events = events;
	if (set_key(w, key, NULL, err, errlen) < 0)
		goto fail;
	if (naggs == 0) {
		snprintf(err, errlen, "no aggregate: give one or more -a");
		goto fail;
	}
	/* -e: model, user, session, system for the usual keys (SPEC 6). */
	if (entity_type == NULL) {
		entity_type = strcmp(key, "model") == 0 ? "model" :
		    strcmp(key, "user_id") == 0 ? "user" :
		    strcmp(key, "session_id") == 0 ? "session" :
		    strcmp(key, "component") == 0 ? "system" : NULL;
		if (entity_type == NULL) {
			size_t i;

			for (i = 0; key[i] && i + 1 < sizeof et; i++)
				et[i] = key[i] == '.' ? '_' : key[i];
			et[i] = '\0';
			entity_type = et;
		}
	}
	parsed = feat_xcalloc(naggs, sizeof *parsed);
	for (size_t i = 0; i < naggs; i++)
		if (ft_agg_parse(aggs[i], &parsed[i], err, errlen) < 0) {
			free(parsed);
			goto fail;
		}
	if (add_output(w, group ? group : "window", entity_type, parsed, naggs,
	    err, errlen) < 0) {
		free(parsed);
		goto fail;
	}
	free(parsed);
	finish_setup(w);
	return w;
fail:
	feat_windower_free(w);
	return NULL;
}

feat_windower *
feat_windower_preset(const struct feat_windower_opts *o,
    const feat_catalog *cat, const char *preset, char *err, size_t errlen)
{
	const feat_catalog_group *first = NULL;
	struct feat_windower_opts po = *o;
	struct feat_windower *w = NULL;

	for (size_t gi = 0; gi < feat_catalog_group_count(cat); gi++) {
		const feat_catalog_group *g = feat_catalog_group_nth(cat, gi);
		const char *name = feat_catalog_group_name(g);
		size_t n = feat_catalog_by_group(cat, name, NULL, 0);
		const feat_catalog_feature **fs;
		struct ft_agg *aggs;
		int rc = 0;

		if (strcmp(feat_catalog_group_preset(g), preset) != 0)
			continue;
		if (first == NULL) {
			/* The preset's window, key and events are its own. */
			const char *ev = feat_catalog_group_events(g);

			first = g;
			if (feat_window_parse(feat_catalog_group_window(g),
			    &po.window, err, errlen) < 0)
				return NULL;
			po.lateness = feat_catalog_group_lateness(g);
			if ((w = windower_new(&po, err, errlen)) == NULL)
				return NULL;
			if (feat_window_events_parse(*ev ? ev : "any",
			    &w->events) < 0) {
				snprintf(err, errlen, "group '%s': unknown "
				    "events '%s'", name, ev);
				goto fail;
			}
			/* A group's "any": every event carrying a field its
			   features read (feat-catalog(5)). */
			w->carrying = w->events == FEAT_EVENTS_ANY;
			if (set_key(w, feat_catalog_group_key(g, 0),
			    feat_catalog_group_key_default(g), err,
			    errlen) < 0)
				goto fail;
		} else if (strcmp(feat_catalog_group_window(g),
		    feat_catalog_group_window(first)) != 0) {
			snprintf(err, errlen, "groups '%s' and '%s' of preset "
			    "'%s' have different windows", name,
			    feat_catalog_group_name(first), preset);
			goto fail;
		}
		fs = feat_xcalloc(n + 1, sizeof *fs);
		aggs = feat_xcalloc(n + 1, sizeof *aggs);
		feat_catalog_by_group(cat, name, fs, n);
		for (size_t i = 0; i < n && rc == 0; i++)
			if (ft_preset_feature(feat_catalog_feature_name(fs[i]),
			    &aggs[i]) < 0) {
				snprintf(err, errlen, "feature '%s' of group "
				    "'%s' is not computed by this version of "
				    "feat-window", feat_catalog_feature_name(fs[i]),
				    name);
				rc = -1;
			}
		if (rc == 0)
			rc = add_output(w, name, feat_catalog_group_entity_type(g),
			    aggs, n, err, errlen);
		free(fs);
		free(aggs);
		if (rc < 0)
			goto fail;
	}
	if (w == NULL) {
		snprintf(err, errlen, "unknown preset '%s': a catalog group "
		    "feat-window writes (perf_5min, perf_1hr, feedback_session, "
		    "feedback_1hr, context_1min, "
		    "context_5min)", preset);
		return NULL;
	}
	/*
	 * DRV_009 is a sum over every window of a key, carried from one to
	 * the next: a late event may change the last window fired, not an
	 * earlier one (whose successors' sums would all change).
	 */
	if (w->fatigue && w->o.lateness >= w->slide) {
		snprintf(err, errlen, "preset '%s': its allowed lateness must "
		    "be shorter than its slide, since fatigue_5min carries its "
		    "sum from window to window", preset);
		goto fail;
	}
	finish_setup(w);
	return w;
fail:
	feat_windower_free(w);
	return NULL;
}

const char *const *
feat_windower_fields(const feat_windower *w)
{
	return w->want;
}

const char *const *
feat_windower_paths(const feat_windower *w)
{
	return w->paths;
}

/* ---- keys and the heap -------------------------------------------------- */

/* k into its free slot of the map (w->mapcap a power of two). */
static void
map_put(struct feat_windower *w, struct wkey *k)
{
	size_t j;

	for (j = ft_seeded_hash(w->seed, k->id, k->idlen) & (w->mapcap - 1);
	    w->map[j]; j = (j + 1) & (w->mapcap - 1))
		continue;
	w->map[j] = k;
}

static struct wkey *
key_get(struct feat_windower *w, const char *id, size_t n)
{
	uint64_t h = ft_seeded_hash(w->seed, id, n);
	struct wkey *k;
	size_t i;

	if (w->mapcap == 0 || 2 * (w->nkeys + 1) > w->mapcap) {
		struct wkey **old = w->map;
		size_t oldcap = w->mapcap;

		w->mapcap = oldcap ? oldcap * 2 : 64;
		w->map = feat_xcalloc(w->mapcap, sizeof *w->map);
		for (i = 0; i < oldcap; i++)
			if (old[i])
				map_put(w, old[i]);
		free(old);
	}
	for (i = h & (w->mapcap - 1); (k = w->map[i]) != NULL;
	    i = (i + 1) & (w->mapcap - 1))
		if (k->idlen == n && memcmp(k->id, id, n) == 0)
			return k;
	k = feat_xcalloc(1, sizeof *k);
	k->id = feat_xstrndup(id, n);
	k->idlen = n;
	k->fired_upto = INT64_MIN;
	k->next_end = INT64_MAX;
	w->map[i] = k;
	w->nkeys++;
	return k;
}

/* Heap order: the earlier end first; among one end, keys in byte order. */
static int
before(const struct heapent *a, const struct heapent *b)
{
	int c;

	if (a->end != b->end)
		return a->end < b->end;
	c = memcmp(a->k->id, b->k->id, a->k->idlen < b->k->idlen ?
	    a->k->idlen : b->k->idlen);
	return c < 0 || (c == 0 && a->k->idlen < b->k->idlen);
}

static void
heap_push(struct feat_windower *w, struct wkey *k, int64_t end)
{
	size_t i;

	k->next_end = end;
	k->ver++;
	if (w->nheap == w->capheap) {
		w->capheap = w->capheap ? w->capheap * 2 : 64;
		w->heap = feat_xrealloc(w->heap, w->capheap * sizeof *w->heap);
	}
	i = w->nheap++;
	w->heap[i].end = end;
	w->heap[i].k = k;
	w->heap[i].ver = k->ver;
	while (i > 0 && before(&w->heap[i], &w->heap[(i - 1) / 2])) {
		struct heapent t = w->heap[i];

		w->heap[i] = w->heap[(i - 1) / 2];
		w->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* Entry i down to its place. */
static void
sift_down(struct feat_windower *w, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < w->nheap && before(&w->heap[l], &w->heap[m]))
			m = l;
		if (r < w->nheap && before(&w->heap[r], &w->heap[m]))
			m = r;
		if (m == i)
			break;
		{
			struct heapent t = w->heap[i];

			w->heap[i] = w->heap[m];
			w->heap[m] = t;
		}
		i = m;
	}
}

static void
heap_pop(struct feat_windower *w)
{
	w->heap[0] = w->heap[--w->nheap];
	sift_down(w, 0);
}

/* The heap's first entry that is still its key's, or NULL. */
static struct heapent *
heap_top(struct feat_windower *w)
{
	while (w->nheap > 0 && w->heap[0].ver != w->heap[0].k->ver)
		heap_pop(w);
	return w->nheap > 0 ? &w->heap[0] : NULL;
}

/* ---- panes -------------------------------------------------------------- */

static struct pane *
pane_new(struct feat_windower *w, int64_t index)
{
	struct pane *p = feat_xcalloc(1, sizeof *p + w->ncols *
	    sizeof p->cols[0]);

	p->index = index;
	return p;
}

static void
pane_free(struct feat_windower *w, struct pane *p)
{
	for (size_t i = 0; i < w->ncols; i++)
		ft_col_free(&p->cols[i]);
	free(p);
}

/* The key's pane of that index, made in its place when missing. */
static struct pane *
pane_get(struct feat_windower *w, struct wkey *k, int64_t index)
{
	size_t i = k->npanes;

	/* Events come mostly in order: look from the newest pane back. */
	while (i > 0 && k->panes[i - 1]->index > index)
		i--;
	if (i > 0 && k->panes[i - 1]->index == index)
		return k->panes[i - 1];
	if (k->npanes == k->cappanes) {
		k->cappanes = k->cappanes ? k->cappanes * 2 : 4;
		k->panes = feat_xrealloc(k->panes, k->cappanes *
		    sizeof *k->panes);
	}
	memmove(k->panes + i + 1, k->panes + i, (k->npanes - i) *
	    sizeof *k->panes);
	k->panes[i] = pane_new(w, index);
	k->npanes++;
	return k->panes[i];
}

/* ---- an event ----------------------------------------------------------- */

/* Whether the event has a value for one of the columns. */
static int
carries(const struct feat_windower *w, const feat_event *ev)
{
	for (size_t i = 0; i < w->ncols; i++) {
		const struct colspec *c = &w->cols[i];
		size_t n;
		double d;

		switch (c->kind) {
		case COL_NUM:
		case COL_STR:
			if (ft_event_has(ev, c->idx))
				return 1;
			break;
		case COL_PATH:
			if (feat_event_path_num(ev, c->idx, &d))
				return 1;
			break;
		case COL_PATH_STR:
			if (feat_event_path_str(ev, c->idx, &n) != NULL)
				return 1;
			break;
		default:
			return 1;	/* status, error: every event */
		}
	}
	return 0;
}

static int
wanted_event(const struct feat_windower *w, const feat_event *ev)
{
	size_t n;
	const char *t;

	switch (w->events) {
	case FEAT_EVENTS_ANY:
		return !w->carrying || carries(w, ev);
	case FEAT_EVENTS_OUTCOME:
		return ft_event_bool(ev, FT_outcome) == 1;
	default:
		t = ft_event_str(ev, FT_type, &n);
		return w->events == FEAT_EVENTS_REQUEST ?
		    (n == 7 && memcmp(t, "request", 7) == 0) ||
		    (n == 8 && memcmp(t, "response", 8) == 0) ||
		    (n == 19 && memcmp(t, "performance_metrics", 19) == 0) :
		    w->events == FEAT_EVENTS_FEEDBACK ?
		    n == 8 && memcmp(t, "feedback", 8) == 0 :
		    n == 13 && memcmp(t, "system_health", 13) == 0;
	}
}

/* The event's key; the default when it has none; NULL: none at all. */
static const char *
event_key(const struct feat_windower *w, const feat_event *ev, size_t *n)
{
	const char *k = NULL;

	switch (w->keykind) {
	case KEY_MODEL:
		k = ft_event_str(ev, FT_catalog_model, n);
		if (k == NULL)
			k = ft_event_str(ev, FT_model, n);
		break;
	case KEY_FIELD:
		k = ft_event_str(ev, w->keyidx, n);
		break;
	case KEY_PATH:
		k = feat_event_path_str(ev, w->keyidx, n);
		break;
	}
	if ((k == NULL || *n == 0) && w->key_default) {
		k = w->key_default;
		*n = strlen(k);
	}
	return k && *n > 0 ? k : NULL;
}

static int
contains_timeout(const char *s, size_t n)
{
	for (size_t i = 0; i + 7 <= n; i++)
		if (strncasecmp(s + i, "timeout", 7) == 0)
			return 1;
	return 0;
}

static void
feed(struct feat_windower *w, struct pane *p, const feat_event *ev,
    int64_t ts)
{
	for (size_t i = 0; i < w->ncols; i++) {
		const struct colspec *c = &w->cols[i];
		struct ft_colstate *cs = &p->cols[i];
		const char *s;
		size_t n;
		double d;
		int b;

		switch (c->kind) {
		case COL_NUM:
			if (c->is_bool) {
				if ((b = ft_event_bool(ev, c->idx)) >= 0)
					ft_col_add(cs, b, c->flags);
			} else if (ft_event_num(ev, c->idx, &d) == 0)
				ft_col_add(cs, d, c->flags);
			break;
		case COL_PATH:
			if (feat_event_path_num(ev, c->idx, &d))
				ft_col_add(cs, d, c->flags);
			break;
		case COL_OK:
		case COL_ERROR:
			s = ft_event_str(ev, FT_status, &n);
			if (s && ((n == 2 && memcmp(s, "ok", 2) == 0) ||
			    (n == 5 && memcmp(s, "error", 5) == 0)))
				ft_col_add(cs, (n == 2) == (c->kind == COL_OK),
				    c->flags);
			break;
		case COL_TIMEOUT:
			s = ft_event_str(ev, FT_error, &n);
			ft_col_add(cs, s != NULL && contains_timeout(s, n),
			    c->flags);
			break;
		case COL_STR:
		case COL_PATH_STR:
			s = c->kind == COL_STR ? ft_event_str(ev, c->idx, &n) :
			    feat_event_path_str(ev, c->idx, &n);
			if (s != NULL) {
				if (c->distinct)
					ft_col_distinct_add(cs, s, n);
				cs->n++;
			}
			break;
		}
	}
	p->count++;
	if (w->fatigue)
		ft_dd_add(&p->fsum, &p->fsumlo, exp2(ft_ns_diff(ts,
		    ft_window_pane_start(p->index, w->slide, w->o.align)) /
		    (double)FATIGUE_HALF_LIFE_NS));
}

/* ---- firing ------------------------------------------------------------- */

#define KEY(wr, k) feat_writer_key((wr), (k), strlen(k))

/* The value of a over the merged columns m of a window size ns long
   holding count events; NAN: null. */
static double
agg_value(const struct feat_windower *w, const struct ft_agg *a,
    struct ft_colstate *m, uint64_t count, int64_t size, double fatigue)
{
	struct ft_colstate *c = a->col[0] >= 0 ? &m[a->col[0]] : NULL;
	const struct ft_colstate *c2 = a->col[1] >= 0 ? &m[a->col[1]] : NULL;
	double secs = (double)size / (double)FEAT_NS_PER_S;

	switch (a->fn) {
	case AGG_COUNT:
		return (double)(c ? c->n : count);
	case AGG_DISTINCT:
		return (double)ft_col_distinct_count(c);
	case AGG_SUM:
		return c->n ? ft_col_sum(c) : NAN;
	case AGG_MEAN:
		return c->n ? ft_col_sum(c) / (double)c->n : NAN;
	case AGG_MIN:
		return c->n ? c->min : NAN;
	case AGG_MAX:
		return c->n ? c->max : NAN;
	case AGG_VAR:
		return c->n > 1 ? c->m2 / (double)(c->n - 1) : NAN;
	case AGG_STDDEV:
		return c->n > 1 ? sqrt(c->m2 / (double)(c->n - 1)) : NAN;
	case AGG_PCT:
		if (w->o.sketch)
			return ft_col_sketch_quantile(c, a->p);
		if (!c->sorted) {
			ft_sort_doubles(c->vals, c->nvals);
			c->sorted = 1;
		}
		return ft_percentile_sorted(c->vals, c->nvals, a->p);
	case AGG_RATE:
		return (double)(c ? c->n : count) / secs;
	case AGG_RATIO:
		return c->n && c2->n && ft_col_sum(c2) != 0 ? ft_col_sum(c) /
		    ft_col_sum(c2) : NAN;
	case AGG_SUM_PER_COUNT:
		return count ? ft_col_sum(c) / (double)count : NAN;
	case AGG_QUEUE_SCORE:
		return c->n ? fmin(log1p(c->max) / log(1001.0), 1) : NAN;
	case AGG_FATIGUE:
		return fmin(fatigue / 1000, 1);
	case AGG_CLUSTER:
		break;		/* from the others: see cluster() */
	}
	return NAN;
}

/*
 * DRV_006: the index of the nearest of 8 centroids to x (squared
 * Euclidean distance; the lower index on a tie), which then moves toward
 * x by 1/n of the way (MacQueen's online k-means), n its vectors so far.
 * The first 8 distinct vectors seen are the centroids as they come; a
 * re-fire is assigned without moving any.  NAN when x has a null.
 */
static double
cluster(struct feat_windower *w, const double x[FT_CLUSTER_DIM], int refire)
{
	int best = -1;
	double bestd = 0;

	for (int j = 0; j < FT_CLUSTER_DIM; j++)
		if (isnan(x[j]))
			return NAN;
	for (int i = 0; i < w->ncent; i++) {
		double d = 0;

		for (int j = 0; j < FT_CLUSTER_DIM; j++)
			d += (x[j] - w->cent[i][j]) * (x[j] - w->cent[i][j]);
		if (best < 0 || d < bestd) {
			best = i;
			bestd = d;
		}
	}
	if (refire && best >= 0)
		return best;
	if (w->ncent < FT_CLUSTERS && (best < 0 || bestd != 0)) {
		best = w->ncent++;
		memcpy(w->cent[best], x, sizeof w->cent[best]);
		w->centn[best] = 1;
		return best;
	}
	w->centn[best]++;
	for (int j = 0; j < FT_CLUSTER_DIM; j++)
		w->cent[best][j] += (x[j] - w->cent[best][j]) /
		    (double)w->centn[best];
	return best;
}

/* The features of output o over the merged columns into its record. */
static void
write_values(struct feat_windower *w, const struct output *o,
    uint64_t count, int64_t size, double fatigue, int refire)
{
	double *v = w->values;

	for (size_t a = 0; a < o->naggs; a++)
		v[a] = agg_value(w, &o->aggs[a], w->merged, count, size,
		    fatigue);
	for (size_t a = 0; a < o->naggs; a++) {
		const struct ft_agg *ag = &o->aggs[a];

		if (ag->fn == AGG_CLUSTER) {
			double x[FT_CLUSTER_DIM];

			for (int j = 0; j < FT_CLUSTER_DIM; j++)
				x[j] = v[o->cluster_in[j]];
			v[a] = cluster(w, x, refire);
		}
		KEY(w->out, ag->name);
		if (isnan(v[a]) || isinf(v[a]))
			feat_writer_null(w->out);
		else if (ag->fn == AGG_COUNT || ag->fn == AGG_DISTINCT ||
		    ag->fn == AGG_CLUSTER)
			feat_writer_int(w->out, (int64_t)v[a]);
		else
			feat_writer_double(w->out, v[a]);
	}
}

/*
 * Writes the records of k's window that ends at end, when it holds an
 * event.  refire: the window fired before and a late event (within the
 * allowed lateness) changed it; its created is then newer than any of
 * the key's records before.
 */
static int
emit(struct feat_windower *w, struct wkey *k, int64_t end, int64_t wm,
    int refire, int first, struct feat_error *err)
{
	int64_t start = sat_add(end, -w->size);
	uint64_t count = 0;
	double fatigue = 0, contrib = 0;
	size_t i;

	for (i = 0; i < w->ncols; i++)
		ft_col_reset(&w->merged[i]);
	for (i = 0; i < k->npanes; i++) {
		struct pane *p = k->panes[i];
		int64_t ps = ft_window_pane_start(p->index, w->slide,
		    w->o.align);

		if (ps < start || ps >= end)
			continue;
		count += p->count;
		for (size_t c = 0; c < w->ncols; c++)
			ft_col_merge(&w->merged[c], &p->cols[c],
			    w->cols[c].flags);
		/* DRV_009: this window's events, decayed to its end. */
		if (w->fatigue && sat_add(ps, w->slide) == end)
			contrib += (p->fsum + p->fsumlo) *
			    exp2(-ft_ns_diff(end, ps) /
			    (double)FATIGUE_HALF_LIFE_NS);
	}
	if (w->fatigue) {
		/* A re-fire of the last window fired starts again from the
		   sum before it; the sum is then the corrected one. */
		int again = refire && k->has_fatigue && end == k->fatigue_at;
		double base = again ? k->fatigue_prev : k->fatigue;
		int64_t at = again ? k->fatigue_prev_at : k->fatigue_at;
		int has = again ? k->has_fatigue_prev : k->has_fatigue;

		fatigue = has ? base * exp2(-ft_ns_diff(end, at) /
		    (double)FATIGUE_HALF_LIFE_NS) : 0;
		fatigue += contrib;
		if (!refire) {
			k->fatigue_prev = k->fatigue;
			k->fatigue_prev_at = k->fatigue_at;
			k->has_fatigue_prev = k->has_fatigue;
		}
		if (!refire || again) {
			k->fatigue = fatigue;
			k->fatigue_at = end;
			k->has_fatigue = 1;
		}
	}
	if (count > 0) {
		struct feat_record_window win = { start, end, count };
		struct feat_record_head h = { 0 };

		h.entity_id = k->id;
		h.entity_id_len = k->idlen;
		h.version = w->o.version;
		h.ts = end;
		/* Backfills: the watermark at which it fired (SPEC 6). */
		h.created = w->o.created_watermark ? (wm > end ? wm : end) :
		    feat_clock_now(w->o.clock);
		/* A re-fire supersedes: a millisecond newer at least. */
		if (refire && !first && h.created <= sat_add(k->last_created,
		    FEAT_NS_PER_MS - 1))
			h.created = sat_add(k->last_created, FEAT_NS_PER_MS);
		if (h.created > k->last_created)
			k->last_created = h.created;
		for (size_t oi = 0; oi < w->noutputs; oi++) {
			const struct output *o = &w->outputs[oi];

			h.entity_type = o->entity_type;
			h.group = o->group;
			if (feat_record_begin(w->out, &h, err->reason,
			    sizeof err->reason) < 0) {
				err->code = FEAT_ERR_IO;
				return -1;
			}
			write_values(w, o, count, w->size, fatigue,
			    refire && !first);
			if (feat_record_end(w->out, &win) < 0) {
				err->code = FEAT_ERR_OUTPUT;
				return -1;
			}
			w->records++;
		}
		if (refire && !first)
			w->refired++;
		else
			w->fired++;
	}
	return 0;
}

static int session_fire(struct feat_windower *, struct wkey *, int64_t,
    int64_t, struct feat_error *);

static int
fire(struct feat_windower *w, struct wkey *k, int64_t end, int64_t wm,
    struct feat_error *err)
{
	size_t drop, i;

	if (w->session)
		return session_fire(w, k, end, wm, err);
	if (emit(w, k, end, wm, 0, 0, err) < 0)
		return -1;
	k->fired_upto = end;
	/*
	 * Panes no later window holds go (pane start + size <= end), once
	 * the allowed lateness of their last window is past too: a late
	 * event may still change it.
	 */
	for (drop = 0; drop < k->npanes; drop++) {
		int64_t last = sat_add(ft_window_pane_start(
		    k->panes[drop]->index, w->slide, w->o.align), w->size);

		if (last > end || sat_add(last, w->o.lateness) > w->watermark)
			break;
		pane_free(w, k->panes[drop]);
	}
	memmove(k->panes, k->panes + drop, (k->npanes - drop) *
	    sizeof *k->panes);
	k->npanes -= drop;
	/* The next window with an event of a pane not yet fired whole. */
	for (i = 0; i < k->npanes; i++) {
		int64_t ps = ft_window_pane_start(k->panes[i]->index,
		    w->slide, w->o.align);

		if (sat_add(ps, w->size) > end) {
			int64_t first = sat_add(ps, w->slide);
			int64_t next = sat_add(end, w->slide);

			heap_push(w, k, first > next ? first : next);
			return 0;
		}
	}
	k->next_end = INT64_MAX;
	return 0;
}

/* ---- sessions ----------------------------------------------------------- */

/* The end of a session: min(last + gap, first + max) (SPEC 6). */
static int64_t
session_end(const struct feat_windower *w, int64_t first, int64_t last)
{
	int64_t e = sat_add(last, w->gap);

	if (w->max > 0 && sat_add(first, w->max) < e)
		e = sat_add(first, w->max);
	return e;
}

static void
session_free(struct feat_windower *w, struct session *s)
{
	if (s->p)
		pane_free(w, s->p);
	free(s->tombs);
	free(s);
}

static void
session_close(struct feat_windower *w, struct session *s)
{
	s->state = SESS_CLOSED;
	if (s->p)
		pane_free(w, s->p);
	s->p = NULL;
	free(s->tombs);
	s->tombs = NULL;
	s->ntombs = 0;
}

/*
 * What the watermark has made of k's oldest sessions: fired ones past the
 * allowed lateness are closed; closed ones go once every event that could
 * have joined one is late by itself anyway (last + gap + its own window +
 * lateness <= watermark) and could not join a live one too.  Oldest first, up to the first that stays, so
 * that a key holding many sessions costs little per event: a fired one
 * further on is closed when an event reaches it (session_event).
 */
static void
session_tidy(struct feat_windower *w, struct wkey *k)
{
	int64_t own = w->max > 0 && w->max < w->gap ? w->max : w->gap;
	size_t drop = 0;

	while (drop < k->nsess) {
		struct session *s = k->sess[drop];

		if (s->state == SESS_FIRED && sat_add(s->end, w->o.lateness) <=
		    w->watermark)
			session_close(w, s);
		if (s->state != SESS_CLOSED || sat_add(sat_add(sat_add(
		    s->last, w->gap), own), w->o.lateness) > w->watermark)
			break;
		/* An event within gap of it and of a live next one bridges
		   a closed session, so is late: it stays while that can be. */
		if (drop + 1 < k->nsess) {
			const struct session *nx = k->sess[drop + 1];

			if ((nx->state == SESS_OPEN || (nx->state ==
			    SESS_FIRED && sat_add(nx->end, w->o.lateness) >
			    w->watermark)) && sat_add(nx->first, -w->gap) <=
			    sat_add(s->last, w->gap))
				break;
		}
		session_free(w, s);
		drop++;
	}
	if (drop > 0) {
		memmove(k->sess, k->sess + drop, (k->nsess - drop) *
		    sizeof *k->sess);
		k->nsess -= drop;
		k->open_from = k->open_from > drop ? k->open_from - drop : 0;
	}
}

/* k's heap entry at the end of its first open session, or none. */
static void
session_schedule(struct feat_windower *w, struct wkey *k)
{
	int64_t next = INT64_MAX;

	/* A session ends after its first event: none that starts at or
	   after the best end so far can end before it. */
	for (size_t i = k->open_from; i < k->nsess &&
	    k->sess[i]->first < next; i++)
		if (k->sess[i]->state == SESS_OPEN && k->sess[i]->end < next)
			next = k->sess[i]->end;
	if (next == k->next_end)
		return;
	if (next == INT64_MAX) {
		k->next_end = INT64_MAX;
		k->ver++;	/* its entry is stale */
	} else
		heap_push(w, k, next);
}

/*
 * Writes session s of k: first a tombstone for each record of it that a
 * late event superseded, then its record, a millisecond newer than the
 * tombstones (which delete what is not newer than they are).
 */
static int
session_emit(struct feat_windower *w, struct wkey *k, struct session *s,
    int64_t wm, struct feat_error *err)
{
	struct feat_record_window win = { s->first, s->end, s->p->count };
	struct feat_record_head h = { 0 };
	int refire = s->ntombs > 0;
	int64_t c;

	for (size_t i = 0; i < w->ncols; i++) {
		ft_col_reset(&w->merged[i]);
		ft_col_merge(&w->merged[i], &s->p->cols[i], w->cols[i].flags);
	}
	c = w->o.created_watermark ? (wm > s->end ? wm : s->end) :
	    feat_clock_now(w->o.clock);
	if (refire && c <= sat_add(k->last_created, FEAT_NS_PER_MS - 1))
		c = sat_add(k->last_created, FEAT_NS_PER_MS);
	h.entity_id = k->id;
	h.entity_id_len = k->idlen;
	h.version = w->o.version;
	for (size_t oi = 0; oi < w->noutputs; oi++) {
		const struct output *o = &w->outputs[oi];

		h.entity_type = o->entity_type;
		h.group = o->group;
		h.created = c;
		for (size_t t = 0; t < s->ntombs; t++) {
			int rc;

			h.ts = s->tombs[t];
			if ((rc = feat_record_tombstone(w->out, &h,
			    err->reason, sizeof err->reason)) < 0) {
				err->code = rc == -2 ? FEAT_ERR_OUTPUT :
				    FEAT_ERR_IO;
				return -1;
			}
			w->records++;
		}
		h.ts = s->end;
		if (refire)
			h.created = sat_add(c, FEAT_NS_PER_MS);
		if (feat_record_begin(w->out, &h, err->reason,
		    sizeof err->reason) < 0) {
			err->code = FEAT_ERR_IO;
			return -1;
		}
		write_values(w, o, s->p->count, s->end - s->first, 0, refire);
		if (feat_record_end(w->out, &win) < 0) {
			err->code = FEAT_ERR_OUTPUT;
			return -1;
		}
		w->records++;
	}
	if (refire) {
		c = sat_add(c, FEAT_NS_PER_MS);
		w->refired++;
	} else
		w->fired++;
	if (c > k->last_created)
		k->last_created = c;
	free(s->tombs);
	s->tombs = NULL;
	s->ntombs = 0;
	s->state = SESS_FIRED;
	return 0;
}

/* Fires k's open sessions that end at or before end. */
static int
session_fire(struct feat_windower *w, struct wkey *k, int64_t end,
    int64_t wm, struct feat_error *err)
{
	for (size_t i = k->open_from; i < k->nsess &&
	    k->sess[i]->first < end; i++) {
		struct session *s = k->sess[i];

		if (s->state != SESS_OPEN || s->end > end)
			continue;
		if (session_emit(w, k, s, wm, err) < 0)
			return -1;
		if (sat_add(s->end, w->o.lateness) <= w->watermark)
			session_close(w, s);
	}
	while (k->open_from < k->nsess &&
	    k->sess[k->open_from]->state != SESS_OPEN)
		k->open_from++;
	session_schedule(w, k);
	return 0;
}

static void
add_tomb(struct session *s, int64_t ts)
{
	s->tombs = feat_xrealloc(s->tombs, (s->ntombs + 1) * sizeof *s->tombs);
	s->tombs[s->ntombs++] = ts;
}

/*
 * An event at ts of key k into its session (SPEC 6): the sessions within
 * gap of it (first - gap <= ts <= last + gap) merge with it into one.
 * With a max, a merge that would span max or more does not happen: the
 * event joins the one session it fits in (the latest that starts at or
 * before it, else the first after it), else starts its own - so that, in
 * time order, an event at first + max starts a new session.  An event
 * whose session is closed, or that would be alone in a window already
 * past its lateness, is late.  1: late; 0: counted; -1: error.
 */
static int
session_event(struct feat_windower *w, struct wkey *k, const feat_event *ev,
    int64_t ts, struct feat_error *err)
{
	size_t lo = 0, hi = 0, i;
	int found = 0;
	struct session *m;

	session_tidy(w, k);
	/* The sessions are disjoint, in order: their lasts too.  The first
	   within reach is the first whose last + gap is not before ts. */
	{
		size_t a = 0, b = k->nsess;

		while (a < b) {
			size_t mid = a + (b - a) / 2;

			if (sat_add(k->sess[mid]->last, w->gap) < ts)
				a = mid + 1;
			else
				b = mid;
		}
		for (i = a; i < k->nsess && sat_add(k->sess[i]->first,
		    -w->gap) <= ts; i++) {
			struct session *s = k->sess[i];

			/* Fired and past the lateness: closed now. */
			if (s->state == SESS_FIRED && sat_add(s->end,
			    w->o.lateness) <= w->watermark)
				session_close(w, s);
			if (!found)
				lo = i;
			hi = i;
			found = 1;
		}
	}
	if (found && w->max > 0) {
		int64_t first = k->sess[lo]->first < ts ? k->sess[lo]->first :
		    ts;
		int64_t last = k->sess[hi]->last > ts ? k->sess[hi]->last : ts;

		if (last >= sat_add(first, w->max)) {
			size_t pick = SIZE_MAX;

			for (i = lo; i <= hi; i++) {
				struct session *s = k->sess[i];
				int64_t l = s->last > ts ? s->last : ts;

				if (s->first <= ts && l < sat_add(s->first,
				    w->max))
					pick = i;
			}
			for (i = lo; pick == SIZE_MAX && i <= hi; i++)
				if (k->sess[i]->first > ts &&
				    k->sess[i]->last < sat_add(ts, w->max))
					pick = i;
			found = pick != SIZE_MAX;
			lo = hi = pick;
		}
	}
	if (found) {
		for (i = lo; i <= hi; i++)
			if (k->sess[i]->state == SESS_CLOSED)
				return 1;
	} else if (sat_add(session_end(w, ts, ts), w->o.lateness) <=
	    w->watermark)
		return 1;
	if (!found) {
		/* A session of its own, in its place among the others. */
		size_t b = k->nsess;

		for (lo = 0; lo < b;) {
			size_t mid = lo + (b - lo) / 2;

			if (k->sess[mid]->first < ts)
				lo = mid + 1;
			else
				b = mid;
		}
		if (k->nsess == k->capsess) {
			k->capsess = k->capsess ? 2 * k->capsess : 2;
			k->sess = feat_xrealloc(k->sess, k->capsess *
			    sizeof *k->sess);
		}
		memmove(k->sess + lo + 1, k->sess + lo, (k->nsess - lo) *
		    sizeof *k->sess);
		m = feat_xcalloc(1, sizeof *m);
		m->first = m->last = ts;
		m->p = pane_new(w, 0);
		k->sess[lo] = m;
		k->nsess++;
	} else {
		/* The sessions lo..hi into the first: their records, if they
		   fired, are superseded. */
		m = k->sess[lo];
		for (i = lo; i <= hi; i++) {
			struct session *s = k->sess[i];

			if (s->state == SESS_FIRED)
				add_tomb(m, s->end);
			if (i == lo)
				continue;
			for (size_t t = 0; t < s->ntombs; t++)
				add_tomb(m, s->tombs[t]);
			m->p->count += s->p->count;
			for (size_t c = 0; c < w->ncols; c++)
				ft_col_merge(&m->p->cols[c], &s->p->cols[c],
				    w->cols[c].flags);
			if (s->last > m->last)
				m->last = s->last;
			session_free(w, s);
		}
		memmove(k->sess + lo + 1, k->sess + hi + 1, (k->nsess - hi -
		    1) * sizeof *k->sess);
		k->nsess -= hi - lo;
		if (ts < m->first)
			m->first = ts;
		if (ts > m->last)
			m->last = ts;
	}
	feed(w, m->p, ev, ts);
	m->end = session_end(w, m->first, m->last);
	m->state = SESS_OPEN;
	if (lo < k->open_from)
		k->open_from = lo;
	/* Its end already reached (a late event within the lateness):
	   it fires at once, superseding what it replaces. */
	if (m->end <= w->watermark) {
		if (session_emit(w, k, m, w->watermark, err) < 0)
			return -1;
	}
	session_schedule(w, k);
	return 0;
}

/* Fires every window whose end the watermark wm has reached. */
static int
fire_until(struct feat_windower *w, int64_t wm, int64_t created_wm,
    struct feat_error *err)
{
	struct heapent *top;
	int fired = 0;

	while ((top = heap_top(w)) != NULL && top->end <= wm) {
		struct wkey *k = top->k;
		int64_t end = top->end;

		heap_pop(w);
		k->ver++;	/* its entry is gone */
		if (fire(w, k, end, created_wm, err) < 0)
			return -1;
		fired = 1;
	}
	/* Windowed output goes out at each fire (SPEC 2), and the late
	   events read meanwhile with it. */
	if (fired && feat_writer_flush(w->out) < 0) {
		err->code = FEAT_ERR_OUTPUT;
		return -1;
	}
	if (fired && w->late_out && feat_writer_flush(w->late_out) < 0) {
		err->code = FEAT_ERR_IO;
		snprintf(err->reason, sizeof err->reason, "cannot write the "
		    "late events: %s", feat_writer_error(w->late_out));
		return -1;
	}
	return 0;
}

/* The events of k's window that ends at end. */
static uint64_t
window_events(const struct feat_windower *w, const struct wkey *k,
    int64_t end)
{
	int64_t start = sat_add(end, -w->size);
	uint64_t n = 0;

	for (size_t i = 0; i < k->npanes; i++) {
		int64_t ps = ft_window_pane_start(k->panes[i]->index,
		    w->slide, w->o.align);

		if (ps >= start && ps < end)
			n += k->panes[i]->count;
	}
	return n;
}

/* A late event: counted by its caller; its line into --late, once. */
static int
late_event(struct feat_windower *w, struct feat_error *err)
{
	const struct feat_line *l = w->tool ? feat_tool_line(w->tool) : NULL;

	if (w->late_out == NULL || l == NULL)
		return 0;
	/* A line of several events (an OTLP batch) is written once. */
	if (l->file == w->late_file && l->lineno == w->late_lineno)
		return 0;
	w->late_file = l->file;
	w->late_lineno = l->lineno;
	/* The line and its end in one piece: a flush never parts them. */
	ft_buf_add(ft_writer_buf(w->late_out), l->text, l->len);
	if (feat_writer_text(w->late_out, "\n", 1) < 0) {
		err->code = FEAT_ERR_IO;
		snprintf(err->reason, sizeof err->reason, "cannot write the "
		    "late events: %s", feat_writer_error(w->late_out));
		return -1;
	}
	return 0;
}

/* The panes k keeps only for the allowed lateness, past it at wm. */
static void
drop_kept_panes(struct feat_windower *w, struct wkey *k, int64_t wm)
{
	size_t drop = 0;

	while (k->next_end == INT64_MAX && drop < k->npanes &&
	    sat_add(sat_add(ft_window_pane_start(k->panes[drop]->index,
	    w->slide, w->o.align), w->size), w->o.lateness) <= wm)
		pane_free(w, k->panes[drop++]);
	if (drop > 0) {
		memmove(k->panes, k->panes + drop, (k->npanes - drop) *
		    sizeof *k->panes);
		k->npanes -= drop;
	}
}

/* Whether --key-ttl lets go of k at the watermark wm. */
static int
expired(const struct feat_windower *w, const struct wkey *k, int64_t wm)
{
	return w->o.key_ttl > 0 && k->npanes == 0 &&
	    k->next_end == INT64_MAX && sat_add(k->last_ts, w->o.key_ttl) <= wm;
}

/*
 * --key-ttl: the keys with nothing left to fire whose last event is more
 * than the ttl behind the watermark go, with their state (DRV_009's sum
 * starts again if the key comes back).  The heap is rebuilt without
 * them, since entries of theirs that are no longer current may remain.
 */
static void
sweep_keys(struct feat_windower *w)
{
	size_t freed = 0, j = 0;

	w->swept_wm = w->watermark;
	w->swept_events = w->nevents;
	for (size_t i = 0; i < w->mapcap; i++) {
		struct wkey *k = w->map[i];

		/* Sessions: a key with none left goes, --key-ttl or not. */
		if (k && w->session) {
			session_tidy(w, k);
			if (k->nsess == 0 && k->next_end == INT64_MAX) {
				k->dead = 1;
				freed++;
			}
			continue;
		}
		if (k)
			drop_kept_panes(w, k, w->watermark);
		if (k && expired(w, k, w->watermark)) {
			k->dead = 1;
			freed++;
		}
	}
	if (freed == 0)
		return;
	for (size_t i = 0; i < w->nheap; i++)
		if (!w->heap[i].k->dead)
			w->heap[j++] = w->heap[i];
	w->nheap = j;
	for (size_t i = w->nheap / 2; i-- > 0;)	/* heapify */
		sift_down(w, i);
	/* The map again, without them (open addressing: no holes), as
	   small as what is left allows. */
	{
		struct wkey **old = w->map;
		size_t oldcap = w->mapcap, cap = 64;

		while (cap < 4 * (w->nkeys - freed))
			cap *= 2;
		if (cap > oldcap)
			cap = oldcap;
		w->map = feat_xcalloc(cap, sizeof *w->map);
		w->mapcap = cap;
		for (size_t i = 0; i < oldcap; i++) {
			struct wkey *k = old[i];

			if (k == NULL)
				continue;
			if (k->dead) {
				free(k->panes);
				free(k->sess);
				free(k->id);
				free(k);
				continue;
			}
			map_put(w, k);
		}
		free(old);
	}
	w->nkeys -= freed;
	w->expired += freed;
}

/* Windows not yet fired that hold an event: per key, the union over its
   panes of the ends of the windows holding each. */
static uint64_t
open_windows(const struct feat_windower *w)
{
	int64_t per = w->size / w->slide;
	uint64_t n = 0;
	/* The index of the last end at or behind watermark - lateness. */
	int64_t gone = w->have_ts ? ft_window_pane(sat_add(w->watermark,
	    -w->o.lateness), w->slide, w->o.align) : INT64_MIN + 1;

	for (size_t i = 0; i < w->mapcap; i++) {
		const struct wkey *k = w->map[i];
		int64_t lo = INT64_MIN, hi = INT64_MIN;

		if (k == NULL)
			continue;
		for (size_t s = 0; s < k->nsess; s++)
			n += k->sess[s]->state == SESS_OPEN;
		for (size_t p = 0; p < k->npanes; p++) {
			/* Its windows end at panes index + 1 .. index + per. */
			int64_t a = k->panes[p]->index + 1,
			    b = k->panes[p]->index + per;

			if (k->fired_upto != INT64_MIN) {
				int64_t f = ft_window_pane(k->fired_upto - 1,
				    w->slide, w->o.align) + 1;

				if (a <= f)
					a = f + 1;
			}
			/* Nor those past their lateness: they never fire. */
			if (a <= gone)
				a = gone + 1;
			if (a > b)
				continue;
			if (hi != INT64_MIN && a <= hi + 1) {
				if (b > hi)
					hi = b;
				continue;
			}
			if (hi != INT64_MIN)
				n += (uint64_t)(hi - lo + 1);
			lo = a;
			hi = b;
		}
		if (hi != INT64_MIN)
			n += (uint64_t)(hi - lo + 1);
	}
	return n;
}

/* --metrics-file: Prometheus text, replaced atomically. */
static int
write_metrics(struct feat_windower *w, struct feat_error *err)
{
	struct ft_buf b = { 0 };
	int64_t now = feat_clock_now(w->o.clock);
	char msg[300];
	int rc;

	w->metrics_at = feat_clock_mono();
	ft_buf_printf(&b, "# HELP feat_window_events_total Events read.\n"
	    "# TYPE feat_window_events_total counter\n"
	    "feat_window_events_total %lu\n"
	    "# HELP feat_window_late_events_total Events late for a window "
	    "they belong to (past its allowed lateness), or past --max-skew "
	    "(skewed).\n"
	    "# TYPE feat_window_late_events_total counter\n"
	    "feat_window_late_events_total{reason=\"late\"} %lu\n"
	    "feat_window_late_events_total{reason=\"skewed\"} %lu\n"
	    "# HELP feat_window_events_without_key_total Events skipped for "
	    "want of the key.\n"
	    "# TYPE feat_window_events_without_key_total counter\n"
	    "feat_window_events_without_key_total %lu\n"
	    "# HELP feat_window_windows_fired_total Windows fired (each "
	    "writes a record per group).\n"
	    "# TYPE feat_window_windows_fired_total counter\n"
	    "feat_window_windows_fired_total %lu\n"
	    "# HELP feat_window_windows_refired_total Windows fired again "
	    "with late events.\n"
	    "# TYPE feat_window_windows_refired_total counter\n"
	    "feat_window_windows_refired_total %lu\n"
	    "# HELP feat_window_records_total Records written.\n"
	    "# TYPE feat_window_records_total counter\n"
	    "feat_window_records_total %lu\n"
	    "# HELP feat_window_open_windows Windows holding an event, not "
	    "yet fired.\n# TYPE feat_window_open_windows gauge\n"
	    "feat_window_open_windows %" PRIu64 "\n"
	    "# HELP feat_window_keys Keys held.\n"
	    "# TYPE feat_window_keys gauge\nfeat_window_keys %zu\n"
	    "# HELP feat_window_keys_expired_total Keys let go by "
	    "--key-ttl.\n# TYPE feat_window_keys_expired_total counter\n"
	    "feat_window_keys_expired_total %lu\n",
	    w->nevents, w->late, w->skewed, w->without_key, w->fired,
	    w->refired, w->records, open_windows(w), w->nkeys, w->expired);
	if (w->have_ts)
		ft_buf_printf(&b, "# HELP feat_window_watermark_seconds The "
		    "watermark (Unix time).\n"
		    "# TYPE feat_window_watermark_seconds gauge\n"
		    "feat_window_watermark_seconds %.3f\n"
		    "# HELP feat_window_watermark_lag_seconds The clock less "
		    "the watermark.\n"
		    "# TYPE feat_window_watermark_lag_seconds gauge\n"
		    "feat_window_watermark_lag_seconds %.3f\n",
		    (double)w->watermark / 1e9,
		    ((double)now - (double)w->watermark) / 1e9);
	rc = ft_write_file(w->o.metrics_path, b.p, b.len, msg, sizeof msg);
	ft_buf_free(&b);
	/* A side channel: said (once a cause), never the end of a run. */
	if (rc < 0 && strcmp(msg, w->metrics_err) != 0) {
		feat_warn("--metrics-file: %s", msg);
		snprintf(w->metrics_err, sizeof w->metrics_err, "%s", msg);
	} else if (rc == 0)
		w->metrics_err[0] = '\0';
	(void)err;
	return 0;
}

/* A quiet input: --idle-flush's clock, and the metrics. */
static int
on_idle(void *ctx, struct feat_error *err)
{
	struct feat_windower *w = ctx;
	int64_t now = feat_clock_mono();

	if (w->o.idle_flush > 0 && w->have_ts &&
	    now - w->last_input >= w->o.idle_flush) {
		int64_t wm = sat_add(feat_clock_now(w->o.clock),
		    -w->o.watermark_delay);

		if (wm > w->watermark) {
			w->watermark = wm;
			if (fire_until(w, w->watermark, w->watermark,
			    err) < 0)
				return -1;
		}
	}
	if (w->o.metrics_path && now - w->metrics_at >= FEAT_NS_PER_S)
		return write_metrics(w, err);
	return 0;
}

static int
on_event(void *ctx, const feat_event *ev, struct feat_error *err)
{
	struct feat_windower *w = ctx;
	int64_t ts = feat_event_ts(ev), p, ps, last_end, first_open, e;
	int64_t wm0 = w->watermark;	/* before this event moves it */
	struct wkey *k;
	const char *id;
	size_t n;

	w->nevents++;
	if ((w->nevents & 63) == 0 || w->o.idle_flush > 0 ||
	    w->o.metrics_path)
		w->last_input = feat_clock_mono();
	/* Far ahead of the watermark (an event dated 2099): late, and the
	   watermark stays where the stream is.  Every partition counts it;
	   its key's writes it (partition 0 one without a key). */
	if (w->o.max_skew > 0 && w->have_ts &&
	    ts > sat_add(w->watermark, w->o.max_skew)) {
		if (!wanted_event(w, ev))
			goto fire;
		w->skewed++;
		id = event_key(w, ev, &n);
		if (w->o.part_n > 1 && (id ? feat_fnv1a64(id, n) %
		    w->o.part_n : 0) != w->o.part_i)
			goto fire;
		if (late_event(w, err) < 0)
			return -1;
		goto fire;
	}
	/* Every event read moves the watermark (SPEC 6), never back. */
	if (!w->have_ts || ts > w->max_ts) {
		int64_t wm = sat_add(ts, -w->o.watermark_delay);

		w->max_ts = ts;
		w->have_ts = 1;
		if (wm > w->watermark)
			w->watermark = wm;
	}
	if (!wanted_event(w, ev))
		goto fire;
	if ((id = event_key(w, ev, &n)) == NULL) {
		w->without_key++;
		goto fire;
	}
	/* Another partition's key (its events still moved the watermark). */
	if (w->o.part_n > 1 && feat_fnv1a64(id, n) % w->o.part_n !=
	    w->o.part_i)
		goto fire;
	if (w->session) {
		int rc;

		k = key_get(w, id, n);
		if (ts > k->last_ts || k->nsess == 0)
			k->last_ts = ts;
		if ((rc = session_event(w, k, ev, ts, err)) < 0)
			return -1;
		if (rc == 1) {
			w->late++;
			if (late_event(w, err) < 0)
				return -1;
		}
		goto fire;
	}
	p = ft_window_pane(ts, w->slide, w->o.align);
	ps = ft_window_pane_start(p, w->slide, w->o.align);
	last_end = sat_add(ps, w->size);
	/*
	 * Late for a window: its end + the allowed lateness <= the
	 * watermark (SPEC 6).  Late for one of its windows, an event is
	 * counted and written to --late, and still counts in the others;
	 * late for all, in none.
	 */
	if (sat_add(sat_add(ps, w->slide), w->o.lateness) <= w->watermark) {
		w->late++;
		if (late_event(w, err) < 0)
			return -1;
		if (sat_add(last_end, w->o.lateness) <= w->watermark)
			goto fire;
	}
	k = key_get(w, id, n);
	/*
	 * A key --key-ttl would have let go of at the watermark before this
	 * event starts again as a new one, whether a sweep has freed it yet
	 * or not: when sweeps come changes no record.
	 */
	if (w->o.key_ttl > 0 && (k->has_fatigue || k->fired_upto !=
	    INT64_MIN)) {
		drop_kept_panes(w, k, wm0);
		if (expired(w, k, wm0)) {
			k->fired_upto = INT64_MIN;
			k->fatigue = k->fatigue_prev = 0;
			k->fatigue_at = k->fatigue_prev_at = 0;
			k->has_fatigue = k->has_fatigue_prev = 0;
		}
	}
	if (ts > k->last_ts || k->npanes == 0)
		k->last_ts = ts;
	feed(w, pane_get(w, k, p), ev, ts);
	/* The windows that fired and are within their lateness: again,
	   with the event. */
	for (e = sat_add(ps, w->slide); e <= last_end && e <= k->fired_upto;
	    e = sat_add(e, w->slide))
		if (sat_add(e, w->o.lateness) > w->watermark &&
		    emit(w, k, e, w->watermark, 1, window_events(w, k, e) == 1,
		    err) < 0)
			return -1;
	/* The first that has not fired: after the key's last fire, and
	   not past its lateness. */
	first_open = sat_add(ft_window_pane_start(ft_window_pane(sat_add(
	    w->watermark, -w->o.lateness), w->slide, w->o.align), w->slide,
	    w->o.align), w->slide);
	e = sat_add(ps, w->slide);
	if (first_open > e)
		e = first_open;
	if (k->fired_upto != INT64_MIN && sat_add(k->fired_upto, w->slide) > e)
		e = sat_add(k->fired_upto, w->slide);
	if (e <= last_end && e < k->next_end)
		heap_push(w, k, e);
fire:
	if (fire_until(w, w->watermark, w->watermark, err) < 0)
		return -1;
	/* A sweep costs the whole map: at most once per a quarter as many
	   events as there are keys, and per a quarter of the ttl (per a
	   slide for the panes kept for the lateness). */
	if ((w->o.key_ttl > 0 || w->o.lateness > 0 || w->session) &&
	    w->watermark != INT64_MIN && sat_add(w->swept_wm, w->o.key_ttl >
	    0 ? w->o.key_ttl / 4 + 1 : w->slide) <= w->watermark &&
	    w->nevents - w->swept_events >= w->nkeys / 4)
		sweep_keys(w);
	if (w->o.metrics_path && w->last_input - w->metrics_at >=
	    FEAT_NS_PER_S)
		return write_metrics(w, err);
	return 0;
}

/* An entity id must fit a record: checked before anything is kept. */
static int
on_check(void *ctx, const feat_event *ev, struct feat_error *err)
{
	struct feat_windower *w = ctx;
	int64_t ts = feat_event_ts(ev), d, t;
	size_t n;

	if (!wanted_event(w, ev))
		return 0;
	/* Its windows, start to end, must be times feat can hold. */
	if (w->session ? __builtin_add_overflow(ts, w->max > 0 &&
	    w->max < w->gap ? w->max : w->gap, &t) || t == INT64_MAX :
	    __builtin_sub_overflow(ts, w->o.align, &d) ||
	    __builtin_mul_overflow(ft_floor_div(d, w->slide), w->slide, &t) ||
	    __builtin_add_overflow(t, w->o.align, &t) ||
	    __builtin_sub_overflow(t, w->size - w->slide, &d) ||
	    __builtin_add_overflow(t, w->size, &t) || t == INT64_MAX) {
		err->code = FEAT_BAD_TIME;
		snprintf(err->reason, sizeof err->reason, "invalid timestamp: "
		    "its windows reach past the times feat holds "
		    "(1677-09-21 to 2262-04-11)");
		return -1;
	}
	if (event_key(w, ev, &n) == NULL || n <= FEAT_ENTITY_ID_MAX)
		return 0;
	err->code = FEAT_BAD_FIELD;
	snprintf(err->reason, sizeof err->reason, "field '%.64s' is too long: "
	    "%zu bytes, an entity id holds at most %d", w->keyname, n,
	    FEAT_ENTITY_ID_MAX);
	return -1;
}

static int
on_finish(void *ctx, int stopped, struct feat_error *err)
{
	struct feat_windower *w = ctx;

	/* The end of input: every window that holds an event fires -
	   with a state, only under --flush, and never when stopped (the
	   next run goes on with the input). */
	if ((w->state_path == NULL || (w->flush && !stopped)) &&
	    fire_until(w, INT64_MAX, w->watermark, err) < 0)
		return -1;
	if (w->late_out && feat_writer_flush(w->late_out) < 0) {
		err->code = FEAT_ERR_IO;
		snprintf(err->reason, sizeof err->reason, "cannot write the "
		    "late events: %s", feat_writer_error(w->late_out));
		return -1;
	}
	return w->o.metrics_path ? write_metrics(w, err) : 0;
}

static void
on_summary(void *ctx)
{
	struct feat_windower *w = ctx;

	if (w->without_key > 0)
		feat_warn("%lu event%s without '%s'", w->without_key,
		    w->without_key == 1 ? "" : "s", w->keyname);
	if (w->late > 0)
		feat_warn("%lu late event%s: past the allowed lateness of "
		    "a window %s belong%s to", w->late, w->late == 1 ? "" : "s",
		    w->late == 1 ? "it" : "they", w->late == 1 ? "s" : "");
	if (w->refired > 0)
		feat_warn("%lu window%s fired again with late events", w->refired,
		    w->refired == 1 ? "" : "s");
	if (w->skewed > 0)
		feat_warn("%lu event%s more than --max-skew ahead of the "
		    "watermark, counted in no window", w->skewed,
		    w->skewed == 1 ? "" : "s");
}

/* ---- --state ------------------------------------------------------------ */

/*
 * The state file: "FEATWIN\n", the format (1), the hash of the
 * configuration (a state is read only by the windows that wrote it), the
 * positions in the inputs (feat_tool_resume), the windows, and the
 * FNV-1a 64 of every byte before it.
 * Everything is plain data, so a state reads back into the windower that
 * wrote it exactly, and runs on from it as if never stopped.
 */
#define STATE_MAGIC "FEATWIN\n"
#define STATE_FORMAT 1

static uint64_t
config_hash(const struct feat_windower *w)
{
	struct ft_buf b = { 0 };
	uint64_t h;

	ft_buf_printf(&b, "%d %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
	    " align %" PRId64 " lateness %" PRId64 " sketch %d part %lu/%lu "
	    "version %ld events %d carrying %d key %d %d %s default %s\n",
	    (int)w->o.window.type, w->size, w->slide, w->gap, w->max,
	    w->o.align, w->o.lateness, w->o.sketch, w->o.part_i, w->o.part_n,
	    w->o.version, (int)w->events, w->carrying, (int)w->keykind,
	    w->keyidx, w->keyname, w->key_default ? w->key_default : "");
	for (size_t i = 0; i < w->noutputs; i++) {
		const struct output *o = &w->outputs[i];

		ft_buf_printf(&b, "output %s %s\n", o->group, o->entity_type);
		for (size_t a = 0; a < o->naggs; a++)
			ft_buf_printf(&b, "agg %d %.17g %d %s %s %s\n",
			    (int)o->aggs[a].fn, o->aggs[a].p,
			    o->aggs[a].nfields, o->aggs[a].field[0],
			    o->aggs[a].field[1], o->aggs[a].name);
	}
	for (size_t i = 0; i < w->ncols; i++)
		ft_buf_printf(&b, "col %d %d %u %d %d\n", (int)w->cols[i].kind,
		    w->cols[i].idx, w->cols[i].flags, w->cols[i].distinct,
		    w->cols[i].is_bool);
	for (size_t i = 0; i < w->npaths; i++)
		ft_buf_printf(&b, "path %s\n", w->paths[i]);
	h = feat_fnv1a64(b.p, b.len);
	ft_buf_free(&b);
	return h;
}

static void
pane_save(struct ft_buf *b, const struct feat_windower *w,
    const struct pane *p)
{
	ft_enc_i64(b, p->index);
	ft_enc_u64(b, p->count);
	ft_enc_f64(b, p->fsum);
	ft_enc_f64(b, p->fsumlo);
	for (size_t c = 0; c < w->ncols; c++)
		ft_col_save(b, &p->cols[c]);
}

static struct pane *
pane_load(struct ft_dec *d, struct feat_windower *w)
{
	struct pane *p = pane_new(w, ft_dec_i64(d));

	p->count = ft_dec_u64(d);
	p->fsum = ft_dec_f64(d);
	p->fsumlo = ft_dec_f64(d);
	for (size_t c = 0; c < w->ncols && !d->bad; c++)
		if (ft_col_load(d, &p->cols[c]) < 0)
			d->bad = 1;
	return p;
}

static void
state_encode(struct feat_windower *w, struct ft_buf *b)
{
	const struct feat_input_pos *pos;
	size_t n;

	ft_buf_add(b, STATE_MAGIC, 8);
	ft_enc_u64(b, STATE_FORMAT);
	ft_enc_u64(b, w->config);
	pos = feat_tool_positions(w->tool, &n);
	ft_enc_u64(b, n);
	for (size_t i = 0; i < n; i++) {
		ft_enc_u64(b, pos[i].first);
		ft_enc_u64(b, pos[i].lines);
		ft_enc_u64(b, pos[i].bytes);
		ft_enc_u64(b, pos[i].hash);
		ft_enc_u64(b, pos[i].prev_hash);
		ft_enc_u64(b, pos[i].tail_len);
		ft_enc_u64(b, pos[i].tail_hash);
	}
	ft_enc_i64(b, w->max_ts);
	ft_enc_i64(b, w->watermark);
	ft_enc_u64(b, (uint64_t)w->have_ts);
	ft_enc_u64(b, w->nevents);
	ft_enc_u64(b, w->late);
	ft_enc_u64(b, w->skewed);
	ft_enc_u64(b, w->without_key);
	ft_enc_u64(b, w->fired);
	ft_enc_u64(b, w->refired);
	ft_enc_u64(b, w->records);
	ft_enc_u64(b, w->expired);
	ft_enc_u64(b, (uint64_t)w->ncent);
	for (int i = 0; i < w->ncent; i++) {
		for (int j = 0; j < FT_CLUSTER_DIM; j++)
			ft_enc_f64(b, w->cent[i][j]);
		ft_enc_u64(b, w->centn[i]);
	}
	ft_enc_u64(b, w->nkeys);
	for (size_t i = 0; i < w->mapcap; i++) {
		const struct wkey *k = w->map[i];

		if (k == NULL)
			continue;
		ft_enc_bytes(b, k->id, k->idlen);
		ft_enc_i64(b, k->fired_upto);
		ft_enc_i64(b, k->next_end);
		ft_enc_i64(b, k->last_ts);
		ft_enc_i64(b, k->last_created);
		ft_enc_i64(b, k->fatigue_at);
		ft_enc_i64(b, k->fatigue_prev_at);
		ft_enc_f64(b, k->fatigue);
		ft_enc_f64(b, k->fatigue_prev);
		ft_enc_u64(b, (uint64_t)(k->has_fatigue != 0) |
		    (uint64_t)(k->has_fatigue_prev != 0) << 1);
		ft_enc_u64(b, k->npanes);
		for (size_t p = 0; p < k->npanes; p++)
			pane_save(b, w, k->panes[p]);
		ft_enc_u64(b, k->nsess);
		for (size_t j = 0; j < k->nsess; j++) {
			const struct session *ss = k->sess[j];

			ft_enc_i64(b, ss->first);
			ft_enc_i64(b, ss->last);
			ft_enc_i64(b, ss->end);
			ft_enc_u64(b, (uint64_t)ss->state);
			ft_enc_u64(b, ss->ntombs);
			for (size_t t = 0; t < ss->ntombs; t++)
				ft_enc_i64(b, ss->tombs[t]);
			ft_enc_u64(b, ss->p != NULL);
			if (ss->p)
				pane_save(b, w, ss->p);
		}
	}
	{
		uint64_t h = feat_fnv1a64(b->p, b->len);
		unsigned char le[8];

		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)(h >> (8 * i));
		ft_buf_add(b, le, 8);
	}
}

/* A key of the state into w; -1 (d bad) when it cannot be one. */
static int
key_load(struct ft_dec *d, struct feat_windower *w)
{
	const char *id;
	struct wkey *k;
	size_t n, before = w->nkeys;
	char why[128];
	uint64_t f;

	id = ft_dec_bytes(d, &n);
	if (id == NULL || n == 0 || feat_record_check_id(id, n, why,
	    sizeof why) < 0)
		return d->bad = 1, -1;
	k = key_get(w, id, n);
	if (w->nkeys == before)
		return d->bad = 1, -1;	/* twice */
	k->fired_upto = ft_dec_i64(d);
	k->next_end = ft_dec_i64(d);
	k->last_ts = ft_dec_i64(d);
	k->last_created = ft_dec_i64(d);
	k->fatigue_at = ft_dec_i64(d);
	k->fatigue_prev_at = ft_dec_i64(d);
	k->fatigue = ft_dec_f64(d);
	k->fatigue_prev = ft_dec_f64(d);
	f = ft_dec_u64(d);
	k->has_fatigue = f & 1;
	k->has_fatigue_prev = (f >> 1) & 1;
	n = ft_dec_count(d, 4);
	if (n > 0 && w->session)
		return d->bad = 1, -1;
	k->panes = feat_xcalloc(n ? n : 1, sizeof *k->panes);
	k->cappanes = n ? n : 1;
	for (size_t i = 0; i < n && !d->bad; i++) {
		k->panes[k->npanes++] = pane_load(d, w);
		if (i > 0 && k->panes[i]->index <= k->panes[i - 1]->index)
			d->bad = 1;
	}
	n = ft_dec_count(d, 5);
	if (n > 0 && !w->session)
		return d->bad = 1, -1;
	k->sess = feat_xcalloc(n ? n : 1, sizeof *k->sess);
	k->capsess = n ? n : 1;
	for (size_t i = 0; i < n && !d->bad; i++) {
		struct session *ss = feat_xcalloc(1, sizeof *ss);
		size_t nt;

		k->sess[k->nsess++] = ss;
		ss->first = ft_dec_i64(d);
		ss->last = ft_dec_i64(d);
		ss->end = ft_dec_i64(d);
		ss->state = (int)ft_dec_u64(d);
		nt = ft_dec_count(d, 1);
		ss->tombs = feat_xcalloc(nt ? nt : 1, sizeof *ss->tombs);
		for (size_t t = 0; t < nt; t++)
			ss->tombs[ss->ntombs++] = ft_dec_i64(d);
		if (ft_dec_u64(d))
			ss->p = pane_load(d, w);
		if (ss->state < SESS_OPEN || ss->state > SESS_CLOSED ||
		    (ss->p == NULL) != (ss->state == SESS_CLOSED) ||
		    ss->first > ss->last || ss->end !=
		    session_end(w, ss->first, ss->last) ||
		    (i > 0 && ss->first <= k->sess[i - 1]->last))
			d->bad = 1;
	}
	if (!d->bad && k->next_end != INT64_MAX)
		heap_push(w, k, k->next_end);
	return d->bad ? -1 : 0;
}

static int
state_decode(struct feat_windower *w, const unsigned char *p, size_t len,
    struct feat_input_pos **pos, size_t *npos, char *why, size_t whylen)
{
	struct ft_dec d = { p, len - 8, 8, 0 };
	uint64_t h = 0, n;

	for (int i = 0; i < 8; i++)
		h |= (uint64_t)p[len - 8 + i] << (8 * i);
	if (h != feat_fnv1a64(p, len - 8)) {
		snprintf(why, whylen, "its checksum does not match: damaged");
		return -1;
	}
	if (ft_dec_u64(&d) != STATE_FORMAT) {
		snprintf(why, whylen, "a format this version does not read");
		return -1;
	}
	if (ft_dec_u64(&d) != w->config) {
		snprintf(why, whylen, "written by other windows (another "
		    "preset, window, key, aggregate, --sketch, --partition, "
		    "--align, lateness or --group-version)");
		return -1;
	}
	n = ft_dec_count(&d, 7);
	if (n > FEAT_INPUT_POS_MAX)
		d.bad = 1;
	*pos = feat_xcalloc(n ? n : 1, sizeof **pos);
	for (*npos = 0; *npos < n && !d.bad; (*npos)++) {
		(*pos)[*npos].first = ft_dec_u64(&d);
		(*pos)[*npos].lines = ft_dec_u64(&d);
		(*pos)[*npos].bytes = ft_dec_u64(&d);
		(*pos)[*npos].hash = ft_dec_u64(&d);
		(*pos)[*npos].prev_hash = ft_dec_u64(&d);
		(*pos)[*npos].tail_len = ft_dec_u64(&d);
		(*pos)[*npos].tail_hash = ft_dec_u64(&d);
	}
	w->max_ts = ft_dec_i64(&d);
	w->watermark = ft_dec_i64(&d);
	w->have_ts = ft_dec_u64(&d) != 0;
	w->nevents = ft_dec_u64(&d);
	w->late = ft_dec_u64(&d);
	w->skewed = ft_dec_u64(&d);
	w->without_key = ft_dec_u64(&d);
	w->fired = ft_dec_u64(&d);
	w->refired = ft_dec_u64(&d);
	w->records = ft_dec_u64(&d);
	w->expired = ft_dec_u64(&d);
	n = ft_dec_u64(&d);
	if (n > FT_CLUSTERS)
		d.bad = 1;
	for (w->ncent = 0; w->ncent < (int)n && !d.bad; w->ncent++) {
		for (int j = 0; j < FT_CLUSTER_DIM; j++)
			w->cent[w->ncent][j] = ft_dec_f64(&d);
		w->centn[w->ncent] = ft_dec_u64(&d);
	}
	n = ft_dec_count(&d, 8);
	for (uint64_t i = 0; i < n && !d.bad; i++)
		key_load(&d, w);
	if (!d.bad && d.off != d.len)
		d.bad = 1;
	if (d.bad) {
		snprintf(why, whylen, "its contents are not a state: damaged");
		return -1;
	}
	w->swept_wm = w->watermark;
	w->swept_events = w->nevents;
	return 0;
}

static int
on_save(void *ctx, struct feat_error *err)
{
	struct feat_windower *w = ctx;
	struct ft_buf b = { 0 };
	int rc;

	/* The late events the state counts are in their file first. */
	if (w->late_out && (feat_writer_flush(w->late_out) < 0 ||
	    fsync(w->late_fd) < 0)) {
		err->code = FEAT_ERR_IO;
		snprintf(err->reason, sizeof err->reason, "cannot write the "
		    "late events: %s", w->late_out ?
		    feat_writer_error(w->late_out) : strerror(errno));
		return -1;
	}
	state_encode(w, &b);
	rc = ft_write_atomic(w->state_path, b.p, b.len, err->reason,
	    sizeof err->reason);
	ft_buf_free(&b);
	if (rc < 0) {
		err->code = FEAT_ERR_IO;
		return -1;
	}
	return 0;
}

int
feat_windower_open_state(feat_windower *w, struct feat_tool *t,
    const char *path, int flush, const struct feat_lock_wait *lw,
    struct feat_error *err)
{
	struct feat_input_pos *pos = NULL;
	size_t npos = 0, len = 0, cap = 0;
	unsigned char *buf = NULL;
	struct stat sb;
	char why[256];
	ssize_t r;
	int fd;

	w->tool = t;
	w->flush = flush;
	w->config = config_hash(w);
	/* A link is followed (the file it names is replaced); a FIFO or a
	   directory cannot be a state. */
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		if ((w->state_real = realpath(path, NULL)) == NULL) {
			err->code = FEAT_ERR_USAGE;
			snprintf(err->reason, sizeof err->reason, "state '%s': "
			    "a symbolic link to nothing usable (%s)", path,
			    strerror(errno));
			return -1;
		}
		path = w->state_real;
	}
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		err->code = FEAT_ERR_USAGE;
		snprintf(err->reason, sizeof err->reason, "state '%s' is not a "
		    "regular file", path);
		return -1;
	}
	w->state_path = path;
	/* One run at a time per state (an overlapping cron job waits). */
	w->state_lock = ft_lock_open(path, lw, err->reason, sizeof err->reason);
	if (w->state_lock < 0) {
		err->code = w->state_lock == FT_LOCK_UNUSABLE ? FEAT_ERR_USAGE :
		    w->state_lock == FT_LOCK_STOPPED ? FEAT_ERR_STOPPED :
		    FEAT_ERR_IO;
		w->state_lock = -1;
		return -1;
	}
	ft_remove_stale_tmp(path);
	/* What a run killed while writing left: a line cut short at the end
	   of the output or of the late events goes (it comes again). */
	feat_trim_torn_line(STDOUT_FILENO, "the output");
	if (w->late_fd >= 0)
		feat_trim_torn_line(w->late_fd, "the --late file");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			feat_tool_resume(t, NULL, 0);	/* the first run */
			return 0;
		}
		err->code = FEAT_ERR_USAGE;
		snprintf(err->reason, sizeof err->reason, "cannot read state "
		    "'%s': %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = feat_xrealloc(buf, cap);
		}
		if ((r = read(fd, buf + len, cap - len)) == 0)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err->code = FEAT_ERR_USAGE;
			snprintf(err->reason, sizeof err->reason, "cannot read "
			    "state '%s': %s", path, strerror(errno));
			close(fd);
			free(buf);
			return -1;
		}
		len += (size_t)r;
	}
	close(fd);
	if (len < 16 || memcmp(buf, STATE_MAGIC, 8) != 0) {
		snprintf(why, sizeof why, "not a feat-window state");
		goto bad;
	}
	if (state_decode(w, buf, len, &pos, &npos, why, sizeof why) < 0)
		goto bad;
	free(buf);
	feat_tool_resume(t, pos, npos);
	free(pos);
	return 0;
bad:
	free(buf);
	free(pos);
	err->code = FEAT_ERR_USAGE;
	snprintf(err->reason, sizeof err->reason, "state '%s' cannot be read: "
	    "%s; remove it to start afresh", path, why);
	return -1;
}

void
feat_windower_stage(feat_windower *w, feat_writer *out,
    struct feat_event_stage *st)
{
	w->out = out;
	memset(st, 0, sizeof *st);
	st->event = on_event;
	st->check = on_check;
	st->finish = on_finish;
	st->summary = on_summary;
	if (w->state_path)
		st->save = on_save;
	if (w->o.idle_flush > 0 || w->o.metrics_path) {
		int64_t q = w->o.idle_flush > 0 ? w->o.idle_flush :
		    FEAT_NS_PER_S;

		/* Asked often enough for both. */
		if (w->o.metrics_path && q > FEAT_NS_PER_S)
			q = FEAT_NS_PER_S;
		if (w->o.idle_flush > 0 && q > w->o.idle_flush / 4 + 1)
			q = w->o.idle_flush / 4 + 1;
		st->idle_ns = q;
		st->idle = on_idle;
	}
	w->last_input = feat_clock_mono();
}

int
feat_windower_open_late(feat_windower *w, struct feat_tool *t,
    const char *path, char *err, size_t errlen)
{
	/* Appended to: a restarted service keeps what it sent before. */
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	w->tool = t;
	w->late_fd = fd;
	w->late_out = feat_writer_new(fd, feat_tool_unbuffered(t));
	return 0;
}

unsigned long
feat_windower_late(const feat_windower *w)
{
	return w->late;
}

unsigned long
feat_windower_without_key(const feat_windower *w)
{
	return w->without_key;
}

int64_t
feat_windower_watermark(const feat_windower *w)
{
	return w->watermark;
}

int
feat_windower_add(feat_windower *w, const feat_event *ev,
    struct feat_error *err)
{
	return on_event(w, ev, err);
}

void
feat_windower_free(feat_windower *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->mapcap; i++) {
		struct wkey *k = w->map[i];

		if (k == NULL)
			continue;
		for (size_t p = 0; p < k->npanes; p++)
			pane_free(w, k->panes[p]);
		for (size_t s = 0; s < k->nsess; s++)
			session_free(w, k->sess[s]);
		free(k->panes);
		free(k->sess);
		free(k->id);
		free(k);
	}
	free(w->map);
	free(w->heap);
	for (size_t i = 0; i < w->noutputs; i++)
		free(w->outputs[i].aggs);
	for (size_t i = 0; w->merged && i < w->ncols; i++)
		ft_col_free(&w->merged[i]);
	free(w->merged);
	free(w->values);
	free(w->cols);
	for (size_t i = 0; i < w->nwant; i++)
		free((char *)w->want[i]);
	free(w->want);
	for (size_t i = 0; i < w->npaths; i++)
		free((char *)w->paths[i]);
	free(w->paths);
	free(w->key_default);
	if (w->state_lock >= 0)
		close(w->state_lock);
	free(w->state_real);
	if (w->late_out) {
		feat_writer_close(w->late_out);	/* flushed by finish */
		close(w->late_fd);
	}
	free(w);
}
