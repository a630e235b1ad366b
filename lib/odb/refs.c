/* refs.c: refs as git's files backend stores them: loose ref files, packed-refs, HEAD, symbolic refs. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "odb/refs.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/* A loose ref file is one line; anything longer than this is not one. */
#define REF_FILE_MAX 4096
/* packed-refs of 7,010 refs is 500 KB; this allows some 3 million refs. */
#define PACKED_REFS_MAX ((size_t)256 << 20)
/* Deepest folder nesting under refs/ that foreach descends into. */
#define REFS_DIR_MAX_DEPTH 64

/* git's isspace(): no \v, no \f. */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_null_oid(const pw_oid *id)
{
	static const pw_oid zero;
	return !memcmp(id, &zero, sizeof(zero));
}

/* "a" + "/" + "b", allocated. */
static char *join_path(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n;
	char *p;

	if (PW_ADD_OVERFLOW(la, lb, &n) || PW_ADD_OVERFLOW(n, (size_t)2, &n))
		return NULL;
	if ((p = pw_malloc(n)) == NULL)
		return NULL;
	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

/* ------------------------------------------------------------ ref names */

/* One component of a ref name: its length, or -1 if invalid (git's check_refname_component). */
static long refname_component(const char *s)
{
	const char *cp;
	char last = '\0';

	for (cp = s; *cp && *cp != '/'; cp++) {
		unsigned char ch = (unsigned char)*cp;

		if (ch < 0x20 || ch == 0x7f || ch == ' ' || ch == '~' || ch == '^' || ch == ':' ||
		    ch == '?' || ch == '*' || ch == '[' || ch == '\\')
			return -1;
		if (ch == '.' && last == '.')
			return -1; /* ".." */
		if (ch == '{' && last == '@')
			return -1; /* "@{" */
		last = (char)ch;
	}
	if (cp == s || s[0] == '.')
		return -1; /* empty, or starts with '.' */
	if (cp - s >= 5 && !memcmp(cp - 5, ".lock", 5))
		return -1;
	return cp - s;
}

int pw_refname_is_valid(const char *name, int allow_onelevel)
{
	const char *p = name;
	long len;
	int components = 0;

	if (!strcmp(name, "@"))
		return 0;
	for (;;) {
		if ((len = refname_component(p)) <= 0)
			return 0;
		components++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (p[len - 1] == '.')
		return 0;
	return allow_onelevel || components >= 2;
}

/*
 * Refs that belong to one work tree, read from the gitdir rather than the
 * common directory (git's ref_type(): pseudorefs such as HEAD or ORIG_HEAD,
 * and refs/worktree/, refs/bisect/, refs/rewritten/).
 */
static int is_per_worktree(const char *name)
{
	const char *c;

	if (!strncmp(name, "refs/worktree/", 14) || !strncmp(name, "refs/bisect/", 12) ||
	    !strncmp(name, "refs/rewritten/", 15))
		return 1;
	for (c = name; *c; c++)
		if (!(*c >= 'A' && *c <= 'Z') && *c != '-' && *c != '_')
			return 0;
	return 1;
}

static const char *ref_dir(const pw_repo *repo, const char *name)
{
	return is_per_worktree(name) ? repo->gitdir : repo->commondir;
}

/* ------------------------------------------------------------ loose refs */

enum loose_kind { LOOSE_ABSENT, LOOSE_OID, LOOSE_SYMREF };

/* Parse a loose ref file's contents as git does (parse_loose_ref_contents, after rtrim). */
static int parse_loose(enum loose_kind *kind, pw_oid *id, char **target, const pw_repo *repo,
	const char *path, const char *buf, size_t len)
{
	size_t hexsz = repo->hexsz;
	const char *p;
	size_t tlen;
	char *t;

	while (len && is_space((unsigned char)buf[len - 1]))
		len--;
	if (len == 0)
		return pw_error_set(PW_ECORRUPT, "%s: ref file is empty", path);
	if (len >= 4 && !memcmp(buf, "ref:", 4)) {
		for (p = buf + 4; p < buf + len && is_space((unsigned char)*p); p++)
			;
		tlen = (size_t)(buf + len - p);
		if (tlen == 0)
			return pw_error_set(PW_ECORRUPT, "%s: symbolic ref points nowhere ('ref:' and no name)", path);
		if (memchr(p, '\0', tlen))
			return pw_error_set(PW_ECORRUPT, "%s: symbolic ref target contains a NUL byte", path);
		if ((t = pw_malloc(tlen + 1)) == NULL)
			return pw_error_nomem();
		memcpy(t, p, tlen);
		t[tlen] = '\0';
		if (!pw_refname_is_valid(t, 1)) {
			pw_error_set(PW_ECORRUPT, "%s: symbolic ref to an invalid ref name '%.200s'", path, t);
			pw_free(t);
			return PW_ECORRUPT;
		}
		*target = t;
		*kind = LOOSE_SYMREF;
		return 0;
	}
	for (tlen = 0; tlen < hexsz && tlen < len && is_hex((unsigned char)buf[tlen]); tlen++)
		;
	/* git accepts anything after the id and a space: FETCH_HEAD has more on the line */
	if (tlen < hexsz || (len > hexsz && !is_space((unsigned char)buf[hexsz])))
		return pw_error_set(PW_ECORRUPT, "%s: not a %zu-digit object id nor a 'ref: <name>' line",
			path, hexsz);
	if (pw_oid_fromhex(id, buf, repo->oid_type) < 0)
		return pw_error_set(PW_ECORRUPT, "%s: bad object id", path);
	if (is_null_oid(id))
		return pw_error_set(PW_ECORRUPT, "%s: ref holds the null object id", path);
	*kind = LOOSE_OID;
	return 0;
}

/*
 * Read the loose ref `name`: LOOSE_ABSENT (no file, or a folder), its id,
 * or the name it points to (*target, pw_free it).
 */
static int read_loose(enum loose_kind *kind, pw_oid *id, char **target, const pw_repo *repo,
	const char *name)
{
	char *path = NULL, *buf = NULL, *link = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int error = 0;

	*kind = LOOSE_ABSENT;
	*target = NULL;
	if ((path = join_path(ref_dir(repo, name), name)) == NULL) {
		error = pw_error_nomem();
		goto out;
	}
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			error = pw_error_os("%s: cannot stat ref file", path);
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		/* git's old symbolic-link HEAD: a link to "refs/..." is a symbolic ref */
		if ((link = pw_malloc(REF_FILE_MAX + 1)) == NULL) {
			error = pw_error_nomem();
			goto out;
		}
		if ((n = readlink(path, link, REF_FILE_MAX)) < 0) {
			if (errno != ENOENT)
				error = pw_error_os("%s: cannot read symbolic link", path);
			goto out;
		}
		link[n] = '\0';
		if (!strncmp(link, "refs/", 5) && pw_refname_is_valid(link, 0)) {
			*target = link;
			link = NULL;
			*kind = LOOSE_SYMREF;
			goto out;
		}
		if (stat(path, &st) < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				error = pw_error_os("%s: cannot stat ref file", path);
			goto out;
		}
	}
	if (S_ISDIR(st.st_mode))
		goto out; /* a folder of refs; the ref may still be packed */
	if (!S_ISREG(st.st_mode)) {
		error = pw_error_set(PW_ECORRUPT, "%s: ref is not a regular file", path);
		goto out;
	}
	if (st.st_size > REF_FILE_MAX) {
		error = pw_error_set(PW_ECORRUPT, "%s: ref file of %lld bytes is too large to be a ref",
			path, (long long)st.st_size);
		goto out;
	}
	if ((error = pw_read_small_file(&buf, &len, path, REF_FILE_MAX)) < 0) {
		if (error == PW_ENOTFOUND)
			error = 0; /* removed since lstat: absent */
		goto out;
	}
	error = parse_loose(kind, id, target, repo, path, buf, len);
out:
	pw_free(link);
	pw_free(buf);
	pw_free(path);
	return error;
}

/* ------------------------------------------------------------ packed-refs */

void pw_refdb_init(pw_refdb *db, pw_repo *repo)
{
	memset(db, 0, sizeof(*db));
	db->repo = repo;
}

void pw_refdb_dispose(pw_refdb *db)
{
	if (!db)
		return;
	pw_free(db->packed);
	pw_free(db->packed_buf);
	db->packed = NULL;
	db->packed_buf = NULL;
	db->npacked = 0;
	db->packed_loaded = 0;
}

static int packed_cmp(const void *a, const void *b)
{
	const pw_packed_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int has_trait(const char *traits, size_t len, const char *want)
{
	size_t wl = strlen(want), i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && traits[j] != ' ')
			j++;
		if (j - i == wl && !memcmp(traits + i, want, wl))
			return 1;
		i = j + 1;
	}
	return 0;
}

