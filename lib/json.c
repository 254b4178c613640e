/*
 * json.c - one input line into a small document, through yajl's streaming
 * parser.
 *
 * Records are read line by line, and a tool needs a dozen fields of each,
 * found by several alias paths.  Building a tree per line in an arena that is
 * reused for the next line costs no allocation in the steady state, keeps
 * numbers as their raw text (so they pass through unchanged) and lets the
 * normaliser look fields up in any order.  Depth and "is it an object" are
 * decided here, in the callbacks, so an abusive line is stopped at the first
 * token that breaks a rule.
 *
 * A key that repeats in an object replaces the earlier value in the
 * earlier key's place, as jq does ({"a":1,"b":2,"a":3} is {"a":3,"b":2}),
 * so every reader of the document sees one value per key.  Small objects
 * are searched linearly; past DUP_LINEAR members an object's keys also go
 * into a hash table that lives for one line, so a line of a million
 * distinct keys stays linear.
 *
 * A reader that needs a few fields of a line sets a filter: every member
 * of an object being filtered is asked about by its key (the root object,
 * and the objects the filter enters), and the members it does not want
 * are parsed past - their depth still counted - without a node, a copy or
 * a lookup, so a prompt nobody reads costs yajl's scan only.
 */
#include "feat-private.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* Decoded strings that do not point into the line (escapes) live here. */
struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

#define DUP_LINEAR 32

/*
 * (object, key) -> member, for objects of more than DUP_LINEAR members.
 * An object is named by its instance number (kept in its node's len,
 * which containers do not otherwise use), not by its node: a repeated key
 * reuses the node of the earlier value, and the new object there must not
 * see the old one's members.
 */
struct dup_slot {
	uint32_t gen;		/* the parse that filled it; else empty */
	uint32_t inst;
	uint32_t node;
	uint32_t hash;
};

struct ft_json {
	yajl_handle h;
	struct dup_slot *dups;
	uint32_t ndups, capdups, gen;
	uint32_t ninst;		/* containers made in this parse */
	uint64_t seed;		/* of key_hash: keys come from input */
	int maxdepth;		/* deepest container of the line */
	struct ft_jval *nodes;	/* nodes[0] unused: index 0 means "none" */
	uint32_t nnodes, capnodes;
	uint32_t stack[FT_JMAXDEPTH + 1];	/* open containers */
	uint32_t last[FT_JMAXDEPTH + 1];	/* ... and their last member */
	uint8_t mode[FT_JMAXDEPTH + 1];		/* ... and how (FT_JKEEP_*) */
	enum ft_jkeep pending;	/* the filter's word on the next value */
	uint32_t pending_tag;	/* ... and the tag it gave it */
	uint32_t *tags;		/* per node, when filtered; 0: none */
	ft_jfilter filter;
	void *filter_ctx;
	int depth;
	int any_root;		/* an array may be the top-level value */
	uint32_t repeats;	/* keys repeated in their object, this parse */
	int done;		/* the top-level object has closed */
	size_t end;		/* ... and this many bytes were consumed then */
	enum ft_jerr err;
	const char *line;
	size_t linelen;
	const char *key;	/* pending member key */
	uint32_t keylen;
	struct chunk *chunks;	/* first chunk is kept across lines */
};

static const char *
keep(struct ft_json *j, const unsigned char *s, size_t n)
{
	const char *p = (const char *)s;
	struct chunk *c = j->chunks;

	if (p >= j->line && p + n <= j->line + j->linelen)
		return p;
	if (c == NULL || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;
		struct chunk *nc = feat_xmalloc(sizeof *nc + cap);

		nc->used = 0;
		nc->cap = cap;
		nc->next = c;
		j->chunks = c = nc;
	}
	memcpy(c->data + c->used, s, n);
	c->data[c->used + n] = '\0';
	p = c->data + c->used;
	c->used += n + 1;
	return p;
}

static uint32_t
key_hash(const struct ft_json *j, uint32_t parent, const char *k, size_t n)
{
	uint64_t h = ft_seeded_hash(j->seed ^ ((uint64_t)parent *
	    0x9E3779B97F4A7C15ULL), k, n);

	return (uint32_t)(h ^ (h >> 32));
}

