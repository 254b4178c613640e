#!/usr/bin/env bats
# extract-features.bats - feat-extract's feature groups (SPEC 4, 6): request
# records, static records per model, context records, the text rules, the
# state across runs and --tz.
load helpers

# feature F of the request record whose entity_id is R
feature() {
	$JQ -c --arg r "$2" --arg f "$1" 'select(.group == "request" and .entity_id == $r) | .features[$f]' <<< "$output"
}

# |a - b| <= 1e-9
close_to() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9) }' ||
		{ echo "$1 is not $2"; false; }
}

@test "feat-001: the Azure trace gives 19,366 request records; the first line's time features" {
	$MLR --icsv --ojsonl put '$model="azure-conv"' "$DATA/traces/azure-llm-conv-2023.csv" > "$TMP/azure.jsonl"
	"$FEAT_EXTRACT" "$TMP/azure.jsonl" > "$TMP/out"
	[ "$($JQ -r 'select(.group == "request")' "$TMP/out" | $JQ -s length)" -eq 19366 ]
	[ "$($JQ -r 'select(.group == "static") | .entity_id' "$TMP/out")" = "azure-conv" ]
	local first
	first=$($JQ -c 'select(.group == "request") | .features' "$TMP/out" | head -n 1)
	# 18:15 UTC on Thursday 2023-11-16: h = 18, d = 3 (Monday 0)
	close_to "$($JQ .hour_of_day_cos <<< "$first")" -1.8369701987210297e-16
	close_to "$($JQ .hour_of_day_sin <<< "$first")" -1
	close_to "$($JQ .day_of_week_cos <<< "$first")" -0.9009688679
	close_to "$($JQ .day_of_week_sin <<< "$first")" 0.4338837391
	[ "$($JQ .is_weekend <<< "$first")" = 0 ]
	# ln(374 + 1) / 10
	close_to "$($JQ .prompt_length <<< "$first")" 0.5926926026
}

@test "feat-002: Flesch-based complexity of three prompts, computed by hand" {
	printf '%s\n' \
	    '{"ts":1,"request_id":"a","prompt":"The cat sat on the mat."}' \
	    '{"ts":1,"request_id":"b","prompt":"Hello world! How are you?"}' \
	    '{"ts":1,"request_id":"c","prompt":"Extraordinary circumstances require deliberation"}' \
	    '{"ts":1,"request_id":"d","prompt":"?!"}' > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$status" -eq 0 ]
	# a: 6 words, 1 sentence, 6 syllables: FRE = 206.835 - 6.09 - 84.6 = 116.145 -> clamp((100 - 116.145)/100) = 0
	close_to "$(feature prompt_complexity a)" 0
	# b: 5 words, 2 sentences, 7 syllables: FRE = 206.835 - 2.5375 - 118.44 = 85.8575 -> 0.141425
	close_to "$(feature prompt_complexity b)" 0.141425
	# c: 4 words, 1 sentence, 17 syllables: FRE = -156.775 -> clamp(2.56775) = 1
	close_to "$(feature prompt_complexity c)" 1
	# d: no words -> 0
	close_to "$(feature prompt_complexity d)" 0
}

@test "feat-003: domain hits count whole words in any case, API included" {
	printf '%s\n' \
	    '{"ts":1,"request_id":"t","prompt":"The API server calls the api; Api database function."}' \
	    '{"ts":1,"request_id":"m","prompt":"patient diagnosis and treatment of symptoms"}' \
	    '{"ts":1,"request_id":"x","prompt":"the apis and servers"}' > "$TMP/in"
	extract -g request "$TMP/in"
	# t: api, server, api, api, database, function = 6 technical -> min(6/5, 1) = 1
	close_to "$(feature prompt_domain t)" 1
	# m: patient, diagnosis, treatment, symptoms = 4 medical -> 0.8
	close_to "$(feature prompt_domain m)" 0.8
	# x: plurals are other words -> 0
	close_to "$(feature prompt_domain x)" 0
}

