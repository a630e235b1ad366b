/* verify.c: whole-pack verification — checksums, CRC32s and every object id, on several threads. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pack/internal.h"
#include "window/internal.h" /* pw__cursor_get_seq, pw__cursor_drop_behind */
#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/banned.h"

/* Objects handed to a worker at a time: consecutive, so bases stay in the cache. */
#define CHUNK 512
/*
 * A whole (non-delta) object this large is hashed while it is inflated,
 * never held whole: verify's memory stays within the budgets whatever the
 * objects' sizes. Smaller ones are read whole, so that a base lands in the
 * delta-base cache for the deltas after it.
 */
#define STREAM_MIN ((uint64_t)8 << 20)
/*
 * Objects built whole at once by all workers together: a worker whose
 * object would pass this waits until the others' are done (one alone may
 * be larger), so verify's heap is the delta-base cache plus this plus one
 * object, at any thread count. Smaller non-delta objects need no ticket.
 */
#define BUILD_BUDGET ((uint64_t)32 << 20)
#define BUILD_FREE ((uint64_t)64 << 10)

typedef struct verifier {
	pw_pack *p;
	uint32_t nchunks;
	atomic_uint next_job;   /* 0: idx checksum, 1: pack checksum, 2..: chunks */
	atomic_ullong done;
	atomic_uint stop_at;    /* jobs from here on are skipped: an earlier one failed */
	pthread_mutex_t lock;
	/* bytes of the objects being built whole now (BUILD_BUDGET), under `lock` */
	uint64_t building;
	pthread_cond_t built;
	/* the first failure in job order, reported to the caller's thread */
	uint64_t err_job;
	int err_code;
	char err_msg[1024];
} verifier;

static void fail(verifier *v, uint64_t job, int code)
{
	pthread_mutex_lock(&v->lock);
	if (!v->err_code || job < v->err_job) {
		v->err_job = job;
		v->err_code = code;
		snprintf(v->err_msg, sizeof(v->err_msg), "%s", pw_error_last());
	}
	/* jobs before this one still run, so the error reported is always the first */
	if (job < atomic_load(&v->stop_at))
		atomic_store(&v->stop_at, (unsigned)job);
	pthread_mutex_unlock(&v->lock);
}

/* Hash `len` bytes of a file from offset 0 through a cursor. */
int pw__hash_wm_file(pw_oid *out, pw_wm_file *f, uint64_t len, pw_oid_t type)
{
	const unsigned char *b;
	pw_cursor cur;
	uint64_t pos = 0;
	size_t avail;
	pw_hash h;
	int error;

	if ((error = pw__hash_init(&h, type)) < 0)
		return error;
	pw_cursor_init(&cur, f);
	while (pos < len) {
		if ((error = pw__cursor_get_seq(&b, &avail, &cur, pos)) < 0)
			break;
		if (avail > len - pos)
			avail = (size_t)(len - pos);
		pw__hash_update(&h, b, avail);
		pos += avail;
	}
	pw_cursor_release(&cur);
	if (error) {
		pw__hash_dispose(&h);
		return error;
	}
	pw__hash_final(out, &h);
	return 0;
}

static int check_idx_checksum(pw_pack *p)
{
	unsigned char raw[PW_OID_MAX_RAWSZ];
	pw_oid want, got;
	int error;

	if ((error = pw__hash_wm_file(&got, p->idxf, p->idx_size - p->rawsz, p->oid_type)) < 0)
		return error;
	if ((error = pw_wm_read(raw, p->idxf, p->idx_size - p->rawsz, p->rawsz)) < 0)
		return error;
	pw_oid_fromraw(&want, raw, p->oid_type);
	if (pw_oid_cmp(&want, &got))
		return pw__idx_error(p, PW_EVERIFY, "index checksum mismatch");
	return 0;
}

/* The pack's trailer in `trailer`, checked against the hash of what precedes it. */
static int check_trailer(pw_oid *trailer, pw_pack *p)
{
	unsigned char raw[PW_OID_MAX_RAWSZ];
	pw_oid got;
	int error;

	if ((error = pw__hash_wm_file(&got, p->packf, p->pack_size - p->rawsz, p->oid_type)) < 0)
		return error;
	if ((error = pw_wm_read(raw, p->packf, p->pack_size - p->rawsz, p->rawsz)) < 0)
		return error;
	pw_oid_fromraw(trailer, raw, p->oid_type);
	if (pw_oid_cmp(trailer, &got))
		return pw__pack_error(p, PW_EVERIFY, p->pack_size - p->rawsz,
			"pack checksum mismatch (the trailer does not match the content)");
	return 0;
}