static void dup_insert(struct ft_json *, uint32_t, uint32_t, uint32_t);

#define INST(j, i) ((j)->nodes[i].len)

static void
dup_grow(struct ft_json *j)
{
	struct dup_slot *old = j->dups;
	uint32_t oldcap = j->capdups;

	j->capdups = oldcap ? oldcap * 2 : 256;
	j->dups = feat_xcalloc(j->capdups, sizeof *j->dups);
	j->ndups = 0;
	for (uint32_t i = 0; i < oldcap; i++)
		if (old[i].gen == j->gen)
			dup_insert(j, old[i].inst, old[i].node, old[i].hash);
	free(old);
}

static void
dup_insert(struct ft_json *j, uint32_t inst, uint32_t node, uint32_t h)
{
	uint32_t i;

	if (2 * (j->ndups + 1) > j->capdups)
		dup_grow(j);
	for (i = h & (j->capdups - 1); j->dups[i].gen == j->gen;
	    i = (i + 1) & (j->capdups - 1))
		continue;
	j->dups[i].gen = j->gen;
	j->dups[i].inst = inst;
	j->dups[i].node = node;
	j->dups[i].hash = h;
	j->ndups++;
}

/* The member of object parent named like the pending key, or 0. */
static uint32_t
find_dup(struct ft_json *j, uint32_t parent)
{
	struct ft_jval *p = &j->nodes[parent];

	if (p->count <= DUP_LINEAR) {
		for (uint32_t c = p->child; c; c = j->nodes[c].next) {
			const struct ft_jval *v = &j->nodes[c];

			/* Most keys differ in length or first byte. */
			if (v->keylen == j->keylen && (j->keylen == 0 ||
			    (v->key[0] == j->key[0] &&
			    memcmp(v->key, j->key, j->keylen) == 0)))
				return c;
		}
		return 0;
	}
	{
		uint32_t inst = INST(j, parent);
		uint32_t h = key_hash(j, inst, j->key, j->keylen), i;

		for (i = h & (j->capdups - 1); j->dups[i].gen == j->gen;
		    i = (i + 1) & (j->capdups - 1)) {
			const struct ft_jval *c = &j->nodes[j->dups[i].node];

			if (j->dups[i].hash == h && j->dups[i].inst == inst &&
			    c->keylen == j->keylen &&
			    memcmp(c->key, j->key, j->keylen) == 0)
				return j->dups[i].node;
		}
	}
	return 0;
}

/*
 * Whether the next value is parsed past without a node: it lies inside a
 * skipped container, or the filter did not want its member.
 */
static int
skipping(const struct ft_json *j)
{
	if (j->depth == 0)
		return 0;
	return j->mode[j->depth - 1] == FT_JSKIP ||
	    (j->mode[j->depth - 1] == FT_JENTER && j->pending == FT_JSKIP);
}

