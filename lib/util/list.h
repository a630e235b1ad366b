/* list.h: one intrusive circular doubly linked list, used by every layer. */
#ifndef PW_UTIL_LIST_H
#define PW_UTIL_LIST_H

#include <stddef.h>

/*
 * A node lives inside the structure it links (libuv's queue.h, nginx's
 * ngx_queue_t): no allocation, O(1) insert and remove. A list is a head
 * node linked to itself when empty. A node that is on no list is kept
 * self-linked by pw__list_init/pw__list_remove, so removing twice is safe.
 */
typedef struct pw_list {
	struct pw_list *prev, *next;
} pw_list;

#define PW_LIST_ENTRY(node, type, member) \
	((type *)(void *)((char *)(node) - offsetof(type, member)))

static inline void pw__list_init(pw_list *l)
{
	l->prev = l->next = l;
}

static inline int pw__list_empty(const pw_list *l)
{
	return l->next == l;
}

/** Is `node` on a list (not self-linked)? */
static inline int pw__list_linked(const pw_list *node)
{
	return node->next != node;
}

static inline pw_list *pw__list_first(const pw_list *l)
{
	return l->next == l ? NULL : l->next;
}

static inline pw_list *pw__list_last(const pw_list *l)
{
	return l->prev == l ? NULL : l->prev;
}

/** Insert `node` at the head of `l` (most recent end). */
static inline void pw__list_push_front(pw_list *l, pw_list *node)
{
	node->next = l->next;
	node->prev = l;
	l->next->prev = node;
	l->next = node;
}

/** Insert `node` at the tail of `l`. */
static inline void pw__list_push_back(pw_list *l, pw_list *node)
{
	node->prev = l->prev;
	node->next = l;
	l->prev->next = node;
	l->prev = node;
}

/** Unlink `node`; it is left self-linked. */
static inline void pw__list_remove(pw_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->prev = node->next = node;
}

/** Move `node` (on any list) to the head of `l`. */
static inline void pw__list_move_front(pw_list *l, pw_list *node)
{
	pw__list_remove(node);
	pw__list_push_front(l, node);
}

/** Walk `l` head to tail; `it` may not be removed (use the _SAFE form). */
#define PW_LIST_FOREACH(it, l) \
	for ((it) = (l)->next; (it) != (l); (it) = (it)->next)

/** Walk `l` head to tail; `it` may be removed, `tmp` holds the next node. */
#define PW_LIST_FOREACH_SAFE(it, tmp, l) \
	for ((it) = (l)->next, (tmp) = (it)->next; (it) != (l); (it) = (tmp), (tmp) = (it)->next)

/** Walk `l` tail to head (least recent first); `it` may be removed. */
#define PW_LIST_FOREACH_REVERSE_SAFE(it, tmp, l) \
	for ((it) = (l)->prev, (tmp) = (it)->prev; (it) != (l); (it) = (tmp), (tmp) = (it)->prev)

#endif
