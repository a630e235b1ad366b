/* error.h: raising errors into the thread-local last error (internal). */
#ifndef PW_UTIL_ERROR_H
#define PW_UTIL_ERROR_H

#include "packwin/errors.h"

/**
 * Record `code` with a printf-style message as this thread's last error
 * and return `code`, so that callers can write `return pw__error_set(...)`.
 */
int pw__error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Like pw__error_set(PW_EOS, ...), appending ": strerror(errno)" and saving
 * errno (read on entry). ENOENT gives PW_ENOTFOUND, ENOMEM PW_ENOMEM.
 */
int pw__error_os(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Shorthand for an allocation failure. */
int pw__error_nomem(void);

#endif
