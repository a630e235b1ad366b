/* pw_bitmap.c: what packwin reads in a pack's .bitmap, for bitmap.sh to hold against git. */

/*
 * Usage: pw_bitmap PACK                 the header's view
 *        pw_bitmap --objects PACK OID   the objects of OID's bitmap
 *
 * The first prints `types COMMITS TREES BLOBS TAGS` (objects of each type
 * by the type bitmaps), then per entry, in file order, `OID COUNT`: the
 * bitmapped commit and how many objects its bitmap (XOR chain resolved)
 * holds. The second prints the id of every object in that commit's
 * bitmap, in pack order. Exits 0; 3 with the reason on stderr when the
 * bitmap is unusable (packwin ignores it then); 4 when the pack has none;
 * 2 on bad usage. Links the library's internals: the bitmap reader is
 * not public API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packwin.h"
#include "pack/bitmap.h"

static void die(int code, const char *what)
{
	fprintf(stderr, "pw_bitmap: %s: %s\n", what, pw_error_last());
	exit(code);
}

int main(int argc, char **argv)
{
	const char *path, *want = NULL;
	uint32_t counts[5] = { 0 }, i, n, k;
	pw__bitmap *bm;
	pw_wm *wm;
	pw_pack *pack;
	uint64_t *words;
	size_t nwords, w;
	pw_oid id, target;
	int err;

	if (argc == 4 && !strcmp(argv[1], "--objects")) {
		path = argv[2];
		want = argv[3];
	} else if (argc == 2) {
		path = argv[1];
	} else {
		fprintf(stderr, "usage: pw_bitmap [--objects] PACK [OID]\n");
		return 2;
	}
	if (pw_wm_new(&wm, NULL) < 0 || pw_pack_open(&pack, wm, path, NULL) < 0)
		die(1, path);
	if ((err = pw__pack_bitmap_open(&bm, pack)) == PW_ENOTFOUND) {
		fprintf(stderr, "pw_bitmap: %s: no bitmap\n", path);
		return 4;
	}
	if (err < 0)
		die(3, "bitmap ignored");
	n = pw__bitmap_bits(bm);
	nwords = ((size_t)n + 63) / 64;
	if (!(words = calloc(nwords ? nwords : 1, sizeof(*words))))
		die(1, "out of memory");
	if (want && pw_oid_fromhex(&target, want, pw_pack_oid_type(pack)) < 0)
		die(2, want);
	if (!want) {
		for (k = 0; k < n; k++)
			counts[pw__bitmap_type(bm, k)]++;
		printf("types %u %u %u %u\n", counts[PW_OBJ_COMMIT], counts[PW_OBJ_TREE],
			counts[PW_OBJ_BLOB], counts[PW_OBJ_TAG]);
	}
	for (i = 0; i < pw__bitmap_entries(bm); i++) {
		char hex[PW_OID_MAX_HEXSZ + 1];
		size_t bits = 0;

		if (pw_pack_nth_oid(&id, pack, pw__bitmap_entry_pos(bm, i)) < 0)
			die(1, "entry");
		if (want && pw_oid_cmp(&id, &target))
			continue;
		if (pw__bitmap_decode(words, bm, i) < 0)
			die(3, "entry");
		if (!want) {
			for (w = 0; w < nwords; w++)
				bits += (size_t)__builtin_popcountll(words[w]);
			pw_oid_tostr(hex, &id, pw_pack_oid_type(pack));
			printf("%s %zu\n", hex, bits);
			continue;
		}
		for (k = 0; k < n; k++) {
			uint32_t pos;

			if (!(words[k / 64] >> (k % 64) & 1))
				continue;
			if (pw_pack_order_nth(&pos, pack, k) < 0 || pw_pack_nth_oid(&id, pack, pos) < 0)
				die(1, "object");
			pw_oid_tostr(hex, &id, pw_pack_oid_type(pack));
			printf("%s\n", hex);
		}
		break;
	}
	if (want && i == pw__bitmap_entries(bm)) {
		fprintf(stderr, "pw_bitmap: %s has no bitmap\n", want);
		return 1;
	}
	free(words);
	pw__bitmap_free(bm);
	pw_pack_free(pack);
	pw_wm_free(wm);
	return 0;
}
