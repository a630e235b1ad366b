#!/usr/bin/env bash
# reftable-writer.sh: tests/tools/reftable.py writes reftable twins whose
# merged view is what git sees in the files-backend original.
#
# Usage: reftable-writer.sh FIXTURES CORPUS   (CORPUS's zlib.git and
# libgit2.git are used when they are there; the output names them)
#
# git 2.39 cannot read reftable, so git reads the files-backend original
# (the oracle) and reftable.py's own reader the twin: `git show-ref --head
# -d`, `git for-each-ref`, `git symbolic-ref HEAD` and every logs/ file must
# equal the twin's merged view. Each twin is written under several layouts:
# block sizes, restart intervals, unaligned, forced index, split stacks
# (log-only table, stale values shadowed, deletions, a ref deleted and
# written again). When the git on PATH can make reftable repositories
# (`git init --ref-format=reftable`, git >= 2.45), git reads each twin too.
# Then: partial and full compaction keep the view; readers that retry see
# every ref while churn rewrites a stack 1000 times; a stack from write's
# text description dumps to what it says; every corrupt kind makes the
# reader fail with its own message. About 25 s of CPU.
set -euo pipefail
# shellcheck source=tests/oracle/common.sh
. "$(dirname "$0")/common.sh"
oracle_git_env

