/* names.c: pw_repo_resolve, the subset of `git rev-parse` names packwin understands. */

/*
 * The grammar, checked against git 2.39 (tests/oracle/names.sh):
 *
 *   NAME  := REV | REV ':' PATH          (the first ':' outside braces)
 *   REV   := BASE { '^{' TYPE '}' }      (TYPE: commit tree blob tag object, or empty)
 *   BASE  := a full id | a ref (X, refs/X, refs/tags/X, refs/heads/X,
 *            refs/remotes/X, refs/remotes/X/HEAD) | describe output
 *            (ANYTHING-gHEX) | 4+ hex digits | '@' (HEAD)
 *
 * git's quirks kept on purpose:
 * - A full-length hex id is returned as it is, without looking it up (git
 *   rev-parse prints it even when no such object exists); reading it is
 *   where a missing object shows. It wins over a ref of the same name.
 * - A shorter hex string that is also a ref name resolves to the ref.
 * - An abbreviated id matching several objects is disambiguated by what the
 *   name asks for: `X^{commit}` keeps the one commit (or tag of a commit),
 *   `X^{tree}` and `X:path` the one tree-ish, as git's GET_OID_COMMITTISH
 *   and GET_OID_TREEISH do; `X`, `X^{}`, `X^{blob}` do not disambiguate.
 * - A broken or dangling ref under one prefix is skipped and the next tried
 *   (git warns "ignoring broken ref"); when nothing else matches, the
 *   broken ref's error is returned.
 *
 * Not supported (PW_EUNSUPPORTED): ancestry (`~N`, `^N`), reflogs (`@{…}`),
 * `^{/regex}`, index paths (`:path`).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/parse.h"
#include "odb/refs.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/* Longest name accepted (git has no limit; a path plus a ref fits easily). */
#define NAME_MAX_LEN 4096
/* Most `^{…}` suffixes on one name. */
#define MAX_PEELS 32
/* git's MINIMUM_ABBREV. */
#define MIN_ABBREV 4

/* What a name asks an abbreviated id to be, when several objects match. */
enum hint { HINT_NONE, HINT_COMMIT, HINT_COMMITTISH, HINT_TREEISH };

/* The `^{…}` suffixes. */
enum peel { PEEL_TAGS, PEEL_ANY, PEEL_COMMIT, PEEL_TREE, PEEL_BLOB, PEEL_TAG };

typedef struct resolver {
	pw_repo *repo;
	pw_refdb db;
} resolver;

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_hex((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char *type_name(pw_object_t type)
{
	const char *n = pw_object_type_name(type);
	return n ? n : "unknown";
}

/* ------------------------------------------------------------ peeling */

int pw__object_first_oid(pw_oid *out, pw_repo *repo, const pw_oid *id,
	pw_object_t type, const char *field)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	size_t flen = strlen(field), hexsz = repo->hexsz, size;
	const unsigned char *data;
	pw_object *obj = NULL;
	pw_oid found;
	int error;

	if ((error = pw_repo_read(&obj, repo, id)) < 0)
		goto out;
	if (pw_object_type(obj) != type) {
		error = pw__error_set(PW_ECORRUPT, "object %s: expected a %s, found a %s",
			pw_oid_tostr(hex, id, repo->oid_type), pw_object_type_name(type),
			pw_object_type_name(pw_object_type(obj)));
		goto out;
	}
	data = pw_object_data(obj);
	size = pw_object_size(obj);
	if (size < flen + 1 + hexsz + 1 || memcmp(data, field, flen) || data[flen] != ' ' ||
	    data[flen + 1 + hexsz] != '\n' ||
	    pw_oid_fromhex(&found, (const char *)data + flen + 1, repo->oid_type) < 0) {
		error = pw__error_set(PW_ECORRUPT, "%s %s: does not start with an '%s <id>' line",
			pw_object_type_name(type), pw_oid_tostr(hex, id, repo->oid_type), field);
		goto out;
	}
	*out = found; /* `out` may be `id` */
out:
	pw_object_free(obj);
	return error;
}

int pw__peel_tags(pw_oid *out, pw_object_t *type_out, pw_repo *repo, const pw_oid *id)
{
	pw_object_info info;
	pw_oid cur = *id;
	char hex[PW_OID_MAX_HEXSZ + 1];
	int error, n;

	for (n = 0; n <= PW_PEEL_MAX_DEPTH; n++) {
		if ((error = pw_repo_info(&info, repo, &cur, 0)) < 0)
			return error;
		if (info.type != PW_OBJ_TAG) {
			*out = cur;
			*type_out = info.type;
			return 0;
		}
		if ((error = pw__object_first_oid(&cur, repo, &cur, PW_OBJ_TAG, "object")) < 0)
			return error;
	}
	return pw__error_set(PW_ECORRUPT, "tag %s: a chain of more than %d tags",
		pw_oid_tostr(hex, id, repo->oid_type), PW_PEEL_MAX_DEPTH);
}

/* The object's type; PW_ENOTFOUND (with a message naming `what`) if it is missing. */
static int object_type(pw_object_t *out, resolver *r, const pw_oid *id, const char *what,
	size_t whatlen)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_object_info info;
	int error;

	if ((error = pw_repo_info(&info, r->repo, id, 0)) == PW_ENOTFOUND)
		return pw__error_set(PW_ENOTFOUND, "'%.*s': object %s does not exist",
			(int)whatlen, what, pw_oid_tostr(hex, id, r->repo->oid_type));
	if (error < 0)
		return error;
	*out = info.type;
	return 0;
}

