/* walk.c: reachability walks over commits, trees and tags confined to a set of packs — the closure proof of a bundle made of existing packs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "odb/parse.h"
#include "odb/walk.h"
#include "odb/midx.h"
#include "pack/bitmap.h"
#include "pack/internal.h" /* pw__pack_ref_deltas: the entry headers read in one sweep */
#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"
#include "util/banned.h"

/*
 * The ids the walks have met: open addressing over a power-of-two table,
 * kept at most half full, never shrunk, nothing ever removed. Ids are
 * hashes already, so their first bytes are the hash and the slot's tag (a
 * tag of 0 marks an empty slot; an id starting with eight zero bytes gets
 * tag 1). Each id carries the walk that met it: GEN_PROVED once a walk
 * succeeded (its whole closure is in the packs), else the number of the
 * walk, which counts only while that walk runs — a failed walk's ids are
 * then as good as absent without being taken out. One lookup per id
 * answers "proved or met by this walk", the question the walk asks a few
 * million times. The all-zero id never names an object (the walk treats
 * it as missing before it reaches the set).
 */
#define GEN_PROVED 0

struct slot {
	pw_oid id;
	uint64_t gen;
};

struct oidset {
	uint64_t *tags;             /* per slot: the id's first 8 bytes (never 0), 0 when empty */
	struct slot *slots;
	size_t mask, count;
	PW_ARRAY(size_t) cur;       /* the slots the current walk marked */
};

static const pw_oid zero_oid;

static int is_zero(const pw_oid *id)
{
	return !memcmp(id, &zero_oid, sizeof(*id));
}

static uint64_t tag_of(const pw_oid *id)
{
	uint64_t h;

	memcpy(&h, id->id, sizeof(h));
	return h ? h : 1;
}

/* The slot holding `id`, or the empty one where it would go (the table has one). */
static size_t oidset_find(const struct oidset *s, const pw_oid *id)
{
	uint64_t tag = tag_of(id);
	size_t i;

	/* over the dense tags (eight a cache line), whole ids compared only where they agree */
	for (i = (size_t)tag & s->mask; s->tags[i]; i = (i + 1) & s->mask)
		if (s->tags[i] == tag && !memcmp(&s->slots[i].id, id, sizeof(*id)))
			break;
	return i;
}

/*
 * Start loading the cache lines a lookup of `id` will probe first. A
 * tree's entries are looked up a batch at a time, so that the table's
 * cache misses (it is many times the cache: 40 bytes an object) overlap
 * instead of following one another: most of the walk's time went there.
 */
static void oidset_prefetch(const struct oidset *s, const pw_oid *id)
{
	size_t i;

	if (!s->tags)
		return;
	i = (size_t)tag_of(id) & s->mask;
	__builtin_prefetch(&s->tags[i]);
	__builtin_prefetch(&s->slots[i]);
}

/* Proved, or met by walk `gen`? */
static int oidset_visited(const struct oidset *s, const pw_oid *id, uint64_t gen)
{
	size_t i;

	if (!s->tags)
		return 0;
	i = oidset_find(s, id);
	return s->tags[i] && (s->slots[i].gen == GEN_PROVED || s->slots[i].gen == gen);
}

/* Room for one more id (the table doubles past half full). */
static int oidset_reserve(struct oidset *s)
{
	struct oidset n;
	size_t size = s->tags ? s->mask + 1 : 0, i, j;

	if (PW_ARRAY_RESERVE(&s->cur, s->cur.n + 1, 256) < 0)
		return pw__error_nomem();
	if ((s->count + 1) * 2 <= size)
		return 0;
	size = size ? size * 2 : 256;
	if (size > SIZE_MAX / sizeof(struct slot))
		return pw__error_nomem();
	n.tags = pw__calloc(size, sizeof(uint64_t));
	n.slots = pw__malloc(size * sizeof(struct slot));
	if (!n.tags || !n.slots) {
		pw__free(n.tags);
		pw__free(n.slots);
		return pw__error_nomem();
	}
	n.mask = size - 1;
	n.count = s->count;
	n.cur = s->cur;
	for (i = 0; s->tags && i <= s->mask; i++) {
		if (!s->tags[i])
			continue;
		j = oidset_find(&n, &s->slots[i].id);
		n.tags[j] = s->tags[i];
		n.slots[j] = s->slots[i];
	}
	/* the current walk's slots moved: find them again */
	for (i = 0; i < n.cur.n; i++)
		n.cur.v[i] = oidset_find(&n, &s->slots[n.cur.v[i]].id);
	pw__free(s->tags);
	pw__free(s->slots);
	*s = n;
	return 0;
}

