/* parse.h: commit, tag and tree objects as git writes them, parsed in place and bounds-checked (internal). */
#ifndef PW_ODB_PARSE_H
#define PW_ODB_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "packwin/oid.h"
#include "packwin/pack.h"
#include "util/array.h"

/*
 * Every parser reads the bytes of one object (pw_object_data) and points
 * into them: what it returns is borrowed from the object. They accept what
 * git's own parsers accept (commit.c parse_commit_buffer, tag.c
 * parse_tag_buffer, tree-walk.c decode_tree_entry) and return PW_ECORRUPT,
 * with a message naming the object's kind and what is wrong, for the rest.
 */

/** One commit: its tree, its parents in order, the committer's time and the message. */
typedef struct pw__commit {
	pw_oid tree;
	PW_ARRAY(pw_oid) parents;
	int64_t committer_time;     /**< seconds since the epoch (0 if the line lacks one) */
	const char *message;        /**< after the blank line ending the headers; may be empty */
	size_t message_len;
} pw__commit;

/** Parse a commit (`out` must be disposed of with pw__commit_dispose, also after an error). */
int pw__commit_parse(pw__commit *out, const unsigned char *data, size_t len, pw_oid_t type);
void pw__commit_dispose(pw__commit *c);

/** One annotated tag: what it points at and the type it says that is. */
typedef struct pw__tag {
	pw_oid object;
	pw_object_t type;
	const char *name;           /**< the "tag" header, not NUL-terminated */
	size_t name_len;
	const char *message;
	size_t message_len;
} pw__tag;

int pw__tag_parse(pw__tag *out, const unsigned char *data, size_t len, pw_oid_t type);

/** One tree entry: its mode (octal digits as written), name and id. */
typedef struct pw__tree_entry {
	unsigned int mode;
	const char *name;           /**< not NUL-terminated */
	size_t name_len;
	pw_oid id;
} pw__tree_entry;

typedef struct pw__tree_iter {
	const unsigned char *data;
	size_t len, pos;
	pw_oid_t type;
} pw__tree_iter;

void pw__tree_iter_init(pw__tree_iter *it, const unsigned char *data, size_t len, pw_oid_t type);
/** The next entry: 1, 0 at the end, PW_ECORRUPT for a malformed entry. */
int pw__tree_next(pw__tree_entry *out, pw__tree_iter *it);
/** Git's object type of a tree entry's mode: tree (040000), commit (gitlink 0160000), else blob. */
pw_object_t pw__tree_entry_type(unsigned int mode);

#endif
