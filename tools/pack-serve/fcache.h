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

/* Give back a body made by ps_fcache_lookup. */
void ps_fcache_release(struct ps_fcache *fc, struct ps_body *body);

/*
 * Keep the file at `path` open and servable under that name, even if it
 * is deleted meanwhile, for `seconds`, and as long after each download of
 * a pack or idx from the same folder (a clone going through the list),
 * but never past ten times `seconds` from this call: objects/info/packs
 * does it for the packs it names, so that a client that read the list
 * gets them after a repack deleted them. Best effort (a file that cannot
 * be opened, or half the descriptor budget kept already, is not kept).
 */
void ps_fcache_keep(struct ps_fcache *fc, const char *path, enum ps_kind kind,
	unsigned int seconds);

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
