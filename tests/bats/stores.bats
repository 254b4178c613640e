#!/usr/bin/env bats
# stores.bats - the server stores: PostgreSQL (history) and Redis (latest,
# newer wins) against the real servers scripts/services starts, read back
# through feat-query and through psql and redis-cli with the documented
# layouts; idempotence and order, hostile ids, retention by partition,
# outages with --spool (a server of their own, stopped mid-load), SIGKILL.
# Each test has a database of its own in both servers.
load helpers

setup_file() {
	[ -n "${FEAT_TEST_PG:-}" ] && [ -n "${FEAT_TEST_REDIS:-}" ] || {
		echo "FEAT_TEST_PG and FEAT_TEST_REDIS must be set: start the servers with scripts/services" >&2
		return 1
	}
}

setup() {
	: "${FEAT_EXTRACT:?run the suites through make check}"
	export FEAT_NOW=2024-11-17T00:00:00Z LC_ALL=C
	TMP=$BATS_TEST_TMPDIR
	DATA=$FEAT_TESTDATA
	JQ=${JQ:-jq}
	db=feat_t${BATS_TEST_NUMBER}_$$
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
	PG=${FEAT_TEST_PG%/*}/$db
	# Redis: database 9, emptied (the other suites use 0).
	REDIS=${FEAT_TEST_REDIS%/*}/9
	redis-cli -u "$REDIS" flushdb >/dev/null
}

teardown() {
	stop_own
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}

load_() {
	run --separate-stderr "$FEAT_LOAD" "$@"
}

rec() {	# ID TS CREATED VALUE
	printf '{"entity_type":"model","entity_id":"%s","group":"perf_5min","version":1,"ts":"%s","created":"%s","features":{"latency_p50_5min":%s}}\n' "$1" "$2" "$3" "$4"
}

pgq() { psql "$PG" -XAtq -F "$(printf '\t')" -c "$1"; }

@test "stores-001: round trip of feat-extract and feat-window records through PostgreSQL, Redis and their layouts" {
	"$FEAT_GENLOAD" -n 20000 -s 3 > "$TMP/ev.ndjson"
	"$FEAT_WINDOW" -p perf_5min --created watermark "$TMP/ev.ndjson" > "$TMP/w.ndjson"
	"$FEAT_EXTRACT" "$TMP/ev.ndjson" | $JQ -c 'select(.group != "request")' > "$TMP/x.ndjson"
	cat "$TMP/w.ndjson" "$TMP/x.ndjson" > "$TMP/in.ndjson"
	n=$(wc -l < "$TMP/in.ndjson")
	load_ --to "$PG" --to "$REDIS" --to "dir:$TMP/st" "$TMP/in.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"'${PG}': $n records added, 0 already stored"* ]]
	# PostgreSQL: every record, as psql sees the documented table.
	[ "$(pgq 'select count(*) from feat.feature_values')" -eq "$n" ]
	pgq "select entity_type, entity_id, feature_group, version, to_char(ts at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), features::text from feat.feature_values" |
	    while IFS=$'\t' read -r et id g v ts f; do
		$JQ -cS --arg f "$f" -n --arg et "$et" --arg id "$id" --arg g "$g" --argjson v "$v" --arg ts "$ts" '{et: $et, id: $id, g: $g, v: $v, ts: $ts, f: ($f | fromjson)}'
	    done | sort > "$TMP/pg"
	$JQ -cS '{et: .entity_type, id: .entity_id, g: .group, v: .version, ts, f: .features}' "$TMP/in.ndjson" | sort > "$TMP/want"
	diff "$TMP/want" "$TMP/pg"
	# feat-query history: the same records from PostgreSQL and dir:.
	id=$($JQ -r 'select(.group == "perf_5min") | .entity_id' "$TMP/w.ndjson" | head -n 1)
	diff <("$FEAT_QUERY" --from "dir:$TMP/st" history model "$id" perf_5min | $JQ -cS .) \
	    <("$FEAT_QUERY" --from "$PG" history model "$id" perf_5min | $JQ -cS .)
	# Redis: the latest of each key, as redis-cli sees the hash.
	key="feat:{model:$id}:perf_5min:v1"
	latest=$($JQ -c --arg id "$id" 'select(.group == "perf_5min" and .entity_id == $id)' "$TMP/w.ndjson" | tail -n 1)
	[ "$(redis-cli -u "$REDIS" hget "$key" latency_p95_5min)" = "$($JQ -r .features.latency_p95_5min <<< "$latest")" ]
	[ "$(redis-cli -u "$REDIS" hget "$key" _ts)" = "$($JQ -r '(.ts[0:19] + "Z" | fromdate) * 1000 + (.ts[20:23] | tonumber)' <<< "$latest")" ]
	[ "$(redis-cli -u "$REDIS" hget "$key" _window | $JQ -c .)" = "$($JQ -c .window <<< "$latest")" ]
	ttl=$(redis-cli -u "$REDIS" pttl "$key")
	[ "$ttl" -gt $((23 * 3600 * 1000)) ] && [ "$ttl" -le $((24 * 3600 * 1000)) ] || false
	# feat-query get: the same answer from the three stores.
	for s in "dir:$TMP/st" "$PG" "$REDIS"; do
		"$FEAT_QUERY" --from "$s" get model "$id" | $JQ -cS '{features, status}'
	done | uniq | wc -l | grep -qx 1
	# Redis keeps no history: a clear error.
	run --separate-stderr "$FEAT_QUERY" --from "$REDIS" history model "$id" perf_5min
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"keeps no history"* ]]
	# The catalog is mirrored.
	[ "$(pgq "select id from feat.feature_registry where name = 'latency_p95_5min'")" = PERF_002 ]
	[ "$(pgq 'select count(*) from feat.feature_registry')" -eq "$("$FEAT_QUERY" catalog | wc -l)" ]
}

@test "stores-002: a replay adds nothing; older never replaces newer in Redis; newer created at the same ts does; a batch holding a key twice loads" {
	{
		rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:01Z 2
		rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:01Z 1
		rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:01Z 2
		rec b 2024-11-16T18:05:00Z 2024-11-16T18:05:01Z 5
	} > "$TMP/1.ndjson"
	load_ --to "$PG" --to "$REDIS" "$TMP/1.ndjson"
	[ "$status" -eq 0 ]
	[ "$(pgq 'select count(*) from feat.feature_values')" -eq 3 ]
	[ "$(redis-cli -u "$REDIS" hget 'feat:{model:a}:perf_5min:v1' latency_p50_5min)" = 2 ]
	before=$(redis-cli -u "$REDIS" hgetall 'feat:{model:a}:perf_5min:v1')
	load_ --to "$PG" --to "$REDIS" "$TMP/1.ndjson"
	[[ "$stderr" == *"'${PG}': 0 records added, 4 already stored"* ]]
	[ "$(pgq 'select count(*) from feat.feature_values')" -eq 3 ]
	[ "$(redis-cli -u "$REDIS" hgetall 'feat:{model:a}:perf_5min:v1')" = "$before" ]
	# A newer created at the same ts wins; an older one does not.
	rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:09Z 3 > "$TMP/2.ndjson"
	rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:00Z 9 >> "$TMP/2.ndjson"
	load_ --to "$PG" --to "$REDIS" "$TMP/2.ndjson"
	[ "$(redis-cli -u "$REDIS" hget 'feat:{model:a}:perf_5min:v1' latency_p50_5min)" = 3 ]
	[ "$("$FEAT_QUERY" --from "$PG" get model a latency_p50_5min | $JQ -r .features.latency_p50_5min)" = 3 ]
	[ "$(pgq 'select count(*) from feat.feature_values')" -eq 5 ]
	# A tombstone: PostgreSQL deletes what it names; Redis deletes the key
	# when the tombstone is not older.
	rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:09Z 0 > "$TMP/3.ndjson"
	load_ --to "$PG" --to "$REDIS" --delete "$TMP/3.ndjson"
	[ "$status" -eq 0 ]
	[ "$(redis-cli -u "$REDIS" exists 'feat:{model:a}:perf_5min:v1')" = 0 ]
	# Every record of that ts created by then is gone: 18:05's is latest.
	[ "$("$FEAT_QUERY" --from "$PG" get model a latency_p50_5min | $JQ -r .features.latency_p50_5min)" = 1 ]
	[ "$(pgq "select count(*) from feat.feature_values where features is not null and entity_id = 'a'")" -eq 1 ]
	# The deleted records, loaded again, stay deleted.
	load_ --to "$PG" "$TMP/1.ndjson" "$TMP/2.ndjson"
	[ "$("$FEAT_QUERY" --from "$PG" get model a latency_p50_5min | $JQ -r .features.latency_p50_5min)" = 1 ]
}

@test "stores-003: hostile ids round-trip through both stores without collision or injection" {
	long=$(printf 'y%.0s' $(seq 1 512))
	ids=('a{b' 'a%7Bb' 'a}b' "it's" 'x"; DROP TABLE feat.feature_values; --' "'); DELETE FROM feat.feature_values; --" 'naïve ✓ 日本' 'tab	in' 'new\nline' 'a:b' '*' '?' '[x]' '\' "$long" ':')
	: > "$TMP/in.ndjson"
	for i in "${!ids[@]}"; do
		$JQ -cn --arg id "${ids[$i]}" --argjson v "$i" '{entity_type:"model",entity_id:$id,group:"perf_5min",ts:"2024-11-16T18:05:00Z",created:"2024-11-16T18:05:01Z",features:{latency_p50_5min:$v}}' >> "$TMP/in.ndjson"
	done
	load_ --to "$PG" --to "$REDIS" "$TMP/in.ndjson"
	[ "$status" -eq 0 ]
	[ "$(pgq 'select count(*) from feat.feature_values')" -eq "${#ids[@]}" ]
	[ "$(redis-cli -u "$REDIS" --scan --pattern 'feat:*' | wc -l)" -eq "${#ids[@]}" ]
	# a{b and a%7Bb are two keys: the escaping of SPEC 7.
	[ "$(redis-cli -u "$REDIS" exists 'feat:{model:a%7Bb}:perf_5min:v1')" = 1 ]
	[ "$(redis-cli -u "$REDIS" exists 'feat:{model:a%257Bb}:perf_5min:v1')" = 1 ]
	[ "$(redis-cli -u "$REDIS" exists 'feat:{model:tab%09in}:perf_5min:v1')" = 1 ]
	for k in "${!ids[@]}"; do
		for s in "$PG" "$REDIS"; do
			out=$("$FEAT_QUERY" --from "$s" get model "${ids[$k]}" latency_p50_5min)
			[ "$($JQ -r .entity_id <<< "$out")" = "${ids[$k]}" ] || { echo "$s: ${ids[$k]}: $out"; false; }
			[ "$($JQ -r .features.latency_p50_5min <<< "$out")" = "$k" ]
		done
	done
	# feat-query stats walks the Redis keys back to their ids.
	[ "$("$FEAT_QUERY" --from "$REDIS" stats | $JQ -r .keys)" -eq "${#ids[@]}" ]
}

@test "stores-004: retention drops whole partitions only; the default partition stays empty" {
	for m in 09 10 11; do
		for d in 01 15 28; do
			rec m1 "2024-$m-${d}T00:00:00Z" "2024-$m-${d}T00:00:01Z" "1$m$d"
		done
	done > "$TMP/in.ndjson"
	load_ --to "$PG" "$TMP/in.ndjson"
	[ "$status" -eq 0 ]
	default=$(pgq "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'feature_values' and pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'")
	[ -n "$default" ]
	[ "$(pgq "select count(*) from feat.$default")" -eq 0 ]
	[ "$(pgq "select count(*) from pg_inherits where inhparent = 'feat.feature_values'::regclass")" -eq 4 ]
	# Newest ts 2024-11-28: 40 days back is 2024-10-19: September is
	# wholly older and goes; October stays whole (its 01 and 15 too).
	load_ --to "$PG" --retention 40d /dev/null
	[ "$status" -eq 0 ]
	[ "$(pgq 'select count(*) from feat.feature_values')" -eq 6 ]
	[ "$(pgq "select count(*) from feat.feature_values where ts < '2024-10-01'")" -eq 0 ]
	[ "$(pgq "select count(*) from feat.feature_values where ts < '2024-10-19'")" -eq 2 ]
	[ "$(pgq "select count(*) from pg_inherits where inhparent = 'feat.feature_values'::regclass")" -eq 3 ]
	# Migrations are versioned and idempotent.
	[ "$(pgq 'select version from feat.schema_migrations')" = 1 ]
}

# A Redis and a PostgreSQL of their own, to stop mid-load.
# (Daemons must not hold bats's fd 3, or the suite never ends.)
own_servers() {
	SVC=$(mktemp -d /tmp/feat-svc.XXXXXX)
	chmod 755 "$SVC"
	start_own
	OWN_REDIS=$OWN_R
	OWN_PG=$OWN_P
}

# Ports below the ephemeral range; a port some other program holds is
# passed over (up to 4 tries), and what failed is shown.
start_own() {
	local env try
	for try in 0 1 2 3; do
		if env=$(FEAT_REDIS_PORT=$((26400 + BATS_TEST_NUMBER + 20 * try)) \
		    FEAT_PG_PORT=$((25500 + BATS_TEST_NUMBER + 20 * try)) \
		    "$top_srcdir/scripts/services" start "$SVC" 3>&- 2>"$SVC/start.err"); then
			OWN_R=$(sed -n 's/^export FEAT_TEST_REDIS=//p' <<< "$env")
			OWN_P=$(sed -n 's/^export FEAT_TEST_PG=//p' <<< "$env")
			return 0
		fi
		cat "$SVC/start.err" >&2
		"$top_srcdir/scripts/services" stop "$SVC" >/dev/null 2>&1 3>&- || true
	done
	return 1
}

# Waits up to 10 s for the Redis that redis-cli ARGS... reaches to answer
# PING; else shows its log and fails.
redis_answers() {
	for _ in $(seq 100); do
		[ "$(redis-cli "$@" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	cat "$SVC"/redis/log* >&2 2>/dev/null
	return 1
}

stop_own() {
	[ -n "${SVC:-}" ] || return 0
	"$top_srcdir/scripts/services" stop "$SVC" >/dev/null 2>&1 3>&- || true
	rm -rf "$SVC"
	SVC=
}

@test "stores-005: Redis stopped mid-load: spooled, exit 4; the next run replays the spool first and nothing is skipped" {
	own_servers
	"$FEAT_GENLOAD" -n 100000 -s 9 > "$TMP/ev.ndjson"
	"$FEAT_EXTRACT" "$TMP/ev.ndjson" > "$TMP/in.ndjson"
	n=$(wc -l < "$TMP/in.ndjson")
	"$FEAT_LOAD" --to "$OWN_REDIS" --spool "$TMP/spool" --batch 500 "$TMP/in.ndjson" 2> "$TMP/err" &
	lp=$!
	sleep 0.5
	redis-cli -u "$OWN_REDIS" shutdown nosave >/dev/null 2>&1 || true
	st=0; wait "$lp" || st=$?
	[ "$st" -eq 4 ]
	grep -q "did not receive everything: .* spooled to '$TMP/spool/" "$TMP/err"
	spooled=$(grep -c ' spooled ' "$TMP"/spool/*/JOURNAL)
	[ "$spooled" -gt 0 ]
	port=${OWN_REDIS##*:}
	redis-server --port "${port%/*}" --bind 127.0.0.1 --dir "$SVC/redis" --save '' --daemonize yes \
	    --pidfile "$SVC/redis/redis.pid" --logfile "$SVC/redis/log2" >/dev/null 3>&-
	redis_answers -p "${port%/*}"
	run --separate-stderr "$FEAT_LOAD" --to "$OWN_REDIS" --spool "$TMP/spool" --batch 500 "$TMP/in.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"$spooled spooled batches"*"replayed"* ]]
	# Every spooled batch replayed, none left; every key's newest value.
	[ "$(grep -c ' replayed ' "$TMP"/spool/*/JOURNAL)" -eq "$spooled" ]
	[ -z "$(ls "$TMP"/spool/*/spool-* 2>/dev/null)" ]
	$JQ -r 'select(.group == "static") | .entity_id' "$TMP/in.ndjson" | sort -u | while read -r m; do
		want=$($JQ -c --arg m "$m" 'select(.group == "static" and .entity_id == $m)' "$TMP/in.ndjson" | tail -n 1 | $JQ -r .features.model_cost_per_1k_input)
		got=$(redis-cli -u "$OWN_REDIS" hget "feat:{model:$m}:static:v1" model_cost_per_1k_input)
		[ "$want" = "$got" ]
	done
	[ "$(redis-cli -u "$OWN_REDIS" --scan --pattern 'feat:*' | wc -l)" -eq "$($JQ -r '[.entity_type, .entity_id, .group] | join(" ")' "$TMP/in.ndjson" | sort -u | wc -l)" ]
	stop_own
}

@test "stores-006: PostgreSQL stopped mid-load: spooled, exit 4; replayed first; every record once" {
	own_servers
	"$FEAT_GENLOAD" -n 100000 -s 9 > "$TMP/ev.ndjson"
	"$FEAT_EXTRACT" "$TMP/ev.ndjson" > "$TMP/in.ndjson"
	n=$(wc -l < "$TMP/in.ndjson")
	"$FEAT_LOAD" --to "$OWN_PG" --spool "$TMP/spool" --batch 500 "$TMP/in.ndjson" 2> "$TMP/err" &
	lp=$!
	sleep 1
	pgdata="$SVC/pg/data"
	runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1
	st=0; wait "$lp" || st=$?
	[ "$st" -eq 4 ]
	grep -q "did not receive everything" "$TMP/err"
	spooled=$(grep -c ' spooled ' "$TMP"/spool/*/JOURNAL)
	[ "$spooled" -gt 0 ]
	start_own
	run --separate-stderr "$FEAT_LOAD" --to "$OWN_PG" --spool "$TMP/spool" --batch 500 "$TMP/in.ndjson"
	[ "$status" -eq 0 ]
	[ "$(grep -c ' replayed ' "$TMP"/spool/*/JOURNAL)" -eq "$spooled" ]
	[ "$(psql "$OWN_PG" -XAtqc 'select count(*) from feat.feature_values')" -eq "$n" ]
	[ "$(psql "$OWN_PG" -XAtqc 'select count(*) from (select distinct entity_type, entity_id, feature_group, version, ts, created from feat.feature_values) x')" -eq "$n" ]
	stop_own
}

@test "stores-007: SIGKILL at 5 points loading into PostgreSQL and Redis at once: each record once, the newest of each key" {
	awk 'BEGIN { for (i = 0; i < 100000; i++) { m = i % 100; t = 1731715200 + int(i / 100) * 300
		printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"perf_5min\",\"version\":1,\"ts\":%d,\"created\":%d,\"features\":{\"latency_p50_5min\":%d}}\n", m, t, t + 1, i } }' > "$TMP/in.ndjson"
	for i in 1 2 3 4 5; do
		"$FEAT_LOAD" --to "$PG" --to "$REDIS" --batch 2000 "$TMP/in.ndjson" 2>/dev/null &
		pid=$!
		sleep "0.$((RANDOM % 9 + 1))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
	done
	load_ --to "$PG" --to "$REDIS" --batch 2000 "$TMP/in.ndjson"
	[ "$status" -eq 0 ]
	[ "$(pgq 'select count(*) from feat.feature_values')" -eq 100000 ]
	[ "$(pgq 'select count(distinct (entity_id, ts)) from feat.feature_values')" -eq 100000 ]
	for m in 0 42 99; do
		[ "$(redis-cli -u "$REDIS" hget "feat:{model:m$m}:perf_5min:v1" latency_p50_5min)" -eq $((99900 + m)) ]
	done
}

