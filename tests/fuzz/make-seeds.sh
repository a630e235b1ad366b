#!/usr/bin/env bash
# make-seeds.sh OUTDIR: write a seed corpus per fuzz target into OUTDIR/<target>/, from the fixtures.
# Binary seeds (pack containers, deltas, loose objects) are cut by the python below;
# the input shapes are the ones each tests/fuzz/fuzz_*.c documents at its top.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$here/../../fixtures" && pwd)
out=${1:?usage: make-seeds.sh OUTDIR}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/packwin-seeds-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for t in idx pack delta loose refs reflog http midx config companion reftable bitmap; do
  rm -rf "$out/fuzz_$t"
  mkdir -p "$out/fuzz_$t"
done

# idx: every index of the fixtures, good and corrupt
for idx in "$fixtures"/packs/*/*.idx "$fixtures"/corrupt/*/*.idx; do
  cp "$idx" "$out/fuzz_idx/$(basename "$(dirname "$idx")").idx"
done

# pack, delta, loose: cut from the fixture packs
python3 - "$fixtures" "$out" <<'PY'
import glob, os, struct, sys, zlib

fixtures, out = sys.argv[1], sys.argv[2]
MAX_SEED = 160 << 10  # bigblob (1.6 MB) would make every mutation slow

def container(flags, idx, rev, pack):
    return bytes([flags]) + struct.pack('<II', len(idx), len(rev)) + idx + rev + pack

def write(target, name, data):
    with open(os.path.join(out, target, name), 'wb') as f:
        f.write(data)

def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << shift; shift += 7
        if not c & 0x80:
            return v, i

def apply_delta(base, d):
    _, i = varint(d, 0)
    size, i = varint(d, i)
    res = bytearray()
    while i < len(d):
        c = d[i]; i += 1
        if c & 0x80:
            off = n = 0
            for k in range(4):
                if c & (1 << k):
                    off |= d[i] << (8 * k); i += 1
            for k in range(3):
                if c & (0x10 << k):
                    n |= d[i] << (8 * k); i += 1
            res += base[off:off + (n or 0x10000)]
        elif c:
            res += d[i:i + c]; i += c
        else:
            raise ValueError('opcode 0')
    if len(res) != size:
        raise ValueError('size')
    return bytes(res)

def entries(pack, rawsz):
    """(offset, type, data, base_offset) in pack order, leniently: stops at the first bad entry."""
    i, end = 12, len(pack) - rawsz
    while i < end:
        start = i
        c = pack[i]; i += 1
        t = (c >> 4) & 7
        while c & 0x80:
            c = pack[i]; i += 1
        base = None
        if t == 6:
            c = pack[i]; i += 1
            rel = c & 0x7f
            while c & 0x80:
                c = pack[i]; i += 1
                rel = ((rel + 1) << 7) | (c & 0x7f)
            base = start - rel
        elif t == 7:
            base = pack[i:i + rawsz]; i += rawsz
        z = zlib.decompressobj()
        try:
            data = z.decompress(pack[i:end])
        except zlib.error:
            return
        yield start, t, data, base
        i = end - len(z.unused_data)

