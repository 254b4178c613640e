#!/usr/bin/env bats
# normalise.bats - feat-extract -g event on every source of SPEC 3.1: OTLP
# spans and export batches, LiteLLM spend logs, the upstream collector
# events, the Azure trace, aliases, --field, --keep-unknown.
load helpers

FIELDS='[.ts,.request_id,.model,.input_tokens,.output_tokens,.latency_ms,.status,.outcome]'

@test "norm-001: the four fixtures give the same canonical event" {
	local want
	want=$($JQ -c '[.ts,.request_id,.model,.input_tokens,.output_tokens,.latency_ms,.status,true]' \
	    "$DATA/fixtures/same-request.expected.json")
	[ "$want" = '["2024-11-16T18:15:46.680Z","chatcmpl-9Xk2","gpt-4o-2024-08-06",120,45,812.5,"ok",true]' ]
	for f in otlp-span otlp-export litellm-spend-log upstream-performance-metrics; do
		extract -g event "$DATA/fixtures/$f.ndjson"
		[ "$status" -eq 0 ]
		[ "$stderr" = "" ]
		[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
		[ "$($JQ -c "$FIELDS" <<< "$output")" = "$want" ] || { echo "$f: $output"; false; }
		if [ "$f" != upstream-performance-metrics ]; then
			[ "$($JQ -c '[.user_id,.session_id,.provider]' <<< "$output")" = '["u-4157","s-7036","openai"]' ]
		fi
	done
	# the collector event and the spend log carry their own cost
	extract -g event "$DATA/fixtures/upstream-performance-metrics.ndjson"
	[ "$($JQ -c .cost_usd <<< "$output")" = 0.00075 ]
	extract -g event "$DATA/fixtures/litellm-spend-log.ndjson"
	[ "$($JQ -c '[.cost_usd,.ttft_ms]' <<< "$output")" = '[0.00075,421]' ]
}

@test "norm-002: an export batch of 3 GenAI spans and 1 other gives 3 events" {
	extract -g event "$DATA/otlp-batch-4spans.ndjson"
	[ "$status" -eq 0 ]
	[ "$stderr" = "feat-extract: 1 span without gen_ai attributes skipped" ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
	[ "$($JQ -r .request_id <<< "$output" | tr '\n' ' ')" = "chatcmpl-1 span-aaaa000000000002 span-aaaa000000000003 " ]
	[ "$($JQ -r .request_id <<< "$output" | sort -u | wc -l)" -eq 3 ]
	# typed values: intValue as a string or a number, status code 2, message
	[ "$($JQ -c 'select(.request_id == "span-aaaa000000000002") | [.input_tokens,.output_tokens,.latency_ms,.status,.error,.provider,.user_id]' <<< "$output")" = '[300,12,1250,"error","upstream Timeout","anthropic","u-1"]' ]
}

@test "norm-003: the Azure trace converted by Miller gives 19,366 events" {
	$MLR --icsv --ojsonl cat "$DATA/traces/azure-llm-conv-2023.csv" > "$TMP/azure.jsonl"
	"$FEAT_EXTRACT" -g event "$TMP/azure.jsonl" > "$TMP/one"
	"$FEAT_EXTRACT" -g event "$TMP/azure.jsonl" > "$TMP/two"
	[ "$(wc -l < "$TMP/one")" -eq 19366 ]
	[ "$(head -n 1 "$TMP/one" | $JQ -c '[.ts,.input_tokens,.output_tokens]')" = '["2023-11-16T18:15:46.680Z",374,44]' ]
	cmp "$TMP/one" "$TMP/two"
	[ "$($JQ -r .request_id "$TMP/one" | sort -u | wc -l)" -eq 19366 ]
	[ "$($JQ -r .request_id "$TMP/one" | grep -cv '^r-[0-9a-f]\{16\}$')" -eq 0 ]
}

@test "norm-004: -g event is idempotent on every source" {
	$MLR --icsv --ojsonl cat "$DATA/traces/azure-llm-conv-2023.csv" > "$TMP/azure.jsonl"
	"$FEAT_GENLOAD" -n 3000 -s 5 --names litellm > "$TMP/litellm.ndjson"
	for f in "$DATA"/fixtures/*.ndjson "$DATA/otlp-batch-4spans.ndjson" \
	    "$TMP/azure.jsonl" "$TMP/litellm.ndjson" "$DATA/sample-canonical.ndjson"; do
		for opt in "" --keep-unknown; do
			"$FEAT_EXTRACT" -g event $opt "$f" > "$TMP/once" 2>/dev/null
			"$FEAT_EXTRACT" -g event $opt "$TMP/once" > "$TMP/twice"
			cmp "$TMP/once" "$TMP/twice" || { echo "$f $opt"; false; }
		done
	done
}

@test "norm-005: LiteLLM: model from model, not model_id; outcome by content" {
	extract -g event "$DATA/fixtures/litellm-spend-log.ndjson"
	[ "$($JQ -r .model <<< "$output")" = "gpt-4o-2024-08-06" ]
	printf '%s\n' \
	    '{"request_id":"a","startTime":"2024-11-16T18:15:46.680000+00:00","model":"gpt-4o","model_id":"d7a5c1e2-deployment-1","prompt_tokens":10}' \
	    '{"request_id":"b","startTime":"2024-11-16T18:15:46.680000+00:00","model":"gpt-4o","model_id":"d7a5c1e2-deployment-1","prompt_tokens":10,"completion_tokens":3}' \
	    '{"request_id":"c","startTime":"2024-11-16T18:15:46.680000+00:00","model_id":"d7a5c1e2-deployment-1","model_group":"gpt-4o"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$($JQ -c '[.request_id,.type,.model,.outcome]' <<< "$output" | tr '\n' ' ')" = '["a","request","gpt-4o",false] ["b","request","gpt-4o",true] ["c","request","gpt-4o",false] ' ]
}

@test "norm-006: messages give the prompt: text parts joined with newlines" {
	printf '%s\n' '{"ts":1,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hello"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"world"}]}]}' \
	    '{"ts":1,"prompt":"explicit","messages":[{"role":"user","content":"ignored"}]}' \
	    '{"ts":1,"data":{"prompt":"nested"}}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$($JQ -c .prompt <<< "$output" | tr '\n' ' ')" = '"Be brief.\nHello\nworld" "explicit" "nested" ' ]
}

@test "norm-007: the first source in the table wins, whatever the order in the line" {
	printf '%s\n' \
	    '{"prompt_tokens":5,"input_tokens":7,"time":"2024-01-01T00:00:00Z","timestamp":"2024-01-02T00:00:00Z"}' \
	    '{"ts":1,"usage":{"input_tokens":9,"output_tokens":4,"cache_read_input_tokens":2}}' \
	    '{"ts":1,"metadata":{"user_id":"mu","session_id":"ms","rating":5},"end_user":"eu"}' \
	    '{"ts":1,"end_user":"","user":"plain"}' \
	    '{"ts":1,"spend":0.5,"cost":0.25}' \
	    '{"ts":1,"duration_ms":40,"request_duration_ms":30}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(sed -n 1p <<< "$output" | $JQ -c '[.ts,.input_tokens]')" = '["2024-01-02T00:00:00.000Z",7]' ]
	[ "$(sed -n 2p <<< "$output" | $JQ -c '[.input_tokens,.output_tokens,.cache_read_tokens]')" = '[9,4,2]' ]
	[ "$(sed -n 3p <<< "$output" | $JQ -c '[.user_id,.session_id,.rating]')" = '["eu","ms",5]' ]
	[ "$(sed -n 4p <<< "$output" | $JQ -c .user_id)" = '"plain"' ]
	[ "$(sed -n 5p <<< "$output" | $JQ -c .cost_usd)" = '0.25' ]
	[ "$(sed -n 6p <<< "$output" | $JQ -c .latency_ms)" = '30' ]
}

@test "norm-008: id is a request id only in request and response events" {
	printf '%s\n' '{"ts":1,"type":"feedback","id":"fb-1"}' '{"ts":1,"type":"response","id":"resp-1"}' \
	    '{"ts":1,"id":"req-1"}' '{"ts":1,"type":"performance_metrics","id":"pm-1"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$($JQ -r .request_id <<< "$output" | sed 's/^r-.*/r-HASH/' | tr '\n' ' ')" = "r-HASH resp-1 req-1 r-HASH " ]
}

@test "norm-009: latency and ttft from start, end and first-token times" {
	printf '%s\n' \
	    '{"startTime":"2024-11-16T18:15:46.680000+00:00","endTime":"2024-11-16T18:15:47.492500+00:00","completionStartTime":"2024-11-16T18:15:47.101000+00:00"}' \
	    '{"startTimeUnixNano":"1731780946680000000","endTimeUnixNano":"1731780946680000001","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"m"}}]}' \
	    '{"ts":1,"startTime":"2024-11-16T18:15:46Z","endTime":"2024-11-16T18:15:47Z","latency_ms":5}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -c '[.latency_ms,.ttft_ms]' <<< "$output" | tr '\n' ' ')" = '[812.5,421] [1e-06,null] [5,null] ' ]
	[[ "$output" == *'"latency_ms":0.000001,'* ]]
}

@test "norm-010: --keep-unknown keeps the other fields under extra" {
	echo '{"ts":1,"model":"m","foo":{"bar":[1,2.50,"x"]},"baz":null}' > "$TMP/in"
	extract -g event --keep-unknown "$TMP/in"
	[[ "$output" == *',"extra":{"foo":{"bar":[1,2.50,"x"]},"baz":null}}' ]]
	extract -g event "$TMP/in"
	[[ "$output" != *extra* ]]
}

@test "norm-011: --list-fields prints every canonical field and its sources" {
	extract --list-fields
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(printf 'ts\tts timestamp time startTime TIMESTAMP startTimeUnixNano')" ]
	[ "$(printf '%s\n' "$output" | grep -c "^input_tokens	input_tokens prompt_tokens gen_ai.usage.input_tokens usage.input_tokens ContextTokens input_length$")" -eq 1 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 99 ]
	extract --list-fields --field user_id=meta.who
	[ "$(printf '%s\n' "$output" | grep '^user_id')" = "$(printf 'user_id\tmeta.who user_id user end_user user.id enduser.id metadata.user_id')" ]
}

@test "norm-012: a span attribute with a wrong type is a bad line, named" {
	echo '{"spanId":"1","startTimeUnixNano":"1731780946680000000","attributes":[{"key":"gen_ai.usage.input_tokens","value":{"stringValue":"many"}}]}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 3 ]
	[ "$stderr" = "feat-extract: $TMP/in:1: field 'gen_ai.usage.input_tokens' is not a number" ]
}

@test "norm-013: long source paths and span ids, far-apart times: no overflow" {
	local long
	long=$(printf 'k%.0s' $(seq 300))
	printf '{"ts":1,"%s":{"x":"u"},"a":{"%s":1}}\n' "$long" "$long" > "$TMP/in"
	extract -g event --field "user_id=$long.x" "$TMP/in"
	[ "$status" -eq 0 ]
	printf '{"spanId":"%s","startTimeUnixNano":"1","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"m"}}]}\n' \
	    "0123456789abcdef0123456789abcdef0123456789" > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$($JQ -r .request_id <<< "$output")" = "span-0123456789abcdef0123456789abcdef0123456789" ]
	echo '{"startTime":-9000000000,"endTime":9000000000}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ .latency_ms <<< "$output")" = 18000000000000 ]
}

@test "norm-014: spans of a batch without an id each get their own: r-<hash>-<index>" {
	local span='{"startTimeUnixNano":"1731780946680000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]}'
	printf '{"resourceSpans":[{"scopeSpans":[{"spans":[%s,%s]},{"spans":[%s]}]}]}\n' \
	    "$span" "$span" "$span" > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .request_id <<< "$output" | sed 's/^r-[0-9a-f]\{16\}-/r-H-/' | tr '\n' ' ')" = "r-H-0 r-H-1 r-H-2 " ]
	[ "$($JQ -r .request_id <<< "$output" | cut -c1-18 | sort -u | wc -l)" -eq 1 ]
	# and the request records keep all three
	extract -g request "$TMP/in"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 3 ]
	# A span alone on its line keeps the plain r-<hash>.
	printf '%s\n' "$span" > "$TMP/one"
	extract -g event "$TMP/one"
	[[ "$($JQ -r .request_id <<< "$output")" =~ ^r-[0-9a-f]{16}$ ]]
}

