#!/usr/bin/env bash
# run.sh: build tests/consumer/consumer.c against packwin the three ways a
# user would, run each program on a fixture pack and check what it prints.
#
#   run.sh CMAKE CC PACKWIN_SOURCE_DIR PACKWIN_BUILD_DIR PACK
#
#   a. a CMake project doing add_subdirectory(PACKWIN_SOURCE_DIR), linking
#      packwin::packwin (packwin's own tests must not be built there);
#   b. `cmake --install PACKWIN_BUILD_DIR` into a temporary prefix, then a
#      CMake project doing find_package(packwin), linking packwin::packwin
#      and packwin::packwin_static (that one must not need libpackwin.so);
#      with PACKWIN_MAN=1 in the environment, the man pages must be
#      installed under share/man/man1;
#   c. plain `CC` command lines from `pkg-config --cflags --libs packwin`
#      (shared) and `pkg-config --static` with the archive.
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 CMAKE CC PACKWIN_SOURCE_DIR PACKWIN_BUILD_DIR PACK" >&2; exit 2; }
cmake=$1 cc=$2 src=$3 build=$4 pack=$5
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

fail() { echo "consumer: $*" >&2; exit 1; }

# What every consumer must print: the version of the tree, and the object
# count stored in the idx (v2: after the 8-byte header and 255 fan-out entries).
version=$(sed -n 's/^project(packwin VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
idx=${pack%.pack}.idx
count=$(od -An -tu1 -j 1028 -N4 "$idx" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
[ -n "$version" ] && [ "$count" -gt 0 ] || fail "cannot read the version or the object count"
printf 'packwin %s\n%s objects, verified\n' "$version" "$count" > "$tmp/expected"

check() { # check NAME PROGRAM
	local name=$1
	shift
	"$@" "$pack" > "$tmp/$name.out" 2> "$tmp/$name.err" ||
		{ cat "$tmp/$name.err" >&2; fail "$name: the program failed"; }
	diff -u "$tmp/expected" "$tmp/$name.out" >&2 || fail "$name: unexpected output"
	echo "$name: ok"
}
# quiet COMMAND...: run, showing the output only when it fails
quiet() { "$@" > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; fail "failed: $*"; }; }

# a. add_subdirectory
quiet "$cmake" -S "$here" -B "$tmp/a" -DCMAKE_C_COMPILER="$cc" -DPACKWIN_SOURCE_DIR="$src"
grep -q 'tests not built' "$tmp/log" && fail "add_subdirectory: packwin's tests were considered"
[ ! -e "$tmp/a/packwin/tests" ] || fail "add_subdirectory: packwin's tests were configured"
quiet "$cmake" --build "$tmp/a" -j2 --target consumer
check add_subdirectory "$tmp/a/consumer"

# b. cmake --install, then find_package
prefix=$tmp/prefix
quiet "$cmake" --install "$build" --prefix "$prefix"
# with PACKWIN_MAN=1 (the build made the man pages) they are installed too
if [ "${PACKWIN_MAN:-0}" = 1 ]; then
	for page in packcat.1 pack-serve.1; do
		cmp -s "$build/docs/$page" "$prefix/share/man/man1/$page" ||
			fail "cmake --install: share/man/man1/$page missing or not the one built"
	done
	echo "man pages installed: ok"
fi
quiet "$cmake" -S "$here" -B "$tmp/b" -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix"
quiet "$cmake" --build "$tmp/b" -j2
check find_package-shared "$tmp/b/consumer_shared"
readelf -d "$tmp/b/consumer_shared" | grep -q 'NEEDED.*libpackwin\.so' ||
	fail "find_package: consumer_shared does not link libpackwin.so"
check find_package-static "$tmp/b/consumer_static"
if readelf -d "$tmp/b/consumer_static" | grep -q 'NEEDED.*libpackwin'; then
	fail "find_package: consumer_static needs libpackwin.so"
fi

# c. pkg-config and a plain compiler command line
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name packwin.pc)")
libdir=$(pkg-config --variable=libdir packwin)
# shellcheck disable=SC2046
"$cc" -o "$tmp/pc_shared" "$here/consumer.c" $(pkg-config --cflags --libs packwin) \
	-Wl,-rpath,"$libdir" || fail "pkg-config: the shared build failed"
check pkg-config "$tmp/pc_shared"
# --static: the archive itself, then every library it needs (Libs.private, Requires.private)
# shellcheck disable=SC2046
"$cc" -o "$tmp/pc_static" "$here/consumer.c" $(pkg-config --cflags --static packwin) \
	"$libdir/libpackwin.a" $(pkg-config --static --libs packwin | sed 's/-lpackwin\b//') ||
	fail "pkg-config --static: the static build failed"
if readelf -d "$tmp/pc_static" | grep -q 'NEEDED.*libpackwin'; then
	fail "pkg-config --static: the program needs libpackwin.so"
fi
check pkg-config-static "$tmp/pc_static"
