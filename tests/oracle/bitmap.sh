#!/usr/bin/env bash
# bitmap.sh: packwin reads git's reachability bitmaps as git wrote them.
#
# Usage: bitmap.sh PW_BITMAP REPO...
#
# Each REPO (read only) is copied and repacked by git with a bitmap
# (`git repack -adb`) three ways: git's defaults, without the name-hash
# cache, with the lookup table; and a fourth time as two packs under a
# multi-pack-index with its bitmap (`git multi-pack-index write --bitmap`,
# bits in the RIDX chunk's order). For each, against git on the same copy:
#   - git itself accepts the bitmap (`rev-list --test-bitmap`);
#   - the type bitmaps count what `cat-file --batch-all-objects` says is there
#     (every object is packed after the repack);
#   - every entry names a commit, and its bitmap (XOR chain resolved) holds
#     as many objects as `git rev-list --objects` reaches from it; for a
#     sample of entries, exactly the same objects.
# Then damaged copies of one bitmap (signature, version, flags, pack
# checksum, entry count, truncation, trailing checksum, a type word) are
# refused with a reason (exit 3), never a crash; what git does with each
# is printed, not asserted (git 2.39 aborts on some).
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
export GIT_COMMITTER_NAME=oracle GIT_COMMITTER_EMAIL=oracle@example.com \
	GIT_AUTHOR_NAME=oracle GIT_AUTHOR_EMAIL=oracle@example.com \
	GIT_COMMITTER_DATE='1700000000 +0000' GIT_AUTHOR_DATE='1700000000 +0000'

[ $# -ge 2 ] || oracle_die "usage: $0 PW_BITMAP REPO..."
pwb=$1
shift
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
# at most this many entries per bitmap are counted against git, and the
# first, middle and last compared object by object
SAMPLE=${PW_ORACLE_BITMAP_SAMPLE:-40}

n=0
last_repo= last_pack=
for src in "$@"; do
	n=$((n + 1))
	for variant in default no-hash-cache lookup-table midx; do
		repo=$ORACLE_TMP/r$n-$variant.git
		cp -R "$src" "$repo"
		chmod -R u+w "$repo"
		g() { git --git-dir="$repo" "$@"; }
		case $variant in
		default) cfg=() ;;
		no-hash-cache) cfg=(-c pack.writeBitmapHashCache=false) ;;
		lookup-table) cfg=(-c pack.writeBitmapLookupTable=true) ;;
		midx) cfg=() ;;
		esac
		name="$(basename "$src") $variant"
		# an annotated tag, so the tag type bitmap is never empty
		g tag -a -m "bitmap oracle" bitmap-oracle HEAD
		if [ "$variant" = midx ]; then
			# two packs (a new commit packed beside the rest) and a multi-pack-index bitmap
			g repack -adq
			g update-ref HEAD "$(g commit-tree -p HEAD -m "second pack" "$(g rev-parse 'HEAD^{tree}')")"
			g repack -dq
			[ "$(ls "$repo"/objects/pack/pack-*.pack | wc -l)" -eq 2 ] || oracle_die "$name: not two packs"
			g multi-pack-index write --bitmap
			pack=$repo/objects/pack/multi-pack-index
			kind=(--midx)
			if ! ls "$repo"/objects/pack/multi-pack-index-*.bitmap >/dev/null 2>&1; then
				fail "$name: git wrote no multi-pack-index bitmap"
				continue
			fi
		else
			g "${cfg[@]}" repack -adbq
			pack=$(ls "$repo"/objects/pack/pack-*.pack)
			[ "$(echo "$pack" | wc -l)" -eq 1 ] || oracle_die "$name: repack left several packs"
			kind=()
			if [ ! -f "${pack%.pack}.bitmap" ]; then
				fail "$name: git wrote no bitmap"
				continue
			fi
		fi
		if ! "$pwb" "${kind[@]}" "$pack" >"$ORACLE_TMP/got" 2>"$ORACLE_TMP/err"; then
			fail "$name: bitmap refused: $(head -c 300 "$ORACLE_TMP/err")"
			continue
		fi
		want=$(g cat-file --batch-all-objects --batch-check='%(objecttype)' | sort | uniq -c |
			awk '{c[$2]=$1} END {printf "types %d %d %d %d\n", c["commit"], c["tree"], c["blob"], c["tag"]}')
		# git tests a bitmapped commit: HEAD, or the first entry when HEAD has none
		first=$(sed -n '2s/ .*//p' "$ORACLE_TMP/got")
		g rev-list --test-bitmap HEAD >"$ORACLE_TMP/git-test" 2>&1 ||
			g rev-list --test-bitmap "$first" >"$ORACLE_TMP/git-test" 2>&1 ||
			fail "$name: git rejects its own bitmap: $(tail -c 300 "$ORACLE_TMP/git-test")"
		got=$(head -1 "$ORACLE_TMP/got")
		[ "$got" = "$want" ] || fail "$name: '$got', git's pack holds '$want'"
		entries=$(($(wc -l <"$ORACLE_TMP/got") - 1))
		[ "$entries" -gt 0 ] || fail "$name: no entries"
		step=$(((entries + SAMPLE - 1) / SAMPLE))
		i=0
		while read -r oid count; do
			i=$((i + 1))
			[ "$(g cat-file -t "$oid")" = commit ] || fail "$name: entry $i ($oid) is no commit"
			[ $(((i - 1) % step)) -eq 0 ] || [ "$i" -eq "$entries" ] || continue
			g rev-list --objects --no-object-names "$oid" | sort >"$ORACLE_TMP/want-objects"
			gc=$(wc -l <"$ORACLE_TMP/want-objects")
			[ "$count" -eq "$gc" ] || fail "$name: entry $i ($oid) holds $count objects, git reaches $gc"
			if [ "$i" -eq 1 ] || [ "$i" -eq "$entries" ] || [ "$i" -eq $(((entries / 2 / step) * step + 1)) ]; then
				"$pwb" "${kind[@]}" --objects "$oid" "$pack" | sort >"$ORACLE_TMP/got-objects"
				cmp -s "$ORACLE_TMP/got-objects" "$ORACLE_TMP/want-objects" ||
					fail "$name: entry $i ($oid): not the objects git reaches"
			fi
		done < <(tail -n +2 "$ORACLE_TMP/got")
		echo "ok: $name: $got, $entries entries"
		[ "$variant" = midx ] || last_repo=$repo last_pack=$pack
	done
