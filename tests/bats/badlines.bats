#!/usr/bin/env bats
# badlines.bats - every kind of bad input line of SPEC 2, under each
# --on-error mode.  Each fixture in tests/data/bad/ has its bad line on line
# 2 between two good events.
load helpers

# fixture name, then the reason feat-extract must give for its line 2
reasons() {
	cat <<'TXT'
invalid-json	invalid JSON: parse error: unallowed token at this point in JSON text at offset 42
utf8-overlong	invalid UTF-8: bad byte 0xc0 at offset 43
utf8-surrogate	invalid UTF-8: bad byte 0xed at offset 43
utf8-lone-escape	invalid UTF-8: lone surrogate escape '\ud800' at offset 43
long-line	line longer than 1024 bytes
depth-100	nesting deeper than 64
not-object	not an object
no-ts	no timestamp
invalid-ts	invalid timestamp: '2023-02-30T00:00:00Z' in 'ts'
not-a-number	field 'input_tokens' is not a number
out-of-range	number out of range in 'latency_ms'
nul-escape	NUL character in a string: at offset 44
TXT
}

@test "bad-001: each bad line stops with exit 3, FILE:LINE and its reason" {
	local n=0
	while IFS=$'\t' read -r name reason; do
		extract -g event --max-line 1K "$DATA/bad/$name.ndjson"
		[ "$status" -eq 3 ] || { echo "$name: status $status"; false; }
		[ "$stderr" = "feat-extract: $DATA/bad/$name.ndjson:2: $reason" ] ||
			{ echo "$name: got '$stderr'"; false; }
		# the good line before it was written, nothing after it
		[ "$(printf '%s\n' "$output" | grep -c '"request_id":"a1"')" -eq 1 ]
		[ "$(printf '%s\n' "$output" | grep -c '"request_id":"a3"')" -eq 0 ]
		n=$((n + 1))
	done < <(reasons)
	[ "$n" -eq 12 ]
}

