#!/usr/bin/env bash
# pack-names.sh: packs of any name (git's own tests use test-1-<hash>.pack)
# are read as git reads them: any NAME.idx beside its NAME.pack.
#
# Usage: pack-names.sh PACKCAT SRC_REPO
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 2 ] || oracle_die "usage: $0 PACKCAT SRC_REPO"
packcat=$1 repo=$ORACLE_TMP/r.git
cp -R "$2" "$repo"
chmod -R u+w "$repo"
cd "$repo/objects/pack"
for f in pack-*; do mv "$f" "test-1-${f#pack-}"; done
# a second pack under a name with no hash at all, and an idx without its pack (ignored)
printf 'a blob of another pack\n' | git --git-dir="$repo" hash-object -w --stdin |
	git --git-dir="$repo" pack-objects -q "$ORACLE_TMP/other" >/dev/null
mv "$ORACLE_TMP"/other-*.pack "$repo/objects/pack/other.pack"
mv "$ORACLE_TMP"/other-*.idx "$repo/objects/pack/other.idx"
git --git-dir="$repo" prune-packed
cp "$repo/objects/pack/other.idx" "$repo/objects/pack/lonely.idx"
cmp <("$packcat" -C "$repo" batch --all --check) \
	<(git --git-dir="$repo" cat-file --batch-all-objects --batch-check) ||
	oracle_die "batch --all --check differs from git cat-file --batch-all-objects --batch-check"
cmp <("$packcat" -C "$repo" batch --all) <(git --git-dir="$repo" cat-file --batch-all-objects --batch) ||
	oracle_die "batch --all differs from git cat-file --batch-all-objects --batch"
n=$("$packcat" -C "$repo" packs | wc -l)
[ "$n" = 2 ] || oracle_die "packcat packs lists $n packs, not 2"
# the files beside a pack are its flags (git's own rules: .keep, .promisor, .mtimes)
touch "$repo/objects/pack/other.keep" "$repo/objects/pack/other.promisor"
flags=$("$packcat" -C "$repo" packs | awk '/other.pack/ { print $NF }')
[ "$flags" = keep,promisor ] || oracle_die "other.pack's flags are '$flags', not keep,promisor"
git --git-dir="$repo" multi-pack-index write
flags=$("$packcat" -C "$repo" packs | awk '{ print $NF }' | sort | tr '\n' ' ')
[ "$flags" = "keep,promisor,midx midx " ] || oracle_die "with a multi-pack-index, flags are '$flags'"
echo "ok: packs named test-1-<hash> and other read as git reads them"
