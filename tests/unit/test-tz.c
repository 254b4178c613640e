/*
 * test-tz.c - unit tests for lib/tz.c: offsets and local times of real
 * zones (historical transitions, the footer rule after the files end in
 * 2037, instants before the first transition), negative and int64-extreme
 * instants, synthetic footer rules, refused names and files, and two
 * threads sharing zones.
 *
 * Expected values were computed independently, never by lib/tz.c:
 *  - system zones (/usr/share/zoneinfo, Debian tzdata): Python 3.11's
 *    zoneinfo, ZoneInfo(zone) applied to the floor of ns / 10^9 seconds,
 *    at the transitions `zdump -v -c Y1,Y2 ZONE` lists (the second before,
 *    the last nanosecond before, and the instant itself); every row was
 *    also checked against GNU date (TZ=ZONE date -d @S) and the tz
 *    reference code (tzcode localtime_rz, github.com/eggert/tz b9bc7a8),
 *    which agree with Python on all of them;
 *  - the version-1 file of tz-017: GNU date and tzcode on the same bytes;
 *  - the synthetic rules of tz-018: tzcode localtime_rz on the same bytes
 *    (written by Python's struct.pack, same SHA-256 as build_tzif's).
 *    GNU date and Python agree except where the comments say: Python's
 *    zoneinfo puts the zero-based "n" day one day early, glibc loses the
 *    first hours of a year of permanent DST, and both end a DST that
 *    starts in the next year (J365/48) at the new year in UTC.
 *
 * The tests write their TZif files into a fresh directory under $TMPDIR
 * and point $TZDIR at it (setenv here is fine: the library never sets the
 * environment); real zones are read with $TZDIR as the test found it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feat-private.h"
#include "tap.h"

struct want {
	const char *zone;
	int64_t ns;
	int64_t year;
	int month, day, hour, minute, second, wday;
	int32_t offset;
};

/* Negative instants floor: 1969 (Python zoneinfo). */
static const struct want utc_neg[] = {
	{ "UTC", INT64_C(-1), 1969, 12, 31, 23, 59, 59, 2, 0 },	/* -1 ns */
	{ "UTC", INT64_C(-1000000000), 1969, 12, 31, 23, 59, 59, 2, 0 },	/* -1000000000 ns */
	{ "UTC", INT64_C(-1000000001), 1969, 12, 31, 23, 59, 58, 2, 0 },	/* -1000000001 ns */
	{ "UTC", INT64_C(-86400000000001), 1969, 12, 30, 23, 59, 59, 1, 0 },	/* -86400000000001 ns */
	{ "America/New_York", INT64_C(-1), 1969, 12, 31, 18, 59, 59, 2, -18000 },	/* -1 ns */
	{ "America/New_York", INT64_C(-1000000000), 1969, 12, 31, 18, 59, 59, 2, -18000 },	/* -1000000000 ns */
	{ "America/New_York", INT64_C(-1000000001), 1969, 12, 31, 18, 59, 58, 2, -18000 },	/* -1000000001 ns */
	{ "America/New_York", INT64_C(-86400000000001), 1969, 12, 30, 18, 59, 59, 1, -18000 },	/* -86400000000001 ns */
	{ "Asia/Tokyo", INT64_C(-1), 1970, 1, 1, 8, 59, 59, 3, 32400 },	/* -1 ns */
	{ "Asia/Tokyo", INT64_C(-1000000000), 1970, 1, 1, 8, 59, 59, 3, 32400 },	/* -1000000000 ns */
	{ "Asia/Tokyo", INT64_C(-1000000001), 1970, 1, 1, 8, 59, 58, 3, 32400 },	/* -1000000001 ns */
	{ "Asia/Tokyo", INT64_C(-86400000000001), 1969, 12, 31, 8, 59, 59, 2, 32400 },	/* -86400000000001 ns */
};

/* Asia/Tokyo: JST, and JDT (+10) of 1948-1951. */
static const struct want tokyo[] = {
	{ "Asia/Tokyo", INT64_C(1731780946000000000), 2024, 11, 17, 3, 15, 46, 6, 32400 },	/* 2024-11-16T18:15:46Z */
	{ "Asia/Tokyo", INT64_C(-683802001000000000), 1948, 5, 1, 23, 59, 59, 5, 32400 },	/* 1948-05-01T15:00:00Z - 1 s */
	{ "Asia/Tokyo", INT64_C(-683802000000000001), 1948, 5, 1, 23, 59, 59, 5, 32400 },	/* 1948-05-01T15:00:00Z - 1 ns */
	{ "Asia/Tokyo", INT64_C(-683802000000000000), 1948, 5, 2, 1, 0, 0, 6, 36000 },	/* 1948-05-01T15:00:00Z */
	{ "Asia/Tokyo", INT64_C(-672310801000000000), 1948, 9, 12, 0, 59, 59, 6, 36000 },	/* 1948-09-11T15:00:00Z - 1 s */
	{ "Asia/Tokyo", INT64_C(-672310800000000001), 1948, 9, 12, 0, 59, 59, 6, 36000 },	/* 1948-09-11T15:00:00Z - 1 ns */
	{ "Asia/Tokyo", INT64_C(-672310800000000000), 1948, 9, 12, 0, 0, 0, 6, 32400 },	/* 1948-09-11T15:00:00Z */
	{ "Asia/Tokyo", INT64_C(-654771601000000000), 1949, 4, 2, 23, 59, 59, 5, 32400 },	/* 1949-04-02T15:00:00Z - 1 s */
	{ "Asia/Tokyo", INT64_C(-654771600000000001), 1949, 4, 2, 23, 59, 59, 5, 32400 },	/* 1949-04-02T15:00:00Z - 1 ns */
	{ "Asia/Tokyo", INT64_C(-654771600000000000), 1949, 4, 3, 1, 0, 0, 6, 36000 },	/* 1949-04-02T15:00:00Z */
	{ "Asia/Tokyo", INT64_C(-640861201000000000), 1949, 9, 11, 0, 59, 59, 6, 36000 },	/* 1949-09-10T15:00:00Z - 1 s */
	{ "Asia/Tokyo", INT64_C(-640861200000000001), 1949, 9, 11, 0, 59, 59, 6, 36000 },	/* 1949-09-10T15:00:00Z - 1 ns */
	{ "Asia/Tokyo", INT64_C(-640861200000000000), 1949, 9, 11, 0, 0, 0, 6, 32400 },	/* 1949-09-10T15:00:00Z */
	{ "Asia/Tokyo", INT64_C(-620298001000000000), 1950, 5, 6, 23, 59, 59, 5, 32400 },	/* 1950-05-06T15:00:00Z - 1 s */
	{ "Asia/Tokyo", INT64_C(-620298000000000001), 1950, 5, 6, 23, 59, 59, 5, 32400 },	/* 1950-05-06T15:00:00Z - 1 ns */
	{ "Asia/Tokyo", INT64_C(-620298000000000000), 1950, 5, 7, 1, 0, 0, 6, 36000 },	/* 1950-05-06T15:00:00Z */
	{ "Asia/Tokyo", INT64_C(-609411601000000000), 1950, 9, 10, 0, 59, 59, 6, 36000 },	/* 1950-09-09T15:00:00Z - 1 s */
	{ "Asia/Tokyo", INT64_C(-609411600000000001), 1950, 9, 10, 0, 59, 59, 6, 36000 },	/* 1950-09-09T15:00:00Z - 1 ns */
	{ "Asia/Tokyo", INT64_C(-609411600000000000), 1950, 9, 10, 0, 0, 0, 6, 32400 },	/* 1950-09-09T15:00:00Z */
	{ "Asia/Tokyo", INT64_C(-588848401000000000), 1951, 5, 5, 23, 59, 59, 5, 32400 },	/* 1951-05-05T15:00:00Z - 1 s */
	{ "Asia/Tokyo", INT64_C(-588848400000000001), 1951, 5, 5, 23, 59, 59, 5, 32400 },	/* 1951-05-05T15:00:00Z - 1 ns */
	{ "Asia/Tokyo", INT64_C(-588848400000000000), 1951, 5, 6, 1, 0, 0, 6, 36000 },	/* 1951-05-05T15:00:00Z */
	{ "Asia/Tokyo", INT64_C(-577962001000000000), 1951, 9, 9, 0, 59, 59, 6, 36000 },	/* 1951-09-08T15:00:00Z - 1 s */
	{ "Asia/Tokyo", INT64_C(-577962000000000001), 1951, 9, 9, 0, 59, 59, 6, 36000 },	/* 1951-09-08T15:00:00Z - 1 ns */
	{ "Asia/Tokyo", INT64_C(-577962000000000000), 1951, 9, 9, 0, 0, 0, 6, 32400 },	/* 1951-09-08T15:00:00Z */
};

