/* cmd_batch.c: `packcat batch`: objects named on stdin (or all), as `git cat-file --batch`. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "output.h"
#include "util/str.h"

#include "util/banned.h"

static const char batch_usage[] =
	"usage: packcat [GLOBAL OPTIONS] batch [--check] [--all] [--unordered]\n"
	"                                      [--format FMT] [--threads N]\n"
	"\n"
	"For each object named on standard input, one per line (or for every\n"
	"object of the repository with --all), print a line in FMT, then its\n"
	"content and a newline: byte for byte 'git cat-file --batch'. With\n"
	"--check, only the line: 'git cat-file --batch-check'.\n"
	"\n"
	"A name that names no object prints 'NAME missing'; an abbreviated id\n"
	"that matches several objects prints 'NAME ambiguous'.\n"
	"\n"
	"FMT is text with atoms: %(objectname) %(objecttype) %(objectsize)\n"
	"%(objectsize:disk) %(deltabase) %(rest); %% is a '%'. The default is\n"
	"'%(objectname) %(objecttype) %(objectsize)'. When FMT has %(rest), an\n"
	"input line is split at its first space or tab: the name before, and\n"
	"%(rest) after the blanks that follow; otherwise the whole line is the\n"
	"name.\n"
	"\n"
	"Options:\n"
	"      --check        print the FMT line only, not the content\n"
	"      --all          every object of the repository and its alternates,\n"
	"                     sorted by id, each once ('--batch-all-objects');\n"
	"                     standard input is not read\n"
	"      --unordered    with --all: in the order the objects are stored\n"
	"                     (faster; still each object once)\n"
	"      --format FMT   the line printed for each object\n"
	"      --threads N    with --all, not --check: threads reading objects\n"
	"                     ahead of the output (default 0: one per online CPU,\n"
	"                     as many as the memory limit allows); they hold\n"
	"                     objects whole, where 1 streams large blobs\n"
	"  -h, --help         show this help\n";

#define DEFAULT_FORMAT "%(objectname) %(objecttype) %(objectsize)"

/* Blobs at least this large are streamed rather than read whole. */
#define STREAM_MIN ((uint64_t)4 << 20)

#define OUT_SIZE ((size_t)1 << 20)
#define IN_SIZE ((size_t)64 << 10)

/* ---- the format ---- */

enum atom {
	ATOM_TEXT,
	ATOM_OBJECTNAME,
	ATOM_OBJECTTYPE,
	ATOM_OBJECTSIZE,
	ATOM_DISKSIZE,
	ATOM_DELTABASE,
	ATOM_REST
};

/* What the atoms of a format need looked up. */
enum {
	NEED_TYPE = 1,
	NEED_SIZE = 2,
	NEED_DISK = 4,
	NEED_BASE = 8,
	NEED_REST = 16
};

struct segment {
	enum atom atom;
	const char *text; /* ATOM_TEXT: points into the format string */
	size_t len;
};

struct format {
	PW_ARRAY(struct segment) seg;
	unsigned int need;
};

static const struct {
	const char *name;
	enum atom atom;
	unsigned int need;
} atoms[] = {
	{ "objectname", ATOM_OBJECTNAME, 0 },
	{ "objecttype", ATOM_OBJECTTYPE, NEED_TYPE },
	{ "objectsize", ATOM_OBJECTSIZE, NEED_SIZE },
	{ "objectsize:disk", ATOM_DISKSIZE, NEED_DISK },
	{ "deltabase", ATOM_DELTABASE, NEED_BASE },
	{ "rest", ATOM_REST, NEED_REST },
};

static int format_add(struct format *f, enum atom atom, const char *text, size_t len)
{
	struct segment *seg;

	if (atom == ATOM_TEXT && len == 0)
		return 0;
	if (!(seg = PW_ARRAY_ALLOC(&f->seg, 8)))
		return -1;
	seg->atom = atom;
	seg->text = text;
	seg->len = len;
	return 0;
}

