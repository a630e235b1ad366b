/* server.h: pack-serve's network server: the listening socket, worker threads with their epoll loops, limits, signals and shutdown. */
#ifndef PACKSERVE_SERVER_H
#define PACKSERVE_SERVER_H

#include <stddef.h>

#include "site.h"

/* Every field must be set (main.c fills the defaults). */
struct ps_server_opts {
	const char *listen;            /* "ADDR:PORT", "[V6ADDR]:PORT" */
	unsigned int threads;          /* worker threads, >= 1 */
	unsigned int max_connections;  /* held at once, all workers together, >= 1 */
	unsigned int idle_timeout;     /* seconds, >= 1 */
	unsigned int shutdown_timeout; /* seconds of grace for responses in flight at SIGTERM */
	size_t chunk;                  /* most body bytes per connection per loop turn */
	int no_sendfile;
	const char *access_log;        /* NULL: none; "-": standard output */
	const char *metrics_listen;    /* NULL: no metrics endpoint; else "ADDR:PORT" for GET /metrics */
};

struct ps_server;

/* Is `spec` of the form ADDR:PORT or [ADDR]:PORT (port 0..65535)? 0, or -1 with a message in `err`. */
int ps_server_check_listen(const char *spec, char *err, size_t errlen);

/*
 * Bind and listen on opts->listen (or take the socket of a socket
 * activation, LISTEN_PID/LISTEN_FDS: descriptor 3) and on
 * opts->metrics_listen, open the access log, and block SIGINT
 * and SIGTERM in the calling thread (so a signal arriving from now on waits
 * for ps_server_run, and the threads it starts inherit the mask). SIGPIPE
 * is ignored. Returns 0, or -1 with a one-line message in `err`.
 */
int ps_server_new(struct ps_server **out, const struct ps_server_opts *opts,
	struct ps_site *site, char *err, size_t errlen);

/* The URL clients reach: "http://ADDR:PORT/" with the port actually bound. */
const char *ps_server_url(const struct ps_server *srv);

/* The metrics URL, "http://ADDR:PORT/metrics", or NULL without metrics_listen. */
const char *ps_server_metrics_url(const struct ps_server *srv);

/*
 * Serve until SIGINT or SIGTERM, then stop accepting, close idle
 * connections, let responses in flight finish for up to shutdown_timeout
 * seconds, cut the rest and return 0 (-1 when a worker failed).
 */
int ps_server_run(struct ps_server *srv);

/* Close the listener and the log, free everything. Accepts NULL. */
void ps_server_free(struct ps_server *srv);

#endif
