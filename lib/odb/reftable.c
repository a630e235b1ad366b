/* reftable.c: one reftable file: header and footer, blocks, restart points, records, the ref index. */
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "odb/reftable.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/banned.h"

/* Deepest ref index followed (each level divides by a block's entries). */
#define INDEX_MAX_DEPTH 32

static uint32_t be24(const unsigned char *b)
{
	return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

static int rt_error(const pw__rt_table *t, uint64_t at, const char *what)
{
	return pw__error_set(PW_ECORRUPT, "%s: offset %llu: %s", t->path, (unsigned long long)at,
		what);
}

/* The reftable (ofs-delta) varint at p[0, len): bytes used, or 0 when truncated or too large. */
static size_t get_varint(uint64_t *out, const unsigned char *p, size_t len)
{
	uint64_t v;
	size_t i = 0;

	if (!len)
		return 0;
	v = p[0] & 0x7f;
	while (p[i] & 0x80) {
		if (++i >= len || v >= (UINT64_MAX >> 7))
			return 0;
		v = ((v + 1) << 7) | (p[i] & 0x7f);
	}
	*out = v;
	return i + 1;
}

/* ------------------------------------------------------------- table */

void pw__rt_table_dispose(pw__rt_table *t)
{
	if (!t)
		return;
	pw__free(t->buf);
	pw__free(t->path);
	memset(t, 0, sizeof(*t));
}

static int check_header(pw__rt_table *t, pw_oid_t type)
{
	const unsigned char *b = t->buf;
	pw_oid_t ttype = PW_OID_SHA1;

	if (t->len < 24 + 68)
		return pw__error_set(PW_ECORRUPT, "%s: %zu bytes is too short for a reftable",
			t->path, t->len);
	if (memcmp(b, "REFT", 4))
		return pw__error_set(PW_ECORRUPT, "%s: bad magic (not a reftable)", t->path);
	if (b[4] == 1) {
		t->header_len = 24;
		t->footer_len = 68;
	} else if (b[4] == 2) {
		t->header_len = 28;
		t->footer_len = 72;
		if (t->len < 28 + 72)
			return pw__error_set(PW_ECORRUPT, "%s: %zu bytes is too short for a reftable",
				t->path, t->len);
		if (!memcmp(b + 24, "s256", 4))
			ttype = PW_OID_SHA256;
		else if (memcmp(b + 24, "sha1", 4))
			return pw__error_set(PW_ECORRUPT, "%s: unknown hash id 0x%08x", t->path,
				(unsigned)pw__be32(b + 24));
	} else {
		return pw__error_set(PW_EUNSUPPORTED, "%s: unsupported reftable version %u",
			t->path, b[4]);
	}
	if (ttype != type)
		return pw__error_set(PW_ECORRUPT, "%s: table of %s ids in a %s repository", t->path,
			ttype == PW_OID_SHA1 ? "SHA-1" : "SHA-256",
			type == PW_OID_SHA1 ? "SHA-1" : "SHA-256");
	t->hash_len = pw_oid_rawsz(type);
	t->block_size = be24(b + 5);
	t->min_ui = pw__be64(b + 8);
	t->max_ui = pw__be64(b + 16);
	if (t->min_ui > t->max_ui)
		return pw__error_set(PW_ECORRUPT,
			"%s: min_update_index %llu is above max_update_index %llu", t->path,
			(unsigned long long)t->min_ui, (unsigned long long)t->max_ui);
	return 0;
}

static int check_footer(pw__rt_table *t)
{
	const unsigned char *f = t->buf + t->len - t->footer_len, *p;
	uint64_t obj;

	t->blocks_end = t->len - t->footer_len;
	if (t->blocks_end < t->header_len || memcmp(f, t->buf, t->header_len))
		return rt_error(t, t->blocks_end, "footer does not repeat the header");
	if (crc32(0, f, (uInt)(t->footer_len - 4)) != pw__be32(f + t->footer_len - 4))
		return rt_error(t, t->blocks_end, "footer CRC-32 mismatch");
	p = f + t->header_len;
	t->ref_index_pos = pw__be64(p);
	obj = pw__be64(p + 8) >> 5;
	t->log_pos = pw__be64(p + 24);
	if (t->ref_index_pos >= t->blocks_end || obj >= t->blocks_end ||
	    pw__be64(p + 16) >= t->blocks_end || t->log_pos >= t->blocks_end ||
	    pw__be64(p + 32) >= t->blocks_end)
		return rt_error(t, t->blocks_end, "footer names a position outside the blocks");
	if (t->blocks_end > t->header_len) {
		unsigned char first = t->buf[t->header_len];
		if (first == 'r')
			t->has_refs = 1;
		else if (first == 'g' && t->log_pos == 0)
			t->has_logs = 1;
		else if (first != 'g' && first != 'o' && first != 'i')
			return rt_error(t, t->header_len, "first block has an unknown type");
	}
	if (t->log_pos)
		t->has_logs = 1;
	return 0;
}

/* ------------------------------------------------------------- blocks */

static void block_dispose(pw__rt_block *b)
{
	pw__free(b->inflated);
	memset(b, 0, sizeof(*b));
}

/* Inflate the log block whose header is at `hdr` into b->inflated; b->next past its stream. */
static int inflate_block(pw__rt_block *b, const pw__rt_table *t, size_t hdr, size_t hoff)
{
	z_stream zs;
	int zrc;

	if (b->len < hoff + 4 + 2)
		return rt_error(t, b->pos, "log block too short");
	if ((b->inflated = pw__malloc(b->len)) == NULL)
		return pw__error_nomem();
	memcpy(b->inflated, t->buf + b->pos, hoff + 4);
	memset(&zs, 0, sizeof(zs));
	zs.zalloc = pw__zalloc;
	zs.zfree = pw__zfree;
	if (inflateInit(&zs) != Z_OK)
		return pw__error_nomem();
	zs.next_in = (Bytef *)(t->buf + hdr + 4);
	zs.avail_in = (uInt)(t->blocks_end - hdr - 4);
	zs.next_out = b->inflated + hoff + 4;
	zs.avail_out = (uInt)(b->len - hoff - 4);
	zrc = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (zrc != Z_STREAM_END || zs.avail_out != 0) {
		return pw__error_set(PW_ECORRUPT,
			"%s: log block at %llu: %s (inflated %lu of %zu bytes)", t->path,
			(unsigned long long)b->pos,
			zrc == Z_STREAM_END ? "inflates to fewer bytes than block_len" :
			zrc == Z_BUF_ERROR && zs.avail_out == 0 ? "inflates past block_len" :
			zrc == Z_DATA_ERROR ? "bad zlib data" : "truncated zlib stream",
			(unsigned long)zs.total_out, b->len - hoff - 4);
	}
	b->next = hdr + 4 + zs.total_in;
	b->data = b->inflated;
	return 0;
}

/*
 * Open the block at `pos` (0: the first, sharing the file's first bytes
 * with the header): its type, length, restart table, and where the next
 * block starts. Log blocks are inflated only when `inflate` (else
 * PW_ECORRUPT is not raised for them and b->next is unknown: 0).
 */
static int block_open(pw__rt_block *b, const pw__rt_table *t, uint64_t pos, int inflate)
{
	size_t hoff = pos == 0 ? t->header_len : 0, hdr, i;
	int error;

	memset(b, 0, sizeof(*b));
	b->pos = pos;
	if (pos > t->blocks_end || t->blocks_end - pos < hoff + 4)
		return rt_error(t, pos, "block header runs past the footer");
	hdr = (size_t)pos + hoff;
	b->type = t->buf[hdr];
	b->len = be24(t->buf + hdr + 1);
	if (b->type != 'r' && b->type != 'i' && b->type != 'o' && b->type != 'g')
		return pw__error_set(PW_ECORRUPT, "%s: block at %llu: unknown block type 0x%02x",
			t->path, (unsigned long long)pos, b->type);
	if (b->type == 'g') {
		if (!inflate)
			return 0;
		if ((error = inflate_block(b, t, hdr, hoff)) < 0)
			return error;
	} else {
		if (b->len > t->blocks_end - pos)
			return pw__error_set(PW_ECORRUPT,
				"%s: block at %llu: block_len %zu runs past the footer", t->path,
				(unsigned long long)pos, b->len);
		if (b->len < hoff + 4 + 2)
			return pw__error_set(PW_ECORRUPT, "%s: block at %llu: block_len %zu is too short",
				t->path, (unsigned long long)pos, b->len);
		b->data = t->buf + pos;
		/* padded (aligned files): the rest of the block is NULs */
		if (t->block_size && pos + b->len < t->blocks_end && b->data[b->len] == 0) {
			if (b->len > t->block_size || t->block_size > t->blocks_end - pos)
				return pw__error_set(PW_ECORRUPT,
					"%s: block at %llu: padding runs past the footer", t->path,
					(unsigned long long)pos);
			b->next = pos + t->block_size;
		} else {
			b->next = pos + b->len;
		}
	}
	b->rec_start = hoff + 4;
	b->nrestart = (uint32_t)b->data[b->len - 2] << 8 | b->data[b->len - 1];
	if (b->nrestart == 0 || (size_t)b->nrestart * 3 + 2 > b->len - b->rec_start)
		return pw__error_set(PW_ECORRUPT, "%s: block at %llu: bad restart_count %u",
			t->path, (unsigned long long)pos, (unsigned)b->nrestart);
	b->rec_end = b->len - 2 - (size_t)b->nrestart * 3;
	for (i = 0; i < b->nrestart; i++) {
		uint32_t r = be24(b->data + b->rec_end + i * 3);
		if (r < b->rec_start || r >= b->rec_end)
			return pw__error_set(PW_ECORRUPT,
				"%s: block at %llu: restart offset %u out of range", t->path,
				(unsigned long long)pos, (unsigned)r);
	}
	return 0;
}

/* The key of the record at restart point `i` (prefix 0): 0, or PW_ECORRUPT. */
static int restart_key(const unsigned char **key, size_t *keylen, const pw__rt_table *t,
	const pw__rt_block *b, uint32_t i)
{
	size_t off = be24(b->data + b->rec_end + (size_t)i * 3), n;
	uint64_t prefix, sx;

	if ((n = get_varint(&prefix, b->data + off, b->rec_end - off)) == 0 || prefix != 0)
		return pw__error_set(PW_ECORRUPT,
			"%s: block at %llu: record at restart offset %zu does not start a key",
			t->path, (unsigned long long)b->pos, off);
	off += n;
	if ((n = get_varint(&sx, b->data + off, b->rec_end - off)) == 0 ||
	    (sx >> 3) > b->rec_end - off - n)
		return pw__error_set(PW_ECORRUPT, "%s: block at %llu: record at %zu is truncated",
			t->path, (unsigned long long)b->pos, off);
	*key = b->data + off + n;
	*keylen = (size_t)(sx >> 3);
	return 0;
}

static int key_cmp(const unsigned char *a, size_t al, const unsigned char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : al < bl ? -1 : al > bl;
}

/* ------------------------------------------------------------ records */

/* decode_value's answer for a malformed value */
#define BAD_VALUE ((size_t)-1)

/* The value of a record of block type `type` at p[0, len): bytes used, or BAD_VALUE. */
static size_t decode_value(pw__rt_rec *rec, const pw__rt_table *t, unsigned char type,
	const unsigned char *p, size_t len)
{
	size_t h = t->hash_len, used = 0, n;
	uint64_t v, nl, el;

	switch (type) {
	case 'i':
		if (rec->vtype != 0 || (n = get_varint(&rec->child, p, len)) == 0)
			return BAD_VALUE;
		return n;
	case 'r':
		if ((n = get_varint(&v, p, len)) == 0 || v > UINT64_MAX - t->min_ui)
			return BAD_VALUE;
		rec->update_index = t->min_ui + v;
		used = n;
		switch (rec->vtype) {
		case PW_RT_DELETION:
			return used;
		case PW_RT_VAL1:
		case PW_RT_VAL2:
			n = rec->vtype == PW_RT_VAL1 ? h : 2 * h;
			if (len - used < n)
				return BAD_VALUE;
			rec->id = p + used;
			rec->peeled = rec->vtype == PW_RT_VAL2 ? p + used + h : NULL;
			return used + n;
		case PW_RT_SYMREF:
			if ((n = get_varint(&v, p + used, len - used)) == 0 || v > len - used - n)
				return BAD_VALUE;
			rec->target = (const char *)p + used + n;
			rec->target_len = (size_t)v;
			return used + n + (size_t)v;
		}
		return BAD_VALUE;
	case 'g':
		if (rec->keylen < 9 || rec->key[rec->keylen - 9] != 0)
			return BAD_VALUE;
		rec->update_index = UINT64_MAX - pw__be64(rec->key + rec->keylen - 8);
		if (rec->vtype == PW_RT_DELETION)
			return 0;
		if (rec->vtype != 1 || len < 2 * h)
			return BAD_VALUE;
		rec->id = p;
		rec->peeled = p + h; /* the new id */
		used = 2 * h;
		/* name, email, time, tz, message */
		if ((n = get_varint(&nl, p + used, len - used)) == 0 || nl > len - used - n)
			return BAD_VALUE;
		used += n + (size_t)nl;
		if ((n = get_varint(&el, p + used, len - used)) == 0 || el > len - used - n)
			return BAD_VALUE;
		used += n + (size_t)el;
		if ((n = get_varint(&rec->time, p + used, len - used)) == 0 || len - used - n < 2)
			return BAD_VALUE;
		used += n;
		rec->tz = (int16_t)(uint16_t)((unsigned)p[used] << 8 | p[used + 1]);
		used += 2;
		if ((n = get_varint(&v, p + used, len - used)) == 0 || v > len - used - n)
			return BAD_VALUE;
		rec->msg = (const char *)p + used + n;
		rec->msg_len = (size_t)v;
		return used + n + (size_t)v;
	}
	return BAD_VALUE;
}

void pw__rt_iter_init(pw__rt_iter *it, const pw__rt_table *t, unsigned char type)
{
	memset(it, 0, sizeof(*it));
	it->t = t;
	it->type = type;
	if (type == 'r' && !t->has_refs)
		it->done = 1;
	if (type == 'g' && !t->has_logs)
		it->done = 1;
}

void pw__rt_iter_dispose(pw__rt_iter *it)
{
	block_dispose(&it->blk);
	pw__free(it->key);
	it->key = NULL;
	it->keylen = it->keycap = 0;
}

/* Open the block at `pos` as the iterator's; 1 if it is of the iterator's type, 0 if not. */
static int iter_block(pw__rt_iter *it, uint64_t pos)
{
	int error;

	block_dispose(&it->blk);
	it->open = 0;
	if (pos >= it->t->blocks_end)
		return 0;
	if ((error = block_open(&it->blk, it->t, pos, it->type == 'g')) < 0)
		return error;
	if (it->blk.type != it->type)
		return 0;
	it->open = 1;
	it->cur = it->blk.rec_start;
	it->fresh = 1;
	return 1;
}

/* Decode the record at it->cur into *rec, checking its key follows the last one. */
static int iter_decode(pw__rt_rec *rec, pw__rt_iter *it)
{
	const pw__rt_table *t = it->t;
	const pw__rt_block *b = &it->blk;
	const unsigned char *p = b->data + it->cur, *end = b->data + b->rec_end, *suffix;
	uint64_t prefix, sx;
	size_t n, sl, vl, at = it->cur;
	int order;

	memset(rec, 0, sizeof(*rec));
	if ((n = get_varint(&prefix, p, (size_t)(end - p))) == 0)
		goto truncated;
	p += n;
	if ((n = get_varint(&sx, p, (size_t)(end - p))) == 0)
		goto truncated;
	p += n;
	if (prefix > it->keylen || (it->fresh && prefix != 0))
		return pw__error_set(PW_ECORRUPT,
			"%s: block at %llu: record at %zu has prefix %llu, prior key is %zu bytes",
			t->path, (unsigned long long)b->pos, at, (unsigned long long)prefix,
			it->fresh ? (size_t)0 : it->keylen);
	sl = (size_t)(sx >> 3);
	if (sl > (size_t)(end - p) || prefix + sl == 0)
		goto truncated;
	suffix = p;
	p += sl;
	/* the new key is key[0, prefix) + suffix: it must sort after the old one */
	order = !it->any ? 1 : key_cmp(suffix, sl, it->key + prefix, it->keylen - (size_t)prefix);
	if (order <= 0) {
		char old[128], new[128];
		snprintf(old, sizeof(old), "%.*s", (int)(it->keylen < 100 ? it->keylen : 100),
			(const char *)it->key);
		snprintf(new, sizeof(new), "%.*s%.*s", (int)(prefix < 60 ? prefix : 60),
			(const char *)it->key, (int)(sl < 60 ? sl : 60), (const char *)suffix);
		return pw__error_set(PW_ECORRUPT,
			"%s: block at %llu: record at %zu: keys out of order: '%s' then '%s'", t->path,
			(unsigned long long)b->pos, at, old, new);
	}
	if (pw__array_reserve((void **)&it->key, &it->keycap, (size_t)prefix + sl, 1, 64) < 0)
		return pw__error_nomem();
	memcpy(it->key + prefix, suffix, sl);
	it->keylen = (size_t)prefix + sl;
	it->any = 1;
	it->fresh = 0;
	rec->key = it->key;
	rec->keylen = it->keylen;
	rec->vtype = (unsigned)(sx & 7);
	if ((vl = decode_value(rec, t, it->type, p, (size_t)(end - p))) == BAD_VALUE)
		return pw__error_set(PW_ECORRUPT,
			"%s: block at %llu: record at %zu: malformed %s record (type %u)", t->path,
			(unsigned long long)b->pos, at,
			it->type == 'r' ? "ref" : it->type == 'g' ? "log" : "index", rec->vtype);
	it->cur = (size_t)(p + vl - b->data);
	return 1;
truncated:
	return pw__error_set(PW_ECORRUPT, "%s: block at %llu: record at %zu is truncated",
		t->path, (unsigned long long)b->pos, at);
}

int pw__rt_iter_next(pw__rt_rec *rec, pw__rt_iter *it)
{
	int rc;

	while (!it->done) {
		if (!it->open) {
			uint64_t pos = it->t->log_pos;
			if (it->type == 'r' || (it->type == 'g' && !pos))
				pos = 0;
			if ((rc = iter_block(it, pos)) <= 0) {
				it->done = 1;
				return rc;
			}
		}
		if (it->cur < it->blk.rec_end)
			return iter_decode(rec, it);
		if ((rc = iter_block(it, it->blk.next)) <= 0) {
			it->done = 1;
			return rc;
		}
	}
	return 0;
}

/*
 * Position `it` (its block open) at the last restart point whose key is
 * at most `key`, so that scanning from there finds the first record >= key.
 */
static int block_seek(pw__rt_iter *it, const unsigned char *key, size_t keylen)
{
	uint32_t lo = 0, hi = it->blk.nrestart;
	const unsigned char *rk = NULL;
	size_t rl = 0;
	int error;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if ((error = restart_key(&rk, &rl, it->t, &it->blk, mid)) < 0)
			return error;
		if (key_cmp(rk, rl, key, keylen) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	/* before the second restart: from the first record, listed as a restart or not */
	it->cur = lo == 0 ? it->blk.rec_start : be24(it->blk.data + it->blk.rec_end + (size_t)lo * 3);
	it->fresh = 1;
	it->any = 0;
	it->keylen = 0;
	return 0;
}

/* In the open block, the first record whose key is >= key: 1 and *rec, 0 when none is. */
static int block_find(pw__rt_rec *rec, pw__rt_iter *it, const unsigned char *key, size_t keylen)
{
	int rc;

	if ((rc = block_seek(it, key, keylen)) < 0)
		return rc;
	while (it->cur < it->blk.rec_end) {
		if ((rc = iter_decode(rec, it)) < 0)
			return rc;
		if (key_cmp(rec->key, rec->keylen, key, keylen) >= 0)
			return 1;
	}
	return 0;
}

int pw__rt_table_seek(pw__rt_rec *rec, pw__rt_iter *it, const pw__rt_table *t, const char *name)
{
	const unsigned char *key = (const unsigned char *)name;
	size_t keylen = strlen(name);
	uint64_t pos = t->ref_index_pos;
	unsigned depth;
	int rc;

	pw__rt_iter_init(it, t, 'i');
	if (!t->has_refs)
		return 0;
	/* down the index: the top level may be several consecutive blocks */
	for (depth = 0; pos && depth < INDEX_MAX_DEPTH; depth++) {
		it->type = 'i';
		if ((rc = iter_block(it, pos)) < 0)
			return rc;
		if (rc == 0)
			break; /* a ref block: the leaf */
		while ((rc = block_find(rec, it, key, keylen)) == 0) {
			if (depth > 0 || (rc = iter_block(it, it->blk.next)) <= 0)
				return rc; /* past the last key of the table */
		}
		if (rc < 0)
			return rc;
		if (rec->child >= pos)
			return pw__error_set(PW_ECORRUPT,
				"%s: index entry at %llu points at %llu, not at a block before it",
				t->path, (unsigned long long)pos, (unsigned long long)rec->child);
		pos = rec->child;
	}
	if (depth == INDEX_MAX_DEPTH)
		return rt_error(t, pos, "ref index nested too deep");
	/* pos: the ref block that holds `name` if any (0, the first, without an index) */
	it->type = 'r';
	for (;;) {
		if ((rc = iter_block(it, pos)) <= 0)
			return rc;
		if ((rc = block_find(rec, it, key, keylen)) < 0)
			return rc;
		if (rc == 1)
			return key_cmp(rec->key, rec->keylen, key, keylen) == 0;
		if (t->ref_index_pos)
			return 0; /* the index said this block */
		pos = it->blk.next;
	}
}

/* ------------------------------------------------------ table checks */

/*
 * Walk the ref blocks and index blocks (headers and restart tables), and
 * check every index entry points at a ref or index block before its own.
 */
static int check_blocks(const pw__rt_table *t)
{
	pw__rt_iter it;
	pw__rt_rec rec;
	pw__rt_block child;
	uint64_t pos = 0;
	int rc = 0, seen_index = 0;

	if (!t->has_refs)
		return 0;
	pw__rt_iter_init(&it, t, 'i');
	while (pos < t->blocks_end) {
		if ((rc = block_open(&it.blk, t, pos, 0)) < 0)
			goto out;
		if (it.blk.type == 'r' && !seen_index) {
			pos = it.blk.next;
			block_dispose(&it.blk);
			continue;
		}
		if (it.blk.type != 'i')
			break;
		if (t->ref_index_pos == 0)
			break; /* no ref index: an obj or log index */
		seen_index = 1;
		it.open = 1;
		it.cur = it.blk.rec_start;
		it.fresh = 1;
		it.any = 0;
		it.keylen = 0;
		while (it.cur < it.blk.rec_end) {
			if ((rc = iter_decode(&rec, &it)) < 0)
				goto out;
			if (rec.child >= pos) {
				rc = pw__error_set(PW_ECORRUPT,
					"%s: index entry in block at %llu points at %llu, outside the file "
					"or not before it", t->path, (unsigned long long)pos,
					(unsigned long long)rec.child);
				goto out;
			}
			if ((rc = block_open(&child, t, rec.child, 0)) < 0)
				goto out;
			if (child.type != 'r' && child.type != 'i')
				rc = pw__error_set(PW_ECORRUPT,
					"%s: index entry in block at %llu points at %llu, not a ref or "
					"index block", t->path, (unsigned long long)pos,
					(unsigned long long)rec.child);
			block_dispose(&child);
			if (rc < 0)
				goto out;
		}
		pos = it.blk.next;
		block_dispose(&it.blk);
		it.open = 0;
	}
	if (t->ref_index_pos && (rc = block_open(&it.blk, t, t->ref_index_pos, 0)) == 0 &&
	    it.blk.type != 'i')
		rc = rt_error(t, t->ref_index_pos, "ref_index_position is not an index block");
out:
	pw__rt_iter_dispose(&it);
	return rc < 0 ? rc : 0;
}

int pw__rt_table_parse(pw__rt_table *t, const char *path, unsigned char *buf, size_t len,
	pw_oid_t type)
{
	int error;

	memset(t, 0, sizeof(*t));
	t->buf = buf;
	t->len = len;
	if ((t->path = pw__strdup(path)) == NULL) {
		error = pw__error_nomem();
		goto fail;
	}
	if ((error = check_header(t, type)) < 0 || (error = check_footer(t)) < 0 ||
	    (error = check_blocks(t)) < 0)
		goto fail;
	return 0;
fail:
	pw__rt_table_dispose(t);
	return error;
}
