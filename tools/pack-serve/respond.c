/* respond.c: the HTTP decisions of pack-serve: status (200/206/304/4xx/5xx), headers, conditionals and ranges, from a request head and a site body. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <packwin/version.h>

#include "respond.h"

#include "util/banned.h"

/* Longest decoded path we look up; a longer one is 414 like a long request line. */
#define PS_PATH_MAX 4096

struct hbuf {
	char *p;
	size_t len, cap;
	int overflow;
};

static void hadd(struct hbuf *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void hadd(struct hbuf *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (h->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(h->p + h->len, h->cap - h->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= h->cap - h->len) {
		h->overflow = 1;
		return;
	}
	h->len += (size_t)n;
}

int ps_respond_format(struct ps_resp *r, const char *date, int http_minor, int keep_alive_10,
	uint64_t content_length)
{
	struct hbuf h = { r->hdr, 0, sizeof(r->hdr), 0 };
	const struct ps_body *b = &r->body;
	int site_body = r->held || b->etag[0];
	char lm[30];

	(void)http_minor;
	/* We speak HTTP/1.1 to 1.0 clients too (RFC 9110 2.5): the status line says what we support. */
	hadd(&h, "HTTP/1.1 %d %s\r\n", r->status, ps_http_reason(r->status));
	hadd(&h, "Server: pack-serve/%s\r\nDate: %s\r\n", PACKWIN_VERSION, date);
	if (r->status != 304) {
		if (r->mem == r->text)
			hadd(&h, "Content-Type: text/plain\r\n");
		else if (b->content_type)
			hadd(&h, "Content-Type: %s\r\n", b->content_type);
	}
	/* On a 304 it is the length the 200 would have had (RFC 9110 8.6), never a body. */
	hadd(&h, "Content-Length: %llu\r\n", (unsigned long long)content_length);
	if (r->status == 206)
		hadd(&h, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)r->off,
			(unsigned long long)(r->end - 1), (unsigned long long)b->size);
	else if (r->status == 416)
		hadd(&h, "Content-Range: bytes */%llu\r\n", (unsigned long long)b->size);
	if (site_body) {
		if (r->status != 304)
			hadd(&h, "Accept-Ranges: bytes\r\n");
		if (r->status != 416) {
			if (b->etag[0])
				hadd(&h, "ETag: %s\r\n", b->etag);
			if (b->mtime > 0) {
				ps_http_format_date(lm, b->mtime);
				hadd(&h, "Last-Modified: %s\r\n", lm);
			}
			hadd(&h, "Cache-Control: %s\r\n", b->immutable ?
				"public, max-age=31536000, immutable" : "no-cache");
		} else {
			hadd(&h, "Cache-Control: no-store\r\n");
		}
	} else if (r->status == 404) {
		hadd(&h, "Cache-Control: %s\r\n", r->keep_404 ? "public, max-age=60" : "no-cache");
	} else if (r->status >= 400) {
		hadd(&h, "Cache-Control: no-store\r\n");
	}
	if (r->status == 405)
		hadd(&h, "Allow: GET, HEAD\r\n");
	if (r->status == 503)
		hadd(&h, "Retry-After: 1\r\n");
	if (r->close_after)
		hadd(&h, "Connection: close\r\n");
	else if (keep_alive_10)
		hadd(&h, "Connection: keep-alive\r\n");
	hadd(&h, "\r\n");
	if (h.overflow)
		return -1;
	r->hdr_len = (uint32_t)h.len;
	return 0;
}

/* An error (or 416) answered with a short text body. */
static void text_body(struct ps_resp *r, int status, int send)
{
	int n;

	r->status = status;
	n = snprintf(r->text, sizeof(r->text), "%d %s\n", status, ps_http_reason(status));
	if (n < 0 || (size_t)n >= sizeof(r->text))
		n = 0;
	r->mem = r->text;
	r->fd = -1;
	r->off = 0;
	r->end = send ? (uint64_t)n : 0;
}

/*
 * Is `path` one of the generated responses (info/refs, objects/info/packs,
 * bundle, bundle-list)? Their 404 can turn into a 200 with the next ref or
 * repack, so a cache must ask again; any other 404 is of a file that may
 * appear, and a cache may keep it a minute.
 */
static int names_generated(const char *path)
{
	static const char *const tails[] = {
		"/info/refs", "/objects/info/packs", "/bundle", "/bundle-list",
	};
	size_t len = strlen(path), i, n;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		n = strlen(tails[i]);
		if (len >= n && !memcmp(path + len - n, tails[i], n))
			return 1;
	}
	return 0;
}

/* Would `status` from the parser leave the stream in an unknown state? Then we close. */
static int fatal_status(int status)
{
	return status == 400 || status == 414 || status == 431 || status == 505 ||
		status == 501 || status == 413;
}

/* 304 when the client's copy is current: If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2). */
static int not_modified(const struct ps_request *req, const struct ps_body *b)
{
	time_t since;

	if (req->if_none_match)
		return ps_http_etag_match(req->if_none_match, req->if_none_match_len, b->etag);
	if (req->if_modified_since && b->mtime > 0 &&
	    ps_http_parse_date(&since, req->if_modified_since, req->if_modified_since_len) == 0)
		return b->mtime <= since;
	return 0;
}

