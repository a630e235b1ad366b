/* packed_refs.c: the packed-refs file: header, strict line parsing, bisection when sorted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "odb/reftable.h"
#include "odb/refs.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/* packed-refs of 7,010 refs is 500 KB; this allows some 3 million refs. */
#define PACKED_REFS_MAX ((size_t)256 << 20)

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_null_oid(const pw_oid *id)
{
	static const pw_oid zero;
	return !memcmp(id, &zero, sizeof(zero));
}

void pw__refdb_init(pw_refdb *db, pw_repo *repo)
{
	memset(db, 0, sizeof(*db));
	db->repo = repo;
	/* git's reftable backend writes the peeled id of every annotated tag */
	if ((db->reftable = repo->reftable) != 0)
		db->peeled_trait = PW_PEELED_FULLY;
}

void pw__refdb_dispose(pw_refdb *db)
{
	if (!db)
		return;
	pw__free(db->packed);
	pw__free(db->packed_buf);
	pw__free(db->packed_path);
	pw__rt_stack_put(db->repo, db->rt);
	pw__refdb_init(db, db->repo);
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

/* The 1-based line number of `p` in packed-refs (for messages only: O(n)). */
static size_t line_of(const pw_refdb *db, const char *p)
{
	const char *c;
	size_t line = 1;

	for (c = db->packed_buf; c < p; c++)
		line += *c == '\n';
	return line;
}

/* An error on the line at `at`, numbered `line` (0: count it; the text must then be intact). */
static int packed_error(const pw_refdb *db, const char *at, size_t line, const char *what)
{
	return pw__error_set(PW_ECORRUPT, "%s: line %zu: %s", db->packed_path,
		line ? line : line_of(db, at), what);
}

/*
 * One `<hex> <name>` line of llen bytes (without its LF): its id into e->id;
 * e->name is left to the caller.
 */
static int parse_ref_line(pw_packed_ref *e, const pw_refdb *db, const char *p, size_t llen,
	size_t line)
{
	size_t hexsz = db->repo->hexsz, i;

	if (llen && p[llen - 1] == '\r')
		return packed_error(db, p, line, "ends with a carriage return (CRLF line endings)");
	if (*p == '^')
		return packed_error(db, p, line,
			"a peeled '^' line that does not follow a ref line");
	if (llen < hexsz + 2 || (p[hexsz] != ' ' && p[hexsz] != '\t'))
		return packed_error(db, p, line,
			"malformed line (expected '<object id> <ref name>')");
	for (i = 0; i < hexsz; i++)
		if (!is_hex((unsigned char)p[i]))
			return packed_error(db, p, line, "malformed object id");
	if (pw_oid_fromhex(&e->id, p, db->repo->oid_type) < 0)
		return packed_error(db, p, line, "malformed object id");
	if (is_null_oid(&e->id))
		return packed_error(db, p, line, "null object id");
	return 0;
}

/* A `^<hex>` line of llen bytes: the peeled id of the ref line before it. */
static int parse_peeled_line(pw_packed_ref *e, const pw_refdb *db, const char *p, size_t llen,
	size_t line)
{
	if (llen && p[llen - 1] == '\r')
		return packed_error(db, p, line, "ends with a carriage return (CRLF line endings)");
	if (llen != db->repo->hexsz + 1 ||
	    pw_oid_fromhex(&e->peeled, p + 1, db->repo->oid_type) < 0)
		return packed_error(db, p, line,
			"malformed peeled line (expected '^' and an object id)");
	e->has_peeled = 1;
	return 0;
}

int pw__refdb_parse_packed(pw_refdb *db)
{
	char *p, *end, *eol;
	size_t count = 0, line, hexsz = db->repo->hexsz;
	pw_packed_ref *last = NULL, *e;
	int sorted = 1, error;

	if ((error = pw__refdb_load_packed(db)) < 0 || db->packed_parsed)
		return error;
	p = db->packed_buf + db->packed_body;
	end = db->packed_buf + db->packed_len;
	line = db->packed_body ? 2 : 1;
	for (eol = p; eol < end; eol++)
		count += *eol == '\n';
	if (count && (db->packed = pw__calloc(count, sizeof(*db->packed))) == NULL)
		return pw__error_nomem();

	/* load_packed saw the last byte is a LF: every memchr below finds one */
	for (; p < end; p = eol + 1, line++) {
		size_t llen;

		eol = memchr(p, '\n', (size_t)(end - p));
		llen = (size_t)(eol - p);
		if (*p == '^' && last) {
			if ((error = parse_peeled_line(last, db, p, llen, line)) < 0)
				goto fail;
			last = NULL;
			continue;
		}
		e = &db->packed[db->npacked];
		if ((error = parse_ref_line(e, db, p, llen, line)) < 0)
			goto fail;
		*eol = '\0';
		e->name = p + hexsz + 1;
		e->line = line;
		/* a NUL inside the name makes it shorter than the line: never a valid ref */
		e->bad_name = strlen(e->name) != llen - hexsz - 1 ||
			!pw__refname_is_valid(e->name, 1);
		if (db->npacked && packed_cmp(&db->packed[db->npacked - 1], e) > 0)
			sorted = 0;
		db->npacked++;
		last = e;
	}
	if (!sorted)
		qsort(db->packed, db->npacked, sizeof(*db->packed), packed_cmp);
	db->packed_parsed = 1;
	return 0;
fail:
	/* the buffer has NULs in it now: forget it all, a retry reads it again */
	pw__refdb_dispose(db);
	return error;
}

int pw__refdb_load_packed(pw_refdb *db)
{
	char *buf, *eol;
	size_t len = 0;
	int error;

	if (db->packed_loaded)
		return 0;
	if (!db->packed_path) {
		size_t n = strlen(db->repo->commondir) + sizeof("/packed-refs");
		if ((db->packed_path = pw__malloc(n)) == NULL)
			return pw__error_nomem();
		snprintf(db->packed_path, n, "%s/packed-refs", db->repo->commondir);
	}
	error = pw__read_small_file(&db->packed_buf, &len, db->packed_path, PACKED_REFS_MAX);
	if (error == PW_ENOTFOUND) {
		db->packed_buf = NULL;
		db->packed_loaded = db->packed_parsed = 1; /* no packed refs */
		return 0;
	}
	if (error < 0)
		return error;
	buf = db->packed_buf;
	db->packed_len = len;
	if (len && buf[len - 1] != '\n') {
		const char *last = buf + len - 1;
		while (last > buf && last[-1] != '\n')
			last--;
		error = packed_error(db, last, 0, "not terminated by a newline (file truncated?)");
		goto fail;
	}
	if (len && *buf == '#') {
		static const char header[] = "# pack-refs with:";
		size_t hl = sizeof(header) - 1;

		eol = memchr(buf, '\n', len);
		if ((size_t)(eol - buf) < hl || memcmp(buf, header, hl)) {
			error = packed_error(db, buf, 1,
				"a comment line that is not a '# pack-refs with:' header");
			goto fail;
		}
		if (has_trait(buf + hl, (size_t)(eol - buf) - hl, "fully-peeled"))
			db->peeled_trait = PW_PEELED_FULLY;
		else if (has_trait(buf + hl, (size_t)(eol - buf) - hl, "peeled"))
			db->peeled_trait = PW_PEELED_TAGS;
		db->packed_sorted = has_trait(buf + hl, (size_t)(eol - buf) - hl, "sorted");
		db->packed_body = (size_t)(eol + 1 - buf);
	}
	db->packed_loaded = 1;
	/* git sorts an unsorted file whole before any lookup; so do we */
	if (!db->packed_sorted && (error = pw__refdb_parse_packed(db)) < 0)
		return error;
	return 0;
fail:
	pw__refdb_dispose(db);
	return error;
}

/* git's find_start_of_record / find_end_of_record: a record is a ref line and its '^' line. */
static const char *record_start(const char *lo, const char *p)
{
	while (p > lo && (p[-1] != '\n' || p[0] == '^'))
		p--;
	return p;
}

static const char *record_end(const char *p, const char *end)
{
	while (++p < end && (p[-1] != '\n' || p[0] == '^'))
		;
	return p;
}

/*
 * Bisect the sorted packed-refs text for `name` as git does
 * (find_reference_location), checking only the lines it lands on, so that a
 * lookup costs O(log n) whatever the number of refs.
 */
static int packed_bisect(const pw_packed_ref **out, pw_refdb *db, const char *name)
{
	const char *lo = db->packed_buf + db->packed_body, *hi = db->packed_buf + db->packed_len;
	size_t hexsz = db->repo->hexsz, nlen = strlen(name);
	pw_packed_ref *e = &db->found;
	int error;

	*out = NULL;
	while (lo < hi) {
		const char *mid = lo + (hi - lo) / 2, *rec = record_start(lo, mid), *eol, *rname;
		size_t llen, rlen;
		int cmp;

		eol = memchr(rec, '\n', (size_t)(hi - rec));
		llen = (size_t)(eol - rec);
		memset(e, 0, sizeof(*e));
		if ((error = parse_ref_line(e, db, rec, llen, 0)) < 0)
			return error;
		rname = rec + hexsz + 1;
		rlen = llen - hexsz - 1;
		cmp = memcmp(rname, name, rlen < nlen ? rlen : nlen);
		if (cmp == 0)
			cmp = rlen < nlen ? -1 : rlen > nlen;
		if (cmp < 0) {
			lo = record_end(mid, hi);
		} else if (cmp > 0) {
			hi = rec;
		} else {
			if (eol + 1 < db->packed_buf + db->packed_len && eol[1] == '^') {
				const char *p = eol + 1, *end = db->packed_buf + db->packed_len;
				const char *peol = memchr(p, '\n', (size_t)(end - p));
				error = parse_peeled_line(e, db, p, (size_t)(peol - p), 0);
				if (error < 0)
					return error;
			}
			e->name = name;
			*out = e;
			return 0;
		}
	}
	return 0;
}

int pw__refdb_packed_find(const pw_packed_ref **out, pw_refdb *db, const char *name)
{
	size_t lo = 0, hi;
	int error;

	*out = NULL;
	if ((error = pw__refdb_load_packed(db)) < 0)
		return error;
	if (!db->packed_parsed)
		return packed_bisect(out, db, name);
	hi = db->npacked;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(db->packed[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < db->npacked && !strcmp(db->packed[lo].name, name) && !db->packed[lo].bad_name)
		*out = &db->packed[lo];
	return 0;
}
