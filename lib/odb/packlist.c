/* packlist.c: the packs source — every pack with its own .idx, scanned and rescanned, searched newest and last-hit first; the registry of every pack. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/internal.h"
#include "pack/internal.h" /* pw__pack_lookup: quiet misses */
#include "util/alloc.h"
#include "util/error.h"
#include "util/str.h"
#include "util/banned.h"

#define PACKLIST(src) ((pw_packlist *)(void *)(src))

static int cmp_mtime_desc(const void *a, const void *b)
{
	const pw_packent *x = a, *y = b;
	if (x->dead != y->dead)
		return x->dead - y->dead;
	if (x->covered != y->covered)
		return x->covered - y->covered;
	/*
	 * git's order (packfile.c, sort_pack): the repository's own packs
	 * before its alternates', newest (in whole seconds) first, and of
	 * one second the one met last first: git prepends each new pack it
	 * meets to its list (readdir's order, reversed; a rescan's new ones
	 * before all it knew) and sorts that list stably.
	 */
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? 1 : -1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? 1 : -1;
	return strcmp(x->idx_path, y->idx_path);
}

void pw__file_id_set(pw_file_id *out, const struct stat *st)
{
	memset(out, 0, sizeof(*out)); /* padding too: ids are compared with memcmp */
	out->dev = st->st_dev;
	out->ino = st->st_ino;
	out->size = st->st_size;
	out->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	out->mtime_nsec = st->st_mtim.tv_nsec;
}

int pw__file_id_same(const pw_file_id *id, const struct stat *st)
{
	return id->dev == st->st_dev && id->ino == st->st_ino && id->size == st->st_size &&
		id->mtime_sec == (int64_t)st->st_mtim.tv_sec && id->mtime_nsec == st->st_mtim.tv_nsec;
}

/*
 * `ist`, `pst`: the idx and the pack as stat saw them before opening (a
 * later change is then seen). `ist` NULL: for a multi-pack-index, opened
 * without its idx.
 */
static int add_pack(pw_packent **out, pw_packlist *pl, const char *idx_path,
	const struct stat *ist, const struct stat *pst)
{
	pw_repo *repo = pl->base.repo;
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_packent *pe;
	pw_pack *pack;
	int error;

	po.oid_type = repo->oid_type;
	po.dcache = repo->dcache;
	po.max_object_size = repo->max_object_size;
	po.max_delta_depth = repo->max_delta_depth;
	po.base_lookup = pw__base_lookup;
	po.base_payload = repo;
	po.bad_entry = pw__bad_entry;
	error = ist ? pw_pack_open(&pack, repo->wm, idx_path, &po) :
		pw_pack_open_lazy(&pack, repo->wm, idx_path, &po);
	/* an idx beside another pack would give that pack's offsets: never used */
	if (!error && ist && (error = pw__pack_check_pair(pack)) < 0)
		pw_pack_free(pack);
	if (error < 0)
		return error;
	if (!(pe = PW_ARRAY_ALLOC(&pl->packs, 8))) {
		pw_pack_free(pack);
		return pw__error_nomem();
	}
	memset(pe, 0, sizeof(*pe));
	pe->pack = pack;
	pe->mtime = (int64_t)pst->st_mtime;
	pe->dir = pl->scan_dir;
	pe->seq = ++pl->scan_seq;
	if (ist)
		pw__file_id_set(&pe->idx_id, ist);
	pe->lazy = !ist;
	pw__file_id_set(&pe->pack_id, pst);
	pe->seen = 1;
	if (!(pe->idx_path = pw__strdup(idx_path))) {
		pw_pack_free(pack);
		pl->packs.n--;
		return pw__error_nomem();
	}
	*out = pe;
	return 0;
}

/* The live entry registered for `idx_path`, or NULL. */
static pw_packent *live_entry(pw_packlist *pl, const char *idx_path)
{
	size_t i;

	for (i = 0; i < pl->packs.n; i++)
		if (!pl->packs.v[i].dead && !strcmp(pl->packs.v[i].idx_path, idx_path))
			return &pl->packs.v[i];
	return NULL;
}

