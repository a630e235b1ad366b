/* bytes.h: big-endian integers as the on-disk formats store them (idx, .rev, .bitmap, multi-pack-index). */
#ifndef PW_UTIL_BYTES_H
#define PW_UTIL_BYTES_H

#include <stdint.h>

static inline uint32_t pw__be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint16_t pw__be16(const unsigned char *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint64_t pw__be64(const unsigned char *b)
{
	return (uint64_t)pw__be32(b) << 32 | pw__be32(b + 4);
}

#endif
