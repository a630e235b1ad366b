/* pw_bitmap.c: what packwin reads in a .bitmap (a pack's or a multi-pack-index's), for bitmap.sh to hold against git. */

/*
 * Usage: pw_bitmap [--midx] [--objects OID] FILE
 *
 * FILE is a pack (its .bitmap is read) or, with --midx, a
 * multi-pack-index file (its multi-pack-index-<checksum>.bitmap). Prints
 * `types COMMITS TREES BLOBS TAGS` (objects of each type by the type
 * bitmaps), then per entry, in file order, `OID COUNT`: the bitmapped
 * commit and how many objects its bitmap (XOR chain resolved) holds.
 * With --objects, the id of every object in OID's bitmap instead, in bit
 * order. Exits 0; 3 with the reason on stderr when the bitmap is unusable
 * (packwin ignores it then); 4 when there is none; 2 on bad usage. Links
 * the library's internals: the bitmap reader is not public API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packwin.h"
#include "odb/midx.h"
#include "pack/bitmap.h"
#include "util/alloc.h"

static void die(int code, const char *what)
{
	fprintf(stderr, "pw_bitmap: %s: %s\n", what, pw_error_last());
	exit(code);
}

struct src {
	pw_pack *pack;     /* a pack's bitmap */
	pw_midx *midx;     /* a multi-pack-index's */
	pw_cursor cur;
	pw_oid_t type;
};

/* The id of the object at index position `pos`. */
static void oid_at(pw_oid *out, struct src *s, uint32_t pos)
{
	if (s->pack ? pw_pack_nth_oid(out, s->pack, pos) : pw__midx_nth_oid(out, s->midx, &s->cur, pos))
		die(1, "object");
}

/* The index position of the object at bit `bit`. */
static uint32_t pos_of_bit(struct src *s, uint32_t bit)
{
	uint32_t pos;

	if (s->pack ? pw_pack_order_nth(&pos, s->pack, bit) : pw__midx_ridx_nth(&pos, s->midx, &s->cur, bit))
		die(1, "bit");
	return pos;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *want = NULL;
	uint32_t counts[5] = { 0 }, i, n, k, *bit_of = NULL;
	struct src s;
	pw__bitmap *bm;
	pw_wm *wm;
	uint64_t *words;
	size_t nwords, w;
	pw_oid id, target;
	int err, midx = 0, a;

	memset(&s, 0, sizeof(s));
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--midx"))
			midx = 1;
		else if (!strcmp(argv[a], "--objects") && a + 1 < argc)
			want = argv[++a];
		else if (!path)
			path = argv[a];
		else
			path = NULL, a = argc;
	}
	if (!path) {
		fprintf(stderr, "usage: pw_bitmap [--midx] [--objects OID] FILE\n");
		return 2;
	}
	if (pw_wm_new(&wm, NULL) < 0)
		die(1, "pw_wm_new");
	if (midx) {
		/* the format from the header's hash id */
		FILE *f = fopen(path, "rb");
		unsigned char head[8];
		if (!f || fread(head, 1, 8, f) != 8)
			die(1, path);
		fclose(f);
		s.type = head[5] == 2 ? PW_OID_SHA256 : PW_OID_SHA1;
		if (pw__midx_open(&s.midx, wm, path, s.type, NULL) < 0)
			die(1, path);
		pw_cursor_init(&s.cur, s.midx->f);
		err = pw__midx_bitmap_open(&bm, &bit_of, s.midx, wm);
	} else {
		if (pw_pack_open(&s.pack, wm, path, NULL) < 0)
			die(1, path);
		s.type = pw_pack_oid_type(s.pack);
		err = pw__pack_bitmap_open(&bm, s.pack);
	}
	if (err == PW_ENOTFOUND) {
		fprintf(stderr, "pw_bitmap: %s: no bitmap\n", path);
		return 4;
	}
	if (err < 0)
		die(3, "bitmap ignored");
	n = pw__bitmap_bits(bm);
	nwords = ((size_t)n + 63) / 64;
	if (!(words = calloc(nwords ? nwords : 1, sizeof(*words))))
		die(1, "out of memory");
	if (want && pw_oid_fromhex(&target, want, s.type) < 0)
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

		oid_at(&id, &s, pw__bitmap_entry_pos(bm, i));
		if (want && pw_oid_cmp(&id, &target))
			continue;
		if (pw__bitmap_decode(words, bm, i) < 0)
			die(3, "entry");
		if (!want) {
			for (w = 0; w < nwords; w++)
				bits += (size_t)__builtin_popcountll(words[w]);
			printf("%s %zu\n", pw_oid_tostr(hex, &id, s.type), bits);
			continue;
		}
		for (k = 0; k < n; k++) {
			if (!(words[k / 64] >> (k % 64) & 1))
				continue;
			oid_at(&id, &s, pos_of_bit(&s, k));
			printf("%s\n", pw_oid_tostr(hex, &id, s.type));
		}
		break;
	}
	if (want && i == pw__bitmap_entries(bm)) {
		fprintf(stderr, "pw_bitmap: %s has no bitmap\n", want);
		return 1;
	}
	free(words);
	pw__free(bit_of);
	pw__bitmap_free(bm);
	if (s.midx) {
		pw_cursor_release(&s.cur);
		pw__midx_free(s.midx);
	}
	pw_pack_free(s.pack);
	pw_wm_free(wm);
	return 0;
}
