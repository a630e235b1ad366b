#!/usr/bin/env python3
"""reftable.py: write and read reftable files and stacks for packwin's tests.

git 2.39 cannot write reftable, so the reftable fixtures are made here,
from git's Documentation/technical/reftable.adoc (the file format, the
tables.list stack) and repository-version.adoc (extensions.refstorage).
Standard library only.

  reftable.py from-files GITDIR OUTDIR [options]   reftable twin of a repository
  reftable.py write SPEC OUTDIR [options]          a stack from a text description
  reftable.py compact GITDIR [--first I] [--last J] [options]
  reftable.py churn GITDIR [--times N] [--sleep-ms MS] [options]
  reftable.py dump [--merged|--tables] [--format F] PATH
  reftable.py corrupt KIND TWIN OUTDIR             one hostile variant
  reftable.py corrupt --list

See tests/tools/README.md for the layout choices and every corrupt kind.
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import zlib

HASHES = {
	# name: (raw size, hash_id of a version 2 header)
	'sha1': (20, 0x73686131),    # "sha1"
	'sha256': (32, 0x73323536),  # "s256"
}
HASH_BY_ID = {hid: name for name, (_, hid) in HASHES.items()}

MAGIC = b'REFT'
MAX_BLOCK = (1 << 24) - 1
MAX_RESTARTS = 65535

REF_DELETION, REF_VAL1, REF_VAL2, REF_SYMREF = 0, 1, 2, 3
LOG_DELETION, LOG_UPDATE = 0, 1
TYPE_NAMES = {REF_DELETION: 'deletion', REF_VAL1: 'val1', REF_VAL2: 'val2',
	REF_SYMREF: 'symref'}

DEFAULT_BLOCK_SIZE = 4096
DEFAULT_RESTART_INTERVAL = 16


class FormatError(Exception):
	"""A reftable file or stack that does not follow the format."""


def header_len(version):
	return 24 if version == 1 else 28


def footer_len(version):
	return 68 if version == 1 else 72


# ---------------------------------------------------------------- encoding

def put_varint(n):
	"""The pack files' ofs-delta varint: big-endian 7-bit groups, each
	continuation group biased by one."""
	if n < 0:
		raise ValueError('negative varint')
	out = [n & 0x7f]
	n >>= 7
	while n:
		n -= 1
		out.append(0x80 | (n & 0x7f))
		n >>= 7
	return bytes(reversed(out))


def get_varint(buf, pos, end):
	if pos >= end:
		raise FormatError('varint runs past the end of its block')
	c = buf[pos]
	pos += 1
	val = c & 0x7f
	while c & 0x80:
		if pos >= end:
			raise FormatError('varint runs past the end of its block')
		if val > (1 << 57):
			raise FormatError('varint overflows 64 bits')
		c = buf[pos]
		pos += 1
		val = ((val + 1) << 7) | (c & 0x7f)
	return val, pos


def be24(n):
	if not 0 <= n <= MAX_BLOCK:
		raise ValueError('uint24 out of range: %d' % n)
	return struct.pack('>I', n)[1:]


def get_be24(buf, pos):
	return (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2]


def reverse_int64(n):
	return 0xffffffffffffffff - n


def log_key(refname, update_index):
	return refname + b'\0' + struct.pack('>Q', reverse_int64(update_index))


def common_prefix(a, b):
	n = min(len(a), len(b))
	i = 0
	while i < n and a[i] == b[i]:
		i += 1
	return i


# ---------------------------------------------------------------- records

class Ref:
	"""A ref record: kind is REF_*; value and peeled raw ids, target bytes."""

	__slots__ = ('name', 'update_index', 'kind', 'value', 'peeled', 'target')

	def __init__(self, name, update_index, kind, value=None, peeled=None, target=None):
		self.name = name
		self.update_index = update_index
		self.kind = kind
		self.value = value
		self.peeled = peeled
		self.target = target

	def encode_value(self, min_update_index):
		out = put_varint(self.update_index - min_update_index)
		if self.kind == REF_VAL1:
			out += self.value
		elif self.kind == REF_VAL2:
			out += self.value + self.peeled
		elif self.kind == REF_SYMREF:
			out += put_varint(len(self.target)) + self.target
		return out


class Log:
	"""A log record; kind LOG_UPDATE carries the reflog line's fields.

	tz is the offset as written in a reflog line (e.g. -800 for "-0800",
	230 for "+0230"); how it is stored is the writer's tz_encoding."""

	__slots__ = ('name', 'update_index', 'kind', 'old', 'new', 'who', 'email',
		'time', 'tz', 'message')

	def __init__(self, name, update_index, kind, old=None, new=None, who=b'',
			email=b'', time=0, tz=0, message=b''):
		self.name = name
		self.update_index = update_index
		self.kind = kind
		self.old = old
		self.new = new
		self.who = who
		self.email = email
		self.time = time
		self.tz = tz
		self.message = message

	def key(self):
		return log_key(self.name, self.update_index)


