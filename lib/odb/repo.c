/* repo.c: finding and opening a repository — discovery, config, object directories, alternates. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "odb/config.h"
#include "odb/internal.h"
#include "odb/reftable.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

#define MAX_SMALL_FILE (64u << 20)

int pw__repo_error(pw_repo *repo, int code, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pw__error_set(code, "%s: %s", repo->gitdir, what);
}

void pw__repo_warn(pw_repo *repo, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!repo->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	repo->warn(msg, repo->warn_payload);
}

int pw__read_small_file(char **out, size_t *len_out, const char *path, size_t max)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, error = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return pw__error_os("cannot open %s", path);
	if (fstat(fd, &st) < 0) {
		error = pw__error_os("cannot stat %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		error = pw__error_set(PW_EINVALID, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > (max ? max : MAX_SMALL_FILE)) {
		error = pw__error_set(PW_ELIMIT, "%s: %lld bytes is too large", path,
			(long long)st.st_size);
		goto out;
	}
	if (!(buf = pw__malloc((size_t)st.st_size + 1))) {
		error = pw__error_nomem();
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = pw__error_os("cannot read %s", path);
			goto out;
		}
		if (n == 0)
			break; /* shrank underneath: take what is there */
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	if (len_out)
		*len_out = len;
out:
	pw__free(buf);
	close(fd);
	return error;
}

/*
 * The discovery helpers below tell "no repository here" from a failure
 * through their return codes: running out of memory is PW_ENOMEM, never
 * "not a git repository" (or, searching upwards, a parent's repository).
 */

/* a + "/" + b, or NULL when out of memory. */
static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = pw__malloc(la + lb + 2);

	if (s) {
		memcpy(s, a, la);
		s[la] = '/';
		memcpy(s + la + 1, b, lb + 1);
	}
	return s;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The absolute, symlink-free form of `path` into `*out`: NULL (errno set)
 * if it does not resolve. 0, or PW_ENOMEM.
 */
static int absolute(char **out, const char *path)
{
	char buf[PATH_MAX];

	*out = NULL;
	/* into our buffer: realpath's own allocation would bypass pw__malloc */
	if (!realpath(path, buf))
		return 0;
	if (!(*out = pw__strdup(buf)))
		return pw__error_nomem();
	return 0;
}

/* absolute() of folder/rel, or of rel when it is absolute. */
static int absolute_from(char **out, const char *folder, const char *rel)
{
	char *joined;
	int error;

	if (rel[0] == '/')
		return absolute(out, rel);
	*out = NULL;
	if (!(joined = join(folder, rel)))
		return pw__error_nomem();
	error = absolute(out, joined);
	pw__free(joined);
	return error;
}

/* Strip trailing whitespace (the newline of a one-line file). */
static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* The common directory of a gitdir: its `commondir` file, else itself. 0 or PW_ENOMEM. */
static int common_dir(char **out, const char *gitdir)
{
	char *file = join(gitdir, "commondir"), *content = NULL;
	int error = 0, rc;

	*out = NULL;
	if (!file)
		return pw__error_nomem();
	if (is_file(file)) {
		rc = pw__read_small_file(&content, NULL, file, 4096);
		if (rc == 0) {
			chomp(content);
			error = absolute_from(out, gitdir, content);
		} else if (rc == PW_ENOMEM) {
			error = rc;
		} else {
			pw_error_clear(); /* unreadable: git too falls back to the gitdir */
		}
	}
	pw__free(content);
	pw__free(file);
	if (!error && !*out && !(*out = pw__strdup(gitdir)))
		error = pw__error_nomem();
	return error;
}

/* git's test: HEAD, and objects/ and refs/ in the common directory. 1 yes, 0 no, or PW_ENOMEM. */
static int looks_like_gitdir(const char *dir, int need_objects)
{
	char *head = join(dir, "HEAD"), *common = NULL, *objects = NULL, *refs = NULL;
	int ok = 0;

	if (!head) {
		ok = pw__error_nomem();
		goto out;
	}
	if (!is_file(head))
		goto out;
	if ((ok = common_dir(&common, dir)) < 0)
		goto out;
	objects = join(common, "objects");
	refs = join(common, "refs");
	if (!objects || !refs)
		ok = pw__error_nomem();
	else
		ok = is_dir(refs) && (!need_objects || is_dir(objects));
out:
	pw__free(head);
	pw__free(common);
	pw__free(objects);
	pw__free(refs);
	return ok;
}

