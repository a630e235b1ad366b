/* idx.c: the pack index (.idx v1 and v2): header checks, lookup by id and by position. */
#include <string.h>

#include "pack/internal.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/str.h"
#include "window/search.h"
#include "util/banned.h"

/* Sizes an idx of `n` objects may have: [min, max]. */
static void v2_bounds(uint64_t *min, uint64_t *max, uint32_t n, size_t rawsz)
{
	*min = 8 + 1024 + (uint64_t)n * (rawsz + 8) + 2 * rawsz;
	/* at most every offset but the first can need the 64-bit table */
	*max = *min + (n ? (uint64_t)(n - 1) * 8 : 0);
}

static uint64_t v1_size(uint32_t n, size_t rawsz)
{
	return 1024 + (uint64_t)n * (rawsz + 4) + 2 * rawsz;
}

static int v2_fits(uint64_t size, uint32_t n, size_t rawsz)
{
	uint64_t min, max;

	v2_bounds(&min, &max, n, rawsz);
	return size >= min && size <= max && (size - min) % 8 == 0;
}

int pw__idx_open(pw_pack *p)
{
	unsigned char head[8 + 1024];
	const unsigned char *fan;
	uint64_t size = p->idx_size;
	uint32_t i, n;
	int error;

	if (size < 1024 + 40)
		return pw__idx_error(p, PW_ECORRUPT, "file of %llu bytes is too small to be a pack index",
			(unsigned long long)size);
	if ((error = pw_wm_read(head, p->idxf, 0, sizeof(head))) < 0)
		return error;
	if (!memcmp(head, "\377tOc", 4)) {
		uint32_t version = pw__be32(head + 4);
		if (version != 2)
			return pw__idx_error(p, PW_EUNSUPPORTED, "index version %u is not supported", version);
		p->idx_version = 2;
		fan = head + 8;
	} else {
		p->idx_version = 1;
		fan = head;
	}
	for (i = 0; i < 256; i++) {
		p->fanout[i] = pw__be32(fan + 4 * i);
		if (i && p->fanout[i] < p->fanout[i - 1])
			return pw__idx_error(p, PW_ECORRUPT,
				"fan-out table is not monotonic at entry %u", i);
	}
	n = p->fanout[255];
	if (p->lazy) {
		/* count, format and rawsz came from the open, and others read them now */
		if (n != p->count)
			return pw__idx_error(p, PW_ECORRUPT,
				"index lists %u objects but %s holds %u", n, p->pack_path, p->count);
	} else {
		p->count = n;
		if (p->oid_type == PW_OID_UNKNOWN) {
			/* The sizes of SHA-1 and SHA-256 indexes of n objects never overlap. */
			if (p->idx_version == 2)
				p->oid_type = v2_fits(size, n, 32) && !v2_fits(size, n, 20) ?
					PW_OID_SHA256 : PW_OID_SHA1;
			else
				p->oid_type = size == v1_size(n, 32) ? PW_OID_SHA256 : PW_OID_SHA1;
		}
		p->rawsz = pw_oid_rawsz(p->oid_type);
	}

	if (p->idx_version == 2) {
		uint64_t min, max;
		v2_bounds(&min, &max, n, p->rawsz);
		if (size < min)
			return pw__idx_error(p, PW_ECORRUPT,
				"index of %u %s objects needs at least %llu bytes, file has %llu",
				n, pw_oid_type_name(p->oid_type), (unsigned long long)min,
				(unsigned long long)size);
		if (size > max || (size - min) % 8)
			return pw__idx_error(p, PW_ECORRUPT,
				"index of %u %s objects cannot be %llu bytes long", n,
				pw_oid_type_name(p->oid_type), (unsigned long long)size);
		p->oids_at = 8 + 1024;
		p->crc_at = p->oids_at + (uint64_t)n * p->rawsz;
		p->off32_at = p->crc_at + (uint64_t)n * 4;
		p->off64_at = p->off32_at + (uint64_t)n * 4;
		p->n64 = (uint32_t)((size - min) / 8);
	} else {
		uint64_t want = v1_size(n, p->rawsz);
		if (size != want)
			return pw__idx_error(p, PW_ECORRUPT,
				"version 1 index of %u %s objects must be %llu bytes, file has %llu",
				n, pw_oid_type_name(p->oid_type), (unsigned long long)want,
				(unsigned long long)size);
		p->oids_at = 1024 + 4; /* each entry: 4-byte offset, then the id */
		p->off32_at = 1024;
	}
	return 0;
}

