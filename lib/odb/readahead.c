/* readahead.c: reading every object in order on worker threads, delivered in order to one callback. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "odb/internal.h"
#include "pack/internal.h" /* pw__pack_walk_begin: a lone pack walked stays */
#include "util/alloc.h"
#include "util/error.h"
#include "util/banned.h"

/* Objects each worker may resolve ahead of the consumer. */
#define SLOTS_PER_THREAD 32
#define MAX_THREADS 32
/* Entries the consumer lets finish before it is woken. */
#define WAKE_BATCH 16

typedef struct slot {
	pw_repo_entry e;    /* the entry read (of a lone pack: found by the worker) */
	pw_object *obj;
	int error;
	char *msg;          /* the worker's error message, pw__malloc'd */
	atomic_int ready;   /* published by the worker, taken by the consumer */
} slot;

/*
 * The hand-over is lock-free while both sides keep up: a worker publishes a
 * slot with an atomic store and the consumer takes it with an atomic load.
 * The mutex and condition variables are only for sleeping; a futex call per
 * object would cost more than reading the object.
 */
typedef struct ahead {
	pw_repo *repo;
	const pw_repo_entry *v;    /* the entries, or NULL: those of `lone` */
	pw_pack *lone;
	pw_foreach_order order;
	size_t n;
	slot *slots;
	size_t nslots;
	atomic_size_t next;        /* next entry to claim */
	atomic_size_t consumed;    /* entries delivered so far */
	atomic_size_t waiting_for; /* entry the consumer sleeps for, or SIZE_MAX */
	atomic_uint idle_workers;  /* workers sleeping for room in the ring */
	atomic_int stop;
	pthread_mutex_t lock;
	pthread_cond_t ready;
	pthread_cond_t space;
} ahead;

/* Entry `i` and its object, read. */
static int read_nth(pw_repo_entry *e, pw_object **obj, const ahead *a, size_t i)
{
	int error;

	*obj = NULL;
	if (!a->lone)
		*e = a->v[i];
	else if ((error = pw__lone_entry(e, a->lone, a->order, (uint32_t)i)) < 0)
		return error;
	return pw_repo_read_entry(obj, a->repo, e);
}

static void *worker(void *arg)
{
	ahead *a = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&a->next, 1);
		pw_repo_entry e;
		pw_object *obj;
		slot *s;
		int error;

		if (i >= a->n || atomic_load(&a->stop))
			break;
		if (i >= atomic_load(&a->consumed) + a->nslots) {
			pthread_mutex_lock(&a->lock);
			atomic_fetch_add(&a->idle_workers, 1);
			while (!atomic_load(&a->stop) && i >= atomic_load(&a->consumed) + a->nslots)
				pthread_cond_wait(&a->space, &a->lock);
			atomic_fetch_sub(&a->idle_workers, 1);
			pthread_mutex_unlock(&a->lock);
			if (atomic_load(&a->stop))
				break;
		}

		error = read_nth(&e, &obj, a, i);

		s = &a->slots[i % a->nslots];
		s->e = e;
		s->obj = obj;
		s->error = error;
		s->msg = error ? pw__strdup(pw_error_last()) : NULL;
		atomic_store(&s->ready, 1);
		if (i >= atomic_load(&a->waiting_for)) {
			pthread_mutex_lock(&a->lock);
			pthread_cond_signal(&a->ready);
			pthread_mutex_unlock(&a->lock);
		}
	}
	return NULL;
}

/* Sleep until slot `i` is published. */
static void wait_ready(ahead *a, size_t i)
{
	slot *s = &a->slots[i % a->nslots];

	pthread_mutex_lock(&a->lock);
	while (!atomic_load(&s->ready)) {
		size_t target = i + WAKE_BATCH < a->n ? i + WAKE_BATCH : a->n - 1;
		if (target >= i + a->nslots || atomic_load(&a->slots[target % a->nslots].ready))
			target = i;
		atomic_store(&a->waiting_for, target);
		if (atomic_load(&s->ready))
			break;
		pthread_cond_wait(&a->ready, &a->lock);
	}
	atomic_store(&a->waiting_for, SIZE_MAX);
	pthread_mutex_unlock(&a->lock);
}

