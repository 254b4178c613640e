#!/usr/bin/env bats
# window-live.bats - feat-window on live streams and across machines:
# --partition, --late, --max-skew, --idle-flush, --key-ttl and
# --metrics-file.
load helpers

# The records without created (the clock's), sorted: what two runs that
# should agree are compared by.
records() {
	$JQ -cS 'del(.created)' "$@" | sort
}

@test "window-live-001: --partition I/N for N = 3: each key in one partition, the union the whole" {
	"$FEAT_GENLOAD" -n 20000 -s 5 > "$TMP/gen"
	local p
	for p in perf_5min perf_1hr; do
		"$FEAT_WINDOW" -p "$p" "$TMP/gen" > "$TMP/all" 2> /dev/null
		[ -s "$TMP/all" ]
		: > "$TMP/union"
		for i in 0 1 2; do
			"$FEAT_WINDOW" -p "$p" --partition "$i/3" "$TMP/gen" > "$TMP/p$i" 2> /dev/null
			cat "$TMP/p$i" >> "$TMP/union"
			$JQ -r .entity_id "$TMP/p$i" | sort -u > "$TMP/k$i"
		done
		# Every key's records come from exactly one partition ...
		[ -z "$(cat "$TMP/k0" "$TMP/k1" "$TMP/k2" | sort | uniq -d)" ]
		# ... at least two partitions hold keys ...
		[ "$(for i in 0 1 2; do [ -s "$TMP/k$i" ] && echo x; done | wc -l)" -ge 2 ]
		# ... and together they are the single process's records.
		diff <(records "$TMP/all") <(records "$TMP/union")
	done
	# An alias lands with its model (the id after catalog resolution).
	printf '%s\n' '{"ts":"2024-11-16T18:00:10Z","type":"response","model":"gpt-4o","latency_ms":1}' \
	    '{"ts":"2024-11-16T18:00:20Z","type":"response","model":"gpt-4o-2024-08-06","latency_ms":3}' > "$TMP/alias"
	for i in 0 1 2; do
		"$FEAT_WINDOW" -p perf_5min --partition "$i/3" "$TMP/alias" 2> /dev/null
	done | $JQ -c 'select(.group == "perf_5min") | [.entity_id, .window.count]' > "$TMP/out"
	[ "$(cat "$TMP/out")" = '["gpt-4o",2]' ]
	window -p perf_5min --partition 3/3 "$TMP/alias"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid --partition '3/3'"* ]]
}

@test "window-live-002: --late: an event late for a window is in the file and counted" {
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:05:06Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:04:30Z","model":"m","n":1}' \
	    '{"ts":"2024-11-16T18:06:00Z","model":"m"}' > "$TMP/in"
	window -w tumbling:5m -k model -a 'count()' --late "$TMP/late" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r '.window.count' <<< "$output" | tr '\n' ' ')" = "1 2 " ]
	[[ "$stderr" == *"1 late event"* ]]
	[ "$(cat "$TMP/late")" = '{"ts":"2024-11-16T18:04:30Z","model":"m","n":1}' ]
	# Appended to: a second run adds its own.
	window -w tumbling:5m -k model -a 'count()' --late "$TMP/late" "$TMP/in"
	[ "$(wc -l < "$TMP/late")" -eq 2 ]
	# Late for its first window, a sliding window's event is late (in the
	# file, counted) and still counts in those open: 18:04:30's
	# [17:55, 18:05) has fired, [18:00, 18:10) has not, and counts it.
	window -w sliding:10m/5m -k model -a 'count()' --late "$TMP/late2" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(cat "$TMP/late2")" = '{"ts":"2024-11-16T18:04:30Z","model":"m","n":1}' ]
	[[ "$stderr" == *"1 late event"* ]]
	[ "$($JQ -r 'select(.window.end == "2024-11-16T18:10:00.000Z") | .window.count' <<< "$output")" = 4 ]
	# The late file may not be the output or the input.
	window -w tumbling:5m -k model -a 'count()' --late "$TMP/in" "$TMP/in"
	[ "$status" -eq 2 ]
}

