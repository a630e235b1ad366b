/* pack.c: opening and closing a pack, its accessors and its error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pack/internal.h"
#include "window/internal.h" /* pw__wm_file_release */
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

#define DEFAULT_DELTA_CACHE (96u << 20)
#define DEFAULT_MAX_OBJECT ((uint64_t)4 << 30)
#define DEFAULT_MAX_DEPTH 10000

int pw__pack_error(pw_pack *p, int code, uint64_t offset, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pw__error_set(code, "%s: offset %llu: %s", p->pack_path,
		(unsigned long long)offset, what);
}

int pw__idx_error(pw_pack *p, int code, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pw__error_set(code, "%s: %s", p->idx_path, what);
}

/* Derive "x.pack", "x.idx" and "x.rev" from a path naming either of the first two. */
static int sibling_paths(pw_pack *p, const char *path)
{
	size_t len = strlen(path), stem;

	if (len > 5 && !strcmp(path + len - 5, ".pack"))
		stem = len - 5;
	else if (len > 4 && !strcmp(path + len - 4, ".idx"))
		stem = len - 4;
	else
		return pw__error_set(PW_EINVALID,
			"%s: not a pack: the name must end in .pack or .idx", path);
	p->pack_path = pw__malloc(stem + 6);
	p->idx_path = pw__malloc(stem + 5);
	p->rev_path = pw__malloc(stem + 5);
	if (!p->pack_path || !p->idx_path || !p->rev_path)
		return pw__error_nomem();
	memcpy(p->pack_path, path, stem);
	memcpy(p->pack_path + stem, ".pack", 6);
	memcpy(p->idx_path, path, stem);
	memcpy(p->idx_path + stem, ".idx", 5);
	memcpy(p->rev_path, path, stem);
	memcpy(p->rev_path + stem, ".rev", 5);
	return 0;
}

/*
 * The 12-byte header. With the idx open its object count must agree; opened
 * lazily, the header is where the count comes from, so it must at least fit
 * (every entry takes one byte or more).
 */
static int check_pack_header(pw_pack *p)
{
	unsigned char hdr[12];
	uint32_t count;
	int error;

	if (p->pack_size < 12 + p->rawsz)
		return pw__pack_error(p, PW_ECORRUPT, 0,
			"file of %llu bytes is too small to be a pack",
			(unsigned long long)p->pack_size);
	if ((error = pw_wm_read(hdr, p->packf, 0, sizeof(hdr))) < 0)
		return error;
	if (memcmp(hdr, "PACK", 4))
		return pw__pack_error(p, PW_ECORRUPT, 0, "bad pack signature");
	p->pack_version = (uint32_t)hdr[4] << 24 | hdr[5] << 16 | hdr[6] << 8 | hdr[7];
	if (p->pack_version != 2 && p->pack_version != 3)
		return pw__pack_error(p, PW_EUNSUPPORTED, 4,
			"pack version %u is not supported", p->pack_version);
	count = (uint32_t)hdr[8] << 24 | hdr[9] << 16 | hdr[10] << 8 | hdr[11];
	if (p->lazy) {
		if (count > p->pack_size - 12 - p->rawsz)
			return pw__pack_error(p, PW_ECORRUPT, 8,
				"pack of %llu bytes cannot hold the %u objects its header counts",
				(unsigned long long)p->pack_size, count);
		p->count = count;
	} else if (count != p->count) {
		return pw__pack_error(p, PW_ECORRUPT, 8,
			"pack holds %u objects but its idx lists %u", count, p->count);
	}
	return 0;
}

/*
 * The idx records the checksum of the pack it was made for, just before
 * its own: an idx beside another pack (the count may even agree) would
 * give the other pack's offsets. Both are stored bytes: nothing is hashed.
 * A repository checks every pack it registers (and a lazily opened pack
 * when its idx is loaded); pw_pack_open of a given file leaves it to
 * pw_pack_verify, which reports it as git verify-pack does.
 */
