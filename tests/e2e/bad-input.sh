#!/usr/bin/env bash
# bad-input.sh: `packcat verify` and `packcat ls` on every fixtures/corrupt
# case (see fixtures/corrupt/README.md), with the default budgets and with a
# tiny one (4 KiB windows, 16 KiB mapped, one descriptor).
#
# A corrupt case must give, within 20 seconds: an exit status of 1 (failed
# verification) or 3 and up (corrupt data, errors) -- never 0, never 2
# (usage), never a signal or a timeout -- and exactly one line on stderr,
# "packcat: ...", naming the pack's file (its .pack, .idx or .rev); no
# sanitizer report. good-* controls must exit 0 with nothing on stderr. The
# tiny budget must give the same output and message as the default one.
#
# `ls` verifies as git verify-pack -v does, which never reads the .rev, so
# on the cases in LS_GOOD_AS_GIT (a bad .rev only) it must succeed (exit 0,
# nothing on stderr); tests/oracle/ls-corrupt.sh compares it with git.
#
# Environment: PACKCAT (the binary), PACKWIN_FIXTURES (the fixtures folder).
# In a sanitizer build, leaks and errors are reported on stderr and caught.
set -u

: "${PACKCAT:?PACKCAT must name the packcat binary}"
: "${PACKWIN_FIXTURES:?PACKWIN_FIXTURES must name the fixtures folder}"
corrupt=$PACKWIN_FIXTURES/corrupt
[ -d "$corrupt" ] || { echo "bad-input: $corrupt: missing" >&2; exit 2; }

LS_GOOD_AS_GIT="rev-bad-signature rev-entry-out-of-range rev-out-of-order"

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:exitcode=99"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
export LC_ALL=C

tmp=$(mktemp -d "${TMPDIR:-/tmp}/packwin-bad-input.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

checks=0
failures=0
bad() {
	echo "bad-input: $*" >&2
	failures=$((failures + 1))
}

# run LABEL -- ARGS...: run packcat with a time bound; sets rc, leaves
# stdout and stderr in $tmp/LABEL.out and $tmp/LABEL.err.
run() {
	local label=$1
	shift 2
	timeout 20 "$PACKCAT" "$@" >"$tmp/$label.out" 2>"$tmp/$label.err"
	rc=$?
}

# expect_failure WHAT LABEL STEM
expect_failure() {
	local what=$1 label=$2 stem=$3 err=$tmp/$2.err lines
	checks=$((checks + 1))
	if grep -qE 'Sanitizer|runtime error:' "$err"; then
		bad "$what: sanitizer report:"
		cat "$err" >&2
		return
	fi
	if [ "$rc" -eq 124 ]; then
		bad "$what: did not finish within 20 seconds"
	elif [ "$rc" -ge 128 ]; then
		bad "$what: killed by signal $((rc - 128))"
	elif [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || [ "$rc" -ge 100 ]; then
		bad "$what: exit status $rc (expected 1, or 3 and up)"
	fi
	lines=$(wc -l <"$err")
	if [ "$lines" -ne 1 ]; then
		bad "$what: $lines lines on stderr (expected 1):"
		sed 's/^/    /' "$err" >&2
	elif ! grep -q '^packcat: ' "$err"; then
		bad "$what: stderr does not start with 'packcat: ': $(cat "$err")"
	elif ! grep -qF "$stem" "$err"; then
		bad "$what: the message does not name the file: $(cat "$err")"
	fi
}

# expect_success WHAT LABEL
expect_success() {
	local what=$1 label=$2
	checks=$((checks + 1))
	if [ "$rc" -ne 0 ] || [ -s "$tmp/$label.err" ]; then
		bad "$what: exit status $rc (expected 0), stderr:"
		sed 's/^/    /' "$tmp/$label.err" >&2
	fi
}

tiny=(--window-size 4k --memory-limit 16k --fd-limit 1)
ncases=0
for dir in "$corrupt"/*/; do
	name=$(basename "$dir")
	set -- "$dir"pack-*.pack
	if [ $# -ne 1 ] || [ ! -f "$1" ]; then
		bad "$name: expected one pack-*.pack"
		continue
	fi
	pack=$1
	stem=${pack%.pack}
	ncases=$((ncases + 1))
	for cmd in verify ls; do
		case $cmd in
		verify) args=(verify --threads 1 "$pack") ;;
		ls) args=(ls "$pack") ;;
		esac
		should_fail=1
		case $name in good-*) should_fail= ;; esac
		if [ "$cmd" = ls ] && [[ " $(echo $LS_GOOD_AS_GIT) " == *" $name "* ]]; then
			should_fail=
		fi
		for budget in default tiny; do
			label=$cmd-$budget
			if [ "$budget" = tiny ]; then
				run "$label" -- "${tiny[@]}" "${args[@]}"
			else
				run "$label" -- "${args[@]}"
			fi
			if [ -n "$should_fail" ]; then
				expect_failure "$name: packcat $cmd ($budget budget)" "$label" "$stem"
			else
				expect_success "$name: packcat $cmd ($budget budget)" "$label"
			fi
		done
		# the budget changes nothing that is printed (t5301-sliding-window)
		checks=$((checks + 1))
		if ! cmp -s "$tmp/$cmd-default.out" "$tmp/$cmd-tiny.out" ||
		   ! cmp -s "$tmp/$cmd-default.err" "$tmp/$cmd-tiny.err"; then
			bad "$name: packcat $cmd: the tiny budget prints something else:"
			diff "$tmp/$cmd-default.err" "$tmp/$cmd-tiny.err" | sed 's/^/    /' >&2
		fi
	done
done

# Every case name the ls list names exists (a renamed case must not hide here).
for name in $LS_GOOD_AS_GIT; do
	[ -d "$corrupt/$name" ] || bad "LS_GOOD_AS_GIT names $name, which is not a case"
done

echo "bad-input: $ncases cases, $checks checks, $failures failure(s)"
[ "$failures" -eq 0 ]
