#!/usr/bin/env bats
# driver.bats - the tool driver of libfeat (lib/tool.c) as feat-extract
# and feat-query use it: signals, the order in which a run ends, checked
# writes, the state's lock, the quarantine, the file descriptors, and the
# usage messages.  Each case names the defect it guards against; none
# waits on the clock: they poll for the state they need, with a timeout
# only as a guard against a hang.
load helpers

# wait_for CMD...: polls CMD until it succeeds (at most 30 s).
wait_for() {
	local i
	for i in $(seq 600); do
		"$@" && return 0
		sleep 0.05
	done
	echo "gave up waiting for: $*"
	return 1
}

# Background runs leave with the test, whatever happened (bats waits for
# anything that holds its fd 3, so they close it too).
teardown() {
	local p
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null || true; done
}

lines_in() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }

# blocked_writing PID: the process sleeps in a write to a full pipe
# (pipe_write, or anon_pipe_write on newer kernels).
blocked_writing() {
	[[ "$(cat "/proc/$1/wchan" 2>/dev/null)" == *pipe_write ]]
}

@test "driver-001: --version, --help and output into a full disk exit 4 with 'cannot write output'" {
	for args in --version --help "-g event $DATA/sample-canonical.ndjson"; do
		run --separate-stderr bash -c '"$0" $1 > /dev/full' "$FEAT_EXTRACT" "$args"
		[ "$status" -eq 4 ] || { echo "$args: $status"; false; }
		[ "$stderr" = "feat-extract: cannot write output: No space left on device" ]
	done
	run --separate-stderr bash -c '"$0" --version > /dev/full' "$FEAT_QUERY"
	[ "$status" -eq 4 ]
	[ "$stderr" = "feat-query: cannot write output: No space left on device" ]
}

@test "driver-002: SIGTERM while a long line is skipped stops the run (exit 0 by the signal)" {
	# /dev/zero is one endless line: without the fix this never ends,
	# and the KILL 10 s after the signal gives 137.
	run timeout --preserve-status -k 10 -s TERM 1 \
	    "$FEAT_EXTRACT" -g event --on-error=skip --max-line=1K /dev/zero
	[ "$status" -eq 0 ]
	run timeout --preserve-status -k 10 -s INT 1 \
	    "$FEAT_EXTRACT" -g event --on-error=skip --max-line=1K /dev/zero
	[ "$status" -eq 130 ]
}

@test "driver-003: a full disk keeps the old state: the retry loses nothing" {
	printf '%s\n' '{"ts":1,"request_id":"a","session_id":"s"}' > "$TMP/day1"
	for i in 2 3 4 5 6 7 8 9; do
		printf '{"ts":%d,"request_id":"r%d","session_id":"s"}\n' "$i" "$i"
	done > "$TMP/day2"
	extract -g request --state "$TMP/state" "$TMP/day1"
	[ "$status" -eq 0 ]
	cp "$TMP/state" "$TMP/state.before"
	run --separate-stderr bash -c '"$0" -g request --state "$1" "$2" > /dev/full' \
	    "$FEAT_EXTRACT" "$TMP/state" "$TMP/day2"
	[ "$status" -eq 4 ]
	[ "$stderr" = "feat-extract: cannot write output: No space left on device" ]
	cmp "$TMP/state" "$TMP/state.before"
	# The retry writes all eight, with the session depths of one run.
	extract -g request --state "$TMP/state" "$TMP/day2"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 8 ]
	[ "$(printf '%s\n' "$output" | tail -n 1 | $JQ .features.session_depth)" = 0.18 ]
}

@test "driver-004: SIGTERM while blocked on a slow pipe: state written, output whole, exit 0" {
	"$FEAT_GENLOAD" -n 20000 -s 3 > "$TMP/gen"
	mkfifo "$TMP/pipe"
	"$FEAT_EXTRACT" -g request --state "$TMP/state" "$TMP/gen" > "$TMP/pipe" 3>&- &
	local pid=$!
	exec 7< "$TMP/pipe"
	# Nobody reads: the pipe fills and the tool blocks in write(2).
	wait_for blocked_writing "$pid"
	kill -TERM "$pid"
	cat <&7 > "$TMP/out"
	exec 7<&-
	local code=0
	wait "$pid" || code=$?
	[ "$code" -eq 0 ]
	# Every line is a whole record, and the state holds them.
	$JQ -e . "$TMP/out" > /dev/null
	[ "$(tail -c 1 "$TMP/out" | od -An -c | tr -d ' ')" = '\n' ]
	[ -s "$TMP/state" ]
	[ "$($JQ '.seen | length' "$TMP/state")" -eq "$(wc -l < "$TMP/out")" ]
}

