/* pack.h: reading one git pack (.pack + .idx [+ .rev]) through a window manager. */
#ifndef PACKWIN_PACK_H
#define PACKWIN_PACK_H

#include "common.h"
#include "oid.h"
#include "window.h"

PW_BEGIN_DECL

/** Object types, numbered as in the pack format. */
typedef enum {
	PW_OBJ_BAD = -1,
	PW_OBJ_NONE = 0,
	PW_OBJ_COMMIT = 1,
	PW_OBJ_TREE = 2,
	PW_OBJ_BLOB = 3,
	PW_OBJ_TAG = 4,
	PW_OBJ_OFS_DELTA = 6,
	PW_OBJ_REF_DELTA = 7
} pw_object_t;

/** "commit", "tree", "blob", "tag", "ofs-delta", "ref-delta"; NULL if none. */
PW_EXTERN(const char *) pw_object_type_name(pw_object_t type);

/** The type named `name` ("commit", ...), or PW_OBJ_BAD. */
PW_EXTERN(pw_object_t) pw_object_type_fromstr(const char *name);

/** A fully resolved object: type, size and content. */
typedef struct pw_object pw_object;

PW_EXTERN(pw_object_t) pw_object_type(const pw_object *obj);
PW_EXTERN(size_t) pw_object_size(const pw_object *obj);
/** Content bytes; borrowed until pw_object_free. Followed by a NUL byte. */
PW_EXTERN(const unsigned char *) pw_object_data(const pw_object *obj);
/** Free an object; accepts NULL. */
PW_EXTERN(void) pw_object_free(pw_object *obj);

/**
 * A delta-base cache: resolved objects kept under a byte budget, LRU,
 * shareable by several packs and threads.
 */
typedef struct pw_dcache pw_dcache;

/** Create a cache of at most `budget` bytes (0: the default, 96 MiB). */
PW_EXTERN(int) pw_dcache_new(pw_dcache **out, size_t budget);
/** Free a cache; every pack using it must be freed first. Accepts NULL. */
PW_EXTERN(void) pw_dcache_free(pw_dcache *cache);

/** Cache counters. */
typedef struct pw_dcache_stats {
	uint64_t hits, misses, bytes, bytes_peak, entries, evictions;
} pw_dcache_stats;
PW_EXTERN(void) pw_dcache_get_stats(pw_dcache_stats *out, pw_dcache *cache);

/**
 * An opened pack.
 *
 * Thread safety: every function taking a pw_pack, except pw_pack_free, may
 * be called concurrently on one pack from any number of threads. Each call
 * reads through cursors of its own; what a pack builds on first use (the
 * idx of a pack from pw_pack_open_lazy and the reverse index, each under
 * the pack's mutex; the base counts of pw_pack_index_bases, published
 * atomically) is built once, by whichever thread asks first; the
 * delta-base cache has its own mutex and may be shared by packs and
 * threads; errors are per thread. `base_lookup` is called from every
 * reading thread, concurrently: it must be thread-safe. pw_pack_free must
 * not run concurrently with any other call on the pack, and the pack's
 * window manager (and a shared cache) must outlive it.
 */
typedef struct pw_pack pw_pack;

#define PW_PACK_OPTIONS_VERSION 1

/** Pack options; zero fields mean "the default". */
typedef struct pw_pack_options {
	unsigned int version;   /**< PW_PACK_OPTIONS_VERSION */
	/** Object format; PW_OID_UNKNOWN: detect from the idx (SHA-1 if both fit). */
	pw_oid_t oid_type;
	/** Shared delta-base cache; NULL: the pack makes its own. */
	pw_dcache *dcache;
	/** Budget of the pack's own cache when `dcache` is NULL (0: 96 MiB). */
	size_t delta_cache_size;
	/**
	 * Largest object (or delta, or delta result) held whole in memory; 0:
	 * 4 GiB. A non-delta object streamed (pw_pack_stream_at, and the
	 * hashing of pw_pack_verify) is never held whole, so any size streams.
	 */
	uint64_t max_object_size;
	/** Longest delta chain followed before giving up; 0: 10000. */
	unsigned int max_delta_depth;
	/**
	 * Where to find a REF_DELTA base that is not in this pack (another pack
	 * or a loose object of the same repository); NULL: such a base is an
	 * error. Returns 0 with a new reference in `*out`, or an error code.
	 * A pack from pw_pack_open_lazy asks it for every REF_DELTA base, this
	 * pack's own included, while its idx is not loaded.
	 *
	 * `depth` counts the hook calls that enclose this one, itself included
	 * (1 for a base of an object the caller asked for). A hook that reads
	 * the base from a pack passes `depth` on to pw_pack_read_nested, so
	 * that a chain of bases from pack to pack (or a cycle between packs)
	 * ends after PW_PACK_MAX_BASE_HOPS hops with PW_ECORRUPT.
	 */
	int (*base_lookup)(pw_object **out, const pw_oid *id, unsigned int depth, void *payload);
	void *base_payload;
	/**
	 * Told (with `base_payload`) of an entry of this pack, met as a delta
	 * base on the way to the object read, that fails for a reason in its
	 * data (`why`: the message): its object `id` is then asked of
	 * `base_lookup` by id, as git's unpack_entry falls back to another
	 * copy, so the hook should mark (`pack`, `offset`) so that the lookup
	 * skips it. NULL (or no `base_lookup`): no such fallback. Never
	 * called for the object asked for itself, nor by pw_pack_verify.
	 */
	void (*bad_entry)(pw_pack *pack, uint64_t offset, const pw_oid *id, const char *why,
		void *payload);
} pw_pack_options;

