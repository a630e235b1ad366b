/* test_ps_http.c: pack-serve's HTTP parser, paths, allowlist, Range, validators and dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "http.h"

/* 1994-11-06T08:49:37Z, RFC 9110's example date, as `date -u -d … +%s` gives it. */
#define RFC_EXAMPLE_TIME ((time_t)784111777)

/* A copy of s[0..n) in a buffer of exactly n bytes, so that ASan catches any read past it. */
static char *exact_copy(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	if (n)
		memcpy(p, s, n);
	return p;
}

/* ps_http_parse on an exact-size copy of s[0..n). */
static int parse_n(struct ps_request *req, const char *s, size_t n)
{
	char *p = exact_copy(s, n);
	int rc = ps_http_parse(req, p, n);

	/* the struct's pointers must not outlive the copy: rebase them onto s */
	if (rc > 0) {
		const char **fields[] = {&req->target, &req->host, &req->range, &req->if_none_match,
		        &req->if_modified_since, &req->if_range, &req->user_agent, &req->referer};
		size_t i;
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (*fields[i]) {
				assert_true(*fields[i] >= p && *fields[i] <= p + n);
				*fields[i] = s + (*fields[i] - p);
			}
	}
	free(p);
	return rc;
}

/* Is the field (ptr, len) exactly `want` (NULL: absent)? */
static void expect_field(const char *name, const char *ptr, size_t len, const char *want)
{
	if (!want) {
		if (ptr)
			fail_msg("%s: expected absent, got \"%.*s\"", name, (int)len, ptr);
		return;
	}
	if (!ptr)
		fail_msg("%s: expected \"%s\", got absent", name, want);
	if (len != strlen(want) || memcmp(ptr, want, len))
		fail_msg("%s: expected \"%s\", got \"%.*s\"", name, want, (int)len, ptr);
}

struct parse_case {
	const char *name;
	const char *in;
	size_t len;
	int want; /* 1: the whole input is one valid head; else the negated status */
	enum ps_method method;
	int minor, keep_alive, has_body;
};

/* clang-format off */
#define OK(name, in, method, minor, ka, body) {name, in, sizeof(in) - 1, 1, method, minor, ka, body}
#define ERR(name, in, status) {name, in, sizeof(in) - 1, -(status), 0, 0, 0, 0}
#define H11 "Host: example.org\r\n"
/* clang-format on */

