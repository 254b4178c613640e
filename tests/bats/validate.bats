#!/usr/bin/env bats
# validate.bats - feat-validate: every rule on a fixture of violations,
# good records through byte for byte, imputation, the three outlier modes
# against a baseline of feat-drift fit, exit statuses and bad lines.
load helpers

validate() {
	: "${FEAT_VALIDATE:?run the suites through make check}"
	run --separate-stderr "$FEAT_VALIDATE" "$@"
}

# violations FILE: "ID<tab>violations" per rejected record, the arrays
# through jq (so 1e400 reads the same on both sides).
violations() {
	$JQ -r '[.entity_id, (._error.violations | tojson)] | @tsv' "$1"
}

@test "validate-001: every rule: exactly the bad records rejected, every violation named" {
	local V=$DATA/validate
	cat "$V/good.ndjson" "$V/bad.ndjson" > "$TMP/in"
	validate --rejects "$TMP/rej" "$TMP/in"
	[ "$status" -eq 1 ]
	# Good records pass byte for byte, in order, the tombstone too.
	[ "$output" = "$(cat "$V/good.ndjson")" ]
	violations "$TMP/rej" > "$TMP/got"
	while IFS=$'\t' read -r id v; do
		printf '%s\t%s\n' "$id" "$(echo "$v" | $JQ -c .)"
	done < "$V/bad.expected" > "$TMP/want"
	diff "$TMP/want" "$TMP/got"
	# The values keep their text, and each reject is its record plus _error.
	grep -q '"value":1e400' "$TMP/rej"
	[ "$($JQ -c 'del(._error)' "$TMP/rej")" = "$($JQ -c . "$V/bad.ndjson")" ]
	[ "$($JQ -r '._error | "\(.file):\(.line)"' "$TMP/rej" | head -n 2)" = "$TMP/in:6
$TMP/in:7" ]
	[[ "$stderr" == *"20 records: 5 passed, 15 rejected (unknown_feature 4, wrong_type 7, not_finite 2, below_min 2, above_max 4, vector_length 1) to '$TMP/rej'"* ]]
	# Without --rejects they are counted and dropped; stdin is <stdin>.
	validate < "$TMP/in"
	[ "$status" -eq 1 ]
	[ "$output" = "$(cat "$V/good.ndjson")" ]
	validate --rejects "$TMP/rej2" < "$V/bad.ndjson"
	[ "$($JQ -r ._error.file "$TMP/rej2" | sort -u)" = "<stdin>" ]
	# Only good records: exit 0.
	validate --rejects "$TMP/rej3" "$V/good.ndjson"
	[ "$status" -eq 0 ]
	[ ! -s "$TMP/rej3" ]
}

@test "validate-002: --impute default fills non-nullable nulls and flags them; none rejects them" {
	printf '%s\n' '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z","features":{"prompt_length":null,"hour_of_day_cos":null,"is_weekend":null,"prompt_language":null,"day_of_week_sin":0.5},"_flags":{"imputed":["x"]}}' > "$TMP/in"
	validate "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$output" = '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z","features":{"prompt_length":null,"hour_of_day_cos":1,"is_weekend":0,"prompt_language":null,"day_of_week_sin":0.5},"_flags":{"imputed":["hour_of_day_cos","is_weekend"],"outlier":[]}}' ]
	[[ "$stderr" == *"1 record: 1 passed, 0 rejected; 2 values imputed"* ]]
	validate --impute none --rejects "$TMP/rej" "$TMP/in"
	[ "$status" -eq 1 ]
	[ "$(violations "$TMP/rej")" = 'r	[{"feature":"hour_of_day_cos","rule":"null_not_allowed","value":null},{"feature":"is_weekend","rule":"null_not_allowed","value":null}]' ]
}

# A baseline of prompt_length: 1000 values 0.40, 0.41, ... (a cycle of 21).
baseline() {
	for i in $(seq 0 999); do
		printf '{"entity_type":"request","entity_id":"b%d","group":"request","ts":"2024-11-16T17:00:00Z","features":{"prompt_length":0.%02d}}\n' "$i" $((40 + i % 21))
	done | "$FEAT_DRIFT" fit > "$TMP/base.json" 2>/dev/null
}

@test "validate-003: outliers against a baseline: flag, reject, clip at mean +- 3 sigma" {
	baseline
	local mean std
	mean=$($JQ .features.prompt_length.mean "$TMP/base.json")
	std=$($JQ .features.prompt_length.std "$TMP/base.json")
	for v in 0.5 0.7 0.95 0.1; do
		printf '{"entity_type":"request","entity_id":"x%s","group":"request","ts":"2024-11-16T18:00:00Z","features":{"prompt_length":%s,"is_weekend":1}}\n' "$v" "$v"
	done > "$TMP/in"
	# flag (the default): values kept, outliers named.
	validate --baseline "$TMP/base.json" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c '[.entity_id, .features.prompt_length, ._flags.outlier]')" = '["x0.5",0.5,null]
