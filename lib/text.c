/*
 * text.c - the one tokeniser behind every text feature (SPEC 4): words,
 * sentences, syllables, code points, domain-word hits, the dominant script
 * and the hashed word/bigram embedding, all in a single pass over a prompt.
 *
 * A word is a maximal run of ASCII letters, ASCII digits, apostrophes or
 * bytes >= 0x80, lowercased (ASCII only).  Sentences are counted as SPEC
 * words them: each maximal run of '.', '!' or '?' ends one, and there is
 * one when there are words and no such run (text after the last run ends
 * no sentence: "Hello. World" is one).  The syllables of a
 * word are its maximal runs of a, e, i, o, u, y, at least 1.
 *
 * The letters of REQ_006 are the code points of Unicode general category L
 * or M, each counted for its Unicode Script property, both taken from ICU
 * (u_charType, uscript_getScript), never from hand-written ranges.  ASCII
 * letters are Latin and counted inline; every other code point of the text
 * lies inside a word (bytes >= 0x80 are word bytes) and costs one lookup of
 * each.  Every script is counted, so an unlisted one (Georgian, Bengali)
 * can hold the majority and make the guess "und".  Bytes that are not UTF-8
 * stand for U+0080..U+00FF, as ft_utf8_decode decodes them.
 */
#include "feat-private.h"

#include <math.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/*
 * Hiragana and Katakana count as one script, Kana: its count is kept under
 * USCRIPT_KATAKANA_OR_HIRAGANA, a code the Script property never takes.
 */
#define S_KANA USCRIPT_KATAKANA_OR_HIRAGANA

/* Whether general category t (u_charType) is L* or M*. */
static int
letter_or_mark(int8_t t)
{
	return (t >= U_UPPERCASE_LETTER && t <= U_OTHER_LETTER) ||
	    t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK ||
	    t == U_COMBINING_SPACING_MARK;
}

/* Domain lists of REQ_007: medical, legal, technical. */
static int
domain_of(const char *w, size_t n)
{
#define W(s, d) { s, sizeof(s) - 1, d }
	static const struct {
		const char *word;
		size_t len;
		int domain;
	} words[] = {
		W("patient", 0), W("diagnosis", 0), W("treatment", 0),
		W("symptoms", 0), W("medical", 0),
		W("contract", 1), W("plaintiff", 1), W("defendant", 1),
		W("statute", 1), W("liability", 1),
		W("algorithm", 2), W("function", 2), W("database", 2),
		W("server", 2), W("api", 2),
	};
#undef W

	if (n < 3 || n > 9)
		return -1;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (words[i].len == n && words[i].word[0] == w[0] &&
		    memcmp(words[i].word, w, n) == 0)
			return words[i].domain;
	return -1;
}

static int
word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '\'' || c >= 0x80;
}

static int
vowel(unsigned char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' ||
	    c == 'y';
}

/* Adds a unigram or bigram hash to the embedding. */
static void
embed(double *v, uint64_t h)
{
	v[h % 8] += (h >> 63) ? -1.0 : 1.0;
}

