#!/usr/bin/env bash
# alternates.sh: a chain of alternates deeper than git's limit, with a
# missing and an unreadable alternate in it, read by packcat and by git
# cat-file: the same objects found and missing (exit status and bytes),
# and where git says "nesting too deep" or that an object directory does
# not exist, packcat warns too and goes on.
#
# Usage: alternates.sh PACKCAT
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 1 ] || oracle_die "usage: $0 PACKCAT"
packcat=$1 t=$ORACLE_TMP

# r -> a1 -> ... -> a8, relative and absolute paths in turn; each holds one blob
git init -q --bare "$t/r.git"
ids=()
for i in 1 2 3 4 5 6 7 8; do
	git init -q --bare "$t/a$i.git"
	ids[i]=$(echo "in a$i" | git --git-dir="$t/a$i.git" hash-object -w --stdin)
done
echo ../../a1.git/objects >"$t/r.git/objects/info/alternates"
for i in 1 2 3 4 5 6 7; do
	if [ $((i % 2)) = 1 ]; then
		printf '# next\n%s/a%d.git/objects\n' "$t" $((i + 1))
	else
		printf '../../gone%d.git/objects\n../../a%d.git/objects\n' "$i" $((i + 1))
	fi >"$t/a$i.git/objects/info/alternates"
done

compare() {
	local what=$1 i grc prc
	for i in 1 2 3 4 5 6 7 8; do
		grc=0 prc=0
		git --git-dir="$t/r.git" cat-file -p "${ids[i]}" >"$t/git.out" 2>"$t/git.err" || grc=$?
		"$packcat" -C "$t/r.git" cat -p "${ids[i]}" >"$t/pc.out" 2>"$t/pc.err" || prc=$?
		if [ "$grc" = 0 ]; then
			[ "$prc" = 0 ] || oracle_die "$what: a$i: packcat exits $prc where git reads it: $(cat "$t/pc.err")"
			cmp -s "$t/git.out" "$t/pc.out" || oracle_die "$what: a$i: other bytes than git's"
		else
			[ "$prc" = 1 ] || oracle_die "$what: a$i: packcat exits $prc where git finds nothing (1)"
		fi
		for says in 'nesting too deep' 'does not exist' 'alternates'; do
			if grep -q "$says" "$t/git.err" && ! grep -q "$says" "$t/pc.err"; then
				oracle_die "$what: a$i: git says '$says', packcat does not: $(cat "$t/pc.err")"
			fi
		done
		if [ "$i" = 1 ]; then
			grep -q '^warning: ' "$t/pc.err" || [ ! -s "$t/git.err" ] ||
				oracle_die "$what: packcat gives no warning where git says: $(cat "$t/git.err")"
		fi
		echo "ok: $what: a$i: git $grc, packcat $prc"
	done
}

compare chain
# an unreadable alternates file in the middle: git warns and stops there
if [ "$(id -u)" != 0 ]; then
	chmod 000 "$t/a3.git/objects/info/alternates"
	compare unreadable
	chmod 644 "$t/a3.git/objects/info/alternates"
fi
# within the limit, everything is found and nothing is said
rm "$t/a6.git/objects/info/alternates"
compare short-chain