/* Appends a node under the open container; 0 when a rule is broken. */
static uint32_t
add(struct ft_json *j, enum ft_jtype type)
{
	struct ft_jval *v;
	uint32_t i;

	if (j->done) {
		j->err = FT_JINVALID;	/* a second value on the line */
		return 0;
	}
	if (j->depth == 0 && type != FT_JOBJECT &&
	    !(j->any_root && type == FT_JARRAY)) {
		j->err = FT_JNOTOBJECT;
		return 0;
	}
	if (j->depth > 0) {
		uint32_t pi = j->stack[j->depth - 1];

		if (j->nodes[pi].type == FT_JOBJECT &&
		    (i = find_dup(j, pi)) != 0) {
			/* The later value takes the earlier one's place. */
			j->repeats++;
			v = &j->nodes[i];
			v->type = type;
			v->len = v->child = v->count = 0;
			v->s = NULL;
			if (j->tags)
				j->tags[i] = j->mode[j->depth - 1] == FT_JENTER ?
				    j->pending_tag : 0;
			return i;
		}
	}
	if (j->nnodes == j->capnodes) {
		if (j->capnodes >= FT_JMAXNODES) {
			j->err = FT_JTOOMANY;
			return 0;
		}
		j->capnodes *= 2;
		j->nodes = feat_xrealloc(j->nodes,
		    j->capnodes * sizeof *j->nodes);
		if (j->tags)
			j->tags = feat_xrealloc(j->tags,
			    j->capnodes * sizeof *j->tags);
	}
	i = j->nnodes++;
	if (j->tags)
		j->tags[i] = j->depth > 0 && j->mode[j->depth - 1] ==
		    FT_JENTER ? j->pending_tag : 0;
	v = &j->nodes[i];
	memset(v, 0, sizeof *v);
	v->type = type;
	if (j->depth > 0) {
		uint32_t pi = j->stack[j->depth - 1];
		struct ft_jval *parent = &j->nodes[pi];

		if (parent->type == FT_JOBJECT) {
			v->key = j->key;
			v->keylen = j->keylen;
		}
		if (j->last[j->depth - 1])
			j->nodes[j->last[j->depth - 1]].next = i;
		else
			parent->child = i;
		j->last[j->depth - 1] = i;
		parent->count++;
		if (parent->type == FT_JOBJECT && parent->count > DUP_LINEAR) {
			uint32_t inst = INST(j, pi);

			if (parent->count == DUP_LINEAR + 1)
				for (uint32_t c = parent->child; c != i;
				    c = j->nodes[c].next)
					dup_insert(j, inst, c, key_hash(j, inst,
					    j->nodes[c].key,
					    j->nodes[c].keylen));
			dup_insert(j, inst, i, key_hash(j, inst, v->key,
			    v->keylen));
		}
	}
	return i;
}

static int
cb_null(void *ctx)
{
	return skipping(ctx) || add(ctx, FT_JNULL) != 0;
}

static int
cb_boolean(void *ctx, int b)
{
	return skipping(ctx) || add(ctx, b ? FT_JTRUE : FT_JFALSE) != 0;
}

static int
cb_number(void *ctx, const char *s, size_t n)
{
	struct ft_json *j = ctx;
	uint32_t i;

	if (skipping(j))
		return 1;
	i = add(j, FT_JNUMBER);

	if (i == 0)
		return 0;
	j->nodes[i].s = keep(j, (const unsigned char *)s, n);
	j->nodes[i].len = (uint32_t)n;
	return 1;
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct ft_json *j = ctx;
	uint32_t i;

	if (skipping(j))
		return 1;
	i = add(j, FT_JSTRING);

	if (i == 0)
		return 0;
	j->nodes[i].s = keep(j, s, n);
	j->nodes[i].len = (uint32_t)n;
	return 1;
}

static int
cb_key(void *ctx, const unsigned char *s, size_t n)
{
	struct ft_json *j = ctx;
	uint8_t m = j->mode[j->depth - 1];

	if (m == FT_JSKIP)
		return 1;
	if (m == FT_JENTER) {
		j->pending_tag = 0;
		j->pending = j->filter(j->filter_ctx, j->depth,
		    (const char *)s, n, &j->pending_tag);
		if (j->pending == FT_JSKIP)
			return 1;
	}
	j->key = keep(j, s, n);
	j->keylen = (uint32_t)n;
	return 1;
}

static int
open_container(struct ft_json *j, enum ft_jtype type)
{
	uint8_t mode;
	uint32_t i;

	if (j->depth >= FT_JMAXDEPTH) {
		j->err = FT_JDEPTH;
		return 0;
	}
	if (skipping(j)) {
		/* Counted for depth, kept nowhere. */
		j->mode[j->depth] = FT_JSKIP;
		j->stack[j->depth++] = 0;
		if (j->depth > j->maxdepth)
			j->maxdepth = j->depth;
		return 1;
	}
	/* The root, and objects the filter enters, are filtered. */
	if (j->depth == 0)
		mode = j->filter ? FT_JENTER : FT_JSTORE;
	else if (j->mode[j->depth - 1] == FT_JENTER)
		mode = j->pending == FT_JENTER && type == FT_JOBJECT ?
		    FT_JENTER : FT_JSTORE;
	else
		mode = FT_JSTORE;
	i = add(j, type);
	if (i == 0)
		return 0;
	INST(j, i) = ++j->ninst;
	/* A repeated key reuses a node: its old members are gone. */
	j->last[j->depth] = 0;
	j->mode[j->depth] = mode;
	j->stack[j->depth++] = i;
	if (j->depth > j->maxdepth)
		j->maxdepth = j->depth;
	return 1;
}