@test "driver-005: a second run on one state waits for the lock, then fails clearly" {
	mkfifo "$TMP/in"
	"$FEAT_EXTRACT" -g request --state "$TMP/state" "$TMP/in" > "$TMP/out1" 3>&- &
	local pid=$!
	exec 7> "$TMP/in"
	wait_for test -f "$TMP/state.lock"
	echo '{"ts":1,"request_id":"x"}' > "$TMP/two"
	extract -g request --state "$TMP/state" --lock-timeout 1s "$TMP/two"
	[ "$status" -eq 4 ]
	[ "$stderr" = "feat-extract: waiting for '$TMP/state.lock': another run holds it
feat-extract: '$TMP/state' is in use by another run: '$TMP/state.lock' still locked after 1s" ]
	echo '{"ts":1,"request_id":"a","session_id":"s"}' >&7
	exec 7>&-
	wait "$pid"
	# Now free: the second run goes through and sees the first's state.
	extract -g request --state "$TMP/state" "$TMP/two"
	[ "$status" -eq 0 ]
	[ "$($JQ -c '.sessions' "$TMP/state")" = '[["s",1]]' ]
}

@test "driver-006: a state file half-written by a killed run is removed by the next" {
	echo '{"ts":1,"request_id":"a","session_id":"s"}' > "$TMP/in"
	printf '{"feat_state":1,"sess' > "$TMP/state.tmp.99999"
	printf 'x' > "$TMP/state.tmp.12ab"	# not ours: kept
	extract -g request --state "$TMP/state" "$TMP/in"
	[ "$status" -eq 0 ]
	[ ! -e "$TMP/state.tmp.99999" ]
	[ -e "$TMP/state.tmp.12ab" ]
	$JQ -e '.sessions == [["s",1]]' "$TMP/state" > /dev/null
}

@test "driver-007: an input that is the quarantine file or the output is refused" {
	echo '{"ts":1}' > "$TMP/in"
	extract -g event --on-error=quarantine:"$TMP/in" "$TMP/in"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: input file '$TMP/in' is the quarantine file" ]
	run --separate-stderr bash -c '"$0" -g event "$1" >> "$1"' "$FEAT_EXTRACT" "$TMP/in"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: input file '$TMP/in' is the output file" ]
	run --separate-stderr bash -c '"$0" -g event < "$1" >> "$1"' "$FEAT_EXTRACT" "$TMP/in"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: input file '<stdin>' is the output file" ]
	[ "$(wc -l < "$TMP/in")" -eq 1 ]
}

@test "driver-008: with stdout closed no record reaches the quarantine file" {
	printf '%s\n' '{"ts":1,"request_id":"a"}' 'bad' > "$TMP/in"
	run --separate-stderr bash -c '"$0" -g event --on-error=quarantine:"$1" "$2" >&-' \
	    "$FEAT_EXTRACT" "$TMP/q" "$TMP/in"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"cannot write output: Bad file descriptor"* ]]
	# Nothing but quarantine lines may ever be in the quarantine file.
	[ ! -s "$TMP/q" ] || ! grep -q '"request_id"' "$TMP/q"
}

@test "driver-009: quarantined lines are committed only with the output" {
	printf '%s\n' '{"ts":1,"request_id":"a"}' 'bad' '{"ts":2,"request_id":"b"}' > "$TMP/in"
	run --separate-stderr bash -c '"$0" -g request --state "$1" --on-error=quarantine:"$2" "$3" > /dev/full' \
	    "$FEAT_EXTRACT" "$TMP/state" "$TMP/q" "$TMP/in"
	[ "$status" -eq 4 ]
	[ "$stderr" = "feat-extract: cannot write output: No space left on device
feat-extract: 1 bad line not written to '$TMP/q'" ]
	[ ! -s "$TMP/q" ]
	[ ! -e "$TMP/state" ]
	# The retry quarantines the line once.
	extract -g request --state "$TMP/state" --on-error=quarantine:"$TMP/q" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$stderr" = "feat-extract: 1 bad line written to '$TMP/q'" ]
	[ "$(wc -l < "$TMP/q")" -eq 1 ]
}

@test "driver-010: a directory given as input is an unopenable file (exit 2)" {
	extract -g event "$TMP"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: cannot open '$TMP': Is a directory" ]
}

@test "driver-011: option errors name the tool, not its path, and escape control bytes" {
	extract --no-such-option
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: unknown option '--no-such-option'
Try 'feat-extract --help' for more information." ]
	extract -g
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: option '-g' needs an argument
Try 'feat-extract --help' for more information." ]
	query describe "$(printf 'x\033[31my\nz')"
	[ "$status" -eq 1 ]
	[ "$stderr" = 'feat-query: unknown feature '"'"'x\x1b[31my\x0az'"'"'' ]
}

@test "driver-012: --state does not apply to -g event" {
	extract -g event --state "$TMP/state" "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	[ "${stderr%%$'\n'*}" = "feat-extract: --state does not apply to -g event" ]
	[ ! -e "$TMP/state" ]
}

@test "driver-013: a byte-order mark at the start of a file is not content" {
	printf '\357\273\277{"ts":1,"request_id":"a"}\n{"ts":2,"request_id":"b"}\n' > "$TMP/bom"
	extract -g event "$TMP/bom"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .request_id <<< "$output" | tr '\n' ' ')" = "a b " ]
	# ... only at the start: elsewhere it is a bad line.
	printf '{"ts":1}\n\357\273\277{"ts":2}\n' > "$TMP/mid"
	extract -g event "$TMP/mid"
	[ "$status" -eq 3 ]
}