/* A `.git` file: "gitdir: PATH", relative to the file's folder. `*out` NULL if none; 0 or PW_ENOMEM. */
static int read_gitfile(char **out, const char *file, const char *folder)
{
	char *content = NULL;
	int error;

	*out = NULL;
	if ((error = pw__read_small_file(&content, NULL, file, 4096)) < 0) {
		if (error == PW_ENOMEM)
			return error;
		pw_error_clear(); /* unreadable: no gitfile */
		return 0;
	}
	chomp(content);
	if (!strncmp(content, "gitdir: ", 8))
		error = absolute_from(out, folder, content + 8);
	pw__free(content);
	return error;
}

/* The git directory for `dir` itself (work tree, .git or bare) into `*out`, NULL if none. 0 or PW_ENOMEM. */
static int gitdir_at(char **out, const char *dir, int need_objects)
{
	char *dotgit = join(dir, ".git"), *target = NULL;
	struct stat st;
	int error = 0, ok;

	*out = NULL;
	if (!dotgit)
		return pw__error_nomem();
	if (stat(dotgit, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			if ((ok = looks_like_gitdir(dotgit, need_objects)) < 0)
				error = ok;
			else if (ok)
				error = absolute(out, dotgit);
		} else if (S_ISREG(st.st_mode)) {
			if ((error = read_gitfile(&target, dotgit, dir)) == 0 && target) {
				if ((ok = looks_like_gitdir(target, need_objects)) < 0)
					error = ok;
				else if (ok) {
					*out = target;
					target = NULL;
				}
			}
		}
	}
	if (!error && !*out) {
		if ((ok = looks_like_gitdir(dir, need_objects)) < 0)
			error = ok;
		else if (ok)
			error = absolute(out, dir);
	}
	if (error < 0) {
		/* even a result: a check that could not run may have chosen it */
		pw__free(*out);
		*out = NULL;
	}
	pw__free(target);
	pw__free(dotgit);
	return error;
}

