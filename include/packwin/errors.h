/* errors.h: packwin's error codes and the thread-local last error. */
#ifndef PACKWIN_ERRORS_H
#define PACKWIN_ERRORS_H

#include "common.h"

PW_BEGIN_DECL

/**
 * Error codes returned by packwin functions (0 means success).
 * These values are stable: new codes are only ever added at the end.
 */
typedef enum {
	PW_OK = 0,
	PW_ERROR = -1,      /**< generic failure */
	PW_EINVALID = -2,   /**< invalid argument (caller's mistake) */
	PW_ENOTFOUND = -3,  /**< object, file or name does not exist */
	PW_ENOMEM = -4,     /**< out of memory */
	PW_EOS = -5,        /**< operating-system call failed (errno kept) */
	PW_ECORRUPT = -6,   /**< malformed or corrupt file content */
	PW_ECHANGED = -7,   /**< a file changed (replaced, truncated) underneath */
	PW_ELIMIT = -8,     /**< a configured budget or limit cannot be met */
	PW_EVERIFY = -9,    /**< a checksum or object id does not match */
	PW_EAMBIGUOUS = -10, /**< an abbreviated name matches several objects */
	PW_EUNSUPPORTED = -11 /**< valid but unsupported format or feature */
} pw_error_code;

/**
 * The message of the last error raised on this thread, naming the file,
 * the offset and what was wrong. Never NULL ("no error" when none).
 * Borrowed: valid until the next packwin call on this thread.
 */
PW_EXTERN(const char *) pw_error_last(void);

/** The code of the last error on this thread (PW_OK when none). */
PW_EXTERN(int) pw_error_last_code(void);

/** The errno saved with the last PW_EOS error (0 otherwise). */
PW_EXTERN(int) pw_error_last_errno(void);

/** Forget the last error of this thread. */
PW_EXTERN(void) pw_error_clear(void);

/** A short constant description of an error code ("corrupt data", ...). */
PW_EXTERN(const char *) pw_error_name(int code);

PW_END_DECL

#endif