/* America/New_York, the 2024 DST transitions. */
static const struct want ny2024[] = {
	{ "America/New_York", INT64_C(1710053999000000000), 2024, 3, 10, 1, 59, 59, 6, -18000 },	/* 2024-03-10T07:00:00Z - 1 s */
	{ "America/New_York", INT64_C(1710053999999999999), 2024, 3, 10, 1, 59, 59, 6, -18000 },	/* 2024-03-10T07:00:00Z - 1 ns */
	{ "America/New_York", INT64_C(1710054000000000000), 2024, 3, 10, 3, 0, 0, 6, -14400 },	/* 2024-03-10T07:00:00Z */
	{ "America/New_York", INT64_C(1730613599000000000), 2024, 11, 3, 1, 59, 59, 6, -14400 },	/* 2024-11-03T06:00:00Z - 1 s */
	{ "America/New_York", INT64_C(1730613599999999999), 2024, 11, 3, 1, 59, 59, 6, -14400 },	/* 2024-11-03T06:00:00Z - 1 ns */
	{ "America/New_York", INT64_C(1730613600000000000), 2024, 11, 3, 1, 0, 0, 6, -18000 },	/* 2024-11-03T06:00:00Z */
};

/* America/New_York in 2100: the footer EST5EDT,M3.2.0,M11.1.0. */
static const struct want ny2100[] = {
	{ "America/New_York", INT64_C(4103697600000000000), 2100, 1, 15, 7, 0, 0, 4, -18000 },	/* 2100-01-15T12:00:00Z */
	{ "America/New_York", INT64_C(4118400000000000000), 2100, 7, 4, 12, 0, 0, 6, -14400 },	/* 2100-07-04T16:00:00Z */
	{ "America/New_York", INT64_C(4108690799000000000), 2100, 3, 14, 1, 59, 59, 6, -18000 },	/* 2100-03-14T07:00:00Z - 1 s */
	{ "America/New_York", INT64_C(4108690799999999999), 2100, 3, 14, 1, 59, 59, 6, -18000 },	/* 2100-03-14T07:00:00Z - 1 ns */
	{ "America/New_York", INT64_C(4108690800000000000), 2100, 3, 14, 3, 0, 0, 6, -14400 },	/* 2100-03-14T07:00:00Z */
	{ "America/New_York", INT64_C(4129250399000000000), 2100, 11, 7, 1, 59, 59, 6, -14400 },	/* 2100-11-07T06:00:00Z - 1 s */
	{ "America/New_York", INT64_C(4129250399999999999), 2100, 11, 7, 1, 59, 59, 6, -14400 },	/* 2100-11-07T06:00:00Z - 1 ns */
	{ "America/New_York", INT64_C(4129250400000000000), 2100, 11, 7, 1, 0, 0, 6, -18000 },	/* 2100-11-07T06:00:00Z */
};

/* America/New_York in 1900 (EST) and before its first transition of
   1883-11-18 (LMT, -4:56:02). */
static const struct want nyold[] = {
	{ "America/New_York", INT64_C(-2208988800000000000), 1899, 12, 31, 19, 0, 0, 6, -18000 },	/* 1900-01-01T00:00:00Z */
	{ "America/New_York", INT64_C(-2194689600000000000), 1900, 6, 15, 7, 0, 0, 4, -18000 },	/* 1900-06-15T12:00:00Z */
	{ "America/New_York", INT64_C(-3781684800000000000), 1850, 3, 1, 7, 3, 58, 4, -17762 },	/* 1850-03-01T12:00:00Z */
	{ "America/New_York", INT64_C(-2717650801000000000), 1883, 11, 18, 12, 3, 57, 6, -17762 },	/* 1883-11-18T17:00:00Z - 1 s */
	{ "America/New_York", INT64_C(-2717650800000000001), 1883, 11, 18, 12, 3, 57, 6, -17762 },	/* 1883-11-18T17:00:00Z - 1 ns */
	{ "America/New_York", INT64_C(-2717650800000000000), 1883, 11, 18, 12, 0, 0, 6, -18000 },	/* 1883-11-18T17:00:00Z */
};

/* Europe/London: British Standard Time, +1 from 1968-02-18 to
   1971-10-31, isdst 0 from 1968-10-27 on. */
static const struct want london[] = {
	{ "Europe/London", INT64_C(-59004001000000000), 1968, 2, 18, 1, 59, 59, 6, 0 },	/* 1968-02-18T02:00:00Z - 1 s */
	{ "Europe/London", INT64_C(-59004000000000001), 1968, 2, 18, 1, 59, 59, 6, 0 },	/* 1968-02-18T02:00:00Z - 1 ns */
	{ "Europe/London", INT64_C(-59004000000000000), 1968, 2, 18, 3, 0, 0, 6, 3600 },	/* 1968-02-18T02:00:00Z */
	{ "Europe/London", INT64_C(-37242001000000000), 1968, 10, 26, 23, 59, 59, 5, 3600 },	/* 1968-10-26T23:00:00Z - 1 s */
	{ "Europe/London", INT64_C(-37242000000000001), 1968, 10, 26, 23, 59, 59, 5, 3600 },	/* 1968-10-26T23:00:00Z - 1 ns */
	{ "Europe/London", INT64_C(-37242000000000000), 1968, 10, 27, 0, 0, 0, 6, 3600 },	/* 1968-10-26T23:00:00Z */
	{ "Europe/London", INT64_C(57722399000000000), 1971, 10, 31, 2, 59, 59, 6, 3600 },	/* 1971-10-31T02:00:00Z - 1 s */
	{ "Europe/London", INT64_C(57722399999999999), 1971, 10, 31, 2, 59, 59, 6, 3600 },	/* 1971-10-31T02:00:00Z - 1 ns */
	{ "Europe/London", INT64_C(57722400000000000), 1971, 10, 31, 2, 0, 0, 6, 0 },	/* 1971-10-31T02:00:00Z */
	{ "Europe/London", INT64_C(0), 1970, 1, 1, 1, 0, 0, 3, 3600 },	/* 1970-01-01T00:00:00Z */
	{ "Europe/London", INT64_C(-1), 1970, 1, 1, 0, 59, 59, 3, 3600 },	/* 1969-12-31T23:59:59Z + 999999999 ns */
	{ "Europe/London", INT64_C(15638400000000000), 1970, 7, 1, 1, 0, 0, 2, 3600 },	/* 1970-07-01T00:00:00Z */
};

/* Australia/Lord_Howe: +10:30, DST +11; 2100 is the footer rule. */
static const struct want lordhowe[] = {
	{ "Australia/Lord_Howe", INT64_C(1712415599000000000), 2024, 4, 7, 1, 59, 59, 6, 39600 },	/* 2024-04-06T15:00:00Z - 1 s */
	{ "Australia/Lord_Howe", INT64_C(1712415599999999999), 2024, 4, 7, 1, 59, 59, 6, 39600 },	/* 2024-04-06T15:00:00Z - 1 ns */
	{ "Australia/Lord_Howe", INT64_C(1712415600000000000), 2024, 4, 7, 1, 30, 0, 6, 37800 },	/* 2024-04-06T15:00:00Z */
	{ "Australia/Lord_Howe", INT64_C(1728142199000000000), 2024, 10, 6, 1, 59, 59, 6, 37800 },	/* 2024-10-05T15:30:00Z - 1 s */
	{ "Australia/Lord_Howe", INT64_C(1728142199999999999), 2024, 10, 6, 1, 59, 59, 6, 37800 },	/* 2024-10-05T15:30:00Z - 1 ns */
	{ "Australia/Lord_Howe", INT64_C(1728142200000000000), 2024, 10, 6, 2, 30, 0, 6, 39600 },	/* 2024-10-05T15:30:00Z */
	{ "Australia/Lord_Howe", INT64_C(4110447599000000000), 2100, 4, 4, 1, 59, 59, 6, 39600 },	/* 2100-04-03T15:00:00Z - 1 s */
	{ "Australia/Lord_Howe", INT64_C(4110447599999999999), 2100, 4, 4, 1, 59, 59, 6, 39600 },	/* 2100-04-03T15:00:00Z - 1 ns */
	{ "Australia/Lord_Howe", INT64_C(4110447600000000000), 2100, 4, 4, 1, 30, 0, 6, 37800 },	/* 2100-04-03T15:00:00Z */
	{ "Australia/Lord_Howe", INT64_C(4126174199000000000), 2100, 10, 3, 1, 59, 59, 6, 37800 },	/* 2100-10-02T15:30:00Z - 1 s */
	{ "Australia/Lord_Howe", INT64_C(4126174199999999999), 2100, 10, 3, 1, 59, 59, 6, 37800 },	/* 2100-10-02T15:30:00Z - 1 ns */
	{ "Australia/Lord_Howe", INT64_C(4126174200000000000), 2100, 10, 3, 2, 30, 0, 6, 39600 },	/* 2100-10-02T15:30:00Z */
};

