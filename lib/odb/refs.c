/* refs.c: loose refs, HEAD and symbolic refs as git keeps them, and iterating over all refs. */
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
	if ((p = pw__malloc(n)) == NULL)
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

int pw__refname_is_valid(const char *name, int allow_onelevel)
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

const char *pw__ref_dir(const pw_repo *repo, const char *name)
{
	return is_per_worktree(name) ? repo->gitdir : repo->commondir;
}

/* ------------------------------------------------------------ loose refs */


/* Parse a loose ref file's contents as git does (parse_loose_ref_contents, after rtrim). */
static int parse_loose(pw__ref_kind *kind, pw_oid *id, char **target, const pw_repo *repo,
	const char *path, const char *buf, size_t len)
{
	size_t hexsz = repo->hexsz;
	const char *p;
	size_t tlen;
	char *t;

	while (len && is_space((unsigned char)buf[len - 1]))
		len--;
	if (len == 0)
		return pw__error_set(PW_ECORRUPT, "%s: ref file is empty", path);
	if (len >= 4 && !memcmp(buf, "ref:", 4)) {
		for (p = buf + 4; p < buf + len && is_space((unsigned char)*p); p++)
			;
		tlen = (size_t)(buf + len - p);
		if (tlen == 0)
			return pw__error_set(PW_ECORRUPT,
				"%s: symbolic ref points nowhere ('ref:' and no name)", path);
		if (memchr(p, '\0', tlen))
			return pw__error_set(PW_ECORRUPT,
				"%s: symbolic ref target contains a NUL byte", path);
		if ((t = pw__malloc(tlen + 1)) == NULL)
			return pw__error_nomem();
		memcpy(t, p, tlen);
		t[tlen] = '\0';
		if (!pw__refname_is_valid(t, 1)) {
			pw__error_set(PW_ECORRUPT,
				"%s: symbolic ref to an invalid ref name '%.200s'", path, t);
			pw__free(t);
			return PW_ECORRUPT;
		}
		*target = t;
		*kind = PW__REF_SYMREF;
		return 0;
	}
	for (tlen = 0; tlen < hexsz && tlen < len && is_hex((unsigned char)buf[tlen]); tlen++)
		;
	/* git accepts anything after the id and a space: FETCH_HEAD has more on the line */
	if (tlen < hexsz || (len > hexsz && !is_space((unsigned char)buf[hexsz])))
		return pw__error_set(PW_ECORRUPT,
			"%s: not a %zu-digit object id nor a 'ref: <name>' line", path, hexsz);
	if (pw_oid_fromhex(id, buf, repo->oid_type) < 0)
		return pw__error_set(PW_ECORRUPT, "%s: bad object id", path);
	if (is_null_oid(id))
		return pw__error_set(PW_ECORRUPT, "%s: ref holds the null object id", path);
	*kind = PW__REF_OID;
	return 0;
}

/*
 * Read the loose ref `name`: PW__REF_ABSENT (no file, or a folder), its id,
 * or the name it points to (*target, pw__free it).
 */
static int read_loose(pw__ref_kind *kind, pw_oid *id, char **target, const pw_repo *repo,
	const char *name)
{
	char *path = NULL, *buf = NULL, *link = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int error = 0;

	*kind = PW__REF_ABSENT;
	*target = NULL;
	if ((path = join_path(pw__ref_dir(repo, name), name)) == NULL) {
		error = pw__error_nomem();
		goto out;
	}
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			error = pw__error_os("%s: cannot stat ref file", path);
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		/* git's old symbolic-link HEAD: a link to "refs/..." is a symbolic ref */
		if ((link = pw__malloc(REF_FILE_MAX + 1)) == NULL) {
			error = pw__error_nomem();
			goto out;
		}
		if ((n = readlink(path, link, REF_FILE_MAX)) < 0) {
			if (errno != ENOENT)
				error = pw__error_os("%s: cannot read symbolic link", path);
			goto out;
		}
		link[n] = '\0';
		if (!strncmp(link, "refs/", 5) && pw__refname_is_valid(link, 0)) {
			*target = link;
			link = NULL;
			*kind = PW__REF_SYMREF;
			goto out;
		}
		if (stat(path, &st) < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				error = pw__error_os("%s: cannot stat ref file", path);
			goto out;
		}
	}
	if (S_ISDIR(st.st_mode))
		goto out; /* a folder of refs; the ref may still be packed */
	if (!S_ISREG(st.st_mode)) {
		error = pw__error_set(PW_ECORRUPT, "%s: ref is not a regular file", path);
		goto out;
	}
	if (st.st_size > REF_FILE_MAX) {
		error = pw__error_set(PW_ECORRUPT,
			"%s: ref file of %lld bytes is too large to be a ref", path,
			(long long)st.st_size);
		goto out;
	}
	if ((error = pw__read_small_file(&buf, &len, path, REF_FILE_MAX)) < 0) {
		if (error == PW_ENOTFOUND)
			error = 0; /* removed since lstat: absent */
		goto out;
	}
	error = parse_loose(kind, id, target, repo, path, buf, len);
