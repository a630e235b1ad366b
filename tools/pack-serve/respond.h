/* respond.h: deciding a response from a request head and what the site has: status, headers, which bytes of which body. */
#ifndef PACKSERVE_RESPOND_H
#define PACKSERVE_RESPOND_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "site.h"

#define PS_RESP_HDR_MAX 1024

/* A response in flight: allocated per request, freed once sent. */
struct ps_resp {
	struct ps_request req;
	int parsed;           /* req is valid (the head parsed) */
	int status;
	int close_after;      /* close the connection once sent */
	int held;             /* `body` came from ps_site_lookup: give it back */
	int keep_404;         /* a 404 a cache may keep a minute (not of a generated response) */
	struct ps_body body;
	int fd;               /* >= 0: send from this descriptor */
	const char *mem;      /* else from these bytes */
	const struct ps_piece *pieces; /* else (npieces > 0) from these, end to end: [off, end) is in their sum */
	size_t npieces;
	uint64_t off, end;    /* what is left to send: [off, end) */
	uint64_t sent;        /* body bytes sent */
	uint32_t hdr_len, hdr_off;
	int corked;           /* TCP_CORK is set on the socket for this body */
	size_t head_bytes;    /* the request head's length in the connection's buffer */
	char text[64];        /* an error response's body */
	char note[96];        /* why a 404 is one (a repository without a bundle), for the access log; "" if none */
	char hdr[PS_RESP_HDR_MAX];
};

/*
 * Build the answer to the request head at buf (its first `len` bytes
 * buffered; parse_rc is what ps_http_parse returned on them, != 0), using
 * `site` to find the body. `date` is the IMF-fixdate of now. `stopping`:
 * the server is shutting down (say Connection: close). Fills every field
 * of `r` (zeroed by the caller) except `sent` and `hdr_off`.
 */
void ps_respond(struct ps_resp *r, struct ps_site *site, const struct ps_request *req,
	int parse_rc, const char *date, int stopping);

/*
 * Format the status line and headers of `r` (status, body, off/end and
 * close_after already set) into r->hdr. `content_length` is what the
 * Content-Length header says (the whole body for HEAD and 304). Returns 0,
 * or -1 when they do not fit (never with what ps_respond builds).
 */
int ps_respond_format(struct ps_resp *r, const char *date, int http_minor, int keep_alive_10,
	uint64_t content_length);

/* The request line of a head in `buf` (leading empty lines skipped), for the access log. */
void ps_request_line(const char **line, size_t *len, const char *buf, size_t buflen);

#endif
