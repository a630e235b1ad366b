/*
 * test_bitmap.c: lib/pack/bitmap.c against bitmaps git writes, and every
 * kind of damage refused with its reason (each damaged copy gets a
 * correct trailing checksum, so that the check under test is the one that
 * catches it); then the closure proof of lib/odb/walk.c with a bitmap:
 * the same answers as without one, nothing read for what the bitmapped
 * pack holds, and a damaged bitmap walked around; the same with a
 * multi-pack-index's bitmap, used only when every pack it covers is in
 * the set, and walked around when it or the multi-pack-index is damaged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "packwin/errors.h"
#include "odb/walk.h"
#include "pack/bitmap.h"
#include "util/hash.h"
#include "testutil.h"

/* r.git: 30 commits on main, a branch, annotated tags; one pack with git's bitmap. */
static void make_repo(void)
{
	git_test_env();
	sh("git init -q -b main w && cd w && mkdir d && "
	   "for i in $(seq 30); do echo $i > d/f$((i %% 7)) && echo $i > top && git add . && "
	   "git commit -q -m c$i; done && git tag -a -m ann v1 HEAD~10 && "
	   "git checkout -q -b side HEAD~5 && echo s > s && git add s && git commit -q -m side");
	sh("git clone -q --bare w r.git && git --git-dir=r.git repack -q -adb");
}

static pw_repo *open_repo(const char *rel)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = NULL;

	o.no_discover = 1;
	assert_int_equal(pw_repo_open(&repo, tmp(rel), &o), 0);
	return repo;
}

static void oid_of(pw_oid *out, const char *cmd)
{
	char hex[80];

	sh_out(hex, sizeof(hex), "%s", cmd);
	assert_int_equal(pw_oid_fromhex(out, hex, PW_OID_SHA1), 0);
}

static char bitmap_path[1024];
static unsigned char *good;
static size_t good_len;

/* The one pack of r.git, opened, with its bitmap's path and bytes kept. */
static void open_pack(pw_wm **wm, pw_pack **pack)
{
	char path[1024];
	FILE *f;

	sh_out(path, sizeof(path), "ls $PWD/r.git/objects/pack/pack-*.pack");
	snprintf(bitmap_path, sizeof(bitmap_path), "%.*s.bitmap", (int)(strlen(path) - 5), path);
	sh("chmod u+w r.git/objects/pack/*.bitmap");
	assert_int_equal(pw_wm_new(wm, NULL), 0);
	assert_int_equal(pw_pack_open(pack, *wm, path, NULL), 0);
	assert_non_null(f = fopen(bitmap_path, "rb"));
	fseek(f, 0, SEEK_END);
	good_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	assert_non_null(good = malloc(good_len));
	assert_int_equal(fread(good, 1, good_len, f), good_len);
	fclose(f);
}

static void close_pack(pw_wm *wm, pw_pack *pack)
{
	pw_pack_free(pack);
	pw_wm_free(wm);
	free(good);
	good = NULL;
}

