/* names.c: pw_repo_resolve, the subset of `git rev-parse` names packwin understands. */

/*
 * The grammar, checked against git 2.39 (tests/oracle/names.sh, revs.sh):
 *
 *   NAME   := ':/' REGEX | REV | REV ':' PATH   (the first ':' outside braces)
 *   REV    := REV ('~' | '^') [DIGITS]          (ancestry, taken first from the right)
 *           | REV '^{' TYPE '}'                 (TYPE: commit tree blob tag object, or empty)
 *           | REV '^{/' REGEX '}'
 *           | BASE
 *   BASE   := a full id | [REF] '@{' N '}' | '@{-' N '}' [ '@{' N '}' ]
 *           | a ref (X, refs/X, refs/tags/X, refs/heads/X, refs/remotes/X,
 *             refs/remotes/X/HEAD) | describe output (ANYTHING-gHEX)
 *           | 4+ hex digits | '@' (HEAD)
 *   PATH   := a path in REV's tree; "./" and "../" start one relative to
 *             the current folder, which must be inside the work tree
 *
 * REV's recursion is git's get_oid_1: "A~2^2" is the second parent of A~2,
 * "A^{commit}~1" the first parent of A^{commit}. `^N` is the N-th parent
 * (`^0` the commit itself), `~N` N generations of first parents; both peel
 * tags first. `^{/re}` and `:/re` search commit messages (POSIX extended
 * regular expressions; "!-re" negated, "!!" a literal '!') from REV, or
 * from every ref and HEAD, youngest committer date first, as git's
 * get_oid_oneline walks.
 *
 * git's quirks kept on purpose:
 * - A full-length hex id is returned as it is, without looking it up (git
 *   rev-parse prints it even when no such object exists); reading it is
 *   where a missing object shows. It wins over a ref of the same name.
 * - A shorter hex string that is also a ref name resolves to the ref.
 * - An abbreviated id matching several objects is disambiguated by what the
 *   name asks for: `X^{commit}`, `X~N`, `X^N` keep the one commit (or tag
 *   of a commit), `X^{tree}` and `X:path` the one tree-ish, as git's
 *   GET_OID_COMMITTISH and GET_OID_TREEISH do; `X`, `X^{}`, `X^{blob}` do
 *   not disambiguate.
 * - A broken or dangling ref under one prefix is skipped and the next tried
 *   (git warns "ignoring broken ref"); when nothing else matches, the
 *   broken ref's error is returned.
 * - `REF@{N}` needs REF's reflog (or that of the ref its symbolic refs end
 *   at); `@{N}` is the reflog of the branch HEAD is on, `HEAD@{N}` HEAD's
 *   own. `@{0}` is the newest entry's new value; `@{N}` the value N
 *   updates ago; an entry creating the ref (old id null) is no answer.
 *   `@{-N}` is the N-th latest "checkout: moving from X to Y" of HEAD's
 *   reflog: X as a branch name, or X's id when HEAD was detached there.
 *
 * Not supported (PW_EUNSUPPORTED): the index (`:path`, `:N:path`), dates
 * (`@{yesterday}`, `@{<timestamp>}`), `@{upstream}` and `@{push}`.
 * Reflogs are read through reflog.h, so another ref backend can serve them.
 */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/parse.h"
#include "odb/reflog.h"
#include "odb/refs.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/* Longest name accepted (git has no limit; a path plus a ref fits easily). */
#define NAME_MAX_LEN 4096
/* git's MINIMUM_ABBREV. */
#define MIN_ABBREV 4

/* What a name asks an abbreviated id to be, when several objects match. */
enum hint { HINT_NONE, HINT_COMMIT, HINT_COMMITTISH, HINT_TREEISH };

/* The `^{…}` suffixes. */
enum peel { PEEL_TAGS, PEEL_ANY, PEEL_COMMIT, PEEL_TREE, PEEL_BLOB, PEEL_TAG, PEEL_SEARCH };

typedef struct resolver {
	pw_repo *repo;
	pw_refdb db;
} resolver;

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int find_sub(const char *s, size_t len, const char *sub)
{
	size_t n = strlen(sub), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(s + i, sub, n))
			return 1;
	return 0;
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
		PW_OBJ_BLOB, PW_OBJ_TAG, PW_OBJ_COMMIT };
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

/* What a failed walk over the rules saw, for the message. */
typedef struct dwim_notes {
	char broken[1024], dangling[1024];
} dwim_notes;

/*
 * git's repo_dwim_ref (want_log 0) and repo_dwim_log (want_log 1): the
 * first rule naming a ref that resolves, and for a log, whose reflog
 * exists (under that name, or under the ref its symbolic refs end at).
 * 0 with *out (and *log_ref, when asked, to pw__free) set; PW_ENOTFOUND
 * (no error set) when no rule matched.
 */
