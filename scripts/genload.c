/*
 * genload.c - the deterministic workload generator behind scripts/bench
 * (BENCH.md, "Workload"): synthetic LLM gateway logs as NDJSON on stdout.
 *
 * The same arguments give the same bytes on every machine: the generator
 * has its own PRNG (xoshiro256** seeded by splitmix64), its own log() and
 * exp() built from + - * / only (libm's differ in the last bit between
 * versions and architectures), no contracted multiply-adds, and prints
 * numbers from integers (fixed decimals), never through printf's floating
 * point.  Requests and feedback are drawn identically whatever --names
 * says, so the canonical and the LiteLLM files describe the same calls.
 *
 * What is in the stream (defaults: 1,000,000 events, seed 42):
 *  - Poisson arrivals at 50 events/s of event time (exponential gaps,
 *    microsecond resolution) from --start;
 *  - 10% feedback events about one of the last 4096 requests (same session
 *    and user; always in canonical names), 90% requests;
 *  - 6 models of 5 providers with the prices of genai-prices (cost_usd is
 *    exact), per-model lognormal latency (median below), lognormal output
 *    tokens correlated with latency, TTFT;
 *  - 2% errors (status error, an error message; about a third contain
 *    "timeout" and take 30 or 60 s), no output tokens and no cost;
 *  - 5% of requests carry "retries" (1 to 3; canonical names only);
 *  - 2,000 concurrent session slots; a session ends after a request with
 *    probability 1/50, so 1M events hold ~20,000 sessions of 5,000 users;
 *    a session prefers one model;
 *  - prompts of 3..60 words from built-in general, medical, legal,
 *    technical and finance word lists, some with a "\n" (6%), a quoted
 *    word (4%) or a non-ASCII word (~8%); a canonical line averages ~450
 *    bytes.
 *
 * Exactness needs IEEE-754 doubles evaluated in double precision (x86-64,
 * aarch64 and the like; not the i387 unit).
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define PROGNAME "genload"

#define EVENTS_PER_SEC	50.0
#define FEEDBACK_SHARE	0.10
#define ERROR_SHARE	0.02
#define RETRY_SHARE	0.05	/* requests that were retried 1-3 times */
#define N_USERS		5000u
#define N_SLOTS		2000u	/* concurrent sessions */
#define SESSION_END	0.02	/* chance a request ends its session */
#define MODEL_STICK	0.80	/* chance a request uses the session's model */
#define RECENT		4096u	/* feedback picks among the last requests */
#define LINE_MAX_BYTES	4096

static const char usage_text[] =
    "usage: genload [-n EVENTS] [-s SEED] [--names canonical|litellm]\n"
    "               [--start RFC3339]\n";

static void
usage(int status)
{
	if (status != 0) {
		fprintf(stderr, "Try '%s --help' for more information.\n",
		    PROGNAME);
		exit(2);
	}
	fputs(usage_text, stdout);
	fputs("\n"
	    "Write a deterministic synthetic LLM request log as NDJSON to "
	    "stdout.\n\n"
	    "  -n, --events N     number of events (default 1000000)\n"
	    "  -s, --seed N       PRNG seed (default 42)\n"
	    "      --names KIND   canonical (feat's names, default) or "
	    "litellm\n"
	    "                     (LiteLLM spend-log rows; feedback stays "
	    "canonical)\n"
	    "      --start TIME   event time of the first gap's origin\n"
	    "                     (default 2024-11-16T00:00:00Z)\n"
	    "  -h, --help         print this help and exit\n", stdout);
	exit(0);
}

static void
die(const char *msg, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "%s: %s '%s'\n", PROGNAME, msg, arg);
	else
		fprintf(stderr, "%s: %s\n", PROGNAME, msg);
	exit(2);
}

/* ---- random numbers ------------------------------------------------ */