/* Parse db->packed_buf (len bytes, which it modifies) as git's packed-backend.c does. */
static int parse_packed(pw_refdb *db, const char *path, size_t len)
{
	char *buf = db->packed_buf, *p = buf, *end = buf + len, *eol;
	size_t hexsz = db->repo->hexsz, line = 1, count = 0, i;
	pw_oid_t type = db->repo->oid_type;
	pw_packed_ref *last = NULL, *e;
	int sorted = 1;

	if (p < end && *p == '#') {
		static const char header[] = "# pack-refs with:";
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return pw_error_set(PW_ECORRUPT, "%s: line 1: not terminated by a newline", path);
		if ((size_t)(eol - p) < sizeof(header) - 1 || memcmp(p, header, sizeof(header) - 1))
			return pw_error_set(PW_ECORRUPT,
				"%s: line 1: a comment line that is not a '%s' header", path, header);
		p += sizeof(header) - 1;
		if (has_trait(p, (size_t)(eol - p), "fully-peeled"))
			db->peeled_trait = PW_PEELED_FULLY;
		else if (has_trait(p, (size_t)(eol - p), "peeled"))
			db->peeled_trait = PW_PEELED_TAGS;
		p = eol + 1;
		line++;
	}
	for (eol = p; eol < end; eol++)
		count += *eol == '\n';
	if (count && (db->packed = pw_calloc(count, sizeof(*db->packed))) == NULL)
		return pw_error_nomem();

	for (; p < end; p = eol + 1, line++) {
		size_t llen;

		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return pw_error_set(PW_ECORRUPT,
				"%s: line %zu: not terminated by a newline (file truncated?)", path, line);
		llen = (size_t)(eol - p);
		if (llen && p[llen - 1] == '\r')
			return pw_error_set(PW_ECORRUPT,
				"%s: line %zu: ends with a carriage return (CRLF line endings)", path, line);
		if (*p == '^') {
			if (!last)
				return pw_error_set(PW_ECORRUPT,
					"%s: line %zu: a peeled '^' line that does not follow a ref line",
					path, line);
			if (llen != hexsz + 1 || pw_oid_fromhex(&last->peeled, p + 1, type) < 0)
				return pw_error_set(PW_ECORRUPT,
					"%s: line %zu: malformed peeled line (expected '^' and %zu hex digits)",
					path, line, hexsz);
			last->has_peeled = 1;
			last = NULL;
			continue;
		}
		if (llen < hexsz + 2 || (p[hexsz] != ' ' && p[hexsz] != '\t'))
			return pw_error_set(PW_ECORRUPT,
				"%s: line %zu: malformed line (expected '<%zu hex digits> <ref name>')",
				path, line, hexsz);
		for (i = 0; i < hexsz; i++)
			if (!is_hex((unsigned char)p[i]))
				return pw_error_set(PW_ECORRUPT,
					"%s: line %zu: malformed object id", path, line);
		e = &db->packed[db->npacked];
		if (pw_oid_fromhex(&e->id, p, type) < 0)
			return pw_error_set(PW_ECORRUPT, "%s: line %zu: malformed object id", path, line);
		if (is_null_oid(&e->id))
			return pw_error_set(PW_ECORRUPT, "%s: line %zu: null object id", path, line);
		*eol = '\0';
		e->name = p + hexsz + 1;
		e->line = line;
		/* a NUL inside the name makes it shorter than the line: never a valid ref */
		e->bad_name = strlen(e->name) != llen - hexsz - 1 || !pw_refname_is_valid(e->name, 1);
		if (db->npacked && packed_cmp(&db->packed[db->npacked - 1], e) > 0)
			sorted = 0;
		db->npacked++;
		last = e;
	}
	if (!sorted)
		qsort(db->packed, db->npacked, sizeof(*db->packed), packed_cmp);
	return 0;
}

