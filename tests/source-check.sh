#!/bin/sh
# source-check.sh - bans unsafe C functions from the sources (curl keeps a
# script like this in its test run).  snprintf, memcpy and friends are the
# replacements.
top=${top_srcdir:-$(dirname "$0")/..}
bad=$(grep -nE '(^|[^_a-zA-Z0-9])(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|strtok)[[:space:]]*\(' \
    "$top"/lib/*.c "$top"/lib/*.h "$top"/tools/*.c "$top"/scripts/*.c "$top"/tests/unit/*.c 2>/dev/null)
if [ -n "$bad" ]; then
	echo "banned functions used:"
	echo "$bad"
	exit 1
fi
echo "source-check: no banned functions"
