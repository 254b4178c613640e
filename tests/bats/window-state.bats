#!/usr/bin/env bats
# window-state.bats - feat-window --state: checkpoints, restarts after
# SIGKILL and SIGTERM, runs over hourly files, --flush, and states that
# must be refused.  (make check-long runs the same on 1M events.)
load helpers

# inode STATE: the state file's inode, or nothing (each checkpoint
# renames a new file into place).
inode() {
	stat -c %i "$1" 2> /dev/null || true
}

# wait_events METRICS N: waits (30 s at most) until the --metrics-file
# says N events were read; fails when it never does.
wait_events() {
	for _ in $(seq 300); do
		grep -qx "feat_window_events_total $2" "$1" 2> /dev/null && return 0
		sleep 0.1
	done
	false
}

# crash_runs SIG PRESET INPUT OUT: five runs of PRESET over INPUT with a
# state, each stopped by SIG a random moment after one of its checkpoints,
# then one to the end; the outputs in OUT.1 .. OUT.6.
crash_runs() {
	local sig=$1 p=$2 in=$3 out=$4 i n pid
	rm -f "$TMP/state" "$out".*
	for i in 1 2 3 4 5; do
		n=$(inode "$TMP/state")
		"$FEAT_WINDOW" -p "$p" --state "$TMP/state" --checkpoint-every 2000 --flush \
		    "$in" > "$out.$i" 2> /dev/null &
		pid=$!
		# Until it has written a checkpoint (or ended) ...
		for _ in $(seq 2000); do
			[ "$(inode "$TMP/state")" != "$n" ] && break
			kill -0 "$pid" 2> /dev/null || break
			sleep 0.005
		done
		# ... and a little more.
		sleep "0.0$((RANDOM % 5))"
		kill -"$sig" "$pid" 2> /dev/null || true
		wait "$pid" || true
	done
	"$FEAT_WINDOW" -p "$p" --state "$TMP/state" --flush "$in" > "$out.6" 2> "$TMP/last.err"
}

@test "window-state-001: SIGKILL at 5 points of a 100k-event run, restarts with --state: the records of one run" {
	"$FEAT_GENLOAD" -n 100000 -s 21 > "$TMP/gen"
	local p
	for p in perf_5min perf_1hr feedback_session feedback_1hr; do
		"$FEAT_WINDOW" -p "$p" "$TMP/gen" > "$TMP/ref" 2> /dev/null
		[ "$(wc -l < "$TMP/ref")" -gt 50 ]
		crash_runs KILL "$p" "$TMP/gen" "$TMP/out"
		# The last run went on from a checkpoint, not from the start.
		grep -q "lines read before (the state), skipped" "$TMP/last.err"
		diff <(upserted "$TMP/ref") <(upserted "$TMP/out".{1,2,3,4,5,6})
		# Nothing half-written is left beside the state.
		[ -z "$(ls "$TMP" | grep '^state\.tmp\.')" ]
	done
}

@test "window-state-002: SIGTERM and SIGINT save the state and exit 0 and 130; the restarts give one run's records" {
	"$FEAT_GENLOAD" -n 100000 -s 22 > "$TMP/gen"
	"$FEAT_WINDOW" -p perf_5min "$TMP/gen" > "$TMP/ref" 2> /dev/null
	crash_runs TERM perf_5min "$TMP/gen" "$TMP/out"
	diff <(upserted "$TMP/ref") <(upserted "$TMP/out".{1,2,3,4,5,6})
	# Stopped, a run fires nothing (the next goes on), even with --flush.
	rm -f "$TMP/state"
	mkfifo "$TMP/fifo"
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/state" --flush --metrics-file "$TMP/m" \
	    "$TMP/fifo" > "$TMP/o" 2> "$TMP/e" &
	local pid=$!
	exec 5<> "$TMP/fifo"
	head -n 30000 "$TMP/gen" >&5
	# Until it has read them all (the metrics say so once it is idle).
	wait_events "$TMP/m" 30000
	kill -INT "$pid"
	wait "$pid" && rc=0 || rc=$?
	exec 5>&-
	[ "$rc" -eq 130 ]
	[ -s "$TMP/state" ]
	# Only the windows the watermark passed fired.
	[ "$(wc -l < "$TMP/o")" -lt "$(wc -l < "$TMP/ref")" ]
	tail -n +30001 "$TMP/gen" > "$TMP/rest"
	head -n 30000 "$TMP/gen" | cat - "$TMP/rest" |
	    "$FEAT_WINDOW" -p perf_5min --state "$TMP/state" --flush > "$TMP/o2" 2> "$TMP/e2"
	[[ "$(cat "$TMP/e2")" == *"'<stdin>': 30000 lines read before (the state), skipped"* ]]
	diff <(upserted "$TMP/ref") <(upserted "$TMP/o" "$TMP/o2")
}

