#!/usr/bin/env bash
# no-mmap.sh: what --no-mmap (windows filled by pread) costs against mmap'd windows.
#
# Usage: PACKCAT=build/tools/packcat tests/bench/no-mmap.sh [OUTDIR]
#
# Environment:
#   PACKCAT  the packcat binary (default: build/tools/packcat)
#   REPO     the repository (default: the libgit2 corpus repository)
#   RUNS     rounds (default 3)
#   ARGS     extra global options for every run (e.g. "--window-size 4m")
#
# Four commands, `packcat -C REPO [--no-mmap] verify` and `packcat -C REPO
# [--no-mmap] batch --all --unordered >/dev/null`, run interleaved, one of
# each per round, the order rotating from round to round; ratios are the
# median of the per-round ratios (no-mmap / mmap). Prints markdown on
# stdout; raw numbers and each run's --stats stay in OUTDIR. About 40 s a
# round on 2 cores.

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PACKCAT=${PACKCAT:-build/tools/packcat}
CORPUS=${CORPUS:-$here/../../../shared/corpus}
REPO=$(realpath "${REPO:-$CORPUS/libgit2.git}")
RUNS=${RUNS:-3}
read -r -a EXTRA <<<"${ARGS:-}"

bench_need "$PACKCAT"
bench_init "${1:-}"
START=$(bench_header)

labels=(verify-mmap verify-no-mmap batch-mmap batch-no-mmap)
run_one() {
	local mode=()
	case $1 in *no-mmap) mode=(--no-mmap) ;; esac
	case $1 in
	verify-*) bench_run "$1" "$2" /dev/null "$PACKCAT" -C "$REPO" "${EXTRA[@]}" "${mode[@]}" \
		--stats verify ;;
	batch-*) bench_run "$1" "$2" /dev/null "$PACKCAT" -C "$REPO" "${EXTRA[@]}" "${mode[@]}" \
		--stats batch --all --unordered ;;
	esac
}

# Warm the page cache: every run then reads the pack from memory.
cat "$REPO"/objects/pack/* >/dev/null 2>&1 || true

n=${#labels[@]}
for ((r = 1; r <= RUNS; r++)); do
	for ((i = 0; i < n; i++)); do
		l=${labels[$(((i + r - 1) % n))]}
		echo "round $r/$RUNS: $l" >&2
		run_one "$l" "$r"
	done
done

echo "## --no-mmap against mmap: \`packcat verify\` and \`batch --all --unordered\`"
echo
echo "$START; $("$PACKCAT" --version | head -1); repository $REPO; $RUNS rounds${ARGS:+; extra options: $ARGS}"
echo
medians_table "${labels[@]}"
echo
ratio_header
ratio_row verify-no-mmap verify-mmap
ratio_row batch-no-mmap batch-mmap
echo
failures_list
