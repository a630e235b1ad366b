/* objects.c: objects of a repository — the pack list (scan, rescan), lookup, read, iteration, abbreviations. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/str.h"
#include "util/banned.h"

/* How deep REF_DELTA bases may be fetched from pack to pack (each hop may nest). */
#define MAX_BASE_HOPS 64
/* Lookups retried after a rescan, at most, while git keeps changing the pack list. */
#define MAX_ATTEMPTS 8

static _Thread_local unsigned base_hops;

static int find_in_packs(pw_packent **pe_out, uint64_t *off, pw_repo *repo, const pw_oid *id);

/* A REF_DELTA base outside its pack: another pack or a loose object. */
static int base_lookup(pw_object **out, const pw_oid *id, void *payload)
{
	pw_repo *repo = payload;
	pw_packent *pe;
	uint64_t off;
	int error;

	if (base_hops >= MAX_BASE_HOPS)
		return pw__repo_error(repo, PW_ECORRUPT,
			"REF_DELTA bases nested across packs deeper than %u (a cycle?)", MAX_BASE_HOPS);
	base_hops++;
	pthread_rwlock_rdlock(&repo->packs_lock);
	error = find_in_packs(&pe, &off, repo, id);
	if (!error)
		error = pw_pack_read_at(out, pe->pack, off);
	else if (error == PW_ENOTFOUND)
		error = pw__loose_read(out, repo, id);
	pthread_rwlock_unlock(&repo->packs_lock);
	base_hops--;
	return error;
}

static int cmp_mtime_desc(const void *a, const void *b)
{
	const pw_packent *x = a, *y = b;
	if (x->dead != y->dead)
		return x->dead - y->dead;
	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : strcmp(x->idx_path, y->idx_path);
}

static void file_id(pw_file_id *out, const struct stat *st)
{
	out->dev = st->st_dev;
	out->ino = st->st_ino;
	out->size = st->st_size;
	out->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	out->mtime_nsec = st->st_mtim.tv_nsec;
}

static int same_file(const pw_file_id *id, const struct stat *st)
{
	return id->dev == st->st_dev && id->ino == st->st_ino && id->size == st->st_size &&
		id->mtime_sec == (int64_t)st->st_mtim.tv_sec && id->mtime_nsec == st->st_mtim.tv_nsec;
}

/* `ist`, `pst`: the idx and the pack as stat saw them before opening (a later change is then seen). */
static int add_pack(pw_repo *repo, const char *idx_path, const struct stat *ist,
	const struct stat *pst)
{
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_packent *pe;
	pw_pack *pack;
	int error;

	po.oid_type = repo->oid_type;
	po.dcache = repo->dcache;
	po.max_object_size = repo->max_object_size;
	po.base_lookup = base_lookup;
	po.base_payload = repo;
	if ((error = pw_pack_open(&pack, repo->wm, idx_path, &po)) < 0)
		return error;
	if (repo->npacks == repo->packs_cap) {
		size_t n = repo->packs_cap ? repo->packs_cap * 2 : 8;
		pw_packent *v = pw__realloc(repo->packs, n * sizeof(*v));
		if (!v) {
			pw_pack_free(pack);
			return pw__error_nomem();
		}
		repo->packs = v;
		repo->packs_cap = n;
	}
	pe = &repo->packs[repo->npacks];
	memset(pe, 0, sizeof(*pe));
	pe->pack = pack;
	pe->mtime = (int64_t)pst->st_mtime;
	file_id(&pe->idx_id, ist);
	file_id(&pe->pack_id, pst);
	pe->seen = 1;
	if (!(pe->idx_path = pw__strdup(idx_path))) {
		pw_pack_free(pack);
		return pw__error_nomem();
	}
	repo->npacks++;
	return 0;
}

