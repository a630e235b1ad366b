/*
 * fuzz_delta.c: fuzz target for the delta applier alone, checked against a
 * plain re-reading of git's delta format.
 *
 * Input: bytes 0..3 the base length (little-endian; clamped), the base,
 * then the delta (its two size varints and its instructions).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "pack/internal.h"

/* Results above this are not allocated (the library caps them with max_object_size). */
#define MAX_RESULT (4u << 20)

/*
 * The reference: the format as git's patch-delta.c documents it, written
 * for clarity rather than speed, with its own bounds checks. 0, or -1.
 */
static int reference_apply(unsigned char *out, uint64_t result_size,
	const unsigned char *base, uint64_t base_size, const unsigned char *d, size_t len)
{
	size_t i = 0;
	uint64_t pos = 0;

	while (i < len) {
		unsigned cmd = d[i++];
		if (cmd & 0x80) {
			uint64_t off = 0, n = 0;
			unsigned b;
			for (b = 0; b < 7; b++) {
				if (!(cmd & (1u << b)))
					continue;
				if (i >= len)
					return -1;
				if (b < 4)
					off |= (uint64_t)d[i++] << (8 * b);
				else
					n |= (uint64_t)d[i++] << (8 * (b - 4));
			}
			if (n == 0)
				n = 0x10000;
			if (off > base_size || n > base_size - off || n > result_size - pos)
				return -1;
			memcpy(out + pos, base + off, n);
			pos += n;
		} else if (cmd) {
			if (cmd > len - i || cmd > result_size - pos)
				return -1;
			memcpy(out + pos, d + i, cmd);
			i += cmd;
			pos += cmd;
		} else {
			return -1;
		}
	}
	return pos == result_size ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t base_size, result_size;
	const unsigned char *base, *delta;
	unsigned char *got = NULL, *want = NULL, *exact_base = NULL;
	const char *why = NULL;
	size_t base_len, delta_len, hdrlen;
	int r, w;

	if (size < 4)
		return 0;
	base_len = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 |
		(size_t)data[3] << 24;
	if (base_len > size - 4)
		base_len = size - 4;
	/* copies of their own, exactly sized, so that ASan sees any overrun */
	if (!(exact_base = malloc(base_len ? base_len : 1)))
		return 0;
	memcpy(exact_base, data + 4, base_len);
	base = exact_base;
	delta_len = size - 4 - base_len;
	delta = data + 4 + base_len;

	if (pw__delta_sizes(&base_size, &result_size, &hdrlen, delta, delta_len) < 0)
		goto out;
	if (hdrlen > delta_len)
		fz_fail("pw__delta_sizes: header longer than the delta");
	if (result_size > MAX_RESULT)
		goto out;
	/* read.c refuses a header whose base size is not the base's: apply to the real one */
	base_size = base_len;
	if (!(got = malloc(result_size ? (size_t)result_size : 1)) ||
	    !(want = malloc(result_size ? (size_t)result_size : 1)))
		goto out;
	r = pw__delta_apply(got, result_size, base, base_size, delta + hdrlen, delta_len - hdrlen, &why);
	w = reference_apply(want, result_size, base, base_size, delta + hdrlen, delta_len - hdrlen);
	if ((r == 0) != (w == 0))
		fz_fail(r == 0 ? "pw__delta_apply accepted a delta the reference refuses"
			: "pw__delta_apply refused a delta the reference accepts");
	if (r == 0 && memcmp(got, want, (size_t)result_size))
		fz_fail("pw__delta_apply produced other bytes than the reference");
	if (r != 0 && !why)
		fz_fail("pw__delta_apply failed without saying why");
out:
	free(got);
	free(want);
	free(exact_base);
	return 0;
}
