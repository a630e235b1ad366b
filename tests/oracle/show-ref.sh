#!/usr/bin/env bash
# show-ref.sh: `packcat refs` prints byte for byte what `git show-ref` prints
# (and exits as it does) with --head, -d/--dereference, --heads, --tags and
# patterns, on the fixture and corpus repositories, a repository with
# broken refs (compared with git's GIT_REF_PARANOIA=0, where git skips them;
# packcat warns), a detached HEAD, an unborn branch, and HEAD on a tag; its
# --json says the same as its text.
#
# Usage: show-ref.sh PACKCAT REPO...
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -ge 2 ] || oracle_die "usage: $0 PACKCAT REPO..."
packcat=$1
shift
status=0

check_repo() { # check_repo GITDIR
	local repo=$1 args pat pats
	pats=$(git --git-dir="$repo" for-each-ref --format='%(refname)' | awk 'NR % 97 == 1' |
		awk -F/ '{ print $NF; print $(NF-1) "/" $NF }' | head -n 8 | tr '\n' ' ')
	for args in "" "--head" "-d" "--dereference" "--heads" "--tags" "--heads --tags" \
		"--head --tags" "--head -d" "-d --tags" "main" "master" "HEAD" "nomatch" \
		"--head nomatch" "heads/main" "ain" "-- main" "--tags main" "$pats" "-d $pats"; do
		# shellcheck disable=SC2086
		want=$(GIT_REF_PARANOIA=0 git --git-dir="$repo" show-ref $args 2>/dev/null; echo "rc=$?")
		# shellcheck disable=SC2086
		got=$("$packcat" -C "$repo" refs $args 2>"$ORACLE_TMP/err"; echo "rc=$?")
		if [ "$want" != "$got" ]; then
			echo "$repo: refs $args differs from git show-ref:"
			diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -10
			status=1
		fi
	done
	# --json: the same refs, ids and peeled ids as -d's text
	"$packcat" -C "$repo" refs --head -d >"$ORACLE_TMP/text" 2>/dev/null || true
	"$packcat" -C "$repo" refs --head --json 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["id"], r["name"])
    if "peeled" in r:
        print(r["peeled"], r["name"] + "^{}")' >"$ORACLE_TMP/json" ||
		{ echo "$repo: refs --json is not JSON"; status=1; }
	cmp -s "$ORACLE_TMP/text" "$ORACLE_TMP/json" ||
		{ echo "$repo: refs --json differs from its text"; status=1; }
	echo "$repo: $(GIT_REF_PARANOIA=0 git --git-dir="$repo" for-each-ref 2>/dev/null | wc -l) refs, as git show-ref"
}

for repo in "$@"; do
	check_repo "$repo"
done

# made here: broken refs, a detached HEAD, HEAD on an annotated tag, an unborn branch
src=$1
b=$ORACLE_TMP/broken.git
git clone -q --bare "$src" "$b"
id=$(git --git-dir="$b" rev-parse HEAD)
echo 'not a ref' >"$b/refs/heads/dummy-marker.txt"
: >"$b/refs/heads/empty"
echo "$id" >"$b/refs/heads/bad..name"
echo 1234567890123456789012345678901234567890 >"$b/refs/tags/missing-object"
echo 'ref: refs/heads/nowhere' >"$b/refs/heads/dangling"
echo 'ref: refs/heads/loop-b' >"$b/refs/heads/loop-a"
echo 'ref: refs/heads/loop-a' >"$b/refs/heads/loop-b"
check_repo "$b"
"$packcat" -C "$b" refs >/dev/null 2>"$ORACLE_TMP/err"
for w in 'ignoring broken ref refs/heads/dummy-marker.txt' 'ignoring broken ref refs/heads/empty' \
	'ignoring ref with broken name refs/heads/bad..name' 'ignoring refs/tags/missing-object' \
	'ignoring broken ref refs/heads/loop-a'; do
	[ "$(grep -c "warning: $w" "$ORACLE_TMP/err")" = 1 ] ||
		{ echo "broken.git: not one warning '$w':"; cat "$ORACLE_TMP/err"; status=1; }
done
grep -q dangling "$ORACLE_TMP/err" && { echo "broken.git: a dangling symref warned"; status=1; }

d=$ORACLE_TMP/detached.git
git clone -q --bare "$src" "$d"
git --git-dir="$d" rev-parse HEAD >"$d/HEAD.new" && mv "$d/HEAD.new" "$d/HEAD"
check_repo "$d"
tag=$(git --git-dir="$d" for-each-ref --format='%(objectname) %(objecttype)' refs/tags |
	awk '$2 == "tag" { print $1; exit }')
if [ -n "$tag" ]; then
	echo "$tag" >"$d/HEAD"
	check_repo "$d"
fi
echo 'ref: refs/heads/unborn' >"$d/HEAD"
check_repo "$d"

[ "$status" -eq 0 ] || oracle_die "packcat refs and git show-ref disagree"
echo "ok: packcat refs agrees with git show-ref"
