/*
 * tz.c - time zones without the C library's process-wide TZ.  Local hours
 * used to come from the TZ environment variable and the C library's local
 * time, which change the whole process and cannot serve two zones, or two
 * threads, at once.
 * A feat_tz is one zone of the system's zone database instead, read once
 * from its TZif file (RFC 8536) and never written again, so any number of
 * threads can share it.
 *
 * Opening reads the file whole (at most 1 MiB), checks every count and
 * bound before using it, and keeps only what a lookup needs: the
 * transitions in UTC seconds with the offset each one starts, the offset
 * before the first, and the footer's POSIX TZ rule.  Version 2+ files are
 * read from their 64-bit data block, version 1 files from their 32-bit one.
 * An instant before the first transition gets time type 0 (RFC 8536 3.2);
 * one after the last, the rule evaluated for the years around it, which is
 * how a zone still changes in 2100 although the files stop at 2037.  All
 * arithmetic is in int64 seconds, floored, so every int64 nanosecond
 * instant (1677..2262) converts exactly.
 */
/* open(2) and O_CLOEXEC are POSIX, not C11. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "feat-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NS_PER_S INT64_C(1000000000)
#define SECS_PER_DAY 86400
#define TZIF_MAX ((size_t)1 << 20)	/* a real TZif file is a few KiB */
#define TZIF_HDR 44			/* magic, version, 15 unused, 6 counts */
#define NAME_MAXLEN 255

/* One date of a POSIX TZ rule and the local time of its change. */
struct rule_date {
	enum { DATE_JULIAN1, DATE_JULIAN0, DATE_MONTH } kind;
	int n;			/* Jn: 1-365, n: 0-365, Mm.w.d: m */
	int week, wday;		/* Mm.w.d: w 1-5 (5: last), d 0 Sunday-6 */
	int32_t time;		/* seconds after midnight: -167h..167h */
};

/* A TZ rule: standard time, and DST from start to end when has_dst. */
struct rule {
	int32_t std_off, dst_off;	/* seconds east of UTC */
	int has_dst;
	struct rule_date start;		/* in standard local time */
	struct rule_date end;		/* in DST local time */
};

struct feat_tz {
	char *name;
	size_t ntrans;
	int64_t *trans;		/* UTC seconds, strictly increasing */
	int32_t *trans_off;	/* the offset from trans[i] on */
	int32_t before;		/* the offset before trans[0] */
	int has_rule;		/* the footer rule holds after the last */
	struct rule rule;
};

/* The header of a TZif data block. */
struct tzif_hdr {
	int version;		/* 1, 2, 3, 4 */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* ---- the POSIX TZ rule of the footer ------------------------------------ */

/*
 * A zone abbreviation: three or more letters, or <...> around three or
 * more letters, digits, '+' and '-'.  Returns the text after it or NULL.
 */
static const char *
parse_abbr(const char *s)
{
	const char *b;

	if (*s == '<') {
		b = ++s;
		while (is_alpha(*s) || is_digit(*s) || *s == '+' || *s == '-')
			s++;
		if (*s != '>' || s - b < 3)
			return NULL;
		return s + 1;
	}
	b = s;
	while (is_alpha(*s))
		s++;
	return s - b < 3 ? NULL : s;
}

/* Up to maxdig digits, at most max; NULL when none or out of range. */
static const char *
parse_num(const char *s, int maxdig, int max, int *v)
{
	int n = 0, i;

	for (i = 0; i < maxdig && is_digit(s[i]); i++)
		n = n * 10 + (s[i] - '0');
	if (i == 0 || n > max)
		return NULL;
	*v = n;
	return s + i;
}

/*
 * [+-]hh[:mm[:ss]] with hh at most maxh, to seconds: an offset (24 hours,
 * positive west as POSIX has it) or a rule time (167 hours, TZif v3).
 */
static const char *
parse_hms(const char *s, int maxh, int32_t *secs)
{
	int neg = 0, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if ((s = parse_num(s, 3, maxh, &h)) == NULL)
		return NULL;
	if (*s == ':') {
		if ((s = parse_num(s + 1, 2, 59, &m)) == NULL)
			return NULL;
		if (*s == ':' && (s = parse_num(s + 1, 2, 59, &sec)) == NULL)
			return NULL;
	}
	*secs = (int32_t)(h * 3600 + m * 60 + sec);
	if (neg)
		*secs = -*secs;
	return s;
}

/* Jn, n or Mm.w.d, then an optional /time (default 02:00). */
static const char *
parse_date(const char *s, struct rule_date *d)
{
	memset(d, 0, sizeof *d);
	if (*s == 'J') {
		d->kind = DATE_JULIAN1;
		if ((s = parse_num(s + 1, 3, 365, &d->n)) == NULL || d->n < 1)
			return NULL;
	} else if (*s == 'M') {
		d->kind = DATE_MONTH;
		if ((s = parse_num(s + 1, 2, 12, &d->n)) == NULL || d->n < 1 ||
		    *s != '.' ||
		    (s = parse_num(s + 1, 1, 5, &d->week)) == NULL ||
		    d->week < 1 || *s != '.' ||
		    (s = parse_num(s + 1, 1, 6, &d->wday)) == NULL)
			return NULL;
	} else {
		d->kind = DATE_JULIAN0;
		if ((s = parse_num(s, 3, 365, &d->n)) == NULL)
			return NULL;
	}
	d->time = 2 * 3600;
	if (*s == '/')
		s = parse_hms(s + 1, 167, &d->time);
	return s;
}

/*
 * std offset [dst [offset] ,start[/time],end[/time]].  A DST without its
 * start and end is refused: POSIX leaves its meaning to the implementation
 * (glibc and tzcode differ) and zic never writes one.  Returns 0, or -1
 * when s is not such a rule.
 */
static int
parse_rule(const char *s, struct rule *r)
{
	int32_t off;

	memset(r, 0, sizeof *r);
	if ((s = parse_abbr(s)) == NULL || (s = parse_hms(s, 24, &off)) == NULL)
		return -1;
	r->std_off = -off;
	if (*s == '\0')
		return 0;
	if ((s = parse_abbr(s)) == NULL)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*s != ',') {
		if ((s = parse_hms(s, 24, &off)) == NULL)
			return -1;
		r->dst_off = -off;
	}
	if (*s != ',' || (s = parse_date(s + 1, &r->start)) == NULL ||
	    *s != ',' || (s = parse_date(s + 1, &r->end)) == NULL || *s != '\0')
		return -1;
	return 0;
}

