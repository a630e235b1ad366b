/* error.c: the thread-local last error and its messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/banned.h"

static _Thread_local struct {
	int code;
	int err;
	char msg[1024];
} last;

static void set_msg(const char *fmt, va_list ap)
{
	int n = vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	if (n < 0)
		last.msg[0] = '\0';
}

int pw__error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_msg(fmt, ap);
	va_end(ap);
	last.code = code;
	last.err = 0;
	return code;
}

int pw__error_os(const char *fmt, ...)
{
	int err = errno;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	set_msg(fmt, ap);
	va_end(ap);
	len = strlen(last.msg);
	if (len < sizeof(last.msg))
		snprintf(last.msg + len, sizeof(last.msg) - len, ": %s", strerror(err));
	last.err = err;
	if (err == ENOENT || err == ENOTDIR)
		last.code = PW_ENOTFOUND;
	else if (err == ENOMEM)
		last.code = PW_ENOMEM;
	else
		last.code = PW_EOS;
	return last.code;
}

int pw__error_wrap(int code)
{
	if (!last.code)
		snprintf(last.msg, sizeof(last.msg), "%s", pw_error_name(code));
	if (code != PW_EOS)
		last.err = 0;
	last.code = code;
	return code;
}

int pw__error_nomem(void)
{
	return pw__error_set(PW_ENOMEM, "out of memory");
}

int pw__check_version(const void *opts, unsigned int expected, const char *name)
{
	unsigned int version;

	if (!opts)
		return 0;
	/* every options struct starts with its version (memcpy: no aliasing games) */
	memcpy(&version, opts, sizeof(version));
	if (version == expected)
		return 0;
	return pw__error_set(PW_EINVALID, "%s: version %u, expected %u", name, version, expected);
}

const char *pw_error_last(void)
{
	return last.code ? last.msg : "no error";
}

int pw_error_last_code(void)
{
	return last.code;
}

int pw_error_last_errno(void)
{
	return last.err;
}

void pw_error_clear(void)
{
	last.code = 0;
	last.err = 0;
	last.msg[0] = '\0';
}

const char *pw_error_name(int code)
{
	switch (code) {
	case PW_OK: return "success";
	case PW_ERROR: return "error";
	case PW_EINVALID: return "invalid argument";
	case PW_ENOTFOUND: return "not found";
	case PW_ENOMEM: return "out of memory";
	case PW_EOS: return "system error";
	case PW_ECORRUPT: return "corrupt data";
	case PW_ECHANGED: return "file changed underneath";
	case PW_ELIMIT: return "limit exceeded";
	case PW_EVERIFY: return "verification failed";
	case PW_EAMBIGUOUS: return "ambiguous name";
	case PW_EUNSUPPORTED: return "unsupported";
	default: return "unknown error";
	}
}
