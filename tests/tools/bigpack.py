#!/usr/bin/env python3
"""bigpack.py: writes git packs over 4 GiB, and objects over 4 GiB, cheaply.

`sparse` writes a pack of more than 4 GiB whose big entries are blobs of
zeros stored as zlib *stored* blocks (deflate BTYPE 00): only the 5-byte
block headers are written, the zeros between them are holes, so the file
costs about 1/16 of its size on disk. Small objects and deltas (OFS_DELTA
and REF_DELTA, chains of two) sit below 2 GiB, between 2 and 4 GiB and past
4 GiB, so the idx v2 large-offset table holds several entries and deltas
reach back across the 4 GiB mark.

`huge` writes a small pack holding one blob of zeros larger than 4 GiB
(5 GiB by default), properly deflated (about 1/1000 of its size).

Both write the .idx (v2) beside the .pack, named pack-<checksum>, and
compute every checksum while writing: the pack's trailer, each entry's
CRC32 and each object id, on threads (hashlib and zlib let go of the GIL),
so the zeros are hashed once per hash and never held in memory. See
tests/tools/README.md. Standard library only; never runs git.
"""

import argparse
import concurrent.futures
import hashlib
import os
import struct
import sys
import zlib

OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_TAG, OBJ_OFS_DELTA, OBJ_REF_DELTA = 1, 2, 3, 4, 6, 7
TYPE_NAMES = {OBJ_COMMIT: b"commit", OBJ_TREE: b"tree", OBJ_BLOB: b"blob", OBJ_TAG: b"tag"}
STORED_MAX = 65535          # bytes in one stored deflate block
BLOCKS_PER_BUF = 16         # stored blocks hashed per update (about 1 MiB)
ZEROS = bytes(1 << 20)
GIB = 1 << 30


class BigpackError(Exception):
	pass


def entry_header(type_, size):
	"""The pack entry header: type and size, 4 bits then 7 per byte."""
	b = (type_ << 4) | (size & 15)
	size >>= 4
	out = bytearray()
	while size:
		out.append(b | 0x80)
		b = size & 0x7f
		size >>= 7
	out.append(b)
	return bytes(out)


def ofs_encoding(distance):
	"""OFS_DELTA's base distance, in git's offset encoding (each more byte adds one)."""
	out = [distance & 0x7f]
	distance >>= 7
	while distance:
		distance -= 1
		out.insert(0, 0x80 | (distance & 0x7f))
		distance >>= 7
	return bytes(out)


def delta_varint(n):
	out = bytearray()
	while True:
		b = n & 0x7f
		n >>= 7
		if n:
			out.append(b | 0x80)
		else:
			out.append(b)
			return bytes(out)


def make_delta(base, ops):
	"""A delta from `base`: ops are ('copy', offset, length) or ('insert', bytes)."""
	out = bytearray(delta_varint(len(base)))
	result = bytearray()
	body = bytearray()
	for op in ops:
		if op[0] == "copy":
			off, n = op[1], op[2]
			if not 0 < n < 0x10000 or off + n > len(base):
				raise BigpackError("bad copy op")
			cmd, args = 0x80, bytearray()
			for i in range(4):
				if off >> (8 * i) & 0xff:
					cmd |= 1 << i
					args.append(off >> (8 * i) & 0xff)
			for i in range(2):
				if n >> (8 * i) & 0xff:
					cmd |= 0x10 << i
					args.append(n >> (8 * i) & 0xff)
			body += bytes([cmd]) + args
			result += base[off:off + n]
		else:
			data = op[1]
			for i in range(0, len(data), 127):
				piece = data[i:i + 127]
				body += bytes([len(piece)]) + piece
			result += data
	out += delta_varint(len(result)) + body
	return bytes(out), bytes(result)


def hash_zeros(algo, prefix, n):
	"""The hash of `prefix` then `n` zero bytes."""
	h = hashlib.new(algo, prefix)
	while n:
		k = min(n, len(ZEROS))
		h.update(ZEROS[:k] if k < len(ZEROS) else ZEROS)
		n -= k
	return h.digest()


