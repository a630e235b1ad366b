/* sources.c: the repository's object sources — lookups over them and the one rescan-and-retry loop. */
#include <stdio.h>
#include <string.h>

#include "odb/internal.h"
#include "pack/internal.h" /* pw__object_alloc: the built-in empty tree */
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/*
 * Lookups retried after a rescan while git keeps changing the pack list. A
 * rescan that changes nothing ends the retries; this bound only keeps a
 * directory that never settles from holding a reader forever. One `git
 * repack -ad` passes through many states (temporary pack, renames of
 * .pack, .rev and .idx, old packs deleted one file at a time), and a slow
 * reader (TSan, a loaded machine) can see each of them: 8 attempts were
 * used up within one repack (1 read in ~15,000 under TSan).
 */
#define MAX_ATTEMPTS 64

/*
 * The list in git's order: the multi-pack-indexes (each object directory's
 * in turn), the packs none of them covers, then the loose objects.
 */
static int rebuild(pw_repo *repo)
{
	pw_source **slot;
	int error;

	repo->sources.n = 0;
	if ((error = pw__midx_add_sources(&repo->packs)) < 0)
		return error;
	if (!(slot = PW_ARRAY_ALLOC(&repo->sources, 4)))
		return pw__error_nomem();
	*slot = &repo->packs.base;
	if (!(slot = PW_ARRAY_ALLOC(&repo->sources, 4)))
		return pw__error_nomem();
	*slot = &repo->loose;
	return 0;
}

int pw__sources_init(pw_repo *repo)
{
	/* readers nest (a REF_DELTA base fetched from another pack): never let a writer starve them into deadlock */
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_READER_NP);
	pthread_rwlock_init(&repo->lock, &attr);
	pthread_rwlockattr_destroy(&attr);

	repo->packs.base.ops = &pw__packlist_ops;
	repo->packs.base.repo = repo;
	pthread_mutex_init(&repo->packs.mru_lock, NULL);
	repo->loose.ops = &pw__loose_ops;
	repo->loose.repo = repo;
	return rebuild(repo);
}

void pw__sources_free(pw_repo *repo)
{
	/* the multi-pack-indexes belong to the packs source */
	repo->packs.base.ops->free(&repo->packs.base);
	PW_ARRAY_FREE(&repo->sources);
	pthread_rwlock_destroy(&repo->lock);
}

int pw_repo_rescan(pw_repo *repo)
{
	size_t i, changed = 0;
	int error = 0;

	pw_source *fixed[2] = { &repo->packs.base, &repo->loose };

	atomic_fetch_add_explicit(&repo->rescans, 1, memory_order_relaxed);
	pthread_rwlock_wrlock(&repo->lock);
	/* the packs source refreshes the multi-pack-indexes too: they come and go with it */
	for (i = 0; i < 2 && !error; i++)
		error = fixed[i]->ops->refresh(fixed[i], &changed);
	if (!error)
		error = rebuild(repo);
	if (changed)
		atomic_fetch_add(&repo->generation, 1);
	pthread_rwlock_unlock(&repo->lock);
	return error;
}

int pw__retryable(int error)
{
	return error == PW_ENOTFOUND || error == PW_ECHANGED;
}

int pw__sources_retry(pw_repo *repo, int (*fn)(pw_repo *repo, void *arg, int *no_retry), void *arg)
{
	int attempt, error;

	for (attempt = 0;; attempt++) {
		int no_retry = 0, rerr;
		uint64_t gen;

		pthread_rwlock_rdlock(&repo->lock);
		gen = atomic_load(&repo->generation);
		error = fn(repo, arg, &no_retry);
		pthread_rwlock_unlock(&repo->lock);
		if (no_retry || !pw__retryable(error) || attempt + 1 >= MAX_ATTEMPTS)
			return error;
		/* a concurrent repack moves objects into a new pack and deletes the old ones */
		if ((rerr = pw_repo_rescan(repo)) < 0)
			return rerr;
		if (atomic_load(&repo->generation) == gen)
			return error; /* nothing changed: looking again cannot help */
	}
}

/* ---- looking one object up ---- */

typedef struct lookup lookup;
struct lookup {
	const pw_oid *id;
	int (*op)(lookup *l, const pw_objloc *loc);
	int found;          /* some source has the object (its failure keeps its own message) */
	int started;        /* bytes went out to the caller: never run again */
	pw_object **obj;
	pw_object_info *info;
	unsigned info_flags;
	pw_object_t *type;
	uint64_t *size;
	pw_stream_cb cb;
	void *payload;
};

