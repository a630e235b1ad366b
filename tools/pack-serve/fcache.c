/* fcache.c: pack-serve's descriptor cache — path to registered file, identity, ETag; lends descriptors to bodies. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fcache.h"
#include "util/str.h"
#include "util/banned.h"

/* Attempts of one lookup while the file keeps changing between stat and open. */
#define FC_ATTEMPTS 4

/*
 * One served file. While in the table it is also on the LRU list; an entry
 * superseded (its path now names another file) while bodies hold it is
 * "stale": out of both, closed when the last body goes.
 */
struct ps_fentry {
	char *path;                     /* as built from ROOT (the key) */
	uint64_t hash;
	pw_wm_file *file;               /* registered by its real path */
	dev_t dev;                      /* identity of the file opened */
	ino_t ino;
	uint64_t size;
	int64_t mtime_sec;
	long mtime_nsec;
	char etag[72];
	const char *ctype;
	int immutable;
	unsigned held;                  /* bodies lent from it (and one for the keep) */
	int stale;
	int kept;                       /* on ps_fcache.kept: holds one descriptor lent until kept_until */
	int64_t kept_until;             /* CLOCK_MONOTONIC seconds */
	int64_t kept_limit;             /* kept_until never passes it: ten keeps after the last list naming it */
	int64_t keep_for;               /* seconds each download of its list pushes kept_until */
	uint64_t dir_hash;              /* of its folder: a download from there keeps its neighbours */
	uint64_t gen_first, gen_last;   /* the first and the last list (ps_fcache_list_begin) naming it while kept */
	pw_list keep;
	struct ps_fentry *hnext;        /* hash chain */
	pw_list lru;                    /* on ps_fcache.lru while in the table */
};

static _Thread_local char why_buf[256];

const char *ps_site_why(const char *what)
{
	snprintf(why_buf, sizeof(why_buf), "%s: %s", what, pw_error_last());
	return why_buf;
}

int ps_inside_root(const char *root, size_t rootlen, const char *real)
{
	if (rootlen == 1 && root[0] == '/')
		return real[0] == '/';
	return !strncmp(real, root, rootlen) && (real[rootlen] == '/' || real[rootlen] == '\0');
}

static uint64_t hash_mem(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	while (n--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static uint64_t hash_str(const char *s)
{
	return hash_mem(s, strlen(s));
}

static uint64_t hash_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	return hash_mem(path, slash ? (size_t)(slash - path) : 0);
}

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

/*
 * A client is downloading the kept `d`: it may be a clone going through a
 * list that named it, so what such a list also named stays kept. Which
 * list the client read is unknown, but it lies between the first and the
 * last list that named `d`: the packs of its folder named by a list in
 * that span are refreshed, and no others — a pack of a list long
 * replaced would otherwise live on as long as anyone downloads anything,
 * and crowd out the packs of the lists clients read now. Lock held.
 */
static void keep_neighbours(struct ps_fcache *fc, const struct ps_fentry *d)
{
	int64_t now;
	pw_list *it;

	if (!d->kept)
		return;
	now = mono_now();
	PW_LIST_FOREACH(it, &fc->kept) {
		struct ps_fentry *e = PW_LIST_ENTRY(it, struct ps_fentry, keep);
		int64_t until = now + e->keep_for;
		if (e->dir_hash != d->dir_hash || e->gen_first > d->gen_last ||
		    e->gen_last < d->gen_first || until <= e->kept_until)
			continue;
		e->kept_until = until < e->kept_limit ? until : e->kept_limit;
	}
}

int ps_fcache_init(struct ps_fcache *fc, pw_wm *wm, pthread_mutex_t *lock,
	const char *root, unsigned int fd_limit)
{
	size_t buckets = 64;

	memset(fc, 0, sizeof(*fc));
	fc->wm = wm;
	fc->lock = lock;
	fc->root = root;
	fc->rootlen = strlen(root);
	pw__list_init(&fc->lru);
	pw__list_init(&fc->kept);
	/* Half the budget at most: what is kept must never starve what is sent. */
	fc->max_kept = fd_limit ? fd_limit / 2 : 32;
	/* Enough entries that every descriptor of the budget has a few paths to choose from. */
	fc->max = fd_limit > 64 ? (size_t)fd_limit * 4 : 256;
	while (buckets < fc->max * 2)
		buckets *= 2;
	if (!(fc->table = calloc(buckets, sizeof(*fc->table))))
		return PW_ENOMEM;
	fc->mask = buckets - 1;
	return 0;
}

static void entry_free(struct ps_fentry *e)
{
	pw_wm_close(e->file);
	free(e->path);
	free(e);
}

/* Take `e` out of the table and the LRU; free it now unless bodies hold it. Lock held. */
static void entry_remove(struct ps_fcache *fc, struct ps_fentry *e)
{
	struct ps_fentry **pp = &fc->table[e->hash & fc->mask];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = e->hnext;
		e->hnext = NULL;
		pw__list_remove(&e->lru);
		fc->count--;
	}
	if (e->held)
		e->stale = 1;
	else
		entry_free(e);
}

