/* server.c: the listener, the worker threads and their epoll loops, connection limits, accept back-off, signals and graceful shutdown. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "conn.h"
#include "gen.h"
#include "log.h"
#include "metrics.h"
#include "server.h"

#include "util/alloc.h"
#include "util/banned.h"

/* Events taken per epoll_wait, and connections accepted per loop turn. */
#define PS_EVENTS 256
#define PS_ACCEPT_BATCH 64
/* After EMFILE/ENFILE/ENOMEM from accept, stop accepting this long rather than spin. */
#define PS_ACCEPT_BACKOFF_MS 500
/* While the listener is disarmed at the connection limit, look again this often. */
#define PS_REARM_POLL_MS 100

struct ps_worker {
	struct ps_server *srv;
	pthread_t thread;
	int started;
	int epfd;
	int armed;
	int64_t backoff_until;
	int64_t grace_end;
	char listen_tag, wake_tag; /* their addresses mark the listener and the wake-up eventfd in epoll */
	struct ps_ctx ctx;
	struct ps_log log;
};

/*
 * One listening socket shared by every worker, each watching it with
 * EPOLLEXCLUSIVE, rather than one SO_REUSEPORT socket per worker: with a
 * single accept queue a connection waits for whichever worker is free,
 * where SO_REUSEPORT hashes it to one worker's queue even when that worker
 * is busy or has stopped accepting (at --max-connections); it also keeps
 * port 0 simple and leaves no second socket another process could bind
 * to the same port.
 */
struct ps_server {
	struct ps_server_opts opts;
	struct ps_site *site;
	int lfd;
	int wakefd;
	atomic_uint conns;
	atomic_int stop;
	atomic_int failed;
	sigset_t sigs;
	struct ps_log_sink sink;
	int have_sink;
	unsigned int nworkers;
	struct ps_worker **workers;
	char url[INET6_ADDRSTRLEN + 32];
	struct ps_metrics metrics;
	int mfd;                       /* the metrics listener, or -1 */
	pthread_t mthread;
	int mstarted;
	char murl[INET6_ADDRSTRLEN + 48];
};

/* Split "ADDR:PORT" / "[ADDR]:PORT" into host[] and *port. Returns 0, or -1 with a message. */
static int split_listen(char *host, size_t hostcap, const char **port, const char *spec,
	char *err, size_t errlen)
{
	const char *colon, *h = spec, *p;
	size_t hlen;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			goto bad;
		h = spec + 1;
		hlen = (size_t)(close - h);
		p = close + 2;
	} else {
		if (!(colon = strrchr(spec, ':')) || strchr(spec, ':') != colon)
			goto bad;
		hlen = (size_t)(colon - spec);
		p = colon + 1;
	}
	if (hlen == 0 || hlen >= hostcap || !*p || strspn(p, "0123456789") != strlen(p) ||
	    strlen(p) > 5 || strtoul(p, NULL, 10) > 65535)
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = p;
	return 0;
bad:
	snprintf(err, errlen, "--listen '%s': not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)", spec);
	return -1;
}

int ps_server_check_listen(const char *spec, char *err, size_t errlen)
{
	char host[256];
	const char *port;

	return split_listen(host, sizeof(host), &port, spec, err, errlen);
}

/* Resolve "ADDR:PORT". Returns 0, or -1 with a message. */
static int resolve(struct addrinfo **out, const char *opt, const char *spec, char *err,
	size_t errlen)
{
	char host[256];
	const char *port;
	struct addrinfo hints;
	int rc;

	if (split_listen(host, sizeof(host), &port, spec, err, errlen) < 0)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, out)) != 0) {
		snprintf(err, errlen, "%s '%s': %s", opt, spec, gai_strerror(rc));
		return -1;
	}
	return 0;
}