@test "window-state-003: hourly files with --state are one run over their concatenation; a file read twice adds nothing" {
	"$FEAT_GENLOAD" -n 40000 -s 23 > "$TMP/gen"
	split -l 10000 -d "$TMP/gen" "$TMP/hour."
	gzip "$TMP/hour.02"
	local p f
	for p in perf_5min perf_1hr feedback_session; do
		"$FEAT_WINDOW" -p "$p" "$TMP/gen" > "$TMP/ref" 2> /dev/null
		rm -f "$TMP/state"
		: > "$TMP/out"
		for f in "$TMP/hour.00" "$TMP/hour.01" "$TMP/hour.02.gz"; do
			"$FEAT_WINDOW" -p "$p" --state "$TMP/state" "$f" >> "$TMP/out" 2> /dev/null
		done
		# An hour read again: skipped whole, nothing written twice.
		"$FEAT_WINDOW" -p "$p" --state "$TMP/state" "$TMP/hour.01" >> "$TMP/out" 2> "$TMP/err"
		[[ "$(cat "$TMP/err")" == *"10000 lines read before"* ]]
		"$FEAT_WINDOW" -p "$p" --state "$TMP/state" --flush "$TMP/hour.03" >> "$TMP/out"
		# Not a record more than one run's: each window fired once.
		[ "$(wc -l < "$TMP/out")" -eq "$(wc -l < "$TMP/ref")" ]
		diff <(upserted "$TMP/ref") <(upserted "$TMP/out")
	done
}

@test "window-state-004: a file that grew goes on where it stopped; another input with the same first line is refused" {
	"$FEAT_GENLOAD" -n 20000 -s 24 > "$TMP/gen"
	head -n 12345 "$TMP/gen" > "$TMP/log"
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/state" "$TMP/log" > "$TMP/o1" 2> /dev/null
	tail -n +12346 "$TMP/gen" >> "$TMP/log"
	window -p perf_5min --state "$TMP/state" --flush "$TMP/log"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"12345 lines read before"* ]]
	"$FEAT_WINDOW" -p perf_5min "$TMP/gen" > "$TMP/ref" 2> /dev/null
	diff <(upserted "$TMP/ref") <(upserted "$TMP/o1" <(printf '%s\n' "$output"))
	# The same first line, then other lines: not the input the state saw.
	rm -f "$TMP/state"
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/state" "$TMP/log" > /dev/null 2>&1
	{ head -n 1 "$TMP/gen"; tail -n +3 "$TMP/gen"; } > "$TMP/other"
	window -p perf_5min --state "$TMP/state" "$TMP/other"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"is not the input the state saw"* ]]
	# Shorter than what was read: refused too.
	head -n 5 "$TMP/gen" > "$TMP/short"
	window -p perf_5min --state "$TMP/state" "$TMP/short"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"it has 5 lines, 20000 were read before"* ]]
}

