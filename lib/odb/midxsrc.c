/* midxsrc.c: the multi-pack-index sources — objects found by pack and offset without opening any covered pack's .idx. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/internal.h"
#include "odb/midx.h"
#include "pack/internal.h" /* pw__pack_lookup */
#include "util/alloc.h"
#include "util/error.h"
#include "util/str.h"
#include "util/banned.h"

/* Layers of a chain followed at most (git writes a handful; a longer list is hostile). */
#define MAX_LAYERS 1024

enum midx_kind { MIDX_SINGLE, MIDX_CHAIN };

/*
 * One multi-pack-index of one object directory: the single file
 * `pack/multi-pack-index`, or the chain of `pack/multi-pack-index.d/`.
 * Kept while its file is there, whether usable or not, so that one that
 * was found unusable is warned about once, not at every rescan.
 */
struct pw_midxsrc {
	pw_source base;
	size_t dir;
	enum midx_kind kind;
	int present;            /* the file was there at the last refresh */
	int usable;             /* loaded, its packs there: in the source list */
	_Atomic int distrusted; /* a lookup met an inconsistency: dropped at the next refresh */
	pw_file_id id;          /* the file (chain: the chain file) when loaded */
	pw_midx *top;           /* newest layer; ->base below */
	size_t nlayers;
	pw_pack **packs;        /* chain-wide pack id -> pack */
	uint32_t npacks;
	char *why;              /* why it is not used (for pw_repo_verify_midx) */
	char path[PATH_MAX];    /* the file (chain: the chain file) */
};

#define MIDXSRC(src) ((pw_midxsrc *)(void *)(src))

static void unload(pw_midxsrc *ms)
{
	while (ms->top) {
		pw_midx *below = ms->top->base;
		pw__midx_free(ms->top);
		ms->top = below;
	}
	ms->nlayers = 0;
	pw__free(ms->packs);
	ms->packs = NULL;
	ms->npacks = 0;
	ms->usable = 0;
}

static const char *kind_path(char *buf, size_t size, const pw_repo *repo, size_t dir,
	enum midx_kind kind)
{
	if (snprintf(buf, size, "%s/pack/%s", repo->dirs[dir].path, kind == MIDX_SINGLE ?
		"multi-pack-index" : "multi-pack-index.d/multi-pack-index-chain") >= (int)size)
		return NULL;
	return buf;
}

/* Load the layers of a chain file, oldest first, each on the one below. */
static int load_chain(pw_midxsrc *ms, const char *chain_path)
{
	pw_repo *repo = ms->base.repo;
	size_t hexsz = repo->hexsz, len, pos = 0;
	char *buf = NULL, path[PATH_MAX];
	int error;

	if ((error = pw__read_small_file(&buf, &len, chain_path, MAX_LAYERS * (hexsz + 1))) < 0)
		return error;
	while (pos < len) {
		char hex[PW_OID_MAX_HEXSZ + 1], sum[PW_OID_MAX_HEXSZ + 1];
		pw_midx *m;
		pw_oid want;

		if (len - pos < hexsz + 1 || buf[pos + hexsz] != '\n') {
			error = pw__error_set(PW_ECORRUPT, "%s: line %zu is not a hash", chain_path,
				ms->nlayers + 1);
			goto out;
		}
		memcpy(hex, buf + pos, hexsz);
		hex[hexsz] = '\0';
		pos += hexsz + 1;
		if (pw_oid_fromhex(&want, hex, repo->oid_type) < 0) {
			error = pw__error_set(PW_ECORRUPT, "%s: line %zu is not a hash", chain_path,
				ms->nlayers + 1);
			goto out;
		}
		if (snprintf(path, sizeof(path), "%s/pack/multi-pack-index.d/multi-pack-index-%s.midx",
			repo->dirs[ms->dir].path, hex) >= (int)sizeof(path)) {
			error = pw__error_set(PW_ELIMIT, "%s: path too long", chain_path);
			goto out;
		}
		if ((error = pw__midx_open(&m, repo->wm, path, repo->oid_type, ms->top)) < 0)
			goto out;
		ms->top = m;
		ms->nlayers++;
		/* a layer is named by its checksum: another file under that name is not the layer */
		if (pw_oid_cmp(&m->checksum, &want)) {
			error = pw__error_set(PW_ECORRUPT, "%s: its checksum is %s, not the name it has",
				path, pw_oid_tostr(sum, &m->checksum, repo->oid_type));
			goto out;
		}
	}
	if (!ms->nlayers)
		error = pw__error_set(PW_ECORRUPT, "%s: no layers", chain_path);
out:
	pw__free(buf);
	return error;
}

