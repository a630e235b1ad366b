#!/bin/sh
# md2man.sh: docs/NAME.1.md -> NAME.1 (roff, man macros), at build time.
#
#   md2man.sh GO_MD2MAN IN.md OUT.1 VERSION
#
# The first line of IN ("# packcat(1)") becomes go-md2man's title block
# (.TH PACKCAT 1 "" "packwin VERSION" "packwin manual"); the rest goes
# through go-md2man as it is. Two fixes on its output, so that man(1)
# renders every line without warnings:
#   - in verbatim blocks (.nf ... .fi), a line starting with '.' or "'"
#     (an example's "..." or ".git/") is escaped with \& instead of being
#     read as a request;
#   - a table's last column expands to the line width (tbl "x"), and a
#     long last cell go-md2man left on one line becomes a text block (T{ T}),
#     so that long cells wrap instead of overflowing.
set -eu
[ $# -eq 4 ] || { echo "usage: $0 GO_MD2MAN IN.md OUT.1 VERSION" >&2; exit 2; }
md2man=$1 in=$2 out=$3 version=$4
tmp=$out.tmp.md
name=$(sed -n '1s/^# *\([A-Za-z0-9_-]*\)(\([0-9]\)).*/\1 \2/p' "$in")
[ -n "$name" ] || { echo "$in: the first line is not '# NAME(SECTION)'" >&2; exit 1; }
{
	printf '%% %s "" "packwin %s" "packwin manual"\n' \
		"$(echo "$name" | tr '[:lower:]' '[:upper:]')" "$version"
	sed 1d "$in"
} > "$tmp"
"$md2man" -in "$tmp" -out "$tmp.1"
awk '
	/^\.nf$/ { verbatim = 1; print; next }
	/^\.fi$/ { verbatim = 0; print; next }
	verbatim && /^[.'"'"']/ { print "\\&" $0; next }
	/^\.TS$/ { table = 1; print; next }
	table == 1 && / \.$/ { sub(/ \.$/, "x ."); table = 2; print; next }
	/^\.TE$/ { table = 0; print; next }
	table == 2 && block { if (/^T}/) block = 0; print; next }
	table == 2 {
		n = split($0, cell, "\t")
		line = ""
		for (i = 1; i <= n; i++) {
			c = cell[i]
			if (i == n && c != "T{" && length(c) > 40)
				c = "T{\n" c "\nT}"
			line = line (i > 1 ? "\t" : "") c
		}
		if (cell[n] == "T{")
			block = 1
		print line
		next
	}
	{ print }
' "$tmp.1" > "$out"
rm -f "$tmp" "$tmp.1"
