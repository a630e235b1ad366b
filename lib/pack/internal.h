/* internal.h: the pack layer's private structures, shared by the files of lib/pack. */
#ifndef PW_PACK_INTERNAL_H
#define PW_PACK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <zlib.h>

#include "packwin/pack.h"

/*
 * A resolved object. Reference-counted and immutable once built, so the
 * delta-base cache and readers can share one buffer without copying.
 */
struct pw_object {
	atomic_uint refs;
	pw_object_t type;
	size_t size;
	unsigned char data[]; /* size + 1 bytes, NUL-terminated */
};

/** Allocate an object of `size` bytes (plus a NUL), one reference. */
int pw__object_alloc(pw_object **out, pw_object_t type, uint64_t size);
/** Take one more reference. */
pw_object *pw__object_ref(pw_object *obj);

struct pw_pack {
	pw_wm *wm;
	pw_wm_file *packf;
	/*
	 * The .idx and .rev files and every idx field below (idx_version,
	 * fanout, idx_size, the table offsets, n64) are set once before
	 * `idx_ready` is; read them only after pw__idx_ensure (or a check of
	 * `idx_ready` with acquire order). pw_pack_open sets them before the
	 * pack is returned, pw_pack_open_lazy on first need, under `lock`.
	 */
	pw_wm_file *idxf;
	pw_wm_file *revf; /* NULL without a .rev file */
	char *pack_path;
	char *idx_path;
	char *rev_path;
	int lazy;          /* opened by pw_pack_open_lazy: count from the pack header */
	int released;      /* pw__pack_release was called (under `lock`): no idx loaded any more */
	unsigned walkers;  /* pw__pack_walk_begin without its end (under `lock`): release waits */
	atomic_int idx_ready;
	/* why loading the idx failed on its content (under `lock`), as rev_failed */
	int idx_failed;
	char *idx_failed_msg;
	pw_oid_t oid_type;
	size_t rawsz;
	uint32_t count;
	int idx_version;
	uint32_t fanout[256];
	uint64_t pack_size;
	uint64_t idx_size;
	/* where each table of the idx starts (file offsets) */
	uint64_t oids_at, crc_at, off32_at, off64_at;
	uint32_t n64; /* entries in the 64-bit offset table */
	uint32_t pack_version;

	pw_dcache *dcache;
	int own_dcache;
	uint64_t max_object_size;
	unsigned int max_depth;
	int (*base_lookup)(pw_object **out, const pw_oid *id, unsigned int depth, void *payload);
	void *base_payload;
	void (*bad_entry)(pw_pack *pack, uint64_t offset, const pw_oid *id, const char *why,
		void *payload);

	/* reverse index: pack order, built (or read from .rev) on first use */
	pthread_mutex_t lock;
	atomic_int rev_ready;
	uint64_t *rev_offsets; /* sorted ascending, count entries; NULL when rev_off32 holds them */
	uint32_t *rev_off32;   /* the same for a pack under 4 GiB: 4 bytes an object fewer */
	uint32_t *rev_pos;     /* idx position of each */
	/*
	 * Why building it failed on corrupt content (under `lock`): later calls
	 * return that again instead of rebuilding, which made every pack-order
	 * call over a bad idx cost O(count) (found by fuzz_idx).
	 */
	int rev_failed;
	char *rev_failed_msg;
	/*
	 * Why the .rev file could not be used (its content is wrong): the order
	 * was then built from the idx, as git does; pw_pack_verify_rev reports it.
	 */
	char *rev_file_msg;

	/*
	 * Per entry in pack order: how many deltas built on it have not been
	 * read yet. Built by pw_pack_index_bases; while set, only entries with
	 * deltas still to read enter the delta-base cache, and an entry whose
	 * last delta has been read leaves it (see pw__rev_base_done).
	 */
	_Atomic(_Atomic uint32_t *) is_base;
};

