/* fuzz_idx.c: fuzz target for pack index (.idx v1/v2) parsing and every lookup through it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* Entries past a zero-filled pack header: offsets below this are inside the pack. */
#define PACK_BODY (32u << 10)
#define MAX_POSITIONS 1024u

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A pack whose header agrees with the idx's object count (read where the
 * idx keeps it), so that pw_pack_open gets past the pack and everything
 * after it is about the idx. Its body is zeros: entries are not read here.
 */
static void write_pack(const char *path, const uint8_t *idx, size_t len)
{
	static unsigned char pack[12 + PACK_BODY + 32];
	uint32_t count = 0;

	if (len >= 8 + 1024 && !memcmp(idx, "\377tOc", 4))
		count = be32(idx + 8 + 255 * 4);
	else if (len >= 1024)
		count = be32(idx + 255 * 4);
	memcpy(pack, "PACK\0\0\0\2", 8);
	pack[8] = (unsigned char)(count >> 24);
	pack[9] = (unsigned char)(count >> 16);
	pack[10] = (unsigned char)(count >> 8);
	pack[11] = (unsigned char)count;
	fz_write(path, pack, sizeof(pack));
}

static void check_range(pw_pack *p, const pw_oid *id, size_t hexlen)
{
	uint32_t first, n, total = pw_pack_count(p);

	if (pw_pack_prefix_range(&first, &n, p, id, hexlen) == 0 &&
	    (first > total || n > total - first))
		fz_fail("pw_pack_prefix_range: a range outside the idx");
}

/* Look `id` up whole and by a prefix of hexlen digits (4..hexsz; others are refused). */
static void lookups(pw_pack *p, const pw_oid *id, size_t hexlen)
{
	uint64_t off;
	pw_oid found;

	pw_pack_find(&off, p, id);
	pw_pack_find_prefix(&found, p, id, hexlen);
	check_range(p, id, hexlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char idx_path[512], pack_path[512];
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_wm_options wo;
	pw_pack *p = NULL;
	pw_wm *wm = NULL;
	pw_oid id;
	size_t hexsz;
	uint32_t n, count, pos;
	uint64_t off;

	fz_path(idx_path, sizeof(idx_path), "pack-fuzz.idx");
	fz_path(pack_path, sizeof(pack_path), "pack-fuzz.pack");
	fz_write(idx_path, data, size);
	write_pack(pack_path, data, size);

	fz_tiny_wm_options(&wo);
	if (pw_wm_new(&wm, &wo) < 0)
		fz_fail("pw_wm_new");
	po.delta_cache_size = 64 << 10;
	if (pw_pack_open(&p, wm, idx_path, &po) < 0)
		goto out;

	count = pw_pack_count(p);
	hexsz = pw_oid_hexsz(pw_pack_oid_type(p));
	for (n = 0; n < count && n < MAX_POSITIONS; n++) {
		/* prefix lengths cycle through 4..hexsz, one per position: all get tried, cheaply */
		if (pw_pack_nth_oid(&id, p, n) == 0)
			lookups(p, &id, 4 + n % (hexsz - 3));
		if (pw_pack_nth_offset(&off, p, n) == 0)
			pw_pack_offset_oid(&id, p, off);
		pw_pack_order_nth(&pos, p, n);
	}
	/* ids that are probably absent: taken from the input itself */
	if (size >= PW_OID_MAX_RAWSZ) {
		pw_oid_fromraw(&id, data + size - PW_OID_MAX_RAWSZ, pw_pack_oid_type(p));
		lookups(p, &id, 4 + data[0] % (hexsz - 3));
		pw_oid_fromraw(&id, data + size / 2 - PW_OID_MAX_RAWSZ / 2, pw_pack_oid_type(p));
		lookups(p, &id, hexsz);
	}
	memset(&id, 0xff, sizeof(id));
	lookups(p, &id, 4);
	memset(&id, 0, sizeof(id));
	lookups(p, &id, 5);
	lookups(p, &id, 3);         /* refused: too short */
	lookups(p, &id, hexsz + 1); /* refused: too long */
	pw_pack_checksum(&id, p);
	pw_pack_offset_oid(&id, p, 12);
out:
	pw_pack_free(p);
	pw_wm_free(wm);
	pw_error_clear();
	return 0;
}
