#!/usr/bin/env bats
# serve.bats - feat-serve's contract: every route, shape, status and error
# code of SPEC 9 on the embedded dir: store, hostile ids and names, as_of
# against feat-join's rule, pushes, slow and malformed clients, signals.
load helpers

PORT=
SPID=

# start ARGS...: feat-serve on a port of its own, waited for.
start() {
	: "${FEAT_SERVE:?run the suites through make check}"
	PORT=$((18400 + BATS_TEST_NUMBER * 3 + RANDOM % 3))
	"$FEAT_SERVE" --listen "127.0.0.1:$PORT" "$@" 3>&- 2> "$TMP/serve.err" &
	SPID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "feat-serve did not start:"; cat "$TMP/serve.err"
	return 1
}

teardown() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill -TERM "$SPID"
		wait "$SPID" || true
	fi
	if [ -n "${RPID:-}" ] && kill -0 "$RPID" 2>/dev/null; then
		# A test that failed may have left it stopped.
		kill -CONT "$RPID"
		kill "$RPID"
		wait "$RPID" 2>/dev/null || true
	fi
	if [ -n "${XPID:-}" ]; then
		kill "$XPID" 2>/dev/null || true
		wait "$XPID" 2>/dev/null || true
	fi
}

# tcp_proxy PORT TO [IDLE]: forwards 127.0.0.1:PORT to 127.0.0.1:TO (in
# $XPID) once it listens; a connection idle for IDLE seconds is reset
# (RST, not FIN).
tcp_proxy() {
	python3 -c '
import select, socket, struct, sys, threading, time
idle = float(sys.argv[3])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(16)
def pump(c):
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    last = time.time()
    while True:
        r, _, _ = select.select([c, u], [], [], 0.05)
        if not r:
            if idle > 0 and time.time() - last > idle:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            continue
        last = time.time()
        d = b""
        for s in r:
            d = s.recv(65536)
            if not d:
                break
            (u if s is c else c).sendall(d)
        if not d:
            break
    c.close()
    u.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=pump, args=(c,), daemon=True).start()
' "$1" "$2" "${3:-0}" 3>&- &
	XPID=$!
	local i
	for i in $(seq 100); do
		(exec 4<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
		sleep 0.1
	done
	echo "tcp_proxy: nothing listens on $1" >&2
	return 1
}

# get PATH [CURL ARGS...]: the body in $body, the status in $code.
get() {
	local p=$1
	shift
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$p")
	body=$(cat "$TMP/body")
}

rec() {	# ID TS P50 [GROUP]: a perf_5min record
	printf '{"entity_type":"model","entity_id":"%s","group":"perf_5min","version":1,"ts":"%s","created":"%s","features":{"latency_p50_5min":%s,"latency_p95_5min":%s}}\n' \
	    "$1" "$2" "$2" "$3" "$(($3 * 2))"
}

store() {
	{
		rec gpt-4o 2024-11-16T23:50:00Z 100
		rec gpt-4o 2024-11-16T23:55:00Z 200
		rec claude 2024-11-16T23:55:00Z 300
		printf '%s\n' '{"entity_type":"model","entity_id":"gpt-4o","group":"static","version":1,"ts":"2024-11-16T00:00:00Z","features":{"model_cost_per_1k_input":0.0025,"model_provider":"openai"}}'
	} > "$TMP/recs"
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/recs" 2>/dev/null
}

@test "serve-001: every route answers in SPEC 9's shapes" {
	store
	start --store "dir:$TMP/st"
	get '/v1/features/model/gpt-4o?features=latency_p50_5min,PERF_002,model_provider'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c '[.entity_type, .entity_id, .features, .status]')" = '["model","gpt-4o",{"latency_p50_5min":200,"latency_p95_5min":400,"model_provider":"openai"},{"latency_p50_5min":"present","latency_p95_5min":"present","model_provider":"present"}]' ]
	[ "$(echo "$body" | $JQ -c '.metadata.groups.perf_5min | [.ts, .created, .version, .arm, .tier, .freshness_seconds]')" = '["2024-11-16T23:55:00.000Z","2024-11-16T23:55:00.000Z",1,"control","dir",300]' ]
	# The second time from the L1.
	get '/v1/features/model/gpt-4o?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = l1 ]
	# Every group of the entity type by default; not_found for a key
	# no store holds.
	get /v1/features/model/nobody
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -r '[.status[]] | unique | join(",")')" = not_found ]
	[ "$(echo "$body" | $JQ -c .metadata.groups)" = '{}' ]
	# The batch: request order, one error among them.
	get /v1/features/batch -X POST -d '{"requests":[{"entity_type":"model","entity_id":"claude","features":["latency_p50_5min"]},{"entity_type":"model","entity_id":"gpt-4o","features":"group:static"},{"entity_type":"model","entity_id":"x","features":["nope"]}]}'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c '[.responses[0].features, .responses[1].features.model_cost_per_1k_input, .responses[2].error.code]')" = '[{"latency_p50_5min":300},0.0025,"unknown_feature"]' ]
	get /v1/features/batch -X POST -d '[{"entity_type":"model","entity_id":"claude","features":"latency_p95_5min"}]'
	[ "$(echo "$body" | $JQ -c .responses[0].features)" = '{"latency_p95_5min":600}' ]
	# An empty batch is an empty answer, not "no tier could answer".
	for b in '[]' '{"requests":[]}'; do
		get /v1/features/batch -X POST -d "$b"
		[ "$code" = 200 ] && [ "$body" = '{"responses":[]}' ] || { echo "$b: $code $body"; false; }
	done
	# Pretty-printed, with a final newline; a numeric as_of and a
	# non-integer version fail their entity only; invalid UTF-8 is 400.
	get /v1/features/batch -X POST --data-binary "$(printf '[\n  {"entity_type": "model",\n   "entity_id": "claude", "features": "latency_p95_5min"},\n  {"entity_type": "model", "entity_id": "claude", "as_of": 1731801300},\n  {"entity_type": "model", "entity_id": "claude", "version": 1.5}\n]\n')"
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c '[.responses[0].features, .responses[1].error.code, .responses[2].error.code]')" = '[{"latency_p95_5min":600},"bad_request","bad_request"]' ]
	get /v1/features/batch -X POST --data-binary "$(printf '[{"entity_type":"model","entity_id":"a\xffb"}]')"
	[ "$code" = 400 ] && [ "$(echo "$body" | $JQ -r .error.code)" = bad_request ]
	[[ "$(echo "$body" | $JQ -r .error.message)" == *"offset 38"* ]]
	# Nothing after the array; no key twice (which one would count?).
	for b in '[{"entity_type":"model","entity_id":"claude"}],"requests":[{"entity_type":"model","entity_id":"gpt-4o"}]' \
	    '[],"x":1' '{"requests":[],"requests":[{"entity_type":"model","entity_id":"claude"}]}' \
	    '[{"entity_type":"model","entity_id":"claude","entity_id":"gpt-4o"}]'; do
		get /v1/features/batch -X POST --data-binary "$b"
		[ "$code" = 400 ] || { echo "$b: $code $body"; false; }
	done
	# The catalog, one feature by name or id, and 404.
	get /v1/catalog
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ '.features | length')" -eq 65 ]
	get /v1/catalog/PERF_002
	[ "$(echo "$body" | $JQ -r .name)" = latency_p95_5min ]
	get /v1/catalog/nope
	[ "$code" = 404 ]
	[ "$(echo "$body" | $JQ -r .error.code)" = unknown_feature ]
	get /healthz
	[ "$code" = 200 ] && [ "$body" = '{"status":"ok"}' ] || false
	get /readyz
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c .)" = '{"status":"ready","tiers":[{"tier":"dir","up":true}]}' ]
	get /metrics
	[ "$code" = 200 ]
	echo "$body" | grep -q '^feat_serve_cache_hits_total{tier="l1"} [1-9]'
	echo "$body" | grep -q '^feat_serve_cache_hits_total{tier="dir"} [1-9]'
	echo "$body" | grep -q '^feat_serve_request_duration_seconds_bucket{route="features",tier="l1",le="0.001"} '
	echo "$body" | grep -q '^feat_serve_responses_total{code="404"} 1'
	echo "$body" | grep -q '^feat_serve_inflight 0'
	# Freshness: every record answered is minutes old on the test's clock.
	n=$(echo "$body" | awk '$1 == "feat_serve_freshness_seconds_count" { print $2 }')
	[ "$n" -gt 0 ]
	echo "$body" | grep -q '^feat_serve_freshness_seconds_bucket{le="1"} 0$'
	echo "$body" | grep -q "^feat_serve_freshness_seconds_bucket{le=\"+Inf\"} $n\$"
	echo "$body" | grep -q '^feat_serve_tier_up{tier="dir"} 1'
	get /nowhere
	[ "$code" = 404 ]
	get /v1/catalog -X POST -d x
	[ "$code" = 405 ]
}

