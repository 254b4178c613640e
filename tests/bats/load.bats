#!/usr/bin/env bats
# load.bats - feat-load into a dir: store and feat-query reading it back:
# the round trip, idempotence and order, tombstones, torn tails and
# SIGKILL, the lock, concurrent writers, hostile ids, compaction.
load helpers

load_() {
	: "${FEAT_LOAD:?run the suites through make check}"
	run --separate-stderr "$FEAT_LOAD" "$@"
}

# rec ID TS CREATED VALUE [GROUP]: one perf_5min-shaped record.
rec() {
	printf '{"entity_type":"model","entity_id":"%s","group":"%s","version":1,"ts":"%s","created":"%s","features":{"latency_p50_5min":%s}}\n' \
	    "$1" "${5:-perf_5min}" "$2" "$3" "$4"
}

# many N FILE: N records over 50 models and N/50 five-minute windows from
# 2024-11-16T00:00:00Z, in canonical form (as the store writes them).
many() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++) {
			m = i % 50; t = int(i / 50) * 300
			ts = sprintf("2024-11-%02dT%02d:%02d:00.000Z", 16 + int(t / 86400), int(t % 86400 / 3600), int(t % 3600 / 60))
			cr = substr(ts, 1, 20) "500Z"
			printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"perf_5min\",\"version\":1,\"ts\":\"%s\",\"created\":\"%s\",\"features\":{\"latency_p50_5min\":%d.25,\"success_rate_5min\":0.%d}}\n", m, ts, cr, i, i % 97 + 1
		}
	}' > "$2"
}

# canon FILE: records sorted, keys sorted, one per line.
canon() {
	$JQ -cS . "$1" | sort
}

