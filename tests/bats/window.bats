#!/usr/bin/env bats
# window.bats - feat-window: the presets on a fixture computed by hand, the
# general form, the watermark and event-time order, --created watermark,
# the records' envelope, and usage errors.
load helpers

# One model's calls logged as a start line and an end line each, an alias
# of the same model, a model the catalog does not know, an end line
# without a model.  Every value the tests expect is worked out beside it.
perf_fixture() {
	cat > "$TMP/perf.ndjson" <<'EOF'
{"ts":"2024-11-16T18:00:10Z","type":"request","request_id":"a","model":"gpt-4o","prompt":"hi"}
{"ts":"2024-11-16T18:00:11Z","type":"response","request_id":"a","model":"gpt-4o","latency_ms":100,"input_tokens":100,"output_tokens":50,"cost_usd":0.01,"status":"ok"}
{"ts":"2024-11-16T18:00:59Z","type":"request","request_id":"b","model":"gpt-4o-2024-08-06","prompt":"hello"}
{"ts":"2024-11-16T18:01:00Z","type":"response","request_id":"b","model":"gpt-4o-2024-08-06","latency_ms":200,"input_tokens":200,"output_tokens":100,"cost_usd":0.02,"retries":2}
{"ts":"2024-11-16T18:01:50Z","type":"request","request_id":"c","model":"gpt-4o","prompt":"slow"}
{"ts":"2024-11-16T18:02:00Z","type":"response","request_id":"c","model":"gpt-4o","latency_ms":300,"input_tokens":100,"output_tokens":0,"cost_usd":0,"status":"error","error":"Upstream TIMEOUT after 30s"}
{"ts":"2024-11-16T18:02:30Z","type":"response","request_id":"l1","model":"local-llm","latency_ms":50,"cost_usd":0.004}
{"ts":"2024-11-16T18:02:40Z","type":"response","request_id":"l2","model":"local-llm","latency_ms":150}
{"ts":"2024-11-16T18:02:59Z","type":"request","request_id":"d","model":"gpt-4o","prompt":"again"}
{"ts":"2024-11-16T18:03:00Z","type":"response","request_id":"d","model":"gpt-4o","latency_ms":400,"input_tokens":100,"output_tokens":50,"cost_usd":0.03,"retries":1}
{"ts":"2024-11-16T18:04:00Z","type":"response","request_id":"e","latency_ms":999}
{"ts":"2024-11-16T18:06:00Z","type":"response","request_id":"f","model":"gpt-4o","latency_ms":500,"input_tokens":10,"output_tokens":10,"cost_usd":0.001}
EOF
}

# feature NAME GROUP ENTITY END: the value of one feature of one record.
feature() {
	$JQ -r --arg g "$2" --arg e "$3" --arg t "$4" --arg f "$1" \
	    'select(.group == $g and .entity_id == $e and .ts == $t) | .features[$f]' <<< "$output"
}

@test "window-001: perf_5min on a hand-computed fixture: every feature" {
	perf_fixture
	window -p perf_5min "$TMP/perf.ndjson"
	[ "$status" -eq 0 ]
	t=2024-11-16T18:05:00.000Z
	# gpt-4o in [18:00, 18:05): four calls (the alias is the same model),
	# latencies 100 200 300 400, one error (a timeout), costs .01 .02 0 .03,
	# tokens in 500 out 200, retries 2 + 1.
	[ "$(feature latency_p50_5min perf_5min gpt-4o $t)" = 250 ]
	[ "$(feature latency_p95_5min perf_5min gpt-4o $t)" = 385 ]
	[ "$(feature latency_p99_5min perf_5min gpt-4o $t)" = 397 ]
	[ "$(feature success_rate_5min perf_5min gpt-4o $t)" = 0.75 ]
	[ "$(feature error_rate_5min perf_5min gpt-4o $t)" = 0.25 ]
	[ "$(feature avg_cost_per_request_5min perf_5min gpt-4o $t)" = 0.015 ]
	[ "$(feature throughput_qps_5min perf_5min gpt-4o $t)" = 0.013333333333333334 ]
	[ "$(feature token_efficiency_5min perf_5min gpt-4o $t)" = 0.4 ]
	[ "$(feature retry_rate_5min perf_5min gpt-4o $t)" = 0.75 ]
	# Exactly the nine PERF features, and the window object.
	[ "$($JQ -c 'select(.group == "perf_5min" and .entity_id == "gpt-4o") | .features | keys | length' <<< "$output" | sort -u)" = 9 ]
	[ "$($JQ -c --arg t $t 'select(.group == "perf_5min" and .entity_id == "gpt-4o" and .ts == $t) | .window' <<< "$output")" = \
	    '{"start":"2024-11-16T18:00:00.000Z","end":"2024-11-16T18:05:00.000Z","count":4}' ]
	# local-llm: the catalog does not know it: its raw name; the mean cost
	# is of the non-null costs; no tokens: no efficiency; no retries: 0.
	[ "$(feature avg_cost_per_request_5min perf_5min local-llm $t)" = 0.004 ]
	[ "$(feature latency_p50_5min perf_5min local-llm $t)" = 100 ]
	[ "$(feature token_efficiency_5min perf_5min local-llm $t)" = null ]
	[ "$(feature retry_rate_5min perf_5min local-llm $t)" = 0 ]
	# The next window holds the call of 18:06 alone.
	t2=2024-11-16T18:10:00.000Z
	[ "$(feature latency_p50_5min perf_5min gpt-4o $t2)" = 500 ]
	[ "$(feature throughput_qps_5min perf_5min gpt-4o $t2)" = 0.0033333333333333335 ]
	# The end line without a model is counted, never an error.
	[[ "$stderr" == *"1 event without 'model'"* ]]
}