@test "serve-002: error codes: 400, 401, 413, 414, 431, 429, 503, 504" {
	store
	printf 'a-token-of-enough-bytes\n' > "$TMP/token"
	# 101 features in one group, through an overlay.
	$JQ -c '{features: [range(101) | {name: "extra_\(.)", id: "XTR_\(.)", category: "performance", group: "perf_5min", type: "float", min: 0, max: 1, nullable: true, default: null, unit: "x", description: "x", formula: "x", source: ["latency_ms"], freshness_s: 300, owner: "t", tags: [], deprecated: false}]}' -n > "$TMP/ov.json"
	start --store "dir:$TMP/st" --token-file "$TMP/token" --max-body 1K --catalog-overlay "$TMP/ov.json"
	get /v1/features/model/gpt-4o
	[ "$code" = 401 ]
	[ "$(echo "$body" | $JQ -r .error.code)" = unauthorized ]
	get /v1/features/model/gpt-4o -H 'Authorization: Bearer wrong-token-of-enough-bytes'
	[ "$code" = 401 ]
	# /healthz and /readyz need no token.
	get /healthz
	[ "$code" = 200 ]
	A=(-H 'Authorization: Bearer a-token-of-enough-bytes')
	get '/v1/features/model/gpt-4o?features=latency_p50_5min' "${A[@]}"
	[ "$code" = 200 ]
	get '/v1/features/model/gpt-4o?features=nope' "${A[@]}"
	[ "$code" = 400 ] && [ "$(echo "$body" | $JQ -r .error.code)" = unknown_feature ]
	get '/v1/features/model/gpt-4o?features=group:perf_5min' "${A[@]}"
	[ "$code" = 400 ] && [ "$(echo "$body" | $JQ -r .error.code)" = too_many_features ]
	get '/v1/features/no%20such/x' "${A[@]}"
	[ "$code" = 400 ] && [ "$(echo "$body" | $JQ -r .error.code)" = unknown_entity_type ]
	get '/v1/features/model/x?as_of=yesterday' "${A[@]}"
	[ "$code" = 400 ]
	get '/v1/features/model/x?version=0' "${A[@]}"
	[ "$code" = 400 ]
	get '/v1/features/model/a%zzb' "${A[@]}"
	[ "$code" = 400 ]
	get /v1/features/batch -X POST -d '{"requests":' "${A[@]}"
	[ "$code" = 400 ]
	get /v1/features/batch -X POST -d "$(head -c 2000 /dev/zero | tr '\0' ' ')[]" "${A[@]}"
	[ "$code" = 413 ]
	get "/v1/features/model/$(head -c 9000 /dev/zero | tr '\0' a)" "${A[@]}"
	[ "$code" = 414 ]
	get /v1/catalog "${A[@]}" -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)"
	[ "$code" = 431 ] || [ "$code" = 400 ]
	teardown
	# 503: the only tier is down; 504: a tier that never answers.
	start --store redis://127.0.0.1:1/0
	get /v1/features/model/gpt-4o
	[ "$code" = 503 ]
	[ "$(echo "$body" | $JQ -r .error.code)" = unavailable ]
	get /readyz
	[ "$code" = 503 ]
	[ "$(echo "$body" | $JQ -r '.tiers[0].up')" = false ]
}

# A Redis of the test's own on port $1 (stopped by the caller).
own_redis() {
	redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no \
	    --daemonize no > "$TMP/redis.log" 2>&1 3>&- &
	RPID=$!
	for _ in $(seq 50); do
		redis-cli -p "$1" ping > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

@test "serve-003: a stalled tier: 504 at the deadline, 429 past --max-inflight, taken down, then it recovers" {
	local rp=$((26500 + BATS_TEST_NUMBER))
	own_redis "$rp"
	rec gpt-4o 2024-11-16T23:55:00Z 200 > "$TMP/r"
	"$FEAT_LOAD" --to "redis://127.0.0.1:$rp/0" "$TMP/r" 2>/dev/null
	start --store "redis://127.0.0.1:$rp/0" --timeout 300ms --max-inflight 1 --cache-size 0
	get '/v1/features/model/gpt-4o?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = redis ]
	kill -STOP "$RPID"
	curl -s -o "$TMP/slow" -w '%{http_code}' "http://127.0.0.1:$PORT/v1/features/model/gpt-4o" > "$TMP/slow.code" &
	local c1=$!
	sleep 0.1
	get /v1/features/model/claude
	[ "$code" = 429 ]
	[ "$(echo "$body" | $JQ -r .error.code)" = too_many_requests ]
	wait "$c1"
	[ "$(cat "$TMP/slow.code")" = 504 ]
	[ "$($JQ -r .error.code "$TMP/slow")" = deadline ]
	# Owing an answer for more than a second: stalled, taken down.
	sleep 1.3
	get /readyz
	[ "$code" = 503 ]
	[ "$(echo "$body" | $JQ -c '.tiers[0].up')" = false ]
	kill -CONT "$RPID"
	sleep 0.6
	get '/v1/features/model/gpt-4o?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":200}' ]
	kill "$RPID"
}

