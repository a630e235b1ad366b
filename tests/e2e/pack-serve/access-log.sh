#!/usr/bin/env bash
# access-log.sh: --access-log FILE has one line per request, with its status and the bytes of the body sent.
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic
PACK=$(pack_of "$ROOT/basic.git")
SIZE=$(file_size "$PACK")
P=/basic.git/objects/pack/$(basename "$PACK")
LOG=$TMP/access.log
ps_start "$ROOT" --access-log "$LOG"
ALIVE_URL=$BASE/basic.git/info/refs

# Requests with known answers: status and body bytes.
"${CURL[@]}" -o /dev/null "$BASE$P"                      # 200 SIZE
"${CURL[@]}" -o /dev/null -r 0-99 "$BASE$P"              # 206 100
"${CURL[@]}" -o /dev/null "$BASE/basic.git/nothing"      # 404
"${CURL[@]}" -o /dev/null -r "$SIZE-" "$BASE$P"          # 416
"${CURL[@]}" -o /dev/null -X POST "$BASE$P"              # 405
"${CURL[@]}" -o /dev/null -I "$BASE$P"                   # HEAD 200, 0 bytes
$RAWHTTP status "$PORT" "GARBAGE\r\n\r\n" >/dev/null     # 400
"${CURL[@]}" -o /dev/null "$BASE$P" "$BASE$P"            # two on one connection
# The log may be written when the connection closes: give it a moment.
wait_for "9 access log lines" 5 test "$(wc -l <"$LOG" 2>/dev/null || echo 0)" -ge 9
sed 's/^/    log: /' "$LOG"
expect_eq "one line per request" 9 "$(wc -l <"$LOG")"

# line_has N STATUS BYTES: line N holds STATUS and BYTES as fields.
line_has() {
	local line
	line=$(sed -n "$1p" "$LOG")
	CHECKS=$((CHECKS + 1))
	if echo " $line " | grep -q " $2 " && echo " $line " | grep -qE " $3 "; then
		ok "log line $1 has status $2 and $3 bytes"
	else
		fail "log line $1 should have status $2 and $3 bytes: $line"
	fi
}
line_has 1 200 "$SIZE"
line_has 2 206 100
line_has 3 404 '[0-9]+'
line_has 4 416 '[0-9]+'
line_has 5 405 '[0-9]+'
line_has 6 200 0
line_has 7 400 '[0-9]+'
line_has 8 200 "$SIZE"
line_has 9 200 "$SIZE"
check "log lines name the request path" grep -q "$P" "$LOG"
check "the HEAD request is logged as HEAD" grep -q 'HEAD' <(sed -n 6p "$LOG")
expect_alive "access log"

# A download cut short logs the bytes really sent (fewer than the file).
serve_big
$RAWHTTP rst "$PORT" "$BIGURL" --read 100000
wait_for "the cut download's log line" 5 test "$(wc -l <"$LOG")" -ge 11
last=$(grep "$(basename "$BIG")" "$LOG" | tail -1)
echo "    log: $last"
bytes=$(echo "$last" | tr ' ' '\n' | grep -E '^[0-9]+$' | awk -v s="$(file_size "$BIG")" '$1 >= 100000 && $1 < s' | head -1)
check "a cut download logs the bytes sent, not the file's size ($last)" test -n "$bytes"
ps_stop

# --access-log - writes to stdout, after the listening line.
ps_start "$ROOT" --access-log -
ALIVE_URL=$BASE/basic.git/info/refs
"${CURL[@]}" -o /dev/null "$BASE/basic.git/HEAD"
wait_for "a log line on stdout" 5 test "$(wc -l <"$SOUT")" -ge 2
check "--access-log -: the request is logged on stdout" grep -q '/basic.git/HEAD' "$SOUT"
ps_finish
