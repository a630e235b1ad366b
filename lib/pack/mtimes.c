/* mtimes.c: a cruft pack's .mtimes file (one mtime per object, in idx order), checked. */
#include <string.h>

#include "pack/internal.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/error.h"
#include "util/banned.h"

/* "MTME", version, hash id: gitformat-pack's cruft-pack section. */
#define MTIMES_HEADER 12

int pw_pack_verify_mtimes(pw_pack *p)
{
	size_t stem = strlen(p->pack_path) - strlen(".pack");
	unsigned char head[MTIMES_HEADER];
	pw_wm_file *f = NULL;
	uint64_t size, want;
	uint32_t hash_id;
	char *path;
	int error;

	if ((error = pw__idx_ensure(p, "to check its .mtimes")) < 0)
		return error;
	if (!(path = pw__malloc(stem + sizeof(".mtimes"))))
		return pw__error_nomem();
	memcpy(path, p->pack_path, stem);
	memcpy(path + stem, ".mtimes", sizeof(".mtimes"));
	if ((error = pw_wm_open(&f, p->wm, path)) < 0) {
		f = NULL;
		if (error == PW_ENOTFOUND) {
			pw_error_clear(); /* not a cruft pack */
			error = 0;
		}
		goto out;
	}
	size = pw_wm_file_size(f);
	want = MTIMES_HEADER + (uint64_t)p->count * 4 + 2 * (uint64_t)p->rawsz;
	if (size != want) {
		error = pw__error_set(PW_ECORRUPT,
			"%s: mtimes of %u objects must be %llu bytes, file has %llu", path,
			p->count, (unsigned long long)want, (unsigned long long)size);
		goto out;
	}
	if ((error = pw_wm_read(head, f, 0, MTIMES_HEADER)) < 0)
		goto out;
	if (memcmp(head, "MTME", 4)) {
		error = pw__error_set(PW_ECORRUPT, "%s: bad mtimes signature", path);
		goto out;
	}
	if (pw__be32(head + 4) != 1) {
		error = pw__error_set(PW_EUNSUPPORTED, "%s: mtimes version %u is not supported",
			path, pw__be32(head + 4));
		goto out;
	}
	hash_id = pw__be32(head + 8);
	if (hash_id != (p->oid_type == PW_OID_SHA256 ? 2u : 1u)) {
		error = pw__error_set(PW_ECORRUPT, "%s: mtimes hash id %u is not %s's", path,
			hash_id, pw_oid_type_name(p->oid_type));
		goto out;
	}
	/* every 32-bit mtime is valid: only the trailer is left to check */
	error = pw__verify_companion(p, f, size, "mtimes file");
out:
	pw_wm_close(f);
	pw__free(path);
	return error;
}
