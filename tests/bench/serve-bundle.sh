#!/usr/bin/env bash
# serve-bundle.sh: what a bundle costs pack-serve next to the pack it is made of — server CPU per GB (perf stat task-clock) downloading the libgit2 corpus's .pack, its one-pack bundle, the bundle of the same objects split into two packs (trailer cached), and nginx serving a `git bundle create --all` file of the same repository; and the time to the first byte of a bundle for a pack set seen for the first time (closure proof + trailer; with and without a reachability bitmap) against `git bundle create --all` on the same repository.
#
# Usage: PACK_SERVE=build/tools/pack-serve tests/bench/serve-bundle.sh [ROUNDS] [DOWNLOADS]
#
# One worker (--threads 1); the three downloads interleaved for ROUNDS (5)
# rounds of DOWNLOADS (10) sequential curl downloads each. Prints CPU s/GB
# per round (sorted) and medians, then the first-byte times. Needs perf,
# curl, git; installs nginx (Debian's nginx-light) when it is missing
# (bench dependencies are this script's, not `make deps`'). nginx runs one
# worker with sendfile on, as pack-serve runs one thread; its worker's
# task-clock is counted. Run from the project's root.
set -euo pipefail

PACK_SERVE=${PACK_SERVE:-build/tools/pack-serve}
ROUNDS=${1:-5}
DOWNLOADS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/lib.sh
. "$HERE/lib.sh"
CORPUS=${CORPUS:-$HERE/../../../shared/corpus}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
if [ ! -x "$NGINX" ]; then
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx-light >/dev/null ||
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
for t in perf curl git "$PACK_SERVE" "$NGINX"; do
	command -v "$t" >/dev/null || [ -x "$t" ] || { echo "serve-bundle.sh: $t is missing" >&2; exit 2; }
done

OUT=$(mktemp -d /tmp/packwin-serve-bundle.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$OUT"
}
trap cleanup EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME=$OUT