static uint64_t rng_s[4];

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A bijection of 64-bit integers (splitmix64's finaliser): unique ids. */
static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A bijection of 32-bit integers (Wellons' lowbias32): unique ids. */
static uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rnd(void)
{
	uint64_t r = rotl(rng_s[1] * 5, 7) * 9;
	uint64_t t = rng_s[1] << 17;

	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return r;
}

/* Uniform in [0, 1), 53 bits. */
static double
unif(void)
{
	return (double)(rnd() >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the tiny
 * bias is irrelevant here and the result is exact and portable). */
static uint32_t
below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

static int
chance(double p)
{
	return unif() < p;
}

/*
 * Portable log and exp.  Only correctly rounded IEEE operations, frexp and
 * ldexp (exact) are used, so every machine computes the same bits.  They
 * are accurate to a few ulp, far beyond what a workload needs.
 */
static double
xlog(double x)
{
	int e;
	double m = frexp(x, &e), s, s2, p;

	if (m < 0.70710678118654752440) {
		m *= 2.0;
		e--;
	}
	s = (m - 1.0) / (m + 1.0);	/* |s| <= 0.1716 */
	s2 = s * s;
	p = 1.0 / 21;
	p = p * s2 + 1.0 / 19;
	p = p * s2 + 1.0 / 17;
	p = p * s2 + 1.0 / 15;
	p = p * s2 + 1.0 / 13;
	p = p * s2 + 1.0 / 11;
	p = p * s2 + 1.0 / 9;
	p = p * s2 + 1.0 / 7;
	p = p * s2 + 1.0 / 5;
	p = p * s2 + 1.0 / 3;
	p = p * s2 + 1.0;
	return (double)e * 0.69314718055994530942 + 2.0 * s * p;
}

static double
xexp(double x)
{
	static const double ln2_hi = 6.93147180369123816490e-01;
	static const double ln2_lo = 1.90821492927058770002e-10;
	double k, r, p;
	int i;

	if (x > 700.0)
		x = 700.0;
	if (x < -700.0)
		x = -700.0;
	k = floor(x * 1.44269504088896340736 + 0.5);
	r = (x - k * ln2_hi) - k * ln2_lo;	/* |r| <= 0.35 */
	p = 1.0;
	for (i = 15; i >= 1; i--)
		p = 1.0 + p * r / i;
	return ldexp(p, (int)k);
}

/* Standard normal, Marsaglia's polar method (no trigonometry). */
static double
normal(void)
{
	static int have;
	static double spare;
	double u, v, s, f;

	if (have) {
		have = 0;
		return spare;
	}
	do {
		u = 2.0 * unif() - 1.0;
		v = 2.0 * unif() - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	f = sqrt(-2.0 * xlog(s) / s);
	spare = v * f;
	have = 1;
	return u * f;
}

static double
lognormal(double median, double sigma, double z)
{
	return median * xexp(sigma * z);
}

/* Exponential with the given mean. */
static double
expo(double mean)
{
	return -xlog(1.0 - unif()) * mean;
}

/* ---- the world: models, users, words ------------------------------- */

struct model {
	const char *name;
	const char *provider;		/* canonical (genai-prices id) */
	const char *litellm_provider;	/* LiteLLM's custom_llm_provider */
	double weight;
	double lat_median, lat_sigma;	/* latency_ms */
	double ttft_median;		/* ms */
	double out_median;		/* output tokens */
	double quality;			/* mean feedback rating */
	int64_t price_in, price_out;	/* 1e-8 USD per token (genai-prices) */
};

static const struct model models[] = {
	{ "gpt-4o", "openai", "openai", 0.22,
	    1800, 0.55, 450, 320, 4.1, 250, 1000 },
	{ "gpt-4o-mini", "openai", "openai", 0.30,
	    950, 0.50, 300, 280, 3.7, 15, 60 },
	{ "claude-3-5-sonnet-20241022", "anthropic", "anthropic", 0.18,
	    2400, 0.55, 700, 380, 4.2, 300, 1500 },
	{ "claude-3-5-haiku-20241022", "anthropic", "anthropic", 0.12,
	    1200, 0.50, 400, 250, 3.8, 80, 400 },
	{ "gemini-1.5-pro", "google", "gemini", 0.08,
	    2000, 0.60, 600, 300, 3.9, 125, 500 },
	{ "meta-llama/llama-3.1-70b-instruct", "novita", "novita", 0.10,
	    1500, 0.65, 350, 260, 3.6, 34, 39 },
};
#define N_MODELS (sizeof(models) / sizeof(models[0]))

struct errkind {
	const char *msg;
	double weight;
	int timeout_ms;		/* 0: fails fast */
};

static const struct errkind errkinds[] = {
	{ "APITimeoutError: request timeout after 30000 ms", 0.20, 30000 },
	{ "upstream timeout: no response within 60 s", 0.13, 60000 },
	{ "RateLimitError: rate limit exceeded (429)", 0.27, 0 },
	{ "InternalServerError: internal server error (500)", 0.17, 0 },
	{ "ServiceUnavailableError: model overloaded (503)", 0.13, 0 },
	{ "BadRequestError: maximum context length exceeded", 0.10, 0 },
};
#define N_ERRKINDS (sizeof(errkinds) / sizeof(errkinds[0]))

static const char *const task_types[] = {
	"chat", "code", "summarization", "qa", "extraction", "translation",
	"classification", "creative_writing",
};
static const double task_weights[] = {
	0.30, 0.18, 0.12, 0.14, 0.08, 0.06, 0.05, 0.07,
};
#define N_TASKS (sizeof(task_types) / sizeof(task_types[0]))

/* The first word of a prompt, by task type. */
static const char *const leads[N_TASKS][3] = {
	{ "Hi", "Hello", "Please" },
	{ "Fix", "Refactor", "Implement" },
	{ "Summarize", "Condense", "Outline" },
	{ "Explain", "What", "Why" },
	{ "Extract", "List", "Find" },
	{ "Translate", "Rephrase", "Convert" },
	{ "Classify", "Label", "Categorize" },
	{ "Write", "Draft", "Compose" },
};

static const char *const tiers[] = { "free", "pro", "enterprise" };

/* Prompt words by domain (ASCII; see w_utf8 for the rest). */
static const char *const w_general[] = {
	"the", "a", "of", "to", "and", "in", "for", "with", "on", "is", "this",
	"that", "my", "our", "your", "it", "from", "about", "how", "what",
	"please", "can", "you", "me", "help", "write", "short", "long",
	"simple", "clear", "detailed", "example", "list", "table", "step",
	"steps", "best", "way", "good", "new", "old", "first", "next", "last",
	"time", "day", "week", "team", "customer", "email", "report", "plan",
	"idea", "ideas", "question", "answer", "summary", "text", "document",
	"article", "story", "letter", "message", "version", "draft", "review",
	"check", "improve", "explain", "compare", "difference", "between",
	"should", "would", "could", "make", "use", "using", "into", "more",
	"less", "than", "also", "only", "some", "all", "each", "other",
	"people", "project", "meeting", "notes", "tone", "friendly", "formal",
	"english", "french", "german", "spanish", "language", "words",
	"sentence", "paragraph", "points", "key", "main", "important",
};
/* Rare words in UTF-8 (2-, 3- and 4-byte forms): ~8% of prompts. */
static const char *const w_utf8[] = {
	"caf\xc3\xa9", "na\xc3\xafve", "r\xc3\xa9sum\xc3\xa9",
	"Z\xc3\xbcrich", "\xe6\x9d\xb1\xe4\xba\xac", "\xf0\x9f\x99\x82",
};
static const char *const w_medical[] = {
	"patient", "diagnosis", "symptoms", "treatment", "dosage",
	"medication", "clinical", "chronic", "acute", "blood", "pressure",
	"diabetes", "insulin", "cardiac", "therapy", "prescription", "allergy",
	"surgery", "nurse", "doctor", "hospital", "discharge", "lab",
	"results", "mri", "radiology", "oncology", "pediatric", "vaccine",
	"infection",
};
static const char *const w_legal[] = {
	"contract", "clause", "liability", "agreement", "court", "plaintiff",
	"defendant", "statute", "compliance", "gdpr", "license", "warranty",
	"indemnity", "jurisdiction", "lawsuit", "attorney", "settlement",
	"regulation", "policy", "terms", "breach", "arbitration", "patent",
	"trademark", "copyright", "nda", "lease", "tenant", "employer",
	"termination",
};
static const char *const w_tech[] = {
	"algorithm", "api", "function", "database", "query", "sql", "python",
	"rust", "c", "javascript", "kubernetes", "docker", "latency", "cache",
	"server", "client", "endpoint", "json", "schema", "bug", "error",
	"stack", "trace", "thread", "memory", "pointer", "compiler", "linux",
	"deploy", "pipeline", "regex", "unit", "test", "http", "redis",
	"postgres", "index", "loop", "array", "struct",
};
static const char *const w_finance[] = {
	"invoice", "budget", "revenue", "forecast", "tax", "payroll",
	"expense", "profit", "margin", "quarterly", "audit", "ledger",
	"account", "bank", "loan", "interest", "portfolio", "stock",
	"pricing", "cost",
};

struct wordlist {
	const char *const *w;
	uint32_t n;
	double weight;		/* share of prompts with this domain */
};

#define WL(a, p) { a, sizeof(a) / sizeof(a[0]), p }
static const struct wordlist domains[] = {
	WL(w_general, 0.50), WL(w_medical, 0.10), WL(w_legal, 0.10),
	WL(w_tech, 0.22), WL(w_finance, 0.08),
};
#define N_DOMAINS (sizeof(domains) / sizeof(domains[0]))

/*
 * Index drawn from n weights that sum to 1 (the last absorbs rounding),
 * the weights being doubles `stride` bytes apart from `first`, so that a
 * weight can live in a table of structs.
 */
static unsigned
pick(const void *first, unsigned n, size_t stride)
{
	const char *p = first;
	double u = unif(), acc = 0.0, w;
	unsigned i;

	for (i = 0; i + 1 < n; i++) {
		memcpy(&w, p + i * stride, sizeof(w));
		acc += w;
		if (u < acc)
			return i;
	}
	return n - 1;
}

#define PICK(arr, field) \
	pick(&(arr)[0]field, sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]))

/* ---- output -------------------------------------------------------- */

struct buf {
	char *p;	/* write position */
};

static void
put(struct buf *b, const char *s, size_t n)
{
	memcpy(b->p, s, n);
	b->p += n;
}

#define PUTLIT(b, lit) put((b), (lit), sizeof(lit) - 1)

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
putc_(struct buf *b, char c)
{
	*b->p++ = c;
}

static void
putu(struct buf *b, uint64_t v)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (i > 0)
		*b->p++ = tmp[--i];
}

/* v with exactly `width` digits, zero-padded. */
static void
putuw(struct buf *b, uint64_t v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		b->p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	b->p += width;
}

static void
puthex(struct buf *b, uint64_t v, int digits)
{
	static const char hx[] = "0123456789abcdef";
	int i;

	for (i = digits - 1; i >= 0; i--) {
		b->p[i] = hx[v & 15];
		v >>= 4;
	}
	b->p += digits;
}

/* A count of tenths as a decimal with one fractional digit. */
static void
puttenths(struct buf *b, int64_t t)
{
	putu(b, (uint64_t)(t / 10));
	putc_(b, '.');
	putc_(b, (char)('0' + t % 10));
}

/* A count of 1e-8 units in shortest fixed decimal form ("0.0041", "0"). */
static void
putcost(struct buf *b, int64_t c)
{
	char frac[8];
	int n = 8;

	putu(b, (uint64_t)(c / 100000000));
	c %= 100000000;
	if (c == 0)
		return;
	for (int i = 7; i >= 0; i--) {
		frac[i] = (char)('0' + c % 10);
		c /= 10;
	}
	while (frac[n - 1] == '0')
		n--;
	putc_(b, '.');
	put(b, frac, (size_t)n);
}

/* Days since 1970-01-01 <-> civil date (Hinnant's algorithms). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/*
 * Time `us` (microseconds since the epoch, years 0..9999) as RFC 3339 in
 * UTC: with milliseconds and "Z" (canonical), or with microseconds and
 * "+00:00" (LiteLLM).
 */
static void
puttime(struct buf *b, int64_t us, int micro)
{
	int64_t days = floordiv(us, 86400000000LL), y;
	int64_t rem = us - days * 86400000000LL;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	putc_(b, '"');
	if (y > 9999)
		putu(b, (uint64_t)y);	/* not RFC 3339; never by default */
	else
		putuw(b, (uint64_t)y, 4);
	putc_(b, '-');
	putuw(b, (uint64_t)m, 2);
	putc_(b, '-');
	putuw(b, (uint64_t)d, 2);
	putc_(b, 'T');
	putuw(b, (uint64_t)(rem / 3600000000LL), 2);
	putc_(b, ':');
	putuw(b, (uint64_t)(rem / 60000000 % 60), 2);
	putc_(b, ':');
	putuw(b, (uint64_t)(rem / 1000000 % 60), 2);
	putc_(b, '.');
	if (micro) {
		putuw(b, (uint64_t)(rem % 1000000), 6);
		PUTLIT(b, "+00:00\"");
	} else {
		putuw(b, (uint64_t)(rem % 1000000 / 1000), 3);
		PUTLIT(b, "Z\"");
	}
}

/* ---- parsing arguments --------------------------------------------- */

static int
digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

/* RFC 3339 (also a space for T and no zone, meaning UTC) to epoch us. */
static int
parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = 100000;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d) ||
	    (*s != 'T' && *s != 't' && *s != ' '))
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &se))
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om))
			return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60 || oh > 23 || om > 59)
		return -1;
	*out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	    sign * (oh * 3600 + om * 60)) * 1000000) + frac;
	return 0;
}

