/* delta.c: git's binary delta format — sizes and application, bounds-checked at every op. */
#include <string.h>

#include "pack/internal.h"
#include "util/error.h"
#include "util/banned.h"

static int varint(uint64_t *out, const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	uint64_t v = 0;
	unsigned shift = 0;
	unsigned char c;

	do {
		if (p >= end || shift > 63)
			return -1;
		c = *p++;
		if (shift > 57 && ((uint64_t)(c & 0x7f) >> (64 - shift)))
			return -1;
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	*out = v;
	*pp = p;
	return 0;
}

int pw__delta_sizes(uint64_t *base_size, uint64_t *result_size, size_t *hdrlen,
	const unsigned char *delta, size_t len)
{
	const unsigned char *p = delta, *end = delta + len;

	if (varint(base_size, &p, end) < 0 || varint(result_size, &p, end) < 0)
		return -1;
	*hdrlen = (size_t)(p - delta);
	return 0;
}

int pw__delta_apply(unsigned char *out, uint64_t result_size,
	const unsigned char *base, uint64_t base_size,
	const unsigned char *delta, size_t len, const char **why)
{
	const unsigned char *p = delta, *end = delta + len;
	uint64_t pos = 0;

	while (p < end) {
		unsigned char cmd = *p++;
		if (cmd & 0x80) {
			uint64_t off = 0, size = 0, last;
			int i;
			for (i = 0; i < 4; i++)
				if (cmd & (1u << i)) {
					if (p >= end)
						goto truncated;
					off |= (uint64_t)*p++ << (8 * i);
				}
			for (i = 0; i < 3; i++)
				if (cmd & (0x10u << i)) {
					if (p >= end)
						goto truncated;
					size |= (uint64_t)*p++ << (8 * i);
				}
			if (!size)
				size = 0x10000;
			if (__builtin_add_overflow(off, size, &last) || last > base_size) {
				*why = "delta copies past the end of its base";
				return -1;
			}
			if (size > result_size - pos) {
				*why = "delta writes past its declared result size";
				return -1;
			}
			memcpy(out + pos, base + off, (size_t)size);
			pos += size;
		} else if (cmd) {
			if (cmd > (uint64_t)(end - p)) {
				goto truncated;
			}
			if (cmd > result_size - pos) {
				*why = "delta writes past its declared result size";
				return -1;
			}
			memcpy(out + pos, p, cmd);
			p += cmd;
			pos += cmd;
		} else {
			*why = "delta has the reserved opcode 0";
			return -1;
		}
	}
	if (pos != result_size) {
		*why = "delta produces fewer bytes than its declared result size";
		return -1;
	}
	return 0;
truncated:
	*why = "delta instruction stream is truncated";
	return -1;
}
