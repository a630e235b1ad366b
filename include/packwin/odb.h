/* odb.h: repositories — packs, loose objects, alternates, refs and names. */
#ifndef PACKWIN_ODB_H
#define PACKWIN_ODB_H

#include "common.h"
#include "oid.h"
#include "pack.h"
#include "window.h"

PW_BEGIN_DECL

/** An opened repository. Thread-safe for reading. */
typedef struct pw_repo pw_repo;

#define PW_REPO_OPTIONS_VERSION 1

/**
 * Where a repository says what it worked around (a multi-pack-index it
 * does not trust, ...): one line, no newline, each at most once per cause.
 * Called from whichever thread met it; must not call back into packwin.
 */
typedef void (*pw_warn_cb)(const char *msg, void *payload);

/** Repository options; zero fields mean "the default". */
typedef struct pw_repo_options {
	unsigned int version;  /**< PW_REPO_OPTIONS_VERSION */
	/** Window manager to read through; NULL: the repository makes its own from `wm_options`. */
	pw_wm *wm;
	/**
	 * Options of the repository's own manager (when `wm` is NULL). Its
	 * `version` may stay 0 (as PW_REPO_OPTIONS_INIT leaves it): nested here,
	 * 0 means PW_WM_OPTIONS_VERSION, so a zeroed struct is all defaults.
	 */
	pw_wm_options wm_options;
	/** Shared delta-base cache; NULL: the repository makes its own. */
	pw_dcache *dcache;
	/** Budget of the repository's own cache (0: 96 MiB). */
	size_t delta_cache_size;
	/**
	 * Largest object held whole in memory (0: 4 GiB): pw_repo_read and
	 * deltas. Sizes, existence, streaming a non-delta object
	 * (pw_repo_stream) and verification work whatever the size.
	 */
	uint64_t max_object_size;
	/** Override the object format (PW_OID_UNKNOWN: from the config). */
	pw_oid_t oid_type;
	/**
	 * Deepest alternates file read (0: 5, as git): the repository's own is
	 * at depth 0, an alternate's at 1, and so on. One deeper is ignored
	 * with a warning (git's "nesting too deep"), never an error.
	 */
	unsigned int max_alternates_depth;
	/** Non-zero: `path` must be the repository itself; no upward search. */
	int no_discover;
	/** Longest delta chain followed in any pack (0: 10000, as pw_pack_options). */
	unsigned int max_delta_depth;
	/** Warnings go here (NULL: they are only counted, see pw_repo_get_stats). */
	pw_warn_cb warn;
	void *warn_payload;
	/**
	 * Non-zero: ignore replace refs (`git --no-replace-objects`). They are
	 * also ignored when GIT_NO_REPLACE_OBJECTS is set or the repository's
	 * config says core.useReplaceRefs=false.
	 */
	int no_replace_objects;
} pw_repo_options;

/** Initialiser of pw_repo_options: the version, every other field zero (default). */
#define PW_REPO_OPTIONS_INIT { .version = PW_REPO_OPTIONS_VERSION }

/**
 * Open a repository the way git finds one. `path` may be a work tree, its
 * `.git` (directory or `gitdir:` file), or a bare repository; NULL means
 * the current directory. Unless `no_discover`, parents are searched
 * upwards, as git does. `GIT_DIR` and `GIT_OBJECT_DIRECTORY` are honoured
 * when `path` is NULL. Registers every pack of the object directory and its
 * alternates (depth first, in git's order, with git's depth limit and
 * cycle detection; a missing or unreadable alternate is a warning).
 * PW_ENOTFOUND: no repository there. `opts` may be NULL for all defaults;
 * its `version` must be PW_REPO_OPTIONS_VERSION (PW_EINVALID otherwise).
 */
PW_EXTERN(int) pw_repo_open(pw_repo **out, const char *path, const pw_repo_options *opts);

/** Close a repository and everything it holds open. Accepts NULL. */
PW_EXTERN(void) pw_repo_free(pw_repo *repo);

/** The git directory (absolute path). Borrowed. */
PW_EXTERN(const char *) pw_repo_gitdir(const pw_repo *repo);
/** The primary object directory (absolute path). Borrowed. */
PW_EXTERN(const char *) pw_repo_objdir(const pw_repo *repo);
/** The repository's object format. */
PW_EXTERN(pw_oid_t) pw_repo_oid_type(const pw_repo *repo);
/** The window manager the repository reads through. Borrowed. */
PW_EXTERN(pw_wm *) pw_repo_wm(pw_repo *repo);
/** The repository's delta-base cache. Borrowed. */
PW_EXTERN(pw_dcache *) pw_repo_dcache(pw_repo *repo);

