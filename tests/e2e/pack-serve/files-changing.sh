#!/usr/bin/env bash
# files-changing.sh: a pack truncated while it is being sent (the transfer is cut short, logged, others go on) and a pack replaced with mv while being sent (the download in flight is the whole old file, the next one the new file); with sendfile and with --no-sendfile.
. "$(dirname "$0")/lib.sh"
ps_setup

ORIG=$(ls "$PACKWIN_CORPUS"/libgit2.git/objects/pack/pack-*.pack | head -1)
OTHER=$(ls "$PACKWIN_CORPUS"/zlib.git/objects/pack/pack-*.pack | head -1)
SIZE=$(file_size "$ORIG")
NAME=$(basename "$ORIG")

# wait_bytes FILE N: wait (at most 20 s) until FILE holds at least N bytes.
wait_bytes() {
	local i
	for i in $(seq 200); do
		[ "$(file_size "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

for mode in sendfile no-sendfile; do
	opts=()
	[ "$mode" = no-sendfile ] && opts=(--no-sendfile)
	ROOT=$TMP/root-$mode
	serve_fixture basic
	git init -q --bare "$ROOT/big.git"
	# Copies, not links: this test writes to them.
	cp "$ORIG" "${ORIG%.pack}.idx" "$ROOT/big.git/objects/pack/"
	SERVED=$ROOT/big.git/objects/pack/$NAME
	ps_start "$ROOT" --idle-timeout 10 "${opts[@]}"
	URL=$BASE/big.git/objects/pack/$NAME
	ALIVE_URL=$BASE/basic.git/info/refs
	"${CURL[@]}" -o /dev/null "$ALIVE_URL"
	"${CURL[@]}" -o /dev/null -r 0-0 "$URL"
	sleep 0.3
	FDS=$(fd_count)

	# --- truncated while served
	rm -f "$TMP/trunc"
	bg "${CURL[@]}" --limit-rate 8M -o "$TMP/trunc" "$URL"
	cpid=$BGPID
	wait_bytes "$TMP/trunc" 2000000 || fail "$mode: the slow download did not start"
	errlines=$(wc -l <"$SERR")
	truncate -s 20000000 "$SERVED"
	wait "$cpid"
	rc=$?
	BG_PIDS=()
	got=$(file_size "$TMP/trunc")
	echo "$mode: truncated to 20,000,000 bytes during the download: curl status $rc, $got of $SIZE bytes"
	check "$mode, truncated: the download is cut short (curl status $rc, $got bytes)" test "$rc" != 0 -a "$got" -lt "$SIZE"
	check "$mode, truncated: what came is the file's beginning" cmp -s -n "$got" "$ORIG" "$TMP/trunc"
	check "$mode, truncated: the server said so on stderr" test "$(wc -l <"$SERR")" -gt "$errlines"
	tail -n +$((errlines + 1)) "$SERR" | head -3 | sed 's/^/    stderr: /'
	expect_alive "$mode: a pack truncated while served"
	expect_status "$mode: others are still served" 200 "$BASE/basic.git/objects/pack/$(basename "$(pack_of "$ROOT/basic.git")")"
	# The truncated file itself: served as it now is, or refused; never a broken answer.
	code=$(http_code "$URL")
	CHECKS=$((CHECKS + 1))
	if [ "$code" = 200 ] && cmp -s "$SERVED" "$TMP/body"; then
		ok "$mode: the truncated file is now served as it is"
	elif [ "$code" = 404 ] || [ "$code" -ge 500 ] 2>/dev/null; then
		ok "$mode: the truncated file is now refused ($code)"
	else
		fail "$mode: the truncated file: status '$code', $(file_size "$TMP/body") bytes, file $(file_size "$SERVED") bytes"
	fi
	expect_fds_back "$mode: truncation" "$FDS"

	# --- replaced with mv while served
	cp "$ORIG" "$SERVED.new"
	mv "$SERVED.new" "$SERVED"
	"${CURL[@]}" -o /dev/null -r 0-0 "$URL"
	rm -f "$TMP/old"
	bg "${CURL[@]}" --limit-rate 30M -o "$TMP/old" "$URL"
	cpid=$BGPID
	wait_bytes "$TMP/old" 1000000 || fail "$mode: the download to be replaced did not start"
	cp "$OTHER" "$SERVED.new"
	mv "$SERVED.new" "$SERVED"
	wait "$cpid"
	rc=$?
	BG_PIDS=()
	expect_eq "$mode, replaced: the download in flight completes" 0 "$rc"
	expect_files_eq "$mode, replaced: the download in flight is the whole old file" "$ORIG" "$TMP/old"
	expect_status "$mode, replaced: the next download" 200 "$URL"
	expect_files_eq "$mode, replaced: the next download is the new file" "$OTHER" "$TMP/body"
	expect_alive "$mode: a pack replaced while served"
	expect_fds_back "$mode: replacement" "$FDS"
	ps_stop
done

ps_finish
