/* http_value.c: the header values pack-serve evaluates (Range, ETags, If-Range) and HTTP-dates. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "http_lex.h"

#include "util/banned.h"

/*
 * Every value here comes off the network: scans are bounded by the given
 * length, numbers saturate or are range-checked, nothing allocates.
 */

/*
 * 1*DIGIT from s[*i..n), saturating at UINT64_MAX: a number too large for
 * 64 bits is still just "larger than any file". Returns 0 when no digit.
 */
static int parse_u64_sat(uint64_t *out, const char *s, size_t n, size_t *i)
{
	uint64_t x = 0;
	size_t start = *i;

	for (; *i < n && is_digit((unsigned char)s[*i]); (*i)++) {
		unsigned d = (unsigned)(s[*i] - '0');
		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*out = x;
	return *i > start;
}

int ps_http_range(uint64_t *first, uint64_t *last, const char *hdr, size_t hdr_len, uint64_t size)
{
	uint64_t a, b;
	size_t i = 0;
	int has_a, has_b;

	if (!hdr)
		return 0;
	trim_ows(&hdr, &hdr_len);
	if (hdr_len < 6 || !eq_nocase(hdr, 6, "bytes="))
		return 0;
	hdr += 6;
	hdr_len -= 6;
	trim_ows(&hdr, &hdr_len);

	has_a = parse_u64_sat(&a, hdr, hdr_len, &i);
	if (i >= hdr_len || hdr[i] != '-')
		return 0;
	i++;
	has_b = parse_u64_sat(&b, hdr, hdr_len, &i);
	/* anything else (a second range, junk) and we serve the whole body */
	if (i != hdr_len || (!has_a && !has_b))
		return 0;

	if (!has_a) {
		/* suffix: the last b bytes */
		if (b == 0 || size == 0)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (has_b && a > b)
		return 0;
	if (a >= size)
		return -1;
	*first = a;
	*last = (!has_b || b >= size) ? size - 1 : b;
	return 1;
}

/*
 * entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, from s[*i..n). Sets the
 * opaque tag (quotes included) and whether it was weak. 0 when malformed.
 */
static int parse_etag(
        const char **tag, size_t *tag_len, int *weak, const char *s, size_t n, size_t *i)
{
	size_t j = *i;

	*weak = 0;
	if (n - j >= 2 && s[j] == 'W' && s[j + 1] == '/') {
		*weak = 1;
		j += 2;
	}
	if (j >= n || s[j] != '"')
		return 0;
	*tag = s + j;
	for (j++; j < n && s[j] != '"'; j++) {
		unsigned char c = (unsigned char)s[j];
		/* etagc: %x21 / %x23-7E / obs-text */
		if (c < 0x21 || c == 0x7f)
			return 0;
	}
	if (j >= n)
		return 0;
	j++;
	*tag_len = (size_t)(s + j - *tag);
	*i = j;
	return 1;
}

/*
 * A malformed list matches nothing: the request is then answered in full,
 * which is always correct. Empty list elements (", ,") are allowed.
 */
int ps_http_etag_match(const char *hdr, size_t hdr_len, const char *etag)
{
	size_t i = 0, elen;
	int matched = 0;

	if (!hdr || !etag)
		return 0;
	elen = strlen(etag);
	trim_ows(&hdr, &hdr_len);
	if (hdr_len == 1 && hdr[0] == '*')
		return 1;
	while (i < hdr_len) {
		const char *tag;
		size_t tag_len;
		int weak;

		if (hdr[i] == ',' || is_ows((unsigned char)hdr[i])) {
			i++;
			continue;
		}
		if (!parse_etag(&tag, &tag_len, &weak, hdr, hdr_len, &i))
			return 0;
		/* weak comparison: the W/ prefix does not matter */
		if (tag_len == elen && !memcmp(tag, etag, elen))
			matched = 1;
		while (i < hdr_len && is_ows((unsigned char)hdr[i]))
			i++;
		if (i < hdr_len && hdr[i] != ',')
			return 0;
	}
	return matched;
}

/* Without an If-Range header, nothing stands in the range's way: 1. */
int ps_http_if_range_ok(const char *hdr, size_t hdr_len, const char *etag, time_t mtime)
{
	time_t t;

	if (!hdr)
		return 1;
	trim_ows(&hdr, &hdr_len);
	/* an entity-tag, not a date (which may start with 'W' too: "Wed, ...") */
	if (hdr_len && (hdr[0] == '"' || (hdr_len >= 2 && hdr[0] == 'W' && hdr[1] == '/'))) {
		const char *tag;
		size_t tag_len, i = 0;
		int weak;

		/* strong comparison (RFC 9110 13.1.5): a weak tag never matches */
		if (!etag || !parse_etag(&tag, &tag_len, &weak, hdr, hdr_len, &i) || i != hdr_len ||
		        weak)
			return 0;
		return tag_len == strlen(etag) && !memcmp(tag, etag, tag_len);
	}
	return ps_http_parse_date(&t, hdr, hdr_len) == 0 && t == mtime;
}

static const char day_short[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const day_long[7] = {
        "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
static const char month_name[12][4] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Index of the 3-letter day name at s (case-sensitive, as RFC 9110 5.6.7), or -1. */
static int find_day_short(const char *s)
{
	int i;

	for (i = 0; i < 7; i++)
		if (!memcmp(s, day_short[i], 3))
			return i;
	return -1;
}

static int find_month(const char *s)
{
	int i;

	for (i = 0; i < 12; i++)
		if (!memcmp(s, month_name[i], 3))
			return i;
	return -1;
}

/* `n` decimal digits at s as an int (n <= 4), or -1. */
static int digits(const char *s, size_t n)
{
	int x = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	return x;
}

/* "HH:MM:SS" at s into tm; 0 or -1. Second 60 is a leap second, which timegm folds. */
static int parse_time_of_day(struct tm *tm, const char *s)
{
	if (s[2] != ':' || s[5] != ':')
		return -1;
	tm->tm_hour = digits(s, 2);
	tm->tm_min = digits(s + 3, 2);
	tm->tm_sec = digits(s + 6, 2);
	if (tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 || tm->tm_min > 59 ||
	        tm->tm_sec < 0 || tm->tm_sec > 60)
		return -1;
	return 0;
}

static int is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Check the calendar date in tm (tm_year still the full year) and convert it. */
static int finish_date(time_t *out, struct tm *tm)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int year = tm->tm_year, max;
	time_t t;

	if (year < 1900 || tm->tm_mon < 0 || tm->tm_mon > 11)
		return -1;
	max = mdays[tm->tm_mon] + (tm->tm_mon == 1 && is_leap(year));
	if (tm->tm_mday < 1 || tm->tm_mday > max)
		return -1;
	tm->tm_year = year - 1900;
	tm->tm_isdst = 0;
	t = timegm(tm);
	/* -1 is also a real instant, one second before the epoch; anything else is an overflow */
	if (t == (time_t)-1 && !(year == 1969 && tm->tm_mon == 11 && tm->tm_mday == 31 &&
	                               tm->tm_hour == 23 && tm->tm_min == 59 && tm->tm_sec == 59))
		return -1;
	*out = t;
	return 0;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 bytes). */
static int parse_imf(struct tm *tm, const char *s)
{
	if (find_day_short(s) < 0 || memcmp(s + 3, ", ", 2) || s[7] != ' ' || s[11] != ' ' ||
	        s[16] != ' ' || memcmp(s + 25, " GMT", 4))
		return -1;
	tm->tm_mday = digits(s + 5, 2);
	tm->tm_mon = find_month(s + 8);
	tm->tm_year = digits(s + 12, 4);
	return parse_time_of_day(tm, s + 17);
}

/*
 * RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". The two-digit year is read as
 * 1970–2069 (70–99 are 19xx): RFC 9110's 50-year rule would need the clock,
 * and this keeps the function pure; the form is obsolete anyway.
 */
static int parse_rfc850(struct tm *tm, const char *s, size_t len)
{
	size_t dn = 0;
	const char *d;
	int i, yy;

	for (i = 0; i < 7; i++) {
		dn = strlen(day_long[i]);
		if (len > dn && !memcmp(s, day_long[i], dn))
			break;
	}
	if (i == 7 || len != dn + 24)
		return -1;
	d = s + dn;
	/* ", DD-Mon-YY HH:MM:SS GMT" */
	if (memcmp(d, ", ", 2) || d[4] != '-' || d[8] != '-' || d[11] != ' ' ||
	        memcmp(d + 20, " GMT", 4))
		return -1;
	tm->tm_mday = digits(d + 2, 2);
	tm->tm_mon = find_month(d + 5);
	if ((yy = digits(d + 9, 2)) < 0)
		return -1;
	tm->tm_year = yy >= 70 ? 1900 + yy : 2000 + yy;
	return parse_time_of_day(tm, d + 12);
}

/* asctime: "Sun Nov  6 08:49:37 1994" (24 bytes; the day is space-padded). */
static int parse_asctime(struct tm *tm, const char *s)
{
	if (find_day_short(s) < 0 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
		return -1;
	tm->tm_mon = find_month(s + 4);
	tm->tm_mday = s[8] == ' ' ? digits(s + 9, 1) : digits(s + 8, 2);
	tm->tm_year = digits(s + 20, 4);
	return parse_time_of_day(tm, s + 11);
}

int ps_http_parse_date(time_t *out, const char *s, size_t len)
{
	struct tm tm;
	int rc;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (len == 29 && s[3] == ',')
		rc = parse_imf(&tm, s);
	else if (len == 24 && s[3] == ' ')
		rc = parse_asctime(&tm, s);
	else if (len > 24 && len <= 33)
		rc = parse_rfc850(&tm, s, len);
	else
		rc = -1;
	if (rc < 0)
		return -1;
	return finish_date(out, &tm);
}

/* Write `v` as `n` decimal digits (zero-padded) at p. */
static void put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Fixed English names, not strftime: HTTP dates must not follow the locale.
 * A time outside years 0..9999 cannot be an IMF-fixdate; it becomes the epoch.
 */
void ps_http_format_date(char out[30], time_t t)
{
	struct tm tm;
	int year;

	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	year = tm.tm_year + 1900;
	memcpy(out, day_short[tm.tm_wday], 3);
	memcpy(out + 3, ", ", 2);
	put_digits(out + 5, tm.tm_mday, 2);
	out[7] = ' ';
	memcpy(out + 8, month_name[tm.tm_mon], 3);
	out[11] = ' ';
	put_digits(out + 12, year, 4);
	out[16] = ' ';
	put_digits(out + 17, tm.tm_hour, 2);
	out[19] = ':';
	put_digits(out + 20, tm.tm_min, 2);
	out[22] = ':';
	put_digits(out + 23, tm.tm_sec, 2);
	memcpy(out + 25, " GMT", 5);
}
