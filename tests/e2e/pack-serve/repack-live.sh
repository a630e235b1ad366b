#!/usr/bin/env bash
# repack-live.sh [SECONDS]: pack-serve steady under live repacks. While a loop repacks
# the served repository every 2 s (a new pack by fast-import, then in turn
# `git repack -ad && git gc --prune=now` and `git repack --geometric=2 -d --write-midx`),
# clients clone it (dumb HTTP) and download packs and the bundle slowly: every clone
# succeeds, every download is the bytes of the file it started on, and once the loop
# stops, within the idle timeout, pack-serve holds no deleted file (/proc/PID/fd,
# /proc/PID/maps) and its RSS is back to its baseline.
# SECONDS (default PACKSERVE_REPACK_SECONDS, else 8) is how long the loop runs.
. "$(dirname "$0")/lib.sh"
ps_setup
DURATION=${1:-${PACKSERVE_REPACK_SECONDS:-8}}
IDLE=5
T0=$SECONDS

mkdir -p "$ROOT" "$TMP/seen" "$TMP/res"
cp -a "$PACKWIN_CORPUS/zlib.git" "$ROOT/zlib.git"
chmod -R u+w "$ROOT/zlib.git"
REPO=$ROOT/zlib.git
git -C "$REPO" config gc.auto 0
git -C "$REPO" config gc.writeCommitGraph false
ps_start "$ROOT" --idle-timeout "$IDLE" --access-log "$TMP/access.log"
URL=$BASE/zlib.git

# save_packs: a hard link to every pack under its name in $TMP/seen, taken after each
# command of the loop and so before the next one can delete it: what a download of
# that name must be equal to (a pack's bytes never change for a given name).
save_packs() {
	local p
	for p in "$REPO"/objects/pack/pack-*.pack; do
		[ -e "$TMP/seen/${p##*/}" ] || ln "$p" "$TMP/seen/" 2>/dev/null
	done
}

# A commit of one new file, written as a pack of its own (no loose object: see pack-serve(1),
# REPACKS, on what a loose object packed and pruned under a client does).
N_COMMITS=0
new_pack() {
	N_COMMITS=$((N_COMMITS + 1))
	{
		echo "commit refs/heads/live"
		echo "committer T <t@example.com> $((1700000000 + N_COMMITS)) +0000"
		echo "data <<EOF"; echo "live $N_COMMITS"; echo "EOF"
		if [ "$N_COMMITS" = 1 ]; then
			echo "from refs/heads/$(git -C "$REPO" symbolic-ref --short HEAD)^0"
		else
			echo "from refs/heads/live^0"
		fi
		echo "M 644 inline live-$N_COMMITS.txt"
		echo "data <<EOF"; echo "$N_COMMITS $RANDOM"; echo "EOF"
	} | git -C "$REPO" -c fastimport.unpackLimit=0 fast-import --quiet
}

repack_loop() {
	local end=$((SECONDS + DURATION)) i=0 t
	while [ "$SECONDS" -lt "$end" ]; do
		t=$(date +%s%N)
		i=$((i + 1))
		new_pack && save_packs
		if [ $((i % 2)) = 1 ]; then
			git -C "$REPO" repack -adq && save_packs && git -C "$REPO" gc -q --prune=now
		else
			git -C "$REPO" repack -q --geometric=2 -d --write-midx
		fi || echo "repack $i failed" >> "$TMP/res/repack.err"
		save_packs
		echo "$i" > "$TMP/res/repacks"
		t=$(( (2000000000 - ($(date +%s%N) - t)) / 1000000 ))
		[ "$t" -gt 0 ] && sleep "$(printf '%d.%03d' $((t / 1000)) $((t % 1000)))"
	done
	touch "$TMP/res/stop"
	save_packs
	touch "$TMP/res/saved-last"
}

