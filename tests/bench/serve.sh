#!/usr/bin/env bash
# serve.sh: pack-serve (sendfile), pack-serve --no-sendfile and nginx side by side on the libgit2 corpus: requests/s, throughput, server CPU-seconds per GB sent, RSS with 10,000 idle connections.
#
# Usage: tests/bench/serve.sh [OUTDIR] > serve.md     (from the project's root)
# Variables: PACK_SERVE (build/tools/pack-serve; build it Release), RUNS (3),
# THREADS (2: pack-serve --threads and nginx worker_processes), DURATION
# (10: seconds of each wrk run), DOWNLOADS (10: sequential curl downloads in
# scenario b), IDLE (10000: idle connections in scenario c), CORPUS.
# Installs wrk and nginx-light with apt-get when missing (run as root).
# Markdown report on stdout, progress on stderr, raw numbers in OUTDIR.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PACK_SERVE=${PACK_SERVE:-build/tools/pack-serve}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
DOWNLOADS=${DOWNLOADS:-10}
IDLE=${IDLE:-10000}
CORPUS=${CORPUS:-$HERE/../../../shared/corpus}
PYTHON=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}
HZ=$(getconf CLK_TCK)

log() { echo "serve.sh: $*" >&2; }

[ -x "$PACK_SERVE" ] || { log "no pack-serve at $PACK_SERVE (set PACK_SERVE)"; exit 2; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

OUT=${1:-$(mktemp -d /tmp/packwin-bench-serve.XXXXXX)}
mkdir -p "$OUT"
RES=$OUT/results.txt
: >"$RES"
ROOT=$OUT/root
rm -rf "$ROOT"
mkdir -p "$ROOT"
# A hard-linked copy (pack-serve refuses symbolic links leading out of ROOT).
cp -al "$CORPUS/libgit2.git" "$ROOT/libgit2.git" 2>/dev/null || cp -a "$CORPUS/libgit2.git" "$ROOT/libgit2.git"
PACK=$(ls "$ROOT"/libgit2.git/objects/pack/pack-*.pack | head -1)
IDXF=${PACK%.pack}.idx
PACK_URL=/libgit2.git/objects/pack/$(basename "$PACK")
IDX_URL=/libgit2.git/objects/pack/$(basename "$IDXF")
PACK_SIZE=$(stat -c %s "$PACK")
IDX_SIZE=$(stat -c %s "$IDXF")
# Warm page cache.
cat "$PACK" "$IDXF" >/dev/null

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	kill "$(cat "$OUT/nginx/nginx.pid" 2>/dev/null)" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() {
	$PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_packserve LABEL [OPTIONS]: sets PORT_<LABEL> and MAIN_<LABEL>.
start_packserve() {
	local label=$1 i line
	shift
	"$PACK_SERVE" --listen 127.0.0.1:0 --threads "$THREADS" --idle-timeout 300 "$@" "$ROOT" \
		>"$OUT/$label.out" 2>"$OUT/$label.err" &
	PIDS+=($!)
	eval "MAIN_$label=$!"
	for i in $(seq 100); do
		line=$(grep -m1 '^listening on ' "$OUT/$label.out" || true)
		[ -n "$line" ] && break
		sleep 0.1
	done
	[ -n "$line" ] || { log "$label did not start"; cat "$OUT/$label.err" >&2; exit 1; }
	line=${line%/}
	eval "PORT_$label=${line##*:}"
}

start_nginx() {
	local d=$OUT/nginx
	mkdir -p "$d/logs" "$d/tmp"
	PORT_nginx=$(free_port)
	cat >"$d/nginx.conf" <<EOF
# nginx as a static server of the same ROOT, configured like pack-serve:
# sendfile, same number of workers, no access log, long keep-alive.
user root;
worker_processes $THREADS;
worker_rlimit_nofile 65536;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 20000; }
http {
	default_type application/octet-stream;
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 300;
	keepalive_requests 100000000;
	client_body_temp_path $d/tmp;
	proxy_temp_path $d/tmp;
	fastcgi_temp_path $d/tmp;
	uwsgi_temp_path $d/tmp;
	scgi_temp_path $d/tmp;
	server {
		listen 127.0.0.1:$PORT_nginx;
		root $ROOT;
	}
}
EOF
	"$NGINX" -p "$d" -c "$d/nginx.conf" -g 'daemon off;' 2>"$d/stderr" &
	PIDS+=($!)
	MAIN_nginx=$!
	local i
	for i in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT_nginx$IDX_URL" && break
		sleep 0.1
	done
}

# pids_of LABEL: the server's processes (nginx: master and workers).
pids_of() {
	local m
	eval "m=\$MAIN_$1"
	echo "$m"
	[ "$1" = nginx ] && pgrep -P "$m" || true
}

# cpu_ticks LABEL: utime+stime of the server's processes (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
	local p t=0
	for p in $(pids_of "$1"); do
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}