/* Footer rules in 2100: Nuuk M3.5.0/-1 and M10.5.0/0, Jerusalem
   M3.4.4/26, Santiago M9.1.6/24 (south), Dublin IST-1GMT0 (negative
   DST), Chatham 2:45/3:45, Sydney, London. */
static const struct want rules2100[] = {
	{ "America/Nuuk", INT64_C(4109878799000000000), 2100, 3, 27, 22, 59, 59, 5, -7200 },	/* 2100-03-28T01:00:00Z - 1 s */
	{ "America/Nuuk", INT64_C(4109878799999999999), 2100, 3, 27, 22, 59, 59, 5, -7200 },	/* 2100-03-28T01:00:00Z - 1 ns */
	{ "America/Nuuk", INT64_C(4109878800000000000), 2100, 3, 28, 0, 0, 0, 6, -3600 },	/* 2100-03-28T01:00:00Z */
	{ "America/Nuuk", INT64_C(4128627599000000000), 2100, 10, 30, 23, 59, 59, 5, -3600 },	/* 2100-10-31T01:00:00Z - 1 s */
	{ "America/Nuuk", INT64_C(4128627599999999999), 2100, 10, 30, 23, 59, 59, 5, -3600 },	/* 2100-10-31T01:00:00Z - 1 ns */
	{ "America/Nuuk", INT64_C(4128627600000000000), 2100, 10, 30, 23, 0, 0, 5, -7200 },	/* 2100-10-31T01:00:00Z */
	{ "Asia/Jerusalem", INT64_C(4109702399000000000), 2100, 3, 26, 1, 59, 59, 4, 7200 },	/* 2100-03-26T00:00:00Z - 1 s */
	{ "Asia/Jerusalem", INT64_C(4109702399999999999), 2100, 3, 26, 1, 59, 59, 4, 7200 },	/* 2100-03-26T00:00:00Z - 1 ns */
	{ "Asia/Jerusalem", INT64_C(4109702400000000000), 2100, 3, 26, 3, 0, 0, 4, 10800 },	/* 2100-03-26T00:00:00Z */
	{ "Asia/Jerusalem", INT64_C(4128620399000000000), 2100, 10, 31, 1, 59, 59, 6, 10800 },	/* 2100-10-30T23:00:00Z - 1 s */
	{ "Asia/Jerusalem", INT64_C(4128620399999999999), 2100, 10, 31, 1, 59, 59, 6, 10800 },	/* 2100-10-30T23:00:00Z - 1 ns */
	{ "Asia/Jerusalem", INT64_C(4128620400000000000), 2100, 10, 31, 1, 0, 0, 6, 7200 },	/* 2100-10-30T23:00:00Z */
	{ "America/Santiago", INT64_C(4110490799000000000), 2100, 4, 3, 23, 59, 59, 5, -10800 },	/* 2100-04-04T03:00:00Z - 1 s */
	{ "America/Santiago", INT64_C(4110490799999999999), 2100, 4, 3, 23, 59, 59, 5, -10800 },	/* 2100-04-04T03:00:00Z - 1 ns */
	{ "America/Santiago", INT64_C(4110490800000000000), 2100, 4, 3, 23, 0, 0, 5, -14400 },	/* 2100-04-04T03:00:00Z */
	{ "America/Santiago", INT64_C(4123799999000000000), 2100, 9, 4, 23, 59, 59, 5, -14400 },	/* 2100-09-05T04:00:00Z - 1 s */
	{ "America/Santiago", INT64_C(4123799999999999999), 2100, 9, 4, 23, 59, 59, 5, -14400 },	/* 2100-09-05T04:00:00Z - 1 ns */
	{ "America/Santiago", INT64_C(4123800000000000000), 2100, 9, 5, 1, 0, 0, 6, -10800 },	/* 2100-09-05T04:00:00Z */
	{ "Europe/Dublin", INT64_C(4109878799000000000), 2100, 3, 28, 0, 59, 59, 6, 0 },	/* 2100-03-28T01:00:00Z - 1 s */
	{ "Europe/Dublin", INT64_C(4109878799999999999), 2100, 3, 28, 0, 59, 59, 6, 0 },	/* 2100-03-28T01:00:00Z - 1 ns */
	{ "Europe/Dublin", INT64_C(4109878800000000000), 2100, 3, 28, 2, 0, 0, 6, 3600 },	/* 2100-03-28T01:00:00Z */
	{ "Europe/Dublin", INT64_C(4128627599000000000), 2100, 10, 31, 1, 59, 59, 6, 3600 },	/* 2100-10-31T01:00:00Z - 1 s */
	{ "Europe/Dublin", INT64_C(4128627599999999999), 2100, 10, 31, 1, 59, 59, 6, 3600 },	/* 2100-10-31T01:00:00Z - 1 ns */
	{ "Europe/Dublin", INT64_C(4128627600000000000), 2100, 10, 31, 1, 0, 0, 6, 0 },	/* 2100-10-31T01:00:00Z */
	{ "Pacific/Chatham", INT64_C(4110443999000000000), 2100, 4, 4, 3, 44, 59, 6, 49500 },	/* 2100-04-03T14:00:00Z - 1 s */
	{ "Pacific/Chatham", INT64_C(4110443999999999999), 2100, 4, 4, 3, 44, 59, 6, 49500 },	/* 2100-04-03T14:00:00Z - 1 ns */
	{ "Pacific/Chatham", INT64_C(4110444000000000000), 2100, 4, 4, 2, 45, 0, 6, 45900 },	/* 2100-04-03T14:00:00Z */
	{ "Pacific/Chatham", INT64_C(4125563999000000000), 2100, 9, 26, 2, 44, 59, 6, 45900 },	/* 2100-09-25T14:00:00Z - 1 s */
	{ "Pacific/Chatham", INT64_C(4125563999999999999), 2100, 9, 26, 2, 44, 59, 6, 45900 },	/* 2100-09-25T14:00:00Z - 1 ns */
	{ "Pacific/Chatham", INT64_C(4125564000000000000), 2100, 9, 26, 3, 45, 0, 6, 49500 },	/* 2100-09-25T14:00:00Z */
	{ "Australia/Sydney", INT64_C(4110451199000000000), 2100, 4, 4, 2, 59, 59, 6, 39600 },	/* 2100-04-03T16:00:00Z - 1 s */
	{ "Australia/Sydney", INT64_C(4110451199999999999), 2100, 4, 4, 2, 59, 59, 6, 39600 },	/* 2100-04-03T16:00:00Z - 1 ns */
	{ "Australia/Sydney", INT64_C(4110451200000000000), 2100, 4, 4, 2, 0, 0, 6, 36000 },	/* 2100-04-03T16:00:00Z */
	{ "Australia/Sydney", INT64_C(4126175999000000000), 2100, 10, 3, 1, 59, 59, 6, 36000 },	/* 2100-10-02T16:00:00Z - 1 s */
	{ "Australia/Sydney", INT64_C(4126175999999999999), 2100, 10, 3, 1, 59, 59, 6, 36000 },	/* 2100-10-02T16:00:00Z - 1 ns */
	{ "Australia/Sydney", INT64_C(4126176000000000000), 2100, 10, 3, 3, 0, 0, 6, 39600 },	/* 2100-10-02T16:00:00Z */
	{ "Europe/London", INT64_C(4109878799000000000), 2100, 3, 28, 0, 59, 59, 6, 0 },	/* 2100-03-28T01:00:00Z - 1 s */
	{ "Europe/London", INT64_C(4109878799999999999), 2100, 3, 28, 0, 59, 59, 6, 0 },	/* 2100-03-28T01:00:00Z - 1 ns */
	{ "Europe/London", INT64_C(4109878800000000000), 2100, 3, 28, 2, 0, 0, 6, 3600 },	/* 2100-03-28T01:00:00Z */
	{ "Europe/London", INT64_C(4128627599000000000), 2100, 10, 31, 1, 59, 59, 6, 3600 },	/* 2100-10-31T01:00:00Z - 1 s */
	{ "Europe/London", INT64_C(4128627599999999999), 2100, 10, 31, 1, 59, 59, 6, 3600 },	/* 2100-10-31T01:00:00Z - 1 ns */
	{ "Europe/London", INT64_C(4128627600000000000), 2100, 10, 31, 1, 0, 0, 6, 0 },	/* 2100-10-31T01:00:00Z */
};