void
ft_text_analyse(const char *text, size_t n, struct ft_text_stats *st)
{
	const unsigned char *s = (const unsigned char *)text;
	/* letters per script; Common and Inherited ones only in letters */
	size_t counts[USCRIPT_CODE_LIMIT] = { 0 };
	size_t letters = 0, i = 0;
	uint64_t prev = 0;		/* FNV state after the previous word */
	int have_prev = 0;
	char w[64];			/* the current word, lowercased, for lists */

	memset(st, 0, sizeof *st);
	while (i < n) {
		unsigned char c = s[i];

		if (word_byte(c)) {
			size_t wl = 0;
			uint64_t h = FNV_OFFSET, hb = 0;
			int in_vowel = 0;
			size_t syl = 0;

			if (have_prev) {
				hb = (prev ^ ' ') * FNV_PRIME;
			}
			for (; i < n && word_byte(s[i]); i++) {
				unsigned char b = s[i];

				if (b >= 'A' && b <= 'Z')
					b = (unsigned char)(b + 32);
				h = (h ^ b) * FNV_PRIME;
				if (have_prev)
					hb = (hb ^ b) * FNV_PRIME;
				if (vowel(b)) {
					if (!in_vowel)
						syl++;
					in_vowel = 1;
				} else
					in_vowel = 0;
				if (wl < sizeof w)
					w[wl] = (char)b;
				wl++;
				/* Code points and scripts: ASCII inline. */
				if (b < 0x80) {
					st->codepoints++;
					if (b >= 'a' && b <= 'z') {
						counts[USCRIPT_LATIN]++;
						letters++;
					}
				} else if ((b & 0xC0) != 0x80) {
					uint32_t cp;

					ft_utf8_decode(s + i, n - i, &cp);
					st->codepoints++;
					if (letter_or_mark(u_charType((UChar32)cp))) {
						UErrorCode e = U_ZERO_ERROR;
						UScriptCode sc = uscript_getScript(
						    (UChar32)cp, &e);

						letters++;
						if (sc == USCRIPT_HIRAGANA ||
						    sc == USCRIPT_KATAKANA)
							sc = S_KANA;
						/* A script newer than this
						   header can only be unlisted:
						   it counts in letters alone. */
						if (U_SUCCESS(e) &&
						    sc > USCRIPT_INHERITED &&
						    sc < USCRIPT_CODE_LIMIT)
							counts[sc]++;
					}
				}
			}
			st->words++;
			st->syllables += syl ? syl : 1;
			if (wl <= sizeof w) {
				int d = domain_of(w, wl);

				if (d >= 0)
					st->domain[d]++;
			}
			embed(st->embedding, h);
			if (have_prev)
				embed(st->embedding, hb);
			prev = h;
			have_prev = 1;
			continue;
		}
		if (c == '.' || c == '!' || c == '?') {
			while (i < n && (s[i] == '.' || s[i] == '!' ||
			    s[i] == '?')) {
				i++;
				st->codepoints++;
			}
			st->sentences++;
			continue;
		}
		/* Any other byte: ASCII punctuation or space. */
		st->codepoints++;
		i++;
	}
	if (st->words == 0)
		st->sentences = 0;	/* no words, no sentences (FRE 0) */
	else if (st->sentences == 0)
		st->sentences = 1;

	/* L2-normalise the embedding; zero when there are no words. */
	double norm = 0;

	for (int k = 0; k < 8; k++)
		norm += st->embedding[k] * st->embedding[k];
	if (norm > 0) {
		norm = sqrt(norm);
		for (int k = 0; k < 8; k++)
			st->embedding[k] /= norm;
	}

	/*
	 * The language guess (REQ_006): the script holding more than half of
	 * the letters, when it names one language.  The total counts every
	 * letter or mark, those of Common and Inherited script too (U+30FC,
	 * combining accents); every other script competes, Latin and unlisted
	 * ones included, which then give "und".  Japanese mixes Kana with Han
	 * (any Kana: Han and Kana together), Korean may mix hanja with Hangul
	 * (any Hangul: Han and Hangul together); Japanese is tried first.
	 */
	static const struct {
		UScriptCode script;
		const char *lang;
	} named[] = {
		{ USCRIPT_HAN, "zh" }, { USCRIPT_CYRILLIC, "ru" },
		{ USCRIPT_ARABIC, "ar" }, { USCRIPT_HEBREW, "he" },
		{ USCRIPT_GREEK, "el" }, { USCRIPT_THAI, "th" },
		{ USCRIPT_DEVANAGARI, "hi" },
	};
	const char *lang = "und";
	size_t han = counts[USCRIPT_HAN], kana = counts[S_KANA];
	size_t hangul = counts[USCRIPT_HANGUL];

	if (kana > 0 && 2 * (kana + han) > letters)
		lang = "ja";
	else if (hangul > 0 && 2 * (hangul + han) > letters)
		lang = "ko";
	else {
		/* At most one script holds more than half; if it is none of
		   these (Latin, Georgian, ...), the guess stays "und". */
		for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
			if (2 * counts[named[k].script] > letters) {
				lang = named[k].lang;
				break;
			}
	}
	memcpy(st->language, lang, strlen(lang) + 1);
}

double
ft_text_fre(const struct ft_text_stats *st)
{
	if (st->words == 0)
		return 0;
	return 206.835 - 1.015 * (double)st->words / (double)st->sentences -
	    84.6 * (double)st->syllables / (double)st->words;
}
