#!/usr/bin/env bash
# builtin-objects.sh: git's built-in empty tree (SHA-1 and SHA-256) exists
# in every repository, stored or not, and %(objectsize:disk) of it is 0
# even when a copy is stored, as git says; git is the oracle, same run.
#
# Usage: builtin-objects.sh PACKCAT
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 1 ] || oracle_die "usage: $0 PACKCAT"
packcat=$1
export GIT_AUTHOR_NAME=o GIT_AUTHOR_EMAIL=o@x.invalid GIT_COMMITTER_NAME=o GIT_COMMITTER_EMAIL=o@x.invalid
fmt='%(objectname) %(objecttype) %(objectsize) %(objectsize:disk) %(deltabase)'

# the same answers from git and packcat in repository $1 for the empty tree $2
same() {
	local r=$1 e=$2 what=$3 mode grc prc
	for mode in -e -t -s -p tree; do
		grc=0 prc=0
		git -C "$r" cat-file "$mode" "$e" >"$ORACLE_TMP/g" 2>/dev/null || grc=$?
		"$packcat" -C "$r" cat "$mode" "$e" >"$ORACLE_TMP/p" 2>"$ORACLE_TMP/err" || prc=$?
		[ $((grc == 0)) = $((prc == 0)) ] ||
			oracle_die "$what: cat $mode: git exits $grc, packcat $prc: $(cat "$ORACLE_TMP/err")"
		cmp -s "$ORACLE_TMP/g" "$ORACLE_TMP/p" || oracle_die "$what: cat $mode differs from git"
	done
	cmp <(git -C "$r" cat-file --batch <<<"$e") <("$packcat" -C "$r" batch <<<"$e") ||
		oracle_die "$what: batch differs from git"
	cmp <(git -C "$r" cat-file --batch-check="$fmt" <<<"$e") \
		<("$packcat" -C "$r" batch --check --format "$fmt" <<<"$e") ||
		oracle_die "$what: batch --check --format differs from git"
	cmp <(git -C "$r" cat-file --batch-all-objects --batch-check="$fmt") \
		<("$packcat" -C "$r" batch --all --check --format "$fmt") ||
		oracle_die "$what: batch --all --check --format differs from git"
	cmp <(git -C "$r" cat-file --batch-all-objects --batch="$fmt") \
		<("$packcat" -C "$r" batch --all --format "$fmt") ||
		oracle_die "$what: batch --all --format differs from git"
}

for format in sha1 sha256; do
	r=$ORACLE_TMP/$format
	git init -q --object-format=$format "$r"
	e=$(git -C "$r" hash-object -t tree /dev/null)
	same "$r" "$e" "$format, not stored"
	git -C "$r" hash-object -t tree -w /dev/null >/dev/null
	same "$r" "$e" "$format, stored loose"
	git -C "$r" commit -q --allow-empty -m empty
	git -C "$r" repack -qad
	[ ! -e "$r/.git/objects/${e:0:2}/${e:2}" ] || oracle_die "$format: the empty tree is still loose"
	same "$r" "$e" "$format, stored in a pack"
done
echo "ok: the empty tree is git's built-in object, stored or not"