/* A decimal number made of digits only (no sign, no spaces), or -1. */
static long env_number(const char *s)
{
	long v = 0;

	if (!s || !*s || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
		return -1;
	while (*s)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * Socket activation, as sd_listen_fds(3) defines it: when LISTEN_PID is
 * this process and LISTEN_FDS is 1 or more, descriptor 3 is a listening
 * socket made for us (a systemd .socket unit, or systemd-socket-activate);
 * it is used instead of binding --listen. Descriptors past the first are
 * not ours to use: they are closed. The variables are unset so that
 * nothing started later takes them for its own. Returns 1 and the socket
 * in *fd, 0 when there is no activation, -1 with a message.
 */
static int inherited_listener(int *fd, char *err, size_t errlen)
{
	long pid = env_number(getenv("LISTEN_PID")), n = env_number(getenv("LISTEN_FDS")), i;
	int type = 0, acc = 0, fl;
	socklen_t len = sizeof(int);

	if (pid < 0 || pid != (long)getpid())
		return 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n < 1) {
		snprintf(err, errlen, "socket activation: LISTEN_FDS is not a number of descriptors");
		return -1;
	}
	for (i = 1; i < n && i < 1024; i++)
		close((int)(3 + i));
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM ||
	    getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc) {
		snprintf(err, errlen, "socket activation: descriptor 3 is not a listening stream socket");
		return -1;
	}
	if ((fl = fcntl(3, F_GETFL)) < 0 || fcntl(3, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "socket activation: descriptor 3: %s", strerror(errno));
		return -1;
	}
	*fd = 3;
	return 1;
}

/* The URL of the bound socket `fd` into `url`, with `path` after the port. */
static int socket_url(char *url, size_t cap, int fd, const char *path)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		snprintf(url, cap, "http://[%s]:%u/%s", addr, ntohs(in6->sin6_port), path);
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		snprintf(url, cap, "http://%s:%u/%s", addr, ntohs(in->sin_port), path);
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return 0;
}

/* Bind and listen on `spec` (what --listen or --metrics-listen says). The socket, or -1 with a message. */
static int bind_listener(const char *opt, const char *spec, char *err, size_t errlen)
{
	struct addrinfo *ai = NULL, *a;
	int fd = -1, one = 1, saved = 0;

	if (resolve(&ai, opt, spec, err, errlen) < 0)
		return -1;
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		snprintf(err, errlen, "%s '%s': %s", opt, spec, strerror(saved));
	return fd;
}

static int open_listener(struct ps_server *srv, char *err, size_t errlen)
{
	int fd = -1, rc;

	if ((rc = inherited_listener(&fd, err, errlen)) < 0)
		return -1;
	if (rc == 0 && (fd = bind_listener("--listen", srv->opts.listen, err, errlen)) < 0)
		return -1;
	srv->lfd = fd;
	if (socket_url(srv->url, sizeof(srv->url), fd, "") < 0) {
		snprintf(err, errlen, "%s: %s", rc ? "socket activation" : "--listen", strerror(errno));
		return -1;
	}
	return 0;
}

int ps_server_new(struct ps_server **out, const struct ps_server_opts *opts,
	struct ps_site *site, char *err, size_t errlen)
{
	struct ps_server *srv;

