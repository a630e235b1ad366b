#!/usr/bin/env bash
# big-pack.sh: packcat on a pack over 4 GiB and an object over 4 GiB, git the oracle.
#
# Usage: big-pack.sh PACKCAT BIGPACK_PY MIDX_PY
#
# tests/tools/bigpack.py writes, in a temporary repository:
#   - pack A, 4.0 GiB: two blobs of 2 GiB of zeros in zlib stored blocks,
#     written sparse (about 260 MiB on disk), and small objects, OFS_DELTA
#     and REF_DELTA entries (chains of two) below 2 GiB, in [2, 4) GiB and
#     past 4 GiB (idx v2 large-offset table);
#   - pack B, 5 MiB: one blob of 5 GiB of zeros, deflated.
# Checked against git, with the peak RSS from GNU time:
#   - batch --all --check (oid order, and --unordered as a set) and its %(objectsize:disk)
#     and %(deltabase) formats, cat -t/-s/-p of every object but the three
#     big blobs, batch of their contents: at default budgets and at
#     --fd-limit 2 --memory-limit 1m;
#   - ls A = git verify-pack -v A (run once, in the background: git holds each
#     2 GiB blob whole and takes ~40 s), at default budgets, RSS < 160 MiB;
#   - cat blob of the 5 GiB blob, streamed through cksum beside git
#     cat-file's, at --memory-limit 16m: same CRC and size, RSS < 64 MiB;
#   - after `git multi-pack-index write` (LOFF, as A has offsets past 4 GiB):
#     the same batch and cat checks, and `packcat verify` of the whole
#     repository (both packs and the MIDX) at --memory-limit 16m
#     --delta-cache 16m, RSS < 64 MiB.
# About 2 minutes on 2 cores; ctest label `big` (make test-big), not in the
# default suite. Needs python3 and GNU time (/usr/bin/time); else skipped (77).
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -eq 3 ] || oracle_die "usage: $0 PACKCAT BIGPACK_PY MIDX_PY"
packcat=$1 bigpack=$2 midx=$3
TIME=${TIME:-/usr/bin/time}
"$TIME" -f %M true >/dev/null 2>&1 || { echo "GNU time is needed at $TIME; skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is needed; skipped"; exit 77; }
tiny=(--fd-limit 2 --memory-limit 1m)
start=$SECONDS

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
step() { echo "[$((SECONDS - start)) s] $*"; }

# rss_check WHAT MAX_MIB FILE: the peak RSS GNU time wrote to FILE is below MAX_MIB.
rss_check() {
	local rss
	rss=$(tail -n 1 "$3")
	if [ "$rss" -ge $(($2 * 1024)) ]; then
		fail "$1: peak RSS $rss KiB, not below $2 MiB"
	else
		echo "ok: $1: peak RSS $rss KiB (< $2 MiB)"
	fi
}

repo=$ORACLE_TMP/big.git
git init -q --bare "$repo"
export GIT_DIR=$repo
step "writing the packs"
python3 "$bigpack" huge "$repo/objects/pack" >"$ORACLE_TMP/b.path" &
python3 "$bigpack" sparse "$repo/objects/pack" >"$ORACLE_TMP/a.path"
wait $!
packa=$(cat "$ORACLE_TMP/a.path") packb=$(cat "$ORACLE_TMP/b.path")
echo "pack A: $(stat -c '%s bytes, %b blocks of %B' "$packa"); pack B: $(stat -c '%s bytes' "$packb")"
[ "$(stat -c %s "$packa")" -gt $((4 << 30)) ] || oracle_die "pack A is not over 4 GiB"

# git's listing of A, once, beside everything else (its own peak RSS is noted)
"$TIME" -f %M -o "$ORACLE_TMP/git-ls.rss" git verify-pack -v "${packa%.pack}.idx" \
	>"$ORACLE_TMP/git-ls" 2>"$ORACLE_TMP/git-ls.err" &
git_ls=$!

git cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype) %(objectsize)' \
	>"$ORACLE_TMP/all"
huge=$(awk '$3 > 4294967296 { print $1 }' "$ORACLE_TMP/all")
[ -n "$huge" ] || oracle_die "no object over 4 GiB"
awk '$3 < 1048576 { print $1 }' "$ORACLE_TMP/all" >"$ORACLE_TMP/small"
echo "$(wc -l <"$ORACLE_TMP/all") objects, $(wc -l <"$ORACLE_TMP/small") small; the huge one: $huge"
# git's bytes of the 5 GiB blob, also beside the rest. cksum (CRC-32 and
# the byte count) is a tenth of sha1sum's cost here, and enough to tell two
# streams apart that are not made to collide.
git cat-file blob "$huge" | cksum >"$ORACLE_TMP/cat.theirs" &
git_cat=$!

# same WHAT INPUT PACKCAT-ARGS... -- GIT-ARGS...: same stdout (both hashed) and
# exit status; packcat runs with the options in ${budget[@]}. With $filter
# set, both outputs go through it first.
budget=()
filter=cat
same() {
	local what=$1 input=$2 ours=() theirs=() out_o out_t rc_o=0 rc_t=0
	shift 2
	while [ "$1" != -- ]; do ours+=("$1"); shift; done
	shift
	theirs=("$@")
	out_o=$("$packcat" "${budget[@]}" "${ours[@]}" <"$input" 2>"$ORACLE_TMP/err" | $filter |
		sha1sum; exit "${PIPESTATUS[0]}") || rc_o=$?
	out_t=$(git "${theirs[@]}" <"$input" 2>/dev/null | $filter | sha1sum;
		exit "${PIPESTATUS[0]}") || rc_t=$?
	if [ "$out_o" != "$out_t" ] || [ "$rc_o" != "$rc_t" ]; then
		fail "$what: packcat ${budget[*]} ${ours[*]} (exit $rc_o) differs from git ${theirs[*]} (exit $rc_t): $(head -c 300 "$ORACLE_TMP/err")"
	fi
}

