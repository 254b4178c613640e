#!/usr/bin/env bats
# join.bats - feat-join against a dir: store: the as-of rule, statuses,
# rows passed through in order, bad rows, and PostgreSQL as the oracle of
# point-in-time correctness (DISTINCT ON ... ORDER BY ts DESC, created
# DESC) over 10,000 rows and 100,000 records with ties.  The server is the
# one scripts/services starts; without it the PostgreSQL tests fail.
load helpers

join_() {
	: "${FEAT_JOIN:?run the suites through make check}"
	run --separate-stderr "$FEAT_JOIN" "$@"
}

# rec ID TS CREATED P50 [P95]: one perf_5min record ("" CREATED: none).
rec() {
	local cr=
	[ -n "$3" ] && cr=",\"created\":\"$3\""
	printf '{"entity_type":"model","entity_id":"%s","group":"perf_5min","version":1,"ts":"%s"%s,"features":{"latency_p50_5min":%s,"latency_p95_5min":%s}}\n' \
	    "$1" "$2" "$cr" "$4" "${5:-null}"
}

store() {	# FILE...: loaded into $TMP/st
	"$FEAT_LOAD" --to "dir:$TMP/st" "$@" 2>/dev/null
}

@test "join-001: the latest record at or before the row's ts; ties by the latest created" {
	{
		rec m1 2024-11-16T00:05:00Z 2024-11-16T00:05:01Z 100
		rec m1 2024-11-16T00:10:00Z 2024-11-16T00:10:01Z 200
		rec m1 2024-11-16T00:10:00Z 2024-11-16T00:10:09Z 210
		rec m1 2024-11-16T00:10:00Z 2024-11-16T00:10:05Z 205
		rec m1 2024-11-16T00:15:00Z "" 300
		rec m1 2024-11-16T00:15:00Z 2024-11-16T00:14:00Z 310
	} > "$TMP/r.ndjson"
	store "$TMP/r.ndjson"
	for t in 00:04:59.999 00:05:00 00:09:59.999 00:10:00 00:14:59 00:15:00 01:00:00; do
		printf '{"ts":"2024-11-16T%sZ","m":"m1"}\n' "$t"
	done > "$TMP/rows"
	join_ --from "dir:$TMP/st" -g perf_5min:latency_p50_5min --key m=model "$TMP/rows"
	[ "$status" -eq 0 ]
	[ "$($JQ -c '[.features.latency_p50_5min, .feature_status.latency_p50_5min]' <<< "$output" | tr '\n' ' ')" = \
	    '[null,"not_found"] [100,"present"] [100,"present"] [210,"present"] [210,"present"] [310,"present"] [310,"present"] ' ]
	# A record without created is the oldest of its ties.
	[[ "$stderr" == *"7 rows joined: 6 values present, 0 null, 1 not found, 0 stale"* ]]
}

@test "join-002: --no-future-created skips records computed after the row" {
	{
		rec m1 2024-11-16T00:05:00Z 2024-11-16T00:05:01Z 100
		rec m1 2024-11-16T00:10:00Z 2024-11-16T00:10:30Z 200
		rec m1 2024-11-16T00:10:00Z 2024-11-16T00:10:00Z 190
	} > "$TMP/r.ndjson"
	store "$TMP/r.ndjson"
	printf '{"ts":"2024-11-16T00:10:10Z","m":"m1"}\n{"ts":"2024-11-16T00:10:30Z","m":"m1"}\n' > "$TMP/rows"
	join_ --from "dir:$TMP/st" -g perf_5min:latency_p50_5min --key m=model "$TMP/rows"
	[ "$($JQ -c .features.latency_p50_5min <<< "$output" | tr '\n' ' ')" = '200 200 ' ]
	join_ --from "dir:$TMP/st" -g perf_5min:latency_p50_5min --key m=model --no-future-created "$TMP/rows"
	[ "$($JQ -c .features.latency_p50_5min <<< "$output" | tr '\n' ' ')" = '190 200 ' ]
}

