/* internal.h: the repository layer's private structures, shared by the files of lib/odb. */
#ifndef PW_ODB_INTERNAL_H
#define PW_ODB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "odb/config.h"
#include "packwin/odb.h"
#include "util/array.h"

/* One object directory: the repository's own or an alternate. */
typedef struct pw_objdir {
	char *path;         /* absolute, no trailing slash */
	dev_t dev;          /* identity, for alternates cycle detection */
	ino_t ino;
} pw_objdir;

/* Which file a path named when it was looked at: a rename over it changes this. */
typedef struct pw_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_sec;
	long mtime_nsec;
} pw_file_id;

/** Which file `st` describes (pw_file_id), and is it still the one `id` names? */
void pw__file_id_set(pw_file_id *out, const struct stat *st);
int pw__file_id_same(const pw_file_id *id, const struct stat *st);

/* A registered pack, by the path of its idx. */
typedef struct pw_packent {
	pw_pack *pack;
	char *idx_path;
	pw_file_id idx_id, pack_id; /* stat before opening: a rescan seeing other files re-registers */
	int seen;           /* mark for rescans */
	int dead;           /* gone from disk: skipped, its files let go; the struct freed with the repository */
	int covered;        /* a multi-pack-index in use names it: found through that, not its idx */
	int lazy;           /* opened for a multi-pack-index, without its idx (idx_id unknown) */
	int released;       /* dead, and nothing of it mapped or open any more (pw__pack_release) */
	int64_t mtime;      /* of the .pack, in seconds: newest first, as git searches */
	size_t dir;         /* index of its object directory in repo->dirs: the repository's own first */
	uint64_t seq;       /* when the last scan's readdir met it: of one second, the later first (git's order) */
} pw_packent;

/*
 * Object sources (docs/odb.md): the repository asks each source in turn
 * the same questions. A source is found in `repo->sources`, in git's
 * order: packs (every object directory's), then loose objects.
 */
typedef struct pw_source pw_source;

/* Where a source keeps one object: a pack entry, or a loose file. */
typedef struct pw_objloc {
	pw_source *src;
	pw_pack *pack;      /* packed: the pack and the entry's offset */
	uint64_t offset;
	size_t dir;         /* loose: index of the object directory in repo->dirs */
	int keep_bad;       /* in, for find: entries marked bad are answers too (else skipped) */
} pw_objloc;

/* Growable list of iteration entries (pack NULL: loose). */
typedef PW_ARRAY(pw_repo_entry) pw_entries;
/* Growable list of ids. */
typedef PW_ARRAY(pw_oid) pw_oids;

/* A packed entry found unreadable (badobj.c). */
typedef struct pw_badent {
	const pw_pack *pack;
	uint64_t offset;
} pw_badent;

/*
 * What every source answers. All are called with repo->lock held for
 * reading, except `refresh` (held for writing) and `free`. PW_ENOTFOUND
 * from `find` means "not here" with no error set; any other failure sets
 * the error. `read`, `info` and `stream` take a location `find` gave.
 */
typedef struct pw_source_ops {
	const char *name;
	int (*find)(pw_objloc *loc, pw_source *src, const pw_oid *id);
	/* `depth`: base_lookup hops enclosing this read (0: the caller's own read) */
	int (*read)(pw_object **out, const pw_objloc *loc, const pw_oid *id, unsigned depth);
	int (*info)(pw_object_info *out, const pw_objloc *loc, const pw_oid *id, unsigned flags);
	int (*stream)(pw_object_t *type_out, uint64_t *size_out, const pw_objloc *loc,
		const pw_oid *id, pw_stream_cb cb, void *payload);
	/* Append every id with its location, in oid order per pack or in storage order. */
	int (*collect)(pw_entries *out, pw_source *src, int storage_order);
	/* An upper bound of what `collect` appends, to size the array once (0: unknown). */
	size_t (*count)(pw_source *src);
	/* Append the ids whose first `hexlen` digits are those of `prefix`. */
	int (*prefix)(pw_oids *out, pw_source *src, const pw_oid *prefix, size_t hexlen);
	/* Look at the disk again; `*changed` counts what came or went. */
	int (*refresh)(pw_source *src, size_t *changed);
	void (*free)(pw_source *src);
} pw_source_ops;

struct pw_source {
	const pw_source_ops *ops;
	pw_repo *repo;
};

typedef struct pw_midxsrc pw_midxsrc;

/*
 * The packs source: every pack with its own .idx that no multi-pack-index
 * covers, newest first. It also registers the packs multi-pack-indexes
 * name (opened without their idx) and keeps those sources (midxsrc.c).
 */