@test "window-002: fatigue_5min beside perf_5min: decayed volume, by hand" {
	perf_fixture
	window -p perf_5min "$TMP/perf.ndjson"
	[ "$status" -eq 0 ]
	# 2^(-(end - t)/15 min) for the calls at 18:00:11, 18:01, 18:02 and
	# 18:03 at 18:05; at 18:10 that sum decayed by 5 minutes plus 18:06's.
	want=$(awk 'BEGIN {
		s = 2^(-289/900) + 2^(-240/900) + 2^(-180/900) + 2^(-120/900)
		printf "%.17g %.17g\n", s / 1000, (s * 2^(-300/900) + 2^(-240/900)) / 1000 }')
	got1=$(feature model_fatigue_score fatigue_5min gpt-4o 2024-11-16T18:05:00.000Z)
	got2=$(feature model_fatigue_score fatigue_5min gpt-4o 2024-11-16T18:10:00.000Z)
	awk -v w="$want" -v a="$got1" -v b="$got2" 'BEGIN {
		split(w, x, " ")
		d1 = a - x[1]; d2 = b - x[2]
		exit !(d1 < 1e-15 && d1 > -1e-15 && d2 < 1e-15 && d2 > -1e-15) }'
	# One fatigue record beside each perf_5min record: same key, ts, window.
	[ "$($JQ -c 'select(.group == "perf_5min") | [.entity_id, .ts, .window]' <<< "$output")" = \
	  "$($JQ -c 'select(.group == "fatigue_5min") | [.entity_id, .ts, .window]' <<< "$output")" ]
	[ "$($JQ -c 'select(.group == "fatigue_5min") | .features | keys' <<< "$output" | sort -u)" = '["model_fatigue_score"]' ]
}

@test "window-003: a call logged as a start and an end line counts once" {
	perf_fixture
	window -p perf_5min "$TMP/perf.ndjson"
	[ "$($JQ -r 'select(.group == "perf_5min" and .entity_id == "gpt-4o") | .window.count' <<< "$output" | tr '\n' ' ')" = "4 1 " ]
	# The general form over every event counts the start lines too.
	window -w tumbling:5m -k model -a 'count()' "$TMP/perf.ndjson"
	[ "$($JQ -r 'select(.entity_id == "gpt-4o") | .features.count' <<< "$output" | tr '\n' ' ')" = "8 1 " ]
	window -w tumbling:5m -k model -a 'count()' --events outcome "$TMP/perf.ndjson"
	[ "$($JQ -r 'select(.entity_id == "gpt-4o") | .features.count' <<< "$output" | tr '\n' ' ')" = "4 1 " ]
}

