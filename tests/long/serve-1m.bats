#!/usr/bin/env bats
# serve-1m.bats - make check-long: feat-serve over 1M entities with an L1
# a tenth of their size, under wrk at saturation for 5 minutes over random
# entities: the resident size stays within 10% of its mean after warm-up,
# the L1 never holds more than --cache-size, and it evicts.
load ../bats/helpers

@test "long-serve-001: 1M entities, --cache-size a tenth of them, 5 minutes of wrk: RSS flat, L1 bounded" {
	: "${FEAT_SERVE:?run the suites through make check}"
	local port=$((18900 + RANDOM % 50)) pid wpid bytes max
	awk 'BEGIN { for (i = 0; i < 1000000; i++)
		printf "{\"entity_type\":\"model\",\"entity_id\":\"e%d\",\"group\":\"perf_5min\",\"version\":1,\"ts\":\"2024-11-16T00:05:00.000Z\",\"created\":\"2024-11-16T00:05:02.250Z\",\"features\":{\"latency_p50_5min\":%d,\"latency_p95_5min\":%d,\"success_rate_5min\":0.98}}\n", i, i, 2 * i }' > "$TMP/r"
	"$FEAT_LOAD" --to "dir:$TMP/st" "$TMP/r" 2>/dev/null
	# The records are 237 bytes a line: 1M of them are 237 MB, and 25M
	# is about a tenth (an L1 entry, prepared, with its bookkeeping, is
	# ~310 bytes: ~85,000 of the 1M keys fit).
	"$FEAT_SERVE" --store "dir:$TMP/st" --listen "127.0.0.1:$port" --cache-size 25M --timeout 1s 3>&- 2> "$TMP/serve.err" &
	pid=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
		sleep 0.1
	done
	cat > "$TMP/random.lua" <<'LUA'
request = function()
	return wrk.format("GET", "/v1/features/model/e" .. math.random(0, 999999) .. "?features=latency_p50_5min")
end
LUA
	wrk -t1 -c64 -d300s --latency -s "$TMP/random.lua" "http://127.0.0.1:$port" > "$TMP/wrk" 3>&- &
	wpid=$!
	: > "$TMP/rss"
	for s in $(seq 30); do
		sleep 10
		echo "$(ps -o rss= -p "$pid") $(curl -s "http://127.0.0.1:$port/metrics" | awk '/^feat_serve_l1_bytes / { b = $2 } /^feat_serve_l1_max_bytes / { m = $2 } END { print b, m }')" >> "$TMP/rss"
	done
	wait "$wpid"
	curl -s "http://127.0.0.1:$port/metrics" > "$TMP/metrics"
	kill "$pid"
	wait "$pid" || true
	echo "# wrk: $(grep -E 'Requests/sec' "$TMP/wrk")" >&3
	echo "# rss (kB), l1 bytes, max each 10 s: $(awk '{ printf "%s/%s ", $1, $2 }' "$TMP/rss")" >&3
	! grep -q 'Non-2xx' "$TMP/wrk" || false
	# After a minute of warm-up, every sample within 10% of their mean.
	awk 'NR > 6 { v[++n] = $1; s += $1 } END {
		m = s / n
		for (i = 1; i <= n; i++) if (v[i] < 0.9 * m || v[i] > 1.1 * m) { print "rss " v[i] " kB vs mean " m; exit 1 }
	}' "$TMP/rss"
	# The L1 never past --cache-size, and it evicted.
	awk '{ if ($2 + 0 > $3 + 0) { print "l1 " $2 " > " $3; exit 1 } }' "$TMP/rss"
	local ev hits misses
	ev=$(awk '/^feat_serve_l1_evictions_total / { print $2 }' "$TMP/metrics")
	hits=$(awk '/^feat_serve_cache_hits_total\{tier="l1"\}/ { print $2 }' "$TMP/metrics")
	misses=$(awk '/^feat_serve_cache_misses_total\{tier="l1",reason="absent"\}/ { print $2 }' "$TMP/metrics")
	echo "# wrk latency: $(grep -E '^ +(50|99)%' "$TMP/wrk" | tr -s ' ' | tr '\n' ' ')" >&3
	echo "# evictions $ev, L1 hit ratio $(awk -v h="$hits" -v m="$misses" 'BEGIN { printf "%.3f", h / (h + m) }')" >&3
	[ "$ev" -gt 100000 ]
}