names = {1: b'commit', 2: b'tree', 3: b'blob', 4: b'tag'}
ndelta = 0
loose_done = {}
for d in sorted(glob.glob(os.path.join(fixtures, 'packs', '*')) +
                glob.glob(os.path.join(fixtures, 'corrupt', '*'))):
    packs = glob.glob(os.path.join(d, '*.pack'))
    if len(packs) != 1:
        continue
    stem = packs[0][:-5]
    pack = open(stem + '.pack', 'rb').read()
    idx = open(stem + '.idx', 'rb').read() if os.path.exists(stem + '.idx') else b''
    rev = open(stem + '.rev', 'rb').read() if os.path.exists(stem + '.rev') else b''
    case = os.path.basename(d)
    if len(pack) + len(idx) + len(rev) > MAX_SEED:
        continue
    rawsz = 32 if 'sha256' in case else 20
    write('fuzz_pack', case, container(0x01 if rev else 0x00, idx, rev, pack))
    if case in ('basic', 'good-crafted', 'refdelta'):
        # the same packs through the other window modes and with the bases indexed
        write('fuzz_pack', case + '-nommap', container(0x02 | 0x08, idx, b'', pack))
        write('fuzz_pack', case + '-whole', container(0x04, idx, b'', pack))
    # deltas with their resolved bases (OFS_DELTA only: REF_DELTA bases need the idx)
    resolved = {}
    try:
        for off, t, data, base in entries(pack, rawsz):
            if t in names:
                resolved[off] = (t, data)
                key = (case == 'basic' or case == 'sha256') and t
                if key and loose_done.get((case, t), 0) < 2:
                    loose_done[(case, t)] = loose_done.get((case, t), 0) + 1
                    obj = names[t] + b' %d\0' % len(data) + data
                    write('fuzz_loose', '%s-%s-%d' % (case, names[t].decode(), off),
                          zlib.compress(obj, 9))
            elif t == 6 and base in resolved and ndelta < 200:
                bt, bdata = resolved[base]
                if len(bdata) <= 64 << 10:
                    ndelta += 1
                    write('fuzz_delta', '%s-%d' % (case, off),
                          struct.pack('<I', len(bdata)) + bdata + data)
                try:
                    resolved[off] = (bt, apply_delta(bdata, data))
                except (ValueError, IndexError):
                    pass
    except IndexError:
        pass

# loose objects of every shape git writes, and near misses
def loose(name, raw, level=1):
    write('fuzz_loose', name, zlib.compress(raw, level))
loose('empty-blob', b'blob 0\0')
loose('blob-hello', b'blob 6\0hello\n')
loose('tag', b'tag 56\0object 0123456789012345678901234567890123456789\ntype commit\n')
loose('size-too-small', b'blob 3\0hello\n')
loose('size-too-large', b'blob 60\0hello\n')
loose('size-leading-zero', b'blob 06\0hello\n')
loose('type-unknown', b'blub 6\0hello\n')
loose('no-nul', b'blob 6 hello\n')
write('fuzz_loose', 'garbage-after', zlib.compress(b'blob 6\0hello\n') + b'\0\0')
write('fuzz_loose', 'truncated', zlib.compress(b'blob 6\0hello\n')[:-3])
write('fuzz_loose', 'stored-block', zlib.compress(b'blob 2000\0' + b'x' * 2000, 0))

# hand-made deltas: size-less copy (0x10000), every copy-op field, inserts, opcode 0
base = bytes(range(256)) * 300
def delta(base_size, result_size, body):
    def v(n):
        o = bytearray()
        while True:
            c = n & 0x7f; n >>= 7
            o.append(c | (0x80 if n else 0))
            if not n:
                return bytes(o)
    return v(base_size) + v(result_size) + body
for name, b, dl in [
    ('copy-64k', base, delta(len(base), 0x10000, b'\x80')),
    ('copy-all-fields', base, delta(len(base), 0x102, b'\xff\x01\x00\x00\x00\x02\x01\x00')),
    ('insert-127', b'', delta(0, 127, b'\x7f' + b'i' * 127)),
    ('opcode-zero', b'abc', delta(3, 1, b'\x00')),
    ('copy-past-base', b'abc', delta(3, 4, b'\x91\x01\x03')),
    ('varint-long', b'', b'\xff' * 10 + b'\x00'),
]:
    write('fuzz_delta', name, struct.pack('<I', len(b)) + b + dl)
PY