/* ---- objects ---- */

/** Where and how an object is stored. */
typedef struct pw_object_info {
	pw_object_t type;       /**< resolved type */
	uint64_t size;          /**< resolved size */
	uint64_t disk_size;     /**< bytes on disk (in-pack size, or the loose file's size); see PW_INFO_DISK_SIZE */
	pw_oid delta_base;      /**< id of the delta base, all zero if none */
	pw_pack *pack;          /**< the pack holding it, NULL for a loose object */
	uint64_t offset;        /**< its entry offset in `pack` */
} pw_object_info;

/**
 * Read object `id` (PW_ENOTFOUND if absent, after rescanning the packs).
 * As in git, reads by id (pw_repo_read, pw_repo_info, pw_repo_stream)
 * return the object a replace ref (`refs/replace/<id>`, or under
 * GIT_REPLACE_REF_BASE) puts in place of `id`, following chains;
 * pw_repo_exists, pw_repo_read_entry and the iterations do not.
 */
PW_EXTERN(int) pw_repo_read(pw_object **out, pw_repo *repo, const pw_oid *id);

/** Does `id` itself exist (replace refs not applied, as git's has_object_file)? 0 yes, PW_ENOTFOUND no, another code on error. */
PW_EXTERN(int) pw_repo_exists(pw_repo *repo, const pw_oid *id);

/** pw_repo_info flags: fill `delta_base` (costs a lookup; an OFS_DELTA's base needs its pack's idx). */
#define PW_INFO_DELTA_BASE 1u
/**
 * pw_repo_info flags: fill `disk_size` of a packed object too (its entry's
 * length comes from the pack's reverse index, so a pack read through a
 * multi-pack-index opens its idx for it, as git does). A loose object's
 * file size is always filled.
 */
#define PW_INFO_DISK_SIZE 2u
/**
 * pw_repo_info flags: the type is not needed. A packed delta's type is
 * its base's, at the end of its chain; without this flag the chain is
 * walked for it, with it `type` may be PW_OBJ_NONE for a delta and a
 * damaged base does not fail the size, as with git's `cat-file -s`.
 */
#define PW_INFO_NO_TYPE 4u

/**
 * Type and size (and the rest of `pw_object_info` that `flags` ask for,
 * PW_INFO_*) without reading the whole object.
 */
PW_EXTERN(int) pw_repo_info(pw_object_info *out, pw_repo *repo, const pw_oid *id, unsigned int flags);

/**
 * Stream object `id` to `cb` without holding it whole when it is stored
 * whole (loose, or a non-delta pack entry). `*type_out`/`*size_out` are
 * set before the first call of `cb`.
 */
PW_EXTERN(int) pw_repo_stream(pw_object_t *type_out, uint64_t *size_out,
	pw_repo *repo, const pw_oid *id, pw_stream_cb cb, void *payload);

/** One object in an iteration: its id and where it is. */
typedef struct pw_repo_entry {
	pw_oid id;
	pw_pack *pack;     /**< NULL for a loose object */
	uint64_t offset;   /**< entry offset in `pack` */
} pw_repo_entry;

typedef enum {
	/** Sorted by id, each id once (git cat-file --batch-all-objects). */
	PW_FOREACH_SORTED = 0,
	/** Pack by pack in pack order, then loose; each id once, where first met. */
	PW_FOREACH_UNORDERED = 1
} pw_foreach_order;

/** Called for each object; return non-zero to stop (that value is returned). */
typedef int (*pw_foreach_cb)(const pw_repo_entry *entry, void *payload);

/** Every object of the repository and its alternates. */
PW_EXTERN(int) pw_repo_foreach(pw_repo *repo, pw_foreach_order order,
	pw_foreach_cb cb, void *payload);

/** Called in iteration order with each object (borrowed for the call). */
typedef int (*pw_read_cb)(const pw_repo_entry *entry, const pw_object *obj, void *payload);

/**
 * Read every object, in `order`, calling `cb` on the calling thread in that
 * order while `threads` workers (0: one per CPU) resolve the objects ahead
 * of it. At most a bounded number of objects is in flight. An error reading
 * an object stops the iteration and is returned.
 */
PW_EXTERN(int) pw_repo_foreach_read(pw_repo *repo, pw_foreach_order order,
	unsigned int threads, pw_read_cb cb, void *payload);