static int dwim(pw_oid *out, char **log_ref, resolver *r, const char *str, size_t len,
	int want_log, dwim_notes *notes)
{
	char *full = NULL, *final = NULL;
	size_t i;
	int error = PW_ENOTFOUND;

	if (log_ref)
		*log_ref = NULL;
	if (memchr(str, '\0', len) || (len && ambiguous_path(str, len)))
		return PW_ENOTFOUND;
	for (i = 0; i < sizeof(rev_parse_rules) / sizeof(rev_parse_rules[0]); i++) {
		const char *pre = rev_parse_rules[i].prefix;
		const char *suf = rev_parse_rules[i].suffix;
		size_t n = strlen(pre) + len + strlen(suf) + 1;
		pw_ref_result res;
		int rc;

		pw__free(full);
		pw__free(final);
		final = NULL;
		if ((full = pw__malloc(n)) == NULL) {
			error = pw__error_nomem();
			goto out;
		}
		snprintf(full, n, "%s%.*s%s", pre, (int)len, str, suf);
		if (!pw__refname_is_valid(full, 1))
			continue;
		rc = pw__refdb_resolve_name(&res, &final, &r->db, full);
		if (rc == PW_ENOTFOUND) {
			if (res.depth > 0 && !notes->dangling[0])
				snprintf(notes->dangling, sizeof(notes->dangling), "%s",
					pw_error_last());
			continue;
		}
		if (rc == PW_ECORRUPT) {
			/* git: "warning: ignoring broken ref", and goes on */
			if (!notes->broken[0] && (!strncmp(full, "refs/", 5) || !strcmp(full, "HEAD")))
				snprintf(notes->broken, sizeof(notes->broken), "%s", pw_error_last());
			continue;
		}
		if (rc < 0) {
			error = rc;
			goto out;
		}
		if (want_log) {
			const char *it = NULL;

			if ((rc = pw__refdb_reflog_exists(&r->db, full)) < 0) {
				error = rc;
				goto out;
			}
			if (rc) {
				it = full;
			} else if (strcmp(final, full)) {
				if ((rc = pw__refdb_reflog_exists(&r->db, final)) < 0) {
					error = rc;
					goto out;
				}
				if (rc)
					it = final;
			}
			if (!it)
				continue;
			if ((*log_ref = pw__strdup(it)) == NULL) {
				error = pw__error_nomem();
				goto out;
			}
		} else if (log_ref) {
			*log_ref = final;
			final = NULL;
		}
		*out = res.id;
		error = 0;
		goto out;
	}
out:
	pw__free(full);
	pw__free(final);
	return error;
}

/* --------------------------------------------------------------- reflogs */

/* Read reflog `ref`, or an empty one when it has none (git's reader sees no entries). */
static int reflog_or_empty(pw__reflog *log, resolver *r, const char *ref)
{
	int error = pw__refdb_reflog_read(log, &r->db, ref);

	if (error == PW_ENOTFOUND) {
		pw_error_clear();
		memset(log, 0, sizeof(*log));
		return 0;
	}
	return error;
}

static int is_null_id(const pw_oid *id, size_t rawsz)
{
	size_t i;

	for (i = 0; i < rawsz; i++)
		if (id->id[i])
			return 0;
	return 1;
}

/*
 * `ref@{nth}` (git's read_ref_at for a count), `*out` holding the ref's
 * value on entry: 0 is the newest entry's new value (the ref's value when
 * the log is empty); N the value N moves ago, counted from the newest
 * entry, where an entry whose old value is null (the ref's creation) is
 * no answer.
 */
static int reflog_nth(pw_oid *out, resolver *r, const char *ref, const char *shown, size_t shownlen,
	unsigned long nth)
{
	pw__reflog log;
	size_t i, rawsz = r->repo->rawsz;
	unsigned long cnt = nth;
	int error;

	if ((error = reflog_or_empty(&log, r, ref)) < 0)
		return error;
	if (nth == 0) {
		if (log.entries.n)
			*out = log.entries.v[log.entries.n - 1].new_id;
		goto out;
	}
	if (log.entries.n == 0) {
		error = pw__error_set(PW_ENOTFOUND, "log for %s is empty", ref);
		goto out;
	}
	for (i = log.entries.n; i-- > 0;) {
		const pw__reflog_entry *e = &log.entries.v[i];

		if (cnt > 0)
			cnt--;
		if (cnt == 0 && !is_null_id(&e->old_id, rawsz)) {
			*out = e->old_id;
			goto out;
		}
	}
	error = pw__error_set(PW_ENOTFOUND, "log for '%.*s' only has %zu entries", (int)shownlen,
		shown, log.entries.n);
out:
	pw__reflog_dispose(&log);
	return error;
}

/*
 * `@{-N}` (git's interpret_nth_prior_checkout): the branch (or detached
 * id) checked out before the N-th latest "checkout: moving from X to Y"
 * of HEAD's reflog, into *name (pw__free). PW_ENOTFOUND when there are
 * fewer switches.
 */