/* Proved or met by walk `gen` already: 1; else marked as met by it, 0 (room was reserved). */
static int oidset_visit(struct oidset *s, const pw_oid *id, uint64_t gen)
{
	size_t i = oidset_find(s, id);

	if (s->tags[i]) {
		if (s->slots[i].gen == GEN_PROVED || s->slots[i].gen == gen)
			return 1;
	} else {
		s->tags[i] = tag_of(id);
		s->slots[i].id = *id;
		s->count++;
	}
	s->slots[i].gen = gen;
	s->cur.v[s->cur.n++] = i;
	return 0;
}

/* The current walk succeeded: what it met is proved. */
static void oidset_prove(struct oidset *s)
{
	size_t i;

	for (i = 0; i < s->cur.n; i++)
		s->slots[s->cur.v[i]].gen = GEN_PROVED;
	s->cur.n = 0;
}

static void oidset_dispose(struct oidset *s)
{
	pw__free(s->tags);
	pw__free(s->slots);
	PW_ARRAY_FREE(&s->cur);
	s->tags = NULL;
	s->slots = NULL;
	s->mask = s->count = 0;
}

/* An object still to visit, and the type whatever names it says it has (PW_OBJ_NONE: a tip, any type). */
struct todo {
	pw_oid id;
	pw_object_t want;
};

/* Tree entries looked up together (see oidset_prefetch). */
#define TREE_BATCH 16

struct walk {
	pw_pack *const *packs;
	size_t npacks;
	pw__bitmap **bitmaps;       /* per pack: its checked .bitmap, or NULL */
	/* the multi-pack-index of the packs' folder, when its checked bitmap covers packs of the set */
	pw_midx *midx;
	pw__bitmap *midx_bm;
	uint32_t *midx_bit_of;      /* per object of the multi-pack-index: its bit */
	unsigned char *in_midx;     /* per pack: the multi-pack-index (and its bitmap) holds it */
	pw_cursor midx_cur;
	pw__closure_stats *stats;
	pw_oid_t type;
	struct oidset ids;          /* ids proved, or met by the current walk */
	uint64_t gen;               /* the current walk (1, 2, ...: one per tip) */
	PW_ARRAY(struct todo) stack;
};

static int push(struct walk *w, const pw_oid *id, pw_object_t want)
{
	struct todo *t = PW_ARRAY_ALLOC(&w->stack, 64);

	if (!t)
		return pw__error_nomem();
	t->id = *id;
	t->want = want;
	return 0;
}

/* Which pack of the set holds `id` (its index), and where: 1, or 0 when none does. */
static int find(size_t *pack, uint64_t *off, struct walk *w, const pw_oid *id)
{
	size_t i;
	int err;

	for (i = 0; i < w->npacks; i++) {
		err = pw_pack_find(off, w->packs[i], id);
		if (err == 0) {
			*pack = i;
			return 1;
		}
		if (err != PW_ENOTFOUND)
			return err;
	}
	pw_error_clear();
	return 0;
}

/* Errors that say "this object cannot be served" rather than "the walk cannot go on". */
static int object_fault(int err)
{
	return err == PW_ENOTFOUND || err == PW_ECORRUPT || err == PW_EVERIFY ||
		err == PW_EUNSUPPORTED;
}

