/* replace.c: replace refs (`refs/replace/<id>`), read once per repository and applied to reads by id. */

/*
 * As git (replace-object.c, git-replace(1)):
 * - every ref under GIT_REPLACE_REF_BASE (default "refs/replace/") whose
 *   name, after the base, starts with a full hex id replaces that object by
 *   the object the ref names (not peeled: a tag stays a tag); other names
 *   are ignored;
 * - a replacement that is itself replaced is followed: git looks an id up
 *   at most 5 times (MAXREPLACEDEPTH), so a chain of 4 replacements ends at
 *   its last object and one of 5 (or a loop) is an error;
 * - GIT_NO_REPLACE_OBJECTS (set to anything), core.useReplaceRefs=false in
 *   the repository's config, or pw_repo_options.no_replace_objects turn it
 *   off;
 * - reads by id (pw_repo_read, _info, _stream) are replaced; existence
 *   (pw_repo_exists, git's has_object_file) and reads of iteration entries
 *   (pw_repo_foreach_read, pw_repo_read_entry: git cat-file
 *   --batch-all-objects turns replacement off) are not.
 * The map is built on first need and published with one atomic pointer:
 * readers on other threads either see it whole or build their own, and
 * the loser of the race frees its copy.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/refs.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/* git's MAXREPLACEDEPTH. */
#define MAX_REPLACE_DEPTH 5

typedef struct replacement {
	pw_oid from, to;
} replacement;

struct pw_replace {
	replacement *v;   /* sorted by `from` */
	size_t n;
};

typedef struct load_ctx {
	pw_repo *repo;
	const char *base;
	size_t baselen;
	PW_ARRAY(replacement) list;
} load_ctx;

/* core.useReplaceRefs from the repository's config (read at open): on unless false. */
static int config_use_replace_refs(pw_repo *repo)
{
	return pw__config_bool(&repo->config, "core.usereplacerefs", 1);
}

static int add_ref(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	load_ctx *c = payload;
	size_t hexsz = c->repo->hexsz;
	replacement *r;
	pw_oid from;

	(void)peeled;
	if (strncmp(name, c->base, c->baselen))
		return 0;
	name += c->baselen;
	/* git's get_oid_hex: the first hexsz characters (what follows is not looked at) */
	if (strlen(name) < hexsz || pw_oid_fromhex(&from, name, c->repo->oid_type) < 0) {
		pw_error_clear();
		return 0; /* git: "bad replace ref name", ignored */
	}
	if ((r = PW_ARRAY_ALLOC(&c->list, 16)) == NULL)
		return pw__error_nomem();
	r->from = from;
	r->to = *id;
	return 0;
}

static int cmp_from(const void *a, const void *b)
{
	return pw_oid_cmp(&((const replacement *)a)->from, &((const replacement *)b)->from);
}

/* Build the map (empty when replacement is off). */
static int load(struct pw_replace **out, pw_repo *repo)
{
	const char *base = getenv("GIT_REPLACE_REF_BASE");
	struct pw_replace *map;
	load_ctx c;
	char *folder = NULL;
	int error = 0;

	*out = NULL;
	if ((map = pw__calloc(1, sizeof(*map))) == NULL)
		return pw__error_nomem();
	if (repo->no_replace || getenv("GIT_NO_REPLACE_OBJECTS") || !config_use_replace_refs(repo))
		goto done;
	memset(&c, 0, sizeof(c));
	c.repo = repo;
	c.base = base ? base : "refs/replace/";
	c.baselen = strlen(c.base);
	if (strncmp(c.base, "refs/", 5))
		goto done; /* replace refs live under refs/ */
	/* walk the folder holding the base ("refs/replace" for "refs/replace/x") */
	if ((folder = pw__strdup(c.base)) == NULL) {
		error = pw__error_nomem();
		goto done;
	}
	*(strrchr(folder, '/') + 1) = '\0';
	if ((error = pw__refdb_foreach_raw(repo, folder, add_ref, &c)) < 0) {
		PW_ARRAY_FREE(&c.list);
		goto done;
	}
	if (c.list.n > 1)
		qsort(c.list.v, c.list.n, sizeof(*c.list.v), cmp_from);
	map->v = c.list.v;
	map->n = c.list.n;
done:
	pw__free(folder);
	if (error < 0) {
		pw__free(map);
		return error;
	}
	*out = map;
	return 0;
}

static const pw_oid *find(const struct pw_replace *map, const pw_oid *id)
{
	size_t lo = 0, hi = map->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = pw_oid_cmp(&map->v[mid].from, id);
		if (c == 0)
			return &map->v[mid].to;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int pw__replace_lookup(const pw_oid **out, pw_repo *repo, const pw_oid *id)
{
	struct pw_replace *map = atomic_load_explicit(&repo->replace, memory_order_acquire);
	const pw_oid *cur = id, *next;
	char hex[PW_OID_MAX_HEXSZ + 1];
	int depth, error;

	if (!map) {
		struct pw_replace *expected = NULL;

		if ((error = load(&map, repo)) < 0)
			return error;
		if (!atomic_compare_exchange_strong_explicit(&repo->replace, &expected, map,
			    memory_order_acq_rel, memory_order_acquire)) {
			pw__replace_free(map); /* another thread won: use its map */
			map = expected;
		}
	}
	*out = id;
	if (map->n == 0)
		return 0;
	for (depth = 0; depth < MAX_REPLACE_DEPTH; depth++) {
		if ((next = find(map, cur)) == NULL) {
			*out = cur;
			return 0;
		}
		cur = next;
	}
	return pw__repo_error(repo, PW_ECORRUPT, "replace depth too high for object %s",
		pw_oid_tostr(hex, id, repo->oid_type));
}

void pw__replace_free(struct pw_replace *map)
{
	if (!map)
		return;
	pw__free(map->v);
	pw__free(map);
}
