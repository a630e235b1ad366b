/* reftable_stack.c: a reftable stack: tables.list read with the readers' retry rule, and its merged view of refs and logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/internal.h"
#include "odb/reftable.h"
#include "util/alloc.h"
#include "util/array.h"
#include "util/error.h"
#include "util/banned.h"

/* tables.list of more tables than this is refused (git compacts long before). */
#define STACK_MAX_TABLES 4096
/* Longest table name on tables.list. */
#define TABLE_NAME_MAX 255

struct pw__rt_stack {
	char *dir;
	pw_oid_t type;
	PW_ARRAY(pw__rt_table) tables; /* oldest first, as listed */
	pw_file_id list_id;            /* tables.list as stat saw it before reading */
	int list_exists;
	unsigned refs;                 /* holders (the repository's cache is one), under rt_lock */
};

static void drop_tables(pw__rt_stack *st)
{
	size_t i;

	for (i = 0; i < st->tables.n; i++)
		pw__rt_table_dispose(&st->tables.v[i]);
	st->tables.n = 0;
}

void pw__rt_stack_free(pw__rt_stack *st)
{
	if (!st)
		return;
	drop_tables(st);
	PW_ARRAY_FREE(&st->tables);
	pw__free(st->dir);
	pw__free(st);
}

/*
 * Read every table `list` (tables.list's text) names. PW_ENOTFOUND when
 * one is absent (its name in `missing`), with no error set.
 */
static int read_tables(pw__rt_stack *st, char *list, size_t len, char *missing, size_t msize)
{
	char *p = list, *end = list + len, path[4096];
	int error;

	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t nlen = (size_t)((eol ? eol : end) - p);
		unsigned char *buf = NULL;
		pw__rt_table *t;
		size_t blen = 0;

		if (nlen == 0 || nlen > TABLE_NAME_MAX || memchr(p, '/', nlen) ||
		    memchr(p, '\0', nlen) || p[0] == '.')
			return pw__error_set(PW_ECORRUPT, "%s/tables.list: bad table name '%.*s'",
				st->dir, (int)(nlen > 200 ? 200 : nlen), p);
		if (st->tables.n == STACK_MAX_TABLES)
			return pw__error_set(PW_ELIMIT, "%s/tables.list: more than %d tables", st->dir,
				STACK_MAX_TABLES);
		if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", st->dir, (int)nlen, p) >=
		    sizeof(path))
			return pw__error_set(PW_ELIMIT, "%s: path too long", st->dir);
		error = pw__read_small_file((char **)&buf, &blen, path, PW_RT_TABLE_MAX);
		if (error == PW_ENOTFOUND) {
			pw_error_clear();
			snprintf(missing, msize, "%.*s", (int)nlen, p);
			return PW_ENOTFOUND;
		}
		if (error < 0)
			return error;
		if ((t = PW_ARRAY_ALLOC(&st->tables, 8)) == NULL) {
			pw__free(buf);
			return pw__error_nomem();
		}
		if ((error = pw__rt_table_parse(t, path, buf, blen, st->type)) < 0) {
			st->tables.n--;
			return error;
		}
		if (st->tables.n > 1 && t[-1].max_ui > t->min_ui)
			return pw__error_set(PW_ECORRUPT,
				"%s: min_update_index %llu is below the older table's max %llu",
				path, (unsigned long long)t->min_ui, (unsigned long long)t[-1].max_ui);
		p = eol ? eol + 1 : end;
	}
	return 0;
}