@test "bad-002: --on-error=skip goes on, exit 0, counts the line" {
	while IFS=$'\t' read -r name reason; do
		extract -g event --max-line 1K --on-error=skip "$DATA/bad/$name.ndjson"
		[ "$status" -eq 0 ]
		[ "$stderr" = "feat-extract: 1 bad line skipped" ]
		[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
		[ "$(printf '%s\n' "$output" | $JQ -r .request_id | tr '\n' ' ')" = "a1 a3 " ]
	done < <(reasons)
}

@test "bad-003: skip counts every bad line over several files" {
	extract -g event --max-line 1K --on-error=skip "$DATA"/bad/*.ndjson
	[ "$status" -eq 0 ]
	[ "$stderr" = "feat-extract: 12 bad lines skipped" ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 24 ]
}

@test "bad-004: quarantine writes exactly the bad lines in the documented format" {
	local q=$TMP/quarantine.ndjson
	extract -g event --max-line 1K --on-error=quarantine:"$q" "$DATA"/bad/*.ndjson
	[ "$status" -eq 0 ]
	[ "$stderr" = "feat-extract: 12 bad lines written to '$q'" ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 24 ]
	[ "$(wc -l < "$q")" -eq 12 ]
	# the keys, in order, and the reasons, file by file
	$JQ -e -s 'all(keys_unsorted == ["_error","raw"] and
	    (._error | keys_unsorted) == ["file","line","reason","bytes"] and
	    ._error.line == 2)' "$q" > /dev/null
	while IFS=$'\t' read -r name reason; do
		$JQ -e -s --arg f "$DATA/bad/$name.ndjson" --arg r "$reason" \
		    'map(select(._error.file == $f)) | length == 1 and
		     .[0]._error.reason == $r' "$q" > /dev/null ||
			{ echo "$name: reason"; false; }
	done < <(reasons)
	# raw is the line itself where it is valid UTF-8 and short
	for name in invalid-json not-object no-ts invalid-ts not-a-number \
	    out-of-range nul-escape depth-100 utf8-lone-escape; do
		local line=$(sed -n 2p "$DATA/bad/$name.ndjson")
		$JQ -e -s --arg f "$DATA/bad/$name.ndjson" --arg l "$line" \
		    'map(select(._error.file == $f)) | length == 1 and
		     .[0].raw == $l and .[0]._error.bytes == ($l | utf8bytelength)' \
		    "$q" > /dev/null ||
			{ echo "$name: raw"; false; }
	done
	# invalid bytes become \u00XX
	grep -F '"raw":"{\"ts\":\"2024-11-16T18:15:46.680Z\",\"prompt\":\"\u00c0\u00af\"}"' "$q"
	grep -F '\"prompt\":\"\u00ed\u00a0\u0080\"}"' "$q"
	# an overlong line keeps its first 4096 bytes at most, and its length
	$JQ -e -s 'map(select(._error.reason | startswith("line longer"))) |
	    length == 1 and .[0]._error.bytes == 2045 and
	    (.[0].raw | length) == 2045' "$q" > /dev/null
}

@test "bad-005: quarantine cuts raw after 4096 bytes and appends across runs" {
	local q=$TMP/q.ndjson
	{ printf '{"ts":1,"prompt":"'; head -c 10000 /dev/zero | tr '\0' x; printf '"}\n'; } > "$TMP/in"
	extract -g event --max-line 5000 --on-error=quarantine:"$q" "$TMP/in"
	[ "$status" -eq 0 ]
	extract -g event --max-line 5000 --on-error=quarantine:"$q" "$TMP/in"
	[ "$(wc -l < "$q")" -eq 2 ]
	$JQ -e -s 'all((.raw | length) == 4096 and ._error.bytes == 10020)' "$q" > /dev/null
}

@test "bad-006: a 256 MiB line through a pipe is skipped in under 64 MB" {
	{
		echo '{"ts":1,"request_id":"before"}'
		printf '{"ts":1,"prompt":"'
		head -c 268435456 /dev/zero | tr '\0' a
		printf '"}\n'
		echo '{"ts":2,"request_id":"after"}'
	} > "$TMP/fifo-input" &
	wait
	# through a pipe, not a file: the reader never sees a size
	cat "$TMP/fifo-input" | /usr/bin/time -f '%M' -o "$TMP/rss" \
	    "$FEAT_EXTRACT" -g event --on-error=skip > "$TMP/out" 2> "$TMP/err"
	rm -f "$TMP/fifo-input"
	local rss=$(tail -n 1 "$TMP/rss")
	echo "peak RSS ${rss} kB"
	[ "$rss" -lt 65536 ]
	[ "$(cat "$TMP/err")" = "feat-extract: 1 bad line skipped" ]
	[ "$($JQ -r .request_id "$TMP/out" | tr '\n' ' ')" = "before after " ]
}

@test "bad-007: blank lines are ignored, CRLF endings dropped, line numbers kept" {
	printf '{"ts":1,"request_id":"x"}\r\n\n   \n\r\n{"ts":2,"request_id":"y"}\r\n[]\r\n' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 3 ]
	[ "$stderr" = "feat-extract: $TMP/in:6: not an object" ]
	[ "$(printf '%s\n' "$output" | $JQ -r .request_id | tr '\n' ' ')" = "x y " ]
}

@test "bad-008: stdin is named <stdin> in messages" {
	run --separate-stderr "$FEAT_EXTRACT" -g event < "$DATA/bad/no-ts.ndjson"
	[ "$status" -eq 3 ]
	[ "$stderr" = "feat-extract: <stdin>:2: no timestamp" ]
}

@test "bad-009: the last line without a newline is read; garbage never crashes" {
	printf '{"ts":1,"request_id":"x"}\n{"ts":2,"request_id":"y"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
	head -c 200000 /dev/urandom > "$TMP/noise"
	extract -g event --on-error=skip "$TMP/noise"
	[ "$status" -eq 0 ]
	[[ "$stderr" == "feat-extract: "*" skipped" ]]
}

@test "bad-010: truncated values and a second object on a line are invalid JSON" {
	printf '{"ts":1,"a":"x\n{"ts":1}{"ts":2}\n{"ts":1,\n' > "$TMP/in"
	extract -g event --on-error=quarantine:"$TMP/q" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r '._error.reason | split(":")[0]' "$TMP/q" | sort -u)" = "invalid JSON" ]
	[ "$(wc -l < "$TMP/q")" -eq 3 ]
}

@test "bad-011: wrong types in fields the tool needs" {
	printf '%s\n' '{"ts":true}' '{"ts":1,"liked":"maybe"}' '{"ts":1,"model":{"a":1}}' \
	    '{"ts":1,"latency_ms":[1]}' '{"ts":"1e999"}' > "$TMP/in"
	extract -g event --on-error=quarantine:"$TMP/q" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r ._error.reason "$TMP/q")" = "invalid timestamp: 'ts' is not a time
field 'liked' is not a boolean
field 'model' is not a string
field 'latency_ms' is not a number
invalid timestamp: '1e999' in 'ts'" ]
}

@test "bad-012: the start of a second value after the object is invalid, and harms no later line" {
	printf '%s\n' '{"ts":1,"request_id":"a"} 12' '{"ts":2,"request_id":"b"}' \
	    '{"ts":3,"request_id":"c"} "ab' '{"ts":4,"request_id":"d"}' \
	    '{"ts":5,"request_id":"e"} tr' '{"ts":6,"request_id":"f"}   ' > "$TMP/in"
	extract -g event --on-error=quarantine:"$TMP/q" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .request_id <<< "$output" | tr '\n' ' ')" = "b d f " ]
	[ "$($JQ -r '"\(._error.line) \(._error.reason)"' "$TMP/q" | tr '\n' '|')" = "1 invalid JSON: trailing characters at offset 26|3 invalid JSON: trailing characters at offset 26|5 invalid JSON: trailing characters at offset 26|" ]
}

@test "bad-013: --max-line is at most 1G" {
	extract -g event --max-line 18446744073709500000 "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	[ "${stderr%%$'\n'*}" = "feat-extract: invalid --max-line '18446744073709500000': 1 to 1G bytes" ]
	extract -g event --max-line 2G "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	extract -g event --max-line 1G "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 0 ]
}

@test "bad-014: an entity id longer than 512 bytes is a bad value with its file and line" {
	local long
	long=$(head -c 600 /dev/zero | tr '\0' r)
	printf '{"ts":1,"request_id":"ok"}\n{"ts":2,"request_id":"%s"}\n' "$long" > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$status" -eq 3 ]
	[ "$stderr" = "feat-extract: $TMP/in:2: field 'request_id' is too long: 600 bytes, an entity id holds at most 512" ]
	[ "$($JQ -r .entity_id <<< "$output")" = ok ]
	printf '{"ts":1,"type":"system_health","component":"%s"}\n' "$long" > "$TMP/in"
	extract -g context --on-error=skip "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "feat-extract: 1 bad line skipped" ]
	# 512 bytes is an id; -g event writes no entity ids at all.
	printf '{"ts":1,"request_id":"%s"}\n' "${long:0:512}" > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$status" -eq 0 ]
	printf '{"ts":1,"request_id":"%s"}\n' "$long" > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
}

@test "bad-015: -g event output reads back: depth 64 with --keep-unknown, the edges of time" {
	# 63 levels under a top-level member: under "extra" that is 65.
	local deep
	deep=$(printf '{"a":%.0s' $(seq 63))1$(printf '}%.0s' $(seq 63))
	printf '{"ts":1,"x":%s}\n' "$deep" > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	extract -g event --keep-unknown "$TMP/in"
	[ "$status" -eq 3 ]
	[ "$stderr" = "feat-extract: $TMP/in:1: nesting deeper than 64: 'x' would nest deeper under \"extra\"" ]
	# One level less fits, and reads back the same.
	printf '{"ts":1,"x":%s}\n' "${deep:5:${#deep}-6}" > "$TMP/in"
	extract -g event --keep-unknown "$TMP/in"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$TMP/once"
	extract -g event --keep-unknown "$TMP/once"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$TMP/once")" ]
	# The last millisecond of 1677 that int64 holds floors outside it.
	printf '%s\n' '{"ts":"1677-09-21T00:12:43.145224192Z"}' '{"ts":"1677-09-21T00:12:43.146Z"}' \
	    '{"ts":-9223372036.854775808}' > "$TMP/in"
	extract -g event --on-error=quarantine:"$TMP/q" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .ts <<< "$output")" = "1677-09-21T00:12:43.146Z" ]
	[ "$($JQ -r ._error.reason "$TMP/q" | cut -d: -f1 | sort -u)" = "invalid timestamp" ]
	printf '%s\n' "$output" > "$TMP/once"
	extract -g event "$TMP/once"
	[ "$status" -eq 0 ]
}

@test "bad-016: negative counts and durations are out of range, never a bad line for priority" {
	printf '%s\n' '{"ts":1,"latency_ms":-1}' '{"ts":1,"ttft_ms":"-2"}' \
	    '{"ts":1,"output_tokens":-3}' '{"ts":1,"usage":{"cache_read_tokens":-1}}' \
	    '{"ts":1,"dwell_time_seconds":-4}' '{"ts":1,"retries":-1}' \
	    '{"ts":2,"startTime":2,"endTime":1}' '{"ts":1,"priority":"high"}' \
	    '{"ts":1,"latency_ms":-0}' > "$TMP/in"
	extract -g event --on-error=quarantine:"$TMP/q" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r ._error.reason "$TMP/q")" = "number out of range in 'latency_ms': below zero
number out of range in 'ttft_ms': below zero
number out of range in 'output_tokens': below zero
number out of range in 'usage.cache_read_tokens': below zero
number out of range in 'dwell_time_seconds': below zero
number out of range in 'retries': below zero
number out of range in 'endTime': before 'startTime'" ]
	[ "$(printf '%s\n' "$output" | $JQ -c '[.priority, .latency_ms]')" = '["high",null]
[null,-0]' ]
}

@test "bad-017: a repeated key: the last wins, in the first one's place, as in jq" {
	printf '%s\n' '{"ts":1,"model":"a","request_id":"r","model":"b"}' \
	    '{"ts":1,"usage":{"input_tokens":1},"usage":{"output_tokens":2}}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | $JQ -c '[.model, .input_tokens, .output_tokens]')" = '["b",null,null]
[null,null,2]' ]
	# --keep-unknown never writes a key twice into "extra".
	printf '%s\n' '{"ts":1,"x":1,"y":2,"x":3,"extra":{"x":4,"z":5}}' > "$TMP/in"
	extract -g event --keep-unknown "$TMP/in"
	[ "$($JQ -c .extra <<< "$output")" = '{"x":4,"y":2,"z":5}' ]
	# Objects of many members take the same rule.
	{ printf '{"ts":1'; for i in $(seq 40); do printf ',"k%d":%d' "$i" "$i"; done
	  printf ',"k7":"last","model":"m"}\n'; } > "$TMP/in"
	extract -g event --keep-unknown "$TMP/in"
	[ "$($JQ -c '[.extra.k7, (.extra | length), .model]' <<< "$output")" = '["last",40,"m"]' ]
}

@test "bad-018: a raw NUL byte in a string is a NUL character; a form feed before the object is not blank" {
	printf '{"ts":1,"a":"x\0y"}\n\f{"ts":1}\n{"ts":1}\f\n' > "$TMP/in"
	extract -g event --on-error=quarantine:"$TMP/q" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r ._error.reason "$TMP/q" | cut -d: -f1)" = "NUL character in a string
invalid JSON
invalid JSON" ]
}