[ $# -eq 2 ] || oracle_die "usage: $0 FIXTURES CORPUS"
fixtures=$(cd "$1" && pwd) corpus=$2
tool=$(cd "$(dirname "$0")/../tools" && pwd)/reftable.py
RT() { python3 "$tool" "$@"; }
T=$ORACLE_TMP
checks=0

git_reads_reftable=no
if git init -q --bare --ref-format=reftable "$T/probe.git" 2>/dev/null; then
	git_reads_reftable=yes
fi

# A repository with reflogs, 10k refs (branches, annotated tags, tags of
# tags, symrefs), loose and packed, several time zones.
make_generated() {
	local d=$1 i
	git init -q -b main "$d"
	(
		cd "$d"
		git config core.logAllRefUpdates always
		for i in 1 2 3 4 5 6; do
			echo "$i" >f
			git add f
			tz=$(echo "+0000 -0800 +0530 -0130 +1400 -1200" | cut -d' ' -f"$i")
			GIT_AUTHOR_DATE="$((1700000000 + i * 3600)) $tz" \
			GIT_COMMITTER_DATE="$((1700000000 + i * 3600)) $tz" \
			GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.com \
			GIT_COMMITTER_NAME="C O Mitter" GIT_COMMITTER_EMAIL=c@example.com \
				git commit -q -m "commit $i"
		done
		export GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.com \
			GIT_COMMITTER_DATE="1700100000 +0200"
		git tag -a -m one v1 HEAD~1
		git -c advice.nestedTag=false tag -a -m two v1-of-v1 v1
		git -c advice.nestedTag=false tag -a -m three v1-of-v1-of-v1 v1-of-v1
		git tag light HEAD~2
		git tag -a -m tree tree-tag 'HEAD^{tree}'
		git symbolic-ref refs/heads/alias refs/heads/main
		git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
		git update-ref refs/remotes/origin/main HEAD~3
		git update-ref refs/notes/no-message HEAD
		# The bulk: 1000 annotated tags from fast-import, then 9000
		# branches appended to packed-refs (its header then says
		# "not sorted", so git sorts it): 9000 loose refs would take
		# seconds of file system time.
		c=$(git rev-parse HEAD) p=$(git rev-parse HEAD~4)
		for i in $(seq -w 0 999); do
			printf 'tag t/%s\nfrom %s\ntagger T <t@example.com> 1700200000 -0700\ndata 5\nt%s\n' \
				"$i" "$p" "$i"
		done | git fast-import --quiet
		git pack-refs --all
		sed -i '1s/ sorted//' .git/packed-refs
		for i in $(seq -w 0 8999); do
			echo "$c refs/heads/b/$i"
		done >>.git/packed-refs
		for i in $(seq -w 0 99); do
			echo "update refs/heads/b/00$i $p"
		done | git update-ref --stdin -m 'bulk move'
		git update-ref -m 'after packing' refs/heads/b/0001 HEAD~5
		git update-ref -d refs/heads/b/0002
	)
}

# expect_views ORIG DIR: git's views of the files-backend ORIG, as dump --views names them.
expect_views() {
	local orig=$1 d=$2
	mkdir -p "$d"
	git --git-dir="$orig" show-ref --head -d >"$d/show-ref"
	git --git-dir="$orig" for-each-ref --format='%(refname) %(objectname) %(symref)' >"$d/for-each-ref"
	git --git-dir="$orig" symbolic-ref HEAD >"$d/head" 2>/dev/null ||
		git --git-dir="$orig" rev-parse HEAD >"$d/head"
	(
		cd "$orig"
		if [ -d logs ]; then
			# shellcheck disable=SC2016 # awk's own $0
			find logs -type f | sort | xargs -r awk '{ print substr(FILENAME, 6) " " $0 }'
		fi
	) >"$d/reflog"
	(
		cd "$orig"
		if [ -d logs ]; then
			find logs -type f | sed 's,^logs/,,' | sort
		fi
	) >"$d/reflog-names"
}

# check_twin TWIN EXPECTED [DUMP OPTIONS]: the twin's merged views equal git's.
check_twin() {
	local twin=$1 want=$2 v
	shift 2
	local views
	views=$T/views/$(basename "$twin")
	RT dump --views "$views" "$@" "$twin"
	for v in show-ref for-each-ref head reflog reflog-names; do
		diff -u "$want/$v" "$views/$v" >&2 || oracle_die "$twin: $v differs"
	done
	# The repository layout git expects of a reftable repository.
	[ "$(cat "$twin/HEAD")" = "ref: refs/heads/.invalid" ] || oracle_die "$twin: HEAD stub"
	[ -f "$twin/refs/heads" ] || oracle_die "$twin: refs/heads is not a file"
	if [ -e "$twin/packed-refs" ] || [ -e "$twin/logs" ]; then
		oracle_die "$twin: files-backend refs left"
	fi
	[ "$(git config --file "$twin/config" core.repositoryformatversion)" = 1 ] ||
		oracle_die "$twin: format version"
	[ "$(git config --file "$twin/config" extensions.refstorage)" = reftable ] ||
		oracle_die "$twin: extensions.refstorage"
	if [ $git_reads_reftable = yes ]; then
		diff -u "$want/show-ref" <(git --git-dir="$twin" show-ref --head -d) >&2 ||
			oracle_die "$twin: git reads another view"
	fi
	checks=$((checks + 1))
}

# Inputs: copies (the fixtures and the corpus are read-only inputs).
copy_repo() {
	local src=$1 dst=$2
	mkdir -p "$dst/objects/info"
	cp "$src/HEAD" "$src/config" "$dst/"
	[ -f "$src/packed-refs" ] && cp "$src/packed-refs" "$dst/"
	cp -r "$src/refs" "$dst/refs"
	[ -d "$src/logs" ] && cp -r "$src/logs" "$dst/logs"
	echo "$src/objects" >"$dst/objects/info/alternates"
}
repos=()
for r in basic sha256; do
	copy_repo "$fixtures/repos/$r.git" "$T/in/$r.git"
	repos+=("$r=$T/in/$r.git")
done
used=""
for r in zlib libgit2; do
	if [ -d "$corpus/$r.git" ]; then
		copy_repo "$(cd "$corpus/$r.git" && pwd)" "$T/in/$r.git"
		repos+=("$r=$T/in/$r.git")
		used="$used $r"
	fi
done
make_generated "$T/in/gen"
gen=$T/in/gen/.git
repos+=("gen=$gen")
[ "$(git --git-dir="$gen" for-each-ref | wc -l)" -ge 10000 ] || oracle_die "generated repository has < 10k refs"
[ "$(git --git-dir="$T/in/sha256.git" rev-parse --show-object-format)" = sha256 ] ||
	oracle_die "sha256 fixture is not SHA-256"

# Layouts: every one for the fixtures, most for the 10k-ref repository,
# a few for the corpus (each libgit2 twin takes seconds).
layouts=(
	"default:"
	"b256-r1:--block-size 256 --restart-interval 1 --split 3"
	"b1k-r64-split4:--block-size 1024 --restart-interval 64 --split 4"
	"unaligned-split2:--block-size 512 --unaligned --restart-interval 5 --split 2"
	"bs0-minutes:--block-size 0 --split 5 --tz-encoding minutes --log-block-size 300"
	"index-always:--block-size 65536 --index always"
	"minutes:--tz-encoding minutes --split 3"
	"v2:--format-version 2 --split 2 --block-size 128"
)
for entry in "${repos[@]}"; do
	rname=${entry%%=*} repo=${entry#*=}
	expect_views "$repo" "$T/expected/$rname"
	for l in "${layouts[@]}"; do
		lname=${l%%:*} opts=${l#*:}
		case $rname-$lname in
		zlib-default | zlib-b256-r1 | libgit2-b1k-r64-split4) ;;
		zlib-* | libgit2-* | gen-index-always | gen-minutes | gen-v2) continue ;;
		esac
		twin=$T/out/$rname-$lname
		# shellcheck disable=SC2086
		RT from-files "$repo" "$twin" $opts
		case $lname in
		*minutes) check_twin "$twin" "$T/expected/$rname" --tz-encoding minutes ;;
		*) check_twin "$twin" "$T/expected/$rname" ;;
		esac
	done