/* Register the packs of `objdir` not registered yet; `*added` counts them. */
static int scan_dir(pw_repo *repo, const char *objdir, size_t *added)
{
	char packdir[PATH_MAX], path[PATH_MAX], packpath[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int error = 0;

	if ((size_t)snprintf(packdir, sizeof(packdir), "%s/pack", objdir) >= sizeof(packdir))
		return pw__error_set(PW_ELIMIT, "%s: path too long", objdir);
	if (!(dir = opendir(packdir)))
		return 0; /* no packs yet */
	while (!error && (de = readdir(dir)) != NULL) {
		struct stat ist, pst;
		size_t i, len = strlen(de->d_name);
		int known = 0;

		if (!pw__has_suffix(de->d_name, ".idx") || strncmp(de->d_name, "pack-", 5))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", packdir, de->d_name) >= sizeof(path))
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
		for (i = 0; i < repo->npacks; i++)
			if (!repo->packs[i].dead && !strcmp(repo->packs[i].idx_path, path)) {
				/*
				 * `git repack -a` of unchanged objects renames a new pack
				 * of the same name over the old one: once our descriptors
				 * are closed the old files cannot be re-opened, so the
				 * entry goes dead and the new files are registered.
				 */
				if (same_file(&repo->packs[i].idx_id, &ist) &&
				    same_file(&repo->packs[i].pack_id, &pst)) {
					repo->packs[i].seen = 1;
					known = 1;
				}
				break;
			}
		if (known)
			continue;
		error = add_pack(repo, path, &ist, &pst);
		if (!error)
			(*added)++;
		if (error == PW_ENOTFOUND || error == PW_ECHANGED) {
			/* removed while we looked: a concurrent repack */
			pw_error_clear();
			error = 0;
		}
	}
	closedir(dir);
	return error;
}

int pw_repo_rescan(pw_repo *repo)
{
	size_t i, changed = 0;
	int error = 0;

	pthread_rwlock_wrlock(&repo->packs_lock);
	for (i = 0; i < repo->npacks; i++)
		repo->packs[i].seen = 0;
	for (i = 0; i < repo->ndirs && !error; i++)
		error = scan_dir(repo, repo->dirs[i].path, &changed);
	if (!error) {
		/* packs gone from disk stay allocated (callers may hold them) but are skipped */
		for (i = 0; i < repo->npacks; i++)
			if (!repo->packs[i].seen && !repo->packs[i].dead) {
				repo->packs[i].dead = 1;
				changed++;
			}
		if (repo->npacks > 1)
			qsort(repo->packs, repo->npacks, sizeof(*repo->packs), cmp_mtime_desc);
		atomic_store_explicit(&repo->last_hit, 0, memory_order_relaxed);
	}
	if (changed)
		atomic_fetch_add(&repo->generation, 1);
	pthread_rwlock_unlock(&repo->packs_lock);
	return error;
}

/*
 * After a lookup against pack list `gen` failed in a way a concurrent
 * repack explains: rescan, and say whether looking again can help (the
 * list changed since, by this rescan or another thread's). 0: look again;
 * 1: do not; < 0: the rescan failed.
 */
static int rescan_for_retry(pw_repo *repo, uint64_t gen)
{
	int error = pw_repo_rescan(repo);

	if (error < 0)
		return error;
	return atomic_load(&repo->generation) == gen;
}

static size_t live_packs(pw_repo *repo)
{
	size_t n = 0;
	while (n < repo->npacks && !repo->packs[n].dead)
		n++;
	return n; /* dead packs sort last */
}

size_t pw_repo_pack_count(pw_repo *repo)
{
	size_t n;

	pthread_rwlock_rdlock(&repo->packs_lock);
	n = live_packs(repo);
	pthread_rwlock_unlock(&repo->packs_lock);
	return n;
}

pw_pack *pw_repo_pack(pw_repo *repo, size_t n)
{
	pw_pack *p = NULL;

	pthread_rwlock_rdlock(&repo->packs_lock);
	if (n < live_packs(repo))
		p = repo->packs[n].pack;
	pthread_rwlock_unlock(&repo->packs_lock);
	return p;
}

/* Under the read lock: the pack holding `id`, starting with the last one that answered. */
static int find_in_packs(pw_packent **pe_out, uint64_t *off, pw_repo *repo, const pw_oid *id)
{
	size_t n = live_packs(repo), i;
	size_t hint = atomic_load_explicit(&repo->last_hit, memory_order_relaxed);

	for (i = 0; i < n; i++) {
		size_t k = (hint + i) % n;
		pw_packent *pe = &repo->packs[k];
		int error = pw_pack_find(off, pe->pack, id);
		if (error == 0) {
			if (k != hint)
				atomic_store_explicit(&repo->last_hit, k, memory_order_relaxed);
			*pe_out = pe;
			return 0;
		}
		if (error != PW_ENOTFOUND)
			return error;
	}
	return PW_ENOTFOUND;
}

static int not_found(pw_repo *repo, const pw_oid *id)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	return pw__repo_error(repo, PW_ENOTFOUND, "object %s not found",
		pw_oid_tostr(hex, id, repo->oid_type));
}

