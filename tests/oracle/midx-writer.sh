#!/usr/bin/env bash
# midx-writer.sh: tests/tools/midx.py writes the multi-pack-index git
# writes, byte for byte, and git accepts what it writes.
#
# Usage: midx-writer.sh MIDX_PY FIXTURES CORPUS
#
# Read only: FIXTURES and CORPUS; the work is done on copies. On each pack
# set (fixture repositories, SHA-1 and SHA-256; the zlib and libgit2 corpus
# repositories), split into packs that share objects:
#   - `git multi-pack-index write` [--bitmap] [--preferred-pack] [--stdin-packs]
#     and `midx.py write` with the same choices give identical files, with
#     packs of equal mtimes (readdir order breaks ties) and of distinct
#     mtimes (the newest copy wins); idx v1, idx v2 with a large-offset
#     table, and idx files whose offsets pass 2^31 and 2^32 (MIDX LOFF);
#   - `git multi-pack-index verify` accepts every file midx.py wrote
#     (also with --loff-threshold, which sends small offsets through LOFF);
#   - `midx.py dump` finds no problem in git's files or in ours.
# git 2.39 writes neither MIDX v2 nor incremental chains, so these are
# checked by invariants: v2 with sorted names is the v1 file with another
# version byte; a chain passes `midx.py dump` (layer names are their
# checksums, no object in two layers, positions counted on across layers,
# every object of every pack covered, each entry at its pack's idx offset)
# and its first layer is git's MIDX of that layer's packs.
# Each corrupt kind is rejected by `midx.py dump` (that defect alone) and
# by `git multi-pack-index verify`.
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -eq 3 ] || oracle_die "usage: $0 MIDX_PY FIXTURES CORPUS"
midx_py=$1 fixtures=$2 corpus=$3
T=$ORACLE_TMP
failures=0
checks=0

# The interpreter itself, not a launcher script (pyenv's shim costs 0.3 s a
# run); -S: the standard library is all midx.py uses.
py=$(python3 -c 'import sys; print(sys.executable)')
midx() { "$py" -S "$midx_py" "$@"; }

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# A copy of a bare repository, packs as they are, that the test may change.
copy_repo() {
	cp -R "$1" "$2"
	chmod -R u+w "$2"
	rm -rf "$2"/objects/pack/multi-pack-index*
	git --git-dir="$2" config gc.auto 0
	git --git-dir="$2" config core.multiPackIndex true
}

pack_dir_of() { echo "$1/objects/pack"; }

# Pack the objects reachable from REV (not from EXCLUDE, if given) into a
# new pack of GIT_DIR; print the new pack's idx name.
add_pack() {
	local gd=$1 rev=$2 exclude=${3:-} h
	if [ -n "$exclude" ]; then
		h=$(git --git-dir="$gd" rev-list --objects "$rev" "^$exclude" |
			git --git-dir="$gd" pack-objects -q "$gd/objects/pack/pack")
	else
		h=$(git --git-dir="$gd" rev-list --objects "$rev" |
			git --git-dir="$gd" pack-objects -q "$gd/objects/pack/pack")
	fi
	echo "pack-$h.idx"
}

clean_midx() {
	rm -rf "$1"/objects/pack/multi-pack-index* "$1"/objects/pack/multi-pack-index.d
}