@test "join-003: statuses present, null, not_found, stale; --max-age bound is inclusive" {
	{
		rec m1 2024-11-16T00:05:00Z 2024-11-16T00:05:01Z 100 null
		rec m2 2024-11-16T00:05:00Z 2024-11-16T00:05:01Z 7
	} > "$TMP/r.ndjson"
	store "$TMP/r.ndjson"
	{
		echo '{"ts":"2024-11-16T00:10:00Z","entity_type":"model","entity_id":"m1"}'
		echo '{"ts":"2024-11-16T00:10:00.001Z","entity_type":"model","entity_id":"m1"}'
		echo '{"ts":"2024-11-16T00:06:00Z","entity_type":"model","entity_id":"nope"}'
		echo '{"ts":"2024-11-16T00:06:00Z","entity_type":"user","entity_id":"m1"}'
		echo '{"ts":"2024-11-16T00:06:00Z","entity_type":"model","entity_id":"m2"}'
	} > "$TMP/rows"
	join_ --from "dir:$TMP/st" -g perf_5min:latency_p50_5min,PERF_002 --max-age 5m "$TMP/rows"
	[ "$status" -eq 0 ]
	[ "$($JQ -c '[.features.latency_p50_5min, .feature_status.latency_p50_5min, .features.latency_p95_5min, .feature_status.latency_p95_5min]' <<< "$output" | tr '\n' ' ')" = \
	    '[100,"present",null,"null"] [null,"stale",null,"stale"] [null,"not_found",null,"not_found"] [null,"not_found",null,"not_found"] [7,"present",null,"null"] ' ]
}

