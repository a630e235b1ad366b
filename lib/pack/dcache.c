/* dcache.c: the delta-base cache — resolved objects by (pack, offset), LRU under a byte budget. */
#include <string.h>

#include "pack/internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/list.h"
#include "util/banned.h"

typedef struct centry {
	const pw_pack *pack;
	uint64_t offset;
	pw_object *obj;
	struct centry *hnext;            /* bucket chain */
	pw_list lru;                     /* LRU list: head is most recent */
} centry;

struct pw_dcache {
	pthread_mutex_t lock;
	size_t budget;
	centry **buckets;
	size_t nbuckets; /* power of two */
	pw_list lru;     /* centry.lru, most recent first */
	pw_dcache_stats st;
};

/*
 * What an entry really costs: the content, the object and entry headers, and
 * malloc's own overhead. Counting only the content let a cache of small
 * trees and commits use twice its budget.
 */
static size_t charge(const pw_object *obj)
{
	return obj->size + sizeof(pw_object) + sizeof(centry) + 48;
}

static size_t hash_key(const pw_pack *p, uint64_t offset)
{
	uint64_t h = offset * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)p * 0xff51afd7ed558ccdull;
	return (size_t)(h ^ (h >> 29));
}

int pw_dcache_new(pw_dcache **out, size_t budget)
{
	pw_dcache *c = pw__calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return pw__error_nomem();
	c->budget = budget ? budget : (96u << 20);
	c->nbuckets = 1024;
	if (!(c->buckets = pw__calloc(c->nbuckets, sizeof(*c->buckets)))) {
		pw__free(c);
		return pw__error_nomem();
	}
	pw__list_init(&c->lru);
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

/* Take `e` out of the table and the LRU list; the caller frees it (unlocked, see free_list). */
static void unlink_entry(pw_dcache *c, centry *e)
{
	centry **pp = &c->buckets[hash_key(e->pack, e->offset) & (c->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	pw__list_remove(&e->lru);
	c->st.bytes -= charge(e->obj);
	c->st.entries--;
}

/*
 * Free entries chained through `hnext`. Called after unlocking: freeing a
 * large object may unmap it, and readers on other threads waited for that
 * inside the lock (docs/PERFORMANCE.md: the cache lock in batch --all).
 */
static void free_list(centry *e)
{
	while (e) {
		centry *next = e->hnext;
		pw_object_free(e->obj);
		pw__free(e);
		e = next;
	}
}

static void remove_entry(pw_dcache *c, centry *e)
{
	unlink_entry(c, e);
	e->hnext = NULL;
	free_list(e);
}

void pw_dcache_free(pw_dcache *c)
{
	if (!c)
		return;
	while (!pw__list_empty(&c->lru))
		remove_entry(c, PW_LIST_ENTRY(pw__list_first(&c->lru), centry, lru));
	pw__free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	pw__free(c);
}

void pw_dcache_get_stats(pw_dcache_stats *out, pw_dcache *c)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}

pw_object *pw__dcache_get(pw_dcache *c, const pw_pack *p, uint64_t offset)
{
	pw_object *obj = NULL;
	centry *e;

	pthread_mutex_lock(&c->lock);
	for (e = c->buckets[hash_key(p, offset) & (c->nbuckets - 1)]; e; e = e->hnext)
		if (e->offset == offset && e->pack == p)
			break;
	if (e) {
		c->st.hits++;
		pw__list_move_front(&c->lru, &e->lru);
		/* take the reference under the lock: once unlocked, e may be evicted and reused */
		obj = pw__object_ref(e->obj);
	} else {
		c->st.misses++;
	}
	pthread_mutex_unlock(&c->lock);
	return obj;
}

static void grow(pw_dcache *c)
{
	size_t n = c->nbuckets * 2, i;
	centry **b = pw__calloc(n, sizeof(*b));

	if (!b)
		return; /* keep the old table: longer chains, still correct */
	for (i = 0; i < c->nbuckets; i++) {
		centry *e = c->buckets[i], *next;
		for (; e; e = next) {
			size_t h = hash_key(e->pack, e->offset) & (n - 1);
			next = e->hnext;
			e->hnext = b[h];
			b[h] = e;
		}
	}
	pw__free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

void pw__dcache_put(pw_dcache *c, const pw_pack *p, uint64_t offset, pw_object *obj)
{
	centry *e, *fresh, *evicted = NULL;
	size_t h;

	/* an object bigger than a quarter of the budget would only flush the rest */
	if (charge(obj) > c->budget / 4)
		return;
	if (!(fresh = pw__malloc(sizeof(*fresh))))
		return;
	pthread_mutex_lock(&c->lock);
	h = hash_key(p, offset) & (c->nbuckets - 1);
	for (e = c->buckets[h]; e; e = e->hnext)
		if (e->offset == offset && e->pack == p)
			goto out;
	while (!pw__list_empty(&c->lru) && c->st.bytes + charge(obj) > c->budget) {
		centry *t = PW_LIST_ENTRY(pw__list_last(&c->lru), centry, lru);
		unlink_entry(c, t);
		t->hnext = evicted;
		evicted = t;
		c->st.evictions++;
	}
	e = fresh;
	fresh = NULL;
	e->pack = p;
	e->offset = offset;
	e->obj = pw__object_ref(obj);
	e->hnext = c->buckets[h];
	c->buckets[h] = e;
	pw__list_push_front(&c->lru, &e->lru);
	c->st.bytes += charge(obj);
	if (c->st.bytes > c->st.bytes_peak)
		c->st.bytes_peak = c->st.bytes;
	c->st.entries++;
	if (c->st.entries > c->nbuckets)
		grow(c);
out:
	pthread_mutex_unlock(&c->lock);
	pw__free(fresh);
	free_list(evicted);
}

void pw__dcache_drop(pw_dcache *c, const pw_pack *p, uint64_t offset)
{
	centry *e;

	pthread_mutex_lock(&c->lock);
	for (e = c->buckets[hash_key(p, offset) & (c->nbuckets - 1)]; e; e = e->hnext)
		if (e->offset == offset && e->pack == p)
			break;
	if (e) {
		unlink_entry(c, e);
		e->hnext = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	free_list(e);
}

void pw__dcache_forget(pw_dcache *c, const pw_pack *p)
{
	pw_list *it, *tmp;

	pthread_mutex_lock(&c->lock);
	PW_LIST_FOREACH_SAFE(it, tmp, &c->lru) {
		centry *e = PW_LIST_ENTRY(it, centry, lru);
		if (e->pack == p)
			remove_entry(c, e);
	}
	pthread_mutex_unlock(&c->lock);
}