@test "window-live-003: --max-skew: one event dated 2099 is late and the watermark stays" {
	"$FEAT_GENLOAD" -n 3000 -s 6 > "$TMP/gen"
	{ head -n 1500 "$TMP/gen"; echo '{"ts":"2099-01-01T00:00:00Z","type":"response","model":"gpt-4o","latency_ms":1}'; tail -n +1501 "$TMP/gen"; } > "$TMP/skewed"
	"$FEAT_WINDOW" -p perf_5min "$TMP/gen" > "$TMP/clean" 2> /dev/null
	window -p perf_5min --max-skew 1h --late "$TMP/late" --metrics-file "$TMP/m" "$TMP/skewed"
	[ "$status" -eq 0 ]
	# The records are those of the stream without it ...
	diff <(records "$TMP/clean") <(echo "$output" | records)
	# ... and it is in --late, counted, said.
	[ "$(cat "$TMP/late")" = '{"ts":"2099-01-01T00:00:00Z","type":"response","model":"gpt-4o","latency_ms":1}' ]
	grep -q '^feat_window_late_events_total{reason="skewed"} 1$' "$TMP/m"
	[[ "$stderr" == *"1 event more than --max-skew ahead"* ]]
	# Without --max-skew it moves the watermark: what follows is late.
	window -p perf_5min "$TMP/skewed"
	[[ "$stderr" == *"late event"* ]]
	! diff <(records "$TMP/clean") <(echo "$output" | records) > /dev/null || false
}

@test "window-live-004: --idle-flush 2s fires an open window of a quiet live stream within 3 s" {
	mkfifo "$TMP/fifo"
	"$FEAT_WINDOW" -w tumbling:1m -k model -a 'count()' --unbuffered --idle-flush 2s < "$TMP/fifo" > "$TMP/out" 2> "$TMP/err" &
	pid=$!
	exec 4> "$TMP/fifo"
	echo '{"ts":"2024-11-16T18:00:10Z","model":"m"}' >&4
	echo '{"ts":"2024-11-16T18:00:20Z","model":"m"}' >&4
	local t0 t1
	t0=$(date +%s%N)
	for _ in $(seq 100); do [ -s "$TMP/out" ] && break; sleep 0.05; done
	t1=$(date +%s%N)
	exec 4>&-
	wait "$pid"
	# The window [18:00, 18:01) fired while the pipe stayed open and quiet.
	[ "$($JQ -r .window.count "$TMP/out")" = 2 ]
	echo "# fired after $(( (t1 - t0) / 1000000 )) ms" >&3
	[ "$(( (t1 - t0) / 1000000 ))" -lt 3000 ]
	[ "$(( (t1 - t0) / 1000000 ))" -ge 1500 ]
}

@test "window-live-005: --metrics-file: the counters, the open windows, the watermark" {
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:02:00Z"}' \
	    '{"ts":"2024-11-16T18:05:06Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:04:30Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:06:00Z","model":"n"}' > "$TMP/in"
	window -w tumbling:5m -k model -a 'count()' --metrics-file "$TMP/m" "$TMP/in"
	[ "$status" -eq 0 ]
	grep -q '^feat_window_events_total 5$' "$TMP/m"
	grep -q '^feat_window_late_events_total{reason="late"} 1$' "$TMP/m"
	grep -q '^feat_window_events_without_key_total 1$' "$TMP/m"
	grep -q '^feat_window_windows_fired_total 3$' "$TMP/m"
	grep -q '^feat_window_records_total 3$' "$TMP/m"
	grep -q '^feat_window_open_windows 0$' "$TMP/m"
	grep -q '^feat_window_watermark_seconds 1731780355.000$' "$TMP/m"
	# The clock (FEAT_NOW) less the watermark.
	grep -q '^feat_window_watermark_lag_seconds 21245.000$' "$TMP/m"
	# While a live stream is quiet, the file says what is open.
	mkfifo "$TMP/fifo"
	"$FEAT_WINDOW" -w sliding:10m/5m -k model -a 'count()' --metrics-file "$TMP/m2" < "$TMP/fifo" > /dev/null 2>&1 &
	pid=$!
	exec 4> "$TMP/fifo"
	echo '{"ts":"2024-11-16T18:01:00Z","model":"m"}' >&4
	echo '{"ts":"2024-11-16T18:01:00Z","model":"n"}' >&4
	for _ in $(seq 60); do [ -s "$TMP/m2" ] && break; sleep 0.05; done
	sleep 1.2
	cp "$TMP/m2" "$TMP/m2.quiet"
	exec 4>&-
	wait "$pid"
	# Each key's event is in two windows, none fired.
	grep -q '^feat_window_open_windows 4$' "$TMP/m2.quiet"
	grep -q '^feat_window_keys 2$' "$TMP/m2.quiet"
}

