/* walk.h: reachability over commits, trees and tags, confined to a set of packs (internal). */
#ifndef PW_ODB_WALK_H
#define PW_ODB_WALK_H

#include <stddef.h>

#include "packwin/odb.h"

/*
 * For each of the `ntips` ids in `tips`, is every object reachable from it
 * (parents, trees, tree entries, tagged objects; gitlinks excepted, as git
 * does) stored in one of the `npacks` packs of `packs`? `ok[i]` gets 1 or
 * 0. Objects are read only from those packs (never loose, never from
 * another source of `repo`), so the answer says whether the packs alone
 * can serve the tip: what a bundle made of them needs. An object that is
 * absent, or whose content does not parse, makes its tips 0. Returns 0,
 * or a PW_E… code when the walk itself failed (out of memory, I/O,
 * limits), with `ok` then undefined.
 *
 * A pack of the set with a reachability bitmap that passes every check of
 * pw__pack_bitmap_open is taken at its word (the FULL_DAG flag git
 * requires: all that its objects reach is in it): an object found there
 * is proved once its type, by the type bitmaps, is what named it, and
 * nothing is read. A bitmap that fails a check is not used (the walk reads
 * that pack as it would without one), and why goes to `stats`.
 *
 * Cost: without bitmaps, every commit and tree reachable is read once for
 * the first tip whose closure holds; later tips stop where they meet
 * objects already proved. A failing tip's walk stops at its first missing
 * object. With a bitmap, a lookup per tip found in its pack.
 */
typedef struct {
	size_t bitmaps;       /**< packs of the set whose bitmap was used */
	size_t bitmap_hits;   /**< objects proved by a bitmap (found in its pack) */
	size_t objects_read;  /**< commits, trees and tags read by the walk */
	char ignored[512];    /**< why a pack's bitmap was not used (the last one), or "" */
} pw__closure_stats;

int pw__repo_closure(unsigned char *ok, pw_repo *repo, pw_pack *const *packs, size_t npacks,
	const pw_oid *tips, size_t ntips, pw__closure_stats *stats);

/* What pw__packs_bases found wrong with the REF_DELTA entries of a set of packs. */
typedef enum {
	PW__BASES_OK = 0,
	PW__BASES_THIN,       /**< a base is in none of the packs (a thin pack) */
	PW__BASES_DUPLICATE   /**< a base is in several of them */
} pw__bases_problem;

/*
 * Can the packs, sent as one stream, be indexed as git's index-pack does
 * it? Every REF_DELTA base must be in exactly one of them: none is a thin
 * pack (index-pack cannot resolve it without --fix-thin), and two copies
 * make index-pack resolve the delta twice, which it refuses ("REF_DELTA
 * ... already resolved"). OFS_DELTA entries stay inside their own pack
 * and are always fine. 0 with `*problem` set (and the base in `*base`
 * unless PW__BASES_OK), or a PW_E… code. Reads every entry header of every
 * pack (nothing is inflated).
 */
int pw__packs_bases(pw__bases_problem *problem, pw_oid *base, pw_pack *const *packs,
	size_t npacks);

#endif
