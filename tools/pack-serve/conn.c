/* conn.c: a connection's life: lazy request buffer, head parsing, the response's send path (sendfile or copy), timeouts, ready list and lingering close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "metrics.h"
#include "respond.h"

#include "util/banned.h"

/*
 * The request buffer starts small (most heads are a few hundred bytes)
 * and grows up to what the parser's caps allow, so a head that is still
 * incomplete when the buffer is full is over the caps.
 */
#define RBUF_MIN 2048
#define RBUF_MAX (PS_MAX_REQUEST_LINE + PS_MAX_HEADERS + 64)
/* How long a lingering close waits for the peer's EOF at most. */
#define LINGER_MS 2000
/* EINTR is retried, but not forever. */
#define EINTR_TRIES 16

/*
 * n = call, made again while it fails with EINTR, EINTR_TRIES times in all
 * at most. `call` is a system call returning ssize_t; a signal storm then
 * ends as an ordinary EINTR error instead of a loop that never yields.
 */
#define RETRY_EINTR(n, call) \
	do { \
		int tries_ = 0; \
		do \
			(n) = (call); \
		while ((n) < 0 && errno == EINTR && ++tries_ < EINTR_TRIES); \
	} while (0)
/* Recv calls per turn while lingering (each drops up to sizeof(ctx->scratch)). */
#define LINGER_READS 4

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ps_ctx_init(struct ps_ctx *ctx, struct ps_site *site, size_t chunk, int no_sendfile,
	unsigned int idle_timeout_s)
{
	int64_t idle_ms = (int64_t)idle_timeout_s * 1000;

	memset(ctx, 0, sizeof(*ctx));
	ctx->site = site;
	ctx->chunk = chunk;
	ctx->no_sendfile = no_sendfile;
	pw__list_init(&ctx->ready);
	pw__list_init(&ctx->timers[PS_TL_MAIN].conns);
	pw__list_init(&ctx->timers[PS_TL_LINGER].conns);
	ctx->timers[PS_TL_MAIN].duration_ms = idle_ms;
	ctx->timers[PS_TL_LINGER].duration_ms = idle_ms < LINGER_MS ? idle_ms : LINGER_MS;
	if (no_sendfile && !(ctx->copybuf = malloc(chunk)))
		return -1;
	ps_ctx_tick(ctx);
	return 0;
}

void ps_ctx_free(struct ps_ctx *ctx)
{
	free(ctx->copybuf);
	ctx->copybuf = NULL;
}

void ps_ctx_tick(struct ps_ctx *ctx)
{
	time_t now = time(NULL);

	ctx->now_ms = mono_ns() / 1000000;
	if (now != ctx->date_sec || !ctx->date[0]) {
		ps_http_format_date(ctx->date, now);
		ctx->date_sec = now;
	}
}

static void tl_remove(struct ps_conn *c)
{
	pw__list_remove(&c->tnode);
	c->tl = 0xff;
}

/* The connection with the earliest deadline on list `which`, or NULL. */
static struct ps_conn *tl_first(const struct ps_ctx *ctx, int which)
{
	pw_list *n = pw__list_first(&ctx->timers[which].conns);

	return n ? PW_LIST_ENTRY(n, struct ps_conn, tnode) : NULL;
}

/* (Re)start c's deadline on list `which`: now + its duration, at the tail, so the list stays sorted. */
static void tl_set(struct ps_ctx *ctx, struct ps_conn *c, int which)
{
	struct ps_tlist *l = &ctx->timers[which];

	tl_remove(c);
	c->deadline_ms = ctx->now_ms + l->duration_ms;
	c->tl = (uint8_t)which;
	pw__list_push_back(&l->conns, &c->tnode);
}

static void ready_push(struct ps_ctx *ctx, struct ps_conn *c)
{
	if (c->in_ready)
		return;
	c->in_ready = 1;
	pw__list_push_back(&ctx->ready, &c->rnode);
	ctx->ready_count++;
}

static void ready_remove(struct ps_ctx *ctx, struct ps_conn *c)
{
	if (!c->in_ready)
		return;
	pw__list_remove(&c->rnode);
	c->in_ready = 0;
	ctx->ready_count--;
}

struct ps_conn *ps_ready_pop(struct ps_ctx *ctx)
{
	pw_list *n = pw__list_first(&ctx->ready);
	struct ps_conn *c;

	if (!n)
		return NULL;
	c = PW_LIST_ENTRY(n, struct ps_conn, rnode);
	ready_remove(ctx, c);
	return c;
}

