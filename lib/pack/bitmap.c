/* bitmap.c: a pack's .bitmap — its EWAH bitmaps read through the window manager and every part checked before the bitmap is believed. */
#include <string.h>

#include "pack/bitmap.h"
#include "pack/internal.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/banned.h"

/* Header flags (bitmap-format). */
#define BITMAP_FULL_DAG 0x1
#define BITMAP_HASH_CACHE 0x4
#define BITMAP_LOOKUP_TABLE 0x10
#define BITMAP_PSEUDO_MERGES 0x20
/* An entry can be XORed with one of the 160 before it, no further. */
#define BITMAP_MAX_XOR 160
/* Words read from the file at a time while an EWAH is scanned. */
#define EWAH_CHUNK 512

struct entry {
	uint32_t pos;    /* idx position of the commit */
	uint8_t xor;     /* entry i - xor holds the bitmap this one is XORed with; 0: none */
	uint64_t ewah;   /* where its EWAH starts */
};

struct pw__bitmap {
	pw_wm_file *f;
	uint64_t data_end;   /* where the trailing checksum starts */
	uint32_t bits;       /* the pack's object count */
	size_t words;        /* (bits + 63) / 64 */
	uint16_t flags;
	uint8_t *types;      /* 2 bits an object: its type - 1 (commit, tree, blob, tag) */
	struct entry *entries;
	uint32_t nentries;
	pw__bitmap_layout layout;
};

static int corrupt(const pw__bitmap *bm, const char *fmt, const char *what, uint64_t at)
{
	return pw__error_set(PW_ECORRUPT, "%s: bad bitmap: %s %s at %llu", pw_wm_file_path(bm->f),
		fmt, what, (unsigned long long)at);
}

/* The words of one EWAH, read from the file a chunk at a time. */
struct words {
	pw__bitmap *bm;
	uint64_t at;       /* file offset of word 0 */
	uint32_t first, n; /* buf holds words first .. first + n - 1 */
	unsigned char buf[EWAH_CHUNK * 8];
};

static int word_at(uint64_t *out, struct words *w, uint32_t i, uint32_t nwords)
{
	uint32_t take;
	int error;

	if (i < w->first || i >= w->first + w->n) {
		take = nwords - i < EWAH_CHUNK ? nwords - i : EWAH_CHUNK;
		if ((error = pw_wm_read(w->buf, w->bm->f, w->at + (uint64_t)i * 8, (size_t)take * 8)) < 0)
			return error;
		w->first = i;
		w->n = take;
	}
	*out = pw__be64(w->buf + (size_t)(i - w->first) * 8);
	return 0;
}

/*
 * Check the EWAH at `at` (`what` names it in errors) and, with `dst`, XOR
 * the bits it stands for into dst. `*next` gets the offset after it.
 * Every run and literal must stay inside the pack's objects: no bit past
 * the last one may be set.
 */
static int ewah_apply(uint64_t *dst, uint64_t *next, pw__bitmap *bm, uint64_t at, const char *what)
{
	unsigned char head[8], tail[4];
	uint64_t rlw, run, lit, k, w, end, pos = 0;
	uint64_t lastmask = bm->bits % 64 ? ~(uint64_t)0 << (bm->bits % 64) : 0;
	uint32_t nwords, i = 0;
	struct words *rd;
	int error;

	if (at > bm->data_end || bm->data_end - at < 12)
		return corrupt(bm, "truncated", what, at);
	if ((error = pw_wm_read(head, bm->f, at, 8)) < 0)
		return error;
	nwords = pw__be32(head + 4);
	end = at + 8 + (uint64_t)nwords * 8 + 4;
	if (end > bm->data_end)
		return corrupt(bm, "words past the end of the file in", what, at);
	/* git rounds the bit count of a commit's bitmap up to whole words */
	if (pw__be32(head) > (uint64_t)bm->words * 64)
		return corrupt(bm, "more bits than the pack has objects in", what, at);
	if ((error = pw_wm_read(tail, bm->f, end - 4, 4)) < 0)
		return error;
	if (nwords ? pw__be32(tail) >= nwords : pw__be32(tail) != 0)
		return corrupt(bm, "last run-length word outside the words of", what, at);
	if (!(rd = pw__malloc(sizeof(*rd))))
		return pw__error_nomem();
	rd->bm = bm;
	rd->at = at + 8;
	rd->first = rd->n = 0;
	while (i < nwords) {
		if ((error = word_at(&rlw, rd, i++, nwords)) < 0)
			goto out;
		run = rlw >> 1 & 0xffffffffu;
		lit = rlw >> 33;
		if (run > bm->words - pos) {
			error = corrupt(bm, "a run past the last object in", what, at);
			goto out;
		}
		if (rlw & 1) {
			if (run && pos + run == bm->words && lastmask) {
				error = corrupt(bm, "a run of ones past the last object in", what, at);
				goto out;
			}
			for (k = 0; dst && k < run; k++)
				dst[pos + k] ^= ~(uint64_t)0;
		}
		pos += run;
		if (lit > nwords - i || lit > bm->words - pos) {
			error = corrupt(bm, "literal words past the end of", what, at);
			goto out;
		}
		for (k = 0; k < lit; k++, pos++) {
			if ((error = word_at(&w, rd, i++, nwords)) < 0)
				goto out;
			if (pos == bm->words - 1 && (w & lastmask)) {
				error = corrupt(bm, "a bit past the last object in", what, at);
				goto out;
			}
			if (dst)
				dst[pos] ^= w;
		}
	}
	*next = end;
	error = 0;
out:
	pw__free(rd);
	return error;
}

