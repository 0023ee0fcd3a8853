/* SPDX-License-Identifier: MIT */
/*
 * A range index: disjoint closed ranges [start, last] in a B+tree ordered by
 * start, with every node wide enough that a lookup among a million ranges
 * reads a handful of nodes, each a few cache lines, instead of the twenty
 * scattered nodes of a binary tree.
 *
 * Each internal node keeps, per child, the child's lowest start, highest
 * last and the largest hole between two of its ranges; so the lowest hole
 * that fits a request is found by descending only into subtrees that have
 * one big enough (rindex_find_hole), in O(log n) for the io_pagetable's
 * automatic IOVA allocation instead of a walk over every area.
 *
 * The caller keeps:
 *  - Ranges never overlap; start <= last; 'last' may be UINT64_MAX.
 *  - A range's start and last do not change while it is indexed.
 *  - struct rindex_range is embedded in its owner (container_of style); the
 *    index holds pointers to it and allocates only its own nodes, so an
 *    insert may fail with -ENOMEM and leave the index as it was; a remove
 *    never fails.
 *  - Not thread-safe: the owner's lock serialises every change against
 *    every other call; lookups only read, so they may run together. A
 *    cursor is valid until the next insert or remove.
 */
#ifndef IOMMUSIM_RANGE_INDEX_H
#define IOMMUSIM_RANGE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rindex_range {
	uint64_t start;
	uint64_t last; /* inclusive */
};

struct rindex_node;
struct rindex_leaf;
struct rindex_inner;
struct rindex_slab;

struct rindex {
	struct rindex_node *root; /* NULL until the first insert */
	unsigned int height;	  /* 0: the root is a leaf */
	size_t count;		  /* ranges indexed */
	uint64_t max_gap;	  /* values in the largest hole between two */
	/* the leaf the last insert, remove or replace touched (NULL after a
	 * remove that rebalanced nodes, or one through a cursor that had
	 * stepped), and the last key whose descent reaches it: lookups near
	 * it start there instead of at the root; only changes write them */
	struct rindex_leaf *finger;
	uint64_t finger_last;
	/* the internal nodes' own slabs (range_index.c), the freed nodes
	 * kept for reuse, and how many are in the tree */
	struct rindex_slab *slabs;
	struct rindex_inner *spare;
	size_t inner_live;
};

/* Where a walk stands: one range of one leaf. */
struct rindex_cursor {
	struct rindex_leaf *leaf;
	unsigned int slot;
	/* from rindex_seek(), while the cursor stays in the leaf it found:
	 * the last key whose descent reaches that leaf */
	bool span_known;
	uint64_t span_last;
};

void rindex_init(struct rindex *ri);
static inline bool rindex_empty(const struct rindex *ri)
{
	return !ri->count;
}

/* Adds r, which overlaps nothing indexed. 0 or -ENOMEM (nothing changed). */
int rindex_insert(struct rindex *ri, struct rindex_range *r);
/* Removes r, which is indexed. */
void rindex_remove(struct rindex *ri, struct rindex_range *r);
/* Removes the range a cursor stands at, without a descent from the root;
 * the cursor is then spent. */
void rindex_remove_at(struct rindex *ri, const struct rindex_cursor *c);
/* Puts by in old's place: by has old's start, a last that overlaps no
 * other range, and is not indexed. Never fails: nothing is allocated. */
void rindex_replace(struct rindex *ri, struct rindex_range *old,
		    struct rindex_range *by);
/* Frees the index's nodes; the ranges are the caller's. */
void rindex_destroy(struct rindex *ri);

/* The range with the greatest start <= key, or NULL. */
struct rindex_range *rindex_floor(const struct rindex *ri, uint64_t key);
/* The first range (lowest start) that overlaps [start, last], or NULL. */
struct rindex_range *rindex_first_overlap(const struct rindex *ri,
					  uint64_t start, uint64_t last);

/*
 * Cursors walk in start order. rindex_seek() places c at the first range
 * whose last >= key (the one holding key, or the next); rindex_first() at
 * the lowest. Each returns the range there (NULL past the end), as does
 * rindex_cursor_next() after it steps.
 */
struct rindex_range *rindex_first(const struct rindex *ri,
				  struct rindex_cursor *c);
struct rindex_range *rindex_seek(const struct rindex *ri, uint64_t key,
				 struct rindex_cursor *c);
struct rindex_range *rindex_cursor_next(struct rindex_cursor *c);

#define rindex_for_each(r, ri, c)                                              \
	for ((r) = rindex_first(ri, c); (r); (r) = rindex_cursor_next(c))

/*
 * The lowest hole (a run of values no range covers) inside [start, last]
 * that 'fits' accepts, clipped to [start, last]; holes shorter than
 * min_size values are not offered. fits(&hole_start, hole_last, arg) may
 * move hole_start up (an alignment) and says whether the request fits
 * there; true then, with *found the hole_start it left. min_size >= 1.
 */
typedef bool (*rindex_fits_fn)(uint64_t *hole_start, uint64_t hole_last,
			       void *arg);
bool rindex_find_hole(const struct rindex *ri, uint64_t start, uint64_t last,
		      uint64_t min_size, rindex_fits_fn fits, void *arg,
		      uint64_t *found);

/* Bytes of the index's leaves and of the slabs its internal nodes come
 * from (what the allocator was asked for). O(n). */
size_t rindex_memory(const struct rindex *ri);

/*
 * Walks every node and checks every invariant: order, fill, links, the
 * per-child summaries, count. NULL when all hold, else what is wrong. O(n):
 * for tests.
 */
const char *rindex_check(const struct rindex *ri);

#endif /* IOMMUSIM_RANGE_INDEX_H */