int pw_refdb_load_packed(pw_refdb *db)
{
	char *path = NULL;
	size_t len = 0;
	int error;

	if (db->packed_loaded)
		return 0;
	if ((path = join_path(db->repo->commondir, "packed-refs")) == NULL)
		return pw_error_nomem();
	error = pw_read_small_file(&db->packed_buf, &len, path, PACKED_REFS_MAX);
	if (error == PW_ENOTFOUND) {
		error = 0; /* no packed refs */
		db->packed_buf = NULL;
	} else if (error == 0) {
		error = parse_packed(db, path, len);
	}
	if (error < 0) {
		pw_free(db->packed);
		pw_free(db->packed_buf);
		db->packed = NULL;
		db->packed_buf = NULL;
		db->npacked = 0;
		db->peeled_trait = PW_PEELED_NONE;
		goto out;
	}
	db->packed_loaded = 1;
out:
	pw_free(path);
	return error;
}

/* The first packed ref named `name` (binary search), or NULL. */
static const pw_packed_ref *packed_find(const pw_refdb *db, const char *name)
{
	size_t lo = 0, hi = db->npacked;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(db->packed[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < db->npacked && !strcmp(db->packed[lo].name, name) && !db->packed[lo].bad_name)
		return &db->packed[lo];
	return NULL;
}

/* ------------------------------------------------------------ resolving */

/* Append " -> name" to a chain description (truncated, never overflowing). */
static void chain_add(char *buf, size_t size, const char *name)
{
	size_t len = strlen(buf);

	if (len + 1 < size)
		snprintf(buf + len, size - len, "%s%.200s", len ? " -> " : "", name);
}

int pw_refdb_resolve(pw_ref_result *res, pw_refdb *db, const char *name)
{
	char *seen[PW_SYMREF_MAXDEPTH] = { NULL };
	char chain[1024] = "";
	const char *cur = name;
	enum loose_kind kind;
	char *target = NULL;
	unsigned int depth, i;
	int error = 0;

	memset(res, 0, sizeof(*res));
	for (depth = 0; depth < PW_SYMREF_MAXDEPTH; depth++) {
		const pw_packed_ref *pe;

		for (i = 0; i < depth; i++) {
			if (!strcmp(seen[i], cur)) {
				chain_add(chain, sizeof(chain), cur);
				error = pw_error_set(PW_ECORRUPT, "%s: symbolic ref loop: %s",
					db->repo->gitdir, chain);
				goto out;
			}
		}
		if ((seen[depth] = pw_strdup(cur)) == NULL) {
			error = pw_error_nomem();
			goto out;
		}
		cur = seen[depth];
		chain_add(chain, sizeof(chain), cur);
		res->depth = depth;
		if ((error = read_loose(&kind, &res->id, &target, db->repo, cur)) < 0)
			goto out;
		if (kind == LOOSE_OID)
			goto out;
		if (kind == LOOSE_SYMREF) {
			/* the target becomes the next name; seen[] owns it from the next round */
			if (depth + 1 < PW_SYMREF_MAXDEPTH) {
				cur = target;
				continue;
			}
			chain_add(chain, sizeof(chain), target);
			error = pw_error_set(PW_ECORRUPT,
				"%s: symbolic refs nested more than %d deep: %s",
				db->repo->gitdir, PW_SYMREF_MAXDEPTH - 1, chain);
			goto out;
		}
		if ((error = pw_refdb_load_packed(db)) < 0)
			goto out;
		if ((pe = packed_find(db, cur)) != NULL) {
			res->id = pe->id;
			res->packed = pe;
			goto out;
		}
		if (depth == 0)
			error = pw_error_set(PW_ENOTFOUND, "%s: no ref '%.200s'", db->repo->gitdir, cur);
		else
			error = pw_error_set(PW_ENOTFOUND,
				"%s: %.200s is a symbolic ref to %.200s, which does not exist",
				db->repo->gitdir, name, cur);
		goto out;
	}
out:
	/* `target` is either seen[depth + 1]'s future value (already freed below) or pending */
	for (i = 0; i < PW_SYMREF_MAXDEPTH; i++) {
		if (seen[i] == target)
			target = NULL;
		pw_free(seen[i]);
	}
	pw_free(target);
	return error;
}

/* -------------------------------------------------------------- objects */

int pw_object_first_oid(pw_oid *out, pw_repo *repo, const pw_oid *id,
	pw_object_t type, const char *field)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	size_t flen = strlen(field), hexsz = repo->hexsz, size;
	const unsigned char *data;
	pw_object *obj = NULL;
	int error;

	if ((error = pw_repo_read(&obj, repo, id)) < 0)
		goto out;
	if (pw_object_type(obj) != type) {
		error = pw_error_set(PW_ECORRUPT, "object %s: expected a %s, found a %s",
			pw_oid_tostr(hex, id, repo->oid_type), pw_object_type_name(type),
			pw_object_type_name(pw_object_type(obj)));
		goto out;
	}
	data = pw_object_data(obj);
	size = pw_object_size(obj);
	if (size < flen + 1 + hexsz + 1 || memcmp(data, field, flen) || data[flen] != ' ' ||
	    data[flen + 1 + hexsz] != '\n' ||
	    pw_oid_fromhex(out, (const char *)data + flen + 1, repo->oid_type) < 0) {
		error = pw_error_set(PW_ECORRUPT, "%s %s: does not start with an '%s <id>' line",
			pw_object_type_name(type), pw_oid_tostr(hex, id, repo->oid_type), field);
		goto out;
	}
out:
	pw_object_free(obj);
	return error;
}