int pw__packlist_cover(pw_pack **out, pw_packlist *pl, const char *packdir, const char *idx_name)
{
	char idx_path[PATH_MAX], pack_path[PATH_MAX];
	size_t len = strlen(idx_name);
	pw_packent *pe;
	struct stat pst;
	int error;

	if (pw__path_join(idx_path, sizeof(idx_path), packdir, idx_name) < 0 ||
	    snprintf(pack_path, sizeof(pack_path), "%s/%.*s.pack", packdir,
		(int)(len - 4) & 0xff, idx_name) >= (int)sizeof(pack_path))
		return pw__error_set(PW_ELIMIT, "%s: path too long", packdir);
	if (stat(pack_path, &pst) < 0 || !S_ISREG(pst.st_mode))
		return pw__error_set(PW_ENOTFOUND, "%s: no such pack", pack_path);
	/* a pack seen before, whatever way it was opened, is the same pack if its .pack is */
	if (!(pe = live_entry(pl, idx_path)) || !pw__file_id_same(&pe->pack_id, &pst)) {
		if ((error = add_pack(&pe, pl, idx_path, NULL, &pst)) < 0)
			return error;
	}
	pe->seen = 1;
	*out = pe->pack;
	return 0;
}

void pw__packlist_mark_covered(pw_packlist *pl, pw_pack *const *packs, size_t n)
{
	size_t i, k;

	for (i = 0; i < pl->packs.n; i++)
		for (k = 0; k < n && !pl->packs.v[i].dead; k++)
			if (pl->packs.v[i].pack == packs[k]) {
				pl->packs.v[i].covered = 1;
				break;
			}
}

