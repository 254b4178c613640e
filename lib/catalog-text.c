/*
 * catalog-text.c - the catalog as people and programs read it: one feature
 * described in aligned text, a table of features, and the NDJSON object of
 * a feature with its group, as feat-query answers them (and feat-serve's
 * catalog routes will).
 *
 * Text goes through the record writer (feat_writer_text), so that every
 * answer of a tool leaves by one checked path.
 */
#include "feat-private.h"

#include <stdlib.h>
#include <string.h>

/* Columns a UTF-8 string takes, near enough: one per code point. */
static size_t
width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

static void
range_text(const feat_catalog_feature *f, char *buf, size_t len)
{
	char a[FEAT_DOUBLE_BUFSZ], b[FEAT_DOUBLE_BUFSZ];
	double min = 0, max = 0;
	int r = feat_catalog_feature_range(f, &min, &max);

	if (r & 1)
		feat_fmt_double(min, a);
	if (r & 2)
		feat_fmt_double(max, b);
	if (r == 3)
		snprintf(buf, len, "[%s, %s]", a, b);
	else if (r == 1)
		snprintf(buf, len, ">= %s", a);
	else if (r == 2)
		snprintf(buf, len, "<= %s", b);
	else
		snprintf(buf, len, "unbounded");
}

/*
 * "  label        text", the text wrapped at word boundaries to 79
 * columns with continuation lines under its first column.
 */
