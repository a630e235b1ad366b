/*
 * test_ps_send.c: pack-serve's send path (tools/pack-serve/conn.c) under
 * faults: sendfile is wrapped (-Wl,--wrap=sendfile64) to return short
 * counts, EAGAIN at every other call, EINTR and 0 (a truncated file); a
 * connection over a non-blocking socketpair must still deliver exactly the
 * headers and then the body range, never more than one chunk per call, and
 * close on truncation. Also the --no-sendfile copy path, and requests
 * pipelined through the whole state machine against a real site.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "conn.h"
#include "testutil.h"

/* ------------------------------------------------------- sendfile faults */

enum {
	F_SHORT = 1,   /* move at most a few thousand bytes per call */
	F_EAGAIN = 2,  /* every other call fails with EAGAIN */
	F_EINTR = 4,   /* every third call fails with EINTR first */
	F_EINTR_ALWAYS = 8 /* every call fails with EINTR */
};

static struct {
	int mode;
	uint64_t trunc_at;     /* nonzero: the file "ends" here (sendfile returns 0) */
	unsigned int calls;    /* every call */
	unsigned int turn_calls; /* calls that were not EINTR since the test last reset it */
	size_t max_count;      /* the largest count asked for */
	unsigned int zeros;    /* times 0 was returned */
} fault;

ssize_t __real_sendfile64(int out_fd, int in_fd, off_t *offset, size_t count);
ssize_t __wrap_sendfile64(int out_fd, int in_fd, off_t *offset, size_t count);
ssize_t __real_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);
ssize_t __wrap_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);

ssize_t __wrap_sendfile64(int out_fd, int in_fd, off_t *offset, size_t count)
{
	unsigned int n = ++fault.calls;

	if ((fault.mode & F_EINTR_ALWAYS) || ((fault.mode & F_EINTR) && n % 3 == 0)) {
		errno = EINTR;
		return -1;
	}
	fault.turn_calls++;
	if (count > fault.max_count)
		fault.max_count = count;
	if ((fault.mode & F_EAGAIN) && n % 2 == 1) {
		errno = EAGAIN;
		return -1;
	}
	if (fault.trunc_at) {
		if ((uint64_t)*offset >= fault.trunc_at) {
			fault.zeros++;
			return 0;
		}
		if (count > fault.trunc_at - (uint64_t)*offset)
			count = (size_t)(fault.trunc_at - (uint64_t)*offset);
	}
	if ((fault.mode & F_SHORT) && count > 1)
		count = 1 + (n * 7919u) % (count < 5000 ? count : 5000);
	return __real_sendfile64(out_fd, in_fd, offset, count);
}

ssize_t __wrap_sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	return __wrap_sendfile64(out_fd, in_fd, offset, count);
}

/* ---------------------------------------------------------------- helpers */

#define FILE_SIZE (3u * 1024 * 1024 + 4321)
#define CHUNK (64u * 1024)

struct fixture {
	int sv[2];          /* [0] the server's end, [1] the peer's */
	int file;
	unsigned char *content;
	char *got;          /* what the peer received */
	size_t got_len, got_cap;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[600];
	uint32_t x = 2463534242u;
	size_t i;

	if (!f || make_tmpdir(state) != 0)
		return -1;
	memset(&fault, 0, sizeof(fault));
	f->content = malloc(FILE_SIZE);
	for (i = 0; i < FILE_SIZE; i++) {
		/* xorshift: bytes that differ everywhere, so an off-by-one shows. */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		f->content[i] = (unsigned char)x;
	}
	snprintf(path, sizeof(path), "%s/body", tmpdir);
	f->file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f->file < 0 || write(f->file, f->content, FILE_SIZE) != (ssize_t)FILE_SIZE)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, f->sv) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->sv[1] >= 0)
		close(f->sv[1]);
	close(f->file);
	free(f->content);
	free(f->got);
	free(f);
	*state = NULL;
	return remove_tmpdir(state);
}