	*out = NULL;
	if (!(srv = calloc(1, sizeof(*srv)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	srv->opts = *opts;
	srv->site = site;
	srv->lfd = -1;
	srv->wakefd = -1;
	srv->mfd = -1;
	/* A peer that goes away must give EPIPE, not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&srv->sigs);
	sigaddset(&srv->sigs, SIGINT);
	sigaddset(&srv->sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &srv->sigs, NULL);
	if (opts->access_log) {
		if (ps_log_sink_open(&srv->sink, opts->access_log) < 0) {
			snprintf(err, errlen, "--access-log '%s': %s", opts->access_log, strerror(errno));
			goto fail;
		}
		srv->have_sink = 1;
	}
	if (open_listener(srv, err, errlen) < 0)
		goto fail;
	if (opts->metrics_listen) {
		if ((srv->mfd = bind_listener("--metrics-listen", opts->metrics_listen, err, errlen)) < 0)
			goto fail;
		if (socket_url(srv->murl, sizeof(srv->murl), srv->mfd, "metrics") < 0) {
			snprintf(err, errlen, "--metrics-listen: %s", strerror(errno));
			goto fail;
		}
	}
	if ((srv->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	ps_server_free(srv);
	return -1;
}

const char *ps_server_url(const struct ps_server *srv)
{
	return srv->url;
}

const char *ps_server_metrics_url(const struct ps_server *srv)
{
	return srv->mfd >= 0 ? srv->murl : NULL;
}

/* How long a metrics client may take to send its request or read the answer. */
#define PS_METRICS_TIMEOUT_S 2
#define PS_METRICS_HEAD_MAX 4096

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * One metrics client: read its request head (bounded in size and time),
 * answer GET or HEAD /metrics with the exposition, anything else 404 or
 * 405, and close. One at a time, on the metrics thread, with blocking
 * calls under timeouts: the endpoint is for a scraper every few seconds,
 * not for the public, and never touches the workers' loops.
 */
static void metrics_client(struct ps_server *srv, int fd)
{
	struct timeval tv = { PS_METRICS_TIMEOUT_S, 0 };
	struct ps_buf body = { NULL, 0, 0 };
	char head[PS_METRICS_HEAD_MAX + 1], hdr[256];
	const char *status = "200 OK";
	size_t len = 0;
	ssize_t n;
	int is_head = 0, hn;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < PS_METRICS_HEAD_MAX) {
		n = recv(fd, head + len, PS_METRICS_HEAD_MAX - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		head[len] = '\0';
		if (strstr(head, "\r\n\r\n") || strstr(head, "\n\n"))
			break;
	}
	head[len] = '\0';
	if (!strncmp(head, "HEAD ", 5))
		is_head = 1;
	if (strncmp(head, "GET ", 4) && !is_head)
		status = "405 Method Not Allowed";
	else if (strncmp(head + (is_head ? 5 : 4), "/metrics", 8) ||
		 !strchr(" ?", head[(is_head ? 5 : 4) + 8]))
		status = "404 Not Found";
	if (status[0] == '2') {
		if (ps_metrics_format(&body, &srv->metrics, atomic_load(&srv->conns), srv->site) < 0)
			status = "500 Internal Server Error";
	}
	if (status[0] != '2') {
		pw__free(body.data);
		body.data = NULL;
		body.len = 0;
	}
	hn = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4; "
		"charset=utf-8\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
		"Connection: close\r\n\r\n", status, body.len);
	if (hn > 0 && (size_t)hn < sizeof(hdr) && write_all(fd, hdr, (size_t)hn) == 0 && !is_head &&
	    body.len)
		write_all(fd, body.data, body.len);
	pw__free(body.data);
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void *metrics_main(void *arg)
{
	struct ps_server *srv = arg;
	struct pollfd p[2];
	int fd;

	for (;;) {
		p[0].fd = srv->mfd;
		p[0].events = POLLIN;
		p[1].fd = srv->wakefd;
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "pack-serve: metrics: poll: %s\n", strerror(errno));
			return NULL;
		}
		/* The wake-up eventfd is written once, at shutdown, and never read: readable means stop. */
		if (p[1].revents || atomic_load(&srv->stop))
			return NULL;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(srv->mfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			metrics_client(srv, fd);
		else if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS)
			poll(NULL, 0, PS_ACCEPT_BACKOFF_MS);
	}
}

static void arm(struct ps_worker *w)
{
	struct epoll_event ev;

	if (w->armed)
		return;
	memset(&ev, 0, sizeof(ev));
	/* EPOLLEXCLUSIVE: one waiting worker is woken per connection, not all of them. */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.ptr = &w->listen_tag;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->srv->lfd, &ev) == 0)
		w->armed = 1;
}

static void disarm(struct ps_worker *w)
{
	if (!w->armed)
		return;
	/* EPOLLEXCLUSIVE cannot be changed with EPOLL_CTL_MOD: remove, add again later. */
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->srv->lfd, NULL);
	w->armed = 0;
}

