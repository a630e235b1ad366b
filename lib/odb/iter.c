/* iter.c: iteration over every object of every source, in oid order or in storage order, each object once. */
#include <stdlib.h>
#include <string.h>

#include "odb/internal.h"
#include "pack/internal.h" /* pw__pack_walk_begin: a lone pack walked stays */
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

static int cmp_entry(const void *a, const void *b)
{
	return pw_oid_cmp(&((const pw_repo_entry *)a)->id, &((const pw_repo_entry *)b)->id);
}

/* A set of ids, open addressing; for de-duplicating across sources. */
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

typedef struct collect {
	pw_entries e;
	int storage_order;
	size_t nonempty;    /* sources that gave something (one alone needs no merging) */
	int single_pack;    /* ... and that one was one pack, already in oid order */
	/*
	 * Asked for by pw_repo_foreach: when the one pack of the pack list
	 * is all there is, set `lone` to it and collect nothing: it is walked
	 * in place, without the list (48 bytes an object: 41 MiB for git's
	 * own 849k objects).
	 */
	int lone_ok;
	pw_pack *lone;
} collect;

/* Passes of a collection at most while the packs keep changing under it. */
#define COLLECT_PASSES 4
/* Descriptors of the budget below which a lone pack is not walked in place (see lone_pack). */
#define LONE_MIN_FDS 8

/* Is the one uncovered pack all there is? Every other source is asked (and must be empty). */
static int lone_pack(collect *c, pw_repo *repo)
{
	pw_wm_options wo;
	size_t i;
	int error;

	/* the walk holds the idx's descriptor: not from a budget of a few */
	pw_wm_get_options(&wo, repo->wm);
	if (repo->packs.nsearch != 1 || wo.fd_limit < LONE_MIN_FDS)
		return 0;
	for (i = 0; i < repo->sources.n; i++) {
		pw_source *src = repo->sources.v[i];
		if (src == &repo->packs.base)
			continue;
		if ((error = src->ops->collect(&c->e, src, c->storage_order)) < 0)
			return error;
		if (c->e.n) {
			c->e.n = 0; /* something else: the whole list, in source order */
			return 0;
		}
	}
	/* under the repository's lock: no rescan releases it before the walk holds it */
	if ((error = pw__pack_walk_begin(repo->packs.packs.v[0].pack)) < 0)
		return error;
	c->lone = repo->packs.packs.v[0].pack;
	return 1;
}

static int collect_once(pw_repo *repo, void *arg, int *no_retry)
{
	collect *c = arg;
	size_t i, want = 0;
	int error = 0;

	c->e.n = 0;
	c->nonempty = 0;
	c->lone = NULL;
	if (c->lone_ok && (error = lone_pack(c, repo)) != 0)
		return error < 0 ? error : 0;
	/* the sources know their counts: one allocation of the right size (loose grows it) */
	for (i = 0; i < repo->sources.n; i++)
		want += repo->sources.v[i]->ops->count(repo->sources.v[i]);
	if (want && PW_ARRAY_RESERVE(&c->e, want, 1024) < 0)
		return pw__error_nomem();
	c->single_pack = 0;
	for (i = 0; i < repo->sources.n && !error; i++) {
		size_t before = c->e.n;
		error = repo->sources.v[i]->ops->collect(&c->e, repo->sources.v[i], c->storage_order);
		if (c->e.n > before) {
			c->nonempty++;
			/* one pack alone, through its idx, is in oid order already */
			c->single_pack = repo->sources.v[i] == &repo->packs.base && repo->packs.nsearch == 1;
		}
	}
	c->single_pack = c->single_pack && c->nonempty == 1;
	return error;
}

/*
 * Of the copies v[0..n) of one object, the one a lookup by id reads (git's
 * --batch-all-objects looks every id up): the first source in order that
 * has it, its packs most recently used first. Under the repository's lock.
 * Copies are rare (a repack that kept an object twice), so asking costs
 * little.
 */
static size_t copy_looked_up(pw_repo *repo, const pw_repo_entry *v, size_t n)
{
	size_t i, k, best = 0;

	for (i = 0; i < repo->sources.n; i++) {
		pw_source *src = repo->sources.v[i];
		pw_objloc loc = { .keep_bad = 0 }; /* the copy a lookup reads: a good one */
		int error = src->ops->find(&loc, src, &v[0].id);
		if (error == PW_ENOTFOUND)
			continue;
		if (error == 0)
			for (k = 0; k < n; k++)
				if (v[k].pack == loc.pack && (!loc.pack || v[k].offset == loc.offset))
					best = k;
		break;
	}
	pw_error_clear();
	return best;
}

