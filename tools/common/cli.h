/* cli.h: what packcat and pack-serve parse and print the same way: SIZEs, option errors, the version line. */
#ifndef TOOLS_COMMON_CLI_H
#define TOOLS_COMMON_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* Exit status for bad usage, the same for both tools (CLI.md). */
#define CLI_EXIT_USAGE 2

/* getopt_long values of long-only options start here, above every short option. */
#define CLI_OPT_LONG 256

/*
 * Parse a SIZE: decimal digits, then an optional k, m or g (either case;
 * powers of 1024), nothing else (no sign, space or fraction). 0 with the
 * byte count in *out, within [min, max]; or -1 with *why saying what is
 * wrong ("not a size (…)", "too large", "too small (must be at least N)")
 * in `why`, a buffer of `whysz` bytes, and *out unchanged.
 */
int cli_parse_size(uint64_t *out, const char *s, uint64_t min, uint64_t max,
	char *why, size_t whysz);

/*
 * Print a usage error on stderr as one line, "PROG: CMD: MSG; see 'PROG
 * CMD --help'" (without the CMD parts when `cmd` is NULL); newlines in
 * MSG become spaces. Returns CLI_EXIT_USAGE.
 */
int cli_usage_error(const char *prog, const char *cmd, const char *fmt, ...) CLI_PRINTF(3, 4);
int cli_vusage_error(const char *prog, const char *cmd, const char *fmt, va_list ap);

/*
 * After getopt_long (run with opterr = 0 and a ':' leading the short
 * options) returned '?' or ':' as `c`: print what was wrong with the
 * option at argv[optind - 1] (unknown, needs a value, takes no value) as
 * cli_usage_error does. Returns CLI_EXIT_USAGE.
 */
int cli_getopt_error(const char *prog, const char *cmd, int c, char **argv);

/* Print "PROG version X (libpackwin Y)" on stdout: the tool's build and the library it runs with. */
void cli_print_version(const char *prog);

#endif
