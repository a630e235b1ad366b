/* internal.h: the repository layer's private structures, shared by the files of lib/odb. */
#ifndef PW_ODB_INTERNAL_H
#define PW_ODB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "packwin/odb.h"

/* One object directory: the repository's own or an alternate. */
typedef struct pw_objdir {
	char *path;         /* absolute, no trailing slash */
	dev_t dev;          /* identity, for alternates cycle detection */
	ino_t ino;
} pw_objdir;

/* Which file a path named when it was looked at: a rename over it changes this. */
typedef struct pw_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_sec;
	long mtime_nsec;
} pw_file_id;

/* A registered pack, by the path of its idx. */
typedef struct pw_packent {
	pw_pack *pack;
	char *idx_path;
	pw_file_id idx_id, pack_id; /* stat before opening: a rescan seeing other files re-registers */
	int seen;           /* mark for rescans */
	int dead;           /* gone from disk: skipped, freed with the repository */
	int64_t mtime;      /* of the .pack: newest first, as git searches */
} pw_packent;

struct pw_repo {
	char *gitdir;       /* absolute */
	char *commondir;    /* absolute: where refs, packed-refs and objects live (== gitdir unless a linked work tree) */
	pw_oid_t oid_type;
	size_t rawsz, hexsz;

	pw_wm *wm;
	int own_wm;
	pw_dcache *dcache;
	int own_dcache;
	uint64_t max_object_size;

	pw_objdir *dirs;    /* dirs[0]: the primary object directory */
	size_t ndirs;

	/* packs: read under the read lock, replaced under the write lock */
	pthread_rwlock_t packs_lock;
	pw_packent *packs;
	size_t npacks, packs_cap;
	_Atomic size_t last_hit; /* index of the pack that answered last (a hint) */
	_Atomic uint64_t generation; /* bumped by each rescan that adds or drops a pack */
};

/* odb.c */
int pw__repo_error(pw_repo *repo, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* loose.c: loose objects of the object directories */
int pw__loose_path(char *buf, size_t bufsz, const pw_objdir *dir, const pw_oid *id, pw_oid_t type);
int pw__loose_read(pw_object **out, pw_repo *repo, const pw_oid *id);
int pw__loose_info(pw_object_t *type, uint64_t *size, uint64_t *disk_size,
	pw_repo *repo, const pw_oid *id);
int pw__loose_stream(pw_object_t *type_out, uint64_t *size_out, pw_repo *repo,
	const pw_oid *id, pw_stream_cb cb, void *payload);
/** Call cb(id) for every loose object of every object directory (unsorted). */
int pw__loose_foreach(pw_repo *repo, int (*cb)(const pw_oid *id, void *payload), void *payload);

/* objects.c */
/** Every object in `order`, de-duplicated, as an array to pw__free. */
int pw__repo_collect(pw_repo_entry **out, size_t *count, pw_repo *repo, pw_foreach_order order);

/* util helpers shared by refs.c and names.c */
/** Read a whole small file (refs, packed-refs, config) into a NUL-terminated buffer. */
int pw__read_small_file(char **out, size_t *len_out, const char *path, size_t max);

#endif
