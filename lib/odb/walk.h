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
 * Cost: every commit and tree reachable is read once for the first tip
 * whose closure holds; later tips stop where they meet objects already
 * proved. A failing tip's walk stops at its first missing object.
 */
int pw__repo_closure(unsigned char *ok, pw_repo *repo, pw_pack *const *packs, size_t npacks,
	const pw_oid *tips, size_t ntips);

/*
 * Is every REF_DELTA base of the packs stored in one of them (the packs
 * are not thin)? 0 with `*thin` = 0 when so; 0 with `*thin` = 1 and the
 * first outside base in `*base` when not; a PW_E… code on error. Reads
 * every entry header of every pack (no object is inflated).
 */
int pw__packs_thin(int *thin, pw_oid *base, pw_pack *const *packs, size_t npacks);

#endif
