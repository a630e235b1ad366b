#!/usr/bin/env bash
# batch.sh: `packcat batch --all` against `git cat-file --batch-all-objects --batch` and libgit2, side by side.
#
# Usage: PACKCAT=build/tools/packcat tests/bench/batch.sh [OUTDIR]
#
# Environment:
#   PACKCAT  the packcat binary (default: build/tools/packcat)
#   REPO     the repository (default: the libgit2 corpus repository, one pack)
#   RUNS     runs of each command (default 3; 45-80 s per round on 2 cores)
#   GIT2_READ_ALL  the libgit2 baseline binary (default: built into OUTDIR from
#            tests/bench/git2_read_all.c with `cc -O2 ... -lgit2`)
#   CHECK    1 (default): first check once, untimed, that packcat's output
#            is byte for byte git's in both orders; 0: skip
#
# Every command writes to /dev/null. The commands run interleaved, one of
# each per round, the order rotating from round to round; ratios are the
# median of the per-round ratios. Prints markdown on stdout; raw numbers
# stay in OUTDIR.
#
# The libgit2 baseline (git2_read_all) reads every object with git_odb_read
# and only adds up the sizes: it writes nothing, so it is a floor for "read
# and inflate every object", not a like-for-like cat-file. Its order matters
# (a delta chain read in pack order finds its bases in libgit2's cache):
#   libgit2-oid      `git show-index < PACK.idx | LC_ALL=C sort -k2` fed to
#                    `NOSORT=1 git2_read_all REPO pack`: true oid order
#                    (show-index already prints in idx = oid order; the sort
#                    makes that explicit, NOSORT keeps it);
#   libgit2-pack     `git show-index < PACK.idx` fed to
#                    `git2_read_all REPO pack`: sorted by offset, pack order;
#   libgit2-foreach  `git2_read_all REPO`: git_odb_foreach's order. With
#                    libgit2 1.5 and a single pack this is NOT oid order: it
#                    is exactly pack order (checked: the id lists are equal),
#                    and it performs like libgit2-pack.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PACKCAT=${PACKCAT:-build/tools/packcat}
CORPUS=${CORPUS:-$here/../../../shared/corpus}
REPO=$(realpath "${REPO:-$CORPUS/libgit2.git}")
RUNS=${RUNS:-3}
CHECK=${CHECK:-1}

bench_need git cc "$PACKCAT"
bench_init "${1:-}"
START=$(bench_header) # the commit and load when the runs begin
BINARY="$("$PACKCAT" --version), $(realpath "$PACKCAT") built $(date -u -r "$PACKCAT" '+%Y-%m-%d %H:%M UTC')"

idxs=("$REPO"/objects/pack/pack-*.idx)
if [ "${#idxs[@]}" != 1 ]; then
	echo "batch.sh: the libgit2 baselines need a repository with exactly one pack" >&2
	exit 2
fi
IDX=${idxs[0]}

GIT2_READ_ALL=${GIT2_READ_ALL:-$OUT/git2_read_all}
if [ ! -x "$GIT2_READ_ALL" ]; then
	cc -O2 -o "$GIT2_READ_ALL" "$here/git2_read_all.c" -lgit2
fi

# The id lists for the libgit2 baselines, made once, untimed.
git show-index <"$IDX" >"$OUT/pack-order.txt"      # git2_read_all sorts it by offset
git show-index <"$IDX" | LC_ALL=C sort -k2 >"$OUT/oid-order.txt"