@test "window-live-006: --key-ttl lets idle keys go and changes no record" {
	# 200 keys, each seen in one hour only, over ten hours.
	awk 'BEGIN { for (h = 0; h < 10; h++) for (i = 0; i < 20; i++) for (j = 0; j < 3; j++)
		printf "{\"ts\":\"2024-11-16T%02d:%02d:00Z\",\"model\":\"k%d_%d\",\"latency_ms\":%d}\n", h, i * 2 + j, h, i, j }' > "$TMP/in"
	window -w tumbling:5m -k model -a 'count()' -a 'p95(latency_ms)' --metrics-file "$TMP/m0" "$TMP/in"
	[ "$status" -eq 0 ]
	cp <(echo "$output") "$TMP/all"
	window -w tumbling:5m -k model -a 'count()' -a 'p95(latency_ms)' --key-ttl 30m --metrics-file "$TMP/m1" "$TMP/in"
	[ "$status" -eq 0 ]
	diff <(records "$TMP/all") <(echo "$output" | records)
	grep -q '^feat_window_keys_expired_total 0$' "$TMP/m0"
	grep -q '^feat_window_keys 200$' "$TMP/m0"
	# Most keys went; those of the last hour are still held.
	n=$(awk '$1 == "feat_window_keys_expired_total" { print $2 }' "$TMP/m1")
	[ "$n" -ge 160 ]
	[ "$(awk '$1 == "feat_window_keys" { print $2 }' "$TMP/m1")" -eq $((200 - n)) ]
	window -w tumbling:5m -k model -a 'count()' --key-ttl 0s "$TMP/in"
	[ "$status" -eq 2 ]
}

@test "window-live-007: --sketch: every p50/p95/p99 within 1% of the exact value, the rest unchanged" {
	"$FEAT_GENLOAD" -n 100000 -s 8 > "$TMP/gen"
	local p w
	for p in perf_5min perf_1hr; do
		"$FEAT_WINDOW" -p "$p" "$TMP/gen" > "$TMP/exact" 2> /dev/null
		"$FEAT_WINDOW" -p "$p" --sketch "$TMP/gen" > "$TMP/sketch" 2> /dev/null
		[ "$(wc -l < "$TMP/exact")" -gt 20 ]
		[ "$(wc -l < "$TMP/exact")" -eq "$(wc -l < "$TMP/sketch")" ]
		w=$(pct_within "$TMP/exact" "$TMP/sketch")
		echo "# $p: worst relative error $w" >&3
		awk -v w="$w" 'BEGIN { exit !(w <= 0.01 && w > 0) }'
	done
	# The general form, percentiles of a sliding window.
	window -w sliding:10m/1m -k model -a 'p50(latency_ms)' -a 'p99.9(latency_ms)' -a 'p0(latency_ms)' --sketch "$TMP/gen"
	echo "$output" > "$TMP/sketch"
	"$FEAT_WINDOW" -w sliding:10m/1m -k model -a 'p50(latency_ms)' -a 'p99.9(latency_ms)' -a 'p0(latency_ms)' "$TMP/gen" > "$TMP/exact" 2> /dev/null
	w=$(pct_within "$TMP/exact" "$TMP/sketch")
	awk -v w="$w" 'BEGIN { exit !(w <= 0.01) }'
}

