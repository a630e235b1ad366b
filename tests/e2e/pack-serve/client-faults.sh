#!/usr/bin/env bash
# client-faults.sh: misbehaving clients — tricklers and idle connections (--idle-timeout), readers that stall, clients vanishing mid-transfer (killed curl, RST), malformed and oversized requests, more clients than --max-connections; after each the server answers and its descriptors return to the baseline.
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic
serve_big
BIGSIZE=$(file_size "$BIG")
SMALL=$(pack_of "$ROOT/basic.git")
SMALLURL=/basic.git/objects/pack/$(basename "$SMALL")

ps_start "$ROOT" --idle-timeout 2
ALIVE_URL=$BASE/basic.git/info/refs
# Warm up (the first requests open and cache files), then take the baseline.
for u in "$ALIVE_URL" "$BASE$SMALLURL" "$BASE$BIGURL" "$BASE/big.git/info/refs"; do
	"${CURL[@]}" -o /dev/null "$u"
done
sleep 0.5
FDS=$(fd_count)
echo "baseline: $FDS descriptors"

# --- idle-timeout 2: a trickler (one byte a second) is dropped in time.
t=$($RAWHTTP trickle "$PORT" "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaa\r\n\r\n" --interval 1 --max 20)
rc=$?
expect_eq "trickling client: dropped (rawhttp trickle exit status)" 0 "$rc"
check "trickling client dropped within 2 s idle timeout + 3 s slack (after $t s)" awk -v t="$t" 'BEGIN { exit !(t + 0 > 0 && t <= 5) }'
expect_alive "a trickling client"
# A connection that never sends anything.
t=$($RAWHTTP trickle "$PORT" "" --interval 0.5 --max 20)
check "silent connection closed within 2 s idle timeout + 3 s slack (after $t s)" awk -v t="$t" 'BEGIN { exit !(t + 0 > 0 && t <= 5) }'
# An idle keep-alive connection after a complete exchange.
t=$($RAWHTTP trickle "$PORT" "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\n" --interval 0.01 --max 20)
check "idle keep-alive connection closed within 2 s + 3 s slack (after $t s)" awk -v t="$t" 'BEGIN { exit !(t + 0 > 0 && t <= 5) }'
expect_fds_back "idle and trickling clients" "$FDS"

# A reader that stops reading mid-pack: its connection is dropped, not held for ever.
# It holds its socket 12 s; the server must let go well before (2 s idle timeout).
bg $RAWHTTP stall "$PORT" "$BIGURL" --hold 12
sleep 0.5
check "a stalled reader holds a descriptor meanwhile" test "$(fd_count)" -gt "$FDS"
expect_fds_back "a reader stalled (idle timeout 2 s), while it still holds its socket" "$FDS" 7
kill "${BG_PIDS[@]}" 2>/dev/null
bg_wait
expect_alive "a stalled reader"

# --- clients vanishing mid-transfer
for i in 1 2 3; do
	bg "${CURL[@]}" --limit-rate 10M -o "$TMP/cut.$i" "$BASE$BIGURL"
done
sleep 1
for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
bg_wait
check "curl was killed mid-download" test "$(file_size "$TMP/cut.1")" -lt "$BIGSIZE"
expect_alive "three curls killed mid-download"
expect_fds_back "three curls killed mid-download" "$FDS"
for i in $(seq 20); do
	$RAWHTTP rst "$PORT" "$BIGURL" --read $((i * 100000)) || fail "rst client $i: short read before the reset"
done
expect_alive "20 clients resetting mid-download"
expect_fds_back "20 clients resetting mid-download" "$FDS"
# Clients that close after sending half a request, or a request and nothing more.
for i in $(seq 10); do
	$RAWHTTP send "$PORT" "GET /basic.git/HE" --timeout 0.05 >/dev/null
	$RAWHTTP send "$PORT" "GET $BIGURL HTTP/1.1\r\nHost: x\r\n\r\n" --timeout 0.01 >/dev/null
done
expect_alive "half requests and abandoned downloads"
expect_fds_back "half requests and abandoned downloads" "$FDS"