struct ps_conn *ps_conn_new(struct ps_ctx *ctx, int fd, const struct sockaddr *sa)
{
	struct ps_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->tl = 0xff;
	pw__list_init(&c->tnode);
	pw__list_init(&c->rnode);
	c->can_write = 1;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		c->peer.family = AF_INET;
		c->peer.port = ntohs(in->sin_port);
		memcpy(c->peer.addr, &in->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		c->peer.family = AF_INET6;
		c->peer.port = ntohs(in6->sin6_port);
		memcpy(c->peer.addr, &in6->sin6_addr, 16);
	}
	ctx->nconns++;
	tl_set(ctx, c, PS_TL_MAIN);
	return c;
}

/* One access-log line for the response in flight (finished, or cut short). */
static void log_response(struct ps_ctx *ctx, struct ps_conn *c)
{
	const struct ps_resp *r = c->resp;
	const char *line = NULL;
	size_t line_len = 0;
	double secs;

	if (!ctx->log)
		return;
	if (c->rbuf)
		ps_request_line(&line, &line_len, c->rbuf, r->parsed ? r->head_bytes : c->rlen);
	secs = c->t_start_ns ? (double)(mono_ns() - c->t_start_ns) / 1e9 : 0.0;
	if (secs < 0)
		secs = 0;
	ps_log_request(ctx->log, &c->peer, ctx->date_sec, line, line_len, r->status, r->sent,
		r->parsed ? r->req.referer : NULL, r->parsed ? r->req.referer_len : 0,
		r->parsed ? r->req.user_agent : NULL, r->parsed ? r->req.user_agent_len : 0, secs,
		r->note);
}

/* Log and free the response in flight, giving its body back. */
static void drop_response(struct ps_ctx *ctx, struct ps_conn *c)
{
	struct ps_resp *r = c->resp;

	if (!r)
		return;
	log_response(ctx, c);
	ps_metrics_response(ctx->metrics, r->status,
		r->npieces && r->parsed && r->req.method == PS_METHOD_GET);
	if (r->held && ctx->site)
		ps_body_release(ctx->site, &r->body);
	if (ctx->copy_owner == c)
		ctx->copy_owner = NULL;
	free(r);
	c->resp = NULL;
}

static void free_rbuf(struct ps_conn *c)
{
	free(c->rbuf);
	c->rbuf = NULL;
	c->rlen = c->rcap = 0;
}

void ps_conn_close(struct ps_ctx *ctx, struct ps_conn *c)
{
	drop_response(ctx, c);
	tl_remove(c);
	ready_remove(ctx, c);
	if (ctx->copy_owner == c)
		ctx->copy_owner = NULL;
	free_rbuf(c);
	/* Closing also takes the socket out of the worker's epoll set (it is never duplicated). */
	close(c->fd);
	ctx->nconns--;
	if (ctx->global_conns)
		atomic_fetch_sub(ctx->global_conns, 1);
	free(c);
}

/* Shut our side and read until the peer's EOF, so unread request bytes do not turn our last response into a reset. */
static void start_linger(struct ps_ctx *ctx, struct ps_conn *c)
{
	if (ctx->stopping || shutdown(c->fd, SHUT_WR) < 0) {
		ps_conn_close(ctx, c);
		return;
	}
	free_rbuf(c);
	c->state = PS_CONN_LINGER;
	c->can_read = 1;
	tl_set(ctx, c, PS_TL_LINGER);
	ready_push(ctx, c);
}

static void finish_response(struct ps_ctx *ctx, struct ps_conn *c)
{
	size_t used = c->resp->head_bytes;
	int close_after = c->resp->close_after || ctx->stopping;

	drop_response(ctx, c);
	c->state = PS_CONN_READING;
	c->t_start_ns = 0;
	if (close_after) {
		start_linger(ctx, c);
		return;
	}
	if (used < c->rlen) {
		/* A pipelined request is already here: its head deadline runs from now. */
		memmove(c->rbuf, c->rbuf + used, c->rlen - used);
		c->rlen -= (uint32_t)used;
		c->need_parse = 1;
		c->t_start_ns = mono_ns();
		tl_set(ctx, c, PS_TL_MAIN);
		ready_push(ctx, c);
		return;
	}
	/* Idle: nothing buffered, so no buffer held either. */
	free_rbuf(c);
	tl_set(ctx, c, PS_TL_MAIN);
	if (c->can_read)
		ready_push(ctx, c);
}

