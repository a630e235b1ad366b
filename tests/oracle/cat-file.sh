#!/usr/bin/env bash
# cat-file.sh: `packcat cat` and `packcat batch` must print what
# `git cat-file` prints, byte for byte, on a repository.
#
# Usage: cat-file.sh [--extend] [--git-c KEY=VALUE]... PACKCAT REPO [PACKCAT GLOBAL OPTIONS...]
#
# REPO is read only. With --extend, the test works on a copy of REPO given
# what a fully packed fixture lacks: a second pack (a tree whose names git
# quotes, a 5 MB blob that is streamed), loose objects (hundreds of blobs,
# so that some abbreviated id is ambiguous; tags of a blob, a tree and a
# tag; a commit; a 5 MB blob; a loose copy of a packed object) and an
# alternate object directory with a pack and loose objects of its own.
#
# Checked, each against git cat-file on the same repository:
#   batch --all [--threads 1] [--check [--format F]]
#                                           --batch-all-objects, as streams
#   batch --all --unordered [--check ...]   the same set of objects
#   batch [--check] [--format F] < NAMES    --batch / --batch-check
#   cat (-t|-s|-e|-p|TYPE) NAME             for every NAME and mode: the same
#       stdout; git's exit 0 and 1 are ours, its 128 ("fatal") is our 1 or 2
# NAMES: refs (full and short), REV^{type}, REV:path, full, abbreviated
# and upper-case ids, an ambiguous prefix, missing and malformed names.
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

extend=
gitopts=()
unordered_atoms=
atoms=
while :; do
	case ${1:-} in
	--extend) extend=1; shift ;;
	# --git-c KEY=VALUE: for git only (say, to keep it off a file it cannot read)
	--git-c) gitopts+=(-c "$2"); shift 2 ;;
	# --unordered-atoms FORMAT: the atoms the --unordered check compares (default: all)
	--unordered-atoms) unordered_atoms=$2; shift 2 ;;
	# --atoms FORMAT: the atoms every "every atom" check compares (default: all)
	--atoms) atoms=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || oracle_die "usage: $0 [--extend] PACKCAT REPO [PACKCAT GLOBAL OPTIONS...]"
packcat=$1 repo=$2
shift 2
opts=("$@")

export GIT_AUTHOR_NAME='Packwin Oracle' GIT_AUTHOR_EMAIL=oracle@packwin.invalid
export GIT_COMMITTER_NAME='Packwin Oracle' GIT_COMMITTER_EMAIL=oracle@packwin.invalid
export GIT_AUTHOR_DATE='1700200000 +0000' GIT_COMMITTER_DATE='1700200000 +0000'