/**
 * Read the object an iteration entry names (faster than by id). When that
 * copy is bad (PW_ECORRUPT, PW_EVERIFY) it is marked and the object read
 * by id from another copy, as every read by id does (see bad_objects).
 */
PW_EXTERN(int) pw_repo_read_entry(pw_object **out, pw_repo *repo, const pw_repo_entry *entry);

/** Number of packs currently registered (own and alternates'). */
PW_EXTERN(size_t) pw_repo_pack_count(pw_repo *repo);
/** The n-th pack (borrowed while the repository is open; a rescan keeps live packs). */
PW_EXTERN(pw_pack *) pw_repo_pack(pw_repo *repo, size_t n);

/** What pw_repo_pack_flags says of a pack. */
#define PW_PACK_KEEP     1u  /**< a NAME.keep beside it: repacks leave it alone */
#define PW_PACK_PROMISOR 2u  /**< a NAME.promisor: fetched from a promisor remote (partial clone) */
#define PW_PACK_CRUFT    4u  /**< a NAME.mtimes: a cruft pack of unreachable objects */
#define PW_PACK_MIDX     8u  /**< found through a multi-pack-index, not its own .idx */

/** Flags of the n-th pack (PW_PACK_*), as the files beside it say now; 0 past the end. */
PW_EXTERN(unsigned int) pw_repo_pack_flags(pw_repo *repo, size_t n);

/**
 * The promisor remote of a partial clone (`extensions.partialClone`), or
 * NULL when the repository is not one. Borrowed.
 */
PW_EXTERN(const char *) pw_repo_promisor_remote(pw_repo *repo);

/**
 * Would the promisor remote supply `id`? 1 when an object of a promisor
 * pack (NAME.promisor beside it) refers to it, as git decides before it
 * fetches (git's is_promisor_object): a partial clone's absent blob or
 * tree is "not fetched", not "no such object". 0 when not (or not a
 * partial clone), an error code when the promisor packs cannot be read.
 * The first call reads every object of the promisor packs once.
 */
PW_EXTERN(int) pw_repo_is_promised(pw_repo *repo, const pw_oid *id);

/** Look for packs added or removed since the last scan. */
PW_EXTERN(int) pw_repo_rescan(pw_repo *repo);

/** Counters of a repository's object sources. */
typedef struct pw_repo_stats {
	size_t packs;             /**< live packs (pw_repo_pack_count) */
	size_t packs_idx_loaded;  /**< of those, how many have their .idx open */
	size_t midx_files;        /**< multi-pack-index files in use (each chain layer counts) */
	size_t midx_packs;        /**< live packs found through them, not through their .idx */
	uint64_t midx_fallbacks;  /**< multi-pack-indexes found unusable so far (each warned once) */
	size_t packs_released;    /**< packs gone from disk whose windows and descriptors were let go */
	size_t bad_objects;       /**< packed entries found unreadable (corrupt), skipped for another copy */
	uint64_t rescans;         /**< looks at the object directories since the open (pw_repo_rescan, and a miss's) */
} pw_repo_stats;

/** Fill `out` with the repository's counters now. */
PW_EXTERN(void) pw_repo_get_stats(pw_repo_stats *out, pw_repo *repo);

/** What pw_repo_verify_midx found of one file: 0, or the error (its message in pw_error_last()). */
typedef void (*pw_midx_verify_cb)(const char *path, int error, void *payload);

/**
 * Check every multi-pack-index of the repository's object directories
 * (each chain layer is a file): its trailing checksum, ids in order and
 * in their fan-out bucket, every row's pack and large offset, RIDX a
 * permutation, and every object where its pack's own .idx says it is.
 * One that was found unusable when it was loaded (see pw_repo_options.warn)
 * is reported with that reason. `cb` (may be NULL) hears of each file.
 * 0 when all are good, PW_EVERIFY when some is not (all are checked),
 * another code when checking itself failed.
 */
PW_EXTERN(int) pw_repo_verify_midx(pw_repo *repo, pw_midx_verify_cb cb, void *payload);

/**
 * What pw_repo_verify_loose found of one loose file `path` holding `id`:
 * 0, or the error (its message, naming the file, in pw_error_last()).
 */
typedef void (*pw_loose_verify_cb)(const pw_oid *id, const char *path, int error, void *payload);

/**
 * Check every loose object file of the repository's object directories
 * (its own and its alternates'), a copy of an object that is also packed
 * or stored in another directory included: it inflates as one zlib stream
 * with nothing after it, its header is "TYPE SIZE" with a known type and
 * the size of its content, and its content hashes to its name. `cb` (may
 * be NULL) hears of each file. 0 when all are good, PW_EVERIFY when some
 * is not (all are checked), another code when checking itself failed.
 */