static int idx_bytes(const unsigned char **out, pw_pack *p, pw_cursor *cur,
	uint64_t at, size_t len)
{
	size_t avail;
	return pw_cursor_get(out, &avail, cur, at, len);
}

static uint64_t oid_at(pw_pack *p, uint32_t n)
{
	return p->idx_version == 2 ? p->oids_at + (uint64_t)n * p->rawsz :
		p->oids_at + (uint64_t)n * (p->rawsz + 4);
}

int pw__idx_nth_offset(uint64_t *out, pw_pack *p, pw_cursor *cur, uint32_t n)
{
	const unsigned char *b;
	uint64_t off;
	int error;

	if (n >= p->count)
		return pw__error_set(PW_EINVALID, "%s: no object at position %u of %u",
			p->idx_path, n, p->count);
	if (p->idx_version == 1) {
		if ((error = idx_bytes(&b, p, cur, 1024 + (uint64_t)n * (p->rawsz + 4), 4)) < 0)
			return error;
		off = pw__be32(b);
	} else {
		if ((error = idx_bytes(&b, p, cur, p->off32_at + (uint64_t)n * 4, 4)) < 0)
			return error;
		off = pw__be32(b);
		if (off & 0x80000000u) {
			uint32_t k = (uint32_t)off & 0x7fffffffu;
			if (k >= p->n64)
				return pw__idx_error(p, PW_ECORRUPT,
					"object %u: 64-bit offset index %u past the table of %u",
					n, k, p->n64);
			if ((error = idx_bytes(&b, p, cur, p->off64_at + (uint64_t)k * 8, 8)) < 0)
				return error;
			off = pw__be64(b);
		}
	}
	if (off < 12 || off >= p->pack_size - p->rawsz)
		return pw__idx_error(p, PW_ECORRUPT,
			"object %u: offset %llu is outside the pack's %llu bytes of entries",
			n, (unsigned long long)off, (unsigned long long)(p->pack_size - p->rawsz));
	*out = off;
	return 0;
}

int pw__idx_nth_crc(uint32_t *out, pw_pack *p, pw_cursor *cur, uint32_t n)
{
	const unsigned char *b;
	int error;

	if (p->idx_version != 2) {
		*out = 0;
		return 0;
	}
	if ((error = idx_bytes(&b, p, cur, p->crc_at + (uint64_t)n * 4, 4)) < 0)
		return error;
	*out = pw__be32(b);
	return 0;
}

static int nth_oid_raw(const unsigned char **out, pw_pack *p, pw_cursor *cur, uint32_t n)
{
	return idx_bytes(out, p, cur, oid_at(p, n), p->rawsz);
}

/* First position whose id is >= `id` (by the first `len` bytes) within [lo, hi). */
static int lower_bound(uint32_t *out, pw_pack *p, pw_cursor *cur,
	const unsigned char *id, size_t len, uint32_t lo, uint32_t hi)
{
	return pw__cursor_lower_bound(out, cur, oid_at(p, 0),
		p->idx_version == 2 ? p->rawsz : p->rawsz + 4, id, len, lo, hi);
}

int pw__idx_find(uint32_t *pos_out, pw_pack *p, pw_cursor *cur, const pw_oid *id)
{
	uint32_t lo = id->id[0] ? p->fanout[id->id[0] - 1] : 0;
	uint32_t hi = p->fanout[id->id[0]], pos;
	const unsigned char *b;
	int error;

	if ((error = lower_bound(&pos, p, cur, id->id, p->rawsz, lo, hi)) < 0)
		return error;
	if (pos < hi) {
		if ((error = nth_oid_raw(&b, p, cur, pos)) < 0)
			return error;
		if (!memcmp(b, id->id, p->rawsz)) {
			*pos_out = pos;
			return 0;
		}
	}
	return PW_ENOTFOUND;
}

int pw__pack_lookup(uint64_t *offset_out, pw_pack *p, const pw_oid *id)
{
	pw_cursor cur;
	uint32_t pos;
	int error;

	if ((error = pw__idx_ensure(p, "to look up an object by id")) < 0)
		return error;
	/* most ids miss most packs of a repository with many: the fan-out says so in memory */
	if ((id->id[0] ? p->fanout[id->id[0] - 1] : 0) == p->fanout[id->id[0]])
		return PW_ENOTFOUND;
	pw_cursor_init(&cur, p->idxf);
	error = pw__idx_find(&pos, p, &cur, id);
	if (!error)
		error = pw__idx_nth_offset(offset_out, p, &cur, pos);
	pw_cursor_release(&cur);
	return error;
}