int pw_pack_verify_trailer(pw_pack *p)
{
	pw_oid trailer;

	return check_trailer(&trailer, p);
}

int pw__verify_companion(pw_pack *p, pw_wm_file *f, uint64_t size, const char *what)
{
	unsigned char raw[PW_OID_MAX_RAWSZ];
	pw_oid want, got;
	int error;

	if ((error = pw_wm_read(raw, f, size - 2 * p->rawsz, p->rawsz)) < 0)
		return error;
	pw_oid_fromraw(&want, raw, p->oid_type);
	if ((error = pw_wm_read(raw, p->packf, p->pack_size - p->rawsz, p->rawsz)) < 0)
		return error;
	pw_oid_fromraw(&got, raw, p->oid_type);
	if (pw_oid_cmp(&want, &got))
		return pw__error_set(PW_EVERIFY,
			"%s: %s is for another pack: its pack checksum differs from %s's trailer",
			pw_wm_file_path(f), what, p->pack_path);
	if ((error = pw__hash_wm_file(&got, f, size - p->rawsz, p->oid_type)) < 0 ||
	    (error = pw_wm_read(raw, f, size - p->rawsz, p->rawsz)) < 0)
		return error;
	pw_oid_fromraw(&want, raw, p->oid_type);
	if (pw_oid_cmp(&want, &got))
		return pw__error_set(PW_EVERIFY, "%s: %s checksum mismatch",
			pw_wm_file_path(f), what);
	return 0;
}

int pw_pack_verify_rev(pw_pack *p)
{
	int error;

	if ((error = pw__rev_ensure(p)) < 0)
		return error;
	if (!p->revf)
		return 0;
	if (p->rev_file_msg)
		return pw__error_set(PW_ECORRUPT, "%s", p->rev_file_msg);
	/* the entries were checked when loaded: a permutation in offset order */
	return pw__verify_companion(p, p->revf, pw_wm_file_size(p->revf), "reverse index");
}

static int check_pack_checksum(pw_pack *p)
{
	pw_oid trailer, recorded;
	int error;

	if ((error = check_trailer(&trailer, p)) < 0)
		return error;
	if ((error = pw_pack_checksum(&recorded, p)) < 0)
		return error;
	if (pw_oid_cmp(&trailer, &recorded))
		return pw__idx_error(p, PW_EVERIFY,
			"index is for another pack: its pack checksum differs from %s's trailer",
			p->pack_path);
	return 0;
}

static int crc_range(uint32_t *out, pw_cursor *cur, uint64_t pos, uint64_t end)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	const unsigned char *b;
	size_t avail;
	int error;

	while (pos < end) {
		if ((error = pw__cursor_get_seq(&b, &avail, cur, pos)) < 0)
			return error;
		if (avail > end - pos)
			avail = (size_t)(end - pos);
		if (avail > 1u << 30)
			avail = 1u << 30;
		crc = crc32(crc, b, (uInt)avail);
		pos += avail;
	}
	*out = (uint32_t)crc;
	return 0;
}

static int hash_cb(const unsigned char *data, size_t len, void *payload)
{
	pw__hash_update(payload, data, len);
	return 0;
}

/*
 * Lookups trust the idx to be sorted and its fan-out to agree with the ids;
 * an idx that breaks either has a right checksum and still loses objects.
 */
static int check_idx_order(pw_pack *p, pw_cursor *idxcur, uint32_t idxpos, const pw_oid *id)
{
	uint32_t lo = id->id[0] ? p->fanout[id->id[0] - 1] : 0, hi = p->fanout[id->id[0]];
	char hex[PW_OID_MAX_HEXSZ + 1];
	const unsigned char *prev;
	size_t avail;
	int error;

	if (idxpos < lo || idxpos >= hi)
		return pw__idx_error(p, PW_ECORRUPT,
			"object %u (%s) is outside fan-out bucket %02x, which holds positions [%u, %u)",
			idxpos, pw_oid_tostr(hex, id, p->oid_type), id->id[0], lo, hi);
	if (idxpos == 0)
		return 0;
	if ((error = pw_cursor_get(&prev, &avail, idxcur,
		p->idx_version == 2 ? p->oids_at + (uint64_t)(idxpos - 1) * p->rawsz :
		p->oids_at + (uint64_t)(idxpos - 1) * (p->rawsz + 4), p->rawsz)) < 0)
		return error;
	if (memcmp(prev, id->id, p->rawsz) >= 0)
		return pw__idx_error(p, PW_ECORRUPT,
			"object %u (%s) is not sorted after object %u", idxpos,
			pw_oid_tostr(hex, id, p->oid_type), idxpos - 1);
	return 0;
}

