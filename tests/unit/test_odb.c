/*
 * test_odb.c: the repository layer (lib/odb: repo.c, sources.c, packlist.c,
 * loose.c, iter.c, abbrev.c, readahead.c) against git itself. Opening every form git accepts (work
 * tree, its .git, bare, a subdirectory, gitfiles, a linked work tree,
 * GIT_DIR and GIT_OBJECT_DIRECTORY) and refusing the rest; every object of a
 * repository with two packs, loose objects and a chain of alternates (with
 * a cycle) read, looked up and iterated exactly as `git cat-file
 * --batch-all-objects` lists them, also on 1, 2 and 4 worker threads;
 * REF_DELTA bases in another pack or loose, and cross-pack cycles; packs
 * replaced underneath; abbreviations; missing and corrupt loose objects
 * (each one `git fsck` rejects too); 20 MB blobs streamed under a 1 MiB
 * mapping budget. Every test checks that no descriptor stays open.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "testutil.h"

#include "packwin/errors.h"
#include "packwin/odb.h"
#include "odb/internal.h"
#include "util/hash.h"

#define BASIC PW_FIXTURES "/repos/basic.git"
#define SHA256 PW_FIXTURES "/repos/sha256.git"
#define CRAFT PW_FIXTURES "/craft-pack.py"
#define LIBGIT2 PW_CORPUS "/libgit2.git"

/* basic.git (fixtures/README.md) */
#define BASIC_MAIN "10eae95e761a798285a77280fad11b595e6c7521"
#define BASIC_SIDE "03e58297b84f6357a7c57f22a41014246049816a"
#define SHA256_MAIN "23e261af1528e9fb2c760b173e12e64491791791144c93f2a45c086e6e87f579"

/* ---------------------------------------------------------------- helpers */

/* The canonical form of `path` (as pw_repo_gitdir gives it); static buffer. */
static const char *real(const char *path)
{
	static char bufs[2][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 2];

	if (!realpath(path, b))
		fail_msg("realpath %s failed", path);
	return b;
}

static void write_file(const char *rel, const void *data, size_t len)
{
	FILE *f;

	sh("mkdir -p \"$(dirname '%s')\"", rel);
	assert_non_null(f = fopen(tmp(rel), "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *rel, const char *text)
{
	write_file(rel, text, strlen(text));
}

static pw_repo *open_with(const char *path, const pw_repo_options *o)
{
	pw_repo *repo = NULL;

	if (pw_repo_open(&repo, path, o) < 0)
		fail_msg("pw_repo_open %s: %s", path ? path : "(NULL)", pw_error_last());
	return repo;
}

static pw_repo *open_repo(const char *path)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;

	o.no_discover = 1;
	return open_with(path, &o);
}

/* rc must be `code` and the last error must contain every given piece. */
static void assert_error(int rc, int code, const char *piece, const char *piece2)
{
	if (rc != code)
		fail_msg("expected %s, got %d (%s): %s", pw_error_name(code), rc, pw_error_name(rc),
		        pw_error_last());
	if (piece && !strstr(pw_error_last(), piece))
		fail_msg("message '%s' lacks '%s'", pw_error_last(), piece);
	if (piece2 && !strstr(pw_error_last(), piece2))
		fail_msg("message '%s' lacks '%s'", pw_error_last(), piece2);
}

static pw_oid oid_of(const char *hex, pw_oid_t type)
{
	pw_oid id;

	if (pw_oid_fromhex(&id, hex, type) < 0)
		fail_msg("bad hex id '%s'", hex);
	return id;
}

static const char *hex_of(const pw_oid *id, pw_oid_t type)
{
	static char bufs[4][PW_OID_MAX_HEXSZ + 1];
	static int next;

	return pw_oid_tostr(bufs[next++ % 4], id, type);
}

/* The id git gives `len` bytes of type `type`. */
static void object_id(pw_oid *out, pw_oid_t t, const char *type, const void *data, size_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %zu", type, len);
	pw_hash h;

	assert_int_equal(pw__hash_init(&h, t), 0);
	pw__hash_update(&h, hdr, (size_t)n + 1);
	pw__hash_update(&h, data, len);
	pw__hash_final(out, &h);
}

/* SHA-256 of "type size\0content": what an object is, in 32 bytes. */
static void digest_object(unsigned char out[32], const pw_object *obj)
{
	pw_oid d;

	object_id(&d, PW_OID_SHA256, pw_object_type_name(pw_object_type(obj)), pw_object_data(obj),
	        pw_object_size(obj));
	memcpy(out, d.id, 32);
}

/* Write objdir_rel/XX/REST for `hex`: `raw` deflated, `cut` bytes dropped from the end, `extra`
 * appended. */
static void write_loose_raw(const char *objdir_rel, const char *hex, const void *raw, size_t rawlen,
        size_t cut, const char *extra)
{
	uLongf zlen = compressBound((uLong)rawlen);
	size_t elen = extra ? strlen(extra) : 0;
	unsigned char *z = malloc(zlen + elen);
	char rel[1024];

	assert_non_null(z);
	assert_int_equal(compress2(z, &zlen, raw, (uLong)rawlen, Z_BEST_SPEED), Z_OK);
	assert_true(cut <= zlen);
	zlen -= cut;
	if (elen)
		memcpy(z + zlen, extra, elen);
	snprintf(rel, sizeof(rel), "%s/%.2s/%s", objdir_rel, hex, hex + 2);
	write_file(rel, z, zlen + elen);
	free(z);
}

/* A well-formed loose object of `len` bytes; its id in `hex_out`. */
static void write_loose(char *hex_out, const char *objdir_rel, pw_oid_t t, const char *type,
        const void *data, size_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %zu", type, len);
	unsigned char *raw = malloc((size_t)n + 1 + len);
	pw_oid id;

	assert_non_null(raw);
	memcpy(raw, hdr, (size_t)n + 1);
	memcpy(raw + n + 1, data, len);
	object_id(&id, t, type, data, len);
	pw_oid_tostr(hex_out, &id, t);
	write_loose_raw(objdir_rel, hex_out, raw, (size_t)n + 1 + len, 0, NULL);
	free(raw);
}

/* ------------------------------------------------- git's list of objects */

typedef struct gobj {
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_oid id;
	pw_object_t type;    /* PW_OBJ_BAD: git says "missing" */
	uint64_t size, disk; /* disk 0: unknown */
	pw_oid base;         /* all zero: not stored as a delta */
} gobj;

typedef struct glist {
	gobj *v;
	size_t n;
} glist;

/* `git cat-file --batch-all-objects --batch-check` of the repository at gitdir (sorted, each id
 * once). */
static glist git_objects(const char *gitdir, pw_oid_t t)
{
	char cmd[2048], line[512];
	glist g = {NULL, 0};
	size_t alloc = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
	        "git --git-dir='%s' cat-file --batch-all-objects --batch-check='%%(objectname) "
	        "%%(objecttype) %%(objectsize) %%(objectsize:disk) %%(deltabase)' 2>/dev/null",
	        gitdir);
	assert_non_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f)) {
		char hex[80], type[16], base[80];
		unsigned long long size, disk;
		gobj *o;

		/* git lists what the idx files say, and cannot read some of it (see
		 * test_ref_delta_base_elsewhere) */
		if (sscanf(line, "%79s %15s", hex, type) == 2 && !strcmp(type, "missing")) {
			size = disk = 0;
			strcpy(base, "0");
		} else if (sscanf(line, "%79s %15s %llu %llu %79s", hex, type, &size, &disk,
		                   base) != 5) {
			fail_msg("cannot parse '%s'", line);
		}
		if (g.n == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			assert_non_null(g.v = realloc(g.v, alloc * sizeof(*g.v)));
		}
		o = &g.v[g.n++];
		memset(o, 0, sizeof(*o));
		assert_true(strlen(hex) == pw_oid_hexsz(t));
		memcpy(o->hex, hex, strlen(hex) + 1);
		o->id = oid_of(hex, t);
		o->type = pw_object_type_fromstr(type);
		o->size = size;
		o->disk = disk;
		if (strspn(base, "0") != strlen(base))
			o->base = oid_of(base, t);
	}
	assert_int_equal(pclose(f), 0);
	return g;
}

static ssize_t glist_find(const glist *g, const pw_oid *id)
{
	for (size_t i = 0; i < g->n; i++)
		if (!pw_oid_cmp(&g->v[i].id, id))
			return (ssize_t)i;
	return -1;
}

typedef struct hasher {
	pw_hash h;
	uint64_t got;
} hasher;

static int hash_cb(const unsigned char *data, size_t len, void *payload)
{
	hasher *hs = payload;

	pw__hash_update(&hs->h, data, len);
	hs->got += len;
	return 0;
}

/* Every object git lists reads, streams, exists and is described as git describes it. */
static void check_all_objects(pw_repo *repo, const glist *g)
{
	pw_oid_t t = pw_repo_oid_type(repo);

	for (size_t i = 0; i < g->n; i++) {
		const gobj *o = &g->v[i];
		pw_object_info info;
		pw_object *obj = NULL;
		pw_object_t stype;
		uint64_t ssize;
		hasher hs;
		char hdr[64];
		pw_oid id;
		int rc, n;

		if ((rc = pw_repo_read(&obj, repo, &o->id)) < 0)
			fail_msg("read %s: %s", o->hex, pw_error_last());
		if (pw_object_type(obj) != o->type || pw_object_size(obj) != o->size)
			fail_msg("%s: %s %zu, git says %s %llu", o->hex,
			        pw_object_type_name(pw_object_type(obj)), pw_object_size(obj),
			        pw_object_type_name(o->type), (unsigned long long)o->size);
		object_id(&id, t, pw_object_type_name(o->type), pw_object_data(obj),
		        pw_object_size(obj));
		if (pw_oid_cmp(&id, &o->id))
			fail_msg("%s: content hashes to %s", o->hex, hex_of(&id, t));
		pw_object_free(obj);

		if ((rc = pw_repo_exists(repo, &o->id)) != 0)
			fail_msg("exists %s: %d %s", o->hex, rc, pw_error_last());
		if ((rc = pw_repo_info(&info, repo, &o->id, PW_INFO_DELTA_BASE | PW_INFO_DISK_SIZE)) < 0)
			fail_msg("info %s: %s", o->hex, pw_error_last());
		if (info.type != o->type || info.size != o->size ||
		        (o->disk && info.disk_size != o->disk) ||
		        pw_oid_cmp(&info.delta_base, &o->base))
			fail_msg("info %s: %s %llu on disk %llu base %s; git: %s %llu on disk %llu "
			         "base %s",
			        o->hex, pw_object_type_name(info.type),
			        (unsigned long long)info.size, (unsigned long long)info.disk_size,
			        hex_of(&info.delta_base, t), pw_object_type_name(o->type),
			        (unsigned long long)o->size, (unsigned long long)o->disk,
			        hex_of(&o->base, t));

		memset(&hs, 0, sizeof(hs));
		assert_int_equal(pw__hash_init(&hs.h, t), 0);
		n = snprintf(hdr, sizeof(hdr), "%s %llu", pw_object_type_name(o->type),
		        (unsigned long long)o->size);
		pw__hash_update(&hs.h, hdr, (size_t)n + 1);
		rc = pw_repo_stream(&stype, &ssize, repo, &o->id, hash_cb, &hs);
		pw__hash_final(&id, &hs.h);
		if (rc < 0)
			fail_msg("stream %s: %s", o->hex, pw_error_last());
		if (stype != o->type || ssize != o->size || hs.got != o->size ||
		        pw_oid_cmp(&id, &o->id))
			fail_msg("stream %s: wrong type, size or content", o->hex);
	}
}

/* ----------------------------------------------------------- iteration */

