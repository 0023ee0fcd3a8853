/* SPDX-License-Identifier: MIT */
/*
 * An interval tree: closed intervals [start, last] in a red-black tree ordered
 * by start, each node also holding the largest 'last' of its subtree so that
 * an overlap query can skip every subtree that ends before the range it asks
 * about. Insert, remove and finding the first overlap are O(log n); each
 * further overlap found by itree_iter_next() costs O(log n) at most.
 *
 * The io_pagetable keeps its areas, its allowed ranges and its reserved ranges
 * in these trees.
 *
 * Invariants the caller keeps:
 *  - 'last' is inclusive, so a node may end at UINT64_MAX; code that computes
 *    last + 1 must handle last == UINT64_MAX first. start <= last always.
 *  - A node's start and last do not change while it is in a tree: remove it,
 *    edit it, insert it again.
 *  - Nodes are embedded in their owner's struct (container_of style); the tree
 *    never allocates, so insert and remove cannot fail.
 *  - Nodes may overlap and may share a start; among equal starts the order is
 *    unspecified (but stable while no node is inserted or removed).
 *
 * Not thread-safe: the owner's lock serialises every call on one tree,
 * lookups and iterators included, because insert and remove rewrite the
 * links that a lookup follows. A walk with itree_iter_next()/itree_next() may
 * remove the node it stands on once it has fetched the node after it (the
 * walk goes on from that node's place in the changed tree). A span walk must
 * not see the tree change at all: it remembers a node ahead of it.
 */
#ifndef IOMMUSIM_INTERVAL_TREE_H
#define IOMMUSIM_INTERVAL_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct itree_node {
	uint64_t start;
	uint64_t last; /* inclusive */
	/* private: */
	uintptr_t parent_color; /* parent pointer; bit 0 set means black */
	struct itree_node *left, *right;
	uint64_t subtree_last; /* largest 'last' in this subtree */
};

struct itree {
	struct itree_node *root;
	size_t count; /* nodes in the tree */
};

void itree_init(struct itree *t);
static inline bool itree_empty(const struct itree *t)
{
	return !t->root;
}

void itree_insert(struct itree *t, struct itree_node *n);
void itree_remove(struct itree *t, struct itree_node *n);

/* The node with the lowest start that overlaps [start, last], or NULL. */
struct itree_node *itree_iter_first(const struct itree *t, uint64_t start,
				    uint64_t last);
/* The next node in start order after n that overlaps [start, last], or NULL. */
struct itree_node *itree_iter_next(struct itree_node *n, uint64_t start,
				   uint64_t last);

#define itree_for_each_overlap(n, t, start, last)                              \
	for ((n) = itree_iter_first(t, start, last); (n);                      \
	     (n) = itree_iter_next(n, start, last))

/* In-order walk of every node: lowest start first. */
/*
 * *floor: the node with the greatest start <= key (the last of them in
 * in-order when starts repeat); *above: the node with the least start
 * > key. Either may be NULL. For trees whose nodes never overlap this
 * answers overlap queries from one root-to-leaf path, where
 * itree_iter_first() also reads a child at every level.
 */
void itree_neighbours(const struct itree *t, uint64_t key,
		      struct itree_node **floor, struct itree_node **above);
struct itree_node *itree_first(const struct itree *t);
struct itree_node *itree_next(struct itree_node *n);

/*
 * A walk over [start, last] that yields maximal runs, in order, each either
 * covered by at least one node (used) or by none (a hole). Nodes that
 * overlap or merely touch (one's last + 1 == the next's start) make one used
 * run. The runs tile [start, last] exactly and alternate between used and
 * hole. Each run is clipped to [start, last].
 */
struct itree_span {
	uint64_t start, last; /* the current run, inclusive */
	bool is_hole;
	/* private: */
	bool done;
	uint64_t query_start, query_last;
	/* the lowest-start overlapping node that starts after the current run */
	struct itree_node *next_node;
};

void itree_span_first(struct itree_span *s, const struct itree *t,
		      uint64_t start, uint64_t last);
void itree_span_next(struct itree_span *s);
static inline bool itree_span_done(const struct itree_span *s)
{
	return s->done;
}

#define itree_for_each_span(s, t, start, last)                                 \
	for (itree_span_first(s, t, start, last); !itree_span_done(s);         \
	     itree_span_next(s))

/*
 * Walks the whole tree and checks every invariant: red-black shape, parent
 * links, order, subtree_last, count. NULL when all hold, else what is wrong.
 * O(n): for tests and debug checks only.
 */
const char *itree_check(const struct itree *t);

#endif /* IOMMUSIM_INTERVAL_TREE_H */