int pw__rt_stack_open(pw__rt_stack **out, const char *dir, pw_oid_t type)
{
	char listpath[4096], missing[TABLE_NAME_MAX + 1] = "";
	pw__rt_stack *st;
	struct stat sb;
	unsigned attempt;
	int error = 0;

	*out = NULL;
	if ((size_t)snprintf(listpath, sizeof(listpath), "%s/tables.list", dir) >= sizeof(listpath))
		return pw__error_set(PW_ELIMIT, "%s: path too long", dir);
	if ((st = pw__calloc(1, sizeof(*st))) == NULL || (st->dir = pw__strdup(dir)) == NULL) {
		pw__free(st);
		return pw__error_nomem();
	}
	st->type = type;
	for (attempt = 0; attempt < PW_RT_RETRIES; attempt++) {
		char *list = NULL;
		size_t len = 0;

		drop_tables(st);
		if (stat(listpath, &sb) == 0) {
			pw__file_id_set(&st->list_id, &sb);
			st->list_exists = 1;
		} else {
			st->list_exists = 0;
		}
		error = pw__read_small_file(&list, &len, listpath,
			(size_t)STACK_MAX_TABLES * (TABLE_NAME_MAX + 1));
		if (error == PW_ENOTFOUND) {
			pw_error_clear(); /* no tables.list yet: no refs */
			error = 0;
			goto done;
		}
		if (error < 0)
			goto fail;
		error = read_tables(st, list, len, missing, sizeof(missing));
		pw__free(list);
		if (error != PW_ENOTFOUND)
			break;
		/* a compaction deleted a table after we read the list: read it again */
	}
	if (error == PW_ENOTFOUND)
		error = pw__error_set(PW_ECORRUPT,
			"%s: tables.list names %s, which does not exist (list read %u times)", dir,
			missing, attempt);
	if (error < 0)
		goto fail;
done:
	st->refs = 1;
	*out = st;
	return 0;
fail:
	pw__rt_stack_free(st);
	return error;
}

static void fill_ref(pw__rt_ref *out, const pw__rt_rec *rec, const pw__rt_table *t)
{
	memset(out, 0, sizeof(*out));
	out->vtype = rec->vtype;
	if (rec->id)
		memcpy(out->id.id, rec->id, t->hash_len);
	if (rec->peeled)
		memcpy(out->peeled.id, rec->peeled, t->hash_len);
	out->target = rec->target;
	out->target_len = rec->target_len;
}

int pw__rt_stack_find(pw__rt_ref *out, pw__rt_stack *st, const char *name)
{
	size_t i = st->tables.n;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (i-- > 0) {
		pw__rt_iter it;
		pw__rt_rec rec;

		rc = pw__rt_table_seek(&rec, &it, &st->tables.v[i], name);
		if (rc == 1) {
			/* a ref block's bytes are the table's: what rec borrows outlives `it` */
			fill_ref(out, &rec, &st->tables.v[i]);
			out->name = name;
		}
		pw__rt_iter_dispose(&it);
		if (rc != 0)
			break;
	}
	if (rc == 1 && out->vtype == PW_RT_DELETION)
		rc = 0;
	return rc;
}

typedef PW_ARRAY(char) char_buf;

/* A record of one table while merging. */
typedef struct list_ent {
	size_t name_off;
	size_t table;
	pw__rt_ref ref;
} list_ent;

static int list_ent_cmp(const void *a, const void *b)
{
	const list_ent *x = a, *y = b;
	int c = strcmp(x->ref.name, y->ref.name);

	if (c)
		return c;
	return x->table > y->table ? -1 : x->table < y->table; /* newest table first */
}

