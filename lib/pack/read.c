/* read.c: resolving an object — delta chains walked iteratively, bases from the cache. */
#include <stdio.h>
#include <string.h>

#include "pack/internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

typedef struct dlink {
	uint64_t offset;   /* entry */
	uint64_t data_at;  /* compressed delta data */
	uint64_t size;     /* delta size from the header */
} dlink;

typedef struct chain {
	dlink *v;
	size_t n, alloc;
	dlink small[32];
} chain;

static int chain_push(chain *c, const pw_pack_entry *e)
{
	if (c->n == c->alloc) {
		size_t na = c->alloc * 2;
		dlink *nv = pw__malloc(na * sizeof(*nv));
		if (!nv)
			return pw__error_nomem();
		memcpy(nv, c->v, c->n * sizeof(*nv));
		if (c->v != c->small)
			pw__free(c->v);
		c->v = nv;
		c->alloc = na;
	}
	c->v[c->n].offset = e->offset;
	c->v[c->n].data_at = e->offset + e->header_len;
	c->v[c->n].size = e->size;
	c->n++;
	return 0;
}

/*
 * The offset of a delta's base: OFS_DELTA says it; REF_DELTA asks the idx,
 * and when the base is not in this pack, the base_lookup hook (`*obj`).
 * A lazily opened pack whose idx is not loaded asks the hook first: whoever
 * gave the offset (a multi-pack-index) knows where the base is, this pack
 * included, without the idx. Only without a hook is the idx loaded for it.
 */
static int base_of(uint64_t *out, pw_object **obj, pw_pack *p, const pw_pack_entry *e,
	unsigned depth)
{
	if (e->type == PW_OBJ_OFS_DELTA) {
		uint32_t packpos;
		*out = e->base_offset;
		/*
		 * A base offset in the middle of an entry would be parsed as
		 * garbage. Once the reverse index is in memory (always during
		 * verification), checking costs one binary search.
		 */
		if (atomic_load_explicit(&p->rev_ready, memory_order_acquire) &&
		    pw__rev_find(&packpos, p, e->base_offset) < 0)
			return pw__pack_error(p, PW_ECORRUPT, e->offset,
				"delta base offset %llu is not the start of an entry",
				(unsigned long long)e->base_offset);
	} else {
		pw_cursor idxcur;
		uint32_t pos;
		int error, asked = 0;

		/* each hop may nest another read: the bound is here, for every hook */
		if (p->base_lookup && depth >= PW_PACK_MAX_BASE_HOPS)
			return pw__pack_error(p, PW_ECORRUPT, e->offset,
				"REF_DELTA bases nested across packs deeper than %u (a cycle?)",
				PW_PACK_MAX_BASE_HOPS);
		if (!pw__idx_loaded(p) && p->base_lookup) {
			error = p->base_lookup(obj, &e->base_id, depth + 1, p->base_payload);
			if (error == 0)
				return 0;
			if (error != PW_ENOTFOUND)
				return error;
			asked = 1; /* found nowhere by the hook: this pack's idx may still have it */
		}
		if ((error = pw__idx_ensure(p, "to find a REF_DELTA base")) < 0)
			return error;
		pw_cursor_init(&idxcur, p->idxf);
		error = pw__idx_find(&pos, p, &idxcur, &e->base_id);
		if (!error)
			error = pw__idx_nth_offset(out, p, &idxcur, pos);
		pw_cursor_release(&idxcur);
		if (error == PW_ENOTFOUND && p->base_lookup && !asked) {
			error = p->base_lookup(obj, &e->base_id, depth + 1, p->base_payload);
			if (error == 0)
				return 0;
		}
		if (error == PW_ENOTFOUND) {
			char hex[PW_OID_MAX_HEXSZ + 1];
			return pw__pack_error(p, PW_ENOTFOUND, e->offset,
				"delta base %s is not in this pack",
				pw_oid_tostr(hex, &e->base_id, p->oid_type));
		}
		if (error < 0)
			return error;
	}
	if (*out == e->offset)
		return pw__pack_error(p, PW_ECORRUPT, e->offset, "delta is its own base");
	return 0;
}

