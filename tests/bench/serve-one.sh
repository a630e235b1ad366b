#!/usr/bin/env bash
# serve-one.sh: one large download at a time — server CPU per GB of pack-serve against nginx, measured with perf stat's task-clock.
#
# Usage: PACK_SERVE=build/tools/pack-serve tests/bench/serve-one.sh [ROUNDS] [DOWNLOADS]
#
# serve.sh reads CPU time from /proc/PID/stat, in 10 ms ticks: over a few
# downloads of a pack that is ±10%. Here each server's CPU is counted by
# `perf stat -e task-clock -p PID` around DOWNLOADS (10) sequential curl
# downloads of the libgit2 corpus pack, one worker each (pack-serve
# --threads 1, nginx worker_processes 1, sendfile on, tcp_nopush on), the
# servers interleaved for ROUNDS (7) rounds. Prints the CPU seconds per GB
# of every round, sorted, and the medians. Extra pack-serve binaries to
# compare: PACK_SERVE_B. Needs perf, curl, nginx (apt-get install
# linux-perf nginx-light). Run as root, from the project's root.
set -euo pipefail

PACK_SERVE=${PACK_SERVE:-build/tools/pack-serve}
PACK_SERVE_B=${PACK_SERVE_B:-}
ROUNDS=${1:-7}
DOWNLOADS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=${CORPUS:-$HERE/../../../shared/corpus}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

for t in perf curl "$NGINX" "$PACK_SERVE"; do
	command -v "$t" >/dev/null || [ -x "$t" ] || { echo "serve-one.sh: $t is missing" >&2; exit 2; }
done

OUT=$(mktemp -d /tmp/packwin-serve-one.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$OUT"
}
trap cleanup EXIT

mkdir -p "$OUT/root" "$OUT/nginx/logs" "$OUT/nginx/tmp"
cp -al "$CORPUS/libgit2.git" "$OUT/root/libgit2.git" 2>/dev/null || cp -a "$CORPUS/libgit2.git" "$OUT/root/libgit2.git"
PACK=$(ls "$OUT"/root/libgit2.git/objects/pack/pack-*.pack | head -1)
URL=/libgit2.git/objects/pack/$(basename "$PACK")
SIZE=$(stat -c %s "$PACK")
cat "$PACK" >/dev/null # page cache warm

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NPORT=$(free_port)
cat >"$OUT/nginx.conf" <<EOF
user root; # the temporary ROOT is private to root (mktemp -d)
worker_processes 1;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path $OUT/nginx/tmp;
	proxy_temp_path $OUT/nginx/tmp;
	fastcgi_temp_path $OUT/nginx/tmp;
	uwsgi_temp_path $OUT/nginx/tmp;
	scgi_temp_path $OUT/nginx/tmp;
	server { listen 127.0.0.1:$NPORT; root $OUT/root; }
}
EOF
"$NGINX" -c "$OUT/nginx.conf" -g 'daemon off;' &
PIDS+=($!)

start_ps() { # binary name
	"$1" --threads 1 -l 127.0.0.1:0 "$OUT/root" >"$OUT/$2.out" &
	PIDS+=($!)
	echo $! >"$OUT/$2.pid"
}
start_ps "$PACK_SERVE" a
[ -n "$PACK_SERVE_B" ] && start_ps "$PACK_SERVE_B" b
for _ in $(seq 50); do
	[ -s "$OUT/a.out" ] && [ -s "$OUT/nginx/nginx.pid" ] && break
	sleep 0.1
done
sleep 0.5
NWORKER=$(pgrep -P "$(cat "$OUT/nginx/nginx.pid")" | head -1)
[ -n "$NWORKER" ] || { echo "serve-one.sh: no nginx worker" >&2; exit 1; }
port_of() { sed -n 's|^listening on http://.*:\([0-9]*\)/$|\1|p' "$OUT/$1.out"; }

names=(a nginx)
[ -n "$PACK_SERVE_B" ] && names=(a b nginx)
for r in $(seq "$ROUNDS"); do
	for n in "${names[@]}"; do
		if [ "$n" = nginx ]; then pid=$NWORKER; port=$NPORT; else pid=$(cat "$OUT/$n.pid"); port=$(port_of "$n"); fi
		perf stat -e task-clock -p "$pid" -o "$OUT/stat" &
		sp=$!
		sleep 0.2
		for _ in $(seq "$DOWNLOADS"); do curl -sf -o /dev/null "http://127.0.0.1:$port$URL"; done
		kill -INT "$sp"
		wait "$sp" || true
		awk -v n="$n" -v b="$SIZE" -v d="$DOWNLOADS" '/task-clock/ { gsub(",", "", $1); printf "%s %.3f\n", n, $1 / 1000 / (b * d / 1e9) }' "$OUT/stat" >>"$OUT/results"
	done
done

echo "| server | CPU s/GB, each round (sorted) | median |"
echo "|---|---|---:|"
for n in "${names[@]}"; do
	label=$n
	[ "$n" = a ] && label="pack-serve ($PACK_SERVE)"
	[ "$n" = b ] && label="pack-serve ($PACK_SERVE_B)"
	vals=$(awk -v n="$n" '$1 == n { print $2 }' "$OUT/results" | sort -n)
	med=$(echo "$vals" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "| $label | $(echo $vals) | $med |"
done