int pw__rt_stack_list(pw__rt_ref **out, size_t *n, char **names, pw__rt_stack *st,
	const char *prefix)
{
	PW_ARRAY(list_ent) ents = PW_ARRAY_INIT;
	char_buf arena = PW_ARRAY_INIT;
	size_t plen = strlen(prefix), i, k = 0;
	pw__rt_ref *res = NULL;
	int error = 0;

	*out = NULL;
	*n = 0;
	*names = NULL;
	for (i = 0; i < st->tables.n; i++) {
		pw__rt_iter it;
		pw__rt_rec rec;
		int rc;

		pw__rt_iter_init(&it, &st->tables.v[i], 'r');
		while ((rc = pw__rt_iter_next(&rec, &it)) == 1) {
			list_ent *e;
			char *name;

			if (rec.keylen < plen || memcmp(rec.key, prefix, plen))
				continue;
			if (memchr(rec.key, '\0', rec.keylen)) {
				rc = pw__error_set(PW_ECORRUPT, "%s: a ref name holds a NUL byte",
					st->tables.v[i].path);
				break;
			}
			if (PW_ARRAY_RESERVE(&arena, arena.n + rec.keylen + 1, 4096) < 0 ||
			    (e = PW_ARRAY_ALLOC(&ents, 256)) == NULL) {
				rc = pw__error_nomem();
				break;
			}
			name = arena.v + arena.n;
			memcpy(name, rec.key, rec.keylen);
			name[rec.keylen] = '\0';
			fill_ref(&e->ref, &rec, &st->tables.v[i]);
			e->name_off = arena.n;
			e->table = i;
			arena.n += rec.keylen + 1;
		}
		pw__rt_iter_dispose(&it);
		if (rc < 0) {
			error = rc;
			goto out;
		}
	}
	for (i = 0; i < ents.n; i++)
		ents.v[i].ref.name = arena.v + ents.v[i].name_off;
	if (ents.n > 1)
		qsort(ents.v, ents.n, sizeof(*ents.v), list_ent_cmp);
	if (ents.n && (res = pw__calloc(ents.n, sizeof(*res))) == NULL) {
		error = pw__error_nomem();
		goto out;
	}
	for (i = 0; i < ents.n; i++) {
		if (i > 0 && !strcmp(ents.v[i - 1].ref.name, ents.v[i].ref.name))
			continue; /* shadowed by a newer table */
		if (ents.v[i].ref.vtype != PW_RT_DELETION)
			res[k++] = ents.v[i].ref;
	}
	*out = res;
	*n = k;
	*names = arena.v;
	res = NULL;
	arena.v = NULL;
out:
	pw__free(res);
	PW_ARRAY_FREE(&arena);
	PW_ARRAY_FREE(&ents);
	return error;
}

/* A log record of one table while merging. */
typedef struct log_ent {
	uint64_t ui;
	size_t table;
	int deleted;
	size_t msg_off;
	pw__reflog_entry e;
} log_ent;

typedef PW_ARRAY(log_ent) log_ents;

static int log_ent_cmp(const void *a, const void *b)
{
	const log_ent *x = a, *y = b;

	if (x->ui != y->ui)
		return x->ui < y->ui ? -1 : 1;
	return x->table > y->table ? -1 : x->table < y->table; /* newest table first */
}

/* Collect the log records of `refname` in table `ti`. */
static int collect_logs(log_ents *ents, char_buf *msgs, const pw__rt_stack *st,
	size_t ti, const char *refname)
{
	const pw__rt_table *t = &st->tables.v[ti];
	size_t nlen = strlen(refname);
	pw__rt_iter it;
	pw__rt_rec rec;
	int rc;

	pw__rt_iter_init(&it, t, 'g');
	while ((rc = pw__rt_iter_next(&rec, &it)) == 1) {
		size_t klen = rec.keylen - 9, mlen = rec.msg_len;
		int c = memcmp(rec.key, refname, klen < nlen ? klen : nlen);
		log_ent *e;

		if (c == 0)
			c = klen < nlen ? -1 : klen > nlen;
		if (c < 0)
			continue;
		if (c > 0)
			break; /* keys are sorted: no more of this ref */
		if ((e = PW_ARRAY_ALLOC(ents, 16)) == NULL) {
			rc = pw__error_nomem();
			break;
		}
		memset(e, 0, sizeof(*e));
		e->ui = rec.update_index;
		e->table = ti;
		e->deleted = rec.vtype == PW_RT_DELETION;
		if (e->deleted)
			continue;
		memcpy(e->e.old_id.id, rec.id, t->hash_len);
		memcpy(e->e.new_id.id, rec.peeled, t->hash_len);
		e->e.time = rec.time;
		e->e.tz = rec.tz;
		/* git's backend stores the message as one line with its LF */
		if (mlen && rec.msg[mlen - 1] == '\n')
			mlen--;
		if (PW_ARRAY_RESERVE(msgs, msgs->n + mlen + 1, 256) < 0) {
			rc = pw__error_nomem();
			break;
		}
		memcpy(msgs->v + msgs->n, rec.msg, mlen);
		msgs->v[msgs->n + mlen] = '\0';
		e->msg_off = msgs->n;
		e->e.message_len = mlen;
		msgs->n += mlen + 1;
	}
	pw__rt_iter_dispose(&it);
	return rc < 0 ? rc : 0;
}

