# lib.sh: what the pack-serve end-to-end tests share: a temporary folder, starting and stopping servers, checks that say what differed.
#
# Sourced by tests/e2e/pack-serve/*.sh (bash). Environment:
#   PACK_SERVE        the binary under test (required)
#   PACKWIN_FIXTURES  fixtures/ (default: beside this folder)
#   PACKWIN_CORPUS    ../shared/corpus (zlib.git, libgit2.git)
# A test calls ps_setup, fills $ROOT with serve_fixture, serve_corpus and
# serve_big, starts servers with ps_start, checks with the
# expect_* helpers (a failed check is reported and counted, the test goes
# on), and ends with ps_finish: every server still running must exit 0 on
# SIGTERM within 10 s, and the status is 1 when any check failed. The EXIT
# trap kills whatever is left (servers, background clients) and removes the
# temporary folder.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${PACK_SERVE:?PACK_SERVE must name the pack-serve binary}"
PACKWIN_FIXTURES=${PACKWIN_FIXTURES:-$HERE/../../../fixtures}
PACKWIN_CORPUS=${PACKWIN_CORPUS:-$HERE/../../../../shared/corpus}
# The system python when there is one: a pyenv shim costs 0.4 s a start.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
RAWHTTP="$PYTHON $HERE/rawhttp.py"
FAILS=0
CHECKS=0
SERVER_PIDS=()
BG_PIDS=()
TEST_NAME=$(basename "$0" .sh)

# Curl never through a proxy, never for ever.
CURL=(curl -sS --noproxy '*' --max-time 60)

ps_cleanup() {
	local p
	for p in "${BG_PIDS[@]}" "${SERVER_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

# ps_setup: a temporary folder $TMP, ROOT=$TMP/root (made by the serve_*
# helpers), and git isolated from any user or system configuration.
ps_setup() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/ps-e2e-$TEST_NAME.XXXXXX") || exit 2
	ROOT=$TMP/root
	trap ps_cleanup EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$TMP/home"
	export HOME=$TMP/home XDG_CONFIG_HOME=$TMP/home/.config
	export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 LC_ALL=C TZ=UTC
	export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com
	export GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.com
	unset GIT_DIR GIT_WORK_TREE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
	export NO_PROXY='*' no_proxy='*'
	for t in git curl python3; do
		command -v "$t" >/dev/null || { echo "$TEST_NAME: $t is not installed" >&2; exit 77; }
	done
}

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL [$TEST_NAME]: $*" >&2
}

ok() {
	echo "ok: $*"
}

# serve_fixture NAME...: copies of fixtures/repos/NAME.git as $ROOT/NAME.git.
serve_fixture() {
	local r
	mkdir -p "$ROOT"
	for r in "$@"; do
		cp -a "$PACKWIN_FIXTURES/repos/$r.git" "$ROOT/$r.git"
	done
}

# serve_corpus NAME...: the corpus's NAME.git as $ROOT/NAME.git, hard links
# where the file system allows (nothing here writes to them), else a copy.
serve_corpus() {
	local r
	mkdir -p "$ROOT"
	for r in "$@"; do
		cp -al "$PACKWIN_CORPUS/$r.git" "$ROOT/$r.git" 2>/dev/null || cp -a "$PACKWIN_CORPUS/$r.git" "$ROOT/$r.git"
	done
}

# serve_big: $ROOT/big.git, a bare repository holding the libgit2 corpus's
# pack (84 MB) by hard links (nothing here writes to it) or copies. Sets BIG
# (the pack's path) and BIGURL (its path on the server).
serve_big() {
	local f
	mkdir -p "$ROOT"
	git init -q --bare "$ROOT/big.git"
	for f in "$PACKWIN_CORPUS"/libgit2.git/objects/pack/pack-*; do
		ln "$f" "$ROOT/big.git/objects/pack/" 2>/dev/null || cp "$f" "$ROOT/big.git/objects/pack/"
	done
	BIG=$(pack_of "$ROOT/big.git")
	BIGURL=/big.git/objects/pack/$(basename "$BIG")
}