/*
 * Compile FMT once, as git's strbuf_expand reads it: "%%" is a '%', a '%'
 * not followed by '(' stays as it is, "%(ATOM)" is an atom; an unknown
 * atom or a "%(" without its ')' is an error.
 */
static int format_parse(struct format *f, const char *fmt)
{
	const char *p = fmt;

	memset(f, 0, sizeof(*f));
	for (;;) {
		const char *pct = strchr(p, '%'), *end;
		size_t i, len;

		if (!pct)
			return format_add(f, ATOM_TEXT, p, strlen(p)) < 0 ? PC_EXIT_LIMIT : 0;
		if (format_add(f, ATOM_TEXT, p, (size_t)(pct - p)) < 0)
			return PC_EXIT_LIMIT;
		if (pct[1] != '(') {
			/* "%%" is one '%'; a lone '%' is itself */
			if (format_add(f, ATOM_TEXT, pct, 1) < 0)
				return PC_EXIT_LIMIT;
			p = pct[1] == '%' ? pct + 2 : pct + 1;
			continue;
		}
		if (!(end = strchr(pct + 2, ')')))
			return pc_usage_error("batch", "format element '%s' does not end in ')'",
				pct + 1);
		len = (size_t)(end - pct - 2);
		for (i = 0; i < sizeof(atoms) / sizeof(atoms[0]); i++)
			if (strlen(atoms[i].name) == len && !memcmp(atoms[i].name, pct + 2, len))
				break;
		if (i == sizeof(atoms) / sizeof(atoms[0]))
			return pc_usage_error("batch", "unknown format element: %.*s",
				(int)len, pct + 2);
		if (format_add(f, atoms[i].atom, NULL, 0) < 0)
			return PC_EXIT_LIMIT;
		f->need |= atoms[i].need;
		p = end + 1;
	}
}

/* ---- one object ---- */

struct batch {
	pw_repo *repo;
	pw_oid_t fmt;
	size_t rawsz, hexsz;
	struct format format;
	unsigned int need;  /* what to look up: format.need, and the type for contents */
	int split;          /* the format has %(rest): split input lines */
	int contents;       /* not --check: print the content too */
	int all, unordered;
	unsigned int threads; /* --all with contents: readers ahead of the output */
	struct pc_out out;
	int rc;             /* the exit status that stopped the work */
	size_t delivered;   /* --all with readers: objects handed to the output so far */
	size_t skip;        /* --all carried on without readers: entries already delivered */
	pw_oid empty_tree;  /* git's built-in object: described by id, never as stored */
};

/* The object's data is bad in every copy (not a budget, memory or I/O). */
static int unreadable(int err)
{
	return err == PW_ECORRUPT || err == PW_EVERIFY;
}

/* What the format line shows of one object. */
struct object_line {
	pw_oid id;
	pw_object_t type;
	uint64_t size, disk;
	pw_oid base;
	const char *rest;
	size_t restlen;
};

static void put_line(struct batch *b, const struct object_line *l)
{
	const struct segment *s = b->format.seg.v, *end = s + b->format.seg.n;
	const char *name;

	for (; s < end; s++) {
		switch (s->atom) {
		case ATOM_TEXT:
			pc_out_put(&b->out, s->text, s->len);
			break;
		case ATOM_OBJECTNAME:
			pc_out_hex(&b->out, &l->id, b->rawsz);
			break;
		case ATOM_OBJECTTYPE:
			name = pw_object_type_name(l->type);
			if (name)
				pc_out_put(&b->out, name, strlen(name));
			break;
		case ATOM_OBJECTSIZE:
			pc_out_u64(&b->out, l->size);
			break;
		case ATOM_DISKSIZE:
			pc_out_u64(&b->out, l->disk);
			break;
		case ATOM_DELTABASE:
			pc_out_hex(&b->out, &l->base, b->rawsz);
			break;
		case ATOM_REST:
			pc_out_put(&b->out, l->rest, l->restlen);
			break;
		}
	}
	pc_out_char(&b->out, '\n');
}

