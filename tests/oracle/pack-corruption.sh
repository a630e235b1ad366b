#!/usr/bin/env bash
# pack-corruption.sh: git's t5303 scenarios (a corrupt header, data or
# delta base reference of a base or of a delta, OFS_DELTA and REF_DELTA;
# then a loose copy, a redundant pack, a partial copy) rebuilt here with
# git as the oracle in the same run: packcat's stdout bytes equal git's,
# and it succeeds exactly where git does.
#
# Usage: pack-corruption.sh PACKCAT
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 1 ] || oracle_die "usage: $0 PACKCAT"
packcat=$1 w=$ORACLE_TMP/w
mkdir -p "$w"
cd "$w"

# Incompressible bytes from a seed, so that the text stays visible in the pack.
noise() { openssl enc -aes-128-ctr -pass "pass:$1" -nosalt -pbkdf2 </dev/zero 2>/dev/null | head -c "$2"; }
# blob_2 is a delta on blob_1, blob_3 one on blob_2 (depth 2); two-byte headers
noise foo 2000 >../f1 && echo " base " >>../f1
noise foo 1800 >../f2 && echo " delta1 " >>../f2 && noise bar 150 >>../f2
noise foo 1800 >../f3 && echo " delta delta2 " >>../f3 && noise baz 100 >>../f3

# A repository holding the three blobs in one pack only (pack-objects options in "$@").
new_pack() {
	bad_header=
	rm -rf .git
	git init -q
	blob_1=$(git hash-object -w ../f1)
	blob_2=$(git hash-object -w ../f2)
	blob_3=$(git hash-object -w ../f3)
	pack_again "$@"
}
pack_again() {
	bad_header=
	pack=.git/objects/pack/pack-$(printf '%s\n' "$blob_1" "$blob_2" "$blob_3" |
		git pack-objects -q "$@" .git/objects/pack/pack 2>/dev/null)
	git prune-packed
}
# Write stdin over the pack at entry `$1` + `$2` bytes.
corrupt() {
	local ofs
	ofs=$(git show-index <"$pack.idx" | grep " $1" | cut -d' ' -f1)
	chmod u+w "$pack.pack"
	dd of="$pack.pack" bs=1 conv=notrunc seek=$((ofs + $2)) status=none
	! git verify-pack "$pack.pack" >/dev/null 2>&1 || oracle_die "verify-pack accepts the corrupt pack"
}
# Replace the first occurrence of text $1 in the pack by $2 (same length).
corrupt_text() {
	chmod u+w "$pack.pack"
	perl -i -pe "s/\Q$1\E/$2/" "$pack.pack"
}
# A loose copy of file $1 beside the pack (git would not write one while the pack has it).
loose_copy() {
	mv "$pack.idx" ../idx
	git hash-object -w "$1" >/dev/null
	mv ../idx "$pack.idx"
}

