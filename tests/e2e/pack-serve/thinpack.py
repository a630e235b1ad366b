#!/usr/bin/env python3
"""thinpack.py DIR: write into DIR a thin pack and its .idx: one REF_DELTA entry (the blob "hello\\nx") whose base, the blob "hello\\n", is in no pack. git verify-pack calls it bad ("1 unresolved delta"); a bundle of it cannot be indexed. Prints the base id."""
import hashlib, struct, sys, zlib
out = sys.argv[1]
base = b"hello\n"
base_id = hashlib.sha1(b"blob %d\0" % len(base) + base).digest()
result = base + b"x"
res_id = hashlib.sha1(b"blob %d\0" % len(result) + result).digest()
# The delta: base size, result size, copy the whole base, insert "x".
delta = bytes([len(base), len(result), 0x80 | 0x10, len(base), 1]) + b"x"
# An entry header: type and size, 4 bits then 7 per byte.
def hdr(t, size):
    b = (t << 4) | (size & 15); size >>= 4; out = []
    while size:
        out.append(b | 0x80); b = size & 0x7f; size >>= 7
    out.append(b); return bytes(out)
entry = hdr(7, len(delta)) + base_id + zlib.compress(delta)
pack = b"PACK" + struct.pack(">II", 2, 1) + entry
pack += hashlib.sha1(pack).digest()
# idx v2: magic, version, fan-out, the one id, its CRC32 and offset, the checksums.
idx = b"\377tOc" + struct.pack(">I", 2)
idx += b"".join(struct.pack(">I", 0 if i < res_id[0] else 1) for i in range(256))
idx += res_id + struct.pack(">I", zlib.crc32(entry) & 0xffffffff) + struct.pack(">I", 12)
idx += pack[-20:]
idx += hashlib.sha1(idx).digest()
name = pack[-20:].hex()
open("%s/pack-%s.pack" % (out, name), "wb").write(pack)
open("%s/pack-%s.idx" % (out, name), "wb").write(idx)
print(base_id.hex())
