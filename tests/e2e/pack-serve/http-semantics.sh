#!/usr/bin/env bash
# http-semantics.sh: HTTP behaviour seen by curl and raw sockets — ranges, HEAD, validators (ETag, Last-Modified, If-Range), keep-alive, HTTP/1.0, pipelining, methods, content types, cache headers, 404s.
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic sha256
REPO=$ROOT/basic.git
PACK=$(pack_of "$REPO")
HEX=$(basename "$PACK" .pack)
HEX=${HEX#pack-}
IDX=${PACK%.pack}.idx
SIZE=$(file_size "$PACK")
P=/basic.git/objects/pack/pack-$HEX
ps_start "$ROOT"
ALIVE_URL=$BASE/basic.git/info/refs
U=$BASE$P.pack

# --- whole files
expect_status "GET pack" 200 "$U"
expect_files_eq "GET pack: the body is the pack" "$PACK" "$TMP/body"
expect_eq "GET pack: Content-Length" "$SIZE" "$(header Content-Length)"
expect_eq "GET pack: ETag is the pack's name (its checksum)" "\"$HEX\"" "$(header ETag)"
CHECKS=$((CHECKS + 1))
case "$(header Cache-Control)" in *immutable*) ok "pack: Cache-Control has immutable" ;; *) fail "pack: Cache-Control '$(header Cache-Control)' lacks immutable" ;; esac
check "pack: Last-Modified is an HTTP date" test -n "$(header Last-Modified)"
expect_status "GET pack with Accept-Encoding: gzip" 200 "$U" -H 'Accept-Encoding: gzip, deflate, br'
expect_eq "pack: never compressed (no Content-Encoding)" "" "$(header Content-Encoding)"
expect_files_eq "pack with Accept-Encoding: the body is the pack" "$PACK" "$TMP/body"

expect_status "GET idx" 200 "$BASE$P.idx"
expect_files_eq "GET idx: the body is the idx" "$IDX" "$TMP/body"
expect_eq "idx: ETag is the idx's own checksum" "\"$(tail -c 20 "$IDX" | od -An -tx1 | tr -d ' \n')\"" "$(header ETag)"
CHECKS=$((CHECKS + 1))
case "$(header Cache-Control)" in *immutable*) ok "idx: Cache-Control has immutable" ;; *) fail "idx: Cache-Control '$(header Cache-Control)' lacks immutable" ;; esac
expect_status "GET rev" 200 "$BASE$P.rev"
expect_files_eq "GET rev: the body is the .rev" "${PACK%.pack}.rev" "$TMP/body"
expect_status "GET HEAD file" 200 "$BASE/basic.git/HEAD"
expect_files_eq "GET HEAD file: as on disk" "$REPO/HEAD" "$TMP/body"

# A SHA-256 pack (64-digit name).
SPACK=$(pack_of "$ROOT/sha256.git")
expect_status "GET SHA-256 pack" 200 "$BASE/sha256.git/objects/pack/$(basename "$SPACK")"
expect_files_eq "GET SHA-256 pack: the body is the pack" "$SPACK" "$TMP/body"

# A loose object.
oid=$(echo "loose object for the test" | git --git-dir="$REPO" hash-object -w --stdin)
expect_status "GET loose object" 200 "$BASE/basic.git/objects/${oid:0:2}/${oid:2}"
expect_files_eq "GET loose object: as on disk" "$REPO/objects/${oid:0:2}/${oid:2}" "$TMP/body"

# info/refs with the smart-protocol query: plain text, never application/x-git-*.
expect_status "info/refs?service=git-upload-pack" 200 "$BASE/basic.git/info/refs?service=git-upload-pack"
CHECKS=$((CHECKS + 1))
case "$(header Content-Type)" in text/plain*) ok "info/refs?service=...: Content-Type text/plain" ;; *) fail "info/refs?service=...: Content-Type '$(header Content-Type)'" ;; esac
CHECKS=$((CHECKS + 1))
case "$(header Cache-Control)" in *immutable*) fail "info/refs must not be immutable ('$(header Cache-Control)')" ;; *) ok "info/refs is not immutable" ;; esac

# --- 404s: absent, and off the allowlist.
expect_status "absent pack" 404 "$BASE/basic.git/objects/pack/pack-0000000000000000000000000000000000000000.pack"
expect_status "absent loose object" 404 "$BASE/basic.git/objects/00/00000000000000000000000000000000000000"
expect_status "absent repository" 404 "$BASE/nope.git/info/refs"
expect_status "uppercase hex is not on the allowlist" 404 "$BASE/basic.git/objects/pack/pack-$(echo "$HEX" | tr a-f A-F).pack"
expect_status "a pack name of 39 digits" 404 "$BASE/basic.git/objects/pack/pack-${HEX:1}.pack"
expect_status "objects/info/alternates" 404 "$BASE/basic.git/objects/info/alternates"
expect_status "objects/info/http-alternates" 404 "$BASE/basic.git/objects/info/http-alternates"
expect_status "the root folder" 404 "$BASE/"
expect_alive "404s"