/* Open every pack the layers name (without their idx); covered only once all are there. */
static int cover_packs(pw_midxsrc *ms, pw_packlist *pl)
{
	pw_repo *repo = ms->base.repo;
	char packdir[PATH_MAX];
	uint32_t i, n = ms->top->base_packs + ms->top->npacks;
	int error;

	if (pw__path_join(packdir, sizeof(packdir), repo->dirs[ms->dir].path, "pack") < 0)
		return pw__error_set(PW_ELIMIT, "%s: path too long", repo->dirs[ms->dir].path);
	if (!(ms->packs = pw__calloc(n ? n : 1, sizeof(*ms->packs))))
		return pw__error_nomem();
	ms->npacks = n;
	for (i = 0; i < n; i++) {
		const char *name = pw__midx_pack_name(ms->top, i);
		if ((error = pw__packlist_cover(&ms->packs[i], pl, packdir, name)) < 0) {
			if (error == PW_ENOTFOUND)
				return pw__error_set(PW_ENOTFOUND, "%s names pack %s, which is not there",
					ms->top->path, name);
			return error;
		}
	}
	pw__packlist_mark_covered(pl, ms->packs, n);
	return 0;
}

/* `why` names the file: say it once, count it, and go on without it. */
static int fallback(pw_midxsrc *ms, const char *why)
{
	pw_repo *repo = ms->base.repo;

	pw__free(ms->why);
	ms->why = pw__strdup(why); /* NULL when out of memory: verify then says less */
	atomic_fetch_add(&repo->midx_fallbacks, 1);
	pw__repo_warn(repo, "multi-pack-index not used: %s; reading the packs' own .idx files", why);
	return 0;
}

/* (Re)load one multi-pack-index of `dir` if its file changed; cover its packs when usable. */
static int refresh_one(pw_midxsrc *ms, pw_packlist *pl, size_t *changed)
{
	pw_repo *repo = ms->base.repo;
	char path[PATH_MAX];
	struct stat st;
	pw_file_id now;
	int error;

	if (!kind_path(path, sizeof(path), repo, ms->dir, ms->kind))
		return pw__error_set(PW_ELIMIT, "%s: path too long", repo->dirs[ms->dir].path);
	memcpy(ms->path, path, sizeof(ms->path));
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		/* gone (or git's empty chain file, which counts as none) */
		if (ms->present)
			(*changed)++;
		unload(ms);
		ms->present = 0;
		return 0;
	}
	pw__file_id_set(&now, &st);
	if (ms->present && !memcmp(&now, &ms->id, sizeof(now))) {
		if (atomic_load(&ms->distrusted) && ms->usable) {
			/* a lookup found it wrong (and said so): the same file stays unused */
			unload(ms);
			(*changed)++;
			return 0;
		}
		if (!ms->usable)
			return 0; /* unusable, and said so already */
		/* the same file: its packs again (each is registered already, or opened anew) */
		pw__free(ms->packs);
		ms->packs = NULL;
		if ((error = cover_packs(ms, pl)) == 0)
			return 0;
		if (error == PW_ENOMEM)
			return error;
		ms->usable = 0;
		(*changed)++;
		error = fallback(ms, pw_error_last());
		pw_error_clear();
		return error;
	}
	/* new, or changed since: load anew */
	if (ms->usable)
		(*changed)++;
	unload(ms);
	pw__free(ms->why);
	ms->why = NULL;
	ms->present = 1;
	ms->id = now;
	atomic_store(&ms->distrusted, 0);
	if (ms->kind == MIDX_SINGLE) {
		error = pw__midx_open(&ms->top, repo->wm, path, repo->oid_type, NULL);
		ms->nlayers = error ? 0 : 1;
	} else {
		error = load_chain(ms, path);
	}
	if (!error)
		error = cover_packs(ms, pl);
	if (error == PW_ENOMEM)
		return error;
	if (error < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", pw_error_last());
		pw_error_clear();
		unload(ms);
		return fallback(ms, why);
	}
	ms->usable = 1;
	(*changed)++;
	return 0;
}