@test "join-004: rows pass through as they are, in input order; their own features give way" {
	rec m1 2024-11-16T00:05:00Z 2024-11-16T00:05:01Z 1.50 > "$TMP/r.ndjson"
	store "$TMP/r.ndjson"
	{
		printf '{"ts":1731715800,"m":"m1","label":1.50e0,"tags":["a",{"b":null}]}  \n'
		printf '{"ts":"2024-11-16T00:06:00Z","m":"m1","features":{"old":1},"feature_status":2,"y":"\\u00e9\\n"}\n'
		printf '\n'
		printf '{"ts":"2024-11-16T00:01:00Z"}\n'
	} > "$TMP/rows"
	join_ --from "dir:$TMP/st" -g perf_5min:latency_p50_5min --key m=model "$TMP/rows"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"ts":1731715800,"m":"m1","label":1.50e0,"tags":["a",{"b":null}],"features":{"latency_p50_5min":1.50},"feature_status":{"latency_p50_5min":"present"}}' ]
	[ "$($JQ -c 'del(.features, .feature_status)' <<< "${lines[1]}")" = '{"ts":"2024-11-16T00:06:00Z","m":"m1","y":"é\n"}' ]
	[[ "${lines[1]}" == *',"features":{"latency_p50_5min":1.50},"feature_status":{"latency_p50_5min":"present"}}' ]]
	[ "${lines[2]}" = '{"ts":"2024-11-16T00:01:00Z","features":{"latency_p50_5min":null},"feature_status":{"latency_p50_5min":"not_found"}}' ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "join-005: -g takes groups whole or by feature; groups merge into one row" {
	"$FEAT_GENLOAD" -n 20000 -s 5 > "$TMP/ev.ndjson"
	"$FEAT_WINDOW" -p perf_5min --created watermark "$TMP/ev.ndjson" > "$TMP/w.ndjson"
	store "$TMP/w.ndjson"
	id=$($JQ -r 'select(.group == "perf_5min") | .entity_id' "$TMP/w.ndjson" | head -n 1)
	printf '{"ts":"2024-11-17T00:00:00Z","entity_type":"model","entity_id":"%s"}\n' "$id" > "$TMP/rows"
	join_ --from "dir:$TMP/st" -g perf_5min -g fatigue_5min "$TMP/rows"
	[ "$status" -eq 0 ]
	# perf_5min's nine features and fatigue_5min's one, in catalog order.
	[ "$($JQ -c '.features | keys_unsorted | length' <<< "$output")" -eq 10 ]
	[ "$($JQ -r '.feature_status | to_entries | map(.value) | unique | join(",")' <<< "$output")" = present ]
	want=$($JQ -c --arg id "$id" 'select(.group == "perf_5min" and .entity_id == $id) | .features' "$TMP/w.ndjson" | tail -n 1)
	[ "$($JQ -c '.features | del(.model_fatigue_score)' <<< "$output")" = "$want" ]
	join_ --from "dir:$TMP/st" -g perf_5min:PERF_001 -g perf_5min:latency_p95_5min,latency_p50_5min "$TMP/rows"
	[ "$($JQ -c '.features | keys_unsorted' <<< "$output")" = '["latency_p50_5min","latency_p95_5min"]' ]
}

@test "join-006: bad rows and usage errors" {
	rec m1 2024-11-16T00:05:00Z 2024-11-16T00:05:01Z 1 > "$TMP/r.ndjson"
	store "$TMP/r.ndjson"
	printf '{"ts":"2024-11-16T00:06:00Z","m":"m1"}\n{"m":"m1"}\n{"ts":"2024-11-16T00:06:00Z","m":"m1"}\n' > "$TMP/rows"
	join_ --from "dir:$TMP/st" -g perf_5min:latency_p50_5min --key m=model "$TMP/rows"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"rows:2: no timestamp"* ]]
	# The row before the bad one is out.
	[ "${#lines[@]}" -eq 1 ]
	join_ --from "dir:$TMP/st" -g perf_5min:latency_p50_5min --key m=model --on-error=skip "$TMP/rows"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	printf '{"ts":"yesterday","m":"m1"}\n{"ts":"2024-11-16T00:06:00Z","m":{"x":1}}\n{"ts":"2024-11-16T00:06:00Z"}\nnot json\n' > "$TMP/bad"
	join_ --from "dir:$TMP/st" -g perf_5min:latency_p50_5min --key m=model --on-error=skip "$TMP/bad"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$stderr" == *"3 bad lines"* ]] || [[ "$stderr" == *"3 "*"skipped"* ]]
	# Without --key, a row needs entity_type.
	join_ --from "dir:$TMP/st" -g perf_5min "$TMP/rows"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"no field 'entity_type'"*"--key FIELD=model"* ]]
	# Usage: exit 2, a clear message.
	join_ --from "dir:$TMP/st" -g nosuch "$TMP/rows"
	[ "$status" -eq 2 ] && [[ "$stderr" == *"unknown group 'nosuch'"* ]] || false
	join_ --from "dir:$TMP/st" -g perf_5min:prompt_length "$TMP/rows"
	[ "$status" -eq 2 ] && [[ "$stderr" == *"feature 'prompt_length' is not in group 'perf_5min'"* ]] || false
	join_ --from "dir:$TMP/st" -g perf_5min --key m=user "$TMP/rows"
	[ "$status" -eq 2 ] && [[ "$stderr" == *"no -g group has entity type 'user'"* ]] || false
	join_ --from "dir:$TMP/st" "$TMP/rows"
	[ "$status" -eq 2 ]
	join_ -g perf_5min "$TMP/rows"
	[ "$status" -eq 2 ]
	join_ --from "dir:$TMP/st" -g perf_5min --max-age soon "$TMP/rows"
	[ "$status" -eq 2 ]
	join_ --from "dir:$TMP/nostore" -g perf_5min "$TMP/rows"
	[ "$status" -eq 4 ]
	join_ --from "nosuch:x" -g perf_5min "$TMP/rows"
	[ "$status" -eq 2 ]
}

