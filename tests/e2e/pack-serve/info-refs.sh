#!/usr/bin/env bash
# info-refs.sh: the generated info/refs is byte for byte what `git update-server-info` writes, and objects/info/packs names the same packs, for every fixture and corpus repository; stale files on disk are not served.
. "$(dirname "$0")/lib.sh"
ps_setup

mkdir -p "$TMP/oracle"
serve_fixture basic sha256
serve_corpus zlib libgit2
# A repository with loose objects, loose refs, an annotated tag of a tag, and two packs.
git clone -q --bare "$PACKWIN_FIXTURES/repos/basic.git" "$ROOT/mixed.git"
git -C "$ROOT/mixed.git" tag -a -m "tag of a tag" nested v1.0
git -C "$ROOT/mixed.git" branch loose-branch side
echo blob | git --git-dir="$ROOT/mixed.git" hash-object -w --stdin >/dev/null
(cd "$ROOT/mixed.git" && git commit-tree -m extra "$(git rev-parse 'main^{tree}')" -p main >"$TMP/c" && git update-ref refs/heads/extra "$(cat "$TMP/c")" && git repack -q)
ps_start "$ROOT"
ALIVE_URL=$BASE/basic.git/info/refs

# packs_lines FILE: the "P ..." lines, sorted.
packs_lines() {
	grep -v '^$' "$1" | LC_ALL=C sort
}

# compare_with_git NAME: what the server gives against update-server-info on a copy of the repository.
compare_with_git() {
	local name=$1 o=$TMP/oracle/$1
	rm -rf "$o"
	cp -a "$ROOT/$name" "$o"
	rm -f "$o/info/refs" "$o/objects/info/packs"
	git --git-dir="$o" update-server-info
	expect_status "$name: info/refs" 200 "$BASE/$name/info/refs"
	expect_files_eq "$name: info/refs is update-server-info's" "$o/info/refs" "$TMP/body"
	expect_status "$name: objects/info/packs" 200 "$BASE/$name/objects/info/packs"
	packs_lines "$o/objects/info/packs" >"$TMP/packs.want"
	packs_lines "$TMP/body" >"$TMP/packs.got"
	expect_files_eq "$name: objects/info/packs names the same packs" "$TMP/packs.want" "$TMP/packs.got"
}

for r in basic.git sha256.git zlib.git libgit2.git mixed.git; do
	# Absent on disk: generated.
	[ -e "$ROOT/$r/info/refs" ] && echo "note: $r has an info/refs on disk"
	compare_with_git "$r"
done
expect_alive "info/refs of every repository"

# Current files on disk are served as they are.
git --git-dir="$ROOT/mixed.git" update-server-info
expect_status "mixed.git: current info/refs on disk" 200 "$BASE/mixed.git/info/refs"
expect_files_eq "mixed.git: current info/refs on disk is served" "$ROOT/mixed.git/info/refs" "$TMP/body"

# Stale on disk: a ref moved after update-server-info (a whole second later,
# for clocks of whole seconds).
sleep 1.1
git -C "$ROOT/mixed.git" update-ref refs/heads/loose-branch main
git -C "$ROOT/mixed.git" tag light-new side
compare_with_git mixed.git
# Stale packs: repack -ad after update-server-info.
git --git-dir="$ROOT/mixed.git" update-server-info
sleep 1.1
git -C "$ROOT/mixed.git" repack -adq
compare_with_git mixed.git
# packed-refs rewritten (pack-refs) after update-server-info.
git --git-dir="$ROOT/mixed.git" update-server-info
sleep 1.1
git -C "$ROOT/mixed.git" branch another main
git -C "$ROOT/mixed.git" pack-refs --all
compare_with_git mixed.git
expect_alive "stale info files"

# HEAD is as on disk.
expect_status "HEAD" 200 "$BASE/zlib.git/HEAD"
expect_files_eq "HEAD is as on disk" "$ROOT/zlib.git/HEAD" "$TMP/body"
ps_finish