static void accept_failed(struct ps_worker *w, int err)
{
	fprintf(stderr, "pack-serve: accept: %s; not accepting for %d ms\n", strerror(err),
		PS_ACCEPT_BACKOFF_MS);
	disarm(w);
	w->backoff_until = w->ctx.now_ms + PS_ACCEPT_BACKOFF_MS;
}

static void do_accept(struct ps_worker *w)
{
	struct ps_server *srv = w->srv;
	struct sockaddr_storage ss;
	struct epoll_event ev;
	struct ps_conn *c;
	socklen_t sl;
	int i, fd, one = 1;

	for (i = 0; i < PS_ACCEPT_BATCH; i++) {
		/* Take a place first, so that all workers together never pass the limit. */
		if (atomic_fetch_add(&srv->conns, 1) >= srv->opts.max_connections) {
			atomic_fetch_sub(&srv->conns, 1);
			/* Full: leave new connections in the kernel's backlog until one closes. */
			disarm(w);
			return;
		}
		sl = sizeof(ss);
		fd = accept4(srv->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			atomic_fetch_sub(&srv->conns, 1);
			switch (e) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
			case EPERM:
			case ENETDOWN:
			case ENOPROTOOPT:
			case EHOSTDOWN:
			case ENONET:
			case EHOSTUNREACH:
			case EOPNOTSUPP:
			case ENETUNREACH:
				/* That one connection failed; the next may not. */
				continue;
			default:
				/* EMFILE, ENFILE, ENOBUFS, ENOMEM, anything odd. */
				accept_failed(w, e);
				return;
			}
		}
		/* Small responses and the last bytes of a body go out at once; MSG_MORE does the batching. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!(c = ps_conn_new(&w->ctx, fd, (struct sockaddr *)&ss))) {
			close(fd);
			atomic_fetch_sub(&srv->conns, 1);
			accept_failed(w, ENOMEM);
			return;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			int e = errno;
			ps_conn_close(&w->ctx, c);
			accept_failed(w, e);
			return;
		}
	}
}

static void maybe_rearm(struct ps_worker *w)
{
	if (!w->armed && !w->ctx.stopping && w->ctx.now_ms >= w->backoff_until &&
	    atomic_load(&w->srv->conns) < w->srv->opts.max_connections)
		arm(w);
}

static int loop_timeout(struct ps_worker *w)
{
	int64_t t;

	if (w->ctx.ready_count)
		return 0;
	t = ps_conn_next_deadline(&w->ctx);
	if (t < 0 || t > 1000)
		t = 1000;
	if (!w->armed && !w->ctx.stopping && t > PS_REARM_POLL_MS)
		t = PS_REARM_POLL_MS;
	if (w->ctx.stopping && w->grace_end - w->ctx.now_ms < t)
		t = w->grace_end - w->ctx.now_ms;
	return t < 0 ? 0 : (int)t;
}

static void begin_stop(struct ps_worker *w)
{
	disarm(w);
	w->ctx.stopping = 1;
	w->grace_end = w->ctx.now_ms + (int64_t)w->srv->opts.shutdown_timeout * 1000;
	ps_conn_close_idle(&w->ctx, 0);
}

static void *worker_main(void *arg)
{
	struct ps_worker *w = arg;
	struct ps_ctx *ctx = &w->ctx;
	struct epoll_event ev[PS_EVENTS];
	struct ps_conn *c;
	unsigned int k;
	int n, i;

	for (;;) {
		if (atomic_load(&w->srv->stop) && !ctx->stopping)
			begin_stop(w);
		if (ctx->stopping && (ctx->nconns == 0 || ctx->now_ms >= w->grace_end))
			break;
		n = epoll_wait(w->epfd, ev, PS_EVENTS, loop_timeout(w));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "pack-serve: epoll_wait: %s\n", strerror(errno));
			atomic_store(&w->srv->failed, 1);
			/* Wake the main thread's sigwait: everything shuts down. */
			kill(getpid(), SIGTERM);
			break;
		}
		ps_ctx_tick(ctx);
		for (i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;
			if (p == &w->listen_tag) {
				if (!ctx->stopping)
					do_accept(w);
			} else if (p != &w->wake_tag) {
				ps_conn_event(ctx, p, ev[i].events);
			}
		}
		/*
		 * One step per connection that was ready when the turn began:
		 * those that can go on are queued again, behind the others.
		 */
		for (k = ctx->ready_count; k > 0 && (c = ps_ready_pop(ctx)); k--)
			ps_conn_step(ctx, c);
		ps_conn_expire(ctx);
		ps_site_sweep(w->srv->site);
		maybe_rearm(w);
		if (ctx->log)
			ps_log_flush(ctx->log);
	}
	/* Past the grace time: cut what is left. */
	ps_conn_close_idle(ctx, 1);
	if (ctx->log)
		ps_log_flush(ctx->log);
	return NULL;
}

