/* exitcodes.h: packcat's exit statuses, one name each (see docs/packcat.1.md). */
#ifndef PACKCAT_EXITCODES_H
#define PACKCAT_EXITCODES_H

/*
 * 0, 1 and 2 are fixed by the command-line contract (CLI.md); the codes
 * from 3 up say which kind of error stopped the work. Never renumber.
 */
enum pc_exit {
	PC_EXIT_OK = 0,       /* success */
	PC_EXIT_NO = 1,       /* the answer is "no": verification failed */
	PC_EXIT_USAGE = 2,    /* bad usage: unknown command or option, bad value */
	PC_EXIT_IO = 3,       /* cannot read the input: missing file, I/O error,
	                         file changed underneath, no repository support */
	PC_EXIT_DATA = 4,     /* corrupt or unsupported data */
	PC_EXIT_LIMIT = 5,    /* a budget cannot be met, or out of memory */
	PC_EXIT_INTERNAL = 6  /* anything else (a bug in packcat or the library) */
};

#endif