static struct ps_fentry *entry_find(struct ps_fcache *fc, const char *path, uint64_t h)
{
	struct ps_fentry *e;

	for (e = fc->table[h & fc->mask]; e; e = e->hnext)
		if (e->hash == h && !strcmp(e->path, path))
			return e;
	return NULL;
}

/* Evict unheld entries, least recently used first, down to the cap. Lock held. */
static void evict(struct ps_fcache *fc)
{
	pw_list *it, *prev;

	PW_LIST_FOREACH_REVERSE_SAFE(it, prev, &fc->lru) {
		struct ps_fentry *e = PW_LIST_ENTRY(it, struct ps_fentry, lru);
		if (fc->count <= fc->max)
			break;
		if (!e->held)
			entry_remove(fc, e);
	}
}

/* Stop keeping `e`: give back its descriptor and its hold. Lock held; `e` may be freed. */
static void unkeep(struct ps_fcache *fc, struct ps_fentry *e)
{
	pw__list_remove(&e->keep);
	e->kept = 0;
	fc->nkept--;
	pw_wm_return_fd(e->file);
	if (--e->held == 0 && e->stale)
		entry_free(e);
}

void ps_fcache_dispose(struct ps_fcache *fc)
{
	pw_list *first;

	while ((first = pw__list_first(&fc->kept)) != NULL)
		unkeep(fc, PW_LIST_ENTRY(first, struct ps_fentry, keep));

	while ((first = pw__list_first(&fc->lru)) != NULL) {
		struct ps_fentry *e = PW_LIST_ENTRY(first, struct ps_fentry, lru);
		e->held = 0;
		entry_remove(fc, e);
	}
	free(fc->table);
	fc->table = NULL;
}

static int same_identity(const struct ps_fentry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino &&
		e->size == (uint64_t)st->st_size &&
		e->mtime_sec == (int64_t)st->st_mtim.tv_sec &&
		e->mtime_nsec == st->st_mtim.tv_nsec;
}

static const char *content_type(enum ps_kind kind)
{
	switch (kind) {
	case PS_KIND_PACK: return "application/x-git-packed-objects";
	case PS_KIND_IDX: return "application/x-git-packed-objects-toc";
	case PS_KIND_REV: return "application/octet-stream";
	case PS_KIND_LOOSE: return "application/x-git-loose-object";
	default: return "text/plain";
	}
}

/* The hash size a pack's name announces: 40 hex digits SHA-1, 64 SHA-256. */
static size_t name_rawsz(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || strncmp(base, "pack-", 5))
		return 0;
	return (size_t)(dot - base - 5) == 64 ? 32 : 20;
}

static void identity_etag(struct ps_fentry *e)
{
	uint64_t mt = (uint64_t)e->mtime_sec * 1000000000u + (uint64_t)e->mtime_nsec;

	snprintf(e->etag, sizeof(e->etag), "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
		(uint64_t)e->ino, mt, e->size);
}

