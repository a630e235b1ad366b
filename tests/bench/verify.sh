#!/usr/bin/env bash
# verify.sh: `packcat verify` against `git verify-pack`, side by side, on one big pack.
#
# Usage: PACKCAT=build/tools/packcat tests/bench/verify.sh [OUTDIR]
#
# Environment:
#   PACKCAT  the packcat binary (default: build/tools/packcat)
#   PACK     the .pack to verify (default: the libgit2 corpus pack)
#   RUNS     runs of each command (default 5)
#
# The commands run interleaved, one of each per round (A B C D E F, then
# B C D E F A, ...: the order rotates so that none always follows the same
# neighbour), so each sees the machine in the same state as the others;
# ratios are the median of the per-round ratios. Besides the four packcat
# runs the targets name, `packcat-16m-w4m` runs the 16m/16m budget with
# 4 MiB windows (the default window, 32 MiB, is larger than that limit). Prints
# markdown (medians, ratios, failures, the targets) on stdout; raw numbers
# stay in OUTDIR. About 35 s per round on 2 cores.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PACKCAT=${PACKCAT:-build/tools/packcat}
CORPUS=${CORPUS:-$here/../../../shared/corpus}
PACK=$(realpath "${PACK:-$(ls "$CORPUS"/libgit2.git/objects/pack/pack-*.pack | head -1)}")
RUNS=${RUNS:-5}
IDX=${PACK%.pack}.idx

bench_need git "$PACKCAT"
bench_init "${1:-}"
START=$(bench_header) # the commit and load when the runs begin
BINARY="$("$PACKCAT" --version), $(realpath "$PACKCAT") built $(date -u -r "$PACKCAT" '+%Y-%m-%d %H:%M UTC')"

labels=(git-verify-pack packcat packcat-16m packcat-16m-w4m packcat-tiny packcat-no-mmap)
run_one() {
	case $1 in
	git-verify-pack) bench_run "$1" "$2" /dev/null git verify-pack "$IDX" ;;
	packcat) bench_run "$1" "$2" /dev/null "$PACKCAT" --stats verify "$PACK" ;;
	packcat-16m) bench_run "$1" "$2" /dev/null "$PACKCAT" --memory-limit 16m \
		--delta-cache 16m --stats verify "$PACK" ;;
	packcat-16m-w4m) bench_run "$1" "$2" /dev/null "$PACKCAT" --memory-limit 16m \
		--delta-cache 16m --window-size 4m --stats verify "$PACK" ;;
	packcat-tiny) bench_run "$1" "$2" /dev/null "$PACKCAT" --window-size 64k \
		--memory-limit 256k --fd-limit 1 --stats verify "$PACK" ;;
	packcat-no-mmap) bench_run "$1" "$2" /dev/null "$PACKCAT" --no-mmap --stats verify "$PACK" ;;
	esac
}

# Warm the page cache: every run then reads the pack from memory.
cat "$PACK" "$IDX" "${PACK%.pack}.rev" >/dev/null 2>&1 || true

n=${#labels[@]}
for ((r = 1; r <= RUNS; r++)); do
	for ((i = 0; i < n; i++)); do
		l=${labels[$(((i + r - 1) % n))]}
		echo "round $r/$RUNS: $l" >&2
		run_one "$l" "$r"
	done
done

stat_med() { # LABEL COUNTER: the median of a --stats counter over the rounds
	local r
	for r in $(ok_rounds "$1"); do stat_of "$OUT/$1.$r.err" "$2"; done | median_of |
		sed 's/\.000$//'
}

echo "### packcat verify vs git verify-pack"
echo
echo "$START; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "$BINARY"
echo "pack: $(basename "$PACK") ($(stat -c %s "$PACK") bytes), $RUNS interleaved rounds, medians"
echo
echo "| label | command |"
echo "|---|---|"
echo "| git-verify-pack | \`git verify-pack PACK.idx\` |"
echo "| packcat | \`packcat verify PACK\` (default budgets) |"
echo "| packcat-16m | \`packcat --memory-limit 16m --delta-cache 16m verify PACK\` |"
echo "| packcat-16m-w4m | the same with \`--window-size 4m\` (windows smaller than the limit) |"
echo "| packcat-tiny | \`packcat --window-size 64k --memory-limit 256k --fd-limit 1 verify PACK\` |"
echo "| packcat-no-mmap | \`packcat --no-mmap verify PACK\` |"
echo
medians_table "${labels[@]}"
echo
failures_list
ratio_header
ratio_row packcat git-verify-pack
ratio_row packcat-16m git-verify-pack
ratio_row packcat-16m-w4m git-verify-pack
ratio_row packcat-tiny git-verify-pack
ratio_row packcat-no-mmap git-verify-pack
ratio_row packcat-16m packcat
ratio_row packcat-16m-w4m packcat
ratio_row packcat-tiny packcat
ratio_row packcat-no-mmap packcat
echo
echo "| --stats (median) | mapped_peak | fds_peak | maps | window_evictions | fd_evictions | delta_cache_hits | delta_cache_misses | delta_cache_bytes_peak |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for l in packcat packcat-16m packcat-16m-w4m packcat-tiny packcat-no-mmap; do
	printf '| %s |' "$l"
	for c in mapped_peak fds_peak maps window_evictions fd_evictions delta_cache_hits \
		delta_cache_misses delta_cache_bytes_peak; do
		printf ' %s |' "$(stat_med "$l" "$c")"
	done
	echo
done
echo

wall_ratio=$(paired_ratio packcat git-verify-pack 3)
mib() { awk -v k="$1" 'BEGIN { if (k == "nan") print "n/a (no run succeeded)"; else printf "%.1f MiB", k / 1024 }'; }
rss16=$(med packcat-16m 6)
mapped16=$(stat_med packcat-16m mapped_peak)
rss16w=$(med packcat-16m-w4m 6)
mapped16w=$(stat_med packcat-16m-w4m mapped_peak)
verdict "$(le "$wall_ratio" 0.4)" "packcat verify wall <= 0.4x git verify-pack's (is ${wall_ratio}x)"
verdict "$([ "$(failed packcat-16m)" = 0 ] && echo 1 || echo 0)" "every 16m/16m run succeeds ($(failed packcat-16m) of $RUNS failed)"
verdict "$(lt "$rss16" 65536)" "peak RSS at 16m/16m < 64 MiB (is $(mib "$rss16"))"
verdict "$(le "$mapped16" 16777216)" "mapped_peak at 16m/16m <= 16 MiB (is $mapped16 bytes)"
verdict "$(lt "$rss16w" 65536)" "peak RSS at 16m/16m with 4m windows < 64 MiB (is $(mib "$rss16w"))"
verdict "$(le "$mapped16w" 16777216)" "mapped_peak at 16m/16m with 4m windows <= 16 MiB (is $mapped16w bytes)"
echo
echo "raw runs: $RESULTS" >&2
