/* config.c: the repository's config file as key/value pairs (git-config(1) syntax, no includes). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "odb/config.h"
#include "odb/internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

#define MAX_CONFIG ((size_t)4 << 20)

static char lower(char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static int is_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static int add(pw_config *cfg, const char *section, const char *name, size_t nlen,
	const char *value, size_t vlen, int has_value)
{
	size_t slen = strlen(section), i;
	pw_config_entry *e;

	if (!(e = PW_ARRAY_ALLOC(&cfg->e, 16)))
		return pw__error_nomem();
	if (!(e->key = pw__malloc(slen + 1 + nlen + 1))) {
		cfg->e.n--;
		return pw__error_nomem();
	}
	/* a key before any section (git accepts it) is its name alone */
	memcpy(e->key, section, slen);
	if (slen)
		e->key[slen++] = '.';
	for (i = 0; i < nlen; i++)
		e->key[slen + i] = lower(name[i]);
	e->key[slen + nlen] = '\0';
	e->value = NULL;
	if (has_value) {
		if (!(e->value = pw__malloc(vlen + 1))) {
			pw__free(e->key);
			cfg->e.n--;
			return pw__error_nomem();
		}
		memcpy(e->value, value, vlen);
		e->value[vlen] = '\0';
	}
	return 0;
}

/*
 * A value from `*p` to the end of its line (continuations with a trailing
 * backslash), unquoted and unescaped into `out` (as long as the input at
 * most); trailing blanks outside quotes dropped, comments ended.
 */
static int parse_value(char *out, size_t *outlen, const char **p, const char *end)
{
	const char *s = *p;
	size_t n = 0, blanks = 0;
	int quoted = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (s < end && *s != '\n') {
		char c = *s++;
		if (!quoted && (c == ' ' || c == '\t' || c == '\r')) {
			/* git: blanks outside quotes become as many spaces, unless nothing follows */
			if (n)
				blanks++;
			continue;
		}
		if (!quoted && (c == '#' || c == ';')) {
			while (s < end && *s != '\n')
				s++;
			break;
		}
		for (; blanks; blanks--)
			out[n++] = ' ';
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (c == '\\') {
			if (s >= end)
				return -1;
			c = *s++;
			switch (c) {
			case '\n': continue; /* continuation */
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'b': if (n) n--; continue;
			case '"': case '\\': break;
			default: return -1;
			}
		}
		out[n++] = c;
	}
	if (quoted)
		return -1;
	*outlen = n;
	*p = s;
	return 0;
}

int pw__config_read(pw_config *out, const char *path)
{
	char section[256] = "", *buf = NULL, *val = NULL;
	const char *p, *end;
	size_t len, line = 1;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = pw__read_small_file(&buf, &len, path, MAX_CONFIG)) < 0) {
		if (error == PW_ENOTFOUND) {
			pw_error_clear();
			return 0;
		}
		return error;
	}
	if (!(val = pw__malloc(len + 1))) {
		error = pw__error_nomem();
		goto out;
	}
	p = buf;
	end = buf + len;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3; /* a UTF-8 byte-order mark, as git skips it */
	while (p < end) {
		const char *name;
		size_t nlen, vlen = 0;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p >= end)
			break;
		if (*p == '\n') {
			p++;
			line++;
			continue;
		}
		if (*p == '#' || *p == ';') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (*p == '[') {
			size_t n = 0;
			for (p++; p < end && (is_keychar(*p) || *p == '.'); p++) {
				if (n + 2 >= sizeof(section))
					goto bad;
				section[n++] = lower(*p);
			}
			if (p < end && *p == ' ') {
				/* [section "subsection"]: the subsection keeps its case */
				while (p < end && *p == ' ')
					p++;
				if (p >= end || *p++ != '"')
					goto bad;
				section[n++] = '.';
				while (p < end && *p != '"' && *p != '\n') {
					if (*p == '\\' && p + 1 < end)
						p++;
					if (n + 2 >= sizeof(section))
						goto bad;
					section[n++] = *p++;
				}
				if (p >= end || *p++ != '"')
					goto bad;
			}
			if (p >= end || *p++ != ']' || n == 0)
				goto bad;
			section[n] = '\0';
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			goto bad;
		name = p;
		while (p < end && is_keychar(*p))
			p++;
		nlen = (size_t)(p - name);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '=') {
			p++;
			if (parse_value(val, &vlen, &p, end) < 0)
				goto bad;
			error = add(out, section, name, nlen, val, vlen, 1);
		} else if (p >= end || *p == '\n' || *p == '#' || *p == ';' || *p == '\r') {
			while (p < end && *p != '\n')
				p++;
			error = add(out, section, name, nlen, NULL, 0, 0);
		} else {
			goto bad;
		}
		if (error < 0)
			goto out;
	}
	error = 0;
	goto out;
bad:
	error = pw__error_set(PW_ECORRUPT, "%s: bad config line %zu", path, line);
out:
	pw__free(val);
	pw__free(buf);
	if (error < 0)
		pw__config_free(out);
	return error;
}

void pw__config_free(pw_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->e.n; i++) {
		pw__free(cfg->e.v[i].key);
		pw__free(cfg->e.v[i].value);
	}
	PW_ARRAY_FREE(&cfg->e);
}

const char *pw__config_get(const pw_config *cfg, const char *key, int *found)
{
	size_t i;

	for (i = cfg->e.n; i-- > 0;)
		if (!strcmp(cfg->e.v[i].key, key)) {
			if (found)
				*found = 1;
			return cfg->e.v[i].value;
		}
	if (found)
		*found = 0;
	return NULL;
}

int pw__config_bool(const pw_config *cfg, const char *key, int def)
{
	int found;
	const char *v = pw__config_get(cfg, key, &found);
	char *endp;
	long n;

	if (!found)
		return def;
	if (!v)
		return 1;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
		return 1;
	if (!*v || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
		return 0;
	n = strtol(v, &endp, 10);
	return *endp ? def : n != 0;
}
