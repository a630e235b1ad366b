/* bundle_list.c: pack-serve's bundle-list: the bundle-uri list (git config format) naming a repository's bundle. */
#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "gen.h"
#include "util/alloc.h"
#include "util/banned.h"

/* A Host header we may write into a URI: a name or address, an optional port; nothing that could end the value. */
static int plain_host(const char *host, size_t len)
{
	size_t i;

	if (!host || len == 0 || len > 255)
		return 0;
	for (i = 0; i < len; i++) {
		char c = host[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

int ps_bundle_list_make(struct ps_body *out, const struct ps_body *bundle, const char *host,
	size_t host_len, const char *bundle_path, const char **why)
{
	struct ps_buf buf = { NULL, 0, 0 };
	char text[1024];
	int n;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!plain_host(host, host_len)) {
		*why = "no bundle-list: the request has no plain Host header";
		return -404;
	}
	/* The id: what the bundle is (its ETag); the creation token: when it was made, so it grows. */
	n = snprintf(text, sizeof(text),
		"[bundle]\n\tversion = 1\n\tmode = all\n\theuristic = creationToken\n"
		"[bundle \"packs-%.16s\"]\n\turi = http://%.*s%s\n\tcreationToken = %llu\n",
		bundle->etag + 1, (int)host_len, host, bundle_path,
		(unsigned long long)(bundle->mtime > 0 ? bundle->mtime : 0));
	if (n < 0 || (size_t)n >= sizeof(text) || ps_buf_add(&buf, text, (size_t)n) < 0) {
		pw__free(buf.data);
		return -503;
	}
	out->mem = buf.data;
	out->priv_mem = buf.data;
	out->size = buf.len;
	out->mtime = bundle->mtime;
	out->content_type = "text/plain; charset=utf-8";
	out->weak_date = 1;
	ps_gen_etag(out->etag, buf.data, buf.len);
	return 0;
}
