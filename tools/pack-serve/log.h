/* log.h: pack-serve's access log: combined log format plus the duration, buffered per worker, written a whole number of lines at a time. */
#ifndef PACKSERVE_LOG_H
#define PACKSERVE_LOG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ps_peer;

/* Where the lines go: one per server, shared by the workers (writes under a lock). */
struct ps_log_sink {
	int fd;
	int owned;               /* opened by us (not stdout) */
	pthread_mutex_t lock;
};

#define PS_LOG_BUF 65536

/* One worker's buffer. */
struct ps_log {
	struct ps_log_sink *sink;
	size_t len;
	time_t stamp_sec;
	char stamp[32];          /* "22/Nov/2026:05:48:17 +0000", cached per second */
	char buf[PS_LOG_BUF];
};

/* Open `path` for appending ("-": standard output). Returns 0, or -1 with errno set. */
int ps_log_sink_open(struct ps_log_sink *sink, const char *path);
void ps_log_sink_close(struct ps_log_sink *sink);

/* Append one request's line (`note`, when not NULL or "", after the duration in quotes: why a 404); flushes first when the buffer is too full. */
void ps_log_request(struct ps_log *log, const struct ps_peer *peer, time_t when,
	const char *line, size_t line_len, int status, uint64_t bytes,
	const char *referer, size_t referer_len, const char *ua, size_t ua_len, double seconds,
	const char *note);
/* Write the buffered lines (in one locked write sequence, so lines of different workers never mix). */
void ps_log_flush(struct ps_log *log);

#endif
