/* reflog.h: reflog entries, whatever ref backend keeps them (private). */
#ifndef PW_ODB_REFLOG_H
#define PW_ODB_REFLOG_H

#include <stddef.h>
#include <stdint.h>

#include "odb/refs.h"
#include "util/array.h"

/*
 * One reflog entry: the ref moved from `old_id` to `new_id` at `time`
 * (seconds since the epoch), with a message such as "checkout: moving from
 * main to side". The message is borrowed from the pw__reflog holding it
 * and is not NUL-terminated.
 */
typedef struct pw__reflog_entry {
	pw_oid old_id, new_id;
	uint64_t time;
	int tz;                     /* as written: -0130 is -130 */
	const char *message;
	size_t message_len;
} pw__reflog_entry;

/*
 * A ref's reflog, oldest entry first. A backend fills `entries` (and keeps
 * the messages alive in `buf`, or any storage it frees in dispose).
 */
typedef struct pw__reflog {
	char *buf;
	PW_ARRAY(pw__reflog_entry) entries;
} pw__reflog;

/*
 * Parse the text of a files-backend reflog (`logs/<ref>`), one entry a
 * line: "OLD SP NEW SP NAME <EMAIL> SP TIME SP TZ [TAB MESSAGE] LF". Lines
 * git would not read (no LF at the end, bad ids, a zero or missing time, a
 * bad zone) are skipped, as git skips them. `buf` stays the caller's and
 * must outlive `out`'s messages. 0, or PW_ENOMEM.
 */
int pw__reflog_parse(pw__reflog *out, const char *buf, size_t len, pw_oid_t type);

/*
 * Does `refname` (a valid ref name) have a reflog? 1 yes, 0 no, < 0 on an
 * I/O error. (git's refs_reflog_exists.)
 */
int pw__refdb_reflog_exists(pw_refdb *db, const char *refname);

/* The reflog of `refname`: PW_ENOTFOUND when it has none. */
int pw__refdb_reflog_read(pw__reflog *out, pw_refdb *db, const char *refname);

void pw__reflog_dispose(pw__reflog *log);

#endif
