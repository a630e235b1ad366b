#!/usr/bin/env bash
# midx.sh: packcat on repositories with a multi-pack-index prints what git
# cat-file prints, without opening the .idx of any pack the index covers.
#
# Usage: midx.sh PACKCAT MIDX_PY SRC_REPO KIND [PACKCAT GLOBAL OPTIONS...]
#
# A copy of SRC_REPO (read only) has its objects spread over packs that
# share some objects (each pack holds a run of `git rev-list --objects
# --all`, overlapping the next), and then, by KIND:
#   write     git multi-pack-index write
#   bitmap    git multi-pack-index write --bitmap (an RIDX chunk)
#   geometric git repack --geometric=2 -d --write-midx (git's maintenance)
#   chain     tests/tools/midx.py: a chain of three layers (git 2.39
#             cannot read chains: it reads the packs' idx files, the oracle)
#   v2        tests/tools/midx.py --version 2, packs listed in any order
#             (git 2.39 refuses v2: it is run with core.multiPackIndex=false)
#   uncovered git multi-pack-index write, then one more pack it does not
#             cover (searched through its idx, after the index)
# Checked: `packcat --stats batch --all --check` opens no idx of a covered
# pack, uses the index and warns of nothing; then cat-file.sh compares
# every batch and cat form with git (it adds a pack, loose objects and an
# alternate of its own).
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -ge 4 ] || oracle_die "usage: $0 PACKCAT MIDX_PY SRC_REPO KIND [OPTIONS...]"
packcat=$1 midx_py=$2 src=$3 kind=$4
shift 4
python=$(command -v python3)

repo=$ORACLE_TMP/midx.git
cp -R "$src" "$repo"
chmod -R u+w "$repo"
g() { git --git-dir="$repo" "$@"; }
packdir=$repo/objects/pack

# Spread the objects over packs: run k of the object list, plus (but in
# the geometric case) the first objects of run k+1: duplicates across
# packs, as repacks leave them.
g rev-list --objects --all | cut -d' ' -f1 >"$ORACLE_TMP/all"
total=$(wc -l <"$ORACLE_TMP/all")
# Runs of equal length; for the geometric repack, lengths tripling (1, 3,
# 9, ... the rest), as --geometric=2 keeps them (equal ones it rolls up).
starts=() ends=()
if [ "$kind" = geometric ]; then
	a=1 len=1
	while [ $((a + 4 * len)) -le "$total" ]; do
		starts+=("$a") ends+=($((a + len - 1)))
		a=$((a + len)) len=$((len * 3))
	done
	starts+=("$a") ends+=("$total")
else
	size=$(((total + 5) / 6))
	for k in 0 1 2 3 4 5; do
		starts+=($((k * size + 1))) ends+=($(((k + 1) * size + 2)))
	done
fi
old=$(ls "$packdir"/pack-*.pack 2>/dev/null || true)
for k in "${!starts[@]}"; do
	h=$(sed -n "${starts[k]},${ends[k]}p" "$ORACLE_TMP/all" | g pack-objects -q "$packdir/pack")
	# distinct mtimes, oldest first, as a repack after each commit leaves them
	touch -d "@$((1700000000 + k))" "$packdir/pack-$h.pack"
done
for p in $old; do
	rm -f "$p" "${p%.pack}.idx" "${p%.pack}.rev"
done
g prune-packed
npacks=$(ls "$packdir"/pack-*.idx | wc -l)

gitc=()
layers=1
copy_free='%(objectname) %(objecttype) %(objectsize) [%(rest)] %% %x 100%'

case $kind in
write) g multi-pack-index write ;;
bitmap) g multi-pack-index write --bitmap ;;
geometric)
	g repack -q --geometric=2 -d --write-midx
	npacks=$(ls "$packdir"/pack-*.idx | wc -l)
	;;
chain)
	mapfile -t idx < <(cd "$packdir" && ls pack-*.idx)
	n=${#idx[@]}
	a=$((n / 3)) b=$((2 * n / 3))
	spec=$(IFS=,; echo "${idx[*]:0:a}");spec+=";$(IFS=,; echo "${idx[*]:a:b-a}")"
	spec+=";$(IFS=,; echo "${idx[*]:b}")"
	"$python" -S "$midx_py" chain --pack-dir "$packdir" --layers "$spec" >/dev/null
	layers=3
	# An object in packs of two layers is the lower layer's (the chain lists
	# it once, there), git 2.39 reading the idx files takes the newest
	# pack's copy: the atoms every copy shares are compared.
	gitc=(--atoms "$copy_free")
	;;
v2)
	mapfile -t idx < <(cd "$packdir" && ls -r pack-*.idx)
	"$python" -S "$midx_py" write --pack-dir "$packdir" --version 2 --pack-order given \
		--packs "$(IFS=,; echo "${idx[*]}")" >/dev/null
	# the copy an object stored twice is read from is the writer's choice
	gitc=(--git-c core.multiPackIndex=false --atoms "$copy_free")
	;;
uncovered)
	g multi-pack-index write
	printf 'not in the multi-pack-index\n' | g hash-object -w --stdin >/dev/null
	printf 'not in the multi-pack-index\n' | g hash-object --stdin |
		g pack-objects -q "$packdir/pack" >/dev/null
	g prune-packed
	;;
*) oracle_die "unknown kind $kind" ;;
esac
[ "$npacks" -ge 2 ] || oracle_die "$kind: only $npacks pack(s) made"

# The index is used, and no covered pack's idx is opened to list everything.
"$packcat" --stats -C "$repo" "$@" batch --all --check >"$ORACLE_TMP/pc" 2>"$ORACLE_TMP/stats"
gitconf=()
if [ "${gitc[0]:-}" = --git-c ]; then gitconf=(-c "${gitc[1]}"); fi
git "${gitconf[@]}" --git-dir="$repo" cat-file --batch-all-objects --batch-check \
	>"$ORACLE_TMP/git"
cmp "$ORACLE_TMP/pc" "$ORACLE_TMP/git" || oracle_die "$kind: batch --all --check differs from git"
counter() { awk -v k="$1" '$1 == k { print $2 }' "$ORACLE_TMP/stats"; }
covered=$(counter midx_packs) loaded=$(counter packs_idx_loaded)
want_loaded=0
[ "$kind" = uncovered ] && want_loaded=1
if [ "$(counter midx_files)" != "$layers" ] || [ "$(counter midx_fallbacks)" != 0 ] ||
	[ "$loaded" != "$want_loaded" ] || [ "$covered" -lt 2 ] || grep -q '^warning' "$ORACLE_TMP/stats"; then
	cat "$ORACLE_TMP/stats" >&2
	oracle_die "$kind: expected $layers multi-pack-index file(s) in use, $want_loaded idx loaded, no warning"
fi
echo "$kind: $npacks packs, $covered covered by $layers multi-pack-index file(s), $loaded idx opened"

# Everything else, against git cat-file (a pack, loose objects and an
# alternate added). Of an object stored twice, git's --unordered reports
# the copy its internal pack list meets first (its ordered listing reports
# the copy a lookup finds: another one); a multi-pack-index lists only the
# copy it chose, so --unordered compares the atoms every copy shares.
# (Not exec: this shell's EXIT trap removes the scratch directory.)
bash "$(dirname "$0")/cat-file.sh" --extend "${gitc[@]}" --unordered-atoms "$copy_free" \
	"$packcat" "$repo" "$@"