/* Queue what the object `obj` (of type `type`) points at. 1 pushed, 0 malformed (the tip fails), < 0 error. */
static int expand(struct walk *w, const pw_object *obj, pw_object_t type)
{
	const unsigned char *data = pw_object_data(obj);
	size_t len = pw_object_size(obj), i;
	int err = 0, rc;

	switch (type) {
	case PW_OBJ_COMMIT: {
		pw__commit c;

		if (pw__commit_parse(&c, data, len, w->type) < 0) {
			pw__commit_dispose(&c);
			return 0;
		}
		err = push(w, &c.tree, PW_OBJ_TREE);
		for (i = 0; !err && i < c.parents.n; i++)
			err = push(w, &c.parents.v[i], PW_OBJ_COMMIT);
		pw__commit_dispose(&c);
		return err < 0 ? err : 1;
	}
	case PW_OBJ_TAG: {
		pw__tag t;

		if (pw__tag_parse(&t, data, len, w->type) < 0)
			return 0;
		return (err = push(w, &t.object, t.type)) < 0 ? err : 1;
	}
	case PW_OBJ_TREE: {
		pw__tree_iter it;
		pw__tree_entry e;
		struct todo batch[TREE_BATCH];
		size_t n = 0;

		pw__tree_iter_init(&it, data, len, w->type);
		do {
			if ((rc = pw__tree_next(&e, &it)) > 0) {
				pw_object_t et = pw__tree_entry_type(e.mode);
				/* A gitlink names a commit of another repository: never in these packs. */
				if (et == PW_OBJ_COMMIT)
					continue;
				batch[n].id = e.id;
				batch[n].want = et;
				oidset_prefetch(&w->ids, &e.id);
				if (++n < TREE_BATCH)
					continue;
			}
			for (i = 0; i < n; i++)
				if (!oidset_visited(&w->ids, &batch[i].id, w->gen) &&
				    (err = push(w, &batch[i].id, batch[i].want)) < 0)
					return err;
			n = 0;
		} while (rc > 0);
		return rc < 0 ? 0 : 1;
	}
	default:
		return 1;
	}
}

/* Walk from one tip: 1 when its closure is in the packs (and then proved in w->ids), 0 when not. */
static int walk_tip(struct walk *w, const pw_oid *tip)
{
	struct todo t;
	pw_object *obj;
	pw_object_t type;
	size_t pack = 0;
	uint64_t off = 0;
	int err, rc;

	w->stack.n = 0;
	w->gen++;
	w->ids.cur.n = 0;
	if ((err = push(w, tip, PW_OBJ_NONE)) < 0)
		return err;
	while (w->stack.n > 0) {
		t = w->stack.v[--w->stack.n];
		if (is_zero(&t.id))
			return 0;
		if ((err = oidset_reserve(&w->ids)) < 0)
			return err;
		if (oidset_visit(&w->ids, &t.id, w->gen))
			continue;
		if ((rc = find(&pack, &off, w, &t.id)) <= 0)
			return rc;
		/*
		 * In a pack with a bitmap, whose FULL_DAG flag says all that any
		 * of its objects reaches is in it too: nothing to follow, once
		 * the type bitmaps agree with what named the object.
		 */
		if (w->bitmaps && w->bitmaps[pack]) {
			if ((err = pw__bitmap_type_at(&type, w->bitmaps[pack], w->packs[pack], off)) < 0)
				return err;
			/* as the walk below checks them: blobs are never read there */
			if (t.want != PW_OBJ_NONE && t.want != PW_OBJ_BLOB && type != t.want)
				return 0;
			if (w->stats)
				w->stats->bitmap_hits++;
			continue;
		}
		/* the same through the multi-pack-index's bitmap, its bit found by id */
		if (w->in_midx && w->in_midx[pack]) {
			uint32_t pos;

			err = pw__midx_find(&pos, w->midx, &w->midx_cur, &t.id);
			if (err < 0 && err != PW_ENOTFOUND)
				return err;
			if (err == 0) {
				type = pw__bitmap_type(w->midx_bm, w->midx_bit_of[pos]);
				if (t.want != PW_OBJ_NONE && t.want != PW_OBJ_BLOB && type != t.want)
					return 0;
				if (w->stats)
					w->stats->bitmap_hits++;
				continue;
			}
		}
		/* A blob has nothing to follow: being in the packs is all it needs. */
		if (t.want == PW_OBJ_BLOB)
			continue;
		if (w->stats)
			w->stats->objects_read++;
		if ((err = pw_pack_read_at(&obj, w->packs[pack], off)) < 0) {
			if (!object_fault(err))
				return err;
			pw_error_clear();
			return 0;
		}
		if (t.want != PW_OBJ_NONE && pw_object_type(obj) != t.want) {
			pw_object_free(obj);
			return 0;
		}
		rc = expand(w, obj, pw_object_type(obj));
		pw_object_free(obj);
		if (rc <= 0) {
			if (rc == 0)
				pw_error_clear();
			return rc;
		}
	}
	oidset_prove(&w->ids);
	return 1;
}

