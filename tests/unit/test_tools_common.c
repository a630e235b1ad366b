/* test_tools_common.c: what packcat and pack-serve share in tools/common: SIZE parsing, usage and option errors, the version line. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "packwin.h"
#include "packwin/version.h"
#include "cli.h"

static uint64_t size_ok(const char *s, uint64_t min, uint64_t max)
{
	char why[80] = "";
	uint64_t v = 12345;

	assert_int_equal(cli_parse_size(&v, s, min, max, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	return v;
}

static void size_bad(const char *s, uint64_t min, uint64_t max, const char *want)
{
	char why[80] = "";
	uint64_t v = 12345;

	assert_int_equal(cli_parse_size(&v, s, min, max, why, sizeof(why)), -1);
	assert_int_equal(v, 12345); /* untouched */
	assert_string_equal(why, want);
}

static const char not_a_size[] = "not a size (a byte count, or with a k, m or g suffix)";

static void test_size_values(void **state)
{
	(void)state;
	assert_int_equal(size_ok("1", 1, UINT64_MAX), 1);
	assert_int_equal(size_ok("4096", 1, UINT64_MAX), 4096);
	assert_int_equal(size_ok("007", 1, UINT64_MAX), 7);
	assert_int_equal(size_ok("1k", 1, UINT64_MAX), 1024);
	assert_int_equal(size_ok("3K", 1, UINT64_MAX), 3072);
	assert_int_equal(size_ok("64m", 1, UINT64_MAX), (uint64_t)64 << 20);
	assert_int_equal(size_ok("64M", 1, UINT64_MAX), (uint64_t)64 << 20);
	assert_int_equal(size_ok("1g", 1, UINT64_MAX), (uint64_t)1 << 30);
	assert_int_equal(size_ok("2G", 1, UINT64_MAX), (uint64_t)2 << 30);
	assert_int_equal(size_ok("0", 0, UINT64_MAX), 0);
	assert_int_equal(size_ok("18446744073709551615", 1, UINT64_MAX), UINT64_MAX);
	/* the bounds are inclusive */
	assert_int_equal(size_ok("1g", 1, (uint64_t)1 << 30), (uint64_t)1 << 30);
	assert_int_equal(size_ok("4k", 4096, 4096), 4096);
}

static void test_size_syntax(void **state)
{
	static const char *const bad[] = {
		"", "12x", "-1", "+5", " 5", "5 ", "5kb", "1kk", "0x10", "1.5m", "k", "m1",
		"1t", "1e3", "1_000",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		size_bad(bad[i], 1, UINT64_MAX, not_a_size);
}

static void test_size_limits(void **state)
{
	(void)state;
	size_bad("0", 1, UINT64_MAX, "too small (must be at least 1)");
	size_bad("0k", 1, UINT64_MAX, "too small (must be at least 1)");
	size_bad("4095", 4096, UINT64_MAX, "too small (must be at least 4096)");
	/* overflow in the digits, and in the suffix's multiplication */
	size_bad("18446744073709551616", 1, UINT64_MAX, "too large");
	size_bad("99999999999999999999999", 1, UINT64_MAX, "too large");
	size_bad("17179869184g", 1, UINT64_MAX, "too large");
	/* above the caller's maximum */
	size_bad("1025", 1, 1024, "too large");
	size_bad("2g", 1, (uint64_t)1 << 30, "too large");
	/* syntax is checked before the range */
	size_bad("0x", 1, UINT64_MAX, not_a_size);
}

static void test_size_why_truncated(void **state)
{
	char why[8];
	uint64_t v = 0;

	(void)state;
	assert_int_equal(cli_parse_size(&v, "zz", 1, 10, why, sizeof(why)), -1);
	assert_string_equal(why, "not a s"); /* cut to the buffer, still a string */
}

/* Run `fn` with stderr (or stdout) going to a file; what it printed, into `out`. */
static void capture(char *out, size_t cap, int fdno, void (*fn)(void *), void *arg)
{
	FILE *f = tmpfile();
	FILE *stream = fdno == 2 ? stderr : stdout;
	int saved;
	size_t n;

	assert_non_null(f);
	fflush(stream);
	saved = dup(fdno);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), fdno) >= 0);
	fn(arg);
	fflush(stream);
	assert_true(dup2(saved, fdno) >= 0);
	close(saved);
	rewind(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	fclose(f);
}

struct usage_call {
	const char *cmd;
	int rc;
};

static void call_usage(void *arg)
{
	struct usage_call *u = arg;

	u->rc = cli_usage_error("tool", u->cmd, "--x: '%s' is %s", "a\nb", "bad");
}

static void test_usage_error(void **state)
{
	struct usage_call u = { NULL, -1 };
	char got[512];

	(void)state;
	capture(got, sizeof(got), 2, call_usage, &u);
	assert_int_equal(u.rc, CLI_EXIT_USAGE);
	assert_int_equal(CLI_EXIT_USAGE, 2);
	/* one line: the newline in the message became a space */
	assert_string_equal(got, "tool: --x: 'a b' is bad; see 'tool --help'\n");
	u.cmd = "sub";
	capture(got, sizeof(got), 2, call_usage, &u);
	assert_string_equal(got, "tool: sub: --x: 'a b' is bad; see 'tool sub --help'\n");
}

struct getopt_call {
	int argc;
	char **argv;
	int c, rc;
};

enum { OPT_FLAG = CLI_OPT_LONG, OPT_VALUE };

static const struct option long_options[] = {
	{ "flag", no_argument, NULL, OPT_FLAG },
	{ "value", required_argument, NULL, OPT_VALUE },
	{ NULL, 0, NULL, 0 }
};

static void call_getopt(void *arg)
{
	struct getopt_call *g = arg;

	opterr = 0;
	optind = 0; /* glibc: also reset its internal state */
	while ((g->c = getopt_long(g->argc, g->argv, ":v:h", long_options, NULL)) != -1)
		if (g->c == '?' || g->c == ':') {
			g->rc = cli_getopt_error("tool", NULL, g->c, g->argv);
			return;
		}
	g->rc = 0;
}

static void getopt_case(const char *arg, const char *want)
{
	char a0[] = "tool", a1[64], got[512];
	char *argv[] = { a0, a1, NULL };
	struct getopt_call g = { 2, argv, 0, -1 };

	snprintf(a1, sizeof(a1), "%s", arg);
	capture(got, sizeof(got), 2, call_getopt, &g);
	assert_int_equal(g.rc, CLI_EXIT_USAGE);
	assert_string_equal(got, want);
}

static void test_getopt_errors(void **state)
{
	(void)state;
	getopt_case("--frobnicate", "tool: unknown option '--frobnicate'; see 'tool --help'\n");
	getopt_case("-Z", "tool: unknown option '-Z'; see 'tool --help'\n");
	getopt_case("--flag=yes", "tool: option '--flag=yes' takes no value; see 'tool --help'\n");
	getopt_case("--value", "tool: option '--value' needs a value; see 'tool --help'\n");
	getopt_case("-v", "tool: option '-v' needs a value; see 'tool --help'\n");
}

static void call_version(void *arg)
{
	cli_print_version(arg);
}

static void test_version_line(void **state)
{
	char got[256], want[256];

	(void)state;
	capture(got, sizeof(got), 1, call_version, "tool");
	snprintf(want, sizeof(want), "tool version %s (libpackwin %s)\n", PACKWIN_VERSION,
		pw_version());
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_values),
		cmocka_unit_test(test_size_syntax),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_size_why_truncated),
		cmocka_unit_test(test_usage_error),
		cmocka_unit_test(test_getopt_errors),
		cmocka_unit_test(test_version_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
