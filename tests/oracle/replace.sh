#!/usr/bin/env bash
# replace.sh: replace refs read as git reads them. On a copy of basic.git
# with `git replace` of a blob (same type), of a commit (--edit style: a
# rewritten message, so HEAD~N walks the replacement's parents), of a tree
# by a blob (-f), a chain of replacements of 4 (followed to its end) and of
# 5 (an error), a replace ref for an object that does not exist, and a
# replace ref of a bad name: packcat cat -t/-s/-p/-e, batch, batch --all
# and pw_repo_resolve give what git cat-file / rev-parse give, and
# GIT_NO_REPLACE_OBJECTS, --no-replace-objects, core.useReplaceRefs=false
# and GIT_REPLACE_REF_BASE change it as they change git's.
#
# Usage: replace.sh PACKCAT PW_RESOLVE
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -eq 2 ] || oracle_die "usage: $0 PACKCAT PW_RESOLVE"
packcat=$1 pw=$2
export GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=C \
	GIT_COMMITTER_EMAIL=c@example.com GIT_AUTHOR_DATE='1600000000 +0000' \
	GIT_COMMITTER_DATE='1600000000 +0000'
r=$ORACLE_TMP/r.git
git clone -q --bare "$PACKWIN_FIXTURES/repos/basic.git" "$r"
G() { git --git-dir="$r" "$@"; }
new_blob() { printf '%s\n' "$1" | G hash-object -w --stdin; }

readme=$(G rev-parse HEAD:README)
G replace "$readme" "$(new_blob 'a replaced README')"
# --edit style: the commit rewritten (message changed, parent dropped), as git replace --edit writes it
c=$(G rev-parse HEAD~2)
edited=$(G cat-file commit "$c" | sed -e 's/^basic commit.*/edited by replace/' -e '/^parent /d' |
	G hash-object -t commit -w --stdin)
G replace "$c" "$edited"
G replace -f "$(G rev-parse 'HEAD~1^{tree}')" "$(new_blob 'a tree replaced by a blob')"
# chains: a4 -> ... -> e4 (4 replacements), a5 -> ... -> f5 (5: too deep for git)
prev=
for i in 1 2 3 4 5; do
	cur=$(new_blob "chain4 $i")
	[ -n "$prev" ] && G replace "$prev" "$cur"
	[ "$i" = 1 ] && a4=$cur
	prev=$cur
done
prev=
for i in 1 2 3 4 5 6; do
	cur=$(new_blob "chain5 $i")
	[ -n "$prev" ] && G replace "$prev" "$cur"
	[ "$i" = 1 ] && a5=$cur
	prev=$cur
done
missing=1234567890123456789012345678901234567890
G update-ref "refs/replace/$missing" "$(new_blob 'for a missing object')"
G update-ref refs/replace/not-an-id "$(new_blob 'bad name')"
G update-ref "refs/other/$readme" "$(new_blob 'from another base')"

names=$ORACLE_TMP/names
{
	G for-each-ref --format='%(refname:strip=2)' refs/replace
	printf '%s\n' "$a4" "$a5" "$missing" HEAD HEAD~1 HEAD~2 HEAD~3 'HEAD~1^{tree}' \
		'HEAD~2^{tree}' HEAD:README 'HEAD~1:README' 'v1.0^{commit}' 'HEAD~2^' \
		':/edited by replace' 'HEAD^{/edited}'
} | grep -v '^not-an-id$' | awk '!seen[$0]++' >"$names"

status=0
# run DESC ENV...: every check under one setting (ENV: VAR=VALUE or a packcat option)
run() {
	local desc=$1 opt=() envs=() a n
	shift
	for a in "$@"; do
		case $a in
		--*) opt+=("$a") ;;
		*) envs+=("$a") ;;
		esac
	done
	gitc() { env "${envs[@]}" git --git-dir="$r" ${opt[@]+"${opt[@]}"} "$@"; }
	pc() { env "${envs[@]}" "$packcat" ${opt[@]+"${opt[@]}"} -C "$r" "$@"; }
	# batch of names (errors in either tool are "missing" lines)
	gitc cat-file --batch <"$names" >"$ORACLE_TMP/git.batch" 2>/dev/null || true
	pc batch <"$names" >"$ORACLE_TMP/pw.batch" 2>"$ORACLE_TMP/pw.err" || true
	# git dies on the 5-chain: compare what it printed before, and what packcat says of it
	n=$(wc -c <"$ORACLE_TMP/git.batch")
	if ! cmp -s "$ORACLE_TMP/git.batch" <(head -c "$n" "$ORACLE_TMP/pw.batch"); then
		echo "$desc: batch differs from git cat-file --batch"
		diff <(od -c "$ORACLE_TMP/git.batch") <(od -c "$ORACLE_TMP/pw.batch") | head -20
		status=1
	fi
	# every object
	gitc cat-file --batch-all-objects --batch >"$ORACLE_TMP/git.all"
	pc batch --all >"$ORACLE_TMP/pw.all"
	cmp -s "$ORACLE_TMP/git.all" "$ORACLE_TMP/pw.all" ||
		{ echo "$desc: batch --all differs from --batch-all-objects"; status=1; }
	# cat one at a time (git cat-file -t ':/re' fails in a bare repository
	# where its --batch and rev-parse answer: the batch above covers those)
	while IFS= read -r name; do
		case $name in :/*) continue ;; esac
		for o in -t -s -p -e; do
			got=$(pc cat "$o" "$name" 2>/dev/null | od -c) && grc=0 || grc=$?
			want=$(gitc cat-file "$o" "$name" 2>/dev/null | od -c) && wrc=0 || wrc=$?
			[ "$grc" -eq 0 ] && grc=ok || grc=fail
			[ "$wrc" -eq 0 ] && wrc=ok || wrc=fail
			if [ "$got" != "$want" ] || [ "$grc" != "$wrc" ]; then
				echo "$desc: cat $o $name: packcat $grc, git $wrc"
				status=1
			fi
		done
		want=$(gitc rev-parse --verify -q "$name" 2>/dev/null) || want=error
		got=$(env "${envs[@]}" "$pw" "$r" "$name" 2>/dev/null | cut -f2)
		if [ -z "${opt[*]-}" ] && [ "$got" != "$want" ]; then
			echo "$desc: rev-parse $name: packcat $got, git $want"
			status=1
		fi
	done <"$names"
	echo "$desc: $(wc -l <"$names") names checked"
}

run "replace refs"
run "GIT_NO_REPLACE_OBJECTS" GIT_NO_REPLACE_OBJECTS=1
run "--no-replace-objects" --no-replace-objects
run "GIT_REPLACE_REF_BASE=refs/other/" GIT_REPLACE_REF_BASE=refs/other/
G config core.useReplaceRefs false
run "core.useReplaceRefs=false"
G config core.useReplaceRefs true

# the 5-chain is an error that says so, as git dies on it
if "$packcat" -C "$r" cat -t "$a5" 2>"$ORACLE_TMP/err"; then
	echo "a chain of 5 replacements resolved"
	status=1
fi
grep -q 'replace depth too high' "$ORACLE_TMP/err" ||
	{ echo "no 'replace depth too high' error:"; cat "$ORACLE_TMP/err"; status=1; }
[ "$status" -eq 0 ] || oracle_die "packwin and git disagree on replace refs"
echo "ok: replace refs read as git reads them"