/* Status and byte range for a body the site found. */
static void from_body(struct ps_resp *r, const struct ps_request *req)
{
	const struct ps_body *b = &r->body;
	uint64_t first, last;
	int rr;

	r->status = 200;
	r->off = 0;
	r->end = b->size;
	if (not_modified(req, b)) {
		/* No body follows a 304: [off, end) stays empty so nothing is sent (or held). */
		r->status = 304;
		r->end = 0;
		return;
	}
	if (!req->range)
		return;
	rr = ps_http_range(&first, &last, req->range, req->range_len, b->size);
	/* If-Range that does not match: the Range is ignored altogether, the whole body is sent. */
	if (rr != 0 && req->if_range &&
	    !ps_http_if_range_ok(req->if_range, req->if_range_len, b->etag,
		b->weak_date ? (time_t)-1 : b->mtime))
		rr = 0;
	if (rr > 0 && first <= last && last < b->size) {
		r->status = 206;
		r->off = first;
		r->end = last + 1;
	} else if (rr < 0) {
		text_body(r, 416, req->method == PS_METHOD_GET);
	}
}

void ps_respond(struct ps_resp *r, struct ps_site *site, const struct ps_request *req,
	int parse_rc, const char *date, int stopping)
{
	char path[PS_PATH_MAX];
	const char *why = NULL;
	uint64_t clen;
	int is_get, rc, n;

	r->fd = -1;
	r->mem = NULL;
	r->body.fd = -1;
	if (parse_rc < 0) {
		/* The head is unusable: answer in HTTP/1.1 and close. */
		text_body(r, -parse_rc, 1);
		r->close_after = 1;
		if (ps_respond_format(r, date, 1, 0, r->end) < 0)
			r->hdr_len = 0;
		return;
	}
	r->parsed = 1;
	r->req = *req;
	r->head_bytes = req->header_bytes;
	r->close_after = !req->keep_alive || stopping;
	is_get = req->method == PS_METHOD_GET;
	if (req->method == PS_METHOD_OTHER) {
		text_body(r, 405, 1);
		/* We never read request bodies, so one would be taken for the next request. */
		if (req->has_body)
			r->close_after = 1;
	} else if (req->has_body) {
		text_body(r, 413, is_get);
	} else if ((n = ps_http_decode_path(path, sizeof(path), req->target, req->target_len)) < 0) {
		text_body(r, n == -414 ? 414 : 400, is_get);
	} else if ((rc = ps_site_lookup_host(&r->body, site, path, req->host, req->host_len,
		&why)) < 0) {
		memset(&r->body, 0, sizeof(r->body));
		r->body.fd = -1;
		rc = (rc == -404 || rc == -503) ? -rc : 500;
		r->keep_404 = rc == 404 && !names_generated(path);
		if (rc == 500)
			fprintf(stderr, "pack-serve: %s: %s\n", path, why ? why : "cannot serve");
		else if (why)
			snprintf(r->note, sizeof(r->note), "%s", why);
		text_body(r, rc, is_get);
	} else {
		r->held = 1;
		from_body(r, req);
		if (r->status == 200 || r->status == 206) {
			r->fd = r->body.fd;
			r->mem = r->body.fd < 0 && !r->body.npieces ? r->body.mem : NULL;
			r->pieces = r->body.pieces;
			r->npieces = r->body.npieces;
			if (!is_get)
				r->end = r->off;
		}
	}
	if (fatal_status(r->status))
		r->close_after = 1;
	if (r->status == 304)
		clen = r->body.size;
	else if (r->status == 416 || r->mem == r->text)
		clen = strlen(r->text);
	else if (r->status == 206)
		clen = r->end - r->off;
	else
		clen = r->body.size;
	if (ps_respond_format(r, date, req->http_minor,
		req->http_minor == 0 && !r->close_after, clen) < 0) {
		/* Cannot happen with our header sizes; answer bare 500 rather than garble. */
		text_body(r, 500, 1);
		r->close_after = 1;
		r->held = 0;
		ps_body_release(site, &r->body);
		memset(&r->body, 0, sizeof(r->body));
		r->body.fd = -1;
		if (ps_respond_format(r, date, 1, 0, strlen(r->text)) < 0)
			r->hdr_len = 0;
		return;
	}
	/* Nothing of the body will be sent: give it back now, not after the headers. */
	if (r->held && (r->off == r->end || r->mem == r->text)) {
		ps_body_release(site, &r->body);
		r->held = 0;
		r->fd = -1;
		r->pieces = NULL;
		r->npieces = 0;
		if (r->mem != r->text)
			r->mem = NULL;
	}
}

void ps_request_line(const char **line, size_t *len, const char *buf, size_t buflen)
{
	size_t i = 0, j;

	while (i < buflen && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	for (j = i; j < buflen && buf[j] != '\r' && buf[j] != '\n'; j++)
		;
	*line = buf + i;
	*len = j - i;
}