@test "window-live-008: distinct: exact up to 10,000 values, HyperLogLog within 3% past them" {
	awk 'BEGIN { for (i = 0; i < 30000; i++) printf "{\"ts\":\"2024-11-16T18:00:%02dZ\",\"model\":\"m\",\"session_id\":\"s%d\"}\n{\"ts\":\"2024-11-16T18:01:00Z\",\"model\":\"n\",\"session_id\":\"s%d\"}\n", i % 60, i, i % 7000 }' > "$TMP/in"
	window -w tumbling:5m -k model -a 'distinct(session_id)' "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r 'select(.entity_id == "n") | .features.session_id_distinct' <<< "$output")" -eq 7000 ]
	n=$($JQ -r 'select(.entity_id == "m") | .features.session_id_distinct' <<< "$output")
	echo "# 30,000 distinct counted as $n" >&3
	awk -v n="$n" 'BEGIN { d = (n - 30000) / 30000; exit !(d < 0.03 && d > -0.03) }'
}

@test "window-live-009: allowed lateness: a late event within it fires the window again, corrected and newer; past it, --late" {
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","model":"m","latency_ms":100}' \
	    '{"ts":"2024-11-16T18:05:06Z","model":"m","latency_ms":300}' \
	    '{"ts":"2024-11-16T18:04:30Z","model":"m","latency_ms":200}' \
	    '{"ts":"2024-11-16T18:07:00Z","model":"m","latency_ms":400}' \
	    '{"ts":"2024-11-16T18:04:40Z","model":"m","latency_ms":999}' > "$TMP/in"
	window -w tumbling:5m -k model -a 'count()' -a 'max(latency_ms)' --allowed-lateness 1m --late "$TMP/late" "$TMP/in"
	[ "$status" -eq 0 ]
	# [18:00, 18:05) fires at 18:05:01 with one event; 18:04:30 comes
	# within the minute: it fires again with two and a newer created;
	# 18:04:40 comes at 18:06:55, past 18:06: late.
	[ "$($JQ -c '[.ts, .window.count, .features.latency_ms_max, .created]' <<< "$output" | tr '\n' ' ')" = \
	    '["2024-11-16T18:05:00.000Z",1,100,"2024-11-17T00:00:00.000Z"] ["2024-11-16T18:05:00.000Z",2,200,"2024-11-17T00:00:00.001Z"] ["2024-11-16T18:10:00.000Z",2,400,"2024-11-17T00:00:00.000Z"] ' ]
	[ "$(cat "$TMP/late")" = '{"ts":"2024-11-16T18:04:40Z","model":"m","latency_ms":999}' ]
	[[ "$stderr" == *"1 late event"* ]]
	[[ "$stderr" == *"1 window fired again"* ]]
	# Upserted by (entity, group, version, ts), newest created winning:
	# the corrected window.
	[ "$($JQ -sc 'group_by(.ts) | map(max_by(.created) | .window.count)' <<< "$output")" = '[2,2]' ]
	# A sliding window: past the lateness of its first window, within
	# its second's, the event is in --late, counted, and counts there.
	window -w sliding:10m/5m -k model -a 'count()' --allowed-lateness 1m --late "$TMP/late2" "$TMP/in"
	[ "$(cat "$TMP/late2")" = '{"ts":"2024-11-16T18:04:40Z","model":"m","latency_ms":999}' ]
	[ "$($JQ -sc 'map(select(.ts == "2024-11-16T18:10:00.000Z")) | max_by(.created) | .window.count' <<< "$output")" = 5 ]
	# A preset takes its group's (perf_5min: 60 s).
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","type":"response","model":"gpt-4o","latency_ms":100}' \
	    '{"ts":"2024-11-16T18:05:06Z","type":"response","model":"gpt-4o","latency_ms":300}' \
	    '{"ts":"2024-11-16T18:04:30Z","type":"response","model":"gpt-4o","latency_ms":200}' > "$TMP/p"
	window -p perf_5min "$TMP/p"
	[ "$($JQ -c 'select(.group == "perf_5min" and .ts == "2024-11-16T18:05:00.000Z") | .features.latency_p50_5min' <<< "$output" | tr '\n' ' ')" = '100 150 ' ]
	window -p perf_5min --allowed-lateness 0s "$TMP/p"
	[ "$status" -eq 2 ]
	# fatigue_5min carries its sum from window to window: a lateness as
	# long as the slide would change earlier windows' successors.
	$JQ '.groups.perf_5min.window.allowed_lateness = "10m"' "$FEAT_CATALOG" > "$TMP/cat.json"
	window -p perf_5min --catalog "$TMP/cat.json" "$TMP/p"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"lateness must be shorter than its slide"* ]]
	# A key's first events in a window older than its last fired one
	# fire it for the first time: counted as fired, not fired again.
	printf '%s\n' '{"ts":"2024-11-16T18:06:00Z","model":"m"}' '{"ts":"2024-11-16T18:10:06Z","model":"x"}' \
	    '{"ts":"2024-11-16T18:03:00Z","model":"m"}' > "$TMP/ff"
	window -w tumbling:5m -k model -a 'count()' --allowed-lateness 7m --metrics-file "$TMP/ffm" "$TMP/ff"
	[ "$(wc -l <<< "$output")" -eq 3 ]
	grep -q '^feat_window_windows_fired_total 3$' "$TMP/ffm"
	grep -q '^feat_window_windows_refired_total 0$' "$TMP/ffm"
	[[ "$stderr" != *"fired again"* ]]
}