@test "serve-004: hostile ids and names are refused or round-trip without touching another key" {
	store
	start --store "dir:$TMP/st" --timeout 2s
	local ids=('a:b' 'a{b' 'a}b' '{model:x}' 'a%b' "it's" 'say "hi"' '../../etc/passwd' \
	    "x'; DROP TABLE feat.feature_values; --" 'tab	here' 'back\slash' '*?[glob]' \
	    'gpt-4o ' 'ünï©ødé')
	: > "$TMP/push"
	local i=0 id
	for id in "${ids[@]}"; do
		$JQ -cn --arg id "$id" --argjson v "$i" '{entity_type:"model",entity_id:$id,group:"perf_5min",version:1,ts:"2024-11-16T23:59:00Z",features:{latency_p50_5min:$v}}' >> "$TMP/push"
		i=$((i + 1))
	done
	get /v1/records -X POST --data-binary "@$TMP/push"
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c .)" = "{\"records\":${#ids[@]},\"tiers\":{\"dir\":{\"added\":${#ids[@]},\"duplicates\":0}}}" ]
	i=0
	for id in "${ids[@]}"; do
		local enc
		enc=$($JQ -rn --arg s "$id" '$s | @uri')
		get "/v1/features/model/$enc?features=latency_p50_5min"
		[ "$code" = 200 ] || { echo "$id: $code $body"; false; }
		[ "$(echo "$body" | $JQ -r .entity_id)" = "$id" ]
		[ "$(echo "$body" | $JQ -c .features)" = "{\"latency_p50_5min\":$i}" ] || { echo "$id: $body"; false; }
		i=$((i + 1))
	done
	# The keys that were there before are untouched.
	get '/v1/features/model/gpt-4o?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":200}' ]
	# Escaped NULs, bad escapes, 1 MB ids, names that are not names.
	for p in '/v1/features/model/a%00b' '/v1/features/model/a%0' '/v1/features/model/%ZZ' \
	    '/v1/features/mo%00del/x' '/v1/features/model/x?features=a%00b' \
	    '/v1/features/model/x?features=latency_p50_5min;DROP' '/v1/features/Model/x' \
	    '/v1/features/model/x?features=../../x' '/v1/features/model/x?as_of=%00'; do
		get "$p"
		[ "$code" = 400 ] || { echo "$p: $code $body"; false; }
	done
	get /v1/features/batch -X POST -d "{\"requests\":[{\"entity_type\":\"model\",\"entity_id\":\"$(head -c 600 /dev/zero | tr '\0' a)\"},{\"entity_type\":\"model\",\"entity_id\":\"a\\u0000b\"}]}"
	[ "$code" = 200 ] || [ "$code" = 400 ]
	head -c 1048576 /dev/zero | tr '\0' a | sed 's/^/{"requests":[{"entity_type":"model","entity_id":"/; s/$/"}]}/' > "$TMP/big"
	get /v1/features/batch -X POST --data-binary "@$TMP/big"
	[ "$code" = 413 ]
	# The store holds exactly the pushed records and the first ones.
	[ "$("$FEAT_QUERY" --from "dir:$TMP/st" stats | $JQ .records)" -eq $((4 + ${#ids[@]})) ]
}

@test "serve-005: as_of answers equal feat-join's for 1,000 random (entity, ts) rows" {
	awk 'BEGIN { srand(5); base = 1731715200
		for (i = 0; i < 3000; i++) {
			ts = base + int(rand() * 7200); c = ts + int(rand() * 120)
			printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"perf_5min\",\"version\":1,\"ts\":\"%s\",\"created\":\"%s\",\"features\":{\"latency_p50_5min\":%d}}\n",
			    int(rand() * 20), strftime("%Y-%m-%dT%H:%M:%SZ", ts, 1), strftime("%Y-%m-%dT%H:%M:%SZ", c, 1), i
		}
		for (i = 0; i < 1000; i++)
			printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"ts\":\"%s\"}\n",
			    int(rand() * 22), strftime("%Y-%m-%dT%H:%M:%SZ", base - 600 + int(rand() * 8400), 1) > "/dev/stderr"
	}' > "$TMP/recs" 2> "$TMP/rows"
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/recs" 2>/dev/null
	"$FEAT_JOIN" --from "dir:$TMP/st" -g perf_5min:latency_p50_5min "$TMP/rows" |
	    $JQ -c '[.entity_id, .ts, .features.latency_p50_5min, .feature_status.latency_p50_5min]' > "$TMP/want"
	start --store "dir:$TMP/st" --timeout 5s
	$JQ -sc '{requests: map({entity_type, entity_id, as_of: .ts, features: "latency_p50_5min"})}' "$TMP/rows" > "$TMP/batch"
	get /v1/features/batch -X POST --data-binary "@$TMP/batch"
	[ "$code" = 200 ]
	echo "$body" | $JQ -c '.responses[] | [.entity_id, .features.latency_p50_5min, .status.latency_p50_5min]' > "$TMP/got"
	$JQ -c '[.[0], .[2], (if .[3] == "stale" then "present" else .[3] end)]' "$TMP/want" > "$TMP/want2"
	$JQ -c '[.[0], .[1], (if .[2] == "stale" then "present" else .[2] end)]' "$TMP/got" > "$TMP/got2"
	[ "$(wc -l < "$TMP/got2")" -eq 1000 ]
	diff "$TMP/want2" "$TMP/got2"
	[ "$(grep -c '"present"' "$TMP/got2")" -gt 500 ]
	[ "$(grep -c '"not_found"' "$TMP/got2")" -gt 10 ]
}

@test "serve-006: a push is seen at once by every thread; the L1 never serves what a push replaced" {
	store
	start --store "dir:$TMP/st" --threads 2
	for _ in $(seq 20); do
		get '/v1/features/model/claude?features=latency_p50_5min'
		[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":300}' ]
	done
	rec claude 2024-11-16T23:59:00Z 777 > "$TMP/new"
	get /v1/records -X POST --data-binary "@$TMP/new"
	[ "$code" = 200 ]
	for _ in $(seq 20); do
		get '/v1/features/model/claude?features=latency_p50_5min'
		[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":777}' ] || { echo "$body"; false; }
	done
	# A bad record refuses the whole body; nothing is written.
	{ rec claude 2024-11-17T00:00:00Z 1; echo '{"entity_type":"model"}'; } > "$TMP/bad"
	get /v1/records -X POST --data-binary "@$TMP/bad"
	[ "$code" = 400 ]
	[ "$(echo "$body" | $JQ -r .error.code)" = bad_record ]
	[[ "$(echo "$body" | $JQ -r .error.message)" == "line 2: "* ]]
	get '/v1/features/model/claude?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":777}' ]
	# What feat-load refuses, a push refuses: a group the catalog lacks,
	# another entity type's group, a '_' name, an object, 1e400.
	local bad
	for bad in '"group":"nope","features":{"x":1}' \
	    '"group":"static","features":{"x":1}' \
	    '"group":"perf_5min","features":{"_ts":1}' \
	    '"group":"perf_5min","features":{"latency_p50_5min":{"a":1}}' \
	    '"group":"perf_5min","features":{"latency_p50_5min":1e400}'; do
		printf '{"entity_type":"%s","entity_id":"claude","version":1,"ts":"2024-11-17T00:00:30Z",%s}\n' \
		    "$([[ "$bad" == *static* ]] && echo request || echo model)" "$bad" > "$TMP/bad"
		get /v1/records -X POST --data-binary "@$TMP/bad"
		[ "$code" = 400 ] || { echo "$bad: $code $body"; false; }
		[ "$(echo "$body" | $JQ -r .error.code)" = bad_record ]
	done
	get '/v1/features/model/claude?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":777}' ]
	# feat-load's records written meanwhile are picked up (after the
	# L1's time, here none).
	teardown
	start --store "dir:$TMP/st" --cache-size 0
	rec claude 2024-11-17T00:01:00Z 888 | "$FEAT_LOAD" --to "dir:$TMP/st" 2>/dev/null
	sleep 0.2
	get '/v1/features/model/claude?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":888}' ]
}

@test "serve-007: a client sending a byte a second is cut off; malformed HTTP gets 400; SIGHUP, SIGTERM" {
	store
	start --store "dir:$TMP/st" --idle-timeout 1s
	# One byte a second: cut off after the idle timeout, while other
	# clients are answered.
	python3 -c '
import socket, sys, time, select
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.time()
for c in b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n":
    r, _, _ = select.select([s], [], [], 1.0)
    if r:
        data = s.recv(100)
        print("closed" if not data else "answered", round(time.time() - t0, 1))
        sys.exit(0)
    try:
        s.send(bytes([c]))
    except OSError:
        print("closed", round(time.time() - t0, 1)); sys.exit(0)
print("never closed")
' "$PORT" > "$TMP/slowclient" 3>&- &
	local slow=$!
	for _ in $(seq 10); do
		get '/v1/features/model/gpt-4o?features=latency_p50_5min'
		[ "$code" = 200 ]
		sleep 0.2
	done
	wait "$slow"
	echo "# slow client: $(cat "$TMP/slowclient")" >&3
	[[ "$(cat "$TMP/slowclient")" == "closed "* ]]
	awk '{ exit !($2 <= 3) }' "$TMP/slowclient"
	# Malformed requests: 400 from h2o, and the server stays up.
	for req in 'GARBAGE\r\n\r\n' 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' \
	    'GET /v1/catalog HTTP/9.9\r\n\r\n' '\x00\x01\x02\r\n\r\n'; do
		exec 5<>"/dev/tcp/127.0.0.1/$PORT"
		printf "$req" >&5
		timeout 3 head -c 12 <&5 > "$TMP/resp" || true
		exec 5>&-
		grep -q '^HTTP/1.1 4' "$TMP/resp" || { echo "$req: $(cat "$TMP/resp")"; false; }
	done
	get /healthz
	[ "$code" = 200 ]
	# SIGHUP: an overlay changed on disk is read again.
	teardown
	echo '{"features":[{"name":"latency_p50_5min","description":"first"}]}' > "$TMP/ov.json"
	start --store "dir:$TMP/st" --catalog-overlay "$TMP/ov.json"
	get /v1/catalog/latency_p50_5min
	[ "$(echo "$body" | $JQ -r .description)" = first ]
	echo '{"features":[{"name":"latency_p50_5min","description":"second"}]}' > "$TMP/ov.json"
	kill -HUP "$SPID"
	sleep 0.3
	get /v1/catalog/latency_p50_5min
	[ "$(echo "$body" | $JQ -r .description)" = second ]
	echo 'not json' > "$TMP/ov.json"
	kill -HUP "$SPID"
	sleep 0.3
	get /v1/catalog/latency_p50_5min
	[ "$(echo "$body" | $JQ -r .description)" = second ]
	grep -q "SIGHUP: the catalog was not reloaded" "$TMP/serve.err"
	# SIGTERM: exit 0.
	kill -TERM "$SPID"
	wait "$SPID"
	SPID=
}

@test "serve-008: the serve-time derived features DRV_002, 003, 007, 008, 010 from the stored groups" {
	local T=2024-11-16T23:55:00Z
	{
		for m in "m1 0.002 1000 0.01 0.99" "m2 0.004 500 0.02 0.98" "m3 0.005 2000 0.03 0.97"; do
			set -- $m
			printf '{"entity_type":"model","entity_id":"%s","group":"perf_5min","ts":"%s","features":{"avg_cost_per_request_5min":%s,"latency_p95_5min":%s,"error_rate_5min":%s,"success_rate_5min":%s}}\n' "$1" "$T" "$2" "$3" "$4" "$5"
		done
		printf '{"entity_type":"system","entity_id":"global","group":"context_1min","ts":"%s","features":{"queue_depth":0.3}}\n' "$T"
		printf '{"entity_type":"system","entity_id":"global","group":"context","ts":"%s","features":{"available_budget_ratio":0.25}}\n' "$T"
		printf '{"entity_type":"request","entity_id":"r1","group":"request","ts":"%s","features":{"request_priority":0.8}}\n' "$T"
		printf '{"entity_type":"model","entity_id":"m4","group":"perf_5min","ts":"%s","features":{"avg_cost_per_request_5min":0,"latency_p95_5min":null,"error_rate_5min":0.5,"success_rate_5min":0.5}}\n' "$T"
	} > "$TMP/recs"
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/recs" 2>/dev/null
	start --store "dir:$TMP/st"
	get /v1/features/batch -X POST -d '{"requests":[{"entity_type":"model","entity_id":"m1","features":"DRV_002,DRV_003,DRV_008,DRV_010"},{"entity_type":"model","entity_id":"m2","features":"DRV_010"},{"entity_type":"model","entity_id":"m3","features":"DRV_010"},{"entity_type":"request","entity_id":"r1","features":"DRV_007"},{"entity_type":"model","entity_id":"m4","features":"DRV_002,DRV_003"},{"entity_type":"model","entity_id":"none","features":"DRV_002"}]}'
	[ "$code" = 200 ]
	echo "$body" | $JQ -c '.responses[] | [.features, .status]' > "$TMP/got"
	# The expected values, computed here from SPEC 4's formulas.
	local want3
	want3=$(awk 'BEGIN {
		c[1] = 0.002; p[1] = 1000; e[1] = 0.01; c[2] = 0.004; p[2] = 500; e[2] = 0.02
		c[3] = 0.005; p[3] = 2000; e[3] = 0.03
		# m3 is dominated by m1; the front is m1 and m2.
		best = 9
		for (i = 1; i <= 2; i++) {
			d = sqrt((c[i] / 0.005 - 1) ^ 2 + (p[i] / 2000 - 1) ^ 2 + (e[i] / 0.03 - 1) ^ 2)
			if (d < best) best = d
		}
		printf "%.15f", 1 - best / sqrt(3) }')
	sed -n 1p "$TMP/got" | $JQ -e '.[0] | (.cost_latency_score - 0.15 | fabs) < 1e-12 and (.quality_cost_ratio - 495 | fabs) < 1e-9 and (.load_adjusted_latency - 1300 | fabs) < 1e-9 and .pareto_efficiency_score == 1'
	sed -n 2p "$TMP/got" | $JQ -e '.[0].pareto_efficiency_score == 1'
	sed -n 3p "$TMP/got" | $JQ -e --argjson w "$want3" '(.[0].pareto_efficiency_score - $w | fabs) < 1e-12'
	sed -n 4p "$TMP/got" | $JQ -e '(.[0].time_pressure_indicator - 0.6 | fabs) < 1e-12 and .[1].time_pressure_indicator == "present"'
	# A null input or a cost of 0: null; no record: not_found.
	[ "$(sed -n 5p "$TMP/got")" = '[{"cost_latency_score":null,"quality_cost_ratio":null},{"cost_latency_score":"null","quality_cost_ratio":"null"}]' ]
	[ "$(sed -n 6p "$TMP/got")" = '[{"cost_latency_score":null},{"cost_latency_score":"not_found"}]' ]
}

@test "serve-009: tiers: PostgreSQL fills Redis and the L1; Redis killed, then back, without a restart" {
	: "${FEAT_TEST_PG:?start the servers: scripts/services}"
	local rp=$((26500 + BATS_TEST_NUMBER)) db=feat_serve_$$ pg
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" > /dev/null
	pg=${FEAT_TEST_PG%/*}/$db
	own_redis "$rp"
	for m in k1 k2 k3; do rec "$m" 2024-11-16T23:55:00Z 100; done > "$TMP/r"
	"$FEAT_LOAD" --to "$pg" "$TMP/r" 2>/dev/null
	start --store "redis://127.0.0.1:$rp/0" --store "$pg" --timeout 5s
	# Only PostgreSQL has k1: served from it, then Redis holds it too,
	# and the next answer comes from the L1.
	get '/v1/features/model/k1?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = postgresql ]
	sleep 0.4
	[ "$(redis-cli -p "$rp" HGET 'feat:{model:k1}:perf_5min:v1' latency_p50_5min)" = 100 ]
	get '/v1/features/model/k1?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = l1 ]
	get /metrics
	echo "$body" | grep -qx 'feat_serve_cache_hits_total{tier="postgresql"} 1'
	echo "$body" | grep -qx 'feat_serve_cache_hits_total{tier="l1"} 1'
	echo "$body" | grep -qx 'feat_serve_store_fills_total{tier="redis"} 1'
	# Redis killed: PostgreSQL and the L1 keep answering; /readyz says so.
	kill -9 "$RPID"
	wait "$RPID" 2>/dev/null || true
	get '/v1/features/model/k2?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c '[.features.latency_p50_5min, .metadata.groups.perf_5min.tier]')" = '[100,"postgresql"]' ]
	get '/v1/features/model/k1?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = l1 ]
	# Two groups after the loss (a crash once), and a key no tier holds:
	# not_found, not 503, since PostgreSQL answered.
	for _ in 1 2 3; do
		get '/v1/features/model/k2?features=latency_p50_5min,model_provider'
		[ "$code" = 200 ]
	done
	get '/v1/features/model/nobody?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -r .status.latency_p50_5min)" = not_found ]
	get /readyz
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c '[.tiers[] | [.tier, .up]]')" = '[["redis",false],["postgresql",true]]' ]
	get /metrics
	echo "$body" | grep -qx 'feat_serve_tier_up{tier="redis"} 0'
	# Redis back on its port: the server finds it again by itself.
	own_redis "$rp"
	for _ in $(seq 80); do
		get /readyz
		[ "$(echo "$body" | $JQ -c '[.tiers[].up]')" = '[true,true]' ] && break
		sleep 0.1
	done
	[ "$(echo "$body" | $JQ -c '[.tiers[].up]')" = '[true,true]' ]
	get '/v1/features/model/k3?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = postgresql ]
	sleep 0.4
	[ "$(redis-cli -p "$rp" HGET 'feat:{model:k3}:perf_5min:v1' latency_p50_5min)" = 100 ]
	kill "$RPID"
	teardown
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db" > /dev/null
}

@test "serve-010: as_of from dir: and from PostgreSQL equals the SQL reference (DISTINCT ON) for 1,000 rows" {
	: "${FEAT_TEST_PG:?start the servers: scripts/services}"
	local db=feat_serve_asof_$$ pg store
	awk -v dir="$TMP" 'BEGIN { srand(9); base = 1731715200
		for (i = 0; i < 3000; i++) {
			# Ties in ts broken by created (one a record);
			# records without created have a ts of their own.
			m = int(rand() * 20); ts = base + int(rand() * 120) * 60; c = base + 10000 + i
			if (rand() < 0.1) {
				ts = base + 1 + i * 2
				printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"perf_5min\",\"version\":1,\"ts\":%d,\"features\":{\"latency_p50_5min\":%d}}\n", m, ts, i > (dir "/recs")
				printf "%d,m%d,%d,\n", i, m, ts > (dir "/recs.csv")
			} else {
				printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"perf_5min\",\"version\":1,\"ts\":%d,\"created\":%d,\"features\":{\"latency_p50_5min\":%d}}\n", m, ts, c, i > (dir "/recs")
				printf "%d,m%d,%d,%d\n", i, m, ts, c > (dir "/recs.csv")
			}
		}
		for (i = 0; i < 1000; i++) {
			m = int(rand() * 22); t = base - 600 + int(rand() * 8400)
			printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"as_of\":\"%s\",\"features\":\"latency_p50_5min\"}\n", m, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1) > (dir "/rows")
			printf "%d,m%d,%d\n", i, m, t > (dir "/rows.csv")
		}
	}'
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" > /dev/null 2>&1
	pg=${FEAT_TEST_PG%/*}/$db
	"$FEAT_LOAD" --to "dir:$TMP/st" --to "$pg" "$TMP/recs" 2>/dev/null
	{
		echo "create temp table rec (n int, eid text, ts bigint, created bigint);"
		echo "\\copy rec from '$TMP/recs.csv' with (format csv)"
		echo "create temp table r (i int, eid text, ts bigint);"
		echo "\\copy r from '$TMP/rows.csv' with (format csv)"
		echo "select distinct on (r.i) r.eid, coalesce(rec.n::text, 'null'),"
		echo "    case when rec.n is null then 'not_found' else 'present' end"
		echo "from r left join rec on rec.eid = r.eid and rec.ts <= r.ts"
		echo "order by r.i, rec.ts desc, rec.created desc nulls last;"
	} > "$TMP/q.sql"
	psql "$pg" -XAtq -F $'\t' -f "$TMP/q.sql" > "$TMP/want"
	[ "$(wc -l < "$TMP/want")" -eq 1000 ]
	$JQ -sc '{requests: .}' "$TMP/rows" > "$TMP/batch"
	for store in "dir:$TMP/st" "$pg"; do
		start --store "$store" --timeout 10s
		get /v1/features/batch -X POST --data-binary "@$TMP/batch"
		[ "$code" = 200 ]
		echo "$body" | $JQ -r '.responses[] | [.entity_id, (.features.latency_p50_5min // "null" | tostring), (.status.latency_p50_5min | if . == "stale" then "present" else . end)] | @tsv' > "$TMP/got"
		diff "$TMP/want" "$TMP/got" || { echo "from $store"; false; }
		local tier=postgresql
		[[ "$store" != dir:* ]] || tier=dir
		[ "$(echo "$body" | $JQ -r '[.responses[].metadata.groups.perf_5min.tier // empty] | unique | join(",")')" = "$tier" ]
		teardown
		SPID=
	done
	[ "$(grep -c present "$TMP/want")" -gt 700 ]
	[ "$(grep -c not_found "$TMP/want")" -gt 50 ]
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db" > /dev/null 2>&1
}

@test "serve-011: a second copy on the same address is refused, not given half the connections" {
	store
	# (A record of no features, the first a fresh server reads.)
	echo '{"entity_type":"model","entity_id":"empty","group":"perf_5min","version":1,"ts":"2024-11-16T23:50:00Z","features":{}}' |
	    "$FEAT_LOAD" --to "dir:$TMP/st" 2>/dev/null
	start --store "dir:$TMP/st" --threads 2
	get '/v1/features/model/empty?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c .status)" = '{"latency_p50_5min":"null"}' ]
	run timeout 5 "$FEAT_SERVE" --listen "127.0.0.1:$PORT" --store "dir:$TMP/st"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot listen on '127.0.0.1:$PORT'"*"another server listens there"* ]]
	# The first still answers every connection.
	for _ in 1 2 3 4 5 6; do
		get /healthz
		[ "$code" = 200 ]
	done
}

@test "serve-012: lookups that block (dir:) stop at the deadline: a batch of 1,000 keys not in the L1 gets 504" {
	awk 'BEGIN { for (i = 0; i < 100000; i++)
		printf "{\"entity_type\":\"model\",\"entity_id\":\"e%d\",\"group\":\"perf_5min\",\"version\":1,\"ts\":\"2024-11-16T23:55:00Z\",\"features\":{\"latency_p50_5min\":%d}}\n", i, i }' |
	    "$FEAT_LOAD" --to "dir:$TMP/big" 2>/dev/null
	start --store "dir:$TMP/big" --timeout 5ms
	awk 'BEGIN { srand(7); printf "{\"requests\":["; for (i = 0; i < 1000; i++) printf "%s{\"entity_type\":\"model\",\"entity_id\":\"e%d\",\"features\":\"latency_p50_5min\"}", i ? "," : "", int(rand() * 100000); printf "]}" }' > "$TMP/b"
	get /v1/features/batch -X POST --data-binary "@$TMP/b"
	[ "$code" = 504 ]
	[ "$(echo "$body" | $JQ -r .error.code)" = deadline ]
	# The server goes on answering.
	get '/v1/features/model/e7?features=latency_p50_5min'
	[ "$code" = 200 ] && [ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":7}' ]
}

@test "serve-013: the catalogs SIGHUP replaces are let go once no request uses them" {
	store
	start --store "dir:$TMP/st" --threads 2
	local i r0 r1
	for i in $(seq 10); do kill -HUP "$SPID"; sleep 0.07; done
	get '/v1/features/model/gpt-4o?features=latency_p50_5min'
	r0=$(ps -o rss= -p "$SPID")
	# A reloaded catalog is ~300 KB: 120 of them kept were ~35 MB.
	for i in $(seq 120); do
		kill -HUP "$SPID"
		sleep 0.06
		[ $((i % 10)) -ne 0 ] || get '/v1/features/model/gpt-4o?features=latency_p50_5min'
	done
	sleep 0.3
	r1=$(ps -o rss= -p "$SPID")
	echo "# rss $r0 KB after 10 reloads, $r1 KB after 130" >&3
	[ "$(grep -c 'SIGHUP: catalog reloaded' "$TMP/serve.err")" -ge 100 ]
	# None is held once the requests are done (the RSS above says so too,
	# but not under ASan, whose quarantine keeps what is freed).
	get /metrics
	echo "$body" | grep -q '^feat_serve_catalogs_replaced 0$'
	get '/v1/features/model/gpt-4o?features=latency_p50_5min'
	[ "$code" = 200 ] && [ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":200}' ]
}

# answers PORT ID...: each model's answer over every group, without what
# differs between tiers (its tier, its freshness at the time asked).
answers() {
	local p=$1 id
	shift
	for id in "$@"; do
		curl -s "http://127.0.0.1:$p/v1/features/model/$id" |
		    sed -E 's/"freshness_seconds":[-0-9.e+]+//g; s/"tier":"[a-z0-9]+"//g'
		echo
	done
}

@test "serve-014: a record read from Redis answers as the same record from dir:, however its values are written" {
	local rp=$((26500 + BATS_TEST_NUMBER)) r d
	own_redis "$rp"
	# Numbers in every form JSON allows, null, booleans, a string; a
	# record without created.
	cat > "$TMP/recs" <<'RECS'
{"entity_type":"model","entity_id":"r1","group":"perf_5min","version":1,"ts":"2024-11-16T23:55:00Z","created":"2024-11-16T23:55:02.25Z","features":{"latency_p50_5min":812.5,"latency_p95_5min":2210,"latency_p99_5min":1e5,"success_rate_5min":-0,"error_rate_5min":0.0042,"avg_cost_per_request_5min":1E-3,"throughput_qps_5min":null,"token_efficiency_5min":123456789012345678901234567890,"retry_rate_5min":2.5e-3}}
{"entity_type":"model","entity_id":"r2","group":"perf_5min","version":1,"ts":"2024-11-16T23:55:00Z","features":{"latency_p50_5min":100,"latency_p95_5min":200,"error_rate_5min":0.5,"avg_cost_per_request_5min":0.002}}
{"entity_type":"model","entity_id":"r1","group":"static","version":1,"ts":"2024-11-16T00:00:00Z","features":{"model_cost_per_1k_input":0.0025,"model_provider":"openai","supports_functions":true,"supports_vision":false,"supports_json_mode":null,"model_context_length":128000}}
{"entity_type":"model","entity_id":"r2","group":"static","version":1,"ts":"2024-11-16T00:00:00Z","features":{"supports_functions":false,"supports_vision":true,"model_size_class":2}}
{"entity_type":"model","entity_id":"r3","group":"perf_5min","version":1,"ts":"2024-11-16T23:55:00Z","created":"2024-11-16T23:55:02.25Z","features":{"latency_p50_5min":5,"latency_p95_5min":7,"error_rate_5min":"x","la\"t":3}}
RECS
	head -n 4 "$TMP/recs" | "$FEAT_LOAD" --to "redis://127.0.0.1:$rp/0" 2>/dev/null
	# r3 as another writer might leave it: a blank before a number, a
	# string, a name with a quote, a field of its own.
	redis-cli -p "$rp" HSET 'feat:{model:r3}:perf_5min:v1' _ts 1731801300000 \
	    _created 1731801302250 latency_p50_5min ' 5' latency_p95_5min 7 \
	    error_rate_5min '"x"' 'la"t' 3 _theirs 1 > /dev/null
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/recs" 2>/dev/null
	# r2 first: DRV_010 of r1 ranks it among the models read before it.
	start --store "dir:$TMP/st"
	d=$(answers "$PORT" r2 r1 r3)
	kill -TERM "$SPID"
	wait "$SPID" || true
	start --cache-size 0 --store "redis://127.0.0.1:$rp/0" --timeout 5s
	r=$(answers "$PORT" r2 r1 r3)
	echo "dir:   $d"
	echo "redis: $r"
	[ "$(echo "$d" | grep -c '"features":{')" -eq 3 ]
	# Times no line can carry (past 2262) are no record; a hash of 600k
	# fields is read like any other.
	redis-cli -p "$rp" HSET 'feat:{model:far}:perf_5min:v1' _ts 9300000000000 \
	    latency_p50_5min 5 > /dev/null
	redis-cli -p "$rp" HSET 'feat:{model:far2}:perf_5min:v1' _ts 1731801300000 \
	    _created 99999999999999999999 latency_p50_5min 5 > /dev/null
	redis-cli -p "$rp" EVAL "for i = 1, 600000 do redis.call('HSET', KEYS[1], 'f' .. i, i) end
	    redis.call('HSET', KEYS[1], '_ts', '1731801300000', 'latency_p50_5min', '8') return 1" \
	    1 'feat:{model:wide}:perf_5min:v1' > /dev/null
	for m in far far2 wide r1; do
		get "/v1/features/model/$m?features=latency_p50_5min"
		echo "$m: $code $body" | cut -c1-200
		[ "$code" = 200 ]
	done
	get '/v1/features/model/far?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -r .status.latency_p50_5min)" = not_found ]
	get '/v1/features/model/far2?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -r .status.latency_p50_5min)" = not_found ]
	get '/v1/features/model/wide?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":8}' ]
	echo "$d" | grep -q '"supports_functions":1,"supports_vision":0'
	echo "$d" | grep -q '"supports_functions":0,"supports_vision":1'
	echo "$d" | grep -q '"pareto_efficiency_score":1'
	[ "$r" = "$d" ]
}

again() {	# the count of answers written again from kept ones
	curl -s "http://127.0.0.1:$PORT/metrics" |
	    awk '$1 == "feat_serve_answers_again_total" { print $2 }'
}

@test "serve-015: a kept answer is written again byte for byte, and let go when an entry is replaced or expires, a status would turn stale, a push lands or the catalog is reloaded" {
	local u='/v1/features/model/gpt-4o?features=group:perf_5min' i f1 f2
	store
	# At a fixed time a kept answer is the answer itself: the 1st comes
	# from dir:, the 2nd and 3rd from the L1 (the 3rd is kept), the rest
	# are written again.
	export FEAT_NOW=2024-11-17T00:00:00Z
	start --store "dir:$TMP/st"
	unset FEAT_NOW
	for i in 1 2 3 4 5 6; do get "$u"; echo "$body" > "$TMP/a$i"; done
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = l1 ]
	for i in 3 4 5 6; do cmp "$TMP/a2" "$TMP/a$i"; done
	[ "$(again)" = 3 ]
	# So for targets of two groups, by ID, per user, per version, with
	# derived features (never kept).
	for t in 'features=latency_p50_5min,model_provider' \
	    'features=group:static' 'features=PERF_001,MDL_002' \
	    'features=latency_p50_5min&user_id=u1' \
	    'features=latency_p50_5min&version=1' \
	    'features=latency_p50_5min,pareto_efficiency_score' ''; do
		for i in 1 2 3 4; do
			get "/v1/features/model/gpt-4o?$t"
			[ "$code" = 200 ]
			echo "$body" > "$TMP/b$i"
		done
		cmp "$TMP/b2" "$TMP/b3"
		cmp "$TMP/b2" "$TMP/b4"
		echo "$t: $(again)"
	done
	# 1 for the first target (its static record came from dir:), 2 for
	# each other the L1 held, none with derived features.
	[ "$(again)" = 12 ]
	# Another target is another answer; a reloaded catalog lets go.
	get '/v1/features/model/gpt-4o?features=latency_p50_5min'
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":200}' ]
	kill -HUP "$SPID"
	sleep 0.3
	get "$u"
	cmp "$TMP/a2" <(echo "$body")
	[ "$(again)" = 12 ]
	# A push replaces the entry: the next answer has the new value.
	rec gpt-4o 2024-11-16T23:59:00Z 777 > "$TMP/new"
	get /v1/records -X POST --data-binary "@$TMP/new"
	[ "$code" = 200 ]
	get "$u"
	[ "$(echo "$body" | $JQ -c .features.latency_p50_5min)" = 777 ]
	kill -TERM "$SPID"
	wait "$SPID" || true

	# On the real clock: each kept answer has the freshness of its time,
	# and none outlives its statuses (--max-age) or entries (--cache-ttl).
	rec fresh "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" 5 | "$FEAT_LOAD" --to "dir:$TMP/st" 2>/dev/null
	# (Times long enough for a loaded machine's curl and jq.)
	start --store "dir:$TMP/st" --max-age 3s --cache-ttl 1h
	u='/v1/features/model/fresh?features=latency_p50_5min'
	for i in 1 2 3 4; do get "$u"; done
	f1=$(echo "$body" | $JQ .metadata.groups.perf_5min.freshness_seconds)
	sleep 0.1
	get "$u"
	f2=$(echo "$body" | $JQ .metadata.groups.perf_5min.freshness_seconds)
	[ "$(echo "$body" | $JQ -r .status.latency_p50_5min)" = present ]
	[ "$(again)" = 2 ]
	echo "freshness $f1 then $f2"
	awk -v a="$f1" -v b="$f2" 'BEGIN { exit !(b >= a + 0.09) }'
	sleep 3
	get "$u"
	[ "$(echo "$body" | $JQ -r .status.latency_p50_5min)" = stale ]
	[ "$(again)" = 2 ]
	get "$u"
	[ "$(echo "$body" | $JQ -r .status.latency_p50_5min)" = stale ]
	kill -TERM "$SPID"
	wait "$SPID" || true
	start --store "dir:$TMP/st" --cache-ttl 2s
	for i in 1 2 3 4; do get "$u"; done
	[ "$(again)" = 1 ]
	sleep 2.1
	get "$u"
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = dir ]
	[ "$(again)" = 1 ]
}

@test "serve-016: while a request waits for its tier, a pipelined request waits behind it and a client that leaves harms nothing" {
	local rp=$((26500 + BATS_TEST_NUMBER)) out
	own_redis "$rp"
	{ rec gpt-4o 2024-11-16T23:55:00Z 200; rec claude 2024-11-16T23:55:00Z 300; } > "$TMP/r"
	"$FEAT_LOAD" --to "redis://127.0.0.1:$rp/0" "$TMP/r" 2>/dev/null
	start --store "redis://127.0.0.1:$rp/0" --timeout 3s --cache-size 0
	# Two requests in one write, answered in order, again and again.
	for _ in 1 2 3; do
		exec 5<>"/dev/tcp/127.0.0.1/$PORT"
		printf 'GET /v1/features/model/gpt-4o?features=latency_p50_5min HTTP/1.1\r\nHost: t\r\n\r\nGET /v1/features/model/claude?features=latency_p50_5min HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&5
		out=$(timeout 5 cat <&5 | grep -o '"entity_id":"[a-z0-9-]*"\|"latency_p50_5min":[0-9]\+' | tr '\n' ' ')
		exec 5<&-
		[ "$out" = '"entity_id":"gpt-4o" "latency_p50_5min":200 "entity_id":"claude" "latency_p50_5min":300 ' ]
	done
	# Redis stalled: the first request waits for it; the second comes
	# while it waits, a second client asks and leaves.
	kill -STOP "$RPID"
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	exec 6<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /v1/features/model/gpt-4o?features=latency_p50_5min HTTP/1.1\r\nHost: t\r\n\r\n' >&5
	printf 'GET /v1/features/model/claude?features=latency_p50_5min HTTP/1.1\r\nHost: t\r\n\r\n' >&6
	sleep 0.3
	printf 'GET /v1/features/model/claude?features=latency_p50_5min HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&5
	exec 6<&-
	# Neither wakes the thread again and again while Redis is stalled.
	local t0 t1
	sleep 0.1
	t0=$(awk '{ print $14 + $15 }' "/proc/$SPID/stat")
	sleep 0.5
	t1=$(awk '{ print $14 + $15 }' "/proc/$SPID/stat")
	echo "ticks while held: $((t1 - t0))"
	[ $((t1 - t0)) -lt 10 ]
	kill -CONT "$RPID"
	out=$(timeout 5 cat <&5 | grep -o 'HTTP/1.1 [0-9]*\|"entity_id":"[a-z0-9-]*"\|"latency_p50_5min":[0-9]\+' | tr '\n' ' ')
	exec 5<&-
	[ "$out" = 'HTTP/1.1 200 "entity_id":"gpt-4o" "latency_p50_5min":200 HTTP/1.1 200 "entity_id":"claude" "latency_p50_5min":300 ' ]
	# And the same at the deadline: 504, then the second is asked.
	kill -TERM "$SPID"
	wait "$SPID" || true
	start --store "redis://127.0.0.1:$rp/0" --timeout 300ms --cache-size 0
	kill -STOP "$RPID"
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /v1/features/model/gpt-4o HTTP/1.1\r\nHost: t\r\n\r\n' >&5
	sleep 0.1
	printf 'GET /v1/features/model/claude HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&5
	out=$(timeout 5 cat <&5 | grep -o 'HTTP/1.1 [0-9]*' | tr '\n' ' ')
	exec 5<&-
	[ "$out" = 'HTTP/1.1 504 HTTP/1.1 504 ' ]
	kill -CONT "$RPID"
	get /healthz
	[ "$code" = 200 ]
}

@test "serve-017: batches of 1,000 entities from Redis (300 KB of answers, fed to the reader in pieces) equal the same from dir:" {
	local rp=$((26500 + BATS_TEST_NUMBER)) i
	own_redis "$rp"
	awk 'BEGIN { for (i = 0; i < 3000; i++)
		printf "{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"group\":\"perf_5min\",\"version\":1,\"ts\":\"2024-11-16T23:55:00Z\",\"created\":\"2024-11-16T23:55:02.25Z\",\"features\":{\"latency_p50_5min\":%d.5,\"latency_p95_5min\":%d,\"success_rate_5min\":0.%03d,\"error_rate_5min\":%g,\"retry_rate_5min\":1e-%d}}\n",
		    i, i, 2 * i, i % 1000, i / 7, 1 + i % 9 }' > "$TMP/recs"
	"$FEAT_LOAD" --to "redis://127.0.0.1:$rp/0" "$TMP/recs" 2>/dev/null
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/recs" 2>/dev/null
	for i in 0 1 2; do
		awk -v b="$i" 'BEGIN { printf "{\"requests\":["
			for (k = 0; k < 1000; k++)
				printf "%s{\"entity_type\":\"model\",\"entity_id\":\"m%d\",\"features\":\"group:perf_5min\"}", k ? "," : "", (k * 7 + b * 1000) % 3000
			printf "]}" }' > "$TMP/batch$i"
	done
	export FEAT_NOW=2024-11-17T00:00:00Z
	# dir: lookups block the loop: a batch of 1,000 needs a deadline to
	# match a loaded machine (serve-012 holds it to the default).
	start --store "dir:$TMP/st" --cache-size 0 --timeout 5s
	for i in 0 1 2; do
		curl -s -X POST --data-binary "@$TMP/batch$i" "http://127.0.0.1:$PORT/v1/features/batch" |
		    $JQ -c 'del(.responses[].metadata.groups[].tier)' > "$TMP/d$i"
	done
	kill -TERM "$SPID"
	wait "$SPID" || true
	start --store "redis://127.0.0.1:$rp/0" --cache-size 0 --timeout 5s
	unset FEAT_NOW
	# The three at once: their answers come back in the same reads.
	local pids=()
	for i in 0 1 2; do
		curl -s -X POST --data-binary "@$TMP/batch$i" "http://127.0.0.1:$PORT/v1/features/batch" > "$TMP/r$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in 0 1 2; do
		[ "$($JQ -r '[.responses[].metadata.groups.perf_5min.tier] | unique | join(",")' "$TMP/r$i")" = redis ]
		$JQ -c 'del(.responses[].metadata.groups[].tier)' "$TMP/r$i" > "$TMP/r$i.n"
		[ "$($JQ '.responses | length' "$TMP/d$i")" = 1000 ]
		cmp "$TMP/d$i" "$TMP/r$i.n"
	done
}

# idle_ticks: the server's CPU ticks (1/100 s) in half a second.
idle_ticks() {
	local t0 t1
	t0=$(awk '{ print $14 + $15 }' "/proc/$SPID/stat")
	sleep 0.5
	t1=$(awk '{ print $14 + $15 }' "/proc/$SPID/stat")
	echo "ticks while idle: $((t1 - t0))"
	ticks=$((t1 - t0))
}

@test "serve-018: a lookup connection the server closes while idle (CLIENT KILL, pg_terminate_backend) is let go without spinning, and the next request connects again" {
	: "${FEAT_TEST_PG:?start the servers: scripts/services}"
	local rp=$((26500 + BATS_TEST_NUMBER)) db=feat_serve18_$$ pg ticks round
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" > /dev/null
	pg=${FEAT_TEST_PG%/*}/$db
	own_redis "$rp"
	# Redis first, then PostgreSQL: p1, p2 and p3 are only there (each
	# asked once, as Redis holds it after).
	rec k1 2024-11-16T23:55:00Z 100 > "$TMP/r"
	"$FEAT_LOAD" --to "redis://127.0.0.1:$rp/0" "$TMP/r" 2>/dev/null
	for m in p1 p2 p3; do rec "$m" 2024-11-16T23:55:00Z 200; done > "$TMP/p"
	"$FEAT_LOAD" --to "$pg" "$TMP/p" 2>/dev/null
	start --store "redis://127.0.0.1:$rp/0" --store "$pg" --cache-size 0 --timeout 3s
	for round in 1 2; do
		get '/v1/features/model/k1?features=latency_p50_5min'
		[ "$code" = 200 ]
		[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = redis ]
		get "/v1/features/model/p$round?features=latency_p50_5min"
		[ "$code" = 200 ]
		[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = postgresql ]
		# Both lookup connections are now idle: the servers end them.
		[ "$(redis-cli -p "$rp" CLIENT KILL TYPE normal)" -ge 1 ]
		[ "$(psql "$FEAT_TEST_PG" -XAtqc "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()")" -ge 1 ]
		sleep 0.2
		idle_ticks
		[ "$ticks" -lt 10 ]
		get /readyz
		[ "$code" = 200 ]
		[ "$(echo "$body" | $JQ -c '[.tiers[].up]')" = '[true,true]' ]
	done
	# Each tier answered again after the close: no 503, nothing down.
	get '/v1/features/model/k1?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":100}' ]
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = redis ]
	get '/v1/features/model/p3?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":200}' ]
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = postgresql ]
	! grep -q 'is down' "$TMP/serve.err" || false
	kill -TERM "$SPID"
	wait "$SPID" || true
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE $db WITH (FORCE)" > /dev/null
}

@test "serve-019: a batch whose tier goes away answers what the L1 holds and unavailable for the rest, not not_found" {
	local rp=$((26500 + BATS_TEST_NUMBER))
	own_redis "$rp"
	for m in k1 k2 k3; do rec "$m" 2024-11-16T23:55:00Z 100; done > "$TMP/r"
	"$FEAT_LOAD" --to "redis://127.0.0.1:$rp/0" "$TMP/r" 2>/dev/null
	start --store "redis://127.0.0.1:$rp/0" --timeout 2s
	get '/v1/features/model/k1?features=latency_p50_5min'
	[ "$code" = 200 ]
	kill -9 "$RPID"
	wait "$RPID" 2>/dev/null || true
	# k1 from the L1; k2 asked of a Redis that is gone; k9 is refused.
	get /v1/features/batch -X POST --data-binary '{"requests":[{"entity_type":"model","entity_id":"k1","features":"latency_p50_5min"},{"entity_type":"model","entity_id":"k2","features":"latency_p50_5min"},{"entity_type":"model","entity_id":"k9","features":"nope"}]}'
	echo "$code $body"
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c '.responses[0].features')" = '{"latency_p50_5min":100}' ]
	[ "$(echo "$body" | $JQ -r '.responses[0].metadata.groups.perf_5min.tier')" = l1 ]
	[ "$(echo "$body" | $JQ -c '.responses[1]')" = '{"error":{"code":"unavailable","message":"no tier could answer"}}' ]
	[ "$(echo "$body" | $JQ -r '.responses[2].error.code')" = unknown_feature ]
	# Nothing any tier could answer: the whole batch is 503.
	get /v1/features/batch -X POST --data-binary '{"requests":[{"entity_type":"model","entity_id":"k2"},{"entity_type":"model","entity_id":"k3"}]}'
	[ "$code" = 503 ]
	[ "$(echo "$body" | $JQ -r .error.code)" = unavailable ]
	get /readyz
	[ "$code" = 503 ]
}

@test "serve-020: a lookup connection reset while idle (a proxy's idle timeout) is let go, not taken for a tier that is down" {
	local rp=$((26500 + BATS_TEST_NUMBER)) xp=$((26540 + BATS_TEST_NUMBER))
	own_redis "$rp"
	rec k1 2024-11-16T23:55:00Z 100 > "$TMP/r"
	"$FEAT_LOAD" --to "redis://127.0.0.1:$rp/0" "$TMP/r" 2>/dev/null
	# A proxy that resets (RST, not FIN) a connection idle for 0.5 s;
	# each round leaves the lookup connection idle for 1.5 s.
	tcp_proxy "$xp" "$rp" 0.5
	start --store "redis://127.0.0.1:$xp/0" --cache-size 0 --timeout 2s
	for round in 1 2 3; do
		get '/v1/features/model/k1?features=latency_p50_5min'
		[ "$code" = 200 ] || { echo "round $round: $code $body"; false; }
		[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":100}' ]
		[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = redis ]
		sleep 1.5
		get /readyz
		[ "$code" = 200 ] || { echo "round $round: $code $body"; false; }
	done
	! grep -q 'is down' "$TMP/serve.err" || false
	kill -TERM "$SPID"
	wait "$SPID" || true
}

@test "serve-021: a tier that hangs is retried off the loop: requests other tiers answer never wait for its connect" {
	local rp=$((26500 + BATS_TEST_NUMBER)) hp=$((26540 + BATS_TEST_NUMBER)) i slow=0
	own_redis "$rp"
	rec k1 2024-11-16T23:55:00Z 100 > "$TMP/r"
	"$FEAT_LOAD" --to "redis://127.0.0.1:$rp/0" "$TMP/r" 2>/dev/null
	# A "PostgreSQL" that accepts and never answers: each connect waits
	# for its connect_timeout (2 s).
	python3 -c '
import socket, sys, time
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(64)
held = []
while True:
    c, _ = ls.accept()
    held.append(c)
    with open(sys.argv[2], "a") as f:
        f.write("accepted\n")
' "$hp" "$TMP/accepted" 3>&- &
	XPID=$!
	for i in $(seq 100); do
		(exec 4<> "/dev/tcp/127.0.0.1/$hp") 2> /dev/null && break
		sleep 0.1
	done
	start --store "redis://127.0.0.1:$rp/0" \
	    --store "postgresql://u@127.0.0.1:$hp/x?connect_timeout=2&sslmode=disable" \
	    --cache-size 0 --timeout 500ms
	get /readyz
	[ "$(echo "$body" | $JQ -c '[.tiers[] | [.tier, .up]]')" = '[["redis",true],["postgresql",false]]' ]
	# 6 s: the PostgreSQL tier is tried again 3 or 4 times meanwhile.
	for i in $(seq 60); do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
		    "http://127.0.0.1:$PORT/v1/features/model/k1?features=latency_p50_5min" >> "$TMP/times"
		sleep 0.1
	done
	[ "$(grep -c '^200 ' "$TMP/times")" -eq 60 ]
	awk '$2 > 1 { print "slow:", $0; n++ } END { exit n > 0 }' "$TMP/times"
	[ "$(grep -c 'postgresql.*is down' "$TMP/serve.err")" -eq 1 ]
	# It was tried again meanwhile, and the server hung each time.
	kill -0 "$XPID"
	[ "$(wc -l < "$TMP/accepted")" -ge 4 ] || { cat "$TMP/accepted"; false; }
	get /readyz
	[ "$(echo "$body" | $JQ -c '[.tiers[] | [.tier, .up]]')" = '[["redis",true],["postgresql",false]]' ]
}

@test "serve-022: a PostgreSQL tier down at the start is opened on its own thread when it comes, and answers" {
	: "${FEAT_TEST_PG:?start the servers: scripts/services}"
	local xp=$((26540 + BATS_TEST_NUMBER)) db=feat_serve22_$$ pg pgport
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" > /dev/null
	pg=${FEAT_TEST_PG%/*}/$db
	rec p1 2024-11-16T23:55:00Z 200 > "$TMP/p"
	"$FEAT_LOAD" --to "$pg" "$TMP/p" 2>/dev/null
	pgport=$(psql "$FEAT_TEST_PG" -XAtqc "SHOW port")
	# Nothing listens on the proxy's port yet: the tier is down.
	start --store "postgresql://postgres@127.0.0.1:$xp/$db" --cache-size 0 --timeout 2s
	get '/v1/features/model/p1?features=latency_p50_5min'
	[ "$code" = 503 ]
	tcp_proxy "$xp" "$pgport"
	for i in $(seq 100); do
		get /readyz
		[ "$code" = 200 ] && break
		sleep 0.1
	done
	[ "$(echo "$body" | $JQ -c '[.tiers[] | [.tier, .up]]')" = '[["postgresql",true]]' ]
	get '/v1/features/model/p1?features=latency_p50_5min'
	[ "$code" = 200 ]
	[ "$(echo "$body" | $JQ -c .features)" = '{"latency_p50_5min":200}' ]
	[ "$(echo "$body" | $JQ -r .metadata.groups.perf_5min.tier)" = postgresql ]
	grep -q "tier 'postgresql' is back" "$TMP/serve.err"
	kill -TERM "$SPID"
	wait "$SPID" || true
	psql "$FEAT_TEST_PG" -XAtqc "DROP DATABASE $db WITH (FORCE)" > /dev/null
}