static void put32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Write `b` (len bytes) as the bitmap, its trailing checksum made right when `rehash`. */
static void write_bitmap(unsigned char *b, size_t len, int rehash)
{
	pw_oid sum;
	FILE *f;

	if (rehash && len >= 20) {
		assert_int_equal(pw__hash_buf(&sum, PW_OID_SHA1, b, len - 20), 0);
		memcpy(b + len - 20, sum.id, 20);
	}
	assert_non_null(f = fopen(bitmap_path, "wb"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

/* Open the bitmap as it is now: `code`, and `why` in the message. */
static void expect(pw_pack *pack, int code, const char *why)
{
	pw__bitmap *bm = NULL;
	int err = pw__pack_bitmap_open(&bm, pack);

	if (err != code || !strstr(pw_error_last(), why))
		fail_msg("want %d (%s), got %d: %s", code, why, err, pw_error_last());
	assert_null(bm);
	pw_error_clear();
}

static void test_reads_what_git_wrote(void **state)
{
	uint32_t i, k, counts[5] = { 0 };
	char out[64];
	pw__bitmap *bm;
	uint64_t *words;
	pw_pack *pack;
	pw_wm *wm;

	(void)state;
	make_repo();
	open_pack(&wm, &pack);
	assert_int_equal(pw__pack_bitmap_open(&bm, pack), 0);
	assert_int_equal(pw__bitmap_bits(bm), pw_pack_count(pack));
	for (k = 0; k < pw__bitmap_bits(bm); k++)
		counts[pw__bitmap_type(bm, k)]++;
	sh_out(out, sizeof(out), "git --git-dir=r.git rev-list --all | wc -l");
	assert_int_equal(counts[PW_OBJ_COMMIT], atoi(out));
	assert_int_equal(counts[PW_OBJ_TAG], 1);
	assert_int_equal(pw__bitmap_type(bm, pw__bitmap_bits(bm)), PW_OBJ_BAD);
	assert_true(pw__bitmap_entries(bm) > 1);
	assert_non_null(words = calloc((pw__bitmap_bits(bm) + 63) / 64, 8));
	for (i = 0; i < pw__bitmap_entries(bm); i++) {
		pw_oid id;
		char hex[41], cmd[128];
		size_t bits = 0, w;

		assert_int_equal(pw__bitmap_decode(words, bm, i), 0);
		for (w = 0; w < (pw__bitmap_bits(bm) + 63) / 64; w++)
			bits += (size_t)__builtin_popcountll(words[w]);
		assert_int_equal(pw_pack_nth_oid(&id, pack, pw__bitmap_entry_pos(bm, i)), 0);
		snprintf(cmd, sizeof(cmd), "git --git-dir=r.git rev-list --objects %s | wc -l",
			pw_oid_tostr(hex, &id, PW_OID_SHA1));
		sh_out(out, sizeof(out), "%s", cmd);
		assert_int_equal(bits, (size_t)atoi(out));
	}
	assert_int_equal(pw__bitmap_decode(words, bm, pw__bitmap_entries(bm)), PW_EINVALID);
	pw_error_clear();
	free(words);
	pw__bitmap_free(bm);
	/* none beside it: not found, and no error left behind */
	sh("rm r.git/objects/pack/*.bitmap");
	assert_int_equal(pw__pack_bitmap_open(&bm, pack), PW_ENOTFOUND);
	close_pack(wm, pack);
}

/* One damaged copy of the good bitmap at a time, each refused for its own reason. */
static void test_damage_refused(void **state)
{
	pw__bitmap_layout lay;
	pw__bitmap *bm;
	pw_pack *pack;
	pw_wm *wm;
	unsigned char *b;
	uint64_t w0, types_end;
	uint32_t nwords, i, blob_pos = UINT32_MAX;
	pw_oid blob;

	(void)state;
	make_repo();
	open_pack(&wm, &pack);
	assert_int_equal(pw__pack_bitmap_open(&bm, pack), 0);
	pw__bitmap_get_layout(&lay, bm);
	pw__bitmap_free(bm);
	assert_int_equal(lay.types_at, 32);
	assert_non_null(b = malloc(good_len + 64));
	w0 = lay.types_at + 8; /* the first run-length word of the commit type bitmap */
	nwords = get32(good + lay.types_at + 4);
	types_end = lay.entries_at;
	(void)types_end;

#define RESET() memcpy(b, good, good_len)
	RESET(); memcpy(b, "XITM", 4); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "signature");
	RESET(); b[5] = 2; write_bitmap(b, good_len, 1);
	expect(pack, PW_EUNSUPPORTED, "version 2");
	RESET(); b[7] &= (unsigned char)~1; write_bitmap(b, good_len, 1);
	expect(pack, PW_EUNSUPPORTED, "FULL_DAG");
	RESET(); b[12] ^= 1; write_bitmap(b, good_len, 1);
	expect(pack, PW_EVERIFY, "another pack");
	RESET(); b[good_len - 1] ^= 1; write_bitmap(b, good_len, 0);
	expect(pack, PW_EVERIFY, "checksum mismatch");
	write_bitmap(b, 10, 0);
	expect(pack, PW_ECORRUPT, "too short");
	/* a run of 2^32 - 1 words: far past the last object */
	RESET(); memset(b + w0, 0, 8); b[w0 + 3] = 0x01; b[w0 + 4] = 0xff; b[w0 + 5] = 0xff;
	b[w0 + 6] = 0xff; b[w0 + 7] = 0xfe; write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "run past the last object");
	/* 2^31 - 1 literal words */
	RESET(); memset(b + w0, 0, 8); b[w0] = 0xff; b[w0 + 1] = 0xff; b[w0 + 2] = 0xff;
	b[w0 + 3] = 0xfe; write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "literal words past the end");
	/* more words than the file holds */
	RESET(); put32(b + lay.types_at + 4, 0x7fffffff); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "words past the end of the file");
	/* the last run-length word's position outside the words */
	RESET(); put32(b + w0 + (uint64_t)nwords * 8, nwords); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "last run-length word");
	/* a bit count past the pack's objects (rounded to words, as git writes it) */
	RESET(); put32(b + lay.types_at, pw_pack_count(pack) + 64); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "more bits than the pack has objects");
	/* the commit type bitmap emptied of its first word's commits: objects of no type */
	RESET(); memset(b + w0 + 8, 0, 8); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "type");
	/* the first entry XORed with one before it: there is none */
	RESET(); b[lay.entries_at + 4] = 1; write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "XOR offset");
	RESET(); b[lay.entries_at + 4] = 161; write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "XOR offset");
	RESET(); put32(b + lay.entries_at, pw_pack_count(pack)); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "past the idx");
	/* the first entry naming a blob */
	oid_of(&blob, "git --git-dir=r.git rev-parse main:top");
	for (i = 0; i < pw_pack_count(pack); i++) {
		pw_oid id;
		assert_int_equal(pw_pack_nth_oid(&id, pack, i), 0);
		if (!pw_oid_cmp(&id, &blob))
			blob_pos = i;
	}
	assert_true(blob_pos != UINT32_MAX);
	RESET(); put32(b + lay.entries_at, blob_pos); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "no commit");
	/* more entries than the file holds, and more than the pack has objects */
	RESET(); put32(b + 8, get32(b + 8) + 1); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "");
	RESET(); put32(b + 8, 0xffffffff); write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "more entries than commits");
	/* eight bytes between the last entry and the end sections */
	RESET(); memmove(b + lay.entries_end + 8, b + lay.entries_end, good_len - lay.entries_end);
	memset(b + lay.entries_end, 0, 8); write_bitmap(b, good_len + 8, 1);
	expect(pack, PW_ECORRUPT, "between its last entry");
	/* the hash-cache flag cleared: its bytes are then unaccounted for */
	RESET(); assert_true(b[7] & 4); b[7] &= (unsigned char)~4; write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "between its last entry");
	/* a lookup table the file has no room for */
	RESET(); b[7] |= 0x10; write_bitmap(b, good_len, 1);
	expect(pack, PW_ECORRUPT, "");
	/* the good one again: every damage above left nothing behind */
	RESET(); write_bitmap(b, good_len, 0);
	assert_int_equal(pw__pack_bitmap_open(&bm, pack), 0);
	pw__bitmap_free(bm);
