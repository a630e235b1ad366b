#!/usr/bin/env bash
# resume.sh: interrupted downloads resume byte-exactly — curl -C - after a partial download, and git's own resume of a partial objects/pack/pack-X.pack.temp (it sends Range: bytes=N- and appends what comes back).
. "$(dirname "$0")/lib.sh"
ps_setup

serve_corpus zlib
PACK=$(pack_of "$ROOT/zlib.git")
NAME=$(basename "$PACK" .pack)
SIZE=$(file_size "$PACK")
URL=/zlib.git/objects/pack/$NAME.pack
ps_start "$ROOT" --access-log "$TMP/access.log"
ALIVE_URL=$BASE/zlib.git/info/refs

# 1. curl: the first 1,000,000 bytes, then resume with -C - (Range: bytes=1000000-).
"${CURL[@]}" -r 0-999999 -o "$TMP/part" "$BASE$URL"
expect_eq "curl -r 0-999999 got 1,000,000 bytes" 1000000 "$(file_size "$TMP/part")"
"${CURL[@]}" -C - -o "$TMP/part" "$BASE$URL" 2>"$TMP/curl.err" || { fail "curl -C - failed"; cat "$TMP/curl.err" >&2; }
expect_files_eq "partial download resumed with curl -C - is the pack" "$PACK" "$TMP/part"
expect_alive "curl resume"

# 2. curl cut mid-transfer (--max-time while rate-limited), then resumed. The
#    84 MB pack: curl's --limit-rate lets the first megabytes through at once.
serve_big
"${CURL[@]}" --limit-rate 2M --max-time 1 -o "$TMP/part2" "$BASE$BIGURL" 2>/dev/null
got=$(file_size "$TMP/part2")
CHECKS=$((CHECKS + 1))
if [ "$got" -gt 0 ] && [ "$got" -lt "$(file_size "$BIG")" ]; then ok "download cut after $got bytes"; else fail "the rate-limited download was not cut ($got bytes)"; fi
"${CURL[@]}" -C - -o "$TMP/part2" "$BASE$BIGURL" 2>"$TMP/curl.err" || { fail "curl -C - failed"; cat "$TMP/curl.err" >&2; }
expect_files_eq "cut download resumed with curl -C - is the pack" "$BIG" "$TMP/part2"
rm -f "$TMP/part2"
expect_alive "cut download"

# 3. git: a fetch into a repository holding a partial pack-X.pack.temp (what an
#    interrupted clone leaves) asks for the rest and completes it.
git init -q --bare "$TMP/resume.git"
head -c 3000000 "$PACK" >"$TMP/resume.git/objects/pack/$NAME.pack.temp"
before=$(wc -l <"$TMP/access.log")
if GIT_TRACE_CURL=1 GIT_TRACE_CURL_NO_DATA=1 git -C "$TMP/resume.git" fetch -q "$BASE/zlib.git" \
	'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*' 2>"$TMP/git.err"; then
	ok "git fetch with a partial .pack.temp"
else
	fail "git fetch with a partial .pack.temp failed:"
	grep -v ' http\.c:' "$TMP/git.err" | tail -5 >&2
fi
check "git sent Range: bytes=3000000- for the pack" grep -q "=> Send header: Range: bytes=3000000-\$" "$TMP/git.err"
# The answer was 206 with the rest (git's trace and the access log agree).
check "the server answered 206 to git's range request" grep -q "<= Recv header: HTTP/1.1 206" "$TMP/git.err"
check "... with Content-Range bytes 3000000-$((SIZE - 1))/$SIZE" grep -q "<= Recv header: Content-Range: bytes 3000000-$((SIZE - 1))/$SIZE" "$TMP/git.err"
tail -n +$((before + 1)) "$TMP/access.log" >"$TMP/access.new"
check "the access log has a 206 line for the pack" grep -q "$NAME\.pack.* 206 " "$TMP/access.new"
check "the resumed clone passes fsck --full" git -C "$TMP/resume.git" fsck --full --no-progress
git -C "$ROOT/zlib.git" for-each-ref refs/heads refs/tags >"$TMP/refs.src"
git -C "$TMP/resume.git" for-each-ref refs/heads refs/tags >"$TMP/refs.got"
expect_files_eq "the resumed repository has the source's branches and tags" "$TMP/refs.src" "$TMP/refs.got"
got_pack=$(ls "$TMP/resume.git/objects/pack/"*.pack 2>/dev/null | head -1)
[ -n "$got_pack" ] && expect_files_eq "git's resumed pack is byte-identical to the served one" "$PACK" "$got_pack"
check "no .temp file is left" test -z "$(ls "$TMP/resume.git/objects/pack/" | grep temp)"
expect_alive "git resume"

# (git 2.39 also downloads idx files into pack-X.idx.temp opened for
# appending, but sends no Range for them: a partial .idx.temp makes its fetch
# fail whatever the server does, so only the pack's resume is tested.)

ps_finish
