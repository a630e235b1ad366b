/* log.c: pack-serve's access log lines (combined format plus duration), escaping, per-worker buffering and locked writes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"

#include "util/str.h"
#include "util/banned.h"

/* Most bytes of one logged string (request line, referer, user agent) before escaping. */
#define PS_LOG_FIELD_MAX 2048

int ps_log_sink_open(struct ps_log_sink *sink, const char *path)
{
	memset(sink, 0, sizeof(*sink));
	if (!strcmp(path, "-")) {
		sink->fd = STDOUT_FILENO;
	} else {
		sink->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (sink->fd < 0)
			return -1;
		sink->owned = 1;
	}
	pthread_mutex_init(&sink->lock, NULL);
	return 0;
}

void ps_log_sink_close(struct ps_log_sink *sink)
{
	if (sink->owned && sink->fd >= 0)
		close(sink->fd);
	sink->fd = -1;
	pthread_mutex_destroy(&sink->lock);
}

void ps_log_flush(struct ps_log *log)
{
	size_t off = 0;
	ssize_t n;

	if (!log->len)
		return;
	pthread_mutex_lock(&log->sink->lock);
	while (off < log->len) {
		n = write(log->sink->fd, log->buf + off, log->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A full disk must not stop the serving; the lines are lost, once. */
			fprintf(stderr, "pack-serve: access log: %s\n",
				n < 0 ? strerror(errno) : "short write");
			break;
		}
		off += (size_t)n;
	}
	pthread_mutex_unlock(&log->sink->lock);
	log->len = 0;
}

/* Append `s` escaped: '"', '\' and bytes outside printable ASCII become \" \\ \xHH; "-" when absent. */
static size_t put_escaped(char *out, const char *s, size_t len)
{
	size_t i, o = 0;
	unsigned char ch;

	if (!s) {
		out[o++] = '-';
		return o;
	}
	if (len > PS_LOG_FIELD_MAX)
		len = PS_LOG_FIELD_MAX;
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			pw__hex_encode(out + o, &ch, 1); /* its NUL is overwritten next */
			o += 2;
		} else {
			out[o++] = (char)ch;
		}
	}
	return o;
}

static void format_peer(char *out, size_t cap, const struct ps_peer *peer)
{
	if (!peer || !inet_ntop(peer->family, peer->addr, out, (socklen_t)cap))
		snprintf(out, cap, "-");
}

void ps_log_request(struct ps_log *log, const struct ps_peer *peer, time_t when,
	const char *line, size_t line_len, int status, uint64_t bytes,
	const char *referer, size_t referer_len, const char *ua, size_t ua_len, double seconds,
	const char *note)
{
	/* Worst case: four fields escaped at 4 bytes per byte, plus the fixed parts. */
	enum { LINE_MAX_BYTES = 4 * 4 * PS_LOG_FIELD_MAX + 256 };
	char addr[INET6_ADDRSTRLEN];
	struct tm tm;
	char *p;
	int n;

	if (!log)
		return;
	if (PS_LOG_BUF - log->len < LINE_MAX_BYTES)
		ps_log_flush(log);
	if (when != log->stamp_sec || !log->stamp[0]) {
		gmtime_r(&when, &tm);
		strftime(log->stamp, sizeof(log->stamp), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		log->stamp_sec = when;
	}
	format_peer(addr, sizeof(addr), peer);
	p = log->buf + log->len;
	n = snprintf(p, LINE_MAX_BYTES, "%s - - [%s] \"", addr, log->stamp);
	if (n < 0)
		return;
	p += n;
	p += put_escaped(p, line ? line : "", line ? line_len : 0);
	n = snprintf(p, 64, "\" %d %llu \"", status, (unsigned long long)bytes);
	p += n;
	p += put_escaped(p, referer, referer_len);
	*p++ = '"';
	*p++ = ' ';
	*p++ = '"';
	p += put_escaped(p, ua, ua_len);
	n = snprintf(p, 48, "\" %.3f", seconds);
	p += n;
	if (note && note[0]) {
		*p++ = ' ';
		*p++ = '"';
		p += put_escaped(p, note, strlen(note));
		*p++ = '"';
	}
	*p++ = '\n';
	log->len = (size_t)(p - log->buf);
}
