#!/usr/bin/env bash
# symbols.sh: the installed libraries export the public API and nothing else.
#
#   symbols.sh INCLUDE_DIR GENERATED_INCLUDE_DIR LIBRARY...
#
# The API is every function declared PW_EXTERN(type) name(...) in the
# public headers (INCLUDE_DIR/packwin/*.h, packwin/sys/*.h and the
# generated version.h).
# For each LIBRARY (.so: nm -D; .a: nm -g), the defined global symbols
# must be exactly that list: an extra symbol (an internal leaking out) or
# a missing one (a declared function not built) fails, naming it.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 INCLUDE_DIR GENERATED_INCLUDE_DIR LIBRARY..." >&2; exit 2; }
inc=$1 geninc=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Drop preprocessor lines and comments, join each header into one line
# per statement so that declarations split over lines are seen whole,
# then take the name after PW_EXTERN(...).
for h in "$inc"/packwin/*.h "$inc"/packwin/sys/*.h "$geninc"/packwin/*.h; do
	grep -v '^[[:space:]]*#' "$h" | perl -0pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g' |
		tr '\n' ' ' | sed 's/;/;\n/g'
done |
	sed -n 's/.*PW_EXTERN([^)]*)[[:space:]*]*\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*(.*/\1/p' |
	LC_ALL=C sort -u > "$tmp/api"
n=$(wc -l < "$tmp/api")
if [ "$n" -lt 10 ]; then
	echo "symbols.sh: only $n PW_EXTERN declarations found under $inc: the extraction is broken" >&2
	exit 1
fi

status=0
for lib in "$@"; do
	case $lib in
	*.so*) nm -D --defined-only "$lib" ;;
	*.a) nm -g --defined-only "$lib" ;;
	*) echo "symbols.sh: $lib: not a .so or .a" >&2; exit 2 ;;
	esac | awk 'NF == 3 { print $3 }' | LC_ALL=C sort -u > "$tmp/lib"
	extra=$(LC_ALL=C comm -13 "$tmp/api" "$tmp/lib")
	missing=$(LC_ALL=C comm -23 "$tmp/api" "$tmp/lib")
	if [ -n "$extra" ]; then
		echo "$lib: exports symbols that are not PW_EXTERN in the public headers:" >&2
		printf '  %s\n' $extra >&2
		status=1
	fi
	if [ -n "$missing" ]; then
		echo "$lib: does not define these public API functions:" >&2
		printf '  %s\n' $missing >&2
		status=1
	fi
	[ -n "$extra$missing" ] || echo "$lib: $(wc -l < "$tmp/lib") symbols, exactly the $n API functions"
done
exit $status
