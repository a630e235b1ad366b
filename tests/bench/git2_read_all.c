/* git2_read_all.c: libgit2's time to read every object of a repository (the benchmark baseline). */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Usage: git2_read_all GITDIR [oid|pack]
 * Reads every object through git_odb_read with strict hash verification off.
 *
 * Without "pack" (or with "oid"): in git_odb_foreach's order. Careful: with
 * libgit2 1.5 and a single pack that is NOT oid order but exactly pack order
 * (checked on the libgit2 corpus: the two id lists are equal), and it
 * performs like "pack".
 *
 * With "pack": the ids of `git show-index` output on stdin, sorted by their
 * offset (pack order); with NOSORT set in the environment, in the order
 * given. True oid order is therefore
 *     git show-index < PACK.idx | LC_ALL=C sort -k2 | NOSORT=1 git2_read_all GITDIR pack
 * (see tests/bench/batch.sh).
 */

typedef struct {
	git_oid *v;
	size_t n, alloc;
} oids;

static int collect(const git_oid *id, void *payload)
{
	oids *o = payload;
	if (o->n == o->alloc) {
		o->alloc = o->alloc ? o->alloc * 2 : 4096;
		o->v = realloc(o->v, o->alloc * sizeof(*o->v));
		if (!o->v)
			return -1;
	}
	o->v[o->n++] = *id;
	return 0;
}

typedef struct {
	unsigned long long off;
	git_oid id;
} placed;

static int by_offset(const void *a, const void *b)
{
	const placed *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

int main(int argc, char **argv)
{
	git_odb *odb;
	oids o = { NULL, 0, 0 };
	unsigned long long bytes = 0;
	size_t i;
	char path[4096];

	if (argc < 2) {
		fprintf(stderr, "usage: %s GITDIR [oid|pack] < show-index-output\n", argv[0]);
		return 2;
	}
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	snprintf(path, sizeof(path), "%s/objects", argv[1]);
	if (git_odb_open(&odb, path) < 0) {
		fprintf(stderr, "git_odb_open: %s\n", git_error_last()->message);
		return 3;
	}
	if (argc > 2 && !strcmp(argv[2], "pack")) {
		placed *p = NULL;
		size_t n = 0, alloc = 0;
		char hex[128];
		unsigned long long off;
		while (scanf("%llu %127s%*[^\n]", &off, hex) == 2) {
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 4096;
				p = realloc(p, alloc * sizeof(*p));
			}
			p[n].off = off;
			git_oid_fromstr(&p[n].id, hex);
			n++;
		}
		if (!getenv("NOSORT")) qsort(p, n, sizeof(*p), by_offset);
		for (i = 0; i < n; i++)
			collect(&p[i].id, &o);
		free(p);
	} else {
		git_odb_foreach(odb, collect, &o);
	}
	for (i = 0; i < o.n; i++) {
		git_odb_object *obj;
		if (git_odb_read(&obj, odb, &o.v[i]) < 0) {
			fprintf(stderr, "git_odb_read: %s\n", git_error_last()->message);
			return 3;
		}
		bytes += git_odb_object_size(obj);
		git_odb_object_free(obj);
	}
	printf("%zu objects, %llu bytes\n", o.n, bytes);
	free(o.v);
	git_odb_free(odb);
	git_libgit2_shutdown();
	return 0;
}