int pw_peel_tags(pw_oid *out, pw_object_t *type_out, pw_repo *repo, const pw_oid *id)
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
		if ((error = pw_object_first_oid(&cur, repo, &cur, PW_OBJ_TAG, "object")) < 0)
			return error;
	}
	return pw_error_set(PW_ECORRUPT, "tag %s: a chain of more than %d tags",
		pw_oid_tostr(hex, id, repo->oid_type), PW_PEEL_MAX_DEPTH);
}

/* ---------------------------------------------------------------- API */

int pw_repo_ref(pw_oid *out, pw_repo *repo, const char *name)
{
	pw_ref_result res;
	pw_refdb db;
	int error;

	if (!out || !repo || !name)
		return pw_error_set(PW_EINVALID, "pw_repo_ref: NULL argument");
	if (!pw_refname_is_valid(name, 1))
		return pw_error_set(PW_EINVALID, "'%.200s' is not a valid ref name", name);
	pw_refdb_init(&db, repo);
	if ((error = pw_refdb_resolve(&res, &db, name)) == 0)
		*out = res.id;
	pw_refdb_dispose(&db);
	return error;
}

int pw_repo_head_target(char **target_out, pw_repo *repo)
{
	enum loose_kind kind;
	char *target = NULL;
	pw_oid id;
	int error;

	if (!target_out || !repo)
		return pw_error_set(PW_EINVALID, "pw_repo_head_target: NULL argument");
	*target_out = NULL;
	if ((error = read_loose(&kind, &id, &target, repo, "HEAD")) < 0)
		return error;
	if (kind == LOOSE_ABSENT)
		return pw_error_set(PW_ENOTFOUND, "%s/HEAD: no such file", repo->gitdir);
	*target_out = target; /* NULL when detached */
	return 0;
}