#undef RESET
	free(b);
	close_pack(wm, pack);
}

/* Every ref of r.git, and a walk of them with and without the bitmap. */
static size_t tips_of(pw_oid *tips, size_t cap)
{
	char line[128];
	size_t n = 0;
	FILE *f;

	sh("git --git-dir=r.git for-each-ref --format='%%(objectname)' > tips");
	assert_non_null(f = fopen(tmp("tips"), "r"));
	while (n < cap && fgets(line, sizeof(line), f))
		assert_int_equal(pw_oid_fromhex(&tips[n++], line, PW_OID_SHA1), 0);
	fclose(f);
	return n;
}

static void test_closure_with_bitmap(void **state)
{
	pw_oid tips[16];
	unsigned char ok[16], ok2[16];
	pw__closure_stats st;
	pw_pack *packs[4];
	size_t np;
	pw_repo *repo;
	size_t n, i;

	(void)state;
	make_repo();
	sh("ls r.git/objects/pack/*.bitmap > bitmap.name");
	/* a new commit on top, packed on its own (no bitmap) */
	sh("cd w && echo new > new && git add new && git commit -q -m new && "
	   "git push -q ../r.git HEAD:refs/heads/new && git --git-dir=../r.git repack -q -d");
	/* a tree naming, as a subtree, a blob of the bitmapped pack, in a third pack */
	sh("cd r.git && b=$(git rev-parse main:top) && "
	   "t=$(perl -e 'print \"40000 x\\0\", pack(\"H*\", $ARGV[0])' $b | "
	   "git hash-object -t tree -w --stdin --literally) && c=$(git commit-tree -m bad $t) && "
	   "git update-ref refs/heads/bad $c && printf '%%s\\n' $t $c | "
	   "git pack-objects -q objects/pack/pack >/dev/null && git prune-packed");
	n = tips_of(tips, 16);
	assert_true(n >= 4);
	repo = open_repo("r.git");
	np = pw_repo_pack_count(repo);
	assert_int_equal(np, 3);
	for (i = 0; i < np; i++)
		packs[i] = pw_repo_pack(repo, i);
	assert_int_equal(pw__repo_closure(ok, repo, packs, np, tips, n, &st), 0);
	assert_int_equal(st.bitmaps, 1);
	assert_string_equal(st.ignored, "");
	assert_true(st.bitmap_hits >= n - 2);
	/* the new pack's commit, tree, and bad's commit and tree: nothing of the old pack */
	assert_true(st.objects_read <= 6);
	sh("mv r.git/objects/pack/*.bitmap bitmap.keep");
	assert_int_equal(pw__repo_closure(ok2, repo, packs, np, tips, n, &st), 0);
	assert_int_equal(st.bitmaps, 0);
	assert_int_equal(st.bitmap_hits, 0);
	assert_true(st.objects_read > 30);
	assert_memory_equal(ok, ok2, n);
	for (i = 0; i < n; i++) {
		char hex[41], want[8];
		sh_out(want, sizeof(want), "git --git-dir=r.git for-each-ref --format='%%(refname)' "
			"--points-at %s | grep -q refs/heads/bad && echo 0 || echo 1",
			pw_oid_tostr(hex, &tips[i], PW_OID_SHA1));
		assert_int_equal(ok[i], atoi(want));
	}
	/* a damaged bitmap: ignored, with why; the walk gives the same answers */
	sh("cp bitmap.keep $(cat bitmap.name) && chmod u+w $(cat bitmap.name) && "
	   "printf X | dd of=$(cat bitmap.name) bs=1 seek=100 conv=notrunc 2>/dev/null");
	assert_int_equal(pw__repo_closure(ok2, repo, packs, np, tips, n, &st), 0);
	assert_int_equal(st.bitmaps, 0);
	assert_non_null(strstr(st.ignored, "bitmap checksum mismatch"));
	assert_memory_equal(ok, ok2, n);
	pw_repo_free(repo);
}

