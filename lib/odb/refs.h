/* refs.h: the ref store shared by refs.c, packed_refs.c and names.c (private). */
#ifndef PW_ODB_REFS_H
#define PW_ODB_REFS_H

#include "odb/internal.h"

/* git's SYMREF_MAXDEPTH: at most this many ref files are read to resolve one name. */
#define PW_SYMREF_MAXDEPTH 5

/* One line of packed-refs (and its `^` line, if any). */
typedef struct pw_packed_ref {
	const char *name;          /* NUL-terminated (in packed_buf, or the name looked up) */
	pw_oid id;
	pw_oid peeled;             /* valid when has_peeled */
	size_t line;               /* 1-based line number in packed-refs (0 when bisected) */
	unsigned char has_peeled;
	unsigned char bad_name;    /* fails check-ref-format: ignored, as git ignores it */
} pw_packed_ref;

/* What the `# pack-refs with:` header promises about missing `^` lines. */
typedef enum {
	PW_PEELED_NONE = 0,        /* nothing: any ref may be an annotated tag */
	PW_PEELED_TAGS = 1,        /* "peeled": refs/tags/ without `^` are not tags */
	PW_PEELED_FULLY = 2        /* "fully-peeled": no ref without `^` is a tag */
} pw_peeled_trait;

/*
 * One reading of a repository's refs. packed-refs is read at most once, on
 * first need, so that a name tried under several prefixes (pw_repo_resolve)
 * reads it once; lookups bisect it when sorted, iteration parses it whole.
 * Not shared between threads.
 */
typedef struct pw_refdb {
	pw_repo *repo;
	char *packed_path;
	int packed_loaded;         /* read, header checked (or found absent) */
	int packed_parsed;         /* every line parsed into packed[] */
	int packed_sorted;         /* the header says "sorted": lookups bisect the text */
	char *packed_buf;          /* the file, NUL-terminated */
	size_t packed_len;
	size_t packed_body;        /* offset of the first line after the header */
	pw_packed_ref *packed;     /* when parsed: sorted by name (strcmp), then by line */
	size_t npacked;
	pw_packed_ref found;       /* what the last bisection found */
	pw_peeled_trait peeled_trait;
	int reftable;              /* the repository keeps its refs in a reftable stack */
	struct pw__rt_stack *rt;   /* that stack, read on first need */
} pw_refdb;

/* What reading one ref found. */
typedef enum { PW__REF_ABSENT, PW__REF_OID, PW__REF_SYMREF } pw__ref_kind;

/* Where a resolved ref ended. */
typedef struct pw_ref_result {
	pw_oid id;
	/* the packed-refs line the id came from (valid until the next lookup), or NULL */
	const pw_packed_ref *packed;
	/* symbolic refs followed; on PW_ENOTFOUND, > 0 means a dangling symbolic ref */
	unsigned int depth;
} pw_ref_result;

void pw__refdb_init(pw_refdb *db, pw_repo *repo);
void pw__refdb_dispose(pw_refdb *db);

/*
 * Read packed-refs and check its header, if not yet done (absent: no
 * packed refs). Lookups in a sorted file then bisect its text, as git does;
 * an unsorted one is parsed whole and sorted.
 */
int pw__refdb_load_packed(pw_refdb *db);

/* The reftable stack of a reftable repository, read on first need (borrowed from db). */
int pw__refdb_stack(struct pw__rt_stack **out, pw_refdb *db);

/*
 * refs_reftable.c: read ref `name` from the stack: its kind, its id (and
 * *pe = db->found with the peeled id) or its target (*target, pw__free).
 */
int pw__refdb_reftable_read(pw__ref_kind *kind, pw_oid *id, char **target,
	const pw_packed_ref **pe, pw_refdb *db, const char *name);