# --- ranges
expect_status "range 0-99" 206 "$U" -r 0-99
head -c 100 "$PACK" >"$TMP/want"
expect_files_eq "range 0-99: the first 100 bytes" "$TMP/want" "$TMP/body"
expect_eq "range 0-99: Content-Range" "bytes 0-99/$SIZE" "$(header Content-Range)"
expect_eq "range 0-99: Content-Length" 100 "$(header Content-Length)"

expect_status "range 1000-1999 (middle)" 206 "$U" -r 1000-1999
tail -c +1001 "$PACK" | head -c 1000 >"$TMP/want"
expect_files_eq "range 1000-1999: those bytes" "$TMP/want" "$TMP/body"
expect_eq "range 1000-1999: Content-Range" "bytes 1000-1999/$SIZE" "$(header Content-Range)"

expect_status "suffix range -100" 206 "$U" -r -100
tail -c 100 "$PACK" >"$TMP/want"
expect_files_eq "suffix range -100: the last 100 bytes" "$TMP/want" "$TMP/body"
expect_eq "suffix range -100: Content-Range" "bytes $((SIZE - 100))-$((SIZE - 1))/$SIZE" "$(header Content-Range)"

expect_status "open range 20000-" 206 "$U" -r 20000-
tail -c +20001 "$PACK" >"$TMP/want"
expect_files_eq "open range 20000-: the rest" "$TMP/want" "$TMP/body"

expect_status "range ending past the end is clamped" 206 "$U" -r "$((SIZE - 10))-$((SIZE + 1000))"
expect_eq "clamped range: Content-Range" "bytes $((SIZE - 10))-$((SIZE - 1))/$SIZE" "$(header Content-Range)"

expect_status "range starting at the end" 416 "$U" -r "$SIZE-"
expect_eq "416: Content-Range" "bytes */$SIZE" "$(header Content-Range)"
expect_status "range starting past the end" 416 "$U" -r "$((SIZE + 5))-$((SIZE + 10))"
expect_eq "416 (past the end): Content-Range" "bytes */$SIZE" "$(header Content-Range)"
expect_status "range start beyond 2^64" 416 "$U" -H 'Range: bytes=99999999999999999999999999-'
expect_status "range end beyond 2^64 is clamped" 206 "$U" -H 'Range: bytes=0-99999999999999999999999999'
expect_files_eq "range end beyond 2^64: the whole pack" "$PACK" "$TMP/body"
expect_status "suffix beyond 2^64 is the whole file" 206 "$U" -H 'Range: bytes=-99999999999999999999999999'
expect_files_eq "suffix beyond 2^64: the whole pack" "$PACK" "$TMP/body"
expect_status "multi-range answered 200 whole" 200 "$U" -H 'Range: bytes=0-1,5-6'
expect_files_eq "multi-range: the whole pack" "$PACK" "$TMP/body"
expect_status "non-bytes range unit is ignored" 200 "$U" -H 'Range: items=0-1'
expect_status "syntactically bad range is ignored" 200 "$U" -H 'Range: bytes=abc'
expect_alive "ranges"

# --- HEAD: headers, no body (checked on the wire).
expect_status "HEAD pack" 200 "$U" -I
expect_eq "HEAD pack: Content-Length" "$SIZE" "$(header Content-Length)"
$RAWHTTP send "$PORT" "HEAD $P.pack HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >"$TMP/raw"
expect_eq "HEAD on the wire: nothing after the headers" 0 \
	"$($PYTHON -c 'import sys; d=open(sys.argv[1],"rb").read(); i=d.find(b"\r\n\r\n"); print(len(d)-i-4 if i>=0 else "no-head")' "$TMP/raw")"

# --- validators
ETAG=$(http_code "$U" -I >/dev/null; header ETag)
LM=$(header Last-Modified)
expect_status "If-None-Match with the ETag" 304 "$U" -H "If-None-Match: $ETAG"
expect_eq "304: no body" 0 "$(file_size "$TMP/body")"
expect_status "If-None-Match with the ETag among others" 304 "$U" -H "If-None-Match: \"x\", $ETAG"
expect_status "If-None-Match: *" 304 "$U" -H "If-None-Match: *"
expect_status "If-None-Match with another tag" 200 "$U" -H 'If-None-Match: "0000"'
expect_status "If-Modified-Since Last-Modified" 304 "$U" -H "If-Modified-Since: $LM"
expect_status "If-Modified-Since in 1994" 200 "$U" -H "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"
expect_status "If-Modified-Since garbage is ignored" 200 "$U" -H "If-Modified-Since: yesterday"
expect_status "If-Range with another tag: 200 whole" 200 "$U" -r 0-99 -H 'If-Range: "0000"'
expect_files_eq "If-Range mismatch: the whole pack" "$PACK" "$TMP/body"
expect_status "If-Range with the ETag: 206" 206 "$U" -r 0-99 -H "If-Range: $ETAG"
expect_status "If-Range with Last-Modified: 206" 206 "$U" -r 0-99 -H "If-Range: $LM"
expect_status "If-Range with an older date: 200" 200 "$U" -r 0-99 -H "If-Range: Sun, 06 Nov 1994 08:49:37 GMT"
# A 304 keeps the connection: the request pipelined behind it is answered, and nothing goes to stderr.
$RAWHTTP send "$PORT" "GET $P.pack HTTP/1.1\r\nHost: x\r\nIf-None-Match: $ETAG\r\n\r\nGET $P.pack HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: $LM\r\n\r\nGET $P.pack HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n" --parse --timeout 4 >"$TMP/raw"
expect_eq "two 304s then a 206 on one connection" "304 304 206" "$(awk '{ print $2 }' "$TMP/raw" | tr '\n' ' ' | sed 's/ $//')"
check "no send error logged after a 304" bash -c "! grep -q 'Bad address' '$SERR'"
expect_alive "validators"

