#!/usr/bin/env bats
# query.bats - feat-query's catalog commands and the shipped catalog
# (SPEC 4 and 6, feat-catalog(5)): the 65 features and their groups, catalog
# and describe answers, and check-catalog's verdict on good and bad files.
load helpers

CAT_DATA() { printf '%s/catalog' "$DATA"; }

# on_tty CMD...: runs CMD with stdout on a pseudo-terminal (script(1)),
# into $output with CRs dropped.
on_tty() {
	# script(1) is in bsdutils, an essential package: never missing.
	local cmd
	printf -v cmd '%q ' "$@"
	run bash -c "set -o pipefail; script -qec $(printf '%q' "$cmd") /dev/null | tr -d '\r'"
}

# Each bad catalog of tests/data/catalog gives exactly this one line.
bad_catalog() {
	local file=$(CAT_DATA)/$1 want=$2
	query check-catalog "$file"
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[ "$stderr" = "feat-query: $file: $want" ]
}

# mutate NAME JQ-FILTER: the shipped catalog through jq, as $TMP/NAME.
mutate() {
	"$JQ" "$2" "$FEAT_CATALOG" > "$TMP/$1"
}

@test "query-001: the shipped catalog passes check-catalog" {
	query check-catalog "$FEAT_CATALOG"
	[ "$status" -eq 0 ]
	[ "$output" = "$FEAT_CATALOG: ok: 65 features in 12 groups" ]
	[ "$stderr" = "" ]
}

@test "query-002: 65 features: 15 request, 10 model, 12 performance, 8 feedback, 10 context, 10 derived" {
	[ "$("$JQ" '.features | length' "$FEAT_CATALOG")" -eq 65 ]
	run "$JQ" -c '[.features[].category] | group_by(.) | map({(.[0]): length}) | add' "$FEAT_CATALOG"
	[ "$output" = '{"context":10,"derived":10,"feedback":8,"model":10,"performance":12,"request":15}' ]
	# The ids follow the categories, numbered from 001 without gaps.
	for c in REQ:request:15 MDL:model:10 PERF:performance:12 FDBK:feedback:8 CTX:context:10 DRV:derived:10; do
		IFS=: read -r prefix cat n <<< "$c"
		run "$JQ" -r --arg c "$cat" '.features[] | select(.category == $c) | .id' "$FEAT_CATALOG"
		[ "$output" = "$(for i in $(seq 1 "$n"); do printf '%s_%03d\n' "$prefix" "$i"; done)" ]
	done
	# feat-query lists the same 65.
	query catalog
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | "$JQ" -s 'length')" -eq 65 ]
}

@test "query-003: every feature has every attribute; names and ids are unique" {
	run "$JQ" -r '.features[] | select((keys - ["drift"]) != (["category","default","deprecated","description","formula","freshness_s","group","id","max","min","name","nullable","owner","source","tags","type","unit"] | sort)) | .id' "$FEAT_CATALOG"
	[ "$output" = "" ]
	[ "$("$JQ" '[.features[].name] | unique | length' "$FEAT_CATALOG")" -eq 65 ]
	[ "$("$JQ" '[.features[].id] | unique | length' "$FEAT_CATALOG")" -eq 65 ]
	[ "$("$JQ" '[.features[] | select(.owner == "feat" and .deprecated == false)] | length' "$FEAT_CATALOG")" -eq 65 ]
	[ "$("$JQ" -r '.catalog_version' "$FEAT_CATALOG")" = 1 ]
	run "$JQ" -r '.features[] | select(.id == "DRV_001") | .type' "$FEAT_CATALOG"
	[ "$output" = "vector[8]" ]
}