/* INT64_MIN (1677-09-21T00:12:43Z) and INT64_MAX
   (2262-04-11T23:47:16Z); before the first transition is LMT. */
static const struct want extremes[] = {
	{ "UTC", INT64_MIN, 1677, 9, 21, 0, 12, 43, 1, 0 },	/* INT64_MIN */
	{ "UTC", INT64_MAX, 2262, 4, 11, 23, 47, 16, 4, 0 },	/* INT64_MAX */
	{ "Asia/Tokyo", INT64_MIN, 1677, 9, 21, 9, 31, 42, 1, 33539 },	/* INT64_MIN */
	{ "Asia/Tokyo", INT64_MAX, 2262, 4, 12, 8, 47, 16, 5, 32400 },	/* INT64_MAX */
	{ "America/New_York", INT64_MIN, 1677, 9, 20, 19, 16, 41, 0, -17762 },	/* INT64_MIN */
	{ "America/New_York", INT64_MAX, 2262, 4, 11, 19, 47, 16, 4, -14400 },	/* INT64_MAX */
	{ "Australia/Lord_Howe", INT64_MIN, 1677, 9, 21, 10, 49, 3, 1, 38180 },	/* INT64_MIN */
	{ "Australia/Lord_Howe", INT64_MAX, 2262, 4, 12, 10, 17, 16, 5, 37800 },	/* INT64_MAX */
	{ "Europe/London", INT64_MIN, 1677, 9, 21, 0, 11, 28, 1, -75 },	/* INT64_MIN */
	{ "Europe/London", INT64_MAX, 2262, 4, 12, 0, 47, 16, 5, 3600 },	/* INT64_MAX */
	{ "Pacific/Kiritimati", INT64_MIN, 1677, 9, 20, 13, 43, 23, 0, -37760 },	/* INT64_MIN */
	{ "Pacific/Kiritimati", INT64_MAX, 2262, 4, 12, 13, 47, 16, 5, 50400 },	/* INT64_MAX */
	{ "America/Nuuk", INT64_MIN, 1677, 9, 20, 20, 45, 47, 0, -12416 },	/* INT64_MIN */
	{ "America/Nuuk", INT64_MAX, 2262, 4, 11, 22, 47, 16, 4, -3600 },	/* INT64_MAX */
};