@test "driver-014: lines from a pipe are processed as they arrive" {
	mkfifo "$TMP/in"
	"$FEAT_EXTRACT" -g event --unbuffered "$TMP/in" > "$TMP/out" 3>&- &
	local pid=$!
	exec 7> "$TMP/in"
	echo '{"ts":1,"request_id":"early"}' >&7
	# The first record is out while the writer holds the pipe open.
	wait_for lines_in "$TMP/out" 1
	[ "$($JQ -r .request_id "$TMP/out")" = "early" ]
	echo '{"ts":2,"request_id":"late"}' >&7
	exec 7>&-
	wait "$pid"
	[ "$($JQ -r .request_id "$TMP/out" | tr '\n' ' ')" = "early late " ]
}

@test "driver-015: SIGINT writes the state and the records so far, exit 130; SIGTERM exit 0" {
	local sig code pid
	for sig in INT TERM; do
		rm -f "$TMP/state" "$TMP/out" "$TMP/in"
		mkfifo "$TMP/in"
		"$FEAT_EXTRACT" -g request --unbuffered --state "$TMP/state" "$TMP/in" > "$TMP/out" 3>&- &
		pid=$!
		exec 7> "$TMP/in"
		printf '%s\n' '{"ts":1,"request_id":"a","session_id":"s"}' '{"ts":2,"request_id":"b","session_id":"s"}' >&7
		wait_for lines_in "$TMP/out" 2
		kill -"$sig" "$pid"
		code=0
		wait "$pid" || code=$?
		exec 7>&-
		if [ "$sig" = INT ]; then [ "$code" -eq 130 ]; else [ "$code" -eq 0 ]; fi
		[ "$($JQ -r .entity_id "$TMP/out" | tr '\n' ' ')" = "a b " ]
		$JQ -e '.sessions == [["s",2]]' "$TMP/state" > /dev/null
	done
}

