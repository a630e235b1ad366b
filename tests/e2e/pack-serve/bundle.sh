#!/usr/bin/env bash
# bundle.sh: NAME.git/bundle and NAME.git/bundle-list with real clients: git bundle verify, the pack bytes unchanged after the header, HTTP semantics of the virtual file, `git clone --bundle-uri` (one bundle request, no object request), a new commit + `git repack -d` (two packs), SHA-256 (v3 header), and repositories that make no bundle (404 with the reason logged).
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic sha256
SRC=$ROOT/basic.git
LOG=$TMP/access.log
ps_start "$ROOT" --access-log "$LOG"
ALIVE_URL=$BASE/basic.git/info/refs
B=$BASE/basic.git/bundle
git init -q --bare "$TMP/verify.git"
git init -q --bare --object-format=sha256 "$TMP/verify256.git"

# header_len FILE: bytes up to and including the empty line that ends a bundle header.
header_len() {
	$PYTHON -c 'import sys; d=open(sys.argv[1],"rb").read(); i=d.find(b"\n\n"); print(i+2 if i>=0 else -1)' "$1"
}

# log_count PATTERN: access-log lines (of this server so far) matching the extended regex.
log_count() {
	grep -cE "$1" "$LOG"
}

# origin_refs REPO: "id ref" of its branches (as origin/NAME) and tags.
origin_refs() {
	git --git-dir="$1" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags |
		sed 's| refs/heads/| refs/remotes/origin/|' | sort
}

# clone_refs CLONE: the same refs as a clone has them.
clone_refs() {
	git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/remotes/origin refs/tags |
		grep -v ' refs/remotes/origin/HEAD$' | sort
}

# --- one pack: header + the .pack unchanged
PACK=$(pack_of "$SRC")
expect_status "GET bundle" 200 "$B"
cp "$TMP/body" "$TMP/one.bundle"
ETAG1=$(header ETag)
expect_eq "Content-Length is the body's size" "$(file_size "$TMP/one.bundle")" "$(header Content-Length)"
check "a strong ETag" bash -c "[[ '$ETAG1' =~ ^\\\"[0-9a-f]{40}\\\"$ ]]"
expect_eq "Cache-Control: revalidate (the URL's content changes with the packs)" "no-cache" "$(header Cache-Control)"
expect_eq "the header's first line" "# v2 git bundle" "$(head -1 "$TMP/one.bundle")"
HL=$(header_len "$TMP/one.bundle")
tail -c +$((HL + 1)) "$TMP/one.bundle" >"$TMP/one.pack"
expect_files_eq "the bytes after the header are the .pack" "$PACK" "$TMP/one.pack"
check "git bundle verify" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/one.bundle"
git --git-dir="$TMP/verify.git" bundle list-heads "$TMP/one.bundle" | sort >"$TMP/heads"
git --git-dir="$SRC" show-ref | sort >"$TMP/want-heads"
echo "$(git --git-dir="$SRC" rev-parse HEAD) HEAD" >>"$TMP/want-heads"
sort -o "$TMP/want-heads" "$TMP/want-heads"
expect_files_eq "the bundle lists HEAD and every ref" "$TMP/want-heads" "$TMP/heads"

# --- the virtual file answers like a file
expect_status "HEAD bundle" 200 "$B" -I
expect_eq "HEAD: same Content-Length" "$(file_size "$TMP/one.bundle")" "$(header Content-Length)"
expect_status "If-None-Match: 304" 304 "$B" -H "If-None-Match: $ETAG1"
expect_status "Range across the header's end" 206 "$B" -r "$((HL - 10))-$((HL + 99))"
tail -c +$((HL - 9)) "$TMP/one.bundle" | head -c 110 >"$TMP/want-range"
expect_files_eq "Range: the right bytes" "$TMP/want-range" "$TMP/body"
expect_status "Range to the end (a resumed download)" 206 "$B" -r 5000-
tail -c +5001 "$TMP/one.bundle" >"$TMP/want-range"
expect_files_eq "Range 5000-: the right bytes" "$TMP/want-range" "$TMP/body"
expect_status "If-Range with the ETag: 206" 206 "$B" -r 0-9 -H "If-Range: $ETAG1"
expect_status "If-Range with another tag: the whole bundle" 200 "$B" -r 0-9 -H 'If-Range: "0000"'
LM=$(http_code "$B" -I >/dev/null; header Last-Modified)
check "a Last-Modified date" test -n "$LM"
expect_status "If-Range with the Last-Modified date: the whole bundle (a generated body's date is weak)" 200 "$B" -r 0-9 -H "If-Range: $LM"
expect_status "a range past the end: 416" 416 "$B" -r 999999-
expect_alive "HTTP semantics on the bundle"