static void put_missing(struct batch *b, const char *name, size_t len, const char *what)
{
	pc_out_put(&b->out, name, len);
	pc_out_char(&b->out, ' ');
	pc_out_put(&b->out, what, strlen(what));
	pc_out_char(&b->out, '\n');
}

static int object_error(struct batch *b, int err, const pw_oid *id)
{
	char hex[PW_OID_MAX_HEXSZ + 1];

	pc_error("object %s: %s", pw_oid_tostr(hex, id, b->fmt), pw_error_last());
	return pc_exit_code(err);
}

/*
 * Type, sizes and delta base of the entry at `offset` of `pack`, as the
 * format needs them. The type of a delta whose content is printed is
 * left PW_OBJ_NONE: reading it will tell, for less than asking twice.
 */
/* What pw_repo_info must fill for the atoms asked for. */
static unsigned info_flags(const struct batch *b)
{
	return ((b->need & NEED_BASE) ? PW_INFO_DELTA_BASE : 0) |
		((b->need & NEED_DISK) ? PW_INFO_DISK_SIZE : 0) |
		(!(b->need & NEED_TYPE) ? PW_INFO_NO_TYPE : 0);
}

static int entry_info(struct batch *b, struct object_line *l, pw_pack *pack, uint64_t offset)
{
	pw_pack_entry e;
	int err;

	/* a pack read through a multi-pack-index knows its entries' lengths from its idx only */
	if ((b->need & NEED_DISK) && (err = pw_pack_load_idx(pack)) < 0)
		return err;
	if ((err = pw_pack_entry_at(&e, pack, offset)) < 0)
		return err;
	l->disk = e.packed_size;
	memset(&l->base, 0, sizeof(l->base));
	if (e.type != PW_OBJ_OFS_DELTA && e.type != PW_OBJ_REF_DELTA) {
		l->type = e.type;
		l->size = e.size;
		return 0;
	}
	if (b->need & NEED_BASE) {
		if (e.type == PW_OBJ_REF_DELTA)
			l->base = e.base_id;
		else if ((err = pw_pack_offset_oid(&l->base, pack, e.base_offset)) < 0)
			return err;
	}
	l->type = PW_OBJ_NONE;
	if ((b->need & (NEED_TYPE | NEED_SIZE)) && !b->contents)
		return pw_pack_read_header(&l->type, &l->size, pack, offset);
	return 0;
}

static int put_by_id(struct batch *b, struct object_line *l, const char *name, size_t namelen);

