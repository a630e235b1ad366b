/* abbrev.c: abbreviated object ids — the one prefix scanner over every source, and unique-prefix lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "odb/internal.h"
#include "util/error.h"
#include "util/str.h"
#include "util/banned.h"

/* Candidates named in an "ambiguous" message, at most. */
#define MAX_NAMED 16

typedef struct prefix_arg {
	pw_oids *out;
	const pw_oid *prefix;
	size_t hexlen;
} prefix_arg;

static int prefix_once(pw_repo *repo, void *arg, int *no_retry)
{
	prefix_arg *a = arg;
	size_t i;
	int error = 0;

	a->out->n = 0;
	for (i = 0; i < repo->sources.n && !error; i++)
		error = repo->sources.v[i]->ops->prefix(a->out, repo->sources.v[i], a->prefix, a->hexlen);
	/* nothing at all: a concurrent repack may have moved things, look again */
	if (!error && !a->out->n)
		return PW_ENOTFOUND;
	return error;
}

static int cmp_oid(const void *a, const void *b)
{
	return pw_oid_cmp(a, b);
}

int pw__repo_prefix(pw_oids *out, pw_repo *repo, const pw_oid *prefix, size_t hexlen)
{
	prefix_arg a = { out, prefix, hexlen };
	size_t i, w = 0;
	int error;

	out->n = 0;
	error = pw__sources_retry(repo, prefix_once, &a);
	if (error == PW_ENOTFOUND && !out->n) {
		pw_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	qsort(out->v, out->n, sizeof(*out->v), cmp_oid);
	for (i = 0; i < out->n; i++)
		if (!w || pw_oid_cmp(&out->v[w - 1], &out->v[i]))
			out->v[w++] = out->v[i];
	out->n = w;
	return 0;
}

int pw_repo_find_prefix(pw_oid *out, pw_repo *repo, const char *hex_in, size_t hexlen)
{
	char hex[PW_OID_MAX_HEXSZ + 1], msg[1024];
	pw_oids c = PW_ARRAY_INIT;
	pw_oid prefix;
	size_t i, len;
	int error;

	if (hexlen < 4 || hexlen > repo->hexsz)
		return pw__error_set(PW_EINVALID, "'%.*s' is not an abbreviated object id (4 to %zu hex digits)",
			(int)(hexlen > 80 ? 80 : hexlen), hex_in, repo->hexsz);
	memset(&prefix, 0, sizeof(prefix));
	for (i = 0; i < hexlen; i++) {
		int v = pw__hexval((unsigned char)hex_in[i]);
		if (v < 0)
			return pw__error_set(PW_EINVALID, "'%.*s' is not a hex object id", (int)hexlen, hex_in);
		hex[i] = "0123456789abcdef"[v];
		prefix.id[i / 2] |= (unsigned char)(i % 2 ? v : v << 4);
	}
	hex[hexlen] = '\0';

	if ((error = pw__repo_prefix(&c, repo, &prefix, hexlen)) < 0)
		goto out;
	if (c.n == 0) {
		error = pw__repo_error(repo, PW_ENOTFOUND, "no object starts with %s", hex);
		goto out;
	}
	*out = c.v[0];
	if (c.n == 1)
		goto out;
	len = (size_t)snprintf(msg, sizeof(msg), "short object id %s is ambiguous; candidates:", hex);
	for (i = 0; i < c.n && i < MAX_NAMED && len < sizeof(msg); i++) {
		char full[PW_OID_MAX_HEXSZ + 1];
		pw_object_info info;
		const char *tname = "?";
		if (pw_repo_info(&info, repo, &c.v[i], 0) == 0)
			tname = pw_object_type_name(info.type);
		else
			pw_error_clear();
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s %s", i ? "," : "",
			pw_oid_tostr(full, &c.v[i], repo->oid_type), tname);
	}
	if (c.n > MAX_NAMED && len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, " and %zu more", c.n - MAX_NAMED);
	error = pw__repo_error(repo, PW_EAMBIGUOUS, "%s", msg);
out:
	PW_ARRAY_FREE(&c);
	return error;
}
