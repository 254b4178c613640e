/*
 * model-facts.c - data/model-facts.json: the facts about common models that
 * genai-prices does not hold (capability score, function calling, vision,
 * JSON mode, size class, training cutoff), each with its public source in
 * the file.  A model the file does not list gets null for all of them,
 * never a guess.  (These were once called the "model overlay"; "overlay"
 * now means only a catalog overlay, --catalog-overlay.)
 */
#include "feat-private.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct fact {
	char *provider, *model;
	double capability, size_class;
	int functions, vision, json_mode;
	int has_cutoff;
	int64_t cutoff_ns;
};

struct feat_model_facts {
	struct fact *f;
	size_t n;
};

const char *
feat_model_facts_default_path(const char *models_path, char *buf,
    size_t len)
{
	const char *env = getenv("FEAT_MODEL_FACTS"), *slash;

	if (env && *env)
		return env;
	/* Beside the model catalog: both ship in $(pkgdatadir). */
	slash = models_path ? strrchr(models_path, '/') : NULL;
	if (slash == NULL)
		snprintf(buf, len, "model-facts.json");
	else
		snprintf(buf, len, "%.*s/model-facts.json",
		    (int)(slash - models_path), models_path);
	return buf;
}

static int
tri(json_t *v)
{
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

feat_model_facts *
feat_model_facts_load(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *models, *m;
	struct feat_model_facts *ov;
	size_t i;

	if (root == NULL) {
		snprintf(err, errlen, "cannot read model facts file '%s': %s",
		    path, je.text);
		return NULL;
	}
	models = json_object_get(root, "models");
	if (!json_is_array(models)) {
		snprintf(err, errlen, "'%s' is not a model facts file: no "
		    "'models' array", path);
		json_decref(root);
		return NULL;
	}
	ov = feat_xcalloc(1, sizeof *ov);
	ov->f = feat_xcalloc(json_array_size(models) + 1, sizeof *ov->f);
	json_array_foreach(models, i, m) {
		struct fact *f = &ov->f[ov->n];
		const char *p = json_string_value(json_object_get(m, "provider"));
		const char *id = json_string_value(json_object_get(m, "model"));
		const char *size = json_string_value(json_object_get(m,
		    "size_class"));
		const char *cut = json_string_value(json_object_get(m,
		    "training_cutoff"));
		json_t *cap = json_object_get(m, "capability_score");

		if (p == NULL || id == NULL)
			continue;
		f->provider = feat_xstrdup(p);
		f->model = feat_xstrdup(id);
		f->capability = json_is_number(cap) ? json_number_value(cap) :
		    NAN;
		f->size_class = size == NULL ? NAN :
		    strcmp(size, "small") == 0 ? 0 :
		    strcmp(size, "medium") == 0 ? 0.5 :
		    strcmp(size, "large") == 0 ? 1 : NAN;
		f->functions = tri(json_object_get(m, "supports_functions"));
		f->vision = tri(json_object_get(m, "supports_vision"));
		f->json_mode = tri(json_object_get(m, "supports_json_mode"));
		if (cut && strlen(cut) == 10) {
			char t[32];

			snprintf(t, sizeof t, "%sT00:00:00Z", cut);
			f->has_cutoff = feat_time_parse(t, 20, &f->cutoff_ns) == 0;
		}
		ov->n++;
	}
	json_decref(root);
	return ov;
}

void
feat_model_facts_free(feat_model_facts *ov)
{
	if (ov == NULL)
		return;
	for (size_t i = 0; i < ov->n; i++) {
		free(ov->f[i].provider);
		free(ov->f[i].model);
	}
	free(ov->f);
	free(ov);
}

void
ft_model_facts_apply(const feat_model_facts *ov, const char *provider, size_t plen,
    const char *model, size_t mlen, struct ft_model_info *mf)
{
	const struct fact *best = NULL;

	if (ov == NULL || model == NULL)
		return;
	/* The same provider first; else the model under any host. */
	for (size_t i = 0; i < ov->n; i++) {
		const struct fact *f = &ov->f[i];

		if (strlen(f->model) != mlen || memcmp(f->model, model, mlen))
			continue;
		if (provider && strlen(f->provider) == plen &&
		    memcmp(f->provider, provider, plen) == 0) {
			best = f;
			break;
		}
		if (best == NULL)
			best = f;
	}
	if (best == NULL)
		return;
	mf->capability = best->capability;
	mf->size_class = best->size_class;
	mf->functions = best->functions;
	mf->vision = best->vision;
	mf->json_mode = best->json_mode;
	mf->has_cutoff = best->has_cutoff;
	mf->cutoff_ns = best->cutoff_ns;
}
