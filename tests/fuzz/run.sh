#!/usr/bin/env bash
# run.sh BUILD [SECONDS] [JOBS]: run every fuzz target of BUILD for SECONDS each, JOBS at a time; fails on any crash, hang, leak or OOM.
# Corpora grow in BUILD/fuzz-corpus/<target>, crashes land in BUILD/fuzz-artifacts/<target>/,
# logs in BUILD/fuzz-logs/; each run appends "date target seconds cpu-seconds runs result" to BUILD/fuzz-logs/history.tsv.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run.sh BUILD [SECONDS] [JOBS]}
secs=${2:-60}
jobs=${3:-2}
build=$(cd "$build" && pwd)
logs=$build/fuzz-logs
mkdir -p "$logs"

targets=()
for bin in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] && [ -f "$bin" ] && targets+=("$bin")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "run.sh: no fuzz targets in $build/tests/fuzz" >&2
  exit 2
fi

run_one() {
  local bin=$1 name
  name=$(basename "$bin")
  local corpus=$build/fuzz-corpus/$name art=$build/fuzz-artifacts/$name/
  local args=(-max_total_time="$secs" -rss_limit_mb=512 -timeout=10 -print_final_stats=1
              -artifact_prefix="$art")
  mkdir -p "$corpus" "$art"
  [ -f "$here/$name.dict" ] && args+=(-dict="$here/$name.dict")
  local dirs=("$corpus" "$build/fuzz-seeds/$name")
  [ -d "$here/regressions/$name" ] && dirs+=("$here/regressions/$name")
  # CPU seconds (user + system) of the run, for docs/fuzzing.md's table
  /usr/bin/time -f '%U %S' -o "$logs/$name.cpu" "$bin" "${args[@]}" "${dirs[@]}" > "$logs/$name.log" 2>&1
  local rc=$? runs cpu
  echo $rc > "$logs/$name.rc"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$name.log" | tail -1)
  cpu=$(awk 'END { printf "%.0f", $1 + $2 }' "$logs/$name.cpu" 2>/dev/null)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$name" "$secs" "${cpu:-?}" "${runs:-?}" \
    "$([ $rc -eq 0 ] && echo ok || echo "FAIL($rc)")" >> "$logs/history.tsv"
  return $rc
}

failed=0
running=0
for bin in "${targets[@]}"; do
  if [ $running -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_one "$bin" &
  running=$((running + 1))
done
while [ $running -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done

for bin in "${targets[@]}"; do
  name=$(basename "$bin")
  line=$(grep -E '^Done [0-9]+ runs' "$logs/$name.log" | tail -1)
  if [ "$(cat "$logs/$name.rc" 2>/dev/null)" != 0 ]; then
    echo "$name: FAILED (log $logs/$name.log)"
    grep -E '^==[0-9]+== ?ERROR|^SUMMARY: |broken invariant|Test unit written to' "$logs/$name.log" | head -5
    failed=1
  else
    echo "$name: ${line:-no summary (see $logs/$name.log)}, $(awk '{ printf "%.0f", $1 + $2 }' "$logs/$name.cpu") CPU seconds"
  fi
done
exit $failed
