#!/usr/bin/env bash
# bundle-race.sh: the bundle whose packs a repack deletes while it is put together, made to happen on purpose: pack-serve holds the repository open from an earlier request (its packs opened through a multi-pack-index, their .idx not read yet), `git repack -ad` replaces them and the folder's mtime is put back, so the next bundle request finds packs gone that its list still names (a `git repack -ad` made them one). pack-serve must open the repository afresh and answer the new set's bundle at once (counted in /metrics): no 503, never a broken bundle.
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic
SRC=$ROOT/basic.git
PD=$SRC/objects/pack
LOG=$TMP/access.log
git init -q --bare "$TMP/verify.git"

# two packs (a new commit beside the fixture's pack) under a multi-pack-index
git clone -q "$SRC" "$TMP/wt"
echo new >>"$TMP/wt/README"
git -C "$TMP/wt" commit -qam "a second pack"
git -C "$TMP/wt" push -q origin HEAD:main
git --git-dir="$SRC" repack -qd
git --git-dir="$SRC" multi-pack-index write
expect_eq "two packs" 2 "$(ls "$PD"/*.pack | wc -l)"
NEW=$(ls -t "$PD"/*.pack | head -1)
STAMP='2020-01-02 03:04:05'
touch -d "$STAMP" "$PD"

ps_start "$ROOT" --access-log "$LOG" --metrics-listen 127.0.0.1:0
wait_for "the metrics line" 10 grep -q '^metrics on ' "$SOUT"
MURL=$(sed -n 's|^metrics on \(http://127\.0\.0\.1:[0-9]*/metrics\)$|\1|p' "$SOUT")
ALIVE_URL=$BASE/basic.git/info/refs
expect_status "info/refs opens the repository" 200 "$BASE/basic.git/info/refs"

# The race, made deterministic: git repack -ad replaces both packs by one
# and deletes them, and the folder's mtime is put back as it was.
git --git-dir="$SRC" repack -qad
git --git-dir="$SRC" multi-pack-index write
touch -d "$STAMP" "$PD"
check "the packs pack-serve holds are gone" test ! -e "$NEW"
expect_status "GET bundle with its packs gone underneath: made again, 200" 200 "$BASE/basic.git/bundle"
check "git bundle verify" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/body"
expect_eq "the bundle lists main" "$(git --git-dir="$SRC" rev-parse main)" \
	"$(git --git-dir="$TMP/verify.git" bundle list-heads "$TMP/body" refs/heads/main | awk '{ print $1 }')"
HL=$($PYTHON -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.find(b"\n\n")+2)' "$TMP/body")
tail -c +$((HL + 1)) "$TMP/body" >"$TMP/got.pack"
expect_files_eq "its bytes after the header are the new .pack" "$(pack_of "$SRC")" "$TMP/got.pack"
expect_status "metrics" 200 "$MURL"
expect_eq "one bundle made again" 1 "$(awk '$1 == "pack_serve_bundle_retries_total" { print $2 }' "$TMP/body")"
sleep 0.3
check "no 503 in the access log" bash -c "! grep -q '\" 503 ' '$LOG'"
expect_alive "a pack deleted under a bundle"
ps_finish