# check DESC COMMAND...: passes when COMMAND succeeds.
check() {
	local desc=$1
	shift
	CHECKS=$((CHECKS + 1))
	if "$@"; then ok "$desc"; else fail "$desc (command failed: $*)"; fi
}

# expect_eq DESC EXPECTED ACTUAL
expect_eq() {
	CHECKS=$((CHECKS + 1))
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# expect_files_eq DESC EXPECTED_FILE ACTUAL_FILE: byte-identical (a diff or sizes on failure).
expect_files_eq() {
	CHECKS=$((CHECKS + 1))
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		fail "$1: $3 differs from $2 ($(stat -c %s "$2" 2>/dev/null || echo missing) vs $(stat -c %s "$3" 2>/dev/null || echo missing) bytes; $(cmp "$2" "$3" 2>&1 | head -1))"
		if [ "$(stat -c %s "$2" 2>/dev/null || echo 0)" -lt 4096 ]; then
			diff -u "$2" "$3" | head -20 >&2
		fi
	fi
}

# ps_start ROOT [OPTIONS...]: start a server on a free port; sets PID, PORT,
# BASE (http://127.0.0.1:PORT) and SOUT/SERR (its stdout and stderr files).
# Fails the test (exit 1) when no "listening on" line comes within 10 s.
PS_N=0
ps_start() {
	local root=$1 i line
	shift
	PS_N=$((PS_N + 1))
	SOUT=$TMP/server.$PS_N.out
	SERR=$TMP/server.$PS_N.err
	"$PACK_SERVE" --listen 127.0.0.1:0 "$@" "$root" >"$SOUT" 2>"$SERR" &
	PID=$!
	SERVER_PIDS+=("$PID")
	for i in $(seq 100); do
		line=$(grep -m1 -E '^listening on http://127\.0\.0\.1:[0-9]+/$' "$SOUT" 2>/dev/null)
		[ -n "$line" ] && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$line" ]; then
		echo "FAIL [$TEST_NAME]: pack-serve $* $root printed no 'listening on http://127.0.0.1:PORT/' line within 10 s; stdout:" >&2
		head -5 "$SOUT" >&2
		echo "stderr:" >&2
		head -20 "$SERR" >&2
		exit 1
	fi
	PORT=${line#listening on http://127.0.0.1:}
	PORT=${PORT%/}
	BASE=http://127.0.0.1:$PORT
	echo "server $PID listening on $BASE ($*)"
}

# has_exited PID: PID is gone, or a zombie (ps reports Z) not waited for yet.
has_exited() {
	! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

# wait_exited PID SECONDS: poll every 0.05 s; 1 when PID still runs after SECONDS.
wait_exited() {
	local i
	for i in $(seq $(($2 * 20))); do
		has_exited "$1" && return 0
		sleep 0.05
	done
	has_exited "$1"
}

# ps_stop [PID]: SIGTERM; the server must exit 0 within 10 s.
ps_stop() {
	local pid=${1:-$PID} i rc
	CHECKS=$((CHECKS + 1))
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		fail "server $pid was already gone before SIGTERM (exit status $?)"
		tail -20 "$SERR" >&2
		return
	fi
	kill -TERM "$pid"
	if ! wait_exited "$pid" 10; then
		fail "server $pid still running 10 s after SIGTERM"
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		return
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" = 0 ]; then
		ok "server $pid exited 0 on SIGTERM"
	else
		fail "server $pid exited with status $rc on SIGTERM; its stderr ends:"
		tail -20 "$SERR" >&2
	fi
	local keep=()
	for i in "${SERVER_PIDS[@]}"; do [ "$i" != "$pid" ] && keep+=("$i"); done
	SERVER_PIDS=("${keep[@]}")
}

# ps_finish: stop the servers still running, report, exit.
ps_finish() {
	local p
	for p in "${SERVER_PIDS[@]}"; do
		ps_stop "$p"
	done
	if [ "$FAILS" -gt 0 ]; then
		echo "$TEST_NAME: $FAILS of $CHECKS checks failed" >&2
		exit 1
	fi
	echo "$TEST_NAME: all $CHECKS checks passed"
	exit 0
}

# http_code URL [CURL ARGS...]: the status code; the body goes to $TMP/body,
# the headers to $TMP/hdrs.
http_code() {
	local url=$1
	shift
	rm -f "$TMP/body" "$TMP/hdrs"
	"${CURL[@]}" -o "$TMP/body" -D "$TMP/hdrs" -w '%{http_code}' "$@" "$url" 2>"$TMP/curl.err"
}

# header NAME: the value of NAME in $TMP/hdrs (last response), without CR.
header() {
	awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" -F': *' '
		/^HTTP\// { v = "" }
		{ k = tolower($1) }
		k == n { sub(/^[^:]*: */, ""); v = $0 }
		END { print v }' "$TMP/hdrs" | tr -d '\r'
}

# expect_status DESC EXPECTED URL [CURL ARGS...]
expect_status() {
	local desc=$1 want=$2 url=$3 got
	shift 3
	got=$(http_code "$url" "$@")
	expect_eq "$desc: $url $*" "$want" "$got"
}

# ALIVE_URL: what expect_alive fetches (an info/refs the test serves).
ALIVE_URL=
expect_alive() {
	local code
	CHECKS=$((CHECKS + 1))
	if ! kill -0 "$PID" 2>/dev/null; then
		fail "server died ($1); its stderr ends:"
		tail -20 "$SERR" >&2
		return
	fi
	code=$("${CURL[@]}" --max-time 10 -o /dev/null -w '%{http_code}' "$ALIVE_URL" 2>&1)
	if [ "$code" = 200 ]; then
		ok "server answers after: $1"
	else
		fail "server does not answer $ALIVE_URL with 200 after: $1 (got '$code')"
	fi
}

# fd_count [PID]: the server's open descriptors other than regular files
# (sockets, pipes, epoll...): what connections cost. Regular files are the
# descriptor cache's, bounded by --fd-limit (file_fd_count).
fd_count() {
	local f n=0
	for f in /proc/${1:-$PID}/fd/*; do
		[ -f "$f" ] || n=$((n + 1))
	done 2>/dev/null
	echo "$n"
}

# file_fd_count [PID]: the server's descriptors on regular files.
file_fd_count() {
	local f n=0
	for f in /proc/${1:-$PID}/fd/*; do
		[ -f "$f" ] && n=$((n + 1))
	done 2>/dev/null
	echo "$n"
}

# rss_kib [PID]: the server's resident set, KiB.
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/${1:-$PID}/status"
}

# expect_fds_back DESC BASELINE [SECONDS] [FILE_LIMIT]: within SECONDS (10)
# the server holds no more non-file descriptors than BASELINE, and at most
# FILE_LIMIT (64, the default --fd-limit) descriptors on files.
expect_fds_back() {
	local i n f
	CHECKS=$((CHECKS + 1))
	for i in $(seq $((${3:-10} * 10))); do
		n=$(fd_count)
		[ "$n" -le "$2" ] && break
		sleep 0.1
	done
	f=$(file_fd_count)
	if [ "$n" -le "$2" ] && [ "$f" -le "${4:-64}" ]; then
		ok "descriptors back to $n (baseline $2; $f on files) after: $1"
	else
		fail "descriptors: $n besides files (baseline $2), $f on files (limit ${4:-64}), ${3:-10} s after: $1"
		ls -l "/proc/$PID/fd" >&2
	fi
}

# bg COMMAND...: run in the background, remembered for cleanup; sets BGPID.
bg() {
	"$@" &
	BGPID=$!
	BG_PIDS+=("$BGPID")
}

# bg_wait: wait for the background clients (never the servers), forget them.
bg_wait() {
	local p
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
}

# wait_for DESC SECONDS COMMAND...: poll COMMAND every 0.1 s; 1 when it never succeeded.
wait_for() {
	local desc=$1 n=$(($2 * 10)) i
	shift 2
	for i in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	echo "$TEST_NAME: timed out waiting for $desc" >&2
	return 1
}

# file_size FILE (0 when missing)
file_size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# pack_of REPO: the path of the repository's (first) pack.
pack_of() {
	ls "$1"/objects/pack/pack-*.pack | head -1
}