/*
 * Apply one `^{…}` to `*id`, as git's peel_onion does: `^{}` peels tags,
 * `^{object}` only checks that the object exists, a type peels tags and
 * commits (to their tree) until it reaches that type. `what` is the name up
 * to this suffix, for messages.
 */
static int peel(pw_oid *id, resolver *r, enum peel kind, const char *what, size_t whatlen)
{
	static const pw_object_t wanted[] = { PW_OBJ_NONE, PW_OBJ_NONE, PW_OBJ_COMMIT, PW_OBJ_TREE,
		PW_OBJ_BLOB, PW_OBJ_TAG };
	pw_object_t type = PW_OBJ_NONE, want = wanted[kind];
	int error, n;

	for (n = 0; n <= PW_PEEL_MAX_DEPTH; n++) {
		if ((error = object_type(&type, r, id, what, whatlen)) < 0)
			return error;
		if (kind == PEEL_ANY || type == want)
			return 0;
		if (type == PW_OBJ_TAG)
			error = pw__object_first_oid(id, r->repo, id, PW_OBJ_TAG, "object");
		else if (kind == PEEL_TAGS)
			return 0;
		else if (type == PW_OBJ_COMMIT)
			error = pw__object_first_oid(id, r->repo, id, PW_OBJ_COMMIT, "tree");
		else
			return pw__error_set(PW_ENOTFOUND,
				"%.*s: expected %s type, but the object dereferences to %s type",
				(int)whatlen, what, type_name(want), type_name(type));
		if (error < 0)
			return error;
	}
	return pw__error_set(PW_ECORRUPT, "'%.*s': more than %d objects to peel",
		(int)whatlen, what, PW_PEEL_MAX_DEPTH);
}

/* ------------------------------------------------ abbreviated ids */

/* git's disambiguate_commit_only / _committish_only / _treeish_only. */
static int hint_accepts(int *ok, resolver *r, const pw_oid *id, enum hint hint)
{
	pw_object_info info;
	pw_object_t type;
	pw_oid peeled;
	int error;

	*ok = 0;
	error = pw_repo_info(&info, r->repo, id, 0);
	if (error == 0 && hint != HINT_COMMIT && info.type == PW_OBJ_TAG &&
	    (error = pw__peel_tags(&peeled, &type, r->repo, id)) == 0)
		info.type = type;
	if (error == PW_ENOTFOUND || error == PW_ECORRUPT)
		return 0; /* git: such a candidate is no commit-ish */
	if (error < 0)
		return error;
	*ok = info.type == PW_OBJ_COMMIT || (hint == HINT_TREEISH && info.type == PW_OBJ_TREE);
	return 0;
}

