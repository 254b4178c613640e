#!/usr/bin/env bats
# drift.bats - feat-drift fit and check: PSI of the Azure trace's
# prompt_length against an independent awk reference, the three kinds of
# evaluation, categories, sigma 0, --fail-on, --min-samples, the metrics
# file, the HTML report rendered by headless Chromium, and usage errors.
load helpers

drift() {
	: "${FEAT_DRIFT:?run the suites through make check}"
	run --separate-stderr "$FEAT_DRIFT" "$@"
}

# recs FEATURE VALUES_CMD [TS]: one record of group "window" per value
# the command prints (a number, or a "string").
recs() {
	local ts=${3:-2024-11-16T18:00:00Z}
	eval "$2" | awk -v f="$1" -v ts="$ts" '{ printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"window\",\"ts\":\"%s\",\"features\":{\"%s\":%s}}\n", NR, ts, f, $0 }'
}

# within A B TOL
within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; if (d > t) { print a " <> " b; exit 1 } }'
}

@test "drift-001: the Azure trace: PSI of prompt_length equals an awk reference to 1e-9" {
	$MLR --icsv --ojsonl put '$model="azure-conv"' "$DATA/traces/azure-llm-conv-2023.csv" |
	    "$FEAT_EXTRACT" -g request > "$TMP/req"
	local n half
	n=$(wc -l < "$TMP/req")
	half=$((n / 2))
	head -n "$half" "$TMP/req" > "$TMP/first"
	tail -n +"$((half + 1))" "$TMP/req" > "$TMP/second"
	"$FEAT_DRIFT" fit "$TMP/first" > "$TMP/base.json"
	drift check --baseline "$TMP/base.json" "$TMP/second"
	[ "$status" -eq 0 ]
	echo "$output" > "$TMP/res"
	# The reference: numpy-linear deciles of the sorted first half,
	# left-closed bins, proportions floored at 1e-4.
	$JQ -r '.features.prompt_length // empty' "$TMP/first" | sort -g > "$TMP/b"
	$JQ -r '.features.prompt_length // empty' "$TMP/second" > "$TMP/c"
	local want
	want=$(awk '
	FNR == NR { b[nb++] = $1 + 0; next }
	{ c[nc++] = $1 + 0 }
	END {
		ne = 0
		for (k = 1; k <= 9; k++) {
			idx = k * (nb - 1); lo = int(idx / 10); fr = (idx % 10) / 10
			e = fr == 0 ? b[lo] : b[lo] + (b[lo + 1] - b[lo]) * fr
			if (ne == 0 || e > edge[ne - 1]) edge[ne++] = e
		}
		for (i = 0; i < nb; i++) { k = 0; while (k < ne && edge[k] <= b[i]) k++; cb[k]++ }
		for (i = 0; i < nc; i++) { k = 0; while (k < ne && edge[k] <= c[i]) k++; cc[k]++ }
		for (k = 0; k <= ne; k++) {
			e = cb[k] / nb; if (e < 1e-4) e = 1e-4
			a = cc[k] / nc; if (a < 1e-4) a = 1e-4
			psi += (a - e) * log(a / e)
		}
		printf "%.17g\n", psi
	}' "$TMP/b" "$TMP/c")
	local got
	got=$($JQ -r 'select(.feature == "prompt_length") | .psi' "$TMP/res")
	echo "# prompt_length PSI $got (reference $want)" >&3
	within "$got" "$want" 1e-9
	# The figure is one a reader would act on, and the n is the data's.
	[ "$($JQ -r 'select(.feature == "prompt_length") | .n' "$TMP/res")" = "$(wc -l < "$TMP/c")" ]
	within "$($JQ .features.prompt_length.n "$TMP/base.json")" "$(wc -l < "$TMP/b")" 0
	# The baseline's quantiles are the reference's too.
	local q50
	q50=$(awk '{ v[n++] = $1 } END { i = (n - 1) * 50; lo = int(i / 100); fr = (i % 100) / 100; printf "%.17g", v[lo] + (v[lo + 1] - v[lo]) * fr }' "$TMP/b")
	within "$($JQ '.features.prompt_length.quantiles[50]' "$TMP/base.json")" "$q50" 1e-12
}

@test "drift-002: evaluations: all input, --every N (blocks, not cumulative), --per-window" {
	recs x 'seq 1 1000' > "$TMP/base.ndjson"
	"$FEAT_DRIFT" fit "$TMP/base.ndjson" > "$TMP/base.json"
	{ recs x 'seq 1 1000'; recs x 'seq 101 1100'; recs x 'seq 1 500'; } > "$TMP/cur"
	# One evaluation over everything.
	drift check --baseline "$TMP/base.json" "$TMP/cur"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c '[.feature, .n]')" = '["x",2500]' ]
	# Blocks of 1000: the second block alone gives the issue's figures.
	drift check --baseline "$TMP/base.json" --every 1000 "$TMP/cur"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c '[.n, .drift, .severity]')" = '[1000,"none","none"]