# Clients: each loops until the repacks stop, and leaves one line per try in $TMP/res.
cloner() {
	local n=0
	while [ ! -e "$TMP/res/stop" ]; do
		n=$((n + 1))
		if timeout 60 git clone -q "$URL" "$TMP/clone.$1.$n" 2>"$TMP/res/clone.$1.$n.err" &&
		   git -C "$TMP/clone.$1.$n" fsck --connectivity-only --no-progress --no-dangling 2>>"$TMP/res/clone.$1.$n.err"; then
			echo ok >> "$TMP/res/clones"
		else
			echo "clone $1.$n failed" >> "$TMP/res/clones"
		fi
		rm -rf "$TMP/clone.$1.$n"
	done
}
# saved NAME: the loop has saved the pack NAME, or does within 30 s. A pack is listed (and
# can be downloaded whole) as soon as git renames it into place, which may be long before the
# command that made it ends (git gc writes one and goes on pruning) and save_packs runs.
saved() {
	local i
	for i in $(seq 300); do
		[ -e "$TMP/seen/$1" ] && return 0
		[ -e "$TMP/res/saved-last" ] && break
		sleep 0.1
	done
	[ -e "$TMP/seen/$1" ]
}
pack_downloader() {
	local n=0 name
	while [ ! -e "$TMP/res/stop" ]; do
		n=$((n + 1))
		name=$("${CURL[@]}" "$URL/objects/info/packs" 2>/dev/null | awk '$1 == "P" { print $2 }' | tail -1)
		[ -n "$name" ] || { sleep 0.2; continue; }
		# 3 MB/s: a download of the whole pack spans a repack or two.
		if ! "${CURL[@]}" --limit-rate 3M -o "$TMP/dl.pack" -w '%{http_code}' "$URL/objects/pack/$name" \
			> "$TMP/dl.code" 2>"$TMP/dl.err"; then
			echo "pack $name: curl failed: $(cat "$TMP/dl.err")" >> "$TMP/res/packs"
		elif [ "$(cat "$TMP/dl.code")" != 200 ]; then
			echo "pack $name: status $(cat "$TMP/dl.code")" >> "$TMP/res/packs"
		elif ! saved "$name"; then
			echo "pack $name: served, but no command of the loop left it" >> "$TMP/res/packs"
		elif cmp -s "$TMP/seen/$name" "$TMP/dl.pack"; then
			echo ok >> "$TMP/res/packs"
		else
			cp "$TMP/dl.pack" "$TMP/res/bad.$n.pack"
			echo "pack $name: bytes differ ($(file_size "$TMP/dl.pack") vs $(file_size "$TMP/seen/$name"), kept as bad.$n.pack)" >> "$TMP/res/packs"
		fi
	done
}
# A bundle is a virtual file; the bytes it started on are a bundle header and a pack
# whose trailer is the hash of the rest: a splice of two pack sets would not be.
bundle_downloader() {
	local n=0 code
	while [ ! -e "$TMP/res/stop" ]; do
		n=$((n + 1))
		code=$("${CURL[@]}" --limit-rate 4M -o "$TMP/dl.bundle" -w '%{http_code}' "$URL/bundle" 2>"$TMP/dlb.err")
		if [ "$code" = 503 ]; then
			echo "503" >> "$TMP/res/bundles.503"; sleep 0.2; continue
		elif [ "$code" != 200 ]; then
			echo "bundle: status $code $(cat "$TMP/dlb.err")" >> "$TMP/res/bundles"
		elif "$PYTHON" - "$TMP/dl.bundle" <<'EOF' 2>>"$TMP/res/bundles"; then
import hashlib, sys
data = open(sys.argv[1], "rb").read()
end = data.index(b"\n\n") + 2
assert data.startswith(b"# v2 git bundle\n"), "no v2 header"
pack = data[end:]
assert pack[:4] == b"PACK", "no pack after the header"
assert hashlib.sha1(pack[:-20]).digest() == pack[-20:], "pack trailer does not match its bytes"
EOF
			echo ok >> "$TMP/res/bundles"
		else
			echo "bundle $n: not a whole bundle" >> "$TMP/res/bundles"
		fi
	done
}

# Warm up (a clone, a bundle), then the baseline: what pack-serve holds serving one pack set.
check "warm-up clone" timeout 60 git clone -q "$URL" "$TMP/warm"
check "warm-up bundle" "${CURL[@]}" -o /dev/null "$URL/bundle"
rm -rf "$TMP/warm"
sleep 1
RSS0=$(rss_kib)
FD0=$(fd_count)
echo "baseline: RSS $RSS0 KiB, $FD0 descriptors besides files, $(file_fd_count) on files"
save_packs