# same NAME GIT_DIR 'GIT WRITE OPTIONS' 'MIDX.PY WRITE OPTIONS' [STDIN PACKS]
# Both writers on the same packs; the files must be equal, git must verify
# ours, and dump must be happy with both.
same() {
	local name=$1 gd=$2 gopts=$3 mopts=$4 stdin_packs=${5:-} pd
	pd=$(pack_dir_of "$gd")
	checks=$((checks + 1))
	clean_midx "$gd"
	# shellcheck disable=SC2086
	if [ -n "$stdin_packs" ]; then
		tr , '\n' <<<"$stdin_packs" |
			git --git-dir="$gd" multi-pack-index write --stdin-packs $gopts 2>"$T/git.err" >/dev/null ||
			{ fail "$name: git multi-pack-index write: $(cat "$T/git.err")"; return; }
		mopts="$mopts --packs $stdin_packs"
	else
		git --git-dir="$gd" multi-pack-index write $gopts 2>"$T/git.err" >/dev/null ||
			{ fail "$name: git multi-pack-index write: $(cat "$T/git.err")"; return; }
	fi
	cp "$pd/multi-pack-index" "$T/git.midx"
	clean_midx "$gd"
	# shellcheck disable=SC2086
	midx write --pack-dir "$pd" $mopts --output "$T/ours.midx" >/dev/null ||
		{ fail "$name: midx.py write $mopts"; return; }
	if ! cmp -s "$T/git.midx" "$T/ours.midx"; then
		fail "$name: midx.py write $mopts differs from git multi-pack-index write $gopts"
		midx dump --objects --pack-dir "$pd" "$T/git.midx" >"$T/git.dump" 2>&1 || true
		midx dump --objects --pack-dir "$pd" "$T/ours.midx" >"$T/ours.dump" 2>&1 || true
		diff -u "$T/git.dump" "$T/ours.dump" | head -40 >&2 || true
	fi
	midx dump --no-packs "$T/git.midx" >"$T/dump.out" 2>&1 ||
		fail "$name: dump rejects git's file: $(cat "$T/dump.out")"
	git_verifies "$name" "$gd" "$T/ours.midx"
}

# git_verifies NAME GIT_DIR FILE: git multi-pack-index verify accepts FILE.
git_verifies() {
	local pd
	pd=$(pack_dir_of "$2")
	clean_midx "$2"
	cp "$3" "$pd/multi-pack-index"
	git --git-dir="$2" multi-pack-index verify >"$T/verify.out" 2>&1 ||
		fail "$1: git multi-pack-index verify: $(cat "$T/verify.out")"
	# verify reports a MIDX it could not load on stderr but exits 0.
	if grep -q . "$T/verify.out"; then
		fail "$1: git multi-pack-index verify said: $(cat "$T/verify.out")"
	fi
	clean_midx "$2"
}

# The standard comparisons on a repository whose packs share objects.
# PREF is one of its packs (not the oldest); SUBSET two or more of them.
compare_all() {
	local tag=$1 gd=$2 pref=$3 subset=$4 bitmap=${5:-yes}
	same "$tag/plain" "$gd" "" ""
	same "$tag/preferred" "$gd" "--preferred-pack=$pref" "--preferred-pack $pref"
	same "$tag/stdin-packs" "$gd" "" "" "$subset"
	if [ "$bitmap" = yes ]; then
		same "$tag/bitmap" "$gd" "--bitmap" "--ridx"
		same "$tag/bitmap-preferred" "$gd" "--bitmap --preferred-pack=$pref" \
			"--ridx --preferred-pack $pref"
	fi
}

# Distinct mtimes for the packs, in the order given (oldest first).
set_mtimes() {
	local gd=$1 t=1600000000 p
	shift
	for p in "$@"; do
		touch -d "@$t" "$(pack_dir_of "$gd")/${p%.idx}.pack"
		t=$((t + 100))
	done
}

packs_of() { (cd "$(pack_dir_of "$1")" && ls -- *.idx); }

