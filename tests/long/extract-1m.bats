#!/usr/bin/env bats
# extract-1m.bats - make check-long: feat-extract -g event over the 1M-event
# generated workload, clean and with corrupted lines mixed in.
load ../bats/helpers

@test "long-001: 1M events in, 1M canonical events out, tokens summed exactly" {
	"$FEAT_GENLOAD" -n 1000000 -s 42 > "$TMP/gen"
	"$FEAT_EXTRACT" -g event "$TMP/gen" > "$TMP/out"
	[ "$(wc -l < "$TMP/out")" -eq 1000000 ]
	# every token count passes through unchanged
	local in_sum out_sum
	in_sum=$(grep -o '"input_tokens":[0-9]*' "$TMP/gen" | awk -F: '{s+=$2} END{print s}')
	out_sum=$(grep -o '"input_tokens":[0-9]*' "$TMP/out" | awk -F: '{s+=$2} END{print s}')
	[ "$in_sum" = "$out_sum" ]
	# idempotent at scale
	"$FEAT_EXTRACT" -g event "$TMP/out" | cmp - "$TMP/out"
}

@test "long-002: 1M events with every 997th line damaged: nothing crashes, nothing is lost" {
	"$FEAT_GENLOAD" -n 1000000 -s 43 |
	awk 'NR % 997 == 0 {
		k = (NR / 997) % 5
		if (k == 0) { print substr($0, 1, length($0) / 2); next }
		if (k == 1) { printf "%s\377\n", $0; next }
		if (k == 2) { print "[" $0 "]"; next }
		if (k == 3) { sub(/"ts":"[^"]*"/, "\"ts\":\"2023-02-30T00:00:00Z\""); print; next }
		gsub(/"/, ""); print; next
	} { print }' > "$TMP/damaged"
	local bad=$((1000000 / 997))
	run --separate-stderr "$FEAT_EXTRACT" -g event --on-error=quarantine:"$TMP/q" "$TMP/damaged"
	[ "$status" -eq 0 ]
	[ "$stderr" = "feat-extract: $bad bad lines written to '$TMP/q'" ]
	[ "$(wc -l < "$TMP/q")" -eq "$bad" ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq $((1000000 - bad)) ]
	# each quarantined line is the damaged line, by number
	[ "$($JQ -r '._error.line' "$TMP/q" | awk '$1 % 997 != 0' | wc -l)" -eq 0 ]
}

@test "long-003: SIGKILL or SIGTERM at 5 random points of a --state run, then restarts: the records of one run" {
	"$FEAT_GENLOAD" -n 1000000 -s 44 > "$TMP/gen"
	local t0 t1 ms sig i d
	t0=$(date +%s%N)
	"$FEAT_EXTRACT" --state "$TMP/ref.state" "$TMP/gen" > "$TMP/ref"
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	echo "# uninterrupted run: ${ms} ms, $(wc -l < "$TMP/ref") records" >&3
	upserted "$TMP/ref" > "$TMP/ref.up"
	for sig in KILL TERM; do
		rm -f "$TMP/state" "$TMP/out."*
		for i in 1 2 3 4 5; do
			# A point anywhere in a run, the state's save included.
			d=$(( RANDOM * 32768 + RANDOM ))
			d=$(( d % (ms + 200) ))
			"$FEAT_EXTRACT" --state "$TMP/state" "$TMP/gen" > "$TMP/out.$i" 3>&- &
			local pid=$!
			sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
			kill -"$sig" "$pid" 2>/dev/null || true
			wait "$pid" || true
			echo "# $sig after ${d} ms: $(wc -l < "$TMP/out.$i") lines" >&3
		done
		# The last restart runs to the end.
		"$FEAT_EXTRACT" --state "$TMP/state" "$TMP/gen" > "$TMP/out.6"
		upserted "$TMP/out."{1,2,3,4,5,6} > "$TMP/got.up"
		[ "$(wc -l < "$TMP/got.up")" -eq "$(wc -l < "$TMP/ref.up")" ]
		cmp "$TMP/got.up" "$TMP/ref.up"
		# Nothing half-written is left beside the state.
		[ -z "$(ls "$TMP" | grep '^state\.tmp\.')" ]
	done
}

@test "long-004: a line of 20 million values is a bad line in bounded memory, never a crash" {
	awk 'BEGIN { printf "{\"ts\":1,\"a\":["; for (i = 0; i < 20000000; i++) printf "%s1", i ? "," : ""; print "]}" }' > "$TMP/many"
	echo '{"ts":2,"request_id":"after"}' >> "$TMP/many"
	/usr/bin/time -f '%M' -o "$TMP/rss" "$FEAT_EXTRACT" -g event --max-line=1G \
	    --on-error=quarantine:"$TMP/q" "$TMP/many" > "$TMP/out" 2> "$TMP/err"
	local rss=$(tail -n 1 "$TMP/rss")
	echo "# peak RSS ${rss} kB" >&3
	[ "$rss" -lt 1048576 ]
	[ "$($JQ -r ._error.reason "$TMP/q")" = "invalid JSON: more than 16777215 values on one line" ]
	[ "$($JQ -r .request_id "$TMP/out")" = after ]
}