/* Days since the epoch of date d in year y. */
static int64_t
rule_day(const struct rule_date *d, int64_t y)
{
	int64_t first;
	int wd1, day, mdays;

	switch (d->kind) {
	case DATE_JULIAN1:	/* 1-365, February 29 never counted */
		return ft_days_from_civil(y, 1, 1) + d->n - 1 +
		    (d->n >= 60 && is_leap(y));
	case DATE_JULIAN0:	/* 0-365, February 29 counted */
		return ft_days_from_civil(y, 1, 1) + d->n;
	default:		/* weekday d of week w of month m */
		first = ft_days_from_civil(y, d->n, 1);
		mdays = (int)(ft_days_from_civil(d->n == 12 ? y + 1 : y,
		    d->n == 12 ? 1 : d->n + 1, 1) - first);
		wd1 = (int)floor_mod(first + 4, 7);	/* 1970-01-01: Thu */
		day = 1 + (d->wday - wd1 + 7) % 7 + 7 * (d->week - 1);
		while (day > mdays)	/* week 5: the last such day */
			day -= 7;
		return first + day - 1;
	}
}

/*
 * The offset of rule r at UTC second t.  Each year has two changes, which
 * times beyond 24 hours or below 0 (and zones where DST spans the new
 * year, or never ends) may move into a neighbouring year; so the changes
 * of the years around t's are all computed and the latest one at or
 * before t wins, a later year's at equal instants.  Two years back
 * always holds one: a change is at most 167 hours off its day.
 */
static int32_t
rule_offset(const struct rule *r, int64_t t)
{
	int64_t y, at, best = 0;
	int m, d, found = 0;
	int32_t off = r->std_off;

	if (!r->has_dst)
		return r->std_off;
	ft_civil_from_days(floor_div(t + r->std_off, SECS_PER_DAY), &y, &m,
	    &d);
	for (int64_t yy = y - 2; yy <= y + 1; yy++) {
		at = rule_day(&r->start, yy) * SECS_PER_DAY + r->start.time -
		    r->std_off;
		if (at <= t && (!found || at >= best)) {
			best = at;
			found = 1;
			off = r->dst_off;
		}
		at = rule_day(&r->end, yy) * SECS_PER_DAY + r->end.time -
		    r->dst_off;
		if (at <= t && (!found || at >= best)) {
			best = at;
			found = 1;
			off = r->std_off;
		}
	}
	return off;
}

/* ---- reading a TZif file ------------------------------------------------ */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/*
 * Reads the header at p (TZIF_HDR bytes available).  Every count is
 * bounded by the file's size, so no size computed from them overflows.
 */