/* The synthetic rules of tz-018 (tzcode localtime_rz). */
static const struct want synth[] = {
	{ "Test/A", INT64_C(1709269199000000000), 2024, 3, 1, 1, 59, 59, 4, -10800 },	/* 2024-03-01T05:00:00Z - 1 s */
	{ "Test/A", INT64_C(1709269199999999999), 2024, 3, 1, 1, 59, 59, 4, -10800 },	/* 2024-03-01T05:00:00Z - 1 ns */
	{ "Test/A", INT64_C(1709269200000000000), 2024, 3, 1, 3, 0, 0, 4, -7200 },	/* 2024-03-01T05:00:00Z */
	{ "Test/A", INT64_C(1729990799000000000), 2024, 10, 26, 22, 59, 59, 5, -7200 },	/* 2024-10-27T01:00:00Z - 1 s */
	{ "Test/A", INT64_C(1729990799999999999), 2024, 10, 26, 22, 59, 59, 5, -7200 },	/* 2024-10-27T01:00:00Z - 1 ns */
	{ "Test/A", INT64_C(1729990800000000000), 2024, 10, 26, 22, 0, 0, 5, -10800 },	/* 2024-10-27T01:00:00Z */
	{ "Test/A", INT64_C(1740805199000000000), 2025, 3, 1, 1, 59, 59, 5, -10800 },	/* 2025-03-01T05:00:00Z - 1 s */
	{ "Test/A", INT64_C(1740805199999999999), 2025, 3, 1, 1, 59, 59, 5, -10800 },	/* 2025-03-01T05:00:00Z - 1 ns */
	{ "Test/A", INT64_C(1740805200000000000), 2025, 3, 1, 3, 0, 0, 5, -7200 },	/* 2025-03-01T05:00:00Z */
	{ "Test/A", INT64_C(1761526799000000000), 2025, 10, 26, 22, 59, 59, 6, -7200 },	/* 2025-10-27T01:00:00Z - 1 s */
	{ "Test/A", INT64_C(1761526799999999999), 2025, 10, 26, 22, 59, 59, 6, -7200 },	/* 2025-10-27T01:00:00Z - 1 ns */
	{ "Test/A", INT64_C(1761526800000000000), 2025, 10, 26, 22, 0, 0, 6, -10800 },	/* 2025-10-27T01:00:00Z */
	{ "Test/B", INT64_C(1709236799000000000), 2024, 3, 1, 0, 59, 59, 4, 18000 },	/* 2024-02-29T20:00:00Z - 1 s; python differs */
	{ "Test/B", INT64_C(1709236799999999999), 2024, 3, 1, 0, 59, 59, 4, 18000 },	/* 2024-02-29T20:00:00Z - 1 ns; python differs */
	{ "Test/B", INT64_C(1709236800000000000), 2024, 3, 1, 2, 0, 0, 4, 21600 },	/* 2024-02-29T20:00:00Z */
	{ "Test/B", INT64_C(1729952999000000000), 2024, 10, 26, 20, 29, 59, 5, 21600 },	/* 2024-10-26T14:30:00Z - 1 s; python differs */
	{ "Test/B", INT64_C(1729952999999999999), 2024, 10, 26, 20, 29, 59, 5, 21600 },	/* 2024-10-26T14:30:00Z - 1 ns; python differs */
	{ "Test/B", INT64_C(1729953000000000000), 2024, 10, 26, 19, 30, 0, 5, 18000 },	/* 2024-10-26T14:30:00Z */
	{ "Test/B", INT64_C(1740859199000000000), 2025, 3, 2, 0, 59, 59, 6, 18000 },	/* 2025-03-01T20:00:00Z - 1 s; python differs */
	{ "Test/B", INT64_C(1740859199999999999), 2025, 3, 2, 0, 59, 59, 6, 18000 },	/* 2025-03-01T20:00:00Z - 1 ns; python differs */
	{ "Test/B", INT64_C(1740859200000000000), 2025, 3, 2, 2, 0, 0, 6, 21600 },	/* 2025-03-01T20:00:00Z */
	{ "Test/B", INT64_C(1761575399000000000), 2025, 10, 27, 20, 29, 59, 0, 21600 },	/* 2025-10-27T14:30:00Z - 1 s; python differs */
	{ "Test/B", INT64_C(1761575399999999999), 2025, 10, 27, 20, 29, 59, 0, 21600 },	/* 2025-10-27T14:30:00Z - 1 ns; python differs */
	{ "Test/B", INT64_C(1761575400000000000), 2025, 10, 27, 19, 30, 0, 0, 18000 },	/* 2025-10-27T14:30:00Z */
	{ "Test/C", INT64_C(1704067200000000000), 2023, 12, 31, 20, 0, 0, 6, -14400 },	/* 2024-01-01T00:00:00Z; glibc differs */
	{ "Test/C", INT64_C(1704085199000000000), 2024, 1, 1, 0, 59, 59, 0, -14400 },	/* 2024-01-01T04:59:59Z; glibc differs */
	{ "Test/C", INT64_C(1704085200000000000), 2024, 1, 1, 1, 0, 0, 0, -14400 },	/* 2024-01-01T05:00:00Z */
	{ "Test/C", INT64_C(1719835200000000000), 2024, 7, 1, 8, 0, 0, 0, -14400 },	/* 2024-07-01T12:00:00Z */
	{ "Test/C", INT64_C(1735689599000000000), 2024, 12, 31, 19, 59, 59, 1, -14400 },	/* 2024-12-31T23:59:59Z */
	{ "Test/C", INT64_C(4102462799000000000), 2100, 1, 1, 0, 59, 59, 4, -14400 },	/* 2100-01-01T04:59:59Z; glibc differs */
	{ "Test/C", INT64_C(4102462800000000000), 2100, 1, 1, 1, 0, 0, 4, -14400 },	/* 2100-01-01T05:00:00Z */
	{ "Test/D", INT64_C(1709674199000000000), 2024, 3, 5, 22, 59, 59, 1, 5400 },	/* 2024-03-05T21:30:00Z - 1 s */
	{ "Test/D", INT64_C(1709674199999999999), 2024, 3, 5, 22, 59, 59, 1, 5400 },	/* 2024-03-05T21:30:00Z - 1 ns */
	{ "Test/D", INT64_C(1709674200000000000), 2024, 3, 5, 23, 30, 30, 1, 7230 },	/* 2024-03-05T21:30:00Z */
	{ "Test/D", INT64_C(1732316369000000000), 2024, 11, 23, 0, 59, 59, 5, 7230 },	/* 2024-11-22T22:59:30Z - 1 s */
	{ "Test/D", INT64_C(1732316369999999999), 2024, 11, 23, 0, 59, 59, 5, 7230 },	/* 2024-11-22T22:59:30Z - 1 ns */
	{ "Test/D", INT64_C(1732316370000000000), 2024, 11, 23, 0, 29, 30, 5, 5400 },	/* 2024-11-22T22:59:30Z */
	{ "Test/D", INT64_C(4107706199000000000), 2100, 3, 2, 22, 59, 59, 1, 5400 },	/* 2100-03-02T21:30:00Z - 1 s */
	{ "Test/D", INT64_C(4107706199999999999), 2100, 3, 2, 22, 59, 59, 1, 5400 },	/* 2100-03-02T21:30:00Z - 1 ns */
	{ "Test/D", INT64_C(4107706200000000000), 2100, 3, 2, 23, 30, 30, 1, 7230 },	/* 2100-03-02T21:30:00Z */
	{ "Test/D", INT64_C(4130348369000000000), 2100, 11, 20, 0, 59, 59, 5, 7230 },	/* 2100-11-19T22:59:30Z - 1 s */
	{ "Test/D", INT64_C(4130348369999999999), 2100, 11, 20, 0, 59, 59, 5, 7230 },	/* 2100-11-19T22:59:30Z - 1 ns */
	{ "Test/D", INT64_C(4130348370000000000), 2100, 11, 20, 0, 29, 30, 5, 5400 },	/* 2100-11-19T22:59:30Z */
	{ "Test/E", INT64_C(4109867999000000000), 2100, 3, 28, 0, 59, 59, 6, 10800 },	/* 2100-03-27T22:00:00Z - 1 s */
	{ "Test/E", INT64_C(4109867999999999999), 2100, 3, 28, 0, 59, 59, 6, 10800 },	/* 2100-03-27T22:00:00Z - 1 ns */
	{ "Test/E", INT64_C(4109868000000000000), 2100, 3, 28, 0, 0, 0, 6, 7200 },	/* 2100-03-27T22:00:00Z */
	{ "Test/E", INT64_C(4128623999000000000), 2100, 10, 31, 1, 59, 59, 6, 7200 },	/* 2100-10-31T00:00:00Z - 1 s */
	{ "Test/E", INT64_C(4128623999999999999), 2100, 10, 31, 1, 59, 59, 6, 7200 },	/* 2100-10-31T00:00:00Z - 1 ns */
	{ "Test/E", INT64_C(4128624000000000000), 2100, 10, 31, 3, 0, 0, 6, 10800 },	/* 2100-10-31T00:00:00Z */
	{ "Test/F", INT64_C(1704117599000000000), 2024, 1, 1, 23, 59, 59, 0, 36000 },	/* 2024-01-01T14:00:00Z - 1 s; glibc differs, python differs */
	{ "Test/F", INT64_C(1704117599999999999), 2024, 1, 1, 23, 59, 59, 0, 36000 },	/* 2024-01-01T14:00:00Z - 1 ns; glibc differs, python differs */
	{ "Test/F", INT64_C(1704117600000000000), 2024, 1, 2, 1, 0, 0, 1, 39600 },	/* 2024-01-01T14:00:00Z */
	{ "Test/F", INT64_C(1709297999000000000), 2024, 3, 1, 23, 59, 59, 4, 39600 },	/* 2024-03-01T13:00:00Z - 1 s */
	{ "Test/F", INT64_C(1709297999999999999), 2024, 3, 1, 23, 59, 59, 4, 39600 },	/* 2024-03-01T13:00:00Z - 1 ns */
	{ "Test/F", INT64_C(1709298000000000000), 2024, 3, 1, 23, 0, 0, 4, 36000 },	/* 2024-03-01T13:00:00Z */
	{ "Test/F", INT64_C(1735739999000000000), 2025, 1, 1, 23, 59, 59, 2, 36000 },	/* 2025-01-01T14:00:00Z - 1 s; glibc differs, python differs */
	{ "Test/F", INT64_C(1735739999999999999), 2025, 1, 1, 23, 59, 59, 2, 36000 },	/* 2025-01-01T14:00:00Z - 1 ns; glibc differs, python differs */
	{ "Test/F", INT64_C(1735740000000000000), 2025, 1, 2, 1, 0, 0, 3, 39600 },	/* 2025-01-01T14:00:00Z */
	{ "Test/F", INT64_C(1740747599000000000), 2025, 2, 28, 23, 59, 59, 4, 39600 },	/* 2025-02-28T13:00:00Z - 1 s */
	{ "Test/F", INT64_C(1740747599999999999), 2025, 2, 28, 23, 59, 59, 4, 39600 },	/* 2025-02-28T13:00:00Z - 1 ns */
	{ "Test/F", INT64_C(1740747600000000000), 2025, 2, 28, 23, 0, 0, 4, 36000 },	/* 2025-02-28T13:00:00Z */
	{ "Test/F", INT64_C(1767275999000000000), 2026, 1, 1, 23, 59, 59, 3, 36000 },	/* 2026-01-01T14:00:00Z - 1 s; glibc differs, python differs */
	{ "Test/F", INT64_C(1767275999999999999), 2026, 1, 1, 23, 59, 59, 3, 36000 },	/* 2026-01-01T14:00:00Z - 1 ns; glibc differs, python differs */
	{ "Test/F", INT64_C(1767276000000000000), 2026, 1, 2, 1, 0, 0, 4, 39600 },	/* 2026-01-01T14:00:00Z */
};

/* One shared instant for tz-001 and the threads: 2024-11-16T18:15:46Z. */
#define SHARED_NS INT64_C(1731780946000000000)

static char tmpdir[256];		/* the test's own $TZDIR */
static char *orig_tzdir;		/* $TZDIR as the test found it */
static char *created[64];		/* paths to remove at the end */
static size_t ncreated;

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---------------------------------------------------------- */

static void
use_tmp_tzdir(void)
{
	if (setenv("TZDIR", tmpdir, 1) != 0)
		tap_bail("setenv: %s", strerror(errno));
}

static void
use_system_tzdir(void)
{
	if (orig_tzdir != NULL)
		setenv("TZDIR", orig_tzdir, 1);
	else
		unsetenv("TZDIR");
}

static void
remember(const char *path)
{
	if (ncreated == NELEM(created))
		tap_bail("too many temporary files");
	created[ncreated] = strdup(path);
	if (created[ncreated] == NULL)
		tap_bail("out of memory");
	ncreated++;
}

/* Makes tmpdir/rel's directories and writes n bytes there. */
static void
write_zone(const char *rel, const void *p, size_t n)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	for (slash = strchr(path + strlen(tmpdir) + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0700) == 0)
			remember(path);
		else if (errno != EEXIST)
			tap_bail("mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
	if ((f = fopen(path, "wb")) == NULL)
		tap_bail("%s: %s", path, strerror(errno));
	if (n > 0 && fwrite(p, 1, n, f) != n)
		tap_bail("%s: write failed", path);
	if (fclose(f) != 0)
		tap_bail("%s: %s", path, strerror(errno));
	remember(path);
}

/* The bytes of a system zone's file, malloc'd. */
static unsigned char *
read_system_zone(const char *zone, size_t *len)
{
	const char *dir = orig_tzdir && *orig_tzdir ? orig_tzdir :
	    "/usr/share/zoneinfo";
	char path[512];
	unsigned char *buf;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, zone);
	if ((f = fopen(path, "rb")) == NULL)
		tap_bail("%s: %s", path, strerror(errno));
	buf = malloc(1 << 16);
	if (buf == NULL)
		tap_bail("out of memory");
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	if (*len == 0 || *len == 1 << 16)
		tap_bail("%s: unexpected size", path);
	return buf;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * A version 2+ TZif file: a minimal 32-bit block (one type, no
 * transitions, as RFC 8536 allows), then a 64-bit block of ntrans
 * transitions to type idx[i] (NULL: 0) of one time type (utoff, isdst,
 * "LMT"), then leapcnt zeroed leap records, "\nfooter\n" and trailer.
 */
