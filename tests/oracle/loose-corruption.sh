#!/usr/bin/env bash
# loose-corruption.sh: damaged loose objects read as git 2.39 reads them
# (t1006's swapped object, a header whose size is not the content's, a
# file that is not zlib), alone and beside a packed copy, with git as the
# oracle in the same run.
#
# git answers -t, -s and --batch-check from the header alone; so does
# packcat. Where git prints content that disagrees with the header it
# just printed (a lying size: "blob 10" then 5 bytes) or with the name,
# packcat refuses the content (exit 4) rather than break the batch
# format: that is checked as packcat's own rule.
#
# Usage: loose-corruption.sh PACKCAT
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 1 ] || oracle_die "usage: $0 PACKCAT"
packcat=$1 r=$ORACLE_TMP/r.git
git init -q --bare "$r"
cd "$r"

# zlib of stdin, without python: gzip's deflate data in a zlib frame
zlib() {
	local f=$ORACLE_TMP/z.in
	cat >"$f"
	printf '\x78\x9c'
	gzip -c -n -9 <"$f" | tail -c +11 | head -c -8
	# Adler-32 of the input, big-endian
	od -An -v -tu1 "$f" | tr -s ' ' '\n' | grep -v '^$' |
		awk 'BEGIN { a = 1; b = 0 } { a = (a + $1) % 65521; b = (b + a) % 65521 }
		END { printf "%c%c%c%c", int(b / 256), b % 256, int(a / 256), a % 256 }'
}

other=$(echo other | git hash-object -w --stdin)
victim=$(printf 'victim content\n' | git hash-object -w --stdin)
vpath=objects/${victim:0:2}/${victim:2}
opath=objects/${other:0:2}/${other:2}
chmod u+w "$vpath"

# compare `packcat MODE` with `git cat-file MODE` for the victim; $1 says
# whether the content must be equal too ("same") or refused ("refused")
cases=0
check() {
	local what=$1 content=$2 mode grc prc
	for mode in -t -s -e -p blob --batch-check --batch; do
		local gargs=("$mode" "$victim") pargs=(cat "$mode" "$victim") input=
		case $mode in
		--batch-check) gargs=(--batch-check) pargs=(batch --check) input=$victim ;;
		--batch) gargs=(--batch) pargs=(batch) input=$victim ;;
		esac
		grc=0 prc=0
		git cat-file "${gargs[@]}" <<<"$input" >../g.out 2>/dev/null || grc=$?
		"$packcat" "${pargs[@]}" <<<"$input" >../p.out 2>../p.err || prc=$?
		case $content:$mode in
		refused:-p | refused:blob)
			[ "$grc" = 0 ] || oracle_die "$what: git fails $mode: the case is wrong"
			# refused, or (a stream not checked against the name) git's bytes
			[ "$prc" = 4 ] || { [ "$prc" = 0 ] && cmp -s ../g.out ../p.out; } ||
				oracle_die "$what: packcat $mode exits $prc, not 4"
			continue ;;
		refused:--batch)
			# the line, then the refusal
			[ "$prc" = 4 ] || oracle_die "$what: packcat batch exits $prc, not 4"
			cmp -s <(head -n1 ../g.out) ../p.out || oracle_die "$what: batch line differs from git"
			continue ;;
		esac
		[ $((grc == 0)) = $((prc == 0)) ] ||
			oracle_die "$what: ${pargs[*]}: git exits $grc, packcat $prc: $(cat ../p.err)"
		cmp -s ../g.out ../p.out ||
			oracle_die "$what: ${pargs[*]} differs from git: $(diff ../g.out ../p.out | head -4)"
	done
	cases=$((cases + 1))
}

check "intact" same
cp -f "$opath" "$vpath"
check "another object's file under its name (t1006)" refused
printf 'blob 40\0victim content\n' | zlib >"$vpath"
check "header size larger than the content" refused
printf 'blob 3\0victim content\n' | zlib >"$vpath"
check "header size smaller than the content" refused
echo 'not zlib' >"$vpath"
check "not zlib" same
# a packed copy: packs are read first, the loose file never is
mv "$vpath" ../keep
printf 'victim content\n' | git hash-object -w --stdin >/dev/null
printf '%s\n' "$victim" | git pack-objects -q objects/pack/pack >/dev/null
mv -f ../keep "$vpath"
[ "$(ls objects/pack/*.pack | wc -l)" = 1 ] || oracle_die "expected one pack"
check "not zlib, with a packed copy" same
printf 'blob 40\0victim content\n' | zlib >"$vpath"
check "lying size, with a packed copy" same
echo "ok: $cases loose-object cases read as git reads them"