/* The content after the line: streamed for a large blob, else read whole. */
static int put_content(struct batch *b, struct object_line *l, pw_pack *pack, uint64_t offset)
{
	pw_object_t type;
	uint64_t size;
	int err;

	if (l->type == PW_OBJ_BLOB && l->size >= STREAM_MIN) {
		put_line(b, l);
		if (pack)
			err = pw_pack_stream_at(&type, &size, pack, offset,
				pc_out_stream_cb, &b->out);
		else
			err = pw_repo_stream(&type, &size, b->repo, &l->id,
				pc_out_stream_cb, &b->out);
		if (err > 0) /* the output failed */
			return 0;
	} else {
		pw_object *obj;

		if (pack)
			err = pw_pack_read_at(&obj, pack, offset);
		else
			err = pw_repo_read(&obj, b->repo, &l->id);
		if (pack && unreadable(err)) {
			/* by id: the lookup marks this copy and reads another, if any */
			pw_error_clear();
			err = pw_repo_read(&obj, b->repo, &l->id);
		}
		if (err < 0) {
			/*
			 * git prints the line, then fails on the content; an entry of
			 * --all whose type is unknown yet gets it from the headers
			 */
			char hex[PW_OID_MAX_HEXSZ + 1], msg[512];

			snprintf(msg, sizeof(msg), "%s", pw_error_last());
			if (l->type == PW_OBJ_NONE && pack && unreadable(err) &&
			    pw_pack_read_header(&l->type, &l->size, pack, offset) < 0) {
				pw_error_clear();
				return put_by_id(b, l, NULL, 0);
			}
			if (l->type != PW_OBJ_NONE)
				put_line(b, l);
			pc_error("object %s: %s", pw_oid_tostr(hex, &l->id, b->fmt), msg);
			return pc_exit_code(err);
		}
		type = pw_object_type(obj);
		size = pw_object_size(obj);
		if (l->type == PW_OBJ_NONE) {
			l->type = type;
			l->size = size;
		}
		if (type == l->type && size == l->size) {
			put_line(b, l);
			pc_out_put(&b->out, pw_object_data(obj), pw_object_size(obj));
		}
		pw_object_free(obj);
	}
	if (err < 0)
		return object_error(b, err, &l->id);
	if (type != l->type || size != l->size) {
		char hex[PW_OID_MAX_HEXSZ + 1];

		pc_error("object %s: read as a %s of %llu bytes, but its header says a %s of %llu",
			pw_oid_tostr(hex, &l->id, b->fmt), pw_object_type_name(type),
			(unsigned long long)size, pw_object_type_name(l->type),
			(unsigned long long)l->size);
		return PC_EXIT_DATA;
	}
	pc_out_char(&b->out, '\n');
	return 0;
}

/*
 * Print the object `l->id`, found at `offset` of `pack` (NULL: loose):
 * its line and, unless --check, its content and a newline. Returns 0 or
 * the exit status of a fatal error.
 */
static int put_found(struct batch *b, struct object_line *l, pw_pack *pack, uint64_t offset)
{
	if (!b->contents) {
		put_line(b, l);
		return 0;
	}
	return put_content(b, l, pack, offset);
}

/*
 * Look `l->id` up, packs first and then loose objects (as git), and print
 * it; when it is not there, print "NAME missing" (or "ID missing" when
 * `name` is NULL).
 */
static int put_by_id(struct batch *b, struct object_line *l, const char *name, size_t namelen)
{
	char hex[PW_OID_MAX_HEXSZ + 1];
	pw_object_info info;
	int err;

	if (!b->need) {
		/* the id alone: only whether it exists */
		if ((err = pw_repo_exists(b->repo, &l->id)) == 0) {
			put_line(b, l);
			return 0;
		}
	} else {
		err = pw_repo_info(&info, b->repo, &l->id, info_flags(b));
		if (err == 0) {
			l->type = info.type;
			l->size = info.size;
			l->disk = info.disk_size;
			l->base = info.delta_base;
			return put_found(b, l, info.pack, info.offset);
		}
	}
	/* unreadable from every copy: git says "missing" and goes on, the reason on stderr */
	if (err == PW_ECORRUPT || err == PW_EVERIFY)
		pc_error("object %s: %s", pw_oid_tostr(hex, &l->id, b->fmt), pw_error_last());
	else if (err != PW_ENOTFOUND)
		return object_error(b, err, &l->id);
	if (!name) {
		name = pw_oid_tostr(hex, &l->id, b->fmt);
		namelen = b->hexsz;
	}
	put_missing(b, name, namelen, "missing");
	return 0;
}

/* ---- --all ---- */

/*
 * One entry of --all. The library gives each id once (for --unordered,
 * where it is met first: packs, then loose objects). A loose entry is
 * looked up by id, as git does, so a packed copy of it wins.
 */