static void note_ignored(struct walk *w)
{
	/* walked instead, as git does with a bitmap it cannot load */
	if (w->stats)
		snprintf(w->stats->ignored, sizeof(w->stats->ignored), "%s", pw_error_last());
	pw_error_clear();
}

/* Does the file name `name` of a multi-pack-index ("pack-X.idx") name pack `p` ("…/pack-X.pack")? */
static int names_pack(const char *name, const pw_pack *p)
{
	const char *path = pw_pack_path(p), *base = strrchr(path, '/');
	size_t stem = strlen(name) > 4 ? strlen(name) - 4 : 0;

	base = base ? base + 1 : path;
	return stem && !strncmp(base, name, stem) && !strcmp(base + stem, ".pack") &&
		!strcmp(name + stem, ".idx");
}

/*
 * The multi-pack-index of the packs' folder and its bitmap, for the packs
 * of the set without a bitmap of their own, when every pack it covers is
 * in the set (its FULL_DAG promise is about all of them together).
 */
static int open_midx_bitmap(struct walk *w)
{
	const char *first = pw_pack_path(w->packs[0]), *slash = strrchr(first, '/');
	size_t dirlen = slash ? (size_t)(slash - first) + 1 : 0, i, j;
	char *path;
	int err;

	for (i = 0; i < w->npacks && w->bitmaps[i]; i++)
		;
	if (i == w->npacks)
		return 0;
	if (!(path = pw__malloc(dirlen + sizeof("multi-pack-index"))))
		return pw__error_nomem();
	memcpy(path, first, dirlen);
	memcpy(path + dirlen, "multi-pack-index", sizeof("multi-pack-index"));
	err = pw__midx_open(&w->midx, w->packs[0]->wm, path, w->type, NULL);
	pw__free(path);
	if (err < 0) {
		w->midx = NULL;
		if (err == PW_ENOMEM)
			return err;
		if (err == PW_ENOTFOUND)
			pw_error_clear();
		else
			note_ignored(w);
		return 0;
	}
	err = pw__midx_bitmap_open(&w->midx_bm, &w->midx_bit_of, w->midx, w->packs[0]->wm);
	if (err < 0) {
		if (err == PW_ENOMEM)
			return err;
		if (err == PW_ENOTFOUND)
			pw_error_clear();
		else
			note_ignored(w);
		return 0;
	}
	if (!(w->in_midx = pw__calloc(w->npacks, 1)))
		return pw__error_nomem();
	for (j = 0; j < w->midx->npacks; j++) {
		for (i = 0; i < w->npacks && !names_pack(w->midx->pack_names[j], w->packs[i]); i++)
			;
		if (i == w->npacks) {
			pw__error_set(PW_EINVALID,
				"%s: its bitmap covers %s, which is not among the packs", w->midx->path,
				w->midx->pack_names[j]);
			note_ignored(w);
			pw__free(w->in_midx);
			w->in_midx = NULL;
			return 0;
		}
		w->in_midx[i] = !w->bitmaps[i];
	}
	pw_cursor_init(&w->midx_cur, w->midx->f);
	if (w->stats)
		w->stats->bitmaps++;
	return 0;
}