[1000,"distribution_shift","high"]
[500,null,null]' ]
	within "$(echo "$output" | sed -n 1p | $JQ .psi)" 0 1e-12
	within "$(echo "$output" | sed -n 2p | $JQ .psi)" 0.75939947 1e-6
	within "$(echo "$output" | sed -n 2p | $JQ .z)" 0.34623709 1e-6
	[[ "$stderr" == *"1 evaluation without a verdict: fewer than --min-samples 1000 values"* ]]
	# A last block that is long enough has its verdict.
	drift check --baseline "$TMP/base.json" --every 1000 --min-samples 500 "$TMP/cur"
	[ "$(echo "$output" | sed -n 3p | $JQ -c '[.n, .drift, .severity]')" = '[500,"distribution_shift","high"]' ]
	# One evaluation per record ts, each saying its ts.
	{ recs x 'seq 1 1000' 2024-11-16T18:00:00Z; recs x 'seq 101 1100' 2024-11-16T18:05:00Z; recs x 'seq 1 1000' 2024-11-16T18:10:00Z; } > "$TMP/win"
	drift check --baseline "$TMP/base.json" --per-window "$TMP/win"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c '[.ts, .n, .drift]')" = '["2024-11-16T18:00:00.000Z",1000,"none"]
["2024-11-16T18:05:00.000Z",1000,"distribution_shift"]
["2024-11-16T18:10:00.000Z",1000,"none"]' ]
	within "$(echo "$output" | sed -n 2p | $JQ .psi)" 0.75939947 1e-6
	drift check --baseline "$TMP/base.json" --per-window --every 10 "$TMP/win"
	[ "$status" -eq 2 ]
}

