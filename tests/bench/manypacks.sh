#!/usr/bin/env bash
# manypacks.sh: random lookups and whole listings on a repository of many packs, with and
# without a multi-pack-index, packcat against git, side by side.
#
# Usage: PACKCAT=build/tools/packcat tests/bench/manypacks.sh [OUTDIR]
#
# Environment:
#   PACKCAT  the packcat binary (default: build/tools/packcat)
#   PACKS    packs to make (default 400: `git repack` after each of 400 commits, gc.auto=0)
#   LOOKUPS  random ids looked up by `batch --check` (default 100000, with repeats)
#   RUNS     rounds (default 5)
#
# The repository is built once in OUTDIR (about 40 s); a copy gets `git
# multi-pack-index write`. Per round, interleaved and rotating: git
# `cat-file --batch-check` and `packcat batch --check` of the same ids,
# on both; packcat at --fd-limit 4; `batch --all --check` in oid order and
# --unordered against git's. Output is checked once, untimed, to be git's.
# Prints markdown on stdout (medians, paired ratios, the targets of issue
# "many packs"); raw numbers stay in OUTDIR.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PACKCAT=$(realpath "${PACKCAT:-build/tools/packcat}")
PACKS=${PACKS:-400}
LOOKUPS=${LOOKUPS:-100000}
RUNS=${RUNS:-5}

bench_need git python3 "$PACKCAT"
bench_init "${1:-}"
START=$(bench_header)
BINARY="$("$PACKCAT" --version), $PACKCAT built $(date -u -r "$PACKCAT" '+%Y-%m-%d %H:%M UTC')"

R=$OUT/many.git M=$OUT/many-midx.git
if [ ! -d "$R" ]; then
	echo "making $PACKS packs in $R" >&2
	git init -q --bare "$R"
	git --git-dir="$R" config gc.auto 0
	W=$OUT/work
	git init -q "$W"
	for ((i = 1; i <= PACKS; i++)); do
		printf '%s\n' "$i" "$RANDOM" >"$W/f$((i % 50))"
		echo "$i" >"$W/g$i"
		git -C "$W" add -A
		git -C "$W" -c user.name=b -c user.email=b@b.invalid commit -qm "c$i"
		git -C "$W" push -q "$R" HEAD:refs/heads/main 2>/dev/null
		git --git-dir="$R" repack -q
	done
	rm -rf "$W"
	cp -R "$R" "$M"
	git --git-dir="$M" multi-pack-index write
fi
npacks=$(ls "$R"/objects/pack/*.pack | wc -l)
git --git-dir="$R" cat-file --batch-all-objects --batch-check='%(objectname)' >"$OUT/all"
python3 - "$OUT/all" "$OUT/ids" "$LOOKUPS" <<'EOF'
import random, sys
ids = open(sys.argv[1]).read().split()
random.seed(1)
open(sys.argv[2], 'w').write(''.join(random.choice(ids) + '\n' for _ in range(int(sys.argv[3]))))
EOF

for repo in "$R" "$M"; do
	cmp <("$PACKCAT" -C "$repo" batch --check <"$OUT/ids") \
		<(git --git-dir="$repo" cat-file --batch-check <"$OUT/ids") ||
		{ echo "bench: packcat's batch --check differs from git's on $repo" >&2; exit 1; }
done
"$PACKCAT" -C "$M" --stats batch --check <"$OUT/ids" 2>"$OUT/midx-stats" >/dev/null

labels=(git git-midx packcat packcat-midx packcat-fd4 packcat-midx-fd4
	git-all packcat-all packcat-midx-all git-unordered packcat-unordered packcat-midx-unordered)
run_one() {
	case $1 in
	git) bench_run "$1" "$2" "$OUT/ids" git --git-dir="$R" cat-file --batch-check ;;
	git-midx) bench_run "$1" "$2" "$OUT/ids" git --git-dir="$M" cat-file --batch-check ;;
	packcat) bench_run "$1" "$2" "$OUT/ids" "$PACKCAT" -C "$R" batch --check ;;
	packcat-midx) bench_run "$1" "$2" "$OUT/ids" "$PACKCAT" -C "$M" batch --check ;;
	packcat-fd4) bench_run "$1" "$2" "$OUT/ids" "$PACKCAT" -C "$R" --fd-limit 4 batch --check ;;
	packcat-midx-fd4) bench_run "$1" "$2" "$OUT/ids" "$PACKCAT" -C "$M" --fd-limit 4 batch --check ;;
	git-all) bench_run "$1" "$2" /dev/null git --git-dir="$R" cat-file --batch-all-objects --batch-check ;;
	packcat-all) bench_run "$1" "$2" /dev/null "$PACKCAT" -C "$R" batch --all --check ;;
	packcat-midx-all) bench_run "$1" "$2" /dev/null "$PACKCAT" -C "$M" batch --all --check ;;
	git-unordered) bench_run "$1" "$2" /dev/null git --git-dir="$R" cat-file --batch-all-objects \
		--unordered --batch-check ;;
	packcat-unordered) bench_run "$1" "$2" /dev/null "$PACKCAT" -C "$R" batch --all --unordered --check ;;
	packcat-midx-unordered) bench_run "$1" "$2" /dev/null "$PACKCAT" -C "$M" batch --all \
		--unordered --check ;;
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

echo "### $npacks packs: $LOOKUPS random \`batch --check\` lookups, and \`batch --all --check\`"
echo
echo "$START; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "$BINARY"
echo "$(wc -l <"$OUT/all") objects in $npacks packs; \`-midx\`: a copy with \`git multi-pack-index write\`; $RUNS interleaved rounds, medians"
echo "(packcat --stats with the multi-pack-index: $(awk '$1 ~ /^(packs|packs_idx_loaded|midx_files)$/ { printf "%s %s ", $1, $2 }' "$OUT/midx-stats"))"
echo
medians_table "${labels[@]}"
echo
failures_list
ratio_header
ratio_row packcat git
ratio_row packcat-midx git
ratio_row packcat-midx git-midx
ratio_row packcat-fd4 packcat
ratio_row packcat-midx-fd4 packcat-midx
ratio_row packcat-all git-all
ratio_row packcat-midx-all git-all
ratio_row packcat-unordered git-unordered
ratio_row packcat-midx-unordered git-unordered
echo
verdict "$(le "$(paired_ratio packcat git 3)" 1.0)" "without a multi-pack-index <= 1.0x git (is $(paired_ratio packcat git 3)x)"
verdict "$(le "$(paired_ratio packcat-midx git 3)" 0.5)" "with one <= 0.5x git without (is $(paired_ratio packcat-midx git 3)x)"
verdict "$(le "$(paired_ratio packcat-midx git-midx 3)" 1.0)" "with one <= 1.0x git with it (is $(paired_ratio packcat-midx git-midx 3)x)"
verdict "$(le "$(paired_ratio packcat-fd4 packcat 3)" 1.3)" "--fd-limit 4 within 1.3x of unlimited (is $(paired_ratio packcat-fd4 packcat 3)x)"
echo "raw runs: $RESULTS" >&2