# extend_repo SRC DST: DST, a copy of SRC with a second pack, loose objects
# and an alternate (see the top of this file).
extend_repo() {
	local src=$1 dst=$2 fmt head tree blobs=() b c t i scratch alt id
	cp -R "$src" "$dst"
	chmod -R u+w "$dst"
	g() { git "${gitopts[@]}" --git-dir="$dst" "$@"; }
	fmt=$(g rev-parse --show-object-format)
	head=$(g rev-parse HEAD)

	# The second pack: odd names (tab, quote, backslash, UTF-8, newline,
	# control and DEL bytes, spaces), every mode, a 5 MB blob.
	for i in tab quote backslash utf8 newline ctrl del space lead exec link; do
		blobs+=("$(printf 'content of %s\n' "$i" | g hash-object -w --stdin)")
	done
	b=$(seq 2 700001 | g hash-object -w --stdin)
	t=$(g rev-parse "$head^{tree}")
	tree=$(printf '100644 blob %s\t%s\0' \
		"${blobs[0]}" "$(printf 'tab\tname')" \
		"${blobs[1]}" 'quo"te' \
		"${blobs[2]}" 'back\slash' \
		"${blobs[3]}" "$(printf 'caf\303\251')" \
		"${blobs[4]}" "$(printf 'new\nline')" \
		"${blobs[5]}" "$(printf 'ctrl\001x')" \
		"${blobs[6]}" "$(printf 'del\177x')" \
		"${blobs[7]}" 'x y' \
		"${blobs[8]}" ' lead' \
		"$b" big.txt |
		{ cat; printf '100755 blob %s\trun\0120000 blob %s\tlink\0160000 commit %s\tsub\0040000 tree %s\tdir\0' \
			"${blobs[9]}" "${blobs[10]}" "$head" "$t"; } | g mktree -z)
	c=$(g commit-tree "$tree" -p "$head" -m 'extra: names git quotes')
	g update-ref refs/heads/extra "$c"
	printf '%s\n' "${blobs[@]}" "$b" "$tree" "$c" | g pack-objects -q "$dst/objects/pack/pack" >/dev/null
	g prune-packed

	# Loose objects: tags of a blob, a tree and a tag; a commit; a 5 MB
	# blob; blobs until two share an abbreviated id of 4 digits.
	g tag -m 'a tag of a blob' blobtag "${blobs[0]}"
	g tag -m 'a tag of a tree' treetag "$t"
	g tag -m 'a tag of a tag' tagtag "$(g for-each-ref --format='%(objectname) %(objecttype)' refs/tags |
		awk '$2 == "tag" { print $1; exit }')" 2>/dev/null
	g update-ref refs/heads/loose "$(g commit-tree "$t" -p "$head" -m 'a loose commit')"
	seq 3 700002 | g hash-object -w --stdin >/dev/null
	mkdir "$ORACLE_TMP/blobs"
	for i in $(seq 1 1200); do
		printf 'loose blob %d\n' "$i" >"$ORACLE_TMP/blobs/$i"
		if [ $((i % 300)) -eq 0 ]; then
			(cd "$ORACLE_TMP/blobs" && ls | g hash-object -w --stdin-paths >/dev/null)
			rm -f "$ORACLE_TMP/blobs"/*
			[ -z "$(ambiguous_prefix "$dst")" ] || break
		fi
	done
	[ -n "$(ambiguous_prefix "$dst")" ] || oracle_die "no ambiguous 4-digit prefix"

	# A loose copy of a packed object (git shows the packed copy for it).
	scratch=$ORACLE_TMP/scratch.git
	git init -q --bare --object-format="$fmt" "$scratch"
	id=$(g cat-file blob "$head:$(g ls-tree --name-only "$head" | sed -n 1p)" 2>/dev/null |
		git --git-dir="$scratch" hash-object -w --stdin) ||
		id=$(g cat-file commit "$head" | git --git-dir="$scratch" hash-object -t commit -w --stdin)
	mkdir -p "$dst/objects/${id:0:2}"
	cp "$scratch/objects/${id:0:2}/${id:2}" "$dst/objects/${id:0:2}/"

	# An alternate object directory: a pack and loose objects of its own.
	alt=$ORACLE_TMP/alt.git
	git init -q --bare --object-format="$fmt" "$alt"
	blobs=()
	for i in $(seq 1 20); do
		blobs+=("$(printf 'alternate blob %d\n' "$i" | git --git-dir="$alt" hash-object -w --stdin)")
	done
	printf '%s\n' "${blobs[@]:0:10}" | git --git-dir="$alt" pack-objects -q "$alt/objects/pack/pack" >/dev/null
	git --git-dir="$alt" prune-packed
	tree=$(for i in $(seq 0 19); do printf '100644 blob %s\talt%d\n' "${blobs[$i]}" "$i"; done |
		git --git-dir="$alt" mktree)
	mkdir -p "$dst/objects/info"
	echo "$alt/objects" >"$dst/objects/info/alternates"
	g update-ref refs/heads/alt "$(g commit-tree "$tree" -m 'a commit in the alternate')"
	[ -n "$(ls "$alt/objects/pack/"*.pack)" ] || oracle_die "no pack in the alternate"
}

# A 4-digit prefix shared by two objects of REPO, or nothing.
ambiguous_prefix() {
	git "${gitopts[@]}" --git-dir="$1" cat-file --batch-all-objects --batch-check='%(objectname)' |
		cut -c1-4 | uniq -d | sed -n 1p
}

if [ -n "$extend" ]; then
	extend_repo "$repo" "$ORACLE_TMP/repo.git"
	repo=$ORACLE_TMP/repo.git
fi
gitc() { git "${gitopts[@]}" --git-dir="$repo" "$@"; }
pc() { "$packcat" -C "$repo" "${opts[@]}" "$@"; }
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
echo "repository $repo, packcat options: ${opts[*]:-(none)}"

# ---- every object ----

ALL_ATOMS='%(objectname) %(objecttype) %(objectsize) %(objectsize:disk) %(deltabase) [%(rest)] %% %x 100%'
[ -z "$atoms" ] || ALL_ATOMS=$atoms

# same_stream NAME CMD1... -- CMD2...: the two commands' stdout are equal;
# both read $input (default: nothing).
input=/dev/null
same_stream() {
	local what=$1 a=() b=()
	shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	if cmp <("${a[@]}" <"$input") <("${b[@]}" <"$input") >"$ORACLE_TMP/cmp" 2>&1; then
		echo "ok: $what"
	else
		fail "$what: $(head -c 300 "$ORACLE_TMP/cmp")"
	fi
}

# The records of --batch output (a line, content, newline), one line each
# with a hash of the content, sorted: the order-free form of --unordered.
records() {
	perl -MDigest::SHA=sha256_hex -e '
		binmode STDIN;
		while (defined(my $line = <STDIN>)) {
			chomp $line;
			my ($size) = $line =~ /^\S+ \S+ (\d+)$/ or do { print "$line\n"; next };
			my $content = "";
			while (length($content) < $size + 1) {
				my $n = read(STDIN, $content, $size + 1 - length($content), length($content));
				die "short record after $line\n" unless $n;
			}
			print "$line ", sha256_hex(substr($content, 0, $size)), "\n";
		}' | LC_ALL=C sort
}

sorted() { "$@" | LC_ALL=C sort; }
records_of() { "$@" | records; }

same_stream "batch --all = --batch-all-objects --batch" \
	pc batch --all -- gitc cat-file --batch-all-objects --batch
same_stream "batch --all --threads 1 (no read-ahead) = --batch-all-objects --batch" \
	pc batch --all --threads 1 -- gitc cat-file --batch-all-objects --batch
same_stream "batch --all --check = --batch-all-objects --batch-check" \
	pc batch --all --check -- gitc cat-file --batch-all-objects --batch-check
same_stream "batch --all --check --format (every atom)" \
	pc batch --all --check --format "$ALL_ATOMS" -- \
	gitc cat-file --batch-all-objects --batch-check="$ALL_ATOMS"
same_stream "batch --all --check --format %(objectname) (no lookups)" \
	pc batch --all --check --format '%(objectname)' -- \
	gitc cat-file --batch-all-objects --batch-check='%(objectname)'
: "${unordered_atoms:=$ALL_ATOMS}"
same_stream "batch --all --unordered --check --format ($unordered_atoms), sorted" \
	sorted pc batch --all --unordered --check --format "$unordered_atoms" -- \
	sorted gitc cat-file --batch-all-objects --unordered --batch-check="$unordered_atoms"
same_stream "batch --all --unordered, records sorted" \
	records_of pc batch --all --unordered -- \
	records_of gitc cat-file --batch-all-objects --unordered --batch

# ---- names ----

names=$ORACLE_TMP/names
hexsz=$(gitc rev-parse --show-object-format | sed 's/^sha1$/40/; s/^sha256$/64/')
{
	echo HEAD
	gitc for-each-ref --format='%(refname)' | sed -n '1,40p' | while IFS= read -r ref; do
		echo "$ref"
		echo "${ref#refs/*/}"
		echo "$ref^{}"
		echo "$ref^{tree}"
		echo "$ref^{commit}"
		echo "$ref^{tag}"
		echo "$ref^{blob}"
	done
	echo 'HEAD^{tree}'
	echo 'HEAD:'
	gitc ls-tree --name-only HEAD | sed -n '1,10p' | sed 's/^/HEAD:/'
	gitc ls-tree -r --name-only HEAD | tail -n 3 | sed 's/^/HEAD:/'
	if [ -n "$extend" ]; then
		printf '%s\n' 'extra:x y' 'extra:big.txt' 'extra:dir' 'extra:sub' 'extra:link' \
			"$(printf 'extra:caf\303\251')" "$(printf 'extra:tab\tname')" 'alt:alt3' 'alt:alt15' \
			'blobtag^{blob}' 'treetag^{tree}' 'tagtag^{tag}' 'tagtag^{}'
	fi
	# ids: full, upper-case, abbreviated to 4, 7 and 12 digits
	gitc cat-file --batch-all-objects --batch-check='%(objectname)' |
		awk 'NR % 97 == 1 || NR < 4' | sed -n '1,40p' | while read -r id; do
		echo "$id"
		echo "$id" | tr a-f A-F
		echo "${id:0:4}"
		echo "${id:0:7}"
		echo "${id:0:12}"
	done
	p=$(ambiguous_prefix "$repo")
	if [ -n "$p" ]; then
		echo "$p"
		echo "$p^{blob}"
		echo "$p:x"
	fi
	# missing and malformed
	printf '%s\n' nonexist refs/heads/nonexist 'HEAD:nonexist' 'HEAD^{foo}' 'HEAD^{' abc \
		"$(printf '%0*d' "$hexsz" 1)" "$(printf '%0*d' "$((hexsz + 1))" 1)" 'HEAD:' ':' '^{}'
} >"$names"
echo "$(wc -l <"$names") names"

