#!/usr/bin/env python3
"""midx.py: a multi-pack-index (MIDX) writer, dumper and corrupter for tests.

Written from git's format documents (Documentation/gitformat-pack.adoc,
"multi-pack-index (MIDX) files have the following format", "multi-pack-index
reverse indexes", "BTMP chunk"; Documentation/technical/multi-pack-index.adoc,
"Incremental multi-pack indexes"). git 2.39 writes only version 1 and no
chains; this tool writes v1, v2 and incremental chains so packwin's reader
can be tested on all of them. See tests/tools/README.md for the CLI, the
choices made where the documents are silent, and the corrupt kinds.

Standard library only: it reads .idx files (v1 and v2, SHA-1 and SHA-256)
by itself and never runs git.
"""

import argparse
import hashlib
import os
import struct
import sys

MIDX_SIGNATURE = b"MIDX"
HEADER_SIZE = 12
CHUNK_PNAM = b"PNAM"
CHUNK_BTMP = b"BTMP"
CHUNK_OIDF = b"OIDF"
CHUNK_OIDL = b"OIDL"
CHUNK_OOFF = b"OOFF"
CHUNK_LOFF = b"LOFF"
CHUNK_RIDX = b"RIDX"
LARGE_OFFSET_BIT = 0x80000000

HASHES = {"sha1": (1, 20), "sha256": (2, 32)}
HASH_BY_ID = {1: "sha1", 2: "sha256"}
HASH_BY_LEN = {20: "sha1", 32: "sha256"}
IDX_V2_MAGIC = b"\xfftOc"
CHAIN_DIR = "multi-pack-index.d"
CHAIN_FILE = "multi-pack-index-chain"


class MidxError(Exception):
	pass


# --- .idx reading -----------------------------------------------------------

def _hash_hint_from_name(path):
	base = os.path.basename(path)
	if base.endswith(".idx"):
		base = base[:-4]
	hexpart = base.rsplit("-", 1)[-1]
	try:
		int(hexpart, 16)
	except ValueError:
		return None
	return {40: 20, 64: 32}.get(len(hexpart))


def _idx_layout_fits(size, version, nr, hlen):
	if version == 1:
		return size == 1024 + nr * (4 + hlen) + 2 * hlen
	rest = size - 8 - 1024 - nr * (hlen + 8) - 2 * hlen
	return rest >= 0 and rest % 8 == 0 and rest // 8 <= nr


class Idx:
	"""One pack index: object ids in idx order and their pack offsets."""

	def __init__(self, path, hash_len=None):
		self.path = path
		self.name = os.path.basename(path)
		with open(path, "rb") as f:
			data = f.read()
		if data[:4] == IDX_V2_MAGIC:
			(self.version,) = struct.unpack(">I", data[4:8])
			if self.version != 2:
				raise MidxError("%s: idx version %d not supported" % (path, self.version))
			fan_at = 8
		else:
			self.version = 1
			fan_at = 0
		if len(data) < fan_at + 1024:
			raise MidxError("%s: too small for an idx" % path)
		fanout = struct.unpack(">256I", data[fan_at:fan_at + 1024])
		nr = fanout[255]
		candidates = [hash_len] if hash_len else []
		hint = _hash_hint_from_name(path)
		if hint and hint not in candidates:
			candidates.append(hint)
		for h in (20, 32):
			if h not in candidates:
				candidates.append(h)
		for h in candidates:
			if _idx_layout_fits(len(data), self.version, nr, h):
				self.hash_len = h
				break
		else:
			raise MidxError("%s: size %d fits no idx layout" % (path, len(data)))
		if hash_len and self.hash_len != hash_len:
			raise MidxError("%s: not a %d-byte-hash idx" % (path, hash_len))
		h = self.hash_len
		at = fan_at + 1024
		self.oids = []
		self.offsets = []
		if self.version == 1:
			for i in range(nr):
				(off,) = struct.unpack(">I", data[at:at + 4])
				self.offsets.append(off)
				self.oids.append(data[at + 4:at + 4 + h])
				at += 4 + h
		else:
			for i in range(nr):
				self.oids.append(data[at:at + h])
				at += h
			at += 4 * nr  # CRC32s
			small = struct.unpack(">%dI" % nr, data[at:at + 4 * nr])
			at += 4 * nr
			large_at = at
			nlarge = (len(data) - 2 * h - large_at) // 8
			for off in small:
				if off & LARGE_OFFSET_BIT:
					i = off & ~LARGE_OFFSET_BIT
					if i >= nlarge:
						raise MidxError("%s: large offset %d past the table" % (path, i))
					(off,) = struct.unpack(">Q", data[large_at + 8 * i:large_at + 8 * i + 8])
				self.offsets.append(off)
		self.num_objects = nr


def idx_pack_path(idx_path):
	return idx_path[:-4] + ".pack"


# --- pack selection ---------------------------------------------------------