/* Packs, idx and rev files end with their own checksum: that is their ETag. */
static int trailer_etag(struct ps_fentry *e, int fd, const char *path)
{
	unsigned char raw[32];
	size_t rawsz = name_rawsz(path), got = 0;

	if (!rawsz || e->size < 12 + (uint64_t)rawsz) {
		identity_etag(e); /* too short to have one: still served as it is */
		return 0;
	}
	while (got < rawsz) {
		ssize_t r = pread(fd, raw + got, rawsz - got, (off_t)(e->size - rawsz + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		got += (size_t)r;
	}
	e->etag[0] = '"';
	pw__hex_encode(e->etag + 1, raw, rawsz);
	e->etag[1 + 2 * rawsz] = '"';
	e->etag[2 + 2 * rawsz] = '\0';
	return 0;
}

static int status_of(int pw_err)
{
	switch (pw_err) {
	case PW_ENOTFOUND:
	case PW_EINVALID: /* not a regular file */
		return -404;
	case PW_ELIMIT:
		return -503;
	default:
		return -500;
	}
}

#define FC_RETRY 1

/*
 * Register the file `path` names, checked the expensive way: its real path
 * inside ROOT, a regular file, and the file opened is the one `st` saw
 * (else FC_RETRY). On success *out holds one lent descriptor in *fd_out.
 *
 * What remains (TOCTOU): realpath() and open() are separate steps, so a
 * local user who can rename things inside ROOT could, between them, swap
 * a checked folder for a symbolic link leading out, and the open would
 * follow it. The fstat comparison below narrows that window to a file the
 * attacker made identical in identity; closing it fully needs an
 * openat2(RESOLVE_BENEATH)-style open inside the window manager. Whoever
 * can rename inside ROOT can usually read its files anyway.
 */
static int entry_make(struct ps_fentry **out, int *fd_out, struct ps_fcache *fc,
	const char *path, uint64_t h, enum ps_kind kind, const struct stat *st, const char **why)
{
	char real[PATH_MAX];
	struct ps_fentry *e;
	struct stat fst;
	int err, fd;

	*out = NULL;
	if (!realpath(path, real))
		return errno == ENOMEM ? -503 : -404;
	if (!ps_inside_root(fc->root, fc->rootlen, real))
		return -404;
	if (!(e = calloc(1, sizeof(*e))) || !(e->path = strdup(path))) {
		free(e);
		return -503;
	}
	e->hash = h;
	pw__list_init(&e->keep);
	if ((err = pw_wm_open(&e->file, fc->wm, real)) < 0) {
		free(e->path);
		free(e);
		if ((err = status_of(err)) == -500)
			*why = ps_site_why("cannot open");
		return err;
	}
	if ((err = pw_wm_lend_fd(&fd, e->file)) < 0) {
		entry_free(e);
		if (err == PW_ECHANGED)
			return FC_RETRY;
		if ((err = status_of(err)) == -500)
			*why = ps_site_why("cannot open");
		return err;
	}
	if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {
		pw_wm_return_fd(e->file);
		entry_free(e);
		*why = "cannot stat an open file";
		return -500;
	}
	e->dev = fst.st_dev;
	e->ino = fst.st_ino;
	e->size = (uint64_t)fst.st_size;
	e->mtime_sec = (int64_t)fst.st_mtim.tv_sec;
	e->mtime_nsec = fst.st_mtim.tv_nsec;
	if (!same_identity(e, st) || e->size != pw_wm_file_size(e->file)) {
		/* replaced between our stat and the open: look again */
		pw_wm_return_fd(e->file);
		entry_free(e);
		return FC_RETRY;
	}
	e->ctype = content_type(kind);
	/* Their names are content hashes: the bytes under a name never change (see pack-serve(1), CACHING). */
	e->immutable = kind == PS_KIND_PACK || kind == PS_KIND_IDX || kind == PS_KIND_REV ||
		kind == PS_KIND_LOOSE;
	if (kind != PS_KIND_LOOSE && e->immutable)
		err = trailer_etag(e, fd, path);
	else
		identity_etag(e);
	if (err < 0) {
		pw_wm_return_fd(e->file);
		entry_free(e);
		*why = "cannot read a checksum trailer";
		return -500;
	}
	*out = e;
	*fd_out = fd;
	return 0;
}

static void fill(struct ps_body *out, struct ps_fentry *e, int fd)
{
	memset(out, 0, sizeof(*out));
	out->fd = fd;
	out->size = e->size;
	out->mtime = (time_t)e->mtime_sec;
	memcpy(out->etag, e->etag, sizeof(out->etag));
	out->content_type = e->ctype;
	out->immutable = e->immutable;
	out->priv_file = e;
}

/* A body of the file kept under `path` though the path is gone (a pack a repack deleted). 0 or -1. */
static int kept_body(struct ps_body *out, struct ps_fcache *fc, const char *path, uint64_t h,
	int refresh)
{
	struct ps_fentry *e;
	int fd;

	pthread_mutex_lock(fc->lock);
	e = entry_find(fc, path, h);
	/* Its descriptor is lent to the keep, so open: lending it again cannot fail on the name. */
	if (!e || !e->kept || pw_wm_lend_fd(&fd, e->file) < 0) {
		pthread_mutex_unlock(fc->lock);
		return -1;
	}
	e->held++;
	pw__list_move_front(&fc->lru, &e->lru);
	if (refresh)
		keep_neighbours(fc, e);
	pthread_mutex_unlock(fc->lock);
	fill(out, e, fd);
	return 0;
}

/* ps_fcache_lookup; `refresh`: a download, which keeps the packs of its list kept (keep_neighbours). */
static int lookup(struct ps_body *out, struct ps_fcache *fc, const char *path,
	enum ps_kind kind, int refresh, const char **why)
{
	uint64_t h = hash_str(path);
	struct ps_fentry *e, *old;
	struct stat st;
	int attempt, err, fd;

	for (attempt = 0; attempt < FC_ATTEMPTS; attempt++) {
		/* The one system call of a cache hit: has the path come to name another file? */
		if (stat(path, &st) != 0) {
			if (errno == ENOENT && kept_body(out, fc, path, h, refresh) == 0)
				return 0;
			return errno == ENOMEM ? -503 : -404;
		}
		if (!S_ISREG(st.st_mode))
			return -404;

		pthread_mutex_lock(fc->lock);
		e = entry_find(fc, path, h);
		if (e && same_identity(e, &st)) {
			e->held++;
			pw__list_move_front(&fc->lru, &e->lru);
			if (refresh)
				keep_neighbours(fc, e);
			pthread_mutex_unlock(fc->lock);
			/* Outside our lock: a descriptor evicted meanwhile is re-opened (and re-checked) here. */
			err = pw_wm_lend_fd(&fd, e->file);
			if (!err) {
				fill(out, e, fd);
				return 0;
			}
			pthread_mutex_lock(fc->lock);
			e->held--;
			if (err == PW_ECHANGED && !e->stale)
				entry_remove(fc, e);
			else if (e->stale && !e->held)
				entry_free(e);
			pthread_mutex_unlock(fc->lock);
			if (err == PW_ECHANGED)
				continue;
			if ((err = status_of(err)) == -500)
				*why = ps_site_why("cannot open");
			return err;
		}
		pthread_mutex_unlock(fc->lock);

		err = entry_make(&e, &fd, fc, path, h, kind, &st, why);
		if (err == FC_RETRY)
			continue;
		if (err)
			return err;
		pthread_mutex_lock(fc->lock);
		if ((old = entry_find(fc, path, h)) != NULL)
			entry_remove(fc, old); /* the path names a new file, or another thread raced us: newest wins */
		e->held = 1;
		e->hnext = fc->table[h & fc->mask];
		fc->table[h & fc->mask] = e;
		pw__list_push_front(&fc->lru, &e->lru);
		fc->count++;
		evict(fc); /* a new entry is not kept: nothing to refresh */
		pthread_mutex_unlock(fc->lock);
		fill(out, e, fd);
		return 0;
	}
	return -503; /* the file kept changing under us: try again shortly */
}

int ps_fcache_lookup(struct ps_body *out, struct ps_fcache *fc, const char *path,
	enum ps_kind kind, const char **why)
{
	return lookup(out, fc, path, kind, kind == PS_KIND_PACK || kind == PS_KIND_IDX, why);
}

int ps_fcache_lookup_piece(struct ps_body *out, struct ps_fcache *fc, const char *path,
	enum ps_kind kind, const char **why)
{
	return lookup(out, fc, path, kind, 0, why);
}

/*
 * Give back what `body` holds. `ended` says a download just ended: its
 * client asks for its list's next file now, so the list's packs are kept
 * on from here (not when a keep itself lets go of a lookup).
 */
static void release_body(struct ps_fcache *fc, struct ps_body *body, int ended)
{
	struct ps_fentry *e = body->priv_file;

	if (!e)
		return;
	pw_wm_return_fd(e->file);
	pthread_mutex_lock(fc->lock);
	if (ended)
		keep_neighbours(fc, e);
	if (--e->held == 0 && e->stale)
		entry_free(e);
	pthread_mutex_unlock(fc->lock);
	body->priv_file = NULL;
	body->fd = -1;
}

void ps_fcache_release(struct ps_fcache *fc, struct ps_body *body)
{
	release_body(fc, body, 1);
}

void ps_fcache_release_piece(struct ps_fcache *fc, struct ps_body *body)
{
	release_body(fc, body, 0);
}

uint64_t ps_fcache_list_begin(struct ps_fcache *fc)
{
	uint64_t gen;

	pthread_mutex_lock(fc->lock);
	gen = ++fc->gen;
	pthread_mutex_unlock(fc->lock);
	return gen;
}

/*
 * Make room for one more kept entry of list `gen`: stop keeping the one
 * nearest its expiry among those no list as new as `gen` names (its
 * clients, if any, are the oldest). The packs of the list being sent win
 * over those of older lists: every client that reads it needs them, and
 * fewer and fewer clients need an old list's. 0, or -1 if every kept
 * entry is of `gen`. Lock held.
 */
static int make_room(struct ps_fcache *fc, uint64_t gen)
{
	struct ps_fentry *victim = NULL;
	pw_list *it;

	PW_LIST_FOREACH(it, &fc->kept) {
		struct ps_fentry *e = PW_LIST_ENTRY(it, struct ps_fentry, keep);
		if (e->gen_last < gen && (!victim || e->kept_until < victim->kept_until))
			victim = e;
	}
	if (!victim)
		return -1;
	fc->evicted_kept++;
	unkeep(fc, victim);
	return 0;
}

int ps_fcache_keep(struct ps_fcache *fc, const char *path, enum ps_kind kind,
	unsigned int seconds, uint64_t gen)
{
	int64_t until = mono_now() + seconds;
	const char *why = NULL;
	struct ps_fentry *e;
	struct ps_body b;
	int err;

	if ((err = lookup(&b, fc, path, kind, 0, &why)) < 0)
		return err; /* -404: gone already (the caller may list again); else no descriptor to spare */
	e = b.priv_file;
	pthread_mutex_lock(fc->lock);
	e->keep_for = seconds;
	e->kept_limit = until + 9 * (int64_t)seconds;
	e->dir_hash = hash_dir(path);
	if (e->kept) {
		if (until > e->kept_until)
			e->kept_until = until;
		if (gen > e->gen_last)
			e->gen_last = gen;
	} else if (!e->stale && (fc->nkept < fc->max_kept || make_room(fc, gen) == 0)) {
		/* The body's hold and lent descriptor become the keep's. */
		e->kept = 1;
		e->kept_until = until;
		e->gen_first = e->gen_last = gen;
		pw__list_push_back(&fc->kept, &e->keep);
		fc->nkept++;
		pthread_mutex_unlock(fc->lock);
		return 0;
	} else {
		err = -503;
	}
	pthread_mutex_unlock(fc->lock);
	release_body(fc, &b, 0);
	return err;
}

size_t ps_fcache_sweep(struct ps_fcache *fc, int64_t now)
{
	pw_list *it, *tmp;
	struct stat st;
	size_t freed = 0, before;

	pthread_mutex_lock(fc->lock);
	/*
	 * A download longer than the idle timeout is a client still at work:
	 * what its list also names stays kept while it lasts.
	 */
	PW_LIST_FOREACH(it, &fc->kept) {
		struct ps_fentry *e = PW_LIST_ENTRY(it, struct ps_fentry, keep);
		if (e->held > 1)
			keep_neighbours(fc, e);
	}
	PW_LIST_FOREACH_SAFE(it, tmp, &fc->kept) {
		struct ps_fentry *e = PW_LIST_ENTRY(it, struct ps_fentry, keep);
		if (e->kept_until < now)
			unkeep(fc, e);
	}
	/*
	 * One stat(2) per entry, under the lock, once a second at most: the
	 * entries are few (4 per descriptor of the budget) and each call is
	 * what a cache hit costs anyway.
	 */
	PW_LIST_FOREACH_SAFE(it, tmp, &fc->lru) {
		struct ps_fentry *e = PW_LIST_ENTRY(it, struct ps_fentry, lru);
		if (e->held || (stat(e->path, &st) == 0 && same_identity(e, &st)))
			continue;
		before = fc->count;
		entry_remove(fc, e);
		freed += before - fc->count;
	}
	pthread_mutex_unlock(fc->lock);
	return freed;
}
