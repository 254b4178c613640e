#!/usr/bin/env bats
# docs.bats - the documentation holds: every command of every man page's
# EXAMPLES runs (with the output the page shows, where it shows one), each
# tool's --help synopsis is its man page's SYNOPSIS, and the C examples of
# libfeat(3) build against the library (Makefile.am) and do what they say.
load helpers

# The pages, rendered as text: a literal block starts 11 columns in.
render() { mandoc -T ascii "$1" | col -bx; }

# commands PAGE DIR: writes DIR/N.cmd (a command of the page's EXAMPLES,
# its continuation lines kept) and DIR/N.out (the output the page shows
# right after it, if any), and prints N, how many there are.  A command
# goes on after a backslash, a pipe, or while a quote is open.
commands() {
	mkdir -p "$2"
	render "$1" | sed -n '/^EXAMPLES/,/^SEE ALSO/p' | awk -v dir="$2" '
	function quotes(s,   t) { t = s; return gsub(/\047/, "", t) }
	{
		lit = substr($0, 1, 11) == "           "
		body = substr($0, 12)
		if (lit && open) {
			cmd = cmd "\n" body
		} else if (lit && substr(body, 1, 2) == "$ ") {
			if (n) flush()
			n++; cmd = substr(body, 3); out = ""; taking = 1
		} else if (lit && n && taking && !open) {
			out = out body "\n"
			next
		} else {
			taking = 0; open = 0
			next
		}
		open = cmd ~ /[\\|]$/ || quotes(cmd) % 2 == 1
	}
	function flush() {
		printf "%s\n", cmd > (dir "/" n ".cmd"); close(dir "/" n ".cmd")
		printf "%s", out > (dir "/" n ".out"); close(dir "/" n ".out")
	}
	END { if (n) flush(); print n + 0 }'
}

# A directory holding every file the examples name, the tools on PATH.
sandbox() {
	local sb=$1
	mkdir -p "$sb/bin" "$sb/var/lib/feat" "$sb/var/log/gw"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$FEAT_EXTRACT" > "$sb/bin/feat-extract"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$FEAT_QUERY" > "$sb/bin/feat-query"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$FEAT_WINDOW" > "$sb/bin/feat-window"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$FEAT_LOAD" > "$sb/bin/feat-load"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$FEAT_JOIN" > "$sb/bin/feat-join"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$FEAT_VALIDATE" > "$sb/bin/feat-validate"
	printf '#!/bin/sh\nexec "%s" "$@"\n' "$FEAT_DRIFT" > "$sb/bin/feat-drift"
	chmod +x "$sb/bin/"*
	ln -s "$top_srcdir/tests" "$sb/tests"
	ln -s "$top_srcdir/data" "$sb/data"
	"$FEAT_GENLOAD" -n 300 -s 7 > "$sb/events.ndjson"
	gzip -c "$sb/events.ndjson" > "$sb/events.ndjson.gz"
	for f in events-2024-11-16 events-10h events-11h; do
		cp "$sb/events.ndjson.gz" "$sb/$f.ndjson.gz"
	done
	printf '%s\n' '{"ts":"2024-11-16T18:15:46Z","model":"gpt-4o","input_tokens":120,"meta":{"who":"u-1"}}' \
	    '{"ts":"2024-11-16T18:15:47Z","model":"claude-3-5-sonnet-20241022","input_tokens":300,"output_tokens":12}' \
	    > "$sb/log.ndjson"
	cp "$DATA/fixtures/otlp-export.ndjson" "$sb/otel-traces.json"
	cp "$DATA/fixtures/litellm-spend-log.ndjson" "$sb/litellm-spend.ndjson"
	cp "$DATA/traces/azure-llm-conv-2023.csv" "$sb/"
	cp "$FEAT_MODELS" "$sb/my-models.json"
	cp "$DATA/catalog/overlay-acme.json" "$sb/acme.json"
	echo '{"features":[{"name":"prompt_complexity","description":"Local wording."}]}' > "$sb/local.json"
}