/* refs_reftable.c: pw_repo_foreach_ref's work over the stack's merged view. */
int pw__refdb_foreach_reftable(pw_refdb *db, const char *prefix, int check_objects,
	pw_ref_cb cb, pw_ref_warn_cb warn, void *payload);

/*
 * Hand one resolved ref to `cb`: with `check_objects`, a ref to a missing
 * object is left out (told to `warn`) and an annotated tag peeled.
 */
int pw__refdb_report_ref(pw_refdb *db, const char *name, const pw_ref_result *res,
	int check_objects, pw_ref_cb cb, pw_ref_warn_cb warn, void *payload);

/*
 * Resolve `name`, a ref being listed: 0 and *res; 1 when it is left out
 * as git leaves it out (dangling: silently; broken: told to `warn`); < 0
 * on other errors.
 */
int pw__refdb_resolve_listed(pw_ref_result *res, pw_refdb *db, const char *name,
	pw_ref_warn_cb warn, void *payload);

/* Tell `warn` (may be NULL) of one ref left out. */
void pw__ref_warn(pw_ref_warn_cb warn, const char *name, pw_ref_broken why, const char *detail,
	void *payload);

/* Parse every line of packed-refs into db->packed (for iteration). */
int pw__refdb_parse_packed(pw_refdb *db);

/* The packed ref named `name` (a valid ref name), or *out = NULL. */
int pw__refdb_packed_find(const pw_packed_ref **out, pw_refdb *db, const char *name);

/*
 * Resolve the ref `name` (already a valid ref name), loose shadowing
 * packed, following symbolic refs. 0; PW_ENOTFOUND when absent or when a
 * symbolic ref leads to an absent ref (res->depth > 0); PW_ECORRUPT for a
 * broken ref file, a symbolic ref to an invalid name, a loop or too deep a
 * chain; other codes for I/O errors.
 */
int pw__refdb_resolve(pw_ref_result *res, pw_refdb *db, const char *name);

/*
 * pw__refdb_resolve, and on success `*final_name` (pw__free it, may be
 * NULL to skip) names the ref the chain of symbolic refs ended at.
 */
int pw__refdb_resolve_name(pw_ref_result *res, char **final_name, pw_refdb *db,
	const char *name);

/*
 * Every ref under `prefix` (a folder of refs ending in '/', such as
 * "refs/replace/") with the id it resolves to, in name order, without
 * reading any object (git's DO_FOR_EACH_INCLUDE_BROKEN, broken refs left
 * out): `peeled` is always NULL. For readers the object layer itself
 * needs (replace refs), which must not read objects to list them.
 */
int pw__refdb_foreach_raw(pw_repo *repo, const char *prefix, pw_ref_cb cb, void *payload);

/*
 * The folder holding ref `name` (and its reflog under logs/): the gitdir
 * for per-work-tree refs (HEAD and other pseudorefs, refs/worktree/,
 * refs/bisect/, refs/rewritten/), else the common directory.
 */
const char *pw__ref_dir(const pw_repo *repo, const char *name);

/*
 * git check-ref-format: non-zero when `name` is a valid ref name.
 * `allow_onelevel` accepts names without a slash ("HEAD", "main").
 */
int pw__refname_is_valid(const char *name, int allow_onelevel);

/*
 * The id on the first line of object `id`, which must be of `type` and
 * start with "`field` <hex>\n": a tag's "object" or a commit's "tree".
 */
int pw__object_first_oid(pw_oid *out, pw_repo *repo, const pw_oid *id,
	pw_object_t type, const char *field);

/* Most annotated tags followed when peeling (git has no limit; ids cannot loop). */
#define PW_PEEL_MAX_DEPTH 64

/*
 * Peel annotated tags: `*out` = the first object of the chain from `id`
 * that is not a tag, `*type_out` its type. PW_ENOTFOUND if an object of
 * the chain is missing.
 */
int pw__peel_tags(pw_oid *out, pw_object_t *type_out, pw_repo *repo, const pw_oid *id);

#endif