@test "window-004: perf_1hr slides every 5 minutes over the last hour" {
	perf_fixture
	window -p perf_1hr "$TMP/perf.ndjson"
	[ "$status" -eq 0 ]
	# gpt-4o's windows end at 18:05, 18:10, ..., 19:05: 13 of them, the
	# first with the four calls, the others with all five until 19:00.
	[ "$($JQ -r 'select(.entity_id == "gpt-4o") | .ts' <<< "$output" | wc -l)" -eq 13 ]
	[ "$(feature latency_p50_1hr perf_1hr gpt-4o 2024-11-16T18:05:00.000Z)" = 250 ]
	[ "$(feature latency_p50_1hr perf_1hr gpt-4o 2024-11-16T18:10:00.000Z)" = 300 ]
	[ "$(feature latency_p95_1hr perf_1hr gpt-4o 2024-11-16T18:10:00.000Z)" = 480 ]
	[ "$(feature success_rate_1hr perf_1hr gpt-4o 2024-11-16T19:00:00.000Z)" = 0.8 ]
	[ "$(feature success_rate_1hr perf_1hr gpt-4o 2024-11-16T19:05:00.000Z)" = 1 ]
	[ "$($JQ -c 'select(.entity_id == "gpt-4o" and .ts == "2024-11-16T19:00:00.000Z") | .window' <<< "$output")" = \
	    '{"start":"2024-11-16T18:00:00.000Z","end":"2024-11-16T19:00:00.000Z","count":5}' ]
	[ "$($JQ -c 'select(.entity_id == "gpt-4o" and .ts == "2024-11-16T19:05:00.000Z") | .window' <<< "$output")" = \
	    '{"start":"2024-11-16T18:05:00.000Z","end":"2024-11-16T19:05:00.000Z","count":1}' ]
	[ "$($JQ -c '.features | keys' <<< "$output" | sort -u)" = '["latency_p50_1hr","latency_p95_1hr","success_rate_1hr"]' ]
}

@test "window-005: context_1min and context_5min: queue, concurrency, timeouts" {
	cat > "$TMP/ctx.ndjson" <<'EOF'
{"ts":"2024-11-16T18:00:05Z","type":"system_health","component":"api","queue_depth":10,"active_requests":4}
{"ts":"2024-11-16T18:00:25Z","type":"system_health","component":"api","queue_depth":99,"active_requests":6}
{"ts":"2024-11-16T18:00:30Z","type":"system_health","queue_depth":5000,"active_requests":1}
{"ts":"2024-11-16T18:00:40Z","type":"response","component":"api","latency_ms":30000,"error":{"message":"Request timeout"}}
{"ts":"2024-11-16T18:00:41Z","type":"response","component":"api","latency_ms":300,"error":"rate limited"}
{"ts":"2024-11-16T18:00:42Z","type":"response","component":"api","latency_ms":200}
{"ts":"2024-11-16T18:00:43Z","type":"request","component":"api","prompt":"not an outcome"}
EOF
	window -p context_1min "$TMP/ctx.ndjson"
	[ "$status" -eq 0 ]
	t=2024-11-16T18:01:00.000Z
	# api: max queue_depth 99: ln(100)/ln(1001); mean active (4 + 6)/2.
	want=$(awk 'BEGIN { printf "%.17g", log(100) / log(1001) }')
	got=$(feature queue_depth context_1min api $t)
	awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-15 && d > -1e-15) }'
	[ "$(feature concurrent_requests context_1min api $t)" = 5 ]
	# "any" events of a group: those carrying a field it reads, so the
	# calls of api and the request without a component make no window.
	[ "$($JQ -r --arg t $t 'select(.entity_id == "api") | [.entity_type, .window.count] | @tsv' <<< "$output")" = "$(printf 'system\t2')" ]
	[ "$($JQ -r '.entity_id' <<< "$output" | tr '\n' ' ')" = "api global " ]
	# No component: "global"; a queue past 1000 caps at 1.
	[ "$(feature queue_depth context_1min global $t)" = 1 ]
	window -p context_5min "$TMP/ctx.ndjson"
	[ "$status" -eq 0 ]
	# Three outcome events of api, one a timeout (in an error object).
	[ "$($JQ -c 'select(.entity_id == "api") | [.features.timeout_rate_5min, .window.count]' <<< "$output")" = '[0.3333333333333333,3]' ]
	[ "$($JQ -r '.entity_id' <<< "$output")" = api ]
}

