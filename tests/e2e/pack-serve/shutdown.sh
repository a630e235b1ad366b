#!/usr/bin/env bash
# shutdown.sh: SIGTERM and SIGINT end the server with status 0 in bounded time — idle, with idle keep-alive connections, in the middle of slow downloads (--shutdown-timeout) — and it stops listening; start-up errors exit non-zero with one line naming the problem.
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic
serve_big

# stop_within SIGNAL SECONDS DESC: send SIGNAL; the server must exit 0 within SECONDS.
stop_within() {
	local sig=$1 limit=$2 desc=$3 start end rc exited=1
	start=$(date +%s%N)
	kill "-$sig" "$PID"
	wait_exited "$PID" "$limit" || exited=0
	end=$(date +%s%N)
	CHECKS=$((CHECKS + 1))
	if [ "$exited" = 0 ]; then
		fail "$desc: still running $limit s after SIG$sig"
		kill -KILL "$PID"
		wait "$PID" 2>/dev/null
	else
		wait "$PID"
		rc=$?
		ok "$desc: exited after $(((end - start) / 1000000)) ms"
		expect_eq "$desc: exit status after SIG$sig" 0 "$rc"
	fi
	SERVER_PIDS=()
	code=$("${CURL[@]}" --max-time 3 -o /dev/null -w '%{http_code}' "$BASE/basic.git/HEAD" 2>/dev/null)
	expect_eq "$desc: nothing listens any more" 000 "$code"
}

# 1. idle
ps_start "$ROOT"
"${CURL[@]}" -o /dev/null "$BASE/basic.git/info/refs"
stop_within TERM 5 "idle, SIGTERM"
ps_start "$ROOT"
"${CURL[@]}" -o /dev/null "$BASE/basic.git/info/refs"
stop_within INT 5 "idle, SIGINT"

# 2. idle keep-alive connections held open by clients (idle timeout far away)
ps_start "$ROOT" --idle-timeout 60
for i in 1 2 3 4 5; do
	bg $RAWHTTP send "$PORT" "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\n" --timeout 30 >/dev/null
done
sleep 0.5
stop_within TERM 5 "five idle keep-alive connections, SIGTERM"
kill "${BG_PIDS[@]}" 2>/dev/null
bg_wait

# 3. slow downloads in flight, --shutdown-timeout 2: finished or cut within it.
ps_start "$ROOT" --shutdown-timeout 2 --idle-timeout 60
for i in 1 2 3; do
	bg "${CURL[@]}" --limit-rate 2M -o "$TMP/dl.$i" "$BASE$BIGURL"
done
sleep 1
check "downloads were in flight" test "$(file_size "$TMP/dl.1")" -gt 0
stop_within TERM 6 "three slow downloads, --shutdown-timeout 2, SIGTERM"
kill "${BG_PIDS[@]}" 2>/dev/null
bg_wait

# 4. the same with SIGINT and a stalled reader.
ps_start "$ROOT" --shutdown-timeout 1 --idle-timeout 60
bg $RAWHTTP stall "$PORT" "$BIGURL" --hold 20
sleep 0.5
stop_within INT 5 "a stalled reader, --shutdown-timeout 1, SIGINT"
kill "${BG_PIDS[@]}" 2>/dev/null
bg_wait

# 5. a request that completes during the grace period is answered whole.
ps_start "$ROOT" --shutdown-timeout 5
bg "${CURL[@]}" --limit-rate 40M -o "$TMP/whole" "$BASE$BIGURL"
cpid=$BGPID
sleep 0.5
stop_within TERM 8 "a download that ends within --shutdown-timeout 5"
wait "$cpid"
expect_eq "a download in flight at SIGTERM, finishing within the grace period: curl status" 0 "$?"
expect_files_eq "... and it is whole" "$BIG" "$TMP/whole"
BG_PIDS=()

# 6. start-up errors: one line on stderr starting with the program's name, non-zero status.
startup_error() {
	local desc=$1 want=$2 rc
	shift 2
	timeout 10 "$PACK_SERVE" "$@" >"$TMP/su.out" 2>"$TMP/su.err"
	rc=$?
	CHECKS=$((CHECKS + 1))
	if echo " $want " | grep -q " $rc "; then ok "$desc: exit status $rc"; else fail "$desc: exit status $rc, want one of: $want; stderr: $(head -3 "$TMP/su.err")"; fi
	check "$desc: an error line starting with 'pack-serve'" grep -q '^pack-serve' "$TMP/su.err"
}
startup_error "missing ROOT argument" "2" --listen 127.0.0.1:0
startup_error "unknown option" "2" --no-such-option "$ROOT"
startup_error "ROOT does not exist" "2 3" --listen 127.0.0.1:0 "$TMP/nowhere"
startup_error "bad --listen" "2" --listen nonsense "$ROOT"
startup_error "bad --max-connections" "2" --listen 127.0.0.1:0 --max-connections -3 "$ROOT"
ps_start "$ROOT"
startup_error "port already in use" "3 4 5 6 7 8 9 10" --listen "127.0.0.1:$PORT" "$ROOT"
ALIVE_URL=$BASE/basic.git/info/refs
expect_alive "a second server failing on the same port"
timeout 10 "$PACK_SERVE" --help >"$TMP/help.out" 2>&1
expect_eq "--help: exit status" 0 "$?"
check "--help: usage on stdout" grep -qi 'usage' "$TMP/help.out"
ps_finish