typedef struct ents {
	pw_repo_entry *v;
	size_t n, alloc;
} ents;

static int collect_cb(const pw_repo_entry *e, void *payload)
{
	ents *l = payload;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 256;
		assert_non_null(l->v = realloc(l->v, l->alloc * sizeof(*l->v)));
	}
	l->v[l->n++] = *e;
	return 0;
}

static ents foreach_all(pw_repo *repo, pw_foreach_order order)
{
	ents l = {NULL, 0, 0};

	if (pw_repo_foreach(repo, order, collect_cb, &l) < 0)
		fail_msg("foreach: %s", pw_error_last());
	return l;
}

static int cmp_oid(const void *a, const void *b)
{
	return pw_oid_cmp(a, b);
}

/* What an iteration delivered: ids and the digest of each object, in order. */
typedef struct seq {
	pw_oid *ids;
	unsigned char (*dig)[32];
	pw_pack **packs;
	size_t n, alloc;
	size_t stop_at; /* > 0: return 7 after that many */
} seq;

static void seq_push(seq *s, const pw_repo_entry *e, const pw_object *obj)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 256;
		assert_non_null(s->ids = realloc(s->ids, s->alloc * sizeof(*s->ids)));
		assert_non_null(s->dig = realloc(s->dig, s->alloc * sizeof(*s->dig)));
		assert_non_null(s->packs = realloc(s->packs, s->alloc * sizeof(*s->packs)));
	}
	s->ids[s->n] = e->id;
	s->packs[s->n] = e->pack;
	digest_object(s->dig[s->n], obj);
	s->n++;
}

static void seq_free(seq *s)
{
	free(s->ids);
	free(s->dig);
	free(s->packs);
	memset(s, 0, sizeof(*s));
}

static int seq_cb(const pw_repo_entry *e, const pw_object *obj, void *payload)
{
	seq *s = payload;

	seq_push(s, e, obj);
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

/* pw_repo_foreach then pw_repo_read_entry on each: what foreach_read must deliver. */
static seq baseline(pw_repo *repo, pw_foreach_order order)
{
	ents l = foreach_all(repo, order);
	seq s;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < l.n; i++) {
		pw_object *obj = NULL;
		if (pw_repo_read_entry(&obj, repo, &l.v[i]) < 0)
			fail_msg("read_entry %s: %s", hex_of(&l.v[i].id, pw_repo_oid_type(repo)),
			        pw_error_last());
		seq_push(&s, &l.v[i], obj);
		pw_object_free(obj);
	}
	free(l.v);
	return s;
}

/* The first `n` items of `got` equal `want`'s. */
static void assert_seq_prefix(const seq *got, const seq *want, size_t n)
{
	assert_true(got->n >= n && want->n >= n);
	for (size_t i = 0; i < n; i++) {
		if (pw_oid_cmp(&got->ids[i], &want->ids[i]))
			fail_msg("item %zu: id differs", i);
		if (memcmp(got->dig[i], want->dig[i], 32))
			fail_msg("item %zu: content differs", i);
	}
}

/* Iteration orders: SORTED is git's list; UNORDERED the same set, pack by pack in pack order, then
 * loose. */
static void check_iteration(pw_repo *repo, const glist *g)
{
	ents s = foreach_all(repo, PW_FOREACH_SORTED);
	ents u = foreach_all(repo, PW_FOREACH_UNORDERED);
	pw_oid *sorted;
	size_t i;

	assert_int_equal(s.n, g->n);
	for (i = 0; i < s.n; i++)
		if (pw_oid_cmp(&s.v[i].id, &g->v[i].id))
			fail_msg("sorted item %zu: %s, git: %s", i,
			        hex_of(&s.v[i].id, pw_repo_oid_type(repo)), g->v[i].hex);

	assert_int_equal(u.n, g->n);
	assert_non_null(sorted = malloc(u.n * sizeof(*sorted)));
	for (i = 0; i < u.n; i++)
		sorted[i] = u.v[i].id;
	qsort(sorted, u.n, sizeof(*sorted), cmp_oid);
	for (i = 0; i < u.n; i++)
		if (pw_oid_cmp(&sorted[i], &g->v[i].id))
			fail_msg("unordered: the set differs from git's at %s", g->v[i].hex);
	free(sorted);
	/* pack by pack, each in pack order, then the loose objects */
	for (i = 1; i < u.n; i++) {
		const pw_repo_entry *a = &u.v[i - 1], *b = &u.v[i];
		if (!a->pack && b->pack)
			fail_msg("unordered: a packed object after a loose one");
		if (a->pack && a->pack == b->pack && a->offset >= b->offset)
			fail_msg("unordered: not in pack order at %zu", i);
		for (size_t k = 0; b->pack && b->pack != a->pack && k + 1 < i; k++)
			if (u.v[k].pack == b->pack)
				fail_msg("unordered: a pack's objects are not together");
	}
	free(s.v);
	free(u.v);
}

/* foreach_read on 1, 2 and 4 threads delivers what foreach + read_entry gives, in both orders. */
static void check_foreach_read(pw_repo *repo)
{
	static const pw_foreach_order orders[] = {PW_FOREACH_SORTED, PW_FOREACH_UNORDERED};
	static const unsigned threads[] = {1, 2, 4, 0};

	for (size_t k = 0; k < 2; k++) {
		seq want = baseline(repo, orders[k]);
		for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
			seq got;
			int rc;

			memset(&got, 0, sizeof(got));
			if ((rc = pw_repo_foreach_read(
			             repo, orders[k], threads[t], seq_cb, &got)) != 0)
				fail_msg("foreach_read (%u threads): %s", threads[t],
				        pw_error_last());
			assert_int_equal(got.n, want.n);
			assert_seq_prefix(&got, &want, want.n);
			seq_free(&got);

			/* a callback's non-zero return stops it, and is returned */
			memset(&got, 0, sizeof(got));
			got.stop_at = want.n / 3 + 1;
			assert_int_equal(
			        pw_repo_foreach_read(repo, orders[k], threads[t], seq_cb, &got), 7);
			assert_int_equal(got.n, want.n / 3 + 1);
			assert_seq_prefix(&got, &want, got.n);
			seq_free(&got);
		}
		seq_free(&want);
	}
}

/* ------------------------------------------------------------- opening */

/* Open `path` (discovering upwards unless no_discover) and check where it landed. */
static void expect_open(const char *path, int no_discover, const char *gitdir, const char *objdir)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	char want_git[PATH_MAX], want_obj[PATH_MAX];
	pw_oid id = oid_of(BASIC_MAIN, PW_OID_SHA1);
	pw_object *obj = NULL;
	pw_repo *repo;

	snprintf(want_git, sizeof(want_git), "%s", real(gitdir));
	snprintf(want_obj, sizeof(want_obj), "%s", real(objdir));
	o.no_discover = no_discover;
	repo = open_with(path, &o);
	if (strcmp(pw_repo_gitdir(repo), want_git))
		fail_msg("%s: git dir %s, expected %s", path, pw_repo_gitdir(repo), want_git);
	if (strcmp(pw_repo_objdir(repo), want_obj))
		fail_msg("%s: object dir %s, expected %s", path, pw_repo_objdir(repo), want_obj);
	assert_int_equal(pw_repo_oid_type(repo), PW_OID_SHA1);
	if (pw_repo_read(&obj, repo, &id) < 0)
		fail_msg("%s: %s", path, pw_error_last());
	assert_int_equal(pw_object_type(obj), PW_OBJ_COMMIT);
	pw_object_free(obj);
	pw_repo_free(repo);
}

static void expect_open_fails(const char *path, int no_discover, int code, const char *piece)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_repo *repo = (pw_repo *)&o; /* must be reset */

	o.no_discover = no_discover;
	assert_error(pw_repo_open(&repo, path, &o), code, piece, NULL);
	assert_null(repo);
}

/*
 * A wrong version is refused naming both versions; PW_REPO_OPTIONS_INIT
 * leaves the nested wm_options zeroed, which is all defaults, and fields
 * set in it are honoured without setting its version.
 */
static void test_options_version(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_wm_options got;
	pw_repo *repo = NULL;
	(void)state;

	o.version = 7;
	assert_int_equal(pw_repo_open(&repo, BASIC, &o), PW_EINVALID);
	assert_null(repo);
	assert_string_equal(pw_error_last(), "pw_repo_options: version 7, expected 1");
	o.version = 0;
	assert_int_equal(pw_repo_open(&repo, BASIC, &o), PW_EINVALID);
	assert_string_equal(pw_error_last(), "pw_repo_options: version 0, expected 1");

	o.version = PW_REPO_OPTIONS_VERSION;
	assert_int_equal(o.wm_options.version, 0);
	assert_int_equal(pw_repo_open(&repo, BASIC, &o), 0);
	pw_wm_get_options(&got, pw_repo_wm(repo));
	assert_int_equal(got.version, PW_WM_OPTIONS_VERSION);
	assert_int_equal(got.memory_limit, (size_t)1 << 30);
	assert_int_equal(got.fd_limit, 64);
	assert_int_equal(pw_repo_pack_count(repo), 1);
	pw_repo_free(repo);

	o.wm_options.fd_limit = 9;
	assert_int_equal(pw_repo_open(&repo, BASIC, &o), 0);
	pw_wm_get_options(&got, pw_repo_wm(repo));
	assert_int_equal(got.fd_limit, 9);
	pw_repo_free(repo);
	repo = NULL;

	o.wm_options.version = 3;
	assert_int_equal(pw_repo_open(&repo, BASIC, &o), PW_EINVALID);
	assert_null(repo);
	assert_string_equal(pw_error_last(), "pw_repo_options.wm_options: version 3, expected 1");
}

/*
 * max_delta_depth reaches the repository's packs: an object 2+ deltas deep
 * in basic.git is refused by the repository with a limit of 1, as by
 * pw_pack with the same limit, and read by both without it.
 */
static void test_max_delta_depth(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	pw_repo *repo, *limited = NULL;
	pw_pack *pack, *plain = NULL;
	pw_object *obj = NULL;
	pw_wm *wm = NULL;
	pw_oid id;
	uint64_t off = 0;
	uint32_t i, depth = 0;
	int pack_rc, repo_rc;
	(void)state;

	repo = open_repo(BASIC);
	assert_int_equal(pw_repo_pack_count(repo), 1);
	pack = pw_repo_pack(repo, 0);
	for (i = 0; i < pw_pack_count(pack) && depth < 2; i++) {
		pw_object_t t;
		assert_int_equal(pw_pack_nth_offset(&off, pack, i), 0);
		assert_int_equal(pw_pack_chain(&t, &depth, pack, off), 0);
	}
	assert_true(depth >= 2);
	assert_int_equal(pw_pack_offset_oid(&id, pack, off), 0);

	po.max_delta_depth = 1;
	assert_int_equal(pw_wm_new(&wm, NULL), 0);
	assert_int_equal(pw_pack_open(&plain, wm, pw_pack_path(pack), &po), 0);
	pack_rc = pw_pack_read_at(&obj, plain, off);
	assert_int_equal(pack_rc, PW_ECORRUPT);
	assert_non_null(strstr(pw_error_last(), "longer than 1 entries"));

	o.max_delta_depth = 1;
	assert_int_equal(pw_repo_open(&limited, BASIC, &o), 0);
	repo_rc = pw_repo_read(&obj, limited, &id);
	assert_int_equal(repo_rc, pack_rc);
	assert_null(obj);
	assert_non_null(strstr(pw_error_last(), "longer than 1 entries"));

	assert_int_equal(pw_repo_read(&obj, repo, &id), 0);
	pw_object_free(obj);
	pw_repo_free(limited);
	pw_pack_free(plain);
	pw_wm_free(wm);
	pw_repo_free(repo);
}