# cheap_checks BUDGET...: listings, types, sizes and small contents equal git's.
cheap_checks() {
	local label=${*:-default budgets} before=$failures o
	local fmt='%(objectname) %(objecttype) %(objectsize) %(objectsize:disk) %(deltabase)'
	budget=("$@")
	same "batch --all --check" /dev/null batch --all --check -- cat-file --batch-all-objects --batch-check
	# the order of --unordered is each one's own (git: its pack list's), the set is git's
	filter=sort
	same "batch --all --check --unordered, sorted" /dev/null batch --all --check --unordered -- \
		cat-file --batch-all-objects --batch-check --unordered
	filter=cat
	same "batch --all --check FORMAT" /dev/null batch --all --check --format "$fmt" -- \
		cat-file --batch-all-objects "--batch-check=$fmt"
	same "batch of the small objects" "$ORACLE_TMP/small" batch -- cat-file --batch
	while read -r o; do
		same "cat -p $o" /dev/null cat -p "$o" -- cat-file -p "$o"
	done <"$ORACLE_TMP/small"
	while read -r o _; do
		same "cat -t $o" /dev/null cat -t "$o" -- cat-file -t "$o"
		same "cat -s $o" /dev/null cat -s "$o" -- cat-file -s "$o"
	done <"$ORACLE_TMP/all"
	[ "$failures" -ne "$before" ] || echo "ok: batch and cat as git ($label)"
}

step "batch and cat without a multi-pack-index"
cheap_checks
cheap_checks "${tiny[@]}"

step "cat blob of the 5 GiB blob at --memory-limit 16m, to a pipe"
"$TIME" -f %M -o "$ORACLE_TMP/cat.rss" "$packcat" --memory-limit 16m cat blob "$huge" |
	cksum >"$ORACLE_TMP/cat.ours" || fail "packcat cat blob of the 5 GiB blob failed"
wait $git_cat || fail "git cat-file blob of the 5 GiB blob failed"
if cmp -s "$ORACLE_TMP/cat.ours" "$ORACLE_TMP/cat.theirs"; then
	echo "ok: cat blob of the 5 GiB blob: same bytes as git (cksum $(cat "$ORACLE_TMP/cat.ours"))"
else
	fail "cat blob of the 5 GiB blob differs from git's"
fi
rss_check "cat blob of the 5 GiB blob at --memory-limit 16m" 64 "$ORACLE_TMP/cat.rss"

step "ls of pack A (verifies it) against git verify-pack -v"
rc=0
"$TIME" -f %M -o "$ORACLE_TMP/ls.rss" "$packcat" ls "$packa" >"$ORACLE_TMP/ls" 2>"$ORACLE_TMP/ls.err" || rc=$?
[ "$rc" = 0 ] || fail "packcat ls of pack A exits $rc: $(head -c 300 "$ORACLE_TMP/ls.err")"
rss_check "ls (verify) of pack A at default budgets" 160 "$ORACLE_TMP/ls.rss"
wait $git_ls || oracle_die "git verify-pack -v refuses pack A: $(cat "$ORACLE_TMP/git-ls.err")"
echo "(git verify-pack -v of pack A peaked at $(tail -n 1 "$ORACLE_TMP/git-ls.rss") KiB)"
if diff -u "$ORACLE_TMP/git-ls" "$ORACLE_TMP/ls" >"$ORACLE_TMP/ls.diff"; then
	echo "ok: ls of pack A = git verify-pack -v"
else
	fail "ls of pack A differs from git verify-pack -v: $(head -c 2000 "$ORACLE_TMP/ls.diff")"
fi
past=$(awk '$5 ~ /^[0-9]+$/ && $5 > 4294967296' "$ORACLE_TMP/git-ls" | wc -l)
deltas=$(awk 'NF >= 7 && $5 > 4294967296' "$ORACLE_TMP/git-ls" | wc -l)
[ "$past" -ge 8 ] && [ "$deltas" -ge 5 ] ||
	fail "pack A has $past objects ($deltas deltas) past 4 GiB, want 8 (5)"

step "with a multi-pack-index (git's, with LOFF)"
git multi-pack-index write
python3 "$midx" dump "$repo/objects/pack/multi-pack-index" >"$ORACLE_TMP/midx.dump" ||
	oracle_die "midx.py dump finds problems in git's MIDX"
grep -q LOFF "$ORACLE_TMP/midx.dump" || oracle_die "git's MIDX has no LOFF chunk"
cheap_checks
cheap_checks "${tiny[@]}"

step "verify of the whole repository at --memory-limit 16m --delta-cache 16m"
rc=0
"$TIME" -f %M -o "$ORACLE_TMP/verify.rss" "$packcat" --memory-limit 16m --delta-cache 16m \
	verify >"$ORACLE_TMP/verify" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "packcat verify exits $rc: $(head -c 600 "$ORACLE_TMP/verify")"
rss_check "verify of both packs and the MIDX at 16m/16m" 64 "$ORACLE_TMP/verify.rss"

step "done"
[ "$failures" -eq 0 ] || oracle_die "$failures check(s) failed"
echo "all checks passed"