# rss_of LABEL FIELD: the sum of VmRSS or VmHWM (KiB) over the server's processes.
rss_of() {
	local p s=0
	for p in $(pids_of "$1"); do
		s=$((s + $(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$p/status")))
	done
	echo "$s"
}

# wrk_bytes FILE: the bytes wrk read ("N requests in Ts, X.YYMB read"; units of 1024).
wrk_bytes() {
	awk '/requests in/ { v = $(NF-1); u = v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+/, "", v);
		m = 1; if (u == "KB") m = 1024; if (u == "MB") m = 1048576; if (u == "GB") m = 1073741824; if (u == "TB") m = 1099511627776;
		printf "%.0f\n", v * m }' "$1"
}

LABELS=(packserve packserve_nosendfile nginx)
start_packserve packserve
start_packserve packserve_nosendfile --no-sendfile
start_nginx
for l in "${LABELS[@]}"; do
	eval "p=\$PORT_$l"
	curl -s -o "$OUT/check.$l" "http://127.0.0.1:$p$PACK_URL"
	cmp -s "$PACK" "$OUT/check.$l" || { log "$l does not serve the pack correctly"; exit 1; }
	rm -f "$OUT/check.$l"
done
log "servers up: pack-serve :$PORT_packserve, --no-sendfile :$PORT_packserve_nosendfile, nginx :$PORT_nginx"

# record SCENARIO LABEL ROUND KEY VALUE
record() { echo "$*" >>"$RES"; }

run_wrk() {
	local scen=$1 label=$2 round=$3 url=$4 port t0 t1 bytes f
	eval "port=\$PORT_$label"
	f=$OUT/wrk.$scen.$label.$round
	t0=$(cpu_ticks "$label")
	wrk -t2 -c64 -d"${DURATION}s" --timeout 60s "http://127.0.0.1:$port$url" >"$f"
	t1=$(cpu_ticks "$label")
	bytes=$(wrk_bytes "$f")
	record "$scen" "$label" "$round" rps "$(awk '/^Requests\/sec/ { print $2 }' "$f")"
	record "$scen" "$label" "$round" mbps "$(awk -v b="$bytes" -v d="$DURATION" 'BEGIN { printf "%.1f", b / d / 1048576 }')"
	record "$scen" "$label" "$round" cpu_per_gb "$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v b="$bytes" 'BEGIN { printf "%.3f", (t / hz) / (b / 1e9) }')"
	if grep -q 'Non-2xx\|Socket errors' "$f"; then
		log "$scen $label round $round: $(grep 'Non-2xx\|Socket errors' "$f")"
	fi
}

run_downloads() {
	local label=$1 round=$2 port t0 t1 s e i
	eval "port=\$PORT_$label"
	t0=$(cpu_ticks "$label")
	s=$(date +%s%N)
	for i in $(seq "$DOWNLOADS"); do
		curl -s -o /dev/null "http://127.0.0.1:$port$PACK_URL"
	done
	e=$(date +%s%N)
	t1=$(cpu_ticks "$label")
	record one "$label" "$round" mbps "$(awk -v b=$((PACK_SIZE * DOWNLOADS)) -v ns=$((e - s)) 'BEGIN { printf "%.0f", b / (ns / 1e9) / 1048576 }')"
	record one "$label" "$round" cpu_per_gb "$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v b=$((PACK_SIZE * DOWNLOADS)) 'BEGIN { printf "%.3f", (t / hz) / (b / 1e9) }')"
}

run_idle() {
	local label=$1 round=$2 port holder ready s e i
	eval "port=\$PORT_$label"
	ready=$OUT/idle.$label.$round.ready
	rm -f "$ready"
	record idle "$label" "$round" rss_before "$(rss_of "$label" VmRSS)"
	$PYTHON "$HERE/serve_idle.py" "$port" "/libgit2.git/HEAD" "$IDLE" "$ready" &
	holder=$!
	for i in $(seq 1200); do [ -s "$ready" ] && break; sleep 0.1; done
	record idle "$label" "$round" held "$(cut -d' ' -f1 "$ready" 2>/dev/null || echo 0)"
	record idle "$label" "$round" rss "$(rss_of "$label" VmRSS)"
	record idle "$label" "$round" hwm "$(rss_of "$label" VmHWM)"
	s=$(date +%s%N)
	curl -s -o /dev/null "http://127.0.0.1:$port$PACK_URL"
	e=$(date +%s%N)
	record idle "$label" "$round" mbps "$(awk -v b="$PACK_SIZE" -v ns=$((e - s)) 'BEGIN { printf "%.0f", b / (ns / 1e9) / 1048576 }')"
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	sleep 2
}

# Rounds: each scenario runs every server, the order rotating from round to round.
for round in $(seq "$RUNS"); do
	order=()
	for i in 0 1 2; do order+=("${LABELS[$(((i + round - 1) % 3))]}"); done
	log "round $round: ${order[*]}"
	for l in "${order[@]}"; do run_wrk idx "$l" "$round" "$IDX_URL"; done
	for l in "${order[@]}"; do run_wrk pack "$l" "$round" "$PACK_URL"; done
	for l in "${order[@]}"; do run_downloads "$l" "$round"; done
	for l in "${order[@]}"; do run_idle "$l" "$round"; done
done

# median SCENARIO LABEL KEY
median() {
	awk -v s="$1" -v l="$2" -v k="$3" '$1 == s && $2 == l && $4 == k { print $5 }' "$RES" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

name() {
	case "$1" in
	packserve) echo "pack-serve (sendfile)" ;;
	packserve_nosendfile) echo "pack-serve --no-sendfile" ;;
	nginx) echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')" ;;
	esac
}