/* Read what the socket has into the request buffer: 1 got bytes (or it is full), 0 EAGAIN, -1 EOF or error. */
static int fill(struct ps_ctx *ctx, struct ps_conn *c)
{
	uint32_t ncap;
	ssize_t n;
	char *p;

	if (c->rlen == c->rcap) {
		if (c->rcap >= RBUF_MAX)
			return 1;
		ncap = c->rcap ? c->rcap * 2 : RBUF_MIN;
		if (ncap > RBUF_MAX)
			ncap = RBUF_MAX;
		if (!(p = realloc(c->rbuf, ncap)))
			return -1;
		c->rbuf = p;
		c->rcap = ncap;
	}
	RETRY_EINTR(n, recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0));
	if (n > 0) {
		if (c->rlen == 0) {
			/* The first byte of a request: the whole head must come within the timeout from now. */
			c->t_start_ns = mono_ns();
			tl_set(ctx, c, PS_TL_MAIN);
		}
		c->rlen += (uint32_t)n;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->can_read = 0;
		if (c->rlen == 0)
			free_rbuf(c);
		return 0;
	}
	return -1;
}

/* Parse the buffered head; when complete (or hopeless) build its response. 1: a response is in flight, 0: need more, -1: close. */
static int handle_head(struct ps_ctx *ctx, struct ps_conn *c)
{
	struct ps_request req;
	struct ps_resp *r;
	int rc;

	memset(&req, 0, sizeof(req));
	rc = ps_http_parse(&req, c->rbuf, c->rlen);
	if (rc == 0) {
		if (c->rlen < RBUF_MAX)
			return 0;
		rc = -431;
	}
	if (!(r = calloc(1, sizeof(*r))))
		return -1;
	ps_respond(r, ctx->site, &req, rc, ctx->date, ctx->stopping);
	c->resp = r;
	c->state = PS_CONN_WRITING;
	return 1;
}

/* Quietly for a peer that went away, with a line on stderr for anything stranger. */
static enum ps_send_result send_error(const char *what, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		return PS_SEND_WAIT;
	if (err != EPIPE && err != ECONNRESET && err != ENOTCONN && err != ETIMEDOUT)
		fprintf(stderr, "pack-serve: %s: %s\n", what, strerror(err));
	return PS_SEND_CLOSE;
}

static void report_truncated(const struct ps_resp *r)
{
	int tlen = r->parsed ? (int)(r->req.target_len > 256 ? 256 : r->req.target_len) : 1;

	fprintf(stderr, "pack-serve: %.*s: file truncated while sending (%llu of %llu bytes sent); "
		"connection closed\n", tlen, r->parsed ? r->req.target : "?",
		(unsigned long long)r->sent, (unsigned long long)r->body.size);
}

/* Bodies at least this large are sent with TCP_CORK set. */
#define PS_CORK_MIN (1u << 20)

static void uncork(struct ps_conn *c)
{
	int zero = 0;

	if (c->resp && c->resp->corked) {
		setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
		c->resp->corked = 0;
	}
}

/* --no-sendfile: the next bytes of the body (`want` bytes at `fpos` of `fd`) through the worker's buffer. */
static enum ps_send_result copy_chunk(struct ps_ctx *ctx, struct ps_conn *c, int fd, uint64_t fpos,
	size_t want)
{
	struct ps_resp *r = c->resp;
	ssize_t n;

	if (ctx->copy_owner != c || ctx->copy_off != r->off || ctx->copy_len == 0) {
		/* The buffer is shared: refill it unless it still holds exactly our next bytes. */
		RETRY_EINTR(n, pread(fd, ctx->copybuf, want, (off_t)fpos));
		if (n < 0)
			return send_error("read", errno);
		if (n == 0) {
			report_truncated(r);
			return PS_SEND_CLOSE;
		}
		ctx->copy_owner = c;
		ctx->copy_off = r->off;
		ctx->copy_pos = 0;
		ctx->copy_len = (size_t)n;
	}
	RETRY_EINTR(n, send(c->fd, ctx->copybuf + ctx->copy_pos, ctx->copy_len, MSG_NOSIGNAL));
	if (n < 0)
		return send_error("send", errno);
	if (ctx->metrics)
		atomic_fetch_add_explicit(&ctx->metrics->sent_copy, (unsigned long long)n,
			memory_order_relaxed);
	r->off += (uint64_t)n;
	r->sent += (uint64_t)n;
	ctx->copy_pos += (size_t)n;
	ctx->copy_len -= (size_t)n;
	ctx->copy_off += (uint64_t)n;
	if (r->off < r->end)
		return PS_SEND_MORE;
	uncork(c);
	return PS_SEND_DONE;
}

/*
 * Where the body byte r->off of a body made of pieces lies: its
 * descriptor and file offset, or its memory; `*want` is cut at the end of
 * that piece, and `*more` says whether body bytes follow it. The pieces
 * are few (a bundle: its header, one per pack, a trailer), so a scan is
 * cheaper than anything cleverer.
 */