/*
 * The first source that has the object answers. A packed copy that fails
 * for a reason in its data (and before any byte reached the caller) is
 * marked, said once, and the next copy tried (the same source may hold
 * another: find skips marked entries), as git's mark_bad_packed_object
 * and retry do. When no good copy is left, the first failure is the
 * answer; on a later lookup a marked copy is read again for it (`keep_bad`
 * pass), so an object stays corrupt, not missing, while nothing else has it.
 */
static int lookup_once(pw_repo *repo, void *arg, int *no_retry)
{
	lookup *l = arg;
	char why[512];
	int first = 0, keep_bad;
	size_t i;
	int error;

	l->found = 0;
	for (keep_bad = 0; keep_bad < 2; keep_bad++) {
		for (i = 0; i < repo->sources.n; i++) {
			pw_source *src = repo->sources.v[i];
			pw_objloc loc = { .keep_bad = keep_bad };

			error = src->ops->find(&loc, src, l->id);
			if (error == PW_ENOTFOUND)
				continue;
			if (error < 0)
				return error;
			l->found = 1;
			error = l->op(l, &loc);
			*no_retry = l->started;
			if (error >= 0 || l->started || !loc.pack || keep_bad ||
			    !(pw__bad_data_error(error) || error == PW_ENOTFOUND))
				return error;
			if (!first) {
				first = error;
				snprintf(why, sizeof(why), "%s", pw_error_last());
			}
			pw__bad_report(repo, loc.pack, loc.offset, l->id, pw_error_last());
			if (!pw__bad_has(repo, loc.pack, loc.offset))
				break; /* not remembered (no memory): asking again would meet it again */
			i--; /* the same source may have another copy */
		}
		if (first)
			return pw__error_set(first, "%s", why);
		if (!pw__bad_count(repo))
			break;
	}
	return PW_ENOTFOUND;
}

static int op_read(lookup *l, const pw_objloc *loc);
static int op_info(lookup *l, const pw_objloc *loc);
static int op_stream(lookup *l, const pw_objloc *loc);

/* git's built-in objects: the empty tree exists in every repository, stored or not. */
static int is_empty_tree(const pw_repo *repo, const pw_oid *id)
{
	static const char sha1[] = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
	static const char sha256[] = "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321";
	int is256 = repo->oid_type == PW_OID_SHA256;
	pw_oid empty;

	/* most ids differ in the first byte: no parsing for them */
	if (id->id[0] != (is256 ? 0x6e : 0x4b) ||
	    pw_oid_fromhex(&empty, is256 ? sha256 : sha1, repo->oid_type) < 0)
		return 0;
	return !pw_oid_cmp(&empty, id);
}

/*
 * The empty tree as git's find_cached_object gives it, before any
 * source (so a stored copy is not read): no bytes, on disk 0, no base.
 */
static int builtin_empty_tree(lookup *l)
{
	if (l->op == op_read)
		return pw__object_alloc(l->obj, PW_OBJ_TREE, 0);
	if (l->op == op_info) {
		memset(l->info, 0, sizeof(*l->info));
		l->info->type = PW_OBJ_TREE;
		return 0;
	}
	if (l->op == op_stream) {
		*l->type = PW_OBJ_TREE;
		*l->size = 0;
	}
	return 0;
}

static int lookup_run(pw_repo *repo, lookup *l)
{
	int error;

	if (is_empty_tree(repo, l->id))
		return builtin_empty_tree(l);
	error = pw__sources_retry(repo, lookup_once, l);

	/* a miss in a source that has the object (its REF_DELTA base is missing) keeps its own message */
	if (error == PW_ENOTFOUND && !l->found) {
		char hex[PW_OID_MAX_HEXSZ + 1];
		return pw__repo_error(repo, PW_ENOTFOUND, "object %s not found",
			pw_oid_tostr(hex, l->id, repo->oid_type));
	}
	return error;
}

static int op_read(lookup *l, const pw_objloc *loc)
{
	return loc->src->ops->read(l->obj, loc, l->id, 0);
}

/* A read by id of `id` itself, replace refs not applied. */
static int read_id(pw_object **out, pw_repo *repo, const pw_oid *id)
{
	lookup l = { .id = id, .op = op_read, .obj = out };

	*out = NULL;
	return lookup_run(repo, &l);
}

int pw_repo_read(pw_object **out, pw_repo *repo, const pw_oid *id)
{
	int error;

	*out = NULL;
	if ((error = pw__replace_lookup(&id, repo, id)) < 0)
		return error;
	return read_id(out, repo, id);
}