struct spec {
	char version;
	size_t ntrans;
	const int64_t *trans;
	const unsigned char *idx;	/* NULL: all 0 */
	int32_t utoff;
	int isdst;
	uint32_t leapcnt;
	const char *footer;
	const char *trailer;		/* NULL: none */
};

static unsigned char *
header(unsigned char *p, char version, uint32_t leapcnt, uint32_t timecnt,
    uint32_t typecnt, uint32_t charcnt)
{
	memcpy(p, "TZif", 4);
	p[4] = (unsigned char)version;
	memset(p + 5, 0, 15);
	put32(p + 20, 0);		/* isutcnt */
	put32(p + 24, 0);		/* isstdcnt */
	put32(p + 28, leapcnt);
	put32(p + 32, timecnt);
	put32(p + 36, typecnt);
	put32(p + 40, charcnt);
	return p + 44;
}

static size_t
build_tzif(unsigned char *buf, const struct spec *s)
{
	unsigned char *p = buf;

	p = header(p, s->version, 0, 0, 1, 4);
	put32(p, 0);
	p[4] = p[5] = 0;
	memcpy(p + 6, "LMT", 4);
	p += 10;
	p = header(p, s->version, s->leapcnt, (uint32_t)s->ntrans, 1, 4);
	for (size_t i = 0; i < s->ntrans; i++) {
		put32(p, (uint32_t)((uint64_t)s->trans[i] >> 32));
		put32(p + 4, (uint32_t)s->trans[i]);
		p += 8;
	}
	for (size_t i = 0; i < s->ntrans; i++)
		*p++ = s->idx != NULL ? s->idx[i] : 0;
	put32(p, (uint32_t)s->utoff);
	p[4] = (unsigned char)s->isdst;
	p[5] = 0;
	memcpy(p + 6, "LMT", 4);
	p += 10;
	memset(p, 0, 12 * (size_t)s->leapcnt);
	p += 12 * (size_t)s->leapcnt;
	*p++ = '\n';
	memcpy(p, s->footer, strlen(s->footer));
	p += strlen(s->footer);
	*p++ = '\n';
	if (s->trailer != NULL) {
		memcpy(p, s->trailer, strlen(s->trailer));
		p += strlen(s->trailer);
	}
	return (size_t)(p - buf);
}

/* Checks every row of a table: feat_tz_local and feat_tz_offset. */
static void
check_rows(const char *id, const char *desc, const struct want *w, size_t n)
{
	char err[256];

	tap_begin(id, "%s", desc);
	for (size_t i = 0; i < n; i++) {
		struct feat_local_time lt;
		feat_tz *tz = feat_tz_open(w[i].zone, err, sizeof err);

		if (!tap_check(tz != NULL, "%s: %s", w[i].zone, err))
			continue;
		memset(&lt, 0x5a, sizeof lt);
		feat_tz_local(tz, w[i].ns, &lt);
		tap_check(lt.year == w[i].year && lt.month == w[i].month &&
		    lt.day == w[i].day && lt.hour == w[i].hour &&
		    lt.minute == w[i].minute && lt.second == w[i].second &&
		    lt.wday == w[i].wday && lt.offset == w[i].offset &&
		    feat_tz_offset(tz, w[i].ns) == w[i].offset,
		    "%s at %" PRId64 ": got %04" PRId64 "-%02d-%02d "
		    "%02d:%02d:%02d wday %d offset %" PRId32 " (feat_tz_offset "
		    "%" PRId32 "), want %04" PRId64 "-%02d-%02d %02d:%02d:%02d "
		    "wday %d offset %" PRId32, w[i].zone, w[i].ns, lt.year,
		    lt.month, lt.day, lt.hour, lt.minute, lt.second, lt.wday,
		    lt.offset, feat_tz_offset(tz, w[i].ns), w[i].year,
		    w[i].month, w[i].day, w[i].hour, w[i].minute, w[i].second,
		    w[i].wday, w[i].offset);
		feat_tz_free(tz);
	}
	tap_end();
}

/*
 * Opening name must fail with a message that starts with want and, when
 * reason is not NULL, contains it.
 */
static void
check_refused(const char *name, const char *want, const char *reason)
{
	char err[512] = "";
	feat_tz *tz = feat_tz_open(name, err, sizeof err);

	tap_check(tz == NULL && strncmp(err, want, strlen(want)) == 0 &&
	    (reason == NULL || strstr(err, reason) != NULL),
	    "'%s': %s, message '%s', want '%s...%s'", name ? name : "(null)",
	    tz ? "opened" : "refused", err, want, reason ? reason : "");
	feat_tz_free(tz);
}

/* ---- the tests ---------------------------------------------------------- */

static void
test_utc(void)
{
	const char *names[] = { "UTC", "Etc/UTC" };
	char err[256];

	/* An empty $TZDIR: UTC must not need a file. */
	use_tmp_tzdir();
	tap_begin("tz-001", "UTC and Etc/UTC are built in, no file needed");
	for (size_t i = 0; i < NELEM(names); i++) {
		struct feat_local_time lt;
		feat_tz *tz = feat_tz_open(names[i], err, sizeof err);

		if (!tap_check(tz != NULL, "%s: %s", names[i], err))
			continue;
		tap_check_str(feat_tz_name(tz), names[i], "name");
		feat_tz_local(tz, SHARED_NS, &lt);
		/* 2024-11-16T18:15:46Z was a Saturday (5). */
		tap_check(lt.year == 2024 && lt.month == 11 && lt.day == 16 &&
		    lt.hour == 18 && lt.minute == 15 && lt.second == 46 &&
		    lt.wday == 5 && lt.offset == 0, "%s: got %04" PRId64
		    "-%02d-%02d %02d:%02d:%02d wday %d", names[i], lt.year,
		    lt.month, lt.day, lt.hour, lt.minute, lt.second, lt.wday);
		tap_check_int(feat_tz_offset(tz, INT64_MIN), 0, "offset");
		tap_check_int(feat_tz_offset(tz, INT64_MAX), 0, "offset");
		feat_tz_free(tz);
	}
	tap_end();
	use_system_tzdir();
}

static void
test_null_zone(void)
{
	struct feat_local_time lt;

	feat_tz_local(NULL, -1, &lt);
	feat_tz_free(NULL);
	/* 1969-12-31T23:59:59.999999999Z: Wednesday (2). */
	tap_ok(lt.year == 1969 && lt.month == 12 && lt.day == 31 &&
	    lt.hour == 23 && lt.minute == 59 && lt.second == 59 &&
	    lt.wday == 2 && lt.offset == 0 && feat_tz_offset(NULL, 0) == 0 &&
	    strcmp(feat_tz_name(NULL), "UTC") == 0, "tz-002",
	    "a NULL zone is UTC (-1 ns: 1969-12-31 23:59:59, Wednesday)");
}

