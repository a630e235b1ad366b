/* http.h: pack-serve's HTTP/1.x request parser, routing shapes, ranges and dates — pure functions, no I/O. */
#ifndef PACKSERVE_HTTP_H
#define PACKSERVE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Caps: a request line longer than this is 414; all headers together longer, 431. */
#define PS_MAX_REQUEST_LINE 4096
#define PS_MAX_HEADERS 8192
/* Most header fields accepted in one request (more: 431). */
#define PS_MAX_HEADER_FIELDS 64

enum ps_method {
	PS_METHOD_OTHER = 0, /* any other syntactically valid token: 405 */
	PS_METHOD_GET,
	PS_METHOD_HEAD
};

/*
 * A parsed request. String fields point into the caller's buffer (not
 * NUL-terminated: pointer + length) and are valid as long as it is.
 * Absent headers have a NULL pointer.
 */
struct ps_request {
	enum ps_method method;
	int http_minor;           /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
	const char *target;       /* request-target as sent (origin-form, with query) */
	size_t target_len;
	const char *host;         /* Host */
	size_t host_len;
	const char *range;        /* Range */
	size_t range_len;
	const char *if_none_match;
	size_t if_none_match_len;
	const char *if_modified_since;
	size_t if_modified_since_len;
	const char *if_range;
	size_t if_range_len;
	const char *user_agent;   /* for the access log */
	size_t user_agent_len;
	const char *referer;
	size_t referer_len;
	int keep_alive;           /* after this response: 1.1 unless "close"; 1.0 only with "keep-alive" */
	int has_body;             /* Content-Length > 0 or Transfer-Encoding present */
	size_t header_bytes;      /* bytes consumed from the buffer: request line + headers + final CRLF */
};

/*
 * Parse one request head from `buf[0..len)`. Returns:
 *   > 0  a complete head was parsed; the value is req->header_bytes (the
 *        next pipelined request starts there);
 *   0    incomplete: read more (the caps are already checked on what is
 *        there: a partial request line longer than PS_MAX_REQUEST_LINE is
 *        414 at once, a partial head longer than the cap 431 at once);
 *   < 0  the negated HTTP status to answer before closing: -400 malformed
 *        (bad syntax, bare CR, NUL, obs-fold, missing Host on 1.1, a
 *        duplicate Host/Range, a bad or conflicting Content-Length),
 *        -414, -431, -505 (HTTP version other than 1.0/1.1), -501
 *        (Transfer-Encoding without Content-Length; with one it is -400).
 * Leading empty lines before the request line are skipped (RFC 9112 2.2).
 * Lines end in CRLF or a bare LF. Never reads outside buf[0..len).
 */
int ps_http_parse(struct ps_request *req, const char *buf, size_t len);

/* What a path under a repository names (CLI.md's allowlist). */
enum ps_kind {
	PS_KIND_NONE = 0,     /* not on the allowlist: 404 */
	PS_KIND_INFO_REFS,    /* info/refs */
	PS_KIND_HEAD,         /* HEAD */
	PS_KIND_INFO_PACKS,   /* objects/info/packs */
	PS_KIND_PACK,         /* objects/pack/pack-<hex>.pack */
	PS_KIND_IDX,          /* objects/pack/pack-<hex>.idx */
	PS_KIND_REV,          /* objects/pack/pack-<hex>.rev */
	PS_KIND_LOOSE,        /* objects/<2 hex>/<38 or 62 hex> */
	PS_KIND_BUNDLE,       /* bundle: generated header + the packs */
	PS_KIND_BUNDLE_LIST   /* bundle-list: a bundle-uri list naming the bundle */
};

/*
 * Split a request target into its decoded path. Drops the query string
 * ("?..."); percent-decodes; fails (returns -400) on a target that is not
 * origin-form ("/..."), on a bad escape, or when the decoded path contains
 * NUL, a backslash, a control byte, an empty segment ("//"), a "." or
 * ".." segment, or an encoded "/" (%2f). `out` receives the decoded path,
 * NUL-terminated, at most `cap` bytes including the NUL (longer: -414).
 * Returns the decoded length (>= 1; the path starts with '/').
 */
int ps_http_decode_path(char *out, size_t cap, const char *target, size_t target_len);

/*
 * Classify `rel`, a path relative to a repository (no leading '/'), by
 * the exact shapes of the allowlist: lowercase hex only, 40 or 64 digits
 * for packs (38 or 62 for loose names). Anything else is PS_KIND_NONE.
 */
enum ps_kind ps_http_classify(const char *rel, size_t len);

/*
 * Is `name` a possible repository name in a multi-repository ROOT: one
 * segment of [A-Za-z0-9._-], 1..255 bytes, not starting with '.'.
 */
int ps_http_valid_repo_name(const char *name, size_t len);

/*
 * Evaluate a Range header against a body of `size` bytes. Returns
 *   0  serve the whole body (no header, not "bytes=", syntax errors,
 *      several ranges: RFC 9110 lets us ignore them);
 *   1  serve the single range [*first, *last] (inclusive, clamped to size);
 *  -1  unsatisfiable: answer 416 with "Content-Range: bytes * /size".
 * Overflow-safe: numbers too large for uint64_t are handled as "very large"
 * (a first position beyond size is 416, a last one is clamped).
 */
int ps_http_range(uint64_t *first, uint64_t *last, const char *hdr, size_t hdr_len, uint64_t size);

/*
 * If-None-Match against our strong `etag` (with its quotes, e.g.
 * "\"1a2b\""): 1 when any listed tag matches (weak comparison, as
 * RFC 9110 13.1.2 says for If-None-Match) or the header is "*".
 */
int ps_http_etag_match(const char *hdr, size_t hdr_len, const char *etag);

/*
 * If-Range: 1 when the range may be served: the header is our strong
 * ETag exactly, or an HTTP-date equal to `mtime` (RFC 9110 13.1.5).
 */
int ps_http_if_range_ok(const char *hdr, size_t hdr_len, const char *etag, time_t mtime);

/*
 * Parse an HTTP-date (IMF-fixdate, RFC 850 and asctime forms) into
 * *out (UTC). Returns 0, or -1 when it is not a valid date.
 */
int ps_http_parse_date(time_t *out, const char *s, size_t len);

/* Format `t` as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into out[30]. */
void ps_http_format_date(char out[30], time_t t);

/* The reason phrase of a status code ("OK", "Not Found", …). */
const char *ps_http_reason(int status);

#endif
