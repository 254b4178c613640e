#!/usr/bin/env bats
# extract-event.bats - feat-extract -g event on events with the canonical
# field names: output layout, numbers, timestamps, derived fields.
load helpers

@test "event-001: the canonical sample gives the expected events" {
	extract -g event "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	diff -u "$DATA/sample-canonical.expected.ndjson" <(printf '%s\n' "$output")
}

@test "event-002: -g event is idempotent on its own output" {
	"$FEAT_EXTRACT" -g event "$DATA/sample-canonical.ndjson" > "$TMP/once"
	"$FEAT_EXTRACT" -g event "$TMP/once" > "$TMP/twice"
	cmp "$TMP/once" "$TMP/twice"
	"$FEAT_GENLOAD" -n 2000 -s 7 > "$TMP/gen"
	"$FEAT_EXTRACT" -g event "$TMP/gen" > "$TMP/once"
	"$FEAT_EXTRACT" -g event "$TMP/once" > "$TMP/twice"
	cmp "$TMP/once" "$TMP/twice"
	[ "$(wc -l < "$TMP/once")" -eq 2000 ]
}

@test "event-003: fields come in the canonical order, type/status/outcome always" {
	echo '{"cost_usd":1,"model":"m","ts":"2024-01-01T00:00:00Z","input_tokens":3,"user_id":"u","latency_ms":5}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$output" = '{"ts":"2024-01-01T00:00:00.000Z","type":"request","request_id":"r-120f9f628f68b0f5","user_id":"u","model":"m","input_tokens":3,"latency_ms":5,"status":"ok","outcome":true,"cost_usd":1}' ]
}

@test "event-004: synthetic request ids are r- and FNV-1a 64 of the line" {
	# FNV-1a 64 of the 10 bytes {"ts":100} is 0x9f9b44510960ac6b
	# (offset basis cbf29ce484222325, prime 100000001b3, byte by byte).
	printf '{"ts":100}\r\n' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$output" = '{"ts":"1970-01-01T00:01:40.000Z","type":"request","request_id":"r-9f9b44510960ac6b","status":"ok","outcome":false}' ]
}

@test "event-005: numbers keep their text; numeric strings become numbers" {
	printf '%s\n' '{"ts":1,"latency_ms":812.50,"input_tokens":"120","output_tokens":" 45 ","cost_usd":1E-3,"rating":"+4","priority":"007"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -c '[.latency_ms,.input_tokens,.output_tokens,.cost_usd,.rating,.priority]' <<< "$output")" = '[812.5,120,45,0.001,4,7]' ]
	[[ "$output" == *'"input_tokens":120,"output_tokens":45,"latency_ms":812.50,'* ]]
	[[ "$output" == *'"cost_usd":1E-3,'* ]]
	[[ "$output" == *'"rating":4,'* ]]
}

@test "event-006: every timestamp form, written in UTC with floored ms" {
	printf '%s\n' \
	    '{"ts":"2024-11-16T18:15:46.680999999Z"}' \
	    '{"ts":"2024-11-16T20:15:46.68+02:00"}' \
	    '{"ts":"2024-11-16 18:15:46.6805900"}' \
	    '{"ts":"2024-11-16T18:15:46"}' \
	    '{"ts":1731780946.6809}' \
	    '{"ts":"1731780946"}' \
	    '{"ts":-0.0005}' \
	    '{"ts":"1969-07-20T20:17:40Z"}' \
	    '{"ts":"2024-02-29T00:00:00Z"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .ts <<< "$output" | tr '\n' ' ')" = "2024-11-16T18:15:46.680Z 2024-11-16T18:15:46.680Z 2024-11-16T18:15:46.680Z 2024-11-16T18:15:46.000Z 2024-11-16T18:15:46.680Z 2024-11-16T18:15:46.000Z 1969-12-31T23:59:59.999Z 1969-07-20T20:17:40.000Z 2024-02-29T00:00:00.000Z " ]
}

@test "event-007: --time-unit reads numeric timestamps in ms, us or ns" {
	echo '{"ts":1731780946680}' > "$TMP/in"
	extract -g event --time-unit ms "$TMP/in"
	[ "$($JQ -r .ts <<< "$output")" = "2024-11-16T18:15:46.680Z" ]
	echo '{"ts":1731780946680123}' > "$TMP/in"
	extract -g event --time-unit us "$TMP/in"
	[ "$($JQ -r .ts <<< "$output")" = "2024-11-16T18:15:46.680Z" ]
	echo '{"ts":"1731780946680123456"}' > "$TMP/in"
	extract -g event --time-unit ns "$TMP/in"
	[ "$($JQ -r .ts <<< "$output")" = "2024-11-16T18:15:46.680Z" ]
}