@test "window-state-005: states that cannot be used are refused with exit 2, never read wrong" {
	"$FEAT_GENLOAD" -n 5000 -s 25 > "$TMP/gen"
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/state" "$TMP/gen" > /dev/null 2>&1
	[ -s "$TMP/state" ]
	# Another configuration.
	window -p perf_1hr --state "$TMP/state" "$TMP/gen"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"written by other windows"* ]]
	window -p perf_5min --sketch --state "$TMP/state" "$TMP/gen"
	[ "$status" -eq 2 ]
	# Damaged: cut short, a byte changed, not a state at all.
	head -c 100 "$TMP/state" > "$TMP/cut"
	window -p perf_5min --state "$TMP/cut" "$TMP/gen"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"state '$TMP/cut' cannot be read"* ]]
	cp "$TMP/state" "$TMP/flip"
	printf '\x7f' | dd of="$TMP/flip" bs=1 seek=200 conv=notrunc 2> /dev/null
	window -p perf_5min --state "$TMP/flip" "$TMP/gen"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"damaged"* ]]
	echo '{}' > "$TMP/json"
	window -p perf_5min --state "$TMP/json" "$TMP/gen"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"not a feat-window state"* ]]
	# Options that need a state, and files that cannot be the state.
	window -p perf_5min --flush "$TMP/gen"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--flush needs --state"* ]]
	window -p perf_5min --checkpoint-every 0 --state "$TMP/s2" "$TMP/gen"
	[ "$status" -eq 2 ]
	window -p perf_5min --state "$TMP/s2" --late "$TMP/s2" "$TMP/gen"
	[ "$status" -eq 2 ]
	window -p perf_5min --state "$TMP/gen" "$TMP/gen"
	[ "$status" -eq 2 ]
	window -p perf_5min --state "$TMP/nodir/state" "$TMP/gen"
	[ "$status" -eq 2 ]
}

@test "window-state-006: a second run on a busy state waits, then fails without touching it" {
	"$FEAT_GENLOAD" -n 5000 -s 26 > "$TMP/gen"
	mkfifo "$TMP/fifo"
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/state" --metrics-file "$TMP/m" \
	    "$TMP/fifo" > /dev/null 2>&1 &
	local pid=$!
	exec 5<> "$TMP/fifo"
	head -n 100 "$TMP/gen" >&5
	# Until it reads (so it holds the lock).
	wait_events "$TMP/m" 100
	window -p perf_5min --state "$TMP/state" --lock-timeout 200ms "$TMP/gen"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"lock"* ]]
	exec 5>&-
	wait "$pid"
	# The first one's state is whole, and the next run goes on from it.
	window -p perf_5min --state "$TMP/state" "$TMP/gen"
	[ "$status" -eq 0 ]
}

@test "window-state-007: --late across restarts: appended to, never cut (another writer's lines stay); the counters go on" {
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","model":"m","latency_ms":1}' \
	    '{"ts":"2024-11-16T18:07:00Z","model":"m","latency_ms":1}' \
	    '{"ts":"2024-11-16T18:02:00Z","model":"m","latency_ms":1,"late":1}' > "$TMP/a"
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/state" --late "$TMP/late" "$TMP/a" > /dev/null 2>&1
	[ "$(wc -l < "$TMP/late")" -eq 1 ]
	# Another writer's line (a second partition sharing the file) stays.
	echo '{"written":"by another run"}' >> "$TMP/late"
	printf '%s\n' '{"ts":"2024-11-16T18:09:00Z","model":"m","latency_ms":1}' \
	    '{"ts":"2024-11-16T18:00:30Z","model":"m","latency_ms":1,"late":2}' > "$TMP/b"
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/state" --late "$TMP/late" "$TMP/b" > /dev/null 2>&1
	[ "$($JQ -c '[.late, .written]' "$TMP/late" | tr '\n' ' ')" = '[1,null] [null,"by another run"] [2,null] ' ]
	# The counters go on from the state: the metrics count both runs.
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/state" --metrics-file "$TMP/m" --flush /dev/null
	grep -q '^feat_window_events_total 5$' "$TMP/m"
	grep -q '^feat_window_late_events_total{reason="late"} 2$' "$TMP/m"
}