/* ------------------------------------------------------------- foreach */

typedef struct name_list {
	char **v;
	size_t n, cap;
} name_list;

static int list_add(name_list *l, char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v;
		if (cap < l->cap || (v = pw_realloc(l->v, cap * sizeof(*v))) == NULL)
			return pw_error_nomem();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

static void list_clear(name_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		pw_free(l->v[i]);
	pw_free(l->v);
	memset(l, 0, sizeof(*l));
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && !memcmp(s + ls - lx, suffix, lx);
}

/*
 * Every loose ref name under `base`/refs into `out`, keeping those whose
 * is_per_worktree() equals `per_worktree` when `filter`. Skips, as git
 * does, entries starting with '.' and ending in ".lock", and (silently)
 * names that are not valid ref names. Iterative, with an explicit stack.
 */
static int walk_loose(name_list *out, const char *base, int filter, int per_worktree)
{
	name_list stack = { 0 };
	char *rel = NULL, *dpath = NULL, *child = NULL, *cpath = NULL;
	DIR *dh = NULL;
	struct dirent *d;
	struct stat st;
	int error = 0;

	if ((rel = pw_strdup("refs")) == NULL || (error = list_add(&stack, rel)) < 0) {
		pw_free(rel);
		error = error ? error : pw_error_nomem();
		goto out;
	}
	rel = NULL;
	while (stack.n) {
		size_t depth = 0;
		const char *c;

		rel = stack.v[--stack.n];
		for (c = rel; *c; c++)
			depth += *c == '/';
		if ((dpath = join_path(base, rel)) == NULL) {
			error = pw_error_nomem();
			goto out;
		}
		if ((dh = opendir(dpath)) == NULL) {
			if (errno != ENOENT && errno != ENOTDIR) {
				error = pw_error_os("%s: cannot list refs", dpath);
				goto out;
			}
			goto next;
		}
		for (;;) {
			errno = 0;
			if ((d = readdir(dh)) == NULL) {
				if (errno) {
					error = pw_error_os("%s: cannot list refs", dpath);
					goto out;
				}
				break;
			}
			if (d->d_name[0] == '.' || ends_with(d->d_name, ".lock"))
				continue;
			if ((child = join_path(rel, d->d_name)) == NULL ||
			    (cpath = join_path(base, child)) == NULL) {
				error = pw_error_nomem();
				goto out;
			}
			if (lstat(cpath, &st) < 0) {
				if (errno != ENOENT) {
					error = pw_error_os("%s: cannot stat ref file", cpath);
					goto out;
				}
			} else if (S_ISDIR(st.st_mode)) {
				if (depth + 1 >= REFS_DIR_MAX_DEPTH) {
					error = pw_error_set(PW_ELIMIT,
						"%s: refs nested more than %d folders deep", cpath,
						REFS_DIR_MAX_DEPTH);
					goto out;
				}
				if ((error = list_add(&stack, child)) < 0)
					goto out;
				child = NULL;
			} else if (pw_refname_is_valid(child, 0) &&
				   (!filter || is_per_worktree(child) == per_worktree)) {
				if ((error = list_add(out, child)) < 0)
					goto out;
				child = NULL;
			}
			pw_free(cpath);
			pw_free(child);
			cpath = child = NULL;
		}
		closedir(dh);
		dh = NULL;
next:
		pw_free(dpath);
		pw_free(rel);
		dpath = rel = NULL;
	}
out:
	if (dh)
		closedir(dh);
	pw_free(cpath);
	pw_free(child);
	pw_free(dpath);
	pw_free(rel);
	list_clear(&stack);
	return error;
}

/* Does packed-refs promise that this packed ref, having no '^' line, is not a tag? */
static int known_not_tag(const pw_refdb *db, const pw_packed_ref *pe)
{
	if (db->peeled_trait == PW_PEELED_FULLY)
		return 1;
	return db->peeled_trait == PW_PEELED_TAGS && !strncmp(pe->name, "refs/tags/", 10);
}

/*
 * Report one ref: `*peeled` and whether it is reported at all. Like git's
 * ref iteration, a ref whose object is missing is skipped (git prints "does
 * not point to a valid object" and goes on): *skip = 1.
 */
static int ref_peeled(pw_oid *peeled, int *has_peeled, int *skip, pw_refdb *db,
	const pw_ref_result *res)
{
	pw_object_info info;
	pw_object_t type;
	int error;

	*has_peeled = 0;
	*skip = 0;
	if (res->packed && (res->packed->has_peeled || known_not_tag(db, res->packed))) {
		if ((error = pw_repo_exists(db->repo, &res->id)) == PW_ENOTFOUND) {
			*skip = 1;
			return 0;
		}
		if (error < 0)
			return error;
		if (res->packed->has_peeled) {
			*peeled = res->packed->peeled;
			*has_peeled = 1;
		}
		return 0;
	}
	if ((error = pw_repo_info(&info, db->repo, &res->id, 0)) == PW_ENOTFOUND) {
		*skip = 1;
		return 0;
	}
	if (error < 0)
		return error;
	if (info.type != PW_OBJ_TAG)
		return 0;
	/* git writes no ^{} line when a tag cannot be peeled (a missing target) */
	error = pw_peel_tags(peeled, &type, db->repo, &res->id);
	if (error == PW_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	*has_peeled = 1;
	return 0;
}

int pw_repo_foreach_ref(pw_repo *repo, pw_ref_cb cb, void *payload)
{
	name_list loose = { 0 };
	pw_refdb db;
	size_t i = 0, j = 0;
	int error;

	if (!repo || !cb)
		return pw_error_set(PW_EINVALID, "pw_repo_foreach_ref: NULL argument");
	pw_refdb_init(&db, repo);
	if ((error = pw_refdb_load_packed(&db)) < 0)
		goto out;
	if (strcmp(repo->gitdir, repo->commondir)) {
		/* a linked work tree: its own refs/bisect/ etc., the shared rest */
		if ((error = walk_loose(&loose, repo->commondir, 1, 0)) < 0 ||
		    (error = walk_loose(&loose, repo->gitdir, 1, 1)) < 0)
			goto out;
	} else if ((error = walk_loose(&loose, repo->commondir, 0, 0)) < 0) {
		goto out;
	}
	qsort(loose.v, loose.n, sizeof(*loose.v), str_ptr_cmp);

	/* merge the two sorted lists; a loose ref shadows its packed namesake */
	while (i < loose.n || j < db.npacked) {
		const pw_packed_ref *pe = j < db.npacked ? &db.packed[j] : NULL;
		pw_ref_result res;
		const char *name;
		pw_oid peeled;
		int has_peeled, skip, c;

		if (pe && (pe->bad_name || !strncmp(pe->name, "refs/", 5) == 0 ||
			   (j > 0 && !strcmp(db.packed[j - 1].name, pe->name)))) {
			j++; /* ignored, as git does; or a duplicate line: the first wins */
			continue;
		}
		c = i == loose.n ? 1 : !pe ? -1 : strcmp(loose.v[i], pe->name);
		if (c <= 0) {
			name = loose.v[i++];
			if (c == 0)
				j++;
			error = pw_refdb_resolve(&res, &db, name);
			if (error == PW_ENOTFOUND) {
				/* a dangling symbolic ref (or a ref deleted meanwhile): skipped */
				error = 0;
				continue;
			}
			if (error < 0)
				goto out;
		} else {
			name = pe->name;
			j++;
			memset(&res, 0, sizeof(res));
			res.id = pe->id;
			res.packed = pe;
		}
		if ((error = ref_peeled(&peeled, &has_peeled, &skip, &db, &res)) < 0)
			goto out;
		if (skip)
			continue;
		if ((error = cb(name, &res.id, has_peeled ? &peeled : NULL, payload)) != 0)
			goto out;
	}
out:
	list_clear(&loose);
	pw_refdb_dispose(&db);
	return error;
}