@test "window-006: the general form: default names, entity types, -G, -e" {
	perf_fixture
	window -w tumbling:5m -k model -a 'p99.9(latency_ms)' -a 'ratio(output_tokens,input_tokens)' \
	    -a 'count()' -a 'mean(latency_ms) as lat' -a 'sum(retries)' -a 'min(latency_ms)' \
	    -a 'max(latency_ms)' -a 'var(latency_ms)' -a 'stddev(latency_ms)' -a 'rate()' \
	    -a 'distinct(request_id)' -a 'count(cost_usd)' --events outcome "$TMP/perf.ndjson"
	[ "$status" -eq 0 ]
	r=$($JQ -c 'select(.entity_id == "gpt-4o" and .ts == "2024-11-16T18:05:00.000Z")' <<< "$output")
	[ "$($JQ -r '[.entity_type, .group, .version] | @tsv' <<< "$r")" = "$(printf 'model\twindow\t1')" ]
	[ "$($JQ -c '.features' <<< "$r")" = \
	    '{"latency_ms_p99_9":399.7,"output_tokens_per_input_tokens":0.4,"count":4,"lat":250,"retries_sum":3,"latency_ms_min":100,"latency_ms_max":400,"latency_ms_var":16666.666666666668,"latency_ms_stddev":129.09944487358058,"rate":0.013333333333333334,"request_id_distinct":4,"cost_usd_count":4}' ]
	# -e and -G name the records; other keys default to their own name.
	window -w tumbling:1h -k user_id -a 'count()' <<< '{"ts":1,"user_id":"u1"}'
	[ "$($JQ -r '[.entity_type, .entity_id, .group] | @tsv' <<< "$output")" = "$(printf 'user\tu1\twindow')" ]
	window -w tumbling:1h -k metadata.tenant -e tenant -G tenant_1h -a 'sum(metadata.units)' \
	    <<< '{"ts":1,"metadata":{"tenant":"acme","units":2.5}}'
	[ "$status" -eq 0 ]
	[ "$($JQ -c '[.entity_type, .entity_id, .group, .features]' <<< "$output")" = '["tenant","acme","tenant_1h",{"metadata_units_sum":2.5}]' ]
	window -w tumbling:1h -k region -a 'count()' <<< '{"ts":1,"region":"eu"}'
	[ "$($JQ -r .entity_type <<< "$output")" = region ]
	# Booleans average to rates.
	printf '%s\n' '{"ts":1,"user_id":"u","type":"feedback","liked":true}' \
	    '{"ts":2,"user_id":"u","type":"feedback","liked":false}' \
	    '{"ts":3,"user_id":"u","type":"feedback","liked":true}' \
	    '{"ts":4,"user_id":"u","type":"feedback"}' > "$TMP/fb"
	window -w tumbling:1h -k user_id -a 'mean(liked)' -a 'count(liked)' --events feedback "$TMP/fb"
	[ "$($JQ -c .features <<< "$output")" = '{"liked_mean":0.6666666666666666,"liked_count":3}' ]
}

@test "window-007: windows are [start, end): an event at the end opens the next" {
	printf '%s\n' '{"ts":"2024-11-16T18:04:59.999999999Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:05:00Z","model":"m"}' \
	    '{"ts":"1969-12-31T23:59:59Z","model":"old"}' > "$TMP/in"
	window -w tumbling:5m -k model -a 'count()' --watermark-delay 100000d "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -r '[.entity_id, .window.start, .window.end, .window.count] | @tsv' <<< "$output")" = "$(printf '%s\n' \
	    "old	1969-12-31T23:55:00.000Z	1970-01-01T00:00:00.000Z	1" \
	    "m	2024-11-16T18:00:00.000Z	2024-11-16T18:05:00.000Z	1" \
	    "m	2024-11-16T18:05:00.000Z	2024-11-16T18:10:00.000Z	1")" ]
	# --align shifts every window.
	window -w tumbling:5m -k model -a 'count()' --align 1m "$TMP/in" --watermark-delay 100000d
	[ "$($JQ -r '.window.start' <<< "$output" | tr '\n' ' ')" = "1969-12-31T23:56:00.000Z 2024-11-16T18:01:00.000Z " ]
}