static uint64_t
parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-' || *s == '\0')
		die(what, s);
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		die(what, s);
	return v;
}

/* ---- the generator ------------------------------------------------- */

struct slot {
	uint32_t session;	/* session number */
	uint32_t user;		/* user number */
	uint8_t model;		/* preferred model */
};

struct recent {
	uint64_t rid;		/* request id */
	uint32_t session, user;
	uint8_t model, failed, slow;
};

static uint32_t session_key, user_key;
static uint64_t request_key;

static void
new_session(struct slot *sl, uint32_t number)
{
	uint32_t u;

	sl->session = number;
	/* Half the sessions from a skewed draw: some users are heavy. */
	if (chance(0.5)) {
		u = below(N_USERS);
	} else {
		double x = unif();

		u = (uint32_t)(x * x * N_USERS);
	}
	sl->user = (u * 3119u) % N_USERS;	/* 3119 is prime to 5000 */
	sl->model = (uint8_t)PICK(models, .weight);
}

static void
put_session_user(struct buf *b, uint32_t session, uint32_t user,
    int litellm)
{
	PUTLIT(b, "\"session_id\":\"s-");
	puthex(b, mix32(session ^ session_key), 8);
	if (litellm)
		PUTLIT(b, "\",\"user\":\"u-");
	else
		PUTLIT(b, "\",\"user_id\":\"u-");
	putuw(b, user, 4);
	putc_(b, '"');
}

