/* entry.c: parsing a pack entry's header (type, size varint, delta base reference). */
#include <string.h>

#include "pack/internal.h"
#include "util/error.h"
#include "util/banned.h"

/* A header is at most 10 bytes of size varint and a 10-byte offset or an id. */
#define MAX_HEADER (10 + PW_OID_MAX_RAWSZ)

int pw__entry_parse(pw_pack_entry *out, pw_pack *p, pw_cursor *cur, uint64_t offset)
{
	uint64_t limit = p->pack_size - p->rawsz, size;
	const unsigned char *b;
	size_t avail, need, i = 0;
	unsigned shift;
	unsigned char c;
	int error;

	if (offset < 12 || offset >= limit)
		return pw__pack_error(p, PW_ECORRUPT, offset,
			"entry offset outside the pack's entries (12 to %llu)",
			(unsigned long long)limit);
	need = limit - offset < MAX_HEADER ? (size_t)(limit - offset) : MAX_HEADER;
	if ((error = pw_cursor_get(&b, &avail, cur, offset, need)) < 0)
		return error;
	if (avail > need)
		avail = need;

	c = b[i++];
	out->type = (pw_object_t)((c >> 4) & 7);
	size = c & 15;
	shift = 4;
	while (c & 0x80) {
		if (i >= avail || shift > 63)
			return pw__pack_error(p, PW_ECORRUPT, offset, "bad entry header: size does not end");
		c = b[i++];
		if (shift > 57 && ((uint64_t)(c & 0x7f) >> (64 - shift)))
			return pw__pack_error(p, PW_ECORRUPT, offset, "bad entry header: size overflows 64 bits");
		size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	out->offset = offset;
	out->size = size;
	out->base_offset = 0;
	out->packed_size = 0;
	out->crc32 = 0;
	memset(&out->base_id, 0, sizeof(out->base_id));

	switch (out->type) {
	case PW_OBJ_COMMIT:
	case PW_OBJ_TREE:
	case PW_OBJ_BLOB:
	case PW_OBJ_TAG:
		break;
	case PW_OBJ_OFS_DELTA: {
		uint64_t rel;
		if (i >= avail)
			return pw__pack_error(p, PW_ECORRUPT, offset, "delta base offset truncated");
		c = b[i++];
		rel = c & 0x7f;
		while (c & 0x80) {
			if (i >= avail)
				return pw__pack_error(p, PW_ECORRUPT, offset, "delta base offset truncated");
			if (rel >> 56)
				return pw__pack_error(p, PW_ECORRUPT, offset, "delta base offset overflows");
			c = b[i++];
			rel = ((rel + 1) << 7) | (c & 0x7f);
		}
		if (rel == 0 || rel > offset - 12)
			return pw__pack_error(p, PW_ECORRUPT, offset,
				"delta base offset %llu points outside the pack",
				(unsigned long long)rel);
		out->base_offset = offset - rel;
		break;
	}
	case PW_OBJ_REF_DELTA:
		if (avail - i < p->rawsz)
			return pw__pack_error(p, PW_ECORRUPT, offset, "delta base id truncated");
		pw_oid_fromraw(&out->base_id, b + i, p->oid_type);
		i += p->rawsz;
		break;
	default:
		return pw__pack_error(p, PW_ECORRUPT, offset, "bad entry type %d", (int)out->type);
	}
	out->header_len = (uint32_t)i;
	return 0;
}

int pw_pack_entry_at(pw_pack_entry *out, pw_pack *p, uint64_t offset)
{
	pw_cursor cur, idxcur;
	uint32_t packpos;
	int error;

	if (!pw__idx_loaded(p)) {
		/* a lazily opened pack: the header alone, nothing the idx would say */
		pw_cursor_init(&cur, p->packf);
		error = pw__entry_parse(out, p, &cur, offset);
		pw_cursor_release(&cur);
		return error;
	}
	if ((error = pw__rev_ensure(p)) < 0)
		return error;
	if ((error = pw__rev_find(&packpos, p, offset)) < 0)
		return error;
	pw_cursor_init(&cur, p->packf);
	error = pw__entry_parse(out, p, &cur, offset);
	pw_cursor_release(&cur);
	if (error < 0)
		return error;
	out->packed_size = pw__rev_next_offset(p, packpos) - offset;
	pw_cursor_init(&idxcur, p->idxf);
	error = pw__idx_nth_crc(&out->crc32, p, &idxcur, p->rev_pos[packpos]);
	if (!error && out->type == PW_OBJ_REF_DELTA) {
		uint32_t pos;
		int found = pw__idx_find(&pos, p, &idxcur, &out->base_id);
		if (found == 0)
			error = pw__idx_nth_offset(&out->base_offset, p, &idxcur, pos);
		else if (found != PW_ENOTFOUND)
			error = found;
	}
	pw_cursor_release(&idxcur);
	return error;
}

int pw__pack_ref_deltas(pw_pack *p, int (*cb)(const pw_oid *base, int in_pack, void *payload),
	void *payload)
{
	pw_cursor cur, idxcur;
	pw_pack_entry e;
	uint32_t k, pos;
	int error = 0, found;

	if ((error = pw__idx_ensure(p, "to list its deltas")) < 0 || (error = pw__rev_ensure(p)) < 0)
		return error;
	/* in pack order with one cursor: a sequential read of the entry headers, nothing inflated */
	pw_cursor_init(&cur, p->packf);
	pw_cursor_init(&idxcur, p->idxf);
	for (k = 0; k < p->count && !error; k++) {
		if ((error = pw__entry_parse(&e, p, &cur, pw__rev_offset(p, k))) < 0)
			break;
		if (e.type != PW_OBJ_REF_DELTA)
			continue;
		found = pw__idx_find(&pos, p, &idxcur, &e.base_id);
		if (found < 0 && found != PW_ENOTFOUND) {
			error = found;
			break;
		}
		error = cb(&e.base_id, found == 0, payload);
	}
	pw_cursor_release(&idxcur);
	pw_cursor_release(&cur);
	if (error == 0)
		pw_error_clear();
	return error;
}
