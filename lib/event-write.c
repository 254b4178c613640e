/*
 * event-write.c - events out: the -g event record of feat-extract (the
 * canonical fields that have a value, in the order of feat-records(5), and
 * with --keep-unknown the other members under "extra"), and the table of
 * sources that --list-fields prints.
 *
 * What must stay true: the output read back by -g event gives the same
 * output, so numbers keep the text they came with and a computed number
 * is written in its shortest form.
 */
#include "event-private.h"

#include <stdlib.h>
#include <string.h>

/* Writes a parsed value back out: numbers keep their text. */
void
ft_write_json_value(const struct ft_json *j, const struct ft_jval *v,
    feat_writer *w)
{
	switch (v->type) {
	case FT_JNULL:
		feat_writer_null(w);
		break;
	case FT_JFALSE:
	case FT_JTRUE:
		feat_writer_bool(w, v->type == FT_JTRUE);
		break;
	case FT_JNUMBER:
		feat_writer_number(w, v->s, v->len);
		break;
	case FT_JSTRING:
		feat_writer_string(w, v->s, v->len);
		break;
	case FT_JOBJECT:
		feat_writer_open_object(w);
		for (const struct ft_jval *c = ft_json_node(j, v->child); c;
		    c = ft_json_node(j, c->next)) {
			feat_writer_key(w, c->key, c->keylen);
			ft_write_json_value(j, c, w);
		}
		feat_writer_close_object(w);
		break;
	case FT_JARRAY:
		feat_writer_open_array(w);
		for (const struct ft_jval *c = ft_json_node(j, v->child); c;
		    c = ft_json_node(j, c->next))
			ft_write_json_value(j, c, w);
		feat_writer_close_array(w);
		break;
	}
}

void
feat_event_write(const feat_normaliser *nz, const feat_event *ev,
    feat_writer *w)
{
	feat_writer_open_object(w);
	for (int i = 0; i < NCANON; i++) {
		const struct field *f = &ev->f[i];

		if (!f->set || nz->drop[i])
			continue;
		feat_writer_key(w, ft_canon[i].name, ft_canon[i].len);
		if (f->raw != NULL) {
			ft_write_json_value(nz->json, f->raw, w);
			continue;
		}
		switch (ft_canon[i].kind) {
		case K_TIME:
			feat_writer_time(w, f->ts);
			break;
		case K_NUM:
		case K_COUNT:
		case K_DURATION:
		case K_PRIORITY:
			if (f->json_ok)
				feat_writer_number(w, f->s, f->len);
			else
				feat_writer_double(w, f->d);
			break;
		case K_BOOL:
		case K_OUTCOME:
			feat_writer_bool(w, f->b);
			break;
		default:
			feat_writer_string(w, f->s, f->len);
			break;
		}
	}
	if (nz->o.keep_unknown && ev->nextras > 0) {
		feat_writer_key(w, "extra", 5);
		feat_writer_open_object(w);
		for (size_t i = 0; i < ev->nextras; i++) {
			const struct extra *x = &ev->extras[i];

			feat_writer_key(w, x->key, x->keylen);
			if (x->filtered)
				ft_extra_write_unknown(nz, x->v, x->key,
				    x->keylen, w);
			else
				ft_write_json_value(nz->json, x->v, w);
		}
		feat_writer_close_object(w);
	}
	feat_writer_close_object(w);
}

/* Sorts sources of one field by priority, for --list-fields. */
struct listed {
	unsigned prio;
	const char *path;
	size_t len;
};

static int
by_prio(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;

	return x->prio < y->prio ? -1 : x->prio > y->prio;
}

/* What the derivation rules add after a field's sources. */
static const char *
derived_from(int i)
{
	switch (i) {
	case F_request_id:
		return " id(request,response) span-<spanId> r-<fnv1a64(line)>";
	case F_latency_ms:
		return " endTime-startTime endTimeUnixNano-startTimeUnixNano";
	case F_ttft_ms:
		return " completionStartTime-startTime";
	case F_status:
		return " error success status_code status.code";
	case F_outcome:
		return " type latency_ms output_tokens status error";
	case F_catalog_model:
		return " models.json(provider,model)";
	case F_provider:
		return " models.json(model_match)";
	case F_cost_usd:
	case F_input_cost_usd:
	case F_output_cost_usd:
		return " models.json(prices,usage)";
	default:
		return "";
	}
}

int
feat_normaliser_list_fields(const feat_normaliser *nz, feat_writer *w)
{
	struct listed *l = feat_xmalloc(nz->cap * MAXTARGETS * sizeof *l);
	struct ft_buf line = { 0 };
	int rc = 0;

	for (int i = 0; i < NCANON && rc == 0; i++) {
		size_t n = 0;
		const char *d;

		for (size_t b = 0; b < nz->cap; b++) {
			const struct entry *e = &nz->table[b];

			for (int k = 0; e->path && k < e->ntargets; k++)
				if (e->t[k].slot == i) {
					l[n].prio = e->t[k].prio;
					l[n].path = e->path;
					l[n].len = e->len;
					n++;
				}
		}
		qsort(l, n, sizeof *l, by_prio);
		line.len = 0;
		ft_buf_add(&line, ft_canon[i].name, ft_canon[i].len);
		ft_buf_addc(&line, '\t');
		for (size_t k = 0; k < n; k++) {
			if (k)
				ft_buf_addc(&line, ' ');
			ft_buf_add(&line, l[k].path, l[k].len);
		}
		d = derived_from(i);
		ft_buf_add(&line, d, strlen(d));
		ft_buf_addc(&line, '\n');
		rc = feat_writer_text(w, line.p, line.len);
	}
	ft_buf_free(&line);
	free(l);
	return rc;
}
