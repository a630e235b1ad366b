/* oid.h: object ids (SHA-1 and SHA-256) and their hex form. */
#ifndef PACKWIN_OID_H
#define PACKWIN_OID_H

#include "common.h"

PW_BEGIN_DECL

/** The object formats (hash functions) packwin understands. */
typedef enum {
	PW_OID_UNKNOWN = 0, /**< in options: detect, or default to SHA-1 */
	PW_OID_SHA1 = 1,
	PW_OID_SHA256 = 2
} pw_oid_t;

#define PW_OID_SHA1_RAWSZ 20
#define PW_OID_SHA256_RAWSZ 32
#define PW_OID_MAX_RAWSZ 32
#define PW_OID_MAX_HEXSZ 64

/**
 * An object id. SHA-1 ids use the first 20 bytes and keep the rest zero,
 * so two ids of the same format compare equal exactly when memcmp says so.
 */
typedef struct pw_oid {
	unsigned char id[PW_OID_MAX_RAWSZ];
} pw_oid;

/** Raw size in bytes of an id of this format (0 for an unknown format). */
PW_EXTERN(size_t) pw_oid_rawsz(pw_oid_t type);

/** Hex size of an id of this format (0 for an unknown format). */
PW_EXTERN(size_t) pw_oid_hexsz(pw_oid_t type);

/**
 * Write the lower-case hex form of `id` and a NUL into `out`, which must
 * hold pw_oid_hexsz(type) + 1 bytes. Returns `out`.
 */
PW_EXTERN(char *) pw_oid_tostr(char *out, const pw_oid *id, pw_oid_t type);

/**
 * Parse exactly pw_oid_hexsz(type) hex digits (either case) from `hex`.
 * Returns 0, or PW_EINVALID if a character is not a hex digit.
 */
PW_EXTERN(int) pw_oid_fromhex(pw_oid *out, const char *hex, pw_oid_t type);

/** Set `out` from `rawsz(type)` raw bytes, zeroing the rest. */
PW_EXTERN(void) pw_oid_fromraw(pw_oid *out, const unsigned char *raw, pw_oid_t type);

/** Compare two ids (memcmp order). */
PW_EXTERN(int) pw_oid_cmp(const pw_oid *a, const pw_oid *b);

/** "sha1" / "sha256" to the format; PW_OID_UNKNOWN for anything else. */
PW_EXTERN(pw_oid_t) pw_oid_type_fromstr(const char *name);

/** The name of a format ("sha1", "sha256"), or "unknown". */
PW_EXTERN(const char *) pw_oid_type_name(pw_oid_t type);

PW_END_DECL

#endif
