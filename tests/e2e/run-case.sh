#!/bin/sh
# run-case.sh: run one golden CLI case (tests/e2e/<tool>/<case>.sh) and compare
# its stdout and exit status with <case>.out and <case>.rc beside it.
#
# Usage: run-case.sh [--valgrind] CASE.sh
# Environment: PACKCAT (the binary under test), PACKWIN_FIXTURES (fixtures/).
#
# The case runs with sh in an empty temporary folder, with a `packcat` on
# PATH that runs $PACKCAT (under valgrind with --valgrind; any valgrind
# report fails the case, even when the case ignores packcat's exit status),
# and FIXTURES set. Its stderr is passed through, for the test log.
set -u

valgrind=
if [ "${1:-}" = --valgrind ]; then
	valgrind=1
	shift
fi
[ $# -eq 1 ] || { echo "usage: run-case.sh [--valgrind] CASE.sh" >&2; exit 2; }
case "$1" in
/*) case_sh=$1 ;;
*) case_sh=$PWD/$1 ;;
esac
expected_out=${case_sh%.sh}.out
expected_rc=${case_sh%.sh}.rc
: "${PACKCAT:?PACKCAT must name the packcat binary}"
: "${PACKWIN_FIXTURES:?PACKWIN_FIXTURES must name the fixtures folder}"
for f in "$case_sh" "$expected_out" "$expected_rc" "$PACKCAT"; do
	[ -f "$f" ] || { echo "run-case: $f: missing" >&2; exit 2; }
done
if [ -n "$valgrind" ] && ! command -v valgrind >/dev/null; then
	echo "run-case: valgrind is not installed" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/packcat-e2e.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/work" "$tmp/vg"

# The `packcat` the case calls. Paths are single-quoted into the wrapper.
{
	echo '#!/bin/sh'
	if [ -n "$valgrind" ]; then
		echo "exec valgrind -q --error-exitcode=99 --leak-check=full" \
			"--errors-for-leak-kinds=definite --log-file='$tmp/vg/%p.log'" \
			"'$PACKCAT' \"\$@\""
	else
		echo "exec '$PACKCAT' \"\$@\""
	fi
} >"$tmp/bin/packcat"
chmod +x "$tmp/bin/packcat"

(
	cd "$tmp/work" &&
	PATH="$tmp/bin:$PATH" FIXTURES=$PACKWIN_FIXTURES LC_ALL=C TZ=UTC \
		exec sh "$case_sh"
) >"$tmp/stdout"
rc=$?

# 77: the case found a tool it needs missing (ctest's SKIP_RETURN_CODE).
if [ "$rc" = 77 ] && [ "$(cat "$expected_rc")" != 77 ]; then
	cat "$tmp/stdout" >&2
	exit 77
fi
status=0
if [ "$rc" != "$(cat "$expected_rc")" ]; then
	echo "run-case: $case_sh: exit status $rc, expected $(cat "$expected_rc")" >&2
	status=1
fi
if ! diff -u "$expected_out" "$tmp/stdout" >&2; then
	echo "run-case: $case_sh: stdout differs from $expected_out (diff above)" >&2
	status=1
fi
for log in "$tmp"/vg/*.log; do
	[ -s "$log" ] || continue
	echo "run-case: $case_sh: valgrind reported:" >&2
	cat "$log" >&2
	status=1
done
exit $status