static int new_source(pw_midxsrc **out, pw_packlist *pl, size_t dir, enum midx_kind kind)
{
	pw_midxsrc *ms, **slot;

	if (!(ms = pw__calloc(1, sizeof(*ms))))
		return pw__error_nomem();
	if (!(slot = PW_ARRAY_ALLOC(&pl->midxs, 4))) {
		pw__free(ms);
		return pw__error_nomem();
	}
	ms->base.ops = &pw__midx_ops;
	ms->base.repo = pl->base.repo;
	ms->dir = dir;
	ms->kind = kind;
	*slot = ms;
	*out = ms;
	return 0;
}

int pw__midx_refresh(pw_packlist *pl, size_t dir, size_t *changed)
{
	enum midx_kind kind;
	int error;

	/* git reads the single file first, then the chain */
	for (kind = MIDX_SINGLE; kind <= MIDX_CHAIN; kind++) {
		pw_midxsrc *ms = NULL;
		size_t i;

		for (i = 0; i < pl->midxs.n; i++)
			if (pl->midxs.v[i]->dir == dir && pl->midxs.v[i]->kind == kind)
				ms = pl->midxs.v[i];
		if (!ms && (error = new_source(&ms, pl, dir, kind)) < 0)
			return error;
		if ((error = refresh_one(ms, pl, changed)) < 0)
			return error;
	}
	return 0;
}

int pw__midx_add_sources(pw_packlist *pl)
{
	pw_repo *repo = pl->base.repo;
	size_t i;

	for (i = 0; i < pl->midxs.n; i++) {
		pw_source **slot;
		if (!pl->midxs.v[i]->usable)
			continue;
		if (!(slot = PW_ARRAY_ALLOC(&repo->sources, 4)))
			return pw__error_nomem();
		*slot = &pl->midxs.v[i]->base;
	}
	return 0;
}

void pw__midx_free_all(pw_packlist *pl)
{
	size_t i;

	for (i = 0; i < pl->midxs.n; i++) {
		unload(pl->midxs.v[i]);
		pw__free(pl->midxs.v[i]->why);
		pw__free(pl->midxs.v[i]);
	}
	PW_ARRAY_FREE(&pl->midxs);
}

size_t pw__midx_layers(pw_source *src)
{
	return MIDXSRC(src)->nlayers;
}

/*
 * Something in the file contradicts the packs (an offset outside its
 * pack, a bad row): never answer from it again. The next refresh drops
 * it (the packs' own idx files take over); PW_ECHANGED makes the lookup
 * refresh and look again.
 */
static int distrust(pw_midxsrc *ms, const char *why)
{
	int was = atomic_exchange(&ms->distrusted, 1);

	if (!was) {
		char msg[768];
		snprintf(msg, sizeof(msg), "%s: %s", ms->top->path, why);
		fallback(ms, msg);
	}
	return pw__error_set(PW_ECHANGED, "multi-pack-index %s: %s", ms->top->path, why);
}

/* What a read of a layer's rows returned: the file changed (retry), or it is corrupt (distrust). */
static int row_error(pw_midxsrc *ms, int error)
{
	char why[512];

	if (error == PW_ECHANGED || error == PW_ENOTFOUND || error == PW_ENOMEM ||
	    error == PW_EOS || error == PW_ELIMIT)
		return error;
	snprintf(why, sizeof(why), "%s", pw_error_last());
	return distrust(ms, why);
}

