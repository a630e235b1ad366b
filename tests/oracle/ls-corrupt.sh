#!/usr/bin/env bash
# ls-corrupt.sh: `packcat ls PACK` against `git verify-pack -v PACK` on
# every fixtures/corrupt case: the same exit status (0 or 1) and the same
# stdout (the listing, then "PACK: ok" or "PACK: bad"); and a corrupt case
# gives the reason on stderr.
#
# In the cases of INDEXED_FROM_PACK (offsets in the idx wrong) git lists
# objects it indexed itself
# from the pack (ids hashed, offsets parsed) before it finds the idx
# wrong; packcat lists through the idx, which is what is wrong there, so
# it prints only "PACK: bad": for those only the last line is compared.
#
# Usage: ls-corrupt.sh PACKCAT CORRUPT_DIR
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 2 ] || oracle_die "usage: $0 PACKCAT CORRUPT_DIR"
packcat=$1 corrupt=$2

INDEXED_FROM_PACK="idx-offset-duplicate
	idx-offset-in-header idx-offset-mid-entry idx-offset-past-end
	idx64-index-past-table idx64-offset-huge"

n=0 failed=0
for dir in "$corrupt"/*/; do
	name=$(basename "$dir")
	set -- "$dir"pack-*.pack
	pack=$1
	grc=0 prc=0
	git verify-pack -v "$pack" >"$ORACLE_TMP/git.out" 2>/dev/null || grc=$?
	"$packcat" ls "$pack" >"$ORACLE_TMP/pc.out" 2>"$ORACLE_TMP/pc.err" || prc=$?
	n=$((n + 1))
	if [ "$grc" != "$prc" ]; then
		echo "$name: packcat ls exits $prc, git verify-pack -v $grc: $(cat "$ORACLE_TMP/pc.err")"
		failed=$((failed + 1))
		continue
	fi
	if [[ " $(echo $INDEXED_FROM_PACK) " == *" $name "* ]]; then
		tail -n 1 "$ORACLE_TMP/git.out" >"$ORACLE_TMP/git.last"
		cmp -s "$ORACLE_TMP/git.last" "$ORACLE_TMP/pc.out" || {
			echo "$name: packcat ls prints something else than '$(cat "$ORACLE_TMP/git.last")':"
			head -n 5 "$ORACLE_TMP/pc.out"
			failed=$((failed + 1))
		}
	elif ! cmp -s "$ORACLE_TMP/git.out" "$ORACLE_TMP/pc.out"; then
		echo "$name: packcat ls differs from git verify-pack -v:"
		diff -u "$ORACLE_TMP/git.out" "$ORACLE_TMP/pc.out" | head -n 20
		failed=$((failed + 1))
	fi
	if [ "$grc" != 0 ] && ! grep -q '^packcat: ' "$ORACLE_TMP/pc.err"; then
		echo "$name: packcat ls fails without saying why"
		failed=$((failed + 1))
	fi
done
for name in $INDEXED_FROM_PACK; do
	[ -d "$corrupt/$name" ] || oracle_die "INDEXED_FROM_PACK names $name, which is not a case"
done
[ "$failed" = 0 ] || oracle_die "$failed of $n cases differ from git verify-pack -v"
echo "ok: $n cases: exit status and stdout as git verify-pack -v"
