/* pw_dump.c: packwin's view of every object of one pack, in git2_dump's line format, under chosen budgets. */

/*
 * Usage: pw_dump [OPTIONS] PACK_OR_IDX
 *   --window-size SIZE    bytes per window (k, m, g suffixes: powers of 1024)
 *   --memory-limit SIZE   most bytes mapped at once
 *   --fd-limit N          most descriptors open at once
 *   --no-mmap             fill windows with pread
 *   --whole-file          one window per whole file
 *   --delta-cache SIZE    budget of the delta-base cache
 *   --object-format F     sha1, sha256 or auto (the default: detect)
 *   --pack-order          list objects in pack order (pw_pack_order_nth)
 *                         instead of oid order; sorted, the two must agree
 *   --stats               print the window manager's counters on stderr
 *
 * Prints `oid type size content-sha256` per object. Besides reading every
 * object it cross-checks the API against itself: pw_pack_find agrees with
 * pw_pack_nth_offset, pw_pack_read_header and pw_pack_chain with the
 * resolved object, pack order has strictly increasing offsets, the budgets
 * were never exceeded (peak counters against the effective options) and
 * freeing the pack releases every window and descriptor. Exits 0, 2 on bad
 * usage, 3 with pw_error_last() (or what failed) on stderr otherwise.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "packwin.h"

static const char *progname = "pw_dump";

static void fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(3);
}

/* A packwin call failed: say which, with the library's message. */
static void fail_pw(int rc, const char *what)
{
	fail("%s: %s (%s, %d)", what, pw_error_last(), pw_error_name(rc), rc);
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [--window-size SIZE] [--memory-limit SIZE] "
		"[--fd-limit N] [--no-mmap] [--whole-file] [--delta-cache SIZE] "
		"[--object-format sha1|sha256|auto] [--pack-order] [--stats] PACK\n",
		progname);
	exit(2);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		usage();
	switch (*end) {
	case 'k': case 'K': mult = 1024; end++; break;
	case 'm': case 'M': mult = 1024 * 1024; end++; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end || v > UINT64_MAX / mult)
		usage();
	return v * mult;
}

static void sha256_hex(char out[65], const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		fail("SHA-256 failed");
	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[64] = '\0';
}

/* Read, check and print the object at idx position `pos`. */
static void dump_one(pw_pack *pack, uint32_t pos)
{
	pw_oid id;
	uint64_t offset, found, hsize;
	pw_object_t htype, ctype;
	uint32_t depth;
	pw_object *obj = NULL;
	char hex[PW_OID_MAX_HEXSZ + 1], sum[65];
	const char *tname;
	int rc;

	if ((rc = pw_pack_nth_oid(&id, pack, pos)) < 0)
		fail_pw(rc, "pw_pack_nth_oid");
	pw_oid_tostr(hex, &id, pw_pack_oid_type(pack));
	if ((rc = pw_pack_nth_offset(&offset, pack, pos)) < 0)
		fail_pw(rc, "pw_pack_nth_offset");
	if ((rc = pw_pack_find(&found, pack, &id)) < 0)
		fail_pw(rc, hex);
	if (found != offset)
		fail("%s: pw_pack_find says offset %" PRIu64 ", pw_pack_nth_offset %" PRIu64,
			hex, found, offset);

	if ((rc = pw_pack_read(&obj, pack, &id)) < 0)
		fail_pw(rc, hex);
	if ((rc = pw_pack_read_header(&htype, &hsize, pack, offset)) < 0)
		fail_pw(rc, hex);
	if ((rc = pw_pack_chain(&ctype, &depth, pack, offset)) < 0)
		fail_pw(rc, hex);
	if (htype != pw_object_type(obj) || hsize != pw_object_size(obj) ||
	    ctype != pw_object_type(obj))
		fail("%s: read gives %d/%zu, read_header %d/%" PRIu64 ", chain type %d",
			hex, (int)pw_object_type(obj), pw_object_size(obj),
			(int)htype, hsize, (int)ctype);
	if (pw_object_data(obj)[pw_object_size(obj)] != '\0')
		fail("%s: object data not followed by a NUL byte", hex);

	tname = pw_object_type_name(pw_object_type(obj));
	if (!tname || pw_object_type(obj) < PW_OBJ_COMMIT || pw_object_type(obj) > PW_OBJ_TAG)
		fail("%s: resolved to type %d", hex, (int)pw_object_type(obj));
	sha256_hex(sum, pw_object_data(obj), pw_object_size(obj));
	printf("%s %s %zu %s\n", hex, tname, pw_object_size(obj), sum);
	pw_object_free(obj);
}

