/* verify.c: every loose object file of the repository checked: inflate, header, id. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/internal.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/banned.h"

/* The object as git names it: "TYPE SIZE\0", then the content, hashed as it streams. */
typedef struct hasher {
	pw_hash h;
	const pw_object_t *type; /* set by the stream before the first piece */
	const uint64_t *size;
	int started;
} hasher;

static void hasher_start(hasher *hs)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %llu", pw_object_type_name(*hs->type),
		(unsigned long long)*hs->size);

	pw__hash_update(&hs->h, hdr, (size_t)n + 1); /* with the NUL */
	hs->started = 1;
}

static int hash_piece(const unsigned char *data, size_t len, void *payload)
{
	hasher *hs = payload;

	if (!hs->started)
		hasher_start(hs);
	pw__hash_update(&hs->h, data, len);
	return 0;
}

/* The loose file of `id` in object directory `dir`: 0, or its error. */
static int verify_one(pw_repo *repo, size_t dir, const pw_oid *id, const char *path)
{
	char want[PW_OID_MAX_HEXSZ + 1], got_hex[PW_OID_MAX_HEXSZ + 1];
	pw_objloc loc = { .src = &repo->loose, .dir = dir };
	pw_object_t type = PW_OBJ_BAD;
	uint64_t size = 0;
	hasher hs;
	pw_oid got;
	int error;

	memset(&hs, 0, sizeof(hs));
	if ((error = pw__hash_init(&hs.h, repo->oid_type)) < 0)
		return error;
	hs.type = &type;
	hs.size = &size;
	error = repo->loose.ops->stream(&type, &size, &loc, id, hash_piece, &hs);
	if (error < 0) {
		pw__hash_dispose(&hs.h);
		return error;
	}
	if (!hs.started)
		hasher_start(&hs);
	pw__hash_final(&got, &hs.h);
	if (pw_oid_cmp(&got, id))
		return pw__error_set(PW_EVERIFY, "%s: hash mismatch: %s holds %s", path,
			pw_oid_tostr(want, id, repo->oid_type),
			pw_oid_tostr(got_hex, &got, repo->oid_type));
	return 0;
}

static int push_id(const pw_oid *id, void *payload)
{
	pw_oids *ids = payload;
	pw_oid *slot = PW_ARRAY_ALLOC(ids, 1024);

	if (!slot)
		return PW_ENOMEM;
	*slot = *id;
	return 0;
}

static int cmp_oid(const void *a, const void *b)
{
	return pw_oid_cmp(a, b);
}

int pw_repo_verify_loose(pw_repo *repo, pw_loose_verify_cb cb, void *payload)
{
	pw_oids ids = PW_ARRAY_INIT;
	size_t i, d;
	int error, bad = 0;

	pthread_rwlock_rdlock(&repo->lock);
	if ((error = pw__loose_foreach(repo, NULL, 0, push_id, &ids)) != 0) {
		if (error == PW_ENOMEM)
			error = pw__error_nomem();
		goto out;
	}
	if (ids.n)
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_oid);
	/*
	 * Every file, the copy of an object that is also packed or in another
	 * object directory included: reads give only the first copy.
	 */
	for (i = 0; i < ids.n; i++) {
		if (i && !pw_oid_cmp(&ids.v[i], &ids.v[i - 1]))
			continue;
		for (d = 0; d < repo->ndirs; d++) {
			char path[PATH_MAX];
			struct stat st;
			int rc;

			if ((error = pw__loose_path(path, sizeof(path), &repo->dirs[d], &ids.v[i],
				repo->oid_type)) < 0)
				goto out;
			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			rc = verify_one(repo, d, &ids.v[i], path);
			if (rc == PW_ENOMEM) {
				error = rc;
				goto out;
			}
			if (rc < 0)
				bad = 1;
			if (cb)
				cb(&ids.v[i], path, rc, payload);
			pw_error_clear();
		}
	}
	error = bad ? pw__error_set(PW_EVERIFY, "%s: some loose objects are bad",
		repo->dirs[0].path) : 0;
out:
	pthread_rwlock_unlock(&repo->lock);
	PW_ARRAY_FREE(&ids);
	return error;
}