typedef struct pw_packlist {
	pw_source base;
	PW_ARRAY(pw_packent) packs;   /* searched ones first, then covered, then dead */
	size_t nlive;                 /* live: searched and covered */
	size_t nsearch;               /* searched here: live and not covered */
	/*
	 * The searched packs, most recently used first (git's packed_git_mru):
	 * indices into `packs`, nsearch of them, reset to the list's order by
	 * each refresh. Readers load them relaxed; a hit moves its pack to the
	 * front under `mru_lock`, with `mru_seq` odd meanwhile, so that a
	 * reader that raced a move and found nothing looks once more in list
	 * order before it says no.
	 */
	_Atomic uint32_t *mru;
	size_t mru_cap;
	pthread_mutex_t mru_lock;
	atomic_uint mru_seq;
	PW_ARRAY(pw_midxsrc *) midxs; /* every multi-pack-index seen, usable or not */
	size_t scan_dir;              /* the object directory being scanned (pw_packent.dir) */
	uint64_t scan_seq;            /* readdir entries met by scans so far (pw_packent.seq) */
} pw_packlist;

struct pw_repo {
	char *gitdir;       /* absolute */
	char *commondir;    /* absolute: where refs, packed-refs and objects live (== gitdir unless a linked work tree) */
	pw_oid_t oid_type;
	size_t rawsz, hexsz;

	pw_wm *wm;
	int own_wm;
	pw_dcache *dcache;
	int own_dcache;
	uint64_t max_object_size;
	unsigned int max_delta_depth; /* handed to every pack opened (0: its default) */

	pw_objdir *dirs;    /* dirs[0]: the primary object directory */
	size_t ndirs;

	pw_config config;   /* the repository's config file, read at open */
	int reftable;       /* extensions.refStorage = reftable: refs in commondir/reftable/ */
	pthread_mutex_t rt_lock;
	struct pw__rt_stack *rt_cache; /* the stack last read, kept while tables.list stays */
	int use_midx;       /* core.multiPackIndex (default true) */
	pw_warn_cb warn;    /* where warnings go (NULL: nowhere) */
	void *warn_payload;

	/* the sources: read under the read lock, refreshed under the write lock */
	pthread_rwlock_t lock;
	PW_ARRAY(pw_source *) sources; /* multi-pack-indexes, packs, loose: rebuilt by each rescan */
	pw_packlist packs;
	pw_source loose;
	_Atomic uint64_t generation; /* bumped by each refresh that changes a source */
	_Atomic uint64_t rescans;    /* pw_repo_rescan calls (pw_repo_stats.rescans) */
	_Atomic uint64_t midx_fallbacks; /* multi-pack-indexes found unusable */

	/* badobj.c: packed entries that failed to read, sorted; lookups skip them */
	pthread_mutex_t bad_lock;
	PW_ARRAY(pw_badent) bad;
	_Atomic size_t nbad;

	/* replace.c: refs/replace/ read on first need (NULL until then); off when no_replace */
	struct pw_replace *_Atomic replace;
	int no_replace;

	/* promisor.c: the ids promisor packs refer to, built on the first question */
	pthread_mutex_t promised_lock;
	struct pw_promised *promised;
	char *promisor_name;            /* a partial clone's promisor remote, or NULL */
};

/* promisor.c */
/** Find the promisor remote in the config (at open). */
int pw__promisor_init(pw_repo *repo);
void pw__promised_free(struct pw_promised *p);