@test "stores-008: usage and connection errors" {
	load_ --to "redis://" /dev/null
	[ "$status" -eq 2 ]
	load_ --to "redis://127.0.0.1:1" /dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"cannot connect"* ]]
	load_ --to "postgresql://postgres:secret@127.0.0.1:1/x" /dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" != *secret* ]]
	load_ --to "$REDIS" --ttl 0 /dev/null
	[ "$status" -eq 2 ]
	run --separate-stderr "$FEAT_QUERY" --from "$REDIS" asof model a 2024-11-16T00:00:00Z
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"keeps no history"* ]]
	run --separate-stderr "$FEAT_JOIN" --from "$REDIS" -g perf_5min /dev/null
	[ "$status" -eq 2 ]
	# --ttl sets PEXPIRE.
	rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:01Z 1 > "$TMP/1.ndjson"
	load_ --to "$REDIS" --ttl 1h "$TMP/1.ndjson"
	ttl=$(redis-cli -u "$REDIS" pttl 'feat:{model:a}:perf_5min:v1')
	[ "$ttl" -gt 3500000 ] && [ "$ttl" -le 3600000 ] || false
}

@test "stores-009: examples/backfill-day.sh loads a day into PostgreSQL and Redis; run again, it adds nothing" {
	mkdir -p "$TMP/bin" "$TMP/logs"
	for t in feat-window feat-extract feat-load; do
		v=FEAT_$(echo "${t#feat-}" | tr a-z A-Z)
		printf '#!/bin/sh\nexec "%s" "$@"\n' "${!v}" > "$TMP/bin/$t"
		chmod +x "$TMP/bin/$t"
	done
	"$FEAT_GENLOAD" -n 20000 -s 4 | gzip > "$TMP/logs/events-2024-11-16.ndjson.gz"
	export FEAT_LOGS=$TMP/logs FEAT_PG=$PG FEAT_REDIS=$REDIS FEAT_SPOOL=$TMP/spool
	run --separate-stderr env PATH="$TMP/bin:$PATH" sh "$top_srcdir/examples/backfill-day.sh" 2024-11-16
	[ "$status" -eq 0 ]
	n=$(pgq 'select count(*) from feat.feature_values')
	[ "$n" -ge 30 ]
	[ "$(redis-cli -u "$REDIS" --scan --pattern 'feat:{model:*}:perf_5min:v1' | wc -l)" -gt 3 ]
	[ "$(redis-cli -u "$REDIS" pttl "$(redis-cli -u "$REDIS" --scan --pattern 'feat:*' | head -n 1)")" -gt $((47 * 3600 * 1000)) ]
	run --separate-stderr env PATH="$TMP/bin:$PATH" sh "$top_srcdir/examples/backfill-day.sh" 2024-11-16
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"'${PG}': 0 records added"* ]]
	[ "$(pgq 'select count(*) from feat.feature_values')" -eq "$n" ]
}