# Warm the page cache.
cat "$REPO"/objects/pack/* >/dev/null

if [ "$CHECK" = 1 ]; then
	echo "checking packcat's output against git's (untimed)" >&2
	cmp <("$PACKCAT" -C "$REPO" batch --all) \
		<(git -C "$REPO" cat-file --batch-all-objects --batch) ||
		{ echo "batch.sh: packcat batch --all differs from git" >&2; exit 1; }
	cmp <("$PACKCAT" -C "$REPO" batch --all --unordered) \
		<(git -C "$REPO" cat-file --batch-all-objects --batch --unordered) ||
		echo "batch.sh: note: --unordered output differs from git's (allowed: same objects, another order)" >&2
fi

labels=(git packcat git-unordered packcat-unordered packcat-64m packcat-64m-unordered
	libgit2-oid libgit2-pack libgit2-foreach)
run_one() {
	local l=$1 r=$2
	case $l in
	git) bench_run $l $r /dev/null git -C "$REPO" cat-file --batch-all-objects --batch ;;
	packcat) bench_run $l $r /dev/null "$PACKCAT" -C "$REPO" --stats batch --all ;;
	git-unordered) bench_run $l $r /dev/null git -C "$REPO" cat-file \
		--batch-all-objects --batch --unordered ;;
	packcat-unordered) bench_run $l $r /dev/null "$PACKCAT" -C "$REPO" --stats \
		batch --all --unordered ;;
	packcat-64m) bench_run $l $r /dev/null "$PACKCAT" -C "$REPO" --memory-limit 64m \
		--delta-cache 64m --stats batch --all ;;
	packcat-64m-unordered) bench_run $l $r /dev/null "$PACKCAT" -C "$REPO" \
		--memory-limit 64m --delta-cache 64m --stats batch --all --unordered ;;
	libgit2-oid) bench_run $l $r "$OUT/oid-order.txt" env NOSORT=1 "$GIT2_READ_ALL" \
		"$REPO" pack ;;
	libgit2-pack) bench_run $l $r "$OUT/pack-order.txt" "$GIT2_READ_ALL" "$REPO" pack ;;
	libgit2-foreach) bench_run $l $r /dev/null "$GIT2_READ_ALL" "$REPO" ;;
	esac
}

n=${#labels[@]}
for ((r = 1; r <= RUNS; r++)); do
	for ((i = 0; i < n; i++)); do
		l=${labels[$(((i + r - 1) % n))]}
		echo "round $r/$RUNS: $l" >&2
		run_one "$l" "$r"
	done
done

stat_med() {
	local r
	for r in $(ok_rounds "$1"); do stat_of "$OUT/$1.$r.err" "$2"; done | median_of |
		sed 's/\.000$//'
}

echo "### packcat batch --all vs git cat-file --batch-all-objects --batch vs libgit2"
echo
echo "$START; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "$BINARY"
echo "repository: $REPO ($(ls "$REPO"/objects/pack/*.pack | wc -l) pack, $(wc -l <"$OUT/pack-order.txt") objects), $RUNS interleaved rounds, medians, output to /dev/null"
echo
echo "| label | command |"
echo "|---|---|"
echo "| git | \`git -C REPO cat-file --batch-all-objects --batch\` (oid order) |"
echo "| packcat | \`packcat -C REPO batch --all\` (oid order) |"
echo "| git-unordered | \`git -C REPO cat-file --batch-all-objects --batch --unordered\` |"
echo "| packcat-unordered | \`packcat -C REPO batch --all --unordered\` |"
echo "| packcat-64m | \`packcat -C REPO --memory-limit 64m --delta-cache 64m batch --all\` |"
echo "| packcat-64m-unordered | the same with \`--unordered\` |"
echo "| libgit2-oid | \`NOSORT=1 git2_read_all REPO pack < oid-order.txt\` (git_odb_read, oid order) |"
echo "| libgit2-pack | \`git2_read_all REPO pack < pack-order.txt\` (git_odb_read, pack order) |"
echo "| libgit2-foreach | \`git2_read_all REPO\` (git_odb_foreach order = pack order in libgit2 1.5) |"
echo
medians_table "${labels[@]}"
echo
failures_list
ratio_header
ratio_row packcat git
ratio_row packcat-unordered git-unordered
ratio_row packcat libgit2-oid
ratio_row packcat-unordered libgit2-pack
ratio_row packcat-64m packcat
ratio_row packcat-64m-unordered packcat-unordered
ratio_row packcat packcat-unordered
ratio_row git git-unordered
ratio_row libgit2-oid libgit2-pack
ratio_row libgit2-foreach libgit2-pack
echo
echo "| --stats (median) | mapped_peak | fds_peak | maps | window_evictions | delta_cache_hits | delta_cache_misses | delta_cache_bytes_peak |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for l in packcat packcat-unordered packcat-64m packcat-64m-unordered; do
	printf '| %s |' "$l"
	for c in mapped_peak fds_peak maps window_evictions delta_cache_hits \
		delta_cache_misses delta_cache_bytes_peak; do
		printf ' %s |' "$(stat_med "$l" "$c")"
	done
	echo
done
echo

rss64=$(med packcat-64m 6)
rss64u=$(med packcat-64m-unordered 6)
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
verdict "$(lt "$rss64" 163840)" "peak RSS of batch --all at 64m/64m < 160 MiB (is $(mib "$rss64") MiB)"
verdict "$(lt "$rss64u" 163840)" "peak RSS of batch --all --unordered at 64m/64m < 160 MiB (is $(mib "$rss64u") MiB)"
echo
echo "raw runs: $RESULTS" >&2