/* A work tree, its .git, a bare repository, subdirectories, gitfiles, a linked work tree. */
static void test_open_forms(void **state)
{
	char wt_git[PATH_MAX], wt_obj[PATH_MAX + 16], text[PATH_MAX + 16];
	size_t fds = proc_fds();

	(void)state;
	sh("git clone -q '%s' wt && mkdir -p wt/src/deeper/deepest", BASIC);
	snprintf(wt_git, sizeof(wt_git), "%s", real(tmp("wt/.git")));
	snprintf(wt_obj, sizeof(wt_obj), "%s/objects", wt_git);

	expect_open(tmp("wt"), 0, wt_git, wt_obj);
	/* the work tree's own .git is no upward search */
	expect_open(tmp("wt"), 1, wt_git, wt_obj);
	expect_open(tmp("wt/.git"), 1, wt_git, wt_obj);
	expect_open(tmp("wt/.git/"), 0, wt_git, wt_obj);
	expect_open(BASIC, 1, BASIC, BASIC "/objects");
	expect_open(tmp("wt/src"), 0, wt_git, wt_obj);
	expect_open(tmp("wt/src/deeper/deepest"), 0, wt_git, wt_obj);
	expect_open(tmp("wt/src/../src/deeper"), 0, wt_git, wt_obj);
	/* inside a bare repository (or a .git), as git does */
	expect_open(BASIC "/refs/heads", 0, BASIC, BASIC "/objects");
	expect_open(tmp("wt/.git/refs"), 0, wt_git, wt_obj);
	expect_open_fails(tmp("wt/src"), 1, PW_ENOTFOUND, "not a git repository");
	expect_open_fails(tmp("wt/src/deeper"), 1, PW_ENOTFOUND, "wt/src/deeper");

	/* a linked work tree: a .git file to .git/worktrees/NAME, objects in the common dir */
	sh("git -C wt worktree add -q --detach ../linked %s", BASIC_SIDE);
	expect_open(tmp("linked"), 0, tmp("wt/.git/worktrees/linked"), wt_obj);
	expect_open(tmp("linked/src"), 0, tmp("wt/.git/worktrees/linked"), wt_obj);

	/* hand-written gitfiles: relative to their folder, and absolute */
	write_text("hand/.git", "gitdir: ../wt/.git\n");
	expect_open(tmp("hand"), 1, wt_git, wt_obj);
	sh("mkdir -p hand/sub");
	expect_open(tmp("hand/sub"), 0, wt_git, wt_obj);
	snprintf(text, sizeof(text), "gitdir: %s\n", wt_git);
	write_text("abs/.git", text);
	expect_open(tmp("abs"), 1, wt_git, wt_obj);
	/* a gitfile to nowhere, or not a gitfile at all */
	write_text("nowhere/.git", "gitdir: ../no-such-dir\n");
	expect_open_fails(tmp("nowhere"), 1, PW_ENOTFOUND, "not a git repository");
	write_text("garbage/.git", "this is no gitfile\n");
	expect_open_fails(tmp("garbage"), 1, PW_ENOTFOUND, "not a git repository");

	assert_int_equal(proc_fds(), fds);
}

/* pw_repo_open with GIT_DIR and GIT_OBJECT_DIRECTORY set (NULL: unset) for the call only. */
static int open_env(pw_repo **out, const char *git_dir, const char *obj_dir, const char *path)
{
	int rc;

	if (git_dir)
		setenv("GIT_DIR", git_dir, 1);
	if (obj_dir)
		setenv("GIT_OBJECT_DIRECTORY", obj_dir, 1);
	rc = pw_repo_open(out, path, NULL);
	unsetenv("GIT_DIR");
	unsetenv("GIT_OBJECT_DIRECTORY");
	return rc;
}

/* GIT_DIR and GIT_OBJECT_DIRECTORY, honoured when path is NULL only; NULL alone is the current
 * directory, searched upwards. */
static void test_open_env(void **state)
{
	char only[PW_OID_MAX_HEXSZ + 1], cwd[PATH_MAX], objs[PATH_MAX];
	pw_oid main_id = oid_of(BASIC_MAIN, PW_OID_SHA1), only_id;
	size_t fds = proc_fds();
	pw_object *obj = NULL;
	pw_repo *repo = NULL;
	int rc;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	sh("git clone -q --bare '%s' b.git && git init -q --bare objs.git", BASIC);
	sh_out(only, sizeof(only),
	        "echo only here | git --git-dir=objs.git hash-object -w --stdin");
	only_id = oid_of(only, PW_OID_SHA1);
	snprintf(objs, sizeof(objs), "%s", real(tmp("objs.git/objects")));

	/* GIT_DIR, absolute */
	if (open_env(&repo, tmp("b.git"), NULL, NULL) < 0)
		fail_msg("GIT_DIR: %s", pw_error_last());
	assert_string_equal(pw_repo_gitdir(repo), real(tmp("b.git")));
	assert_int_equal(pw_repo_read(&obj, repo, &main_id), 0);
	pw_object_free(obj);
	pw_repo_free(repo);

	/* GIT_DIR, relative to the current directory */
	assert_int_equal(chdir(tmpdir), 0);
	rc = open_env(&repo, "b.git", NULL, NULL);
	assert_int_equal(chdir(cwd), 0);
	if (rc < 0)
		fail_msg("relative GIT_DIR: %s", pw_error_last());
	assert_string_equal(pw_repo_gitdir(repo), real(tmp("b.git")));
	pw_repo_free(repo);

	/* GIT_OBJECT_DIRECTORY replaces the object directory: git agrees on what is there */
	assert_int_equal(
	        sh_rc("GIT_DIR=b.git GIT_OBJECT_DIRECTORY=objs.git/objects git cat-file -e %s",
	                only),
	        0);
	assert_true(sh_rc("GIT_DIR=b.git GIT_OBJECT_DIRECTORY=objs.git/objects git cat-file -e %s"
	                  " 2>/dev/null",
	                    BASIC_MAIN) != 0);
	if (open_env(&repo, tmp("b.git"), tmp("objs.git/objects"), NULL) < 0)
		fail_msg("GIT_OBJECT_DIRECTORY: %s", pw_error_last());
	assert_string_equal(pw_repo_gitdir(repo), real(tmp("b.git")));
	assert_string_equal(pw_repo_objdir(repo), objs);
	assert_int_equal(pw_repo_read(&obj, repo, &only_id), 0);
	pw_object_free(obj);
	assert_error(pw_repo_read(&obj, repo, &main_id), PW_ENOTFOUND, BASIC_MAIN, NULL);
	pw_repo_free(repo);

	/* with GIT_OBJECT_DIRECTORY, the git dir needs no objects/ of its own */
	sh("mkdir -p noobj.git/refs && echo 'ref: refs/heads/main' >noobj.git/HEAD");
	if (open_env(&repo, tmp("noobj.git"), tmp("objs.git/objects"), NULL) < 0)
		fail_msg("GIT_OBJECT_DIRECTORY without objects/: %s", pw_error_last());
	assert_string_equal(pw_repo_objdir(repo), objs);
	pw_repo_free(repo);
	expect_open_fails(tmp("noobj.git"), 1, PW_ENOTFOUND, "not a git repository");

	/* a path given: the environment is ignored */
	if (open_env(&repo, tmp("nowhere"), tmp("objs.git/objects"), tmp("b.git")) < 0)
		fail_msg("path and environment: %s", pw_error_last());
	assert_string_equal(pw_repo_objdir(repo), real(tmp("b.git/objects")));
	pw_repo_free(repo);
	/* a GIT_DIR that is no repository */
	assert_error(
	        open_env(&repo, tmp("nowhere"), NULL, NULL), PW_ENOTFOUND, "GIT_DIR=", "nowhere");
	assert_null(repo);

	/* NULL and no environment: the current directory, searched upwards */
	sh("git clone -q '%s' wt", BASIC);
	assert_int_equal(chdir(tmp("wt/src")), 0);
	rc = pw_repo_open(&repo, NULL, NULL);
	assert_int_equal(chdir(cwd), 0);
	if (rc < 0)
		fail_msg("NULL path: %s", pw_error_last());
	assert_string_equal(pw_repo_gitdir(repo), real(tmp("wt/.git")));
	pw_repo_free(repo);

	assert_int_equal(proc_fds(), fds);
}

/* No repository; SHA-256 from the config; an object format nobody knows. */
static void test_open_errors_and_formats(void **state)
{
	pw_oid id = oid_of(SHA256_MAIN, PW_OID_SHA256);
	size_t fds = proc_fds();
	pw_object *obj = NULL;
	pw_repo *repo;

	(void)state;
	sh("mkdir -p empty/sub");
	/* only when no repository encloses the temporary folder can discovery fail */
	if (sh_rc("cd empty/sub && git rev-parse --git-dir >/dev/null 2>&1") != 0)
		expect_open_fails(tmp("empty/sub"), 0, PW_ENOTFOUND,
		        "not a git repository (or any of the parent directories)");
	else
		print_message("%s is inside a repository: discovery failure not tested\n", tmpdir);
	expect_open_fails(tmp("empty"), 1, PW_ENOTFOUND, "empty: not a git repository");
	expect_open_fails(tmp("no-such-dir"), 0, PW_ENOTFOUND, "no-such-dir");
	/* HEAD and refs/ but no objects/: git says no repository either */
	sh("mkdir -p half.git/refs && echo 'ref: refs/heads/main' >half.git/HEAD");
	assert_true(sh_rc("git --git-dir=half.git rev-parse --git-dir >/dev/null 2>&1") != 0);
	expect_open_fails(tmp("half.git"), 1, PW_ENOTFOUND, "not a git repository");

	/* SHA-256 from extensions.objectformat */
	repo = open_repo(SHA256);
	assert_int_equal(pw_repo_oid_type(repo), PW_OID_SHA256);
	assert_int_equal(pw_repo_read(&obj, repo, &id), 0);
	assert_int_equal(pw_object_type(obj), PW_OBJ_COMMIT);
	pw_object_free(obj);
	pw_repo_free(repo);
	repo = open_repo(BASIC);
	assert_int_equal(pw_repo_oid_type(repo), PW_OID_SHA1);
	pw_repo_free(repo);

	/* the section and key are case-insensitive, the value may be quoted */
	sh("cp -R '%s' q.git", SHA256);
	write_text("q.git/config", "[core]\n\trepositoryformatversion = 1\n\tbare = true\n"
	                           "[Extensions]\n\tObjectFormat = \"sha256\"\n");
	assert_int_equal(sh_rc("git --git-dir=q.git cat-file -e %s", SHA256_MAIN), 0);
	repo = open_repo(tmp("q.git"));
	assert_int_equal(pw_repo_oid_type(repo), PW_OID_SHA256);
	pw_repo_free(repo);

	/* an unknown object format: git refuses the repository, so do we */
	sh("cp -R '%s' u.git", BASIC);
	write_text("u.git/config", "[core]\n\trepositoryformatversion = 1\n\tbare = true\n"
	                           "[extensions]\n\tobjectformat = sha512\n");
	assert_true(sh_rc("git --git-dir=u.git rev-parse HEAD >/dev/null 2>&1") != 0);
	expect_open_fails(tmp("u.git"), 1, PW_EUNSUPPORTED, "sha512");
	expect_open_fails(tmp("u.git/refs"), 0, PW_EUNSUPPORTED, "u.git/config");

	assert_int_equal(proc_fds(), fds);
}

/* ------------------------------------------------------------- objects */

/*
 * tmpdir/r.git: basic.git's pack; a second pack (new commit, `git repack
 * -d`); unreachable loose blobs, a loose commit, a loose copy of a packed
 * blob; alternates alt1 (relative) and alt2 (absolute, with a comment, a
 * blank line and a missing entry around them), alt2 -> alt3 -> alt4 (a
 * chain of 3), alt4 -> r.git and alt2 (a cycle). Each alternate has a
 * packed and a loose object of its own. Fills `loose_blob` with the id of
 * one unreachable loose blob.
 */