/* Read what the peer can (non-blocking). Returns 1 at EOF, else 0. */
static int drain_peer(struct fixture *f)
{
	ssize_t n;

	for (;;) {
		if (f->got_cap - f->got_len < 65536) {
			f->got_cap = f->got_cap ? f->got_cap * 2 : 1 << 20;
			f->got = realloc(f->got, f->got_cap);
			assert_non_null(f->got);
		}
		n = recv(f->sv[1], f->got + f->got_len, f->got_cap - f->got_len, 0);
		if (n > 0) {
			f->got_len += (size_t)n;
			continue;
		}
		if (n == 0)
			return 1;
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return 0;
	}
}

static const char HDR[] = "HTTP/1.1 206 Partial Content\r\nContent-Length: x\r\n\r\n";

/* A context and a connection over sv[0] with HDR then bytes [off, end) of the file begun on it. */
static struct ps_conn *begin_file(struct fixture *f, struct ps_ctx *ctx, int no_sendfile,
	uint64_t off, uint64_t end)
{
	struct ps_conn *c;
	struct ps_body body;

	assert_int_equal(ps_ctx_init(ctx, NULL, CHUNK, no_sendfile, 60), 0);
	c = ps_conn_new(ctx, f->sv[0], NULL);
	assert_non_null(c);
	memset(&body, 0, sizeof(body));
	body.fd = f->file;
	body.size = FILE_SIZE;
	assert_int_equal(ps_conn_begin(ctx, c, HDR, sizeof(HDR) - 1, &body, off, end, 0), 0);
	return c;
}

/*
 * Send body bytes [off, end) after HDR through ps_conn_send_body with the
 * faults of `mode`, checking the one-chunk rule at every call; the peer
 * must receive exactly HDR and then those bytes.
 */
static void send_range(struct fixture *f, int mode, int no_sendfile, uint64_t off, uint64_t end)
{
	struct ps_ctx ctx;
	struct ps_conn *c;
	enum ps_send_result r;
	int i, waits = 0;

	fault.mode = mode;
	c = begin_file(f, &ctx, no_sendfile, off, end);
	for (i = 0; i < 1000000; i++) {
		fault.turn_calls = 0;
		r = ps_conn_send_body(&ctx, c);
		/* At most one bounded chunk per call: one sendfile that is not EINTR, of at most CHUNK. */
		assert_true(fault.turn_calls <= 1);
		assert_true(fault.max_count <= CHUNK);
		if (r == PS_SEND_DONE)
			break;
		assert_int_not_equal(r, PS_SEND_CLOSE);
		if (r == PS_SEND_WAIT)
			waits++;
		drain_peer(f);
	}
	assert_int_equal(r, PS_SEND_DONE);
	assert_int_equal(ps_conn_body_sent(c), end - off);
	ps_conn_close(&ctx, c); /* closes sv[0] */
	assert_int_equal(ctx.nconns, 0);
	ps_ctx_free(&ctx);
	assert_int_equal(drain_peer(f), 1);
	assert_int_equal(f->got_len, sizeof(HDR) - 1 + (end - off));
	assert_memory_equal(f->got, HDR, sizeof(HDR) - 1);
	assert_memory_equal(f->got + sizeof(HDR) - 1, f->content + off, end - off);
	if (mode & F_EAGAIN)
		assert_true(waits > 0);
	if (!no_sendfile)
		assert_true(fault.calls > 0);
}

/*
 * A body of pieces, as a bundle is (a header in memory, packs' bytes,
 * a trailer in memory): [off, end) of their concatenation after HDR,
 * sent under the faults of `mode`; the peer must receive exactly those
 * bytes, and no call may send more than one chunk or cross a piece.
 */