static const struct parse_case parse_cases[] = {
        OK("GET 1.1", "GET / HTTP/1.1\r\n" H11 "\r\n", PS_METHOD_GET, 1, 1, 0),
        OK("HEAD 1.1", "HEAD /r.git/HEAD HTTP/1.1\r\n" H11 "\r\n", PS_METHOD_HEAD, 1, 1, 0),
        OK("POST is other", "POST / HTTP/1.1\r\n" H11 "\r\n", PS_METHOD_OTHER, 1, 1, 0),
        OK("DELETE is other", "DELETE /x HTTP/1.1\r\n" H11 "\r\n", PS_METHOD_OTHER, 1, 1, 0),
        OK("methods are case-sensitive", "get / HTTP/1.1\r\n" H11 "\r\n", PS_METHOD_OTHER, 1, 1, 0),
        OK("token method", "M-SEARCH! / HTTP/1.1\r\n" H11 "\r\n", PS_METHOD_OTHER, 1, 1, 0),
        OK("1.0 without Host", "GET / HTTP/1.0\r\n\r\n", PS_METHOD_GET, 0, 0, 0),
        OK("1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", PS_METHOD_GET, 0,
                1, 0),
        OK("1.0 Keep-Alive", "GET / HTTP/1.0\r\nconnection:Keep-Alive \r\n\r\n", PS_METHOD_GET, 0,
                1, 0),
        OK("1.0 keep-alive then close", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
                PS_METHOD_GET, 0, 0, 0),
        OK("1.0 other token", "GET / HTTP/1.0\r\nConnection: upgrade\r\n\r\n", PS_METHOD_GET, 0, 0,
                0),
        OK("1.1 close", "GET / HTTP/1.1\r\n" H11 "Connection: close\r\n\r\n", PS_METHOD_GET, 1, 0,
                0),
        OK("1.1 foo, Close", "GET / HTTP/1.1\r\n" H11 "Connection: foo, Close\r\n\r\n",
                PS_METHOD_GET, 1, 0, 0),
        OK("1.1 close on a second line",
                "GET / HTTP/1.1\r\n" H11 "Connection: te\r\nConnection: ,CLOSE ,\r\n\r\n",
                PS_METHOD_GET, 1, 0, 0),
        OK("1.1 closed is not close", "GET / HTTP/1.1\r\n" H11 "Connection: closed\r\n\r\n",
                PS_METHOD_GET, 1, 1, 0),
        OK("1.1 keep-alive", "GET / HTTP/1.1\r\n" H11 "Connection: keep-alive\r\n\r\n",
                PS_METHOD_GET, 1, 1, 0),
        OK("bare LF endings", "GET / HTTP/1.1\n" H11 "X: y\n\n", PS_METHOD_GET, 1, 1, 0),
        OK("mixed endings", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\n", PS_METHOD_GET, 1, 1, 0),
        OK("leading empty lines", "\r\n\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n", PS_METHOD_GET, 1, 1,
                0),
        OK("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", PS_METHOD_GET, 1, 1, 0),
        OK("obs-text in a value", "GET / HTTP/1.1\r\n" H11 "User-Agent: caf\xc3\xa9\r\n\r\n",
                PS_METHOD_GET, 1, 1, 0),
        OK("tab in a value", "GET / HTTP/1.1\r\n" H11 "X:\ta\tb\t\r\n\r\n", PS_METHOD_GET, 1, 1, 0),
        OK("Content-Length 0", "GET / HTTP/1.1\r\n" H11 "Content-Length: 0\r\n\r\n", PS_METHOD_GET,
                1, 1, 0),
        OK("Content-Length 5", "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\n",
                PS_METHOD_OTHER, 1, 1, 1),
        OK("Content-Length agreeing",
                "GET / HTTP/1.1\r\n" H11 "content-length: 5\r\nContent-Length: 005\r\n\r\n",
                PS_METHOD_GET, 1, 1, 1),
        OK("Content-Length max",
                "GET / HTTP/1.1\r\n" H11 "Content-Length: 18446744073709551615\r\n\r\n",
                PS_METHOD_GET, 1, 1, 1),
        OK("absolute-form", "GET http://example.com/a.git/HEAD HTTP/1.1\r\n" H11 "\r\n",
                PS_METHOD_GET, 1, 1, 0),

        ERR("bare CR ending the request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
        ERR("bare CR in the target", "GET /a\rb HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("bare CR in a value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400),
        ERR("bare CR as the final line", "GET / HTTP/1.1\r\n" H11 "\r\r\n", 400),
        ERR("bare CR before the request line", "\rGET / HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("NUL in the target", "GET /a\0b HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("NUL in a value", "GET / HTTP/1.1\r\n" H11 "X: a\0b\r\n\r\n", 400),
        ERR("NUL in a name", "GET / HTTP/1.1\r\n" H11 "X\0: a\r\n\r\n", 400),
        ERR("NUL first", "\0GET / HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("DEL in a value", "GET / HTTP/1.1\r\n" H11 "X: a\x7f\r\n\r\n", 400),
        ERR("header without colon", "GET / HTTP/1.1\r\n" H11 "Xfoo\r\n\r\n", 400),
        ERR("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ERR("tab before colon", "GET / HTTP/1.1\r\n" H11 "X\t: a\r\n\r\n", 400),
        ERR("empty name", "GET / HTTP/1.1\r\n" H11 ": a\r\n\r\n", 400),
        ERR("bad name byte", "GET / HTTP/1.1\r\n" H11 "X(y): a\r\n\r\n", 400),
        ERR("obs-fold", "GET / HTTP/1.1\r\n" H11 "X: a\r\n b\r\n\r\n", 400),
        ERR("obs-fold with tab", "GET / HTTP/1.1\r\n" H11 "X: a\r\n\tb\r\n\r\n", 400),
        ERR("folded first line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),
        ERR("1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400),
        ERR("duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nhOsT: a\r\n\r\n", 400),
        ERR("duplicate Range",
                "GET / HTTP/1.1\r\n" H11 "Range: bytes=0-1\r\nrange: bytes=0-1\r\n\r\n", 400),
        ERR("duplicate If-Range",
                "GET / HTTP/1.1\r\n" H11 "If-Range: \"a\"\r\nIf-Range: \"a\"\r\n\r\n", 400),
        ERR("Content-Length letters", "GET / HTTP/1.1\r\n" H11 "Content-Length: abc\r\n\r\n", 400),
        ERR("Content-Length empty", "GET / HTTP/1.1\r\n" H11 "Content-Length: \r\n\r\n", 400),
        ERR("Content-Length negative", "GET / HTTP/1.1\r\n" H11 "Content-Length: -1\r\n\r\n", 400),
        ERR("Content-Length plus", "GET / HTTP/1.1\r\n" H11 "Content-Length: +1\r\n\r\n", 400),
        ERR("Content-Length two numbers", "GET / HTTP/1.1\r\n" H11 "Content-Length: 1 2\r\n\r\n",
                400),
        ERR("Content-Length list", "GET / HTTP/1.1\r\n" H11 "Content-Length: 5, 5\r\n\r\n", 400),
        ERR("Content-Length conflicting",
                "GET / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
        ERR("Content-Length overflow",
                "GET / HTTP/1.1\r\n" H11 "Content-Length: 18446744073709551616\r\n\r\n", 400),
        ERR("Transfer-Encoding", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n",
                501),
        ERR("transfer-encoding identity",
                "GET / HTTP/1.1\r\n" H11 "transfer-encoding: identity\r\n\r\n", 501),
        /* Both framings (RFC 9112 6.3): a smuggling attempt whichever comes first, 400 not 501. */
        ERR("Content-Length then Transfer-Encoding",
                "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                400),
        ERR("Transfer-Encoding then Content-Length",
                "GET / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
                400),
        ERR("HTTP/2.0", "GET / HTTP/2.0\r\n" H11 "\r\n", 505),
        ERR("HTTP/1.2", "GET / HTTP/1.2\r\n" H11 "\r\n", 505),
        ERR("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505),
        ERR("HTTP/1.1x", "GET / HTTP/1.1x\r\n" H11 "\r\n", 400),
        ERR("HTTP/1", "GET / HTTP/1\r\n" H11 "\r\n", 400),
        ERR("HTTP/11.1", "GET / HTTP/11.1\r\n" H11 "\r\n", 400),
        ERR("lowercase version", "GET / http/1.1\r\n" H11 "\r\n", 400),
        ERR("no version", "GET /\r\n\r\n", 400),
        ERR("two spaces after method", "GET  / HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("two spaces before version", "GET /  HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("space after version", "GET / HTTP/1.1 \r\n" H11 "\r\n", 400),
        ERR("tab separator", "GET\t/ HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("space in target", "GET /a b HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("no method", " / HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("bad method byte", "G(T / HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("asterisk-form", "OPTIONS * HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("authority-form", "CONNECT example.org:443 HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("absolute-form without path", "GET http://example.com HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("absolute-form with userinfo", "GET http://u@example.com/ HTTP/1.1\r\n" H11 "\r\n",
                400),
        ERR("absolute-form other scheme", "GET ftp://example.com/ HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("raw UTF-8 in the target", "GET /caf\xc3\xa9 HTTP/1.1\r\n" H11 "\r\n", 400),
        ERR("DEL in the target", "GET /a\x7f HTTP/1.1\r\n" H11 "\r\n", 400),
};

static void test_parse_table(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct ps_request req;
		int rc = parse_n(&req, c->in, c->len);
		int want = c->want == 1 ? (int)c->len : c->want;

		if (rc != want)
			fail_msg("%s: ps_http_parse returned %d, expected %d", c->name, rc, want);
		if (c->want != 1)
			continue;
		if ((int)req.method != (int)c->method || req.http_minor != c->minor ||
		        req.keep_alive != c->keep_alive || req.has_body != c->has_body ||
		        req.header_bytes != c->len)
			fail_msg("%s: method %d minor %d keep-alive %d body %d bytes %zu", c->name,
			        (int)req.method, req.http_minor, req.keep_alive, req.has_body,
			        req.header_bytes);
	}
}

/* The fields we extract: values trimmed of OWS, names case-insensitive, the others ignored. */
static void test_parse_fields(void **state)
{
	static const char in[] = "GET /r.git/info/refs?service=git-upload-pack HTTP/1.1\r\n"
	                         "hOsT:  example.org:8080 \r\n"
	                         "X-Unknown: whatever\r\n"
	                         "RANGE: bytes=0-99\t\r\n"
	                         "If-None-Match: \"a\", W/\"b\"\r\n"
	                         "If-None-Match: \"c\"\r\n"
	                         "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	                         "If-Range: \"a\"\r\n"
	                         "User-Agent: git/2.43.0\r\n"
	                         "Referer: http://x/\r\n"
	                         "\r\n";
	static const char abs[] =
	        "GET https://Other.example/a.git/HEAD?x HTTP/1.1\r\nHost: ignored\r\n\r\n";
	struct ps_request req;
	(void)state;

	assert_int_equal(parse_n(&req, in, sizeof(in) - 1), (int)(sizeof(in) - 1));
	expect_field(
	        "target", req.target, req.target_len, "/r.git/info/refs?service=git-upload-pack");
	expect_field("host", req.host, req.host_len, "example.org:8080");
	expect_field("range", req.range, req.range_len, "bytes=0-99");
	expect_field("if-none-match", req.if_none_match, req.if_none_match_len, "\"a\", W/\"b\"");
	expect_field("if-modified-since", req.if_modified_since, req.if_modified_since_len,
	        "Sun, 06 Nov 1994 08:49:37 GMT");
	expect_field("if-range", req.if_range, req.if_range_len, "\"a\"");
	expect_field("user-agent", req.user_agent, req.user_agent_len, "git/2.43.0");
	expect_field("referer", req.referer, req.referer_len, "http://x/");

	assert_int_equal(parse_n(&req, abs, sizeof(abs) - 1), (int)(sizeof(abs) - 1));
	expect_field("absolute target", req.target, req.target_len, "/a.git/HEAD?x");
	expect_field("absolute host", req.host, req.host_len, "Other.example");
	expect_field("no range", req.range, req.range_len, NULL);
	expect_field("no user-agent", req.user_agent, req.user_agent_len, NULL);
}

/* Three requests in one buffer, the last one cut short: parse, move on by header_bytes, repeat. */
static void test_pipelined(void **state)
{
	static const char one[] = "GET /a HTTP/1.1\r\n" H11 "\r\n";
	static const char two[] = "HEAD /b HTTP/1.1\r\n" H11 "Connection: close\r\n\r\n";
	static const char three[] = "GET /c HTTP/1.1\r\nHo";
	char buf[256];
	size_t n1 = sizeof(one) - 1, n2 = sizeof(two) - 1, n3 = sizeof(three) - 1, off;
	struct ps_request req;
	int rc;
	(void)state;

	memcpy(buf, one, n1);
	memcpy(buf + n1, two, n2);
	memcpy(buf + n1 + n2, three, n3);

	rc = parse_n(&req, buf, n1 + n2 + n3);
	assert_int_equal(rc, (int)n1);
	assert_int_equal(req.method, PS_METHOD_GET);
	expect_field("first target", req.target, req.target_len, "/a");
	off = req.header_bytes;

	rc = parse_n(&req, buf + off, n1 + n2 + n3 - off);
	assert_int_equal(rc, (int)n2);
	assert_int_equal(req.method, PS_METHOD_HEAD);
	assert_int_equal(req.keep_alive, 0);
	expect_field("second target", req.target, req.target_len, "/b");
	off += req.header_bytes;

	assert_int_equal(parse_n(&req, buf + off, n1 + n2 + n3 - off), 0);
}

/* Every proper prefix of a valid head is "read more", and the whole is the head. */
static void test_incomplete_prefixes(void **state)
{
	static const char *const reqs[] = {
	        "GET /r.git/objects/info/packs HTTP/1.1\r\n" H11
	        "Range: bytes=5-\r\nUser-Agent: git/2\r\n\r\n",
	        "\r\n\nHEAD / HTTP/1.0\nConnection: keep-alive\n\n",
	        "GET http://h/x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n",
	        "GET / HTTP/1.0\r\n\r\n",
	};
	size_t i, k;
	(void)state;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t n = strlen(reqs[i]);
		struct ps_request req;

		for (k = 0; k < n; k++) {
			int rc = parse_n(&req, reqs[i], k);
			if (rc != 0)
				fail_msg("request %zu, prefix of %zu bytes: %d instead of 0", i, k,
				        rc);
		}
		assert_int_equal(parse_n(&req, reqs[i], n), (int)n);
	}
	assert_int_equal(ps_http_parse(&(struct ps_request){0}, NULL, 0), 0);
}

/* A buffer holding "GET /aaa… HTTP/1.1" of exactly `line` bytes, then `rest`. Caller frees. */
static char *long_request(size_t line, const char *rest, size_t *len)
{
	static const char head[] = "GET /", tail[] = " HTTP/1.1";
	size_t hn = sizeof(head) - 1, tn = sizeof(tail) - 1, rn = strlen(rest);
	char *p = malloc(line + rn);

	assert_non_null(p);
	assert_true(line > hn + tn);
	memcpy(p, head, hn);
	memset(p + hn, 'a', line - hn - tn);
	memcpy(p + line - tn, tail, tn);
	memcpy(p + line, rest, rn);
	*len = line + rn;
	return p;
}

static void test_request_line_cap(void **state)
{
	struct ps_request req;
	size_t n;
	char *p;
	(void)state;

	p = long_request(PS_MAX_REQUEST_LINE, "\r\n" H11 "\r\n", &n);
	assert_int_equal(parse_n(&req, p, n), (int)n);
	assert_int_equal(req.target_len, PS_MAX_REQUEST_LINE - 4 - 9);
	/* incomplete at the cap, or at the cap and a CR that may begin the CRLF: read more */
	assert_int_equal(parse_n(&req, p, PS_MAX_REQUEST_LINE), 0);
	assert_int_equal(parse_n(&req, p, PS_MAX_REQUEST_LINE + 1), 0);
	free(p);

	p = long_request(PS_MAX_REQUEST_LINE, "\n" H11 "\n", &n);
	assert_int_equal(parse_n(&req, p, n), (int)n);
	free(p);

	p = long_request(PS_MAX_REQUEST_LINE + 1, "\r\n" H11 "\r\n", &n);
	assert_int_equal(parse_n(&req, p, n), -414);
	/* one byte over, still incomplete: 414 at once */
	assert_int_equal(parse_n(&req, p, PS_MAX_REQUEST_LINE + 1), -414);
	assert_int_equal(parse_n(&req, p, PS_MAX_REQUEST_LINE), 0);
	free(p);

	/* far over both caps: still 414, which names the cause */
	p = long_request(3 * PS_MAX_HEADERS, "\r\n\r\n", &n);
	assert_int_equal(parse_n(&req, p, n), -414);
	assert_int_equal(parse_n(&req, p, 3 * PS_MAX_HEADERS - 20), -414);
	free(p);
}

/* A head of exactly `total` bytes: request line, Host, one padding field, the empty line. */
static char *padded_head(size_t total, size_t *len)
{
	static const char head[] = "GET / HTTP/1.1\r\n" H11 "X-Pad: ", tail[] = "\r\n\r\n";
	size_t hn = sizeof(head) - 1, tn = sizeof(tail) - 1;
	char *p = malloc(total);

	assert_non_null(p);
	memcpy(p, head, hn);
	memset(p + hn, 'p', total - hn - tn);
	memcpy(p + total - tn, tail, tn);
	*len = total;
	return p;
}

static void test_head_cap(void **state)
{
	struct ps_request req;
	size_t n;
	char *p, *q;
	(void)state;

	p = padded_head(PS_MAX_HEADERS, &n);
	assert_int_equal(parse_n(&req, p, n), PS_MAX_HEADERS);
	assert_int_equal(parse_n(&req, p, n - 1), 0);
	/* followed by the next request's bytes: still this one */
	q = malloc(n + 5);
	assert_non_null(q);
	memcpy(q, p, n);
	memcpy(q + n, "GET /", 5);
	assert_int_equal(parse_n(&req, q, n + 5), PS_MAX_HEADERS);
	free(q);
	free(p);

	p = padded_head(PS_MAX_HEADERS + 1, &n);
	assert_int_equal(parse_n(&req, p, n), -431);
	/* a partial head at the cap may still end right there; one byte more cannot */
	assert_int_equal(parse_n(&req, p, PS_MAX_HEADERS), 0);
	assert_int_equal(parse_n(&req, p, PS_MAX_HEADERS + 1), -431);
	free(p);

	/* empty lines before the request line count toward the head */
	p = malloc(PS_MAX_HEADERS + 1);
	assert_non_null(p);
	memset(p, '\n', PS_MAX_HEADERS + 1);
	assert_int_equal(parse_n(&req, p, PS_MAX_HEADERS), 0);
	assert_int_equal(parse_n(&req, p, PS_MAX_HEADERS + 1), -431);
	free(p);
}

/* A head with Host and `extra` more fields; `end` adds the empty line. */
static char *many_fields(int extra, int end, size_t *len)
{
	size_t cap = 64 + (size_t)extra * 16, n;
	char *p = malloc(cap);
	int i;

	assert_non_null(p);
	n = (size_t)snprintf(p, cap, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (i = 0; i < extra; i++)
		n += (size_t)snprintf(p + n, cap - n, "X-%d: v\r\n", i);
	if (end)
		n += (size_t)snprintf(p + n, cap - n, "\r\n");
	assert_true(n < cap);
	*len = n;
	return p;
}

static void test_field_count_cap(void **state)
{
	struct ps_request req;
	size_t n;
	char *p;
	(void)state;

	p = many_fields(PS_MAX_HEADER_FIELDS - 1, 1, &n);
	assert_int_equal(parse_n(&req, p, n), (int)n);
	free(p);
	p = many_fields(PS_MAX_HEADER_FIELDS, 1, &n);
	assert_int_equal(parse_n(&req, p, n), -431);
	free(p);
	/* known as soon as the field is there, before the head ends */
	p = many_fields(PS_MAX_HEADER_FIELDS, 0, &n);
	assert_int_equal(parse_n(&req, p, n), -431);
	free(p);
}

struct path_case {
	const char *in;
	size_t len;
	int want; /* > 0: success, the output is `out`; else the error */
	const char *out;
};

/* clang-format off */
#define PGOOD(in, out) {in, sizeof(in) - 1, 1, out}
#define PBAD(in, status) {in, sizeof(in) - 1, -(status), NULL}
/* clang-format on */

static const struct path_case path_cases[] = {
        PGOOD("/", "/"),
        PGOOD("/repo.git/", "/repo.git/"),
        PGOOD("/repo.git/info/refs?service=git-upload-pack", "/repo.git/info/refs"),
        PGOOD("/a?x=%zz&y=/../", "/a"),
        PGOOD("/a#frag/../x", "/a"),
        PGOOD("/a%20b", "/a b"),
        PGOOD("/%41%62c", "/Abc"),
        PGOOD("/a%2e", "/a."),
        PGOOD("/a/..b/...", "/a/..b/..."),
        PGOOD("/.git/x", "/.git/x"),
        PGOOD("/caf%C3%a9", "/caf\xc3\xa9"),
        PGOOD("/?", "/"),

        PBAD("/../etc/passwd", 400),
        PBAD("/..", 400),
        PBAD("/a/..", 400),
        PBAD("/a/../", 400),
        PBAD("/a/%2e%2e/b", 400),
        PBAD("/a/%2E%2e/b", 400),
        PBAD("/a/.%2e/b", 400),
        PBAD("/a/%2e%2e", 400),
        PBAD("/a%2fb", 400),
        PBAD("/a%2Fb", 400),
        PBAD("/a%00b", 400),
        PBAD("/a\0b", 400),
        PBAD("/a\\b", 400),
        PBAD("/a%5cb", 400),
        PBAD("/a%5Cb", 400),
        PBAD("//a", 400),
        PBAD("/a//b", 400),
        PBAD("/a//", 400),
        PBAD("/./a", 400),
        PBAD("/a/.", 400),
        PBAD("/a/./", 400),
        PBAD("/a/%2e", 400),
        PBAD("/.", 400),
        PBAD("/a%", 400),
        PBAD("/a%4", 400),
        PBAD("/a%4?", 400),
        PBAD("/a%g1", 400),
        PBAD("/a%zz", 400),
        PBAD("/a%0a", 400),
        PBAD("/a%7f", 400),
        PBAD("/a\x7f", 400),
        PBAD("/a\x01", 400),
        PBAD("a/b", 400),
        PBAD("", 400),
        PBAD("*", 400),
        PBAD("http://h/a", 400),
        PBAD("?/a", 400),
};

static void test_decode_path_table(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		char *in = exact_copy(c->in, c->len);
		char out[128];
		int rc = ps_http_decode_path(out, sizeof(out), in, c->len);

		free(in);
		if (c->want < 0) {
			if (rc != c->want)
				fail_msg(
				        "case %zu \"%s\": %d instead of %d", i, c->in, rc, c->want);
			continue;
		}
		if (rc != (int)strlen(c->out) || strcmp(out, c->out))
			fail_msg("case %zu \"%s\": %d \"%s\" instead of \"%s\"", i, c->in, rc,
			        rc > 0 ? out : "", c->out);
	}
}

/* The output buffer's size: exactly enough, one short, none; bad paths stay 400 whatever the room.
 */
static void test_decode_path_cap(void **state)
{
	static const char t[] = "/r.git/o%41";
	char out[16];
	(void)state;

	memset(out, 'X', sizeof(out));
	assert_int_equal(ps_http_decode_path(out, 10, t, sizeof(t) - 1), 9);
	assert_string_equal(out, "/r.git/oA");
	assert_int_equal(out[10], 'X');

	memset(out, 'X', sizeof(out));
	assert_int_equal(ps_http_decode_path(out, 9, t, sizeof(t) - 1), -414);
	assert_int_equal(out[9], 'X');
	assert_int_equal(ps_http_decode_path(out, 0, t, sizeof(t) - 1), -414);
	assert_int_equal(ps_http_decode_path(out, 3, "/aaaaa/../", 10), -400);
}

struct kind_case {
	const char *rel;
	enum ps_kind want;
};

#define HEX40 "0123456789abcdef0123456789abcdef01234567"
#define HEX64 HEX40 "89abcdef0123456789abcdef"
#define HEX38 "23456789abcdef0123456789abcdef01234567"
#define HEX62 HEX38 "89abcdef0123456789abcdef"

static const struct kind_case kind_cases[] = {
        {"info/refs", PS_KIND_INFO_REFS},
        {"HEAD", PS_KIND_HEAD},
        {"objects/info/packs", PS_KIND_INFO_PACKS},
        {"objects/pack/pack-" HEX40 ".pack", PS_KIND_PACK},
        {"objects/pack/pack-" HEX40 ".idx", PS_KIND_IDX},
        {"objects/pack/pack-" HEX40 ".rev", PS_KIND_REV},
        {"objects/pack/pack-" HEX64 ".pack", PS_KIND_PACK},
        {"objects/pack/pack-" HEX64 ".idx", PS_KIND_IDX},
        {"objects/pack/pack-" HEX64 ".rev", PS_KIND_REV},
        {"objects/01/" HEX38, PS_KIND_LOOSE},
        {"objects/ff/" HEX62, PS_KIND_LOOSE},
        {"bundle", PS_KIND_BUNDLE},
        {"bundle-list", PS_KIND_BUNDLE_LIST},
        {"bundle/", PS_KIND_NONE},
        {"bundle-lis", PS_KIND_NONE},
        {"Bundle", PS_KIND_NONE},
        {"bundle.bundle", PS_KIND_NONE},

        {"config", PS_KIND_NONE},
        {"description", PS_KIND_NONE},
        {"hooks/pre-receive", PS_KIND_NONE},
        {"packed-refs", PS_KIND_NONE},
        {"refs/heads/main", PS_KIND_NONE},
        {"objects/info/alternates", PS_KIND_NONE},
        {"objects/info/http-alternates", PS_KIND_NONE},
        {"objects/pack/tmp_pack_x", PS_KIND_NONE},
        {"objects/pack/tmp_idx_" HEX40, PS_KIND_NONE},
        {"objects/pack/pack-" HEX40 ".pack.temp", PS_KIND_NONE},
        {"objects/pack/pack-" HEX40 ".packx", PS_KIND_NONE},
        {"objects/pack/pack-" HEX40 ".keep", PS_KIND_NONE},
        {"objects/pack/pack-" HEX40 ".bitmap", PS_KIND_NONE},
        {"objects/pack/pack-" HEX40 ".", PS_KIND_NONE},
        {"objects/pack/pack-" HEX40, PS_KIND_NONE},
        {"objects/pack/pack-" HEX40 "0.pack", PS_KIND_NONE},
        {"objects/pack/pack-" HEX38 "0.pack", PS_KIND_NONE},
        {"objects/pack/pack-" HEX64 "0.pack", PS_KIND_NONE},
        {"objects/pack/pack-" HEX62 "0.pack", PS_KIND_NONE},
        {"objects/pack/pack-" HEX40 "0123456789ab.pack", PS_KIND_NONE},
        {"objects/pack/pack-0123456789ABCDEF0123456789abcdef01234567.pack", PS_KIND_NONE},
        {"objects/pack/pack-g123456789abcdef0123456789abcdef01234567.idx", PS_KIND_NONE},
        {"objects/pack/Pack-" HEX40 ".pack", PS_KIND_NONE},
        {"objects/pack/pack-" HEX40 ".PACK", PS_KIND_NONE},
        {"objects/pack//pack-" HEX40 ".pack", PS_KIND_NONE},
        {"/objects/pack/pack-" HEX40 ".pack", PS_KIND_NONE},
        {"objects/01/" HEX38 "0", PS_KIND_NONE},
        {"objects/01/" HEX40, PS_KIND_NONE},
        {"objects/01/0" HEX62, PS_KIND_NONE},
        {"objects/01/"
         "0123456789abcdef0123456789abcdef0123456",
                PS_KIND_NONE},
        {"objects/0/" HEX38 "0", PS_KIND_NONE},
        {"objects/AB/" HEX38, PS_KIND_NONE},
        {"objects/ab/"
         "23456789ABCDEF0123456789abcdef01234567",
                PS_KIND_NONE},
        {"objects/ab_" HEX38, PS_KIND_NONE},
        {"objects/info/packs/", PS_KIND_NONE},
        {"info/refs/", PS_KIND_NONE},
        {"info/refsx", PS_KIND_NONE},
        {"/info/refs", PS_KIND_NONE},
        {"head", PS_KIND_NONE},
        {"HEAD/", PS_KIND_NONE},
        {"FETCH_HEAD", PS_KIND_NONE},
        {"", PS_KIND_NONE},
};

static void test_classify(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		const struct kind_case *c = &kind_cases[i];
		size_t n = strlen(c->rel);
		char *p = exact_copy(c->rel, n);
		enum ps_kind k = ps_http_classify(p, n);

		free(p);
		if (k != c->want)
			fail_msg("\"%s\": kind %d instead of %d", c->rel, (int)k, (int)c->want);
	}
	/* only `len` bytes count */
	assert_int_equal(ps_http_classify("info/refsX", 9), PS_KIND_INFO_REFS);
	assert_int_equal(ps_http_classify("info/refs", 8), PS_KIND_NONE);
	assert_int_equal(ps_http_classify("HEAD\0", 5), PS_KIND_NONE);
}

static void test_repo_names(void **state)
{
	char name[257];
	(void)state;

	assert_true(ps_http_valid_repo_name("repo.git", 8));
	assert_true(ps_http_valid_repo_name("a", 1));
	assert_true(ps_http_valid_repo_name("A-b_c.9", 7));
	assert_true(ps_http_valid_repo_name("-x", 2));
	assert_false(ps_http_valid_repo_name("", 0));
	assert_false(ps_http_valid_repo_name(".git", 4));
	assert_false(ps_http_valid_repo_name("..", 2));
	assert_false(ps_http_valid_repo_name("a/b", 3));
	assert_false(ps_http_valid_repo_name("a b", 3));
	assert_false(ps_http_valid_repo_name("a%2f", 4));
	assert_false(ps_http_valid_repo_name("a\0b", 3));
	assert_false(ps_http_valid_repo_name("caf\xc3\xa9", 5));
	memset(name, 'n', sizeof(name));
	assert_true(ps_http_valid_repo_name(name, 255));
	assert_false(ps_http_valid_repo_name(name, 256));
}

struct range_case {
	const char *hdr;
	uint64_t size;
	int want;
	uint64_t first, last;
};

static const struct range_case range_cases[] = {
        {"bytes=0-0", 10, 1, 0, 0},
        {"bytes=0-9", 10, 1, 0, 9},
        {"bytes=2-5", 10, 1, 2, 5},
        {"bytes=0-99", 10, 1, 0, 9},
        {"bytes=5-", 10, 1, 5, 9},
        {"bytes=9-", 10, 1, 9, 9},
        {"bytes=-3", 10, 1, 7, 9},
        {"bytes=-10", 10, 1, 0, 9},
        {"bytes=-11", 10, 1, 0, 9},
        {"BYTES=1-2", 10, 1, 1, 2},
        {"Bytes=1-2", 10, 1, 1, 2},
        {"  bytes=1-2 \t", 10, 1, 1, 2},
        {"bytes= 1-2", 10, 1, 1, 2},
        {"bytes=0-99999999999999999999999", 10, 1, 0, 9},
        {"bytes=-99999999999999999999", 10, 1, 0, 9},
        {"bytes=18446744073709551614-", UINT64_MAX, 1, UINT64_MAX - 1, UINT64_MAX - 1},
        {"bytes=-1", UINT64_MAX, 1, UINT64_MAX - 1, UINT64_MAX - 1},
        {"bytes=10-", 10, -1, 0, 0},
        {"bytes=10-20", 10, -1, 0, 0},
        {"bytes=99999999999999999999999-", 10, -1, 0, 0},
        {"bytes=18446744073709551615-", 10, -1, 0, 0},
        /* 2^64 + 5, 2^64 + 1, 2^64: a wrapping parser would see 5, 1 and 0 */
        {"bytes=18446744073709551621-", 10, -1, 0, 0},
        {"bytes=-18446744073709551617", 10, 1, 0, 9},
        {"bytes=0-18446744073709551616", 10, 1, 0, 9},
        {"bytes=-0", 10, -1, 0, 0},
        {"bytes=0-", 0, -1, 0, 0},
        {"bytes=0-0", 0, -1, 0, 0},
        {"bytes=-5", 0, -1, 0, 0},
        {"bytes=5-3", 10, 0, 0, 0},
        {"bytes=5-3", 0, 0, 0, 0},
        {"bytes=0-1,5-6", 10, 0, 0, 0},
        {"bytes=0-1, 5-6", 10, 0, 0, 0},
        {"bytes=0-1,", 10, 0, 0, 0},
        {"items=0-1", 10, 0, 0, 0},
        {"bytes = 0-1", 10, 0, 0, 0},
        {"bytes=0 - 1", 10, 0, 0, 0},
        {"bytes=", 10, 0, 0, 0},
        {"bytes=-", 10, 0, 0, 0},
        {"bytes", 10, 0, 0, 0},
        {"", 10, 0, 0, 0},
        {"bytes=a-b", 10, 0, 0, 0},
        {"bytes=1-2-3", 10, 0, 0, 0},
        {"bytes=--1", 10, 0, 0, 0},
        {"bytes=0x1-2", 10, 0, 0, 0},
        {"bytes=1-2junk", 10, 0, 0, 0},
        {"bytes=1x2", 10, 0, 0, 0},
        {"bytes=+1-2", 10, 0, 0, 0},
};

static void test_range_table(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
		const struct range_case *c = &range_cases[i];
		size_t n = strlen(c->hdr);
		char *p = exact_copy(c->hdr, n);
		uint64_t first = 12345, last = 12345;
		int rc = ps_http_range(&first, &last, p, n, c->size);

		free(p);
		if (rc != c->want)
			fail_msg("\"%s\" size %llu: %d instead of %d", c->hdr,
			        (unsigned long long)c->size, rc, c->want);
		if (rc == 1 && (first != c->first || last != c->last))
			fail_msg("\"%s\": [%llu, %llu] instead of [%llu, %llu]", c->hdr,
			        (unsigned long long)first, (unsigned long long)last,
			        (unsigned long long)c->first, (unsigned long long)c->last);
	}
	assert_int_equal(ps_http_range(&(uint64_t){0}, &(uint64_t){0}, NULL, 0, 10), 0);
}

struct etag_case {
	const char *hdr;
	int want;
};

static void test_etag_match(void **state)
{
	static const char etag[] = "\"abc\"";
	static const struct etag_case cases[] = {
	        {"\"abc\"", 1},
	        {"W/\"abc\"", 1},
	        {"\"x\", \"abc\"", 1},
	        {"\"x\",W/\"abc\"", 1},
	        {" \"x\" ,\t\"abc\" ", 1},
	        {", ,\"abc\",", 1},
	        {"\"a,b\", \"abc\"", 1},
	        {"*", 1},
	        {" * ", 1},
	        {"\"abd\"", 0},
	        {"\"ab\"", 0},
	        {"\"abcd\"", 0},
	        {"abc", 0},
	        {"\"abc", 0},
	        {"\"x\", junk, \"abc\"", 0},
	        {"\"abc\", junk", 0},
	        {"\"abc\"\"abc\"", 0},
	        {"w/\"abc\"", 0},
	        {"W/ \"abc\"", 0},
	        {"*, \"abc\"", 0},
	        {"**", 0},
	        {"", 0},
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].hdr);
		char *p = exact_copy(cases[i].hdr, n);
		int rc = ps_http_etag_match(p, n, etag);

		free(p);
		if (rc != cases[i].want)
			fail_msg("If-None-Match: %s: %d instead of %d", cases[i].hdr, rc,
			        cases[i].want);
	}
	assert_int_equal(ps_http_etag_match(NULL, 0, etag), 0);
}

static void test_if_range(void **state)
{
	static const char etag[] = "\"abc\"";
	static const struct etag_case cases[] = {
	        {"\"abc\"", 1},
	        {" \"abc\" ", 1},
	        {"W/\"abc\"", 0},
	        {"\"abd\"", 0},
	        {"\"abc\", \"x\"", 0},
	        {"\"abc", 0},
	        {"*", 0},
	        {"Sun, 06 Nov 1994 08:49:37 GMT", 1},
	        {"Sunday, 06-Nov-94 08:49:37 GMT", 1},
	        {"Sun Nov  6 08:49:37 1994", 1},
	        {"Sun, 06 Nov 1994 08:49:38 GMT", 0},
	        {"Sun, 06 Nov 1994 08:49:36 GMT", 0},
	        {"Sun, 06 Nov 1994 08:49:37 GMT junk", 0},
	        {"garbage", 0},
	        {"", 0},
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].hdr);
		char *p = exact_copy(cases[i].hdr, n);
		int rc = ps_http_if_range_ok(p, n, etag, RFC_EXAMPLE_TIME);

		free(p);
		if (rc != cases[i].want)
			fail_msg("If-Range: %s: %d instead of %d", cases[i].hdr, rc, cases[i].want);
	}
	/* a date may begin with 'W' too: not to be mistaken for a weak tag */
	assert_int_equal(ps_http_if_range_ok("Wed, 09 Nov 1994 08:49:37 GMT", 29, etag,
	                         RFC_EXAMPLE_TIME + 3 * 86400),
	        1);
	/* no If-Range: nothing stands in the way */
	assert_int_equal(ps_http_if_range_ok(NULL, 0, etag, RFC_EXAMPLE_TIME), 1);
}

struct date_case {
	const char *s;
	int ok;
	time_t t; /* from `date -u -d … +%s` */
};

static const struct date_case date_cases[] = {
        {"Sun, 06 Nov 1994 08:49:37 GMT", 1, 784111777},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 1, 784111777},
        {"Sun Nov  6 08:49:37 1994", 1, 784111777},
        {"Thu, 01 Jan 1970 00:00:00 GMT", 1, 0},
        {"Wed, 31 Dec 1969 23:59:59 GMT", 1, -1},
        {"Tue, 29 Feb 2000 00:00:00 GMT", 1, 951782400},
        {"Thu, 01 Mar 1900 00:00:00 GMT", 1, -2203891200},
        {"Fri, 31 Dec 9999 23:59:59 GMT", 1, 253402300799},
        {"Sat, 31 Dec 2016 23:59:60 GMT", 1, 1483228800},
        {"Thursday, 01-Jan-70 00:00:00 GMT", 1, 0},
        {"Saturday, 01-Jan-00 00:00:00 GMT", 1, 946684800},
        {"Tuesday, 31-Dec-69 23:59:59 GMT", 1, 3155759999},
        {"Wednesday, 06-Nov-94 08:49:37 GMT", 1, 784111777},
        {"Thu Jan 15 12:00:00 2015", 1, 1421323200},

        {"Mon, 30 Feb 1994 08:49:37 GMT", 0, 0},
        {"Thu, 29 Feb 1900 00:00:00 GMT", 0, 0},
        {"Sat, 29 Feb 1997 00:00:00 GMT", 0, 0},
        {"Sun, 31 Apr 1994 00:00:00 GMT", 0, 0},
        {"Sun, 32 Jan 1994 00:00:00 GMT", 0, 0},
        {"Sun, 00 Jan 1994 00:00:00 GMT", 0, 0},
        {"Sun, 06 Nov 1994 25:49:37 GMT", 0, 0},
        {"Sun, 06 Nov 1994 24:00:00 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08:60:37 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08:49:61 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08-49-37 GMT", 0, 0},
        {"Sun, 06 Foo 1994 08:49:37 GMT", 0, 0},
        {"Sun, 06 nov 1994 08:49:37 GMT", 0, 0},
        {"sun, 06 Nov 1994 08:49:37 GMT", 0, 0},
        {"Xyz, 06 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sun, 06 Nov 1899 08:49:37 GMT", 0, 0},
        {"Sun, 06 Nov 19a4 08:49:37 GMT", 0, 0},
        {"Sun, +6 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sun, 6 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08:49:37 UTC", 0, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT ", 0, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMTx", 0, 0},
        {" Sun, 06 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08:49:37", 0, 0},
        {"Sun,  06 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sunday, 06-Nov-1994 08:49:37 GMT", 0, 0},
        {"Sunday, 06-Nov-94 08:49:37 GMT ", 0, 0},
        {"Sunday, 31-Feb-94 08:49:37 GMT", 0, 0},
        {"Funday, 06-Nov-94 08:49:37 GMT", 0, 0},
        {"Sunday 06-Nov-94 08:49:37 GMT", 0, 0},
        {"Sun Nov 6 08:49:37 1994", 0, 0},
        {"Sun Nov  6 08:49:37 1994 ", 0, 0},
        {"Sun Nov  6 08:49:37 94", 0, 0},
        {"Sun Nov 31 08:49:37 1994", 0, 0},
        {"Sun Nov  6 8:49:37  1994", 0, 0},
        {"garbage", 0, 0},
        {"", 0, 0},
};

static void test_parse_date(void **state)
{
	size_t i, k;
	(void)state;

	for (i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		const struct date_case *c = &date_cases[i];
		size_t n = strlen(c->s);
		char *p = exact_copy(c->s, n);
		time_t t = 42;
		int rc = ps_http_parse_date(&t, p, n);

		if (c->ok && (rc != 0 || t != c->t))
			fail_msg("\"%s\": rc %d, %lld instead of %lld", c->s, rc, (long long)t,
			        (long long)c->t);
		if (!c->ok && rc != -1)
			fail_msg("\"%s\": accepted as %lld", c->s, (long long)t);
		/* no proper prefix of a good date is a date */
		for (k = 0; c->ok && k < n; k++)
			if (ps_http_parse_date(&t, p, k) != -1)
				fail_msg("\"%.*s\": a prefix accepted", (int)k, c->s);
		free(p);
	}
	/* a NUL inside */
	assert_int_equal(
	        ps_http_parse_date(&(time_t){0}, "Sun, 06 Nov 1994 08:49:37 G\0T", 29), -1);
}

static void test_format_date(void **state)
{
	char out[31];
	(void)state;

	out[30] = 'X';
	ps_http_format_date(out, RFC_EXAMPLE_TIME);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	ps_http_format_date(out, 0);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	ps_http_format_date(out, -1);
	assert_string_equal(out, "Wed, 31 Dec 1969 23:59:59 GMT");
	ps_http_format_date(out, 951782400);
	assert_string_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT");
	ps_http_format_date(out, 253402300799);
	assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
	/* no IMF-fixdate for year 10000 or beyond what gmtime knows: the epoch, and no overflow */
	ps_http_format_date(out, 253402300800);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	ps_http_format_date(out, (time_t)INT64_MAX);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(out[30], 'X');
}

/*
 * Round trips over many instants: our formatter and parser for IMF-fixdate;
 * the RFC 850 and asctime forms are written here with the C library's own
 * calendar (gmtime_r) and names typed in, then parsed back.
 */
static void test_date_round_trip(void **state)
{
	static const char *const wday[7] = {
	        "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
	static const char *const mon[12] = {
	        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t t;
	int count = 0;
	(void)state;

	/* steps not dividing a day, so every time of day and month end comes up; 1901..2068 */
	for (t = -2145916800; t < 3124137600; t += 86400 * 7 + 3607) {
		char imf[30], s850[40], asc[30];
		struct tm tm;
		time_t got;

		ps_http_format_date(imf, (time_t)t);
		assert_int_equal(ps_http_parse_date(&got, imf, 29), 0);
		assert_true(got == (time_t)t);

		assert_non_null(gmtime_r(&(time_t){(time_t)t}, &tm));
		assert_int_equal(memcmp(imf, wday[tm.tm_wday], 3), 0);
		snprintf(asc, sizeof(asc), "%.3s %s %2d %02d:%02d:%02d %04d", wday[tm.tm_wday],
		        mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		        tm.tm_year + 1900);
		assert_int_equal(ps_http_parse_date(&got, asc, strlen(asc)), 0);
		assert_true(got == (time_t)t);
		if (tm.tm_year >= 70 && tm.tm_year < 170) {
			snprintf(s850, sizeof(s850), "%s, %02d-%s-%02d %02d:%02d:%02d GMT",
			        wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year % 100,
			        tm.tm_hour, tm.tm_min, tm.tm_sec);
			assert_int_equal(ps_http_parse_date(&got, s850, strlen(s850)), 0);
			assert_true(got == (time_t)t);
		}
		count++;
	}
	assert_true(count > 8000);
}

static void test_reason(void **state)
{
	static const int codes[] = {
	        200, 206, 304, 400, 403, 404, 405, 408, 413, 414, 416, 431, 500, 501, 503, 505};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_string_not_equal(ps_http_reason(codes[i]), "Unknown");
	assert_string_equal(ps_http_reason(200), "OK");
	assert_string_equal(ps_http_reason(206), "Partial Content");
	assert_string_equal(ps_http_reason(304), "Not Modified");
	assert_string_equal(ps_http_reason(404), "Not Found");
	assert_string_equal(ps_http_reason(416), "Range Not Satisfiable");
	assert_string_equal(ps_http_reason(999), "Unknown");
	assert_string_equal(ps_http_reason(0), "Unknown");
	assert_string_equal(ps_http_reason(-404), "Unknown");
}

/* A small deterministic generator (xorshift), so a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* n pieces drawn from `pieces` (NULL-terminated) into buf, after `head`; the length. */
static size_t random_pieces(
        char *buf, size_t cap, const char *head, const char *const *pieces, size_t n)
{
	size_t count = 0, len = strlen(head), i;

	while (pieces[count])
		count++;
	assert_true(len < cap);
	memcpy(buf, head, len);
	for (i = 0; i < n; i++) {
		const char *piece = pieces[rng() % count];
		size_t pn = strlen(piece);
		if (len + pn > cap)
			break;
		memcpy(buf + len, piece, pn);
		len += pn;
	}
	return len;
}

/*
 * Inputs built from the pieces that matter, and raw bytes, fed to every
 * function on exact-size buffers (ASan sees any overread); the results
 * must keep the promises of http.h.
 */
static void test_random_inputs(void **state)
{
	static const char alpha[] =
	        "GET HEAD/ HTTP/1.1\r\n:%2e%2f%00.\\?#,-=\"W*bytes0123456789aAfF\t\x7f\x80";
	static const char valid[] = "GET /r.git/objects/pack/pack-" HEX40 ".pack HTTP/1.1\r\n" H11
	                            "Range: bytes=0-\r\nIf-None-Match: \"x\"\r\n\r\n";
	static const char *const path_pieces[] = {"/", "a", "b.git", ".", "..", "%2e", "%2E", "%2f",
	        "%5c", "\\", "%00", "%41", "%", "%4", "%zz", "?", "#", "%0a", "%7f", "%ff", NULL};
	static const char *const range_pieces[] = {
	        "0", "1", "5", "9", "10", "99", "-", "-", ",", " ", "99999999999999999999", NULL};
	static const char *const etag_pieces[] = {
	        "\"x\"", "\"y\"", "W/", ",", " ", "*", "\"", "x", NULL};
	int iter, counts[3][3] = {{0}};
	(void)state;

	for (iter = 0; iter < 20000; iter++) {
		char src[160], out[64];
		size_t n = (size_t)(rng() % sizeof(src)), i;
		struct ps_request req;
		uint64_t first, last, size = rng() % 100;
		time_t t;
		char *p;
		int rc;

		if (iter % 2) {
			/* mutate a valid request: a few bytes changed, maybe cut short */
			n = sizeof(valid) - 1 - (size_t)(rng() % 8);
			memcpy(src, valid, n);
			for (i = 0; i < 1 + rng() % 3; i++)
				src[rng() % n] = alpha[rng() % (sizeof(alpha) - 1)];
		} else {
			for (i = 0; i < n; i++)
				src[i] = alpha[rng() % (sizeof(alpha) - 1)];
		}
		p = exact_copy(src, n);
		rc = ps_http_parse(&req, p, n);
		assert_true(rc == 0 || rc == -400 || rc == -414 || rc == -431 || rc == -501 ||
		            rc == -505 ||
		            (rc > 0 && (size_t)rc <= n && (size_t)rc == req.header_bytes));
		counts[0][rc > 0 ? 2 : rc == 0 ? 1 : 0]++;
		if (rc > 0) {
			assert_true(req.target >= p && req.target + req.target_len <= p + rc);
			assert_true(req.target_len > 0 && req.target[0] == '/');
		}
		(void)ps_http_classify(p, n);
		(void)ps_http_valid_repo_name(p, n);
		rc = ps_http_parse_date(&t, p, n);
		assert_true(rc == 0 || rc == -1);
		free(p);

		n = iter % 4 ? random_pieces(src, sizeof(src), "/", path_pieces, rng() % 8) : n;
		p = exact_copy(src, n);
		rc = ps_http_decode_path(out, sizeof(out), p, n);
		assert_true(rc == -400 || rc == -414 || (rc > 0 && (size_t)rc < sizeof(out)));
		counts[1][rc > 0 ? 2 : 0]++;
		if (rc > 0) {
			assert_int_equal(out[0], '/');
			assert_int_equal((int)strlen(out), rc);
			assert_null(strstr(out, "//"));
			assert_null(strstr(out, "/./"));
			assert_null(strstr(out, "/../"));
			assert_null(strchr(out, '\\'));
			assert_false(rc >= 2 && !strcmp(out + rc - 2, "/."));
			assert_false(rc >= 3 && !strcmp(out + rc - 3, "/.."));
			for (i = 0; i < (size_t)rc; i++)
				assert_true((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
		}
		free(p);

		n = iter % 4 ? random_pieces(src, sizeof(src), "bytes=", range_pieces, rng() % 5)
		             : n;
		p = exact_copy(src, n);
		rc = ps_http_range(&first, &last, p, n, size);
		assert_true(rc == 0 || rc == -1 || rc == 1);
		counts[2][rc + 1]++;
		if (rc == 1)
			assert_true(first <= last && last < size);
		free(p);

		n = random_pieces(src, sizeof(src), "", etag_pieces, rng() % 6);
		p = exact_copy(src, n);
		(void)ps_http_etag_match(p, n, "\"x\"");
		(void)ps_http_if_range_ok(p, n, "\"x\"", 0);
		free(p);
	}
	/* the generators reach every kind of outcome */
	for (iter = 0; iter < 3; iter++)
		assert_true(counts[iter][0] > 100 && counts[iter][2] > 100);
	assert_true(counts[0][1] > 100 && counts[2][1] > 100);
}

/* Long inputs are handled in one pass: a megabyte of each kind finishes at once. */
static void test_long_inputs(void **state)
{
	const size_t n = 1 << 20;
	char *p = malloc(n), *out = malloc(n + 1);
	struct ps_request req;
	uint64_t first, last;
	size_t i;
	(void)state;

	assert_non_null(p);
	assert_non_null(out);
	p[0] = '/';
	memset(p + 1, 'a', n - 1);
	assert_int_equal(ps_http_decode_path(out, n + 1, p, n), (int)n);
	for (i = 1; i + 3 <= n; i += 3)
		memcpy(p + i, "%41", 3);
	assert_true(ps_http_decode_path(out, n + 1, p, n) > 0);

	memcpy(p, "bytes=", 6);
	memset(p + 6, '9', n - 7);
	p[n - 1] = '-';
	assert_int_equal(ps_http_range(&first, &last, p, n, 100), -1);

	for (i = 0; i + 5 <= n; i += 5)
		memcpy(p + i, "\"a\", ", 5);
	memset(p + i, ' ', n - i);
	assert_int_equal(ps_http_etag_match(p, n, "\"b\""), 0);
	assert_int_equal(ps_http_etag_match(p, n, "\"a\""), 1);

	memset(p, '\n', n);
	assert_int_equal(ps_http_parse(&req, p, n), -431);
	free(p);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_parse_fields),
	        cmocka_unit_test(test_pipelined),
	        cmocka_unit_test(test_incomplete_prefixes),
	        cmocka_unit_test(test_request_line_cap),
	        cmocka_unit_test(test_head_cap),
	        cmocka_unit_test(test_field_count_cap),
	        cmocka_unit_test(test_decode_path_table),
	        cmocka_unit_test(test_decode_path_cap),
	        cmocka_unit_test(test_classify),
	        cmocka_unit_test(test_repo_names),
	        cmocka_unit_test(test_range_table),
	        cmocka_unit_test(test_etag_match),
	        cmocka_unit_test(test_if_range),
	        cmocka_unit_test(test_parse_date),
	        cmocka_unit_test(test_format_date),
	        cmocka_unit_test(test_date_round_trip),
	        cmocka_unit_test(test_reason),
	        cmocka_unit_test(test_random_inputs),
	        cmocka_unit_test(test_long_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