@test "window-state-008: restarts repair what a kill left: a cut output line, an unfinished input line; --key-ttl as one run" {
	"$FEAT_GENLOAD" -n 20000 -s 27 > "$TMP/gen"
	"$FEAT_WINDOW" -p feedback_1hr "$TMP/gen" > "$TMP/ref" 2> /dev/null
	# A run killed while writing leaves a line cut short: the restart
	# removes it (and writes the line again).
	head -n 10000 "$TMP/gen" > "$TMP/part"
	"$FEAT_WINDOW" -p feedback_1hr --state "$TMP/state" "$TMP/part" > "$TMP/out" 2> /dev/null
	printf '{"entity_type":"user","entity_id":"u-1' >> "$TMP/out"
	"$FEAT_WINDOW" -p feedback_1hr --state "$TMP/state" --flush "$TMP/gen" >> "$TMP/out" 2> "$TMP/err"
	grep -q "the output ended in a line cut short (38 bytes" "$TMP/err"
	$JQ -e . "$TMP/out" > /dev/null
	diff <(upserted "$TMP/ref") <(upserted "$TMP/out")
	# A log read while its writer was half way through its last line:
	# once the line is whole, it is read again.
	rm -f "$TMP/state"
	{ head -n 9999 "$TMP/gen"; sed -n 10000p "$TMP/gen" | head -c 40; } > "$TMP/log"
	"$FEAT_WINDOW" -p feedback_1hr --state "$TMP/state" --on-error skip "$TMP/log" > "$TMP/o1" 2> /dev/null
	{ sed -n 10000p "$TMP/gen" | tail -c +41; tail -n +10001 "$TMP/gen"; } >> "$TMP/log"
	cmp "$TMP/log" "$TMP/gen"
	window -p feedback_1hr --state "$TMP/state" --on-error skip --flush "$TMP/log"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"line 10000 was read unfinished before (the state); read again, whole"* ]]
	diff <(upserted "$TMP/ref") <(upserted "$TMP/o1" <(printf '%s\n' "$output"))
	# A last line that was whole but had no line end yet, ended later
	# with blanks: read once.
	rm -f "$TMP/state"
	head -n 9999 "$TMP/gen" > "$TMP/log2"
	sed -n 10000p "$TMP/gen" | tr -d '\n' >> "$TMP/log2"
	"$FEAT_WINDOW" -p feedback_1hr --state "$TMP/state" "$TMP/log2" > "$TMP/o3" 2> /dev/null
	{ printf ' \n'; tail -n +10001 "$TMP/gen"; } >> "$TMP/log2"
	"$FEAT_WINDOW" -p feedback_1hr --state "$TMP/state" --flush "$TMP/log2" >> "$TMP/o3" 2> /dev/null
	diff <(upserted "$TMP/ref") <(upserted "$TMP/o3")
	# --key-ttl lets go of keys at points that do not depend on where a
	# run stopped: two runs with a state are one run.
	"$FEAT_WINDOW" -p perf_5min --key-ttl 2m "$TMP/gen" > "$TMP/ttl.ref" 2> /dev/null
	rm -f "$TMP/state"
	for n in 3000 7000 20000; do
		head -n "$n" "$TMP/gen" > "$TMP/ttl.in"
		"$FEAT_WINDOW" -p perf_5min --key-ttl 2m --state "$TMP/state" "$TMP/ttl.in" 2> /dev/null
	done > "$TMP/ttl.out"
	"$FEAT_WINDOW" -p perf_5min --key-ttl 2m --state "$TMP/state" --flush "$TMP/ttl.in" >> "$TMP/ttl.out" 2> /dev/null
	diff <(upserted "$TMP/ttl.ref") <(upserted "$TMP/ttl.out")
}

@test "window-state-009: a state that is a FIFO or a directory is refused; a symbolic link is followed" {
	"$FEAT_GENLOAD" -n 2000 -s 28 > "$TMP/gen"
	mkfifo "$TMP/fifo"
	run --separate-stderr timeout 20 "$FEAT_WINDOW" -p perf_5min --state "$TMP/fifo" "$TMP/gen"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"is not a regular file"* ]]
	mkdir "$TMP/dir"
	window -p perf_5min --state "$TMP/dir" "$TMP/gen"
	[ "$status" -eq 2 ]
	head -n 1000 "$TMP/gen" > "$TMP/a"
	"$FEAT_WINDOW" -p perf_5min --state "$TMP/real" "$TMP/a" > /dev/null 2>&1
	ln -s real "$TMP/link"
	window -p perf_5min --state "$TMP/link" "$TMP/gen"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"1000 lines read before"* ]]
	[ -L "$TMP/link" ]
	window -p perf_5min --state "$TMP/link" "$TMP/gen"
	[[ "$stderr" == *"2000 lines read before"* ]]
	ln -s nowhere "$TMP/dangling"
	window -p perf_5min --state "$TMP/dangling" "$TMP/gen"
	[ "$status" -eq 2 ]
}