static const char *
read_hdr(const unsigned char *p, size_t filesize, struct tzif_hdr *h)
{
	if (memcmp(p, "TZif", 4) != 0)
		return "not a TZif file";
	if (p[4] == '\0')
		h->version = 1;
	else if (p[4] >= '2' && p[4] <= '4')
		h->version = p[4] - '0';
	else
		return "unsupported TZif version";
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (h->isutcnt > filesize || h->isstdcnt > filesize ||
	    h->leapcnt > filesize || h->timecnt > filesize ||
	    h->typecnt > filesize || h->charcnt > filesize)
		return "truncated TZif file";
	return NULL;
}

/* The size of the data block after h, with tsize-byte times. */
static size_t
block_size(const struct tzif_hdr *h, size_t tsize)
{
	return h->timecnt * tsize + h->timecnt + h->typecnt * (size_t)6 +
	    h->charcnt + h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Fills tz from the data block at p; returns NULL or what is wrong. */
static const char *
read_block(feat_tz *tz, const struct tzif_hdr *h, const unsigned char *p,
    size_t tsize)
{
	const unsigned char *idx = p + h->timecnt * tsize;
	const unsigned char *types = idx + h->timecnt;
	int32_t off[256];

	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return "corrupt TZif header";
	/* Leap-second ("right/") files count TAI-like seconds, not UTC. */
	if (h->leapcnt != 0)
		return "leap-second TZif files are not supported";
	for (uint32_t i = 0; i < h->typecnt; i++) {
		const unsigned char *t = types + 6 * (size_t)i;

		off[i] = (int32_t)be32(t);
		if (off[i] == INT32_MIN || t[4] > 1 || t[5] >= h->charcnt)
			return "corrupt TZif time type";
	}
	tz->before = off[0];
	tz->ntrans = h->timecnt;
	if (h->timecnt == 0)
		return NULL;
	tz->trans = feat_xmalloc(h->timecnt * sizeof *tz->trans);
	tz->trans_off = feat_xmalloc(h->timecnt * sizeof *tz->trans_off);
	for (uint32_t i = 0; i < h->timecnt; i++) {
		tz->trans[i] = tsize == 8 ? be64(p + 8 * (size_t)i) :
		    (int32_t)be32(p + 4 * (size_t)i);
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return "TZif transitions out of order";
		if (idx[i] >= h->typecnt)
			return "corrupt TZif transition";
		tz->trans_off[i] = off[idx[i]];
	}
	return NULL;
}

/* Parses the TZif file in buf into tz; returns NULL or what is wrong. */
static const char *
parse_tzif(feat_tz *tz, const unsigned char *buf, size_t n)
{
	struct tzif_hdr h;
	const unsigned char *end = buf + n, *p, *nl;
	const char *problem;
	size_t size;
	char footer[256];

	if (n < TZIF_HDR)
		return n >= 4 && memcmp(buf, "TZif", 4) == 0 ?
		    "truncated TZif file" : "not a TZif file";
	if ((problem = read_hdr(buf, n, &h)) != NULL)
		return problem;
	size = block_size(&h, 4);
	if (size > n - TZIF_HDR)
		return "truncated TZif file";
	if (h.version == 1)
		return read_block(tz, &h, buf + TZIF_HDR, 4);

	/* Version 2+: skip the 32-bit block, read the 64-bit one. */
	p = buf + TZIF_HDR + size;
	if ((size_t)(end - p) < TZIF_HDR)
		return "truncated TZif file";
	if ((problem = read_hdr(p, n, &h)) != NULL)
		return problem;
	if (h.version == 1)
		return "corrupt TZif header";
	size = block_size(&h, 8);
	if (size > (size_t)(end - p) - TZIF_HDR)
		return "truncated TZif file";
	if ((problem = read_block(tz, &h, p + TZIF_HDR, 8)) != NULL)
		return problem;

	/* The footer: "\nTZ string\n", the TZ string possibly empty. */
	p += TZIF_HDR + size;
	if (p == end || *p != '\n' ||
	    (nl = memchr(p + 1, '\n', (size_t)(end - p - 1))) == NULL)
		return "truncated TZif file";
	if (nl + 1 != end)
		return "data after the TZif footer";
	if ((size_t)(nl - p - 1) >= sizeof footer)
		return "TZif footer too long";
	memcpy(footer, p + 1, (size_t)(nl - p - 1));
	footer[nl - p - 1] = '\0';
	if (footer[0] == '\0')
		return NULL;
	if (strlen(footer) != (size_t)(nl - p - 1) ||
	    parse_rule(footer, &tz->rule) != 0)
		return "bad TZ rule in the TZif footer";
	tz->has_rule = 1;
	return NULL;
}

/*
 * A plain name of the database: components of letters, digits and
 * "_-+.", none empty, "." or "..".  Refuses paths out of $TZDIR, POSIX
 * rules (",", "<", ":") and anything a shell or a log would mangle.
 */
static int
name_ok(const char *name)
{
	size_t n, seg = 0;

	if (name == NULL || (n = strlen(name)) == 0 || n > NAME_MAXLEN)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		int c = (unsigned char)name[i];

		if (c == '/' || c == '\0') {
			size_t len = i - seg;

			if (len == 0 || (len <= 2 && name[seg] == '.' &&
			    (len == 1 || name[seg + 1] == '.')))
				return 0;
			seg = i + 1;
		} else if (!is_alpha(c) && !is_digit(c) && c != '_' &&
		    c != '-' && c != '+' && c != '.')
			return 0;
	}
	return 1;
}

