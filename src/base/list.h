/*
 * list.h - intrusive circular doubly linked list.
 */
#ifndef TERN_BASE_LIST_H
#define TERN_BASE_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
	struct list *next, *prev;
};

#define LIST_ENTRY(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void
list_init(struct list *l)
{
	l->next = l;
	l->prev = l;
}

static inline bool
list_empty(const struct list *l)
{
	return l->next == l;
}

/* A node that is not on any list points at itself (after list_init/del). */
static inline bool
list_linked(const struct list *n)
{
	return n->next != n;
}

static inline void
list_insert_tail(struct list *l, struct list *n)
{
	n->prev = l->prev;
	n->next = l;
	l->prev->next = n;
	l->prev = n;
}

static inline void
list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* Move every node of @from onto the empty list @to; @from ends empty.
 * For walking a list whose nodes may be put back on it meanwhile. */
static inline void
list_take_all(struct list *to, struct list *from)
{
	list_init(to);
	if (list_empty(from)) {
		return;
	}
	to->next = from->next;
	to->prev = from->prev;
	to->next->prev = to;
	to->prev->next = to;
	list_init(from);
}

static inline struct list *
list_first(const struct list *l)
{
	return list_empty(l) ? NULL : l->next;
}

#define list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define list_for_each_safe(pos, tmp, head)                               \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