static int nth_prior_checkout(char **name, resolver *r, unsigned long nth)
{
	static const char moving[] = "checkout: moving from ";
	pw__reflog log;
	size_t i, ml = sizeof(moving) - 1;
	int error;

	*name = NULL;
	if ((error = reflog_or_empty(&log, r, "HEAD")) < 0)
		return error;
	for (i = log.entries.n; i-- > 0;) {
		const pw__reflog_entry *e = &log.entries.v[i];
		const char *from = e->message + ml, *to;
		size_t rest;

		if (e->message_len < ml || memcmp(e->message, moving, ml))
			continue;
		rest = e->message_len - ml;
		for (to = from; to + 4 <= from + rest && memcmp(to, " to ", 4); to++)
			;
		if (to + 4 > from + rest || memchr(from, '\0', (size_t)(to - from)))
			continue;
		if (--nth > 0)
			continue;
		if ((*name = pw__malloc((size_t)(to - from) + 1)) == NULL) {
			error = pw__error_nomem();
			goto out;
		}
		memcpy(*name, from, (size_t)(to - from));
		(*name)[to - from] = '\0';
		goto out;
	}
	error = pw__error_set(PW_ENOTFOUND, "HEAD's reflog has fewer than that many checkouts");
out:
	pw__reflog_dispose(&log);
	return error;
}

/* "@{-N}" exactly (N > 0): 1 with *nth set, else 0. */
static int is_nth_prior(unsigned long *nth, const char *s, size_t len)
{
	unsigned long n = 0;
	size_t i;

	if (len < 5 || s[0] != '@' || s[1] != '{' || s[2] != '-' || s[len - 1] != '}')
		return 0;
	for (i = 3; i < len - 1; i++) {
		if (!is_digit((unsigned char)s[i]) || n > (ULONG_MAX - 9) / 10)
			return 0;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	*nth = n;
	return i > 3 && n > 0;
}

/* git's upstream_mark / push_mark: "@{u}", "@{upstream}", "@{push}" (any case). */
static int is_tracking_mark(const char *s, size_t len)
{
	static const char *const marks[] = { "@{u}", "@{upstream}", "@{push}" };
	size_t i, j;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		size_t n = strlen(marks[i]);
		if (len < n)
			continue;
		for (j = 0; j < n && (s[j] | 0x20) == (marks[i][j] | 0x20); j++)
			;
		if (j == n)
			return 1;
	}
	return 0;
}

/*
 * A base name: a full id, `REF@{N}` / `@{N}` / `@{-N}`, a ref (the first
 * rule that resolves), describe output or an abbreviated id, in git's
 * order (get_oid_basic, get_describe_name, get_short_oid).
 */
