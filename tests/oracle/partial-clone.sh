#!/usr/bin/env bash
# partial-clone.sh: a real `git clone --filter=blob:none`: packcat reads what
# is there as git does, says an absent blob the promisor remote would supply
# is "missing (promised by remote NAME, not fetched)" (exit 1), and an id
# nothing refers to "no such object".
#
# Usage: partial-clone.sh PACKCAT SRC_REPO
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 2 ] || oracle_die "usage: $0 PACKCAT SRC_REPO"
packcat=$1
src=$ORACLE_TMP/src.git clone=$ORACLE_TMP/clone.git
git clone -q --bare "$2" "$src"
git --git-dir="$src" config uploadpack.allowFilter true
git clone -q --bare --filter=blob:none --no-local "file://$src" "$clone"
export GIT_NO_LAZY_FETCH=1 # git must not fetch what it lacks: it is the oracle of what is here

# present objects: the same as git
cmp <("$packcat" -C "$clone" batch --all --check) \
	<(git --git-dir="$clone" cat-file --batch-all-objects --batch-check) ||
	oracle_die "batch --all --check differs from git"
cmp <("$packcat" -C "$clone" cat -p HEAD) <(git --git-dir="$clone" cat-file -p HEAD) ||
	oracle_die "cat -p HEAD differs from git"
"$packcat" -C "$clone" packs | grep -q ' promisor$' || oracle_die "packs shows no promisor pack"

# an absent blob HEAD's tree names: git cannot read it either
blob=$(git --git-dir="$src" ls-tree -r HEAD | awk '$2 == "blob" { print $3; exit }')
if git --git-dir="$clone" cat-file -e "$blob" 2>/dev/null; then
	oracle_die "the clone has blob $blob: not a partial clone"
fi
rc=0
"$packcat" -C "$clone" cat -p "$blob" >/dev/null 2>"$ORACLE_TMP/err" || rc=$?
[ "$rc" = 1 ] || oracle_die "cat -p of a promised blob exits $rc, not 1"
grep -q "missing (promised by remote origin, not fetched)" "$ORACLE_TMP/err" ||
	oracle_die "cat -p of a promised blob says: $(cat "$ORACLE_TMP/err")"

# an id nothing refers to is no such object
none=$(printf 'referred to by nothing\n' | git hash-object --stdin)
rc=0
"$packcat" -C "$clone" cat -p "$none" >/dev/null 2>"$ORACLE_TMP/err" || rc=$?
[ "$rc" = 1 ] && grep -q "no such object" "$ORACLE_TMP/err" ||
	oracle_die "cat -p of an unknown id: exit $rc, $(cat "$ORACLE_TMP/err")"
echo "ok: partial clone read as git reads it; promised $blob, unknown $none"