/*
 * Walk from `offset` towards the base, pushing every delta onto `c`, until a
 * non-delta entry or an object in the cache. `*base` gets the cached object,
 * or NULL with `*last` describing the non-delta entry to inflate.
 */
static int walk(chain *c, pw_object **base, pw_pack_entry *last, pw_pack *p,
	pw_cursor *cur, uint64_t offset, int use_cache, uint64_t *first_base, unsigned depth,
	uint64_t *fail_at)
{
	pw_pack_entry e;
	int error;

	*base = NULL;
	*first_base = UINT64_MAX;
	*fail_at = UINT64_MAX;
	for (;;) {
		if (use_cache && (*base = pw__dcache_get(p->dcache, p, offset)) != NULL)
			return 0;
		if ((error = pw__entry_parse(&e, p, cur, offset)) < 0) {
			*fail_at = offset;
			return error;
		}
		if (e.type != PW_OBJ_OFS_DELTA && e.type != PW_OBJ_REF_DELTA) {
			*last = e;
			return 0;
		}
		if (c->n >= p->max_depth)
			return pw__pack_error(p, PW_ECORRUPT, c->v[0].offset,
				"delta chain longer than %u entries (a cycle?)", p->max_depth);
		if ((error = chain_push(c, &e)) < 0)
			return error;
		/* the idx lookup of a REF_DELTA base may need the memory the pack window holds */
		if (e.type == PW_OBJ_REF_DELTA)
			pw_cursor_release(cur);
		if ((error = base_of(&offset, base, p, &e, depth)) < 0) {
			*fail_at = e.offset; /* its base reference is bad: the delta is */
			return error;
		}
		if (*base)
			return 0;
		if (c->n == 1)
			*first_base = offset;
	}
}

/*
 * Deflate expands at most 1032:1 (258 bytes from 2 bits), so a declared size
 * above 1032 times the bytes left before the trailer cannot be true: refuse
 * it before allocating that much for a few hostile bytes.
 */
#define MAX_INFLATE_RATIO 1032

/* Objects up to this size are streamed from memory, after inflating whole (see pw_pack_stream_at). */
#define STREAM_WHOLE_MAX ((uint64_t)1 << 20)

int pw__check_inflatable(pw_pack *p, uint64_t entry_offset, uint64_t data_at, uint64_t size,
	const char *what)
{
	uint64_t left = p->pack_size - p->rawsz - data_at; /* parsed: data_at <= the trailer */

	if (size / MAX_INFLATE_RATIO > left)
		return pw__pack_error(p, PW_ECORRUPT, entry_offset,
			"%s of %llu bytes cannot inflate from the %llu bytes left in the pack",
			what, (unsigned long long)size, (unsigned long long)left);
	return 0;
}

static int inflate_entry(pw_object **out, pw_pack *p, pw_cursor *cur, const pw_pack_entry *e)
{
	pw_object *obj;
	int error;

	if (e->size > p->max_object_size)
		return pw__pack_error(p, PW_ELIMIT, e->offset,
			"object of %llu bytes exceeds the limit of %llu",
			(unsigned long long)e->size, (unsigned long long)p->max_object_size);
	if ((error = pw__check_inflatable(p, e->offset, e->offset + e->header_len, e->size,
		"object")) < 0)
		return error;
	if ((error = pw__object_alloc(&obj, e->type, e->size)) < 0)
		return error;
	if ((error = pw__inflate_at(obj->data, e->size, p, cur,
		e->offset + e->header_len, e->offset)) < 0) {
		pw_object_free(obj);
		return error;
	}
	obj->data[obj->size] = '\0';
	*out = obj;
	return 0;
}

