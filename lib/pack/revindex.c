/* revindex.c: pack order — from the .rev file when present, else sorted in memory. */
#include <stdlib.h>
#include <string.h>

#include "pack/internal.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/banned.h"

/* Radix sort of (offset, pos) pairs by offset: linear, no comparator calls. */
static int sort_by_offset(uint64_t *off, uint32_t *pos, uint32_t n)
{
	uint64_t *toff = pw__malloc((size_t)n * sizeof(*toff));
	uint32_t *tpos = pw__malloc((size_t)n * sizeof(*tpos));
	uint32_t *count = pw__malloc(65537 * sizeof(*count));
	uint64_t max = 0;
	unsigned shift;
	uint32_t i;

	if (!toff || !tpos || !count) {
		pw__free(toff);
		pw__free(tpos);
		pw__free(count);
		return pw__error_nomem();
	}
	for (i = 0; i < n; i++)
		if (off[i] > max)
			max = off[i];
	for (shift = 0; shift < 64 && (max >> shift); shift += 16) {
		memset(count, 0, 65537 * sizeof(*count));
		for (i = 0; i < n; i++)
			count[((off[i] >> shift) & 0xffff) + 1]++;
		for (i = 1; i < 65537; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++) {
			uint32_t d = count[(off[i] >> shift) & 0xffff]++;
			toff[d] = off[i];
			tpos[d] = pos[i];
		}
		memcpy(off, toff, (size_t)n * sizeof(*off));
		memcpy(pos, tpos, (size_t)n * sizeof(*pos));
	}
	pw__free(toff);
	pw__free(tpos);
	pw__free(count);
	return 0;
}

static int load_rev_file(pw_pack *p, uint32_t *pos)
{
	uint64_t want = 12 + (uint64_t)p->count * 4 + 2 * p->rawsz;
	uint64_t size = pw_wm_file_size(p->revf);
	const char *path = pw_wm_file_path(p->revf);
	const unsigned char *b;
	unsigned char head[12];
	pw_cursor cur;
	size_t avail = 0;
	uint32_t i;
	int error;

	if (size != want)
		return pw__error_set(PW_ECORRUPT, "%s: reverse index of %u objects must be %llu bytes, file has %llu",
			path, p->count, (unsigned long long)want, (unsigned long long)size);
	if ((error = pw_wm_read(head, p->revf, 0, 12)) < 0)
		return error;
	if (memcmp(head, "RIDX", 4) || pw__be32(head + 4) != 1)
		return pw__error_set(PW_ECORRUPT, "%s: bad reverse index signature or version", path);
	if (pw__be32(head + 8) != (p->oid_type == PW_OID_SHA256 ? 2u : 1u))
		return pw__error_set(PW_ECORRUPT, "%s: reverse index hash is not %s", path,
			pw_oid_type_name(p->oid_type));
	pw_cursor_init(&cur, p->revf);
	for (i = 0, error = 0; i < p->count; i++) {
		uint64_t at = 12 + (uint64_t)i * 4;
		if (avail < 4) {
			if ((error = pw_cursor_get(&b, &avail, &cur, at, 4)) < 0)
				break;
		}
		pos[i] = pw__be32(b);
		b += 4;
		avail -= 4;
		if (pos[i] >= p->count) {
			error = pw__error_set(PW_ECORRUPT, "%s: entry %u names object %u of %u",
				path, i, pos[i], p->count);
			break;
		}
	}
	pw_cursor_release(&cur);
	return error;
}

/* Whether the last error is about the .rev file itself (not the idx it points into). */
static int is_rev_error(pw_pack *p)
{
	const char *path = pw_wm_file_path(p->revf);
	size_t n = strlen(path);

	return !strncmp(pw_error_last(), path, n) && pw_error_last()[n] == ':';
}

