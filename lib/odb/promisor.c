/* promisor.c: partial clones — which absent objects a promisor remote would supply (git's is_promisor_object). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "odb/internal.h"
#include "odb/parse.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/*
 * git counts an object as promised when an object of a promisor pack (one
 * with a NAME.promisor beside it) refers to it: a commit's tree and
 * parents, a tree's entries, a tag's object. The set is built on the first
 * question (it reads every object of those packs once) and kept.
 */
struct pw_promised {
	pw_oids ids;        /* sorted, each once */
};

int pw__promisor_init(pw_repo *repo)
{
	const char *name = pw__config_get(&repo->config, "extensions.partialclone", NULL);
	size_t i, len = 0;

	if (name && *name) {
		len = strlen(name);
	} else {
		/* git 2.39 marks the remote instead: remote.NAME.promisor = true */
		name = NULL;
		for (i = 0; i < repo->config.e.n && !name; i++) {
			const char *k = repo->config.e.v[i].key, *dot = strrchr(k, '.');
			if (!strncmp(k, "remote.", 7) && dot > k + 7 && !strcmp(dot, ".promisor") &&
			    pw__config_bool(&repo->config, k, 0)) {
				name = k + 7;
				len = (size_t)(dot - name);
			}
		}
	}
	if (!name)
		return 0;
	if (!(repo->promisor_name = pw__malloc(len + 1)))
		return pw__error_nomem();
	memcpy(repo->promisor_name, name, len);
	repo->promisor_name[len] = '\0';
	return 0;
}

const char *pw_repo_promisor_remote(pw_repo *repo)
{
	return repo->promisor_name;
}

static int add(pw_oids *ids, const pw_oid *id)
{
	pw_oid *slot = PW_ARRAY_ALLOC(ids, 1024);

	if (!slot)
		return pw__error_nomem();
	*slot = *id;
	return 0;
}

/* What one object of a promisor pack refers to. */
static int refs_of(pw_oids *ids, const pw_object *obj, pw_oid_t t)
{
	const unsigned char *data = pw_object_data(obj);
	size_t len = pw_object_size(obj), i;
	int error = 0, more;

	switch (pw_object_type(obj)) {
	case PW_OBJ_COMMIT: {
		pw__commit c;
		if ((error = pw__commit_parse(&c, data, len, t)) == 0) {
			error = add(ids, &c.tree);
			for (i = 0; i < c.parents.n && !error; i++)
				error = add(ids, &c.parents.v[i]);
		}
		pw__commit_dispose(&c);
		break;
	}
	case PW_OBJ_TREE: {
		pw__tree_iter it;
		pw__tree_entry e;
		pw__tree_iter_init(&it, data, len, t);
		while (!error && (more = pw__tree_next(&e, &it)) > 0)
			if (pw__tree_entry_type(e.mode) != PW_OBJ_COMMIT) /* gitlinks are another repository's */
				error = add(ids, &e.id);
		if (!error && more < 0)
			error = more;
		break;
	}
	case PW_OBJ_TAG: {
		pw__tag tag;
		if ((error = pw__tag_parse(&tag, data, len, t)) == 0)
			error = add(ids, &tag.object);
		break;
	}
	default:
		break;
	}
	return error;
}

static int cmp_oid(const void *a, const void *b)
{
	return pw_oid_cmp(a, b);
}

static int build(struct pw_promised **out, pw_repo *repo)
{
	struct pw_promised *p;
	size_t i, n = pw_repo_pack_count(repo), w = 0;
	int error = 0;

	if (!(p = pw__calloc(1, sizeof(*p))))
		return pw__error_nomem();
	for (i = 0; i < n && !error; i++) {
		pw_pack *pack = pw_repo_pack(repo, i);
		uint32_t k, count;

		if (!pack || !(pw_repo_pack_flags(repo, i) & PW_PACK_PROMISOR))
			continue;
		count = pw_pack_count(pack);
		for (k = 0; k < count && !error; k++) {
			pw_object *obj = NULL;
			uint64_t off;
			if ((error = pw_pack_nth_offset(&off, pack, k)) == 0 &&
			    (error = pw_pack_read_at(&obj, pack, off)) == 0)
				error = refs_of(&p->ids, obj, repo->oid_type);
			pw_object_free(obj);
		}
	}
	if (error) {
		PW_ARRAY_FREE(&p->ids);
		pw__free(p);
		return error;
	}
	qsort(p->ids.v, p->ids.n, sizeof(*p->ids.v), cmp_oid);
	for (i = 0; i < p->ids.n; i++)
		if (!w || pw_oid_cmp(&p->ids.v[w - 1], &p->ids.v[i]))
			p->ids.v[w++] = p->ids.v[i];
	p->ids.n = w;
	*out = p;
	return 0;
}

int pw_repo_is_promised(pw_repo *repo, const pw_oid *id)
{
	struct pw_promised *p;
	int error = 0;

	if (!pw_repo_promisor_remote(repo))
		return 0;
	pthread_mutex_lock(&repo->promised_lock);
	if (!repo->promised)
		error = build(&repo->promised, repo);
	p = repo->promised;
	pthread_mutex_unlock(&repo->promised_lock);
	if (error < 0)
		return error;
	return bsearch(id, p->ids.v, p->ids.n, sizeof(*p->ids.v), cmp_oid) != NULL;
}

void pw__promised_free(struct pw_promised *p)
{
	if (!p)
		return;
	PW_ARRAY_FREE(&p->ids);
	pw__free(p);
}