static int all_cb(const pw_repo_entry *entry, void *payload)
{
	struct batch *b = payload;
	struct object_line l;
	int err;

	if (b->skip) {
		b->skip--; /* delivered by the readers before one failed */
		return 0;
	}
	memset(&l, 0, sizeof(l));
	l.id = entry->id;
	if (!b->need && !b->contents) {
		/* git skips the lookup too when nothing but the id is shown */
		put_line(b, &l);
	} else if (!entry->pack || !pw_oid_cmp(&entry->id, &b->empty_tree)) {
		/* loose, or git's built-in empty tree (on disk 0, as git says even when stored) */
		b->rc = put_by_id(b, &l, NULL, 0);
	} else if ((err = entry_info(b, &l, entry->pack, entry->offset)) < 0) {
		/* by id, as git looks each one up: another copy, or "missing" */
		if (unreadable(err) || err == PW_ENOTFOUND) {
			pw_error_clear();
			memset(&l, 0, sizeof(l));
			l.id = entry->id;
			b->rc = put_by_id(b, &l, NULL, 0);
		} else {
			b->rc = object_error(b, err, &l.id);
		}
	} else {
		b->rc = put_found(b, &l, entry->pack, entry->offset);
	}
	return b->rc != 0 || b->out.error != 0;
}

/* One object of --all with its content, read ahead by the library's workers. */
static int all_read_cb(const pw_repo_entry *entry, const pw_object *obj, void *payload)
{
	struct batch *b = payload;
	struct object_line l;
	int err;

	/*
	 * The delta-base cache's churn leaves free pages scattered through
	 * the heap, resident until something asks for them back: every 16k
	 * objects, give them back (glibc). batch --all --unordered of git/git
	 * at 64m/64m: 150-160 MiB without, about 1 ms a call.
	 */
	if ((++b->delivered & 16383) == 0)
		malloc_trim(0);
	memset(&l, 0, sizeof(l));
	l.id = entry->id;
	if (b->need & (NEED_DISK | NEED_BASE)) {
		pw_object_info info;

		if (entry->pack && pw_oid_cmp(&entry->id, &b->empty_tree)) {
			err = entry_info(b, &l, entry->pack, entry->offset);
		} else if ((err = pw_repo_info(&info, b->repo, &l.id, info_flags(b))) == 0) {
			/* by id, as git: a packed copy wins */
			l.disk = info.disk_size;
			l.base = info.delta_base;
		}
		if (err < 0) {
			b->rc = object_error(b, err, &l.id);
			return 1;
		}
	}
	l.type = pw_object_type(obj);
	l.size = pw_object_size(obj);
	put_line(b, &l);
	pc_out_put(&b->out, pw_object_data(obj), pw_object_size(obj));
	pc_out_char(&b->out, '\n');
	return b->out.error != 0;
}

/*
 * Readers for --all: as asked (0: one per online CPU), but no more than
 * the memory budget holds windows for, each pinning one at a time (as
 * verify does), so that a tiny budget is met rather than exceeded.
 */
static unsigned int reader_threads(struct batch *b)
{
	pw_wm_options wo;
	unsigned int threads = b->threads;
	size_t fit;

	if (!threads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus > 0 ? (unsigned int)cpus : 1;
	}
	pw_wm_get_options(&wo, pw_repo_wm(b->repo));
	fit = wo.window_size ? wo.memory_limit / (2 * wo.window_size) : 1;
	if (fit < 1)
		fit = 1;
	return threads < fit ? threads : (unsigned int)fit;
}

static int batch_all(struct batch *b)
{
	pw_foreach_order order = b->unordered ? PW_FOREACH_UNORDERED : PW_FOREACH_SORTED;
	unsigned int threads = b->contents ? reader_threads(b) : 1;
	int err;

	if (threads > 1) {
		err = pw_repo_foreach_read(b->repo, order, threads, all_read_cb, b);
		/*
		 * An object no copy of which reads stops the readers: carry on
		 * one at a time from there, as git does ("missing", or the line
		 * and then the error)
		 */
		if (unreadable(err) && !b->rc && !b->out.error) {
			pw_error_clear();
			b->skip = b->delivered;
			err = pw_repo_foreach(b->repo, order, all_cb, b);
		}
	} else {
		err = pw_repo_foreach(b->repo, order, all_cb, b);
	}
	if (b->rc)
		return b->rc;
	if (err < 0 && !b->out.error)
		return pc_lib_error(err, NULL);
	return 0;
}

