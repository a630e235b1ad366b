#!/usr/bin/env bash
# reftable.sh: packwin on the reftable twin of a repository (written by
# tests/tools/reftable.py from-files) answers what git answers on the
# files-backend original: `packcat refs` (option combos) == `git show-ref`,
# names (refs, peeled tags, HEAD, @{N}, main@{N}, @{-N}) through
# `packcat batch` == `git cat-file --batch`, under layouts that exercise
# the reader (block sizes down to 256 for a multi-level index, restart
# intervals, unaligned tables, v2 headers, split stacks with deletions,
# shadowed values and a log-only table, SHA-256, 10k refs). Each corrupt
# kind of `reftable.py corrupt --list` makes packcat fail with a message
# naming the table, never crash. Budget: ~20 s on 2 cores.
#
# Usage: reftable.sh PACKCAT FIXTURES CORPUS
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -eq 3 ] || oracle_die "usage: $0 PACKCAT FIXTURES CORPUS"
packcat=$1 fixtures=$2 corpus=$3
rt="python3 $(cd "$(dirname "$0")/../tools" && pwd)/reftable.py"
T=$ORACLE_TMP
status=0
fail() {
	echo "FAIL: $*"
	status=1
}

# ---- originals (files backend) ----
# logs.git: a work tree's git dir with reflogs: checkouts (for @{-N}), commits, a branch.
git clone -q "$fixtures/repos/basic.git" "$T/logs"
(
	cd "$T/logs"
	export GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@x GIT_COMMITTER_NAME=C GIT_COMMITTER_EMAIL=c@x
	git checkout -q side && git checkout -q main
	git commit -q --allow-empty -m one && git commit -q --allow-empty -m two
	git checkout -q -b topic && git commit -q --allow-empty -m three
	git checkout -q main && git tag -a -m annotated t-ann topic
)
# big.git: 10k refs in packed-refs, written directly (update-ref takes seconds);
# not "sorted": git sorts it on reading
git clone -q --bare "$fixtures/repos/basic.git" "$T/big.git"
m=$(git --git-dir="$T/big.git" rev-parse main)
s=$(git --git-dir="$T/big.git" rev-parse side)
{
	echo '# pack-refs with: peeled fully-peeled '
	git --git-dir="$T/big.git" show-ref -d | sed 's/^\([0-9a-f]*\) .*\^{}$/^\1/'
	seq -w 1 10000 | awk -v m="$m" -v s="$s" '{ printf "%s refs/heads/gen/b%s\n", (NR % 2 ? m : s), $1 }'
} >"$T/packed-refs"
rm -rf "$T/big.git/refs/heads" "$T/big.git/refs/tags" "$T/big.git/packed-refs"
mkdir -p "$T/big.git/refs/heads" "$T/big.git/refs/tags"
mv "$T/packed-refs" "$T/big.git/packed-refs"

# ---- twins: NAME ORIGINAL [WRITER OPTIONS] ----
twins=()
twin() {
	local name=$1 orig=$2
	shift 2
	$rt from-files "$orig" "$T/tw/$name" "$@" || { fail "$name: from-files $*"; return; }
	twins+=("$name:$orig")
}
mkdir -p "$T/tw"
twin basic "$fixtures/repos/basic.git"
twin basic-256-r1-split3 "$fixtures/repos/basic.git" --block-size 256 --restart-interval 1 --split 3
twin basic-v2 "$fixtures/repos/basic.git" --format-version 2 --index always
twin sha256 "$fixtures/repos/sha256.git" --hash sha256
twin sha256-unaligned "$fixtures/repos/sha256.git" --hash sha256 --unaligned --block-size 256 --split 2
twin logs-split3 "$T/logs/.git" --split 3
twin logs-small "$T/logs/.git" --block-size 256 --log-block-size 256 --restart-interval 3 --split 4
twin logs-unaligned "$T/logs/.git" --block-size 0 --restart-interval 2
twin zlib-256-split3 "$corpus/zlib.git" --block-size 256 --split 3
twin libgit2 "$corpus/libgit2.git"
twin libgit2-unaligned "$corpus/libgit2.git" --unaligned --block-size 1024 --restart-interval 64 --split 2
twin big-256 "$T/big.git" --block-size 256 --split 2
twin big "$T/big.git" --restart-interval 64