/* Apply the delta `l` to `base`, giving a new object of the base's type. */
static int apply_link(pw_object **out, pw_pack *p, pw_cursor *cur, const dlink *l,
	const pw_object *base)
{
	uint64_t base_size, result_size;
	unsigned char *delta = NULL;
	pw_object *obj = NULL;
	const char *why = NULL;
	size_t hdrlen;
	int error;

	if (l->size > p->max_object_size)
		return pw__pack_error(p, PW_ELIMIT, l->offset,
			"delta of %llu bytes exceeds the limit of %llu",
			(unsigned long long)l->size, (unsigned long long)p->max_object_size);
	if ((error = pw__check_inflatable(p, l->offset, l->data_at, l->size, "delta")) < 0)
		return error;
	if (!(delta = pw__malloc((size_t)l->size + 1)))
		return pw__error_nomem();
	if ((error = pw__inflate_at(delta, l->size, p, cur, l->data_at, l->offset)) < 0)
		goto out;
	if (pw__delta_sizes(&base_size, &result_size, &hdrlen, delta, (size_t)l->size) < 0) {
		error = pw__pack_error(p, PW_ECORRUPT, l->offset, "delta header is truncated");
		goto out;
	}
	if (base_size != base->size) {
		error = pw__pack_error(p, PW_ECORRUPT, l->offset,
			"delta expects a base of %llu bytes but the base has %zu",
			(unsigned long long)base_size, base->size);
		goto out;
	}
	if (result_size > p->max_object_size) {
		error = pw__pack_error(p, PW_ELIMIT, l->offset,
			"delta result of %llu bytes exceeds the limit of %llu",
			(unsigned long long)result_size, (unsigned long long)p->max_object_size);
		goto out;
	}
	/* each instruction byte makes at most 0x10000 bytes (a copy op) */
	if (result_size / 0x10000 > (uint64_t)l->size - hdrlen) {
		error = pw__pack_error(p, PW_ECORRUPT, l->offset,
			"delta of %llu instruction bytes cannot make %llu bytes",
			(unsigned long long)((uint64_t)l->size - hdrlen),
			(unsigned long long)result_size);
		goto out;
	}
	if ((error = pw__object_alloc(&obj, base->type, result_size)) < 0)
		goto out;
	if (pw__delta_apply(obj->data, result_size, base->data, base->size,
		delta + hdrlen, (size_t)l->size - hdrlen, &why) < 0) {
		error = pw__pack_error(p, PW_ECORRUPT, l->offset, "%s", why);
		goto out;
	}
	*out = obj;
	obj = NULL;
out:
	pw_object_free(obj);
	pw__free(delta);
	return error;
}

/* Cache an object, unless the pack knows it is no delta's base. */
static void cache_put(pw_pack *p, uint64_t offset, pw_object *obj)
{
	if (pw__rev_is_base(p, offset))
		pw__dcache_put(p->dcache, p, offset, obj);
}

/*
 * Is an entry that failed with `error` worth reading from another copy?
 * Only a reason in the data (and a REF_DELTA base found nowhere): budgets,
 * memory and files changing underneath are not the entry's fault.
 */
static int recoverable(const pw_pack *p, int error)
{
	return p->base_lookup && p->bad_entry &&
		(error == PW_ECORRUPT || error == PW_EVERIFY || error == PW_ENOTFOUND);
}

/*
 * The entry at `at`, a base on the way to the object asked for, failed
 * with `error`: get that object by id from any copy (git's unpack_entry
 * does the same), after telling the owner of the hooks, which marks the
 * entry so that the lookup skips it. The original error (and message)
 * when its id is unknown or no other copy reads.
 */
static int base_by_id(pw_object **out, pw_pack *p, uint64_t at, unsigned depth, int error)
{
	char why[512];
	pw_oid id;
	int e2;

	*out = NULL;
	snprintf(why, sizeof(why), "%s", pw_error_last());
	if (depth >= PW_PACK_MAX_BASE_HOPS || pw_pack_offset_oid(&id, p, at) < 0)
		goto fail;
	p->bad_entry(p, at, &id, why, p->base_payload);
	if ((e2 = p->base_lookup(out, &id, depth + 1, p->base_payload)) == 0)
		return 0;
	if (e2 == PW_ENOMEM || e2 == PW_ELIMIT)
		return e2; /* its own message */
fail:
	return pw__error_set(error, "%s", why);
}

