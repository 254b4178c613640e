#!/usr/bin/env bats
# window-1m.bats - make check-long: feat-window over the 1M-event
# generated workload: --sketch keeps every percentile within 1% of the exact one
# and perf_1hr under 16 MB; --state survives SIGKILL, SIGTERM and hourly runs.
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

# crash_1m SIG PRESET: five runs over the 1M events with a state, each
# stopped by SIG at a random moment (its saves included), then
# one to the end; every run with --flush.  Outputs in $TMP/out.1 .. 6.
crash_1m() {
	local sig=$1 p=$2 i d pid
	rm -f "$TMP/state" "$TMP/out."*
	for i in 1 2 3 4 5; do
		# (within the first third of a whole run: the restarts skip what
		# their predecessors read, and stopped there they stop mid-run)
		d=$(( (RANDOM * 32768 + RANDOM) % (ms / 3 + 100) ))
		"$FEAT_WINDOW" -p "$p" --state "$TMP/state" --checkpoint-every 50000 \
		    --flush "$TMP/gen" > "$TMP/out.$i" 2> /dev/null 3>&- &
		pid=$!
		sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
		kill -"$sig" "$pid" 2> /dev/null || true
		wait "$pid" || true
		echo "# $p, $sig after ${d} ms: $(wc -l < "$TMP/out.$i") lines" >&3
	done
	"$FEAT_WINDOW" -p "$p" --state "$TMP/state" --checkpoint-every 50000 \
	    --flush "$TMP/gen" > "$TMP/out.6" 2> "$TMP/last.err"
	echo "# $p, the last run: $(cat "$TMP/last.err")" >&3
}

@test "long-window-002: SIGKILL, then SIGTERM, at 5 random points of a 1M-event --state run, restarts: one run's records" {
	: "${FEAT_WINDOW:?run the suites through make check}"
	local p t0 t1 ms sig
	"$FEAT_GENLOAD" -n 1000000 -s 13 > "$TMP/gen"
	for p in perf_5min perf_1hr feedback_session feedback_1hr; do
		t0=$(date +%s%N)
		"$FEAT_WINDOW" -p "$p" "$TMP/gen" > "$TMP/ref" 2> /dev/null
		t1=$(date +%s%N)
		ms=$(( (t1 - t0) / 1000000 ))
		upserted "$TMP/ref" > "$TMP/ref.up"
		echo "# $p: uninterrupted run ${ms} ms, $(wc -l < "$TMP/ref.up") records" >&3
		for sig in KILL TERM; do
			crash_1m "$sig" "$p"
			upserted "$TMP/out."{1,2,3,4,5,6} > "$TMP/got.up"
			[ "$(wc -l < "$TMP/got.up")" -eq "$(wc -l < "$TMP/ref.up")" ]
			cmp "$TMP/got.up" "$TMP/ref.up"
			[ -z "$(ls "$TMP" | grep '^state\.tmp\.')" ]
		done
	done
}

@test "long-window-003: 24 hourly files of the 1M events, each run with --state: the records of one run over them all" {
	: "${FEAT_WINDOW:?run the suites through make check}"
	local p f
	"$FEAT_GENLOAD" -n 1000000 -s 14 > "$TMP/gen"
	split -n l/24 -d "$TMP/gen" "$TMP/hour."
	for p in perf_5min perf_1hr feedback_session feedback_1hr; do
		"$FEAT_WINDOW" -p "$p" "$TMP/gen" > "$TMP/ref" 2> /dev/null
		rm -f "$TMP/state"
		: > "$TMP/out"
		for f in "$TMP/hour."*; do
			"$FEAT_WINDOW" -p "$p" --state "$TMP/state" "$f" >> "$TMP/out" 2> /dev/null
		done
		"$FEAT_WINDOW" -p "$p" --state "$TMP/state" --flush /dev/null >> "$TMP/out"
		echo "# $p: $(wc -l < "$TMP/out") records over 24 runs, $(wc -l < "$TMP/ref") in one" >&3
		[ "$(wc -l < "$TMP/out")" -eq "$(wc -l < "$TMP/ref")" ]
		cmp <(upserted "$TMP/out") <(upserted "$TMP/ref")
	done
}
