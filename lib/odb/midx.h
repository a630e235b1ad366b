/* midx.h: multi-pack-index files (v1, v2, chain layers), read through the window manager (internal). */
#ifndef PW_ODB_MIDX_H
#define PW_ODB_MIDX_H

#include <stdint.h>

#include "packwin/oid.h"
#include "packwin/window.h"

/*
 * One multi-pack-index file: the whole `objects/pack/multi-pack-index`, or
 * one layer of `multi-pack-index.d/`. A layer's positions and pack ids
 * continue from the layers below it (`base_objects`, `base_packs`): its
 * object `i` is object `base_objects + i` of the chain, and pack `j` it
 * names is pack `base_packs + j`. Only small tables (fan-out, pack names)
 * are kept in memory; ids and offsets are read through cursors.
 */
typedef struct pw_midx {
	char *path;
	pw_wm_file *f;
	uint64_t size;
	pw_oid_t oid_type;
	size_t rawsz;
	unsigned version;
	uint32_t npacks, nobjects;
	uint32_t fanout[256];
	uint64_t oidl_at, ooff_at, loff_at, ridx_at; /* chunk offsets; 0: absent (LOFF, RIDX) */
	uint64_t nloff;             /* 8-byte rows in LOFF */
	char **pack_names;          /* "pack-….idx", as PNAM lists them */
	char *names;                /* their bytes */
	pw_oid checksum;            /* the trailer */
	struct pw_midx *base;       /* the layer below, NULL for the first */
	uint32_t base_objects, base_packs;
} pw_midx;

/**
 * Open and check one multi-pack-index file: header (signature, version 1
 * or 2, the hash `oid_type` says), chunk table (in order, inside the file,
 * terminated), required chunks and their sizes, fan-out monotonic and equal
 * to the object count, pack names (sorted in v1). `base` is the layer below
 * (NULL for a single file or the first layer); it is not taken over. The
 * checksum is checked only by pw__midx_verify. PW_ECORRUPT or
 * PW_EUNSUPPORTED with a message naming the file.
 */
int pw__midx_open(pw_midx **out, pw_wm *wm, const char *path, pw_oid_t oid_type, pw_midx *base);
/** Close one file (not its base). Accepts NULL. */
void pw__midx_free(pw_midx *m);

/** Position of `id` in this file (not counting the base): 0, or PW_ENOTFOUND (no error set). */
int pw__midx_find(uint32_t *pos, pw_midx *m, pw_cursor *cur, const pw_oid *id);
/** The id at position `pos` of this file. */
int pw__midx_nth_oid(pw_oid *out, pw_midx *m, pw_cursor *cur, uint32_t pos);
/**
 * Where object `pos` of this file lives: the chain-wide pack id (checked
 * against the packs this file and its base name) and the offset in it.
 */
int pw__midx_nth_entry(uint32_t *pack_id, uint64_t *offset, pw_midx *m, pw_cursor *cur,
	uint32_t pos);
/** Positions [first, first + count) of this file whose ids start with `hexlen` digits of `prefix`. */
int pw__midx_prefix_range(uint32_t *first, uint32_t *count, pw_midx *m, pw_cursor *cur,
	const pw_oid *prefix, size_t hexlen);
/**
 * The `n`th object of this file in pseudo-pack order (RIDX), as a position
 * of this file: 0, PW_ENOTFOUND when the file has no RIDX chunk.
 */
int pw__midx_ridx_nth(uint32_t *pos, pw_midx *m, pw_cursor *cur, uint32_t n);
/** The name of chain-wide pack `pack_id` ("pack-….idx"), or NULL if out of range. */
const char *pw__midx_pack_name(const pw_midx *m, uint32_t pack_id);
/**
 * Check the whole file: its trailing checksum, ids strictly increasing,
 * every pack id and large-offset row in range, RIDX a permutation.
 * PW_EVERIFY (or the read error) naming the file and what is wrong.
 */
int pw__midx_verify(pw_midx *m);

struct pw__bitmap;
/**
 * The reachability bitmap of a single multi-pack-index file (not a chain
 * layer): `multi-pack-index-<its checksum>.bitmap` beside it, opened as
 * pw__bitmap_open_file checks it, once pw__midx_verify has passed (the
 * bitmap names the file by that checksum) and with the RIDX chunk giving
 * each object's bit. `*bit_of` gets, per position of the file, its bit
 * (free it with pw__free). PW_ENOTFOUND (error cleared) without a bitmap.
 */
int pw__midx_bitmap_open(struct pw__bitmap **out, uint32_t **bit_of, pw_midx *m, pw_wm *wm);

#endif
