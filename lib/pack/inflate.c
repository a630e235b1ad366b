/* inflate.c: zlib inflate streamed through a cursor, across window boundaries. */
#include <limits.h>
#include <string.h>

#include "pack/internal.h"
#include "util/error.h"
#include "util/banned.h"

/* Feed the stream the next piece of compressed input from the cursor. */
static int refill(z_stream *zs, uint64_t *pos, pw_pack *p, pw_cursor *cur,
	uint64_t entry_offset)
{
	uint64_t limit = p->pack_size - p->rawsz;
	const unsigned char *b;
	size_t avail;
	int error;

	if (*pos >= limit)
		return pw_pack_error(p, PW_ECORRUPT, entry_offset,
			"compressed data runs into the pack trailer");
	if ((error = pw_cursor_get(&b, &avail, cur, *pos, 1)) < 0)
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
	return pw_pack_error(p, PW_ECORRUPT, entry_offset, "corrupt compressed data (zlib %d%s%s)",
		ret, zs->msg ? ": " : "", zs->msg ? zs->msg : "");
}

int pw_inflate_at(unsigned char *out, uint64_t size, pw_pack *p, pw_cursor *cur,
	uint64_t offset, uint64_t entry_offset)
{
	uint64_t pos = offset, room = size + 1; /* one spare byte catches overlong streams */
	z_stream zs;
	int ret, error = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return pw_error_nomem();
	zs.next_out = out;
	for (;;) {
		if (!zs.avail_out) {
			uint64_t chunk = room > UINT_MAX ? UINT_MAX : room;
			if (!chunk) {
				error = pw_pack_error(p, PW_ECORRUPT, entry_offset,
					"inflates to more than the %llu bytes its header says",
					(unsigned long long)size);
				break;
			}
			zs.avail_out = (uInt)chunk;
			room -= chunk;
		}
		if (!zs.avail_in && (error = refill(&zs, &pos, p, cur, entry_offset)) < 0)
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
		error = pw_pack_error(p, PW_ECORRUPT, entry_offset,
			"inflates to %llu bytes but its header says %llu",
			(unsigned long long)zs.total_out, (unsigned long long)size);
	inflateEnd(&zs);
	return error;
}

int pw_inflate_head(unsigned char *out, size_t len, size_t *got, pw_pack *p,
	pw_cursor *cur, uint64_t offset, uint64_t entry_offset)
{
	uint64_t pos = offset;
	z_stream zs;
	int ret, error = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return pw_error_nomem();
	zs.next_out = out;
	zs.avail_out = (uInt)len;
	while (zs.avail_out) {
		if (!zs.avail_in && (error = refill(&zs, &pos, p, cur, entry_offset)) < 0)
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

int pw_inflate_stream(uint64_t size, pw_pack *p, pw_cursor *cur, uint64_t offset,
	uint64_t entry_offset, pw_stream_cb cb, void *payload)
{
	unsigned char buf[64 * 1024];
	uint64_t pos = offset, total = 0;
	z_stream zs;
	int ret = Z_OK, error = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return pw_error_nomem();
	while (ret != Z_STREAM_END) {
		size_t got;
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		while (zs.avail_out) {
			if (!zs.avail_in && (error = refill(&zs, &pos, p, cur, entry_offset)) < 0)
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
			error = pw_pack_error(p, PW_ECORRUPT, entry_offset,
				"inflates to more than the %llu bytes its header says",
				(unsigned long long)size);
			goto out;
		}
		total += got;
		if (got && (error = cb(buf, got, payload)) != 0)
			goto out;
	}
	if (total != size)
		error = pw_pack_error(p, PW_ECORRUPT, entry_offset,
			"inflates to %llu bytes but its header says %llu",
			(unsigned long long)total, (unsigned long long)size);
out:
	inflateEnd(&zs);
	return error;
}
