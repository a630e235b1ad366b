/* output.c: a large stdout buffer written with write(2), for commands that print a lot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "util/str.h"

#include "util/banned.h"

int pc_out_init(struct pc_out *o, size_t cap)
{
	memset(o, 0, sizeof(*o));
	if (!(o->buf = malloc(cap)))
		return -1;
	o->cap = cap;
	return 0;
}

void pc_out_free(struct pc_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

/* Pieces at least this large are written without copying them. */
#define DIRECT_WRITE (64 * 1024)

/* Write `len` bytes to stdout, whole, unless an earlier write failed. */
static void write_all(struct pc_out *o, const unsigned char *p, size_t len)
{
	while (len && !o->error) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->error = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
}

void pc_out_flush(struct pc_out *o)
{
	write_all(o, o->buf, o->len);
	o->len = 0;
}

void pc_out_put(struct pc_out *o, const void *data, size_t len)
{
	if (len == 0) /* data may be NULL then */
		return;
	/* a large piece goes out from where it is: copying it costs more than a write */
	if (len >= DIRECT_WRITE || len >= o->cap) {
		pc_out_flush(o);
		write_all(o, data, len);
		return;
	}
	if (len > o->cap - o->len)
		pc_out_flush(o);
	memcpy(o->buf + o->len, data, len);
	o->len += len;
}

/* Room for `len` more bytes (len is small). */
static unsigned char *reserve(struct pc_out *o, size_t len)
{
	if (len > o->cap - o->len)
		pc_out_flush(o);
	return o->buf + o->len;
}

void pc_out_char(struct pc_out *o, char c)
{
	*reserve(o, 1) = (unsigned char)c;
	o->len++;
}

void pc_out_u64(struct pc_out *o, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	do
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	pc_out_put(o, digits + sizeof(digits) - n, n);
}

void pc_out_hex(struct pc_out *o, const pw_oid *id, size_t rawsz)
{
	/* One more byte: pw__hex_encode ends with a NUL that the next put overwrites. */
	unsigned char *p = reserve(o, 2 * rawsz + 1);

	pw__hex_encode((char *)p, id->id, rawsz);
	o->len += 2 * rawsz;
}

int pc_out_stream_cb(const unsigned char *data, size_t len, void *payload)
{
	struct pc_out *o = payload;

	pc_out_put(o, data, len);
	return o->error != 0;
}
