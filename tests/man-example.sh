#!/bin/sh
# man-example.sh PAGE NAME - prints the C example NAME of a man page: the
# literal block of its EXAMPLES section whose first line is
# "/* example: NAME */", with roff's \e turned back into a backslash.  The
# build compiles what it prints (Makefile.am), so the examples of
# libfeat(3) are real programs against the installed interface.
page=${1:?usage: man-example.sh PAGE NAME}
name=${2:?usage: man-example.sh PAGE NAME}
out=$(awk -v want="/* example: $name */" '
	/^\.Sh / { in_ex = ($2 == "EXAMPLES") }
	in_ex && /^\.Bd -literal/ { block = 1; first = 1; next }
	block && /^\.Ed/ { block = 0; if (taking) exit; next }
	block {
		if (first) { taking = ($0 == want); first = 0 }
		if (taking) { gsub(/\\e/, "\\"); print }
	}' "$page")
if [ -z "$out" ]; then
	echo "man-example.sh: no example '$name' in $page" >&2
	exit 1
fi
printf '%s\n' "$out"