static int piece_at(const struct ps_resp *r, int *fd, uint64_t *fpos, const char **mem,
	size_t *want, int *more)
{
	uint64_t start = 0, in;
	size_t i;

	for (i = 0; i < r->npieces; i++) {
		const struct ps_piece *p = &r->pieces[i];
		if (r->off < start + p->len) {
			in = r->off - start;
			if (*want > p->len - in)
				*want = (size_t)(p->len - in);
			*fd = p->fd;
			*fpos = p->off + in;
			*mem = p->fd < 0 ? p->mem + in : NULL;
			*more = r->off + *want < r->end;
			return 0;
		}
		start += p->len;
	}
	return -1;
}

enum ps_send_result ps_conn_send_body(struct ps_ctx *ctx, struct ps_conn *c)
{
	struct ps_resp *r = c->resp;
	const char *mem;
	uint64_t left, fpos;
	size_t want;
	ssize_t n;
	off_t pos;
	int fd, more = 0;

	if (!r)
		return PS_SEND_DONE;
	/*
	 * A large file body sent while no other connection of this worker has
	 * work waiting: cork the socket for the whole transfer, so the kernel
	 * sends only full segments and pushes once per window instead of at
	 * the end of every sendfile call (with TCP_NODELAY each call's tail went
	 * out alone). Uncorking at the end flushes the last bytes. It saves
	 * CPU for one download at a time, but costs more with many busy
	 * clients, where the kernel's own autocorking already batches the
	 * queued sends (docs/PERFORMANCE.md, "pack-serve: one large download
	 * at a time").
	 */
	if (!r->corked && (r->fd >= 0 || r->npieces) && r->end - r->off >= PS_CORK_MIN && r->hdr_off == 0 &&
	    ctx->ready_count == 0) {
		int one = 1;
		if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) == 0)
			r->corked = 1;
	}
	while (r->hdr_off < r->hdr_len) {
		/* MSG_MORE: the headers wait to share a packet with the body's first bytes. */
		RETRY_EINTR(n, send(c->fd, r->hdr + r->hdr_off, r->hdr_len - r->hdr_off,
			MSG_NOSIGNAL | (r->off < r->end ? MSG_MORE : 0)));
		if (n < 0)
			return send_error("send", errno);
		r->hdr_off += (uint32_t)n;
		if (r->hdr_off < r->hdr_len)
			return PS_SEND_MORE;
	}
	if (r->off >= r->end)
		return PS_SEND_DONE;
	left = r->end - r->off;
	want = left < ctx->chunk ? (size_t)left : ctx->chunk;
	fd = r->fd;
	fpos = r->off;
	mem = r->mem ? r->mem + r->off : NULL;
	if (r->npieces && piece_at(r, &fd, &fpos, &mem, &want, &more) < 0)
		return PS_SEND_CLOSE;
	if (fd >= 0 && ctx->no_sendfile && ctx->copybuf)
		return copy_chunk(ctx, c, fd, fpos, want);
	pos = (off_t)fpos;
	if (fd >= 0)
		RETRY_EINTR(n, sendfile(c->fd, fd, &pos, want));
	else if (mem)
		/* A piece in memory (a bundle's header) shares its packet with the pack bytes after it. */
		RETRY_EINTR(n, send(c->fd, mem, want, MSG_NOSIGNAL | (more ? MSG_MORE : 0)));
	else
		return PS_SEND_CLOSE;
	if (n < 0)
		return send_error(fd >= 0 ? "sendfile" : "send", errno);
	if (n == 0) {
		/* sendfile gives 0 at the file's end: it is shorter than when we looked it up. */
		report_truncated(r);
		return PS_SEND_CLOSE;
	}
	if ((uint64_t)n > want)
		return PS_SEND_CLOSE;
	if (ctx->metrics)
		atomic_fetch_add_explicit(fd >= 0 ? &ctx->metrics->sent_sendfile : &ctx->metrics->sent_copy,
			(unsigned long long)n, memory_order_relaxed);
	r->off += (uint64_t)n;
	r->sent += (uint64_t)n;
	if (r->off < r->end)
		return PS_SEND_MORE;
	uncork(c);
	return PS_SEND_DONE;
}

uint64_t ps_conn_body_sent(const struct ps_conn *c)
{
	return c->resp ? c->resp->sent : 0;
}

int ps_conn_begin(struct ps_ctx *ctx, struct ps_conn *c, const char *hdr, size_t hdr_len,
	struct ps_body *body, uint64_t off, uint64_t end, int close_after)
{
	struct ps_resp *r;