def tz_to_stored(tz, encoding):
	"""A reflog tz (+hhmm as a signed decimal) to the sint16 stored."""
	if encoding == 'hhmm':
		return tz
	sign = -1 if tz < 0 else 1
	a = abs(tz)
	return sign * ((a // 100) * 60 + a % 100)


def tz_from_stored(v, encoding):
	if encoding == 'hhmm':
		return v
	sign = -1 if v < 0 else 1
	a = abs(v)
	return sign * ((a // 60) * 100 + a % 60)


def fmt_tz(tz):
	return '%s%04d' % ('-' if tz < 0 else '+', abs(tz))


# ---------------------------------------------------------------- writer

class Hooks:
	"""Deliberate format violations, for `corrupt` (all off by default)."""

	def __init__(self):
		self.swap_first_keys = False      # two records of the first ref block out of order
		self.restart_out_of_range = False  # a restart offset past the block's end
		self.long_prefix = False          # a prefix_length longer than the prior key
		self.index_past_end = False       # an index record's block_position past EOF


class BlockBuilder:
	"""One block being filled: ref ('r'), index ('i') or log ('g').

	header_off is the file header's length for the file's first block (its
	block_len and restart offsets then count the header) and 0 otherwise."""

	def __init__(self, typ, header_off, limit, restart_interval, hooks=None):
		self.typ = typ
		self.header_off = header_off
		self.limit = limit
		self.restart_interval = restart_interval
		self.hooks = hooks
		self.body = bytearray()
		self.restarts = []
		self.last_key = b''
		self.count = 0
		self.keys = []

	def _size_with(self, extra, restarts):
		return self.header_off + 4 + len(self.body) + extra + 3 * restarts + 2

	def add(self, key, vtype, value, force=False):
		"""Append a record; False (nothing added) when it does not fit,
		unless force (the first record of a block that may exceed limit)."""
		restart = self.count % self.restart_interval == 0 or len(self.restarts) == 0
		if restart and len(self.restarts) >= MAX_RESTARTS:
			return False
		prefix = 0 if restart else common_prefix(self.last_key, key)
		suffix = key[prefix:]
		wire_prefix = prefix
		h = self.hooks
		if h and h.long_prefix and self.typ == 'r' and not restart and self.count == 1:
			wire_prefix = len(self.last_key) + 7
			h.long_prefix = False
		rec = put_varint(wire_prefix) + put_varint((len(suffix) << 3) | vtype) + suffix + value
		nrestarts = len(self.restarts) + (1 if restart else 0)
		if self._size_with(len(rec), nrestarts) > self.limit and not (force and self.count == 0):
			return False
		if restart:
			self.restarts.append(self.header_off + 4 + len(self.body))
		self.body += rec
		self.last_key = key
		self.keys.append(key)
		self.count += 1
		return True

	def finish(self):
		"""The block's bytes from its type byte (the file header is not
		included) and its block_len."""
		restarts = list(self.restarts)
		block_len = self._size_with(0, len(restarts))
		h = self.hooks
		if h and h.restart_out_of_range and self.typ == 'r':
			restarts[-1] = block_len + 100
			h.restart_out_of_range = False
		tail = b''.join(be24(r) for r in restarts) + struct.pack('>H', len(restarts))
		if self.typ == 'g':
			data = zlib.compress(bytes(self.body) + tail, 9)
		else:
			data = bytes(self.body) + tail
		if block_len > MAX_BLOCK:
			raise ValueError('block longer than the format allows')
		return self.typ.encode() + be24(block_len) + data, block_len


class TableWriter:
	"""Writes one reftable file.

	block_size is where blocks are cut; aligned=False writes block_size 0
	in the header and pads nothing. index: 'auto' (the spec's rule: at
	least 4 ref blocks when aligned, more than one when unaligned),
	'always', or 'never' (refused where the spec requires an index)."""

	def __init__(self, hash_name='sha1', block_size=DEFAULT_BLOCK_SIZE, aligned=True,
			restart_interval=DEFAULT_RESTART_INTERVAL, index='auto', version=None,
			tz_encoding='hhmm', log_block_size=None, hooks=None):
		if hash_name not in HASHES:
			raise ValueError('unknown hash %r' % hash_name)
		if not 0 < block_size <= MAX_BLOCK:
			raise ValueError('block size must be 1..%d' % MAX_BLOCK)
		if restart_interval < 1:
			raise ValueError('restart interval must be at least 1')
		self.hash_name = hash_name
		self.hash_size = HASHES[hash_name][0]
		self.version = version or (1 if hash_name == 'sha1' else 2)
		if self.version == 1 and hash_name != 'sha1':
			raise ValueError('a version 1 table is SHA-1 only')
		self.block_size = block_size
		self.aligned = aligned
		self.restart_interval = restart_interval
		self.index = index
		self.tz_encoding = tz_encoding
		self.log_block_size = log_block_size or block_size
		self.hooks = hooks or Hooks()
		self.stats = {}

	def _header(self, min_ui, max_ui):
		h = MAGIC + bytes([self.version]) + be24(self.block_size if self.aligned else 0)
		h += struct.pack('>QQ', min_ui, max_ui)
		if self.version == 2:
			h += struct.pack('>I', HASHES[self.hash_name][1])
		return h

	def write(self, min_ui, max_ui, refs, logs):
		"""The bytes of a table holding refs and logs (any order; sorted here)."""
		if min_ui > max_ui:
			raise ValueError('min_update_index > max_update_index')
		self.out = bytearray(self._header(min_ui, max_ui))
		self.pending_pad = 0
		self.min_ui = min_ui
		refs = sorted(refs, key=lambda r: r.name)
		for a, b in zip(refs, refs[1:]):
			if a.name == b.name:
				raise ValueError('duplicate ref %r' % a.name)
		for r in refs:
			if not min_ui <= r.update_index <= max_ui:
				raise ValueError('ref %r update_index outside the table' % r.name)
			for v in (r.value, r.peeled):
				if v is not None and len(v) != self.hash_size:
					raise ValueError('ref %r: id of the wrong size' % r.name)
		logs = sorted(logs, key=Log.key)
		for a, b in zip(logs, logs[1:]):
			if a.key() == b.key():
				raise ValueError('duplicate log key %r@%d' % (a.name, a.update_index))
		if self.hooks.swap_first_keys and len(refs) >= 3:
			refs[1], refs[2] = refs[2], refs[1]
		ref_index_pos = 0
		log_pos = 0
		log_index_pos = 0
		self.stats = {'ref_blocks': 0, 'ref_index_levels': 0, 'ref_index_blocks': 0,
			'log_blocks': 0, 'log_index_levels': 0, 'log_index_blocks': 0}

		if refs:
			entries = self._section('r', [(r.name, r.kind, r.encode_value(min_ui)) for r in refs],
				self.block_size, pad=self.aligned)
			self.stats['ref_blocks'] = len(entries)
			need = len(entries) >= 4 if self.aligned else len(entries) > 1
			if self.index == 'never' and need and not self.aligned:
				raise ValueError('an unaligned table with several ref blocks needs its index')
			if self.index == 'always' or (self.index == 'auto' and need):
				ref_index_pos, levels, nblocks = self._index(entries, pad=self.aligned)
				self.stats['ref_index_levels'] = levels
				self.stats['ref_index_blocks'] = nblocks
		if logs:
			recs = [(lg.key(), lg.kind, self._log_value(lg)) for lg in logs]
			entries = self._section('g', recs, self.log_block_size, pad=False)
			log_pos = entries[0][1]
			self.stats['log_blocks'] = len(entries)
			if len(entries) >= 2 or (self.index == 'always' and entries):
				log_index_pos, levels, nblocks = self._index(entries, pad=False)
				self.stats['log_index_levels'] = levels
				self.stats['log_index_blocks'] = nblocks

		self.pending_pad = 0   # no padding before the footer
		footer = self._header(min_ui, max_ui)
		# No obj blocks: obj_position 0, obj_id_len 0, obj_index_position 0.
		footer += struct.pack('>QQQQQ', ref_index_pos, 0, 0, log_pos, log_index_pos)
		footer += struct.pack('>I', zlib.crc32(footer) & 0xffffffff)
		self.out += footer
		return bytes(self.out)

	def _log_value(self, lg):
		if lg.kind == LOG_DELETION:
			return b''
		for v in (lg.old, lg.new):
			if len(v) != self.hash_size:
				raise ValueError('log %r: id of the wrong size' % lg.name)
		return (lg.old + lg.new + put_varint(len(lg.who)) + lg.who
			+ put_varint(len(lg.email)) + lg.email + put_varint(lg.time)
			+ struct.pack('>h', tz_to_stored(lg.tz, self.tz_encoding))
			+ put_varint(len(lg.message)) + lg.message)

	def _emit(self, data, pad_to):
		"""Append a block; its padding is written only if another block follows."""
		self.out += b'\0' * self.pending_pad
		self.pending_pad = 0
		start = len(self.out)
		self.out += data
		if pad_to:
			self.pending_pad = pad_to
		return start

	def _section(self, typ, recs, limit, pad):
		"""Blocks of records (key, vtype, value); returns [(last_key, position)]."""
		entries = []
		bb = None
		i = 0
		while i < len(recs):
			if bb is None:
				first = len(self.out) == header_len(self.version) and self.pending_pad == 0
				hoff = header_len(self.version) if first else 0
				bb = BlockBuilder(typ, hoff, limit, self.restart_interval, self.hooks)
			key, vtype, value = recs[i]
			# Log blocks may exceed the block size; ref and index blocks may not.
			if bb.add(key, vtype, value, force=(typ == 'g')):
				i += 1
				continue
			if bb.count == 0:
				raise ValueError('block size %d too small for record %r' % (limit, key))
			entries.append(self._flush(bb, pad))
			bb = None
		if bb is not None and bb.count:
			entries.append(self._flush(bb, pad))
		return entries

	def _flush(self, bb, pad):
		data, block_len = bb.finish()
		first = bb.header_off > 0
		pad_to = 0
		if pad:
			used = bb.header_off + len(data) if first else len(data)
			pad_to = self.block_size - used if typ_padded(bb.typ) else 0
			if pad_to < 0:
				pad_to = 0
		start = self._emit(data, pad_to)
		pos = 0 if first else start
		return (bb.last_key, pos)

	def _index(self, entries, pad):
		"""Index levels over entries until a level has few enough blocks
		(one when unaligned, three when aligned); returns the position of
		the root level, the number of levels and of index blocks."""
		threshold = 3 if self.aligned else 1
		levels = 0
		nblocks = 0
		root = 0
		while True:
			levels += 1
			if self.hooks.index_past_end and levels == 1:
				# Past any file this writer could make from these records.
				entries = [(k, p) for k, p in entries]
				entries[0] = (entries[0][0], 1 << 40)
				self.hooks.index_past_end = False
			recs = [(k, 0, put_varint(p)) for k, p in entries]
			root = len(self.out) + self.pending_pad
			entries = self._section('i', recs, self.block_size, pad)
			nblocks += len(entries)
			if len(entries) <= threshold:
				return root, levels, nblocks


def typ_padded(typ):
	return typ in ('r', 'i')


# ---------------------------------------------------------------- reader

class Table:
	"""A parsed reftable file: header fields, refs, logs, blocks seen."""

	def __init__(self, data, name='<table>', tz_encoding='hhmm'):
		self.name = name
		self.data = data
		self.tz_encoding = tz_encoding
		self._parse()

	def _err(self, msg):
		raise FormatError('%s: %s' % (self.name, msg))

	def _parse(self):
		d = self.data
		if len(d) < 24:
			self._err('%d bytes: shorter than a header' % len(d))
		if d[:4] != MAGIC:
			self._err('bad magic %r' % bytes(d[:4]))
		self.version = d[4]
		if self.version not in (1, 2):
			self._err('unsupported version %d' % self.version)
		hl = header_len(self.version)
		fl = footer_len(self.version)
		if len(d) < hl + fl:
			self._err('%d bytes: shorter than header and footer' % len(d))
		self.block_size = get_be24(d, 5)
		self.min_ui, self.max_ui = struct.unpack_from('>QQ', d, 8)
		if self.version == 2:
			hid, = struct.unpack_from('>I', d, 24)
			if hid not in HASH_BY_ID:
				self._err('unknown hash id 0x%08x' % hid)
			self.hash_name = HASH_BY_ID[hid]
		else:
			self.hash_name = 'sha1'
		self.hash_size = HASHES[self.hash_name][0]
		fpos = len(d) - fl
		footer = d[fpos:]
		if footer[:hl] != d[:hl]:
			self._err('footer does not repeat the header')
		crc, = struct.unpack_from('>I', footer, fl - 4)
		if zlib.crc32(footer[:fl - 4]) & 0xffffffff != crc:
			self._err('footer CRC-32 mismatch')
		(self.ref_index_pos, objw, self.obj_index_pos, self.log_pos,
			self.log_index_pos) = struct.unpack_from('>QQQQQ', footer, hl)
		self.obj_pos = objw >> 5
		self.obj_id_len = objw & 0x1f
		self.footer_pos = fpos
		for what, p in (('ref index', self.ref_index_pos), ('obj', self.obj_pos),
				('obj index', self.obj_index_pos), ('log', self.log_pos),
				('log index', self.log_index_pos)):
			if p >= fpos:
				self._err('%s position %d outside the file' % (what, p))
		self.refs = []
		self.logs = []
		self.blocks = []   # (position, type, block_len, full size)
		first_typ = chr(d[hl]) if fpos > hl else None
		has_refs = first_typ == 'r'
		has_logs = first_typ == 'g' or self.log_pos > 0
		if has_refs:
			ends = [p for p in (self.ref_index_pos, self.obj_pos, self.obj_index_pos,
				self.log_pos) if p > 0] + [fpos]
			blocks = self._walk(0, 'r', min(ends), self._ref_record)
			self.ref_blocks = blocks
			names = [r.name for r in self.refs]
			for a, b in zip(names, names[1:]):
				if a >= b:
					self._err('ref keys out of order: %r then %r' % (a, b))
			if self.ref_index_pos:
				self._check_index(self.ref_index_pos, 'r', blocks)
			elif not self.block_size and len(blocks) > 1:
				self._err('unaligned table with %d ref blocks and no index' % len(blocks))
		elif first_typ not in (None, 'g'):
			self._err('first block has type %r' % first_typ)
		if has_logs:
			ends = [p for p in (self.log_index_pos,) if p > self.log_pos] + [fpos]
			blocks = self._walk(self.log_pos, 'g', min(ends), self._log_record)
			keys = [lg.key() for lg in self.logs]
			for a, b in zip(keys, keys[1:]):
				if a >= b:
					self._err('log keys out of order')
			if self.log_index_pos:
				self._check_index(self.log_index_pos, 'g', blocks)
			elif len(blocks) > 1:
				self._err('%d log blocks and no log index' % len(blocks))

	def _block(self, pos, want):
		"""Decode the block at pos: (type, content bytes from the block's
		start, block_len, header_off, bytes it occupies in the file)."""
		d = self.data
		hoff = header_len(self.version) if pos == 0 else 0
		if pos + hoff + 4 > self.footer_pos:
			self._err('block at %d runs into the footer' % pos)
		typ = chr(d[pos + hoff])
		if want and typ != want:
			self._err('block at %d has type %r, expected %r' % (pos, typ, want))
		block_len = get_be24(d, pos + hoff + 1)
		if block_len < hoff + 4 + 2:
			self._err('block at %d: block_len %d too small' % (pos, block_len))
		if typ == 'g':
			z = zlib.decompressobj()
			try:
				raw = z.decompress(memoryview(d)[pos + hoff + 4:self.footer_pos],
					block_len - hoff - 3)
			except zlib.error as e:
				self._err('log block at %d: %s' % (pos, e))
			if not z.eof or len(raw) != block_len - hoff - 4:
				self._err('log block at %d inflates to %d bytes, block_len says %d'
					% (pos, len(raw) + hoff + 4, block_len))
			used = self.footer_pos - (pos + hoff + 4) - len(z.unused_data)
			content = bytes(d[pos:pos + hoff + 4]) + raw
			full = hoff + 4 + used
		else:
			if pos + block_len > self.footer_pos:
				self._err('block at %d: block_len %d runs past the footer' % (pos, block_len))
			content = bytes(d[pos:pos + block_len])
			full = block_len
			if self.block_size and typ in ('r', 'i', 'o'):
				# Aligned: padded to block_size unless what follows is not NUL.
				if block_len < self.block_size and pos + block_len < self.footer_pos \
						and d[pos + block_len] == 0:
					full = self.block_size
				if block_len > self.block_size and typ == 'r':
					self._err('ref block at %d longer than the block size' % pos)
		self.blocks.append((pos, typ, block_len, full))
		return typ, content, block_len, hoff, full

	def _records(self, pos, content, block_len, hoff, decode):
		"""Every record of a block, checking restarts and prefixes."""
		end_count = block_len - 2
		rcount, = struct.unpack_from('>H', content, end_count)
		if rcount == 0:
			self._err('block at %d: no restart points' % pos)
		rstart = end_count - 3 * rcount
		if rstart < hoff + 4:
			self._err('block at %d: restart table larger than the block' % pos)
		restarts = [get_be24(content, rstart + 3 * i) for i in range(rcount)]
		for r in restarts:
			if not hoff + 4 <= r < rstart:
				self._err('block at %d: restart offset %d out of range' % (pos, r))
		if restarts != sorted(set(restarts)):
			self._err('block at %d: restart offsets not ascending' % pos)
		if restarts[0] != hoff + 4:
			self._err('block at %d: first record is not a restart point' % pos)
		rset = set(restarts)
		starts = set()
		p = hoff + 4
		last = b''
		out = []
		while p < rstart:
			at = p
			starts.add(at)
			prefix, p = get_varint(content, p, rstart)
			sv, p = get_varint(content, p, rstart)
			slen, vtype = sv >> 3, sv & 7
			if prefix > len(last):
				self._err('block at %d: record at %d has prefix %d, prior key is %d bytes'
					% (pos, at, prefix, len(last)))
			if at in rset and prefix:
				self._err('block at %d: restart record at %d is prefix compressed' % (pos, at))
			if p + slen > rstart:
				self._err('block at %d: key runs past the records' % pos)
			key = last[:prefix] + content[p:p + slen]
			p += slen
			p = decode(key, vtype, content, p, rstart, out)
			last = key
		if p != rstart:
			self._err('block at %d: records overrun the restart table' % pos)
		if not rset <= starts:
			self._err('block at %d: restart offset %d is not a record\'s start'
				% (pos, min(rset - starts)))
		return out

	def _walk(self, start, typ, end, decode):
		"""Blocks of one section from start up to end; [(last_key, pos)]."""
		blocks = []
		pos = start
		while pos < end:
			hoff = header_len(self.version) if pos == 0 else 0
			if chr(self.data[pos + hoff]) != typ:
				break
			t, content, block_len, hoff, full = self._block(pos, typ)
			recs = self._records(pos, content, block_len, hoff, decode)
			if not recs:
				self._err('block at %d has no records' % pos)
			blocks.append((recs[-1], pos))
			pos += full
		return blocks

	def _check_index(self, root, typ, leaves):
		"""Walk the index from its root: its leaves must be exactly the
		section's blocks, each named by its last key."""
		want = {p: k for k, p in leaves}
		found = []
		self.index_levels = getattr(self, 'index_levels', {})

		def records(pos):
			t, content, block_len, hoff, full = self._block(pos, None)
			if t != 'i':
				return t, None, full
			return t, self._records(pos, content, block_len, hoff, self._index_record), full

		# The root level: consecutive index blocks from root.
		level = []
		pos = root
		limit = self.footer_pos if typ == 'g' else min(
			[p for p in (self.obj_pos, self.obj_index_pos, self.log_pos) if p > root]
			+ [self.footer_pos])
		while pos < limit and chr(self.data[pos]) == 'i':
			t, recs, full = records(pos)
			level.extend(recs)
			pos += full
		if not level:
			self._err('index at %d is empty' % root)
		depth = 1
		while True:
			nxt = []
			leaf = False
			for key, bpos in level:
				if bpos >= self.footer_pos:
					self._err('index entry %r points at %d, outside the file' % (key, bpos))
				t = chr(self.data[bpos + (header_len(self.version) if bpos == 0 else 0)])
				if t == 'i':
					t2, recs, _ = records(bpos)
					if not recs or recs[-1][0] != key:
						self._err('index entry %r: block at %d does not end with it' % (key, bpos))
					nxt.extend(recs)
				elif t == typ:
					leaf = True
					if want.get(bpos) is None:
						self._err('index entry %r points at %d, not a block start' % (key, bpos))
					lk = want[bpos]
					lk = lk.name if typ == 'r' else lk.key()
					if lk != key:
						self._err('index entry %r: block at %d ends with %r' % (key, bpos, lk))
					found.append(bpos)
				else:
					self._err('index entry %r points at a %r block' % (key, t))
			if leaf:
				break
			level = nxt
			depth += 1
		if sorted(found) != sorted(want):
			self._err('index does not cover every block')
		self.index_levels[typ] = depth

	def _index_record(self, key, vtype, c, p, end, out):
		if vtype != 0:
			self._err('index record with value type %d' % vtype)
		bpos, p = get_varint(c, p, end)
		out.append((key, bpos))
		return p

	def _id(self, c, p, end):
		if p + self.hash_size > end:
			self._err('object id runs past the records')
		return c[p:p + self.hash_size], p + self.hash_size

	def _ref_record(self, key, vtype, c, p, end, out):
		delta, p = get_varint(c, p, end)
		ui = self.min_ui + delta
		if ui > self.max_ui:
			self._err('ref %r update_index %d above the table\'s max' % (key, ui))
		if vtype == REF_DELETION:
			r = Ref(key, ui, vtype)
		elif vtype == REF_VAL1:
			v, p = self._id(c, p, end)
			r = Ref(key, ui, vtype, v)
		elif vtype == REF_VAL2:
			v, p = self._id(c, p, end)
			pe, p = self._id(c, p, end)
			r = Ref(key, ui, vtype, v, pe)
		elif vtype == REF_SYMREF:
			n, p = get_varint(c, p, end)
			if p + n > end:
				self._err('symref target of %r runs past the records' % key)
			r = Ref(key, ui, vtype, target=c[p:p + n])
			p += n
		else:
			self._err('ref %r has reserved value type %d' % (key, vtype))
		self.refs.append(r)
		out.append(r)
		return p

	def _log_record(self, key, vtype, c, p, end, out):
		if len(key) < 9 or key[-9] != 0:
			self._err('log key %r has no update index' % key)
		name = key[:-9]
		ui = reverse_int64(struct.unpack('>Q', key[-8:])[0])
		if vtype == LOG_DELETION:
			lg = Log(name, ui, vtype)
		elif vtype == LOG_UPDATE:
			old, p = self._id(c, p, end)
			new, p = self._id(c, p, end)
			fields = []
			for _ in range(2):
				n, p = get_varint(c, p, end)
				fields.append(c[p:p + n])
				p += n
			t, p = get_varint(c, p, end)
			if p + 2 > end:
				self._err('log record of %r truncated' % name)
			tz, = struct.unpack_from('>h', c, p)
			p += 2
			n, p = get_varint(c, p, end)
			msg = c[p:p + n]
			p += n
			if p > end:
				self._err('log record of %r truncated' % name)
			lg = Log(name, ui, vtype, old, new, fields[0], fields[1], t,
				tz_from_stored(tz, self.tz_encoding), msg)
		else:
			self._err('log %r has reserved type %d' % (name, vtype))
		self.logs.append(lg)
		out.append(lg)
		return p


def read_stack(gitdir, tz_encoding='hhmm', retries=0):
	"""The tables of GITDIR/reftable/tables.list, oldest first.

	A listed table that does not exist is an error, unless retries > 0:
	then tables.list is read again (the spec's reader rule: a concurrent
	compaction replaced it), up to retries times."""
	for attempt in range(retries + 1):
		try:
			return _read_stack(gitdir, tz_encoding)
		except MissingTable:
			if attempt == retries:
				raise


class MissingTable(FormatError):
	"""tables.list names a table that is not there."""


def _read_stack(gitdir, tz_encoding):
	rdir = os.path.join(gitdir, 'reftable')
	try:
		with open(os.path.join(rdir, 'tables.list'), 'rb') as f:
			names = f.read().decode().split('\n')
	except FileNotFoundError:
		raise FormatError('%s: no reftable/tables.list' % gitdir)
	if names and names[-1] == '':
		names.pop()
	tables = []
	prev_max = None
	for n in names:
		if not n or '/' in n:
			raise FormatError('tables.list: bad table name %r' % n)
		path = os.path.join(rdir, n)
		try:
			with open(path, 'rb') as f:
				data = f.read()
		except FileNotFoundError:
			raise MissingTable('tables.list names %s, which does not exist' % n)
		t = Table(data, n, tz_encoding)
		if prev_max is not None and t.min_ui <= prev_max:
			raise FormatError('%s: min_update_index %d not above the prior table\'s %d'
				% (n, t.min_ui, prev_max))
		prev_max = t.max_ui
		tables.append(t)
	hashes = {t.hash_name for t in tables}
	if len(hashes) > 1:
		raise FormatError('tables of several hash functions in one stack')
	return tables


def merge_refs(tables):
	"""Newest table first: the first record of a name wins; deletions hide."""
	seen = {}
	for t in reversed(tables):
		for r in t.refs:
			if r.name not in seen:
				seen[r.name] = r
	return [seen[k] for k in sorted(seen) if seen[k].kind != REF_DELETION]


def merge_logs(tables):
	seen = {}
	for t in reversed(tables):
		for lg in t.logs:
			k = lg.key()
			if k not in seen:
				seen[k] = lg
	return [seen[k] for k in sorted(seen) if seen[k].kind != LOG_DELETION]


def resolve(refs_by_name, name, depth=5):
	"""(id, final name) of name through symrefs, as git (5 levels at most)."""
	seen = []
	while True:
		r = refs_by_name.get(name)
		if r is None:
			return None, name
		if r.kind != REF_SYMREF:
			return r.value, name
		seen.append(name)
		if r.target in seen:
			raise FormatError('symref cycle: %s' % ' -> '.join(
				x.decode() for x in seen + [r.target]))
		if len(seen) > depth:
			raise FormatError('symrefs nested deeper than %d at %s' % (depth, name.decode()))
		name = r.target


# ---------------------------------------------------------------- dump

def fmt_ref(r):
	n = r.name.decode('utf-8', 'surrogateescape')
	if r.kind == REF_DELETION:
		return '%s deletion' % n
	if r.kind == REF_VAL1:
		return '%s val1 %s' % (n, r.value.hex())
	if r.kind == REF_VAL2:
		return '%s val2 %s %s' % (n, r.value.hex(), r.peeled.hex())
	return '%s symref %s' % (n, r.target.decode('utf-8', 'surrogateescape'))


def fmt_log(lg, style):
	n = lg.name.decode('utf-8', 'surrogateescape')
	if lg.kind == LOG_DELETION:
		return '%s@%d deletion' % (n, lg.update_index)
	line = '%s %s %s <%s> %d %s' % (lg.old.hex(), lg.new.hex(),
		lg.who.decode('utf-8', 'surrogateescape'), lg.email.decode('utf-8', 'surrogateescape'),
		lg.time, fmt_tz(lg.tz))
	msg = lg.message
	if msg.endswith(b'\n'):
		msg = msg[:-1]
	if msg or lg.message:
		line += '\t' + msg.decode('utf-8', 'surrogateescape')
	if style == 'files':
		return line
	return '%s@%d %s' % (n, lg.update_index, line)


def dump_table(t, out):
	out.write('table %s version %d hash %s block_size %d update_index %d..%d\n' % (
		t.name, t.version, t.hash_name, t.block_size, t.min_ui, t.max_ui))
	out.write('footer ref_index %d obj %d obj_id_len %d obj_index %d log %d log_index %d\n' % (
		t.ref_index_pos, t.obj_pos, t.obj_id_len, t.obj_index_pos, t.log_pos, t.log_index_pos))
	lv = getattr(t, 'index_levels', {})
	nb = {}
	for _, typ, _, _ in t.blocks:
		nb[typ] = nb.get(typ, 0) + 1
	out.write('blocks r %d i %d g %d ref_index_levels %d log_index_levels %d\n' % (
		len({p for p, ty, _, _ in t.blocks if ty == 'r'}),
		len({p for p, ty, _, _ in t.blocks if ty == 'i'}),
		len({p for p, ty, _, _ in t.blocks if ty == 'g'}),
		lv.get('r', 0), lv.get('g', 0)))
	for r in t.refs:
		out.write('ref %d %s\n' % (r.update_index, fmt_ref(r)))
	for lg in t.logs:
		out.write('log %s\n' % fmt_log(lg, 'keyed'))


def show_ref_lines(refs, head_too):
	"""`git show-ref [--head] -d` from a merged view."""
	by = {r.name: r for r in refs}
	lines = []
	names = [r.name for r in refs if r.name.startswith(b'refs/')]
	if head_too and b'HEAD' in by:
		names = [b'HEAD'] + names
	for n in names:
		v, _ = resolve(by, n)
		if v is None:
			continue
		lines.append('%s %s' % (v.hex(), n.decode('utf-8', 'surrogateescape')))
		r = by[n]
		if r.kind == REF_VAL2:
			lines.append('%s %s^{}' % (r.peeled.hex(), n.decode('utf-8', 'surrogateescape')))
	return lines


def for_each_ref_lines(refs):
	"""`git for-each-ref --format=FOREACH_FORMAT` from a merged view."""
	by = {r.name: r for r in refs}
	lines = []
	for r in refs:
		if not r.name.startswith(b'refs/'):
			continue
		v, _ = resolve(by, r.name)
		if v is None:
			continue
		target = r.target.decode() if r.kind == REF_SYMREF else ''
		lines.append('%s %s %s' % (r.name.decode('utf-8', 'surrogateescape'), v.hex(), target))
	return lines


FOREACH_FORMAT = '%(refname) %(objectname) %(symref)'


VIEWS = ('show-ref', 'for-each-ref', 'head', 'reflog', 'reflog-names')


def view_lines(tables, view, args):
	"""The lines of one merged view of a stack."""
	refs = merge_refs(tables)
	by = {r.name: r for r in refs}
	if view == 'show-ref':
		return show_ref_lines(refs, args.head or bool(args.views))
	if view == 'for-each-ref':
		return for_each_ref_lines(refs)
	if view == 'head':
		h = by.get(b'HEAD')
		if h is None:
			raise FormatError('no HEAD in the stack')
		return [h.target.decode() if h.kind == REF_SYMREF else h.value.hex()]
	if view == 'reflog':
		# As in logs/: oldest first; "NAME LINE" when no --ref is given.
		want = args.ref.encode() if args.ref else None
		logs = sorted(merge_logs(tables), key=lambda lg: (lg.name, lg.update_index))
		return [('' if want else lg.name.decode('utf-8', 'surrogateescape') + ' ')
			+ fmt_log(lg, 'files') for lg in logs if want is None or lg.name == want]
	if view == 'reflog-names':
		return sorted({lg.name.decode() for lg in merge_logs(tables)})
	if view == 'resolve':
		v, final = resolve(by, args.ref.encode())
		if v is None:
			raise FormatError('%s does not resolve' % args.ref)
		return [v.hex()]
	raise ValueError(view)


def cmd_dump(args):
	path = args.path
	if os.path.isdir(path):
		tables = read_stack(path, args.tz_encoding, args.retries)
	else:
		with open(path, 'rb') as f:
			tables = [Table(f.read(), os.path.basename(path), args.tz_encoding)]
	out = sys.stdout
	if args.views:
		# Every view at once, one file each, from one parse of the stack.
		os.makedirs(args.views, exist_ok=True)
		for view in VIEWS:
			lines = view_lines(tables, view, args)
			with open(os.path.join(args.views, view), 'w', encoding='utf-8',
					errors='surrogateescape') as f:
				f.write(''.join(ln + '\n' for ln in lines))
		with open(os.path.join(args.views, 'raw'), 'w', encoding='utf-8',
				errors='surrogateescape') as f:
			for t in tables:
				dump_table(t, f)
		return 0
	if args.format == 'raw':
		if not args.merged:
			for t in tables:
				dump_table(t, out)
		if args.merged or os.path.isdir(path):
			refs = merge_refs(tables)
			for r in refs:
				out.write('merged ref %s\n' % fmt_ref(r))
			for lg in merge_logs(tables):
				out.write('merged log %s\n' % fmt_log(lg, 'keyed'))
		return 0
	lines = view_lines(tables, args.format, args)
	for ln in lines:
		out.write(ln + '\n')
	return 0


# ---------------------------------------------------------------- from-files

def git(gitdir, *argv, check=True):
	r = subprocess.run(['git', '--git-dir=' + gitdir] + list(argv), stdout=subprocess.PIPE,
		stderr=subprocess.PIPE, check=False)
	if check and r.returncode:
		raise SystemExit('git %s: %s' % (' '.join(argv), r.stderr.decode().strip()))
	return r


def read_files_refs(gitdir):
	"""The refs git sees: (name, kind, value, peeled, target), HEAD first.

	The peeled value is peeled completely (id^{}), as packed-refs and git's
	reftable backend store it; for-each-ref's %(*objectname) peels once."""
	fmt = '%(refname)%00%(objectname)%00%(objecttype)%00%(symref)'
	out = git(gitdir, 'for-each-ref', '--format=' + fmt).stdout
	rows = []
	for line in out.split(b'\n'):
		if line:
			rows.append(line.split(b'\0'))
	tags = [oid for name, oid, typ, target in rows if typ == b'tag' and not target]
	peeled = {}
	if tags:
		r = subprocess.run(['git', '--git-dir=' + gitdir, 'cat-file', '--batch-check=%(objectname)'],
			input=b''.join(t + b'^{}\n' for t in tags), stdout=subprocess.PIPE, check=True)
		for t, p in zip(tags, r.stdout.split(b'\n')):
			peeled[t] = bytes.fromhex(p.decode())
	refs = []
	for name, oid, typ, target in rows:
		if target:
			refs.append((name, REF_SYMREF, None, None, target))
		elif oid in peeled:
			refs.append((name, REF_VAL2, bytes.fromhex(oid.decode()), peeled[oid], None))
		else:
			refs.append((name, REF_VAL1, bytes.fromhex(oid.decode()), None, None))
	r = git(gitdir, 'symbolic-ref', '-q', 'HEAD', check=False)
	if r.returncode == 0:
		refs.insert(0, (b'HEAD', REF_SYMREF, None, None, r.stdout.strip()))
	else:
		r = git(gitdir, 'rev-parse', '-q', '--verify', 'HEAD', check=False)
		if r.returncode == 0:
			refs.insert(0, (b'HEAD', REF_VAL1, bytes.fromhex(r.stdout.strip().decode()),
				None, None))
	return refs


def parse_reflog_line(line):
	"""old new name <email> time tz[\\tmessage] -> fields (bytes)."""
	head, tab, msg = line.partition(b'\t')
	old, new, rest = head.split(b' ', 2)
	lt = rest.rindex(b'<')
	gt = rest.rindex(b'>')
	who = rest[:lt].rstrip(b' ')
	email = rest[lt + 1:gt]
	when = rest[gt + 1:].split()
	t = int(when[0])
	tz = int(when[1]) if len(when) > 1 else 0
	# git's reftable backend keeps a message as one line ending in '\n'.
	message = msg + b'\n' if tab else b''
	return bytes.fromhex(old.decode()), bytes.fromhex(new.decode()), who, email, t, tz, message


def read_files_logs(gitdir):
	"""[(refname, [fields...])] from GITDIR/logs, file order kept."""
	base = os.path.join(gitdir, 'logs')
	logs = []
	for root, dirs, files in os.walk(base):
		dirs.sort()
		for f in sorted(files):
			path = os.path.join(root, f)
			name = os.path.relpath(path, base).replace(os.sep, '/').encode()
			with open(path, 'rb') as fh:
				lines = [ln for ln in fh.read().split(b'\n') if ln]
			logs.append((name, [parse_reflog_line(ln) for ln in lines]))
	return logs


def order_log_lines(logs):
	"""Every line once, roughly by time with each file's order kept (the
	spec's rule for importing logs/): a merge of the files by timestamp."""
	import heapq
	heap = []
	for i, (name, lines) in enumerate(logs):
		if lines:
			heap.append((lines[0][4], name, i, 0))
	heapq.heapify(heap)
	out = []
	while heap:
		t, name, i, j = heapq.heappop(heap)
		out.append((name, logs[i][1][j]))
		if j + 1 < len(logs[i][1]):
			heapq.heappush(heap, (logs[i][1][j + 1][4], name, i, j + 1))
	return out


def stack_tables(refs, loglines, split, hash_size):
	"""Table contents for a stack of `split` tables: [(min, max, refs, logs)].

	Log lines get update indexes 1..L in order. With split 1 everything is
	one table. With split N >= 2: table 1 is log-only (the older half of
	the log lines); tables 2..N each hold a ref transaction, so that
	  * every final ref is written in one table chosen round-robin, and a
	    stale value of it (another id, or another symref target) in an
	    older ref table when there is one: a later update shadows it;
	  * refs/reftable-twin/gone-K are created in table 2 (with a reflog
	    line) and deleted in table 3 (a ref deletion and a log deletion);
	  * with N >= 4, the first final ref is also deleted in table N-1 and
	    written again in table N.
	The merged view equals the original."""
	L = len(loglines)
	logs = [Log(name, i + 1, LOG_UPDATE, *fields) for i, (name, fields) in enumerate(loglines)]
	if split <= 1:
		ui = L + 1
		return [(1, ui, [Ref(n, ui, k, v, p, t) for n, k, v, p, t in refs], logs)]
	tables = []
	half = L // 2
	if half:
		tables.append([1, half, [], logs[:half]])
	nref = split - 1 if half else split
	rest = logs[half:]
	ui = half
	ref_tables = []
	for k in range(nref):
		chunk = rest[k * len(rest) // nref:(k + 1) * len(rest) // nref]
		lo = ui + 1
		ui = lo + len(chunk)    # the ref transaction's own index
		ref_tables.append([lo, ui, [], chunk])
	tables.extend(ref_tables)
	ids = [v for _, kind, v, _, _ in refs if v is not None] or [b'\x01' * hash_size]

	def stale(n, kind, v, p, t, j):
		if kind == REF_SYMREF:
			return Ref(n, ref_tables[j][1], REF_SYMREF, target=b'refs/heads/reftable-twin-stale')
		other = next((x for x in ids if x != v), b'\x02' * hash_size)
		return Ref(n, ref_tables[j][1], REF_VAL1, other)

	for i, (n, kind, v, p, t) in enumerate(refs):
		j = i % nref
		ref_tables[j][2].append(Ref(n, ref_tables[j][1], kind, v, p, t))
		if j > 0:
			ref_tables[(i // nref) % j][2].append(stale(n, kind, v, p, t, (i // nref) % j))
	if nref >= 2:
		when = logs[-1].time if logs else 1700000000
		for g in range(3):
			name = b'refs/reftable-twin/gone-%d' % g
			ref_tables[0][2].append(Ref(name, ref_tables[0][1], REF_VAL1, ids[g % len(ids)]))
			ref_tables[0][3].append(Log(name, ref_tables[0][1], LOG_UPDATE, b'\0' * hash_size,
				ids[g % len(ids)], b'Twin', b'twin@example.com', when, 0, b'created\n'))
			ref_tables[1][2].append(Ref(name, ref_tables[1][1], REF_DELETION))
			ref_tables[1][3].append(Log(name, ref_tables[0][1], LOG_DELETION))
	if nref >= 3 and refs:
		n, kind, v, p, t = refs[0]
		first = {r.name for r in ref_tables[-2][2]}
		if n not in first:
			ref_tables[-2][2].append(Ref(n, ref_tables[-2][1], REF_DELETION))
		else:
			ref_tables[-2][2] = [r for r in ref_tables[-2][2] if r.name != n] + [
				Ref(n, ref_tables[-2][1], REF_DELETION)]
		ref_tables[-1][2] = [r for r in ref_tables[-1][2] if r.name != n] + [
			Ref(n, ref_tables[-1][1], kind, v, p, t)]
	return [tuple(t) for t in tables]


def write_stack(outdir, tables, writer_args):
	"""Write tables [(min, max, refs, logs)] and tables.list; returns names."""
	rdir = os.path.join(outdir, 'reftable')
	os.makedirs(rdir, exist_ok=True)
	names = []
	stats = []
	for k, (lo, hi, refs, logs) in enumerate(tables):
		w = TableWriter(**writer_args)
		data = w.write(lo, hi, refs, logs)
		ext = 'ref' if refs or not logs else 'log'
		name = '0x%012x-0x%012x-%08x.%s' % (lo, hi, zlib.crc32(data) & 0xffffffff, ext)
		with open(os.path.join(rdir, name), 'wb') as f:
			f.write(data)
		names.append(name)
		stats.append((name, w.stats))
	with open(os.path.join(rdir, 'tables.list.tmp'), 'w') as f:
		f.write(''.join(n + '\n' for n in names))
	os.replace(os.path.join(rdir, 'tables.list.tmp'), os.path.join(rdir, 'tables.list'))
	return stats


def copy_objects(src, dst, mode):
	if mode == 'symlink':
		os.symlink(os.path.abspath(src), dst)
		return
	for root, dirs, files in os.walk(src):
		rel = os.path.relpath(root, src)
		os.makedirs(os.path.join(dst, rel), exist_ok=True)
		for f in files:
			s = os.path.join(root, f)
			d = os.path.join(dst, rel, f)
			if mode == 'link':
				try:
					os.link(s, d)
					continue
				except OSError:
					pass
			shutil.copy2(s, d)


def make_twin_dir(gitdir, outdir, objects_mode):
	"""OUTDIR as a reftable repository around GITDIR's objects and config."""
	if os.path.exists(outdir) and os.listdir(outdir):
		raise SystemExit('%s exists and is not empty' % outdir)
	os.makedirs(outdir, exist_ok=True)
	shutil.copy2(os.path.join(gitdir, 'config'), os.path.join(outdir, 'config'))
	for extra in ('description', 'shallow', 'info'):
		s = os.path.join(gitdir, extra)
		if os.path.isdir(s):
			shutil.copytree(s, os.path.join(outdir, extra))
		elif os.path.isfile(s):
			shutil.copy2(s, os.path.join(outdir, extra))
	copy_objects(os.path.join(gitdir, 'objects'), os.path.join(outdir, 'objects'), objects_mode)
	cfg = os.path.join(outdir, 'config')
	subprocess.run(['git', 'config', '--file', cfg, 'core.repositoryformatversion', '1'], check=True)
	subprocess.run(['git', 'config', '--file', cfg, 'extensions.refstorage', 'reftable'], check=True)
	with open(os.path.join(outdir, 'HEAD'), 'w') as f:
		f.write('ref: refs/heads/.invalid\n')
	os.makedirs(os.path.join(outdir, 'refs'))
	with open(os.path.join(outdir, 'refs', 'heads'), 'w') as f:
		f.write('repository uses alternate refs storage\n')


def writer_args_from(args, hash_name):
	bs = args.block_size
	aligned = not args.unaligned and bs != 0
	return dict(hash_name=hash_name, block_size=bs or DEFAULT_BLOCK_SIZE, aligned=aligned,
		restart_interval=args.restart_interval, index=args.index,
		tz_encoding=args.tz_encoding, log_block_size=args.log_block_size,
		version=args.format_version)


def repo_hash(gitdir):
	r = git(gitdir, 'rev-parse', '--show-object-format', check=False)
	fmt = r.stdout.strip().decode() if r.returncode == 0 else 'sha1'
	return fmt or 'sha1'


def cmd_from_files(args):
	gitdir = args.gitdir
	hash_name = repo_hash(gitdir)
	if args.hash and args.hash != hash_name:
		raise SystemExit('%s is a %s repository, not %s' % (gitdir, hash_name, args.hash))
	refs = read_files_refs(gitdir)
	loglines = [] if args.no_logs else order_log_lines(read_files_logs(gitdir))
	tables = stack_tables(refs, loglines, args.split, HASHES[hash_name][0])
	make_twin_dir(gitdir, args.outdir, args.objects)
	stats = write_stack(args.outdir, tables, writer_args_from(args, hash_name))
	if args.verbose:
		for name, st in stats:
			sys.stderr.write('%s %s\n' % (name, ' '.join('%s=%d' % kv for kv in sorted(st.items()))))
	return 0


# ---------------------------------------------------------------- write, compact

def parse_spec(text, hash_name):
	"""Tables from a text description, one directive a line:

	  table MIN MAX                 starts a table (update indexes)
	  ref NAME ID [PEELED] [@UI]    val1, or val2 with PEELED
	  symref NAME TARGET [@UI]
	  delete NAME [@UI]
	  log NAME UI OLD NEW NAME <EMAIL> TIME TZ[\tMESSAGE]
	  logdel NAME UI
	# comments and blank lines are ignored; a ref's update index is its
	table's MAX unless @UI says otherwise; ids are hex."""
	hs = HASHES[hash_name][0]
	tables = []

	def oid(h):
		b = bytes.fromhex(h)
		if len(b) != hs:
			raise SystemExit('spec: %s is not a %s id' % (h, hash_name))
		return b

	for n, line in enumerate(text.split('\n'), 1):
		if not line.strip() or line.lstrip().startswith('#'):
			continue
		word, _, rest = line.partition(' ')
		if word == 'table':
			lo, hi = (int(x) for x in rest.split())
			tables.append((lo, hi, [], []))
			continue
		if not tables:
			raise SystemExit('spec line %d: %s before any table' % (n, word))
		lo, hi, refs, logs = tables[-1]
		if word == 'log':
			name, ui, tail = rest.split(' ', 2)
			f = parse_reflog_line(tail.encode())
			logs.append(Log(name.encode(), int(ui), LOG_UPDATE, *f))
			continue
		if word == 'logdel':
			name, ui = rest.split()
			logs.append(Log(name.encode(), int(ui), LOG_DELETION))
			continue
		args = rest.split()
		ui = hi
		if args and args[-1].startswith('@'):
			ui = int(args.pop()[1:])
		name = args[0].encode()
		if word == 'ref' and len(args) == 2:
			refs.append(Ref(name, ui, REF_VAL1, oid(args[1])))
		elif word == 'ref' and len(args) == 3:
			refs.append(Ref(name, ui, REF_VAL2, oid(args[1]), oid(args[2])))
		elif word == 'symref' and len(args) == 2:
			refs.append(Ref(name, ui, REF_SYMREF, target=args[1].encode()))
		elif word == 'delete' and len(args) == 1:
			refs.append(Ref(name, ui, REF_DELETION))
		else:
			raise SystemExit('spec line %d: cannot read %r' % (n, line))
	return tables


def cmd_write(args):
	with open(args.spec) if args.spec != '-' else sys.stdin as f:
		tables = parse_spec(f.read(), args.hash or 'sha1')
	os.makedirs(args.outdir, exist_ok=True)
	write_stack(args.outdir, tables, writer_args_from(args, args.hash or 'sha1'))
	return 0


def cmd_compact(args):
	"""Compact tables FROM..TO (0-based, inclusive; default all) of the
	stack as the spec says: one table spanning their update indexes, the
	newest record of each key, deletions dropped when no older table
	stays below; tables.list swapped by rename, old tables deleted."""
	gitdir = args.gitdir
	rdir = os.path.join(gitdir, 'reftable')
	tables = read_stack(gitdir, args.tz_encoding)
	if not tables:
		raise SystemExit('empty stack')
	lo = args.first
	hi = len(tables) - 1 if args.last is None else args.last
	if not 0 <= lo <= hi < len(tables):
		raise SystemExit('tables %d..%d: the stack has %d' % (lo, hi, len(tables)))
	part = tables[lo:hi + 1]
	keep_deletions = lo > 0
	refs = {}
	logs = {}
	for t in reversed(part):
		for r in t.refs:
			refs.setdefault(r.name, r)
		for lg in t.logs:
			logs.setdefault(lg.key(), lg)
	refs = [r for r in refs.values() if keep_deletions or r.kind != REF_DELETION]
	logs = [lg for lg in logs.values() if keep_deletions or lg.kind != LOG_DELETION]
	wa = writer_args_from(args, part[-1].hash_name)
	w = TableWriter(**wa)
	data = w.write(part[0].min_ui, part[-1].max_ui, refs, logs)
	ext = 'ref' if refs or not logs else 'log'
	name = '0x%012x-0x%012x-%08x.%s' % (part[0].min_ui, part[-1].max_ui,
		zlib.crc32(data) & 0xffffffff, ext)
	with open(os.path.join(rdir, name), 'wb') as f:
		f.write(data)
	names = [t.name for t in tables]
	new = names[:lo] + [name] + names[hi + 1:]
	lock = os.path.join(rdir, 'tables.list.lock')
	with open(lock, 'x') as f:
		f.write(''.join(n + '\n' for n in new))
	os.replace(lock, os.path.join(rdir, 'tables.list'))
	if not args.keep_old:
		for n in names[lo:hi + 1]:
			if n != name:
				os.unlink(os.path.join(rdir, n))
	return 0


def cmd_churn(args):
	"""Rewrite the stack TIMES times, its merged view unchanged, as a
	compacting writer would: each round writes new tables under new
	names, writes tables.list.lock, renames it over tables.list, then
	deletes the tables no longer listed. Rounds alternate between one
	compacted table and a split of two (the older holding a stale value
	of every ref the newer one holds), so a reader racing it must retry
	when a table it was told about has vanished."""
	import random
	import time
	gitdir = args.gitdir
	rdir = os.path.join(gitdir, 'reftable')
	tables = read_stack(gitdir, args.tz_encoding)
	if not tables:
		raise SystemExit('empty stack')
	refs = merge_refs(tables)
	logs = merge_logs(tables)
	lo, hi = tables[0].min_ui, tables[-1].max_ui
	wa = writer_args_from(args, tables[-1].hash_name)
	hs = HASHES[tables[-1].hash_name][0]
	top = hi + 1
	for r in refs:
		r.update_index = min(r.update_index, hi)
	one = [TableWriter(**wa).write(lo, top, refs, logs)]
	older, newer = [], []
	for i, r in enumerate(refs):
		if i % 2:
			newer.append(Ref(r.name, top, r.kind, r.value, r.peeled, r.target))
			older.append(Ref(r.name, hi, REF_VAL1, b'\x5a' * hs))
		else:
			older.append(r)
	two = [TableWriter(**wa).write(lo, hi, older, logs), TableWriter(**wa).write(top, top, newer, [])]
	layouts = [(one, [(lo, top)]), (two, [(lo, hi), (top, top)])]
	with open(os.path.join(rdir, 'tables.list')) as f:
		current = [n for n in f.read().split('\n') if n]
	for k in range(args.times):
		datas, ranges = layouts[k % 2]
		names = []
		for data, (a, b) in zip(datas, ranges):
			while True:
				name = '0x%012x-0x%012x-%08x.ref' % (a, b, random.getrandbits(32))
				if not os.path.exists(os.path.join(rdir, name)) and name not in names:
					break
			tmp = os.path.join(rdir, 'tmp_' + name)
			with open(tmp, 'wb') as f:
				f.write(data)
			os.replace(tmp, os.path.join(rdir, name))
			names.append(name)
		lock = os.path.join(rdir, 'tables.list.lock')
		with open(lock, 'x') as f:
			f.write(''.join(n + '\n' for n in names))
		os.replace(lock, os.path.join(rdir, 'tables.list'))
		for n in current:
			if n not in names:
				os.unlink(os.path.join(rdir, n))
		current = names
		if args.sleep_ms:
			time.sleep(args.sleep_ms / 1000.0)
	return 0


# ---------------------------------------------------------------- corrupt

def newest_table(twin):
	rdir = os.path.join(twin, 'reftable')
	with open(os.path.join(rdir, 'tables.list')) as f:
		names = [n for n in f.read().split('\n') if n]
	return os.path.join(rdir, names[-1]), names


def rewrite_newest(twin, hooks, force_index=False, extra_refs=()):
	"""Rewrite the newest table of twin from its own records, with hooks."""
	path, names = newest_table(twin)
	with open(path, 'rb') as f:
		t = Table(f.read(), os.path.basename(path))
	refs = list(t.refs)
	for r in extra_refs:
		r.update_index = t.max_ui
		refs.append(r)
	aligned = t.block_size != 0
	bs = t.block_size or DEFAULT_BLOCK_SIZE
	if force_index:
		bs = 256
		aligned = True
	w = TableWriter(hash_name=t.hash_name, block_size=bs, aligned=aligned,
		index='always' if force_index else 'auto', version=t.version, hooks=hooks)
	data = w.write(t.min_ui, t.max_ui, refs, t.logs)
	with open(path, 'wb') as f:
		f.write(data)
	return path


def patch(path, fn):
	with open(path, 'rb') as f:
		d = bytearray(f.read())
	fn(d)
	with open(path, 'wb') as f:
		f.write(d)


def refooter(d):
	"""Recompute the footer's CRC after an edit of its fields."""
	fl = footer_len(d[4]) if d[4] in (1, 2) else 68
	fpos = len(d) - fl
	d[fpos + fl - 4:] = struct.pack('>I', zlib.crc32(bytes(d[fpos:fpos + fl - 4])) & 0xffffffff)


def c_truncated(twin):
	path, _ = newest_table(twin)
	patch(path, lambda d: d.__delitem__(slice(len(d) // 2, None)))


def c_bad_magic(twin):
	path, _ = newest_table(twin)
	patch(path, lambda d: d.__setitem__(slice(0, 4), b'REFX'))


def c_bad_version(twin):
	path, _ = newest_table(twin)

	def f(d):
		fl = footer_len(d[4])
		d[4] = 3
		d[len(d) - fl + 4] = 3
		# A version 3 footer is unknown: keep the bytes where a version 1/2
		# reader looks, with a valid CRC, so only the version is wrong.
		fpos = len(d) - fl
		d[fpos + fl - 4:] = struct.pack('>I', zlib.crc32(bytes(d[fpos:fpos + fl - 4])) & 0xffffffff)
	patch(path, f)


def c_footer_crc(twin):
	path, _ = newest_table(twin)
	patch(path, lambda d: d.__setitem__(len(d) - 1, d[len(d) - 1] ^ 0xff))


def c_index_outside(twin):
	h = Hooks()
	h.index_past_end = True
	rewrite_newest(twin, h, force_index=True)


def c_unsorted_keys(twin):
	h = Hooks()
	h.swap_first_keys = True
	rewrite_newest(twin, h)


def c_restart_out_of_range(twin):
	h = Hooks()
	h.restart_out_of_range = True
	rewrite_newest(twin, h)


def c_prefix_too_long(twin):
	h = Hooks()
	h.long_prefix = True
	rewrite_newest(twin, h)


def c_symref_cycle(twin):
	rewrite_newest(twin, Hooks(), extra_refs=[
		Ref(b'refs/heads/cycle-a', 0, REF_SYMREF, target=b'refs/heads/cycle-b'),
		Ref(b'refs/heads/cycle-b', 0, REF_SYMREF, target=b'refs/heads/cycle-a')])


def c_block_len_past_end(twin):
	path, _ = newest_table(twin)

	def f(d):
		hl = header_len(d[4])
		d[hl + 1:hl + 4] = b'\xff\xff\xff'
	patch(path, f)


def c_bad_zlib(twin):
	"""The newest table with log blocks: bytes inside its first log
	block's deflate stream inverted."""
	rdir = os.path.join(twin, 'reftable')
	_, names = newest_table(twin)
	for n in reversed(names):
		with open(os.path.join(rdir, n), 'rb') as f:
			t = Table(f.read(), n)
		start = t.log_pos
		if t.logs:
			break
	else:
		raise SystemExit('bad-zlib: no table of %s has log records' % twin)
	hoff = header_len(t.version) if start == 0 else 0
	# Past the 2-byte zlib header, inside the compressed data.
	at = start + hoff + 4 + 4

	def f(d):
		for i in range(at, min(at + 8, t.footer_pos)):
			d[i] ^= 0xff
	patch(os.path.join(rdir, n), f)


def c_missing_table(twin):
	rdir = os.path.join(twin, 'reftable')
	with open(os.path.join(rdir, 'tables.list'), 'a') as f:
		f.write('0x00ffffffffff-0x00ffffffffff-00000000.ref\n')


CORRUPT = {
	'truncated': (c_truncated, 'newest table cut to half its length'),
	'bad-magic': (c_bad_magic, 'newest table\'s header magic REFX'),
	'bad-version': (c_bad_version, 'newest table\'s version 3 (header and footer, CRC valid)'),
	'footer-crc': (c_footer_crc, 'newest table\'s footer CRC-32 with its last byte flipped'),
	'index-outside': (c_index_outside, 'newest table with an index whose first entry points at 2^40'),
	'unsorted-keys': (c_unsorted_keys, 'newest table\'s 2nd and 3rd refs swapped in the first block'),
	'restart-out-of-range': (c_restart_out_of_range, 'first ref block\'s last restart offset past block_len'),
	'prefix-too-long': (c_prefix_too_long, '2nd record of the first ref block with a prefix_length 7 past the prior key'),
	'symref-cycle': (c_symref_cycle, 'refs/heads/cycle-a -> cycle-b -> cycle-a added to the newest table'),
	'missing-table': (c_missing_table, 'tables.list names a table that does not exist'),
	'block-len-past-end': (c_block_len_past_end, 'newest table\'s first block_len 0xffffff'),
	'bad-zlib': (c_bad_zlib, '8 bytes of the newest log-holding table\'s first log block inverted'),
}


def cmd_corrupt(args):
	if args.list:
		for k, (_, what) in CORRUPT.items():
			print('%-22s %s' % (k, what))
		return 0
	if args.kind not in CORRUPT:
		raise SystemExit('unknown corrupt kind %r (see --list)' % args.kind)
	if os.path.exists(args.outdir):
		raise SystemExit('%s exists' % args.outdir)
	# Everything copied but the objects, which are hard links (or copies).
	shutil.copytree(args.twin, args.outdir, symlinks=True,
		ignore=lambda d, names: ['objects'] if os.path.samefile(d, args.twin) else [])
	src = os.path.join(args.twin, 'objects')
	if os.path.islink(src):
		os.symlink(os.readlink(src), os.path.join(args.outdir, 'objects'))
	elif os.path.isdir(src):
		copy_objects(src, os.path.join(args.outdir, 'objects'), 'link')
	CORRUPT[args.kind][0](args.outdir)
	return 0


# ---------------------------------------------------------------- main

def main(argv=None):
	ap = argparse.ArgumentParser(prog='reftable.py', description=__doc__.split('\n')[0])
	sub = ap.add_subparsers(dest='cmd', required=True)

	def writer_options(p):
		p.add_argument('--block-size', type=int, default=DEFAULT_BLOCK_SIZE,
			help='where blocks are cut and aligned (0: unaligned, cut at %d)' % DEFAULT_BLOCK_SIZE)
		p.add_argument('--unaligned', action='store_true',
			help='header block_size 0, no padding; blocks still cut at --block-size')
		p.add_argument('--restart-interval', type=int, default=DEFAULT_RESTART_INTERVAL)
		p.add_argument('--log-block-size', type=int, default=None,
			help='inflated size where log blocks are cut (default: the block size)')
		p.add_argument('--index', choices=('auto', 'always', 'never'), default='auto')
		p.add_argument('--tz-encoding', choices=('hhmm', 'minutes'), default='hhmm')
		p.add_argument('--format-version', type=int, choices=(1, 2), default=None,
			help='table version (default: 1 for SHA-1, 2 for SHA-256)')

	f = sub.add_parser('from-files', help='write the reftable twin of a files-backend repository')
	f.add_argument('gitdir')
	f.add_argument('outdir')
	f.add_argument('--hash', choices=sorted(HASHES))
	writer_options(f)
	f.add_argument('--split', type=int, default=1, help='spread the updates over N tables')
	f.add_argument('--no-logs', action='store_true', help='write no log records')
	f.add_argument('--objects', choices=('link', 'copy', 'symlink'), default='link')
	f.add_argument('-v', '--verbose', action='store_true')

	w = sub.add_parser('write', help='write a stack from a text description (see parse_spec)')
	w.add_argument('spec', help='the description, - for stdin')
	w.add_argument('outdir', help='OUTDIR/reftable/ is written')
	w.add_argument('--hash', choices=sorted(HASHES))
	writer_options(w)

	k = sub.add_parser('compact', help='compact (part of) a stack in place')
	k.add_argument('gitdir')
	k.add_argument('--first', type=int, default=0, help='oldest table compacted (0-based)')
	k.add_argument('--last', type=int, default=None, help='newest table compacted (default: the newest)')
	k.add_argument('--keep-old', action='store_true', help='do not delete the compacted tables')
	writer_options(k)

	h = sub.add_parser('churn', help='rewrite a stack over and over, its merged view unchanged')
	h.add_argument('gitdir')
	h.add_argument('--times', type=int, default=1000)
	h.add_argument('--sleep-ms', type=float, default=0)
	writer_options(h)

	d = sub.add_parser('dump', help='print a table or a stack')
	d.add_argument('path', help='a table file, or a git directory with reftable/tables.list')
	d.add_argument('--merged', action='store_true', help='only the merged view')
	d.add_argument('--format', choices=('raw', 'show-ref', 'for-each-ref', 'head', 'reflog',
		'reflog-names', 'resolve'), default='raw')
	d.add_argument('--head', action='store_true', help='show-ref: HEAD too')
	d.add_argument('--ref', help='reflog (default: every ref\'s, each line after its name), resolve: this ref')
	d.add_argument('--retries', type=int, default=0,
		help='re-read tables.list up to N times when a listed table is missing')
	d.add_argument('--views', metavar='DIR',
		help='write every merged view (%s) to DIR/VIEW, --head implied, and the tables to DIR/raw'
		% ', '.join(VIEWS))
	d.add_argument('--tz-encoding', choices=('hhmm', 'minutes'), default='hhmm')

	c = sub.add_parser('corrupt', help='a hostile variant of a twin')
	c.add_argument('kind', nargs='?')
	c.add_argument('twin', nargs='?')
	c.add_argument('outdir', nargs='?')
	c.add_argument('--list', action='store_true')

	args = ap.parse_args(argv)
	if args.cmd == 'corrupt' and not args.list and not (args.kind and args.twin and args.outdir):
		ap.error('corrupt KIND TWIN OUTDIR')
	try:
		return {'from-files': cmd_from_files, 'dump': cmd_dump, 'corrupt': cmd_corrupt,
			'write': cmd_write, 'compact': cmd_compact, 'churn': cmd_churn}[args.cmd](args)
	except FormatError as e:
		sys.stderr.write('reftable.py: %s\n' % e)
		return 2


if __name__ == '__main__':
	sys.exit(main())