static void set_type(pw__bitmap *bm, uint32_t bit, unsigned code)
{
	bm->types[bit / 4] |= (uint8_t)(code << (bit % 4 * 2));
}

pw_object_t pw__bitmap_type(const pw__bitmap *bm, uint32_t bit)
{
	if (bit >= bm->bits)
		return PW_OBJ_BAD;
	return (pw_object_t)((bm->types[bit / 4] >> (bit % 4 * 2) & 3) + PW_OBJ_COMMIT);
}

int pw__bitmap_type_at(pw_object_t *out, const pw__bitmap *bm, pw_pack *pack, uint64_t offset)
{
	uint32_t bit;
	int error;

	if ((error = pw__rev_ensure(pack)) < 0 || (error = pw__rev_find(&bit, pack, offset)) < 0)
		return error;
	*out = pw__bitmap_type(bm, bit);
	return 0;
}

/* The four type bitmaps from `at`: disjoint, and together every object. `*next` after them. */
static int read_types(pw__bitmap *bm, uint64_t at, uint64_t *next)
{
	static const char *const names[4] = { "the commit type bitmap", "the tree type bitmap",
		"the blob type bitmap", "the tag type bitmap" };
	uint64_t *one, *all, w, lastmask;
	size_t i;
	unsigned t;
	int error = 0;

	one = pw__calloc(bm->words ? bm->words : 1, sizeof(uint64_t));
	all = pw__calloc(bm->words ? bm->words : 1, sizeof(uint64_t));
	if (!one || !all) {
		error = pw__error_nomem();
		goto out;
	}
	for (t = 0; t < 4; t++) {
		memset(one, 0, bm->words * sizeof(uint64_t));
		if ((error = ewah_apply(one, &at, bm, at, names[t])) < 0)
			goto out;
		for (i = 0; i < bm->words; i++) {
			if (one[i] & all[i]) {
				error = corrupt(bm, "objects of two types in", names[t], at);
				goto out;
			}
			all[i] |= one[i];
			for (w = one[i]; w; w &= w - 1)
				set_type(bm, (uint32_t)(i * 64 + (size_t)__builtin_ctzll(w)), t);
		}
	}
	lastmask = bm->bits % 64 ? ~(uint64_t)0 >> (64 - bm->bits % 64) : ~(uint64_t)0;
	for (i = 0; i < bm->words; i++)
		if (all[i] != (i + 1 == bm->words ? lastmask : ~(uint64_t)0)) {
			error = corrupt(bm, "an object of no type in", "the type bitmaps", at);
			goto out;
		}
	*next = at;
out:
	pw__free(one);
	pw__free(all);
	return error;
}

/* Pack position of the object at idx position `pos` (payload: the pack). */
static int packpos_of(uint32_t *out, uint32_t pos, void *payload)
{
	pw_pack *p = payload;
	uint64_t off;
	int error;

	if ((error = pw_pack_nth_offset(&off, p, pos)) < 0)
		return error;
	return pw__rev_find(out, p, off);
}

