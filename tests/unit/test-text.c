/*
 * test-text.c - the text rules of SPEC 4 against hand computations: words,
 * sentences, syllables, Flesch reading ease, domain hits, the script-based
 * language guess and the DRV_001 embedding.
 */
#include "feat-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond) do { \
	if (cond) passed++; \
	else { failed++; printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

static int
near(double a, double b)
{
	return fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1);
}

static struct ft_text_stats
an(const char *s)
{
	struct ft_text_stats st;

	ft_text_analyse(s, strlen(s), &st);
	return st;
}

static const char *
lang(const char *s)
{
	static struct ft_text_stats st;

	st = an(s);
	return st.language;
}

int
main(void)
{
	struct ft_text_stats st;

	/*
	 * "The cat sat on the mat." - 6 words, 1 sentence, 6 syllables (one
	 * vowel run each): FRE = 206.835 - 1.015*6/1 - 84.6*6/6 = 116.145.
	 */
	st = an("The cat sat on the mat.");
	CHECK(st.words == 6 && st.sentences == 1 && st.syllables == 6);
	CHECK(near(ft_text_fre(&st), 116.145));

	/*
	 * "Hello world! How are you?" - hello 2 (e, o), world 1, how 1, are 2
	 * (a, e), you 1 (one run y-o-u): 7 syllables, 5 words, 2 sentences:
	 * FRE = 206.835 - 1.015*5/2 - 84.6*7/5 = 206.835 - 2.5375 - 118.44
	 *     = 85.8575.
	 */
	st = an("Hello world! How are you?");
	CHECK(st.words == 5 && st.sentences == 2 && st.syllables == 7);
	CHECK(near(ft_text_fre(&st), 85.8575));

	/*
	 * "Extraordinary circumstances require deliberation" - no terminator,
	 * still 1 sentence; syllables: extraordinary 5 (e, ao, i, a, y),
	 * circumstances 4 (i, u, a, e), require 3 (e, ui, e), deliberation 5
	 * (e, i, e, a, io) = 17: FRE = 206.835 - 1.015*4 - 84.6*17/4
	 *     = 206.835 - 4.06 - 359.55 = -156.775.
	 */
	st = an("Extraordinary circumstances require deliberation");
	CHECK(st.words == 4 && st.sentences == 1 && st.syllables == 17);
	CHECK(near(ft_text_fre(&st), -156.775));

	/* terminator runs count once; a leading run ends no sentence */
	st = an("... Wait?!? Really... ok");
	CHECK(st.words == 3 && st.sentences == 3);
	/* a word without vowels still has one syllable; apostrophes join */
	st = an("rhythm don't 42");
	CHECK(st.words == 3 && st.syllables == 3);
	/* no words: zero everything */
	st = an("  ?! ");
	CHECK(st.words == 0 && st.sentences == 0 && ft_text_fre(&st) == 0);
	CHECK(st.embedding[0] == 0 && st.embedding[7] == 0);

	/* domain hits: API in any case, whole words only */
	st = an("The API server and the api database; Api function. APIs");
	CHECK(st.domain[2] == 6 && st.domain[0] == 0 && st.domain[1] == 0);
	st = an("Patient diagnosis: the plaintiff's contract, a medical statute");
	CHECK(st.domain[0] == 3 && st.domain[1] == 2 && st.domain[2] == 0);

	/* code points, not bytes */
	st = an("h\xc3\xa9llo \xe4\xbd\xa0!");
	CHECK(st.codepoints == 8);

	/* language by dominant script */
	CHECK(strcmp(lang("\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c"), "zh") == 0);	/* 你好世界 */
	CHECK(strcmp(lang("\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"), "ja") == 0);	/* こんにちは */
	CHECK(strcmp(lang("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88"), "ja") == 0);	/* 日本語のテキスト */
	CHECK(strcmp(lang("\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94"), "ko") == 0);	/* 안녕하세요 */
	CHECK(strcmp(lang("\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80"), "ru") == 0);	/* привет мир */
	CHECK(strcmp(lang("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"), "ar") == 0);	/* مرحبا */
	CHECK(strcmp(lang("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"), "he") == 0);	/* שלום */
	CHECK(strcmp(lang("\xce\xb3\xce\xb5\xce\xb9\xce\xac"), "el") == 0);	/* γειά */
	CHECK(strcmp(lang("hello world"), "und") == 0);	/* Latin: many languages */
	CHECK(strcmp(lang("Fix \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 now please"), "und") == 0);	/* no majority */
	CHECK(strcmp(lang("1234 ..."), "und") == 0);

	/*
	 * DRV_001 for "the quick brown fox": 4 unigrams and 3 bigrams land on
	 * (1,0,0,1,2,0,-2,-1), norm sqrt(11).
	 */
	{
		static const double want[8] = { 1, 0, 0, 1, 2, 0, -2, -1 };
		int ok = 1;

		st = an("the quick brown fox");
		for (int k = 0; k < 8; k++)
			ok &= near(st.embedding[k], want[k] / sqrt(11.0));
		CHECK(ok);
		/* case and punctuation between words do not change it */
		st = an("The QUICK, brown... fox");
		ok = 1;
		for (int k = 0; k < 8; k++)
			ok &= near(st.embedding[k], want[k] / sqrt(11.0));
		CHECK(ok);
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