/* A pack that vanished or changed underneath: worth a rescan, not a failure. */
static int retryable(int error)
{
	return error == PW_ENOTFOUND || error == PW_ECHANGED;
}

typedef int (*object_op)(pw_repo *repo, pw_pack *pack, uint64_t off, const pw_oid *id, void *arg);

/*
 * Run `op` on wherever `id` lives: a pack, else the loose objects. On a
 * miss or a pack file gone or replaced, rescan the pack directories and
 * retry while that changes the pack list, so that an object moved by a
 * concurrent repack is never reported missing.
 */
static int with_object(pw_repo *repo, const pw_oid *id, object_op op, void *arg)
{
	int attempt, error = PW_ENOTFOUND, in_pack = 0;

	for (attempt = 0;; attempt++) {
		pw_packent *pe;
		uint64_t off, gen;

		pthread_rwlock_rdlock(&repo->packs_lock);
		gen = atomic_load(&repo->generation);
		error = find_in_packs(&pe, &off, repo, id);
		in_pack = !error;
		if (!error)
			error = op(repo, pe->pack, off, id, arg);
		else if (error == PW_ENOTFOUND)
			error = op(repo, NULL, 0, id, arg);
		pthread_rwlock_unlock(&repo->packs_lock);
		if (!retryable(error) || attempt + 1 >= MAX_ATTEMPTS)
			break;
		if (rescan_for_retry(repo, gen) != 0)
			break;
	}
	/* a miss in a pack that has the object (its REF_DELTA base is missing) keeps its own message */
	if (error == PW_ENOTFOUND && !in_pack)
		return not_found(repo, id);
	return error;
}

static int op_read(pw_repo *repo, pw_pack *pack, uint64_t off, const pw_oid *id, void *arg)
{
	return pack ? pw_pack_read_at(arg, pack, off) : pw__loose_read(arg, repo, id);
}

int pw_repo_read(pw_object **out, pw_repo *repo, const pw_oid *id)
{
	*out = NULL;
	return with_object(repo, id, op_read, out);
}

static int op_exists(pw_repo *repo, pw_pack *pack, uint64_t off, const pw_oid *id, void *arg)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	if (pack)
		return 0;
	for (i = 0; i < repo->ndirs; i++)
		if (pw__loose_path(path, sizeof(path), &repo->dirs[i], id, repo->oid_type) == 0 &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	return PW_ENOTFOUND;
}

int pw_repo_exists(pw_repo *repo, const pw_oid *id)
{
	return with_object(repo, id, op_exists, NULL);
}

typedef struct info_arg {
	pw_object_info *out;
	int want_base;
} info_arg;

static int op_info(pw_repo *repo, pw_pack *pack, uint64_t off, const pw_oid *id, void *arg)
{
	info_arg *a = arg;
	pw_object_info *out = a->out;
	pw_pack_entry e;
	int error;

	memset(out, 0, sizeof(*out));
	if (!pack) {
		out->pack = NULL;
		return pw__loose_info(&out->type, &out->size, &out->disk_size, repo, id);
	}
	out->pack = pack;
	out->offset = off;
	if ((error = pw_pack_read_header(&out->type, &out->size, pack, off)) < 0)
		return error;
	if ((error = pw_pack_entry_at(&e, pack, off)) < 0)
		return error;
	out->disk_size = e.packed_size;
	if (a->want_base) {
		if (e.type == PW_OBJ_OFS_DELTA)
			error = pw_pack_offset_oid(&out->delta_base, pack, e.base_offset);
		else if (e.type == PW_OBJ_REF_DELTA)
			out->delta_base = e.base_id;
	}
	return error;
}

int pw_repo_info(pw_object_info *out, pw_repo *repo, const pw_oid *id, int want_base)
{
	info_arg a = { out, want_base };
	return with_object(repo, id, op_info, &a);
}