@test "feat-004: prompt_language from the dominant script, or the event's language" {
	printf '%s\n' \
	    '{"ts":1,"request_id":"han","prompt":"你好世界"}' \
	    '{"ts":1,"request_id":"kana","prompt":"こんにちは、元気ですか"}' \
	    '{"ts":1,"request_id":"hangul","prompt":"안녕하세요"}' \
	    '{"ts":1,"request_id":"cyr","prompt":"Привет, как дела?"}' \
	    '{"ts":1,"request_id":"arab","prompt":"مرحبا بالعالم"}' \
	    '{"ts":1,"request_id":"latin","prompt":"Hello there"}' \
	    '{"ts":1,"request_id":"given","prompt":"Hello there","language":"en"}' > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$($JQ -r '.features.prompt_language' <<< "$output" | tr '\n' ' ')" = "zh ja ko ru ar und en " ]
}

@test "feat-005: DRV_001 of 'the quick brown fox' is (1,0,0,1,2,0,-2,-1)/sqrt(11)" {
	echo '{"ts":1,"request_id":"q","prompt":"the quick brown fox"}' > "$TMP/in"
	extract -g request "$TMP/in"
	local v
	v=$(feature prompt_embedding q)
	$JQ -e --argjson v "$v" -n '[1,0,0,1,2,0,-2,-1] | map(. / (11 | sqrt)) as $w |
	    [range(8)] | all(($v[.] - $w[.]) | fabs <= 1e-12)' > /dev/null
}