/* r.git as two packs under a multi-pack-index whose bitmap git wrote. */
static void test_closure_with_midx_bitmap(void **state)
{
	pw_oid tips[16];
	unsigned char ok[16], ok2[16];
	pw__closure_stats st;
	pw_pack *packs[4];
	pw_repo *repo;
	size_t n, np, i;
	char bm[512];

	(void)state;
	make_repo();
	sh("cd w && echo new > new && git add new && git commit -q -m new && "
	   "git push -q ../r.git HEAD:refs/heads/new && git --git-dir=../r.git repack -q -d && "
	   "rm ../r.git/objects/pack/*.bitmap && git --git-dir=../r.git multi-pack-index write --bitmap");
	sh_out(bm, sizeof(bm), "ls $PWD/r.git/objects/pack/multi-pack-index-*.bitmap");
	n = tips_of(tips, 16);
	repo = open_repo("r.git");
	np = pw_repo_pack_count(repo);
	assert_int_equal(np, 2);
	for (i = 0; i < np; i++)
		packs[i] = pw_repo_pack(repo, i);
	assert_int_equal(pw__repo_closure(ok, repo, packs, np, tips, n, &st), 0);
	assert_int_equal(st.bitmaps, 1);
	assert_string_equal(st.ignored, "");
	assert_int_equal(st.objects_read, 0);
	assert_true(st.bitmap_hits >= n - 1);
	for (i = 0; i < n; i++)
		assert_int_equal(ok[i], 1);
	/* one of its packs alone: the bitmap speaks for both, so it is not used */
	for (i = 0; i < np; i++) {
		assert_int_equal(pw__repo_closure(ok2, repo, &packs[i], 1, tips, n, &st), 0);
		assert_int_equal(st.bitmaps, 0);
		assert_non_null(strstr(st.ignored, "not among the packs"));
	}
	/* a damaged bitmap, then a damaged multi-pack-index: walked, with why, the same answers */
	sh("cp %s bm.keep && chmod u+w %s && printf X | dd of=%s bs=1 seek=100 conv=notrunc 2>/dev/null",
		bm, bm, bm);
	assert_int_equal(pw__repo_closure(ok2, repo, packs, np, tips, n, &st), 0);
	assert_int_equal(st.bitmaps, 0);
	assert_non_null(strstr(st.ignored, "bitmap checksum mismatch"));
	assert_true(st.objects_read > 30);
	assert_memory_equal(ok, ok2, n);
	sh("cp bm.keep %s && chmod u+w r.git/objects/pack/multi-pack-index && "
	   "printf X | dd of=r.git/objects/pack/multi-pack-index bs=1 seek=2000 conv=notrunc 2>/dev/null",
		bm);
	assert_int_equal(pw__repo_closure(ok2, repo, packs, np, tips, n, &st), 0);
	assert_int_equal(st.bitmaps, 0);
	assert_non_null(strstr(st.ignored, "checksum mismatch"));
	assert_memory_equal(ok, ok2, n);
	pw_repo_free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_what_git_wrote, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_damage_refused, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_closure_with_bitmap, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_closure_with_midx_bitmap, make_tmpdir, remove_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