typedef struct stream_arg {
	pw_object_t *type;
	uint64_t *size;
	pw_stream_cb cb;
	void *payload;
	int started;
} stream_arg;

static int stream_cb(const unsigned char *data, size_t len, void *payload)
{
	stream_arg *a = payload;
	a->started = 1;
	return a->cb(data, len, a->payload);
}

static int op_stream(pw_repo *repo, pw_pack *pack, uint64_t off, const pw_oid *id, void *arg)
{
	stream_arg *a = arg;
	int error = pack ? pw_pack_stream_at(a->type, a->size, pack, off, stream_cb, a) :
		pw__loose_stream(a->type, a->size, repo, id, stream_cb, a);
	/* no retry once bytes went out: a second attempt would repeat them */
	if (error == PW_ECHANGED && a->started)
		return pw__error_set(PW_ECHANGED, "%s", pw_error_last());
	return error;
}

int pw_repo_stream(pw_object_t *type_out, uint64_t *size_out, pw_repo *repo,
	const pw_oid *id, pw_stream_cb cb, void *payload)
{
	stream_arg a = { type_out, size_out, cb, payload, 0 };
	return with_object(repo, id, op_stream, &a);
}

int pw_repo_read_entry(pw_object **out, pw_repo *repo, const pw_repo_entry *entry)
{
	if (entry->pack) {
		int error = pw_pack_read_at(out, entry->pack, entry->offset);
		/* its pack was removed or replaced since the iteration began: look the id up anew */
		if (!retryable(error))
			return error;
		pw_error_clear();
	}
	return pw_repo_read(out, repo, &entry->id);
}

/* ---- iteration ---- */

typedef struct entries {
	pw_repo_entry *v;
	size_t n, alloc;
} entries;

static int entries_push(entries *e, const pw_oid *id, pw_pack *pack, uint64_t off)
{
	if (e->n == e->alloc) {
		size_t na = e->alloc ? e->alloc * 2 : 1024;
		pw_repo_entry *v = pw__realloc(e->v, na * sizeof(*v));
		if (!v)
			return pw__error_nomem();
		e->v = v;
		e->alloc = na;
	}
	e->v[e->n].id = *id;
	e->v[e->n].pack = pack;
	e->v[e->n].offset = off;
	e->n++;
	return 0;
}

static int push_loose(const pw_oid *id, void *payload)
{
	return entries_push(payload, id, NULL, 0);
}

static int cmp_entry(const void *a, const void *b)
{
	return pw_oid_cmp(&((const pw_repo_entry *)a)->id, &((const pw_repo_entry *)b)->id);
}

/* A set of ids, open addressing; for de-duplicating across packs. */
typedef struct idset {
	pw_oid *slots;
	unsigned char *used;
	size_t cap, n;
} idset;

static size_t id_hash(const pw_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h)); /* ids are uniformly distributed */
	return h;
}

/* 1 if newly added, 0 if present, <0 on error */
static int idset_add(idset *s, const pw_oid *id)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		idset t = { NULL, NULL, s->cap ? s->cap * 2 : 4096, 0 };
		if (!(t.slots = pw__malloc(t.cap * sizeof(*t.slots))) ||
		    !(t.used = pw__calloc(t.cap, 1))) {
			pw__free(t.slots);
			return pw__error_nomem();
		}
		for (i = 0; i < s->cap; i++)
			if (s->used[i])
				idset_add(&t, &s->slots[i]);
		pw__free(s->slots);
		pw__free(s->used);
		*s = t;
	}
	for (i = id_hash(id) & (s->cap - 1); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (!pw_oid_cmp(&s->slots[i], id))
			return 0;
	s->used[i] = 1;
	s->slots[i] = *id;
	s->n++;
	return 1;
}

static int collect_pack(entries *e, pw_pack *pack, int pack_order)
{
	uint32_t n = pw_pack_count(pack), i;
	int error = 0;

	for (i = 0; i < n && !error; i++) {
		uint32_t pos = i;
		uint64_t off;
		pw_oid id;
		if ((pack_order && (error = pw_pack_order_nth(&pos, pack, i)) < 0) ||
		    (error = pw_pack_nth_oid(&id, pack, pos)) < 0 ||
		    (error = pw_pack_nth_offset(&off, pack, pos)) < 0)
			break;
		error = entries_push(e, &id, pack, off);
	}
	return error;
}