static int read_entry(pw_object **out, pw_pack *p, pw_cursor *cur, uint64_t offset,
	unsigned depth, int recover)
{
	chain c = { NULL, 0, 32, { { 0, 0, 0 } } };
	uint64_t first_base, base_at = UINT64_MAX, fail_at;
	pw_object *obj = NULL;
	pw_pack_entry last;
	size_t i;
	int error;

	c.v = c.small;
	*out = NULL;
	recover = recover && p->base_lookup && p->bad_entry;
	if ((error = walk(&c, &obj, &last, p, cur, offset, 1, &first_base, depth, &fail_at)) < 0) {
		if (!recover || fail_at == UINT64_MAX || !recoverable(p, error))
			goto out;
		/* a delta whose base reference is bad is the last one pushed */
		if (c.n && c.v[c.n - 1].offset == fail_at)
			c.n--;
		base_at = fail_at;
	} else if (!obj) {
		base_at = last.offset;
		if ((error = inflate_entry(&obj, p, cur, &last)) < 0) {
			if (!recover || !recoverable(p, error))
				goto out;
		} else {
			cache_put(p, last.offset, obj);
		}
	}
	/*
	 * From the base up. A link that fails leaves `obj` NULL: that object
	 * (the base of the next link) comes by id from another copy, unless
	 * it is the one asked for, whose caller tries other copies itself.
	 */
	for (i = c.n;;) {
		pw_object *next = NULL;

		if (!obj) {
			if (base_at == offset)
				goto out;
			if ((error = base_by_id(&obj, p, base_at, depth, error)) < 0)
				goto out;
		}
		if (i-- == 0)
			break;
		error = apply_link(&next, p, cur, &c.v[i], obj);
		pw_object_free(obj);
		obj = next;
		if (error < 0) {
			if (!recover || !recoverable(p, error))
				goto out;
			base_at = c.v[i].offset;
			continue;
		}
		cache_put(p, c.v[i].offset, obj);
	}
	*out = obj;
	obj = NULL;
	/*
	 * During a scan (pw_pack_index_bases), a base whose deltas have all
	 * been read is not needed again: free its cache room now. In pack
	 * order this keeps the cache to the few bases still in use.
	 */
	if (c.n && first_base != UINT64_MAX && pw__rev_base_done(p, first_base))
		pw__dcache_drop(p->dcache, p, first_base);
out:
	pw_object_free(obj);
	if (c.v != c.small)
		pw__free(c.v);
	return error;
}

int pw__read_at(pw_object **out, pw_pack *p, pw_cursor *cur, uint64_t offset, unsigned depth)
{
	/* verification reads what this pack holds, never another copy */
	return read_entry(out, p, cur, offset, depth, 0);
}

int pw_pack_read_at(pw_object **out, pw_pack *p, uint64_t offset)
{
	return pw_pack_read_nested(out, p, offset, 0);
}

int pw_pack_read_nested(pw_object **out, pw_pack *p, uint64_t offset, unsigned int depth)
{
	pw_cursor cur;
	int error;

	pw_cursor_init(&cur, p->packf);
	error = read_entry(out, p, &cur, offset, depth, 1);
	pw_cursor_release(&cur);
	return error;
}

int pw_pack_read(pw_object **out, pw_pack *p, const pw_oid *id)
{
	uint64_t offset;
	int error;

	*out = NULL;
	if ((error = pw_pack_find(&offset, p, id)) < 0)
		return error;
	return pw_pack_read_at(out, p, offset);
}

int pw_pack_chain(pw_object_t *type_out, uint32_t *depth_out, pw_pack *p, uint64_t offset)
{
	chain c = { NULL, 0, 32, { { 0, 0, 0 } } };
	uint64_t first_base, fail_at;
	pw_object *cached;
	pw_pack_entry last;
	pw_cursor cur;
	int error;

	c.v = c.small;
	pw_cursor_init(&cur, p->packf);
	error = walk(&c, &cached, &last, p, &cur, offset, 0, &first_base, 0, &fail_at);
	pw_cursor_release(&cur);
	/* a base that does not parse: its type from another copy, as a read would get it */
	if (error < 0 && fail_at != UINT64_MAX && fail_at != offset && recoverable(p, error)) {
		if (c.n && c.v[c.n - 1].offset == fail_at)
			c.n--;
		error = base_by_id(&cached, p, fail_at, 0, error);
	}
	if (!error) {
		*type_out = cached ? cached->type : last.type;
		*depth_out = (uint32_t)c.n;
	}
	pw_object_free(cached);
	if (c.v != c.small)
		pw__free(c.v);
	return error;
}

