/*
 * report.c - the HTML report of feat-drift check --report: one
 * self-contained file (inline CSS and SVG, no script, nothing fetched),
 * one section per feature, drifted features first, each with the
 * baseline's and the current proportions per PSI bin side by side.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "drift-private.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BARS 40		/* bins drawn; the largest when there are more */
#define ADDS(b, s) ft_buf_add((b), (s), sizeof(s) - 1)

static const char head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>feat-drift report</title>\n<style>"
    "body{font:14px/1.4 sans-serif;margin:24px;color:#222;background:#fff}"
    "h1{font-size:22px}"
    "section{border:1px solid #ddd;border-radius:6px;padding:12px 16px;"
    "margin:16px 0}"
    "section.drift{border-color:#d9480f;background:#fff8f3}"
    ".badge{display:inline-block;padding:2px 8px;border-radius:10px;"
    "color:#fff;background:#2f9e44;font-size:12px;margin-left:8px}"
    ".drift .badge{background:#d9480f}.nov .badge{background:#868e96}"
    "table{border-collapse:collapse;margin:8px 0}"
    "th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}"
    "th{font-weight:600;color:#555}"
    "</style></head><body>\n<h1>feat-drift report</h1>\n";		/* bins drawn; the largest when there are more */

static void
esc(struct ft_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		switch (s[i]) {
		case '&': ADDS(b, "&amp;"); break;
		case '<': ADDS(b, "&lt;"); break;
		case '>': ADDS(b, "&gt;"); break;
		case '"': ADDS(b, "&quot;"); break;
		case '\'': ADDS(b, "&#39;"); break;
		default:
			if ((unsigned char)s[i] < 0x20)
				ft_buf_addc(b, ' ');
			else
				ft_buf_addc(b, s[i]);
		}
}

static void
num(struct ft_buf *b, double v)
{
	char t[32];

	if (isnan(v))
		ADDS(b, "&ndash;");
	else if (isinf(v))
		ft_buf_add(b, v > 0 ? "&infin;" : "&minus;&infin;", v > 0 ?
		    7 : 15);
	else
		ft_buf_add(b, t, feat_fmt_double(v, t));
}

/* Bin i's label: a range of edges, or a category. */
static void
bin_label(struct ft_buf *b, const struct ft_base_feature *bf, size_t i)
{
	if (bf->categorical) {
		if (i < bf->cats.n)
			esc(b, bf->cats.names[i], bf->cats.lens[i]);
		else
			ADDS(b, "(unseen)");
		return;
	}
	if (bf->nedges == 0) {
		ADDS(b, "all");
		return;
	}
	if (i == 0) {
		ADDS(b, "&lt; ");
		num(b, bf->edges[0]);
	} else if (i == bf->nedges) {
		ADDS(b, "&ge; ");
		num(b, bf->edges[i - 1]);
	} else {
		ft_buf_addc(b, '[');
		num(b, bf->edges[i - 1]);
		ADDS(b, ", ");
		num(b, bf->edges[i]);
		ft_buf_addc(b, ')');
	}
}

struct bar {
	double weight;
	size_t i;
};

static int
cmp_bar(const void *a, const void *b)
{
	const struct bar *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

static int
cmp_bar_index(const void *a, const void *b)
{
	const struct bar *x = a, *y = b;

	return (x->i > y->i) - (x->i < y->i);
}

static void
histogram(struct ft_buf *b, const struct ft_base_feature *bf,
    const struct ft_drift *d)
{
	size_t nb = d->nbins, shown = nb < MAX_BARS ? nb : MAX_BARS;
	struct bar *bars = feat_xmalloc((nb ? nb : 1) * sizeof *bars);
	double top = 0;
	const int W = 720, H = 220, PAD = 30;
	double slot;

	for (size_t i = 0; i < nb; i++) {
		bars[i].i = i;
		bars[i].weight = bf->props[i] > d->actual[i] ? bf->props[i] :
		    d->actual[i];
		if (bars[i].weight > top)
			top = bars[i].weight;
	}
	if (nb > shown) {
		/* The largest bins, drawn in their order. */
		qsort(bars, nb, sizeof *bars, cmp_bar);
		qsort(bars, shown, sizeof *bars, cmp_bar_index);
	}
	if (top <= 0)
		top = 1;
	slot = (double)(W - 2 * PAD) / (double)(shown ? shown : 1);
	ft_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">"
	    "\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
	    "fill=\"#fbfbfb\" stroke=\"#ddd\"/>\n", W, H + 40, W, H + 40, W,
	    H + 40);
	ft_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#888\"/>\n", PAD, H, W - PAD, H);
	for (size_t k = 0; k < shown; k++) {
		size_t i = bars[k].i;
		double x = PAD + slot * (double)k, bw = slot * 0.4;
		double hb = (H - 20) * bf->props[i] / top;
		double hc = (H - 20) * d->actual[i] / top;

		ft_buf_printf(b, "<g><title>");
		bin_label(b, bf, i);
		ADDS(b, ": baseline ");
		num(b, bf->props[i]);
		ADDS(b, ", current ");
		num(b, d->actual[i]);
		ft_buf_printf(b, "</title>\n<rect x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\" fill=\"#9aa5b1\"/>\n"
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"%s\"/></g>\n", x + slot * 0.1,
		    H - hb, bw, hb, x + slot * 0.5, H - hc, bw, hc,
		    d->verdict && d->drift != FT_DRIFT_NONE ? "#d9480f" :
		    "#1c7ed6");
		if (shown <= 12) {
			ft_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" "
			    "font-size=\"10\" text-anchor=\"middle\">",
			    x + slot / 2, H + 14);
			bin_label(b, bf, i);
			ADDS(b, "</text>\n");
		}
	}
	ft_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
	    "fill=\"#9aa5b1\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">"
	    "baseline</text><rect x=\"%d\" y=\"%d\" width=\"10\" "
	    "height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
	    "font-size=\"11\">current</text>\n", PAD, H + 24, PAD + 14,
	    H + 33, PAD + 90, H + 24, d->verdict && d->drift !=
	    FT_DRIFT_NONE ? "#d9480f" : "#1c7ed6", PAD + 104, H + 33);
	if (nb > shown)
		ft_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"11\">"
		    "the %zu largest of %zu bins</text>\n", PAD + 200, H + 33,
		    shown, nb);
	ADDS(b, "</svg>\n");
	free(bars);
}