/* The checked bitmap of each pack that has one; why the others' were not used goes to the stats. */
static int open_bitmaps(struct walk *w)
{
	size_t i;
	int err;

	if (!w->npacks || !(w->bitmaps = pw__calloc(w->npacks, sizeof(*w->bitmaps))))
		return w->npacks ? pw__error_nomem() : 0;
	for (i = 0; i < w->npacks; i++) {
		err = pw__pack_bitmap_open(&w->bitmaps[i], w->packs[i]);
		if (err == PW_ENOMEM)
			return err;
		if (err == 0 && w->stats)
			w->stats->bitmaps++;
		if (err < 0 && err != PW_ENOTFOUND)
			note_ignored(w);
	}
	return open_midx_bitmap(w);
}

int pw__repo_closure(unsigned char *ok, pw_repo *repo, pw_pack *const *packs, size_t npacks,
	const pw_oid *tips, size_t ntips, pw__closure_stats *stats)
{
	struct walk w;
	size_t i;
	int rc = 0;

	if (!ok || !repo || (npacks && !packs) || (ntips && !tips))
		return pw__error_set(PW_EINVALID, "closure: invalid argument");
	memset(&w, 0, sizeof(w));
	w.packs = packs;
	w.npacks = npacks;
	w.type = pw_repo_oid_type(repo);
	w.stats = stats;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	if ((rc = open_bitmaps(&w)) < 0)
		goto out;
	for (i = 0; i < ntips; i++) {
		if ((rc = walk_tip(&w, &tips[i])) < 0)
			break;
		ok[i] = (unsigned char)rc;
		rc = 0;
	}
out:
	for (i = 0; w.bitmaps && i < npacks; i++)
		pw__bitmap_free(w.bitmaps[i]);
	pw__free(w.bitmaps);
	if (w.in_midx)
		pw_cursor_release(&w.midx_cur);
	pw__free(w.in_midx);
	pw__bitmap_free(w.midx_bm);
	pw__free(w.midx_bit_of);
	pw__midx_free(w.midx);
	PW_ARRAY_FREE(&w.stack);
	oidset_dispose(&w.ids);
	return rc;
}

/* What the REF_DELTA scan of pack `self` looks for: its bases in the other packs. */
struct bases {
	pw_pack *const *packs;
	size_t npacks, self;
	pw__bases_problem *problem;
	pw_oid *base;
};

/* 1 (stop) with the problem set when `base` is not in exactly one pack of the set. */
static int check_base(const pw_oid *base, int in_pack, void *payload)
{
	struct bases *b = payload;
	size_t j, copies = in_pack != 0;
	uint64_t off;
	int err;

	for (j = 0; j < b->npacks && copies < 2; j++) {
		if (j == b->self)
			continue;
		err = pw_pack_find(&off, b->packs[j], base);
		if (err == 0)
			copies++;
		else if (err != PW_ENOTFOUND)
			return err;
	}
	if (copies == 1)
		return 0;
	*b->problem = copies ? PW__BASES_DUPLICATE : PW__BASES_THIN;
	*b->base = *base;
	return 1;
}

int pw__packs_bases(pw__bases_problem *problem, pw_oid *base, pw_pack *const *packs,
	size_t npacks)
{
	struct bases b;
	int err;

	*problem = PW__BASES_OK;
	b.packs = packs;
	b.npacks = npacks;
	b.problem = problem;
	b.base = base;
	for (b.self = 0; b.self < npacks; b.self++) {
		if ((err = pw__pack_ref_deltas(packs[b.self], check_base, &b)) < 0)
			return err;
		pw_error_clear();
		if (err > 0)
			return 0;
	}
	return 0;
}