static void make_rich_repo(char *loose_blob)
{
	char readme[PW_OID_MAX_HEXSZ + 1], hex[PW_OID_MAX_HEXSZ + 1], text[4 * PATH_MAX];
	char *content;
	size_t len;
	FILE *f;

	sh("cp -R '%s' r.git", BASIC);
	sh("for i in 1 2 3 4 5 6 7 8; do echo unreachable loose blob $i |"
	   " git --git-dir=r.git hash-object -w --stdin >/dev/null; done");
	sh_out(loose_blob, PW_OID_MAX_HEXSZ + 1,
	        "echo unreachable loose blob 5 | git --git-dir=r.git hash-object --stdin");
	/* a second pack: what a new commit adds, packed without -a (the loose blobs are
	 * unreachable: they stay) */
	sh("b=$(echo second pack | git --git-dir=r.git hash-object -w --stdin) &&"
	   " t=$(printf '100644 blob %%s\\tnew.txt\\n' $b | git --git-dir=r.git mktree) &&"
	   " c=$(git --git-dir=r.git commit-tree $t -p main -m 'second pack') &&"
	   " git --git-dir=r.git update-ref refs/heads/main $c &&"
	   " git --git-dir=r.git repack -dq &&"
	   " c2=$(git --git-dir=r.git commit-tree $t -p $c -m 'a loose commit') &&"
	   " git --git-dir=r.git update-ref refs/heads/main $c2");
	assert_int_equal(sh_rc("test $(ls r.git/objects/pack/*.pack | wc -l) -eq 2"), 0);
	/* a loose copy of a packed blob */
	sh_out(readme, sizeof(readme), "git --git-dir=r.git rev-parse %s:README", BASIC_MAIN);
	sh("git --git-dir=r.git cat-file blob %s >readme.txt", readme);
	assert_non_null(f = fopen(tmp("readme.txt"), "rb"));
	assert_non_null(content = malloc(1 << 20));
	len = fread(content, 1, 1 << 20, f);
	fclose(f);
	write_loose(hex, "r.git/objects", PW_OID_SHA1, "blob", content, len);
	assert_string_equal(hex, readme);
	free(content);

	/* alternates, each with a loose object and a packed one */
	for (int i = 1; i <= 4; i++) {
		sh("git init -q --bare alt%d.git && echo alt%d loose | git --git-dir=alt%d.git "
		   "hash-object -w --stdin >/dev/null"
		   " && echo alt%d packed | git --git-dir=alt%d.git hash-object -w --stdin |"
		   " git --git-dir=alt%d.git pack-objects -q alt%d.git/objects/pack/pack >/dev/null"
		   " && git --git-dir=alt%d.git prune-packed",
		        i, i, i, i, i, i, i, i);
	}
	snprintf(text, sizeof(text),
	        "# alternates\n\n../../alt1.git/objects\n%s/alt2.git/objects\n"
	        "../../missing.git/objects\n",
	        tmpdir);
	write_text("r.git/objects/info/alternates", text);
	write_text("alt2.git/objects/info/alternates", "../../alt3.git/objects\n");
	snprintf(text, sizeof(text), "%s/alt4.git/objects\n", tmpdir);
	write_text("alt3.git/objects/info/alternates", text);
	snprintf(text, sizeof(text), "%s/r.git/objects\n../../alt2.git/objects\n", tmpdir);
	write_text("alt4.git/objects/info/alternates", text);
}

static void test_objects_against_git(void **state)
{
	char loose_blob[PW_OID_MAX_HEXSZ + 1];
	size_t fds = proc_fds(), nloose = 0;
	glist g;
	pw_repo *repo;
	pw_oid missing;

	(void)state;
	make_rich_repo(loose_blob);
	g = git_objects(tmp("r.git"), PW_OID_SHA1);
	/* basic's 156, the second pack's 3, 8 loose blobs, a loose commit, 2 per alternate */
	assert_int_equal(g.n, 156 + 3 + 8 + 1 + 8);

	repo = open_repo(tmp("r.git"));
	/* the primary, alt1, alt2, alt3, alt4: the missing one skipped, the cycle cut */
	assert_int_equal(repo->ndirs, 5);
	assert_string_equal(repo->dirs[1].path, real(tmp("alt1.git/objects")));
	assert_string_equal(repo->dirs[2].path, real(tmp("alt2.git/objects")));
	assert_string_equal(repo->dirs[3].path, real(tmp("alt3.git/objects")));
	assert_string_equal(repo->dirs[4].path, real(tmp("alt4.git/objects")));
	assert_int_equal(pw_repo_pack_count(repo), 2 + 4);
	assert_null(pw_repo_pack(repo, 6));

	check_all_objects(repo, &g);
	check_iteration(repo, &g);
	check_foreach_read(repo);
	for (size_t i = 0; i < g.n; i++) {
		pw_object_info info;
		assert_int_equal(pw_repo_info(&info, repo, &g.v[i].id, 0), 0);
		nloose += info.pack == NULL;
	}
	assert_int_equal(nloose, 8 + 1 + 4);

	/* an id nobody has */
	missing = g.v[0].id;
	missing.id[19] ^= 0x5a;
	assert_true(glist_find(&g, &missing) < 0);
	assert_error(pw_repo_exists(repo, &missing), PW_ENOTFOUND, NULL, NULL);
	pw_repo_free(repo);

	/* again under a tiny budget (git's t5301 spirit): one descriptor, 32 KiB mapped, a 4 KiB
	 * cache */
	{
		pw_repo_options o = PW_REPO_OPTIONS_INIT;
		pw_wm_stats st;
		o.no_discover = 1;
		o.wm_options.window_size = 8192;
		o.wm_options.memory_limit = 32768;
		o.wm_options.fd_limit = 1;
		o.delta_cache_size = 4096;
		repo = open_with(tmp("r.git"), &o);
		check_all_objects(repo, &g);
		check_iteration(repo, &g);
		check_foreach_read(repo);
		pw_wm_get_stats(&st, pw_repo_wm(repo));
		assert_true(st.mapped_peak <= 32768);
		assert_true(st.fds_peak <= 1);
		pw_repo_free(repo);
	}
	free(g.v);
	assert_int_equal(proc_fds(), fds);
}

/* A corrupt loose object met in the middle of foreach_read stops it there with its error. */
static void test_foreach_read_error(void **state)
{
	static const pw_foreach_order orders[] = {PW_FOREACH_SORTED, PW_FOREACH_UNORDERED};
	static const unsigned threads[] = {1, 2, 4};
	char loose_blob[PW_OID_MAX_HEXSZ + 1], path[PATH_MAX];
	static const char wrong[] = "blob 5\0hello";
	size_t fds = proc_fds();
	pw_repo *repo;
	pw_oid bad;

	(void)state;
	make_rich_repo(loose_blob);
	bad = oid_of(loose_blob, PW_OID_SHA1);
	sh("rm -f r.git/objects/%.2s/%s", loose_blob, loose_blob + 2);
	write_loose_raw("r.git/objects", loose_blob, wrong, sizeof(wrong) - 1, 0, NULL);
	snprintf(path, sizeof(path), "%.2s/%s", loose_blob, loose_blob + 2);

	repo = open_repo(tmp("r.git"));
	for (size_t k = 0; k < 2; k++) {
		ents l = foreach_all(repo, orders[k]);
		size_t at = SIZE_MAX;
		for (size_t i = 0; i < l.n; i++)
			if (!pw_oid_cmp(&l.v[i].id, &bad))
				at = i;
		/* met after others: an error in the middle */
		assert_true(at != SIZE_MAX && at > 0);
		for (size_t t = 0; t < 3; t++) {
			seq got;
			memset(&got, 0, sizeof(got));
			assert_error(
			        pw_repo_foreach_read(repo, orders[k], threads[t], seq_cb, &got),
			        PW_ECORRUPT, path, "does not hash to its name");
			/* everything before it, in order; nothing after */
			assert_int_equal(got.n, at);
			for (size_t i = 0; i < at; i++)
				assert_int_equal(pw_oid_cmp(&got.ids[i], &l.v[i].id), 0);
			seq_free(&got);
		}
		free(l.v);
	}
	pw_repo_free(repo);
	assert_int_equal(proc_fds(), fds);
}

/* The repository's warnings, counted, the last one kept. */
struct warnings {
	size_t n;
	char last[1024];
};

