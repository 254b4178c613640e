/*
 * text.c - the one tokeniser behind every text feature (SPEC 4): words,
 * sentences, syllables, code points, domain-word hits, the dominant script
 * and the hashed word/bigram embedding, all in a single pass over a prompt.
 *
 * A word is a maximal run of ASCII letters, ASCII digits, apostrophes or
 * bytes >= 0x80, lowercased (ASCII only).  A sentence is a run of words
 * ended by a maximal run of '.', '!' or '?', or by the end of the text, so
 * there is at least one sentence when there are words.  The syllables of a
 * word are its maximal runs of a, e, i, o, u, y, at least 1.
 */
#include "feat-private.h"

#include <math.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

enum script {
	S_LATIN, S_HAN, S_KANA, S_HANGUL, S_CYRILLIC, S_ARABIC, S_HEBREW,
	S_GREEK, S_THAI, S_DEVANAGARI, NSCRIPTS, S_NONE = NSCRIPTS
};

static enum script
script_of(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
	    (c >= 0x1E00 && c <= 0x1EFF))
		return S_LATIN;
	if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	    (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF))
		return S_HAN;
	if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
	    (c >= 0xFF66 && c <= 0xFF9F))
		return S_KANA;
	if ((c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) ||
	    (c >= 0x3130 && c <= 0x318F))
		return S_HANGUL;
	if (c >= 0x0400 && c <= 0x052F)
		return S_CYRILLIC;
	if ((c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) ||
	    (c >= 0x08A0 && c <= 0x08FF) || (c >= 0xFB50 && c <= 0xFDFF) ||
	    (c >= 0xFE70 && c <= 0xFEFF))
		return S_ARABIC;
	if (c >= 0x0590 && c <= 0x05FF)
		return S_HEBREW;
	if ((c >= 0x0370 && c <= 0x03FF) || (c >= 0x1F00 && c <= 0x1FFF))
		return S_GREEK;
	if (c >= 0x0E00 && c <= 0x0E7F)
		return S_THAI;
	if (c >= 0x0900 && c <= 0x097F)
		return S_DEVANAGARI;
	return S_NONE;
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
	size_t counts[NSCRIPTS] = { 0 };
	size_t letters = 0, i = 0;
	uint64_t prev = 0;		/* FNV state after the previous word */
	int have_prev = 0, words_since_stop = 0;
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
						counts[S_LATIN]++;
						letters++;
					}
				} else if ((b & 0xC0) != 0x80) {
					uint32_t cp;
					enum script sc;

					ft_utf8_decode(s + i, n - i, &cp);
					st->codepoints++;
					sc = script_of(cp);
					if (sc != S_NONE) {
						counts[sc]++;
						letters++;
					}
				}
			}
			st->words++;
			st->syllables += syl ? syl : 1;
			words_since_stop = 1;
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
			if (words_since_stop)
				st->sentences++;
			words_since_stop = 0;
			continue;
		}
		/* Any other byte: ASCII punctuation or space. */
		st->codepoints++;
		i++;
	}
	if (words_since_stop)
		st->sentences++;

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
	 * The language guess: the script holding more than half of the
	 * letters, when it names one language.  Japanese mixes kana with
	 * Han, Korean may mix hanja with hangul.
	 */
	const char *lang = "und";
	size_t han = counts[S_HAN], kana = counts[S_KANA];

	if (letters > 0) {
		if (kana > 0 && 2 * (kana + han) > letters)
			lang = "ja";
		else if (counts[S_HANGUL] > 0 &&
		    2 * (counts[S_HANGUL] + han) > letters)
			lang = "ko";
		else if (2 * han > letters)
			lang = "zh";
		else if (2 * counts[S_CYRILLIC] > letters)
			lang = "ru";
		else if (2 * counts[S_ARABIC] > letters)
			lang = "ar";
		else if (2 * counts[S_HEBREW] > letters)
			lang = "he";
		else if (2 * counts[S_GREEK] > letters)
			lang = "el";
		else if (2 * counts[S_THAI] > letters)
			lang = "th";
		else if (2 * counts[S_DEVANAGARI] > letters)
			lang = "hi";
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
