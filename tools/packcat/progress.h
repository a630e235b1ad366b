/* progress.h: a git-style progress meter on stderr, shown only when stderr is a terminal. */
#ifndef PACKCAT_PROGRESS_H
#define PACKCAT_PROGRESS_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/*
 * "Checking objects:  45% (1234/5678)" redrawn in place with \r, then
 * "Checking objects: 100% (5678/5678), done." Updates may come from
 * several threads at once.
 */
struct pc_progress {
	const char *title;
	uint64_t total;
	uint64_t done;
	int enabled;       /* stderr is a terminal */
	int drawn;         /* something is on the line */
	unsigned int last_percent;
	struct timespec last_draw;
	pthread_mutex_t lock;
};

/* Start a meter of `total` steps (silent unless stderr is a terminal). */
void pc_progress_start(struct pc_progress *p, const char *title, uint64_t total);

/* `done` steps of the total are done; thread-safe. */
void pc_progress_update(struct pc_progress *p, uint64_t done);

/* The same, with the signature of a pw_progress_cb (payload = the meter). */
void pc_progress_cb(uint64_t done, uint64_t total, void *payload);

/*
 * End the meter: with `ok`, a last line at 100% with ", done."; otherwise
 * just end the line so that an error message starts on its own.
 */
void pc_progress_stop(struct pc_progress *p, int ok);

#endif