	if (hdr_len > sizeof(r->hdr) || c->resp || (body && end > body->size) || off > end)
		return -1;
	if (!(r = calloc(1, sizeof(*r))))
		return -1;
	memcpy(r->hdr, hdr, hdr_len);
	r->hdr_len = (uint32_t)hdr_len;
	r->status = 200;
	r->fd = -1;
	if (body) {
		r->body = *body;
		r->held = 1;
		r->fd = body->fd;
		r->mem = body->fd < 0 ? body->mem : NULL;
		r->pieces = body->pieces;
		r->npieces = body->npieces;
	}
	r->off = off;
	r->end = body ? end : off;
	r->close_after = close_after;
	c->resp = r;
	c->state = PS_CONN_WRITING;
	c->t_start_ns = mono_ns();
	return 0;
}

static void do_send(struct ps_ctx *ctx, struct ps_conn *c)
{
	uint64_t before = c->resp->sent + c->resp->hdr_off;

	switch (ps_conn_send_body(ctx, c)) {
	case PS_SEND_DONE:
		finish_response(ctx, c);
		return;
	case PS_SEND_MORE:
		tl_set(ctx, c, PS_TL_MAIN);
		ready_push(ctx, c);
		return;
	case PS_SEND_WAIT:
		/* A send that makes progress restarts the clock; one stuck for the timeout is cut. */
		if (c->resp->sent + c->resp->hdr_off != before)
			tl_set(ctx, c, PS_TL_MAIN);
		c->can_write = 0;
		return;
	case PS_SEND_CLOSE:
		ps_conn_close(ctx, c);
		return;
	}
}

static void drain(struct ps_ctx *ctx, struct ps_conn *c)
{
	ssize_t n;
	int i;

	for (i = 0; i < LINGER_READS; i++) {
		n = recv(c->fd, ctx->scratch, sizeof(ctx->scratch), 0);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->can_read = 0;
			return;
		}
		ps_conn_close(ctx, c);
		return;
	}
	ready_push(ctx, c);
}

void ps_conn_step(struct ps_ctx *ctx, struct ps_conn *c)
{
	int rc;

	switch (c->state) {
	case PS_CONN_READING:
		if (!c->need_parse) {
			if (!c->can_read)
				return;
			rc = fill(ctx, c);
			if (rc < 0) {
				ps_conn_close(ctx, c);
				return;
			}
			if (rc == 0)
				return;
		}
		c->need_parse = 0;
		rc = handle_head(ctx, c);
		if (rc < 0) {
			ps_conn_close(ctx, c);
			return;
		}
		if (rc == 0) {
			if (c->can_read)
				ready_push(ctx, c);
			return;
		}
		tl_set(ctx, c, PS_TL_MAIN);
		/* The headers and the first chunk go out in this same turn. */
		if (c->can_write)
			do_send(ctx, c);
		return;
	case PS_CONN_WRITING:
		if (c->can_write)
			do_send(ctx, c);
		return;
	case PS_CONN_LINGER:
		if (c->can_read)
			drain(ctx, c);
		return;
	}
}

void ps_conn_event(struct ps_ctx *ctx, struct ps_conn *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->can_read = 1;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->can_write = 1;
	if ((c->state == PS_CONN_WRITING && c->can_write) ||
	    (c->state != PS_CONN_WRITING && (c->can_read || c->need_parse)))
		ready_push(ctx, c);
}

void ps_conn_expire(struct ps_ctx *ctx)
{
	struct ps_conn *c;
	int i;

	for (i = 0; i < PS_TL_COUNT; i++)
		while ((c = tl_first(ctx, i)) && c->deadline_ms <= ctx->now_ms)
			ps_conn_close(ctx, c);
}

int64_t ps_conn_next_deadline(const struct ps_ctx *ctx)
{
	const struct ps_conn *c;
	int64_t best = -1, d;
	int i;

	for (i = 0; i < PS_TL_COUNT; i++) {
		if (!(c = tl_first(ctx, i)))
			continue;
		d = c->deadline_ms - ctx->now_ms;
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	return best;
}

void ps_conn_close_idle(struct ps_ctx *ctx, int all)
{
	pw_list *it, *next;
	int i;

	for (i = 0; i < PS_TL_COUNT; i++) {
		PW_LIST_FOREACH_SAFE(it, next, &ctx->timers[i].conns) {
			struct ps_conn *c = PW_LIST_ENTRY(it, struct ps_conn, tnode);
			if (all || c->state != PS_CONN_WRITING)
				ps_conn_close(ctx, c);
		}
	}
}