# refs: names git rev-parse takes, alone or with a packed-refs and a loose ref
packed=$(cat "$fixtures/repos/basic.git/packed-refs")
gd="$fixtures/repos/basic.git"
head=$(git --git-dir="$gd" rev-parse HEAD)
tree=$(git --git-dir="$gd" rev-parse 'HEAD^{tree}')
n=0
seed() { n=$((n + 1)); printf '%s' "$1" > "$out/fuzz_refs/name-$n"; }
for name in HEAD @ main side refs/heads/main heads/main v1.0 v0.5-light 'v1.0^{}' \
    'v1.0^{commit}' 'v1.0^{tree}' 'v1.0^{tag}' 'main^{blob}' 'HEAD:README' 'main:src/main.c' \
    'HEAD:docs/' 'v1.0:docs/guide.txt' 'HEAD^{tree}:link' "${head:0:4}" "${head:0:7}" "$head" \
    "${tree:0:10}^{tree}" "$(git --git-dir="$gd" describe --tags HEAD)" 'v1.0-3-gdeadbee' \
    'main~1' 'main^2' 'main@{1}' ':README' 'refs/heads/../x' 'a..b' 'x.lock' 'ref//x' \
    '@{-1}' 'HEAD^{/basic}' "$(printf 'a\tb')" 'refs/heads/fuzz' 'fuzz'; do
  seed "$name"
done
sorted_hdr='# pack-refs with: peeled fully-peeled sorted '
{ printf 'refs/heads/fuzz\0'; printf '%s\n' "$packed"; printf '\0ref: refs/heads/main\n'; } > "$out/fuzz_refs/symref"
{ printf 'fuzz\0'; printf '%s\n' "$packed"; printf '\0ref: refs/heads/fuzz\n'; } > "$out/fuzz_refs/symref-loop"
{ printf 'fuzz\0'; printf '%s\n' "$packed"; printf '\0%s\n' "$head"; } > "$out/fuzz_refs/loose-id"
{ printf 'side\0'; printf '%s\n' "$packed" | grep -v '^#'; } > "$out/fuzz_refs/no-header"
{ printf 'main\0'; printf '%s\n' "$packed" | grep -v '^#' | sort -r; } > "$out/fuzz_refs/unsorted"
{ printf 'v1.0\0%s\n' "$sorted_hdr"; printf '%s\n' "$packed" | grep -v '^#' | sort -r; } > "$out/fuzz_refs/sorted-lie"
{ printf 'v1.0\0%s\n^%s\n' "$sorted_hdr" "$head"; } > "$out/fuzz_refs/peel-orphan"
{ printf 'main\0'; printf '%s\n' "$packed" | sed 's/$/\r/'; } > "$out/fuzz_refs/crlf"

# reflog: logs/HEAD texts, well-formed (checkouts, detached, commits) and
# with each kind of line git skips
z=$(printf '%040d' 0)
side=$(git --git-dir="$gd" rev-parse side)
l1="$z $head C O <c@o> 1600000000 +0000	commit (initial): one"
l2="$head $side C O <c@o> 1600000060 +0100	checkout: moving from main to side"
l3="$side $head C O <c@o> 1600000120 -0230	checkout: moving from side to main"
l4="$head $head C O <c@o> 1600000180 +0000	checkout: moving from main to $head"
printf '%s\n' "$l1" "$l2" "$l3" "$l4" > "$out/fuzz_reflog/checkouts"
printf '%s\n%s' "$l1" "$l2" > "$out/fuzz_reflog/no-final-lf"
printf '%s\n' "$z $head C O <c@o> 0 +0000	zero" "$head $side C O <c@o> 5 0000	zone" \
  "$head $side C O c@o 5 +0000	no gt" "$head C O <c@o> 5 +0000	one id" > "$out/fuzz_reflog/skipped"
printf '%s\n' "$l1" | sed 's/\t/ /' > "$out/fuzz_reflog/no-tab"