static unsigned put_prompt_en(struct buf *, unsigned);

/*
 * Prompts in other languages and scripts: 7% of prompts, so that the
 * language feature (REQ_006) sees Han, Kana, Hangul, Cyrillic, Arabic,
 * Hebrew, Greek, Thai and Devanagari as well as Latin.
 */
static const char *const l_zh[] = {
	"\u8bf7", "\u5e2e\u6211", "\u603b\u7ed3", "\u8fd9\u7bc7",
	"\u6587\u7ae0", "\u7684", "\u8981\u70b9", "\u6570\u636e\u5e93",
};
static const char *const l_ja[] = {
	"\u3053\u306e", "\u6587\u7ae0", "\u3092", "\u8981\u7d04",
	"\u3057\u3066", "\u304f\u3060\u3055\u3044", "\u65e5\u672c\u8a9e",
	"\u30b3\u30fc\u30c9",
};
static const char *const l_ko[] = {
	"\uc774", "\ubb38\uc11c\ub97c", "\uc694\uc57d\ud574",
	"\uc8fc\uc138\uc694", "\ucf54\ub4dc", "\uc124\uba85",
};
static const char *const l_ru[] = {
	"\u043f\u043e\u0436\u0430\u043b\u0443\u0439\u0441\u0442\u0430",
	"\u043e\u0431\u044a\u044f\u0441\u043d\u0438",
	"\u043a\u0430\u043a", "\u0440\u0430\u0431\u043e\u0442\u0430\u0435\u0442",
	"\u044d\u0442\u043e\u0442", "\u043a\u043e\u0434",
};
static const char *const l_ar[] = {
	"\u0645\u0646", "\u0641\u0636\u0644\u0643", "\u0644\u062e\u0635",
	"\u0647\u0630\u0627", "\u0627\u0644\u0645\u0642\u0627\u0644",
};
static const char *const l_he[] = {
	"\u05d1\u05d1\u05e7\u05e9\u05d4", "\u05e1\u05db\u05dd",
	"\u05d0\u05ea", "\u05d4\u05de\u05d0\u05de\u05e8", "\u05d4\u05d6\u05d4",
};
static const char *const l_el[] = {
	"\u03c0\u03b1\u03c1\u03b1\u03ba\u03b1\u03bb\u03ce",
	"\u03b5\u03be\u03ae\u03b3\u03b7\u03c3\u03b5", "\u03c0\u03ce\u03c2",
	"\u03bb\u03b5\u03b9\u03c4\u03bf\u03c5\u03c1\u03b3\u03b5\u03af",
};
static const char *const l_th[] = {
	"\u0e0a\u0e48\u0e27\u0e22", "\u0e2a\u0e23\u0e38\u0e1b",
	"\u0e1a\u0e17\u0e04\u0e27\u0e32\u0e21", "\u0e19\u0e35\u0e49",
};
static const char *const l_hi[] = {
	"\u0915\u0943\u092a\u092f\u093e", "\u0907\u0938",
	"\u0932\u0947\u0916", "\u0915\u093e",
	"\u0938\u093e\u0930\u093e\u0902\u0936", "\u0926\u0947\u0902",
};
static const char *const l_fr[] = {
	"bonjour", "pouvez", "vous", "r\u00e9sumer", "ce", "texte", "s'il",
	"vous", "pla\u00eet",
};
static const struct wordlist languages[] = {
	WL(l_zh, 0.20), WL(l_ja, 0.12), WL(l_ko, 0.08), WL(l_ru, 0.12),
	WL(l_ar, 0.08), WL(l_he, 0.05), WL(l_el, 0.05), WL(l_th, 0.05),
	WL(l_hi, 0.10), WL(l_fr, 0.15),
};