class Pack:
	def __init__(self, pack_dir, name, order, hash_len):
		self.name = name
		self.order = order  # position in readdir order: git's tie-break
		self.idx = Idx(os.path.join(pack_dir, name), hash_len)
		pack = idx_pack_path(os.path.join(pack_dir, name))
		if not os.path.exists(pack):
			raise MidxError("%s: no %s beside it" % (name, os.path.basename(pack)))
		self.mtime = int(os.stat(pack).st_mtime)


def list_packs(pack_dir, wanted, hash_len):
	"""The packs of pack_dir in readdir order (what git iterates), limited to
	the names in `wanted` (idx or pack names) when it is given."""
	names = [n for n in os.listdir(pack_dir) if n.endswith(".idx")]
	if wanted is not None:
		want = set()
		for w in wanted:
			w = os.path.basename(w)
			if w.endswith(".pack"):
				w = w[:-5] + ".idx"
			elif not w.endswith(".idx"):
				w = w + ".idx"
			want.add(w)
		missing = want - set(names)
		if missing:
			raise MidxError("no such pack in %s: %s" % (pack_dir, ", ".join(sorted(missing))))
		names = [n for n in names if n in want]
	packs = [Pack(pack_dir, n, i, hash_len) for i, n in enumerate(names)]
	if not packs:
		raise MidxError("no packs to index in %s" % pack_dir)
	return packs


def normalise_pack_name(name):
	name = os.path.basename(name)
	if name.endswith(".pack"):
		return name[:-5] + ".idx"
	if not name.endswith(".idx"):
		return name + ".idx"
	return name


def choose_preferred(packs, preferred_name, want_ridx):
	"""git's choice: the named pack; else, when a reverse index is written,
	the oldest pack by mtime (first in readdir order on ties, skipping empty
	ones); else none."""
	if preferred_name:
		n = normalise_pack_name(preferred_name)
		for p in packs:
			if p.name == n:
				if not p.idx.num_objects:
					raise MidxError("cannot prefer %s: it has no objects" % n)
				return p
		raise MidxError("unknown preferred pack: %s" % preferred_name)
	if not want_ridx:
		return None
	oldest = packs[0]
	for p in packs[1:]:
		if not oldest.idx.num_objects or p.mtime < oldest.mtime:
			oldest = p
	return oldest if oldest.idx.num_objects else None


# --- writing ----------------------------------------------------------------

class Layer:
	"""The content of one MIDX file, before serialisation (attributes are
	set by build_layer)."""


def build_layer(packs, preferred, base_oids, version, pack_order, ridx, btmp,
		loff_threshold, nr_base, hash_name):
	"""Select one copy of every object of `packs` not in base_oids.

	Duplicates: the preferred pack's copy, else the copy in the pack with the
	newest mtime, else the one first in readdir order (git's midx_oid_compare
	order, which the design notes' "most-recently modified packfile" rule
	describes)."""
	layer = Layer()
	layer.version = version
	layer.hash_name = hash_name
	if pack_order == "sorted":
		named = sorted(packs, key=lambda p: p.name.encode())
	else:
		named = list(packs)
	if version == 1:
		names = [p.name.encode() for p in named]
		if names != sorted(names) or len(set(names)) != len(names):
			raise MidxError("version 1 lists packs in lexicographic order only")
	layer.packs = named
	pack_id = {id(p): i for i, p in enumerate(named)}
	best = {}
	for p in packs:
		pref = p is preferred
		rank = (0 if pref else 1, -p.mtime, p.order)
		for oid, off in zip(p.idx.oids, p.idx.offsets):
			if oid in base_oids:
				continue
			cur = best.get(oid)
			if cur is None or rank < cur[0]:
				best[oid] = (rank, p, off)
	layer.entries = []  # (oid, pack id, offset, preferred)
	for oid in sorted(best):
		rank, p, off = best[oid]
		layer.entries.append((oid, pack_id[id(p)], off, p is preferred))
	layer.nr_base = nr_base
	layer.ridx = None
	layer.btmp = None
	if ridx or btmp:
		# Pseudo-pack order ("multi-pack-index reverse indexes"): the
		# preferred pack first, then by pack id, then by offset in the pack.
		# (The document says "descending order based on the pack ID"; git
		# writes ascending pack ids, and the byte-for-byte check against
		# git 2.39 holds us to what git writes.)
		order = sorted(range(len(layer.entries)), key=lambda i: (
			0 if layer.entries[i][3] else 1, layer.entries[i][1], layer.entries[i][2]))
		layer.ridx = [i + nr_base for i in order] if ridx else None
		if btmp:
			pos = [None] * len(named)
			cnt = [0] * len(named)
			for k, i in enumerate(order):
				pid = layer.entries[i][1]
				if pos[pid] is None:
					pos[pid] = k + nr_base
				cnt[pid] += 1
			layer.btmp = [(pos[i] or 0, cnt[i]) for i in range(len(named))]
	layer.loff_threshold = loff_threshold
	return layer


