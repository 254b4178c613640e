#!/usr/bin/env bats
# window-pg.bats - PostgreSQL as the oracle of feat-window: the same events
# loaded into a table, the same windows computed in SQL (date_bin,
# percentile_cont, count, avg, sum), every value within 1e-9.  The server
# is the one scripts/services starts; without it the suite fails.
load helpers

setup_file() {
	[ -n "${FEAT_TEST_PG:-}" ] || {
		echo "FEAT_TEST_PG is not set: start the servers with scripts/services" >&2
		return 1
	}
}

# sql FILE: runs a script in one session (its temporary tables die with
# it), rows tab-separated, NULL written as null.
sql() {
	psql "$FEAT_TEST_PG" -XAtq -F "$(printf '\t')" -v ON_ERROR_STOP=1 \
	    -c '\pset null null' -f "$1"
}

# The Azure trace with a model (it has none), as events.
azure() {
	$MLR --icsv --ojsonl put '$model="azure-conv"' "$DATA/traces/azure-llm-conv-2023.csv" > "$TMP/azure.ndjson"
	# TIMESTAMP has 100 ns digits; PostgreSQL keeps microseconds.  No
	# event lies within a microsecond of a 5-minute boundary, so both
	# place every event in the same window.
	! grep -Eq ' [0-9]{2}:[0-9][49]:59\.99999[5-9]' "$DATA/traces/azure-llm-conv-2023.csv" || false
	cat > "$TMP/load.sql" <<EOF
create temp table az (ts timestamp, ctx bigint, gen bigint);
\\copy az from '$DATA/traces/azure-llm-conv-2023.csv' with (format csv, header true)
EOF
}

# The five aggregates of the issue, from feat-window's records, keyed by
# the epoch second of the window's end.
WINDOW_AGGS=(-a 'p50(input_tokens)' -a 'p95(input_tokens)' -a 'p99(output_tokens)' -a 'count()' -a 'mean(output_tokens)')
feat_table() {
	$JQ -r '[(.window.end | sub("\\.000Z$"; "Z") | fromdate),
	    .features.input_tokens_p50, .features.input_tokens_p95,
	    .features.output_tokens_p99, .features.count,
	    .features.output_tokens_mean] | map(if . == null then "null" else . end) | @tsv'
}

@test "window-pg-001: tumbling:5m on the Azure trace equals date_bin and percentile_cont" {
	azure
	"$FEAT_WINDOW" -w tumbling:5m -k model "${WINDOW_AGGS[@]}" "$TMP/azure.ndjson" | feat_table > "$TMP/feat"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'EOF'
select extract(epoch from date_bin('5 minutes', ts, timestamp '1970-01-01') + interval '5 minutes')::bigint,
    percentile_cont(0.5) within group (order by ctx),
    percentile_cont(0.95) within group (order by ctx),
    percentile_cont(0.99) within group (order by gen),
    count(*), avg(gen)::float8
from az group by 1 order by 1;
EOF
	sql "$TMP/q.sql" > "$TMP/sql"
	# The trace spans an hour: 12 windows, every event in one of them.
	[ "$(wc -l < "$TMP/feat")" -eq 12 ]
	[ "$(awk -F'\t' '{ n += $5 } END { print n }' "$TMP/feat")" -eq 19366 ]
	close_enough "$TMP/sql" "$TMP/feat"
}

@test "window-pg-002: sliding:1h/5m on the Azure trace equals the SQL of each hour" {
	azure
	"$FEAT_WINDOW" -w sliding:1h/5m -k model "${WINDOW_AGGS[@]}" "$TMP/azure.ndjson" | feat_table > "$TMP/feat"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'EOF'
with panes as (select distinct date_bin('5 minutes', ts, timestamp '1970-01-01') as s from az),
ends as (select distinct s + k * interval '5 minutes' as e from panes, generate_series(1, 12) as k)
select extract(epoch from e)::bigint,
    percentile_cont(0.5) within group (order by ctx),
    percentile_cont(0.95) within group (order by ctx),
    percentile_cont(0.99) within group (order by gen),
    count(*), avg(gen)::float8
from ends join az on az.ts >= e - interval '1 hour' and az.ts < e
group by e order by 1;
EOF
	sql "$TMP/q.sql" > "$TMP/sql"
	# 12 panes with events: 12 + 11 windows that hold one of them.
	[ "$(wc -l < "$TMP/feat")" -eq 23 ]
	close_enough "$TMP/sql" "$TMP/feat"
}