/* ---- names on standard input ---- */

struct input {
	PW_ARRAY(char) buf;     /* unread bytes: buf.v[start, buf.n) */
	size_t start;
	int eof;
};

/*
 * The next line, without its "\n" (or "\r\n", as git's strbuf_getline);
 * the last one may lack its "\n". Sets *line (NUL-terminated, writable)
 * and *len; returns 1, 0 at the end, or an exit status < 0 negated.
 * Output is flushed before blocking on input, so a program that waits
 * for each answer before writing the next name is not left waiting.
 */
static int read_line(struct batch *b, struct input *in, char **line, size_t *len)
{
	char *nl;

	for (;;) {
		ssize_t n;

		nl = memchr(in->buf.v + in->start, '\n', in->buf.n - in->start);
		if (nl || (in->eof && in->buf.n > in->start))
			break;
		if (in->eof)
			return 0;
		if (in->start > 0) {
			memmove(in->buf.v, in->buf.v + in->start, in->buf.n - in->start);
			in->buf.n -= in->start;
			in->start = 0;
		}
		/* room for a byte and a NUL */
		if (PW_ARRAY_RESERVE(&in->buf, in->buf.n + 2, IN_SIZE) != 0) {
			pc_error("out of memory for a line of %zu bytes", in->buf.n);
			return -PC_EXIT_LIMIT;
		}
		pc_out_flush(&b->out);
		n = read(STDIN_FILENO, in->buf.v + in->buf.n, in->buf.cap - in->buf.n - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pc_error("cannot read standard input: %s", strerror(errno));
			return -PC_EXIT_IO;
		}
		if (n == 0)
			in->eof = 1;
		in->buf.n += (size_t)n;
	}
	*line = in->buf.v + in->start;
	if (nl) {
		*len = (size_t)(nl - *line);
		in->start += *len + 1;
		if (*len && (*line)[*len - 1] == '\r')
			(*len)--;
	} else {
		*len = in->buf.n - in->start;
		in->start = in->buf.n;
	}
	(*line)[*len] = '\0'; /* over the '\n' or '\r', or in the spare byte */
	return 1;
}