# --- the zlib corpus: three packs sharing objects ---------------------------
zlib_checks() {
	local gd=$T/zlib.git base mid old p1 p2 p3
	copy_repo "$corpus/zlib.git" "$gd"
	base=$(packs_of "$gd")
	mid=$(git --git-dir="$gd" rev-list --reverse HEAD | sed -n 300p)
	old=$(git --git-dir="$gd" rev-list --reverse HEAD | sed -n 150p)
	p1=$(add_pack "$gd" "$mid")
	p2=$(add_pack "$gd" HEAD "$old")
	p3=$(add_pack "$gd" "$old")
	# Equal mtimes (written within a second or set so): readdir order decides.
	touch -d @1600000000 "$(pack_dir_of "$gd")"/*.pack
	compare_all zlib/equal-mtimes "$gd" "$p2" "$p1,$p3"
	# Distinct mtimes, newest copy wins; twice, so that the newest pack is
	# neither the first nor the last name.
	set_mtimes "$gd" "$base" "$p3" "$p1" "$p2"
	same zlib/mtimes-a/plain "$gd" "" ""
	same zlib/mtimes-a/preferred "$gd" "--preferred-pack=$p1" "--preferred-pack $p1"
	same zlib/mtimes-a/bitmap "$gd" "--bitmap" "--ridx"
	set_mtimes "$gd" "$p2" "$p1" "$base" "$p3"
	same zlib/mtimes-b/stdin-packs "$gd" "" "" "$base,$p1,$p3"
	same zlib/mtimes-b/bitmap-preferred "$gd" "--bitmap --preferred-pack=$p3" \
		"--ridx --preferred-pack $p3"

	v2_checks zlib "$gd" "$p1,$base,$p3,$p2"
	# Layers: old history; up to mid and the newer half (overlapping between
	# old and mid); the full pack (what other refs hold, if anything).
	chain_checks zlib "$gd" "$p3" "$p1" "$p2" "$base"
	loff_checks "$gd" "$p1" "$p2"
	corrupt_checks "$gd"
}

# --- v2: sorted names give v1's bytes but for the version; given order -----
v2_checks() {
	local tag=$1 gd=$2 order=$3 pd
	pd=$(pack_dir_of "$gd")
	checks=$((checks + 1))
	midx write --pack-dir "$pd" --version 1 --ridx --output "$T/v1.midx" >/dev/null
	midx write --pack-dir "$pd" --version 2 --ridx --output "$T/v2.midx" >/dev/null
	"$py" -S - "$T/v1.midx" "$T/v2.midx" <<-'EOF' || fail "$tag/v2: v2 with sorted packs is not v1 with version 2"
	import hashlib, sys
	a = bytearray(open(sys.argv[1], "rb").read())
	b = open(sys.argv[2], "rb").read()
	h = {1: "sha1", 2: "sha256"}[a[5]]
	n = hashlib.new(h).digest_size
	a[4] = 2
	a = bytes(a[:-n]) + hashlib.new(h, bytes(a[:-n])).digest()
	sys.exit(0 if a == b else 1)
	EOF
	midx dump --pack-dir "$pd" "$T/v2.midx" >"$T/dump.out" 2>&1 ||
		fail "$tag/v2: dump: $(cat "$T/dump.out")"
	# Packs in the order given: PNAM lists them so, the objects are the same.
	midx write --pack-dir "$pd" --version 2 --pack-order given --packs "$order" --ridx --btmp \
		--output "$T/v2given.midx" >/dev/null
	midx dump --objects --pack-dir "$pd" "$T/v2given.midx" >"$T/dump.out" 2>&1 ||
		fail "$tag/v2-given: dump: $(cat "$T/dump.out")"
	if [ "$(sed -n 's/^  pack [0-9]* \([^ ]*\).*/\1/p' "$T/dump.out" | paste -sd,)" != "$order" ]; then
		fail "$tag/v2-given: PNAM order is not $order"
	fi
	# The same objects at the same offsets in the same packs as v1 (by name).
	midx dump --objects --pack-dir "$pd" "$T/v1.midx" >"$T/dump1.out" 2>&1 ||
		fail "$tag/v1: dump: $(tail -1 "$T/dump1.out")"
	if ! diff -q <(objects_by_name "$T/dump1.out") <(objects_by_name "$T/dump.out") >/dev/null; then
		fail "$tag/v2-given: objects differ from v1's"
	fi
	# Version 1 refuses an unsorted order.
	if midx write --pack-dir "$pd" --version 1 --pack-order given --packs "$order" \
		--output "$T/bad.midx" >/dev/null 2>&1; then
		fail "$tag/v2-given: version 1 accepted --pack-order given"
	fi
}

# "oid packname offset" lines from a dump --objects.
objects_by_name() {
	awk '/^  pack [0-9]+ / { name[$2] = $3 }
	     /^  object / { print $3, name[$5], $7 }' "$1" | sort
}

