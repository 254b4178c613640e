#!/usr/bin/env bats
# pricing.bats - the model catalog and request cost (SPEC 5): genai-prices'
# usage test set (conformance), the four fixtures, each pricing rule on its
# own (provider and model lookup, price lists by date and time of day,
# tiers, cache subtraction, units without a direction, inconsistent usage),
# and --models / $FEAT_MODELS.
load helpers

COSTS='[.catalog_model,.provider,.cost_usd,.input_cost_usd,.output_cost_usd]'

# near GOT WANT: two JSON values equal, numbers within 1e-12 relative.
near() {
	$JQ -n -e --argjson g "$1" --argjson w "$2" '
	    def eq(a; b):
	        if (a | type) == "number" and (b | type) == "number" then
	            ((a - b) | fabs) <= 1e-12 * ([(a | fabs), (b | fabs)] | max)
	        elif (a | type) == "array" and (b | type) == "array" then
	            (a | length) == (b | length) and
	            all(range(0; a | length); eq(a[.]; b[.]))
	        else a == b end;
	    eq($g; $w)' > /dev/null || { echo "got  $1"; echo "want $2"; return 1; }
}

# line N FILTER: FILTER applied to line N of $output.
line() {
	sed -n "$1p" <<< "$output" | $JQ -c "$2"
}

@test "price-001: genai-prices' usage test set: 1,731 entries priced within 1e-9, 7,814 unpriced give null" {
	local set=$DATA/usages-public.json
	# The counts, from the file itself.
	[ "$($JQ '[.[].extracted[].extractors[] | select(has("input_price") and has("output_price"))] | length' "$set")" -eq 1731 ]
	[ "$($JQ '[.[].extracted[].extractors[] | select((has("input_price") or has("output_price")) | not)] | length' "$set")" -eq 7814 ]
	[ "$($JQ '[.[].extracted[].extractors[]] | length' "$set")" -eq $((1731 + 7814)) ]
	# One event per extracted[].extractors[] entry, in file order.
	$JQ -c '.[] | .model as $m | .extracted[] | .usage as $u | .extractors[] |
	    {ts: "2025-11-06T12:00:00Z", model: $m, provider: .provider_id} + $u' \
	    "$set" > "$TMP/events"
	$JQ -c '.[].extracted[].extractors[] | [.input_price, .output_price]' \
	    "$set" > "$TMP/want"
	"$FEAT_EXTRACT" -g event "$TMP/events" > "$TMP/out" 2> "$TMP/err"
	[ ! -s "$TMP/err" ]
	[ "$(wc -l < "$TMP/out")" -eq 9545 ]
	$JQ -c '[.input_cost_usd, .output_cost_usd]' "$TMP/out" > "$TMP/got"
	paste -d ' ' "$TMP/want" "$TMP/got" | $JQ -s -c '
	    def ok(w; g): (g != null) and (((w | tonumber) - g) | fabs) <= 1e-9;
	    [range(0; length; 2) as $i | {w: .[$i], g: .[$i + 1]}] |
	    [(map(select(.w[0] != null and ok(.w[0]; .g[0]) and ok(.w[1]; .g[1]))) | length),
	     (map(select(.w[0] == null and .w[1] == null and .g == [null, null])) | length)]' > "$TMP/counts"
	[ "$(cat "$TMP/counts")" = "[1731,7814]" ]
}