int pw_repo_foreach_read(pw_repo *repo, pw_foreach_order order, unsigned int threads,
	pw_read_cb cb, void *payload)
{
	pthread_t tids[MAX_THREADS];
	unsigned started = 0, t;
	pw_repo_entry *v = NULL, e;
	pw_pack *lone = NULL;
	ahead a;
	size_t n, i;
	int error;

	if ((error = pw__repo_collect(&v, &n, &lone, repo, order)) < 0)
		return error;
	if (lone)
		n = pw_pack_count(lone);
	/* reading everything: let the delta-base cache keep bases only */
	for (i = 0; i < pw_repo_pack_count(repo); i++) {
		pw_pack *pack = pw_repo_pack(repo, i); /* NULL if a rescan dropped packs meanwhile */
		if (pack && pw_pack_index_bases(pack) < 0)
			pw_error_clear(); /* reading the objects reports what is wrong */
	}
	if (!threads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;

	memset(&a, 0, sizeof(a));
	a.repo = repo;
	a.v = v;
	a.lone = lone;
	a.order = order;
	a.n = n;
	a.nslots = (size_t)threads * SLOTS_PER_THREAD;
	atomic_init(&a.next, 0);
	atomic_init(&a.consumed, 0);
	atomic_init(&a.waiting_for, SIZE_MAX);
	atomic_init(&a.idle_workers, 0);
	atomic_init(&a.stop, 0);
	if (!(a.slots = pw__calloc(a.nslots, sizeof(*a.slots)))) {
		pw__free(v);
		if (lone)
			pw__pack_walk_end(lone);
		return pw__error_nomem();
	}
	for (i = 0; i < a.nslots; i++)
		atomic_init(&a.slots[i].ready, 0);
	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.ready, NULL);
	pthread_cond_init(&a.space, NULL);
	for (t = 0; t < threads; t++) {
		if (pthread_create(&tids[started], NULL, worker, &a))
			break;
		started++;
	}

	for (i = 0; i < n && !error; i++) {
		slot *s = &a.slots[i % a.nslots];
		pw_object *obj;
		char *msg;
		int serr;

		if (!started) {
			/* no worker could start: read here */
			serr = read_nth(&e, &obj, &a, i);
			msg = serr ? pw__strdup(pw_error_last()) : NULL;
		} else {
			if (!atomic_load(&s->ready))
				wait_ready(&a, i);
			e = s->e;
			obj = s->obj;
			serr = s->error;
			msg = s->msg;
			s->obj = NULL;
			s->msg = NULL;
			atomic_store(&s->ready, 0);
			atomic_store(&a.consumed, i + 1);
			if (atomic_load(&a.idle_workers)) {
				pthread_mutex_lock(&a.lock);
				pthread_cond_broadcast(&a.space);
				pthread_mutex_unlock(&a.lock);
			}
		}
		if (serr)
			error = pw__error_set(serr, "%s", msg ? msg : pw_error_name(serr));
		else
			error = cb(&e, obj, payload);
		pw__free(msg);
		pw_object_free(obj);
	}

	pthread_mutex_lock(&a.lock);
	atomic_store(&a.stop, 1);
	pthread_cond_broadcast(&a.space);
	pthread_mutex_unlock(&a.lock);
	for (t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	for (i = 0; i < a.nslots; i++) {
		pw_object_free(a.slots[i].obj);
		pw__free(a.slots[i].msg);
	}
	pthread_cond_destroy(&a.ready);
	pthread_cond_destroy(&a.space);
	pthread_mutex_destroy(&a.lock);
	pw__free(a.slots);
	pw__free(v);
	if (lone)
		pw__pack_walk_end(lone);
	return error;
}