int pw__pack_check_pair(pw_pack *p)
{
	unsigned char in_idx[PW_OID_MAX_RAWSZ], in_pack[PW_OID_MAX_RAWSZ];
	char a[PW_OID_MAX_HEXSZ + 1], b[PW_OID_MAX_HEXSZ + 1];
	pw_oid x, y;
	int error;

	if (p->idx_size < 2 * p->rawsz || p->pack_size < p->rawsz)
		return 0; /* the size checks said so already */
	if ((error = pw_wm_read(in_idx, p->idxf, p->idx_size - 2 * p->rawsz, p->rawsz)) < 0 ||
	    (error = pw_wm_read(in_pack, p->packf, p->pack_size - p->rawsz, p->rawsz)) < 0)
		return error;
	if (!memcmp(in_idx, in_pack, p->rawsz))
		return 0;
	pw_oid_fromraw(&x, in_idx, p->oid_type);
	pw_oid_fromraw(&y, in_pack, p->oid_type);
	return pw__error_set(PW_EVERIFY, "%s does not match %s: the idx was made for pack %s, "
		"this pack's trailer says %s", p->idx_path, p->pack_path,
		pw_oid_tostr(a, &x, p->oid_type), pw_oid_tostr(b, &y, p->oid_type));
}

/* A new pack with the options applied; the files are opened by the caller. */
static int pack_new(pw_pack **out, pw_wm *wm, const char *path, const pw_pack_options *opts)
{
	pw_pack *p;

	if (!(p = pw__calloc(1, sizeof(*p))))
		return pw__error_nomem();
	p->wm = wm;
	p->oid_type = opts->oid_type;
	p->max_object_size = opts->max_object_size ? opts->max_object_size : DEFAULT_MAX_OBJECT;
	p->max_depth = opts->max_delta_depth ? opts->max_delta_depth : DEFAULT_MAX_DEPTH;
	p->base_lookup = opts->base_lookup;
	p->base_payload = opts->base_payload;
	p->bad_entry = opts->bad_entry;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return sibling_paths(p, path);
}

static int pack_dcache(pw_pack *p, const pw_pack_options *opts)
{
	if (opts->dcache) {
		p->dcache = opts->dcache;
		return 0;
	}
	p->own_dcache = 1;
	return pw_dcache_new(&p->dcache,
		opts->delta_cache_size ? opts->delta_cache_size : DEFAULT_DELTA_CACHE);
}

/* The .rev file, when there is one (it is optional). */
static int open_rev(pw_pack *p)
{
	int error;

	if ((error = pw_wm_open(&p->revf, p->wm, p->rev_path)) < 0) {
		p->revf = NULL;
		if (error != PW_ENOTFOUND)
			return error;
		pw_error_clear();
	}
	return 0;
}

int pw_pack_open(pw_pack **out, pw_wm *wm, const char *path,
	const pw_pack_options *opts)
{
	pw_pack_options defaults = PW_PACK_OPTIONS_INIT;
	pw_pack *p = NULL;
	int error;

	*out = NULL;
	if (!wm || !path)
		return pw__error_set(PW_EINVALID, "pw_pack_open: no manager or path");
	if ((error = pw__check_version(opts, PW_PACK_OPTIONS_VERSION, "pw_pack_options")) < 0)
		return error;
	if (!opts)
		opts = &defaults;
	if (opts->oid_type != PW_OID_UNKNOWN && !pw_oid_rawsz(opts->oid_type))
		return pw__error_set(PW_EINVALID, "%s: unknown object format", path);
	if ((error = pack_new(&p, wm, path, opts)) < 0)
		goto fail;
	if ((error = pw_wm_open(&p->idxf, wm, p->idx_path)) < 0)
		goto fail;
	if ((error = pw_wm_open(&p->packf, wm, p->pack_path)) < 0)
		goto fail;
	p->pack_size = pw_wm_file_size(p->packf);
	p->idx_size = pw_wm_file_size(p->idxf);
	if ((error = pw__idx_open(p)) < 0)
		goto fail;
	if ((error = check_pack_header(p)) < 0)
		goto fail;
	if ((error = open_rev(p)) < 0)
		goto fail;
	if ((error = pack_dcache(p, opts)) < 0)
		goto fail;
	atomic_store_explicit(&p->idx_ready, 1, memory_order_release);
	*out = p;
	return 0;
fail:
	pw_pack_free(p);
	return error;
}