/** Initialiser of pw_pack_options: the version, every other field zero (default). */
#define PW_PACK_OPTIONS_INIT { .version = PW_PACK_OPTIONS_VERSION }

/**
 * Open a pack: `path` names the .pack or the .idx; the other is found
 * beside it, and the .rev file too when present. Both files are registered
 * with `wm` and read only through it. Checks the headers (magic, version,
 * fan-out monotonic, object counts agree, sizes consistent); checksums are
 * checked only by pw_pack_verify. `opts` may be NULL for all defaults; its
 * `version` must be PW_PACK_OPTIONS_VERSION (PW_EINVALID otherwise).
 */
PW_EXTERN(int) pw_pack_open(pw_pack **out, pw_wm *wm, const char *path,
	const pw_pack_options *opts);

/**
 * Open a pack without its idx, for a caller that knows where the objects
 * are (a multi-pack-index naming pack and offset). `pack_path` names the
 * .pack; only it is registered with `wm` now. `opts` is required, its
 * `version` must be PW_PACK_OPTIONS_VERSION and its `oid_type` must be
 * given (there is no idx to detect it from): PW_EINVALID otherwise. Checks the 12-byte header (magic, version 2 or 3)
 * and that the file can hold the header, as many objects as the header
 * counts (one byte each at least) and the trailing checksum; the object
 * count is the header's.
 *
 * Reading from an offset needs nothing else: pw_pack_read_at,
 * pw_pack_stream_at, pw_pack_read_header, pw_pack_chain, and
 * pw_pack_entry_at (see there) follow OFS_DELTA bases by offset and ask
 * `opts->base_lookup` for every REF_DELTA base (the hook is then expected
 * to know every source, this pack included). An offset that is not the
 * start of an entry cannot be told apart without the idx: reading there
 * fails as the bytes there fail to parse or inflate (PW_ECORRUPT).
 *
 * The `<base>.idx` (and `<base>.rev` when present) is loaded on the first
 * call that needs it, once, by whichever thread comes first: lookups by id
 * or prefix, oid-order and pack-order iteration, pw_pack_offset_oid,
 * pw_pack_checksum, pw_pack_index_bases, pw_pack_verify, and a REF_DELTA
 * base the hook did not find (or with no hook). Its object count must
 * equal the pack header's. If it cannot be loaded, that call fails with a
 * message naming the .idx (PW_ENOTFOUND when it does not exist; a corrupt
 * idx gives its error again on every later call without re-reading it);
 * reading by offset keeps working. Once the idx is loaded the pack answers
 * every call exactly as one opened by pw_pack_open.
 */
PW_EXTERN(int) pw_pack_open_lazy(pw_pack **out, pw_wm *wm, const char *pack_path,
	const pw_pack_options *opts);

/**
 * Load the idx of a pack from pw_pack_open_lazy now, if not yet (see
 * there for the errors); 0 at once for a pack from pw_pack_open.
 * Thread-safe.
 */
PW_EXTERN(int) pw_pack_load_idx(pw_pack *pack);

/** 1 when the pack's idx is loaded (always for pw_pack_open), else 0. */
PW_EXTERN(int) pw_pack_idx_loaded(const pw_pack *pack);

/** Close a pack and everything it holds open. Accepts NULL. */
PW_EXTERN(void) pw_pack_free(pw_pack *pack);