int pw__rt_stack_reflog(pw__reflog *out, pw__rt_stack *st, const char *refname)
{
	log_ents ents = PW_ARRAY_INIT;
	char_buf msgs = PW_ARRAY_INIT;
	size_t i;
	int error = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < st->tables.n; i++)
		if ((error = collect_logs(&ents, &msgs, st, i, refname)) < 0)
			goto out;
	if (ents.n > 1)
		qsort(ents.v, ents.n, sizeof(*ents.v), log_ent_cmp);
	/* the messages are all in: entries borrow them from out->buf */
	out->buf = msgs.v;
	msgs.v = NULL;
	for (i = 0; i < ents.n; i++) {
		pw__reflog_entry *slot;

		if (i > 0 && ents.v[i - 1].ui == ents.v[i].ui)
			continue; /* shadowed by a newer table's record */
		if (ents.v[i].deleted)
			continue;
		if ((slot = PW_ARRAY_ALLOC(&out->entries, 16)) == NULL) {
			error = pw__error_nomem();
			goto out;
		}
		*slot = ents.v[i].e;
		slot->message = out->buf + ents.v[i].msg_off;
	}
	if (out->entries.n == 0) {
		error = pw__error_set(PW_ENOTFOUND, "no reflog for '%.200s'", refname);
		goto out;
	}
out:
	if (error < 0)
		pw__reflog_dispose(out);
	PW_ARRAY_FREE(&ents);
	PW_ARRAY_FREE(&msgs);
	return error;
}

void pw__rt_stack_put(pw_repo *repo, pw__rt_stack *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&repo->rt_lock);
	if (--st->refs == 0)
		pw__rt_stack_free(st);
	pthread_mutex_unlock(&repo->rt_lock);
}

int pw__rt_stack_get(pw__rt_stack **out, pw_repo *repo)
{
	pw__rt_stack *st, *old = NULL;
	char dir[4096], list[4096 + 16];
	struct stat sb;
	int exists, error;

	*out = NULL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/reftable", repo->commondir) >= sizeof(dir))
		return pw__error_set(PW_ELIMIT, "%s: path too long", repo->commondir);
	snprintf(list, sizeof(list), "%s/tables.list", dir);
	if (!(exists = stat(list, &sb) == 0) && errno != ENOENT && errno != ENOTDIR)
		return pw__error_os("%s: cannot stat", list);
	/* tables are never rewritten in place: an unchanged tables.list is the same stack */
	pthread_mutex_lock(&repo->rt_lock);
	if ((st = repo->rt_cache) != NULL && st->list_exists == exists &&
	    (!exists || pw__file_id_same(&st->list_id, &sb))) {
		st->refs++;
		pthread_mutex_unlock(&repo->rt_lock);
		*out = st;
		return 0;
	}
	pthread_mutex_unlock(&repo->rt_lock);
	if ((error = pw__rt_stack_open(&st, dir, repo->oid_type)) < 0)
		return error;
	pthread_mutex_lock(&repo->rt_lock);
	old = repo->rt_cache;
	repo->rt_cache = st;
	st->refs++; /* the cache's */
	if (old && --old->refs == 0)
		pw__rt_stack_free(old);
	pthread_mutex_unlock(&repo->rt_lock);
	*out = st;
	return 0;
}
