#!/usr/bin/env bash
# verify-memory.sh: `packcat verify` of a pack holding a blob far larger
# than the budgets keeps to them (the blob is hashed while inflated, never
# held whole), and agrees with `git verify-pack`, also on a damaged copy.
#
# Usage: verify-memory.sh PACKCAT
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 1 ] || oracle_die "usage: $0 PACKCAT"
packcat=$1
TIME=${TIME:-/usr/bin/time}
"$TIME" -f %M true 2>/dev/null || { echo "verify-memory: GNU time is needed at $TIME" >&2; exit 77; }
repo=$ORACLE_TMP/big.git
git init -q --bare "$repo"
mb=96
blob=$(head -c $((mb << 20)) /dev/zero | git --git-dir="$repo" hash-object -w --stdin)
small=$(printf 'a small one\n' | git --git-dir="$repo" hash-object -w --stdin)
printf '%s\n%s\n' "$blob" "$small" | git --git-dir="$repo" pack-objects -q "$repo/objects/pack/pack" >/dev/null
pack=$(ls "$repo"/objects/pack/pack-*.pack)
git verify-pack "${pack%.pack}.idx" >/dev/null || oracle_die "git verify-pack refuses the pack"
"$TIME" -f %M -o "$ORACLE_TMP/rss" "$packcat" --memory-limit 16m --delta-cache 16m verify "$pack" ||
	oracle_die "packcat verify refuses a pack git accepts"
rss=$(tail -1 "$ORACLE_TMP/rss")
[ "$rss" -lt $((48 << 10)) ] ||
	oracle_die "verify of a ${mb} MiB blob at 16m/16m peaked at $rss KiB (want < 48 MiB)"
echo "ok: ${mb} MiB blob verified in $rss KiB peak RSS at --memory-limit 16m --delta-cache 16m"

# one byte of the blob's compressed data damaged: both refuse it
cp "$pack" "$ORACLE_TMP/bad.pack"
cp "${pack%.pack}.idx" "$ORACLE_TMP/bad.idx"
chmod u+w "$ORACLE_TMP/bad.pack"
size=$(stat -c %s "$ORACLE_TMP/bad.pack")
printf '\377' | dd of="$ORACLE_TMP/bad.pack" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
if git verify-pack "$ORACLE_TMP/bad.idx" >/dev/null 2>&1; then
	oracle_die "git verify-pack accepts the damaged pack: the test damaged nothing"
fi
rc=0
"$packcat" --memory-limit 16m --delta-cache 16m verify "$ORACLE_TMP/bad.pack" 2>"$ORACLE_TMP/err" || rc=$?
[ "$rc" = 1 ] || oracle_die "packcat verify of the damaged pack exits $rc: $(cat "$ORACLE_TMP/err")"
echo "ok: the damaged copy is refused by both ($(head -c 160 "$ORACLE_TMP/err"))"

# A 300 MiB pack (tests/tools/bigpack.py: two blobs of zeros in stored
# blocks, written sparse) at default budgets: what verify and a streamed
# cat have read is unmapped behind them, so neither keeps the memory limit
# (1 GiB) of windows resident, and verify at 16m/16m stays within it.
bigpack=$(dirname "$0")/../tools/bigpack.py
if command -v python3 >/dev/null; then
	sparse=$ORACLE_TMP/sparse.git
	git init -q --bare "$sparse"
	spack=$(python3 "$bigpack" sparse "$sparse/objects/pack" --filler1 150m --filler2 151m --any-size)
	git verify-pack "${spack%.pack}.idx" >/dev/null || oracle_die "git verify-pack refuses the sparse pack"
	"$TIME" -f %M -o "$ORACLE_TMP/rss" "$packcat" verify "$spack" ||
		oracle_die "packcat verify refuses the sparse pack git accepts"
	rss=$(tail -1 "$ORACLE_TMP/rss")
	[ "$rss" -lt $((128 << 10)) ] ||
		oracle_die "verify of the 300 MiB sparse pack at default budgets peaked at $rss KiB (want < 128 MiB)"
	echo "ok: 300 MiB pack verified in $rss KiB peak RSS at default budgets"
	"$TIME" -f %M -o "$ORACLE_TMP/rss" "$packcat" --memory-limit 16m --delta-cache 16m verify "$spack"
	rss=$(tail -1 "$ORACLE_TMP/rss")
	[ "$rss" -lt $((48 << 10)) ] ||
		oracle_die "verify of the 300 MiB sparse pack at 16m/16m peaked at $rss KiB (want < 48 MiB)"
	echo "ok: 300 MiB pack verified in $rss KiB peak RSS at 16m/16m"
	filler=$(git --git-dir="$sparse" cat-file --batch-all-objects --batch-check='%(objectname) %(objectsize)' |
		awk '$2 > 100000000 { print $1; exit }')
	want=$(git --git-dir="$sparse" cat-file blob "$filler" | cksum)
	got=$("$TIME" -f %M -o "$ORACLE_TMP/rss" "$packcat" -C "$sparse" cat blob "$filler" | cksum)
	[ "$got" = "$want" ] || oracle_die "cat blob of the 150 MiB blob differs from git's"
	rss=$(tail -1 "$ORACLE_TMP/rss")
	[ "$rss" -lt $((96 << 10)) ] ||
		oracle_die "cat blob of a 150 MiB blob at default budgets peaked at $rss KiB (want < 96 MiB)"
	echo "ok: 150 MiB blob streamed as git's in $rss KiB peak RSS at default budgets"
else
	echo "verify-memory: no python3: the sparse pack checks are skipped"
fi
