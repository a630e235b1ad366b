/* str.h: the hex and path helpers every layer and tool shares. */
#ifndef PW_UTIL_STR_H
#define PW_UTIL_STR_H

#include <stddef.h>

/** Value of the hex digit `c` (either case), or -1 if it is not one. */
int pw__hexval(int c);

/**
 * Decode `2 * len` hex digits of `hex` into `len` bytes at `out`. 0, or -1
 * at the first non-hex digit (out partly written).
 */
int pw__hex_decode(unsigned char *out, const char *hex, size_t len);

/** Write `len` bytes as `2 * len` lower-case hex digits and a NUL to `out`. */
void pw__hex_encode(char *out, const unsigned char *in, size_t len);

/** Do the first `hexlen` hex digits of the bytes `a` and `b` agree? */
int pw__hex_prefix_matches(const unsigned char *a, const unsigned char *b, size_t hexlen);

/**
 * `a` "/" `b` into `out` of `outsz` bytes (no slash added when `a` is
 * empty or already ends in one). 0, or -1 when it would not fit (`out` is
 * then an empty string): callers never use a truncated path.
 */
int pw__path_join(char *out, size_t outsz, const char *a, const char *b);

/** Does `s` end with `suffix`? */
int pw__has_suffix(const char *s, const char *suffix);

#endif