def serialise(layer):
	hash_id, hlen = HASHES[layer.hash_name]
	chunks = []
	pnam = b"".join(p.name.encode() + b"\0" for p in layer.packs)
	pnam += b"\0" * (-len(pnam) % 4)
	chunks.append((CHUNK_PNAM, pnam))
	fan = [0] * 256
	for e in layer.entries:
		fan[e[0][0]] += 1
	total = 0
	for i in range(256):
		total += fan[i]
		fan[i] = total
	chunks.append((CHUNK_OIDF, struct.pack(">256I", *fan)))
	chunks.append((CHUNK_OIDL, b"".join(e[0] for e in layer.entries)))
	# Offsets ("Object Offsets"): a LOFF chunk exists only when an offset
	# needs more than 32 bits; then every offset over 2^31-1 goes there.
	# loff_threshold (testing) puts every offset above it in LOFF instead.
	if layer.loff_threshold is not None:
		threshold = layer.loff_threshold
		use_loff = True
	else:
		threshold = 0x7fffffff
		use_loff = any(e[2] > 0xffffffff for e in layer.entries)
	ooff = bytearray()
	loff = bytearray()
	for e in layer.entries:
		off = e[2]
		if use_loff and off > threshold:
			ooff += struct.pack(">II", e[1], LARGE_OFFSET_BIT | (len(loff) // 8))
			loff += struct.pack(">Q", off)
		else:
			ooff += struct.pack(">II", e[1], off)
	chunks.append((CHUNK_OOFF, bytes(ooff)))
	if use_loff:
		chunks.append((CHUNK_LOFF, bytes(loff)))
	if layer.ridx is not None:
		chunks.append((CHUNK_RIDX, struct.pack(">%dI" % len(layer.ridx), *layer.ridx)))
	if layer.btmp is not None:
		chunks.append((CHUNK_BTMP, b"".join(struct.pack(">II", a, b) for a, b in layer.btmp)))
	# Header: the "number of base multi-pack-index files" byte is "currently
	# always zero" (gitformat-pack), also in chain layers: a layer's base is
	# given by the chain file alone.
	out = bytearray(MIDX_SIGNATURE)
	out += struct.pack(">BBBBI", layer.version, hash_id, len(chunks), 0, len(layer.packs))
	at = HEADER_SIZE + 12 * (len(chunks) + 1)
	for cid, data in chunks:
		out += cid + struct.pack(">Q", at)
		at += len(data)
	out += b"\0\0\0\0" + struct.pack(">Q", at)
	for cid, data in chunks:
		out += data
	out += hashlib.new(layer.hash_name, bytes(out)).digest()
	return bytes(out)


def write_atomic(path, data):
	tmp = path + ".tmp-%d" % os.getpid()
	with open(tmp, "wb") as f:
		f.write(data)
	os.replace(tmp, path)


def split_list(s):
	return [x for x in s.split(",") if x] if s else None


def cmd_write(args):
	wanted = split_list(args.packs)
	hash_len = HASHES[args.hash][1] if args.hash else None
	packs = list_packs(args.pack_dir, wanted, hash_len)
	hash_name = args.hash or HASH_BY_LEN[packs[0].idx.hash_len]
	for p in packs:
		if p.idx.hash_len != HASHES[hash_name][1]:
			raise MidxError("%s: hash length differs from %s" % (p.name, hash_name))
	if args.pack_order == "given":
		if not wanted:
			raise MidxError("--pack-order given needs --packs")
		by_name = {p.name: p for p in packs}
		packs_in_order = [by_name[normalise_pack_name(w)] for w in wanted]
	else:
		packs_in_order = packs
	preferred = choose_preferred(packs, args.preferred_pack, args.ridx or args.btmp)
	layer = build_layer(packs_in_order, preferred, set(), args.version, args.pack_order,
			    args.ridx, args.btmp, args.loff_threshold, 0, hash_name)
	data = serialise(layer)
	out = args.output or os.path.join(args.pack_dir, "multi-pack-index")
	write_atomic(out, data)
	print(data[-HASHES[hash_name][1]:].hex())


def cmd_chain(args):
	"""An incremental chain (multi-pack-index.adoc, "Incremental
	multi-pack indexes"): one layer per ';'-separated group of packs,
	oldest first. A layer lists only its own packs (pack ids in OOFF are
	local to the layer), holds only objects no lower layer has, and its RIDX
	and BTMP positions count on from the objects of the layers below."""
	groups = [split_list(g) for g in args.layers.split(";")]
	if not groups or any(not g for g in groups):
		raise MidxError("--layers needs non-empty ';'-separated groups")
	allnames = [n for g in groups for n in g]
	if len(set(map(normalise_pack_name, allnames))) != len(allnames):
		raise MidxError("a pack appears in more than one layer")
	hash_len = HASHES[args.hash][1] if args.hash else None
	chain_dir = os.path.join(args.output_dir or args.pack_dir, CHAIN_DIR)
	os.makedirs(chain_dir, exist_ok=True)
	hashes = []
	base_oids = set()
	hash_name = args.hash
	pref_name = normalise_pack_name(args.preferred_pack) if args.preferred_pack else None
	if pref_name and pref_name not in map(normalise_pack_name, groups[0]):
		raise MidxError("the preferred pack must be in the first layer")
	for li, g in enumerate(groups):
		packs = list_packs(args.pack_dir, g, hash_len)
		if hash_name is None:
			hash_name = HASH_BY_LEN[packs[0].idx.hash_len]
			hash_len = HASHES[hash_name][1]
		if li == 0:
			preferred = choose_preferred(packs, args.preferred_pack, args.ridx or args.btmp)
		else:
			preferred = None  # ordering of later layers: pack order only
		if args.pack_order == "given":
			by_name = {p.name: p for p in packs}
			packs = [by_name[normalise_pack_name(w)] for w in g]
		layer = build_layer(packs, preferred, base_oids, args.version, args.pack_order,
				    args.ridx, args.btmp, args.loff_threshold, len(base_oids), hash_name)
		data = serialise(layer)
		h = data[-hash_len:].hex()
		write_atomic(os.path.join(chain_dir, "multi-pack-index-%s.midx" % h), data)
		hashes.append(h)
		base_oids.update(e[0] for e in layer.entries)
	write_atomic(os.path.join(chain_dir, CHAIN_FILE), "".join(h + "\n" for h in hashes).encode())
	for h in hashes:
		print(h)


# --- reading and checking ---------------------------------------------------

class Parsed:
	pass


def parse_midx(data, problems, name="midx"):
	"""Parse a MIDX independently of the writer; append every structural
	problem to `problems`. Returns a Parsed or None when hopeless."""
	def bad(msg):
		problems.append("%s: %s" % (name, msg))
	m = Parsed()
	if len(data) < HEADER_SIZE + 20:
		bad("file too small (%d bytes)" % len(data))
		return None
	if data[:4] != MIDX_SIGNATURE:
		bad("bad signature %r" % data[:4])
		return None
	m.version, m.hash_id, m.num_chunks, m.num_base, m.num_packs = struct.unpack(
		">BBBBI", data[4:12])
	if m.version not in (1, 2):
		bad("unknown version %d" % m.version)
	if m.hash_id not in HASH_BY_ID:
		bad("unknown object id version %d" % m.hash_id)
		return None
	m.hash_name = HASH_BY_ID[m.hash_id]
	hlen = HASHES[m.hash_name][1]
	if m.num_base != 0:
		bad("base count byte is %d; the format says it is always 0" % m.num_base)
	body_end = len(data) - hlen
	m.checksum = data[body_end:]
	want = hashlib.new(m.hash_name, data[:body_end]).digest()
	m.checksum_ok = want == m.checksum
	if not m.checksum_ok:
		bad("checksum mismatch (stored %s, computed %s)" % (m.checksum.hex(), want.hex()))
	table_end = HEADER_SIZE + 12 * (m.num_chunks + 1)
	if table_end > body_end:
		bad("chunk table (%d chunks) runs past the end" % m.num_chunks)
		return None
	m.chunks = []
	ids = []
	for i in range(m.num_chunks + 1):
		at = HEADER_SIZE + 12 * i
		cid = data[at:at + 4]
		(off,) = struct.unpack(">Q", data[at + 4:at + 12])
		ids.append((cid, off))
	if ids[-1][0] != b"\0\0\0\0":
		bad("chunk table not terminated by id 0")
	for i in range(m.num_chunks):
		cid, off = ids[i]
		end = ids[i + 1][1]
		if off < table_end or end > body_end or end < off:
			bad("chunk %r [%d, %d) outside the body [%d, %d)" % (cid, off, end, table_end, body_end))
			return None
		if off % 4:
			bad("chunk %r at unaligned offset %d" % (cid, off))
		m.chunks.append((cid.decode("latin-1"), off, end - off))
	if ids[-1][1] != body_end:
		bad("terminator offset %d is not the checksum's offset %d" % (ids[-1][1], body_end))
	chunk = {}
	for cid, off, size in m.chunks:
		if cid in chunk:
			bad("chunk %s appears twice" % cid)
		chunk[cid] = data[off:off + size]
	for req in ("PNAM", "OIDF", "OIDL", "OOFF"):
		if req not in chunk:
			bad("required chunk %s missing" % req)
			return None
	pnam = chunk["PNAM"]
	if len(pnam) % 4:
		bad("PNAM size %d not a multiple of 4" % len(pnam))
	m.pack_names = []
	at = 0
	for i in range(m.num_packs):
		end = pnam.find(b"\0", at)
		if end < 0:
			bad("PNAM holds fewer than %d names" % m.num_packs)
			break
		m.pack_names.append(pnam[at:end].decode("utf-8", "replace"))
		at = end + 1
	if pnam[at:].strip(b"\0") or len(pnam) - at > 3:
		bad("PNAM has %d bytes after the names (padding is 0-3 NULs)" % (len(pnam) - at))
	raw = [n.encode() for n in m.pack_names]
	if m.version == 1 and raw != sorted(set(raw)):
		bad("v1 PNAM names not in strict lexicographic order")
	if len(set(raw)) != len(raw):
		bad("PNAM names a pack twice")
	if len(chunk["OIDF"]) != 1024:
		bad("OIDF size %d, not 1024" % len(chunk["OIDF"]))
		return None
	fan = struct.unpack(">256I", chunk["OIDF"])
	m.num_objects = fan[255]
	if any(fan[i] > fan[i + 1] for i in range(255)):
		bad("OIDF not monotonic")
	n = m.num_objects
	if len(chunk["OIDL"]) != n * hlen:
		bad("OIDL size %d, want %d" % (len(chunk["OIDL"]), n * hlen))
		return None
	m.oids = [chunk["OIDL"][i * hlen:(i + 1) * hlen] for i in range(n)]
	for i in range(n - 1):
		if m.oids[i] >= m.oids[i + 1]:
			bad("OIDL not strictly sorted at %d" % i)
			break
	for i, oid in enumerate(m.oids):
		lo = fan[oid[0] - 1] if oid[0] else 0
		if not lo <= i < fan[oid[0]]:
			bad("object %d (%s) outside its fanout bucket" % (i, oid.hex()))
			break
	if len(chunk["OOFF"]) != n * 8:
		bad("OOFF size %d, want %d" % (len(chunk["OOFF"]), n * 8))
		return None
	loff = chunk.get("LOFF")
	if loff is not None and len(loff) % 8:
		bad("LOFF size %d not a multiple of 8" % len(loff))
	nloff = len(loff) // 8 if loff is not None else 0
	m.objects = []  # (pack id, offset, via LOFF)
	used_loff = set()
	for i in range(n):
		pid, off = struct.unpack(">II", chunk["OOFF"][8 * i:8 * i + 8])
		large = False
		if loff is not None and off & LARGE_OFFSET_BIT:
			j = off & ~LARGE_OFFSET_BIT
			if j >= nloff:
				bad("object %d: large offset %d past LOFF (%d entries)" % (i, j, nloff))
				off = None
			else:
				used_loff.add(j)
				(off,) = struct.unpack(">Q", loff[8 * j:8 * j + 8])
				large = True
		if pid >= m.num_packs:
			bad("object %d: pack id %d, only %d packs" % (i, pid, m.num_packs))
		m.objects.append((pid, off, large))
	if loff is not None and len(used_loff) != nloff:
		bad("LOFF has %d entries, %d used" % (nloff, len(used_loff)))
	m.ridx = None
	if "RIDX" in chunk:
		if len(chunk["RIDX"]) != 4 * n:
			bad("RIDX size %d, want %d" % (len(chunk["RIDX"]), 4 * n))
		else:
			m.ridx = list(struct.unpack(">%dI" % n, chunk["RIDX"]))
	m.btmp = None
	if "BTMP" in chunk:
		if len(chunk["BTMP"]) != 8 * m.num_packs:
			bad("BTMP size %d, want %d" % (len(chunk["BTMP"]), 8 * m.num_packs))
		else:
			m.btmp = [struct.unpack(">II", chunk["BTMP"][8 * i:8 * i + 8])
				  for i in range(m.num_packs)]
	m.unknown_chunks = [c for c in chunk if c not in
			    ("PNAM", "OIDF", "OIDL", "OOFF", "LOFF", "RIDX", "BTMP")]
	return m


def check_pseudo_pack(m, nr_base, first_layer, problems, name):
	"""RIDX must be the permutation of [nr_base, nr_base + N) that orders
	objects by (preferred pack first, pack id, offset); the preferred pack is
	whichever pack owns the first position. BTMP must match it."""
	n = m.num_objects
	if m.ridx is not None:
		local = [r - nr_base for r in m.ridx]
		if sorted(local) != list(range(n)):
			problems.append("%s: RIDX is not a permutation of [%d, %d)" % (name, nr_base, nr_base + n))
			return
		pref = m.objects[local[0]][0] if (n and first_layer) else None
		key = [(0 if m.objects[i][0] == pref else 1, m.objects[i][0], m.objects[i][1]) for i in local]
		if key != sorted(key) or len(set(key)) != len(key):
			problems.append("%s: RIDX not in pseudo-pack order" % name)
		if m.btmp is not None:
			pos = {}
			cnt = [0] * m.num_packs
			for k, i in enumerate(local):
				pid = m.objects[i][0]
				pos.setdefault(pid, k + nr_base)
				cnt[pid] += 1
			want = [(pos.get(p, 0), cnt[p]) for p in range(m.num_packs)]
			if want != m.btmp:
				problems.append("%s: BTMP %s does not match RIDX (%s)" % (name, m.btmp, want))
	elif m.btmp is not None:
		problems.append("%s: BTMP without RIDX" % name)


def check_against_packs(m, pack_dir, problems, name, claimed):
	"""Every entry names a pack that exists, and that pack's own idx has the
	object at the same offset; the copy chosen is the one in the pack that
	`claimed` (oid -> pack names holding it) allows."""
	hlen = HASHES[m.hash_name][1]
	packs = []  # per pack id: ({oid: offset}, .pack size), or None if missing
	for pn in m.pack_names:
		path = os.path.join(pack_dir, pn)
		if not os.path.exists(path) or not os.path.exists(idx_pack_path(path)):
			problems.append("%s: pack %s named in PNAM is missing" % (name, pn))
			packs.append(None)
			continue
		idx = Idx(path, hlen)
		packs.append((dict(zip(idx.oids, idx.offsets)), os.path.getsize(idx_pack_path(path))))
		for oid in idx.oids:
			claimed.setdefault(oid, set()).add(pn)
	for i, (pid, off, _) in enumerate(m.objects):
		if pid >= len(packs) or packs[pid] is None:
			continue
		oid = m.oids[i]
		offsets, size = packs[pid]
		have = offsets.get(oid)
		if off is not None and not 12 <= off < size - hlen:
			problems.append("%s: %s offset %d outside %s" % (name, oid.hex(), off, m.pack_names[pid]))
		elif have is None:
			problems.append("%s: %s not in %s" % (name, oid.hex(), m.pack_names[pid]))
		elif have != off:
			problems.append("%s: %s at %s in MIDX, %d in %s" % (name, oid.hex(), off, have, m.pack_names[pid]))


def print_midx(m, name, nr_base, pack_base, show_objects, out):
	out.write("%s: MIDX version %d, %s, %d chunks, base count %d, %d packs, %d objects\n" % (
		name, m.version, m.hash_name, m.num_chunks, m.num_base, m.num_packs, m.num_objects))
	out.write("  checksum %s%s\n" % (m.checksum.hex(), "" if m.checksum_ok else " (BAD)"))
	for cid, off, size in m.chunks:
		out.write("  chunk %s at %d size %d\n" % (cid, off, size))
	for i, pn in enumerate(m.pack_names):
		extra = ""
		if m.btmp is not None:
			extra = " bitmap_pos %d bitmap_nr %d" % m.btmp[i]
		out.write("  pack %d %s%s\n" % (pack_base + i, pn, extra))
	if show_objects:
		for i, oid in enumerate(m.oids):
			pid, off, large = m.objects[i]
			out.write("  object %d %s pack %d offset %s%s\n" % (
				nr_base + i, oid.hex(), pack_base + pid, off, " (LOFF)" if large else ""))
		if m.ridx is not None:
			for k, r in enumerate(m.ridx):
				out.write("  pseudo-pack %d object %d\n" % (nr_base + k, r))


def cmd_dump(args):
	problems = []
	out = sys.stdout
	path = args.path
	if os.path.isdir(path):
		pack_dir = path
		chain = os.path.join(path, CHAIN_DIR, CHAIN_FILE)
		single = os.path.join(path, "multi-pack-index")
		if os.path.exists(chain) and not os.path.exists(single):
			path = chain
		else:
			path = single
	else:
		pack_dir = args.pack_dir or os.path.dirname(os.path.abspath(path))
		if os.path.basename(pack_dir) == CHAIN_DIR:
			pack_dir = os.path.dirname(pack_dir)
	if args.pack_dir:
		pack_dir = args.pack_dir
	layers = []
	if os.path.basename(path) == CHAIN_FILE:
		with open(path, "rb") as f:
			text = f.read()
		if not text.endswith(b"\n"):
			problems.append("chain file does not end in a newline")
		out.write("chain %s: %d layers\n" % (path, len(text.splitlines())))
		for line in text.splitlines():
			h = line.decode("latin-1")
			if len(h) not in (40, 64) or any(c not in "0123456789abcdef" for c in h):
				problems.append("chain line %r is not a hash" % h)
				continue
			layers.append((h, os.path.join(os.path.dirname(path), "multi-pack-index-%s.midx" % h)))
	else:
		layers.append((None, path))
	nr_base = 0
	pack_base = 0
	base_oids = set()
	claimed = {}
	chain_hash = None
	for li, (h, lp) in enumerate(layers):
		name = os.path.basename(lp)
		try:
			with open(lp, "rb") as f:
				data = f.read()
		except OSError as e:
			problems.append("%s: %s" % (name, e.strerror))
			break
		m = parse_midx(data, problems, name)
		if m is None:
			break
		if chain_hash is None:
			chain_hash = m.hash_name
		elif m.hash_name != chain_hash:
			problems.append("%s: hash %s differs from the chain's %s" % (name, m.hash_name, chain_hash))
		if h is not None and m.checksum.hex() != h:
			problems.append("%s: checksum %s is not the name in the chain" % (name, m.checksum.hex()))
		dup = base_oids.intersection(m.oids)
		if dup:
			problems.append("%s: %d objects already in a lower layer" % (name, len(dup)))
		check_pseudo_pack(m, nr_base, li == 0, problems, name)
		if not args.no_packs:
			check_against_packs(m, pack_dir, problems, name, claimed)
		print_midx(m, name, nr_base, pack_base, args.objects, out)
		base_oids.update(m.oids)
		nr_base += m.num_objects
		pack_base += m.num_packs
	if not args.no_packs and layers and not problems:
		missing = [o for o in claimed if o not in base_oids]
		if missing:
			problems.append("%d objects of the named packs are in no MIDX entry" % len(missing))
	out.write("total: %d objects in %d packs, %d layers\n" % (nr_base, pack_base, len(layers)))
	for p in problems:
		sys.stderr.write("midx.py dump: %s\n" % p)
	out.write("problems: %d\n" % len(problems))
	return 1 if problems else 0


# --- corrupt variants -------------------------------------------------------

def _rehash(buf, hash_name):
	hlen = HASHES[hash_name][1]
	body = bytes(buf[:-hlen])
	return body + hashlib.new(hash_name, body).digest()


def _chunk_table(buf):
	n = buf[6]
	table = []
	for i in range(n + 1):
		at = HEADER_SIZE + 12 * i
		table.append([bytes(buf[at:at + 4]), struct.unpack(">Q", buf[at + 4:at + 12])[0], at])
	return table


def corrupt(data, kind, pack_dir):
	"""One defect per kind; every kind but bad-checksum recomputes the
	trailing checksum, so the named defect is the only one."""
	buf = bytearray(data)
	hash_name = HASH_BY_ID.get(buf[5], "sha1")
	hlen = HASHES[hash_name][1]
	problems = []
	m = parse_midx(data, problems)
	if m is None or problems:
		raise MidxError("input is not a valid MIDX: %s" % "; ".join(problems))
	table = _chunk_table(buf)
	chunk_at = {t[0]: i for i, t in enumerate(table)}
	if kind == "bad-checksum":
		buf[-1] ^= 0xff
		return bytes(buf)
	if kind == "unknown-version":
		buf[4] = 3
	elif kind == "unknown-hash":
		buf[5] = 3
	elif kind == "truncated-chunk":
		# OOFF loses its last entry; the chunk table stays consistent (all
		# later chunks move up by 8 bytes), so only OOFF's size is wrong.
		i = chunk_at[CHUNK_OOFF]
		end = table[i + 1][1]
		del buf[end - 8:end]
		for t in table[i + 1:]:
			struct.pack_into(">Q", buf, t[2] + 4, t[1] - 8)
	elif kind == "chunk-past-end":
		# The last chunk's end (the terminating entry) points past the file.
		t = table[-1]
		struct.pack_into(">Q", buf, t[2] + 4, len(buf) + 4096)
	elif kind == "offset-outside-pack":
		# Of the objects the MIDX takes from the pack of object 0, the one
		# at the highest offset gets the pack's size as offset: past the
		# last entry, in no pack, and still last in pseudo-pack order.
		ooff = table[chunk_at[CHUNK_OOFF]][1]
		pid = m.objects[0][0]
		victim = max((i for i in range(m.num_objects) if m.objects[i][0] == pid),
			     key=lambda i: m.objects[i][1])
		at = ooff + 8 * victim
		(off,) = struct.unpack(">I", buf[at + 4:at + 8])
		size = os.path.getsize(idx_pack_path(os.path.join(pack_dir, m.pack_names[pid])))
		if m.objects[victim][2]:
			j = off & ~LARGE_OFFSET_BIT
			struct.pack_into(">Q", buf, table[chunk_at[CHUNK_LOFF]][1] + 8 * j, size)
		else:
			if size >= LARGE_OFFSET_BIT:
				raise MidxError("pack too large for a 31-bit offset")
			struct.pack_into(">I", buf, at + 4, size)
	elif kind == "missing-pack":
		# The last name in PNAM becomes pack-<f...f>.idx (same length, so
		# v1 order holds), which names no pack.
		i = chunk_at[CHUNK_PNAM]
		at = table[i][1]
		names_end = at
		starts = []
		for _ in range(m.num_packs):
			starts.append(names_end)
			names_end = buf.index(b"\0", names_end) + 1
		last = bytes(buf[starts[-1]:names_end - 1])
		stem = last[:-4] if last.endswith(b".idx") else last
		dash = stem.rfind(b"-")
		new = stem[:dash + 1] + b"f" * (len(stem) - dash - 1) + last[len(stem):]
		if new == last:
			new = stem[:dash + 1] + b"e" * (len(stem) - dash - 1) + last[len(stem):]
		buf[starts[-1]:names_end - 1] = new
	else:
		raise MidxError("unknown corrupt kind %s" % kind)
	return _rehash(buf, hash_name)


CORRUPT_KINDS = ["bad-checksum", "unknown-version", "unknown-hash", "truncated-chunk",
		 "chunk-past-end", "offset-outside-pack", "missing-pack"]


def cmd_corrupt(args):
	with open(args.input, "rb") as f:
		data = f.read()
	pack_dir = args.pack_dir or os.path.dirname(os.path.abspath(args.input))
	if os.path.basename(pack_dir) == CHAIN_DIR:
		pack_dir = os.path.dirname(pack_dir)
	write_atomic(args.output, corrupt(data, args.kind, pack_dir))


def cmd_shift_idx(args):
	"""Rewrite a v2 idx so that every offset >= FROM gets ADD added (order
	kept), moving offsets over 2^31-1 into the large-offset table, with a new
	idx checksum. The pack is untouched: the result indexes a pack that
	does not exist, which is enough for git multi-pack-index write (it reads
	only idx files) to produce a MIDX with LOFF to compare against."""
	idx = Idx(args.input)
	if idx.version != 2:
		raise MidxError("shift-idx needs a v2 idx")
	with open(args.input, "rb") as f:
		data = f.read()
	h = idx.hash_len
	n = idx.num_objects
	out = bytearray(data[:8 + 1024 + n * h + 4 * n])
	small = bytearray()
	large = bytearray()
	for off in idx.offsets:
		if off >= args.from_offset:
			off += args.add
		if off > 0x7fffffff:
			small += struct.pack(">I", LARGE_OFFSET_BIT | (len(large) // 8))
			large += struct.pack(">Q", off)
		else:
			small += struct.pack(">I", off)
	out += small + large + data[-2 * h:-h]
	out += hashlib.new(HASH_BY_LEN[h], bytes(out)).digest()
	write_atomic(args.output, bytes(out))


def int_any(s):
	return int(s, 0)


def main(argv):
	ap = argparse.ArgumentParser(prog="midx.py", description=__doc__.split("\n")[0])
	sub = ap.add_subparsers(dest="cmd", required=True)

	def common(p):
		p.add_argument("--pack-dir", required=True, help="objects/pack directory")
		p.add_argument("--version", type=int, choices=(1, 2), default=1)
		p.add_argument("--hash", choices=("sha1", "sha256"), help="default: from the idx files")
		p.add_argument("--preferred-pack", help="pack (idx or pack name) whose copies win")
		p.add_argument("--ridx", action="store_true", help="write the RIDX chunk")
		p.add_argument("--btmp", action="store_true", help="write the BTMP chunk")
		p.add_argument("--pack-order", choices=("sorted", "given"), default="sorted",
			       help="PNAM order; 'given' (order of --packs/--layers) needs --version 2")
		p.add_argument("--loff-threshold", type=int_any,
			       help="testing: put every offset above this in LOFF (always writes LOFF)")

	p = sub.add_parser("write", help="write one MIDX")
	common(p)
	p.add_argument("--packs", help="comma-separated idx/pack names (default: all)")
	p.add_argument("--output", help="default: PACK_DIR/multi-pack-index")
	p.set_defaults(func=cmd_write)

	p = sub.add_parser("chain", help="write an incremental MIDX chain")
	common(p)
	p.add_argument("--layers", required=True, help="'a.idx,b.idx;c.idx': layers oldest first")
	p.add_argument("--output-dir", help="where multi-pack-index.d goes (default: PACK_DIR)")
	p.set_defaults(func=cmd_chain)

	p = sub.add_parser("dump", help="print and check a MIDX, a chain file or a pack dir")
	p.add_argument("path")
	p.add_argument("--pack-dir", help="packs to check entries against (default: beside the MIDX)")
	p.add_argument("--objects", action="store_true", help="print every object and RIDX entry")
	p.add_argument("--no-packs", action="store_true", help="do not check against the packs")
	p.set_defaults(func=cmd_dump)

	p = sub.add_parser("corrupt", help="write a corrupt variant of a MIDX")
	p.add_argument("--kind", required=True, choices=CORRUPT_KINDS)
	p.add_argument("--pack-dir", help="for offset-outside-pack (default: beside IN)")
	p.add_argument("input")
	p.add_argument("output")
	p.set_defaults(func=cmd_corrupt)

	p = sub.add_parser("shift-idx", help="testing: move offsets of a v2 idx up")
	p.add_argument("--from", dest="from_offset", type=int_any, default=0)
	p.add_argument("--add", type=int_any, required=True)
	p.add_argument("input")
	p.add_argument("output")
	p.set_defaults(func=cmd_shift_idx)

	args = ap.parse_args(argv)
	if getattr(args, "pack_order", "sorted") == "given" and args.version != 2:
		ap.error("--pack-order given needs --version 2")
	if getattr(args, "btmp", False) and not args.ridx:
		ap.error("--btmp needs --ridx (git writes both or neither)")
	try:
		return args.func(args) or 0
	except MidxError as e:
		sys.stderr.write("midx.py: %s\n" % e)
		return 2


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
