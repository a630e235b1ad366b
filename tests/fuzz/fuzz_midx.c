/* fuzz_midx.c: fuzz target for multi-pack-index parsing, every lookup through it, and its verify pass. */
#include <string.h>

#include "fuzz_common.h"
#include "odb/midx.h"

#define MAX_POSITIONS 512u

static void lookups(pw_midx *m, const pw_oid *id)
{
	uint32_t pos, first, n, pack;
	uint64_t off;
	pw_cursor cur;

	pw_cursor_init(&cur, m->f);
	if (pw__midx_find(&pos, m, &cur, id) == 0 && pos >= m->nobjects)
		fz_fail("pw__midx_find: a position past the objects");
	if (pw__midx_prefix_range(&first, &n, m, &cur, id, 4 + (id->id[1] & 31)) == 0 &&
	    (first > m->nobjects || n > m->nobjects - first))
		fz_fail("pw__midx_prefix_range: a range outside the objects");
	for (pos = 0; pos < m->nobjects && pos < MAX_POSITIONS; pos++) {
		pw_oid got;
		uint32_t rpos;
		if (pw__midx_nth_oid(&got, m, &cur, pos) < 0)
			continue;
		if (pw__midx_nth_entry(&pack, &off, m, &cur, pos) == 0 &&
		    (pack >= m->npacks || !pw__midx_pack_name(m, pack)))
			fz_fail("pw__midx_nth_entry: a pack the file does not name");
		if (pw__midx_ridx_nth(&rpos, m, &cur, pos) == 0 && rpos >= m->nobjects)
			fz_fail("pw__midx_ridx_nth: a position past the objects");
		/* an id it lists is found (at its position, or an equal id's in an unsorted file) */
		if (pw__midx_find(&rpos, m, &cur, &got) == 0 && rpos >= m->nobjects)
			fz_fail("pw__midx_find: a position past the objects");
	}
	pw_cursor_release(&cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512];
	pw_wm_options wo;
	pw_wm *wm = NULL;
	pw_midx *m = NULL;
	pw_oid id;
	pw_oid_t type = size > 5 && data[5] == 2 ? PW_OID_SHA256 : PW_OID_SHA1;

	fz_path(path, sizeof(path), "multi-pack-index");
	fz_write(path, data, size);
	fz_tiny_wm_options(&wo);
	if (pw_wm_new(&wm, &wo) < 0)
		fz_fail("pw_wm_new");
	if (pw__midx_open(&m, wm, path, type, NULL) == 0) {
		memset(&id, 0, sizeof(id));
		if (size >= 32)
			memcpy(id.id, data + size - 32, pw_oid_rawsz(type));
		lookups(m, &id);
		pw__midx_verify(m);
		pw__midx_free(m);
	}
	pw_error_clear();
	pw_wm_free(wm);
	return 0;
}
