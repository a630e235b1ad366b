/* loose.c: the loose-objects source (objects/XX/…): zlib streams of "type size\0content", read through the window manager. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "odb/internal.h"
#include "pack/internal.h" /* pw__object_alloc: objects are built here too */
#include "util/alloc.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/str.h"
#include "util/banned.h"

#define DEFAULT_MAX_OBJECT ((uint64_t)4 << 30)

int pw__loose_path(char *buf, size_t bufsz, const pw_objdir *dir, const pw_oid *id, pw_oid_t type)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	int n;

	pw_oid_tostr(hex, id, type);
	n = snprintf(buf, bufsz, "%s/%.2s/%s", dir->path, hex, hex + 2);
	if (n < 0 || (size_t)n >= bufsz)
		return pw__error_set(PW_ELIMIT, "%s: path too long", dir->path);
	return 0;
}

/* An open loose object: the file, a cursor over it and the inflate state. */
typedef struct loose {
	pw_repo *repo;
	pw_wm_file *file;
	pw_cursor cur;
	z_stream zs;
	int zinit;
	uint64_t pos, size_on_disk;
	char path[PATH_MAX];
	pw_object_t type;
	uint64_t size;
	unsigned char head[64]; /* inflated bytes after the header, not yet consumed */
	size_t head_len;
	int ended;              /* the zlib stream has ended */
} loose;

static int loose_error(loose *l, const char *what)
{
	return pw__error_set(PW_ECORRUPT, "%s: corrupt loose object: %s", l->path, what);
}

/* Inflate into [out, out+len); returns bytes produced, or an error. */
static int inflate_some(size_t *produced, loose *l, unsigned char *out, size_t len, int *end)
{
	const unsigned char *b;
	size_t avail;
	int ret, error;

	l->zs.next_out = out;
	l->zs.avail_out = (uInt)(len > UINT_MAX ? UINT_MAX : len);
	*end = 0;
	while (l->zs.avail_out) {
		if (!l->zs.avail_in) {
			if (l->pos >= l->size_on_disk)
				return loose_error(l, "compressed data is truncated");
			if ((error = pw_cursor_get(&b, &avail, &l->cur, l->pos, 1)) < 0)
				return error;
			if (avail > UINT_MAX)
				avail = UINT_MAX;
			l->zs.next_in = (unsigned char *)b;
			l->zs.avail_in = (uInt)avail;
			l->pos += avail;
		}
		ret = inflate(&l->zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END) {
			*end = l->ended = 1;
			break;
		}
		if (ret == Z_OK || (ret == Z_BUF_ERROR && !l->zs.avail_in))
			continue;
		if (ret == Z_MEM_ERROR)
			return pw__error_nomem();
		return loose_error(l, l->zs.msg ? l->zs.msg : "bad compressed data");
	}
	*produced = (size_t)(l->zs.next_out - out);
	return 0;
}

static void loose_close(loose *l)
{
	if (l->zinit)
		inflateEnd(&l->zs);
	if (l->file) {
		pw_cursor_release(&l->cur);
		pw_wm_close(l->file);
	}
}

/*
 * Open the object in object directory `dir`, and parse its header. With
 * `header_only`, content that is already seen to disagree with the header
 * is not an error: git answers type and size from the header alone (its
 * t1006 swaps and lying sizes), reads of the content still fail.
 */