@test "drift-003: categories: unseen ones pooled; --fail-on; --metrics-file" {
	{ for i in $(seq 500); do echo '"a"'; done; for i in $(seq 300); do echo '"b"'; done; for i in $(seq 200); do echo '"c"'; done; } > "$TMP/bv"
	{ for i in $(seq 400); do echo '"a"'; done; for i in $(seq 300); do echo '"b"'; done; for i in $(seq 100); do echo '"c"'; done; for i in $(seq 150); do echo '"d"'; done; for i in $(seq 50); do echo '"e"'; done; } > "$TMP/cv"
	recs lang "cat $TMP/bv" > "$TMP/base.ndjson"
	recs lang "cat $TMP/cv" > "$TMP/cur"
	"$FEAT_DRIFT" fit "$TMP/base.ndjson" > "$TMP/base.json"
	[ "$($JQ -c .features.lang "$TMP/base.json")" = '{"type":"category","n":1000,"nulls":0,"categories":{"a":500,"b":300,"c":200}}' ]
	drift check --baseline "$TMP/base.json" --metrics-file "$TMP/m.prom" "$TMP/cur"
	[ "$status" -eq 0 ]
	local want
	want=$(awk 'BEGIN { printf "%.17g", (0.4 - 0.5) * log(0.4 / 0.5) + (0.1 - 0.2) * log(0.1 / 0.2) + (0.2 - 1e-4) * log(0.2 / 1e-4) }')
	within "$(echo "$output" | $JQ .psi)" "$want" 1e-12
	[ "$(echo "$output" | $JQ -c '[.z, .ks, .std_ratio, .drift, .severity]')" = '[null,null,null,"distribution_shift","high"]' ]
	grep -qx 'feat_drift_severity{feature="lang"} 3' "$TMP/m.prom"
	grep -q '^feat_drift_psi{feature="lang"} 1\.' "$TMP/m.prom"
	grep -qx 'feat_drift_samples{feature="lang"} 1000' "$TMP/m.prom"
	grep -qx '# TYPE feat_drift_z gauge' "$TMP/m.prom"
	drift check --baseline "$TMP/base.json" --fail-on high "$TMP/cur"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"1 evaluation at or above --fail-on high"* ]]
	drift check --baseline "$TMP/base.json" --fail-on critical "$TMP/cur"
	[ "$status" -eq 0 ]
}

@test "drift-004: sigma 0: equal means none, another mean critical (z null)" {
	recs x 'yes 5 | head -n 1000' > "$TMP/base.ndjson"
	"$FEAT_DRIFT" fit "$TMP/base.ndjson" > "$TMP/base.json"
	[ "$($JQ -c '.features.x | [.std, .quantiles[0], .quantiles[100], .edges]' "$TMP/base.json")" = '[0,5,5,[5]]' ]
	drift check --baseline "$TMP/base.json" "$TMP/base.ndjson"
	[ "$(echo "$output" | $JQ -c '[.z, .psi, .drift, .severity]')" = '[0,0,"none","none"]' ]
	{ recs x 'yes 5 | head -n 999'; recs x 'echo 6'; } > "$TMP/cur"
	drift check --baseline "$TMP/base.json" --fail-on critical "$TMP/cur"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | $JQ -c '[.z, .drift, .severity]')" = '[null,"mean_shift","critical"]' ]
	# Fewer than --min-samples: the figures, no verdict.
	recs x 'seq 1 10' > "$TMP/few"
	drift check --baseline "$TMP/base.json" "$TMP/few"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c '[.n, .drift, .severity]')" = '[10,null,null]' ]
}

@test "drift-005: the HTML report of the Azure check renders in headless Chromium, drifted features first" {
	$MLR --icsv --ojsonl put '$model="azure-conv"' "$DATA/traces/azure-llm-conv-2023.csv" |
	    "$FEAT_EXTRACT" -g request > "$TMP/req"
	head -n 9683 "$TMP/req" > "$TMP/first"
	tail -n +9684 "$TMP/req" > "$TMP/second"
	"$FEAT_DRIFT" fit "$TMP/first" > "$TMP/base.json"
	drift check --baseline "$TMP/base.json" --report "$TMP/report.html" "$TMP/second"
	[ "$status" -eq 0 ]
	# Self-contained: no script, nothing fetched.
	! grep -qiE '<script|<link|<img|src=|@import|url\(' "$TMP/report.html" || false
	# Sections in order: every drifted one before every other, and the
	# drifted ones are those check said.
	grep -o '<section class="[a-z]*" id="f[0-9]*"><h2>[a-z_]*' "$TMP/report.html" |
	    sed 's/.*class="\([a-z]*\)".*<h2>/\1 /' > "$TMP/order"
	[ "$(cut -d' ' -f1 "$TMP/order" | uniq | tr '\n' ' ')" = "drift ok " ]
	[ "$(grep '^drift ' "$TMP/order" | cut -d' ' -f2 | sort)" = "$(echo "$output" | $JQ -r 'select(.drift != "none") | .feature' | sort)" ]
	[ "$(grep -c '^drift ' "$TMP/order")" -ge 1 ]
	grep -q '<svg' "$TMP/report.html"
	# Rendered to a PNG that is not blank.
	HOME=$TMP timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
	    --disable-background-networking --window-size=1000,1600 \
	    --screenshot="$TMP/report.png" "file://$TMP/report.html" 2>/dev/null
	[ -s "$TMP/report.png" ]
	run python3 "$top_srcdir/tests/png-nonblank.py" "$TMP/report.png"
	echo "# $output" >&3
	[ "$status" -eq 0 ]
	# The check itself: a page with nothing on it is blank.
	echo '<html><body></body></html>' > "$TMP/blank.html"
	HOME=$TMP timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
	    --disable-background-networking --window-size=400,300 \
	    --screenshot="$TMP/blank.png" "file://$TMP/blank.html" 2>/dev/null
	run python3 "$top_srcdir/tests/png-nonblank.py" "$TMP/blank.png"
	[ "$status" -eq 1 ]
}