/* Object `pos` of layer `m`: its pack and offset, checked against the pack. */
static int entry_of(pw_pack **pack, uint64_t *offset, pw_midxsrc *ms, pw_midx *m, pw_cursor *cur,
	uint32_t pos)
{
	uint32_t pack_id;
	uint64_t size;
	int error;

	if ((error = pw__midx_nth_entry(&pack_id, offset, m, cur, pos)) < 0)
		return row_error(ms, error);
	if (pack_id >= ms->npacks)
		return row_error(ms, pw__error_set(PW_ECORRUPT, "object %u names pack %u", pos, pack_id));
	*pack = ms->packs[pack_id];
	size = pw_pack_size(*pack);
	if (*offset < 12 || *offset >= size - pw_oid_rawsz(ms->base.repo->oid_type)) {
		char why[256];
		snprintf(why, sizeof(why), "object %u is at offset %llu, outside %s", pos,
			(unsigned long long)*offset, pw_pack_path(*pack));
		return distrust(ms, why);
	}
	return 0;
}

static int midx_find(pw_objloc *loc, pw_source *src, const pw_oid *id)
{
	pw_midxsrc *ms = MIDXSRC(src);
	pw_midx *m;

	if (atomic_load_explicit(&ms->distrusted, memory_order_relaxed))
		return PW_ENOTFOUND;
	for (m = ms->top; m; m = m->base) {
		pw_cursor cur;
		uint32_t pos;
		int error;

		pw_cursor_init(&cur, m->f);
		error = pw__midx_find(&pos, m, &cur, id);
		if (!error)
			error = entry_of(&loc->pack, &loc->offset, ms, m, &cur, pos);
		else if (error != PW_ENOTFOUND)
			error = row_error(ms, error);
		/* its copy failed to read: the layers below, or the packs no multi-pack-index covers */
		if (!error && !loc->keep_bad && pw__bad_has(src->repo, loc->pack, loc->offset))
			error = PW_ENOTFOUND;
		pw_cursor_release(&cur);
		if (error == PW_ENOTFOUND)
			continue;
		if (error < 0)
			return error;
		loc->src = src;
		loc->dir = ms->dir;
		return 0;
	}
	return PW_ENOTFOUND;
}

