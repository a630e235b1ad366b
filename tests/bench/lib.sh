# lib.sh: what the benchmark scripts share: timing one run, medians, paired ratios, tables.
#
# Sourced, not run. Every measured run appends one line to $RESULTS:
#     LABEL ROUND WALL USER SYS MAXRSS_KIB
# taken by GNU time (`/usr/bin/time -f '%e %U %S %M'`), which reports the
# rusage of the command and of every child it waited for (git verify-pack's
# index-pack, for instance): user and sys are summed, peak RSS is the
# largest of them.

set -euo pipefail

TIME=${TIME:-/usr/bin/time}

bench_need() {
	if ! "$TIME" -f %e true 2>/dev/null; then
		echo "bench: GNU time is needed at $TIME (Debian package 'time')" >&2
		exit 2
	fi
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "$t" ]; then
			echo "bench: '$t' is needed" >&2
			exit 2
		fi
	done
}

# bench_init DIR: results go to DIR (created; default a fresh temporary one).
bench_init() {
	OUT=${1:-$(mktemp -d /tmp/packwin-bench.XXXXXX)}
	mkdir -p "$OUT"
	RESULTS=$OUT/results.txt
	FAILURES=$OUT/failures.txt
	: >"$RESULTS"
	: >"$FAILURES"
}

# bench_run LABEL ROUND STDIN CMD...: time CMD once, stdin from STDIN,
# stdout to /dev/null, stderr to $OUT/LABEL.ROUND.err. A run that fails
# is not timed: it goes to $FAILURES (label, round, exit status, its
# error) and the benchmark goes on; the tables count failures apart.
bench_run() {
	local label=$1 round=$2 in=$3 t rc=0
	shift 3
	t=$OUT/$label.$round.time
	"$TIME" -f '%e %U %S %M' -o "$t" "$@" <"$in" >/dev/null 2>"$OUT/$label.$round.err" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "bench: $label (round $round) failed with status $rc: $*" >&2
		grep -v '^[a-z_]* [0-9]*$' "$OUT/$label.$round.err" | head -3 >&2 || true
		echo "$label $round $rc $(grep -m1 '^packcat: \|^fatal: \|^error: ' "$OUT/$label.$round.err" || true)" >>"$FAILURES"
		return 0
	fi
	echo "$label $round $(tail -1 "$t")" >>"$RESULTS"
}

# ok_rounds LABEL: the rounds in which LABEL succeeded.
ok_rounds() {
	awk -v l="$1" '$1 == l { print $2 }' "$RESULTS"
}

# failed LABEL: how many of LABEL's runs failed.
failed() {
	awk -v l="$1" '$1 == l' "$FAILURES" | wc -l
}

# median_of: the median of the numbers on stdin (mean of the middle two when even).
median_of() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2];
		else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# col LABEL N: column N (3 wall, 4 user, 5 sys, 7 user+sys, 6 maxrss KiB) of LABEL's runs.
col() {
	awk -v l="$1" -v c="$2" '$1 == l { print (c == 7 ? $4 + $5 : $c) }' "$RESULTS"
}

med() { col "$1" "$2" | median_of; }

# paired_ratio A B N: median over rounds of (A's column N / B's column N)
# in the same round: runs taken moments apart see the same machine load.
paired_ratio() {
	awk -v a="$1" -v b="$2" -v c="$3" '
		function val() { return c == 7 ? $4 + $5 : $c }
		$1 == a { x[$2] = val() } $1 == b { y[$2] = val() }
		END { for (r in x) if ((r in y) && y[r] > 0) printf "%.3f\n", x[r] / y[r] }' \
		"$RESULTS" | median_of
}

# stat_of FILE NAME: the value of one `--stats` counter in a saved stderr.
stat_of() {
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

# medians_table LABEL...: one markdown row per label with the medians.
medians_table() {
	local l
	echo "| run | ok | failed | wall s | user s | sys s | CPU s | peak RSS MiB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for l in "$@"; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$l" \
			"$(col "$l" 3 | wc -l)" "$(failed "$l")" "$(med "$l" 3)" "$(med "$l" 4)" \
			"$(med "$l" 5)" "$(med "$l" 7)" \
			"$(awk -v k="$(med "$l" 6)" 'BEGIN { if (k == "nan") print "n/a"; else printf "%.1f", k / 1024 }')"
	done
}

# ratio_row A B: one markdown row of paired ratios A/B (wall, CPU, RSS).
ratio_row() {
	printf '| %s / %s | %s | %s | %s |\n' "$1" "$2" \
		"$(paired_ratio "$1" "$2" 3)" "$(paired_ratio "$1" "$2" 7)" \
		"$(paired_ratio "$1" "$2" 6)"
}

ratio_header() {
	echo "| ratio (median of per-round ratios) | wall | CPU | peak RSS |"
	echo "|---|---:|---:|---:|"
}

# verdict OK TEXT: one line "target: TEXT: met" or "NOT met".
verdict() {
	if [ "$1" = 1 ]; then echo "- target $2: **met**"; else echo "- target $2: **NOT met**"; fi
}

# le A B, lt A B: 1 when A <= B (A < B) as numbers, else 0 (also when A is
# "nan": no run succeeded).
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "nan" && a + 0 <= b + 0) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "nan" && a + 0 < b + 0) ? 1 : 0 }'; }

bench_header() {
	local top dirty=""
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	if ! git -C "$top" diff --quiet HEAD 2>/dev/null; then
		dirty=" + uncommitted changes (git diff HEAD | sha1sum: $(git -C "$top" diff HEAD 2>/dev/null | sha1sum | cut -c1-12))"
	fi
	echo "source tree at the start: commit $(git -C "$top" log -1 --format=%h 2>/dev/null || echo unknown)$dirty, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average at the start $(cut -d' ' -f1-3 /proc/loadavg)"
}

# failures_list: the failed runs, as a markdown list (nothing when none failed).
failures_list() {
	[ -s "$FAILURES" ] || return 0
	echo "Failed runs (not timed; label, round, exit status, first error line):"
	echo
	sed 's/^/- /' "$FAILURES"
	echo
}

# bench_check_cores: do two CPU-bound jobs in parallel really get two cores?
# Prints "cores: N.NN" (CPU seconds per wall second of two 1-second busy
# loops) and warns below 1.8: figures taken then share a core with
# something else and are not to be trusted.
bench_check_cores() {
	local line
	line=$({ "$TIME" -f '%e %U %S' bash -c \
		'timeout 1 sh -c "while :; do :; done" & timeout 1 sh -c "while :; do :; done" & wait'; } 2>&1 | tail -1)
	echo "$line" | awk '{ c = ($2 + $3) / $1; printf "cores: %.2f (two busy loops in parallel)\n", c;
		if (c < 1.8) print "bench: WARNING: two CPU-bound jobs do not get two cores; do not trust these figures" }'
}
