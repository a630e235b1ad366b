/*
 * fuzz_http.c: fuzz target for pack-serve's HTTP request parser and the
 * pure functions behind it (path decoding, routing shapes, ranges,
 * validators, dates), each checked against what http.h promises.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_common.h"
#include "http.h"

#define ETAG "\"1a2b3c\""

static int in_buf(const char *p, size_t len, const uint8_t *buf, size_t size)
{
	const char *b = (const char *)buf;
	return !p || (p >= b && (size_t)(p - b) <= size && len <= size - (size_t)(p - b));
}

/* The decoded path keeps none of what ps_http_decode_path must refuse. */
static void check_path(const char *out, int n, size_t cap)
{
	int i;

	if (n < 1 || (size_t)n >= cap || out[0] != '/' || out[n] != '\0' || strlen(out) != (size_t)n)
		fz_fail("ps_http_decode_path: not a NUL-terminated absolute path of the length returned");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			fz_fail("ps_http_decode_path: a control byte or backslash in the path");
		if (c == '/' && i + 1 < n) {
			const char *s = out + i + 1;
			size_t seg = strcspn(s, "/");
			if (seg == 0 || (seg == 1 && s[0] == '.') || (seg == 2 && s[0] == '.' && s[1] == '.'))
				fz_fail("ps_http_decode_path: an empty, '.' or '..' segment");
		}
	}
}

static void check_range(const char *hdr, size_t len)
{
	static const uint64_t sizes[] = { 0, 1, 1000, (uint64_t)1 << 40, UINT64_MAX };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t first = 0, last = 0;
		int r = ps_http_range(&first, &last, hdr, len, sizes[i]);
		if (r < -1 || r > 1)
			fz_fail("ps_http_range: an undocumented result");
		if (r == 1 && (first > last || last >= sizes[i]))
			fz_fail("ps_http_range: a range outside the body");
	}
}

/* A date that parses formats to one that parses back to the same time. */
static void check_date(const char *s, size_t len)
{
	char buf[30];
	time_t t, t2;

	if (ps_http_parse_date(&t, s, len) != 0)
		return;
	if (t < 0 || t > (time_t)253402300799) /* 9999-12-31T23:59:59Z */
		return;
	ps_http_format_date(buf, t);
	if (memchr(buf, '\0', sizeof(buf)) == NULL)
		fz_fail("ps_http_format_date: not NUL-terminated");
	if (ps_http_parse_date(&t2, buf, strlen(buf)) != 0 || t2 != t)
		fz_fail("ps_http_parse_date does not read back ps_http_format_date");
}

static void check_kind(const char *rel, size_t len)
{
	enum ps_kind k = ps_http_classify(rel, len);
	if (k < PS_KIND_NONE || k > PS_KIND_BUNDLE_LIST)
		fz_fail("ps_http_classify: an undocumented kind");
	ps_http_valid_repo_name(rel, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct ps_request req;
	char path[PS_MAX_REQUEST_LINE + 1], small[8];
	int r, n;

	memset(&req, 0, sizeof(req));
	r = ps_http_parse(&req, s, size);
	if (r > 0) {
		if ((size_t)r > size || req.header_bytes != (size_t)r)
			fz_fail("ps_http_parse: consumed more than the buffer, or not header_bytes");
		if (!req.target || !in_buf(req.target, req.target_len, data, size) ||
		    !in_buf(req.host, req.host_len, data, size) ||
		    !in_buf(req.range, req.range_len, data, size) ||
		    !in_buf(req.if_none_match, req.if_none_match_len, data, size) ||
		    !in_buf(req.if_modified_since, req.if_modified_since_len, data, size) ||
		    !in_buf(req.if_range, req.if_range_len, data, size) ||
		    !in_buf(req.user_agent, req.user_agent_len, data, size) ||
		    !in_buf(req.referer, req.referer_len, data, size))
			fz_fail("ps_http_parse: a field outside the buffer");
		if (req.http_minor != 0 && req.http_minor != 1)
			fz_fail("ps_http_parse: an HTTP version other than 1.0 and 1.1");
		n = ps_http_decode_path(path, sizeof(path), req.target, req.target_len);
		if (n > 0) {
			check_path(path, n, sizeof(path));
			check_kind(path + 1, (size_t)n - 1);
		}
		if (req.range)
			check_range(req.range, req.range_len);
		if (req.if_none_match)
			ps_http_etag_match(req.if_none_match, req.if_none_match_len, ETAG);
		if (req.if_modified_since)
			check_date(req.if_modified_since, req.if_modified_since_len);
		if (req.if_range)
			ps_http_if_range_ok(req.if_range, req.if_range_len, ETAG, 784111777);
		/* the next pipelined request */
		memset(&req, 0, sizeof(req));
		ps_http_parse(&req, s + r, size - (size_t)r);
	} else if (r != 0 && r != -400 && r != -414 && r != -431 && r != -505 && r != -501) {
		fz_fail("ps_http_parse: an undocumented result");
	}

	/* every helper on the raw bytes too, as a header value would reach it */
	n = ps_http_decode_path(path, sizeof(path), s, size);
	if (n > 0)
		check_path(path, n, sizeof(path));
	n = ps_http_decode_path(small, sizeof(small), s, size); /* too long: -414, never an overrun */
	if (n > 0)
		check_path(small, n, sizeof(small));
	check_kind(s, size);
	check_range(s, size);
	check_date(s, size);
	ps_http_etag_match(s, size, ETAG);
	ps_http_if_range_ok(s, size, ETAG, 784111777);
	return 0;
}