# The generated workload normalised (the same normaliser feat-window uses),
# one row per event: ms since the epoch, the key, how the call ended.
workload() {
	"$FEAT_GENLOAD" -n 100000 -s 21 > "$TMP/gen"
	"$FEAT_EXTRACT" -g event "$TMP/gen" | $JQ -r '
	    (.ts | capture("^(?<s>[^.]+)\\.(?<ms>[0-9]{3})Z$")) as $t |
	    [(($t.s + "Z" | fromdate) * 1000 + ($t.ms | tonumber)),
	     (.catalog_model // .model), .outcome, .latency_ms, .status,
	     .cost_usd, .input_tokens, .output_tokens, .retries]
	    | map(if . == null then "\\N" else tostring end) | join("\t")' > "$TMP/events.tsv"
	# Retries are in the workload, so retry_rate is not 0 everywhere.
	[ "$(awk -F'\t' '$9 != "\\N"' "$TMP/events.tsv" | wc -l)" -gt 1000 ]
	cat > "$TMP/load.sql" <<EOF
create temp table ev (ms bigint, k text, outcome boolean, latency float8,
    status text, cost float8, itok float8, otok float8, retries float8);
\\copy ev from '$TMP/events.tsv'
EOF
}

@test "window-pg-003: -p perf_5min on the generated workload equals SQL, every feature" {
	workload
	"$FEAT_WINDOW" -p perf_5min "$TMP/gen" > "$TMP/out"
	$JQ -r 'select(.group == "perf_5min") | .features as $f |
	    [.entity_id + "@" + .window.end, .window.count, $f.latency_p50_5min,
	     $f.latency_p95_5min, $f.latency_p99_5min, $f.success_rate_5min,
	     $f.error_rate_5min, $f.avg_cost_per_request_5min,
	     $f.throughput_qps_5min, $f.token_efficiency_5min,
	     $f.retry_rate_5min] | map(if . == null then "null" else . end) | @tsv' \
	    "$TMP/out" | LC_ALL=C sort > "$TMP/feat"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'EOF'
select k || '@' || to_char(to_timestamp((ms / 300000 + 1) * 300) at time zone 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    count(*),
    percentile_cont(0.5) within group (order by latency),
    percentile_cont(0.95) within group (order by latency),
    percentile_cont(0.99) within group (order by latency),
    avg((status = 'ok')::int)::float8,
    avg((status = 'error')::int)::float8,
    avg(cost),
    count(*) / 300.0,
    sum(otok) / nullif(sum(itok), 0),
    coalesce(sum(retries), 0) / count(*)
from ev where outcome group by k, ms / 300000;
EOF
	sql "$TMP/q.sql" | LC_ALL=C sort > "$TMP/sql"
	# Six models over half an hour of events.
	[ "$(wc -l < "$TMP/feat")" -ge 36 ]
	close_enough "$TMP/sql" "$TMP/feat"
	# Errors and retries vary, so the rates are not trivially equal.
	[ "$(cut -f 7 "$TMP/feat" | sort -u | wc -l)" -gt 10 ]
	[ "$(cut -f 11 "$TMP/feat" | sort -u | wc -l)" -gt 10 ]
}

@test "window-pg-004: fatigue_5min and perf_1hr on the generated workload equal SQL" {
	workload
	"$FEAT_WINDOW" -p perf_5min "$TMP/gen" | $JQ -r 'select(.group == "fatigue_5min") |
	    [.entity_id + "@" + .ts, .features.model_fatigue_score] | @tsv' | LC_ALL=C sort > "$TMP/feat"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'EOF'
with w as (select distinct k, (ms / 300000 + 1) * 300000 as e from ev where outcome)
select w.k || '@' || to_char(to_timestamp(w.e / 1000) at time zone 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    least(sum(power(2::float8, -(w.e - ev.ms) / 900000.0)) / 1000, 1)
from w join ev on ev.k = w.k and ev.outcome and ev.ms < w.e
group by w.k, w.e;
EOF
	sql "$TMP/q.sql" | LC_ALL=C sort > "$TMP/sql"
	[ "$(wc -l < "$TMP/feat")" -ge 36 ]
	close_enough "$TMP/sql" "$TMP/feat"

	"$FEAT_WINDOW" -p perf_1hr "$TMP/gen" | $JQ -r '.features as $f |
	    [.entity_id + "@" + .ts, .window.count, $f.latency_p50_1hr,
	     $f.latency_p95_1hr, $f.success_rate_1hr] | @tsv' | LC_ALL=C sort > "$TMP/feat"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'EOF'
with panes as (select distinct k, ms / 300000 as p from ev where outcome),
ends as (select distinct k, (p + s) * 300000 as e from panes, generate_series(1, 12) as s)
select ends.k || '@' || to_char(to_timestamp(e / 1000) at time zone 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    count(*),
    percentile_cont(0.5) within group (order by latency),
    percentile_cont(0.95) within group (order by latency),
    avg((status = 'ok')::int)::float8
from ends join ev on ev.k = ends.k and ev.outcome and ev.ms >= e - 3600000 and ev.ms < e
group by ends.k, e;
EOF
	sql "$TMP/q.sql" | LC_ALL=C sort > "$TMP/sql"
	[ "$(wc -l < "$TMP/feat")" -ge 60 ]
	close_enough "$TMP/sql" "$TMP/feat"
}