@test "event-008: status rules: error, failure, status_code, success:false" {
	printf '%s\n' \
	    '{"ts":1,"error":"boom"}' \
	    '{"ts":1,"error":""}' \
	    '{"ts":1,"error":null}' \
	    '{"ts":1,"status":"Failure"}' \
	    '{"ts":1,"status":"failed"}' \
	    '{"ts":1,"status":"success"}' \
	    '{"ts":1,"status_code":503}' \
	    '{"ts":1,"status_code":"200"}' \
	    '{"ts":1,"success":false}' \
	    '{"ts":1,"error":{"message":"Request timeout","type":"timeout"}}' \
	    '{"ts":1,"type":"system_health","status":"degraded"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$($JQ -r .status <<< "$output" | tr '\n' ' ')" = "error ok ok error error ok error ok error error degraded " ]
	[ "$($JQ -r '.error // "-"' <<< "$output" | tr '\n' '|')" = "boom|-|-|-|-|-|-|-|-|Request timeout|-|" ]
}

@test "event-009: outcome: given, by type, or by what a request line carries" {
	printf '%s\n' \
	    '{"ts":1}' \
	    '{"ts":1,"latency_ms":3}' \
	    '{"ts":1,"output_tokens":3}' \
	    '{"ts":1,"status":"ok"}' \
	    '{"ts":1,"error":"x"}' \
	    '{"ts":1,"input_tokens":3}' \
	    '{"ts":1,"type":"response"}' \
	    '{"ts":1,"type":"performance_metrics"}' \
	    '{"ts":1,"type":"feedback","latency_ms":3}' \
	    '{"ts":1,"latency_ms":3,"outcome":false}' \
	    '{"ts":1,"outcome":true}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$($JQ -r .outcome <<< "$output" | tr '\n' ' ')" = "false true true true true false true true false false true " ]
}

@test "event-010: type defaults to request; user_feedback is feedback" {
	printf '%s\n' '{"ts":1}' '{"ts":1,"type":"user_feedback"}' '{"ts":1,"event_kind":"x","type":"custom"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$($JQ -r .type <<< "$output" | tr '\n' ' ')" = "request feedback custom " ]
}

@test "event-011: --drop keeps a field out; unknown names are refused" {
	extract -g event --drop prompt "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 0 ]
	[[ "$output" != *'"prompt"'* ]]
	extract -g event --drop nosuch "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: cannot drop 'nosuch': not a droppable canonical field
Try 'feat-extract --help' for more information." ]
}

@test "event-012: null is absent; unknown fields are not written" {
	echo '{"ts":1,"model":null,"foo":1,"metadata":{"x":1},"input_tokens":null}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$($JQ -c 'keys_unsorted' <<< "$output")" = '["ts","type","request_id","status","outcome"]' ]
}

@test "event-013: gzip input by name and on stdin; several files in order" {
	gzip -c "$DATA/sample-canonical.ndjson" > "$TMP/s.ndjson.gz"
	"$FEAT_EXTRACT" -g event "$DATA/sample-canonical.ndjson" > "$TMP/plain"
	"$FEAT_EXTRACT" -g event "$TMP/s.ndjson.gz" > "$TMP/gz"
	cmp "$TMP/plain" "$TMP/gz"
	"$FEAT_EXTRACT" -g event < "$TMP/s.ndjson.gz" > "$TMP/gzstdin"
	cmp "$TMP/plain" "$TMP/gzstdin"
	cat "$TMP/s.ndjson.gz" "$TMP/s.ndjson.gz" > "$TMP/two.gz"
	"$FEAT_EXTRACT" -g event "$TMP/two.gz" - < "$DATA/sample-canonical.ndjson" > "$TMP/three"
	[ "$(wc -l < "$TMP/three")" -eq $((3 * $(wc -l < "$TMP/plain"))) ]
}

@test "event-014: strings keep their escapes and Unicode" {
	printf '%s\n' '{"ts":1,"prompt":"tab\there \"q\" \\ \u00e9 \ud83d\ude00 /","user_id":12345}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .prompt <<< "$output")" = "$(printf 'tab\there "q" \\ \xc3\xa9 \xf0\x9f\x98\x80 /')" ]
	[ "$($JQ -c .user_id <<< "$output")" = '"12345"' ]
}

@test "event-015: --field maps a source path onto a canonical field" {
	echo '{"when":"2024-01-01T00:00:00Z","meta":{"who":"u-1"},"user_id":"ignored"}' > "$TMP/in"
	extract -g event --field ts=when --field user_id=meta.who "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -c '[.ts,.user_id]' <<< "$output")" = '["2024-01-01T00:00:00.000Z","u-1"]' ]
	extract -g event --field bogus=x "$TMP/in"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: unknown canonical field 'bogus'
Try 'feat-extract --help' for more information." ]
}
