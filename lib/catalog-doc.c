/*
 * catalog-doc.c - the feature catalog as a JSON document: reading a file
 * (duplicate keys refused), remembering which file each group and feature
 * came from (so a ft_cat_problem names the overlay that caused it), and the small
 * helpers the checker, the index and the writers share: types, JSON text
 * with shortest doubles, case-insensitive search.
 */
#include "catalog-private.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The attributes of a feature, in the order they are written out. */
const char *const ft_cat_feature_attrs[] = {
	"id", "name", "category", "group", "type", "min", "max", "nullable",
	"default", "unit", "description", "formula", "source", "freshness_s",
	"owner", "tags", "deprecated", "drift", NULL
};

const char *const ft_cat_group_attrs[] = {
	"entity_type", "key", "key_default", "producer", "preset", "events",
	"window", "description", "versions", NULL
};


/*
 * float, int, bool, category or vector[N] (N a decimal without a leading
 * zero).  Returns 0 and the kind, -1 for anything else, -2 for a vector
 * whose length is out of range.
 */
int
ft_cat_parse_type(const char *s, enum ftype *kind, size_t *veclen)
{
	static const struct {
		const char *name;
		enum ftype kind;
	} simple[] = {
		{ "float", T_FLOAT }, { "int", T_INT }, { "bool", T_BOOL },
		{ "category", T_CATEGORY }
	};
	size_t n = 0;
	const char *p;

	*veclen = 0;
	for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
		if (strcmp(s, simple[i].name) == 0) {
			*kind = simple[i].kind;
			return 0;
		}
	if (strncmp(s, "vector[", 7) != 0)
		return -1;
	p = s + 7;
	if (!(*p >= '0' && *p <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > VECTOR_MAX)
			return -2;
		n = n * 10 + (size_t)(*p - '0');
	}
	if (p[0] != ']' || p[1] != '\0')
		return -1;
	if (n == 0 || n > VECTOR_MAX || s[7] == '0')
		return -2;
	*kind = T_VECTOR;
	*veclen = n;
	return 0;
}

/* ASCII case-insensitive strstr: patterns are names and ids. */
int
ft_cat_contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return 1;
	for (; *hay; hay++) {
		size_t i = 0;

		while (i < n && hay[i] != '\0') {
			unsigned char a = (unsigned char)hay[i];
			unsigned char b = (unsigned char)needle[i];

			if (a >= 'A' && a <= 'Z')
				a = (unsigned char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (unsigned char)(b - 'A' + 'a');
			if (a != b)
				break;
			i++;
		}
		if (i == n)
			return 1;
	}
	return 0;
}

/* A number for a message, in the shortest form (never %g's rounding). */
const char *
ft_cat_numtext(const json_t *v, char *buf)
{
	if (json_is_integer(v))
		snprintf(buf, FEAT_DOUBLE_BUFSZ, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else if (feat_fmt_double(json_number_value(v), buf) == 0)
		snprintf(buf, FEAT_DOUBLE_BUFSZ, "?");
	return buf;
}

/* Compact JSON text with shortest doubles, for default_text. */
void
ft_cat_json_text(struct ft_buf *b, const json_t *v)
{
	char num[FEAT_DOUBLE_BUFSZ];
	const char *k;
	json_t *m;
	size_t i, n = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		ft_buf_addc(b, '{');
		json_object_foreach((json_t *)v, k, m) {
			if (n++ > 0)
				ft_buf_addc(b, ',');
			ft_json_quote_raw(b, k, strlen(k));
			ft_buf_addc(b, ':');
			ft_cat_json_text(b, m);
		}
		ft_buf_addc(b, '}');
		break;
	case JSON_ARRAY:
		ft_buf_addc(b, '[');
		json_array_foreach(v, i, m) {
			if (i > 0)
				ft_buf_addc(b, ',');
			ft_cat_json_text(b, m);
		}
		ft_buf_addc(b, ']');
		break;
	case JSON_STRING:
		ft_json_quote_raw(b, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		ft_cat_numtext(v, num);
		ft_buf_add(b, num, strlen(num));
		break;
	case JSON_TRUE:
		ft_buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		ft_buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		ft_buf_add(b, "null", 4);
		break;
	}
}

/* Any JSON value through the record writer: shortest doubles (SPEC 2). */
void
ft_cat_write_json(feat_writer *w, const json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		feat_writer_open_object(w);
		json_object_foreach((json_t *)v, k, m) {
			feat_writer_key(w, k, strlen(k));
			ft_cat_write_json(w, m);
		}
		feat_writer_close_object(w);
		break;
	case JSON_ARRAY:
		feat_writer_open_array(w);
		json_array_foreach(v, i, m)
			ft_cat_write_json(w, m);
		feat_writer_close_array(w);
		break;
	case JSON_STRING:
		feat_writer_string(w, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
		feat_writer_int(w, json_integer_value(v));
		break;
	case JSON_REAL:
		feat_writer_double(w, json_real_value(v));
		break;
	case JSON_TRUE:
		feat_writer_bool(w, 1);
		break;
	case JSON_FALSE:
		feat_writer_bool(w, 0);
		break;
	case JSON_NULL:
		feat_writer_null(w);
		break;
	}
}

/* ---- reading documents -------------------------------------------------- */

void
ft_cat_problem(struct ft_cat_reporter *r, const char *file, unsigned long line,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->count++;
	if (r->fn != NULL)
		r->fn(r->ctx, file, line, msg);
}

/*
 * Reads the JSON document at path.  Returns it; NULL with *unreadable set
 * and err filled when the file cannot be opened or read; NULL with a
 * reported ft_cat_problem when it is not JSON.
 */
json_t *
ft_cat_read_doc(const char *path, struct ft_cat_reporter *rep, int *unreadable, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *doc;
	FILE *fp;

	*unreadable = 0;
	fp = fopen(path, "r");
	if (fp == NULL) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		*unreadable = 1;
		return NULL;
	}
	/* Duplicate keys would silently lose an attribute: reject them. */
	doc = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL && ferror(fp)) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    strerror(errno));
		*unreadable = 1;
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	if (doc == NULL) {
		ft_cat_problem(rep, path, jerr.line > 0 ? (unsigned long)jerr.line : 0,
		    "invalid JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		ft_cat_problem(rep, path, 0, "not a JSON object");
		json_decref(doc);
		return NULL;
	}
	return doc;
}

const char *
ft_cat_origin_of(const json_t *origin, char kind, const char *name,
    const char *fallback)
{
	char key[NAME_MAX_LEN * 4];
	const char *s;

	snprintf(key, sizeof key, "%c:%s", kind, name);
	s = json_string_value(json_object_get(origin, key));
	return s != NULL ? s : fallback;
}

void
ft_cat_set_origin(json_t *origin, char kind, const char *name, const char *file)
{
	char key[NAME_MAX_LEN * 4];

	snprintf(key, sizeof key, "%c:%s", kind, name);
	json_object_set_new(origin, key, json_string(file));
}

/* Records path as the origin of every group and named feature of doc. */
void
ft_cat_note_origins(json_t *origin, const json_t *doc, const char *path)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(json_object_get(doc, "groups"), k, v)
		ft_cat_set_origin(origin, 'g', k, path);
	json_array_foreach(json_object_get(doc, "features"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));

		if (name != NULL)
			ft_cat_set_origin(origin, 'f', name, path);
	}
}