# http: the hand-written requests
cp "$here"/seeds/http/* "$out/fuzz_http/"

# midx: git's own multi-pack-index of the basic fixture spread over packs, with and without RIDX
m=$tmp/midx.git
cp -R "$fixtures/repos/basic.git" "$m"
git --git-dir="$m" rev-list --objects --all | cut -d' ' -f1 >"$tmp/objs"
half=$(($(wc -l <"$tmp/objs") / 2))
head -n "$half" "$tmp/objs" | git --git-dir="$m" pack-objects -q "$m/objects/pack/pack" >/dev/null
git --git-dir="$m" multi-pack-index write
cp "$m/objects/pack/multi-pack-index" "$out/fuzz_midx/plain"
git --git-dir="$m" multi-pack-index write --bitmap 2>/dev/null &&
	cp "$m/objects/pack/multi-pack-index" "$out/fuzz_midx/ridx"
m=$tmp/midx256.git
cp -R "$fixtures/repos/sha256.git" "$m"
git --git-dir="$m" multi-pack-index write
cp "$m/objects/pack/multi-pack-index" "$out/fuzz_midx/sha256"

# bitmap: packs/bitmap's own .bitmap as it is (flags 0) and with the checksums made
# right by the harness (3); the same bitmap without its name-hash cache
bm=$(ls "$fixtures"/packs/bitmap/*.bitmap)
printf '\000' | cat - "$bm" >"$out/fuzz_bitmap/good"
printf '\003' | cat - "$bm" >"$out/fuzz_bitmap/good-fixed"
python3 - "$bm" "$out/fuzz_bitmap/no-hash-cache" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
count = 156
b[7] &= ~4
b = b[:-20 - 4 * count] + b[-20:]
open(sys.argv[2], 'wb').write(b'\003' + bytes(b))
PY

# companion: good-crafted's .rev, the corrupt .rev cases, and a .mtimes made for good-crafted
printf '\001' | cat - "$fixtures"/corrupt/good-crafted/*.rev >"$out/fuzz_companion/rev"
for r in "$fixtures"/corrupt/rev-*/*.rev; do
	printf '\001' | cat - "$r" >"$out/fuzz_companion/$(basename "$(dirname "$r")")"
done
python3 - "$fixtures"/corrupt/good-crafted/*.pack "$out/fuzz_companion/mtimes" <<'PY'
import hashlib, struct, sys
pack = open(sys.argv[1], 'rb').read()
count = struct.unpack('>I', pack[8:12])[0]
body = b'MTME' + struct.pack('>II', 1, 1) + b''.join(struct.pack('>I', 1700000000 + i) for i in range(count))
body += pack[-20:]
open(sys.argv[2], 'wb').write(b'\0' + body + hashlib.sha1(body).digest())
PY

# config: the fixtures' own, and every form the reader knows
for c in "$fixtures"/repos/*.git/config; do
	cp "$c" "$out/fuzz_config/$(basename "$(dirname "$c")")"
done
printf '[core]\n\tbare = true\n[remote "origin"]\n\turl = "a \\"quoted\\" \\\n\tvalue" ; c\n[Sec.Sub]\nflag\n' \
	>"$out/fuzz_config/forms"

# reftable: tables of basic.git's twin under several layouts, and the corrupt kinds
rt="python3 $here/../tools/reftable.py"
i=0
for opts in "" "--block-size 256 --restart-interval 1 --index always" "--unaligned --block-size 128" \
	"--format-version 2" "--block-size 256 --split 3"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	$rt from-files "$fixtures/repos/basic.git" "$tmp/rt$i" $opts >/dev/null
	for f in "$tmp/rt$i"/reftable/*.ref "$tmp/rt$i"/reftable/*.log; do
		[ -f "$f" ] && cp "$f" "$out/fuzz_reftable/layout$i-$(basename "$f" | cut -c1-29)"
	done
done
$rt from-files "$fixtures/repos/sha256.git" "$tmp/rt256" --hash sha256 >/dev/null
cp "$tmp"/rt256/reftable/*.ref "$out/fuzz_reftable/sha256"
for kind in truncated bad-version footer-crc index-outside unsorted-keys restart-out-of-range \
	prefix-too-long block-len-past-end; do
	$rt corrupt "$kind" "$tmp/rt5" "$tmp/bad-$kind" >/dev/null 2>&1 || continue
	cp "$tmp/bad-$kind/reftable/$(tail -n 1 "$tmp/bad-$kind/reftable/tables.list")" \
		"$out/fuzz_reftable/corrupt-$kind"
done

for t in idx pack delta loose refs reflog http midx config companion reftable bitmap; do
  printf '%s: %s seeds\n' "fuzz_$t" "$(find "$out/fuzz_$t" -type f | wc -l)"
done