@test "window-008: the watermark: fires as it passes, counts late events" {
	printf '%s\n' '{"ts":"2024-11-16T18:01:00Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:05:04Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:04:00Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:05:06Z","model":"m"}' \
	    '{"ts":"2024-11-16T18:04:30Z","model":"m"}' > "$TMP/in"
	window -w tumbling:5m -k model -a 'count()' "$TMP/in"
	[ "$status" -eq 0 ]
	# 18:04:00 came while the watermark (18:04:59) was short of 18:05: in;
	# 18:04:30 came after 18:05:06 moved it to 18:05:01: late, counted.
	[ "$($JQ -r '.window.count' <<< "$output" | tr '\n' ' ')" = "2 2 " ]
	[[ "$stderr" == *"1 late event"* ]]
	# With a longer delay nothing is late.
	window -w tumbling:5m -k model -a 'count()' --watermark-delay 1m "$TMP/in"
	[ "$($JQ -r '.window.count' <<< "$output" | tr '\n' ' ')" = "3 2 " ]
	[[ "$stderr" != *late* ]]
}

@test "window-009: --unbuffered writes each window as the watermark passes it" {
	mkfifo "$TMP/fifo"
	"$FEAT_WINDOW" -w tumbling:1m -k model -a 'count()' --unbuffered < "$TMP/fifo" > "$TMP/out" &
	pid=$!
	# The writer keeps the pipe open until the first window is out.
	{
		echo '{"ts":"2024-11-16T18:00:10Z","model":"m"}'
		echo '{"ts":"2024-11-16T18:01:06Z","model":"m"}'
		for _ in $(seq 100); do [ -s "$TMP/out" ] && break; sleep 0.05; done
		cp "$TMP/out" "$TMP/early"
	} > "$TMP/fifo"
	wait "$pid"
	[ "$($JQ -r .window.count "$TMP/early")" = 1 ]
	[ "$(wc -l < "$TMP/out")" -eq 2 ]
}

@test "window-010: shuffled within the watermark delay: the same records" {
	"$FEAT_GENLOAD" -n 20000 -s 9 > "$TMP/sorted"
	# Each line moved by up to 4.9 s of its time: never past the 5 s delay.
	awk 'BEGIN { srand(3) } {
		t = substr($0, 19, 2) * 3600000 + substr($0, 22, 2) * 60000 + substr($0, 25, 2) * 1000 + substr($0, 28, 3)
		printf "%.3f\t%s\n", t + rand() * 4900, $0 }' "$TMP/sorted" |
	    sort -t "$(printf '\t')" -k1,1n | cut -f 2- > "$TMP/shuffled"
	! cmp -s "$TMP/sorted" "$TMP/shuffled" || false
	for p in perf_5min perf_1hr; do
		"$FEAT_WINDOW" -p $p "$TMP/sorted" | $JQ -c 'del(.created)' > "$TMP/a"
		"$FEAT_WINDOW" -p $p "$TMP/shuffled" 2> "$TMP/err" | $JQ -c 'del(.created)' > "$TMP/b"
		[ -s "$TMP/a" ]
		[ ! -s "$TMP/err" ]
		cmp "$TMP/a" "$TMP/b"
	done
	"$FEAT_WINDOW" -w sliding:10m/1m -k user_id -a 'p90(latency_ms)' -a 'distinct(session_id)' "$TMP/sorted" | $JQ -c 'del(.created)' > "$TMP/a"
	"$FEAT_WINDOW" -w sliding:10m/1m -k user_id -a 'p90(latency_ms)' -a 'distinct(session_id)' "$TMP/shuffled" | $JQ -c 'del(.created)' > "$TMP/b"
	cmp "$TMP/a" "$TMP/b"
}

@test "window-011: --created watermark: two runs byte-identical without FEAT_NOW" {
	"$FEAT_GENLOAD" -n 5000 -s 4 > "$TMP/gen"
	unset FEAT_NOW
	"$FEAT_WINDOW" -p perf_5min --created watermark "$TMP/gen" > "$TMP/a"
	sleep 0.01
	"$FEAT_WINDOW" -p perf_5min --created watermark "$TMP/gen" > "$TMP/b"
	[ -s "$TMP/a" ]
	cmp "$TMP/a" "$TMP/b"
	# created: the watermark of the fire, never before the window's end.
	[ "$($JQ -r 'select(.created < .ts)' "$TMP/a" | wc -l)" -eq 0 ]
	# The first window fired when an event 5 s past its end came.
	first=$($JQ -r 'select(.ts == "2024-11-16T00:05:00.000Z") | .created' "$TMP/a" | sort -u)
	[[ "$first" == 2024-11-16T00:05:00.* ]]
	# From the clock otherwise: FEAT_NOW when set.
	FEAT_NOW=2030-01-01T00:00:00Z "$FEAT_WINDOW" -p perf_5min "$TMP/gen" > "$TMP/c"
	[ "$($JQ -r .created "$TMP/c" | sort -u)" = 2030-01-01T00:00:00.000Z ]
}

