#!/usr/bin/env bash
# verify-repo.sh: `packcat verify` without PACK checks the whole repository
# -- packs, their .rev and (cruft) .mtimes files, the multi-pack-index and
# every loose object file, a loose copy of a packed object included -- and
# on each damaged copy of a repository fails (exit 1, the bad file named
# on stderr) where git's own check of that file fails in the same run:
#
#   loose files        git fsck
#   .rev               git index-pack --verify --rev-index PACK (byte compare)
#   multi-pack-index   git multi-pack-index verify
#   .mtimes header     git repack --cruft -d (loads every cruft pack's .mtimes)
#
# git 2.39 checks no .mtimes checksum: there packcat alone fails, and the
# untouched file git wrote is the control.
#
# Usage: verify-repo.sh PACKCAT
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env
[ $# -eq 1 ] || oracle_die "usage: $0 PACKCAT"
packcat=$1 base=$ORACLE_TMP/base
export GIT_AUTHOR_NAME=o GIT_AUTHOR_EMAIL=o@x.invalid GIT_COMMITTER_NAME=o GIT_COMMITTER_EMAIL=o@x.invalid

git init -q "$base"
for i in 1 2 3 4; do
	seq 1 $((i * 200)) >"$base/f$i"
	git -C "$base" add "f$i"
	git -C "$base" commit -qm "c$i"
done
# an unreachable blob for the cruft pack, a .rev for each pack, a MIDX over both
echo 'unreachable' | git -C "$base" hash-object -w --stdin >/dev/null
git -C "$base" -c pack.writeReverseIndex=true repack -adq --cruft
git -C "$base" multi-pack-index write
echo 'a loose blob' | git -C "$base" hash-object -w --stdin >/dev/null
packdir=$base/.git/objects/pack
ls "$packdir"/*.mtimes >/dev/null && ls "$packdir"/*.rev >/dev/null &&
	[ -f "$packdir/multi-pack-index" ] || oracle_die "git made no cruft pack, .rev or MIDX"

# xor the byte at OFFSET (negative: from the end) of FILE with 0xff
flip() {
	python3 - "$1" "$2" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, 'r+b') as f:
    data = bytearray(f.read())
    data[off] ^= 0xff
    f.seek(0)
    f.write(data)
PY
}

n=0
# fresh NAME: a writable copy of the base repository in $w
fresh() {
	w=$ORACLE_TMP/$1
	rm -rf "$w"
	cp -R "$base" "$w"
	chmod -R u+w "$w"
	packdir=$w/.git/objects/pack
}

# expect NAME WHAT-IT-NAMES GIT-RC [PACKCAT-RC]: packcat verify exits 1
# (or PACKCAT-RC) naming the file, or 0 when git's check (GIT-RC) is 0.
expect() {
	local name=$1 names=$2 grc=$3 want=${4:-1} prc=0
	"$packcat" -C "$w" verify >"$ORACLE_TMP/out" 2>"$ORACLE_TMP/err" </dev/null || prc=$?
	n=$((n + 1))
	if [ "$grc" = 0 ]; then
		[ "$prc" = 0 ] || oracle_die "$name: packcat verify exits $prc where git finds nothing: $(cat "$ORACLE_TMP/err")"
		[ ! -s "$ORACLE_TMP/err" ] || oracle_die "$name: packcat verify says: $(cat "$ORACLE_TMP/err")"
	else
		[ "$prc" = "$want" ] || oracle_die "$name: packcat verify exits $prc, not $want (git: $grc): $(cat "$ORACLE_TMP/err")"
		grep -q "$names" "$ORACLE_TMP/err" ||
			oracle_die "$name: packcat verify does not name $names: $(cat "$ORACLE_TMP/err")"
	fi
	echo "ok: $name: packcat verify $prc, git $grc"
}

gitrc() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo "$rc"; }

fresh good
expect good - "$(gitrc git -C "$w" fsck --strict)"
[ "$(gitrc git -C "$w" multi-pack-index verify)" = 0 ] || oracle_die "git: the MIDX is bad"

# a loose copy of a packed blob, garbled: reads take the packed copy, fsck reads the file
fresh loose-copy
blob=$(git -C "$w" rev-parse HEAD:f1)
mkdir -p "$w/.git/objects/${blob:0:2}"
printf 'garbage' >"$w/.git/objects/${blob:0:2}/${blob:2}"
expect loose-copy-garbled "${blob:2}" "$(gitrc git -C "$w" fsck)"
# the same copy, a valid zlib stream of another object: a hash mismatch
other=$(echo 'a loose blob' | git -C "$w" hash-object --stdin)
cp "$w/.git/objects/${other:0:2}/${other:2}" "$w/.git/objects/${blob:0:2}/${blob:2}"
expect loose-copy-mismatch "${blob:2}" "$(gitrc git -C "$w" fsck)"
# a lone loose object whose zlib stream is cut
fresh loose-truncated
f=$w/.git/objects/${other:0:2}/${other:2}
head -c 12 "$f" >"$f.cut" && mv -f "$f.cut" "$f"
expect loose-truncated "${other:2}" "$(gitrc git -C "$w" fsck)"

# .rev: its checksum, then the pack checksum it records, then two entries swapped
for what in checksum pack-checksum entries; do
	fresh "rev-$what"
	rev=$(ls "$packdir"/pack-*.rev | head -n 1)
	case $what in
	checksum) flip "$rev" -1 ;;
	pack-checksum) flip "$rev" -$((20 + 1)) ;;
	entries)
		python3 - "$rev" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
d[12:16], d[16:20] = d[16:20], d[12:16]
open(p, 'wb').write(d)
PY
		;;
	esac
	expect "rev-$what" "$(basename "$rev")" "$(gitrc git -C "$w" index-pack --verify --rev-index "${rev%.rev}.pack")"
done

# the multi-pack-index's checksum
fresh midx-checksum
flip "$packdir/multi-pack-index" -1
expect midx-checksum multi-pack-index "$(gitrc git -C "$w" multi-pack-index verify)"

# .mtimes: signature, version, hash id (git refuses to load it); checksum (packcat only)
for what in signature version hash-id; do
	fresh "mtimes-$what"
	m=$(ls "$packdir"/*.mtimes)
	case $what in
	signature) flip "$m" 0 ;;
	version) flip "$m" 7 ;;
	hash-id) flip "$m" 11 ;;
	esac
	echo 'new' | git -C "$w" hash-object -w --stdin >/dev/null
	grc=$(gitrc git -C "$w" repack --cruft -d)
	fresh "mtimes-$what"
	case $what in
	signature) flip "$m" 0 ;;
	version) flip "$m" 7 ;;
	hash-id) flip "$m" 11 ;;
	esac
	# a version not known is unsupported data (4, as a pack of an unknown version), not known bad
	expect "mtimes-$what" "$(basename "$m")" "$grc" "$([ "$what" = version ] && echo 4 || echo 1)"
done
fresh mtimes-checksum
m=$(ls "$packdir"/*.mtimes)
flip "$m" -1
"$packcat" -C "$w" verify 2>"$ORACLE_TMP/err" && oracle_die "mtimes-checksum: packcat verify exits 0"
grep -q "$(basename "$m"): mtimes file checksum mismatch" "$ORACLE_TMP/err" ||
	oracle_die "mtimes-checksum: $(cat "$ORACLE_TMP/err")"
echo "ok: mtimes-checksum: packcat verify 1 (git 2.39 checks no .mtimes checksum)"

# everything bad at once: each file is reported, none hides another
fresh all-bad
rev=$(ls "$packdir"/pack-*.rev | head -n 1)
flip "$rev" -1
flip "$(ls "$packdir"/*.mtimes)" 0
printf 'garbage' >"$w/.git/objects/${other:0:2}/${other:2}"
rc=0
"$packcat" -C "$w" verify 2>"$ORACLE_TMP/err" || rc=$?
[ "$rc" = 1 ] || oracle_die "all-bad: exit $rc"
[ "$(wc -l <"$ORACLE_TMP/err")" -ge 3 ] || oracle_die "all-bad: not every bad file reported: $(cat "$ORACLE_TMP/err")"
echo "ok: all-bad: $(wc -l <"$ORACLE_TMP/err") files reported"
echo "ok: $n cases as git"
