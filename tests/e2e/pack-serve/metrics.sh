#!/usr/bin/env bash
# metrics.sh: --metrics-listen serves Prometheus' text format at /metrics on its own address: requests by status, bytes by sendfile and by copy, connections, the window manager's descriptors, bundles and their proofs; nothing else is served there, and the main address has no /metrics.
. "$(dirname "$0")/lib.sh"
ps_setup

serve_fixture basic

# metric NAME{LABELS}: its value in $TMP/metrics ("" when absent).
metric() {
	awk -v k="$1" '$1 == k { print $2 }' "$TMP/metrics"
}

scrape() {
	"${CURL[@]}" -o "$TMP/metrics" "$MURL" 2>"$TMP/curl.err" || fail "scraping $MURL: $(cat "$TMP/curl.err")"
}

ps_start "$ROOT" --metrics-listen 127.0.0.1:0
wait_for "the metrics line" 10 grep -q '^metrics on ' "$SOUT"
MURL=$(sed -n 's|^metrics on \(http://127\.0\.0\.1:[0-9]*/metrics\)$|\1|p' "$SOUT")
check "a 'metrics on http://127.0.0.1:PORT/metrics' line after the listening line" \
	bash -c "[ -n '$MURL' ] && head -1 '$SOUT' | grep -q '^listening on '"
ALIVE_URL=$BASE/basic.git/info/refs
PACK=$(pack_of "$ROOT/basic.git")
P=/basic.git/objects/pack/$(basename "$PACK")

scrape
expect_eq "before any request: no request counted" "" "$(metric 'pack_serve_requests_total{code="200"}')"
check "text format 0.0.4" bash -c "grep -q '^# TYPE pack_serve_requests_total counter$' '$TMP/metrics'"

expect_status "a pack" 200 "$BASE$P"
expect_status "a pack again" 200 "$BASE$P"
expect_status "a 404" 404 "$BASE/basic.git/nothing"
expect_status "a bundle" 200 "$BASE/basic.git/bundle"
expect_status "the bundle again" 200 "$BASE/basic.git/bundle"
expect_status "a HEAD of the bundle (not a bundle served)" 200 "$BASE/basic.git/bundle" -I
sleep 0.2
scrape
expect_eq "requests with 200 (two packs, two bundles, a HEAD)" 5 "$(metric 'pack_serve_requests_total{code="200"}')"
expect_eq "requests with 404" 1 "$(metric 'pack_serve_requests_total{code="404"}')"
SIZE=$(file_size "$PACK")
sf=$(metric 'pack_serve_sent_bytes_total{method="sendfile"}')
check "bytes by sendfile: at least the packs and bundles ($sf >= $((4 * SIZE)))" test "$sf" -ge $((4 * SIZE))
cp=$(metric 'pack_serve_sent_bytes_total{method="copy"}')
check "bytes by copy: the bundle headers and error bodies ($cp > 0)" test "$cp" -gt 0
expect_eq "bundles served" 2 "$(metric pack_serve_bundles_served_total)"
expect_eq "pack sets proved once" 1 "$(metric pack_serve_bundle_proof_misses_total)"
expect_eq "then found proved" 2 "$(metric pack_serve_bundle_proof_hits_total)"
expect_eq "one pack set cached" 1 "$(metric pack_serve_bundle_proof_sets)"
check "the ref tips proved are cached" test "$(metric pack_serve_bundle_proof_tips)" -ge 1
expect_eq "the fd budget" 64 "$(metric pack_serve_wm_fd_limit)"
check "descriptors open within the budget" test "$(metric pack_serve_wm_fds)" -le 64
# A connection held open shows in the gauge.
bg $RAWHTTP send "$PORT" "GET /basic.git/HEAD HTTP/1.1\r\nHost: x\r\n\r\n" --timeout 3
sleep 0.5
scrape
expect_eq "one connection open" 1 "$(metric pack_serve_connections)"
bg_wait

expect_status "HEAD /metrics" 200 "$MURL" -I
expect_status "another path on the metrics address" 404 "${MURL%metrics}info/refs"
expect_status "another method on the metrics address" 405 "$MURL" -X POST
expect_status "no /metrics on the main address" 404 "$BASE/metrics"
expect_alive "metrics"
ps_stop

# --- --no-sendfile: file bodies counted as copies
ps_start "$ROOT" --no-sendfile --metrics-listen 127.0.0.1:0
wait_for "the metrics line" 10 grep -q '^metrics on ' "$SOUT"
MURL=$(sed -n 's|^metrics on \(http://127\.0\.0\.1:[0-9]*/metrics\)$|\1|p' "$SOUT")
expect_status "a pack, copied" 200 "$BASE$P"
sleep 0.2
scrape
expect_eq "--no-sendfile: nothing by sendfile" 0 "$(metric 'pack_serve_sent_bytes_total{method="sendfile"}')"
check "--no-sendfile: the pack by copy" test "$(metric 'pack_serve_sent_bytes_total{method="copy"}')" -ge "$SIZE"

# --- a bad --metrics-listen is a usage error
"$PACK_SERVE" --metrics-listen nonsense "$ROOT" >/dev/null 2>"$TMP/err"
expect_eq "--metrics-listen nonsense: exit status 2" 2 "$?"
check "…naming the option" grep -q -- "--metrics-listen 'nonsense'" "$TMP/err"
ps_finish