@test "join-007: a closed stdout ends quietly; a failing one exits 4" {
	rec m1 2024-11-16T00:05:00Z 2024-11-16T00:05:01Z 1 > "$TMP/r.ndjson"
	store "$TMP/r.ndjson"
	awk 'BEGIN { for (i = 0; i < 200000; i++) print "{\"ts\":\"2024-11-16T00:06:00Z\",\"m\":\"m1\"}" }' > "$TMP/rows"
	run bash -c '"$0" --from "dir:$1" -g perf_5min --key m=model "$2" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"' \
	    "$FEAT_JOIN" "$TMP/st" "$TMP/rows"
	[ "$output" = 141 ] || [ "$output" = 0 ]
	if [ -w /dev/full ]; then
		run bash -c '"$0" --from "dir:$1" -g perf_5min --key m=model "$2" > /dev/full' \
		    "$FEAT_JOIN" "$TMP/st" "$TMP/rows"
		[ "$status" -eq 4 ]
		[[ "$output" == *"cannot write"* ]]
	fi
}

@test "join-008: rows stream through: memory holds a chunk, not the input" {
	rec m1 2024-11-16T00:05:00Z 2024-11-16T00:05:01Z 1 > "$TMP/r.ndjson"
	store "$TMP/r.ndjson"
	awk 'BEGIN { for (i = 0; i < 400000; i++) printf "{\"ts\":\"2024-11-16T00:06:00Z\",\"m\":\"m1\",\"pad\":\"%0200d\"}\n", i }' > "$TMP/rows"
	kb=$(peak_rss_kb "$FEAT_JOIN" --from "dir:$TMP/st" -g perf_5min --key m=model "$TMP/rows")
	# 88 MB of rows; a chunk is at most 64 MiB of them.
	[ "$kb" -lt 200000 ]
	# A row on a quiet pipe is answered without waiting for more.
	run bash -c '(echo "{\"ts\":\"2024-11-16T00:06:00Z\",\"m\":\"m1\"}"; sleep 3) |
	    timeout 2 "$0" --from "dir:$1" -g perf_5min:latency_p50_5min --key m=model' "$FEAT_JOIN" "$TMP/st"
	[[ "$output" == *'"latency_p50_5min":1'* ]]
}

# ---- PostgreSQL as the oracle -------------------------------------------------

# sql FILE: a script in one session, rows tab-separated, NULL as null.
sql() {
	psql "$FEAT_TEST_PG" -XAtq -F "$(printf '\t')" -v ON_ERROR_STOP=1 \
	    -c '\pset null null' -f "$1"
}

# 100,000 records over 200 models and 1,000 minutes, so that many share a
# ts, and created within 2.5 minutes after ts (many ties), 1% without
# created; 300 tombstones; 10,000 rows over 220 models (20 unknown), half of
# them at a record's exact ts.  Each record's p50 is its number, p95 its ts
# and p99 its created (epoch seconds), so that the value says which record
# was used.  Also the same as CSV for PostgreSQL.
pit_data() {
	awk -v dir="$TMP" 'BEGIN {
		srand(20241116); base = 1731715200
		while (n < 100000) {
			m = int(rand() * 200); ts = base + int(rand() * 1000) * 60
			cr = rand() < 0.01 ? "" : ts + int(rand() * 6) * 30
			k = m SUBSEP ts SUBSEP cr
			if (k in seen) continue
			seen[k] = 1; n++
			crj = cr == "" ? "" : ",\"created\":" cr
			printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"perf_5min\",\"ts\":%d%s,\"features\":{\"latency_p50_5min\":%d,\"latency_p95_5min\":%d,\"latency_p99_5min\":%s}}\n", m, ts, crj, n, ts, cr == "" ? "null" : cr > (dir "/recs.ndjson")
			printf "%d,m%d,%d,%s\n", n, m, ts, cr > (dir "/recs.csv")
			if (n % 333 == 0 && cr != "") {
				# A tombstone of the key and ts: created at, before
				# or after the record'"'"'s.
				tc = cr + (int(rand() * 3) - 1) * 30
				printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"perf_5min\",\"ts\":%d,\"created\":%d,\"features\":{}}\n", m, ts, tc > (dir "/tombs.ndjson")
				printf "m%d,%d,%d\n", m, ts, tc > (dir "/tombs.csv")
			}
		}
		for (i = 1; i <= 10000; i++) {
			m = int(rand() * 220)
			t = base + int(rand() * 1040 - 20) * 60
			if (rand() < 0.5) t += int(rand() * 60)
			printf "{\"i\":%d,\"ts\":%d,\"model\":\"m%d\"}\n", i, t, m > (dir "/rows.ndjson")
			printf "%d,m%d,%d\n", i, m, t > (dir "/rows.csv")
		}
	}'
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/recs.ndjson" 2>/dev/null
	"$FEAT_LOAD" --to "dir:$TMP/st" --delete "$TMP/tombs.ndjson" 2>/dev/null
	cat > "$TMP/load.sql" <<EOF