int pw_pack_read_header(pw_object_t *type_out, uint64_t *size_out, pw_pack *p, uint64_t offset)
{
	return pw__read_header(type_out, size_out, p, offset, 1);
}

int pw__read_header(pw_object_t *type_out, uint64_t *size_out, pw_pack *p, uint64_t offset,
	int want_type)
{
	pw_pack_entry e;
	uint32_t depth;
	pw_cursor cur;
	int error;

	pw_cursor_init(&cur, p->packf);
	if ((error = pw__entry_parse(&e, p, &cur, offset)) < 0)
		goto out;
	*size_out = e.size;
	if (e.type == PW_OBJ_OFS_DELTA || e.type == PW_OBJ_REF_DELTA) {
		unsigned char head[20];
		uint64_t base_size;
		size_t got, hdrlen;
		if ((error = pw__inflate_head(head, sizeof(head), &got, p, &cur,
			offset + e.header_len, offset)) < 0)
			goto out;
		if (pw__delta_sizes(&base_size, size_out, &hdrlen, head, got) < 0) {
			error = pw__pack_error(p, PW_ECORRUPT, offset, "delta header is truncated");
			goto out;
		}
		pw_cursor_release(&cur);
		if (!want_type) {
			/* the size alone, but a delta whose base is nowhere has none (git checks that too) */
			*type_out = PW_OBJ_NONE;
			if (e.type == PW_OBJ_REF_DELTA && pw__idx_loaded(p)) {
				uint64_t at;
				pw_object *base = NULL;

				error = pw__pack_lookup(&at, p, &e.base_id);
				if (error == PW_ENOTFOUND && p->base_lookup)
					error = p->base_lookup(&base, &e.base_id, 1, p->base_payload);
				pw_object_free(base);
				if (error == PW_ENOTFOUND) {
					char hex[PW_OID_MAX_HEXSZ + 1];
					return pw__pack_error(p, PW_ENOTFOUND, offset,
						"delta base %s is not in this pack",
						pw_oid_tostr(hex, &e.base_id, p->oid_type));
				}
				return error;
			}
			return 0;
		}
		return pw_pack_chain(type_out, &depth, p, offset);
	}
	*type_out = e.type;
out:
	pw_cursor_release(&cur);
	return error;
}

int pw_pack_stream_at(pw_object_t *type_out, uint64_t *size_out, pw_pack *p,
	uint64_t offset, pw_stream_cb cb, void *payload)
{
	pw_object *obj = NULL;
	pw_pack_entry e;
	pw_cursor cur;
	int error;

	pw_cursor_init(&cur, p->packf);
	if ((error = pw__entry_parse(&e, p, &cur, offset)) < 0)
		goto out;
	if (e.type == PW_OBJ_OFS_DELTA || e.type == PW_OBJ_REF_DELTA) {
		/* a delta needs its whole base and result: resolve in memory */
		if ((error = read_entry(&obj, p, &cur, offset, 0, 1)) < 0)
			goto out;
		*type_out = obj->type;
		*size_out = obj->size;
		error = obj->size ? cb(obj->data, obj->size, payload) : 0;
		goto out;
	}
	/* never held whole: any size streams (max_object_size caps what is) */
	if ((error = pw__check_inflatable(p, offset, offset + e.header_len, e.size, "object")) < 0)
		goto out;
	/*
	 * A small object is inflated whole first: a zlib error (its checksum
	 * is at the end) then comes before any byte went out, and the caller
	 * can still read another copy. Only large ones are streamed as they
	 * inflate.
	 */
	if (e.size <= STREAM_WHOLE_MAX) {
		if ((error = inflate_entry(&obj, p, &cur, &e)) < 0)
			goto out;
		*type_out = e.type;
		*size_out = e.size;
		error = obj->size ? cb(obj->data, obj->size, payload) : 0;
		goto out;
	}
	*type_out = e.type;
	*size_out = e.size;
	error = pw__inflate_stream(e.size, p, &cur, offset + e.header_len, offset, cb, payload);
out:
	pw_object_free(obj);
	pw_cursor_release(&cur);
	return error;
}