static int all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (pw__hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

/* A full-length hex id: parsed into `out` (1), or not one (0). One pass. */
static int full_hex_id(pw_oid *out, const char *s, size_t len, const struct batch *b)
{
	if (len != b->hexsz)
		return 0;
	memset(out, 0, sizeof(*out));
	return pw__hex_decode(out->id, s, b->rawsz) == 0;
}

/*
 * One input line: resolve its name and print the object (or why not).
 * As git, the line is read as a C string: up to its first NUL byte.
 */
static int batch_line(struct batch *b, char *line)
{
	struct object_line l;
	size_t len = strlen(line);
	int err;

	memset(&l, 0, sizeof(l));
	if (b->split) {
		char *p = strpbrk(line, " \t");

		if (p) {
			*p++ = '\0';
			p += strspn(p, " \t");
			l.rest = p;
			l.restlen = len - (size_t)(p - line);
			len = strlen(line);
		}
	}
	/* a full id is an id, even if a ref has that name (as git) */
	if (full_hex_id(&l.id, line, len, b))
		return put_by_id(b, &l, line, len);
	err = pw_repo_resolve(&l.id, b->repo, line);
	switch (err) {
	case 0:
		return put_by_id(b, &l, line, len);
	case PW_EAMBIGUOUS:
		pc_error("%s", pw_error_last());
		/* git says "ambiguous" for an abbreviated id only, "missing" for REV:path & co */
		put_missing(b, line, len, len >= 4 && all_hex(line, len) ? "ambiguous" : "missing");
		return 0;
	case PW_EUNSUPPORTED:
		/* such as ":path" (the index): git finds nothing there in a bare repository */
		pc_error("%s", pw_error_last());
		/* fall through */
	case PW_ENOTFOUND:
	case PW_EINVALID:
		put_missing(b, line, len, "missing");
		return 0;
	default:
		return pc_lib_error(err, NULL);
	}
}

static int batch_stdin(struct batch *b)
{
	struct input in;
	char *line;
	size_t len;
	int rc;

	memset(&in, 0, sizeof(in));
	if (PW_ARRAY_RESERVE(&in.buf, IN_SIZE, IN_SIZE) != 0) {
		pc_error("out of memory");
		return PC_EXIT_LIMIT;
	}
	while ((rc = read_line(b, &in, &line, &len)) > 0)
		if ((rc = batch_line(b, line)) != 0 || b->out.error)
			break;
	PW_ARRAY_FREE(&in.buf);
	return rc < 0 ? -rc : rc;
}

int cmd_batch(struct pc_env *env, int argc, char **argv)
{
	enum { OPT_CHECK = PC_OPT_LONG, OPT_ALL, OPT_UNORDERED, OPT_FORMAT, OPT_THREADS };
	static const struct option options[] = {
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "unordered", no_argument, NULL, OPT_UNORDERED },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct batch b;
	const char *fmt = DEFAULT_FORMAT, *why;
	int c, rc;

	memset(&b, 0, sizeof(b));
	b.contents = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case OPT_CHECK:
			b.contents = 0;
			break;
		case OPT_ALL:
			b.all = 1;
			break;
		case OPT_UNORDERED:
			b.unordered = 1; /* without --all it changes nothing, as in git */
			break;
		case OPT_FORMAT:
			fmt = optarg;
			break;
		case OPT_THREADS:
			if (pc_parse_count(&b.threads, optarg, &why) < 0)
				return pc_usage_error("batch", "--threads: '%s' is %s",
					optarg, why);
			break;
		case 'h':
			fputs(batch_usage, stdout);
			return PC_EXIT_OK;
		default:
			return pc_getopt_error("batch", c, argv);
		}
	}
	if (optind < argc)
		return pc_usage_error("batch", "unexpected argument '%s' (names are read "
			"from standard input)", argv[optind]);
	if ((rc = format_parse(&b.format, fmt)) != 0)
		goto out;
	b.need = (b.format.need & ~(unsigned int)NEED_REST) | (b.contents ? NEED_TYPE : 0);
	b.split = (b.format.need & NEED_REST) != 0;
	if (pc_out_init(&b.out, OUT_SIZE) < 0) {
		pc_error("out of memory");
		rc = PC_EXIT_LIMIT;
		goto out;
	}
	if (b.all)
		env->opt.no_replace = 1; /* git cat-file --batch-all-objects: objects as stored */
	if ((rc = pc_repo_open(env)))
		goto out;
	b.repo = env->repo;
	b.fmt = pw_repo_oid_type(env->repo);
	b.rawsz = pw_oid_rawsz(b.fmt);
	b.hexsz = pw_oid_hexsz(b.fmt);
	pw_oid_fromhex(&b.empty_tree, b.fmt == PW_OID_SHA256 ?
		"6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321" :
		"4b825dc642cb6eb9a060e54bf8d69288fbee4904", b.fmt);
	rc = b.all ? batch_all(&b) : batch_stdin(&b);
	pc_out_flush(&b.out);
	if (b.out.error) {
		pc_error("cannot write to standard output: %s", strerror(b.out.error));
		if (rc == PC_EXIT_OK)
			rc = PC_EXIT_IO;
	}
out:
	pc_out_free(&b.out);
	PW_ARRAY_FREE(&b.format.seg);
	return rc;
}
