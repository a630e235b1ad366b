/*
 * fuzz_pack.c: fuzz target for a whole (pack, idx[, rev]) triple: entry
 * headers, inflation, delta chains, streaming and verification, under a
 * tiny window budget.
 *
 * Input: byte 0 flags (FL_*), bytes 1..4 the idx length and 5..8 the .rev
 * length (little-endian; clamped to what is there), then the idx, the .rev
 * and the pack (the rest). make-seeds.sh writes the fixtures in this shape.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

#define FL_REV 0x01         /* write the .rev file */
#define FL_NO_MMAP 0x02     /* windows filled by pread */
#define FL_WHOLE_FILE 0x04  /* one window per file */
#define FL_INDEX_BASES 0x08 /* pw_pack_index_bases before reading */
#define FL_SHA256 0x10      /* open as SHA-256 instead of detecting */

/*
 * Work caps per input: deflate and copy-op deltas amplify a few bytes into
 * megabytes, so without them one input of a long chain of large deltas
 * takes minutes by design, not by a bug.
 */
#define MAX_OBJECT (2u << 20)
#define MAX_DEPTH 64u
#define MAX_ENTRIES 256u
#define MAX_RESOLVED ((uint64_t)32 << 20)
#define VERIFY_BELOW (48u << 10)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* What pw_pack_stream_at delivered, compared with what pw_pack_read_at built. */
typedef struct streamed {
	const pw_object *obj; /* NULL: only count */
	uint64_t got;
} streamed;

static int stream_cb(const unsigned char *d, size_t len, void *payload)
{
	streamed *s = payload;

	if (s->obj) {
		if (s->got > pw_object_size(s->obj) || len > pw_object_size(s->obj) - s->got)
			fz_fail("pw_pack_stream_at: more bytes than pw_pack_read_at");
		if (memcmp(pw_object_data(s->obj) + s->got, d, len))
			fz_fail("pw_pack_stream_at: other bytes than pw_pack_read_at");
	}
	s->got += len;
	return 0;
}

/* Read the entry at `off` every way there is; returns the bytes resolved. */
static uint64_t read_entry(pw_pack *p, uint64_t off)
{
	pw_pack_entry e;
	pw_object *obj = NULL;
	pw_object_t type, htype, stype;
	uint64_t hsize, ssize;
	uint32_t depth;
	streamed s;
	int rh, rr, rs;

	if (pw_pack_entry_at(&e, p, off) < 0)
		return 0;
	pw_pack_chain(&type, &depth, p, off);
	rh = pw_pack_read_header(&htype, &hsize, p, off);
	rr = pw_pack_read_at(&obj, p, off);
	if (rr == 0) {
		if (pw_object_data(obj)[pw_object_size(obj)] != '\0')
			fz_fail("object data not NUL-terminated");
		if (rh == 0 && (htype != pw_object_type(obj) || hsize != pw_object_size(obj)))
			fz_fail("pw_pack_read_header disagrees with pw_pack_read_at");
	}
	s.obj = obj;
	s.got = 0;
	rs = pw_pack_stream_at(&stype, &ssize, p, off, stream_cb, &s);
	if (rr == 0 && rs == 0 &&
	    (stype != pw_object_type(obj) || ssize != pw_object_size(obj) || s.got != ssize))
		fz_fail("pw_pack_stream_at disagrees with pw_pack_read_at");
	hsize = obj ? pw_object_size(obj) : 0;
	pw_object_free(obj);
	return hsize + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char idx_path[512], pack_path[512], rev_path[512];
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_wm_options wo;
	pw_pack *p = NULL;
	pw_wm *wm = NULL;
	pw_object *obj;
	pw_oid id;
	size_t idx_len, rev_len;
	uint32_t n, count, pos;
	uint64_t off, resolved = 0;
	uint8_t flags;

	if (size < 9)
		return 0;
	flags = data[0];
	idx_len = le32(data + 1);
	rev_len = le32(data + 5);
	data += 9;
	size -= 9;
	if (idx_len > size)
		idx_len = size;
	if (rev_len > size - idx_len)
		rev_len = size - idx_len;

	fz_path(idx_path, sizeof(idx_path), "pack-fuzz.idx");
	fz_path(pack_path, sizeof(pack_path), "pack-fuzz.pack");
	fz_path(rev_path, sizeof(rev_path), "pack-fuzz.rev");
	fz_write(idx_path, data, idx_len);
	if (flags & FL_REV)
		fz_write(rev_path, data + idx_len, rev_len);
	else
		unlink(rev_path);
	fz_write(pack_path, data + idx_len + rev_len, size - idx_len - rev_len);

	fz_tiny_wm_options(&wo);
	wo.no_mmap = !!(flags & FL_NO_MMAP);
	if (flags & FL_WHOLE_FILE) {
		wo.mode = PW_WM_WHOLE_FILE;
		wo.memory_limit = 1 << 20;
	}
	if (pw_wm_new(&wm, &wo) < 0)
		fz_fail("pw_wm_new");
	po.delta_cache_size = 256 << 10;
	po.max_object_size = MAX_OBJECT;
	po.max_delta_depth = MAX_DEPTH;
	if (flags & FL_SHA256)
		po.oid_type = PW_OID_SHA256;
	if (pw_pack_open(&p, wm, idx_path, &po) < 0)
		goto out;
	if (flags & FL_INDEX_BASES)
		pw_pack_index_bases(p);

	count = pw_pack_count(p);
	/* pack order first (each base before its OFS_DELTAs), then by id */
	for (n = 0; n < count && n < MAX_ENTRIES && resolved < MAX_RESOLVED; n++) {
		if (pw_pack_order_nth(&pos, p, n) == 0 && pw_pack_nth_offset(&off, p, pos) == 0)
			resolved += read_entry(p, off);
	}
	for (n = 0; n < count && n < MAX_ENTRIES && resolved < MAX_RESOLVED; n++) {
		if (pw_pack_nth_oid(&id, p, n) == 0 && pw_pack_read(&obj, p, &id) == 0) {
			resolved += pw_object_size(obj) + 1;
			pw_object_free(obj);
		}
	}
	/* offsets the idx does not name: the header, mid-entry, the trailer */
	for (off = 0; off < 16 && resolved < MAX_RESOLVED; off += 5)
		resolved += read_entry(p, off);
	resolved += read_entry(p, pw_pack_size(p) > 20 ? pw_pack_size(p) - 20 : 0);

	if (size < VERIFY_BELOW && count <= MAX_ENTRIES) {
		pw_verify_options vo = PW_VERIFY_OPTIONS_INIT;
		vo.threads = 1;
		if (pw_pack_verify(p, &vo) == 0) {
			/* a verified pack reads whole */
			for (n = 0; n < count; n++)
				if (pw_pack_nth_offset(&off, p, n) < 0 || pw_pack_read_at(&obj, p, off) < 0)
					fz_fail("pw_pack_verify passed a pack with an unreadable object");
				else
					pw_object_free(obj);
		}
	}
out:
	pw_pack_free(p);
	pw_wm_free(wm);
	pw_error_clear();
	return 0;
}