bg repack_loop
LOOP=$BGPID
bg cloner a
bg cloner b
bg pack_downloader
bg bundle_downloader
wait "$LOOP"
echo "repacks: $(cat "$TMP/res/repacks" 2>/dev/null) in ${DURATION} s"
bg_wait
check "no repack failed" test ! -e "$TMP/res/repack.err"

# result FILE WHAT: every line "ok" (and at least one).
result() {
	local total okn
	total=$(cat "$TMP/res/$1" 2>/dev/null | wc -l)
	okn=$(cat "$TMP/res/$1" 2>/dev/null | grep -cx ok)
	CHECKS=$((CHECKS + 1))
	if [ "$total" -gt 0 ] && [ "$total" = "$okn" ]; then
		ok "$2: $okn of $total"
	else
		fail "$2: $okn of $total were right:"
		grep -vx ok "$TMP/res/$1" 2>/dev/null | head -5 >&2
		cat "$TMP"/res/clone.*.err 2>/dev/null | head -10 >&2
	fi
}
result clones "clones during repacks succeeded"
result packs "pack downloads during repacks were the bytes of the pack they named"
result bundles "bundle downloads during repacks were whole bundles"
[ -e "$TMP/res/bundles.503" ] && echo "bundle: $(wc -l < "$TMP/res/bundles.503") answers 503 (packs deleted while it was put together)"
expect_alive_url() { ALIVE_URL=$URL/info/refs; expect_alive "$1"; }
expect_alive_url "the repacks"

# Within the idle timeout (and the second the sweep may wait): no deleted file held.
# (Files of the repository only: a pack-serve binary rebuilt under a running test is not its business.)
deleted() { { ls -l "/proc/$PID/fd"; cat "/proc/$PID/maps"; } 2>/dev/null | grep -F "$ROOT/" | grep -c "(deleted)"; }
no_deleted() { [ "$(deleted)" = 0 ]; }
{ date +%T.%N; ls -l "/proc/$PID/fd" | grep deleted; grep deleted "/proc/$PID/maps"; } > "$TMP/deleted.at-stop" 2>&1
CHECKS=$((CHECKS + 1))
T1=$SECONDS
if wait_for "no deleted file held" $((IDLE + 2)) no_deleted; then
	ok "no deleted file in /proc/$PID/fd and maps after $((SECONDS - T1)) s ($(wc -l < "$TMP/deleted.at-stop") lines when the clients stopped)"
else
	fail "pack-serve still holds deleted files $((IDLE + 2)) s after the repacks; when the clients stopped:"
	cat "$TMP/deleted.at-stop" >&2
	echo "now:" >&2
	{ ls -l "/proc/$PID/fd"; cat "/proc/$PID/maps"; } | grep '(deleted)' | head -10 >&2
fi
rss_back() { [ "$(rss_kib)" -le $((RSS0 + RSS0 / 4 + 4096)) ]; }
CHECKS=$((CHECKS + 1))
if grep -q libasan "/proc/$PID/maps"; then
	ok "RSS not compared under ASan (its allocator keeps what is freed in quarantine)"
elif wait_for "RSS back" 3 rss_back; then
	ok "RSS $(rss_kib) KiB, back to the baseline $RSS0 KiB (+25% + 4 MiB)"
else
	fail "RSS $(rss_kib) KiB is not back to the baseline $RSS0 KiB (+25% + 4 MiB)"
	grep -E '^(Rss|Vm)' "/proc/$PID/status" >&2
fi
expect_fds_back "the repacks" "$FD0" 2

# And the repository as it is now clones whole, with the last commit.
check "a clone after the repacks" timeout 60 git clone -q "$URL" "$TMP/after"
expect_eq "the clone has the last commit" "$(git -C "$REPO" rev-parse refs/heads/live)" \
	"$(git -C "$TMP/after" rev-parse refs/remotes/origin/live 2>&1)"
echo "$TEST_NAME: $((SECONDS - T0)) s"
ps_finish
