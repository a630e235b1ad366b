/* site.c: what pack-serve serves — ROOT's repositories found per request, the allowlist, generated files, repository handles. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "fcache.h"
#include "gen.h"
#include "http.h"
#include "site.h"
#include "util/alloc.h"
#include "util/str.h"
#include "util/banned.h"

/* Repository handles kept open for the generators (each holds its packs' idx files registered). */
#define SITE_MAX_REPOS 16
/* Slots of the cache of where each repository name leads (direct-mapped: a collision replaces). */
#define SITE_LOC_SLOTS 256
/* Listings of objects/pack per objects/info/packs while a repack deletes what it lists. */
#define SITE_LIST_ATTEMPTS 3
/* How long a name's location is trusted before it is looked for again, in seconds. */
#define SITE_LOC_TTL 1

/* Where a repository's files are: its git dir (HEAD) and common dir (objects, refs). */
struct loc {
	char gitdir[PATH_MAX];
	char commondir[PATH_MAX];
};

/* An open repository, keyed by the real path of its git dir; checked by identity on each use. */
struct ps_repo_ent {
	char *key;
	char *packdir;      /* its objects/pack, watched by the sweep */
	dev_t dev;
	ino_t ino;
	struct timespec packs_mtime; /* of objects/pack when opened */
	pw_repo *repo;
	unsigned held;
	int stale;          /* superseded while held: freed by the last user */
	uint64_t used;      /* LRU tick */
	struct ps_repo_ent *next;
};

/* A remembered location: URL name -> git dir and common dir. */
struct loc_slot {
	char *name;
	char *gitdir, *commondir;
	time_t expires;     /* CLOCK_MONOTONIC_COARSE seconds */
};

struct ps_site {
	char *root;         /* realpath(ROOT) */
	size_t rootlen;
	int single;         /* ROOT is itself the repository, at "/" */
	struct loc one;     /* its location, when single */
	pw_wm *wm;
	pw_dcache *dcache;
	pthread_mutex_t lock;
	struct ps_fcache fc;
	struct ps_bundles *bundles;
	struct ps_repo_ent *repos;
	size_t nrepos;
	uint64_t tick;
	pthread_mutex_t loc_lock;
	struct loc_slot locs[SITE_LOC_SLOTS];
	unsigned int keep_seconds;   /* how long a pack named by objects/info/packs stays servable */
	_Atomic int64_t next_sweep;  /* CLOCK_MONOTONIC_COARSE second of the next ps_site_sweep */
	_Atomic uint64_t bundle_retries; /* bundles made again on a handle opened afresh */
};