int pw_pack_open_lazy(pw_pack **out, pw_wm *wm, const char *pack_path,
	const pw_pack_options *opts)
{
	pw_pack *p = NULL;
	int error;

	*out = NULL;
	if (!wm || !pack_path || !opts)
		return pw__error_set(PW_EINVALID, "pw_pack_open_lazy: no manager, path or options");
	if ((error = pw__check_version(opts, PW_PACK_OPTIONS_VERSION, "pw_pack_options")) < 0)
		return error;
	if (!pw_oid_rawsz(opts->oid_type))
		return pw__error_set(PW_EINVALID,
			"%s: a pack opened without its idx needs its object format", pack_path);
	if ((error = pack_new(&p, wm, pack_path, opts)) < 0)
		goto fail;
	p->lazy = 1;
	p->rawsz = pw_oid_rawsz(p->oid_type);
	if ((error = pw_wm_open(&p->packf, wm, p->pack_path)) < 0)
		goto fail;
	p->pack_size = pw_wm_file_size(p->packf);
	if ((error = check_pack_header(p)) < 0)
		goto fail;
	if ((error = pack_dcache(p, opts)) < 0)
		goto fail;
	*out = p;
	return 0;
fail:
	pw_pack_free(p);
	return error;
}

/* Open and check the idx and the .rev of a lazily opened pack (under `lock`). */
static int load_idx(pw_pack *p)
{
	int error;

	if (p->released)
		return pw__error_set(PW_ECHANGED, "%s: the pack is gone (released)", p->pack_path);
	if ((error = pw_wm_open(&p->idxf, p->wm, p->idx_path)) < 0) {
		p->idxf = NULL;
		return error;
	}
	p->idx_size = pw_wm_file_size(p->idxf);
	if ((error = pw__idx_open(p)) < 0 || (error = pw__pack_check_pair(p)) < 0 ||
	    (error = open_rev(p)) < 0) {
		pw_wm_close(p->idxf);
		p->idxf = NULL;
	}
	return error;
}

int pw__idx_ensure(pw_pack *p, const char *why)
{
	int error = 0;

	if (pw__idx_loaded(p))
		return 0;
	pthread_mutex_lock(&p->lock);
	if (p->idx_failed) {
		/* corrupt content stays corrupt: say so again without re-reading */
		error = pw__error_set(p->idx_failed, "%s",
			p->idx_failed_msg ? p->idx_failed_msg : "pack index is corrupt");
	} else if (!atomic_load_explicit(&p->idx_ready, memory_order_relaxed)) {
		if ((error = load_idx(p)) == 0) {
			atomic_store_explicit(&p->idx_ready, 1, memory_order_release);
		} else {
			/* copied first: the message is formatted into the same buffer */
			char cause[768];
			snprintf(cause, sizeof(cause), "%s", pw_error_last());
			pw__error_set(error, "%s is needed %s but cannot be loaded: %s",
				p->idx_path, why, cause);
			if (error == PW_ECORRUPT || error == PW_EUNSUPPORTED || error == PW_EVERIFY) {
				/* only content errors: a missing file, ENOMEM or EOS may pass */
				p->idx_failed = error;
				p->idx_failed_msg = pw__strdup(pw_error_last());
			}
		}
	}
	pthread_mutex_unlock(&p->lock);
	return error;
}

