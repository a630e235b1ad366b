#!/usr/bin/env bash
# serve-bundle.sh: what a bundle costs pack-serve next to the pack it is made of — server CPU per GB (perf stat task-clock) downloading the libgit2 corpus's .pack, its one-pack bundle, and the bundle of the same objects split into two packs (trailer cached); and the time to the first byte of a bundle for a pack set seen for the first time (closure proof + trailer) against `git bundle create --all`.
#
# Usage: PACK_SERVE=build/tools/pack-serve tests/bench/serve-bundle.sh [ROUNDS] [DOWNLOADS]
#
# One worker (--threads 1); the three downloads interleaved for ROUNDS (5)
# rounds of DOWNLOADS (10) sequential curl downloads each. Prints CPU s/GB
# per round (sorted) and medians, then the first-byte times. Needs perf,
# curl, git. Run from the project's root.
set -euo pipefail

PACK_SERVE=${PACK_SERVE:-build/tools/pack-serve}
ROUNDS=${1:-5}
DOWNLOADS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=${CORPUS:-$HERE/../../../shared/corpus}
for t in perf curl git "$PACK_SERVE"; do
	command -v "$t" >/dev/null || [ -x "$t" ] || { echo "serve-bundle.sh: $t is missing" >&2; exit 2; }
done

OUT=$(mktemp -d /tmp/packwin-serve-bundle.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$OUT"
}
trap cleanup EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME=$OUT

mkdir -p "$OUT/root"
cp -al "$CORPUS/libgit2.git" "$OUT/root/one.git" 2>/dev/null || cp -a "$CORPUS/libgit2.git" "$OUT/root/one.git"
PACK=$(ls "$OUT"/root/one.git/objects/pack/pack-*.pack | head -1)
SIZE=$(stat -c %s "$PACK")
# two.git: the same objects in two packs, split at the oldest tag's history.
cp -al "$OUT/root/one.git" "$OUT/root/two.git" 2>/dev/null || cp -a "$OUT/root/one.git" "$OUT/root/two.git"
rm -f "$OUT"/root/two.git/objects/pack/*
OLD=$(git --git-dir="$OUT/root/one.git" for-each-ref --count=1 --sort=creatordate --format='%(objectname)' refs/tags)
echo "$OLD" | git --git-dir="$OUT/root/one.git" pack-objects -q --revs --delta-base-offset "$OUT/root/two.git/objects/pack/pack" >/dev/null
printf '^%s\n' "$OLD" | git --git-dir="$OUT/root/one.git" pack-objects -q --revs --all --delta-base-offset "$OUT/root/two.git/objects/pack/pack" >/dev/null
cat "$OUT"/root/*/objects/pack/*.pack >/dev/null # page cache warm

"$PACK_SERVE" --threads 1 -l 127.0.0.1:0 "$OUT/root" >"$OUT/ps.out" &
PIDS+=($!)
PID=$!
for _ in $(seq 50); do [ -s "$OUT/ps.out" ] && break; sleep 0.1; done
PORT=$(sed -n 's|^listening on http://.*:\([0-9]*\)/$|\1|p' "$OUT/ps.out")
B=http://127.0.0.1:$PORT

# First bundle of each pack set: proof and (two.git) trailer.
ttfb() { curl -sf -o "$2" -w '%{time_starttransfer}' "$B/$1"; }
T1=$(ttfb one.git/bundle "$OUT/one.bundle")
T2=$(ttfb two.git/bundle "$OUT/two.bundle")
start=$(date +%s.%N)
git --git-dir="$OUT/root/one.git" bundle create "$OUT/git.bundle" --all 2>/dev/null
TG=$(echo "$(date +%s.%N) - $start" | bc)

declare -A URL=( [pack]=/one.git/objects/pack/$(basename "$PACK") [bundle-1]=/one.git/bundle [bundle-2]=/two.git/bundle )
declare -A BYTES=( [pack]=$SIZE [bundle-1]=$(stat -c %s "$OUT/one.bundle") [bundle-2]=$(stat -c %s "$OUT/two.bundle") )
names=(pack bundle-1 bundle-2)
for r in $(seq "$ROUNDS"); do
	for n in "${names[@]}"; do
		perf stat -e task-clock -p "$PID" -o "$OUT/stat" &
		sp=$!
		sleep 0.2
		for _ in $(seq "$DOWNLOADS"); do curl -sf -o /dev/null "$B${URL[$n]}"; done
		kill -INT "$sp"
		wait "$sp" || true
		awk -v n="$n" -v b="${BYTES[$n]}" -v d="$DOWNLOADS" '/task-clock/ { gsub(",", "", $1); printf "%s %.3f\n", n, $1 / 1000 / (b * d / 1e9) }' "$OUT/stat" >>"$OUT/results"
	done
done

echo "| download | bytes | CPU s/GB, each round (sorted) | median |"
echo "|---|---:|---|---:|"
for n in "${names[@]}"; do
	vals=$(awk -v n="$n" '$1 == n { print $2 }' "$OUT/results" | sort -n)
	med=$(echo "$vals" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "| $n | ${BYTES[$n]} | $(echo $vals) | $med |"
done
echo
echo "| first bundle of a pack set | seconds |"
echo "|---|---:|"
echo "| one pack: time to first byte (closure proof) | $T1 |"
echo "| two packs: time to first byte (closure proof + trailer) | $T2 |"
echo "| git bundle create --all (writes the pack) | $TG |"
