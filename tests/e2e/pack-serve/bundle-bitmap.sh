#!/usr/bin/env bash
# bundle-bitmap.sh: the bundle of a repository git repacked with a reachability bitmap (and of one whose two packs have a multi-pack-index bitmap): its closure proof reads no object (counted in /metrics), the bundle is still the .pack after its header and `git clone --bundle-uri` takes it; a new commit packed beside it is the only thing walked; a damaged bitmap is reported once on stderr and walked around, giving the same bundle.
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic
SRC=$ROOT/basic.git
git --git-dir="$SRC" repack -qadb
BITMAP=$(ls "$SRC"/objects/pack/pack-*.bitmap)
check "git wrote a bitmap" test -f "$BITMAP"
git init -q --bare "$TMP/verify.git"

metric() {
	awk -v k="$1" '$1 == k { print $2 }' "$TMP/metrics"
}
start() {
	ps_start "$ROOT" --metrics-listen 127.0.0.1:0
	wait_for "the metrics line" 10 grep -q '^metrics on ' "$SOUT"
	MURL=$(sed -n 's|^metrics on \(http://127\.0\.0\.1:[0-9]*/metrics\)$|\1|p' "$SOUT")
	ALIVE_URL=$BASE/basic.git/info/refs
}
scrape() {
	sleep 0.2
	"${CURL[@]}" -o "$TMP/metrics" "$MURL" 2>"$TMP/curl.err" || fail "scraping $MURL: $(cat "$TMP/curl.err")"
}
# the distinct ids HEAD and the refs point at: what the proof looks up
tips() {
	{ git --git-dir="$SRC" rev-parse HEAD; git --git-dir="$SRC" for-each-ref --format='%(objectname)'; } |
		sort -u | wc -l
}
header_len() {
	$PYTHON -c 'import sys; d=open(sys.argv[1],"rb").read(); i=d.find(b"\n\n"); print(i+2 if i>=0 else -1)' "$1"
}

start
expect_status "GET bundle (bitmapped pack)" 200 "$BASE/basic.git/bundle"
cp "$TMP/body" "$TMP/one.bundle"
scrape
expect_eq "every tip proved by the bitmap" "$(tips)" "$(metric pack_serve_bundle_proof_bitmap_hits_total)"
expect_eq "no object read by the proof" 0 "$(metric pack_serve_bundle_proof_objects_read_total)"
expect_eq "no bitmap ignored" 0 "$(metric pack_serve_bundle_proof_bitmaps_ignored_total)"
HL=$(header_len "$TMP/one.bundle")
tail -c +$((HL + 1)) "$TMP/one.bundle" >"$TMP/one.pack"
expect_files_eq "the bytes after the header are the .pack" "$(pack_of "$SRC")" "$TMP/one.pack"
check "git bundle verify" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/one.bundle"
if git clone -q --bundle-uri="$BASE/basic.git/bundle" "$BASE/basic.git" "$TMP/c1" 2>"$TMP/err"; then
	check "the clone passes fsck --strict" git -C "$TMP/c1" fsck --strict --no-progress
	expect_eq "the clone has main" "$(git --git-dir="$SRC" rev-parse main)" "$(git -C "$TMP/c1" rev-parse origin/main)"
else
	fail "git clone --bundle-uri failed: $(cat "$TMP/err")"
fi

# a new commit, packed on its own: only it is walked, the rest proved by the bitmap
git clone -q "$SRC" "$TMP/wt"
echo new >>"$TMP/wt/README"
git -C "$TMP/wt" commit -qam "after the bitmap"
git -C "$TMP/wt" push -q origin HEAD:main
git --git-dir="$SRC" -c repack.writeBitmaps=false repack -qd
expect_eq "two packs" 2 "$(ls "$SRC"/objects/pack/*.pack | wc -l)"
expect_status "GET bundle (bitmapped pack + a new one)" 200 "$BASE/basic.git/bundle"
cp "$TMP/body" "$TMP/two.bundle"
scrape
# the new commit and its root tree (the blob is never read)
expect_eq "the new commit and its tree read, nothing more" 2 "$(metric pack_serve_bundle_proof_objects_read_total)"
check "git bundle verify (two packs)" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/two.bundle"
expect_eq "the new commit is listed" "$(git --git-dir="$SRC" rev-parse main)" \
	"$(git --git-dir="$TMP/verify.git" bundle list-heads "$TMP/two.bundle" refs/heads/main | awk '{ print $1 }')"
expect_alive "bitmapped bundles"
check "nothing on the server's stderr" test ! -s "$SERR"
ps_stop "$PID"

# a damaged bitmap (one byte): not used, said once, walked around; the same bundle
chmod u+w "$BITMAP"
printf 'X' | dd of="$BITMAP" bs=1 seek=100 conv=notrunc 2>/dev/null
start
expect_status "GET bundle (damaged bitmap)" 200 "$BASE/basic.git/bundle"
expect_files_eq "the same bundle as with the bitmap" "$TMP/two.bundle" "$TMP/body"
expect_status "GET bundle again (the proof is cached)" 200 "$BASE/basic.git/bundle"
scrape
expect_eq "one bitmap ignored" 1 "$(metric pack_serve_bundle_proof_bitmaps_ignored_total)"
expect_eq "no object proved by it" 0 "$(metric pack_serve_bundle_proof_bitmap_hits_total)"
check "the walk read the history instead" test "$(metric pack_serve_bundle_proof_objects_read_total)" -gt 50
expect_eq "stderr says so once" 1 "$(grep -c 'reachability bitmap not used: .*bitmap checksum mismatch' "$SERR")"
expect_alive "a damaged bitmap"

# two packs under a multi-pack-index with its bitmap (git multi-pack-index write --bitmap)
cp -a "$PACKWIN_FIXTURES/repos/basic.git" "$ROOT/midx.git"
M=$ROOT/midx.git
git --git-dir="$M" update-ref HEAD "$(git --git-dir="$M" commit-tree -p HEAD -m "second pack" "$(git --git-dir="$M" rev-parse 'HEAD^{tree}')")"
git --git-dir="$M" -c repack.writeBitmaps=false repack -qd
git --git-dir="$M" multi-pack-index write --bitmap
check "git wrote a multi-pack-index bitmap" bash -c "ls '$M'/objects/pack/multi-pack-index-*.bitmap"
READ0=$(metric pack_serve_bundle_proof_objects_read_total)
HITS0=$(metric pack_serve_bundle_proof_bitmap_hits_total)
expect_status "GET bundle (multi-pack-index bitmap)" 200 "$BASE/midx.git/bundle"
check "git bundle verify (multi-pack-index bitmap)" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/body"
SRC=$M
scrape
expect_eq "no object read with the multi-pack-index bitmap" "$READ0" "$(metric pack_serve_bundle_proof_objects_read_total)"
expect_eq "every tip proved by it" "$(tips)" "$(($(metric pack_serve_bundle_proof_bitmap_hits_total) - HITS0))"
if git clone -q --bundle-uri="$BASE/midx.git/bundle" "$BASE/midx.git" "$TMP/c2" 2>"$TMP/err"; then
	check "the clone passes fsck --strict" git -C "$TMP/c2" fsck --strict --no-progress
	expect_eq "the clone has main" "$(git --git-dir="$M" rev-parse main)" "$(git -C "$TMP/c2" rev-parse origin/main)"
else
	fail "git clone --bundle-uri (multi-pack-index bitmap) failed: $(cat "$TMP/err")"
fi
expect_alive "a multi-pack-index bitmap"
ps_finish
