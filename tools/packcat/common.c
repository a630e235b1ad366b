/* common.c: helpers shared by packcat's commands: errors, counts, opening packs, counters. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#include "util/banned.h"

/* Print "packcat: " and the message as one line: newlines become spaces. */
static void error_line(const char *fmt, va_list ap)
{
	char buf[2048];
	char *p;
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		snprintf(buf, sizeof(buf), "error (unprintable message)");
	for (p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "%s: %s\n", PC_PROG, buf);
}

void pc_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap);
	va_end(ap);
}

int pc_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vusage_error(PC_PROG, cmd, fmt, ap);
	va_end(ap);
	return PC_EXIT_USAGE;
}

int pc_getopt_error(const char *cmd, int c, char **argv)
{
	cli_getopt_error(PC_PROG, cmd, c, argv);
	return PC_EXIT_USAGE;
}

int pc_exit_code(int code)
{
	switch (code) {
	case PW_OK:
		return PC_EXIT_OK;
	case PW_ENOTFOUND:
	case PW_EOS:
	case PW_ECHANGED:
		return PC_EXIT_IO;
	case PW_ECORRUPT:
	case PW_EVERIFY:
	case PW_EUNSUPPORTED:
		return PC_EXIT_DATA;
	case PW_ELIMIT:
	case PW_ENOMEM:
		return PC_EXIT_LIMIT;
	default:
		return PC_EXIT_INTERNAL;
	}
}

/*
 * Whether `msg` names the file `path`: it contains the file's base name
 * without its .pack/.idx suffix (the library may name the .idx when given
 * the .pack, or the other way round).
 */
static int names_file(const char *msg, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;
	char stem[PATH_MAX];

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && !strcmp(base + len - 5, ".pack"))
		len -= 5;
	else if (len > 4 && !strcmp(base + len - 4, ".idx"))
		len -= 4;
	if (len == 0 || len >= sizeof(stem))
		return 0;
	memcpy(stem, base, len);
	stem[len] = '\0';
	return strstr(msg, stem) != NULL;
}

int pc_lib_error(int code, const char *path)
{
	const char *msg = pw_error_last();

	if (pw_error_last_code() == PW_OK)
		msg = pw_error_name(code);
	if (path && !names_file(msg, path))
		pc_error("%s: %s", path, msg);
	else
		pc_error("%s", msg);
	return pc_exit_code(code);
}

int pc_exit_worse(int worst, int rc)
{
	if (rc == PC_EXIT_NO && worst == PC_EXIT_OK)
		return PC_EXIT_NO;
	if (rc != PC_EXIT_OK && rc != PC_EXIT_NO &&
	    (worst == PC_EXIT_OK || worst == PC_EXIT_NO))
		return rc;
	return worst;
}

int pc_counts_add(pc_counts *c, size_t i)
{
	if (i >= c->n) {
		if (i == SIZE_MAX || PW_ARRAY_RESERVE(c, i + 1, 64) != 0)
			return -1;
		memset(c->v + c->n, 0, (c->cap - c->n) * sizeof(*c->v));
		c->n = c->cap;
	}
	c->v[i]++;
	return 0;
}