static int build(pw_pack *p)
{
	uint32_t n = p->count, i;
	uint64_t *off = pw__malloc((size_t)(n ? n : 1) * sizeof(*off));
	uint32_t *pos = pw__malloc((size_t)(n ? n : 1) * sizeof(*pos));
	int from_idx = !p->revf || p->rev_file_msg;
	pw_cursor cur;
	int error = 0;

	if (!off || !pos) {
		error = pw__error_nomem();
		goto out;
	}
	pw_cursor_init(&cur, p->idxf);
	if (!from_idx) {
		if ((error = load_rev_file(p, pos)) == 0)
			for (i = 0; i < n && !error; i++)
				error = pw__idx_nth_offset(&off[i], p, &cur, pos[i]);
		/*
		 * A permutation sorted by offset is what the .rev file promises
		 * (strictly increasing offsets also make the entries distinct).
		 */
		for (i = 1; i < n && !error; i++)
			if (off[i] <= off[i - 1])
				error = pw__error_set(PW_ECORRUPT,
					"%s: entries %u and %u are out of pack order",
					pw_wm_file_path(p->revf), i - 1, i);
		if (error == PW_ECORRUPT && is_rev_error(p)) {
			/* git's load_pack_revindex does the same: the idx has the order too */
			if (!(p->rev_file_msg = pw__strdup(pw_error_last()))) {
				error = pw__error_nomem();
				goto done;
			}
			pw_error_clear();
			error = 0;
			from_idx = 1;
		}
	}
	if (from_idx) {
		for (i = 0; i < n && !error; i++) {
			pos[i] = i;
			error = pw__idx_nth_offset(&off[i], p, &cur, i);
		}
		if (!error)
			error = sort_by_offset(off, pos, n);
		for (i = 1; i < n && !error; i++)
			if (off[i] == off[i - 1])
				error = pw__idx_error(p, PW_ECORRUPT,
					"objects %u and %u share offset %llu", pos[i - 1], pos[i],
					(unsigned long long)off[i]);
	}
done:
	pw_cursor_release(&cur);
out:
	if (error) {
		pw__free(off);
		pw__free(pos);
		return error;
	}
	p->rev_pos = pos;
	if (p->pack_size <= UINT32_MAX && n > 0) {
		uint32_t *o32 = pw__malloc((size_t)n * sizeof(*o32));
		if (o32) {
			for (i = 0; i < n; i++)
				o32[i] = (uint32_t)off[i];
			pw__free(off);
			p->rev_off32 = o32;
			return 0;
		}
		/* no room for the smaller copy: keep the one made */
	}
	p->rev_offsets = off;
	return 0;
}

int pw__rev_ensure(pw_pack *p)
{
	int error = 0;

	if (atomic_load_explicit(&p->rev_ready, memory_order_acquire))
		return 0;
	/* before taking `lock`, which loading the idx takes too */
	if ((error = pw__idx_ensure(p, "to know the pack order")) < 0)
		return error;
	pthread_mutex_lock(&p->lock);
	if (p->rev_failed) {
		/* corrupt content stays corrupt: say so again without rebuilding */
		error = pw__error_set(p->rev_failed, "%s",
			p->rev_failed_msg ? p->rev_failed_msg : "reverse index is corrupt");
	} else if (!atomic_load_explicit(&p->rev_ready, memory_order_relaxed)) {
		if ((error = build(p)) == 0) {
			atomic_store_explicit(&p->rev_ready, 1, memory_order_release);
		} else if (error == PW_ECORRUPT) {
			/* only content errors: ENOMEM, EOS, ECHANGED may pass */
			p->rev_failed = error;
			p->rev_failed_msg = pw__strdup(pw_error_last());
		}
	}
	pthread_mutex_unlock(&p->lock);
	return error;
}

int pw__rev_find(uint32_t *packpos_out, pw_pack *p, uint64_t offset)
{
	uint32_t lo = 0, hi = p->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (pw__rev_offset(p, mid) < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->count && pw__rev_offset(p, lo) == offset) {
		*packpos_out = lo;
		return 0;
	}
	return pw__pack_error(p, PW_ENOTFOUND, offset, "no object starts here");
}