static int resolve_base(pw_oid *out, resolver *r, const char *str, size_t len, enum hint hint)
{
	const char *name = str, *logspec = NULL;
	size_t hexsz = r->repo->hexsz, namelen = len, loglen = 0;
	char *branch = NULL, *real = NULL;
	unsigned long nth = 0, k = 0;
	dwim_notes notes;
	int error = 0, nth_prior = 0;
	size_t at;

	notes.broken[0] = notes.dangling[0] = '\0';
	if (len == hexsz && all_hex(str, len)) {
		if (pw_oid_fromhex(out, str, r->repo->oid_type) < 0)
			return pw__error_set(PW_EINVALID, "'%.*s': bad object id", (int)len, str);
		return 0;
	}
	if (find_sub(str, len, "^{"))
		return pw__error_set(PW_EINVALID, "'%.*s': unbalanced braces", (int)len, str);

	/* NAME@{SPEC}: the rightmost "@{" not starting "@{-" (git's get_oid_basic) */
	if (len >= 4 && str[len - 1] == '}') {
		for (at = len - 3; at-- > 0;) {
			if (str[at] != '@' || str[at + 1] != '{')
				continue;
			if (str[at + 2] == '-') {
				if (at != 0)
					goto not_found; /* @{-N} not at the start */
				nth_prior = 1;
				continue;
			}
			if (is_tracking_mark(str + at, len - at))
				return pw__error_set(PW_EUNSUPPORTED,
					"'%.*s': @{upstream} and @{push} need the branch "
					"configuration, which packwin does not read", (int)len, str);
			logspec = str + at + 2;
			loglen = len - 1 - (at + 2);
			namelen = at;
			break;
		}
	}
	if (namelen && ambiguous_path(name, namelen))
		goto not_found;
	if (logspec) {
		size_t i;

		for (i = 0; i < loglen && is_digit((unsigned char)logspec[i]); i++) {
			if (nth > 99999999)
				break;
			nth = nth * 10 + (unsigned long)(logspec[i] - '0');
		}
		if (loglen == 0 || i < loglen || nth >= 100000000)
			return pw__error_set(PW_EUNSUPPORTED,
				"'%.*s': reflog entries by date (@{<date>}) are not supported, "
				"only @{<n>}", (int)len, str);
	}

	/* '@' alone is HEAD; "@{-N}" is the N-th branch checked out before */
	if (namelen == 1 && name[0] == '@') {
		name = "HEAD";
		namelen = 4;
	} else if (is_nth_prior(&k, name, namelen)) {
		if ((error = nth_prior_checkout(&branch, r, k)) == PW_ENOTFOUND)
			goto not_found;
		if (error < 0)
			goto out;
		if (nth_prior && !logspec && strlen(branch) == hexsz && all_hex(branch, hexsz)) {
			if (pw_oid_fromhex(out, branch, r->repo->oid_type) < 0)
				error = pw__error_set(PW_ECORRUPT, "HEAD's reflog: bad id '%s'", branch);
			goto out; /* detached there */
		}
		name = branch;
		namelen = strlen(branch);
	}

	if (logspec && namelen == 0)
		error = dwim(out, &real, r, "HEAD", 4, 0, &notes); /* the branch HEAD is on */
	else if (logspec)
		error = dwim(out, &real, r, name, namelen, 1, &notes);
	else
		error = dwim(out, NULL, r, name, namelen, 0, &notes);
	if (error == 0 && logspec) {
		const char *shown = namelen ? name : real;

		if (!namelen && !strncmp(real, "refs/heads/", 11))
			shown = real + 11;
		error = reflog_nth(out, r, real, shown, strlen(shown), nth);
		goto out;
	}
	if (error != PW_ENOTFOUND)
		goto out;
	if (logspec) {
		error = pw__error_set(PW_ENOTFOUND, "'%.*s': no reflog for '%.*s'", (int)len, str,
			(int)(namelen ? namelen : 4), namelen ? name : "HEAD");
		goto out;
	}

not_found:
	if ((error = describe_name(out, r, str, len)) != PW_ENOTFOUND)
		goto out;
	if (len >= MIN_ABBREV && len < hexsz && all_hex(str, len)) {
		error = short_id(out, r, str, len, hint);
		if (error != PW_ENOTFOUND)
			goto out;
	}
	if (notes.broken[0])
		error = pw__error_set(PW_ECORRUPT, "%s", notes.broken);
	else if (notes.dangling[0])
		error = pw__error_set(PW_ENOTFOUND, "unknown revision '%.*s' (%s)", (int)len, str,
			notes.dangling);
	else
		error = pw__error_set(PW_ENOTFOUND,
			"unknown revision '%.*s': no such ref, and no object id starts with it",
			(int)len, str);
out:
	pw__free(branch);
	pw__free(real);
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
		{ "/", PEEL_SEARCH },
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

/* Read commit `id` (tags peeled first when `peel_tags`, as lookup_commit_reference does). */
static int read_commit(pw_object **obj, pw__commit *c, resolver *r, pw_oid *id, int peel_tags,
	const char *what, size_t whatlen)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_object_t type;
	int error;

	*obj = NULL;
	memset(c, 0, sizeof(*c));
	if (peel_tags && (error = pw__peel_tags(id, &type, r->repo, id)) < 0)
		return error;
	if ((error = pw_repo_read(obj, r->repo, id)) < 0)
		return error;
	if (pw_object_type(*obj) != PW_OBJ_COMMIT) {
		error = pw__error_set(PW_ENOTFOUND, "'%.*s': %s is a %s, not a commit",
			(int)whatlen, what, pw_oid_tostr(hex, id, r->repo->oid_type),
			type_name(pw_object_type(*obj)));
		pw_object_free(*obj);
		*obj = NULL;
		return error;
	}
	if ((error = pw__commit_parse(c, pw_object_data(*obj), pw_object_size(*obj),
		     r->repo->oid_type)) < 0) {
		pw__commit_dispose(c);
		pw_object_free(*obj);
		*obj = NULL;
	}
	return error;
}

/*
 * `REV^N` (kind '^': the N-th parent, ^0 the commit itself) and `REV~N`
 * (kind '~': N generations of first parents), git's get_parent and
 * get_nth_ancestor. `*id` is REV on entry.
 */
static int ancestry(pw_oid *id, resolver *r, char kind, unsigned long num, const char *what,
	size_t whatlen)
{
	pw_object *obj = NULL;
	pw__commit c;
	unsigned long gen;
	int error;

	if ((error = read_commit(&obj, &c, r, id, 1, what, whatlen)) < 0)
		return error;
	if (kind == '^') {
		if (num > c.parents.n)
			error = pw__error_set(PW_ENOTFOUND, "'%.*s': the commit has %zu parent%s",
				(int)whatlen, what, c.parents.n, c.parents.n == 1 ? "" : "s");
		else if (num > 0)
			*id = c.parents.v[num - 1];
		goto out;
	}
	for (gen = 0; gen < num; gen++) {
		if (c.parents.n == 0) {
			error = pw__error_set(PW_ENOTFOUND,
				"'%.*s': only %lu generation%s of first parents", (int)whatlen, what,
				gen, gen == 1 ? "" : "s");
			goto out;
		}
		*id = c.parents.v[0];
		pw__commit_dispose(&c);
		pw_object_free(obj);
		if ((error = read_commit(&obj, &c, r, id, 0, what, whatlen)) < 0)
			return error;
	}
out:
	pw__commit_dispose(&c);
	pw_object_free(obj);
	return error;
}

