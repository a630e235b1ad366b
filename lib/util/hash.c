/* hash.c: SHA-1 and SHA-256 through OpenSSL's EVP interface. */
#include <pthread.h>
#include <string.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "util/hash.h"
#include "util/banned.h"

/*
 * OpenSSL 3 looks the implementation up again on every init given EVP_sha1();
 * fetching it once takes that lookup off every object hashed (its share
 * of verify is in docs/PERFORMANCE.md).
 */
static EVP_MD *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

__attribute__((destructor)) static void md_free(void)
{
	EVP_MD_free(md_sha1);
	EVP_MD_free(md_sha256);
}

static void md_fetch(void)
{
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int pw__hash_init(pw_hash *h, pw_oid_t type)
{
	const EVP_MD *md;

	pthread_once(&md_once, md_fetch);
	md = type == PW_OID_SHA1 ? (md_sha1 ? md_sha1 : EVP_sha1()) :
		type == PW_OID_SHA256 ? (md_sha256 ? md_sha256 : EVP_sha256()) : NULL;
	EVP_MD_CTX *ctx;

	h->ctx = NULL;
	h->type = type;
	if (!md)
		return pw__error_set(PW_EINVALID, "unknown object format");
	if (!(ctx = EVP_MD_CTX_new()))
		return pw__error_nomem();
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return pw__error_set(PW_ERROR, "cannot initialise %s",
			pw_oid_type_name(type));
	}
	h->ctx = ctx;
	return 0;
}

void pw__hash_update(pw_hash *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void pw__hash_final(pw_oid *out, pw_hash *h)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_DigestFinal_ex(h->ctx, md, &len);
	pw_oid_fromraw(out, md, h->type);
	pw__hash_dispose(h);
}

void pw__hash_dispose(pw_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int pw__hash_buf(pw_oid *out, pw_oid_t type, const void *data, size_t len)
{
	pw_hash h;
	int error;

	if ((error = pw__hash_init(&h, type)) < 0)
		return error;
	pw__hash_update(&h, data, len);
	pw__hash_final(out, &h);
	return 0;
}