create temp table rec (n int, eid text, ts bigint, created bigint);
\\copy rec from '$TMP/recs.csv' with (format csv)
create temp table tomb (eid text, ts bigint, created bigint);
\\copy tomb from '$TMP/tombs.csv' with (format csv)
create temp table r (i int, eid text, ts bigint);
\\copy r from '$TMP/rows.csv' with (format csv)
-- What a tombstone deletes: its key and ts, created not newer than its
-- own (a record without created is the oldest).
delete from rec using tomb where rec.eid = tomb.eid and rec.ts = tomb.ts
    and coalesce(rec.created, -1) <= tomb.created;
create index on rec (eid, ts);
EOF
}

# The joined rows as "i, record number or null, status", by i.
pit_feat() {
	$JQ -r '[.i, (.features.latency_p50_5min // "null"), .feature_status.latency_p50_5min] | @tsv' | sort -n
}

@test "join-pg-001: 10,000 rows against 100,000 records equal DISTINCT ON in PostgreSQL" {
	[ -n "${FEAT_TEST_PG:-}" ] || { echo "FEAT_TEST_PG is not set: start the servers with scripts/services" >&2; return 1; }
	pit_data
	[ "$(wc -l < "$TMP/recs.ndjson")" -eq 100000 ]
	[ "$(wc -l < "$TMP/tombs.ndjson")" -ge 250 ]
	"$FEAT_JOIN" --from "dir:$TMP/st" -g perf_5min --key model=model "$TMP/rows.ndjson" | pit_feat > "$TMP/feat"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'EOF'
select distinct on (r.i) r.i, coalesce(rec.n::text, 'null'),
    case when rec.n is null then 'not_found' else 'present' end
from r left join rec on rec.eid = r.eid and rec.ts <= r.ts
order by r.i, rec.ts desc, rec.created desc nulls last;
EOF
	sql "$TMP/q.sql" > "$TMP/sql"
	[ "$(wc -l < "$TMP/sql")" -eq 10000 ]
	diff "$TMP/sql" "$TMP/feat"
	# Both found something for most rows, nothing for the rest.
	[ "$(grep -c present "$TMP/feat")" -gt 8000 ]
	[ "$(grep -c not_found "$TMP/feat")" -gt 500 ]
}

@test "join-pg-002: --max-age and --no-future-created equal their SQL references" {
	[ -n "${FEAT_TEST_PG:-}" ] || { echo "FEAT_TEST_PG is not set: start the servers with scripts/services" >&2; return 1; }
	pit_data
	"$FEAT_JOIN" --from "dir:$TMP/st" -g perf_5min --key model=model --max-age 7m "$TMP/rows.ndjson" | pit_feat > "$TMP/feat"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'EOF'
select i, case when n is null or r_ts - ts > 420 then 'null' else n::text end,
    case when n is null then 'not_found' when r_ts - ts > 420 then 'stale'
    else 'present' end
from (select distinct on (r.i) r.i, r.ts as r_ts, rec.n, rec.ts
    from r left join rec on rec.eid = r.eid and rec.ts <= r.ts
    order by r.i, rec.ts desc, rec.created desc nulls last) x
order by i;
EOF
	sql "$TMP/q.sql" > "$TMP/sql"
	diff "$TMP/sql" "$TMP/feat"
	[ "$(grep -c stale "$TMP/feat")" -gt 100 ]

	"$FEAT_JOIN" --from "dir:$TMP/st" -g perf_5min --key model=model --no-future-created "$TMP/rows.ndjson" | pit_feat > "$TMP/feat2"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'EOF'
select distinct on (r.i) r.i, coalesce(rec.n::text, 'null'),
    case when rec.n is null then 'not_found' else 'present' end
from r left join rec on rec.eid = r.eid and rec.ts <= r.ts
    and coalesce(rec.created, -1) <= r.ts
order by r.i, rec.ts desc, rec.created desc nulls last;
EOF
	sql "$TMP/q.sql" > "$TMP/sql2"
	diff "$TMP/sql2" "$TMP/feat2"
	# The two rules differ on this data.
	! diff -q "$TMP/feat" "$TMP/feat2" >/dev/null || false
}