def stored_stream_parts(n):
	"""A zlib stream of `n` zeros in stored blocks, as (bytes, repeat) pieces in order."""
	full, rest = divmod(n, STORED_MAX)
	if rest == 0 and full:
		full, rest = full - 1, STORED_MAX
	block = b"\x00" + struct.pack("<HH", STORED_MAX, 0xffff ^ STORED_MAX) + bytes(STORED_MAX)
	parts = [(b"\x78\x01", 1)]
	if full // BLOCKS_PER_BUF:
		parts.append((block * BLOCKS_PER_BUF, full // BLOCKS_PER_BUF))
	if full % BLOCKS_PER_BUF:
		parts.append((block, full % BLOCKS_PER_BUF))
	parts.append((b"\x01" + struct.pack("<HH", rest, 0xffff ^ rest) + bytes(rest), 1))
	# Adler-32 of zeros: a stays 1, b adds 1 per byte
	parts.append((struct.pack(">I", (n % 65521) << 16 | 1), 1))
	return parts


def deflated_zeros(n):
	"""A zlib stream of `n` zeros, deflated: (bytes, repeat) pieces in order.

	Each MiB is compressed after a full flush (no history), so every whole
	MiB compresses to the same bytes: compressed once, repeated."""
	co = zlib.compressobj(9, zlib.DEFLATED, -15)
	first = co.compress(ZEROS) + co.flush(zlib.Z_FULL_FLUSH)
	again = co.compress(ZEROS) + co.flush(zlib.Z_FULL_FLUSH)
	if co.compress(ZEROS) + co.flush(zlib.Z_FULL_FLUSH) != again:
		raise BigpackError("zlib does not repeat itself after a full flush")
	full, rest = divmod(n, len(ZEROS))
	parts = [(b"\x78\xda", 1)]
	if full:
		parts.append((first, 1))
	if full > 1:
		parts.append((again, full - 1))
	if rest:
		parts.append((co.compress(ZEROS[:rest]) + co.flush(zlib.Z_FULL_FLUSH), 1))
	parts.append((b"\x01\x00\x00\xff\xff", 1))  # an empty final stored block
	parts.append((struct.pack(">I", (n % 65521) << 16 | 1), 1))
	return parts


def crc_parts(parts, crc):
	for data, times in parts:
		for _ in range(times):
			crc = zlib.crc32(data, crc)
	return crc


class PackWriter:
	"""Writes a pack front to back, hashing as it goes; zeros are left as holes."""

	def __init__(self, pack_dir, algo, pool):
		self.dir = pack_dir
		self.algo = algo
		self.pool = pool
		self.tmp = os.path.join(pack_dir, "tmp_bigpack_%d.pack" % os.getpid())
		self.f = open(self.tmp, "wb")
		self.pos = 0
		self.sha = hashlib.new(algo)
		self.entries = []  # [offset, oid or future, crc or future]
		self.objects = {}  # name -> (oid, type, content) for small objects
		self.count = 0

	def _write(self, data):
		self.f.write(data)
		self.sha.update(data)
		self.pos += len(data)

	def header(self, count):
		self._write(b"PACK" + struct.pack(">II", 2, count))
		self.count = count

	def _small(self, name, type_, content, stored):
		"""Write an entry whose stored form is `stored` (type, header extra, deflated)."""
		offset = self.pos
		etype, extra, raw = stored
		data = entry_header(etype, len(raw)) + extra + zlib.compress(raw, 9)
		self._write(data)
		oid = hashlib.new(self.algo, TYPE_NAMES[type_] + b" %d\0" % len(content) + content).digest()
		self.entries.append([offset, oid, zlib.crc32(data)])
		self.objects[name] = (oid, type_, content, offset)
		return oid

	def obj(self, name, type_, content):
		return self._small(name, type_, content, (type_, b"", content))

	def ofs_delta(self, name, base, ops):
		boid, btype, bcontent, boffset = self.objects[base]
		delta, result = make_delta(bcontent, ops)
		return self._small(name, btype, result,
			(OBJ_OFS_DELTA, ofs_encoding(self.pos - boffset), delta))

	def ref_delta(self, name, base, ops):
		boid, btype, bcontent, boffset = self.objects[base]
		delta, result = make_delta(bcontent, ops)
		return self._small(name, btype, result, (OBJ_REF_DELTA, boid, delta))

	def zeros(self, name, n, deflate=False):
		"""A blob of `n` zeros: stored blocks written sparse, or deflated."""
		offset = self.pos
		head = entry_header(OBJ_BLOB, n)
		parts = deflated_zeros(n) if deflate else stored_stream_parts(n)
		oid = self.pool.submit(hash_zeros, self.algo, b"blob %d\0" % n, n)
		crc = self.pool.submit(crc_parts, parts, zlib.crc32(head))
		self._write(head)
		for data, times in parts:
			if not deflate and len(data) > 64:
				# a run of stored blocks: each block's 5 header bytes, holes between
				step = STORED_MAX + 5
				for t in range(times):
					for b in range(0, len(data), step):
						self.f.seek(self.pos + t * len(data) + b)
						self.f.write(data[b:b + 5])
				for _ in range(times):
					self.sha.update(data)
				self.pos += times * len(data)
				self.f.seek(self.pos)
			else:
				for _ in range(times):
					self._write(data)
		self.entries.append([offset, oid, crc])
		self.objects[name] = (oid, OBJ_BLOB, None, offset)
		return oid

	def finish(self):
		if len(self.entries) != self.count:
			raise BigpackError("header says %d objects, %d written" % (self.count, len(self.entries)))
		for e in self.entries:
			for i in (1, 2):
				if isinstance(e[i], concurrent.futures.Future):
					e[i] = e[i].result()
		trailer = self.sha.digest()
		self.f.write(trailer)
		self.f.close()
		name = os.path.join(self.dir, "pack-" + trailer.hex())
		idx = idx_v2(self.entries, trailer, self.algo)
		with open(name + ".idx.tmp", "wb") as f:
			f.write(idx)
		os.rename(self.tmp, name + ".pack")
		os.rename(name + ".idx.tmp", name + ".idx")
		return name + ".pack"


def idx_v2(entries, trailer, algo):
	"""An idx v2: fan-out, ids, CRC32s, offsets (>= 2^31 in the 64-bit table)."""
	entries = sorted(entries, key=lambda e: e[1])
	out = bytearray(b"\xfftOc" + struct.pack(">I", 2))
	fan = [0] * 256
	for e in entries:
		fan[e[1][0]] += 1
	total = 0
	for i in range(256):
		total += fan[i]
		out += struct.pack(">I", total)
	for e in entries:
		out += e[1]
	for e in entries:
		out += struct.pack(">I", e[2] & 0xffffffff)
	large = bytearray()
	for e in entries:
		if e[0] > 0x7fffffff:
			out += struct.pack(">I", 0x80000000 | len(large) // 8)
			large += struct.pack(">Q", e[0])
		else:
			out += struct.pack(">I", e[0])
	out += large + trailer
	out += hashlib.new(algo, bytes(out)).digest()
	return bytes(out)


def text(tag, lines):
	return b"".join(b"%s line %d: the quick brown fox jumps over the lazy dog\n" % (tag, i)
		for i in range(lines))


def tree(entries):
	out = bytearray()
	for name, oid in sorted(entries):
		out += b"100644 " + name + b"\0" + oid
	return bytes(out)


def cmd_sparse(args):
	"""Small objects and deltas below 2 GiB, in [2, 4) GiB and past 4 GiB; two fillers."""
	if args.filler1 == args.filler2:
		raise BigpackError("fillers of the same size are the same object (git refuses duplicates)")
	with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
		w = PackWriter(args.pack_dir, args.hash, pool)
		w.header(16)
		w.obj("s1", OBJ_BLOB, text(b"s1", 40))
		w.obj("hello", OBJ_BLOB, b"hello, big pack\n")
		w.zeros("f1", args.filler1)
		# from here on offsets are >= 2^31: the idx's large-offset table
		w.obj("s2", OBJ_BLOB, text(b"s2", 40))
		w.ofs_delta("d1", "s1", [("copy", 0, 500), ("insert", b"d1 was here\n"),
			("copy", 500, 1000)])
		w.zeros("f2", args.filler2)
		if w.pos <= 4 * GIB and not args.any_size:
			raise BigpackError("the fillers end at %d, not past 4 GiB" % w.pos)
		w.obj("s3", OBJ_BLOB, text(b"s3", 70))
		w.ofs_delta("d2", "s1", [("insert", b"d2 starts here\n"), ("copy", 100, 2000)])
		w.ofs_delta("d3", "s2", [("copy", 10, 1500), ("insert", b"d3 ends here\n")])
		w.ofs_delta("d4", "s3", [("copy", 0, 3000), ("insert", b"d4\n"), ("copy", 3000, 150)])
		w.ref_delta("d5", "s3", [("insert", b"d5 is a REF_DELTA\n"), ("copy", 64, 2048)])
		w.ofs_delta("d6", "d4", [("copy", 0, 1000), ("insert", b"d6 on d4\n")])
		w.ref_delta("d7", "d1", [("copy", 12, 1200), ("insert", b"d7 on d1, by id\n")])
		names = [(n.encode(), w.objects[n][0]) for n in
			("s1", "hello", "f1", "s2", "d1", "f2", "s3", "d2", "d3", "d4", "d5", "d6", "d7")]
		# the fillers' ids are still being hashed: the tree needs them now
		names = [(n, o.result() if isinstance(o, concurrent.futures.Future) else o)
			for n, o in names]
		t = w.obj("tree", OBJ_TREE, tree(names))
		who = b"A U Thor <author@example.com> 1700000000 +0000"
		c = w.obj("commit", OBJ_COMMIT, b"tree %s\nauthor %s\ncommitter %s\n\nbig pack\n" %
			(t.hex().encode(), who, who))
		w.obj("tag", OBJ_TAG, b"object %s\ntype commit\ntag big\ntagger %s\n\npast 4 GiB\n" %
			(c.hex().encode(), who))
		print(w.finish())


def cmd_huge(args):
	with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
		w = PackWriter(args.pack_dir, args.hash, pool)
		w.header(1)
		w.zeros("huge", args.size, deflate=True)
		print(w.finish())


def size_arg(s):
	mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
	if s[-1:].lower() in mult:
		return int(s[:-1], 0) * mult[s[-1:].lower()]
	return int(s, 0)


def main(argv):
	ap = argparse.ArgumentParser(prog="bigpack.py", description=__doc__.split("\n")[0])
	sub = ap.add_subparsers(dest="cmd", required=True)
	p = sub.add_parser("sparse", help="a sparse pack over 4 GiB, objects and deltas past it")
	p.add_argument("pack_dir")
	p.add_argument("--hash", choices=("sha1", "sha256"), default="sha1")
	p.add_argument("--filler1", type=size_arg, default=2 * GIB + 4096,
		       help="zeros in the first filler blob (default 2g + 4096)")
	p.add_argument("--filler2", type=size_arg, default=2 * GIB + 8192,
		       help="zeros in the second, which must end past 4 GiB (default 2g + 8192)")
	p.add_argument("--any-size", action="store_true",
		       help="allow fillers that end before 4 GiB (to test the tool quickly)")
	p.set_defaults(func=cmd_sparse)
	p = sub.add_parser("huge", help="a small pack of one deflated blob of zeros")
	p.add_argument("pack_dir")
	p.add_argument("--hash", choices=("sha1", "sha256"), default="sha1")
	p.add_argument("--size", type=size_arg, default=5 * GIB, help="bytes of zeros (default 5g)")
	p.set_defaults(func=cmd_huge)
	args = ap.parse_args(argv)
	try:
		return args.func(args) or 0
	except (BigpackError, OSError) as e:
		print("bigpack.py: %s" % e, file=sys.stderr)
		return 2


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