/* Writes a prompt as JSON string contents (escaped); returns its words. */
static unsigned
put_prompt(struct buf *b, unsigned task)
{
	if (chance(0.07)) {
		const struct wordlist *l = &languages[PICK(languages, .weight)];
		unsigned n = 3 + below(20), i;

		for (i = 0; i < n; i++) {
			if (i)
				putc_(b, ' ');
			puts_(b, l->w[below(l->n)]);
		}
		putc_(b, '.');
		return n;
	}
	return put_prompt_en(b, task);
}

/* A prompt in English words, with the odd UTF-8 word; returns its words. */
static unsigned
put_prompt_en(struct buf *b, unsigned task)
{
	const struct wordlist *dom = &domains[PICK(domains, .weight)];
	double x = unif();
	unsigned nwords = 3 + (unsigned)(58.0 * x * x * x), i;
	int nl_at = chance(0.06) ? (int)below(nwords) : -1;
	int quote_at = chance(0.04) ? (int)below(nwords) : -1;

	puts_(b, leads[task][below(3)]);
	for (i = 1; i < nwords; i++) {
		const struct wordlist *wl = chance(0.6) ? dom : &domains[0];
		const char *w = chance(0.005) ?
		    w_utf8[below(sizeof(w_utf8) / sizeof(w_utf8[0]))] :
		    wl->w[below(wl->n)];

		if ((int)i == nl_at)
			PUTLIT(b, ".\\n");
		else
			putc_(b, ' ');
		if ((int)i == quote_at) {
			PUTLIT(b, "\\\"");
			puts_(b, w);
			PUTLIT(b, "\\\"");
		} else {
			puts_(b, w);
		}
	}
	putc_(b, task == 3 ? '?' : '.');
	return nwords;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "events", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "names", required_argument, NULL, 'N' },
		{ "start", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t nevents = 1000000, seed = 42, sm, i, nrequests = 0;
	int64_t t_us, start_us;
	int litellm = 0, c;
	uint32_t next_session;
	struct slot *slots;
	struct recent *recent;
	static char outbuf[1 << 20];
	char line[LINE_MAX_BYTES], prompt[LINE_MAX_BYTES / 2];

	if (parse_time("2024-11-16T00:00:00Z", &start_us) != 0)
		abort();
	while ((c = getopt_long(argc, argv, "n:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			nevents = parse_u64(optarg, "invalid event count");
			break;
		case 's':
			seed = parse_u64(optarg, "invalid seed");
			break;
		case 'N':
			if (strcmp(optarg, "canonical") == 0)
				litellm = 0;
			else if (strcmp(optarg, "litellm") == 0)
				litellm = 1;
			else
				die("unknown --names", optarg);
			break;
		case 'S':
			if (parse_time(optarg, &start_us) != 0 ||
			    start_us < 0 || start_us > 253402300799000000LL)
				die("invalid time", optarg);
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected operand '%s'\n", PROGNAME,
		    argv[optind]);
		usage(2);
	}

	sm = seed;
	for (c = 0; c < 4; c++)
		rng_s[c] = splitmix64(&sm);
	request_key = splitmix64(&sm);
	session_key = (uint32_t)splitmix64(&sm);
	user_key = (uint32_t)splitmix64(&sm);

	slots = calloc(N_SLOTS, sizeof(*slots));
	recent = calloc(RECENT, sizeof(*recent));
	if (slots == NULL || recent == NULL)
		die("out of memory", NULL);
	for (next_session = 0; next_session < N_SLOTS; next_session++)
		new_session(&slots[next_session], next_session);

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	t_us = start_us;

	for (i = 0; i < nevents; i++) {
		struct buf b = { line };

		t_us += (int64_t)(expo(1e6 / EVENTS_PER_SEC) + 0.5);

		if (nrequests > 0 && chance(FEEDBACK_SHARE)) {
			uint64_t back = nrequests < RECENT ? nrequests : RECENT;
			const struct recent *r =
			    &recent[(nrequests - 1 - below((uint32_t)back)) %
			    RECENT];
			double q = models[r->model].quality;
			int rating;
			int64_t dwell;

			if (r->failed)
				q = 1.6;
			else if (r->slow)
				q -= 0.6;
			rating = (int)floor(q + 0.9 * normal() + 0.5);
			rating = rating < 1 ? 1 : rating > 5 ? 5 : rating;
			dwell = (int64_t)(lognormal(20.0, 1.0, normal()) *
			    10.0 + 0.5);

			PUTLIT(&b, "{\"ts\":");
			puttime(&b, t_us, 0);
			PUTLIT(&b, ",\"type\":\"feedback\",\"request_id\":"
			    "\"req-");
			puthex(&b, r->rid, 16);
			PUTLIT(&b, "\",");
			put_session_user(&b, r->session, r->user, 0);
			PUTLIT(&b, ",\"model\":\"");
			puts_(&b, models[r->model].name);
			PUTLIT(&b, "\",\"rating\":");
			putu(&b, (uint64_t)rating);
			PUTLIT(&b, ",\"liked\":");
			if (chance(0.05) ? rating < 4 : rating >= 4)
				PUTLIT(&b, "true");
			else
				PUTLIT(&b, "false");
			PUTLIT(&b, ",\"task_completed\":");
			if (chance(0.15 + 0.15 * rating))
				PUTLIT(&b, "true");
			else
				PUTLIT(&b, "false");
			PUTLIT(&b, ",\"response_regenerated\":");
			if (chance(0.45 - 0.08 * rating))
				PUTLIT(&b, "true");
			else
				PUTLIT(&b, "false");
			PUTLIT(&b, ",\"response_copied\":");
			if (chance(0.05 + 0.1 * rating))
				PUTLIT(&b, "true");
			else
				PUTLIT(&b, "false");
			PUTLIT(&b, ",\"follow_up\":");
			if (chance(0.3))
				PUTLIT(&b, "true");
			else
				PUTLIT(&b, "false");
			PUTLIT(&b, ",\"dwell_time_seconds\":");
			puttenths(&b, dwell);
			PUTLIT(&b, "}\n");
		} else {
			struct slot *sl = &slots[below(N_SLOTS)];
			unsigned mi = chance(MODEL_STICK) ? sl->model :
			    PICK(models, .weight);
			const struct model *m = &models[mi];
			unsigned task = PICK(task_weights, );
			uint64_t rid = mix64(nrequests ^ request_key);
			double z_out = normal(), z_ind = normal();
			double z_lat = 0.6 * z_out + 0.8 * z_ind;
			int64_t lat10, ttft10 = 0, in_tok, out_tok, cost;
			int64_t lat_us;
			const struct errkind *err = NULL;
			struct buf pb;
			unsigned nwords;
			uint32_t u = sl->user;
			unsigned tier, prio, retries;
			struct recent *rec = &recent[nrequests % RECENT];

			/* The prompt first: its words set input_tokens. */
			pb.p = prompt;
			nwords = put_prompt(&pb, task);
			in_tok = (int64_t)(nwords * 4 / 3) +
			    (int64_t)(lognormal(250.0, 0.9, normal()) + 0.5);
			out_tok = (int64_t)(lognormal(m->out_median, 0.7,
			    z_out) + 0.5);
			if (out_tok < 1)
				out_tok = 1;
			if (out_tok > 8192)
				out_tok = 8192;
			lat10 = (int64_t)(lognormal(m->lat_median,
			    m->lat_sigma, z_lat) * 10.0 + 0.5);
			if (lat10 < 10)
				lat10 = 10;
			ttft10 = (int64_t)(lognormal(m->ttft_median, 0.5,
			    normal()) * 10.0 + 0.5);
			if (ttft10 > lat10 * 9 / 10)
				ttft10 = lat10 * 9 / 10;
			if (chance(ERROR_SHARE)) {
				err = &errkinds[PICK(errkinds, .weight)];
				out_tok = 0;
				ttft10 = 0;
				if (err->timeout_ms != 0)
					lat10 = (int64_t)err->timeout_ms * 10 +
					    (int64_t)below(2000);
				else
					lat10 = (int64_t)(lognormal(300.0,
					    0.8, normal()) * 10.0 + 0.5);
			}
			cost = err != NULL ? 0 :
			    in_tok * m->price_in + out_tok * m->price_out;
			tier = mix32(u ^ user_key) % 10;
			tier = tier < 6 ? 0 : tier < 9 ? 1 : 2;
			prio = 1 + below(3) + (tier == 2) + (chance(0.05));
			retries = chance(RETRY_SHARE) ? 1 + below(3) : 0;
			lat_us = lat10 * 100;

			if (!litellm) {
				PUTLIT(&b, "{\"ts\":");
				puttime(&b, t_us, 0);
				PUTLIT(&b, ",\"type\":\"request\","
				    "\"request_id\":\"req-");
				puthex(&b, rid, 16);
				PUTLIT(&b, "\",");
				put_session_user(&b, sl->session, u, 0);
				PUTLIT(&b, ",\"model\":\"");
				puts_(&b, m->name);
				PUTLIT(&b, "\",\"provider\":\"");
				puts_(&b, m->provider);
				PUTLIT(&b, "\",\"prompt\":\"");
				put(&b, prompt, (size_t)(pb.p - prompt));
				PUTLIT(&b, "\",\"input_tokens\":");
				putu(&b, (uint64_t)in_tok);
				PUTLIT(&b, ",\"output_tokens\":");
				putu(&b, (uint64_t)out_tok);
				PUTLIT(&b, ",\"latency_ms\":");
				puttenths(&b, lat10);
				if (err == NULL) {
					PUTLIT(&b, ",\"ttft_ms\":");
					puttenths(&b, ttft10);
					PUTLIT(&b, ",\"status\":\"ok\"");
				} else {
					PUTLIT(&b, ",\"status\":\"error\","
					    "\"error\":\"");
					puts_(&b, err->msg);
					putc_(&b, '"');
				}
				PUTLIT(&b, ",\"cost_usd\":");
				putcost(&b, cost);
				if (retries > 0) {
					PUTLIT(&b, ",\"retries\":");
					putu(&b, retries);
				}
				PUTLIT(&b, ",\"priority\":");
				putu(&b, prio);
				PUTLIT(&b, ",\"task_type\":\"");
				puts_(&b, task_types[task]);
				PUTLIT(&b, "\",\"user_tier\":\"");
				puts_(&b, tiers[tier]);
				PUTLIT(&b, "\"}\n");
			} else {
				PUTLIT(&b, "{\"request_id\":\"req-");
				puthex(&b, rid, 16);
				PUTLIT(&b, "\",\"call_type\":\"acompletion\","
				    "\"startTime\":");
				puttime(&b, t_us, 1);
				PUTLIT(&b, ",\"endTime\":");
				puttime(&b, t_us + lat_us, 1);
				if (err == NULL) {
					PUTLIT(&b, ",\"completionStartTime\":");
					puttime(&b, t_us + ttft10 * 100, 1);
				}
				PUTLIT(&b, ",\"model\":\"");
				puts_(&b, m->name);
				PUTLIT(&b, "\",\"custom_llm_provider\":\"");
				puts_(&b, m->litellm_provider);
				PUTLIT(&b, "\",\"prompt_tokens\":");
				putu(&b, (uint64_t)in_tok);
				PUTLIT(&b, ",\"completion_tokens\":");
				putu(&b, (uint64_t)out_tok);
				PUTLIT(&b, ",\"total_tokens\":");
				putu(&b, (uint64_t)(in_tok + out_tok));
				PUTLIT(&b, ",\"spend\":");
				putcost(&b, cost);
				PUTLIT(&b, ",");
				put_session_user(&b, sl->session, u, 1);
				if (err == NULL) {
					PUTLIT(&b, ",\"status\":\"success\"");
				} else {
					PUTLIT(&b, ",\"status\":\"failure\","
					    "\"metadata\":{\"error_information\""
					    ":{\"error_message\":\"");
					puts_(&b, err->msg);
					PUTLIT(&b, "\"}}");
				}
				PUTLIT(&b, ",\"messages\":[{\"role\":\"user\","
				    "\"content\":\"");
				put(&b, prompt, (size_t)(pb.p - prompt));
				PUTLIT(&b, "\"}]}\n");
			}

			rec->rid = rid;
			rec->session = sl->session;
			rec->user = u;
			rec->model = (uint8_t)mi;
			rec->failed = err != NULL;
			rec->slow = lat10 > (int64_t)(m->lat_median * 20.0);
			nrequests++;
			if (chance(SESSION_END))
				new_session(sl, next_session++);
		}
		fwrite(line, 1, (size_t)(b.p - line), stdout);
	}

	free(slots);
	free(recent);
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		fprintf(stderr, "%s: write error: %s\n", PROGNAME,
		    strerror(errno));
		return 1;
	}
	return 0;
}