# --- git clone --bundle-uri=BUNDLE: one bundle request, no object request
clone_with() {
	local desc=$1 uri=$2 dest=$3 before
	before=$(wc -l <"$LOG")
	sleep 0.2 # the log is written at the end of a loop turn
	before=$(wc -l <"$LOG")
	if ! git clone -q --bundle-uri="$uri" "$BASE/basic.git" "$dest" 2>"$TMP/err"; then
		fail "$desc: git clone --bundle-uri failed:"
		cat "$TMP/err" >&2
		return
	fi
	sleep 0.2
	tail -n +$((before + 1)) "$LOG" >"$TMP/clone.log"
	expect_eq "$desc: exactly one bundle request" 1 "$(grep -cE '"GET /basic.git/bundle HTTP' "$TMP/clone.log")"
	expect_eq "$desc: no object request" 0 "$(grep -cE '"GET /basic.git/objects/' "$TMP/clone.log")"
	check "$desc: the clone passes fsck --strict" git -C "$dest" fsck --strict --no-progress
	origin_refs "$SRC" >"$TMP/want-refs"
	clone_refs "$dest" >"$TMP/got-refs"
	expect_files_eq "$desc: the clone has every ref of the origin" "$TMP/want-refs" "$TMP/got-refs"
}
clone_with "--bundle-uri=bundle" "$B" "$TMP/c1"
clone_with "--bundle-uri=bundle-list" "$BASE/basic.git/bundle-list" "$TMP/c2"
expect_eq "bundle-list clone: one bundle-list request" 1 "$(grep -cE '"GET /basic.git/bundle-list HTTP' "$TMP/clone.log")"

# --- the bundle-list itself
expect_status "GET bundle-list" 200 "$BASE/basic.git/bundle-list"
cp "$TMP/body" "$TMP/list"
expect_eq "bundle.version" 1 "$(git config -f "$TMP/list" bundle.version)"
expect_eq "bundle.mode" all "$(git config -f "$TMP/list" bundle.mode)"
expect_eq "bundle.heuristic" creationToken "$(git config -f "$TMP/list" bundle.heuristic)"
expect_eq "one bundle, at the bundle URL" "$B" "$(git config -f "$TMP/list" --get-regexp '^bundle\..*\.uri$' | awk '{ print $2 }')"
TOKEN1=$(git config -f "$TMP/list" --get-regexp '^bundle\..*\.creationtoken$' | awk '{ print $2 }')
check "a creationToken" test -n "$TOKEN1"
expect_status "bundle-list without a Host header (HTTP/1.0): 404" 404 "$BASE/basic.git/bundle-list" -0 -H 'Host:'

# --- a new commit + git repack -d: two packs, a new stream, a new ETag
sleep 1.1 # mtimes of whole seconds must differ
wt=$TMP/wt
git clone -q "$SRC" "$wt"
echo new >>"$wt/README"
git -C "$wt" commit -qam "after the bundle"
git -C "$wt" push -q origin HEAD:main
git -C "$SRC" repack -qd
expect_eq "repack -d left two packs" 2 "$(ls "$SRC"/objects/pack/*.pack | wc -l)"
expect_status "GET bundle of two packs" 200 "$B"
cp "$TMP/body" "$TMP/two.bundle"
ETAG2=$(header ETag)
check "a new ETag ($ETAG1 -> $ETAG2)" test "$ETAG1" != "$ETAG2"
expect_status "the old ETag no longer matches" 200 "$B" -H "If-None-Match: $ETAG1" -I
check "git bundle verify (two packs)" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/two.bundle"
expect_eq "the new commit is listed" "$(git --git-dir="$SRC" rev-parse main)" \
	"$(git --git-dir="$TMP/verify.git" bundle list-heads "$TMP/two.bundle" refs/heads/main | awk '{ print $1 }')"
expect_status "GET bundle of two packs again" 200 "$B"
expect_files_eq "the cached trailer: the same bytes again" "$TMP/two.bundle" "$TMP/body"
clone_with "two packs: --bundle-uri=bundle" "$B" "$TMP/c3"
if git -C "$TMP/c1" fetch -q origin 2>"$TMP/err"; then
	expect_eq "git fetch after the repack gets the new commit" "$(git --git-dir="$SRC" rev-parse main)" \
		"$(git -C "$TMP/c1" rev-parse origin/main)"
else
	fail "git fetch after the repack failed:"
	cat "$TMP/err" >&2