commit=$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$HERE" diff HEAD 2>/dev/null | sha1sum | cut -c1-8)
cat <<EOF
## pack-serve against nginx (tests/bench/serve.sh)

Source tree $commit (uncommitted diff hash $dirty), binary built $(date -u -r "$PACK_SERVE" '+%Y-%m-%d %H:%M UTC');
$(nproc) CPUs, $(uname -r); $RUNS rounds, servers interleaved, medians. Each server:
$THREADS threads/workers, no access log, keep-alive; client and server on the
same machine (127.0.0.1), page cache warm. CPU/GB = the server's user+system
CPU seconds (/proc/PID/stat, nginx master + workers) per 10^9 bytes sent.
Pack: libgit2 corpus, $PACK_SIZE bytes; idx: $IDX_SIZE bytes.

Commands: \`PACK_SERVE=$PACK_SERVE RUNS=$RUNS THREADS=$THREADS DURATION=$DURATION tests/bench/serve.sh\`;
inside it \`wrk -t2 -c64 -d${DURATION}s --timeout 60s URL\`, \`curl -s -o /dev/null URL\` ×$DOWNLOADS,
\`serve_idle.py PORT /libgit2.git/HEAD $IDLE\`.

### (a) wrk -t2 -c64 -d${DURATION}s, keep-alive

| server | idx req/s | idx MiB/s | idx CPU s/GB | pack req/s | pack MiB/s | pack CPU s/GB |
|---|---:|---:|---:|---:|---:|---:|
EOF
for l in "${LABELS[@]}"; do
	echo "| $(name "$l") | $(median idx "$l" rps) | $(median idx "$l" mbps) | $(median idx "$l" cpu_per_gb) | $(median pack "$l" rps) | $(median pack "$l" mbps) | $(median pack "$l" cpu_per_gb) |"
done
cat <<EOF

### (b) one download at a time (curl, $DOWNLOADS in a row)

| server | MiB/s | CPU s/GB |
|---|---:|---:|
EOF
for l in "${LABELS[@]}"; do
	echo "| $(name "$l") | $(median one "$l" mbps) | $(median one "$l" cpu_per_gb) |"
done
cat <<EOF

### (c) $IDLE idle keep-alive connections (one request answered on each, then held)

| server | connections held | RSS before (KiB) | RSS with them (KiB) | peak RSS VmHWM (KiB) | pack download beside them (MiB/s) |
|---|---:|---:|---:|---:|---:|
EOF
for l in "${LABELS[@]}"; do
	echo "| $(name "$l") | $(median idle "$l" held) | $(median idle "$l" rss_before) | $(median idle "$l" rss) | $(median idle "$l" hwm) | $(median idle "$l" mbps) |"
done
echo
echo "Raw numbers: $RES"