@test "feat-006: DRV_004 is the cosine with the mean of earlier requests of the model" {
	printf '%s\n' \
	    '{"ts":1,"request_id":"r1","model":"m-x","prompt":"the quick brown fox"}' \
	    '{"ts":2,"request_id":"r2","model":"m-x","prompt":"a lazy dog sleeps"}' \
	    '{"ts":3,"request_id":"o1","model":"m-y","prompt":"unrelated words here"}' \
	    '{"ts":4,"request_id":"r3","model":"m-x","prompt":"the quick dog"}' > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$(feature prompt_similarity_to_avg r1)" = null ]
	[ "$(feature prompt_similarity_to_avg o1)" = null ]
	local e1 e2 e3 want
	e1=$(feature prompt_embedding r1); e2=$(feature prompt_embedding r2); e3=$(feature prompt_embedding r3)
	# cosine(e2, e1) and cosine(e3, (e1 + e2) / 2), computed here with jq
	want=$($JQ -n --argjson a "$e1" --argjson b "$e2" '
	    def dot($x; $y): [range(8)] | map($x[.] * $y[.]) | add;
	    dot($a; $b) / ((dot($a; $a) | sqrt) * (dot($b; $b) | sqrt))')
	close_to "$(feature prompt_similarity_to_avg r2)" "$want"
	want=$($JQ -n --argjson a "$e1" --argjson b "$e2" --argjson c "$e3" '
	    def dot($x; $y): [range(8)] | map($x[.] * $y[.]) | add;
	    ([range(8)] | map(($a[.] + $b[.]) / 2)) as $m |
	    dot($c; $m) / ((dot($c; $c) | sqrt) * (dot($m; $m) | sqrt))')
	close_to "$(feature prompt_similarity_to_avg r3)" "$want"
}

@test "feat-007: DRV_005 averages the pairs without a null" {
	# gpt-4o: no output_length_category, so the (expected_output_length,
	# model_size_class) pair is skipped: the mean of three products.
	echo '{"ts":"2024-11-16T18:15:46Z","request_id":"f","model":"gpt-4o","input_tokens":120,"prompt":"Explain the database server api."}' > "$TMP/in"
	extract -g request,static "$TMP/in"
	local r s want
	r=$($JQ -c 'select(.group == "request") | .features' <<< "$output")
	s=$($JQ -c 'select(.group == "static") | .features' <<< "$output")
	[ "$($JQ .expected_output_length <<< "$r")" = null ]
	want=$($JQ -n --argjson r "$r" --argjson s "$s" '
	    ($r.prompt_length * $s.model_context_length +
	     $r.prompt_complexity * $s.model_capability_score +
	     $r.prompt_domain * $s.model_capability_score) / 3')
	close_to "$($JQ .model_fit_score <<< "$r")" "$want"
	# a model the catalog does not know: every pair has a null
	echo '{"ts":1,"request_id":"g","model":"no-such-model","input_tokens":10}' > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$(feature model_fit_score g)" = null ]
}

@test "feat-008: one static record per model per run, from models.json and the overlay" {
	printf '%s\n' \
	    '{"ts":"2024-11-16T18:00:00Z","model":"gpt-4o-2024-08-06","input_tokens":1}' \
	    '{"ts":"2024-11-16T18:00:01Z","model":"gpt-4o","input_tokens":2}' \
	    '{"ts":"2024-11-16T18:00:02Z","model":"claude-3-5-haiku-latest","input_tokens":3}' \
	    '{"ts":"2024-11-16T18:00:03Z","type":"feedback","model":"gpt-4o-mini","rating":5}' \
	    '{"ts":"2024-11-16T18:00:04Z","model":"gpt-4o","input_tokens":4}' > "$TMP/in"
	extract -g static "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .entity_id <<< "$output" | tr '\n' ' ')" = "gpt-4o claude-3-5-haiku-latest gpt-4o-mini " ]
	[ "$($JQ -r 'select(.entity_id == "gpt-4o") | .ts' <<< "$output")" = "2024-11-16T18:00:00.000Z" ]
	local s cap ctx
	s=$($JQ -c 'select(.entity_id == "gpt-4o") | .features' <<< "$output")
	# prices and context window from models.json, facts from the overlay
	ctx=$($JQ '.providers[] | select(.id == "openai") | .models[] | select(.id == "gpt-4o") | .context_window' "$FEAT_MODELS")
	close_to "$($JQ .model_context_length <<< "$s")" "$(awk -v c="$ctx" 'BEGIN { printf "%.17g", log(c) / log(2000000) }')"
	close_to "$($JQ .model_cost_per_1k_input <<< "$s")" 0.0025
	close_to "$($JQ .model_cost_per_1k_output <<< "$s")" 0.01
	cap=$($JQ '.models[] | select(.provider == "openai" and .model == "gpt-4o") | .capability_score' "$(dirname "$FEAT_MODELS")/model-facts.json")
	close_to "$($JQ .model_capability_score <<< "$s")" "$cap"
	[ "$($JQ -c '[.supports_functions,.supports_vision,.model_provider]' <<< "$s")" = '[1,1,"openai"]' ]
	# a model nobody lists: nulls, never a guess
	echo '{"ts":1,"model":"home-made-llm","input_tokens":1}' > "$TMP/in"
	extract -g static "$TMP/in"
	[ "$($JQ -c '[.entity_id, (.features | [.model_context_length,.model_capability_score,.supports_vision,.model_size_class] )]' <<< "$output")" = '["home-made-llm",[null,null,null,null]]' ]
}

@test "feat-009: context records from system_health events" {
	printf '%s\n' \
	    '{"ts":"2024-11-16T18:00:00Z","type":"system_health","component":"router","status":"degraded","cpu_usage":71.5,"memory_usage":12,"memory_total":32,"budget_remaining_ratio":0.25,"budget_reset_at":"2024-11-17T06:00:00Z","quota_remaining_ratio":0.9,"region_load":0.4}' \
	    '{"ts":"2024-11-16T18:00:00Z","type":"system_health","status":"unhealthy"}' \
	    '{"ts":"2024-11-16T18:00:00Z","type":"system_health","status":"healthy","budget_reset_at":"2025-01-16T18:00:00Z"}' > "$TMP/in"
	extract -g context "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r '.entity_type + ":" + .entity_id + ":" + .group' <<< "$output" | tr '\n' ' ')" = "system:router:context system:global:context system:global:context " ]
	local f
	f=$(sed -n 1p <<< "$output" | $JQ -c .features)
	close_to "$($JQ .system_load_cpu <<< "$f")" 0.715
	close_to "$($JQ .system_load_memory <<< "$f")" 0.375
	close_to "$($JQ .available_budget_ratio <<< "$f")" 0.25
	# 12 hours until the reset: 12 / 720
	close_to "$($JQ .time_until_budget_reset <<< "$f")" 0.016666666666666666
	close_to "$($JQ .model_availability <<< "$f")" 0.5
	[ "$($JQ -c '[.api_quota_remaining,.region_load]' <<< "$f")" = '[0.9,0.4]' ]
	[ "$(sed -n 2p <<< "$output" | $JQ -c '.features | [.model_availability,.system_load_cpu]')" = '[0,null]' ]
	# more than 720 hours away is capped at 1
	[ "$(sed -n 3p <<< "$output" | $JQ -c '.features | [.model_availability,.time_until_budget_reset]')" = '[1,1]' ]
}

@test "feat-010: session_depth over two runs with --state equals one run" {
	"$FEAT_GENLOAD" -n 6000 -s 11 > "$TMP/all"
	head -n 2500 "$TMP/all" > "$TMP/part1"
	tail -n +2501 "$TMP/all" > "$TMP/part2"
	"$FEAT_EXTRACT" "$TMP/all" > "$TMP/one"
	"$FEAT_EXTRACT" --state "$TMP/state" "$TMP/part1" > "$TMP/two"
	"$FEAT_EXTRACT" --state "$TMP/state" "$TMP/part2" >> "$TMP/two"
	cmp "$TMP/one" "$TMP/two"
	[ "$($JQ -r 'select(.group == "request") | .features.session_depth' "$TMP/one" | sort -u | wc -l)" -gt 5 ]
	# the state is a JSON document, written atomically (no temporary left)
	$JQ -e '.feat_state == 1 and (.sessions | length) > 0' "$TMP/state" > /dev/null
	[ "$(ls "$TMP" | grep -c 'state.tmp')" -eq 0 ]
}

@test "feat-011: --state is bounded by --max-sessions, least recently used first out" {
	printf '%s\n' \
	    '{"ts":1,"request_id":"1","session_id":"A"}' \
	    '{"ts":2,"request_id":"2","session_id":"B"}' \
	    '{"ts":3,"request_id":"3","session_id":"A"}' \
	    '{"ts":4,"request_id":"4","session_id":"C"}' \
	    '{"ts":5,"request_id":"5","session_id":"A"}' \
	    '{"ts":6,"request_id":"6","session_id":"B"}' > "$TMP/in"
	extract -g request --max-sessions 2 "$TMP/in"
	# C evicts B (A was used later); A goes on; B comes back afresh
	[ "$($JQ -c '.features.session_depth * 50 | round' <<< "$output" | tr '\n' ' ')" = "1 1 2 1 3 1 " ]
}

@test "feat-012: --tz Asia/Tokyo shifts the hour features by 9 hours; unknown zones exit 2" {
	echo '{"ts":"2024-11-16T18:15:00Z","request_id":"t"}' > "$TMP/in"
	extract -g request --tz Asia/Tokyo "$TMP/in"
	[ "$status" -eq 0 ]
	# 18:15 UTC Saturday is 03:15 Sunday in Tokyo: h = 3, d = 6
	close_to "$(feature hour_of_day_cos t)" "$(awk 'BEGIN { printf "%.17g", cos(2 * 3.141592653589793 * 3 / 24) }')"
	close_to "$(feature hour_of_day_sin t)" "$(awk 'BEGIN { printf "%.17g", sin(2 * 3.141592653589793 * 3 / 24) }')"
	close_to "$(feature day_of_week_sin t)" "$(awk 'BEGIN { printf "%.17g", sin(2 * 3.141592653589793 * 6 / 7) }')"
	[ "$(feature is_weekend t)" = 1 ]
	extract -g request --tz UTC "$TMP/in"
	close_to "$(feature hour_of_day_sin t)" "$(awk 'BEGIN { printf "%.17g", sin(2 * 3.141592653589793 * 18 / 24) }')"
	extract -g request --tz Mars/Olympus "$TMP/in"
	[ "$status" -eq 2 ]
	[ "${stderr%%$'\n'*}" = "feat-extract: unknown time zone 'Mars/Olympus'" ]
	extract -g request --tz ../../etc/passwd "$TMP/in"
	[ "$status" -eq 2 ]
}

@test "feat-013: records follow SPEC 3.2; names are the catalog's, in its order" {
	"$FEAT_GENLOAD" -n 500 -s 3 > "$TMP/gen"
	cat "$TMP/gen" "$DATA/sample-canonical.ndjson" > "$TMP/in"
	extract --group-version 2 "$TMP/in"
	[ "$status" -eq 0 ]
	$JQ -e -s 'all(keys_unsorted == ["entity_type","entity_id","group","version","ts","created","features"] and
	    .version == 2 and .created == "2024-11-17T00:00:00.000Z")' <<< "$output" > /dev/null
	for g in request static context; do
		[ "$($JQ -c --arg g "$g" 'select(.group == $g) | .features | keys_unsorted' <<< "$output" | sort -u)" = \
		  "$($JQ -c --arg g "$g" '[.features[] | select(.group == $g) | .name]' "$FEAT_CATALOG")" ]
	done
	# bools are 0/1, every number finite
	$JQ -e -s '[.[] | select(.group == "request") | .features.is_weekend] | all(. == 0 or . == 1)' <<< "$output" > /dev/null
}

