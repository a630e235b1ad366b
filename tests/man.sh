#!/usr/bin/env bash
# man.sh: a generated man page renders, and says what its tool's --help says.
#
#   man.sh PAGE.1 SOURCE.md TOOL [COMMAND...]
#
# 1. `man -l PAGE.1` renders it with no warning from man, troff or tbl;
# 2. every heading of SOURCE.md (## and ###, outside code blocks) is a
#    line of the rendered page;
# 3. every option in the option lines of `TOOL --help`, and of
#    `TOOL COMMAND --help` for each COMMAND, appears in the rendered page.
# Every problem is listed, then the exit status is 1.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 PAGE.1 SOURCE.md TOOL [COMMAND...]" >&2; exit 2; }
page=$1 src=$2 tool=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8 MAN_KEEP_FORMATTING=
name=$(basename "$page")
status=0
problem() { echo "$name: $*" >&2; status=1; }

# 1. Render: once at 80 columns for warnings, once wide so that no option
# is broken across lines for the checks below.
if ! MANWIDTH=80 man --warnings -l "$page" > "$tmp/page80" 2> "$tmp/warnings"; then
	cat "$tmp/warnings" >&2
	problem "man -l failed"
fi
if [ -s "$tmp/warnings" ]; then
	sed 's/^/  /' "$tmp/warnings" >&2
	problem "man -l warns (above)"
fi
MANWIDTH=400 man -l "$page" 2>/dev/null | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' > "$tmp/page"
[ "$(wc -l < "$tmp/page")" -gt 20 ] || problem "renders to almost nothing"

# 2. Headings of the source, as plain text (no backticks or emphasis).
awk '/^```/ { fence = !fence; next } !fence && /^###? / { sub(/^#+ +/, ""); print }' "$src" |
	sed 's/[`*]//g' > "$tmp/headings"
[ -s "$tmp/headings" ] || problem "no headings found in $src"
while IFS= read -r h; do
	grep -qxF -- "$h" "$tmp/page" || problem "heading '$h' of $(basename "$src") is not in the rendered page"
done < "$tmp/headings"

# 3. Options: the lines of --help that start with an option, up to the
# first run of two spaces (where the description begins).
help_options() {
	awk '/^[ \t]+-/ {
		sub(/^[ \t]+/, "")
		s = $0
		sub(/  .*/, "", s)
		while (match(s, /-?-[A-Za-z][A-Za-z0-9-]*/)) {
			print substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
		}
	}'
}
"$tool" --help | help_options > "$tmp/options"
for cmd in "$@"; do
	"$tool" "$cmd" --help | help_options | sed "s/^/$cmd /" >> "$tmp/options"
done
n=0
while read -r a b; do
	opt=${b:-$a} where=${b:+"$a --help"}
	n=$((n + 1))
	grep -qE -- "(^|[^A-Za-z0-9-])$opt([^A-Za-z0-9-]|\$)" "$tmp/page" ||
		problem "option $opt of '$(basename "$tool") ${where:---help}' is not in the man page"
done < "$tmp/options"
[ "$n" -ge 3 ] || problem "only $n options found in --help: the extraction is broken"
[ $status -ne 0 ] || echo "$name: renders cleanly, $(wc -l < "$tmp/headings") headings, $n options"
exit $status