static void
test_names(void)
{
	char longname[400];
	const char *bad[] = {
		"../etc/passwd", "/etc/localtime", "", "..", ".",
		"Asia/../Asia/Tokyo", "Asia/./Tokyo", "./Asia/Tokyo",
		"Asia//Tokyo", "Asia/Tokyo/", "EST5EDT,M3.2.0,M11.1.0",
		"<+09>-9", ":Asia/Tokyo", "Asia/Tokyo ", "Asia/Tokyo\n",
		"Asia\\Tokyo", "Asia/Tōkyō", longname
	};
	char err[64];

	memset(longname, 'A', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	tap_begin("tz-012", "names that are not plain database names are "
	    "refused");
	for (size_t i = 0; i < NELEM(bad); i++)
		check_refused(bad[i], "unknown time zone '", NULL);
	check_refused(NULL, "unknown time zone '", NULL);
	/* No err buffer at all is allowed. */
	tap_check(feat_tz_open("../etc/passwd", NULL, 0) == NULL,
	    "err NULL: refused");
	/* A message that does not fit is cut, still terminated. */
	tap_check(feat_tz_open("Asia/Nowhere", err, 8) == NULL &&
	    strcmp(err, "unknown") == 0, "cut message: '%s'", err);
	tap_end();
}

static void
test_unknown(void)
{
	tap_begin("tz-013", "a missing zone or a directory is an unknown time "
	    "zone");
	check_refused("Asia/Nowhere", "unknown time zone 'Asia/Nowhere'",
	    NULL);
	check_refused("Nowhere", "unknown time zone 'Nowhere'", NULL);
	check_refused("America", "unknown time zone 'America'", NULL);
	check_refused("Asia/Tokyo/x", "unknown time zone 'Asia/Tokyo/x'",
	    NULL);
	tap_end();
}

static void
test_tzdir(void)
{
	size_t len;
	unsigned char *tokyo = read_system_zone("Asia/Tokyo", &len);
	struct feat_local_time lt;
	char err[512];
	feat_tz *tz;

	write_zone("My/Zone", tokyo, len);
	free(tokyo);
	use_tmp_tzdir();
	tap_begin("tz-014", "$TZDIR is honoured: a copy of Asia/Tokyo as "
	    "My/Zone, and nothing outside it");
	tz = feat_tz_open("My/Zone", err, sizeof err);
	if (tap_check(tz != NULL, "My/Zone: %s", err)) {
		feat_tz_local(tz, SHARED_NS, &lt);
		tap_check_str(feat_tz_name(tz), "My/Zone", "name");
		/* 2024-11-17 03:15:46 JST, a Sunday (6). */
		tap_check(lt.day == 17 && lt.hour == 3 && lt.wday == 6 &&
		    lt.offset == 32400, "My/Zone: day %d hour %d wday %d "
		    "offset %" PRId32, lt.day, lt.hour, lt.wday, lt.offset);
	}
	feat_tz_free(tz);
	check_refused("Asia/Tokyo", "unknown time zone 'Asia/Tokyo'", NULL);
	tap_end();
	use_system_tzdir();
}

static void
test_truncated(void)
{
	size_t len;
	unsigned char *ny = read_system_zone("America/New_York", &len);
	char err[512];

	use_tmp_tzdir();
	tap_begin("tz-015", "every truncated prefix of a TZif file is refused "
	    "(%zu bytes)", len);
	write_zone("Cut/Whole", ny, len);
	{
		feat_tz *whole = feat_tz_open("Cut/Whole", err, sizeof err);

		tap_check(whole != NULL, "the whole file: %s", err);
		feat_tz_free(whole);
	}
	for (size_t n = 0; n < len; n++) {
		char path[512];
		feat_tz *tz;
		FILE *f;

		snprintf(path, sizeof path, "%s/Cut/Whole", tmpdir);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(ny, 1, n, f) != n || fclose(f) != 0)
			tap_bail("%s: cannot write", path);
		err[0] = '\0';
		tz = feat_tz_open("Cut/Whole", err, sizeof err);
		tap_check(tz == NULL && (strstr(err, "truncated") != NULL ||
		    (n < 4 && strstr(err, "not a TZif file") != NULL)),
		    "%zu of %zu bytes: %s, '%s'", n, len,
		    tz ? "opened" : "refused", err);
		feat_tz_free(tz);
	}
	tap_end();
	free(ny);
	use_system_tzdir();
}

static void
test_not_tzif(void)
{
	static const char text[] = "# not a zone\nEST5EDT\n";
	size_t big = ((size_t)1 << 20) + 1;
	unsigned char *buf = calloc(1, big);

	if (buf == NULL)
		tap_bail("out of memory");
	use_tmp_tzdir();
	write_zone("Bad/Text", text, sizeof text - 1);
	write_zone("Bad/Empty", "", 0);
	memcpy(buf, "TZif2", 5);
	write_zone("Bad/Huge", buf, big);
	free(buf);
	tap_begin("tz-016", "non-TZif, empty and over-1-MiB files are "
	    "refused");
	check_refused("Bad/Text", "time zone 'Bad/Text': '",
	    "not a TZif file");
	check_refused("Bad/Empty", "time zone 'Bad/Empty': '",
	    "not a TZif file");
	check_refused("Bad/Huge", "time zone 'Bad/Huge': '",
	    "larger than 1 MiB");
	tap_end();
	use_system_tzdir();
}

/*
 * The 32-bit block of America/New_York alone, version byte 0: a version 1
 * file.  Its transitions run from 1901-12-13T20:45:52Z (-2^31) to 2037;
 * after them the last type (EST) holds, before them type 0 (LMT).  Values
 * from GNU date and tzcode on these bytes.
 */
static const struct want v1rows[] = {
	{ "V1/New_York", INT64_C(1710053999000000000), 2024, 3, 10, 1, 59, 59, 6, -18000 },
	{ "V1/New_York", INT64_C(1710054000000000000), 2024, 3, 10, 3, 0, 0, 6, -14400 },
	{ "V1/New_York", INT64_C(1730613599000000000), 2024, 11, 3, 1, 59, 59, 6, -14400 },
	{ "V1/New_York", INT64_C(1730613600000000000), 2024, 11, 3, 1, 0, 0, 6, -18000 },
	{ "V1/New_York", INT64_C(4118400000000000000), 2100, 7, 4, 11, 0, 0, 6, -18000 },
	{ "V1/New_York", INT64_C(-2717650800000000000), 1883, 11, 18, 12, 3, 58, 6, -17762 },
};

static void
test_v1(void)
{
	size_t len, size1;
	unsigned char *ny = read_system_zone("America/New_York", &len);
	uint32_t isut = get32(ny + 20), isstd = get32(ny + 24),
	    leap = get32(ny + 28), timecnt = get32(ny + 32),
	    typecnt = get32(ny + 36), charcnt = get32(ny + 40);

	size1 = (size_t)timecnt * 5 + typecnt * 6 + charcnt + leap * 8 +
	    isstd + isut;
	if (44 + size1 > len || ny[4] < '2')
		tap_bail("America/New_York is not a version 2+ file");
	ny[4] = '\0';
	write_zone("V1/New_York", ny, 44 + size1);
	free(ny);
	use_tmp_tzdir();
	check_rows("tz-017", "a version-1 file (32-bit data, no footer)",
	    v1rows, NELEM(v1rows));
	use_system_tzdir();
}

/* 1900-01-01T00:00:00Z, the one transition of the synthetic files. */
static const int64_t t1900[] = { INT64_C(-2208988800) };

static void
test_synthetic(void)
{
	static const struct {
		const char *name, *footer;
		int32_t utoff;
		int isdst;
	} z[] = {
		{ "Test/A", "<-03>3<-02>,J60/2,J300/-1", -10800, 0 },
		{ "Test/B", "<+05>-5<+06>,59/25,300/-3:30", 18000, 0 },
		{ "Test/C", "<-05>5<-04>4,0/0,J365/25", -14400, 1 },
		{ "Test/D", "<+0130>-1:30<+02>-2:00:30,M2.5.3/167,M11.5.6/-167",
		    5400, 0 },
		{ "Test/E", "ABC-3DEF-2,M3.5.0/1,M10.5.0", 10800, 0 },
		{ "Test/F", "<+10>-10<+11>,J365/48,M3.1.0/-24", 36000, 0 },
	};
	unsigned char buf[512];

	for (size_t i = 0; i < NELEM(z); i++) {
		struct spec s = {
			.version = '2', .ntrans = 1, .trans = t1900,
			.utoff = z[i].utoff, .isdst = z[i].isdst,
			.footer = z[i].footer
		};

		write_zone(z[i].name, buf, build_tzif(buf, &s));
	}
	use_tmp_tzdir();
	check_rows("tz-018", "footer rules: Jn, n, permanent DST, 167 h and "
	    "negative times, second offsets, negative DST, next-year start",
	    synth, NELEM(synth));
	use_system_tzdir();
}