@test "feat-014: a request id seen once gives one record; response lines do not repeat it" {
	printf '%s\n' \
	    '{"ts":1,"request_id":"x","type":"request","prompt":"hi"}' \
	    '{"ts":2,"request_id":"x","type":"response","latency_ms":5}' \
	    '{"ts":3,"request_id":"y","type":"performance_metrics","latency_ms":5}' \
	    '{"ts":4,"request_id":"z","type":"feedback","rating":3}' > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$($JQ -r .entity_id <<< "$output" | tr '\n' ' ')" = "x y " ]
}

@test "feat-015: one static record per model, whatever host or provider-less line names it" {
	printf '%s\n' \
	    '{"ts":1,"request_id":"a","model":"meta-llama/llama-3.1-70b-instruct","provider":"novita","input_tokens":5}' \
	    '{"ts":2,"type":"feedback","model":"meta-llama/llama-3.1-70b-instruct","rating":4}' \
	    '{"ts":3,"request_id":"b","model":"meta-llama/llama-3.1-70b-instruct","provider":"novita","input_tokens":5}' \
	    '{"ts":4,"request_id":"c","model":"gpt-4o","provider":"azure","input_tokens":5}' \
	    '{"ts":5,"request_id":"d","model":"gpt-4o","provider":"openai","input_tokens":5}' > "$TMP/in"
	extract -g static "$TMP/in"
	[ "$($JQ -r '.entity_id + " " + .features.model_provider' <<< "$output" | tr '\n' '|')" = "meta-llama/llama-3.1-70b-instruct novita|gpt-4o azure|" ]
	# a line the catalog cannot place comes first: the priced one follows
	printf '%s\n' \
	    '{"ts":1,"type":"feedback","model":"meta-llama/llama-3.1-70b-instruct","rating":4}' \
	    '{"ts":2,"request_id":"a","model":"meta-llama/llama-3.1-70b-instruct","provider":"novita","input_tokens":5}' \
	    '{"ts":3,"type":"feedback","model":"meta-llama/llama-3.1-70b-instruct","rating":4}' > "$TMP/in"
	extract -g static "$TMP/in"
	[ "$($JQ -c '[.ts, .features.model_cost_per_1k_input]' <<< "$output" | tr '\n' '|')" = '["1970-01-01T00:00:01.000Z",null]|["1970-01-01T00:00:02.000Z",0.00034]|' ]
}

