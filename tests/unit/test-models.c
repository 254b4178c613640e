/*
 * test-models.c - the model catalog's lookups and arithmetic: the cached
 * (provider, model) lookup, also across a cache that filled up and was
 * cleared, prices against hand computations, inconsistent usage, load
 * errors.  The catalog is data/models.json ($FEAT_MODELS under make check).
 */
#include "feat-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* One value of the open TAP point. */
#define CHECK(cond) tap_check((cond), "line %d: %s", __LINE__, #cond)

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

static void
find(feat_models *m, const char *provider, const char *model,
    struct feat_model_match *mm)
{
	feat_models_find(m, provider, provider ? strlen(provider) : 0, model,
	    strlen(model), mm);
}

/* The usage vector of the catalog with one unit set. */
static void
set_unit(const feat_models *m, double *usage, const char *unit, double v)
{
	for (size_t i = 0; i < feat_models_nunits(m); i++)
		if (strcmp(feat_models_unit(m, i), unit) == 0)
			usage[i] = v;
}

int
main(void)
{
	const char *path = getenv("FEAT_MODELS");
	struct feat_model_match mm, again;
	struct feat_cost cost;
	char err[512], msg[256];
	feat_models *m;
	double *usage;

	if (path == NULL || *path == '\0')
		path = "data/models.json";
	m = feat_models_load(path, err, sizeof err);
	if (m == NULL)
		tap_bail("cannot load the catalog: %s", err);
	tap_begin("models-001", "the catalog loads with its path and units");
	CHECK(strcmp(feat_models_path(m), path) == 0);
	CHECK(feat_models_nunits(m) >= 59);
	tap_end();

	/* rule 1 by model_match, rule 2 by an equals clause */
	tap_begin("models-002", "a dated model name finds its provider, model "
	    "and context window");
	find(m, NULL, "gpt-4o-2024-08-06", &mm);
	CHECK(mm.provider && strcmp(mm.provider, "openai") == 0);
	CHECK(mm.model && strcmp(feat_model_id(mm.model), "gpt-4o") == 0);
	CHECK(feat_model_context_window(mm.model) == 128000);
	tap_end();

	tap_begin("models-003", "a repeated lookup gives the same match; a "
	    "named provider is a key of its own, an unknown one finds nothing");
	find(m, NULL, "gpt-4o-2024-08-06", &again);
	CHECK(again.model == mm.model && again.provider == mm.provider);
	/* a named provider is another key than none */
	find(m, " Azure", "gpt-4o-2024-08-06", &again);
	CHECK(again.model == mm.model && strcmp(again.provider, "azure") == 0);
	find(m, "nosuch", "gpt-4o", &again);
	CHECK(again.provider == NULL && again.model == NULL);
	tap_end();

	/* fill the cache past its bound: it is cleared, lookups still right */
	tap_begin("models-004", "lookups stay right after the cache fills up "
	    "and is cleared");
	for (int i = 0; i < 20000; i++) {
		char name[32];

		snprintf(name, sizeof name, "no-such-model-%d", i);
		find(m, NULL, name, &again);
		if (again.model != NULL || again.provider != NULL)
			break;
	}
	CHECK(again.model == NULL);
	find(m, NULL, "GPT-4O-2024-08-06", &again);
	CHECK(again.model == mm.model);
	tap_end();

	/* rules 4 and 6: 600 x 2.5/M + 400 cached x 1.25/M, 45 x 10/M */
	usage = calloc(feat_models_nunits(m), sizeof *usage);
	set_unit(m, usage, "input_tokens", 1000);
	set_unit(m, usage, "cache_read_tokens", 400);
	set_unit(m, usage, "output_tokens", 45);
	tap_begin("models-005", "prices match a hand computation with cached "
	    "input");
	CHECK(feat_model_price(m, mm.model, 0, usage, &cost, msg,
	    sizeof msg) == 0);
	CHECK(near(cost.input_usd, 0.002));
	CHECK(near(cost.output_usd, 0.00045));
	CHECK(near(cost.total_usd, 0.00245));
	tap_end();

	/* inconsistent usage: no price, a message */
	set_unit(m, usage, "cache_read_tokens", 1001);
	tap_begin("models-006", "inconsistent usage gets no price and a "
	    "message");
	CHECK(feat_model_price(m, mm.model, 0, usage, &cost, msg,
	    sizeof msg) == -1);
	CHECK(strcmp(msg, "inconsistent usage for model 'gpt-4o': "
	    "'input_tokens' is 1000, less than the 1001 of the more specific "
	    "units it includes") == 0);
	tap_end();
	free(usage);
	feat_models_free(m);

	/* load errors name the file */
	tap_begin("models-007", "a load error names the file");
	CHECK(feat_models_load("/nonexistent/models.json", err, sizeof err) ==
	    NULL);
	CHECK(strcmp(err, "cannot open model catalog "
	    "'/nonexistent/models.json': No such file or directory") == 0);
	tap_end();

	return tap_done();
}
