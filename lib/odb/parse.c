/* parse.c: commit, tag and tree objects parsed in place (git's commit.c, tag.c, tree-walk.c rules). */
#include <string.h>

#include "odb/parse.h"
#include "util/error.h"
#include "util/banned.h"

/* One header line "KEY <hex id>\n" at `*p`: 1 if it is one (and *p moves past it), 0 if not. */
static int id_line(pw_oid *out, const char **p, const char *end, const char *key, pw_oid_t type)
{
	size_t klen = strlen(key), hexsz = 2 * pw_oid_rawsz(type);
	const char *s = *p;
	char hex[PW_OID_MAX_HEXSZ + 1];

	if ((size_t)(end - s) < klen + 1 + hexsz + 1 || memcmp(s, key, klen) || s[klen] != ' ' ||
	    s[klen + 1 + hexsz] != '\n')
		return 0;
	memcpy(hex, s + klen + 1, hexsz);
	hex[hexsz] = '\0';
	if (pw_oid_fromhex(out, hex, type) < 0) {
		pw_error_clear();
		return 0;
	}
	*p = s + klen + 1 + hexsz + 1;
	return 1;
}

static const char *line_end(const char *s, const char *end)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	return nl ? nl : end;
}

/* The message: after the first empty line ("\n\n"), or empty. */
static void message_of(const char **msg, size_t *len, const char *p, const char *end)
{
	while (p < end && *p != '\n')
		p = line_end(p, end) + 1;
	if (p < end) {
		*msg = p + 1;
		*len = (size_t)(end - p - 1);
	} else {
		*msg = end;
		*len = 0;
	}
}

/* "committer NAME <EMAIL> TIME TZ": TIME, as git's parse_commit_date reads it (0 if unreadable). */
static int64_t committer_time(const char *s, const char *eol)
{
	const char *gt = NULL, *q;
	int64_t t = 0;

	for (q = s; q < eol; q++)
		if (*q == '>')
			gt = q;
	if (!gt)
		return 0;
	for (q = gt + 1; q < eol && *q == ' '; q++)
		;
	for (; q < eol && *q >= '0' && *q <= '9'; q++) {
		if (t > (INT64_MAX - 9) / 10)
			return 0;
		t = t * 10 + (*q - '0');
	}
	return t;
}

int pw__commit_parse(pw__commit *out, const unsigned char *data, size_t len, pw_oid_t type)
{
	const char *p = (const char *)data, *end = p + len;
	pw_oid id;

	memset(out, 0, sizeof(*out));
	if (!id_line(&out->tree, &p, end, "tree", type))
		return pw__error_set(PW_ECORRUPT, "commit: does not start with a 'tree <id>' line");
	while (id_line(&id, &p, end, "parent", type)) {
		pw_oid *slot = PW_ARRAY_ALLOC(&out->parents, 4);
		if (!slot)
			return pw__error_nomem();
		*slot = id;
	}
	/* the other headers, up to the message; grafts and "mergetag" blocks are skipped */
	while (p < end && *p != '\n') {
		const char *eol = line_end(p, end);
		if ((size_t)(eol - p) > 10 && !memcmp(p, "committer ", 10))
			out->committer_time = committer_time(p + 10, eol);
		p = eol < end ? eol + 1 : end;
	}
	message_of(&out->message, &out->message_len, p, end);
	return 0;
}

void pw__commit_dispose(pw__commit *c)
{
	PW_ARRAY_FREE(&c->parents);
}

int pw__tag_parse(pw__tag *out, const unsigned char *data, size_t len, pw_oid_t type)
{
	const char *p = (const char *)data, *end = p + len, *eol;
	char tname[16];
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!id_line(&out->object, &p, end, "object", type))
		return pw__error_set(PW_ECORRUPT, "tag: does not start with an 'object <id>' line");
	eol = line_end(p, end);
	if (eol == end || (size_t)(eol - p) < 6 || memcmp(p, "type ", 5))
		return pw__error_set(PW_ECORRUPT, "tag: no 'type' line after 'object'");
	n = (size_t)(eol - p - 5);
	if (n >= sizeof(tname))
		return pw__error_set(PW_ECORRUPT, "tag: unknown object type");
	memcpy(tname, p + 5, n);
	tname[n] = '\0';
	if ((out->type = pw_object_type_fromstr(tname)) == PW_OBJ_BAD)
		return pw__error_set(PW_ECORRUPT, "tag: unknown object type '%s'", tname);
	p = eol + 1;
	eol = line_end(p, end);
	if ((size_t)(eol - p) > 4 && !memcmp(p, "tag ", 4)) {
		out->name = p + 4;
		out->name_len = (size_t)(eol - p - 4);
	}
	message_of(&out->message, &out->message_len, p, end);
	return 0;
}

void pw__tree_iter_init(pw__tree_iter *it, const unsigned char *data, size_t len, pw_oid_t type)
{
	it->data = data;
	it->len = len;
	it->pos = 0;
	it->type = type;
}

int pw__tree_next(pw__tree_entry *out, pw__tree_iter *it)
{
	const unsigned char *d = it->data, *nul;
	size_t p = it->pos, digits = 0, rawsz = pw_oid_rawsz(it->type);

	if (p >= it->len)
		return 0;
	out->mode = 0;
	while (p < it->len && d[p] != ' ') {
		if (d[p] < '0' || d[p] > '7' || ++digits > 7)
			return pw__error_set(PW_ECORRUPT, "tree: bad mode in entry at byte %zu", it->pos);
		out->mode = (out->mode << 3) + (unsigned)(d[p] - '0');
		p++;
	}
	if (p >= it->len || digits == 0)
		return pw__error_set(PW_ECORRUPT, "tree: truncated entry at byte %zu", it->pos);
	p++;
	if ((nul = memchr(d + p, '\0', it->len - p)) == NULL || nul == d + p)
		return pw__error_set(PW_ECORRUPT, "tree: entry at byte %zu has no name", it->pos);
	out->name = (const char *)d + p;
	out->name_len = (size_t)(nul - (d + p));
	p += out->name_len + 1;
	if (it->len - p < rawsz)
		return pw__error_set(PW_ECORRUPT, "tree: entry at byte %zu has no id", it->pos);
	memset(&out->id, 0, sizeof(out->id));
	memcpy(out->id.id, d + p, rawsz);
	it->pos = p + rawsz;
	return 1;
}

pw_object_t pw__tree_entry_type(unsigned int mode)
{
	if ((mode & 0170000) == 0040000)
		return PW_OBJ_TREE;
	if ((mode & 0170000) == 0160000)
		return PW_OBJ_COMMIT;
	return PW_OBJ_BLOB;
}