out:
	pw__free(link);
	pw__free(buf);
	pw__free(path);
	return error;
}

/* One ref of whatever store `db` reads: what read_loose answers, and a packed or reftable value (*pe). */
static int read_ref(pw__ref_kind *kind, pw_oid *id, char **target, const pw_packed_ref **pe,
	pw_refdb *db, const char *name)
{
	int error;

	*pe = NULL;
	/* FETCH_HEAD and MERGE_HEAD stay files beside a reftable stack, as git keeps them */
	if (db->reftable && strcmp(name, "FETCH_HEAD") && strcmp(name, "MERGE_HEAD"))
		return pw__refdb_reftable_read(kind, id, target, pe, db, name);
	if ((error = read_loose(kind, id, target, db->repo, name)) < 0 || *kind != PW__REF_ABSENT)
		return error;
	if ((error = pw__refdb_packed_find(pe, db, name)) < 0)
		return error;
	if (*pe) {
		*id = (*pe)->id;
		*kind = PW__REF_OID;
	}
	return 0;
}

/* ------------------------------------------------------------ resolving */

/* Append " -> name" to a chain description (truncated, never overflowing). */
static void chain_add(char *buf, size_t size, const char *name)
{
	size_t len = strlen(buf);

	if (len + 1 < size)
		snprintf(buf + len, size - len, "%s%.200s", len ? " -> " : "", name);
}

int pw__refdb_resolve(pw_ref_result *res, pw_refdb *db, const char *name)
{
	return pw__refdb_resolve_name(res, NULL, db, name);
}

int pw__refdb_resolve_name(pw_ref_result *res, char **final_name, pw_refdb *db, const char *name)
{
	char *seen[PW_SYMREF_MAXDEPTH] = { NULL };
	char chain[1024] = "";
	char *next = NULL;
	pw__ref_kind kind;
	unsigned int depth, i;
	int error = 0;

	memset(res, 0, sizeof(*res));
	if (final_name)
		*final_name = NULL;
	for (depth = 0; depth < PW_SYMREF_MAXDEPTH; depth++) {
		const pw_packed_ref *pe;
		const char *cur;

		if (depth == 0) {
			if ((seen[0] = pw__strdup(name)) == NULL) {
				error = pw__error_nomem();
				goto out;
			}
		} else {
			for (i = 0; i < depth; i++) {
				if (!strcmp(seen[i], next)) {
					chain_add(chain, sizeof(chain), next);
					error = pw__error_set(PW_ECORRUPT,
						"%s: symbolic ref loop: %s", db->repo->gitdir,
						chain);
					goto out;
				}
			}
			seen[depth] = next;
			next = NULL;
		}
		cur = seen[depth];
		chain_add(chain, sizeof(chain), cur);
		res->depth = depth;
		if ((error = read_ref(&kind, &res->id, &next, &pe, db, cur)) < 0)
			goto out;
		if (kind == PW__REF_OID) {
			res->packed = pe;
			goto found;
		}
		if (kind == PW__REF_SYMREF)
			continue;
		if (depth == 0)
			error = pw__error_set(PW_ENOTFOUND, "%s: no ref '%.200s'",
				db->repo->gitdir, cur);
		else
			error = pw__error_set(PW_ENOTFOUND,
				"%s: %.200s is a symbolic ref to %.200s, which does not exist",
				db->repo->gitdir, name, cur);
		goto out;
	}
	/* git reads at most SYMREF_MAXDEPTH ref files for one name */
	chain_add(chain, sizeof(chain), next);
	error = pw__error_set(PW_ECORRUPT, "%s: more than %d symbolic refs in a row: %s",
		db->repo->gitdir, PW_SYMREF_MAXDEPTH - 1, chain);
	goto out;
found:
	if (final_name && (*final_name = pw__strdup(seen[res->depth])) == NULL)
		error = pw__error_nomem();
out:
	for (i = 0; i < PW_SYMREF_MAXDEPTH; i++)
		pw__free(seen[i]);
	pw__free(next);
	return error;
}

