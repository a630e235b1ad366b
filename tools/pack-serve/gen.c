/* gen.c: pack-serve's generated files (info/refs, objects/info/packs) and content ETags. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "gen.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/str.h"
#include "util/banned.h"

/* Generated bodies above this are refused: a refs tree this large is not a sane thing to serve. */
#define GEN_MAX_BYTES ((size_t)256 << 20)
/* Folders under refs/ deeper than this are not looked at for the mtime (git refuses such names anyway). */
#define GEN_MAX_DEPTH 32
/* Caps on what one folder may hold before the listing is refused. */
#define GEN_MAX_SUBDIRS 65536
#define GEN_MAX_PACKS 1048576

typedef char dir_name[NAME_MAX + 1];

int ps_buf_add(struct ps_buf *b, const void *data, size_t len)
{
	size_t need;

	if (__builtin_add_overflow(b->len, len, &need) ||
	    __builtin_add_overflow(need, 1, &need) || need > GEN_MAX_BYTES)
		return PW_ELIMIT;
	if (pw__array_reserve((void **)&b->data, &b->cap, need, 1, 4096) != 0)
		return PW_ENOMEM;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

struct refs_ctx {
	struct ps_buf *out;
	pw_oid_t type;
};

static int add_ref_line(struct refs_ctx *c, const pw_oid *id, const char *name, const char *suffix)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	int err;

	pw_oid_tostr(hex, id, c->type);
	if ((err = ps_buf_add(c->out, hex, strlen(hex))) < 0 ||
	    (err = ps_buf_add(c->out, "\t", 1)) < 0 ||
	    (err = ps_buf_add(c->out, name, strlen(name))) < 0 ||
	    (err = ps_buf_add(c->out, suffix, strlen(suffix))) < 0)
		return err;
	return 0;
}

static int on_ref(const char *name, const pw_oid *id, const pw_oid *peeled, void *payload)
{
	struct refs_ctx *c = payload;
	int err;

	/* A ref name with a newline would forge lines; git refuses such names, so do we. */
	if (strpbrk(name, "\n\t"))
		return 0;
	if ((err = add_ref_line(c, id, name, "\n")) < 0)
		return err;
	if (peeled && (err = add_ref_line(c, peeled, name, "^{}\n")) < 0)
		return err;
	return 0;
}