done

# The layouts did what they say, on the 10k-ref repository (the raw
# dumps are read from files: grep -q on a pipe would break it).
raw() {
	if [ -f "$T/views/$(basename "$1")/raw" ]; then
		cp "$T/views/$(basename "$1")/raw" "$T/raw"
	else
		RT dump "$1" >"$T/raw"
	fi
}
g256=$T/out/gen-b256-r1
raw "$g256"
[ "$(wc -l <"$g256/reftable/tables.list")" = 3 ] || oracle_die "split 3: not 3 tables"
levels=$(awk '$1 == "blocks" && $9 > m { m = $9 } END { print m + 0 }' "$T/raw")
[ "$levels" -ge 3 ] || oracle_die "block size 256, 10k refs: index of $levels levels, want >= 3"
[ "$(grep -c '^ref .* deletion$' "$T/raw")" -ge 3 ] || oracle_die "split: no deletions"
[ "$(grep -c '^log .*@[0-9]* deletion$' "$T/raw")" -ge 3 ] || oracle_die "split: no log deletions"
# A stale value in an older table, shadowed by a newer one.
awk '$1 == "ref" { n[$3]++ } END { for (k in n) if (n[k] > 1) s++; exit !(s > 1000) }' "$T/raw" ||
	oracle_die "split: few shadowed refs"
first=$(head -1 "$g256/reftable/tables.list")
case $first in *.log) ;; *) oracle_die "split: first table $first is not log-only" ;; esac
raw "$g256/reftable/$first"
grep -q '^ref ' "$T/raw" && oracle_die "log-only table has refs"
grep -q '^footer ref_index 0 obj 0 obj_id_len 0 obj_index 0 log 0 log_index [1-9]' "$T/raw" ||
	oracle_die "log-only table: log_position 0 and a log index expected"
# Split 4: HEAD written in table 2, deleted in table 3, written again in 4.
raw "$T/out/gen-b1k-r64-split4"
[ "$(awk '$1 == "ref" && $3 == "HEAD" { printf "%s ", $4 }' "$T/raw")" = "symref deletion symref " ] ||
	oracle_die "split 4: HEAD not deleted and written again"
