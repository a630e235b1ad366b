#!/usr/bin/env bash
# reftable-churn.sh: `reftable.py churn --times 1000` rewrites a reftable
# stack (new tables, tables.list swapped, old tables deleted: a compacting
# writer) beside pw_refloop, which resolves and lists every ref each round
# and must never miss one (the readers' retry rule). The refs are git's
# show-ref --head of the files-backend original. Budget: ~10 s.
#
# Usage: reftable-churn.sh PW_REFLOOP FIXTURES
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -eq 2 ] || oracle_die "usage: $0 PW_REFLOOP FIXTURES"
loop=$1 fixtures=$2
rt="python3 $(cd "$(dirname "$0")/../tools" && pwd)/reftable.py"
T=$ORACLE_TMP

orig=$fixtures/repos/basic.git
$rt from-files "$orig" "$T/twin" --split 2 --block-size 256
git --git-dir="$orig" show-ref --head >"$T/expected"
# the churner: 1000 rounds, then the stop file (with its exit status)
( rc=0; $rt churn "$T/twin" --times 1000 || rc=$?; echo "$rc" >"$T/stop.tmp"; mv "$T/stop.tmp" "$T/stop" ) &
churn=$!
rc=0
"$loop" "$T/twin" "$T/expected" "$T/stop" >"$T/out" 2>"$T/err" || rc=$?
wait "$churn"
cat "$T/out"
if [ "$rc" -ne 0 ]; then
	echo "FAIL: the reader missed a ref while the stack churned (exit $rc):"
	head -5 "$T/err"
	exit 1
fi
[ "$(cat "$T/stop")" = 0 ] || oracle_die "reftable.py churn failed"
rounds=$(awk '{ print $2 }' "$T/out")
# a reader that never overlapped the churn proves nothing
[ "$rounds" -ge 20 ] || oracle_die "only $rounds reader rounds beside the churn"
echo "reftable-churn: $rounds reader rounds beside 1000 stack rewrites, no ref missed"
