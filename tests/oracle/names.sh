#!/usr/bin/env bash
# names.sh: pw_repo_resolve must resolve names exactly as `git rev-parse
# --verify` does (same id, or both failing; "ambiguous" exactly when git says
# "short object ID ... is ambiguous"), pw_repo_foreach_ref must list what
# `git show-ref -d` lists, and pw_repo_head_target must name what `git
# symbolic-ref HEAD` names.
#
# Usage: names.sh PW_RESOLVE REPO
#
# The names are made from the repository itself (so the corpus needs no
# hand-kept list): HEAD and fixed syntax cases; a sample of its refs under
# their full and short names, with ^{} ^{commit} ^{tree} ^{tag} ^{blob};
# paths from HEAD's tree (files, folders with and without '/', missing
# ones); describe output; abbreviations of 4, 5, 7, 12 and hexsz-1 digits
# (and upper case) of a sample of objects of every type; 4-digit prefixes
# shared by several objects, bare and with the suffixes that let git
# disambiguate them.
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -eq 2 ] || oracle_die "usage: $0 PW_RESOLVE REPO"
pw=$1 repo=$2
G() { git --git-dir="$repo" "$@"; }

hexsz=$(G rev-parse HEAD | tr -d '\n' | wc -c)
objects=$ORACLE_TMP/objects
G cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)' >"$objects"
nobjects=$(wc -l <"$objects")

