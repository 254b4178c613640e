/*
 * catalog-private.h - what the files of the feature catalog share:
 * catalog-doc.c (the catalog as a JSON document: reading, helpers),
 * catalog-merge.c (overlays), catalog-check.c (the rules of
 * feat-catalog(5)) and catalog.c (the index and the lookups).  Nothing
 * here leaves libfeat.
 */
#ifndef FEAT_CATALOG_PRIVATE_H
#define FEAT_CATALOG_PRIVATE_H

#include "feat-private.h"

#include <jansson.h>

#define NAME_MAX_LEN 128	/* a Redis field and a SQL-friendly name */
#define VECTOR_MAX 65536

/* The attributes of a feature and of a group, in the order written out. */
extern const char *const ft_cat_feature_attrs[];
extern const char *const ft_cat_group_attrs[];
/* Every feature attribute but drift must be present. */
#define FEATURE_REQUIRED 17

enum ftype { T_FLOAT, T_INT, T_BOOL, T_CATEGORY, T_VECTOR };

struct feat_catalog_group {
	const char *name;
	json_t *obj;
	const char *entity_type, *key_default, *producer, *preset, *events;
	const char **keys;
	size_t nkeys;
	char *window;		/* "tumbling:5m" or "" */
	int64_t lateness;
	long *versions;
	int *traffic;
	size_t nversions;
};

struct feat_catalog_feature {
	json_t *obj;
	const char *id, *name, *category, *group_name, *type, *unit;
	const char *description, *formula, *owner;
	const struct feat_catalog_group *group;
	enum ftype kind;
	size_t veclen;
	int bounds;		/* 1: min, 2: max */
	double min, max;
	int nullable, deprecated;
	long freshness;
	const char **sources, **tags;
	size_t nsources, ntags;
	char *default_text;
};

struct feat_catalog {
	json_t *root;		/* the merged document */
	json_t *origin;		/* {"f:NAME"|"g:NAME": file} for messages */
	long version;
	struct feat_catalog_feature *features;
	size_t nfeatures;
	struct feat_catalog_group *groups;
	size_t ngroups;
	const struct feat_catalog_feature **by_name, **by_id;
};

/* Problems go to the caller's callback, counted. */
struct ft_cat_reporter {
	feat_catalog_report_fn fn;
	void *ctx;
	int count;
};
void ft_cat_problem(struct ft_cat_reporter *r, const char *file,
    unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* catalog-doc.c */
int ft_cat_parse_type(const char *s, enum ftype *kind, size_t *veclen);
int ft_cat_contains_nocase(const char *hay, const char *needle);
/* A number for a message, in the shortest form (never %g's rounding). */
const char *ft_cat_numtext(const json_t *v, char *buf);
void ft_cat_json_text(struct ft_buf *b, const json_t *v);
void ft_cat_write_json(feat_writer *w, const json_t *v);
json_t *ft_cat_read_doc(const char *path, struct ft_cat_reporter *rep,
    int *unreadable, char *err, size_t errlen);
const char *ft_cat_origin_of(const json_t *origin, char kind,
    const char *name, const char *fallback);
void ft_cat_note_origins(json_t *origin, const json_t *doc,
    const char *path);
void ft_cat_set_origin(json_t *origin, char kind, const char *name,
    const char *file);

/* catalog-merge.c */
void ft_cat_merge_overlay(json_t *root, json_t *origin, json_t *ov,
    const char *path, struct ft_cat_reporter *rep);

/* catalog-check.c */
void ft_cat_check_doc(const json_t *root, const json_t *origin,
    const char *file, struct ft_cat_reporter *rep);
/*
 * Reads path and merges the overlays into it: 0 with *root (NULL when a
 * problem was reported) and *origin, or -1 with err when a file cannot be
 * read at all.
 */
int ft_cat_read_merged(const char *path, const char *const *overlays,
    size_t nov, struct ft_cat_reporter *rep, json_t **root, json_t **origin,
    char *err, size_t errlen);

#endif /* FEAT_CATALOG_PRIVATE_H */
