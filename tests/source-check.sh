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
# libfeat holds no process-wide state (feat-serve runs several threads):
# no environment writes, no C library time zone or static-buffer calls.
bad=$(grep -nE '(^|[^_a-zA-Z0-9])(setenv|putenv|unsetenv|tzset|localtime|gmtime|ctime|asctime|mktime|timegm)[[:space:]]*\(' \
    "$top"/lib/*.c "$top"/lib/*.h 2>/dev/null)
if [ -n "$bad" ]; then
	echo "process-wide state in libfeat:"
	echo "$bad"
	exit 1
fi
# Only the tool driver and feat_die end the process (STYLE 8).
bad=$(grep -nE '(^|[^_a-zA-Z0-9])(exit|_Exit|_exit)[[:space:]]*\(' "$top"/lib/*.c 2>/dev/null |
    grep -v "^$top/lib/tool.c:" | grep -v "^$top/lib/diag.c:")
if [ -n "$bad" ]; then
	echo "exit outside the tool driver and feat_die:"
	echo "$bad"
	exit 1
fi
echo "source-check: no banned functions, no process-wide state, no stray exit"
