#!/usr/bin/env bash
# pack-order.sh: of several copies of an object, packcat reads the one git
# reads. Five packs share objects, each its own way (deltas or none), all
# made in one second: git searches the repository's own packs newest first,
# those of one second in the reverse of readdir's order, and a hit moves its
# pack to the front (its MRU list), so which copy answers depends on the
# lookups before. %(objectsize:disk) and %(deltabase) tell the copies apart.
#
# Usage: pack-order.sh PACKCAT SRC_REPO
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 2 ] || oracle_die "usage: $0 PACKCAT SRC_REPO"
packcat=$1
F='%(objectname) %(objecttype) %(objectsize:disk) %(deltabase)'

# same REPO WHAT: packcat's lines are git's, for --all (both orders) and for names in
# three shuffled orders (each order its own history of hits).
same() {
	local repo=$1 what=$2 u seed
	for u in "" --unordered; do
		cmp <("$packcat" -C "$repo" batch --all $u --check --format "$F") \
			<(git --git-dir="$repo" cat-file --batch-all-objects $u --batch-check="$F") ||
			oracle_die "$what: batch --all $u --check differs from git"
	done
	git --git-dir="$repo" cat-file --batch-all-objects --batch-check='%(objectname)' > "$ORACLE_TMP/ids"
	for seed in 1 2 3; do
		shuf --random-source=<(yes "$seed") "$ORACLE_TMP/ids" > "$ORACLE_TMP/in"
		cmp <("$packcat" -C "$repo" batch --check --format "$F" < "$ORACLE_TMP/in") \
			<(git --git-dir="$repo" cat-file --batch-check="$F" < "$ORACLE_TMP/in") ||
			oracle_die "$what: batch --check of shuffled names (seed $seed) differs from git"
	done
	# and the content of every copy is the same object
	cmp <("$packcat" -C "$repo" batch < "$ORACLE_TMP/in") \
		<(git --git-dir="$repo" cat-file --batch < "$ORACLE_TMP/in") ||
		oracle_die "$what: batch differs from git"
}

# packs REPO SPEC...: one pack per SPEC "AWK-CONDITION WINDOW DEPTH" over the objects in
# git's id order, all in place of the repository's own, every .pack given one mtime.
packs() {
	local repo=$1 spec cond window depth
	shift
	git --git-dir="$repo" cat-file --batch-all-objects --batch-check='%(objectname)' > "$ORACLE_TMP/all"
	rm -rf "$ORACLE_TMP/new"
	mkdir "$ORACLE_TMP/new"
	for spec in "$@"; do
		read -r cond window depth <<< "$spec"
		awk "$cond" "$ORACLE_TMP/all" |
			git --git-dir="$repo" pack-objects -q --window="$window" --depth="$depth" \
				"$ORACLE_TMP/new/pack" > /dev/null
	done
	rm -f "$repo"/objects/pack/*
	mv "$ORACLE_TMP"/new/* "$repo/objects/pack/"
	touch -d @1700000000 "$repo"/objects/pack/*.pack
}

# Overlapping parts, none with every object: each lookup's hit reorders the search.
repo=$ORACLE_TMP/parts.git
cp -R "$2" "$repo"
chmod -R u+w "$repo"
packs "$repo" "NR%2==1 0 0" "NR%3==0 5 3" "NR%5<3 2 1" "!(NR%2==1||NR%3==0||NR%5<3) 10 50" \
	"NR%7<4 10 50"
[ "$(ls "$repo"/objects/pack/*.pack | wc -l)" = 5 ] || oracle_die "parts: not five packs"
same "$repo" "five overlapping packs of one second"

# Whole copies beside parts, and one pack a second newer: it comes first whatever its name.
repo=$ORACLE_TMP/whole.git
cp -R "$2" "$repo"
chmod -R u+w "$repo"
packs "$repo" "1 10 50" "1 0 0" "NR%2 0 0" "NR%3==0 5 3"
touch -d @1700000001 "$(ls "$repo"/objects/pack/*.pack | tail -1)"
same "$repo" "whole and partial copies"
echo "ok: of several copies, the one git reads (same-second packs, MRU order)"
