#!/usr/bin/env bash
# big-blob.sh: packcat streams a large blob: `cat blob`, `cat -p`, `batch`
# and `batch --all --threads 1` print what git cat-file prints, with a peak RSS far
# below the blob's size under --memory-limit 16m -- for a loose blob, then
# for the same blob packed whole.
#
# Usage: big-blob.sh PACKCAT [SIZE_MIB [MAX_RSS_MIB]]    (defaults 200, 64)
#
# The blob is random (incompressible), so its pack entry is as large as it
# is and its deflate stream spans many windows; it lives in a temporary
# folder that is deleted at exit. The peak RSS comes from GNU time (`time`
# package), or from python3's getrusage; without either the test is
# skipped (exit 77).
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -ge 1 ] || oracle_die "usage: $0 PACKCAT [SIZE_MIB [MAX_RSS_MIB]]"
packcat=$1 mib=${2:-200} max_rss_mib=${3:-64}
budget=(--memory-limit 16m)

# peak_rss FILE CMD...: run CMD (stdout passes through), its peak RSS in KiB into FILE.
if /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
	peak_rss() { /usr/bin/time -f %M -o "$1" "${@:2}"; }
elif command -v python3 >/dev/null; then
	peak_rss() {
		python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$@"
	}
else
	echo "neither GNU time (/usr/bin/time) nor python3: cannot measure the peak RSS; skipped"
	exit 77
fi

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

repo=$ORACLE_TMP/big.git
git init -q --bare "$repo"
head -c "${mib}M" /dev/urandom >"$ORACLE_TMP/blob"
id=$(git --git-dir="$repo" hash-object -w "$ORACLE_TMP/blob")
rm -f "$ORACLE_TMP/blob"
echo "blob $id, $mib MiB"

# check WHAT INPUT PACKCAT-ARGS... -- GIT-ARGS...: same stdout hash, bounded RSS.
check() {
	local what=$1 input=$2 ours=() theirs=() want got rss
	shift 2
	while [ "$1" != -- ]; do ours+=("$1"); shift; done
	shift
	theirs=("$@")
	want=$(git --git-dir="$repo" "${theirs[@]}" <"$input" | sha256sum)
	if ! got=$(peak_rss "$ORACLE_TMP/rss" "$packcat" "${budget[@]}" -C "$repo" "${ours[@]}" \
		<"$input" | sha256sum); then
		fail "$what: packcat ${ours[*]} failed"
		return
	fi
	rss=$(tail -n 1 "$ORACLE_TMP/rss")
	if [ "$got" != "$want" ]; then
		fail "$what: packcat ${ours[*]} differs from git ${theirs[*]}"
	elif [ "$rss" -ge $((max_rss_mib * 1024)) ]; then
		fail "$what: packcat ${ours[*]}: peak RSS $rss KiB, not below $max_rss_mib MiB"
	else
		echo "ok: $what: packcat ${ours[*]}: same output, peak RSS $rss KiB"
	fi
}

echo "$id" >"$ORACLE_TMP/names"
check_all() {
	local where=$1
	check "$where" /dev/null cat blob "$id" -- cat-file blob "$id"
	check "$where" /dev/null cat -p "$id" -- cat-file -p "$id"
	check "$where" /dev/null cat -s "$id" -- cat-file -s "$id"
	check "$where" "$ORACLE_TMP/names" batch -- cat-file --batch
	# one reader: read-ahead threads would hold objects whole
	check "$where" /dev/null batch --all --threads 1 -- cat-file --batch-all-objects --batch
	check "$where" /dev/null batch --all --unordered --threads 1 -- \
		cat-file --batch-all-objects --batch --unordered
}

check_all loose
echo "$id" | git --git-dir="$repo" pack-objects -q "$repo/objects/pack/pack" >/dev/null
git --git-dir="$repo" prune-packed
[ ! -e "$repo/objects/${id:0:2}/${id:2}" ] || oracle_die "the loose blob is still there after packing"
git --git-dir="$repo" verify-pack -v "$repo"/objects/pack/pack-*.idx >"$ORACLE_TMP/verify-pack"
grep -q "^$id blob " "$ORACLE_TMP/verify-pack" || oracle_die "the blob is not in the pack"
check_all packed

[ "$failures" -eq 0 ] || oracle_die "$failures check(s) failed"
echo "all checks passed"
