/* SPDX-License-Identifier: MIT */
/*
 * An intrusive, circular, doubly linked list, in the kernel's shape: a
 * struct list_head sits in each element and in the owner as the head; an
 * empty list's head points at itself. Elements are found from their link
 * with container_of(). No function allocates; none takes a lock (the owner
 * says which lock guards a list).
 *
 * A link that list_del_init() took out reads as an empty list, so
 * "is it still on a list" is list_empty(&elem->link).
 */
#ifndef IOMMUSIM_BASE_LIST_H
#define IOMMUSIM_BASE_LIST_H

#include <stdbool.h>

#include "base/container_of.h"

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void INIT_LIST_HEAD(struct list_head *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

static inline void list_insert_between(struct list_head *elem,
				       struct list_head *prev,
				       struct list_head *next)
{
	next->prev = elem;
	elem->next = next;
	elem->prev = prev;
	prev->next = elem;
}

/* elem becomes the first element. */
static inline void list_add(struct list_head *elem, struct list_head *head)
{
	list_insert_between(elem, head, head->next);
}

/* elem becomes the last element. */
static inline void list_add_tail(struct list_head *elem,
				 struct list_head *head)
{
	list_insert_between(elem, head->prev, head);
}

/* Takes elem off its list; elem then reads as an empty list. */
static inline void list_del_init(struct list_head *elem)
{
	elem->prev->next = elem->next;
	elem->next->prev = elem->prev;
	INIT_LIST_HEAD(elem);
}

/* Takes elem off its list and makes it the last element of head's. */
static inline void list_move_tail(struct list_head *elem,
				  struct list_head *head)
{
	list_del_init(elem);
	list_add_tail(elem, head);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member)                                   \
	list_entry((head)->next, type, member)

/* pos: a pointer to the element type, member its link. */
#define list_for_each_entry(pos, head, member)                                 \
	for (pos = list_entry((head)->next, typeof(*pos), member);             \
	     &pos->member != (head);                                           \
	     pos = list_entry(pos->member.next, typeof(*pos), member))

/* The same, where the body may take pos off the list (spare: a cursor of
 * the same type, holding the element after pos). */
#define list_for_each_entry_safe(pos, spare, head, member)                     \
	for (pos = list_entry((head)->next, typeof(*pos), member),             \
	    spare = list_entry(pos->member.next, typeof(*pos), member);        \
	     &pos->member != (head);                                           \
	     pos = spare,                                                      \
	    spare = list_entry(spare->member.next, typeof(*spare), member))

#endif /* IOMMUSIM_BASE_LIST_H */