/* git's disambiguate_state, fed one candidate at a time (sha1-name.c: update_candidates). */
typedef struct disambiguation {
	resolver *r;
	enum hint hint;
	pw_oid candidate;
	int exists, checked, ok, ambiguous, fn_used;
} disambiguation;

static int ds_update(disambiguation *ds, const pw_oid *cur)
{
	int ok, error;

	if (!ds->exists) {
		ds->candidate = *cur;
		ds->exists = 1;
		return 0;
	}
	if (!pw_oid_cmp(&ds->candidate, cur))
		return 0;
	if (!ds->checked) {
		if ((error = hint_accepts(&ds->ok, ds->r, &ds->candidate, ds->hint)) < 0)
			return error;
		ds->fn_used = 1;
		ds->checked = 1;
	}
	if (!ds->ok) {
		/* the candidate does not satisfy the hint: the new one replaces it */
		ds->candidate = *cur;
		ds->checked = 0;
		return 0;
	}
	if ((error = hint_accepts(&ok, ds->r, cur, ds->hint)) < 0)
		return error;
	if (ok) {
		ds->ok = 0;
		ds->ambiguous = 1;
	}
	return 0;
}

/*
 * Apply git's disambiguation hint to every object whose id starts with
 * `hex` (lower case, `len` digits): 0 with *out set when exactly one
 * satisfies it, 1 when it stays ambiguous.
 */
static int disambiguate(pw_oid *out, resolver *r, const char *hex, size_t len, enum hint hint)
{
	char padded[PW_OID_MAX_HEXSZ + 1];
	size_t hexsz = r->repo->hexsz, i;
	pw_oids cands = PW_ARRAY_INIT;
	disambiguation ds;
	pw_oid prefix;
	int error = 0;

	memset(&ds, 0, sizeof(ds));
	ds.r = r;
	ds.hint = hint;
	memset(padded, '0', hexsz);
	memcpy(padded, hex, len);
	padded[hexsz] = '\0';
	if (pw_oid_fromhex(&prefix, padded, r->repo->oid_type) < 0)
		return pw__error_set(PW_EINVALID, "'%.*s' is not hex", (int)len, hex);

	if ((error = pw__repo_prefix(&cands, r->repo, &prefix, len)) < 0)
		return error;
	for (i = 0; i < cands.n && !error; i++)
		error = ds_update(&ds, &cands.v[i]);
	PW_ARRAY_FREE(&cands);
	if (error < 0)
		return error;

	/* git's finish_object_disambiguation */
	if (ds.ambiguous || !ds.exists)
		return 1;
	if (!ds.checked) {
		ds.ok = 1;
		if (ds.fn_used && (error = hint_accepts(&ds.ok, r, &ds.candidate, hint)) < 0)
			return error;
	}
	if (!ds.ok)
		return 1;
	*out = ds.candidate;
	return 0;
}

/* An abbreviated id (MIN_ABBREV <= len < hexsz hex digits, either case). */
static int short_id(pw_oid *out, resolver *r, const char *str, size_t len, enum hint hint)
{
	char hex[PW_OID_MAX_HEXSZ + 1], saved[1024];
	size_t i;
	int error;

	for (i = 0; i < len; i++)
		hex[i] = (str[i] >= 'A' && str[i] <= 'F') ? (char)(str[i] - 'A' + 'a') : str[i];
	hex[len] = '\0';
	error = pw_repo_find_prefix(out, r->repo, hex, len);
	if (error != PW_EAMBIGUOUS || hint == HINT_NONE)
		return error;
	/* keep find_prefix's message: it lists the candidates */
	snprintf(saved, sizeof(saved), "%s", pw_error_last());
	if ((error = disambiguate(out, r, hex, len, hint)) < 0)
		return error;
	if (error == 1)
		return pw__error_set(PW_EAMBIGUOUS, "%s", saved);
	return 0;
}

/*
 * git describe output, "ANYTHING-g<abbreviated commit id>" (git's
 * get_describe_name): the last "-g" followed by hex digits only. An
 * ambiguous abbreviation there makes the name unknown, as in git.
 */