static void
field(struct ft_buf *o, const char *label, const char *text)
{
	const size_t indent = 15, limit = 79;
	size_t col = indent;
	const char *p = text;

	ft_buf_printf(o, "  %-12s ", label);
	while (*p) {
		const char *e = p;
		size_t w;

		while (*e && *e != ' ')
			e++;
		w = width(p, (size_t)(e - p));
		if (col > indent && col + 1 + w > limit) {
			ft_buf_printf(o, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			ft_buf_addc(o, ' ');
			col++;
		}
		ft_buf_add(o, p, (size_t)(e - p));
		col += w;
		p = e;
		while (*p == ' ')
			p++;
	}
	ft_buf_addc(o, '\n');
}

static void
join(struct ft_buf *o, size_t n,
    const char *(*get)(const feat_catalog_feature *, size_t),
    const feat_catalog_feature *f)
{
	for (size_t i = 0; i < n; i++)
		ft_buf_printf(o, "%s%s", i > 0 ? ", " : "", get(f, i));
}

int
feat_catalog_describe_text(const feat_catalog_feature *f, feat_writer *w)
{
	const feat_catalog_group *g = feat_catalog_feature_group(f);
	struct ft_buf o = { 0 }, b = { 0 };
	char range[128], late[32];
	int rc;

	ft_buf_printf(&o, "%s (%s)\n", feat_catalog_feature_name(f),
	    feat_catalog_feature_id(f));
	field(&o, "description", feat_catalog_feature_description(f));
	field(&o, "formula", feat_catalog_feature_formula(f));
	field(&o, "unit", feat_catalog_feature_unit(f));
	range_text(f, range, sizeof range);
	field(&o, "range", range);
	join(&b, feat_catalog_feature_source_count(f),
	    feat_catalog_feature_source, f);
	ft_buf_addc(&b, '\0');
	field(&o, "sources", b.p);
	field(&o, "type", feat_catalog_feature_type(f));
	field(&o, "category", feat_catalog_feature_category(f));
	b.len = 0;
	ft_buf_printf(&b, "%s (entity %s, key ",
	    feat_catalog_feature_group_name(f),
	    feat_catalog_group_entity_type(g));
	for (size_t i = 0; i < feat_catalog_group_key_count(g); i++)
		ft_buf_printf(&b, "%s%s", i > 0 ? " or " : "",
		    feat_catalog_group_key(g, i));
	if (*feat_catalog_group_key_default(g))
		ft_buf_printf(&b, ", default '%s'",
		    feat_catalog_group_key_default(g));
	if (*feat_catalog_group_window(g)) {
		feat_format_duration(feat_catalog_group_lateness(g), late,
		    sizeof late);
		ft_buf_printf(&b, ", window %s, lateness %s",
		    feat_catalog_group_window(g), late);
	}
	ft_buf_printf(&b, ", by %s)", feat_catalog_group_producer(g));
	ft_buf_addc(&b, '\0');
	field(&o, "group", b.p);
	field(&o, "nullable", feat_catalog_feature_nullable(f) ? "yes" : "no");
	field(&o, "default", feat_catalog_feature_default_text(f));
	b.len = 0;
	ft_buf_printf(&b, "%ld s", feat_catalog_feature_freshness(f));
	ft_buf_addc(&b, '\0');
	field(&o, "freshness", b.p);
	field(&o, "owner", feat_catalog_feature_owner(f));
	b.len = 0;
	join(&b, feat_catalog_feature_tag_count(f), feat_catalog_feature_tag,
	    f);
	ft_buf_addc(&b, '\0');
	field(&o, "tags", b.p);
	field(&o, "deprecated", feat_catalog_feature_deprecated(f) ? "yes" :
	    "no");
	rc = feat_writer_text(w, o.p, o.len);
	ft_buf_free(&o);
	ft_buf_free(&b);
	return rc;
}

/* Pads s to w columns. */
static void
padded(struct ft_buf *o, const char *s, size_t w)
{
	size_t n = strlen(s), cw = width(s, n);

	ft_buf_add(o, s, n);
	for (; cw < w; cw++)
		ft_buf_addc(o, ' ');
}

int
feat_catalog_table_text(const feat_catalog_feature *const *fs, size_t n,
    feat_writer *w)
{
	static const char *const head[] = {
		"ID", "NAME", "GROUP", "TYPE", "UNIT", "RANGE"
	};
	struct ft_buf o = { 0 };
	size_t wd[5];
	char range[128];
	int rc;

	for (size_t c = 0; c < 5; c++)
		wd[c] = strlen(head[c]);
	for (size_t i = 0; i < n; i++) {
		const char *col[5] = {
			feat_catalog_feature_id(fs[i]),
			feat_catalog_feature_name(fs[i]),
			feat_catalog_feature_group_name(fs[i]),
			feat_catalog_feature_type(fs[i]),
			feat_catalog_feature_unit(fs[i])
		};

		for (size_t c = 0; c < 5; c++)
			if (width(col[c], strlen(col[c])) > wd[c])
				wd[c] = width(col[c], strlen(col[c]));
	}
	for (size_t c = 0; c < 5; c++) {
		padded(&o, head[c], wd[c]);
		ft_buf_add(&o, "  ", 2);
	}
	ft_buf_printf(&o, "%s\n", head[5]);
	for (size_t i = 0; i < n; i++) {
		const char *col[5] = {
			feat_catalog_feature_id(fs[i]),
			feat_catalog_feature_name(fs[i]),
			feat_catalog_feature_group_name(fs[i]),
			feat_catalog_feature_type(fs[i]),
			feat_catalog_feature_unit(fs[i])
		};

		for (size_t c = 0; c < 5; c++) {
			padded(&o, col[c], wd[c]);
			ft_buf_add(&o, "  ", 2);
		}
		range_text(fs[i], range, sizeof range);
		ft_buf_printf(&o, "%s%s\n", range,
		    feat_catalog_feature_deprecated(fs[i]) ?
		    "  (deprecated)" : "");
	}
	rc = feat_writer_text(w, o.p, o.len);
	ft_buf_free(&o);
	return rc;
}

int
feat_catalog_write_entry(const feat_catalog_feature *f, int with_group,
    feat_writer *w)
{
	const feat_catalog_group *g = feat_catalog_feature_group(f);
	const char *et = feat_catalog_group_entity_type(g);

	feat_writer_open_object(w);
	feat_catalog_write_feature(f, w);
	feat_writer_key(w, "entity_type", 11);
	feat_writer_string(w, et, strlen(et));
	if (with_group) {
		feat_writer_key(w, "group_info", 10);
		feat_writer_open_object(w);
		feat_catalog_write_group(g, w);
		feat_writer_close_object(w);
	}
	feat_writer_close_object(w);
	return feat_writer_end_record(w);
}