@test "join-pg-003: no value from after the row's ts is ever attached" {
	pit_data
	"$FEAT_JOIN" --from "dir:$TMP/st" -g perf_5min --key model=model "$TMP/rows.ndjson" > "$TMP/j"
	"$FEAT_JOIN" --from "dir:$TMP/st" -g perf_5min --key model=model --no-future-created "$TMP/rows.ndjson" > "$TMP/jn"
	# p95 holds the record's ts and p99 its created.
	[ "$($JQ -s 'map(select(.features.latency_p95_5min != null)) | length' "$TMP/j")" -gt 8000 ]
	[ "$($JQ -s 'map(select(.features.latency_p95_5min != null and .features.latency_p95_5min > .ts)) | length' "$TMP/j")" -eq 0 ]
	# Created after the row happens without the option, never with it.
	[ "$($JQ -s 'map(select((.features.latency_p99_5min // 0) > .ts)) | length' "$TMP/j")" -gt 100 ]
	[ "$($JQ -s 'map(select((.features.latency_p99_5min // 0) > .ts or (.features.latency_p95_5min // 0) > .ts)) | length' "$TMP/jn")" -eq 0 ]
}

@test "join-pg-004: feat-join --from postgresql:// equals feat-join --from dir: and the SQL reference, exactly" {
	[ -n "${FEAT_TEST_PG:-}" ] || { echo "FEAT_TEST_PG is not set: start the servers with scripts/services" >&2; return 1; }
	pit_data
	db=feat_join_$$
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
	pg=${FEAT_TEST_PG%/*}/$db
	"$FEAT_LOAD" --to "$pg" "$TMP/recs.ndjson" 2>/dev/null
	"$FEAT_LOAD" --to "$pg" --delete "$TMP/tombs.ndjson" 2>/dev/null
	for opts in "" "--max-age 7m" "--no-future-created"; do
		# shellcheck disable=SC2086
		"$FEAT_JOIN" --from "dir:$TMP/st" -g perf_5min --key model=model $opts "$TMP/rows.ndjson" > "$TMP/dir.out"
		# shellcheck disable=SC2086
		"$FEAT_JOIN" --from "$pg" -g perf_5min --key model=model $opts "$TMP/rows.ndjson" > "$TMP/pg.out"
		[ "$(wc -l < "$TMP/pg.out")" -eq 10000 ]
		cmp "$TMP/dir.out" "$TMP/pg.out"
	done
	# And the reference of join-pg-001 (the last run's rule aside).
	"$FEAT_JOIN" --from "$pg" -g perf_5min --key model=model "$TMP/rows.ndjson" | pit_feat > "$TMP/feat"
	cat "$TMP/load.sql" - > "$TMP/q.sql" <<'SQL'
select distinct on (r.i) r.i, coalesce(rec.n::text, 'null'),
    case when rec.n is null then 'not_found' else 'present' end
from r left join rec on rec.eid = r.eid and rec.ts <= r.ts
order by r.i, rec.ts desc, rec.created desc nulls last;
SQL
	sql "$TMP/q.sql" > "$TMP/sql"
	diff "$TMP/sql" "$TMP/feat"
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}
