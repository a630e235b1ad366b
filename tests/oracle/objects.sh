#!/usr/bin/env bash
# objects.sh: every object of a pack read by packwin (pw_dump) must equal what
# the oracle reads: libgit2 (git2_dump) for SHA-1 packs, `git cat-file
# --batch-all-objects --batch` for SHA-256 packs (libgit2 1.5 has no SHA-256).
#
# Usage:
#   objects.sh [--expected FILE] GIT2_DUMP PW_DUMP PACK [PW_DUMP OPTIONS...]
#       compare; the oracle's lines come from FILE when given (made by
#       --make-expected, so several budgets share one oracle run)
#   objects.sh --make-expected FILE GIT2_DUMP PACK [git]
#       write the oracle's sorted lines to FILE; with `git`, the oracle is
#       git cat-file for a SHA-1 pack too (on the libgit2 corpus, libgit2
#       takes ~10x git's wall time, and the setup test holds up every case)
#
# Lines are `oid type size sha256-of-content`. In oid order pw_dump's output
# must equal the oracle's as is; with --pack-order, once sorted. SHA-256 packs
# get `--object-format sha256` unless the options already name a format.
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

# The oracle's lines for pack $2, sorted, on stdout; $1 is git2_dump.
oracle_lines() {
	local git2_dump=$1 pack=$2 via=${3:-} repo fmt
	fmt=$(pack_format "$pack")
	if [ "$fmt" = sha256 ] || [ "$via" = git ]; then
		repo=$ORACLE_TMP/oracle.git
		rm -rf "$repo"
		git init -q --bare --object-format="$fmt" "$repo"
		cp "$(pack_path "$pack")" "${pack%.*}.idx" "$repo/objects/pack/"
		git --git-dir="$repo" cat-file --batch-all-objects --batch | "$git2_dump" --git-batch
	else
		"$git2_dump" "$pack"
	fi | sort
}

# Oracle output of pack $2 into file $1, checked against the pack's count.
make_expected() {
	local out=$1 git2_dump=$2 pack=$3 via=${4:-} n
	oracle_lines "$git2_dump" "$pack" "$via" >"$ORACLE_TMP/expected"
	n=$(wc -l <"$ORACLE_TMP/expected")
	[ "$n" -eq "$(pack_count "$pack")" ] ||
		oracle_die "$pack: the oracle lists $n objects, the pack header says $(pack_count "$pack")"
	write_atomically "$out" <"$ORACLE_TMP/expected"
}

if [ "${1:-}" = --make-expected ]; then
	[ $# -eq 4 ] || { [ $# -eq 5 ] && [ "$5" = git ]; } ||
		oracle_die "usage: $0 --make-expected FILE GIT2_DUMP PACK [git]"
	make_expected "$2" "$3" "$4" "${5:-}"
	exit 0
fi

expected=
if [ "${1:-}" = --expected ]; then
	expected=$2
	shift 2
fi
[ $# -ge 3 ] || oracle_die "usage: $0 [--expected FILE] GIT2_DUMP PW_DUMP PACK [PW_DUMP OPTIONS...]"
git2_dump=$1 pw_dump=$2 pack=$3
shift 3
opts=("$@")

if [ -z "$expected" ]; then
	expected=$ORACLE_TMP/oracle.txt
	make_expected "$expected" "$git2_dump" "$pack"
fi
[ -s "$expected" ] || oracle_die "$expected: missing or empty oracle output"

sort_output='cat'
for o in "${opts[@]}"; do
	[ "$o" != --pack-order ] || sort_output='sort'
done
if [ "$(pack_format "$pack")" = sha256 ] && [[ " ${opts[*]} " != *" --object-format "* ]]; then
	opts+=(--object-format sha256)
fi

echo "pw_dump ${opts[*]} $pack"
"$pw_dump" "${opts[@]}" "$pack" >"$ORACLE_TMP/actual.raw" ||
	oracle_die "pw_dump ${opts[*]} $pack failed (exit $?)"
$sort_output <"$ORACLE_TMP/actual.raw" >"$ORACLE_TMP/actual"
if ! diff -u "$expected" "$ORACLE_TMP/actual" >"$ORACLE_TMP/diff"; then
	head -n 40 "$ORACLE_TMP/diff"
	oracle_die "$pack: pw_dump ${opts[*]} differs from the oracle ($(grep -c '^[-+][0-9a-f]' "$ORACLE_TMP/diff") lines)"
fi
echo "ok: $(wc -l <"$ORACLE_TMP/actual") objects match"