# --- chains ---------------------------------------------------------------
chain_checks() {
	local tag=$1 gd=$2 a=$3 b=$4 c=$5 d=$6 pd first
	pd=$(pack_dir_of "$gd")
	checks=$((checks + 1))
	clean_midx "$gd"
	midx chain --pack-dir "$pd" --layers "$a;$b,$c;$d" --ridx --btmp >"$T/chain.hashes" ||
		fail "$tag/chain: midx.py chain"
	[ "$(wc -l <"$T/chain.hashes")" -eq 3 ] || fail "$tag/chain: not 3 layers"
	cmp -s "$T/chain.hashes" "$pd/multi-pack-index.d/multi-pack-index-chain" ||
		fail "$tag/chain: chain file is not the layer hashes"
	midx dump --objects "$pd" >"$T/dump.out" 2>"$T/dump.err" ||
		fail "$tag/chain: dump: $(cat "$T/dump.err")"
	# The packs of the first two layers each give objects (BTMP counts).
	[ "$(awk '/^  pack [012] .* bitmap_nr [1-9]/' "$T/dump.out" | wc -l)" -eq 3 ] ||
		fail "$tag/chain: a pack of the first two layers gives no object: $(grep '^  pack' "$T/dump.out")"
	# Positions run on: object and pseudo-pack positions 0..N-1 over the chain.
	local n
	n=$(git --git-dir="$gd" cat-file --batch-all-objects --batch-check='%(objectname)' | wc -l)
	grep -q "^total: $n objects in 4 packs, 3 layers$" "$T/dump.out" ||
		fail "$tag/chain: $(grep '^total' "$T/dump.out"), git has $n objects"
	[ "$(awk '/^  object / { print $2 }' "$T/dump.out" | paste -sd' ')" = "$(seq -s' ' 0 $((n - 1)))" ] ||
		fail "$tag/chain: object positions are not 0..$((n - 1)) in order"
	[ "$(awk '/^  pseudo-pack / { print $2 }' "$T/dump.out" | paste -sd' ')" = "$(seq -s' ' 0 $((n - 1)))" ] ||
		fail "$tag/chain: pseudo-pack positions are not 0..$((n - 1))"
	# The first layer is git's MIDX of its packs.
	clean_midx "$gd"
	midx chain --pack-dir "$pd" --layers "$a;$b,$c;$d" >"$T/chain.hashes"
	first=$(head -1 "$T/chain.hashes")
	cp "$pd/multi-pack-index.d/multi-pack-index-$first.midx" "$T/layer0.midx"
	clean_midx "$gd"
	echo "$a" | git --git-dir="$gd" multi-pack-index write --stdin-packs >/dev/null
	cmp -s "$pd/multi-pack-index" "$T/layer0.midx" ||
		fail "$tag/chain: first layer is not git's MIDX of $a"
	clean_midx "$gd"
	# A layer whose name is not its checksum, a missing layer: dump says so.
	midx chain --pack-dir "$pd" --layers "$a;$b;$c" >"$T/chain.hashes"
	local mid
	mid=$(sed -n 2p "$T/chain.hashes")
	midx corrupt --kind unknown-version --pack-dir "$pd" \
		"$pd/multi-pack-index.d/multi-pack-index-$mid.midx" "$T/layer.midx"
	cp "$T/layer.midx" "$pd/multi-pack-index.d/multi-pack-index-$mid.midx"
	expect_dump_problem "$tag/chain-bad-layer" "$pd" "unknown version 3"
	expect_dump_problem "$tag/chain-bad-layer" "$pd" "is not the name in the chain"
	rm "$pd/multi-pack-index.d/multi-pack-index-$mid.midx"
	expect_dump_problem "$tag/chain-missing-layer" "$pd" "No such file"
	clean_midx "$gd"
}

# expect_dump_problem NAME PATH TEXT [PACK DIR]: dump fails and says TEXT.
expect_dump_problem() {
	checks=$((checks + 1))
	if midx dump ${4:+--pack-dir "$4"} "$2" >"$T/dump.out" 2>"$T/dump.err"; then
		fail "$1: dump accepted it"
	elif ! grep -q -- "$3" "$T/dump.err"; then
		fail "$1: dump did not say '$3': $(cat "$T/dump.err")"
	fi
}

