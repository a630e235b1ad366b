#!/usr/bin/env bash
# verify-pack.sh: `packcat ls PACK` must equal `git verify-pack -v PACK`
# line for line (the last, "PACK: ok", compared apart: the expected lines
# are shared by runs of other paths); `packcat verify PACK` must exit 0 on
# a good pack.
#
# Usage:
#   verify-pack.sh [--expected FILE] PACKCAT PACK [PACKCAT GLOBAL OPTIONS...]
#       compare `packcat OPTIONS ls PACK` with git (or with FILE, made by
#       --make-expected, so several budgets share one git run)
#   verify-pack.sh --verify PACKCAT PACK [PACKCAT GLOBAL OPTIONS...]
#       `packcat OPTIONS verify PACK` exits 0 (and `ls` agrees with git's count)
#   verify-pack.sh --make-expected FILE PACK
#       write git's lines to FILE
#
# SHA-256 packs: packcat gets `--object-format sha256`; git verify-pack runs
# with --git-dir naming an empty SHA-256 repository (outside one it reads
# the pack as SHA-1 and fails).
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

# git verify-pack -v PACK, without the last line (which must be "...: ok").
git_lines() {
	local pack=$1 gitdir=()
	[ "$(pack_format "$pack")" != sha256 ] || gitdir=(--git-dir="$(sha256_git_dir)")
	git "${gitdir[@]}" verify-pack -v "$pack" >"$ORACLE_TMP/git.out" ||
		oracle_die "$pack: git verify-pack failed"
	tail -n 1 "$ORACLE_TMP/git.out" | grep -q ': ok$' ||
		oracle_die "$pack: git verify-pack's last line is not ': ok'"
	sed '$d' "$ORACLE_TMP/git.out"
}

mode=ls expected=
case ${1:-} in
--make-expected)
	[ $# -eq 3 ] || oracle_die "usage: $0 --make-expected FILE PACK"
	git_lines "$3" | write_atomically "$2"
	exit 0
	;;
--verify) mode=verify; shift ;;
--expected) expected=$2; shift 2 ;;
esac
[ $# -ge 2 ] || oracle_die "usage: $0 [--expected FILE|--verify] PACKCAT PACK [PACKCAT GLOBAL OPTIONS...]"
packcat=$1 pack=$2
shift 2
opts=("$@")
if [ "$(pack_format "$pack")" = sha256 ] && [[ " ${opts[*]} " != *" --object-format "* ]]; then
	opts+=(--object-format sha256)
fi

if [ "$mode" = verify ]; then
	echo "packcat ${opts[*]} verify $pack"
	rc=0
	"$packcat" "${opts[@]}" verify "$pack" </dev/null >"$ORACLE_TMP/out" 2>"$ORACLE_TMP/err" || rc=$?
	cat "$ORACLE_TMP/out" "$ORACLE_TMP/err"
	[ "$rc" -eq 0 ] || oracle_die "$pack: packcat ${opts[*]} verify exited $rc on a good pack"
	echo "ok: verify exits 0"
	exit 0
fi

if [ -z "$expected" ]; then
	expected=$ORACLE_TMP/expected
	git_lines "$pack" >"$expected"
fi
[ -s "$expected" ] || oracle_die "$expected: missing or empty git output"

echo "packcat ${opts[*]} ls $pack"
rc=0
"$packcat" "${opts[@]}" ls "$pack" >"$ORACLE_TMP/actual" || rc=$?
[ "$rc" -eq 0 ] || oracle_die "$pack: packcat ${opts[*]} ls exited $rc"
[ "$(tail -n 1 "$ORACLE_TMP/actual")" = "${pack%.idx}: ok" ] ||
	[ "$(tail -n 1 "$ORACLE_TMP/actual")" = "${pack%.idx}.pack: ok" ] ||
	oracle_die "$pack: packcat ls's last line is not git's: $(tail -n 1 "$ORACLE_TMP/actual")"
sed -i '$d' "$ORACLE_TMP/actual"
if ! diff -u "$expected" "$ORACLE_TMP/actual" >"$ORACLE_TMP/diff"; then
	head -n 40 "$ORACLE_TMP/diff"
	oracle_die "$pack: packcat ${opts[*]} ls differs from git verify-pack -v"
fi
echo "ok: $(wc -l <"$ORACLE_TMP/actual") lines match"