@test "window-live-010: what a hostile pass found: side files, skew, the metrics, the sketch's ends" {
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","model":"m","latency_ms":1.7e308}' \
	    '{"ts":"2024-11-16T18:02:00Z","model":"m","latency_ms":1.7e308}' \
	    '{"ts":"2024-11-16T18:03:00Z","model":"m","latency_ms":1.7e308}' > "$TMP/in"
	# --metrics-file may not be the input or the output, nor --late's
	# file however it is spelled; --max-skew must exceed the delay.
	cp "$TMP/in" "$TMP/keep"
	window -w tumbling:5m -k model -a 'count()' --metrics-file "$TMP/in" "$TMP/in"
	[ "$status" -eq 2 ] && cmp "$TMP/in" "$TMP/keep" || false
	window -w tumbling:5m -k model -a 'count()' --late "$TMP/lm" --metrics-file "$TMP/./lm" "$TMP/in"
	[ "$status" -eq 2 ]
	window -w tumbling:5m -k model -a 'count()' --max-skew 5s "$TMP/in"
	[ "$status" -eq 2 ]
	# A sketch of values near DBL_MAX: the values, not null.
	window -w tumbling:5m -k model -a 'p50(latency_ms)' -a 'p99.999(latency_ms)' --sketch "$TMP/in"
	[ "$($JQ -c .features <<< "$output")" = '{"latency_ms_p50":1.7e+308,"latency_ms_p99_999":1.7e+308}' ]
	# A metrics file that cannot be written is said; the records are not
	# lost for it.
	window -w tumbling:5m -k model -a 'count()' --metrics-file "$TMP/no/such/dir/m" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .window.count <<< "$output")" = 3 ]
	[[ "$stderr" == *"--metrics-file: "* ]]
	# A skewed event is in the late file of its key's partition only.
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","model":"m"}' '{"ts":"2099-01-01T00:00:00Z","model":"z"}' \
	    '{"ts":"2024-11-16T18:02:00Z","model":"m"}' > "$TMP/sk"
	for i in 0 1 2; do
		"$FEAT_WINDOW" -w tumbling:5m -k model -a 'count()' --max-skew 1h --late "$TMP/l$i" --partition "$i/3" "$TMP/sk" > /dev/null 2>&1
	done
	[ "$(cat "$TMP/l0" "$TMP/l1" "$TMP/l2" | wc -l)" -eq 1 ]
	# The open windows: not those past their lateness, which never fire.
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","model":"m"}' '{"ts":"2024-11-16T18:07:00Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:01:00Z","model":"n"}' > "$TMP/ow"
	mkfifo "$TMP/fifo"
	"$FEAT_WINDOW" -w sliding:10m/5m -k model -a 'count()' --metrics-file "$TMP/m" < "$TMP/fifo" > /dev/null 2>&1 &
	pid=$!
	exec 4> "$TMP/fifo"
	cat "$TMP/ow" >&4
	# The file of a second after all three were read (up to 10 s on a
	# loaded machine).
	for _ in $(seq 100); do
		grep -qs '^feat_window_events_total 3$' "$TMP/m" && break
		sleep 0.1
	done
	cp "$TMP/m" "$TMP/m.quiet"
	exec 4>&-
	wait "$pid"
	grep -q '^feat_window_open_windows 3$' "$TMP/m.quiet"
}