# --- connections
"${CURL[@]}" -v -o /dev/null -o /dev/null "$U" "$BASE/basic.git/info/refs" 2>"$TMP/v.err"
check "keep-alive: curl re-uses the connection for a second request" grep -q "Re-using existing connection" "$TMP/v.err"
"${CURL[@]}" -v -o /dev/null -o /dev/null -o /dev/null -r 0-9 "$U" "$U" "$U" 2>"$TMP/v.err"
expect_eq "keep-alive after 206s: one connection for three requests" 2 "$(grep -c "Re-using existing connection" "$TMP/v.err")"
"${CURL[@]}" -v -o /dev/null -o /dev/null "$BASE/basic.git/nothing" "$U" 2>"$TMP/v.err"
check "keep-alive after a 404" grep -q "Re-using existing connection" "$TMP/v.err"

# HTTP/1.0: an answer, then the server closes.
$RAWHTTP send "$PORT" "GET /basic.git/HEAD HTTP/1.0\r\n\r\n" --parse >"$TMP/raw"
rc=$?
expect_eq "HTTP/1.0: the server closes after the answer" 0 "$rc"
expect_eq "HTTP/1.0: one 200 answer with HEAD's content" \
	"200 $(file_size "$REPO/HEAD") $(sha1sum <"$REPO/HEAD" | cut -d' ' -f1)" \
	"$(awk '{ print $2, $(NF-1), $NF }' "$TMP/raw")"
# HTTP/1.0 with keep-alive asked: may keep it open; the answer must still come.
$RAWHTTP send "$PORT" "GET /basic.git/HEAD HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" --parse --timeout 2 >"$TMP/raw"
expect_eq "HTTP/1.0 keep-alive: a 200 answer" 200 "$(awk '{ print $2 }' "$TMP/raw")"

# Pipelining: three requests in one write, answered in order.
"${CURL[@]}" -o "$TMP/refs" "$BASE/basic.git/info/refs"
want="200 $(file_size "$REPO/HEAD") $(sha1sum <"$REPO/HEAD" | cut -d' ' -f1)
200 $SIZE da39a3ee5e6b4b0d3255bfef95601890afd80709
200 $(file_size "$TMP/refs") $(sha1sum <"$TMP/refs" | cut -d' ' -f1)"
$RAWHTTP send "$PORT" "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\nHEAD $P.pack HTTP/1.1\r\nHost: x\r\n\r\nGET /basic.git/info/refs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" --parse >"$TMP/raw"
rc=$?
got=$(awk '{ print $2, $(NF-1), $NF }' "$TMP/raw")
# (the HEAD answer's body is empty: the sha1 of nothing)
expect_eq "pipelining: three answers in order (GET HEAD, HEAD pack, GET info/refs)" "$want" "$got"
expect_eq "pipelining: closed after Connection: close" 0 "$rc"
$RAWHTTP send "$PORT" "GET $P.pack HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\nGET $P.pack HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" --parse >"$TMP/raw"
expect_eq "pipelining: a 206 then a 200 of the pack" \
	"206 10 $(head -c 10 "$PACK" | sha1sum | cut -d' ' -f1)
200 $SIZE $(sha1sum <"$PACK" | cut -d' ' -f1)" "$(awk '{ print $2, $(NF-1), $NF }' "$TMP/raw")"
expect_alive "connections"

# --- methods
for m in POST PUT DELETE PATCH OPTIONS; do
	expect_status "$m" 405 "$U" -X "$m" --data-binary x
	expect_eq "$m: Allow" "GET, HEAD" "$(header Allow)"
done
expect_eq "BREW (an unknown token method)" 405 "$($RAWHTTP status "$PORT" "BREW /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "HTTP/1.1 without Host" 400 "$($RAWHTTP status "$PORT" "GET /basic.git/HEAD HTTP/1.1\r\n\r\n")"
expect_eq "HTTP/2.0 request line" 505 "$($RAWHTTP status "$PORT" "GET /basic.git/HEAD HTTP/2.0\r\nHost: x\r\n\r\n")"
# RFC 9112 lets a server accept it; the parser's contract refuses it. Either, not a crash.
code=$($RAWHTTP status "$PORT" "GET http://x/basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\n")
check "absolute-form target: 400 or 200 (got $code)" test "$code" = 400 -o "$code" = 200
expect_alive "methods"

ps_finish