@test "stores-010: a Redis that lost the script (SCRIPT FLUSH, a restart) gets it again: nothing is lost" {
	mkfifo "$TMP/in"
	"$FEAT_LOAD" --to "$REDIS" --batch-timeout 200ms < "$TMP/in" 2> "$TMP/err" &
	lp=$!
	exec 5> "$TMP/in"
	rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:01Z 1 >&5
	sleep 1
	[ "$(redis-cli -u "$REDIS" hget 'feat:{model:a}:perf_5min:v1' latency_p50_5min)" = 1 ]
	redis-cli -u "$REDIS" script flush >/dev/null
	for i in $(seq 2 3000); do
		rec "k$((i % 50))" 2024-11-16T18:05:00Z "2024-11-16T18:05:01.$(printf %03d $((i / 50)))Z" "$i"
	done >&5
	exec 5>&-
	wait "$lp"
	grep -q "3000 records added" "$TMP/err"
	[ "$(redis-cli -u "$REDIS" hget 'feat:{model:k7}:perf_5min:v1' latency_p50_5min)" = 2957 ]
}

@test "stores-011: AUTH and SELECT from the URI; the password is never said" {
	# (Its pid where stop_own looks, should the test stop half-way.)
	SVC=$(mktemp -d /tmp/feat-svc.XXXXXX)
	mkdir "$SVC/redis"
	redis-server --port 26480 --bind 127.0.0.1 --requirepass 's3cret' --save '' --daemonize yes \
	    --pidfile "$SVC/redis/redis.pid" --logfile "$SVC/redis/log" >/dev/null 3>&-
	redis_answers -p 26480 -a s3cret --no-auth-warning
	rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:01Z 7 > "$TMP/1.ndjson"
	load_ --to 'redis://:s3cret@127.0.0.1:26480/5' "$TMP/1.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" != *s3cret* ]]
	[ "$(redis-cli -p 26480 -a s3cret --no-auth-warning -n 5 hget 'feat:{model:a}:perf_5min:v1' latency_p50_5min)" = 7 ]
	[ "$(redis-cli -p 26480 -a s3cret --no-auth-warning -n 0 dbsize)" = 0 ]
	run --separate-stderr "$FEAT_QUERY" --from 'redis://:s3cret@127.0.0.1:26480/5' get model a latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 7 ]
	load_ --to 'redis://:wrong@127.0.0.1:26480/5' "$TMP/1.ndjson"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"cannot authenticate"* ]]
	[[ "$stderr" != *wrong@* ]]
	stop_own
}

