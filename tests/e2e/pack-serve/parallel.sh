#!/usr/bin/env bash
# parallel.sh: 200 simultaneous downloads of one pack (and a few simultaneous git clones) all arrive byte-identical.
. "$(dirname "$0")/lib.sh"
ps_setup

N=${PARALLEL_CLIENTS:-200}
serve_fixture basic
serve_corpus zlib
PACK=$(pack_of "$ROOT/zlib.git")
URL=/zlib.git/objects/pack/$(basename "$PACK")
WANT=$(sha1sum <"$PACK" | cut -d' ' -f1)
ps_start "$ROOT"
ALIVE_URL=$BASE/zlib.git/info/refs
"${CURL[@]}" -o /dev/null "$ALIVE_URL"
sleep 0.3
FDS=$(fd_count)

# Each client streams the pack into sha1sum (200 x 7.4 MB stays off the disk).
mkdir "$TMP/sums"
start=$(date +%s.%N)
for i in $(seq "$N"); do
	bg bash -c "$(printf '%q ' "${CURL[@]}") '$BASE$URL' | sha1sum >'$TMP/sums/$i'; echo \${PIPESTATUS[0]} >>'$TMP/sums/$i'"
done
bg_wait
echo "$N parallel downloads took $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s"
good=0
for i in $(seq "$N"); do
	if [ "$(head -1 "$TMP/sums/$i" | cut -d' ' -f1)" = "$WANT" ] && [ "$(tail -1 "$TMP/sums/$i")" = 0 ]; then
		good=$((good + 1))
	else
		[ "$good" -lt 5 ] && echo "download $i: $(tr '\n' ' ' <"$TMP/sums/$i")" >&2
	fi
done
expect_eq "$N parallel downloads byte-identical to the pack" "$N" "$good"
expect_alive "$N parallel downloads"
expect_fds_back "$N parallel downloads" "$FDS"

# Parallel ranged downloads of consecutive slices reassemble to the pack.
SIZE=$(file_size "$PACK")
step=$(((SIZE + 15) / 16))
for i in $(seq 0 15); do
	a=$((i * step)) b=$(((i + 1) * step - 1))
	[ "$b" -ge "$SIZE" ] && b=$((SIZE - 1))
	bg "${CURL[@]}" -r "$a-$b" -o "$TMP/slice.$(printf %02d "$i")" "$BASE$URL"
done
bg_wait
cat "$TMP"/slice.* >"$TMP/joined"
expect_files_eq "16 parallel range requests reassemble the pack" "$PACK" "$TMP/joined"

# Five git clones at once.
for i in 1 2 3 4 5; do
	bg git clone -q --bare "$BASE/basic.git" "$TMP/clone.$i"
done
bg_wait
for i in 1 2 3 4 5; do
	check "parallel clone $i passes fsck --full" git -C "$TMP/clone.$i" fsck --full --no-progress
done
expect_alive "parallel clones"
ps_finish
