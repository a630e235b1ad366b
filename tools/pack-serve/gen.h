/* gen.h: pack-serve's generated files — info/refs and objects/info/packs — and content ETags. */
#ifndef PACKSERVE_GEN_H
#define PACKSERVE_GEN_H

#include <stddef.h>
#include <time.h>

#include "packwin.h"

/* A growable byte buffer; `data` is pw__malloc'd (pw__free it) and kept NUL-terminated. */
struct ps_buf {
	char *data;
	size_t len, cap;
};

/*
 * info/refs as `git update-server-info` writes it: "<hex>\t<ref>\n" for
 * every ref under refs/, sorted bytewise, and "<peeled>\t<ref>^{}\n" after
 * an annotated tag. Rescans the packs first so that objects of a repack
 * are found. `*mtime` gets the newest mtime of the ref sources (packed-refs
 * and every folder under refs/: git renames ref files into place, which
 * changes their folder). Returns 0 or a PW_E… code.
 */
int ps_gen_info_refs(struct ps_buf *out, time_t *mtime, pw_repo *repo, const char *commondir);

/*
 * HEAD as git writes the file, from the ref store: "ref: NAME\n" for a
 * symbolic HEAD (a reftable repository's real target, never the
 * "refs/heads/.invalid" placeholder of its HEAD file), or the id and a
 * newline when detached. 0 or a PW_E… code.
 */
int ps_gen_head(struct ps_buf *out, pw_repo *repo);

/* The newest mtime of the ref sources of `commondir` (packed-refs, every folder under refs/). 0 or a PW_E… code. */
int ps_gen_refs_mtime(time_t *mtime, const char *commondir);

/*
 * What the refs look like on disk, cheaply: the newest mtime (seconds) of
 * packed-refs, HEAD (in `gitdir`, when not NULL) and every folder under
 * refs/, and a digest of their identities and mtimes to the nanosecond.
 * A ref written, moved or deleted renames or unlinks a file in its folder
 * (or rewrites packed-refs), so the digest changes; `complete` is 0 when
 * it cannot tell (a reftable stack: its tables.list counts in the mtime).
 * 0 or a PW_E… code.
 */
struct ps_refs_state {
	time_t mtime;
	uint64_t digest;
	int complete;
};
int ps_gen_refs_state(struct ps_refs_state *rs, const char *commondir, const char *gitdir);

/* Append `len` bytes to `b` (kept NUL-terminated; at most 256 MiB in all). 0, PW_ELIMIT or PW_ENOMEM. */
int ps_buf_add(struct ps_buf *b, const void *data, size_t len);

/*
 * objects/info/packs: "P pack-<hex>.pack\n" for every pack of `objdir`
 * having both its .pack and .idx (sorted by name), then "\n". `*mtime`
 * gets the mtime of objdir/pack (it changes whenever a pack comes or
 * goes). Returns 0 or a PW_E… code.
 */
int ps_gen_info_packs(struct ps_buf *out, time_t *mtime, const char *objdir);

/* A strong ETag (with quotes) from the content: 16 hex digits of its SHA-1. */
void ps_gen_etag(char etag[72], const void *data, size_t len);

#endif
