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
