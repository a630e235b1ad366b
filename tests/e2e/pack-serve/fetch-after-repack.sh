#!/usr/bin/env bash
# fetch-after-repack.sh: a new commit and `git repack -ad` in the served repository reach a clone with `git fetch` (info/refs and objects/info/packs follow the repository, with and without update-server-info).
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic
SRC=$ROOT/basic.git
ps_start "$ROOT"
ALIVE_URL=$BASE/basic.git/info/refs

git clone -q "$BASE/basic.git" "$TMP/clone" 2>"$TMP/err" || { fail "first clone failed"; cat "$TMP/err" >&2; ps_finish; }
ok "first clone"

# commit_in_source MSG: one new commit on main in the bare source, through a scratch work tree.
commit_in_source() {
	local wt=$TMP/wt
	rm -rf "$wt"
	git clone -q "$SRC" "$wt"
	echo "$1" >>"$wt/README"
	git -C "$wt" commit -qam "$1"
	git -C "$wt" push -q origin HEAD:main
	rm -rf "$wt"
}

# fetch_and_check DESC: the clone's origin/main becomes the source's main, and the clone fscks.
fetch_and_check() {
	local want got
	want=$(git -C "$SRC" rev-parse main)
	if ! git -C "$TMP/clone" fetch -q origin 2>"$TMP/err"; then
		fail "$1: git fetch failed:"
		cat "$TMP/err" >&2
	fi
	got=$(git -C "$TMP/clone" rev-parse origin/main)
	expect_eq "$1: origin/main after fetch is the new commit" "$want" "$got"
	check "$1: the clone passes fsck --full" git -C "$TMP/clone" fsck --full --no-progress
	expect_alive "$1"
}

# 1. new commit, repack -ad (old pack deleted), no update-server-info: the
#    server generates info/refs and objects/info/packs itself.
commit_in_source "one"
git -C "$SRC" repack -adq
rm -f "$SRC/info/refs" "$SRC/objects/info/packs"
expect_eq "repack -ad left one pack" 1 "$(ls "$SRC"/objects/pack/*.pack | wc -l)"
fetch_and_check "commit + repack -ad, generated indexes"

# 2. new commit + repack -ad with update-server-info: the files on disk are current.
commit_in_source "two"
git -C "$SRC" repack -adq
git -C "$SRC" update-server-info
fetch_and_check "commit + repack -ad + update-server-info"

# 3. new commit + repack -ad, the files left by step 2 now stale: the server
#    must not hand out the stale info/refs (it would name the old commit) nor
#    the stale objects/info/packs (it names a deleted pack).
# Let the mtimes differ from step 2's even on a clock of whole seconds.
sleep 1.1
commit_in_source "three"
git -C "$SRC" repack -adq
fetch_and_check "commit + repack -ad, stale info/refs and objects/info/packs on disk"
"${CURL[@]}" -o "$TMP/packs" "$BASE/basic.git/objects/info/packs"
expect_eq "objects/info/packs names the one current pack" \
	"P $(basename "$(pack_of "$SRC")")" "$(grep -v '^$' "$TMP/packs")"

# 4. a loose commit without repack (git's dumb walker fetches the loose object).
commit_in_source "four, loose"
git -C "$SRC" update-server-info
fetch_and_check "loose commit"

ps_finish