/* pack.c: errors of a fixed shape naming the pack and the offset */
int pw__pack_error(pw_pack *p, int code, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int pw__idx_error(pw_pack *p, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* pack.c: load the idx (and .rev) of a lazily opened pack if not yet */
int pw__idx_ensure(pw_pack *p, const char *why);

/** Offset of the entry at pack position `k` (after pw__rev_ensure). */
static inline uint64_t pw__rev_offset(const pw_pack *p, uint32_t k)
{
	return p->rev_off32 ? p->rev_off32[k] : p->rev_offsets[k];
}
/** Is the idx loaded (always, for pw_pack_open)? Acquire order. */
static inline int pw__idx_loaded(const pw_pack *p)
{
	return atomic_load_explicit(&p->idx_ready, memory_order_acquire);
}

/* idx.c */
int pw__idx_open(pw_pack *p);
int pw__idx_nth_offset(uint64_t *out, pw_pack *p, pw_cursor *idxcur, uint32_t n);
int pw__idx_nth_crc(uint32_t *out, pw_pack *p, pw_cursor *idxcur, uint32_t n);
int pw__idx_find(uint32_t *pos_out, pw_pack *p, pw_cursor *idxcur, const pw_oid *id);

/* revindex.c */
int pw__rev_ensure(pw_pack *p);
/*
 * verify.c: the trailer of a file of `size` bytes made for this pack (.rev,
 * .mtimes: the pack's checksum, then the file's own), `what` naming it.
 */
int pw__verify_companion(pw_pack *p, pw_wm_file *f, uint64_t size, const char *what);
/** verify.c: hash the first `len` bytes of `f`. */
int pw__hash_wm_file(pw_oid *out, pw_wm_file *f, uint64_t len, pw_oid_t type);
/** Pack-order position of the entry starting at `offset`, or PW_ENOTFOUND. */
int pw__rev_find(uint32_t *packpos_out, pw_pack *p, uint64_t offset);
/** Is the entry at `offset` a delta base with deltas still to read (1 too when unknown)? */
int pw__rev_is_base(pw_pack *p, uint64_t offset);
/**
 * A delta on the base at `offset` has been read: count it. Returns 1 when
 * it was the last one (the base can leave the cache), else 0.
 */
int pw__rev_base_done(pw_pack *p, uint64_t offset);
/** Where the entry after the one at pack position `packpos` starts. */
uint64_t pw__rev_next_offset(pw_pack *p, uint32_t packpos);

/* pack.c */
/** Does the idx say it was made for this pack (the checksums both files store)? PW_EVERIFY if not. */
int pw__pack_check_pair(pw_pack *p);

/* read.c */
/** Can `size` bytes inflate from what is left of the pack after `data_at` (deflate's 1032:1)? */
int pw__check_inflatable(pw_pack *p, uint64_t entry_offset, uint64_t data_at, uint64_t size,
	const char *what);

/* entry.c */
int pw__entry_parse(pw_pack_entry *out, pw_pack *p, pw_cursor *cur, uint64_t offset);
/**
 * Call `cb` with the base id of every REF_DELTA entry of `p` (pack order)
 * and whether `p` holds that base itself; stops at the first non-zero
 * return, which is returned. Reads every entry header, inflates nothing.
 */
int pw__pack_ref_deltas(pw_pack *p, int (*cb)(const pw_oid *base, int in_pack, void *payload),
	void *payload);

/* inflate.c: inflate exactly `size` bytes of the zlib stream at `offset` */
int pw__inflate_at(unsigned char *out, uint64_t size, pw_pack *p, pw_cursor *cur,
	uint64_t offset, uint64_t entry_offset);
/** Inflate exactly `size` bytes, handing them to `cb` a buffer at a time. */
int pw__inflate_stream(uint64_t size, pw_pack *p, pw_cursor *cur, uint64_t offset,
	uint64_t entry_offset, pw_stream_cb cb, void *payload);
/** Inflate at most `len` leading bytes (for delta headers). */
int pw__inflate_head(unsigned char *out, size_t len, size_t *got, pw_pack *p,
	pw_cursor *cur, uint64_t offset, uint64_t entry_offset);

/* delta.c */
/** Read a delta's base and result sizes; `*hdrlen` gets the bytes used. */
int pw__delta_sizes(uint64_t *base_size, uint64_t *result_size, size_t *hdrlen,
	const unsigned char *delta, size_t len);
/** Apply `delta` to `base` into `out` (exactly result_size bytes). */
int pw__delta_apply(unsigned char *out, uint64_t result_size,
	const unsigned char *base, uint64_t base_size,
	const unsigned char *delta, size_t len, const char **why);

/* dcache.c */
pw_object *pw__dcache_get(pw_dcache *c, const pw_pack *p, uint64_t offset);
void pw__dcache_put(pw_dcache *c, const pw_pack *p, uint64_t offset, pw_object *obj);
/** Drop the entry of (`p`, `offset`), if cached. */
void pw__dcache_drop(pw_dcache *c, const pw_pack *p, uint64_t offset);
/** Drop every entry of `p` (when it is freed). */
void pw__dcache_forget(pw_dcache *c, const pw_pack *p);

/* read.c */
/** pw_pack_read_header; a delta's type (its chain walked) only when `want_type`, else PW_OBJ_NONE. */
int pw__read_header(pw_object_t *type_out, uint64_t *size_out, pw_pack *p, uint64_t offset,
	int want_type);
int pw__read_at(pw_object **out, pw_pack *p, pw_cursor *cur, uint64_t offset, unsigned depth);
/**
 * pw_pack_find for callers that ask many packs in turn (a repository):
 * a miss is PW_ENOTFOUND with no message formatted, and an id whose
 * fan-out bucket is empty is refused without touching the idx.
 */
int pw__pack_lookup(uint64_t *offset_out, pw_pack *p, const pw_oid *id);

/**
 * The pack is gone from disk but callers may still hold it (lib/odb's dead
 * packs): drop its cached bases and let go of the windows and descriptors
 * of its .pack, .idx and .rev (pw__wm_file_release), keeping the struct
 * and what it has in memory. Reads that need a new window, and loading
 * a lazy pack's idx, are PW_ECHANGED from now on. Returns 1 when nothing
 * of it is mapped or open any more, 0 while a cursor or a lent
 * descriptor still pins some of it (those go when released). Idempotent.
 */
int pw__pack_release(pw_pack *p);

/**
 * A walk over every entry of `p` through its idx (lib/odb's lone pack)
 * begins: until pw__pack_walk_end, pw__pack_release leaves it alone
 * (returns 0, as for a pinned window), so that a rescan noticing it gone
 * cannot cut the walk short, and the idx's descriptor is lent (one of the
 * fd budget) so that its windows can be mapped again even once the file
 * is deleted. PW_ECHANGED if it is released already.
 */
int pw__pack_walk_begin(pw_pack *p);
void pw__pack_walk_end(pw_pack *p);

#endif
