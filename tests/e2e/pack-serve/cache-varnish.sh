#!/usr/bin/env bash
# cache-varnish.sh: pack-serve behind a real HTTP cache (Varnish, varnish/pack-serve.vcl):
# a second clone (dumb HTTP, and --bundle-uri) reaches pack-serve only to revalidate,
# ranges through the cache are the right bytes, and after a repack clones through the
# cache are still correct (info/refs, objects/info/packs and the bundle are never stale).
. "$(dirname "$0")/lib.sh"
ps_setup
VARNISHD=${VARNISHD:-$(command -v varnishd || echo /usr/sbin/varnishd)}
VARNISHADM=${VARNISHADM:-$(command -v varnishadm || echo /usr/bin/varnishadm)}
[ -x "$VARNISHD" ] || { echo "$TEST_NAME: varnishd is not installed" >&2; exit 77; }
# Every wait of this test is bounded; together they stay under 25 s on a quiet box.
T0=$SECONDS

VPID=
varnish_stop() {
	[ -n "$VPID" ] || return 0
	kill -TERM "$VPID" 2>/dev/null
	wait_exited "$VPID" 5 || kill -KILL "$VPID" 2>/dev/null
	# The child (the cache process) goes with the manager; make sure of it.
	pkill -KILL -P "$VPID" 2>/dev/null
	wait "$VPID" 2>/dev/null
	VPID=
}
trap 'varnish_stop; ps_cleanup' EXIT

mkdir -p "$ROOT"
cp -a "$PACKWIN_CORPUS/zlib.git" "$ROOT/zlib.git"
chmod -R u+w "$ROOT/zlib.git"
REPO=$ROOT/zlib.git
LOG=$TMP/access.log
ps_start "$ROOT" --access-log "$LOG"

# Varnish on a port it picks, in a work folder of its own (-n), no jail (-j none: we may be root).
VDIR=$TMP/varnish
mkdir -p "$VDIR"
sed "s/PACK_SERVE_PORT/$PORT/" "$HERE/varnish/pack-serve.vcl" > "$VDIR/pack-serve.vcl"
"$VARNISHD" -F -j none -n "$VDIR/work" -a 127.0.0.1:0 -T 127.0.0.1:0 -f "$VDIR/pack-serve.vcl" \
	-s malloc,64m -p default_grace=0 -p timeout_idle=5 >"$VDIR/out" 2>&1 &
VPID=$!
vaddr() { timeout 2 "$VARNISHADM" -n "$VDIR/work" debug.listen_address 2>/dev/null | awk 'NF == 3 { print $3; exit }'; }
VPORT=
for i in $(seq 100); do
	VPORT=$(vaddr)
	[ -n "$VPORT" ] && break
	kill -0 "$VPID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$VPORT" ]; then
	echo "FAIL [$TEST_NAME]: varnishd did not come up within 10 s:" >&2
	tail -20 "$VDIR/out" >&2
	exit 1
fi
V=http://127.0.0.1:$VPORT
echo "varnish $VPID on $V in front of $BASE"

