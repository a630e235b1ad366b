/* http.c: pack-serve's request-head parser, request-target decoding, path allowlist, reasons. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http.h"
#include "http_lex.h"

#include "util/str.h"

#include "util/banned.h"

/*
 * Everything here reads untrusted bytes: every scan is bounded by an explicit
 * length, nothing allocates, and each function is linear in its input (the
 * server calls ps_http_parse again from the start whenever more bytes come,
 * which the caps keep cheap).
 */

/* tchar of RFC 9110 5.6.2: the bytes a method or a field name may hold. */
static int is_tchar(unsigned char c)
{
	static const char specials[] = "!#$%&'*+-.^_`|~";

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	/* the length excludes the terminating NUL, which is no tchar */
	return memchr(specials, c, sizeof(specials) - 1) != NULL;
}

/* The request-parsing state that spans field lines. */
struct head_state {
	struct ps_request *req;
	int saw_host; /* a Host field line (absolute-form may replace req->host) */
	int abs_host; /* req->host came from an absolute-form target */
	int saw_length;
	int saw_te;   /* a Transfer-Encoding field line */
	uint64_t length;
	int conn_close;
	int conn_keep_alive;
};

/*
 * Absolute-form ("http://host/path"): RFC 9112 3.2.2 has a server accept it
 * and take the host from it. We map it to its path, which must be present
 * (no "http://host" or "http://host?q": 400), so req->target is always
 * origin-form for ps_http_decode_path; userinfo ("user@") is refused.
 */
static int parse_absolute_form(struct head_state *st, const char *t, size_t n)
{
	size_t skip, i;

	if (n >= 7 && eq_nocase(t, 7, "http://"))
		skip = 7;
	else if (n >= 8 && eq_nocase(t, 8, "https://"))
		skip = 8;
	else
		return -400;
	for (i = skip; i < n && t[i] != '/' && t[i] != '?' && t[i] != '#'; i++)
		if (t[i] == '@')
			return -400;
	if (i == skip || i == n || t[i] != '/')
		return -400;
	st->req->host = t + skip;
	st->req->host_len = i - skip;
	st->abs_host = 1;
	st->req->target = t + i;
	st->req->target_len = n - i;
	return 0;
}

/* method SP request-target SP HTTP-version, in s[0..n) without its line ending. */
static int parse_request_line(struct head_state *st, const char *s, size_t n)
{
	struct ps_request *req = st->req;
	size_t i = 0, t0, v0;
	const char *v;

	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != ' ')
		return -400;
	if (i == 3 && !memcmp(s, "GET", 3))
		req->method = PS_METHOD_GET;
	else if (i == 4 && !memcmp(s, "HEAD", 4))
		req->method = PS_METHOD_HEAD;
	else
		req->method = PS_METHOD_OTHER;

	t0 = ++i;
	/* the target: visible ASCII only (no raw UTF-8, no controls) */
	while (i < n && s[i] != ' ') {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e)
			return -400;
		i++;
	}
	if (i == t0 || i >= n)
		return -400;

	v0 = i + 1;
	v = s + v0;
	if (n - v0 != 8 || memcmp(v, "HTTP/", 5) || !is_digit((unsigned char)v[5]) || v[6] != '.' ||
	        !is_digit((unsigned char)v[7]))
		return -400;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return -505;
	req->http_minor = v[7] - '0';

	if (s[t0] == '/') {
		req->target = s + t0;
		req->target_len = i - t0;
		return 0;
	}
	/* asterisk-form ("OPTIONS *") and authority-form (CONNECT) end here: 400 */
	return parse_absolute_form(st, s + t0, i - t0);
}

/* Content-Length: 1*DIGIT, overflow-checked; repeated lines must agree. */
static int parse_content_length(struct head_state *st, const char *v, size_t n)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return -400;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (!is_digit(c))
			return -400;
		if (x > (UINT64_MAX - (c - '0')) / 10)
			return -400;
		x = x * 10 + (c - '0');
	}
	if (st->saw_length && st->length != x)
		return -400;
	st->saw_length = 1;
	st->length = x;
	return 0;
}

