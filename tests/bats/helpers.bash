# helpers.bash - shared set-up for feat's bats suites.  The binaries come
# from the environment that 'make check' sets (FEAT_EXTRACT, ...), data from
# $FEAT_TESTDATA; every test gets its own temporary directory.
bats_require_minimum_version 1.5.0

setup() {
	: "${FEAT_EXTRACT:?run the suites through make check}"
	: "${FEAT_TESTDATA:?run the suites through make check}"
	export FEAT_NOW=2024-11-17T00:00:00Z
	export LC_ALL=C
	TMP=$BATS_TEST_TMPDIR
	DATA=$FEAT_TESTDATA
	JQ=${JQ:-jq}
}

# extract ARGS...: feat-extract with stderr kept apart ($output, $stderr).
extract() {
	run --separate-stderr "$FEAT_EXTRACT" "$@"
}

# window ARGS...: feat-window, the same way.
window() {
	: "${FEAT_WINDOW:?run the suites through make check}"
	run --separate-stderr "$FEAT_WINDOW" "$@"
}

# upserted FILE...: the records of the files, in order, as a store keeps
# them - the last of each key (entity, group, version, ts), a tombstone
# deleting it - without created, sorted.  A last line cut short (a run
# killed while writing it) is left out.
upserted() {
	local f
	for f in "$@"; do
		if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
			sed '$d' "$f"
		else
			cat "$f"
		fi
	done | sed 's/,"created":"[^"]*"//' |
	    awk '{ k = substr($0, 1, index($0, ",\"features\""))
	           if (index($0, ",\"features\":null,\"tombstone\":true")) delete v[k]; else v[k] = $0 }
	         END { for (k in v) print v[k] }' | sort
}

# close_enough FILE_A FILE_B: two tables of tab-separated lines, sorted the
# same way, with the same first column (a key) and numbers within 1e-9 of
# each other (or "null" in both).  Says the first difference.
close_enough() {
	awk -F'\t' '
	NR == FNR { a[FNR] = $0; n = FNR; next }
	{
		if (FNR > n) { print "extra line " FNR ": " $0; bad = 1; exit }
		split(a[FNR], x, "\t")
		if (x[1] != $1 || length(x) != NF) {
			print "line " FNR ": " a[FNR] " <> " $0; bad = 1; exit
		}
		for (i = 2; i <= NF; i++) {
			if (x[i] == $i) continue
			if (x[i] == "null" || $i == "null" ||
			    (x[i] - $i > 1e-9 || $i - x[i] > 1e-9)) {
				print "line " FNR " column " i ": " x[i] " <> " $i
				bad = 1; exit
			}
		}
		m = FNR
	}
	END { if (!bad && m != n) { print m " lines, want " n; bad = 1 } exit bad }
	' "$1" "$2"
}

# query ARGS...: feat-query, the same way.  FEAT_QUERY is checked here, not
# in setup, so that the suites that do not use it run without it.
query() {
	: "${FEAT_QUERY:?run the suites through make check}"
	run --separate-stderr "$FEAT_QUERY" "$@"
}

# Peak resident set size, in kB, of the command given (GNU time).
peak_rss_kb() {
	/usr/bin/time -f '%M' -o "$TMP/rss" "$@" >/dev/null 2>"$TMP/rss.err"
	tail -n 1 "$TMP/rss"
}

# pct_within EXACT SKETCH: the records pair up (same keys and ends), every
# percentile feature of the second within 1% of the first's, every other
# feature equal.  Prints the worst relative error.
pct_within() {
	paste <($JQ -c '[.entity_id, .group, .ts, .features]' "$1") \
	    <($JQ -c '[.entity_id, .group, .ts, .features]' "$2") |
	$JQ -R -r 'split("\t") | map(fromjson) as [$a, $b] |
	    if $a[0:3] != $b[0:3] then "mismatch \($a[0:3]) \($b[0:3])" else
	    ($a[3] | to_entries[]) as $e | $b[3][$e.key] as $s |
	    if ($e.key | test("_p[0-9]")) then
		(if $e.value == null then (if $s == null then 0 else "null vs \($s)" end)
		 elif $e.value == 0 then ($s | fabs)
		 else ((($s - $e.value) | fabs) / ($e.value | fabs)) end)
	    elif $e.value == $s then 0 else "\($e.key): \($e.value) vs \($s)" end end' |
	awk '/^[0-9.e+-]+$/ { if ($1 > w) w = $1; next } { print "# " $0; bad = 1 }
	     END { printf "%.6f\n", w; exit bad }'
}