# --- large offsets ----------------------------------------------------------
# git's own trick (t5319): an idx whose offsets are moved past 2^32 makes
# git write LOFF; the packs need not be that large for a MIDX write.
loff_checks() {
	local gd=$1 p1=$2 p2=$3 od=$T/objects64 pd gd64=$T/alt.git
	pd=$od/pack
	mkdir -p "$pd"
	cp "$(pack_dir_of "$gd")/${p1%.idx}.pack" "$(pack_dir_of "$gd")/${p2%.idx}.pack" "$pd/"
	# p1: the upper half of its offsets past 2^32; p2: past 2^31 only.
	midx shift-idx --from 1200000 --add 0x100000000 "$(pack_dir_of "$gd")/$p1" "$pd/$p1"
	midx shift-idx --from 700000 --add 0x80000000 "$(pack_dir_of "$gd")/$p2" "$pd/$p2"
	git init -q --bare "$gd64"
	echo "$od" >"$gd64/objects/info/alternates"
	checks=$((checks + 1))
	git --git-dir="$gd64" multi-pack-index --object-dir="$od" write >/dev/null
	midx write --pack-dir "$pd" --output "$T/ours64.midx" >/dev/null
	cmp -s "$pd/multi-pack-index" "$T/ours64.midx" ||
		fail "loff/past-2^32: differs from git's"
	midx dump --no-packs "$T/ours64.midx" >"$T/dump.out" 2>&1 ||
		fail "loff/past-2^32: dump: $(cat "$T/dump.out")"
	grep -q '^  chunk LOFF' "$T/dump.out" || fail "loff/past-2^32: no LOFF chunk"
	# Offsets between 2^31 and 2^32 only: no LOFF, 32-bit offsets as they are.
	checks=$((checks + 1))
	rm "$pd"/multi-pack-index "$pd/$p1" "$pd/${p1%.idx}.pack"
	git --git-dir="$gd64" multi-pack-index --object-dir="$od" write >/dev/null
	midx write --pack-dir "$pd" --output "$T/ours31.midx" >/dev/null
	cmp -s "$pd/multi-pack-index" "$T/ours31.midx" ||
		fail "loff/past-2^31: differs from git's"
	midx dump --no-packs "$T/ours31.midx" >"$T/dump.out" 2>&1 ||
		fail "loff/past-2^31: dump: $(cat "$T/dump.out")"
	grep -q '^  chunk LOFF' "$T/dump.out" && fail "loff/past-2^31: a LOFF chunk"
	# --loff-threshold: small offsets through LOFF; git reads and verifies it.
	checks=$((checks + 1))
	midx write --pack-dir "$(pack_dir_of "$gd")" --loff-threshold 0x40 --output "$T/forced.midx" >/dev/null
	midx dump --pack-dir "$(pack_dir_of "$gd")" "$T/forced.midx" >"$T/dump.out" 2>&1 ||
		fail "loff/forced: dump: $(cat "$T/dump.out")"
	grep -q '^  chunk LOFF' "$T/dump.out" || fail "loff/forced: no LOFF chunk"
	git_verifies loff/forced "$gd" "$T/forced.midx"
	midx write --pack-dir "$(pack_dir_of "$gd")" --loff-threshold 0 --output "$T/forced.midx" >/dev/null
	git_verifies loff/forced-all "$gd" "$T/forced.midx"
}

