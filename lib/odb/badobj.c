/* badobj.c: the packed entries found unreadable, per repository, so that lookups read another copy (git's mark_bad_packed_object). */
#include <string.h>

#include "odb/internal.h"
#include "util/error.h"
#include "util/banned.h"

static int cmp_bad(const pw_badent *a, const pw_pack *pack, uint64_t offset)
{
	uintptr_t pa = (uintptr_t)a->pack, pb = (uintptr_t)pack;

	if (pa != pb)
		return pa < pb ? -1 : 1;
	return a->offset < offset ? -1 : a->offset > offset;
}

/* Where (pack, offset) is or would go in the sorted array; `*found` says which. */
static size_t bad_pos(const pw_repo *repo, const pw_pack *pack, uint64_t offset, int *found)
{
	size_t lo = 0, hi = repo->bad.n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_bad(&repo->bad.v[mid], pack, offset);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int pw__bad_has(pw_repo *repo, const pw_pack *pack, uint64_t offset)
{
	int found;

	/* the common case, a repository with nothing bad, costs one atomic load */
	if (!atomic_load_explicit(&repo->nbad, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&repo->bad_lock);
	bad_pos(repo, pack, offset, &found);
	pthread_mutex_unlock(&repo->bad_lock);
	return found;
}

int pw__bad_mark(pw_repo *repo, const pw_pack *pack, uint64_t offset)
{
	size_t pos;
	int found, marked = 0;

	pthread_mutex_lock(&repo->bad_lock);
	pos = bad_pos(repo, pack, offset, &found);
	/* out of memory: not remembered, so the entry is tried (and fails) again next time */
	if (!found && PW_ARRAY_RESERVE(&repo->bad, repo->bad.n + 1, 16) == 0) {
		memmove(&repo->bad.v[pos + 1], &repo->bad.v[pos], (repo->bad.n - pos) * sizeof(*repo->bad.v));
		repo->bad.v[pos].pack = pack;
		repo->bad.v[pos].offset = offset;
		repo->bad.n++;
		atomic_store_explicit(&repo->nbad, repo->bad.n, memory_order_release);
		marked = 1;
	}
	pthread_mutex_unlock(&repo->bad_lock);
	return marked;
}

int pw__bad_data_error(int error)
{
	/* budgets, memory, descriptors and files changing underneath say nothing of the entry */
	return error == PW_ECORRUPT || error == PW_EVERIFY;
}

void pw__bad_report(pw_repo *repo, const pw_pack *pack, uint64_t offset, const pw_oid *id,
	const char *why)
{
	char hex[PW_OID_MAX_HEXSZ + 1];

	if (!pw__bad_mark(repo, pack, offset))
		return; /* said once */
	/* `why` names the pack and the offset already */
	pw__repo_warn(repo, "failed to read object %s: %s; trying another copy",
		pw_oid_tostr(hex, id, repo->oid_type), why);
}

void pw__bad_entry(pw_pack *pack, uint64_t offset, const pw_oid *id, const char *why, void *payload)
{
	pw__bad_report(payload, pack, offset, id, why);
}

size_t pw__bad_count(pw_repo *repo)
{
	return atomic_load_explicit(&repo->nbad, memory_order_acquire);
}

void pw__bad_init(pw_repo *repo)
{
	pthread_mutex_init(&repo->bad_lock, NULL);
}

void pw__bad_free(pw_repo *repo)
{
	PW_ARRAY_FREE(&repo->bad);
	pthread_mutex_destroy(&repo->bad_lock);
}
