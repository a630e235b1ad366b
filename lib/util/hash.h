/* hash.h: SHA-1 / SHA-256 through OpenSSL libcrypto (internal). */
#ifndef PW_UTIL_HASH_H
#define PW_UTIL_HASH_H

#include <stddef.h>
#include "packwin/oid.h"

/** A running hash. Init before use, final (or dispose) after. */
typedef struct pw_hash {
	void *ctx; /* EVP_MD_CTX */
	pw_oid_t type;
} pw_hash;

int pw__hash_init(pw_hash *h, pw_oid_t type);
void pw__hash_update(pw_hash *h, const void *data, size_t len);
/** Write rawsz(type) bytes into out->id (rest zeroed) and dispose. */
void pw__hash_final(pw_oid *out, pw_hash *h);
/** Free without a result; accepts an un-initialised (zeroed) hash. */
void pw__hash_dispose(pw_hash *h);

/** Hash a buffer in one call. */
int pw__hash_buf(pw_oid *out, pw_oid_t type, const void *data, size_t len);

#endif