# --- malformed requests
status() { $RAWHTTP status "$PORT" "$1"; }
expect_eq "garbage" 400 "$(status "GARBAGE\r\n\r\n")"
code=$(status "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-tls-hello\r\n\r\n")
check "a TLS ClientHello gets 400 or a close (got $code)" test "$code" = 400 -o "$code" = none
expect_eq "request line of 5000 bytes" 414 "$(status "GET /$(head -c 5000 /dev/zero | tr '\0' a) HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "request line of 100000 bytes, no end" 414 "$(status "GET /$(head -c 100000 /dev/zero | tr '\0' a)")"
expect_eq "headers of 10000 bytes" 431 "$(status "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nX-Big: $(head -c 10000 /dev/zero | tr '\0' a)\r\n\r\n")"
many=""
for i in $(seq 100); do many="${many}X-H$i: v\r\n"; done
expect_eq "100 header fields" 431 "$(status "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n$many\r\n")"
expect_eq "Transfer-Encoding: chunked" 501 "$(status "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")"
expect_eq "two Host headers" 400 "$(status "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")"
expect_eq "a bad Content-Length" 400 "$(status "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")"
expect_eq "header without colon" 400 "$(status "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n")"
expect_eq "obs-fold" 400 "$(status "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n")"
expect_eq "a bad escape" 400 "$(status "GET /basic.git/%zzHEAD HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "lowercase method token is another method" 405 "$(status "get /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "bare LF line ends are accepted" 200 "$(status "GET /basic.git/HEAD HTTP/1.1\nHost: x\n\n")"
# After a 400 on a keep-alive connection the server closes it (it cannot know where the next request starts).
$RAWHTTP send "$PORT" "GARBAGE\r\n\r\nGET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\n" --parse --timeout 4 >"$TMP/raw"
rc=$?
expect_eq "after a 400 the connection is closed" 0 "$rc"
expect_eq "after a 400 nothing else is answered" 400 "$(awk '{ print $2 }' "$TMP/raw" | tr '\n' ' ' | sed 's/ $//')"
# Content-Length and Transfer-Encoding together (request smuggling): 400, and the connection is closed.
$RAWHTTP send "$PORT" "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\n" --parse --timeout 4 >"$TMP/raw"
rc=$?
expect_eq "Content-Length + Transfer-Encoding: the connection is closed" 0 "$rc"
expect_eq "Content-Length + Transfer-Encoding: 400 and nothing else" 400 "$(awk '{ print $2 }' "$TMP/raw" | tr '\n' ' ' | sed 's/ $//')"
expect_alive "malformed requests"
expect_fds_back "malformed requests" "$FDS"
ps_stop

# --- --max-connections 4, 10 clients at once: each is served whole or cleanly refused.
ps_start "$ROOT" --max-connections 4 --idle-timeout 5
ALIVE_URL=$BASE/basic.git/info/refs
"${CURL[@]}" -o /dev/null "$ALIVE_URL"
ZP=/big.git/objects/pack/$(basename "$BIG")
base_socks=$(ls -l /proc/$PID/fd | grep -c socket)
for i in $(seq 10); do
	bg bash -c "$(printf '%q ' "${CURL[@]}") --limit-rate 40M -o '$TMP/mc.$i' '$BASE$ZP'; echo \$? >'$TMP/mc.$i.rc'"
done
peak=0
for i in $(seq 150); do
	n=$(ls -l /proc/$PID/fd 2>/dev/null | grep -c socket)
	[ "$n" -gt "$peak" ] && peak=$n
	[ "$(ls "$TMP"/mc.*.rc 2>/dev/null | wc -l)" = 10 ] && break
	sleep 0.1
done
bg_wait
served=0 refused=0 bad=0
for i in $(seq 10); do
	rc=$(cat "$TMP/mc.$i.rc" 2>/dev/null || echo none)
	if [ "$rc" = 0 ] && cmp -s "$BIG" "$TMP/mc.$i"; then
		served=$((served + 1))
	elif [ "$rc" = 7 ] || [ "$rc" = 52 ] || [ "$rc" = 56 ] || [ "$rc" = 28 ]; then
		refused=$((refused + 1))
	else
		bad=$((bad + 1))
		echo "max-connections client $i: curl status $rc, $(file_size "$TMP/mc.$i") bytes" >&2
	fi
done
echo "max-connections 4: $served served whole, $refused refused, $bad broken; peak $peak sockets (baseline $base_socks)"
expect_eq "max-connections: no client got a broken download" 0 "$bad"
check "max-connections: at least 4 clients served" test "$served" -ge 4
# (+1: a connection being refused may be seen between its accept and close)
check "max-connections: at most 4 client sockets at once (peak $peak, baseline $base_socks)" test "$peak" -le $((base_socks + 5))
expect_alive "10 clients against --max-connections 4"
ps_finish
