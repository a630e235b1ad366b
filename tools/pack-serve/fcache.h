/* fcache.h: pack-serve's descriptor cache — served files by path, their identity and ETag, lent to bodies. */
#ifndef PACKSERVE_FCACHE_H
#define PACKSERVE_FCACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "packwin.h"
#include "util/list.h"
#include "http.h"
#include "site.h"

struct ps_fentry;

/* The cache: entries by path in a hash table and one LRU list. Guarded by the site's lock. */
struct ps_fcache {
	pw_wm *wm;                  /* borrowed: the site's window manager */
	pthread_mutex_t *lock;      /* borrowed: the site's lock */
	const char *root;           /* borrowed: realpath(ROOT) */
	size_t rootlen;
	struct ps_fentry **table;
	size_t mask;                /* buckets - 1 (a power of two) */
	size_t count, max;
	pw_list lru;                /* ps_fentry.lru, most recently used first */
	pw_list kept;               /* ps_fentry.keep: entries kept open for ps_fcache_keep */
	size_t nkept, max_kept;
	uint64_t gen;               /* of the last list begun (ps_fcache_list_begin) */
	uint64_t evicted_kept;      /* kept entries let go early to keep a newer list's */
};

int ps_fcache_init(struct ps_fcache *fc, pw_wm *wm, pthread_mutex_t *lock,
	const char *root, unsigned int fd_limit);

/* Close every entry (none may be held). */
void ps_fcache_dispose(struct ps_fcache *fc);

/*
 * Make `out` a body of the regular file at `path` (a path built from
 * ROOT, not resolved) of kind `kind`. Returns 0, -404, -503 or -500
 * (with *why).
 */
int ps_fcache_lookup(struct ps_body *out, struct ps_fcache *fc, const char *path,
	enum ps_kind kind, const char **why);

/*
 * ps_fcache_lookup for a piece of a generated body (a bundle's pack): not
 * a download by a client of objects/info/packs, so it keeps nothing longer.
 */
int ps_fcache_lookup_piece(struct ps_body *out, struct ps_fcache *fc, const char *path,
	enum ps_kind kind, const char **why);

/*
 * Give back a body made by ps_fcache_lookup: its download ended, so the
 * packs kept for the lists that named it are kept on from now.
 */
void ps_fcache_release(struct ps_fcache *fc, struct ps_body *body);

/* Give back a body made by ps_fcache_lookup_piece: keeps nothing longer. */
void ps_fcache_release_piece(struct ps_fcache *fc, struct ps_body *body);

/* A new list generation (a sending of objects/info/packs), for ps_fcache_keep. */
uint64_t ps_fcache_list_begin(struct ps_fcache *fc);

/*
 * Keep the file at `path`, named by list `gen`, open and servable under
 * that name, even if it is deleted meanwhile, for `seconds`, and as long
 * after each download of a kept pack or idx named by the same lists (a
 * clone going through the list it read), but never past ten times
 * `seconds` from this call: objects/info/packs does it for the packs it
 * names, so that a client that read the list gets them after a repack
 * deleted them. When half the descriptor budget is kept already, the
 * entry of an older list nearest its expiry is let go for it. Returns 0,
 * -404 when the file is gone already (the list naming it is stale), or
 * -503/-500 when it cannot be kept (no descriptor or room to spare).
 */
int ps_fcache_keep(struct ps_fcache *fc, const char *path, enum ps_kind kind,
	unsigned int seconds, uint64_t gen);

/*
 * Let go of what the disk no longer has: files kept past their time, and
 * entries (with their descriptors) whose path is gone or names another
 * file, unless a body holds them. Returns how many entries it freed.
 */
size_t ps_fcache_sweep(struct ps_fcache *fc, int64_t now);

/* Is `real` (a resolved path) ROOT or inside it? */
int ps_inside_root(const char *root, size_t rootlen, const char *real);

/* A one-line reason for a -500, kept per thread (valid until the next lookup on this thread). */
const char *ps_site_why(const char *what);

#endif