static void build_begin(verifier *v, uint64_t size)
{
	pthread_mutex_lock(&v->lock);
	while (v->building && v->building + size > BUILD_BUDGET)
		pthread_cond_wait(&v->built, &v->lock);
	v->building += size;
	pthread_mutex_unlock(&v->lock);
}

static void build_end(verifier *v, uint64_t size)
{
	pthread_mutex_lock(&v->lock);
	v->building -= size;
	pthread_cond_broadcast(&v->built);
	pthread_mutex_unlock(&v->lock);
}

/* Read the object at `offset` whole, within the verifier's build budget. */
static int read_whole(pw_object **out, verifier *v, pw_cursor *cur, uint64_t offset,
	const pw_pack_entry *e)
{
	pw_pack *p = v->p;
	uint64_t size = e->size;
	pw_object_t type;
	int error;

	if (e->type == PW_OBJ_OFS_DELTA || e->type == PW_OBJ_REF_DELTA) {
		/* the result's size, from the delta's header: the delta and its result are held */
		pw_cursor_release(cur);
		if ((error = pw__read_header(&type, &size, p, offset, 0)) < 0)
			return error;
		size += e->size;
	} else if (size < BUILD_FREE) {
		return pw__read_at(out, p, cur, offset, 0);
	}
	build_begin(v, size);
	error = pw__read_at(out, p, cur, offset, 0);
	build_end(v, size);
	return error;
}

static int check_object(verifier *v, pw_cursor *cur, pw_cursor *idxcur, uint32_t packpos)
{
	pw_pack *p = v->p;
	uint64_t offset = pw__rev_offset(p, packpos), end = pw__rev_next_offset(p, packpos);
	uint32_t idxpos = p->rev_pos[packpos], want_crc, crc;
	char hex[PW_OID_MAX_HEXSZ + 1], hdr[64];
	const unsigned char *raw;
	pw_object *obj = NULL;
	pw_oid want, got;
	pw_pack_entry e;
	pw_hash h;
	int error, n;

	if (p->idx_version == 2) {
		if ((error = pw__idx_nth_crc(&want_crc, p, idxcur, idxpos)) < 0 ||
		    (error = crc_range(&crc, cur, offset, end)) < 0)
			return error;
		if (crc != want_crc)
			return pw__pack_error(p, PW_EVERIFY, offset,
				"CRC32 mismatch (idx says %08x, entry has %08x)", want_crc, crc);
	}
	{
		size_t avail;
		if ((error = pw_cursor_get(&raw, &avail, idxcur,
			p->idx_version == 2 ? p->oids_at + (uint64_t)idxpos * p->rawsz :
			p->oids_at + (uint64_t)idxpos * (p->rawsz + 4), p->rawsz)) < 0)
			return error;
		pw_oid_fromraw(&want, raw, p->oid_type);
	}
	if ((error = check_idx_order(p, idxcur, idxpos, &want)) < 0)
		return error;
	pw_cursor_release(idxcur); /* a REF_DELTA base lookup needs idx memory too */
	if ((error = pw__entry_parse(&e, p, cur, offset)) < 0)
		return error;
	if (e.type != PW_OBJ_OFS_DELTA && e.type != PW_OBJ_REF_DELTA && e.size >= STREAM_MIN) {
		if ((error = pw__check_inflatable(p, offset, offset + e.header_len, e.size, "object")) < 0)
			return error;
		n = snprintf(hdr, sizeof(hdr), "%s %llu", pw_object_type_name(e.type),
			(unsigned long long)e.size);
		if ((error = pw__hash_init(&h, p->oid_type)) < 0)
			return error;
		pw__hash_update(&h, hdr, (size_t)n + 1);
		if ((error = pw__inflate_stream(e.size, p, cur, offset + e.header_len, offset,
			hash_cb, &h)) < 0) {
			pw__hash_dispose(&h);
			return error;
		}
		pw__hash_final(&got, &h);
	} else {
		if ((error = read_whole(&obj, v, cur, offset, &e)) < 0)
			return error;
		n = snprintf(hdr, sizeof(hdr), "%s %zu", pw_object_type_name(obj->type), obj->size);
		if ((error = pw__hash_init(&h, p->oid_type)) < 0) {
			pw_object_free(obj);
			return error;
		}
		pw__hash_update(&h, hdr, (size_t)n + 1);
		pw__hash_update(&h, obj->data, obj->size);
		pw__hash_final(&got, &h);
		pw_object_free(obj);
	}
	if (pw_oid_cmp(&want, &got))
		return pw__pack_error(p, PW_EVERIFY, offset,
			"object %s does not hash to its id (content hashes to %s)",
			pw_oid_tostr(hex, &want, p->oid_type),
			pw_oid_tostr(hdr, &got, p->oid_type));
	return 0;
}