@test "window-012: records read back by the record module; --group-version" {
	perf_fixture
	window -p perf_5min --group-version 3 "$TMP/perf.ndjson"
	[ "$($JQ -r .version <<< "$output" | sort -u)" = 3 ]
	# Every record is a valid feature record of feat-records(5).
	[ "$($JQ -c 'select((.entity_type|test("^[a-z0-9_]+$")) and (.group|test("^[a-z0-9_]+$")) and .ts == .window.end) | 1' <<< "$output" | wc -l)" -eq "$(wc -l <<< "$output")" ]
}

@test "window-013: usage errors exit 2 with a message" {
	for args in "" "-p nope" "-p perf_5min -w tumbling:5m" "-w tumbling:5m -k model" \
	    "-w sliding:1h/7m -k model -a count()" "-w session:30m/0s -k session_id -a count()" \
	    "-w tumbling:5m -k model -a median(latency_ms)" "-w tumbling:5m -k model -a mean(prompt)" \
	    "-w tumbling:5m -k model -a count() -a count()" "-w tumbling:5m -k model -a count() -G Bad" \
	    "-w tumbling:5m -k model -a count() --events nope" "-w tumbling:5m -k model -a count() --created never" \
	    "-w tumbling:5m -k model -a count() --watermark-delay -1s" "-w session:5m -k model -a count() --align x"; do
		window $args < /dev/null
		[ "$status" -eq 2 ] || { echo "'$args': $status"; false; }
		[[ "$stderr" == feat-window:* ]] || { echo "'$args': $stderr"; false; }
	done
	window -w session:30m/0s -k session_id -a 'count()' < /dev/null
	[[ "$stderr" == *"invalid window 'session:30m/0s'"* ]]
}

@test "window-014: bad lines and long keys follow --on-error" {
	printf '%s\n' '{"ts":"2024-11-16T18:00:00Z","model":"m","latency_ms":1}' 'not json' \
	    '{"model":"m"}' '{"ts":"2024-11-16T18:00:01Z","model":"m","latency_ms":3}' > "$TMP/in"
	window -w tumbling:5m -k model -a 'mean(latency_ms)' "$TMP/in"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	window -w tumbling:5m -k model -a 'mean(latency_ms)' --on-error skip "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -c .features <<< "$output")" = '{"latency_ms_mean":2}' ]
	# An entity id holds at most 512 bytes: a longer key is a bad line.
	long=$(printf 'x%.0s' $(seq 513))
	printf '{"ts":1,"model":"%s"}\n{"ts":2,"model":"ok"}\n' "$long" > "$TMP/long"
	window -w tumbling:5m -k model -a 'count()' "$TMP/long"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *":1: field 'model' is too long: 513 bytes"* ]]
	window -w tumbling:5m -k model -a 'count()' --on-error skip "$TMP/long"
	[ "$status" -eq 0 ]
	[ "$($JQ -r .entity_id <<< "$output")" = ok ]
	printf '{"ts":1,"model":"%s"}\n' "${long%x}" > "$TMP/max"
	window -w tumbling:5m -k model -a 'count()' "$TMP/max"
	[ "$status" -eq 0 ]
	[ "$($JQ -r '.entity_id | length' <<< "$output")" -eq 512 ]
}

@test "window-015: an event whose windows reach past 2262 or before 1677 is a bad line, not lost" {
	printf '%s\n' '{"ts":"2024-11-16T18:00:00Z","model":"a"}' \
	    '{"ts":"2262-04-11T12:00:00Z","model":"b"}' \
	    '{"ts":"2024-11-16T18:00:30Z","model":"a"}' \
	    '{"ts":"1677-09-21T00:13:00Z","model":"m"}' > "$TMP/far.ndjson"
	window -w tumbling:1d -k model -a 'count()' "$TMP/far.ndjson"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"far.ndjson:2: invalid timestamp: its windows reach past the times feat holds"* ]]
	window -w tumbling:1d -k model -a 'count()' --on-error skip "$TMP/far.ndjson"
	[ "$status" -eq 0 ]
	[ "$($JQ -c '[.entity_id, .features.count, .window.count]' <<< "$output")" = '["a",2,2]' ]
	[[ "$stderr" == *"2 bad lines skipped"* ]]
	[[ "$stderr" != *late* ]]
}