/* Connection: a list of tokens; only "close" and "keep-alive" mean anything to us. */
static void parse_connection(struct head_state *st, const char *v, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		size_t j = i;
		const char *tok;
		size_t tn;

		while (j < n && v[j] != ',')
			j++;
		tok = v + i;
		tn = j - i;
		trim_ows(&tok, &tn);
		if (eq_nocase(tok, tn, "close"))
			st->conn_close = 1;
		else if (eq_nocase(tok, tn, "keep-alive"))
			st->conn_keep_alive = 1;
		i = j + 1;
	}
}

/* Store a field whose repetition is harmless: the first line wins. */
static void keep_first(const char **dst, size_t *dst_len, const char *v, size_t n)
{
	if (!*dst) {
		*dst = v;
		*dst_len = n;
	}
}

/* A field whose repetition is ambiguous enough to refuse (which one would a proxy have used?). */
static int keep_unique(const char **dst, size_t *dst_len, const char *v, size_t n)
{
	if (*dst)
		return -400;
	*dst = v;
	*dst_len = n;
	return 0;
}

/* name ":" OWS value OWS, in s[0..n) (n > 0) without its line ending. */
static int parse_field(struct head_state *st, const char *s, size_t n)
{
	struct ps_request *req = st->req;
	size_t i = 0, vn, k;
	const char *v;

	/* obs-fold (RFC 9112 5.2): a line that continues the previous one */
	if (is_ows((unsigned char)s[0]))
		return -400;
	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	/* no name, no colon, or anything (whitespace included) between them */
	if (i == 0 || i >= n || s[i] != ':')
		return -400;
	v = s + i + 1;
	vn = n - i - 1;
	/* field-content: visible bytes, obs-text, SP and HTAB; no CR, NUL, DEL or other controls */
	for (k = 0; k < vn; k++) {
		unsigned char c = (unsigned char)v[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -400;
	}
	trim_ows(&v, &vn);

	switch (i) {
	case 4:
		if (eq_nocase(s, i, "host")) {
			if (st->saw_host)
				return -400;
			st->saw_host = 1;
			/* an absolute-form target's host overrides Host (RFC 9112 3.2.2) */
			if (!st->abs_host) {
				req->host = v;
				req->host_len = vn;
			}
		}
		break;
	case 5:
		if (eq_nocase(s, i, "range"))
			return keep_unique(&req->range, &req->range_len, v, vn);
		break;
	case 7:
		if (eq_nocase(s, i, "referer"))
			keep_first(&req->referer, &req->referer_len, v, vn);
		break;
	case 8:
		/* a second If-Range could make us splice bytes of two versions: refuse */
		if (eq_nocase(s, i, "if-range"))
			return keep_unique(&req->if_range, &req->if_range_len, v, vn);
		break;
	case 10:
		if (eq_nocase(s, i, "user-agent"))
			keep_first(&req->user_agent, &req->user_agent_len, v, vn);
		else if (eq_nocase(s, i, "connection"))
			parse_connection(st, v, vn);
		break;
	case 13:
		/* a later If-None-Match line is ignored: at worst a 200 instead of a 304 */
		if (eq_nocase(s, i, "if-none-match"))
			keep_first(&req->if_none_match, &req->if_none_match_len, v, vn);
		break;
	case 14:
		if (eq_nocase(s, i, "content-length"))
			return parse_content_length(st, v, vn);
		break;
	case 17:
		if (eq_nocase(s, i, "if-modified-since"))
			keep_first(&req->if_modified_since, &req->if_modified_since_len, v, vn);
		else if (eq_nocase(s, i, "transfer-encoding"))
			st->saw_te = 1;
		break;
	default:
		break;
	}
	return 0;
}

/*
 * The end of the content of the line [start, nl) where buf[nl] is its LF:
 * a CR right before the LF belongs to the line ending.
 */
static size_t line_content_end(const char *buf, size_t start, size_t nl)
{
	return (nl > start && buf[nl - 1] == '\r') ? nl - 1 : nl;
}

/* Incomplete input: 431 once the head can no longer fit in its cap, else "read more". */
static int need_more(size_t len)
{
	return len > PS_MAX_HEADERS ? -431 : 0;
}

/*
 * The caps: the whole head, i.e. every byte counted in header_bytes (leading
 * empty lines, request line, field lines, the final empty line, line endings
 * included), may be at most PS_MAX_HEADERS bytes; the request line, without
 * its line ending, at most PS_MAX_REQUEST_LINE.
 */
int ps_http_parse(struct ps_request *req, const char *buf, size_t len)
{
	struct head_state st;
	size_t lim, pos = 0, scan_end, nl, cend, fields = 0;
	const char *hit;
	int rc;

	memset(req, 0, sizeof(*req));
	memset(&st, 0, sizeof(st));
	st.req = req;
	/* also keeps NULL + 0 and memchr(NULL, …, 0) out of the way */
	if (!buf || len == 0)
		return 0;
	lim = len < PS_MAX_HEADERS ? len : PS_MAX_HEADERS;

	/* RFC 9112 2.2: skip empty lines before the request line */
	for (;;) {
		if (pos < lim && buf[pos] == '\n')
			pos++;
		else if (pos + 1 < lim && buf[pos] == '\r' && buf[pos + 1] == '\n')
			pos += 2;
		else
			break;
	}

	/* Look for the request line past the head's cap: an overlong one is 414, not 431. */
	scan_end = len - pos > PS_MAX_REQUEST_LINE + 2 ? pos + PS_MAX_REQUEST_LINE + 2 : len;
	hit = memchr(buf + pos, '\n', scan_end - pos);
	if (!hit) {
		size_t have = scan_end - pos;
		/* a CR at the very end may be the start of the line ending */
		if (have && buf[scan_end - 1] == '\r')
			have--;
		if (have > PS_MAX_REQUEST_LINE)
			return -414;
		return need_more(len);
	}
	nl = (size_t)(hit - buf);
	cend = line_content_end(buf, pos, nl);
	if (cend - pos > PS_MAX_REQUEST_LINE)
		return -414;
	if (nl >= lim)
		return need_more(len);
	if ((rc = parse_request_line(&st, buf + pos, cend - pos)) < 0)
		return rc;

	for (pos = nl + 1;; pos = nl + 1) {
		if (pos >= lim || !(hit = memchr(buf + pos, '\n', lim - pos)))
			return need_more(len);
		nl = (size_t)(hit - buf);
		cend = line_content_end(buf, pos, nl);
		if (cend == pos)
			break;
		if (++fields > PS_MAX_HEADER_FIELDS)
			return -431;
		if ((rc = parse_field(&st, buf + pos, cend - pos)) < 0)
			return rc;
	}

	/* RFC 9112 3.2: an HTTP/1.1 request without Host is 400 */
	if (req->http_minor == 1 && !st.saw_host)
		return -400;
	if (req->http_minor == 1)
		req->keep_alive = !st.conn_close;
	else
		req->keep_alive = st.conn_keep_alive && !st.conn_close;
	/*
	 * Both framings at once is how requests are smuggled past a proxy
	 * (RFC 9112 6.3): 400, and the connection closes. A Transfer-Encoding
	 * alone is one we do not implement: 501.
	 */
	if (st.saw_te)
		return st.saw_length ? -400 : -501;
	req->has_body = st.saw_length && st.length > 0;
	req->header_bytes = nl + 1;
	return (int)req->header_bytes;
}

/* Is the segment of `n` bytes, `dots` of which are '.', a "." or ".." segment? */
static int dot_segment(size_t n, size_t dots)
{
	return (n == 1 || n == 2) && dots == n;
}

/*
 * One pass: decode, refuse, and check each segment as it ends. The checks run
 * on decoded bytes, so "%2e%2e" is a ".." segment. Every rejection is checked
 * over the whole target before -414, so a bad path is 400 whatever its length.
 */
int ps_http_decode_path(char *out, size_t cap, const char *target, size_t target_len)
{
	size_t i, n = 0, seg_len = 0, seg_dots = 0;

	if (!target || target_len == 0 || target[0] != '/')
		return -400;
	for (i = 0; i < target_len; i++)
		if (target[i] == '?' || target[i] == '#')
			break;
	target_len = i;

	for (i = 0; i < target_len; i++) {
		unsigned char c = (unsigned char)target[i];

		if (c == '/') {
			if (i > 0 && (seg_len == 0 || dot_segment(seg_len, seg_dots)))
				return -400;
			seg_len = seg_dots = 0;
		} else {
			if (c == '%') {
				int hi, lo;
				if (target_len - i < 3)
					return -400;
				hi = pw__hexval((unsigned char)target[i + 1]);
				lo = pw__hexval((unsigned char)target[i + 2]);
				if (hi < 0 || lo < 0)
					return -400;
				c = (unsigned char)(hi << 4 | lo);
				i += 2;
				/* an encoded slash would hide a segment boundary from the checks */
				if (c == '/')
					return -400;
			}
			if (c < 0x20 || c == 0x7f || c == '\\')
				return -400;
			seg_len++;
			if (c == '.')
				seg_dots++;
		}
		if (out && n + 1 < cap)
			out[n] = (char)c;
		n++;
	}
	/* the last segment may be empty ("/" or "/repo.git/"), not "." or ".." */
	if (dot_segment(seg_len, seg_dots))
		return -400;
	if (!out || n + 1 > cap || n > INT_MAX)
		return -414;
	out[n] = '\0';
	return (int)n;
}

/* Are s[0..n) all lowercase hex digits? */
static int is_lower_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int has_prefix(const char *s, size_t n, const char *lit)
{
	size_t ln = strlen(lit);

	return n >= ln && !memcmp(s, lit, ln);
}

enum ps_kind ps_http_classify(const char *rel, size_t len)
{
	static const char pack_dir[] = "objects/pack/pack-";
	const size_t pd = sizeof(pack_dir) - 1;

	if (!rel)
		return PS_KIND_NONE;
	if (len == 9 && !memcmp(rel, "info/refs", 9))
		return PS_KIND_INFO_REFS;
	if (len == 4 && !memcmp(rel, "HEAD", 4))
		return PS_KIND_HEAD;
	if (len == 6 && !memcmp(rel, "bundle", 6))
		return PS_KIND_BUNDLE;
	if (len == 11 && !memcmp(rel, "bundle-list", 11))
		return PS_KIND_BUNDLE_LIST;
	if (len == 18 && !memcmp(rel, "objects/info/packs", 18))
		return PS_KIND_INFO_PACKS;
	if (has_prefix(rel, len, pack_dir)) {
		const char *h = rel + pd;
		size_t rest = len - pd, hex;

		for (hex = 40; hex <= 64; hex += 24) {
			const char *ext;
			size_t en;

			if (rest <= hex || !is_lower_hex(h, hex) || h[hex] != '.')
				continue;
			ext = h + hex;
			en = rest - hex;
			if (en == 5 && !memcmp(ext, ".pack", 5))
				return PS_KIND_PACK;
			if (en == 4 && !memcmp(ext, ".idx", 4))
				return PS_KIND_IDX;
			if (en == 4 && !memcmp(ext, ".rev", 4))
				return PS_KIND_REV;
		}
		return PS_KIND_NONE;
	}
	/* objects/xx/ + 38 or 62 digits: 49 or 73 bytes */
	if ((len == 49 || len == 73) && has_prefix(rel, len, "objects/") && rel[10] == '/' &&
	        is_lower_hex(rel + 8, 2) && is_lower_hex(rel + 11, len - 11))
		return PS_KIND_LOOSE;
	return PS_KIND_NONE;
}

int ps_http_valid_repo_name(const char *name, size_t len)
{
	size_t i;

	if (!name || len == 0 || len > 255 || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
		            c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* clang-format off: one line per status reads as the table it is */
const char *ps_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 416:
		return "Range Not Satisfiable";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}
/* clang-format on */