static void *worker(void *arg)
{
	verifier *v = arg;
	pw_pack *p = v->p;
	pw_cursor cur, idxcur;
	unsigned job;

	pw_cursor_init(&cur, p->packf);
	pw_cursor_init(&idxcur, p->idxf);
	while ((job = atomic_fetch_add(&v->next_job, 1)) < v->nchunks + 2 &&
	       job < atomic_load(&v->stop_at)) {
		int error = 0;
		/* pin nothing between jobs: other workers may need the memory */
		pw_cursor_release(&cur);
		pw_cursor_release(&idxcur);
		if (job == 0) {
			error = check_idx_checksum(p);
		} else if (job == 1) {
			error = check_pack_checksum(p);
		} else {
			uint32_t first = (job - 2) * CHUNK, i;
			uint32_t last = first + CHUNK < p->count ? first + CHUNK : p->count;
			for (i = first; i < last && !error && job < atomic_load(&v->stop_at); i++) {
				error = check_object(v, &cur, &idxcur, i);
				/* pack order: what is behind is not read again (bases are cached) */
				pw__cursor_drop_behind(&cur);
			}
			atomic_fetch_add(&v->done, i - first);
		}
		if (error < 0)
			fail(v, job, error);
	}
	pw_cursor_release(&cur);
	pw_cursor_release(&idxcur);
	return NULL;
}

int pw_pack_verify(pw_pack *p, const pw_verify_options *opts)
{
	pw_verify_options defaults = PW_VERIFY_OPTIONS_INIT;
	pthread_t tids[64];
	unsigned nthreads, started = 0, i;
	verifier v;
	int error;

	if ((error = pw__check_version(opts, PW_VERIFY_OPTIONS_VERSION, "pw_verify_options")) < 0)
		return error;
	if (!opts)
		opts = &defaults;
	if ((error = pw__rev_ensure(p)) < 0)
		return error;
	if (pw_pack_index_bases(p) < 0)
		pw_error_clear(); /* the object checks report what is wrong */
	memset(&v, 0, sizeof(v));
	v.p = p;
	v.nchunks = (p->count + CHUNK - 1) / CHUNK;
	atomic_init(&v.stop_at, UINT_MAX);
	pthread_mutex_init(&v.lock, NULL);
	pthread_cond_init(&v.built, NULL);

	nthreads = opts->threads;
	if (!nthreads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (unsigned)n : 1;
	}
	if (nthreads > 64)
		nthreads = 64;
	if (nthreads > v.nchunks + 2)
		nthreads = v.nchunks + 2;
	{
		/* each worker pins up to two windows (pack and idx): stay inside the budget */
		pw_wm_options wo;
		pw_wm_get_options(&wo, p->wm);
		if (wo.mode == PW_WM_SLIDING && wo.window_size) {
			uint64_t fit = wo.memory_limit / (3 * (uint64_t)wo.window_size);
			if (fit < nthreads)
				nthreads = fit ? (unsigned)fit : 1;
		}
	}

	/* with progress to report, this thread only watches: give it one more worker */
	for (i = opts->progress ? 0 : 1; i < nthreads; i++) {
		if (pthread_create(&tids[started], NULL, worker, &v))
			break;
		started++;
	}
	if (opts->progress && started) {
		/* workers run; this thread reports progress until they are done */
		while (atomic_load(&v.next_job) < v.nchunks + 2 &&
		       atomic_load(&v.next_job) < atomic_load(&v.stop_at)) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			opts->progress(atomic_load(&v.done), p->count, opts->payload);
			nanosleep(&ts, NULL);
		}
	}
	worker(&v);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (opts->progress && !v.err_code)
		opts->progress(p->count, p->count, opts->payload);
	pthread_cond_destroy(&v.built);
	pthread_mutex_destroy(&v.lock);
	if (v.err_code)
		return pw__error_set(v.err_code, "%s", v.err_msg);
	return 0;
}
