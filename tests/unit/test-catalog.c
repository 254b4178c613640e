/*
 * test-catalog.c - unit tests for lib/catalog.c: the lookups the tools build
 * on (names and ids as aliases, by group, by entity type), the group facts
 * feat-window's presets will read (window syntax, lateness, versions), and
 * overlays that either apply whole or leave the catalog as it was.
 *
 * Reads the shipped catalog from $FEAT_CATALOG (set by make check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feat.h"
#include "tap.h"

/* One value of the open TAP point. */
#define CHECK(cond) tap_check((cond), "line %d: %s", __LINE__, #cond)

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Writes text to a temporary file and returns its name (static buffer). */
static const char *
temp_file(const char *text)
{
	static char path[64];
	FILE *fp;

	snprintf(path, sizeof path, "/tmp/test-catalog-%ld.json",
	    (long)getpid());
	fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

int
main(void)
{
	const char *path = getenv("FEAT_CATALOG");
	const feat_catalog_feature *fs[80], *f;
	const feat_catalog_group *g;
	feat_catalog *c;
	double min = -1, max = -1;
	char err[512];
	int traffic = 0;

	if (path == NULL || *path == '\0')
		path = "data/catalog.json";
	c = feat_catalog_load(path, err, sizeof err);
	if (c == NULL)
		tap_bail("cannot load '%s': %s", path, err);
	tap_begin("catalog-001", "the shipped catalog: version 1, 65 features, "
	    "12 groups");
	CHECK(feat_catalog_version(c) == 1);
	CHECK(feat_catalog_count(c) == 65);
	CHECK(feat_catalog_group_count(c) == 12);
	tap_end();

	/* Names and ids are aliases; lookups by either give one feature. */
	tap_begin("catalog-002", "names and ids are aliases of one feature; "
	    "lookups are exact");
	f = feat_catalog_find(c, "PERF_002");
	CHECK(f != NULL && f == feat_catalog_find(c, "latency_p95_5min"));
	CHECK(f != NULL && same(feat_catalog_feature_unit(f), "ms"));
	CHECK(f != NULL && feat_catalog_feature_range(f, &min, &max) == 1 &&
	    min == 0);
	CHECK(feat_catalog_find(c, "perf_002") == NULL);
	CHECK(feat_catalog_find(c, "") == NULL);
	CHECK(feat_catalog_nth(c, 65) == NULL);
	CHECK(same(feat_catalog_feature_name(feat_catalog_nth(c, 0)),
	    "prompt_length"));
	tap_end();

	/* By group: perf_5min holds exactly the nine window aggregates. */
	tap_begin("catalog-003", "features by group, in order, counted past "
	    "the array's room");
	CHECK(feat_catalog_by_group(c, "perf_5min", NULL, 0) == 9);
	CHECK(feat_catalog_by_group(c, "perf_5min", fs, 80) == 9);
	CHECK(same(feat_catalog_feature_id(fs[0]), "PERF_001"));
	CHECK(same(feat_catalog_feature_id(fs[8]), "PERF_012"));
	CHECK(feat_catalog_by_group(c, "perf_5min", fs, 2) == 9);
	CHECK(feat_catalog_by_group(c, "no_such_group", fs, 80) == 0);
	CHECK(feat_catalog_by_group(c, "request", fs, 80) == 18);
	tap_end();

	/* By entity type, over every group of that type. */
	tap_begin("catalog-004", "features by entity type, over all its "
	    "groups");
	CHECK(feat_catalog_by_entity(c, "model", fs, 80) == 10 + 12 + 1 + 4);
	CHECK(feat_catalog_by_entity(c, "request", fs, 80) == 18 + 1);
	CHECK(feat_catalog_by_entity(c, "system", fs, 80) == 10);
	CHECK(feat_catalog_by_entity(c, "session", fs, 80) == 4);
	CHECK(feat_catalog_by_entity(c, "user", fs, 80) == 5);
	tap_end();

	/* Types and defaults. */
	tap_begin("catalog-005", "feature types, ranges, defaults, sources and "
	    "matches");
	f = feat_catalog_find(c, "DRV_001");
	CHECK(f != NULL && feat_catalog_feature_vector_len(f) == 8);
	CHECK(f != NULL && same(feat_catalog_feature_default_text(f),
	    "[0,0,0,0,0,0,0,0]"));
	f = feat_catalog_find(c, "session_depth");
	CHECK(f != NULL && feat_catalog_feature_range(f, &min, &max) == 3 &&
	    min == 0.02 && max == 1);
	CHECK(f != NULL && same(feat_catalog_feature_default_text(f), "0.02"));
	f = feat_catalog_find(c, "prompt_language");
	CHECK(f != NULL && feat_catalog_feature_range(f, &min, &max) == 0);
	CHECK(f != NULL && same(feat_catalog_feature_default_text(f),
	    "\"und\""));
	f = feat_catalog_find(c, "model_fit_score");
	CHECK(f != NULL && feat_catalog_feature_source_count(f) == 7 &&
	    same(feat_catalog_feature_source(f, 6), "prompt_domain") &&
	    feat_catalog_feature_source(f, 7) == NULL);
	CHECK(feat_catalog_matches(feat_catalog_find(c, "DRV_009"), "FATIGUE"));
	CHECK(!feat_catalog_matches(feat_catalog_find(c, "DRV_009"),
	    "perf_5min"));
	tap_end();

	/* Groups: windows in feat-window's syntax, lateness, keys. */
	tap_begin("catalog-006", "group windows, lateness, presets and keys");
	g = feat_catalog_group_find(c, "perf_1hr");
	CHECK(g != NULL && same(feat_catalog_group_window(g), "sliding:1h/5m"));
	CHECK(g != NULL && feat_catalog_group_lateness(g) ==
	    INT64_C(120000000000));
	CHECK(g != NULL && same(feat_catalog_group_preset(g), "perf_1hr"));
	g = feat_catalog_group_find(c, "feedback_session");
	CHECK(g != NULL && same(feat_catalog_group_window(g), "session:30m/4h"));
	CHECK(g != NULL && feat_catalog_group_lateness(g) == 0);
	g = feat_catalog_group_find(c, "fatigue_5min");
	CHECK(g != NULL && same(feat_catalog_group_preset(g), "perf_5min"));
	g = feat_catalog_group_find(c, "static");
	CHECK(g != NULL && feat_catalog_group_key_count(g) == 2 &&
	    same(feat_catalog_group_key(g, 0), "catalog_model") &&
	    same(feat_catalog_group_key(g, 1), "model"));
	CHECK(g != NULL && same(feat_catalog_group_window(g), "") &&
	    same(feat_catalog_group_preset(g), ""));
	g = feat_catalog_group_find(c, "context_1min");
	CHECK(g != NULL && same(feat_catalog_group_key_default(g), "global"));
	CHECK(feat_catalog_group_find(c, "perf_10min") == NULL);
	tap_end();

	/* A rejected overlay changes nothing. */
	tap_begin("catalog-007", "a rejected overlay says why and changes "
	    "nothing");
	CHECK(feat_catalog_overlay(c, temp_file(
	    "{\"features\":[{\"name\":\"prompt_length\",\"max\":-1}]}"), err,
	    sizeof err) < 0);
	CHECK(strstr(err, "min 0 greater than max -1 in 'prompt_length'") !=
	    NULL);
	f = feat_catalog_find(c, "prompt_length");
	CHECK(f != NULL && feat_catalog_feature_range(f, &min, &max) == 3 &&
	    max == 1);
	tap_end();

	/* An accepted one adds a version, lowest first, and a feature. */
	tap_begin("catalog-008", "an accepted overlay adds versions, lowest "
	    "first, and changes a feature");
	CHECK(feat_catalog_overlay(c, temp_file(
	    "{\"groups\":{\"perf_5min\":{\"versions\":[{\"version\":3,"
	    "\"traffic\":5},{\"version\":1}]}},\"features\":[{\"name\":"
	    "\"prompt_length\",\"unit\":\"log-tokens\"}]}"), err,
	    sizeof err) == 0);
	g = feat_catalog_group_find(c, "perf_5min");
	CHECK(g != NULL && feat_catalog_group_version_count(g) == 2);
	CHECK(g != NULL && feat_catalog_group_version(g, 0, &traffic) == 1 &&
	    traffic == -1);
	CHECK(g != NULL && feat_catalog_group_version(g, 1, &traffic) == 3 &&
	    traffic == 5);
	f = feat_catalog_find(c, "REQ_001");
	CHECK(f != NULL && same(feat_catalog_feature_unit(f), "log-tokens"));
	CHECK(feat_catalog_count(c) == 65);
	tap_end();

	/* An unreadable file is an error with the file's name. */
	tap_begin("catalog-009", "an unreadable file is an error that names "
	    "it");
	CHECK(feat_catalog_load("/nonexistent/catalog.json", err, sizeof err)
	    == NULL);
	CHECK(same(err, "cannot open '/nonexistent/catalog.json': No such file "
	    "or directory"));
	tap_end();

	remove(temp_file(""));
	feat_catalog_free(c);
	return tap_done();
}
