#!/usr/bin/env bash
# reftable.sh: pack-serve on reftable repositories (twins written by tests/tools/reftable.py from-files): info/refs is byte for byte `git update-server-info` of the files-backend original, HEAD is the original's HEAD (never refs/heads/.invalid), and git 2.39's `git clone` checks out the right branch with every ref.
. "$(dirname "$0")/lib.sh"
ps_setup
RT="$PYTHON $HERE/../../tools/reftable.py"

mkdir -p "$TMP/orig" "$ROOT"
# originals: a fixture, the zlib corpus, and one whose HEAD is not on main
cp -a "$PACKWIN_FIXTURES/repos/basic.git" "$TMP/orig/basic.git"
cp -a "$PACKWIN_FIXTURES/repos/sha256.git" "$TMP/orig/sha256.git"
cp -al "$PACKWIN_CORPUS/zlib.git" "$TMP/orig/zlib.git" 2>/dev/null || cp -a "$PACKWIN_CORPUS/zlib.git" "$TMP/orig/zlib.git"
git clone -q --bare "$PACKWIN_FIXTURES/repos/basic.git" "$TMP/orig/side.git"
git --git-dir="$TMP/orig/side.git" symbolic-ref HEAD refs/heads/side
$RT from-files "$TMP/orig/basic.git" "$ROOT/basic.git"
$RT from-files "$TMP/orig/sha256.git" "$ROOT/sha256.git" --hash sha256 --split 2
$RT from-files "$TMP/orig/zlib.git" "$ROOT/zlib.git" --block-size 256 --split 3
$RT from-files "$TMP/orig/side.git" "$ROOT/side.git" --split 2
ps_start "$ROOT"
ALIVE_URL=$BASE/basic.git/info/refs

for r in basic sha256 zlib side; do
	o=$TMP/oracle/$r.git
	mkdir -p "$TMP/oracle"
	cp -a "$TMP/orig/$r.git" "$o"
	rm -f "$o/info/refs"
	git --git-dir="$o" update-server-info
	expect_status "$r: info/refs" 200 "$BASE/$r.git/info/refs"
	expect_files_eq "$r: info/refs is update-server-info's of the original" "$o/info/refs" "$TMP/body"
	expect_status "$r: HEAD" 200 "$BASE/$r.git/HEAD"
	expect_eq "$r: HEAD is the original's, not the placeholder" \
		"ref: $(git --git-dir="$o" symbolic-ref HEAD)" "$(cat "$TMP/body")"
done
expect_alive "info/refs and HEAD of reftable repositories"

# git clone of a twin: the branch HEAD names is checked out, every ref is there
for r in basic zlib side; do
	c=$TMP/clones/$r
	mkdir -p "$TMP/clones"
	CHECKS=$((CHECKS + 1))
	if ! git clone -q "$BASE/$r.git" "$c" 2>"$TMP/clone.err"; then
		fail "$r: git clone $BASE/$r.git failed: $(head -3 "$TMP/clone.err")"
		continue
	fi
	ok "$r: git clone of the reftable twin"
	git clone -q "$TMP/orig/$r.git" "$TMP/clones/$r-orig"
	expect_eq "$r: the clone is on the original's branch" \
		"$(git -C "$TMP/clones/$r-orig" symbolic-ref HEAD)" "$(git -C "$c" symbolic-ref HEAD)"
	git -C "$c" for-each-ref --format='%(objectname) %(refname)' >"$TMP/refs.got"
	git -C "$TMP/clones/$r-orig" for-each-ref --format='%(objectname) %(refname)' >"$TMP/refs.want"
	expect_files_eq "$r: the clone's refs are those of a clone of the original" "$TMP/refs.want" "$TMP/refs.got"
	check "$r: the clone passes git fsck" git -C "$c" fsck --no-progress
done
expect_alive "clones"
ps_finish