static int
cb_start_map(void *ctx)
{
	return open_container(ctx, FT_JOBJECT);
}

static int
cb_start_array(void *ctx)
{
	return open_container(ctx, FT_JARRAY);
}

static int
cb_end(void *ctx)
{
	struct ft_json *j = ctx;

	if (--j->depth == 0) {
		j->done = 1;
		j->end = yajl_get_bytes_consumed(j->h);
	}
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_key, cb_end, cb_start_array, cb_end
};

static void
new_handle(struct ft_json *j)
{
	if (j->h)
		yajl_free(j->h);
	j->h = yajl_alloc(&callbacks, NULL, j);
	/*
	 * One handle parses line after line; UTF-8 was checked strictly
	 * before the parser sees a byte.
	 */
	yajl_config(j->h, yajl_allow_multiple_values, 1);
	yajl_config(j->h, yajl_dont_validate_strings, 1);
}

void
ft_json_set_any_root(struct ft_json *j, int on)
{
	j->any_root = on;
}

uint32_t
ft_json_repeats(const struct ft_json *j)
{
	return j->repeats;
}

struct ft_json *
ft_json_new(void)
{
	struct ft_json *j = feat_xcalloc(1, sizeof *j);

	j->capnodes = 64;
	j->nodes = feat_xmalloc(j->capnodes * sizeof *j->nodes);
	j->seed = ft_hash_seed();
	new_handle(j);
	return j;
}

void
ft_json_set_filter(struct ft_json *j, ft_jfilter fn, void *ctx)
{
	j->filter = fn;
	j->filter_ctx = ctx;
	free(j->tags);
	j->tags = fn ? feat_xcalloc(j->capnodes, sizeof *j->tags) : NULL;
}

uint32_t
ft_json_tag(const struct ft_json *j, const struct ft_jval *v)
{
	return j->tags ? j->tags[v - j->nodes] : 0;
}