static void collect_warning(const char *msg, void *payload)
{
	struct warnings *w = payload;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

/*
 * Alternates as git 2.39 follows them: six levels deep, a seventh ignored
 * with git's warning; missing and unreadable ones warned about, never a
 * failure.
 */
static void test_alternates_depth(void **state)
{
	struct warnings warned = { 0, "" };
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	char ids[8][PW_OID_MAX_HEXSZ + 1], rel[64];
	size_t fds = proc_fds();
	pw_object *obj = NULL;
	pw_repo *repo = NULL;
	int i;

	(void)state;
	/* r.git -> a1 -> a2 -> ... -> a5, relative and absolute in turn */
	sh("git init -q --bare r.git");
	for (i = 1; i <= 7; i++) {
		sh("git init -q --bare a%d.git", i);
		sh_out(ids[i], sizeof(ids[i]),
		        "echo in a%d | git --git-dir=a%d.git hash-object -w --stdin", i, i);
	}
	write_text("r.git/objects/info/alternates", "../../a1.git/objects\n");
	for (i = 1; i < 5; i++) {
		char text[PATH_MAX];
		if (i % 2)
			snprintf(text, sizeof(text), "%s/a%d.git/objects\n", tmpdir, i + 1);
		else
			snprintf(text, sizeof(text), "../../a%d.git/objects\n", i + 1);
		snprintf(rel, sizeof(rel), "a%d.git/objects/info/alternates", i);
		write_text(rel, text);
	}
	/* 5 levels: every object is there */
	repo = open_repo(tmp("r.git"));
	assert_int_equal(repo->ndirs, 6);
	for (i = 1; i <= 5; i++) {
		pw_oid id = oid_of(ids[i], PW_OID_SHA1);
		if (pw_repo_read(&obj, repo, &id) < 0)
			fail_msg("a%d: %s", i, pw_error_last());
		pw_object_free(obj);
	}
	pw_repo_free(repo);

	/* a sixth level: followed, as git 2.39 follows it */
	write_text("a5.git/objects/info/alternates", "../../a6.git/objects\n");
	o.no_discover = 1;
	o.warn = collect_warning;
	o.warn_payload = &warned;
	repo = open_with(tmp("r.git"), &o);
	assert_int_equal(repo->ndirs, 7);
	assert_int_equal(warned.n, 0);
	{
		pw_oid id = oid_of(ids[6], PW_OID_SHA1);
		assert_int_equal(pw_repo_read(&obj, repo, &id), 0);
		pw_object_free(obj);
	}
	pw_repo_free(repo);
	assert_int_equal(sh_rc("git --git-dir=r.git cat-file -e %s", ids[6]), 0);

	/* a seventh: a6's alternates are ignored with git's warning, not an error */
	write_text("a6.git/objects/info/alternates", "../../a7.git/objects\n");
	repo = open_with(tmp("r.git"), &o);
	assert_int_equal(repo->ndirs, 7);
	assert_int_equal(warned.n, 1);
	assert_non_null(strstr(warned.last, "a6.git/objects: ignoring alternate object stores, "
	                                    "nesting too deep"));
	{
		pw_oid id = oid_of(ids[7], PW_OID_SHA1);
		assert_int_equal(pw_repo_read(&obj, repo, &id), PW_ENOTFOUND);
	}
	pw_repo_free(repo);
	assert_int_not_equal(sh_rc("git --git-dir=r.git cat-file -e %s 2>/dev/null", ids[7]), 0);
	assert_int_equal(sh_rc("git --git-dir=r.git cat-file -e %s 2>&1 | grep -q 'nesting too deep'",
	                         ids[6]), 0);

	/* a smaller limit stops sooner, the same way */
	warned.n = 0;
	o.max_alternates_depth = 2;
	repo = open_with(tmp("r.git"), &o);
	assert_int_equal(repo->ndirs, 4);
	assert_int_equal(warned.n, 1);
	assert_non_null(strstr(warned.last, "a3.git/objects: ignoring"));
	pw_repo_free(repo);

	/* a cycle ends the chain without a warning */
	warned.n = 0;
	o.max_alternates_depth = 0;
	write_text("a4.git/objects/info/alternates", "../../a5.git/objects\n../../r.git/objects\n"
	                                             "../../a2.git/objects\n");
	sh("rm a5.git/objects/info/alternates");
	write_text(
	        "a3.git/objects/info/alternates", "../../a4.git/objects\n../../a1.git/objects\n");
	repo = open_with(tmp("r.git"), &o);
	assert_int_equal(repo->ndirs, 6);
	assert_int_equal(warned.n, 0);
	pw_repo_free(repo);

	/* a missing alternate and an unreadable alternates file: warnings, the rest is used */
	write_text("a1.git/objects/info/alternates", "../../gone.git/objects\n../../a2.git/objects\n");
	repo = open_with(tmp("r.git"), &o);
	assert_int_equal(warned.n, 1);
	assert_non_null(strstr(warned.last, "gone.git/objects does not exist"));
	assert_int_equal(repo->ndirs, 6);
	pw_repo_free(repo);
	if (geteuid() != 0) {
		warned.n = 0;
		sh("chmod 000 a1.git/objects/info/alternates");
		repo = open_with(tmp("r.git"), &o);
		assert_int_equal(repo->ndirs, 2);
		assert_int_equal(warned.n, 1);
		assert_non_null(strstr(warned.last, "a1.git/objects/info/alternates"));
		pw_repo_free(repo);
		sh("chmod 644 a1.git/objects/info/alternates");
	}
	assert_int_equal(proc_fds(), fds);
}

/* Packs replaced, added and removed under an open repository; loose objects packed away. */
static void test_packs_change_underneath(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	char loose[PW_OID_MAX_HEXSZ + 1], commit[PW_OID_MAX_HEXSZ + 1];
	size_t fds = proc_fds();
	pw_object *obj = NULL;
	pw_repo *repo;
	pw_oid id;
	glist g;

	(void)state;
	sh("cp -R '%s' r.git", BASIC);
	sh_out(loose, sizeof(loose),
	        "echo soon packed | git --git-dir=r.git hash-object -w --stdin");
	g = git_objects(tmp("r.git"), PW_OID_SHA1);
	/* one descriptor, almost no memory, no cache: every read goes back to the files */
	o.no_discover = 1;
	o.wm_options.fd_limit = 1;
	o.wm_options.window_size = 8192;
	o.wm_options.memory_limit = 16384;
	o.delta_cache_size = 1;
	repo = open_with(tmp("r.git"), &o);
	check_all_objects(repo, &g);

	/* everything into a new pack, the old one deleted, the loose blob made reachable first */
	sh("t=$(printf '100644 blob %%s\\tx\\n' %s | git --git-dir=r.git mktree) &&"
	   " git --git-dir=r.git update-ref refs/heads/keep $(git --git-dir=r.git commit-tree $t "
	   "-m keep)"
	   " && git --git-dir=r.git repack -adq",
	        loose);
	assert_true(sh_rc("test -e r.git/objects/%.2s/%s", loose, loose + 2) != 0);
	free(g.v);
	g = git_objects(tmp("r.git"), PW_OID_SHA1);
	check_all_objects(repo, &g);
	assert_int_equal(pw_repo_pack_count(repo), 1);

	/*
	 * Again: the same objects make a pack of the same name, renamed over
	 * the old files. Before the fix the closed descriptors could not be
	 * re-opened (PW_ECHANGED, "replaced while open") and the rescan kept
	 * the stale pack: every read failed for good.
	 */
	sh("ls -i r.git/objects/pack/*.pack >before && git --git-dir=r.git repack -adq &&"
	   " ls -i r.git/objects/pack/*.pack >after && ! cmp -s before after &&"
	   " test \"$(cut -d' ' -f2 before)\" = \"$(cut -d' ' -f2 after)\"");
	check_all_objects(repo, &g);
	assert_int_equal(pw_repo_pack_count(repo), 1);

	/* a pack added by git: found by the rescan a miss triggers */
	sh_out(commit, sizeof(commit),
	        "c=$(git --git-dir=r.git commit-tree $(git --git-dir=r.git"
	        " rev-parse keep^{tree}) -p keep -m more) && git --git-dir=r.git update-ref "
	        "refs/heads/keep $c"
	        " && git --git-dir=r.git repack -dq && echo $c");
	id = oid_of(commit, PW_OID_SHA1);
	assert_int_equal(pw_repo_read(&obj, repo, &id), 0);
	pw_object_free(obj);
	assert_int_equal(pw_repo_pack_count(repo), 2);
	assert_non_null(pw_repo_pack(repo, 1));
	assert_null(pw_repo_pack(repo, 2));
	/* removed by git: gone from the list after a rescan */
	sh("git --git-dir=r.git repack -adq");
	assert_int_equal(pw_repo_rescan(repo), 0);
	assert_int_equal(pw_repo_pack_count(repo), 1);
	free(g.v);
	g = git_objects(tmp("r.git"), PW_OID_SHA1);
	check_all_objects(repo, &g);
	check_iteration(repo, &g);
	pw_repo_free(repo);
	free(g.v);
	assert_int_equal(proc_fds(), fds);
}

/* ------------------------------------------------------- REF_DELTA bases */

/* Build a pack from a JSON spec with craft-pack.py into `outdir_rel`. */
static void craft(const char *spec_rel, const char *spec, const char *outdir_rel)
{
	write_text(spec_rel, spec);
	sh("python3 '%s' build '%s' '%s' >/dev/null", CRAFT, spec_rel, outdir_rel);
}

static char *read_tmp_file(const char *rel, size_t *len)
{
	char *buf;
	FILE *f;

	assert_non_null(f = fopen(tmp(rel), "rb"));
	assert_non_null(buf = malloc(1 << 20));
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void expect_blob(pw_repo *repo, const char *hex, const char *content, size_t len)
{
	pw_oid id = oid_of(hex, PW_OID_SHA1);
	pw_object *obj = NULL;

	if (pw_repo_read(&obj, repo, &id) < 0)
		fail_msg("read %s: %s", hex, pw_error_last());
	assert_int_equal(pw_object_type(obj), PW_OBJ_BLOB);
	assert_int_equal(pw_object_size(obj), len);
	assert_memory_equal(pw_object_data(obj), content, len);
	pw_object_free(obj);
}

/* A pack whose REF_DELTAs name bases that are loose, or in the repository's other pack. */
static void test_ref_delta_base_elsewhere(void **state)
{
	static const char add1[] = "appended to the loose base\n",
	                  add2[] = "after the packed one\n";
	static const char add3[] = "a delta on a delta\n";
	char base[PW_OID_MAX_HEXSZ + 1], readme[PW_OID_MAX_HEXSZ + 1];
	char d1[PW_OID_MAX_HEXSZ + 1], d2[PW_OID_MAX_HEXSZ + 1], d3[PW_OID_MAX_HEXSZ + 1];
	char *bcontent, *rcontent, *r1, *r2, *r3, spec[4096];
	size_t blen, rlen, l1, l2, l3;
	size_t fds = proc_fds();
	pw_object_info info;
	pw_repo *repo;
	pw_oid id;
	glist g;

	(void)state;
	sh("cp -R '%s' r.git", BASIC);
	sh("for i in 1 2 3 4 5 6 7 8 9 10; do echo \"line $i of a base that is only loose\"; done "
	   ">base.txt");
	sh_out(base, sizeof(base), "git --git-dir=r.git hash-object -w base.txt");
	sh_out(readme, sizeof(readme), "git --git-dir=r.git rev-parse %s:README", BASIC_MAIN);
	sh("git --git-dir=r.git cat-file blob %s >readme.txt", readme);
	bcontent = read_tmp_file("base.txt", &blen);
	rcontent = read_tmp_file("readme.txt", &rlen);
	assert_true(rlen >= 10);

	/* the contents the deltas make, and their ids */
	l1 = blen + strlen(add1);
	assert_non_null(r1 = malloc(l1));
	memcpy(r1, bcontent, blen);
	memcpy(r1 + blen, add1, strlen(add1));
	l2 = 10 + strlen(add2);
	assert_non_null(r2 = malloc(l2));
	memcpy(r2, rcontent, 10);
	memcpy(r2 + 10, add2, strlen(add2));
	l3 = 20 + strlen(add3);
	assert_non_null(r3 = malloc(l3));
	memcpy(r3, r1, 20);
	memcpy(r3 + 20, add3, strlen(add3));
	object_id(&id, PW_OID_SHA1, "blob", r1, l1);
	pw_oid_tostr(d1, &id, PW_OID_SHA1);
	object_id(&id, PW_OID_SHA1, "blob", r2, l2);
	pw_oid_tostr(d2, &id, PW_OID_SHA1);
	object_id(&id, PW_OID_SHA1, "blob", r3, l3);
	pw_oid_tostr(d3, &id, PW_OID_SHA1);

	snprintf(spec, sizeof(spec),
	        "{\"entries\": ["
	        "{\"name\": \"d1\", \"type\": \"ref-delta\", \"base_id\": \"%s\", \"id\": \"%s\","
	        " \"base_size\": %zu, \"result_size\": %zu, \"ops\": [[\"copy\", 0, %zu], "
	        "[\"insert\", \"%s\"]]},"
	        "{\"name\": \"d2\", \"type\": \"ref-delta\", \"base_id\": \"%s\", \"id\": \"%s\","
	        " \"base_size\": %zu, \"result_size\": %zu, \"ops\": [[\"copy\", 0, 10], "
	        "[\"insert\", \"%s\"]]},"
	        "{\"name\": \"d3\", \"type\": \"ref-delta\", \"base\": \"d1\", \"id\": \"%s\","
	        " \"base_size\": %zu, \"result_size\": %zu, \"ops\": [[\"copy\", 0, 20], "
	        "[\"insert\", \"%s\"]]}"
	        "]}",
	        base, d1, blen, l1, blen, "appended to the loose base\\n", readme, d2, rlen, l2,
	        "after the packed one\\n", d3, l1, l3, "a delta on a delta\\n");
	craft("spec.json", spec, "r.git/objects/pack");

	/*
	 * git 2.39 itself cannot resolve a REF_DELTA whose base is outside its
	 * pack (packed_to_object_type gives OBJ_BAD): it lists the three ids
	 * from the idx as "missing". Their expected content is computed above,
	 * independently of packwin; everything else is git's word.
	 */
	g = git_objects(tmp("r.git"), PW_OID_SHA1);
	{
		const char *mine[3] = {d1, d2, d3};
		const size_t sizes[3] = {l1, l2, l3};
		const char *bases[3] = {base, readme, d1};
		size_t nbad = 0;
		for (size_t i = 0; i < g.n; i++)
			nbad += g.v[i].type == PW_OBJ_BAD;
		assert_int_equal(nbad, 3);
		for (size_t k = 0; k < 3; k++) {
			ssize_t at;
			id = oid_of(mine[k], PW_OID_SHA1);
			assert_true((at = glist_find(&g, &id)) >= 0);
			assert_int_equal(g.v[at].type, PW_OBJ_BAD);
			g.v[at].type = PW_OBJ_BLOB;
			g.v[at].size = sizes[k];
			g.v[at].base = oid_of(bases[k], PW_OID_SHA1);
		}
	}

	repo = open_repo(tmp("r.git"));
	assert_int_equal(pw_repo_pack_count(repo), 2);
	expect_blob(repo, d1, r1, l1);
	expect_blob(repo, d2, r2, l2);
	expect_blob(repo, d3, r3, l3);
	id = oid_of(d1, PW_OID_SHA1);
	assert_int_equal(pw_repo_info(&info, repo, &id, 1), 0);
	assert_int_equal(info.type, PW_OBJ_BLOB);
	assert_int_equal(info.size, l1);
	assert_string_equal(hex_of(&info.delta_base, PW_OID_SHA1), base);
	assert_non_null(info.pack);
	check_all_objects(repo, &g);
	check_iteration(repo, &g);
	check_foreach_read(repo);
	pw_repo_free(repo);

	/* the loose base gone: the message names the missing base, not the delta */
	sh("rm r.git/objects/%.2s/%s", base, base + 2);
	repo = open_repo(tmp("r.git"));
	{
		pw_object *obj = NULL;
		id = oid_of(d1, PW_OID_SHA1);
		assert_int_equal(pw_repo_exists(repo, &id), 0);
		assert_error(pw_repo_read(&obj, repo, &id), PW_ENOTFOUND, base, "delta base");
		assert_null(obj);
		id = oid_of(d3, PW_OID_SHA1);
		assert_error(pw_repo_read(&obj, repo, &id), PW_ENOTFOUND, base, "delta base");
		expect_blob(repo, d2, r2, l2);
	}
	pw_repo_free(repo);

	free(g.v);
	free(bcontent);
	free(rcontent);
	free(r1);
	free(r2);
	free(r3);
	assert_int_equal(proc_fds(), fds);
}

typedef struct count_state {
	size_t n;
} count_state;

static int count_cb(const pw_repo_entry *e, const pw_object *obj, void *payload)
{
	(void)e;
	(void)obj;
	((count_state *)payload)->n++;
	return 0;
}

static int discard_cb(const unsigned char *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	(void)payload;
	return 0;
}

/* Two packs, each a REF_DELTA whose base is the other's: a clear error, quickly, on any thread. */
static void test_ref_delta_cycle_across_packs(void **state)
{
	static const char x[] = "1111111111111111111111111111111111111111";
	static const char y[] = "2222222222222222222222222222222222222222";
	static const char *const ids[] = {x, y};
	char spec[1024];
	size_t fds = proc_fds();
	pw_repo *repo;
	time_t start = time(NULL);

	(void)state;
	sh("cp -R '%s' r.git", BASIC);
	snprintf(spec, sizeof(spec),
	        "{\"entries\": [{\"type\": \"ref-delta\", \"base_id\": \"%s\", \"id\": \"%s\","
	        " \"base_size\": 10, \"result_size\": 10, \"ops\": [[\"copy\", 0, 10]]}]}",
	        y, x);
	craft("x.json", spec, "r.git/objects/pack");
	snprintf(spec, sizeof(spec),
	        "{\"entries\": [{\"type\": \"ref-delta\", \"base_id\": \"%s\", \"id\": \"%s\","
	        " \"base_size\": 10, \"result_size\": 10, \"ops\": [[\"copy\", 0, 10]]}]}",
	        x, y);
	craft("y.json", spec, "r.git/objects/pack");

	repo = open_repo(tmp("r.git"));
	assert_int_equal(pw_repo_pack_count(repo), 3);
	for (size_t i = 0; i < 2; i++) {
		pw_oid id = oid_of(ids[i], PW_OID_SHA1);
		pw_object_info info;
		pw_object *obj = NULL;
		pw_object_t type;
		uint64_t size;

		assert_int_equal(pw_repo_exists(repo, &id), 0);
		assert_error(pw_repo_read(&obj, repo, &id), PW_ECORRUPT, "a cycle?", NULL);
		assert_null(obj);
		assert_error(pw_repo_info(&info, repo, &id, 1), PW_ECORRUPT, "a cycle?", NULL);
		assert_error(pw_repo_stream(&type, &size, repo, &id, discard_cb, NULL), PW_ECORRUPT,
		        "a cycle?", NULL);
	}
	/* on worker threads too (each has its own hop count) */
	for (unsigned t = 1; t <= 4; t *= 2) {
		count_state c = {0};
		assert_error(pw_repo_foreach_read(repo, PW_FOREACH_UNORDERED, t, count_cb, &c),
		        PW_ECORRUPT, "a cycle?", NULL);
		assert_true(c.n <= 156 + 1);
	}
	/* the rest of the repository is unaffected */
	{
		glist g = git_objects(BASIC, PW_OID_SHA1);
		check_all_objects(repo, &g);
		free(g.v);
	}
	pw_repo_free(repo);
	assert_true(time(NULL) - start < 20);
	assert_int_equal(proc_fds(), fds);
}

/* ------------------------------------------------------- abbreviations */

/* The ambiguity message lists every candidate (`want`, n of them) with its type as git names it. */
static void expect_ambiguous(
        pw_repo *repo, const char *gitdir, const char *prefix, const pw_oid *want, size_t n)
{
	pw_oid_t t = pw_repo_oid_type(repo);
	pw_oid out;

	assert_error(pw_repo_find_prefix(&out, repo, prefix, strlen(prefix)), PW_EAMBIGUOUS, prefix,
	        "ambiguous");
	for (size_t i = 0; i < n && i < 16; i++) {
		char type[32], piece[128], msg[2048];
		snprintf(msg, sizeof(msg), "%s", pw_error_last());
		sh_out(type, sizeof(type), "git --git-dir='%s' cat-file -t %s", gitdir,
		        hex_of(&want[i], t));
		snprintf(piece, sizeof(piece), "%s %s", hex_of(&want[i], t), type);
		if (!strstr(msg, piece))
			fail_msg("message '%s' lacks '%s'", msg, piece);
	}
	/* git finds it ambiguous too */
	assert_true(sh_rc("git --git-dir='%s' rev-parse --verify -q %s >/dev/null 2>&1", gitdir,
	                    prefix) != 0);
}

static void test_find_prefix(void **state)
{
	char hex[PW_OID_MAX_HEXSZ + 1], prefix[8], upper[48], content[64], text[64];
	size_t fds = proc_fds();
	pw_oid out, pair[2];
	pw_repo *repo;
	unsigned n;
	ssize_t hit = -1;
	glist g;

	(void)state;
	sh("cp -R '%s' r.git", BASIC);
	g = git_objects(tmp("r.git"), PW_OID_SHA1);

	/* a loose blob whose first 4 hex digits are those of a packed object */
	for (n = 0; hit < 0; n++) {
		pw_oid id;
		snprintf(content, sizeof(content), "collides %u\n", n);
		object_id(&id, PW_OID_SHA1, "blob", content, strlen(content));
		pw_oid_tostr(hex, &id, PW_OID_SHA1);
		for (size_t i = 0; i < g.n && hit < 0; i++)
			if (!strncmp(g.v[i].hex, hex, 4) && g.v[i].type != PW_OBJ_BLOB)
				hit = (ssize_t)i;
		assert_true(n < 1000000);
	}
	write_loose(hex, "r.git/objects", PW_OID_SHA1, "blob", content, strlen(content));
	memcpy(prefix, hex, 4);
	prefix[4] = '\0';

	repo = open_repo(tmp("r.git"));
	pair[0] = g.v[hit].id;
	pair[1] = oid_of(hex, PW_OID_SHA1);
	expect_ambiguous(repo, tmp("r.git"), prefix, pair, 2);

	/* longer prefixes tell them apart, as git does */
	for (size_t k = 0; k < 2; k++) {
		char other[PW_OID_MAX_HEXSZ + 1];
		size_t len = 4;
		pw_oid_tostr(text, &pair[k], PW_OID_SHA1);
		pw_oid_tostr(other, &pair[1 - k], PW_OID_SHA1);
		while (!strncmp(text, other, len))
			len++;
		if (pw_repo_find_prefix(&out, repo, text, len) < 0)
			fail_msg("%.*s: %s", (int)len, text, pw_error_last());
		assert_int_equal(pw_oid_cmp(&out, &pair[k]), 0);
		sh_out(upper, sizeof(upper), "git --git-dir=r.git rev-parse --verify %.*s",
		        (int)len, text);
		assert_string_equal(upper, text);
	}

	/* unique: a 7-digit prefix, an odd one, a full id, upper case */
	assert_int_equal(pw_repo_find_prefix(&out, repo, BASIC_MAIN, 7), 0);
	assert_string_equal(hex_of(&out, PW_OID_SHA1), BASIC_MAIN);
	assert_int_equal(pw_repo_find_prefix(&out, repo, BASIC_MAIN, 9), 0);
	assert_string_equal(hex_of(&out, PW_OID_SHA1), BASIC_MAIN);
	assert_int_equal(pw_repo_find_prefix(&out, repo, BASIC_MAIN, 40), 0);
	assert_string_equal(hex_of(&out, PW_OID_SHA1), BASIC_MAIN);
	for (size_t i = 0; i < 12; i++)
		upper[i] = (char)(BASIC_MAIN[i] >= 'a' ? BASIC_MAIN[i] - 32 : BASIC_MAIN[i]);
	assert_int_equal(pw_repo_find_prefix(&out, repo, upper, 12), 0);
	assert_string_equal(hex_of(&out, PW_OID_SHA1), BASIC_MAIN);
	/* the loose one alone, by an odd-length prefix */
	{
		size_t len = 5;
		pw_oid_tostr(text, &pair[0], PW_OID_SHA1);
		while (!strncmp(text, hex, len))
			len++;
		len |= 1;
		assert_int_equal(pw_repo_find_prefix(&out, repo, hex, len), 0);
		assert_int_equal(pw_oid_cmp(&out, &pair[1]), 0);
	}

	/* not found: the first 4-digit prefix nobody has */
	for (n = 0; n < 0x10000; n++) {
		int taken = 0;
		snprintf(text, sizeof(text), "%04x", n);
		for (size_t i = 0; i < g.n && !taken; i++)
			taken = !strncmp(g.v[i].hex, text, 4);
		taken |= !strncmp(hex, text, 4);
		if (!taken)
			break;
	}
	assert_error(pw_repo_find_prefix(&out, repo, text, 4), PW_ENOTFOUND, text, NULL);
	assert_true(sh_rc("git --git-dir=r.git rev-parse --verify -q %s >/dev/null", text) != 0);

	/* not abbreviations */
	assert_error(pw_repo_find_prefix(&out, repo, "abc", 3), PW_EINVALID, NULL, NULL);
	assert_error(pw_repo_find_prefix(&out, repo, "abcz", 4), PW_EINVALID, "abcz", NULL);
	assert_error(pw_repo_find_prefix(&out, repo, BASIC_MAIN "0", 41), PW_EINVALID, NULL, NULL);
	pw_repo_free(repo);
	free(g.v);
	assert_int_equal(proc_fds(), fds);
}

/* An ambiguous 4-digit prefix of the libgit2 corpus: packed objects of different types. */
static void test_find_prefix_corpus(void **state)
{
	size_t fds = proc_fds(), i, j, best = SIZE_MAX, best_n = 0;
	char prefix[8];
	pw_repo *repo;
	ents l;

	(void)state;
	need_corpus(LIBGIT2 "/HEAD");
	repo = open_repo(LIBGIT2);
	l = foreach_all(repo, PW_FOREACH_SORTED);
	assert_int_equal(l.n, 161981);
	/* the first prefix shared by 3 objects not all of one type */
	for (i = 0; i < l.n && best == SIZE_MAX; i = j) {
		pw_object_info a, b;
		for (j = i + 1; j < l.n && !memcmp(l.v[j].id.id, l.v[i].id.id, 2); j++)
			;
		if (j - i != 3)
			continue;
		assert_int_equal(pw_repo_info(&a, repo, &l.v[i].id, 0), 0);
		assert_int_equal(pw_repo_info(&b, repo, &l.v[i + 1].id, 0), 0);
		if (a.type != b.type) {
			best = i;
			best_n = j - i;
		}
	}
	assert_true(best != SIZE_MAX);
	{
		pw_oid want[3];
		for (i = 0; i < best_n; i++)
			want[i] = l.v[best + i].id;
		memcpy(prefix, hex_of(&want[0], PW_OID_SHA1), 4);
		prefix[4] = '\0';
		expect_ambiguous(repo, LIBGIT2, prefix, want, best_n);
	}
	free(l.v);
	pw_repo_free(repo);
	assert_int_equal(proc_fds(), fds);
}

/* ------------------------------------------------------------- bad input */

typedef struct bad_case {
	const char *name;
	const char *raw; /* the file's bytes before deflating */
	size_t rawlen;   /* 0: strlen */
	int big;         /* raw is a header to which '\\0' and `big` bytes of content are added */
	size_t cut;      /* bytes dropped from the end of the deflated file; SIZE_MAX: keep half */
	const char *extra; /* appended after the deflated bytes */
	int plain;         /* written as is, not deflated */
	int fake_name;     /* named after the hash of `name` (else, as git names it, of `raw`) */
	int code;
	const char *piece;
} bad_case;

/*
 * 53 content bytes share the 64-byte header buffer with "blob 65589\0";
 * 65536 more fill the 64 KiB content buffer exactly: the stream's end is
 * then not seen unless it is asked for.
 */
#define EXACT_64K 65589

static void test_missing_and_corrupt_loose(void **state)
{
	static const bad_case cases[] = {
	        {"truncated-half", "blob 3000", 0, 3000, SIZE_MAX, NULL, 0, 0, PW_ECORRUPT,
	                "truncated"},
	        {"truncated-1", "blob 3001", 0, 3001, 1, NULL, 0, 0, PW_ECORRUPT, "truncated"},
	        {"truncated-adler", "blob 3002", 0, 3002, 4, NULL, 0, 0, PW_ECORRUPT, "truncated"},
	        {"truncated-adler-64k", "blob 65589", 0, EXACT_64K, 4, NULL, 0, 0, PW_ECORRUPT,
	                "truncated"},
	        {"small-truncated-adler", "blob 5\0hallo", 12, 0, 4, NULL, 0, 0, PW_ECORRUPT,
	                "truncated"},
	        {"garbage-after", "blob 3003", 0, 3003, 0, "xyz", 0, 0, PW_ECORRUPT, "garbage"},
	        {"garbage-after-64k", "blob 65589", 0, EXACT_64K, 0, "xyz", 0, 0, PW_ECORRUPT,
	                "garbage"},
	        {"small-garbage-after", "blob 5\0hullo", 12, 0, 0, "x", 0, 0, PW_ECORRUPT,
	                "garbage"},
	        {"empty", "", 0, 0, 0, NULL, 1, 1, PW_ECORRUPT, "truncated"},
	        {"not-zlib", "blob 5\0hillo", 12, 0, 0, NULL, 1, 0, PW_ECORRUPT, "header check"},
	        {"unknown-type", "blub 5\0hello", 12, 0, 0, NULL, 0, 0, PW_ECORRUPT,
	                "unknown object type"},
	        {"no-space", "blob5\0hello", 11, 0, 0, NULL, 0, 0, PW_ECORRUPT, "bad header"},
	        {"bad-size", "blob 5x\0hello", 13, 0, 0, NULL, 0, 0, PW_ECORRUPT, "bad size"},
	        {"empty-size", "blob \0hello", 11, 0, 0, NULL, 0, 0, PW_ECORRUPT, "bad size"},
	        {"leading-zero", "blob 05\0hello", 13, 0, 0, NULL, 0, 0, PW_ECORRUPT, "bad size"},
	        {"header-without-end",
	                "blob "
	                "1111111111111111111111111111111111111111111111111111111111111111111111",
	                0, 0, 0, NULL, 0, 0, PW_ECORRUPT, "header does not end"},
	        {"shorter-than-header", "blob 10\0hello", 13, 0, 0, NULL, 0, 0, PW_ECORRUPT,
	                "size differs"},
	        {"longer-than-header", "blob 5\0hello hello", 18, 0, 0, NULL, 0, 0, PW_ECORRUPT,
	                "size differs"},
	        {"big-shorter", "blob 100000", 0, 70000, 0, NULL, 0, 0, PW_ECORRUPT, "shorter"},
	        {"big-longer", "blob 70000", 0, 100000, 0, NULL, 0, 0, PW_ECORRUPT, "longer"},
	        {"longer-64k", "blob 65588", 0, EXACT_64K, 0, NULL, 0, 0, PW_ECORRUPT, "longer"},
	        {"wrong-name", "blob 5\0hello", 12, 0, 0, NULL, 0, 1, PW_ECORRUPT, "does not hash"},
	};
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	char missing_hex[] = "0123456789abcdef0123456789abcdef01234567";
	char hexes[NCASES][PW_OID_MAX_HEXSZ + 1];
	size_t fds = proc_fds(), i;
	char fsck[1 << 16];
	pw_object *obj = NULL;
	pw_object_info info;
	pw_object_t type;
	uint64_t size;
	pw_repo *repo;
	pw_oid id;
	FILE *f;

	(void)state;
	sh("cp -R '%s' r.git", BASIC);

	/* missing: the message names the id */
	repo = open_repo(tmp("r.git"));
	id = oid_of(missing_hex, PW_OID_SHA1);
	assert_error(pw_repo_read(&obj, repo, &id), PW_ENOTFOUND, missing_hex, "not found");
	assert_null(obj);
	assert_error(pw_repo_exists(repo, &id), PW_ENOTFOUND, NULL, NULL);
	assert_error(pw_repo_info(&info, repo, &id, 1), PW_ENOTFOUND, missing_hex, NULL);
	assert_error(pw_repo_stream(&type, &size, repo, &id, discard_cb, NULL), PW_ENOTFOUND,
	        missing_hex, NULL);
	pw_repo_free(repo);

	for (i = 0; i < NCASES; i++) {
		const bad_case *c = &cases[i];
		size_t len = c->rawlen ? c->rawlen : strlen(c->raw) + (c->big ? 1 : 0);
		unsigned char *raw = malloc(len + (size_t)c->big + 1);

		assert_non_null(raw);
		memcpy(raw, c->raw, len - (c->big ? 1 : 0));
		if (c->big) {
			raw[len - 1] = '\0';
			/* the pattern differs from case to case: no two files share a name */
			for (size_t k = 0; k < (size_t)c->big; k++)
				raw[len + k] = (unsigned char)("0123456789abcdef\n"[(k + i) % 17]);
			len += (size_t)c->big;
		}
		if (c->fake_name)
			pw__hash_buf(&id, PW_OID_SHA1, c->name, strlen(c->name));
		else
			pw__hash_buf(&id, PW_OID_SHA1, raw, len);
		pw_oid_tostr(hexes[i], &id, PW_OID_SHA1);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(hexes[k], hexes[i]);
		if (c->plain) {
			char rel[128];
			snprintf(rel, sizeof(rel), "r.git/objects/%.2s/%s", hexes[i], hexes[i] + 2);
			write_file(rel, raw, len);
		} else if (c->cut == SIZE_MAX) {
			write_loose_raw("r.git/objects", hexes[i], raw, len, 0, NULL);
			sh("f=r.git/objects/%.2s/%s && head -c $(( $(wc -c <$f) / 2 )) $f >h && mv "
			   "h $f",
			        hexes[i], hexes[i] + 2);
		} else {
			write_loose_raw("r.git/objects", hexes[i], raw, len, c->cut, c->extra);
		}
		free(raw);
	}
	/* git fsck rejects every one of them */
	snprintf(fsck, sizeof(fsck), "cd '%s' && git --git-dir=r.git fsck --no-dangling 2>&1",
	        tmpdir);
	assert_non_null(f = popen(fsck, "r"));
	i = fread(fsck, 1, sizeof(fsck) - 1, f);
	fsck[i] = '\0';
	pclose(f);

	repo = open_repo(tmp("r.git"));
	for (i = 0; i < NCASES; i++) {
		const bad_case *c = &cases[i];
		char path[PATH_MAX];
		int rc;

		id = oid_of(hexes[i], PW_OID_SHA1);
		snprintf(path, sizeof(path), "r.git/objects/%.2s/%s", hexes[i], hexes[i] + 2);
		if (!strstr(fsck, hexes[i]) && !strstr(fsck, path))
			fail_msg("%s: git fsck does not complain:\n%s", c->name, fsck);
		rc = pw_repo_read(&obj, repo, &id);
		if (rc != c->code || !strstr(pw_error_last(), path) ||
		        !strstr(pw_error_last(), c->piece))
			fail_msg("%s: read gives %s '%s', expected %s naming %s and '%s'", c->name,
			        pw_error_name(rc), pw_error_last(), pw_error_name(c->code), path,
			        c->piece);
		assert_null(obj);
		rc = pw_repo_stream(&type, &size, repo, &id, discard_cb, NULL);
		if (c->fake_name && c->plain == 0) {
			/*
			 * Streaming does not hash: the bytes go out before the id
			 * could be checked, and checking is the caller's (packcat
			 * verify hashes what it streams and names both ids).
			 */
			assert_int_equal(rc, 0);
			assert_int_equal(size, 5);
		} else if (rc != c->code || !strstr(pw_error_last(), path) ||
		           !strstr(pw_error_last(), c->piece)) {
			fail_msg("%s: stream gives %s '%s'", c->name, pw_error_name(rc),
			        pw_error_last());
		}
		/* the file is there: it exists, and a broken header shows in info */
		assert_int_equal(pw_repo_exists(repo, &id), 0);
		rc = pw_repo_info(&info, repo, &id, 0);
		if (rc < 0 && (rc != PW_ECORRUPT || !strstr(pw_error_last(), path)))
			fail_msg("%s: info gives %s '%s'", c->name, pw_error_name(rc),
			        pw_error_last());
	}
	/* the good objects around them are unaffected */
	id = oid_of(BASIC_MAIN, PW_OID_SHA1);
	assert_int_equal(pw_repo_read(&obj, repo, &id), 0);
	pw_object_free(obj);
	pw_repo_free(repo);

	/* an object larger than the limit is refused before it is inflated, but streams */
	{
		pw_repo_options o = PW_REPO_OPTIONS_INIT;
		char hex[PW_OID_MAX_HEXSZ + 1], content[5000], path[PATH_MAX];
		memset(content, 'x', sizeof(content));
		write_loose(hex, "r.git/objects", PW_OID_SHA1, "blob", content, sizeof(content));
		snprintf(path, sizeof(path), "r.git/objects/%.2s/%s", hex, hex + 2);
		o.no_discover = 1;
		o.max_object_size = 4096;
		repo = open_with(tmp("r.git"), &o);
		id = oid_of(hex, PW_OID_SHA1);
		assert_error(pw_repo_read(&obj, repo, &id), PW_ELIMIT, path,
		        "exceeds the limit of 4096");
		assert_int_equal(pw_repo_stream(&type, &size, repo, &id, discard_cb, NULL), 0);
		assert_int_equal(size, sizeof(content));
		pw_repo_free(repo);
	}
	assert_int_equal(proc_fds(), fds);
}

/* ------------------------------------------------------------ large objects */

#define BIG_SIZE ((size_t)20 << 20)

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Byte i of the incompressible test blob `seed`. */
static unsigned char big_byte(uint32_t seed, uint64_t i)
{
	return (unsigned char)(mix(((uint64_t)seed << 40) ^ (i >> 3)) >> ((i & 7) * 8));
}

static void write_big(const char *rel, uint32_t seed, size_t size)
{
	unsigned char *buf = malloc(size);

	assert_non_null(buf);
	for (size_t i = 0; i < size; i++)
		buf[i] = big_byte(seed, i);
	write_file(rel, buf, size);
	free(buf);
}

typedef struct big_check {
	uint32_t seed;
	uint64_t at;
	size_t calls, largest;
	int bad;
	pw_hash h;
} big_check;

static int big_cb(const unsigned char *data, size_t len, void *payload)
{
	big_check *b = payload;

	for (size_t i = 0; i < len && !b->bad; i++)
		if (data[i] != big_byte(b->seed, b->at + i))
			b->bad = 1;
	pw__hash_update(&b->h, data, len);
	b->at += len;
	b->calls++;
	if (len > b->largest)
		b->largest = len;
	return 0;
}

/* Stream `hex` (git wrote it from write_big(seed, size)): right bytes, right id, within the budget.
 */
static void stream_big(pw_repo *repo, const char *hex, uint32_t seed, size_t size, int packed)
{
	pw_oid_t t = pw_repo_oid_type(repo);
	pw_oid id = oid_of(hex, t), got;
	pw_object_info info;
	pw_object_t type;
	uint64_t osize;
	big_check b;
	char hdr[64];
	int n;

	assert_int_equal(pw_repo_info(&info, repo, &id, 1), 0);
	assert_int_equal(info.pack != NULL, packed);
	assert_true(pw_oid_cmp(&info.delta_base, &(pw_oid){{0}}) == 0);
	memset(&b, 0, sizeof(b));
	b.seed = seed;
	assert_int_equal(pw__hash_init(&b.h, t), 0);
	n = snprintf(hdr, sizeof(hdr), "blob %zu", size);
	pw__hash_update(&b.h, hdr, (size_t)n + 1);
	if (pw_repo_stream(&type, &osize, repo, &id, big_cb, &b) < 0)
		fail_msg("stream %s: %s", hex, pw_error_last());
	pw__hash_final(&got, &b.h);
	assert_int_equal(type, PW_OBJ_BLOB);
	assert_int_equal(osize, size);
	assert_int_equal(b.at, size);
	assert_false(b.bad);
	/* the id git computed is the hash of what we streamed */
	assert_string_equal(hex_of(&got, t), hex);
	/* in pieces, never whole */
	assert_true(b.calls > 1 && b.largest < size);
}

static void big_repo(pw_oid_t t, size_t size)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	char loose[PW_OID_MAX_HEXSZ + 1], packed[PW_OID_MAX_HEXSZ + 1];
	const char *fmt = t == PW_OID_SHA256 ? "sha256" : "sha1";
	size_t fds = proc_fds();
	pw_wm_stats st;
	pw_repo *repo;

	sh("rm -rf big.git && git init -q --bare --object-format=%s big.git", fmt);
	write_big("big1.bin", 1, size);
	write_big("big2.bin", 2, size);
	/* one packed whole (a single random blob: no delta), one loose */
	sh_out(packed, sizeof(packed), "git --git-dir=big.git hash-object -w big2.bin");
	sh("echo %s | git --git-dir=big.git -c pack.compression=1 pack-objects -q "
	   "big.git/objects/pack/pack"
	   " >/dev/null && git --git-dir=big.git prune-packed",
	        packed);
	sh_out(loose, sizeof(loose), "git --git-dir=big.git hash-object -w big1.bin");
	assert_int_equal(
	        sh_rc("test -f big.git/objects/%.2s/%s && ! test -f big.git/objects/%.2s/%s", loose,
	                loose + 2, packed, packed + 2),
	        0);

	o.no_discover = 1;
	o.wm_options.memory_limit = (size_t)1 << 20;
	repo = open_with(tmp("big.git"), &o);
	stream_big(repo, loose, 1, size, 0);
	stream_big(repo, packed, 2, size, 1);
	pw_wm_get_stats(&st, pw_repo_wm(repo));
	print_message("%s: %zu-byte blobs streamed, %llu bytes mapped at most (limit %zu)\n", fmt,
	        size, (unsigned long long)st.mapped_peak, o.wm_options.memory_limit);
	assert_true(st.mapped_peak > 0);
	assert_true(st.mapped_peak <= o.wm_options.memory_limit);
	pw_repo_free(repo);
	sh("rm -f big1.bin big2.bin");
	assert_int_equal(proc_fds(), fds);
}

/* A stream whose pack vanishes once bytes went out: it fails, never starts again from byte 0. */
typedef struct vanish {
	big_check b;
	pw_repo *repo;
	const char *hex;
	int done;
} vanish;

static int vanish_cb(const unsigned char *data, size_t len, void *payload)
{
	vanish *v = payload;
	pw_wm_file *other;

	if (!v->done) {
		v->done = 1;
		/* git moves the object out of the pack (loose here) and deletes the pack */
		sh("mkdir -p v.git/objects/%.2s && cp other.git/objects/%.2s/%s v.git/objects/%.2s/ &&"
		   " rm -f v.git/objects/pack/*", v->hex, v->hex, v->hex + 2, v->hex);
		/* one descriptor in the budget: opening another file closes the pack's */
		assert_int_equal(pw_wm_open(&other, pw_repo_wm(v->repo), tmp("big-v.bin")), 0);
		pw_wm_close(other);
	}
	return big_cb(data, len, &v->b);
}

static void test_stream_no_restart(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	char hex[PW_OID_MAX_HEXSZ + 1];
	const size_t size = (size_t)2 << 20;
	pw_object_t type;
	uint64_t osize;
	pw_repo *repo;
	pw_oid id;
	vanish v;
	int rc;

	(void)state;
	sh("rm -rf v.git other.git && git init -q --bare v.git && git init -q --bare other.git");
	write_big("big-v.bin", 7, size);
	sh_out(hex, sizeof(hex), "git --git-dir=other.git hash-object -w big-v.bin");
	sh("echo %s | git --git-dir=other.git -c pack.compression=0 pack-objects -q "
	   "v.git/objects/pack/pack >/dev/null", hex);
	o.no_discover = 1;
	o.wm_options.fd_limit = 1;
	o.wm_options.window_size = 8192;
	o.wm_options.memory_limit = 16384;
	repo = open_with(tmp("v.git"), &o);
	id = oid_of(hex, PW_OID_SHA1);
	memset(&v, 0, sizeof(v));
	v.b.seed = 7;
	v.repo = repo;
	v.hex = hex;
	assert_int_equal(pw__hash_init(&v.b.h, PW_OID_SHA1), 0);
	rc = pw_repo_stream(&type, &osize, repo, &id, vanish_cb, &v);
	print_message("stream after its pack vanished: %d (%s), %llu of %zu bytes\n", rc,
		rc ? pw_error_last() : "ok", (unsigned long long)v.b.at, size);
	assert_true(v.done);
	/* what went out is the object's first bytes, once: no second copy after them */
	assert_false(v.b.bad);
	assert_true(v.b.at < size);
	assert_int_equal(rc, PW_ECHANGED);
	pw__hash_dispose(&v.b.h); /* the stream stopped before the digest was finished */
	/* and the object is still readable from where it went */
	stream_big(repo, hex, 7, size, 0);
	pw_repo_free(repo);
	sh("rm -rf v.git other.git big-v.bin");
}

static void test_large_objects(void **state)
{
	(void)state;
	big_repo(PW_OID_SHA1, BIG_SIZE);
	big_repo(PW_OID_SHA256, (size_t)3 << 20);
}

/* ------------------------------------------------- a bad copy, then the next */

static void count_retry_warn(const char *msg, void *payload)
{
	if (strstr(msg, "trying another copy"))
		atomic_fetch_add((atomic_size_t *)payload, 1);
}

/*
 * basic.git with its pack twice: an older whole copy, and a newer one
 * (searched first) whose every entry is zeroed. Every object reads as
 * from the intact repository, by id and through iterations on threads;
 * each bad entry is counted and warned of once.
 */
static void test_bad_copy_fallback(void **state)
{
	pw_repo_options o = PW_REPO_OPTIONS_INIT;
	atomic_size_t warned = 0;
	pw_repo *good, *bad;
	pw_repo_stats st;
	seq ref = {0}, got = {0};
	size_t i;

	(void)state;
	sh("cp -R '%s' good.git && cp -R '%s' bad.git && chmod -R u+w bad.git", BASIC, BASIC);
	sh("cd bad.git/objects/pack && p=$(ls pack-*.pack) && cp $p pack-whole.pack &&"
	   " cp ${p%%.pack}.idx pack-whole.idx && touch -d 2001-01-01 pack-whole.* &&"
	   " dd if=/dev/zero of=$p bs=1 seek=12 count=$(( $(stat -c %%s $p) - 32 ))"
	   " conv=notrunc status=none");
	good = open_repo(tmp("good.git"));
	assert_int_equal(pw_repo_foreach_read(good, PW_FOREACH_SORTED, 1, seq_cb, &ref), 0);
	assert_true(ref.n > 100);

	o.no_discover = 1;
	o.warn = count_retry_warn;
	o.warn_payload = &warned;
	bad = open_with(tmp("bad.git"), &o);
	assert_int_equal(pw_repo_pack_count(bad), 2);
	for (i = 0; i < ref.n; i++) {
		pw_object *obj = NULL;
		pw_object_info info;
		unsigned char dig[32];

		if (pw_repo_read(&obj, bad, &ref.ids[i]) < 0)
			fail_msg("%s: %s", hex_of(&ref.ids[i], PW_OID_SHA1), pw_error_last());
		digest_object(dig, obj);
		assert_memory_equal(dig, ref.dig[i], 32);
		pw_object_free(obj);
		assert_int_equal(pw_repo_info(&info, bad, &ref.ids[i], PW_INFO_DISK_SIZE), 0);
	}
	pw_repo_get_stats(&st, bad);
	assert_true(st.bad_objects >= 1);
	assert_int_equal(atomic_load(&warned), st.bad_objects);
	pw_repo_free(bad);

	/* iterations on worker threads, each in a fresh repository (nothing marked yet) */
	for (unsigned t = 1; t <= 4; t *= 2) {
		bad = open_with(tmp("bad.git"), &o);
		memset(&got, 0, sizeof(got));
		assert_int_equal(pw_repo_foreach_read(bad, PW_FOREACH_SORTED, t, seq_cb, &got), 0);
		assert_int_equal(got.n, ref.n);
		for (i = 0; i < ref.n; i++) {
			assert_int_equal(pw_oid_cmp(&got.ids[i], &ref.ids[i]), 0);
			assert_memory_equal(got.dig[i], ref.dig[i], 32);
		}
		seq_free(&got);
		pw_repo_free(bad);
	}
	seq_free(&ref);
	pw_repo_free(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_options_version),
	        cmocka_unit_test(test_max_delta_depth),
	        cmocka_unit_test_setup_teardown(test_open_forms, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_open_env, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_open_errors_and_formats, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_objects_against_git, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_foreach_read_error, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_alternates_depth, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_packs_change_underneath, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_ref_delta_base_elsewhere, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_ref_delta_cycle_across_packs, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_find_prefix, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_find_prefix_corpus, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(
	                test_missing_and_corrupt_loose, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_large_objects, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_stream_no_restart, make_tmpdir, remove_tmpdir),
	        cmocka_unit_test_setup_teardown(test_bad_copy_fallback, make_tmpdir, remove_tmpdir),
	};

	git_test_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