fi
expect_status "bundle-list after the repack" 200 "$BASE/basic.git/bundle-list"
TOKEN2=$(git config -f "$TMP/body" --get-regexp '^bundle\..*\.creationtoken$' | awk '{ print $2 }')
check "the creationToken grew ($TOKEN1 -> $TOKEN2)" test "$TOKEN2" -gt "$TOKEN1"

# --- three packs, objects duplicated across them (geometric repacking leaves such sets)
git --git-dir="$SRC" rev-list --objects main~3..main |
	git --git-dir="$SRC" pack-objects -q --delta-base-offset "$SRC/objects/pack/pack" >/dev/null
expect_eq "three packs" 3 "$(ls "$SRC"/objects/pack/*.pack | wc -l)"
expect_status "GET bundle of three packs, with duplicates" 200 "$B"
cp "$TMP/body" "$TMP/three.bundle"
check "git bundle verify (duplicated objects)" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/three.bundle"
clone_with "three packs with duplicates: --bundle-uri=bundle" "$B" "$TMP/c4"
# The same stream copied through user space (--no-sendfile): byte for byte.
PID1=$PID PORT1=$PORT BASE1=$BASE SERR1=$SERR
ps_start "$ROOT" --no-sendfile
expect_status "--no-sendfile: GET bundle of three packs" 200 "$BASE/basic.git/bundle"
expect_files_eq "--no-sendfile: the same bytes" "$TMP/three.bundle" "$TMP/body"
ps_stop "$PID"
PID=$PID1 PORT=$PORT1 BASE=$BASE1 SERR=$SERR1

# A REF_DELTA whose base is in two packs: index-pack would resolve it twice and die, so no bundle.
cp -a "$SRC" "$ROOT/dupbase.git"
rm -f "$ROOT/dupbase.git"/objects/pack/pack-*
git --git-dir="$SRC" rev-list --objects --all | git --git-dir="$SRC" pack-objects -q "$ROOT/dupbase.git/objects/pack/pack" >/dev/null
git --git-dir="$ROOT/dupbase.git" cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)' |
	awk '$2 == "blob" { print $1 }' |
	git --git-dir="$ROOT/dupbase.git" pack-objects -q --window=0 "$ROOT/dupbase.git/objects/pack/pack" >/dev/null
expect_status "a REF_DELTA base in two packs: 404" 404 "$BASE/dupbase.git/bundle"
# A thin pack beside a whole one: its REF_DELTA base is in no pack.
git clone -q --bare "file://$ROOT/basic.git" "$ROOT/thin.git"
$PYTHON "$HERE/thinpack.py" "$ROOT/thin.git/objects/pack" >/dev/null
expect_status "a thin pack: 404" 404 "$BASE/thin.git/bundle"

# A multi-pack-index over three packs (its packs keep their .idx): the same bundle.
cp -a "$SRC" "$ROOT/midx.git"
git --git-dir="$ROOT/midx.git" multi-pack-index write
check "a multi-pack-index is there" test -f "$ROOT/midx.git/objects/pack/multi-pack-index"
expect_status "GET bundle with a multi-pack-index" 200 "$BASE/midx.git/bundle"
check "git bundle verify (multi-pack-index)" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/body"
HL=$(header_len "$TMP/body")
HL3=$(header_len "$TMP/three.bundle")
tail -c +$((HL + 1)) "$TMP/body" >"$TMP/midx.stream"
tail -c +$((HL3 + 1)) "$TMP/three.bundle" >"$TMP/three.stream"
expect_files_eq "multi-pack-index: the same pack stream as without it" "$TMP/three.stream" "$TMP/midx.stream"

# --- SHA-256: a v3 header
expect_status "GET sha256 bundle" 200 "$BASE/sha256.git/bundle"
cp "$TMP/body" "$TMP/256.bundle"
expect_eq "v3 header with the object format" "# v3 git bundle|@object-format=sha256" "$(head -2 "$TMP/256.bundle" | paste -sd '|')"
HL=$(header_len "$TMP/256.bundle")
tail -c +$((HL + 1)) "$TMP/256.bundle" >"$TMP/256.pack"
expect_files_eq "sha256: the bytes after the header are the .pack" "$(pack_of "$ROOT/sha256.git")" "$TMP/256.pack"
check "sha256: git bundle verify" git --git-dir="$TMP/verify256.git" bundle verify -q "$TMP/256.bundle"

# --- ROOT that is itself a repository: /bundle and /bundle-list
PID1=$PID PORT1=$PORT BASE1=$BASE SERR1=$SERR
ps_start "$ROOT/sha256.git"
expect_status "single repository: GET /bundle" 200 "$BASE/bundle"
expect_files_eq "single repository: the same bundle" "$TMP/256.bundle" "$TMP/body"
expect_status "single repository: GET /bundle-list" 200 "$BASE/bundle-list"
expect_eq "single repository: the list names /bundle" "$BASE/bundle" \
	"$(git config -f "$TMP/body" --get-regexp '^bundle\..*\.uri$' | awk '{ print $2 }')"
