#!/usr/bin/env bash
# traversal.sh: nothing outside ROOT and nothing off the allowlist is ever served — dot segments raw and encoded, %2f, %00, backslashes, empty segments, config and hooks, alternates, symbolic links leading out, special files — through raw sockets and curl --path-as-is.
. "$(dirname "$0")/lib.sh"
ps_setup

echo "TOPSECRET outside ROOT" >"$TMP/secret.txt"
serve_fixture basic
R=$ROOT/basic.git
HEX=$(basename "$(pack_of "$R")" .pack)
HEX=${HEX#pack-}
printf '#!/bin/sh\necho TOPSECRET hook\n' >"$R/hooks/pre-commit" 2>/dev/null || { mkdir -p "$R/hooks"; printf '#!/bin/sh\necho TOPSECRET hook\n' >"$R/hooks/pre-commit"; }
echo "# TOPSECRET config" >>"$R/config"
mkdir -p "$R/objects/info"
echo "$TMP/outside.git/objects" >"$R/objects/info/alternates"
echo "http://TOPSECRET.example/" >"$R/objects/info/http-alternates"

# Repositories and files whose symbolic links lead out of ROOT.
cp -a "$PACKWIN_FIXTURES/repos/basic.git" "$TMP/outside.git"
echo "TOPSECRET outside repository" >"$TMP/outside.git/description"
ln -s /etc "$ROOT/evil.git"
ln -s "$TMP/outside.git" "$ROOT/outside.git"
FAKE=1111111111111111111111111111111111111111
ln -s /etc/passwd "$R/objects/pack/pack-$FAKE.pack"
ln -s "$(pack_of "$TMP/outside.git")" "$R/objects/pack/pack-2222222222222222222222222222222222222222.pack"
mkdir -p "$R/objects/ab"
ln -s /etc/passwd "$R/objects/ab/cdef0123456789abcdef0123456789abcdef01"
ln -s "$TMP/secret.txt" "$R/objects/ab/cdef0123456789abcdef0123456789abcdef02"
cp -a "$PACKWIN_FIXTURES/repos/basic.git" "$ROOT/links.git"
rm "$ROOT/links.git/HEAD"
ln -s /etc/passwd "$ROOT/links.git/HEAD"
mkdir -p "$ROOT/links.git/info" "$ROOT/links.git/objects/info"
ln -s /etc/passwd "$ROOT/links.git/info/refs"
ln -s /etc/passwd "$ROOT/links.git/objects/info/packs"
# Special files named like packs: a FIFO (opening it would block) and a folder.
mkfifo "$R/objects/pack/pack-3333333333333333333333333333333333333333.pack"
mkdir "$R/objects/pack/pack-4444444444444444444444444444444444444444.pack"
# A work-tree repository: its work tree is not served.
git clone -q "$PACKWIN_FIXTURES/repos/basic.git" "$ROOT/wt"
echo "TOPSECRET work tree file" >"$ROOT/wt/secret.txt"
# A symlink inside ROOT to a repository inside ROOT is harmless.
ln -s basic.git "$ROOT/alias.git"

ps_start "$ROOT" --idle-timeout 5
ALIVE_URL=$BASE/basic.git/info/refs

SECRETS='TOPSECRET|root:x:0|root:.*:0:0'

# refused DESC TARGET: a raw GET of TARGET is answered 400 or 404, and no secret is in the answer.
refused() {
	local desc=$1 target=$2 code
	$RAWHTTP send "$PORT" "GET $target HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" --timeout 5 >"$TMP/raw"
	code=$(head -1 "$TMP/raw" | cut -d' ' -f2 | tr -d '\r')
	CHECKS=$((CHECKS + 1))
	if [ "$code" = 400 ] || [ "$code" = 404 ]; then
		ok "$desc: $target -> $code"
	else
		fail "$desc: GET $target -> '$code' (want 400 or 404): $(head -c 300 "$TMP/raw" | tr '\r\n' '  ')"
	fi
	CHECKS=$((CHECKS + 1))
	if grep -aqE "$SECRETS" "$TMP/raw"; then
		fail "$desc: GET $target LEAKED: $(grep -aE "$SECRETS" "$TMP/raw" | head -2)"
	else
		ok "$desc: nothing leaked"
	fi
}

# refused_curl DESC PATH: the same through curl --path-as-is.
refused_curl() {
	local code
	code=$(http_code "$BASE$2" --path-as-is)
	CHECKS=$((CHECKS + 1))
	if [ "$code" = 400 ] || [ "$code" = 404 ]; then ok "$1 (curl): $2 -> $code"; else fail "$1 (curl --path-as-is): $2 -> '$code' (want 400 or 404)"; fi
	CHECKS=$((CHECKS + 1))
	if grep -aqE "$SECRETS" "$TMP/body"; then fail "$1 (curl): $2 LEAKED"; else ok "$1 (curl): nothing leaked"; fi
}

for t in \
	'/../secret.txt' '/../../../../../../etc/passwd' '/%2e%2e/secret.txt' '/%2E%2E/secret.txt' \
	'/%2E%2E%2Fsecret.txt' '/%2e%2e%2f%2e%2e%2fetc%2fpasswd' '/.%2e/secret.txt' '/%2e./secret.txt' \
	'/basic.git/%2e%2e/%2e%2e/etc/passwd' '/basic.git/../../secret.txt' '/basic.git/../basic.git/config' \
	'/basic.git/objects/pack/../../config' '/basic.git/objects/%2e%2e/config' \
	'/basic.git/objects%2fpack%2fpack-'$HEX'.pack' '/basic.git%2fHEAD' '/basic.git/HEAD%00' \
	'/basic.git/HEAD%00.pack' '/basic.git%00/HEAD' '/basic.git\\HEAD' '/basic.git/objects\\pack\\pack-'$HEX'.pack' \
	'/..\\secret.txt' '/basic.git/..\\..\\secret.txt' '/%5c..%5csecret.txt' \
	'//basic.git/HEAD' '/basic.git//HEAD' '/basic.git/objects//pack/pack-'$HEX'.pack' '/basic.git/./HEAD' '/./basic.git/HEAD' \
	'/basic.git/config' '/basic.git/hooks/pre-commit' '/basic.git/description' '/basic.git/packed-refs' \
	'/basic.git/refs/heads/main' '/basic.git/objects/info/alternates' '/basic.git/objects/info/http-alternates' \
	'/basic.git/objects/pack/' '/basic.git/objects/pack/pack-'$HEX'.pack.temp' '/basic.git/objects/pack/tmp_pack_x' \
	'/evil.git/passwd' '/evil.git/HEAD' '/evil.git/info/refs' '/outside.git/info/refs' '/outside.git/HEAD' \
	'/outside.git/objects/pack/pack-'$HEX'.pack' \
	'/basic.git/objects/pack/pack-'$FAKE'.pack' '/basic.git/objects/pack/pack-2222222222222222222222222222222222222222.pack' \
	'/basic.git/objects/ab/cdef0123456789abcdef0123456789abcdef01' '/basic.git/objects/ab/cdef0123456789abcdef0123456789abcdef02' \
	'/links.git/HEAD' '/basic.git/objects/pack/pack-4444444444444444444444444444444444444444.pack' \
	'/wt/secret.txt' '/wt/README' '/wt/.git/HEAD' '/wt/.git/config' '/wt/config' '/wt/.git/info/refs' \
	'/basic.git/info/refs/../../config' 'basic.git/HEAD' '*' '/.git/HEAD' '/.basic.git/HEAD'; do
	refused "traversal or off-allowlist" "$t"
done
expect_alive "the raw traversal requests"

# A FIFO named as a pack: refused, and not a hang (the answer comes in time).
start=$(date +%s)
refused "FIFO named as a pack" '/basic.git/objects/pack/pack-3333333333333333333333333333333333333333.pack'
check "FIFO: answered within 3 s" test $(($(date +%s) - start)) -le 3
expect_alive "the FIFO"

# A raw NUL and raw control bytes in the request line: 400.
expect_eq "raw NUL in the target" 400 "$($RAWHTTP status "$PORT" "GET /basic.git/HEAD\x00x HTTP/1.1\r\nHost: x\r\n\r\n")"
expect_eq "raw tab in the target" 400 "$($RAWHTTP status "$PORT" "GET /basic.git/\tHEAD HTTP/1.1\r\nHost: x\r\n\r\n")"

# The generated files: served (generated from the repository) or refused, never the link's target.
for t in /links.git/info/refs /links.git/objects/info/packs; do
	code=$(http_code "$BASE$t")
	CHECKS=$((CHECKS + 1))
	if grep -aqE "$SECRETS" "$TMP/body"; then fail "$t: a symlink to /etc/passwd was served ($code)"; else ok "$t: the symlink's target is not served ($code)"; fi
done

for t in '/../secret.txt' '/%2e%2e/secret.txt' '/%2E%2E%2Fsecret.txt' '/basic.git/%2e%2e/%2e%2e/etc/passwd' \
	'/basic.git/config' '/evil.git/passwd' '/basic.git/objects/pack/pack-'$FAKE'.pack' '/wt/secret.txt' '//basic.git/HEAD'; do
	refused_curl "traversal" "$t"
done
expect_alive "the curl traversal requests"

# What is allowed still works: the alias inside ROOT and the work tree's repository.
expect_status "a symlink to a repository inside ROOT" 200 "$BASE/alias.git/info/refs"
expect_status "the work tree's repository at /wt/" 200 "$BASE/wt/HEAD"
expect_files_eq "/wt/HEAD is wt/.git/HEAD" "$ROOT/wt/.git/HEAD" "$TMP/body"
ps_stop

# A single-repository ROOT: nothing above it.
ps_start "$R"
ALIVE_URL=$BASE/info/refs
for t in '/../secret.txt' '/../basic.git/config' '/%2e%2e/%2e%2e/secret.txt' '/config' '/hooks/pre-commit' \
	'/objects/info/alternates' '/objects/pack/pack-'$FAKE'.pack' '/objects/ab/cdef0123456789abcdef0123456789abcdef02'; do
	refused "single ROOT" "$t"
done
expect_status "single ROOT: the pack is served" 200 "$BASE/objects/pack/pack-$HEX.pack"
expect_alive "single ROOT traversal"

ps_finish
