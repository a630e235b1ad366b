/* bundle.c: pack-serve's bundles — a git bundle header generated per request over the repository's packs sent unchanged, and what each pack set proved (cached by the packs' checksums). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bundle.h"
#include "gen.h"
#include "odb/walk.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/hash.h"
#include "util/str.h"
#include "util/banned.h"

/* Pack sets remembered (least recently used forgotten first). */
#define BUNDLE_MAX_SETS 16
/* Headers longer than this are made anew for each request rather than remembered. */
#define BUNDLE_MAX_CACHED_HDR ((size_t)4 << 20)
/* More packs than this make no bundle: one descriptor each is lent per download. */
#define BUNDLE_MAX_PACKS 64
/* Tips remembered per pack set; past it, new tips are proved again each time. */
#define BUNDLE_MAX_TIPS 100000
/* Longest ref name listed (git's own limit on a path is about this). */
#define BUNDLE_MAX_REFNAME 4096
/* How much of the config is looked at for partial-clone settings. */
#define BUNDLE_CONFIG_MAX 65536

const char ps_bundle_packs_gone[] = "packs deleted while the bundle was put together";

struct tip {
	pw_oid id;
	unsigned char ok;
};

/* What one pack set proved. */
struct bset {
	char *commondir;
	pw_oid setid;           /* SHA-1 of the sorted pack checksums */
	const char *bad;        /* why these packs make no bundle (static), or NULL */
	int multi;              /* several packs: a new pack header and trailer around them */
	unsigned char pack_hdr[12];
	pw_oid trailer;
	PW_ARRAY(struct tip) tips; /* sorted by id */
	/* The last header made (with the pack header of several packs), and the refs it was made from. */
	char *hdr;
	size_t hdr_len;
	pw_oid hdr_etag;        /* the ETag of a bundle with that header (see bundle_etag) */
	struct ps_refs_state hdr_refs;
	uint64_t used;
	struct bset *next;
};

struct ps_bundles {
	pthread_mutex_t lock;
	struct bset *sets;
	size_t count;
	uint64_t tick;
	uint64_t hits, misses, walks; /* for the metrics */
	uint64_t bitmap_hits, objects_read, bitmaps_ignored;
};

/* One pack of the set. */
struct bpack {
	pw_pack *pack;
	pw_oid sum;
};

/* What a bundle body holds. */
struct bbody {
	struct ps_body *parts;  /* the packs' bodies, lent by the file cache */
	size_t nparts;
	struct ps_piece *pieces;
	char *mem;              /* the header (and pack header), then the trailer */
};

struct bref {
	char *name;
	pw_oid id;
};

typedef PW_ARRAY(struct bref) bref_array;

int ps_bundles_new(struct ps_bundles **out)
{
	struct ps_bundles *bs = calloc(1, sizeof(*bs));

	if (!bs)
		return PW_ENOMEM;
	pthread_mutex_init(&bs->lock, NULL);
	*out = bs;
	return 0;
}

static void bset_free(struct bset *s)
{
	free(s->hdr);
	free(s->commondir);
	PW_ARRAY_FREE(&s->tips);
	free(s);
}

void ps_bundles_get_stats(struct ps_site_stats *out, struct ps_bundles *bs)
{
	struct bset *s;

	pthread_mutex_lock(&bs->lock);
	out->bundle_sets = bs->count;
	out->bundle_tips = 0;
	for (s = bs->sets; s; s = s->next)
		out->bundle_tips += s->tips.n;
	out->proof_hits = bs->hits;
	out->proof_misses = bs->misses;
	out->tip_walks = bs->walks;
	out->proof_bitmap_hits = bs->bitmap_hits;
	out->proof_objects_read = bs->objects_read;
	out->proof_bitmaps_ignored = bs->bitmaps_ignored;
	pthread_mutex_unlock(&bs->lock);
}

void ps_bundles_free(struct ps_bundles *bs)
{
	struct bset *s, *next;

	if (!bs)
		return;
	for (s = bs->sets; s; s = next) {
		next = s->next;
		bset_free(s);
	}
	pthread_mutex_destroy(&bs->lock);
	free(bs);
}

/* The remembered set for (commondir, setid), or NULL. Lock held. */
static struct bset *bset_find(struct ps_bundles *bs, const char *commondir, const pw_oid *setid)
{
	struct bset *s;