static void
test_corrupt(void)
{
	static const int64_t down[] = { INT64_C(0), INT64_C(-1) };
	static const int64_t two[] = { INT64_C(-1), INT64_C(0) };
	static const unsigned char badidx[] = { 0, 1 };
	static const struct {
		const char *name, *problem;
		struct spec s;
	} c[] = {
		{ "Corrupt/NoDates", "bad TZ rule", { .version = '2',
		    .footer = "XXX-1YYY" } },
		{ "Corrupt/NoOffset", "bad TZ rule", { .version = '2',
		    .footer = "JST" } },
		{ "Corrupt/Junk", "bad TZ rule", { .version = '2',
		    .footer = "JST-9 x" } },
		{ "Corrupt/BadDate", "bad TZ rule", { .version = '2',
		    .footer = "EST5EDT,M13.1.0,M11.1.0" } },
		{ "Corrupt/BadTime", "bad TZ rule", { .version = '2',
		    .footer = "EST5EDT,M3.2.0/168,M11.1.0" } },
		{ "Corrupt/Order", "out of order", { .version = '2',
		    .ntrans = 2, .trans = down, .footer = "" } },
		{ "Corrupt/Index", "corrupt TZif transition", {
		    .version = '2', .ntrans = 2, .trans = two, .idx = badidx,
		    .footer = "" } },
		{ "Corrupt/Leap", "leap-second", { .version = '2',
		    .leapcnt = 1, .footer = "" } },
		{ "Corrupt/Trailer", "data after", { .version = '2',
		    .footer = "JST-9", .trailer = "x" } },
		{ "Corrupt/Version", "unsupported TZif version", {
		    .version = '5', .footer = "JST-9" } },
		{ "Corrupt/MinOff", "corrupt TZif time type", {
		    .version = '2', .utoff = INT32_MIN, .footer = "" } },
	};
	unsigned char buf[512];
	char err[512];

	for (size_t i = 0; i < NELEM(c); i++)
		write_zone(c[i].name, buf, build_tzif(buf, &c[i].s));
	use_tmp_tzdir();
	tap_begin("tz-019", "corrupt TZif data is refused with its reason");
	for (size_t i = 0; i < NELEM(c); i++) {
		feat_tz *tz;

		err[0] = '\0';
		tz = feat_tz_open(c[i].name, err, sizeof err);
		tap_check(tz == NULL && strstr(err, c[i].problem) != NULL,
		    "%s: %s, '%s', want '%s'", c[i].name,
		    tz ? "opened" : "refused", err, c[i].problem);
		feat_tz_free(tz);
	}
	/* The same builder with a sane footer is read: the cases above
	   fail for their one defect. */
	{
		struct spec ok = { .version = '2', .ntrans = 1, .trans = t1900,
		    .utoff = 32400, .footer = "JST-9" };
		feat_tz *tz;

		write_zone("Corrupt/None", buf, build_tzif(buf, &ok));
		tz = feat_tz_open("Corrupt/None", err, sizeof err);
		tap_check(tz != NULL && feat_tz_offset(tz, SHARED_NS) == 32400,
		    "the sane control file: %s", tz ? "ok" : err);
		feat_tz_free(tz);
	}
	tap_end();
	use_system_tzdir();
}

/* ---- threads ------------------------------------------------------------- */

struct worker {
	const feat_tz *tz;
	int hour, day, wday;
	int32_t offset;
	pthread_barrier_t *start;
	long bad;
};

static void *
work(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->start);
	for (int i = 0; i < 100000; i++) {
		struct feat_local_time lt;

		feat_tz_local(w->tz, SHARED_NS, &lt);
		if (lt.hour != w->hour || lt.day != w->day ||
		    lt.wday != w->wday || lt.minute != 15 || lt.second != 46 ||
		    lt.offset != w->offset ||
		    feat_tz_offset(w->tz, SHARED_NS) != w->offset)
			w->bad++;
	}
	return NULL;
}

static void
test_threads(void)
{
	char err[256];
	feat_tz *tokyo = feat_tz_open("Asia/Tokyo", err, sizeof err);
	feat_tz *ny = feat_tz_open("America/New_York", err, sizeof err);
	pthread_barrier_t start;
	pthread_t t[2];
	/* 2024-11-17 03:15:46 JST, Sunday; 2024-11-16 13:15:46 EST,
	   Saturday (Python zoneinfo). */
	struct worker w[2] = {
		{ tokyo, 3, 17, 6, 32400, &start, 0 },
		{ ny, 13, 16, 5, -18000, &start, 0 },
	};
	int started = 0;

	if (tokyo == NULL || ny == NULL)
		tap_bail("%s", err);
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, work, &w[i]) == 0)
			started++;
	if (started != 2)
		tap_bail("pthread_create failed");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	tap_ok(w[0].bad == 0 && w[1].bad == 0, "tz-020", "two threads at "
	    "once, 100000 lookups each: Tokyo 03 Sunday, New York 13 Saturday "
	    "(wrong: %ld, %ld)", w[0].bad, w[1].bad);
	feat_tz_free(tokyo);
	feat_tz_free(ny);
}

/*
 * REQ_009-013 of one instant in two zones, from two threads at once: the
 * hour features take the zone as an object, never from the environment.
 * Expected values: Python's math.cos/sin of 2*pi*h/24 and 2*pi*d/7 for
 * 03:15 Sunday in Tokyo and 13:15 Saturday in New York.
 */
struct hour_worker {
	const feat_tz *tz;
	double want[4];
	int weekend;
	pthread_barrier_t *start;
	long bad;
};

static void *
hour_work(void *arg)
{
	struct hour_worker *w = arg;

	pthread_barrier_wait(w->start);
	for (int i = 0; i < 100000; i++) {
		struct ft_hour_features h;

		ft_hour_features(w->tz, SHARED_NS, &h);
		if (h.hour_cos != w->want[0] || h.hour_sin != w->want[1] ||
		    h.day_cos != w->want[2] || h.day_sin != w->want[3] ||
		    h.weekend != w->weekend)
			w->bad++;
	}
	return NULL;
}

static void
test_hour_features(void)
{
	char err[256];
	feat_tz *tokyo = feat_tz_open("Asia/Tokyo", err, sizeof err);
	feat_tz *ny = feat_tz_open("America/New_York", err, sizeof err);
	pthread_barrier_t start;
	pthread_t t[2];
	struct hour_worker w[2] = {
		{ tokyo, { 0.7071067811865476, 0.7071067811865475,
		    0.6234898018587334, -0.7818314824680299 }, 1, &start, 0 },
		{ ny, { -0.9659258262890683, -0.2588190451025208,
		    -0.2225209339563146, -0.9749279121818236 }, 1, &start, 0 },
	};
	int started = 0;

	if (tokyo == NULL || ny == NULL)
		tap_bail("%s", err);
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, hour_work, &w[i]) == 0)
			started++;
	if (started != 2)
		tap_bail("pthread_create failed");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	tap_ok(w[0].bad == 0 && w[1].bad == 0, "tz-021", "the hour features of "
	    "one instant in Asia/Tokyo and America/New_York, two threads at "
	    "once (wrong: %ld, %ld)", w[0].bad, w[1].bad);
	feat_tz_free(tokyo);
	feat_tz_free(ny);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	const char *env = getenv("TZDIR");

	orig_tzdir = env != NULL ? strdup(env) : NULL;
	snprintf(tmpdir, sizeof tmpdir, "%s/test-tz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		tap_bail("mkdtemp %s: %s", tmpdir, strerror(errno));

	test_utc();
	test_null_zone();
	check_rows("tz-003", "negative instants floor: 1969 in UTC, New York "
	    "and Tokyo", utc_neg, NELEM(utc_neg));
	check_rows("tz-004", "Asia/Tokyo: +9, and +10 in the DST of 1948-1951",
	    tokyo, NELEM(tokyo));
	check_rows("tz-005", "America/New_York: the 2024 DST transitions",
	    ny2024, NELEM(ny2024));
	check_rows("tz-006", "America/New_York in 2100: the footer rule",
	    ny2100, NELEM(ny2100));
	check_rows("tz-007", "America/New_York in 1900 (EST) and before its "
	    "first transition (LMT)", nyold, NELEM(nyold));
	check_rows("tz-008", "Europe/London: +1 all year 1968-1971",
	    london, NELEM(london));
	check_rows("tz-009", "Australia/Lord_Howe: 30-minute DST, 2024 and "
	    "2100", lordhowe, NELEM(lordhowe));
	check_rows("tz-010", "footer rules in 2100: negative, 24 h and 26 h "
	    "times, southern and negative DST", rules2100, NELEM(rules2100));
	check_rows("tz-011", "INT64_MIN and INT64_MAX: 1677 and 2262",
	    extremes, NELEM(extremes));
	test_names();
	test_unknown();
	test_tzdir();
	test_truncated();
	test_not_tzif();
	test_v1();
	test_synthetic();
	test_corrupt();
	test_threads();
	test_hour_features();

	while (ncreated > 0) {
		char *p = created[--ncreated];

		if (remove(p) != 0)
			tap_diag("cannot remove %s: %s", p, strerror(errno));
		free(p);
	}
	if (rmdir(tmpdir) != 0)
		tap_diag("cannot remove %s: %s", tmpdir, strerror(errno));
	free(orig_tzdir);
	return tap_done();
}