["x0.7",0.7,["prompt_length"]]
["x0.95",0.95,["prompt_length"]]
["x0.1",0.1,["prompt_length"]]' ]
	# The first record is untouched.
	[ "$(echo "$output" | head -n 1)" = "$(head -n 1 "$TMP/in")" ]
	[[ "$stderr" == *"3 outliers flagged"* ]]
	# reject
	validate --baseline "$TMP/base.json" --outliers reject --rejects "$TMP/rej" "$TMP/in"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | $JQ -r .entity_id)" = "x0.5" ]
	[ "$($JQ -c '._error.violations' "$TMP/rej" | sort -u)" = '[{"feature":"prompt_length","rule":"outlier","value":0.1}]
[{"feature":"prompt_length","rule":"outlier","value":0.7}]
[{"feature":"prompt_length","rule":"outlier","value":0.95}]' ]
	# clip: to mean + 3 sigma above, mean - 3 sigma below, flagged.
	validate --baseline "$TMP/base.json" --outliers clip "$TMP/in"
	[ "$status" -eq 0 ]
	echo "$output" | $JQ -r '[.entity_id, .features.prompt_length] | @tsv' > "$TMP/got"
	awk -v m="$mean" -v s="$std" -F'\t' '
	$1 == "x0.5" && $2 != 0.5 { bad = 1 }
	$1 == "x0.7" || $1 == "x0.95" { d = $2 - (m + 3 * s); if (d > 1e-12 || d < -1e-12) bad = 1 }
	$1 == "x0.1" { d = $2 - (m - 3 * s); if (d > 1e-12 || d < -1e-12) bad = 1 }
	END { exit bad }' "$TMP/got"
	[ "$(echo "$output" | $JQ -c ._flags.outlier | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "3 1 " ]
	# --outliers without a baseline: a usage error.
	validate --outliers clip "$TMP/in"
	[ "$status" -eq 2 ]
}

@test "validate-004: bad lines, bad options, unreadable baseline, unopenable rejects" {
	local V=$DATA/validate
	printf '%s\n' 'not json' > "$TMP/junk"
	cat "$V/good.ndjson" "$TMP/junk" "$V/bad.ndjson" > "$TMP/in"
	validate "$TMP/in"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"$TMP/in:6: invalid JSON"* ]]
	validate --on-error=skip "$TMP/in"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"1 bad line skipped"* ]]
	cat "$V/good.ndjson" "$TMP/junk" > "$TMP/in2"
	validate --on-error=skip "$TMP/in2"
	[ "$status" -eq 0 ]
	# A record without features is a bad line, not a rejection.
	echo '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z"}' | {
		run --separate-stderr "$FEAT_VALIDATE"
		[ "$status" -eq 3 ]
		[[ "$stderr" == *"no field 'features'"* ]]
	}
	validate --impute maybe "$TMP/in2"
	[ "$status" -eq 2 ]
	validate --outliers drop --baseline /dev/null "$TMP/in2"
	[ "$status" -eq 2 ]
	echo '{"not":"a baseline"}' > "$TMP/nb.json"
	validate --baseline "$TMP/nb.json" "$TMP/in2"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"is not a baseline of feat-drift fit"* ]]
	validate --rejects "$TMP/no/such/dir/rej" "$TMP/in2"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"cannot open '$TMP/no/such/dir/rej'"* ]]
	# A full disk under the output or the rejects is exit 4.
	run bash -c '"$1" "$2" > /dev/full' _ "$FEAT_VALIDATE" "$V/good.ndjson"
	[ "$status" -eq 4 ]
	validate --rejects /dev/full "$V/bad.ndjson"
	[ "$status" -eq 4 ]
}

@test "validate-005: --allow-unknown; ids as names; _flags and _error of the input replaced" {
	printf '%s\n' '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z","features":{"REQ_001":0.3,"mine":"x"}}' > "$TMP/in"
	validate "$TMP/in"
	[ "$status" -eq 1 ]
	validate --allow-unknown "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$TMP/in")" ]
	printf '%s\n' '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z","features":{"REQ_001":2},"_error":"old"}' |
	    "$FEAT_VALIDATE" --rejects "$TMP/rej" 2>/dev/null || true
	[ "$($JQ -c . "$TMP/rej")" = '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z","features":{"REQ_001":2},"_error":{"file":"<stdin>","line":1,"violations":[{"feature":"REQ_001","rule":"above_max","value":2}]}}' ]
}

