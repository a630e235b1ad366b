/*
 * fuzz_loose.c: fuzz target for loose objects: the input is the file
 * objects/XX/… of a small repository, read through every loose-object
 * entry point (info, read, stream) and through pw_repo_read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz_common.h"
#include "odb/internal.h"
#include "util/hash.h"

#define MAX_OBJECT (4u << 20)

static pw_repo *repo;

static void open_repo(void)
{
	char gitdir[512], path[600];
	pw_repo_options ro = PW_REPO_OPTIONS_INIT;

	fz_path(gitdir, sizeof(gitdir), "loose.git");
	snprintf(path, sizeof(path), "%s/objects/pack", gitdir);
	fz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/refs/heads", gitdir);
	fz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/HEAD", gitdir);
	fz_write(path, "ref: refs/heads/main\n", 21);
	fz_tiny_wm_options(&ro.wm_options);
	ro.max_object_size = MAX_OBJECT;
	ro.delta_cache_size = 64 << 10;
	ro.oid_type = PW_OID_SHA1;
	ro.no_discover = 1;
	if (pw_repo_open(&repo, gitdir, &ro) < 0)
		fz_fail("cannot open the scratch repository");
}

/*
 * The id the file must be named by: the SHA-1 of what it inflates to (up to
 * the size cap), so that well-formed inputs get through the final hash
 * check too; anything else gets a fixed name.
 */
static void name_of(pw_oid *id, const uint8_t *data, size_t size)
{
	static unsigned char buf[64 << 10];
	z_stream zs;
	pw_hash h;
	uint64_t total = 0;
	int ret = Z_OK;

	memset(id, 0, sizeof(*id));
	id->id[0] = 0xfe;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK || pw__hash_init(&h, PW_OID_SHA1) < 0)
		return;
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)size;
	while (ret == Z_OK && total <= MAX_OBJECT + 64) {
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		ret = inflate(&zs, Z_NO_FLUSH);
		pw__hash_update(&h, buf, sizeof(buf) - zs.avail_out);
		total += sizeof(buf) - zs.avail_out;
	}
	inflateEnd(&zs);
	if (ret == Z_STREAM_END)
		pw__hash_final(id, &h);
	else
		pw__hash_dispose(&h);
}

typedef struct streamed {
	const pw_object *obj;
	uint64_t got;
} streamed;

static int stream_cb(const unsigned char *d, size_t len, void *payload)
{
	streamed *s = payload;

	if (s->obj) {
		if (s->got > pw_object_size(s->obj) || len > pw_object_size(s->obj) - s->got)
			fz_fail("loose stream: more bytes than loose read");
		if (memcmp(pw_object_data(s->obj) + s->got, d, len))
			fz_fail("loose stream: other bytes than loose read");
	}
	s->got += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char last[600];
	char path[600];
	pw_object_info info;
	pw_object *obj = NULL, *obj2 = NULL;
	pw_object_t type, stype;
	uint64_t lsize, disk, ssize;
	pw_object_info linfo;
	pw_objdir *dir;
	pw_objloc loc;
	streamed s;
	pw_oid id;
	int ri, rr, rs;

	if (!repo)
		open_repo();
	name_of(&id, data, size);
	dir = &repo->dirs[0];
	if (pw__loose_path(path, sizeof(path), dir, &id, PW_OID_SHA1) < 0)
		fz_fail("pw__loose_path");
	if (last[0] && strcmp(last, path))
		unlink(last);
	{
		/* objects/XX must exist before the file */
		char sub[600];
		snprintf(sub, sizeof(sub), "%.*s", (int)(strrchr(path, '/') - path), path);
		fz_mkdirs(sub);
	}
	fz_write(path, data, size);
	snprintf(last, sizeof(last), "%s", path);

	/* the loose source, asked directly */
	loc.src = &repo->loose;
	loc.pack = NULL;
	loc.offset = 0;
	loc.dir = 0;
	memset(&linfo, 0, sizeof(linfo));
	if (pw__loose_ops.find(&loc, &repo->loose, &id) != 0 || loc.dir != 0)
		fz_fail("loose find: the file just written is not found");
	ri = pw__loose_ops.info(&linfo, &loc, &id, 0);
	type = linfo.type;
	lsize = linfo.size;
	disk = linfo.disk_size;
	if (ri == 0 && disk != size)
		fz_fail("loose info: disk size is not the file's");
	rr = pw__loose_ops.read(&obj, &loc, &id, 0);
	if (rr == 0 && (ri != 0 || type != pw_object_type(obj) || lsize != pw_object_size(obj)))
		fz_fail("loose info disagrees with loose read");
	s.obj = obj;
	s.got = 0;
	rs = pw__loose_ops.stream(&stype, &ssize, &loc, &id, stream_cb, &s);
	if (rr == 0 && (rs != 0 || stype != type || ssize != lsize || s.got != ssize))
		fz_fail("loose stream disagrees with loose read");

	/* the repository's entry points find it as a loose object */
	if (pw_repo_read(&obj2, repo, &id) == 0) {
		if (rr != 0 || pw_object_size(obj2) != pw_object_size(obj) ||
		    memcmp(pw_object_data(obj2), pw_object_data(obj), pw_object_size(obj)))
			fz_fail("pw_repo_read disagrees with loose read");
	}
	if (pw_repo_info(&info, repo, &id, 1) == 0 && info.pack)
		fz_fail("pw_repo_info: a loose object reported in a pack");
	pw_object_free(obj);
	pw_object_free(obj2);
	pw_error_clear();
	return 0;
}
