#!/usr/bin/env bash
# systemd.sh: docs/pack-serve.service and .socket pass `systemd-analyze verify` and carry the sandboxing the man page promises; systemd's own socket activator (systemd-socket-activate) hands pack-serve a socket it serves.
. "$(dirname "$0")/lib.sh"
ps_setup
for t in systemd-analyze systemd-socket-activate; do
	command -v "$t" >/dev/null || { echo "$TEST_NAME: $t is not installed" >&2; exit 77; }
done
DOCS=$HERE/../../../docs

serve_fixture basic

# --- the units: valid, sandboxed
mkdir -p "$TMP/units"
# The binary under test instead of /usr/local/bin; no man page lookup (it is not installed here).
sed -e "s|/usr/local/bin/pack-serve|$PACK_SERVE|" -e '/^Documentation=/d' \
	"$DOCS/pack-serve.service" >"$TMP/units/pack-serve.service"
sed -e '/^Documentation=/d' "$DOCS/pack-serve.socket" >"$TMP/units/pack-serve.socket"
CHECKS=$((CHECKS + 1))
if systemd-analyze verify "$TMP/units/pack-serve.service" "$TMP/units/pack-serve.socket" >"$TMP/verify" 2>&1; then
	ok "systemd-analyze verify"
else
	fail "systemd-analyze verify:"
	cat "$TMP/verify" >&2
fi
check "systemd-analyze verify says nothing" test ! -s "$TMP/verify"
for opt in DynamicUser=yes ProtectSystem=strict ReadOnlyPaths=/srv/git NoNewPrivileges=yes; do
	check "the service sets $opt" grep -qx "$opt" "$DOCS/pack-serve.service"
done
check "the socket listens where the service would" grep -qx 'ListenStream=127.0.0.1:8080' "$DOCS/pack-serve.socket"
check "the service's options are pack-serve's (--help accepts them)" bash -c \
	"cmd=\$(sed -n 's|^ExecStart=/usr/local/bin/pack-serve ||p' '$DOCS/pack-serve.service'); \
	 for o in \$cmd; do case \$o in --*) '$PACK_SERVE' --help | grep -q -- \"\$o\" || exit 1;; esac; done"

# --- systemd-socket-activate: the socket systemd makes is served
PORT=$($PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SOUT=$TMP/sa.out
SERR=$TMP/sa.err
# Without --accept it waits for the first connection, then execs pack-serve with the socket as descriptor 3 (the pid stays).
systemd-socket-activate -l "127.0.0.1:$PORT" "$PACK_SERVE" --listen 127.0.0.1:0 "$ROOT" >"$SOUT" 2>"$SERR" &
PID=$!
SERVER_PIDS+=("$PID")
wait_for "systemd-socket-activate to listen" 10 grep -q "Listening on 127.0.0.1:$PORT" "$SERR"
ALIVE_URL=http://127.0.0.1:$PORT/basic.git/info/refs
expect_status "the first request starts pack-serve and is answered" 200 "$ALIVE_URL"
wait_for "the listening line" 10 grep -q '^listening on ' "$SOUT"
expect_eq "pack-serve serves systemd's socket" "listening on http://127.0.0.1:$PORT/" "$(head -1 "$SOUT")"
if git clone -q "http://127.0.0.1:$PORT/basic.git" "$TMP/clone" 2>"$TMP/err"; then
	check "a clone through systemd's socket passes fsck" git -C "$TMP/clone" fsck --no-progress
else
	fail "git clone through systemd's socket failed:"
	cat "$TMP/err" >&2
fi
expect_alive "systemd-socket-activate"
ps_finish