@test "validate-006: --rejects is never an input or the output; pipes and devices take it" {
	local V=$DATA/validate
	cp "$V/bad.ndjson" "$TMP/in"
	validate --rejects "$TMP/in" "$TMP/in"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"the --rejects file '$TMP/in' is the input file '$TMP/in'"* ]]
	cmp "$TMP/in" "$V/bad.ndjson"
	run bash -c '"$1" --rejects "$2" "$3" > "$2"' _ "$FEAT_VALIDATE" "$TMP/out" "$V/good.ndjson"
	[ "$status" -eq 2 ]
	# /dev/null, a pipe: written, never synced, the exit status the data's.
	validate --rejects /dev/null "$V/bad.ndjson"
	[ "$status" -eq 1 ]
	validate --rejects /dev/full "$V/good.ndjson"
	[ "$status" -eq 0 ]
	validate --rejects /dev/full "$V/bad.ndjson"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"cannot write '/dev/full': No space left on device"* ]]
	run bash -c '"$1" --rejects >(wc -l > "$3") "$2"; rc=$?; wait; exit $rc' _ "$FEAT_VALIDATE" "$V/bad.ndjson" "$TMP/count"
	[ "$status" -eq 1 ]
	sleep 0.2
	[ "$(cat "$TMP/count")" -eq 15 ]
}

@test "validate-007: an int clipped where no integer lies within 3 sigma takes the mean's integer" {
	for i in $(seq 0 999); do
		printf '{"entity_type":"user","entity_id":"u%d","group":"feedback_1hr","ts":"2024-11-16T17:00:00Z","features":{"user_behavior_cluster":%s}}\n' "$i" "$( [ $((i % 2)) -eq 0 ] && echo 3 || echo 4)"
	done | "$FEAT_DRIFT" fit > "$TMP/base.json" 2>/dev/null
	# mean 3.5, sigma 0.5: [2, 5] holds integers; clipped to them.
	printf '{"entity_type":"user","entity_id":"x","group":"feedback_1hr","ts":"2024-11-16T18:00:00Z","features":{"user_behavior_cluster":%d}}\n' 0 7 > "$TMP/in"
	validate --baseline "$TMP/base.json" --outliers clip "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c .features.user_behavior_cluster | tr '\n' ' ')" = "2 5 " ]
	# A baseline of sigma 0.1 around 3.5 holds no integer: 4 (round(3.5)).
	$JQ -c '.features.user_behavior_cluster.std = 0.1' "$TMP/base.json" > "$TMP/narrow.json"
	validate --baseline "$TMP/narrow.json" --outliers clip "$TMP/in"
	[ "$(echo "$output" | $JQ -c .features.user_behavior_cluster | tr '\n' ' ')" = "4 4 " ]
}

@test "validate-008: --rejects never the quarantine or the baseline; clipping past int64; file names are bytes" {
	local V=$DATA/validate
	{ cat "$V/bad.ndjson"; echo 'not json'; } > "$TMP/in"
	validate --rejects "$TMP/q" --on-error "quarantine:$TMP/q" "$TMP/in"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"is the quarantine file"* ]]
	recs() { for v in "$@"; do printf '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z","features":{"prompt_length":%s}}\n' "$v"; done; }
	recs 0.1 0.2 0.3 | "$FEAT_DRIFT" fit > "$TMP/b.json" 2>/dev/null
	cp "$TMP/b.json" "$TMP/b2.json"
	validate --baseline "$TMP/b2.json" --rejects "$TMP/b2.json" "$V/good.ndjson"
	[ "$status" -eq 2 ]
	cmp "$TMP/b.json" "$TMP/b2.json"
	# An int clipped far past int64 stays on its side of the mean.
	echo '{"features":[{"id":"ACM_001","name":"acme_count","category":"request","group":"request","type":"int","min":null,"max":null,"nullable":true,"default":null,"unit":"n","description":"x","formula":"x","source":["x"],"freshness_s":60,"owner":"t","tags":[],"deprecated":false}]}' > "$TMP/ov.json"
	printf '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z","features":{"acme_count":%s}}\n' 9.2e18 9.22e18 > "$TMP/bb"
	"$FEAT_DRIFT" fit --catalog-overlay "$TMP/ov.json" "$TMP/bb" > "$TMP/big.json" 2>/dev/null
	printf '{"entity_type":"request","entity_id":"r","group":"request","ts":"2024-11-16T18:00:00Z","features":{"acme_count":1e19}}\n' > "$TMP/x"
	validate --catalog-overlay "$TMP/ov.json" --baseline "$TMP/big.json" --outliers clip "$TMP/x"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ '.features.acme_count > 9e18')" = true ]
	# A file name that is not UTF-8 is escaped in _error.file.
	cp "$V/bad.ndjson" "$TMP/bad"$'\xff'".ndjson"
	validate --rejects "$TMP/rej" "$TMP/bad"$'\xff'".ndjson"
	[ "$status" -eq 1 ]
	$JQ -e . "$TMP/rej" > /dev/null
	grep -q 'bad\\u00ff.ndjson' "$TMP/rej"
}