@test "driver-016: feat-query reads one command per input line" {
	printf '%s\n' 'describe prompt_length' 'frobnicate' "catalog 'perf_1hr'" 'describe "no such"' > "$TMP/cmds"
	query < "$TMP/cmds"
	[ "$status" -eq 2 ]
	[ "$(printf '%s\n' "$output" | $JQ -r .name | tr '\n' ' ')" = "prompt_length latency_p50_1hr latency_p95_1hr success_rate_1hr " ]
	[ "$stderr" = "feat-query: <stdin>:2: unknown command 'frobnicate'
feat-query: <stdin>:4: unknown feature 'no such'" ]
}

@test "driver-017: feat-query survives a bad command line and a too-long one" {
	printf '%s\n' "describe 'x" 'describe prompt_length' > "$TMP/cmds"
	query < "$TMP/cmds"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-query: <stdin>:1: unterminated quote" ]
	[ "$($JQ -r .name <<< "$output")" = prompt_length ]
	# A line over --max-line is a bad line under the default policy.
	{ printf 'catalog '; head -c 17000000 /dev/zero | tr '\0' x; echo; } > "$TMP/long"
	query < "$TMP/long"
	[ "$status" -eq 3 ]
	[ "$stderr" = "feat-query: <stdin>:1: line longer than 16777216 bytes" ]
	# A catalog that cannot be read ends one answer, not the session.
	printf '%s\n' 'catalog prompt_len' 'check-catalog /nonexistent/c.json' 'describe REQ_002' > "$TMP/cmds"
	query < "$TMP/cmds"
	[ "$status" -eq 2 ]
	[ "$(printf '%s\n' "$output" | $JQ -r .id | tr '\n' ' ')" = "REQ_001 REQ_002 " ]
	[ "$stderr" = "feat-query: <stdin>:2: cannot open '/nonexistent/c.json': No such file or directory" ]
}

@test "driver-018: every operand is checked before anything is read or written" {
	extract -g event "$DATA/sample-canonical.ndjson" "$TMP/missing.ndjson"
	[ "$status" -eq 2 ]
	[ "$output" = "" ]
	[ "$stderr" = "feat-extract: cannot open '$TMP/missing.ndjson': No such file or directory" ]
	extract -g request --state "$TMP/state" "$DATA/sample-canonical.ndjson" "$TMP"
	[ "$status" -eq 2 ]
	[ "$output" = "" ]
	[ ! -e "$TMP/state" ]
}

@test "driver-019: SIGTERM while a FIFO operand waits for its writer: state saved, exit 0" {
	mkfifo "$TMP/fifo"
	"$FEAT_EXTRACT" -g request --state "$TMP/state" "$DATA/sample-canonical.ndjson" "$TMP/fifo" \
	    > "$TMP/out" 2> "$TMP/err" 3>&- &
	local pid=$! code=0
	# The first file is done when its records are out (unbuffered not
	# needed: the tool blocks in open(2) after writing nothing yet).
	wait_for test -e "$TMP/state.lock"
	sleep 0.2
	kill -TERM "$pid"
	wait "$pid" || code=$?
	[ "$code" -eq 0 ]
	[ ! -s "$TMP/err" ]
	[ -s "$TMP/state" ]
	[ "$($JQ '.seen | length' "$TMP/state")" -eq "$(wc -l < "$TMP/out")" ]
}

@test "driver-020: SIGTERM or SIGINT while waiting for a state's lock: exit 0 or 130, nothing written" {
	mkfifo "$TMP/in"
	"$FEAT_EXTRACT" -g request --state "$TMP/state" "$TMP/in" > /dev/null 3>&- &
	local holder=$! pid code
	exec 7> "$TMP/in"
	wait_for test -f "$TMP/state.lock"
	for sig in TERM INT; do
		"$FEAT_EXTRACT" -g request --state "$TMP/state" "$DATA/sample-canonical.ndjson" \
		    > "$TMP/out" 2> "$TMP/err" 3>&- &
		pid=$!
		wait_for grep -q waiting "$TMP/err"
		kill -"$sig" "$pid"
		code=0
		wait "$pid" || code=$?
		if [ "$sig" = INT ]; then [ "$code" -eq 130 ]; else [ "$code" -eq 0 ]; fi
		[ ! -s "$TMP/out" ]
	done
	exec 7>&-
	wait "$holder"
}

@test "driver-021: the quarantine file may not be the output; a pipe or a device takes its lines at once" {
	printf '%s\n' 'bad' '{"ts":1}' > "$TMP/in"
	run --separate-stderr bash -c '"$0" -g event --on-error=quarantine:"$1" "$2" > "$1"' \
	    "$FEAT_EXTRACT" "$TMP/q" "$TMP/in"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: the quarantine file '$TMP/q' is the output file" ]
	# 3000 bad lines of 1 KB (past the 1 MiB kept in memory) to a FIFO.
	for i in $(seq 3000); do head -c 1000 /dev/zero | tr '\0' x; echo; done > "$TMP/bad"
	mkfifo "$TMP/qpipe"
	cat "$TMP/qpipe" > "$TMP/got" &
	local reader=$!
	extract -g event --on-error=quarantine:"$TMP/qpipe" "$TMP/bad"
	wait "$reader"
	[ "$status" -eq 0 ]
	[ "$stderr" = "feat-extract: 3000 bad lines written to '$TMP/qpipe'" ]
	[ "$(wc -l < "$TMP/got")" -eq 3000 ]
}

@test "driver-022: -g event refuses an unknown --tz as the feature groups do" {
	extract -g event --tz Bogus/Zone "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	[ "${stderr%%$'\n'*}" = "feat-extract: unknown time zone 'Bogus/Zone'" ]
	extract --no-such --ma
	[ "$status" -eq 2 ]
	extract --ma "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	[ "${stderr%%$'\n'*}" = "feat-extract: option '--ma' is ambiguous: give more of its name" ]
}
