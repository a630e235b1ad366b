/* inflate.c: zlib inflate streamed through a cursor, across window boundaries. */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "pack/internal.h"
#include "window/internal.h" /* pw__cursor_get_seq */
#ifdef PW_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/*
 * Feed the stream the next piece of compressed input from the cursor;
 * `seq`: a large stream read once, whose windows behind are unmapped as it
 * moves on (pw__cursor_get_seq), so that streaming a 5 GiB object leaves
 * one window resident, not the whole memory limit.
 */
static int refill(z_stream *zs, uint64_t *pos, pw_pack *p, pw_cursor *cur,
	uint64_t entry_offset, int seq)
{
	uint64_t limit = p->pack_size - p->rawsz;
	const unsigned char *b;
	size_t avail;
	int error;

	if (*pos >= limit)
		return pw__pack_error(p, PW_ECORRUPT, entry_offset,
			"compressed data runs into the pack trailer");
	if ((error = seq ? pw__cursor_get_seq(&b, &avail, cur, *pos) :
		pw_cursor_get(&b, &avail, cur, *pos, 1)) < 0)
		return error;
	if (avail > limit - *pos)
		avail = (size_t)(limit - *pos);
	if (avail > UINT_MAX)
		avail = UINT_MAX;
	zs->next_in = (unsigned char *)b;
	zs->avail_in = (uInt)avail;
	*pos += avail;
	return 0;
}

static int zerror(pw_pack *p, uint64_t entry_offset, z_stream *zs, int ret)
{
	/* zlib allocates its window on the first inflate: not the data's fault */
	if (ret == Z_MEM_ERROR)
		return pw__error_nomem();
	return pw__pack_error(p, PW_ECORRUPT, entry_offset, "corrupt compressed data (zlib %d%s%s)",
		ret, zs->msg ? ": " : "", zs->msg ? zs->msg : "");
}

#ifdef PW_HAVE_LIBDEFLATE
/*
 * libdeflate inflates faster than zlib (docs/PERFORMANCE.md) but needs all
 * the input at once and the exact output size. Both are at hand for an
 * object whose compressed bytes lie whole in the cursor's window, which is
 * most objects; anything else (or any failure, so that zlib names the
 * error) takes zlib's streaming path. One decompressor per thread.
 */
static pthread_key_t dkey;
static pthread_once_t donce = PTHREAD_ONCE_INIT;
static int dkey_ok;

static void dfree(void *d)
{
	libdeflate_free_decompressor(d);
}

static void dinit(void)
{
	dkey_ok = pthread_key_create(&dkey, dfree) == 0;
}

/* The main thread's decompressor is not freed by the key at exit: free it here. */
__attribute__((destructor)) static void dexit(void)
{
	if (dkey_ok) {
		void *d = pthread_getspecific(dkey);
		if (d) {
			pthread_setspecific(dkey, NULL);
			libdeflate_free_decompressor(d);
		}
	}
}

/*
 * From libdeflate 1.19 each decompressor takes the allocator; before, the
 * process-wide hook is set by pw_set_allocator (util/alloc.c).
 */
static struct libdeflate_decompressor *alloc_decompressor(void)
{
#if LIBDEFLATE_VERSION_MAJOR > 1 || LIBDEFLATE_VERSION_MINOR >= 19
	struct libdeflate_options o;

	memset(&o, 0, sizeof(o));
	o.sizeof_options = sizeof(o);
	o.malloc_func = pw__malloc;
	o.free_func = pw__free;
	return libdeflate_alloc_decompressor_ex(&o);
#else
	return libdeflate_alloc_decompressor();
#endif
}

static struct libdeflate_decompressor *decompressor(void)
{
	struct libdeflate_decompressor *d;

	pthread_once(&donce, dinit);
	if (!dkey_ok)
		return NULL;
	if (!(d = pthread_getspecific(dkey))) {
		if ((d = alloc_decompressor()) && pthread_setspecific(dkey, d)) {
			libdeflate_free_decompressor(d);
			d = NULL;
		}
	}
	return d;
}

/* 0 when done, 1 when zlib must do it. */
static int inflate_whole(unsigned char *out, uint64_t size, pw_pack *p, pw_cursor *cur,
	uint64_t offset)
{
	uint64_t limit = p->pack_size - p->rawsz;
	struct libdeflate_decompressor *d;
	const unsigned char *b;
	size_t avail, in_used = 0, out_len = 0;

	if (offset >= limit || size > SIZE_MAX / 2)
		return 1;
	if (pw_cursor_get(&b, &avail, cur, offset, 1) < 0) {
		pw_error_clear();
		return 1;
	}
	if (avail > limit - offset)
		avail = (size_t)(limit - offset);
	if (!(d = decompressor()))
		return 1;
	if (libdeflate_zlib_decompress_ex(d, b, avail, out, (size_t)size, &in_used, &out_len) !=
	    LIBDEFLATE_SUCCESS || out_len != size)
		return 1;
	return 0;
}
#endif

