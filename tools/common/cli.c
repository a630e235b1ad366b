/* cli.c: SIZE parsing, usage and option errors, and the version line shared by packcat and pack-serve. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <packwin.h>
#include <packwin/version.h>

#include "cli.h"
#include "util/banned.h"

int cli_parse_size(uint64_t *out, const char *s, uint64_t min, uint64_t max,
	char *why, size_t whysz)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		goto not_a_size;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			goto too_large;
	switch (*p) {
	case 'k': case 'K':
		mul = (uint64_t)1 << 10;
		break;
	case 'm': case 'M':
		mul = (uint64_t)1 << 20;
		break;
	case 'g': case 'G':
		mul = (uint64_t)1 << 30;
		break;
	}
	if (mul != 1)
		p++;
	if (*p)
		goto not_a_size;
	if (__builtin_mul_overflow(v, mul, &v) || v > max)
		goto too_large;
	if (v < min) {
		snprintf(why, whysz, "too small (must be at least %llu)", (unsigned long long)min);
		return -1;
	}
	*out = v;
	return 0;
not_a_size:
	snprintf(why, whysz, "not a size (a byte count, or with a k, m or g suffix)");
	return -1;
too_large:
	snprintf(why, whysz, "too large");
	return -1;
}

int cli_vusage_error(const char *prog, const char *cmd, const char *fmt, va_list ap)
{
	char msg[2048], *p;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		snprintf(msg, sizeof(msg), "bad usage (unprintable message)");
	for (p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (cmd)
		fprintf(stderr, "%s: %s: %s; see '%s %s --help'\n", prog, cmd, msg, prog, cmd);
	else
		fprintf(stderr, "%s: %s; see '%s --help'\n", prog, msg, prog);
	return CLI_EXIT_USAGE;
}

int cli_usage_error(const char *prog, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cli_vusage_error(prog, cmd, fmt, ap);
	va_end(ap);
	return rc;
}

int cli_getopt_error(const char *prog, const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (c == ':')
		return cli_usage_error(prog, cmd, "option '%s' needs a value", arg);
	if (optopt && !strncmp(arg, "--", 2) && strchr(arg, '='))
		return cli_usage_error(prog, cmd, "option '%s' takes no value", arg);
	if (optopt && optopt < CLI_OPT_LONG)
		return cli_usage_error(prog, cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(prog, cmd, "unknown option '%s'", arg);
}

void cli_print_version(const char *prog)
{
	printf("%s version %s (libpackwin %s)\n", prog, PACKWIN_VERSION, pw_version());
}