/* ------------------------------------------------- commit message search */

/* A commit waiting in the date-ordered queue (git's commit_list by date). */
typedef struct queued {
	pw_oid id;
	int64_t date;
	size_t seq;               /* insertion order: ties go to the earlier */
} queued;

typedef struct search {
	resolver *r;
	PW_ARRAY(queued) heap;    /* newest first, then lowest seq */
	size_t seq;
	pw_oid *seen;             /* open addressing: ids marked, as git's ONELINE_SEEN */
	size_t seen_cap, seen_n;
} search;

static int q_before(const queued *a, const queued *b)
{
	return a->date != b->date ? a->date > b->date : a->seq < b->seq;
}

static int q_push(search *s, const pw_oid *id, int64_t date)
{
	queued *slot, tmp;
	size_t i;

	if ((slot = PW_ARRAY_ALLOC(&s->heap, 64)) == NULL)
		return pw__error_nomem();
	slot->id = *id;
	slot->date = date;
	slot->seq = s->seq++;
	for (i = s->heap.n - 1; i > 0 && q_before(&s->heap.v[i], &s->heap.v[(i - 1) / 2]);
	     i = (i - 1) / 2) {
		tmp = s->heap.v[i];
		s->heap.v[i] = s->heap.v[(i - 1) / 2];
		s->heap.v[(i - 1) / 2] = tmp;
	}
	return 0;
}

static queued q_pop(search *s)
{
	queued top = s->heap.v[0], tmp;
	size_t i = 0;

	s->heap.v[0] = s->heap.v[--s->heap.n];
	for (;;) {
		size_t l = 2 * i + 1, best = i;
		if (l < s->heap.n && q_before(&s->heap.v[l], &s->heap.v[best]))
			best = l;
		if (l + 1 < s->heap.n && q_before(&s->heap.v[l + 1], &s->heap.v[best]))
			best = l + 1;
		if (best == i)
			break;
		tmp = s->heap.v[i];
		s->heap.v[i] = s->heap.v[best];
		s->heap.v[best] = tmp;
		i = best;
	}
	return top;
}

static size_t id_hash(const pw_oid *id, size_t cap)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h & (cap - 1);
}

/* Mark `id` seen: 1 if it was not yet, 0 if it was. */
static int mark_seen(search *s, const pw_oid *id)
{
	static const pw_oid zero;
	size_t i;

	if (2 * (s->seen_n + 1) > s->seen_cap) {
		size_t cap = s->seen_cap ? 2 * s->seen_cap : 1024, j;
		pw_oid *v = pw__calloc(cap, sizeof(*v));

		if (!v)
			return pw__error_nomem();
		for (j = 0; j < s->seen_cap; j++) {
			if (!memcmp(&s->seen[j], &zero, sizeof(zero)))
				continue;
			for (i = id_hash(&s->seen[j], cap); memcmp(&v[i], &zero, sizeof(zero));
			     i = (i + 1) & (cap - 1))
				;
			v[i] = s->seen[j];
		}
		pw__free(s->seen);
		s->seen = v;
		s->seen_cap = cap;
	}
	for (i = id_hash(id, s->seen_cap); memcmp(&s->seen[i], &zero, sizeof(zero));
	     i = (i + 1) & (s->seen_cap - 1))
		if (!pw_oid_cmp(&s->seen[i], id))
			return 0;
	s->seen[i] = *id; /* the null id is never a commit worth marking */
	s->seen_n++;
	return 1;
}

