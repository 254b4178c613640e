#!/usr/bin/env bats
# window-session.bats - feat-window's session windows (session:GAP[/MAX]),
# their tombstones, and the feedback presets with DRV_006.
load helpers

# Feedback events of session s at the given minutes past 2024-01-01T00:00Z.
at() {
	local m
	for m in "$@"; do
		printf '{"ts":%d,"type":"feedback","session_id":"s","rating":%d}\n' \
		    $((1704067200 + m * 60)) $((m % 5 + 1))
	done
}

# [start, end, count] of each record, tombstones as ["x", ts].
spans() {
	$JQ -c 'if .tombstone then ["x", .ts] else
	    [.window.start[11:16], .window.end[11:16], .window.count] end' "$@"
}

@test "window-session-001: events exactly gap apart share a session; a nanosecond more parts them" {
	at 0 30 > "$TMP/in"
	window -w session:30m -k session_id -a 'count()' "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(spans <<< "$output")" = '["00:00","01:00",2]' ]
	[ "$($JQ -r '.entity_type + " " + .group + " " + .ts' <<< "$output")" = \
	    "session window 2024-01-01T01:00:00.000Z" ]
	printf '%s\n' '{"ts":"2024-01-01T00:00:00Z","session_id":"s"}' \
	    '{"ts":"2024-01-01T00:30:00.000000001Z","session_id":"s"}' > "$TMP/in2"
	window -w session:30m -k session_id -a 'count()' "$TMP/in2"
	[ "$status" -eq 0 ]
	[ "$(spans <<< "$output" | tr '\n' ' ')" = '["00:00","00:30",1] ["00:30","01:00",1] ' ]
}

@test "window-session-002: a late event bridging two fired sessions: a tombstone for each, one merged record" {
	# [00:00], [00:18] and [00:40] are three sessions of gap 10m; 00:09
	# comes late (both first ones fired) but within the lateness, and is
	# within 10m of both.
	at 0 18 40 9 > "$TMP/in"
	window -w session:10m -k session_id -G feedback_session \
	    -a 'mean(rating) as avg_user_rating_session' --allowed-lateness 1h \
	    --watermark-delay 1s --created watermark "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(spans <<< "$output" | tr '\n' ' ')" = '["00:00","00:10",1] ["00:18","00:28",1] ["x","2024-01-01T00:10:00.000Z"] ["x","2024-01-01T00:28:00.000Z"] ["00:00","00:28",3] ["00:40","00:50",1] ' ]
	[[ "$stderr" == *"1 window fired again"* ]]
	# The merged record is newer than the tombstones, which are newer
	# than what they delete.
	$JQ -s -e '.[2].created > .[1].created and .[3].created == .[2].created
	    and .[4].created > .[3].created and
	    .[4].features == {"avg_user_rating_session":((1 + 4 + 5) / 3)}' <<< "$output"
	# Loaded, the store holds the merged session and the last, only.
	"$FEAT_LOAD" --to "dir:$TMP/st" <<< "$output" 2> /dev/null
	"$FEAT_QUERY" --from "dir:$TMP/st" history session s feedback_session \
	    > "$TMP/hist" 2> "$TMP/err" || { cat "$TMP/err"; false; }
	[ "$($JQ -r '.window.count' "$TMP/hist" | tr '\n' ' ')" = "3 1 " ]
}

@test "window-session-003: max cuts a session; an event at first + max starts the next" {
	at 0 20 40 60 80 100 120 > "$TMP/in"
	window -w session:30m/1h -k session_id -a 'count()' "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(spans <<< "$output" | tr '\n' ' ')" = '["00:00","01:00",3] ["01:00","02:00",3] ["02:00","02:30",1] ' ]
	# Without max, one session.
	window -w session:30m -k session_id -a 'count()' "$TMP/in"
	[ "$(spans <<< "$output")" = '["00:00","02:30",7]' ]
	# Out of order within the watermark delay: the same sessions.
	at 20 0 60 40 100 80 120 > "$TMP/shuf"
	window -w session:30m/1h -k session_id -a 'count()' --watermark-delay 30m "$TMP/shuf"
	[ "$(spans <<< "$output" | tr '\n' ' ')" = '["00:00","01:00",3] ["01:00","02:00",3] ["02:00","02:30",1] ' ]
	window -w session:0s -k session_id -a 'count()' "$TMP/in"
	[ "$status" -eq 2 ]
}