uint64_t pw__rev_next_offset(pw_pack *p, uint32_t packpos)
{
	return packpos + 1 < p->count ? pw__rev_offset(p, packpos + 1) : p->pack_size - p->rawsz;
}

int pw_pack_order_nth(uint32_t *idx_pos_out, pw_pack *p, uint32_t n)
{
	int error;

	if ((error = pw__rev_ensure(p)) < 0)
		return error;
	if (n >= p->count)
		return pw__error_set(PW_EINVALID, "%s: no object at pack position %u of %u",
			p->pack_path, n, p->count);
	*idx_pos_out = p->rev_pos[n];
	return 0;
}

int pw_pack_offset_oid(pw_oid *out, pw_pack *p, uint64_t offset)
{
	uint32_t packpos;
	int error;

	if ((error = pw__rev_ensure(p)) < 0 || (error = pw__rev_find(&packpos, p, offset)) < 0)
		return error;
	return pw_pack_nth_oid(out, p, p->rev_pos[packpos]);
}

int pw_pack_index_bases(pw_pack *p)
{
	_Atomic uint32_t *left = NULL;
	pw_cursor cur, idxcur;
	uint32_t i, pos;
	int error;

	if (atomic_load(&p->is_base))
		return 0;
	if ((error = pw__rev_ensure(p)) < 0)
		return error;
	if (!(left = pw__calloc((size_t)p->count + 1, sizeof(*left))))
		return pw__error_nomem();
	pw_cursor_init(&cur, p->packf);
	pw_cursor_init(&idxcur, p->idxf);
	for (i = 0, error = 0; i < p->count && !error; i++) {
		pw_pack_entry e;
		uint64_t base;
		if ((error = pw__entry_parse(&e, p, &cur, pw__rev_offset(p, i))) < 0)
			break;
		if (e.type == PW_OBJ_OFS_DELTA) {
			base = e.base_offset;
		} else if (e.type == PW_OBJ_REF_DELTA) {
			int found = pw__idx_find(&pos, p, &idxcur, &e.base_id);
			if (found == PW_ENOTFOUND)
				continue; /* base in another pack: that pack's business */
			if ((error = found) < 0 ||
			    (error = pw__idx_nth_offset(&base, p, &idxcur, pos)) < 0)
				break;
		} else {
			continue;
		}
		if (pw__rev_find(&pos, p, base) == 0) {
			if (atomic_load_explicit(&left[pos], memory_order_relaxed) < UINT32_MAX)
				atomic_fetch_add_explicit(&left[pos], 1, memory_order_relaxed);
		} else {
			pw_error_clear(); /* reading that entry reports it */
		}
	}
	pw_cursor_release(&cur);
	pw_cursor_release(&idxcur);
	if (error < 0) {
		pw__free((void *)left);
		return error;
	}
	{
		_Atomic uint32_t *expected = NULL;
		if (!atomic_compare_exchange_strong(&p->is_base, &expected, left))
			pw__free((void *)left);
	}
	return 0;
}

int pw__rev_is_base(pw_pack *p, uint64_t offset)
{
	_Atomic uint32_t *left = atomic_load_explicit(&p->is_base, memory_order_acquire);
	uint32_t pos;

	if (!left)
		return 1;
	if (pw__rev_find(&pos, p, offset) < 0) {
		pw_error_clear();
		return 1;
	}
	return atomic_load_explicit(&left[pos], memory_order_relaxed) != 0;
}

int pw__rev_base_done(pw_pack *p, uint64_t offset)
{
	_Atomic uint32_t *left = atomic_load_explicit(&p->is_base, memory_order_acquire);
	uint32_t pos, n;

	if (!left)
		return 0;
	if (pw__rev_find(&pos, p, offset) < 0) {
		pw_error_clear();
		return 0;
	}
	/* never below zero: a second pass over the pack must not wrap it */
	n = atomic_load_explicit(&left[pos], memory_order_relaxed);
	while (n && !atomic_compare_exchange_weak_explicit(&left[pos], &n, n - 1,
		memory_order_relaxed, memory_order_relaxed))
		;
	return n == 1;
}