/* Queue a starting commit, marked. A missing or non-commit object is skipped. */
static int search_start(search *s, const pw_oid *id)
{
	pw_object *obj = NULL;
	pw_oid cur = *id;
	pw__commit c;
	int error;

	error = read_commit(&obj, &c, s->r, &cur, 0, "", 0);
	if (error == PW_ENOTFOUND || error == PW_ECORRUPT) {
		pw_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	/* every start is queued, twice if named twice; all are marked */
	if ((error = mark_seen(s, id)) >= 0)
		error = q_push(s, id, c.committer_time);
	pw__commit_dispose(&c);
	pw_object_free(obj);
	return error < 0 ? error : 0;
}

/*
 * git's get_oid_oneline: the youngest commit reachable from the queued
 * ones whose message matches `pattern` (POSIX extended; "!-" negates, a
 * leading "!!" is a literal '!'), visiting by committer date as git's
 * pop_most_recent_commit does.
 */
static int search_run(pw_oid *out, search *s, const char *pattern, size_t plen, const char *what,
	size_t whatlen)
{
	char *pat = NULL, *msg = NULL;
	size_t msgcap = 0;
	int negative = 0, error = 0, compiled = 0;
	regex_t re;

	if (plen && pattern[0] == '!') {
		pattern++;
		plen--;
		if (plen && pattern[0] == '-') {
			pattern++;
			plen--;
			negative = 1;
		} else if (!plen || pattern[0] != '!') {
			return pw__error_set(PW_EINVALID,
				"'%.*s': after '/!' comes '-' (negation) or '!' (a literal '!')",
				(int)whatlen, what);
		}
	}
	if ((pat = pw__malloc(plen + 1)) == NULL)
		return pw__error_nomem();
	memcpy(pat, pattern, plen);
	pat[plen] = '\0';
	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0) {
		error = pw__error_set(PW_EINVALID, "'%.*s': invalid regular expression '%s'",
			(int)whatlen, what, pat);
		goto out;
	}
	compiled = 1;
	while (s->heap.n) {
		queued q = q_pop(s);
		pw_object *obj = NULL;
		pw__commit c;
		size_t i;
		int matches;

		error = read_commit(&obj, &c, s->r, &q.id, 0, what, whatlen);
		if (error == PW_ENOTFOUND || error == PW_ECORRUPT) {
			pw_error_clear();
			error = 0;
			continue; /* git: a commit it cannot parse is passed over */
		}
		if (error < 0)
			goto out;
		for (i = 0; i < c.parents.n && !error; i++) {
			pw_object *pobj = NULL;
			pw__commit pc;
			int rc;

			rc = read_commit(&pobj, &pc, s->r, &c.parents.v[i], 0, what, whatlen);
			if (rc == 0 && (rc = mark_seen(s, &c.parents.v[i])) == 1)
				rc = q_push(s, &c.parents.v[i], pc.committer_time);
			if (rc == PW_ENOTFOUND || rc == PW_ECORRUPT) {
				pw_error_clear();
				rc = 0;
			}
			if (rc < 0)
				error = rc;
			if (pobj) {
				pw__commit_dispose(&pc);
				pw_object_free(pobj);
			}
		}
		if (!error && c.message_len + 1 > msgcap) {
			pw__free(msg);
			msgcap = c.message_len + 1;
			if ((msg = pw__malloc(msgcap)) == NULL) {
				msgcap = 0;
				error = pw__error_nomem();
			}
		}
		if (!error) {
			memcpy(msg, c.message, c.message_len);
			msg[c.message_len] = '\0';
		}
		pw__commit_dispose(&c);
		pw_object_free(obj);
		if (error)
			goto out;
		matches = negative ^ (regexec(&re, msg, 0, NULL, 0) == 0);
		if (matches) {
			*out = q.id;
			goto out;
		}
	}
	error = pw__error_set(PW_ENOTFOUND, "'%.*s': no commit message matches", (int)whatlen, what);
out:
	if (compiled)
		regfree(&re);
	pw__free(pat);
	pw__free(msg);
	return error;
}

static void search_dispose(search *s)
{
	PW_ARRAY_FREE(&s->heap);
	pw__free(s->seen);
}

/* Collects the starting points of `:/regex`: every ref (then HEAD), peeled to commits. */
typedef struct start_list {
	PW_ARRAY(pw_oid) ids;
	pw_repo *repo;
} start_list;

static int start_ref(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	start_list *l = payload;
	pw_oid *slot;

	(void)name;
	if ((slot = PW_ARRAY_ALLOC(&l->ids, 64)) == NULL)
		return pw__error_nomem();
	*slot = peeled ? *peeled : *id;
	return 0;
}

/* `:/regex`: from every ref and HEAD, as git's handle_one_ref list sorted by date. */
static int search_all(pw_oid *out, resolver *r, const char *pattern, size_t plen,
	const char *what, size_t whatlen)
{
	start_list l = { PW_ARRAY_INIT, r->repo };
	search s;
	pw_ref_result res;
	size_t i;
	int error;

	memset(&s, 0, sizeof(s));
	s.r = r;
	if ((error = pw_repo_foreach_ref(r->repo, start_ref, &l)) < 0)
		goto out;
	error = pw__refdb_resolve(&res, &r->db, "HEAD");
	if (error == 0)
		error = start_ref("HEAD", &res.id, NULL, &l);
	else if (error == PW_ENOTFOUND || error == PW_ECORRUPT)
		error = 0;
	if (error < 0)
		goto out;
	/*
	 * git prepends each ref to its list (HEAD ends up first) and sorts it
	 * by date, stably: the queue's insertion order is that reversed order.
	 */
	for (i = l.ids.n; i-- > 0 && !error;) {
		pw_object_t type;
		pw_oid id = l.ids.v[i];

		error = pw__peel_tags(&id, &type, r->repo, &id);
		if (error == PW_ENOTFOUND || error == PW_ECORRUPT) {
			pw_error_clear();
			error = 0;
			continue;
		}
		if (error == 0 && type == PW_OBJ_COMMIT)
			error = search_start(&s, &id);
	}
	if (error == 0)
		error = search_run(out, &s, pattern, plen, what, whatlen);
out:
	search_dispose(&s);
	PW_ARRAY_FREE(&l.ids);
	return error;
}