static int loose_open(loose *l, pw_repo *repo, size_t dir, const pw_oid *id, int header_only)
{
	size_t got, hlen;
	unsigned char *nul, *sp;
	char tname[16];
	int error, end;

	memset(l, 0, sizeof(*l));
	l->repo = repo;
	if ((error = pw__loose_path(l->path, sizeof(l->path), &repo->dirs[dir], id, repo->oid_type)) < 0 ||
	    (error = pw_wm_open(&l->file, repo->wm, l->path)) < 0) {
		l->file = NULL;
		return error;
	}
	l->size_on_disk = pw_wm_file_size(l->file);
	pw_cursor_init(&l->cur, l->file);
	l->zs.zalloc = pw__zalloc;
	l->zs.zfree = pw__zfree;
	if (inflateInit(&l->zs) != Z_OK)
		return pw__error_nomem();
	l->zinit = 1;
	if ((error = inflate_some(&got, l, l->head, sizeof(l->head), &end)) < 0)
		return error;
	if (!(nul = memchr(l->head, '\0', got)))
		return loose_error(l, "header does not end");
	if (!(sp = memchr(l->head, ' ', (size_t)(nul - l->head))) || (size_t)(sp - l->head) >= sizeof(tname))
		return loose_error(l, "bad header");
	memcpy(tname, l->head, (size_t)(sp - l->head));
	tname[sp - l->head] = '\0';
	if ((l->type = pw_object_type_fromstr(tname)) == PW_OBJ_BAD)
		return loose_error(l, "unknown object type");
	l->size = 0;
	if (sp + 1 == nul || (sp[1] == '0' && sp + 2 != nul))
		return loose_error(l, "bad size in header");
	for (sp++; sp < nul; sp++) {
		if (*sp < '0' || *sp > '9' || l->size > (UINT64_MAX - 9) / 10)
			return loose_error(l, "bad size in header");
		l->size = l->size * 10 + (uint64_t)(*sp - '0');
	}
	hlen = (size_t)(nul + 1 - l->head);
	l->head_len = got - hlen;
	memmove(l->head, nul + 1, l->head_len);
	if (header_only)
		return 0;
	if (end && l->head_len != l->size)
		return loose_error(l, "content size differs from its header");
	if (l->head_len > l->size)
		return loose_error(l, "content longer than its header says");
	return 0;
}

/*
 * After the content: the zlib stream must end there (its Adler-32 whole)
 * and nothing may follow it, as git requires ("corrupt loose object",
 * "garbage at end of loose object").
 */
static int loose_finish(loose *l)
{
	unsigned char extra;
	size_t got;
	int error, end;

	if (!l->ended) {
		if ((error = inflate_some(&got, l, &extra, 1, &end)) < 0)
			return error;
		if (got)
			return loose_error(l, "content longer than its header says");
	}
	if (l->zs.avail_in || l->pos < l->size_on_disk)
		return loose_error(l, "garbage after the compressed data");
	return 0;
}

/* Deliver the content (after the header) to `cb` in pieces. */
static int loose_content(loose *l, pw_stream_cb cb, void *payload)
{
	unsigned char buf[64 * 1024];
	uint64_t total = l->head_len;
	int error, end = l->ended;

	if (l->head_len && (error = cb(l->head, l->head_len, payload)) != 0)
		return error;
	while (total < l->size) {
		size_t got = 0, want = sizeof(buf);
		if ((error = inflate_some(&got, l, buf, want, &end)) < 0)
			return error;
		if (got > l->size - total)
			return loose_error(l, "content longer than its header says");
		total += got;
		if (got && (error = cb(buf, got, payload)) != 0)
			return error;
		if (end)
			break;
	}
	if (total != l->size)
		return loose_error(l, "content shorter than its header says");
	return loose_finish(l);
}

typedef struct fill {
	unsigned char *at;
} fill;

static int fill_cb(const unsigned char *data, size_t len, void *payload)
{
	fill *f = payload;
	memcpy(f->at, data, len);
	f->at += len;
	return 0;
}

/* The first object directory holding `id` (git's order: the repository's, then the alternates'). */
static int loose_find(pw_objloc *loc, pw_source *src, const pw_oid *id)
{
	pw_repo *repo = src->repo;
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int error;

	for (i = 0; i < repo->ndirs; i++) {
		if ((error = pw__loose_path(path, sizeof(path), &repo->dirs[i], id, repo->oid_type)) < 0)
			return error;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			loc->src = src;
			loc->pack = NULL;
			loc->offset = 0;
			loc->dir = i;
			return 0;
		}
	}
	return PW_ENOTFOUND;
}

static int loose_read(pw_object **out, const pw_objloc *loc, const pw_oid *id, unsigned depth)
{
	pw_repo *repo = loc->src->repo;
	uint64_t max = repo->max_object_size ? repo->max_object_size : DEFAULT_MAX_OBJECT;
	pw_object *obj = NULL;
	pw_oid check;
	pw_hash h;
	loose l;
	fill f;
	char hdr[64];
	int error, n;

	*out = NULL;
	if ((error = loose_open(&l, repo, loc->dir, id, 0)) < 0)
		goto out;
	/* only what is held whole is capped: loose_stream and loose_info take any size */
	if (l.size > max) {
		error = pw__error_set(PW_ELIMIT, "%s: object of %llu bytes exceeds the limit of %llu",
			l.path, (unsigned long long)l.size, (unsigned long long)max);
		goto out;
	}
	if ((error = pw__object_alloc(&obj, l.type, l.size)) < 0)
		goto out;
	f.at = (unsigned char *)pw_object_data(obj);
	if ((error = loose_content(&l, fill_cb, &f)) < 0)
		goto out;
	/* the file name is the id: a loose object whose content disagrees is corrupt */
	n = snprintf(hdr, sizeof(hdr), "%s %llu", pw_object_type_name(l.type), (unsigned long long)l.size);
	if ((error = pw__hash_init(&h, repo->oid_type)) < 0)
		goto out;
	pw__hash_update(&h, hdr, (size_t)n + 1);
	pw__hash_update(&h, pw_object_data(obj), l.size);
	pw__hash_final(&check, &h);
	if (pw_oid_cmp(&check, id)) {
		error = loose_error(&l, "content does not hash to its name");
		goto out;
	}
	*out = obj;
	obj = NULL;
out:
	pw_object_free(obj);
	loose_close(&l);
	return error;
}