	for (s = bs->sets; s; s = s->next)
		if (!memcmp(&s->setid, setid, sizeof(*setid)) && !strcmp(s->commondir, commondir))
			return s;
	return NULL;
}

/* Remember `s` (unless an equal one came first: then `s` is freed), forgetting the least used past the cap. Lock held. */
static void bset_insert(struct ps_bundles *bs, struct bset *s)
{
	struct bset **pp, **victim;

	if (bset_find(bs, s->commondir, &s->setid)) {
		bset_free(s);
		return;
	}
	s->used = ++bs->tick;
	s->next = bs->sets;
	bs->sets = s;
	if (++bs->count <= BUNDLE_MAX_SETS)
		return;
	victim = &bs->sets;
	for (pp = &bs->sets; *pp; pp = &(*pp)->next)
		if ((*pp)->used < (*victim)->used)
			victim = pp;
	s = *victim;
	*victim = s->next;
	bs->count--;
	bset_free(s);
}

static int cmp_tip(const void *a, const void *b)
{
	return memcmp(&((const struct tip *)a)->id, &((const struct tip *)b)->id, sizeof(pw_oid));
}

static int cmp_bpack(const void *a, const void *b)
{
	return memcmp(&((const struct bpack *)a)->sum, &((const struct bpack *)b)->sum, sizeof(pw_oid));
}

/* -1 unknown, else what was proved for `id`. Lock held. */
static int tip_known(const struct bset *s, const pw_oid *id)
{
	struct tip key, *t;

	if (!s->tips.n)
		return -1;
	key.id = *id;
	t = bsearch(&key, s->tips.v, s->tips.n, sizeof(*t), cmp_tip);
	return t ? t->ok : -1;
}

static int exists(const char *dir, const char *name, off_t *size)
{
	char path[PATH_MAX];
	struct stat st;

	if (pw__path_join(path, PATH_MAX, dir, name) || stat(path, &st) != 0)
		return 0;
	if (size)
		*size = st.st_size;
	return 1;
}

/*
 * A partial clone says so in its config (extensions.partialClone,
 * remote.<name>.promisor); a loose look suffices: a false alarm only
 * costs the bundle, never correctness.
 */
