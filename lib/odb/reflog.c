/* reflog.c: reflogs of the files backend (`logs/HEAD`, `logs/refs/...`), parsed as git reads them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "odb/reflog.h"
#include "odb/reftable.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/* Largest reflog read (a busy logs/HEAD of years is a few MiB). */
#define REFLOG_MAX (256u << 20)

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* git's isspace() for strtoumax's leading blanks. */
static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* "HEX SP" at *p (exactly hexsz digits of one case or the other): the id, *p past the space. */
static int parse_id(pw_oid *out, const char **p, const char *end, size_t hexsz, pw_oid_t type)
{
	if ((size_t)(end - *p) < hexsz + 1 || (*p)[hexsz] != ' ')
		return -1;
	if (pw_oid_fromhex(out, *p, type) < 0)
		return -1;
	*p += hexsz + 1;
	return 0;
}

/*
 * One line (without its LF) as git's show_one_reflog_ent reads it:
 * 1 and *e filled, or 0 for a line git skips.
 */
static int parse_line(pw__reflog_entry *e, const char *line, size_t len, pw_oid_t type)
{
	size_t hexsz = 2 * pw_oid_rawsz(type);
	const char *p = line, *end = line + len, *gt, *m;
	uint64_t t = 0;
	int any = 0, overflow = 0, negative = 0;

	if (memchr(line, '\0', len))
		end = memchr(line, '\0', len); /* git's strchr and strtoumax stop there */
	if (parse_id(&e->old_id, &p, end, hexsz, type) < 0 ||
	    parse_id(&e->new_id, &p, end, hexsz, type) < 0)
		return 0;
	if ((gt = memchr(p, '>', (size_t)(end - p))) == NULL || end - gt < 2 || gt[1] != ' ')
		return 0;
	/* strtoumax: blanks, a sign, digits (a '-' negates, an overflow saturates) */
	m = gt + 2;
	while (m < end && is_space((unsigned char)*m))
		m++;
	if (m < end && (*m == '+' || *m == '-'))
		negative = *m++ == '-';
	for (; m < end && is_digit((unsigned char)*m); m++) {
		any = 1;
		if (t > (UINT64_MAX - 9) / 10)
			overflow = 1;
		t = t * 10 + (uint64_t)(*m - '0');
	}
	if (!any || (!overflow && t == 0))
		return 0; /* git: a zero time is no entry */
	if (end - m < 6 || m[0] != ' ' || (m[1] != '+' && m[1] != '-') || !is_digit((unsigned char)m[2]) ||
	    !is_digit((unsigned char)m[3]) || !is_digit((unsigned char)m[4]) ||
	    !is_digit((unsigned char)m[5]))
		return 0;
	e->time = overflow ? UINT64_MAX : negative ? (uint64_t)0 - t : t;
	e->tz = (m[2] - '0') * 1000 + (m[3] - '0') * 100 + (m[4] - '0') * 10 + (m[5] - '0');
	if (m[1] == '-')
		e->tz = -e->tz;
	m += 6;
	if (m < line + len && *m == '\t')
		m++;
	e->message = m;
	e->message_len = (size_t)(line + len - m);
	return 1;
}

int pw__reflog_parse(pw__reflog *out, const char *buf, size_t len, pw_oid_t type)
{
	size_t pos = 0;

	while (pos < len) {
		const char *line = buf + pos, *lf = memchr(line, '\n', len - pos);
		pw__reflog_entry e, *slot;

		if (!lf)
			break; /* git reads no line without its LF */
		pos = (size_t)(lf - buf) + 1;
		if (!parse_line(&e, line, (size_t)(lf - line), type))
			continue;
		if ((slot = PW_ARRAY_ALLOC(&out->entries, 16)) == NULL)
			return pw__error_nomem();
		*slot = e;
	}
	return 0;
}

/* The path of `refname`'s reflog, allocated. */
static char *log_path(pw_refdb *db, const char *refname)
{
	const char *dir = pw__ref_dir(db->repo, refname);
	size_t n = strlen(dir) + strlen(refname) + sizeof("/logs/");
	char *p = pw__malloc(n);

	if (p)
		snprintf(p, n, "%s/logs/%s", dir, refname);
	return p;
}

/* A reftable repository's reflog of `refname`, from the stack's log blocks. */
static int reftable_reflog(pw__reflog *out, pw_refdb *db, const char *refname)
{
	pw__rt_stack *st;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = pw__refdb_stack(&st, db)) < 0)
		return error;
	return pw__rt_stack_reflog(out, st, refname);
}

int pw__refdb_reflog_exists(pw_refdb *db, const char *refname)
{
	char *path;
	struct stat st;
	int rc;

	if (db->reftable) {
		pw__reflog log;

		rc = reftable_reflog(&log, db, refname);
		pw__reflog_dispose(&log);
		if (rc == PW_ENOTFOUND) {
			pw_error_clear();
			return 0;
		}
		return rc < 0 ? rc : 1;
	}
	if (!(path = log_path(db, refname)))
		return pw__error_nomem();
	if (stat(path, &st) == 0)
		rc = S_ISREG(st.st_mode);
	else if (errno == ENOENT || errno == ENOTDIR)
		rc = 0;
	else
		rc = pw__error_os("%s: cannot stat reflog", path);
	pw__free(path);
	return rc;
}

int pw__refdb_reflog_read(pw__reflog *out, pw_refdb *db, const char *refname)
{
	char *path;
	size_t len = 0;
	int error;

	if (db->reftable)
		return reftable_reflog(out, db, refname);
	memset(out, 0, sizeof(*out));
	if (!(path = log_path(db, refname)))
		return pw__error_nomem();
	error = pw__read_small_file(&out->buf, &len, path, REFLOG_MAX);
	if (error == PW_ENOTFOUND)
		error = pw__error_set(PW_ENOTFOUND, "no reflog for '%.200s'", refname);
	if (error == 0)
		error = pw__reflog_parse(out, out->buf, len, db->repo->oid_type);
	if (error < 0)
		pw__reflog_dispose(out);
	pw__free(path);
	return error;
}

void pw__reflog_dispose(pw__reflog *log)
{
	pw__free(log->buf);
	PW_ARRAY_FREE(&log->entries);
	log->buf = NULL;
}
