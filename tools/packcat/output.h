/* output.h: a large stdout buffer written with write(2), for commands that print a lot. */
#ifndef PACKCAT_OUTPUT_H
#define PACKCAT_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include <packwin.h>

/*
 * Bytes gathered in one buffer and written to stdout with write(2) when it
 * is full, on pc_out_flush, or at once for a piece as large as the buffer.
 * stdio is not used: printing millions of short lines costs a fraction of
 * what printf does. After a failed write nothing more is written; `error`
 * keeps its errno.
 */
struct pc_out {
	unsigned char *buf;
	size_t len, cap;
	int error;
};

/* A buffer of `cap` bytes. Returns 0, or -1 out of memory. */
int pc_out_init(struct pc_out *o, size_t cap);
void pc_out_free(struct pc_out *o);

void pc_out_flush(struct pc_out *o);
void pc_out_put(struct pc_out *o, const void *data, size_t len);
void pc_out_char(struct pc_out *o, char c);
/* A decimal number. */
void pc_out_u64(struct pc_out *o, uint64_t v);
/* The lower-case hex of the first `rawsz` bytes of `id`. */
void pc_out_hex(struct pc_out *o, const pw_oid *id, size_t rawsz);

/* A pw_stream_cb appending to the pc_out `payload`; non-zero once a write failed. */
int pc_out_stream_cb(const unsigned char *data, size_t len, void *payload);

#endif