@test "stores-012: the ends of feat's time range, a dropped partition, a damaged spool, passwords in bad URIs" {
	# 1677 and 2262 round-trip (no overflow in the time arithmetic).
	{
		rec old 1677-09-21T00:12:43.146Z 1677-09-21T00:12:43.900Z 1
		rec new 2262-04-11T23:47:16.000Z 2262-04-11T23:47:16.500Z 2
	} > "$TMP/ends.ndjson"
	load_ --to "$PG" --to "$REDIS" "$TMP/ends.ndjson"
	[ "$status" -eq 0 ]
	[ "$(pgq "select to_char(ts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') from feat.feature_values where entity_id = 'old'")" = "1677-09-21 00:12:43.146" ]
	[ "$("$FEAT_QUERY" --from "$PG" history model old perf_5min | $JQ -r .ts)" = 1677-09-21T00:12:43.146Z ]
	[ "$("$FEAT_QUERY" --from "$REDIS" get model new latency_p50_5min | $JQ -r .metadata.groups.perf_5min.ts)" = 2262-04-11T23:47:16.000Z ]
	# A partition dropped by another run's --retention is made again
	# before a row could go to the default partition.
	rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:01Z 1 > "$TMP/nov.ndjson"
	load_ --to "$PG" "$TMP/nov.ndjson"
	psql "$PG" -XAtqc 'DROP TABLE feat.feature_values_y2024m11'
	rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:01Z 2 > "$TMP/nov2.ndjson"
	load_ --to "$PG" "$TMP/nov2.ndjson"
	[ "$status" -eq 0 ]
	[ "$(pgq 'select count(*) from feat.feature_values_default')" -eq 0 ]
	# A damaged spooled batch is kept aside and the run fails saying so.
	load_ --to 'redis://127.0.0.1:1/0' --spool "$TMP/sp" "$TMP/nov.ndjson"
	[ "$status" -eq 4 ]
	f=$(ls "$TMP"/sp/*/spool-*.ndjson)
	echo 'not a record' >> "$f"
	load_ --to "$REDIS" --spool "$TMP/sp3" /dev/null
	dir=$(ls -d "$TMP"/sp3/*/)
	cp "$f" "$dir"
	load_ --to "$REDIS" --spool "$TMP/sp3" /dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"1 spooled records could not be read"* ]]
	ls "$dir"/spool-*.damaged
	grep -q ' damaged ' "$dir/JOURNAL"
	# Passwords in URIs that cannot be used are never said.
	load_ --to 'redis://:s3cret@127.0.0.1:bad/0' /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" != *s3cret* ]]
	load_ --to 'postgresql://u:s3cret@[::1:5/x' /dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" != *s3cret* ]]
}