cases=0
# $1 names the case; every read of the three blobs as git does it. Not
# compared: `cat -s` of the object whose entry header is overwritten
# ($bad_header, while that pack is in use), which git answers from the
# broken header (type 0: size 0) even when another copy is there, where
# packcat says the entry is corrupt or reads the other copy.
bad_header=
check() {
	local what=$1 b mode grc prc ids
	for b in "$blob_1" "$blob_2" "$blob_3"; do
		for mode in blob -s -t; do
			[ "$mode $b" != "-s $bad_header" ] || continue
			grc=0 prc=0
			git cat-file $mode "$b" >../g.out 2>/dev/null || grc=$?
			"$packcat" cat $mode "$b" >../p.out 2>../p.err || prc=$?
			[ $((grc == 0)) = $((prc == 0)) ] ||
				oracle_die "$what: cat $mode $b: git exits $grc, packcat $prc: $(cat ../p.err)"
			# corrupt data (4), or a REF_DELTA base found nowhere (1, no such object)
			[ "$prc" = 0 ] || [ "$prc" = 4 ] || [ "$prc" = 1 ] ||
				oracle_die "$what: cat $mode $b exits $prc, not 4: $(cat ../p.err)"
			cmp -s ../g.out ../p.out || oracle_die "$what: cat $mode $b differs from git"
		done
	done
	ids=$(printf '%s\n' "$blob_1" "$blob_2" "$blob_3")
	for mode in --batch-check --batch --batch-all-objects; do
		local gargs=("$mode") pargs=(batch)
		case $mode in
		--batch-check) pargs+=(--check) ;;
		--batch-all-objects) gargs=(--batch-all-objects --batch-check) pargs+=(--all --check) ;;
		esac
		grc=0 prc=0
		git cat-file "${gargs[@]}" <<<"$ids" >../g.out 2>/dev/null || grc=$?
		"$packcat" "${pargs[@]}" <<<"$ids" >../p.out 2>../p.err || prc=$?
		# git dies (128) where packcat stops with 4 (corrupt data)
		[ "$grc" = "$prc" ] || { [ "$grc" = 128 ] && [ "$prc" = 4 ]; } ||
			oracle_die "$what: ${pargs[*]}: git exits $grc, packcat $prc: $(cat ../p.err)"
		cmp -s ../g.out ../p.out ||
			oracle_die "$what: ${pargs[*]} differs from git: $(diff ../g.out ../p.out | head -5)"
	done
	cases=$((cases + 1))
}

new_pack
check "intact"

new_pack
printf '\0' | corrupt "$blob_1" 0
bad_header=$blob_1
check "corrupt header of the base"
loose_copy ../f1
check "... with a loose copy of the base"
git prune-packed
loose_copy ../f2
check "... with a loose copy of the first delta only"

new_pack
corrupt_text " base " abcdef
check "corrupt data of the base"
loose_copy ../f1
check "... with a loose copy of the base"
git prune-packed
loose_copy ../f2
check "... with a loose copy of the first delta only"

new_pack
printf '\0' | corrupt "$blob_2" 0
bad_header=$blob_2
check "corrupt header of the first delta"
loose_copy ../f2
check "... with a loose copy of it"
pack_again
check "... repacked"

new_pack
corrupt_text " delta1 " abcdefgh
check "corrupt data of the first delta"
loose_copy ../f2
check "... with a loose copy of it"
pack_again
check "... repacked"

new_pack
printf '\0' | corrupt "$blob_2" 2
check "corrupt REF_DELTA base of the first delta"
loose_copy ../f2
check "... with a loose copy of it"
pack_again
check "... repacked"

for byte in '\0' '\1'; do
	new_pack --delta-base-offset
	printf "$byte" | corrupt "$blob_2" 2
	check "corrupt OFS_DELTA base ($byte) of the first delta"
	loose_copy ../f2
	check "... with a loose copy of it"
	pack_again --delta-base-offset
	check "... repacked"
done

printf '\0' | corrupt "$blob_2" 2
mv "$pack.idx" ../idx
git hash-object -w ../f1 >/dev/null
git hash-object -w ../f2 >/dev/null
printf '%s\n' "$blob_1" "$blob_2" | git pack-objects -q .git/objects/pack/pack >/dev/null
git prune-packed
mv ../idx "$pack.idx"
check "... with a redundant pack of the base and the first delta"
# a multi-pack-index keeps one copy of each object (here the bad one): git
# then finds no other, and neither does packcat
git multi-pack-index write
check "... under a multi-pack-index"
rm .git/objects/pack/multi-pack-index

new_pack --delta-base-offset
printf '\220\033' | corrupt "$blob_3" 2
check "OFS_DELTA base of the second delta pointing to another object"
loose_copy ../f3
check "... with a loose copy of it"
pack_again --delta-base-offset --no-reuse-delta
check "... repacked"

new_pack
printf '\262\001' | corrupt "$blob_1" 0
check "header of the base declaring a size too small"

echo "ok: $cases corruption cases read as git reads them"