ps_stop "$PID"
PID=$PID1 PORT=$PORT1 BASE=$BASE1 SERR=$SERR1

# --- repositories that make no bundle: 404, the reason in the access log
git clone -q --bare --depth 1 "file://$ROOT/basic.git" "$ROOT/shallow.git" 2>/dev/null
git init -q --bare "$ROOT/alt.git"
echo "$ROOT/basic.git/objects" >"$ROOT/alt.git/objects/info/alternates"
git --git-dir="$ROOT/alt.git" update-ref refs/heads/main "$(git --git-dir="$SRC" rev-parse main)"
git init -q --bare "$ROOT/empty.git"
expect_status "shallow: 404" 404 "$BASE/shallow.git/bundle"
expect_status "alternates: 404" 404 "$BASE/alt.git/bundle"
expect_status "no packs: 404" 404 "$BASE/empty.git/bundle"
expect_status "bundle-list of a repository without a bundle: 404" 404 "$BASE/shallow.git/bundle-list"
sleep 0.2
check "the access log says why (shallow)" grep -q '"GET /shallow.git/bundle HTTP/1.1" 404 .*"no bundle: shallow repository"$' "$LOG"
check "the access log says why (alternates)" grep -q '"GET /alt.git/bundle HTTP/1.1" 404 .*"no bundle: objects come from alternates"$' "$LOG"
check "the access log says why (a REF_DELTA base twice)" grep -q '"GET /dupbase.git/bundle HTTP/1.1" 404 .*"no bundle: a REF_DELTA base is in several packs"$' "$LOG"
check "the access log says why (a thin pack)" grep -q '"GET /thin.git/bundle HTTP/1.1" 404 .*"no bundle: a REF_DELTA base is outside the packs (thin pack)"$' "$LOG"
check "the access log says why (no packs)" grep -q '"GET /empty.git/bundle HTTP/1.1" 404 .*"no bundle: no packs"$' "$LOG"

# Refs moving while the packs stay: each request's header follows them (a loose ref, then packed-refs).
expect_status "bundle before a ref moves" 200 "$B"
E0=$(header ETag)
git --git-dir="$SRC" update-ref refs/heads/side "$(git --git-dir="$SRC" rev-parse main~1)"
expect_status "bundle after refs/heads/side moved" 200 "$B"
check "a new ETag after a ref moved" test "$(header ETag)" != "$E0"
expect_eq "the header follows the moved ref" "$(git --git-dir="$SRC" rev-parse main~1)" \
	"$(git --git-dir="$TMP/verify.git" bundle list-heads "$TMP/body" refs/heads/side | awk '{ print $1 }')"
git --git-dir="$SRC" pack-refs --all
E1=$(http_code "$B" -I >/dev/null; header ETag)
expect_eq "pack-refs changes nothing a client sees" "$(git --git-dir="$SRC" rev-parse main~1)" \
	"$("${CURL[@]}" "$B" | git --git-dir="$TMP/verify.git" bundle list-heads /dev/stdin refs/heads/side 2>/dev/null | awk '{ print $1 }')"
git --git-dir="$SRC" update-ref refs/heads/side "$(git --git-dir="$SRC" rev-parse main~2)"
expect_status "bundle after a packed ref moved" 200 "$B"
expect_eq "the header follows the packed ref" "$(git --git-dir="$SRC" rev-parse main~2)" \
	"$(git --git-dir="$TMP/verify.git" bundle list-heads "$TMP/body" refs/heads/side | awk '{ print $1 }')"
check "a new ETag after the packed ref moved" test "$(header ETag)" != "$E1"

# A ref whose commit is loose is left out; the others are still served.
wt=$TMP/wt2
git clone -q "$SRC" "$wt"
echo loose >>"$wt/README"
git -C "$wt" commit -qam "loose"
git -C "$wt" push -q origin HEAD:refs/heads/loose
expect_status "bundle with a loose ref" 200 "$B"
git --git-dir="$TMP/verify.git" bundle list-heads "$TMP/body" >"$TMP/heads" 2>/dev/null
check "the loose ref is left out" bash -c "! grep -q ' refs/heads/loose$' '$TMP/heads'"
check "main is still listed" grep -q ' refs/heads/main$' "$TMP/heads"
check "git bundle verify (a ref left out)" git --git-dir="$TMP/verify.git" bundle verify -q "$TMP/body"

expect_alive "bundles"
check "nothing on the server's stderr" test ! -s "$SERR"
ps_finish