static int describe_name(pw_oid *out, resolver *r, const char *str, size_t len)
{
	size_t cp, hl;
	int error;

	for (cp = len; cp-- > 2;) {
		if (is_hex((unsigned char)str[cp]) || str[cp] != 'g' || str[cp - 1] != '-')
			continue;
		hl = len - cp - 1;
		if (hl < MIN_ABBREV || hl > r->repo->hexsz || !all_hex(str + cp + 1, hl))
			break;
		error = short_id(out, r, str + cp + 1, hl, HINT_COMMIT);
		if (error == PW_EAMBIGUOUS)
			break;
		return error;
	}
	return PW_ENOTFOUND;
}

/* ------------------------------------------------------------ refs */

/*
 * git's ambiguous_path(): names starting with '/', holding "//" or "/./"
 * and the like, or ending with '/' are never looked up as refs.
 */
static int ambiguous_path(const char *s, size_t len)
{
	int slash = 1;
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '/':
			if (slash)
				return 1;
			slash = 1;
			continue;
		case '.':
			continue;
		default:
			slash = 0;
			continue;
		}
	}
	return slash;
}

/* git's ref_rev_parse_rules, in order. */
static const struct {
	const char *prefix, *suffix;
} rev_parse_rules[] = {
	{ "", "" },
	{ "refs/", "" },
	{ "refs/tags/", "" },
	{ "refs/heads/", "" },
	{ "refs/remotes/", "" },
	{ "refs/remotes/", "/HEAD" },
};

/*
 * A base name: a full id, a ref (the first rule that resolves), or an
 * abbreviated id, in git's order (get_oid_basic, then get_short_oid).
 */
static int resolve_base(pw_oid *out, resolver *r, const char *str, size_t len, enum hint hint)
{
	char broken[1024] = "", dangling[1024] = "";
	size_t hexsz = r->repo->hexsz, i;
	int error = 0;
	char *full = NULL;

	if (len == 1 && str[0] == '@') {
		str = "HEAD"; /* git: '@' alone is HEAD */
		len = 4;
	}
	if (len == hexsz && all_hex(str, len)) {
		if (pw_oid_fromhex(out, str, r->repo->oid_type) < 0)
			return pw__error_set(PW_EINVALID, "'%.*s': bad object id", (int)len, str);
		return 0;
	}
	if (!memchr(str, '\0', len) && !ambiguous_path(str, len)) {
		for (i = 0; i < sizeof(rev_parse_rules) / sizeof(rev_parse_rules[0]); i++) {
			const char *pre = rev_parse_rules[i].prefix;
			const char *suf = rev_parse_rules[i].suffix;
			size_t n = strlen(pre) + len + strlen(suf) + 1;
			pw_ref_result res;

			pw__free(full);
			if ((full = pw__malloc(n)) == NULL) {
				error = pw__error_nomem();
				goto out;
			}
			snprintf(full, n, "%s%.*s%s", pre, (int)len, str, suf);
			if (!pw__refname_is_valid(full, 1))
				continue;
			error = pw__refdb_resolve(&res, &r->db, full);
			if (error == 0) {
				*out = res.id;
				goto out;
			}
			if (error == PW_ENOTFOUND) {
				if (res.depth > 0 && !dangling[0])
					snprintf(dangling, sizeof(dangling), "%s", pw_error_last());
			} else if (error == PW_ECORRUPT) {
				/* git: "warning: ignoring broken ref", and goes on */
				if (!broken[0] &&
				    (!strncmp(full, "refs/", 5) || !strcmp(full, "HEAD")))
					snprintf(broken, sizeof(broken), "%s", pw_error_last());
			} else {
				goto out;
			}
			error = 0;
		}
	}
	if ((error = describe_name(out, r, str, len)) != PW_ENOTFOUND)
		goto out;
	if (len >= MIN_ABBREV && len < hexsz && all_hex(str, len)) {
		error = short_id(out, r, str, len, hint);
		if (error != PW_ENOTFOUND)
			goto out;
	}
	if (broken[0])
		error = pw__error_set(PW_ECORRUPT, "%s", broken);
	else if (dangling[0])
		error = pw__error_set(PW_ENOTFOUND, "unknown revision '%.*s' (%s)", (int)len, str,
			dangling);
	else
		error = pw__error_set(PW_ENOTFOUND,
			"unknown revision '%.*s': no such ref, and no object id starts with it",
			(int)len, str);
out:
	pw__free(full);
	return error;
}