/** Number of objects in the pack (from the pack header when opened lazily). */
PW_EXTERN(uint32_t) pw_pack_count(const pw_pack *pack);
/** The object format of the pack. */
PW_EXTERN(pw_oid_t) pw_pack_oid_type(const pw_pack *pack);
/** Path of the .pack file. Borrowed. */
PW_EXTERN(const char *) pw_pack_path(const pw_pack *pack);
/** Path of the .idx file (which may not be loaded, or exist). Borrowed. */
PW_EXTERN(const char *) pw_pack_idx_path(const pw_pack *pack);
/** Size of the .pack file in bytes. */
PW_EXTERN(uint64_t) pw_pack_size(const pw_pack *pack);
/** The pack's own checksum (its trailer, as recorded in the idx: loads the idx). */
PW_EXTERN(int) pw_pack_checksum(pw_oid *out, pw_pack *pack);
/** The idx version (1 or 2); 0 while the idx of a lazily opened pack is not loaded. */
PW_EXTERN(int) pw_pack_idx_version(const pw_pack *pack);

/** Find `id`: its entry offset in the pack, or PW_ENOTFOUND. */
PW_EXTERN(int) pw_pack_find(uint64_t *offset_out, pw_pack *pack, const pw_oid *id);

/**
 * Find ids starting with the first `hexlen` hex digits of `prefix`
 * (4 <= hexlen <= hexsz). On a unique match sets `out` and returns 0;
 * PW_ENOTFOUND for none; PW_EAMBIGUOUS for several (`out` = first match).
 */
PW_EXTERN(int) pw_pack_find_prefix(pw_oid *out, pw_pack *pack,
	const pw_oid *prefix, size_t hexlen);

/**
 * The idx positions [*first, *first + *count) of every id starting with the
 * first `hexlen` hex digits of `prefix` (*count may be 0).
 */
PW_EXTERN(int) pw_pack_prefix_range(uint32_t *first, uint32_t *count, pw_pack *pack,
	const pw_oid *prefix, size_t hexlen);

/** The id of the object whose entry starts at `offset` (PW_ENOTFOUND if none does). */
PW_EXTERN(int) pw_pack_offset_oid(pw_oid *out, pw_pack *pack, uint64_t offset);

/** The n-th id in oid (idx) order, 0 <= n < count. */
PW_EXTERN(int) pw_pack_nth_oid(pw_oid *out, pw_pack *pack, uint32_t n);
/** The offset of the n-th object in oid (idx) order. */
PW_EXTERN(int) pw_pack_nth_offset(uint64_t *out, pw_pack *pack, uint32_t n);
/**
 * The idx position (oid order) of the n-th object in pack order. Uses the
 * .rev file when present, otherwise a reverse index built in memory on
 * first use.
 */
PW_EXTERN(int) pw_pack_order_nth(uint32_t *idx_pos_out, pw_pack *pack, uint32_t n);

/** What the header of one pack entry says. */
typedef struct pw_pack_entry {
	uint64_t offset;        /**< where the entry starts */
	pw_object_t type;       /**< as stored: may be OFS_DELTA or REF_DELTA */
	uint64_t size;          /**< size in the header (the delta's size for deltas) */
	uint32_t header_len;    /**< bytes of header, including the base reference */
	uint64_t packed_size;   /**< bytes from this entry to the next (or the trailer);
	                             0 (unknown) while the idx is not loaded */
	uint64_t base_offset;   /**< OFS_DELTA: the base entry; REF_DELTA: if in this pack, else
	                             0 (always 0 while the idx is not loaded) */
	pw_oid base_id;         /**< REF_DELTA: the base id */
	uint32_t crc32;         /**< from the idx (v2), 0 for v1 or while the idx is not loaded */
} pw_pack_entry;

/**
 * Parse the entry header at `offset` (offset of an object, from the idx).
 * With the idx loaded, `offset` must start an entry (PW_ENOTFOUND
 * otherwise) and the reverse index is built on first use. A pack opened by
 * pw_pack_open_lazy whose idx is not loaded parses the header only, never
 * loading the idx: packed_size, crc32 and a REF_DELTA's base_offset are 0.
 */
PW_EXTERN(int) pw_pack_entry_at(pw_pack_entry *out, pw_pack *pack, uint64_t offset);

/**
 * Follow the delta chain from the entry at `offset` to its base without
 * inflating anything: the resolved type and the chain length (0 for a
 * non-delta object).
 */
PW_EXTERN(int) pw_pack_chain(pw_object_t *type_out, uint32_t *depth_out,
	pw_pack *pack, uint64_t offset);

/**
 * Before reading many objects (all of them, in any order): count, from the
 * entry headers alone, the deltas built on each entry, so that the
 * delta-base cache keeps only objects that can be asked for again as a
 * base, and lets a base go as soon as every delta on it has been read once
 * (read in pack order, the cache then holds only the bases still in use).
 * Costs one pass over the headers and 4 bytes per object; idempotent and
 * thread-safe. A second pass over the same objects works as without it.
 */