int pw__repo_collect(pw_repo_entry **out, size_t *count, pw_pack **lone, pw_repo *repo,
	pw_foreach_order order)
{
	collect c = { PW_ARRAY_INIT, order == PW_FOREACH_UNORDERED, 0, 0, lone != NULL, NULL };
	idset seen = { NULL, NULL, 0, 0 };
	size_t i, w = 0;
	int error, attempt;

	*out = NULL;
	*count = 0;
	if (lone)
		*lone = NULL;
	/*
	 * Checked by a look at the packs after: a repack that moved objects
	 * from loose files or a pack this list lacks into a pack it lacks
	 * too would otherwise hide them (the loose files are read as they
	 * are now). A list found stale so is made again from the packs just
	 * seen; a repository repacked faster than it is listed gets the last
	 * pass. A pack removed or replaced meanwhile: the retry starts again
	 * from a new list.
	 */
	for (attempt = 0;; attempt++) {
		uint64_t gen = atomic_load(&repo->generation);

		if ((error = pw__sources_retry(repo, collect_once, &c)) < 0)
			goto out;
		if ((error = pw_repo_rescan(repo)) < 0)
			goto out;
		if (atomic_load(&repo->generation) == gen || attempt + 1 >= COLLECT_PASSES)
			break;
		if (c.lone) {
			pw__pack_walk_end(c.lone);
			c.lone = NULL;
		}
	}
	if (c.lone) {
		*lone = c.lone;
		goto out;
	}

	if (order == PW_FOREACH_SORTED) {
		int copies = 0;

		/* one pack alone is already in idx order */
		if (!c.single_pack)
			qsort(c.e.v, c.e.n, sizeof(*c.e.v), cmp_entry);
		for (i = 1; i < c.e.n && !copies; i++)
			copies = !pw_oid_cmp(&c.e.v[i - 1].id, &c.e.v[i].id);
		/* copies are looked up, and the search order replayed, under one hold of the lock */
		if (copies)
			pthread_rwlock_rdlock(&repo->lock);
		for (i = 0; i < c.e.n;) {
			size_t run = 1;
			while (i + run < c.e.n && !pw_oid_cmp(&c.e.v[i].id, &c.e.v[i + run].id))
				run++;
			if (run > 1) {
				c.e.v[w++] = c.e.v[i + copy_looked_up(repo, c.e.v + i, run)];
			} else {
				/*
				 * git looks each id up in turn, each hit moving its
				 * pack to the front: which copy of an object that has
				 * several a lookup finds depends on that order.
				 */
				if (copies && c.e.v[i].pack)
					pw__packlist_touch(&repo->packs, c.e.v[i].pack);
				c.e.v[w++] = c.e.v[i];
			}
			i += run;
		}
		if (copies)
			pthread_rwlock_unlock(&repo->lock);
	} else if (!c.single_pack) {
		/* each id once, where it is met first (git's --unordered does the same) */
		for (i = 0; i < c.e.n; i++) {
			int added = idset_add(&seen, &c.e.v[i].id);
			if (added < 0) {
				error = added;
				goto out;
			}
			if (added)
				c.e.v[w++] = c.e.v[i];
		}
	} else {
		w = c.e.n;
	}
	*out = c.e.v;
	*count = w;
	c.e.v = NULL;
out:
	if (error < 0 && c.lone)
		pw__pack_walk_end(c.lone);
	PW_ARRAY_FREE(&c.e);
	pw__free(seen.slots);
	pw__free(seen.used);
	return error;
}

int pw__lone_entry(pw_repo_entry *out, pw_pack *pack, pw_foreach_order order, uint32_t i)
{
	uint32_t pos = i;
	int error;

	memset(out, 0, sizeof(*out));
	out->pack = pack;
	if ((order == PW_FOREACH_UNORDERED && (error = pw_pack_order_nth(&pos, pack, i)) < 0) ||
	    (error = pw_pack_nth_oid(&out->id, pack, pos)) < 0 ||
	    (error = pw_pack_nth_offset(&out->offset, pack, pos)) < 0)
		return error;
	return 0;
}

/*
 * Every object of one pack, in idx or pack order, read from the idx (and
 * .rev) through the window manager. Packs are never freed while the
 * repository is open, so the pack outlives a rescan beside the walk.
 */
static int walk_lone(pw_pack *pack, pw_foreach_order order, pw_foreach_cb cb, void *payload)
{
	uint32_t n = pw_pack_count(pack), i;
	pw_repo_entry e;
	int error = 0;

	for (i = 0; i < n && !error; i++)
		if (!(error = pw__lone_entry(&e, pack, order, i)))
			error = cb(&e, payload);
	return error;
}

int pw_repo_foreach(pw_repo *repo, pw_foreach_order order, pw_foreach_cb cb, void *payload)
{
	pw_repo_entry *v;
	pw_pack *lone;
	size_t n, i;
	int error;

	if ((error = pw__repo_collect(&v, &n, &lone, repo, order)) < 0)
		return error;
	if (lone) {
		error = walk_lone(lone, order, cb, payload);
		pw__pack_walk_end(lone);
		return error;
	}
	for (i = 0; i < n && !error; i++)
		error = cb(&v[i], payload);
	pw__free(v);
	return error;
}