@test "norm-015: entries of a batch that are not objects are counted and said" {
	local span='{"spanId":"s1","startTimeUnixNano":"1","attributes":[{"key":"gen_ai.system","value":{"stringValue":"openai"}}]}'
	printf '{"resourceSpans":[1,{"scopeSpans":["x",{"spans":[null,%s,true]}]}]}\n' "$span" > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .request_id <<< "$output")" = span-s1 ]
	[ "$stderr" = "feat-extract: 4 entries of resourceSpans, scopeSpans or spans not an object, skipped" ]
	# The index counts every element of the spans arrays, objects or not.
	printf '{"resourceSpans":[{"scopeSpans":[{"spans":[null,%s]}]}]}\n' "${span/\"spanId\":\"s1\",/}" > "$TMP/in"
	extract -g event "$TMP/in"
	[[ "$($JQ -r .request_id <<< "$output")" == r-*-1 ]]
}

@test "norm-016: a bad span makes its batch line bad: none of its spans is written" {
	local good='{"spanId":"g","startTimeUnixNano":"1","attributes":[{"key":"gen_ai.system","value":{"stringValue":"x"}}]}'
	local bad='{"spanId":"b","startTimeUnixNano":"soon","attributes":[{"key":"gen_ai.system","value":{"stringValue":"x"}}]}'
	printf '{"resourceSpans":[{"scopeSpans":[{"spans":[%s,%s]}]}]}\n' "$good" "$bad" > "$TMP/in"
	extract -g event --on-error=skip "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "feat-extract: 1 bad line skipped" ]
}