@test "feat-016: Georgian with a little Russian is und: every script counts towards the majority" {
	echo '{"ts":1,"request_id":"ka","prompt":"გამარჯობა მსოფლიო, როგორ ხარ? привет"}' > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$status" -eq 0 ]
	# letters (L or M): 24 Georgian, 6 Cyrillic; 6 is not more than half of 30
	[ "$(feature prompt_language ka)" = '"und"' ]
}

@test "feat-017: Bengali with one Hindi word is und, not hi" {
	echo '{"ts":1,"request_id":"bn","prompt":"আমি বাংলায় গান গাই नमस्ते"}' > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$status" -eq 0 ]
	# letters (L or M, vowel signs and virama included): 16 Bengali, 6 Devanagari
	[ "$(feature prompt_language bn)" = '"und"' ]
}

@test "feat-018: a priority outside 1-10 or not a number is unknown (0.5), never a bad line" {
	printf '{"ts":1,"request_id":"p%s","priority":%s}\n' 1 '"high"' 2 0 3 11 4 true \
	    5 '{}' 6 7 7 '"7"' 8 10 9 -2 > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "$($JQ -c .features.request_priority <<< "$output" | tr '\n' ' ')" = "0.5 0.5 0.5 0.5 0.5 0.7 0.7 1 0.5 " ]
}

@test "feat-019: the first event of any type that names a model writes its static record" {
	printf '%s\n' '{"ts":1,"type":"system_health","model":"gpt-4o","component":"c"}' \
	    '{"ts":2,"request_id":"a","model":"gpt-4o"}' > "$TMP/in"
	extract "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r '"\(.group):\(.entity_id):\(.ts)"' <<< "$output" | tr '\n' ' ')" = "static:gpt-4o:1970-01-01T00:00:01.000Z context:c:1970-01-01T00:00:01.000Z request:a:1970-01-01T00:00:02.000Z " ]
}

