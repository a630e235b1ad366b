/*
 * fuzz_bitmap.c: fuzz target for a pack's reachability bitmap
 * (lib/pack/bitmap.c). Input: one byte of flags, then the .bitmap, placed
 * beside a copy of the fixture pack packs/bitmap (basic's 156 objects).
 * Flag bit 0: the harness writes the right trailing checksum (so that
 * inputs reach the checks behind it); bit 1: it writes the pack's
 * checksum into the header. Whatever the bytes, opening must either fail
 * with a reason or give a bitmap whose every type is one of the four,
 * whose entries name idx positions of the pack, and whose every entry
 * decodes (its XOR chain inside the pack's objects).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "pack/bitmap.h"
#include "util/hash.h"

#ifndef PW_FIXTURES
#error "PW_FIXTURES must name the fixtures folder"
#endif

#define STEM "pack-7e17ca0b662637c5fb57034efa9f991aa698623c"

static char dir[512];
static unsigned char pack_sum[20];

static void setup(void)
{
	char path[600];
	FILE *f;

	if (dir[0])
		return;
	fz_path(dir, sizeof(dir), "bitmap");
	fz_mkdirs(dir);
	snprintf(path, sizeof(path), "%s/" STEM ".pack", dir);
	fz_copy_tree(PW_FIXTURES "/packs/bitmap/" STEM ".pack", path);
	if (!(f = fopen(path, "rb")) || fseek(f, -20, SEEK_END) < 0 ||
	    fread(pack_sum, 1, 20, f) != 20)
		fz_fail("cannot read the fixture pack's checksum");
	fclose(f);
	snprintf(path, sizeof(path), "%s/" STEM ".idx", dir);
	fz_copy_tree(PW_FIXTURES "/packs/bitmap/" STEM ".idx", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char bitmap[600], pack_path[600];
	unsigned char *b;
	pw_wm_options wo;
	pw__bitmap *bm;
	pw_pack *p = NULL;
	pw_wm *wm = NULL;
	uint64_t *words;
	uint32_t i, n;
	size_t len;
	pw_oid sum;

	if (size < 1)
		return 0;
	setup();
	len = size - 1;
	if (!(b = malloc(len ? len : 1)))
		fz_fail("malloc");
	memcpy(b, data + 1, len);
	if ((data[0] & 2) && len >= 32)
		memcpy(b + 12, pack_sum, 20);
	if ((data[0] & 1) && len >= 20) {
		if (pw__hash_buf(&sum, PW_OID_SHA1, b, len - 20) < 0)
			fz_fail("hash");
		memcpy(b + len - 20, sum.id, 20);
	}
	snprintf(bitmap, sizeof(bitmap), "%s/" STEM ".bitmap", dir);
	snprintf(pack_path, sizeof(pack_path), "%s/" STEM ".pack", dir);
	unlink(bitmap);
	fz_write(bitmap, b, len);
	free(b);

	fz_tiny_wm_options(&wo);
	if (pw_wm_new(&wm, &wo) < 0)
		fz_fail("pw_wm_new");
	if (pw_pack_open(&p, wm, pack_path, NULL) < 0)
		fz_fail("cannot open the copy of packs/bitmap");
	if (pw__pack_bitmap_open(&bm, p) == 0) {
		n = pw__bitmap_bits(bm);
		if (n != pw_pack_count(p))
			fz_fail("bitmap of another size than the pack");
		for (i = 0; i < n; i++) {
			pw_object_t t = pw__bitmap_type(bm, i);
			if (t < PW_OBJ_COMMIT || t > PW_OBJ_TAG)
				fz_fail("an object of no type in a bitmap that opened");
		}
		if (!(words = calloc((n + 63) / 64 + 1, sizeof(*words))))
			fz_fail("calloc");
		for (i = 0; i < pw__bitmap_entries(bm); i++) {
			if (pw__bitmap_entry_pos(bm, i) >= n)
				fz_fail("an entry past the idx in a bitmap that opened");
			if (pw__bitmap_decode(words, bm, i) < 0)
				fz_fail("an entry of a bitmap that opened does not decode");
		}
		free(words);
		pw__bitmap_free(bm);
	} else if (!pw_error_last_code()) {
		fz_fail("bitmap refused without a reason");
	}
	pw_pack_free(p);
	pw_wm_free(wm);
	pw_error_clear();
	return 0;
}