static int start_worker(struct ps_server *srv, struct ps_worker *w)
{
	struct epoll_event ev;

	w->srv = srv;
	w->epfd = -1;
	if (ps_ctx_init(&w->ctx, srv->site, srv->opts.chunk, srv->opts.no_sendfile,
		srv->opts.idle_timeout) < 0)
		return -1;
	w->ctx.global_conns = &srv->conns;
	w->ctx.metrics = &srv->metrics;
	if (srv->have_sink) {
		w->log.sink = &srv->sink;
		w->ctx.log = &w->log;
	}
	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	/* Edge-triggered and never read: one write wakes every worker once. */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.ptr = &w->wake_tag;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, srv->wakefd, &ev) < 0)
		return -1;
	arm(w);
	if (!w->armed)
		return -1;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		return -1;
	w->started = 1;
	return 0;
}

static void stop_workers(struct ps_server *srv)
{
	uint64_t one = 1;
	unsigned int i;
	ssize_t n;

	atomic_store(&srv->stop, 1);
	do
		n = write(srv->wakefd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
	for (i = 0; i < srv->nworkers; i++)
		if (srv->workers[i]->started)
			pthread_join(srv->workers[i]->thread, NULL);
	if (srv->mstarted)
		pthread_join(srv->mthread, NULL);
	srv->mstarted = 0;
}

int ps_server_run(struct ps_server *srv)
{
	unsigned int i;
	int sig, rc = 0;

	if (!(srv->workers = calloc(srv->opts.threads, sizeof(*srv->workers)))) {
		fprintf(stderr, "pack-serve: out of memory\n");
		return -1;
	}
	for (i = 0; i < srv->opts.threads; i++) {
		/* Allocated apart: each holds its log buffer and scratch space. */
		if (!(srv->workers[i] = calloc(1, sizeof(struct ps_worker)))) {
			rc = -1;
			break;
		}
		srv->nworkers++;
		if (start_worker(srv, srv->workers[i]) < 0) {
			fprintf(stderr, "pack-serve: starting worker %u: %s\n", i, strerror(errno));
			rc = -1;
			break;
		}
	}
	if (rc == 0 && srv->mfd >= 0) {
		if (pthread_create(&srv->mthread, NULL, metrics_main, srv) != 0) {
			fprintf(stderr, "pack-serve: starting the metrics thread: %s\n", strerror(errno));
			rc = -1;
		} else {
			srv->mstarted = 1;
		}
	}
	if (rc == 0) {
		/* The main thread only waits for the signal that ends it all. */
		while (sigwait(&srv->sigs, &sig) != 0)
			;
	}
	stop_workers(srv);
	if (atomic_load(&srv->failed))
		rc = -1;
	return rc;
}

void ps_server_free(struct ps_server *srv)
{
	unsigned int i;

	if (!srv)
		return;
	for (i = 0; i < srv->nworkers; i++) {
		struct ps_worker *w = srv->workers[i];
		if (w->epfd >= 0)
			close(w->epfd);
		ps_ctx_free(&w->ctx);
		free(w);
	}
	free(srv->workers);
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->mfd >= 0)
		close(srv->mfd);
	if (srv->wakefd >= 0)
		close(srv->wakefd);
	if (srv->have_sink)
		ps_log_sink_close(&srv->sink);
	free(srv);
}
