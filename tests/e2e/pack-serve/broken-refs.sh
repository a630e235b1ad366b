#!/usr/bin/env bash
# broken-refs.sh: refs git leaves out (a stray file under refs/heads/, an empty
# or null-id ref file, invalid names loose and packed, a ref to a missing
# object, symbolic refs dangling, to an invalid name, in a loop) never make
# info/refs fail: it is byte for byte what `git update-server-info` writes
# when git skips broken refs (GIT_REF_PARANOIA=0; git 2.36+ by default
# refuses to write info/refs at all), and the repository still clones.
. "$(dirname "$0")/lib.sh"
ps_setup

r=$ROOT/broken.git
git clone -q --bare "$PACKWIN_FIXTURES/repos/basic.git" "$r"
main=$(git --git-dir="$r" rev-parse main)
echo 'not a ref' >"$r/refs/heads/dummy-marker.txt"
: >"$r/refs/heads/empty"
printf '%040d\n' 0 >"$r/refs/heads/null-id"
echo "$main" >"$r/refs/heads/bad..name"
echo "$main" >"$r/refs/heads/bad name"
echo 1234567890123456789012345678901234567890 >"$r/refs/tags/missing-object"
echo 'ref: refs/heads/nowhere' >"$r/refs/heads/dangling"
echo 'ref: refs/heads/bad..target' >"$r/refs/heads/to-bad-name"
echo 'ref: refs/heads/loop-b' >"$r/refs/heads/loop-a"
echo 'ref: refs/heads/loop-a' >"$r/refs/heads/loop-b"
echo "$main refs/heads/packed..bad" >>"$r/packed-refs"
mkdir -p "$r/refs/heads/folder" && echo "$main" >"$r/refs/heads/folder/ok"
ps_start "$ROOT"
ALIVE_URL=$BASE/broken.git/info/refs

o=$TMP/oracle.git
cp -a "$r" "$o"
GIT_REF_PARANOIA=0 git --git-dir="$o" update-server-info 2>/dev/null
expect_status "broken.git: info/refs despite broken refs" 200 "$BASE/broken.git/info/refs"
expect_files_eq "broken.git: info/refs is update-server-info's (GIT_REF_PARANOIA=0)" \
	"$o/info/refs" "$TMP/body"
check "broken.git: info/refs lists refs/heads/folder/ok" grep -q 'refs/heads/folder/ok$' "$TMP/body"

CHECKS=$((CHECKS + 1))
if git clone -q "$BASE/broken.git" "$TMP/clone" 2>"$TMP/clone.err"; then
	ok "broken.git: git clone over HTTP"
	expect_eq "broken.git: the clone checked out main" "$main" "$(git -C "$TMP/clone" rev-parse HEAD)"
else
	fail "broken.git: git clone failed:"
	cat "$TMP/clone.err" >&2
fi
expect_alive "broken refs"
ps_finish