int pw__inflate_at(unsigned char *out, uint64_t size, pw_pack *p, pw_cursor *cur,
	uint64_t offset, uint64_t entry_offset)
{
	uint64_t pos = offset, room = size + 1; /* one spare byte catches overlong streams */
	z_stream zs;
	int ret, error = 0;

#ifdef PW_HAVE_LIBDEFLATE
	if (inflate_whole(out, size, p, cur, offset) == 0)
		return 0;
#endif
	memset(&zs, 0, sizeof(zs));
	zs.zalloc = pw__zalloc;
	zs.zfree = pw__zfree;
	if (inflateInit(&zs) != Z_OK)
		return pw__error_nomem();
	zs.next_out = out;
	for (;;) {
		if (!zs.avail_out) {
			uint64_t chunk = room > UINT_MAX ? UINT_MAX : room;
			if (!chunk) {
				error = pw__pack_error(p, PW_ECORRUPT, entry_offset,
					"inflates to more than the %llu bytes its header says",
					(unsigned long long)size);
				break;
			}
			zs.avail_out = (uInt)chunk;
			room -= chunk;
		}
		if (!zs.avail_in && (error = refill(&zs, &pos, p, cur, entry_offset, 0)) < 0)
			break;
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_OK || (ret == Z_BUF_ERROR && (!zs.avail_in || !zs.avail_out)))
			continue;
		error = zerror(p, entry_offset, &zs, ret);
		break;
	}
	if (!error && zs.total_out != size)
		error = pw__pack_error(p, PW_ECORRUPT, entry_offset,
			"inflates to %llu bytes but its header says %llu",
			(unsigned long long)zs.total_out, (unsigned long long)size);
	inflateEnd(&zs);
	return error;
}

int pw__inflate_head(unsigned char *out, size_t len, size_t *got, pw_pack *p,
	pw_cursor *cur, uint64_t offset, uint64_t entry_offset)
{
	uint64_t pos = offset;
	z_stream zs;
	int ret, error = 0;

	memset(&zs, 0, sizeof(zs));
	zs.zalloc = pw__zalloc;
	zs.zfree = pw__zfree;
	if (inflateInit(&zs) != Z_OK)
		return pw__error_nomem();
	zs.next_out = out;
	zs.avail_out = (uInt)len;
	while (zs.avail_out) {
		if (!zs.avail_in && (error = refill(&zs, &pos, p, cur, entry_offset, 0)) < 0)
			break;
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_OK || (ret == Z_BUF_ERROR && !zs.avail_in))
			continue;
		error = zerror(p, entry_offset, &zs, ret);
		break;
	}
	*got = len - zs.avail_out;
	inflateEnd(&zs);
	return error;
}

int pw__inflate_stream(uint64_t size, pw_pack *p, pw_cursor *cur, uint64_t offset,
	uint64_t entry_offset, pw_stream_cb cb, void *payload)
{
	unsigned char buf[64 * 1024];
	uint64_t pos = offset, total = 0;
	z_stream zs;
	int ret = Z_OK, error = 0;

	memset(&zs, 0, sizeof(zs));
	zs.zalloc = pw__zalloc;
	zs.zfree = pw__zfree;
	if (inflateInit(&zs) != Z_OK)
		return pw__error_nomem();
	while (ret != Z_STREAM_END) {
		size_t got;
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		while (zs.avail_out) {
			if (!zs.avail_in && (error = refill(&zs, &pos, p, cur, entry_offset, 1)) < 0)
				goto out;
			ret = inflate(&zs, Z_NO_FLUSH);
			if (ret == Z_STREAM_END)
				break;
			if (ret == Z_OK || (ret == Z_BUF_ERROR && !zs.avail_in))
				continue;
			error = zerror(p, entry_offset, &zs, ret);
			goto out;
		}
		got = sizeof(buf) - zs.avail_out;
		if (got > size - total) {
			error = pw__pack_error(p, PW_ECORRUPT, entry_offset,
				"inflates to more than the %llu bytes its header says",
				(unsigned long long)size);
			goto out;
		}
		total += got;
		if (got && (error = cb(buf, got, payload)) != 0)
			goto out;
	}
	if (total != size)
		error = pw__pack_error(p, PW_ECORRUPT, entry_offset,
			"inflates to %llu bytes but its header says %llu",
			(unsigned long long)total, (unsigned long long)size);
out:
	inflateEnd(&zs);
	return error;
}