# log_from N: the access-log lines after the first N, once they stop growing (bounded: 2 s).
log_lines() { wc -l < "$LOG"; }
log_from() {
	local n=-1 i
	for i in $(seq 20); do
		[ "$(log_lines)" = "$n" ] && break
		n=$(log_lines)
		sleep 0.1
	done
	tail -n +"$(($1 + 1))" "$LOG"
}
# statuses: "CODE COUNT" per status of access-log lines on stdin, sorted.
statuses() { awk '{ print $9 }' | sort | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' ' | sed 's/ $//'; }
# only_revalidation DESC N0 N: after access-log line N, pack-serve answered only 304s
# (revalidations; at least one), and 404s of names not asked for since line N0 (git's
# dumb walker probes loose names in parallel while it fetches objects/info/packs, so
# which ones it asks for before it knows the packs varies from clone to clone).
only_revalidation() {
	local lines s other
	lines=$(log_from "$3" | grep .)
	s=$(printf '%s\n' "$lines" | statuses)
	sed -n "$(($2 + 1)),$3p" "$LOG" | awk '{ print $7 }' | sort -u > "$TMP/asked.before"
	other=$(printf '%s\n' "$lines" | awk -v before="$TMP/asked.before" '
		BEGIN { while ((getline u < before) > 0) seen[u] = 1 }
		$9 == 304 { next }
		$9 == 404 && !($7 in seen) { next }
		{ print }')
	CHECKS=$((CHECKS + 1))
	case " $s " in
	*" 304x"*)
		if [ -z "$other" ]; then
			ok "$1: pack-serve saw only revalidations and new names ($s)"
			return
		fi ;;
	esac
	fail "$1: pack-serve saw more than revalidations ($s):"
	printf '%s\n' "$other" | head -10 >&2
}
# same_refs DESC CLONE: the clone has every ref of the origin (as branches / tags), at the same ids.
same_refs() {
	git -C "$REPO" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags |
		sed 's| refs/heads/| refs/remotes/origin/|' | sort > "$TMP/want.refs"
	git -C "$2" for-each-ref --format='%(objectname) %(refname)' refs/remotes/origin refs/tags |
		grep -v ' refs/remotes/origin/HEAD$' | sort > "$TMP/got.refs"
	expect_files_eq "$1: the clone has the origin's refs" "$TMP/want.refs" "$TMP/got.refs"
}
# clone DESC DIR [GIT CLONE ARGS...]: clones, the refs of the origin, then git fsck:
# FSCK=1 (default) --strict, FSCK=c --connectivity-only, FSCK=0 none (a full one costs a second).
clone() {
	local desc=$1 dir=$2
	shift 2
	CHECKS=$((CHECKS + 1))
	if timeout 60 git clone -q "$@" "$dir" 2>"$TMP/clone.err"; then
		ok "$desc: git clone $*"
	else
		fail "$desc: git clone $* failed:"
		cat "$TMP/clone.err" >&2
		return
	fi
	case ${FSCK:-1} in
	1) check "$desc: git fsck --strict" git -C "$dir" fsck --strict --no-progress --no-dangling ;;
	c) check "$desc: git fsck --connectivity-only" git -C "$dir" fsck --connectivity-only --no-progress --no-dangling ;;
	esac
	same_refs "$desc" "$dir"
}

# Headers first: what pack-serve marks, through the cache.
PACK=$(pack_of "$REPO")
PACKURL=/zlib.git/objects/pack/$(basename "$PACK")
http_code "$BASE$PACKURL" -I >/dev/null
expect_eq "pack: immutable" "public, max-age=31536000, immutable" "$(header Cache-Control)"
http_code "$BASE/zlib.git/info/refs" -I >/dev/null
expect_eq "info/refs: revalidate" "no-cache" "$(header Cache-Control)"
check "info/refs: has an ETag" test -n "$(header ETag)"
http_code "$BASE/zlib.git/objects/00/00000000000000000000000000000000000000" >/dev/null
expect_eq "404 of a loose object: kept a minute" "public, max-age=60" "$(header Cache-Control)"
http_code "$BASE/nothere.git/bundle" >/dev/null
expect_eq "404 of a bundle: revalidate" "no-cache" "$(header Cache-Control)"
http_code "$BASE/zlib.git/info/refs" -X POST >/dev/null
expect_eq "405: never stored" "no-store" "$(header Cache-Control)"

# 1. Dumb HTTP, twice through the cache.
FSCK=0 n0=$(log_lines)
FSCK=0 clone "dumb clone 1 through varnish" "$TMP/d1" "$V/zlib.git"
n=$(log_lines)
clone "dumb clone 2 through varnish" "$TMP/d2" "$V/zlib.git"
only_revalidation "dumb clone 2" "$n0" "$n"

# 2. --bundle-uri with the bundle's URL, twice.
n0=$(log_lines)
FSCK=0 clone "bundle-uri clone 1 through varnish" "$TMP/b1" --bundle-uri="$V/zlib.git/bundle" "$V/zlib.git"
n=$(log_lines)
clone "bundle-uri clone 2 through varnish" "$TMP/b2" --bundle-uri="$V/zlib.git/bundle" "$V/zlib.git"
only_revalidation "bundle-uri clone 2" "$n0" "$n"
expect_eq "bundle-uri clone 2: the bundle was revalidated, not sent" 1 \
	"$(log_from "$n" | grep -c '"GET /zlib.git/bundle HTTP/1.1" 304 ')"

