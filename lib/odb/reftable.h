/* reftable.h: reftable tables and stacks, read-only (private to lib/odb; docs/odb.md). */
#ifndef PW_ODB_REFTABLE_H
#define PW_ODB_REFTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "odb/reflog.h"
#include "packwin/oid.h"

/* A table larger than this is refused (a 10k-ref table is ~400 KiB). */
#define PW_RT_TABLE_MAX ((size_t)256 << 20)
/* Times tables.list is read again when a table it names vanished (a compaction). */
#define PW_RT_RETRIES 16

/* Ref record value types (and log types: 0 deletion, 1 update). */
enum { PW_RT_DELETION = 0, PW_RT_VAL1 = 1, PW_RT_VAL2 = 2, PW_RT_SYMREF = 3 };

/* One table, read whole into memory: header and footer checked. */
typedef struct pw__rt_table {
	char *path;                 /* for messages */
	unsigned char *buf;         /* the file */
	size_t len;
	size_t header_len, footer_len, hash_len;
	size_t blocks_end;          /* where the footer starts */
	uint32_t block_size;        /* 0: unaligned */
	uint64_t min_ui, max_ui;
	uint64_t ref_index_pos, log_pos;
	int has_refs;               /* the first block is a ref block */
	int has_logs;               /* log blocks exist (log_pos, or a log-only table) */
} pw__rt_table;

/* One record as decoded; pointers borrow the table's (or an inflated block's) bytes. */
typedef struct pw__rt_rec {
	const unsigned char *key;   /* the full key (the iterator's buffer) */
	size_t keylen;
	unsigned vtype;
	uint64_t update_index;      /* ref: min + delta; log: from the key */
	const unsigned char *id, *peeled; /* hash_len bytes: ref value(s), log old/new */
	const char *target;         /* symref target (not NUL-terminated) */
	size_t target_len;
	uint64_t child;             /* index record: block position */
	uint64_t time;              /* log */
	int tz;
	const char *msg;
	size_t msg_len;
} pw__rt_rec;

/* One block: offsets are from `data`, which is the file start for the first block. */
typedef struct pw__rt_block {
	uint64_t pos;               /* file position of the block (0: the first, after the header) */
	const unsigned char *data;
	size_t len;                 /* block_len */
	size_t rec_start, rec_end;  /* records; the restart table starts at rec_end */
	uint32_t nrestart;
	unsigned char type;
	uint64_t next;              /* file position of the block after it */
	unsigned char *inflated;    /* a log block's content (owned) */
} pw__rt_block;

/* Walks the records of consecutive blocks of one type. */
typedef struct pw__rt_iter {
	const pw__rt_table *t;
	unsigned char type;
	pw__rt_block blk;
	int open;                   /* blk holds a block */
	size_t cur;                 /* next record in blk */
	int fresh;                  /* no key yet in this block: the next needs prefix 0 */
	int any;                    /* a key was read: order checked against it */
	unsigned char *key;
	size_t keylen, keycap;
	int done;
} pw__rt_iter;

/*
 * Parse `buf` (len bytes, owned by the table from now on, freed with it)
 * as a table of `path`: header, footer, CRC-32, the ref and index blocks'
 * headers and restart tables, every index entry. `type` is the
 * repository's object format. PW_ECORRUPT naming path and offset.
 */
int pw__rt_table_parse(pw__rt_table *t, const char *path, unsigned char *buf, size_t len,
	pw_oid_t type);
void pw__rt_table_dispose(pw__rt_table *t);

/* Start iterating ref records (`type` 'r') or log records ('g') of `t`. */
void pw__rt_iter_init(pw__rt_iter *it, const pw__rt_table *t, unsigned char type);
/* The next record: 1 and *rec, 0 at the end, or < 0. Keys must strictly increase. */
int pw__rt_iter_next(pw__rt_rec *rec, pw__rt_iter *it);
void pw__rt_iter_dispose(pw__rt_iter *it);

/*
 * The ref record of `name` in `t`, through the (multi-level) ref index
 * when there is one: 1 and *rec (a deletion too), 0 when `t` has none.
 * `it` holds the bytes rec borrows; dispose it after.
 */
int pw__rt_table_seek(pw__rt_rec *rec, pw__rt_iter *it, const pw__rt_table *t, const char *name);

/* ------------------------------------------------------------- stacks */

typedef struct pw__rt_stack pw__rt_stack;

/* A ref of the merged view. */
typedef struct pw__rt_ref {
	const char *name;           /* NUL-terminated */
	unsigned vtype;             /* never a deletion in a listing */
	pw_oid id, peeled;
	const char *target;         /* symref: not NUL-terminated */
	size_t target_len;
} pw__rt_ref;

/*
 * Read `dir`/tables.list and every table it names, newest last on the
 * list; a table that vanished meanwhile (a compaction) means reading the
 * list again, PW_RT_RETRIES times at most. No tables.list: an empty stack.
 */
int pw__rt_stack_open(pw__rt_stack **out, const char *dir, pw_oid_t type);
void pw__rt_stack_free(pw__rt_stack *st);

/*
 * The repository's stack, shared: the one read last while tables.list is
 * the same file (stat identity), else read again. Hand it back with
 * pw__rt_stack_put (NULL is fine). Thread-safe.
 */
struct pw_repo;
int pw__rt_stack_get(pw__rt_stack **out, struct pw_repo *repo);
void pw__rt_stack_put(struct pw_repo *repo, pw__rt_stack *st);

/* The merged record of `name`: 1 and *out (name borrowed), 0 when absent or deleted. */
int pw__rt_stack_find(pw__rt_ref *out, pw__rt_stack *st, const char *name);

/*
 * Every ref of the merged view whose name starts with `prefix`, sorted,
 * deletions left out: *out, whose names are in *names (pw__free both).
 */
int pw__rt_stack_list(pw__rt_ref **out, size_t *n, char **names, pw__rt_stack *st,
	const char *prefix);

/* The merged reflog of `refname`, oldest first: PW_ENOTFOUND when it has none. */
int pw__rt_stack_reflog(pw__reflog *out, pw__rt_stack *st, const char *refname);

#endif