void
ft_json_free(struct ft_json *j)
{
	struct chunk *c, *next;

	if (j == NULL)
		return;
	for (c = j->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	yajl_free(j->h);
	free(j->nodes);
	free(j->tags);
	free(j->dups);
	free(j);
}

/* Copies yajl's message, lowercase start, without its trailing full stop. */
static void
yajl_message(struct ft_json *j, const char *line, size_t len, char *msg,
    size_t msglen)
{
	unsigned char *e = yajl_get_error(j->h, 0, (const unsigned char *)line,
	    len);
	size_t n;

	/* yajl says "parse error: ..." or "lexical error: ...". */
	snprintf(msg, msglen, "invalid JSON: %s", e ? (char *)e : "parse error");
	if (e)
		yajl_free_error(j->h, e);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.' ||
	    msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (n < msglen)
		snprintf(msg + n, msglen - n, " at offset %zu",
		    yajl_get_bytes_consumed(j->h));
}

enum ft_jerr
ft_json_parse(struct ft_json *j, const char *line, size_t len, char *msg,
    size_t msglen)
{
	struct chunk *c;
	yajl_status st;

	/* Keep the newest chunk, free older ones: memory follows the line. */
	if ((c = j->chunks) != NULL) {
		struct chunk *old = c->next, *next;

		for (; old; old = next) {
			next = old->next;
			free(old);
		}
		c->next = NULL;
		c->used = 0;
	}
	/* One huge line must not keep its node array for the whole run. */
	if (j->capnodes > 65536) {
		j->capnodes = 1024;
		j->nodes = feat_xrealloc(j->nodes,
		    j->capnodes * sizeof *j->nodes);
		if (j->tags)
			j->tags = feat_xrealloc(j->tags,
			    j->capnodes * sizeof *j->tags);
	}
	j->nnodes = 1;
	j->depth = 0;
	j->maxdepth = 0;
	j->repeats = 0;
	j->ndups = 0;
	j->ninst = 0;
	if (++j->gen == 0) {
		/* After 2^32 lines the stamps wrap: start the table afresh. */
		free(j->dups);
		j->dups = NULL;
		j->capdups = 0;
		j->gen = 1;
	}
	j->done = 0;
	j->end = 0;
	j->err = FT_JOK;
	j->line = line;
	j->linelen = len;
	j->key = NULL;
	j->keylen = 0;

	/*
	 * yajl takes a form feed or vertical tab before the value for blank
	 * space; JSON does not (and feat does not after it): one rule.
	 */
	for (size_t i = 0; i < len && line[i] != '{'; i++)
		if (line[i] == '\f' || line[i] == '\v') {
			j->err = FT_JINVALID;
			snprintf(msg, msglen, "invalid JSON: a control character "
			    "at offset %zu", i);
			return j->err;
		}
	j->pending = FT_JSTORE;
	st = yajl_parse(j->h, (const unsigned char *)line, len);
	if (st == yajl_status_ok && j->done) {
		/*
		 * The parser holds the start of a next value ("12", "\"ab")
		 * without a word: only blanks may follow the object, or that
		 * start would be glued to the next line.
		 */
		size_t i = j->end;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			return FT_JOK;
		j->err = FT_JINVALID;
		snprintf(msg, msglen, "invalid JSON: trailing characters at "
		    "offset %zu", i);
		new_handle(j);
		return j->err;
	}

	if (j->err == FT_JDEPTH)
		snprintf(msg, msglen, "nesting deeper than %d", FT_JMAXDEPTH);
	else if (j->err == FT_JTOOMANY)
		snprintf(msg, msglen, "invalid JSON: more than %lu values on "
		    "one line", (unsigned long)FT_JMAXNODES - 1);
	else if (j->err == FT_JNOTOBJECT)
		snprintf(msg, msglen, "not an object");
	else if (j->err == FT_JINVALID)
		snprintf(msg, msglen, "invalid JSON: more than one value on the line");
	else if (st == yajl_status_error)
		yajl_message(j, line, len, msg, msglen);
	else {
		/* The parser waits for more: the line ended inside a value. */
		const char *p = line;

		while (p < line + len && (*p == ' ' || *p == '\t'))
			p++;
		if (j->nnodes == 1 && p < line + len && *p != '{' &&
		    !(j->any_root && *p == '['))
			j->err = FT_JNOTOBJECT;	/* e.g. a bare number */
		if (j->err == FT_JNOTOBJECT)
			snprintf(msg, msglen, "not an object");
		else
			snprintf(msg, msglen,
			    "invalid JSON: premature end of line");
	}
	if (j->err == FT_JOK)
		j->err = FT_JINVALID;
	/* After an error the handle cannot go on: start a fresh one. */
	new_handle(j);
	return j->err;
}

const struct ft_jval *
ft_json_node(const struct ft_json *j, uint32_t i)
{
	return i > 0 && i < j->nnodes ? &j->nodes[i] : NULL;
}

const struct ft_jval *
ft_json_get(const struct ft_json *j, const struct ft_jval *obj,
    const char *key, size_t keylen)
{
	const struct ft_jval *v;

	if (obj == NULL || obj->type != FT_JOBJECT)
		return NULL;
	for (v = ft_json_node(j, obj->child); v; v = ft_json_node(j, v->next))
		if (v->keylen == keylen && memcmp(v->key, key, keylen) == 0)
			return v;
	return NULL;
}

int
ft_json_maxdepth(const struct ft_json *j)
{
	return j->maxdepth;
}

int
ft_json_depth(const struct ft_json *j, const struct ft_jval *v)
{
	int d = 0;

	if (v == NULL || (v->type != FT_JOBJECT && v->type != FT_JARRAY))
		return 0;
	for (const struct ft_jval *c = ft_json_node(j, v->child); c;
	    c = ft_json_node(j, c->next)) {
		int k = ft_json_depth(j, c);

		if (k > d)
			d = k;
	}
	return d + 1;
}
