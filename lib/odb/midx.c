/* midx.c: the multi-pack-index file format (gitformat-pack(5)): header, chunk table, lookups, verification. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "odb/midx.h"
#include "pack/bitmap.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/str.h"
#include "window/search.h"
#include "util/banned.h"

#define HEADER_SIZE 12
#define ID_PNAM 0x504e414du
#define ID_OIDF 0x4f494446u
#define ID_OIDL 0x4f49444cu
#define ID_OOFF 0x4f4f4646u
#define ID_LOFF 0x4c4f4646u
#define ID_RIDX 0x52494458u
#define LARGE_OFFSET 0x80000000u
/* More chunks than any version defines is a corrupt count, not a reason to read a long table. */
#define MAX_CHUNKS 64

static int midx_error(const pw_midx *m, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int midx_error(const pw_midx *m, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pw__error_set(code, "%s: %s", m->path, msg);
}

/* `len` bytes at `off`, which the chunk checks put inside the file. */
static int midx_bytes(const unsigned char **out, pw_midx *m, pw_cursor *cur, uint64_t off, size_t len)
{
	size_t avail;
	return pw_cursor_get(out, &avail, cur, off, len);
}

void pw__midx_free(pw_midx *m)
{
	if (!m)
		return;
	pw_wm_close(m->f);
	pw__free(m->pack_names);
	pw__free(m->names);
	pw__free(m->path);
	pw__free(m);
}

static int read_pack_names(pw_midx *m, uint64_t at, uint64_t len)
{
	uint32_t i;
	size_t pos = 0;

	/* a name is at least one byte and its NUL */
	if (len > ((uint64_t)64 << 20) || len < (uint64_t)m->npacks * 2)
		return midx_error(m, PW_ECORRUPT, "pack-name chunk of %llu bytes cannot name %u packs",
			(unsigned long long)len, m->npacks);
	if (!(m->names = pw__malloc((size_t)len + 1)) ||
	    !(m->pack_names = pw__calloc(m->npacks ? m->npacks : 1, sizeof(*m->pack_names))))
		return pw__error_nomem();
	if (len && pw_wm_read(m->names, m->f, at, (size_t)len) < 0)
		return pw__error_wrap(PW_ECORRUPT);
	m->names[len] = '\0';
	for (i = 0; i < m->npacks; i++) {
		char *name = m->names + pos, *end = memchr(name, '\0', (size_t)len - pos);
		if (!end || end == name)
			return midx_error(m, PW_ECORRUPT, "pack-name chunk ends before pack %u of %u",
				i + 1, m->npacks);
		if (!pw__has_suffix(name, ".idx") || strchr(name, '/'))
			return midx_error(m, PW_ECORRUPT, "pack %u is named '%.80s', not pack-….idx", i, name);
		if (m->version == 1 && i && strcmp(m->pack_names[i - 1], name) >= 0)
			return midx_error(m, PW_ECORRUPT, "pack names out of order: '%s' before '%s'",
				m->pack_names[i - 1], name);
		m->pack_names[i] = name;
		pos = (size_t)(end - m->names) + 1;
	}
	return 0;
}

int pw__midx_open(pw_midx **out, pw_wm *wm, const char *path, pw_oid_t oid_type, pw_midx *base)
{
	unsigned char head[HEADER_SIZE], table[(MAX_CHUNKS + 1) * 12], fan[1024];
	uint64_t pnam_at = 0, pnam_len = 0, oidl_len = 0, ooff_len = 0, loff_len = 0, ridx_len = 0;
	unsigned nchunks, i, want_hash = oid_type == PW_OID_SHA256 ? 2 : 1;
	int have_oidf = 0, error;
	pw_midx *m;

	*out = NULL;
	if (!(m = pw__calloc(1, sizeof(*m))) || !(m->path = pw__strdup(path))) {
		pw__free(m);
		return pw__error_nomem();
	}
	m->oid_type = oid_type;
	m->rawsz = pw_oid_rawsz(oid_type);
	m->base = base;
	if (base) {
		if (base->nobjects > UINT32_MAX - base->base_objects ||
		    base->npacks > UINT32_MAX - base->base_packs) {
			error = midx_error(m, PW_ECORRUPT, "the layers below count too many objects or packs");
			goto fail;
		}
		m->base_objects = base->base_objects + base->nobjects;
		m->base_packs = base->base_packs + base->npacks;
	}
	if ((error = pw_wm_open(&m->f, wm, path)) < 0) {
		m->f = NULL;
		goto fail;
	}
	m->size = pw_wm_file_size(m->f);
	if (m->size < HEADER_SIZE + 12 + m->rawsz) {
		error = midx_error(m, PW_ECORRUPT, "file of %llu bytes is too small",
			(unsigned long long)m->size);
		goto fail;
	}
	if ((error = pw_wm_read(head, m->f, 0, sizeof(head))) < 0)
		goto fail;
	if (memcmp(head, "MIDX", 4)) {
		error = midx_error(m, PW_ECORRUPT, "bad signature (not a multi-pack-index)");
		goto fail;
	}
	m->version = head[4];
	if (m->version != 1 && m->version != 2) {
		error = midx_error(m, PW_EUNSUPPORTED, "version %u is not supported", m->version);
		goto fail;
	}
	if (head[5] != want_hash) {
		error = midx_error(m, PW_EUNSUPPORTED, "hash version %u does not match the repository's %u",
			head[5], want_hash);
		goto fail;
	}
	nchunks = head[6];
	m->npacks = pw__be32(head + 8);
	if (nchunks > MAX_CHUNKS || HEADER_SIZE + (nchunks + 1) * 12 + m->rawsz > m->size) {
		error = midx_error(m, PW_ECORRUPT, "chunk table of %u chunks does not fit", nchunks);
		goto fail;
	}
	if ((error = pw_wm_read(table, m->f, HEADER_SIZE, (nchunks + 1) * 12)) < 0)
		goto fail;
	for (i = 0; i < nchunks; i++) {
		uint32_t id = pw__be32(table + 12 * i);
		uint64_t at = pw__be64(table + 12 * i + 4), next = pw__be64(table + 12 * (i + 1) + 4);
		uint64_t len = next - at;
		if (id == 0 || at < HEADER_SIZE + (nchunks + 1) * 12 || next < at ||
		    next > m->size - m->rawsz) {
			error = midx_error(m, PW_ECORRUPT, "chunk %u (id %08x) at %llu..%llu is outside the file",
				i, id, (unsigned long long)at, (unsigned long long)next);
			goto fail;
		}
		switch (id) {
		case ID_PNAM: pnam_at = at; pnam_len = len; break;
		case ID_OIDF:
			if (len != 1024) {
				error = midx_error(m, PW_ECORRUPT, "fan-out chunk is %llu bytes, not 1024",
					(unsigned long long)len);
				goto fail;
			}
			if ((error = pw_wm_read(fan, m->f, at, sizeof(fan))) < 0)
				goto fail;
			have_oidf = 1;
			break;
		case ID_OIDL: m->oidl_at = at; oidl_len = len; break;
		case ID_OOFF: m->ooff_at = at; ooff_len = len; break;
		case ID_LOFF: m->loff_at = at; loff_len = len; break;
		case ID_RIDX: m->ridx_at = at; ridx_len = len; break;
		default: break; /* BTMP and chunks of later versions: not needed to find objects */
		}
	}
	if (pw__be32(table + 12 * nchunks) != 0) {
		error = midx_error(m, PW_ECORRUPT, "chunk table is not terminated");
		goto fail;
	}
	if (!pnam_at || !have_oidf || !m->oidl_at || !m->ooff_at) {
		error = midx_error(m, PW_ECORRUPT, "a required chunk (%s) is missing",
			!pnam_at ? "PNAM" : !have_oidf ? "OIDF" : !m->oidl_at ? "OIDL" : "OOFF");
		goto fail;
	}
	for (i = 0; i < 256; i++) {
		m->fanout[i] = pw__be32(fan + 4 * i);
		if (i && m->fanout[i] < m->fanout[i - 1]) {
			error = midx_error(m, PW_ECORRUPT, "fan-out is not monotonic at %u", i);
			goto fail;
		}
	}
	m->nobjects = m->fanout[255];
	if (oidl_len != (uint64_t)m->nobjects * m->rawsz || ooff_len != (uint64_t)m->nobjects * 8) {
		error = midx_error(m, PW_ECORRUPT, "id or offset chunk does not hold %u objects", m->nobjects);
		goto fail;
	}
	if (m->ridx_at && ridx_len != (uint64_t)m->nobjects * 4) {
		error = midx_error(m, PW_ECORRUPT, "reverse-index chunk does not hold %u objects", m->nobjects);
		goto fail;
	}
	if (loff_len % 8) {
		error = midx_error(m, PW_ECORRUPT, "large-offset chunk is not a multiple of 8 bytes");
		goto fail;
	}
	m->nloff = loff_len / 8;
	if (m->npacks > UINT32_MAX - m->base_packs) {
		error = midx_error(m, PW_ECORRUPT, "too many packs");
		goto fail;
	}
	if ((error = read_pack_names(m, pnam_at, pnam_len)) < 0)
		goto fail;
	if ((error = pw_wm_read(m->checksum.id, m->f, m->size - m->rawsz, m->rawsz)) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	pw__midx_free(m);
	return error;
}

static int nth_oid_raw(const unsigned char **out, pw_midx *m, pw_cursor *cur, uint32_t n)
{
	return midx_bytes(out, m, cur, m->oidl_at + (uint64_t)n * m->rawsz, m->rawsz);
}

/* First position whose id is >= `id` (by the first `len` bytes) within [lo, hi). */
static int lower_bound(uint32_t *out, pw_midx *m, pw_cursor *cur, const unsigned char *id,
	size_t len, uint32_t lo, uint32_t hi)
{
	return pw__cursor_lower_bound(out, cur, m->oidl_at, m->rawsz, id, len, lo, hi);
}

int pw__midx_find(uint32_t *pos_out, pw_midx *m, pw_cursor *cur, const pw_oid *id)
{
	uint32_t lo = id->id[0] ? m->fanout[id->id[0] - 1] : 0, hi = m->fanout[id->id[0]], pos;
	const unsigned char *b;
	int error;

	if ((error = lower_bound(&pos, m, cur, id->id, m->rawsz, lo, hi)) < 0)
		return error;
	if (pos < hi) {
		if ((error = nth_oid_raw(&b, m, cur, pos)) < 0)
			return error;
		if (!memcmp(b, id->id, m->rawsz)) {
			*pos_out = pos;
			return 0;
		}
	}
	return PW_ENOTFOUND;
}

int pw__midx_nth_oid(pw_oid *out, pw_midx *m, pw_cursor *cur, uint32_t pos)
{
	const unsigned char *b;
	int error;

	if (pos >= m->nobjects)
		return midx_error(m, PW_EINVALID, "object %u of %u", pos, m->nobjects);
	if ((error = nth_oid_raw(&b, m, cur, pos)) < 0)
		return error;
	memset(out, 0, sizeof(*out));
	memcpy(out->id, b, m->rawsz);
	return 0;
}

int pw__midx_nth_entry(uint32_t *pack_id, uint64_t *offset, pw_midx *m, pw_cursor *cur,
	uint32_t pos)
{
	const unsigned char *b;
	uint32_t pack, off;
	int error;

	if (pos >= m->nobjects)
		return midx_error(m, PW_EINVALID, "object %u of %u", pos, m->nobjects);
	if ((error = midx_bytes(&b, m, cur, m->ooff_at + (uint64_t)pos * 8, 8)) < 0)
		return error;
	pack = pw__be32(b);
	off = pw__be32(b + 4);
	if (pack >= m->npacks)
		return midx_error(m, PW_ECORRUPT, "object %u names pack %u of %u", pos, pack, m->npacks);
	*pack_id = m->base_packs + pack;
	if (m->loff_at && (off & LARGE_OFFSET)) {
		uint32_t row = off & ~LARGE_OFFSET;
		if (row >= m->nloff)
			return midx_error(m, PW_ECORRUPT, "object %u: large offset %u of %llu", pos, row,
				(unsigned long long)m->nloff);
		if ((error = midx_bytes(&b, m, cur, m->loff_at + (uint64_t)row * 8, 8)) < 0)
			return error;
		*offset = pw__be64(b);
	} else {
		*offset = off;
	}
	return 0;
}

int pw__midx_prefix_range(uint32_t *first, uint32_t *count, pw_midx *m, pw_cursor *cur,
	const pw_oid *prefix, size_t hexlen)
{
	uint32_t lo = prefix->id[0] ? m->fanout[prefix->id[0] - 1] : 0, hi = m->fanout[prefix->id[0]];
	uint32_t pos, end;
	const unsigned char *b;
	int error;

	if (hexlen < 2) {
		lo = 0;
		hi = m->nobjects;
	}
	if ((error = lower_bound(&pos, m, cur, prefix->id, (hexlen + 1) / 2, lo, hi)) < 0)
		return error;
	for (end = pos; end < hi; end++) {
		if ((error = nth_oid_raw(&b, m, cur, end)) < 0)
			return error;
		if (!pw__hex_prefix_matches(b, prefix->id, hexlen))
			break;
	}
	*first = pos;
	*count = end - pos;
	return 0;
}

int pw__midx_ridx_nth(uint32_t *pos, pw_midx *m, pw_cursor *cur, uint32_t n)
{
	const unsigned char *b;
	int error;

	if (!m->ridx_at)
		return PW_ENOTFOUND;
	if (n >= m->nobjects)
		return midx_error(m, PW_EINVALID, "pseudo-pack position %u of %u", n, m->nobjects);
	if ((error = midx_bytes(&b, m, cur, m->ridx_at + (uint64_t)n * 4, 4)) < 0)
		return error;
	*pos = pw__be32(b);
	if (*pos >= m->nobjects)
		return midx_error(m, PW_ECORRUPT, "reverse index names object %u of %u", *pos, m->nobjects);
	return 0;
}

const char *pw__midx_pack_name(const pw_midx *m, uint32_t pack_id)
{
	while (m && pack_id < m->base_packs)
		m = m->base;
	if (!m || pack_id - m->base_packs >= m->npacks)
		return NULL;
	return m->pack_names[pack_id - m->base_packs];
}

int pw__midx_verify(pw_midx *m)
{
	uint64_t at = 0, end = m->size - m->rawsz;
	unsigned char *seen = NULL;
	pw_cursor cur;
	pw_oid sum;
	pw_hash h;
	uint32_t i;
	int error;

	if ((error = pw__hash_init(&h, m->oid_type)) < 0)
		return error;
	pw_cursor_init(&cur, m->f);
	while (at < end) {
		const unsigned char *b;
		size_t avail;
		if ((error = pw_cursor_get(&b, &avail, &cur, at, 1)) < 0)
			goto out;
		if (avail > end - at)
			avail = (size_t)(end - at);
		pw__hash_update(&h, b, avail);
		at += avail;
	}
	pw__hash_final(&sum, &h);
	if (memcmp(sum.id, m->checksum.id, m->rawsz)) {
		error = midx_error(m, PW_EVERIFY, "checksum mismatch");
		goto out;
	}
	for (i = 0; i < m->nobjects; i++) {
		const unsigned char *a, *b;
		unsigned char prev[PW_OID_MAX_RAWSZ];
		uint32_t pack;
		uint64_t off;
		if (i) {
			if ((error = nth_oid_raw(&a, m, &cur, i - 1)) < 0)
				goto out;
			memcpy(prev, a, m->rawsz);
			if ((error = nth_oid_raw(&b, m, &cur, i)) < 0)
				goto out;
			if (memcmp(prev, b, m->rawsz) >= 0) {
				error = midx_error(m, PW_EVERIFY, "ids out of order at object %u", i);
				goto out;
			}
		}
		if ((error = nth_oid_raw(&b, m, &cur, i)) < 0)
			goto out;
		if (m->fanout[b[0]] <= i || (b[0] && m->fanout[b[0] - 1] > i)) {
			error = midx_error(m, PW_EVERIFY, "object %u is outside its fan-out bucket", i);
			goto out;
		}
		if ((error = pw__midx_nth_entry(&pack, &off, m, &cur, i)) < 0) {
			error = pw__error_wrap(PW_EVERIFY);
			goto out;
		}
	}
	if (m->ridx_at) {
		if (!(seen = pw__calloc(m->nobjects ? m->nobjects : 1, 1))) {
			error = pw__error_nomem();
			goto out;
		}
		for (i = 0; i < m->nobjects; i++) {
			uint32_t pos;
			if ((error = pw__midx_ridx_nth(&pos, m, &cur, i)) < 0) {
				error = pw__error_wrap(PW_EVERIFY);
				goto out;
			}
			if (seen[pos]++) {
				error = midx_error(m, PW_EVERIFY, "reverse index lists object %u twice", pos);
				goto out;
			}
		}
	}
	error = 0;
out:
	pw__free(seen);
	pw_cursor_release(&cur);
	return error;
}

/* The bit of the object at position `pos`, from the inverse of RIDX (payload). */
static int midx_bit_of(uint32_t *bit, uint32_t pos, void *payload)
{
	const uint32_t *bit_of = payload;

	*bit = bit_of[pos];
	return 0;
}

int pw__midx_bitmap_open(pw__bitmap **out, uint32_t **bit_of_out, pw_midx *m, pw_wm *wm)
{
	char hex[PW_OID_MAX_HEXSZ + 1], *path;
	const char *slash;
	uint32_t *bit_of = NULL, n, pos;
	pw_cursor cur;
	size_t dirlen, len;
	int error = 0;

	*out = NULL;
	*bit_of_out = NULL;
	slash = strrchr(m->path, '/');
	dirlen = slash ? (size_t)(slash - m->path) + 1 : 0;
	pw_oid_tostr(hex, &m->checksum, m->oid_type);
	len = dirlen + sizeof("multi-pack-index-.bitmap") + strlen(hex);
	if (!(path = pw__malloc(len)))
		return pw__error_nomem();
	memcpy(path, m->path, dirlen);
	snprintf(path + dirlen, len - dirlen, "multi-pack-index-%s.bitmap", hex);
	/* none beside it: nothing to say (what follows is about a bitmap that is there) */
	if (access(path, F_OK) != 0) {
		pw__free(path);
		return PW_ENOTFOUND;
	}
	if (m->base || m->base_objects)
		error = midx_error(m, PW_EUNSUPPORTED, "a bitmap of a multi-pack-index chain is not read");
	else if (!m->ridx_at)
		error = midx_error(m, PW_EUNSUPPORTED, "no RIDX chunk: the bitmap's order is unknown");
	/* the bitmap's header names the file by its checksum: the checksum must be the file's */
	else if ((error = pw__midx_verify(m)) == 0 &&
	    !(bit_of = pw__malloc(((size_t)m->nobjects + 1) * sizeof(*bit_of))))
		error = pw__error_nomem();
	if (error < 0)
		goto out;
	pw_cursor_init(&cur, m->f);
	for (n = 0; n < m->nobjects; n++) {
		if ((error = pw__midx_ridx_nth(&pos, m, &cur, n)) < 0)
			break;
		bit_of[pos] = n; /* RIDX is a permutation (pw__midx_verify) */
	}
	pw_cursor_release(&cur);
	if (error < 0)
		goto out;
	error = pw__bitmap_open_file(out, wm, path, m->oid_type, &m->checksum, m->nobjects, m->path,
		midx_bit_of, bit_of);
out:
	pw__free(path);
	if (error < 0) {
		pw__free(bit_of);
		return error;
	}
	*bit_of_out = bit_of;
	return 0;
}