static int read_entries(pw__bitmap *bm, pw__bitmap_pos_fn pos_to_bit, void *payload, uint64_t at,
	uint64_t *next)
{
	unsigned char head[6];
	uint32_t i, bit;
	int error;

	if (bm->nentries > bm->bits)
		return corrupt(bm, "more entries than commits,", "header", 8);
	if (bm->nentries &&
	    !(bm->entries = pw__calloc(bm->nentries, sizeof(*bm->entries))))
		return pw__error_nomem();
	for (i = 0; i < bm->nentries; i++) {
		struct entry *e = &bm->entries[i];

		if (at > bm->data_end || bm->data_end - at < 6)
			return corrupt(bm, "truncated", "entry", at);
		if ((error = pw_wm_read(head, bm->f, at, 6)) < 0)
			return error;
		e->pos = pw__be32(head);
		e->xor = head[4];
		if (e->pos >= bm->bits)
			return corrupt(bm, "an object position past the idx in", "entry", at);
		if (e->xor > BITMAP_MAX_XOR || e->xor > i)
			return corrupt(bm, "an XOR offset before the first entry in", "entry", at);
		if ((error = pos_to_bit(&bit, e->pos, payload)) < 0)
			return error;
		if (pw__bitmap_type(bm, bit) != PW_OBJ_COMMIT)
			return corrupt(bm, "a bitmap for an object that is no commit in", "entry", at);
		e->ewah = at + 6;
		if ((error = ewah_apply(NULL, &at, bm, at + 6, "entry")) < 0)
			return error;
	}
	*next = at;
	return 0;
}

static int check(pw__bitmap *bm, uint64_t size, pw_oid_t type, const pw_oid *sum,
	const char *owner, pw__bitmap_pos_fn pos_to_bit, void *payload)
{
	unsigned char head[12 + PW_OID_MAX_RAWSZ], raw[PW_OID_MAX_RAWSZ];
	size_t rawsz = pw_oid_rawsz(type);
	uint64_t at, tail = 0;
	int error;

	if (size < 12 + 2 * (uint64_t)rawsz)
		return pw__error_set(PW_ECORRUPT, "%s: bad bitmap: %llu bytes is too short",
			pw_wm_file_path(bm->f), (unsigned long long)size);
	if ((error = pw_wm_read(head, bm->f, 0, 12 + rawsz)) < 0)
		return error;
	if (memcmp(head, "BITM", 4))
		return pw__error_set(PW_ECORRUPT, "%s: bad bitmap signature",
			pw_wm_file_path(bm->f));
	if (pw__be16(head + 4) != 1)
		return pw__error_set(PW_EUNSUPPORTED, "%s: bitmap version %u is not supported",
			pw_wm_file_path(bm->f), pw__be16(head + 4));
	bm->flags = pw__be16(head + 6);
	if (!(bm->flags & BITMAP_FULL_DAG))
		return pw__error_set(PW_EUNSUPPORTED,
			"%s: bitmap without the FULL_DAG flag (git requires it)",
			pw_wm_file_path(bm->f));
	bm->nentries = pw__be32(head + 8);
	if (memcmp(sum->id, head + 12, rawsz))
		return pw__error_set(PW_EVERIFY,
			"%s: bitmap is for another pack: its checksum differs from %s's trailer",
			pw_wm_file_path(bm->f), owner);
	/* its own checksum first: what follows reads the file as if it were whole */
	{
		pw_oid got, want;

		if ((error = pw__hash_wm_file(&got, bm->f, size - rawsz, type)) < 0 ||
		    (error = pw_wm_read(raw, bm->f, size - rawsz, rawsz)) < 0)
			return error;
		pw_oid_fromraw(&want, raw, type);
		if (pw_oid_cmp(&want, &got))
			return pw__error_set(PW_EVERIFY, "%s: bitmap checksum mismatch",
				pw_wm_file_path(bm->f));
	}
	bm->data_end = size - rawsz;
	if (bm->flags & BITMAP_HASH_CACHE)
		tail += (uint64_t)bm->bits * 4;
	if (bm->flags & BITMAP_LOOKUP_TABLE)
		tail += (uint64_t)bm->nentries * 16;
	if (tail > bm->data_end - (12 + rawsz))
		return pw__error_set(PW_ECORRUPT,
			"%s: bad bitmap: its name-hash cache and lookup table do not fit",
			pw_wm_file_path(bm->f));
	bm->data_end -= tail;
	at = 12 + rawsz;
	bm->layout.types_at = at;
	if ((error = read_types(bm, at, &at)) < 0)
		return error;
	bm->layout.entries_at = at;
	if ((error = read_entries(bm, pos_to_bit, payload, at, &at)) < 0)
		return error;
	bm->layout.entries_end = at;
	/* pseudo-merges (a later git) lie between the entries and the lookup table */
	if (at != bm->data_end && !(bm->flags & BITMAP_PSEUDO_MERGES))
		return pw__error_set(PW_ECORRUPT,
			"%s: bad bitmap: %llu bytes between its last entry and its end sections",
			pw_wm_file_path(bm->f), (unsigned long long)(bm->data_end - at));
	return 0;
}