@test "window-session-004: an event past a closed session's lateness is late, in --late, and in no session" {
	at 0 5 120 7 > "$TMP/in"
	window -w session:10m -k session_id -a 'count()' --late "$TMP/late" "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$(spans <<< "$output" | tr '\n' ' ')" = '["00:00","00:15",2] ["02:00","02:10",1] ' ]
	[[ "$stderr" == *"1 late event"* ]]
	[ "$($JQ -r .ts "$TMP/late")" = $((1704067200 + 7 * 60)) ]
	# Within gap of a closed session and of a live one: late, whether
	# the closed one is still held or not (the watermark at 1.9 s or 2 s).
	local wm
	for wm in 01.900 02.000; do
		printf '%s\n' '{"ts":"2024-01-01T00:00:00.000Z","k":"a","v":1}' \
		    '{"ts":"2024-01-01T00:00:01.500Z","k":"a","v":10}' \
		    "{\"ts\":\"2024-01-01T00:00:$wm\",\"k\":\"b\",\"v\":0}" \
		    '{"ts":"2024-01-01T00:00:00.800Z","k":"a","v":100}' > "$TMP/br"
		window -w session:1s -k k -a 'sum(v)' --watermark-delay 0ms "$TMP/br"
		[ "$($JQ -c 'select(.entity_id == "a") | .features.v_sum' <<< "$output" | tr '\n' ' ')" = "1 10 " ]
		[[ "$stderr" == *"1 late event"* ]]
	done
	# Alone in a window past its lateness: late as well.
	at 0 120 30 > "$TMP/in2"
	window -w session:10m -k session_id -a 'count()' "$TMP/in2"
	[ "$(spans <<< "$output" | tr '\n' ' ')" = '["00:00","00:10",1] ["02:00","02:10",1] ' ]
	[[ "$stderr" == *"1 late event"* ]]
}

@test "window-session-005: sessions of the generated load agree in order and shuffled, and across partitions" {
	"$FEAT_GENLOAD" -n 20000 -s 9 > "$TMP/gen"
	"$FEAT_WINDOW" -p feedback_session "$TMP/gen" > "$TMP/all" 2> /dev/null
	[ "$(wc -l < "$TMP/all")" -gt 100 ]
	# Shuffled within 40 lines (a few seconds, under the 5 s delay).
	awk '{ l[NR % 40] = $0 } NR % 40 == 0 { for (i = 39; i >= 0; i--) print l[i] }
	    END { for (i = NR % 40; i >= 1; i--) print l[i] }' "$TMP/gen" > "$TMP/shuf"
	[ "$(wc -l < "$TMP/shuf")" -eq 20000 ]
	"$FEAT_WINDOW" -p feedback_session "$TMP/shuf" > "$TMP/sh" 2> /dev/null
	diff <($JQ -cS 'del(.created)' "$TMP/all" | sort) <($JQ -cS 'del(.created)' "$TMP/sh" | sort)
	: > "$TMP/union"
	for i in 0 1 2; do
		"$FEAT_WINDOW" -p feedback_session --partition "$i/3" "$TMP/gen" >> "$TMP/union" 2> /dev/null
	done
	diff <($JQ -cS 'del(.created)' "$TMP/all" | sort) <($JQ -cS 'del(.created)' "$TMP/union" | sort)
}

@test "window-session-006: the feedback presets: FDBK_001-008 and DRV_006" {
	printf '%s\n' \
	    '{"ts":"2024-01-01T00:00:00Z","type":"feedback","session_id":"a","user_id":"u","rating":4,"liked":true,"task_completed":true,"dwell_time_seconds":10,"follow_up":true,"response_regenerated":false,"response_copied":true}' \
	    '{"ts":"2024-01-01T00:20:00Z","type":"user_feedback","session_id":"a","user_id":"u","rating":2,"task_completed":false,"dwell_time_seconds":20}' \
	    '{"ts":"2024-01-01T00:21:00Z","type":"request","session_id":"a","user_id":"u","rating":1}' \
	    '{"ts":"2024-01-01T00:40:00Z","type":"feedback","session_id":"a","user_id":"v","liked":false,"follow_up":false,"response_regenerated":true,"response_copied":false,"rating":1}' \
	    > "$TMP/in"
	window -p feedback_session "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$($JQ -c '[.entity_type, .entity_id, .group, .window.count, .features]' <<< "$output")" = \
	    '["session","a","feedback_session",3,{"avg_user_rating_session":2.3333333333333335,"task_completion_rate_session":0.5,"avg_dwell_time_session":15,"follow_up_rate_session":0.3333333333333333}]' ]
	window -p feedback_1hr "$TMP/in"
	[ "$status" -eq 0 ]
	# u's first windows: (4, 1, 0, 1), the first vector, cluster 0; with
	# its second event (3, 1, 0, 1), the second distinct one, cluster 1;
	# v's (1, 0, 1, 0) the third.
	[ "$($JQ -c 'select(.ts == "2024-01-01T00:05:00.000Z") | [.entity_id, .features]' <<< "$output")" = \
	    '["u",{"avg_user_rating_1hr":4,"thumbs_up_ratio_1hr":1,"regeneration_rate_1hr":0,"copy_rate_1hr":1,"user_behavior_cluster":0}]' ]
	[ "$($JQ -c 'select(.entity_id == "v") | .features.user_behavior_cluster' <<< "$output" | sort -u)" = 2 ]
	[ "$($JQ -c 'select(.entity_id == "u" and .window.count == 2) | .features | [.avg_user_rating_1hr, .user_behavior_cluster]' <<< "$output" | sort -u)" = '[3,1]' ]
	# A vector with a null (no event says liked): no cluster.
	printf '%s\n' '{"ts":"2024-01-01T00:00:00Z","type":"feedback","user_id":"w","rating":3,"response_regenerated":true,"response_copied":true}' > "$TMP/in2"
	window -p feedback_1hr "$TMP/in2"
	[ "$($JQ -c '.features.user_behavior_cluster' <<< "$output" | sort -u)" = null ]
}