static int
rank(const struct ft_report_item *it)
{
	const struct ft_drift *d = it->d;

	if (!d->verdict)
		return -1;
	return d->drift == FT_DRIFT_NONE ? 0 : 1 + (int)d->severity;
}

static int
cmp_item(const void *a, const void *b)
{
	const struct ft_report_item *x = a, *y = b;
	int rx = rank(x), ry = rank(y);

	int nx = isnan(x->d->psi), ny = isnan(y->d->psi);

	if (rx != ry)
		return ry - rx;
	if (nx != ny)		/* a PSI before none */
		return nx - ny;
	if (!nx && x->d->psi != y->d->psi)
		return x->d->psi > y->d->psi ? -1 : 1;
	return strcmp(x->bf->name, y->bf->name);
}

static void
row(struct ft_buf *b, const char *name, double v)
{
	ft_buf_printf(b, "<tr><th>%s</th><td>", name);
	num(b, v);
	ADDS(b, "</td></tr>\n");
}

int
ft_report_write(const char *path, const struct ft_report_item *items,
    size_t n, int64_t now, char *err, size_t errlen)
{
	struct ft_report_item *v = feat_xcalloc(n + 1, sizeof *v);
	struct ft_buf b = { 0 };
	size_t drifted = 0;
	char t[40];
	int rc;

	memcpy(v, items, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_item);
	for (size_t i = 0; i < n; i++)
		drifted += rank(&v[i]) > 0;
	ADDS(&b, head);
	ft_buf_printf(&b, "<p>%zu feature%s evaluated, <strong>%zu "
	    "drifted</strong>", n, n == 1 ? "" : "s", drifted);
	if (now != INT64_MIN) {
		t[feat_time_format(now, t)] = '\0';
		ft_buf_printf(&b, "; written %s", t);
	}
	ADDS(&b, ".  Each feature shows its most severe evaluation (the "
	    "latest of equals); bars are the share of values in each PSI "
	    "bin.</p>\n");
	for (size_t i = 0; i < n; i++) {
		const struct ft_drift *d = v[i].d;
		int r = rank(&v[i]);

		ft_buf_printf(&b, "<section class=\"%s\" id=\"f%zu\"><h2>",
		    r > 0 ? "drift" : r < 0 ? "nov" : "ok", i);
		esc(&b, v[i].bf->name, strlen(v[i].bf->name));
		if (d->verdict)
			ft_buf_printf(&b, "<span class=\"badge\">%s, %s</span>",
			    ft_drift_names[d->drift],
			    ft_severity_names[d->severity]);
		else
			ADDS(&b, "<span class=\"badge\">no verdict</span>");
		ADDS(&b, "</h2>\n");
		histogram(&b, v[i].bf, d);
		ADDS(&b, "<table>\n");
		row(&b, "n", (double)d->n);
		row(&b, "psi", d->psi);
		row(&b, "z", d->z);
		row(&b, "ks", d->ks);
		row(&b, "ks_p", d->ks_p);
		row(&b, "std_ratio", d->std_ratio);
		row(&b, "baseline_mean", d->base_mean);
		row(&b, "current_mean", d->cur_mean);
		if (v[i].ts != INT64_MIN) {
			t[feat_time_format(v[i].ts, t)] = '\0';
			ft_buf_printf(&b, "<tr><th>ts</th><td>%s</td></tr>\n",
			    t);
		}
		ADDS(&b, "</table></section>\n");
	}
	ADDS(&b, "</body></html>\n");
	rc = ft_write_file(path, b.p, b.len, err, errlen);
	ft_buf_free(&b);
	free(v);
	return rc;
}