/* Register the packs of `objdir` not registered yet; `*added` counts them. */
static int scan_dir(pw_packlist *pl, const char *objdir, size_t *added)
{
	char packdir[PATH_MAX], path[PATH_MAX], packpath[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int error = 0;

	if (pw__path_join(packdir, sizeof(packdir), objdir, "pack") < 0)
		return pw__error_set(PW_ELIMIT, "%s: path too long", objdir);
	if (!(dir = opendir(packdir)))
		return 0; /* no packs yet */
	while (!error && (de = readdir(dir)) != NULL) {
		struct stat ist, pst;
		size_t len = strlen(de->d_name);
		pw_packent *pe;
		int known = 0;

		if (!pw__has_suffix(de->d_name, ".idx") || len < 5) /* git: any NAME.idx beside its NAME.pack */
			continue;
		if (pw__path_join(path, sizeof(path), packdir, de->d_name) < 0)
			continue;
		/*
		 * git uses an idx only when its pack is there too; a registered
		 * pack whose .pack is already deleted (git removes it before the
		 * .idx) goes dead here rather than failing every read again.
		 */
		if (snprintf(packpath, sizeof(packpath), "%s/%.*s.pack", packdir, (int)(len - 4) & 0xff,
			de->d_name) >= (int)sizeof(packpath))
			continue;
		if (stat(packpath, &pst) < 0 || !S_ISREG(pst.st_mode) ||
		    stat(path, &ist) < 0 || !S_ISREG(ist.st_mode))
			continue;
		if ((pe = live_entry(pl, path)) != NULL) {
			/*
			 * `git repack -a` of unchanged objects renames a new pack
			 * of the same name over the old one: once our descriptors
			 * are closed the old files cannot be re-opened, so the
			 * entry goes dead and the new files are registered. A pack
			 * a multi-pack-index named was opened without its idx: its
			 * .pack says whether it is the same.
			 */
			if (pe->covered) {
				known = 1;
			} else if (pw__file_id_same(&pe->pack_id, &pst) &&
			    (pe->lazy || pw__file_id_same(&pe->idx_id, &ist))) {
				if (pe->lazy) {
					pw__file_id_set(&pe->idx_id, &ist);
					pe->lazy = 0;
				}
				pe->seen = 1;
				known = 1;
			}
		}
		if (known)
			continue;
		error = add_pack(&pe, pl, path, &ist, &pst);
		if (!error)
			(*added)++;
		if (error == PW_ENOTFOUND || error == PW_ECHANGED) {
			/*
			 * removed while we looked: a concurrent repack, whose
			 * new pack this readdir may not have listed. A change:
			 * a lookup that missed must look again.
			 */
			(*added)++;
			pw_error_clear();
			error = 0;
		} else if (error == PW_EVERIFY) {
			/* an idx beside a pack it was not made for: never its offsets (git skips it too) */
			pw__repo_warn(pl->base.repo, "%s; the pack is not used", pw_error_last());
			pw_error_clear();
			error = 0;
		}
	}
	closedir(dir);
	return error;
}

/* The MRU order back to the list's (git: prepare_packed_git_mru). Under the repository's write lock. */
static int mru_reset(pw_packlist *pl)
{
	size_t i;

	if (pl->nsearch > pl->mru_cap) {
		_Atomic uint32_t *m = pw__realloc((void *)pl->mru, pl->nsearch * sizeof(*m));
		if (!m)
			return pw__error_nomem();
		pl->mru = m;
		pl->mru_cap = pl->nsearch;
	}
	for (i = 0; i < pl->nsearch; i++)
		atomic_store_explicit(&pl->mru[i], (uint32_t)i, memory_order_relaxed);
	return 0;
}

/* Pack `k`, found at MRU position `pos` (or since moved, or unknown: SIZE_MAX), to the front. */
static void mru_touch(pw_packlist *pl, size_t pos, uint32_t k)
{
	size_t n = pl->nsearch, i;

	pthread_mutex_lock(&pl->mru_lock);
	if (pos >= n || atomic_load_explicit(&pl->mru[pos], memory_order_relaxed) != k)
		for (pos = 0; pos < n && atomic_load_explicit(&pl->mru[pos], memory_order_relaxed) != k; pos++)
			;
	if (pos > 0 && pos < n) {
		/* a seqlock's writer: odd, then the moves, then even again */
		atomic_fetch_add_explicit(&pl->mru_seq, 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		for (i = pos; i > 0; i--)
			atomic_store_explicit(&pl->mru[i],
				atomic_load_explicit(&pl->mru[i - 1], memory_order_relaxed), memory_order_relaxed);
		atomic_store_explicit(&pl->mru[0], k, memory_order_relaxed);
		atomic_fetch_add_explicit(&pl->mru_seq, 1, memory_order_release);
	}
	pthread_mutex_unlock(&pl->mru_lock);
}

void pw__packlist_touch(pw_packlist *pl, const pw_pack *pack)
{
	size_t k;

	for (k = 0; k < pl->nsearch; k++)
		if (pl->packs.v[k].pack == pack) {
			mru_touch(pl, SIZE_MAX, (uint32_t)k);
			return;
		}
}

/* Directory scans of one refresh at most while packs keep disappearing under it. */
#define SCAN_PASSES 8

static int packlist_refresh(pw_source *src, size_t *changed)
{
	pw_packlist *pl = PACKLIST(src);
	pw_repo *repo = src->repo;
	size_t i, n = 0;
	int error = 0, pass;

	/*
	 * A readdir that runs while git installs a pack and deletes the old
	 * ones may miss both: the new name is added behind the cursor, the
	 * old one removed ahead of it (seen under TSan: a whole repository
	 * listed as empty). git installs before it deletes, so a scan that
	 * starts after a deletion was seen lists what replaced it: the
	 * directories are read again while a pass finds a pack gone.
	 */
	for (pass = 0; pass < SCAN_PASSES && !error; pass++) {
		size_t gone = 0;

		for (i = 0; i < pl->packs.n; i++)
			pl->packs.v[i].seen = pl->packs.v[i].covered = 0;
		for (i = 0; i < repo->ndirs && !error; i++) {
			/* a multi-pack-index first: the packs it covers are not scanned for their idx */
			pl->scan_dir = i;
			if (repo->use_midx && (error = pw__midx_refresh(pl, i, &n)) < 0)
				break;
			error = scan_dir(pl, repo->dirs[i].path, &n);
		}
		for (i = 0; i < pl->packs.n && !error; i++) {
			pw_packent *pe = &pl->packs.v[i];
			if (!pe->seen && !pe->dead) {
				pe->dead = 1;
				gone++;
			}
		}
		n += gone;
		if (!gone)
			break;
	}
	if (!error) {
		/*
		 * Packs gone from disk stay allocated (callers may hold them)
		 * but are skipped, and their windows and descriptors let go, so
		 * the disk space comes back; what a reader still pins goes when
		 * it is done (window manager), and is counted on a later rescan.
		 */
		for (i = 0; i < pl->packs.n; i++) {
			pw_packent *pe = &pl->packs.v[i];
			if (pe->dead && !pe->released)
				pe->released = pw__pack_release(pe->pack);
		}
		if (pl->packs.n > 1)
			qsort(pl->packs.v, pl->packs.n, sizeof(*pl->packs.v), cmp_mtime_desc);
		for (pl->nlive = 0; pl->nlive < pl->packs.n && !pl->packs.v[pl->nlive].dead; pl->nlive++)
			;
		for (pl->nsearch = 0; pl->nsearch < pl->nlive && !pl->packs.v[pl->nsearch].covered;
		     pl->nsearch++)
			;
		error = mru_reset(pl);
	}
	*changed += n;
	return error;
}

/* Is `id` in pack `k`: 0 (loc set), PW_ENOTFOUND, or an error. */
static int probe(pw_objloc *loc, pw_packlist *pl, size_t k, const pw_oid *id)
{
	pw_pack *pack = pl->packs.v[k].pack;
	int error = pw__pack_lookup(&loc->offset, pack, id);

	/* an entry that failed to read: another pack's copy, if any */
	if (error == 0 && !loc->keep_bad && pw__bad_has(pl->base.repo, pack, loc->offset))
		return PW_ENOTFOUND;
	if (error == 0) {
		loc->src = &pl->base;
		loc->pack = pack;
		loc->dir = 0;
	}
	return error;
}

/* The pack holding `id`, most recently used first (so of two copies, git's). */
static int packlist_find(pw_objloc *loc, pw_source *src, const pw_oid *id)
{
	pw_packlist *pl = PACKLIST(src);
	size_t n = pl->nsearch, i;
	unsigned seq = atomic_load_explicit(&pl->mru_seq, memory_order_acquire);
	int error;

	for (i = 0; i < n; i++) {
		uint32_t k = atomic_load_explicit(&pl->mru[i], memory_order_relaxed);
		if (k >= n || (error = probe(loc, pl, k, id)) == PW_ENOTFOUND)
			continue;
		if (error == 0 && i > 0)
			mru_touch(pl, i, k);
		return error;
	}
	/* a move raced the pass and may have hidden a pack from it: each once more, in list order */
	atomic_thread_fence(memory_order_acquire);
	if (n > 1 && (seq & 1 || atomic_load_explicit(&pl->mru_seq, memory_order_relaxed) != seq)) {
		for (i = 0; i < n; i++)
			if ((error = probe(loc, pl, i, id)) != PW_ENOTFOUND)
				return error;
	}
	return PW_ENOTFOUND;
}

int pw__packed_read(pw_object **out, const pw_objloc *loc, const pw_oid *id, unsigned depth)
{
	return pw_pack_read_nested(out, loc->pack, loc->offset, depth);
}

int pw__packed_info(pw_object_info *out, const pw_objloc *loc, const pw_oid *id, unsigned flags)
{
	pw_pack_entry e;
	int error;

	out->pack = loc->pack;
	out->offset = loc->offset;
	if ((error = pw__read_header(&out->type, &out->size, loc->pack, loc->offset,
		!(flags & PW_INFO_NO_TYPE))) < 0)
		return error;
	if (!(flags & (PW_INFO_DISK_SIZE | PW_INFO_DELTA_BASE)))
		return 0;
	/* an entry's length is the distance to the next entry: the reverse index, from the idx */
	if ((flags & PW_INFO_DISK_SIZE) && (error = pw_pack_load_idx(loc->pack)) < 0)
		return error;
	if ((error = pw_pack_entry_at(&e, loc->pack, loc->offset)) < 0)
		return error;
	out->disk_size = e.packed_size;
	if (flags & PW_INFO_DELTA_BASE) {
		if (e.type == PW_OBJ_OFS_DELTA)
			error = pw_pack_offset_oid(&out->delta_base, loc->pack, e.base_offset);
		else if (e.type == PW_OBJ_REF_DELTA)
			out->delta_base = e.base_id;
	}
	return error;
}

int pw__packed_stream(pw_object_t *type_out, uint64_t *size_out, const pw_objloc *loc,
	const pw_oid *id, pw_stream_cb cb, void *payload)
{
	return pw_pack_stream_at(type_out, size_out, loc->pack, loc->offset, cb, payload);
}

static int packlist_collect(pw_entries *out, pw_source *src, int storage_order)
{
	pw_packlist *pl = PACKLIST(src);
	size_t k;
	int error = 0;

	for (k = 0; k < pl->nsearch && !error; k++) {
		pw_pack *pack = pl->packs.v[k].pack;
		uint32_t n = pw_pack_count(pack), i;

		for (i = 0; i < n; i++) {
			uint32_t pos = i;
			pw_repo_entry *e;
			if ((storage_order && (error = pw_pack_order_nth(&pos, pack, i)) < 0))
				break;
			if (!(e = PW_ARRAY_ALLOC(out, 1024))) {
				error = pw__error_nomem();
				break;
			}
			e->pack = pack;
			if ((error = pw_pack_nth_oid(&e->id, pack, pos)) < 0 ||
			    (error = pw_pack_nth_offset(&e->offset, pack, pos)) < 0) {
				out->n--;
				break;
			}
		}
	}
	return error;
}

static size_t packlist_count(pw_source *src)
{
	pw_packlist *pl = PACKLIST(src);
	size_t k, n = 0;

	for (k = 0; k < pl->nsearch; k++)
		n += pw_pack_count(pl->packs.v[k].pack);
	return n;
}

static int packlist_prefix(pw_oids *out, pw_source *src, const pw_oid *prefix, size_t hexlen)
{
	pw_packlist *pl = PACKLIST(src);
	size_t k;
	int error = 0;

	for (k = 0; k < pl->nsearch && !error; k++) {
		pw_pack *pack = pl->packs.v[k].pack;
		uint32_t first, count, i;

		if ((error = pw_pack_prefix_range(&first, &count, pack, prefix, hexlen)) < 0)
			break;
		if (PW_ARRAY_RESERVE(out, out->n + count, 16) < 0)
			return pw__error_nomem();
		for (i = 0; i < count && !error; i++)
			if ((error = pw_pack_nth_oid(&out->v[out->n], pack, first + i)) == 0)
				out->n++;
	}
	return error;
}

static void packlist_free(pw_source *src)
{
	pw_packlist *pl = PACKLIST(src);
	size_t i;

	pw__midx_free_all(pl);
	for (i = 0; i < pl->packs.n; i++) {
		pw_pack_free(pl->packs.v[i].pack);
		pw__free(pl->packs.v[i].idx_path);
	}
	PW_ARRAY_FREE(&pl->packs);
	pw__free((void *)pl->mru);
	pl->mru = NULL;
	pl->mru_cap = 0;
	pl->nlive = pl->nsearch = 0;
	pthread_mutex_destroy(&pl->mru_lock);
}

const pw_source_ops pw__packlist_ops = {
	"packs",
	packlist_find,
	pw__packed_read,
	pw__packed_info,
	pw__packed_stream,
	packlist_collect,
	packlist_count,
	packlist_prefix,
	packlist_refresh,
	packlist_free,
};

/* ---- the public view of the pack list ---- */

size_t pw_repo_pack_count(pw_repo *repo)
{
	size_t n;

	pthread_rwlock_rdlock(&repo->lock);
	n = repo->packs.nlive;
	pthread_rwlock_unlock(&repo->lock);
	return n;
}

pw_pack *pw_repo_pack(pw_repo *repo, size_t n)
{
	pw_pack *p = NULL;

	pthread_rwlock_rdlock(&repo->lock);
	if (n < repo->packs.nlive)
		p = repo->packs.packs.v[n].pack;
	pthread_rwlock_unlock(&repo->lock);
	return p;
}

/* Does NAME`ext` stand beside the pack NAME.pack? */
static int beside(const char *pack_path, const char *ext)
{
	char path[PATH_MAX];
	size_t len = strlen(pack_path);
	struct stat st;

	if (len < 5 || snprintf(path, sizeof(path), "%.*s%s", (int)(len - 5), pack_path, ext) >=
	    (int)sizeof(path))
		return 0;
	return stat(path, &st) == 0;
}

unsigned int pw_repo_pack_flags(pw_repo *repo, size_t n)
{
	unsigned int flags = 0;
	const char *path;

	pthread_rwlock_rdlock(&repo->lock);
	if (n < repo->packs.nlive) {
		/* asked for rarely (packcat packs): looked at now, never in the lookup path */
		path = pw_pack_path(repo->packs.packs.v[n].pack);
		flags |= beside(path, ".keep") ? PW_PACK_KEEP : 0;
		flags |= beside(path, ".promisor") ? PW_PACK_PROMISOR : 0;
		flags |= beside(path, ".mtimes") ? PW_PACK_CRUFT : 0;
		flags |= repo->packs.packs.v[n].covered ? PW_PACK_MIDX : 0;
	}
	pthread_rwlock_unlock(&repo->lock);
	return flags;
}

void pw_repo_get_stats(pw_repo_stats *out, pw_repo *repo)
{
	pw_packlist *pl = &repo->packs;
	size_t i;

	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&repo->lock);
	out->packs = pl->nlive;
	for (i = 0; i < pl->nlive; i++) {
		out->packs_idx_loaded += pw_pack_idx_loaded(pl->packs.v[i].pack) == 1;
		out->midx_packs += pl->packs.v[i].covered;
	}
	for (i = pl->nlive; i < pl->packs.n; i++)
		out->packs_released += pl->packs.v[i].released;
	for (i = 0; i < repo->sources.n; i++)
		if (repo->sources.v[i]->ops == &pw__midx_ops)
			out->midx_files += pw__midx_layers(repo->sources.v[i]);
	pthread_rwlock_unlock(&repo->lock);
	out->midx_fallbacks = atomic_load(&repo->midx_fallbacks);
	out->bad_objects = pw__bad_count(repo);
	out->rescans = atomic_load(&repo->rescans);
}