int main(int argc, char **argv)
{
	pw_wm_options wopts = PW_WM_OPTIONS_INIT, eff;
	pw_pack_options popts = PW_PACK_OPTIONS_INIT;
	pw_wm_stats st;
	pw_wm *wm = NULL;
	pw_pack *pack = NULL;
	const char *path = NULL;
	int pack_order = 0, stats = 0, rc;
	uint32_t count;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--window-size") && v) {
			wopts.window_size = (size_t)parse_size(v); i++;
		} else if (!strcmp(a, "--memory-limit") && v) {
			wopts.memory_limit = (size_t)parse_size(v); i++;
		} else if (!strcmp(a, "--fd-limit") && v) {
			uint64_t n = parse_size(v);
			if (n == 0 || n > 1u << 20)
				usage();
			wopts.fd_limit = (unsigned int)n; i++;
		} else if (!strcmp(a, "--delta-cache") && v) {
			popts.delta_cache_size = (size_t)parse_size(v); i++;
		} else if (!strcmp(a, "--object-format") && v) {
			if (!strcmp(v, "auto"))
				popts.oid_type = PW_OID_UNKNOWN;
			else if ((popts.oid_type = pw_oid_type_fromstr(v)) == PW_OID_UNKNOWN)
				usage();
			i++;
		} else if (!strcmp(a, "--no-mmap")) {
			wopts.no_mmap = 1;
		} else if (!strcmp(a, "--whole-file")) {
			wopts.mode = PW_WM_WHOLE_FILE;
		} else if (!strcmp(a, "--pack-order")) {
			pack_order = 1;
		} else if (!strcmp(a, "--stats")) {
			stats = 1;
		} else if (a[0] == '-' || path) {
			usage();
		} else {
			path = a;
		}
	}
	if (!path)
		usage();

	if ((rc = pw_wm_new(&wm, &wopts)) < 0)
		fail_pw(rc, "pw_wm_new");
	pw_wm_get_options(&eff, wm);
	if ((rc = pw_pack_open(&pack, wm, path, &popts)) < 0)
		fail_pw(rc, path);
	if (popts.oid_type != PW_OID_UNKNOWN && pw_pack_oid_type(pack) != popts.oid_type)
		fail("%s: opened as %s, asked for %s", path,
			pw_oid_type_name(pw_pack_oid_type(pack)),
			pw_oid_type_name(popts.oid_type));

	count = pw_pack_count(pack);
	if (!pack_order) {
		for (uint32_t n = 0; n < count; n++)
			dump_one(pack, n);
	} else {
		uint64_t prev = 0;
		for (uint32_t n = 0; n < count; n++) {
			uint32_t pos;
			uint64_t offset;
			if ((rc = pw_pack_order_nth(&pos, pack, n)) < 0)
				fail_pw(rc, "pw_pack_order_nth");
			if (pos >= count)
				fail("pw_pack_order_nth(%" PRIu32 ") = %" PRIu32 ", beyond %" PRIu32 " objects",
					n, pos, count);
			if ((rc = pw_pack_nth_offset(&offset, pack, pos)) < 0)
				fail_pw(rc, "pw_pack_nth_offset");
			if (n > 0 && offset <= prev)
				fail("pack order: object %" PRIu32 " at offset %" PRIu64
					" does not follow offset %" PRIu64, n, offset, prev);
			prev = offset;
			dump_one(pack, pos);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		fail("cannot write output: %s", strerror(errno));

	pw_wm_get_stats(&st, wm);
	if (stats)
		fprintf(stderr, "mapped_peak %" PRIu64 "\nfds_peak %" PRIu64
			"\nmaps %" PRIu64 "\nunmaps %" PRIu64 "\nwindow_hits %" PRIu64
			"\nwindow_misses %" PRIu64 "\nevictions %" PRIu64
			"\nopens %" PRIu64 "\ncloses %" PRIu64 "\nfd_evictions %" PRIu64 "\n",
			st.mapped_peak, st.fds_peak, st.maps, st.unmaps, st.hits,
			st.misses, st.evictions, st.opens, st.closes, st.fd_evictions);
	/* The budgets are hard (whole-file mode too): the peaks may never pass the limits. */
	if (st.mapped_peak > eff.memory_limit)
		fail("mapped_peak %" PRIu64 " exceeds the memory limit %zu",
			st.mapped_peak, eff.memory_limit);
	if (st.fds_peak > eff.fd_limit)
		fail("fds_peak %" PRIu64 " exceeds the fd limit %u", st.fds_peak, eff.fd_limit);

	pw_pack_free(pack);
	pw_wm_get_stats(&st, wm);
	if (st.mapped || st.windows || st.fds || st.maps != st.unmaps || st.opens != st.closes)
		fail("after pw_pack_free: mapped %" PRIu64 ", windows %" PRIu64
			", fds %" PRIu64 ", maps %" PRIu64 "/unmaps %" PRIu64
			", opens %" PRIu64 "/closes %" PRIu64, st.mapped, st.windows,
			st.fds, st.maps, st.unmaps, st.opens, st.closes);
	pw_wm_free(wm);
	return 0;
}