static void send_pieces(struct fixture *f, int mode, int no_sendfile, uint64_t off, uint64_t end)
{
	static const char head[] = "# v2 git bundle\n0123456789abcdef0123456789abcdef01234567 HEAD\n\n";
	static const char tail[] = "twenty bytes of tail";
	struct ps_piece pieces[4] = {
		{ -1, head, 0, sizeof(head) - 1 },
		{ f->file, NULL, 1000, 200000 },
		{ -1, tail, 0, sizeof(tail) - 1 },
		{ f->file, NULL, 5, 70000 },
	};
	struct ps_body body;
	struct ps_ctx ctx;
	struct ps_conn *c;
	enum ps_send_result r;
	unsigned char *want;
	size_t total = 0, i;
	int k;

	fault.mode = mode;
	want = malloc(300000);
	assert_non_null(want);
	for (i = 0; i < 4; i++) {
		memcpy(want + total, pieces[i].fd >= 0 ? (const char *)f->content + pieces[i].off :
			pieces[i].mem, pieces[i].len);
		total += pieces[i].len;
	}
	assert_true(end <= total);
	assert_int_equal(ps_ctx_init(&ctx, NULL, CHUNK, no_sendfile, 60), 0);
	c = ps_conn_new(&ctx, f->sv[0], NULL);
	assert_non_null(c);
	memset(&body, 0, sizeof(body));
	body.fd = -1;
	body.pieces = pieces;
	body.npieces = 4;
	body.size = total;
	assert_int_equal(ps_conn_begin(&ctx, c, HDR, sizeof(HDR) - 1, &body, off, end, 0), 0);
	for (k = 0; k < 1000000; k++) {
		fault.turn_calls = 0;
		r = ps_conn_send_body(&ctx, c);
		assert_true(fault.turn_calls <= 1);
		assert_true(fault.max_count <= CHUNK);
		if (r == PS_SEND_DONE)
			break;
		assert_int_not_equal(r, PS_SEND_CLOSE);
		drain_peer(f);
	}
	assert_int_equal(r, PS_SEND_DONE);
	assert_int_equal(ps_conn_body_sent(c), end - off);
	ps_conn_close(&ctx, c);
	ps_ctx_free(&ctx);
	assert_int_equal(drain_peer(f), 1);
	assert_int_equal(f->got_len, sizeof(HDR) - 1 + (end - off));
	assert_memory_equal(f->got + sizeof(HDR) - 1, want + off, end - off);
	free(want);
}

/* ------------------------------------------------------------------ tests */

static void test_plain(void **state)
{
	send_range(*state, 0, 0, 0, FILE_SIZE);
}

static void test_short_counts(void **state)
{
	send_range(*state, F_SHORT, 0, 12345, FILE_SIZE - 777);
}

static void test_eagain_every_other_call(void **state)
{
	send_range(*state, F_EAGAIN, 0, 1, FILE_SIZE);
}

static void test_eintr(void **state)
{
	send_range(*state, F_EINTR, 0, 0, 200000);
	assert_true(fault.calls >= 3);
}

/* A signal storm: EINTR is retried, but a bounded number of times (16 calls), then the connection is closed. */
static void test_eintr_forever_closes(void **state)
{
	struct fixture *f = *state;
	struct ps_ctx ctx;
	struct ps_conn *c;

	fault.mode = F_EINTR_ALWAYS;
	c = begin_file(f, &ctx, 0, 0, FILE_SIZE);
	assert_int_equal(ps_conn_send_body(&ctx, c), PS_SEND_CLOSE);
	assert_int_equal(fault.calls, 16);
	assert_int_equal(ps_conn_body_sent(c), 0);
	ps_conn_close(&ctx, c);
	ps_ctx_free(&ctx);
	/* The headers went out before the body was tried. */
	assert_int_equal(drain_peer(f), 1);
	assert_int_equal(f->got_len, sizeof(HDR) - 1);
}

static void test_all_faults(void **state)
{
	send_range(*state, F_SHORT | F_EAGAIN | F_EINTR, 0, 4096, 4096 + 300000);
}

static void test_no_sendfile(void **state)
{
	struct fixture *f = *state;
	int small = 4096;

	/* A small socket buffer makes the copies short: the rest must come from the buffer, not be lost. */
	setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	send_range(f, 0, 1, 999, FILE_SIZE);
	assert_int_equal(fault.calls, 0);
}

static void test_truncated_closes(void **state)
{
	struct fixture *f = *state;
	struct ps_ctx ctx;
	struct ps_conn *c;
	int i;

	fault.mode = F_SHORT | F_EAGAIN;
	fault.trunc_at = 150000;
	c = begin_file(f, &ctx, 0, 0, FILE_SIZE);
	c->can_write = 1;
	/* Through the state machine, as the event loop would: the step closes and frees c. */
	for (i = 0; i < 1000000 && ctx.nconns > 0; i++) {
		if (!c->in_ready)
			ps_conn_event(&ctx, c, EPOLLOUT);
		assert_ptr_equal(ps_ready_pop(&ctx), c);
		ps_conn_step(&ctx, c);
		drain_peer(f);
	}
	assert_int_equal(ctx.nconns, 0);
	assert_null(ps_ready_pop(&ctx));
	assert_int_equal(fault.zeros, 1);
	ps_ctx_free(&ctx);
	/* The peer gets the headers and the bytes before the truncation, then EOF. */
	assert_int_equal(drain_peer(f), 1);
	assert_int_equal(f->got_len, sizeof(HDR) - 1 + 150000);
	assert_memory_equal(f->got + sizeof(HDR) - 1, f->content, 150000);
}

