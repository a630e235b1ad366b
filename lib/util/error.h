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

/**
 * Give this thread's last error the code `code`, keeping its message, and
 * return `code`: `return pw__error_wrap(PW_ECHANGED);` instead of the
 * undefined pw__error_set(code, "%s", pw_error_last()), which formats the
 * buffer into itself. The saved errno stays only if `code` is PW_EOS. With
 * no last error the message becomes the code's name.
 */
int pw__error_wrap(int code);

/** Shorthand for an allocation failure. */
int pw__error_nomem(void);

/**
 * The one check of an options struct's version, on entry of every function
 * that takes one: 0 when `opts` is NULL (all defaults) or its first member,
 * the `unsigned int version`, is `expected`; otherwise PW_EINVALID with
 * "NAME: version 7, expected 1". Version 0 (a zeroed struct that missed its
 * _INIT macro) is wrong too; a struct nested in another versioned one is
 * checked by its owner, which takes version 0 there for the current one.
 */
int pw__check_version(const void *opts, unsigned int expected, const char *name);

#endif