PW_EXTERN(int) pw_pack_index_bases(pw_pack *pack);

/** Read the object whose entry starts at `offset`, resolving deltas. */
PW_EXTERN(int) pw_pack_read_at(pw_object **out, pw_pack *pack, uint64_t offset);

/** Most nested base_lookup calls one read may make (each nests a read of the base). */
#define PW_PACK_MAX_BASE_HOPS 64

/**
 * pw_pack_read_at for a base_lookup hook: `depth` is the hook's own. A
 * REF_DELTA base met at depth PW_PACK_MAX_BASE_HOPS is not looked up
 * (PW_ECORRUPT): the nesting, and so the stack, stays bounded.
 */
PW_EXTERN(int) pw_pack_read_nested(pw_object **out, pw_pack *pack, uint64_t offset,
	unsigned int depth);

/** Read the object `id` (PW_ENOTFOUND if absent). */
PW_EXTERN(int) pw_pack_read(pw_object **out, pw_pack *pack, const pw_oid *id);

/**
 * Resolved type and size of the object at `offset`, inflating only the
 * delta header of the chain's first delta.
 */
PW_EXTERN(int) pw_pack_read_header(pw_object_t *type_out, uint64_t *size_out,
	pw_pack *pack, uint64_t offset);

/**
 * Receives an object's content piece by piece; return non-zero to stop
 * (that value is then returned by the streaming call).
 */
typedef int (*pw_stream_cb)(const unsigned char *data, size_t len, void *payload);

/**
 * Stream the object at `offset` to `cb` without holding it whole when it is
 * not a delta (inflated through a fixed buffer); a delta is resolved in
 * memory first. `*type_out` and `*size_out` are set before the first call.
 */
PW_EXTERN(int) pw_pack_stream_at(pw_object_t *type_out, uint64_t *size_out,
	pw_pack *pack, uint64_t offset, pw_stream_cb cb, void *payload);

/** Progress callback: `done` of `total` objects checked so far. */
typedef void (*pw_progress_cb)(uint64_t done, uint64_t total, void *payload);

#define PW_VERIFY_OPTIONS_VERSION 1

/** Verification options; zero fields mean "the default". */
typedef struct pw_verify_options {
	unsigned int version;    /**< PW_VERIFY_OPTIONS_VERSION */
	unsigned int threads;    /**< worker threads; 0: one per online CPU */
	pw_progress_cb progress; /**< may be NULL */
	void *payload;
} pw_verify_options;

/** Initialiser of pw_verify_options: the version, every other field zero (default). */
#define PW_VERIFY_OPTIONS_INIT { .version = PW_VERIFY_OPTIONS_VERSION }

/**
 * Verify the pack: the pack trailer checksum, the idx checksum and the
 * pack checksum recorded in it, every entry's CRC32 (idx v2), and every
 * object's id recomputed from its resolved content. Returns 0 when all is
 * good, PW_EVERIFY (or PW_ECORRUPT) with the first problem in the error
 * message otherwise. `opts` may be NULL for all defaults; its `version`
 * must be PW_VERIFY_OPTIONS_VERSION (PW_EINVALID otherwise).
 */
PW_EXTERN(int) pw_pack_verify(pw_pack *pack, const pw_verify_options *opts);

/**
 * Hash the pack's content and compare it with its trailing checksum (as
 * pw_pack_verify does, alone): 0, or PW_EVERIFY naming the .pack and the
 * trailer's offset. Needs no idx.
 */
PW_EXTERN(int) pw_pack_verify_trailer(pw_pack *pack);

/**
 * Check the pack's .rev file, when it has one (0 when not): its header and
 * size, that its entries are the pack order of the idx's objects, that the
 * pack checksum it records is the pack's trailer, and its own checksum.
 * PW_ECORRUPT or PW_EVERIFY naming the .rev otherwise. A .rev whose content
 * is wrong is never used for reading: the pack order is then built from
 * the idx (as git does), so pw_pack_verify and every read still work.
 */
PW_EXTERN(int) pw_pack_verify_rev(pw_pack *pack);

/**
 * Check the `.mtimes` file beside a cruft pack (`<base>.mtimes`; 0 when
 * there is none): signature "MTME", version 1, the pack's hash, one 32-bit
 * mtime per object, the pack checksum it records and its own checksum
 * (gitformat-pack(5)). PW_ECORRUPT, PW_EUNSUPPORTED or PW_EVERIFY naming
 * the file otherwise. Loads the idx of a lazily opened pack.
 */
PW_EXTERN(int) pw_pack_verify_mtimes(pw_pack *pack);

PW_END_DECL

#endif
