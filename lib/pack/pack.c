/* pack.c: opening and closing a pack, its accessors and its error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pack/internal.h"
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
static int sibling_paths(pw_pack *p, const char *path, char **rev)
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
	*rev = pw__malloc(stem + 5);
	if (!p->pack_path || !p->idx_path || !*rev)
		return pw__error_nomem();
	memcpy(p->pack_path, path, stem);
	memcpy(p->pack_path + stem, ".pack", 6);
	memcpy(p->idx_path, path, stem);
	memcpy(p->idx_path + stem, ".idx", 5);
	memcpy(*rev, path, stem);
	memcpy(*rev + stem, ".rev", 5);
	return 0;
}

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
	if (count != p->count)
		return pw__pack_error(p, PW_ECORRUPT, 8,
			"pack holds %u objects but its idx lists %u", count, p->count);
	return 0;
}

int pw_pack_open(pw_pack **out, pw_wm *wm, const char *path,
	const pw_pack_options *opts)
{
	pw_pack_options defaults = PW_PACK_OPTIONS_INIT;
	pw_pack *p;
	char *rev = NULL;
	int error;

	*out = NULL;
	if (!wm || !path)
		return pw__error_set(PW_EINVALID, "pw_pack_open: no manager or path");
	if (!opts)
		opts = &defaults;
	if (opts->oid_type != PW_OID_UNKNOWN && !pw_oid_rawsz(opts->oid_type))
		return pw__error_set(PW_EINVALID, "%s: unknown object format", path);
	if (!(p = pw__calloc(1, sizeof(*p))))
		return pw__error_nomem();
	p->wm = wm;
	p->oid_type = opts->oid_type;
	p->max_object_size = opts->max_object_size ? opts->max_object_size : DEFAULT_MAX_OBJECT;
	p->max_depth = opts->max_delta_depth ? opts->max_delta_depth : DEFAULT_MAX_DEPTH;
	p->base_lookup = opts->base_lookup;
	p->base_payload = opts->base_payload;
	pthread_mutex_init(&p->lock, NULL);

	if ((error = sibling_paths(p, path, &rev)) < 0)
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
	if ((error = pw_wm_open(&p->revf, wm, rev)) < 0) {
		p->revf = NULL;
		if (error != PW_ENOTFOUND)
			goto fail;
		pw_error_clear();
	}
	if (opts->dcache) {
		p->dcache = opts->dcache;
	} else {
		if ((error = pw_dcache_new(&p->dcache,
			opts->delta_cache_size ? opts->delta_cache_size : DEFAULT_DELTA_CACHE)) < 0)
			goto fail;
		p->own_dcache = 1;
	}
	pw__free(rev);
	*out = p;
	return 0;
fail:
	pw__free(rev);
	pw_pack_free(p);
	return error;
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
	pw__free(p->rev_pos);
	pw__free(p->rev_failed_msg);
	pw__free(p->pack_path);
	pw__free(p->idx_path);
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
	return p->idx_version;
}

int pw_pack_checksum(pw_oid *out, pw_pack *p)
{
	unsigned char raw[PW_OID_MAX_RAWSZ];
	int error;

	if ((error = pw_wm_read(raw, p->idxf, p->idx_size - 2 * p->rawsz, p->rawsz)) < 0)
		return error;
	pw_oid_fromraw(out, raw, p->oid_type);
	return 0;
}