# 3. Ranges through the cache: the bytes of the file (pack: a hit; bundle: revalidated, then cut from the copy).
SIZE=$(file_size "$PACK")
for r in 0-99 1000-70000 "$((SIZE - 20))-" -20; do
	code=$(http_code "$V$PACKURL" -r "$r")
	expect_eq "pack range $r through varnish: 206" 206 "$code"
	case $r in
	-*) tail -c "${r#-}" "$PACK" > "$TMP/want" ;;
	*-) tail -c +"$((${r%-} + 1))" "$PACK" > "$TMP/want" ;;
	*) a=${r%-*} b=${r#*-}; tail -c +"$((a + 1))" "$PACK" | head -c "$((b - a + 1))" > "$TMP/want" ;;
	esac
	expect_files_eq "pack range $r through varnish" "$TMP/want" "$TMP/body"
done
"${CURL[@]}" -o "$TMP/bundle.direct" "$BASE/zlib.git/bundle"
for r in 0-99 5000-900000; do
	code=$(http_code "$V/zlib.git/bundle" -r "$r")
	expect_eq "bundle range $r through varnish: 206" 206 "$code"
	a=${r%-*} b=${r#*-}
	tail -c +"$((a + 1))" "$TMP/bundle.direct" | head -c "$((b - a + 1))" > "$TMP/want"
	expect_files_eq "bundle range $r through varnish" "$TMP/want" "$TMP/body"
done

# 4. A new commit and a repack: nothing stale comes out of the cache.
tree=$(git -C "$REPO" rev-parse 'HEAD^{tree}')
new=$(echo "after the repack" | git -C "$REPO" commit-tree "$tree" -p HEAD)
git -C "$REPO" update-ref refs/heads/after-repack "$new"
git -C "$REPO" update-ref "refs/heads/$(git -C "$REPO" symbolic-ref --short HEAD)" "$new"
git -C "$REPO" repack -adq && git -C "$REPO" gc -q --prune=now
check "the repack made a new pack" test "$(pack_of "$REPO")" != "$PACK"
"${CURL[@]}" -o "$TMP/refs.direct" "$BASE/zlib.git/info/refs"
"${CURL[@]}" -o "$TMP/refs.cached" "$V/zlib.git/info/refs"
expect_files_eq "info/refs through varnish after the repack" "$TMP/refs.direct" "$TMP/refs.cached"
"${CURL[@]}" -o "$TMP/packs.direct" "$BASE/zlib.git/objects/info/packs"
"${CURL[@]}" -o "$TMP/packs.cached" "$V/zlib.git/objects/info/packs"
expect_files_eq "objects/info/packs through varnish after the repack" "$TMP/packs.direct" "$TMP/packs.cached"
FSCK=c clone "dumb clone after the repack" "$TMP/d3" "$V/zlib.git"
check "dumb clone after the repack has the new commit" git -C "$TMP/d3" cat-file -e "$new"
FSCK=c clone "bundle-uri clone after the repack" "$TMP/b3" --bundle-uri="$V/zlib.git/bundle" "$V/zlib.git"
check "bundle-uri clone after the repack has the new commit" git -C "$TMP/b3" cat-file -e "$new"
"${CURL[@]}" -o "$TMP/bundle.cached" "$V/zlib.git/bundle"
"${CURL[@]}" -o "$TMP/bundle.direct" "$BASE/zlib.git/bundle"
expect_files_eq "the bundle through varnish after the repack is the new one" "$TMP/bundle.direct" "$TMP/bundle.cached"
FSCK=0 clone "bundle-list clone after the repack" "$TMP/l3" --bundle-uri="$V/zlib.git/bundle-list" "$V/zlib.git"

varnish_stop
echo "$TEST_NAME: $((SECONDS - T0)) s"
ps_finish