@test "drift-006: usage errors, bad baselines, bad lines" {
	recs x 'seq 1 100' > "$TMP/r"
	drift
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"give a command: fit or check"* ]]
	drift plot "$TMP/r"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown command 'plot'"* ]]
	drift fit --baseline x "$TMP/r"
	[ "$status" -eq 2 ]
	drift fit --bins 1 "$TMP/r"
	[ "$status" -eq 2 ]
	drift check "$TMP/r"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"give a baseline"* ]]
	drift check --baseline "$TMP/r" "$TMP/r"
	[ "$status" -eq 2 ]
	"$FEAT_DRIFT" fit --bins 4 "$TMP/r" > "$TMP/b.json"
	[ "$($JQ '.features.x.edges | length' "$TMP/b.json")" -eq 3 ]
	drift check --baseline "$TMP/b.json" --bins 4 "$TMP/r"
	[ "$status" -eq 2 ]
	drift check --baseline "$TMP/b.json" --fail-on none "$TMP/r"
	[ "$status" -eq 2 ]
	# A damaged baseline: quantiles out of order.
	$JQ -c '.features.x.quantiles[3] = 1e9' "$TMP/b.json" > "$TMP/bad.json"
	drift check --baseline "$TMP/bad.json" "$TMP/r"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"'quantiles' must be 101 ascending numbers"* ]]
	# Bad lines: exit 3, or skipped; fit writes no baseline after one.
	{ cat "$TMP/r"; echo 'nope'; } > "$TMP/bad"
	drift fit "$TMP/bad"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	drift fit --on-error=skip "$TMP/bad"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ .records)" -eq 100 ]
	# Options after the command, and the command's files.
	drift check "$TMP/r" --baseline "$TMP/b.json" --min-samples 50
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c '[.n, .drift]')" = '[100,"none"]' ]
}