@test "query-004: catalog perf_5min lists that group's nine features" {
	query catalog perf_5min
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	run "$JQ" -r .name <<< "$output"
	[ "$output" = "latency_p50_5min
latency_p95_5min
latency_p99_5min
success_rate_5min
error_rate_5min
avg_cost_per_request_5min
throughput_qps_5min
token_efficiency_5min
retry_rate_5min" ]
	query catalog perf_5min
	run "$JQ" -r '"\(.id) \(.group) \(.entity_type)"' <<< "$output"
	[ "${lines[0]}" = "PERF_001 perf_5min model" ]
	[ "${lines[8]}" = "PERF_012 perf_5min model" ]
	[ "${#lines[@]}" -eq 9 ]
}

@test "query-005: the groups hold the features SPEC 4 puts in them" {
	run "$JQ" -r '.features | group_by(.group)[] | "\(.[0].group): \(map(.id) | join(" "))"' "$FEAT_CATALOG"
	[ "$output" = "context: CTX_001 CTX_002 CTX_005 CTX_006 CTX_007 CTX_009 CTX_010
context_1min: CTX_003 CTX_004
context_5min: CTX_008
fatigue_5min: DRV_009
feedback_1hr: FDBK_002 FDBK_003 FDBK_004 FDBK_007 DRV_006
feedback_session: FDBK_001 FDBK_005 FDBK_006 FDBK_008
perf_1hr: PERF_004 PERF_005 PERF_007
perf_5min: PERF_001 PERF_002 PERF_003 PERF_006 PERF_008 PERF_009 PERF_010 PERF_011 PERF_012
request: REQ_001 REQ_002 REQ_003 REQ_004 REQ_005 REQ_006 REQ_007 REQ_008 REQ_009 REQ_010 REQ_011 REQ_012 REQ_013 REQ_014 REQ_015 DRV_001 DRV_004 DRV_005
serve: DRV_002 DRV_003 DRV_008 DRV_010
serve_request: DRV_007
static: MDL_001 MDL_002 MDL_003 MDL_004 MDL_005 MDL_006 MDL_007 MDL_008 MDL_009 MDL_010" ]
	query catalog perf_1hr
	run "$JQ" -r .name <<< "$output"
	[ "$output" = "latency_p50_1hr
latency_p95_1hr
success_rate_1hr" ]
}

@test "query-006: groups carry their entity types, keys, windows and versions" {
	run "$JQ" -r '.groups | to_entries[] | "\(.key) \(.value.entity_type) \(.value.key | if type == "array" then join("/") else . end) \(.value.key_default // "-") \(.value.window // {} | [.type, .size, .slide, .gap, .max, .allowed_lateness] | map(. // "-") | join(",")) \(.value.events // "-") \(.value.versions | tojson)"' "$FEAT_CATALOG"
	[ "$output" = 'request request request_id - -,-,-,-,-,- request [{"version":1}]
static model catalog_model/model - -,-,-,-,-,- - [{"version":1}]
context system component global -,-,-,-,-,- system_health [{"version":1}]
perf_5min model model - tumbling,5m,-,-,-,60s outcome [{"version":1}]
perf_1hr model model - sliding,1h,5m,-,-,120s outcome [{"version":1}]
fatigue_5min model model - tumbling,5m,-,-,-,60s outcome [{"version":1}]
feedback_session session session_id - session,-,-,30m,4h,0s feedback [{"version":1}]
feedback_1hr user user_id - sliding,1h,5m,-,-,0s feedback [{"version":1}]
context_1min system component global tumbling,1m,-,-,-,0s any [{"version":1}]
context_5min system component global tumbling,5m,-,-,-,0s outcome [{"version":1}]
serve model model - -,-,-,-,-,- - [{"version":1}]
serve_request request request_id - -,-,-,-,-,- - [{"version":1}]' ]
}

@test "query-007: describe prompt_complexity gives formula, unit, range and sources" {
	query describe prompt_complexity
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "${#lines[@]}" -eq 1 ]
	run "$JQ" -r '.id, .formula, .unit, .min, .max, (.source | join(",")), .type, .group, .entity_type, .group_info.key' <<< "$output"
	[ "${lines[0]}" = "REQ_003" ]
	[ "${lines[1]}" = "clamp((100−FRE)/100,0,1), FRE = 206.835 − 1.015·words/sentences − 84.6·syllables/words; 0 when there are no words" ]
	[ "${lines[2]}" = "score" ]
	[ "${lines[3]}" = "0" ]
	[ "${lines[4]}" = "1" ]
	[ "${lines[5]}" = "prompt" ]
	[ "${lines[6]}" = "float" ]
	[ "${lines[7]}" = "request" ]
	[ "${lines[8]}" = "request" ]
	[ "${lines[9]}" = "request_id" ]
	# Every attribute of the catalog entry, unchanged.
	query describe prompt_complexity
	diff <("$JQ" -S 'del(.entity_type, .group_info)' <<< "$output") \
	    <("$JQ" -S '.features[] | select(.name == "prompt_complexity")' "$FEAT_CATALOG")
}

@test "query-008: names and ids are aliases" {
	query describe REQ_003
	[ "$status" -eq 0 ]
	local by_id=$output
	query describe prompt_complexity
	[ "$output" = "$by_id" ]
	query describe PERF_002
	[ "$("$JQ" -r .name <<< "$output")" = "latency_p95_5min" ]
}

@test "query-009: describe on a terminal is text with formula, unit, range and sources" {
	on_tty "$FEAT_QUERY" describe prompt_complexity
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "prompt_complexity (REQ_003)" ]
	[[ "$output" == *"  formula      clamp((100−FRE)/100,0,1), FRE = 206.835 − 1.015·words/sentences"* ]]
	[[ "$output" == *"  unit         score"* ]]
	[[ "$output" == *"  range        [0, 1]"* ]]
	[[ "$output" == *"  sources      prompt"* ]]
	[[ "$output" == *"  group        request (entity request, key request_id, by feat-extract)"* ]]
	# Not JSON.
	! "$JQ" -e . <<< "$output" >/dev/null 2>&1 || false
	on_tty "$FEAT_QUERY" describe latency_p95_1hr
	[[ "$output" == *"  range        >= 0"* ]]
	[[ "$output" == *"  group        perf_1hr (entity model, key model, window sliding:1h/5m,"$'\n'"               lateness 2m, by feat-window)"* ]]
}

@test "query-010: catalog on a terminal is a table" {
	on_tty "$FEAT_QUERY" catalog perf_1hr
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" =~ ^ID\ +NAME\ +GROUP\ +TYPE\ +UNIT\ +RANGE$ ]]
	[[ "${lines[1]}" =~ ^PERF_004\ +latency_p50_1hr\ +perf_1hr\ +float\ +ms\ +\>=\ 0$ ]]
	[[ "${lines[3]}" =~ ^PERF_007\ +success_rate_1hr\ +perf_1hr\ +float\ +ratio\ +\[0,\ 1\]$ ]]
}

@test "query-011: answers off a terminal are NDJSON, one object per line" {
	query catalog
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 65 ]
	for l in "${lines[@]}"; do
		[ "$("$JQ" -c 'type' <<< "$l")" = '"object"' ]
	done
	# Numbers in their shortest form (SPEC 2), ints as ints.
	query describe session_depth
	[[ "$output" == *'"min":0.02,"max":1,'* ]]
	[[ "$output" == *'"freshness_s":86400,'* ]]
	query describe prompt_embedding
	[[ "$output" == *'"default":[0,0,0,0,0,0,0,0],'* ]]
}

@test "query-012: the pattern matches names, ids and groups, case ignored" {
	query catalog DRV_
	[ "$("$JQ" -s length <<< "$output")" -eq 10 ]
	query catalog drv_00
	[ "$("$JQ" -s length <<< "$output")" -eq 9 ]
	query catalog feedback_session
	[ "$("$JQ" -r .id <<< "$output" | tr '\n' ' ')" = "FDBK_001 FDBK_005 FDBK_006 FDBK_008 " ]
	query catalog latency
	[ "$("$JQ" -r .name <<< "$output" | tr '\n' ' ')" = "latency_p50_5min latency_p95_5min latency_p99_5min latency_p50_1hr latency_p95_1hr cost_latency_score load_adjusted_latency " ]
	query catalog serve
	[ "$("$JQ" -r .id <<< "$output" | tr '\n' ' ')" = "DRV_002 DRV_003 DRV_007 DRV_008 DRV_010 " ]
}

@test "query-013: check-catalog rejects a duplicate name" {
	bad_catalog dup-name.json "duplicate name 'prompt_length' in 'REQ_001' and 'REQ_002'"
}

@test "query-014: check-catalog rejects a duplicate id" {
	bad_catalog dup-id.json "duplicate id 'REQ_001' in 'prompt_length' and 'prompt_char_count'"
}

@test "query-015: check-catalog rejects an unknown group" {
	bad_catalog unknown-group.json "unknown group 'requests' in 'prompt_length'"
}

@test "query-016: check-catalog rejects min greater than max" {
	bad_catalog min-greater-than-max.json "min 1 greater than max 0 in 'prompt_length'"
}

@test "query-017: check-catalog rejects an unknown type" {
	bad_catalog unknown-type.json "unknown type 'double' in 'prompt_length': use float, int, bool, category or vector[N]"
}

@test "query-018: check-catalog rejects a reused deprecated name" {
	bad_catalog reused-deprecated-name.json "name 'prompt_length' of 'REQ_016' reuses deprecated feature 'REQ_001'"
}

@test "query-019: the small good catalog the bad ones come from passes" {
	query check-catalog "$(CAT_DATA)/good-minimal.json"
	[ "$status" -eq 0 ]
	[ "$output" = "$(CAT_DATA)/good-minimal.json: ok: 2 features in 1 group" ]
}

@test "query-020: check-catalog applies the other rules to the shipped catalog" {
	local f=$TMP/c.json
	check() {
		mutate c.json "$1"
		query check-catalog "$f"
		[ "$status" -eq 1 ] || { echo "status $status for $1"; return 1; }
		[ "$stderr" = "feat-query: $f: $2" ] || { echo "got: $stderr"; return 1; }
	}
	check 'del(.features[0].unit)' "missing attribute 'unit' in 'prompt_length'"
	check '.features[0].colour = "red"' "unknown attribute 'colour' in 'prompt_length'"
	check '.features[0].name = "Prompt-Length"' "invalid name 'Prompt-Length' in 'REQ_001': use [a-z0-9_]+"
	check '.features[0].name = "_prompt_length"' "name '_prompt_length' of 'REQ_001' starts with '_', which marks record metadata"
	check '.features[0].id = "req-1"' "invalid id 'req-1' in 'prompt_length': use PREFIX_NNN in capitals"
	check '.features[0].category = "model"' "id 'REQ_001' does not match category 'model' in 'prompt_length'"
	check '.features[0].category = "misc"' "unknown category 'misc' in 'prompt_length'"
	check '.features[0].default = 2' "default 2 of 'prompt_length' outside [0, 1]"
	check '(.features[] | select(.id == "REQ_009") | .default) = null' "null default of 'hour_of_day_cos', which is not nullable"
	check '(.features[] | select(.id == "REQ_006") | .default) = 1' "default of 'prompt_language' is not a string"
	check '(.features[] | select(.id == "DRV_001") | .default) = [0,0]' "default of 'prompt_embedding' has 2 elements, not 8"
	check '(.features[] | select(.id == "DRV_001") | .type) = "vector[0]"' "invalid vector length in type 'vector[0]' of 'prompt_embedding': use 1 to 65536"
	check '(.features[] | select(.id == "DRV_006") | .default) = 2.5' "default of 'user_behavior_cluster' is not an integer"
	check '(.features[] | select(.id == "REQ_013") | .max) = 2' "bool feature 'is_weekend' has bounds other than 0 and 1"
	check '.features[0].source = []' "'source' of 'prompt_length' is not a list of one or more names"
	check '.features[0].freshness_s = 0' "'freshness_s' of 'prompt_length' is not a positive integer"
	check '.groups.perf_1hr.window.slide = "7m"' "slide '7m' does not divide size '1h' in group 'perf_1hr'"
	check '.groups.perf_5min.window.size = "5 min"' "invalid duration '5 min' for 'size' in group 'perf_5min': use a positive integer and ms, s, m, h or d"
	check 'del(.groups.perf_5min.window)' "group 'perf_5min' is written by feat-window but has no window"
	check '.groups.perf_5min.versions = [{"version":1,"traffic":10}]' "the control version 1 of group 'perf_5min' has traffic: only the candidate has"
	check '.groups.perf_5min.versions = [{"version":1},{"version":1}]' "duplicate version 1 in group 'perf_5min'"
	check 'del(.groups.request.entity_type)' "missing attribute 'entity_type' in group 'request'"
	check '.catalog_version = 0' "'catalog_version' is not a positive integer"
}

@test "query-021: every problem is reported, one line each" {
	mutate c.json '.features[0].type = "double" | .features[1].group = "nowhere" | .features[2].name = .features[3].name'
	query check-catalog "$TMP/c.json"
	[ "$status" -eq 1 ]
	[ "$stderr" = "feat-query: $TMP/c.json: unknown type 'double' in 'prompt_length': use float, int, bool, category or vector[N]
feat-query: $TMP/c.json: unknown group 'nowhere' in 'prompt_char_count'
feat-query: $TMP/c.json: duplicate name 'expected_output_length' in 'REQ_003' and 'REQ_004'" ]
}

@test "query-022: invalid JSON is a problem with its line; an unreadable file exits 2" {
	printf '{"catalog_version": 1,\n "groups": {,}}\n' > "$TMP/bad.json"
	query check-catalog "$TMP/bad.json"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "feat-query: $TMP/bad.json:2: invalid JSON: "* ]]
	printf '{"a": 1, "a": 2}\n' > "$TMP/dup.json"
	query check-catalog "$TMP/dup.json"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "feat-query: $TMP/dup.json:1: invalid JSON: duplicate object key"* ]]
	printf '[]\n' > "$TMP/arr.json"
	query check-catalog "$TMP/arr.json"
	[ "$status" -eq 1 ]
	[ "$stderr" = "feat-query: $TMP/arr.json: not a JSON object" ]
	query check-catalog "$TMP/missing.json"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-query: cannot open '$TMP/missing.json': No such file or directory" ]
}

