/* conn.h: one HTTP connection's state machine (read a head, answer it, send its body) and the per-worker context it runs in. */
#ifndef PACKSERVE_CONN_H
#define PACKSERVE_CONN_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util/list.h"
#include "http.h"
#include "site.h"

struct ps_log;
struct ps_metrics;
struct ps_conn;
struct ps_resp;

/*
 * A list of connections ordered by deadline. Every deadline put on one
 * list is "now + the list's fixed duration", so appending keeps it sorted
 * and expiry only ever looks at the head: O(1) per operation.
 */
struct ps_tlist {
	pw_list conns;            /* ps_conn.tnode, earliest deadline first */
	int64_t duration_ms;
};

enum { PS_TL_MAIN = 0, PS_TL_LINGER = 1, PS_TL_COUNT = 2 };

/*
 * What a connection needs from the worker that owns it. The server embeds
 * one per worker thread; a test can build one by hand, with no event loop.
 */
struct ps_ctx {
	struct ps_site *site;     /* NULL in tests that hand-make bodies */
	size_t chunk;             /* most body bytes per connection per loop turn */
	int no_sendfile;          /* copy with pread + send instead */
	char *copybuf;            /* --no-sendfile: `chunk` bytes, shared by the worker's connections */
	const struct ps_conn *copy_owner; /* whose bytes copybuf holds, and which */
	uint64_t copy_off;        /* file offset of copybuf[copy_pos] */
	size_t copy_pos, copy_len; /* the unsent bytes of copybuf */
	struct ps_log *log;       /* NULL: no access log */
	struct ps_metrics *metrics; /* NULL: nothing counted */
	int64_t now_ms;           /* CLOCK_MONOTONIC, refreshed once per loop turn */
	int stopping;             /* shutting down: answer nothing new, close after each response */
	struct ps_tlist timers[PS_TL_COUNT];
	pw_list ready;            /* ps_conn.rnode: connections with work to do without waiting */
	unsigned int ready_count;
	unsigned int nconns;      /* connections this worker holds */
	atomic_uint *global_conns; /* all workers' connections (NULL in tests) */
	time_t date_sec;          /* the Date header of this second, cached */
	char date[30];
	char scratch[16384];      /* lingering close: bytes read only to be thrown away */
};

/* The peer's address, kept small (no sockaddr_storage per connection). */
struct ps_peer {
	sa_family_t family;
	uint16_t port;
	uint8_t addr[16];
};

enum ps_conn_state {
	PS_CONN_READING = 0,  /* idle, or reading a request head */
	PS_CONN_WRITING,      /* a response is in flight: nothing more is read */
	PS_CONN_LINGER        /* our side is shut: read and drop until EOF, then close */
};

/* One connection: a few dozen bytes while idle; buffers only while used. */
struct ps_conn {
	int fd;
	uint8_t state;        /* enum ps_conn_state */
	uint8_t can_read;     /* edge-triggered epoll: readable until read says EAGAIN */
	uint8_t can_write;    /* writable until a send says EAGAIN */
	uint8_t in_ready;
	uint8_t need_parse;   /* rbuf holds bytes not yet parsed (a pipelined request) */
	uint8_t tl;           /* which timer list (PS_TL_*), 0xff when none */
	uint32_t rlen, rcap;  /* request buffer: allocated when bytes arrive */
	char *rbuf;
	struct ps_resp *resp; /* the response in flight, if any */
	pw_list tnode;        /* on ctx->timers[tl] */
	pw_list rnode;        /* on ctx->ready while in_ready */
	int64_t deadline_ms;
	int64_t t_start_ns;   /* the current request's first byte */
	struct ps_peer peer;
};

/* What ps_conn_send_body did. */
enum ps_send_result {
	PS_SEND_DONE = 0,     /* the whole response is sent */
	PS_SEND_MORE,         /* progress was made and more is left: call again next turn */
	PS_SEND_WAIT,         /* the socket is full (EAGAIN): wait until it is writable */
	PS_SEND_CLOSE         /* the connection must be closed (peer gone, file truncated, error) */
};

/* Set up a context (timer durations, chunk size); `copybuf` allocated when no_sendfile. Returns 0 or -1 (ENOMEM). */
int ps_ctx_init(struct ps_ctx *ctx, struct ps_site *site, size_t chunk, int no_sendfile,
	unsigned int idle_timeout_s);
/* Free what ps_ctx_init allocated (connections must be closed first). */
void ps_ctx_free(struct ps_ctx *ctx);
/* Refresh ctx->now_ms (and the cached Date header when the second changed). */
void ps_ctx_tick(struct ps_ctx *ctx);

/* A connection for the accepted, non-blocking socket `fd` (taken over: closed by ps_conn_close). NULL on ENOMEM. */
struct ps_conn *ps_conn_new(struct ps_ctx *ctx, int fd, const struct sockaddr *sa);
/* Close the socket, give the body back, unlink from every list and free. */
void ps_conn_close(struct ps_ctx *ctx, struct ps_conn *c);

/* Epoll reported readiness: remember it and put the connection on the ready list. */
void ps_conn_event(struct ps_ctx *ctx, struct ps_conn *c, uint32_t events);
/*
 * Do one bounded step of work on `c`: read and parse a request, or send
 * the response's headers and one chunk of its body. It puts itself back
 * on the ready list when it can go on without waiting, and may close
 * (and free) `c`.
 */
void ps_conn_step(struct ps_ctx *ctx, struct ps_conn *c);
/* Pop the head of the ready list (NULL when empty). */
struct ps_conn *ps_ready_pop(struct ps_ctx *ctx);
/* Close every connection whose deadline has passed. */
void ps_conn_expire(struct ps_ctx *ctx);
/* Milliseconds until the earliest deadline (-1: none). */
int64_t ps_conn_next_deadline(const struct ps_ctx *ctx);
/* Shutting down: close every connection that is not sending a response (all of them when `all`). */
void ps_conn_close_idle(struct ps_ctx *ctx, int all);

/*
 * Start a response on `c` by hand (the server goes through the request
 * parser instead): `hdr` (copied; at most 1 KiB) then bytes [off, end) of
 * `body` (its descriptor, or its memory), taken over and given back with
 * ps_body_release when done (unless ctx->site is NULL). `close_after`:
 * close once sent. Returns 0, or -1 (ENOMEM, or headers too long).
 */
int ps_conn_begin(struct ps_ctx *ctx, struct ps_conn *c, const char *hdr, size_t hdr_len,
	struct ps_body *body, uint64_t off, uint64_t end, int close_after);
/*
 * Send what is left of the response in flight: the rest of its headers
 * (with MSG_MORE when a body follows), then at most one chunk of the body
 * (sendfile, or pread + send, or send from memory). EINTR is retried; a
 * sendfile returning 0 before the end means the file was truncated: that
 * is reported on stderr and PS_SEND_CLOSE returned.
 */
enum ps_send_result ps_conn_send_body(struct ps_ctx *ctx, struct ps_conn *c);
/* Body bytes of the response in flight sent so far (for tests and the log). */
uint64_t ps_conn_body_sent(const struct ps_conn *c);

#endif
