#!/usr/bin/env bash
# socket-activation.sh: a listening socket passed as descriptor 3 with LISTEN_PID/LISTEN_FDS (sd_listen_fds(3), what a systemd .socket unit does) is served instead of --listen; LISTEN_PID of another process is ignored; a descriptor 3 that is no listening socket is an error.
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic

# The launcher: listen on 127.0.0.1:0, write the port to argv[1], put the
# socket at descriptor 3 and exec argv[2:] with LISTEN_FDS=1 and
# LISTEN_PID set to its own pid, which exec keeps. With "--other-pid",
# LISTEN_PID names another process; with "--not-a-socket", descriptor 3
# is a regular file.
LAUNCH='
import os, socket, sys
mode = "ok"
args = sys.argv[1:]
if args[0] in ("--other-pid", "--not-a-socket"):
    mode = args.pop(0)
portfile, argv = args[0], args[1:]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(portfile, "w") as f:
    f.write("%d\n" % s.getsockname()[1])
if mode == "--not-a-socket":
    fd = os.open(portfile, os.O_RDONLY)
else:
    fd = s.fileno()
if fd != 3:
    os.dup2(fd, 3)
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_FDS="1",
           LISTEN_PID=str(os.getpid() if mode != "--other-pid" else 1))
os.execve(argv[0], argv, env)
'

# activate [MODE] ARGS...: start pack-serve through the launcher; sets PID, SOUT, SERR, APORT.
activate() {
	PS_N=$((PS_N + 1))
	SOUT=$TMP/server.$PS_N.out
	SERR=$TMP/server.$PS_N.err
	rm -f "$TMP/port"
	$PYTHON -c "$LAUNCH" "$@" >"$SOUT" 2>"$SERR" &
	PID=$!
	SERVER_PIDS+=("$PID")
	wait_for "the launcher's port" 10 test -s "$TMP/port"
	APORT=$(cat "$TMP/port")
}

# --- the activated socket is served; --listen (a port already taken: the activated one) is not bound
activate "$TMP/port" "$PACK_SERVE" --listen "127.0.0.1:1" --access-log "$TMP/access.log" "$ROOT"
wait_for "the listening line" 10 grep -q '^listening on ' "$SOUT"
expect_eq "the listening line names the activated socket" "listening on http://127.0.0.1:$APORT/" "$(head -1 "$SOUT")"
ALIVE_URL=http://127.0.0.1:$APORT/basic.git/info/refs
expect_status "info/refs through the activated socket" 200 "$ALIVE_URL"
if git clone -q "http://127.0.0.1:$APORT/basic.git" "$TMP/clone" 2>"$TMP/err"; then
	check "a clone through the activated socket passes fsck" git -C "$TMP/clone" fsck --no-progress
else
	fail "git clone through the activated socket failed:"
	cat "$TMP/err" >&2
fi
check "descriptor 3 is the listening socket" bash -c "readlink /proc/$PID/fd/3 | grep -q '^socket:'"
ps_stop

# --- LISTEN_PID names another process: not ours, --listen is bound as usual
activate --other-pid "$TMP/port" "$PACK_SERVE" --listen 127.0.0.1:0 "$ROOT"
wait_for "the listening line" 10 grep -q '^listening on ' "$SOUT"
got=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$SOUT")
check "another process's LISTEN_PID: a port of its own ($got, not $APORT)" test -n "$got" -a "$got" != "$APORT"
ALIVE_URL=http://127.0.0.1:$got/basic.git/info/refs
expect_alive "LISTEN_PID of another process"
ps_stop

# --- descriptor 3 is not a listening socket: exit 4 with a message
activate --not-a-socket "$TMP/port" "$PACK_SERVE" --listen 127.0.0.1:0 "$ROOT"
wait_exited "$PID" 10
wait "$PID"
rc=$?
SERVER_PIDS=()
expect_eq "descriptor 3 not a socket: exit status 4" 4 "$rc"
check "…with a message naming it" grep -q 'socket activation: descriptor 3 is not a listening stream socket' "$SERR"

ps_finish