static int cmp_storage(const void *a, const void *b)
{
	const pw_repo_entry *x = a, *y = b;
	uintptr_t px = (uintptr_t)x->pack, py = (uintptr_t)y->pack;

	if (px != py)
		return px < py ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * Every object of every layer with its pack and offset. In storage order:
 * the layer's pseudo-pack order (RIDX) when it has one, else sorted by
 * pack and offset, so that reading goes through each pack front to back.
 */
static int midx_collect(pw_entries *out, pw_source *src, int storage_order)
{
	pw_midxsrc *ms = MIDXSRC(src);
	pw_midx *m;
	int error = 0;

	if (atomic_load(&ms->distrusted))
		return 0;
	for (m = ms->top; m && !error; m = m->base) {
		size_t start = out->n;
		int ridx = storage_order && m->ridx_at;
		pw_cursor cur;
		uint32_t i;

		if (PW_ARRAY_RESERVE(out, out->n + m->nobjects, 1024) < 0)
			return pw__error_nomem();
		pw_cursor_init(&cur, m->f);
		for (i = 0; i < m->nobjects && !error; i++) {
			pw_repo_entry *e = &out->v[out->n];
			uint32_t pos = i;
			if (ridx && (error = pw__midx_ridx_nth(&pos, m, &cur, i)) < 0) {
				error = row_error(ms, error);
				break;
			}
			if ((error = pw__midx_nth_oid(&e->id, m, &cur, pos)) < 0) {
				error = row_error(ms, error);
				break;
			}
			if ((error = entry_of(&e->pack, &e->offset, ms, m, &cur, pos)) < 0)
				break;
			out->n++;
		}
		pw_cursor_release(&cur);
		if (!error && storage_order && !ridx)
			qsort(out->v + start, out->n - start, sizeof(*out->v), cmp_storage);
	}
	return error;
}

static size_t midx_count(pw_source *src)
{
	pw_midxsrc *ms = MIDXSRC(src);
	return ms->top ? ms->top->base_objects + ms->top->nobjects : 0;
}

static int midx_prefix(pw_oids *out, pw_source *src, const pw_oid *prefix, size_t hexlen)
{
	pw_midxsrc *ms = MIDXSRC(src);
	pw_midx *m;
	int error = 0;

	if (atomic_load(&ms->distrusted))
		return 0;
	for (m = ms->top; m && !error; m = m->base) {
		uint32_t first, count, i;
		pw_cursor cur;

		pw_cursor_init(&cur, m->f);
		if ((error = pw__midx_prefix_range(&first, &count, m, &cur, prefix, hexlen)) < 0)
			error = row_error(ms, error);
		else if (PW_ARRAY_RESERVE(out, out->n + count, 16) < 0)
			error = pw__error_nomem();
		for (i = 0; !error && i < count; i++)
			if ((error = pw__midx_nth_oid(&out->v[out->n], m, &cur, first + i)) == 0)
				out->n++;
		pw_cursor_release(&cur);
	}
	return error;
}

/* Every row of layer `m` against its pack's own idx. */
static int verify_rows(pw_midxsrc *ms, pw_midx *m)
{
	pw_oid_t t = ms->base.repo->oid_type;
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_cursor cur;
	uint32_t i;
	int error = 0;

	pw_cursor_init(&cur, m->f);
	for (i = 0; i < m->nobjects && !error; i++) {
		uint32_t pack_id;
		uint64_t off, at;
		pw_pack *pack;
		pw_oid id;

		if ((error = pw__midx_nth_oid(&id, m, &cur, i)) < 0 ||
		    (error = pw__midx_nth_entry(&pack_id, &off, m, &cur, i)) < 0)
			break;
		pack = ms->packs[pack_id];
		error = pw__pack_lookup(&at, pack, &id);
		if (error == PW_ENOTFOUND)
			error = pw__error_set(PW_EVERIFY, "%s: object %s is not in %s", m->path,
				pw_oid_tostr(hex, &id, t), pw_pack_idx_path(pack));
		else if (!error && at != off)
			error = pw__error_set(PW_EVERIFY, "%s: object %s is at offset %llu, %s says %llu",
				m->path, pw_oid_tostr(hex, &id, t), (unsigned long long)off,
				pw_pack_idx_path(pack), (unsigned long long)at);
	}
	pw_cursor_release(&cur);
	return error;
}

int pw_repo_verify_midx(pw_repo *repo, pw_midx_verify_cb cb, void *payload)
{
	pw_packlist *pl = &repo->packs;
	size_t i;
	int worst = 0, error = 0;

	pthread_rwlock_rdlock(&repo->lock);
	for (i = 0; i < pl->midxs.n && (error == 0 || error == PW_EVERIFY); i++) {
		pw_midxsrc *ms = pl->midxs.v[i];
		pw_midx *m;

		if (!ms->present)
			continue;
		if (!ms->usable || atomic_load(&ms->distrusted)) {
			error = pw__error_set(PW_EVERIFY, "%s", ms->why ? ms->why : "not usable");
			if (cb)
				cb(ms->path, error, payload);
			worst = error;
			continue;
		}
		for (m = ms->top; m; m = m->base) {
			error = pw__midx_verify(m);
			if (!error)
				error = verify_rows(ms, m);
			if (error == PW_ECORRUPT)
				error = pw__error_wrap(PW_EVERIFY);
			if (cb)
				cb(m->path, error, payload);
			if (error == PW_EVERIFY)
				worst = error;
			else if (error < 0)
				break;
		}
	}
	pthread_rwlock_unlock(&repo->lock);
	return error && error != PW_EVERIFY ? error : worst;
}

/* Refreshed with the packs (pw__midx_refresh), never on its own. */
static int midx_refresh(pw_source *src, size_t *changed)
{
	return 0;
}

const pw_source_ops pw__midx_ops = {
	"multi-pack-index",
	midx_find,
	pw__packed_read,
	pw__packed_info,
	pw__packed_stream,
	midx_collect,
	midx_count,
	midx_prefix,
	midx_refresh,
	NULL,
};