names=$ORACLE_TMP/names
{
	# HEAD and syntax
	printf '%s\n' HEAD @ 'HEAD^{}' 'HEAD^{commit}' 'HEAD^{tree}' 'HEAD^{object}' \
		'HEAD^{blob}' 'HEAD^{tag}' 'HEAD^{tree}^{tree}' 'HEAD^{commit}^{tree}' \
		'HEAD:' '@:' '@^{tree}' 'HEAD^{tree}:' 'HEAD^{foo}' 'HEAD^{commit' 'HEAD^{}}' \
		'HEAD^{commit}xyz}' '^{tree}' 'HEAD^{tree' 'HEAD}' '' 'no-such-ref' \
		'refs/heads/.keep' '.keep' 'heads/.keep' 'tags/.keep' 'refs/tags/.keep' \
		'refs' 'refs/heads' 'heads' 'HEAD/' '/HEAD' 'refs//heads/x' 'refs/heads/' \
		'config' 'packed-refs' 'objects' 'HEAD:README:x' 'HEAD:no/such/path' \
		'HEAD://' 'HEAD:/' 'HEAD:README^{blob}' 'head' 'Head'
	zero=$(printf '%*s' "$hexsz" '' | tr ' ' 0)
	printf '%s\n' "$zero" "$zero^{commit}" "$zero:" "${zero:0:7}" "${zero}0"

	# refs: every one in a small repository, a sample of a big one
	G for-each-ref --format='%(refname)' | awk 'NR <= 30 || NR % 250 == 0' |
	while read -r ref; do
		short=${ref#refs/heads/}
		short=${short#refs/tags/}
		short=${short#refs/remotes/}
		printf '%s\n' "$ref" "$short" "${ref#refs/}" "$short^{}" "$short^{commit}" \
			"$short^{tree}" "$short^{tag}" "$short^{blob}" "$short^{object}" "$short:"
	done

	# paths in HEAD's tree
	G ls-tree -r -t --name-only HEAD | awk 'NR <= 25 || NR % 97 == 0' |
	while read -r path; do
		printf '%s\n' "HEAD:$path" "HEAD:$path/" "HEAD:$path/nope" "HEAD:$path~"
	done
	printf '%s\n' 'HEAD:README' 'HEAD:nope' 'HEAD:src' 'HEAD:src/' 'HEAD:src//x'
	tag=$(G for-each-ref --format='%(refname:strip=2)' --count=1 refs/tags)
	if [ -n "$tag" ]; then
		first=$(G ls-tree --name-only "$tag^{tree}" | awk 'NR == 1')
		printf '%s\n' "$tag:" "$tag:$first" "$tag^{commit}:$first" "$tag^{tree}:$first"
	fi

	# ancestry and message search: first parents, every parent of a sample
	# of merges (octopus ones too), chains, tags peeled on the way
	printf '%s\n' 'HEAD~' 'HEAD^' 'HEAD~0' 'HEAD^0' 'HEAD~1' 'HEAD~2^{tree}' 'HEAD~10' \
		'HEAD~100' 'HEAD^^^' 'HEAD^2' 'HEAD~3:' 'HEAD~1:README' 'HEAD^{tree}~1' '~1' \
		'HEAD~2147483648' 'HEAD^{/}' 'HEAD:./README' 'HEAD@{0}' 'HEAD@{1}' '@{-1}' \
		':/.' ':/^Merge' ':/!-e' ':/zzzz-no-such-message' 'HEAD~5^{/.}'
	G rev-list --min-parents=2 --all | awk 'NR <= 12 || NR % 200 == 0' |
	while read -r id; do
		printf '%s\n' "$id^1" "$id^2" "$id^3" "$id^4" "$id^0" "$id~2^2" "$id^2~3" \
			"${id:0:10}^2^{tree}" "$id^2:"
	done
	G for-each-ref --format='%(refname:strip=2)' refs/tags | awk 'NR <= 6' |
	while read -r tag; do
		printf '%s\n' "$tag~1" "$tag^" "$tag^2" "$tag^{commit}~2^{tree}" "$tag~3:"
	done
	G log --format=%s -n 40 HEAD | awk 'NR % 8 == 1 && $1 ~ /^[A-Za-z]+$/ { print $1 }' |
	while read -r word; do
		printf '%s\n' ":/$word" "HEAD~3^{/$word}" ":/^$word"
	done

	# git describe output (ANYTHING-gHEX)
	head=$(G rev-parse HEAD)
	G describe --tags --long --always HEAD 2>/dev/null || true
	printf '%s\n' "x-g${head:0:7}" "x-g${head:0:7}^{tree}" "x-g${head:0:7}:" "-g${head:0:4}" \
		"x-g${head:0:3}" "x-gzzzz" "x-g${head}" "x-g${head}0" "a-gb-g${head:0:8}" \
		"x-g$(printf '%s' "${head:0:8}" | tr a-f A-F)" "g${head:0:6}" "x-G${head:0:6}"

	# abbreviations of a sample of objects of every type
	awk -v n="$nobjects" '(NR % (int(n / 40) + 1) == 0 || $2 == "tag") && k++ < 60' "$objects" |
	while read -r id type; do
		printf '%s\n' "${id:0:4}" "${id:0:5}" "${id:0:7}" "${id:0:12}" \
			"${id:0:$((hexsz - 1))}" "$id" "$(printf '%s' "${id:0:9}" | tr a-f A-F)" \
			"${id:0:7}^{}" "${id:0:7}^{tree}" "${id:0:10}:" "d-g${id:0:6}"
	done

	# 4-digit prefixes matching several objects: bare, and where git's
	# commit-ish / tree-ish hint may pick one of them
	awk '{ p = substr($1, 1, 4); n[p]++; if ($2 == "commit") c[p]++; if ($2 == "tree") t[p]++ }
	     END {
		for (p in n) if (n[p] > 1) {
			kind = c[p] == 1 ? 0 : c[p] == 0 && t[p] == 1 ? 1 : 2
			print kind, p
		}
	     }' "$objects" | sort | awk '{ seen[$1]++; if (seen[$1] <= 8) print $2 }' |
	while read -r p; do
		printf '%s\n' "$p" "$p^{commit}" "$p^{tree}" "$p:" "$p^{}" "$p^{blob}" "$p^{object}" \
			"v1-2-g$p"
	done
} | awk '!seen[$0]++' >"$names"

echo "$(wc -l <"$names") names on $repo"

# git's answers
while IFS= read -r name; do
	if out=$(G rev-parse --verify "$name" 2>"$ORACLE_TMP/err"); then
		printf '%s\t%s\n' "$name" "$out"
	elif grep -q '^error: short object ID .* is ambiguous' "$ORACLE_TMP/err"; then
		printf '%s\tambiguous\n' "$name"
	else
		printf '%s\terror\n' "$name"
	fi
done <"$names" >"$ORACLE_TMP/git.out"

"$pw" "$repo" <"$names" >"$ORACLE_TMP/pw.out" 2>"$ORACLE_TMP/pw.err" ||
	{ cat "$ORACLE_TMP/pw.err"; oracle_die "pw_resolve failed on $repo"; }

status=0
if ! diff -u "$ORACLE_TMP/git.out" "$ORACLE_TMP/pw.out"; then
	echo "--- packwin's messages:"
	cat "$ORACLE_TMP/pw.err"
	status=1
fi
echo "$(grep -c $'\t[0-9a-f]*$' "$ORACLE_TMP/git.out") resolved," \
	"$(grep -c $'\tambiguous$' "$ORACLE_TMP/git.out") ambiguous," \
	"$(grep -c $'\terror$' "$ORACLE_TMP/git.out") failing, as git"

# refs
G show-ref -d >"$ORACLE_TMP/git.refs" || true
"$pw" --refs "$repo" >"$ORACLE_TMP/pw.refs" || oracle_die "pw_resolve --refs failed on $repo"
if ! diff -u "$ORACLE_TMP/git.refs" "$ORACLE_TMP/pw.refs"; then
	echo "pw_repo_foreach_ref differs from git show-ref -d"
	status=1
else
	echo "$(wc -l <"$ORACLE_TMP/pw.refs") lines of show-ref -d, as git"
fi

# HEAD
want=$(G symbolic-ref -q HEAD || echo detached)
got=$("$pw" --head "$repo") || oracle_die "pw_resolve --head failed on $repo"
if [ "$want" != "$got" ]; then
	echo "HEAD: git says $want, packwin $got"
	status=1
fi

[ "$status" -eq 0 ] || oracle_die "packwin and git disagree on $repo"
echo "ok: names, refs and HEAD agree with git on $repo"