static void test_pieces_whole(void **state)
{
	send_pieces(*state, 0, 0, 0, 63 + 200000 + 20 + 70000);
}

static void test_pieces_ranges_under_faults(void **state)
{
	struct fixture *f = *state;

	/* Starting inside the header and ending inside the last piece, then inside a file piece to inside the tail. */
	send_pieces(f, F_SHORT | F_EAGAIN | F_EINTR, 0, 10, 63 + 200000 + 20 + 1234);
	f->got_len = 0;
	close(f->sv[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, f->sv) < 0)
		fail();
	send_pieces(f, F_SHORT | F_EAGAIN, 0, 63 + 5000, 63 + 200000 + 7);
}

static void test_pieces_no_sendfile(void **state)
{
	struct fixture *f = *state;
	int small = 4096;

	setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	send_pieces(f, 0, 1, 1, 63 + 200000 + 20 + 70000);
	assert_int_equal(fault.calls, 0);
}

/* The name of basic.git's pack. */
static void basic_pack(char *out, size_t cap)
{
	DIR *d = opendir(PW_FIXTURES "/repos/basic.git/objects/pack");
	struct dirent *e;

	assert_non_null(d);
	out[0] = '\0';
	while ((e = readdir(d)) != NULL)
		if (strlen(e->d_name) == 50 && !strcmp(e->d_name + 45, ".pack"))
			snprintf(out, cap, "%s", e->d_name);
	closedir(d);
	assert_true(out[0] != '\0');
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* The body of the response starting at *pos in `buf` (none when `headless`); advances *pos past it. */
static const char *next_response(const char *buf, size_t len, size_t *pos, int *status, size_t *blen,
	int headless)
{
	const char *head = buf + *pos, *end, *cl;

	end = memmem(head, len - *pos, "\r\n\r\n", 4);
	assert_non_null(end);
	assert_int_equal(sscanf(head, "HTTP/1.1 %d", status), 1);
	cl = memmem(head, (size_t)(end - head), "Content-Length: ", 16);
	assert_non_null(cl);
	*blen = strtoul(cl + 16, NULL, 10);
	*pos = (size_t)(end + 4 - buf) + (headless ? 0 : *blen);
	assert_true(*pos <= len);
	return end + 4;
}

/*
 * Drive `c` through the state machine as the event loop would, the peer
 * reading whenever the connection waits and shutting its side once the
 * connection lingers, until it is closed; then read what is left.
 */
static void run_until_closed(struct fixture *f, struct ps_ctx *ctx, struct ps_conn *c)
{
	int i;

	ps_conn_event(ctx, c, EPOLLIN | EPOLLOUT);
	for (i = 0; i < 1000000 && ctx->nconns > 0; i++) {
		if (!c->in_ready) {
			if (c->state == PS_CONN_LINGER)
				shutdown(f->sv[1], SHUT_WR);
			drain_peer(f);
			ps_conn_event(ctx, c, EPOLLIN | EPOLLOUT);
		}
		assert_ptr_equal(ps_ready_pop(ctx), c);
		ps_conn_step(ctx, c);
	}
	assert_int_equal(ctx->nconns, 0);
	drain_peer(f);
}

static void test_pipelined_requests(void **state)
{
	struct fixture *f = *state;
	struct ps_site *site;
	struct ps_ctx ctx;
	struct ps_conn *c;
	char pack[64], req[1024], path[512], err[256];
	unsigned char *packdata, *headdata;
	size_t packlen, headlen, pos = 0, blen;
	const char *b;
	int status, n;

	basic_pack(pack, sizeof(pack));
	snprintf(path, sizeof(path), "%s/repos/basic.git/objects/pack/%s", PW_FIXTURES, pack);
	packdata = slurp(path, &packlen);
	headdata = slurp(PW_FIXTURES "/repos/basic.git/HEAD", &headlen);
	assert_true(packlen > 20000);
	assert_int_equal(ps_site_open(&site, PW_FIXTURES "/repos/basic.git", 0, err, sizeof(err)), 0);
	assert_int_equal(ps_ctx_init(&ctx, site, 4096, 0, 60), 0);
	c = ps_conn_new(&ctx, f->sv[0], NULL);
	assert_non_null(c);
	/* Three requests in one write, the last one HTTP/1.0 without keep-alive: closed after it. */
	n = snprintf(req, sizeof(req),
		"GET /objects/pack/%s HTTP/1.1\r\nHost: x\r\nRange: bytes=100-19999\r\n\r\n"
		"HEAD /objects/pack/%s HTTP/1.1\r\nHost: x\r\n\r\n"
		"GET /HEAD HTTP/1.0\r\n\r\n", pack, pack);
	assert_int_equal(write(f->sv[1], req, (size_t)n), n);
	fault.mode = F_SHORT | F_EAGAIN | F_EINTR;
	run_until_closed(f, &ctx, c);
	b = next_response(f->got, f->got_len, &pos, &status, &blen, 0);
	assert_int_equal(status, 206);
	assert_int_equal(blen, 19900);
	assert_memory_equal(b, packdata + 100, 19900);
	next_response(f->got, f->got_len, &pos, &status, &blen, 1);
	assert_int_equal(status, 200);
	assert_int_equal(blen, packlen); /* HEAD: the length, no body */
	b = next_response(f->got, f->got_len, &pos, &status, &blen, 0);
	assert_int_equal(status, 200);
	assert_int_equal(blen, headlen);
	assert_memory_equal(b, headdata, headlen);
	assert_int_equal(pos, f->got_len);
	assert_non_null(memmem(f->got, f->got_len, "Connection: close\r\n", 19));
	ps_ctx_free(&ctx);
	ps_site_free(site);
	free(packdata);
	free(headdata);
}

/*
 * A 304 has no body: it must not try to send one (it used to send from a
 * NULL memory body, log "send: Bad address" and drop the connection), and
 * the request pipelined behind it must be answered.
 */
static void test_not_modified_keeps_connection(void **state)
{
	struct fixture *f = *state;
	struct ps_site *site;
	struct ps_ctx ctx;
	struct ps_conn *c;
	char pack[64], req[1024], err[256];
	unsigned char *headdata;
	size_t headlen, pos = 0, blen;
	const char *b;
	int status, n;

	basic_pack(pack, sizeof(pack));
	headdata = slurp(PW_FIXTURES "/repos/basic.git/HEAD", &headlen);
	assert_int_equal(ps_site_open(&site, PW_FIXTURES "/repos/basic.git", 0, err, sizeof(err)), 0);
	assert_int_equal(ps_ctx_init(&ctx, site, 4096, 0, 60), 0);
	c = ps_conn_new(&ctx, f->sv[0], NULL);
	assert_non_null(c);
	n = snprintf(req, sizeof(req),
		"GET /objects/pack/%s HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n"
		"GET /HEAD HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n\r\n"
		"GET /HEAD HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", pack);
	assert_int_equal(write(f->sv[1], req, (size_t)n), n);
	run_until_closed(f, &ctx, c);
	next_response(f->got, f->got_len, &pos, &status, &blen, 1);
	assert_int_equal(status, 304);
	next_response(f->got, f->got_len, &pos, &status, &blen, 1);
	assert_int_equal(status, 304);
	assert_int_equal(blen, headlen);
	b = next_response(f->got, f->got_len, &pos, &status, &blen, 0);
	assert_int_equal(status, 200);
	assert_int_equal(blen, headlen);
	assert_memory_equal(b, headdata, headlen);
	assert_int_equal(pos, f->got_len);
	ps_ctx_free(&ctx);
	ps_site_free(site);
	free(headdata);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eagain_every_other_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eintr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eintr_forever_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_sendfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pieces_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pieces_ranges_under_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pieces_no_sendfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_modified_keeps_connection, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