@test "norm-017: a 16 MiB export batch of 200,000 spans is written span by span in under 100 MB" {
	awk 'BEGIN {
		printf "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
		for (i = 0; i < 200000; i++)
			printf "%s{\"startTimeUnixNano\":\"1\",\"attributes\":[{\"key\":\"gen_ai.x\",\"value\":{\"intValue\":1}}]}", i ? "," : ""
		printf "]}]}]}\n" }' > "$TMP/batch"
	[ "$(wc -c < "$TMP/batch")" -gt 16000000 ]
	/usr/bin/time -f '%M' -o "$TMP/rss" "$FEAT_EXTRACT" -g event "$TMP/batch" > "$TMP/out"
	local rss=$(tail -n 1 "$TMP/rss") limit=102400
	# Under AddressSanitizer (scripts/test sets ASAN_OPTIONS for that
	# pass) a realloc'd array lives twice, and freed memory waits in
	# quarantine: the bound there is 3x.
	[ -z "${ASAN_OPTIONS:-}" ] || limit=307200
	echo "peak RSS ${rss} kB (limit $limit kB)"
	[ "$rss" -lt "$limit" ]
	[ "$(wc -l < "$TMP/out")" -eq 200000 ]
	[ "$(tail -n 1 "$TMP/out" | $JQ -r .request_id)" = "$(head -n 1 "$TMP/out" | $JQ -r .request_id | sed 's/-0$/-199999/')" ]
}