@test "price-002: the four fixtures give every field of same-request.expected.json" {
	local want=$DATA/fixtures/same-request.expected.json
	[ "$($JQ -c '[.catalog_model, .provider, .cost_usd]' "$want")" = '["gpt-4o","openai",0.00075]' ]
	for f in otlp-span otlp-export litellm-spend-log upstream-performance-metrics; do
		extract -g event "$DATA/fixtures/$f.ndjson"
		[ "$status" -eq 0 ]
		[ "$stderr" = "" ]
		[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
		local keys
		keys=$($JQ -c 'keys_unsorted' "$want")
		near "$($JQ -c --argjson k "$keys" '[.[$k[]]]' <<< "$output")" \
		    "$($JQ -c '[.[]]' "$want")" || { echo "$f: $output"; false; }
	done
	# the collector event names no provider: the catalog's model_match gives it
	extract -g event "$DATA/fixtures/upstream-performance-metrics.ndjson"
	[ "$($JQ -r .provider <<< "$output")" = openai ]
	# the OTLP span carries no cost: it is computed, 120 x 2.5/M + 45 x 10/M
	extract -g event "$DATA/fixtures/otlp-span.ndjson"
	near "$($JQ -c '[.cost_usd,.input_cost_usd,.output_cost_usd]' <<< "$output")" '[0.00075,0.0003,0.00045]'
}

@test "price-003: provider by id (lowercased, trimmed), by provider_match, else by model_match" {
	printf '%s\n' \
	    '{"ts":1,"model":"GPT-4o-2024-08-06","provider":"  OpenAI "}' \
	    '{"ts":1,"model":"gpt-4o","provider":"openai-compatible-gw"}' \
	    '{"ts":1,"model":"claude-3-5-haiku-20241022"}' \
	    '{"ts":1,"model":"gpt-4o","provider":"azure"}' \
	    '{"ts":1,"model":"gpt-4o","provider":"nosuch"}' \
	    '{"ts":1,"model":"no-such-model"}' \
	    '{"ts":1,"model":"claude-no-such-model"}' \
	    '{"ts":1,"model":"gemini-1.5-pro","custom_llm_provider":"gemini"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(line 1 '[.catalog_model,.provider]')" = '["gpt-4o","  OpenAI "]' ]
	[ "$(line 2 '[.catalog_model,.provider]')" = '["gpt-4o","openai-compatible-gw"]' ]
	[ "$(line 3 '[.catalog_model,.provider]')" = '["claude-3-5-haiku-latest","anthropic"]' ]
	# azure lists no gpt-4o: one step of fallback_model_providers finds openai's
	[ "$(line 4 '[.catalog_model,.provider]')" = '["gpt-4o","azure"]' ]
	# an unknown provider: no model, no cost
	[ "$(line 5 "$COSTS")" = '[null,"nosuch",null,null,null]' ]
	[ "$(line 6 "$COSTS")" = '[null,null,null,null,null]' ]
	# the provider comes from model_match even when no model of it matches
	[ "$(line 7 "$COSTS")" = '[null,"anthropic",null,null,null]' ]
	[ "$(line 8 '[.catalog_model,.provider]')" = '["gemini-1.5-pro","gemini"]' ]
}

@test "price-004: price lists: the last entry whose start_date holds, else the first; tiers strictly below input_tokens" {
	# claude-sonnet-4-6: tiered (base 3, 6 above 200k input tokens; output
	# 15, 22.5) until 2026-03-13, flat 3 and 15 from then on.
	printf '%s\n' \
	    '{"ts":"2026-01-01T00:00:00Z","model":"claude-sonnet-4-6","input_tokens":250000,"output_tokens":1000}' \
	    '{"ts":"2026-01-01T00:00:00Z","model":"claude-sonnet-4-6","input_tokens":200000,"output_tokens":1000}' \
	    '{"ts":"2026-03-12T23:59:59.999Z","model":"claude-sonnet-4-6","input_tokens":200001,"output_tokens":1000}' \
	    '{"ts":"2026-03-13T00:00:00Z","model":"claude-sonnet-4-6","input_tokens":250000,"output_tokens":1000}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	near "$(line 1 "$COSTS")" '["claude-sonnet-4-6","anthropic",1.5225,1.5,0.0225]'
	near "$(line 2 "$COSTS")" '["claude-sonnet-4-6","anthropic",0.615,0.6,0.015]'
	near "$(line 3 "$COSTS")" '["claude-sonnet-4-6","anthropic",1.222506,1.200006,0.0225]'
	near "$(line 4 "$COSTS")" '["claude-sonnet-4-6","anthropic",0.765,0.75,0.015]'
}

@test "price-005: a time-of-day constraint holds from start_time up to, not at, end_time (UTC)" {
	# deepseek-chat: 0.27/1.1 per M from 00:30 to 16:30 UTC, else 0.135/0.55.
	for t in 00:29:59.999Z 00:30:00Z 16:29:59.999Z 16:30:00Z 18:30:00+02:00; do
		echo "{\"ts\":\"2025-11-06T$t\",\"model\":\"deepseek-chat\",\"input_tokens\":1000000,\"output_tokens\":1000000}"
	done > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	near "$(line 1 '[.input_cost_usd,.output_cost_usd]')" '[0.135,0.55]'
	near "$(line 2 '[.input_cost_usd,.output_cost_usd]')" '[0.27,1.1]'
	near "$(line 3 '[.input_cost_usd,.output_cost_usd]')" '[0.27,1.1]'
	near "$(line 4 '[.input_cost_usd,.output_cost_usd]')" '[0.135,0.55]'
	near "$(line 5 '[.input_cost_usd,.output_cost_usd]')" '[0.135,0.55]'
}

@test "price-006: more specific priced units take their tokens out of the general ones" {
	printf '%s\n' \
	    '{"ts":1,"model":"gpt-4o","input_tokens":1000,"cache_read_tokens":400}' \
	    '{"ts":1,"model":"claude-3-5-haiku-latest","usage":{"input_tokens":1000,"cache_read_input_tokens":200,"cache_creation_input_tokens":300,"cache_write_1h_tokens":100,"output_tokens":10}}' \
	    '{"ts":1,"model":"claude-3-5-haiku-latest","input_tokens":1000,"output_tokens":10,"web_searches":3}' \
	    '{"ts":1,"model":"gpt-4o","input_tokens":1000,"input_audio_tokens":400}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	# 600 x 2.5/M + 400 x 1.25/M
	near "$(line 1 '[.cost_usd,.input_cost_usd,.output_cost_usd]')" '[0.002,0.002,0]'
	# 1h writes 100 at 1.6, other writes 300-100 at 1, reads 200 at 0.08,
	# input 1000-100-200-200 at 0.8, output 10 at 4 (per M)
	near "$(line 2 '[.cost_usd,.input_cost_usd,.output_cost_usd]')" '[0.000816,0.000776,0.00004]'
	# web searches (10 per thousand) have no direction: cost_usd only
	near "$(line 3 '[.cost_usd,.input_cost_usd,.output_cost_usd]')" '[0.03084,0.0008,0.00004]'
	# audio input is not priced for gpt-4o: it stays in input_tokens
	near "$(line 4 '.input_cost_usd')" '0.0025'
}

@test "price-007: inconsistent or out-of-range usage leaves the event unpriced, with a warning" {
	printf '%s\n' \
	    '{"ts":1,"model":"gpt-4o","input_tokens":100,"cache_read_tokens":200}' \
	    '{"ts":1,"model":"gpt-4o","input_tokens":100,"cache_read_tokens":20}' \
	    '{"ts":1,"model":"gpt-4o","input_tokens":1,"output_tokens":1.7e308}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(line 1 "$COSTS")" = '["gpt-4o","openai",null,null,null]' ]
	near "$(line 2 '.input_cost_usd')" '0.000225'
	[ "$(line 3 "$COSTS")" = '["gpt-4o","openai",null,null,null]' ]
	[ "$stderr" = "feat-extract: $TMP/in:1: inconsistent usage for model 'gpt-4o': 'input_tokens' is 100, less than the 200 of the more specific units it includes
feat-extract: $TMP/in:3: cost out of range for model 'gpt-4o': usage too large" ]
	# A negative count is no count at all: a bad line (feat(7)).
	echo '{"ts":1,"model":"gpt-4o","input_tokens":-5}' > "$TMP/neg"
	extract -g event "$TMP/neg"
	[ "$status" -eq 3 ]
	[ "$stderr" = "feat-extract: $TMP/neg:1: number out of range in 'input_tokens': below zero" ]
	# after ten, they are counted
	for i in $(seq 12); do echo '{"ts":1,"model":"gpt-4o","input_tokens":1,"cache_read_tokens":2}'; done > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 11 ]
	[ "$(printf '%s\n' "$stderr" | tail -n 1)" = "feat-extract: 12 events left unpriced (the first 10 shown)" ]
}

@test "price-008: given costs are kept; only request, response and performance_metrics events are priced" {
	printf '%s\n' \
	    '{"ts":1,"model":"gpt-4o","input_tokens":1000,"cost":0.5}' \
	    '{"ts":1,"model":"gpt-4o","input_tokens":1000,"catalog_model":"mine","input_cost_usd":7}' \
	    '{"ts":1,"type":"feedback","model":"gpt-4o","rating":5}' \
	    '{"ts":1,"type":"response","model":"gpt-4o","output_tokens":100}' \
	    '{"ts":1,"model":"gpt-4o"}' > "$TMP/in"
	extract -g event "$TMP/in"
	[ "$status" -eq 0 ]
	near "$(line 1 "$COSTS")" '["gpt-4o","openai",0.5,0.0025,0]'
	near "$(line 2 "$COSTS")" '["mine","openai",0.0025,7,0]'
	[ "$(line 3 "$COSTS")" = '["gpt-4o","openai",null,null,null]' ]
	near "$(line 4 "$COSTS")" '["gpt-4o","openai",0.001,0,0.001]'
	# no usage at all costs nothing (genai-prices prices an empty usage at 0)
	near "$(line 5 "$COSTS")" '["gpt-4o","openai",0,0,0]'
	# fields in order: catalog_model after model, the costs after cost_usd
	[ "$(line 1 'keys_unsorted')" = '["ts","type","request_id","model","catalog_model","provider","input_tokens","status","outcome","cost_usd","input_cost_usd","output_cost_usd"]' ]
	# read back, the output is the output
	printf '%s\n' "$output" > "$TMP/once"
	"$FEAT_EXTRACT" -g event "$TMP/once" | cmp - "$TMP/once"
}

@test "price-009: rules on a catalog of their own: clauses, one step of fallback, requests, start_date" {
	cat > "$TMP/models.json" <<'EOF'
{"units": {
  "input_tokens": {"per": 1000000, "price_key": "input_mtok", "dimensions": {"family": "tokens", "direction": "input"}},
  "output_tokens": {"per": 1000000, "price_key": "output_mtok", "dimensions": {"family": "tokens", "direction": "output"}},
  "requests": {"per": 1000, "price_key": "requests_kcount", "dimensions": {"family": "requests"}}},
 "providers": [
  {"id": "a", "name": "A", "model_match": {"regex": "^a[0-9]+(-[a-z]+)?$"}, "fallback_model_providers": ["b"], "models": [
    {"id": "a1", "match": {"and": [{"starts_with": "A1"}, {"ends_with": "-MINI"}]}, "prices": {"input_mtok": 1, "requests_kcount": 2}},
    {"id": "a2", "match": {"equals": "a2"}, "prices": [
      {"prices": {"input_mtok": 1}},
      {"constraint": {"start_date": "2025-01-01"}, "prices": {"input_mtok": 2}},
      {"constraint": {"start_date": "2026-01-01"}, "prices": {"input_mtok": 3}}]}]},
  {"id": "b", "name": "B", "provider_match": {"or": [{"contains": "bee"}, {"equals": "b2"}]}, "fallback_model_providers": ["c"], "models": [
    {"id": "b-any", "match": {"contains": "-b-"}, "prices": {"output_mtok": 5}}]},
  {"id": "c", "name": "C", "models": [
    {"id": "c-only", "match": {"starts_with": "a3"}, "prices": {"input_mtok": 9}}]}]}
EOF
	printf '%s\n' \
	    '{"ts":"2024-06-01T00:00:00Z","model":"a1-mini","input_tokens":1000}' \
	    '{"ts":"2024-06-01T00:00:00Z","model":"a2","input_tokens":1000000}' \
	    '{"ts":"2025-06-01T00:00:00Z","model":"a2","input_tokens":1000000}' \
	    '{"ts":"2026-01-01T00:00:00Z","model":"a2","input_tokens":1000000}' \
	    '{"ts":"2024-06-01T00:00:00Z","model":"a9-b-x","provider":"a","output_tokens":1000000}' \
	    '{"ts":"2024-06-01T00:00:00Z","model":"a3","output_tokens":1}' \
	    '{"ts":"2024-06-01T00:00:00Z","model":"zz-b-zz","provider":"Honeybee"}' > "$TMP/in"
	extract -g event --models "$TMP/models.json" "$TMP/in"
	[ "$status" -eq 0 ]
	# a request costs 2 per thousand, in cost_usd only (no direction)
	near "$(line 1 "$COSTS")" '["a1","a",0.003,0.001,0]'
	near "$(line 2 "$COSTS")" '["a2","a",1,1,0]'
	near "$(line 3 "$COSTS")" '["a2","a",2,2,0]'
	near "$(line 4 "$COSTS")" '["a2","a",3,3,0]'
	# a falls back on b, but not on b's own fallback c
	near "$(line 5 "$COSTS")" '["b-any","a",5,0,5]'
	[ "$(line 6 "$COSTS")" = '[null,"a",null,null,null]' ]
	near "$(line 7 "$COSTS")" '["b-any","Honeybee",0,0,0]'
	# --models wins over $FEAT_MODELS
	FEAT_MODELS=$TMP/nosuch.json "$FEAT_EXTRACT" -g event --models "$TMP/models.json" "$TMP/in" > /dev/null
}

@test "price-010: a model catalog that cannot be loaded is a usage error (exit 2)" {
	echo '{"ts":1,"model":"gpt-4o"}' > "$TMP/in"
	FEAT_MODELS=$TMP/nosuch.json extract -g event "$TMP/in"
	[ "$status" -eq 2 ]
	[ "$output" = "" ]
	[ "$stderr" = "feat-extract: cannot open model catalog '$TMP/nosuch.json': No such file or directory" ]
	echo '{"units": ' > "$TMP/bad.json"
	extract -g event --models "$TMP/bad.json" "$TMP/in"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "feat-extract: invalid model catalog '$TMP/bad.json': line "* ]]
	$JQ '.providers[0].models[0].match = {"regex": "a{2,1}"}' "$FEAT_MODELS" > "$TMP/bad.json"
	extract -g event --models "$TMP/bad.json" "$TMP/in"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "feat-extract: invalid model catalog '$TMP/bad.json': model 'claude-2': regex not POSIX ERE: "* ]]
	$JQ '.providers[0].models[0].prices.sausage_mtok = 1' "$FEAT_MODELS" > "$TMP/bad.json"
	extract -g event --models "$TMP/bad.json" "$TMP/in"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: invalid model catalog '$TMP/bad.json': model 'claude-2': price key 'sausage_mtok' is no unit of the registry" ]
	# --list-fields needs no catalog
	FEAT_MODELS=$TMP/nosuch.json extract --list-fields
	[ "$status" -eq 0 ]
}

@test "price-011: data/models.json: POSIX ERE regexes, the unit registry, every model priced" {
	local m=$top_srcdir/data/models.json
	[ "$($JQ '[.. | objects | .regex? // empty | select(test("\\(\\?|\\\\d"))] | length' "$m")" -eq 0 ]
	[ "$($JQ '[.. | objects | .regex? // empty] | length' "$m")" -gt 0 ]
	[ "$($JQ '.units | length' "$m")" -ge 59 ]
	[ "$($JQ '[.providers[].models[] | select(.prices == null)] | length' "$m")" -eq 0 ]
	[ -s "$top_srcdir/data/models.LICENSE" ]
	grep -q 'pydantic/genai-prices' "$top_srcdir/data/models.LICENSE"
	grep -q 'MIT' "$top_srcdir/data/models.LICENSE"
}
