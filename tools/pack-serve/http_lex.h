/* http_lex.h: the character classes and small scanners shared by http.c and http_value.c. */
#ifndef PACKSERVE_HTTP_LEX_H
#define PACKSERVE_HTTP_LEX_H

#include <stddef.h>
#include <string.h>

static inline int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static inline unsigned char to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive equality of s[0..n) and the lowercase literal `lit` (no locale). */
static inline int eq_nocase(const char *s, size_t n, const char *lit)
{
	size_t i, ln = strlen(lit);

	if (n != ln)
		return 0;
	for (i = 0; i < n; i++)
		if (to_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return 0;
	return 1;
}

/* Narrow [*s, *s + *n) by dropping optional whitespace (SP, HTAB) at both ends. */
static inline void trim_ows(const char **s, size_t *n)
{
	while (*n && is_ows((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_ows((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

#endif
