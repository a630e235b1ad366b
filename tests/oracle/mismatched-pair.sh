#!/usr/bin/env bash
# mismatched-pair.sh: an idx beside a pack it was not made for (git's
# t5300 "mismatched pair") is refused, as git refuses it: never the other
# pack's offsets read as this pack's objects.
#
# Usage: mismatched-pair.sh PACKCAT
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 1 ] || oracle_die "usage: $0 PACKCAT"
packcat=$1 w=$ORACLE_TMP/w
export GIT_AUTHOR_NAME=o GIT_AUTHOR_EMAIL=o@x.invalid GIT_COMMITTER_NAME=o GIT_COMMITTER_EMAIL=o@x.invalid
git init -q "$w"
# two packs of as many objects (a commit, a tree, a blob each), so the counts agree
for f in a b; do
	printf 'content of %s, padded to the same length\n' "$f" >"$w/$f"
	git -C "$w" add "$f"
	git -C "$w" commit -qm "$f"
	git -C "$w" repack -qd
done
git -C "$w" prune-packed
mapfile -t idx < <(ls -tr "$w"/.git/objects/pack/*.idx)
[ "${#idx[@]}" = 2 ] || oracle_die "expected two packs"
blob=$(git -C "$w" rev-parse HEAD:b)
tree=$(git -C "$w" rev-parse 'HEAD^{tree}')
chmod u+w "${idx[1]}"
cp "${idx[0]}" "${idx[1]}" # the newer pack gets the older pack's idx

for name in "$blob" "$tree"; do
	grc=0 prc=0
	git -C "$w" cat-file -p "$name" >"$ORACLE_TMP/git.out" 2>/dev/null || grc=$?
	"$packcat" -C "$w" cat -p "$name" >"$ORACLE_TMP/pc.out" 2>"$ORACLE_TMP/pc.err" || prc=$?
	[ "$grc" != 0 ] || oracle_die "git reads $name through the mismatched pair: the test is wrong"
	[ "$prc" = 1 ] || oracle_die "packcat cat -p $name exits $prc, not 1 (git: $grc)"
	[ ! -s "$ORACLE_TMP/pc.out" ] || oracle_die "packcat printed bytes for $name through a mismatched pair"
	grep -q "does not match" "$ORACLE_TMP/pc.err" ||
		oracle_die "packcat does not say the pair does not match: $(cat "$ORACLE_TMP/pc.err")"
done
# what is still there, listed as git lists it (git says its error on stderr, too)
cmp <("$packcat" -C "$w" batch --all --check 2>/dev/null) \
	<(git -C "$w" cat-file --batch-all-objects --batch-check 2>/dev/null) ||
	oracle_die "batch --all --check differs from git"
# the pair given directly: verify refuses it
rc=0
"$packcat" verify "${idx[1]%.idx}.pack" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || oracle_die "packcat verify of the mismatched pair exits $rc, not 1"
echo "ok: a mismatched pair is refused as git refuses it"