/*
 * Reads the regular file at path, at most TZIF_MAX bytes, into a new
 * buffer.  Returns 0; -1 with errno (ENOENT for a directory too); or -2
 * when it is larger.
 */
static int
read_file(const char *path, unsigned char **out, size_t *outlen)
{
	struct stat st;
	unsigned char *buf;
	size_t len = 0;
	ssize_t r;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	if (st.st_size > (off_t)TZIF_MAX) {
		close(fd);
		return -2;
	}
	/* One byte more than allowed, to see a file that grew meanwhile. */
	buf = feat_xmalloc(TZIF_MAX + 1);
	for (;;) {
		r = read(fd, buf + len, TZIF_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > TZIF_MAX) {
			free(buf);
			close(fd);
			return -2;
		}
	}
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
}

/* ---- the interface ------------------------------------------------------ */

feat_tz *
feat_tz_open(const char *name, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR"), *problem;
	unsigned char *buf;
	size_t len;
	char path[4096];
	feat_tz *tz;
	int rc;

	if (!name_ok(name)) {
		snprintf(err, errlen, "unknown time zone '%s'",
		    name != NULL ? name : "(null)");
		return NULL;
	}
	tz = feat_xcalloc(1, sizeof *tz);
	tz->name = feat_xstrdup(name);
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
		return tz;	/* no transitions, offset 0 */

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    sizeof path) {
		snprintf(err, errlen, "time zone '%s': path too long", name);
		feat_tz_free(tz);
		return NULL;
	}
	rc = read_file(path, &buf, &len);
	if (rc == -1 && (errno == ENOENT || errno == ENOTDIR))
		snprintf(err, errlen, "unknown time zone '%s'", name);
	else if (rc == -1)
		snprintf(err, errlen, "time zone '%s': cannot read '%s': %s",
		    name, path, strerror(errno));
	else if (rc == -2)
		snprintf(err, errlen, "time zone '%s': '%s' is larger than "
		    "1 MiB: not a TZif file", name, path);
	if (rc != 0) {
		feat_tz_free(tz);
		return NULL;
	}
	problem = parse_tzif(tz, buf, len);
	free(buf);
	if (problem != NULL) {
		snprintf(err, errlen, "time zone '%s': '%s': %s", name, path,
		    problem);
		feat_tz_free(tz);
		return NULL;
	}
	return tz;
}

void
feat_tz_free(feat_tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->trans_off);
	free(tz);
}

const char *
feat_tz_name(const feat_tz *tz)
{
	return tz != NULL ? tz->name : "UTC";
}

/* The offset at UTC second t. */
static int32_t
offset_at(const feat_tz *tz, int64_t t)
{
	size_t lo, hi, mid;

	if (tz == NULL)
		return 0;
	/* No transitions: the rule holds throughout (RFC 8536 3.2). */
	if (tz->ntrans == 0)
		return tz->has_rule ? rule_offset(&tz->rule, t) : tz->before;
	if (t < tz->trans[0])
		return tz->before;
	if (t > tz->trans[tz->ntrans - 1] && tz->has_rule)
		return rule_offset(&tz->rule, t);
	/* The last transition at or before t: trans[lo] <= t < trans[hi]. */
	lo = 0;
	hi = tz->ntrans;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->trans_off[lo];
}

int32_t
feat_tz_offset(const feat_tz *tz, int64_t ns)
{
	return offset_at(tz, floor_div(ns, NS_PER_S));
}

void
feat_tz_local(const feat_tz *tz, int64_t ns, struct feat_local_time *out)
{
	int64_t secs = floor_div(ns, NS_PER_S), local, days, sod;
	int32_t off = offset_at(tz, secs);

	/* |secs| < 2^34 and |off| < 2^31: no overflow. */
	local = secs + off;
	days = floor_div(local, SECS_PER_DAY);
	sod = local - days * SECS_PER_DAY;
	ft_civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(sod / 3600);
	out->minute = (int)(sod / 60 % 60);
	out->second = (int)(sod % 60);
	out->wday = (int)floor_mod(days + 3, 7);	/* 1970-01-01: Thu */
	out->offset = off;
}
