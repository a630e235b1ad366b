/* bitmap.h: a pack's reachability bitmap (.bitmap), checked before it is believed (internal). */
#ifndef PW_PACK_BITMAP_H
#define PW_PACK_BITMAP_H

#include <stdint.h>

#include "packwin/pack.h"
#include "packwin/window.h"

/*
 * The .bitmap beside a pack (gitformat: technical/bitmap-format): a
 * header whose FULL_DAG flag says every object of the pack has all it
 * reaches inside the pack, four type bitmaps (bit n: the n-th object in
 * pack order), and one EWAH-compressed reachability bitmap per selected
 * commit, each possibly XORed with an earlier one.
 *
 * Opening checks all of it that can be checked without a walk: signature,
 * version 1, FULL_DAG, the pack checksum it names against the pack's
 * trailer, its own trailing checksum, every EWAH's run and literal words
 * inside the file and inside the pack's object count, the four type
 * bitmaps disjoint and covering every object, each entry naming a commit
 * of the pack, XOR offsets of at most 160 pointing backwards, and the
 * optional sections (name-hash cache, lookup table) of the sizes their
 * flags give. What fails is an error with a message saying why, and the
 * caller is to walk instead, as git does with a bitmap it cannot use.
 */
typedef struct pw__bitmap pw__bitmap;

/* Where the file's parts lie, for tests that damage them on purpose. */
typedef struct {
	uint64_t types_at;   /**< the first type bitmap */
	uint64_t entries_at; /**< the first entry */
	uint64_t entries_end;
} pw__bitmap_layout;

/**
 * Open and check the .bitmap of `pack`. PW_ENOTFOUND (error cleared) when
 * the pack has none; PW_ECORRUPT, PW_EVERIFY or PW_EUNSUPPORTED when it is
 * unusable; PW_ENOMEM, PW_EOS otherwise.
 */
int pw__pack_bitmap_open(pw__bitmap **out, pw_pack *pack);

/** Bit (pseudo-pack position) of the object at index position `pos`: 0, or a PW_E… code. */
typedef int (*pw__bitmap_pos_fn)(uint32_t *bit, uint32_t pos, void *payload);

/**
 * The same for any object set (a pack, a multi-pack-index): the bitmap at
 * `path` must name `sum` (the checksum of `owner`, named in errors) and
 * have `bits` objects; `pos_to_bit` maps an entry's index position to
 * its bit, during the call only.
 */
int pw__bitmap_open_file(pw__bitmap **out, pw_wm *wm, const char *path, pw_oid_t type,
	const pw_oid *sum, uint32_t bits, const char *owner, pw__bitmap_pos_fn pos_to_bit,
	void *payload);
void pw__bitmap_free(pw__bitmap *bm);

/** Bits of every bitmap: the pack's object count. */
uint32_t pw__bitmap_bits(const pw__bitmap *bm);
/** Selected commits (entries). */
uint32_t pw__bitmap_entries(const pw__bitmap *bm);
/** idx position of the commit of entry `i`. */
uint32_t pw__bitmap_entry_pos(const pw__bitmap *bm, uint32_t i);
/** Type of the object at pack position `bit`, from the type bitmaps. */
pw_object_t pw__bitmap_type(const pw__bitmap *bm, uint32_t bit);
/** Type of the object starting at `offset` of `pack` (the bitmap's pack); PW_ENOTFOUND if none does. */
int pw__bitmap_type_at(pw_object_t *out, const pw__bitmap *bm, pw_pack *pack, uint64_t offset);
void pw__bitmap_get_layout(pw__bitmap_layout *out, const pw__bitmap *bm);

/**
 * Entry `i`'s reachability bitmap, its XOR chain resolved, into `words`
 * ((bits + 63) / 64 words, bit n = word n / 64, bit n % 64). 0, or
 * PW_ECORRUPT (a chain that sets a bit past the last object), PW_EOS.
 */
int pw__bitmap_decode(uint64_t *words, pw__bitmap *bm, uint32_t i);

#endif