/* -------------------------------------------------------------- revisions */

/* The `^{…}` suffix whose type text starts at `t` (git's starts_with tests). */
static int peel_kind(enum peel *out, const char *t, size_t tlen)
{
	static const struct {
		const char *text;
		enum peel kind;
	} kinds[] = {
		{ "commit}", PEEL_COMMIT }, { "tag}", PEEL_TAG }, { "tree}", PEEL_TREE },
		{ "blob}", PEEL_BLOB }, { "object}", PEEL_ANY }, { "}", PEEL_TAGS },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].text);
		if (tlen >= n && !memcmp(t, kinds[i].text, n)) {
			*out = kinds[i].kind;
			return 0;
		}
	}
	return -1;
}

/* Is the end of str[0, len) git's ancestry syntax (`~`, `^`, `~N`, `^N`)? */
static int has_ancestry_suffix(const char *str, size_t len)
{
	while (len && str[len - 1] >= '0' && str[len - 1] <= '9')
		len--;
	return len && (str[len - 1] == '~' || str[len - 1] == '^');
}

static int find_sub(const char *s, size_t len, const char *sub)
{
	size_t n = strlen(sub), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(s + i, sub, n))
			return 1;
	return 0;
}

/* REV := BASE { '^{' TYPE '}' }, peeled innermost first. */
static int resolve_rev(pw_oid *out, resolver *r, const char *str, size_t len, enum hint hint)
{
	enum peel kinds[MAX_PEELS];
	size_t ends[MAX_PEELS], n = 0, full = len;
	int error;

	/* strip suffixes from the right, as git's recursive peel_onion does */
	while (len >= 4 && str[len - 1] == '}') {
		size_t sp = len - 1;
		enum peel kind;

		while (sp > 0 && !(str[sp] == '{' && str[sp - 1] == '^'))
			sp--;
		if (sp == 0)
			break; /* no "^{": '}' is allowed in ref names */
		if (str[sp + 1] == '/')
			return pw__error_set(PW_EUNSUPPORTED,
				"'%.*s': ^{/text} (commit message search) is not supported",
				(int)full, str);
		if (peel_kind(&kind, str + sp + 1, len - sp - 1) < 0)
			return pw__error_set(PW_EINVALID, "'%.*s': unknown type in '^{%.*s'",
				(int)full, str, (int)(len - sp - 1), str + sp + 1);
		if (n == MAX_PEELS)
			return pw__error_set(PW_ELIMIT, "'%.*s': more than %d '^{...}' suffixes",
				(int)full, str, MAX_PEELS);
		kinds[n] = kind;
		ends[n++] = len;
		len = sp - 1;
		/* each peel asks its inner name for what it wants (git's lookup_flags) */
		hint = kind == PEEL_COMMIT ? HINT_COMMITTISH :
		       kind == PEEL_TREE   ? HINT_TREEISH : HINT_NONE;
	}

	if (len == 0)
		return pw__error_set(PW_EINVALID, "'%.*s': no revision before '^{'", (int)full, str);
	if (find_sub(str, len, "^{"))
		return pw__error_set(PW_EINVALID, "'%.*s': unbalanced braces", (int)full, str);
	if (has_ancestry_suffix(str, len))
		return pw__error_set(PW_EUNSUPPORTED,
			"'%.*s': ancestry syntax (~N, ^N) is not supported", (int)full, str);
	if (find_sub(str, len, "@{"))
		return pw__error_set(PW_EUNSUPPORTED,
			"'%.*s': reflog syntax (@{...}) is not supported", (int)full, str);

	if ((error = resolve_base(out, r, str, len, hint)) < 0)
		return error;
	while (n-- > 0)
		if ((error = peel(out, r, kinds[n], str, ends[n])) < 0)
			return error;
	return 0;
}

/* ------------------------------------------------------------------ paths */