mkdir -p "$OUT/root"
cp -al "$CORPUS/libgit2.git" "$OUT/root/one.git" 2>/dev/null || cp -a "$CORPUS/libgit2.git" "$OUT/root/one.git"
PACK=$(ls "$OUT"/root/one.git/objects/pack/pack-*.pack | head -1)
SIZE=$(stat -c %s "$PACK")
# two.git: the same objects in two packs, split at the oldest tag's history.
cp -al "$OUT/root/one.git" "$OUT/root/two.git" 2>/dev/null || cp -a "$OUT/root/one.git" "$OUT/root/two.git"
rm -f "$OUT"/root/two.git/objects/pack/*
OLD=$(git --git-dir="$OUT/root/one.git" for-each-ref --count=1 --sort=creatordate --format='%(objectname)' refs/tags)
echo "$OLD" | git --git-dir="$OUT/root/one.git" pack-objects -q --revs --delta-base-offset "$OUT/root/two.git/objects/pack/pack" >/dev/null
printf '^%s\n' "$OLD" | git --git-dir="$OUT/root/one.git" pack-objects -q --revs --all --delta-base-offset "$OUT/root/two.git/objects/pack/pack" >/dev/null
cat "$OUT"/root/*/objects/pack/*.pack >/dev/null # page cache warm
bench_check_cores

"$PACK_SERVE" --threads 1 -l 127.0.0.1:0 "$OUT/root" >"$OUT/ps.out" &
PIDS+=($!)
PID=$!
for _ in $(seq 50); do [ -s "$OUT/ps.out" ] && break; sleep 0.1; done
PORT=$(sed -n 's|^listening on http://.*:\([0-9]*\)/$|\1|p' "$OUT/ps.out")
B=http://127.0.0.1:$PORT

# First bundle of each pack set: proof and (two.git) trailer. bm.git: one.git
# repacked by git with a reachability bitmap (-adb), as git gc leaves a bare
# repository. FB_ROUNDS rounds, each on fresh hard-linked copies (the proof
# cache is per repository), against git bundle create --all on the same one.
FB_ROUNDS=${FB_ROUNDS:-5}
cp -a "$OUT/root/one.git" "$OUT/root/bm.git"
git --git-dir="$OUT/root/bm.git" repack -qadb
# mb.git: two.git's two packs under a multi-pack-index with its bitmap (geometric maintenance's layout)
cp -a "$OUT/root/two.git" "$OUT/root/mb.git"
git --git-dir="$OUT/root/mb.git" multi-pack-index write --bitmap 2>/dev/null
ttfb() { curl -sf -o "$2" -w '%{time_starttransfer}\n' "$B/$1"; }
gitb() {
	local start
	start=$(date +%s.%N)
	git --git-dir="$OUT/root/$1" bundle create "$2" --all 2>/dev/null
	echo "$(date +%s.%N) - $start" | bc
}
for r in $(seq "$FB_ROUNDS"); do
	for k in one two bm mb; do
		cp -al "$OUT/root/$k.git" "$OUT/root/fb$r-$k.git"
		ttfb "fb$r-$k.git/bundle" "$OUT/$k.bundle" >>"$OUT/fb-$k"
	done
	gitb one.git "$OUT/git.bundle" >>"$OUT/fb-git-one"
	gitb bm.git "$OUT/git-bm.bundle" >>"$OUT/fb-git-bm"
	gitb mb.git "$OUT/git-mb.bundle" >>"$OUT/fb-git-mb"
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fbrow() { echo "| $1 | $(sort -n "$OUT/fb-$2" | paste -sd' ') | $(median "$OUT/fb-$2") |"; }
ratio() { echo "scale=1; $(median "$OUT/fb-$1") / $(median "$OUT/fb-$2")" | bc; }

# nginx, one worker, serving the bundle git wrote (what a static host or CDN would hold).
mkdir -p "$OUT/nginx/www" "$OUT/nginx/tmp"
ln "$OUT/git.bundle" "$OUT/nginx/www/git.bundle" 2>/dev/null || cp "$OUT/git.bundle" "$OUT/nginx/www/"
# Its worker runs as another user when started by root: let it read the bundle.
chmod 755 "$OUT" "$OUT/nginx" "$OUT/nginx/www"
chmod 644 "$OUT/nginx/www/git.bundle"
NPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$OUT/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path $OUT/nginx/tmp;
	proxy_temp_path $OUT/nginx/tmp;
	fastcgi_temp_path $OUT/nginx/tmp;
	uwsgi_temp_path $OUT/nginx/tmp;
	scgi_temp_path $OUT/nginx/tmp;
	server { listen 127.0.0.1:$NPORT; root $OUT/nginx/www; }
}
EOF
"$NGINX" -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" &
PIDS+=($!)
NMASTER=$!
NWORKER= nok=
for _ in $(seq 50); do
	NWORKER=$(pgrep -P "$NMASTER" | head -1 || true)
	[ -n "$NWORKER" ] && curl -sf -o /dev/null "http://127.0.0.1:$NPORT/git.bundle" && nok=1 && break
	sleep 0.1
done
[ -n "$nok" ] || { echo "serve-bundle.sh: nginx did not start" >&2; cat "$OUT/nginx/error.log" >&2; exit 2; }

# one.git's and two.git's proofs made before the CPU rounds: those measure downloads only
curl -sf -o "$OUT/one.bundle" "$B/one.git/bundle"
curl -sf -o "$OUT/two.bundle" "$B/two.git/bundle"
declare -A URL=( [pack]=$B/one.git/objects/pack/$(basename "$PACK") [bundle-1]=$B/one.git/bundle
	[bundle-2]=$B/two.git/bundle [nginx-git-bundle]=http://127.0.0.1:$NPORT/git.bundle )
declare -A BYTES=( [pack]=$SIZE [bundle-1]=$(stat -c %s "$OUT/one.bundle") [bundle-2]=$(stat -c %s "$OUT/two.bundle")
	[nginx-git-bundle]=$(stat -c %s "$OUT/git.bundle") )
declare -A SERVER=( [pack]=$PID [bundle-1]=$PID [bundle-2]=$PID [nginx-git-bundle]=$NWORKER )
names=(pack bundle-1 bundle-2 nginx-git-bundle)
for r in $(seq "$ROUNDS"); do
	for n in "${names[@]}"; do
		perf stat -e task-clock -p "${SERVER[$n]}" -o "$OUT/stat" &
		sp=$!
		sleep 0.2
		for _ in $(seq "$DOWNLOADS"); do curl -sf -o /dev/null "${URL[$n]}"; done
		kill -INT "$sp"
		wait "$sp" || true
		awk -v n="$n" -v b="${BYTES[$n]}" -v d="$DOWNLOADS" '/task-clock/ { gsub(",", "", $1); printf "%s %.3f\n", n, $1 / 1000 / (b * d / 1e9) }' "$OUT/stat" >>"$OUT/results"
	done
done

echo "| download | bytes | CPU s/GB, each round (sorted) | median |"
echo "|---|---:|---|---:|"
for n in "${names[@]}"; do
	vals=$(awk -v n="$n" '$1 == n { print $2 }' "$OUT/results" | sort -n)
	med=$(echo "$vals" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "| $n | ${BYTES[$n]} | $(echo $vals) | $med |"
done
echo
echo "| first bundle of a pack set ($FB_ROUNDS rounds) | seconds, each round (sorted) | median |"
echo "|---|---|---:|"
fbrow "one pack: time to first byte (closure walk)" one
fbrow "two packs: time to first byte (closure walk + trailer)" two
fbrow "one pack with a bitmap (repack -adb): time to first byte" bm
fbrow "two packs, multi-pack-index bitmap: time to first byte (trailer)" mb
fbrow "git bundle create --all (writes the pack)" git-one
fbrow "git bundle create --all, bitmapped repository" git-bm
fbrow "git bundle create --all, multi-pack-index bitmap" git-mb
echo
bench_check_cores
echo "git bundle create / pack-serve first byte: one pack $(ratio git-one one)x, two packs $(ratio git-one two)x, bitmapped $(ratio git-bm bm)x, multi-pack-index bitmap $(ratio git-mb mb)x"