@test "norm-018: a batch whose span feat-extract cannot take is bad whole, state untouched" {
	local long
	long=$(head -c 600 /dev/zero | tr '\0' i)
	local a='{"spanId":"a","startTimeUnixNano":"1","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}]}'
	local b='{"spanId":"b","startTimeUnixNano":"2","attributes":[{"key":"gen_ai.response.id","value":{"stringValue":"'$long'"}}]}'
	printf '{"resourceSpans":[{"scopeSpans":[{"spans":[%s,%s]}]}]}\n' "$a" "$b" > "$TMP/in"
	extract --state "$TMP/state" --on-error=quarantine:"$TMP/q" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$($JQ -r ._error.reason "$TMP/q")" = "field 'request_id' is too long: 600 bytes, an entity id holds at most 512" ]
	$JQ -e '.seen == [] and .static == []' "$TMP/state" > /dev/null
	extract "$TMP/in"
	[ "$status" -eq 3 ]
	[ "$output" = "" ]
}

@test "norm-019: --keep-unknown keeps what a source's parent object holds besides sources" {
	printf '%s\n' '{"ts":1,"usage":{"foo":1,"input_tokens":3}}' \
	    '{"ts":1,"metadata":{"team":"x","session_id":"s"}}' '{"ts":1,"usage":"n/a"}' \
	    '{"ts":1,"gen_ai":{"x":1}}' '{"ts":1,"user":{"name":"bob"}}' > "$TMP/in"
	extract -g event --keep-unknown "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | $JQ -c '[.input_tokens, .session_id, .extra]')" = '[3,null,{"usage":{"foo":1}}]
[null,"s",{"metadata":{"team":"x"}}]
[null,null,{"usage":"n/a"}]
[null,null,{"gen_ai":{"x":1}}]
[null,null,{"user":{"name":"bob"}}]' ]
	printf '%s\n' "$output" > "$TMP/once"
	extract -g event --keep-unknown "$TMP/once"
	[ "$output" = "$(cat "$TMP/once")" ]
}

@test "norm-020: --field overrides win however many; a source feeds at most 8 fields" {
	local args=() i
	for i in $(seq 1500); do args+=(--field "session_id=z$i"); done
	echo '{"ts":1,"user":"builtin","who":"override"}' > "$TMP/in"
	extract -g event "${args[@]}" --field user_id=who "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .user_id <<< "$output")" = override ]
	args=()
	for f in session_id user_id model provider prompt task_type language user_tier region; do
		args+=(--field "$f=x")
	done
	extract -g event "${args[@]}" "$TMP/in"
	[ "$status" -eq 2 ]
	[ "${stderr%%$'\n'*}" = "feat-extract: invalid --field 'region=x': the source already feeds 8 fields" ]
}