/*
 * Look `path` up from tree `*id` (git's get_tree_entry / find_tree_entry,
 * iteratively): "" is the tree itself, "dir/" a subtree.
 */
static int tree_path(pw_oid *id, resolver *r, const char *path, const char *rev, size_t revlen)
{
	size_t rest = 0, restlen = strlen(path);
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_object *obj = NULL;
	int error = 0;

	while (restlen > 0) {
		const char *name = path + rest;
		pw__tree_entry e;
		pw__tree_iter it;
		int descend = 0, found = 0, more;

		if ((error = pw_repo_read(&obj, r->repo, id)) < 0)
			goto out;
		if (pw_object_type(obj) != PW_OBJ_TREE) {
			error = pw__error_set(PW_ECORRUPT, "'%.*s:%s': %s is a %s, not a tree",
				(int)revlen, rev, path, pw_oid_tostr(hex, id, r->repo->oid_type),
				type_name(pw_object_type(obj)));
			goto out;
		}
		pw__tree_iter_init(&it, pw_object_data(obj), pw_object_size(obj), r->repo->oid_type);
		while ((more = pw__tree_next(&e, &it)) > 0) {
			int cmp;

			if (e.name_len > restlen)
				continue;
			cmp = memcmp(name, e.name, e.name_len);
			if (cmp > 0)
				continue;
			if (cmp < 0)
				break; /* entries are sorted: it is not here */
			if (e.name_len == restlen) {
				found = 1;
			} else if (name[e.name_len] != '/') {
				continue;
			} else if (pw__tree_entry_type(e.mode) != PW_OBJ_TREE) {
				break; /* "file/more" */
			} else if (e.name_len + 1 == restlen) {
				found = 1; /* "dir/" */
			} else {
				descend = 1;
				rest += e.name_len + 1;
				restlen -= e.name_len + 1;
			}
			*id = e.id;
			break;
		}
		if (more < 0) {
			char why[256];
			snprintf(why, sizeof(why), "%s", pw_error_last());
			error = pw__error_set(PW_ECORRUPT, "%s %s", why,
				pw_oid_tostr(hex, id, r->repo->oid_type));
			goto out;
		}
		pw_object_free(obj);
		obj = NULL;
		if (found)
			goto out;
		if (!descend) {
			error = pw__error_set(PW_ENOTFOUND, "path '%s' does not exist in '%.*s'",
				path, (int)revlen, rev);
			goto out;
		}
	}
out:
	pw_object_free(obj);
	return error;
}

/* ---------------------------------------------------------------- API */

int pw_repo_resolve(pw_oid *out, pw_repo *repo, const char *name)
{
	size_t len, i, depth = 0;
	resolver r;
	pw_oid id;
	int error;

	if (!out || !repo || !name)
		return pw__error_set(PW_EINVALID, "pw_repo_resolve: NULL argument");
	len = strlen(name);
	if (len == 0)
		return pw__error_set(PW_EINVALID, "empty object name");
	if (len > NAME_MAX_LEN)
		return pw__error_set(PW_EINVALID, "object name of %zu bytes is too long", len);

	/* the first ':' outside braces splits REV from PATH (git's get_oid_with_context_1) */
	for (i = 0; i < len; i++) {
		if (name[i] == '{')
			depth++;
		else if (depth && name[i] == '}')
			depth--;
		else if (!depth && name[i] == ':')
			break;
	}
	if (i == 0 && len > 0 && name[0] == ':')
		return pw__error_set(PW_EUNSUPPORTED,
			"'%s': ':path' names an entry of the index, which packwin does not read",
			name);

	memset(&r, 0, sizeof(r));
	r.repo = repo;
	pw__refdb_init(&r.db, repo);
	if (i < len) {
		error = resolve_rev(&id, &r, name, i, HINT_TREEISH);
		if (error == 0)
			error = peel(&id, &r, PEEL_TREE, name, i);
		if (error == 0)
			error = tree_path(&id, &r, name + i + 1, name, i);
	} else {
		error = resolve_rev(&id, &r, name, len, HINT_NONE);
	}
	pw__refdb_dispose(&r.db);
	if (error == 0)
		*out = id;
	return error;
}
