#!/usr/bin/env bash
# revs.sh: the revision syntax of gitrevisions(7) -- ancestry (~N, ^N),
# peeling (^{...}, ^{/regex}), :/regex, @, reflogs (@{N}, @{-N}), chains,
# and REV:./path relative to the current folder -- resolved by
# pw_repo_resolve exactly as `git rev-parse --verify` does, on a repository
# made here with git: an octopus merge of four parents, tags of tags of
# tags, commits sharing a date (the order :/regex visits them in), branch
# switches and detached checkouts in the reflogs (and lines git skips),
# a linked work tree. Forms that need the index or dates must fail as
# "unsupported" (git may answer them).
#
# Usage: revs.sh PW_RESOLVE [sha1|sha256]
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -ge 1 ] && [ $# -le 2 ] || oracle_die "usage: $0 PW_RESOLVE [sha1|sha256]"
pw=$1 format=${2:-sha1}
export GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=C \
	GIT_COMMITTER_EMAIL=c@example.com
t=1600000000
commit() { # commit FILE TEXT MESSAGE [SAME-DATE]
	[ $# -gt 3 ] || t=$((t + 60))
	mkdir -p "$(dirname "$1")"
	printf '%s\n' "$2" >"$1"
	git add "$1"
	GIT_AUTHOR_DATE="$t +0000" GIT_COMMITTER_DATE="$t +0000" git commit -q -m "$3"
}

wt=$ORACLE_TMP/wt
git init -q -b main --object-format="$format" "$wt"
cd "$wt"
commit top.txt one 'first: root commit'
commit sub/deep/f.txt deep 'second: deep file'
commit sub/g.txt g 'third: fix the bug'
git branch b1
git branch b2
git branch b3
commit main.txt m 'fourth on main'
git checkout -q b1 && commit b1.txt b1 'b1: fix another bug'
git checkout -q b2 && commit b2.txt b2 'b2: same date as b1' same
git checkout -q b3 && commit b3.txt b3 'b3: also the same date' same
git checkout -q main
GIT_COMMITTER_DATE="$((t + 60)) +0000" git merge -q >/dev/null --no-edit -m 'octopus of b1 b2 b3' b1 b2 b3
t=$((t + 60))
commit sub/deep/f.txt deep2 'after the octopus: fix'
git tag -a t1 -m 'tag one' HEAD~1
git -c advice.nestedTag=false tag -a t2 -m 'tag of a tag' t1
git -c advice.nestedTag=false tag -a t3 -m 'tag of a tag of a tag' t2
git tag -a tree-tag -m 'a tree' 'HEAD^{tree}'
git tag blob-tag HEAD:top.txt
git checkout -q b1
git checkout -q --detach HEAD~1
git checkout -q b2
git checkout -q main
commit top.txt two 'fifth: amend me'
GIT_COMMITTER_DATE="$((t + 30)) +0000" git commit -q --amend -m 'fifth, amended'
git reset -q --hard HEAD~1
git reset -q --hard ORIG_HEAD
git branch -q gone && git branch -q -D gone
git symbolic-ref refs/heads/alias refs/heads/b2
# reflog lines git skips: a zero time, a bad zone, no LF at the end (one of each)
log=.git/logs/refs/heads/b3
first=$(head -n 1 "$log")
z=$(git rev-parse b3)
{
	printf '%s %s C <c@example.com> 0 +0000\tzero time\n' "$z" "$z"
	printf '%s %s C <c@example.com> 1600009999 0000\tbad zone\n' "$z" "$z"
	printf '%s\n' "$first"
	printf '%s %s C <c@example.com> 1600009999 +0000\tno newline' "$z" "$z"
} >>"$log"
# a SHA-1 line in a SHA-256 log (and the other way round) is no entry either
if [ "$format" = sha256 ]; then short=${z:0:40}; else short=${z}000000000000000000000000; fi
printf '%s %s C <c@example.com> 1600009999 +0000\tother format\n' "$short" "$short" >>"$log.x"
cat "$log.x" "$log" >"$log.y" && mv "$log.y" "$log" && rm "$log.x"
git worktree add -q ../wt2 b2
(cd ../wt2 && git checkout -q b1 && git checkout -q b2)

names=$ORACLE_TMP/names
{
	# ancestry, on every kind of start
	for r in HEAD @ main b1 b2 b3 t1 t2 t3 tree-tag blob-tag alias "$(git rev-parse HEAD~1)" \
		"$(git rev-parse --short=7 HEAD~2)"; do
		printf '%s\n' "$r~" "$r^" "$r~0" "$r^0" "$r~1" "$r~2" "$r~3" "$r~4" "$r~5" "$r~6" \
			"$r^1" "$r^2" "$r^3" "$r^4" "$r^5" "$r^^" "$r^^^" "$r~~" "$r^2~1" "$r~1^2" \
			"$r^{}~1" "$r^{commit}^" "$r^{tree}~1" "$r^{tag}~1" "$r~1^{tree}" "$r^0^0" \
			"$r~01" "$r^02" "$r~1:top.txt" "$r^:sub/g.txt" "$r~1^{/fix}" "$r^{/fix}~1"
	done
	printf '%s\n' 'HEAD~1^3^{tree}:b3.txt' 't3^{commit}~1^2:sub/' 't2^{}^{}' 't3^{tag}' \
		't3^{tag}^{tag}' 'HEAD~2147483647' 'HEAD~2147483648' 'HEAD^2147483648' \
		'HEAD~99999999999999999999' 'HEAD^-1' 'HEAD~-1' '~1' '^' '^2' 'HEAD^{/}' \
		'HEAD~1^{/}' 'tree-tag^' 'blob-tag~' 'HEAD^{tree}^0' 'HEAD^{/' 'HEAD~^' 'HEAD^~'
	# message search
	printf '%s\n' ':/fix' ':/^fix' ':/bug' ':/bug$' ':/same date' ':/date' ':/b[0-9]:' \
		':/octopus' ':/^fifth' ':/!-fix' ':/!-.' ':/!!' ':/!x' ':/(' ':/nothing matches this' \
		':/' ':/.' ':/first' 'HEAD^{/first}' 'HEAD^{/date}' 'b1^{/date}' 'HEAD^{/(}' \
		'HEAD^{/!-octopus}' ':/fix:x' ':/fix}' 't3^{/tag}' 'blob-tag^{/x}' ':/^second: deep file'
	# reflogs
	for r in HEAD main b1 b2 b3 alias gone heads/b1 refs/heads/b1 ''; do
		for n in 0 1 2 3 4 5 6 7 8 9 10 11 12; do
			printf '%s\n' "$r@{$n}"
		done
		printf '%s\n' "$r@{1}~1" "$r@{2}^{tree}" "$r@{1}:top.txt" "$r@{01}"
	done
	for n in 1 2 3 4 5 6 7 8; do
		printf '%s\n' "@{-$n}" "@{-$n}~1" "@{-$n}@{1}" "@{-$n}@{0}" "@{-$n}^{tree}"
	done
	printf '%s\n' '@{-0}' '@{-}' '@{-x}' 'main@{-1}' '@{' '@}' '@{}' 'HEAD@{}' 'HEAD@{1' \
		'@@{1}' '@{1}@{1}' 'HEAD@{-1}' 'main@{1}@{1}'
} | awk '!seen[$0]++' >"$names"

# forms packwin leaves out on purpose (git may well answer them)
unsupported=$ORACLE_TMP/unsupported
printf '%s\n' ':top.txt' ':0:top.txt' ':2:top.txt' 'HEAD@{yesterday}' 'main@{1 day ago}' \
	'HEAD@{1600000000}' '@{upstream}' 'main@{u}' 'main@{push}' '@{now}' \
	'HEAD@{ 1}' 'HEAD@{+1}' >"$unsupported"

# compare DIR REPO NAMES [cat-file]: git rev-parse --verify in DIR, or git
# cat-file --batch-check (which, unlike rev-parse, reads "A:./.." as one
# name and not as the range "A:./" .. "HEAD"), against pw_resolve REPO.
compare() {
	local dir=$1 repo=$2 list=$3 oracle=${4:-rev-parse} name out
	(
		cd "$dir"
		while IFS= read -r name; do
			if [ "$oracle" = cat-file ]; then
				out=$(printf '%s\n' "$name" |
					git cat-file --batch-check='%(objectname)' 2>/dev/null) || out=
				case $out in *' missing' | '') out= ;; esac
			else
				out=$(git rev-parse --verify "$name" 2>/dev/null) || out=
			fi
			printf '%s\t%s\n' "$name" "${out:-error}"
		done <"$list" >"$ORACLE_TMP/git.out"
		"$pw" "$repo" <"$list" >"$ORACLE_TMP/pw.out" 2>"$ORACLE_TMP/pw.err" ||
			{ cat "$ORACLE_TMP/pw.err"; oracle_die "pw_resolve failed in $dir"; }
	)
	if ! diff -u "$ORACLE_TMP/git.out" "$ORACLE_TMP/pw.out"; then
		echo "--- packwin's messages:"
		cat "$ORACLE_TMP/pw.err"
		oracle_die "packwin and git disagree in $dir"
	fi
	echo "$dir: $(wc -l <"$list") names, $(grep -vc $'\terror$' "$ORACLE_TMP/git.out")" \
		"resolved and the rest failing, as git"
}

compare "$wt" "$wt" "$names"

# paths relative to the current folder, from the top, a folder, a deeper one
rel=$ORACLE_TMP/rel
printf '%s\n' 'HEAD:./top.txt' 'HEAD:./' 'HEAD:./sub' 'HEAD:./sub/' 'HEAD:./sub/g.txt' \
	'HEAD:./nope' 'HEAD:../top.txt' 'HEAD:../' 'HEAD:./g.txt' 'HEAD:./deep/f.txt' \
	'HEAD:../sub/g.txt' 'HEAD:../../top.txt' 'HEAD:./deep/../g.txt' 'HEAD:.//g.txt' \
	'HEAD:./.' 'HEAD:./..' 'HEAD:.' 'HEAD:..' 'HEAD:g.txt' 'HEAD~1:./g.txt' \
	'HEAD:../../' 'HEAD:./deep/./f.txt' 'HEAD:./deep/..' 'HEAD:./deep//f.txt' \
	't1:./g.txt' 'HEAD^{tree}:./' 'HEAD:../../../x' 'HEAD:./../sub/./deep/' >"$rel"
compare "$wt" "$wt" "$rel" cat-file
compare "$wt/sub" "$wt" "$rel" cat-file
compare "$wt/sub/deep" "$wt" "$rel" cat-file

# a linked work tree: its own HEAD and HEAD reflog, the shared branches
compare "$ORACLE_TMP/wt2/sub" "$ORACLE_TMP/wt2" "$names"
compare "$ORACLE_TMP/wt2/sub" "$ORACLE_TMP/wt2" "$rel" cat-file

# outside any work tree (the .git folder, a bare clone): relative paths fail
git clone -q --bare "$wt" "$ORACLE_TMP/bare.git"
compare "$ORACLE_TMP/bare.git" "$ORACLE_TMP/bare.git" "$rel" cat-file

# unsupported forms: a clear "unsupported" error
"$pw" "$wt" <"$unsupported" >"$ORACLE_TMP/pw.out" 2>"$ORACLE_TMP/pw.err" || true
while IFS= read -r name; do
	grep -qF "pw_resolve: '$name': unsupported: " "$ORACLE_TMP/pw.err" ||
		{ cat "$ORACLE_TMP/pw.err"; oracle_die "'$name' is not reported as unsupported"; }
done <"$unsupported"
echo "ok: $(wc -l <"$unsupported") forms reported unsupported"
echo "ok: the revision syntax agrees with git"
