/* progress.c: git-style progress on stderr, drawn only when stderr is a terminal. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "progress.h"

#include "util/banned.h"

static void update(struct pc_progress *p, uint64_t done, uint64_t total);

void pc_progress_start(struct pc_progress *p, const char *title, uint64_t total)
{
	p->title = title;
	p->total = total;
	p->done = 0;
	p->enabled = isatty(STDERR_FILENO);
	p->drawn = 0;
	p->last_percent = 0;
	p->last_draw.tv_sec = 0;
	p->last_draw.tv_nsec = 0;
	pthread_mutex_init(&p->lock, NULL);
	if (p->enabled)
		update(p, 0, 0);
}

static unsigned int percent(uint64_t done, uint64_t total)
{
	if (total == 0)
		return 100;
	if (done >= total)
		return 100;
	/* done * 100 could overflow only for absurd totals; divide first then */
	return total > UINT64_MAX / 100 ? (unsigned int)(done / (total / 100))
					: (unsigned int)(done * 100 / total);
}

static void draw(struct pc_progress *p, const char *eol)
{
	fprintf(stderr, "\r%s: %3u%% (%" PRIu64 "/%" PRIu64 ")%s", p->title,
		percent(p->done, p->total), p->done, p->total, eol);
	fflush(stderr);
	p->drawn = 1;
}

/* Record progress; `total` 0 keeps the total given at the start. */
static void update(struct pc_progress *p, uint64_t done, uint64_t total)
{
	struct timespec now;
	unsigned int pct;

	if (!p->enabled)
		return;
	pthread_mutex_lock(&p->lock);
	if (total)
		p->total = total;
	if (done < p->done && p->drawn) /* threads may report out of order */
		goto out;
	p->done = done;
	pct = percent(done, p->total);
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Redraw when the percentage moves, or at least once a second. */
	if (!p->drawn || pct != p->last_percent || now.tv_sec > p->last_draw.tv_sec) {
		p->last_percent = pct;
		p->last_draw = now;
		draw(p, "");
	}
out:
	pthread_mutex_unlock(&p->lock);
}

void pc_progress_update(struct pc_progress *p, uint64_t done)
{
	update(p, done, 0);
}

void pc_progress_cb(uint64_t done, uint64_t total, void *payload)
{
	update(payload, done, total);
}

void pc_progress_stop(struct pc_progress *p, int ok)
{
	if (p->enabled) {
		pthread_mutex_lock(&p->lock);
		if (ok) {
			p->done = p->total;
			draw(p, ", done.\n");
		} else if (p->drawn) {
			fputc('\n', stderr);
		}
		p->drawn = 0;
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_destroy(&p->lock);
}
