#!/usr/bin/env bash
# midx-corrupt.sh: a multi-pack-index is never trusted into a wrong answer.
#
# Usage: midx-corrupt.sh PACKCAT MIDX_PY SRC_REPO
#
# A copy of SRC_REPO (read only) spread over six packs gets git's
# multi-pack-index, then each corrupt kind of tests/tools/midx.py in turn
# (and, for a chain: a layer that is not what its name says, a missing
# layer, a chain line that is not a hash). For each:
#   - `packcat batch --all --check` and `batch --all` print what git prints
#     reading the packs' own idx files (git itself dies on several kinds);
#   - at most one warning line names the file (none where git, too, reads
#     it without complaint: a bad checksum is only for verify);
#   - `packcat verify` exits 1 where `git multi-pack-index verify` fails
#     (for chains, which git 2.39 cannot verify: exits 1 on every kind).
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -eq 3 ] || oracle_die "usage: $0 PACKCAT MIDX_PY SRC_REPO"
packcat=$1 midx_py=$2 src=$3
python=$(command -v python3)
repo=$ORACLE_TMP/r.git
cp -R "$src" "$repo"
chmod -R u+w "$repo"
g() { git --git-dir="$repo" "$@"; }
packdir=$repo/objects/pack
g rev-list --objects --all | cut -d' ' -f1 >"$ORACLE_TMP/all"
total=$(wc -l <"$ORACLE_TMP/all")
size=$(((total + 5) / 6))
old=$(ls "$packdir"/pack-*.pack)
for k in 0 1 2 3 4 5; do
	sed -n "$((k * size + 1)),$(((k + 1) * size + 1))p" "$ORACLE_TMP/all" |
		g pack-objects -q "$packdir/pack" >/dev/null
done
for p in $old; do rm -f "$p" "${p%.pack}.idx" "${p%.pack}.rev"; done
g prune-packed
g -c core.multiPackIndex=false cat-file --batch-all-objects --batch-check >"$ORACLE_TMP/want--check"
g -c core.multiPackIndex=false cat-file --batch-all-objects --batch >"$ORACLE_TMP/want"

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# check NAME GIT_VERIFY_FAILS: packcat against the oracle with the index as it is now
check() {
	local name=$1 warnings mode rc
	for mode in --check ''; do
		if ! "$packcat" -C "$repo" batch --all $mode >"$ORACLE_TMP/got" 2>"$ORACLE_TMP/err"; then
			fail "$name: batch --all $mode failed: $(head -c 300 "$ORACLE_TMP/err")"
		elif ! cmp -s "$ORACLE_TMP/got" "$ORACLE_TMP/want$mode"; then
			fail "$name: batch --all $mode differs from git reading the idx files"
		fi
		warnings=$(grep -c '^warning: multi-pack-index' "$ORACLE_TMP/err" || true)
		if [ "$warnings" -gt 1 ] || grep -v '^warning: multi-pack-index' "$ORACLE_TMP/err" | grep -q .; then
			fail "$name: batch --all $mode said more than one warning: $(head -c 300 "$ORACLE_TMP/err")"
		fi
	done
	rc=0
	"$packcat" -C "$repo" verify >/dev/null 2>"$ORACLE_TMP/verr" || rc=$?
	if [ "$2" = 1 ] && [ "$rc" != 1 ]; then
		fail "$name: packcat verify exits $rc, git's verify fails"
	elif [ "$2" = 0 ] && [ "$rc" != 0 ]; then
		fail "$name: packcat verify exits $rc on a good index: $(head -c 300 "$ORACLE_TMP/verr")"
	else
		echo "ok: $name (verify exit $rc$( [ "$warnings" = 1 ] && echo ', one warning'))"
	fi
}

g multi-pack-index write
cp "$packdir/multi-pack-index" "$ORACLE_TMP/good"
check good 0
for kind in bad-checksum unknown-version unknown-hash truncated-chunk chunk-past-end \
	offset-outside-pack missing-pack; do
	"$python" -S "$midx_py" corrupt --kind "$kind" --pack-dir "$packdir" \
		"$ORACLE_TMP/good" "$packdir/multi-pack-index" 2>/dev/null
	gv=0
	g multi-pack-index verify >/dev/null 2>&1 || gv=1
	check "$kind" "$gv"
done
rm -f "$packdir/multi-pack-index"

# chains: git 2.39 reads the packs' idx files and cannot verify them
mapfile -t idx < <(cd "$packdir" && ls pack-*.idx)
spec=$(IFS=,; echo "${idx[*]:0:2}");spec+=";$(IFS=,; echo "${idx[*]:2:2}")"
spec+=";$(IFS=,; echo "${idx[*]:4}")"
"$python" -S "$midx_py" chain --pack-dir "$packdir" --layers "$spec" >/dev/null
chain=$packdir/multi-pack-index.d/multi-pack-index-chain
cp -R "$packdir/multi-pack-index.d" "$ORACLE_TMP/chain.good"
check chain-good 0
restore() { rm -rf "$packdir/multi-pack-index.d"; cp -R "$ORACLE_TMP/chain.good" "$packdir/multi-pack-index.d"; }
layer2=$packdir/multi-pack-index.d/multi-pack-index-$(sed -n 2p "$chain").midx
for kind in bad-checksum unknown-version offset-outside-pack missing-pack; do
	restore
	"$python" -S "$midx_py" corrupt --kind "$kind" --pack-dir "$packdir" "$layer2" "$layer2.new" \
		2>/dev/null
	mv "$layer2.new" "$layer2"
	check "chain layer 2 $kind" 1
done
restore
rm -f "$layer2"
check "chain, layer 2 missing" 1
restore
sed -i '2s/^./x/' "$chain"
check "chain line not a hash" 1
restore

[ "$failures" = 0 ] || oracle_die "$failures check(s) failed"
echo "all checks passed"