/* Some name suffixes in a row, at most (each is a level of recursion). */
#define MAX_SUFFIXES 256

/*
 * git's get_oid_1: an ancestry suffix (`~N`, `^N`) on the right is taken
 * first, then a `^{…}` suffix, each applied to what the name before it
 * resolves to; what is left is a base name.
 */
static int resolve_rev(pw_oid *out, resolver *r, const char *str, size_t len, enum hint hint,
	unsigned level)
{
	size_t cp = len, sp;
	enum peel kind;
	int error;

	if (level > MAX_SUFFIXES)
		return pw__error_set(PW_ELIMIT, "'%.*s': more than %d suffixes", (int)len, str,
			MAX_SUFFIXES);
	while (cp > 0 && is_digit((unsigned char)str[cp - 1]))
		cp--;
	if (cp > 0 && (str[cp - 1] == '~' || str[cp - 1] == '^')) {
		char k = str[cp - 1];
		unsigned long num = 0;
		size_t i;

		for (i = cp; i < len; i++) {
			if (num > (INT_MAX - 9) / 10 + 1)
				return pw__error_set(PW_ENOTFOUND, "'%.*s': %c%.*s is too large",
					(int)len, str, k, (int)(len - cp), str + cp);
			num = num * 10 + (unsigned long)(str[i] - '0');
		}
		if (num > INT_MAX)
			return pw__error_set(PW_ENOTFOUND, "'%.*s': %c%.*s is too large", (int)len,
				str, k, (int)(len - cp), str + cp);
		if (cp == len)
			num = 1; /* "REV^" is "REV^1", "REV~" is "REV~1" */
		if (cp - 1 == 0)
			return pw__error_set(PW_EINVALID, "'%.*s': no revision before '%c'",
				(int)len, str, k);
		if ((error = resolve_rev(out, r, str, cp - 1, HINT_COMMITTISH, level + 1)) < 0)
			return error;
		return ancestry(out, r, k, num, str, len);
	}

	if (len >= 4 && str[len - 1] == '}') {
		/* the rightmost "^{" (git's peel_onion) */
		for (sp = len - 1; sp > 0 && !(str[sp] == '{' && str[sp - 1] == '^'); sp--)
			;
		if (sp > 0) {
			if (peel_kind(&kind, str + sp + 1, len - sp - 1) < 0)
				return pw__error_set(PW_EINVALID, "'%.*s': unknown type in '^{%.*s'",
					(int)len, str, (int)(len - sp - 1), str + sp + 1);
			if (sp - 1 == 0)
				return pw__error_set(PW_EINVALID, "'%.*s': no revision before '^{'",
					(int)len, str);
			/* each peel asks its inner name for what it wants (git's lookup_flags) */
			hint = kind == PEEL_COMMIT || kind == PEEL_SEARCH ? HINT_COMMITTISH :
			       kind == PEEL_TREE ? HINT_TREEISH : HINT_NONE;
			if ((error = resolve_rev(out, r, str, sp - 1, hint, level + 1)) < 0)
				return error;
			if (kind != PEEL_SEARCH)
				return peel(out, r, kind, str, len);
			if ((error = peel(out, r, PEEL_COMMIT, str, len)) < 0)
				return error;
			if (str[sp + 2] == '}')
				return 0; /* "^{/}": the empty pattern matches the commit itself */
			{
				search s;

				memset(&s, 0, sizeof(s));
				s.r = r;
				error = search_start(&s, out);
				if (error == 0)
					error = search_run(out, &s, str + sp + 2, len - sp - 3, str, len);
				search_dispose(&s);
				return error;
			}
		}
	}
	if (len == 0)
		return pw__error_set(PW_EINVALID, "empty revision");
	return resolve_base(out, r, str, len, hint);
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

/* --------------------------------------------------- paths relative to cwd */

/*
 * The top of the repository's work tree, absolute (pw__free): GIT_WORK_TREE,
 * a linked work tree's (its gitdir's `gitdir` file names `<top>/.git`), or
 * the folder holding a `.git` directory. PW_ENOTFOUND when there is none
 * (a bare repository). core.worktree is not read.
 */
static int work_tree(char **out, pw_repo *repo)
{
	const char *env = getenv("GIT_WORK_TREE");
	char buf[PATH_MAX], *file = NULL, *content = NULL, *slash;
	size_t n, len = 0;
	int error = 0;

	*out = NULL;
	if (env && env[0]) {
		if (!realpath(env, buf))
			return pw__error_os("GIT_WORK_TREE=%s", env);
		goto found;
	}
	if (strcmp(repo->gitdir, repo->commondir)) {
		n = strlen(repo->gitdir) + sizeof("/gitdir");
		if ((file = pw__malloc(n)) == NULL)
			return pw__error_nomem();
		snprintf(file, n, "%s/gitdir", repo->gitdir);
		error = pw__read_small_file(&content, &len, file, PATH_MAX);
		pw__free(file);
		if (error < 0)
			return error == PW_ENOMEM ? error : PW_ENOTFOUND;
		while (len && (content[len - 1] == '\n' || content[len - 1] == '\r'))
			content[--len] = '\0';
		if ((slash = strrchr(content, '/')) != NULL)
			*slash = '\0';
		if (!slash || !realpath(content[0] ? content : "/", buf)) {
			pw__free(content);
			return PW_ENOTFOUND;
		}
		pw__free(content);
		goto found;
	}
	n = strlen(repo->gitdir);
	if (n < 5 || strcmp(repo->gitdir + n - 5, "/.git"))
		return PW_ENOTFOUND;
	snprintf(buf, sizeof(buf), "%.*s", (int)(n - 5), repo->gitdir);
	if (!buf[0])
		snprintf(buf, sizeof(buf), "/");
found:
	if ((*out = pw__strdup(buf)) == NULL)
		return pw__error_nomem();
	return 0;
}

/*
 * git's normalize_path_copy on `s` in place: "." components dropped, ".."
 * taking the one before it away, runs of '/' made one. -1 when ".." would
 * climb above the start.
 */
static int normalize_path(char *s)
{
	char *src = s, *dst = s;

	for (;;) {
		if (src[0] == '.') {
			if (src[1] == '\0') {
				src++;
			} else if (src[1] == '/') {
				for (src += 2; *src == '/'; src++)
					;
				continue;
			} else if (src[1] == '.' && (src[2] == '\0' || src[2] == '/')) {
				for (src += src[2] ? 3 : 2; *src == '/'; src++)
					;
				/* up one: dst[-1] is the '/' ending the last component */
				if (dst == s)
					return -1;
				dst--;
				while (dst > s && dst[-1] != '/')
					dst--;
				continue;
			}
		}
		while (*src && *src != '/')
			*dst++ = *src++;
		if (*src == '/') {
			*dst++ = '/';
			while (*src == '/')
				src++;
			continue;
		}
		break;
	}
	*dst = '\0';
	return 0;
}

/*
 * `path` of `REV:path` when it starts with "./" or "../" (git's
 * resolve_relative_path): relative to the current folder, which must be in
 * the work tree. *out is NULL for any other path.
 */
static int relative_path(char **out, resolver *r, const char *path)
{
	char cwd[PATH_MAX], *top = NULL, *joined = NULL;
	const char *prefix;
	size_t tl, n;
	int error;

	*out = NULL;
	if (strncmp(path, "./", 2) && strncmp(path, "../", 3))
		return 0;
	if ((error = work_tree(&top, r->repo)) == PW_ENOTFOUND || (error == 0 && !realpath(".", cwd)))
		error = PW_ENOTFOUND;
	tl = top ? strlen(top) : 0;
	if (error == 0 && !(strncmp(cwd, top, tl) == 0 &&
			    (cwd[tl] == '\0' || cwd[tl] == '/' || (tl == 1 && top[0] == '/'))))
		error = PW_ENOTFOUND;
	if (error == PW_ENOTFOUND) {
		error = pw__error_set(PW_EINVALID,
			"'%s': relative path syntax can't be used outside working tree", path);
		goto out;
	}
	if (error < 0)
		goto out;
	prefix = cwd + tl + (tl > 1 && cwd[tl] == '/') + (tl == 1 && top[0] == '/');
	n = strlen(prefix) + 1 + strlen(path) + 1;
	if ((joined = pw__malloc(n)) == NULL) {
		error = pw__error_nomem();
		goto out;
	}
	snprintf(joined, n, "%s%s%s", prefix, prefix[0] ? "/" : "", path);
	if (normalize_path(joined) < 0) {
		error = pw__error_set(PW_EINVALID, "'%s' is outside repository at '%s'", path, top);
		goto out;
	}
	*out = joined;
	joined = NULL;
out:
	pw__free(joined);
	pw__free(top);
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
	memset(&r, 0, sizeof(r));
	r.repo = repo;
	pw__refdb_init(&r.db, repo);
	if (len > 2 && name[0] == ':' && name[1] == '/') {
		/* ":/regex": the youngest commit reachable from any ref whose message matches */
		error = search_all(&id, &r, name + 2, len - 2, name, len);
	} else if (name[0] == ':') {
		error = pw__error_set(PW_EUNSUPPORTED,
			"'%s': ':path' and ':N:path' name entries of the index, which packwin "
			"does not read", name);
	} else if (i < len) {
		char *rel = NULL;

		error = resolve_rev(&id, &r, name, i, HINT_TREEISH, 0);
		if (error == 0)
			error = peel(&id, &r, PEEL_TREE, name, i);
		if (error == 0)
			error = relative_path(&rel, &r, name + i + 1);
		if (error == 0)
			error = tree_path(&id, &r, rel ? rel : name + i + 1, name, i);
		pw__free(rel);
	} else {
		error = resolve_rev(&id, &r, name, len, HINT_NONE, 0);
	}
	pw__refdb_dispose(&r.db);
	if (error == 0)
		*out = id;
	return error;
}
