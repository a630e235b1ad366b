#!/usr/bin/env bash
# fault-injection.sh: a copy of a corpus pack with random entries damaged
# in their compressed data, beside a whole second copy of the same pack
# (older, so the damaged one is searched first): every object still reads
# byte-identical to git (batch --all, with and without readers, and
# batch --check), and packcat counts what it found bad. The seed is
# printed; PACKWIN_SEED=N repeats a run.
#
# Usage: fault-injection.sh PACKCAT REPO [ENTRIES]
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -ge 2 ] || oracle_die "usage: $0 PACKCAT REPO [ENTRIES]"
packcat=$1 src=$2 n=${3:-8}
seed=${PACKWIN_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$seed
echo "seed $seed, $n damaged entries"

r=$ORACLE_TMP/r.git
git init -q --bare "$r"
orig=$(ls "$src"/objects/pack/pack-*.pack | head -n1)
name=$(basename "$orig" .pack)
# the whole copy under another name (git does not check a pack's name), older
cp "$orig" "$r/objects/pack/pack-whole.pack"
cp "${orig%.pack}.idx" "$r/objects/pack/pack-whole.idx"
touch -d '2001-01-01' "$r"/objects/pack/pack-whole.*
cp "$orig" "$r/objects/pack/$name.pack"
cp "${orig%.pack}.idx" "$r/objects/pack/$name.idx"
chmod u+w "$r"/objects/pack/*
damaged=$r/objects/pack/$name.pack

# offset and in-pack length of every entry, from git
git verify-pack -v "$orig" | awk 'NF >= 5 && $2 ~ /^(commit|tree|blob|tag)$/ { print $4, $5, $1 }' \
	>"$ORACLE_TMP/entries"
count=$(wc -l <"$ORACLE_TMP/entries")
[ "$count" -gt "$n" ] || oracle_die "too few entries in $orig"
for _ in $(seq "$n"); do
	line=$(( (RANDOM * 32768 + RANDOM) % count + 1 ))
	read -r len ofs id < <(sed -n "${line}p" "$ORACLE_TMP/entries")
	echo "$id" >>"$ORACLE_TMP/ids"
	# a byte in the second half of the entry: compressed data, past header and base reference
	at=$(( ofs + len / 2 + (len > 8 ? RANDOM % (len / 2) : 0) ))
	byte=$(od -An -tu1 -j "$at" -N1 "$damaged" | tr -d ' ')
	printf "$(printf '\\%03o' $(( byte ^ 0xa5 )))" |
		dd of="$damaged" bs=1 seek="$at" conv=notrunc status=none
done
! git verify-pack "$damaged" >/dev/null 2>&1 || oracle_die "verify-pack accepts the damaged copy"

# each damaged object in a process of its own (lookups then start with the damaged copy, the newest)
while read -r id; do
	git -C "$r" cat-file -p "$id" >"$ORACLE_TMP/git.one" 2>/dev/null
	"$packcat" -C "$r" cat -p "$id" >"$ORACLE_TMP/pc.one" 2>"$ORACLE_TMP/pc.err" ||
		oracle_die "cat -p $id fails (seed $seed): $(grep -v '^warning' "$ORACLE_TMP/pc.err" | head -3)"
	cmp -s "$ORACLE_TMP/git.one" "$ORACLE_TMP/pc.one" || oracle_die "cat -p $id differs from git (seed $seed)"
	grep -q "trying another copy" "$ORACLE_TMP/pc.err" || oracle_die "no warning for $id (seed $seed)"
done <"$ORACLE_TMP/ids"
cmp <(git -C "$r" cat-file --batch <"$ORACLE_TMP/ids" 2>/dev/null) \
	<("$packcat" -C "$r" batch <"$ORACLE_TMP/ids" 2>/dev/null) ||
	oracle_die "batch of the damaged objects differs from git (seed $seed)"
cmp <(git -C "$r" cat-file --batch-check <"$ORACLE_TMP/ids" 2>/dev/null) \
	<("$packcat" -C "$r" batch --check <"$ORACLE_TMP/ids" 2>/dev/null) ||
	oracle_die "batch --check of the damaged objects differs from git (seed $seed)"

git -C "$r" cat-file --batch-all-objects --batch >"$ORACLE_TMP/git.out" 2>/dev/null
git -C "$r" cat-file --batch-all-objects --batch-check >"$ORACLE_TMP/git.check" 2>/dev/null
for threads in 1 2; do
	"$packcat" --stats -C "$r" batch --all --threads "$threads" >"$ORACLE_TMP/pc.out" 2>"$ORACLE_TMP/pc.err" ||
		oracle_die "batch --all --threads $threads fails: $(grep -v '^warning' "$ORACLE_TMP/pc.err" | head -3)"
	cmp "$ORACLE_TMP/git.out" "$ORACLE_TMP/pc.out" ||
		oracle_die "batch --all --threads $threads differs from git (seed $seed)"
	bad=$(sed -n 's/^bad_objects[: ]*//p' "$ORACLE_TMP/pc.err")
	[ "${bad:-0}" -ge 1 ] || oracle_die "no bad object counted (seed $seed): $(tail -3 "$ORACLE_TMP/pc.err")"
	grep -q "trying another copy" "$ORACLE_TMP/pc.err" || oracle_die "no warning of the damaged entries"
done
"$packcat" -C "$r" batch --all --check >"$ORACLE_TMP/pc.check" 2>/dev/null
cmp "$ORACLE_TMP/git.check" "$ORACLE_TMP/pc.check" || oracle_die "batch --all --check differs from git"
echo "ok: $(wc -l <"$ORACLE_TMP/git.check") objects read as git reads them, $bad entries found bad"