int pw_pack_find(uint64_t *offset_out, pw_pack *p, const pw_oid *id)
{
	int error = pw__pack_lookup(offset_out, p, id);

	if (error == PW_ENOTFOUND) {
		char hex[PW_OID_MAX_HEXSZ + 1];
		pw__error_set(PW_ENOTFOUND, "%s: object %s not found", p->idx_path,
			pw_oid_tostr(hex, id, p->oid_type));
	}
	return error;
}

int pw_pack_find_prefix(pw_oid *out, pw_pack *p, const pw_oid *prefix, size_t hexlen)
{
	uint32_t lo, hi, pos;
	const unsigned char *b;
	pw_cursor cur;
	int error, found = 0;

	if (hexlen < 1 || hexlen > 2 * p->rawsz)
		return pw__error_set(PW_EINVALID, "bad abbreviation length %zu", hexlen);
	if ((error = pw__idx_ensure(p, "to look up an abbreviated id")) < 0)
		return error;
	lo = prefix->id[0] ? p->fanout[prefix->id[0] - 1] : 0;
	hi = p->fanout[prefix->id[0]];
	pw_cursor_init(&cur, p->idxf);
	if ((error = lower_bound(&pos, p, &cur, prefix->id, (hexlen + 1) / 2, lo, hi)) < 0)
		goto out;
	for (; pos < hi && found < 2; pos++) {
		if ((error = nth_oid_raw(&b, p, &cur, pos)) < 0)
			goto out;
		if (!pw__hex_prefix_matches(b, prefix->id, hexlen))
			break;
		if (!found)
			pw_oid_fromraw(out, b, p->oid_type);
		found++;
	}
	error = found == 0 ? PW_ENOTFOUND : found > 1 ? PW_EAMBIGUOUS : 0;
out:
	pw_cursor_release(&cur);
	return error;
}

int pw_pack_nth_oid(pw_oid *out, pw_pack *p, uint32_t n)
{
	const unsigned char *b;
	pw_cursor cur;
	int error;

	if (n >= p->count)
		return pw__error_set(PW_EINVALID, "%s: no object at position %u of %u",
			p->idx_path, n, p->count);
	if ((error = pw__idx_ensure(p, "to list ids in oid order")) < 0)
		return error;
	pw_cursor_init(&cur, p->idxf);
	if ((error = nth_oid_raw(&b, p, &cur, n)) == 0)
		pw_oid_fromraw(out, b, p->oid_type);
	pw_cursor_release(&cur);
	return error;
}

int pw_pack_nth_offset(uint64_t *out, pw_pack *p, uint32_t n)
{
	pw_cursor cur;
	int error;

	if ((error = pw__idx_ensure(p, "to list offsets in oid order")) < 0)
		return error;
	pw_cursor_init(&cur, p->idxf);
	error = pw__idx_nth_offset(out, p, &cur, n);
	pw_cursor_release(&cur);
	return error;
}

int pw_pack_prefix_range(uint32_t *first, uint32_t *count, pw_pack *p,
	const pw_oid *prefix, size_t hexlen)
{
	uint32_t lo, hi, pos, end;
	const unsigned char *b;
	pw_cursor cur;
	int error;

	if (hexlen < 1 || hexlen > 2 * p->rawsz)
		return pw__error_set(PW_EINVALID, "bad abbreviation length %zu", hexlen);
	if ((error = pw__idx_ensure(p, "to look up an abbreviated id")) < 0)
		return error;
	lo = prefix->id[0] ? p->fanout[prefix->id[0] - 1] : 0;
	hi = p->fanout[prefix->id[0]];
	pw_cursor_init(&cur, p->idxf);
	if ((error = lower_bound(&pos, p, &cur, prefix->id, (hexlen + 1) / 2, lo, hi)) < 0)
		goto out;
	for (end = pos; end < hi; end++) {
		if ((error = nth_oid_raw(&b, p, &cur, end)) < 0)
			goto out;
		if (!pw__hex_prefix_matches(b, prefix->id, hexlen))
			break;
	}
	*first = pos;
	*count = end - pos;
out:
	pw_cursor_release(&cur);
	return error;
}