raw "$T/out/gen-unaligned-split2"
grep -q '^table .* block_size 0 ' "$T/raw" || oracle_die "unaligned: block_size not 0"
grep -q '^table .* block_size [1-9]' "$T/raw" && oracle_die "unaligned: a block_size"
awk '$1 == "footer" && $3 > 0 { f = 1 } END { exit !f }' "$T/raw" || oracle_die "unaligned: no ref index"
raw "$T/out/gen-bs0-minutes"
grep -q '^table .* block_size 0 ' "$T/raw" || oracle_die "block size 0: header block_size not 0"
[ "$(awk '$1 == "blocks" { s += $7 } END { print s + 0 }' "$T/raw")" -ge 4 ] ||
	oracle_die "log block size 300: few log blocks"
raw "$T/out/basic-index-always"
awk '$1 == "blocks" && $3 == 1 && $9 == 1 { f = 1 } END { exit !f }' "$T/raw" ||
	oracle_die "index always: one ref block with an index expected"
s256=$T/out/sha256-default
raw "$s256"
grep -q '^table .* version 2 hash sha256 ' "$T/raw" || oracle_die "sha256: header"
[ "$(head -c 5 "$s256/reftable/$(head -1 "$s256/reftable/tables.list")" | od -An -tx1 | tr -d ' ')" = 5245465402 ] ||
	oracle_die "sha256: not a version 2 table"
raw "$T/out/basic-v2"
grep -q '^table .* version 2 hash sha1 ' "$T/raw" || oracle_die "--format-version 2: header"
gdef=$T/out/gen-default
[ "$(head -c 5 "$gdef/reftable/$(head -1 "$gdef/reftable/tables.list")" | od -An -tx1 | tr -d ' ')" = 5245465401 ] ||
	oracle_die "sha1: not a version 1 table"

# Compaction keeps the merged view: tables 2..3 of the split-4 stack
# (older tables stay below, so deletions are kept), then the whole stack
# (one table, no deletions left).
c4=$T/compact4
cp -r "$T/out/gen-b1k-r64-split4" "$c4"
RT compact "$c4" --first 1 --last 2 --block-size 2048
[ "$(wc -l <"$c4/reftable/tables.list")" = 3 ] || oracle_die "compact 1..2: not 3 tables"
check_twin "$c4" "$T/expected/gen"
grep -q '^ref .* deletion$' "$T/views/compact4/raw" || oracle_die "partial compaction dropped deletions"
RT compact "$c4" --unaligned
[ "$(wc -l <"$c4/reftable/tables.list")" = 1 ] || oracle_die "compact: not 1 table"
[ "$(find "$c4/reftable" -type f | wc -l)" = 2 ] || oracle_die "compact: old tables left"
check_twin "$c4" "$T/expected/gen"
grep -q 'deletion$' "$T/views/compact4/raw" && oracle_die "full compaction kept deletions"

# churn: 1000 rewrites of a stack (new tables, tables.list swapped, old
# tables deleted) while readers that re-read tables.list when a table has
# vanished keep seeing the same refs; the view is unchanged afterwards.
ch=$T/churn
cp -r "$T/out/basic-b256-r1" "$ch"
RT churn "$ch" --times 1000 &
churn_pid=$!
reads=0
while kill -0 "$churn_pid" 2>/dev/null && [ $reads -lt 20 ]; do
	RT dump --retries 1000 --format show-ref --head "$ch" >"$T/churn-read"
	diff -u "$T/expected/basic/show-ref" "$T/churn-read" >&2 || oracle_die "churn: a reader saw other refs"
	reads=$((reads + 1))
done
wait "$churn_pid" || oracle_die "churn failed"
check_twin "$ch" "$T/expected/basic"
[ "$(find "$ch/reftable" -type f | wc -l)" -le 3 ] || oracle_die "churn: old tables left"