@test "query-023: unknown features and patterns that match nothing exit 1" {
	query describe no_such_feature
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[ "$stderr" = "feat-query: unknown feature 'no_such_feature'" ]
	query catalog zzz
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[ "$stderr" = "feat-query: no feature matches 'zzz'" ]
}

@test "query-024: usage: --help, --version, no command, bad commands" {
	query --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: feat-query [--from URI] [--catalog FILE] [--catalog-overlay FILE]..." ]
	[ "${lines[1]}" = "                  [COMMAND [ARG...]]" ]
	[[ "$output" == *"  describe NAME "* ]]
	[ "$stderr" = "" ]
	query --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^feat-query\ \(feat\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	# Without a command on a terminal: no shell yet, said plainly.
	on_tty "$FEAT_QUERY"
	[ "$status" -eq 2 ]
	[ "$output" = "feat-query: missing command: the interactive shell is not available in this version" ]
	# Off a terminal, each input line is a command; empty input, no answer.
	query < /dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	query frobnicate
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-query: unknown command 'frobnicate'
Try 'feat-query --help' for more information." ]
	query describe
	[ "$status" -eq 2 ]
	[[ "$stderr" == "feat-query: wrong number of arguments for 'describe': use describe NAME"$'\n'"Try 'feat-query --help'"* ]]
	query catalog a b
	[ "$status" -eq 2 ]
	query get model gpt-4o
	[ "$status" -eq 2 ]
	[[ "$stderr" == "feat-query: command 'get' needs a store: give --from dir:PATH"$'\n'"Try "* ]]
	query --no-such-option catalog
	[ "$status" -eq 2 ]
}

@test "query-025: --catalog wins over FEAT_CATALOG; a bad catalog is refused with exit 2" {
	query --catalog "$(CAT_DATA)/good-minimal.json" catalog
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	FEAT_CATALOG=$(CAT_DATA)/good-minimal.json query catalog
	[ "${#lines[@]}" -eq 2 ]
	query --catalog "$(CAT_DATA)/dup-name.json" describe prompt_length
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-query: $(CAT_DATA)/dup-name.json: duplicate name 'prompt_length' in 'REQ_001' and 'REQ_002'" ]
	query --catalog "$TMP/none.json" catalog
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-query: cannot open '$TMP/none.json': No such file or directory" ]
}

@test "query-026: overlays replace attributes by name and add features" {
	cat > "$TMP/ov.json" <<-'EOF'
	{"features": [
	  {"name": "prompt_complexity", "description": "Local wording.", "x_team": "nlp"},
	  {"id": "PERF_002", "tags": ["latency", "slo"]}
	]}
	EOF
	query --catalog-overlay "$TMP/ov.json" describe prompt_complexity
	[ "$status" -eq 0 ]
	[ "$("$JQ" -r '.description, .x_team, .formula' <<< "$output")" = "Local wording.
nlp
clamp((100−FRE)/100,0,1), FRE = 206.835 − 1.015·words/sentences − 84.6·syllables/words; 0 when there are no words" ]
	query --catalog-overlay "$TMP/ov.json" describe latency_p95_5min
	[ "$("$JQ" -c .tags <<< "$output")" = '["latency","slo"]' ]
	# The overlay of feat-catalog(5)'s EXAMPLES: a version with traffic,
	# a drift threshold and a local feature.
	query --catalog-overlay "$(CAT_DATA)/overlay-acme.json" check-catalog "$FEAT_CATALOG"
	[ "$status" -eq 0 ]
	[ "$output" = "$FEAT_CATALOG: ok: 66 features in 12 groups" ]
	query --catalog-overlay "$(CAT_DATA)/overlay-acme.json" describe ACME_001
	[ "$("$JQ" -r '.name, .group, .entity_type' <<< "$output")" = "acme_region_weight
context
system" ]
	query --catalog-overlay "$(CAT_DATA)/overlay-acme.json" describe latency_p95_5min
	[ "$("$JQ" -c '.drift, .group_info.versions' <<< "$output")" = '{"psi_high":0.2}
[{"version":1},{"version":2,"traffic":10,"changelog":"sketch percentiles"}]' ]
	# model_context_length, the ten context features and the new one.
	query --catalog-overlay "$(CAT_DATA)/overlay-acme.json" catalog context
	[ "$("$JQ" -s length <<< "$output")" -eq 12 ]
	[ "$("$JQ" -r .name <<< "${lines[11]}")" = acme_region_weight ]
}

@test "query-027: bad overlays are refused, naming the overlay" {
	printf '{"features":[{"name":"prompt_length","id":"REQ_099"}]}\n' > "$TMP/id.json"
	query --catalog-overlay "$TMP/id.json" catalog
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-query: $TMP/id.json: overlay changes the id of 'prompt_length' from 'REQ_001' to 'REQ_099'" ]
	query --catalog-overlay "$TMP/id.json" check-catalog "$FEAT_CATALOG"
	[ "$status" -eq 1 ]
	[ "$stderr" = "feat-query: $TMP/id.json: overlay changes the id of 'prompt_length' from 'REQ_001' to 'REQ_099'" ]
	# A new feature must be complete, and is reported against the overlay.
	printf '{"features":[{"id":"ACME_002","name":"acme_x","category":"context","group":"context"}]}\n' > "$TMP/new.json"
	query --catalog-overlay "$TMP/new.json" check-catalog "$FEAT_CATALOG"
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[[ "$stderr" == "feat-query: $TMP/new.json: missing attribute 'type' in 'acme_x'"* ]]
	[ "$(grep -c "missing attribute" <<< "$stderr")" -eq 13 ]
	# Deprecated names stay deprecated.
	mutate dep.json '(.features[] | select(.id == "REQ_002") | .deprecated) = true'
	query check-catalog "$TMP/dep.json"
	[ "$status" -eq 0 ]
	printf '{"features":[{"name":"prompt_char_count","deprecated":false}]}\n' > "$TMP/revive.json"
	query --catalog "$TMP/dep.json" --catalog-overlay "$TMP/revive.json" catalog
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-query: $TMP/revive.json: overlay revives deprecated feature 'prompt_char_count'" ]
	printf '{"features":[{"id":"REQ_016","name":"prompt_char_count"}]}\n' > "$TMP/reuse.json"
	query --catalog "$TMP/dep.json" --catalog-overlay "$TMP/reuse.json" catalog
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-query: $TMP/reuse.json: overlay changes the id of 'prompt_char_count' from 'REQ_002' to 'REQ_016'" ]
	# A deprecated feature is still listed, marked.
	query --catalog "$TMP/dep.json" describe REQ_002
	[ "$("$JQ" -r .deprecated <<< "$output")" = true ]
}

@test "query-028: a failing write of stdout exits 4; a closed one ends quietly" {
	run --separate-stderr bash -c '"$0" catalog > /dev/full' "$FEAT_QUERY"
	[ "$status" -eq 4 ]
	[ "$stderr" = "feat-query: cannot write output: No space left on device" ]
	set +e
	"$FEAT_QUERY" catalog 2> "$TMP/err" | head -n 1 > /dev/null
	set -e
	[ ! -s "$TMP/err" ]
}

@test "query-029: the EXAMPLES of feat-query(1) run" {
	query catalog perf_5min
	[ "$status" -eq 0 ]
	run bash -c '"$0" describe PERF_002 | "$1" -r .formula' "$FEAT_QUERY" "$JQ"
	[ "$status" -eq 0 ]
	[[ "$output" == "95th percentile of latency_ms"* ]]
	run bash -c '"$0" catalog | "$1" -r .category | sort | uniq -c' "$FEAT_QUERY" "$JQ"
	[ "$(tr -s ' ' <<< "$output" | sed 's/^ //')" = "10 context
10 derived
8 feedback
10 model
12 performance
15 request" ]
	cd "$top_srcdir"
	query check-catalog data/catalog.json
	[ "$status" -eq 0 ]
	[ "$output" = "data/catalog.json: ok: 65 features in 12 groups" ]
}
