/* oid.c: object ids and their hex form. */
#include <string.h>

#include "packwin/errors.h"
#include "packwin/oid.h"
#include "util/error.h"
#include "util/str.h"
#include "util/banned.h"

size_t pw_oid_rawsz(pw_oid_t type)
{
	return type == PW_OID_SHA1 ? 20 : type == PW_OID_SHA256 ? 32 : 0;
}

size_t pw_oid_hexsz(pw_oid_t type)
{
	return 2 * pw_oid_rawsz(type);
}

char *pw_oid_tostr(char *out, const pw_oid *id, pw_oid_t type)
{
	pw__hex_encode(out, id->id, pw_oid_rawsz(type));
	return out;
}

int pw_oid_fromhex(pw_oid *out, const char *hex, pw_oid_t type)
{
	size_t n = pw_oid_rawsz(type);

	if (!n)
		return pw__error_set(PW_EINVALID, "unknown object format");
	memset(out, 0, sizeof(*out));
	if (pw__hex_decode(out->id, hex, n) < 0)
		return pw__error_set(PW_EINVALID, "invalid object id '%.*s'",
			(int)(2 * n), hex);
	return 0;
}

void pw_oid_fromraw(pw_oid *out, const unsigned char *raw, pw_oid_t type)
{
	size_t n = pw_oid_rawsz(type);

	memcpy(out->id, raw, n);
	memset(out->id + n, 0, sizeof(out->id) - n);
}

int pw_oid_cmp(const pw_oid *a, const pw_oid *b)
{
	return memcmp(a->id, b->id, sizeof(a->id));
}

pw_oid_t pw_oid_type_fromstr(const char *name)
{
	if (!strcmp(name, "sha1"))
		return PW_OID_SHA1;
	if (!strcmp(name, "sha256"))
		return PW_OID_SHA256;
	return PW_OID_UNKNOWN;
}

const char *pw_oid_type_name(pw_oid_t type)
{
	return type == PW_OID_SHA1 ? "sha1" : type == PW_OID_SHA256 ? "sha256" : "unknown";
}
