/* str.c: hex digits and path joins, checked for truncation. */
#include <string.h>

#include "util/str.h"
#include "util/banned.h"

int pw__hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pw__hex_decode(unsigned char *out, const char *hex, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int hi = pw__hexval((unsigned char)hex[2 * i]);
		int lo = hi < 0 ? -1 : pw__hexval((unsigned char)hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void pw__hex_encode(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int pw__hex_prefix_matches(const unsigned char *a, const unsigned char *b, size_t hexlen)
{
	size_t full = hexlen / 2;

	if (memcmp(a, b, full))
		return 0;
	return hexlen % 2 == 0 || (a[full] >> 4) == (b[full] >> 4);
}

int pw__path_join(char *out, size_t outsz, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int slash = la > 0 && a[la - 1] != '/';

	if (outsz == 0)
		return -1;
	if (la + (size_t)slash + lb >= outsz) {
		out[0] = '\0';
		return -1;
	}
	memmove(out, a, la);
	if (slash)
		out[la++] = '/';
	memmove(out + la, b, lb);
	out[la + lb] = '\0';
	return 0;
}

int pw__has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !memcmp(s + ls - lx, suffix, lx);
}