int pw__bitmap_open_file(pw__bitmap **out, pw_wm *wm, const char *path, pw_oid_t type,
	const pw_oid *sum, uint32_t bits, const char *owner, pw__bitmap_pos_fn pos_to_bit,
	void *payload)
{
	pw__bitmap *bm;
	int error;

	*out = NULL;
	if (!(bm = pw__calloc(1, sizeof(*bm))))
		return pw__error_nomem();
	if ((error = pw_wm_open(&bm->f, wm, path)) < 0) {
		bm->f = NULL;
		pw__bitmap_free(bm);
		if (error == PW_ENOTFOUND)
			pw_error_clear();
		return error;
	}
	bm->bits = bits;
	bm->words = ((size_t)bits + 63) / 64;
	if (!(bm->types = pw__calloc(((size_t)bits + 3) / 4 + 1, 1)))
		error = pw__error_nomem();
	else
		error = check(bm, pw_wm_file_size(bm->f), type, sum, owner, pos_to_bit, payload);
	if (error < 0) {
		pw__bitmap_free(bm);
		return error;
	}
	*out = bm;
	return 0;
}

int pw__pack_bitmap_open(pw__bitmap **out, pw_pack *p)
{
	size_t stem = strlen(p->pack_path) - strlen(".pack");
	unsigned char raw[PW_OID_MAX_RAWSZ];
	pw_oid sum;
	char *path;
	int error;

	*out = NULL;
	if ((error = pw__idx_ensure(p, "to read its bitmap")) < 0 ||
	    (error = pw__rev_ensure(p)) < 0 ||
	    (error = pw_wm_read(raw, p->packf, p->pack_size - p->rawsz, p->rawsz)) < 0)
		return error;
	pw_oid_fromraw(&sum, raw, p->oid_type);
	if (!(path = pw__malloc(stem + sizeof(".bitmap"))))
		return pw__error_nomem();
	memcpy(path, p->pack_path, stem);
	memcpy(path + stem, ".bitmap", sizeof(".bitmap"));
	error = pw__bitmap_open_file(out, p->wm, path, p->oid_type, &sum, p->count, p->pack_path,
		packpos_of, p);
	pw__free(path);
	return error;
}

void pw__bitmap_free(pw__bitmap *bm)
{
	if (!bm)
		return;
	pw_wm_close(bm->f);
	pw__free(bm->types);
	pw__free(bm->entries);
	pw__free(bm);
}

uint32_t pw__bitmap_bits(const pw__bitmap *bm)
{
	return bm->bits;
}

uint32_t pw__bitmap_entries(const pw__bitmap *bm)
{
	return bm->nentries;
}

uint32_t pw__bitmap_entry_pos(const pw__bitmap *bm, uint32_t i)
{
	return i < bm->nentries ? bm->entries[i].pos : UINT32_MAX;
}

void pw__bitmap_get_layout(pw__bitmap_layout *out, const pw__bitmap *bm)
{
	*out = bm->layout;
}

int pw__bitmap_decode(uint64_t *words, pw__bitmap *bm, uint32_t i)
{
	uint64_t next;
	int error;

	if (i >= bm->nentries)
		return pw__error_set(PW_EINVALID, "%s: no bitmap entry %u of %u",
			pw_wm_file_path(bm->f), i, bm->nentries);
	memset(words, 0, bm->words * sizeof(uint64_t));
	/* entry i's bits: its EWAH XOR the bits of the entry it names, recursively */
	for (;;) {
		if ((error = ewah_apply(words, &next, bm, bm->entries[i].ewah, "entry")) < 0)
			return error;
		if (!bm->entries[i].xor)
			return 0;
		i -= bm->entries[i].xor;
	}
}