int pc_parse_count(unsigned int *out, const char *s, const char **why)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9') {
		*why = "not a number";
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT_MAX) {
			*why = "too large";
			return -1;
		}
	}
	if (*p) {
		*why = "not a number";
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

int pc_env_open(struct pc_env *env)
{
	pw_wm_options wo = PW_WM_OPTIONS_INIT;
	int err;

	env->opened = 1;
	wo.window_size = env->opt.window_size;
	wo.memory_limit = env->opt.memory_limit;
	wo.fd_limit = env->opt.fd_limit;
	wo.no_mmap = env->opt.no_mmap;
	if ((err = pw_wm_new(&env->wm, &wo)) < 0) {
		env->wm = NULL;
		/* The manager refuses only what the user's options asked for. */
		pc_lib_error(err, NULL);
		return err == PW_EINVALID ? PC_EXIT_USAGE : pc_exit_code(err);
	}
	if ((err = pw_dcache_new(&env->dcache, env->opt.delta_cache)) < 0) {
		env->dcache = NULL;
		return pc_lib_error(err, NULL);
	}
	return 0;
}

/* The library's warnings, as git prints its own: "warning: ..." on stderr. */
static void warn_cb(const char *msg, void *payload)
{
	(void)payload;
	fflush(stdout);
	fprintf(stderr, "warning: %s\n", msg);
}

int pc_repo_open(struct pc_env *env)
{
	pw_repo_options ro = PW_REPO_OPTIONS_INIT;
	int err, rc;

	if ((rc = pc_env_open(env)))
		return rc;
	/* --object-format is for standalone packs: a repository says its own. */
	ro.wm = env->wm;
	ro.dcache = env->dcache;
	ro.warn = warn_cb;
	ro.no_replace_objects = env->opt.no_replace;
	if ((err = pw_repo_open(&env->repo, env->opt.repo, &ro)) < 0) {
		env->repo = NULL;
		return pc_lib_error(err, NULL);
	}
	return 0;
}

void pc_env_close(struct pc_env *env)
{
	pw_repo_free(env->repo);
	env->repo = NULL;
	pw_dcache_free(env->dcache);
	env->dcache = NULL;
	pw_wm_free(env->wm);
	env->wm = NULL;
}

int pc_pack_open(pw_pack **out, struct pc_env *env, const char *path, int *code_out)
{
	pw_pack_options po = PW_PACK_OPTIONS_INIT;
	int err;

	po.oid_type = env->opt.oid_type;
	po.dcache = env->dcache;
	err = pw_pack_open(out, env->wm, path, &po);
	if (code_out)
		*code_out = err;
	if (err < 0) {
		*out = NULL;
		return pc_lib_error(err, path);
	}
	return 0;
}

int pc_stdout_cb(const unsigned char *data, size_t len, void *payload)
{
	(void)payload;
	return fwrite(data, 1, len, stdout) != len;
}

size_t pc_counters(struct pc_counter *out, struct pc_env *env)
{
	pw_wm_stats w;
	pw_dcache_stats d;
	pw_repo_stats r;
	size_t n = 0;

	memset(&w, 0, sizeof(w));
	memset(&d, 0, sizeof(d));
	memset(&r, 0, sizeof(r));
	if (env->repo)
		pw_repo_get_stats(&r, env->repo);
	if (env->wm)
		pw_wm_get_stats(&w, env->wm);
	if (env->dcache)
		pw_dcache_get_stats(&d, env->dcache);
#define C(label, v) (out[n].name = (label), out[n++].value = (v))
	C("mapped", w.mapped);
	C("mapped_peak", w.mapped_peak);
	C("windows", w.windows);
	C("fds", w.fds);
	C("fds_peak", w.fds_peak);
	C("maps", w.maps);
	C("unmaps", w.unmaps);
	C("window_hits", w.hits);
	C("window_misses", w.misses);
	C("window_evictions", w.evictions);
	C("opens", w.opens);
	C("closes", w.closes);
	C("fd_evictions", w.fd_evictions);
	C("delta_cache_hits", d.hits);
	C("delta_cache_misses", d.misses);
	C("delta_cache_bytes", d.bytes);
	C("delta_cache_bytes_peak", d.bytes_peak);
	C("delta_cache_entries", d.entries);
	C("delta_cache_evictions", d.evictions);
	if (env->repo) {
		C("packs", r.packs);
		C("packs_idx_loaded", r.packs_idx_loaded);
		C("midx_files", r.midx_files);
		C("midx_packs", r.midx_packs);
		C("midx_fallbacks", r.midx_fallbacks);
		C("bad_objects", r.bad_objects);
		C("packs_released", r.packs_released);
		C("rescans", r.rescans);
	}
#undef C
	return n;
}

void pc_print_counters(FILE *f, struct pc_env *env)
{
	struct pc_counter c[PC_COUNTERS_MAX];
	size_t i, n = pc_counters(c, env);

	for (i = 0; i < n; i++)
		fprintf(f, "%s %llu\n", c[i].name, (unsigned long long)c[i].value);
}

/* Length of the valid UTF-8 sequence at `s` (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned int c = s[0], cp;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void pc_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;

	putc('"', f);
	while (*s) {
		switch (*s) {
		case '"': fputs("\\\"", f); s++; continue;
		case '\\': fputs("\\\\", f); s++; continue;
		case '\n': fputs("\\n", f); s++; continue;
		case '\r': fputs("\\r", f); s++; continue;
		case '\t': fputs("\\t", f); s++; continue;
		default: break;
		}
		if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
			s++;
		} else if ((len = utf8_len(s)) == 0) {
			fputs("\\ufffd", f);
			s++;
		} else {
			fwrite(s, 1, len, f);
			s += len;
		}
	}
	putc('"', f);
}