# write: a stack from a text description.
a=1111111111111111111111111111111111111111 b=2222222222222222222222222222222222222222
c=3333333333333333333333333333333333333333 z=0000000000000000000000000000000000000000
cat >"$T/spec" <<EOF
table 1 2
symref HEAD refs/heads/main
ref refs/heads/main $a @1
ref refs/heads/gone $a
ref refs/tags/v1 $b $a
log refs/heads/main 1 $z $a A U <a@example.com> 1700000000 +0100	first
table 3 3
ref refs/heads/main $c
delete refs/heads/gone
log refs/heads/main 3 $a $c A U <a@example.com> 1700000100 -0230	second
EOF
RT write "$T/spec" "$T/written" --block-size 64 --restart-interval 2
RT dump --views "$T/views/written" "$T/written"
printf '%s\n' "$c HEAD" "$c refs/heads/main" "$b refs/tags/v1" "$a refs/tags/v1^{}" |
	diff -u - "$T/views/written/show-ref" >&2 || oracle_die "write: show-ref"
printf '%s\n' "refs/heads/main $z $a A U <a@example.com> 1700000000 +0100	first" \
	"refs/heads/main $a $c A U <a@example.com> 1700000100 -0230	second" |
	diff -u - "$T/views/written/reflog" >&2 || oracle_die "write: reflog"
grep -q '^ref 1 refs/heads/main val1 ' "$T/views/written/raw" || oracle_die "write: @UI ignored"

# Every corrupt kind: the reader fails, saying what is wrong.
declare -A expect=(
	[truncated]='CRC-32 mismatch|shorter than|footer does not repeat'
	[bad-magic]='bad magic'
	[bad-version]='unsupported version 3'
	[footer-crc]='footer CRC-32 mismatch'
	[index-outside]='outside the file'
	[unsorted-keys]='out of order'
	[restart-out-of-range]='restart offset [0-9]* out of range'
	[prefix-too-long]='has prefix [0-9]*, prior key is'
	[symref-cycle]='symref cycle: refs/heads/cycle-a -> refs/heads/cycle-b -> refs/heads/cycle-a'
	[missing-table]='which does not exist'
	[block-len-past-end]='block_len 16777215 runs past the footer|longer than the block size'
	[bad-zlib]='log block at [0-9]*: (Error|inflates)'
)
[ "$(RT corrupt --list | wc -l)" = "${#expect[@]}" ] || oracle_die "corrupt kinds and this test disagree"
# All of them on a small SHA-1 and a small SHA-256 twin; on the 10k-ref
# split stack (multi-level index, log blocks) those that look past the
# first block.
for src in "$T/out/basic-default" "$s256" "$g256"; do
	kinds=("${!expect[@]}")
	# (basic.git and sha256.git have no reflogs: no log block to break)
	kinds=("${kinds[@]/bad-zlib/}")
	[ "$src" = "$g256" ] && kinds=(index-outside unsorted-keys missing-table symref-cycle bad-zlib)
	for kind in "${kinds[@]}"; do
		[ -n "$kind" ] || continue
		bad=$T/bad/$(basename "$src")-$kind
		RT corrupt "$kind" "$src" "$bad"
		if [ "$kind" = symref-cycle ]; then
			RT dump "$bad" >/dev/null || oracle_die "$kind: the table itself is valid"
			fmt=(--format show-ref)
		else
			fmt=()
		fi
		set +e
		err=$(RT dump "${fmt[@]}" "$bad" 2>&1 >/dev/null)
		rc=$?
		set -e
		[ $rc = 2 ] || oracle_die "$kind on $src: exit $rc, want 2 ($err)"
		echo "$err" | grep -Eq "${expect[$kind]}" || oracle_die "$kind on $src: said '$err'"
		checks=$((checks + 1))
	done
done

echo "reftable-writer: $checks checks passed (corpus:${used:- none}; git reads reftable: $git_reads_reftable)"
