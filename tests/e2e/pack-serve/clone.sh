#!/usr/bin/env bash
# clone.sh: git clone over pack-serve (dumb HTTP) of every repository shape: bare NAME.git and work-tree NAME/.git in a multi-repository ROOT, and a single-repository ROOT; the clones fsck and have the source's refs.
. "$(dirname "$0")/lib.sh"
ps_setup

# refs_of GITDIR: every ref and what it names (peeled tags too), as ls-remote prints them.
refs_of() {
	git ls-remote "$1" | LC_ALL=C sort
}

# clone_and_check DESC URL SOURCE_GITDIR: clone, fsck, compare refs both ways.
clone_and_check() {
	local desc=$1 url=$2 src=$3 dst
	dst=$TMP/clones/$(echo "$desc" | tr -c 'A-Za-z0-9\n' _)
	mkdir -p "$TMP/clones"
	CHECKS=$((CHECKS + 1))
	if ! git clone -q --mirror "$url" "$dst" 2>"$TMP/clone.err"; then
		fail "$desc: git clone --mirror $url failed:"
		cat "$TMP/clone.err" >&2
		return
	fi
	ok "$desc: git clone $url"
	check "$desc: the clone passes git fsck --full" git -C "$dst" fsck --full --no-progress
	refs_of "$src" >"$TMP/refs.src"
	refs_of "$dst" >"$TMP/refs.clone"
	expect_files_eq "$desc: the clone's refs (ls-remote) are the source's" "$TMP/refs.src" "$TMP/refs.clone"
	# What the server advertises is what the source has.
	git ls-remote "$url" | LC_ALL=C sort >"$TMP/refs.remote"
	expect_files_eq "$desc: git ls-remote $url lists the source's refs" "$TMP/refs.src" "$TMP/refs.remote"
	expect_eq "$desc: the clone's HEAD is the source's" \
		"$(git -C "$src" symbolic-ref HEAD)" "$(git -C "$dst" symbolic-ref HEAD)"
}

# A multi-repository ROOT: basic.git and a copy of zlib.git (hard links:
# nothing here writes to them), and a work tree NAME/.git.
serve_fixture basic
serve_corpus zlib
git clone -q "$PACKWIN_FIXTURES/repos/basic.git" "$ROOT/work"
git -C "$ROOT/work" repack -adq

ps_start "$ROOT"
ALIVE_URL=$BASE/basic.git/info/refs

clone_and_check "bare fixture" "$BASE/basic.git" "$ROOT/basic.git"
expect_alive "clone of basic.git"
clone_and_check "zlib corpus" "$BASE/zlib.git" "$ROOT/zlib.git"
expect_alive "clone of zlib.git"
clone_and_check "work tree NAME/.git" "$BASE/work/" "$ROOT/work/.git"
expect_alive "clone of work/"
# The same repository without a trailing slash is git's usual URL.
clone_and_check "work tree without slash" "$BASE/work" "$ROOT/work/.git"

# A work-tree clone (not bare) checks out the same files as the source.
git clone -q "$BASE/basic.git" "$TMP/checkout" 2>"$TMP/clone.err" || { fail "non-bare clone failed"; cat "$TMP/clone.err" >&2; }
expect_eq "non-bare clone: HEAD's tree is the source's" \
	"$(git -C "$ROOT/basic.git" rev-parse 'HEAD^{tree}')" "$(git -C "$TMP/checkout" rev-parse 'HEAD^{tree}' 2>&1)"
check "non-bare clone: the work tree is clean" test -z "$(git -C "$TMP/checkout" status --porcelain 2>&1)"
ps_stop

# A single-repository ROOT served at "/".
SINGLE=$TMP/single.git
cp -a "$PACKWIN_FIXTURES/repos/basic.git" "$SINGLE"
ps_start "$SINGLE"
ALIVE_URL=$BASE/info/refs
clone_and_check "single-repository ROOT at /" "$BASE/" "$SINGLE"
expect_alive "clone of /"
expect_status "single ROOT: nothing under /basic.git/" 404 "$BASE/basic.git/info/refs"

ps_finish
