#!/usr/bin/env bats
# window-1m.bats - make check-long: feat-window --sketch over the 1M-event
# generated workload: every percentile within 1% of the exact one, and
# perf_1hr --sketch under 16 MB of peak resident memory.
load ../bats/helpers

@test "long-window-001: 1M events, --sketch: p50/p95/p99 within 1%, perf_1hr under 16 MB" {
	: "${FEAT_WINDOW:?run the suites through make check}"
	local p w rss
	"$FEAT_GENLOAD" -n 1000000 -s 12 > "$TMP/gen"
	for p in perf_5min perf_1hr; do
		"$FEAT_WINDOW" -p "$p" "$TMP/gen" > "$TMP/exact" 2> /dev/null
		/usr/bin/time -f '%M' -o "$TMP/rss" "$FEAT_WINDOW" -p "$p" --sketch "$TMP/gen" > "$TMP/sketch" 2> /dev/null
		[ "$(wc -l < "$TMP/exact")" -gt 100 ]
		w=$(pct_within "$TMP/exact" "$TMP/sketch")
		rss=$(tail -n 1 "$TMP/rss")
		echo "# $p --sketch: worst relative error $w, peak RSS $rss KB" >&3
		awk -v w="$w" 'BEGIN { exit !(w <= 0.01 && w > 0) }'
		[ "$p" != perf_1hr ] || [ "$rss" -lt 16384 ]
	done
}