/* Fold one file's identity and mtime (to the nanosecond) into the state. */
static void note(struct ps_refs_state *rs, const struct stat *st)
{
	uint64_t v[4] = { (uint64_t)st->st_ino, (uint64_t)st->st_mtim.tv_sec,
		(uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_size };
	const unsigned char *p = (const unsigned char *)v;
	size_t i;

	if (st->st_mtime > rs->mtime)
		rs->mtime = st->st_mtime;
	for (i = 0; i < sizeof(v); i++)
		rs->digest = (rs->digest ^ p[i]) * 0x100000001b3ULL;
}

/*
 * The newest mtime of `dir` and the folders below it. Names are gathered
 * and the folder closed before descending, so one walk holds at most one
 * directory descriptor (they are outside the window manager's budget).
 */
static int walk_mtime(struct ps_refs_state *rs, const char *dir, unsigned depth)
{
	PW_ARRAY(dir_name) subs = PW_ARRAY_INIT;
	size_t i, len;
	struct dirent *d;
	struct stat st;
	DIR *dh;
	int err = 0;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	note(rs, &st);
	if (depth >= GEN_MAX_DEPTH || !(dh = opendir(dir)))
		return 0;
	while ((d = readdir(dh)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
			continue;
		if (subs.n == GEN_MAX_SUBDIRS) {
			err = PW_ELIMIT;
			break;
		}
		if (PW_ARRAY_RESERVE(&subs, subs.n + 1, 8) != 0) {
			err = PW_ENOMEM;
			break;
		}
		len = strnlen(d->d_name, NAME_MAX);
		memcpy(subs.v[subs.n], d->d_name, len);
		subs.v[subs.n++][len] = '\0';
	}
	closedir(dh);
	for (i = 0; i < subs.n && !err; i++) {
		char path[PATH_MAX];

		if (pw__path_join(path, sizeof(path), dir, subs.v[i]))
			continue;
		err = walk_mtime(rs, path, depth + 1);
	}
	PW_ARRAY_FREE(&subs);
	return err;
}

int ps_gen_info_refs(struct ps_buf *out, time_t *mtime, pw_repo *repo, const char *commondir)
{
	struct refs_ctx c;
	int err;

	*mtime = 0;
	if ((err = pw_repo_rescan(repo)) < 0)
		return err;
	c.out = out;
	c.type = pw_repo_oid_type(repo);
	if ((err = pw_repo_foreach_ref(repo, on_ref, &c)) < 0)
		return err;
	if (!out->data && (err = ps_buf_add(out, "", 0)) < 0)
		return err; /* no refs: an empty body, still a buffer */
	return ps_gen_refs_mtime(mtime, commondir);
}

int ps_gen_head(struct ps_buf *out, pw_repo *repo)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	char *target = NULL;
	pw_oid id;
	int err;

	if ((err = pw_repo_head_target(&target, repo)) < 0)
		return err;
	if (target) {
		if ((err = ps_buf_add(out, "ref: ", 5)) == 0 &&
		    (err = ps_buf_add(out, target, strlen(target))) == 0)
			err = ps_buf_add(out, "\n", 1);
		pw_string_free(target);
		return err;
	}
	if ((err = pw_repo_ref(&id, repo, "HEAD")) < 0)
		return err;
	pw_oid_tostr(hex, &id, pw_repo_oid_type(repo));
	if ((err = ps_buf_add(out, hex, strlen(hex))) < 0)
		return err;
	return ps_buf_add(out, "\n", 1);
}

int ps_gen_refs_state(struct ps_refs_state *rs, const char *commondir, const char *gitdir)
{
	char path[PATH_MAX];
	struct stat st;

	memset(rs, 0, sizeof(*rs));
	rs->digest = 0xcbf29ce484222325ULL;
	/* A reftable stack changes inside files we do not look at here. */
	rs->complete = !(pw__path_join(path, sizeof(path), commondir, "reftable") == 0 &&
		stat(path, &st) == 0);
	if (!rs->complete &&
	    pw__path_join(path, sizeof(path), commondir, "reftable/tables.list") == 0 &&
	    stat(path, &st) == 0)
		note(rs, &st);
	if (gitdir && pw__path_join(path, sizeof(path), gitdir, "HEAD") == 0 && stat(path, &st) == 0)
		note(rs, &st);
	if (pw__path_join(path, sizeof(path), commondir, "packed-refs") == 0 && stat(path, &st) == 0)
		note(rs, &st);
	if (pw__path_join(path, sizeof(path), commondir, "refs"))
		return 0;
	return walk_mtime(rs, path, 0);
}

int ps_gen_refs_mtime(time_t *mtime, const char *commondir)
{
	struct ps_refs_state rs;
	int err = ps_gen_refs_state(&rs, commondir, NULL);

	*mtime = rs.mtime;
	return err;
}

/* "pack-<40 or 64 lowercase hex>" followed by `ext`. */
static int pack_name(const char *name, const char *ext)
{
	size_t len = strlen(name), elen = strlen(ext), hex, i;

	if (len < 5 + elen || strncmp(name, "pack-", 5) || strcmp(name + len - elen, ext))
		return 0;
	hex = len - 5 - elen;
	if (hex != 40 && hex != 64)
		return 0;
	for (i = 5; i < 5 + hex; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Room for "pack-" + 64 hex + ".pack" and the NUL. */
#define PACK_NAME_MAX 80
typedef char pack_name_buf[PACK_NAME_MAX];

int ps_gen_info_packs(struct ps_buf *out, time_t *mtime, const char *objdir)
{
	PW_ARRAY(pack_name_buf) names = PW_ARRAY_INIT;
	size_t i;
	char packdir[PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dh;
	int err = 0;

	*mtime = 0;
	if (pw__path_join(packdir, sizeof(packdir), objdir, "pack"))
		return PW_ELIMIT;
	if (stat(packdir, &st) == 0)
		*mtime = st.st_mtime;
	if ((dh = opendir(packdir)) != NULL) {
		while ((d = readdir(dh)) != NULL) {
			if (!pack_name(d->d_name, ".pack"))
				continue;
			if (names.n == GEN_MAX_PACKS) {
				err = PW_ELIMIT;
				break;
			}
			if (PW_ARRAY_RESERVE(&names, names.n + 1, 16) != 0) {
				err = PW_ENOMEM;
				break;
			}
			/* pack_name() bounded the length below PACK_NAME_MAX */
			memcpy(names.v[names.n++], d->d_name, strlen(d->d_name) + 1);
		}
		closedir(dh);
	}
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	for (i = 0; i < names.n && !err; i++) {
		char path[PATH_MAX];
		size_t len = strlen(names.v[i]);

		/* Both halves must be there, as git's own list has them. */
		if (pw__path_join(path, sizeof(path), packdir, names.v[i]) ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%.*s.idx", packdir,
			(int)(len - 5), names.v[i]) >= sizeof(path) ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if ((err = ps_buf_add(out, "P ", 2)) < 0 ||
		    (err = ps_buf_add(out, names.v[i], len)) < 0 ||
		    (err = ps_buf_add(out, "\n", 1)) < 0)
			break;
	}
	PW_ARRAY_FREE(&names);
	if (!err)
		err = ps_buf_add(out, "\n", 1);
	return err;
}

void ps_gen_etag(char etag[72], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen < 8) {
		/* libcrypto failing here is next to impossible; the length still tells bodies apart */
		snprintf(etag, 72, "\"len-%zx\"", len);
		return;
	}
	etag[0] = '"';
	pw__hex_encode(etag + 1, md, 8);
	etag[17] = '"';
	etag[18] = '\0';
}