static int partial_clone(const char *commondir)
{
	char path[PATH_MAX], buf[BUNDLE_CONFIG_MAX + 1], *p;
	size_t n;
	FILE *f;

	if (pw__path_join(path, PATH_MAX, commondir, "config") || !(f = fopen(path, "re")))
		return 0;
	n = fread(buf, 1, BUNDLE_CONFIG_MAX, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; *p; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	return strstr(buf, "partialclone") || strstr(buf, "promisor");
}

/* Why the repository itself (not its packs) can make no bundle, or NULL. */
static const char *refuse_repo(const char *commondir)
{
	off_t size = 0;

	if (exists(commondir, "shallow", NULL))
		return "no bundle: shallow repository";
	if (exists(commondir, "objects/info/alternates", &size) && size > 0)
		return "no bundle: objects come from alternates";
	if (partial_clone(commondir))
		return "no bundle: partial clone";
	return NULL;
}

/* Hash bytes [from, to) of `path` through the window manager into `h`; with `hdr`, check its pack header first. */
static int hash_pack(pw_hash *h, unsigned char hdr[12], pw_wm *wm, const char *path, uint64_t from,
	uint64_t to)
{
	const unsigned char *p;
	pw_wm_file *f;
	pw_cursor cur;
	size_t avail;
	uint64_t off, take;
	int err;

	if ((err = pw_wm_open(&f, wm, path)) < 0)
		return err;
	if (to > pw_wm_file_size(f) || from > to) {
		pw_wm_close(f);
		return PW_ECHANGED;
	}
	if (hdr && (err = pw_wm_read(hdr, f, 0, 12)) < 0) {
		pw_wm_close(f);
		return err;
	}
	pw_cursor_init(&cur, f);
	for (off = from; h && off < to; off += take) {
		if ((err = pw_cursor_move(&p, &avail, &cur, off, 1)) < 0)
			break;
		take = avail < to - off ? avail : to - off;
		pw__hash_update(h, p, (size_t)take);
	}
	pw_cursor_release(&cur);
	pw_wm_close(f);
	return err < 0 ? err : 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Prove what a pack set can do, once: not thin, sane pack headers that
 * agree with the idx files, and for several packs the stream's header and
 * trailer. Returns a new set (with `bad` set when it makes no bundle), or
 * NULL with a PW_E… code in *err.
 */
static struct bset *bset_prove(int *err, pw_wm *wm, const char *commondir, const pw_oid *setid,
	struct bpack *bp, size_t n, pw_oid_t type)
{
	size_t rawsz = pw_oid_rawsz(type), i;
	pw_pack *packs[BUNDLE_MAX_PACKS];
	unsigned char hdr[12];
	uint64_t total = 0, size;
	struct bset *s;
	pw_hash h;
	pw_oid base;
	pw__bases_problem problem;
	int hashing = 0;

	*err = 0;
	if (!(s = calloc(1, sizeof(*s))) || !(s->commondir = strdup(commondir))) {
		free(s);
		*err = PW_ENOMEM;
		return NULL;
	}
	s->setid = *setid;
	s->multi = n > 1;
	for (i = 0; i < n; i++)
		packs[i] = bp[i].pack;
	if ((*err = pw__packs_bases(&problem, &base, packs, n)) < 0)
		goto fail;
	if (problem == PW__BASES_THIN) {
		s->bad = "no bundle: a REF_DELTA base is outside the packs (thin pack)";
		return s;
	}
	if (problem == PW__BASES_DUPLICATE) {
		s->bad = "no bundle: a REF_DELTA base is in several packs";
		return s;
	}
	for (i = 0; i < n; i++)
		total += pw_pack_count(bp[i].pack);
	if (total > UINT32_MAX) {
		s->bad = "no bundle: more than 2^32 objects in the packs";
		return s;
	}
	memcpy(s->pack_hdr, "PACK\0\0\0\2", 8);
	s->pack_hdr[8] = (unsigned char)(total >> 24);
	s->pack_hdr[9] = (unsigned char)(total >> 16);
	s->pack_hdr[10] = (unsigned char)(total >> 8);
	s->pack_hdr[11] = (unsigned char)total;
	if (s->multi) {
		if ((*err = pw__hash_init(&h, type)) < 0)
			goto fail;
		hashing = 1;
		pw__hash_update(&h, s->pack_hdr, 12);
	}
	for (i = 0; i < n; i++) {
		size = pw_pack_size(bp[i].pack);
		if (size < 12 + rawsz) {
			*err = PW_ECHANGED;
			goto fail;
		}
		/* Each pack's entries verbatim: what lies between its header and its trailer. */
		if ((*err = hash_pack(hashing ? &h : NULL, hdr, wm, pw_pack_path(bp[i].pack), 12,
			size - rawsz)) < 0)
			goto fail;
		if (memcmp(hdr, "PACK", 4) || (be32(hdr + 4) != 2 && be32(hdr + 4) != 3) ||
		    be32(hdr + 8) != pw_pack_count(bp[i].pack)) {
			s->bad = "no bundle: a pack header does not match its idx";
			if (hashing)
				pw__hash_dispose(&h);
			return s;
		}
	}
	if (hashing)
		pw__hash_final(&s->trailer, &h);
	return s;
fail:
	if (hashing)
		pw__hash_dispose(&h);
	bset_free(s);
	return NULL;
}

static int on_ref(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	bref_array *refs = payload;
	struct bref *r;

	(void)peeled;
	/* "<id> SP <name> LF": a name with a space or a line end would forge lines (git refuses both). */
	if (strpbrk(name, " \n\r") || strlen(name) > BUNDLE_MAX_REFNAME)
		return 0;
	if (!(r = PW_ARRAY_ALLOC(refs, 64)))
		return PW_ENOMEM;
	if (!(r->name = strdup(name))) {
		refs->n--;
		return PW_ENOMEM;
	}
	r->id = *id;
	return 0;
}

static void refs_free(bref_array *refs)
{
	size_t i;

	for (i = 0; i < refs->n; i++)
		free(refs->v[i].name);
	PW_ARRAY_FREE(refs);
}

/* HEAD (when it resolves) then every ref, each with its id. */
static int collect_refs(bref_array *refs, pw_repo *repo)
{
	struct bref *r;
	pw_oid head;
	int err;

	if (pw_repo_ref(&head, repo, "HEAD") == 0) {
		if (!(r = PW_ARRAY_ALLOC(refs, 64)) || !(r->name = strdup("HEAD"))) {
			if (r)
				refs->n--;
			return PW_ENOMEM;
		}
		r->id = head;
	}
	pw_error_clear();
	if ((err = pw_repo_foreach_ref(repo, on_ref, refs)) < 0)
		return err;
	return 0;
}

/*
 * The ok flag of every ref's tip in `oks` (parallel to refs): known ones
 * from the set, the others proved now by a walk (outside the lock) and
 * remembered.
 */
static int prove_tips(unsigned char *oks, struct ps_bundles *bs, const char *commondir,
	const pw_oid *setid, pw_repo *repo, struct bpack *bp, size_t n, const bref_array *refs)
{
	pw_pack *packs[BUNDLE_MAX_PACKS];
	PW_ARRAY(pw_oid) todo = PW_ARRAY_INIT;
	pw__closure_stats st;
	unsigned char *res = NULL;
	struct bset *s;
	size_t i, j;
	int err = 0, k;

	pthread_mutex_lock(&bs->lock);
	s = bset_find(bs, commondir, setid);
	for (i = 0; i < refs->n; i++) {
		k = s ? tip_known(s, &refs->v[i].id) : -1;
		oks[i] = (unsigned char)(k < 0 ? 2 : k);
	}
	pthread_mutex_unlock(&bs->lock);
	for (i = 0; i < refs->n; i++) {
		pw_oid *slot;
		if (oks[i] != 2)
			continue;
		if (!(slot = PW_ARRAY_ALLOC(&todo, 16))) {
			err = PW_ENOMEM;
			goto out;
		}
		*slot = refs->v[i].id;
	}
	if (!todo.n)
		goto out;
	if (!(res = malloc(todo.n))) {
		err = PW_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		packs[i] = bp[i].pack;
	if ((err = pw__repo_closure(res, repo, packs, n, todo.v, todo.n, &st)) < 0)
		goto out;
	/* proved by a walk instead: worth an operator's look, once per pack set */
	if (st.ignored[0])
		fprintf(stderr, "pack-serve: reachability bitmap not used: %s\n", st.ignored);
	for (i = 0, j = 0; i < refs->n; i++)
		if (oks[i] == 2)
			oks[i] = res[j++];
	pthread_mutex_lock(&bs->lock);
	bs->walks += todo.n;
	bs->bitmap_hits += st.bitmap_hits;
	bs->objects_read += st.objects_read;
	bs->bitmaps_ignored += st.ignored[0] != 0;
	s = bset_find(bs, commondir, setid);
	if (s && s->tips.n + todo.n <= BUNDLE_MAX_TIPS &&
	    PW_ARRAY_RESERVE(&s->tips, s->tips.n + todo.n, 64) == 0) {
		size_t known = s->tips.n, w;

		/* Append what is new, sort once, and drop the repeats (several refs on one tip). */
		for (j = 0; j < todo.n; j++) {
			struct tip key;

			key.id = todo.v[j];
			if (known && bsearch(&key, s->tips.v, known, sizeof(key), cmp_tip))
				continue;
			s->tips.v[s->tips.n].id = todo.v[j];
			s->tips.v[s->tips.n].ok = res[j];
			s->tips.n++;
		}
		if (s->tips.n > known) {
			qsort(s->tips.v, s->tips.n, sizeof(struct tip), cmp_tip);
			for (w = 1, j = 1; j < s->tips.n; j++)
				if (cmp_tip(&s->tips.v[j], &s->tips.v[w - 1]))
					s->tips.v[w++] = s->tips.v[j];
			s->tips.n = w;
		}
	}
	pthread_mutex_unlock(&bs->lock);
out:
	free(res);
	PW_ARRAY_FREE(&todo);
	return err;
}

static void bbody_free(struct ps_fcache *fc, struct bbody *bb)
{
	size_t i;

	if (!bb)
		return;
	for (i = 0; i < bb->nparts; i++)
		ps_fcache_release_piece(fc, &bb->parts[i]);
	free(bb->parts);
	free(bb->pieces);
	pw__free(bb->mem);
	free(bb);
}

void ps_bundle_release(struct ps_fcache *fc, struct ps_body *body)
{
	bbody_free(fc, body->priv_bundle);
	body->priv_bundle = NULL;
	body->pieces = NULL;
	body->npieces = 0;
}

static int status_of(int err, const char **why, const char *what)
{
	switch (err) {
	case PW_ECHANGED: /* a repack underneath: a handle opened afresh sees the new packs */
		*why = ps_bundle_packs_gone;
		return -503;
	case PW_ENOTFOUND:
	case PW_ELIMIT:
	case PW_ENOMEM:
		return -503;
	default:
		*why = ps_site_why(what);
		return -500;
	}
}

/*
 * The header into `head`: signature, capabilities, one line per ref whose
 * closure the packs hold (`*listed` counts them), an empty line; then
 * `pack_hdr`, the pack header of a stream of several packs (or NULL).
 * Returns 0 or a negated HTTP status (with *why).
 */
static int make_header(struct ps_buf *head, size_t *listed, struct ps_bundles *bs,
	const char *commondir, const pw_oid *setid, pw_repo *repo, struct bpack *bp, size_t n,
	const unsigned char *pack_hdr, const char **why)
{
	pw_oid_t type = pw_repo_oid_type(repo);
	char hex[PW_OID_MAX_HEXSZ + 1];
	bref_array refs = PW_ARRAY_INIT;
	unsigned char *oks = NULL;
	size_t i;
	int err, rc = 0;

	*listed = 0;
	if ((err = collect_refs(&refs, repo)) < 0) {
		rc = status_of(err, why, "cannot list refs");
		goto out;
	}
	if (refs.n && !(oks = malloc(refs.n))) {
		rc = -503;
		goto out;
	}
	if ((err = prove_tips(oks, bs, commondir, setid, repo, bp, n, &refs)) < 0) {
		rc = status_of(err, why, "cannot walk the history");
		goto out;
	}
	if (type == PW_OID_SHA1)
		err = ps_buf_add(head, "# v2 git bundle\n", 16);
	else
		err = ps_buf_add(head, "# v3 git bundle\n@object-format=sha256\n", 38);
	for (i = 0; !err && i < refs.n; i++) {
		if (!oks[i])
			continue;
		pw_oid_tostr(hex, &refs.v[i].id, type);
		if (!(err = ps_buf_add(head, hex, strlen(hex))) && !(err = ps_buf_add(head, " ", 1)) &&
		    !(err = ps_buf_add(head, refs.v[i].name, strlen(refs.v[i].name))))
			err = ps_buf_add(head, "\n", 1);
		(*listed)++;
	}
	if (!err)
		err = ps_buf_add(head, "\n", 1);
	if (!err && pack_hdr)
		err = ps_buf_add(head, pack_hdr, 12);
	if (err)
		rc = -503;
out:
	free(oks);
	refs_free(&refs);
	return rc;
}

/*
 * A strong ETag: the header says which refs, the checksums which pack
 * bytes, the trailer follows from both. Computed with each new header and
 * remembered with it (a header of 7007 refs is 430 KB to hash).
 */
static int bundle_etag(pw_oid *out, const char *hdr, size_t hdr_len, const struct bpack *bp, size_t n,
	size_t rawsz)
{
	pw_hash h;
	size_t i;

	if (pw__hash_init(&h, PW_OID_SHA1) < 0)
		return -503;
	pw__hash_update(&h, hdr, hdr_len);
	for (i = 0; i < n; i++)
		pw__hash_update(&h, bp[i].sum.id, rawsz);
	pw__hash_final(out, &h);
	return 0;
}

int ps_bundle_make(struct ps_body *out, struct ps_bundles *bs, struct ps_fcache *fc, pw_wm *wm,
	pw_repo *repo, const char *commondir, const char **why)
{
	pw_oid_t type = pw_repo_oid_type(repo);
	size_t rawsz = pw_oid_rawsz(type), n, i, listed = 0, packdir_len, hdr_len;
	struct bpack bp[BUNDLE_MAX_PACKS];
	char packdir[PATH_MAX], etag[72];
	struct ps_buf head = { NULL, 0, 0 };
	struct ps_refs_state rs;
	struct bbody *bb = NULL;
	struct bset *s;
	const char *bad;
	unsigned char pack_hdr[12];
	pw_oid setid, trailer, etag_id;
	int have_etag = 0;
	uint64_t total = 0;
	time_t mtime = 0;
	pw_hash h;
	int err = 0, rc, multi = 0;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if ((bad = refuse_repo(commondir))) {
		*why = bad;
		return -404;
	}
	if (pw__path_join(packdir, PATH_MAX, commondir, "objects/pack/"))
		return -404;
	packdir_len = strlen(packdir);
	n = pw_repo_pack_count(repo);
	if (n == 0) {
		*why = "no bundle: no packs";
		return -404;
	}
	if (n > BUNDLE_MAX_PACKS) {
		*why = "no bundle: too many packs";
		return -404;
	}
	for (i = 0; i < n; i++) {
		char promisor[PATH_MAX];
		const char *path;
		struct stat st;

		bp[i].pack = pw_repo_pack(repo, i);
		path = pw_pack_path(bp[i].pack);
		if (strncmp(path, packdir, packdir_len) || strchr(path + packdir_len, '/')) {
			*why = "no bundle: objects come from alternates";
			return -404;
		}
		if ((size_t)snprintf(promisor, sizeof(promisor), "%.*s.promisor",
			(int)(strlen(path) - 5), path) < sizeof(promisor) && stat(promisor, &st) == 0) {
			*why = "no bundle: promisor pack (partial clone)";
			return -404;
		}
		/*
		 * A pack a multi-pack-index covers may be open without its idx;
		 * the proofs look objects up by id in each pack, so every pack
		 * of the set needs its own .idx (git writes it beside the pack).
		 */
		if ((err = pw_pack_load_idx(bp[i].pack)) < 0) {
			if (err != PW_ENOTFOUND)
				return status_of(err, why, "cannot open a pack's idx");
			pw_error_clear();
			/* Both gone: a repack deleted the pack after the list was read; the next try sees the new set. */
			if (stat(path, &st) != 0 && errno == ENOENT) {
				*why = ps_bundle_packs_gone;
				return -503;
			}
			*why = "no bundle: a pack has no .idx";
			return -404;
		}
		if ((err = pw_pack_checksum(&bp[i].sum, bp[i].pack)) < 0)
			return status_of(err, why, "cannot read a pack checksum");
	}
	/* Sorted by checksum, so the stream (and its ETag) do not depend on the order packs were found in. */
	qsort(bp, n, sizeof(bp[0]), cmp_bpack);
	if ((err = pw__hash_init(&h, PW_OID_SHA1)) < 0)
		return status_of(err, why, "hash");
	for (i = 0; i < n; i++)
		pw__hash_update(&h, bp[i].sum.id, rawsz);
	pw__hash_final(&setid, &h);

	/* What the pack set proved, copied out: the set may be forgotten as soon as the lock is let go. */
	pthread_mutex_lock(&bs->lock);
	s = bset_find(bs, commondir, &setid);
	if (s) {
		s->used = ++bs->tick;
		bs->hits++;
		bad = s->bad;
		multi = s->multi;
		memcpy(pack_hdr, s->pack_hdr, 12);
		trailer = s->trailer;
	}
	pthread_mutex_unlock(&bs->lock);
	if (!s) {
		if (!(s = bset_prove(&err, wm, commondir, &setid, bp, n, type)))
			return status_of(err, why, "cannot read the packs");
		bad = s->bad;
		multi = s->multi;
		memcpy(pack_hdr, s->pack_hdr, 12);
		trailer = s->trailer;
		pthread_mutex_lock(&bs->lock);
		bs->misses++;
		bset_insert(bs, s);
		pthread_mutex_unlock(&bs->lock);
	}
	if (bad) {
		*why = bad;
		return -404;
	}

	/*
	 * The header is made from the refs, which change without the packs
	 * changing. Listing thousands of refs costs more than sending the
	 * packs (the libgit2 corpus: 7007 refs, 40 ms), so the last header of
	 * each pack set is remembered with the state of the refs on disk it
	 * was made from (taken before they are read: a change meanwhile makes
	 * the next request list them again).
	 */
	if (ps_gen_refs_state(&rs, commondir, pw_repo_gitdir(repo)) < 0) {
		rs.complete = 0;
		pw_error_clear();
	}
	err = 0;
	pthread_mutex_lock(&bs->lock);
	s = bset_find(bs, commondir, &setid);
	if (rs.complete && s && s->hdr && s->hdr_refs.complete && s->hdr_refs.digest == rs.digest &&
	    s->hdr_refs.mtime == rs.mtime) {
		err = ps_buf_add(&head, s->hdr, s->hdr_len);
		etag_id = s->hdr_etag;
		listed = 1;
		have_etag = 1;
	}
	pthread_mutex_unlock(&bs->lock);
	if (err) {
		rc = -503;
		goto out;
	}
	if (!listed && (rc = make_header(&head, &listed, bs, commondir, &setid, repo, bp, n,
		multi ? pack_hdr : NULL, why)) < 0)
		goto out;
	if (!listed) {
		*why = "no bundle: no ref has all its objects in the packs";
		rc = -404;
		goto out;
	}
	hdr_len = head.len;
	if (!have_etag && (rc = bundle_etag(&etag_id, head.data, hdr_len, bp, n, rawsz)) < 0)
		goto out;
	if (!have_etag && rs.complete && hdr_len <= BUNDLE_MAX_CACHED_HDR) {
		char *copy = malloc(hdr_len);

		pthread_mutex_lock(&bs->lock);
		s = bset_find(bs, commondir, &setid);
		if (s && copy) {
			memcpy(copy, head.data, hdr_len);
			free(s->hdr);
			s->hdr = copy;
			s->hdr_len = hdr_len;
			s->hdr_etag = etag_id;
			s->hdr_refs = rs;
			copy = NULL;
		}
		pthread_mutex_unlock(&bs->lock);
		free(copy);
	}
	if (multi && ps_buf_add(&head, trailer.id, rawsz) < 0) {
		rc = -503;
		goto out;
	}

	/* The packs' descriptors, lent for as long as the body is held; they must be the packs proved. */
	if (!(bb = calloc(1, sizeof(*bb))) || !(bb->parts = calloc(n, sizeof(*bb->parts))) ||
	    !(bb->pieces = calloc(n + 2, sizeof(*bb->pieces)))) {
		rc = -503;
		goto out;
	}
	bb->pieces[0].fd = -1;
	bb->pieces[0].mem = head.data;
	bb->pieces[0].len = hdr_len;
	total = hdr_len;
	for (i = 0; i < n; i++) {
		struct ps_body *part = &bb->parts[i];
		uint64_t size = pw_pack_size(bp[i].pack);
		struct ps_piece *pc = &bb->pieces[1 + i];

		if ((rc = ps_fcache_lookup_piece(part, fc, pw_pack_path(bp[i].pack), PS_KIND_PACK,
			why)) < 0) {
			/* Gone since the repository was opened: a repack; the next request sees the new packs. */
			if (rc == -404)
				rc = -503;
			goto out;
		}
		bb->nparts++;
		etag[0] = '"';
		pw__hex_encode(etag + 1, bp[i].sum.id, rawsz);
		etag[1 + 2 * rawsz] = '"';
		etag[2 + 2 * rawsz] = '\0';
		if (part->size != size || strcmp(part->etag, etag)) {
			rc = -503;
			goto out;
		}
		if (part->mtime > mtime)
			mtime = part->mtime;
		pc->fd = part->fd;
		pc->off = multi ? 12 : 0;
		pc->len = multi ? size - 12 - rawsz : size;
		total += pc->len;
	}
	if (multi) {
		bb->pieces[n + 1].fd = -1;
		bb->pieces[n + 1].mem = head.data + hdr_len;
		bb->pieces[n + 1].len = rawsz;
		total += rawsz;
	}
	if (rs.mtime > mtime)
		mtime = rs.mtime;

	out->etag[0] = '"';
	pw__hex_encode(out->etag + 1, etag_id.id, 20);
	out->etag[41] = '"';
	out->etag[42] = '\0';

	bb->mem = head.data;
	head.data = NULL;
	out->pieces = bb->pieces;
	out->npieces = multi ? n + 2 : n + 1;
	out->size = total;
	out->mtime = mtime ? mtime : time(NULL);
	out->content_type = "application/x-git-bundle";
	/*
	 * Its mtime is the newest of files that can change twice in a second
	 * with other bytes each time: If-Range by date could splice two
	 * bundles. Only the ETag lets a range through.
	 */
	out->weak_date = 1;
	out->priv_bundle = bb;
	bb = NULL;
	rc = 0;
out:
	bbody_free(fc, bb);
	pw__free(head.data);
	return rc;
}