static int loose_info(pw_object_info *out, const pw_objloc *loc, const pw_oid *id, unsigned flags)
{
	loose l;
	int error;

	out->pack = NULL;
	if ((error = loose_open(&l, loc->src->repo, loc->dir, id, 1)) == 0) {
		out->type = l.type;
		out->size = l.size;
		out->disk_size = l.size_on_disk;
	}
	loose_close(&l);
	return error;
}

static int loose_stream(pw_object_t *type_out, uint64_t *size_out, const pw_objloc *loc,
	const pw_oid *id, pw_stream_cb cb, void *payload)
{
	loose l;
	int error;

	if ((error = loose_open(&l, loc->src->repo, loc->dir, id, 0)) == 0) {
		*type_out = l.type;
		*size_out = l.size;
		error = loose_content(&l, cb, payload);
	}
	loose_close(&l);
	return error;
}

int pw__loose_foreach(pw_repo *repo, const pw_oid *prefix, size_t hexlen,
	int (*cb)(const pw_oid *id, void *payload), void *payload)
{
	char path[PATH_MAX], hex[PW_OID_MAX_HEXSZ + 1];
	unsigned first = 0, last = 255;
	size_t d;
	int error = 0;

	if (hexlen >= 2)
		first = last = prefix->id[0];
	for (d = 0; d < repo->ndirs && !error; d++) {
		unsigned i;
		for (i = first; i <= last && !error; i++) {
			struct dirent *de;
			DIR *dir;

			snprintf(hex, 3, "%02x", i);
			if (pw__path_join(path, sizeof(path), repo->dirs[d].path, hex) < 0 ||
			    !(dir = opendir(path)))
				continue;
			while (!error && (de = readdir(dir)) != NULL) {
				pw_oid id;
				if (strlen(de->d_name) != repo->hexsz - 2)
					continue;
				memcpy(hex + 2, de->d_name, repo->hexsz - 2);
				hex[repo->hexsz] = '\0';
				if (pw_oid_fromhex(&id, hex, repo->oid_type) < 0) {
					pw_error_clear();
					continue;
				}
				if (!hexlen || pw__hex_prefix_matches(id.id, prefix->id, hexlen))
					error = cb(&id, payload);
			}
			closedir(dir);
		}
	}
	return error;
}

static int push_entry(const pw_oid *id, void *payload)
{
	pw_repo_entry *e = PW_ARRAY_ALLOC((pw_entries *)payload, 1024);

	if (!e)
		return pw__error_nomem();
	e->id = *id;
	e->pack = NULL;
	e->offset = 0;
	return 0;
}

static int loose_collect(pw_entries *out, pw_source *src, int storage_order)
{
	return pw__loose_foreach(src->repo, NULL, 0, push_entry, out);
}

static int push_oid(const pw_oid *id, void *payload)
{
	pw_oid *slot = PW_ARRAY_ALLOC((pw_oids *)payload, 16);

	if (!slot)
		return pw__error_nomem();
	*slot = *id;
	return 0;
}

static int loose_prefix(pw_oids *out, pw_source *src, const pw_oid *prefix, size_t hexlen)
{
	return pw__loose_foreach(src->repo, prefix, hexlen, push_oid, out);
}

/* Loose objects are looked at on every lookup: nothing is kept to refresh. */
static int loose_refresh(pw_source *src, size_t *changed)
{
	return 0;
}

static size_t loose_count(pw_source *src)
{
	return 0;
}

const pw_source_ops pw__loose_ops = {
	"loose",
	loose_find,
	loose_read,
	loose_info,
	loose_stream,
	loose_collect,
	loose_count,
	loose_prefix,
	loose_refresh,
	NULL,
};