int pw_pack_load_idx(pw_pack *p)
{
	return pw__idx_ensure(p, "(pw_pack_load_idx)");
}

int pw_pack_idx_loaded(const pw_pack *p)
{
	return pw__idx_loaded(p);
}

int pw__pack_walk_begin(pw_pack *p)
{
	int error, fd;

	if ((error = pw__idx_ensure(p, "to walk its objects")) < 0)
		return error;
	pthread_mutex_lock(&p->lock);
	if (p->released)
		error = pw__error_set(PW_ECHANGED, "%s: the pack is gone (released)", p->pack_path);
	/* its descriptor lent: the idx, deleted by a repack meanwhile, stays readable to the end */
	else if (p->walkers == 0 && (error = pw_wm_lend_fd(&fd, p->idxf)) < 0)
		;
	else
		p->walkers++;
	pthread_mutex_unlock(&p->lock);
	return error;
}

void pw__pack_walk_end(pw_pack *p)
{
	pthread_mutex_lock(&p->lock);
	if (--p->walkers == 0)
		pw_wm_return_fd(p->idxf);
	pthread_mutex_unlock(&p->lock);
}

int pw__pack_release(pw_pack *p)
{
	int done;

	/* under `lock`: a lazy pack's idx is not loaded meanwhile, nor after */
	pthread_mutex_lock(&p->lock);
	if (p->walkers) {
		pthread_mutex_unlock(&p->lock);
		return 0; /* a later rescan, once the walk is over */
	}
	p->released = 1;
	done = pw__wm_file_release(p->packf);
	done &= pw__wm_file_release(p->idxf);
	done &= pw__wm_file_release(p->revf);
	pthread_mutex_unlock(&p->lock);
	/* after: what a reader still caches meanwhile goes too */
	if (p->dcache && !p->own_dcache)
		pw__dcache_forget(p->dcache, p);
	return done;
}

void pw_pack_free(pw_pack *p)
{
	if (!p)
		return;
	if (p->dcache) {
		if (p->own_dcache)
			pw_dcache_free(p->dcache);
		else
			pw__dcache_forget(p->dcache, p);
	}
	pw_wm_close(p->revf);
	pw_wm_close(p->packf);
	pw_wm_close(p->idxf);
	pw__free((void *)atomic_load(&p->is_base));
	pw__free(p->rev_offsets);
	pw__free(p->rev_off32);
	pw__free(p->rev_pos);
	pw__free(p->rev_failed_msg);
	pw__free(p->rev_file_msg);
	pw__free(p->pack_path);
	pw__free(p->idx_path);
	pw__free(p->rev_path);
	pw__free(p->idx_failed_msg);
	pthread_mutex_destroy(&p->lock);
	pw__free(p);
}

uint32_t pw_pack_count(const pw_pack *p)
{
	return p->count;
}

pw_oid_t pw_pack_oid_type(const pw_pack *p)
{
	return p->oid_type;
}

const char *pw_pack_path(const pw_pack *p)
{
	return p->pack_path;
}

const char *pw_pack_idx_path(const pw_pack *p)
{
	return p->idx_path;
}

uint64_t pw_pack_size(const pw_pack *p)
{
	return p->pack_size;
}

int pw_pack_idx_version(const pw_pack *p)
{
	return pw__idx_loaded(p) ? p->idx_version : 0;
}

int pw_pack_checksum(pw_oid *out, pw_pack *p)
{
	unsigned char raw[PW_OID_MAX_RAWSZ];
	int error;

	if ((error = pw__idx_ensure(p, "for the pack checksum it records")) < 0)
		return error;
	if ((error = pw_wm_read(raw, p->idxf, p->idx_size - 2 * p->rawsz, p->rawsz)) < 0)
		return error;
	pw_oid_fromraw(out, raw, p->oid_type);
	return 0;
}