# --- corrupt variants -------------------------------------------------------
# Each kind: dump names the defect (and only it); git verify rejects it.
corrupt_checks() {
	local gd=$1 pd kind text
	pd=$(pack_dir_of "$gd")
	midx write --pack-dir "$pd" --ridx --output "$T/good.midx" >/dev/null
	while read -r kind text; do
		checks=$((checks + 1))
		midx corrupt --kind "$kind" --pack-dir "$pd" "$T/good.midx" "$T/$kind.midx"
		cmp -s "$T/good.midx" "$T/$kind.midx" && fail "corrupt/$kind: file unchanged"
		expect_dump_problem "corrupt/$kind" "$T/$kind.midx" "$text" "$pd"
		# The named defect and nothing else.
		[ "$(grep -c . "$T/dump.err")" -eq 1 ] ||
			fail "corrupt/$kind: more than one problem: $(cat "$T/dump.err")"
		clean_midx "$gd"
		cp "$T/$kind.midx" "$pd/multi-pack-index"
		if git --git-dir="$gd" multi-pack-index verify >"$T/verify.out" 2>&1; then
			fail "corrupt/$kind: git verify accepted it: $(cat "$T/verify.out")"
		fi
	done <<-'EOF'
	bad-checksum checksum mismatch
	unknown-version unknown version 3
	unknown-hash unknown object id version 3
	truncated-chunk OOFF size
	chunk-past-end outside the body
	offset-outside-pack outside pack-
	missing-pack named in PNAM is missing
	EOF
	clean_midx "$gd"
}

# --- the fixtures: idx v1, idx v2 with a large-offset table, SHA-256 --------
fixture_checks() {
	local repo=$1 gd=$T/$1.git base first p2 p3
	copy_repo "$fixtures/repos/$repo.git" "$gd"
	base=$(packs_of "$gd")
	first=$(git --git-dir="$gd" rev-list --reverse HEAD | sed -n 1p)
	p2=$(add_pack "$gd" "$first")
	p3=$(add_pack "$gd" HEAD~1)
	touch -d @1600000000 "$(pack_dir_of "$gd")"/*.pack
	compare_all "$repo" "$gd" "$p3" "$base,$p2"
	set_mtimes "$gd" "$p2" "$base" "$p3"
	same "$repo/mtimes/plain" "$gd" "" ""
	same "$repo/mtimes/bitmap" "$gd" "--bitmap" "--ridx"
	if [ "$repo" = basic ]; then
		# The same pack indexed by idx v1, then by idx v2 with 64-bit entries.
		cp -f "$fixtures/packs/basic-idx1/$base" "$(pack_dir_of "$gd")/$base"
		rm -f "$(pack_dir_of "$gd")/${base%.idx}.rev"
		same "$repo/idx1/plain" "$gd" "" ""
		cp -f "$fixtures/packs/basic-idx64/$base" "$(pack_dir_of "$gd")/$base"
		same "$repo/idx64/bitmap-preferred" "$gd" "--bitmap --preferred-pack=$p3" \
			"--ridx --preferred-pack $p3"
	fi
	v2_checks "$repo" "$gd" "$p3,$base,$p2"
}

# --- the libgit2 corpus: two packs, one inside the other ---------------------
libgit2_checks() {
	local gd=$T/libgit2.git base old p1
	copy_repo "$corpus/libgit2.git" "$gd"
	base=$(packs_of "$gd")
	old=$(git --git-dir="$gd" rev-list --reverse HEAD | sed -n 2000p)
	p1=$(add_pack "$gd" "$old")
	touch -d @1600000000 "$(pack_dir_of "$gd")"/*.pack
	compare_all libgit2/equal-mtimes "$gd" "$p1" "$p1" no
	set_mtimes "$gd" "$base" "$p1"
	same libgit2/newer-subset "$gd" "" ""
	set_mtimes "$gd" "$p1" "$base"
	same libgit2/older-subset-bitmap "$gd" "--bitmap" "--ridx"
}

SECONDS=0
fixture_checks basic
echo "basic: ${SECONDS}s"
fixture_checks sha256
echo "sha256: ${SECONDS}s"
if [ -d "$corpus/zlib.git" ]; then
	zlib_checks
else
	fail "no zlib corpus at $corpus/zlib.git"
fi
echo "zlib: ${SECONDS}s"
if [ -d "$corpus/libgit2.git" ]; then
	libgit2_checks
else
	fail "no libgit2 corpus at $corpus/libgit2.git"
fi

echo "libgit2: ${SECONDS}s"
if [ "$failures" -ne 0 ]; then
	echo "midx-writer: $failures of $checks checks failed" >&2
	exit 1
fi
echo "midx-writer: $checks checks passed"