/* repo.c */
int pw__repo_error(pw_repo *repo, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Say `fmt` through the repository's warning callback (nothing without one). */
void pw__repo_warn(pw_repo *repo, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* repofmt.c */
/**
 * core.repositoryformatversion and extensions.* of `cfg` (the config of
 * `commondir`), by git's rule: version 0 or 1; in version 1 every
 * extension must be one packwin knows, with a value it reads by; in
 * version 0 unknown extensions are ignored and version-1 ones refused, as
 * git does. PW_EUNSUPPORTED naming the key otherwise.
 */
int pw__repo_check_format(const pw_config *cfg, const char *commondir);

/* sources.c: the source list, lookups over it, the one rescan-and-retry loop */
/** Set up the sources of a repository whose object directories are known. */
int pw__sources_init(pw_repo *repo);
void pw__sources_free(pw_repo *repo);
/**
 * Run `fn(repo, arg)` under the read lock; when it fails in a way a
 * concurrent repack explains (PW_ENOTFOUND, PW_ECHANGED), refresh the
 * sources and run it again, while refreshing keeps changing them (at most
 * a few times). `fn` must leave its outputs ready to be filled again, and
 * sets `*no_retry` when running again would be wrong (bytes already went
 * out to a caller).
 */
int pw__sources_retry(pw_repo *repo, int (*fn)(pw_repo *repo, void *arg, int *no_retry), void *arg);
/** A miss or a vanished file: worth a refresh, not a failure. */
int pw__retryable(int error);
/** The pack layer's hook for a REF_DELTA base outside its pack: any source has it. */
int pw__base_lookup(pw_object **out, const pw_oid *id, unsigned depth, void *payload);

/* packlist.c: the packs source */
extern const pw_source_ops pw__packlist_ops;
/**
 * Register the pack `idx_name` ("pack-….idx") of pack directory `packdir`
 * for a multi-pack-index: opened without its idx unless registered
 * already, and marked seen. PW_ENOTFOUND if its .pack is not there.
 */
int pw__packlist_cover(pw_pack **out, pw_packlist *pl, const char *packdir, const char *idx_name);
/** Mark `packs` covered (found through a multi-pack-index in use, not searched by their idx). */
void pw__packlist_mark_covered(pw_packlist *pl, pw_pack *const *packs, size_t n);

/* midxsrc.c: the multi-pack-index sources */
extern const pw_source_ops pw__midx_ops;
/**
 * Under the write lock, before the packs of `dir` are scanned: (re)load
 * the multi-pack-index and the chain of object directory `dir` when they
 * changed, and cover the packs of those in use. `*changed` counts what
 * came, went or was found unusable (a warning says why, once per file).
 */
int pw__midx_refresh(pw_packlist *pl, size_t dir, size_t *changed);
/** Append the usable multi-pack-index sources to the repository's list, in git's order. */
int pw__midx_add_sources(pw_packlist *pl);
void pw__midx_free_all(pw_packlist *pl);
/** Files (chain layers) of a multi-pack-index source. */
size_t pw__midx_layers(pw_source *src);
/* What packed locations answer (shared with any source that names pack and offset). */
int pw__packed_read(pw_object **out, const pw_objloc *loc, const pw_oid *id, unsigned depth);
int pw__packed_info(pw_object_info *out, const pw_objloc *loc, const pw_oid *id, unsigned flags);
int pw__packed_stream(pw_object_t *type_out, uint64_t *size_out, const pw_objloc *loc,
	const pw_oid *id, pw_stream_cb cb, void *payload);

/* loose.c: the loose-objects source */
extern const pw_source_ops pw__loose_ops;
int pw__loose_path(char *buf, size_t bufsz, const pw_objdir *dir, const pw_oid *id, pw_oid_t type);
/**
 * The one walker of loose-object directories: cb(id) for every loose
 * object of every object directory whose id starts with the first
 * `hexlen` digits of `prefix` (hexlen 0: all), unsorted. Directories
 * that cannot be listed are skipped, as git's loose cache skips them.
 */
int pw__loose_foreach(pw_repo *repo, const pw_oid *prefix, size_t hexlen,
	int (*cb)(const pw_oid *id, void *payload), void *payload);

/* badobj.c: entries that failed to read for a reason in their data, skipped since */
void pw__bad_init(pw_repo *repo);
void pw__bad_free(pw_repo *repo);
/** Is the entry at `offset` of `pack` marked unreadable? (Cheap while nothing is.) */
int pw__bad_has(pw_repo *repo, const pw_pack *pack, uint64_t offset);
/** Mark it: 1 if newly marked, 0 if it was already (or there is no memory to remember it). */
int pw__bad_mark(pw_repo *repo, const pw_pack *pack, uint64_t offset);
/**
 * Mark the entry of `id` at `offset` of `pack` and, the first time, say
 * why through the warning callback ("…; trying another copy").
 */
void pw__bad_report(pw_repo *repo, const pw_pack *pack, uint64_t offset, const pw_oid *id,
	const char *why);
/** Does `error` say the data is bad (worth another copy), not a budget, memory or a vanished file? */
int pw__bad_data_error(int error);
size_t pw__bad_count(pw_repo *repo);
/** The packs' bad_entry hook (pw_pack_options): a delta base that failed, marked and said once. */
void pw__bad_entry(pw_pack *pack, uint64_t offset, const pw_oid *id, const char *why, void *payload);

/* packlist.c */
/**
 * What a lookup that found an object in `pack` does to the search order
 * (it moves to the front if searched here); under the repository's lock.
 */
void pw__packlist_touch(pw_packlist *pl, const pw_pack *pack);

/* iter.c */
/**
 * Every object in `order`, de-duplicated, as an array to pw__free. With
 * `lone` (may be NULL), when one pack is all the repository has, *lone is
 * set to it and nothing is collected: its entries come from its idx
 * through pw__lone_entry, 48 bytes an object fewer in memory; the walk
 * holds it (pw__pack_walk_begin) and ends with pw__pack_walk_end.
 */
int pw__repo_collect(pw_repo_entry **out, size_t *count, pw_pack **lone, pw_repo *repo,
	pw_foreach_order order);
/** Entry `i` (in `order`) of the lone pack `pack`. */
int pw__lone_entry(pw_repo_entry *out, pw_pack *pack, pw_foreach_order order, uint32_t i);

/* abbrev.c */
/**
 * Every object whose id starts with `hexlen` digits of `prefix`, across
 * all sources, sorted and each once (the one prefix scanner). The caller
 * frees `out->v` with PW_ARRAY_FREE.
 */
int pw__repo_prefix(pw_oids *out, pw_repo *repo, const pw_oid *prefix, size_t hexlen);

/* replace.c */
/**
 * The object a read of `id` returns (git's lookup_replace_object): `*out`
 * is `id` itself or its replacement (valid while the repository is open).
 * PW_ECORRUPT for a replacement chain too long (a loop).
 */
int pw__replace_lookup(const pw_oid **out, pw_repo *repo, const pw_oid *id);
void pw__replace_free(struct pw_replace *map);

/* util helpers shared by refs.c and names.c */
/** Read a whole small file (refs, packed-refs, config) into a NUL-terminated buffer. */
int pw__read_small_file(char **out, size_t *len_out, const char *path, size_t max);

#endif