static int op_exists(lookup *l, const pw_objloc *loc)
{
	return 0;
}

int pw_repo_exists(pw_repo *repo, const pw_oid *id)
{
	lookup l = { .id = id, .op = op_exists };
	return lookup_run(repo, &l);
}

static int op_info(lookup *l, const pw_objloc *loc)
{
	memset(l->info, 0, sizeof(*l->info));
	return loc->src->ops->info(l->info, loc, l->id, l->info_flags);
}

int pw_repo_info(pw_object_info *out, pw_repo *repo, const pw_oid *id, unsigned int flags)
{
	lookup l = { .op = op_info, .info = out, .info_flags = flags };
	int error;

	if ((error = pw__replace_lookup(&l.id, repo, id)) < 0)
		return error;
	return lookup_run(repo, &l);
}

static int stream_cb(const unsigned char *data, size_t len, void *payload)
{
	lookup *l = payload;
	l->started = 1;
	return l->cb(data, len, l->payload);
}

static int op_stream(lookup *l, const pw_objloc *loc)
{
	int error = loc->src->ops->stream(l->type, l->size, loc, l->id, stream_cb, l);

	/* once bytes went out, a file changing underneath is the end: a second attempt would repeat them */
	if (l->started && error == PW_ENOTFOUND)
		return pw__error_wrap(PW_ECHANGED);
	return error;
}

int pw_repo_stream(pw_object_t *type_out, uint64_t *size_out, pw_repo *repo,
	const pw_oid *id, pw_stream_cb cb, void *payload)
{
	lookup l = { .op = op_stream, .type = type_out, .size = size_out,
		.cb = cb, .payload = payload };
	int error;

	if ((error = pw__replace_lookup(&l.id, repo, id)) < 0)
		return error;
	return lookup_run(repo, &l);
}

int pw_repo_read_entry(pw_object **out, pw_repo *repo, const pw_repo_entry *entry)
{
	if (entry->pack) {
		int error = pw_pack_read_at(out, entry->pack, entry->offset);
		/* this copy is bad: marked, and the lookup by id reads another (or this one's error again) */
		if (pw__bad_data_error(error)) {
			pw__bad_report(repo, entry->pack, entry->offset, &entry->id, pw_error_last());
			pw_error_clear();
			return read_id(out, repo, &entry->id);
		}
		/* its pack was removed or replaced since the iteration began: look the id up anew */
		if (!pw__retryable(error))
			return error;
		pw_error_clear();
	}
	return read_id(out, repo, &entry->id);
}

/*
 * A REF_DELTA base outside its pack: any source may have it. Called from
 * inside a read (the lock is already held for reading, and taken again:
 * the lock prefers readers, so this cannot deadlock); never rescans. The
 * pack layer bounds the nesting (`depth`, PW_PACK_MAX_BASE_HOPS).
 */
int pw__base_lookup(pw_object **out, const pw_oid *id, unsigned depth, void *payload)
{
	pw_repo *repo = payload;
	char why[512];
	int first = 0, keep_bad;
	size_t i;
	int error = PW_ENOTFOUND;

	pthread_rwlock_rdlock(&repo->lock);
	/* as lookup_once: good copies first, the next after one that fails, then a bad one again */
	for (keep_bad = 0; keep_bad < 2 && error == PW_ENOTFOUND && !first; keep_bad++) {
		for (i = 0; i < repo->sources.n; i++) {
			pw_source *src = repo->sources.v[i];
			pw_objloc loc = { .keep_bad = keep_bad };

			error = src->ops->find(&loc, src, id);
			if (error == PW_ENOTFOUND)
				continue;
			if (error < 0)
				break;
			error = src->ops->read(out, &loc, id, depth);
			if (error < 0 && loc.pack && !keep_bad && pw__bad_data_error(error)) {
				if (!first) {
					first = error;
					snprintf(why, sizeof(why), "%s", pw_error_last());
				}
				pw__bad_report(repo, loc.pack, loc.offset, id, pw_error_last());
				if (pw__bad_has(repo, loc.pack, loc.offset)) {
					i--;
					error = PW_ENOTFOUND;
					continue;
				}
			}
			break;
		}
		if (!pw__bad_count(repo))
			break;
	}
	pthread_rwlock_unlock(&repo->lock);
	if (error == PW_ENOTFOUND && first)
		return pw__error_set(first, "%s", why);
	return error;
}