@test "load-001: round trip through the store, feat-query and zcat" {
	"$FEAT_GENLOAD" -n 20000 -s 3 > "$TMP/events.ndjson"
	"$FEAT_WINDOW" -p perf_5min "$TMP/events.ndjson" > "$TMP/w.ndjson"
	[ -s "$TMP/w.ndjson" ]
	many 500 "$TMP/m.ndjson"
	cat "$TMP/w.ndjson" "$TMP/m.ndjson" > "$TMP/in.ndjson"
	n=$(wc -l < "$TMP/in.ndjson")
	load_ --to "dir:$TMP/st" --batch 100 "$TMP/in.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"$n records added, 0 already stored"* ]]
	diff <(canon "$TMP/in.ndjson") <(zcat "$TMP"/st/*.gz | $JQ -cS . | sort)
	# Every key's history through the library, in (ts, created) order.
	for m in m0 m7 m49; do
		query --from "dir:$TMP/st" history model "$m" perf_5min
		[ "$status" -eq 0 ]
		diff <($JQ -cS "select(.entity_id == \"$m\")" "$TMP/m.ndjson") <(printf '%s\n' "$output" | $JQ -cS .)
	done
	query --from "dir:$TMP/st" get model m7 group:perf_5min
	[ "$status" -eq 0 ]
	[ "$($JQ -r '.features.latency_p50_5min' <<< "$output")" = 457.25 ]
	[ "$($JQ -r '.status.latency_p50_5min' <<< "$output")" = stale ]
	[ "$($JQ -r '.metadata.groups.perf_5min.ts' <<< "$output")" = 2024-11-16T00:45:00.000Z ]
	query --from "dir:$TMP/st" stats
	[ "$($JQ -r .records <<< "$output")" -eq "$n" ]
}

@test "load-002: a replay adds nothing; an older record never becomes latest; a newer created does" {
	{ rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 1
	  rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:02Z 2; } > "$TMP/1.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/1.ndjson"
	[ "$status" -eq 0 ]
	load_ --to "dir:$TMP/st" "$TMP/1.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"0 records added, 2 already stored"* ]]
	[ "$(zcat "$TMP"/st/*.gz | wc -l)" -eq 2 ]
	# Older, loaded after: history grows, latest stays.
	rec a 2024-11-16T18:00:00Z 2024-11-16T18:20:00Z 0 > "$TMP/2.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/2.ndjson"
	query --from "dir:$TMP/st" get model a latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 2 ]
	# The same ts with a newer created wins; with an older one, not.
	{ rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:09Z 3
	  rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:01Z 4; } > "$TMP/3.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/3.ndjson"
	query --from "dir:$TMP/st" get model a latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 3 ]
	query --from "dir:$TMP/st" asof model a 2024-11-16T18:09:59Z latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 1 ]
	query --from "dir:$TMP/st" history model a perf_5min
	[ "$(printf '%s\n' "$output" | $JQ -r .features.latency_p50_5min | paste -sd,)" = 0,1,4,2,3 ]
}

@test "load-003: a tombstone removes what it names and nothing else" {
	{ rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 1
	  rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:02Z 2
	  rec b 2024-11-16T18:10:00Z 2024-11-16T18:10:02Z 5; } > "$TMP/1.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/1.ndjson"
	rec a 2024-11-16T18:10:00Z 2024-11-16T18:10:02Z 2 > "$TMP/del.ndjson"
	load_ --to "dir:$TMP/st" --delete "$TMP/del.ndjson"
	[ "$status" -eq 0 ]
	query --from "dir:$TMP/st" get model a latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 1 ]
	query --from "dir:$TMP/st" get model b latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 5 ]
	query --from "dir:$TMP/st" history model a perf_5min
	[ "${#lines[@]}" -eq 1 ]
	# The tombstone is in the log, as zcat shows.
	[ "$(zcat "$TMP"/st/*.gz | $JQ -c 'select(.tombstone) | [.entity_id, .features]')" = '["a",null]' ]
	# A record of that ts created later than the tombstone is live again.
	rec a 2024-11-16T18:10:00Z 2024-11-16T18:11:00Z 7 > "$TMP/2.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/2.ndjson"
	query --from "dir:$TMP/st" get model a latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 7 ]
}

@test "load-004: a torn tail is reported and ignored; the rerun restores it" {
	many 3000 "$TMP/m.ndjson"
	load_ --to "dir:$TMP/st" --batch 1000 "$TMP/m.ndjson"
	[ "$status" -eq 0 ]
	seg=$(ls "$TMP"/st/seg-*.gz | tail -n 1)
	truncate -s -20 "$seg"
	query --from "dir:$TMP/st" stats
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"torn tail at byte"* ]]
	# The last batch's members before the torn one still read (a member
	# holds 64 KiB of lines): the first two batches and part of the third.
	kept=$($JQ -r .records <<< "$output")
	[ "$kept" -ge 2000 ] && [ "$kept" -lt 3000 ] || false
	load_ --to "dir:$TMP/st" --batch 1000 "$TMP/m.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"$((3000 - kept)) records added, $kept already stored"* ]]
	diff <(canon "$TMP/m.ndjson") <(zcat "$TMP"/st/*.gz | $JQ -cS . | sort)
	query --from "dir:$TMP/st" stats
	[ "$stderr" = "" ]
}

@test "load-005: SIGKILL at 5 points, each rerun: every record exactly once" {
	many 60000 "$TMP/m.ndjson"
	for i in 1 2 3 4 5; do
		"$FEAT_LOAD" --to "dir:$TMP/st" --batch 500 "$TMP/m.ndjson" 2>/dev/null &
		pid=$!
		sleep "0.$((RANDOM % 9 + 1))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
	done
	load_ --to "dir:$TMP/st" --batch 500 "$TMP/m.ndjson"
	[ "$status" -eq 0 ]
	diff <(canon "$TMP/m.ndjson") <(zcat "$TMP"/st/*.gz | $JQ -cS . | sort)
	query --from "dir:$TMP/st" stats
	[ "$stderr" = "" ]
	[ "$($JQ -r .records <<< "$output")" -eq 60000 ]
}

@test "load-006: the lock: a holder past --lock-timeout gives exit 4; two writers take turns" {
	many 100 "$TMP/m.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/m.ndjson"
	flock "$TMP/st/LOCK" sleep 4 &
	sleep 0.5
	load_ --to "dir:$TMP/st" --lock-timeout 1s "$TMP/m.ndjson"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"in use by another run"* ]]
	[[ "$stderr" == *"still locked after 1s"* ]]
	wait
	many 20000 "$TMP/a.ndjson"
	sed 's/"m\([0-9]*\)"/"n\1"/' "$TMP/a.ndjson" > "$TMP/b.ndjson"
	"$FEAT_LOAD" --to "dir:$TMP/st2" --batch 200 "$TMP/a.ndjson" 2>/dev/null & p1=$!
	"$FEAT_LOAD" --to "dir:$TMP/st2" --batch 200 "$TMP/b.ndjson" 2>/dev/null & p2=$!
	wait $p1
	wait $p2
	diff <(cat "$TMP/a.ndjson" "$TMP/b.ndjson" | $JQ -cS . | sort) <(zcat "$TMP"/st2/*.gz | $JQ -cS . | sort)
}

@test "load-007: feat-query started before a load sees the records after it" {
	mkfifo "$TMP/cmds"
	mkdir "$TMP/st"		# an empty store
	"$FEAT_QUERY" --from "dir:$TMP/st" < "$TMP/cmds" > "$TMP/answers" 2>"$TMP/err" &
	qp=$!
	exec 5> "$TMP/cmds"
	echo "get model a latency_p50_5min" >&5
	sleep 0.5
	rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 42 > "$TMP/1.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/1.ndjson"
	echo "get model a latency_p50_5min" >&5
	exec 5>&-
	wait $qp || true
	[ "$(sed -n 1p "$TMP/answers" | $JQ -r .status.latency_p50_5min)" = not_found ]
	[ "$(sed -n 2p "$TMP/answers" | $JQ -r .features.latency_p50_5min)" = 42 ]
}

@test "load-008: hostile ids round-trip; 513 bytes and NUL are refused with file and line" {
	long=$(printf 'x%.0s' $(seq 1 512))
	ids=(':' '{a}' '}{' '%41%' 'two words' '"quoted"' 'new\nline' 'naïve ✓ 日本' "$long" 'a:b' 'a' 'A')
	: > "$TMP/in.ndjson"
	for id in "${ids[@]}"; do
		$JQ -cn --arg id "$id" '{entity_type:"model",entity_id:$id,group:"perf_5min",ts:"2024-11-16T18:05:00Z",created:"2024-11-16T18:05:01Z",features:{latency_p50_5min:($id|length)}}' >> "$TMP/in.ndjson"
	done
	load_ --to "dir:$TMP/st" "$TMP/in.ndjson"
	[ "$status" -eq 0 ]
	for id in "${ids[@]}"; do
		query --from "dir:$TMP/st" get model "$id" latency_p50_5min
		[ "$status" -eq 0 ]
		[ "$($JQ -r .entity_id <<< "$output")" = "$id" ]
		[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = "$($JQ -rn --arg id "$id" '$id|length')" ]
	done
	query --from "dir:$TMP/st" stats
	[ "$($JQ -r .keys <<< "$output")" -eq "${#ids[@]}" ]
	rec ok 2024-11-16T18:05:00Z 2024-11-16T18:05:01Z 1 > "$TMP/bad.ndjson"
	rec "x$long" 2024-11-16T18:05:00Z 2024-11-16T18:05:01Z 1 >> "$TMP/bad.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/bad.ndjson"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"bad.ndjson:2: invalid value in 'entity_id'"* ]]
	printf '{"entity_type":"model","entity_id":"a\\u0000b","group":"perf_5min","ts":1,"features":{}}\n' > "$TMP/nul.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/nul.ndjson"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"nul.ndjson:1: "* ]]
	printf '{"entity_type":"model","entity_id":"a","group":"no_such_group","ts":1,"features":{}}\n{"entity_type":"Model","entity_id":"a","group":"perf_5min","ts":1,"features":{}}\n' > "$TMP/g.ndjson"
	load_ --to "dir:$TMP/st" --on-error=skip "$TMP/g.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"2 bad lines skipped"* ]]
}

@test "load-009: compaction with --retention keeps the latest and recent history" {
	many 5000 "$TMP/m.ndjson"
	{ rec old 2024-11-10T00:00:00Z 2024-11-10T00:00:01Z 9; } >> "$TMP/m.ndjson"
	for part in 1 2 3; do
		sed -n "$(( (part - 1) * 2000 + 1 )),$(( part * 2000 ))p" "$TMP/m.ndjson" > "$TMP/p$part"
		"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/p$part" 2>/dev/null
	done
	[ "$(ls "$TMP"/st/seg-*.gz | wc -l)" -ge 1 ]
	query --from "dir:$TMP/st" get model m3 latency_p50_5min
	before=$($JQ -c .features <<< "$output")
	load_ --to "dir:$TMP/st" --retention 1h /dev/null
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"compaction dropped"* ]]
	query --from "dir:$TMP/st" get model m3 latency_p50_5min
	[ "$($JQ -c .features <<< "$output")" = "$before" ]
	query --from "dir:$TMP/st" get model old latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 9 ]
	# History within the hour before the newest ts is whole; older is gone.
	newest=$($JQ -r '.ts | .[0:19] + "Z" | fromdate' "$TMP/m.ndjson" | sort -n | tail -n 1)
	want=$($JQ -c --argjson n "$newest" 'select((.ts | .[0:19] + "Z" | fromdate) >= $n - 3600)' "$TMP/m.ndjson" | wc -l)
	got=$(zcat "$TMP"/st/*.gz | wc -l)
	# the recent ones, plus the latest of each key older than that ("old")
	[ "$got" -eq $((want + 1)) ]
	[ "$(ls "$TMP"/st/seg-*.gz | wc -l)" -eq 1 ]
}

@test "load-010: --batch-timeout writes a partial batch of a quiet stream" {
	mkfifo "$TMP/in"
	"$FEAT_LOAD" --to "dir:$TMP/st" --batch-timeout 300ms < "$TMP/in" 2>/dev/null &
	lp=$!
	exec 5> "$TMP/in"
	rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 1 >&5
	sleep 1.5
	[ "$(zcat "$TMP"/st/*.gz | wc -l)" -eq 1 ]
	exec 5>&-
	wait $lp
}

# answers STORE: what feat-query says of the store: stats and three keys'
# history.
answers() {
	"$FEAT_QUERY" --from "dir:$1" stats
	for m in m0 m13 m49; do
		"$FEAT_QUERY" --from "dir:$1" history model "$m" perf_5min
		"$FEAT_QUERY" --from "dir:$1" asof model "$m" 2024-11-16T05:00:00Z
	done
}

@test "load-012: INDEX: saved by the writer, used when current, rebuilt when stale or damaged" {
	many 20000 "$TMP/m.ndjson"
	sed -n 1,15000p "$TMP/m.ndjson" > "$TMP/a"
	load_ --to "dir:$TMP/st" --batch 1000 "$TMP/a"
	[ -s "$TMP/st/INDEX" ]
	answers "$TMP/st" > "$TMP/with" 2>"$TMP/err"
	[ ! -s "$TMP/err" ]
	mv "$TMP/st/INDEX" "$TMP/INDEX.old"
	answers "$TMP/st" > "$TMP/without"
	diff "$TMP/with" "$TMP/without"
	# An INDEX of an earlier state: the later batches are read from the
	# segments (a writer killed before it saved its own).
	cp "$TMP/INDEX.old" "$TMP/st/INDEX"
	"$FEAT_LOAD" --to "dir:$TMP/st" --batch 1000 "$TMP/m.ndjson" 2>/dev/null
	cp "$TMP/INDEX.old" "$TMP/st/INDEX"
	answers "$TMP/st" > "$TMP/stale"
	rm "$TMP/st/INDEX"
	answers "$TMP/st" > "$TMP/fresh"
	diff "$TMP/fresh" "$TMP/stale"
	[ "$(head -n 1 "$TMP/fresh" | $JQ -r .records)" -eq 20000 ]
	# Damaged: a flipped byte, a cut file, garbage: never believed.
	"$FEAT_LOAD" --to "dir:$TMP/st" --batch 1000 "$TMP/m.ndjson" 2>/dev/null
	rm "$TMP/st/INDEX"
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/m.ndjson" 2>/dev/null
	[ -s "$TMP/st/INDEX" ]
	cp "$TMP/st/INDEX" "$TMP/INDEX.good"
	size=$(stat -c %s "$TMP/INDEX.good")
	printf '\377' | dd of="$TMP/st/INDEX" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	answers "$TMP/st" > "$TMP/flipped"
	diff "$TMP/fresh" "$TMP/flipped"
	head -c $((size - 100)) "$TMP/INDEX.good" > "$TMP/st/INDEX"
	answers "$TMP/st" > "$TMP/cut"
	diff "$TMP/fresh" "$TMP/cut"
	head -c 5000 /dev/urandom > "$TMP/st/INDEX"
	answers "$TMP/st" > "$TMP/garbage"
	diff "$TMP/fresh" "$TMP/garbage"
	# Of another generation (before a compaction): not used.
	cp "$TMP/INDEX.good" "$TMP/st/INDEX"
	load_ --to "dir:$TMP/st" --retention 2h /dev/null
	[ "$status" -eq 0 ]
	answers "$TMP/st" > "$TMP/compacted"
	cp "$TMP/INDEX.good" "$TMP/st/INDEX"
	answers "$TMP/st" > "$TMP/oldgen"
	diff "$TMP/compacted" "$TMP/oldgen"
	! diff -q "$TMP/fresh" "$TMP/compacted" >/dev/null || false
}

@test "load-011: usage and store errors" {
	load_
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--to"* ]]
	load_ --to "nosuch:x" /dev/null
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid store 'nosuch:x'"* ]]
	load_ --to "dir:" /dev/null
	[ "$status" -eq 2 ]
	query --from "nosuch:x" stats
	[ "$status" -eq 2 ]
	: > "$TMP/file"
	load_ --to "dir:$TMP/file" /dev/null
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"not a directory"* ]]
	load_ --to "dir:$TMP/st" --dry-run <(rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 1)
	[ "$status" -eq 4 ]
	mkdir "$TMP/st"
	load_ --to "dir:$TMP/st" --dry-run <(rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 1)
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"dry run: 1 record checked"* ]]
	[ -z "$(ls "$TMP"/st/*.gz 2>/dev/null)" ]
	query get model a
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"give --from dir:PATH"* ]]
}

@test "load-013: a store whose MANIFEST is gone, empty or unordered is refused, never emptied" {
	many 200 "$TMP/m.ndjson"
	load_ --to "dir:$TMP/st" --batch 50 "$TMP/m.ndjson"
	cp "$TMP/st/MANIFEST" "$TMP/MANIFEST.good"
	rec late 2024-11-17T00:00:00Z 2024-11-17T00:00:01Z 1 > "$TMP/one.ndjson"
	rm "$TMP/st/MANIFEST"
	query --from "dir:$TMP/st" stats
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"has segments but no MANIFEST"* ]]
	load_ --to "dir:$TMP/st" "$TMP/one.ndjson"
	[ "$status" -eq 4 ]
	: > "$TMP/st/MANIFEST"
	load_ --to "dir:$TMP/st" "$TMP/one.ndjson"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"not a feat store manifest"* ]]
	printf 'feat-dir 1\ngeneration 1\n' > "$TMP/st/MANIFEST"
	load_ --to "dir:$TMP/st" "$TMP/one.ndjson"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"names no segment"* ]]
	# Nothing was lost: with MANIFEST back, every record is there.
	cp "$TMP/MANIFEST.good" "$TMP/st/MANIFEST"
	diff <(canon "$TMP/m.ndjson") <(zcat "$TMP"/st/*.gz | $JQ -cS . | sort)
	# Segments out of order: refused.
	{ echo 'feat-dir 1'; echo 'generation 1'; echo 'seg-000000002.ndjson.gz 10'; sed -n 3p "$TMP/MANIFEST.good"; } > "$TMP/st/MANIFEST"
	query --from "dir:$TMP/st" stats
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"not a feat store manifest"* ]]
	# A segment MANIFEST does not name, below its last: left alone.
	cp "$TMP/MANIFEST.good" "$TMP/st/MANIFEST"
	load_ --to "dir:$TMP/st2" "$TMP/one.ndjson"
	mv "$TMP/st/seg-000000001.ndjson.gz" "$TMP/st/seg-000000002.ndjson.gz"
	sed -i 's/seg-000000001/seg-000000002/' "$TMP/st/MANIFEST"
	cp "$TMP/st2/seg-000000001.ndjson.gz" "$TMP/st/"
	load_ --to "dir:$TMP/st" "$TMP/one.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"seg-000000001.ndjson.gz' is not in the store's MANIFEST: left alone"* ]]
	[ -f "$TMP/st/seg-000000001.ndjson.gz" ]
}

@test "load-014: SIGTERM while waiting for the lock: exit 4, saying what was not written" {
	rec a 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 1 > "$TMP/1.ndjson"
	load_ --to "dir:$TMP/st" "$TMP/1.ndjson"
	flock "$TMP/st/LOCK" sleep 4 &
	sleep 0.3
	rec b 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 2 > "$TMP/2.ndjson"
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/2.ndjson" 2> "$TMP/err" &
	lp=$!
	sleep 1
	kill -TERM "$lp"
	st=0; wait "$lp" || st=$?
	[ "$st" -eq 4 ]
	grep -q "stopped while waiting for the lock of 'dir:$TMP/st': 1 records read were not written" "$TMP/err"
	# Said once, however many batches wait.
	[ "$(grep -c 'another run holds it' "$TMP/err")" -eq 1 ]
	wait
}

@test "load-015: feat-query keeps answering while compactions remove segments" {
	many 20000 "$TMP/m.ndjson"
	load_ --to "dir:$TMP/st" --batch 500 "$TMP/m.ndjson"
	( for i in $(seq 1 200); do echo "history model m7 perf_5min"; sleep 0.01; done ) |
	    "$FEAT_QUERY" --from "dir:$TMP/st" > "$TMP/out" 2> "$TMP/err" &
	qp=$!
	for r in 60h 50h 40h 30h 20h 10h; do
		"$FEAT_LOAD" --to "dir:$TMP/st" --retention "$r" /dev/null 2>/dev/null
		sleep 0.1
	done
	st=0; wait "$qp" || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$TMP/err" ]
}

@test "load-016: values that cannot be stored are bad lines; a tombstone outlives compaction" {
	printf '%s\n' \
	    '{"entity_type":"model","entity_id":"a","group":"perf_5min","ts":1,"features":{"latency_p50_5min":1e400}}' \
	    '{"entity_type":"model","entity_id":"a","group":"perf_5min","ts":1,"features":{"_x":1}}' \
	    '{"entity_type":"user","entity_id":"a","group":"perf_5min","ts":1,"features":{"latency_p50_5min":1}}' \
	    '{"entity_type":"model","entity_id":"a","group":"perf_5min","ts":1,"features":{"latency_p50_5min":{"a":1}}}' \
	    '{"entity_type":"model","entity_id":"a","group":"perf_5min","ts":1,"features":null}' > "$TMP/bad"
	load_ --to "dir:$TMP/st" --on-error=quarantine:"$TMP/q" "$TMP/bad"
	[ "$status" -eq 0 ]
	$JQ -r '._error.reason' "$TMP/q" > "$TMP/reasons"
	[ "$(wc -l < "$TMP/reasons")" -eq 5 ]
	grep -q "^number out of range in 'features.latency_p50_5min'$" "$TMP/reasons"
	grep -q "^invalid value in 'features': '_x': a feature name never starts with '_'$" "$TMP/reasons"
	grep -q "^invalid value in 'entity_type': group 'perf_5min' is of entity type 'model', not 'user'$" "$TMP/reasons"
	grep -q "^invalid value in 'features.latency_p50_5min': a value is a number" "$TMP/reasons"
	grep -q "^invalid value in 'features': null features make a tombstone" "$TMP/reasons"
	# The good lines before a bad one are stored under --on-error=fail.
	rec g 2024-11-16T18:05:00Z 2024-11-16T18:05:02Z 1 > "$TMP/mixed"
	head -n 1 "$TMP/bad" >> "$TMP/mixed"
	load_ --to "dir:$TMP/st" "$TMP/mixed"
	[ "$status" -eq 3 ]
	query --from "dir:$TMP/st" get model g latency_p50_5min
	[ "$($JQ -r .features.latency_p50_5min <<< "$output")" = 1 ]
	# A deleted record stays deleted when its file is loaded again after
	# a compaction that dropped it.
	{
		rec A 2024-01-01T00:00:00Z 2024-01-01T00:00:01Z 1
		rec B 2024-06-01T00:00:00Z 2024-06-01T00:00:01Z 2
	} > "$TMP/a"
	load_ --to "dir:$TMP/s3" "$TMP/a"
	head -n 1 "$TMP/a" > "$TMP/adel"
	FEAT_NOW=2024-02-01T00:00:00Z "$FEAT_LOAD" --to "dir:$TMP/s3" --delete "$TMP/adel" 2>/dev/null
	load_ --to "dir:$TMP/s3" --retention 1d /dev/null
	load_ --to "dir:$TMP/s3" "$TMP/a"
	query --from "dir:$TMP/s3" get model A latency_p50_5min
	[ "$($JQ -r .status.latency_p50_5min <<< "$output")" = not_found ]
}
