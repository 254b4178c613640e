/*
 * test-text.c - the text rules of SPEC 4 against hand computations: words,
 * sentences, syllables, Flesch reading ease, domain hits, the script-based
 * language guess (REQ_006) and the DRV_001 embedding.
 *
 * The expected languages were decided without ICU: the general category of
 * each code point from python3's unicodedata.category, its Script property
 * from perl's own Unicode tables (perl 5.36, Unicode 14: /\p{Script=X}/ for
 * X in Latin, Greek, Cyrillic, Georgian, Hebrew, Arabic, Devanagari,
 * Bengali, Thai, Han, Hiragana, Katakana, Hangul, Common, Inherited), then
 * the rule of REQ_006 by hand.  The counts are in the comment of each point.
 */
#include "feat-private.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* One point: the language guessed for text is want. */
static void
lang_is(const char *id, const char *desc, const char *text, const char *want)
{
	struct ft_text_stats st = an(text);

	tap_begin(id, "%s", desc);
	tap_check_str(st.language, want, "language");
	tap_end();
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
	tap_ok(st.words == 6 && st.sentences == 1 && st.syllables == 6,
	    "text-001", "'The cat sat on the mat.': 6 words, 1 sentence, 6 syllables");
	tap_ok(near(ft_text_fre(&st), 116.145),
	    "text-002", "'The cat sat on the mat.': FRE 116.145");

	/*
	 * "Hello world! How are you?" - hello 2 (e, o), world 1, how 1, are 2
	 * (a, e), you 1 (one run y-o-u): 7 syllables, 5 words, 2 sentences:
	 * FRE = 206.835 - 1.015*5/2 - 84.6*7/5 = 206.835 - 2.5375 - 118.44
	 *     = 85.8575.
	 */
	st = an("Hello world! How are you?");
	tap_ok(st.words == 5 && st.sentences == 2 && st.syllables == 7,
	    "text-003", "'Hello world! How are you?': 5 words, 2 sentences, 7 syllables");
	tap_ok(near(ft_text_fre(&st), 85.8575),
	    "text-004", "'Hello world! How are you?': FRE 85.8575");

	/*
	 * "Extraordinary circumstances require deliberation" - no terminator,
	 * still 1 sentence; syllables: extraordinary 5 (e, ao, i, a, y),
	 * circumstances 4 (i, u, a, e), require 3 (e, ui, e), deliberation 5
	 * (e, i, e, a, io) = 17: FRE = 206.835 - 1.015*4 - 84.6*17/4
	 *     = 206.835 - 4.06 - 359.55 = -156.775.
	 */
	st = an("Extraordinary circumstances require deliberation");
	tap_ok(st.words == 4 && st.sentences == 1 && st.syllables == 17,
	    "text-005", "no terminator: 4 words, still 1 sentence, 17 syllables");
	tap_ok(near(ft_text_fre(&st), -156.775),
	    "text-006", "'Extraordinary circumstances ...': FRE -156.775");

	st = an("... Wait?!? Really... ok");
	tap_ok(st.words == 3 && st.sentences == 3,
	    "text-007", "each maximal terminator run ends one sentence, a leading one too");
	st = an("Hello. World");
	tap_ok(st.words == 2 && st.sentences == 1,
	    "text-007b", "text after the last terminator run ends no sentence (SPEC 4)");
	st = an("Hello. . World!");
	tap_ok(st.words == 2 && st.sentences == 3,
	    "text-007c", "runs apart are sentences apart, words between them or not");
	st = an("rhythm don't 42");
	tap_ok(st.words == 3 && st.syllables == 3,
	    "text-008", "a word without vowels has one syllable; apostrophes join");
	st = an("  ?! ");
	tap_ok(st.words == 0 && st.sentences == 0 && ft_text_fre(&st) == 0,
	    "text-009", "no words: no words, no sentences, FRE 0");
	tap_ok(st.embedding[0] == 0 && st.embedding[7] == 0,
	    "text-010", "no words: a zero embedding");

	st = an("The API server and the api database; Api function. APIs");
	tap_ok(st.domain[2] == 6 && st.domain[0] == 0 && st.domain[1] == 0,
	    "text-011", "domain hits: API in any case, whole words only");
	st = an("Patient diagnosis: the plaintiff's contract, a medical statute");
	tap_ok(st.domain[0] == 3 && st.domain[1] == 2 && st.domain[2] == 0,
	    "text-012", "domain hits: 3 medical, 2 legal");

	st = an("h\xc3\xa9llo \xe4\xbd\xa0!");
	tap_ok(st.codepoints == 8,
	    "text-013", "code points, not bytes: 'h\xc3\xa9llo \xe4\xbd\xa0!' has 8");

	/* ---- REQ_006: the language by the script of most letters ---------- */
	/* Han 4 of 4 */
	lang_is("text-014", "pure Han is zh",
	    "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c", "zh");	/* 你好世界 */
	/* Hiragana 5 of 5 */
	lang_is("text-015", "pure Kana is ja",
	    "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf", "ja");	/* こんにちは */
	/* Han 3, Hiragana 1, Katakana 4: Kana + Han 8 of 8 */
	lang_is("text-016", "Han with Hiragana and Katakana is ja",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88", "ja");	/* 日本語のテキスト */
	/* Hangul 5 of 5 */
	lang_is("text-017", "pure Hangul is ko",
	    "\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94", "ko");	/* 안녕하세요 */
	/* Cyrillic 9 of 9 */
	lang_is("text-018", "Cyrillic is ru",
	    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80", "ru");	/* привет мир */
	/* Arabic 5 of 5 */
	lang_is("text-019", "Arabic is ar",
	    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", "ar");	/* مرحبا */
	/* Hebrew 4 of 4 */
	lang_is("text-020", "Hebrew is he",
	    "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "he");	/* שלום */
	/* Greek 4 of 4 */
	lang_is("text-021", "Greek is el",
	    "\xce\xb3\xce\xb5\xce\xb9\xce\xac", "el");	/* γειά */
	/* Latin 10 of 10: many languages */
	lang_is("text-022", "Latin is und", "hello world", "und");
	/* Latin 12, Cyrillic 6 of 18: no majority */
	lang_is("text-023", "Latin 12 and Cyrillic 6: no majority, und",
	    "Fix \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 now please", "und");
	/* digits and '.' are Nd and Po: no letters at all */
	lang_is("text-024", "no letters is und", "1234 ...", "und");

	/* Georgian 16, Cyrillic 6 of 22: Georgian holds the majority, unlisted */
	lang_is("text-025", "Georgian with a little Russian is und",
	    "\xe1\x83\x92\xe1\x83\x90\xe1\x83\x9b\xe1\x83\x90\xe1\x83\xa0\xe1\x83\xaf\xe1\x83\x9d\xe1\x83\x91\xe1\x83\x90 \xe1\x83\x9b\xe1\x83\xa1\xe1\x83\x9d\xe1\x83\xa4\xe1\x83\x9a\xe1\x83\x98\xe1\x83\x9d \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "und");	/* გამარჯობა მსოფლიო привет */
	/*
	 * Bengali 16 (vowel signs U+09BF, U+09BE Mc, U+0982 Mc, U+09BC Mn
	 * included, all of script Bengali), Devanagari 6 (virama U+094D Mn
	 * and vowel sign U+0947 Mn are Devanagari) of 22.
	 */
	lang_is("text-026", "Bengali with one Hindi word is und",
	    "\xe0\xa6\x86\xe0\xa6\xae\xe0\xa6\xbf \xe0\xa6\xac\xe0\xa6\xbe\xe0\xa6\x82\xe0\xa6\xb2\xe0\xa6\xbe\xe0\xa6\xaf\xe0\xa6\xbc \xe0\xa6\x97\xe0\xa6\xbe\xe0\xa6\xa8 \xe0\xa6\x97\xe0\xa6\xbe\xe0\xa6\x87 \xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87", "und");	/* আমি বাংলায় গান গাই नमस्ते */
	/* Han 6, Hiragana 1 of 7: any Kana makes Han count as ja */
	lang_is("text-027", "Han with one Kana is ja",
	    "\xe6\x9d\xb1\xe4\xba\xac\xe5\xa4\xa7\xe5\xad\xa6\xe3\x81\xae\xe5\xad\xa6\xe7\x94\x9f", "ja");	/* 東京大学の学生 */
	/* Han 4, Hangul 2 of 6: any Hangul makes Han count as ko */
	lang_is("text-028", "Han with Hangul is ko",
	    "\xe5\xa4\xa7\xe9\x9f\x93\xe6\xb0\x91\xe5\x9c\x8b \xeb\xa7\x8c\xec\x84\xb8", "ko");	/* 大韓民國 만세 */
	/* Han 7 of 7 */
	lang_is("text-029", "pure Han (simplified) is zh",
	    "\xe4\xb8\xad\xe5\x8d\x8e\xe4\xba\xba\xe6\xb0\x91\xe5\x85\xb1\xe5\x92\x8c\xe5\x9b\xbd", "zh");	/* 中华人民共和国 */
	/* Cyrillic 12 of 12 */
	lang_is("text-030", "Cyrillic is ru (2)",
	    "\xd0\xb7\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82\xd0\xb2\xd1\x83\xd0\xb9\xd1\x82\xd0\xb5", "ru");	/* здравствуйте */
	/*
	 * Arabic 5 of 9: the harakat U+064E (twice), U+0652, U+064B are Mn of
	 * script Inherited, 4 in the total only; 5 > 9/2.
	 */
	lang_is("text-031", "Arabic with harakat (Inherited marks) is ar",
	    "\xd9\x85\xd9\x8e\xd8\xb1\xd9\x92\xd8\xad\xd9\x8e\xd8\xa8\xd9\x8b\xd8\xa7", "ar");	/* مَرْحَبًا */
	/* Hebrew 9 of 9 */
	lang_is("text-032", "Hebrew is he (2)",
	    "\xd7\xa2\xd7\x91\xd7\xa8\xd7\x99\xd7\xaa \xd7\x98\xd7\xa7\xd7\xa1\xd7\x98", "he");	/* עברית טקסט */
	/* Greek 15 of 15 */
	lang_is("text-033", "Greek is el (2)",
	    "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac \xce\xba\xce\xb5\xce\xaf\xce\xbc\xce\xb5\xce\xbd\xce\xbf", "el");	/* Ελληνικά κείμενο */
	/* Thai 10 of 10 (U+0E31, U+0E35 are Mn of script Thai) */
	lang_is("text-034", "Thai is th",
	    "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94\xe0\xb8\xb5\xe0\xb8\x84\xe0\xb8\xa3\xe0\xb8\xb1\xe0\xb8\x9a", "th");	/* สวัสดีครับ */
	/* Devanagari 12 of 12 (U+094D Mn, U+093F, U+093E Mc: Devanagari) */
	lang_is("text-035", "Devanagari is hi",
	    "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87 \xe0\xa4\xa6\xe0\xa5\x81\xe0\xa4\xa8\xe0\xa4\xbf\xe0\xa4\xaf\xe0\xa4\xbe", "hi");	/* नमस्ते दुनिया */
	/* Latin 15 of 15, precomposed accents (Ll, Latin) included */
	lang_is("text-036", "accented Latin is und",
	    "caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e", "und");	/* café crème brûlée */
	/* Cyrillic 6, U+0301 (Mn, Inherited) 1 of 7 */
	lang_is("text-037", "a combining accent changes the total, not the winner",
	    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xcc\x81\xd1\x82", "ru");	/* приве́т */
	/* Cyrillic 3 of 7: four U+0301 (Mn, Inherited); 3 is not > 7/2 */
	lang_is("text-038", "3 Cyrillic letters and 4 Inherited marks: no majority, und",
	    "\xd0\xbf\xcc\x81\xd1\x80\xcc\x81\xd0\xb8\xcc\x81\xcc\x81", "und");	/* п́р́и́́ */
	/* Cyrillic 3, U+20DD (Me, Inherited) 1 of 4 */
	lang_is("text-039", "an enclosing mark counts in the total only",
	    "\xd0\xbf\xd1\x80\xd0\xb8\xe2\x83\x9d", "ru");	/* при⃝ */
	/* Cyrillic 3 of 3: digits (Nd) and punctuation (Po) are no letters */
	lang_is("text-040", "digits and punctuation do not count",
	    "\xd0\xbf\xd1\x80\xd0\xb8 12, 34!", "ru");	/* при 12, 34! */
	/* Katakana 2, Hiragana 2, Han 1, U+30FC (Lm, Common) 2: Kana + Han 5 of 7 */
	lang_is("text-041", "U+30FC (Lm, Common) changes the total, not the winner",
	    "\xe3\x82\xb3\xe3\x83\xbc\xe3\x83\x92\xe3\x83\xbc\xe3\x82\x92\xe9\xa3\xb2\xe3\x82\x80", "ja");	/* コーヒーを飲む */
	/* Katakana 2, U+30FC (Lm, Common) 2: Kana 2 is not > 4/2 */
	lang_is("text-042", "Common letters make the majority fail: U+30FC twice in 4",
	    "\xe3\x82\xb3\xe3\x83\xbc\xe3\x83\x92\xe3\x83\xbc", "und");	/* コーヒー */
	/* Cyrillic 3, U+30FC (Lm, Common) 4 of 7 */
	lang_is("text-043", "3 Cyrillic letters and 4 Common letters: und",
	    "\xd0\xbf\xd1\x80\xd0\xb8\xe3\x83\xbc\xe3\x83\xbc\xe3\x83\xbc\xe3\x83\xbc", "und");	/* приーーーー */
	/* Georgian 9 of 9: an unlisted script wins and names no language */
	lang_is("text-044", "pure Georgian is und",
	    "\xe1\x83\x92\xe1\x83\x90\xe1\x83\x9b\xe1\x83\x90\xe1\x83\xa0\xe1\x83\xaf\xe1\x83\x9d\xe1\x83\x91\xe1\x83\x90", "und");	/* გამარჯობა */
	/*
	 * Bytes that are not UTF-8 decode as U+0080..U+00FF: 0xFF alone is
	 * U+00FF (Ll, Latin), 0xD7 before a non-continuation byte is U+00D7
	 * (Sm, Common: no letter).  Cyrillic 3, Latin 4 of 7; Cyrillic 3 of 3.
	 */
	lang_is("text-045", "invalid bytes 0xFF are U+00FF, a Latin letter",
	    "\xd0\xbf\xd1\x80\xd0\xb8\xff\xff\xff\xff", "und");
	lang_is("text-046", "invalid bytes 0xD7 are U+00D7, no letter",
	    "\xd0\xbf\xd1\x80\xd0\xb8\xd7\xd7\xd7", "ru");
	lang_is("text-047", "empty text is und", "", "und");

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
		tap_ok(ok, "text-048",
		    "DRV_001 of 'the quick brown fox' is (1,0,0,1,2,0,-2,-1)/sqrt(11)");
		st = an("The QUICK, brown... fox");
		ok = 1;
		for (int k = 0; k < 8; k++)
			ok &= near(st.embedding[k], want[k] / sqrt(11.0));
		tap_ok(ok, "text-049",
		    "DRV_001: case and punctuation between words do not change it");
	}

	return tap_done();
}
