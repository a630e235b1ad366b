/* common.h: what packcat's commands share: global options, manager and cache, errors. */
#ifndef PACKCAT_COMMON_H
#define PACKCAT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <packwin.h>

#include "cli.h"
#include "util/alloc.h"
#include "util/array.h"
#include "exitcodes.h"

#define PC_PROG "packcat"

/* Counts by a small index (a delta chain length): v[0..n), zero where never counted. */
typedef PW_ARRAY(uint64_t) pc_counts;

/* Count one at index `i`, growing the array (with zeros) as needed. 0, or -1 (ENOMEM). */
int pc_counts_add(pc_counts *c, size_t i);

#if defined(__GNUC__)
#define PC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PC_PRINTF(f, a)
#endif

/* The global options, as parsed; zero means "the library's default". */
struct pc_options {
	const char *repo;      /* -C/--repo; NULL: found from the current directory */
	size_t window_size;    /* --window-size */
	size_t memory_limit;   /* --memory-limit */
	unsigned int fd_limit; /* --fd-limit */
	size_t delta_cache;    /* --delta-cache */
	pw_oid_t oid_type;     /* --object-format */
	int no_mmap;           /* --no-mmap */
	int no_replace;        /* --no-replace-objects (or a command that reads objects as stored) */
	int stats;             /* --stats */
};

/*
 * What a command works with: the options, and the manager and delta-base
 * cache that pc_env_open creates from them (one of each, shared by every
 * pack the command opens, and by the repository when pc_repo_open opened
 * one).
 */
struct pc_env {
	struct pc_options opt;
	pw_wm *wm;
	pw_dcache *dcache;
	pw_repo *repo; /* pc_repo_open: reads through wm and dcache */
	int opened; /* pc_env_open was called: --stats reports at exit */
};

/* A command: argv[0] is its name; returns an exit status (enum pc_exit). */
typedef int (*pc_command_fn)(struct pc_env *env, int argc, char **argv);

int cmd_ls(struct pc_env *env, int argc, char **argv);
int cmd_verify(struct pc_env *env, int argc, char **argv);
int cmd_stats(struct pc_env *env, int argc, char **argv);
int cmd_cat(struct pc_env *env, int argc, char **argv);
int cmd_batch(struct pc_env *env, int argc, char **argv);
int cmd_packs(struct pc_env *env, int argc, char **argv);
int cmd_refs(struct pc_env *env, int argc, char **argv);

/* "packcat: MESSAGE" as one line on stderr. */
void pc_error(const char *fmt, ...) PC_PRINTF(1, 2);

/*
 * Misuse of command `cmd` (NULL for the global options): one line on stderr
 * pointing at the help (cli_usage_error). Returns PC_EXIT_USAGE.
 */
int pc_usage_error(const char *cmd, const char *fmt, ...) PC_PRINTF(2, 3);

/* cli_getopt_error for packcat's command `cmd` (NULL: the global options). Returns PC_EXIT_USAGE. */
int pc_getopt_error(const char *cmd, int c, char **argv);

/*
 * Print the library's last error (which names the file and offset) for a
 * failure `code` while working on `path` (may be NULL), and return the exit
 * status for it. The path is prepended only if the message does not
 * already name the file.
 */
int pc_lib_error(int code, const char *path);

/*
 * Fold the exit status of one more check into the worst so far: an error
 * that kept something from being checked at all outranks "bad"
 * (PC_EXIT_NO), which outranks good: the answer is then unknown.
 */
int pc_exit_worse(int worst, int rc);

/* The exit status for a library error code. */
int pc_exit_code(int code);

/*
 * Parse a plain decimal count that fits an unsigned int. Returns 0, or -1
 * for anything else (junk, sign, overflow), with a reason in *why.
 */
int pc_parse_count(unsigned int *out, const char *s, const char **why);

/*
 * Create the manager and the shared delta cache from the options. Returns
 * 0, or prints the error and returns an exit status.
 */
int pc_env_open(struct pc_env *env);

/*
 * Open the repository of -C (or found from the current directory) with the
 * manager and cache of pc_env_open, which it calls first. Returns 0, or
 * prints the error and returns an exit status.
 */
int pc_repo_open(struct pc_env *env);

/*
 * Free what pc_env_open and pc_repo_open created; every pack the command
 * opened itself must be freed first.
 */
void pc_env_close(struct pc_env *env);

/*
 * Open the pack `path` (.pack or .idx) with the environment's manager and
 * cache. Returns 0, or prints the error and returns an exit status; with
 * `code_out`, the library's error code too.
 */
int pc_pack_open(pw_pack **out, struct pc_env *env, const char *path, int *code_out);

/*
 * Write `len` bytes to standard output; a pw_stream_cb (payload unused).
 * Returns non-zero when stdout fails (reported by main at exit).
 */
int pc_stdout_cb(const unsigned char *data, size_t len, void *payload);

/* One counter of the manager or the delta cache. */
struct pc_counter {
	const char *name;
	uint64_t value;
};

#define PC_COUNTERS_MAX 32

/*
 * Fill `out` (PC_COUNTERS_MAX entries) with the window manager's and delta
 * cache's counters, under the names --stats prints; returns how many.
 * Zeros when the environment was never opened.
 */
size_t pc_counters(struct pc_counter *out, struct pc_env *env);

/* The --stats report: one "name value" line per counter. */
void pc_print_counters(FILE *f, struct pc_env *env);

/* Write `s` as a JSON string (quoted and escaped; bad UTF-8 becomes U+FFFD). */
void pc_json_string(FILE *f, const char *s);

/* getopt_long values of long options without a short form start here. */
#define PC_OPT_LONG CLI_OPT_LONG

#endif