PW_EXTERN(int) pw_repo_verify_loose(pw_repo *repo, pw_loose_verify_cb cb, void *payload);

/**
 * All ids starting with `hexlen` hex digits of `hex` (4 <= hexlen),
 * across packs and loose objects: 0 with `*out` set when exactly one,
 * PW_ENOTFOUND, or PW_EAMBIGUOUS (the error message lists the candidates
 * with their types, as git does).
 */
PW_EXTERN(int) pw_repo_find_prefix(pw_oid *out, pw_repo *repo, const char *hex, size_t hexlen);

/* ---- refs ---- */

/** Called for each ref: full name, id, and the peeled id of an annotated tag (or NULL). */
typedef int (*pw_ref_cb)(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload);

/**
 * Resolve the ref `name` (a full name such as "HEAD" or "refs/heads/main"),
 * following symbolic refs (loop and depth checked). PW_ENOTFOUND if absent.
 */
PW_EXTERN(int) pw_repo_ref(pw_oid *out, pw_repo *repo, const char *name);

/**
 * Where HEAD points: `*target_out` gets a newly allocated ref name for a
 * symbolic HEAD (the caller's: release it with pw_string_free), or NULL
 * when detached.
 */
PW_EXTERN(int) pw_repo_head_target(char **target_out, pw_repo *repo);

/**
 * Every ref under refs/ (loose refs shadowing packed-refs), sorted by name,
 * symbolic refs resolved; `peeled` comes from packed-refs or is computed.
 * Broken refs are left out, as git (with GIT_REF_PARANOIA=0, its default
 * before 2.36) leaves them out: see pw_repo_foreach_ref_warn.
 */
PW_EXTERN(int) pw_repo_foreach_ref(pw_repo *repo, pw_ref_cb cb, void *payload);

/** Why an iteration left a ref out. */
typedef enum pw_ref_broken {
	/** Not a valid ref name (git: "ignoring ref with broken name NAME"). */
	PW_REF_BAD_NAME = 1,
	/**
	 * Neither an id nor `ref: NAME`, the null id, a symbolic ref to an
	 * invalid name, a loop or too deep a chain (git: "ignoring broken ref NAME").
	 */
	PW_REF_BAD_CONTENT = 2,
	/** Its object does not exist (git: "NAME does not point to a valid object!"). */
	PW_REF_MISSING_OBJECT = 3
} pw_ref_broken;

/** Told of each ref left out: its name, why, and a message saying what is wrong. */
typedef void (*pw_ref_warn_cb)(const char *name, pw_ref_broken why, const char *detail,
	void *payload);

/**
 * pw_repo_foreach_ref, telling `warn` (may be NULL) of each ref left out,
 * once, in name order among the others. A dangling symbolic ref is left
 * out silently, as git does. `payload` goes to both callbacks.
 */
PW_EXTERN(int) pw_repo_foreach_ref_warn(pw_repo *repo, pw_ref_cb cb, pw_ref_warn_cb warn,
	void *payload);

/* ---- names ---- */

/**
 * Resolve a name as `git rev-parse` does (gitrevisions(7), without the
 * index and dates): a full or abbreviated (4+ hex digits) id, HEAD, a ref
 * in git's order (X, refs/X, refs/tags/X, refs/heads/X, refs/remotes/X,
 * refs/remotes/X/HEAD), `@` for HEAD, `git describe` output; suffixes
 * `~N`, `^N`, `^`, `~`, `^{commit|tree|blob|tag|object}`, `^{}`,
 * `^{/regex}`, chained in any order; `:/regex` (the youngest commit
 * reachable from any ref whose message matches); reflogs `REF@{N}`,
 * `@{N}`, `@{-N}`; and `REV:path`, where a path starting with "./" or
 * "../" is relative to the current directory, which must then be inside
 * the repository's work tree.
 * A full-length id is returned without checking that the object exists
 * (as git rev-parse does); reading it is what fails. Errors: PW_ENOTFOUND,
 * PW_EAMBIGUOUS (message lists candidates), PW_EINVALID for bad syntax,
 * PW_ELIMIT for more than 256 suffixes, PW_EUNSUPPORTED for index paths
 * (`:path`, `:N:path`), dates (`@{yesterday}`) and `@{upstream}`/`@{push}`.
 */
PW_EXTERN(int) pw_repo_resolve(pw_oid *out, pw_repo *repo, const char *name);

PW_END_DECL

#endif