int pw__repo_collect(pw_repo_entry **out, size_t *count, pw_repo *repo, pw_foreach_order order)
{
	entries e = { NULL, 0, 0 };
	idset seen = { NULL, NULL, 0, 0 };
	size_t i, w = 0, npacks, nsources = 0;
	int error = 0;

	*out = NULL;
	*count = 0;
	for (int attempt = 0;; attempt++) {
		uint64_t gen;
		int rerr;

		e.n = 0;
		pthread_rwlock_rdlock(&repo->packs_lock);
		gen = atomic_load(&repo->generation);
		npacks = live_packs(repo);
		{
			/* the idx counts are known: one allocation of the right size (plus room for loose) */
			size_t want = 1024;
			for (i = 0; i < npacks; i++)
				want += pw_pack_count(repo->packs[i].pack);
			if (want > e.alloc) {
				pw_repo_entry *v = pw__realloc(e.v, want * sizeof(*v));
				if (v) {
					e.v = v;
					e.alloc = want;
				}
			}
		}
		for (i = 0; i < npacks && !error; i++)
			error = collect_pack(&e, repo->packs[i].pack, order == PW_FOREACH_UNORDERED);
		pthread_rwlock_unlock(&repo->packs_lock);
		/* a pack removed or replaced by a concurrent repack: start again from a new list */
		if (!retryable(error) || attempt + 1 >= MAX_ATTEMPTS)
			break;
		if ((rerr = rescan_for_retry(repo, gen)) != 0) {
			if (rerr < 0)
				error = rerr;
			break;
		}
		error = 0;
		pw_error_clear();
	}
	if (!error) {
		size_t before = e.n;
		error = pw__loose_foreach(repo, push_loose, &e);
		nsources = npacks + (e.n > before);
	}
	if (error)
		goto out;

	if (order == PW_FOREACH_SORTED) {
		/* one pack alone is already in idx order */
		if (nsources > 1 || (e.n && e.v[0].pack == NULL))
			qsort(e.v, e.n, sizeof(*e.v), cmp_entry);
		for (i = 0; i < e.n; i++)
			if (!w || pw_oid_cmp(&e.v[w - 1].id, &e.v[i].id))
				e.v[w++] = e.v[i];
	} else if (nsources > 1) {
		/* each id once, where it is met first (git's --unordered does the same) */
		for (i = 0; i < e.n; i++) {
			int added = idset_add(&seen, &e.v[i].id);
			if (added < 0) {
				error = added;
				goto out;
			}
			if (added)
				e.v[w++] = e.v[i];
		}
	} else {
		w = e.n;
	}
	*out = e.v;
	*count = w;
	e.v = NULL;
out:
	pw__free(e.v);
	pw__free(seen.slots);
	pw__free(seen.used);
	return error;
}

int pw_repo_foreach(pw_repo *repo, pw_foreach_order order, pw_foreach_cb cb, void *payload)
{
	pw_repo_entry *v;
	size_t n, i;
	int error;

	if ((error = pw__repo_collect(&v, &n, repo, order)) < 0)
		return error;
	for (i = 0; i < n && !error; i++)
		error = cb(&v[i], payload);
	pw__free(v);
	return error;
}

/* ---- abbreviations ---- */

#define MAX_CANDIDATES 16

typedef struct candidates {
	pw_oid v[MAX_CANDIDATES];
	size_t n;
	size_t total;
} candidates;

static void add_candidate(candidates *c, const pw_oid *id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!pw_oid_cmp(&c->v[i], id))
			return;
	c->total++;
	if (c->n < MAX_CANDIDATES)
		c->v[c->n++] = *id;
}

