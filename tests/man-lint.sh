#!/bin/sh
# man-lint.sh - every man page is lint-clean under mandoc.
top=${top_srcdir:-$(dirname "$0")/..}
status=0
for m in "$top"/man/*.[1-9]; do
	out=$(mandoc -T lint -W warning "$m" 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
done
[ $status -eq 0 ] && echo "man-lint: all pages clean"
exit $status