@test "drift-007: what a hostile pass found: null baselines, catalog thresholds, huge values, files" {
	# A baseline feature of nulls only: figures without a verdict, a
	# report without a crash.
	{ recs x 'seq 1 100'; recs y 'yes null | head -n 100'; } > "$TMP/b.ndjson"
	"$FEAT_DRIFT" fit "$TMP/b.ndjson" > "$TMP/b.json"
	[ "$($JQ -c .features.y "$TMP/b.json")" = '{"type":"numeric","n":0,"nulls":100}' ]
	recs y 'echo 0.5' > "$TMP/c.ndjson"
	drift check --baseline "$TMP/b.json" --report "$TMP/r.html" "$TMP/c.ndjson"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c '[.n, .baseline_mean, .current_mean, .drift]')" = '[1,null,0.5,null]' ]
	grep -q 'no verdict' "$TMP/r.html"
	# A feature's drift thresholds in the catalog replace the defaults.
	recs prompt_length 'seq 0.001 0.001 1' > "$TMP/pb.ndjson"
	recs prompt_length 'seq 0.0011 0.001 0.3' > "$TMP/pc.ndjson"
	"$FEAT_DRIFT" fit "$TMP/pb.ndjson" > "$TMP/pb.json"
	drift check --baseline "$TMP/pb.json" "$TMP/pc.ndjson"
	[ "$(echo "$output" | $JQ -c '[.n, .drift]')" = '[299,null]' ]
	drift check --baseline "$TMP/pb.json" --min-samples 100 "$TMP/pc.ndjson"
	[ "$(echo "$output" | $JQ -c '[.drift, .severity]')" = '["distribution_shift","high"]' ]
	echo '{"features":[{"name":"prompt_length","drift":{"min_samples":100,"psi_medium":10,"psi_high":20,"ks_p":0,"std_ratio_min":0.2}}]}' > "$TMP/ov.json"
	drift check --catalog-overlay "$TMP/ov.json" --baseline "$TMP/pb.json" "$TMP/pc.ndjson"
	[ "$(echo "$output" | $JQ -c '[.n, .drift, .severity]')" = '[299,"none","none"]' ]
	echo '{"features":[{"name":"prompt_length","drift":{"min_samples":100,"z_medium":1}}]}' > "$TMP/ov2.json"
	drift check --catalog-overlay "$TMP/ov2.json" --baseline "$TMP/pb.json" "$TMP/pc.ndjson"
	[ "$(echo "$output" | $JQ -c '[.drift, .severity]')" = '["mean_shift","high"]' ]
	# Values beyond 2^63 and near DBL_MAX: a baseline check reads back.
	recs v 'printf "%s\n" 1e19 -1e308 1e308 9.3e18' > "$TMP/h.ndjson"
	"$FEAT_DRIFT" fit "$TMP/h.ndjson" > "$TMP/h.json"
	drift check --baseline "$TMP/h.json" --min-samples 1 "$TMP/h.ndjson"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | $JQ -c '[.n, .psi]')" = '[4,0]' ]
	# A first value too large for a double does not hide its feature.
	recs v 'printf "%s\n" 1e400 1 2' > "$TMP/i.ndjson"
	"$FEAT_DRIFT" fit "$TMP/i.ndjson" > "$TMP/i.json" 2> "$TMP/err"
	[ "$($JQ -c '.features.v | [.type, .n]' "$TMP/i.json")" = '["numeric",2]' ]
	grep -q "1 value of another type than the feature's ignored" "$TMP/err"
	# Invalid baselines are refused: a negative std, proportions that
	# do not add up, more edges than bins allow.
	$JQ -c '.features.x.std = -5' "$TMP/b.json" > "$TMP/bad1.json"
	$JQ -c '.features.x.proportions |= map(0)' "$TMP/b.json" > "$TMP/bad2.json"
	$JQ -c '.features.x.edges += [1000]' "$TMP/b.json" > "$TMP/bad3.json"
	for f in bad1 bad2 bad3; do
		drift check --baseline "$TMP/$f.json" "$TMP/c.ndjson"
		[ "$status" -eq 2 ] || { echo "$f: $status"; false; }
	done
	# An unwritable metrics file is exit 4; a link to a file is followed
	# and kept; a device is written through.
	drift check --baseline "$TMP/b.json" --metrics-file "$TMP/no/m.prom" "$TMP/c.ndjson"
	[ "$status" -eq 4 ]
	touch "$TMP/target.html"
	ln -s "$TMP/target.html" "$TMP/link.html"
	drift check --baseline "$TMP/b.json" --report "$TMP/link.html" "$TMP/c.ndjson"
	[ "$status" -eq 0 ]
	[ -L "$TMP/link.html" ]
	grep -q '<svg' "$TMP/target.html"
	run bash -c '"$1" check --baseline "$2" --report /dev/stdout "$3" 2>/dev/null | grep -c "<svg"' _ "$FEAT_DRIFT" "$TMP/b.json" "$TMP/c.ndjson"
	[ "$output" -ge 1 ]
}