@test "feat-020: --field paths of thousands of dots are answered at once" {
	local p
	echo '{"ts":1}' > "$TMP/in"
	# 2,100 parts: once a hang in a fixed hash table; 30,000: too deep.
	p=a$(printf '.b%.0s' $(seq 2100))
	run timeout 10 "$FEAT_EXTRACT" -g event --field "user_id=$p" "$TMP/in"
	[ "$status" -eq 2 ]
	[[ "$output" == *"source path longer than 511 bytes"* ]]
	p=$(printf 'b.%.0s' $(seq 30000))b
	run timeout 10 "$FEAT_EXTRACT" -g event --field "user_id=$p" "$TMP/in"
	[ "$status" -eq 2 ]
	# As deep as a line may nest is a path; deeper is refused.
	p=a$(printf '.b%.0s' $(seq 63))
	run timeout 10 "$FEAT_EXTRACT" -g event --field "user_id=$p" "$TMP/in"
	[ "$status" -eq 0 ]
	p=a$(printf '.b%.0s' $(seq 64))
	run timeout 10 "$FEAT_EXTRACT" -g event --field "user_id=$p" "$TMP/in"
	[ "$status" -eq 2 ]
	[[ "$output" == *"source path deeper than 64"* ]]
	# Many --field options grow the table instead of filling it.
	local args=()
	for i in $(seq 3000); do args+=(--field "user_id=u$i.v"); done
	echo '{"ts":1,"u2999":{"v":"found"}}' > "$TMP/in"
	run timeout 10 "$FEAT_EXTRACT" -g event "${args[@]}" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .user_id <<< "$output")" = found ]
}

@test "feat-021: SPEC's wording read literally: sentences end only at . ! ?, lower-case categories, empty categories present, no floor under min()" {
	local cut
	printf '%s\n' \
	    '{"ts":"2024-03-01T00:00:00Z","request_id":"s1","prompt":"Hello. World"}' \
	    '{"ts":"2024-03-01T00:00:00Z","request_id":"s2","prompt":"Hello. . World!"}' \
	    '{"ts":"2024-03-01T00:00:00Z","request_id":"c1","task_type":"Summarization","user_tier":"PRO","output_length_category":"Short"}' \
	    '{"ts":"2024-03-01T00:00:00Z","request_id":"e1","task_type":"","user_tier":"","output_length_category":"","language":"","prompt":"Привет мир","session_id":""}' > "$TMP/in"
	extract -g request "$TMP/in"
	[ "$status" -eq 0 ]
	# hello (2 syllables) world (1): 2 words, 1 sentence:
	# FRE = 206.835 - 1.015*2 - 84.6*3/2 = 77.905
	close_to "$(feature prompt_complexity s1)" 0.22095
	# three runs, three sentences: 206.835 - 1.015*2/3 - 126.9
	close_to "$(feature prompt_complexity s2)" "$(awk 'BEGIN { printf "%.17g", (100 - (206.835 - 1.015 * 2 / 3 - 126.9)) / 100 }')"
	[ "$(feature task_type c1)" = 0.5 ]
	[ "$(feature user_tier c1)" = null ]
	[ "$(feature expected_output_length c1)" = 0.5 ]
	[ "$(feature task_type e1)" = 0.5 ]
	[ "$(feature expected_output_length e1)" = 0.5 ]
	[ "$(feature user_tier e1)" = null ]
	[ "$(feature prompt_language e1)" = '""' ]
	# an empty session id is no session
	[ "$(feature session_depth e1)" = null ]
	# a year before gpt-4o's cutoff: -1; a reset 72 hours past: -0.1
	cut=$($JQ -r '.models[] | select(.provider == "openai" and .model == "gpt-4o") | .training_cutoff' "$(dirname "$FEAT_MODELS")/model-facts.json")
	printf '{"ts":"%s","request_id":"m1","model":"gpt-4o"}\n' "$(date -u -d "$cut - 365 days" +%FT%TZ)" > "$TMP/in"
	printf '%s\n' '{"ts":"2024-11-16T18:00:00Z","type":"system_health","budget_reset_at":"2024-11-13T18:00:00Z"}' >> "$TMP/in"
	extract "$TMP/in"
	[ "$status" -eq 0 ]
	close_to "$($JQ 'select(.group == "static") | .features.model_training_cutoff_age' <<< "$output")" -1
	close_to "$($JQ 'select(.group == "context") | .features.time_until_budget_reset' <<< "$output")" -0.1
}