# Input lines git splits or trims in its own ways.
{
	cat "$names"
	printf 'HEAD\r\n HEAD\n\nHEAD rest of the line\nHEAD\tafter a tab\nHEAD  \t two blanks\n'
	printf 'last line without a newline'
} >"$ORACLE_TMP/lines"

input=$ORACLE_TMP/lines
for fmt in '' '%(objectname) %(objecttype) %(objectsize)' "$ALL_ATOMS" '%(rest)'; do
	for mode in --batch --batch-check; do
		if [ -n "$fmt" ]; then
			ours=(batch --format "$fmt")
			theirs=(cat-file "$mode=$fmt")
		else
			ours=(batch)
			theirs=(cat-file "$mode")
		fi
		[ "$mode" = --batch ] || ours+=(--check)
		same_stream "${ours[*]} < names" pc "${ours[@]}" -- gitc "${theirs[@]}" 2>/dev/null
	done
done
input=/dev/null

# cat MODE NAME, for every mode and name. PW_ORACLE_CAT_EVERY=K (the
# sanitizer run sets it: a process start costs ten times more there) keeps
# every K-th name and the missing and malformed ones at the end; the batch
# runs above still read every name.
every=${PW_ORACLE_CAT_EVERY:-1}
total=$(wc -l <"$names")
n=0 i=0
while IFS= read -r name; do
	i=$((i + 1))
	[ $(((i - 1) % every)) -eq 0 ] || [ "$i" -gt $((total - 12)) ] || continue
	for mode in -t -s -e -p commit tree blob tag; do
		grc=0
		gitc cat-file "$mode" "$name" >"$ORACLE_TMP/git.out" 2>/dev/null || grc=$?
		prc=0
		pc cat "$mode" "$name" >"$ORACLE_TMP/pc.out" 2>"$ORACLE_TMP/pc.err" </dev/null || prc=$?
		n=$((n + 1))
		case $grc/$prc in
		0/0 | 1/1 | 128/1 | 128/2) ;;
		128/4) [[ $name == :* ]] || { fail "cat $mode '$name': exit 4, git 128"; continue; } ;; # the index: unsupported
		*)
			fail "cat $mode '$name': exit $prc, git $grc: $(head -c 200 "$ORACLE_TMP/pc.err")"
			continue
			;;
		esac
		if ! cmp -s "$ORACLE_TMP/git.out" "$ORACLE_TMP/pc.out"; then
			fail "cat $mode '$name': stdout differs from git cat-file"
		elif [ "$prc" -ne 0 ] && [ "$mode" != -e ] && [ ! -s "$ORACLE_TMP/pc.err" ]; then
			fail "cat $mode '$name': exit $prc without a message"
		fi
	done
done <"$names"
echo "ok: $n cat runs compared (every $every name(s))"

[ "$failures" -eq 0 ] || oracle_die "$failures check(s) failed"
echo "all checks passed"