done

# damage(NAME, PYTHON-EXPR over b): a damaged copy of the last bitmap, refused with a reason
bm=${last_pack%.pack}.bitmap
cp "$bm" "$ORACLE_TMP/good.bitmap"
git --git-dir="$last_repo" rev-list --objects --all | cut -d' ' -f1 | sort >"$ORACLE_TMP/walk"
damage() {
	local kind=$1 expr=$2 rc=0
	chmod u+w "$bm"
	python3 - "$ORACLE_TMP/good.bitmap" "$bm" "$expr" <<'PY'
import hashlib, sys
b = bytearray(open(sys.argv[1], 'rb').read())
rawsz = 32 if len(sys.argv[2].rsplit('pack-', 1)[1]) > 60 else 20
def rehash(b):
    h = hashlib.sha256 if rawsz == 32 else hashlib.sha1
    b[-rawsz:] = h(bytes(b[:-rawsz])).digest()
    return b
b = eval(sys.argv[3])
open(sys.argv[2], 'wb').write(bytes(b))
PY
	"$pwb" "$last_pack" >/dev/null 2>"$ORACLE_TMP/err" || rc=$?
	if [ "$rc" -ne 3 ] || ! grep -q 'bitmap' "$ORACLE_TMP/err"; then
		fail "damaged ($kind): exit $rc, want 3 with a reason: $(head -c 300 "$ORACLE_TMP/err")"
	fi
	# what git makes of it (not asserted: git 2.39 aborts on some of these)
	rc=0
	bash -c 'git --git-dir="$1" rev-list --use-bitmap-index --objects --all; exit $?' _ "$last_repo" \
		>"$ORACLE_TMP/git-walk" 2>/dev/null || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "note: damaged ($kind): git rev-list --use-bitmap-index exits $rc"
	elif ! cmp -s "$ORACLE_TMP/walk" <(cut -d' ' -f1 "$ORACLE_TMP/git-walk" | sort); then
		echo "note: damaged ($kind): git's bitmap walk differs from its plain walk"
	fi
}
damage signature 'rehash(bytearray(b"XITM") + b[4:])'
damage version 'rehash(b[:4] + bytearray([0, 2]) + b[6:])'
damage no-full-dag 'rehash(b[:6] + bytearray([b[6], b[7] & ~1]) + b[8:])'
damage pack-checksum 'rehash(b[:12] + bytearray([b[12] ^ 1]) + b[13:])'
damage entry-count 'rehash(b[:8] + bytearray([0xff, 0xff, 0xff, 0xff]) + b[12:])'
damage truncated 'b[:len(b) // 2]'
damage trailer 'b[:-1] + bytearray([b[-1] ^ 1])'
damage type-word 'rehash(b[:12 + rawsz + 8] + bytearray([b[12 + rawsz + 8] ^ 0x80]) + b[12 + rawsz + 9:])'
damage empty 'bytearray()'

[ "$failures" -eq 0 ] || exit 1
echo "bitmap: all agree"