@test "drift-008: the second hostile pass: files that are others, huge spreads, catalog minimums, quiet inputs, SIGTERM" {
	recs x 'seq 1 100' > "$TMP/r"
	"$FEAT_DRIFT" fit "$TMP/r" > "$TMP/b.json"
	cp "$TMP/r" "$TMP/in"
	drift check --baseline "$TMP/b.json" --report "$TMP/in" "$TMP/in"
	[ "$status" -eq 2 ] && cmp "$TMP/in" "$TMP/r" || false
	drift check --baseline "$TMP/b.json" --metrics-file "$TMP/in" "$TMP/in"
	[ "$status" -eq 2 ] && cmp "$TMP/in" "$TMP/r" || false
	drift check --baseline "$TMP/b.json" --report "$TMP/b.json" "$TMP/in"
	[ "$status" -eq 2 ] && [ -s "$TMP/b.json" ] || false
	run bash -c '"$1" check --baseline "$2" --report /dev/stdout "$3" > "$4"' _ "$FEAT_DRIFT" "$TMP/b.json" "$TMP/in" "$TMP/out"
	[ "$status" -eq 2 ]
	# A spread past 1e154: std is a number, and no false alarm.
	recs v 'printf "%s\n" 1e200 -1e200 0' > "$TMP/h"
	"$FEAT_DRIFT" fit "$TMP/h" > "$TMP/h.json"
	[ "$($JQ '.features.v.std' "$TMP/h.json")" = 1e+200 ]
	drift check --baseline "$TMP/h.json" --min-samples 1 "$TMP/h"
	[ "$(echo "$output" | $JQ -c '[.z, .std_ratio, .drift]')" = '[0,1,"none"]' ]
	$JQ -c '.features.v.std = null' "$TMP/h.json" > "$TMP/hn.json"
	drift check --baseline "$TMP/hn.json" "$TMP/h"
	[ "$status" -eq 2 ]
	# A catalog minimum too large for a count never judges.
	recs prompt_length 'seq 0.1 0.1 0.9' > "$TMP/p"
	"$FEAT_DRIFT" fit "$TMP/p" > "$TMP/p.json"
	echo '{"features":[{"name":"prompt_length","drift":{"min_samples":1e20}}]}' > "$TMP/ov.json"
	drift check --catalog-overlay "$TMP/ov.json" --baseline "$TMP/p.json" "$TMP/p"
	[ "$(echo "$output" | $JQ -c .drift)" = null ]
	# Metrics of a --per-window burst are written when the input goes
	# quiet, not a window later.
	{ recs x 'seq 1 100' 2024-11-16T18:00:00Z; recs x 'seq 1 100' 2024-11-16T18:05:00Z; recs x 'seq 1 100' 2024-11-16T18:10:00Z; } > "$TMP/w"
	( cat "$TMP/w"; sleep 3 ) | "$FEAT_DRIFT" check --baseline "$TMP/b.json" --per-window --min-samples 10 --metrics-file "$TMP/m.prom" > /dev/null 2>&1 3>&- &
	local pid=$!
	sleep 2
	grep -qx 'feat_drift_evaluations_total 2' "$TMP/m.prom"
	wait "$pid"
	grep -qx 'feat_drift_evaluations_total 3' "$TMP/m.prom"
	# SIGTERM to fit: no baseline, and not exit 0.
	( cat "$TMP/r"; sleep 5 ) | "$FEAT_DRIFT" fit > "$TMP/stopped.json" 2> "$TMP/err" 3>&- &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 4 ]
	[ ! -s "$TMP/stopped.json" ]
	grep -q "stopped after 100 records: no baseline written" "$TMP/err"
}