@test "docs-001: every command in every man page's EXAMPLES runs" {
	local sb=$TMP/sb page n i total=0
	sandbox "$sb"
	for page in "$top_srcdir"/man/*.[1-9]; do
		n=$(commands "$page" "$TMP/cmds/$(basename "$page")")
		for i in $(seq "$n"); do
			local f=$TMP/cmds/$(basename "$page")/$i
			# Absolute paths of a deployment, inside the sandbox.
			sed -i -e "s#/var/lib/feat/#$sb/var/lib/feat/#g" \
			    -e "s#/var/log/gw/#$sb/var/log/gw/#g" \
			    -e "s#/usr/local/share/feat/#$top_srcdir/data/#g" \
			    -e "s#postgresql://feat@db.internal/features#$FEAT_TEST_PG#g" \
			    -e "s#redis://cache.internal:6379/0#${FEAT_TEST_REDIS%/*}/11#g" "$f.cmd"
			run bash -c 'cd "$1" && PATH="$1/bin:$PATH" bash -o pipefail "$2"' _ "$sb" "$f.cmd"
			[ "$status" -eq 0 ] || { echo "$(basename "$page"): failed ($status): $(cat "$f.cmd")"; echo "$output" | tail -n 5; false; }
			if [ -s "$f.out" ]; then
				[ "$output" = "$(cat "$f.out")" ] || { echo "$(basename "$page"): '$(cat "$f.cmd")' printed '$output', the page shows '$(cat "$f.out")'"; false; }
			fi
			total=$((total + 1))
		done
	done
	echo "# $total commands" >&3
	# feat.7 5, feat-extract.1 9, feat-window.1 5, feat-query.1 6,
	# feat-catalog.5 2, feat-records.5 1, feat-load.1 5, feat-join.1 5,
	# feat-validate.1 4, feat-drift.1 4
	[ "$total" -ge 46 ]
}

# synopsis TOOL: the --help usage lines, "usage: " and the tool's name off,
# blanks folded, "a | b" and "x ..." written as --help writes them.
norm() { tr -s ' \n' '  ' | sed -e 's/ | /|/g' -e 's/ \.\.\./.../g' -e 's/^ //' -e 's/ $//'; }

@test "docs-002: --help and the man page's SYNOPSIS are the same text" {
	local tool bin
	for tool in feat-extract feat-window feat-query feat-load feat-join feat-validate feat-drift feat-serve; do
		case $tool in
		feat-serve) bin=$FEAT_SERVE ;;
		feat-validate) bin=$FEAT_VALIDATE ;;
		feat-drift) bin=$FEAT_DRIFT ;;
		feat-extract) bin=$FEAT_EXTRACT ;;
		feat-window) bin=$FEAT_WINDOW ;;
		feat-load) bin=$FEAT_LOAD ;;
		feat-join) bin=$FEAT_JOIN ;;
		feat-query) bin=$FEAT_QUERY ;;
		esac
		local help page
		help=$("$bin" --help | sed -n '1,/^$/p' | sed -e 's/^usage: //' -e 's/^       //' | norm)
		page=$(render "$top_srcdir/man/$tool.1" | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | norm)
		[ "$help" = "$page" ] || { echo "$tool --help: $help"; echo "$tool.1:    $page"; false; }
		# Not two empty texts: the options are there.
		[[ "$help" == "$tool "*"["*"]"* ]]
	done
}

@test "docs-003: the C examples of libfeat(3) do what the page says" {
	run --separate-stderr "$top_builddir/tests/docs/record-roundtrip"
	[ "$status" -eq 0 ]
	[ "$output" = '{"entity_type":"model","entity_id":"gpt-4o","group":"perf_5min","version":1,"ts":"2024-11-16T18:05:00.000Z","created":"2024-11-16T18:05:00.000Z","features":{"latency_p95_5min":2.21}}' ]
	printf '%s\n' '{"ts":1,"model":"a"}' '{"ts":1,"model":"b"}' 'not json' '{"ts":2,"model":"a"}' > "$TMP/in"
	run --separate-stderr "$top_builddir/tests/docs/count-models" --on-error=skip "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$output" = '{"model":"a","events":2}
{"model":"b","events":1}' ]
	[ "$stderr" = "count-models: 1 bad line skipped" ]
	# It is a feat tool: the driver's bad-line policy and usage are its.
	run --separate-stderr "$top_builddir/tests/docs/count-models" "$TMP/in"
	[ "$status" -eq 3 ]
	[ "$stderr" = "count-models: $TMP/in:3: invalid JSON: lexical error: invalid string in json text at offset 1" ]
	run --separate-stderr "$top_builddir/tests/docs/count-models" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: count-models [--on-error fail|skip|quarantine:FILE] [--max-line SIZE]" ]
}