static int loose_prefix(candidates *c, pw_repo *repo, const char *hex, size_t hexlen)
{
	char path[PATH_MAX], full[PW_OID_MAX_HEXSZ + 1];
	size_t d;

	for (d = 0; d < repo->ndirs; d++) {
		struct dirent *de;
		DIR *dir;

		snprintf(path, sizeof(path), "%s/%.2s", repo->dirs[d].path, hex);
		if (!(dir = opendir(path)))
			continue;
		while ((de = readdir(dir)) != NULL) {
			pw_oid id;
			if (strlen(de->d_name) != repo->hexsz - 2 ||
			    strncmp(de->d_name, hex + 2, hexlen - 2))
				continue;
			memcpy(full, hex, 2);
			memcpy(full + 2, de->d_name, repo->hexsz - 2);
			full[repo->hexsz] = '\0';
			if (pw_oid_fromhex(&id, full, repo->oid_type) == 0)
				add_candidate(c, &id);
			else
				pw_error_clear();
		}
		closedir(dir);
	}
	return 0;
}

int pw_repo_find_prefix(pw_oid *out, pw_repo *repo, const char *hex_in, size_t hexlen)
{
	char hex[PW_OID_MAX_HEXSZ + 1], msg[1024];
	candidates c;
	pw_oid prefix;
	size_t i, n, len;
	int error = 0;

	if (hexlen < 4 || hexlen > repo->hexsz)
		return pw__error_set(PW_EINVALID, "'%.*s' is not an abbreviated object id (4 to %zu hex digits)",
			(int)(hexlen > 80 ? 80 : hexlen), hex_in, repo->hexsz);
	memset(&prefix, 0, sizeof(prefix));
	for (i = 0; i < hexlen; i++) {
		int v = pw__hexval((unsigned char)hex_in[i]);
		if (v < 0)
			return pw__error_set(PW_EINVALID, "'%.*s' is not a hex object id", (int)hexlen, hex_in);
		hex[i] = "0123456789abcdef"[v];
		prefix.id[i / 2] |= (unsigned char)(i % 2 ? v : v << 4);
	}
	hex[hexlen] = '\0';
	memset(&c, 0, sizeof(c));

	for (int attempt = 0;; attempt++) {
		uint64_t gen;
		int rerr;

		c.n = c.total = 0;
		error = 0;
		pthread_rwlock_rdlock(&repo->packs_lock);
		gen = atomic_load(&repo->generation);
		n = live_packs(repo);
		for (i = 0; i < n && !error; i++) {
			pw_pack *pack = repo->packs[i].pack;
			uint32_t first, count, k;
			if ((error = pw_pack_prefix_range(&first, &count, pack, &prefix, hexlen)) < 0)
				break;
			for (k = 0; k < count && k < MAX_CANDIDATES && !error; k++) {
				pw_oid id;
				if ((error = pw_pack_nth_oid(&id, pack, first + k)) == 0)
					add_candidate(&c, &id);
			}
			if (count > MAX_CANDIDATES)
				c.total += count - MAX_CANDIDATES;
		}
		pthread_rwlock_unlock(&repo->packs_lock);
		if (!error)
			error = loose_prefix(&c, repo, hex, hexlen);
		/* nothing found, or a pack gone: a concurrent repack may have moved things */
		if ((error ? !retryable(error) : c.n > 0) || attempt + 1 >= MAX_ATTEMPTS)
			break;
		if ((rerr = rescan_for_retry(repo, gen)) != 0) {
			if (rerr < 0)
				error = rerr;
			break;
		}
	}
	if (error)
		return error;
	if (c.n == 0)
		return pw__repo_error(repo, PW_ENOTFOUND, "no object starts with %s", hex);
	if (c.n == 1) {
		*out = c.v[0];
		return 0;
	}
	len = (size_t)snprintf(msg, sizeof(msg), "short object id %s is ambiguous; candidates:", hex);
	for (i = 0; i < c.n && len < sizeof(msg); i++) {
		char full[PW_OID_MAX_HEXSZ + 1];
		pw_object_info info;
		const char *tname = "?";
		if (pw_repo_info(&info, repo, &c.v[i], 0) == 0)
			tname = pw_object_type_name(info.type);
		else
			pw_error_clear();
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s %s", i ? "," : "",
			pw_oid_tostr(full, &c.v[i], repo->oid_type), tname);
	}
	if (c.total > c.n && len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, " and %zu more", c.total - c.n);
	*out = c.v[0];
	return pw__repo_error(repo, PW_EAMBIGUOUS, "%s", msg);
}
