#!/usr/bin/env bats
# cli.bats - the command-line conventions of SPEC 2: help, version, usage
# errors, exit statuses, output errors.
load helpers

@test "cli-001: --help prints usage on stdout and exits 0" {
	extract --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: feat-extract [-g GROUPS] "* ]]
	[ "$stderr" = "" ]
}

@test "cli-002: --version prints 'feat-extract (feat) X.Y.Z'" {
	extract --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^feat-extract\ \(feat\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "cli-003: an unknown option is a usage error with a hint" {
	extract --no-such-option
	[ "$status" -eq 2 ]
	[ "$output" = "" ]
	[[ "$stderr" == *"Try 'feat-extract --help' for more information." ]]
}

@test "cli-004: bad option values are usage errors (exit 2)" {
	extract -g event --on-error=explode "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: invalid --on-error 'explode': use fail, skip or quarantine:FILE
Try 'feat-extract --help' for more information." ]
	extract -g event --max-line 12X "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	extract -g event --time-unit fortnights "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	extract -g nosuch "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	[ "${stderr%%$'\n'*}" = "feat-extract: unknown group 'nosuch' in 'nosuch': use request, static, context or event" ]
	extract -g request,,static "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	extract --group-version 0 "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
	extract --max-sessions none "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
}

@test "cli-005: an unopenable file exits 2 naming it" {
	extract -g event "$TMP/missing.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "feat-extract: cannot open '$TMP/missing.ndjson': No such file or directory" ]
	extract -g event --on-error=quarantine:"$TMP/no/such/dir/q" "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 2 ]
}

@test "cli-006: a closed stdout ends the filter quietly" {
	"$FEAT_GENLOAD" -n 50000 > "$TMP/gen"
	set +e
	"$FEAT_EXTRACT" -g event "$TMP/gen" 2> "$TMP/err" | head -n 1 > /dev/null
	local codes=("${PIPESTATUS[@]}")
	set -e
	[ "${codes[0]}" -eq 141 ]
	[ ! -s "$TMP/err" ]
}

@test "cli-007: a failing write of stdout exits 4" {
	"$FEAT_GENLOAD" -n 2000 > "$TMP/gen"
	run --separate-stderr bash -c '"$0" -g event "$1" > /dev/full' \
	    "$FEAT_EXTRACT" "$TMP/gen"
	[ "$status" -eq 4 ]
	[[ "$stderr" == "feat-extract: cannot write output: No space left on device" ]]
}

@test "cli-008: a corrupt gzip input is an I/O error (exit 4)" {
	gzip -c "$DATA/sample-canonical.ndjson" | head -c 60 > "$TMP/cut.gz"
	extract -g event "$TMP/cut.gz"
	[ "$status" -eq 4 ]
	[[ "$stderr" == "feat-extract: cannot read '$TMP/cut.gz': "* ]]
}

@test "cli-009: the unbuffered flag writes each record as it is made" {
	extract -g event --unbuffered "$DATA/sample-canonical.ndjson"
	[ "$status" -eq 0 ]
	diff -u "$DATA/sample-canonical.expected.ndjson" <(printf '%s\n' "$output")
}

@test "cli-010: two options that would write one file (or one read as a baseline) are a usage error, whatever the spelling" {
	echo '{}' > "$TMP/base"
	mkdir "$TMP/d"
	run --separate-stderr "$FEAT_VALIDATE" --baseline "$TMP/base" --rejects "$TMP/d/../base" /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--rejects and --baseline name the same file"* ]]
	run --separate-stderr "$FEAT_DRIFT" check --baseline "$TMP/base" --report "$TMP/base" /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--report and --baseline name the same file"* ]]
	run --separate-stderr "$FEAT_DRIFT" check --baseline "$TMP/base" --report "$TMP/r" --metrics-file "$TMP/d/../r" /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--report and --metrics-file name the same file"* ]]
	# feat-window: the late file does not exist yet, under two spellings
	run --separate-stderr "$FEAT_WINDOW" -p perf_5min --state "$TMP/s" --late "$TMP/d/../s" /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--late and --state name the same file"* ]]
	run --separate-stderr "$FEAT_WINDOW" -p perf_5min --late "$TMP/l" --metrics-file "$TMP/d/../l" /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--late and --metrics-file name the same file"* ]]
	run --separate-stderr "$FEAT_WINDOW" -p perf_5min --state "$TMP/s2" --metrics-file "$TMP/s2" /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--metrics-file and --state name the same file"* ]]
}