static int find_gitdir(char **out, const char *path, int no_discover, int need_objects)
{
	char *dir, *slash;
	int error;

	*out = NULL;
	if ((error = absolute(&dir, path)) < 0)
		return error;
	if (!dir)
		return pw__error_os("cannot open repository %s", path);
	for (;;) {
		if ((error = gitdir_at(out, dir, need_objects)) < 0 || *out) {
			pw__free(dir);
			return error;
		}
		if (no_discover || !strcmp(dir, "/"))
			break;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	pw__free(dir);
	return pw__error_set(PW_ENOTFOUND, no_discover ?
		"%s: not a git repository" :
		"not a git repository (or any of the parent directories): %s", path);
}

/* The object format from config: extensions.objectformat (absent: sha1). */
static int read_object_format(pw_oid_t *out, const pw_config *cfg, const char *commondir)
{
	const char *v = pw__config_get(cfg, "extensions.objectformat", NULL);

	*out = PW_OID_SHA1;
	if (v && (*out = pw_oid_type_fromstr(v)) == PW_OID_UNKNOWN)
		return pw__error_set(PW_EUNSUPPORTED, "%s/config: unknown extensions.objectformat '%s'",
			commondir, v);
	return 0;
}

static int add_objdir(pw_repo *repo, const char *path, size_t *cap)
{
	struct stat st;
	char *abs;
	size_t i;
	int error;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return PW_ENOTFOUND;
	for (i = 0; i < repo->ndirs; i++)
		if (repo->dirs[i].dev == st.st_dev && repo->dirs[i].ino == st.st_ino)
			return 1; /* already there: an alternates cycle or duplicate */
	if ((error = absolute(&abs, path)) < 0)
		return error;
	if (!abs)
		return pw__error_os("cannot resolve %s", path);
	if (repo->ndirs == *cap) {
		size_t n = *cap ? *cap * 2 : 4;
		pw_objdir *d = pw__realloc(repo->dirs, n * sizeof(*d));
		if (!d) {
			pw__free(abs);
			return pw__error_nomem();
		}
		repo->dirs = d;
		*cap = n;
	}
	repo->dirs[repo->ndirs].path = abs;
	repo->dirs[repo->ndirs].dev = st.st_dev;
	repo->dirs[repo->ndirs].ino = st.st_ino;
	repo->ndirs++;
	return 0;
}

/*
 * The alternates of object directory `dir` (an index in repo->dirs), read
 * as git's read_info_alternates does: depth first, each alternate's own
 * alternates right after it; `depth` is the number of alternates hops
 * from the repository's own directory (0). Beyond `max_depth`, an
 * alternates file with anything in it is ignored with git's warning; a
 * missing object directory, an unreadable alternates file, a directory
 * seen before (a cycle or a duplicate) are skipped, the first two with a
 * warning. Only running out of memory fails.
 */
static int read_alternates(pw_repo *repo, size_t *cap, size_t dir, unsigned depth,
	unsigned max_depth)
{
	char *file = join(repo->dirs[dir].path, "info/alternates");
	char *buf = NULL, *line, *next;
	int error = 0;

	if (!file)
		return pw__error_nomem();
	if (access(file, F_OK) < 0 && (errno == ENOENT || errno == ENOTDIR))
		goto out; /* no alternates: what git's warn_on_fopen_errors is silent on */
	if ((error = pw__read_small_file(&buf, NULL, file, 0)) < 0) {
		if (error == PW_ENOMEM)
			goto out;
		pw__repo_warn(repo, "%s", pw_error_last());
		pw_error_clear();
		error = 0;
		goto out;
	}
	if (!buf[0])
		goto out;
	if (depth > max_depth) {
		pw__repo_warn(repo, "%s: ignoring alternate object stores, nesting too deep",
			repo->dirs[dir].path);
		goto out;
	}
	for (line = buf; line && *line; line = next) {
		char *target;
		size_t added = repo->ndirs;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		chomp(line);
		if (!line[0] || line[0] == '#')
			continue;
		target = line[0] == '/' ? pw__strdup(line) : join(repo->dirs[dir].path, line);
		if (!target) {
			error = pw__error_nomem();
			break;
		}
		error = add_objdir(repo, target, cap);
		if (error == PW_ENOTFOUND) {
			/* git: "object directory ... does not exist", and goes on */
			pw__repo_warn(repo, "object directory %s does not exist; check %s",
				target, file);
			pw_error_clear();
			error = 0;
		} else if (error == 1) {
			error = 0; /* seen before: a cycle, or listed twice */
		} else if (error < 0 && error != PW_ENOMEM) {
			/* git: "unable to normalize alternate object path", and goes on */
			pw__repo_warn(repo, "%s", pw_error_last());
			pw_error_clear();
			error = 0;
		} else if (error == 0) {
			error = read_alternates(repo, cap, added, depth + 1, max_depth);
		}
		pw__free(target);
		if (error < 0)
			break;
	}
out:
	pw__free(buf);
	pw__free(file);
	return error;
}

int pw_repo_open(pw_repo **out, const char *path, const pw_repo_options *opts)
{
	pw_repo_options defaults = PW_REPO_OPTIONS_INIT;
	pw_wm_options wm_options;
	const char *env_gitdir = path ? NULL : getenv("GIT_DIR");
	const char *env_objdir = path ? NULL : getenv("GIT_OBJECT_DIRECTORY");
	size_t cap = 0;
	pw_repo *repo;
	char *objects = NULL;
	int error;

	*out = NULL;
	if ((error = pw__check_version(opts, PW_REPO_OPTIONS_VERSION, "pw_repo_options")) < 0)
		return error;
	if (!opts)
		opts = &defaults;
	/*
	 * The outer version vouches for the layout of the nested wm_options, so
	 * its version 0 (PW_REPO_OPTIONS_INIT leaves it zero) is the current one.
	 */
	wm_options = opts->wm_options;
	if (wm_options.version == 0)
		wm_options.version = PW_WM_OPTIONS_VERSION;
	else if ((error = pw__check_version(&wm_options, PW_WM_OPTIONS_VERSION,
			"pw_repo_options.wm_options")) < 0)
		return error;
	if (!(repo = pw__calloc(1, sizeof(*repo))))
		return pw__error_nomem();
	pthread_mutex_init(&repo->promised_lock, NULL);
	pthread_mutex_init(&repo->rt_lock, NULL);
	pw__bad_init(repo);
	if ((error = pw__sources_init(repo)) < 0) {
		pw__free(repo);
		return error;
	}
	repo->max_object_size = opts->max_object_size;
	repo->max_delta_depth = opts->max_delta_depth;
	repo->no_replace = opts->no_replace_objects;

	if (env_gitdir && env_gitdir[0]) {
		if ((error = absolute(&repo->gitdir, env_gitdir)) < 0)
			goto fail;
		if (!repo->gitdir || (error = looks_like_gitdir(repo->gitdir, !env_objdir)) == 0) {
			error = pw__error_set(PW_ENOTFOUND, "GIT_DIR=%s: not a git repository", env_gitdir);
			goto fail;
		}
		if (error < 0)
			goto fail;
	} else if ((error = find_gitdir(&repo->gitdir, path ? path : ".",
			opts->no_discover, !env_objdir)) < 0) {
		goto fail;
	}
	if ((error = common_dir(&repo->commondir, repo->gitdir)) < 0)
		goto fail;
	{
		char *cpath = join(repo->commondir, "config");
		if (!cpath) {
			error = pw__error_nomem();
			goto fail;
		}
		error = pw__config_read(&repo->config, cpath);
		pw__free(cpath);
		if (error < 0)
			goto fail;
	}
	/* git's rule: an extension of format 1 this reader does not know refuses the repository */
	if ((error = pw__repo_check_format(&repo->config, repo->commondir)) < 0)
		goto fail;
	{
		const char *rs = pw__config_get(&repo->config, "extensions.refstorage", NULL);
		repo->reftable = rs && !strcmp(rs, "reftable");
	}
	repo->use_midx = pw__config_bool(&repo->config, "core.multipackindex", 1);
	if ((error = pw__promisor_init(repo)) < 0)
		goto fail;
	repo->warn = opts->warn;
	repo->warn_payload = opts->warn_payload;
	if ((error = read_object_format(&repo->oid_type, &repo->config, repo->commondir)) < 0)
		goto fail;
	if (opts->oid_type != PW_OID_UNKNOWN)
		repo->oid_type = opts->oid_type;
	repo->rawsz = pw_oid_rawsz(repo->oid_type);
	repo->hexsz = 2 * repo->rawsz;

	objects = env_objdir && env_objdir[0] ? pw__strdup(env_objdir) : join(repo->commondir, "objects");
	if (!objects) {
		error = pw__error_nomem();
		goto fail;
	}
	if ((error = add_objdir(repo, objects, &cap)) != 0) {
		if (error > 0 || error == PW_ENOTFOUND)
			error = pw__error_set(PW_ENOTFOUND, "%s: no object directory", objects);
		goto fail;
	}
	if ((error = read_alternates(repo, &cap, 0, 0,
		opts->max_alternates_depth ? opts->max_alternates_depth : 5)) < 0)
		goto fail;

	if (opts->wm) {
		repo->wm = opts->wm;
	} else {
		if ((error = pw_wm_new(&repo->wm, &wm_options)) < 0)
			goto fail;
		repo->own_wm = 1;
	}
	if (opts->dcache) {
		repo->dcache = opts->dcache;
	} else {
		if ((error = pw_dcache_new(&repo->dcache, opts->delta_cache_size)) < 0)
			goto fail;
		repo->own_dcache = 1;
	}
	if ((error = pw_repo_rescan(repo)) < 0)
		goto fail;
	pw__free(objects);
	*out = repo;
	return 0;
fail:
	pw__free(objects);
	pw_repo_free(repo);
	return error;
}

void pw_repo_free(pw_repo *repo)
{
	size_t i;

	if (!repo)
		return;
	pw__sources_free(repo);
	pw__config_free(&repo->config);
	pw__promised_free(repo->promised);
	pw__free(repo->promisor_name);
	pthread_mutex_destroy(&repo->promised_lock);
	pw__rt_stack_put(repo, repo->rt_cache);
	pthread_mutex_destroy(&repo->rt_lock);
	pw__bad_free(repo);
	pw__replace_free(repo->replace);
	if (repo->own_dcache)
		pw_dcache_free(repo->dcache);
	if (repo->own_wm)
		pw_wm_free(repo->wm);
	for (i = 0; i < repo->ndirs; i++)
		pw__free(repo->dirs[i].path);
	pw__free(repo->dirs);
	pw__free(repo->gitdir);
	pw__free(repo->commondir);
	pw__free(repo);
}

const char *pw_repo_gitdir(const pw_repo *repo)
{
	return repo->gitdir;
}

const char *pw_repo_objdir(const pw_repo *repo)
{
	return repo->dirs[0].path;
}

pw_oid_t pw_repo_oid_type(const pw_repo *repo)
{
	return repo->oid_type;
}

pw_wm *pw_repo_wm(pw_repo *repo)
{
	return repo->wm;
}

pw_dcache *pw_repo_dcache(pw_repo *repo)
{
	return repo->dcache;
}