static int stat_is(const char *path, mode_t type)
{
	struct stat st;

	return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* Read a small file (a .git file, commondir) whole, first line only, NUL-terminated. */
static int read_line(char *out, size_t cap, const char *path)
{
	ssize_t n;
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	do
		n = read(fd, out, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* `rel` made absolute against folder `dir` (already absolute), unless it is absolute. */
static int resolve_rel(char *out, const char *dir, const char *rel)
{
	if (rel[0] == '/')
		return (size_t)snprintf(out, PATH_MAX, "%s", rel) < PATH_MAX ? 0 : -1;
	return pw__path_join(out, PATH_MAX, dir, rel);
}

/*
 * git's test of a git dir: HEAD, and objects/ and refs/ in its common dir.
 * A "commondir" file (a linked work tree's git dir) is read only when
 * `linked` says the git dir came from a .git file: plain repositories
 * then cost three stat(2) calls.
 */
static int looks_like_gitdir(struct loc *l, const char *dir, int linked)
{
	char path[PATH_MAX], line[PATH_MAX];

	if ((size_t)snprintf(l->gitdir, PATH_MAX, "%s", dir) >= PATH_MAX)
		return 0;
	memcpy(l->commondir, l->gitdir, PATH_MAX);
	if (pw__path_join(path, PATH_MAX, dir, "HEAD") || !stat_is(path, S_IFREG))
		return 0;
	if (linked && !pw__path_join(path, PATH_MAX, dir, "commondir") &&
	    !read_line(line, sizeof(line), path) &&
	    resolve_rel(l->commondir, dir, line))
		return 0;
	if (pw__path_join(path, PATH_MAX, l->commondir, "objects") || !stat_is(path, S_IFDIR))
		return 0;
	if (pw__path_join(path, PATH_MAX, l->commondir, "refs") || !stat_is(path, S_IFDIR))
		return 0;
	return 1;
}

/* The repository at folder `dir`: dir/.git (folder or "gitdir:" file), or, if `bare_ok`, dir itself. */
static int repo_at(struct loc *l, const char *dir, int bare_ok)
{
	char dotgit[PATH_MAX], line[PATH_MAX], target[PATH_MAX];
	struct stat st;

	if (pw__path_join(dotgit, PATH_MAX, dir, ".git"))
		return 0;
	if (stat(dotgit, &st) == 0) {
		if (S_ISDIR(st.st_mode) && looks_like_gitdir(l, dotgit, 0))
			return 1;
		if (S_ISREG(st.st_mode) && !read_line(line, sizeof(line), dotgit) &&
		    !strncmp(line, "gitdir: ", 8) && !resolve_rel(target, dir, line + 8) &&
		    looks_like_gitdir(l, target, 1))
			return 1;
	}
	return bare_ok && looks_like_gitdir(l, dir, 0);
}

static time_t coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static size_t name_slot(const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h % SITE_LOC_SLOTS;
}

/* The remembered location of `name`, if still fresh. */
static int loc_cached(struct loc *l, struct ps_site *site, const char *name, size_t slot)
{
	struct loc_slot *c = &site->locs[slot];
	int hit = 0;

	pthread_mutex_lock(&site->loc_lock);
	if (c->name && !strcmp(c->name, name) && coarse_now() < c->expires) {
		snprintf(l->gitdir, PATH_MAX, "%s", c->gitdir);
		snprintf(l->commondir, PATH_MAX, "%s", c->commondir);
		hit = 1;
	}
	pthread_mutex_unlock(&site->loc_lock);
	return hit;
}

static void loc_remember(struct ps_site *site, const char *name, size_t slot, const struct loc *l)
{
	struct loc_slot *c = &site->locs[slot];
	char *n = strdup(name), *g = strdup(l->gitdir), *cd = strdup(l->commondir);

	if (!n || !g || !cd) {
		free(n);
		free(g);
		free(cd);
		return; /* only a cache */
	}
	pthread_mutex_lock(&site->loc_lock);
	free(c->name);
	free(c->gitdir);
	free(c->commondir);
	c->name = n;
	c->gitdir = g;
	c->commondir = cd;
	c->expires = coarse_now() + SITE_LOC_TTL;
	pthread_mutex_unlock(&site->loc_lock);
}

/*
 * Which repository `path` is under, and the rest of it (`*rel`, relative
 * to the repository). 0, or -404 when no repository is there.
 *
 * Finding a repository costs four or five stat(2) calls, more than the
 * rest of a lookup, so where a name leads is remembered for a second.
 * That is safe: the location is only a path built from ROOT; each file
 * is still checked per request (stat identity, and realpath inside ROOT
 * whenever the path names a new file), and a name that stops being a
 * repository within the second gives 404 on its files anyway. Names not
 * found are not remembered: a repository added shows up at once.
 */
static int locate(struct loc *l, const char **rel, struct ps_site *site, const char *path)
{
	char name[256], dir[PATH_MAX];
	const char *slash;
	size_t len, slot;

	if (path[0] != '/')
		return -404;
	if (site->single) {
		*l = site->one;
		*rel = path + 1;
		return 0;
	}
	slash = strchr(path + 1, '/');
	if (!slash || !slash[1])
		return -404;
	len = (size_t)(slash - path - 1);
	if (len >= sizeof(name) || !ps_http_valid_repo_name(path + 1, len))
		return -404;
	memcpy(name, path + 1, len);
	name[len] = '\0';
	*rel = slash + 1;
	slot = name_slot(name, len);
	if (loc_cached(l, site, name, slot))
		return 0;
	if (pw__path_join(dir, PATH_MAX, site->root, name))
		return -404;
	if (repo_at(l, dir, 1)) {
		loc_remember(site, name, slot, l);
		return 0;
	}
	/* NAME.git for a work tree NAME: its .git */
	if (len > 4 && !strcmp(name + len - 4, ".git") &&
	    ps_http_valid_repo_name(name, len - 4)) {
		name[len - 4] = '\0';
		if (!pw__path_join(dir, PATH_MAX, site->root, name) && repo_at(l, dir, 0)) {
			name[len - 4] = '.';
			loc_remember(site, name, slot, l);
			return 0;
		}
	}
	return -404;
}

/* ---- repository handles for the generators ---- */

static void repo_ent_free(struct ps_repo_ent *r)
{
	pw_repo_free(r->repo);
	free(r->packdir);
	free(r->key);
	free(r);
}

/* Unlink `r` from the list; free it unless in use. Lock held. */
static void repo_remove(struct ps_site *site, struct ps_repo_ent *r)
{
	struct ps_repo_ent **pp = &site->repos;

	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = r->next;
		site->nrepos--;
	}
	if (r->held)
		r->stale = 1;
	else
		repo_ent_free(r);
}

/*
 * The open repository at real git dir `key` (common dir `common`). A
 * handle is re-opened, not rescanned, when objects/pack changed since:
 * a rescan keeps the packs a repack deleted registered (callers of the
 * library may hold them), so a long-running server would pile them up.
 */
static int repo_get(struct ps_repo_ent **out, struct ps_site *site, const char *key,
	const char *common)
{
	pw_repo_options opts = PW_REPO_OPTIONS_INIT;
	struct ps_repo_ent *r, *old;
	struct timespec pm = { 0, 0 };
	char packdir[PATH_MAX];
	struct stat st;
	int err;

	if (!pw__path_join(packdir, PATH_MAX, common, "objects/pack") && stat(packdir, &st) == 0)
		pm = st.st_mtim;
	if (stat(key, &st) != 0)
		return PW_ENOTFOUND;
	pthread_mutex_lock(&site->lock);
	for (r = site->repos; r; r = r->next)
		if (!strcmp(r->key, key))
			break;
	if (r && r->dev == st.st_dev && r->ino == st.st_ino &&
	    r->packs_mtime.tv_sec == pm.tv_sec && r->packs_mtime.tv_nsec == pm.tv_nsec) {
		r->held++;
		r->used = ++site->tick;
		pthread_mutex_unlock(&site->lock);
		*out = r;
		return 0;
	}
	pthread_mutex_unlock(&site->lock);

	if (!(r = calloc(1, sizeof(*r))) || !(r->key = strdup(key)) ||
	    !(r->packdir = strdup(packdir))) {
		if (r)
			free(r->key);
		free(r);
		return PW_ENOMEM;
	}
	opts.wm = site->wm;
	opts.dcache = site->dcache;
	opts.no_discover = 1;
	if ((err = pw_repo_open(&r->repo, key, &opts)) < 0) {
		free(r->packdir);
		free(r->key);
		free(r);
		return err;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->packs_mtime = pm;
	r->held = 1;
	pthread_mutex_lock(&site->lock);
	for (old = site->repos; old; old = old->next)
		if (!strcmp(old->key, key)) {
			repo_remove(site, old);
			break;
		}
	r->used = ++site->tick;
	r->next = site->repos;
	site->repos = r;
	site->nrepos++;
	while (site->nrepos > SITE_MAX_REPOS) {
		struct ps_repo_ent *victim = NULL, *it;

		for (it = site->repos; it; it = it->next)
			if (!it->held && (!victim || it->used < victim->used))
				victim = it;
		if (!victim)
			break;
		repo_remove(site, victim);
	}
	pthread_mutex_unlock(&site->lock);
	*out = r;
	return 0;
}

static void repo_put(struct ps_site *site, struct ps_repo_ent *r)
{
	pthread_mutex_lock(&site->lock);
	if (--r->held == 0 && r->stale)
		repo_ent_free(r);
	pthread_mutex_unlock(&site->lock);
}

/* ---- generated bodies ---- */

static int status_of(int pw_err)
{
	switch (pw_err) {
	case PW_ENOTFOUND:
		return -404;
	case PW_ELIMIT: /* every descriptor lent, or the memory budget full */
	case PW_ENOMEM:
		return -503;
	default:
		return -500;
	}
}

/* Does dir/name resolve inside ROOT (or not exist, unless `must_exist`)? */
static int confined(struct ps_site *site, const char *dir, const char *name, int must_exist)
{
	char path[PATH_MAX], real[PATH_MAX];

	if (pw__path_join(path, PATH_MAX, dir, name))
		return 0;
	if (!realpath(path, real))
		return !must_exist && errno == ENOENT;
	return ps_inside_root(site->root, site->rootlen, real);
}

/*
 * A dumb client reads objects/info/packs once, then asks for the idx and
 * pack files it names, one after the other, for as long as the packs take
 * to download. A repack meanwhile deletes them, and a 404 there fails the
 * clone (git does not read the list again). So every pack the list names
 * is kept open, servable under its name, for keep_seconds after the list
 * was last sent or a pack of that list was last asked for (the idle
 * timeout: as long as a client may pause between two requests); the
 * sweep lets it go after that.
 *
 * The list is read from the folder before its packs are opened: a repack
 * in between deletes a pack the list names, which then cannot be kept.
 * Such a line is taken out of `buf` (a name that 404s fails the clone);
 * returns how many were, so that the caller can list the folder again
 * and name what the repack wrote instead.
 */
static size_t keep_listed(struct ps_site *site, const char *objdir, struct ps_buf *buf)
{
	char path[PATH_MAX];
	char *line, *end;
	size_t len, gone = 0;
	uint64_t gen = ps_fcache_list_begin(&site->fc);

	for (line = buf->data; line && (end = strchr(line, '\n')) != NULL;) {
		len = (size_t)(end - line);
		/* "P pack-<hex>.pack" */
		if (len < 8 || line[0] != 'P' || line[1] != ' ' || memcmp(end - 5, ".pack", 5) ||
		    (size_t)snprintf(path, sizeof(path), "%s/pack/%.*s", objdir, (int)(len - 2),
			line + 2) >= sizeof(path)) {
			line = end + 1;
			continue;
		}
		/* Either half gone and the pack is of no use to a client: git 2.39 deletes the pack first. */
		if (ps_fcache_keep(&site->fc, path, PS_KIND_PACK, site->keep_seconds, gen) != -404) {
			memcpy(path + strlen(path) - 5, ".idx", 5);
			if (ps_fcache_keep(&site->fc, path, PS_KIND_IDX, site->keep_seconds, gen) != -404) {
				line = end + 1;
				continue;
			}
		}
		/* Gone before it could be kept: out of the list (with its NUL, the rest moves up). */
		memmove(line, end + 1, buf->len - (size_t)(end + 1 - buf->data) + 1);
		buf->len -= len + 1;
		gone++;
	}
	return gone;
}

/*
 * info/refs and objects/info/packs are always generated, never read from
 * disk: a file left by `git update-server-info` is stale as soon as a ref
 * moves without it (git does not run it by itself), and telling stale
 * from fresh needs the same walk over refs/ as generating does.
 */
static int generate(struct ps_body *out, struct ps_site *site, const struct loc *l,
	enum ps_kind kind, const char *host, size_t host_len, const char *bundle_path,
	const char **why)
{
	char real_git[PATH_MAX], real_common[PATH_MAX], objdir[PATH_MAX];
	struct ps_buf buf = { NULL, 0, 0 };
	struct ps_repo_ent *r;
	time_t mtime = 0;
	int attempt, err;

	/*
	 * Confinement: the repository, and the folders the generator lists
	 * (objects/pack, refs/, packed-refs), must lie inside ROOT, or their
	 * names would tell what is outside. (Alternates are still read by the
	 * library to peel tags, as git would; their names are never listed.)
	 */
	if (!realpath(l->gitdir, real_git) || !realpath(l->commondir, real_common) ||
	    !ps_inside_root(site->root, site->rootlen, real_git) ||
	    !ps_inside_root(site->root, site->rootlen, real_common))
		return -404;
	if (!confined(site, real_common, "objects", 1))
		return -404;
	if (kind == PS_KIND_BUNDLE || kind == PS_KIND_BUNDLE_LIST) {
		if (!confined(site, real_common, "refs", 1) ||
		    !confined(site, real_common, "packed-refs", 0) ||
		    !confined(site, real_common, "objects/pack", 1))
			return -404;
		for (attempt = 1;; attempt++) {
			if ((err = repo_get(&r, site, real_git, real_common)) < 0) {
				if ((err = status_of(err)) == -500)
					*why = ps_site_why("cannot open repository");
				return err;
			}
			err = ps_bundle_make(out, site->bundles, &site->fc, site->wm, r->repo,
				real_common, why);
			/*
			 * Packs a repack deleted since the handle was opened (the
			 * folder's mtime did not tell: a second of granularity, or
			 * put back): open it afresh, once, rather than answer 503.
			 */
			if (err == -503 && *why == ps_bundle_packs_gone && attempt < 2) {
				pthread_mutex_lock(&site->lock);
				repo_remove(site, r);
				pthread_mutex_unlock(&site->lock);
				repo_put(site, r);
				*why = NULL;
				site->bundle_retries++;
				continue;
			}
			repo_put(site, r);
			break;
		}
		if (err < 0 || kind == PS_KIND_BUNDLE)
			return err;
		{
			struct ps_body bundle = *out;

			err = ps_bundle_list_make(out, &bundle, host, host_len, bundle_path, why);
			ps_bundle_release(&site->fc, &bundle);
		}
		return err;
	}
	if (kind == PS_KIND_INFO_PACKS) {
		if (pw__path_join(objdir, PATH_MAX, real_common, "objects") ||
		    !confined(site, objdir, "pack", 0))
			return -404;
		for (attempt = 1;; attempt++) {
			err = ps_gen_info_packs(&buf, &mtime, objdir);
			if (err < 0) {
				*why = "cannot list packs";
				break;
			}
			/* A repack deleted a pack while it was listed: list what it wrote instead. */
			if (!keep_listed(site, objdir, &buf) || attempt == SITE_LIST_ATTEMPTS)
				break;
			pw__free(buf.data);
			memset(&buf, 0, sizeof(buf));
		}
	} else {
		if (!confined(site, real_common, "refs", 1) ||
		    !confined(site, real_common, "packed-refs", 0))
			return -404;
		if ((err = repo_get(&r, site, real_git, real_common)) < 0) {
			if ((err = status_of(err)) == -500)
				*why = ps_site_why("cannot open repository");
			return err;
		}
		if (kind == PS_KIND_HEAD) {
			err = ps_gen_head(&buf, r->repo);
			if (err == 0)
				err = ps_gen_refs_mtime(&mtime, real_common);
		} else {
			err = ps_gen_info_refs(&buf, &mtime, r->repo, real_common);
		}
		repo_put(site, r);
		if (err < 0)
			*why = ps_site_why(kind == PS_KIND_HEAD ? "cannot read HEAD" : "cannot list refs");
	}
	if (err < 0) {
		pw__free(buf.data);
		return status_of(err);
	}
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->mem = buf.data;
	out->priv_mem = buf.data;
	out->size = buf.len;
	out->mtime = mtime ? mtime : time(NULL);
	out->content_type = "text/plain; charset=utf-8";
	ps_gen_etag(out->etag, buf.data, buf.len);
	return 0;
}

/* ---- the API ---- */

int ps_site_open(struct ps_site **out, const char *root, unsigned int fd_limit,
	char *err, size_t errlen)
{
	pw_wm_options wo = PW_WM_OPTIONS_INIT;
	char real[PATH_MAX];
	struct ps_site *site;
	int e;

	*out = NULL;
	if (!realpath(root, real)) {
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		return -1;
	}
	if (!stat_is(real, S_IFDIR)) {
		snprintf(err, errlen, "%s: not a directory", root);
		return -1;
	}
	if (!(site = calloc(1, sizeof(*site))) || !(site->root = strdup(real))) {
		free(site);
		snprintf(err, errlen, "%s: out of memory", root);
		return -1;
	}
	site->rootlen = strlen(site->root);
	site->keep_seconds = 60;
	atomic_init(&site->next_sweep, 0);
	site->single = repo_at(&site->one, site->root, 1);
	pthread_mutex_init(&site->lock, NULL);
	pthread_mutex_init(&site->loc_lock, NULL);
	if (!fd_limit)
		fd_limit = 64;
	/*
	 * Windows serve only the generators: idx lookups to peel tags, and a
	 * bundle's proofs (every entry header, every commit and tree, read
	 * once per pack set), for which 1 MiB windows cost a third more time
	 * than 4 MiB ones; file bodies never go through them.
	 */
	wo.fd_limit = fd_limit;
	wo.memory_limit = (size_t)128 << 20;
	wo.window_size = (size_t)4 << 20;
	if ((e = pw_wm_new(&site->wm, &wo)) < 0 ||
	    (e = pw_dcache_new(&site->dcache, (size_t)8 << 20)) < 0 ||
	    (e = ps_fcache_init(&site->fc, site->wm, &site->lock, site->root, fd_limit)) < 0 ||
	    (e = ps_bundles_new(&site->bundles)) < 0) {
		snprintf(err, errlen, "%s: %s", root, e == PW_ENOMEM ? "out of memory" : pw_error_last());
		ps_site_free(site);
		return -1;
	}
	*out = site;
	return 0;
}

void ps_site_free(struct ps_site *site)
{
	size_t i;

	if (!site)
		return;
	if (site->fc.table)
		ps_fcache_dispose(&site->fc);
	while (site->repos) {
		site->repos->held = 0;
		repo_remove(site, site->repos);
	}
	ps_bundles_free(site->bundles);
	pw_dcache_free(site->dcache);
	pw_wm_free(site->wm);
	for (i = 0; i < SITE_LOC_SLOTS; i++) {
		free(site->locs[i].name);
		free(site->locs[i].gitdir);
		free(site->locs[i].commondir);
	}
	pthread_mutex_destroy(&site->loc_lock);
	pthread_mutex_destroy(&site->lock);
	free(site->root);
	free(site);
}

int ps_site_lookup(struct ps_body *out, struct ps_site *site, const char *path, const char **why)
{
	return ps_site_lookup_host(out, site, path, NULL, 0, why);
}

int ps_site_lookup_host(struct ps_body *out, struct ps_site *site, const char *path,
	const char *host, size_t host_len, const char **why)
{
	const char *ignored;
	char file[PATH_MAX], bundle_path[PATH_MAX];
	const char *rel;
	enum ps_kind kind;
	struct loc l;
	int err;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!why)
		why = &ignored;
	*why = NULL;
	if ((err = locate(&l, &rel, site, path)) < 0)
		return err;
	kind = ps_http_classify(rel, strlen(rel));
	switch (kind) {
	case PS_KIND_INFO_REFS:
	case PS_KIND_INFO_PACKS:
	case PS_KIND_BUNDLE:
		return generate(out, site, &l, kind, NULL, 0, NULL, why);
	case PS_KIND_BUNDLE_LIST:
		/* The bundle beside the list: the same path with "bundle" for "bundle-list". */
		if ((size_t)snprintf(bundle_path, sizeof(bundle_path), "%.*sbundle",
			(int)(rel - path), path) >= sizeof(bundle_path))
			return -404;
		return generate(out, site, &l, kind, host, host_len, bundle_path, why);
	case PS_KIND_HEAD:
		/* a reftable repository's HEAD file is a placeholder: HEAD is in the stack */
		if (pw__path_join(file, PATH_MAX, l.commondir, "reftable") == 0 &&
		    stat_is(file, S_IFDIR))
			return generate(out, site, &l, kind, NULL, 0, NULL, why);
		if (pw__path_join(file, PATH_MAX, l.gitdir, rel))
			return -404;
		break;
	case PS_KIND_PACK:
	case PS_KIND_IDX:
	case PS_KIND_REV:
	case PS_KIND_LOOSE:
		if (pw__path_join(file, PATH_MAX, l.commondir, rel))
			return -404;
		break;
	default:
		return -404;
	}
	return ps_fcache_lookup(out, &site->fc, file, kind, why);
}

void ps_site_set_keep(struct ps_site *site, unsigned int seconds)
{
	site->keep_seconds = seconds;
}

void ps_site_sweep(struct ps_site *site)
{
	int64_t now = coarse_now(), next = atomic_load(&site->next_sweep);
	struct ps_repo_ent *r, *nx;
	struct stat st;
	size_t freed;

	/* Once a second, by whichever worker comes first. */
	if (now < next || !atomic_compare_exchange_strong(&site->next_sweep, &next, now + 1))
		return;
	freed = ps_fcache_sweep(&site->fc, now);
	/*
	 * A repository handle holds its packs open and mapped; one whose
	 * objects/pack changed is re-opened by the next request, but with no
	 * request it would hold deleted packs for ever.
	 */
	pthread_mutex_lock(&site->lock);
	for (r = site->repos; r; r = nx) {
		nx = r->next;
		if (r->held || (stat(r->packdir, &st) == 0 &&
		    r->packs_mtime.tv_sec == st.st_mtim.tv_sec &&
		    r->packs_mtime.tv_nsec == st.st_mtim.tv_nsec))
			continue;
		repo_remove(site, r);
		freed++;
	}
	pthread_mutex_unlock(&site->lock);
#ifdef __GLIBC__
	/* What the freed packs' indexes and proofs took goes back to the system, not only to malloc. */
	if (freed)
		malloc_trim(0);
#endif
}

void ps_site_get_stats(struct ps_site_stats *out, struct ps_site *site)
{
	pw_wm_options o;
	pw_wm_stats ws;

	memset(out, 0, sizeof(*out));
	pw_wm_get_stats(&ws, site->wm);
	pw_wm_get_options(&o, site->wm);
	out->fds = ws.fds;
	out->fds_peak = ws.fds_peak;
	out->fd_limit = o.fd_limit;
	out->windows = ws.windows;
	out->mapped = ws.mapped;
	ps_bundles_get_stats(out, site->bundles);
	out->bundle_retries = site->bundle_retries;
}

void ps_body_release(struct ps_site *site, struct ps_body *body)
{
	if (!body)
		return;
	if (body->priv_file && site)
		ps_fcache_release(&site->fc, body);
	if (body->priv_bundle && site)
		ps_bundle_release(&site->fc, body);
	pw__free(body->priv_mem);
	body->priv_mem = NULL;
	body->mem = NULL;
	body->priv_file = NULL;
	body->fd = -1;
}