/* ---------------------------------------------------------------- API */

int pw_repo_ref(pw_oid *out, pw_repo *repo, const char *name)
{
	pw_ref_result res;
	pw_refdb db;
	int error;

	if (!out || !repo || !name)
		return pw__error_set(PW_EINVALID, "pw_repo_ref: NULL argument");
	if (!pw__refname_is_valid(name, 1))
		return pw__error_set(PW_EINVALID, "'%.200s' is not a valid ref name", name);
	pw__refdb_init(&db, repo);
	if ((error = pw__refdb_resolve(&res, &db, name)) == 0)
		*out = res.id;
	pw__refdb_dispose(&db);
	return error;
}

int pw_repo_head_target(char **target_out, pw_repo *repo)
{
	pw__ref_kind kind;
	char *target = NULL;
	pw_oid id;
	int error;

	if (!target_out || !repo)
		return pw__error_set(PW_EINVALID, "pw_repo_head_target: NULL argument");
	*target_out = NULL;
	if (repo->reftable) {
		const pw_packed_ref *pe;
		pw_refdb db;

		/* HEAD is in the stack; the file says "ref: refs/heads/.invalid" for older gits */
		pw__refdb_init(&db, repo);
		error = pw__refdb_reftable_read(&kind, &id, &target, &pe, &db, "HEAD");
		pw__refdb_dispose(&db);
		if (error < 0)
			return error;
		if (kind == PW__REF_ABSENT)
			return pw__error_set(PW_ENOTFOUND, "%s/reftable: no HEAD", repo->commondir);
		*target_out = target;
		return 0;
	}
	if ((error = read_loose(&kind, &id, &target, repo, "HEAD")) < 0)
		return error;
	if (kind == PW__REF_ABSENT)
		return pw__error_set(PW_ENOTFOUND, "%s/HEAD: no such file", repo->gitdir);
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
		if (cap < l->cap || (v = pw__realloc(l->v, cap * sizeof(*v))) == NULL)
			return pw__error_nomem();
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
		pw__free(l->v[i]);
	pw__free(l->v);
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
 * Every loose ref name under `base`/`start` (a folder of refs: "refs",
 * "refs/replace") into `out`, keeping those whose
 * is_per_worktree() equals `per_worktree` when `filter`. Skips, as git
 * does, entries starting with '.' and ending in ".lock"; names that are
 * not valid ref names go to `bad`. Iterative, with an explicit stack.
 */
static int walk_loose(name_list *out, name_list *bad, const char *base, const char *start,
	int filter, int per_worktree)
{
	name_list stack = { 0 };
	char *rel = NULL, *dpath = NULL, *child = NULL, *cpath = NULL;
	DIR *dh = NULL;
	struct dirent *d;
	struct stat st;
	int error = 0;

	if ((rel = pw__strdup(start)) == NULL) {
		error = pw__error_nomem();
		goto out;
	}
	if ((error = list_add(&stack, rel)) < 0)
		goto out; /* rel is freed at out */
	rel = NULL;
	while (stack.n) {
		size_t depth = 0;
		const char *c;

		rel = stack.v[--stack.n];
		for (c = rel; *c; c++)
			depth += *c == '/';
		if ((dpath = join_path(base, rel)) == NULL) {
			error = pw__error_nomem();
			goto out;
		}
		if ((dh = opendir(dpath)) == NULL) {
			if (errno != ENOENT && errno != ENOTDIR) {
				error = pw__error_os("%s: cannot list refs", dpath);
				goto out;
			}
			goto next;
		}
		for (;;) {
			errno = 0;
			if ((d = readdir(dh)) == NULL) {
				if (errno) {
					error = pw__error_os("%s: cannot list refs", dpath);
					goto out;
				}
				break;
			}
			if (d->d_name[0] == '.' || ends_with(d->d_name, ".lock"))
				continue;
			if ((child = join_path(rel, d->d_name)) == NULL ||
			    (cpath = join_path(base, child)) == NULL) {
				error = pw__error_nomem();
				goto out;
			}
			if (lstat(cpath, &st) < 0) {
				if (errno != ENOENT) {
					error = pw__error_os("%s: cannot stat ref file", cpath);
					goto out;
				}
			} else if (S_ISDIR(st.st_mode)) {
				if (depth + 1 >= REFS_DIR_MAX_DEPTH) {
					error = pw__error_set(PW_ELIMIT,
						"%s: refs nested more than %d folders deep", cpath,
						REFS_DIR_MAX_DEPTH);
					goto out;
				}
				if ((error = list_add(&stack, child)) < 0)
					goto out;
				child = NULL;
			} else if (!filter || is_per_worktree(child) == per_worktree) {
				if ((error = list_add(pw__refname_is_valid(child, 0) ? out : bad,
					     child)) < 0)
					goto out;
				child = NULL;
			}
			pw__free(cpath);
			pw__free(child);
			cpath = child = NULL;
		}
		closedir(dh);
		dh = NULL;
next:
		pw__free(dpath);
		pw__free(rel);
		dpath = rel = NULL;
	}
out:
	if (dh)
		closedir(dh);
	pw__free(cpath);
	pw__free(child);
	pw__free(dpath);
	pw__free(rel);
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
	error = pw__peel_tags(peeled, &type, db->repo, &res->id);
	if (error == PW_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	*has_peeled = 1;
	return 0;
}

int pw_repo_foreach_ref(pw_repo *repo, pw_ref_cb cb, void *payload)
{
	return pw_repo_foreach_ref_warn(repo, cb, NULL, payload);
}

void pw__ref_warn(pw_ref_warn_cb warn, const char *name, pw_ref_broken why, const char *detail,
	void *payload)
{
	if (warn)
		warn(name, why, detail, payload);
}

/* Does buf[0, len) contain s[0, n)? */
static int contains(const char *buf, size_t len, const char *s, size_t n)
{
	const char *p = buf, *end = buf + len;

	while (n && (size_t)(end - p) >= n && (p = memchr(p, s[0], (size_t)(end - p) - n + 1))) {
		if (!memcmp(p, s, n))
			return 1;
		p++;
	}
	return 0;
}

int pw__refdb_resolve_listed(pw_ref_result *res, pw_refdb *db, const char *name,
	pw_ref_warn_cb warn, void *payload)
{
	int error = pw__refdb_resolve(res, db, name);

	if (error == PW_ENOTFOUND) {
		/* a dangling symbolic ref (or a ref deleted meanwhile): skipped */
		pw_error_clear();
		return 1;
	}
	if (error == PW_ECORRUPT) {
		/* git: "ignoring broken ref", and goes on */
		pw__ref_warn(warn, name, PW_REF_BAD_CONTENT, pw_error_last(), payload);
		pw_error_clear();
		return 1;
	}
	return error;
}

/*
 * Hand one resolved ref to `cb`: with `check_objects`, a ref to a missing
 * object is left out (with a warning) and an annotated tag peeled.
 */
int pw__refdb_report_ref(pw_refdb *db, const char *name, const pw_ref_result *res,
	int check_objects, pw_ref_cb cb, pw_ref_warn_cb warn, void *payload)
{
	pw_oid peeled;
	int has_peeled, skip, error;

	if (!check_objects)
		return cb(name, &res->id, NULL, payload);
	if ((error = ref_peeled(&peeled, &has_peeled, &skip, db, res)) < 0)
		return error;
	if (skip) {
		pw__ref_warn(warn, name, PW_REF_MISSING_OBJECT, "its object does not exist", payload);
		return 0;
	}
	return cb(name, &res->id, has_peeled ? &peeled : NULL, payload);
}

/*
 * Every ref starting with `prefix` ("refs/" or deeper, ending in '/'), in
 * name order. With `check_objects`, refs to missing objects are left out
 * and annotated tags peeled; without, nothing but the refs is read.
 */
static int foreach_refs(pw_repo *repo, const char *prefix, int check_objects, pw_ref_cb cb,
	pw_ref_warn_cb warn, void *payload)
{
	name_list loose = { 0 }, bad = { 0 };
	size_t i = 0, j = 0, k = 0, plen = strlen(prefix);
	char *start = NULL;
	pw_refdb db;
	int error;

	/* the folder to walk: the prefix without its '/' */
	if ((start = pw__strdup(prefix)) == NULL)
		return pw__error_nomem();
	if (plen && start[plen - 1] == '/')
		start[plen - 1] = '\0';
	pw__refdb_init(&db, repo);
	if (db.reftable) {
		error = pw__refdb_foreach_reftable(&db, prefix, check_objects, cb, warn, payload);
		goto out;
	}
	if ((error = pw__refdb_load_packed(&db)) < 0)
		goto out;
	/*
	 * A narrow prefix (refs/replace/, read on a repository's first object
	 * read) that packed-refs never mentions: the sorted file need not be
	 * parsed whole (a 400 KiB one costs ~10 ms); lookups still bisect it.
	 */
	if (!(plen > 5 && db.packed_buf && !db.packed_parsed &&
	      !contains(db.packed_buf + db.packed_body, db.packed_len - db.packed_body, prefix,
		      plen)) &&
	    (error = pw__refdb_parse_packed(&db)) < 0)
		goto out;
	if (strcmp(repo->gitdir, repo->commondir)) {
		/* a linked work tree: its own refs/bisect/ etc., the shared rest */
		if ((error = walk_loose(&loose, &bad, repo->commondir, start, 1, 0)) < 0 ||
		    (error = walk_loose(&loose, &bad, repo->gitdir, start, 1, 1)) < 0)
			goto out;
	} else if ((error = walk_loose(&loose, &bad, repo->commondir, start, 0, 0)) < 0) {
		goto out;
	}
	if (loose.n > 1)
		qsort(loose.v, loose.n, sizeof(*loose.v), str_ptr_cmp);
	if (bad.n > 1)
		qsort(bad.v, bad.n, sizeof(*bad.v), str_ptr_cmp);

	/* merge the two sorted lists; a loose ref shadows its packed namesake */
	while (i < loose.n || j < db.npacked || k < bad.n) {
		const pw_packed_ref *pe = j < db.npacked ? &db.packed[j] : NULL;
		const char *next = i < loose.n ? loose.v[i] : NULL;
		pw_ref_result res;
		const char *name;
		int c;

		if (pe && (strncmp(pe->name, prefix, plen) != 0 ||
			   (j > 0 && !strcmp(db.packed[j - 1].name, pe->name)))) {
			j++; /* ignored, as git does; or a duplicate line: the first wins */
			continue;
		}
		if (pe && (!next || strcmp(pe->name, next) < 0))
			next = pe->name;
		if (k < bad.n && (!next || strcmp(bad.v[k], next) < 0)) {
			pw__ref_warn(warn, bad.v[k], PW_REF_BAD_NAME, "not a valid ref name", payload);
			k++;
			continue;
		}
		if (pe && pe->bad_name) {
			if (i == loose.n || strcmp(loose.v[i], pe->name))
				pw__ref_warn(warn, pe->name, PW_REF_BAD_NAME,
					"packed-refs: not a valid ref name", payload);
			j++;
			continue;
		}
		c = i == loose.n ? 1 : !pe ? -1 : strcmp(loose.v[i], pe->name);
		if (c <= 0) {
			name = loose.v[i++];
			if (c == 0)
				j++;
			if ((error = pw__refdb_resolve_listed(&res, &db, name, warn, payload)) < 0)
				goto out;
			if (error > 0) {
				error = 0;
				continue;
			}
		} else {
			name = pe->name;
			j++;
			memset(&res, 0, sizeof(res));
			res.id = pe->id;
			res.packed = pe;
		}
		if ((error = pw__refdb_report_ref(&db, name, &res, check_objects, cb, warn, payload)) != 0)
			goto out;
	}
out:
	list_clear(&loose);
	list_clear(&bad);
	pw__refdb_dispose(&db);
	pw__free(start);
	return error;
}

int pw_repo_foreach_ref_warn(pw_repo *repo, pw_ref_cb cb, pw_ref_warn_cb warn, void *payload)
{
	if (!repo || !cb)
		return pw__error_set(PW_EINVALID, "pw_repo_foreach_ref: NULL argument");
	return foreach_refs(repo, "refs/", 1, cb, warn, payload);
}

int pw__refdb_foreach_raw(pw_repo *repo, const char *prefix, pw_ref_cb cb, void *payload)
{
	if (strncmp(prefix, "refs/", 5) || prefix[strlen(prefix) - 1] != '/')
		return pw__error_set(PW_EINVALID, "'%.200s': not a folder of refs", prefix);
	return foreach_refs(repo, prefix, 0, cb, NULL, payload);
}