# ---- what git says on each original, once ----
declare -A done_orig
oracle_of() { # oracle_of ORIGINAL DIR
	local orig=$1 d=$2 args i
	mkdir -p "$d"
	i=0
	for args in "" "--head" "-d" "--head --dereference" "--heads" "--tags" "--heads --tags -d" "main" "heads/side v1.0" "-- main" "--head nomatch"; do
		# shellcheck disable=SC2086
		{ git --git-dir="$orig" show-ref $args; echo "rc=$?"; } >"$d/show-ref.$i" 2>/dev/null || true
		i=$((i + 1))
	done
	{
		git --git-dir="$orig" for-each-ref --format='%(refname)' | awk 'NR % 37 == 1'
		git --git-dir="$orig" for-each-ref --format='%(refname)^{}' refs/tags | head -n 20
		printf '%s\n' HEAD @ 'HEAD^{tree}' main side v1.0 'v1.0^{}' 'v1.0^{commit}' \
			refs/heads/gen/b00002 t-ann 't-ann^{}' nosuch refs/reftable-twin/gone-0
		# git cat-file dies on a reflog it lacks: these only where the reflogs are
		[ -f "$orig/logs/HEAD" ] && printf '%s\n' 'HEAD@{0}' 'HEAD@{1}' 'HEAD@{2}' 'HEAD@{5}' \
			'@{1}' 'main@{1}' 'main@{2}' 'topic@{1}' '@{-1}' '@{-2}' '@{-3}' 'side@{0}' 'HEAD~1'
	} >"$d/names"
	git --git-dir="$orig" cat-file --batch <"$d/names" >"$d/batch" 2>/dev/null || true
}

for pair in "${twins[@]}"; do
	name=${pair%%:*} orig=${pair#*:}
	key=$(echo "$orig" | md5sum | cut -c1-12)
	d=$T/oracle/$key
	if [ -z "${done_orig[$key]:-}" ]; then
		oracle_of "$orig" "$d"
		done_orig[$key]=1
	fi
	i=0
	for args in "" "--head" "-d" "--head --dereference" "--heads" "--tags" "--heads --tags -d" "main" "heads/side v1.0" "-- main" "--head nomatch"; do
		# shellcheck disable=SC2086
		{ "$packcat" -C "$T/tw/$name" refs $args; echo "rc=$?"; } >"$T/got" 2>"$T/err" || true
		if ! cmp -s "$d/show-ref.$i" "$T/got"; then
			fail "$name: refs $args differs from git show-ref on the original"
			diff "$d/show-ref.$i" "$T/got" | head -5
			head -3 "$T/err"
		fi
		i=$((i + 1))
	done
	# --json says what -d's text says
	"$packcat" -C "$T/tw/$name" refs --head --json 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["id"], r["name"])
    if "peeled" in r:
        print(r["peeled"], r["name"] + "^{}")' >"$T/json" || fail "$name: refs --json is not JSON"
	grep -v '^rc=' "$d/show-ref.3" | cmp -s - "$T/json" || fail "$name: refs --json differs from git show-ref --head -d"
	"$packcat" -C "$T/tw/$name" batch <"$d/names" >"$T/got" 2>"$T/err" || true
	if ! cmp -s "$d/batch" "$T/got"; then
		fail "$name: batch of names differs from git cat-file --batch on the original"
		diff <(grep -a 'missing\|^[0-9a-f]* [a-z]* [0-9]*$' "$d/batch") \
			<(grep -a 'missing\|^[0-9a-f]* [a-z]* [0-9]*$' "$T/got") | head -6
		head -3 "$T/err"
	fi
	echo "$name: $(grep -c . "$d/show-ref.0") refs, $(grep -c . "$d/names") names as git"
done

# ---- corrupt tables: a clear error, never a crash ----
for kind in $($rt corrupt --list | awk '{ print $1 }'); do
	src=basic-256-r1-split3
	case $kind in bad-zlib) src=logs-split3 ;; unsorted-keys) src=basic ;; esac
	out=$T/bad-$kind
	$rt corrupt "$kind" "$T/tw/$src" "$out" >/dev/null 2>&1 || { fail "corrupt $kind: cannot make it"; continue; }
	case $kind in
	symref-cycle) cmd=(cat -t refs/heads/cycle-a) ;;
	bad-zlib) cmd=(cat -t 'HEAD@{1}') ;;
	*) cmd=(refs --head -d) ;;
	esac
	rc=0
	"$packcat" -C "$out" "${cmd[@]}" >/dev/null 2>"$T/err" || rc=$?
	msg=$(head -n 1 "$T/err")
	if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then
		fail "corrupt $kind: packcat ${cmd[*]} exited $rc"
	elif ! grep -q '^packcat: .*\(reftable\|\.ref\|\.log\|tables.list\|loop\)' "$T/err"; then
		fail "corrupt $kind: unclear message: $msg"
	else
		echo "corrupt $kind: exit $rc: $msg"
	fi
done
exit $status
